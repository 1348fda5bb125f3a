"""Shape rules: what the simulated learning-rate curve does over the run.

LR101 increasing-lr, LR102 lr-vanishes-early, LR103 schedule-horizon-mismatch, LR104 warmup-exceeds-training,
LR105 schedule-has-no-effect, LR106 warmup-starts-at-zero, LR107 first-step-at-optimizer-rate.

The rules partition the problems so one mistake gives one finding: a schedule stepped in the wrong unit is
LR201's (these stay quiet); a schedule that ends before the run and then climbs back, sits at 0 or is left
unfinished is LR103's (LR101 and LR102 look only inside the schedule's own length); a warm-up that never
finishes is LR104's; a scheduler that changes nothing at all is LR105's; a first step taken at the optimizer's
own rate, before a class that sets the rate when stepped writes one, is LR107's (LR101 reads the curve from the
schedule's first written rate on).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from dataclasses import dataclass

from ..facts import FileFacts, Known, Location, SchedulerFact
from ..results import Curve, Finding
from ..registry import check
from .common import (
    CYCLIC,
    IGNORES_OPTIMIZER_LR,
    PLATEAU,
    RunLength,
    sets_rate_itself,
    arg_loc,
    arg_num,
    arg_plain,
    curve_points,
    epochs_of_run,
    family_names,
    fmt,
    fmt_value,
    in_competing_pair,
    onecycle_total,
    optimizer_lr,
    own_end,
    pct,
    provenance,
    run_length,
    sched_label,
    short,
    steps_every_iteration,
    steps_phrase,
    trusted_points,
    tidy,
    top_level,
    unit_mismatch,
    when,
)
from ..catalog.hf_legacy import function_of
from .context import CheckContext

REL = 1e-9  # relative float tolerance for "equal" rates
SIGNIFICANT = 0.01  # a rise smaller than this fraction of the peak is noise


def _up(a: float, b: float) -> bool:
    return b - a > REL * max(abs(a), abs(b), 1e-300)


def _down(a: float, b: float) -> bool:
    return a - b > REL * max(abs(a), abs(b), 1e-300)


def _base(facts: FileFacts, s: SchedulerFact) -> float | None:
    """The rate the schedule scales: the optimizer's lr, a Keras schedule's initial_learning_rate (None for
    OneCycleLR/CyclicLR, which replace it, and when unknown)."""
    if short(s.cls) in IGNORES_OPTIMIZER_LR or sets_rate_itself(facts, s):
        return None
    if s.framework == "keras":
        return arg_num(s, "initial_learning_rate")
    return optimizer_lr(facts.optimizer(s.optimizer))


# ============================================================================================ LR101


@dataclass(frozen=True)
class _Rise:
    start: int  # step where the rate first rises
    end: int  # step where this stretch peaks
    before: float
    after: float
    prev: int = 0  # the step (sample) just before the rise


def _rises(points: list[tuple[int, float]], start_index: int = 0) -> list[_Rise]:
    """Rising stretches (flat steps inside a stretch do not end it) after position ``start_index``."""
    out: list[_Rise] = []
    i0 = None
    top = None
    for i in range(max(1, start_index + 1), len(points)):
        a, b = points[i - 1][1], points[i][1]
        if _up(a, b):
            if i0 is None:
                i0 = i
            top = i
        elif _down(a, b) and i0 is not None and top is not None:
            out.append(_Rise(points[i0][0], points[top][0], points[i0 - 1][1], points[top][1], points[i0 - 1][0]))
            i0 = top = None
    if i0 is not None and top is not None:
        out.append(_Rise(points[i0][0], points[top][0], points[i0 - 1][1], points[top][1], points[i0 - 1][0]))
    return out


def _prefix_end(points: list[tuple[int, float]]) -> int:
    """Position of the end of the initial non-decreasing stretch."""
    i = 0
    while i + 1 < len(points) and not _down(points[i][1], points[i + 1][1]):
        i += 1
    return i


def _args_cause(facts: FileFacts, s: SchedulerFact) -> tuple[str, str] | None:
    """(argument, words) when the constructor arguments alone make the rate rise."""
    name = short(s.cls)
    if name in ("StepLR", "MultiStepLR", "ExponentialLR"):
        g = arg_num(s, "gamma")
        if g is not None and g > 1:
            return "gamma", f"gamma={fmt(g)} is above 1, so every decay multiplies the rate up"
    if name in ("CosineAnnealingLR",):
        eta, base = arg_num(s, "eta_min"), _base(facts, s)
        if eta is not None and base is not None and eta > base * (1 + REL):
            return "eta_min", f"eta_min={fmt(eta)} is above the optimizer's lr {fmt(base)}, so the cosine runs upwards"
    if s.framework == "keras":
        return _keras_cause(s)
    if s.framework == "hf" and function_of(name) in _HF_COSINES:
        nc = arg_num(s, "num_cycles")
        if nc is not None and nc > 0.5:
            return "num_cycles", (f"num_cycles={fmt(nc)} is above 0.5, so the cosine passes its minimum and comes "
                                  f"back up before num_training_steps")
    return None


_HF_COSINES = ("get_cosine_schedule_with_warmup", "get_cosine_with_min_lr_schedule_with_warmup",
               "get_cosine_with_min_lr_schedule_with_warmup_lr_rate")


def _keras_cause(s: SchedulerFact) -> tuple[str, str] | None:
    name = short(s.cls)
    rate = arg_num(s, "decay_rate")
    if name == "ExponentialDecay" and rate is not None and rate > 1:
        return "decay_rate", f"decay_rate={fmt(rate)} is above 1, so the rate grows every decay_steps"
    if name == "InverseTimeDecay" and rate is not None and rate < 0:
        return "decay_rate", f"decay_rate={fmt(rate)} is negative, so 1 / (1 + decay_rate * t) grows"
    if name == "PolynomialDecay" and arg_plain(s, "cycle") is False:
        init, end = arg_num(s, "initial_learning_rate"), arg_num(s, "end_learning_rate")
        if init is not None and end is not None and end > init:
            return "end_learning_rate", (f"end_learning_rate={fmt(end)} is above initial_learning_rate={fmt(init)}, "
                                         f"so the decay runs upwards")
    if name == "PiecewiseConstantDecay":
        values = arg_plain(s, "values")
        bounds = arg_plain(s, "boundaries")
        if isinstance(values, (list, tuple)) and all(isinstance(v, (int, float)) for v in values):
            for i in range(1, len(values)):
                if values[i] > values[i - 1]:
                    at = f" after boundary {fmt_value(bounds[i - 1])}" if isinstance(bounds, (list, tuple)) and \
                        len(bounds) >= i else ""
                    return "values", f"values go up from {fmt(values[i - 1])} to {fmt(values[i])}{at}"
    return None


def _warmup_child_at(facts: FileFacts, s: SchedulerFact, step: int) -> bool:
    """True when ``step`` is a SequentialLR milestone where a warm-up (or cyclic) child starts."""
    if short(s.cls) != "SequentialLR":
        return False
    ms = arg_plain(s, "milestones")
    if not isinstance(ms, (list, tuple)) or len(ms) != len(s.children) - 1:
        return False
    for m, cid in zip(ms, s.children[1:]):
        if m == step:
            child = facts.scheduler(cid)
            return child is not None and _is_warmup_class(child)
    return False


def _is_warmup_class(s: SchedulerFact) -> bool:
    name = short(s.cls)
    if name in CYCLIC or name == "ConstantLR":
        return True
    if name == "LinearLR":
        a, b = arg_num(s, "start_factor"), arg_num(s, "end_factor")
        return a is not None and b is not None and b > a
    if s.framework == "hf":
        w = arg_num(s, "num_warmup_steps")
        return w is not None and w > 0
    return False


def _warmup_end(facts: FileFacts, s: SchedulerFact) -> int:
    """The last step that belongs to an explicit warm-up of ``s`` or of a warm-up it wraps (0 when none).

    A ConstantLR's jump back at total_iters and a LinearLR's ramp are warm-ups by design, alone, as the first
    scheduler of a SequentialLR, or multiplied in by ChainedScheduler."""
    name = short(s.cls)
    if _is_warmup_class(s):
        if s.framework == "hf":
            return int(arg_num(s, "num_warmup_steps") or 0)
        t = arg_num(s, "total_iters")
        return int(t) if t is not None and t > 0 else 0
    if name == "ChainedScheduler":
        return max((_warmup_end(facts, c) for c in (facts.scheduler(x) for x in s.children) if c is not None),
                   default=0)
    if name == "SequentialLR" and s.children:
        first = facts.scheduler(s.children[0])
        ms = arg_plain(s, "milestones")
        if first is not None and _is_warmup_class(first) and isinstance(ms, (list, tuple)) and ms:
            return int(min(_warmup_end(facts, first), ms[0])) if isinstance(ms[0], (int, float)) else 0
    return 0


def _within_own(points: list[tuple[int, float]], end: int | None) -> list[tuple[int, float]]:
    if end is None:
        return points
    return [(k, v) for k, v in points if k <= end]


@check("LR101")
def increasing_lr(ctx: CheckContext) -> Iterator[Finding]:
    facts = ctx.facts
    for s in top_level(facts):
        fam = family_names(facts, s)
        if fam & CYCLIC or s.stepped == "never" or lr_finder(facts, s):
            continue
        if unit_mismatch(facts, s) is not None:
            continue
        cause = _args_cause(facts, s)
        c = ctx.curves.get(s.id)
        if c is not None and _user_shaped(s) and _cycles(c.shape):
            continue  # a schedule the code writes itself, whose simulated curve cycles: its rises are the cycle's
        pts = _within_own(trusted_points(s, c), own_end(facts, s))
        if c is not None and c.first_written is not None:
            pts = [p for p in pts if p[0] >= c.first_written[0]]  # before it, the optimizer's own rate (LR107)
        if not steps_every_iteration(facts, s) or in_competing_pair(facts, s):
            pts = []  # the simulated curve is not the rate the run sees: only the arguments are certain
        unit = c.unit if c is not None else "epoch"
        rl = run_length(facts, s)
        total = rl.steps if rl is not None else None
        base = _base(facts, s)
        rise = None
        if len(pts) >= 2:
            rise = _curve_rise(facts, s, pts, base, cause is not None)
        if rise is not None and _dampening_rise(ctx, s, rise):
            rise = None
        if rise is not None:
            argname = cause[0] if cause else ("lr_lambda" if "lr_lambda" in s.arg_locs else "")
            span = f"between {when(rise.prev, unit)} and {when(rise.end, unit, total)}"
            yield ctx.finding(arg_loc(s, argname) if argname else s.loc, scheduler=sched_label(s),
                              before=fmt(rise.before), after=fmt(rise.after), span=span,
                              cause=cause[1] if cause else _curve_cause(facts, s, rise, base))
        elif cause is not None and not pts:
            # no curve: the arguments alone are certain
            g = arg_num(s, "gamma")
            if cause[0] == "gamma" and g is not None:
                before, after, span = "its starting rate", f"{fmt(g)}x that", "at every decay"
            elif cause[0] == "eta_min":
                before, after, span = fmt(base), fmt(arg_num(s, "eta_min")), f"over T_max={fmt(arg_num(s, 'T_max'))}"
            elif cause[0] == "num_cycles":
                before, after, span = "its minimum", "the peak again", "within num_training_steps"
            else:
                before, after, span = "its starting rate", "higher values", "as training goes on"
            yield ctx.finding(arg_loc(s, cause[0]), scheduler=sched_label(s), before=before, after=after,
                              span=span, cause=cause[1])


def _dampening_rise(ctx: CheckContext, s: SchedulerFact, rise: _Rise) -> bool:
    """A pytorch_warmup wrapper's rise where none of the schedulers it dampens rises: its warm-up factor still
    growing (a decay of the scheduler inside the warm-up is partly undone by it), not a rising schedule."""
    if not s.cls.startswith("pytorch_warmup.") or not s.children:
        return False
    for cid in s.children:
        c = ctx.curves.get(cid)
        if c is None or c.lr is None:
            return False
        steps = c.steps if c.steps is not None else range(len(c.lr))
        window = [v for k, v in zip(steps, c.lr) if rise.prev <= k <= rise.end]
        if any(_up(a, b) for a, b in zip(window, window[1:])):
            return False
    return True


#: schedulers whose shape is a function the code writes (``lr_lambda``, Keras ``schedule``)
_USER_FUNCTION_SCHEDULERS = frozenset({"LambdaLR", "MultiplicativeLR", "LearningRateScheduler"})


def _user_shaped(s: SchedulerFact) -> bool:
    """A schedule whose shape the repository's own code decides: a class or loop of the file, or a library
    scheduler that only calls a function of it (SGDR restarts written as a Keras ``schedule``)."""
    return s.cls.startswith(("custom:", "manual:")) or short(s.cls) in _USER_FUNCTION_SCHEDULERS


def _cycles(shape: str | None) -> bool:
    return bool(shape) and (shape.startswith("cyclical") or shape in ("one-cycle", "cosine with restarts"))  # type: ignore


def _curve_rise(facts: FileFacts, s: SchedulerFact, pts: list[tuple[int, float]], base: float | None,
                has_cause: bool) -> _Rise | None:
    vals = [v for _, v in pts]
    finite_vals = [v for v in vals if math.isfinite(v)]
    if not finite_vals:
        return None
    peak = max(finite_vals)
    if peak <= 0:
        return None
    p_end = _prefix_end(pts)
    # rises after the initial (warm-up) stretch
    later = [r for r in _rises(pts, p_end) if r.after - r.before > SIGNIFICANT * peak]
    w_end = _warmup_end(facts, s)
    later = [r for r in later if not _warmup_child_at(facts, s, r.start) and r.start > w_end]
    if later:
        return later[0]
    # a rise that lasts the whole run
    initial = _rises(pts[: p_end + 1])
    if not initial:
        return None
    r = _Rise(initial[0].start, initial[-1].end, vals[0], max(vals[: p_end + 1]), pts[0][0])
    if r.after - r.before <= SIGNIFICANT * peak:
        return None
    if has_cause:
        return r
    if p_end < len(pts) - 1:
        return None  # rose, then fell: a warm-up
    n = len(pts)
    last_rise_pos = next(i for i, (k, _) in enumerate(pts) if k == initial[-1].end)
    if last_rise_pos <= n // 2:
        return None  # rose early, then held: a warm-up then constant
    if base is None:
        return None
    if r.after <= base * (1 + REL):
        return None  # an unfinished warm-up towards the optimizer's lr: LR104's
    return r


def _curve_cause(facts: FileFacts, s: SchedulerFact, r: _Rise, base: float | None) -> str:
    name = short(s.cls)
    if name == "SequentialLR":
        ms = arg_plain(s, "milestones")
        if isinstance(ms, (list, tuple)) and r.start in ms:
            i = list(ms).index(r.start)
            child = facts.scheduler(s.children[i + 1]) if i + 1 < len(s.children) else None
            cname = short(child.cls) if child else "the next scheduler"
            return (f"at milestone {r.start} SequentialLR starts {cname} from the base rate, not from where the "
                    f"previous scheduler left it")
    if name in ("LambdaLR", "MultiplicativeLR"):
        return "its lr_lambda increases outside a warm-up" if base is None or r.after <= base * (1 + REL) else \
            "its lr_lambda grows above 1, taking the rate above the optimizer's lr"
    if base is not None and r.after > base * (1 + REL):
        return f"the rate goes above the optimizer's lr {fmt(base)}"
    return "the rate rises outside a warm-up or a cycle"


# ============================================================================================ LR103 helpers


@dataclass(frozen=True)
class _Horizon:
    argname: str
    own: str  # "T_max=30"
    run: str  # "the run steps it 90 times (the epoch loop at train.py:48)"
    consequence: str
    error: bool = False
    early: bool = False  # the schedule ends before the run (LR102 then stays quiet)


def _run_words(rl: RunLength, path: str = "") -> str:
    src = tidy(rl.source, path)
    if rl.offset:
        return f"it runs for {steps_phrase(rl.steps, rl.unit)} after its milestone {rl.offset} ({src})"
    return f"the run steps it {rl.steps} times ({src})"


def _horizon_problem(facts: FileFacts, s: SchedulerFact, ctx_curves: dict[str, Curve], tol: float,
                     coverage: float) -> _Horizon | None:
    name = short(s.cls)
    rl = run_length(facts, s)
    if rl is not None and rl.upper:
        return None  # the run may be shorter than its bound: neither "longer" nor "shorter" is certain
    if rl is None:
        return _onecycle_epochs_problem(facts, s, coverage)
    H = rl.steps
    u = rl.unit
    base = _base(facts, s)

    def at(k: int) -> str:
        return when(k + rl.offset, u)

    def late(T: int, argname: str, own: str, what: str) -> _Horizon | None:
        if H >= coverage * T:
            return None
        return _Horizon(argname, own, _run_words(rl, facts.path),
                        f"the run stops {pct(H / T)} of the way through it, so {what}")

    if name == "CosineAnnealingLR":
        T = arg_num(s, "T_max")
        if T is None or T <= 0:
            return None
        T = int(T)
        eta = arg_num(s, "eta_min") or 0.0
        if H - 1 - T > tol * H:
            top = min(2 * T, H - 1)
            back = ""
            if base is not None:
                val = eta + (base - eta) * (1 + math.cos(math.pi * top / T)) / 2
                back = f", reaching {fmt(val)} by {at(top)}"
            return _Horizon("T_max", f"T_max={T}", _run_words(rl, facts.path),
                            f"after {at(T)} the learning rate climbs back up{back}", early=True)
        if base is not None:
            end = eta + (base - eta) * (1 + math.cos(math.pi * (H - 1) / T)) / 2
            return late(T, "T_max", f"T_max={T}", f"the rate never anneals (still {fmt(end)} at the end)")
        return late(T, "T_max", f"T_max={T}", "the rate never anneals")
    if name == "PolynomialLR":
        T = arg_num(s, "total_iters")
        if T is None or T <= 0:
            return None
        T = int(T)
        if H - T > tol * H and H > T:
            return _Horizon("total_iters", f"total_iters={T}", _run_words(rl, facts.path),
                            f"the rate reaches 0 at {at(T)} and stays there for the last "
                            f"{steps_phrase(H - T, u)}", early=True)
        return late(T, "total_iters", f"total_iters={T}", "the rate never decays fully")
    if name == "LinearLR":
        a, b, T = arg_num(s, "start_factor"), arg_num(s, "end_factor"), arg_num(s, "total_iters")
        if a is None or b is None or T is None or T <= 0 or b >= a:
            return None  # warm-ups are LR104's
        T = int(T)
        if b == 0 and H - T > tol * H and H > T:
            return _Horizon("total_iters", f"total_iters={T}", _run_words(rl, facts.path),
                            f"the rate reaches 0 at {at(T)} and stays there for the last "
                            f"{steps_phrase(H - T, u)}", early=True)
        return late(T, "total_iters", f"total_iters={T}", "the decay never finishes")
    if name == "OneCycleLR" and s.framework == "torch":
        t = onecycle_total(s)
        if t is None:
            return None
        T, how = t
        argname = "total_steps" if "total_steps=" in how else "epochs"
        if H > T:
            return _Horizon(argname, how, _run_words(rl, facts.path),
                            f"call {T + 1} of scheduler.step() raises ValueError (Tried to step {T + 1} times. "
                            f"The specified number of total steps is {T})", error=True)
        return late(T, argname, how, "the annealing phase is cut short and the rate stays high at the end")
    if s.framework == "hf":
        N = arg_num(s, "num_training_steps")
        if N is None or N <= 0:
            return None
        N = int(N)
        W = arg_num(s, "num_warmup_steps")
        if W is not None and W >= N:
            return None  # the warm-up is the whole schedule: LR104
        if H - 1 - N > tol * H:
            if "cosine" in name and "hard_restarts" not in name:
                what = f"after {at(N)} the cosine comes back up (it is periodic and not clamped)"
            elif "polynomial" in name:
                what = f"after {at(N)} the rate sits at lr_end"
            elif "linear" in name or "hard_restarts" in name:
                what = f"after {at(N)} the rate sits at 0"
            else:
                return None
            return _Horizon("num_training_steps", f"num_training_steps={N}", _run_words(rl, facts.path), what,
                            early=True)
        if "constant" in name or "inverse_sqrt" in name:
            return None
        return late(N, "num_training_steps", f"num_training_steps={N}", "the rate never decays to its end value")
    if name == "MultiStepLR":
        ms = arg_plain(s, "milestones")
        if not isinstance(ms, (list, tuple)) or not ms or not all(isinstance(m, (int, float)) for m in ms):
            return None
        beyond = [m for m in ms if m > H]
        if not beyond or all(m >= H for m in ms):
            return None  # all reached, or nothing ever happens (LR105's)
        shown = ", ".join(fmt(m) for m in beyond)
        many = len(beyond) > 1
        return _Horizon("milestones", "milestones=[" + ", ".join(fmt(m) for m in ms) + "]", _run_words(rl, facts.path),
                        f"milestone{'s' if many else ''} {shown} {'are' if many else 'is'} never reached, so "
                        f"{'those decays never happen' if many else 'that decay never happens'}")
    if name == "SequentialLR":
        ms = arg_plain(s, "milestones")
        if not isinstance(ms, (list, tuple)) or len(ms) != len(s.children) - 1 or not ms:
            return None
        first = facts.scheduler(s.children[0])
        if first is not None and _is_warmup_class(first) and ms[0] >= H:
            return None  # the warm-up is the whole run: LR104
        for m, cid in zip(ms, s.children[1:]):
            if isinstance(m, (int, float)) and m >= H:
                child = facts.scheduler(cid)
                cname = short(child.cls) if child else "the next scheduler"
                return _Horizon("milestones", f"milestones={list(ms)}", _run_words(rl, facts.path),
                                f"milestone {fmt(m)} is never reached, so {cname} never starts")
        return None
    return None


def _onecycle_epochs_problem(facts: FileFacts, s: SchedulerFact, coverage: float) -> _Horizon | None:
    """OneCycleLR(epochs=E1, steps_per_epoch=len(loader)) stepped per batch over a loop of E2 epochs."""
    if short(s.cls) != "OneCycleLR" or s.framework != "torch" or s.stepped != "batch" or s.parent is not None:
        return None
    if not (isinstance(s.args.get("total_steps"), Known) and s.args["total_steps"].value is None):
        return None
    e_arg = arg_num(s, "epochs")
    spe = s.args.get("steps_per_epoch")
    run_e = epochs_of_run(facts)
    if e_arg is None or run_e is None or spe is None or "len(" not in provenance(spe):
        return None
    if not (isinstance(e_arg, int) or float(e_arg).is_integer()):
        return None
    E1, E2 = int(e_arg), run_e[0]
    loop_words = f"the loop runs {E2} epochs ({tidy(run_e[1], facts.path)})"
    if E2 > E1:
        return _Horizon("epochs", f"epochs={E1} (x steps_per_epoch)", loop_words,
                        f"scheduler.step() raises ValueError (Tried to step ...) in the first batch after epoch "
                        f"{E1 - 1}", error=True)
    if E2 < coverage * E1:
        return _Horizon("epochs", f"epochs={E1} (x steps_per_epoch)", loop_words,
                        "the run stops before the annealing finishes and the rate stays high at the end")
    return None


def horizon_problem(ctx: CheckContext, s: SchedulerFact) -> _Horizon | None:
    """LR103's finding for ``s`` (also used by LR102/LR104 to stay quiet)."""
    facts = ctx.facts
    target = s if s.parent is None else facts.scheduler(s.parent)
    if target is not None and unit_mismatch(facts, target) is not None:
        return None
    if s.stepped == "never" or not steps_every_iteration(facts, s):
        return None
    opts = _lr103_options(ctx)
    return _horizon_problem(facts, s, ctx.curves, opts[0], opts[1])


def _lr103_options(ctx: CheckContext) -> tuple[float, float]:
    # LR102/LR104 call this with their own ctx: fall back to LR103's defaults
    tol = ctx.options.get("overrun_tolerance") if ctx.rule is not None and ctx.rule.code == "LR103" else None
    cov = ctx.options.get("min_coverage") if ctx.rule is not None and ctx.rule.code == "LR103" else None
    return (float(tol) if tol is not None else 0.05, float(cov) if cov is not None else 0.75)


def _horizon_targets(facts: FileFacts) -> Iterator[SchedulerFact]:
    """Top-level schedulers plus the last child of each SequentialLR (its end is the run's end)."""
    for s in facts.schedulers:
        if s.parent is None:
            yield s
            continue
        parent = facts.scheduler(s.parent)
        if parent is not None and short(parent.cls) == "SequentialLR" and parent.children and \
                parent.children[-1] == s.id:
            yield s
        elif parent is not None and short(parent.cls) == "ChainedScheduler":
            yield s


@check("LR103")
def schedule_horizon_mismatch(ctx: CheckContext) -> Iterator[Finding]:
    from .config_args import reported_by_lr002

    for s in _horizon_targets(ctx.facts):
        if reported_by_lr002(ctx.facts, s):
            continue
        p = horizon_problem(ctx, s)
        if p is None:
            continue
        yield ctx.finding(arg_loc(s, p.argname), severity="error" if p.error else None,
                          scheduler=sched_label(s), own=p.own, run=p.run, consequence=p.consequence)


# ============================================================================================ LR102


@check("LR102")
def lr_vanishes_early(ctx: CheckContext) -> Iterator[Finding]:
    facts = ctx.facts
    frac = float(ctx.options.get("fraction_of_peak", 0.01))
    before = float(ctx.options.get("before_fraction", 0.5))
    for s in top_level(facts):
        fam = family_names(facts, s)
        if fam & (CYCLIC | PLATEAU) or s.stepped == "never":
            continue
        if unit_mismatch(facts, s) is not None or not steps_every_iteration(facts, s) or in_competing_pair(facts, s):
            continue
        if any(horizon_problem(ctx, t) is not None for t in [s] + [facts.scheduler(c) for c in s.children if
                                                                     facts.scheduler(c) is not None]):
            continue
        rl = run_length(facts, s)
        c = ctx.curves.get(s.id)
        if rl is None or rl.upper or c is None or c.lr is None or c.length < rl.steps:
            continue  # (an upper bound on the run says nothing about "early")
        pts = [(k, v) for k, v in trusted_points(s, c) if k < rl.steps]
        vals = [v for _, v in pts if math.isfinite(v)]
        if not vals:
            continue
        peak = max(vals)
        if peak <= 0:
            continue
        peak_pos = next(i for i, (_, v) in enumerate(pts) if v >= peak * (1 - REL))
        for i, (k, v) in enumerate(pts[peak_pos + 1:], start=peak_pos + 1):
            if v < frac * peak * (1 - REL):
                if any(w >= frac * peak * (1 + REL) for _, w in pts[i + 1:]):
                    break  # it comes back up (a restart, a cycle): the rest does not train under the fraction
                if k < before * rl.steps:
                    shown = "0" if v <= 0 else fmt(v)
                    share = "" if v <= 0 else f" ({pct(v / peak)} of its peak {fmt(peak)})"
                    yield ctx.finding(s.loc, scheduler=sched_label(s), lr=shown, share=share,
                                      when=when(k, rl.unit, rl.steps), fraction=pct(k / rl.steps),
                                      threshold=pct(frac))
                break


# ============================================================================================ LR104


@check("LR104")
def warmup_exceeds_training(ctx: CheckContext) -> Iterator[Finding]:
    from .config_args import reported_by_lr002

    facts = ctx.facts
    for s in facts.schedulers:
        if reported_by_lr002(facts, s):
            continue
        p = _warmup_problem(ctx, s)
        if p is not None:
            loc, warmup, run, consequence = p
            yield ctx.finding(loc, scheduler=sched_label(s), warmup=warmup, run=run, consequence=consequence)


def _warmup_problem(ctx: CheckContext, s: SchedulerFact) -> tuple[Location, str, str, str] | None:
    facts = ctx.facts
    if s.stepped == "never":
        return None
    top = s if s.parent is None else facts.scheduler(s.parent)
    if top is not None and unit_mismatch(facts, top) is not None:
        return None
    name = short(s.cls)
    rl = run_length(facts, s)
    if s.framework == "hf":
        W = arg_num(s, "num_warmup_steps")
        N = arg_num(s, "num_training_steps")
        if W is None or W <= 0:
            return None
        if N is not None and N > 0 and W >= N:
            swapped = " (num_warmup_steps and num_training_steps look swapped)" if W > N else ""
            return (arg_loc(s, "num_warmup_steps"), f"num_warmup_steps={fmt(W)}",
                    f"num_training_steps={fmt(N)}{swapped}",
                    "the rate only rises and never reaches the optimizer's lr before the schedule ends")
        if rl is not None and s.parent is None and W >= rl.steps and steps_every_iteration(facts, s):
            return (arg_loc(s, "num_warmup_steps"), f"num_warmup_steps={fmt(W)}",
                    f"{rl.steps} steps ({tidy(rl.source, facts.path)})",
                    "the rate is still rising when training stops")
        return None
    if not steps_every_iteration(facts, s):
        return None
    if s.framework == "keras" and name == "CosineDecay" and arg_plain(s, "warmup_target") is not None:
        W = arg_num(s, "warmup_steps")
        if W is not None and W > 0 and rl is not None and W >= rl.steps:
            return (arg_loc(s, "warmup_steps"), f"warmup_steps={fmt(W)}", f"{steps_phrase(rl.steps, rl.unit)} "
                    f"({tidy(rl.source, facts.path)})", "the rate is still rising towards warmup_target when "
                    "training stops")
        return None
    if s.framework == "manual":
        return _curve_warmup(ctx, s)
    if s.framework != "torch":
        return None
    if s.cls.startswith("pytorch_warmup.") and s.parent is None:
        return _dampening_warmup(facts, s, rl)
    if name in ("LinearLR", "ConstantLR") and s.parent is None:
        T = arg_num(s, "total_iters")
        if rl is None or T is None or T <= 0:
            return None
        if name == "LinearLR":
            a, b = arg_num(s, "start_factor"), arg_num(s, "end_factor")
            if a is None or b is None or b <= a:
                return None
            reached = a + (b - a) * min(rl.steps - 1, T) / T
            consequence = (f"the rate is still ramping when training stops: it ends at {pct(reached)} of the "
                           f"optimizer's lr")
        else:
            f = arg_num(s, "factor")
            if f is None or f >= 1:
                return None
            consequence = f"the rate stays at {fmt(f)}x the optimizer's lr for the whole run"
        if T >= rl.steps:
            return (arg_loc(s, "total_iters"), f"total_iters={fmt(T)}", f"{steps_phrase(rl.steps, rl.unit)} "
                    f"({tidy(rl.source, facts.path)})", consequence)
        return None
    if name == "SequentialLR" and s.parent is None and rl is not None:
        ms = arg_plain(s, "milestones")
        first = facts.scheduler(s.children[0]) if s.children else None
        if first is None or not _is_warmup_class(first) or not isinstance(ms, (list, tuple)) or not ms:
            return None
        m0 = ms[0]
        if isinstance(m0, (int, float)) and m0 >= rl.steps:
            nxt = facts.scheduler(s.children[1]) if len(s.children) > 1 else None
            return (arg_loc(s, "milestones"), f"{short(first.cls)} until milestone {fmt(m0)}",
                    f"{steps_phrase(rl.steps, rl.unit)} ({tidy(rl.source, facts.path)})",
                    f"{short(nxt.cls) if nxt else 'the main schedule'} never starts")
        return None
    if name in ("LambdaLR",) or s.cls.startswith("custom:"):
        return _curve_warmup(ctx, s)
    return None


def _dampening_warmup(facts: FileFacts, s: SchedulerFact, rl: RunLength | None
                      ) -> tuple[Location, str, str, str] | None:
    """A pytorch_warmup linear warm-up (LinearWarmup's warmup_period, UntunedLinearWarmup's 2 / (1 - beta2)
    updates) that lasts the whole run; pytorch_warmup counts it in dampening() calls, meant to be optimizer steps."""
    if rl is None:
        return None
    name = short(s.cls)
    if name == "LinearWarmup":
        W = arg_num(s, "warmup_period")
        what, loc = f"warmup_period={fmt(W)}", arg_loc(s, "warmup_period")
    elif name == "UntunedLinearWarmup":
        opt = facts.optimizer(s.optimizer)
        betas = opt.params.get("betas") if opt is not None else None
        if not (isinstance(betas, Known) and isinstance(betas.value, (list, tuple)) and len(betas.value) == 2
                and isinstance(betas.value[1], (int, float)) and 0 <= betas.value[1] < 1):
            return None
        W = int(2.0 / (1.0 - betas.value[1]))
        what, loc = f"its untuned warm-up of {W} updates (2 / (1 - beta2), beta2={fmt(betas.value[1])})", s.loc
    else:
        return None  # exponential and RAdam factors approach 1 without a set end
    if W is None or W <= 0 or W < rl.steps:
        return None
    consequence = "the rate is still rising when training stops, so the run never trains at the scheduled rate"
    if s.stepped == "epoch":
        consequence += ("; dampening() runs once per epoch here, while the warm-up period counts optimizer steps "
                        "(call it after every optimizer.step())")
    return (loc, what, f"{steps_phrase(rl.steps, rl.unit)} ({tidy(rl.source, facts.path)})", consequence)


def _curve_warmup(ctx: CheckContext, s: SchedulerFact) -> tuple[Location, str, str, str] | None:
    """A curve that is still rising at the end of the run, never above the optimizer's lr: an unfinished warm-up."""
    facts = ctx.facts
    if s.parent is not None or family_names(facts, s) & CYCLIC or lr_finder(facts, s):
        return None
    rl = run_length(facts, s)
    c = ctx.curves.get(s.id)
    if rl is None or c is None or c.lr is None or c.length < rl.steps:
        return None
    pts = [(k, v) for k, v in trusted_points(s, c) if k < rl.steps]
    base = _base(facts, s)
    # two points (a two-epoch run) are enough when the rate never gets near the optimizer's lr
    short_run = len(pts) == 2 and base is not None and pts[-1][1] < base * (1 - REL)
    if (len(pts) < 3 and not short_run) or _prefix_end(pts) != len(pts) - 1:
        return None
    if not _up(pts[-2][1], pts[-1][1]) or not _up(pts[0][1], pts[-1][1]):
        return None
    if base is not None and pts[-1][1] > base * (1 + REL):
        return None  # rises above the optimizer's lr: LR101's
    return (arg_loc(s, "lr_lambda"), "the rising part of its schedule",
            f"{steps_phrase(rl.steps, rl.unit)} ({tidy(rl.source, facts.path)})",
            f"the rate is still rising at the end ({fmt(pts[-1][1])} at {when(pts[-1][0], rl.unit, rl.steps)})")


# ============================================================================================ LR105


@check("LR105")
def schedule_has_no_effect(ctx: CheckContext) -> Iterator[Finding]:
    from .config_args import reported_by_lr002

    facts = ctx.facts
    for s in facts.schedulers:
        if s.stepped == "never" or reported_by_lr002(facts, s):
            continue
        if s.when and constant_choice(s.when):
            continue  # the arm an option named "constant" selects: no schedule on purpose (StepLR(gamma=1) there)
        p = _no_effect(facts, s)
        if p is None:
            continue
        argname, reason = p
        c = ctx.curves.get(s.id)
        pts = curve_points(c)
        if s.parent is None and len(pts) >= 2 and any(_up(a, b) or _down(a, b) for (_, a), (_, b) in
                                                       zip(pts, pts[1:])):
            continue  # the simulated curve does change (another scheduler on the optimizer, say): stay quiet
        yield ctx.finding(arg_loc(s, argname), scheduler=sched_label(s), reason=reason)


_CONSTANT_CHOICE = re.compile(r"""(\bis\s+|--[\w-]+[ =])["']?(constant|const|none|fixed|no_?decay|no_?schedule)\b""",
                              re.I)


def constant_choice(words: str) -> bool:
    """True when a condition or option run in words selects a value named "constant" (``when scheduler_name is
    'constant'``, ``--sched constant``): the schedule built there is constant on purpose (LR105 stays quiet)."""
    return bool(_CONSTANT_CHOICE.search(words))


def _no_effect(facts: FileFacts, s: SchedulerFact) -> tuple[str, str] | None:
    name = short(s.cls)
    if name in ("StepLR", "MultiStepLR", "ExponentialLR"):
        g = arg_num(s, "gamma")
        if g == 1:
            return "gamma", "gamma=1 multiplies the rate by 1 at every decay"
    if name in ("StepLRScheduler", "MultiStepLRScheduler"):
        d = arg_num(s, "decay_rate")
        if d == 1:
            return "decay_rate", "decay_rate=1 (the timm default) multiplies the rate by 1 at every decay"
    if name in ("CosineAnnealingLR", "CosineAnnealingWarmRestarts"):
        eta, base = arg_num(s, "eta_min"), _base(facts, s)
        if eta is not None and base is not None and math.isclose(eta, base, rel_tol=1e-9) and base > 0:
            return "eta_min", f"eta_min={fmt(eta)} equals the optimizer's lr, so the cosine runs from a value to itself"
    # ConstantLR(factor=1) is not reported: a schedule named constant, written with factor 1 (never the default:
    # torch and mmengine default to 1/3), is a deliberate "no schedule" placeholder (mmocr's configs use it for
    # exactly that), which is what this rule's advice recommends: "use a constant schedule on purpose".
    if name == "LinearLR":
        a, b = arg_num(s, "start_factor"), arg_num(s, "end_factor")
        if a is not None and b is not None and a == b:
            return "start_factor", f"start_factor and end_factor are both {fmt(a)}, so the line is flat"
    rl = run_length(facts, s) if s.parent is None else None
    if rl is None:
        return None
    H = rl.steps
    if name == "MultiStepLR":
        ms = arg_plain(s, "milestones")
        g = arg_num(s, "gamma")
        if isinstance(ms, (list, tuple)) and ms and all(isinstance(m, (int, float)) for m in ms) and g != 1:
            if min(ms) >= H:
                return "milestones", (f"every milestone ({', '.join(fmt(m) for m in ms)}) is at or after the end of "
                                      f"the run ({steps_phrase(H, rl.unit)}, {tidy(rl.source, facts.path)})")
    if name == "StepLR":
        st = arg_num(s, "step_size")
        if st is not None and st >= H and st > 0:
            return "step_size", (f"the first decay would come after step_size={fmt(st)} "
                                 f"{'epochs' if rl.unit == 'epoch' else 'steps'}, but the run has "
                                 f"{steps_phrase(H, rl.unit)} ({tidy(rl.source, facts.path)})")
    return None


# ============================================================================================ LR106

#: HF schedules whose warm-up factor is 0 at step 0.
_HF_ZERO_START: frozenset[str] = frozenset({
    "get_constant_schedule_with_warmup", "get_linear_schedule_with_warmup", "get_cosine_schedule_with_warmup",
    "get_cosine_with_hard_restarts_schedule_with_warmup", "get_polynomial_decay_schedule_with_warmup",
    "get_inverse_sqrt_schedule", "get_cosine_with_min_lr_schedule_with_warmup", "get_wsd_schedule",
})


@check("LR106")
def warmup_starts_at_zero(ctx: CheckContext) -> Iterator[Finding]:
    facts = ctx.facts
    from .stepping import steps_before_optimizer

    for s in top_level(facts):
        if s.stepped == "never" or steps_before_optimizer(facts, s) or _updates_gated(facts, s):
            continue
        c = ctx.curves.get(s.id)
        pts = trusted_points(s, c)
        unit = c.unit if c is not None else "step"
        if len(pts) >= 2:
            first_v = pts[0][1]
            later = next(((k, v) for k, v in pts[1:] if v > 0), None)
            if first_v == 0 and later is not None:
                argname = "num_warmup_steps" if "num_warmup_steps" in s.arg_locs else (
                    "lr_lambda" if "lr_lambda" in s.arg_locs else "")
                yield ctx.finding(arg_loc(s, argname) if argname else s.loc, scheduler=sched_label(s),
                                  next_lr=fmt(later[1]), next_when=when(later[0], unit))
            continue
        if s.framework == "hf" and function_of(short(s.cls)) in _HF_ZERO_START:
            w = arg_num(s, "num_warmup_steps")
            if w is not None and w >= 1:
                base = optimizer_lr(facts.optimizer(s.optimizer))
                nxt = fmt(base / w) if base is not None else f"1/{fmt(w)} of the optimizer's lr"
                yield ctx.finding(arg_loc(s, "num_warmup_steps"), scheduler=sched_label(s), next_lr=nxt,
                                  next_when=when(1, "step"))


# ============================================================================================ LR107

#: the first step's rate, against the schedule's first written one, above which the first update is a spike
SPIKE = 1.5


@check("LR107")
def first_step_at_optimizer_rate(ctx: CheckContext) -> Iterator[Finding]:
    facts = ctx.facts
    for s in top_level(facts):
        c = ctx.curves.get(s.id)
        if c is None or c.first_written is None or s.stepped == "never":
            continue
        pts = trusted_points(s, c)
        if not pts or pts[0][0] != 0:
            continue
        k, written = c.first_written
        first = pts[0][1]
        if first <= written * SPIKE:
            continue  # (a first rate of 0, below the schedule's, is LR106's)
        unit = c.unit
        times = first / written if written > 0 else None
        ratio = "far above" if times is None else (f"{times:,.0f}x" if times >= 10 else f"{fmt(times)}x")
        yield ctx.finding(s.loc, scheduler=sched_label(s), first=fmt(first), written=fmt(written),
                          ratio=ratio, next_when=when(k, unit))


# ============================================================================================ LR108
@check("LR108")
def unreachable_schedule_branch(ctx: CheckContext) -> Iterator[Finding]:
    """A test of an if/elif (or conditional-expression) chain in the schedule's own code that implies an earlier
    test of the chain: it is never true when reached (the facts: ``SchedulerFact.dead_branches``)."""
    seen: set[tuple[str, int, int]] = set()
    for s in ctx.facts.schedulers:
        for d in s.dead_branches:
            key = (d.loc.file, d.loc.line, d.loc.column)
            if key in seen:
                continue
            seen.add(key)
            yield ctx.finding(d.loc, scheduler=sched_label(s), test=d.test, where=d.loc.place,
                              earlier=d.earlier, earlier_where=d.earlier_loc.place)


_LR_FINDER = re.compile(r"find_?(the_?)?(lr|learning_rate)|(lr|learning_rate)_?find|search_?(the_?)?(lr|learning_rate)"
                        r"|range_?test|lr_?range|LRFinder|LrFinder", re.I)


def lr_finder(facts: FileFacts, s: SchedulerFact) -> bool:
    """A learning-rate range test (an "lr finder": ``find_lr``, ``search_learning_rate``, ``LRFinder``): it sweeps
    the rate upwards over orders of magnitude on purpose, so a rising rate is its point, not a mistake."""
    names = {s.cls, s.function or ""} | {w.function or "" for w in facts.lr_writes if w.loc.line == s.loc.line}
    return bool(_LR_FINDER.search(" ".join(sorted(names))))


def _updates_gated(facts: FileFacts, s: SchedulerFact) -> bool:
    """The schedule advances on every pass of its loop, but the optimizer steps only under a condition there
    (gradient accumulation: ``if (i + 1) % accum == 0: optimizer.step()``): the first update does not use the
    rate of step 0, so a zero first rate is not the first update's."""
    mine = {st.loop_id for st in s.step_sites if st.loop_id is not None and not st.conditional}
    if s.framework == "manual" and not s.step_sites:  # a hand-written schedule advances where it writes the rate
        mine |= {w.loop_id for w in facts.lr_writes if w.loop_id is not None and not w.conditional
                 and (w.optimizer is None or w.optimizer == s.optimizer)}
    if not mine:
        return False
    opt_sites = [st for st in facts.optimizer_steps if st.loop_id in mine
                 and (s.optimizer is None or st.target == s.optimizer)]
    return bool(opt_sites) and all(st.conditional for st in opt_sites)


__all__ = [
    "increasing_lr",
    "lr_vanishes_early",
    "schedule_horizon_mismatch",
    "warmup_exceeds_training",
    "schedule_has_no_effect",
    "constant_choice",
    "warmup_starts_at_zero",
    "horizon_problem",
]
