"""Config-family curves against goldens recorded from the libraries' own source (mmcv 1.x, detectron2), and
fvcore's schedulers live (fvcore is installed with the test extras)."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

GOLDEN = Path(__file__).resolve().parent / "golden"


def _close(ours: list[float], theirs: list[float]) -> None:
    assert len(ours) == len(theirs)
    for k, (a, b) in enumerate(zip(ours, theirs)):
        assert math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-15), (k, a, b)


MMCV = json.loads((GOLDEN / "mmcv1_curves.json").read_text())["cases"]


@pytest.mark.parametrize("case", MMCV, ids=lambda c: f"{c['hook']}-{c['runner']}-{sorted(c['kwargs'])}")
def test_mmcv1_policy_matches_recorded_golden(case: dict) -> None:
    from lraudit.catalog import mmcv_sim

    name = case["hook"].replace("LrUpdaterHook", "")
    n = case.get("n")
    kwargs = {k: tuple(v) if k in case.get("tuples", ()) else v for k, v in case["kwargs"].items()}

    def run() -> list[float]:
        if case["runner"] == "epoch":
            ours = mmcv_sim.run(name, kwargs, case["optimizer_lr"], "epoch", case["epochs"], None, n)
            if not mmcv_sim.per_iteration(name, kwargs):
                ours = [v for v in ours for _ in range(n)]  # one rate per epoch -> per iteration
            return ours
        return mmcv_sim.run(name, kwargs, case["optimizer_lr"], "iter", None, case["iters"], None)

    if "error" in case:  # mmcv rejects these arguments: the same message
        with pytest.raises(mmcv_sim.SimError) as exc:
            run()
        assert str(exc.value) == case["error"].split(": ", 1)[1]
        return
    _close(run(), case["lr"])


D2 = json.loads((GOLDEN / "detectron2_curves.json").read_text())["cases"]
_KEYS = {"max_iter": "MAX_ITER", "steps": "STEPS", "gamma": "GAMMA", "warmup_factor": "WARMUP_FACTOR",
         "warmup_iters": "WARMUP_ITERS", "warmup_method": "WARMUP_METHOD", "rescale_interval": "RESCALE_INTERVAL",
         "base_lr": "BASE_LR", "base_lr_end": "BASE_LR_END", "num_decays": "NUM_DECAYS", "power": "POLY_LR_POWER",
         "constant_ending": "POLY_LR_CONSTANT_ENDING"}


@pytest.mark.parametrize("case", D2, ids=lambda c: f"{c['solver']['LR_SCHEDULER_NAME']}-{c['solver']['MAX_ITER']}")
def test_detectron2_schedule_matches_recorded_golden(case: dict) -> None:
    from lraudit.catalog.fvcore_sim import multipliers

    s = case["solver"]
    args = {a: s[k] for a, k in _KEYS.items() if k in s}
    m = multipliers(s["LR_SCHEDULER_NAME"], args, s["MAX_ITER"])
    _close([s["BASE_LR"] * m(k) for k in range(s["MAX_ITER"])], case["lr"])


FVCORE = [
    {"type": "MultiStepParamScheduler", "values": [1.0, 0.1, 0.01], "milestones": [30, 80], "num_updates": 100},
    {"type": "MultiStepParamScheduler", "values": [1.0, 0.5, 0.25, 0.1], "num_updates": 90},
    {"type": "MultiStepParamScheduler", "values": [1.0, 0.1, 0.01], "milestones": [60, 80, 90]},
    {"type": "CosineParamScheduler", "start_value": 1.0, "end_value": 0.01},
    {"type": "LinearParamScheduler", "start_value": 0.001, "end_value": 1.0},
    {"type": "ExponentialParamScheduler", "start_value": 1.0, "decay": 0.02},
    {"type": "PolynomialDecayParamScheduler", "base_value": 1.0, "power": 0.9},
    {"type": "StepParamScheduler", "num_updates": 100, "values": [1.0, 0.3, 0.09]},
    {"type": "StepWithFixedGammaParamScheduler", "base_value": 1.0, "num_decays": 3, "gamma": 0.1,
     "num_updates": 100},
    {"type": "CompositeParamScheduler",
     "schedulers": [{"type": "LinearParamScheduler", "start_value": 0.1, "end_value": 1.0},
                    {"type": "CosineParamScheduler", "start_value": 1.0, "end_value": 0.0}],
     "lengths": [0.2, 0.8], "interval_scaling": ["rescaled", "fixed"]},
    {"type": "CompositeParamScheduler",
     "schedulers": [{"type": "ConstantParamScheduler", "value": 0.5},
                    {"type": "PolynomialDecayParamScheduler", "base_value": 1.0, "power": 2.0}],
     "lengths": [0.3, 0.7], "interval_scaling": ["rescaled", "rescaled"]},
]


def _fvcore(spec: dict):
    fv = pytest.importorskip("fvcore.common.param_scheduler")
    kw = {k: v for k, v in spec.items() if k != "type"}
    if "schedulers" in kw:
        kw["schedulers"] = [_fvcore(s) for s in kw["schedulers"]]
    return getattr(fv, spec["type"])(**kw)


@pytest.mark.parametrize("spec", FVCORE, ids=lambda s: s["type"])
def test_fvcore_schedulers_match_fvcore(spec: dict) -> None:
    from lraudit.catalog.fvcore_sim import build

    theirs, ours = _fvcore(spec), build(spec)
    points = [k / 100 for k in range(100)]
    _close([ours(w) for w in points], [theirs(w) for w in points])
