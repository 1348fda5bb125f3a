"""Framework adapters: Keras, Hugging Face, Lightning, timm, accelerate and hand-written schedules.

Two hooks around the generic PyTorch pass:

* ``register_factories`` (before facts are built) turns factory calls into creations the generic pass can
  track like any constructor: ``transformers.get_scheduler(name, ...)``, timm ``create_scheduler(_v2)``,
  a ``Trainer(args=TrainingArguments(...))`` (which builds an AdamW and a schedule internally).
* ``apply_frameworks`` (after) refines the facts: who steps what and when (Keras ``fit`` steps schedules per
  update and callbacks per epoch; Lightning steps per epoch unless ``interval="step"``; the HF Trainer per
  optimizer step), horizons from ``fit(epochs=)``, ``Trainer(max_epochs=)``, ``TrainingArguments``, and
  hand-written schedules that write ``param_group["lr"]``.
"""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Any

import libcst as cst

from ..catalog import lookup
from ..facts import (
    FileFacts,
    FunctionValue,
    Horizon,
    Known,
    OptimizerFact,
    SchedulerFact,
    StepSite,
    Unknown,
    Value,
)
from .imports import dotted
from .index import CallSite, Indexer
from .objects import Creation, ObjectFlow, bind_arguments
from .values import LITERAL, Namespace, Resolver

LIGHTNING_MODULE_BASES = ("LightningModule",)


def _kw(call: cst.Call, name: str, pos: int | None = None) -> cst.BaseExpression | None:
    for a in call.args:
        if a.keyword is not None and a.keyword.value == name:
            return a.value
    if pos is not None:
        positional = [a for a in call.args if a.keyword is None and not a.star]
        if pos < len(positional):
            return positional[pos].value
    return None


def _qual(flow: ObjectFlow, site: CallSite) -> str:
    return flow.ix.imports.qualify(site.node.func) or site.path


# ================================================================================ before: factories
def register_factories(flow: ObjectFlow, ix: Indexer, resolver: Resolver) -> None:
    for site in sorted(ix.calls, key=lambda s: s.seq):
        q = _qual(flow, site)
        short = q.rsplit(".", 1)[-1]
        if q in ("transformers.get_scheduler", "transformers.optimization.get_scheduler") or (
            short == "get_scheduler" and ix.imports.mentions("transformers")
        ):
            _hf_get_scheduler(flow, site, resolver)
        elif q in ("timm.scheduler.create_scheduler", "timm.scheduler.create_scheduler_v2",
                   "timm.scheduler.scheduler_factory.create_scheduler",
                   "timm.scheduler.scheduler_factory.create_scheduler_v2"):
            _timm_factory(flow, site, resolver, v2=q.endswith("_v2"))
        elif short in ("Trainer", "Seq2SeqTrainer", "SFTTrainer") and (
            q.startswith("transformers.") or q.startswith("trl.")
        ):
            _hf_trainer(flow, site, resolver)


def _hf_get_scheduler(flow: ObjectFlow, site: CallSite, resolver: Resolver) -> None:
    from ..catalog.hf import SCHEDULER_TYPE_MEMBERS, SCHEDULER_TYPES

    entry = lookup("transformers.get_scheduler")
    if entry is None:
        return
    bound, err, star = bind_arguments(entry, site.node)
    name_node = bound.get("name")
    name_v: Value = resolver.resolve(name_node, site.ctx, site.seq) if name_node is not None else Unknown("no name")
    if not isinstance(name_v, Known) and isinstance(name_node, cst.Attribute):
        member = name_node.attr.value
        if member in SCHEDULER_TYPE_MEMBERS:
            name_v = Known(SCHEDULER_TYPE_MEMBERS[member], "literal")
    fn_entry = None
    if isinstance(name_v, Known) and isinstance(name_v.value, str):
        fn_entry = lookup(SCHEDULER_TYPES.get(name_v.value.lower(), ""))
    if fn_entry is None:
        c = Creation(flow.next_id("scheduler"), entry, site, "scheduler", "transformers.get_scheduler",
                     bound=bound, bind_error=err, star_args=star, framework="hf")
        preset: dict[str, Value] = {"name": name_v}
        for k in ("num_warmup_steps", "num_training_steps"):
            if k in bound:
                preset[k] = resolver.resolve(bound[k], site.ctx, site.seq)
        c.preset = preset
        flow.add(c)
        return
    values: dict[str, Value] = {}
    fn_params = {p.name: p for p in fn_entry.params}
    for k, node in bound.items():
        if k in ("name", "optimizer", "scheduler_specific_kwargs"):
            continue
        if k in fn_params:
            values[k] = resolver.resolve(node, site.ctx, site.seq)
    extra = bound.get("scheduler_specific_kwargs")
    if extra is not None:
        ev = resolver.resolve(extra, site.ctx, site.seq)
        if isinstance(ev, Known) and isinstance(ev.value, dict):
            for k, v in ev.value.items():
                values[str(k)] = v if isinstance(v, (Known, Unknown)) else Known(v, ev.source)
    for p in fn_entry.params:
        if p.name == "optimizer" or p.name in values:
            continue
        from ..catalog.base import REQUIRED

        if p.default is REQUIRED:
            values[p.name] = Unknown(f"get_scheduler({name_v.value!r}) needs {p.name}")  # type: ignore
        else:
            values[p.name] = Known(p.default, "transformers default")
    values["name"] = name_v
    c = Creation(flow.next_id("scheduler"), fn_entry, site, "scheduler", fn_entry.qualname,
                 bound={"optimizer": bound["optimizer"]} if "optimizer" in bound else {}, framework="hf",
                 preset=values)
    flow.add(c)


def _timm_factory(flow: ObjectFlow, site: CallSite, resolver: Resolver, v2: bool) -> None:
    from ..catalog.timm_sim import timm_argparse_to_factory, timm_factory_to_class

    entry = lookup("timm.scheduler.create_scheduler_v2" if v2 else "timm.scheduler.create_scheduler")
    if entry is None:
        return
    bound, err, star = bind_arguments(entry, site.node)
    reason = None
    fargs: dict[str, Any] = {}
    sources: list[str] = []
    if v2:
        for p in entry.params:
            if p.name == "optimizer":
                continue
            if p.name in bound:
                v = resolver.resolve(bound[p.name], site.ctx, site.seq)
                if isinstance(v, Known):
                    fargs[p.name] = v.value
                    if v.source != LITERAL:
                        sources.append(v.source)
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
                if isinstance(v, Known):
                    fargs["updates_per_epoch"] = v.value
                else:
                    fargs["updates_per_epoch"] = None
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
    if reason is not None:
        preset = {"__unresolved__": Unknown(reason)}
    c = Creation(flow.next_id("scheduler"), target_entry, site, "scheduler", qual,
                 bound={"optimizer": bound["optimizer"]} if "optimizer" in bound else {}, framework="timm",
                 preset=preset)
    flow.add(c)


def _hf_trainer(flow: ObjectFlow, site: CallSite, resolver: Resolver) -> None:
    """A transformers Trainer builds AdamW and the schedule from its TrainingArguments."""
    from ..catalog.hf import SCHEDULER_TYPES

    args_node = _kw(site.node, "args", 1)
    if _kw(site.node, "optimizers") is not None:
        return  # the user passes (optimizer, scheduler): tracked as ordinary objects
    ta_values: dict[str, Value] = {}
    ta_entry = lookup("transformers.TrainingArguments")
    ta_call = None
    if args_node is not None:
        ta_call = _find_call(flow, args_node, site, ("TrainingArguments", "Seq2SeqTrainingArguments",
                                                      "SFTConfig"))
    if ta_entry is None:
        return
    if ta_call is not None:
        bound, _, star = bind_arguments(ta_entry, ta_call.node)
        for k, node in bound.items():
            ta_values[k] = resolver.resolve(node, ta_call.ctx, ta_call.seq)
    elif args_node is not None:
        return
    for k in ("learning_rate", "lr_scheduler_type", "warmup_steps", "num_train_epochs", "max_steps",
              "gradient_accumulation_steps", "weight_decay", "lr_scheduler_kwargs", "warmup_ratio"):
        if k not in ta_values:
            p = ta_entry.param(k)
            if p is not None:
                ta_values[k] = Known(p.default, "TrainingArguments default")
    where = ta_call or site
    lr = ta_values.get("learning_rate", Known(5e-5, "TrainingArguments default"))
    opt = Creation(flow.next_id("optimizer"), lookup("torch.optim.AdamW"), where, "optimizer",
                   "torch.optim.AdamW", framework="hf", synthetic=True,
                   preset={"lr": lr, "weight_decay": ta_values.get("weight_decay", Known(0.0, "default"))})
    flow.add(opt)
    stype = ta_values.get("lr_scheduler_type", Known("linear", "TrainingArguments default"))
    fn_q = SCHEDULER_TYPES.get(str(stype.value).lower().split(".")[-1]) if isinstance(stype, Known) else None
    fn_entry = lookup(fn_q) if fn_q else None
    preset: dict[str, Value] = {"lr_scheduler_type": stype}
    for k in ("warmup_steps", "warmup_ratio", "max_steps", "num_train_epochs", "gradient_accumulation_steps",
              "lr_scheduler_kwargs"):
        if k in ta_values:
            preset[k] = ta_values[k]
    sched = Creation(flow.next_id("scheduler"), fn_entry or lookup("transformers.get_scheduler"), where,
                     "scheduler", fn_entry.qualname if fn_entry else "transformers.get_scheduler",
                     framework="hf", synthetic=True, preset=preset)
    sched.bound = {}
    sched.custom_class = None
    flow.add(sched)
    sched.trainer_optimizer = opt.oid  # type: ignore[attr-defined]


def _find_call(flow: ObjectFlow, node: cst.BaseExpression, site: CallSite, names: tuple[str, ...]) -> CallSite | None:
    if isinstance(node, cst.Call):
        for s in flow.ix.calls:
            if s.node is node:
                return s
        return None
    if isinstance(node, cst.Name):
        _, recs = flow.resolver._assignments(node.value, site.ctx, site.seq)
        for r in reversed(recs):
            if isinstance(r.value, cst.Call) and (dotted(r.value.func) or "").rsplit(".", 1)[-1] in names:
                for s in flow.ix.calls:
                    if s.node is r.value:
                        return s
    return None


# ================================================================================= after: refinement
def apply_frameworks(ext: Any, ix: Indexer, contexts: Any, builder: Any = None) -> Any:
    facts: FileFacts = ext.facts
    flow: ObjectFlow = ext.flow
    resolver: Resolver = ext.resolver
    facts = _keras(facts, flow, ix, resolver, builder)
    facts = _hf_after(facts, flow, ix, resolver)
    facts = _lightning(facts, flow, ix, resolver)
    facts = _timm_after(facts, flow)
    facts = _accelerate(facts, flow, ix)
    from .manual import manual_schedules

    facts = manual_schedules(facts, flow, ix, resolver, contexts, builder)
    ext.facts = facts
    return ext


def _replace_sched(facts: FileFacts, new: SchedulerFact) -> FileFacts:
    return replace(facts, schedulers=tuple(new if s.id == new.id else s for s in facts.schedulers))


def _replace_opt(facts: FileFacts, new: OptimizerFact) -> FileFacts:
    return replace(facts, optimizers=tuple(new if o.id == new.id else o for o in facts.optimizers))


# ------------------------------------------------------------------------------------------- Keras
def _keras(facts: FileFacts, flow: ObjectFlow, ix: Indexer, resolver: Resolver, builder: Any) -> FileFacts:
    keras_scheds = [s for s in facts.schedulers if s.framework == "keras"]
    keras_opts = [o for o in facts.optimizers if o.framework == "keras"]
    compiles = [s for s in ix.calls if s.path.endswith(".compile") and (_kw(s.node, "optimizer", 0) is not None)]
    fits = [s for s in ix.calls if s.path.endswith(".fit") or s.path.endswith(".fit_generator")]
    if not keras_scheds and not keras_opts and not (compiles and fits):
        return facts
    # compile(optimizer="adam") builds an optimizer with the library default
    compiled: list[str] = []
    for site in compiles:
        node = _kw(site.node, "optimizer", 0)
        objs = [o for o in flow.objects(node, site.ctx, site.seq) if flow.by_id[o].kind == "optimizer"]
        if objs:
            compiled.extend(objs)
            continue
        v = resolver.resolve(node, site.ctx, site.seq)
        if isinstance(v, Known) and isinstance(v.value, str):
            from ..catalog.keras import string_optimizer

            q = string_optimizer(v.value)
            entry = lookup(q)
            if entry is not None:
                p = entry.param("learning_rate")
                oid = f"opt{len(facts.optimizers) + 1}"
                o = OptimizerFact(oid, entry.qualname, "keras", flow_loc(builder, site.node), None,
                                  Known(p.default if p else None, f"Keras default for optimizer={v.value!r}"),
                                  {}, (), None, site.ctx.scope.function.qualname if site.ctx.scope.function else None)
                facts = replace(facts, optimizers=facts.optimizers + (o,))
                compiled.append(oid)
    # fit(epochs=, steps_per_epoch=, callbacks=[...])
    epochs: Value = Unknown("no fit() call found")
    spe: Value = Unknown("steps per epoch depend on the data, which the script does not state")
    callbacks: list[str] = []
    for site in fits:
        e = _kw(site.node, "epochs")
        epochs = resolver.resolve(e, site.ctx, site.seq) if e is not None else Known(1, "Keras default for fit(epochs=)")
        if isinstance(epochs, Known):
            epochs = Known(epochs.value, f"fit(epochs=...) at {resolver.where(site.node)}"
                           + (f" ({epochs.source})" if epochs.source not in (LITERAL,) else ""))
        s = _kw(site.node, "steps_per_epoch")
        if s is not None:
            spe = resolver.resolve(s, site.ctx, site.seq)
        cb = _kw(site.node, "callbacks")
        if cb is not None:
            callbacks.extend(flow.objects(cb, site.ctx, site.seq))
        break
    total: Value = Unknown("steps per epoch are not stated")
    if isinstance(epochs, Known) and isinstance(spe, Known) and _num(epochs.value) and _num(spe.value):
        total = Known(int(epochs.value * spe.value), f"{epochs.source} x steps_per_epoch ({spe.source})")
    if fits and not isinstance(facts.horizon.epochs, Known):
        facts = replace(facts, horizon=Horizon(epochs, spe, total))
    # schedules passed as learning_rate=
    for o in facts.optimizers:
        if o.framework != "keras":
            continue
        c = flow.by_id.get(o.id)
        node = c.bound.get("learning_rate") if c else None
        if node is None:
            continue
        objs = [x for x in flow.objects(node, c.site.ctx, c.site.seq) if flow.by_id[x].kind == "scheduler"]  # type: ignore
        if objs:
            sid = objs[0]
            s = facts.scheduler(sid)
            init = s.args.get("initial_learning_rate") if s else None
            lr = Known(init.value, f"initial_learning_rate of the {s.cls.rsplit('.', 1)[-1]} schedule") \
                if isinstance(init, Known) and s else Unknown("the learning rate is a schedule")
            facts = _replace_opt(facts, replace(o, lr_is_schedule=sid, lr=lr))
    for s in facts.schedulers:
        if s.framework != "keras":
            continue
        entry = lookup(s.cls)
        if entry is None:
            continue
        if entry.kind == "schedule":
            owner = next((o.id for o in facts.optimizers if o.lr_is_schedule == s.id), None)
            stepped = "batch" if owner is not None and (fits or _applies_gradients(ix)) else (
                "unknown" if owner is not None else "never")
            horizon = total if stepped == "batch" else Unknown("not stepped by fit()")
            facts = _replace_sched(facts, replace(
                s, optimizer=owner, optimizer_reason=None if owner else "not passed to an optimizer in this file",
                stepped=stepped, unit="step", horizon=horizon,  # type: ignore[arg-type]
                horizon_source=getattr(horizon, "source", None)))
        elif entry.kind == "callback":
            owner = compiled[0] if compiled else None
            used = s.id in callbacks
            facts = _replace_sched(facts, replace(
                s, optimizer=owner, optimizer_reason=None if owner else "the compiled optimizer is not in this file",
                stepped="epoch" if used else ("never" if fits else "unknown"), unit="epoch",  # type: ignore
                horizon=epochs if used else Unknown("not passed to fit(callbacks=...)"),
                horizon_source=getattr(epochs, "source", None)))
    return facts


def flow_loc(builder: Any, node: cst.CSTNode) -> Any:
    return builder.loc.location(node)


def _applies_gradients(ix: Indexer) -> bool:
    return any(s.path.endswith("apply_gradients") or s.path.endswith("minimize") for s in ix.calls)


def _num(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


# ---------------------------------------------------------------------------------------- HF trainer
def _hf_after(facts: FileFacts, flow: ObjectFlow, ix: Indexer, resolver: Resolver) -> FileFacts:
    from ..catalog.hf_sim import hf_num_training_steps, hf_warmup_steps

    for s in facts.schedulers:
        c = flow.by_id.get(s.id)
        if c is None or not c.synthetic or s.framework != "hf":
            continue
        opt_id = getattr(c, "trainer_optimizer", None)
        a = {k: v.value for k, v in s.args.items() if isinstance(v, Known)}
        n: Value = Unknown("the number of training steps depends on the dataset size, which the script does not state")
        if _num(a.get("max_steps")) and a["max_steps"] > 0:
            n = Known(int(a["max_steps"]), s.args["max_steps"].source)  # type: ignore[union-attr]
        args = dict(s.args)
        if isinstance(n, Known):
            args["num_training_steps"] = n
            ws = a.get("warmup_steps", 0) or 0
            wr = a.get("warmup_ratio", 0) or 0
            try:
                w = hf_warmup_steps(ws, n.value) if ws else (math.ceil(n.value * wr) if wr else 0)
            except Exception:
                w = 0
            args["num_warmup_steps"] = Known(w, "TrainingArguments warmup_steps")
        else:
            args["num_training_steps"] = n
            ws = a.get("warmup_steps", 0) or 0
            if _num(ws) and ws >= 1:
                args["num_warmup_steps"] = Known(int(ws), s.args["warmup_steps"].source)  # type: ignore
            elif not ws and not a.get("warmup_ratio"):
                args["num_warmup_steps"] = Known(0, "TrainingArguments default")
            else:
                args["num_warmup_steps"] = Unknown("warm-up is a fraction of a training length that is not stated")
        kwargs = s.args.get("lr_scheduler_kwargs")
        if isinstance(kwargs, Known) and isinstance(kwargs.value, dict):
            for k, v in kwargs.value.items():
                args[str(k)] = v if isinstance(v, (Known, Unknown)) else Known(v, kwargs.source)
        facts = _replace_sched(facts, replace(
            s, optimizer=opt_id, optimizer_reason=None, stepped="batch", unit="step", args=args,  # type: ignore
            horizon=n, horizon_source=getattr(n, "source", None)))
        if isinstance(n, Known):
            facts = replace(facts, horizon=replace(facts.horizon, total_steps=n))
    return facts


# ----------------------------------------------------------------------------------------- Lightning
def _lightning(facts: FileFacts, flow: ObjectFlow, ix: Indexer, resolver: Resolver) -> FileFacts:
    modules = [ci for ci in ix.classes.values() if any(b.rsplit(".", 1)[-1] in LIGHTNING_MODULE_BASES
                                                         for b in ci.bases)]
    if not modules:
        return facts
    manual = any(
        r.value is not None and isinstance(r.value, cst.Name) and r.value.value == "False"
        for ci in modules for r in ci.attrs.get("automatic_optimization", [])
    )
    # horizon from Trainer(max_epochs=, max_steps=)
    epochs: Value = facts.horizon.epochs
    for site in ix.calls:
        q = flow.ix.imports.qualify(site.node.func) or site.path
        if q.rsplit(".", 1)[-1] == "Trainer" and ("lightning" in q or "pytorch_lightning" in q or q == "pl.Trainer"):
            me = _kw(site.node, "max_epochs")
            if me is not None:
                v = resolver.resolve(me, site.ctx, site.seq)
                epochs = Known(v.value, f"Trainer(max_epochs=...) at {resolver.where(site.node)}"
                               + (f" ({v.source})" if v.source != LITERAL else "")) if isinstance(v, Known) else v
            elif _kw(site.node, "max_steps") is None:
                epochs = Known(1000, "Lightning's default max_epochs (no max_epochs or max_steps given)")
    if not isinstance(facts.horizon.epochs, Known) and isinstance(epochs, Known):
        facts = replace(facts, horizon=replace(facts.horizon, epochs=epochs))
    for ci in modules:
        co = ci.methods.get("configure_optimizers")
        if co is None:
            continue
        for expr, rctx in co.returns:
            for sid, interval, frequency, monitor, where in _lightning_configs(flow, resolver, expr, rctx):
                s = facts.scheduler(sid)
                if s is None or s.step_sites:
                    continue
                stepped = "batch" if isinstance(interval, Known) and interval.value == "step" else "epoch"
                if manual:
                    stepped = "never"
                horizon = epochs if stepped == "epoch" else facts.horizon.total_steps
                facts = _replace_sched(facts, replace(
                    s, interval=interval, monitor=monitor, stepped=stepped,  # type: ignore[arg-type]
                    unit=s.unit if lookup(s.cls) is None or lookup(s.cls).unit != "either" else  # type: ignore
                    ("step" if stepped == "batch" else "epoch"),
                    horizon=horizon, horizon_source=getattr(horizon, "source", None)))
    if not manual:
        # automatic optimization steps every optimizer returned by configure_optimizers once per batch
        sites = list(facts.optimizer_steps)
        for o in facts.optimizers:
            if o.function and o.function.endswith("configure_optimizers") and not any(x.target == o.id for x in sites):
                sites.append(StepSite(o.id, "optimizer", "step", o.loc, "batch", None, (), via="Lightning steps it "
                                      "once per batch (automatic optimization)"))
        facts = replace(facts, optimizer_steps=tuple(sites))
    return facts


def _lightning_configs(flow: ObjectFlow, resolver: Resolver, expr: cst.BaseExpression, ctx: Any) -> list[tuple]:
    out: list[tuple] = []
    default_interval = Known("epoch", "Lightning default interval")

    def sched_dict(d: cst.Dict, top_monitor: Value | None) -> None:
        items = {}
        for el in d.elements:
            if isinstance(el, cst.DictElement):
                k = resolver.resolve(el.key, ctx)
                if isinstance(k, Known):
                    items[k.value] = el.value
        sched_node = items.get("scheduler")
        if sched_node is None:
            return
        interval = resolver.resolve(items["interval"], ctx) if "interval" in items else default_interval
        freq = resolver.resolve(items["frequency"], ctx) if "frequency" in items else Known(1, "Lightning default")
        monitor = resolver.resolve(items["monitor"], ctx) if "monitor" in items else top_monitor
        for sid in flow.objects(sched_node, ctx, None):
            if flow.by_id[sid].kind == "scheduler":
                out.append((sid, interval, freq, monitor, d))

    def walk(node: cst.BaseExpression, top_monitor: Value | None = None) -> None:
        node = _deref(flow, resolver, node, ctx)
        if isinstance(node, cst.Dict):
            keys = {}
            for el in node.elements:
                if isinstance(el, cst.DictElement):
                    k = resolver.resolve(el.key, ctx)
                    if isinstance(k, Known):
                        keys[k.value] = el.value
            if "scheduler" in keys:
                sched_dict(node, top_monitor)
                return
            mon = resolver.resolve(keys["monitor"], ctx) if "monitor" in keys else top_monitor
            if "lr_scheduler" in keys:
                inner = _deref(flow, resolver, keys["lr_scheduler"], ctx)
                if isinstance(inner, cst.Dict):
                    sched_dict(inner, mon)
                else:
                    for sid in flow.objects(keys["lr_scheduler"], ctx, None):
                        if flow.by_id[sid].kind == "scheduler":
                            out.append((sid, default_interval, Known(1, "Lightning default"), mon, node))
            return
        if isinstance(node, (cst.List, cst.Tuple)):
            for el in node.elements:
                walk(el.value, top_monitor)
            return
        for sid in flow.objects(node, ctx, None):
            if flow.by_id[sid].kind == "scheduler":
                out.append((sid, default_interval, Known(1, "Lightning default"), top_monitor, node))

    walk(expr)
    return out


def _deref(flow: ObjectFlow, resolver: Resolver, node: cst.BaseExpression, ctx: Any) -> cst.BaseExpression:
    for _ in range(4):
        if isinstance(node, cst.Name):
            _, recs = resolver._assignments(node.value, ctx, None)
            recs = [r for r in recs if r.kind == "assign" and r.value is not None]
            if len(recs) == 1 and isinstance(recs[0].value, (cst.Dict, cst.List, cst.Tuple)):
                node = recs[0].value
                continue
        break
    return node


# ---------------------------------------------------------------------------------------------- timm
def _timm_after(facts: FileFacts, flow: ObjectFlow) -> FileFacts:
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
        horizon = s.horizon
        n = s.args.get("__num_epochs__")
        if stepped == "epoch" and isinstance(facts.horizon.epochs, Known):
            horizon = facts.horizon.epochs
        elif stepped == "batch" and isinstance(facts.horizon.total_steps, Known):
            horizon = facts.horizon.total_steps
        args = {k: v for k, v in s.args.items() if not k.startswith("__")}
        facts = _replace_sched(facts, replace(s, stepped=stepped, unit="step" if per_update else "epoch",  # type: ignore
                                              horizon=horizon, horizon_source=getattr(horizon, "source", None),
                                              args=args,
                                              description=(f"timm returned num_epochs={n.value}" if isinstance(n, Known)
                                                           else s.description)))
    return facts


# ----------------------------------------------------------------------------------------- accelerate
def _accelerate(facts: FileFacts, flow: ObjectFlow, ix: Indexer) -> FileFacts:
    prepared: list[str] = []
    for site in ix.calls:
        if site.path.endswith(".prepare") and ("accelerat" in site.path.lower() or ix.imports.mentions("accelerate")):
            for a in site.node.args:
                for oid in flow.objects(a.value, site.ctx, site.seq):
                    if flow.by_id[oid].kind == "scheduler":
                        prepared.append(oid)
    if not prepared:
        return facts
    extra = dict(facts.extra)
    extra["accelerate_prepared"] = sorted(set(prepared))
    return replace(facts, extra=extra)


__all__ = ["register_factories", "apply_frameworks", "FunctionValue"]
