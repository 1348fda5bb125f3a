"""Python config files -> located trees, with Python's ``ast``: parsed, never imported or executed.

A config file is a sequence of simple statements (``x = dict(...)``, ``x.update(...)``, ``x.a.b = 1``,
``del x``, imports). ``PyConfig`` runs exactly those statements on located trees (``tree.Node``) and
evaluates the expressions configs are written with: literals, ``dict(...)``/``list``/``tuple``, names bound
earlier, attribute and item access into dicts (mmengine's ConfigDict), arithmetic on known numbers,
comparisons, conditional expressions. Everything else (calls lraudit does not run, comprehensions, lambdas,
loops, statements under an ``if``) yields ``Missing(reason)``, never a guess. Readers add what their library
means by a call (detectron2's ``L(...)``) through ``call_hook`` and what an import brings in (mmengine's
``read_base()``) through ``import_hook``.
"""

from __future__ import annotations

import ast
import math
import operator
from typing import Any, Callable

from ..facts import Location
from .tree import Missing, Node, Origin, Symbol, copy_tree, relocate

MAX_ELEMENTS = 100_000  # values built from one expression (``[0] * 10**9`` is refused)
MAX_STATEMENTS = 20_000

CallHook = Callable[["PyConfig", ast.Call, str], "Node | None"]
ImportHook = Callable[["PyConfig", ast.ImportFrom | ast.Import], "bool"]


class Positions:
    """1-based (line, column) of ``ast`` nodes; ``ast`` counts columns in UTF-8 bytes, output in characters."""

    def __init__(self, text: str) -> None:
        self.lines = text.splitlines()

    def _col(self, line: int, byte_col: int) -> int:
        if 1 <= line <= len(self.lines):
            raw = self.lines[line - 1]
            if raw.isascii():
                return byte_col + 1
            return len(raw.encode("utf-8")[:byte_col].decode("utf-8", "replace")) + 1
        return byte_col + 1

    def loc(self, node: ast.AST) -> Location:
        line = getattr(node, "lineno", 1) or 1
        end_line = getattr(node, "end_lineno", line) or line
        col = self._col(line, getattr(node, "col_offset", 0) or 0)
        end_col = self._col(end_line, getattr(node, "end_col_offset", 0) or 0)
        return Location(line, col, end_line, end_col)


_BINOPS: dict[type, Callable[[Any, Any], Any]] = {
    ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv, ast.Mod: operator.mod, ast.Pow: operator.pow,
}
_CMPOPS: dict[type, Callable[[Any, Any], Any]] = {
    ast.Eq: operator.eq, ast.NotEq: operator.ne, ast.Lt: operator.lt, ast.LtE: operator.le, ast.Gt: operator.gt,
    ast.GtE: operator.ge, ast.In: lambda a, b: a in b, ast.NotIn: lambda a, b: a not in b,
    ast.Is: operator.is_, ast.IsNot: operator.is_not,
}
_NUMBER_FUNCS: dict[str, Callable[..., Any]] = {
    "int": int, "float": float, "round": round, "abs": abs, "min": min, "max": max, "bool": bool, "str": str,
}


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


class PyConfig:
    """Runs the simple statements of one Python config file on located trees."""

    def __init__(self, text: str, file: str, env: dict[str, Node] | None = None,
                 call_hook: CallHook | None = None, import_hook: ImportHook | None = None,
                 skip_names: frozenset[str] = frozenset()) -> None:
        self.text = text
        self.file = file
        self.pos = Positions(text)
        self.env: dict[str, Node] = dict(env or {})
        self.call_hook = call_hook
        self.import_hook = import_hook
        self.skip_names = skip_names  # names bound by the library, not the file (``_base_`` in mmengine)
        self.order: list[str] = []  # names in the order the file binds them
        self.statements = 0
        self.owned: set[str] = set()  # names whose containers this file may change in place
        self.returned: Node | None = None  # the value of a ``return`` (inside a function call)
        self.depth = 0  # nested function calls

    # ------------------------------------------------------------------ helpers
    def loc(self, node: ast.AST) -> Location:
        return self.pos.loc(node)

    def node(self, value: Any, key: str, at: ast.AST, is_tuple: bool = False) -> Node:
        return Node(value, Origin(self.file, key, self.loc(at)), is_tuple)

    def missing(self, reason: str, key: str, at: ast.AST) -> Node:
        return self.node(Missing(reason), key, at)

    # ------------------------------------------------------------------ statements
    def run(self, module: ast.Module) -> dict[str, Node]:
        self.block(module.body, conditional=None)
        return {k: v for k, v in self.env.items() if k not in self.skip_names and not k.startswith("__")}

    def block(self, body: list[ast.stmt], conditional: str | None) -> None:
        for st in body:
            self.statements += 1
            if self.statements > MAX_STATEMENTS or self.returned is not None:
                return
            self.statement(st, conditional)

    def statement(self, st: ast.stmt, conditional: str | None) -> None:
        if isinstance(st, ast.Assign):
            value_key = _target_key(st.targets[0]) or "value"
            value = self.expr(st.value, value_key) if conditional is None else \
                self.missing(conditional, value_key, st.value)
            for t in st.targets:
                self.assign(t, value)
        elif isinstance(st, ast.AnnAssign) and st.value is not None:
            key = _target_key(st.target) or "value"
            value = self.expr(st.value, key) if conditional is None else self.missing(conditional, key, st.value)
            self.assign(st.target, value)
        elif isinstance(st, ast.AugAssign):
            key = _target_key(st.target) or "value"
            cur = self.expr(st.target, key)
            rhs = self.expr(st.value, key)
            value = self.binop(type(st.op), cur, rhs, key, st) if conditional is None else \
                self.missing(conditional, key, st)
            self.assign(st.target, value)
        elif isinstance(st, ast.Expr) and isinstance(st.value, ast.Call):
            if conditional is None:
                self.method_call(st.value)
        elif isinstance(st, ast.Delete):
            for t in st.targets:
                self.delete(t)
        elif isinstance(st, (ast.Import, ast.ImportFrom)):
            if self.import_hook is not None and self.import_hook(self, st):
                return
            self.bind_import(st)
        elif isinstance(st, ast.FunctionDef) and not st.decorator_list:
            self.env[st.name] = self.node(Function(st), st.name, st)
            self._bound(st.name)
        elif isinstance(st, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            what = "a class" if isinstance(st, ast.ClassDef) else "a function"
            self.env[st.name] = self.missing(f"{what} defined in the config (line {st.lineno})", st.name, st)
            self._bound(st.name)
        elif isinstance(st, ast.Return):
            self.returned = self.expr(st.value, "return") if st.value is not None else self.node(None, "return", st)
            if conditional is not None:
                self.returned = self.missing(conditional, "return", st)
        elif isinstance(st, (ast.If, ast.For, ast.While, ast.Try, ast.With, ast.AsyncFor, ast.AsyncWith)):
            if isinstance(st, ast.If):
                test = self.expr(st.test, "condition")
                if not isinstance(test.value, (Missing, dict, list)) and not isinstance(test.value, Symbol):
                    self.block(st.body if test.value else st.orelse, conditional)
                    return
            if isinstance(st, ast.With) and self.import_hook is not None and _is_read_base(st):
                for inner in st.body:
                    if isinstance(inner, (ast.Import, ast.ImportFrom)):
                        self.import_hook(self, inner)
                return
            reason = f"set under a {type(st).__name__.lower()} statement at line {st.lineno}, which lraudit does not run"
            for inner in ast.walk(st):
                if isinstance(inner, ast.Return):
                    self.returned = self.missing(reason, "return", inner)
                if isinstance(inner, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
                    targets = inner.targets if isinstance(inner, ast.Assign) else [inner.target]
                    for t in targets:
                        name = _root_name(t)
                        if name is not None:
                            if isinstance(t, ast.Name):
                                self.env[name] = self.missing(reason, name, t)
                                self._bound(name)
                            else:
                                self.assign(t, self.missing(reason, _target_key(t) or name, t))

    def _bound(self, name: str) -> None:
        if name in self.order:
            self.order.remove(name)
        self.order.append(name)

    def bind_import(self, st: ast.Import | ast.ImportFrom) -> None:
        if isinstance(st, ast.Import):
            for a in st.names:
                name = a.asname or a.name.split(".")[0]
                qual = a.name if a.asname else a.name.split(".")[0]
                self.env[name] = self.node(Symbol(qual), name, st)
            return
        mod = ("." * st.level) + (st.module or "")
        for a in st.names:
            if a.name == "*":
                continue
            name = a.asname or a.name
            self.env[name] = self.node(Symbol(f"{mod}.{a.name}" if mod else a.name), name, st)

    def assign(self, target: ast.expr, value: Node) -> None:
        if isinstance(target, ast.Name):
            self.env[target.id] = _placed(value, self.file, target.id)
            self.owned.discard(target.id)
            self._bound(target.id)
            return
        if isinstance(target, (ast.Tuple, ast.List)):
            items = value.value if isinstance(value.value, list) and len(value.value) == len(target.elts) else None
            for i, t in enumerate(target.elts):
                key = _target_key(t) or "value"
                self.assign(t, items[i] if items is not None else self.missing(
                    "unpacked from a value lraudit could not split", key, t))
            return
        if isinstance(target, (ast.Attribute, ast.Subscript)):
            container = self.expr(target.value, _target_key(target.value) or "value")
            key = self.subkey(target)
            if key is None:
                return
            self.ensure_own(target.value)
            container = self.expr(target.value, _target_key(target.value) or "value")
            full = _target_key(target) or str(key)
            if isinstance(container.value, dict) and isinstance(key, str):
                container.value[key] = self._here(_placed(value, self.file, full), target)
            elif isinstance(container.value, list) and isinstance(key, int) and -len(container.value) <= key < len(
                    container.value):
                container.value[key] = _placed(value, self.file, full)

    def ensure_own(self, expr: ast.expr) -> None:
        """Before an in-place change, give the name its own copy (a base's tree is shared and never mutated)."""
        name = _root_name(expr)
        if name is not None and name in self.env and name not in self.owned:
            self.env[name] = copy_tree(self.env[name])
            self.owned.add(name)

    def subkey(self, target: ast.Attribute | ast.Subscript) -> str | int | None:
        if isinstance(target, ast.Attribute):
            return target.attr
        k = self.expr(target.slice, "index")
        return k.value if isinstance(k.value, (str, int)) and not isinstance(k.value, bool) else None

    def delete(self, target: ast.expr) -> None:
        if isinstance(target, ast.Name):
            self.env.pop(target.id, None)
            if target.id in self.order:
                self.order.remove(target.id)
        elif isinstance(target, (ast.Attribute, ast.Subscript)):
            key = self.subkey(target)
            self.ensure_own(target.value)
            container = self.expr(target.value, "value")
            if isinstance(container.value, dict) and isinstance(key, str):
                container.value.pop(key, None)

    def method_call(self, call: ast.Call) -> None:
        f = call.func
        if not isinstance(f, ast.Attribute):
            return
        if f.attr in ("update", "setdefault", "append", "extend", "insert", "pop", "clear", "merge"):
            key = _target_key(f.value) or "value"
            self.ensure_own(f.value)
            target = self.expr(f.value, key)
            v = target.value
            if f.attr == "update" and isinstance(v, dict):
                # a dict from another file is an mmengine ConfigDict, whose update() merges nested dicts;
                # a dict built in this file is a plain dict, whose update() replaces
                deep = target.origin.file != self.file
                items: list[tuple[str, Node]] = []
                for a in call.args:
                    src = self.expr(a, key)
                    if isinstance(src.value, dict):
                        items.extend((k, _placed(x, self.file, f"{key}.{k}")) for k, x in src.value.items())
                for kw in call.keywords:
                    if kw.arg is None:
                        src = self.expr(kw.value, key)
                        if isinstance(src.value, dict):
                            items.extend((k, _placed(x, self.file, f"{key}.{k}")) for k, x in src.value.items())
                    else:
                        items.append((kw.arg, self.expr(kw.value, f"{key}.{kw.arg}")))
                for k, x in items:
                    _update(v, k, x, deep)
            elif f.attr == "merge" and isinstance(v, dict) and len(call.args) == 1 and not call.keywords:
                src = self.expr(call.args[0], key)  # mmengine's ConfigDict.merge (honours _delete_)
                if isinstance(src.value, dict):
                    merged = _configdict_merge(src, target)
                    v.clear()
                    v.update(merged.value)
            elif f.attr == "setdefault" and isinstance(v, dict) and len(call.args) == 2:
                k = self.expr(call.args[0], key).value
                if isinstance(k, str) and k not in v:
                    v[k] = self.expr(call.args[1], f"{key}.{k}")
            elif f.attr == "append" and isinstance(v, list) and len(call.args) == 1:
                v.append(self.expr(call.args[0], f"{key}[{len(v)}]"))
            elif f.attr == "extend" and isinstance(v, list) and len(call.args) == 1:
                src = self.expr(call.args[0], key)
                if isinstance(src.value, list):
                    v.extend(src.value)
            elif f.attr == "insert" and isinstance(v, list) and len(call.args) == 2:
                i = self.expr(call.args[0], key).value
                if isinstance(i, int):
                    v.insert(i, self.expr(call.args[1], f"{key}[{i}]"))
            elif f.attr == "pop" and call.args:
                k = self.expr(call.args[0], key).value
                if isinstance(v, dict) and isinstance(k, str):
                    v.pop(k, None)
                elif isinstance(v, list) and isinstance(k, int) and -len(v) <= k < len(v):
                    v.pop(k)
            elif f.attr == "clear" and isinstance(v, (dict, list)):
                v.clear()

    # ------------------------------------------------------------------ expressions
    def expr(self, e: ast.expr, key: str) -> Node:
        try:
            return self._expr(e, key)
        except RecursionError:
            return self.missing("nested too deeply to read", key, e)
        except (ArithmeticError, TypeError, ValueError, OverflowError, KeyError, IndexError) as exc:
            return self.missing(f"cannot be computed statically ({type(exc).__name__})", key, e)

    def _expr(self, e: ast.expr, key: str) -> Node:
        if isinstance(e, ast.Constant):
            return self.node(e.value, key, e)
        if isinstance(e, ast.Dict):
            out: dict[str, Node] = {}
            for k, v in zip(e.keys, e.values):
                if k is None:  # {**x}
                    src = self.expr(v, key)
                    if isinstance(src.value, dict):
                        for kk, vv in src.value.items():
                            out[kk] = _placed(vv, self.file, f"{key}.{kk}")
                    continue
                kn = self.expr(k, key)
                name = kn.value if isinstance(kn.value, str) else str(kn.value)
                out[name] = self._here(self.expr(v, f"{key}.{name}" if key else name), v)
            return self.node(out, key, e)
        if isinstance(e, (ast.List, ast.Tuple, ast.Set)):
            items: list[Node] = []
            for el in e.elts:
                if isinstance(el, ast.Starred):
                    src = self.expr(el.value, key)
                    if isinstance(src.value, list):
                        items.extend(src.value)
                    else:
                        return self.missing("a starred value lraudit could not expand", key, e)
                    continue
                items.append(self.expr(el, f"{key}[{len(items)}]"))
            return self.node(items, key, e, is_tuple=isinstance(e, ast.Tuple))
        if isinstance(e, ast.Name):
            if e.id in self.env:
                return _placed(self.env[e.id], self.file, key, self.loc(e))
            if e.id in ("True", "False", "None"):
                return self.node({"True": True, "False": False, "None": None}[e.id], key, e)
            return self.missing(f"{e.id} is not defined in this config", key, e)
        if isinstance(e, ast.Attribute):
            base = self.expr(e.value, key)
            if isinstance(base.value, Symbol):
                return self.node(Symbol(f"{base.value.qualname}.{e.attr}"), key, e)
            if isinstance(base.value, dict):
                if e.attr in base.value:
                    return _placed(base.value[e.attr], self.file, key, self.loc(e))
                return self.missing(f"{_dotted(e)} is not set", key, e)
            if isinstance(base.value, Missing):
                return base
            return self.missing(f"{_dotted(e)} is not a value lraudit can read", key, e)
        if isinstance(e, ast.Subscript):
            base = self.expr(e.value, key)
            if isinstance(e.slice, ast.Slice):
                lo = self.expr(e.slice.lower, key).value if e.slice.lower else None
                hi = self.expr(e.slice.upper, key).value if e.slice.upper else None
                if isinstance(base.value, list) and all(x is None or isinstance(x, int) for x in (lo, hi)):
                    return self.node(base.value[lo:hi], key, e, base.is_tuple)
                return self.missing("a slice lraudit could not take", key, e)
            idx = self.expr(e.slice, key)
            if isinstance(base.value, dict) and isinstance(idx.value, str):
                if idx.value in base.value:
                    return _placed(base.value[idx.value], self.file, key, self.loc(e))
                return self.missing(f"key {idx.value!r} is not set", key, e)
            if isinstance(base.value, list) and isinstance(idx.value, int) and not isinstance(idx.value, bool):
                if -len(base.value) <= idx.value < len(base.value):
                    return _placed(base.value[idx.value], self.file, key, self.loc(e))
                return self.missing(f"index {idx.value} is out of range", key, e)
            if isinstance(base.value, Missing):
                return base
            return self.missing("an item lraudit could not look up", key, e)
        if isinstance(e, ast.BinOp):
            a = self.expr(e.left, key)
            b = self.expr(e.right, key)
            return self.binop(type(e.op), a, b, key, e)
        if isinstance(e, ast.UnaryOp):
            a = self.expr(e.operand, key)
            if isinstance(a.value, Missing):
                return a
            if isinstance(e.op, ast.USub) and _is_number(a.value):
                return self.node(-a.value, key, e)
            if isinstance(e.op, ast.UAdd) and _is_number(a.value):
                return self.node(+a.value, key, e)
            if isinstance(e.op, ast.Not) and not isinstance(a.value, (dict, list, Symbol)):
                return self.node(not a.value, key, e)
            return self.missing("an operation lraudit could not compute", key, e)
        if isinstance(e, ast.BoolOp):
            vals = [self.expr(v, key) for v in e.values]
            for v in vals:
                if isinstance(v.value, (Missing, dict, list, Symbol)):
                    return self.missing("a condition lraudit could not decide", key, e)
            result = vals[0]
            for v in vals[1:]:
                if isinstance(e.op, ast.And):
                    result = v if result.value else result
                else:
                    result = result if result.value else v
            return _placed(result, self.file, key, self.loc(e))
        if isinstance(e, ast.Compare):
            left = self.expr(e.left, key)
            ok = True
            for op, right_e in zip(e.ops, e.comparators):
                right = self.expr(right_e, key)
                if isinstance(left.value, (Missing, Symbol)) or isinstance(right.value, (Missing, Symbol)):
                    return self.missing("a comparison lraudit could not decide", key, e)
                fn = _CMPOPS.get(type(op))
                if fn is None:
                    return self.missing("a comparison lraudit could not decide", key, e)
                ok = ok and bool(fn(_py(left), _py(right)))
                left = right
            return self.node(ok, key, e)
        if isinstance(e, ast.IfExp):
            test = self.expr(e.test, key)
            if isinstance(test.value, (Missing, Symbol)):
                return self.missing("a conditional value lraudit could not decide", key, e)
            return self.expr(e.body if _py(test) else e.orelse, key)
        if isinstance(e, ast.Call):
            return self.call(e, key)
        if isinstance(e, ast.JoinedStr):
            parts = []
            for v in e.values:
                if isinstance(v, ast.Constant):
                    parts.append(str(v.value))
                elif isinstance(v, ast.FormattedValue) and v.format_spec is None and v.conversion == -1:
                    x = self.expr(v.value, key)
                    if isinstance(x.value, (Missing, dict, list, Symbol)):
                        return self.missing("a formatted string with a value lraudit could not read", key, e)
                    parts.append(str(x.value))
                else:
                    return self.missing("a formatted string lraudit does not compute", key, e)
            return self.node("".join(parts), key, e)
        if isinstance(e, ast.Lambda):
            return self.missing(f"a lambda (line {e.lineno})", key, e)
        return self.missing(f"a {type(e).__name__} expression lraudit does not compute", key, e)

    def call_function(self, fn: ast.FunctionDef, call: ast.Call, key: str) -> Node:
        """Run a config-defined function on its arguments (positional, keyword and defaults) and return its value."""
        if self.depth >= 8:
            return self.missing(f"{fn.name}() calls nested too deeply", key, call)
        params = [a.arg for a in fn.args.args]
        defaults = fn.args.defaults
        bound: dict[str, Node] = {}
        if fn.args.vararg or fn.args.kwarg or fn.args.kwonlyargs or len(call.args) > len(params):
            return self.missing(f"a call of {fn.name}() lraudit does not bind", key, call)
        for p, a in zip(params, call.args):
            bound[p] = self.expr(a, p)
        for kw in call.keywords:
            if kw.arg is None or kw.arg not in params:
                return self.missing(f"a call of {fn.name}() lraudit does not bind", key, call)
            bound[kw.arg] = self.expr(kw.value, kw.arg)
        for p, d in zip(params[len(params) - len(defaults):], defaults):
            if p not in bound:
                bound[p] = self.expr(d, p)
        if any(p not in bound for p in params):
            return self.missing(f"a call of {fn.name}() without all its arguments", key, call)
        inner = PyConfig(self.text, self.file, {**self.env, **bound}, self.call_hook, self.import_hook)
        inner.pos = self.pos
        inner.depth = self.depth + 1
        inner.statements = self.statements
        inner.block(fn.body, conditional=None)
        self.statements = inner.statements
        if inner.returned is None:
            return self.node(None, key, call)
        return _placed(inner.returned, self.file, key)

    def _here(self, node: Node, at: ast.AST) -> Node:
        """A value from another file written here keeps its origin and learns where it is written."""
        if node.origin.file != self.file:
            from .tree import placed_at

            return placed_at(node, self.file, self.loc(at))
        return node

    def binop(self, op: type, a: Node, b: Node, key: str, at: ast.AST) -> Node:
        if isinstance(a.value, Missing):
            return self.node(a.value, key, at)
        if isinstance(b.value, Missing):
            return self.node(b.value, key, at)
        fn = _BINOPS.get(op)
        if fn is None:
            return self.missing("an operation lraudit could not compute", key, at)
        if _is_number(a.value) and _is_number(b.value):
            if op is ast.Pow and abs(b.value) > 1000:
                return self.missing("a power too large to compute", key, at)
            r = fn(a.value, b.value)
            if isinstance(r, float) and not math.isfinite(r):
                return self.missing("not a finite number", key, at)
            return self.node(r, key, at)
        if op is ast.Add and isinstance(a.value, list) and isinstance(b.value, list):
            if len(a.value) + len(b.value) > MAX_ELEMENTS:
                return self.missing("too large to build", key, at)
            return self.node(list(a.value) + list(b.value), key, at, a.is_tuple)
        if op is ast.Add and isinstance(a.value, str) and isinstance(b.value, str):
            return self.node(a.value + b.value, key, at)
        if op is ast.Mult and isinstance(a.value, list) and isinstance(b.value, int):
            if len(a.value) * max(b.value, 0) > MAX_ELEMENTS:
                return self.missing("too large to build", key, at)
            return self.node(list(a.value) * b.value, key, at, a.is_tuple)
        return self.missing("an operation lraudit could not compute", key, at)

    def call(self, e: ast.Call, key: str) -> Node:
        if self.call_hook is not None:
            hooked = self.call_hook(self, e, key)
            if hooked is not None:
                return hooked
        f = e.func
        name = f.id if isinstance(f, ast.Name) else None
        if name is not None and name in self.env and isinstance(self.env[name].value, Function):
            return self.call_function(self.env[name].value.node, e, key)
        if name == "dict" and (name not in self.env):
            out: dict[str, Node] = {}
            for a in e.args:
                src = self.expr(a, key)
                if isinstance(src.value, dict):
                    for k, v in src.value.items():
                        out[k] = _placed(v, self.file, f"{key}.{k}")
                else:
                    return self.missing("dict() of a value lraudit could not read", key, e)
            for kw in e.keywords:
                if kw.arg is None:
                    src = self.expr(kw.value, key)
                    if isinstance(src.value, dict):
                        for k, v in src.value.items():
                            out[k] = _placed(v, self.file, f"{key}.{k}")
                    else:
                        return self.missing("dict(**x) of a value lraudit could not read", key, e)
                else:
                    out[kw.arg] = self._here(self.expr(kw.value, f"{key}.{kw.arg}" if key else kw.arg), kw.value)
            return self.node(out, key, e)
        if name in ("list", "tuple") and name not in self.env and len(e.args) <= 1 and not e.keywords:
            if not e.args:
                return self.node([], key, e, is_tuple=name == "tuple")
            src = self.expr(e.args[0], key)
            if isinstance(src.value, list):
                return self.node(list(src.value), key, e, is_tuple=name == "tuple")
            return self.missing(f"{name}() of a value lraudit could not read", key, e)
        if name in _NUMBER_FUNCS and name not in self.env and not e.keywords:
            args = [self.expr(a, key) for a in e.args]
            if args and all(not isinstance(a.value, (Missing, dict, Symbol)) for a in args):
                vals = [_py(a) for a in args]
                if name in ("min", "max") and len(vals) == 1 and isinstance(vals[0], list):
                    vals = vals[0]
                return self.node(_NUMBER_FUNCS[name](*vals), key, e)
        if name == "len" and name not in self.env and len(e.args) == 1:
            src = self.expr(e.args[0], key)
            if isinstance(src.value, (list, dict, str)):
                return self.node(len(src.value), key, e)
        callee = _dotted(f) or "a function"
        return self.missing(f"the result of {callee}(), a call lraudit does not run", key, e)


class Function:
    """A function defined in the config: called with known arguments, its body runs like the module's."""

    def __init__(self, node: ast.FunctionDef) -> None:
        self.node = node

    def __repr__(self) -> str:
        return f"<function {self.node.name} at line {self.node.lineno}>"


def _configdict_merge(a: Node, b: Node) -> Node:
    """``ConfigDict.merge``'s ``_merge_a_into_b``: nested dicts merge, ``_delete_=True`` drops ``b``'s keys."""
    if not isinstance(a.value, dict):
        return a
    av = dict(a.value)
    if not isinstance(b.value, dict):
        av.pop("_delete_", None)
        return Node(av, a.origin, a.is_tuple, a.at)
    d = av.pop("_delete_", None)
    bv = {} if d is not None and d.value is True else dict(b.value)
    out: dict[str, Node] = {}
    for k in list(bv) + [k for k in av if k not in bv]:
        if k in av and k in bv:
            out[k] = _configdict_merge(av[k], bv[k])
        else:
            out[k] = av[k] if k in av else bv[k]
    return Node(out, b.origin, b.is_tuple, b.at)


def _update(target: dict[str, Node], k: str, x: Node, deep: bool) -> None:
    """``target[k] = x``, or, for a ConfigDict (``deep``), mmengine's recursive ``ConfigDict.update``."""
    cur = target.get(k)
    if deep and cur is not None and isinstance(cur.value, dict) and isinstance(x.value, dict):
        merged = dict(cur.value)
        for kk, xx in x.value.items():
            _update(merged, kk, xx, True)
        target[k] = Node(merged, cur.origin, cur.is_tuple, cur.at)
    else:
        target[k] = x


def _py(node: Node) -> Any:
    from .tree import plain

    return plain(node)


def _placed(value: Node, file: str, key: str, loc: Location | None = None) -> Node:
    """A value now bound at ``key``: a value written in this file is renamed to the key it is used as (with the
    position where it was written); a value from another file keeps its origin (its source names that file)."""
    if value.origin.file != file:
        return value
    return relocate(value, file, key, value.origin.loc if loc is None else value.origin.loc)


def _dotted(e: ast.expr) -> str | None:
    if isinstance(e, ast.Name):
        return e.id
    if isinstance(e, ast.Attribute):
        inner = _dotted(e.value)
        return f"{inner}.{e.attr}" if inner else None
    return None


def _root_name(e: ast.expr) -> str | None:
    while isinstance(e, (ast.Attribute, ast.Subscript)):
        e = e.value
    return e.id if isinstance(e, ast.Name) else None


def _target_key(e: ast.expr) -> str | None:
    """``a.b['c'][0]`` -> ``a.b.c[0]``."""
    if isinstance(e, ast.Name):
        return e.id
    if isinstance(e, ast.Attribute):
        inner = _target_key(e.value)
        return f"{inner}.{e.attr}" if inner else None
    if isinstance(e, ast.Subscript):
        inner = _target_key(e.value)
        s = e.slice
        if inner and isinstance(s, ast.Constant):
            return f"{inner}[{s.value}]" if isinstance(s.value, int) else f"{inner}.{s.value}"
    return None


def _is_read_base(st: ast.With) -> bool:
    expr = st.items[0].context_expr if st.items else None
    return isinstance(expr, ast.Call) and _dotted(expr.func) in ("read_base", "mmengine.config.read_base")


__all__ = ["PyConfig", "Positions"]
