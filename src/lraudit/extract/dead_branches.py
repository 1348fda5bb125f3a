"""Branches of a schedule's own function that can never run.

``if epoch >= 120: lr = LR * 0.1 elif epoch >= 160: lr = LR * 0.05`` (mangye16/Unsupervised_Embedding_Learning
issue #7): the second test is only reached when the first failed, and whenever ``epoch >= 160`` holds,
``epoch >= 120`` held first, so the later decays never happen. The same for a chain of conditional expressions
(``a if e < 10 else b if e < 5 else c``).

A test of an ``elif`` (or of a conditional expression's ``else`` part) is dead when it compares the same subject
as an earlier test of the chain (a name, attribute or subscript, no call) with a number, and it implies that
earlier test: ``x >= q`` with ``q >= p`` after ``x >= p`` (``x > q`` after ``x >= p`` when ``q >= p``, ...),
``x <= q`` after ``x <= p`` with ``q <= p``, ``x == q`` after any test that ``q`` satisfies. The numbers are
literals or names lraudit resolves in the function. The functions read are the schedule's own (a manual schedule's
writer, ``lr_lambda``, a Keras ``schedule``) and the plain functions of the file they call by name (nanoGPT's
``get_lr``), one level down.
"""

from __future__ import annotations

import math
import operator
from dataclasses import replace
from typing import Any, Callable, Iterator

import libcst as cst

from ..facts import DeadBranch, FileFacts, FunctionValue, Known, Location, SchedulerFact
from .imports import dotted
from .index import Ctx, Indexer, lr_subscript
from .manual import _walk_nodes as _walk

_OPS: dict[type, str] = {cst.GreaterThanEqual: ">=", cst.GreaterThan: ">", cst.LessThanEqual: "<=",
                         cst.LessThan: "<", cst.Equal: "=="}
_FLIP = {">=": "<=", ">": "<", "<=": ">=", "<": ">", "==": "=="}
_HOLDS: dict[str, Callable[[float, float], bool]] = {
    ">=": operator.ge, ">": operator.gt, "<=": operator.le, "<": operator.lt, "==": operator.eq}


def dead_branches(facts: FileFacts, ix: Indexer, builder: Any) -> FileFacts:
    """Each scheduler with its dead branches (``SchedulerFact.dead_branches``)."""
    changed = False
    out: list[SchedulerFact] = []
    for s in facts.schedulers:
        found: dict[tuple[str, int, int], DeadBranch] = {}
        for fv in _functions(s):
            for node, scope in _with_callees(fv, ix):
                for d in _chains(node, scope, builder, fv.name if node is fv.node else _name(node)):
                    found.setdefault((d.loc.file, d.loc.line, d.loc.column), d)
        if found:
            changed = True
            s = replace(s, dead_branches=tuple(found[k] for k in sorted(found)))
        out.append(s)
    return replace(facts, schedulers=tuple(out)) if changed else facts


def _functions(s: SchedulerFact) -> Iterator[FunctionValue]:
    for v in s.args.values():
        if isinstance(v, Known) and isinstance(v.value, FunctionValue):
            yield v.value
        elif isinstance(v, Known) and isinstance(v.value, (list, tuple)):  # LambdaLR(lr_lambda=[f, g])
            yield from (x for x in v.value if isinstance(x, FunctionValue))


def _name(node: cst.CSTNode) -> str:
    return node.name.value if isinstance(node, cst.FunctionDef) else "lambda"


def _with_callees(fv: FunctionValue, ix: Indexer) -> Iterator[tuple[cst.CSTNode, Any]]:
    yield fv.node, fv.scope
    seen = {id(fv.node)}
    bare = {id(n.value) for n in _walk(fv.node) if isinstance(n, cst.Expr)}  # results thrown away: not the rate's
    for call in _walk(fv.node):
        if not (isinstance(call, cst.Call) and isinstance(call.func, cst.Name)) or id(call) in bare:
            continue
        defs = [f for f in ix.functions_by_name.get(call.func.value, []) if not f.is_method]
        if len(defs) != 1 or id(defs[0].node) in seen:
            continue
        seen.add(id(defs[0].node))
        scope = fv.scope
        if scope is not None and hasattr(scope, "resolver"):
            from .values import EvalScope

            scope = EvalScope(scope.resolver, Ctx(defs[0].scope))
        yield defs[0].node, scope


def _chains(root: cst.CSTNode, scope: Any, builder: Any, function: str) -> Iterator[DeadBranch]:
    """The dead tests of the if/elif chains and conditional-expression chains under ``root`` that decide the rate:
    an arm returns, writes ``["lr"]`` or assigns a name the rate is computed from (a chain that only logs is
    left alone)."""
    nodes = _walk(root)
    names, roots = _rate_inputs(root, nodes)
    inner = {id(n.orelse) for n in nodes if isinstance(n, cst.If) and isinstance(n.orelse, cst.If)}
    exprs = [n for r in roots for n in _walk(r)]
    inner |= {id(n.orelse) for n in exprs if isinstance(n, cst.IfExp) and isinstance(n.orelse, cst.IfExp)}
    heads = [n for n in nodes if isinstance(n, cst.If) and id(n) not in inner and _decides(n, names)]
    heads += [n for n in exprs if isinstance(n, cst.IfExp) and id(n) not in inner]
    done: set[int] = set()
    for head in heads:
        if id(head) in done:
            continue
        done.add(id(head))
        tests: list[cst.BaseExpression] = []
        node: Any = head
        while isinstance(node, (cst.If, cst.IfExp)):
            tests.append(node.test)
            node = node.orelse
        if len(tests) < 2:
            continue
        parsed = [_compare(t, scope) for t in tests]
        for j in range(1, len(tests)):
            b = parsed[j]
            if b is None:
                continue
            i = next((i for i in range(j) if parsed[i] is not None and _implies(b, parsed[i])), None)  # type: ignore
            if i is None:
                continue
            loc, earlier = _location(builder, tests[j]), _location(builder, tests[i])
            if loc is None or earlier is None:
                continue
            yield DeadBranch(loc, _code(tests[j]), _code(tests[i]), earlier, function)


def _rate_inputs(root: cst.CSTNode, nodes: list[cst.CSTNode]) -> tuple[set[str], list[cst.CSTNode]]:
    """The names the rate is computed from (read by a ``["lr"]`` write, a ``return`` or a lambda's body, and what
    those names are assigned from), and the expressions that compute it."""
    roots: list[cst.CSTNode] = []
    assigns: list[tuple[set[str], cst.BaseExpression]] = []
    for n in nodes:
        if isinstance(n, cst.Return) and n.value is not None:
            roots.append(n.value)
        elif isinstance(n, cst.Lambda):
            roots.append(n.body)
        elif isinstance(n, cst.Assign):
            if any(isinstance(t.target, cst.Subscript) and lr_subscript(t.target) for t in n.targets):
                roots.append(n.value)
            else:
                assigns.append(({x for t in n.targets for x in _target_names(t.target)}, n.value))
        elif isinstance(n, (cst.AugAssign, cst.AnnAssign)) and n.value is not None:
            assigns.append((_target_names(n.target), n.value))
    names = {x for r in roots for x in _read(r)}
    for _ in range(8):  # what those names are computed from, a few assignments back
        grown = False
        for targets, value in assigns:
            if targets & names:
                if value not in roots:
                    roots.append(value)
                new = _read(value) - names
                if new:
                    names |= new
                    grown = True
        if not grown:
            break
    return names, roots


def _decides(head: cst.If, names: set[str]) -> bool:
    node: Any = head
    bodies: list[cst.CSTNode] = []
    while isinstance(node, cst.If):
        bodies.append(node.body)
        node = node.orelse
    if isinstance(node, cst.Else):
        bodies.append(node.body)
    for body in bodies:
        for n in _walk(body):
            if isinstance(n, cst.Return):
                return True
            if isinstance(n, cst.Assign) and any(
                    (isinstance(t.target, cst.Subscript) and lr_subscript(t.target)) or
                    _target_names(t.target) & names for t in n.targets):
                return True
            if isinstance(n, (cst.AugAssign, cst.AnnAssign)) and _target_names(n.target) & names:
                return True
    return False


def _target_names(node: cst.BaseExpression) -> set[str]:
    if isinstance(node, cst.Name):
        return {node.value}
    if isinstance(node, (cst.Tuple, cst.List)):
        return {x for el in node.elements for x in _target_names(el.value)}
    return set()


def _read(node: cst.CSTNode) -> set[str]:
    return {n.value for n in _walk(node) if isinstance(n, cst.Name)}


def _compare(test: cst.BaseExpression, scope: Any) -> tuple[str, str, float] | None:
    """(subject, operator, number) for ``x >= 30`` / ``30 <= x`` / ``x < WARMUP``; None for anything else."""
    if not isinstance(test, cst.Comparison) or len(test.comparisons) != 1:
        return None
    op = _OPS.get(type(test.comparisons[0].operator))
    if op is None:
        return None
    left, right = test.left, test.comparisons[0].comparator
    for subj, num, o in ((left, right, op), (right, left, _FLIP[op])):
        key = _subject(subj)
        value = _number(num, scope)
        if key is not None and value is not None and _number(subj, scope) is None:
            return key, o, value
    return None


def _subject(node: cst.BaseExpression) -> str | None:
    if isinstance(node, (cst.Name, cst.Attribute)):
        return dotted(node)
    if isinstance(node, cst.Subscript) and not any(isinstance(n, cst.Call) for n in _walk(node)):
        return _code(node)
    return None


def _number(node: cst.BaseExpression, scope: Any) -> float | None:
    if isinstance(node, (cst.Integer, cst.Float)):
        return float(node.evaluated_value)
    if isinstance(node, cst.UnaryOperation) and isinstance(node.operator, cst.Minus):
        v = _number(node.expression, scope)
        return -v if v is not None else None
    if isinstance(node, cst.Name) and scope is not None and hasattr(scope, "resolver"):
        try:
            v = scope.resolver.resolve(node, scope.ctx)
        except (RecursionError, ValueError, TypeError):
            return None
        if isinstance(v, Known) and isinstance(v.value, (int, float)) and not isinstance(v.value, bool) \
                and math.isfinite(v.value) and _fixed(v.source):
            return float(v.value)
    return None


def _fixed(source: str) -> bool:
    """A value written in the code (a literal or a constant computed from literals), not one a run may change (an
    argparse default, a config file, ``--set``): a test against an option's default is dead only in that run."""
    words = source.lower()
    return not any(w in words for w in ("argparse", "config", "--", "option", "default of", "yaml", "json",
                                        "environment", "command line"))


def _implies(b: tuple[str, str, float], a: tuple[str, str, float]) -> bool:
    """Whether test ``b`` holding means test ``a`` holds (same subject, over all real numbers)."""
    (kb, ob, q), (ka, oa, p) = b, a
    if kb != ka:
        return False
    if ob == "==":
        return _HOLDS[oa](q, p)
    if ob in (">=", ">") and oa in (">=", ">"):
        return q > p or (q == p and (oa == ">=" or ob == ">"))
    if ob in ("<=", "<") and oa in ("<=", "<"):
        return q < p or (q == p and (oa == "<=" or ob == "<"))
    return False


def _location(builder: Any, node: cst.CSTNode) -> Location | None:
    try:
        loc = builder.loc.location(node)
    except Exception:  # a node lraudit made itself (a rewritten function) has no place in the file
        return None
    return loc if loc.line > 0 else None


def _code(node: cst.CSTNode) -> str:
    text = cst.Module([]).code_for_node(node).strip()
    return text if len(text) <= 60 else text[:57] + "..."


__all__ = ["dead_branches"]
