"""A value computed from run-time sizes, written as an expression of them: ``len(train_loader) * 3 // 2``.

Known parts are replaced by their values, ``len(X)`` stays a symbol, names are followed through single
assignments. Used for the ``expression`` of an unresolved value (JSON and text output); never for computing.
"""

from __future__ import annotations

import libcst as cst

from ..facts import Known
from .imports import dotted
from .index import Ctx
from .run_sizes import WORLD, world_attribute, world_call
from .values import Resolver, symbol_text

_OPS = {cst.Add: "+", cst.Subtract: "-", cst.Multiply: "*", cst.Divide: "/", cst.FloorDivide: "//",
        cst.Modulo: "%", cst.Power: "**"}
_CALLS = ("int", "float", "round", "max", "min", "math.ceil", "math.floor", "ceil", "floor", "abs")


def expression(node: cst.BaseExpression | None, ctx: Ctx, seq: int | None, resolver: Resolver) -> str | None:
    """The expression, or None when it does not involve a run-time size."""
    if node is None:
        return None
    found: list[str] = []
    text = _expr(node, ctx, seq, resolver, 0, found)
    return text if text is not None and found and len(text) <= 200 else None


def _expr(node: cst.BaseExpression, ctx: Ctx, seq: int | None, resolver: Resolver, depth: int,
          found: list[str] | None = None) -> str | None:
    """The expression's text; ``found`` collects the run-time sizes it names."""
    if depth > 10:
        return None
    found = found if found is not None else []
    if isinstance(node, cst.Call):
        name = dotted(node.func) or ""
        args = [a for a in node.args if a.keyword is None and not a.star]
        if name == "len" and len(args) == 1:
            found.append("len")
            return f"len({symbol_text(resolver.ix.text(args[0].value, 60))})"
        world = world_call(node, resolver.ix.imports.qualify(node.func))
        if world is not None:
            found.append(WORLD)
            return world
        if name in _CALLS and len(args) == len(node.args) and args:
            parts = [_expr(a.value, ctx, seq, resolver, depth + 1, found) for a in args]
            if any(p is None for p in parts):
                return None
            return f"{name}({', '.join(parts)})"  # type: ignore[arg-type]
    if isinstance(node, cst.BinaryOperation):
        op = _OPS.get(type(node.operator))
        left = _expr(node.left, ctx, seq, resolver, depth + 1, found)
        right = _expr(node.right, ctx, seq, resolver, depth + 1, found)
        if op is None or left is None or right is None:
            return None
        return f"{_wrap(node.left, left)} {op} {_wrap(node.right, right)}"
    v = resolver.resolve(node, ctx, seq)
    if isinstance(v, Known):
        return repr(v.value) if isinstance(v.value, (int, float)) and not isinstance(v.value, bool) else None
    if isinstance(node, cst.Name):
        _, recs = resolver._assignments(node.value, ctx, seq)
        recs = [r for r in recs if r.kind != "def"]
        if len(recs) == 1 and recs[0].kind == "assign" and recs[0].value is not None:
            return _expr(recs[0].value, recs[0].ctx, recs[0].seq, resolver, depth + 1, found)
        return node.value
    if isinstance(node, cst.Attribute):
        if world_attribute(node) is not None:
            found.append(WORLD)
            return dotted(node)
        full = dotted(node)
        if full is not None and resolver._assignments(full, ctx, seq)[1]:
            recs = [r for r in resolver._assignments(full, ctx, seq)[1] if r.kind == "assign"]
            if len(recs) == 1 and recs[0].value is not None:  # args.world_size = dist.get_world_size()
                return _expr(recs[0].value, recs[0].ctx, recs[0].seq, resolver, depth + 1, found)
        return full
    return None


def _wrap(node: cst.BaseExpression, text: str) -> str:
    return f"({text})" if isinstance(node, cst.BinaryOperation) else text
