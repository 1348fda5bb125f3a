"""The rule catalog as a whole: every rule complete and well formed, every check bound to exactly one rule, and
every message placeholder filled with real text by its check."""

from __future__ import annotations

import re
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest

from lraudit.api import audit_source
from lraudit.checks.context import CheckContext
from lraudit.engine import CHECK_MODULES, bound_rules
from lraudit.registry import CHECKS, NAME_RE, SEVERITIES, bind_checks, load_rules

ROOT = Path(__file__).resolve().parent.parent
RULES = load_rules()
CATEGORIES = {"construction", "shape", "stepping", "wiring", "analyzer"}
CHECKS_DIR = ROOT / "src" / "lraudit" / "checks"

#: The public contract of this catalog: codes and names never change.
CONTRACT = {
    "LR001": "lr-out-of-range", "LR002": "invalid-scheduler-argument", "LR003": "deprecated-argument",
    "LR101": "increasing-lr", "LR102": "lr-vanishes-early", "LR103": "schedule-horizon-mismatch",
    "LR104": "warmup-exceeds-training", "LR105": "schedule-has-no-effect", "LR106": "warmup-starts-at-zero",
    "LR201": "step-unit-mismatch", "LR202": "scheduler-step-before-optimizer-step",
    "LR203": "scheduler-never-stepped", "LR204": "scheduler-stepped-twice", "LR205": "plateau-mode-mismatch",
    "LR206": "step-with-epoch-argument", "LR207": "plateau-step-without-metric",
    "LR301": "competing-lr-writers", "LR302": "scheduler-optimizer-mismatch", "LR303": "optimizer-recreated-in-loop",
    "LR304": "scheduler-state-not-checkpointed", "LR305": "lr-update-not-applied",
    "LR901": "parse-error",
}
SEVERITY = {"LR002": "error", "LR104": "error", "LR201": "error", "LR205": "error", "LR207": "error",
            "LR302": "error", "LR901": "error", "LR106": "info", "LR304": "info"}
CATEGORY_OF_HUNDREDS = {"0": "construction", "1": "shape", "2": "stepping", "3": "wiring", "9": "analyzer"}


def test_contract_codes_and_names() -> None:
    got = {r.code: r.name for r in RULES if r.code in CONTRACT}
    assert got == CONTRACT
    for code, severity in SEVERITY.items():
        assert next(r for r in RULES if r.code == code).severity == severity, code


def test_codes_and_names_unique_and_well_formed() -> None:
    codes = [r.code for r in RULES]
    names = [r.name for r in RULES]
    assert len(codes) == len(set(codes))
    assert len(names) == len(set(names))
    for r in RULES:
        assert re.fullmatch(r"LR\d{3}", r.code), r.code
        assert NAME_RE.fullmatch(r.name), r.name
        assert r.severity in SEVERITIES, r.code
        assert r.path.stem == r.name and r.path.parent.name == r.category, r.path


def test_categories_follow_the_code_ranges() -> None:
    for r in RULES:
        if r.code in CONTRACT:
            assert r.category in CATEGORIES, r.code
            assert r.category == CATEGORY_OF_HUNDREDS[r.code[2]], f"{r.code} is in {r.category}"


@pytest.mark.parametrize("rule", RULES, ids=[r.code for r in RULES])
def test_rule_sections_are_complete(rule: Any) -> None:
    assert rule.summary.strip().endswith("."), f"{rule.code}: the summary is one sentence ending with a period"
    assert len(rule.summary) <= 110, f"{rule.code}: summary too long ({len(rule.summary)} characters)"
    paragraphs = [p for p in re.split(r"\n\s*\n", rule.why.strip()) if p.strip()]
    assert 2 <= len(paragraphs) <= 4, f"{rule.code}: why has {len(paragraphs)} paragraphs, want 2 to 4"
    assert re.search(r"\d", rule.why), f"{rule.code}: why should show the problem in numbers"
    assert rule.references, f"{rule.code}: no references"
    for ref in rule.references:
        assert ref.startswith("https://"), f"{rule.code}: reference is not a URL: {ref}"
    assert rule.placeholders, f"{rule.code}: the message has no placeholders"
    for name, option in rule.options.items():
        assert option.description.strip(), f"{rule.code}: option {name} has no description"


def test_every_check_has_a_rule_and_every_rule_a_check() -> None:
    bound = bound_rules()  # imports every check module
    assert set(bound) == {r.code for r in RULES}
    bind_checks(RULES, CHECKS)  # raises RegistryError on any mismatch
    for code in CONTRACT:
        fn = CHECKS[code]
        module = fn.__module__.rsplit(".", 1)[-1]
        assert module in CHECK_MODULES, f"{code} is checked in {fn.__module__}"
        category = next(r.category for r in RULES if r.code == code)
        assert module == category, f"{code} ({category}) is checked in {module}.py"


def test_every_option_is_read_by_its_check() -> None:
    sources = "\n".join(p.read_text(encoding="utf-8") for p in CHECKS_DIR.glob("*.py"))
    for r in RULES:
        for name in r.options:
            assert f'"{name}"' in sources, f"{r.code}: option {name} is never read by a check"


@pytest.fixture(scope="module")
def recorded() -> dict[str, list[dict[str, Any]]]:
    """The keyword arguments each check passed to ``ctx.finding`` while the bad examples ran."""
    calls: dict[str, list[dict[str, Any]]] = defaultdict(list)
    original = CheckContext.finding

    def spy(self: CheckContext, loc: Any, severity: str | None = None, **fmt: Any) -> Any:
        calls[self.rule.code].append(dict(fmt))
        return original(self, loc, severity, **fmt)

    mp = pytest.MonkeyPatch()
    mp.setattr(CheckContext, "finding", spy)
    try:
        for r in RULES:
            for example in r.examples.bad:
                audit_source(example.code, f"{r.code.lower()}_meta.py")
    finally:
        mp.undo()
    return calls


@pytest.mark.parametrize("rule", [r for r in RULES if r.code != "LR901"], ids=lambda r: r.code)
def test_every_placeholder_is_filled_with_text(rule: Any, recorded: dict[str, list[dict[str, Any]]]) -> None:
    calls = recorded.get(rule.code)
    assert calls, f"{rule.code}: no bad example reached its check"
    for name in rule.placeholders:
        values = [c.get(name) for c in calls]
        assert any(isinstance(v, str) and v.strip() for v in values) or name in ("how", "share"), \
            f"{rule.code}: placeholder {{{name}}} is never filled with text ({values})"
        for v in values:
            assert v is not None, f"{rule.code}: placeholder {{{name}}} missing in a call"
            text = str(v)
            assert "None" not in text.split() and "?" != text.strip(), f"{rule.code}: {{{name}}} = {text!r}"


def test_parse_error_message_follows_its_template() -> None:
    rule = next(r for r in RULES if r.code == "LR901")
    result = audit_source("print 'hello'\n", "py2.py")
    (finding,) = [f for f in result.findings if f.code == "LR901"]
    prefix = rule.message.split("{reason}")[0]
    assert finding.message.startswith(prefix)
    assert finding.name == rule.name and finding.severity == rule.severity


def test_analyzer_check_never_fires_on_facts() -> None:
    from lraudit.checks.analyzer import parse_error
    from lraudit.facts import FileFacts

    rule = next(r for r in RULES if r.code == "LR901")
    ctx = CheckContext(FileFacts(path="x.py"), {}, rule, {})
    assert list(parse_error(ctx)) == []
