"""Construction rules: values that are wrong the moment the optimizer or scheduler is built.

LR001 lr-out-of-range, LR002 invalid-scheduler-argument, LR003 deprecated-argument.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

from ..facts import FileFacts, Known, Location, OptimizerFact, SchedulerFact
from ..registry import check
from ..results import Finding
from .common import (
    DECAY_ONLY,
    IGNORES_OPTIMIZER_LR,
    arg_loc,
    arg_num,
    arg_plain,
    finite,
    fmt,
    fmt_value,
    group_lrs,
    is_default,
    num,
    onecycle_total,
    opt_label,
    optimizer_lr,
    short,
    trusted_points,
)
from .context import CheckContext
from .fixes import edit_at, remove_keyword, rename_keyword

# ============================================================================================ LR001

#: Optimizer families for the plausible ceiling. Optimizers in neither family (Adadelta and L-BFGS, whose lr
#: is a scale factor around 1; Rprop, whose lr is an initial step size; Adafactor with relative steps) only
#: get the "<= 0" check.
ADAPTIVE: frozenset[str] = frozenset({
    "Adam", "AdamW", "Adamax", "NAdam", "Nadam", "RAdam", "SparseAdam", "Lion", "Lamb", "LAMB", "AdaBelief",
    "Adagrad", "RMSprop", "Ftrl", "AdamWScheduleFree", "ScheduleFreeAdamW", "FusedAdam", "DeepSpeedCPUAdam",
    "Adam8bit", "AdamW8bit", "PagedAdamW", "PagedAdamW8bit", "FusedLamb", "FusedLion", "OnebitAdam", "OnebitLamb",
    "ZeroOneAdam",
})
SGD_LIKE: frozenset[str] = frozenset({"SGD", "ASGD", "LARS", "Muon", "SGDW"})


@check("LR001")
def lr_out_of_range(ctx: CheckContext) -> Iterator[Finding]:
    facts = ctx.facts
    max_adaptive = float(ctx.options.get("max_lr_adaptive", 0.1))
    max_sgd = float(ctx.options.get("max_lr_sgd", 50.0))
    written = {w.optimizer for w in facts.lr_writes}
    for o in facts.optimizers:
        if o.id in written or o.lr_is_schedule:
            continue  # a hand-written schedule or a schedule object decides the rate
        if o.probe:
            continue  # an optimizer over stand-alone tensors that only shows a schedule's rates trains nothing
        peaks = _effective_peaks(ctx, o)
        if peaks is None:
            continue
        name = "" if o.cls.startswith("custom:") else short(o.cls)  # a repository's own optimizer: no family
        if name in ADAPTIVE:
            ceiling, family, option = max_adaptive, "adaptive optimizers such as Adam", "max_lr_adaptive"
        elif name in SGD_LIKE:
            ceiling, family, option = max_sgd, "SGD-like optimizers", "max_lr_sgd"
        else:
            ceiling = family = option = None  # type: ignore[assignment]
        trained_here = any(st.target == o.id for st in facts.optimizer_steps)
        for peak, loc, how, own in peaks:
            if peak == 0 and None in written:
                continue  # a rate of 0 set for a hand-written schedule whose optimizer is not traced here
            if peak == 0 and not trained_here and o.framework == "torch":
                # built here (``get_optimizer()`` returns it), trained elsewhere: a start rate of 0 is the warm-up's
                # start that the training code raises (YOLOX's warmup_lr = 0), which this file cannot see
                continue
            if peak <= 0:
                if peak == 0:
                    problem = "a rate of 0 never changes the weights"
                else:
                    problem = ("a negative rate climbs the loss instead of descending it"
                               + ("; PyTorch rejects it at construction (ValueError: Invalid learning rate)"
                                  if o.framework == "torch" and own else ""))
                yield ctx.finding(loc, optimizer=opt_label(o), lr=fmt(peak), how=how, problem=problem)
            elif ceiling is not None and peak > ceiling:
                problem = (f"above {fmt(ceiling)}, a plausible ceiling for {family} (option {option}); "
                           f"a missing scale such as 1e-3 is the usual cause")
                yield ctx.finding(loc, optimizer=opt_label(o), lr=fmt(peak), how=how, problem=problem)


def _effective_peaks(ctx: CheckContext, o: OptimizerFact) -> list[tuple[float, Location, str, bool]] | None:
    """[(peak rate, where to point, how it was found, whether it is the optimizer's own lr)], or None when the
    peak is not known for sure."""
    facts = ctx.facts
    scheds = [s for s in facts.schedulers if s.optimizer == o.id and s.parent is None]
    groups = group_lrs(o)
    opt_loc = o.lr_arg_loc or o.loc
    if not scheds:
        if not groups:
            return None
        return [(lr, loc or opt_loc, " (the optimizer's lr; no scheduler changes it)", True) for lr, loc in groups]
    out: list[tuple[float, Location, str, bool]] = []
    for s in scheds:
        name = short(s.cls)
        if s.framework == "torch" and name in IGNORES_OPTIMIZER_LR:
            mx = arg_num(s, "max_lr")
            if mx is None:
                return None
            out.append((mx, arg_loc(s, "max_lr"), f" (max_lr of {name}, which replaces the optimizer's lr)", False))
            continue
        c = ctx.curves.get(s.id)
        pts = trusted_points(s, c)
        base = optimizer_lr(o)
        if pts and base is not None and base != 0:
            vals = finite(v for _, v in pts)
            if not vals:
                return None
            peak = max(vals)
            scale = peak / base
            unscaled = math.isclose(scale, 1.0, rel_tol=1e-9)
            how = f" (the optimizer's lr; {name} never raises it)" if unscaled else f" (its lr, scaled by {name})"
            for lr, loc in groups:
                out.append((lr * scale, loc or opt_loc, how, unscaled))
            continue
        if name in DECAY_ONLY and _decay_factors_in_range(s, base) and groups:
            for lr, loc in groups:
                out.append((lr, loc or opt_loc, f" (the optimizer's lr; {name} only lowers it)", True))
            continue
        return None  # a lambda, a custom class or an unknown curve may scale the rate: stay quiet
    return out or None


def _decay_factors_in_range(s: SchedulerFact, base: float | None) -> bool:
    """True when the scheduler's arguments keep the rate at or below the optimizer's lr."""
    name = short(s.cls)
    if name in ("StepLR", "MultiStepLR", "ExponentialLR"):
        g = arg_num(s, "gamma")
        return g is not None and 0 <= g <= 1
    if name in ("CosineAnnealingLR",):
        eta = arg_num(s, "eta_min")
        return eta is not None and base is not None and eta <= base
    return name in ("PolynomialLR", "ConstantLR", "LinearLR", "ReduceLROnPlateau")


# ============================================================================================ LR002


@check("LR002")
def invalid_scheduler_argument(ctx: CheckContext) -> Iterator[Finding]:
    facts = ctx.facts
    for s in facts.schedulers:
        for argname, problem in _argument_problems(facts, s):
            yield ctx.finding(arg_loc(s, argname), scheduler=short(s.cls), arg=argname, problem=problem)


def _argument_problems(facts: FileFacts, s: SchedulerFact) -> Iterator[tuple[str, str]]:
    name = short(s.cls)
    if s.framework == "torch" and not s.cls.startswith("custom:"):
        yield from _unexpected_keywords(s)
        rule = _TORCH_RULES.get(name)
        if rule is not None:
            yield from rule(facts, s)
        if name in ("StepLR", "MultiStepLR", "ExponentialLR"):
            yield from _gamma(s)
        if name in ("OneCycleLR", "CyclicLR"):
            yield from _momentum_cycling(facts, s)
    elif s.framework == "hf":
        yield from _hf_rules(facts, s)
    elif s.framework == "keras":
        yield from _keras_rules(s)
    elif s.framework == "deepspeed":
        from .deepspeed_args import deepspeed_problems

        yield from deepspeed_problems(facts, s)
    elif s.framework in ("mmengine", "mmcv", "detectron2"):
        from .config_args import config_argument_problems

        yield from config_argument_problems(facts, s)


def _unexpected_keywords(s: SchedulerFact) -> Iterator[tuple[str, str]]:
    from ..catalog import lookup

    entry = lookup(s.cls)
    if entry is None or any(p.kind == "varkw" for p in entry.params):
        return
    names = {p.name for p in entry.params}
    for k in sorted(s.args):
        if k in names or k.startswith("__"):
            continue
        if k == "verbose":
            continue  # version-dependent: LR003 (deprecated-argument) decides it for the targeted PyTorch
        yield k, f"{short(s.cls)} has no argument {k!r}: construction raises TypeError"


def _exact(x: Any) -> str:
    """A value as written where its type matters (10.0 stays 10.0)."""
    return repr(x) if isinstance(x, float) else fmt_value(x)


def _is_int_value(x: Any) -> bool:
    return isinstance(x, int) and not isinstance(x, bool)


def _is_number(x: Any) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)


def _step_lr(facts: FileFacts, s: SchedulerFact) -> Iterator[tuple[str, str]]:
    x = arg_plain(s, "step_size")
    if not _is_number(x):
        return
    if x == 0:
        yield "step_size", "step_size=0: the first scheduler.step() raises ZeroDivisionError (integer modulo by zero)"
    elif x < 0:
        yield "step_size", (f"step_size={fmt(x)} is negative: step() happens to decay every {fmt(-x)} steps, but "
                            f"the closed form used by step(epoch) and by resuming computes gamma ** (t // "
                            f"{fmt(x)}) and raises the rate instead")
    elif x != int(x):
        every = _float_period(float(x))
        detail = (f"it decays only when the step count is an exact multiple of {fmt(x)}, i.e. every {every} steps"
                  if every else f"the step count is never an exact multiple of {fmt(x)}, so it never decays")
        yield "step_size", f"step_size={fmt(x)} is not a whole number: {detail}"


def _float_period(x: float, limit: int = 10_000) -> int | None:
    for t in range(1, limit):
        if t % x == 0:
            return t
    return None


def _multistep(facts: FileFacts, s: SchedulerFact) -> Iterator[tuple[str, str]]:
    ms = arg_plain(s, "milestones")
    if isinstance(ms, (list, tuple)) and ms and all(_is_number(m) for m in ms):
        bad = [m for m in ms if m != int(m)]
        if bad:
            yield "milestones", (f"milestone {fmt(bad[0])} is not a whole number: the step count never equals it, "
                                 f"so that decay never happens")


def _cosine(facts: FileFacts, s: SchedulerFact) -> Iterator[tuple[str, str]]:
    t = arg_plain(s, "T_max")
    if _is_number(t) and t == 0:
        yield "T_max", "T_max=0: the first scheduler.step() raises ZeroDivisionError (integer modulo by zero)"


def _warm_restarts(facts: FileFacts, s: SchedulerFact) -> Iterator[tuple[str, str]]:
    t0 = arg_plain(s, "T_0")
    if t0 is not None and (not _is_int_value(t0) or t0 <= 0):
        yield "T_0", (f"T_0={_exact(t0)}: CosineAnnealingWarmRestarts wants a positive int and raises ValueError "
                      f"(Expected positive integer T_0) at construction")
    tm = arg_plain(s, "T_mult")
    if tm is not None and (not _is_int_value(tm) or tm < 1):
        yield "T_mult", (f"T_mult={_exact(tm)}: CosineAnnealingWarmRestarts wants an int >= 1 and raises "
                         f"ValueError (Expected integer T_mult >= 1) at construction")


def _one_cycle(facts: FileFacts, s: SchedulerFact) -> Iterator[tuple[str, str]]:
    total = s.args.get("total_steps")
    epochs, spe = s.args.get("epochs"), s.args.get("steps_per_epoch")
    tv = total.value if isinstance(total, Known) else "?"
    ev = epochs.value if isinstance(epochs, Known) else "?"
    sv = spe.value if isinstance(spe, Known) else "?"
    if tv is None and (ev is None or sv is None):
        missing = "epochs and steps_per_epoch" if ev is None and sv is None else (
            "steps_per_epoch" if sv is None else "epochs")
        yield "total_steps", (f"neither total_steps nor epochs and steps_per_epoch is given ({missing} missing): "
                              f"OneCycleLR raises ValueError at construction")
        return
    if tv not in (None, "?") and (not _is_int_value(tv) or tv <= 0):
        yield "total_steps", (f"total_steps={_exact(tv)}: OneCycleLR wants a positive int and raises ValueError "
                              f"(Expected positive integer total_steps) at construction")
    elif tv is None:
        for nm, val in (("epochs", ev), ("steps_per_epoch", sv)):
            if val != "?" and (not _is_int_value(val) or val <= 0):
                yield nm, (f"{nm}={_exact(val)}: OneCycleLR wants a positive int and raises ValueError at "
                           f"construction")
    pct = s.args.get("pct_start")
    if isinstance(pct, Known):
        p = pct.value
        if not isinstance(p, float) or not 0 <= p <= 1:
            why = "is not a float" if _is_number(p) and 0 <= p <= 1 else "is not a float between 0 and 1"
            yield "pct_start", (f"pct_start={_exact(p)} {why}: OneCycleLR raises ValueError (Expected float "
                                f"between 0 and 1 pct_start) at construction")
        else:
            t = onecycle_total(s)
            if t is not None and math.isclose(p * t[0], 1.0):
                yield "pct_start", (f"pct_start={fmt(p)} with {t[1]} gives a warm-up phase of length 0: "
                                    f"OneCycleLR raises ZeroDivisionError at construction")
    strat = arg_plain(s, "anneal_strategy")
    if isinstance(strat, str) and strat not in ("cos", "linear"):
        yield "anneal_strategy", (f"anneal_strategy={strat!r}: OneCycleLR accepts 'cos' or 'linear' and raises "
                                  f"ValueError at construction")


def _plateau(facts: FileFacts, s: SchedulerFact) -> Iterator[tuple[str, str]]:
    f = arg_plain(s, "factor")
    if _is_number(f) and f >= 1:
        yield "factor", (f"factor={fmt(f)}: ReduceLROnPlateau multiplies the rate by factor, so it must be < 1; "
                         f"construction raises ValueError (Factor should be < 1.0)")
    elif _is_number(f) and f < 0:
        yield "factor", (f"factor={fmt(f)} is negative: the first reduction would make the rate negative; "
                         f"ReduceLROnPlateau clamps it to min_lr instead, so the first cut drops straight to min_lr")
    mode = arg_plain(s, "mode")
    if isinstance(mode, str) and mode not in ("min", "max"):
        yield "mode", f"mode={mode!r}: ReduceLROnPlateau accepts 'min' or 'max' and raises ValueError at construction"
    tm = arg_plain(s, "threshold_mode")
    if isinstance(tm, str) and tm not in ("rel", "abs"):
        yield "threshold_mode", (f"threshold_mode={tm!r}: ReduceLROnPlateau accepts 'rel' or 'abs' and raises "
                                 f"ValueError at construction")


def _constant(facts: FileFacts, s: SchedulerFact) -> Iterator[tuple[str, str]]:
    f = arg_plain(s, "factor")
    if _is_number(f) and (f > 1 or f < 0):
        yield "factor", (f"factor={fmt(f)}: ConstantLR wants a factor between 0 and 1 and raises ValueError at "
                         f"construction")
    elif _is_number(f) and f == 0:
        ti = arg_plain(s, "total_iters")
        at = f"step {fmt(ti)}" if _is_number(ti) else "the end of its hold"
        yield "factor", (f"factor=0 passes validation, but the rate is 0 until total_iters and scheduler.step() "
                         f"raises ZeroDivisionError at {at}")


def _linear(facts: FileFacts, s: SchedulerFact) -> Iterator[tuple[str, str]]:
    a = arg_plain(s, "start_factor")
    if _is_number(a) and (a <= 0 or a > 1):
        yield "start_factor", (f"start_factor={fmt(a)}: LinearLR wants 0 < start_factor <= 1 and raises ValueError "
                               f"at construction")
    b = arg_plain(s, "end_factor")
    if _is_number(b) and (b < 0 or b > 1):
        yield "end_factor", (f"end_factor={fmt(b)}: LinearLR wants 0 <= end_factor <= 1 and raises ValueError at "
                             f"construction")


def _polynomial(facts: FileFacts, s: SchedulerFact) -> Iterator[tuple[str, str]]:
    p = arg_plain(s, "power")
    if _is_number(p) and p < 0:
        ti = arg_plain(s, "total_iters")
        at = f"step {fmt(ti)}" if _is_number(ti) else "total_iters"
        yield "power", (f"power={fmt(p)} is negative: the rate grows instead of decaying, then scheduler.step() "
                        f"raises ZeroDivisionError at {at}")


def _lambda(facts: FileFacts, s: SchedulerFact) -> Iterator[tuple[str, str]]:
    fns = arg_plain(s, "lr_lambda")
    o = facts.optimizer(s.optimizer)
    if isinstance(fns, (list, tuple)) and o is not None and o.groups and len(fns) != len(o.groups):
        yield "lr_lambda", (f"{len(fns)} lr_lambdas for an optimizer with {len(o.groups)} parameter groups: "
                            f"{short(s.cls)} raises ValueError (Expected {len(o.groups)} lr_lambdas) at "
                            f"construction")


def _cyclic(facts: FileFacts, s: SchedulerFact) -> Iterator[tuple[str, str]]:
    mode = arg_plain(s, "mode")
    scale_fn = s.args.get("scale_fn")
    if isinstance(mode, str) and mode not in ("triangular", "triangular2", "exp_range") and \
            isinstance(scale_fn, Known) and scale_fn.value is None:
        yield "mode", (f"mode={mode!r} is not triangular, triangular2 or exp_range and no scale_fn is given: "
                       f"CyclicLR raises ValueError at construction")
    up = arg_plain(s, "step_size_up")
    if _is_number(up) and up <= 0:
        yield "step_size_up", (f"step_size_up={fmt(up)}: CyclicLR divides by the cycle length, so the first step "
                               f"raises ZeroDivisionError or runs backwards")


def _sequential(facts: FileFacts, s: SchedulerFact) -> Iterator[tuple[str, str]]:
    ms = arg_plain(s, "milestones")
    if not isinstance(ms, (list, tuple)):
        return
    # children are the schedulers lraudit traced; the real list can only be longer, so only "too many
    # schedulers for the milestones" is certain
    n = len(s.child_choices) if s.child_choices else len(s.children)  # alternatives count once per element
    if n > len(ms) + 1:
        yield "milestones", (f"{len(ms)} milestone(s) for {n} schedulers: SequentialLR needs exactly "
                             f"one fewer milestone than schedulers and raises ValueError at construction")


def _swalr(facts: FileFacts, s: SchedulerFact) -> Iterator[tuple[str, str]]:
    ae = arg_plain(s, "anneal_epochs")
    if ae is not None and (not _is_int_value(ae) or ae < 0):
        yield "anneal_epochs", (f"anneal_epochs={_exact(ae)}: SWALR wants an int >= 0 and raises ValueError at "
                                f"construction")
    st = arg_plain(s, "anneal_strategy")
    if isinstance(st, str) and st not in ("cos", "linear"):
        yield "anneal_strategy", (f"anneal_strategy={st!r}: SWALR accepts 'cos' or 'linear' and raises ValueError "
                                  f"at construction")


def _gamma(s: SchedulerFact) -> Iterator[tuple[str, str]]:
    g = arg_plain(s, "gamma")
    if not _is_number(g) or g > 0:
        return
    name = short(s.cls)
    first = {"StepLR": "at the first decay", "MultiStepLR": "at the first milestone",
             "ExponentialLR": "after the first step"}[name]
    if g == 0:
        yield "gamma", f"gamma=0: the rate drops to 0 {first} and training stops"
    else:
        yield "gamma", (f"gamma={fmt(g)} is negative: the rate turns negative {first} (the model climbs the loss) "
                        f"and flips sign at every later decay")


def _momentum_cycling(facts: FileFacts, s: SchedulerFact) -> Iterator[tuple[str, str]]:
    cm = s.args.get("cycle_momentum")
    if not (isinstance(cm, Known) and cm.value is True):
        return
    o = facts.optimizer(s.optimizer)
    if o is None or o.framework != "torch":
        return
    oname = short(o.cls)
    has_momentum = oname in ("SGD", "RMSprop") or "momentum" in o.params
    has_betas = "betas" in o.params
    where = "default" if is_default(cm) else "cycle_momentum=True"
    if not has_momentum and not has_betas and oname in ("Adagrad", "Adadelta", "Rprop", "ASGD", "LBFGS",
                                                        "Adafactor"):
        yield "cycle_momentum", (f"momentum cycling ({where}) on {oname}, which has neither momentum nor betas: "
                                 f"{short(s.cls)} raises ValueError (optimizer must support momentum or beta1) at "
                                 f"construction; pass cycle_momentum=False")
        return
    if oname == "SGD":
        mom_v = o.params.get("momentum")
        if num(mom_v) == 0 and not is_default(mom_v):  # momentum=0 written on purpose
            hi = arg_num(s, "max_momentum")
            lo = arg_num(s, "base_momentum")
            yield "cycle_momentum", (f"momentum cycling ({where}) on SGD with momentum=0: {short(s.cls)} silently "
                                     f"turns momentum on, cycling it between {fmt(lo)} and {fmt(hi)}; pass "
                                     f"cycle_momentum=False to keep plain SGD")


_TORCH_RULES = {
    "StepLR": _step_lr,
    "MultiStepLR": _multistep,
    "CosineAnnealingLR": _cosine,
    "CosineAnnealingWarmRestarts": _warm_restarts,
    "OneCycleLR": _one_cycle,
    "ReduceLROnPlateau": _plateau,
    "ConstantLR": _constant,
    "LinearLR": _linear,
    "PolynomialLR": _polynomial,
    "LambdaLR": _lambda,
    "MultiplicativeLR": _lambda,
    "CyclicLR": _cyclic,
    "SequentialLR": _sequential,
    "SWALR": _swalr,
}


def _hf_rules(facts: FileFacts, s: SchedulerFact) -> Iterator[tuple[str, str]]:
    name = short(s.cls)
    o = facts.optimizer(s.optimizer)
    if name == "get_polynomial_decay_schedule_with_warmup":
        lr_end = arg_num(s, "lr_end")
        lr_init = optimizer_lr(o)
        if lr_end is not None and lr_init is not None and lr_init <= lr_end:
            yield "lr_end", (f"lr_end={fmt(lr_end)} is not below the optimizer's lr {fmt(lr_init)}: transformers "
                             f"raises ValueError (lr_end must be smaller than initial lr) at construction")
    if name in ("get_cosine_with_min_lr_schedule_with_warmup", "get_cosine_with_min_lr_schedule_with_warmup_lr_rate"):
        a, b = s.args.get("min_lr"), s.args.get("min_lr_rate")
        if isinstance(a, Known) and isinstance(b, Known):
            if a.value is not None and b.value is not None:
                yield "min_lr", f"both min_lr and min_lr_rate are set: {name} raises ValueError at construction"
            elif a.value is None and b.value is None:
                yield "min_lr", (f"neither min_lr nor min_lr_rate is set: {name} raises ValueError at "
                                 f"construction")
    w = s.args.get("num_warmup_steps")
    if isinstance(w, Known) and _is_number(w.value) and w.value < 0:
        yield "num_warmup_steps", (f"num_warmup_steps={fmt(w.value)} is negative: the warm-up factor is negative, "
                                   f"so the rate is negative from the first step")


def _keras_rules(s: SchedulerFact) -> Iterator[tuple[str, str]]:
    name = short(s.cls)
    if name == "ReduceLROnPlateau":
        f = arg_plain(s, "factor")
        if _is_number(f) and f >= 1:
            yield "factor", (f"factor={fmt(f)}: Keras ReduceLROnPlateau raises ValueError (does not support a factor "
                             f">= 1.0) at construction")
    for length in ("decay_steps", "first_decay_steps"):
        d = arg_plain(s, length)
        if _is_number(d) and d <= 0:
            yield length, f"{length}={fmt(d)}: {name} raises ValueError ({length} must be > 0) at construction"


# ============================================================================================ LR003


@check("LR003")
def deprecated_argument(ctx: CheckContext) -> Iterator[Finding]:
    """Arguments whose meaning depends on the library version: each case (``versions:`` in the rule's YAML) is
    reported at the rule's severity when the targeted versions are affected, else as an info note on what an
    upgrade changes (option ``upgrade_notes``). The decision (fires or not, severity, wording) is made here."""
    from ..versions import keras_flavor

    facts = ctx.facts
    flavor = keras_flavor(facts.extra.get("imports", ()))
    for o in facts.optimizers:
        if o.framework != "keras":
            continue
        for kw in ("lr", "decay"):
            v = o.params.get(kw)
            if v is None and kw == "lr" and _keras_lr_kwarg(o):
                v = o.lr
            if v is None:
                continue
            loc = o.lr_arg_loc if kw == "lr" and o.lr_arg_loc else o.loc
            own = keras_flavor([o.imported_as]) if o.imported_as else None  # the optimizer's own import first
            if kw == "lr":
                fix, extra = rename_keyword(o.call, "lr", "learning_rate"), ""
            else:
                equivalent = _inverse_time_decay(o, v)
                fix = _decay_fix(o, *equivalent) if equivalent and equivalent[0] else None  # type: ignore[misc]
                extra = f"; the equivalent schedule is {equivalent[1]}" if equivalent else ""
            yield from _versioned(ctx, f"keras-{kw}", loc, f"{kw}=", f"Keras {short(o.cls)}", own or flavor, fix, extra)
    for s in facts.schedulers:
        if s.framework == "hf":
            v = s.args.get("warmup_ratio")
            if v is not None and not is_default(v) and not (isinstance(v, Known) and v.value in (0, 0.0, None)):
                # warmup_steps=0.1 is a fraction from transformers 5 on (4.x reads it as 0.1 steps: no warm-up)
                yield from _versioned(ctx, "hf-warmup-ratio", arg_loc(s, "warmup_ratio"), "warmup_ratio=",
                                      "TrainingArguments",
                                      autofix=rename_keyword(s.call, "warmup_ratio", "warmup_steps", "unsafe"),
                                      safe_when_pinned=True)
        if s.framework == "keras" and short(s.cls) == "ReduceLROnPlateau" and "epsilon" in s.args:
            yield from _versioned(ctx, "keras-epsilon", arg_loc(s, "epsilon"), "epsilon=",
                                  "Keras ReduceLROnPlateau", flavor, rename_keyword(s.call, "epsilon", "min_delta"))
        if _torch_verbose(s):
            # verbose= only printed the rate: deleting it is the whole repair
            yield from _versioned(ctx, "torch-verbose", arg_loc(s, "verbose"), "verbose=", short(s.cls),
                                  autofix=remove_keyword(s.call, "verbose"))


def _torch_verbose(s: SchedulerFact) -> bool:
    """verbose= written on a torch scheduler whose current signature has no verbose parameter."""
    if s.framework != "torch" or s.cls.startswith("custom:") or "verbose" not in s.args:
        return False
    from ..catalog import lookup

    entry = lookup(s.cls)
    return entry is not None and entry.param("verbose") is None and not any(p.kind == "varkw" for p in entry.params)


def _versioned(ctx: CheckContext, case: str, loc: Location | None, arg: str, owner: str,
               flavor: str | None = None, autofix: Any = None, extra: str = "",
               safe_when_pinned: bool = False) -> Iterator[Finding]:
    """The finding at its severity when the targeted versions are affected (with its machine fix: they take the
    new spelling), else an info note for the upgrade (no fix: the targeted version may not take it)."""
    j = ctx.judge(case, flavor)
    fix = ctx.rule.versions[case].fix
    if j.applies:
        if autofix is not None and safe_when_pinned and not j.weak:
            from dataclasses import replace

            autofix = replace(autofix, applicability="safe")
        yield ctx.finding(loc, severity=j.severity, arg=arg, owner=owner,
                          problem=f"{j.effect} ({j.why}); {fix}{extra}", autofix=autofix)
    elif ctx.options.get("upgrade_notes", True):
        where = "fine there" if not j.weak else "written for those versions"
        yield ctx.finding(loc, severity="info", arg=arg, owner=owner,
                          problem=f"{j.why}, {where}; on upgrade: {j.upgrade}; {fix}")


def _inverse_time_decay(o: OptimizerFact, decay: Any) -> tuple[str | None, str] | None:
    """(module prefix, schedule): the schedule equal to Keras 2's ``lr / (1 + decay * iterations)``. The prefix
    (``keras.optimizers``, ``tf.keras.optimizers``...) is None when the call does not name the module, so the
    schedule cannot be written without a new import."""
    call = o.call
    if call is None or call.star or not isinstance(decay, Known):
        return None
    decay_kw = call.keyword("decay")
    lr_kw = call.keyword("learning_rate") or call.keyword("lr")
    if decay_kw is None:
        return None
    if lr_kw is not None:
        rate = lr_kw.value_text
    else:
        rate_value = o.lr.value if isinstance(o.lr, Known) else None
        if not isinstance(rate_value, (int, float)) or isinstance(rate_value, bool):
            return None
        rate = repr(rate_value)
    decay_text = decay_kw.value_text
    if any("\n" in t or "#" in t for t in (rate, decay_text)):
        return None
    schedule = f"InverseTimeDecay({rate}, decay_steps=1, decay_rate={decay_text})"
    parts = call.callee.split(".")
    while len(parts) > 2 and parts[-2] in ("legacy", "experimental"):
        parts.pop(-2)
    ok = len(parts) >= 2 and parts[-2] == "optimizers" and all(p.isidentifier() for p in parts)
    return (".".join(parts[:-1]) if ok else None), schedule


def _decay_fix(o: OptimizerFact, prefix: str, schedule: str) -> Any:
    """Unsafe (Keras 3 ignores decay=, so the run as it is trains at a constant rate): the rate argument becomes
    the schedule and decay= goes."""
    from ..results import Fix

    call = o.call
    assert call is not None
    decay_kw = call.keyword("decay")
    lr_kw = call.keyword("learning_rate") or call.keyword("lr")
    if decay_kw is None:
        return None
    full = f"{prefix}.schedules.{schedule}"
    if lr_kw is not None:
        edits = (edit_at(lr_kw.value_loc, full), edit_at(decay_kw.removal, ""))
    else:
        edits = (edit_at(decay_kw.loc, f"learning_rate={full}"),)
    return Fix("unsafe", f"replace decay= by learning_rate={full}", tuple(sorted(edits, key=_edit_key)))


def _edit_key(e: Any) -> tuple[int, int]:
    return (e.line, e.column)


def _keras_lr_kwarg(o: OptimizerFact) -> bool:
    """A Keras optimizer whose ``lr`` came from an ``lr=`` keyword (Keras optimizers have no ``lr`` parameter)."""
    from ..catalog import lookup

    entry = lookup(o.cls)
    if entry is None or entry.param("lr") is not None:
        return False
    # extraction keeps the unwritten learning_rate (its library default) in params when lr= was written
    return o.lr_arg_loc is not None and is_default(o.params.get("learning_rate"))


__all__ = ["lr_out_of_range", "invalid_scheduler_argument", "deprecated_argument", "ADAPTIVE", "SGD_LIKE"]
