"""Rule selection with ruff semantics: codes, prefixes, names, ALL; specificity; unknown selectors."""

from __future__ import annotations

from pathlib import Path
from types import MappingProxyType

import pytest

from lraudit.config import ConfigError
from lraudit.registry import Example, Examples, Rule
from lraudit.selection import codes_matching, resolve_selector, select_rules, validate_selectors


def make_rule(code: str, name: str) -> Rule:
    return Rule(
        code=code,
        name=name,
        category="test",
        severity="warning",
        summary="s",
        message="m",
        why="w",
        options=MappingProxyType({}),
        references=(),
        examples=Examples(bad=(Example("x"),), good=(Example("y"),)),
        path=Path(f"rules/test/{name}.yaml"),
    )


RULES = (
    make_rule("LR101", "increasing-lr"),
    make_rule("LR102", "lr-hits-zero"),
    make_rule("LR111", "warmup-too-long"),
    make_rule("LR201", "step-before-optimizer"),
    make_rule("LR901", "parse-error"),
)
EVERY = {r.code for r in RULES}


@pytest.mark.parametrize(
    ("select", "ignore", "expected"),
    [
        pytest.param(None, None, EVERY, id="default-is-all"),
        pytest.param(["ALL"], None, EVERY, id="ALL"),
        pytest.param(["LR"], None, EVERY, id="LR-prefix"),
        pytest.param(["LR1"], None, {"LR101", "LR102", "LR111"}, id="category-prefix"),
        pytest.param(["LR10"], None, {"LR101", "LR102"}, id="two-digit-prefix"),
        pytest.param(["LR101"], None, {"LR101"}, id="exact-code"),
        pytest.param(["increasing-lr"], None, {"LR101"}, id="rule-name"),
        pytest.param(["LR101", "parse-error"], None, {"LR101", "LR901"}, id="code-and-name"),
        pytest.param([], None, set(), id="empty-select"),
        pytest.param(None, ["LR1"], {"LR201", "LR901"}, id="ignore-prefix"),
        pytest.param(["LR1"], ["LR101"], {"LR102", "LR111"}, id="ignore-more-specific-wins"),
        pytest.param(["LR1"], ["increasing-lr"], {"LR102", "LR111"}, id="ignore-by-name"),
        pytest.param(["LR101"], ["LR1"], {"LR101"}, id="select-more-specific-wins"),
        pytest.param(["increasing-lr"], ["LR"], {"LR101"}, id="name-beats-prefix-ignore"),
        pytest.param(["LR1"], ["LR1"], set(), id="tie-ignore-wins"),
        pytest.param(["LR101"], ["increasing-lr"], set(), id="tie-code-vs-name-ignore-wins"),
        pytest.param(["ALL"], ["ALL"], set(), id="ALL-both"),
        pytest.param(["LR10", "LR201"], ["LR1"], {"LR101", "LR102", "LR201"}, id="mixed"),
    ],
)
def test_select_rules(select: list[str] | None, ignore: list[str] | None, expected: set[str]) -> None:
    assert select_rules(RULES, select, ignore) == expected


@pytest.mark.parametrize("selector", ["LR5", "E501", "nope", "LR1011", "all", "", "LR-101"])
def test_unknown_selector_is_a_config_error_naming_it(selector: str) -> None:
    with pytest.raises(ConfigError) as excinfo:
        select_rules(RULES, [selector], None)
    assert f"unknown rule selector {selector!r}" in str(excinfo.value)


def test_unknown_selector_in_ignore_is_an_error_too() -> None:
    with pytest.raises(ConfigError, match="'LR7'"):
        select_rules(RULES, None, ["LR7"])


def test_case_hints() -> None:
    with pytest.raises(ConfigError, match=r"codes are upper case: LR101"):
        resolve_selector(RULES, "lr101")
    with pytest.raises(ConfigError, match=r"rule names are lower case: increasing-lr"):
        resolve_selector(RULES, "Increasing-LR")


def test_resolve_selector_specificity_orders_like_ruff() -> None:
    specificity = [resolve_selector(RULES, s)[1] for s in ("ALL", "LR", "LR1", "LR10", "LR101")]
    assert specificity == sorted(specificity) and len(set(specificity)) == 5
    assert resolve_selector(RULES, "increasing-lr")[1] == resolve_selector(RULES, "LR101")[1]


def test_lr_prefix_is_valid_with_an_empty_catalog() -> None:
    assert select_rules((), ["LR"], None) == set()
    assert select_rules((), None, None) == set()


def test_codes_matching_and_validate() -> None:
    assert codes_matching(RULES, ["LR10", "parse-error"]) == {"LR101", "LR102", "LR901"}
    validate_selectors(RULES, ["ALL", "LR2", "warmup-too-long"])
    with pytest.raises(ConfigError, match="'LR3'"):
        validate_selectors(RULES, ["LR1", "LR3"])
