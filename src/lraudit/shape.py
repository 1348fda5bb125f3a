"""Curve shapes: the numbers that summarise a learning-rate curve, and a short name for its shape.

``summarize`` turns ``lr`` (``lr[k]`` = the rate after k scheduler steps, optionally sampled at ``steps``)
into a :class:`~lraudit.results.CurveSummary`. ``classify`` names the shape with one phrase of a small,
fixed vocabulary (``SHAPES``), using the scheduler class as a strong hint and the numbers otherwise.

Both are pure functions of their arguments. Every index they report is a scheduler step (``steps[i]`` for a
sampled curve, the position otherwise).

Tolerances
----------
* Two consecutive values are *flat* when they differ by at most ``FLAT_REL`` relative.
* A *rise* is ``lr[k] > lr[k-1]`` by more than ``RISE_REL`` relative (float noise below that is ignored).
* A *drop* is a one-step fall of more than ``DROP_REL`` relative that looks like a step of a step schedule:
  either an isolated fall (at most two falling steps in a row) next to a flat stretch, or a fall much larger
  than its neighbours inside a smooth decay (step decay multiplied with an exponential). The steps of a
  smooth decay are never drops.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .results import CurveSummary, Drop, Rise

FLAT_REL = 1e-9
RISE_REL = 1e-12
DROP_REL = 0.01
MAX_DROPS = 100  # summaries keep the first drops / rises only (a long StepLR(2) run has hundreds)
MAX_RISES = 100
FIT_POINTS = 257  # smooth-decay fits look at most this many evenly spaced points
FIT_TOL = 2e-3  # a model fits when its worst error is below this fraction of the decay's range
SIGNIFICANT_RISE = 0.01  # rises smaller than this fraction of (peak - minimum) do not make a shape cyclic

WARMUP_PREFIX = "warm-up then "

DECAYS: tuple[str, ...] = (
    "step decay",
    "multi-step decay",
    "exponential decay",
    "polynomial decay",
    "linear decay",
    "cosine annealing",
    "cosine with restarts",
)

SHAPES: tuple[str, ...] = (
    ("constant",)
    + DECAYS
    + tuple(WARMUP_PREFIX + x for x in ("constant",) + DECAYS + ("custom",))
    + (
        "one-cycle",
        "cyclical (triangular)",
        "cyclical (triangular2)",
        "cyclical (exp_range)",
        "plateau-driven",
        "increasing",
        "custom",
    )
)

# ------------------------------------------------------------------------------------ small predicates


def _flat(a: float, b: float) -> bool:
    return abs(b - a) <= FLAT_REL * max(abs(a), abs(b))


def _rise(a: float, b: float) -> bool:
    return b - a > RISE_REL * abs(a)


def _fall(a: float, b: float) -> bool:
    return a - b > FLAT_REL * max(abs(a), abs(b))


def _rel_fall(a: float, b: float) -> float:
    if a == 0:
        return math.inf if b < a else 0.0
    return (a - b) / abs(a)


def _all_flat(values: Sequence[float]) -> bool:
    return all(_flat(values[k - 1], values[k]) for k in range(1, len(values)))


def _positions(lr: Sequence[float], steps: Sequence[int] | None) -> tuple[list[float], list[int]]:
    values = [float(v) for v in lr]
    if steps is None:
        return values, list(range(len(values)))
    xs = [int(s) for s in steps]
    if len(xs) != len(values):
        raise ValueError(f"steps has {len(xs)} entries but lr has {len(values)}")
    return values, xs


def _runs(indices: Sequence[int]) -> list[list[int]]:
    """Group sorted integers into runs of consecutive values."""
    runs: list[list[int]] = []
    for k in indices:
        if runs and runs[-1][-1] == k - 1:
            runs[-1].append(k)
        else:
            runs.append([k])
    return runs


# ----------------------------------------------------------------------------------------- analysis


@dataclass(frozen=True)
class _Analysis:
    """Positions (not steps) of the features ``summarize`` reports."""

    peak: float
    peak_i: int
    minimum: float
    warmup_end: int  # position where the warm-up reaches the peak; 0 when there is no warm-up
    drops: tuple[int, ...]
    rises: tuple[tuple[int, int], ...]  # (first, last) positions of rising stretches after the warm-up


def _peak_index(values: Sequence[float], peak: float) -> int:
    for i, v in enumerate(values):
        if math.isfinite(v) and v >= peak - FLAT_REL * abs(peak):
            return i
    return 0


def _drop_positions(values: Sequence[float]) -> list[int]:
    n = len(values)
    falls = [k for k in range(1, n) if _fall(values[k - 1], values[k])]
    found: list[int] = []
    for run in _runs(falls):
        first, last = run[0], run[-1]
        if len(run) <= 2:
            flat_before = first == 1 or _flat(values[first - 2], values[first - 1])
            flat_after = last == n - 1 or _flat(values[last], values[last + 1])
            if flat_before or flat_after:
                found.extend(k for k in run if _rel_fall(values[k - 1], values[k]) > DROP_REL)
            continue
        # inside a smooth decay: keep only steps much larger than both neighbours (StepLR x ExponentialLR)
        rel = {k: _rel_fall(values[k - 1], values[k]) for k in run}
        for k in run[:-1]:
            r = rel[k]
            positive = min(values[k - 2] if k >= 2 else 1.0, values[k - 1], values[k], values[k + 1]) > 0
            if positive and r > DROP_REL and r > 3 * rel.get(k - 1, 0.0) and r > 3 * rel[k + 1]:
                found.append(k)
    return found


def _rise_stretches(values: Sequence[float], start: int) -> list[tuple[int, int]]:
    """Maximal rising stretches at positions > start; stretches separated only by flat steps merge."""
    stretches: list[tuple[int, int]] = []
    first = last = -1
    for k in range(start + 1, len(values)):
        a, b = values[k - 1], values[k]
        if _rise(a, b):
            if first < 0:
                first = k
            last = k
        elif not _flat(a, b) and first >= 0:
            stretches.append((first, last))
            first = last = -1
    if first >= 0:
        stretches.append((first, last))
    return stretches


def _analyze(values: Sequence[float]) -> _Analysis:
    finite = [v for v in values if math.isfinite(v)]
    peak = max(finite, default=math.nan)
    minimum = min(finite, default=math.nan)
    peak_i = _peak_index(values, peak)
    # the initial monotone non-decreasing prefix; a warm-up when it reaches the (first) peak
    i = 0
    while i + 1 < len(values) and values[i + 1] >= values[i] - RISE_REL * abs(values[i]):
        i += 1
    warmup_end = peak_i if 0 < peak_i <= i else 0
    return _Analysis(
        peak=peak,
        peak_i=peak_i,
        minimum=minimum,
        warmup_end=warmup_end,
        drops=tuple(_drop_positions(values)),
        rises=tuple(_rise_stretches(values, warmup_end if warmup_end > 0 else 0)),
    )


def summarize(lr: Sequence[float], steps: Sequence[int] | None = None) -> CurveSummary:
    """The numbers a reader wants about a curve; indices are scheduler steps.

    An empty curve gives an all-zero summary (nothing to report, but JSON-safe).
    """
    values, xs = _positions(lr, steps)
    n = len(values)
    if n == 0:
        return CurveSummary(initial=0.0, peak=0.0, peak_at=0, final=0.0, minimum=0.0, final_ratio=None,
                            warmup_steps=0)
    a = _analyze(values)
    initial, final = values[0], values[-1]
    below10 = below1 = None
    if a.peak > 0:
        for i in range(a.peak_i + 1, n):
            # "below" with a little slack so that exactly 10% (0.1 * 0.1 in floats) is not below 10%
            if below10 is None and values[i] < 0.1 * a.peak * (1 - FLAT_REL):
                below10 = xs[i]
            if values[i] < 0.01 * a.peak * (1 - FLAT_REL):
                below1 = xs[i]
                break
    zero_at = next((xs[i] for i in range(a.warmup_end, n) if values[i] <= 0), None)
    return CurveSummary(
        initial=initial,
        peak=a.peak,
        peak_at=xs[a.peak_i],
        final=final,
        minimum=a.minimum,
        final_ratio=(final / initial) if initial != 0 else None,
        warmup_steps=xs[a.warmup_end] - xs[0] if a.warmup_end > 0 else 0,
        drops=tuple(Drop(at=xs[k], before=values[k - 1], after=values[k]) for k in a.drops[:MAX_DROPS]),
        below_10pct_at=below10,
        below_1pct_at=below1,
        rises=tuple(Rise(start=xs[s], end=xs[e], before=values[s - 1], after=values[e])
                    for s, e in a.rises[:MAX_RISES]),
        zero_at=zero_at,
        negative=any(v < 0 for v in values),
    )



# ------------------------------------------------------------------------------ sampled curves

REFINE_WINDOW = 4096  # a gap between two samples this small is evaluated whole; wider ones are bisected


def refine_summary(s: CurveSummary, lr: Sequence[float], steps: Sequence[int],
                   point: Callable[[list[int]], Sequence[float]], window: int = REFINE_WINDOW) -> CurveSummary:
    """The summary of a sampled curve with its milestones at their exact steps.

    A curve of a long run is sampled (1,000 evenly spaced steps), so the peak, the end of the warm-up, each
    drop and the steps where the rate falls below 10% / 1% of its peak are only known to within one gap.
    ``point`` evaluates the schedule at given steps (sorted, distinct); each milestone is located inside its
    gap: the peak by evaluating the gap whole (or a ternary search when it is wide), the others by bisection
    on a condition that holds from the milestone on (the schedule is assumed monotone inside the gap; the
    result is never worse than the sample it replaces). Gaps up to ``window`` steps are evaluated whole, all
    in one call of ``point`` when every gap is that small (simulators that step through the run answer many
    steps at once as cheaply as one).
    """
    xs = list(steps)
    vals = [float(v) for v in lr]
    n = len(xs)
    if n < 2 or n != len(vals) or not all(math.isfinite(v) for v in vals):
        return s
    memo: dict[int, float] = dict(zip(xs, vals))

    def values_at(ks: Sequence[int]) -> list[float]:
        need = sorted({k for k in ks if k not in memo})
        if need:
            got = [float(v) for v in point(need)]
            if len(got) != len(need) or not all(math.isfinite(v) for v in got):
                raise ValueError("the schedule could not be evaluated at every step")
            memo.update(zip(need, got))
        return [memo[k] for k in ks]

    def at(k: int) -> float:
        return values_at([k])[0]

    def first(lo: int, hi: int, pred: Callable[[float], bool]) -> int:
        """The first t in (lo, hi] with pred(at(t)), given pred(at(hi))."""
        if hi - lo <= window:
            ks = list(range(lo + 1, hi + 1))
            return next((k for k, v in zip(ks, values_at(ks)) if pred(v)), hi)
        while hi - lo > 1:
            mid = (lo + hi) // 2
            if pred(at(mid)):
                hi = mid
            else:
                lo = mid
        return hi

    index = {x: i for i, x in enumerate(xs)}
    gaps = [(xs[k - 1], xs[k]) for k in range(1, n) if xs[k] in (s.peak_at, s.below_10pct_at, s.below_1pct_at,
                                                                  s.zero_at, *(d.at for d in s.drops))]
    gaps += [(xs[k], xs[k + 1]) for k in range(n - 1) if xs[k] == s.peak_at]
    if gaps and all(b - a <= window for a, b in gaps):  # every gap in one call
        values_at(sorted({k for a, b in gaps for k in range(a, b + 1)}))
    peak, peak_at = s.peak, s.peak_at
    i = index.get(peak_at)
    if i is not None and i > 0:
        lo, hi = xs[i - 1], xs[i + 1] if i + 1 < n else xs[i]
        a, b = lo, hi
        while b - a > window:  # a ternary search for the maximum (one hump inside two gaps)
            m1, m2 = a + (b - a) // 3, b - (b - a) // 3
            if at(m1) < at(m2):
                a = m1 + 1
            else:
                b = m2
        ks = list(range(a, b + 1))
        vs = values_at(ks)
        top = max(vs)
        if top >= peak:
            best = ks[vs.index(top)]
            peak = top
            peak_at = first(lo, best, lambda v: v >= top - FLAT_REL * abs(top)) if best > lo else best
    warmup = peak_at - xs[0] if s.warmup_steps > 0 else 0
    drops = []
    for d in s.drops:
        k = index.get(d.at)
        if k is None or k == 0:
            drops.append(d)
            continue
        slack = FLAT_REL * max(abs(d.before), abs(d.after))
        t = first(xs[k - 1], xs[k], lambda v, after=d.after, slack=slack: v <= after + slack)
        drops.append(Drop(at=t, before=at(t - 1), after=at(t)))

    def below(fraction: float) -> int | None:
        if peak <= 0:
            return None
        thr = fraction * peak * (1 - FLAT_REL)
        start = index.get(peak_at, 0)
        j = next((j for j in range(max(start, 1), n) if xs[j] > peak_at and vals[j] < thr), None)
        if j is None:
            return None
        return first(max(xs[j - 1], peak_at), xs[j], lambda v: v < thr)

    zero_at = s.zero_at
    if zero_at is not None and index.get(zero_at, 0) > 0:
        k = index[zero_at]
        zero_at = first(xs[k - 1], xs[k], lambda v: v <= 0)
    from dataclasses import replace

    below10, below1 = below(0.1), below(0.01)
    sampled = set(xs)
    marks = {k for k in (peak_at, below10, below1, zero_at, *(d.at for d in drops)) if k is not None}
    exact = tuple(sorted((k, memo[k]) for k in marks if k not in sampled and k in memo))
    return replace(s, peak=peak, peak_at=peak_at, warmup_steps=warmup, drops=tuple(drops),
                   below_10pct_at=below10, below_1pct_at=below1, zero_at=zero_at, exact=exact)

# ------------------------------------------------------------------------------------ class hints


def _plain(v: Any) -> Any:
    """Accept plain values, and Known/Unknown wrappers for convenience (Unknown -> None)."""
    if hasattr(v, "known") and hasattr(v, "value"):
        return v.value if v.known else None
    return v


def _num(args: Mapping[str, Any], *names: str) -> float | None:
    for name in names:
        v = args.get(name)
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            return float(v)
    return None


def _short_name(cls: str) -> str:
    if cls.startswith(("custom:", "manual:")):
        return ""
    return cls.replace(":", ".").rsplit(".", 1)[-1]


def _factor_shape(gamma: float | None, decay: str) -> str:
    if gamma is None or 0 <= gamma < 1:
        return decay
    if gamma == 1:
        return "constant"
    return "increasing" if gamma > 1 else "custom"


def _power_shape(power: float | None) -> str:
    if power == 1:
        return "linear decay"
    if power == 0:
        return "constant"
    return "polynomial decay"


def _with_warmup(shape: str, warmup: float | None) -> str:
    """HF / timm / Keras schedules with a warm-up argument: prefix unless it is known to be 0."""
    if warmup is not None and warmup <= 0:
        return shape
    return WARMUP_PREFIX + shape


_HF_NAMES = {
    "linear": "get_linear_schedule_with_warmup",
    "cosine": "get_cosine_schedule_with_warmup",
    "cosine_with_restarts": "get_cosine_with_hard_restarts_schedule_with_warmup",
    "polynomial": "get_polynomial_decay_schedule_with_warmup",
    "constant": "get_constant_schedule",
    "constant_with_warmup": "get_constant_schedule_with_warmup",
    "inverse_sqrt": "get_inverse_sqrt_schedule",
    "reduce_lr_on_plateau": "get_reduce_on_plateau_schedule",
    "cosine_with_min_lr": "get_cosine_with_min_lr_schedule_with_warmup",
    "cosine_warmup_with_min_lr": "get_cosine_with_min_lr_schedule_with_warmup_lr_rate",
}


def _class_hint(short: str, args: Mapping[str, Any]) -> str | None:  # noqa: C901 - a flat table
    """The shape a known class produces, from its arguments alone (None: let the numbers decide)."""
    from .catalog.hf_legacy import function_of

    short = function_of(short)  # pytorch_transformers' schedule classes: the functions they amount to
    if short == "get_scheduler":
        name = str(args.get("name") or "").rsplit(".", 1)[-1].lower()
        short = _HF_NAMES.get(name, "")
    hf_warm = _num(args, "num_warmup_steps")
    timm_warm = _num(args, "warmup_t")
    if short in ("ReduceLROnPlateau", "PlateauLRScheduler", "get_reduce_on_plateau_schedule"):
        return "plateau-driven"
    if short == "StepLR":
        return _factor_shape(_num(args, "gamma"), "step decay")
    if short == "MultiStepLR":
        milestones = args.get("milestones")
        if isinstance(milestones, (list, tuple)) and not milestones:
            return "constant"
        single = isinstance(milestones, (list, tuple)) and len(set(milestones)) == 1
        return _factor_shape(_num(args, "gamma"), "step decay" if single else "multi-step decay")
    if short == "ExponentialLR":
        return _factor_shape(_num(args, "gamma"), "exponential decay")
    if short == "PolynomialLR":
        return _power_shape(_num(args, "power"))
    if short == "LinearLR":
        start, end = _num(args, "start_factor"), _num(args, "end_factor")
        if start is None or end is None:
            return None
        if start == end:
            return "constant"
        return WARMUP_PREFIX + "constant" if start < end else "linear decay"
    if short == "ConstantLR":
        return "constant" if _num(args, "factor") == 1 else WARMUP_PREFIX + "constant"
    if short == "CosineAnnealingLR":
        return "cosine annealing"
    # schedules config files build (configs/): detectron2's and mmcv 1.x's with their own warm-up arguments
    if short in ("WarmupCosineLR", "WarmupPolyLR"):
        warm = WARMUP_PREFIX if (_num(args, "warmup_iters") or 0) > 0 and (_num(args, "warmup_factor") or 1) < 1 \
            else ""
        base = "cosine annealing" if short == "WarmupCosineLR" else _power_shape(_num(args, "power"))
        return warm + base if base else None
    if short in ("CosineAnnealingLrUpdaterHook", "PolyLrUpdaterHook"):
        warm = WARMUP_PREFIX if args.get("warmup") is not None and (_num(args, "warmup_ratio") or 1) < 1 else ""
        base = "cosine annealing" if short.startswith("Cosine") else _power_shape(_num(args, "power"))
        return warm + base if base else None
    if short == "CosineAnnealingWarmRestarts":
        return "cosine with restarts"
    if short == "CyclicLR":
        if args.get("scale_fn") is not None:
            return None
        mode = args.get("mode", "triangular")
        return f"cyclical ({mode})" if mode in ("triangular", "triangular2", "exp_range") else None
    if short == "OneCycleLR":
        return "one-cycle"
    if short == "SWALR":
        return "linear decay" if args.get("anneal_strategy") == "linear" else "cosine annealing"
    # Keras schedules
    if short == "ExponentialDecay":
        shape = _factor_shape(_num(args, "decay_rate"), "exponential decay")
        return "step decay" if shape == "exponential decay" and args.get("staircase") is True else shape
    if short == "PiecewiseConstantDecay":
        values = args.get("values")
        if isinstance(values, (list, tuple)) and len(values) >= 2:
            if any(b > a for a, b in zip(values, values[1:])):
                return None
            return "step decay" if len(values) == 2 else "multi-step decay"
        return "multi-step decay"
    if short == "PolynomialDecay":
        return None if args.get("cycle") is True else _power_shape(_num(args, "power"))
    if short == "InverseTimeDecay":  # lr / (1 + rate * t / steps): a power-law (hyperbolic) decay
        return "step decay" if args.get("staircase") is True else "polynomial decay"
    if short == "CosineDecay":
        warm = _num(args, "warmup_steps")
        with_warmup = bool(warm) and args.get("warmup_target") is not None
        return WARMUP_PREFIX + "cosine annealing" if with_warmup else "cosine annealing"
    if short == "CosineDecayRestarts":
        return "cosine with restarts"
    # Hugging Face
    if short == "get_constant_schedule":
        return "constant"
    if short == "get_constant_schedule_with_warmup":
        return _with_warmup("constant", hf_warm)
    if short == "get_linear_schedule_with_warmup":
        return _with_warmup("linear decay", hf_warm)
    if short in ("get_cosine_schedule_with_warmup", "get_cosine_with_min_lr_schedule_with_warmup",
                 "get_cosine_with_min_lr_schedule_with_warmup_lr_rate"):
        return _with_warmup("cosine annealing", hf_warm)
    if short == "get_cosine_with_hard_restarts_schedule_with_warmup":
        return _with_warmup("cosine with restarts", hf_warm)
    if short == "get_polynomial_decay_schedule_with_warmup":
        return _with_warmup(_power_shape(_num(args, "power")), hf_warm)
    if short == "get_inverse_sqrt_schedule":
        return _with_warmup("polynomial decay", hf_warm)
    # timm
    if short == "CosineLRScheduler":
        limit = _num(args, "cycle_limit")
        base = "cosine with restarts" if limit is not None and limit > 1 else "cosine annealing"
        return _with_warmup(base, timm_warm if timm_warm is not None else 0)
    if short == "PolyLRScheduler":
        return _with_warmup(_power_shape(_num(args, "power")), timm_warm if timm_warm is not None else 0)
    if short in ("StepLRScheduler", "MultiStepLRScheduler"):
        base = _factor_shape(_num(args, "decay_rate"),
                             "step decay" if short == "StepLRScheduler" else "multi-step decay")
        return _with_warmup(base, timm_warm if timm_warm is not None else 0) if base in DECAYS else base
    return None


def _children_hint(args: Mapping[str, Any]) -> str | None:
    """SequentialLR / ChainedScheduler given component class names: warm-up component + the last one."""
    children = args.get("schedulers")
    if not isinstance(children, (list, tuple)) or not children or not all(isinstance(c, str) for c in children):
        return None
    names = [_short_name(c) for c in children]
    last = _class_hint(names[-1], {})
    if last is None or last.startswith(WARMUP_PREFIX):
        return None
    if len(names) >= 2 and names[0] in ("LinearLR", "ConstantLR"):
        return WARMUP_PREFIX + last if last in ("constant",) + DECAYS else None
    return last if len(names) == 1 else None


# ------------------------------------------------------------------------------- curve-based shapes


def _downsample(values: Sequence[float], xs: Sequence[int], limit: int = FIT_POINTS
                ) -> tuple[list[float], list[int]]:
    n = len(values)
    if n <= limit:
        return list(values), list(xs)
    idx = sorted({round(i * (n - 1) / (limit - 1)) for i in range(limit)})
    return [values[i] for i in idx], [xs[i] for i in idx]


def _golden(f: Any, lo: float, hi: float, iterations: int = 60) -> float:
    g = (math.sqrt(5) - 1) / 2
    a, b = lo, hi
    c, d = b - g * (b - a), a + g * (b - a)
    fc, fd = f(c), f(d)
    for _ in range(iterations):
        if fc <= fd:
            b, d, fd = d, c, fc
            c = b - g * (b - a)
            fc = f(c)
        else:
            a, c, fc = c, d, fd
            d = a + g * (b - a)
            fd = f(d)
    return (a + b) / 2


def _minimize(f: Any, lo: float, hi: float, grid: int = 48) -> float:
    """Grid search then golden-section refinement of a 1-D function on [lo, hi]."""
    pts = [lo + (hi - lo) * j / grid for j in range(grid + 1)]
    vals = [f(p) for p in pts]
    j = min(range(len(pts)), key=vals.__getitem__)
    a, b = pts[max(0, j - 1)], pts[min(grid, j + 1)]
    best = _golden(f, a, b)
    return best if f(best) <= vals[j] else pts[j]


def _max_err(y: Sequence[float], pred: Sequence[float], scale: float) -> float:
    return max(abs(a - b) for a, b in zip(y, pred)) / scale


def _cosine_pred(y: Sequence[float], u: Sequence[float], q: float) -> list[float] | None:
    """Least-squares ``y = e + (B - e) * (1 + cos(pi q u)) / 2`` for fixed q; None when degenerate."""
    c = [(1 + math.cos(math.pi * q * t)) / 2 for t in u]
    a = [1 - v for v in c]
    saa = sum(v * v for v in a)
    sab = sum(p * r for p, r in zip(a, c))
    sbb = sum(v * v for v in c)
    say = sum(p * r for p, r in zip(a, y))
    sby = sum(p * r for p, r in zip(c, y))
    det = saa * sbb - sab * sab
    if abs(det) <= 1e-18 * max(1.0, saa * sbb):
        return None
    e = (say * sbb - sby * sab) / det
    big = (saa * sby - sab * say) / det
    return [e * p + big * r for p, r in zip(a, c)]


def _sse(y: Sequence[float], pred: Sequence[float] | None) -> float:
    if pred is None:
        return math.inf
    try:
        return sum((a - b) ** 2 for a, b in zip(y, pred))
    except OverflowError:  # rates near 1e304 from a hand-written schedule: no fit is meaningful
        return math.inf


def _fit_cosine(y: Sequence[float], u: Sequence[float], lo: float, hi: float, scale: float) -> float:
    q = _minimize(lambda q: _sse(y, _cosine_pred(y, u, q)), lo, hi)
    pred = _cosine_pred(y, u, q)
    return math.inf if pred is None else _max_err(y, pred, scale)


def _poly_pred(y0: float, e: float, u: Sequence[float], y: Sequence[float], q: float) -> list[float] | None:
    """``y = e + (y0 - e) * (1 - q u)^p`` with p fitted on logs; None when it cannot be fitted."""
    num = den = 0.0
    for t, v in zip(u, y):
        base = 1 - q * t
        z = (v - e) / (y0 - e)
        if 0 < t and 0 < base < 1 and z > 0:
            lb = math.log(base)
            num += math.log(z) * lb
            den += lb * lb
    if den == 0:
        return None
    p = num / den
    if p <= 0:
        return None
    return [e + (y0 - e) * max(0.0, 1 - q * t) ** p for t in u]


def _fit_polynomial(y: Sequence[float], u: Sequence[float], scale: float) -> float:
    y0, yl = y[0], y[-1]
    best = math.inf
    full = _poly_pred(y0, yl, u, y, 1.0)  # reaches its floor at the end of the segment
    if full is not None:
        best = _max_err(y, full, scale)
    if y0 > 0:  # decays towards 0 but the run stops before (PolynomialLR cut short)
        q = _minimize(lambda q: _sse(y, _poly_pred(y0, 0.0, u, y, q)), 0.02, 1.0)
        part = _poly_pred(y0, 0.0, u, y, q)
        if part is not None:
            best = min(best, _max_err(y, part, scale))
    return best


def _fit_power_law(y: Sequence[float], x: Sequence[int], scale: float) -> float:
    """Max error of the best ``y0 * (x / x0) ** -p`` (the inverse square root decay after a Noam or
    ``get_inverse_sqrt_schedule`` warm-up, p = 0.5): a polynomial decay in the step itself, which never reaches 0."""
    y0, x0 = y[0], x[0]
    if x0 <= 0 or y0 <= 0 or any(v <= 0 for v in y):
        return math.inf
    num = den = 0.0
    for v, t in zip(y, x):
        lt = math.log(t / x0)
        num += math.log(v / y0) * lt
        den += lt * lt
    if den == 0:
        return math.inf
    p = -num / den
    if p <= 0:
        return math.inf
    return _max_err(y, [y0 * (t / x0) ** -p for t in x], scale)


def _smooth_decay(values: Sequence[float], xs: Sequence[int]) -> str:
    """Name a smooth, monotone decay by the model that fits it best."""
    y, x = _downsample(values, xs)
    y0, yl = y[0], y[-1]
    scale = y0 - yl
    if scale <= 0 or x[-1] == x[0]:
        return "custom"
    u = [(t - x[0]) / (x[-1] - x[0]) for t in x]
    errors: dict[str, float] = {
        "linear decay": _max_err(y, [y0 + (yl - y0) * t for t in u], scale),
    }
    if yl > 0:
        errors["exponential decay"] = _max_err(y, [y0 * (yl / y0) ** t for t in u], scale)
    errors["cosine annealing"] = _fit_cosine(y, u, 1e-3, 1.0, scale)
    errors["polynomial decay"] = min(_fit_polynomial(y, u, scale), _fit_power_law(y, x, scale))
    best = min(errors.values())
    if best > FIT_TOL:
        return "custom"
    for name, err in errors.items():  # ties go to the simplest model (dict order)
        if err <= best + 1e-9:
            return name
    return "custom"


def _step_kind(values: Sequence[float], xs: Sequence[int], falls: Sequence[int]) -> str:
    """Regular drops by a constant factor: step decay; anything else piecewise constant: multi-step."""
    if len(falls) <= 1:
        return "step decay"
    ratios = [values[k] / values[k - 1] if values[k - 1] != 0 else math.nan for k in falls]
    same_ratio = all(math.isfinite(r) and abs(r - ratios[0]) <= 1e-6 * max(1.0, abs(ratios[0])) for r in ratios)
    gaps = [xs[falls[0]] - xs[0]] + [xs[b] - xs[a] for a, b in zip(falls, falls[1:])]
    if len(falls) == 2:
        regular = gaps[0] == gaps[1]
    else:
        regular = all(g == gaps[1] for g in gaps[2:]) and 0 < gaps[0] <= gaps[1]
    return "step decay" if same_ratio and regular else "multi-step decay"


def _decay_shape(values: Sequence[float], xs: Sequence[int]) -> str:
    """Shape of a segment that starts at its maximum and (mostly) only goes down."""
    n = len(values)
    if n <= 1 or _all_flat(values):
        return "constant"
    falls = [k for k in range(1, n) if _fall(values[k - 1], values[k])]
    if all(len(run) <= 2 for run in _runs(falls)):
        return _step_kind(values, xs, falls)
    i0, i1 = 0, n - 1  # trim a leading hold and a trailing floor
    while i0 + 1 < n and _flat(values[i0], values[i0 + 1]):
        i0 += 1
    while i1 - 1 > i0 and _flat(values[i1 - 1], values[i1]):
        i1 -= 1
    if i1 - i0 < 2:
        return "step decay"
    return _smooth_decay(values[i0:i1 + 1], xs[i0:i1 + 1])


def _pieces(values: Sequence[float]) -> list[tuple[int, int, int]]:
    """Monotone pieces (direction, first, last position); flat steps extend the current piece."""
    pieces: list[list[int]] = []
    for k in range(1, len(values)):
        a, b = values[k - 1], values[k]
        d = 0 if _flat(a, b) else (1 if b > a else -1)
        if not pieces:
            if d:
                pieces.append([d, 0, k])
            continue
        last = pieces[-1]
        if d == 0 or d == last[0]:
            last[2] = k
        else:
            pieces.append([d, last[2], k])
    return [(p[0], p[1], p[2]) for p in pieces]


def _is_linear(values: Sequence[float], xs: Sequence[int], i0: int, i1: int, scale: float) -> bool:
    if i1 - i0 < 2:
        return True
    x0, x1, y0, y1 = xs[i0], xs[i1], values[i0], values[i1]
    slope = (y1 - y0) / (x1 - x0)
    return all(abs(values[i] - (y0 + slope * (xs[i] - x0))) <= 1e-6 * scale for i in range(i0 + 1, i1))


def _triangular_shape(values: Sequence[float], xs: Sequence[int], scale: float) -> str | None:
    """Straight-line cycles (CyclicLR triangular / triangular2), judged from the monotone pieces."""
    pieces = _pieces(values)
    if len(pieces) < 3 or not all(_is_linear(values, xs, i0, i1, scale) for _, i0, i1 in pieces):
        return None
    for direction in (1, -1):
        slopes = [abs(values[i1] - values[i0]) / (xs[i1] - xs[i0]) for d, i0, i1 in pieces if d == direction]
        ratios = [b / a for a, b in zip(slopes, slopes[1:]) if a > 0]
        if not ratios:
            continue
        if all(abs(r - 1) <= 1e-3 for r in ratios):
            return "cyclical (triangular)"
        if all(abs(r - 0.5) <= 1e-3 for r in ratios):
            return "cyclical (triangular2)"
        return None
    return None


def _exp_range(values: Sequence[float], xs: Sequence[int], scale: float) -> bool:
    """CyclicLR exp_range: ``base + amplitude * triangle(t) * gamma**t`` (troughs stay at base)."""
    pieces = _pieces(values)
    if len(pieces) < 3:
        return False
    troughs = [values[i1] for (d, _, i1), nxt in zip(pieces, pieces[1:]) if d == -1 and nxt[0] == 1]
    if not troughs or any(abs(t - troughs[0]) > 1e-6 * scale for t in troughs):
        return False
    base = troughs[0]
    complete = [p for p in pieces[:-1] if abs(values[p[1] if p[0] == 1 else p[2]] - base) <= 1e-6 * scale]
    pts: list[tuple[float, float]] = []
    for d, i0, i1 in complete:
        span = xs[i1] - xs[i0]
        for i in range(i0, i1 + 1):
            frac = (xs[i] - xs[i0]) / span if d == 1 else (xs[i1] - xs[i]) / span
            h = values[i] - base
            if frac > 0 and h > 0:
                pts.append((float(xs[i]), math.log(h / frac)))
    if len(pts) < 3:
        return False
    mx = sum(p[0] for p in pts) / len(pts)
    my = sum(p[1] for p in pts) / len(pts)
    sxx = sum((p[0] - mx) ** 2 for p in pts)
    if sxx == 0:
        return False
    slope = sum((p[0] - mx) * (p[1] - my) for p in pts) / sxx
    return slope != 0 and all(abs(p[1] - (my + slope * (p[0] - mx))) <= 1e-6 for p in pts)


def _periodic_cosine(values: Sequence[float], xs: Sequence[int], scale: float) -> bool:
    """A cosine that keeps going past its minimum (CosineAnnealingLR stepped past T_max)."""
    pieces = _pieces(values)
    if not pieces or pieces[0][0] != -1:
        return False
    first_trough = pieces[0][2]
    half = xs[first_trough] - xs[0]
    if half <= 0:
        return False
    y, x = _downsample(values, xs)
    span = x[-1] - x[0]
    u = [(t - x[0]) / span for t in x]
    q0 = span / half  # half-periods covered
    err = _fit_cosine(y, u, 0.9 * q0, 1.1 * q0, scale)
    return err <= FIT_TOL


def _sudden(values: Sequence[float], first: int, last: int) -> bool:
    total = values[last] - values[first - 1]
    biggest = max(values[k] - values[k - 1] for k in range(first, last + 1))
    return total > 0 and biggest > 0.6 * total


def _ramp_then_flat(values: Sequence[float], peak_i: int) -> bool:
    """A non-decreasing curve that climbs in one contiguous ramp (or one jump) and then holds."""
    if peak_i >= len(values) - 1:
        return False
    up = [k for k in range(1, peak_i + 1) if _rise(values[k - 1], values[k])]
    return bool(up) and up[-1] - up[0] + 1 == len(up)


def _one_cycle_like(values: Sequence[float], xs: Sequence[int], peak_i: int) -> bool:
    """A long, smooth warm-up from a non-zero start to a high peak, then a smooth anneal below the start."""
    n = len(values)
    v0 = values[0]
    if not (v0 > 0 and peak_i >= 0.15 * (n - 1) and values[-1] < v0 and values[peak_i] >= 2 * v0):
        return False
    ramp = sum(1 for k in range(1, peak_i + 1) if _rise(values[k - 1], values[k]))
    tail = _decay_shape(values[peak_i:], xs[peak_i:])
    return ramp >= 3 and tail not in ("step decay", "multi-step decay", "constant")


def _restart_shape(values: Sequence[float], xs: Sequence[int], start: int,
                   rises: Sequence[tuple[int, int]]) -> str:
    bounds = [start] + [first for first, _ in rises] + [len(values)]
    for a, b in zip(bounds, bounds[1:]):
        if b - a >= 4:
            seg_shape = _decay_shape(values[a:b], xs[a:b])
            return "cosine with restarts" if seg_shape == "cosine annealing" else "custom"
    return "custom"


def _shape_from_curve(values: Sequence[float], xs: Sequence[int]) -> str:
    n = len(values)
    if n == 0:
        return "custom"
    if any(not math.isfinite(v) for v in values):
        return "custom"
    if n == 1 or _all_flat(values):
        return "constant"
    if n == 2:
        return "increasing" if values[1] > values[0] else "step decay"
    a = _analyze(values)
    if not any(_fall(values[k - 1], values[k]) for k in range(1, n)):
        return WARMUP_PREFIX + "constant" if _ramp_then_flat(values, a.peak_i) else "increasing"
    scale = a.peak - a.minimum
    warm = a.warmup_end > 0
    start = a.warmup_end
    rises = [(f, l) for f, l in a.rises if values[l] - values[f - 1] > SIGNIFICANT_RISE * scale]
    if not rises:
        if warm:
            if _one_cycle_like(values, xs, a.peak_i):
                return "one-cycle"
            return WARMUP_PREFIX + _decay_shape(values[start:], xs[start:])
        return _decay_shape(values, xs)
    sudden = [_sudden(values, f, l) for f, l in rises]
    if all(sudden):
        base = _restart_shape(values, xs, start, rises)
    elif any(sudden):
        base = "custom"
    else:
        cyclic = _triangular_shape(values, xs, scale)
        if cyclic is not None:
            return cyclic
        if _periodic_cosine(values[start:], xs[start:], scale):
            base = "cosine annealing"
        elif _exp_range(values, xs, scale):
            return "cyclical (exp_range)"
        else:
            base = "custom"
    return WARMUP_PREFIX + base if warm else base


def _reconcile(hint: str, values: Sequence[float], xs: Sequence[int]) -> str:
    """Keep the class's shape, corrected by what the numbers show in this run."""
    if _all_flat(values):
        return "constant"
    if hint == "constant":
        return _shape_from_curve(values, xs)
    base = hint[len(WARMUP_PREFIX):] if hint.startswith(WARMUP_PREFIX) else hint
    prefixed = base != hint
    if base not in DECAYS:
        return hint
    a = _analyze(values)
    no_falls = not any(_fall(values[k - 1], values[k]) for k in range(1, len(values)))
    if no_falls and not prefixed:
        return "increasing"
    if base == "cosine with restarts":
        scale = a.peak - a.minimum
        restarts = [(f, l) for f, l in a.rises if values[l] - values[f - 1] > SIGNIFICANT_RISE * scale
                    and _sudden(values, f, l)]
        if not restarts:
            base = "cosine annealing"
    warm = a.warmup_end > 0
    return WARMUP_PREFIX + base if warm else base


def classify(lr: Sequence[float], cls: str, args: Mapping[str, Any] | None = None,
             steps: Sequence[int] | None = None) -> str:
    """One phrase from ``SHAPES`` naming the curve's shape.

    ``cls`` is the scheduler's qualified name (``custom:``/``manual:`` names get no class hint); ``args``
    holds its arguments as plain values (missing ones are simply absent). The class is a strong hint
    (``StepLR`` is a step decay, ``CosineAnnealingWarmRestarts`` restarts); the numbers decide for
    LambdaLR, manual and custom schedules, and correct the hint when the run shows something else (a curve
    that never changes is ``constant``; warm restarts that never happen leave ``cosine annealing``).
    """
    plain = {k: _plain(v) for k, v in (args or {}).items()}
    values, xs = _positions(lr, steps)
    short = _short_name(cls)
    hint = _class_hint(short, plain) if short else None
    if hint is None and short in ("SequentialLR", "ChainedScheduler"):
        hint = _children_hint(plain)
        if hint is not None and len(values) >= 3:
            return _shape_from_curve(values, xs) if all(math.isfinite(v) for v in values) else hint
    if hint == "plateau-driven":
        return hint
    usable = len(values) >= 2 and all(math.isfinite(v) for v in values)
    if hint is None:
        return _shape_from_curve(values, xs)
    if not usable:
        return hint
    return _reconcile(hint, values, xs)


__all__ = ["SHAPES", "DECAYS", "WARMUP_PREFIX", "summarize", "classify", "refine_summary"]
