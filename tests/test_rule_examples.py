"""Every example in the rule catalog is a test: a ``bad`` example fires its rule, a ``good`` one does not, and
neither makes any other rule warn.

The examples are complete training snippets written for readers of ``lraudit rule <code>``; running them through
the whole pipeline (``audit_source``: parse, extract, simulate, check) keeps the documentation honest.
"""

from __future__ import annotations

import pytest

from lraudit.api import audit_source
from lraudit.registry import Example, Rule, load_rules

RULES: tuple[Rule, ...] = load_rules()


def _cases() -> list[tuple[Rule, str, int, Example]]:
    out = []
    for rule in RULES:
        for kind in ("bad", "good"):
            for i, example in enumerate(getattr(rule.examples, kind)):
                out.append((rule, kind, i, example))
    return out


CASES = _cases()


@pytest.mark.parametrize(("rule", "kind", "index", "example"), CASES,
                         ids=[f"{r.code}-{r.name}-{k}{i}" for r, k, i, _ in CASES])
def test_example(rule: Rule, kind: str, index: int, example: Example) -> None:
    result = audit_source(example.code, f"{rule.code.lower()}_{kind}{index}.py")
    own = [f for f in result.findings if f.code == rule.code]
    shown = "\n".join(f"  {f.code} line {f.line}: {f.message}" for f in result.findings) or "  (no findings)"
    if kind == "bad":
        assert own, f"{rule.code} {kind} example {index} ({example.note}) does not fire {rule.code}:\n{shown}"
        last_line = example.code.count("\n") + 1
        for f in own:
            assert 1 <= f.line <= last_line, f"finding outside the snippet: {f}"
            assert f.name == rule.name
            assert f.severity in ("error", "warning", "info")
            assert f.message.strip() and "{" not in f.message.replace("{'", ""), f.message
    else:
        assert not own, f"{rule.code} good example {index} ({example.note}) fires {rule.code}:\n{shown}"
    # an example shows one problem (bad) or none (good): no other rule may warn about it (info is allowed,
    # e.g. every transformers warm-up starts at 0)
    others = [f for f in result.findings if f.code != rule.code and f.severity != "info"]
    assert not others, f"{rule.code} {kind} example {index} ({example.note}) also fires other rules:\n{shown}"
    if rule.code != "LR901":
        assert result.error is None, f"the example does not analyse cleanly: {result.error}"


def test_every_rule_has_two_bad_and_two_good_examples() -> None:
    for rule in RULES:
        assert len(rule.examples.bad) >= 2, rule.code
        assert len(rule.examples.good) >= 2, rule.code


def test_examples_have_notes_and_are_complete_snippets() -> None:
    for rule in RULES:
        for kind in ("bad", "good"):
            for example in getattr(rule.examples, kind):
                assert example.note, f"{rule.code} {kind} example without a note"
                if rule.code == "LR901" and kind == "bad":
                    continue  # deliberately not Python
                compile(example.code, f"{rule.code}-{kind}", "exec")
                assert "import" in example.code, f"{rule.code} {kind} example has no imports: {example.note}"
