"""Training loops: which loop runs over epochs, which over batches or iterations, and in which loop context a
call runs (following calls into functions defined in the same file)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from typing import Any

import libcst as cst

from ..facts import Known, Unknown, Value
from .imports import dotted
from .index import CallSite, Ctx, Indexer, LoopInfo
from .run_sizes import symbol_len_source
from .values import Resolver

_EPOCH_RE = re.compile(r"epoch|\bep\b|n_ep|num_ep|max_ep")
_BATCH_RE = re.compile(
    r"loader|batch|dataset|\bdata\b|_data\b|train_data|\bdl\b|_dl\b|dataiter|data_iter|tqdm|prefetch|samples?\b|"
    r"\bimages?\b|\binputs?\b|\bx\s*,\s*y\b|\bimgs?\b|\btargets?\b|\blabels?\b|minibatch|\bbar\b|pbar|progress"
)
_ITER_RE = re.compile(
    r"\biters?\b|iteration|\bstep\b|\bsteps\b|max_steps|num_steps|total_steps|train_steps|max_iter|num_iter|n_iter|"
    r"\bitr\b|global_step|iter_num|updates|n_steps|nsteps|training_steps|\bit\b"
)

PER_BATCH_METHODS = {
    "training_step", "train_step", "on_train_batch_end", "on_train_batch_start", "on_batch_end",
    "on_before_optimizer_step", "optimizer_step", "on_after_backward", "on_train_batch_begin", "train_batch",
    "step_batch", "train_on_batch", "on_step_end",
}
PER_EPOCH_METHODS = {
    "on_train_epoch_end", "on_epoch_end", "training_epoch_end", "validation_epoch_end", "on_validation_epoch_end",
    "on_epoch_begin", "on_train_epoch_start", "on_validation_end", "on_train_epoch_begin", "epoch_end",
    "end_of_epoch", "on_epoch_start",
}


def classify_loops(ix: Indexer) -> None:
    for loop in ix.loops.values():
        # `groups = opt.param_groups; for g in groups:` is bookkeeping whatever the names say
        loop.kind = "unknown" if over_param_groups(ix, loop) else _own_kind(loop)
    # `while step < max_steps and epoch < epochs:` that updates the model in its own body (no batch loop
    # inside) runs once per update: an iteration loop, whatever its condition says about epochs
    parents = {lp.parent for lp in ix.loops.values()}
    for loop in ix.loops.values():
        if loop.kind == "epoch" and isinstance(loop.node, cst.While) and loop.id not in parents:
            backward = any(c.path.endswith(".backward") for c in loop.calls)
            step = any(c.path.endswith(".step") for c in loop.calls)
            if backward or (step and _ITER_RE.search(loop.iter_text.lower())):
                loop.kind = "iteration"
    # `while True:` / `while not done:` loops that update the model themselves are iteration loops, and so is an
    # outermost `for _ in range(n):` / `for t in range(T):` whose own body runs backward() and a step()
    for loop in ix.loops.values():
        if loop.kind == "unknown" and isinstance(loop.node, cst.While) and loop.parent is None:
            if any(c.path.endswith((".backward", ".step", "scaler.step")) for c in loop.calls) or _has_counter(loop):
                loop.kind = "iteration"
        elif loop.kind == "unknown" and isinstance(loop.node, cst.For) and loop.parent is None and \
                not over_param_groups(ix, loop) and not any(
                    lp.parent == loop.id and not over_param_groups(ix, lp) for lp in ix.loops.values()) and \
                any(c.path.endswith(".backward") for c in loop.calls) and \
                any(c.path.endswith(".step") for c in loop.calls):
            loop.kind = "iteration"
    # an unclassified loop directly inside an epoch loop iterates over batches
    for loop in ix.loops.values():
        if loop.kind == "unknown" and loop.parent is not None:
            parent = ix.loops[loop.parent]
            if parent.kind == "epoch" and (not _small_range(loop, ix) or _updates_per_iteration(loop, ix)):
                loop.kind = "batch"


def _has_counter(loop: LoopInfo) -> bool:
    body = loop.node.body
    stmts = body.body if isinstance(body, cst.IndentedBlock) else []
    for stmt in stmts:
        if isinstance(stmt, cst.SimpleStatementLine):
            for small in stmt.body:
                if isinstance(small, cst.AugAssign) and isinstance(small.target, cst.Name) and \
                        _ITER_RE.search(small.target.value.lower()):
                    return True
    return False


def _updates_per_iteration(loop: LoopInfo, ix: Indexer) -> bool:
    """``for i in range(100):`` inside an epoch loop that runs ``loss.backward()`` and steps in its own body: the
    epoch's iterations, however few its literal says (a ``range(2)`` repeat of one update stays what it was)."""
    if over_param_groups(ix, loop):
        return False
    it = loop.iter_node
    if not (isinstance(it, cst.Call) and it.args and isinstance(it.args[-1].value, cst.Integer)
            and int(it.args[-1].value.value) > 4):
        return False
    return any(c.path.endswith(".backward") for c in loop.calls) and \
        any(c.path.endswith(".step") for c in loop.calls)


def _small_range(loop: LoopInfo, ix: Indexer | None = None) -> bool:
    if ix is not None and over_param_groups(ix, loop):
        return True
    it = loop.iter_node
    if isinstance(loop.node, cst.For) and isinstance(it, cst.Call) and dotted(it.func) == "range":
        args = it.args
        if len(args) == 1 and isinstance(args[0].value, cst.Integer):
            return True
    # for opt in optimizers / for g in param_groups / for k, v in x.items()
    text = loop.iter_text
    return bool(re.search(r"param_groups|\.items\(\)|\.keys\(\)|\.values\(\)|optimizers|schedulers|zip\(\[", text))


def _own_kind(loop: LoopInfo) -> str:
    target = loop.target_text.lower()
    iter_text = loop.iter_text.lower()
    if "param_groups" in iter_text:
        return "unknown"
    if isinstance(loop.node, cst.While):
        if _EPOCH_RE.search(iter_text):
            return "epoch"
        if _ITER_RE.search(iter_text):
            return "iteration"
        return "unknown"
    if _EPOCH_RE.search(target) or (_EPOCH_RE.search(iter_text) and not _BATCH_RE.search(iter_text)):
        return "epoch"
    if _BATCH_RE.search(iter_text) or _BATCH_RE.search(target):
        return "batch"
    if _ITER_RE.search(target) or _ITER_RE.search(iter_text):
        return "iteration"
    return "unknown"


@dataclass(frozen=True)
class SiteContext:
    context: str  # batch | epoch | outside | unknown
    loop_id: str | None
    via: str | None
    epoch_loop: str | None
    batch_loop: str | None
    # reached through calls: the branch arms of the call the loop's own body makes (``else: sched.step();
    # train(optimizer)``), as ``Ctx.arms``; empty otherwise
    call_arms: tuple = ()


class LoopContexts:
    def __init__(self, ix: Indexer, resolver: Resolver) -> None:
        self.ix = ix
        self.resolver = resolver

    def of(self, ctx: Ctx, depth: int = 0) -> SiteContext:
        # `for g in optimizer.param_groups:` and other short bookkeeping loops are not training loops
        loops = [self.ix.loops[lid] for lid in ctx.loops
                 if self.ix.loops[lid].kind != "unknown" or not _small_range(self.ix.loops[lid], self.ix)]
        epoch = next((lp.id for lp in reversed(loops) if lp.kind == "epoch"), None)
        batch = next((lp.id for lp in reversed(loops) if lp.kind in ("batch", "iteration")), None)
        inner = loops[-1].id if loops else None
        if batch is not None:
            outer = self._caller_context(ctx, depth) if epoch is None else None
            return SiteContext("batch", batch, outer.via if outer else None,
                               epoch or (outer.epoch_loop if outer else None), batch,
                               outer.call_arms if outer else ())
        if epoch is not None:
            return SiteContext("epoch", epoch, None, epoch, None)
        fn = ctx.scope.function
        if fn is not None and not loops:
            event = _event_of(fn, self.ix)
            if event is not None:
                per = "batch" if "ITERATION" in event else "epoch"
                return SiteContext(per, None, f"{fn.name}() runs at {event}", None, None)
            if fn.name in PER_BATCH_METHODS:
                return SiteContext("batch", None, f"{fn.name}() runs once per batch", None, None)
            if fn.name in PER_EPOCH_METHODS:
                return SiteContext("epoch", None, f"{fn.name}() runs once per epoch", None, None)
        outer = self._caller_context(ctx, depth)
        if loops:
            # unknown loops: inside a per-epoch caller they iterate over batches
            if outer is not None and outer.context == "epoch":
                return SiteContext("batch", inner, outer.via, outer.epoch_loop, inner, outer.call_arms)
            if outer is not None and outer.context == "batch":
                return SiteContext("batch", outer.loop_id, outer.via, outer.epoch_loop, outer.batch_loop,
                                   outer.call_arms)
            return SiteContext("unknown", inner, outer.via if outer else None, None, None)
        if outer is not None:
            return outer
        if fn is None:
            return SiteContext("outside", None, None, None, None)
        return SiteContext("unknown", None, f"{fn.qualname}() is not called in this file", None, None)

    def _caller_context(self, ctx: Ctx, depth: int) -> SiteContext | None:
        fn = ctx.scope.function
        if fn is None or depth >= 3:
            return None
        sites = self.resolver.calls_to(fn)
        if not sites:
            return None
        results = []
        for site in sites:
            sc = self.of(site.ctx, depth + 1)
            results.append((sc, site))
        kinds = {sc.context for sc, _ in results}
        pick = None
        for want in ("batch", "epoch", "outside", "unknown"):
            if want in kinds:
                pick = next((sc, s) for sc, s in results if sc.context == want)
                break
        assert pick is not None
        sc, site = pick
        where = self.resolver.where(site.node)
        if sc.context in ("batch", "epoch") and sc.via and " called from the " in sc.via and not site.ctx.loops:
            # two calls or more from the loop (`train()` calls `_train_or_test()`): name the call the loop makes
            via = f"{fn.name}() called from {sc.via}"
        elif sc.context in ("batch", "epoch"):
            loop_word = "batch loop" if sc.context == "batch" else "epoch loop"
            via = f"{fn.name}() called from the {loop_word} at {where}"
        elif sc.context == "outside":
            via = f"{fn.name}() called outside any loop at {where}"
        else:
            via = sc.via or f"{fn.name}() called at {where}"
        if len(kinds) > 1:
            via += f" (also called elsewhere: {', '.join(sorted(kinds - {sc.context}))})"
        # the call the loop's body makes: this one when it sits in the loop itself, else the one further up
        call_arms = sc.call_arms if sc.via else tuple(site.ctx.arms)
        return SiteContext(sc.context, sc.loop_id, via, sc.epoch_loop, sc.batch_loop, call_arms)


_EVENTS = ("ITERATION_STARTED", "ITERATION_COMPLETED", "EPOCH_STARTED", "EPOCH_COMPLETED")


def _event_of(fn: Any, ix: Indexer) -> str | None:
    """``Events.ITERATION_STARTED`` for an ignite-style handler: ``@engine.on(Events.X)`` or
    ``engine.add_event_handler(Events.X, fn)``."""
    for dec in getattr(fn, "decorators", ()):
        d = dec.decorator
        if isinstance(d, cst.Call) and isinstance(d.func, cst.Attribute) and d.func.attr.value == "on" and d.args:
            text = dotted(d.args[0].value) or ""
            if isinstance(d.args[0].value, cst.Call):
                text = dotted(d.args[0].value.func) or ""
            for ev in _EVENTS:
                if text.endswith("." + ev) or text == ev:
                    return f"Events.{ev}"
    if fn.class_name is None:
        for site in ix.calls:
            if site.path.endswith("add_event_handler") and len(site.node.args) >= 2 and \
                    dotted(site.node.args[1].value) == fn.name:
                text = dotted(site.node.args[0].value) or ""
                for ev in _EVENTS:
                    if text.endswith("." + ev) or text == ev:
                        return f"Events.{ev}"
    return None


def loop_count(loop: LoopInfo, resolver: Resolver) -> Value:
    """Iterations of ``for _ in range(...)`` when its bounds are known."""
    it = loop.iter_node
    if isinstance(loop.node, cst.While):
        return Unknown(f"while loop: {loop.iter_text}")
    if isinstance(it, cst.Call) and isinstance(it.func, cst.Name) and it.func.value in ("tqdm", "trange") and it.args:
        inner = it.args[0].value
        if it.func.value == "trange":
            it = cst.Call(func=cst.Name("range"), args=it.args)
        else:
            it = inner
    if not (isinstance(it, cst.Call) and dotted(it.func) == "range"):
        seq_node = it.args[0].value if (isinstance(it, cst.Call) and dotted(it.func) == "enumerate" and it.args
                                        and not it.args[0].star and it.args[0].keyword is None) else it
        if isinstance(seq_node, cst.Name):  # `for x in batches` with batches = [... for _ in range(50)]
            n = resolver._comprehension_length(seq_node, loop.ctx, None, 0)
            if isinstance(n, Known):
                return n
        if resolver.symbol_value is not None and loop.kind == "batch" and it is not None:
            from .values import symbol_text

            text = symbol_text(resolver.ix.text(it, 60))
            n = resolver.symbol_value(text)
            return Known(n, symbol_len_source(text, n))
        return Unknown(f"the loop iterates over {loop.iter_text}, whose length is not stated")
    args = [a.value for a in it.args if a.keyword is None and not a.star]
    ctx = loop.ctx
    if len(args) == 1:
        stop = resolver.resolve(args[0], ctx)
        if isinstance(stop, Known) and isinstance(stop.value, (int, float)) and not isinstance(stop.value, bool):
            return Known(max(0, int(stop.value)), stop.source)
        return stop if not isinstance(stop, Known) else Unknown("range bound is not a number")
    if len(args) >= 2:
        start = resolver.resolve(args[0], ctx)
        stop = resolver.resolve(args[1], ctx)
        step = resolver.resolve(args[2], ctx) if len(args) > 2 else Known(1, "literal")
        for v in (start, stop, step):
            if not isinstance(v, Known):
                return v
        try:
            n = len(range(int(start.value), int(stop.value), int(step.value)))  # type: ignore[union-attr]
        except (TypeError, ValueError):
            return Unknown("range bounds are not integers")
        from .values import _combine

        src = _combine(start.source, stop.source)  # type: ignore[union-attr]
        return Known(n, src.removeprefix("computed from "))
    return Unknown("range() without arguments")


def call_sites_named(ix: Indexer, suffix: str) -> list[CallSite]:
    return [s for s in ix.calls if s.path.endswith(suffix)]


# ------------------------------------------------------------------------------------------ param-group loops
_GROUP_WRAPPERS = ("enumerate", "zip", "list", "tuple", "reversed", "sorted", "iter")


def over_param_groups(ix: Indexer, loop: LoopInfo) -> bool:
    """A loop over an optimizer's param groups: ``for g in opt.param_groups``, ``enumerate(...)``/``zip(...)`` of
    them, a slice (``opt.param_groups[:1]``), or a name bound only to them (``groups = opt.param_groups;
    for g in groups``). Bookkeeping, never a training loop."""
    if "param_groups" in loop.iter_text:
        return True
    if not isinstance(loop.node, cst.For):
        return False
    node: cst.BaseExpression | None = loop.iter_node
    while isinstance(node, cst.Call) and dotted(node.func) in _GROUP_WRAPPERS and node.args:
        node = node.args[0].value
    if isinstance(node, cst.Subscript):
        node = node.value
    if not isinstance(node, cst.Name):
        return False
    for scope in loop.ctx.scope.chain():
        recs = scope.assigns.get(node.value)
        if recs:
            return all(r.kind == "assign" and r.value is not None and _names_groups(r.value) for r in recs)
    return False


def _names_groups(node: cst.BaseExpression) -> bool:
    while isinstance(node, cst.Call) and dotted(node.func) in _GROUP_WRAPPERS and node.args:
        node = node.args[0].value
    if isinstance(node, cst.Subscript):
        node = node.value
    return isinstance(node, cst.Attribute) and node.attr.value == "param_groups"


# ------------------------------------------------------------------------------------------ run length
# How many passes a loop makes when a counter bounds it: `while step < max_steps: ...; step += 1`,
# `while True: ...; step += 1; if step >= N: break`, `for i, b in enumerate(loader): ...; if i >= N: break`.
# A counter counts only when it advances by a constant exactly once per pass: one unconditional `+=` (or
# `c = c + k`) in the loop's own body (a `with` block counts as unconditional), no other write to it in the
# loop, and no `continue` that can skip the increment. Anything else leaves the length unknown, with a reason.

Order = tuple[int, ...]


@dataclass(frozen=True)
class _Counter:
    name: str
    base: int  # value at the start of pass 0, before any increment in that pass
    step: int  # added once per pass (for a for target: the iterable's own stride)
    inc_at: Order | None  # position of the in-body increment within a pass (None: none, a plain for target)
    inc: int  # amount of that in-body increment
    origin: str  # in words
    own: bool = False  # the loop's own for target (restarts with the loop)
    lockstep: bool = False  # advanced under the same condition as the step itself: it counts steps, not passes


@dataclass(frozen=True)
class _Test:
    node: cst.BaseExpression  # the comparison
    at: Order | None  # None: the while condition, tested before each pass
    stmt: cst.CSTNode  # the while loop or the `if ...: break` statement


def _suite(block: cst.BaseSuite) -> list[cst.CSTNode]:
    return list(block.body) if isinstance(block, (cst.IndentedBlock, cst.SimpleStatementSuite)) else []


def _units(block: cst.BaseSuite, prefix: Order = ()) -> list[tuple[Order, cst.CSTNode]]:
    """The statements that run on every pass, in order, keyed like ``Ctx.order`` below the loop statement:
    small statements of plain lines and of ``with`` bodies; compound statements (if/for/try...) as one unit."""
    out: list[tuple[Order, cst.CSTNode]] = []
    for i, stmt in enumerate(_suite(block)):
        if isinstance(stmt, cst.SimpleStatementLine):
            out.extend(((*prefix, i, j), small) for j, small in enumerate(stmt.body))
        elif isinstance(stmt, cst.With):
            out.extend(_units(stmt.body, (*prefix, i)))
        else:
            out.append(((*prefix, i), stmt))
    return out


def _exits(node: cst.CSTNode) -> list[cst.CSTNode]:
    """break / continue / return statements that act on the loop around ``node`` (not on a nested loop or
    function), in source order. A statement-level walk: these are statements, so expressions are never
    entered (libcst's visitor rebuilds every node it passes and cost seconds per run here)."""
    found: list[cst.CSTNode] = []
    _collect_exits(node, found)
    return found


_EXIT_TYPES = (cst.Break, cst.Continue, cst.Return)
_NO_EXITS = (cst.FunctionDef, cst.ClassDef)


def _collect_exits(node: cst.CSTNode | None, found: list[cst.CSTNode]) -> None:
    if node is None:
        return
    t = type(node)
    if t in _EXIT_TYPES:
        found.append(node)
    elif t in (cst.SimpleStatementLine, cst.SimpleStatementSuite, cst.IndentedBlock):
        for child in node.body:  # type: ignore[attr-defined]
            _collect_exits(child, found)
    elif t in (cst.For, cst.While):  # their own break/continue act on them; their else clause does not
        _collect_exits(node.orelse, found)  # type: ignore[attr-defined]
    elif t in _NO_EXITS:
        return
    elif t is cst.If:
        _collect_exits(node.body, found)  # type: ignore[attr-defined]
        _collect_exits(node.orelse, found)  # type: ignore[attr-defined]
    elif t in (cst.Else, cst.Finally, cst.ExceptHandler, cst.With, cst.MatchCase) or (
            hasattr(cst, "ExceptStarHandler") and t is cst.ExceptStarHandler):
        _collect_exits(node.body, found)  # type: ignore[attr-defined]
    elif t is cst.Try or (hasattr(cst, "TryStar") and t is cst.TryStar):
        _collect_exits(node.body, found)  # type: ignore[attr-defined]
        for h in node.handlers:  # type: ignore[attr-defined]
            _collect_exits(h, found)
        _collect_exits(node.orelse, found)  # type: ignore[attr-defined]
        _collect_exits(node.finalbody, found)  # type: ignore[attr-defined]
    elif t is cst.Match:
        for case in node.cases:  # type: ignore[attr-defined]
            _collect_exits(case, found)


def _int(v: Value) -> int | None:
    if isinstance(v, Known) and isinstance(v.value, int) and not isinstance(v.value, bool):
        return v.value
    return None


def _where_line(resolver: Resolver, node: cst.CSTNode) -> str:
    line = resolver.loc_line(node)
    return f"line {line}" if line else "the loop"


def _increment(node: cst.CSTNode, name: str, resolver: Resolver, loop: LoopInfo) -> int | None:
    """The constant a statement adds to ``name`` (``name += k`` / ``name = name + k``), else None."""
    if isinstance(node, cst.AugAssign) and dotted(node.target) == name and isinstance(node.operator, cst.AddAssign):
        k = _int(resolver.resolve(node.value, loop.ctx))
        return k if k is not None and k > 0 else None
    if isinstance(node, cst.Assign) and len(node.targets) == 1 and dotted(node.targets[0].target) == name:
        v = node.value
        if isinstance(v, cst.BinaryOperation) and isinstance(v.operator, cst.Add):
            for a, b in ((v.left, v.right), (v.right, v.left)):
                if dotted(a) == name and not (isinstance(b, cst.Name) and b.value == name):
                    k = _int(resolver.resolve(b, loop.ctx))
                    return k if k is not None and k > 0 else None
    return None


def _writes_in_loop(loop: LoopInfo, name: str) -> list[object]:
    """Assignment records of ``name`` inside the loop (its own for target excluded)."""
    recs = []
    for scope in loop.ctx.scope.chain():
        for r in scope.assigns.get(name, []):
            if loop.id in r.ctx.loops and not (r.kind == "for" and r.node is loop.node):
                recs.append(r)
        if scope.assigns.get(name):
            break
    return recs


def _for_target(loop: LoopInfo, resolver: Resolver) -> tuple[str, int, int, str] | None:
    """``for i in range(a, b, k)`` / ``for i, x in enumerate(it, start)`` / ``itertools.count(a, k)``: (i, a, k,
    words)."""
    node = loop.node
    if not isinstance(node, cst.For):
        return None
    it = node.iter
    if isinstance(it, cst.Call) and dotted(it.func) in ("tqdm", "tqdm.tqdm") and it.args:
        it = it.args[0].value
    if not isinstance(it, cst.Call):
        return None
    fname = dotted(it.func) or ""
    pos = [a.value for a in it.args if a.keyword is None and not a.star]
    kw = {a.keyword.value: a.value for a in it.args if a.keyword is not None}
    target = node.target
    if fname == "enumerate":
        if not (isinstance(target, (cst.Tuple, cst.List)) and target.elements
                and isinstance(target.elements[0].value, cst.Name)):
            return None
        start_node = pos[1] if len(pos) > 1 else kw.get("start")
        start = _int(resolver.resolve(start_node, loop.ctx)) if start_node is not None else 0
        if start is None:
            return None
        return target.elements[0].value.value, start, 1, "enumerate's index"
    if not isinstance(target, cst.Name):
        return None
    if fname in ("range", "trange", "itertools.count", "count"):
        if fname in ("range", "trange"):
            start_node = pos[0] if len(pos) >= 2 else None
            step_node = pos[2] if len(pos) >= 3 else None
        else:
            start_node = pos[0] if pos else kw.get("start")
            step_node = pos[1] if len(pos) > 1 else kw.get("step")
        start = _int(resolver.resolve(start_node, loop.ctx)) if start_node is not None else 0
        step = _int(resolver.resolve(step_node, loop.ctx)) if step_node is not None else 1
        if start is None or step is None or step <= 0:
            return None
        return target.value, start, step, "the loop variable"
    return None


class _Why:
    """Reasons a candidate bound was not usable, kept for the message when nothing is found."""

    def __init__(self) -> None:
        self.reasons: list[str] = []
        self.minor: list[str] = []  # tests that involve no counter at all: said only when nothing else is

    def add(self, text: str, minor: bool = False) -> None:
        target = self.minor if minor else self.reasons
        if text not in target:
            target.append(text)

    def text(self) -> str:
        return "; ".join(self.reasons or self.minor) or "no counter bounds it"


def _counter(loop: LoopInfo, name: str, resolver: Resolver, units: list[tuple[Order, cst.CSTNode]],
             exits: list[tuple[Order, cst.CSTNode]], why: _Why, step_at: Order | None = None) -> _Counter | None:
    """``name`` as a counter that advances exactly once per pass, or None (with the reason in ``why``)."""
    own = _for_target(loop, resolver)
    writes = _writes_in_loop(loop, name)
    incs = [(at, k) for at, u in units for k in [_increment(u, name, resolver, loop)] if k is not None]
    if own is not None and own[0] == name:
        if not writes:
            return _Counter(name, own[1], own[2], None, 0, own[3], own=True)
        if len(writes) == 1 and len(incs) == 1 and not _skippable(incs[0][0], exits):
            return _Counter(name, own[1], own[2], incs[0][0], incs[0][1], own[3], own=True)
        why.add(f"{name} is also changed inside the loop, not once per pass")
        return None
    if not writes:
        why.add(f"{name} does not change inside the loop")
        return None
    lockstep = False
    if len(writes) == 1 and not incs and step_at is not None:
        found = _lockstep(name, resolver, loop, units, step_at)
        if found is not None:
            incs, lockstep = [found], True
    if len(writes) != 1 or len(incs) != 1:
        line = resolver.loc_line(writes[0].node) if getattr(writes[0], "node", None) is not None else 0  # type: ignore
        where = f" (line {line})" if line else ""
        why.add(f"{name} is not advanced exactly once on every pass{where}: it is changed under a condition, in a "
                "nested block or more than once")
        return None
    at, k = incs[0]
    if not lockstep and _skippable(at, exits):
        why.add(f"{name} += {k} can be skipped by a continue earlier in the loop")
        return None
    rec = writes[0]
    start = resolver.resolve(cst.Name(name), loop.ctx, rec.seq)  # type: ignore[attr-defined]
    s = _int(start)
    if s is None:
        why.add(f"the starting value of {name} is not known ({getattr(start, 'reason', 'not an integer')})")
        return None
    return _Counter(name, s, k, at, k, f"{name} = {s}" + (f" ({start.source})" if isinstance(start, Known)
                                                          and start.source != "literal" else ""), lockstep=lockstep)


def _lockstep(name: str, resolver: Resolver, loop: LoopInfo, units: list[tuple[Order, cst.CSTNode]],
              step_at: Order) -> tuple[Order, int] | None:
    """``if not accumulating: ...; sched.step(); step += 1``: the counter and the step both run, unconditionally,
    in the body of one ``if`` (without else, without continue) of the loop: the counter counts steps."""
    for at, u in units:
        if not (isinstance(u, cst.If) and u.orelse is None) or step_at[: len(at)] != at:
            continue
        inner = _units(u.body, at)
        if any(isinstance(e, cst.Continue) for _, n in inner for e in _exits(n)):
            return None
        plain = {a for a, n in inner if not isinstance(n, cst.BaseCompoundStatement)}
        if step_at not in plain:
            return None
        for a, n in inner:
            k = _increment(n, name, resolver, loop)
            if k is not None:
                return a, k
    return None


def _skippable(at: Order, exits: list[tuple[Order, cst.CSTNode]]) -> bool:
    return any(isinstance(n, cst.Continue) and pos < at for pos, n in exits)


def _linear(node: cst.BaseExpression, resolver: Resolver, loop: LoopInfo) -> tuple[str, int] | None:
    """``c`` / ``c + k`` / ``k + c`` / ``c - k`` with a plain name ``c``: (c, offset)."""
    if isinstance(node, cst.Name):
        return node.value, 0
    if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, (cst.Add, cst.Subtract)):
        if isinstance(node.left, cst.Name):
            k = _int(resolver.resolve(node.right, loop.ctx))
            if k is not None:
                return node.left.value, k if isinstance(node.operator, cst.Add) else -k
        if isinstance(node.right, cst.Name) and isinstance(node.operator, cst.Add):
            k = _int(resolver.resolve(node.left, loop.ctx))
            if k is not None:
                return node.right.value, k
    return None


_FLIP = {"LessThan": "GreaterThan", "LessThanEqual": "GreaterThanEqual", "GreaterThan": "LessThan",
         "GreaterThanEqual": "LessThanEqual", "Equal": "Equal", "NotEqual": "NotEqual"}


def _first_pass(op: str, base: int, step: int, n: int) -> int | None:
    """The first pass p >= 0 at which ``base + step * p  op  n`` holds (step > 0), None when it never does."""
    if op in ("GreaterThanEqual", "GreaterThan"):
        m = n if op == "GreaterThanEqual" else n + 1
        return max(0, -((base - m) // step))
    if op == "Equal":
        if n < base or (n - base) % step:
            return None
        return (n - base) // step
    return None


@dataclass(frozen=True)
class _Bound:
    steps: int
    exact: bool
    text: str  # "the while loop at x.py:12 (step < max_steps, constant max_steps at x.py:3)"
    own: bool = False  # bounded by the loop's own for variable
    counter: str = ""


def run_length(ix: Indexer, resolver: Resolver, loop: LoopInfo, step_at: Order | None = None,
               step_known: bool = True, own_counter_only: bool = False) -> Value | None:
    return run_bound(ix, resolver, loop, step_at, step_known, own_counter_only)[0]


def run_bound(ix: Indexer, resolver: Resolver, loop: LoopInfo, step_at: Order | None = None,
              step_known: bool = True, own_counter_only: bool = False) -> tuple[Value | None, bool]:
    """The number of passes of ``loop`` that reach a step at position ``step_at`` of the pass (a ``Ctx.order``
    below the loop statement; see ``order_in_loop``), when a counter bounds the loop.

    ``while c < N`` (each ``and``-ed part bounds it; the others may stop it sooner), ``while True`` / ``for`` with
    ``if c >= N: break`` / ``if c == N: break`` / ``if c + 1 >= N: break``; ``c`` must advance exactly once per
    pass (a for loop's own ``range``/``enumerate`` variable does). The smallest bound wins, and for a ``for`` loop
    of known length the length too. A value that is only an upper bound (the loop has other ways out, or runs over
    an iterable of unknown length) says so in its source.

    None when nothing of this kind applies (a for loop without a counted break: its ``loop_count`` stands);
    Unknown with the reason when a while loop's length cannot be read. ``step_known`` False: where the step
    runs in the pass is not known (a break test then counts the breaking pass, as an upper bound).
    ``own_counter_only``: only the loop's own for variable counts (for a loop nested in an epoch loop, where a
    counter kept across epochs caps the whole run, not each epoch)."""
    node = loop.node
    units = _units(node.body)
    exits: list[tuple[Order, cst.CSTNode]] = []
    for at, u in units:
        exits.extend((at, e) for e in _exits(u))
    why = _Why()
    tests: list[_Test] = []
    others: list[str] = []  # other ways out of the loop, in words
    where_loop = resolver.where(node)
    if isinstance(node, cst.While):
        conj = _conjuncts(node.test)
        if conj is None:
            others.append(f"the condition {ix.text(node.test, 60)}")
            why.add(f"the condition {ix.text(node.test, 60)} is not a conjunction of counter bounds", minor=True)
        else:
            for c in conj:
                if isinstance(c, cst.Name) and c.value == "True" or isinstance(c, cst.Integer) and c.value != "0":
                    continue
                tests.append(_Test(c, None, node))
    break_ifs: set[int] = set()
    for at, u in units:
        if isinstance(u, cst.If) and u.orelse is None and _breaks(u):
            break_ifs.add(id(u))
            disj = _disjuncts(u.test)
            for d in disj:
                tests.append(_Test(d, at, u))
    for at, e in exits:
        if isinstance(e, cst.Continue):
            continue
        owner = next((u for a, u in units if a == at), None)
        if owner is not None and id(owner) in break_ifs and isinstance(e, cst.Break) and _direct_break(owner, e):
            continue
        others.append(f"the {'break' if isinstance(e, cst.Break) else 'return'} at {_where_line(resolver, e)}")
    bounds: list[tuple[_Bound, _Test]] = []
    counters: dict[str, _Counter | None] = {}
    counter_why: dict[str, list[str]] = {}
    for t in tests:
        b = _bound_of(ix, resolver, loop, t, units, exits, counters, counter_why, step_at, step_known, why)
        if b is not None and own_counter_only and not b.own:
            why.add(f"{ix.text(t.node, 60)} counts across epochs, not within one")
            b = None
        if b is not None:
            bounds.append((b, t))
    own_len = loop_count(loop, resolver) if isinstance(node, cst.For) else None
    if not bounds:
        if isinstance(node, cst.For):
            return None, False
        reasons = why.text()
        return Unknown(f"the while loop at {where_loop} ({ix.text(node.test, 60)}): {reasons}"), False
    best, best_test = min(bounds, key=lambda bt: bt[0].steps)
    n = _int(own_len) if own_len is not None else None
    if n is not None and n <= best.steps:
        return None, False  # the loop's own length ends it first: loop_count says so
    exact = best.exact
    limits = list(others)
    resolved = {id(t) for _, t in bounds}
    for t in tests:
        if id(t) not in resolved:
            limits.append(f"{'the condition' if t.at is None else 'the break when'} {ix.text(t.node, 60)}")
    if isinstance(node, cst.For) and n is None and not _rerun_until(ix, loop, best.counter):
        limits.append(f"the end of {ix.text(node.iter, 50)} (its length is not stated)")
    text = best.text
    if limits:
        text += "; at most: " + ", or ".join(sorted(set(limits))) + " may end the run sooner"
    elif not exact:
        text += "; at most: the breaking pass is counted, as where the step runs in the pass is not known"
    return Known(best.steps, text), exact and not limits


def _rerun_until(ix: Indexer, loop: LoopInfo, name: str) -> bool:
    """``while it < max_iters: for x in loader: ...; it += 1; if it >= max_iters: break``: the enclosing while
    loop starts the inner loop again until the same counter reaches its bound, so the end of the iterable does
    not end the run."""
    parent = ix.loops.get(loop.parent) if loop.parent else None
    if parent is None or not isinstance(parent.node, cst.While):
        return False
    test = parent.node.test
    return (isinstance(test, cst.Comparison) and len(test.comparisons) == 1
            and isinstance(test.comparisons[0].operator, (cst.LessThan, cst.LessThanEqual, cst.NotEqual))
            and isinstance(test.left, cst.Name) and test.left.value == name)


def _conjuncts(test: cst.BaseExpression) -> list[cst.BaseExpression] | None:
    if isinstance(test, cst.BooleanOperation):
        if isinstance(test.operator, cst.And):
            left = _conjuncts(test.left)
            right = _conjuncts(test.right)
            return None if left is None or right is None else left + right
        return None
    return [test]


def _disjuncts(test: cst.BaseExpression) -> list[cst.BaseExpression]:
    if isinstance(test, cst.BooleanOperation) and isinstance(test.operator, cst.Or):
        return _disjuncts(test.left) + _disjuncts(test.right)
    return [test]


def _breaks(stmt: cst.If) -> bool:
    return any(_direct_break(stmt, e) for e in _exits(stmt.body))


def _direct_break(stmt: cst.If, node: cst.CSTNode) -> bool:
    """The break is a statement of the if's own body (not nested under a further condition)."""
    for s in _suite(stmt.body):
        if isinstance(s, cst.SimpleStatementLine) and any(small is node for small in s.body):
            return True
        if s is node:
            return True
    return False


def _bound_of(ix: Indexer, resolver: Resolver, loop: LoopInfo, t: _Test, units: list[tuple[Order, cst.CSTNode]],
              exits: list[tuple[Order, cst.CSTNode]], counters: dict[str, _Counter | None],
              counter_why: dict[str, list[str]], step_at: Order | None, step_known: bool, why: _Why) -> _Bound | None:
    node = t.node
    text = ix.text(node, 60)
    if not (isinstance(node, cst.Comparison) and len(node.comparisons) == 1):
        why.add(f"{text} is not a comparison of a counter", minor=True)
        return None
    op = type(node.comparisons[0].operator).__name__
    left, right = node.left, node.comparisons[0].comparator
    picked: tuple[str, int, cst.BaseExpression, str, _Counter] | None = None
    for side, other, sop in ((left, right, op), (right, left, _FLIP.get(op, op))):
        lin = _linear(side, resolver, loop)
        if lin is None:
            continue
        if lin[0] not in counters:
            w = _Why()
            counters[lin[0]] = _counter(loop, lin[0], resolver, units, exits, w, step_at if step_known else None)
            if counters[lin[0]] is None:
                counter_why[lin[0]] = w.reasons
        c = counters[lin[0]]
        if c is not None:
            picked = (lin[0], lin[1], other, sop, c)
            break
    if picked is None:
        # the reasons of a name that changes in the loop (a would-be counter); a test of nothing that changes
        # is only worth saying when nothing else is
        names = [n for n in _side_names(left, right) if counter_why.get(n)]
        changing = [n for n in names if not any("does not change" in r for r in counter_why[n])]
        for n in changing:
            for r in counter_why[n]:
                why.add(r)
        if not changing:
            why.add(f"{text} does not compare a counter", minor=True)
        return None
    name, offset, other, op, c = picked
    bound = resolver.resolve(other, loop.ctx)
    n = _int(bound)
    if n is None:
        why.add(f"the bound in {text} is not known ({getattr(bound, 'reason', 'not an integer')})")
        return None
    if t.at is None:
        # the while condition: the loop ends at the first pass where it fails
        fail = {"LessThan": "GreaterThanEqual", "LessThanEqual": "GreaterThan", "NotEqual": "Equal"}.get(op)
        if fail is None:
            why.add(f"{text} does not bound an increasing counter")
            return None
        p = _first_pass(fail, c.base + offset, c.step, n)
        if p is None:
            why.add(f"{name} never equals {n}, so {text} does not end the loop")
            return None
        steps = p
        exact = True
        what = f"the while loop at {resolver.where(loop.node)}"
    else:
        if op not in ("GreaterThanEqual", "GreaterThan", "Equal"):
            why.add(f"{text} does not bound an increasing counter")
            return None
        base = c.base + offset + (c.inc if c.inc_at is not None and c.inc_at < t.at and not c.lockstep else 0)
        p = _first_pass(op, base, c.step, n)
        if p is None:
            why.add(f"{name} never equals {n}, so the break on {text} never runs")
            return None
        if c.lockstep:
            # the counter moves with the step: the break ends the run after exactly p steps
            exact, steps = True, p
        else:
            exact = step_known and step_at is not None and not _same_unit(step_at, t.at)
            after = step_at is not None and step_at < t.at
            steps = p + 1 if (after or not exact) else p
        what = f"the break at {resolver.where(t.stmt)}"
    src = bound.source if isinstance(bound, Known) else "literal"
    detail = text + (f", {src}" if src != "literal" else "")
    if c.lockstep:
        detail += f"; {name} advances with each step, under the if at line {resolver.loc_line(_unit_node(units, c.inc_at))}"
    return _Bound(steps, exact, f"{what} ({detail})", c.own, name)


def _unit_node(units: list[tuple[Order, cst.CSTNode]], at: Order | None) -> cst.CSTNode:
    for a, u in units:
        if at is not None and at[: len(a)] == a:
            return u
    return units[0][1]


def _same_unit(a: Order, b: Order) -> bool:
    return a[: len(b)] == b


def _side_names(*nodes: cst.BaseExpression) -> list[str]:
    out = []
    for n in nodes:
        if isinstance(n, cst.Name):
            out.append(n.value)
        elif isinstance(n, cst.BinaryOperation):
            out.extend(x.value for x in (n.left, n.right) if isinstance(x, cst.Name))
    return out


def order_in_loop(ctx: Ctx, loop: LoopInfo, resolver: Resolver, depth: int = 0) -> Order | None:
    """Where a statement with context ``ctx`` runs within one pass of ``loop`` (a ``Ctx.order`` suffix), following
    calls into functions of this file (all the calls from inside the loop must sit at one position)."""
    if loop.id in ctx.loops and ctx.scope is loop.ctx.scope:
        n = len(loop.ctx.order)
        return ctx.order[n:] if ctx.order[:n] == loop.ctx.order else None
    fn = ctx.scope.function
    if fn is None or depth >= 3:
        return None
    found: set[Order] = set()
    for site in resolver.calls_to(fn):
        at = order_in_loop(site.ctx, loop, resolver, depth + 1)
        if at is not None:
            found.add(at)
    return found.pop() if len(found) == 1 else None
