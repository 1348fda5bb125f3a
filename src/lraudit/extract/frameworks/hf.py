"""Hugging Face: ``get_scheduler``, the ``Trainer`` (and TRL trainers) with the optimizer and schedule it builds
from ``TrainingArguments``, and the horizons those arguments state."""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Any

import libcst as cst

from ...catalog import lookup
from ...catalog.base import REQUIRED
from ...catalog.hf import TRL_CONFIG_DEFAULTS, TRL_TRAINERS
from ...facts import FileFacts, Known, StepSite, Unknown, Value
from ..imports import dotted
from ..index import CallSite, Indexer
from ..objects import Creation, ObjectFlow, bind_arguments
from ..values import Resolver
from .base import FactsBuilder, ASSUMED_LEN, _kw, _names_in, _num, _plain, _qual, _replace_opt, _replace_sched, _with_extra


_TRAINING_ARGUMENT_NAMES = ("TrainingArguments", "Seq2SeqTrainingArguments") + tuple(sorted(TRL_CONFIG_DEFAULTS))


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


def _hf_get_scheduler(flow: ObjectFlow, site: CallSite, resolver: Resolver) -> None:
    from ...catalog.hf import SCHEDULER_TYPE_MEMBERS, SCHEDULER_TYPES

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


def _hf_trainer(flow: ObjectFlow, site: CallSite, resolver: Resolver) -> None:
    """A transformers (or TRL) Trainer builds the optimizer named by ``optim`` (AdamW by default) and the schedule
    from its TrainingArguments; a TRL trainer's config class (SFTConfig, DPOConfig...) has its own defaults."""
    from ...catalog.hf import SCHEDULER_TYPES

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
    from_command_line = False
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
        from_command_line = True
        config = parsed if parsed in TRL_CONFIG_DEFAULTS or parsed.endswith("TrainingArguments") else own_config
        parser = "HfArgumentParser" if config.endswith("TrainingArguments") else "the argument parser"
        note = f" (the arguments are parsed from the command line by {parser}, which may override it)"
        default_source = "TrainingArguments default" + note
    overrides = TRL_CONFIG_DEFAULTS.get(config, {})
    if from_command_line:  # parsed from the command line: `--set learning_rate=2e-5` is that run
        from ..values import literal_value, override_for

        for k in ("learning_rate", "lr_scheduler_type", "warmup_steps", "warmup_ratio", "num_train_epochs",
                  "max_steps", "gradient_accumulation_steps", "weight_decay", "lr_scheduler_kwargs",
                  "per_device_train_batch_size"):
            set_here = override_for(resolver.overrides, k, [])
            if set_here is not None and (ta_entry.param(k) is not None or k == "warmup_ratio"):
                ta_values[k] = Known(literal_value(set_here[1]), f"--set {set_here[0]}={set_here[1]}")
    for k in ("learning_rate", "lr_scheduler_type", "warmup_steps", "num_train_epochs", "max_steps",
              "gradient_accumulation_steps", "weight_decay", "lr_scheduler_kwargs", "per_device_train_batch_size"):
        if k in ta_values:
            continue
        if k in overrides:
            from ...catalog.hf import TRL_SOURCE

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
        from ...catalog.hf import SCHEDULER_TYPE_MEMBERS

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
    from ...catalog.hf import ADAM_KWARGS, OPTIM_ARGS_KEYS, TRAINER_OPTIMIZERS

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
    from ...catalog.hf import OPTIMIZER_NAME_MEMBERS, OPTIMIZER_NAME_TYPES

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


# ---------------------------------------------------------------------------------------- HF trainer
def _hf_after(facts: FileFacts, flow: ObjectFlow, ix: Indexer, resolver: Resolver, builder: FactsBuilder) -> FileFacts:
    from ...catalog.hf_sim import hf_warmup_steps

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
        if "deepspeed" in hv:  # TrainingArguments(deepspeed="ds_config.json"): DeepSpeed's sections take over
            from .deepspeed import trainer_deepspeed

            facts = trainer_deepspeed(facts, s.id, opt_id, hv, n, warmup(n))
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
