"""Run-time sizes as symbols: findings that hold for every value of ``len(loader)``.

A script that sizes its schedule from ``len(train_loader)``, ``len(dataset)`` or a loop over a loader of unstated
length has no single curve: its numbers depend on sizes only the run knows. Each such size is a positive-integer
symbol (one per distinct ``X`` of ``len(X)`` / ``for b in X``). The file is analysed again with several values of
the symbols, varied independently, and a finding is reported only when every one of those runs has it (the same
rule at the same line): a relation such as a warm-up of ``0.1 * N * E`` steps against a run of ``N * E`` holds for
all of them, a coincidence of one value does not. Its message shows the numbers of the first run and says so.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any, Callable

from .results import Finding

#: values tried for the symbols; the first is the one the text and notes show (extract.build.ASSUMED_LEN). Each is
#: large beside the constants scripts combine sizes with (``len(loader) // accum``, a warm-up of 100 steps) and
#: they are not multiples of one another: a tiny loader (7 batches, where ``len(loader) // 8`` is 0) made the
#: constructor degenerate, so a real 8x mismatch (LR103) was dropped as "not for every size" (recall audit, F3)
SAMPLES = (100, 337, 1000)
#: values tried for the number of processes (extract/run_sizes.py); the first, one process, is the one shown
WORLD_SAMPLES = (1, 8, 3)


def _chooser(j: int) -> tuple[Callable[[str], int], dict[str, int]]:
    order: dict[str, int] = {}

    def value(text: str) -> int:
        if text not in order:
            order[text] = len(order)
        from .extract.run_sizes import WORLD

        if text == WORLD:
            return WORLD_SAMPLES[j % len(WORLD_SAMPLES)]
        if not j:
            return SAMPLES[0]
        # every later run gives each size one of the other values, and across those runs each size takes every
        # one of them (a size numbered 2 once got 100 and 7 but never 1000), while sizes differ from each other
        rest = SAMPLES[1:]
        return rest[(order[text] + j - 1) % len(rest)]

    return value, order


_WORLD_TEXT = re.compile(r"the number of processes|world_size|WORLD_SIZE|num_processes|device_count|SLURM_NTASKS")
_NUMBER = re.compile(r"\d+(\.\d+)?(e[-+]?\d+)?")


def _key(f: Finding) -> tuple[str, int, str]:
    """The same rule, line and wording up to its numbers: the same relation (a warm-up "as long as or longer than
    training" for every size), not the same code for different reasons (a run that stops early for small sizes
    and overruns for large ones)."""
    return f.code, f.line, _NUMBER.sub("#", f.message)


def _mentioned(facts: Any, names: list[str]) -> list[str]:
    """The sizes the schedules depend on: those their unresolved values name, else the batch loops' iterables."""
    from .extract.values import symbol_text
    from .facts import Unknown

    texts: list[str] = []
    for s in facts.schedulers:
        for v in list(s.args.values()) + [s.horizon]:
            if isinstance(v, Unknown):
                texts.append(v.reason + " " + (v.expression or ""))
    blob = " ".join(texts)
    from .extract.run_sizes import WORLD, WORLD_WORDS

    used = [n for n in names if f"len({n})" in blob or (n == WORLD and _WORLD_TEXT.search(blob))]
    if not used:
        loops = {symbol_text(lp.iter_text) for lp in facts.loops if lp.kind == "batch"}
        used = [n for n in names if n in loops]
    return used


def depends_on_sizes(facts: Any) -> bool:
    for s in facts.schedulers:
        if s.stepped == "never":
            continue
        if s.assumed_args is not None or s.assumed_horizon is not None:
            return True
    return False


def symbolic_findings(module: Any, text: str, path: str, display: str, opts: Any, ext: Any,
                      findings: list[Finding]) -> list[Finding]:
    if not depends_on_sizes(ext.facts):
        return []
    from .analyze import run_checks
    from .extract.build import extract
    from .simulate import SimOptions, simulate_scheduler

    runs: list[list[Finding]] = []
    names: dict[str, int] = {}
    for j in range(len(SAMPLES)):
        value, order = _chooser(j)
        try:
            alt = extract(module, path, text=text, display=display, overrides=dict(opts.overrides) or None,
                          symbols=value)
        except (RecursionError, ValueError, TypeError, KeyError, AttributeError, IndexError):
            return []
        facts = alt.facts if display == alt.facts.path else replace(alt.facts, path=display)
        curves = {s.id: simulate_scheduler(facts, s, SimOptions()) for s in facts.schedulers}
        runs.append(run_checks(facts, curves, opts))
        if j == 0:
            names = dict(order)
            # only findings the default run does not have can be added: none, no further run is needed
            runs[-1] = [f for f in runs[-1] if (f.code, f.line) not in {(g.code, g.line) for g in findings}]
        if not runs[-1]:
            return []
    have = {(f.code, f.line) for f in findings}
    common = {_key(f) for f in runs[0]}
    for r in runs[1:]:
        common &= {_key(f) for f in r}
    used = _mentioned(ext.facts, list(names))
    from .extract.run_sizes import WORLD, WORLD_WORDS

    sizes = ", ".join(WORLD_WORDS if n == WORLD else f"len({n})" for n in used) or "the sizes only the run knows"
    shown = ", ".join(f"{WORLD_WORDS} = {WORLD_SAMPLES[0]}" if n == WORLD else f"len({n}) = {SAMPLES[0]}"
                      for n in used) or f"each size = {SAMPLES[0]}"
    out: list[Finding] = []
    seen: set[tuple[str, int]] = set()
    for f in runs[0]:
        key = (f.code, f.line)
        if _key(f) not in common or key in have or key in seen:
            continue
        seen.add(key)
        out.append(replace(f, message=f"{f.message} (this holds for every value of {sizes}; the numbers shown are "
                                      f"for {shown})"))
    return out
