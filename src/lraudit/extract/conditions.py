"""The default run: which arm of each branch a run takes, decided from values lraudit knows.

A condition that resolves from known values (argparse/click/absl defaults, constants, dataclass and config
defaults, ``--set`` overrides, ``is None`` on an option nobody set, ``==``/``in`` on choices, ``len()`` of known
lists, ``and``/``or``/``not``) selects its arm; the other arms are not part of the run. An arm that raises (or
exits) is never a run. Every other branch stays undecided: its arms are alternatives (``index.exclusive``), and
``words`` says in plain words when each one runs ("when --sched is 'step'").

Conditions inside a loop are decided only when nothing they read changes inside that loop (``if epoch < 5``
changes from pass to pass, ``if args.warmup`` does not).
"""

from __future__ import annotations

import weakref
from typing import Any, Iterator

import libcst as cst

from ..facts import Known
from .imports import dotted
from .index import BranchInfo, Ctx, Indexer, Plan
from .values import Resolver

MAX_DECIDE = 5000  # branches decided per module; the rest stay alternatives
MAX_TEST_NODES = 200  # a condition bigger than this is not decided (deeply nested or generated conditions)


def decide(ix: Indexer, resolver: Resolver) -> Plan:
    """The plan of the run the resolver's values describe (defaults, plus its ``overrides``)."""
    plan = Plan()
    for n, b in enumerate(ix.branches.values()):
        skip = frozenset(k for k, how in b.ends.items() if how == "raise" and not (b.kind == "try" and k == 0))
        chosen = choose(b, ix, resolver) if n < MAX_DECIDE else None
        if chosen is not None and chosen in skip:
            chosen = None  # the run that takes a raising arm fails: the user must have passed something else
        if chosen is not None and b.kind != "try":
            plan.chosen[id(b.node)] = chosen
        if skip and b.kind != "ifexp":
            plan.skip[id(b.node)] = skip
    return plan


def choose(b: BranchInfo, ix: Indexer, resolver: Resolver) -> int | None:
    """The arm the run takes, None when a condition it depends on is not known."""
    if b.kind == "try":
        return None
    if b.ctx.loops and not _stable(b, ix):
        return None
    if b.kind in ("if", "ifexp"):
        for k, test in enumerate(b.tests):
            t = truth(test, b.ctx, b.seq, resolver) if test is not None else None
            if t is None:
                return None
            if t:
                return k
        return len(b.tests)
    if b.kind == "match" and b.subject is not None:
        subject = _value(b.subject, b.ctx, b.seq, resolver)
        if subject is None:
            return None
        for k, pattern in enumerate(b.patterns):
            m = _matches(pattern, subject[0], b.ctx, b.seq, resolver)
            if m is None:
                return None
            if m:
                guard = b.guards[k] if k < len(b.guards) else None
                g = truth(guard, b.ctx, b.seq, resolver) if guard is not None else True
                if g is None:
                    return None
                if g:
                    return k
        return len(b.patterns)
    return None


def truth(node: cst.BaseExpression | None, ctx: Ctx, seq: int | None, resolver: Resolver) -> bool | None:
    """Three-valued truth of a condition: True, False, or None when it is not known."""
    if node is None or _size(node) > MAX_TEST_NODES:
        return None
    return _truth(node, ctx, seq, resolver, 0)


def _truth(node: cst.BaseExpression, ctx: Ctx, seq: int | None, resolver: Resolver, depth: int) -> bool | None:
    if depth > 30:
        return None
    if isinstance(node, cst.BooleanOperation):
        left = _truth(node.left, ctx, seq, resolver, depth + 1)
        is_and = isinstance(node.operator, cst.And)
        if left is not None and left != is_and:
            return left  # False and ... / True or ...
        right = _truth(node.right, ctx, seq, resolver, depth + 1)
        if right is not None and right != is_and:
            return right  # ... and False / ... or True, whatever the left side is
        if left is None or right is None:
            return None
        return right
    if isinstance(node, cst.UnaryOperation) and isinstance(node.operator, cst.Not):
        inner = _truth(node.expression, ctx, seq, resolver, depth + 1)
        return None if inner is None else not inner
    v = _value(node, ctx, seq, resolver)
    if v is None:
        return None
    try:
        return bool(v[0])
    except Exception:
        return None


def _value(node: cst.BaseExpression, ctx: Ctx, seq: int | None, resolver: Resolver) -> tuple[Any] | None:
    old = resolver.condition_mode
    resolver.condition_mode = True
    try:
        v = resolver.resolve(node, ctx, seq)
    finally:
        resolver.condition_mode = old
    if not isinstance(v, Known):
        return None
    from .values import DataclassInstance, Namespace, ObjectRef

    x = v.value
    if isinstance(x, dict) and any(not isinstance(k, (str, int)) for k in x):
        return None
    if isinstance(x, (Namespace, DataclassInstance)) or (isinstance(x, dict) and _has_unknown(x)):
        return None  # a parsed-arguments object or a config with unknown parts: its truth says nothing useful
    if isinstance(x, ObjectRef):
        return (True,)
    return (x,)


def _has_unknown(d: dict) -> bool:
    from ..facts import Unknown

    return any(isinstance(v, Unknown) for v in d.values())


def _matches(pattern: Any, subject: Any, ctx: Ctx, seq: int | None, resolver: Resolver) -> bool | None:
    if isinstance(pattern, cst.MatchAs) and pattern.pattern is None:
        return True  # case _: / case name:
    if isinstance(pattern, cst.MatchAs):
        return _matches(pattern.pattern, subject, ctx, seq, resolver)
    if isinstance(pattern, cst.MatchValue):
        v = _value(pattern.value, ctx, seq, resolver)
        return None if v is None else bool(v[0] == subject)
    if isinstance(pattern, cst.MatchSingleton):
        v = _value(pattern.value, ctx, seq, resolver)
        return None if v is None else v[0] is subject
    if isinstance(pattern, cst.MatchOr):
        results = [_matches(p.pattern, subject, ctx, seq, resolver) for p in pattern.patterns]
        if any(r is True for r in results):
            return True
        return None if any(r is None for r in results) else False
    return None


_SIZES: dict[int, tuple[cst.CSTNode, int]] = {}  # id(test) -> (test, its size): a test is sized once per run
MAX_SIZES = 50_000


def _size(node: cst.CSTNode) -> int:
    hit = _SIZES.get(id(node))
    if hit is not None and hit[0] is node:
        return hit[1]
    if len(_SIZES) >= MAX_SIZES:
        _SIZES.clear()
    n = _count(node)
    _SIZES[id(node)] = (node, n)
    return n


def _count(node: cst.CSTNode) -> int:
    n = 0
    stack = [node]
    while stack and n <= MAX_TEST_NODES:
        x = stack.pop()
        n += 1
        stack.extend(x.children)
    return n


def _names(node: cst.CSTNode) -> Iterator[str]:
    stack = [node]
    count = 0
    while stack and count < 400:
        x = stack.pop()
        count += 1
        if isinstance(x, (cst.Name, cst.Attribute)):
            d = dotted(x)
            if d:
                yield d
                parts = d.split(".")
                for i in range(1, len(parts)):
                    yield ".".join(parts[:i])
            if isinstance(x, cst.Attribute):
                stack.append(x.value)
            continue
        stack.extend(x.children)


def _stable(b: BranchInfo, ix: Indexer) -> bool:
    """Nothing the condition reads is assigned inside the loops around it (or is their loop variable)."""
    loops = set(b.ctx.loops)
    nodes = [t for t in b.tests if t is not None] + ([b.subject] if b.subject is not None else [])
    for node in nodes:
        for name in set(_names(node)):
            for scope in b.ctx.scope.chain():
                recs = scope.assigns.get(name, [])
                if any(loops & set(r.ctx.loops) for r in recs):
                    return False
                if recs:
                    break
            if name.startswith("self."):
                return False  # an attribute another method may change between passes
            if any(loops & inside for inside in _mutations(ix).get(name, ())):
                return False
    return True


_MUTATORS = frozenset({"append", "pop", "update", "extend", "clear", "insert", "remove"})
# the last index's table (by weak reference: it does not keep the index alive)
_MUTATIONS: list[tuple["weakref.ref[Indexer]", int, dict[str, list[frozenset[str]]]]] = []


def _mutations(ix: Indexer) -> dict[str, list[frozenset[str]]]:
    """The receivers of the index's in-place container calls (``xs.append(...)``), each with the loops around each
    such call: one pass over the calls per index (built once, for every branch that asks)."""
    if _MUTATIONS and _MUTATIONS[0][0]() is ix and _MUTATIONS[0][1] == len(ix.calls):
        return _MUTATIONS[0][2]
    table: dict[str, list[frozenset[str]]] = {}
    for c in ix.calls:
        func = c.node.func
        if isinstance(func, cst.Attribute) and func.attr.value in _MUTATORS:
            d = dotted(func.value)
            if d is not None:
                table.setdefault(d, []).append(frozenset(c.ctx.loops))
    _MUTATIONS[:] = [(weakref.ref(ix), len(ix.calls), table)]
    return table


# ------------------------------------------------------------------------------------------------ words
def words(b: BranchInfo, arms: frozenset[int], ix: Indexer, resolver: Resolver) -> str:
    """When a context lying in ``arms`` of branch ``b`` runs, in words: "when --sched is 'step'"."""
    if b.kind == "try":
        if arms == frozenset({0}):
            return "when the try block at line {} does not raise".format(resolver.where(b.node).rsplit(":", 1)[-1])
        return "when the try block at line {} raises".format(resolver.where(b.node).rsplit(":", 1)[-1])
    if b.kind == "match" and b.subject is not None:
        subject = _describe(b.subject, ix, resolver)
        parts = []
        for k in sorted(arms):
            if k < len(b.patterns) and isinstance(b.patterns[k], cst.MatchValue):
                parts.append(ix.text(b.patterns[k].value, 40))  # type: ignore[union-attr]
        if parts and len(parts) == len(arms):
            return f"when {subject} is " + " or ".join(parts)
        return f"in case {', '.join(str(k + 1) for k in sorted(arms))} of match {subject}"
    phrases = []
    for k in sorted(arms):
        if k < len(b.tests) and b.tests[k] is not None:
            ph = _phrase(b.tests[k], ix, resolver, True)  # type: ignore[arg-type]
            test = b.tests[k]
            # `elif x == "b"` after `if x == "a"`: the earlier tests are implied, only other tests are worth saying
            implied = isinstance(test, cst.Comparison) and len(test.comparisons) == 1 and \
                isinstance(test.comparisons[0].operator, (cst.Equal, cst.In))
            earlier = [] if implied else [_phrase(t, ix, resolver, False) for t in b.tests[:k] if t is not None]
            phrases.append(ph if not earlier else ph + " (and " + ", ".join(earlier) + ")")
        else:
            phrases.append(", ".join(_phrase(t, ix, resolver, False) for t in b.tests if t is not None))
    return "when " + " or ".join(phrases)


def _phrase(test: cst.BaseExpression, ix: Indexer, resolver: Resolver, positive: bool) -> str:
    if isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not):
        return _phrase(test.expression, ix, resolver, not positive)
    if isinstance(test, cst.Comparison) and len(test.comparisons) == 1:
        op = test.comparisons[0].operator
        left = _describe(test.left, ix, resolver)
        right = ix.text(test.comparisons[0].comparator, 40)
        table = {cst.Equal: ("is", "is not"), cst.NotEqual: ("is not", "is"), cst.Is: ("is", "is not"),
                 cst.IsNot: ("is not", "is"), cst.In: ("is one of", "is none of"),
                 cst.NotIn: ("is none of", "is one of")}
        for kind, (yes, no) in table.items():
            if isinstance(op, kind):
                return f"{left} {yes if positive else no} {right}"
    if isinstance(test, (cst.Name, cst.Attribute)):
        flag = _flag(test, resolver)
        if flag is not None:
            return f"{flag} is set" if positive else f"{flag} is not set"
    text = ix.text(test, 60)
    return text if positive else f"not ({text})"


def _describe(node: cst.BaseExpression, ix: Indexer, resolver: Resolver) -> str:
    return _flag(node, resolver) or ix.text(node, 40)


def _flag(node: cst.BaseExpression, resolver: Resolver) -> str | None:
    """``--lr-scheduler`` for ``args.lr_scheduler`` when an add_argument defines it."""
    if isinstance(node, cst.Attribute):
        opt = resolver._argparse_options().get(node.attr.value)
        if opt is not None and opt.flags:
            longs = [f for f in opt.flags if f.startswith("--")]
            return longs[0] if longs else opt.flags[0]
    return None


# ------------------------------------------------------------------------------------------ option runs
MAX_OPTION_RUNS = 4  # other runs analysed per file, each selected by one user-facing option


def option_runs(ix: Indexer, creation_ctxs: list[Ctx], plan: Plan, resolver: Resolver) -> list[tuple[dict[str, str], str]]:
    """Runs an option selects other than the default one, where they build or step something else: for each
    decided branch with a creation or a ``.step()`` in an arm the default run does not take, the ``--set`` value of
    a user-facing option (an argparse/absl flag) that takes that arm, and its words (``--sched step``)."""
    step_ctxs = [c.ctx for c in ix.calls if c.path.rsplit(".", 1)[-1] in ("step", "step_update")]
    where = creation_ctxs + step_ctxs
    out: list[tuple[dict[str, str], str]] = []
    seen: set[tuple] = set()
    for b in ix.branches.values():
        chosen = plan.chosen.get(id(b.node))
        if chosen is None or b.kind not in ("if", "ifexp", "match"):
            continue
        skip = plan.skip.get(id(b.node), frozenset())
        for k in range(b.n_arms):
            if k == chosen or k in skip:
                continue
            if not any(any(bid == b.id and k in arms for bid, arms in ctx.arms) for ctx in where):
                continue
            made = _select(b, k, resolver)
            if made is None:
                continue
            dest, text, phrase = made
            key = (dest, text)
            if key in seen:
                continue
            seen.add(key)
            out.append(({dest: text}, phrase))
            if len(out) >= MAX_OPTION_RUNS:
                return out
    return out


def _select(b: BranchInfo, k: int, resolver: Resolver) -> tuple[str, str, str] | None:
    if b.kind == "match":
        if k >= len(b.patterns) or not isinstance(b.patterns[k], cst.MatchValue) or b.subject is None:
            return None
        lit = _literal(b.patterns[k].value)  # type: ignore[union-attr]
        opt = _option(b.subject, resolver)
        return None if lit is None or opt is None else (opt[0], _text(lit), f"{opt[1]} {_text(lit)}")
    if k < len(b.tests) and b.tests[k] is not None:
        return _make(b.tests[k], True, resolver)  # type: ignore[arg-type]
    if len(b.tests) == 1 and b.tests[0] is not None:
        return _make(b.tests[0], False, resolver)
    return None


def _make(test: cst.BaseExpression, want: bool, resolver: Resolver) -> tuple[str, str, str] | None:
    """(dest, --set text, words) that make ``test`` evaluate to ``want``."""
    if isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not):
        return _make(test.expression, not want, resolver)
    opt = _option(test, resolver)
    if opt is not None:
        dest, flag, ao = opt
        if ao.action in ("store_true", "store_false") or ao.type_name == "bool":
            return dest, "true" if want else "false", (f"{flag}" if want else f"{flag} false") \
                if ao.action != "store_false" else (f"{flag} true" if want else f"{flag}")
        return None
    if not (isinstance(test, cst.Comparison) and len(test.comparisons) == 1):
        return None
    opt = _option(test.left, resolver)
    if opt is None:
        return None
    dest, flag, ao = opt
    op = test.comparisons[0].operator
    comp = test.comparisons[0].comparator
    if isinstance(op, (cst.In, cst.NotIn)) and isinstance(comp, (cst.List, cst.Tuple, cst.Set)):
        if isinstance(op, cst.In) == want and comp.elements:
            lit = _literal(comp.elements[0].value)
            return None if lit is None else (dest, _text(lit), f"{flag} {_text(lit)}")
        return None
    lit = _literal(comp)
    if lit is None or lit is True or lit is False:
        return None
    value: Any = None
    if isinstance(op, cst.Equal) and want or isinstance(op, cst.NotEqual) and not want:
        value = lit
    elif isinstance(op, (cst.Equal, cst.NotEqual)):
        value = _other_choice(ao, lit, resolver)
    elif isinstance(lit, int) and not isinstance(lit, bool):
        table = {cst.GreaterThan: (lit + 1, lit), cst.GreaterThanEqual: (lit, lit - 1),
                 cst.LessThan: (lit - 1, lit), cst.LessThanEqual: (lit, lit + 1)}
        for kind, (yes, no) in table.items():
            if isinstance(op, kind):
                value = yes if want else no
    if value is None:
        return None
    return dest, _text(value), f"{flag} {_text(value)}"


def _other_choice(ao: Any, lit: Any, resolver: Resolver) -> Any:
    node = getattr(ao, "choices_node", None)
    if node is None:
        return None
    v = resolver.resolve(node, Ctx(resolver.ix.module_scope))
    if isinstance(v, Known) and isinstance(v.value, (list, tuple)):
        for c in v.value:
            if c != lit and isinstance(c, (str, int, float)):
                return c
    return None


def _option(node: cst.BaseExpression, resolver: Resolver) -> tuple[str, str, Any] | None:
    if not isinstance(node, cst.Attribute):
        return None
    ao = resolver._argparse_options().get(node.attr.value)
    if ao is None or not ao.flags or not any(f.startswith("-") for f in ao.flags):
        return None
    longs = [f for f in ao.flags if f.startswith("--")]
    return ao.dest, (longs[0] if longs else ao.flags[0]), ao


def _literal(node: cst.BaseExpression) -> Any:
    if isinstance(node, cst.SimpleString):
        v = node.evaluated_value
        return v if isinstance(v, str) else None
    if isinstance(node, (cst.Integer, cst.Float)):
        return node.evaluated_value
    if isinstance(node, cst.UnaryOperation) and isinstance(node.operator, cst.Minus) and \
            isinstance(node.expression, (cst.Integer, cst.Float)):
        return -node.expression.evaluated_value
    return None


def _text(v: Any) -> str:
    return str(v)
