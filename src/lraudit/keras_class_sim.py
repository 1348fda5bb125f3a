"""Keras classes of the analysed code, simulated under Keras's own protocol with the safe evaluator.

* A ``LearningRateSchedule`` subclass: ``__init__`` runs once (``super().__init__()`` is Keras's no-op), then
  Keras calls ``schedule(step)`` with the optimizer's iteration count before each update, from 0 (Keras 3:
  ``optimizer._get_current_learning_rate`` -> ``self._learning_rate(self._iterations)``, an integer variable).
  ``get_config`` is never called. The arithmetic follows tensor semantics (``rsqrt(0)`` is inf, see
  tensor_math.py and ``Budget.ieee_floats``).
* A ``Callback`` subclass that writes the optimizer's rate: Keras's ``fit`` loop (keras/src/backend/torch/
  trainer.py) is replayed: ``set_params({"verbose", "epochs", "steps"})``, ``set_model``, ``on_train_begin()``,
  then for each epoch ``on_epoch_begin(epoch)``, for each batch ``on_train_batch_begin(batch)`` (Keras's base
  forwards it to ``on_batch_begin``), the update (the rate recorded here), ``on_train_batch_end(batch, logs)``,
  and ``on_epoch_end(epoch, logs)``. ``self.model.optimizer.learning_rate`` / ``.lr`` is a rate variable
  (``K.set_value``/``K.get_value``, ``.assign()``, assignment, ``.numpy()``, ``float()``), ``self.model.optimizer
  .iterations`` counts the updates, ``logs`` holds metric values only known at run time (reading one makes the
  curve unknown with that reason).

Only the statements the rate depends on run (``backward slice``): a hook that appends ``logs`` to a history or
saves weights is not evaluated, since nothing it does reaches the rate; a statement the rate depends on that the
evaluator cannot run makes the curve unknown with its reason. Every call runs under the evaluator's budgets.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping, Sequence

import libcst as cst

from .class_sim import CALL_SECONDS, TOTAL_SECONDS, ArgRef, ClassPlan, ClassSimError, UnknownArg, UserClass
from .evaluate import BoundMethod, Budget, ClassToken, EvalError, Host, NativeMethod, Opaque, Session
from .facts import FunctionValue
from .tensor_math import VariableHost

HOOKS_EPOCH = ("on_epoch_begin", "on_epoch_end")
HOOKS_BATCH = ("on_batch_begin", "on_batch_end", "on_train_batch_begin", "on_train_batch_end")
HOOKS = ("on_train_begin",) + HOOKS_EPOCH + HOOKS_BATCH
_RATE_ATTRS = ("learning_rate", "lr")


@dataclass(frozen=True)
class KerasFit:
    """What ``fit(...)`` hands a callback: epochs and steps per epoch (None: unknown, with the reason)."""

    epochs: int | None
    steps: int | None
    epochs_reason: str = ""
    steps_reason: str = ""
    steps_assumed: bool = False  # ``steps`` is an assumed loader length (the script does not state it)


@dataclass(frozen=True)
class KerasClassPlan:
    """``FileFacts.extra["keras_class_plans"][sid]``: the class plan and, for a callback, its fit and whether the
    rate it writes depends on the rate it finds (``lr * 0.5``: it composes with other writers) or not (it
    recomputes the rate and so erases theirs; LR301)."""

    kind: str  # "schedule" | "callback"
    plan: ClassPlan
    fit: KerasFit | None = None
    reads_rate: bool = True


# ------------------------------------------------------------------------------------------ objects
def _mro(plan: ClassPlan) -> list[str]:
    """C3 linearisation of the plan's classes; ``keras:X`` bases end it."""
    memo: dict[str, list[str]] = {}

    def lin(name: str, depth: int = 0) -> list[str]:
        if name in memo:
            return memo[name]
        if depth > 20:
            raise ClassSimError(f"the class hierarchy of {plan.cls} is too deep or circular")
        if name.startswith("keras:") or name not in plan.classes:
            return [name]
        bases = list(plan.classes[name].bases)
        seqs = [lin(b, depth + 1) for b in bases] + [bases]
        out = [name]
        seqs = [list(s) for s in seqs if s]
        while seqs:
            for s in seqs:
                head = s[0]
                if not any(head in t[1:] for t in seqs):
                    break
            else:
                raise ClassSimError(f"the bases of {name} cannot be combined (no consistent method order)")
            out.append(head)
            seqs = [t[1:] if t[0] == head else t for t in seqs]
            seqs = [t for t in seqs if t]
        memo[name] = out
        return out

    return lin(plan.cls)


class _Obj(Host):
    """``self`` of the analysed class: its ``__dict__``, then its classes' methods and fields along the MRO, then
    the Keras base's few methods."""

    def __init__(self, plan: ClassPlan, methods: Mapping[tuple[str, str], FunctionValue], sim: "_Sim") -> None:
        self.plan = plan
        self.mro = _mro(plan)
        self.methods = methods  # (class, method) -> the (sliced) method
        self.attrs: dict[str, Any] = {}
        self.sim = sim
        self.writes = 0  # attribute writes (state kept between calls)

    @property
    def what(self) -> str:  # type: ignore[override]
        return f"the {self.plan.cls} object"

    def find(self, name: str, start: int = 0, receiver: Any = "self") -> Any:
        if name.startswith("__") and name not in ("__init__", "__call__"):
            raise EvalError(f"attribute {name} is not read by the evaluator")
        recv = self if receiver == "self" else receiver
        for cname in self.mro[start:]:
            if cname.startswith("keras:"):
                native = self.sim.native(cname, name, recv)
                if native is not None:
                    return native
                continue
            u = self.plan.classes.get(cname)
            if u is None:
                continue
            if name in u.refused:
                raise EvalError(u.refused[name])
            fn = self.methods.get((cname, name))
            if fn is not None:
                return BoundMethod(fn, recv, cname)
            if name in u.fields:
                return u.fields[name]
        raise EvalError(f"{self.plan.cls} has no attribute {name}")

    def ev_getattr(self, name: str) -> Any:
        if name in self.attrs:
            return self.attrs[name]
        return self.find(name)

    def ev_setattr(self, name: str, value: Any) -> None:
        if name.startswith("__"):
            raise EvalError(f"attribute {name} is not written by the evaluator")
        self.writes += 1
        self.attrs[name] = value

    def ev_super(self, owner: Any, name: str) -> Any:
        if owner not in self.mro:
            raise EvalError(f"super(): {owner} is not a class of {self.what}")
        return self.find(name, self.mro.index(owner) + 1)

    def ev_class(self, name: str) -> Any:
        for cname in self.mro:
            if cname == name or cname.startswith("keras:") and cname[len("keras:"):] == name:
                return cname
        return None

    def ev_class_attr(self, owner: Any, name: str) -> Any:
        return self.find(name, self.mro.index(owner), receiver=None)

    def ev_type(self) -> ClassToken:
        return ClassToken(f"custom:{self.plan.cls}")

    def ev_isinstance(self, token: ClassToken) -> bool:
        return any(token.qualname in (f"custom:{c}", c) for c in self.mro)

    def __repr__(self) -> str:
        return f"<{self.plan.cls}>"


class _Rate(VariableHost):
    """The optimizer's learning-rate variable."""

    what = "the optimizer's learning rate"

    def __init__(self, value: float | None, why_unknown: str, schedule: str | None) -> None:
        self.value = value
        self.why_unknown = why_unknown
        self.schedule = schedule

    def ev_number(self) -> Any:
        if self.value is None:
            raise EvalError(f"the callback reads the optimizer's learning rate, which is not known "
                            f"({self.why_unknown})")
        return self.value

    def ev_assign(self, value: Any) -> None:
        if isinstance(value, Host):
            value = value.ev_number()
        if type(value) not in (int, float) or not math.isfinite(value):
            raise EvalError(f"the callback sets the learning rate to {value!r}, which is not a finite number")
        if self.schedule is not None:
            raise EvalError(f"the callback sets the learning rate of an optimizer whose rate is the schedule "
                            f"{self.schedule} (Keras raises TypeError: the rate is not settable)")
        self.value = float(value)

    def ev_getattr(self, name: str) -> Any:
        if name == "assign":
            return NativeMethod("assign", lambda a, k: self.ev_assign(a[0] if a else k.get("value")))
        if name in ("numpy", "read_value"):
            return NativeMethod(name, lambda a, k: self.ev_number())
        if name == "value":
            return self.ev_number()
        if name == "dtype":
            return "float32"
        raise EvalError(f"the learning-rate variable has no attribute {name} the simulation follows")


class _Optimizer(Host):
    what = "the optimizer"

    def __init__(self, rate: _Rate) -> None:
        self.rate = rate
        self.iterations = 0

    def ev_getattr(self, name: str) -> Any:
        if name in _RATE_ATTRS:
            return self.rate
        if name == "iterations":
            return self.iterations
        raise EvalError(f"self.model.optimizer.{name} is not known to the simulation")

    def ev_setattr(self, name: str, value: Any) -> None:
        if name in _RATE_ATTRS:
            self.rate.ev_assign(value)
            return
        raise EvalError(f"the callback sets self.model.optimizer.{name}, which the simulation does not follow")


class _Model(Host):
    what = "the model"

    def __init__(self, optimizer: _Optimizer) -> None:
        self.optimizer = optimizer
        self.attrs: dict[str, Any] = {"stop_training": False}

    def ev_getattr(self, name: str) -> Any:
        if name == "optimizer":
            return self.optimizer
        if name in self.attrs:
            return self.attrs[name]
        raise EvalError(f"self.model.{name} is not known to the simulation")

    def ev_setattr(self, name: str, value: Any) -> None:
        if name == "stop_training":
            self.attrs[name] = value
            return
        raise EvalError(f"the callback sets self.model.{name}, which the simulation does not follow")


class _Params(Host):
    """``self.params``: what Keras 3's ``fit`` passes (``verbose``, ``epochs``, ``steps``)."""

    what = "self.params"

    def __init__(self, fit: KerasFit) -> None:
        self.fit = fit

    def ev_getitem(self, key: Any) -> Any:
        if key == "epochs":
            if self.fit.epochs is None:
                raise EvalError(f"self.params['epochs'] is not known ({self.fit.epochs_reason})")
            return self.fit.epochs
        if key == "steps":
            if self.fit.steps is None:
                raise EvalError(f"self.params['steps'] is not known ({self.fit.steps_reason})")
            return self.fit.steps
        if key == "verbose":
            return 1
        raise EvalError(f"self.params[{key!r}] is not something Keras 3's fit() passes (it passes 'verbose', "
                        "'epochs' and 'steps')")

    def ev_getattr(self, name: str) -> Any:
        if name == "get":
            def get(a: list[Any], k: dict[str, Any]) -> Any:
                try:
                    return self.ev_getitem(a[0])
                except EvalError:
                    if a and a[0] in ("epochs", "steps", "verbose"):
                        raise
                    return a[1] if len(a) > 1 else k.get("default")
            return NativeMethod("get", get)
        raise EvalError(f"self.params.{name} is not followed")


class _Logs(Host):
    """The ``logs`` dict of an ``*_end`` hook: metric values known only at run time."""

    what = "the logs Keras passes (metric values known only at run time)"

    def _refuse(self, key: Any) -> Any:
        raise EvalError(f"the rate depends on logs[{key!r}], a metric value known only at run time")

    def ev_getitem(self, key: Any) -> Any:
        return self._refuse(key)

    def ev_getattr(self, name: str) -> Any:
        if name == "get":
            return NativeMethod("get", lambda a, k: self._refuse(a[0] if a else "?"))
        raise EvalError(f"the rate depends on logs.{name}(), metric values known only at run time")


# ----------------------------------------------------------------------------------------- slicing
@dataclass
class _Stmt:
    node: cst.CSTNode
    method: str
    defs: set[tuple[str, ...]] = field(default_factory=set)
    uses: set[tuple[str, ...]] = field(default_factory=set)
    calls: set[str] = field(default_factory=set)
    writes_rate: bool = False
    kind: str = "simple"  # simple | return | jump | compound
    children: list["_Stmt"] = field(default_factory=list)


def _dotted(node: cst.BaseExpression) -> str | None:
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        base = _dotted(node.value)
        return f"{base}.{node.attr.value}" if base else None
    return None


def _is_rate(node: cst.BaseExpression) -> bool:
    d = _dotted(node) or ""
    return d.rsplit(".", 1)[-1] in _RATE_ATTRS and "optim" in d


class _Uses(cst.CSTVisitor):
    def __init__(self, locals_: set[str]) -> None:
        self.locals = locals_
        self.uses: set[tuple[str, ...]] = set()
        self.calls: set[str] = set()

    def visit_Name(self, node: cst.Name) -> None:
        if node.value in self.locals and node.value != "self":
            self.uses.add(("local", node.value))

    def visit_Attribute(self, node: cst.Attribute) -> bool:
        d = _dotted(node)
        if d is not None and d.startswith("self."):
            parts = d.split(".")
            if parts[1] != "model":  # the model and its optimizer are Keras's: only the rate writes reach them
                self.uses.add(("attr", parts[1]))
            return False
        return True

    def visit_Call(self, node: cst.Call) -> None:
        f = node.func
        if isinstance(f, cst.Attribute):
            d = _dotted(f) or ""
            if d.startswith("self.") and d.count(".") == 1 or (isinstance(f.value, cst.Call) and
                                                             _dotted(f.value.func) == "super"):
                self.calls.add(f.attr.value)
                self.uses.add(("ret", f.attr.value))
            elif d.count(".") == 1 and d.split(".")[0] not in self.locals:  # Base.method(self, ...)
                self.calls.add(f.attr.value)
                self.uses.add(("ret", f.attr.value))


def _target_defs(t: cst.BaseExpression, locals_: set[str], out: set[tuple[str, ...]]) -> None:
    if isinstance(t, (cst.Tuple, cst.List)):
        for e in t.elements:
            _target_defs(e.value, locals_, out)
        return
    if isinstance(t, cst.StarredElement):
        _target_defs(t.value, locals_, out)
        return
    root: cst.BaseExpression = t
    while isinstance(root, (cst.Attribute, cst.Subscript)):
        if isinstance(root, cst.Attribute) and isinstance(root.value, cst.Name) and root.value.value == "self":
            if root.attr.value != "model":
                out.add(("attr", root.attr.value))
            return
        root = root.value
    if isinstance(root, cst.Name):
        out.add(("local", root.value))


def _rate_write(stmt: cst.CSTNode) -> bool:
    if isinstance(stmt, cst.Assign):
        return any(_is_rate(t.target) for t in stmt.targets)
    if isinstance(stmt, (cst.AugAssign, cst.AnnAssign)):
        return _is_rate(stmt.target)
    found = False

    class V(cst.CSTVisitor):
        def visit_Call(self, call: cst.Call) -> None:
            nonlocal found
            name = (_dotted(call.func) or "").rsplit(".", 1)[-1]
            args = [a.value for a in call.args if a.keyword is None and not a.star]
            if name == "set_value" and args and _is_rate(args[0]):
                found = True
            if name == "assign" and isinstance(call.func, cst.Attribute) and _is_rate(call.func.value):
                found = True
            if name == "setattr" and len(args) >= 2 and isinstance(args[1], cst.SimpleString) and \
                    args[1].evaluated_value in _RATE_ATTRS:
                found = True

    stmt.visit(V())
    return found


def _method_locals(fn: cst.FunctionDef) -> set[str]:
    names = {p.name.value for p in (*fn.params.params, *fn.params.posonly_params, *fn.params.kwonly_params)}
    for star in (fn.params.star_arg, fn.params.star_kwarg):
        if isinstance(star, cst.Param):
            names.add(star.name.value)

    class V(cst.CSTVisitor):
        def visit_Name(self, node: cst.Name) -> None:
            pass

        def visit_AssignTarget(self, node: cst.AssignTarget) -> None:
            _names(node.target)

        def visit_AugAssign(self, node: cst.AugAssign) -> None:
            _names(node.target)

        def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
            _names(node.target)

        def visit_For(self, node: cst.For) -> None:
            _names(node.target)

        def visit_NamedExpr(self, node: cst.NamedExpr) -> None:
            _names(node.target)

        def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
            if node is not fn:
                names.add(node.name.value)
                return False
            return True

    def _names(t: cst.BaseExpression) -> None:
        if isinstance(t, cst.Name):
            names.add(t.value)
        elif isinstance(t, (cst.Tuple, cst.List)):
            for e in t.elements:
                _names(e.value)
        elif isinstance(t, cst.StarredElement):
            _names(t.value)

    fn.visit(V())
    return names


def _analyse(stmt: cst.CSTNode, method: str, locals_: set[str]) -> _Stmt:
    def uses_of(*nodes: cst.CSTNode | None) -> tuple[set[tuple[str, ...]], set[str]]:
        v = _Uses(locals_)
        for n in nodes:
            if n is not None:
                n.visit(v)
        return v.uses, v.calls

    def scoped(keys: set[tuple[str, ...]]) -> set[tuple[str, ...]]:
        return {(k[0], method, k[1]) if k[0] == "local" else k for k in keys}

    if isinstance(stmt, cst.SimpleStatementLine):
        st = _Stmt(stmt, method, kind="compound")
        st.children = [_analyse(x, method, locals_) for x in stmt.body]
        return st
    if isinstance(stmt, (cst.If, cst.While)):
        st = _Stmt(stmt, method, kind="compound")
        u, c = uses_of(stmt.test)
        st.uses, st.calls = scoped(u), c
        st.children = [_analyse(x, method, locals_) for x in stmt.body.body]
        orelse = stmt.orelse
        if isinstance(orelse, cst.If):
            st.children.append(_analyse(orelse, method, locals_))
        elif isinstance(orelse, cst.Else):
            st.children.extend(_analyse(x, method, locals_) for x in orelse.body.body)
        return st
    if isinstance(stmt, cst.With):
        st = _Stmt(stmt, method, kind="compound")
        u, c = uses_of(*[i.item for i in stmt.items])
        st.uses, st.calls = scoped(u), c
        d0: set[tuple[str, ...]] = set()
        for i in stmt.items:
            if i.asname is not None:
                _target_defs(i.asname.name, locals_, d0)  # type: ignore[arg-type]
        st.defs = scoped(d0)
        st.children = [_analyse(x, method, locals_) for x in stmt.body.body]
        return st
    if isinstance(stmt, cst.For):
        st = _Stmt(stmt, method, kind="compound")
        u, c = uses_of(stmt.iter)
        st.uses, st.calls = scoped(u), c
        d: set[tuple[str, ...]] = set()
        _target_defs(stmt.target, locals_, d)
        st.defs = scoped(d)
        st.children = [_analyse(x, method, locals_) for x in stmt.body.body]
        if isinstance(stmt.orelse, cst.Else):
            st.children.extend(_analyse(x, method, locals_) for x in stmt.orelse.body.body)
        return st
    st = _Stmt(stmt, method)
    if isinstance(stmt, (cst.Return,)):
        st.kind = "return"
    elif isinstance(stmt, (cst.Break, cst.Continue, cst.Raise)):
        st.kind = "jump"
    u, c = uses_of(stmt)
    st.uses, st.calls = scoped(u), c
    d = set()
    if isinstance(stmt, cst.Assign):
        for t in stmt.targets:
            _target_defs(t.target, locals_, d)
    elif isinstance(stmt, (cst.AugAssign, cst.AnnAssign)):
        _target_defs(stmt.target, locals_, d)
    elif isinstance(stmt, cst.Expr) and isinstance(stmt.value, cst.Call) and \
            isinstance(stmt.value.func, cst.Attribute):
        _target_defs(stmt.value.func.value, locals_, d)  # x.append(...), self.history.setdefault(...)
    elif isinstance(stmt, (cst.FunctionDef, cst.ClassDef)):
        d.add(("local", stmt.name.value))
    elif not isinstance(stmt, (cst.Expr, cst.Pass, cst.Return, cst.Break, cst.Continue, cst.Raise)):
        st.kind = "other"  # with, try, global, del...: kept when its method matters (the evaluator decides)
    st.defs = scoped(d)
    st.writes_rate = _rate_write(stmt)
    return st


def _walk(stmts: Iterable[_Stmt]) -> Iterable[_Stmt]:
    for s in stmts:
        yield s
        yield from _walk(s.children)


def slice_methods(plan: ClassPlan) -> dict[tuple[str, str], FunctionValue]:
    """Each method of the plan's classes with only the statements the rate depends on (the others become
    ``pass``); see the module docstring."""
    trees: dict[tuple[str, str], list[_Stmt]] = {}
    for cname, u in plan.classes.items():
        for mname, fv in u.methods.items():
            node = fv.node
            if not isinstance(node, cst.FunctionDef) or not isinstance(node.body, cst.IndentedBlock):
                trees[(cname, mname)] = []
                continue
            locals_ = _method_locals(node)
            trees[(cname, mname)] = [_analyse(x, mname, locals_) for x in node.body.body]
    relevant: set[tuple[str, ...]] = set()
    keep: set[int] = set()
    active: set[str] = set()
    changed = True
    while changed:
        changed = False
        for (cname, mname), stmts in trees.items():
            for st in _walk(stmts):
                if id(st) in keep:
                    continue
                if isinstance(st.node, cst.While) and (mname in active or ("ret", mname) in relevant):
                    hit = True  # whether it ends decides whether the rate is ever written
                elif st.kind == "compound":
                    hit = any(id(ch) in keep for ch in st.children)
                else:
                    matters = mname in active or ("ret", mname) in relevant
                    hit = (st.writes_rate or bool(st.defs & relevant) or bool(st.calls & active)
                           or st.kind in ("return", "jump", "other") and matters)
                if hit:
                    keep.add(id(st))
                    relevant |= st.uses
                    if st.kind == "compound":
                        relevant |= st.defs
                    active.add(mname)
                    changed = True
    out: dict[tuple[str, str], FunctionValue] = {}
    for (cname, mname), stmts in trees.items():
        fv = plan.classes[cname].methods[mname]
        if not stmts:
            out[(cname, mname)] = fv
            continue
        new_body = [_rebuild(st, keep) for st in stmts]
        node = fv.node.with_changes(body=fv.node.body.with_changes(body=_nonempty(new_body)))
        out[(cname, mname)] = FunctionValue(node, fv.name, fv.line, scope=fv.scope, bound=fv.bound, file=fv.file)
    return out


_PASS = cst.SimpleStatementLine(body=[cst.Pass()])


def _nonempty(body: list[Any]) -> list[Any]:
    return body or [_PASS]


def _rebuild(st: _Stmt, keep: set[int]) -> Any:
    node = st.node
    if id(st) not in keep:
        return _PASS if not isinstance(node, cst.BaseSmallStatement) else cst.Pass()
    if isinstance(node, cst.SimpleStatementLine):
        return node.with_changes(body=[_rebuild(ch, keep) for ch in st.children])
    if isinstance(node, cst.With):
        return node.with_changes(body=node.body.with_changes(
            body=_nonempty([_rebuild(ch, keep) for ch in st.children])))
    if isinstance(node, (cst.If, cst.While, cst.For)):
        body_n = len(node.body.body)
        kids = st.children
        body = _nonempty([_rebuild(ch, keep) for ch in kids[:body_n]])
        rest = kids[body_n:]
        orelse = node.orelse
        if isinstance(orelse, cst.If):
            orelse = _rebuild(rest[0], keep) if id(rest[0]) in keep else None
            if orelse is not None and not isinstance(orelse, cst.If):
                orelse = None
        elif isinstance(orelse, cst.Else):
            orelse = orelse.with_changes(body=orelse.body.with_changes(
                body=_nonempty([_rebuild(ch, keep) for ch in rest])))
        return node.with_changes(body=node.body.with_changes(body=body), orelse=orelse)
    return node


def reads_rate(plan: ClassPlan) -> bool:
    """True when a statement the rate depends on reads the optimizer's current rate (not as a write target)."""
    for fv in slice_methods(plan).values():
        found = False

        class V(cst.CSTVisitor):
            def visit_Assign(self, node: cst.Assign) -> bool:
                node.value.visit(self)
                for t in node.targets:
                    if not _is_rate(t.target):
                        t.target.visit(self)
                return False

            def visit_Call(self, node: cst.Call) -> bool:
                name = (_dotted(node.func) or "").rsplit(".", 1)[-1]
                args = [a for a in node.args]
                if name == "set_value" and args and _is_rate(args[0].value):
                    for a in args[1:]:
                        a.value.visit(self)
                    return False
                if name == "assign" and isinstance(node.func, cst.Attribute) and _is_rate(node.func.value):
                    for a in args:
                        a.value.visit(self)
                    return False
                return True

            def visit_Attribute(self, node: cst.Attribute) -> bool:
                nonlocal found
                if _is_rate(node):
                    found = True
                    return False
                return True

        fv.node.visit(V())
        if found:
            return True
    return False


def active_hooks(methods: Mapping[tuple[str, str], FunctionValue], plan: ClassPlan) -> set[str]:
    """Hooks of the plan's classes whose sliced body still does something."""
    out = set()
    for (cname, mname), fv in methods.items():
        if mname in HOOKS and not _all_pass(fv.node):
            out.add(mname)
    return out


def _all_pass(node: cst.FunctionDef) -> bool:
    for line in node.body.body:
        if not (isinstance(line, cst.SimpleStatementLine) and all(isinstance(x, cst.Pass) for x in line.body)):
            return False
    return True


# ---------------------------------------------------------------------------------------- running
class _Sim:
    def __init__(self, kind: str, session: Session) -> None:
        self.kind = kind
        self.session = session
        self.obj: _Obj | None = None

    def native(self, base: str, name: str, receiver: Any) -> Any:
        """A method of Keras's ``Callback`` / ``LearningRateSchedule`` base class, or None."""
        if name == "__init__":
            return NativeMethod("__init__", lambda a, k: None)
        if base == "keras:Callback":
            if name in ("on_train_batch_begin", "on_train_batch_end"):
                target = "on_batch_begin" if name.endswith("begin") else "on_batch_end"

                def forward(a: list[Any], k: dict[str, Any]) -> Any:
                    r = receiver if receiver is not None else (a[0] if a else None)
                    args = a if receiver is not None else a[1:]
                    if not isinstance(r, _Obj):
                        raise EvalError(f"{name}() needs its receiver")
                    return self.session.call(r.find(target), args, k)

                return NativeMethod(name, forward)
            if name in ("set_model", "set_params"):
                def store(a: list[Any], k: dict[str, Any]) -> None:
                    r, args = (receiver, a) if receiver is not None else (a[0] if a else None, a[1:])
                    if isinstance(r, _Obj) and args:
                        r.attrs["model" if name == "set_model" else "params"] = args[0]

                return NativeMethod(name, store)
            if name.startswith("on_"):
                return NativeMethod(name, lambda a, k: None)
        if base == "keras:LearningRateSchedule" and name == "get_config":
            return NativeMethod(name, lambda a, k: (_ for _ in ()).throw(
                EvalError("LearningRateSchedule.get_config() is not implemented in Keras")))
        return None


def _value(v: Any, name: str, optimizer: Any, objects: Mapping[str, Any] | None = None) -> Any:
    if isinstance(v, ArgRef):
        if v.kind == "optimizer" and optimizer is not None:
            return optimizer
        if objects and v.id in objects:
            return objects[v.id]
        return Opaque(f"{name} (the {v.kind} {v.id})")
    if isinstance(v, UnknownArg):
        return Opaque(f"{name} (unknown: {v.reason})")
    return v


def _number(v: Any, what: str) -> float:
    if isinstance(v, Host):
        v = v.ev_number()
    if type(v) not in (int, float, bool):
        raise ClassSimError(f"{what} returns {type(v).__name__}, not a number")
    f = float(v)
    if not math.isfinite(f):
        raise ClassSimError(f"{what} computes a rate that is not a finite number ({f})")
    return f


def _construct(plan: ClassPlan, sim: _Sim, methods: Mapping[tuple[str, str], FunctionValue],
               optimizer: Any = None, objects: Mapping[str, Any] | None = None) -> _Obj:
    obj = _Obj(plan, methods, sim)
    sim.obj = obj
    args = [_value(v, f"argument {i + 1}", optimizer, objects) for i, v in enumerate(plan.args)]
    kwargs = {k: _value(v, k, optimizer, objects) for k, v in plan.kwargs.items()}
    sim.session.call(obj.find("__init__"), args, kwargs)
    obj.writes = 0
    return obj


def builtin_schedule(cls: str, args: Mapping[str, Any]) -> NativeMethod:
    """A Keras schedule object of the catalog (``PolynomialDecay(...)``) handed to a class of the file
    (``decay_schedule_fn``): calling it is ``schedule(step)`` (catalog/keras_sim.py)."""
    from .catalog import keras_sim

    name, bound = keras_sim.bound_schedule(cls, args)

    def call(a: list[Any], k: dict[str, Any]) -> float:
        step = a[0] if a else k.get("step")
        if isinstance(step, Host):
            step = step.ev_number()
        if type(step) not in (int, float) or not math.isfinite(step):
            raise EvalError(f"{name}() is called with {step!r}, not a step number")
        try:
            return keras_sim.schedule_value(name, bound, step)  # type: ignore[arg-type]
        except Exception as e:  # what the catalog simulation raises is what Keras raises, or a refusal
            raise EvalError(f"{name}() raises {type(e).__name__}: {e}") from None

    return NativeMethod(name, call)


def schedule_values(plan: ClassPlan, steps: Sequence[int], *, in_order: bool,
                    objects: Mapping[str, Any] | None = None) -> list[float]:
    """``schedule(step)`` at each of ``steps`` on one object. ``in_order`` False (sampled steps) requires a
    ``__call__`` that keeps no state. ``objects``: other schedules the constructor is handed, by id."""
    session = Session(Budget(max_seconds=CALL_SECONDS, ieee_floats=True), TOTAL_SECONDS)
    sim = _Sim("schedule", session)
    methods = {(c, m): fv for c, u in plan.classes.items() for m, fv in u.methods.items()}
    obj = _construct(plan, sim, methods, objects=objects)
    call = obj.find("__call__")
    if isinstance(call, NativeMethod):
        raise ClassSimError(f"{plan.cls} does not define __call__(step)")
    out = []
    for k in steps:
        v = session.call(call, [k], {})
        if not in_order and obj.writes:
            raise ClassSimError(f"{plan.cls}.__call__ keeps state between calls, so it is evaluated one step at a "
                                "time, and the run is longer than the steps that are")
        out.append(_number(v, f"{plan.cls}.__call__"))
    return out


@dataclass
class CallbackRun:
    values: list[float]
    per_batch: bool
    hooks: tuple[str, ...]


def callback_values(plan: ClassPlan, fit: KerasFit, initial_lr: float | None, lr_unknown: str,
                    schedule: str | None, per_batch: bool, limit: int | None = None) -> CallbackRun:
    """The rate at each batch (``per_batch``) or each epoch of ``fit`` with the callback of ``plan``."""
    session = Session(Budget(max_seconds=CALL_SECONDS), TOTAL_SECONDS)
    sim = _Sim("callback", session)
    methods = slice_methods(plan)
    hooks = active_hooks(methods, plan)
    rate = _Rate(initial_lr, lr_unknown, schedule)
    optimizer = _Optimizer(rate)
    model = _Model(optimizer)
    obj = _construct(plan, sim, methods, optimizer)
    obj.attrs.setdefault("validation_data", None)
    # CallbackList(callbacks, model=..., epochs=..., steps=...): set_model, then set_params (an override runs
    # only the statements the rate depends on, so the attributes are set here first)
    params = _Params(fit)
    obj.attrs["model"], obj.attrs["params"] = model, params
    session.call(obj.find("set_model"), [model], {})
    session.call(obj.find("set_params"), [params], {})
    if fit.epochs is None:
        raise ClassSimError(f"the number of epochs is not known ({fit.epochs_reason})")
    batch_hooks = bool(hooks & set(HOOKS_BATCH))
    if (per_batch or batch_hooks) and fit.steps is None:
        raise ClassSimError(f"the callback acts per batch and the steps per epoch are not known ({fit.steps_reason})")
    logs = _Logs()

    def hook(name: str, *args: Any) -> None:
        if name in hooks or (name == "on_train_batch_begin" and "on_batch_begin" in hooks) or \
                (name == "on_train_batch_end" and "on_batch_end" in hooks):
            session.call(obj.find(name), list(args), {})

    values: list[float] = []
    hook("on_train_begin", None)
    for epoch in range(fit.epochs):
        hook("on_epoch_begin", epoch, None)
        if not per_batch:
            values.append(_number(rate, "the rate"))
        if per_batch or batch_hooks:
            for batch in range(fit.steps or 0):
                hook("on_train_batch_begin", batch, None)
                if per_batch:
                    values.append(_number(rate, "the rate"))
                optimizer.iterations += 1
                hook("on_train_batch_end", batch, logs)
                if limit is not None and len(values) >= limit:
                    return CallbackRun(values, per_batch, tuple(sorted(hooks)))
        hook("on_epoch_end", epoch, logs)
        if model.attrs.get("stop_training") is True:
            break
        if limit is not None and len(values) >= limit:
            break
    return CallbackRun(values, per_batch, tuple(sorted(hooks)))


__all__ = ["CallbackRun", "KerasClassPlan", "KerasFit", "callback_values", "schedule_values", "slice_methods",
           "UserClass"]
