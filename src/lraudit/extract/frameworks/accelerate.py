"""accelerate: schedulers passed to ``accelerator.prepare(...)`` (stepped once per process unless
``split_batches``/``step_scheduler_with_optimizer=False``) and how their lengths were sized."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import libcst as cst

from ...facts import FileFacts, Known, SchedulerFact, StepSite, Unknown, Value
from ..imports import dotted
from ..index import CallSite, Ctx, Indexer
from ..objects import Creation, ObjectFlow
from ..values import Resolver
from .base import FactsBuilder, ASSUMED_LEN, _kw, _method, _num, _qual, _replace_sched, _stepped_of, _with_extra


def _prepared_steps(facts: FileFacts, flow: ObjectFlow, ix: Indexer, builder: FactsBuilder) -> FileFacts:
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


def _accelerate(facts: FileFacts, flow: ObjectFlow, ix: Indexer, resolver: Resolver, builder: FactsBuilder) -> FileFacts:
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
    with resolver.assuming(ASSUMED_LEN):
        v = resolver.resolve(node, ctx, seq)
    return v if isinstance(v, Known) else None
