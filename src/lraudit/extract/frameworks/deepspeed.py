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
