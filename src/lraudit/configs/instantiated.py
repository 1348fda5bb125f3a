"""Objects a config instantiates by class name (Hydra ``_target_``, Lightning CLI ``class_path``) as facts.

``optimizer_class(name)`` / ``scheduler_class(name)`` give the catalog's qualified name for a class path
(``torch.optim.AdamW``, ``torch.optim.adamw.AdamW``; with ``short=True`` also ``AdamW`` as Lightning CLI
resolves it), and ``optimizer_fact`` / ``scheduler_fact`` bind the given arguments against the catalog entry
(defaults filled with the library's own source) so the torch simulation and every torch rule apply unchanged.
"""

from __future__ import annotations

from collections.abc import Mapping

from ..catalog import lookup
from ..catalog.base import REQUIRED, Entry
from ..facts import Known, Location, OptimizerFact, SchedulerFact, Stepped, Unknown, Value

__all__ = ["optimizer_class", "optimizer_fact", "scheduler_class", "scheduler_fact"]

_OPT_MODULES = ("torch.optim",)
_SCHED_MODULES = ("torch.optim.lr_scheduler", "torch.optim.swa_utils")
#: Lightning's CLI subclass that carries the monitored metric
LIGHTNING_PLATEAU = ("lightning.pytorch.cli.ReduceLROnPlateau", "pytorch_lightning.cli.ReduceLROnPlateau")


def _entry(name: str, kind: str, modules: tuple[str, ...], short: bool) -> Entry | None:
    e = lookup(name)
    if e is not None and e.kind == kind and e.framework in ("torch", "deepspeed"):
        return e
    if short and "." not in name:
        for m in modules:
            e = lookup(f"{m}.{name}")
            if e is not None and e.kind == kind:
                return e
    return None


def optimizer_class(name: object, *, short: bool = False) -> str | None:
    if not isinstance(name, str):
        return None
    e = _entry(name, "optimizer", _OPT_MODULES, short)
    return e.qualname if e is not None else None


def scheduler_class(name: object, *, short: bool = False) -> str | None:
    if not isinstance(name, str):
        return None
    if name in LIGHTNING_PLATEAU or (short and name == "ReduceLROnPlateau"):
        return "torch.optim.lr_scheduler.ReduceLROnPlateau"
    e = _entry(name, "scheduler", _SCHED_MODULES, short)
    return e.qualname if e is not None else None


def _bound(entry: Entry | None, given: Mapping[str, Value], skip: tuple[str, ...]) -> dict[str, Value]:
    out = dict(given)
    if entry is None:
        return out
    for p in entry.params:
        if p.name in skip or p.name in out or p.default is REQUIRED or p.kind in ("varpos", "varkw"):
            continue
        out[p.name] = Known(p.default, entry.default_source or "default")
    return out


def optimizer_fact(oid: str, cls: str, given: Mapping[str, Value], loc: Location,
                   arg_locs: Mapping[str, Location], variable: str) -> OptimizerFact:
    entry = lookup(cls)
    params = _bound(entry, given, ("params",))
    params.pop("params", None)
    lr = params.pop("lr", None)
    if lr is None:
        lr = Unknown(f"{variable} sets no lr and {cls} has no default")
    return OptimizerFact(id=oid, cls=cls, framework=entry.framework if entry else "torch",  # type: ignore[arg-type]
                         loc=loc, variable=variable, lr=lr, params=params, lr_arg_loc=arg_locs.get("lr"))


def scheduler_fact(sid: str, cls: str, given: Mapping[str, Value], loc: Location,
                   arg_locs: Mapping[str, Location], variable: str, *, optimizer: str | None,
                   optimizer_reason: str | None, stepped: Stepped, unit: str, horizon: Value,
                   description: str, monitor: Value | None = None, interval: Value | None = None) -> SchedulerFact:
    entry = lookup(cls)
    args = _bound(entry, given, ("optimizer",))
    args.pop("optimizer", None)
    return SchedulerFact(
        id=sid, cls=cls, framework=entry.framework if entry else "torch",  # type: ignore[arg-type]
        loc=loc, variable=variable, optimizer=optimizer, optimizer_reason=optimizer_reason, args=args,
        arg_locs=dict(arg_locs), stepped=stepped, unit=unit,  # type: ignore[arg-type]
        horizon=horizon, horizon_source=horizon.source if isinstance(horizon, Known) else None,
        description=description, monitor=monitor, interval=interval,
    )
