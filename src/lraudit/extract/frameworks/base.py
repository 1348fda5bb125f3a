"""What every framework adapter shares: reading call sites (keywords, qualified names, receivers), plain
values, and rebuilding ``FileFacts`` with a refined scheduler, optimizer or ``extra`` entry."""

from __future__ import annotations

import math
import weakref
from dataclasses import replace
from typing import TYPE_CHECKING, Any, Iterable, Protocol

import libcst as cst

from ...facts import FileFacts, Known, OptimizerFact, SchedulerFact, StepSite, Value
from ..imports import dotted
from ..index import CallSite, Ctx, Indexer
from ..objects import ObjectFlow

if TYPE_CHECKING:
    from ...facts import Horizon
    from ...parse import Locator
    from ..loops import LoopContexts, SiteContext


class FactsBuilder(Protocol):
    """What the adapters use of extract.build's facts builder: locations of nodes, the loop context of a site, step
    sites and horizons built as the builder builds them, and names followed to their one binding."""

    loc: "Locator"
    contexts: "LoopContexts"

    def site_context(self, site: CallSite) -> "SiteContext": ...

    def _site(self, site: CallSite, oid: str, kind: str, method: str, with_arg: bool,
              arms: tuple = ()) -> StepSite: ...

    def _with_horizon(self, s: SchedulerFact, h: "Horizon") -> SchedulerFact: ...

    def _single_binding(self, node: cst.BaseExpression, ctx: Ctx, seq: int
                        ) -> tuple[cst.BaseExpression, Ctx, int]: ...


ASSUMED_LEN = 100  # batches per epoch assumed to show a curve (matches extract.build.ASSUMED_LEN)


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


def _names_in(node: cst.CSTNode) -> list[str]:
    out: list[str] = []

    class V(cst.CSTVisitor):
        def visit_Name(self, n: cst.Name) -> None:
            out.append(n.value)

        def visit_Attribute(self, n: cst.Attribute) -> None:
            out.append(n.attr.value)

    node.visit(V())
    return out


def _replace_sched(facts: FileFacts, new: SchedulerFact) -> FileFacts:
    return replace(facts, schedulers=tuple(new if s.id == new.id else s for s in facts.schedulers))


def _replace_opt(facts: FileFacts, new: OptimizerFact) -> FileFacts:
    return replace(facts, optimizers=tuple(new if o.id == new.id else o for o in facts.optimizers))


def _with_extra(facts: FileFacts, key: str, value: Any) -> FileFacts:
    extra = dict(facts.extra)
    extra[key] = value
    return replace(facts, extra=extra)


def _site_step(builder: FactsBuilder, site: CallSite, target: str, kind: str, method: str, context: str | None = None,
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
