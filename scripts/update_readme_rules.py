"""Regenerate the rule table in README.md from rules/*.yaml (tests/test_readme.py checks it is current)."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from lraudit.registry import load_rules  # noqa: E402
from lraudit.render.rules_doc import render_rules_markdown  # noqa: E402

BEGIN, END = "<!-- rules-table:begin -->", "<!-- rules-table:end -->"


def table() -> str:
    return render_rules_markdown(load_rules(ROOT / "rules"))


def updated(readme: str) -> str:
    head, rest = readme.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    return f"{head}{BEGIN}\n{table()}{END}{tail}"


if __name__ == "__main__":
    path = ROOT / "README.md"
    path.write_text(updated(path.read_text(encoding="utf-8")), encoding="utf-8")
