"""mmengine's parameter schedulers, step by step as mmengine computes them (checked against mmengine 0.10.7).

Each scheduler is a replica of ``mmengine.optim.scheduler.param_scheduler``: ``_global_step`` counts every
``step()``, the value changes only inside ``[begin, end)`` (``last_step`` counts those steps), and every
``_get_value`` is the chainable recurrence mmengine uses (it reads the group's current rate), so several
schedulers active at once compose exactly as they do on a real optimizer. The runner steps schedulers with
``by_epoch=False`` after every training iteration (``ParamSchedulerHook.after_train_iter``) and those with
``by_epoch=True`` after every epoch; an ``IterBasedTrainLoop`` calls the epoch hook only once, at the end.
``convert_to_iter_based=True`` rescales an epoch-based scheduler by the epoch length
(``build_iter_from_epoch``).
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Sequence

INF = int(1e9)

# name -> (defaults) for every mmengine LR scheduler; ``begin``/``end``/``by_epoch`` are common to all
COMMON = {"begin": 0, "end": INF, "last_step": -1, "by_epoch": True, "verbose": False}
DEFAULTS: dict[str, dict[str, Any]] = {
    "ConstantLR": {"factor": 1.0 / 3},
    "CosineAnnealingLR": {"T_max": None, "eta_min": None, "eta_min_ratio": None},
    "ExponentialLR": {"gamma": None},
    "LinearLR": {"start_factor": 1.0 / 3, "end_factor": 1.0},
    "MultiStepLR": {"milestones": None, "gamma": 0.1},
    "StepLR": {"step_size": None, "gamma": 0.1},
    "PolyLR": {"eta_min": 0, "power": 1.0},
    "OneCycleLR": {"eta_max": 0, "total_steps": None, "pct_start": 0.3, "anneal_strategy": "cos",
                   "div_factor": 25.0, "final_div_factor": 1e4, "three_phase": False},
    "CosineRestartLR": {"periods": None, "restart_weights": (1,), "eta_min": None, "eta_min_ratio": None},
    "ReduceOnPlateauLR": {"monitor": "loss", "rule": "less", "factor": 0.1, "patience": 10, "threshold": 1e-4,
                          "threshold_rule": "rel", "cooldown": 0, "min_value": 0.0, "eps": 1e-8},
    # mmdetection's own warm-up (mmdet/engine/schedulers/quadratic_warmup.py)
    "QuadraticWarmupLR": {},
}
REQUIRED_ARGS = {"ExponentialLR": ("gamma",), "MultiStepLR": ("milestones",), "StepLR": ("step_size",),
                 "CosineRestartLR": ("periods",)}
ALIASES = {"ParamScheduler": "", "Momentum": None}  # LinearParamScheduler -> LinearLR (param_name lr)


def canonical(type_name: str) -> str | None:
    """``LinearLR`` / ``LinearParamScheduler`` (on lr) -> ``LinearLR``; None when not an LR scheduler we know."""
    short = type_name.rsplit(".", 1)[-1]
    if short in DEFAULTS:
        return short
    if short.endswith("ParamScheduler"):
        base = short[: -len("ParamScheduler")]
        for name in DEFAULTS:
            if name[:-2] == base or (base == "CosineAnnealing" and name == "CosineAnnealingLR") or (
                    base == "OneCycle" and name == "OneCycleLR") or (base == "ReduceOnPlateau" and
                                                                    name == "ReduceOnPlateauLR"):
                return name
    return None


class SimError(Exception):
    """mmengine raises here (at construction, or at the step where ``at`` says)."""

    def __init__(self, message: str, at: int | None = None) -> None:
        super().__init__(message)
        self.at = at


@dataclass
class Group:
    lr: float
    extra: dict[str, float] = field(default_factory=dict)


class Sched:
    def __init__(self, name: str, args: dict[str, Any], group: Group) -> None:
        a = dict(COMMON)
        a.update(DEFAULTS[name])
        a.update(args)
        self.name = name
        self.a = a
        self.group = group
        self.begin = a["begin"]
        self.end = a["end"]
        self.by_epoch = bool(a["by_epoch"])
        if name == "OneCycleLR":
            self._init_onecycle()
        self._init_kind()
        if self.end <= self.begin:
            raise SimError(f"end should be larger than begin, but got begin={self.begin}, end={self.end}")
        group.extra.setdefault("initial_lr", group.lr)
        self.base = group.extra["initial_lr"]
        self.last_step = -1
        self.global_step = -1
        self.step()

    def _init_kind(self) -> None:
        a, n = self.a, self.name
        for r in REQUIRED_ARGS.get(n, ()):
            if a.get(r) is None:
                raise SimError(f"{n} needs {r}")
        if n in ("ConstantLR",):
            if a["factor"] > 1.0 or a["factor"] < 0:
                raise SimError("Constant multiplicative factor should between 0 and 1.")
            self.total_iters = self.end - self.begin - 1
        elif n == "LinearLR":
            if a["start_factor"] > 1.0 or a["start_factor"] < 0:
                raise SimError("Starting multiplicative factor should between 0 and 1.")
            if a["end_factor"] > 1.0 or a["end_factor"] < 0:
                raise SimError("Ending multiplicative factor should between 0 and 1.")
            self.total_iters = self.end - self.begin - 1
        elif n == "PolyLR":
            self.total_iters = self.end - self.begin - 1
        elif n == "CosineAnnealingLR":
            eta_min, ratio = a["eta_min"], a["eta_min_ratio"]
            if eta_min is None and ratio is None:
                eta_min = 0.0
            if (eta_min is None) == (ratio is None):
                raise SimError("Either `eta_min` or `eta_min_ratio should be specified")
            self.eta_min, self.eta_min_ratio = eta_min, ratio
            self.T_max = a["T_max"] or (self.end - self.begin)
        elif n == "MultiStepLR":
            self.milestones = Counter(a["milestones"])
        elif n == "CosineRestartLR":
            if (a["eta_min"] is None) == (a["eta_min_ratio"] is None):
                raise SimError("CosineRestartLR needs exactly one of eta_min and eta_min_ratio")
            if len(a["periods"]) != len(a["restart_weights"]):
                raise SimError("periods and restart_weights should have the same length.")
            self.cumulative = [sum(a["periods"][0:i + 1]) for i in range(len(a["periods"]))]
        elif n == "QuadraticWarmupLR":
            self.total_iters = self.end - self.begin
        elif n == "ReduceOnPlateauLR":
            if not self.by_epoch:
                raise SimError("ReduceOnPlateauLR only supports by_epoch=True")

    def _init_onecycle(self) -> None:
        a = self.a
        total = a["total_steps"]
        if total is not None:
            if not isinstance(total, int) or total <= 0:
                raise SimError(f"Expected positive integer total_steps, but got {total}")
            self.total_steps = total
        else:
            self.total_steps = self.end - self.begin
        pct = a["pct_start"]
        if not isinstance(pct, float) or pct < 0 or pct > 1:
            raise SimError(f"Expected float between 0 and 1 pct_start, but got {pct}")
        if a["anneal_strategy"] not in ("cos", "linear"):
            raise SimError(f'anneal_strategy must by one of "cos" or "linear", instead got {a["anneal_strategy"]}')
        t = self.total_steps
        if a["three_phase"]:
            self.phases = [(float(pct * t) - 1, "initial_lr", "max_lr"), (float(2 * pct * t) - 2, "max_lr", "initial_lr"),
                           (t - 1, "initial_lr", "min_lr")]
        else:
            self.phases = [(float(pct * t) - 1, "initial_lr", "max_lr"), (t - 1, "max_lr", "min_lr")]
        eta_max = a["eta_max"]
        if isinstance(eta_max, (list, tuple)):
            eta_max = eta_max[0]
        g = self.group
        g.extra["initial_lr"] = eta_max / a["div_factor"]
        g.extra["max_lr"] = eta_max
        g.extra["min_lr"] = g.extra["initial_lr"] / a["final_div_factor"]

    def step(self) -> None:
        if self.name == "ReduceOnPlateauLR":
            return  # stepped with validation metrics only (after_val_epoch); never changes without them here
        self.global_step += 1
        if self.begin <= self.global_step < self.end:
            self.last_step += 1
            self.group.lr = self.value()

    def value(self) -> float:
        n, a, s, cur = self.name, self.a, self.last_step, self.group.lr
        if n == "StepLR":
            if s == 0 or s % a["step_size"] != 0:
                return cur
            return cur * a["gamma"]
        if n == "MultiStepLR":
            if s not in self.milestones:
                return cur
            return cur * a["gamma"] ** self.milestones[s]
        if n == "ConstantLR":
            if s == 0:
                return cur * a["factor"]
            if s > self.total_iters or s != self.total_iters:
                return cur
            return cur * (1.0 / a["factor"])
        if n == "ExponentialLR":
            return cur if s == 0 else cur * a["gamma"]
        if n == "CosineAnnealingLR":
            eta = self.eta_min if self.eta_min_ratio is None else self.base * self.eta_min_ratio
            if s == 0:
                return cur
            if (s - 1 - self.T_max) % (2 * self.T_max) == 0:
                return cur + (self.base - eta) * (1 - math.cos(math.pi / self.T_max)) / 2
            return (1 + math.cos(math.pi * s / self.T_max)) / (1 + math.cos(math.pi * (s - 1) / self.T_max)) * (
                cur - eta) + eta
        if n == "LinearLR":
            sf, ef = a["start_factor"], a["end_factor"]
            if s == 0:
                return cur * sf
            return cur * (1.0 + (ef - sf) / (self.total_iters * sf + (s - 1) * (ef - sf)))
        if n == "PolyLR":
            if s == 0:
                return cur
            return (cur - a["eta_min"]) * (1 - 1 / (self.total_iters - s + 1)) ** a["power"] + a["eta_min"]
        if n == "OneCycleLR":
            if s > self.total_steps:
                raise SimError(f"Tried to step {s + 1} times. The specified number of total steps is "
                               f"{self.total_steps}", s)
            start = 0.0
            g = self.group.extra
            for i, (end_step, lo, hi) in enumerate(self.phases):
                if s <= end_step or i == len(self.phases) - 1:
                    pct = (s - start) / (end_step - start)
                    if a["anneal_strategy"] == "cos":
                        return g[hi] + (g[lo] - g[hi]) / 2.0 * (math.cos(math.pi * pct) + 1)
                    return (g[hi] - g[lo]) * pct + g[lo]
                start = end_step
            return cur
        if n == "CosineRestartLR":
            idx = next((i for i, p in enumerate(self.cumulative) if s < p), None)
            if idx is None:
                return cur
            weight = a["restart_weights"][idx]
            nearest = 0 if idx == 0 else self.cumulative[idx - 1]
            period = a["periods"][idx]
            step = s - nearest
            eta_max = self.base * weight
            eta_min = a["eta_min"] if a["eta_min_ratio"] is None else self.base * a["eta_min_ratio"]
            if step == 0:
                return eta_max
            return (1 + math.cos(math.pi * step / period)) / (1 + math.cos(math.pi * (step - 1) / period)) * (
                cur - eta_min) + eta_min
        if n == "QuadraticWarmupLR":
            if s == 0:
                return self.base * (2 * s + 1) / self.total_iters ** 2
            return cur + self.base * (2 * s + 1) / self.total_iters ** 2
        return cur


def to_iter_based(name: str, args: dict[str, Any], epoch_length: int) -> dict[str, Any]:
    """``build_iter_from_epoch``: the same scheduler counted in iterations."""
    a = dict(args)
    if not a.get("by_epoch", True):
        raise SimError("Only epoch-based kwargs whose `by_epoch=True` can be converted to iter-based.")
    a["by_epoch"] = False
    if name == "StepLR":
        a["step_size"] = a["step_size"] * epoch_length
    if name == "MultiStepLR":
        a["milestones"] = [i * epoch_length for i in a["milestones"]]
    if name == "CosineAnnealingLR" and a.get("T_max") is not None:
        a["T_max"] = a["T_max"] * epoch_length
    if name == "OneCycleLR" and a.get("total_steps") is not None:
        a["total_steps"] = a["total_steps"] * epoch_length
    if name == "CosineRestartLR":
        a["periods"] = [p * epoch_length for p in a["periods"]]
    a["begin"] = int(a.get("begin", 0) * epoch_length)
    end = a.get("end", INF)
    if end != INF:
        a["end"] = int(end * epoch_length)
    return a


@dataclass(frozen=True)
class Plan:
    """What to simulate: the schedulers (name, args) in list order, the base rate, and how the run steps them."""

    schedulers: tuple[tuple[str, tuple[tuple[str, Any], ...]], ...]
    base_lr: float
    loop: str  # "epoch" (EpochBasedTrainLoop) or "iter" (IterBasedTrainLoop)
    length: int  # epochs (epoch loop) or iterations (iter loop)
    epoch_length: int | None = None  # iterations per epoch, when some scheduler counts iterations


def per_iteration(plan: Plan) -> bool:
    """True when the curve is indexed by iteration (an iteration loop, or any iteration-based scheduler)."""
    if plan.loop == "iter":
        return True
    return any(not dict(a).get("by_epoch", True) or dict(a).get("convert_to_iter_based") for _, a in plan.schedulers)


def run(plan: Plan, want: Sequence[int] | None = None) -> tuple[list[float], list[int]]:
    """The rate in effect at each index (epoch, or iteration when ``per_iteration``); only ``want`` indices
    when given (sorted). Returns (values, indices)."""
    group = Group(float(plan.base_lr))
    scheds = []
    iter_based = per_iteration(plan)
    for name, items in plan.schedulers:
        args = dict(items)
        if args.pop("convert_to_iter_based", False) and args.get("by_epoch", True) and plan.loop == "epoch":
            if not plan.epoch_length:
                raise SimError("convert_to_iter_based needs the number of iterations per epoch")
            args = to_iter_based(name, args, plan.epoch_length)
        scheds.append(Sched(name, args, group))
    wanted = set(want) if want is not None else None
    out: list[float] = []
    idx: list[int] = []
    if not iter_based:
        for e in range(plan.length):
            if wanted is None or e in wanted:
                out.append(group.lr)
                idx.append(e)
            for s in scheds:
                if s.by_epoch:
                    s.step()
        return out, idx
    n = plan.epoch_length if plan.loop == "epoch" else None
    total = plan.length * n if n else plan.length
    last_wanted = max(wanted) if wanted else None
    for t in range(total):
        if last_wanted is not None and t > last_wanted:
            break
        if wanted is None or t in wanted:
            out.append(group.lr)
            idx.append(t)
        for s in scheds:
            if not s.by_epoch:
                s.step()
        if n and (t + 1) % n == 0:
            for s in scheds:
                if s.by_epoch:
                    s.step()
    return out, idx


__all__ = ["Plan", "run", "canonical", "DEFAULTS", "COMMON", "INF", "SimError", "per_iteration", "to_iter_based"]


# --------------------------------------------------------------------------------- facts -> curve

MAX_SIMULATED = 3_000_000
ASSUMED_EPOCH_LENGTH = 100  # iterations per epoch shown when the dataset decides it (labelled as an assumption)
_MEMO: dict[tuple[Any, ...], tuple[list[float], list[int]]] = {}


def memo_run(plan: Plan, want: Sequence[int] | None = None) -> tuple[list[float], list[int]]:
    """``run`` memoised per process: hundreds of configs share a handful of schedules."""
    key = (plan, tuple(want) if want is not None else None)
    hit = _MEMO.get(key)
    if hit is None:
        if len(_MEMO) > 512:
            _MEMO.clear()
        hit = run(plan, want)
        _MEMO[key] = hit
    return hit


def loop_of(facts: Any) -> tuple[str | None, int | None, int | None]:
    """(loop kind, max_epochs, max_iters) from the file's horizon."""
    from ..facts import Known

    h = facts.horizon
    ep = h.epochs.value if isinstance(h.epochs, Known) and isinstance(h.epochs.value, int) else None
    it = h.total_steps.value if isinstance(h.total_steps, Known) and isinstance(h.total_steps.value, int) else None
    if it is not None:
        return "iter", ep, it
    if ep is not None or "epoch" in getattr(h.steps_per_epoch, "reason", "") or "dataset" in getattr(
            h.steps_per_epoch, "reason", ""):
        return "epoch", ep, None
    return None, ep, it


def entry_args(s: Any) -> tuple[str, dict[str, Any]]:
    from ..facts import Known
    from ..simulate import Unresolved

    name = s.cls.rsplit(".", 1)[-1]
    if name not in DEFAULTS:
        raise Unresolved(s.description or f"{name} is not simulated")
    args: dict[str, Any] = {}
    for k, v in s.args.items():
        if not isinstance(v, Known):
            raise Unresolved(f"{k} is unknown: {v.reason}")
        val = v.value
        if isinstance(val, list):
            val = tuple(val)
        args[k] = val
    return name, args


def simulate(facts: Any, s: Any, opts: Any) -> Any:
    """The curve of one mmengine scheduler fact (a ``param_scheduler`` list, or one of its schedulers alone)."""
    from ..results import Curve
    from ..simulate import RelativeOnly, Unresolved, _dense_or_sampled, _optimizer_spec

    entries = [facts.scheduler(c) for c in s.children] if s.children else [s]
    loop, epochs, iters = loop_of(facts)
    assumption = None
    relative = None
    try:
        try:
            base = _optimizer_spec(facts, s, False).lrs[0]
        except RelativeOnly as rel:
            base, relative = 1.0, f"{rel}; the curve shows multiples of that rate"
        specs = []
        for e in entries:
            name, args = entry_args(e)
            specs.append((name, tuple(sorted(args.items()))))
        plan_loop = loop or "epoch"
        iter_based = per_iteration(Plan(tuple(specs), base, plan_loop, 1, None))
        epoch_length = None
        if plan_loop == "epoch" and iter_based:
            epoch_length = ASSUMED_EPOCH_LENGTH
            assumption = (f"iterations per epoch are decided by the dataset; the curve assumes {epoch_length} "
                          f"to show the shape")
        if loop is not None:  # the Runner's default end: max_epochs (by_epoch as written) or max_iters
            filled = []
            for name, items in specs:
                a = dict(items)
                if "end" not in a:
                    if a.get("by_epoch", True):
                        a["end"] = epochs if loop == "epoch" and epochs is not None else 1
                    elif loop == "iter" and iters is not None:
                        a["end"] = iters
                    elif epochs is not None and epoch_length:
                        a["end"] = epochs * epoch_length
                filled.append((name, tuple(sorted(a.items()))))
            specs = filled
        if opts.steps is not None:
            length = opts.steps
            source = f"--steps {opts.steps}"
            plan_length = length if plan_loop == "iter" or not iter_based else -(-length // (epoch_length or 1))
        elif plan_loop == "iter" and iters is not None:
            length, plan_length, source = iters, iters, f"{iters} iterations (train_cfg.max_iters)"
        elif plan_loop == "epoch" and epochs is not None:
            plan_length = epochs
            length = epochs * epoch_length if epoch_length else epochs
            source = f"{epochs} epochs (train_cfg.max_epochs)" + (
                f" x {epoch_length} assumed iterations per epoch" if epoch_length else "")
        else:
            ends = [dict(a).get("end", INF) for _, a in specs]
            finite = [e for e in ends if e != INF]
            plan_length = max(finite) if finite else 100
            length = plan_length * epoch_length if epoch_length and plan_loop == "epoch" else plan_length
            source = f"assumed {length} steps: the config sets no training length (train_cfg)"
        plan = Plan(tuple(specs), base, plan_loop, plan_length, epoch_length)

        if length > MAX_SIMULATED:
            raise Unresolved(f"a run of {length:,} steps is longer than lraudit simulates ({MAX_SIMULATED:,})")

        def dense(n: int) -> list[float]:
            return memo_run(plan)[0][:n]

        def point(idx: list[int]) -> list[float]:
            full = memo_run(plan)[0]
            return [full[i] if 0 <= i < len(full) else full[-1] for i in idx]

        lr, steps, summary = _dense_or_sampled(dense, length, opts, point)
    except Unresolved as exc:
        return Curve(None, None, 0, "", "epoch", error=str(exc))
    except SimError as exc:
        return Curve(None, None, 0, "", "epoch", error=f"mmengine raises: {exc}")
    except (TypeError, ValueError, ZeroDivisionError, OverflowError) as exc:
        return Curve(None, None, 0, "", "epoch", error=f"mmengine would fail: {type(exc).__name__}: {exc}")
    unit = "step" if iter_based or plan_loop == "iter" else "epoch"
    if relative:
        assumption = f"{assumption}; {relative}" if assumption else relative
    return Curve(lr, steps, length, source, unit, assumption=assumption, summary=summary,  # type: ignore[arg-type]
                 relative=relative is not None)
