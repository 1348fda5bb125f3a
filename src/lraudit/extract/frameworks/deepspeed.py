"""DeepSpeed: a scheduler handed to ``deepspeed.initialize(lr_scheduler=...)`` is stepped by the engine.

``engine, optimizer, _, scheduler = deepspeed.initialize(model=..., optimizer=..., lr_scheduler=sched, ...)``:
DeepSpeed's engine calls ``lr_scheduler.step()`` inside ``engine.step()`` after every optimizer step that did not
overflow (deepspeed 0.19.8 ``DeepSpeedEngine._take_model_step``). So the scheduler's step sites are the file's
``engine.step()`` calls (with their loop context), added to any ``step()`` the file writes itself. A scheduler
the engine builds from its config is read by ``configs/deepspeed.py`` (config files); this adapter only follows
the scheduler objects the script passes in.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import libcst as cst

from ...facts import FileFacts, StepSite
from ..imports import dotted
from ..index import Indexer
from ..objects import DEEPSPEED_INITIALIZE as _INITIALIZE, ObjectFlow
from ..values import Resolver
from .base import FactsBuilder, _kw, _method, _qual, _replace_sched, _stepped_of

__all__ = ["deepspeed_engines"]



def deepspeed_engines(facts: FileFacts, flow: ObjectFlow, ix: Indexer, resolver: Resolver, builder: FactsBuilder) -> FileFacts:
    if not ix.imports.mentions("deepspeed") or builder is None:
        return facts
    engines: list[tuple[str, Any, int, list[str]]] = []  # (engine name, scope, seq, scheduler ids)
    for site in ix.calls:
        if _qual(flow, site) not in _INITIALIZE:
            continue
        node = _kw(site.node, "lr_scheduler")
        sids = [o for o in flow.objects(node, site.ctx, site.seq) if flow.by_id[o].kind == "scheduler"] \
            if node is not None else []
        if node is None:
            facts, sids = _config_objects(facts, flow, site, resolver, builder)
        if not sids:
            continue
        for recs in site.ctx.scope.assigns.values():
            for r in recs:
                if r.value is site.node and (r.kind == "unpack" and r.index == 0):
                    engines.append((r.target, site.ctx.scope, r.seq, sids))
    if not engines:
        return facts
    added: dict[str, list[StepSite]] = {}
    for site in ix.calls:
        if _method(site) != "step" or not isinstance(site.node.func, cst.Attribute):
            continue
        recv = dotted(site.node.func.value)
        for name, scope, seq, sids in engines:
            if recv != name or site.seq < seq or not _same_or_inner(site.ctx.scope, scope):
                continue
            for sid in sids:
                added.setdefault(sid, []).append(builder._site(site, sid, "scheduler", "step", with_arg=False))
    for sid, sites in added.items():
        s = facts.scheduler(sid)
        if s is None:
            continue
        known = {x.loc for x in s.step_sites}
        new = tuple(x for x in sites if x.loc not in known)
        allsites = tuple(sorted(s.step_sites + new, key=lambda x: x.loc))
        via = "DeepSpeed's engine steps it in engine.step(), after every optimizer step"
        s = replace(s, step_sites=tuple(replace(x, via=x.via or via) if x in new else x for x in allsites),
                    stepped=_stepped_of(allsites))  # type: ignore[arg-type]
        s = builder._with_horizon(s, facts.horizon)
        facts = _replace_sched(facts, s)
    return facts


def _config_objects(facts: FileFacts, flow: ObjectFlow, site: Any, resolver: Resolver, builder: FactsBuilder
                    ) -> tuple[FileFacts, list[str]]:
    """``deepspeed.initialize(config=ds_config)`` / ``config_params=`` given as a Python dict (a literal, a dict
    built in a function, ``json.load(open(path))``) or a path: the engine builds the config's ``"optimizer"``
    (unless the script passes ``optimizer=``) and ``"scheduler"`` (the script passes no ``lr_scheduler=`` here).
    The facts come from the same reader as DeepSpeed JSON files; they are placed at the ``initialize`` call.
    Returns the facts and the ids of the schedulers the engine steps."""
    from ...configs import deepspeed as ds_config
    from ...facts import Known

    node = _kw(site.node, "config") or _kw(site.node, "config_params")
    args_node = _kw(site.node, "args")
    if node is None and args_node is not None:
        # DeepSpeed reads the file named by args.deepspeed_config (deepspeed.add_config_arguments' option)
        node = cst.Attribute(value=args_node, attr=cst.Name("deepspeed_config"))
    if node is None:
        return facts, []
    data, lines, where, quoteless, origin = _config_data(node, site, resolver, facts.path)
    if not isinstance(data, dict) or not ds_config.looks_like_deepspeed(data):
        return facts, []
    n_opt = 1 + max((int(o.id[3:]) for o in facts.optimizers if o.id[3:].isdigit()), default=0)
    n_sched = 1 + max((int(x.id[5:]) for x in facts.schedulers if x.id[5:].isdigit()), default=0)
    r = ds_config.read(data, lines, where, origin=origin, quoteless=frozenset(quoteless))
    loc = builder.loc.location(site.node)
    targets = {rec.index: rec.target for recs in site.ctx.scope.assigns.values() for rec in recs
               if rec.value is site.node and rec.kind == "unpack"}
    client = _kw(site.node, "optimizer")
    client_ids = [o for o in flow.objects(client, site.ctx, site.seq) if flow.by_id[o].kind == "optimizer"] \
        if client is not None else []
    opt_id: str | None = client_ids[0] if client_ids else None
    if client is None and r.optimizers:
        o = r.optimizers[0]
        opt_id = f"opt{n_opt}"
        facts = replace(facts, optimizers=facts.optimizers + (replace(
            o, id=opt_id, loc=loc, variable=_kept(targets.get(1)), lr_arg_loc=None),))
    sids: list[str] = []
    if r.schedulers:
        d = r.schedulers[0]
        sid = f"sched{n_sched}"
        why = None if opt_id else ("the optimizer passed as optimizer= is not known" if client is not None else
                                   "the config has no optimizer section")
        facts = replace(facts, schedulers=facts.schedulers + (replace(
            d, id=sid, loc=loc, variable=_kept(targets.get(3)), arg_locs={}, optimizer=opt_id, optimizer_reason=why,
            stepped="unknown", step_sites=(),
            description=f"built by deepspeed.initialize from {where}; the engine steps it in engine.step()"),))
        sids.append(sid)
    return facts, sids


def _kept(name: str | None) -> str | None:
    return None if name is None or name == "_" else name


def _config_data(node: Any, site: Any, resolver: Resolver, script: str
                 ) -> tuple[Any, dict[tuple[Any, ...], int], str, set[tuple[Any, ...]], str | None]:
    """The config a ``config=`` argument holds: a dict value (its source names where the script writes it), or the
    JSON file a path names (also ``json.load(open(path))``), read as DeepSpeed reads it."""
    from ...facts import Known

    v = resolver.resolve(node, site.ctx, site.seq)
    path_node = None
    if not isinstance(v, Known):
        path_node = _json_load_path(node)
        if path_node is None:
            part = _sections(node, site, resolver)
            if part is not None:
                return part[0], {}, f"the config= dict ({part[1]})", set(), None
            return None, {}, "", set(), None
        v = resolver.resolve(path_node, site.ctx, site.seq)
        if not isinstance(v, Known) or not isinstance(v.value, str):
            return None, {}, "", set(), None
    if isinstance(v.value, dict):
        return v.value, {}, f"the config= dict ({v.source})", set(), None
    if isinstance(v.value, str):
        from ...configs import jsonc
        from ...configs.base import ConfigError, display_of, load_file

        path = _config_path(v.value, script)
        if path is None:
            return None, {}, "", set(), None
        quoteless: set[tuple[Any, ...]] = set()
        try:
            text = load_file(path, "text", lambda b, _p: b.decode("utf-8-sig"))
            data, lines = jsonc.parse(text, quoteless)
        except (ConfigError, ValueError, UnicodeDecodeError):
            return None, {}, "", set(), None
        return data, lines, display_of(path), quoteless, f"the file named by {v.source}"
    return None, {}, "", set(), None


_SECTIONS = ("optimizer", "scheduler")


def _sections(node: Any, site: Any, resolver: Resolver) -> tuple[dict[str, Any], str] | None:
    """A config dict the script writes whose other keys are only known at run time (``"train_batch_size":
    batch_size``, ``dtype: {...}``): its ``"optimizer"`` / ``"scheduler"`` sections, resolved on their own. The
    dict is the argument itself or the last ``name = {...}`` before the call in the same scope."""
    from ...facts import Known

    d, ctx, seq, name = node, site.ctx, site.seq, None
    if isinstance(node, cst.Name):
        recs = [r for r in site.ctx.scope.assigns.get(node.value, []) if r.seq < site.seq and r.kind == "assign"]
        if not recs or not isinstance(recs[-1].value, cst.Dict):
            return None
        d, ctx, seq, name = recs[-1].value, recs[-1].ctx, recs[-1].seq, node.value
    if not isinstance(d, cst.Dict):
        return None
    out: dict[str, Any] = {}
    sources = []
    for el in d.elements:
        if not isinstance(el, cst.DictElement) or not isinstance(el.key, cst.SimpleString):
            continue
        key = el.key.evaluated_value
        if key not in _SECTIONS:
            continue
        v = resolver.resolve(el.value, ctx, seq)
        if isinstance(v, Known) and isinstance(v.value, dict):
            out[key] = v.value
            sources.append(v.source)
    if not out:
        return None
    return out, (f"{name}, " if name else "") + "; ".join(dict.fromkeys(sources))


def _json_load_path(node: Any) -> Any:
    """``json.load(open(PATH))`` / ``json.load(open(PATH, "r"))`` / ``json.loads(Path(PATH).read_text())``: PATH."""
    if not isinstance(node, cst.Call) or dotted(node.func) not in ("json.load", "json.loads") or not node.args:
        return None
    inner = node.args[0].value
    if isinstance(inner, cst.Call) and dotted(inner.func) == "open" and inner.args:
        return inner.args[0].value
    if isinstance(inner, cst.Call) and isinstance(inner.func, cst.Attribute) and inner.func.attr.value == "read_text" \
            and isinstance(inner.func.value, cst.Call) and dotted(inner.func.value.func) in ("Path", "pathlib.Path") \
            and inner.func.value.args:
        return inner.func.value.args[0].value
    return None


def _same_or_inner(scope: Any, outer: Any) -> bool:
    while scope is not None:
        if scope is outer:
            return True
        scope = getattr(scope, "parent", None)
    return False


# ------------------------------------------------- TrainingArguments(deepspeed="ds_config.json") and the Trainer


def trainer_deepspeed(facts: FileFacts, sid: str, opt_id: str | None, ta: dict[str, Any], total: Any,
                      warmup: Any) -> FileFacts:
    """A Trainer whose TrainingArguments name a DeepSpeed config: the config's ``scheduler`` (and ``optimizer``)
    section replaces the Trainer's own, with the ``"auto"`` values the Trainer fills (transformers 5.24
    ``HfTrainerDeepSpeedConfig``: lr, betas, eps and weight_decay from TrainingArguments, warmup_min_lr 0,
    warmup_max_lr the learning rate, total_num_steps the Trainer's step count, warmup_num_steps
    ``max(1, get_warmup_steps(total))``)."""
    from ...facts import Known, Unknown
    from ...configs import deepspeed as ds_config
    from ...configs import jsonc

    spec = ta.get("deepspeed")
    if not isinstance(spec, Known) or spec.value is None:
        return facts
    s = facts.scheduler(sid)
    if s is None:
        return facts
    data: Any = None
    lines: dict[tuple[Any, ...], int] = {}
    where = "the DeepSpeed config"
    quoteless: set[tuple[Any, ...]] = set()
    if isinstance(spec.value, dict):
        data, where = spec.value, f"the deepspeed= dict ({spec.source})"
    elif isinstance(spec.value, str):
        path = _config_path(spec.value, facts.path)
        if path is None:
            return facts
        try:
            from ...configs.base import ConfigError, display_of, load_file

            text = load_file(path, "text", lambda b, _p: b.decode("utf-8-sig"))
            data, lines = jsonc.parse(text, quoteless)
            where = display_of(path)
        except (ConfigError, ValueError, UnicodeDecodeError):
            return facts
    if not isinstance(data, dict):
        return facts

    def ta_value(key: str, default: Any) -> Any:
        v = ta.get(key)
        return v if v is not None else Known(default, "TrainingArguments default")

    lr = ta_value("learning_rate", 5e-5)
    b1, b2 = ta_value("adam_beta1", 0.9), ta_value("adam_beta2", 0.999)
    betas = Known([b1.value, b2.value], f"TrainingArguments adam_beta1/adam_beta2 ({b1.source})") if isinstance(
        b1, Known) and isinstance(b2, Known) else Unknown("adam_beta1/adam_beta2 are not known")
    warm = Known(max(1, int(warmup.value)), f"the Trainer's fill: max(1, warm-up steps) ({warmup.source})") \
        if isinstance(warmup, Known) and isinstance(warmup.value, (int, float)) else warmup
    fills = {"optimizer.params.lr": lr, "optimizer.params.betas": betas,
             "optimizer.params.eps": ta_value("adam_epsilon", 1e-8),
             "optimizer.params.weight_decay": ta_value("weight_decay", 0.0),
             "scheduler.params.warmup_min_lr": Known(0, "the Trainer's fill (0)"),
             "scheduler.params.warmup_max_lr": lr,
             "scheduler.params.total_num_steps": total, "scheduler.params.warmup_num_steps": warm}
    r = ds_config.read(data, lines, where, fills={k: v for k, v in fills.items() if v is not None},
                       quoteless=frozenset(quoteless))
    if r.optimizers and opt_id is not None and facts.optimizer(opt_id) is not None:
        o = facts.optimizer(opt_id)
        new_o = replace(r.optimizers[0], id=o.id, loc=o.loc, variable=None, lr_arg_loc=None)  # type: ignore[union-attr]
        facts = replace(facts, optimizers=tuple(new_o if x.id == o.id else x for x in facts.optimizers))  # type: ignore
    if r.schedulers:
        d = r.schedulers[0]
        new_s = replace(d, id=s.id, loc=s.loc, variable=None, arg_locs={}, optimizer=opt_id, optimizer_reason=None,
                        stepped="batch", unit="step", horizon=total,
                        horizon_source=total.source if isinstance(total, Known) else None,
                        assumed_args=None, assumed_horizon=s.assumed_horizon,
                        description=f"the Trainer hands the scheduler of {where} to DeepSpeed, its \"auto\" values "
                                    f"filled from TrainingArguments")
        facts = replace(facts, schedulers=tuple(new_s if x.id == s.id else x for x in facts.schedulers))
    return facts


def _config_path(value: str, script: str) -> str | None:
    import os

    for base in (os.getcwd(), os.path.dirname(os.path.abspath(script))):
        cand = os.path.normpath(os.path.join(base, value))
        if os.path.isfile(cand):
            return cand
    return None
