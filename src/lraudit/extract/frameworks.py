"""Framework adapters: Keras, Hugging Face, Lightning, timm, accelerate and hand-written schedules.

Two hooks around the generic PyTorch pass:

* ``register_factories`` (before facts are built) turns factory calls into creations the generic pass can
  track like any constructor: ``transformers.get_scheduler(name, ...)``, timm ``create_scheduler(_v2)``,
  a ``Trainer(args=TrainingArguments(...))`` (which builds an AdamW and a schedule internally), user
  subclasses of Keras ``LearningRateSchedule``; it also tells the resolver what the Lightning Trainer states
  (``self.trainer.max_epochs``).
* ``apply_frameworks`` (after) refines the facts: who steps what and when (Keras ``fit`` steps schedules per
  update and callbacks per epoch; Lightning steps per epoch unless ``interval="step"``; the HF Trainer per
  optimizer step; timm acts on ``step`` or ``step_update`` depending on ``t_in_epochs``), horizons from
  ``fit(epochs=)``, ``Trainer(max_epochs=/max_steps=)``, ``TrainingArguments``, the ``num_epochs`` timm's
  factory returns, and hand-written schedules that write ``param_group["lr"]`` (see ``manual.py``).

Facts that only an adapter knows go into ``FileFacts.extra``:

* ``accelerate_prepared``: ids of schedulers passed to ``accelerator.prepare(...)``;
  ``accelerate``: ``{sid: {"prepare_line", "scaled_by_num_processes", "sizing", "steps_per_call"}}`` where
  ``steps_per_call`` is ``"num_processes"`` (the default: the prepared scheduler advances once per process on
  every ``step()``), ``1`` (``split_batches=True`` or ``step_scheduler_with_optimizer=False``) or ``None``;
  ``sizing`` is ``"global"`` (lengths multiplied by ``num_processes`` or taken from ``len()`` of a dataloader
  before it is prepared), ``"per_process"`` (``len()`` of a prepared, sharded dataloader, not multiplied) or
  ``"unknown"`` (constants).
* ``keras_fits``: ``[{"line", "epochs", "steps_per_epoch", "receiver"}]`` (plain values or None).
* ``lightning_unknown_keys``: ``{sid: [key, ...]}`` keys Lightning drops with a warning (a scheduler config dict
  with ``"intervals"``; an optimizer config dict with ``"scheduler"``/``"interval"`` at the top level, in which case
  the scheduler is never stepped).
* ``hf_trainer``: ``{sid: {"line", "per_device_train_batch_size", ...}}`` the TrainingArguments values used.

Keras rates written by hand (``self.model.optimizer.learning_rate = x`` in a callback, ``K.set_value(opt.lr, x)``,
``opt.learning_rate.assign(x)``) are added to ``FileFacts.lr_writes``.
"""

from __future__ import annotations

import math
import weakref
from dataclasses import replace
from typing import Any, Iterable

import libcst as cst

from ..catalog import lookup
from ..catalog.base import REQUIRED
from ..catalog.hf import TRL_CONFIG_DEFAULTS, TRL_TRAINERS
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
from .index import CallSite, ClassInfo, Ctx, Indexer
from .objects import Creation, ObjectFlow, bind_arguments
from .values import LITERAL, Namespace, Resolver

LIGHTNING_MODULE_BASES = ("LightningModule",)
ASSUMED_LEN = 100  # batches per epoch assumed to show a curve (matches extract.build.ASSUMED_LEN)
_TRAINING_ARGUMENT_NAMES = ("TrainingArguments", "Seq2SeqTrainingArguments") + tuple(sorted(TRL_CONFIG_DEFAULTS))


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


def _method(site: CallSite) -> str:
    return site.path.rsplit(".", 1)[-1]


def _receiver(site: CallSite) -> str | None:
    func = site.node.func
    return dotted(func.value) if isinstance(func, cst.Attribute) else None


def _num(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def _plain(v: Value | None) -> Any:
    return v.value if isinstance(v, Known) else None


def _trainer_spec(q: str) -> tuple[str, int] | None:
    """(the arguments class the trainer builds when ``args`` is not given, position of ``args``) for a transformers
    Trainer or a TRL trainer (``trl.SFTTrainer``, ``trl.DPOTrainer``, ``trl.experimental.orpo.ORPOTrainer``...);
    None for anything else."""
    short = q.rsplit(".", 1)[-1]
    if q.startswith("transformers.") and short in ("Trainer", "Seq2SeqTrainer"):
        return ("TrainingArguments" if short == "Trainer" else "Seq2SeqTrainingArguments"), 1
    if q.startswith("trl."):
        return TRL_TRAINERS.get(short)
    return None


def _is_lightning_trainer(q: str) -> bool:
    from ..catalog.lightning import TRAINER

    return q == TRAINER.qualname or q in TRAINER.aliases or q == "pl.Trainer"


# ================================================================================ before: factories
def register_factories(flow: ObjectFlow, ix: Indexer, resolver: Resolver) -> None:
    _lightning_trainer_attributes(flow, ix, resolver)
    _keras_compile_optimizers(flow, ix, resolver)
    keras_schedule_classes = _keras_schedule_classes(ix)
    rate_callbacks = _keras_rate_callback_classes(ix) if _imports_keras(ix) else {}
    for site in sorted(ix.calls, key=lambda s: s.seq):
        q = _qual(flow, site)
        short = q.rsplit(".", 1)[-1]
        if q in ("transformers.get_scheduler", "transformers.optimization.get_scheduler") or (
            short == "get_scheduler" and ix.imports.mentions("transformers") and site.path == "get_scheduler"
        ):
            _hf_get_scheduler(flow, site, resolver)
        elif q in ("timm.scheduler.create_scheduler", "timm.scheduler.create_scheduler_v2",
                   "timm.scheduler.scheduler_factory.create_scheduler",
                   "timm.scheduler.scheduler_factory.create_scheduler_v2"):
            _timm_factory(flow, site, resolver, v2=q.endswith("_v2"))
        elif _trainer_spec(q) is not None:
            _hf_trainer(flow, site, resolver)
        elif q in _TIMM_OPTIMIZER_FACTORIES and id(site.node) not in flow.by_call:
            _timm_optimizer_factory(flow, site, resolver, v2=q.endswith("_v2"))
        elif site.path in keras_schedule_classes and id(site.node) not in flow.by_call:
            _keras_custom_schedule(flow, site, ix.classes[site.path])
        elif site.path in rate_callbacks and id(site.node) not in flow.by_call:
            _keras_custom_schedule(flow, site, ix.classes[site.path])
            flow.by_call[id(site.node)].keras_rate_callback = rate_callbacks[site.path]  # type: ignore[attr-defined]


def _imports_keras(ix: Indexer) -> bool:
    return ix.imports.mentions("keras") or ix.imports.mentions("tensorflow") or ix.imports.mentions("tf_keras")


def _keras_compile_optimizers(flow: ObjectFlow, ix: Indexer, resolver: Resolver) -> None:
    """``model.compile(optimizer="adam")`` builds the optimizer with its library defaults; ``compile()`` without an
    optimizer uses "rmsprop" (Keras 3)."""
    if not _imports_keras(ix):
        return
    from ..catalog.keras import string_optimizer

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


def _local_subclasses(ix: Indexer, base: str) -> set[str]:
    """Classes of this file whose bases include a class named ``base`` (any module), directly or through each
    other."""
    out: set[str] = set()
    changed = True
    while changed:
        changed = False
        for name, ci in ix.classes.items():
            if name not in out and any(b.rsplit(".", 1)[-1] == base or b in out for b in ci.bases):
                out.add(name)
                changed = True
    return out


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


def _lightning_trainer_attributes(flow: ObjectFlow, ix: Indexer, resolver: Resolver) -> None:
    """What ``self.trainer.max_epochs`` / ``max_steps`` / ``estimated_stepping_batches`` are, when the
    Lightning Trainer call in this file states it (one Trainer, or several that agree)."""
    if not (ix.imports.mentions("lightning") or ix.imports.mentions("pytorch_lightning")):
        return
    found: dict[str, list[Value]] = {"max_epochs": [], "max_steps": []}
    for site in ix.calls:
        if not _is_lightning_trainer(_qual(flow, site)):
            continue
        for key in found:
            node = _kw(site.node, key)
            v: Value = resolver.resolve(node, site.ctx, site.seq) if node is not None else Known(
                None if key == "max_epochs" else -1, "Lightning default")
            if isinstance(v, Known):
                v = Known(v.value, f"Trainer({key}=...) at {resolver.where(site.node)}"
                          + (f" ({v.source})" if v.source not in (LITERAL, "Lightning default") else ""))
            found[key].append(v)
    if not found["max_epochs"]:
        return
    for key, vals in found.items():
        if all(isinstance(v, Known) for v in vals) and len({repr(v.value) for v in vals}) == 1:  # type: ignore
            v = vals[0]
            if key == "max_epochs" and v.value is None:
                steps = vals and found["max_steps"][0]
                if isinstance(steps, Known) and (steps.value is None or steps.value == -1):
                    v = Known(1000, "Lightning's default max_epochs (no max_epochs or max_steps given)")
                else:
                    continue
            if key == "max_steps" and not (_num(v.value) and v.value > 0):
                continue  # -1 or None: no step limit
            resolver.known_attributes[f"self.trainer.{key}"] = v
    ms = resolver.known_attributes.get("self.trainer.max_steps")
    me = [v for v in found["max_epochs"] if isinstance(v, Known) and v.value is not None]
    if isinstance(ms, Known) and _num(ms.value) and ms.value > 0 and not me:
        resolver.known_attributes["self.trainer.estimated_stepping_batches"] = Known(
            ms.value, f"estimated_stepping_batches = max_steps ({ms.source})")


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
    if isinstance(name_v, Known) and not isinstance(name_v.value, str):
        name_v = Known(str(name_v.value), name_v.source)
    fn_entry = None
    if isinstance(name_v, Known):
        key = str(name_v.value).rsplit(".", 1)[-1]
        key = SCHEDULER_TYPE_MEMBERS.get(key, key).lower()
        fn_entry = lookup(SCHEDULER_TYPES.get(key, ""))
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
        if p.name == "optimizer" or p.name in values or p.kind == "varkw":
            continue
        if p.default is REQUIRED:
            values[p.name] = Unknown(f"get_scheduler({name_v.value!r}) needs {p.name}")  # type: ignore
        else:
            values[p.name] = Known(p.default, "transformers default")
    kept = {"optimizer": bound["optimizer"]} if "optimizer" in bound else {}
    for k in ("num_warmup_steps", "num_training_steps"):
        if k in bound:
            kept[k] = bound[k]
    c = Creation(flow.next_id("scheduler"), fn_entry, site, "scheduler", fn_entry.qualname,
                 bound=kept, framework="hf", preset=values)
    c.hf_name = name_v  # type: ignore[attr-defined]
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
            values[key] = v if isinstance(v, Known) or "not defined by an add_argument" not in getattr(
                v, "reason", "") else values[key]
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
    c = Creation(flow.next_id("optimizer"), entry, site, "optimizer", qual, framework="timm" if entry is None
                 else None, preset=preset)
    flow.add(c)


def _hf_trainer(flow: ObjectFlow, site: CallSite, resolver: Resolver) -> None:
    """A transformers (or TRL) Trainer builds the optimizer named by ``optim`` (AdamW by default) and the schedule
    from its TrainingArguments; a TRL trainer's config class (SFTConfig, DPOConfig...) has its own defaults."""
    from ..catalog.hf import SCHEDULER_TYPES

    spec = _trainer_spec(_qual(flow, site))
    if spec is None:
        return
    own_config, args_pos = spec
    if _kw(site.node, "config") is not None and _kw(site.node, "args") is None and own_config != "TrainingArguments":
        return  # the pre-0.12 TRL API (``PPOTrainer(config=PPOConfig(...))``): its own loop, not a Trainer
    user_opt: Creation | None = None
    given = _kw(site.node, "optimizers")
    if given is not None:
        # (optimizer, scheduler): tracked as ordinary objects (see _hf_after); (optimizer, None): the Trainer
        # still builds the schedule from its TrainingArguments, on the given optimizer
        if not (isinstance(given, cst.Tuple) and len(given.elements) == 2 and
                isinstance(given.elements[1].value, cst.Name) and given.elements[1].value.value == "None"):
            return
        objs = [flow.by_id[o] for o in flow.objects(given.elements[0].value, site.ctx, site.seq)
                if flow.by_id[o].kind == "optimizer"]
        user_opt = objs[0] if objs else None
    ta_entry = lookup("transformers.TrainingArguments")
    if ta_entry is None:
        return
    args_node = _kw(site.node, "args", args_pos)
    ta_call = _find_call(flow, args_node, site, _TRAINING_ARGUMENT_NAMES) if args_node is not None else None
    ta_values: dict[str, Value] = {}
    ta_bound: dict[str, cst.BaseExpression] = {}
    trainer = _qual(flow, site).rsplit(".", 1)[-1]
    if ta_call is not None:
        ta_bound, _, star = bind_arguments(ta_entry, ta_call.node)
        for k, node in ta_bound.items():
            ta_values[k] = resolver.resolve(node, ta_call.ctx, ta_call.seq)
        config = (dotted(ta_call.node.func) or "").rsplit(".", 1)[-1]
        default_source = "TrainingArguments default"
        note = ""
    elif args_node is None:
        config = own_config
        default_source = f"TrainingArguments default (the {trainer} is built without args)"
        note = f" (the {trainer} is built without args)"
    else:
        parsed = _hf_argument_parser(flow, resolver, args_node, site)
        if parsed is None:
            return
        config = parsed if parsed in TRL_CONFIG_DEFAULTS or parsed.endswith("TrainingArguments") else own_config
        parser = "HfArgumentParser" if config.endswith("TrainingArguments") else "the argument parser"
        note = f" (the arguments are parsed from the command line by {parser}, which may override it)"
        default_source = "TrainingArguments default" + note
    overrides = TRL_CONFIG_DEFAULTS.get(config, {})
    for k in ("learning_rate", "lr_scheduler_type", "warmup_steps", "num_train_epochs", "max_steps",
              "gradient_accumulation_steps", "weight_decay", "lr_scheduler_kwargs", "per_device_train_batch_size"):
        if k in ta_values:
            continue
        if k in overrides:
            from ..catalog.hf import TRL_SOURCE

            ta_values[k] = Known(overrides[k], f"{config} default ({TRL_SOURCE}){note}")
            continue
        p = ta_entry.param(k)
        if p is not None:
            ta_values[k] = Known(p.default, default_source)
    where = ta_call or site
    lr = ta_values.get("learning_rate", Known(5e-5, default_source))
    if given is None:
        qual, entry, preset = _trainer_optimizer(flow, ta_bound, ta_values, ta_call, lr,
                                                 ta_values.get("weight_decay", Known(0.0, default_source)))
        opt = Creation(flow.next_id("optimizer"), entry, where, "optimizer", qual, framework="hf", synthetic=True,
                       preset=preset)
        opt.bound = {"lr": ta_bound["learning_rate"]} if "learning_rate" in ta_bound else {}
        flow.add(opt)
    else:
        opt = user_opt  # type: ignore[assignment]
    stype = ta_values.get("lr_scheduler_type", Known("linear", default_source))
    fn_q = None
    if isinstance(stype, Known):
        from ..catalog.hf import SCHEDULER_TYPE_MEMBERS

        key = str(stype.value).rsplit(".", 1)[-1]
        fn_q = SCHEDULER_TYPES.get(SCHEDULER_TYPE_MEMBERS.get(key, key).lower())
    fn_entry = lookup(fn_q) if fn_q else None
    preset: dict[str, Value] = {}
    if fn_entry is None:
        preset["lr_scheduler_type"] = stype
    for k in ("warmup_steps", "warmup_ratio", "max_steps", "num_train_epochs", "gradient_accumulation_steps",
              "lr_scheduler_kwargs"):
        if k in ta_values:
            preset[k] = ta_values[k]
    sched = Creation(flow.next_id("scheduler"), fn_entry or lookup("transformers.get_scheduler"), where,
                     "scheduler", fn_entry.qualname if fn_entry else "transformers.get_scheduler",
                     framework="hf", synthetic=True, preset=preset)
    sched.bound = {k: v for k, v in ta_bound.items() if k in preset or k == "lr_scheduler_type"}
    sched.custom_class = None
    flow.add(sched)
    sched.trainer_optimizer = opt  # type: ignore[attr-defined]  # the Creation: ids are renumbered later
    sched.hf_name = stype  # type: ignore[attr-defined]
    sched.hf_values = ta_values  # type: ignore[attr-defined]


def _trainer_optimizer(flow: ObjectFlow, bound: dict[str, cst.BaseExpression], values: dict[str, Value],
                       ta_call: CallSite | None, lr: Value, weight_decay: Value) -> tuple[str, Any, dict[str, Value]]:
    """(class, catalog entry or None, arguments) of the optimizer a Trainer builds from ``optim=`` (transformers
    ``OptimizerNames``): torch AdamW when ``optim`` is not given; the mapped class otherwise, with the keyword
    arguments the Trainer passes it; a plain statement of the ``optim`` value when lraudit does not know it."""
    from ..catalog.hf import ADAM_KWARGS, OPTIM_ARGS_KEYS, TRAINER_OPTIMIZERS

    preset: dict[str, Value] = {"lr": lr, "weight_decay": weight_decay}
    node = bound.get("optim")
    if node is None or ta_call is None:
        return "torch.optim.AdamW", lookup("torch.optim.AdamW"), preset
    optim = _optim_value(flow, node, ta_call, values.get("optim"))
    if not isinstance(optim, Known) or not isinstance(optim.value, str):
        why = optim.reason if isinstance(optim, Unknown) else f"optim={optim.value!r} is not a name"
        preset["optim"] = Unknown(f"{why}, so which optimizer the Trainer builds is not known")
        return "optimizer chosen by optim (not known)", None, preset
    name = optim.value
    preset["optim"] = optim
    found = TRAINER_OPTIMIZERS.get(name)
    if found is None:
        return f"optimizer chosen by optim={name!r} (not simulated)", None, preset
    qual, fixed = found
    entry = lookup(qual)
    by = f"the Trainer's optim={name!r}"
    for k, v in fixed.items():
        preset[k] = Known(v, by)
    if name in ADAM_KWARGS or "lion" in name:
        b1, b2 = _ta_value(values, "adam_beta1", 0.9, flow, bound, ta_call), \
            _ta_value(values, "adam_beta2", 0.999, flow, bound, ta_call)
        preset["betas"] = Known((b1.value, b2.value), f"{by}: (adam_beta1, adam_beta2)") if isinstance(
            b1, Known) and isinstance(b2, Known) else Unknown("adam_beta1/adam_beta2 are not known")
        if name in ADAM_KWARGS:
            preset["eps"] = _ta_value(values, "adam_epsilon", 1e-08, flow, bound, ta_call)
    keys = OPTIM_ARGS_KEYS.get(name)
    oa = _ta_value(values, "optim_args", None, flow, bound, ta_call)
    if keys and isinstance(oa, Known) and isinstance(oa.value, str) and oa.value.strip():
        for item in oa.value.replace(" ", "").split(","):
            k, _, v = item.partition("=")
            if k not in keys or not v:
                continue
            if k in ("nesterov", "centered"):
                preset[k] = Known(v.lower() in ("true", "1", "yes"), f"optim_args={oa.value!r}")
            else:
                try:
                    preset[k] = Known(float(v), f"optim_args={oa.value!r}")
                except ValueError:
                    preset[k] = Unknown(f"optim_args gives {k}={v!r}, which is not a number (the Trainer raises)")
    if entry is not None:
        for p in entry.params:
            if p.kind in ("varpos", "varkw") or p.name == "params" or p.name in preset or p.default is REQUIRED:
                continue
            preset[p.name] = Known(p.default, entry.default_source or "library default")
    return qual, entry, preset


def _ta_value(values: dict[str, Value], key: str, default: Any, flow: ObjectFlow,
              bound: dict[str, cst.BaseExpression], ta_call: CallSite) -> Value:
    if key in values:
        return values[key]
    if key in bound:
        return flow.resolver.resolve(bound[key], ta_call.ctx, ta_call.seq)
    return Known(default, "TrainingArguments default")


def _optim_value(flow: ObjectFlow, node: cst.BaseExpression, ta_call: CallSite, resolved: Value | None) -> Value:
    """``optim="adafactor"``, or the enum spelling ``OptimizerNames.ADAFACTOR``, as the string the Trainer reads."""
    from ..catalog.hf import OPTIMIZER_NAME_MEMBERS, OPTIMIZER_NAME_TYPES

    if isinstance(resolved, Known) and isinstance(resolved.value, str) and "." not in resolved.value:
        return resolved
    if isinstance(node, cst.Attribute):
        owner = flow.ix.imports.qualify(node.value) or dotted(node.value) or ""
        if owner in OPTIMIZER_NAME_TYPES or owner.rsplit(".", 1)[-1] == "OptimizerNames":
            member = node.attr.value
            return Known(OPTIMIZER_NAME_MEMBERS.get(member, member.lower()), f"OptimizerNames.{member}")
    if isinstance(resolved, Known) and isinstance(resolved.value, str):
        member = resolved.value.rsplit(".", 1)[-1]
        if resolved.value.startswith("OptimizerNames."):
            return Known(OPTIMIZER_NAME_MEMBERS.get(member, member.lower()), resolved.source)
        return resolved
    return resolved if resolved is not None else Unknown("optim is not known")


def _hf_argument_parser(flow: ObjectFlow, resolver: Resolver, node: cst.BaseExpression, site: CallSite) -> str | None:
    """``args`` that come from ``HfArgumentParser(...).parse_args_into_dataclasses()`` (or a dict/json/yaml
    variant, or TRL's ``TrlParser(...).parse_args_and_config()``): the arguments are on the command line. Returns
    the arguments class the parser is built with ("" when not found), None when ``args`` is not parsed."""
    seen = 0
    while isinstance(node, cst.Name) and seen < 4:
        seen += 1
        _, recs = resolver._assignments(node.value, site.ctx, site.seq)
        if not recs or recs[-1].value is None:
            return None
        node = recs[-1].value
    text = flow.ix.text(node, 200)
    if not any(m in text for m in ("parse_args_into_dataclasses", "parse_json_file", "parse_yaml_file", "parse_dict",
                                   "parse_args_and_config")):
        return None
    for other in sorted(flow.ix.calls, key=lambda x: x.seq):
        if other.path.rsplit(".", 1)[-1] not in ("HfArgumentParser", "TrlParser") or not other.node.args:
            continue
        names = [n for n in _names_in(other.node.args[0].value) if n in _TRAINING_ARGUMENT_NAMES]
        if names:
            return names[0]
    return ""


def _names_in(node: cst.CSTNode) -> list[str]:
    out: list[str] = []

    class V(cst.CSTVisitor):
        def visit_Name(self, n: cst.Name) -> None:
            out.append(n.value)

        def visit_Attribute(self, n: cst.Attribute) -> None:
            out.append(n.attr.value)

    node.visit(V())
    return out


def _find_call(flow: ObjectFlow, node: cst.BaseExpression | None, site: CallSite,
               names: tuple[str, ...]) -> CallSite | None:
    if node is None:
        return None
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
        # a parameter of the enclosing function: the argument passed at its call sites
        fn = site.ctx.scope.function
        if not recs and fn is not None and fn.param(node.value) is not None:
            for caller in flow.resolver.calls_to(fn):
                arg = flow.resolver.call_arg(caller, fn, node.value)
                if isinstance(arg, cst.BaseExpression):
                    found = _find_call(flow, arg, caller, names)
                    if found is not None:
                        return found
    return None


# ================================================================================= after: refinement
def apply_frameworks(ext: Any, ix: Indexer, contexts: Any, builder: Any = None) -> Any:
    facts: FileFacts = ext.facts
    flow: ObjectFlow = ext.flow
    resolver: Resolver = ext.resolver
    facts = _keras(facts, flow, ix, resolver, builder)
    facts = _hf_after(facts, flow, ix, resolver, builder)
    facts = _lightning(facts, flow, ix, resolver, builder)
    facts = _timm_after(facts, flow, ix, resolver)
    facts = _accelerate(facts, flow, ix, resolver, builder)
    from .manual import manual_schedules

    facts = manual_schedules(facts, flow, ix, resolver, contexts, builder)
    ext.facts = facts
    return ext


def _replace_sched(facts: FileFacts, new: SchedulerFact) -> FileFacts:
    return replace(facts, schedulers=tuple(new if s.id == new.id else s for s in facts.schedulers))


def _replace_opt(facts: FileFacts, new: OptimizerFact) -> FileFacts:
    return replace(facts, optimizers=tuple(new if o.id == new.id else o for o in facts.optimizers))


def _with_extra(facts: FileFacts, key: str, value: Any) -> FileFacts:
    extra = dict(facts.extra)
    extra[key] = value
    return replace(facts, extra=extra)


def _site_step(builder: Any, site: CallSite, target: str, kind: str, method: str, context: str | None = None,
               via: str | None = None) -> StepSite:
    sc = builder.site_context(site)
    return StepSite(target=target, kind=kind, method=method, loc=builder.loc.location(site.node),  # type: ignore
                    context=context or sc.context, loop_id=sc.loop_id, order=site.ctx.order,  # type: ignore
                    via=via if via is not None else sc.via, conditional=site.ctx.conds > 0)


def _stepped_of(sites: Iterable[StepSite | str]) -> str:
    kinds = {s if isinstance(s, str) else s.context for s in sites}
    if not kinds:
        return "never"
    if kinds >= {"batch", "epoch"}:
        return "both"
    for k in ("batch", "epoch"):
        if k in kinds:
            return k
    return "unknown"


# ------------------------------------------------------------------------------------------- Keras
_FIT_POS = {"fit": {"epochs": 3, "callbacks": 5, "steps_per_epoch": None},
            "fit_generator": {"epochs": 2, "callbacks": 4, "steps_per_epoch": 1}}


class _Fit:
    def __init__(self, site: CallSite, epochs: Value, spe: Value, callbacks: list[str]) -> None:
        self.site = site
        self.epochs = epochs
        self.spe = spe
        self.callbacks = callbacks
        self.receiver = _receiver(site)
        self.model_key: Any = None  # the assignment of the receiver this fit() sees
        self.live_compiles: list[CallSite] = []  # the compile() calls of that model live here (see _live_compiles)
        self.live_optimizers: list[str] = []  # the optimizers they compile
        # model.fit(...) rather than ImageDataGenerator.fit(x) / scaler.fit(x): Keras-only keywords
        self.keras_like = _method(site) == "fit_generator" or any(
            a.keyword is not None and a.keyword.value in ("epochs", "nb_epoch", "callbacks", "steps_per_epoch",
                                                          "validation_data", "validation_split", "initial_epoch")
            for a in site.node.args)


def _keras_fits(flow: ObjectFlow, ix: Indexer, resolver: Resolver) -> list[_Fit]:
    out = []
    for site in ix.calls:
        m = _method(site)
        if m not in _FIT_POS or not isinstance(site.node.func, cst.Attribute) or "trainer" in (_receiver(site) or ""):
            continue
        pos = _FIT_POS[m]
        e = _kw(site.node, "epochs", pos["epochs"])
        if e is None:
            e = _kw(site.node, "nb_epoch")
        if e is not None:
            epochs = resolver.resolve(e, site.ctx, site.seq)
            if isinstance(epochs, Known):
                epochs = Known(epochs.value, f"{m}(epochs=...) at {resolver.where(site.node)}"
                               + (f" ({epochs.source})" if epochs.source != LITERAL else ""))
        else:
            epochs = Known(1, f"Keras default for {m}(epochs=) at {resolver.where(site.node)}")
        init = _kw(site.node, "initial_epoch")
        if init is not None and isinstance(epochs, Known):
            iv = resolver.resolve(init, site.ctx, site.seq)
            if isinstance(iv, Known) and _num(iv.value) and _num(epochs.value):
                epochs = Known(epochs.value - iv.value, f"{epochs.source} minus initial_epoch ({iv.source})")
            else:
                epochs = Unknown(f"{m}() starts at initial_epoch, which is not known")
        s = _kw(site.node, "steps_per_epoch", pos["steps_per_epoch"])
        spe: Value = resolver.resolve(s, site.ctx, site.seq) if s is not None else Unknown(
            "steps per epoch depend on the data, which the script does not state")
        callbacks: list[str] = []
        cb = _kw(site.node, "callbacks", pos["callbacks"])
        if cb is not None:
            callbacks.extend(flow.objects(cb, site.ctx, site.seq))
            name = dotted(cb)
            if name is not None:
                # callbacks = [...]; callbacks.append(LearningRateScheduler(...))
                for other in ix.calls:
                    if other.path in (f"{name}.append", f"{name}.extend", f"{name}.insert") and other.node.args:
                        callbacks.extend(flow.objects(other.node.args[-1].value, other.ctx, other.seq))
        fit = _Fit(site, epochs, spe, list(dict.fromkeys(callbacks)))
        if fit.receiver is not None:
            _, recs = resolver._assignments(fit.receiver, site.ctx, site.seq)
            fit.model_key = id(recs[-1]) if recs else fit.receiver
        out.append(fit)
    return out


def _fits_total(fits: list[_Fit]) -> Value:
    if not fits:
        return Unknown("no fit() call found")
    if len(fits) > 1 and _alternatives(fits):
        totals = {repr(_fits_total([f])) for f in fits}
        return _fits_total([fits[0]]) if len(totals) == 1 else Unknown(
            "fit() runs several separate trainings (different branches or models) with different lengths")
    total = 0
    sources = []
    for f in fits:
        if not (isinstance(f.epochs, Known) and _num(f.epochs.value)):
            return Unknown(getattr(f.epochs, "reason", "the number of epochs is not known"))
        if not (isinstance(f.spe, Known) and _num(f.spe.value)):
            return Unknown("steps per epoch are not stated (fit() without steps_per_epoch: they depend on the data)")
        total += int(f.epochs.value * f.spe.value)
        sources.append(f"{f.epochs.source} x steps_per_epoch ({f.spe.source})")
    src = sources[0] if len(sources) == 1 else "the sum over fit() calls: " + "; ".join(sources)
    return Known(total, src)


def _alternatives(fits: list[_Fit]) -> bool:
    """fit() calls in different branches (``if augment: fit_generator(...) else: fit(...)``), functions, or on
    different model objects (``model = get_model()`` before each): separate runs, not one continued run."""
    if any(f.site.ctx.conds > 0 for f in fits) or len({id(f.site.ctx.scope) for f in fits}) > 1:
        return True
    return len({f.model_key for f in fits}) > 1


def _fits_epochs(fits: list[_Fit]) -> Value:
    if not fits:
        return Unknown("no fit() call found")
    if len(fits) == 1:
        return fits[0].epochs
    if _alternatives(fits):
        vals = {repr(f.epochs.value) for f in fits if isinstance(f.epochs, Known)}
        if len(vals) == 1 and all(isinstance(f.epochs, Known) for f in fits):
            return fits[0].epochs
        return Unknown("fit() runs several separate trainings (different branches or models) with different "
                       "numbers of epochs")
    if all(isinstance(f.epochs, Known) and _num(f.epochs.value) for f in fits):
        return Known(sum(f.epochs.value for f in fits), "the sum over fit() calls: "  # type: ignore[union-attr]
                     + "; ".join(f.epochs.source for f in fits))  # type: ignore[union-attr]
    return Unknown("the model is fitted several times and not every epoch count is known")


def _keras(facts: FileFacts, flow: ObjectFlow, ix: Indexer, resolver: Resolver, builder: Any) -> FileFacts:
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
             _plain(f.spe), "receiver": f.receiver} for f in fits])
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
    for s in facts.schedulers:
        if s.framework != "keras":
            continue
        entry = lookup(s.cls)
        hooks = getattr(flow.by_id.get(s.id), "keras_rate_callback", None)
        if hooks is not None:
            facts = _keras_rate_callback(facts, s, hooks, flow, ix, resolver, builder, fits, compiled, fits_of)
        elif s.cls.startswith("custom:") or (entry is not None and entry.kind == "schedule"):
            facts = _keras_schedule(facts, s, entry, flow, ix, resolver, builder, fits_of)
        elif entry is not None and entry.kind == "callback":
            facts = _keras_callback(facts, s, fits, compiled, fits_of)
    return facts


_KERAS_RATE_ATTRS = (".learning_rate", ".lr")


def _keras_lr_writes(facts: FileFacts, flow: ObjectFlow, ix: Indexer, resolver: Resolver, builder: Any,
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
    from ..facts import LrWrite

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
                              fn.qualname if fn else None, resolver.resolve(value, ctx, seq)))
    return replace(facts, lr_writes=facts.lr_writes + tuple(sorted(writes, key=lambda w: w.loc)))


def _keras_schedule(facts: FileFacts, s: SchedulerFact, entry: Any, flow: ObjectFlow, ix: Indexer,
                    resolver: Resolver, builder: Any, fits_of: Any) -> FileFacts:
    owner = next((o.id for o in facts.optimizers if o.lr_is_schedule == s.id), None)
    args = dict(s.args)
    description = s.description
    custom_loc = s.custom_get_lr
    if s.cls.startswith("custom:"):
        ci = ix.classes.get(s.cls[len("custom:"):])
        call = ci.methods.get("__call__") if ci else None
        if call is not None:
            custom_loc = builder.loc.location(call.node)
            description = (f"custom LearningRateSchedule {ci.name}; its __call__(step) is at line "  # type: ignore
                           f"{custom_loc.line}")
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
    return _replace_sched(facts, replace(
        s, optimizer=owner, optimizer_reason=reason, stepped=stepped, unit="step", horizon=horizon,  # type: ignore
        horizon_source=getattr(horizon, "source", None), args=args, assumed_horizon=assumed,
        description=description, custom_get_lr=custom_loc, step_sites=step_sites))


def _schedule_start(s: SchedulerFact | None) -> Value:
    """The rate a schedule-driven Keras optimizer starts from (its first update uses ``schedule(0)``)."""
    if s is None:
        return Unknown("the learning rate is a schedule")
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


def _gradient_sites(facts: FileFacts, flow: ObjectFlow, ix: Indexer, owner: str, builder: Any) -> list[StepSite]:
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
                  builder: Any, args: dict[str, Value]) -> tuple[str, Value, str | None, list[StepSite]]:
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


def _live_compiles(fit: _Fit, compiles: list[tuple[CallSite, list[str]]], ix: Indexer, resolver: Resolver) -> None:
    """The compile() calls live at ``fit``: compiles of the same model (same receiver, same binding of it, same
    function) before the fit, from the last one that surely runs before it onwards. A model compiled twice trains
    with the optimizer of the second compile in the fits after it."""
    if fit.receiver is None:
        return
    mine = []
    for site, oids in compiles:
        if site.seq >= fit.site.seq or _receiver(site) != fit.receiver or site.ctx.scope is not fit.site.ctx.scope:
            continue
        _, recs = resolver._assignments(fit.receiver, site.ctx, site.seq)
        if (id(recs[-1]) if recs else fit.receiver) == fit.model_key:
            mine.append((site, oids))
    for i in range(len(mine) - 1, -1, -1):
        if _surely_before(ix, mine[i][0].ctx, mine[i][0].stmt, fit.site.ctx, fit.site.stmt):
            mine = mine[i:]
            break
    fit.live_compiles = [site for site, _ in mine]
    fit.live_optimizers = list(dict.fromkeys(o for _, oids in mine for o in oids))


def _keras_callback(facts: FileFacts, s: SchedulerFact, fits: list[_Fit], compiled: dict[str, str | None],
                    fits_of: Any) -> FileFacts:
    using = [f for f in fits if s.id in f.callbacks]
    owner = None
    reason = "the compiled optimizer is not in this file"
    if using and using[0].live_compiles:
        # the optimizer of the compile() live at that fit(), not the model's first compile
        live = using[0].live_optimizers
        if len(live) == 1:
            owner = live[0]
        elif live:
            lines = sorted({o.loc.line for o in facts.optimizers if o.id in live})
            reason = ("the model is compiled with different optimizers on different paths before the fit() that "
                      f"runs it (lines {', '.join(map(str, lines))}): which one it trains depends on the path taken")
    else:
        if using:
            owner = next((o for o, rcv in compiled.items() if rcv is not None and rcv == using[0].receiver), None)
        if owner is None and compiled:
            owner = next(iter(compiled))
    return _callback_fact(facts, s, using, fits, owner, reason)


def _callback_fact(facts: FileFacts, s: SchedulerFact, using: list[_Fit], fits: list[_Fit], owner: str | None,
                   reason: str) -> FileFacts:
    if using:
        stepped, horizon = "epoch", _fits_epochs(using)
    else:
        stepped, horizon = ("never" if fits else "unknown"), Unknown("not passed to fit(callbacks=...)")
    monitor = s.args.get("monitor") if s.cls.endswith("ReduceLROnPlateau") else s.monitor
    return _replace_sched(facts, replace(
        s, optimizer=owner, optimizer_reason=None if owner else reason,
        stepped=stepped, unit="epoch", horizon=horizon, horizon_source=getattr(horizon, "source", None),  # type: ignore
        monitor=monitor))


# ------------------------------------------------------------------------- Keras callbacks that set the rate
# A ``keras.callbacks.Callback`` subclass whose hooks write ``self.model.optimizer.learning_rate`` (Keras 2 one-cycle
# and warm-up callbacks): a hand-written schedule of the optimizer it is fitted with. It is listed as a ``manual``
# schedule; when the hook's rate depends only on the hook's counters (its epoch/batch argument, ``self.x += 1``
# counters, constants and the constructor's arguments, the current rate) it is simulated through the same plan the
# hand-written PyTorch schedules use: a synthetic ``lraudit_manual(lraudit_optimizer, lraudit_step)`` that performs
# the hook's write on a placeholder optimizer.
_EPOCH_HOOKS = ("on_epoch_begin", "on_epoch_end")
_BATCH_HOOKS = ("on_batch_begin", "on_batch_end", "on_train_batch_begin", "on_train_batch_end")
_RATE_WRITERS = ("set_value",)
_RATE_READERS = ("get_value", "float", "eval", "convert_to_numpy")


def _is_rate_target(node: cst.BaseExpression) -> bool:
    """``self.model.optimizer.learning_rate`` / ``.lr`` (any receiver that names an optimizer)."""
    text = dotted(node) or ""
    return text.endswith(_KERAS_RATE_ATTRS) and "optim" in text


def _rate_write_value(stmt: cst.CSTNode) -> cst.BaseExpression | None:
    """The value a statement writes into the optimizer's rate, or None."""
    if isinstance(stmt, cst.Assign) and len(stmt.targets) == 1 and _is_rate_target(stmt.targets[0].target):
        return stmt.value
    if isinstance(stmt, cst.Expr) and isinstance(stmt.value, cst.Call):
        call = stmt.value
        args = [a.value for a in call.args if a.keyword is None and not a.star]
        name = (dotted(call.func) or "").rsplit(".", 1)[-1]
        if name in _RATE_WRITERS and len(args) == 2 and _is_rate_target(args[0]):
            return args[1]
        if name == "assign" and len(args) == 1 and isinstance(call.func, cst.Attribute) and \
                _is_rate_target(call.func.value):
            return args[0]
    return None


def _writes_rate(node: cst.CSTNode) -> list[cst.CSTNode]:
    found: list[cst.CSTNode] = []

    class V(cst.CSTVisitor):
        def visit_Assign(self, n: cst.Assign) -> None:
            if _rate_write_value(n) is not None:
                found.append(n)

        def visit_Expr(self, n: cst.Expr) -> None:
            if _rate_write_value(n) is not None:
                found.append(n)

    node.visit(V())
    return found


def _keras_rate_callback_classes(ix: Indexer) -> dict[str, dict[str, Any]]:
    """Classes of this file that subclass a Keras ``Callback`` (directly or through each other) and write the
    optimizer's rate in one of their hooks (or in a method a hook calls): {class: {hook: method}}."""
    callbacks = _local_subclasses(ix, "Callback")
    out: dict[str, dict[str, Any]] = {}
    for name in sorted(callbacks):
        methods: dict[str, Any] = {}
        chain = [name]
        while chain[-1] in ix.classes and len(chain) < 8:  # in-file base classes, nearest first
            base = next((b for b in ix.classes[chain[-1]].bases if b in callbacks), None)
            if base is None or base in chain:
                break
            chain.append(base)
        for cname in reversed(chain):
            methods.update(ix.classes[cname].methods)
        writers = {m for m, fn in methods.items() if _writes_rate(fn.node)}
        hooks: dict[str, Any] = {}
        for hook in _EPOCH_HOOKS + _BATCH_HOOKS:
            fn = methods.get(hook)
            if fn is None:
                continue
            from .manual import called_names

            called = {n[len("self."):] for n in called_names(fn.node) if n.startswith("self.")}
            if hook in writers or called & writers:
                hooks[hook] = fn
        if hooks:
            out[name] = {"hooks": hooks, "methods": methods}
    return out


def _keras_rate_callback(facts: FileFacts, s: SchedulerFact, info: dict[str, Any], flow: ObjectFlow, ix: Indexer,
                         resolver: Resolver, builder: Any, fits: list[_Fit], compiled: dict[str, str | None],
                         fits_of: Any) -> FileFacts:
    from ..facts import Location

    facts = _keras_callback(facts, s, fits, compiled, fits_of)  # owner optimizer and the fit() that uses it
    s = facts.scheduler(s.id) or s
    hooks: dict[str, Any] = info["hooks"]
    name = s.cls[len("custom:"):] if s.cls.startswith("custom:") else s.cls
    per_batch = [h for h in hooks if h in _BATCH_HOOKS]
    per_epoch = [h for h in hooks if h in _EPOCH_HOOKS]
    hook = (per_batch or per_epoch)[0]
    fn = hooks[hook]
    writes = _writes_rate(fn.node)
    wline = builder.loc.location(writes[0]).line if writes else resolver.loc_line(fn.node)
    unit = "batch" if per_batch else "epoch"
    using = [f for f in fits if s.id in f.callbacks]
    horizon: Value
    assumed: Value | None = None
    spe: Value = Unknown("not fitted")
    if using:
        epochs = _fits_epochs(using)
        spe = using[0].spe if len(using) == 1 else Unknown("several fit() calls")
        if unit == "epoch":
            horizon = epochs
        else:
            horizon = _fits_total(using)
            if not isinstance(horizon, Known) and isinstance(epochs, Known) and _num(epochs.value):
                assumed = Known(int(epochs.value) * ASSUMED_LEN, f"{epochs.value} epochs x an assumed {ASSUMED_LEN} "
                                "batches per epoch (steps_per_epoch is not stated)")
        stepped = unit
    else:
        horizon, stepped = Unknown("not passed to fit(callbacks=...)"), ("never" if fits else "unknown")
    how = "per batch" if unit == "batch" else "per epoch"
    desc = (f"custom callback {name} writes the rate {how} in {hook}() at line {wline}"
            + (f" (also in {', '.join(h + '()' for h in hooks if h != hook)})" if len(hooks) > 1 else ""))
    plan = None
    why = "the callback writes the rate in more than one kind of hook" if per_batch and per_epoch else None
    if why is None:
        plan, why = _callback_plan(flow, ix, resolver, s, info, hook, fn, spe, fits=using)
    if plan is None:
        desc += f"; curve unknown ({why})"
    new = replace(
        s, cls=f"manual:{name}", framework="manual", stepped=stepped, unit="step" if unit == "batch" else "epoch",
        horizon=horizon, horizon_source=getattr(horizon, "source", None), assumed_horizon=assumed,
        description=desc, custom_get_lr=builder.loc.location(fn.node) if fn is not None else Location.unknown(),
        optimizer_reason=s.optimizer_reason if s.optimizer is None else None)
    facts = _replace_sched(facts, new)
    plans = dict(facts.extra.get("manual_plans", {}))
    if plan is not None:
        plans[s.id] = plan
    else:
        plans.pop(s.id, None)
    return _with_extra(facts, "manual_plans", plans)


class _Unsupported(Exception):
    pass


def _callback_plan(flow: ObjectFlow, ix: Indexer, resolver: Resolver, s: SchedulerFact, info: dict[str, Any],
                   hook: str, fn: Any, spe: Value, fits: list[_Fit]) -> tuple[Any, str | None]:
    """A ManualPlan that replays ``hook`` once per step, or (None, why not)."""
    from .manual import OPT, SYNTHETIC, TIME, ManualPlan
    from .values import EvalScope

    methods: dict[str, Any] = info["methods"]
    c = flow.by_id.get(s.id)
    params = [p.name for p in fn.params if p.kind == "pos"][1:]
    end = hook.endswith("_end")
    k: cst.BaseExpression = cst.parse_expression(f"({TIME} - 1)" if end else TIME)
    subs: dict[str, cst.BaseExpression] = {}
    assumption = None
    steps_per_epoch = None
    if params:
        if hook in _EPOCH_HOOKS:
            subs[params[0]] = k
        else:
            L = spe.value if isinstance(spe, Known) and _num(spe.value) and spe.value > 0 else None
            if L is None:
                L, assumption = ASSUMED_LEN, f"an assumed {ASSUMED_LEN} batches per epoch for the batch index"
            steps_per_epoch = int(L)
            subs[params[0]] = cst.parse_expression(f"({ix.text(k, 40)} % {int(L)})")
    for p in params[1:]:
        subs[p] = cst.Name("None")
    try:
        body = _CallbackRewrite(flow, ix, resolver, c, methods, fn, k, subs, hook, fits).rewrite()
    except _Unsupported as exc:
        return None, str(exc)
    if end:
        body = [cst.If(test=cst.parse_expression(f"{TIME} >= 1"), body=cst.IndentedBlock(body=body))]
    def_node = cst.FunctionDef(
        name=cst.Name(SYNTHETIC),
        params=cst.Parameters(params=[cst.Param(cst.Name(OPT)), cst.Param(cst.Name(TIME))]),
        body=cst.IndentedBlock(body=body))
    scope = EvalScope(resolver, Ctx(fn.scope))
    fv = FunctionValue(def_node, SYNTHETIC, resolver.loc_line(fn.node), scope=scope)
    call = cst.Call(func=cst.Name(SYNTHETIC), args=[cst.Arg(cst.Name(OPT)), cst.Arg(cst.Name(TIME))])
    return ManualPlan("call", TIME, 0, 1, scope, function=fv, call=call, steps_per_epoch=steps_per_epoch,
                      assumption=assumption), None


class _CallbackRewrite:
    """The hook's body as a function of the step counter: counters, constructor arguments and the optimizer's rate
    replaced by expressions the evaluator can compute; the rate write becomes ``param_groups[0]["lr"] = v``."""

    def __init__(self, flow: ObjectFlow, ix: Indexer, resolver: Resolver, creation: Any, methods: dict[str, Any],
                 fn: Any, k: cst.BaseExpression, subs: dict[str, cst.BaseExpression], hook: str,
                 fits: list[_Fit]) -> None:
        self.flow, self.ix, self.resolver, self.creation = flow, ix, resolver, creation
        self.methods, self.fn, self.k, self.subs, self.hook, self.fits = methods, fn, k, subs, hook, fits
        self.counters = self._counters()

    # ----------------------------------------------------------------------------------------- state
    def _assigns(self, attr: str) -> list[tuple[str, Any]]:
        """(method name, AssignRec) of every ``self.attr`` assignment in the class (and its in-file bases)."""
        out = []
        for mname, m in self.methods.items():
            ci = self.ix.classes.get(m.class_name or "")
            for r in (ci.attrs.get(attr, []) if ci is not None else []):
                if r.ctx.scope.function is m:
                    out.append((mname, r))
        return out

    def _counters(self) -> dict[str, tuple[cst.BaseExpression, float, cst.CSTNode]]:
        """``self.x += c`` once, unconditionally, at the top level of the hook, and set to a constant only in
        __init__ / on_train_begin: {x: (initial value, c, the increment statement)}."""
        out: dict[str, tuple[cst.BaseExpression, float, cst.CSTNode]] = {}
        for line in self.fn.node.body.body:
            if not isinstance(line, cst.SimpleStatementLine):
                continue
            for st in line.body:
                if not (isinstance(st, cst.AugAssign) and isinstance(st.operator, cst.AddAssign)):
                    continue
                target = dotted(st.target) or ""
                if not target.startswith("self.") or target.count(".") != 1:
                    continue
                attr = target[len("self."):]
                step = self._constant(st.value)
                recs = self._assigns(attr)
                inits = [(m, r) for m, r in recs if r.kind == "assign"]
                augs = [(m, r) for m, r in recs if r.kind != "assign"]
                others = augs if len(augs) != 1 or augs[0][0] != self.fn.name else []
                if step is None or others or not inits or any(m not in ("__init__", "on_train_begin")
                                                               for m, _ in inits):
                    continue
                first = [r for m, r in inits if m == "on_train_begin"] or [r for m, r in inits]
                out[attr] = (self._init_value(first[-1].value, 0), step, st)
        return out

    def _constant(self, node: cst.BaseExpression) -> float | None:
        if isinstance(node, (cst.Integer, cst.Float)):
            return float(node.evaluated_value) if isinstance(node, cst.Float) else int(node.evaluated_value)
        return None

    def _literal(self, v: Any) -> cst.BaseExpression:
        if isinstance(v, bool) or v is None:
            return cst.Name(repr(v))
        if isinstance(v, (int, float)) and math.isfinite(v):
            return cst.parse_expression(f"({v!r})")
        if isinstance(v, str):
            return cst.SimpleString(repr(v))
        if isinstance(v, (list, tuple)) and len(v) <= 1000:
            inner = ", ".join(self.ix.text(self._literal(x), 1000) if not isinstance(x, (int, float)) or
                              isinstance(x, bool) else repr(x) for x in v)
            return cst.parse_expression(f"[{inner}]" if isinstance(v, list) else f"({inner}{',' if len(v) == 1 else ''})")
        raise _Unsupported(f"the constructor argument {v!r} is not a plain value")

    def _init_value(self, node: cst.BaseExpression | None, depth: int) -> cst.BaseExpression:
        """An expression from __init__ with its parameters replaced by the constructor's arguments."""
        if node is None:
            raise _Unsupported("an attribute of the callback is set from an unpacking")
        init = self.methods.get("__init__")
        names = {p.name for p in init.params} if init is not None else set()
        rewrite = self

        class T(cst.CSTTransformer):
            def leave_Name(self, orig: cst.Name, upd: cst.Name) -> cst.BaseExpression:
                if orig.value in names and orig.value != "self":
                    return rewrite._ctor_arg(orig.value)
                return upd

            def leave_Attribute(self, orig: cst.Attribute, upd: cst.Attribute) -> cst.BaseExpression:
                d = dotted(orig) or ""
                if d.startswith("self.") and d.count(".") == 1:
                    return rewrite._attr(orig.attr.value, depth + 1)
                return upd

        return _paren(node.visit(T()))  # type: ignore[arg-type]

    def _ctor_arg(self, pname: str) -> cst.BaseExpression:
        c = self.creation
        init = self.methods.get("__init__")
        node = c.bound.get(pname) if c is not None else None
        if node is not None:
            v = self.resolver.resolve(node, c.site.ctx, c.site.seq)
            if isinstance(v, Known) and isinstance(v.value, FunctionValue) and isinstance(node, cst.Name):
                # a function of this file passed by name: the same name must reach it from the hook
                here = self.resolver.resolve(cst.Name(node.value), Ctx(self.fn.scope))
                if isinstance(here, Known) and isinstance(here.value, FunctionValue) and \
                        here.value.node is v.value.node:
                    return cst.Name(node.value)
                raise _Unsupported(f"the constructor argument {pname} is a function lraudit cannot reach")
            if isinstance(v, Known):
                return self._literal(v.value)
            raise _Unsupported(f"the constructor argument {pname} is not known: {v.reason}")  # type: ignore
        p = init.param(pname) if init is not None else None
        if p is not None and p.default is not None:
            v = self.resolver.resolve(p.default, Ctx(init.scope))
            if isinstance(v, Known):
                return self._literal(v.value)
        raise _Unsupported(f"the constructor argument {pname} is not known")

    def _attr(self, attr: str, depth: int) -> cst.BaseExpression:
        if depth > 6:
            raise _Unsupported(f"self.{attr} is defined through too many other attributes")
        if attr in self.counters:
            init, step, _ = self.counters[attr]
            after = self._after_increment.get(attr, False)
            kk = self.ix.text(self.k, 40)
            return cst.parse_expression(f"({self.ix.text(init, 400)} + {step!r} * ({kk}{' + 1' if after else ''}))")
        recs = self._assigns(attr)
        if len(recs) == 1 and recs[0][0] == "__init__" and recs[0][1].kind == "assign":
            return self._init_value(recs[0][1].value, depth)
        if not recs and attr in self.methods:
            raise _Unsupported(f"it calls the method self.{attr}(), which lraudit does not replay")
        if not recs:
            raise _Unsupported(f"self.{attr} is not set in the callback")
        raise _Unsupported(f"self.{attr} changes during training in a way lraudit does not follow")

    # ---------------------------------------------------------------------------------------- body
    def rewrite(self) -> list[cst.BaseStatement]:
        from .manual import OPT

        self._after_increment: dict[str, bool] = {}
        rate = cst.parse_expression(f'{OPT}.param_groups[0]["lr"]')
        out: list[cst.BaseStatement] = []
        for stmt in self.fn.node.body.body:
            new = self._statement(stmt, rate)
            if new is not None:
                out.append(new)
        if not _writes_placeholder(out):
            raise _Unsupported(f"the rate is written outside {self.hook}() (in a method it calls)")
        return out or [cst.SimpleStatementLine(body=[cst.Pass()])]

    def _statement(self, stmt: cst.BaseStatement, rate: cst.BaseExpression) -> cst.BaseStatement | None:
        if isinstance(stmt, cst.SimpleStatementLine):
            small: list[cst.BaseSmallStatement] = []
            for st in stmt.body:
                inc = next((a for a, (_, _, node) in self.counters.items() if node is st), None)
                if inc is not None:
                    self._after_increment[inc] = True
                    continue
                value = _rate_write_value(st)
                if value is not None:
                    small.append(cst.Assign(targets=[cst.AssignTarget(rate)], value=self._expr(value, rate)))
                    continue
                if isinstance(st, cst.Expr) and isinstance(st.value, cst.Call):
                    continue  # print(), logging, self.history.append(...): no effect on the rate
                if isinstance(st, (cst.Assign, cst.AugAssign, cst.AnnAssign)):
                    targets = [t.target for t in st.targets] if isinstance(st, cst.Assign) else [st.target]
                    if any((dotted(t) or "").startswith(("self.", "logs")) for t in targets):
                        if any(_mentions_name(t, "self") for t in targets):
                            raise _Unsupported(f"{self.hook}() keeps state in attributes of the callback "
                                               f"(line {self.resolver.loc_line(stmt)})")
                        continue
                small.append(self._expr(st, rate))  # type: ignore[arg-type]
            if not small:
                return None
            return stmt.with_changes(body=small)
        if isinstance(stmt, (cst.If, cst.For, cst.While)):
            counters_before = dict(self._after_increment)
            new = self._compound(stmt, rate)
            if self._after_increment != counters_before:
                raise _Unsupported("a counter is advanced conditionally")
            return new
        raise _Unsupported(f"{self.hook}() uses a {type(stmt).__name__} statement, which lraudit does not replay")

    def _compound(self, stmt: cst.BaseStatement, rate: cst.BaseExpression) -> cst.BaseStatement:
        def block(b: cst.BaseSuite) -> cst.BaseSuite:
            if not isinstance(b, cst.IndentedBlock):
                raise _Unsupported("a one-line compound statement")
            body = [x for x in (self._statement(st, rate) for st in b.body) if x is not None]
            return b.with_changes(body=body or [cst.SimpleStatementLine(body=[cst.Pass()])])

        if isinstance(stmt, cst.If):
            orelse = stmt.orelse
            if isinstance(orelse, cst.If):
                orelse = self._compound(orelse, rate)  # type: ignore[assignment]
            elif isinstance(orelse, cst.Else):
                orelse = orelse.with_changes(body=block(orelse.body))
            return stmt.with_changes(test=self._expr(stmt.test, rate), body=block(stmt.body), orelse=orelse)
        if isinstance(stmt, cst.For):
            return stmt.with_changes(iter=self._expr(stmt.iter, rate), body=block(stmt.body))
        return stmt.with_changes(test=self._expr(stmt.test, rate), body=block(stmt.body))  # type: ignore

    def _expr(self, node: Any, rate: cst.BaseExpression) -> Any:
        rewrite = self
        subs = self.subs

        class T(cst.CSTTransformer):
            def visit_Call(self, n: cst.Call) -> bool:
                return True

            def leave_Call(self, orig: cst.Call, upd: cst.Call) -> cst.BaseExpression:
                name = (dotted(orig.func) or "").rsplit(".", 1)[-1]
                args = [a for a in orig.args if a.keyword is None and not a.star]
                if name in _RATE_READERS and len(args) == 1 and _is_rate_target(args[0].value):
                    return rate
                if name == "numpy" and isinstance(orig.func, cst.Attribute) and _is_rate_target(orig.func.value):
                    return rate
                return upd

            def leave_Attribute(self, orig: cst.Attribute, upd: cst.Attribute) -> cst.BaseExpression:
                d = dotted(orig) or ""
                if _is_rate_target(orig):
                    return rate
                if d.endswith("optimizer.iterations") and rewrite.hook in _BATCH_HOOKS:
                    end = rewrite.hook.endswith("_end")
                    return cst.parse_expression(f"({rewrite.ix.text(rewrite.k, 40)}{' + 1' if end else ''})")
                if d.startswith("self.") and d.count(".") == 1 and d != "self.model":
                    return rewrite._attr(orig.attr.value, 0)
                return upd

            def leave_Subscript(self, orig: cst.Subscript, upd: cst.Subscript) -> cst.BaseExpression:
                if dotted(orig.value) == "self.params" and len(orig.slice) == 1 and \
                        isinstance(orig.slice[0].slice, cst.Index):
                    key = orig.slice[0].slice.value
                    k = key.evaluated_value if isinstance(key, cst.SimpleString) else None
                    v = rewrite._fit_param(k)
                    if v is not None:
                        return rewrite._literal(v)
                    raise _Unsupported(f"self.params[{k!r}] is not known")
                return upd

            def leave_Name(self, orig: cst.Name, upd: cst.Name) -> cst.BaseExpression:
                return subs.get(orig.value, upd)

        return node.visit(T())

    def _fit_param(self, key: Any) -> Any:
        if len(self.fits) != 1:
            return None
        f = self.fits[0]
        if key == "epochs" and isinstance(f.epochs, Known):
            return f.epochs.value
        if key == "steps" and isinstance(f.spe, Known):
            return f.spe.value
        return None


def _writes_placeholder(body: list[cst.BaseStatement]) -> bool:
    from .manual import OPT

    text = "".join(cst.Module(body=[b]).code for b in body)
    return f'{OPT}.param_groups[0]["lr"] =' in text


def _mentions_name(node: cst.CSTNode, name: str) -> bool:
    return name in _names_in(node)


def _paren(node: cst.BaseExpression) -> cst.BaseExpression:
    return cst.parse_expression(f"({cst.Module(body=[]).code_for_node(node)})")


# ---------------------------------------------------------------------------------------- HF trainer
def _hf_after(facts: FileFacts, flow: ObjectFlow, ix: Indexer, resolver: Resolver, builder: Any) -> FileFacts:
    from ..catalog.hf_sim import hf_warmup_steps

    trainer_info: dict[str, Any] = {}
    for s in facts.schedulers:
        c = flow.by_id.get(s.id)
        if c is None or s.framework != "hf":
            continue
        name_v = getattr(c, "hf_name", None)
        if not c.synthetic:
            if name_v is not None:
                desc = f"get_scheduler({name_v.value!r}) builds {s.cls.rsplit('.', 1)[-1]}" if isinstance(
                    name_v, Known) else s.description
                facts = _replace_sched(facts, replace(s, description=desc))
            continue
        opt_c = getattr(c, "trainer_optimizer", None)
        opt_id = opt_c.oid if opt_c is not None else None
        a = {k: v.value for k, v in s.args.items() if isinstance(v, Known)}
        n: Value = Unknown("the number of training steps depends on the dataset size, which the script does not "
                           "state (num_train_epochs x batches per epoch / gradient_accumulation_steps)")
        if _num(a.get("max_steps")) and a["max_steps"] > 0:
            n = Known(int(a["max_steps"]), s.args["max_steps"].source)  # type: ignore[union-attr]
        args = dict(s.args)
        ws = a.get("warmup_steps", 0) or 0
        wr = a.get("warmup_ratio", 0) or 0
        ws_src = getattr(s.args.get("warmup_steps"), "source", "TrainingArguments default")

        def warmup(total: Value) -> Value:
            for key in ("warmup_steps", "warmup_ratio"):
                if isinstance(s.args.get(key), Unknown):
                    return Unknown(f"{key} is unknown: {s.args[key].reason}")  # type: ignore[union-attr]
            if isinstance(total, Known):
                try:
                    if ws:
                        return Known(hf_warmup_steps(ws, total.value), f"warmup_steps={ws} ({ws_src})"
                                     + (f" of {total.value} steps" if ws < 1 else ""))
                    if wr:
                        return Known(math.ceil(total.value * wr), f"warmup_ratio={wr} of {total.value} steps "
                                                                  "(transformers 4.x)")
                except Exception:
                    return Unknown("the warm-up could not be computed")
                return Known(0, "TrainingArguments default (no warm-up)")
            if _num(ws) and ws >= 1:
                return Known(int(ws), ws_src)
            if not ws and not wr:
                return Known(0, "TrainingArguments default (no warm-up)")
            return Unknown("warm-up is a fraction of a training length that is not stated")

        takes = {p.name for p in lookup(s.cls).params} if lookup(s.cls) is not None else set()  # type: ignore
        if "num_training_steps" in takes:
            args["num_training_steps"] = n
        if "num_warmup_steps" in takes:
            args["num_warmup_steps"] = warmup(n)
        kwargs = s.args.get("lr_scheduler_kwargs")
        if isinstance(kwargs, Known) and isinstance(kwargs.value, dict):
            for k, v in kwargs.value.items():
                args[str(k)] = v if isinstance(v, (Known, Unknown)) else Known(v, kwargs.source)
        assumed_args = None
        assumed_h = None
        if not isinstance(n, Known):
            ep, ga = a.get("num_train_epochs"), a.get("gradient_accumulation_steps", 1) or 1
            if _num(ep) and ep > 0 and _num(ga):
                guess = max(math.ceil(ep * math.ceil(ASSUMED_LEN / ga)), 1)
                assumed_n = Known(guess, f"{ep} epochs x an assumed {ASSUMED_LEN} batches per epoch"
                                         + (f" / gradient_accumulation_steps={ga}" if ga != 1 else "")
                                         + " (the dataset size is not stated)")
                assumed_args = dict(args)
                if "num_training_steps" in takes:
                    assumed_args["num_training_steps"] = assumed_n
                if "num_warmup_steps" in takes:
                    assumed_args["num_warmup_steps"] = warmup(assumed_n)
                assumed_h = assumed_n
        name_v = getattr(c, "hf_name", None)
        desc = s.description
        if isinstance(name_v, Known):
            built = "AdamW and " if opt_c is not None and opt_c.synthetic else ""
            on = "" if built else " on the optimizer passed in optimizers=(optimizer, None)"
            desc = (f"the Trainer builds {built}lr_scheduler_type={name_v.value!r} "
                    f"({s.cls.rsplit('.', 1)[-1]}) from its TrainingArguments{on}")
        facts = _replace_sched(facts, replace(
            s, optimizer=opt_id, optimizer_reason=None, stepped="batch", unit="step", args=args,  # type: ignore
            horizon=n, horizon_source=getattr(n, "source", None), variable=None, description=desc,
            assumed_args=assumed_args, assumed_horizon=assumed_h))
        o = facts.optimizer(opt_id)
        if o is not None and opt_c.synthetic:  # type: ignore[union-attr]
            facts = _replace_opt(facts, replace(o, variable=None))
        if o is not None and not any(x.target == o.id for x in facts.optimizer_steps):
            facts = replace(facts, optimizer_steps=facts.optimizer_steps + (
                StepSite(o.id, "optimizer", "step", o.loc, "batch", None, (),
                         via="the Trainer steps it once per optimizer update"),))
        if isinstance(n, Known):
            facts = replace(facts, horizon=replace(facts.horizon, total_steps=n))
        hv = getattr(c, "hf_values", {})
        trainer_info[s.id] = {"line": s.loc.line, **{k: _plain(v) for k, v in sorted(hv.items())
                                                     if k in ("per_device_train_batch_size", "num_train_epochs",
                                                              "max_steps", "gradient_accumulation_steps")}}
    facts = _hf_user_objects_in_trainer(facts, flow, ix, resolver)
    facts = _hf_assumed_lengths(facts)
    if trainer_info:
        facts = _with_extra(facts, "hf_trainer", trainer_info)
    return facts


def _hf_user_objects_in_trainer(facts: FileFacts, flow: ObjectFlow, ix: Indexer, resolver: Resolver) -> FileFacts:
    """``Trainer(..., optimizers=(optimizer, scheduler))``: the Trainer steps both once per optimizer update."""
    for site in ix.calls:
        q = _qual(flow, site)
        spec = _trainer_spec(q)
        if spec is None:
            continue
        node = _kw(site.node, "optimizers")
        if node is None:
            continue
        via = f"the Trainer at {resolver.where(site.node)} steps it once per optimizer update"
        n: Value = Unknown("the Trainer's number of training steps depends on the dataset size")
        ta = _find_call(flow, _kw(site.node, "args", spec[1]), site, _TRAINING_ARGUMENT_NAMES)
        if ta is not None:
            ms = _kw(ta.node, "max_steps")
            if ms is not None:
                v = resolver.resolve(ms, ta.ctx, ta.seq)
                if isinstance(v, Known) and _num(v.value) and v.value > 0:
                    n = Known(int(v.value), f"TrainingArguments(max_steps=...) ({v.source})")
        for oid in flow.objects(node, site.ctx, site.seq):
            kind = flow.by_id[oid].kind
            if kind == "scheduler":
                s = facts.scheduler(oid)
                if s is None or s.step_sites:
                    continue
                facts = _replace_sched(facts, replace(
                    s, stepped="batch", unit="step", horizon=n, horizon_source=getattr(n, "source", None),
                    description=via))
            elif kind == "optimizer" and not any(x.target == oid for x in facts.optimizer_steps):
                o = facts.optimizer(oid)
                if o is not None:
                    facts = replace(facts, optimizer_steps=facts.optimizer_steps + (
                        StepSite(oid, "optimizer", "step", o.loc, "batch", None, (), via=via),))
    return facts


def _hf_assumed_lengths(facts: FileFacts) -> FileFacts:
    """A transformers schedule in a custom loop whose run length is unknown: show its own num_training_steps."""
    for s in facts.schedulers:
        if s.framework != "hf" or isinstance(s.horizon, Known) or s.assumed_horizon is not None:
            continue
        n = s.args.get("num_training_steps")
        if isinstance(n, Known) and _num(n.value) and n.value > 0:
            facts = _replace_sched(facts, replace(s, assumed_horizon=Known(
                int(n.value), f"the schedule's own num_training_steps={int(n.value)}")))
    return facts


# ----------------------------------------------------------------------------------------- Lightning
def _lightning_modules(ix: Indexer) -> list[ClassInfo]:
    out: list[ClassInfo] = []
    changed = True
    while changed:
        changed = False
        for ci in ix.classes.values():
            if ci in out:
                continue
            if any(b.rsplit(".", 1)[-1] in LIGHTNING_MODULE_BASES or b in {m.name for m in out} for b in ci.bases):
                out.append(ci)
                changed = True
    return out


def _lightning(facts: FileFacts, flow: ObjectFlow, ix: Indexer, resolver: Resolver, builder: Any) -> FileFacts:
    modules = _lightning_modules(ix)
    if not modules:
        return facts
    # horizon from Trainer(max_epochs=, max_steps=)
    epochs: Value = resolver.known_attributes.get("self.trainer.max_epochs") or facts.horizon.epochs
    max_steps = resolver.known_attributes.get("self.trainer.max_steps")
    if not isinstance(facts.horizon.epochs, Known) and isinstance(epochs, Known):
        facts = replace(facts, horizon=replace(facts.horizon, epochs=epochs))
    if not isinstance(facts.horizon.total_steps, Known) and isinstance(max_steps, Known):
        facts = replace(facts, horizon=replace(facts.horizon, total_steps=max_steps))
    total = facts.horizon.total_steps
    unknown_keys: dict[str, list[str]] = {}
    for ci in modules:
        manual = any(isinstance(r.value, cst.Name) and r.value.value == "False"
                     for r in ci.attrs.get("automatic_optimization", []))
        co = ci.methods.get("configure_optimizers")
        if co is None:
            continue
        configs: list[tuple] = []
        for expr, rctx in co.returns:
            configs.extend(_lightning_configs(flow, resolver, expr, rctx))
        configs = _merge_configs(configs)
        order = list(dict.fromkeys(c[0] for c in configs if facts.scheduler(c[0]) is not None))
        explicit, opt_sites = _lightning_explicit_steps(facts, ix, ci, builder, order)
        for sid, interval, frequency, monitor, extra_keys in configs:
            s = facts.scheduler(sid)
            if s is None:
                continue
            if extra_keys:
                unknown_keys[sid] = extra_keys
            sites = _merge_sites(s.step_sites, explicit.get(sid, []))
            contexts = [x.context for x in sites]
            if interval is None:
                facts = _replace_sched(facts, replace(
                    s, stepped=_stepped_of(contexts), monitor=monitor, horizon=Unknown(
                        f"configure_optimizers returns it under {', '.join(repr(k) for k in extra_keys)}, keys "
                        "Lightning ignores (with a warning): only 'lr_scheduler' is stepped"),
                    step_sites=tuple(sites)))  # type: ignore[arg-type]
                continue
            if not manual:
                # Lightning steps it itself (no call in the source: not a step site)
                every_step = isinstance(interval, Known) and interval.value == "step"
                contexts.append("batch" if every_step else "epoch" if isinstance(interval, Known) else "unknown")
            stepped = _stepped_of(contexts)
            entry = lookup(s.cls)
            unit = s.unit if entry is None or entry.unit != "either" else ("step" if stepped == "batch" else "epoch")
            horizon = epochs if stepped == "epoch" else total if stepped == "batch" else Unknown(
                "the scheduler is never stepped (manual optimization)" if stepped == "never" else
                "the scheduler is stepped both per batch and per epoch" if stepped == "both" else
                f"whether Lightning steps it per batch or per epoch is not known: "
                f"{getattr(interval, 'reason', 'its interval is not known')}")
            facts = _replace_sched(facts, replace(
                s, interval=interval, monitor=monitor, stepped=stepped, unit=unit,  # type: ignore[arg-type]
                horizon=horizon, horizon_source=getattr(horizon, "source", None),
                step_sites=tuple(sorted(sites, key=lambda x: x.loc))))
            facts = _lightning_assumed(facts, facts.scheduler(sid), epochs)  # type: ignore[arg-type]
        steps = _merge_sites(facts.optimizer_steps, opt_sites)
        if not manual:
            # automatic optimization steps every optimizer returned by configure_optimizers once per batch
            for o in facts.optimizers:
                if o.function == f"{ci.name}.configure_optimizers" and not any(x.target == o.id for x in steps):
                    steps.append(StepSite(o.id, "optimizer", "step", o.loc, "batch", None, (),
                                          via="Lightning steps it once per batch (automatic optimization)"))
        facts = replace(facts, optimizer_steps=tuple(sorted(steps, key=lambda x: (x.loc, x.target))))
    if unknown_keys:
        facts = _with_extra(facts, "lightning_unknown_keys", unknown_keys)
    return facts


def _merge_sites(found: Any, explicit: list[StepSite]) -> list[StepSite]:
    """The generic pass may already know a call (with its argument); the Lightning view adds the context."""
    out = list(found)
    for e in explicit:
        same = next((i for i, g in enumerate(out) if g.target == e.target and g.loc == e.loc), None)
        if same is None:
            out.append(e)
        else:
            out[same] = replace(out[same], context=e.context, via=e.via)
    return out


def _lightning_assumed(facts: FileFacts, s: SchedulerFact, epochs: Value) -> FileFacts:
    """Arguments sized with ``self.trainer.estimated_stepping_batches`` (known only while training runs):
    the curve is shown with an assumed number of batches per epoch."""
    if s is None:
        return facts
    unknown = [k for k, v in s.args.items() if isinstance(v, Unknown) and "estimated_stepping_batches" in v.reason]
    if not unknown:
        return facts
    if not (isinstance(epochs, Known) and _num(epochs.value) and epochs.value > 0):
        return facts
    guess = Known(int(epochs.value) * ASSUMED_LEN, f"assumed estimated_stepping_batches = {epochs.value} epochs x "
                                                   f"{ASSUMED_LEN} batches (the dataset size is not stated)")
    assumed = dict(s.args)
    for k in unknown:
        assumed[k] = guess
    return _replace_sched(facts, replace(s, assumed_args=assumed,
                                         assumed_horizon=guess if s.stepped == "batch" else s.assumed_horizon))


# A returned config expression and where it is evaluated: (expression, context, position). The position (seq) is
# what the names in it refer to there: a name rebound later in the function (or earlier) is told apart.
_Where = tuple[cst.BaseExpression, Ctx, "int | None"]
# A key written into a config dict after it is built: (key, value expression, context, position, surely runs).
_Write = tuple[Any, cst.BaseExpression, Ctx, int, bool]


def _lightning_configs(flow: ObjectFlow, resolver: Resolver, expr: cst.BaseExpression, ctx: Ctx) -> list[tuple]:
    """(scheduler id, interval, frequency, monitor, unknown keys) for each scheduler configure_optimizers returns.

    Names are read where the return statement is: ``scheduler = {"scheduler": scheduler, "interval": "step"}`` before
    ``return [opt], [scheduler]`` returns the dict, whose "scheduler" is the previous binding of the name. A name whose
    live value depends on the path taken (an ``if`` that rebinds it) gives one entry per path; entries for the same
    scheduler are merged by :func:`_merge_configs`."""
    from ..catalog.lightning import LR_SCHEDULER_CONFIG_KEYS, OPTIMIZER_CONFIG_KEYS

    out: list[tuple] = []
    default_interval = Known("epoch", "Lightning default interval")
    default_frequency = Known(1, "Lightning default")

    def schedulers(where: _Where) -> list[str]:
        return [sid for sid in flow.objects(*where) if flow.by_id[sid].kind == "scheduler"]

    def sched_dict(m: dict[Any, list[_Where | None]], top_monitor: Value | None) -> None:
        if "scheduler" not in m:
            return
        interval = _choice(resolver, m.get("interval", [None]), default_interval, "interval")
        freq = _choice(resolver, m.get("frequency", [None]), default_frequency, "frequency")
        monitor = _choice(resolver, m.get("monitor", [None]), top_monitor, "monitor")
        extra = sorted(str(k) for k in m if k not in LR_SCHEDULER_CONFIG_KEYS)
        for alt in m["scheduler"]:
            if alt is not None:
                for sid in schedulers(alt):
                    out.append((sid, interval, freq, monitor, extra))

    def walk(where: _Where, top_monitor: Value | None = None) -> None:
        for bound, writes in _bindings(flow, resolver, where):
            node = bound[0]
            m = _config_mapping(resolver, bound, writes)
            if m is not None:
                if "scheduler" in m and "optimizer" not in m:
                    sched_dict(m, top_monitor)
                    continue
                mon = _choice(resolver, m["monitor"], top_monitor, "monitor") if "monitor" in m else top_monitor
                unknown = sorted(str(k) for k in m if k not in OPTIMIZER_CONFIG_KEYS)
                # Lightning warns and drops keys it does not know at this level ("scheduler", "interval"...):
                # a scheduler under such a key is never stepped
                for k in unknown:
                    for alt in m[k]:
                        for sid in schedulers(alt) if alt is not None else ():
                            out.append((sid, None, None, mon, unknown))
                for alt in m.get("lr_scheduler", ()):
                    if alt is None:
                        continue
                    for inner, inner_writes in _bindings(flow, resolver, alt):
                        im = _config_mapping(resolver, inner, inner_writes)
                        if im is not None:
                            sched_dict(im, mon)
                        else:
                            for sid in schedulers(inner):
                                out.append((sid, default_interval, default_frequency, mon, []))
                continue
            if isinstance(node, (cst.List, cst.Tuple)):
                for el in node.elements:
                    walk((el.value, bound[1], bound[2]), top_monitor)
                continue
            if isinstance(node, cst.IfExp):
                walk((node.body, bound[1], bound[2]), top_monitor)
                walk((node.orelse, bound[1], bound[2]), top_monitor)
                continue
            for sid in schedulers(bound):
                out.append((sid, default_interval, default_frequency, top_monitor, []))

    walk((expr, ctx, _return_seq(flow.ix, expr, ctx)))
    return out


def _return_seq(ix: Indexer, expr: cst.BaseExpression, ctx: Ctx) -> int | None:
    """The position of the return statement that holds ``expr`` (its names are read there), or None."""
    seqs = [s.seq for s in ix.calls if s.ctx is ctx]
    names: set[str] = set()

    class V(cst.CSTVisitor):
        def visit_Name(self, n: cst.Name) -> None:
            names.add(n.value)

    expr.visit(V())
    for name in names:
        seqs.extend(seq for _, c, seq in ix.reads.get(name, ()) if c is ctx)
    return min(seqs) if seqs else None


def _surely_before(ix: Indexer, done: Ctx, done_stmt: cst.CSTNode | None, use: Ctx,
                   use_stmt: cst.CSTNode | None) -> bool:
    """The statement ``done_stmt`` (earlier in the same function than ``use_stmt``) surely runs before it: it is not
    under an ``if`` or a loop that ``use_stmt`` is not in, or it is in the same block (an ``if`` branch) as it."""
    if done.scope is not use.scope or done.loops != use.loops[: len(done.loops)]:
        return False
    if done.conds == 0:
        return True
    if done.loops != use.loops or done.conds != use.conds or done_stmt is None or use_stmt is None:
        return False
    blocks = _statement_blocks(ix)
    block = blocks.get(id(done_stmt))
    return block is not None and block == blocks.get(id(use_stmt))


_BLOCKS: "weakref.WeakKeyDictionary[Indexer, dict[int, int]]" = weakref.WeakKeyDictionary()


def _statement_blocks(ix: Indexer) -> dict[int, int]:
    """id(statement) -> id(the block whose body holds it) for the whole module (computed once per file)."""
    found = _BLOCKS.get(ix)
    if found is not None:
        return found
    out: dict[int, int] = {id(st): id(ix.module) for st in ix.module.body}

    class V(cst.CSTVisitor):
        def visit_IndentedBlock(self, node: cst.IndentedBlock) -> None:
            for st in node.body:
                out[id(st)] = id(node)

        def visit_SimpleStatementSuite(self, node: cst.SimpleStatementSuite) -> bool:
            for st in node.body:
                out[id(st)] = id(node)
            return False

        def visit_SimpleStatementLine(self, node: cst.SimpleStatementLine) -> bool:
            return False  # no statements inside

    ix.module.visit(V())
    _BLOCKS[ix] = out
    return out


_CONFIG_VALUES = (cst.Dict, cst.List, cst.Tuple, cst.Name, cst.IfExp)


def _is_dict_call(node: cst.BaseExpression) -> bool:
    return isinstance(node, cst.Call) and dotted(node.func) == "dict"


def _bindings(flow: ObjectFlow, resolver: Resolver, where: _Where, depth: int = 0) -> list[tuple[_Where, list[_Write]]]:
    """What ``where`` stands for when it is a name bound to a config (a dict, ``dict(...)``, a list, a tuple): the
    value of each assignment live at that point, where it was assigned, with the keys written into it afterwards
    (``config["interval"] = "step"``, ``config.update(interval="step")``). Anything else is returned unchanged."""
    node, ctx, seq = where
    if not isinstance(node, cst.Name) or depth >= 6:
        return [(where, [])]
    scope, recs = resolver._assignments(node.value, ctx, seq)
    if not recs:
        return [(where, [])]
    local = scope is ctx.scope
    use_stmt = flow.ix.owner.get(id(node))
    live = _live_assignments(flow.ix, recs, ctx, use_stmt) if local else recs
    if any(r.kind != "assign" or r.value is None for r in live) or not any(
            isinstance(r.value, _CONFIG_VALUES) or _is_dict_call(r.value) for r in live):
        return [(where, [])]
    out: list[tuple[_Where, list[_Write]]] = []
    for r in live:
        writes = _config_writes(flow, resolver, node.value, r, ctx, seq, use_stmt) if local else []
        for bound, more in _bindings(flow, resolver, (r.value, r.ctx, r.seq), depth + 1):
            out.append((bound, more + writes))
    return out


def _live_assignments(ix: Indexer, recs: list, use: Ctx, use_stmt: cst.CSTNode | None) -> list:
    """The assignments that may be the value at ``use``: from the last one that surely runs before it onwards."""
    for i in range(len(recs) - 1, -1, -1):
        r = recs[i]
        if r.kind in ("assign", "unpack") and _surely_before(ix, r.ctx, r.node, use, use_stmt):
            return recs[i:]
    return recs


def _config_writes(flow: ObjectFlow, resolver: Resolver, name: str, rec: Any, use: Ctx, seq: int | None,
                   use_stmt: cst.CSTNode | None) -> list[_Write]:
    """Keys set on the dict bound to ``name`` by ``rec`` before ``use``: ``name[key] = v`` and ``name.update(...)``."""
    ix = flow.ix
    out: list[_Write] = []

    def between(ctx: Ctx, at: int) -> bool:
        return ctx.scope is use.scope and rec.seq < at and (seq is None or at < seq)

    for w in ix.sub_writes:
        t = w.target
        if not (isinstance(t.value, cst.Name) and t.value.value == name and len(t.slice) == 1 and
                isinstance(t.slice[0].slice, cst.Index) and between(w.ctx, w.seq)):
            continue
        k = resolver.resolve(t.slice[0].slice.value, w.ctx, w.seq)
        if isinstance(k, Known):
            out.append((k.value, w.value, w.ctx, w.seq, _surely_before(ix, w.ctx, w.stmt, use, use_stmt)))
    for site in ix.calls:
        if site.path != f"{name}.update" or not between(site.ctx, site.seq):
            continue
        surely = _surely_before(ix, site.ctx, site.stmt, use, use_stmt)
        for a in site.node.args:
            if a.keyword is not None:
                out.append((a.keyword.value, a.value, site.ctx, site.seq, surely))
            elif not a.star and isinstance(a.value, cst.Dict):
                for el in a.value.elements:
                    if isinstance(el, cst.DictElement):
                        k = resolver.resolve(el.key, site.ctx, site.seq)
                        if isinstance(k, Known):
                            out.append((k.value, el.value, site.ctx, site.seq, surely))
    return sorted(out, key=lambda w: w[3])


def _config_mapping(resolver: Resolver, where: _Where, writes: list[_Write]) -> dict[Any, list[_Where | None]] | None:
    """The keys of a config dict (a literal or ``dict(...)``), each with its possible values (None: the key may be
    missing, when only a conditional write adds it); None when ``where`` is not a dict."""
    node, ctx, seq = where
    items: dict[Any, list[_Where | None]] = {}
    if isinstance(node, cst.Dict):
        for el in node.elements:
            if isinstance(el, cst.DictElement):
                k = resolver.resolve(el.key, ctx, seq)
                if isinstance(k, Known):
                    items[k.value] = [(el.value, ctx, seq)]
    elif _is_dict_call(node):
        assert isinstance(node, cst.Call)
        for a in node.args:
            if a.keyword is not None:
                items[a.keyword.value] = [(a.value, ctx, seq)]
            elif not a.star and isinstance(a.value, cst.Dict):
                for el in a.value.elements:
                    if isinstance(el, cst.DictElement):
                        k = resolver.resolve(el.key, ctx, seq)
                        if isinstance(k, Known):
                            items[k.value] = [(el.value, ctx, seq)]
    else:
        return None
    for key, value, wctx, wseq, surely in writes:
        alt: _Where = (value, wctx, wseq)
        items[key] = [alt] if surely else items.get(key, [None]) + [alt]
    return items


def _choice(resolver: Resolver, alts: list[_Where | None], default: Value | None, key: str) -> Value | None:
    """The value of a config key that may take several values (one per path): the value when they all agree."""
    vals = [resolver.resolve(*alt) if alt is not None else default for alt in alts]
    if len(vals) == 1:
        return vals[0]
    if all(isinstance(v, Known) for v in vals) and len({repr(v.value) for v in vals}) == 1:  # type: ignore
        return next((v for v in vals if v is not default), vals[0])
    shown = ", ".join(dict.fromkeys(
        "unset" if v is None else repr(v.value) if isinstance(v, Known) else "unknown" for v in vals))
    return Unknown(f"the {key!r} of its scheduler config depends on the path through configure_optimizers "
                   f"({shown})")


def _merge_configs(configs: list[tuple]) -> list[tuple]:
    """One entry per scheduler: several returns (or paths) that agree are one; where they disagree, the values that
    differ are unknown. A path that steps it wins over one that drops it under a key Lightning ignores."""
    by_sid: dict[str, list[tuple]] = {}
    for c in configs:
        by_sid.setdefault(c[0], []).append(c)
    out = []
    for sid, entries in by_sid.items():
        stepped = [e for e in entries if e[1] is not None]
        entries = stepped or entries
        if len(entries) == 1 or len({repr(e[1:]) for e in entries}) == 1:
            out.append(entries[0])
            continue
        merged: list[Any] = [sid]
        for i, key in ((1, "interval"), (2, "frequency"), (3, "monitor")):
            vals = [e[i] for e in entries]
            if len({repr(v) for v in vals}) == 1:
                merged.append(vals[0])
            elif all(isinstance(v, Known) for v in vals) and len({repr(v.value) for v in vals}) == 1:
                merged.append(vals[0])
            elif entries[0][1] is None:
                merged.append(None)
            else:
                shown = ", ".join(dict.fromkeys(
                    "unset" if v is None else repr(v.value) if isinstance(v, Known) else "unknown" for v in vals))
                merged.append(Unknown(f"configure_optimizers returns it with different {key} values on different "
                                      f"paths ({shown})"))
        merged.append(sorted({k for e in entries for k in e[4]}))
        out.append(tuple(merged))
    return out


def _lightning_explicit_steps(facts: FileFacts, ix: Indexer, ci: ClassInfo, builder: Any,
                              order: list[str]) -> tuple[dict[str, list[StepSite]], list[StepSite]]:
    """Steps the module makes itself: ``sch = self.lr_schedulers(); sch.step()``, ``opt = self.optimizers();
    opt.step()`` (manual optimization, or an extra step on top of Lightning's own)."""
    scheds = list(order)
    opts = [o.id for o in facts.optimizers if o.function == f"{ci.name}.configure_optimizers"]
    sites: dict[str, list[StepSite]] = {}
    opt_sites: list[StepSite] = []
    for fn in ci.methods.values():
        holders = _accessor_names(fn, scheds, opts)
        for site in ix.calls:
            if site.ctx.scope.function is not fn or _method(site) != "step":
                continue
            func = site.node.func
            if not isinstance(func, cst.Attribute):
                continue
            recv = func.value
            key = dotted(recv)
            targets: list[str] = []
            if key is not None and key in holders:
                targets = holders[key]
            elif isinstance(recv, cst.Call) and dotted(recv.func) in ("self.lr_schedulers", "self.optimizers"):
                targets = scheds if dotted(recv.func) == "self.lr_schedulers" else opts
            if not targets:
                continue
            context, via = _manual_context(fn, site, builder)
            for oid in targets:
                kind = "scheduler" if oid in scheds else "optimizer"
                step = _site_step(builder, site, oid, kind, "step", context=context, via=via)
                (sites.setdefault(oid, []) if kind == "scheduler" else opt_sites).append(step)
    return sites, opt_sites


def _accessor_names(fn: Any, scheds: list[str], opts: list[str]) -> dict[str, list[str]]:
    """Local names bound to ``self.lr_schedulers()`` / ``self.optimizers()`` (whole, unpacked or indexed)."""
    out: dict[str, list[str]] = {}
    for name, recs in fn.scope.assigns.items():
        for r in recs:
            v = r.value
            index = r.index if r.kind == "unpack" else None
            if isinstance(v, cst.Subscript) and len(v.slice) == 1 and isinstance(v.slice[0].slice, cst.Index) \
                    and isinstance(v.slice[0].slice.value, cst.Integer):
                index = int(v.slice[0].slice.value.value)
                v = v.value
            if not isinstance(v, cst.Call):
                continue
            acc = dotted(v.func)
            if acc not in ("self.lr_schedulers", "self.optimizers"):
                continue
            pool = scheds if acc == "self.lr_schedulers" else opts
            if index is None:
                out[name] = list(pool)
            elif 0 <= index < len(pool):
                out[name] = [pool[index]]
    return out


def _manual_context(fn: Any, site: CallSite, builder: Any) -> tuple[str, str]:
    from .loops import PER_BATCH_METHODS, PER_EPOCH_METHODS

    cond = _enclosing_if_text(fn.node, site.node)
    if fn.name in PER_EPOCH_METHODS:
        return "epoch", f"{fn.name}() runs once per epoch (manual optimization)"
    if fn.name in PER_BATCH_METHODS:
        if cond is not None and ("is_last_batch" in cond or "num_training_batches" in cond):
            return "epoch", f"{fn.name}() steps it on the last batch of each epoch ({cond})"
        return "batch", f"{fn.name}() runs once per batch (manual optimization)"
    sc = builder.site_context(site)
    return sc.context, sc.via or f"{fn.name}()"


def _enclosing_if_text(root: cst.CSTNode, target: cst.CSTNode) -> str | None:
    found: list[str] = []

    class V(cst.CSTVisitor):
        def __init__(self) -> None:
            self.stack: list[cst.If] = []

        def visit_If(self, node: cst.If) -> None:
            self.stack.append(node)

        def leave_If(self, node: cst.If) -> None:
            self.stack.pop()

        def visit_Call(self, node: cst.Call) -> None:
            if node is target and self.stack:
                found.append(cst.Module(body=[]).code_for_node(self.stack[-1].test))

    root.visit(V())
    return found[0] if found else None


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


# ----------------------------------------------------------------------------------------- accelerate
def _prepared_steps(facts: FileFacts, flow: ObjectFlow, ix: Indexer, builder: Any) -> FileFacts:
    """``model, optimizer, loader, scheduler = accelerator.prepare(model, optimizer, loader, scheduler)`` returns
    the same objects, wrapped: ``optimizer.step()`` / ``scheduler.step()`` afterwards step the originals."""
    aliases: list[tuple[str, str, Any, int]] = []  # (name, object id, scope, seq of the assignment)
    for site in ix.calls:
        if _method(site) != "prepare":
            continue
        recs = [r for recs in site.ctx.scope.assigns.values() for r in recs if r.value is site.node]
        for r in recs:
            index = r.index if r.kind == "unpack" else (0 if len(site.node.args) == 1 else None)
            if index is None or index >= len(site.node.args):
                continue
            # the right-hand side is evaluated before the assignment it feeds
            for oid in flow.objects(site.node.args[index].value, site.ctx, r.seq):
                aliases.append((r.target, oid, site.ctx.scope, r.seq))
    if not aliases:
        return facts
    # a scheduler built on the prepared optimizer schedules the original one
    for s in facts.schedulers:
        c = flow.by_id.get(s.id)
        node = c.bound.get("optimizer") if c is not None and s.optimizer is None else None
        if node is None or not isinstance(node, cst.Name):
            continue
        assert c is not None
        hits = [oid for name, oid, scope, seq in aliases if name == node.value and scope is c.site.ctx.scope
                and seq < c.site.seq and flow.by_id[oid].kind == "optimizer"]
        if hits:
            facts = _replace_sched(facts, replace(s, optimizer=hits[-1], optimizer_reason=None))
    new_sched: dict[str, list[StepSite]] = {}
    new_opt: list[StepSite] = []
    for site in ix.calls:
        m = _method(site)
        if m not in ("step", "step_update") or not isinstance(site.node.func, cst.Attribute):
            continue
        recv = dotted(site.node.func.value)
        for name, oid, scope, seq in aliases:
            if recv != name or site.ctx.scope is not scope or site.seq < seq:
                continue
            kind = flow.by_id[oid].kind
            if kind == "scheduler":
                s = facts.scheduler(oid)
                if s is not None and not any(x.loc == builder.loc.location(site.node) for x in s.step_sites):
                    new_sched.setdefault(oid, []).append(builder._site(site, oid, "scheduler", m, with_arg=True))
            elif not any(x.target == oid and x.loc == builder.loc.location(site.node) for x in facts.optimizer_steps):
                new_opt.append(builder._site(site, oid, "optimizer", "step", with_arg=False))
    for oid, sites in new_sched.items():
        s = facts.scheduler(oid)
        if s is None:
            continue
        allsites = tuple(sorted(s.step_sites + tuple(sites), key=lambda x: x.loc))
        s = replace(s, step_sites=allsites, stepped=_stepped_of(allsites))  # type: ignore[arg-type]
        s = builder._with_horizon(s, facts.horizon)
        facts = _replace_sched(facts, s)
    if new_opt:
        facts = replace(facts, optimizer_steps=tuple(sorted(facts.optimizer_steps + tuple(new_opt),
                                                            key=lambda x: (x.loc, x.target))))
    return facts


def _accelerate(facts: FileFacts, flow: ObjectFlow, ix: Indexer, resolver: Resolver, builder: Any) -> FileFacts:
    if not ix.imports.mentions("accelerate"):
        return facts
    facts = _prepared_steps(facts, flow, ix, builder)
    prepared: dict[str, CallSite] = {}
    for site in ix.calls:
        if _method(site) != "prepare":
            continue
        seqs = [r.seq for recs in site.ctx.scope.assigns.values() for r in recs if r.value is site.node]
        at = min(seqs) if seqs else site.seq
        for a in site.node.args:
            for oid in flow.objects(a.value, site.ctx, at):
                if flow.by_id[oid].kind == "scheduler":
                    prepared.setdefault(oid, site)
    if not prepared:
        return facts
    steps_per_call: Any = "num_processes"
    for site in ix.calls:
        if _qual(flow, site) in ("accelerate.Accelerator", "accelerate.accelerator.Accelerator"):
            for key in ("split_batches", "step_scheduler_with_optimizer"):
                node = _kw(site.node, key)
                if node is None:
                    continue
                v = resolver.resolve(node, site.ctx, site.seq)
                if not isinstance(v, Known):
                    steps_per_call = None
                elif (key == "split_batches" and v.value) or (key == "step_scheduler_with_optimizer" and not v.value):
                    steps_per_call = 1
    info: dict[str, Any] = {}
    for sid, site in sorted(prepared.items()):
        s = facts.scheduler(sid)
        c = flow.by_id.get(sid)
        if s is None or c is None:
            continue
        length_nodes = [n for k, n in c.bound.items() if k != "optimizer"]
        scaled = any(_mentions_num_processes(flow, resolver, n, c.site.ctx, c.site.seq) for n in length_nodes)
        loaders = [_len_loader_state(flow, resolver, n, c.site.ctx, c.site.seq) for n in length_nodes]
        if scaled or "unprepared" in loaders:
            sizing = "global"  # counts every process's batches, as the prepared scheduler does
        elif "prepared" in loaders:
            sizing = "per_process"  # len() of a prepared (sharded) dataloader, not multiplied by num_processes
        else:
            sizing = "unknown"
        info[sid] = {"prepare_line": resolver.loc_line(site.node), "scaled_by_num_processes": scaled,
                     "sizing": sizing, "steps_per_call": steps_per_call}
        facts = _accelerate_assumed(facts, flow, resolver, s, c)
    facts = _with_extra(facts, "accelerate_prepared", sorted(info))
    return _with_extra(facts, "accelerate", info)


def _mentions_num_processes(flow: ObjectFlow, resolver: Resolver, node: cst.BaseExpression, ctx: Ctx,
                            seq: int | None, depth: int = 0) -> bool:
    text = flow.ix.text(node, 400)
    if "num_processes" in text or "world_size" in text or "num_replicas" in text:
        return True
    if depth >= 3:
        return False
    names: list[str] = []

    class V(cst.CSTVisitor):
        def visit_Name(self, n: cst.Name) -> None:
            names.append(n.value)

        def visit_Attribute(self, n: cst.Attribute) -> bool:
            d = dotted(n)
            if d:
                names.append(d)
            return False

    node.visit(V())
    for name in dict.fromkeys(names):
        _, recs = resolver._assignments(name, ctx, seq)
        for r in recs[-2:]:
            if r.value is not None and _mentions_num_processes(flow, resolver, r.value, r.ctx, r.seq, depth + 1):
                return True
    return False


def _len_loader_state(flow: ObjectFlow, resolver: Resolver, node: cst.BaseExpression, ctx: Ctx, seq: int | None,
                      depth: int = 0) -> str | None:
    """"prepared" when ``node`` uses ``len(X)`` of a dataloader returned by ``accelerator.prepare``, "unprepared" for
    ``len(X)`` of one that is not (yet) prepared, None when it uses no ``len()``."""
    found: list[str] = []

    class V(cst.CSTVisitor):
        def visit_Call(self, n: cst.Call) -> None:
            if dotted(n.func) == "len" and n.args and isinstance(n.args[0].value, cst.Name):
                found.append(n.args[0].value.value)

    node.visit(V())
    states = []
    for name in found:
        _, recs = resolver._assignments(name, ctx, seq)
        live = recs[-1] if recs else None
        prepared = live is not None and isinstance(live.value, cst.Call) and \
            (dotted(live.value.func) or "").endswith(".prepare")
        states.append("prepared" if prepared else "unprepared")
    if not states and depth < 3:
        names: list[str] = []

        class N(cst.CSTVisitor):
            def visit_Name(self, n: cst.Name) -> None:
                names.append(n.value)

        node.visit(N())
        for name in dict.fromkeys(names):
            _, recs = resolver._assignments(name, ctx, seq)
            for r in recs[-1:]:
                if r.value is not None and r.kind == "assign":
                    st = _len_loader_state(flow, resolver, r.value, r.ctx, r.seq, depth + 1)
                    if st is not None:
                        states.append(st)
    if "prepared" in states:
        return "prepared"
    return "unprepared" if states else None


def _accelerate_assumed(facts: FileFacts, flow: ObjectFlow, resolver: Resolver, s: SchedulerFact,
                        c: Creation) -> FileFacts:
    """Lengths written as ``n * accelerator.num_processes``: a prepared scheduler advances num_processes steps per
    call, so per optimizer update the curve is the one of a single process (num_processes = 1)."""
    unknown = [k for k, v in s.args.items() if isinstance(v, Unknown) and k in c.bound]
    if not unknown:
        return facts
    assumed = dict(s.assumed_args or s.args)
    changed = False
    for k in unknown:
        v = _one_process_value(flow, resolver, c.bound[k], c.site.ctx, c.site.seq)
        if v is not None:
            assumed[k] = v
            changed = True
    if not changed:
        return facts
    horizon = s.assumed_horizon
    if horizon is None:
        n = assumed.get("num_training_steps")
        if isinstance(n, Known) and _num(n.value):
            horizon = Known(int(n.value), f"the schedule's own num_training_steps ({n.source})")
    return _replace_sched(facts, replace(s, assumed_args=assumed, assumed_horizon=horizon))


def _one_process_value(flow: ObjectFlow, resolver: Resolver, node: cst.BaseExpression, ctx: Ctx, seq: int | None,
                       depth: int = 0) -> Value | None:
    if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.Multiply):
        for side, other in ((node.left, node.right), (node.right, node.left)):
            if (dotted(side) or "").endswith("num_processes"):
                inner = _one_process_value(flow, resolver, other, ctx, seq, depth + 1)
                if isinstance(inner, Known):
                    return Known(inner.value, f"{inner.source}, per process (x num_processes, which the prepared "
                                              "scheduler undoes by stepping num_processes times per call)")
                return inner
    if isinstance(node, cst.Name) and depth < 3:
        _, recs = resolver._assignments(node.value, ctx, seq)
        recs = [r for r in recs if r.kind == "assign" and r.value is not None]
        if len(recs) == 1:
            r = recs[0]
            return _one_process_value(flow, resolver, r.value, r.ctx, r.seq, depth + 1)  # type: ignore[arg-type]
    old = resolver.assumed_len
    resolver.assumed_len = ASSUMED_LEN
    try:
        v = resolver.resolve(node, ctx, seq)
    finally:
        resolver.assumed_len = old
    return v if isinstance(v, Known) else None


__all__ = ["register_factories", "apply_frameworks", "FunctionValue", "ASSUMED_LEN"]
