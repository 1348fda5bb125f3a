"""One line per resolved config schedule ("SGD 0.02, linear warm-up 500 iterations, x0.1 at epochs 8 and 11 of
12 epochs"), and the key that groups configs whose schedules are identical (the notes show each group once).
Reads file results only (the explain entries), like every renderer."""

from __future__ import annotations

from typing import Any, Mapping, Sequence


def _v(entry: Mapping[str, Any] | None) -> Any:
    return entry.get("value") if isinstance(entry, Mapping) else None


def _num(x: Any) -> str:
    if isinstance(x, float):
        return f"{x:g}"
    return str(x)


def _and(items: Sequence[Any]) -> str:
    items = [_num(x) for x in items]
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def _unit(by_epoch: Any, n: Any = 2) -> str:
    word = "epoch" if by_epoch is not False else "iteration"
    return word if n == 1 else word + "s"


def _mmengine_part(s: Mapping[str, Any]) -> str:
    a = s.get("args") or {}
    name = str(s.get("class", "")).rsplit(".", 1)[-1]
    by_epoch = _v(a.get("by_epoch"))
    if _v(a.get("convert_to_iter_based")):
        by_epoch = True
    begin, end = _v(a.get("begin")) or 0, _v(a.get("end"))
    span = (end - begin) if isinstance(end, (int, float)) and end < 1e9 and isinstance(begin, (int, float)) else None
    if name in ("LinearLR", "ConstantLR", "QuadraticWarmupLR") and begin == 0:
        kind = {"LinearLR": "linear", "ConstantLR": "constant", "QuadraticWarmupLR": "quadratic"}[name]
        return f"{kind} warm-up {_num(span) if span is not None else '?'} {_unit(by_epoch, span)}"
    if name == "MultiStepLR":
        ms = _v(a.get("milestones")) or []
        shift = begin if isinstance(begin, (int, float)) else 0
        return f"x{_num(_v(a.get('gamma')))} at {_unit(by_epoch)} {_and([m + shift for m in ms])}"
    if name == "StepLR":
        return f"x{_num(_v(a.get('gamma')))} every {_num(_v(a.get('step_size')))} {_unit(by_epoch)}"
    if name in ("CosineAnnealingLR", "PolyLR", "LinearLR", "ExponentialLR", "OneCycleLR", "CosineRestartLR"):
        label = {"CosineAnnealingLR": "cosine", "PolyLR": f"poly (power {_num(_v(a.get('power')))})",
                 "LinearLR": "linear", "ExponentialLR": f"x{_num(_v(a.get('gamma')))} per {_unit(by_epoch, 1)}",
                 "OneCycleLR": "one-cycle", "CosineRestartLR": "cosine restarts"}[name]
        where = f" over {_unit(by_epoch)} {_num(begin)}–{_num(end)}" if span is not None else ""
        floor = _v(a.get("eta_min"))
        to = f" to {_num(floor)}" if isinstance(floor, (int, float)) and name in ("CosineAnnealingLR", "PolyLR") else ""
        return f"{label}{to}{where}"
    return name


def _mmcv_part(s: Mapping[str, Any]) -> str:
    a = s.get("args") or {}
    name = str(s.get("class", "")).rsplit(".", 1)[-1].replace("LrUpdaterHook", "")
    by_epoch = _v(a.get("by_epoch"))
    parts = []
    if _v(a.get("warmup")):
        unit = "epochs" if _v(a.get("warmup_by_epoch")) else "iterations"
        parts.append(f"{_v(a.get('warmup'))} warm-up {_num(_v(a.get('warmup_iters')))} {unit}")
    if name == "Step":
        st = _v(a.get("step"))
        where = f"every {_num(st)} {_unit(by_epoch)}" if isinstance(st, int) else f"at {_unit(by_epoch)} {_and(st or [])}"
        parts.append(f"x{_num(_v(a.get('gamma')))} {where}")
    elif name == "Poly":
        parts.append(f"poly (power {_num(_v(a.get('power')))}) to {_num(_v(a.get('min_lr')))}")
    elif name == "CosineAnnealing":
        parts.append("cosine")
    else:
        parts.append(name.lower())
    return ", ".join(parts)


def _detectron2_part(s: Mapping[str, Any]) -> str:
    a = s.get("args") or {}
    name = str(s.get("class", "")).rsplit(".", 1)[-1]
    parts = []
    if name == "LRMultiplier":
        spec = _v(a.get("multiplier")) or {}
        if spec.get("type") == "WarmupParamScheduler":
            wl, mi = spec.get("warmup_length"), _v(a.get("max_iter"))
            if isinstance(wl, (int, float)) and isinstance(mi, (int, float)):
                parts.append(f"{spec.get('warmup_method', 'linear')} warm-up {round(wl * mi)} iterations")
            spec = spec.get("scheduler") or {}
        t = spec.get("type", "?")
        if t == "MultiStepParamScheduler":
            parts.append(f"values {_and(spec.get('values') or [])} at iterations {_and(spec.get('milestones') or [])}")
        else:
            parts.append(str(t).replace("ParamScheduler", "").lower())
        return ", ".join(parts)
    wi = _v(a.get("warmup_iters"))
    if isinstance(wi, (int, float)) and wi > 0:
        parts.append(f"{_v(a.get('warmup_method'))} warm-up {_num(wi)} iterations")
    if name == "WarmupMultiStepLR":
        parts.append(f"x{_num(_v(a.get('gamma')))} at iterations {_and(_v(a.get('steps')) or [])}")
    elif name == "WarmupPolyLR":
        parts.append(f"poly (power {_num(_v(a.get('power')))})")
    else:
        parts.append(name.replace("Warmup", "").replace("LR", "").lower() or name)
    return ", ".join(parts)


def _schedule_parts(result: Any, tops: list[Mapping[str, Any]]) -> list[str]:
    parts: list[str] = []
    by_id = {s["id"]: s for s in result.schedulers}
    for s in tops:
        det = result.details.get("schedulers", {}).get(s["id"], {}) or {}
        fw = det.get("framework")
        if fw == "mmengine":
            kids = [by_id[c] for c in det.get("children") or [] if c in by_id] or [s]
            parts.extend(_mmengine_part(k) for k in kids)
        elif fw == "mmcv":
            parts.append(_mmcv_part(s))
        elif fw == "detectron2":
            parts.append(_detectron2_part(s))
        else:
            parts.append(str(s.get("class", "")).rsplit(".", 1)[-1])
    return parts


def _optimizer_text(o: Mapping[str, Any]) -> str:
    return f"{str(o.get('class', '')).rsplit('.', 1)[-1]} {_num(_v(o.get('lr')))}"


def schedule_text(result: Any) -> str:
    """``SGD 0.02, linear warm-up 500 iterations, x0.1 at epochs 8 and 11 of 12 epochs``; a config with several
    optimizers (GANs) gets one part per optimizer: ``generator: Adam 0.0002, ...; discriminator: Adam 0.0004, ...``."""
    tops = [s for s in result.schedulers if not (result.details.get("schedulers", {}).get(s["id"], {}) or {}).get(
        "parent")]
    if len(result.optimizers) > 1:
        groups = []
        for o in result.optimizers:
            name = str(o.get("variable") or o.get("id"))
            for prefix in ("optim_wrapper.", "optimizer."):
                name = name[len(prefix):] if name.startswith(prefix) else name
            name = name.removesuffix(".optimizer")
            mine = [s for s in tops if s.get("optimizer") == o.get("id")]
            groups.append(f"{name}: " + ", ".join(p for p in [_optimizer_text(o)] + _schedule_parts(result, mine) if p))
        text = "; ".join(groups)
    else:
        parts = [_optimizer_text(o) for o in result.optimizers[:1]] + _schedule_parts(result, tops)
        text = ", ".join(p for p in parts if p)
    loop = (result.details.get("config") or {}).get("loop")
    if loop:
        text += f" ({loop})"
    return text or "no schedule"


def schedule_key(result: Any) -> tuple[Any, ...]:
    """Configs with equal keys resolve to the same optimizer, schedule and curve."""
    curves = tuple(tuple(round(float(x), 12) for x in (s.get("lr") or [])) for s in result.schedulers)
    return (schedule_text(result), curves, tuple(len(r) for r in curves))


__all__ = ["schedule_text", "schedule_key"]
