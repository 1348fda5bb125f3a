"""The torch simulator against golden curves recorded from torch 2.13 (runs without torch).

Regenerate the curves with ``python tests/golden/make_torch_golden.py``.
"""

from __future__ import annotations

import importlib.util
import json
import math
import sys
from pathlib import Path
from typing import Any

import pytest

from lraudit.catalog.torch_sim import OptimizerSpec, SchedSpec, SimError, SimResult, simulate, simulate_sampled

GOLDEN_DIR = Path(__file__).resolve().parent / "golden"


def _load_maker() -> Any:
    spec = importlib.util.spec_from_file_location("make_torch_golden", GOLDEN_DIR / "make_torch_golden.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("make_torch_golden", module)
    spec.loader.exec_module(module)
    return module


MAKER = _load_maker()
GOLDEN = json.loads((GOLDEN_DIR / "torch_curves.json").read_text())
CONFIGS = GOLDEN["configs"]
REL, ABS = 1e-9, 1e-15


def to_spec(data: dict[str, Any]) -> SchedSpec:
    return SchedSpec(name=data["name"], args=MAKER.resolve(data["args"]),
                     children=tuple(to_spec(c) for c in data.get("children", [])))


def to_optimizer(data: dict[str, Any]) -> OptimizerSpec:
    return OptimizerSpec(lrs=tuple(data["lrs"]), has_momentum=data["has_momentum"], has_betas=data["has_betas"])


def assert_curve(got: list[float], want: list[float], where: str) -> None:
    assert len(got) == len(want), f"{where}: {len(got)} values, torch has {len(want)}"
    for k, (a, b) in enumerate(zip(got, want)):
        if math.isnan(b):
            assert math.isnan(a), f"{where} k={k}: {a} vs nan"
            continue
        assert math.isclose(a, b, rel_tol=REL, abs_tol=ABS), f"{where} k={k}: {a!r} vs torch {b!r}"


def check_config(config: dict[str, Any], method: str) -> list[SimResult] | None:
    specs = [to_spec(s) for s in config["schedulers"]]
    optimizer = to_optimizer(config["optimizer"])
    expected = config["expected"]
    error = expected["error"]
    if error is not None:
        with pytest.raises(SimError) as info:
            simulate(specs, optimizer, config["steps"], method=method)
        assert info.value.step == error["step"]
        if error["source"] == "torch":
            text = f"{error['type']}: {error['message']}" if error["message"] else error["type"]
            assert str(info.value) == text
        else:
            assert error["message"] in str(info.value)
            assert f"step {error['step']}" in str(info.value)
        return None
    results = simulate(specs, optimizer, config["steps"], method=method)
    assert len(results) == len(expected["results"])
    for j, (res, want) in enumerate(zip(results, expected["results"])):
        where = f"{config['id']}[{j}] ({method}, {res.method})"
        assert_curve(res.lr, want["lr"], where)
        assert res.stops_at == want["stops_at"], where
        if want["stop_reason"] is not None:
            if want.get("raised_by", j) == j:
                assert res.stop_reason == want["stop_reason"], where
            else:
                assert res.stop_reason is not None and res.stop_reason.endswith(want["stop_reason"]), where
        else:
            assert res.stop_reason is None
        is_plateau = config["schedulers"][j]["name"] == "ReduceLROnPlateau"
        assert (res.assumption is not None) == is_plateau
    return results


IDS = [c["id"] for c in CONFIGS]


def test_golden_file_covers_every_scheduler_class() -> None:
    names: set[str] = set()

    def walk(spec: dict[str, Any]) -> None:
        names.add(spec["name"])
        for child in spec.get("children", []):
            walk(child)

    for config in CONFIGS:
        for spec in config["schedulers"]:
            walk(spec)
    expected = {"LambdaLR", "MultiplicativeLR", "StepLR", "MultiStepLR", "ConstantLR", "LinearLR", "ExponentialLR",
                "SequentialLR", "CosineAnnealingLR", "ChainedScheduler", "ReduceLROnPlateau", "CyclicLR",
                "CosineAnnealingWarmRestarts", "OneCycleLR", "PolynomialLR", "SWALR"}
    assert expected <= names
    assert len(CONFIGS) >= 90
    assert GOLDEN["torch_version"].startswith("2.13")


@pytest.mark.parametrize("config", CONFIGS, ids=IDS)
def test_exact_engine_matches_torch(config: dict[str, Any]) -> None:
    results = check_config(config, "exact")
    if results is not None:
        assert all(r.method == "exact" for r in results)


@pytest.mark.parametrize("config", CONFIGS, ids=IDS)
def test_fast_path_matches_torch(config: dict[str, Any]) -> None:
    check_config(config, "fast")


FAST_CLASSES = {"StepLR", "MultiStepLR", "ExponentialLR", "CosineAnnealingLR", "LinearLR", "ConstantLR",
                "PolynomialLR", "LambdaLR", "CyclicLR", "OneCycleLR", "CosineAnnealingWarmRestarts", "SWALR",
                "ReduceLROnPlateau"}


def test_fast_path_is_taken_for_fresh_closed_form_schedulers() -> None:
    taken: set[str] = set()
    for config in CONFIGS:
        schedulers = config["schedulers"]
        if config["expected"]["error"] is not None or len(schedulers) != 1:
            continue
        spec = schedulers[0]
        if spec["name"] not in FAST_CLASSES:
            continue
        if spec["name"] == "CosineAnnealingLR" and spec["args"].get("last_epoch", -1) != -1:
            continue  # a resumed cosine is stepped exactly
        result = simulate([to_spec(spec)], to_optimizer(config["optimizer"]), config["steps"], method="fast")[0]
        assert result.method == "fast", config["id"]
        taken.add(spec["name"])
    assert taken == FAST_CLASSES
    for cid in ("seq-warmup-cosine", "seq-three", "seq-swalr", "seq-cawr", "seq-onecycle", "seq-linear-total-zero"):
        seq = next(c for c in CONFIGS if c["id"] == cid)
        spec = to_spec(seq["schedulers"][0])
        result = simulate([spec], to_optimizer(seq["optimizer"]), seq["steps"], method="fast")[0]
        assert result.method == "fast", cid


@pytest.mark.parametrize("cid", ["cos-long-groups", "onecycle-cos-limit", "seq-three", "two-step-exp",
                                 "plateau-cooldown-min", "cawr-tmult-3"])
@pytest.mark.parametrize("method", ["exact", "fast"])
def test_sampled_values_are_the_dense_values(cid: str, method: str) -> None:
    config = next(c for c in CONFIGS if c["id"] == cid)
    specs = [to_spec(s) for s in config["schedulers"]]
    optimizer = to_optimizer(config["optimizer"])
    indices = list(range(0, config["steps"], 7)) + [config["steps"] - 1]
    indices = sorted(set(indices))
    sampled = simulate_sampled(specs, optimizer, config["steps"], indices, method=method)
    for res, want in zip(sampled, config["expected"]["results"]):
        assert res.indices is not None
        assert res.indices == [i for i in indices if i < len(want["lr"])]
        assert_curve(res.lr, [want["lr"][i] for i in res.indices], cid)
        assert res.stops_at == want["stops_at"]
