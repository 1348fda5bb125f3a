"""Hand-written schedules: code that computes a rate and writes it into ``param_group["lr"]``.

Two shapes cover real code:

* a function that writes the rate, called from a training loop with the loop variable
  (``adjust_learning_rate(optimizer, epoch, args)``; ``set_lr(optimizer, get_lr(it))``);
* a write in the loop body itself (``lr = get_lr(iter_num)``; ``for g in opt.param_groups: g["lr"] = lr``).

Each becomes a ``SchedulerFact`` with framework ``manual`` and a ``ManualPlan`` (in ``FileFacts.extra``) that
the simulator follows: for each step k it evaluates the same expressions, with the loop variable set to its
k-th value, in the safe evaluator.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import libcst as cst

from ..facts import FileFacts, FunctionValue, Known, Location, SchedulerFact, StepSite, Unknown, Value
from .imports import dotted
from .index import CallSite, Ctx, Indexer, LoopInfo
from .values import EvalScope, Resolver


@dataclass(frozen=True)
class ManualPlan:
    kind: str  # "call": call ``function`` at ``site`` | "expr": evaluate ``expr`` in the loop
    time_var: str  # the loop variable (or counter) standing for the step
    start: int  # its value at the first step
    step: int  # how much it grows per step
    scope: Any  # EvalScope for free names
    function: FunctionValue | None = None
    call: cst.Call | None = None
    expr: cst.BaseExpression | None = None
    locals_: tuple[tuple[str, cst.BaseExpression], ...] = ()  # loop-body assignments the expression reads


def manual_schedules(facts: FileFacts, flow: Any, ix: Indexer, resolver: Resolver, contexts: Any,
                     builder: Any) -> FileFacts:
    if not facts.lr_writes:
        return facts
    plans: dict[str, ManualPlan] = {}
    new: list[SchedulerFact] = []
    handled_functions: set[str] = set()
    n = len(facts.schedulers)
    single_opt = facts.optimizers[0].id if len(facts.optimizers) == 1 else None
    for w in facts.lr_writes:
        opt = w.optimizer or single_opt
        fn = ix.functions.get(w.function) if w.function else None
        loops_in_fn = [ix.loops[lid] for lid in (fn.loops if fn else []) if ix.loops[lid].kind != "unknown"]
        write_stmt_loop = _enclosing_training_loop(ix, w.loop_id)
        if fn is not None and write_stmt_loop is None and fn.qualname not in handled_functions:
            # shape 1: a function that writes the rate, called from a loop
            handled_functions.add(fn.qualname)
            for site in resolver.calls_to(fn):
                loop = _enclosing_training_loop(ix, site.ctx.loops[-1] if site.ctx.loops else None)
                if loop is None:
                    continue
                time = _time_var(ix, loop, site.node)
                if time is None:
                    continue
                var, start, step = time
                n += 1
                sid = f"sched{n}"
                fv = FunctionValue(fn.node, fn.name, resolver.loc_line(fn.node), scope=EvalScope(resolver, Ctx(fn.scope)))
                plans[sid] = ManualPlan("call", var, start, step, EvalScope(resolver, site.ctx), function=fv,
                                        call=site.node)
                sc = contexts.of(site.ctx)
                new.append(_fact(sid, f"manual:{fn.name}", builder.loc.location(site.node), opt, fv, sc.context,
                                 loop.kind, f"{fn.name}() writes param_group['lr'] (line {w.loc.line}); called "
                                 f"with {var} from the {loop.kind} loop at line {resolver.loc_line(loop.node)}",
                                 builder.loc.location(site.node), var, sc.via))
                break
        elif write_stmt_loop is not None:
            # shape 2: the loop body computes and writes the rate
            loop = write_stmt_loop
            time = _time_var(ix, loop, None)
            if time is None:
                continue
            var, start, step = time
            value_node = _write_value(ix, w)
            if value_node is None:
                continue
            locals_ = _loop_locals(ix, loop, value_node)
            if not _mentions(value_node, {var} | {k for k, _ in locals_}):
                continue  # a constant write (e.g. restoring a rate) is not a schedule
            n += 1
            sid = f"sched{n}"
            ctx = _ctx_of_write(ix, w)
            plans[sid] = ManualPlan("expr", var, start, step, EvalScope(resolver, ctx), expr=value_node,
                                    locals_=tuple(locals_))
            sc = contexts.of(ctx)
            fv_text = ix.text(value_node, 60)
            fname = _name_of(value_node, locals_)
            called = ix.functions_by_name.get(fname, [])
            fv = None
            if len(called) == 1:
                f0 = called[0]
                fv = FunctionValue(f0.node, f0.name, resolver.loc_line(f0.node), scope=EvalScope(resolver, Ctx(f0.scope)))
            new.append(_fact(sid, "manual:" + fname, w.loc, opt, fv, sc.context,
                             loop.kind, f"the training loop sets param_group['lr'] = {fv_text} (line {w.loc.line})",
                             w.loc, var, sc.via))
    if not new:
        return facts
    extra = dict(facts.extra)
    extra["manual_plans"] = plans
    # horizon per manual schedule
    out = []
    for s in new:
        loop_kind = "epoch" if s.stepped == "epoch" else "batch"
        h = facts.horizon.epochs if loop_kind == "epoch" else facts.horizon.total_steps
        plan = plans[s.id]
        if not isinstance(h, Known):
            h2 = _loop_bound(ix, resolver, plan)
            if h2 is not None:
                h = h2
        out.append(replace(s, horizon=h, horizon_source=getattr(h, "source", None)))
    return replace(facts, schedulers=facts.schedulers + tuple(out), extra=extra)


def _fact(sid: str, cls: str, loc: Location, opt: str | None, fv: FunctionValue | None, context: str,
          loop_kind: str, description: str, site_loc: Location, var: str, via: str | None) -> SchedulerFact:
    stepped = context if context in ("epoch", "batch") else "unknown"
    args: dict[str, Value] = {}
    if fv is not None:
        args["function"] = Known(fv, f"def {fv.name} at line {fv.line}")
    return SchedulerFact(
        id=sid, cls=cls, framework="manual", loc=loc, variable=None, optimizer=opt,
        optimizer_reason=None if opt else "the optimizer whose param_groups are written is not known",
        args=args, stepped=stepped,  # type: ignore[arg-type]
        unit="epoch" if stepped == "epoch" else "step", description=description,
    )


def _enclosing_training_loop(ix: Indexer, lid: str | None) -> LoopInfo | None:
    while lid is not None:
        lp = ix.loops.get(lid)
        if lp is None:
            return None
        if lp.kind in ("epoch", "batch", "iteration"):
            return lp
        lid = lp.parent
    return None


def _time_var(ix: Indexer, loop: LoopInfo, call: cst.Call | None) -> tuple[str, int, int] | None:
    """The variable that counts steps in this loop: a for target (range start) or a counter (+= 1)."""
    node = loop.node
    if isinstance(node, cst.For):
        target = node.target
        name = None
        if isinstance(target, cst.Name):
            name = target.value
        elif isinstance(target, cst.Tuple) and target.elements and isinstance(target.elements[0].value, cst.Name):
            it = node.iter
            if isinstance(it, cst.Call) and dotted(it.func) == "enumerate":
                name = target.elements[0].value.value  # type: ignore[union-attr]
        if name is not None:
            start = 0
            it = node.iter
            if isinstance(it, cst.Call) and dotted(it.func) == "range" and len(it.args) >= 2:
                a0 = it.args[0].value
                if isinstance(a0, cst.Integer):
                    start = int(a0.value)
                else:
                    start = 0
            return name, start, 1
    # a counter incremented in the loop body (nanoGPT's iter_num += 1)
    for stmt in _walk_statements(node.body):
        if isinstance(stmt, cst.AugAssign) and isinstance(stmt.operator, cst.AddAssign) and \
                isinstance(stmt.target, cst.Name) and isinstance(stmt.value, cst.Integer):
            if call is None or _mentions(call, {stmt.target.value}):
                return stmt.target.value, 0, int(stmt.value.value)
    return None


def _walk_statements(block: cst.BaseSuite) -> list[cst.CSTNode]:
    out: list[cst.CSTNode] = []
    body = block.body if isinstance(block, (cst.IndentedBlock, cst.SimpleStatementSuite)) else []
    for stmt in body:
        if isinstance(stmt, cst.SimpleStatementLine):
            out.extend(stmt.body)
        elif isinstance(stmt, cst.If):
            out.extend(_walk_statements(stmt.body))
        else:
            out.append(stmt)
    return out


def _mentions(node: cst.CSTNode, names: set[str]) -> bool:
    found = False

    class V(cst.CSTVisitor):
        def visit_Name(self, n: cst.Name) -> None:
            nonlocal found
            if n.value in names:
                found = True

    node.visit(V())
    return found


def _write_value(ix: Indexer, w: Any) -> cst.BaseExpression | None:
    for sw in ix.sub_writes:
        if ix.text(sw.value, 80) == w.value_text and sw.ctx.loops and (sw.ctx.loops[-1] == w.loop_id or True):
            return sw.value
    return None


def _ctx_of_write(ix: Indexer, w: Any) -> Ctx:
    for sw in ix.sub_writes:
        if ix.text(sw.value, 80) == w.value_text:
            return sw.ctx
    raise LookupError("write not found")


def _loop_locals(ix: Indexer, loop: LoopInfo, value: cst.BaseExpression) -> list[tuple[str, cst.BaseExpression]]:
    """Assignments in the loop body that the written value depends on (``lr = get_lr(it)``), in order."""
    out: list[tuple[str, cst.BaseExpression]] = []
    wanted = _names(value)
    for stmt in _walk_statements(loop.node.body):
        if isinstance(stmt, cst.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0].target, cst.Name):
            name = stmt.targets[0].target.value
            if name in wanted:
                out.append((name, stmt.value))
                wanted |= _names(stmt.value)
    return out


def _names(node: cst.CSTNode) -> set[str]:
    out: set[str] = set()

    class V(cst.CSTVisitor):
        def visit_Name(self, n: cst.Name) -> None:
            out.add(n.value)

    node.visit(V())
    return out


def _name_of(value: cst.BaseExpression, locals_: list[tuple[str, cst.BaseExpression]]) -> str:
    for _, expr in locals_:
        for n in _calls(expr):
            return n
    for n in _calls(value):
        return n
    return "loop"


def _calls(node: cst.CSTNode) -> list[str]:
    out: list[str] = []

    class V(cst.CSTVisitor):
        def visit_Call(self, n: cst.Call) -> None:
            d = dotted(n.func)
            if d:
                out.append(d)

    node.visit(V())
    return out


def _loop_bound(ix: Indexer, resolver: Resolver, plan: ManualPlan) -> Value | None:
    """`while it < max_iters` or `if it > max_iters: break` inside the loop: the number of steps."""
    for lp in ix.loops.values():
        node = lp.node
        if isinstance(node, cst.While):
            t = node.test
            if isinstance(t, cst.Comparison) and isinstance(t.left, cst.Name) and t.left.value == plan.time_var:
                bound = resolver.resolve(t.comparisons[0].comparator, lp.ctx)
                if isinstance(bound, Known) and isinstance(bound.value, int):
                    extra = 1 if isinstance(t.comparisons[0].operator, cst.LessThanEqual) else 0
                    return Known(bound.value + extra - plan.start, f"the loop condition {ix.text(t, 60)}")
            for stmt in node.body.body if isinstance(node.body, cst.IndentedBlock) else []:
                if isinstance(stmt, cst.If) and isinstance(stmt.test, cst.Comparison):
                    c = stmt.test
                    body_text = ix.text(stmt.body, 200)
                    if "break" in body_text and isinstance(c.left, cst.Name) and c.left.value == plan.time_var:
                        bound = resolver.resolve(c.comparisons[0].comparator, lp.ctx)
                        if isinstance(bound, Known) and isinstance(bound.value, int):
                            op = c.comparisons[0].operator
                            extra = 1 if isinstance(op, cst.GreaterThan) else 0
                            return Known(bound.value + extra - plan.start,
                                         f"the loop stops when {ix.text(c, 60)} ({bound.source})")
    return None


__all__ = ["manual_schedules", "ManualPlan", "Unknown", "CallSite"]
