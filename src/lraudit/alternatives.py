"""Findings of the other runs a user-facing option selects.

The default run is analysed first. When a branch its defaults decide builds or steps something else in an arm an
option selects (``--sched step``, ``--no-warmup``), that run is analysed too (as ``--set`` would) and each finding
it has that the default run does not is reported once, with the option in its message ("with --sched step: ...").
The default run works, so such a finding is never an error: errors become warnings, the rest keep their severity.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from .results import Finding

MAX_RUNS = 4


def alternative_findings(module: Any, text: str, path: str, display: str, opts: Any, ext: Any,
                         findings: list[Finding]) -> list[Finding]:
    if not getattr(ext, "option_runs", None):
        return []
    from .analyze import run_checks
    from .extract.build import extract
    from .checks.shape import constant_choice
    from .simulate import SimOptions, simulate_scheduler

    have = {(f.code, f.line) for f in findings}  # the default run already reports this rule here: once is enough
    out: list[Finding] = []
    for overrides, words in ext.option_runs[:MAX_RUNS]:
        try:
            alt = extract(module, path, text=text, display=display, overrides={**dict(opts.overrides), **overrides})
        except (RecursionError, ValueError, TypeError, KeyError, AttributeError, IndexError):
            continue  # another run that cannot be analysed says nothing about the default one
        facts = alt.facts
        if display != facts.path:
            facts = replace(facts, path=display)
        curves = {s.id: simulate_scheduler(facts, s, SimOptions()) for s in facts.schedulers}
        for f in run_checks(facts, curves, opts):
            if (f.code, f.line) in have or f.code == "LR901":
                continue
            if f.code == "LR105" and constant_choice(words):
                continue  # `--sched constant` selects a constant schedule on purpose

            have.add((f.code, f.line))
            out.append(replace(f, message=f"with {words}: {f.message}",
                               severity="warning" if f.severity == "error" else f.severity))
    return out
