"""The torch simulator against the real torch on freshly drawn random configurations.

CI installs torch; this test imports it plainly so a missing torch fails loudly instead of skipping.
"""

from __future__ import annotations

import importlib.util
import math
import random
import sys
from pathlib import Path
from typing import Any

import pytest
import torch  # noqa: F401 - required: this file compares against the real library

from lraudit.catalog.torch_sim import OptimizerSpec, SchedSpec, SimError, simulate, simulate_sampled

GOLDEN_DIR = Path(__file__).resolve().parent / "golden"
SEED = 20240613
COUNT = 200


def _load_maker() -> Any:
    spec = importlib.util.spec_from_file_location("make_torch_golden", GOLDEN_DIR / "make_torch_golden.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("make_torch_golden", module)
    spec.loader.exec_module(module)
    return module


MAKER = _load_maker()
LEAVES = ["LambdaLR", "MultiplicativeLR", "StepLR", "MultiStepLR", "ConstantLR", "LinearLR", "ExponentialLR",
          "PolynomialLR", "CosineAnnealingLR", "CosineAnnealingWarmRestarts", "CyclicLR", "OneCycleLR",
          "ReduceLROnPlateau", "SWALR"]


def _log_uniform(rng: random.Random, low: float, high: float) -> float:
    return 10 ** rng.uniform(math.log10(low), math.log10(high))


def _rare(rng: random.Random, p: float = 0.08) -> bool:
    return rng.random() < p


def _lambda(rng: random.Random) -> dict[str, Any]:
    choice = rng.randrange(7)
    if choice == 0:
        return MAKER.fn("exp_decay", gamma=rng.uniform(0.9, 1.0))
    if choice == 1:
        return MAKER.fn("step_decay", gamma=rng.uniform(0.1, 0.9), size=rng.randint(1, 40))
    if choice == 2:
        return MAKER.fn("warmup_zero", warmup=rng.randint(1, 50))
    if choice == 3:
        return MAKER.fn("cosine_warmup", warmup=rng.randint(0, 30), total=rng.randint(40, 300))
    if choice == 4:
        return MAKER.fn("inverse_sqrt", warmup=rng.randint(1, 40))
    if choice == 5:
        return MAKER.fn("nanogpt", warmup=rng.randint(1, 30), decay=rng.randint(40, 300), floor=rng.uniform(0, 0.2))
    return MAKER.fn("poly", total=rng.randint(10, 300), power=rng.uniform(0.5, 3.0))


def _factor(rng: random.Random) -> dict[str, Any]:
    choice = rng.randrange(3)
    if choice == 0:
        return MAKER.fn("const", c=rng.uniform(0.85, 1.02))
    if choice == 1:
        return MAKER.fn("alternate", f=rng.uniform(1.0, 1.2))
    return MAKER.fn("exp_decay", gamma=rng.uniform(0.995, 1.0))


def leaf(rng: random.Random, groups: int, name: str | None = None, resume: bool = True) -> dict[str, Any]:
    S = MAKER.S
    name = name or rng.choice(LEAVES)
    lr = _log_uniform(rng, 1e-4, 0.5)
    if name == "LambdaLR":
        if groups > 1 and rng.random() < 0.3:
            spec = S(name, lr_lambda=[_lambda(rng) for _ in range(groups)])
        else:
            spec = S(name, lr_lambda=_lambda(rng))
    elif name == "MultiplicativeLR":
        spec = S(name, lr_lambda=_factor(rng))
    elif name == "StepLR":
        gamma = -rng.uniform(0.1, 1) if _rare(rng) else rng.uniform(0.05, 1.5)
        spec = S(name, step_size=0 if _rare(rng, 0.04) else rng.randint(1, 40), gamma=gamma)
    elif name == "MultiStepLR":
        spec = S(name, milestones=[rng.randint(0, 300) for _ in range(rng.randint(0, 6))],
                 gamma=rng.uniform(0.05, 1.5))
    elif name == "ConstantLR":
        factor = rng.choice([0.0, 1.0, 1.2]) if _rare(rng, 0.15) else rng.uniform(0.01, 1.0)
        spec = S(name, factor=factor, total_iters=rng.randint(0, 40))
    elif name == "LinearLR":
        total: Any = rng.randint(0, 300) if not _rare(rng) else rng.uniform(0.5, 30)
        spec = S(name, start_factor=rng.uniform(0.001, 1.0), end_factor=rng.choice([0.0, rng.uniform(0, 1)]),
                 total_iters=total)
    elif name == "ExponentialLR":
        spec = S(name, gamma=-rng.uniform(0.5, 1) if _rare(rng) else rng.uniform(0.9, 1.02))
    elif name == "PolynomialLR":
        spec = S(name, total_iters=rng.randint(0, 300), power=rng.uniform(-1.0, 0) if _rare(rng)
                 else rng.uniform(0.0, 4.0))
    elif name == "CosineAnnealingLR":
        eta = rng.uniform(0.2, 1.0) if _rare(rng) else rng.choice([0.0, _log_uniform(rng, 1e-6, 1e-2)])
        spec = S(name, T_max=0 if _rare(rng, 0.04) else rng.randint(1, 200), eta_min=eta)
    elif name == "CosineAnnealingWarmRestarts":
        spec = S(name, T_0=0 if _rare(rng, 0.04) else rng.randint(1, 50), T_mult=rng.randint(1, 3),
                 eta_min=rng.choice([0.0, _log_uniform(rng, 1e-6, 1e-2)]))
    elif name == "CyclicLR":
        base = _log_uniform(rng, 1e-5, 1e-2)
        args: dict[str, Any] = {"base_lr": base, "max_lr": base * rng.uniform(1, 100),
                                "step_size_up": rng.randint(1, 100),
                                "step_size_down": rng.choice([None, rng.randint(1, 100)]),
                                "mode": rng.choice(["triangular", "triangular2", "exp_range"]),
                                "gamma": rng.uniform(0.98, 1.0), "cycle_momentum": rng.random() < 0.7}
        if _rare(rng, 0.2):
            args["scale_fn"] = rng.choice([MAKER.fn("halving"), MAKER.fn("inv_linear", rate=rng.uniform(0, 0.1))])
            args["scale_mode"] = rng.choice(["cycle", "iterations"])
        spec = S(name, **args)
    elif name == "OneCycleLR":
        args = {"max_lr": lr * 10, "pct_start": rng.uniform(0.0, 1.0),
                "anneal_strategy": rng.choice(["cos", "linear"]), "three_phase": rng.random() < 0.3,
                "cycle_momentum": rng.random() < 0.7, "div_factor": rng.uniform(2, 100),
                "final_div_factor": _log_uniform(rng, 10, 1e5)}
        if rng.random() < 0.3:
            args.update(epochs=rng.randint(1, 10), steps_per_epoch=rng.randint(1, 40))
        else:
            args["total_steps"] = rng.randint(5, 400)
        spec = S(name, **args)
    elif name == "ReduceLROnPlateau":
        spec = S(name, mode=rng.choice(["min", "max"]), factor=rng.uniform(0.0, 0.9), patience=rng.randint(0, 15),
                 threshold=-0.01 if _rare(rng) else rng.uniform(0, 0.01),
                 threshold_mode=rng.choice(["rel", "abs"]), cooldown=rng.randint(0, 5),
                 min_lr=rng.choice([0, _log_uniform(rng, 1e-6, 1e-3)]))
    else:
        spec = S("SWALR", swa_lr=_log_uniform(rng, 1e-5, 0.5), anneal_epochs=rng.randint(0, 60),
                 anneal_strategy=rng.choice(["cos", "linear"]))
    if resume and name not in ("ReduceLROnPlateau",) and _rare(rng, 0.12):
        spec["args"]["last_epoch"] = rng.randint(0, 30)
    return spec


def random_config(rng: random.Random, index: int) -> dict[str, Any]:
    S = MAKER.S
    kind = rng.choice(["SGD", "SGD", "Adam", "AdamW", "RMSprop", "Adagrad"])
    groups = rng.choice([1, 1, 1, 2, 3])
    lrs = [_log_uniform(rng, 1e-5, 1.0) for _ in range(groups)]
    shape = rng.random()
    if shape < 0.6:
        schedulers = [leaf(rng, groups, LEAVES[index % len(LEAVES)] if index < 3 * len(LEAVES) else None)]
    elif shape < 0.75:
        count = rng.randint(2, 3)
        children = [leaf(rng, groups, rng.choice([n for n in LEAVES if n != "ReduceLROnPlateau"]), resume=False)
                    for _ in range(count)]
        if _rare(rng, 0.15):
            children[-1] = S("SequentialLR", [leaf(rng, groups, "ExponentialLR", False),
                                              leaf(rng, groups, "StepLR", False)], milestones=[rng.randint(1, 20)])
        milestones = sorted(rng.randint(1, 150) for _ in range(count - 1))
        schedulers = [S("SequentialLR", children, milestones=milestones)]
    elif shape < 0.85:
        children = [leaf(rng, groups, rng.choice([n for n in LEAVES if n != "ReduceLROnPlateau"]), resume=False)
                    for _ in range(rng.randint(1, 3))]
        schedulers = [S("ChainedScheduler", children)]
    else:
        schedulers = [leaf(rng, groups, resume=False) for _ in range(2)]
    return {"id": f"random-{index}", "description": "random", "optimizer": MAKER.optimizer_data(kind, lrs),
            "schedulers": schedulers, "steps": rng.randint(50, 400)}


def _configs() -> list[dict[str, Any]]:
    rng = random.Random(SEED)
    return [random_config(rng, i) for i in range(COUNT)]


CONFIGS = _configs()


def to_spec(data: dict[str, Any]) -> SchedSpec:
    return SchedSpec(name=data["name"], args=MAKER.resolve(data["args"]),
                     children=tuple(to_spec(c) for c in data.get("children", [])))


def _close(a: float, b: float) -> bool:
    if math.isnan(b):
        return math.isnan(a)
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-15)


def test_random_configurations_cover_every_class() -> None:
    names: set[str] = set()

    def walk(spec: dict[str, Any]) -> None:
        names.add(spec["name"])
        for child in spec.get("children", []):
            walk(child)

    for config in CONFIGS:
        for spec in config["schedulers"]:
            walk(spec)
    assert set(LEAVES) | {"SequentialLR", "ChainedScheduler"} <= names


@pytest.mark.parametrize("config", CONFIGS, ids=[c["id"] for c in CONFIGS])
def test_simulation_matches_torch(config: dict[str, Any]) -> None:
    expected = MAKER.run_torch(config)
    specs = [to_spec(s) for s in config["schedulers"]]
    data = config["optimizer"]
    optimizer = OptimizerSpec(tuple(data["lrs"]), has_momentum=data["has_momentum"], has_betas=data["has_betas"])
    for method in ("exact", "fast"):
        if expected["error"] is not None:
            error = expected["error"]
            with pytest.raises(SimError) as info:
                simulate(specs, optimizer, config["steps"], method=method)  # type: ignore[arg-type]
            assert info.value.step == error["step"], method
            if error["source"] == "torch":
                assert str(info.value) == (f"{error['type']}: {error['message']}" if error["message"]
                                           else error["type"])
            else:
                assert error["message"] in str(info.value)
            continue
        results = simulate(specs, optimizer, config["steps"], method=method)  # type: ignore[arg-type]
        for j, (res, want) in enumerate(zip(results, expected["results"], strict=True)):
            where = f"{config['id']}[{j}] {method}/{res.method}"
            assert res.stops_at == want["stops_at"], where
            assert len(res.lr) == len(want["lr"]), where
            bad = [(k, a, b) for k, (a, b) in enumerate(zip(res.lr, want["lr"])) if not _close(a, b)]
            assert not bad, (where, bad[:3])
            if want["stop_reason"] is not None:
                assert res.stop_reason is not None and res.stop_reason.endswith(want["stop_reason"]), where
    if expected["error"] is None and int(config["id"].split("-")[1]) % 5 == 0:
        steps = config["steps"]
        indices = sorted({0, steps - 1, *range(3, steps, 11)})
        for res, want in zip(simulate_sampled(specs, optimizer, steps, indices, method="fast"),
                             expected["results"], strict=True):
            assert res.indices == [i for i in indices if i < len(want["lr"])]
            assert all(_close(a, want["lr"][i]) for i, a in zip(res.indices, res.lr))
