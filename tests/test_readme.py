"""The README's rule table is generated from the catalog, and its commands match the project's files."""

from __future__ import annotations

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _script():
    spec = importlib.util.spec_from_file_location("update_readme_rules", ROOT / "scripts" / "update_readme_rules.py")
    mod = importlib.util.module_from_spec(spec)
    assert spec.loader is not None
    spec.loader.exec_module(mod)
    return mod


def test_rule_table_is_current() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert _script().updated(readme) == readme, "run: python scripts/update_readme_rules.py"


def test_every_rule_is_in_the_table() -> None:
    from lraudit.registry import load_rules

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for rule in load_rules(ROOT / "rules"):
        assert f"`{rule.code}`" in readme and f"`{rule.name}`" in readme


def test_first_lines_are_the_two_commands() -> None:
    lines = (ROOT / "README.md").read_text(encoding="utf-8").splitlines()
    block = lines[lines.index("```bash") + 1: lines.index("```")]
    commands = [line for line in block if line and not line.startswith("#")]
    assert len(commands) == 2
    assert "lraudit check fixtures/examples" in commands[0]
    assert "install-test-deps.sh" in commands[1] and "pytest" in commands[1]
    assert (ROOT / "scripts" / "install-test-deps.sh").is_file()
    ci = (ROOT / ".ci" / "run").read_text()
    assert "install-test-deps.sh" in ci and "python -m pytest" in ci


def test_python_dash_m_runs_the_cli() -> None:
    import subprocess
    import sys

    out = subprocess.run([sys.executable, "-m", "lraudit", "--version"], capture_output=True, text=True, check=True)
    assert out.stdout.startswith("lraudit ")
