"""Annotated fixtures: ``fixtures/rules/<code>_<name>[.<variant>].py``.

A ``# ruleid: LR101`` comment says the next line must carry an LR101 finding; ``# ok: LR101`` says it must not.
A fixture fails on any finding of its rule on a line that is not annotated ``ruleid`` (so every quiet case in
the file is checked, annotated or not) and on any ``ruleid`` line without the finding.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from lraudit.api import audit_source
from lraudit.registry import load_rules

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures" / "rules"
ANNOTATION = re.compile(r"#\s*(ruleid|ok):\s*(LR\d{3})\b")
NAME = re.compile(r"^(LR\d{3})_([a-z0-9-]+)(?:\.([a-z0-9-]+))?\.py$")

RULES = {r.code: r for r in load_rules()}
FILES = sorted(FIXTURES.glob("LR*.py"))

#: Fixtures that document a known gap outside the checks (they must fail until the gap is closed; then
#: strict xfail turns into a failure and the entry must go).
KNOWN_GAPS: dict[str, str] = {}


def annotations(text: str, code: str) -> tuple[set[int], set[int]]:
    """(lines that must fire, lines that must stay quiet) for ``code``."""
    fire: set[int] = set()
    quiet: set[int] = set()
    for number, line in enumerate(text.splitlines(), start=1):
        for kind, c in ANNOTATION.findall(line):
            if c == code:
                (fire if kind == "ruleid" else quiet).add(number + 1)
    return fire, quiet


def _params() -> list[object]:
    out = []
    for path in FILES:
        marks = []
        if path.name in KNOWN_GAPS:
            marks.append(pytest.mark.xfail(reason=KNOWN_GAPS[path.name], strict=True))
        out.append(pytest.param(path, id=path.stem, marks=marks))
    return out


@pytest.mark.parametrize("path", _params())
def test_fixture(path: Path) -> None:
    m = NAME.match(path.name)
    assert m, f"{path.name}: fixture names look like LR101_increasing-lr.py or LR101_increasing-lr.variant.py"
    code, name = m.group(1), m.group(2)
    assert code in RULES and RULES[code].name == name, f"{path.name}: no rule {code} named {name}"
    text = path.read_text(encoding="utf-8")
    fire, quiet = annotations(text, code)
    assert fire or quiet, f"{path.name} has no # ruleid: / # ok: annotations for {code}"
    assert not fire & quiet, f"{path.name}: lines annotated both ruleid and ok: {sorted(fire & quiet)}"
    result = audit_source(text, str(path), select=[code])
    got: dict[int, list[str]] = {}
    for f in result.findings:
        if f.code == code:
            got.setdefault(f.line, []).append(f.message)
    missing = sorted(fire - set(got))
    unexpected = {line: msgs for line, msgs in sorted(got.items()) if line not in fire}
    problems = []
    if missing:
        problems.append(f"no {code} finding on annotated line(s) {missing}")
    for line, msgs in unexpected.items():
        why = "annotated ok" if line in quiet else "not annotated"
        problems.extend(f"unexpected {code} on line {line} ({why}): {msg}" for msg in msgs)
    assert not problems, f"{path.name}:\n  " + "\n  ".join(problems)


def test_every_rule_has_a_fixture_with_enough_cases() -> None:
    by_code: dict[str, tuple[int, int]] = {}
    for path in FILES:
        m = NAME.match(path.name)
        assert m, path.name
        fire, quiet = annotations(path.read_text(encoding="utf-8"), m.group(1))
        f0, q0 = by_code.get(m.group(1), (0, 0))
        by_code[m.group(1)] = (f0 + len(fire), q0 + len(quiet))
    for code, rule in RULES.items():
        assert (FIXTURES / f"{code}_{rule.name}.py").is_file(), f"missing fixtures/rules/{code}_{rule.name}.py"
        fire, quiet = by_code.get(code, (0, 0))
        assert fire >= 3, f"{code}: {fire} firing case(s) in its fixtures, want at least 3"
        assert quiet >= 3, f"{code}: {quiet} quiet case(s) in its fixtures, want at least 3"


def test_annotation_parser() -> None:
    text = "x = 1\n# ruleid: LR101\ny = 2\n    # ok: LR101\nz = 3\n# ruleid: LR102\nw = 4\n"
    assert annotations(text, "LR101") == ({3}, {5})
    assert annotations(text, "LR102") == ({7}, set())
