"""fvcore's ParamSchedulers and detectron2's schedules built on them (checked against fvcore 0.1.5 and, for
detectron2, against goldens recorded from its source: tests/golden/make_detectron2_golden.py).

detectron2 multiplies every base rate by ``multiplier(iter / max_iter)`` (``LRMultiplier``); ``build_lr_scheduler``
makes the multiplier from ``SOLVER.LR_SCHEDULER_NAME`` wrapped in a ``WarmupParamScheduler`` (a
``CompositeParamScheduler`` of the warm-up and the schedule). The DeepLab project's ``WarmupPolyLR`` (used by
MaskFormer and Mask2Former) is a torch scheduler with its own formula.
"""

from __future__ import annotations

import bisect
import math
from typing import Any, Callable, Sequence

WHERE_EPSILON = 1e-6


class SimError(Exception):
    pass


def _num(x: Any) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool)


def constant(value: float) -> Callable[[float], float]:
    def f(where: float) -> float:
        if where >= 1.0:
            raise SimError(f"where in ParamScheduler must be in [0, 1]: got {where}")
        return value
    return f


def cosine(start_value: float, end_value: float) -> Callable[[float], float]:
    return lambda w: end_value + 0.5 * (start_value - end_value) * (1 + math.cos(math.pi * w))


def linear(start_value: float, end_value: float) -> Callable[[float], float]:
    return lambda w: end_value * w + start_value * (1 - w)


def exponential(start_value: float, decay: float) -> Callable[[float], float]:
    return lambda w: start_value * (decay ** w)


def polynomial(base_value: float, power: float) -> Callable[[float], float]:
    return lambda w: base_value * (1 - w) ** power


def multistep(values: Sequence[float], num_updates: int | None = None,
              milestones: Sequence[int] | None = None) -> Callable[[float], float]:
    values = list(values)
    if num_updates is None and milestones is None:
        raise SimError("num_updates and milestones cannot both be None")
    if milestones is None:
        ms: list[int] = []
        step_width = math.ceil(num_updates / float(len(values)))  # type: ignore[operator]
        for idx in range(len(values) - 1):
            ms.append(step_width * (idx + 1))
    else:
        ms = list(milestones)
        if len(ms) != len(values) - int(num_updates is not None):
            raise SimError("MultiStep scheduler requires a list of %d miletones" % (
                len(values) - int(num_updates is not None)))
    if num_updates is None:
        num_updates, ms = ms[-1], ms[:-1]
    if num_updates < len(values):
        raise SimError("Total num_updates must be greater than length of param schedule")
    start = 0
    for m in ms:
        if m >= num_updates:
            raise SimError(f"Milestone must be smaller than total number of updates: num_updates={num_updates}, "
                           f"milestone={m}")
        if start >= m:
            raise SimError(f"Milestone must be smaller than start epoch: start_epoch={start}, milestone={m}")
        start = m
    n = num_updates

    def f(where: float) -> float:
        if where > 1.0:
            raise SimError(f"where in ParamScheduler must be in [0, 1]: got {where}")
        epoch_num = int((where + WHERE_EPSILON) * n)
        return values[bisect.bisect_right(ms, epoch_num)]
    return f


def step(num_updates: float, values: Sequence[float]) -> Callable[[float], float]:
    if num_updates <= 0:
        raise SimError("Number of updates must be larger than 0")
    if not values:
        raise SimError("Step scheduler requires a list of at least one param value")
    vals = list(values)
    return lambda w: vals[int((w + WHERE_EPSILON) * len(vals))]


def step_fixed_gamma(base_value: float, num_decays: int, gamma: float, num_updates: int) -> Callable[[float], float]:
    for k in (base_value, gamma):
        if not (_num(k) and k > 0):
            raise SimError("base_value and gamma must be positive numbers")
    for k in (num_decays, num_updates):
        if not (isinstance(k, int) and k > 0):
            raise SimError("num_decays and num_updates must be positive integers")
    values = [base_value]
    for _ in range(num_decays):
        values.append(values[-1] * gamma)
    return step(num_updates, values)


def composite(schedulers: Sequence[Callable[[float], float]], lengths: Sequence[float],
              interval_scaling: Sequence[str]) -> Callable[[float], float]:
    lengths = list(lengths)
    if len(schedulers) != len(lengths):
        raise SimError("Schedulers and lengths must be same length")
    if not schedulers:
        raise SimError("There must be at least one scheduler in the composite scheduler")
    if abs(sum(lengths) - 1.0) >= 1e-3:
        raise SimError("The sum of all values in lengths must be 1")
    if sum(lengths) != 1.0:
        lengths[-1] = 1.0 - sum(lengths[:-1])
    for s in interval_scaling:
        if s not in ("rescaled", "fixed"):
            raise SimError(f"Unsupported interval_scaling: {s}")

    def f(where: float) -> float:
        i = 0
        running = lengths[i]
        while (where + WHERE_EPSILON) > running and i < len(schedulers) - 1:
            i += 1
            running += lengths[i]
        w = where
        if interval_scaling[i] == "rescaled":
            start = running - lengths[i]
            w = (where - start) / lengths[i]
        return schedulers[i](w)
    return f


def warmup(scheduler: Callable[[float], float], warmup_factor: float, warmup_length: float,
           warmup_method: str = "linear", rescale_interval: bool = False) -> Callable[[float], float]:
    """detectron2.solver.WarmupParamScheduler."""
    end_value = scheduler(0.0) if rescale_interval else scheduler(warmup_length)
    start_value = warmup_factor * scheduler(0.0)
    if warmup_method == "constant":
        w = constant(start_value)
    elif warmup_method == "linear":
        w = linear(start_value, end_value)
    else:
        raise SimError(f"Unknown warmup method: {warmup_method}")
    return composite([w, scheduler], [warmup_length, 1 - warmup_length],
                     ["rescaled", "rescaled" if rescale_interval else "fixed"])


BUILDERS: dict[str, tuple[Callable[..., Any], tuple[str, ...]]] = {
    "ConstantParamScheduler": (constant, ("value",)),
    "CosineParamScheduler": (cosine, ("start_value", "end_value")),
    "LinearParamScheduler": (linear, ("start_value", "end_value")),
    "ExponentialParamScheduler": (exponential, ("start_value", "decay")),
    "PolynomialDecayParamScheduler": (polynomial, ("base_value", "power")),
    "MultiStepParamScheduler": (multistep, ("values", "num_updates", "milestones")),
    "StepParamScheduler": (step, ("num_updates", "values")),
    "StepWithFixedGammaParamScheduler": (step_fixed_gamma, ("base_value", "num_decays", "gamma", "num_updates")),
    "CompositeParamScheduler": (composite, ("schedulers", "lengths", "interval_scaling")),
    "WarmupParamScheduler": (warmup, ("scheduler", "warmup_factor", "warmup_length", "warmup_method",
                                      "rescale_interval")),
}


def build(spec: Any) -> Callable[[float], float]:
    """A multiplier from a spec tree ``{"type": "WarmupParamScheduler", "scheduler": {...}, ...}``."""
    if not isinstance(spec, dict):
        raise SimError(f"not a scheduler: {spec!r}"[:120])
    t = str(spec.get("type", "")).rsplit(".", 1)[-1]
    if t not in BUILDERS:
        raise SimError(f"{t or 'an unknown object'} is not a ParamScheduler lraudit simulates")
    fn, names = BUILDERS[t]
    kwargs: dict[str, Any] = {}
    for k, v in spec.items():
        if k == "type":
            continue
        if k not in names:
            raise SimError(f"{t} has no argument {k!r} (TypeError when it is built)")
        if k == "scheduler":
            v = build(v)
        elif k == "schedulers":
            v = [build(x) for x in v]
        kwargs[k] = v
    try:
        return fn(**kwargs)
    except TypeError as exc:
        raise SimError(f"{t}: {exc}") from None


def solver_spec(name: str, a: dict[str, Any]) -> dict[str, Any]:
    """detectron2.solver.build_lr_scheduler's multiplier for a yacs SOLVER section."""
    max_iter = a["max_iter"]
    if name == "WarmupMultiStepLR":
        steps = [x for x in a["steps"] if x <= max_iter]
        sched: dict[str, Any] = {"type": "MultiStepParamScheduler", "values": [a["gamma"] ** k
                                                                                for k in range(len(steps) + 1)],
                                 "milestones": steps, "num_updates": max_iter}
    elif name == "WarmupCosineLR":
        end_value = a["base_lr_end"] / a["base_lr"]
        if not 0.0 <= end_value <= 1.0:
            raise SimError(f"AssertionError: BASE_LR_END / BASE_LR = {end_value} is outside [0, 1]")
        sched = {"type": "CosineParamScheduler", "start_value": 1, "end_value": end_value}
    elif name == "WarmupStepWithFixedGammaLR":
        sched = {"type": "StepWithFixedGammaParamScheduler", "base_value": 1.0, "gamma": a["gamma"],
                 "num_decays": a["num_decays"], "num_updates": max_iter}
    else:
        raise SimError(f"Unknown LR scheduler: {name} (detectron2 raises ValueError)")
    return {"type": "WarmupParamScheduler", "scheduler": sched, "warmup_factor": a["warmup_factor"],
            "warmup_length": min(a["warmup_iters"] / max_iter, 1.0), "warmup_method": a["warmup_method"],
            "rescale_interval": a.get("rescale_interval", False)}


def warmup_poly(a: dict[str, Any]) -> Callable[[int], float]:
    """DeepLab's WarmupPolyLR (detectron2/projects/DeepLab/deeplab/lr_scheduler.py): multiplier at iteration k."""
    max_iters, factor, witers, method = a["max_iter"], a["warmup_factor"], a["warmup_iters"], a["warmup_method"]
    power, ending = a.get("power", 0.9), a.get("constant_ending", 0.0)

    def warm(it: int) -> float:
        if it >= witers:
            return 1.0
        if method == "constant":
            return factor
        if method == "linear":
            alpha = it / witers
            return factor * (1 - alpha) + alpha
        raise SimError(f"Unknown warmup method: {method}")

    def f(k: int) -> float:
        w = warm(k)
        if ending > 0 and w == 1.0:
            if math.pow(1 - k / max_iters, power) < ending:
                return ending
        return w * math.pow(1 - k / max_iters, power)
    return f


def multipliers(name: str, args: dict[str, Any], length: int) -> Callable[[int], float]:
    """Multiplier of the base rate at iteration k (k = 0 right after construction)."""
    if name == "WarmupPolyLR":
        return warmup_poly(args)
    if name == "LRMultiplier":
        m = build(args["multiplier"])
        max_iter = args["max_iter"]
    else:
        m = build(solver_spec(name, args))
        max_iter = args["max_iter"]
    if not _num(max_iter) or max_iter <= 0:
        raise SimError(f"max_iter={max_iter!r} must be a positive number")
    return lambda k: m(k / max_iter)


# --------------------------------------------------------------------------------- facts -> curve

def simulate(facts: Any, s: Any, opts: Any) -> Any:
    from ..facts import Known
    from ..results import Curve
    from ..simulate import RelativeOnly, Unresolved, _dense_or_sampled, _optimizer_spec
    from .mmengine_sim import MAX_SIMULATED

    name = s.cls.rsplit(".", 1)[-1]
    relative = None
    try:
        try:
            base = _optimizer_spec(facts, s, False).lrs[0]
        except RelativeOnly as rel:
            base, relative = 1.0, f"{rel}; the curve shows multiples of that rate"
        args: dict[str, Any] = {}
        for k, v in s.args.items():
            if not isinstance(v, Known):
                raise Unresolved(f"{k} is unknown: {v.reason}")
            args[k] = v.value
        max_iter = args.get("max_iter")
        if not (_num(max_iter) and max_iter > 0):
            raise Unresolved("the number of iterations (max_iter) is not known")
        length = int(max_iter) if opts.steps is None else opts.steps
        source = f"{int(max_iter)} iterations ({'SOLVER.MAX_ITER' if name != 'LRMultiplier' else 'train.max_iter'})" \
            if opts.steps is None else f"--steps {opts.steps}"
        if length > MAX_SIMULATED:
            raise Unresolved(f"a run of {length:,} steps is longer than lraudit simulates ({MAX_SIMULATED:,})")
        m = multipliers(name, args, length)

        def value(k: int) -> float:
            return base * m(min(k, int(max_iter) - 1))

        lr, steps, summary = _dense_or_sampled(lambda n: [value(k) for k in range(n)], length, opts,
                                               lambda idx: [value(k) for k in idx])
    except Unresolved as exc:
        return Curve(None, None, 0, "", "step", error=str(exc))
    except SimError as exc:
        return Curve(None, None, 0, "", "step", error=f"detectron2/fvcore raise: {exc}")
    except (TypeError, ValueError, ZeroDivisionError, OverflowError, KeyError, IndexError) as exc:
        return Curve(None, None, 0, "", "step", error=f"detectron2 would fail: {type(exc).__name__}: {exc}")
    return Curve(lr, steps, length, source, "step", assumption=relative, summary=summary,  # type: ignore[arg-type]
                 relative=relative is not None)


__all__ = ["build", "solver_spec", "multipliers", "simulate", "SimError", "BUILDERS"]
