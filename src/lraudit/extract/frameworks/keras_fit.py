"""Keras ``fit``/``fit_generator`` calls: their epochs, steps per epoch and callbacks, the ``compile`` live at each,
and the facts of a callback scheduler passed to them."""

from __future__ import annotations

from dataclasses import replace
from typing import Any, Callable

import libcst as cst

from ...facts import FileFacts, Known, SchedulerFact, Unknown, Value
from ..imports import dotted
from ..index import CallSite, Indexer
from ..objects import ObjectFlow
from ..values import LITERAL, Resolver
from .base import _kw, _method, _num, _receiver, _replace_sched, _surely_before


_FIT_POS = {"fit": {"epochs": 3, "callbacks": 5, "steps_per_epoch": None},
            "fit_generator": {"epochs": 2, "callbacks": 4, "steps_per_epoch": 1}}


class _Fit:
    def __init__(self, site: CallSite, epochs: Value, spe: Value, callbacks: list[str]) -> None:
        self.site = site
        self.epochs = epochs
        self.spe = spe
        self.callbacks = callbacks
        self.receiver = _receiver(site)
        self.model_key: Any = None  # the assignment of the receiver this fit() sees
        self.live_compiles: list[CallSite] = []  # the compile() calls of that model live here (see _live_compiles)
        self.live_optimizers: list[str] = []  # the optimizers they compile
        # model.fit(...) rather than ImageDataGenerator.fit(x) / scaler.fit(x): Keras-only keywords
        self.keras_like = _method(site) == "fit_generator" or any(
            a.keyword is not None and a.keyword.value in ("epochs", "nb_epoch", "callbacks", "steps_per_epoch",
                                                          "validation_data", "validation_split", "initial_epoch")
            for a in site.node.args)


def _keras_fits(flow: ObjectFlow, ix: Indexer, resolver: Resolver) -> list[_Fit]:
    out = []
    for site in ix.calls:
        m = _method(site)
        if m not in _FIT_POS or not isinstance(site.node.func, cst.Attribute) or "trainer" in (_receiver(site) or ""):
            continue
        pos = _FIT_POS[m]
        e = _kw(site.node, "epochs", pos["epochs"])
        if e is None:
            e = _kw(site.node, "nb_epoch")
        if e is not None:
            epochs = resolver.resolve(e, site.ctx, site.seq)
            if isinstance(epochs, Known):
                epochs = Known(epochs.value, f"{m}(epochs=...) at {resolver.where(site.node)}"
                               + (f" ({epochs.source})" if epochs.source != LITERAL else ""))
        else:
            epochs = Known(1, f"Keras default for {m}(epochs=) at {resolver.where(site.node)}")
        init = _kw(site.node, "initial_epoch")
        if init is not None and isinstance(epochs, Known):
            iv = resolver.resolve(init, site.ctx, site.seq)
            if isinstance(iv, Known) and _num(iv.value) and _num(epochs.value):
                epochs = Known(epochs.value - iv.value, f"{epochs.source} minus initial_epoch ({iv.source})")
            else:
                epochs = Unknown(f"{m}() starts at initial_epoch, which is not known")
        s = _kw(site.node, "steps_per_epoch", pos["steps_per_epoch"])
        spe: Value = resolver.resolve(s, site.ctx, site.seq) if s is not None else Unknown(
            "steps per epoch depend on the data, which the script does not state")
        callbacks: list[str] = []
        cb = _kw(site.node, "callbacks", pos["callbacks"])
        if cb is not None:
            callbacks.extend(flow.objects(cb, site.ctx, site.seq))
            name = dotted(cb)
            if name is not None:
                # callbacks = [...]; callbacks.append(LearningRateScheduler(...))
                for other in ix.calls:
                    if other.path in (f"{name}.append", f"{name}.extend", f"{name}.insert") and other.node.args:
                        callbacks.extend(flow.objects(other.node.args[-1].value, other.ctx, other.seq))
        fit = _Fit(site, epochs, spe, list(dict.fromkeys(callbacks)))
        if fit.receiver is not None:
            _, recs = resolver._assignments(fit.receiver, site.ctx, site.seq)
            fit.model_key = id(recs[-1]) if recs else fit.receiver
        out.append(fit)
    return out


def _fits_total(fits: list[_Fit]) -> Value:
    if not fits:
        return Unknown("no fit() call found")
    if len(fits) > 1 and _alternatives(fits):
        totals = {repr(_fits_total([f])) for f in fits}
        return _fits_total([fits[0]]) if len(totals) == 1 else Unknown(
            "fit() runs several separate trainings (different branches or models) with different lengths")
    total = 0
    sources = []
    for f in fits:
        if not (isinstance(f.epochs, Known) and _num(f.epochs.value)):
            return Unknown(getattr(f.epochs, "reason", "the number of epochs is not known"))
        if not (isinstance(f.spe, Known) and _num(f.spe.value)):
            return Unknown("steps per epoch are not stated (fit() without steps_per_epoch: they depend on the data)")
        total += int(f.epochs.value * f.spe.value)
        sources.append(f"{f.epochs.source} x steps_per_epoch ({f.spe.source})")
    src = sources[0] if len(sources) == 1 else "the sum over fit() calls: " + "; ".join(sources)
    return Known(total, src)


def _alternatives(fits: list[_Fit]) -> bool:
    """fit() calls in different branches (``if augment: fit_generator(...) else: fit(...)``), functions, or on
    different model objects (``model = get_model()`` before each): separate runs, not one continued run."""
    if any(f.site.ctx.conds > 0 for f in fits) or len({id(f.site.ctx.scope) for f in fits}) > 1:
        return True
    return len({f.model_key for f in fits}) > 1


def _fits_epochs(fits: list[_Fit]) -> Value:
    if not fits:
        return Unknown("no fit() call found")
    if len(fits) == 1:
        return fits[0].epochs
    if _alternatives(fits):
        vals = {repr(f.epochs.value) for f in fits if isinstance(f.epochs, Known)}
        if len(vals) == 1 and all(isinstance(f.epochs, Known) for f in fits):
            return fits[0].epochs
        return Unknown("fit() runs several separate trainings (different branches or models) with different "
                       "numbers of epochs")
    if all(isinstance(f.epochs, Known) and _num(f.epochs.value) for f in fits):
        return Known(sum(f.epochs.value for f in fits), "the sum over fit() calls: "  # type: ignore[union-attr]
                     + "; ".join(f.epochs.source for f in fits))  # type: ignore[union-attr]
    return Unknown("the model is fitted several times and not every epoch count is known")


def _live_compiles(fit: _Fit, compiles: list[tuple[CallSite, list[str]]], ix: Indexer, resolver: Resolver) -> None:
    """The compile() calls live at ``fit``: compiles of the same model (same receiver, same binding of it, same
    function) before the fit, from the last one that surely runs before it onwards. A model compiled twice trains
    with the optimizer of the second compile in the fits after it."""
    if fit.receiver is None:
        return
    mine = []
    for site, oids in compiles:
        if site.seq >= fit.site.seq or _receiver(site) != fit.receiver or site.ctx.scope is not fit.site.ctx.scope:
            continue
        _, recs = resolver._assignments(fit.receiver, site.ctx, site.seq)
        if (id(recs[-1]) if recs else fit.receiver) == fit.model_key:
            mine.append((site, oids))
    for i in range(len(mine) - 1, -1, -1):
        if _surely_before(ix, mine[i][0].ctx, mine[i][0].stmt, fit.site.ctx, fit.site.stmt):
            mine = mine[i:]
            break
    fit.live_compiles = [site for site, _ in mine]
    fit.live_optimizers = list(dict.fromkeys(o for _, oids in mine for o in oids))


def _keras_callback(facts: FileFacts, s: SchedulerFact, fits: list[_Fit], compiled: dict[str, str | None],
                    fits_of: Callable[[str | None], list[_Fit]]) -> FileFacts:
    using = [f for f in fits if s.id in f.callbacks]
    owner = None
    reason = "the compiled optimizer is not in this file"
    if using and using[0].live_compiles:
        # the optimizer of the compile() live at that fit(), not the model's first compile
        live = using[0].live_optimizers
        if len(live) == 1:
            owner = live[0]
        elif live:
            lines = sorted({o.loc.line for o in facts.optimizers if o.id in live})
            reason = ("the model is compiled with different optimizers on different paths before the fit() that "
                      f"runs it (lines {', '.join(map(str, lines))}): which one it trains depends on the path taken")
    else:
        if using:
            owner = next((o for o, rcv in compiled.items() if rcv is not None and rcv == using[0].receiver), None)
        if owner is None and compiled:
            owner = next(iter(compiled))
    return _callback_fact(facts, s, using, fits, owner, reason)


def _callback_fact(facts: FileFacts, s: SchedulerFact, using: list[_Fit], fits: list[_Fit], owner: str | None,
                   reason: str) -> FileFacts:
    if using:
        stepped, horizon = "epoch", _fits_epochs(using)
    else:
        stepped, horizon = ("never" if fits else "unknown"), Unknown("not passed to fit(callbacks=...)")
    monitor = s.args.get("monitor") if s.cls.endswith("ReduceLROnPlateau") else s.monitor
    return _replace_sched(facts, replace(
        s, optimizer=owner, optimizer_reason=None if owner else reason,
        stepped=stepped, unit="epoch", horizon=horizon, horizon_source=getattr(horizon, "source", None),  # type: ignore
        monitor=monitor))
