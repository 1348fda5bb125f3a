"""Plain words for a scheduler: what it does to the learning rate, why a team would want that, and what is
surprising about it in this run; plus the milestones table of the notes.

Everything here is a pure function of a ``SchedulerFact`` and its ``Curve``. Numbers are written with
``fmt_lr`` and lengths in the unit the script steps the scheduler in ("epochs" per epoch, "steps" per batch).
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from typing import Any

from .facts import Known, SchedulerFact, Unknown
from .results import Curve, CurveSummary
from .shape import DECAYS, MAX_DROPS, WARMUP_PREFIX, classify, summarize

MAX_LISTED_DROPS = 6  # "0.1 for epochs 0-29, then 0.01 until epoch 59, ..." up to this many drops
MAX_TABLE_DROPS = 10
MAX_TABLE_RISES = 10
MAX_SENTENCES = 5

# -------------------------------------------------------------------------------------------- numbers


def fmt_lr(x: float) -> str:
    """A compact, exact-looking number: 0.1, 0.01, 1e-05, 0.000123, 0.00025, -0.002, 0 (6 significant digits)."""
    x = float(x)
    if math.isnan(x):
        return "nan"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    if x == 0:
        return "0"
    return f"{x:.6g}"


def _fmt_value(v: Any) -> str:
    if isinstance(v, bool) or v is None:
        return str(v)
    if isinstance(v, (int, float)):
        return str(v) if isinstance(v, int) else fmt_lr(v)
    if isinstance(v, str):
        return repr(v)
    if isinstance(v, str):
        return repr(v if len(v) <= 60 else v[:57] + "...")
    if isinstance(v, (list, tuple)):
        shown = [_fmt_value(x) for x in v[:10]]
        if len(v) > 10:
            shown.append(f"... {len(v) - 10} more")
        inner = ", ".join(shown)
        return f"[{inner}]" if isinstance(v, list) else f"({inner})"
    text = repr(v)
    return text if len(text) <= 80 else text[:77] + "..."


def _inline(text: str) -> str:
    """Text from elsewhere (an error, a stop reason) made to fit inside one sentence."""
    return " ".join(text.split()).rstrip(".").replace(". ", "; ")


_LEADING_WORD = re.compile(r"[A-Za-z_][\w.]*(?:\(\))?")


def _sentence(text: str) -> str:
    """A sentence: capitalised and ending in a full stop. One that starts with an identifier
    (``get_linear_schedule_with_warmup``, ``lr_lambda``, ``adjust_learning_rate()``) names it in code style
    instead of capitalising it."""
    text = text.strip()
    if not text:
        return ""
    m = _LEADING_WORD.match(text)
    if m and _is_identifier_like(m.group(0)):
        text = f"`{m.group(0)}`{text[m.end():]}"
    else:
        text = text[0].upper() + text[1:]
    return text if text.endswith((".", "!", "?")) else text + "."


def _is_identifier_like(word: str) -> bool:
    """Code rather than an English word: snake_case, dotted, called, with digits, or camelCase."""
    core = word.rstrip("()")
    if word.endswith("()") or "_" in core or "." in core.strip("."):
        return True
    return any(c.isdigit() for c in core) or (core[:1].islower() and any(c.isupper() for c in core[1:]))


# ------------------------------------------------------------------------------------------ arguments


def _plain_args(fact: SchedulerFact) -> dict[str, Any]:
    return {k: v.value for k, v in fact.args.items() if isinstance(v, Known)}


def _arg_num(args: dict[str, Any], *names: str) -> float | None:
    for name in names:
        v = args.get(name)
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            return v
    return None


def _short(cls: str) -> str:
    if cls.startswith(("custom:", "manual:")):
        return cls.split(":", 1)[1]
    return cls.rsplit(".", 1)[-1]


def _library(framework: str) -> str:
    return {"hf": "transformers", "keras": "Keras", "timm": "timm", "lightning": "Lightning"}.get(
        framework, framework)


def _catalog_entry(cls: str) -> Any:
    try:
        from .catalog import lookup
    except ImportError:  # pragma: no cover - the catalog ships with the package
        return None
    return lookup(cls)


# -------------------------------------------------------------------------------------------- units


def _unit(fact: SchedulerFact, curve: Curve) -> str:
    if fact.stepped == "epoch":
        return "epoch"
    if fact.stepped == "batch":
        return "step"
    return "epoch" if curve.unit == "epoch" else "step"


def _n_units(n: float, unit: str) -> str:
    return f"{_fmt_int(n)} {unit}" + ("" if n == 1 else "s")


def _fmt_int(n: float) -> str:
    return str(int(n)) if float(n).is_integer() else fmt_lr(n)


def _span(a: int, b: int, unit: str) -> str:
    return f"{unit} {a}" if a == b else f"{unit}s {a}\u2013{b}"


# ------------------------------------------------------------------------------------- curve helpers


class _View:
    """The curve's values with their scheduler steps, and its summary and shape."""

    def __init__(self, fact: SchedulerFact, curve: Curve) -> None:
        assert curve.lr is not None
        self.values: list[float] = [float(v) for v in curve.lr]
        self.xs: list[int] = list(curve.steps) if curve.steps is not None else list(range(len(self.values)))
        self.summary: CurveSummary = curve.summary or summarize(self.values, self.xs)
        self.shape: str = curve.shape or classify(self.values, fact.cls, _plain_args(fact), self.xs)
        self.last: int = self.xs[-1] if self.xs else 0
        self.length: int = curve.length or (self.last + 1)  # the horizon: scheduler steps in the run

    def at(self, step: int) -> float:
        """The rate at ``step``: exact when it is a located milestone, else the first sample at or after it (a
        sampled curve's sample before a milestone can still be inside the warm-up)."""
        for k, v in self.summary.exact:
            if k == step:
                return float(v)
        i = self.pos(step)
        if self.xs and self.xs[i] < step and i + 1 < len(self.values):
            i += 1
        return self.values[i]

    def pos(self, step: int) -> int:
        """Position of the last sample at or before ``step``."""
        best = 0
        for i, x in enumerate(self.xs):
            if x <= step:
                best = i
            else:
                break
        return best

    def tail_min(self, start_step: int) -> float:
        """The lowest value from ``start_step`` on (a warm-up that starts at 0 does not count)."""
        return min(self.values[self.pos(start_step):])

    def first_min_step(self, start_step: int) -> int:
        lo = self.tail_min(start_step)
        for i in range(self.pos(start_step), len(self.values)):
            if self.values[i] <= lo + 1e-12 * max(1.0, abs(lo)):
                return self.xs[i]
        return self.last


# --------------------------------------------------------------------------------- what the rate does


def _steps_clause(view: _View, start: int, unit: str) -> str:
    drops = [d for d in view.summary.drops if d.at > start]
    s = view.summary
    v0 = view.at(start)
    if not drops:
        return f"stays at {fmt_lr(v0)} until {unit} {view.last}"
    if len(drops) <= MAX_LISTED_DROPS:
        parts = [f"{fmt_lr(v0)} for {_span(start, drops[0].at - 1, unit)}"]
        for d, nxt in zip(drops, drops[1:] + [None]):
            end = nxt.at - 1 if nxt is not None else view.last
            when = f"at {unit} {end}" if end == d.at else f"until {unit} {end}"
            parts.append(f"then {fmt_lr(d.after)} {when}")
        return "is " + ", ".join(parts)
    ratios = {fmt_lr(d.after / d.before) for d in drops if d.before != 0}
    gaps = {b.at - a.at for a, b in zip(drops, drops[1:])}
    how = f"multiplied by {ratios.pop()} each time" if len(ratios) == 1 else "by varying factors"
    every = f", every {_n_units(gaps.pop(), unit)}" if len(gaps) == 1 else ""
    times = f"at least {len(drops)}" if len(s.drops) >= MAX_DROPS else str(len(drops))
    lead = f"starts at {fmt_lr(v0)} and " if start == 0 else ""
    return (f"{lead}is cut {times} times ({how}{every}, first at {unit} {drops[0].at}), "
            f"down to {fmt_lr(s.final)} by {unit} {view.last}")


def _horizon_arg(args: dict[str, Any]) -> tuple[str, float] | None:
    for name in ("T_max", "num_training_steps", "decay_steps", "total_iters", "t_initial", "total_steps"):
        v = _arg_num(args, name)
        if v is not None and v > 0:
            return name, v
    return None


def _cut_short(view: _View, start: int, args: dict[str, Any]) -> tuple[str, float] | None:
    """The length argument of a decay that the run stops before, when that matters (the run ends above 5%
    of the peak); None otherwise."""
    horizon = _horizon_arg(args)
    s = view.summary
    if horizon is None or horizon[0] == "total_steps" or horizon[1] <= view.last - start:
        return None
    floor = next((v for v in (_arg_num(args, k) for k in ("eta_min", "lr_min", "min_lr")) if v is not None), 0.0)
    floor = floor if 0 <= floor < s.peak else 0.0
    if view.first_min_step(start) != view.last or s.final - floor <= 0.05 * (s.peak - floor):
        return None  # (the rate ends within 5% of the way down to the schedule's floor: close enough)
    return horizon


_HOLDABLE = ("linear decay", "polynomial decay", "cosine annealing", "exponential decay")


def _held_until(view: _View, start: int, top: float) -> int | None:
    """The last step of a flat stretch at ``top`` from ``start`` on (CycleGAN's ``1 - max(0, e - 100) / 100``
    holds for 100 epochs, then decays), when it is long enough to mention: at least 2 steps and 5% of the rest
    of the run, and the decay follows it; None otherwise."""
    i = view.pos(start)
    end = i
    tol = 1e-12 * max(1.0, abs(top))
    while end + 1 < len(view.values) and abs(view.values[end + 1] - top) <= tol:
        end += 1
    held = view.xs[end]
    if end + 1 >= len(view.values) or held - start < max(2, 0.05 * (view.last - start)):
        return None
    return held


def _decay_clause(base: str, view: _View, start: int, unit: str, args: dict[str, Any]) -> str:
    """What the rate does from ``start`` (its peak) on; after a warm-up the clause skips "starts at X"."""
    s = view.summary
    top = view.values[view.pos(start)]
    lead = f"starts at {fmt_lr(top)} and " if start == 0 else ""
    bottom_at = view.first_min_step(start)
    bottom = fmt_lr(view.tail_min(start))
    if base in ("step decay", "multi-step decay"):
        if any(d.at > start for d in s.drops) or view.tail_min(start) == top:
            return _steps_clause(view, start, unit)
        base = "exponential decay"  # a cut every step (StepLR with step_size=1) reads as a geometric decay
    if base == "constant":
        return f"stays at {fmt_lr(top)} until {unit} {view.last}"
    held = _held_until(view, start, top)
    if base in _HOLDABLE and held is not None:  # a flat stretch at the peak before the decay starts
        return f"stays at {fmt_lr(top)} until {unit} {held}, then {_decay_clause(base, view, held, unit, args)}"
    hold = ""
    if base in ("linear decay", "polynomial decay") and bottom_at < view.last:
        hold = f" and stays there until {unit} {view.last}"
    if base == "exponential decay":
        span = view.last - start
        ratio = (s.final / top) ** (1 / span) if span > 0 and top > 0 and s.final > 0 else None
        per = f"multiplied by {fmt_lr(ratio)} every {unit}" if ratio is not None else "decays geometrically"
        return f"{lead}is {per}, reaching {fmt_lr(s.final)} by {unit} {view.last}"
    if base == "linear decay":
        source = f"from {fmt_lr(top)} " if start == 0 else ""
        return f"falls linearly {source}to {bottom} by {unit} {bottom_at}{hold}"
    if base == "polynomial decay":
        power = _arg_num(args, "power")
        how = f"polynomially (power {fmt_lr(power)})" if power is not None else "polynomially"
        source = f"from {fmt_lr(top)} " if start == 0 else ""
        return f"decays {how} {source}to {bottom} by {unit} {bottom_at}{hold}"
    if base == "cosine annealing":
        if _cut_short(view, start, args) is not None:
            return f"{lead}follows a cosine down to {fmt_lr(s.final)} by {unit} {view.last}"
        return f"{lead}follows half a cosine down to {bottom} by {unit} {bottom_at}"
    if base == "cosine with restarts":
        restarts = [r.start for r in s.rises]
        if not restarts:
            where = ""
        elif len(restarts) <= MAX_LISTED_DROPS:
            listed = ", ".join(str(r) for r in restarts[:-1])
            where = f" at {unit}s {listed} and {restarts[-1]}" if len(restarts) > 1 else f" at {unit} {restarts[0]}"
        else:
            where = f" {len(restarts)} times, first at {unit} {restarts[0]}"
        floor = _arg_num(args, "eta_min", "alpha", "lr_min")
        floor_text = f"eta_min={fmt_lr(floor)}" if "eta_min" in args and floor is not None else bottom
        source = f"from {fmt_lr(top)} " if start == 0 else ""
        return f"follows a cosine {source}down toward {floor_text} and restarts (jumps back up){where}"
    return (f"starts at {fmt_lr(s.initial)}, peaks at {fmt_lr(s.peak)} at {unit} {s.peak_at} and ends at "
            f"{fmt_lr(s.final)} at {unit} {view.last}")


def _cycle_clause(view: _View, unit: str, args: dict[str, Any], shape: str) -> str:
    s = view.summary
    up = _arg_num(args, "step_size_up")
    down = _arg_num(args, "step_size_down") or up
    if up is None and s.rises:
        up = s.warmup_steps or (s.rises[0].end - s.rises[0].start + 1)
        down = (s.rises[0].start - 1) - s.peak_at
    text = f"cycles between {fmt_lr(s.minimum)} and {fmt_lr(s.peak)}"
    if up and down:
        text += (f": up over {_n_units(up, unit)}, down over {_n_units(down, unit)} (one cycle every "
                 f"{_n_units(up + down, unit)})")
    if shape.endswith("(triangular2)"):
        text += ", and the height of each cycle is half the previous one"
    elif shape.endswith("(exp_range)"):
        gamma = _arg_num(args, "gamma")
        text += (f", and the height shrinks by gamma={fmt_lr(gamma)} every {unit}" if gamma is not None
                 else ", and the height shrinks every " + unit)
    return text


def _what(view: _View, fact: SchedulerFact, unit: str, args: dict[str, Any]) -> str:
    shape, s = view.shape, view.summary
    if shape == "constant":
        return f"The learning rate stays at {fmt_lr(s.initial)} for the whole run ({_span(0, view.last, unit)})."
    if shape == "increasing":
        return f"The learning rate rises from {fmt_lr(s.initial)} to {fmt_lr(s.peak)} by {unit} {s.peak_at}."
    if shape == "one-cycle":
        if s.peak_at == view.xs[0]:
            return (f"The learning rate starts at its peak {fmt_lr(s.peak)} and anneals down to {fmt_lr(s.final)} by "
                    f"{unit} {view.last}.")
        if s.peak_at >= view.last:
            return f"The learning rate only rises, from {fmt_lr(s.initial)} to {fmt_lr(s.peak)} by {unit} {view.last}."
        return (f"The learning rate rises from {fmt_lr(s.initial)} to {fmt_lr(s.peak)} over the first "
                f"{_n_units(s.warmup_steps or s.peak_at, unit)}, then anneals down to {fmt_lr(s.final)} by "
                f"{unit} {view.last}.")
    if shape.startswith("cyclical"):
        return _sentence("The learning rate " + _cycle_clause(view, unit, args, shape))
    base = shape[len(WARMUP_PREFIX):] if shape.startswith(WARMUP_PREFIX) else shape
    if base != "constant" and base not in DECAYS:
        return _sentence(f"The learning rate {_decay_clause('custom', view, 0, unit, args)}")
    start = s.peak_at if shape.startswith(WARMUP_PREFIX) and s.warmup_steps > 0 else 0
    clause = _decay_clause(base, view, start, unit, args)
    if start > 0:
        warm = f"rises from {fmt_lr(s.initial)} to {fmt_lr(s.peak)} over {_n_units(s.warmup_steps, unit)}"
        if base == "constant":
            if s.peak_at >= view.last:
                return _sentence(f"The learning rate rises from {fmt_lr(s.initial)} to {fmt_lr(s.peak)} by "
                                 f"{unit} {view.last}")
            return _sentence(f"The learning rate {warm} and then stays there until {unit} {view.last}")
        return _sentence(f"The learning rate {warm}, then {clause}")
    return _sentence(f"The learning rate {clause}")


# ------------------------------------------------------------------------------------------- intent

_WARM_INTENT = ("the warm-up keeps the first updates small while the optimizer's statistics settle, which "
                "stabilises early training (important with Adam-style optimizers and large batches)")
_DECAY_INTENT = {
    "step decay": "big steps early make fast progress and each cut lets the model settle into a finer minimum",
    "multi-step decay": "big steps early make fast progress and each cut lets the model settle into a finer "
                        "minimum",
    "exponential decay": "a small cut every {unit} trades early speed for a smooth, steady convergence",
    "linear decay": "decaying towards the end lets the last {unit}s polish the model with small steps",
    "polynomial decay": "decaying towards the end lets the last {unit}s polish the model with small steps "
                        "(the 'poly' policy)",
    "cosine annealing": "the cosine keeps the rate high for long, then lowers it smoothly so training converges "
                        "at the end, with no milestones to tune",
    "cosine with restarts": "each restart raises the rate again to escape sharp minima and explore, and each "
                            "cycle ends at a low rate (SGDR)",
    "constant": "a constant rate is the simplest choice, but nothing anneals at the end, which can leave some "
                "accuracy on the table",
    "custom": "this is not a standard pattern, so read the schedule's code to confirm it does what the authors "
              "meant",
}
_OTHER_INTENT = {
    "one-cycle": "the one-cycle policy warms up to a high peak and then anneals far below the start, for fast "
                 "convergence ('super-convergence') within a fixed budget",
    "cyclical": "cycling between two bounds alternates exploring (large rates) and settling (small rates) instead "
                "of hand-tuning a decay (cyclical learning rates)",
    "plateau-driven": "it cuts the rate only when progress stalls, so the schedule adapts to the run instead of "
                      "fixing the {unit}s in advance",
    "increasing": "a rate that only grows is unusual outside a warm-up or a learning-rate range test; check that "
                  "this is intended",
}


def _intent(shape: str, unit: str) -> str:
    if shape.startswith("cyclical"):
        text = _OTHER_INTENT["cyclical"]
        if shape.endswith("(triangular2)") or shape.endswith("(exp_range)"):
            text += ", while the shrinking height settles training over time"
        return _sentence(text)
    if shape in _OTHER_INTENT:
        return _sentence(_OTHER_INTENT[shape].format(unit=unit))
    if shape.startswith(WARMUP_PREFIX):
        base = shape[len(WARMUP_PREFIX):]
        after = "the rate stays at its peak" if base == "constant" else \
            _DECAY_INTENT.get(base, _DECAY_INTENT["custom"]).format(unit=unit)
        return _sentence(f"{_WARM_INTENT}; afterwards, {after}")
    return _sentence(_DECAY_INTENT.get(shape, _DECAY_INTENT["custom"]).format(unit=unit))


# ---------------------------------------------------------------------------------------- surprises


def _same_number(text: str | None, value: float) -> bool:
    if text is None:
        return False
    try:
        v = float(text.split("=")[-1])
    except ValueError:
        return False
    return math.isclose(v, value, rel_tol=1e-9, abs_tol=0.0)


def _ignores_lr(fact: SchedulerFact, view: _View, optimizer_lr_text: str | None, args: dict[str, Any]) -> str:
    short = _short(fact.cls)
    entry = _catalog_entry(fact.cls)
    ignores = bool(getattr(entry, "ignores_optimizer_lr", False)) or short in ("OneCycleLR", "CyclicLR")
    if not ignores or optimizer_lr_text is None or _same_number(optimizer_lr_text, view.summary.initial):
        return ""
    lr_text = optimizer_lr_text if optimizer_lr_text.startswith("lr") else f"lr={optimizer_lr_text}"
    if short == "OneCycleLR":
        source = "max_lr/div_factor"
    elif short == "CyclicLR":
        source = "base_lr"
    else:
        source = "its own starting value"
    return f"{short} ignores the optimizer's {lr_text} and starts at {source} = {fmt_lr(view.summary.initial)}"


def _never_changes(fact: SchedulerFact, view: _View, unit: str, args: dict[str, Any]) -> str:
    if view.shape != "constant" or len(view.values) < 2:
        return ""
    short = _short(fact.cls)
    n = view.length
    if short == "StepLR":
        size, gamma = _arg_num(args, "step_size"), _arg_num(args, "gamma")
        if gamma == 1:
            return "with gamma=1 the schedule never changes the rate"
        if size is not None and size > view.last:
            return (f"the schedule never changes the rate in this run: step_size={_fmt_int(size)} but the run has "
                    f"only {_n_units(n, unit)}")
    if short == "MultiStepLR":
        ms = args.get("milestones")
        if isinstance(ms, (list, tuple)) and ms:
            return (f"the schedule never changes the rate in this run: all milestones ({_fmt_value(list(ms))}) are "
                    f"after the last {unit} ({view.last})")
    if short in ("StepLR", "MultiStepLR", "ExponentialLR", "CosineAnnealingLR", "PolynomialLR", "LinearLR",
                 "ConstantLR", "LambdaLR", "MultiplicativeLR", "CosineAnnealingWarmRestarts", "SequentialLR",
                 "ChainedScheduler") or fact.cls.startswith(("custom:", "manual:")):
        return "the schedule never changes the rate in this run"
    return ""


def _rises_again(fact: SchedulerFact, view: _View, unit: str, args: dict[str, Any]) -> str:
    shape, s = view.shape, view.summary
    base = shape[len(WARMUP_PREFIX):] if shape.startswith(WARMUP_PREFIX) else shape
    if not s.rises or base not in DECAYS or base == "cosine with restarts":
        return ""
    first = s.rises[0]
    low = view.xs[max(0, view.pos(first.start) - 1)]
    horizon = _horizon_arg(args)
    if horizon is not None and horizon[1] < view.length:
        name, value = horizon
        return (f"the rate rises again after {unit} {low} because {name}={_fmt_int(value)} but the loop "
                f"runs {_n_units(view.length, unit)}")
    return f"the rate rises again after {unit} {low} (from {fmt_lr(first.before)} to {fmt_lr(first.after)})"


def _unfinished(fact: SchedulerFact, view: _View, unit: str, args: dict[str, Any]) -> str:
    shape, s = view.shape, view.summary
    base = shape[len(WARMUP_PREFIX):] if shape.startswith(WARMUP_PREFIX) else shape
    length = view.length
    if shape == "one-cycle":
        total = _arg_num(args, "total_steps")
        if total is None and _arg_num(args, "epochs") and _arg_num(args, "steps_per_epoch"):
            total = _arg_num(args, "epochs") * _arg_num(args, "steps_per_epoch")  # type: ignore[operator]
        if total is not None and total > length:
            return (f"the cycle never finishes: it is sized for {_n_units(total, 'step')} but the run steps it only "
                    f"{_fmt_int(length)} times, ending at {fmt_lr(s.final)}")
        if s.peak_at >= view.last and len(view.values) > 1:
            return f"the one-cycle never leaves its warm-up in this run: the rate is still rising at {unit} {view.last}"
        return ""
    if base in ("cosine annealing", "linear decay", "polynomial decay") and not s.rises:
        horizon = _cut_short(view, s.peak_at if shape.startswith(WARMUP_PREFIX) else 0, args)
        if horizon is not None:
            name, value = horizon
            return (f"the decay never finishes: {name}={_fmt_int(value)} but the loop runs "
                    f"{_n_units(length, unit)}, so the rate only gets down to {fmt_lr(s.final)}")
    if shape.startswith(WARMUP_PREFIX) or shape == "increasing":
        if s.peak_at == view.last and len(view.values) > 1:
            gamma = _arg_num(args, "gamma")
            if shape == "increasing" and gamma is not None and gamma > 1:
                return f"with gamma={fmt_lr(gamma)} above 1, every step makes the rate larger"
            if shape.startswith(WARMUP_PREFIX):
                return f"the warm-up does not finish in this run: the rate is still rising at {unit} {view.last}"
            return f"the rate is still rising at the end of the run ({unit} {view.last})"
    return ""


def _sign_problems(view: _View, unit: str) -> str:
    s = view.summary
    if s.negative:
        i = next(i for i, v in enumerate(view.values) if v < 0)
        return (f"the rate becomes negative at {unit} {view.xs[i]} ({fmt_lr(view.values[i])}), which makes the "
                f"optimizer climb the loss instead of descending")
    if s.zero_at is not None and s.zero_at < view.last:
        tail = view.values[view.pos(s.zero_at):]
        if all(v <= 0 for v in tail):
            count = view.last - s.zero_at + 1
            return (f"the rate is 0 from {unit} {s.zero_at} on, so the last {_n_units(count, unit)} do not change "
                    f"the weights")
    if view.values and view.values[0] == 0 and len(view.values) > 1:
        return f"the first {unit} runs with a rate of 0, so its update is wasted"
    return ""


def _surprises(fact: SchedulerFact, curve: Curve, view: _View, unit: str, args: dict[str, Any],
               optimizer_lr_text: str | None) -> list[str]:
    found: list[str] = []
    if curve.stops_at is not None:
        why = f" ({_inline(curve.stop_reason)})" if curve.stop_reason else ""
        found.append(f"careful: {_library(fact.framework)} raises after step {curve.stops_at}{why}")
    if fact.stepped == "never":
        found.append("the script never calls step() on this scheduler, so only its starting value is ever used")
    for text in (  # most important first: only the first few fit in the paragraph
        _never_changes(fact, view, unit, args),
        _unfinished(fact, view, unit, args),
        _rises_again(fact, view, unit, args),
        _sign_problems(view, unit),
        _ignores_lr(fact, view, optimizer_lr_text, args),
    ):
        if text:
            found.append(text)
    return found


# ------------------------------------------------------------------------------------------- plateau


def _plateau_rule(fact: SchedulerFact, unit: str, args: dict[str, Any]) -> str:
    fw = fact.framework
    short = _short(fact.cls)
    factor = _arg_num(args, "factor", "decay_rate")
    patience = _arg_num(args, "patience", "patience_t")
    cooldown = _arg_num(args, "cooldown", "cooldown_t")
    min_lr = args.get("min_lr", args.get("lr_min"))
    mode = args.get("mode")
    threshold = _arg_num(args, "threshold", "min_delta")
    rel = args.get("threshold_mode", "rel" if fw != "keras" else "abs") == "rel"
    monitor = fact.monitor.value if isinstance(fact.monitor, Known) else args.get("monitor")
    given = next((site.arg_text for site in fact.step_sites if site.arg_text), None)
    notes: list[str] = []
    if isinstance(monitor, str):
        watched = repr(monitor)
        notes.append("the monitored metric")
    elif given:
        watched = given
        notes.append("the metric passed to step()")
    else:
        watched = "the metric passed to step()"
    better = {"min": "lower is better", "max": "higher is better", "auto": "direction guessed from its name"}
    if mode is not None:
        notes.append(f"{better.get(str(mode), 'mode ' + repr(mode))}, mode={mode!r}")
    mode_text = f" ({'; '.join(notes)})" if notes else ""
    cut = f"multiplies the rate by factor={fmt_lr(factor)}" if factor is not None else "cuts the rate"
    after = ""
    if patience is not None:
        # torch and timm cut after patience+1 bad epochs, Keras after patience (reference section 8.12)
        bad = patience if fw == "keras" else patience + 1
        after = f" for {_n_units(bad, unit)} in a row (patience={_fmt_int(patience)})"
    by = ""
    if threshold is not None:
        by = f" by more than {'a relative' if rel else 'an absolute'} threshold of {fmt_lr(threshold)}"
    tail = []
    if cooldown:
        tail.append(f"then waits cooldown={_fmt_int(cooldown)} {unit}s before counting again")
    if isinstance(min_lr, (int, float)) and not isinstance(min_lr, bool):
        tail.append(f"it never goes below min_lr={fmt_lr(min_lr)}")
    rest = ("; " + "; ".join(tail)) if tail else ""
    return _sentence(f"{short} watches {watched}{mode_text} and {cut} once it has not improved{by}{after}{rest}")


def _plateau_assumption(view: _View, curve: Curve, unit: str) -> str:
    drops = view.summary.drops
    note = ""
    if curve.assumption and "never improve" not in curve.assumption:
        note = f" ({_inline(curve.assumption)})"
    if not drops:
        return _sentence(f"If the metric never improves{note}, the rate is still never cut within this run")
    ratios = {fmt_lr(d.before / d.after) for d in drops if d.after > 0}
    gaps = [b.at - a.at for a, b in zip(drops, drops[1:])]
    how = f"cut {ratios.pop()}x" if len(ratios) == 1 else "cut"
    every = f" every {_n_units(gaps[0], unit)}" if gaps and all(g == gaps[0] for g in gaps) else ""
    return _sentence(f"If the metric never improves{note}, the rate is {how}{every} (first at {unit} {drops[0].at}), "
                     f"down to {fmt_lr(view.summary.final)} by {unit} {view.last}")


# --------------------------------------------------------------------------------------------- public


def _known_args_sentence(fact: SchedulerFact, error: str | None = None, *, unknown_only: bool = False) -> str:
    skip = {"optimizer", "last_epoch", "verbose", "name"}
    given = [(k, v) for k, v in fact.args.items()
             if isinstance(v, Known) and k not in skip and v.value is not None and not unknown_only]
    stated = [(k, v) for k, v in given if "default" not in v.source]  # defaults are noise here
    known = [f"{k}={_fmt_value(v.value)}" for k, v in (stated or given)]
    unknown = [f"{k} ({_inline(v.reason)})" for k, v in fact.args.items()
               if isinstance(v, Unknown) and k not in skip and not (error and _inline(v.reason) in error)]
    parts = []
    if known:
        parts.append("known: " + ", ".join(known[:8]))
    if unknown:
        parts.append("unknown: " + "; ".join(unknown[:4]))
    return _sentence("; ".join(parts)) if parts else ""


def _explain_unknown(fact: SchedulerFact, curve: Curve, unit: str, optimizer_lr_text: str | None = None) -> str:
    sized = _sized_shape(fact, curve, unit, optimizer_lr_text)
    if sized:
        return sized
    short = _short(fact.cls)
    entry = _catalog_entry(fact.cls)
    if fact.framework == "unknown":  # a parameter or attribute used as a scheduler (extract/unknown.py)
        what = f"{fact.variable or 'This'} is used as a learning-rate scheduler, but its class is not known here"
        sentences = [_sentence(what), _sentence(f"The curve is unknown ({_inline(fact.class_reason or '')})")]
        stepped = {"epoch": "once per epoch", "batch": "once per batch",
                   "both": "both per batch and per epoch"}.get(fact.stepped)
        if stepped:
            sentences.append(_sentence(f"It is stepped {stepped}"))
        return " ".join(sentences)
    if fact.cls.startswith(("custom:", "manual:")):
        kind = "a custom scheduler" if fact.cls.startswith("custom:") else "a hand-written schedule"
        what = f"{short} is {kind}" + (f": {_inline(fact.description)}" if fact.description else "")
    elif entry is not None and getattr(entry, "summary", ""):
        summary = entry.summary
        verb = summary.split(" ", 1)[0]
        what = f"{short} {summary}" if verb.endswith("s") and verb not in ("cosine", "its") else \
            f"{short}: {summary}"
    else:
        what = f"This is {short}"
    if short in ("ReduceLROnPlateau", "PlateauLRScheduler"):
        sentences = [_plateau_rule(fact, unit, _plain_args(fact)),
                     _known_args_sentence(fact, curve.error, unknown_only=True)]
    else:
        sentences = [_sentence(what), _known_args_sentence(fact, curve.error)]
    reason = f" ({_inline(curve.error)})" if curve.error else ""
    sentences.append(_sentence(f"The curve is unknown{reason}"))
    stepped = {"epoch": "once per epoch", "batch": "once per batch", "both": "both per batch and per epoch",
               "never": "never (step() is not called)"}.get(fact.stepped)
    if stepped:  # the horizon is printed on its own line (explain, notes) and given in the JSON: not repeated here
        sentences.append(_sentence(f"It is stepped {stepped}"))
    return " ".join(s for s in sentences if s)


def explain(fact: SchedulerFact, curve: Curve, *, optimizer_lr_text: str | None) -> str:
    """A short paragraph (2-5 sentences) a new team member understands.

    What the rate does (in the script's units), the likely intent, what is surprising in this run (in numbers),
    where the horizon comes from and any assumption the curve rests on. Unknown curves explain what is known
    and why the rest is not.
    """
    unit = _unit(fact, curve)
    if curve.lr is None or len(curve.lr) == 0:
        return _explain_unknown(fact, curve, unit, optimizer_lr_text)
    if fact.sizes and curve.assumption and "batches per epoch to show the shape" in curve.assumption \
            and fact.framework == "hf":
        # drawn at an assumed loader length: the exact words are those in terms of the size itself
        from .extract.build import ASSUMED_LEN

        sized = _sized_shape(fact, curve, unit, optimizer_lr_text)
        if sized:
            return f"{sized} {_sentence(f'The curve drawn assumes {ASSUMED_LEN} batches per epoch to show the shape')}"
    args = _plain_args(fact)
    view = _View(fact, curve)
    if view.shape == "plateau-driven":
        head = [_plateau_rule(fact, unit, args), _intent("plateau-driven", unit),
                _plateau_assumption(view, curve, unit)]
        assumption = ""
    else:
        head = [_what(view, fact, unit, args), _intent(view.shape, unit)]
        if fact.cls.startswith("custom:") and (fact.description or "").startswith("class "):
            # a class that writes the rate itself (extract/rate_writers.py): where to read it
            head.append(_sentence(f"The {_inline(fact.description or '')}"))
        assumption = _sentence(f"Assumption: {_inline(curve.assumption)}") if curve.assumption else ""
    tail = [assumption] if assumption else []  # the horizon has its own line in explain and the notes
    room = max(0, MAX_SENTENCES - len(head) - len(tail))
    surprises = [_sentence(s) for s in _surprises(fact, curve, view, unit, args, optimizer_lr_text)[:room]]
    return " ".join(s for s in head + surprises + tail if s)


# ------------------------------------------------------------------------------ run-time sizes

_HF_SHAPES = {  # short name -> what the rate does after the warm-up, down to 0 at num_training_steps
    "get_linear_schedule_with_warmup": "falls linearly to 0",
    "get_cosine_schedule_with_warmup": "follows half a cosine down to 0",
}


def _sized_shape(fact: SchedulerFact, curve: Curve, unit: str, optimizer_lr_text: str | None) -> str:
    """The shape of a curve that is unknown only because a length is a run-time size (``len(loader)``), in terms
    of that size: "The learning rate rises from 0 to 2e-05 over 100 steps, then falls linearly to 0 at the last
    step of 3 epochs x len(train_dataloader)". Empty when the schedule is not one worded here, or when another
    argument is unknown too."""
    if not fact.sizes:
        return ""
    unknown = {k for k, v in fact.args.items() if isinstance(v, Unknown)}
    if not unknown or not unknown <= set(fact.sizes):
        return ""
    from .catalog.hf_legacy import function_of

    short = function_of(_short(fact.cls))  # pytorch_transformers' WarmupLinearSchedule is the linear function
    args = _plain_args(fact)
    words = ""
    if short in _HF_SHAPES and "num_training_steps" in fact.sizes and optimizer_lr_text is not None:
        peak = _number_text(optimizer_lr_text)
        warm = args.get("num_warmup_steps")
        if peak is None or not isinstance(warm, (int, float)) or isinstance(warm, bool):
            return ""
        end = _end_of(fact, curve, fact.sizes["num_training_steps"], "steps")
        after = _HF_SHAPES[short]
        if warm > 0:
            words = f"The learning rate rises from 0 to {peak} over {_n_units(int(warm), 'step')}, then {after} {end}"
        else:
            words = f"The learning rate starts at {peak} and {after} {end}"
    elif short == "CosineAnnealingLR" and "T_max" in fact.sizes and optimizer_lr_text is not None:
        peak = _number_text(optimizer_lr_text)
        eta = args.get("eta_min", 0)
        if peak is None or not isinstance(eta, (int, float)):
            return ""
        words = (f"The learning rate follows half a cosine from {peak} down to {fmt_lr(eta)} "
                 f"{_end_of(fact, curve, fact.sizes['T_max'], unit + 's')}")
    elif short == "OneCycleLR" and ("total_steps" in fact.sizes or (
            "steps_per_epoch" in fact.sizes and isinstance(args.get("epochs"), int))):
        total = fact.sizes.get("total_steps") or _times(args["epochs"], fact.sizes["steps_per_epoch"])
        max_lr, div = args.get("max_lr"), args.get("div_factor", 25.0)
        pct, final = args.get("pct_start", 0.3), args.get("final_div_factor", 1e4)
        if not all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in (max_lr, div, pct, final)):
            return ""
        start = max_lr / div  # type: ignore[operator]
        how = "linearly" if args.get("anneal_strategy") == "linear" else "along a cosine"
        words = (f"The learning rate rises from {fmt_lr(start)} to {fmt_lr(max_lr)} over the first {pct:.0%} of the "
                 f"cycle, then falls {how} to {fmt_lr(start / final)} "
                 f"{_end_of(fact, curve, total, 'steps')}")
    if not words:
        return ""
    sizes = sorted({m for text in fact.sizes.values() for m in re.findall(r"len\([^)]*\)+", text)})
    known_when = _sentence(f"The exact steps are known only at run time: {' and '.join(sizes) or 'a size'} "
                           f"depends on the data, which the script does not state")
    stepped = {"epoch": "once per epoch", "batch": "once per batch", "both": "both per batch and per epoch",
               "never": "never (step() is not called)"}.get(fact.stepped)
    out = [_sentence(words), known_when]
    if stepped:
        out.append(_sentence(f"It is stepped {stepped}"))
    return " ".join(out)


def _times(n: int, size: str) -> str:
    m = re.match(r"(\d+) x (.*)$", size)
    if m:
        return f"{n * int(m.group(1))} x {m.group(2)}"
    return size if n == 1 else f"{n} x {size}"


def _number_text(text: str) -> str | None:
    try:
        return fmt_lr(float(text))
    except ValueError:
        return None


def _end_of(fact: SchedulerFact, curve: Curve, size: str, units: str) -> str:
    """"at the last step of 3 epochs x len(loader)" when the schedule ends with the run, else "after N steps"."""
    m = re.match(r"(\d+) x (len\(.*\))$", size)
    source = curve.horizon_source or fact.horizon_source or ""
    if m and re.search(rf"(?<![\w.]){m.group(1)} epochs x an assumed", source):
        return f"at the last step of {m.group(1)} epochs x {m.group(2)}"
    return f"after {size} {units}"


def milestones(curve: Curve, unit: str) -> list[tuple[str, str, str]]:
    """Rows (what, when, lr) for the notes' table: start, end of warm-up, peak, drops (up to 10), below 10% and
    1% of the peak, restarts and rises (up to 10), where the library raises, and the end."""
    if curve.lr is None or len(curve.lr) == 0:
        return []
    word = {"batch": "step", "iteration": "iteration", "epoch": "epoch"}.get(unit, unit or "step")
    values = [float(v) for v in curve.lr]
    xs: Sequence[int] = list(curve.steps) if curve.steps is not None else list(range(len(values)))
    s = curve.summary or summarize(values, xs)
    at = dict(zip(xs, values))
    at.update(s.exact)  # milestones found between samples

    def when(k: int) -> str:
        return f"{word} {k}"

    rows: list[tuple[int, int, str, str, str]] = [(xs[0], 0, "start", when(xs[0]), fmt_lr(values[0]))]
    if s.warmup_steps > 0:
        rows.append((s.peak_at, 1, "end of warm-up (peak)", when(s.peak_at), fmt_lr(s.peak)))
    elif s.peak_at != xs[0]:
        rows.append((s.peak_at, 1, "peak", when(s.peak_at), fmt_lr(s.peak)))
    for d in s.drops[:MAX_TABLE_DROPS]:
        what = f"drop (x{fmt_lr(d.after / d.before)})" if d.before != 0 else "drop"
        rows.append((d.at, 2, what, when(d.at), fmt_lr(d.after)))
    for label, k in (("below 10% of peak", s.below_10pct_at), ("below 1% of peak", s.below_1pct_at)):
        if k is not None:
            rows.append((k, 3, label, when(k), fmt_lr(at[k]) if k in at else "\u2014"))
    for r in s.rises[:MAX_TABLE_RISES]:
        label = "restart" if r.start == r.end else "rise"
        rows.append((r.start, 4, label, when(r.start), fmt_lr(r.after)))
    if curve.stops_at is not None:
        rows.append((curve.stops_at, 5, "the library raises", when(curve.stops_at), "\u2014"))
    rows.append((xs[-1], 6, "end", when(xs[-1]), fmt_lr(values[-1])))
    rows.sort(key=lambda r: (r[0], r[1]))
    return [(what, w, lr) for _, _, what, w, lr in rows]


__all__ = ["explain", "fmt_lr", "milestones"]
