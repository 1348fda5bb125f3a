"""Keras: optimizers compiled by name, user ``LearningRateSchedule`` subclasses, schedules stepped per update by
``fit``, callbacks stepped per epoch, TF1 ``global_step`` schedules, and rates written by hand."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any, Callable

import libcst as cst

from ...catalog import lookup
from ...facts import FileFacts, Horizon, Known, SchedulerFact, StepSite, Unknown, Value
from ..imports import dotted
from ..index import CallSite, ClassInfo, Ctx, Indexer
from ..objects import Creation, ObjectFlow
from ..values import Resolver
from .base import FactsBuilder, _kw, _local_subclasses, _method, _num, _plain, _receiver, _replace_opt, _replace_sched, _site_step, _stepped_of, _with_extra
from .keras_callbacks import _KERAS_RATE_ATTRS, _keras_rate_callback
from .keras_fit import _Fit, _fits_epochs, _fits_total, _keras_callback, _keras_fits, _live_compiles

if TYPE_CHECKING:
    from ...catalog.base import Entry
    from ...class_sim import ClassPlan

FitsOf = Callable[[str | None], list[_Fit]]  # the fit() calls that train with an optimizer id


def _imports_keras(ix: Indexer) -> bool:
    return ix.imports.mentions("keras") or ix.imports.mentions("tensorflow") or ix.imports.mentions("tf_keras")


def _keras_compile_optimizers(flow: ObjectFlow, ix: Indexer, resolver: Resolver) -> None:
    """``model.compile(optimizer="adam")`` builds the optimizer with its library defaults; ``compile()`` without an
    optimizer uses "rmsprop" (Keras 3)."""
    if not _imports_keras(ix):
        return
    from ...catalog.keras import string_optimizer

    for site in sorted(ix.calls, key=lambda x: x.seq):
        if _method(site) != "compile" or not isinstance(site.node.func, cst.Attribute):
            continue
        node = _kw(site.node, "optimizer", 0)
        if node is None:
            if _kw(site.node, "loss") is None:
                continue  # not a Keras model compile (re.compile, torch.compile ...)
            ident, source = "rmsprop", "Keras default for compile() without an optimizer (\"rmsprop\")"
        else:
            v = resolver.resolve(node, site.ctx, site.seq)
            if not (isinstance(v, Known) and isinstance(v.value, str)):
                continue
            ident, source = v.value, f"Keras default for optimizer={v.value!r}"
        entry = lookup(string_optimizer(ident))
        if entry is None:
            continue
        p = entry.param("learning_rate")
        c = Creation(flow.next_id("optimizer"), entry, site, "optimizer", entry.qualname, framework="keras",
                     synthetic=True, preset={"learning_rate": Known(p.default if p else None, source)})
        c.keras_compile = site  # type: ignore[attr-defined]
        flow.add(c)


def _keras_schedule_classes(ix: Indexer) -> set[str]:
    """Classes of this file that subclass Keras ``LearningRateSchedule`` (directly or through each other)."""
    return _local_subclasses(ix, "LearningRateSchedule")


def _keras_custom_schedule(flow: ObjectFlow, site: CallSite, ci: ClassInfo) -> None:
    init = ci.methods.get("__init__")
    bound: dict[str, cst.BaseExpression] = {}
    params = [p for p in init.params if p.kind in ("pos", "kwonly")][1:] if init else []
    i = 0
    for a in site.node.args:
        if a.star:
            continue
        if a.keyword is None:
            positional = [p for p in params if p.kind == "pos"]
            if i < len(positional):
                bound[positional[i].name] = a.value
            i += 1
        else:
            bound[a.keyword.value] = a.value
    c = Creation(flow.next_id("scheduler"), None, site, "scheduler", f"custom:{ci.name}", custom_class=ci.name,
                 bound=bound, framework="keras")
    flow.add(c)


def _keras(facts: FileFacts, flow: ObjectFlow, ix: Indexer, resolver: Resolver, builder: FactsBuilder) -> FileFacts:
    keras_scheds = [s for s in facts.schedulers if s.framework == "keras"]
    keras_opts = [o for o in facts.optimizers if o.framework == "keras"]
    compiles = [s for s in ix.calls if _method(s) == "compile" and _kw(s.node, "optimizer", 0) is not None]
    if not keras_scheds and not keras_opts and not compiles:
        return facts
    fits = _keras_fits(flow, ix, resolver)
    # compile(optimizer=...) and compile(optimizer="adam") (an optimizer built with the library defaults)
    compiled: dict[str, str | None] = {}  # optimizer id -> receiver of compile()
    compile_sites: dict[int, tuple[CallSite, list[str]]] = {}  # id(compile call) -> (site, its optimizer ids)
    for c in flow.creations:
        site0 = getattr(c, "keras_compile", None)
        if site0 is not None:
            compiled[c.oid] = _receiver(site0)
            compile_sites.setdefault(id(site0.node), (site0, []))[1].append(c.oid)
    for site in compiles:
        node = _kw(site.node, "optimizer", 0)
        objs = [o for o in flow.objects(node, site.ctx, site.seq) if flow.by_id[o].kind == "optimizer"]
        for o in objs:
            compiled.setdefault(o, _receiver(site))
            compile_sites.setdefault(id(site.node), (site, []))[1].append(o)
    receivers = {r for r in compiled.values() if r is not None}
    if receivers and any(f.receiver in receivers for f in fits):
        fits = [f for f in fits if f.receiver in receivers or f.keras_like]
    ordered_compiles = sorted(compile_sites.values(), key=lambda x: x[0].seq)
    for f in fits:
        _live_compiles(f, ordered_compiles, ix, resolver)

    def fits_by_receiver(oid: str | None) -> list[_Fit]:
        if oid is None or oid not in compiled:
            return []
        mine = [f for f in fits if f.receiver is not None and f.receiver == compiled[oid]]
        return mine or [f for f in fits if f.keras_like]

    def fits_of(oid: str | None) -> list[_Fit]:
        """The fit() calls that train with optimizer ``oid``: those where its compile() is the live one (the last
        compile of that model before the fit), else those on the model it was compiled on."""
        if oid is None or oid not in compiled:
            return []
        mine = [f for f in fits if (oid in f.live_optimizers if f.live_compiles else
                                    f.receiver is not None and f.receiver == compiled[oid])]
        return mine or [f for f in fits if f.keras_like and not f.live_compiles]

    # the run's horizon from fit()
    main_fits = fits_by_receiver(next(iter(compiled), None)) or [f for f in fits if f.keras_like]
    if main_fits and not isinstance(facts.horizon.epochs, Known):
        spe = main_fits[0].spe if len(main_fits) == 1 else Unknown("several fit() calls")
        facts = replace(facts, horizon=Horizon(_fits_epochs(main_fits), spe, _fits_total(main_fits)))
    if fits:
        facts = _with_extra(facts, "keras_fits", [
            {"line": builder.loc.location(f.site.node).line, "epochs": _plain(f.epochs), "steps_per_epoch":
             _plain(f.spe), "receiver": f.receiver, "callbacks": sorted(set(f.callbacks))} for f in fits])
        # LearningRateScheduler(schedule): a schedule(epoch, lr) that reads the current rate composes with other
        # writers; schedule(epoch) recomputes it from the epoch alone and erases them (LR301)
        reads: dict[str, bool] = {}
        for s in facts.schedulers:
            fv = s.args.get("schedule")
            if s.cls.endswith("LearningRateScheduler") and isinstance(fv, Known) and \
                    isinstance(getattr(fv.value, "node", None), (cst.Lambda, cst.FunctionDef)):
                params = fv.value.node.params
                reads[s.id] = len(params.params) + len(params.posonly_params) - len(fv.value.bound) >= 2 or \
                    isinstance(params.star_arg, cst.Param)
        if reads:
            facts = _with_extra(facts, "keras_schedule_reads_rate", reads)
    # legacy spellings and schedules passed as learning_rate=
    for o in facts.optimizers:
        if o.framework != "keras":
            continue
        c = flow.by_id.get(o.id)
        if c is None:
            continue
        if "lr" in c.bound and "learning_rate" not in c.bound and isinstance(o.lr, Known):
            o = replace(o, lr=Known(o.lr.value, f"{o.lr.source}; passed as lr=, the Keras 2 spelling (Keras 3 "
                                                "rejects it, tf.keras 2.11-2.15 ignores it)"))
            facts = _replace_opt(facts, o)
        node = c.bound.get("learning_rate", c.bound.get("lr"))
        if node is None:
            continue
        objs = [x for x in flow.objects(node, c.site.ctx, c.site.seq) if flow.by_id[x].kind == "scheduler"]
        if objs:
            sid = objs[0]
            s = facts.scheduler(sid)
            facts = _replace_opt(facts, replace(o, lr_is_schedule=sid, lr=_schedule_start(s)))
    # custom loops: optimizer.apply_gradients(...) is the optimizer step
    known = {(x.loc, x.target) for x in facts.optimizer_steps}
    for o in facts.optimizers:
        if o.framework == "keras" and o.id not in compiled:
            new_sites = [x for x in _gradient_sites(facts, flow, ix, o.id, builder) if (x.loc, x.target) not in known]
            facts = replace(facts, optimizer_steps=facts.optimizer_steps + tuple(new_sites))
    facts = _keras_lr_writes(facts, flow, ix, resolver, builder, compiled)
    ordered = sorted((s for s in facts.schedulers if s.framework == "keras"),
                     key=lambda s: not s.cls.startswith("custom:"))  # wrappers first: their children follow them
    for s in ordered:
        s = facts.scheduler(s.id) or s
        if s.framework != "keras":
            continue
        if s.parent is not None:
            continue  # a schedule handed to a schedule class of the file: that class calls it
        entry = lookup(s.cls)
        hooks = getattr(flow.by_id.get(s.id), "keras_rate_callback", None)
        if hooks is not None:
            facts = _keras_rate_callback(facts, s, hooks, flow, ix, resolver, builder, fits, compiled, fits_of)
        elif s.cls.startswith("custom:") or (entry is not None and entry.kind == "schedule"):
            facts = _keras_schedule(facts, s, entry, flow, ix, resolver, builder, fits_of)
        elif entry is not None and entry.kind == "callback":
            facts = _keras_callback(facts, s, fits, compiled, fits_of)
    return facts


def _keras_lr_writes(facts: FileFacts, flow: ObjectFlow, ix: Indexer, resolver: Resolver, builder: FactsBuilder,
                     compiled: dict[str, str | None]) -> FileFacts:
    """Rates set by hand on a Keras optimizer (custom callbacks): ``self.model.optimizer.learning_rate = x``,
    ``K.set_value(model.optimizer.lr, x)``, ``optimizer.learning_rate.assign(x)``."""
    keras_opts = [o.id for o in facts.optimizers if o.framework == "keras"]
    owner = keras_opts[0] if len(keras_opts) == 1 else None
    found: list[tuple[cst.CSTNode, cst.BaseExpression, Ctx, int, str]] = []
    scopes = [ix.module_scope] + [fn.scope for fn in ix.functions.values()]
    for scope in scopes:
        for target, recs in scope.assigns.items():
            if "optimizer" in target and target.endswith(_KERAS_RATE_ATTRS):
                for r in recs:
                    if r.kind == "assign" and r.value is not None and r.node is not None:
                        found.append((r.node, r.value, r.ctx, r.seq, target))
    for site in ix.calls:
        m = _method(site)
        args = [a.value for a in site.node.args if a.keyword is None]
        if m == "set_value" and len(args) == 2 and (dotted(args[0]) or "").endswith(_KERAS_RATE_ATTRS):
            found.append((site.node, args[1], site.ctx, site.seq, dotted(args[0]) or ""))
        elif m == "assign" and len(args) == 1 and (_receiver(site) or "").endswith(_KERAS_RATE_ATTRS) and \
                "optim" in (_receiver(site) or ""):
            found.append((site.node, args[0], site.ctx, site.seq, _receiver(site) or ""))
    if not found:
        return facts
    from ...facts import LrWrite

    writes = []
    for node, value, ctx, seq, target in found:
        sc = builder.contexts.of(ctx)
        fn = ctx.scope.function
        opt = owner
        objs = [o for o in flow.objects(cst.parse_expression(target.rsplit(".", 1)[0]), ctx, seq)
                if o in keras_opts] if target.count(".") >= 1 else []
        if objs:
            opt = objs[0]
        writes.append(LrWrite(opt, builder.loc.location(node), ix.text(value, 80),
                              sc.context, sc.loop_id,  # type: ignore[arg-type]
                              fn.qualname if fn else None, resolver.resolve(value, ctx, seq),
                              conditional=ctx.conds > 0))
    return replace(facts, lr_writes=facts.lr_writes + tuple(sorted(writes, key=lambda w: w.loc)))


def _keras_schedule(facts: FileFacts, s: SchedulerFact, entry: "Entry | None", flow: ObjectFlow, ix: Indexer,
                    resolver: Resolver, builder: FactsBuilder, fits_of: FitsOf) -> FileFacts:
    owner = next((o.id for o in facts.optimizers if o.lr_is_schedule == s.id), None)
    args = dict(s.args)
    description = s.description
    custom_loc = s.custom_get_lr
    linked: ClassPlan | None = None
    if s.cls.startswith("custom:"):
        ci = ix.classes.get(s.cls[len("custom:"):])
        call = ci.methods.get("__call__") if ci else None
        if call is not None:
            custom_loc = builder.loc.location(call.node)
            description = (f"custom LearningRateSchedule {ci.name}; its __call__(step) is at line "  # type: ignore
                           f"{custom_loc.line}")
        c = flow.by_id.get(s.id)
        if c is not None and c.custom_class:
            from ...keras_class_sim import KerasClassPlan
            from ..classes import keras_class_plan

            plan = keras_class_plan(c, flow, ix, resolver, facts)
            kplans = dict(facts.extra.get("keras_class_plans", {}))
            kplans[s.id] = plan if isinstance(plan, str) else KerasClassPlan("schedule", plan)
            facts = _with_extra(facts, "keras_class_plans", kplans)
            if not isinstance(plan, str):
                linked = plan
    stepped = "never"
    horizon: Value = Unknown("not passed to an optimizer in this file")
    reason: str | None = "not passed to an optimizer in this file"
    tf1 = entry is not None and entry.qualname.startswith("tensorflow.compat.v1.train.")
    step_sites = s.step_sites
    if tf1:
        stepped, horizon, reason, tf1_sites = _tf1_stepping(facts, s, flow, ix, resolver, builder, args)
        step_sites = tuple(tf1_sites)
        if owner is not None:
            reason = None
    elif owner is not None:
        reason = None
        my_fits = fits_of(owner)
        if my_fits:
            stepped, horizon = "batch", _fits_total(my_fits)
        else:
            sites = [x for x in facts.optimizer_steps if x.target == owner]
            if sites:
                stepped = _stepped_of(sites)
                horizon = facts.horizon.total_steps if stepped == "batch" else Unknown(
                    "where the optimizer is applied is not known")
            else:
                stepped, horizon = "unknown", Unknown("the optimizer is never fitted or applied in this file")
    assumed = None
    if not isinstance(horizon, Known) and stepped in ("batch", "unknown"):
        own = _keras_own_length(s)
        if own is not None:
            assumed = Known(own[0], f"the schedule's own length ({own[1]})")
    new = replace(
        s, optimizer=owner, optimizer_reason=reason, stepped=stepped, unit="step", horizon=horizon,  # type: ignore
        horizon_source=getattr(horizon, "source", None), args=args, assumed_horizon=assumed,
        description=description, custom_get_lr=custom_loc, step_sites=step_sites)
    facts = _replace_sched(facts, new)
    return facts if linked is None else _link_schedule_children(facts, new, linked)


def _link_schedule_children(facts: FileFacts, s: SchedulerFact, plan: "ClassPlan") -> FileFacts:
    """Schedules handed to a schedule class's constructor (``WarmUp(decay_schedule_fn=PolynomialDecay(...))``) are
    called by that class, not by an optimizer: they become its children."""
    from ...class_sim import ArgRef

    kids = [v.id for v in (*plan.args, *plan.kwargs.values()) if isinstance(v, ArgRef) and v.kind == "scheduler"]
    for k in kids:
        child = facts.scheduler(k)
        if child is None or child.parent is not None or child.id == s.id or child.framework != "keras":
            continue
        facts = _replace_sched(facts, replace(
            child, parent=s.id, optimizer=None, optimizer_reason=f"called by {s.cls[len('custom:'):]}",
            stepped=s.stepped, unit="step", horizon=s.horizon, horizon_source=s.horizon_source,
            description=f"called by {s.cls[len('custom:'):]} (line {s.loc.line}) with a step of its own"))
    if kids:
        facts = _replace_sched(facts, replace(facts.scheduler(s.id) or s,
                                              children=tuple(dict.fromkeys((*s.children, *kids)))))
    return facts


def _schedule_start(s: SchedulerFact | None) -> Value:
    """The rate a schedule-driven Keras optimizer starts from (its first update uses ``schedule(0)``)."""
    if s is None:
        return Unknown("the learning rate is a schedule")
    if s.cls.startswith("custom:"):
        return Unknown(f"the learning rate is the {s.cls[len('custom:'):]} schedule: schedule(step) at each step")
    short = s.cls.rsplit(".", 1)[-1]
    init = s.args.get("initial_learning_rate") or s.args.get("learning_rate")
    if short == "CosineDecay" and isinstance(s.args.get("warmup_target"), Known) and \
            s.args["warmup_target"].value is not None and _plain(s.args.get("warmup_steps")) == 0:  # type: ignore
        init = s.args["warmup_target"]
    if isinstance(init, Known):
        return Known(init.value, f"initial_learning_rate of the {short} schedule")
    values = s.args.get("values")
    if isinstance(values, Known) and isinstance(values.value, (list, tuple)) and values.value:
        return Known(values.value[0], f"values[0] of the {short} schedule")
    return Unknown(f"the learning rate is the {short} schedule")


def _keras_own_length(s: SchedulerFact) -> tuple[int, str] | None:
    a = {k: v.value for k, v in s.args.items() if isinstance(v, Known)}
    short = s.cls.rsplit(".", 1)[-1]

    def pos(x: Any) -> bool:
        return _num(x) and x > 0

    d = a.get("decay_steps", a.get("first_decay_steps"))
    if short in ("CosineDecay", "cosine_decay") and pos(d):
        w = a.get("warmup_steps") if a.get("warmup_target") is not None and _num(a.get("warmup_steps")) else 0
        return int(d + w) + 1, f"decay_steps={d}" + (f" + warmup_steps={w}" if w else "")
    if short in ("PolynomialDecay", "polynomial_decay") and pos(d):
        return int(d) + 1, f"decay_steps={d}"
    if short in ("CosineDecayRestarts", "cosine_decay_restarts") and pos(d):
        t = a.get("t_mul", 2.0) if _num(a.get("t_mul", 2.0)) else 2.0
        return int(d * (1 + t + t * t)), f"three periods from first_decay_steps={d}, t_mul={t}"
    if short in ("ExponentialDecay", "InverseTimeDecay", "exponential_decay", "inverse_time_decay",
                 "natural_exp_decay") and pos(d):
        return int(10 * d), f"ten times decay_steps={d}"
    b = a.get("boundaries")
    if short in ("PiecewiseConstantDecay", "piecewise_constant") and isinstance(b, (list, tuple)) and b and all(
            _num(x) for x in b):
        last = max(b)
        return int(last * 1.25) + 2, f"past the last boundary ({last})"
    return None


def _gradient_sites(facts: FileFacts, flow: ObjectFlow, ix: Indexer, owner: str,
                    builder: FactsBuilder) -> list[StepSite]:
    """``optimizer.apply_gradients(...)`` / ``optimizer.minimize(...)`` calls on the owner (custom loops)."""
    out = []
    for site in ix.calls:
        if _method(site) not in ("apply_gradients", "minimize", "apply") or not isinstance(site.node.func,
                                                                                          cst.Attribute):
            continue
        objs = flow.objects(site.node.func.value, site.ctx, site.seq)
        if owner in objs or not objs:
            out.append(_site_step(builder, site, owner, "optimizer", _method(site)))
    return out


def _tf1_stepping(facts: FileFacts, s: SchedulerFact, flow: ObjectFlow, ix: Indexer, resolver: Resolver,
                  builder: FactsBuilder, args: dict[str, Value]) -> tuple[str, Value, str | None, list[StepSite]]:
    """A TF1 decay function reads ``global_step``: it advances only where the script advances that variable."""
    c = flow.by_id.get(s.id)
    key = "x" if "x" in s.args and "global_step" not in s.args else "global_step"
    node = c.bound.get(key) if c else None
    if node is None:
        return "unknown", Unknown("no global_step argument"), "TF1 decay function", []
    gtext = ix.text(node, 80)
    args[key] = Known(gtext, f"the step counter the TF1 decay function reads ({key})")
    if "iterations" in gtext:
        owner_sites: list[StepSite] = []
        for o in facts.optimizers:
            if o.lr_is_schedule == s.id:
                owner_sites = [x for x in facts.optimizer_steps if x.target == o.id]
        stepped = _stepped_of(owner_sites) if owner_sites else "batch"
        return stepped, facts.horizon.total_steps if stepped == "batch" else Unknown("not known"), None, []
    sites = []
    for site in ix.calls:
        m = _method(site)
        if m in ("apply_gradients", "minimize"):
            g = _kw(site.node, "global_step", 1)
            if g is not None and ix.text(g, 80) == gtext:
                sites.append(_site_step(builder, site, s.id, "scheduler", m,
                                        via=f"{m}(global_step={gtext}) advances the counter"))
        elif m in ("assign_add", "assign") and _receiver(site) == gtext:
            sites.append(_site_step(builder, site, s.id, "scheduler", m, via=f"{gtext}.{m}() advances the counter"))
        elif site.path.endswith("assign_add") and site.node.args and ix.text(site.node.args[0].value, 80) == gtext:
            sites.append(_site_step(builder, site, s.id, "scheduler", m, via=f"assign_add({gtext}) advances it"))
    if not sites:
        return "never", Unknown(f"{gtext} is never advanced: the decay function reads it, not the optimizer's "
                                "own step counter, so the rate stays at its initial value"), None, []
    stepped = _stepped_of(sites)
    horizon = facts.horizon.total_steps if stepped == "batch" else Unknown("the counter is not advanced per batch")
    return stepped, horizon, None, sites
