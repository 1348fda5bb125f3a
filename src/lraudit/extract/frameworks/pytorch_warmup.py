"""pytorch_warmup: the torch schedulers a warm-up wrapper dampens, and how it is used.

``with warmup_scheduler.dampening(): lr_scheduler.step()`` (pytorch_warmup 0.2.0) restores the undampened rates,
runs the body, and multiplies the new rates by the warm-up factor; ``lr_scheduler.step(); warmup_scheduler.dampen()``
(0.0.x/0.1.x) only multiplies. The schedulers stepped inside the ``with`` body (or just before ``dampen()`` in the
same loop) become the wrapper's children: their ``step()`` calls there are the wrapper's (removed from their own
step sites, as for the classes of class_sim), and the wrapper's curve is the rate the optimizer uses.

``FileFacts.extra["pytorch_warmup"]``: ``{wrapper id: {"form": "dampening"|"dampen", "built_first": bool,
"conditional": [lines of children stepped under a condition inside the block]}}``.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import libcst as cst

from ...facts import FileFacts, StepSite
from ..index import Indexer
from ..objects import ObjectFlow
from ..values import Resolver
from .base import _replace_sched, _stepped_of, _with_extra

_PREFIX = "pytorch_warmup."


def _inside(loc: Any, span: Any) -> bool:
    return loc.file == span.file and (span.line, span.column) <= (loc.line, loc.column) and \
        (loc.end_line, loc.end_column) <= (span.end_line, span.end_column)


def pytorch_warmup_after(facts: FileFacts, flow: ObjectFlow, ix: Indexer, resolver: Resolver,
                         builder: Any) -> FileFacts:
    wrappers = [s for s in facts.schedulers if s.cls.startswith(_PREFIX)]
    if not wrappers or builder is None:
        return facts
    info: dict[str, dict[str, Any]] = {}
    for w in wrappers:
        blocks = []  # (with statement span) of each dampening() site
        dampen_sites = [st for st in w.step_sites if st.method == "dampen"]
        for site in ix.calls:
            func = site.node.func
            if not isinstance(func, cst.Attribute) or func.attr.value != "dampening":
                continue
            if w.id not in flow.objects(func.value, site.ctx, site.seq):
                continue
            if isinstance(site.stmt, cst.With):
                blocks.append(builder.loc.location(site.stmt))
        children: list[str] = []
        removed: dict[str, list[StepSite]] = {}
        conditional: list[int] = []
        for s in facts.schedulers:
            if s.id == w.id or s.cls.startswith(_PREFIX):
                continue
            for st in s.step_sites:
                if st.kind != "scheduler" or st.method not in ("step", "step_update"):
                    continue
                inside = any(_inside(st.loc, b) for b in blocks)
                before = any(d.loop_id is not None and d.loop_id == st.loop_id and st.order < d.order and
                             s.optimizer == w.optimizer and d.via == st.via for d in dampen_sites)
                if inside or before:
                    if s.id not in children:
                        children.append(s.id)
                    removed.setdefault(s.id, []).append(st)
                    if inside and st.conditional and not any(b.line == st.loc.line for b in blocks):
                        conditional.append(st.loc.line)
        built_first = any(w.loc < facts.scheduler(c).loc and facts.scheduler(c).function == w.function  # type: ignore
                          for c in children)
        info[w.id] = {"form": "dampen" if dampen_sites and not blocks else "dampening", "built_first": built_first,
                      "conditional": sorted(set(conditional))}
        if children:
            facts = _replace_sched(facts, replace(w, children=tuple(children)))
        for cid in children:
            child = facts.scheduler(cid)
            if child is None:
                continue
            gone = removed.get(cid, [])
            rest = tuple(st for st in child.step_sites if st not in gone)
            facts = _replace_sched(facts, replace(child, parent=w.id, step_sites=rest,
                                                  stepped=_stepped_of(rest) if rest else w.stepped,  # type: ignore
                                                  horizon=w.horizon, horizon_source=w.horizon_source))
    return _with_extra(facts, "pytorch_warmup", info)


__all__ = ["pytorch_warmup_after"]
