"""PyTorch-Ignite: parameter schedulers attached to an Engine's events, and the Engine's run length.

A param scheduler (``PiecewiseLinear``, ``CosineAnnealingScheduler``, ``LRScheduler(torch_scheduler)``,
``create_lr_scheduler_with_warmup(...)``...) acts where it is attached:

* ``engine.add_event_handler(Events.ITERATION_STARTED, scheduler)`` (any ``Events.X``, with ``(every=k)``,
  ``(once=k)``, ``(before=, after=)`` filters), ``scheduler.attach(engine, event)`` (default
  ``ITERATION_STARTED``), ``common.setup_common_training_handlers(engine, lr_scheduler=scheduler)``
  (``ITERATION_STARTED``; a torch scheduler passed there is stepped at ``ITERATION_COMPLETED``);
* the run length is ``engine.run(data, max_epochs=N, epoch_length=M)`` of the same engine (``max_epochs`` 1 and
  ``epoch_length`` ``len(data)`` by default).

Each attachment becomes a step site of the scheduler (``method`` ``add_event_handler``/``attach``, ``via``
``runs at Events.X``; per batch for ``ITERATION_*``, per epoch for ``EPOCH_*``). ``FileFacts.extra["ignite"]``
holds, per scheduler id: ``{"event", "every", "once", "before", "after", "line", "engine", "events"}``; ``events``
counts the attachments (a scheduler attached twice acts twice per event). ``FileFacts.extra["ignite_engine_runs"]``
lists the lines of ``engine.run(...)`` calls on names bound to ``Engine(...)``/``create_supervised_trainer(...)``.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

import libcst as cst

from ...catalog.ignite import EVENTS
from ...facts import FileFacts, Known, SchedulerFact, StepSite, Unknown, Value
from ..imports import dotted
from ..index import CallSite, Indexer
from ..objects import ObjectFlow
from ..values import Resolver
from .base import FactsBuilder, ASSUMED_LEN, _kw, _num, _qual, _replace_sched, _site_step, _stepped_of, _with_extra

_COMMON = ("setup_common_training_handlers",)
#: ignite's own modules (linked into the analysis when the repository analysed is ignite itself)
_LIBRARY = re.compile(r"(^|/)ignite/(engine|contrib|handlers|distributed)/")


def _imports_ignite(ix: Indexer) -> bool:
    return ix.imports.mentions("ignite")


def drop_other_parameters(flow: ObjectFlow, ix: Indexer, resolver: Resolver) -> None:
    """Ignite schedulers of another parameter (``CosineAnnealingScheduler(optimizer, "momentum", ...)``) are not
    learning-rate schedules: their creations are dropped before facts are built."""
    if not _imports_ignite(ix):
        return
    drop = []
    for c in flow.creations:
        if c.entry is None or c.entry.framework != "ignite":
            continue
        node = c.bound.get("param_name")
        if node is None:
            continue
        v = resolver.resolve(node, c.site.ctx, c.site.seq)
        if isinstance(v, Known) and v.value != "lr":
            drop.append(c)
    for c in drop:
        flow.creations.remove(c)
        flow.by_id.pop(c.oid, None)
        flow.by_call.pop(id(c.site.node), None)
        resolver.object_of_call.pop(id(c.site.node), None)
    if drop:
        flow._memo.clear()


def _event(node: cst.BaseExpression | None, site: CallSite, resolver: Resolver) -> tuple[dict[str, Any] | None, str]:
    """(``{"event", "every", "once", "before", "after"}``, words) of an ``Events.X`` / ``Events.X(every=k)``
    expression; None with the reason when it is not one of the events that set a parameter."""
    if node is None:
        return {"event": "ITERATION_STARTED", "every": None, "once": None, "before": None, "after": None}, \
            "Events.ITERATION_STARTED (attach's default)"
    call = node if isinstance(node, cst.Call) else None
    text = dotted(call.func if call is not None else node) or ""
    name = text.rsplit(".", 1)[-1]
    if name not in EVENTS:
        return None, f"it runs at {resolver.ix.text(node, 60)}, which is not followed"
    out: dict[str, Any] = {"event": name, "every": None, "once": None, "before": None, "after": None}
    if call is not None:
        for a in call.args:
            if a.keyword is None or a.keyword.value not in ("every", "once", "before", "after"):
                return None, f"it runs at {resolver.ix.text(node, 60)}, whose filter is not followed"
            v = resolver.resolve(a.value, site.ctx, site.seq)
            ok = isinstance(v, Known) and (_num(v.value) or (a.keyword.value == "once" and isinstance(
                v.value, (list, tuple)) and all(_num(x) for x in v.value)))
            if not ok:
                why = v.reason if isinstance(v, Unknown) else "not a number"
                return None, f"its event filter {a.keyword.value}= is unknown: {why}"
            val = v.value
            out[a.keyword.value] = tuple(int(x) for x in val) if isinstance(val, (list, tuple)) else \
                (val,) if a.keyword.value == "once" else int(val)
    return out, f"Events.{resolver.ix.text(node, 60).split('Events.', 1)[-1]}"


def _attachments(flow: ObjectFlow, ix: Indexer, resolver: Resolver) -> list[tuple[str, CallSite, str, Any, str,
                                                                                   cst.BaseExpression | None]]:
    """(object id, call site, method, event or None, words, engine expression) for every attachment found."""
    out = []
    for site in ix.calls:
        func = site.node.func
        if not isinstance(func, cst.Attribute):
            continue
        method = func.attr.value
        if method == "add_event_handler" and len(site.node.args) >= 2:
            objs = flow.objects(site.node.args[1].value, site.ctx, site.seq)
            if not objs:
                continue
            ev, words = _event(site.node.args[0].value, site, resolver)
            for oid in objs:
                out.append((oid, site, method, ev, words, func.value))
        elif method == "attach":
            objs = flow.objects(func.value, site.ctx, site.seq)
            if not objs:
                continue
            engine = _kw(site.node, "engine", 0)
            ev, words = _event(_kw(site.node, "event", 1), site, resolver)
            for oid in objs:
                out.append((oid, site, method, ev, words, engine))
    for site in ix.calls:
        last = site.path.rsplit(".", 1)[-1]
        if last not in _COMMON:
            continue
        node = _kw(site.node, "lr_scheduler")
        if node is None:
            continue
        engine = _kw(site.node, "trainer", 0)
        for oid in flow.objects(node, site.ctx, site.seq):
            c = flow.by_id.get(oid)
            torch_sched = c is not None and (c.entry is None or c.entry.framework == "torch")
            name = "ITERATION_COMPLETED" if torch_sched else "ITERATION_STARTED"
            ev = {"event": name, "every": None, "once": None, "before": None, "after": None}
            out.append((oid, site, last, ev, f"Events.{name} ({last}() attaches it there)", engine))
    return out


def _run_length(engine: cst.BaseExpression | None, ix: Indexer, resolver: Resolver, builder: FactsBuilder
                ) -> tuple[Value, Value, Value | None, str]:
    """(max_epochs, epoch_length, assumed epoch_length or None, the run call's words) from ``engine.run(...)``."""
    name = dotted(engine) if engine is not None else None
    if not name:
        return Unknown("the engine it is attached to is not known"), Unknown("no engine"), None, ""
    runs = [s for s in ix.calls if s.path == f"{name}.run" or (s.path.endswith(".run") and
                                                                s.path.rsplit(".", 2)[-2] == name.rsplit(".", 1)[-1])]
    if not runs:
        return Unknown(f"{name}.run(...) is not found in this file"), Unknown(f"{name}.run(...) is not found"), None, ""
    found = []
    for site in runs:
        data = _kw(site.node, "data", 0)
        me_node = _kw(site.node, "max_epochs", 1)
        el_node = _kw(site.node, "epoch_length", 2)
        where = f"{name}.run() at {resolver.where(site.node)}"
        if me_node is None:
            me: Value = Known(1, f"ignite's default max_epochs=1 ({where})")
        else:
            me = resolver.resolve(me_node, site.ctx, site.seq)
            if isinstance(me, Known):
                me = Known(me.value, f"max_epochs of {where}")
        assumed = None
        if el_node is not None:
            el = resolver.resolve(el_node, site.ctx, site.seq)
            if isinstance(el, Known):
                el = Known(el.value, f"epoch_length of {where}")
        elif data is None:
            el = Unknown(f"{where} gives no data")
        else:
            el, assumed = _data_length(data, site, resolver, builder, where)
        found.append((me, el, assumed, where))
    if len(found) > 1 and len({(repr(f[0].value), repr(f[1].value)) for f in found}) > 1:
        words = ", ".join(f[3] for f in found)
        return Unknown(f"the engine is run more than once with different lengths ({words})"), \
            Unknown("several runs"), None, ""
    return found[0]


def _data_length(data: cst.BaseExpression, site: CallSite, resolver: Resolver, builder: FactsBuilder, where: str
                 ) -> tuple[Value, Value | None]:
    shown = data
    data, ctx, seq = builder._single_binding(data, site.ctx, site.seq)
    if isinstance(data, cst.Call) and dotted(data.func) == "range" and 1 <= len(data.args) <= 3 and \
            all(a.keyword is None and not a.star for a in data.args):
        bounds = [resolver.resolve(a.value, ctx, seq) for a in data.args]
        if all(isinstance(b, Known) and isinstance(b.value, int) and not isinstance(b.value, bool) for b in bounds):
            try:
                n = len(range(*[int(b.value) for b in bounds]))  # type: ignore[union-attr]
            except ValueError:
                n = None
            if n is not None:
                return Known(n, f"len({resolver.ix.text(data, 40)}), the data of {where}"), None
    v = resolver.resolve(data, ctx, seq)
    if isinstance(v, Known) and isinstance(v.value, (list, tuple, range)):
        return Known(len(v.value), f"len() of the data of {where}"), None
    from ..values import symbol_text

    text = symbol_text(resolver.ix.text(shown, 60))
    if resolver.symbol_value is not None:
        n = resolver.symbol_value(text)
        return Known(n, f"len({text}), a run-time size, taken as {n}"), None
    return Unknown(f"epoch_length is len({text}), known only at run time", expression=f"len({text})"), \
        Known(ASSUMED_LEN, f"assuming len({text}) = {ASSUMED_LEN}")


_ENGINE_FACTORIES = ("Engine", "create_supervised_trainer", "DeterministicEngine")


def _engine_runs(ix: Indexer, resolver: Resolver) -> list[int]:
    """Lines of ``engine.run(...)`` calls on a name bound to an ignite Engine in this file."""
    engines = {t.rsplit(".", 1)[-1] for site in ix.calls if site.path.rsplit(".", 1)[-1] in _ENGINE_FACTORIES
               for t in site.targets}
    lines = []
    for site in ix.calls:
        parts = site.path.rsplit(".", 2)
        if len(parts) >= 2 and parts[-1] == "run" and parts[-2] in engines:
            lines.append(resolver.loc_line(site.node))
    return sorted(set(lines))


def ignite_after(facts: FileFacts, flow: ObjectFlow, ix: Indexer, resolver: Resolver, builder: FactsBuilder) -> FileFacts:
    if not _imports_ignite(ix) or builder is None:
        return facts
    runs = _engine_runs(ix, resolver)
    if runs:
        facts = _with_extra(facts, "ignite_engine_runs", runs)
    found = _attachments(flow, ix, resolver)
    if not found:
        return facts
    info: dict[str, dict[str, Any]] = {}
    sites: dict[str, list[StepSite]] = {}
    for oid, site, method, ev, words, engine in found:
        s = facts.scheduler(oid)
        if s is None or _LIBRARY.search(builder.loc.location(site.node).file or ""):
            continue  # ignite's own code, linked when the analysed repository is ignite itself
        if s.framework != "ignite":
            if s.framework == "torch" and ev is not None and method in _COMMON:
                # a torch scheduler handed to setup_common_training_handlers: step() at ITERATION_COMPLETED
                st = _site_step(builder, site, oid, "scheduler", "step", context="batch",
                                via=f"{method}() steps it at Events.ITERATION_COMPLETED")
                sites.setdefault(oid, []).append(st)
            continue
        context = "unknown" if ev is None else ("batch" if ev["event"].startswith("ITERATION") else "epoch")
        st = _site_step(builder, site, oid, "scheduler", method, context=context, via=f"runs at {words}")
        sites.setdefault(oid, []).append(st)
        entry = info.setdefault(oid, {"events": 0})
        entry["events"] += 1
        if entry["events"] == 1:
            me, el, assumed, run_words = _run_length(engine, ix, resolver, builder)
            entry.update({"line": resolver.loc_line(site.node) if resolver.loc_line else 0,
                          "engine": dotted(engine) if engine is not None else None,
                          "max_epochs": me, "epoch_length": el, "assumed_epoch_length": assumed,
                          "reason": None if ev is not None else words})
            if ev is not None:
                entry.update(ev)
    for oid, new_sites in sites.items():
        s = facts.scheduler(oid)
        if s is None:
            continue
        # a param scheduler has no step(): the generic pass's sites on it are ignite's own code (linked)
        own = tuple(x for x in s.step_sites if s.framework != "ignite")
        all_sites = tuple(sorted(own + tuple(new_sites), key=lambda x: x.loc))
        s = replace(s, step_sites=all_sites, stepped=_stepped_of(all_sites),  # type: ignore[arg-type]
                    handed_to=None if s.framework == "ignite" else s.handed_to)
        if s.framework == "ignite":
            s = _with_horizon(s, info[oid])
        facts = _replace_sched(facts, s)
        for kid in s.children:
            child = facts.scheduler(kid)
            if child is not None and not child.step_sites:
                facts = _replace_sched(facts, replace(child, stepped=s.stepped, horizon=s.horizon,
                                                      horizon_source=s.horizon_source,
                                                      assumed_horizon=s.assumed_horizon))
    plain = {k: {kk: vv for kk, vv in v.items() if not isinstance(vv, (Known, Unknown))} for k, v in info.items()}
    return _with_extra(facts, "ignite", plain)


def _with_horizon(s: SchedulerFact, entry: dict[str, Any]) -> SchedulerFact:
    per_iteration = str(entry.get("event", "")).startswith("ITERATION")
    me, el, assumed = entry["max_epochs"], entry["epoch_length"], entry["assumed_epoch_length"]
    unit = "step" if per_iteration else "epoch"
    if not isinstance(me, Known) or not _num(me.value):
        return replace(s, unit=unit, horizon=me if isinstance(me, Unknown) else Unknown("max_epochs is not a number"))
    if not per_iteration:
        return replace(s, unit=unit, horizon=Known(int(me.value), me.source), horizon_source=me.source)
    if isinstance(el, Known) and _num(el.value):
        n = int(me.value) * int(el.value)
        src = f"max_epochs x epoch_length = {int(me.value)} x {int(el.value)} ({me.source}; {el.source})"
        return replace(s, unit=unit, horizon=Known(n, src), horizon_source=src)
    expr = getattr(el, "expression", None)
    horizon = Unknown(f"{getattr(el, 'reason', 'epoch_length is not known')}",
                      expression=f"{int(me.value)} x {expr}" if expr else None)
    assumed_h = None
    if isinstance(assumed, Known):
        assumed_h = Known(int(me.value) * int(assumed.value),
                          f"{int(me.value)} epochs ({me.source}) x {assumed.source}")
    return replace(s, unit=unit, horizon=horizon, assumed_horizon=assumed_h)


__all__ = ["ignite_after", "drop_other_parameters"]
