"""One pass over a module: scopes, assignments, calls, loops, functions and classes.

The walker descends statements explicitly and expressions only through the fields that can hold calls, so it
visits far fewer nodes than a generic libcst visitor (whitespace, punctuation and literals are skipped).
Everything the rest of extraction needs is recorded here; later stages never walk the tree again.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterator, Sequence

import libcst as cst

from .imports import ImportTable, dotted, expr_path


@dataclass
class Ctx:
    scope: "Scope"
    loops: tuple[str, ...] = ()  # enclosing loop ids in this function, outermost first
    conds: int = 0  # nesting depth of if/try/with-else inside the innermost loop (or the function)
    order: tuple[int, ...] = ()  # statement path, for ordering within a body

    def with_loop(self, lid: str) -> "Ctx":
        return Ctx(self.scope, self.loops + (lid,), 0, self.order)

    def with_cond(self) -> "Ctx":
        return Ctx(self.scope, self.loops, self.conds + 1, self.order)

    def at(self, i: int) -> "Ctx":
        return Ctx(self.scope, self.loops, self.conds, self.order + (i,))


@dataclass
class AssignRec:
    target: str  # "lr", "self.lr", "args.lr"
    value: cst.BaseExpression | None
    ctx: Ctx
    seq: int  # global order of the statement
    kind: str = "assign"  # assign | aug | for | with | unpack | annot
    index: int | None = None  # position in a tuple unpacking
    node: cst.CSTNode | None = None  # the statement (for locations)
    op: str | None = None  # augmented operator


@dataclass
class ParamInfo:
    name: str
    index: int | None  # positional index (None for keyword-only)
    default: cst.BaseExpression | None
    kind: str = "pos"  # pos | kwonly | varpos | varkw
    annotation: cst.BaseExpression | None = None


@dataclass
class FunctionInfo:
    qualname: str
    name: str
    node: cst.FunctionDef
    params: list[ParamInfo]
    class_name: str | None
    scope: "Scope"
    decorators: list[cst.Decorator] = field(default_factory=list)
    returns: list[tuple[cst.BaseExpression, Ctx]] = field(default_factory=list)
    loops: list[str] = field(default_factory=list)

    @property
    def is_method(self) -> bool:
        return self.class_name is not None

    def param(self, name: str) -> ParamInfo | None:
        for p in self.params:
            if p.name == name:
                return p
        return None


@dataclass
class ClassInfo:
    name: str
    node: cst.ClassDef
    bases: list[str]  # qualified names when imported, else source names
    methods: dict[str, FunctionInfo] = field(default_factory=dict)
    attrs: dict[str, list[AssignRec]] = field(default_factory=dict)  # self.x assignments in any method
    fields: dict[str, cst.BaseExpression | None] = field(default_factory=dict)  # class-level (dataclass) fields
    field_order: list[str] = field(default_factory=list)
    is_dataclass: bool = False


@dataclass
class Scope:
    qualname: str
    kind: str  # module | function | class
    parent: "Scope | None"
    function: FunctionInfo | None = None
    class_name: str | None = None
    assigns: dict[str, list[AssignRec]] = field(default_factory=dict)

    def chain(self) -> Iterator["Scope"]:
        s: Scope | None = self
        while s is not None:
            if s.kind != "class" or s is self:
                yield s
            s = s.parent


@dataclass
class CallSite:
    node: cst.Call
    path: str  # readable path of the callee: "scheduler.step", "torch.optim.SGD"
    ctx: Ctx
    seq: int
    stmt: cst.CSTNode | None
    targets: list[str] = field(default_factory=list)  # assigned names when the call is an assignment's value
    direct: bool = False  # the call is the whole statement/assigned value (not nested in an expression)
    discarded: bool = False  # an expression statement whose result is thrown away


@dataclass
class LoopInfo:
    id: str
    node: cst.For | cst.While
    ctx: Ctx  # context of the loop statement itself (its parents in ctx.loops)
    target_text: str
    iter_node: cst.BaseExpression | None
    iter_text: str
    kind: str = "unknown"  # epoch | batch | iteration | unknown
    parent: str | None = None
    calls: list[CallSite] = field(default_factory=list)  # calls directly inside (not nested loops)


@dataclass
class SubscriptWrite:
    target: cst.Subscript
    value: cst.BaseExpression
    ctx: Ctx
    seq: int
    stmt: cst.CSTNode


_SKIP_EXPR = (
    cst.Name,
    cst.Integer,
    cst.Float,
    cst.Imaginary,
    cst.SimpleString,
    cst.ConcatenatedString,
    cst.Ellipsis,
)
_SKIP_TYPES = frozenset(_SKIP_EXPR)  # libcst's node classes are final: an exact type test equals isinstance


def _code_text(node: cst.CSTNode, limit: int = 120) -> str:
    try:
        text = cst.Module(body=[]).code_for_node(node)
    except Exception:
        return "?"
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


class Indexer:
    def __init__(self, module: cst.Module, seq_start: int = 0, loop_start: int = 0) -> None:
        self.module = module
        self.imports = ImportTable()
        self.module_scope = Scope("<module>", "module", None)
        self.functions: dict[str, FunctionInfo] = {}
        self.functions_by_name: dict[str, list[FunctionInfo]] = {}
        self.classes: dict[str, ClassInfo] = {}
        self.calls: list[CallSite] = []
        self.loops: dict[str, LoopInfo] = {}
        self.sub_writes: list[SubscriptWrite] = []
        self.lambdas: list[tuple[cst.Lambda, Ctx]] = []
        # every Name read in an expression: name -> [(path of the call it is an argument of, ctx, seq)]
        self.reads: dict[str, list[tuple[str | None, Ctx, int]]] = {}
        self.owner: dict[int, cst.CSTNode] = {}  # id(expression node) -> the statement that holds it (positions)
        self._seq = seq_start  # a module linked into another file's index numbers after it (see extract/link.py)
        self._created: list[AssignRec] | None = None
        self._loop_n = loop_start
        # functions of other modules linked into this index (extract/link.py): id(FunctionInfo) -> the call paths
        # that name it in the importing code ("bo" for `from x import build_optimizer as bo`, "engine.train")
        self.call_aliases: dict[int, set[str]] = {}
        self.text_cache: dict[int, str] = {}

    # ------------------------------------------------------------------------------------ helpers
    def text(self, node: cst.CSTNode, limit: int = 120) -> str:
        key = id(node)
        t = self.text_cache.get(key)
        if t is None:
            t = _code_text(node, limit)
            self.text_cache[key] = t
        return t

    def _next(self) -> int:
        self._seq += 1
        return self._seq

    def _add_assign(self, ctx: Ctx, rec: AssignRec) -> None:
        if self._created is not None:
            self._created.append(rec)
        target = rec.target
        if target.startswith("self.") and target.count(".") == 1 and ctx.scope.function is not None:
            cls = ctx.scope.function.class_name
            if cls and cls in self.classes:
                self.classes[cls].attrs.setdefault(target[5:], []).append(rec)
                return
        ctx.scope.assigns.setdefault(target, []).append(rec)

    # ---------------------------------------------------------------------------------- statements
    def run(self) -> "Indexer":
        ctx = Ctx(self.module_scope)
        self._body(self.module.body, ctx)
        return self

    def _body(self, stmts: Sequence[cst.CSTNode], ctx: Ctx) -> None:
        for i, stmt in enumerate(stmts):
            self._stmt(stmt, ctx.at(i))

    def _block(self, block: cst.BaseSuite, ctx: Ctx) -> None:
        if isinstance(block, cst.IndentedBlock):
            self._body(block.body, ctx)
        elif isinstance(block, cst.SimpleStatementSuite):
            self._body(block.body, ctx)

    def _stmt(self, stmt: cst.CSTNode, ctx: Ctx) -> None:
        if type(stmt) is cst.SimpleStatementLine:  # the common case, without the slow ABC isinstance
            for j, small in enumerate(stmt.body):
                self._small(small, ctx.at(j), stmt)
            return
        if isinstance(stmt, cst.BaseSmallStatement):
            self._small(stmt, ctx, stmt)
            return
        if isinstance(stmt, cst.FunctionDef):
            self._function(stmt, ctx)
        elif isinstance(stmt, cst.ClassDef):
            self._class(stmt, ctx)
        elif isinstance(stmt, cst.For):
            self._for(stmt, ctx)
        elif isinstance(stmt, cst.While):
            self._while(stmt, ctx)
        elif isinstance(stmt, cst.If):
            self._expr(stmt.test, ctx, stmt)
            # `if __name__ == "__main__":` at module level is how the script runs: its body is not conditional
            self._block(stmt.body, ctx if ctx.scope.kind == "module" and _is_main_guard(stmt.test) else ctx.with_cond())
            orelse = stmt.orelse
            if isinstance(orelse, cst.If):
                self._stmt(orelse, ctx)
            elif isinstance(orelse, cst.Else):
                self._block(orelse.body, ctx.with_cond())
        elif isinstance(stmt, cst.With):
            for item in stmt.items:
                self._expr(item.item, ctx, stmt)
                if item.asname is not None:
                    name = dotted(item.asname.name) if isinstance(item.asname.name, (cst.Name, cst.Attribute)) else None
                    if name:
                        self._add_assign(ctx, AssignRec(name, item.item, ctx, self._next(), "with", node=stmt))
            self._block(stmt.body, ctx)
        elif isinstance(stmt, cst.Try) or (hasattr(cst, "TryStar") and isinstance(stmt, cst.TryStar)):
            self._block(stmt.body, ctx)
            for h in stmt.handlers:
                self._block(h.body, ctx.with_cond())
            if stmt.orelse is not None:
                self._block(stmt.orelse.body, ctx)
            if stmt.finalbody is not None:
                self._block(stmt.finalbody.body, ctx)
        elif isinstance(stmt, cst.Match):
            self._expr(stmt.subject, ctx, stmt)
            for case in stmt.cases:
                self._block(case.body, ctx.with_cond())

    def _small(self, small: cst.CSTNode, ctx: Ctx, stmt: cst.CSTNode) -> None:
        kind = type(small)  # exact types (libcst's node classes are final): isinstance on its ABCs is slow
        if kind is cst.Assign:
            seq = self._next()
            targets: list[str] = []
            self._created = []
            for t in small.targets:
                targets.extend(self._targets(t.target, small.value, ctx, seq, stmt))
            created, self._created = self._created, None
            self._expr(small.value, ctx, stmt, targets=targets, direct=True)
            # the assignment happens after its value is computed: `x = f(x)` reads the old x
            after = self._next()
            for rec in created or ():
                rec.seq = after
            for t in small.targets:
                self._target_exprs(t.target, ctx, stmt)
        elif kind is cst.AnnAssign:
            seq = self._next()
            targets = []
            if small.value is not None:
                targets = self._targets(small.target, small.value, ctx, seq, stmt)
                self._expr(small.value, ctx, stmt, targets=targets, direct=True)
            elif ctx.scope.kind == "class":
                name = dotted(small.target)
                if name and ctx.scope.class_name in self.classes:
                    ci = self.classes[ctx.scope.class_name]  # type: ignore[index]
                    ci.fields[name] = None
                    ci.field_order.append(name)
        elif kind is cst.AugAssign:
            seq = self._next()
            name = dotted(small.target)
            if name:
                op = type(small.operator).__name__
                self._add_assign(ctx, AssignRec(name, small.value, ctx, seq, "aug", node=stmt, op=op))
            self._expr(small.value, ctx, stmt)
            self._target_exprs(small.target, ctx, stmt)
        elif kind is cst.Expr:
            self._next()
            self._expr(small.value, ctx, stmt, direct=True, discarded=True)
        elif kind is cst.Return:
            self._next()
            if small.value is not None:
                fn = ctx.scope.function
                if fn is not None:
                    fn.returns.append((small.value, ctx))
                self._expr(small.value, ctx, stmt)
        elif kind is cst.Import or kind is cst.ImportFrom:
            self.imports.add(small)

    def _targets(
        self, target: cst.BaseExpression, value: cst.BaseExpression, ctx: Ctx, seq: int, stmt: cst.CSTNode
    ) -> list[str]:
        if isinstance(target, (cst.Name, cst.Attribute)):
            name = dotted(target)
            if name:
                self._add_assign(ctx, AssignRec(name, value, ctx, seq, "assign", node=stmt))
                if ctx.scope.kind == "class" and isinstance(target, cst.Name) and ctx.scope.class_name in self.classes:
                    ci = self.classes[ctx.scope.class_name]  # type: ignore[index]
                    ci.fields[name] = value
                    if name not in ci.field_order:
                        ci.field_order.append(name)
                return [name]
            return []
        if isinstance(target, (cst.Tuple, cst.List)):
            names: list[str] = []
            for i, el in enumerate(target.elements):
                if isinstance(el.value, (cst.Name, cst.Attribute)):
                    name = dotted(el.value)
                    if name:
                        self._add_assign(ctx, AssignRec(name, value, ctx, seq, "unpack", index=i, node=stmt))
                        names.append(name)
            return names
        if isinstance(target, cst.Subscript):
            self.sub_writes.append(SubscriptWrite(target, value, ctx, seq, stmt))
        return []

    def _target_exprs(self, target: cst.BaseExpression, ctx: Ctx, stmt: cst.CSTNode) -> None:
        if isinstance(target, cst.Subscript):
            self._expr(target.value, ctx, stmt)

    def _function(self, node: cst.FunctionDef, ctx: Ctx) -> None:
        parent = ctx.scope
        class_name = parent.class_name if parent.kind == "class" else None
        prefix = "" if parent.kind == "module" else parent.qualname + "."
        qualname = prefix + node.name.value
        params: list[ParamInfo] = []
        idx = 0
        p = node.params
        for prm in list(p.posonly_params) + list(p.params):
            params.append(ParamInfo(prm.name.value, idx, prm.default, "pos",
                                    prm.annotation.annotation if prm.annotation else None))
            idx += 1
        if isinstance(p.star_arg, cst.Param):
            params.append(ParamInfo(p.star_arg.name.value, None, None, "varpos"))
        for prm in p.kwonly_params:
            params.append(ParamInfo(prm.name.value, None, prm.default, "kwonly",
                                    prm.annotation.annotation if prm.annotation else None))
        if p.star_kwarg is not None:
            params.append(ParamInfo(p.star_kwarg.name.value, None, None, "varkw"))
        for prm in params:
            if prm.default is not None:
                self._expr(prm.default, ctx, node)
        scope = Scope(qualname, "function", parent, class_name=class_name)
        info = FunctionInfo(qualname, node.name.value, node, params, class_name, scope, list(node.decorators))
        scope.function = info
        for dec in node.decorators:
            self._expr(dec.decorator, ctx, node)
        self.functions[qualname] = info
        self.functions_by_name.setdefault(node.name.value, []).append(info)
        if class_name and class_name in self.classes and parent.kind == "class":
            self.classes[class_name].methods[node.name.value] = info
        # the definition itself binds the name in the enclosing scope
        parent.assigns.setdefault(node.name.value, []).append(
            AssignRec(node.name.value, None, ctx, self._next(), "def", node=node)
        )
        self._block(node.body, Ctx(scope))

    def _class(self, node: cst.ClassDef, ctx: Ctx) -> None:
        bases = []
        for arg in node.bases:
            q = self.imports.qualify(arg.value)
            bases.append(q or dotted(arg.value) or "?")
        info = ClassInfo(node.name.value, node, bases)
        for dec in node.decorators:
            d = dec.decorator.func if isinstance(dec.decorator, cst.Call) else dec.decorator
            name = dotted(d) or ""
            if name.split(".")[-1] == "dataclass":
                info.is_dataclass = True
        self.classes[node.name.value] = info
        scope = Scope(node.name.value, "class", ctx.scope, class_name=node.name.value)
        ctx.scope.assigns.setdefault(node.name.value, []).append(
            AssignRec(node.name.value, None, ctx, self._next(), "class", node=node)
        )
        self._block(node.body, Ctx(scope))

    def _new_loop(self, node: cst.For | cst.While, ctx: Ctx, target_text: str, iter_node, iter_text: str) -> LoopInfo:
        self._loop_n += 1
        lid = f"loop{self._loop_n}"
        info = LoopInfo(lid, node, ctx, target_text, iter_node, iter_text, parent=ctx.loops[-1] if ctx.loops else None)
        self.loops[lid] = info
        fn = ctx.scope.function
        if fn is not None:
            fn.loops.append(lid)
        return info

    def _for(self, node: cst.For, ctx: Ctx) -> None:
        self._expr(node.iter, ctx, node)
        target_text = self.text(node.target, 60)
        info = self._new_loop(node, ctx, target_text, node.iter, self.text(node.iter, 160))
        inner = ctx.with_loop(info.id)
        seq = self._next()
        if isinstance(node.target, (cst.Name, cst.Attribute)):
            name = dotted(node.target)
            if name:
                self._add_assign(inner, AssignRec(name, node.iter, inner, seq, "for", node=node))
        elif isinstance(node.target, (cst.Tuple, cst.List)):
            for i, el in enumerate(node.target.elements):
                name = dotted(el.value) if isinstance(el.value, (cst.Name, cst.Attribute)) else None
                if name:
                    self._add_assign(inner, AssignRec(name, node.iter, inner, seq, "for", index=i, node=node))
        self._block(node.body, inner)
        if node.orelse is not None:
            self._block(node.orelse.body, ctx)

    def _while(self, node: cst.While, ctx: Ctx) -> None:
        self._expr(node.test, ctx, node)
        info = self._new_loop(node, ctx, "", node.test, "while " + self.text(node.test, 160))
        self._block(node.body, ctx.with_loop(info.id))
        if node.orelse is not None:
            self._block(node.orelse.body, ctx)

    # --------------------------------------------------------------------------------- expressions
    def _expr(
        self,
        node: cst.BaseExpression,
        ctx: Ctx,
        stmt: cst.CSTNode,
        targets: list[str] | None = None,
        direct: bool = False,
        discarded: bool = False,
    ) -> None:
        stack: list[tuple[cst.CSTNode, str | None]] = [(node, None)]
        first = True
        reads = self.reads
        owner = self.owner
        while stack:
            n, call = stack.pop()
            owner[id(n)] = stmt
            t = type(n)  # exact types first: isinstance on libcst's ABC-based classes is slow (this is hot)
            if t in _SKIP_TYPES:
                if t is cst.Name:
                    reads.setdefault(n.value, []).append((call, ctx, self._seq))  # type: ignore[attr-defined]
                first = False
                continue
            if t is cst.Call:
                site = CallSite(n, expr_path(n.func), ctx, self._next(), stmt)
                if first and direct:
                    site.direct = True
                    site.targets = list(targets or [])
                    site.discarded = discarded
                self.calls.append(site)
                if ctx.loops:
                    self.loops[ctx.loops[-1]].calls.append(site)
                for a in reversed(n.args):
                    stack.append((a.value, site.path))
                stack.append((n.func, call))
            elif t is cst.Attribute:
                stack.append((n.value, call))  # type: ignore[attr-defined]
            elif t is cst.Subscript:
                for el in n.slice:  # type: ignore[attr-defined]
                    sl = el.slice
                    if isinstance(sl, cst.Index):
                        stack.append((sl.value, call))
                stack.append((n.value, call))
            elif isinstance(n, (cst.BinaryOperation, cst.BooleanOperation)):
                stack.append((n.right, call))
                stack.append((n.left, call))
            elif isinstance(n, cst.UnaryOperation):
                stack.append((n.expression, call))
            elif isinstance(n, cst.Comparison):
                for c in n.comparisons:
                    stack.append((c.comparator, call))
                stack.append((n.left, call))
            elif isinstance(n, cst.IfExp):
                stack.extend(((n.orelse, call), (n.body, call), (n.test, call)))
            elif isinstance(n, (cst.List, cst.Tuple, cst.Set)):
                for el in reversed(n.elements):
                    stack.append((el.value, call))
            elif isinstance(n, cst.Dict):
                for el in reversed(n.elements):
                    if isinstance(el, cst.DictElement):
                        stack.append((el.value, call))
                        stack.append((el.key, call))
                    else:
                        stack.append((el.value, call))
            elif isinstance(n, cst.Lambda):
                self.lambdas.append((n, ctx))
                stack.append((n.body, "<lambda>"))
            elif isinstance(n, (cst.ListComp, cst.SetComp, cst.GeneratorExp)):
                stack.append((n.elt, call))
                stack.append((n.for_in.iter, call))
            elif isinstance(n, cst.DictComp):
                stack.append((n.value, call))
                stack.append((n.for_in.iter, call))
            elif isinstance(n, (cst.StarredElement, cst.StarredDictElement, cst.Await, cst.NamedExpr)):
                v = getattr(n, "value", None) or getattr(n, "expression", None)
                if v is not None:
                    stack.append((v, call))
            elif isinstance(n, cst.Yield):
                v = n.value
                if isinstance(v, cst.BaseExpression):
                    stack.append((v, call))
            elif isinstance(n, cst.FormattedString):
                for part in n.parts:
                    if isinstance(part, cst.FormattedStringExpression):
                        stack.append((part.expression, "<f-string>"))
            first = False


def _is_main_guard(test: cst.BaseExpression) -> bool:
    if not isinstance(test, cst.Comparison) or len(test.comparisons) != 1:
        return False
    comp = test.comparisons[0]
    sides = [test.left, comp.comparator]
    return (isinstance(comp.operator, cst.Equal) and any(isinstance(x, cst.Name) and x.value == "__name__" for x in sides)
            and any(isinstance(x, cst.SimpleString) and x.evaluated_value == "__main__" for x in sides))


def build_index(module: cst.Module, seq_start: int = 0, loop_start: int = 0) -> Indexer:
    return Indexer(module, seq_start, loop_start).run()
