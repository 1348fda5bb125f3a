"""Lazy start-up: commands that do not analyse code never import the parser (libcst), and neither does a warm
run whose results all come from the cache."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

HEAVY = ("libcst", "lraudit.parse", "lraudit.extract", "lraudit.simulate", "lraudit.evaluate")


def _imported(args: list[str], cwd: Path | None = None) -> tuple[set[str], str]:
    proc = subprocess.run([sys.executable, "-X", "importtime", "-m", "lraudit.cli", *args], capture_output=True,
                          text=True, cwd=cwd, timeout=120)
    modules = set()
    for line in proc.stderr.splitlines():
        if line.startswith("import time:") and line.count("|") == 2:
            modules.add(line.rsplit("|", 1)[1].strip())
    return modules, proc.stdout


def _heavy(modules: set[str]) -> list[str]:
    return sorted(m for m in modules if m.split(".")[0] == "libcst" or m.startswith(HEAVY[1:]))


@pytest.mark.parametrize("args", [["--version"], ["--help"], ["rules"], ["rule", "LR101"], ["check", "--help"]],
                         ids=lambda a: " ".join(a))
def test_commands_that_analyse_nothing_do_not_import_the_parser(args: list[str]) -> None:
    modules, out = _imported(args)
    assert out, "the command printed nothing"
    assert "click" in modules  # the measurement works
    assert _heavy(modules) == []


def test_library_entry_points_import_lightly() -> None:
    code = ("import sys, lraudit, lraudit.api, lraudit.runner, lraudit.cache, lraudit.discover; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('libcst', 'yaml', 'click')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.stdout.strip() == "[]", out.stderr


def test_a_warm_run_does_not_parse(tmp_path: Path) -> None:
    src = Path(__file__).resolve().parent.parent / "fixtures" / "examples" / "bad_steplr_per_batch.py"
    (tmp_path / "train.py").write_bytes(src.read_bytes())
    cold, cold_out = _imported(["check", "-j", "1", "train.py"], cwd=tmp_path)
    assert "libcst" in cold and "LR201" in cold_out
    warm, warm_out = _imported(["check", "-j", "1", "train.py"], cwd=tmp_path)
    assert warm_out == cold_out
    assert _heavy(warm) == []
