"""Where a monitored metric comes from: the expressions a ``scheduler.step(metric)`` argument stands for.

``metric_trace`` follows the argument through assignments (the live one before the call), tuple unpacking of a
local function's result, the returns of local functions, the callers of a function whose parameter it is, and
wrappers that keep or reverse the order of values: ``round``/``float``/``math.ceil``/``np.mean``/``.item()``/
``.mean()``/``x * 1000 / 1000``/``x + c`` keep it, ``-x``/``1 - x``/``x * -1`` reverse it. Each step of the way is
one ``(expression text, flipped)`` pair; LR205 judges every text that names a metric and needs them to agree
(checks/stepping.py ``metric_direction``).
"""

from __future__ import annotations

from typing import Any

import libcst as cst

from .imports import dotted
from .index import Ctx, FunctionInfo

MAX_DEPTH = 8
MAX_ITEMS = 24

#: Functions that keep the order of their first argument (names as called, last dotted part).
ORDER_KEEPING_FUNCS = frozenset({
    "round", "float", "int", "ceil", "floor", "trunc", "mean", "median", "nanmean", "average", "sum", "nansum",
    "float32", "float64", "float16", "array", "asarray", "tensor", "as_tensor", "log", "log10", "log2", "exp",
    "sqrt", "fmean", "item", "to_python", "detach", "cpu", "numpy", "asscalar", "squeeze", "reduce_mean",
    "reduce_sum", "get_value", "Decimal", "fsum", "all_reduce_mean", "reduce_tensor", "reduce_value",
})
#: Methods that keep the order of the object they are called on.
ORDER_KEEPING_METHODS = frozenset({
    "item", "mean", "cpu", "detach", "numpy", "sum", "float", "double", "squeeze", "clone", "to", "median",
    "cuda", "tolist", "half", "nanmean", "data", "contiguous", "avg", "result", "compute", "value",
})


def metric_trace(resolver: Any, node: cst.BaseExpression, ctx: Ctx, seq: int | None) -> tuple[tuple[str, bool], ...]:
    """``(text, flipped)`` for the argument and every expression it stands for (see the module docstring)."""
    out: list[tuple[str, bool]] = []
    seen: set[int] = set()
    _trace(resolver, node, ctx, seq, False, 0, out, seen)
    return tuple(dict.fromkeys(out))


def _number(resolver: Any, node: cst.BaseExpression, ctx: Ctx, seq: int | None) -> float | None:
    if isinstance(node, (cst.Integer, cst.Float)):
        try:
            return float(node.evaluated_value)
        except (ValueError, OverflowError):
            return None
    if isinstance(node, cst.UnaryOperation) and isinstance(node.operator, cst.Minus):
        inner = _number(resolver, node.expression, ctx, seq)
        return -inner if inner is not None else None
    if isinstance(node, cst.Name):
        v = resolver.resolve(node, ctx, seq)
        value = getattr(v, "value", None)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
    return None


def _trace(resolver: Any, node: cst.BaseExpression, ctx: Ctx, seq: int | None, flip: bool, depth: int,
           out: list[tuple[str, bool]], seen: set[int]) -> None:
    if depth > MAX_DEPTH or len(out) >= MAX_ITEMS or id(node) in seen:
        return
    seen.add(id(node))
    ix = resolver.ix
    out.append((ix.text(node, 80), flip))
    go = lambda n, f=flip, c=ctx, s=seq: _trace(resolver, n, c, s, f, depth + 1, out, seen)  # noqa: E731
    t = type(node)
    if t is cst.UnaryOperation:
        if isinstance(node.operator, cst.Minus):
            go(node.expression, not flip)
        elif isinstance(node.operator, cst.Plus):
            go(node.expression)
        return
    if t is cst.BinaryOperation:
        op = type(node.operator)
        left_c = _number(resolver, node.left, ctx, seq)
        right_c = _number(resolver, node.right, ctx, seq)
        if (left_c is None) == (right_c is None):
            return  # two variable operands (or two constants): the order of either is not kept
        if op is cst.Add:
            go(node.left if right_c is not None else node.right)
        elif op is cst.Subtract:
            if right_c is not None:
                go(node.left)
            else:
                go(node.right, not flip)
        elif op is cst.Multiply:
            c = left_c if left_c is not None else right_c
            if c:
                go(node.left if right_c is not None else node.right, flip if c > 0 else not flip)
        elif op in (cst.Divide, cst.FloorDivide) and right_c:
            go(node.left, flip if right_c > 0 else not flip)
        return
    if t is cst.Call:
        func = node.func
        args = [a for a in node.args if a.keyword is None and not a.star]
        name = dotted(func) or ""
        last = name.rsplit(".", 1)[-1]
        if isinstance(func, cst.Attribute) and func.attr.value in ORDER_KEEPING_METHODS and name not in (
                "np.mean", "torch.mean"):
            go(func.value)
            return
        if last in ORDER_KEEPING_FUNCS and args:
            go(args[0].value)
            return
        if name:  # a function named for what it returns: accuracy(...), f1_score(...), compute_loss(...)
            out.append((name.rsplit(".", 1)[-1], flip))
        fn = _local_function(resolver, name, ctx)
        if fn is not None:
            for expr, rctx in fn.returns[:4]:
                if expr is not None:
                    go(expr, flip, rctx, None)
        return
    if t is cst.Attribute and isinstance(node.attr, cst.Name) and node.attr.value in ("data", "avg", "value"):
        go(node.value)
        return
    if t is cst.Name:
        scope, recs = resolver._assignments(node.value, ctx, seq)
        if recs:
            rec = recs[-1]
            if rec.value is None or rec.kind not in ("assign", "unpack", "annot"):
                return
            if rec.kind == "unpack" and rec.index is not None:
                for part, pctx in _unpacked(resolver, rec.value, rec.index, rec.ctx):
                    go(part, flip, pctx, rec.seq if pctx is rec.ctx else None)
                return
            go(rec.value, flip, rec.ctx, rec.seq)
            return
        if scope is not None and scope.function is not None and scope.function.param(node.value) is not None:
            fn = scope.function
            for site in resolver.calls_to(fn)[:6]:
                arg = resolver.call_arg(site, fn, node.value)
                if isinstance(arg, cst.BaseExpression):
                    go(arg, flip, site.ctx, site.seq)


def _local_function(resolver: Any, name: str, ctx: Ctx) -> FunctionInfo | None:
    if not name:
        return None
    if name.startswith("self."):
        name = name[5:]
    if "." in name:
        return None
    try:
        return resolver._function_named(name, ctx.scope)
    except (AttributeError, KeyError):
        return None


def _unpacked(resolver: Any, value: cst.BaseExpression, index: int, ctx: Ctx) -> list[tuple[cst.BaseExpression, Ctx]]:
    """The ``index``-th element of a tuple value, or of the tuples a local function returns."""
    if isinstance(value, (cst.Tuple, cst.List)):
        elts = value.elements
        return [(elts[index].value, ctx)] if index < len(elts) and not isinstance(elts[index], cst.StarredElement) \
            else []
    if isinstance(value, cst.Call):
        fn = _local_function(resolver, dotted(value.func) or "", ctx)
        if fn is None:
            return []
        out = []
        for expr, rctx in fn.returns[:4]:
            if isinstance(expr, (cst.Tuple, cst.List)) and index < len(expr.elements):
                el = expr.elements[index]
                if not isinstance(el, cst.StarredElement):
                    out.append((el.value, rctx))
        return out
    return []


__all__ = ["metric_trace", "ORDER_KEEPING_FUNCS", "ORDER_KEEPING_METHODS"]
