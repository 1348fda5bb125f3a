"""Facts + curves -> the ``explain`` contract entries (DESIGN.md) and the extra details renderers use."""

from __future__ import annotations

from typing import Any

from .facts import FileFacts, Known, Location, OptimizerFact, SchedulerFact, StepSite
from .results import Curve

CONTEXT_WORDS = {
    "batch": "per batch",
    "epoch": "per epoch",
    "outside": "outside any training loop",
    "unknown": "in a loop lraudit could not classify",
}


def _value(v: Any) -> dict[str, Any]:
    from .analyze import value_json

    return value_json(v)


def _internal(key: str) -> bool:
    """Bookkeeping keys of the extraction (``__bind_error__``) are not arguments a user wrote."""
    return key.startswith("__") and key.endswith("__")


def optimizer_entry(o: OptimizerFact) -> dict[str, Any]:
    entry = {
        "id": o.id,
        "class": None if o.framework == "unknown" else o.cls,
        **({"class_reason": o.class_reason} if o.class_reason else {}),
        "line": o.loc.line,
        "variable": o.variable,
        "lr": _value(o.lr),
        "params": {k: _value(v) for k, v in sorted(o.params.items()) if not _internal(k)},
        **({"when": o.when} if o.when else {}),
    }
    if o.loc.file:  # built in another module of the repository (see repository.py)
        entry["file"] = o.loc.file
    return entry


def scheduler_entry(facts: FileFacts, s: SchedulerFact, curve: Curve | None, explanation: str,
                    want_curve: bool) -> dict[str, Any]:
    from .analyze import to_jsonable

    lr = None
    lr_steps = None
    if curve is not None and curve.lr is not None and want_curve and not curve.relative:
        lr = [to_jsonable(x) for x in curve.lr]
        if curve.steps is not None:
            lr_steps = list(curve.steps)
    entry: dict[str, Any] = {
        "id": s.id,
        "class": None if s.framework == "unknown" else s.cls,
        **({"class_reason": s.class_reason} if s.class_reason else {}),
        "line": s.loc.line,
        "variable": s.variable,
        "optimizer": s.optimizer,
        "args": {k: _value(v) for k, v in sorted(s.args.items()) if not _internal(k)},
        "stepped": s.stepped,
        "unit": s.unit,
        "horizon": _value(s.horizon),
        "shape": curve.shape if curve is not None else None,
        "summary": explanation,
        "lr": lr,
    }
    if lr_steps is not None:
        entry["lr_steps"] = lr_steps
    if lr is not None and curve is not None and curve.assumption:
        entry["assumption"] = curve.assumption  # what the drawn curve rests on beyond the code's own values
    if s.loc.file:
        entry["file"] = s.loc.file
    if s.when:
        entry["when"] = s.when
    return entry


def _at(loc: Location, here: str) -> str:
    """``file:line`` of a location, ``here`` being the analysed file (whose locations name no file)."""
    return f"{loc.file or here}:{loc.line}"


def step_site_text(site: StepSite, here: str | None = None) -> str:
    """How explain names a step site; ``here`` (the analysed file) names a site of that file by path too."""
    where = _at(site.loc, here or "") if site.loc.file or here else f"line {site.loc.line}"
    ctx = CONTEXT_WORDS.get(site.context, site.context)
    text = f"{site.method}() at {where}, {ctx}"
    if site.via:
        text += f" ({site.via})"
    if site.arg_text:
        text += f", given {site.arg_text}"
    if site.conditional:
        text += ", under a condition"
    return text


def explain_entries(facts: FileFacts, curves: dict[str, Curve], want_curves: bool = True
                    ) -> tuple[list[dict[str, Any]], list[dict[str, Any]], dict[str, Any]]:
    from .describe import explain, milestones
    from .render.sparkline import sparkline

    optimizers = [optimizer_entry(o) for o in facts.optimizers]
    schedulers = []
    details: dict[str, Any] = {"schedulers": {}, "horizon": {}}
    for s in facts.schedulers:
        curve = curves.get(s.id)
        opt = facts.optimizer(s.optimizer)
        opt_lr_text = None
        if opt is not None and isinstance(opt.lr, Known):
            opt_lr_text = f"{opt.lr.value}"
        try:
            text = explain(s, curve, optimizer_lr_text=opt_lr_text) if curve is not None else ""
        except Exception as exc:  # an explanation bug must not hide the facts
            text = f"(no explanation: {type(exc).__name__})"
        if curve is not None and curve.relative and curve.lr:
            text = ("The optimizer's own rate is not known here, so the numbers below are multiples of it "
                    "(1 = the optimizer's lr). " + text)
        schedulers.append(scheduler_entry(facts, s, curve, text, want_curves))
        det: dict[str, Any] = {
            "step_sites": [step_site_text(x) for x in s.step_sites],
            "step_at": sorted({_at(x.loc, facts.path) for x in s.step_sites}),
            # as another file shows them when it takes this object from this file's analysis (callers.py)
            "step_sites_placed": [step_site_text(x, facts.path) for x in s.step_sites],
            "children": list(s.children),
            "parent": s.parent,
            "optimizer_reason": s.optimizer_reason,
            "optimizer_candidates": list(s.optimizer_candidates),
            "framework": s.framework,
            "handed_to": s.handed_to,
        }
        if curve is not None:
            det["horizon_source"] = curve.horizon_source
            det["assumption"] = curve.assumption
            det["error"] = curve.error
            det["stops_at"] = curve.stops_at
            det["stop_reason"] = curve.stop_reason
            det["unit"] = curve.unit
            if curve.lr:
                det["sparkline"] = sparkline(list(curve.lr))
                try:
                    det["milestones"] = [list(r) for r in milestones(curve, curve.unit)]
                except Exception:
                    det["milestones"] = []
                if not want_curves:
                    det["lr"] = list(curve.lr)
                    det["lr_steps"] = list(curve.steps) if curve.steps else None
        details["schedulers"][s.id] = det
    h = facts.horizon
    from .analyze import value_json

    details["horizon"] = {"epochs": value_json(h.epochs), "steps_per_epoch": value_json(h.steps_per_epoch),
                          "total_steps": value_json(h.total_steps)}
    details["optimizer_steps"] = [step_site_text(x) + f" [{x.target}]" for x in facts.optimizer_steps]
    step_at: dict[str, set[str]] = {}
    for x in facts.optimizer_steps:
        if x.target:
            step_at.setdefault(x.target, set()).add(_at(x.loc, facts.path))
    details["optimizer_step_at"] = {k: sorted(v) for k, v in sorted(step_at.items())}
    details["lr_writes"] = [
        {"line": w.loc.line, "optimizer": w.optimizer, "value": w.value_text, "context": w.context}
        for w in facts.lr_writes
    ]
    return optimizers, schedulers, details
