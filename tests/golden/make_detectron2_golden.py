"""Record detectron2 learning-rate curves from detectron2's own source (it is not on the package index).

    python tests/golden/make_detectron2_golden.py [DETECTRON2_CHECKOUT]

Loads ``detectron2/solver/lr_scheduler.py`` and ``projects/DeepLab/deeplab/lr_scheduler.py`` from a checkout
(default: /work/realrepos/facebookresearch__detectron2) with the installed torch and fvcore, takes
``build_lr_scheduler`` out of ``detectron2/solver/build.py`` (its own source, run with the names it imports),
steps each scheduler on a real ``torch.optim.SGD`` once per iteration as detectron2's ``LRScheduler`` hook does,
and writes tests/golden/detectron2_curves.json (the commit of the checkout is recorded in it).
"""

from __future__ import annotations

import ast
import importlib.util
import json
import logging
import subprocess
import sys
import types
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
OUT = HERE / "detectron2_curves.json"

# SOLVER sections (over detectron2's defaults) and what to record
CASES: list[dict[str, Any]] = [
    {"LR_SCHEDULER_NAME": "WarmupMultiStepLR", "BASE_LR": 0.02, "MAX_ITER": 900, "STEPS": [600, 800]},
    {"LR_SCHEDULER_NAME": "WarmupMultiStepLR", "BASE_LR": 0.01, "MAX_ITER": 500, "STEPS": [100, 300, 700],
     "WARMUP_ITERS": 50, "WARMUP_METHOD": "constant", "WARMUP_FACTOR": 0.1, "GAMMA": 0.5},
    {"LR_SCHEDULER_NAME": "WarmupMultiStepLR", "BASE_LR": 0.02, "MAX_ITER": 400, "STEPS": [300],
     "WARMUP_ITERS": 100, "RESCALE_INTERVAL": True},
    {"LR_SCHEDULER_NAME": "WarmupCosineLR", "BASE_LR": 0.1, "BASE_LR_END": 0.001, "MAX_ITER": 700,
     "WARMUP_ITERS": 70},
    {"LR_SCHEDULER_NAME": "WarmupCosineLR", "BASE_LR": 0.05, "MAX_ITER": 300, "WARMUP_ITERS": 0},
    {"LR_SCHEDULER_NAME": "WarmupStepWithFixedGammaLR", "BASE_LR": 0.1, "MAX_ITER": 600, "NUM_DECAYS": 3,
     "GAMMA": 0.2, "WARMUP_ITERS": 20},
    {"LR_SCHEDULER_NAME": "WarmupPolyLR", "BASE_LR": 0.0001, "MAX_ITER": 800, "WARMUP_ITERS": 10,
     "POLY_LR_POWER": 0.9, "POLY_LR_CONSTANT_ENDING": 0.0},
    {"LR_SCHEDULER_NAME": "WarmupPolyLR", "BASE_LR": 0.01, "MAX_ITER": 500, "WARMUP_ITERS": 0,
     "WARMUP_METHOD": "linear", "POLY_LR_POWER": 2.0, "POLY_LR_CONSTANT_ENDING": 0.05},
]
DEFAULTS = {"BASE_LR_END": 0.0, "GAMMA": 0.1, "NUM_DECAYS": 3, "WARMUP_FACTOR": 1.0 / 1000, "WARMUP_ITERS": 1000,
            "WARMUP_METHOD": "linear", "RESCALE_INTERVAL": False, "MOMENTUM": 0.9, "STEPS": [30000]}


def _load(name: str, path: Path) -> types.ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def main(root: Path) -> None:
    import torch
    from fvcore.common import param_scheduler as fv

    for pkg in ("detectron2", "detectron2.solver"):
        sys.modules.setdefault(pkg, types.ModuleType(pkg))
    lrs = _load("detectron2.solver.lr_scheduler", root / "detectron2/solver/lr_scheduler.py")
    deeplab = _load("deeplab_lr_scheduler", root / "projects/DeepLab/deeplab/lr_scheduler.py")
    build_src = (root / "detectron2/solver/build.py").read_text()
    fn = next(n for n in ast.parse(build_src).body if isinstance(n, ast.FunctionDef) and n.name == "build_lr_scheduler")
    namespace: dict[str, Any] = {"logging": logging, "torch": torch, "CfgNode": Any, "LRScheduler": lrs.LRScheduler,
                                 "LRMultiplier": lrs.LRMultiplier, "WarmupParamScheduler": lrs.WarmupParamScheduler,
                                 **{k: getattr(fv, k) for k in fv.__all__}}
    exec(compile(ast.Module(body=[fn], type_ignores=[]), str(root / "detectron2/solver/build.py"), "exec"), namespace)
    build_lr_scheduler = namespace["build_lr_scheduler"]
    out = []
    for case in CASES:
        solver = {**DEFAULTS, **case}
        cfg = types.SimpleNamespace(SOLVER=types.SimpleNamespace(**solver))
        opt = torch.optim.SGD(torch.nn.Linear(2, 2).parameters(), lr=solver["BASE_LR"], momentum=0.9)
        if solver["LR_SCHEDULER_NAME"] == "WarmupPolyLR":
            sched = deeplab.WarmupPolyLR(opt, solver["MAX_ITER"], warmup_factor=solver["WARMUP_FACTOR"],
                                         warmup_iters=solver["WARMUP_ITERS"], warmup_method=solver["WARMUP_METHOD"],
                                         power=solver["POLY_LR_POWER"],
                                         constant_ending=solver["POLY_LR_CONSTANT_ENDING"])
        else:
            sched = build_lr_scheduler(cfg, opt)
        curve = []
        for k in range(solver["MAX_ITER"]):
            curve.append(opt.param_groups[0]["lr"])
            opt.step()
            if k < solver["MAX_ITER"] - 1:  # the step after the last iteration evaluates the multiplier at 1.0
                sched.step()
        out.append({"solver": solver, "lr": curve})
    try:
        commit = subprocess.run(["git", "-C", str(root), "rev-parse", "HEAD"], capture_output=True, text=True,
                                check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        commit = "unknown"
    OUT.write_text(json.dumps({"detectron2_commit": commit, "torch": torch.__version__, "cases": out}, indent=1) + "\n")
    print(f"wrote {OUT} ({len(out)} cases) from detectron2 {commit}")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("/work/realrepos/facebookresearch__detectron2"))
