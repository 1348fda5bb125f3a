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


#: one branch constraint of a context: (branch id, the arms of that branch the context lies in)
Arm = tuple[int, frozenset[int]]


@dataclass
class Ctx:
    scope: "Scope"
    loops: tuple[str, ...] = ()  # enclosing loop ids in this function, outermost first
    conds: int = 0  # nesting depth of if/try/with-else inside the innermost loop (or the function)
    order: tuple[int, ...] = ()  # statement path, for ordering within a body
    # the branch arms this context lies in (if/elif/else, conditional expressions, match, try/except, and the
    # statements after an arm that returns/raises/continues/breaks): two contexts whose arms of one branch do
    # not overlap are alternatives, never both run in one pass (see ``exclusive``)
    arms: tuple[Arm, ...] = ()

    def with_loop(self, lid: str) -> "Ctx":
        return Ctx(self.scope, self.loops + (lid,), 0, self.order, self.arms)

    def with_cond(self) -> "Ctx":
        return Ctx(self.scope, self.loops, self.conds + 1, self.order, self.arms)

    def with_arm(self, bid: int, arms: frozenset[int], cond: bool = True) -> "Ctx":
        return Ctx(self.scope, self.loops, self.conds + (1 if cond else 0), self.order, self.arms + ((bid, arms),))

    def at(self, i: int) -> "Ctx":
        return Ctx(self.scope, self.loops, self.conds, self.order + (i,), self.arms)


def exclusive(a: tuple[Arm, ...], b: tuple[Arm, ...]) -> bool:
    """Two contexts (by their arms) that can never both run in one pass: some branch puts them in disjoint arms."""
    if not a or not b:
        return False
    mine = dict(a)
    for bid, arms in b:
        other = mine.get(bid)
        if other is not None and not (other & arms):
            return True
    return False


@dataclass
class BranchInfo:
    """One branching statement or expression: its arms in order, each with its test (None: the else arm, an
    except handler, a wildcard case). Arm ``len(tests)`` of an ``if`` is its else arm, present or not."""

    id: int
    kind: str  # if | ifexp | match | try
    node: cst.CSTNode
    ctx: Ctx  # context of the statement itself
    seq: int
    tests: list[cst.BaseExpression | None] = field(default_factory=list)
    subject: cst.BaseExpression | None = None  # match
    patterns: list[cst.MatchPattern | None] = field(default_factory=list)  # match: one per case
    guards: list[cst.BaseExpression | None] = field(default_factory=list)  # match: one per case
    ends: dict[int, str] = field(default_factory=dict)  # arm -> how it ends: return | raise | continue | break
    has_else: bool = False
    in_loop_pass: bool = False  # terminators continue/break refer to the enclosing loop

    @property
    def n_arms(self) -> int:
        return len(self.tests) + (1 if self.kind in ("if", "match") else 0)


_EXITS = frozenset({"sys.exit", "exit", "quit", "os._exit"})


def ending(block: cst.BaseSuite | None, depth: int = 0) -> str | None:
    """How a block always ends, when its last statement leaves it: ``return``, ``raise`` (also ``sys.exit()``),
    ``continue`` or ``break``; an ``if`` whose every arm ends (the first arm's kind; ``raise`` only when all raise).
    None when the block can fall through."""
    if block is None or depth > 50:
        return None
    stmts = block.body if isinstance(block, (cst.IndentedBlock, cst.SimpleStatementSuite)) else []
    if not stmts:
        return None
    last = stmts[-1]
    small = last.body[-1] if type(last) is cst.SimpleStatementLine and last.body else last
    t = type(small)
    if t is cst.Return:
        # a bare return right after reporting an error ("Need to specify one of checkpoint_dir", level=ERROR) ends
        # the run as a failure, as a raise does: the run a user means passes the options that avoid it
        return "raise" if _soft_failure(stmts, small) else "return"
    if t is cst.Raise:
        return "raise"
    if t is cst.Continue:
        return "continue"
    if t is cst.Break:
        return "break"
    if t is cst.Expr and type(small.value) is cst.Call and dotted(small.value.func) in _EXITS:  # type: ignore
        return "raise"
    if t is cst.If:
        kinds = []
        cur: cst.If | None = small  # type: ignore[assignment]
        while cur is not None:
            kinds.append(ending(cur.body, depth + 1))
            o = cur.orelse
            if isinstance(o, cst.If):
                cur = o
                continue
            kinds.append(ending(o.body, depth + 1) if isinstance(o, cst.Else) else None)
            cur = None
        if all(kinds):
            return "raise" if all(k == "raise" for k in kinds) else next(k for k in kinds if k != "raise")
        return None
    if t is cst.With:
        return ending(small.body, depth + 1)  # type: ignore[attr-defined]
    return None


_ERROR_CALLS = frozenset({"error", "critical", "fatal", "exception"})
_ERROR_LEVELS = frozenset({"ERROR", "CRITICAL", "FATAL"})


def _soft_failure(stmts: Sequence[cst.CSTNode], ret: cst.Return) -> bool:
    """A block that reports an error (``logger.error(...)``, ``logging.critical(...)``, a call with
    ``level=logging.ERROR``, ``print(..., file=sys.stderr)``) and then returns nothing."""
    if ret.value is not None and not (isinstance(ret.value, cst.Name) and ret.value.value == "None"):
        return False
    for stmt in stmts:
        if type(stmt) is not cst.SimpleStatementLine:
            continue
        for small in stmt.body:
            if type(small) is not cst.Expr or type(small.value) is not cst.Call:
                continue
            call = small.value
            name = dotted(call.func) or ""
            if name.rsplit(".", 1)[-1] in _ERROR_CALLS and "." in name:
                return True
            for a in call.args:
                kw = a.keyword.value if a.keyword is not None else None
                val = dotted(a.value) or ""
                if kw == "level" and val.rsplit(".", 1)[-1] in _ERROR_LEVELS:
                    return True
                if kw == "file" and name == "print" and val == "sys.stderr":
                    return True
    return False


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
    function: "FunctionInfo | None" = None  # kind "def": the function it defines (also in a linked module)


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
    # the first parameter of a ``@classmethod`` (``cls``): ``cls(...)`` in ``from_opt(cls, ...)`` is indexed as
    # ``ClassName(...)`` when no class of the module derives from the class (``Indexer.derived``)
    cls_param: str | None = None

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
    # names a function declares ``global``: its assignments to them bind the module's name (``global_step += 1``)
    globals_: frozenset[str] = frozenset()

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


def lr_subscript(target: cst.Subscript) -> bool:
    """``X["lr"]``: a subscript whose one key is the string ``"lr"`` (a learning-rate write or read)."""
    sl = target.slice
    return len(sl) == 1 and isinstance(sl[0].slice, cst.Index) and isinstance(sl[0].slice.value, cst.SimpleString) \
        and sl[0].slice.value.evaluated_value == "lr"


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


def _global_names(block: cst.BaseSuite, depth: int = 0) -> frozenset[str]:
    """The names a function body declares ``global`` (not those of functions or classes nested in it)."""
    out: set[str] = set()
    stack: list[tuple[cst.BaseSuite, int]] = [(block, depth)]
    while stack:
        body, d = stack.pop()
        if d > 40:
            continue
        for stmt in getattr(body, "body", ()):
            if type(stmt) is cst.SimpleStatementLine:
                for small in stmt.body:
                    if type(small) is cst.Global:
                        out.update(n.name.value for n in small.names)
            elif isinstance(stmt, (cst.FunctionDef, cst.ClassDef)):
                continue
            else:
                for attr in ("body", "orelse", "finalbody"):
                    sub = getattr(stmt, attr, None)
                    if isinstance(sub, (cst.IndentedBlock, cst.SimpleStatementSuite)):
                        stack.append((sub, d + 1))
                    elif sub is not None and isinstance(getattr(sub, "body", None), cst.BaseSuite):
                        stack.append((sub.body, d + 1))  # else / elif / finally
                for h in getattr(stmt, "handlers", ()):
                    stack.append((h.body, d + 1))
    return frozenset(out)


def _base_names(stmts: Sequence[cst.CSTNode], depth: int = 0) -> set[str]:
    """The plain names of the base classes of the classes these statements define, in blocks at any depth (a dotted
    base, ``torch.optim.Optimizer``, names a class of another module)."""
    out: set[str] = set()
    for stmt in stmts:
        if isinstance(stmt, cst.ClassDef):
            out.update(arg.value.value for arg in stmt.bases if isinstance(arg.value, cst.Name))
        if depth < 12 and isinstance(stmt, _BLOCK_HOLDERS):
            out |= _base_names([c for c in stmt.children if isinstance(c, _BLOCK_HOLDERS)], depth + 1)
    return out


_BLOCK_HOLDERS = (cst.BaseCompoundStatement, cst.IndentedBlock, cst.Else, cst.ExceptHandler, cst.ExceptStarHandler,
                  cst.Finally)


def _code_text(node: cst.CSTNode) -> str:
    try:
        text = cst.Module(body=[]).code_for_node(node)
    except Exception:
        return "?"
    return " ".join(text.split())


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


@dataclass
class Plan:
    """Which arms one run takes, decided from known values before the module is indexed again (see
    ``conditions.decide``): the arm chosen at a branch, by the id of its node (the other arms are never walked, and
    the chosen arm is not conditional), and arms that never run (they raise or exit)."""

    chosen: dict[int, int] = field(default_factory=dict)
    skip: dict[int, frozenset[int]] = field(default_factory=dict)

    def key(self) -> tuple:
        return (tuple(sorted(self.chosen.items())), tuple(sorted((k, tuple(sorted(v))) for k, v in self.skip.items())))


MAX_BRANCHES = 5000  # branches recorded per module (a generated file with more keeps them as plain code)


class Indexer:
    def __init__(self, module: cst.Module, seq_start: int = 0, loop_start: int = 0, plan: Plan | None = None) -> None:
        self.module = module
        self.plan = plan or Plan()
        self.branches: dict[int, BranchInfo] = {}
        self._ifexp_depth = 0
        self.imports = ImportTable()
        self.module_scope = Scope("<module>", "module", None)
        self.functions: dict[str, FunctionInfo] = {}
        self.functions_by_name: dict[str, list[FunctionInfo]] = {}
        self.classes: dict[str, ClassInfo] = {}
        self.derived: set[str] = set()  # names of the module's classes' bases (filled by run())
        self.calls: list[CallSite] = []
        self.loops: dict[str, LoopInfo] = {}
        self.sub_writes: list[SubscriptWrite] = []
        # ``g["lr"] *= x`` statements as writes, computed once when first asked for (manual._aug_lr_writes)
        self.aug_lr_writes: tuple[SubscriptWrite, ...] | None = None
        self.lambdas: list[tuple[cst.Lambda, Ctx]] = []
        # every Name read in an expression: name -> [(path of the call it is an argument of, ctx, seq)]
        self.reads: dict[str, list[tuple[str | None, Ctx, int]]] = {}
        self.owner: dict[int, cst.CSTNode] = {}  # id(expression node) -> the statement that holds it (positions)
        self._seq = seq_start  # a module linked into another file's index numbers after it (see extract/link.py)
        self._branch_base = seq_start  # so are its branches: a branch id names one branch across linked modules
        self._created: list[AssignRec] | None = None
        self._loop_n = loop_start
        # functions of other modules linked into this index (extract/link.py): id(FunctionInfo) -> the call paths
        # that name it in the importing code ("bo" for `from x import build_optimizer as bo`, "engine.train")
        self.call_aliases: dict[int, set[str]] = {}
        self.text_cache: dict[int, str] = {}

    # ------------------------------------------------------------------------------------ helpers
    def text(self, node: cst.CSTNode, limit: int = 120) -> str:
        """The node's code on one line, cut to ``limit`` characters. The whole text is cached per node and cut per
        call, so a short excerpt asked for first never stands in for a longer one asked for later."""
        key = id(node)
        t = self.text_cache.get(key)
        if t is None:
            t = _code_text(node)
            self.text_cache[key] = t
        return _cut(t, limit)

    def _next(self) -> int:
        self._seq += 1
        return self._seq

    def _add_assign(self, ctx: Ctx, rec: AssignRec) -> None:
        if self._created is not None:
            self._created.append(rec)
        target = rec.target
        if ctx.scope.globals_ and target.split(".", 1)[0].split("[", 1)[0] in ctx.scope.globals_:
            self.module_scope.assigns.setdefault(target, []).append(rec)
            return
        if target.startswith("self.") and target.count(".") == 1 and ctx.scope.function is not None:
            cls = ctx.scope.function.class_name
            if cls and cls in self.classes:
                self.classes[cls].attrs.setdefault(target[5:], []).append(rec)
                return
        ctx.scope.assigns.setdefault(target, []).append(rec)

    # ---------------------------------------------------------------------------------- statements
    def run(self) -> "Indexer":
        self.derived = _base_names(self.module.body)
        ctx = Ctx(self.module_scope)
        self._body(self.module.body, ctx)
        return self

    def _body(self, stmts: Sequence[cst.CSTNode], ctx: Ctx) -> None:
        for i, stmt in enumerate(stmts):
            info = self._stmt(stmt, ctx.at(i))
            if info is None or not info.ends:
                continue
            chosen = self.plan.chosen.get(id(info.node))
            if chosen is not None:
                if chosen in info.ends:
                    return  # the run leaves this body in the arm it takes: the rest never runs
                continue
            # the statements after a branch some arms of which return/raise/continue/break run only after the others
            live = frozenset(k for k in range(info.n_arms) if k not in info.ends)
            if live:
                ctx = ctx.with_arm(info.id, live, cond=False)

    def _block(self, block: cst.BaseSuite, ctx: Ctx) -> None:
        if isinstance(block, cst.IndentedBlock):
            self._body(block.body, ctx)
        elif isinstance(block, cst.SimpleStatementSuite):
            self._body(block.body, ctx)

    def _new_branch(self, kind: str, node: cst.CSTNode, ctx: Ctx) -> BranchInfo:
        # its conditions are read after the statement before it (whose assignments have numbers up to _seq)
        b = BranchInfo(self._branch_base + len(self.branches) + 1, kind, node, ctx, self._seq + 1,
                       in_loop_pass=bool(ctx.loops))
        if len(self.branches) < MAX_BRANCHES:
            self.branches[b.id] = b
        return b

    def _arm_ctx(self, b: BranchInfo, k: int, ctx: Ctx, chosen: int | None) -> Ctx:
        if len(self.branches) >= MAX_BRANCHES and b.id not in self.branches:
            return ctx.with_cond()
        return ctx.with_arm(b.id, frozenset((k,)), cond=chosen is None)

    def _if(self, stmt: cst.If, ctx: Ctx) -> BranchInfo:
        chain: list[tuple[cst.If, cst.BaseSuite]] = []
        cur = stmt
        else_body: cst.BaseSuite | None = None
        for _ in range(MAX_BRANCHES):
            chain.append((cur, cur.body))
            o = cur.orelse
            if isinstance(o, cst.If):
                cur = o
                continue
            if isinstance(o, cst.Else):
                else_body = o.body
            break
        b = self._new_branch("if", stmt, ctx)
        b.tests = [n.test for n, _ in chain]
        b.has_else = else_body is not None
        bodies: list[cst.BaseSuite | None] = [body for _, body in chain] + [else_body]
        for k, body in enumerate(bodies):
            end = ending(body) if body is not None else None
            if end:
                b.ends[k] = end
        chosen = self.plan.chosen.get(id(stmt))
        skip = self.plan.skip.get(id(stmt), frozenset())
        # `if __name__ == "__main__":` at module level is how the script runs: its body is not conditional
        main_guard = ctx.scope.kind == "module" and _is_main_guard(stmt.test)
        for k, (node, body) in enumerate(chain):
            if chosen is not None and k > chosen:
                break  # the tests after the arm the run takes are never evaluated
            self._expr(node.test, ctx, node)
            if (chosen is None or chosen == k) and k not in skip:
                self._block(body, self._arm_ctx(b, k, ctx, 0 if main_guard and k == 0 else chosen))
        k = len(chain)
        if else_body is not None and (chosen is None or chosen == k) and k not in skip:
            self._block(else_body, self._arm_ctx(b, k, ctx, chosen))
        return b

    def _stmt(self, stmt: cst.CSTNode, ctx: Ctx) -> BranchInfo | None:
        if type(stmt) is cst.SimpleStatementLine:  # the common case, without the slow ABC isinstance
            for j, small in enumerate(stmt.body):
                self._small(small, ctx.at(j), stmt)
            return None
        if isinstance(stmt, cst.BaseSmallStatement):
            self._small(stmt, ctx, stmt)
            return None
        if isinstance(stmt, cst.FunctionDef):
            self._function(stmt, ctx)
        elif isinstance(stmt, cst.ClassDef):
            self._class(stmt, ctx)
        elif isinstance(stmt, cst.For):
            self._for(stmt, ctx)
        elif isinstance(stmt, cst.While):
            self._while(stmt, ctx)
        elif isinstance(stmt, cst.If):
            return self._if(stmt, ctx)
        elif isinstance(stmt, cst.With):
            for item in stmt.items:
                self._expr(item.item, ctx, stmt)
                if item.asname is not None:
                    name = dotted(item.asname.name) if isinstance(item.asname.name, (cst.Name, cst.Attribute)) else None
                    if name:
                        self._add_assign(ctx, AssignRec(name, item.item, ctx, self._next(), "with", node=stmt))
            self._block(stmt.body, ctx)
        elif isinstance(stmt, cst.Try) or (hasattr(cst, "TryStar") and isinstance(stmt, cst.TryStar)):
            # the try body (and its else) is arm 0, each handler one more arm: a run that raises inside the body
            # takes a handler instead of the rest of the body
            b = self._new_branch("try", stmt, ctx)
            b.tests = [None] * (1 + len(stmt.handlers))
            body_end = ending(stmt.orelse.body) if stmt.orelse is not None else ending(stmt.body)
            if body_end:
                b.ends[0] = body_end
            skip = self.plan.skip.get(id(stmt), frozenset())
            body_ctx = self._arm_ctx(b, 0, ctx, 0)  # the body runs (not conditional), an alternative to handlers
            self._block(stmt.body, body_ctx)
            for i, h in enumerate(stmt.handlers, 1):
                end = ending(h.body)
                if end:
                    b.ends[i] = end
                if i not in skip:
                    self._block(h.body, self._arm_ctx(b, i, ctx, None))
            if stmt.orelse is not None:
                self._block(stmt.orelse.body, body_ctx)
            if stmt.finalbody is not None:
                self._block(stmt.finalbody.body, ctx)
            if stmt.finalbody is not None and ending(stmt.finalbody.body):
                b.ends = {k: ending(stmt.finalbody.body) or "" for k in range(b.n_arms)}
            return b
        elif isinstance(stmt, cst.Match):
            self._expr(stmt.subject, ctx, stmt)
            b = self._new_branch("match", stmt, ctx)
            b.subject = stmt.subject
            b.tests = [None] * len(stmt.cases)
            b.patterns = [c.pattern for c in stmt.cases]
            b.guards = [c.guard for c in stmt.cases]
            chosen = self.plan.chosen.get(id(stmt))
            skip = self.plan.skip.get(id(stmt), frozenset())
            for k, case in enumerate(stmt.cases):
                end = ending(case.body)
                if end:
                    b.ends[k] = end
                if (chosen is None or chosen == k) and k not in skip:
                    self._block(case.body, self._arm_ctx(b, k, ctx, chosen))
            return b
        return None

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
        scope = Scope(qualname, "function", parent, class_name=class_name, globals_=_global_names(node.body))
        info = FunctionInfo(qualname, node.name.value, node, params, class_name, scope, list(node.decorators))
        scope.function = info
        if class_name and parent.kind == "class" and params and params[0].kind == "pos" and \
                any(dotted(d.decorator) == "classmethod" for d in node.decorators):
            info.cls_param = params[0].name
        for dec in node.decorators:
            self._expr(dec.decorator, ctx, node)
        self.functions[qualname] = info
        self.functions_by_name.setdefault(node.name.value, []).append(info)
        if class_name and class_name in self.classes and parent.kind == "class":
            self.classes[class_name].methods[node.name.value] = info
        # the definition itself binds the name in the enclosing scope
        parent.assigns.setdefault(node.name.value, []).append(
            AssignRec(node.name.value, None, ctx, self._next(), "def", node=node, function=info)
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
                path = expr_path(n.func)
                fn = ctx.scope.function
                if fn is not None and fn.cls_param == path and type(n.func) is cst.Name and \
                        fn.class_name not in self.derived:
                    path = fn.class_name  # type: ignore[assignment]  # return cls(optimizer, ...) in a factory
                site = CallSite(n, path, ctx, self._next(), stmt)
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
                if self._ifexp_depth > 40:
                    stack.extend(((n.orelse, call), (n.body, call), (n.test, call)))
                else:
                    # `A(...) if cond else B(...)`: two arms, alternatives like an if statement's
                    self._ifexp_depth += 1
                    try:
                        self._ifexp(n, ctx, stmt, targets if first and direct else None, first and direct,
                                    discarded)
                    finally:
                        self._ifexp_depth -= 1
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


    def _ifexp(self, n: cst.IfExp, ctx: Ctx, stmt: cst.CSTNode, targets: list[str] | None, direct: bool,
               discarded: bool) -> None:
        self._expr(n.test, ctx, stmt)
        b = self._new_branch("ifexp", n, ctx)
        b.tests = [n.test]
        chosen = self.plan.chosen.get(id(n))
        for k, part in enumerate((n.body, n.orelse)):
            if chosen is None or chosen == k:
                self._expr(part, self._arm_ctx(b, k, ctx, chosen), stmt, targets=targets, direct=direct,
                           discarded=discarded)



def _is_main_guard(test: cst.BaseExpression) -> bool:
    if not isinstance(test, cst.Comparison) or len(test.comparisons) != 1:
        return False
    comp = test.comparisons[0]
    sides = [test.left, comp.comparator]
    return (isinstance(comp.operator, cst.Equal) and any(isinstance(x, cst.Name) and x.value == "__name__" for x in sides)
            and any(isinstance(x, cst.SimpleString) and x.evaluated_value == "__main__" for x in sides))


def build_index(module: cst.Module, seq_start: int = 0, loop_start: int = 0, plan: Plan | None = None) -> Indexer:
    return Indexer(module, seq_start, loop_start, plan).run()
