"""A per-epoch decay written inside the batch loop: applied once per batch of the epochs it is meant for.

``for epoch in ...: for x in loader: if epoch % 30 == 0 and epoch > 0: g["lr"] *= 0.1`` reads as "decay every
30 epochs", but the test holds for every batch of epoch 30, so the rate is multiplied by 0.1 ``len(loader)``
times: it collapses to (nearly) zero. Found here as facts (``FileFacts.extra["repeated_epoch_decays"]``), reported
by LR201 (a schedule sized in epochs, stepped per batch).

A write counts when it multiplies or divides the group's own rate by a factor (``g["lr"] *= f``, ``g["lr"] =
g["lr"] * f``, ``g["lr"] /= f``) that does not change inside the batch loop, sits in a loop that runs per batch
inside an epoch loop, and every ``if`` between that batch loop and the write tests only the epoch loop's variable and
values the batch loop does not change (``epoch % k == 0``, ``epoch in milestones``, ``epoch == 30``), at least one of
them the epoch variable. An absolute write (``g["lr"] = base * 0.1 ** (epoch // 30)``) repeated per batch is
harmless and is not reported; nor is a test that also reads the batch index (``if epoch % 30 == 0 and i == 0``).
"""

from __future__ import annotations

from typing import Any

import libcst as cst

from ..facts import Known
from .index import Indexer, SubscriptWrite, lr_subscript
from .values import Resolver

MAX_WRITES = 200


def repeated_epoch_decays(ix: Indexer, resolver: Resolver, locator: Any) -> list[dict[str, Any]]:
    if not any(lp.kind == "epoch" for lp in ix.loops.values()):
        return []
    from .manual import _aug_lr_writes, _enclosing_tests

    writes: list[SubscriptWrite] = [w for w in ix.sub_writes if lr_subscript(w.target)] + _aug_lr_writes(ix)
    out: list[dict[str, Any]] = []
    for w in writes[:MAX_WRITES]:
        factor = _factor(w, ix, resolver)
        if factor is None:
            continue
        loops = [ix.loops[lid] for lid in w.ctx.loops if lid in ix.loops]
        from .loops import over_param_groups

        training = [lp for lp in loops if not over_param_groups(ix, lp)]
        if len(training) < 2:
            continue
        batch = training[-1]
        if batch.kind not in ("batch", "iteration"):
            continue
        epoch = next((lp for lp in reversed(training[:-1]) if lp.kind == "epoch"), None)
        if epoch is None or not isinstance(epoch.node, cst.For):
            continue
        epoch_vars = _names(epoch.node.target)
        tests = _enclosing_tests(batch.node, w.stmt)
        if not tests or not _epoch_only(tests, epoch_vars, batch, ix, resolver, w):
            continue
        loc = locator.location(w.stmt)
        out.append({"loc": loc, "write": ix.text(w.stmt, 80), "condition": " and ".join(ix.text(t, 60) for t in tests),
                    "factor": factor, "batch_loop": locator.line(batch.node), "epoch_var": sorted(epoch_vars)[0]})
    return out


def _factor(w: SubscriptWrite, ix: Indexer, resolver: Resolver) -> float | None:
    """The constant the write multiplies the group's rate by (a divisor as its inverse), else None."""
    v = w.value
    if not isinstance(v, cst.BinaryOperation) or not isinstance(v.operator, (cst.Multiply, cst.Divide)):
        return None
    me = ix.text(w.target, 80)
    left, right = v.left, v.right
    if ix.text(left, 80) == me:
        other = right
    elif ix.text(right, 80) == me and isinstance(v.operator, cst.Multiply):
        other = left
    else:
        return None
    f = resolver.resolve(other, w.ctx, w.seq)
    if not (isinstance(f, Known) and isinstance(f.value, (int, float)) and not isinstance(f.value, bool)) or f.value <= 0:
        return None
    value = float(f.value) if isinstance(v.operator, cst.Multiply) else 1.0 / float(f.value)
    return value if value != 1.0 else None


def _names(node: cst.CSTNode) -> set[str]:
    if isinstance(node, cst.Name):
        return {node.value}
    if isinstance(node, (cst.Tuple, cst.List)):
        out: set[str] = set()
        for el in node.elements:
            out |= _names(el.value)
        return out
    return set()


def _read_names(node: cst.CSTNode, depth: int = 0) -> list[str]:
    """The plain names a test reads (the bases of attributes, not their attribute names)."""
    if depth > 40:
        return ["?"]
    if isinstance(node, cst.Name):
        return [node.value]
    if isinstance(node, cst.Attribute):
        return _read_names(node.value, depth + 1)
    if isinstance(node, cst.Call):
        return ["?"]  # a call may read anything (a random draw, a clock)
    out: list[str] = []
    for c in node.children:
        if isinstance(c, cst.BaseExpression) or isinstance(c, (cst.ComparisonTarget, cst.Element, cst.Arg,
                                                                  cst.SubscriptElement, cst.Index)):
            out.extend(_read_names(c, depth + 1))
    return out


def _epoch_only(tests: list[cst.BaseExpression], epoch_vars: set[str], batch: Any, ix: Indexer,
                resolver: Resolver, w: SubscriptWrite) -> bool:
    seen_epoch = False
    for t in tests:
        for name in _read_names(t):
            if name in ("True", "False", "None"):
                continue
            if name == "?":
                return False
            if name in epoch_vars:
                seen_epoch = True
                continue
            if isinstance(batch.node, cst.For) and name in _names(batch.node.target):
                return False  # the batch index: the test picks batches, not epochs
            _, recs = resolver._assignments(name, w.ctx, w.seq)
            if any(batch.id in r.ctx.loops for r in recs):
                return False  # changes from batch to batch
    return seen_epoch
