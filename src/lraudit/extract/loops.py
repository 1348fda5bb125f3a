"""Training loops: which loop runs over epochs, which over batches or iterations, and in which loop context a
call runs (following calls into functions defined in the same file)."""

from __future__ import annotations

import re
from dataclasses import dataclass

import libcst as cst

from ..facts import Known, Unknown, Value
from .imports import dotted
from .index import CallSite, Ctx, Indexer, LoopInfo
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
        loop.kind = _own_kind(loop)
    # `while step < max_steps and epoch < epochs:` that updates the model in its own body (no batch loop
    # inside) runs once per update: an iteration loop, whatever its condition says about epochs
    parents = {lp.parent for lp in ix.loops.values()}
    for loop in ix.loops.values():
        if loop.kind == "epoch" and isinstance(loop.node, cst.While) and loop.id not in parents:
            backward = any(c.path.endswith(".backward") for c in loop.calls)
            step = any(c.path.endswith(".step") for c in loop.calls)
            if backward or (step and _ITER_RE.search(loop.iter_text.lower())):
                loop.kind = "iteration"
    # `while True:` / `while not done:` loops that update the model themselves are iteration loops
    for loop in ix.loops.values():
        if loop.kind == "unknown" and isinstance(loop.node, cst.While) and loop.parent is None:
            if any(c.path.endswith((".backward", ".step", "scaler.step")) for c in loop.calls) or _has_counter(loop):
                loop.kind = "iteration"
    # an unclassified loop directly inside an epoch loop iterates over batches
    for loop in ix.loops.values():
        if loop.kind == "unknown" and loop.parent is not None:
            parent = ix.loops[loop.parent]
            if parent.kind == "epoch" and not _small_range(loop):
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


def _small_range(loop: LoopInfo) -> bool:
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


class LoopContexts:
    def __init__(self, ix: Indexer, resolver: Resolver) -> None:
        self.ix = ix
        self.resolver = resolver

    def of(self, ctx: Ctx, depth: int = 0) -> SiteContext:
        # `for g in optimizer.param_groups:` and other short bookkeeping loops are not training loops
        loops = [self.ix.loops[lid] for lid in ctx.loops
                 if self.ix.loops[lid].kind != "unknown" or not _small_range(self.ix.loops[lid])]
        epoch = next((lp.id for lp in reversed(loops) if lp.kind == "epoch"), None)
        batch = next((lp.id for lp in reversed(loops) if lp.kind in ("batch", "iteration")), None)
        inner = loops[-1].id if loops else None
        if batch is not None:
            outer = self._caller_context(ctx, depth) if epoch is None else None
            return SiteContext("batch", batch, outer.via if outer else None,
                               epoch or (outer.epoch_loop if outer else None), batch)
        if epoch is not None:
            return SiteContext("epoch", epoch, None, epoch, None)
        fn = ctx.scope.function
        if fn is not None and not loops:
            if fn.name in PER_BATCH_METHODS:
                return SiteContext("batch", None, f"{fn.name}() runs once per batch", None, None)
            if fn.name in PER_EPOCH_METHODS:
                return SiteContext("epoch", None, f"{fn.name}() runs once per epoch", None, None)
        outer = self._caller_context(ctx, depth)
        if loops:
            # unknown loops: inside a per-epoch caller they iterate over batches
            if outer is not None and outer.context == "epoch":
                return SiteContext("batch", inner, outer.via, outer.epoch_loop, inner)
            if outer is not None and outer.context == "batch":
                return SiteContext("batch", outer.loop_id, outer.via, outer.epoch_loop, outer.batch_loop)
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
        if sc.context in ("batch", "epoch"):
            loop_word = "batch loop" if sc.context == "batch" else "epoch loop"
            via = f"{fn.name}() called from the {loop_word} at {where}"
        elif sc.context == "outside":
            via = f"{fn.name}() called outside any loop at {where}"
        else:
            via = sc.via or f"{fn.name}() called at {where}"
        if len(kinds) > 1:
            via += f" (also called elsewhere: {', '.join(sorted(kinds - {sc.context}))})"
        return SiteContext(sc.context, sc.loop_id, via, sc.epoch_loop, sc.batch_loop)


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
