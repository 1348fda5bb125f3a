"""Which rules run: ``--select`` / ``--ignore`` with ruff's semantics.

A selector is ``ALL``, a code prefix (``LR``, ``LR1``, ``LR10``), a full code (``LR101``) or a rule name
(``increasing-lr``; as specific as its code). For every rule the most specific matching selector decides;
when a ``select`` and an ``ignore`` selector are equally specific, ``ignore`` wins. An unknown selector
is a :class:`~lraudit.config.ConfigError` naming it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from lraudit.config import ConfigError
from lraudit.registry import Rule

ALL = "ALL"
_PREFIX_RE = re.compile(r"^LR[0-9]{0,3}$")
# ALL < LR < LR1 < LR10 < LR101 == increasing-lr
_EXACT = 5


def resolve_selector(rules: Iterable[Rule], selector: str) -> tuple[frozenset[str], int]:
    """The codes ``selector`` matches and its specificity (higher is more specific)."""
    rules = tuple(rules)
    if not isinstance(selector, str):
        raise ConfigError(f"rule selector must be a string, got {selector!r}")
    sel = selector.strip()
    if sel == ALL:
        return frozenset(r.code for r in rules), 0
    for rule in rules:
        if rule.name == sel:
            return frozenset({rule.code}), _EXACT
    if _PREFIX_RE.match(sel):
        codes = frozenset(r.code for r in rules if r.code.startswith(sel))
        if codes or sel == "LR":
            return codes, len(sel)
    hint = ""
    if sel.upper() != sel and _PREFIX_RE.match(sel.upper()):
        hint = f" (codes are upper case: {sel.upper()})"
    elif sel.lower() != sel and any(r.name == sel.lower() for r in rules):
        hint = f" (rule names are lower case: {sel.lower()})"
    raise ConfigError(f"unknown rule selector {selector!r}{hint}")


def validate_selectors(rules: Iterable[Rule], selectors: Iterable[str]) -> None:
    """Raise :class:`ConfigError` for the first selector that matches nothing known."""
    rules = tuple(rules)
    for selector in selectors:
        resolve_selector(rules, selector)


def select_rules(
    rules: Iterable[Rule], select: Sequence[str] | None, ignore: Sequence[str] | None
) -> set[str]:
    """Codes enabled by ``select`` (``None``: all rules) minus ``ignore``, ruff style."""
    rules = tuple(rules)
    decisions: dict[str, tuple[int, bool]] = {}  # code -> (specificity, enabled)
    select = [ALL] if select is None else list(select)
    ignore = [] if ignore is None else list(ignore)
    for enabled, selectors in ((True, select), (False, ignore)):
        for selector in selectors:
            codes, specificity = resolve_selector(rules, selector)
            for code in codes:
                current = decisions.get(code)
                # more specific wins; on a tie the later pass (ignore) wins
                if current is None or specificity >= current[0]:
                    decisions[code] = (specificity, enabled)
    return {code for code, (_, enabled) in decisions.items() if enabled}


def codes_matching(rules: Iterable[Rule], selectors: Iterable[str]) -> set[str]:
    """Union of the codes the selectors match (for per-file ignores and suppressions)."""
    rules = tuple(rules)
    out: set[str] = set()
    for selector in selectors:
        out |= resolve_selector(rules, selector)[0]
    return out
