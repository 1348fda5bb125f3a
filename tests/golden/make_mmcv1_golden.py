"""Record mmcv 1.x ``lr_config`` curves from mmcv's own ``LrUpdaterHook`` source (mmcv 1.x does not install
beside torch 2.13: its runner needs compiled ops and OpenCV).

    python tests/golden/make_mmcv1_golden.py [MMCV_1X_CHECKOUT]

Loads ``mmcv/runner/hooks/lr_updater.py`` of an mmcv 1.x checkout (default /work/realrepos/_mmcv1, mmcv 1.5.0)
with two tiny stand-ins for what it imports (``mmcv.is_list_of`` and the ``Hook``/``HOOKS`` base), drives each
hook as mmcv's runners do (``EpochBasedRunner``: ``before_run``, then per epoch ``before_train_epoch`` and per
iteration ``before_train_iter``; ``IterBasedRunner``: ``before_run`` and ``before_train_iter`` only) on a real
``torch.optim.SGD``, and writes tests/golden/mmcv1_curves.json with the rate of every iteration (or, for the
arguments mmcv rejects, the exception it raises).
"""

from __future__ import annotations

import importlib.util
import json
import sys
import types
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
OUT = HERE / "mmcv1_curves.json"

# (policy class, hook kwargs, runner, max_epochs, iterations per epoch or max_iters, optimizer lr)
CASES: list[dict[str, Any]] = [
    {"hook": "StepLrUpdaterHook", "kwargs": {"step": [8, 11], "warmup": "linear", "warmup_iters": 500,
                                              "warmup_ratio": 0.001}, "runner": "epoch", "epochs": 12, "n": 100},
    {"hook": "StepLrUpdaterHook", "kwargs": {"step": 3, "gamma": 0.5, "min_lr": 0.02, "warmup": "constant",
                                              "warmup_iters": 30, "warmup_ratio": 0.1}, "runner": "epoch",
     "epochs": 12, "n": 20},
    {"hook": "StepLrUpdaterHook", "kwargs": {"step": [100, 200], "by_epoch": False, "warmup": "exp",
                                              "warmup_iters": 50, "warmup_ratio": 0.01}, "runner": "iter", "iters": 300},
    {"hook": "PolyLrUpdaterHook", "kwargs": {"power": 0.9, "min_lr": 1e-4, "by_epoch": False}, "runner": "iter",
     "iters": 400},
    {"hook": "PolyLrUpdaterHook", "kwargs": {"power": 0.9, "min_lr": 1e-4}, "runner": "iter", "iters": 200},
    {"hook": "PolyLrUpdaterHook", "kwargs": {"power": 1.0, "min_lr": 0.0, "warmup": "linear", "warmup_iters": 15,
                                              "warmup_by_epoch": True}, "runner": "epoch", "epochs": 6, "n": 10},
    {"hook": "CosineAnnealingLrUpdaterHook", "kwargs": {"min_lr_ratio": 1e-5, "warmup": "linear",
                                                         "warmup_iters": 40, "warmup_ratio": 0.1},
     "runner": "epoch", "epochs": 10, "n": 30},
    {"hook": "CosineAnnealingLrUpdaterHook", "kwargs": {"min_lr": 1e-6, "by_epoch": False}, "runner": "epoch",
     "epochs": 5, "n": 40},
    {"hook": "FlatCosineAnnealingLrUpdaterHook", "kwargs": {"start_percent": 0.5, "min_lr": 0.0},
     "runner": "epoch", "epochs": 20, "n": 5},
    {"hook": "CosineRestartLrUpdaterHook", "kwargs": {"periods": [5, 10], "restart_weights": [1, 0.5],
                                                       "min_lr": 1e-5}, "runner": "epoch", "epochs": 15, "n": 4},
    {"hook": "ExpLrUpdaterHook", "kwargs": {"gamma": 0.9}, "runner": "epoch", "epochs": 10, "n": 3},
    {"hook": "InvLrUpdaterHook", "kwargs": {"gamma": 0.01, "power": 0.75, "by_epoch": False}, "runner": "iter",
     "iters": 120},
    {"hook": "LinearAnnealingLrUpdaterHook", "kwargs": {"min_lr_ratio": 0.01}, "runner": "epoch", "epochs": 8,
     "n": 7},
    {"hook": "FixedLrUpdaterHook", "kwargs": {"warmup": "linear", "warmup_iters": 10}, "runner": "epoch",
     "epochs": 3, "n": 5},
    {"hook": "OneCycleLrUpdaterHook", "kwargs": {"max_lr": 0.1, "pct_start": 0.25, "three_phase": True},
     "runner": "iter", "iters": 100},
    {"hook": "OneCycleLrUpdaterHook", "kwargs": {"max_lr": 0.05, "total_steps": 260, "anneal_strategy": "linear"},
     "runner": "epoch", "epochs": 5, "n": 50},
    # Cyclic (mmdet3d's `policy='cyclic', target_ratio=(10, 1e-4), cyclic_times=1, step_ratio_up=0.4`)
    {"hook": "CyclicLrUpdaterHook", "kwargs": {"target_ratio": (10, 1e-4), "cyclic_times": 1,
                                                "step_ratio_up": 0.4}, "runner": "epoch", "epochs": 4, "n": 25},
    {"hook": "CyclicLrUpdaterHook", "kwargs": {"target_ratio": (5, 1e-3), "cyclic_times": 3, "step_ratio_up": 0.25,
                                                "anneal_strategy": "linear", "gamma": 0.5}, "runner": "iter",
     "iters": 100},
    {"hook": "CyclicLrUpdaterHook", "kwargs": {"target_ratio": 8.0, "step_ratio_up": 0.0, "warmup": "linear",
                                                "warmup_iters": 20, "warmup_ratio": 0.1}, "runner": "iter",
     "iters": 90},
    {"hook": "CyclicLrUpdaterHook", "kwargs": {"target_ratio": (4.0,), "cyclic_times": 2, "warmup": "exp",
                                                "warmup_iters": 12}, "runner": "epoch", "epochs": 3, "n": 20},
    {"hook": "FlatCosineAnnealingLrUpdaterHook", "kwargs": {"start_percent": 0.3, "min_lr_ratio": 0.01,
                                                             "by_epoch": False, "warmup": "constant",
                                                             "warmup_iters": 25, "warmup_ratio": 0.5},
     "runner": "iter", "iters": 120},
    # what mmcv rejects (the message is recorded)
    {"hook": "StepLrUpdaterHook", "kwargs": {"step": (8, 11)}, "runner": "epoch", "epochs": 12, "n": 2},
    {"hook": "CyclicLrUpdaterHook", "kwargs": {"target_ratio": [10, 1e-4]}, "runner": "iter", "iters": 10},
    {"hook": "CyclicLrUpdaterHook", "kwargs": {"by_epoch": True}, "runner": "epoch", "epochs": 2, "n": 5},
    {"hook": "CyclicLrUpdaterHook", "kwargs": {"step_ratio_up": 1.0}, "runner": "iter", "iters": 10},
    {"hook": "CyclicLrUpdaterHook", "kwargs": {"gamma": 0}, "runner": "iter", "iters": 10},
    {"hook": "CyclicLrUpdaterHook", "kwargs": {"target_ratio": (1, 2, 3)}, "runner": "iter", "iters": 10},
    {"hook": "OneCycleLrUpdaterHook", "kwargs": {"max_lr": 0.1, "total_steps": 100.0}, "runner": "iter",
     "iters": 100},
    {"hook": "OneCycleLrUpdaterHook", "kwargs": {"max_lr": 0.1, "total_steps": 50}, "runner": "iter", "iters": 100},
    {"hook": "FlatCosineAnnealingLrUpdaterHook", "kwargs": {"start_percent": 1, "min_lr": 0.0}, "runner": "epoch",
     "epochs": 4, "n": 2},
]


def _load(root: Path) -> types.ModuleType:
    def is_list_of(seq: Any, typ: type) -> bool:
        return isinstance(seq, list) and all(isinstance(x, typ) for x in seq)

    mmcv = types.ModuleType("mmcv")
    mmcv.is_list_of = is_list_of  # type: ignore[attr-defined]
    runner = types.ModuleType("mmcv.runner")
    hooks = types.ModuleType("mmcv.runner.hooks")
    hooks.__path__ = []  # type: ignore[attr-defined]
    hook = types.ModuleType("mmcv.runner.hooks.hook")

    class Hook:
        pass

    class Registry:
        def register_module(self, *a: Any, **k: Any) -> Any:
            return lambda cls: cls

    hook.Hook, hook.HOOKS = Hook, Registry()  # type: ignore[attr-defined]
    for name, mod in (("mmcv", mmcv), ("mmcv.runner", runner), ("mmcv.runner.hooks", hooks),
                      ("mmcv.runner.hooks.hook", hook)):
        sys.modules[name] = mod
    spec = importlib.util.spec_from_file_location("mmcv.runner.hooks.lr_updater",
                                                  root / "mmcv/runner/hooks/lr_updater.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def main(root: Path) -> None:
    import torch

    lr_updater = _load(root)
    out = []
    for case in CASES:
        # JSON has no tuples: the keys whose value is a tuple are listed (mmcv tells a tuple from a list)
        tuples = sorted(k for k, v in case["kwargs"].items() if isinstance(v, tuple))
        opt = torch.optim.SGD(torch.nn.Linear(2, 2).parameters(), lr=0.02, momentum=0.9)
        n = case.get("n")
        runner = types.SimpleNamespace(optimizer=opt, epoch=0, iter=0, data_loader=list(range(n or 1)))
        curve = []
        try:
            h = getattr(lr_updater, case["hook"])(**case["kwargs"])
            runner.max_epochs = case["epochs"] if case["runner"] == "epoch" else 1
            runner.max_iters = case["epochs"] * n if case["runner"] == "epoch" else case["iters"]
            h.before_run(runner)
        except (AssertionError, ValueError, TypeError, KeyError) as exc:
            out.append({**case, "tuples": tuples, "optimizer_lr": 0.02, "error": f"{type(exc).__name__}: {exc}"})
            continue
        if case["runner"] == "epoch":
            t = 0
            for e in range(case["epochs"]):
                runner.epoch = e
                h.before_train_epoch(runner)
                for _ in range(n):
                    runner.iter = t
                    h.before_train_iter(runner)
                    curve.append(opt.param_groups[0]["lr"])
                    t += 1
        else:
            for t in range(case["iters"]):
                runner.iter = t
                h.before_train_iter(runner)
                curve.append(opt.param_groups[0]["lr"])
        out.append({**case, "tuples": tuples, "optimizer_lr": 0.02, "lr": curve})
    commit_file = root / "COMMIT"
    commit = commit_file.read_text().strip() if commit_file.exists() else "unknown"
    OUT.write_text(json.dumps({"mmcv_commit": commit, "cases": out}, indent=1) + "\n")
    print(f"wrote {OUT} ({len(out)} cases) from mmcv {commit}")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("/work/realrepos/_mmcv1"))
