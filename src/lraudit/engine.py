"""The rule engine: binds the YAML catalog to its check functions and runs them on one file's facts."""

from __future__ import annotations

import importlib
from functools import lru_cache
from typing import Any

from .facts import FileFacts
from .results import Curve, Finding

CHECK_MODULES = ("construction", "shape", "stepping", "wiring", "analyzer", "frameworks")


@lru_cache(maxsize=1)
def bound_rules() -> dict[str, tuple[Any, Any]]:
    """code -> (Rule, check function); validated once per process."""
    from .registry import CHECKS, bind_checks, load_rules

    for mod in CHECK_MODULES:
        try:
            importlib.import_module(f"lraudit.checks.{mod}")
        except ModuleNotFoundError as exc:
            if exc.name != f"lraudit.checks.{mod}":
                raise
    return bind_checks(load_rules(), CHECKS)


def run_checks(facts: FileFacts, curves: dict[str, Curve], opts: Any) -> list[Finding]:
    from .checks.context import CheckContext

    findings: list[Finding] = []
    versions = opts.target_versions() if hasattr(opts, "target_versions") else None
    for code, (rule, fn) in bound_rules().items():
        if opts.enabled is not None and code not in opts.enabled:
            continue
        options = dict(rule.option_defaults())
        options.update(opts.options_for(code))
        ctx = CheckContext(facts, curves, rule, options, opts.severity_for(code), versions)
        for f in fn(ctx) or ():
            findings.append(f)
    # one finding per (code, location, message)
    unique = {(f.code, f.line, f.column, f.message): f for f in findings}
    return sorted(unique.values(), key=Finding.sort_key)
