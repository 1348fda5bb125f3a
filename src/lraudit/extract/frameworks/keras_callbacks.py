"""Keras ``Callback`` subclasses whose hooks write the rate (one-cycle and warm-up callbacks): a hand-written
schedule of the optimizer they are fitted with, rewritten into a plan the safe evaluator samples."""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, Callable

import libcst as cst

from ...facts import FileFacts, FunctionValue, Known, SchedulerFact, Unknown, Value
from ..imports import dotted
from ..index import Ctx, FunctionInfo, Indexer
from ..objects import Creation, ObjectFlow
from ..values import Resolver
from .base import ASSUMED_LEN, FactsBuilder, _local_subclasses, _names_in, _num, _replace_sched, _with_extra
from .keras_fit import _Fit, _fits_epochs, _fits_total, _keras_callback
from ...keras_class_sim import KerasClassPlan, KerasFit


if TYPE_CHECKING:
    from ..manual import ManualPlan

_KERAS_RATE_ATTRS = (".learning_rate", ".lr")


@dataclass(frozen=True)
class RateCallbackClass:
    """A Callback subclass of the file that writes the rate: the hooks that write it (directly or through a method
    they call) and every method of the class and its in-file bases, by name."""

    hooks: dict[str, FunctionInfo]
    methods: dict[str, FunctionInfo]


# A ``keras.callbacks.Callback`` subclass whose hooks write ``self.model.optimizer.learning_rate`` (Keras 2 one-cycle
# and warm-up callbacks): a hand-written schedule of the optimizer it is fitted with. It is listed as a ``manual``
# schedule; when the hook's rate depends only on the hook's counters (its epoch/batch argument, ``self.x += 1``
# counters, constants and the constructor's arguments, the current rate) it is simulated through the same plan the
# hand-written PyTorch schedules use: a synthetic ``lraudit_manual(lraudit_optimizer, lraudit_step)`` that performs
# the hook's write on a placeholder optimizer.
_EPOCH_HOOKS = ("on_epoch_begin", "on_epoch_end")
_BATCH_HOOKS = ("on_batch_begin", "on_batch_end", "on_train_batch_begin", "on_train_batch_end")
_RATE_WRITERS = ("set_value",)
_RATE_READERS = ("get_value", "float", "eval", "convert_to_numpy")


def _is_rate_target(node: cst.BaseExpression) -> bool:
    """``self.model.optimizer.learning_rate`` / ``.lr`` (any receiver that names an optimizer)."""
    text = dotted(node) or ""
    return text.endswith(_KERAS_RATE_ATTRS) and "optim" in text


def _rate_write_value(stmt: cst.CSTNode) -> cst.BaseExpression | None:
    """The value a statement writes into the optimizer's rate, or None."""
    if isinstance(stmt, cst.Assign) and len(stmt.targets) == 1 and _is_rate_target(stmt.targets[0].target):
        return stmt.value
    if isinstance(stmt, cst.Expr) and isinstance(stmt.value, cst.Call):
        call = stmt.value
        args = [a.value for a in call.args if a.keyword is None and not a.star]
        name = (dotted(call.func) or "").rsplit(".", 1)[-1]
        if name in _RATE_WRITERS and len(args) == 2 and _is_rate_target(args[0]):
            return args[1]
        if name == "assign" and len(args) == 1 and isinstance(call.func, cst.Attribute) and \
                _is_rate_target(call.func.value):
            return args[0]
    return None


def _writes_rate(node: cst.CSTNode) -> list[cst.CSTNode]:
    found: list[cst.CSTNode] = []

    class V(cst.CSTVisitor):
        def visit_Assign(self, n: cst.Assign) -> None:
            if _rate_write_value(n) is not None:
                found.append(n)

        def visit_Expr(self, n: cst.Expr) -> None:
            if _rate_write_value(n) is not None:
                found.append(n)

    node.visit(V())
    return found


def _keras_rate_callback_classes(ix: Indexer) -> dict[str, RateCallbackClass]:
    """Classes of this file that subclass a Keras ``Callback`` (directly or through each other) and write the
    optimizer's rate in one of their hooks (or in a method a hook calls): {class: {hook: method}}."""
    callbacks = _local_subclasses(ix, "Callback")
    out: dict[str, RateCallbackClass] = {}
    for name in sorted(callbacks):
        methods: dict[str, FunctionInfo] = {}
        chain = [name]
        while chain[-1] in ix.classes and len(chain) < 8:  # in-file base classes, nearest first
            base = next((b for b in ix.classes[chain[-1]].bases if b in callbacks), None)
            if base is None or base in chain:
                break
            chain.append(base)
        for cname in reversed(chain):
            methods.update(ix.classes[cname].methods)
        writers = {m for m, fn in methods.items() if _writes_rate(fn.node)}
        hooks: dict[str, FunctionInfo] = {}
        for hook in _EPOCH_HOOKS + _BATCH_HOOKS:
            fn = methods.get(hook)
            if fn is None:
                continue
            from ..manual import called_names

            called = {n[len("self."):] for n in called_names(fn.node) if n.startswith("self.")}
            if hook in writers or called & writers:
                hooks[hook] = fn
        if hooks:
            out[name] = RateCallbackClass(hooks, methods)
    return out


def _keras_rate_callback(facts: FileFacts, s: SchedulerFact, info: RateCallbackClass, flow: ObjectFlow,
                         ix: Indexer, resolver: Resolver, builder: FactsBuilder, fits: list[_Fit],
                         compiled: dict[str, str | None], fits_of: Callable[[str | None], list[_Fit]]) -> FileFacts:
    from ...facts import Location

    facts = _keras_callback(facts, s, fits, compiled, fits_of)  # owner optimizer and the fit() that uses it
    s = facts.scheduler(s.id) or s
    hooks = info.hooks
    name = s.cls[len("custom:"):] if s.cls.startswith("custom:") else s.cls
    per_batch = [h for h in hooks if h in _BATCH_HOOKS]
    per_epoch = [h for h in hooks if h in _EPOCH_HOOKS]
    hook = (per_batch or per_epoch)[0]
    fn = hooks[hook]
    writes = _writes_rate(fn.node)
    wline = builder.loc.location(writes[0]).line if writes else resolver.loc_line(fn.node)
    unit = "batch" if per_batch else "epoch"
    using = [f for f in fits if s.id in f.callbacks]
    horizon: Value
    assumed: Value | None = None
    spe: Value = Unknown("not fitted")
    if using:
        epochs = _fits_epochs(using)
        spe = using[0].spe if len(using) == 1 else Unknown("several fit() calls")
        if unit == "epoch":
            horizon = epochs
        else:
            horizon = _fits_total(using)
            if not isinstance(horizon, Known) and isinstance(epochs, Known) and _num(epochs.value):
                assumed = Known(int(epochs.value) * ASSUMED_LEN, f"{epochs.value} epochs x an assumed {ASSUMED_LEN} "
                                "batches per epoch (steps_per_epoch is not stated)")
        stepped = unit
    else:
        horizon, stepped = Unknown("not passed to fit(callbacks=...)"), ("never" if fits else "unknown")
    how = "per batch" if unit == "batch" else "per epoch"
    desc = (f"custom callback {name} writes the rate {how} in {hook}() at line {wline}"
            + (f" (also in {', '.join(h + '()' for h in hooks if h != hook)})" if len(hooks) > 1 else ""))
    plan = None
    why = "the callback writes the rate in more than one kind of hook" if per_batch and per_epoch else None
    if why is None:
        plan, why = _callback_plan(flow, ix, resolver, s, info, hook, fn, spe, fits=using)
    kplan = _keras_class_plan(facts, flow, ix, resolver, s, using, unit)
    if plan is None and kplan is None:
        desc += f"; curve unknown ({why})"
    new = replace(
        s, cls=f"manual:{name}", framework="manual", stepped=stepped, unit="step" if unit == "batch" else "epoch",
        horizon=horizon, horizon_source=getattr(horizon, "source", None), assumed_horizon=assumed,
        description=desc, custom_get_lr=builder.loc.location(fn.node) if fn is not None else Location.unknown(),
        optimizer_reason=s.optimizer_reason if s.optimizer is None else None)
    facts = _replace_sched(facts, new)
    plans = dict(facts.extra.get("manual_plans", {}))
    if plan is not None:
        plans[s.id] = plan
    else:
        plans.pop(s.id, None)
    if kplan is not None:
        kplans = dict(facts.extra.get("keras_class_plans", {}))
        kplans[s.id] = kplan
        facts = _with_extra(facts, "keras_class_plans", kplans)
    return _with_extra(facts, "manual_plans", plans)


def _keras_class_plan(facts: FileFacts, flow: ObjectFlow, ix: Indexer, resolver: Resolver, s: SchedulerFact,
                      using: list[_Fit], unit: str) -> KerasClassPlan | None:
    """The callback class as a plan of keras_class_sim (its hooks replayed under Keras's fit protocol), with what
    the fit() that receives it hands it; None when the class cannot be followed."""
    from ..classes import keras_class_plan

    c = flow.by_id.get(s.id)
    if c is None or not c.custom_class:
        return None
    plan = keras_class_plan(c, flow, ix, resolver, facts)
    if isinstance(plan, str):
        return None
    if not using:
        fit = KerasFit(None, None, "not passed to fit(callbacks=...)", "not passed to fit(callbacks=...)")
    else:
        epochs = _fits_epochs(using)
        e = int(epochs.value) if isinstance(epochs, Known) and _num(epochs.value) else None
        e_why = "" if e is not None else getattr(epochs, "reason", "not known")
        spe: Value = using[0].spe if len(using) == 1 else Unknown("several fit() calls")
        if len(using) > 1 and e is not None:
            e, e_why = None, "the callback is passed to several fit() calls"
        steps = int(spe.value) if isinstance(spe, Known) and _num(spe.value) and spe.value > 0 else None
        assumed = False
        s_why = "" if steps is not None else getattr(spe, "reason", "not known")
        if steps is None and len(using) == 1:
            steps, assumed = ASSUMED_LEN, True
        fit = KerasFit(e, steps, e_why, s_why, assumed)
    from ...keras_class_sim import reads_rate

    return KerasClassPlan("callback", plan, fit, reads_rate(plan))


class _Unsupported(Exception):
    pass


def _callback_plan(flow: ObjectFlow, ix: Indexer, resolver: Resolver, s: SchedulerFact, info: RateCallbackClass,
                   hook: str, fn: FunctionInfo, spe: Value, fits: list[_Fit]) -> tuple["ManualPlan | None", str | None]:
    """A ManualPlan that replays ``hook`` once per step, or (None, why not)."""
    from ..manual import OPT, SYNTHETIC, TIME, ManualPlan
    from ..values import EvalScope

    methods = info.methods
    c = flow.by_id.get(s.id)
    params = [p.name for p in fn.params if p.kind == "pos"][1:]
    end = hook.endswith("_end")
    k: cst.BaseExpression = cst.parse_expression(f"({TIME} - 1)" if end else TIME)
    subs: dict[str, cst.BaseExpression] = {}
    assumption = None
    steps_per_epoch = None
    if params:
        if hook in _EPOCH_HOOKS:
            subs[params[0]] = k
        else:
            L = spe.value if isinstance(spe, Known) and _num(spe.value) and spe.value > 0 else None
            if L is None:
                L, assumption = ASSUMED_LEN, f"an assumed {ASSUMED_LEN} batches per epoch for the batch index"
            steps_per_epoch = int(L)
            subs[params[0]] = cst.parse_expression(f"({ix.text(k, 40)} % {int(L)})")
    for p in params[1:]:
        subs[p] = cst.Name("None")
    try:
        body = _CallbackRewrite(flow, ix, resolver, c, methods, fn, k, subs, hook, fits).rewrite()
    except _Unsupported as exc:
        return None, str(exc)
    if end:
        body = [cst.If(test=cst.parse_expression(f"{TIME} >= 1"), body=cst.IndentedBlock(body=body))]
    def_node = cst.FunctionDef(
        name=cst.Name(SYNTHETIC),
        params=cst.Parameters(params=[cst.Param(cst.Name(OPT)), cst.Param(cst.Name(TIME))]),
        body=cst.IndentedBlock(body=body))
    scope = EvalScope(resolver, Ctx(fn.scope))
    fv = FunctionValue(def_node, SYNTHETIC, resolver.loc_line(fn.node), scope=scope)
    call = cst.Call(func=cst.Name(SYNTHETIC), args=[cst.Arg(cst.Name(OPT)), cst.Arg(cst.Name(TIME))])
    return ManualPlan("call", TIME, 0, 1, scope, function=fv, call=call, steps_per_epoch=steps_per_epoch,
                      assumption=assumption), None


class _CallbackRewrite:
    """The hook's body as a function of the step counter: counters, constructor arguments and the optimizer's rate
    replaced by expressions the evaluator can compute; the rate write becomes ``param_groups[0]["lr"] = v``."""

    def __init__(self, flow: ObjectFlow, ix: Indexer, resolver: Resolver, creation: Creation | None,
                 methods: dict[str, FunctionInfo], fn: FunctionInfo, k: cst.BaseExpression, subs: dict[str, cst.BaseExpression], hook: str,
                 fits: list[_Fit]) -> None:
        self.flow, self.ix, self.resolver, self.creation = flow, ix, resolver, creation
        self.methods, self.fn, self.k, self.subs, self.hook, self.fits = methods, fn, k, subs, hook, fits
        self.counters = self._counters()

    # ----------------------------------------------------------------------------------------- state
    def _assigns(self, attr: str) -> list[tuple[str, Any]]:
        """(method name, AssignRec) of every ``self.attr`` assignment in the class (and its in-file bases)."""
        out = []
        for mname, m in self.methods.items():
            ci = self.ix.classes.get(m.class_name or "")
            for r in (ci.attrs.get(attr, []) if ci is not None else []):
                if r.ctx.scope.function is m:
                    out.append((mname, r))
        return out

    def _counters(self) -> dict[str, tuple[cst.BaseExpression, float, cst.CSTNode]]:
        """``self.x += c`` once, unconditionally, at the top level of the hook, and set to a constant only in
        __init__ / on_train_begin: {x: (initial value, c, the increment statement)}."""
        out: dict[str, tuple[cst.BaseExpression, float, cst.CSTNode]] = {}
        for line in self.fn.node.body.body:
            if not isinstance(line, cst.SimpleStatementLine):
                continue
            for st in line.body:
                if not (isinstance(st, cst.AugAssign) and isinstance(st.operator, cst.AddAssign)):
                    continue
                target = dotted(st.target) or ""
                if not target.startswith("self.") or target.count(".") != 1:
                    continue
                attr = target[len("self."):]
                step = self._constant(st.value)
                recs = self._assigns(attr)
                inits = [(m, r) for m, r in recs if r.kind == "assign"]
                augs = [(m, r) for m, r in recs if r.kind != "assign"]
                others = augs if len(augs) != 1 or augs[0][0] != self.fn.name else []
                if step is None or others or not inits or any(m not in ("__init__", "on_train_begin")
                                                               for m, _ in inits):
                    continue
                first = [r for m, r in inits if m == "on_train_begin"] or [r for m, r in inits]
                out[attr] = (self._init_value(first[-1].value, 0), step, st)
        return out

    def _constant(self, node: cst.BaseExpression) -> float | None:
        if isinstance(node, (cst.Integer, cst.Float)):
            return float(node.evaluated_value) if isinstance(node, cst.Float) else int(node.evaluated_value)
        return None

    def _literal(self, v: Any) -> cst.BaseExpression:
        if isinstance(v, bool) or v is None:
            return cst.Name(repr(v))
        if isinstance(v, (int, float)) and math.isfinite(v):
            return cst.parse_expression(f"({v!r})")
        if isinstance(v, str):
            return cst.SimpleString(repr(v))
        if isinstance(v, (list, tuple)) and len(v) <= 1000:
            inner = ", ".join(self.ix.text(self._literal(x), 1000) if not isinstance(x, (int, float)) or
                              isinstance(x, bool) else repr(x) for x in v)
            return cst.parse_expression(f"[{inner}]" if isinstance(v, list) else f"({inner}{',' if len(v) == 1 else ''})")
        raise _Unsupported(f"the constructor argument {v!r} is not a plain value")

    def _init_value(self, node: cst.BaseExpression | None, depth: int) -> cst.BaseExpression:
        """An expression from __init__ with its parameters replaced by the constructor's arguments."""
        if node is None:
            raise _Unsupported("an attribute of the callback is set from an unpacking")
        init = self.methods.get("__init__")
        names = {p.name for p in init.params} if init is not None else set()
        rewrite = self

        class T(cst.CSTTransformer):
            def leave_Name(self, orig: cst.Name, upd: cst.Name) -> cst.BaseExpression:
                if orig.value in names and orig.value != "self":
                    return rewrite._ctor_arg(orig.value)
                return upd

            def leave_Attribute(self, orig: cst.Attribute, upd: cst.Attribute) -> cst.BaseExpression:
                d = dotted(orig) or ""
                if d.startswith("self.") and d.count(".") == 1:
                    return rewrite._attr(orig.attr.value, depth + 1)
                return upd

        return _paren(node.visit(T()))  # type: ignore[arg-type]

    def _ctor_arg(self, pname: str) -> cst.BaseExpression:
        c = self.creation
        init = self.methods.get("__init__")
        node = c.bound.get(pname) if c is not None else None
        if node is not None:
            v = self.resolver.resolve(node, c.site.ctx, c.site.seq)
            if isinstance(v, Known) and isinstance(v.value, FunctionValue) and isinstance(node, cst.Name):
                # a function of this file passed by name: the same name must reach it from the hook
                here = self.resolver.resolve(cst.Name(node.value), Ctx(self.fn.scope))
                if isinstance(here, Known) and isinstance(here.value, FunctionValue) and \
                        here.value.node is v.value.node:
                    return cst.Name(node.value)
                raise _Unsupported(f"the constructor argument {pname} is a function lraudit cannot reach")
            if isinstance(v, Known):
                return self._literal(v.value)
            raise _Unsupported(f"the constructor argument {pname} is not known: {v.reason}")  # type: ignore
        p = init.param(pname) if init is not None else None
        if p is not None and p.default is not None:
            v = self.resolver.resolve(p.default, Ctx(init.scope))
            if isinstance(v, Known):
                return self._literal(v.value)
        raise _Unsupported(f"the constructor argument {pname} is not known")

    def _attr(self, attr: str, depth: int) -> cst.BaseExpression:
        if depth > 6:
            raise _Unsupported(f"self.{attr} is defined through too many other attributes")
        if attr in self.counters:
            init, step, _ = self.counters[attr]
            after = self._after_increment.get(attr, False)
            kk = self.ix.text(self.k, 40)
            return cst.parse_expression(f"({self.ix.text(init, 400)} + {step!r} * ({kk}{' + 1' if after else ''}))")
        recs = self._assigns(attr)
        if len(recs) == 1 and recs[0][0] == "__init__" and recs[0][1].kind == "assign":
            return self._init_value(recs[0][1].value, depth)
        if not recs and attr in self.methods:
            raise _Unsupported(f"it calls the method self.{attr}(), which lraudit does not replay")
        if not recs:
            raise _Unsupported(f"self.{attr} is not set in the callback")
        raise _Unsupported(f"self.{attr} changes during training in a way lraudit does not follow")

    # ---------------------------------------------------------------------------------------- body
    def rewrite(self) -> list[cst.BaseStatement]:
        from ..manual import OPT

        self._after_increment: dict[str, bool] = {}
        rate = cst.parse_expression(f'{OPT}.param_groups[0]["lr"]')
        out: list[cst.BaseStatement] = []
        for stmt in self.fn.node.body.body:
            new = self._statement(stmt, rate)
            if new is not None:
                out.append(new)
        if not _writes_placeholder(out):
            raise _Unsupported(f"the rate is written outside {self.hook}() (in a method it calls)")
        return out or [cst.SimpleStatementLine(body=[cst.Pass()])]

    def _statement(self, stmt: cst.BaseStatement, rate: cst.BaseExpression) -> cst.BaseStatement | None:
        if isinstance(stmt, cst.SimpleStatementLine):
            small: list[cst.BaseSmallStatement] = []
            for st in stmt.body:
                inc = next((a for a, (_, _, node) in self.counters.items() if node is st), None)
                if inc is not None:
                    self._after_increment[inc] = True
                    continue
                value = _rate_write_value(st)
                if value is not None:
                    small.append(cst.Assign(targets=[cst.AssignTarget(rate)], value=self._expr(value, rate)))
                    continue
                if isinstance(st, cst.Expr) and isinstance(st.value, cst.Call):
                    continue  # print(), logging, self.history.append(...): no effect on the rate
                if isinstance(st, (cst.Assign, cst.AugAssign, cst.AnnAssign)):
                    targets = [t.target for t in st.targets] if isinstance(st, cst.Assign) else [st.target]
                    if any((dotted(t) or "").startswith(("self.", "logs")) for t in targets):
                        if any(_mentions_name(t, "self") for t in targets):
                            raise _Unsupported(f"{self.hook}() keeps state in attributes of the callback "
                                               f"(line {self.resolver.loc_line(stmt)})")
                        continue
                small.append(self._expr(st, rate))  # type: ignore[arg-type]
            if not small:
                return None
            return stmt.with_changes(body=small)
        if isinstance(stmt, (cst.If, cst.For, cst.While)):
            counters_before = dict(self._after_increment)
            new = self._compound(stmt, rate)
            if self._after_increment != counters_before:
                raise _Unsupported("a counter is advanced conditionally")
            return new
        raise _Unsupported(f"{self.hook}() uses a {type(stmt).__name__} statement, which lraudit does not replay")

    def _compound(self, stmt: cst.BaseStatement, rate: cst.BaseExpression) -> cst.BaseStatement:
        def block(b: cst.BaseSuite) -> cst.BaseSuite:
            if not isinstance(b, cst.IndentedBlock):
                raise _Unsupported("a one-line compound statement")
            body = [x for x in (self._statement(st, rate) for st in b.body) if x is not None]
            return b.with_changes(body=body or [cst.SimpleStatementLine(body=[cst.Pass()])])

        if isinstance(stmt, cst.If):
            orelse = stmt.orelse
            if isinstance(orelse, cst.If):
                orelse = self._compound(orelse, rate)  # type: ignore[assignment]
            elif isinstance(orelse, cst.Else):
                orelse = orelse.with_changes(body=block(orelse.body))
            return stmt.with_changes(test=self._expr(stmt.test, rate), body=block(stmt.body), orelse=orelse)
        if isinstance(stmt, cst.For):
            return stmt.with_changes(iter=self._expr(stmt.iter, rate), body=block(stmt.body))
        return stmt.with_changes(test=self._expr(stmt.test, rate), body=block(stmt.body))  # type: ignore

    def _expr(self, node: Any, rate: cst.BaseExpression) -> Any:
        rewrite = self
        subs = self.subs

        class T(cst.CSTTransformer):
            def visit_Call(self, n: cst.Call) -> bool:
                return True

            def leave_Call(self, orig: cst.Call, upd: cst.Call) -> cst.BaseExpression:
                name = (dotted(orig.func) or "").rsplit(".", 1)[-1]
                args = [a for a in orig.args if a.keyword is None and not a.star]
                if name in _RATE_READERS and len(args) == 1 and _is_rate_target(args[0].value):
                    return rate
                if name == "numpy" and isinstance(orig.func, cst.Attribute) and _is_rate_target(orig.func.value):
                    return rate
                return upd

            def leave_Attribute(self, orig: cst.Attribute, upd: cst.Attribute) -> cst.BaseExpression:
                d = dotted(orig) or ""
                if _is_rate_target(orig):
                    return rate
                if d.endswith("optimizer.iterations") and rewrite.hook in _BATCH_HOOKS:
                    end = rewrite.hook.endswith("_end")
                    return cst.parse_expression(f"({rewrite.ix.text(rewrite.k, 40)}{' + 1' if end else ''})")
                if d.startswith("self.") and d.count(".") == 1 and d != "self.model":
                    return rewrite._attr(orig.attr.value, 0)
                return upd

            def leave_Subscript(self, orig: cst.Subscript, upd: cst.Subscript) -> cst.BaseExpression:
                if dotted(orig.value) == "self.params" and len(orig.slice) == 1 and \
                        isinstance(orig.slice[0].slice, cst.Index):
                    key = orig.slice[0].slice.value
                    k = key.evaluated_value if isinstance(key, cst.SimpleString) else None
                    v = rewrite._fit_param(k)
                    if v is not None:
                        return rewrite._literal(v)
                    raise _Unsupported(f"self.params[{k!r}] is not known")
                return upd

            def leave_Name(self, orig: cst.Name, upd: cst.Name) -> cst.BaseExpression:
                return subs.get(orig.value, upd)

        return node.visit(T())

    def _fit_param(self, key: Any) -> Any:
        if len(self.fits) != 1:
            return None
        f = self.fits[0]
        if key == "epochs" and isinstance(f.epochs, Known):
            return f.epochs.value
        if key == "steps" and isinstance(f.spe, Known):
            return f.spe.value
        return None


def _writes_placeholder(body: list[cst.BaseStatement]) -> bool:
    from ..manual import OPT

    text = "".join(cst.Module(body=[b]).code for b in body)
    return f'{OPT}.param_groups[0]["lr"] =' in text


def _mentions_name(node: cst.CSTNode, name: str) -> bool:
    return name in _names_in(node)


def _paren(node: cst.BaseExpression) -> cst.BaseExpression:
    return cst.parse_expression(f"({cst.Module(body=[]).code_for_node(node)})")
