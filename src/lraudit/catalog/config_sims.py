"""Simulators of schedule families that only configs build (mmengine, mmcv 1.x, detectron2/fvcore, DeepSpeed).

``simulate.simulate_scheduler`` falls back here for a framework it has no simulator of its own for. Each
module named in ``SIM_MODULES`` exposes ``simulate(facts, scheduler, opts) -> Curve``; it is imported the first
time a scheduler of its framework is simulated.
"""

from __future__ import annotations

import importlib
from typing import Any, Callable

SIM_MODULES: dict[str, str] = {
    "mmengine": "lraudit.catalog.mmengine_sim",
    "mmcv": "lraudit.catalog.mmcv_sim",
    "detectron2": "lraudit.catalog.fvcore_sim",
    "deepspeed": "lraudit.catalog.deepspeed_sim",
}

_LOADED: dict[str, Callable[..., Any] | None] = {}


def simulator_for(framework: str) -> Callable[..., Any] | None:
    if framework not in _LOADED:
        mod = SIM_MODULES.get(framework)
        fn = None
        if mod is not None:
            try:
                fn = getattr(importlib.import_module(mod), "simulate", None)
            except ModuleNotFoundError as exc:
                if exc.name != mod:
                    raise
        _LOADED[framework] = fn
    return _LOADED[framework]


__all__ = ["SIM_MODULES", "simulator_for"]
