"""Plain classes that drive the rate of an optimizer they are given: schedules written as classes of their own.

The Transformer paper's ``NoamOpt`` (``step()`` counts, computes the rate, writes it on every group of
``self.optimizer`` and steps it), ``ScheduledOptim.step_and_update_lr()``, Megatron's ``AnnealingLR.step()``:
no torch base class, no ``get_lr()`` protocol torch would call, only a method that writes
``group["lr"]`` on the ``param_groups`` of an optimizer its ``__init__`` stored. An object of such a class is a
scheduler (``custom:<Class>``) whose optimizer is the one passed in, stepped where the script calls one of those
methods; class_sim runs the class's own methods to draw its curve.

A class is one when:

* it has no base class but ``object`` (a subclass of a torch scheduler or optimizer is handled as one);
* its ``__init__`` stores one of its parameters as ``self.<attr>`` (the optimizer it is given);
* a method other than ``__init__`` writes ``["lr"]`` on ``self.<attr>.param_groups`` (``for g in
  self.<attr>.param_groups: g["lr"] = ...``, through ``enumerate``/``zip``, or ``self.<attr>.param_groups[i]``),
  directly or through ``self.<method>()`` calls. Those of them that can be called without arguments are the ones
  that step the schedule;
* no method writes the rate inside a loop over anything but the groups (that is a trainer's training loop, whose
  writes manual.py reads as a hand-written schedule, as it reads ``adjust_lr(self, epoch)``: a schedule of the
  argument the loop passes).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import libcst as cst

from .index import ClassInfo, Ctx, Indexer, lr_subscript

#: methods that restore or report state: a write there is not a step of the schedule
_NOT_STEPS = frozenset({"__init__", "load_state_dict", "state_dict", "__repr__", "__str__", "__getstate__",
                        "__setstate__"})


@dataclass(frozen=True)
class RateWriter:
    """A plain class that writes the rate of the optimizer it stores (see the module docstring)."""

    cls: str
    attr: str  # self.<attr> holds the optimizer
    param: str  # the __init__ parameter stored there
    methods: tuple[str, ...]  # the methods that write the rate, directly or through self.<m>() calls (sorted)
    steps_optimizer: tuple[str, ...]  # the methods that also step self.<attr> (directly or through calls)


def rate_writer_classes(ix: Indexer, exclude: set[str]) -> dict[str, RateWriter]:
    """The classes of the file (and of the modules linked into it) that are rate writers, by name."""
    out: dict[str, RateWriter] = {}
    # only a class with a method that assigns ``[...]["lr"]`` is read (the index lists every subscript assignment;
    # ``g["lr"] *= gamma``, which it does not list, is found in this file's statements)
    from .manual import _aug_lr_writes

    if not ix.classes:
        return out
    assigning = {w.ctx.scope.function.class_name for w in [*ix.sub_writes, *_aug_lr_writes(ix)]
                 if w.ctx.scope.function is not None and w.ctx.scope.function.class_name and lr_subscript(w.target)}
    for name in sorted(ix.classes):
        ci = ix.classes[name]
        if name in exclude or name not in assigning or any(b != "object" for b in ci.bases):
            continue
        got = _rate_writer(ci)
        if got is not None:
            out[name] = got
    return out


def owned_writes(flow: Any) -> Callable[[Ctx], bool]:
    """A test of whether a rate write (by its context) is a step of a rate-writing class that has objects in the
    analysis: such writes are that scheduler's, not a hand-written schedule beside it."""
    built = {c.custom_class for c in flow.creations if c.entry is None and c.custom_class}
    owned = {(w.cls, m) for w in flow.rate_writers.values() if w.cls in built for m in w.methods}

    def test(ctx: Ctx) -> bool:
        fn = ctx.scope.function
        return bool(owned) and fn is not None and (fn.class_name, fn.name) in owned

    return test


def _rate_writer(ci: ClassInfo) -> RateWriter | None:
    init = ci.methods.get("__init__")
    if init is None:
        return None
    stored = _stored_params(init.node, {p.name for p in init.params[1:]})
    if not stored:
        return None
    direct: dict[str, set[str]] = {}  # method -> attributes whose groups it writes
    stepping: dict[str, set[str]] = {}  # method -> attributes it calls .step() on
    calls: dict[str, set[str]] = {}
    for mname, fn in ci.methods.items():
        if mname in _NOT_STEPS:
            continue
        v = _MethodScan()
        fn.node.visit(v)
        if v.in_loop:
            return None  # a trainer class: its loop's writes are a hand-written schedule (manual.py)
        direct[mname] = v.written
        stepping[mname] = v.stepped
        calls[mname] = v.self_calls
    callable_alone = {m for m, fn in ci.methods.items() if _no_required_params(fn.node)}
    for attr in sorted(stored):
        writers = _closure({m for m, a in direct.items() if attr in a}, calls) & callable_alone
        if not writers:
            continue
        steppers = _closure({m for m, a in stepping.items() if attr in a}, calls)
        return RateWriter(ci.name, attr, stored[attr], tuple(sorted(writers)),
                          tuple(sorted(writers & steppers)))
    return None


def _no_required_params(fn: cst.FunctionDef) -> bool:
    """The method can be called as ``obj.m()``: every parameter after ``self`` has a default. (A method that needs
    an argument, ``adjust_lr(self, epoch)``, is a hand-written schedule of that argument, which manual.py follows
    from the loop that passes it.)"""
    ps = fn.params
    positional = [*ps.posonly_params, *ps.params]
    return all(p.default is not None for p in positional[1:]) and all(p.default is not None for p in ps.kwonly_params)


def _closure(seed: set[str], calls: dict[str, set[str]]) -> set[str]:
    """The methods in ``seed`` and those that reach one of them through ``self.<m>()`` calls."""
    out = set(seed)
    changed = True
    while changed:
        changed = False
        for m, callees in calls.items():
            if m not in out and callees & out:
                out.add(m)
                changed = True
    return out


def _self_attr(node: cst.BaseExpression) -> str | None:
    if isinstance(node, cst.Attribute) and isinstance(node.value, cst.Name) and node.value.value == "self":
        return node.attr.value
    return None


def _stored_params(init: cst.FunctionDef, params: set[str]) -> dict[str, str]:
    """``self.<attr> = <param>`` statements of ``__init__``: attribute -> parameter."""
    out: dict[str, str] = {}

    class V(cst.CSTVisitor):
        def visit_Assign(self, node: cst.Assign) -> None:
            if isinstance(node.value, cst.Name) and node.value.value in params:
                for t in node.targets:
                    a = _self_attr(t.target)
                    if a is not None:
                        out.setdefault(a, node.value.value)

    init.visit(V())
    return out


def _groups_of(node: cst.BaseExpression) -> str | None:
    """``self.<attr>.param_groups`` (perhaps sliced or indexed) -> attr."""
    while isinstance(node, cst.Subscript):
        node = node.value
    if isinstance(node, cst.Attribute) and node.attr.value == "param_groups":
        return _self_attr(node.value)
    return None


class _MethodScan(cst.CSTVisitor):
    """What one method does: the attributes whose groups it writes ``["lr"]`` on, the attributes it steps, the
    methods of ``self`` it calls."""

    def __init__(self) -> None:
        self.groups: dict[str, str] = {}  # loop variable -> attribute whose param_groups it runs over
        self.written: set[str] = set()
        self.stepped: set[str] = set()
        self.self_calls: set[str] = set()
        # loops over anything but parameter groups around the current node: a method that writes the rate (or
        # calls a method that does) inside such a loop is a training loop, not a step of a schedule
        self.loops: list[bool] = []
        self.in_loop = False  # it writes the rate inside such a loop

    def _in_other_loop(self) -> bool:
        return any(self.loops)

    def visit_While(self, node: cst.While) -> None:
        self.loops.append(True)

    def leave_While(self, node: cst.While) -> None:
        self.loops.pop()

    def leave_For(self, node: cst.For) -> None:
        self.loops.pop()

    def visit_For(self, node: cst.For) -> None:
        self.loops.append(self._groups_loop(node) is None)
        found = self._groups_loop(node)
        if found is not None:
            self.groups[found[0]] = found[1]

    def _groups_loop(self, node: cst.For) -> tuple[str, str] | None:
        """(loop variable, attribute) of ``for g in self.<attr>.param_groups`` (through enumerate/zip)."""
        it = node.iter
        target: cst.BaseExpression | None = node.target
        if isinstance(it, cst.Call) and isinstance(it.func, cst.Name) and it.func.value in ("enumerate", "zip") \
                and it.args:
            src = it.args[0].value
            if isinstance(target, cst.Tuple) and target.elements:
                target = target.elements[1 if it.func.value == "enumerate" else 0].value \
                    if len(target.elements) > 1 else None
            it = src
        attr = _groups_of(it)
        if attr is not None and isinstance(target, cst.Name):
            return target.value, attr
        return None

    def _lr_target(self, target: cst.BaseExpression) -> None:
        if not isinstance(target, cst.Subscript) or not lr_subscript(target):
            return
        base = target.value
        if self._in_other_loop():
            self.in_loop = True
            return
        if isinstance(base, cst.Name) and base.value in self.groups:
            self.written.add(self.groups[base.value])
            return
        attr = _groups_of(base) if isinstance(base, cst.Subscript) else None
        if attr is not None:
            self.written.add(attr)

    def visit_Assign(self, node: cst.Assign) -> None:
        for t in node.targets:
            self._lr_target(t.target)

    def visit_AugAssign(self, node: cst.AugAssign) -> None:
        self._lr_target(node.target)

    def visit_Call(self, node: cst.Call) -> None:
        f = node.func
        if not isinstance(f, cst.Attribute):
            return
        owner = _self_attr(f.value)
        if owner is not None and f.attr.value == "step":
            self.stepped.add(owner)
        if isinstance(f.value, cst.Name) and f.value.value == "self" and not self._in_other_loop():
            self.self_calls.add(f.attr.value)


__all__ = ["RateWriter", "owned_writes", "rate_writer_classes"]
