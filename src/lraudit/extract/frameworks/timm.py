"""timm: ``create_scheduler(_v2)`` and ``create_optimizer(_v2)`` factories, ``step``/``step_update`` per
``t_in_epochs``, and the ``num_epochs`` the factory returns."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import libcst as cst

from ...catalog import lookup
from ...facts import FileFacts, Horizon, Known, SchedulerFact, Unknown, Value
from ..imports import dotted
from ..index import CallSite, Indexer
from ..objects import Creation, ObjectFlow, bind_arguments
from ..run_sizes import is_run_size
from ..values import LITERAL, Namespace, Resolver
from .base import _kw, _num, _replace_sched


def _timm_factory(flow: ObjectFlow, site: CallSite, resolver: Resolver, v2: bool) -> None:
    from ...catalog.timm_sim import timm_argparse_to_factory, timm_factory_to_class

    entry = lookup("timm.scheduler.create_scheduler_v2" if v2 else "timm.scheduler.create_scheduler")
    if entry is None:
        return
    bound, err, star = bind_arguments(entry, site.node)
    reason = None
    fargs: dict[str, Any] = {}
    sources: list[str] = []
    if v2:
        for a in site.node.args:
            if a.star == "**" and isinstance(a.value, cst.Call) and (dotted(a.value.func) or "").endswith(
                    "scheduler_kwargs"):
                cfg = _kw(a.value, "cfg", 0)
                ns = resolver.resolve(cfg, site.ctx, site.seq) if cfg is not None else Unknown("no cfg")
                if isinstance(ns, Known) and isinstance(ns.value, Namespace):
                    values0: dict[str, Any] = {}
                    for dest in resolver._argparse_options():
                        v = resolver._argparse_value(dest, site.node)
                        if isinstance(v, Known):
                            values0[dest] = v.value
                    try:
                        fargs.update(timm_argparse_to_factory(values0))
                        sources.append("argparse defaults")
                    except Exception as exc:
                        reason = f"timm settings are not known: {exc}"
                else:
                    reason = "the scheduler settings come from an argument namespace that is not known"
        for p in entry.params:
            if p.name == "optimizer":
                continue
            if p.name in bound:
                v = resolver.resolve(bound[p.name], site.ctx, site.seq)
                if isinstance(v, Known):
                    fargs[p.name] = v.value
                    if v.source != LITERAL:
                        sources.append(v.source)
                elif p.name == "updates_per_epoch":
                    fargs[p.name] = None  # only needed when the schedule counts updates (checked below)
                else:
                    reason = f"{p.name} is unknown: {v.reason}"  # type: ignore[union-attr]
    else:
        ns_node = bound.get("args")
        ns = resolver.resolve(ns_node, site.ctx, site.seq) if ns_node is not None else Unknown("no args")
        if isinstance(ns, Known) and isinstance(ns.value, Namespace):
            values: dict[str, Any] = {}
            for dest in resolver._argparse_options():
                v = resolver._argparse_value(dest, site.node)
                if isinstance(v, Known):
                    values[dest] = v.value
            try:
                fargs = timm_argparse_to_factory(values)
                sources.append("argparse defaults")
            except Exception as exc:
                reason = f"timm settings are not known: {exc}"
            upe = bound.get("updates_per_epoch")
            if upe is not None:
                v = resolver.resolve(upe, site.ctx, site.seq)
                fargs["updates_per_epoch"] = v.value if isinstance(v, Known) else None
        else:
            reason = "the argument namespace is not known"
    preset: dict[str, Value] = {}
    qual = "timm.scheduler.create_scheduler_v2"
    target_entry = entry
    if reason is None:
        try:
            if fargs.get("updates_per_epoch") is None:
                fargs.pop("updates_per_epoch", None)
                if fargs.get("step_on_epochs") is False:
                    raise ValueError("updates_per_epoch is not known")
            cls, cargs, num_epochs = timm_factory_to_class(fargs)
        except Exception as exc:
            reason = f"timm would not build a scheduler: {exc}"
        else:
            if cls is None:
                reason = f"create_scheduler builds no scheduler for sched={fargs.get('sched')!r}"
            else:
                cls_entry = lookup(f"timm.scheduler.{cls}")
                if cls_entry is not None:
                    target_entry = cls_entry
                    qual = cls_entry.qualname
                src = "timm factory" + (f" ({'; '.join(dict.fromkeys(sources))})" if sources else "")
                preset = {k: Known(v, src) for k, v in cargs.items() if k != "optimizer"}
                preset["__num_epochs__"] = Known(num_epochs, src)
                if fargs.get("updates_per_epoch"):
                    preset["__updates_per_epoch__"] = Known(fargs["updates_per_epoch"], src)
    if reason is not None:
        preset = {"__unresolved__": Unknown(reason)}
    c = Creation(flow.next_id("scheduler"), target_entry, site, "scheduler", qual,
                 bound={"optimizer": bound["optimizer"]} if "optimizer" in bound else {}, framework="timm",
                 preset=preset)
    flow.add(c)


_TIMM_OPTIMIZER_FACTORIES = (
    "timm.optim.create_optimizer", "timm.optim.create_optimizer_v2", "timm.optim.optim_factory.create_optimizer",
    "timm.optim.optim_factory.create_optimizer_v2", "timm.optim._optim_factory.create_optimizer_v2",
)
# timm's opt names -> the class it builds (torch classes where timm uses them)
_TIMM_OPT_CLASSES = {
    "sgd": "torch.optim.SGD", "nesterov": "torch.optim.SGD", "momentum": "torch.optim.SGD",
    "adam": "torch.optim.Adam", "adamw": "torch.optim.AdamW", "rmsprop": "torch.optim.RMSprop",
    "adagrad": "torch.optim.Adagrad", "adadelta": "torch.optim.Adadelta", "adamax": "torch.optim.Adamax",
    "nadam": "torch.optim.NAdam", "radam": "torch.optim.RAdam",
}


def _timm_optimizer_factory(flow: ObjectFlow, site: CallSite, resolver: Resolver, v2: bool) -> None:
    """``create_optimizer_v2(model, opt="adamw", lr=...)`` / ``create_optimizer(args, model)`` /
    ``create_optimizer_v2(model, **optimizer_kwargs(cfg=args))``: the optimizer timm builds, with its rate."""
    cfg: cst.BaseExpression | None = None
    if not v2:
        cfg = site.node.args[0].value if site.node.args and site.node.args[0].keyword is None else _kw(site.node,
                                                                                                       "args")
    for a in site.node.args:
        if a.star == "**" and isinstance(a.value, cst.Call) and (dotted(a.value.func) or "").endswith(
                "optimizer_kwargs"):
            cfg = _kw(a.value, "cfg", 0)
    values: dict[str, Value] = {"opt": Known("sgd", "timm default"), "lr": Known(None, "timm default"),
                                "weight_decay": Known(0.0, "timm default"), "momentum": Known(0.9, "timm default")}
    if cfg is not None:
        for key in values:
            attr = cst.Attribute(value=cfg, attr=cst.Name(key))
            v = resolver.resolve(attr, site.ctx, site.seq)
            flag = f"--{key.replace('_', '-')} is not defined by an add_argument"  # this key, not one it needs
            values[key] = v if isinstance(v, Known) or not getattr(v, "reason", "").startswith(flag) \
                else values[key]
    if v2:
        for key, pos in (("opt", 1), ("lr", 2), ("weight_decay", 3), ("momentum", 4)):
            node = _kw(site.node, key, pos)
            if node is not None:
                values[key] = resolver.resolve(node, site.ctx, site.seq)
    opt = values["opt"]
    name = str(opt.value).lower().split("_")[-1] if isinstance(opt, Known) and opt.value else None
    qual = _TIMM_OPT_CLASSES.get(name or "") or (f"timm.optim.{name}" if name else "timm.optim.create_optimizer_v2")
    entry = lookup(qual)
    lr = values["lr"]
    if isinstance(lr, Known) and lr.value is None:
        p = entry.param("lr") if entry is not None else None
        lr = Known(p.default, f"{entry.default_source} (timm passes no lr)") if p is not None and \
            isinstance(p.default, (int, float)) else Unknown("timm passes no lr: the optimizer's own default applies")
    preset: dict[str, Value] = {"lr": lr, "weight_decay": values["weight_decay"]}
    if qual == "torch.optim.SGD":
        preset["momentum"] = values["momentum"]
        preset["nesterov"] = Known(name != "momentum", "timm: opt=" + repr(name))
    if not isinstance(opt, Known):
        preset["__unresolved__"] = opt
    if isinstance(lr, Unknown) and is_run_size(lr.reason):  # the rate at an assumed run-time size (OptimizerFact)
        preset["__assumed_lr__"] = _assumed_rate(cfg, site, resolver, v2)
    c = Creation(flow.next_id("optimizer"), entry, site, "optimizer", qual, framework="timm" if entry is None
                 else None, preset=preset)
    flow.add(c)


def _assumed_rate(cfg: cst.BaseExpression | None, site: CallSite, resolver: Resolver, v2: bool) -> Value:
    from ..build import ASSUMED_LEN

    node = _kw(site.node, "lr", 2) if v2 else None
    if node is None and cfg is not None:
        node = cst.Attribute(value=cfg, attr=cst.Name("lr"))
    if node is None:
        return Unknown("no lr")
    with resolver.assuming(ASSUMED_LEN):
        return resolver.resolve(node, site.ctx, site.seq)


# ---------------------------------------------------------------------------------------------- timm
def _timm_after(facts: FileFacts, flow: ObjectFlow, ix: Indexer, resolver: Resolver) -> FileFacts:
    for s in facts.schedulers:
        if s.framework != "timm":
            continue
        methods = {x.method for x in s.step_sites}
        t_in_epochs = s.args.get("t_in_epochs")
        per_update = isinstance(t_in_epochs, Known) and t_in_epochs.value is False
        # timm schedulers act on step(epoch) when t_in_epochs, on step_update(n) otherwise; the other is a no-op
        active = [x for x in s.step_sites if (x.method == "step_update") == per_update]
        stepped = s.stepped
        if methods:
            ctxs = {x.context for x in active}
            if ctxs & {"batch", "epoch"}:
                ctxs -= {"outside", "unknown"}
            stepped = "batch" if ctxs == {"batch"} else "epoch" if ctxs == {"epoch"} else (
                "never" if not active else "both" if ctxs >= {"batch", "epoch"} else "unknown")
        preset = (flow.by_id[s.id].preset or {}) if s.id in flow.by_id else {}
        n = preset.get("__num_epochs__")
        upe = preset.get("__updates_per_epoch__")
        if isinstance(preset.get("__unresolved__"), Unknown):
            s = replace(s, description=preset["__unresolved__"].reason)  # type: ignore[union-attr]
        if isinstance(n, Known):
            facts = _timm_num_epochs(facts, flow, ix, resolver, s, n, upe)
        horizon: Value = s.horizon
        assumed = s.assumed_horizon
        if stepped == "epoch":
            horizon, assumed = facts.horizon.epochs, None
        elif stepped == "batch":
            horizon = facts.horizon.total_steps
            if not isinstance(horizon, Known):
                horizon = Unknown("steps per epoch depend on the data loader's length, which the script does not "
                                  "state")
                own = _timm_own_length(s)
                if own is not None:
                    assumed = Known(own[0], f"the schedule's own length ({own[1]})")
        elif stepped == "never":
            why = ("step_update() is a no-op when t_in_epochs=True" if "step_update" in methods and not per_update
                   else "step(epoch) is a no-op when t_in_epochs=False" if "step" in methods and per_update
                   else "the scheduler is never stepped")
            horizon, assumed = Unknown(why), None
        args = {k: v for k, v in s.args.items() if not k.startswith("__")}
        desc = s.description
        if isinstance(n, Known):
            desc = f"timm's factory returned num_epochs={n.value}"
        unit = "step" if per_update else "epoch"
        facts = _replace_sched(facts, replace(s, stepped=stepped, unit=unit,  # type: ignore[arg-type]
                                              horizon=horizon, horizon_source=getattr(horizon, "source", None),
                                              args=args, description=desc, assumed_horizon=assumed))
    return facts


def _timm_own_length(s: SchedulerFact) -> tuple[int, str] | None:
    a = {k: v.value for k, v in s.args.items() if isinstance(v, Known)}
    t = a.get("t_initial")
    if _num(t) and t > 0:
        extra = a.get("warmup_t", 0) if a.get("warmup_prefix") else 0
        cycles = a.get("cycle_limit", 1) if _num(a.get("cycle_limit", 1)) and a.get("cycle_mul", 1.0) == 1.0 else 1
        return int(t * max(cycles, 1) + (extra or 0)) + 1, f"t_initial={t}"
    d = a.get("decay_t")
    if isinstance(d, (list, tuple)) and d and all(_num(x) for x in d):
        return int(max(d) * 1.25) + 1, f"past the last decay_t ({max(d)})"
    if _num(d) and d > 0:
        return int(d * 3) + 1, f"three decays of decay_t={d}"
    return None


def _timm_num_epochs(facts: FileFacts, flow: ObjectFlow, ix: Indexer, resolver: Resolver, s: SchedulerFact,
                     n: Known, upe: Value | None) -> FileFacts:
    """``sched, num_epochs = create_scheduler_v2(...)`` then ``for epoch in range(num_epochs)``: the epochs."""
    c = flow.by_id.get(s.id)
    if c is None:
        return facts
    for lid, lp in ix.loops.items():
        it = lp.iter_node
        if not (isinstance(it, cst.Call) and dotted(it.func) == "range" and it.args):
            continue
        pos = [a.value for a in it.args if a.keyword is None]
        stop = pos[0] if len(pos) == 1 else pos[1] if len(pos) >= 2 else None
        if not isinstance(stop, cst.Name):
            continue
        _, recs = resolver._assignments(stop.value, lp.ctx, None)
        if not any(r.kind == "unpack" and r.index == 1 and r.value is c.site.node for r in recs):
            continue
        start = 0
        if len(pos) >= 2:
            sv = resolver.resolve(pos[0], lp.ctx)
            if not (isinstance(sv, Known) and _num(sv.value)):
                continue
            start = int(sv.value)
        epochs = Known(int(n.value) - start, f"num_epochs={n.value} returned by timm's factory at "
                                             f"{resolver.where(c.site.node)} (the epoch loop at "
                                             f"{resolver.where(lp.node)})")
        h = facts.horizon
        if h.epoch_loop in (None, lid) or not isinstance(h.epochs, Known):
            total = h.total_steps
            if isinstance(upe, Known) and _num(upe.value) and not isinstance(total, Known):
                total = Known(epochs.value * int(upe.value), f"{epochs.source} x updates_per_epoch={upe.value}")
            elif not isinstance(total, Known):
                total = Unknown("steps per epoch are not stated")
            facts = replace(facts, horizon=Horizon(epochs, h.steps_per_epoch if isinstance(h.steps_per_epoch, Known)
                                                   else (Known(int(upe.value), upe.source)  # type: ignore[union-attr]
                                                         if isinstance(upe, Known) else h.steps_per_epoch),
                                                   total, lid, h.batch_loop))
        break
    return facts
