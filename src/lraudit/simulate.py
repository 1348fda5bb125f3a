"""Facts -> curves. Turns each scheduler fact into the exact learning-rate curve its library would produce.

Composition follows the libraries: schedulers stepped together on one optimizer are simulated together
(chainable ones multiply, closed-form ones overwrite), SequentialLR/ChainedScheduler run their children, and
the horizon is the one the script states (or ``--steps``, or the schedule's own length as a stated assumption).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any, Callable, Mapping, Sequence

from .facts import FileFacts, FunctionValue, Known, OptimizerFact, SchedulerFact, Unknown, Value, arms_exclusive
from .results import Curve

SYNTHETIC_NAME = "lraudit_manual"  # must match extract.manual.SYNTHETIC
TIME_NAME = "lraudit_step"  # must match extract.manual.TIME
DENSE_LIMIT = 10_000  # above this horizon (and without --steps) curves are sampled
SAMPLES = 1_000
DEFAULT_ASSUMED = 100
ASSUMED_LEN = 100  # must match extract.build.ASSUMED_LEN

ADAPTIVE = ("Adam", "AdamW", "Adamax", "NAdam", "RAdam", "SparseAdam", "Adafactor", "Lion", "Lamb", "Nadam", "Ftrl",
            "Adagrad", "Adadelta", "RMSprop")
MOMENTUM = ("SGD", "RMSprop")
BETAS = ("Adam", "AdamW", "Adamax", "NAdam", "RAdam", "SparseAdam")


class Unresolved(Exception):
    """A value the simulation needs is unknown; the message says which and why."""


class RelativeOnly(Unresolved):
    """Only the optimizer's base rate is unknown: the curve can be shown as multiples of it."""


@dataclass(frozen=True)
class SimOptions:
    steps: int | None = None  # --steps N: exact length, dense
    dense_limit: int = DENSE_LIMIT
    samples: int = SAMPLES


def plain(v: Value | None, name: str, *, required: bool = True) -> Any:
    if isinstance(v, Known):
        return v.value
    if v is None:
        if required:
            raise Unresolved(f"{name} is not given")
        return None
    raise Unresolved(f"{name} is unknown: {v.reason}")


def _short(cls: str) -> str:
    return cls.rsplit(".", 1)[-1]


def _callable(v: Any) -> Any:
    from .instances import Instance, as_function

    if isinstance(v, Instance):  # an object of a plain class of the analysed code that defines __call__
        fv = as_function(v)
        if fv is None:
            raise Unresolved(f"{v.what} is not callable: {v.cls.name} defines no __call__")
        v = fv
    if isinstance(v, FunctionValue):
        from .evaluate import make_callable

        return make_callable(v)
    if isinstance(v, list) and v and all(isinstance(x, FunctionValue) for x in v):
        from .evaluate import make_callable

        return [make_callable(x) for x in v]
    return v


# --------------------------------------------------------------------------------------------- torch
def _torch_spec(facts: FileFacts, s: SchedulerFact, assumed: bool = False) -> Any:
    from .catalog.torch_sim import SchedSpec

    args: dict[str, Any] = {}
    source = s.assumed_args if assumed and s.assumed_args else s.args
    for name, v in source.items():
        if name in ("verbose",):
            continue
        if isinstance(v, Known):
            args[name] = _callable(v.value)
        else:
            # unknown values only matter if the simulation reads them
            args[name] = _UnknownArg(name, v.reason)  # type: ignore[union-attr]
    for k, choice in enumerate(s.child_choices):
        if len(choice) > 1:
            raise Unresolved(f"scheduler {k + 1} of its list is one of {', '.join(choice)}: which one is built "
                             "depends on a condition that is not known")
    children = tuple(_torch_spec(facts, facts.scheduler(c), assumed)  # type: ignore[arg-type]
                     for c in s.children if facts.scheduler(c) is not None)
    for name, val in args.items():
        if isinstance(val, _UnknownArg):
            raise Unresolved(f"{name} is unknown: {val.reason}")
    if s.cls.startswith("pytorch_warmup."):
        _warmup_args(facts, s, args)
    if _short(s.cls) in EPOCH_FED:
        epochs = _epoch_series(s)
        if epochs is not None:
            args["step_epochs"] = epochs
    return SchedSpec(_short(s.cls), args, children)


def _warmup_args(facts: FileFacts, s: SchedulerFact, args: dict[str, Any]) -> None:
    """What a pytorch_warmup wrapper's simulation needs beyond its arguments: how it is used, whether it was built
    before the schedulers it dampens, and the optimizer's beta2 (the Untuned*/RAdam periods)."""
    use = facts.extra.get("pytorch_warmup", {}).get(s.id, {})
    if use.get("conditional"):
        lines = ", ".join(str(x) for x in use["conditional"])
        raise Unresolved(f"the scheduler it dampens is stepped under a condition inside dampening() (line {lines}), "
                         "so how often it advances is not known")
    if s.stepped == "both":
        raise Unresolved("dampening() runs both per batch and per epoch, which the simulation does not combine")
    args["form"] = use.get("form", "dampening")
    if use.get("built_first"):
        args["built_first"] = True
    if _short(s.cls) in ("UntunedLinearWarmup", "UntunedExponentialWarmup", "RAdamWarmup"):
        opt = facts.optimizer(s.optimizer)
        if opt is None:
            raise Unresolved(f"its warm-up period comes from the optimizer's beta2, and the optimizer is not known "
                             f"({s.optimizer_reason or 'not found'})")
        betas = opt.params.get("betas")
        if isinstance(betas, Known) and isinstance(betas.value, (list, tuple)) and len(betas.value) == 2 \
                and _num(betas.value[1]):
            args["beta2"] = float(betas.value[1])
        elif isinstance(betas, Unknown):
            raise Unresolved(f"its warm-up period comes from the optimizer's beta2, which is unknown: {betas.reason}")
        elif _family(opt) in BETAS:
            args["beta2"] = 0.999
        # other optimizers have no betas: the package raises KeyError('betas'), and so does the simulation


#: simulated classes whose ``step(epoch)`` is followed: the engine passes the epoch of each call
EPOCH_FED = ("GradualWarmupScheduler",)


def _epoch_series(s: SchedulerFact) -> tuple[int, int] | None:
    """(first epoch passed, change per call) when the scheduler is stepped with an epoch argument; None when
    it is stepped without one; Unresolved when the argument's values are not known."""
    fed = [x for x in s.step_sites if x.arg_kind in ("epoch", "other")]
    if not fed:
        return None
    if len(s.step_sites) == 1 and fed[0].arg_series is not None:
        return fed[0].arg_series
    texts = ", ".join(sorted({f"step({x.arg_text})" for x in fed}))
    raise Unresolved(f"it is stepped with {texts}, whose values at each call are not known (the package sets its "
                     f"step counter to the argument)")


@dataclass(frozen=True)
class _UnknownArg:
    name: str
    reason: str


def _optimizer_spec(facts: FileFacts, s: SchedulerFact, ignores_lr: bool) -> Any:
    from .catalog.torch_sim import OptimizerSpec

    opt = facts.optimizer(s.optimizer)
    if opt is None:
        if ignores_lr:
            return OptimizerSpec((1.0,), True, False, None)
        raise RelativeOnly(f"the optimizer is not known ({s.optimizer_reason or 'not found'}), so its lr is not known")
    ambiguous = _ambiguous_rates(facts, s)
    if ambiguous and not ignores_lr:
        raise RelativeOnly(ambiguous)
    lrs = []
    if opt.groups:
        for g in opt.groups:
            if isinstance(g.lr, Known) and _num(g.lr.value):
                lrs.append(float(g.lr.value))
            elif ignores_lr:
                lrs.append(1.0)
            else:
                raise RelativeOnly(f"the optimizer's lr is unknown: {getattr(g.lr, 'reason', '')}")
    else:
        if isinstance(opt.lr, Known) and _num(opt.lr.value):
            lrs.append(float(opt.lr.value))
        elif ignores_lr:
            lrs.append(1.0)
        else:
            raise RelativeOnly(f"the optimizer's lr is unknown: {getattr(opt.lr, 'reason', 'not given')}")
    short = _family(opt)
    defaults_lr = opt.lr.value if isinstance(opt.lr, Known) and _num(opt.lr.value) else None
    has_mom = short in MOMENTUM or "momentum" in opt.params and opt.framework == "torch"
    has_betas = short in BETAS
    from .catalog import lookup

    entry = None if opt.cls.startswith("custom:") else lookup(opt.cls)
    if entry is not None and entry.momentum_key is not None:  # apex, bitsandbytes: what their defaults hold
        has_mom, has_betas = entry.momentum_key == "momentum", entry.momentum_key == "betas"
    return OptimizerSpec(tuple(lrs), has_mom, has_betas, defaults_lr)


def _num(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def own_length(s: SchedulerFact) -> tuple[int, str] | None:
    """The schedule's own length in scheduler steps, used as a stated assumption when the run's is unknown."""
    try:
        return _own_length(s)
    except (TypeError, ValueError, OverflowError):
        return None


def _own_length(s: SchedulerFact) -> tuple[int, str] | None:
    a = {k: v.value for k, v in s.args.items() if isinstance(v, Known)}
    short = _short(s.cls)

    def ok(x: Any) -> bool:
        return _num(x) and x > 0

    if short == "OneCycleLR":
        if ok(a.get("total_steps")):
            return int(a["total_steps"]), f"OneCycleLR's total_steps={a['total_steps']}"
        if ok(a.get("epochs")) and ok(a.get("steps_per_epoch")):
            n = int(a["epochs"] * a["steps_per_epoch"])
            return n, f"OneCycleLR's epochs x steps_per_epoch = {n}"
    if short in ("CosineAnnealingLR",) and ok(a.get("T_max")):
        return int(a["T_max"]) + 1, f"T_max={a['T_max']} (one full anneal)"
    if short in ("LinearLR", "ConstantLR", "PolynomialLR") and ok(a.get("total_iters")):
        n = int(a["total_iters"])
        return max(2 * n, n + 1), f"twice total_iters={n}"
    if short == "StepLR" and ok(a.get("step_size")):
        return int(a["step_size"]) * 3 + 1, f"three decays of step_size={a['step_size']}"
    if short == "MultiStepLR" and isinstance(a.get("milestones"), (list, tuple)) and a["milestones"]:
        try:
            last = max(int(m) for m in a["milestones"])
            return int(last * 1.25) + 1, f"past the last milestone ({last})"
        except (TypeError, ValueError):
            return None
    if short == "CyclicLR":
        up = a.get("step_size_up", 2000)
        down = a.get("step_size_down") or up
        if ok(up) and ok(down):
            n = int(2 * (up + down))
            return n, f"two cycles of step_size_up={up} + step_size_down={down}"
    if short == "CosineAnnealingWarmRestarts" and ok(a.get("T_0")):
        t0, tm = int(a["T_0"]), int(a.get("T_mult", 1) or 1)
        n = t0 * (1 + tm + tm * tm)
        return n, f"three cycles from T_0={t0}, T_mult={tm}"
    if short == "SequentialLR" and isinstance(a.get("milestones"), (list, tuple)) and a["milestones"]:
        try:
            last = max(int(m) for m in a["milestones"])
            return last * 3, f"three times the last milestone ({last})"
        except (TypeError, ValueError):
            return None
    if short == "SWALR" and _num(a.get("anneal_epochs")):
        n = int(a["anneal_epochs"])
        return max(2 * n, 10), f"twice anneal_epochs={n}"
    return None


def choose_length(s: SchedulerFact, opts: SimOptions, facts: FileFacts | None = None) -> tuple[int, str]:
    if opts.steps is not None:
        return opts.steps, f"--steps {opts.steps}"
    if isinstance(s.horizon, Known) and _num(s.horizon.value) and s.horizon.value > 0:
        unit = "epochs" if s.stepped == "epoch" else "steps"
        src = s.horizon_source or s.horizon.source
        return int(s.horizon.value), f"{int(s.horizon.value)} {unit} from {src}"
    if isinstance(s.assumed_horizon, Known) and _num(s.assumed_horizon.value) and s.assumed_horizon.value > 0:
        n = int(s.assumed_horizon.value)
        return n, f"assumed {n} steps: {s.assumed_horizon.source}"
    parent = facts.scheduler(s.parent) if facts is not None and s.parent else None
    if parent is not None and isinstance(parent.horizon, Known) and _num(parent.horizon.value):
        return int(parent.horizon.value), f"{int(parent.horizon.value)} steps of its parent {_short(parent.cls)}"
    own = own_length(s)
    if own is not None:
        return own[0], f"assumed {own[0]} steps: the schedule's own length ({own[1]}); the run's length is not " \
                       f"stated ({getattr(s.horizon, 'reason', '')})"
    return DEFAULT_ASSUMED, f"assumed {DEFAULT_ASSUMED} steps; the run's length is not stated " \
                            f"({getattr(s.horizon, 'reason', '')})"


def _group_for(facts: FileFacts, s: SchedulerFact) -> list[SchedulerFact]:
    """Top-level schedulers stepped in the same way on the same optimizer, in construction order."""
    if s.optimizer is None or s.parent is not None or any(x.conditional for x in s.step_sites):
        return [s]
    peers = [
        o for o in facts.schedulers
        if o.optimizer == s.optimizer and o.parent is None and o.framework == "torch"
        and o.stepped == s.stepped and o.stepped in ("epoch", "batch") and _short(o.cls) != "ReduceLROnPlateau"
        and not o.cls.startswith("custom:") and not any(x.conditional for x in o.step_sites)
        # alternatives (built in different arms of a branch the run does not decide) never run together
        and (o is s or not all(arms_exclusive(a.arms, b.arms) for a in s.step_sites for b in o.step_sites))
    ]
    if s not in peers:
        return [s]
    return sorted(peers, key=lambda o: o.loc)


def simulate_torch(facts: FileFacts, s: SchedulerFact, opts: SimOptions) -> Curve:
    from .catalog import lookup
    from .catalog.torch_sim import SimError, sample_indices, simulate, simulate_sampled

    length, horizon_source = choose_length(s, opts, facts)
    unit = "epoch" if s.stepped == "epoch" else "step"
    if s.cls.startswith("custom:"):
        return simulate_class(facts, s, opts, length, horizon_source, unit)
    entry = lookup(s.cls)
    target = s
    group = _group_for(facts, s)
    assumed_note = None
    relative_note = None
    try:
        try:
            opt_spec = _optimizer_spec(facts, s, bool(entry and entry.ignores_optimizer_lr))
        except RelativeOnly as rel:
            from .catalog.torch_sim import OptimizerSpec

            opt_spec = OptimizerSpec((1.0,), True, False, 1.0)
            relative_note = f"{rel}; the curve shows multiples of that rate"
        try:
            specs = [_torch_spec(facts, g) for g in group]
        except Unresolved as first:
            if not any(g.assumed_args for g in group) and not any(
                    (facts.scheduler(c) or s).assumed_args for g in group for c in g.children):
                raise
            specs = [_torch_spec(facts, g, assumed=True) for g in group]
            assumed_note = (f"{first}; the curve assumes {ASSUMED_LEN} batches per epoch to show the shape")
    except Unresolved as exc:
        return Curve(None, None, length, horizon_source, unit, error=str(exc))  # type: ignore[arg-type]
    except Exception as exc:  # evaluator problems building callables
        return Curve(None, None, length, horizon_source, unit, error=f"cannot simulate: {exc}")  # type: ignore
    idx = group.index(target)
    try:
        if length > opts.dense_limit and opts.steps is None:
            indices = sample_indices(length, opts.samples)
            results = simulate_sampled(specs, opt_spec, length, indices)
            res = results[idx]
            steps_used: tuple[int, ...] | None = tuple(indices[: len(res.lr)])
        else:
            results = simulate(specs, opt_spec, length)
            res = results[idx]
            steps_used = None
    except SimError as exc:
        assumed_length = None if isinstance(s.horizon, Known) or opts.steps is not None else horizon_source
        return Curve(None, None, length, horizon_source, unit,  # type: ignore[arg-type]
                     error=sim_failure_text(exc, assumed_length))
    except Exception as exc:
        return Curve(None, None, length, horizon_source, unit, error=f"cannot simulate: {type(exc).__name__}: {exc}")  # type: ignore
    assumption = res.assumption
    if relative_note:
        assumption = f"{assumption}; {relative_note}" if assumption else relative_note
    if assumed_note:
        assumption = f"{assumption}; {assumed_note}" if assumption else assumed_note
    if len(group) > 1:
        others = ", ".join(_short(g.cls) for g in group if g is not target)
        note = f"simulated together with {others} stepped on the same optimizer"
        assumption = f"{assumption}; {note}" if assumption else note
    lr = tuple(float(x) for x in res.lr)
    summary = None
    if steps_used is not None and lr:
        last = steps_used[-1]

        def point(ks: list[int]) -> list[float]:  # steps past the last sample (torch raised there) are not asked
            return [float(x) for x in simulate_sampled(specs, opt_spec, length, [k for k in ks if k <= last])[idx].lr]

        summary = _sampled_summary(lr, steps_used, point)
    return Curve(lr, steps_used, length, horizon_source, unit, assumption=assumption,  # type: ignore[arg-type]
                 stops_at=res.stops_at, stop_reason=res.stop_reason, relative=relative_note is not None,
                 summary=summary)


def simulate_class(facts: FileFacts, s: SchedulerFact, opts: SimOptions, length: int, horizon_source: str,
                   unit: str) -> Curve:
    """A scheduler whose class is written in the analysed file, run under its torch base's protocol
    (see class_sim): stepped one step at a time, or at sampled steps when its rate depends only on
    ``last_epoch``."""
    from . import class_sim
    from .catalog.torch_sim import OptimizerSpec, SimError

    def fail(why: str) -> Curve:
        return Curve(None, None, length, horizon_source, unit, error=why)  # type: ignore[arg-type]

    plan = facts.extra.get("class_plans", {}).get(s.id)
    if plan is None:
        return fail(s.description or "custom scheduler: its get_lr() is not simulated")
    if isinstance(plan, str):
        return fail(f"the class {s.cls[len('custom:'):]} is not simulated: {plan}")
    method = None
    if plan.rate_methods:  # a class that writes the rate itself, stepped by calling one of its methods
        called = sorted({x.method for x in s.step_sites})
        if len(called) != 1:
            return fail(f"{s.cls[len('custom:'):]} is stepped through "
                        + (" and ".join(f"{m}()" for m in called) if called else "no call lraudit sees")
                        + ", and the simulation follows one method")
        method = called[0]
        with_args = sorted({x.arg_text or "" for x in s.step_sites if x.arg_kind != "none"})
        if with_args:
            return fail(f"{method}() is called with an argument ({', '.join(with_args)}), which the simulation of a "
                        f"class does not follow")
    step_args = {x.arg_kind for x in s.step_sites}
    if method is None and step_args - {"none", "metric"}:
        kinds = ", ".join(sorted(x.arg_text or x.arg_kind for x in s.step_sites if x.arg_kind not in ("none", "metric")))
        return fail(f"it is stepped with an argument ({kinds}), which the simulation of a class does not follow")
    relative_note = None
    try:
        opt_spec = _optimizer_spec(facts, s, False)
    except RelativeOnly as rel:
        opt_spec = OptimizerSpec((1.0,), True, False, 1.0)
        relative_note = f"{rel}; the curve shows multiples of that rate"
    except Unresolved as exc:
        return fail(str(exc))

    def build() -> Any:
        from .catalog.torch_sim import _Optimizer, _build

        optimizer = _Optimizer(opt_spec)
        objects: dict[str, Any] = {}
        for kid in s.children:
            child = facts.scheduler(kid)
            if child is None:
                continue
            if child.cls.startswith("custom:"):
                kplan = facts.extra.get("class_plans", {}).get(kid)
                if not isinstance(kplan, class_sim.ClassPlan):
                    raise class_sim.ClassSimError(f"its child scheduler {kid} ({child.cls}) is not simulated")
                objects[kid] = class_sim.start(kplan, optimizer, objects, s.optimizer).obj
            else:
                objects[kid] = _build(_torch_spec(facts, child), optimizer)
        return class_sim.start(plan, optimizer, objects, s.optimizer)

    name = s.cls[len("custom:"):]
    assumed_note = None
    if plan.assumed is not None:
        plan, assumed_note = plan.assumed, plan.assumption
    try:
        sampled = length > opts.dense_limit and opts.steps is None
        if method is not None:
            return _writer_curve(plan, build, method, length, horizon_source, unit, sampled, opts,
                                 "; ".join(x for x in (assumed_note, relative_note) if x) or None,
                                 relative_note is not None, name)
        run = build()
        if sampled and class_sim.is_closed_form(run, plan):
            from .catalog.torch_sim import sample_indices

            idx = sample_indices(length, opts.samples)

            def point(ks: list[int]) -> list[float]:
                return class_sim.value_at(build, ks)

            lr = tuple(point(idx))
            summary = _sampled_summary(lr, idx, point)
            steps_used: tuple[int, ...] | None = tuple(idx)
        elif sampled:
            return fail(f"{name} keeps state between steps (or steps other schedulers), so it is stepped one step "
                        f"at a time, and the run's {length} steps are more than the {opts.dense_limit} that are")
        else:
            values = [run.lr()]
            for _ in range(1, length):
                run.step()
                values.append(run.lr())
            lr, steps_used, summary = tuple(values), None, None
    except class_sim.ClassSimError as exc:
        return fail(f"{name} is not simulated: {exc}")
    except class_sim.EvalError as exc:
        return fail(f"{name} cannot be evaluated: {exc}")
    except SimError as exc:
        return fail(f"{name} cannot be simulated: {exc}")
    except (ArithmeticError, LookupError, TypeError, ValueError, RecursionError) as exc:
        return fail(f"{name} cannot be simulated: torch's base class raises {type(exc).__name__}: {exc}")
    if any(not _num(x) for x in lr):
        return fail(f"{name} computes a rate that is not a finite number")
    assumption = "; ".join(x for x in (assumed_note, relative_note) if x) or None
    if run.plateau:
        assumption = "assuming the monitored metric never improves" + (f"; {assumption}" if assumption else "")
    return Curve(lr, steps_used, length, horizon_source, unit, assumption=assumption,  # type: ignore[arg-type]
                 relative=relative_note is not None, summary=summary)


def _writer_curve(plan: Any, build: Callable[[], Any], method: str, length: int, horizon_source: str, unit: str,
                  sampled: bool, opts: SimOptions, assumption: str | None, relative: bool, name: str) -> Curve:
    """The curve of a class that writes the rate itself (class_sim.writer_values): every step when the run is
    short, sampled steps when the rate depends on one counter alone (class_sim.writer_counter)."""
    from . import class_sim

    inner = class_sim.writes_before_stepping(build, plan, method)
    if not sampled:
        lr = tuple(class_sim.writer_values(build, plan, method, length))
        steps_used: tuple[int, ...] | None = None
        summary = None
    else:
        counter = class_sim.writer_counter(build, plan, method)
        if counter is None:
            return Curve(None, None, length, horizon_source, unit,  # type: ignore[arg-type]
                         error=f"{name} keeps state between calls of {method}() besides one counter, so it is "
                               f"stepped one call at a time, and the run's {length} steps are more than the "
                               f"{opts.dense_limit} that are")
        from .catalog.torch_sim import sample_indices

        idx = sample_indices(length, opts.samples)

        def point(ks: list[int]) -> list[float]:
            return class_sim.writer_value_at(build, method, counter, inner, ks)

        lr = tuple(point(idx))
        summary = _sampled_summary(lr, idx, point)
        steps_used = tuple(idx)
    if any(not _num(x) for x in lr):
        return Curve(None, None, length, horizon_source, unit,  # type: ignore[arg-type]
                     error=f"{name} computes a rate that is not a finite number")
    first = class_sim.first_written(build, method, inner) if length > 1 else None
    return Curve(lr, steps_used, length, horizon_source, unit, assumption=assumption,  # type: ignore[arg-type]
                 relative=relative, summary=summary, first_written=first)


def _ambiguous_rates(facts: FileFacts, s: SchedulerFact) -> str | None:
    """Why the rate is not known when the scheduler may drive one of several optimizers with different rates
    (an if/else builds one of them); None when there is one candidate or they all start from the same rate."""
    if len(s.optimizer_candidates) < 2:
        return None
    rates = []
    for oid in s.optimizer_candidates:
        o = facts.optimizer(oid)
        lr = None if o is None else (o.groups[0].lr if o.groups else o.lr)
        rates.append((oid, _short(o.cls) if o is not None else "?", lr.value if isinstance(lr, Known) else None))
    if all(r is not None for _, _, r in rates) and len({r for _, _, r in rates}) == 1:
        return None
    shown = ", ".join(f"{oid} ({cls}, lr {'unknown' if r is None else r})" for oid, cls, r in rates)
    return f"the optimizer depends on the path taken: {shown}, so its lr is not known"


def _base_lr(facts: FileFacts, s: SchedulerFact) -> tuple[float | None, float | None, str | None]:
    opt = facts.optimizer(s.optimizer)
    if opt is None:
        return None, None, f"the optimizer is not known ({s.optimizer_reason or 'not found'})"
    ambiguous = _ambiguous_rates(facts, s)
    if ambiguous:
        return None, None, ambiguous
    lr = opt.groups[0].lr if opt.groups else opt.lr
    if isinstance(lr, Known) and _num(lr.value):
        d = opt.lr.value if isinstance(opt.lr, Known) and _num(opt.lr.value) else lr.value
        return float(lr.value), float(d), None
    return None, None, f"the optimizer's lr is unknown: {getattr(lr, 'reason', '')}"


def _plain_args(s: SchedulerFact) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in s.args.items():
        if k.startswith("__"):
            continue
        if isinstance(v, Known):
            out[k] = _callable(v.value)
    return out


def _unknown_needed(s: SchedulerFact, names: tuple[str, ...]) -> str | None:
    for n in names:
        v = s.args.get(n)
        if isinstance(v, Unknown):
            return f"{n} is unknown: {v.reason}"
    for k, v in s.args.items():
        if k.startswith("__") and isinstance(v, Unknown):
            return v.reason
    return None


def _assumed_args(s: SchedulerFact, missing: str) -> tuple[dict[str, Any], str]:
    """The arguments at an assumed loader length (``assumed_args``: values unknown only because the run decides
    ``len(loader)``), with the note the curve carries; raises Unresolved(missing) when even those are unknown."""
    if not s.assumed_args:
        raise Unresolved(missing)
    still = next((f"{k} is unknown: {v.reason}" for k, v in s.assumed_args.items() if isinstance(v, Unknown)
                 ), None)
    if still is not None:
        raise Unresolved(missing)
    args = {k: _callable(v.value) for k, v in s.assumed_args.items()
            if isinstance(v, Known) and not k.startswith("__")}
    return args, f"{missing}; the curve assumes {ASSUMED_LEN} batches per epoch to show the shape"


def _dense_or_sampled(fn: Callable[[int], list[float]], length: int, opts: SimOptions,
                      point: Callable[[list[int]], list[float]] | None = None
                      ) -> tuple[tuple[float, ...], tuple[int, ...] | None, Any]:
    """(lr, sample steps or None, summary or None): dense up to the limit, else sampled with exact milestones."""
    if length > opts.dense_limit and opts.steps is None and point is not None:
        from .catalog.torch_sim import sample_indices

        idx = sample_indices(length, opts.samples)
        lr = tuple(point(idx))
        return lr, tuple(idx), _sampled_summary(lr, idx, point)
    return tuple(fn(length)), None, None


def _sampled_summary(lr: Sequence[float], steps: Sequence[int], point: Callable[[list[int]], Sequence[float]],
                     window: int | None = None) -> Any:
    """The summary of a sampled curve, its milestones located exactly between samples (shape.refine_summary);
    the sampled summary when the schedule cannot be evaluated between them."""
    from .shape import REFINE_WINDOW, refine_summary, summarize

    base = summarize(lr, steps)
    try:
        return refine_summary(base, lr, steps, point, REFINE_WINDOW if window is None else window)
    except Exception:  # an evaluator refusal or a library error between samples: the sampled numbers stand
        return base


def simulate_framework(facts: FileFacts, s: SchedulerFact, opts: SimOptions) -> Curve:
    length, horizon_source = choose_length(s, opts, facts)
    unit = "epoch" if s.stepped == "epoch" else "step"
    base, defaults_lr, why = _base_lr(facts, s)
    entry_short = _short(s.cls)
    try:
        missing = _unknown_needed(s, tuple(s.args))
        if s.framework == "keras" and s.cls.startswith("custom:"):
            return simulate_keras_schedule(facts, s, opts, length, horizon_source, unit)
        if s.framework == "keras":
            from .catalog import keras_sim

            args = _plain_args(s)
            if missing and entry_short not in ("LearningRateScheduler", "ReduceLROnPlateau"):
                raise Unresolved(missing)
            if entry_short in ("LearningRateScheduler", "ReduceLROnPlateau") and base is None:
                raise Unresolved(why or "the optimizer's lr is unknown")
            if entry_short == "LearningRateScheduler" and not callable(args.get("schedule")):
                raise Unresolved(_unknown_needed(s, ("schedule",)) or "the schedule function is unknown")
            if entry_short == "LearningRateScheduler":
                args["schedule"] = _keras_schedule_callable(s.args["schedule"].value, args["schedule"])  # type: ignore
            lr, steps, summary = _dense_or_sampled(
                lambda n: keras_sim.curve(s.cls, args, n, base_lr=base), length, opts,
                None if entry_short in ("LearningRateScheduler", "ReduceLROnPlateau") else
                (lambda idx: [keras_sim.schedule_value(*keras_sim.bound_schedule(s.cls, args), k) for k in idx]))
            assumption = "assuming the monitored metric never improves" if entry_short == "ReduceLROnPlateau" else None
            return Curve(lr, steps, length, horizon_source, unit, assumption=assumption,  # type: ignore[arg-type]
                         summary=summary)
        if s.framework == "hf":
            from .catalog import hf_sim

            if base is None:
                raise Unresolved(why or "the optimizer's lr is unknown")
            args = _plain_args(s)
            note = None
            if missing:
                args, note = _assumed_args(s, missing)
            name = args.pop("name", None) or args.pop("lr_scheduler_type", None) or s.cls
            for k in ("warmup_steps", "warmup_ratio", "max_steps", "num_train_epochs", "gradient_accumulation_steps",
                      "lr_scheduler_kwargs"):
                args.pop(k, None)
            fn, a = hf_sim.scheduler_function(str(name), args)
            if hf_sim.is_metric_driven(fn):
                lr = tuple(hf_sim.curve(str(name), args, min(length, 100_000), base_lr=base, defaults_lr=defaults_lr))
                return Curve(lr, None, len(lr), horizon_source, unit,  # type: ignore[arg-type]
                             assumption="; ".join(x for x in ("assuming the monitored metric never improves", note)
                                                  if x))
            lam = hf_sim.lr_lambda(fn, a, defaults_lr if defaults_lr is not None else base)
            start = a.get("last_epoch", -1) + 1
            lr, steps, summary = _dense_or_sampled(lambda n: [base * lam(start + k) for k in range(n)], length, opts,
                                                   lambda idx: [base * lam(start + k) for k in idx])
            return Curve(lr, steps, length, horizon_source, unit, summary=summary,  # type: ignore[arg-type]
                         assumption=note)
        if s.framework == "timm":
            from .catalog import timm_sim

            if base is None:
                raise Unresolved(why or "the optimizer's lr is unknown")
            args = _plain_args(s)
            note = None
            if missing:
                args, note = _assumed_args(s, missing)
            lr = tuple(timm_sim.curve(s.cls, args, min(length, 200_000), base_lr=base))
            assumption = "assuming the monitored metric never improves" if entry_short == "PlateauLRScheduler" else None
            assumption = "; ".join(x for x in (assumption, note) if x) or None
            return Curve(lr, None, len(lr), horizon_source, unit, assumption=assumption)  # type: ignore[arg-type]
        if s.framework == "manual":
            return _simulate_manual(facts, s, opts, length, horizon_source, unit)
    except Unresolved as exc:
        return Curve(None, None, length, horizon_source, unit, error=str(exc))  # type: ignore[arg-type]
    except Exception as exc:
        from .evaluate import EvalError

        msg = str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
        if isinstance(exc, EvalError):
            reason, place = _split_at(msg)
            error = genuine_error(reason)
            who = f"the schedule function, {place}," if place else "the schedule function"
            msg = f"{who} raises {error}: {reason}" if error else missing_value_text("the schedule function", msg)
            return Curve(None, None, length, horizon_source, unit, error=msg)  # type: ignore[arg-type]
        return Curve(None, None, length, horizon_source, unit, error=f"cannot simulate: {msg}")  # type: ignore
    return Curve(None, None, length, horizon_source, unit, error=f"{s.framework} schedules are not simulated")  # type: ignore


def _keras_schedule_callable(raw: Any, fn: Any) -> Any:
    """Keras calls ``schedule(epoch, lr)`` and falls back to ``schedule(epoch)`` on TypeError; the evaluator
    reports a wrong argument count as EvalError, so decide from the function's own parameters."""
    if not isinstance(raw, FunctionValue):
        return fn
    node = raw.node
    preset = {k for k, _ in raw.bound}  # a method's bound object (`self._cosine_anneal_schedule`) is not passed
    params = [p for p in getattr(getattr(node, "params", None), "params", ()) if p.name.value not in preset]
    required = [p for p in params if p.default is None]
    import libcst as cst

    star = getattr(getattr(node, "params", None), "star_arg", None)
    if len(required) == 1 and len(params) == 1 and not isinstance(star, cst.Param):
        def one_arg(epoch: Any, lr: Any = None) -> Any:
            if lr is not None:
                raise TypeError("schedule() takes 1 positional argument")
            return fn(epoch)

        return one_arg
    return fn


_WORLD_SIZE = re.compile(r"is the number of processes, known only at run time")
_DATA_SIZE = re.compile(r"len\((?P<of>[^()]*(?:\([^()]*\))?[^()]*)\) depends on the data")


def simulate_keras_schedule(facts: FileFacts, s: SchedulerFact, opts: SimOptions, length: int,
                            horizon_source: str, unit: str) -> Curve:
    """A Keras ``LearningRateSchedule`` subclass of the analysed file: ``schedule(step)`` at each optimizer step
    from 0 (see keras_class_sim); sampled when the run is long and ``__call__`` keeps no state."""
    from . import keras_class_sim
    from .evaluate import EvalError

    name = s.cls[len("custom:"):]

    def fail(why: str) -> Curve:
        return Curve(None, None, length, horizon_source, unit, error=why)  # type: ignore[arg-type]

    kplan = facts.extra.get("keras_class_plans", {}).get(s.id)
    if kplan is None:
        return fail(s.description or f"{name}: its __call__(step) is not simulated")
    if isinstance(kplan, str):
        return fail(f"the class {name} is not simulated: {kplan}")
    plan = kplan.plan
    objects: dict[str, Any] = {}
    for ref in (*plan.args, *plan.kwargs.values()):
        child = facts.scheduler(getattr(ref, "id", None)) if getattr(ref, "kind", None) == "scheduler" else None
        if child is not None and child.framework == "keras" and not child.cls.startswith("custom:") and \
                not any(isinstance(v, Unknown) for v in child.args.values()):
            try:
                objects[child.id] = keras_class_sim.builtin_schedule(child.cls, _plain_args(child))
            except Exception:  # the child's own curve reports why it cannot be built
                pass
    try:
        if length > opts.dense_limit and opts.steps is None:
            from .catalog.torch_sim import sample_indices

            idx = sample_indices(length, opts.samples)

            def point(ks: list[int]) -> list[float]:
                return keras_class_sim.schedule_values(plan, ks, in_order=False, objects=objects)

            lr = tuple(point(idx))
            summary = _sampled_summary(lr, idx, point)
            return Curve(lr, tuple(idx), length, horizon_source, unit, summary=summary)  # type: ignore[arg-type]
        lr = tuple(keras_class_sim.schedule_values(plan, range(length), in_order=True, objects=objects))
    except keras_class_sim.ClassSimError as exc:
        return fail(f"{name} is not simulated: {exc}")
    except EvalError as exc:
        return fail(_class_eval_text(name, str(exc)))
    return Curve(lr, None, length, horizon_source, unit)  # type: ignore[arg-type]


def _class_eval_text(name: str, message: str) -> str:
    """Why a class of the analysed file could not be evaluated (``Warmup.__call__() at line 12 ...``)."""
    reason, place = _split_at(message)
    who = place or name
    error = genuine_error(reason)
    if error is not None:
        return f"{who} raises {error}: {reason}"
    m = _UNKNOWN_NAME.match(reason)
    if m is not None:
        why = m.group("why")
        return f"{who} reads {m.group('name')}, which is not known here" + (f": {why}" if why else "")
    m = _IMPORTED_NAME.match(reason)
    if m is not None:
        return f"{who} reads {m.group('name')}, which is imported, so its value is not known here"
    return f"{who} could not be evaluated: {reason}"


def _simulate_keras_callback(facts: FileFacts, s: SchedulerFact, kplan: Any, opts: SimOptions, length: int,
                             horizon_source: str, unit: str) -> Curve:
    """A Keras ``Callback`` subclass that writes the rate, replayed under ``fit``'s protocol (keras_class_sim)."""
    from . import keras_class_sim
    from .evaluate import EvalError

    name = s.cls.split(":", 1)[-1]
    per_batch = s.stepped == "batch"
    fit = kplan.fit
    if opts.steps is not None:
        length = opts.steps
    opt = facts.optimizer(s.optimizer)
    lr0 = opt.lr if opt is not None else None
    initial = float(lr0.value) if isinstance(lr0, Known) and _num(lr0.value) else None
    why = (s.optimizer_reason or "the optimizer is not known") if opt is None else \
        getattr(lr0, "reason", "the optimizer's lr is not known")
    schedule = None
    if opt is not None and opt.lr_is_schedule:
        sched = facts.scheduler(opt.lr_is_schedule)
        schedule = _short(sched.cls) if sched is not None else opt.lr_is_schedule
    if opts.steps is not None and fit.epochs is not None:
        per = (fit.steps or 1) if per_batch else 1
        fit = keras_class_sim.KerasFit(max(fit.epochs, -(-length // per)), fit.steps, fit.epochs_reason,
                                       fit.steps_reason, fit.steps_assumed)
    try:
        run = keras_class_sim.callback_values(kplan.plan, fit, initial, why, schedule, per_batch,
                                              limit=length if opts.steps is not None else None)
    except keras_class_sim.ClassSimError as exc:
        return Curve(None, None, length, horizon_source, unit, error=f"{name} is not simulated: {exc}")  # type: ignore
    except EvalError as exc:
        return Curve(None, None, length, horizon_source, unit,  # type: ignore[arg-type]
                     error=_class_eval_text(name, str(exc)))
    lr = tuple(run.values[:length]) if opts.steps is not None else tuple(run.values)
    assumption = None
    if fit.steps_assumed and (per_batch or set(run.hooks) & set(keras_class_sim.HOOKS_BATCH)):
        assumption = (f"the curve assumes {fit.steps} batches per epoch to show the shape (fit() does not state "
                      "steps_per_epoch)")
    if not lr:
        return Curve(None, None, length, horizon_source, unit, error=f"{name}: the run has no steps")  # type: ignore
    return Curve(lr, None, len(lr), horizon_source, unit, assumption=assumption)  # type: ignore[arg-type]


def _simulate_manual(facts: FileFacts, s: SchedulerFact, opts: SimOptions, length: int, horizon_source: str,
                     unit: str) -> Curve:
    """A hand-written schedule's curve. When it cannot be drawn only because a value it reads depends on a
    loader's length (``cosine_scheduler(lr, min_lr, epochs, len(data_loader))`` of DeiT/MAE/ConvNeXt), it is drawn
    again with that length assumed, and the curve says so (the values themselves stay unresolved)."""
    from .evaluate import EvalError
    from .extract.values import is_dataset_name

    try:
        return _step_model_assumption(_simulate_manual_once(facts, s, opts, length, horizon_source, unit), facts, s)
    except (Unresolved, EvalError) as exc:
        m = _DATA_SIZE.search(str(exc))
        world = _WORLD_SIZE.search(str(exc)) is not None
        plan = facts.extra.get("manual_plans", {}).get(s.id)
        resolver = getattr(getattr(plan, "scope", None), "resolver", None)
        if (m is None and not world) or resolver is None or getattr(resolver, "assumed_len", 0) is not None:
            raise
        try:
            with resolver.assuming(ASSUMED_LEN):
                curve = _simulate_manual_once(facts, s, opts, length, horizon_source, unit)
        except (Unresolved, EvalError):
            raise exc from None
    if m is not None and is_dataset_name(m.group("of")):  # `len(dataset_train) // total_batch_size`
        note = (f"the curve assumes {ASSUMED_LEN} batches per epoch to show the shape (the script does not state "
                f"len({m.group('of')}), its number of samples)")
    elif m is not None:
        note = (f"the curve assumes len({m.group('of')}) = {ASSUMED_LEN} to show the shape (the script does not "
                "state it)")
    else:  # `args.lr = args.blr * args.batch_size * misc.get_world_size() / 256` (MAE, DeiT, ConvNeXt)
        note = (f"the curve assumes one process to show the shape (the number of processes is known only at run "
                f"time), and {ASSUMED_LEN} batches per epoch wherever a loader's length is needed")
    from dataclasses import replace

    return replace(curve, assumption=f"{curve.assumption}; {note}" if curve.assumption else note)


def _step_model_assumption(curve: Curve, facts: FileFacts, s: SchedulerFact) -> Curve:
    """A curve whose step model assumed the batches per epoch (the loop's length is not stated: ``an assumed 100
    batches per epoch``) says so, when its values depend on it (the rate reads the epoch or the loader's length)
    and nothing else on the curve said it already."""
    plan = facts.extra.get("manual_plans", {}).get(s.id)
    note = getattr(plan, "assumption", None)
    if curve.lr is None or not getattr(plan, "spe_assumed", False) or not note or "batches per epoch" in (
            curve.assumption or ""):
        return curve
    from dataclasses import replace

    words = f"the curve assumes {note.removeprefix('an assumed ')}"
    return replace(curve, assumption=f"{curve.assumption}; {words}" if curve.assumption else words)


def _simulate_manual_once(facts: FileFacts, s: SchedulerFact, opts: SimOptions, length: int, horizon_source: str,
                          unit: str) -> Curve:
    from .evaluate import Budget, EvalCache, EvalError, Opaque, call_function_recording, clock, evaluate_expression

    kplan = facts.extra.get("keras_class_plans", {}).get(s.id)
    if kplan is not None and not isinstance(kplan, str):
        curve = _simulate_keras_callback(facts, s, kplan, opts, length, horizon_source, unit)
        if curve.lr is not None or facts.extra.get("manual_plans", {}).get(s.id) is None:
            return curve
        try:  # the hook rewritten into a hand-written schedule (frameworks/keras_callbacks.py) may still follow it
            return _simulate_manual_plan(facts, s, opts, length, horizon_source, unit)
        except Unresolved:
            return curve
    return _simulate_manual_plan(facts, s, opts, length, horizon_source, unit)


def _closed_form_peer(facts: FileFacts, s: SchedulerFact, plan: Any, length: int
                      ) -> tuple[SchedulerFact, list[float], int] | None:
    """The library scheduler that sets the rate where a hand-written write does not: the loop writes only when a
    condition holds (yolov5's ``if ni <= nw:`` warm-up with ``np.interp``), and one closed-form scheduler on the same
    optimizer (``LambdaLR``: ``base_lr * lf(epoch)`` at every ``step()``, whatever the rate was) is stepped once per
    epoch, always. Then the rate at batch k is the loop's last write in k's epoch, or else the scheduler's value
    for that epoch. (scheduler, its rate per epoch, batches per epoch); None when there is no such single peer or
    its curve is not known."""
    from .catalog import lookup

    if s.optimizer is None or plan.kind != "call" or plan.condition is None or s.stepped != "batch" \
            or not plan.steps_per_epoch:
        return None
    peers = [o for o in facts.schedulers
             if o is not s and o.optimizer == s.optimizer and o.parent is None and not o.children
             and o.framework in ("torch", "hf") and o.stepped == "epoch" and o.step_sites
             and not any(x.conditional for x in o.step_sites)]
    if len(peers) != 1 or any(o is not s and o.optimizer == s.optimizer and o not in peers and o.parent is None
                              for o in facts.schedulers):
        return None  # several schedules on this optimizer: which one sets the rate is not this simple
    peer = peers[0]
    entry = lookup(peer.cls)
    if entry is None or not entry.closed_form:
        return None
    spe = int(plan.steps_per_epoch)
    epochs = -(-length // spe)
    curve = simulate_scheduler(facts, peer, SimOptions(steps=epochs))
    if curve.lr is None or curve.relative or curve.steps is not None or not curve.lr:
        return None
    return peer, [float(x) for x in curve.lr], spe


MANUAL_CURVE_SECONDS = 12.0


def _simulate_manual_plan(facts: FileFacts, s: SchedulerFact, opts: SimOptions, length: int, horizon_source: str,
                          unit: str) -> Curve:
    from .evaluate import Budget, EvalCache, EvalError, Opaque, call_function_recording, clock, evaluate_expression

    plan = facts.extra.get("manual_plans", {}).get(s.id)
    if plan is None:
        raise Unresolved("the hand-written schedule could not be followed")
    base, _, _ = _base_lr(facts, s)
    current = base if base is not None else 0.0
    budget = Budget(max_seconds=2.0)
    cache = EvalCache()
    # CPU seconds for the whole curve: a 10,000-step hand-written schedule (MAE's per-batch cosine over 90 epochs at
    # the assumed 100 batches) takes 4-5 s on a slow machine, so 5 s made the result depend on the machine
    deadline = clock() + MANUAL_CURVE_SECONDS
    with_peer = _closed_form_peer(facts, s, plan, length)
    peer_note = getattr(plan, "index_note", None)
    # the placeholder optimizer has the optimizer's param groups (Barlow Twins writes param_groups[0] and [1]);
    # the curve is group 0's
    opt_fact = next((o for o in facts.optimizers if o.id == s.optimizer), None)
    n_groups = max(1, len(opt_fact.groups)) if opt_fact is not None else 1
    if with_peer is not None:
        peer, peer_lr, spe = with_peer

        def peer_rate(k: int) -> float:
            return peer_lr[min(k // spe, len(peer_lr) - 1)]

        current = peer_rate(0)
        steps_at = ", ".join(f"line {x.loc.line}" for x in peer.step_sites[:2])
        drawn = (f"where the loop does not write the rate, {_short(peer.cls)} (line {peer.loc.line}) sets it at "
                 f"each epoch's step() ({steps_at}); drawn together, with {spe} batches per epoch")
        peer_note = f"{drawn}; {peer_note}" if peer_note else drawn

    def value_at(k: int, cur: float) -> float | None:
        t = plan.start + k * plan.step
        env: dict[str, Any] = {plan.time_var: t}
        if plan.kind == "expr":
            for name, expr in plan.locals_:
                env[name] = evaluate_expression(expr, plan.scope, budget, local=env, cache=cache)
            v = evaluate_expression(plan.expr, plan.scope, budget, local=env, cache=cache)
            return float(v)
        args: list[Any] = []
        kwargs: dict[str, Any] = {}
        for a in plan.call.args:
            try:
                val = evaluate_expression(a.value, plan.scope, budget, local=env, cache=cache)
            except EvalError:
                val = Opaque("an object", tuple({"lr": cur} for _ in range(n_groups)))
            if a.keyword is not None:
                kwargs[a.keyword.value] = val
            else:
                args.append(val)
        ret, writes = call_function_recording(plan.function, args, kwargs, budget, cache=cache)
        if writes:
            return float(writes[0])
        return None

    lrs: list[float] = []
    if length > opts.dense_limit and opts.steps is None:
        from .catalog.torch_sim import sample_indices

        idx = sample_indices(length, opts.samples)
        in_effect: dict[int, float] = {}  # step -> the rate in effect there, for every step already answered

        def sampled(k: int) -> float:
            """The rate at step k on its own: only sound for a schedule that does not read the rate before it,
            so a helper's result is checked against a second run from another previous rate; a step the
            helper does not write at keeps the last value written before it (found walking back, and stopping
            at a step already answered, so a warm-up window written only at its start is walked once, not once
            per sample)."""
            if k in in_effect:
                return in_effect[k]
            if clock() > deadline:
                raise Unresolved("the hand-written schedule takes too long to evaluate")
            v = value_at(k, current)
            if plan.kind == "expr":
                return current if v is None else v
            if value_at(k, current * 2 + 1.0) != v:
                raise Unresolved(f"the hand-written schedule updates the rate from its previous value, and a "
                                 f"{length}-step run is too long to replay step by step")
            j = k
            floor = (k // with_peer[2]) * with_peer[2] if with_peer is not None else 0  # the epoch's first batch
            while v is None and j > floor:
                if clock() > deadline:
                    raise Unresolved("the hand-written schedule takes too long to evaluate")
                j -= 1
                if j in in_effect:  # answered already, with nothing written between it and k
                    v = in_effect[j]
                    break
                v = value_at(j, current)
                if v is not None and plan.kind != "expr" and value_at(j, current * 2 + 1.0) != v:
                    # the write found walking back scales the rate before it (`if epoch % 8 == 0: adjust(opt,
                    # 0.8)`): its value depends on every earlier write, which independent samples do not replay
                    raise Unresolved(f"the hand-written schedule updates the rate from its previous value, and a "
                                     f"{length}-step run is too long to replay step by step")
            if v is None and with_peer is not None:
                v = peer_rate(k)  # nothing written since the epoch's step(): the scheduler's rate
            out = current if v is None else v
            in_effect[k] = out
            return out

        lrs = [sampled(k) for k in idx]

        def point(ks: list[int]) -> list[float]:
            return [sampled(k) for k in ks]

        summary = _sampled_summary(lrs, idx, point, window=32)  # each point runs the evaluator: bisect
        note = "sampled: each point evaluated independently"
        return Curve(tuple(lrs), tuple(idx), length, horizon_source, unit,  # type: ignore[arg-type]
                     assumption=f"{peer_note}; {note}" if peer_note else note, summary=summary)
    k = 0
    try:
        for k in range(length):
            if with_peer is not None and k and k % with_peer[2] == 0:
                current = peer_rate(k)  # the epoch's step() set it
            v = value_at(k, current)
            if v is not None:
                current = v
            lrs.append(current)
            if clock() > deadline:
                raise Unresolved("the hand-written schedule takes too long to evaluate")
    except EvalError as exc:
        assumed_length = None if isinstance(s.horizon, Known) or opts.steps is not None else horizon_source
        raise Unresolved(_manual_failure_text(str(exc), k, assumed_length)) from None
    return Curve(tuple(lrs), None, length, horizon_source, unit, assumption=peer_note)  # type: ignore[arg-type]


# --------------------------------------------------------------------------------------------- failures
# A curve that cannot be drawn is either one the real library could not draw either (the schedule's own code
# raises: ``step / 0``) or one lraudit cannot draw because it lacks a value or cannot evaluate some code (a name
# from a config object the file never builds). Only the first may be worded as an error of the library; the
# evaluator's refusals are mapped to the Python error the real code raises only when that error is certain.
_GENUINE_ERRORS: tuple[tuple[str, str], ...] = (
    (r"^division by zero", "ZeroDivisionError"),
    (r"^math domain error", "ValueError"),
    (r"^index \S+ out of range", "IndexError"),
    (r"^key .* not found", "KeyError"),
    (r"^assertion failed", "AssertionError"),
    (r"^the function raises an exception", "its own exception"),
    (r"^cannot unpack \d+ values", "ValueError"),
    (r"^range\(\) step must not be zero", "ValueError"),
    (r"^variable \S+ is used before it is assigned", "UnboundLocalError"),
    (r"^negative shift count", "ValueError"),
    (r"of an empty sequence$", "ValueError"),
    (r"is missing the argument |got an unexpected keyword argument |takes \d+ positional argument|"
     r"got multiple values for", "TypeError"),
)
_WHERE = r"(?P<where>at construction \(step 0\)|at step \d+)"
_CALLABLE_FAILED = re.compile(rf"^(?P<what>.+?) raised {_WHERE}: (?:EvalError: )?(?P<rest>.*)$", re.S)
_IMPORTED_NAME = re.compile(r"^uses (?P<name>\S+), which the evaluator does not know$")
_UNKNOWN_NAME = re.compile(r"^name (?P<name>\S+) is unknown(?:: (?P<why>.*))?$", re.S)


_POSITION = re.compile(
    r"(?:(?: at `(?P<code>[^`]*)`)(?: in (?P<fn>[\w.<>]+)(?:, line (?P<line>\d+))?)?"
    r"|(?: in (?P<fn2>[\w.<>]+), line (?P<line2>\d+)))?"
    r"(?: \(calling (?P<called>[\w.<>]+)(?:, line (?P<cline>\d+))?\))?$")


def _split_at(message: str) -> tuple[str, str]:
    """(the evaluator's reason, where it happened in words: ``the lambda at line 6``, ``get_lr() at line 12``).

    The evaluator appends `` at `x` in lambda, line 6`` and/or `` (calling get_lr, line 3)`` to its reasons."""
    m = _POSITION.search(message)
    if m is None or m.start() == len(message):
        return message, ""
    fn = m.group("fn") or m.group("fn2") or m.group("called")
    line = m.group("line") or m.group("line2") or m.group("cline")
    if not fn:
        return message[:m.start()], ""
    if fn == SYNTHETIC_NAME:
        return message[:m.start()], ""
    place = "the lambda" if fn == "lambda" else f"{fn}()"
    return message[:m.start()], f"{place} at line {line}" if line else place


def genuine_error(reason: str) -> str | None:
    """The Python exception the analysed code itself raises for this evaluator refusal, or None when the refusal
    only means lraudit lacks a value or cannot evaluate the code."""
    for pattern, name in _GENUINE_ERRORS:
        if re.search(pattern, reason):
            return name
    return None


def missing_value_text(what: str, message: str) -> str:
    """Why ``what`` (``lr_lambda``, ``the hand-written schedule``) could not be evaluated, in plain words."""
    reason, place = _split_at(message.strip())
    who = f"{what}, {place}," if place else what
    m = _UNKNOWN_NAME.match(reason)
    if m is not None:
        why = m.group("why")
        return f"{who} reads {m.group('name')}, which is not known here" + (f": {why}" if why else "")
    m = _IMPORTED_NAME.match(reason)
    if m is not None:
        return f"{who} reads {m.group('name')}, which is imported, so its value is not known here"
    return f"{who} could not be evaluated: {reason}"


def sim_failure_text(exc: Exception, assumed_length: str | None = None) -> str:
    """The curve error for a simulation the catalog engine gave up on; ``assumed_length`` says how the run's
    length was chosen when the script does not state it (an error at a late step may then never happen)."""
    from .evaluate import EvalError

    message = str(exc)
    m = _CALLABLE_FAILED.match(message)
    cause = exc.__cause__
    if m is not None and (isinstance(cause, EvalError) or "EvalError: " in message):
        what, where, rest = m.group("what"), m.group("where"), m.group("rest")
        reason, place = _split_at(rest)
        error = genuine_error(reason)
        if error is None:
            return missing_value_text(what, rest)
        who = f"{what}, {place}," if place else what
        text = f"the library would raise: {who} raises {error} {where}: {reason}"
        if assumed_length and where != "at construction (step 0)":
            text += f" (if the run is that long: {assumed_length})"
        return text
    return f"the library would raise: {message}"


def _manual_failure_text(message: str, step: int, assumed_length: str | None) -> str:
    """A hand-written schedule's evaluation failure at ``step``. The synthetic function lraudit wraps the loop's
    write in is never named (the write's line is already in the description), nor is its step counter."""
    message = message.replace(TIME_NAME, "the step")
    reason, place = _split_at(message)
    error = genuine_error(reason)
    if error is not None:
        who = f"the hand-written schedule ({place})" if place else "the hand-written schedule"
        text = f"{who} raises {error} at step {step}: {reason}"
        if assumed_length and step > 0:
            text += f" (if the run is that long: {assumed_length})"
        return text
    return missing_value_text("the hand-written schedule", message)


# --------------------------------------------------------------------------------------------- ignite
def simulate_ignite(facts: FileFacts, s: SchedulerFact, opts: SimOptions) -> Curve:
    """An ignite param scheduler run by the event it is attached to (catalog/ignite_sim.py): the rate each
    update (``*_STARTED`` handlers set it before, ``*_COMPLETED`` after) or each epoch uses."""
    from .catalog import ignite_sim
    from .catalog.torch_sim import OptimizerSpec, SimError, _Optimizer, _build

    length, horizon_source = choose_length(s, opts, facts)
    unit = "step" if s.unit == "step" else "epoch"

    def fail(why: str) -> Curve:
        return Curve(None, None, length, horizon_source, unit, error=why)  # type: ignore[arg-type]

    parent = facts.scheduler(s.parent) if s.parent is not None else None
    if parent is not None and _short(parent.cls) != "ParamGroupScheduler":
        return fail(f"it runs inside {_short(parent.cls)}, whose curve is the rate in use")
    # each scheduler of a ParamGroupScheduler runs at its events (on its own optimizer or group)
    info = facts.extra.get("ignite", {}).get(parent.id if parent is not None else s.id)
    if info is None:
        return fail("it is not attached to an engine event in this file")
    if info.get("reason"):
        return fail(info["reason"])
    if info.get("events", 1) > 1:
        return fail(f"it is attached {info['events']} times, so it acts more than once per event")
    event = ignite_sim.Event(info["event"], info.get("every"), info.get("once"), info.get("before"),
                             info.get("after"))
    nan_lr = False
    try:
        opt_spec = _optimizer_spec(facts, s, False)
    except RelativeOnly:
        nan_lr = True
        opt_spec = None
    except Unresolved as exc:
        return fail(str(exc))
    if opt_spec is None:
        # the rate the optimizer was built with: NaN, so a curve that shows it (or computes from it) is refused
        opt_spec = OptimizerSpec((math.nan,), True, False, math.nan)

    def build(optimizer: Any, fact: SchedulerFact) -> Any:
        if fact.framework == "ignite":
            args = _plain_args(fact)
            missing = _unknown_needed(fact, tuple(fact.args))
            if missing and fact.assumed_args:
                args = {k: _callable(v.value) for k, v in fact.assumed_args.items() if isinstance(v, Known)}
                missing = next((f"{k} is unknown: {v.reason}" for k, v in fact.assumed_args.items()
                                if isinstance(v, Unknown)), None)
                if not missing:
                    notes.append(f"{_unknown_needed(fact, tuple(fact.args))}; the curve assumes {ASSUMED_LEN} "
                                 "batches per epoch to show the shape")
            if missing:
                raise Unresolved(missing)
            args.pop("optimizer", None)
            args.pop("output_simulated_values", None)
            name = _short(fact.cls)
            child_param = {"LRScheduler": "lr_scheduler", "ConcatScheduler": "schedulers",
                           "ParamGroupScheduler": "schedulers",
                           "create_lr_scheduler_with_warmup": "lr_scheduler"}.get(name)
            kids: list[Any] = []
            if child_param is not None:
                args.pop(child_param, None)
                if not fact.children:
                    raise Unresolved(f"its {child_param} is not a scheduler built in this file")
                kid_facts = [facts.scheduler(k) for k in fact.children if facts.scheduler(k) is not None]
                if name == "ParamGroupScheduler":
                    # schedulers of other optimizers do not change this optimizer's rate
                    kid_facts = [k for k in kid_facts if k.optimizer == s.optimizer] or kid_facts[:1]  # type: ignore
                kids = [build(optimizer, k) for k in kid_facts]  # type: ignore[arg-type]
            if "milestones_values" in args and isinstance(args["milestones_values"], list):
                args["milestones_values"] = [tuple(x) if isinstance(x, list) else x for x in args["milestones_values"]]
            return ignite_sim.build(name, optimizer, args, kids)
        if fact.cls.startswith("custom:"):
            raise Unresolved(f"its scheduler {fact.cls[len('custom:'):]} is a class of the file, which is not run "
                             "inside ignite's wrapper")
        return _build(_torch_spec(facts, fact), optimizer)

    notes: list[str] = []
    try:
        optimizer = _Optimizer(opt_spec)
        handler = build(optimizer, s)
        sampled = length > opts.dense_limit and opts.steps is None
        if sampled:
            from .catalog.torch_sim import sample_indices

            idx = sample_indices(length, opts.samples)
            lr = tuple(float(x) for x in ignite_sim.run(handler, optimizer, event, length, idx))
            steps_used: tuple[int, ...] | None = tuple(idx)
        else:
            lr = tuple(float(x) for x in ignite_sim.run(handler, optimizer, event, length))
            steps_used = None
    except Unresolved as exc:
        return fail(str(exc))
    except ignite_sim.IgniteError as exc:
        return fail(f"ignite would raise: {exc}")
    except SimError as exc:
        return fail(sim_failure_text(exc))
    except (ArithmeticError, LookupError, TypeError, ValueError) as exc:
        return fail(f"ignite would raise {type(exc).__name__}: {exc}")
    if any(math.isnan(x) for x in lr):
        if nan_lr:
            return fail(f"the curve shows or computes from the optimizer's own lr, which is unknown "
                        f"({s.optimizer_reason or 'not found'})" if s.optimizer is None else
                        "the curve shows or computes from the optimizer's own lr, which is unknown")
        return fail("the schedule computes a rate that is not a number")
    if not isinstance(s.horizon, Known) and isinstance(s.assumed_horizon, Known) and opts.steps is None:
        notes.append(f"the run's length assumes {s.assumed_horizon.source}")
    return Curve(lr, steps_used, length, horizon_source, unit,  # type: ignore[arg-type]
                 assumption="; ".join(dict.fromkeys(notes)) or None)


SIMULATORS: dict[str, Callable[[FileFacts, SchedulerFact, SimOptions], Curve]] = {
    "torch": simulate_torch, "keras": simulate_framework, "hf": simulate_framework, "timm": simulate_framework,
    "manual": simulate_framework, "lightning": simulate_torch, "ignite": simulate_ignite,
}


def simulate_scheduler(facts: FileFacts, s: SchedulerFact, opts: SimOptions | None = None,
                       extra: Mapping[str, Any] | None = None) -> Curve:
    opts = opts or SimOptions()
    sim = SIMULATORS.get(s.framework)
    if sim is None:
        from .catalog.config_sims import simulator_for

        sim = simulator_for(s.framework)
    if sim is None:
        length, src = choose_length(s, opts, facts)
        if s.framework == "unknown":  # an object of unknown class (extract/unknown.py): no schedule to draw
            return Curve(None, None, length, src, "step", error=f"its class is not known: {s.class_reason}")
        return Curve(None, None, length, src, "step", error=f"{s.framework} schedules are not simulated yet")
    assumed = _assumed_rate_facts(facts, s)
    if assumed is not None:
        facts, note = assumed
        curve = sim(facts, s, opts)
        if curve.lr is not None and not curve.relative:
            from dataclasses import replace

            curve = replace(curve, assumed_rate=True,
                            assumption=f"{curve.assumption}; {note}" if curve.assumption else note)
        return finish(curve, s)
    curve = sim(facts, s, opts)
    return finish(curve, s)


def _assumed_rate_facts(facts: FileFacts, s: SchedulerFact) -> tuple[FileFacts, str] | None:
    """The facts with the scheduler's optimizer lr taken at its assumed run-time size (``args.lr *
    args.batch_size * get_world_size() / 256`` at one process: DeiT, MAE, ConvNeXt), and the note the curve
    carries; None when the lr is known or has no such value."""
    from dataclasses import replace

    from .describe import fmt_lr
    from .extract.run_sizes import WORLD_WORDS

    opt = facts.optimizer(s.optimizer)
    if opt is None or opt.groups or not isinstance(opt.lr, Unknown) or not isinstance(opt.assumed_lr, Known) \
            or not _num(opt.assumed_lr.value):
        return None
    sizes = []
    if WORLD_WORDS in opt.lr.reason:
        sizes.append("one process")
    if "len(" in opt.lr.reason:
        sizes.append(f"{ASSUMED_LEN} batches per epoch")
    taken = " and ".join(sizes) or "an assumed run-time size"
    note = (f"the optimizer's lr depends on the run ({opt.lr.reason}); the curve takes it as "
            f"{fmt_lr(opt.assumed_lr.value)} ({taken}) to show the shape")
    changed = replace(opt, lr=opt.assumed_lr)
    optimizers = type(facts.optimizers)(changed if o.id == opt.id else o for o in facts.optimizers)
    return replace(facts, optimizers=optimizers), note


def finish(curve: Curve, s: SchedulerFact) -> Curve:
    """Attach shape and summary to a curve."""
    from dataclasses import replace

    from .shape import classify, summarize

    if curve.lr is None or not curve.lr:
        shape = "plateau-driven" if _short(s.cls) in ("ReduceLROnPlateau", "PlateauLRScheduler") else None
        return replace(curve, shape=shape)
    plain_args = {k: v.value for k, v in s.args.items() if isinstance(v, Known)}
    summary = curve.summary or summarize(curve.lr, curve.steps)  # sampled curves bring exact milestones
    shape = classify(curve.lr, s.cls, plain_args, curve.steps)
    return replace(curve, shape=shape, summary=summary)


def optimizer_is_adaptive(opt: OptimizerFact | None) -> bool:
    return opt is not None and _family(opt) in ADAPTIVE


def _family(opt: OptimizerFact) -> str:
    """The library class name an optimizer's defaults follow; "" for a repository's own optimizer class (a
    ``custom:AdamW`` is not known to behave like torch's)."""
    return "" if opt.cls.startswith("custom:") else _short(opt.cls)


__all__ = ["SimOptions", "simulate_scheduler", "choose_length", "own_length", "Unresolved", "Unknown"]
