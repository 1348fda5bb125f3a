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
from ..objects import ObjectFlow
from ..values import Resolver
from .base import _kw, _method, _qual, _replace_sched, _stepped_of

__all__ = ["deepspeed_engines"]

_INITIALIZE = ("deepspeed.initialize", "deepspeed.runtime.engine.initialize")


def deepspeed_engines(facts: FileFacts, flow: ObjectFlow, ix: Indexer, resolver: Resolver, builder: Any) -> FileFacts:
    if not ix.imports.mentions("deepspeed") or builder is None:
        return facts
    engines: list[tuple[str, Any, int, list[str]]] = []  # (engine name, scope, seq, scheduler ids)
    for site in ix.calls:
        if _qual(flow, site) not in _INITIALIZE:
            continue
        node = _kw(site.node, "lr_scheduler")
        if node is None:
            continue
        sids = [o for o in flow.objects(node, site.ctx, site.seq) if flow.by_id[o].kind == "scheduler"]
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
