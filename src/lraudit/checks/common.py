"""Small helpers the checks share: names, numbers, run lengths, curve reading and unit evidence.

Everything here is a pure function of facts and curves. Rules decide in their own modules; the few judgements
several rules share live here so that one mistake gives one finding: :func:`unit_mismatch` (LR201: a schedule
stepped in a unit other than the one it is sized in; the shape rules stay quiet when it holds),
:func:`competing_pairs` (LR301: two writers on one optimizer; LR101/LR102 then distrust the combined curve),
:func:`steps_every_iteration` and :func:`trusted_points` (whether a simulated curve is the rate the run sees).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from ..facts import FileFacts, Known, Location, OptimizerFact, SchedulerFact, StepSite, Unknown, Value
from ..results import Curve

# ------------------------------------------------------------------------------------------- class sets

#: Schedules whose rate goes up by design (cycles, restarts, one-cycle warm-up, SWA annealing, metric-driven).
CYCLIC: frozenset[str] = frozenset({
    "CyclicLR", "OneCycleLR", "CosineAnnealingWarmRestarts", "SWALR",
    "get_cosine_with_hard_restarts_schedule_with_warmup", "CosineDecayRestarts", "GreedyLR",
    "get_greedy_schedule", "ReduceLROnPlateau", "get_reduce_on_plateau_schedule", "PlateauLRScheduler",
    # ignite's cyclical param schedulers restart at every cycle_size events
    "CosineAnnealingScheduler", "LinearCyclicalScheduler",
    # config families: mmcv 1.x lr_config policies, mmengine's restarts
    "CyclicLrUpdaterHook", "OneCycleLrUpdaterHook", "CosineRestartLrUpdaterHook", "CosineRestartLR",
})

#: Metric-driven schedulers (stepped with a monitored value).
PLATEAU: frozenset[str] = frozenset({
    "ReduceLROnPlateau", "get_reduce_on_plateau_schedule", "PlateauLRScheduler",
})

#: Classes that overwrite the rate from their own formula at every step (a manual write or a second
#: chainable scheduler is erased at their next step).
CLOSED_FORM: frozenset[str] = frozenset({
    "LambdaLR", "CosineAnnealingWarmRestarts", "CyclicLR", "OneCycleLR", "LearningRateScheduler",
    "CosineLRScheduler", "StepLRScheduler", "MultiStepLRScheduler", "PolyLRScheduler", "TanhLRScheduler",
    "WSDLRScheduler",
})

#: Classes that can only keep or lower the optimizer's rate when their factors are in range.
DECAY_ONLY: frozenset[str] = frozenset({
    "StepLR", "MultiStepLR", "ExponentialLR", "CosineAnnealingLR", "PolynomialLR", "ConstantLR", "LinearLR",
    "ReduceLROnPlateau",
})

#: Classes whose rate ignores the optimizer's lr (they write their own base and peak).
#: pytorch_warmup's wrappers (qualified-name prefix): they dampen the schedulers listed as their children
DAMPENING = "pytorch_warmup."

IGNORES_OPTIMIZER_LR: frozenset[str] = frozenset({"OneCycleLR", "CyclicLR",
                                                   # ignite's param schedulers write absolute values
                                                   "CosineAnnealingScheduler", "LinearCyclicalScheduler",
                                                   "PiecewiseLinear", "ConcatScheduler",
                                                   "create_lr_scheduler_with_warmup",
                                                   # mmcv 1.x OneCycle starts at max_lr / div_factor
                                                   "OneCycleLrUpdaterHook"})


# ------------------------------------------------------------------------------------------- names


def short(cls: str | None) -> str:
    """``torch.optim.lr_scheduler.StepLR`` -> ``StepLR``; ``custom:WarmupLR`` -> ``WarmupLR``."""
    if not cls:
        return "?"
    tail = cls.split(":", 1)[-1]
    return tail.rsplit(".", 1)[-1]


#: how messages name an object of unknown class (extract/unknown.py); runner.dedupe_linked prefers a linked file's
#: finding at the same place, where the caller supplies the class
UNKNOWN_CLASS_MARK = "(class unknown here)"


def sched_label(s: SchedulerFact) -> str:
    """How a message names a scheduler: its class, plus the variable when there is one."""
    if s.framework == "unknown":  # a parameter or attribute used as a scheduler (extract/unknown.py)
        return f"{s.variable or 'the scheduler'} {UNKNOWN_CLASS_MARK}"
    name = short(s.cls)
    if s.variable and s.variable != name:
        return f"{name} ({s.variable})"
    return name


def opt_label(o: OptimizerFact | None) -> str:
    if o is None:
        return "the optimizer"
    if o.framework == "unknown":
        return f"{o.variable or 'the optimizer'} {UNKNOWN_CLASS_MARK}"
    name = short(o.cls)
    if o.variable and o.variable != name:
        return f"{name} ({o.variable})"
    return name


# ------------------------------------------------------------------------------------------- numbers


def num(v: Value | None) -> float | None:
    """The number inside a Known int/float (not bool), else None."""
    if isinstance(v, Known) and isinstance(v.value, (int, float)) and not isinstance(v.value, bool):
        if isinstance(v.value, float) and not math.isfinite(v.value):
            return None
        return v.value
    return None


def arg_num(s: SchedulerFact, name: str) -> float | None:
    return num(s.args.get(name))


def arg_plain(s: SchedulerFact, name: str) -> Any:
    """The plain value of a Known argument (any type), else None."""
    v = s.args.get(name)
    return v.value if isinstance(v, Known) else None


def is_default(v: Value | None) -> bool:
    """True when the value came from the library's own default (not written in the script)."""
    return isinstance(v, Known) and v.source.endswith("default") and " of " not in v.source


def fmt(x: float | int | None) -> str:
    """Compact number: 0.1, 1e-05, 0.0025, 30, 3.2."""
    if x is None:
        return "?"
    if isinstance(x, bool):
        return str(x)
    if isinstance(x, int):
        return str(x)
    if not math.isfinite(x):
        return str(x)
    if x == int(x) and abs(x) < 1e6:
        return str(int(x))
    return f"{x:.3g}"


def fmt_value(v: Any) -> str:
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        return fmt(v)
    if isinstance(v, str):
        return repr(v)
    if isinstance(v, (list, tuple)):
        inner = ", ".join(fmt_value(x) for x in v)
        return f"[{inner}]"
    return repr(v)


def pct(x: float) -> str:
    """0.01 -> '1%', 0.005 -> '0.5%'."""
    p = x * 100
    return f"{p:.3g}%"


def plural(n: float | int, word: str) -> str:
    n_txt = fmt(n)
    return f"{n_txt} {word}" if n == 1 else f"{n_txt} {word}s"


# ------------------------------------------------------------------------------------------- locations


def arg_loc(s: SchedulerFact, *names: str) -> Location:
    """Where the first of ``names`` is written in the constructor call, else the constructor itself."""
    for n in names:
        loc = s.arg_locs.get(n)
        if loc is not None:
            return loc
    return s.loc


# ------------------------------------------------------------------------------------------- optimizers


def optimizer_lr(o: OptimizerFact | None) -> float | None:
    """The optimizer's base rate (first group), Keras ``learning_rate`` included."""
    if o is None or o.lr_is_schedule:
        return None
    lr = num(o.lr)
    if lr is None and o.framework == "keras":
        lr = num(o.params.get("learning_rate"))
    return lr


def group_lrs(o: OptimizerFact) -> list[tuple[float, Location | None]]:
    """Each parameter group's rate with where it is written; groups with unknown rates are left out.

    Returns an empty list when any group's rate is unknown (the caller then knows too little)."""
    if o.groups:
        out: list[tuple[float, Location | None]] = []
        for g in o.groups:
            x = num(g.lr)
            if x is None:
                return []
            out.append((x, g.loc))
        return out
    lr = optimizer_lr(o)
    return [(lr, o.lr_arg_loc)] if lr is not None else []


# ------------------------------------------------------------------------------------------- run length


@dataclass(frozen=True)
class RunLength:
    """How many times a scheduler is stepped over the run, as the script states it."""

    steps: int
    source: str
    unit: str  # "epoch" or "step"
    offset: int = 0  # for a SequentialLR child: where it starts in its parent's time
    upper: bool = False  # only an upper bound: another exit of the loop may end the run sooner


def unit_of(s: SchedulerFact) -> str:
    return "epoch" if s.stepped == "epoch" else "step"


def run_length(facts: FileFacts, s: SchedulerFact) -> RunLength | None:
    """The scheduler's stated number of steps over the run, or None (quiet when unknown).

    For a child of SequentialLR it is the stretch the child is active (from its milestone to the end of the run
    for the last child, between milestones otherwise); for a child of ChainedScheduler the parent's length.
    """
    if s.parent is not None:
        parent = facts.scheduler(s.parent)
        if parent is None:
            return None
        prl = run_length(facts, parent)
        if prl is None:
            return None
        if short(parent.cls) == "ChainedScheduler":
            return RunLength(prl.steps, prl.source, prl.unit, prl.offset, prl.upper)
        if short(parent.cls) == "SequentialLR":
            seg = sequential_segment(parent, s.id)
            if seg is None:
                return None
            start, end = seg
            stop = prl.steps if end is None else min(end, prl.steps)
            if stop <= start:
                return RunLength(0, prl.source, prl.unit, prl.offset + start, prl.upper)
            return RunLength(stop - start, prl.source, prl.unit, prl.offset + start, prl.upper)
        return None
    derived = _from_step_loops(facts, s)
    if isinstance(derived, RunLength):
        return derived
    h = s.horizon
    if not (isinstance(h, Known) and isinstance(h.value, (int, float)) and not isinstance(h.value, bool)
            and h.value > 0):
        return None
    if derived == "unknown":
        # the file-wide horizon describes the main training loop; trust it only for a scheduler stepped there
        main = {facts.horizon.epoch_loop, facts.horizon.batch_loop} - {None}
        if not any(main & set(loop_chain(facts, st.loop_id)) for st in _loop_sites(s)):
            return None
    source = s.horizon_source or h.source
    return RunLength(int(h.value), source, unit_of(s), upper="; at most:" in source or "; at most:" in h.source)


def _loop_sites(s: SchedulerFact) -> list[StepSite]:
    return [st for st in s.step_sites if st.kind == "scheduler" and not st.conditional
            and st.context in ("epoch", "batch") and st.loop_id is not None]


def _from_step_loops(facts: FileFacts, s: SchedulerFact) -> RunLength | str | None:
    """The number of steps the loops around the scheduler's own step() calls give it: the epoch loop's count
    for a per-epoch step, batches x epochs for a per-batch one. "unknown" when a count is not stated, None
    when the scheduler has no unconditional step() in a loop (a framework steps it)."""
    sites = _loop_sites(s)
    if not sites:
        return None
    found: set[tuple[int, str]] = set()
    for st in sites:
        total, words = 1, []
        chain = loop_chain(facts, st.loop_id)
        if not any((facts.loop(lid) or st).kind == "epoch" for lid in chain if facts.loop(lid) is not None) \
                and st.via is not None and st.context == "batch":
            # a batch loop in a helper called from an epoch loop: the run is that loop times the caller's epochs
            h = facts.horizon
            if h.batch_loop in chain and h.epoch_loop is not None and h.epoch_loop not in chain:
                chain = chain + loop_chain(facts, h.epoch_loop)
            else:
                return "unknown"
        for lid in chain:
            lp = facts.loop(lid)
            if lp is None:
                return "unknown"
            if lp.kind not in ("epoch", "batch", "iteration"):
                return "unknown"  # a loop of unknown kind around the step: its count may not be a run length
            if not isinstance(lp.count, Known) or not isinstance(lp.count.value, int) or lp.count.value <= 0:
                return "unknown"
            total *= lp.count.value
            src = lp.count.source
            words.append(f"the {lp.kind} loop at {facts.path.rsplit('/', 1)[-1]}:{lp.loc.line}"
                         + (f" ({src})" if src and src != "literal" else ""))
            if lp.kind == "epoch":
                break  # loops around the epoch loop (folds, trials) repeat the run; they do not lengthen it
        found.add((total, " x ".join(words)))
    if len({n for n, _ in found}) != 1:
        return "unknown"  # stepped from loops of different lengths
    n, words = sorted(found)[0]
    return RunLength(n, words, "epoch" if all(st.context == "epoch" for st in sites) else "step")


def sequential_segment(parent: SchedulerFact, child_id: str) -> tuple[int, int | None] | None:
    """(start, end) of a SequentialLR child in its parent's steps; end None for the last child."""
    ms = arg_plain(parent, "milestones")
    if not isinstance(ms, (list, tuple)) or not all(_is_int(m) for m in ms):
        return None
    if child_id not in parent.children:
        return None
    i = parent.children.index(child_id)
    if len(ms) != len(parent.children) - 1:
        return None
    bounds = [0] + [int(m) for m in ms]
    start = bounds[i]
    end = bounds[i + 1] if i + 1 < len(bounds) else None
    return start, end


def _is_int(x: Any) -> bool:
    return isinstance(x, int) and not isinstance(x, bool)


def tidy(text: str, path: str) -> str:
    """Shorten provenance that points into the analysed file itself: 'train.py:48' -> 'line 48'."""
    base = path.replace("\\", "/").rsplit("/", 1)[-1]
    if not base:
        return text
    return re.sub(r"(?<![\w.-])(?:[\w./\\-]*[/\\])?" + re.escape(base) + r":(\d+)", r"line \1", text)


def when(k: int, unit: str, total: int | None = None) -> str:
    """'epoch 3 of 90' / 'step 1200 of 5000' (k counts scheduler steps from 0, like a loop variable)."""
    word = "epoch" if unit == "epoch" else "step"
    return f"{word} {k} of {total}" if total else f"{word} {k}"


def steps_phrase(n: int | float, unit: str) -> str:
    return plural(n, "epoch" if unit == "epoch" else "step")


# ------------------------------------------------------------------------------------------- curves


def curve_points(c: Curve | None) -> list[tuple[int, float]]:
    """(step, lr) pairs of a known curve; empty when unknown."""
    if c is None or c.lr is None:
        return []
    if c.steps is None:
        return list(enumerate(c.lr))
    return list(zip(c.steps, c.lr))


def finite(values: Iterable[float]) -> list[float]:
    return [v for v in values if math.isfinite(v)]


# ------------------------------------------------------------------------------------------- evidence

_STEP_WORDS = re.compile(
    r"len\(|iter(?!al)|steps?_per|(?<!lr_)(?<!lr-)(?<!lr\.)steps\b|batches|updates|estimated_stepping"
    # a per-epoch length (``epoch_length``, ``--epoch-size``): a count within an epoch, or epochs x it, is in steps
    r"|epoch[_\- ]?(?:length|len|size)\b"
)
_EPOCH_WORDS = re.compile(r"epoch")
_PER_EPOCH = re.compile(r"per[_\- ]epoch")
_FILE_REF = re.compile(r"[\w./\\-]+\.(?:py|ipynb|ya?ml|json|toml|cfg|ini)\b(?::\d+)?")


def provenance(v: Value | None) -> str:
    """The words lraudit has about where a value came from (its source, or why it is unknown)."""
    if isinstance(v, Known):
        return v.source
    if isinstance(v, Unknown):
        return v.reason
    return ""


def text_unit(v: Value | None) -> str | None:
    """'step' when the value's provenance names steps/iterations/a loader length, 'epoch' when it names epochs
    (and nothing step-like), else None. Library defaults carry no evidence."""
    if v is None or is_default(v):
        return None
    text = _FILE_REF.sub(" ", provenance(v).lower())
    if _STEP_WORDS.search(text):
        return "step"
    if _EPOCH_WORDS.search(_PER_EPOCH.sub("", text)):
        return "epoch"
    return None


#: Per class: the argument that sets a decay period or length, and whether comparing its value with the epoch
#: count is evidence of the unit (decay periods yes; warm-up lengths no: a 50-step warm-up is normal).
_LENGTH_ARG: dict[str, tuple[str, bool]] = {
    "StepLR": ("step_size", True),
    "MultiStepLR": ("milestones", True),
    "CosineAnnealingLR": ("T_max", True),
    "PolynomialLR": ("total_iters", True),
    "CosineAnnealingWarmRestarts": ("T_0", True),
    "LinearLR": ("total_iters", False),
    "ConstantLR": ("total_iters", False),
    "SWALR": ("anneal_epochs", False),
    "SequentialLR": ("milestones", True),
}


def length_number(v: Value | None) -> float | None:
    """A length argument as one number (the largest milestone for lists)."""
    if isinstance(v, Known):
        x = v.value
        if isinstance(x, (list, tuple)):
            nums = [m for m in x if isinstance(m, (int, float)) and not isinstance(m, bool)]
            return max(nums) if nums and len(nums) == len(x) else None
        return num(v)
    return None


@dataclass(frozen=True)
class Mismatch:
    sized: str  # "epochs" or "steps"
    stepped: str  # "batch" or "epoch", with who steps it when a framework does ("epoch (Lightning default ...)")
    site: StepSite | None  # the step() call at fault; None when a framework steps the scheduler
    loc: Location  # where to report: the step call, else the scheduler's constructor
    arg: str  # the length argument that shows the unit
    evidence: str  # words: "step_size=30 and the run has 90 epochs"
    consequence: str


def epochs_of_run(facts: FileFacts) -> tuple[int, str] | None:
    e = facts.horizon.epochs
    if isinstance(e, Known) and isinstance(e.value, (int, float)) and not isinstance(e.value, bool) and e.value > 0:
        return int(e.value), e.source
    return None


_LEN_CALL = re.compile(r"len\([^()]*(?:\([^()]*\))?[^()]*\)")


def _value_words(name: str, v: Value | None) -> str:
    if isinstance(v, Known):
        src = v.source
        shown = f"{name}={fmt_value(v.value)}"
        if src and src not in ("literal",) and not is_default(v):
            shown += f" from {src}"
        return shown
    m = _LEN_CALL.search(provenance(v))
    if m:
        return f"{name} uses {m.group(0)}"
    return f"{name} ({provenance(v)})"


def unit_mismatch(facts: FileFacts, s: SchedulerFact) -> Mismatch | None:
    """A schedule sized in epochs stepped per batch, or one sized in steps stepped per epoch / fed an epoch.

    Decided from evidence only: the length's value compared with the run's epoch count (for decay periods), and
    the words of its provenance; never from the class alone when the value is unknown.
    """
    parent = facts.scheduler(s.parent) if s.parent is not None else None
    dampened = parent is not None and parent.cls.startswith(DAMPENING)
    if (s.parent is not None and not dampened) or s.framework not in ("torch", "hf"):
        return None
    if s.cls.startswith(DAMPENING):
        # a pytorch_warmup wrapper is as wrong as the scheduler it dampens (LR201 reports that scheduler)
        for cid in s.children:
            child = facts.scheduler(cid)
            m = unit_mismatch(facts, child) if child is not None else None
            if m is not None:
                return m
        return None
    name = short(s.cls)
    if name in PLATEAU or s.cls.startswith("custom:"):
        return None
    sites = [st for st in s.step_sites if st.kind == "scheduler"]
    if dampened and parent is not None:
        # stepped inside the wrapper's dampening() blocks (or before its dampen() calls)
        sites = [st for st in parent.step_sites if st.kind == "scheduler"]
    epochs = epochs_of_run(facts)
    if not sites:
        return _framework_mismatch(facts, s, epochs)
    # 1. sized in epochs, stepped per batch (unconditionally, no argument: a fractional epoch is fine)
    batch_sites = [st for st in sites if st.context == "batch" and not st.conditional and st.arg is None]
    if batch_sites and s.stepped == "batch" and batch_loop_bound(facts, s, batch_sites[0]) is None:
        ev = _epoch_sized_evidence(s, epochs, epoch_loop_bound(facts, s, batch_sites[0]))
        if ev is not None:
            argname, evidence, consequence = ev
            return Mismatch("epochs", "batch", batch_sites[0], batch_sites[0].loc, argname,
                            tidy(evidence, facts.path), consequence)
    # 2. sized in steps, stepped per epoch
    epoch_sites = [st for st in sites if st.context == "epoch"]
    if epoch_sites and s.stepped == "epoch":
        ev = _step_sized_evidence(s, epochs, batch_loop_bound(facts, s, epoch_sites[0]))
        if ev is not None:
            argname, evidence, consequence = ev
            return Mismatch("steps", "epoch", epoch_sites[0], epoch_sites[0].loc, argname,
                            tidy(evidence, facts.path), consequence)
    # 3. sized in steps, fed an epoch index
    fed = [st for st in sites if st.arg_kind == "epoch" and st.context in ("batch", "epoch")]
    if fed and name not in ("CosineAnnealingWarmRestarts",):
        ev = _step_sized_evidence(s, epochs)
        if ev is not None:
            argname, evidence, _ = ev
            st = fed[0]
            return Mismatch("steps", "epoch", st, st.loc, argname, tidy(evidence, facts.path),
                            f"step({st.arg_text}) sets its step counter to the epoch index, so it advances once "
                            f"per epoch instead of once per optimizer step")
    return None


def _framework_mismatch(facts: FileFacts, s: SchedulerFact, epochs: tuple[int, str] | None) -> Mismatch | None:
    """A scheduler a framework steps (Lightning's interval, ...), with no step() call in the file."""
    if s.stepped not in ("epoch", "batch"):
        return None
    who = ""
    if isinstance(s.interval, Known):
        who = f" ({s.interval.source}: interval={fmt_value(s.interval.value)})"
    if s.stepped == "batch":
        ev = _epoch_sized_evidence(s, epochs)
        if ev is not None:
            return Mismatch("epochs", "batch" + who, None, s.loc, ev[0], tidy(ev[1], facts.path), ev[2])
        return None
    ev = _step_sized_evidence(s, epochs)
    if ev is not None:
        return Mismatch("steps", "epoch" + who, None, s.loc, ev[0], tidy(ev[1], facts.path), ev[2])
    return None


_RANGE_BOUND = re.compile(r"^(?:tqdm\(|trange\()?\s*(?:range\()?\s*(?:[^,()]+,\s*)?(?P<bound>[A-Za-z_][\w.]*)"
                          r"(?:\s*\+\s*1)?\s*\)")


def epoch_loop_bound(facts: FileFacts, s: SchedulerFact, site: StepSite) -> tuple[str, str] | None:
    """(argument name, evidence) when the scheduler's length argument is written as the bound of an epoch loop
    around ``site`` in the scheduler's own function (``T_max=n`` with ``for epoch in range(n)``): it counts epochs,
    whatever its value."""
    spec = _LENGTH_ARG.get(short(s.cls))
    if spec is None:
        return None
    argname = spec[0]
    text = s.arg_texts.get(argname)
    if not text:
        return None
    for lid in loop_chain(facts, site.loop_id):
        lp = facts.loop(lid)
        if lp is None or lp.kind != "epoch" or lp.function != s.function:
            continue
        m = _RANGE_BOUND.match(lp.iter_text.strip())
        if m and m.group("bound") == text.strip():
            return argname, f"{argname}={text} is the bound of the epoch loop at line {lp.loc.line}"
    return None


def _loop_bound_text(lp: LoopFact) -> str | None:
    """What a loop counts to, as written: ``n`` for ``range(n)`` / ``range(1, n + 1)`` / ``tqdm(range(n))``,
    ``len(loader)`` for ``for x in loader`` / ``enumerate(loader)`` / ``tqdm(loader)``."""
    it = lp.iter_text.strip()
    m = _RANGE_BOUND.match(it)
    if m and re.match(r"^(?:tqdm\(|trange\()?\s*range\(|^trange\(", it):
        return m.group("bound")
    m = re.match(r"^(?:enumerate\(|tqdm\(|iter\()*\s*(?P<it>[A-Za-z_][\w.]*)\s*[,)]", it + ")")
    if m and not m.group("it").startswith(("range", "trange", "zip", "enumerate", "tqdm")):
        return f"len({m.group('it')})"
    return None


def batch_loop_bound(facts: FileFacts, s: SchedulerFact, site: StepSite) -> tuple[str, str] | None:
    """(argument name, evidence) when the scheduler's length argument is written as the bound of a batch (or
    iteration) loop of its training: the loop around ``site`` (``T_max=max_iter`` stepped in ``for it in
    range(max_iter)``) or a batch loop inside the epoch loop that steps it (``T_max=len(train_loader)`` with ``for x
    in train_loader``). It counts batches, whatever its value."""
    spec = _LENGTH_ARG.get(short(s.cls))
    if spec is None:
        return None
    argname = spec[0]
    text = re.sub(r"\s+", "", s.arg_texts.get(argname) or "")
    if not text:
        return None
    chain = loop_chain(facts, site.loop_id)
    for lp in facts.loops:
        if lp.kind not in ("batch", "iteration") or lp.function != s.function:
            continue
        around = lp.id in chain
        inside = facts.loop(lp.parent) is not None and lp.parent in chain and site.context == "epoch"
        if not (around or inside):
            continue
        bound = _loop_bound_text(lp)
        if bound is not None and re.sub(r"\s+", "", bound) == text:
            return argname, f"{argname}={s.arg_texts[argname]} is the bound of the batch loop at line {lp.loc.line}"
    return None


def _epoch_sized_evidence(s: SchedulerFact, epochs: tuple[int, str] | None,
                          loop_bound: tuple[str, str] | None = None) -> tuple[str, str, str] | None:
    name = short(s.cls)
    spec = _LENGTH_ARG.get(name)
    if spec is None:
        return None
    argname, value_counts = spec
    v = s.args.get(argname)
    words = text_unit(v)
    if words == "step":
        return None
    length = length_number(v)
    shown = _value_words(argname, v)
    if loop_bound is not None and loop_bound[0] == argname:
        evidence = loop_bound[1]
    elif words == "epoch":
        evidence = shown
    elif value_counts and length is not None and epochs is not None and 0 < length <= epochs[0]:
        evidence = f"{shown}, and the run has {plural(epochs[0], 'epoch')}"
    else:
        return None
    consequence = {
        "StepLR": f"it decays every {fmt(length)} batches instead of every {fmt(length)} epochs",
        "MultiStepLR": "its milestones pass within the first epochs' batches, so every decay happens almost at once",
        "CosineAnnealingLR": f"it completes a cosine every {fmt(length)} batches and then climbs back, cycling "
                             f"many times per run",
        "PolynomialLR": f"it reaches 0 after {fmt(length)} batches and stays there",
        "CosineAnnealingWarmRestarts": f"it restarts every {fmt(length)} batches instead of every "
                                       f"{fmt(length)} epochs",
        "SequentialLR": "it switches schedules after a few batches instead of a few epochs",
        "LinearLR": f"its {fmt(length)}-epoch ramp is over after {fmt(length)} batches",
        "ConstantLR": f"its {fmt(length)}-epoch hold is over after {fmt(length)} batches",
        "SWALR": f"its {fmt(length)}-epoch annealing is over after {fmt(length)} batches",
    }.get(name, "it runs its course within a few batches")
    if length is None:
        consequence = consequence.replace("every ? batches", "much too fast").replace("after ? batches", "too early")
    return argname, evidence, consequence


def _step_sized_evidence(s: SchedulerFact, epochs: tuple[int, str] | None,
                         loop_bound: tuple[str, str] | None = None) -> tuple[str, str, str] | None:
    name = short(s.cls)
    e = epochs[0] if epochs else None
    if name == "OneCycleLR":
        spe = s.args.get("steps_per_epoch")
        total = s.args.get("total_steps")
        if num(total) is None and not isinstance(total, Unknown):
            # sized by epochs x steps_per_epoch
            if isinstance(spe, Known) and spe.value in (None, 1):
                return None
            if spe is None:
                return None
            return ("steps_per_epoch", f"{_value_words('steps_per_epoch', spe)}",
                    "it never leaves its warm-up: the rate stays far below max_lr and the annealing never happens")
        return _by_value_or_words(s, "total_steps", total, e,
                                  "it never leaves its warm-up: the rate stays far below max_lr")
    if name == "CyclicLR":
        v = s.args.get("step_size_up")
        return _by_value_or_words(s, "step_size_up", v, e, "a single half-cycle outlasts the run")
    if s.framework == "hf":
        if "num_training_steps" in s.args:
            return _by_value_or_words(s, "num_training_steps", s.args.get("num_training_steps"), e,
                                      "the schedule barely moves over the run")
        if "num_warmup_steps" in s.args:
            return _by_value_or_words(s, "num_warmup_steps", s.args.get("num_warmup_steps"), e,
                                      "the warm-up lasts far longer than intended", value_counts=False)
        return None
    spec = _LENGTH_ARG.get(name)
    if spec is None:
        return None
    argname, _ = spec
    v = s.args.get(argname)
    consequence = "it advances once per epoch, so it covers a tiny part of its length over the run"
    if text_unit(v) == "step":
        return (argname, f"{_value_words(argname, v)}", consequence)
    if loop_bound is not None and loop_bound[0] == argname and text_unit(v) != "epoch":
        return argname, loop_bound[1], consequence
    return None


def _by_value_or_words(s: SchedulerFact, argname: str, v: Value | None, epochs: int | None, consequence: str,
                       value_counts: bool = True) -> tuple[str, str, str] | None:
    words = text_unit(v)
    if words == "epoch":
        return None
    if words == "step":
        return argname, f"{_value_words(argname, v)}", consequence
    length = length_number(v)
    if value_counts and length is not None and epochs is not None and length > 2 * epochs:
        return argname, f"{_value_words(argname, v)}, far more than the run's {plural(epochs, 'epoch')}", \
            consequence
    return None


# ------------------------------------------------------------------------------------------- own lengths


def own_end(facts: FileFacts, s: SchedulerFact) -> int | None:
    """The step where the schedule's own design ends (reaches its final value), when it has one.

    CosineAnnealingLR: T_max; PolynomialLR/LinearLR/ConstantLR: total_iters; OneCycleLR: its total; HF schedules:
    num_training_steps; SequentialLR: the last child's end plus its milestone. None when unbounded or unknown.
    """
    name = short(s.cls)
    if name == "CosineAnnealingLR":
        return _int_or_none(arg_num(s, "T_max"))
    if name in ("PolynomialLR", "LinearLR", "ConstantLR"):
        return _int_or_none(arg_num(s, "total_iters"))
    if name == "OneCycleLR":
        t = onecycle_total(s)
        return t[0] if t else None
    if s.framework == "hf":
        return _int_or_none(arg_num(s, "num_training_steps"))
    if name == "SequentialLR":
        ms = arg_plain(s, "milestones")
        if not s.children or not isinstance(ms, (list, tuple)) or len(ms) != len(s.children) - 1:
            return None
        last = facts.scheduler(s.children[-1])
        if last is None:
            return None
        end = own_end(facts, last)
        if end is None or not ms or not all(_is_int(m) for m in ms):
            return None if end is None else (end + (int(ms[-1]) if ms else 0))
        return end + int(ms[-1])
    return None


def _int_or_none(x: float | None) -> int | None:
    if x is None or x <= 0:
        return None
    return int(x)


def onecycle_total(s: SchedulerFact) -> tuple[int, str] | None:
    """OneCycleLR's number of steps and how it is given."""
    total = s.args.get("total_steps")
    t = num(total)
    if t is not None and t > 0:
        return int(t), f"total_steps={fmt(t)}"
    e, spe = arg_num(s, "epochs"), arg_num(s, "steps_per_epoch")
    if e is not None and spe is not None and e > 0 and spe > 0:
        return int(e * spe), f"epochs x steps_per_epoch = {fmt(e)} x {fmt(spe)}"
    return None


# ------------------------------------------------------------------------------------------- misc


def top_level(facts: FileFacts) -> Iterator[SchedulerFact]:
    for s in facts.schedulers:
        if s.parent is None:
            yield s


def descendants(facts: FileFacts, s: SchedulerFact) -> list[SchedulerFact]:
    out: list[SchedulerFact] = []
    for cid in s.children:
        c = facts.scheduler(cid)
        if c is not None:
            out.append(c)
            out.extend(descendants(facts, c))
    return out


def family_names(facts: FileFacts, s: SchedulerFact) -> set[str]:
    """Short class names of the scheduler and everything it wraps."""
    return {short(s.cls)} | {short(c.cls) for c in descendants(facts, s)}


# ------------------------------------------------------------------------------------------- stepping


def steps_every_iteration(facts: FileFacts, s: SchedulerFact) -> bool:
    """True when the scheduler (or its wrapper) is stepped on every pass of a training loop, so a curve over the
    run's length is the rate the run sees. Schedulers stepped only under a condition (a warm-up stepped while
    ``epoch < warmup``) are not: the simulation cannot know how often the condition holds. Framework-driven
    schedulers (no step call in the file, ``stepped`` set by an adapter) count as stepped every time."""
    target = facts.scheduler(s.parent) if s.parent is not None else s
    if target is None:
        return False
    sites = [st for st in target.step_sites if st.kind == "scheduler"]
    if not sites:
        return target.stepped in ("batch", "epoch")
    return any(not st.conditional and st.context in ("batch", "epoch") for st in sites)


def active_writer(s: SchedulerFact) -> bool:
    """Stepped unconditionally inside a training loop (so it writes the rate on every pass)."""
    return s.framework != "manual" and any(
        st.kind == "scheduler" and not st.conditional and st.context in ("batch", "epoch") for st in s.step_sites)


def overwrites_rate(s: SchedulerFact) -> bool:
    """Schedulers that recompute the rate from their own formula at every step (erasing other writers)."""
    name = short(s.cls)
    if name in PLATEAU or name in ("get_greedy_schedule", "GreedyLR"):
        return False
    return name in CLOSED_FORM or s.framework in ("hf", "timm")


def loop_chain(facts: FileFacts, loop_id: str | None) -> list[str]:
    """``loop_id`` and the ids of the loops around it, innermost first."""
    out: list[str] = []
    lp = facts.loop(loop_id)
    while lp is not None and lp.id not in out:
        out.append(lp.id)
        lp = facts.loop(lp.parent)
    return out


def stepped_together(facts: FileFacts, a: SchedulerFact, b: SchedulerFact) -> bool:
    """True when some step of ``a`` and some step of ``b`` run in the same training loop (one loop encloses the
    other), so they write the rate in the same run rather than in consecutive phases."""
    for sa in a.step_sites:
        for sb in b.step_sites:
            if sa.loop_id is None or sb.loop_id is None:
                continue
            if sa.loop_id in loop_chain(facts, sb.loop_id) or sb.loop_id in loop_chain(facts, sa.loop_id):
                return True
    return False


def competing_pairs(facts: FileFacts, opt_id: str | None) -> list[tuple[SchedulerFact, SchedulerFact]]:
    """Pairs of schedulers stepped independently on one optimizer where one erases the other (LR301)."""
    if opt_id is None:
        return []
    scheds = sorted((s for s in facts.schedulers if s.optimizer == opt_id and s.parent is None and active_writer(s)),
                    key=lambda x: x.loc)
    out: list[tuple[SchedulerFact, SchedulerFact]] = []
    for i, a in enumerate(scheds):
        for b in scheds[i + 1:]:
            if {st.loc for st in a.step_sites} == {st.loc for st in b.step_sites}:
                continue  # one variable holding one scheduler or the other
            if (overwrites_rate(a) or overwrites_rate(b)) and stepped_together(facts, a, b):
                out.append((a, b))
    return out


def keras_callback_pairs(facts: FileFacts, opt_id: str | None) -> list[tuple[SchedulerFact, SchedulerFact, int]]:
    """Pairs of Keras callbacks that set the rate of one optimizer in the same ``fit()`` (with its line), where
    one recomputes the rate from the epoch alone and so erases the other's changes (LR301)."""
    if opt_id is None:
        return []
    out: list[tuple[SchedulerFact, SchedulerFact, int]] = []
    seen: set[tuple[str, str]] = set()
    for fit in facts.extra.get("keras_fits", ()):
        ids = fit.get("callbacks") or ()
        scheds = sorted((s for s in (facts.scheduler(i) for i in ids) if s is not None and s.optimizer == opt_id
                         and (s.stepped == "epoch" or s.stepped == "batch" and _keras_class_callback(facts, s))
                         and _keras_rate_callback(facts, s)), key=lambda x: x.loc)
        for i, a in enumerate(scheds):
            for b in scheds[i + 1:]:
                if (a.id, b.id) in seen or (a.variable is not None and a.variable == b.variable):
                    continue  # one name bound to one callback or the other (if/elif branches)
                if keras_callback_erases(facts, a) or keras_callback_erases(facts, b):
                    seen.add((a.id, b.id))
                    out.append((a, b, int(fit.get("line") or 0)))
    return out


def _keras_class_callback(facts: FileFacts, s: SchedulerFact) -> Any:
    """The keras_class_sim plan of a user Callback that writes the rate, or None."""
    plan = facts.extra.get("keras_class_plans", {}).get(s.id) if s.framework == "manual" else None
    return plan if getattr(plan, "kind", None) == "callback" else None


def _keras_rate_callback(facts: FileFacts, s: SchedulerFact) -> bool:
    return (s.framework == "keras" and short(s.cls) in ("LearningRateScheduler", "ReduceLROnPlateau")) or (
        s.framework == "manual" and s.id in facts.extra.get("manual_plans", {}) and s.unit == "epoch") or (
        _keras_class_callback(facts, s) is not None)


def sets_rate_itself(facts: FileFacts, s: SchedulerFact) -> bool:
    """A class of the analysed code that writes absolute rates on the optimizer it is given (NoamOpt, AnnealingLR:
    extract/rate_writers.py): like OneCycleLR, it does not scale the optimizer's lr."""
    plan = facts.extra.get("class_plans", {}).get(s.id)
    return bool(getattr(plan, "rate_methods", ()))


def keras_callback_erases(facts: FileFacts, s: SchedulerFact) -> bool:
    """A Keras callback that sets the rate from the epoch alone: LearningRateScheduler(schedule(epoch)), or a
    user callback whose rate is a formula of the epoch (lraudit simulates it)."""
    if s.framework == "keras" and short(s.cls) == "LearningRateScheduler":
        return facts.extra.get("keras_schedule_reads_rate", {}).get(s.id) is False
    plan = facts.extra.get("manual_plans", {}).get(s.id) if s.framework == "manual" else None
    kplan = _keras_class_callback(facts, s)
    if kplan is not None and (plan is None or kplan.reads_rate):
        # a callback replayed by keras_class_sim: it erases when what it writes ignores the rate it finds
        if kplan.reads_rate:
            return False
    elif plan is None or getattr(plan, "condition", None) is not None:
        return False
    # a write under a condition (a warm-up that stops writing after a few epochs) does not erase for good
    cls = short(s.cls)
    writes = [w for w in facts.lr_writes if w.function and w.function.split(".", 1)[0] == cls]
    return bool(writes) and not all(w.conditional for w in writes)


def in_competing_pair(facts: FileFacts, s: SchedulerFact) -> bool:
    return any(s.id in (a.id, b.id) for a, b in competing_pairs(facts, s.optimizer))


def step_call(s: SchedulerFact | OptimizerFact | None, arg: str = "") -> str:
    """How a message shows a step call: ``scheduler.step()``; the class name when the object has no name."""
    if s is None:
        return f"optimizer.step({arg})"
    name = s.variable if s.variable else short(s.cls)
    return f"{name}.step({arg})"


def trusted_points(s: SchedulerFact, c: Curve | None) -> list[tuple[int, float]]:
    """(step, lr) pairs of a curve simulated from stated facts only; empty when unknown, when the scheduler's
    arguments or horizon had to be assumed (an assumed loader length: rules must not treat those as facts), or
    when the curve is relative (multiples of an unknown base rate, so its numbers are not rates) or drawn with an
    assumed optimizer lr (one process, say)."""
    if s.assumed_args is not None or s.assumed_horizon is not None:
        return []
    if c is None or c.lr is None or c.relative or c.assumed_rate:
        return []
    return curve_points(c)


_VIA_LINE = re.compile(r" at ([^ ]*?):(\d+)")


def call_line(st: StepSite, file: str | None = None) -> int | None:
    """The line of the call that runs ``st`` from a loop (parsed from ``via``), when there is exactly one (and,
    with ``file``, when the call is in that file: the path's last component must match)."""
    if not st.via or "also called elsewhere" in st.via or " called from the " not in st.via:
        return None
    m = _VIA_LINE.search(st.via)
    if m is None:
        return None
    if file is not None and m.group(1).rsplit("/", 1)[-1] != file.rsplit("/", 1)[-1]:
        return None
    return int(m.group(2))
