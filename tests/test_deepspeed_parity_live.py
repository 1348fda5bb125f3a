"""Parity of ``lraudit.catalog.deepspeed_sim`` with the REAL ``deepspeed.runtime.lr_schedules`` (deepspeed 0.19.8).

Fails at collection when deepspeed is missing (CI installs it: ``DS_BUILD_OPS=0 pip install deepspeed==0.19.8
torch==2.13.0``, see scripts/install-test-deps.sh). Each case builds the real schedule on a real torch optimizer,
steps it and compares the first param group's rate after every ``step()`` (and at construction) with the
simulation at relative tolerance 1e-9; constructions DeepSpeed rejects must be rejected with the same type and
message. Configurations are drawn from fixed seeds: the test is deterministic.
"""

from __future__ import annotations

import importlib.util
import logging
import math
import os
import random
from typing import Any

import pytest

if importlib.util.find_spec("deepspeed") is None or importlib.util.find_spec("torch") is None:
    raise ImportError("test_deepspeed_parity_live.py needs deepspeed: "
                      "DS_BUILD_OPS=0 pip install deepspeed==0.19.8 torch==2.13.0")

os.environ.setdefault("DS_ACCELERATOR", "cpu")
import torch  # noqa: E402
from deepspeed.runtime import lr_schedules  # noqa: E402

from lraudit.catalog import deepspeed_sim  # noqa: E402

logging.getLogger("DeepSpeed").setLevel(logging.ERROR)
N_CASES = int(os.environ.get("LRAUDIT_PARITY_CASES", "30"))


def _real(name: str, params: dict[str, Any], steps: int, base_lr: float, groups: int = 1) -> list[float]:
    model = [torch.nn.Parameter(torch.zeros(1)) for _ in range(groups)]
    opt = torch.optim.Adam([{"params": [p]} for p in model], lr=base_lr)
    sched = getattr(lr_schedules, name)(opt, **params)
    out = [opt.param_groups[0]["lr"]]
    for _ in range(steps - 1):
        opt.step()
        sched.step()
        out.append(opt.param_groups[0]["lr"])
    return [float(x) for x in out]


def _same(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-15)


def _compare(name: str, params: dict[str, Any], steps: int, base_lr: float, groups: int = 1) -> None:
    try:
        expected = _real(name, params, steps, base_lr, groups)
    except Exception as exc:  # DeepSpeed rejected the configuration
        with pytest.raises(Exception) as info:
            deepspeed_sim.curve(name, params, steps, base_lr=base_lr, n_groups=groups)
        assert type(info.value).__name__ == type(exc).__name__, (name, params)
        assert str(info.value) == str(exc), (name, params)
        return
    actual = deepspeed_sim.curve(name, params, steps, base_lr=base_lr, n_groups=groups)
    assert len(actual) == len(expected)
    for k, (a, e) in enumerate(zip(actual, expected)):
        assert _same(a, e), (name, params, k, a, e)
    idx = sorted({0, 1, steps // 3, steps // 2, steps - 1})
    assert [deepspeed_sim.value_at(name, params, idx, base_lr=base_lr)[j] for j in range(len(idx))] == \
        [actual[k] for k in idx]


def _warmup(rng: random.Random) -> dict[str, Any]:
    return {"warmup_min_lr": rng.choice([0.0, 0.0, 1e-6, 1e-5]),
            "warmup_num_steps": rng.choice([1, 2, 3, 10, 50, 100, 257]),
            "warmup_type": rng.choice(["log", "linear", "log", "cosine"])}


CASES: list[tuple[str, dict[str, Any], int, float]] = []
_rng = random.Random(20261206)
for _ in range(N_CASES):
    p = _warmup(_rng)
    if _rng.random() < 0.7:
        p["warmup_max_lr"] = _rng.choice([1e-4, 3e-4, 0.001, 0.1])
    CASES.append(("WarmupLR", p, _rng.choice([30, 300]), _rng.choice([1e-3, 5e-4])))
    p = _warmup(_rng)
    p["total_num_steps"] = _rng.choice([1, 50, 120, 400, 1000])
    if _rng.random() < 0.5:
        p["warmup_max_lr"] = _rng.choice([1e-4, 3e-4, 0.1])
    CASES.append(("WarmupDecayLR", p, p["total_num_steps"] + _rng.choice([1, 20]), 3e-4))
    p = _warmup(_rng)
    p.pop("warmup_min_lr")
    p["warmup_min_ratio"] = _rng.choice([0.0, 0.01, 0.1])
    p["total_num_steps"] = _rng.choice([1, 50, 333, 1000])
    p["cos_min_ratio"] = _rng.choice([0.0001, 0.0, 0.1])
    CASES.append(("WarmupCosineLR", p, p["total_num_steps"] + _rng.choice([1, 30]), _rng.choice([1e-3, 6e-4])))
    first = _rng.choice([1, 7, 50, 100])
    p = {"cycle_min_lr": _rng.choice([1e-5, 1e-4]), "cycle_max_lr": _rng.choice([1e-3, 0.01]),
         "cycle_first_step_size": first,
         "decay_lr_rate": _rng.choice([0.0, 0.001, 0.5]), "decay_step_size": _rng.choice([0, 1, 10, 100])}
    if _rng.random() < 0.5:
        p["cycle_second_step_size"] = _rng.choice([0, 3, 60])
    if _rng.random() < 0.4:
        p["cycle_first_stair_count"] = _rng.choice([0, 3, 5])
    if _rng.random() < 0.3:
        p["cycle_second_stair_count"] = _rng.choice([0, 2, 4])
    CASES.append(("OneCycle", p, 3 * first + 40, 0.1))
    p = {"lr_range_test_min_lr": _rng.choice([1e-5, 1e-3]), "lr_range_test_step_size": _rng.choice([1, 7, 100]),
         "lr_range_test_step_rate": _rng.choice([1.0, 0.5, 5.0]),
         "lr_range_test_staircase": _rng.choice([False, True])}
    CASES.append(("LRRangeTest", p, 250, 0.1))
# Edge cases DeepSpeed rejects or handles specially.
CASES += [
    ("WarmupLR", {"warmup_num_steps": 0}, 5, 1e-3),
    ("WarmupLR", {"warmup_num_steps": 100.0}, 5, 1e-3),
    ("WarmupLR", {"warmup_num_steps": 10, "last_batch_iteration": 4}, 20, 1e-3),
    ("WarmupLR", {"unknown_key": 1}, 5, 1e-3),
    ("WarmupDecayLR", {"warmup_num_steps": 10}, 5, 1e-3),
    ("WarmupDecayLR", {"total_num_steps": 5, "warmup_num_steps": 10, "warmup_type": "linear"}, 30, 1e-3),
    ("WarmupCosineLR", {"total_num_steps": 100, "warmup_num_steps": -3}, 5, 1e-3),
    ("WarmupCosineLR", {"total_num_steps": 100, "warmup_num_steps": 10, "last_batch_iteration": 50}, 80, 1e-3),
    ("OneCycle", {"cycle_min_lr": 1e-4}, 5, 0.1),
    ("OneCycle", {"cycle_min_lr": 1e-4, "cycle_max_lr": 1e-3, "cycle_first_step_size": 0}, 5, 0.1),
    ("OneCycle", {"cycle_min_lr": 1e-4, "cycle_max_lr": 1e-3, "cycle_first_step_size": 10,
                  "cycle_second_step_size": -1}, 5, 0.1),
    ("LRRangeTest", {"lr_range_test_step_size": 0}, 5, 0.1),
    ("LRRangeTest", {"lr_range_test_step_size": 2.5}, 5, 0.1),
]


@pytest.mark.parametrize("case", range(len(CASES)))
def test_deepspeed_schedule_matches_deepspeed(case: int) -> None:
    name, params, steps, base_lr = CASES[case]
    _compare(name, dict(params), steps, base_lr)


def test_per_group_lists_and_wrong_lengths() -> None:
    _compare("WarmupLR", {"warmup_min_lr": [0.0, 1e-6], "warmup_max_lr": [1e-3, 2e-3], "warmup_num_steps": 20},
             40, 1e-3, groups=2)
    _compare("WarmupLR", {"warmup_max_lr": [1e-3, 2e-3, 3e-3]}, 5, 1e-3, groups=2)
    _compare("OneCycle", {"cycle_min_lr": [1e-4, 1e-5], "cycle_max_lr": [1e-3, 1e-2], "cycle_first_step_size": 5},
             30, 0.1, groups=2)


def test_long_horizon_sampling_is_exact() -> None:
    params = {"total_num_steps": 320000, "warmup_num_steps": 3200, "warmup_max_lr": 6e-4, "warmup_type": "linear"}
    real = _real("WarmupDecayLR", params, 5000, 1e-3)
    assert deepspeed_sim.value_at("WarmupDecayLR", params, [0, 1, 3199, 3200, 4999], base_lr=1e-3) == \
        [real[0], real[1], real[3199], real[3200], real[4999]]


def test_logged_warnings() -> None:
    assert deepspeed_sim.warnings("WarmupDecayLR", {"total_num_steps": 5, "warmup_num_steps": 10}) == \
        ["total_num_steps 5 is less than warmup_num_steps 10"]
    assert deepspeed_sim.warnings("WarmupLR", {"warmup_type": "cosine"}) == \
        ["Using unknown warmup_type: cosine. The increasing function is set to default (log)"]
    assert deepspeed_sim.warnings("OneCycle", {"cycle_min_lr": 1, "cycle_max_lr": 2}) == []
