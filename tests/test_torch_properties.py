"""Property tests of the torch simulator over random valid parameters (no torch needed)."""

from __future__ import annotations

import functools
import math
import time
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lraudit.catalog.torch_sim import (
    EXACT_STEPS,
    OptimizerSpec,
    SchedSpec,
    SimError,
    SimResult,
    sample_indices,
    simulate,
    simulate_sampled,
)

SETTINGS = settings(max_examples=250, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.too_slow])

unit = st.floats(min_value=0.0, max_value=1.0, allow_nan=False)
positive_unit = st.floats(min_value=1e-3, max_value=1.0, allow_nan=False)
lr_value = st.floats(min_value=1e-5, max_value=2.0, allow_nan=False)
decay = st.floats(min_value=0.05, max_value=1.3, allow_nan=False)


def _exp_decay(x: int, gamma: float) -> float:
    return gamma**x


def _warmup(x: int, warmup: int) -> float:
    return min(1.0, (x + 1) / (warmup + 1))


@st.composite
def leaf(draw: Any, resumable: bool = True) -> SchedSpec:
    """A scheduler with a closed form, with random valid arguments."""
    name = draw(st.sampled_from(["StepLR", "MultiStepLR", "ConstantLR", "LinearLR", "ExponentialLR",
                                 "PolynomialLR", "CosineAnnealingLR", "CosineAnnealingWarmRestarts", "CyclicLR",
                                 "OneCycleLR", "SWALR", "LambdaLR", "ReduceLROnPlateau"]))
    args: dict[str, Any]
    if name == "StepLR":
        args = {"step_size": draw(st.integers(1, 60)), "gamma": draw(decay)}
    elif name == "MultiStepLR":
        args = {"milestones": draw(st.lists(st.integers(0, 400), max_size=6)), "gamma": draw(decay)}
    elif name == "ConstantLR":
        args = {"factor": draw(positive_unit), "total_iters": draw(st.integers(0, 80))}
    elif name == "LinearLR":
        args = {"start_factor": draw(positive_unit), "end_factor": draw(unit),
                "total_iters": draw(st.integers(0, 400))}
    elif name == "ExponentialLR":
        args = {"gamma": draw(st.floats(min_value=0.5, max_value=1.02))}
    elif name == "PolynomialLR":
        args = {"total_iters": draw(st.integers(0, 400)), "power": draw(st.floats(min_value=0.0, max_value=4.0))}
    elif name == "CosineAnnealingLR":
        args = {"T_max": draw(st.integers(1, 300)), "eta_min": draw(st.floats(min_value=0.0, max_value=0.3))}
    elif name == "CosineAnnealingWarmRestarts":
        args = {"T_0": draw(st.integers(1, 60)), "T_mult": draw(st.integers(1, 3)),
                "eta_min": draw(st.floats(min_value=0.0, max_value=0.05))}
    elif name == "CyclicLR":
        base = draw(st.floats(min_value=1e-5, max_value=0.1))
        args = {"base_lr": base, "max_lr": base + draw(st.floats(min_value=0.0, max_value=1.0)),
                "step_size_up": draw(st.integers(1, 80)),
                "step_size_down": draw(st.none() | st.integers(1, 80)),
                "mode": draw(st.sampled_from(["triangular", "triangular2", "exp_range"])),
                "gamma": draw(st.floats(min_value=0.9, max_value=1.0))}
    elif name == "OneCycleLR":
        total = draw(st.integers(4, 600))
        pct = draw(st.floats(min_value=0.0, max_value=1.0))
        if pct * total == 1:
            pct = 0.3
        args = {"max_lr": draw(lr_value), "total_steps": total, "pct_start": pct,
                "anneal_strategy": draw(st.sampled_from(["cos", "linear"])),
                "three_phase": draw(st.booleans()),
                "div_factor": draw(st.floats(min_value=1.0, max_value=100.0)),
                "final_div_factor": draw(st.floats(min_value=1.0, max_value=1e5))}
    elif name == "SWALR":
        args = {"swa_lr": draw(lr_value), "anneal_epochs": draw(st.integers(0, 80)),
                "anneal_strategy": draw(st.sampled_from(["cos", "linear"]))}
    elif name == "LambdaLR":
        fn = draw(st.sampled_from([functools.partial(_exp_decay, gamma=draw(decay)),
                                   functools.partial(_warmup, warmup=draw(st.integers(1, 100)))]))
        args = {"lr_lambda": fn}
    else:
        args = {"patience": draw(st.integers(0, 12)), "cooldown": draw(st.integers(0, 6)),
                "factor": draw(st.floats(min_value=0.0, max_value=0.95)),
                "min_lr": draw(st.floats(min_value=0.0, max_value=1e-3)),
                "mode": draw(st.sampled_from(["min", "max"])),
                "threshold_mode": draw(st.sampled_from(["rel", "abs"])),
                "threshold": draw(st.floats(min_value=0.0, max_value=0.1))}
    if resumable and name not in ("ReduceLROnPlateau", "OneCycleLR") and draw(st.integers(0, 4)) == 0:
        args["last_epoch"] = draw(st.integers(0, 30))
    return SchedSpec(name, args)


@st.composite
def sequential(draw: Any) -> SchedSpec:
    count = draw(st.integers(2, 3))
    children = tuple(draw(leaf(resumable=False).filter(lambda s: s.name != "ReduceLROnPlateau"))
                     for _ in range(count))
    cuts = sorted(draw(st.lists(st.integers(1, 300), min_size=count - 1, max_size=count - 1)))
    return SchedSpec("SequentialLR", {"milestones": cuts}, children)


spec_strategy = st.integers(0, 3).flatmap(lambda i: sequential() if i == 0 else leaf())
optimizer_strategy = st.builds(lambda lrs: OptimizerSpec(lrs=tuple(lrs)),
                               st.lists(lr_value, min_size=1, max_size=2))


def run(spec: SchedSpec, optimizer: OptimizerSpec, steps: int, method: str) -> SimResult | None:
    try:
        return simulate([spec], optimizer, steps, method=method)[0]  # type: ignore[arg-type]
    except SimError:
        return None


def close(a: float, b: float, scale: float) -> bool:
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-15 * max(1.0, scale))


def _scale(result: SimResult, optimizer: OptimizerSpec) -> float:
    return max([abs(x) for x in result.lr if math.isfinite(x)] + [abs(x) for x in optimizer.lrs])


@SETTINGS
@given(spec_strategy, optimizer_strategy, st.integers(1, 500))
def test_curves_are_finite_and_non_negative(spec: SchedSpec, optimizer: OptimizerSpec, steps: int) -> None:
    result = run(spec, optimizer, steps, "exact")
    if result is None:
        return
    assert len(result.lr) == (steps if result.stops_at is None else result.stops_at)
    scale = _scale(result, optimizer)
    for k, value in enumerate(result.lr):
        assert math.isfinite(value), (k, value)
        # OneCycleLR (linear) extrapolates below zero only after its last scheduled step
        if spec.name == "OneCycleLR" and k >= spec.args["total_steps"]:
            continue
        assert value >= -1e-15 * scale, (k, value)


@SETTINGS
@given(spec_strategy, optimizer_strategy, st.integers(1, 700))
def test_fast_path_equals_stepping(spec: SchedSpec, optimizer: OptimizerSpec, steps: int) -> None:
    exact = run(spec, optimizer, steps, "exact")
    fast = run(spec, optimizer, steps, "fast")
    assert (exact is None) == (fast is None)
    if exact is None or fast is None:
        return
    assert fast.stops_at == exact.stops_at
    assert fast.stop_reason == exact.stop_reason
    assert len(fast.lr) == len(exact.lr)
    scale = _scale(exact, optimizer)
    for k, (a, b) in enumerate(zip(fast.lr, exact.lr)):
        assert close(a, b, scale), (k, a, b, fast.method)


@SETTINGS
@given(spec_strategy, optimizer_strategy, st.integers(1, 300), st.integers(0, 300),
       st.sampled_from(["exact", "fast"]))
def test_prefix_stability(spec: SchedSpec, optimizer: OptimizerSpec, n: int, m: int, method: str) -> None:
    short = run(spec, optimizer, n, method)
    long = run(spec, optimizer, n + m, method)
    assert (short is None) == (long is None)
    if short is None or long is None:
        return
    assert long.lr[: len(short.lr)] == short.lr
    if short.stops_at is not None:
        assert long.stops_at == short.stops_at


@SETTINGS
@given(st.floats(min_value=1e-3, max_value=1.0), st.floats(min_value=0.0, max_value=1.0), st.integers(1, 300),
       st.integers(1, 400), lr_value)
def test_linear_warmup_is_monotone(start: float, end: float, total: int, steps: int, lr: float) -> None:
    start, end = min(start, end), max(start, end)
    if start == 0:
        return
    result = simulate([SchedSpec("LinearLR", {"start_factor": start, "end_factor": end, "total_iters": total})],
                      OptimizerSpec((lr,)), steps, method="exact")[0]
    values = result.lr
    assert all(b >= a for a, b in zip(values, values[1:]))
    assert all(v == values[min(total, len(values) - 1)] for v in values[total:])
    fast = simulate([SchedSpec("LinearLR", {"start_factor": start, "end_factor": end, "total_iters": total})],
                    OptimizerSpec((lr,)), steps, method="fast")[0].lr
    assert all(b >= a * (1 - 1e-12) for a, b in zip(fast, fast[1:]))


@settings(max_examples=8, deadline=None, derandomize=True)
@given(st.sampled_from(["CosineAnnealingLR", "OneCycleLR", "CosineAnnealingWarmRestarts", "LinearLR",
                        "ExponentialLR", "SWALR", "PolynomialLR"]), st.integers(2_000, 40_000))
def test_long_horizon_closed_form_equals_stepping(name: str, size: int) -> None:
    args: dict[str, Any] = {
        "CosineAnnealingLR": {"T_max": size // 3, "eta_min": 1e-4},
        "OneCycleLR": {"max_lr": 0.1, "total_steps": size},
        "CosineAnnealingWarmRestarts": {"T_0": size // 7, "T_mult": 2},
        "LinearLR": {"start_factor": 0.01, "end_factor": 0.0, "total_iters": size // 2},
        "ExponentialLR": {"gamma": 0.9999},
        "SWALR": {"swa_lr": 0.01, "anneal_epochs": size // 2},
        "PolynomialLR": {"total_iters": size // 2, "power": 1.5},
    }[name]
    spec = [SchedSpec(name, args)]
    optimizer = OptimizerSpec((0.1,))
    indices = sample_indices(size, 300)
    exact = simulate_sampled(spec, optimizer, size, indices, method="exact", max_seconds=30)[0]
    fast = simulate_sampled(spec, optimizer, size, indices, method="fast")[0]
    assert fast.method == "fast" and exact.method == "exact"
    assert fast.indices == exact.indices == indices
    for k, a, b in zip(indices, fast.lr, exact.lr):
        assert close(a, b, 0.1), (k, a, b)


def test_auto_switches_to_the_fast_path_beyond_exact_steps() -> None:
    spec = [SchedSpec("OneCycleLR", {"max_lr": 0.1, "total_steps": 5_000_000})]
    optimizer = OptimizerSpec((0.1,))
    assert simulate(spec, optimizer, 100)[0].method == "exact"
    sampled = simulate_sampled(spec, optimizer, 5_000_000)[0]
    assert sampled.method == "fast"
    assert sampled.indices is not None and sampled.indices[0] == 0 and sampled.indices[-1] == 4_999_999
    assert len(sampled.lr) == len(sampled.indices) <= 1000
    assert math.isclose(sampled.lr[-1], 0.1 / 25 / 1e4, rel_tol=1e-9)
    assert EXACT_STEPS < 5_000_000


@given(st.integers(0, 10**7), st.integers(1, 3000))
@settings(max_examples=200, deadline=None, derandomize=True)
def test_sample_indices(length: int, max_points: int) -> None:
    indices = sample_indices(length, max_points)
    if length == 0:
        assert indices == []
        return
    assert indices[0] == 0 and indices[-1] == length - 1
    assert indices == sorted(set(indices))
    assert len(indices) <= max(max_points, 2)
    if length <= max_points:
        assert indices == list(range(length))
    else:
        gaps = [b - a for a, b in zip(indices, indices[1:])]
        assert max(gaps) - min(gaps) <= 1


def _raise_from(x: int, start: int) -> float:
    if x >= start:
        raise RuntimeError(f"no value for {x}")
    return 1.0


def test_budget_overrun_raises_sim_error() -> None:
    chained = SchedSpec("ChainedScheduler", {}, (SchedSpec("LinearLR", {}), SchedSpec("ExponentialLR",
                                                                                       {"gamma": 0.99999})))
    try:
        simulate_sampled([chained], OptimizerSpec((0.1,)), 5_000_000, max_seconds=0.05)
    except SimError as exc:
        assert str(exc).startswith("simulation budget exceeded")
        assert exc.step is not None and 0 < exc.step < 5_000_000
    else:
        raise AssertionError("the budget did not stop the simulation")


def test_failing_callable_is_reported_with_its_step_on_every_path() -> None:
    spec = [SchedSpec("LambdaLR", {"lr_lambda": functools.partial(_raise_from, start=700)})]
    for run_it in (lambda: simulate(spec, OptimizerSpec((0.1,)), 1000, method="exact"),
                   lambda: simulate(spec, OptimizerSpec((0.1,)), 1000, method="fast"),
                   lambda: simulate_sampled(spec, OptimizerSpec((0.1,)), 1000, [0, 699, 700, 999], method="fast")):
        try:
            run_it()
        except SimError as exc:
            assert exc.step == 700
            assert "lr_lambda raised at step 700: RuntimeError: no value for 700" == str(exc)
        else:
            raise AssertionError("no SimError")


def test_unsupported_inputs_raise_sim_error() -> None:
    for specs, optimizer in (([SchedSpec("LRScheduler", {})], OptimizerSpec((0.1,))),
                             ([SchedSpec("StepLR", {"step_size": 2})], OptimizerSpec(()))):
        try:
            simulate(specs, optimizer, 5)
        except SimError as exc:
            assert exc.step == 0
        else:
            raise AssertionError("no SimError")


def test_five_million_step_one_cycle_is_cheap() -> None:
    spec = [SchedSpec("OneCycleLR", {"max_lr": 0.1, "total_steps": 4_000_000})]
    start = time.perf_counter()
    result = simulate_sampled(spec, OptimizerSpec((0.1,)), 5_000_000)[0]
    assert time.perf_counter() - start < 0.5
    assert result.method == "fast"
    assert result.stops_at == 4_000_001
    assert result.stop_reason == ("ValueError: Tried to step 4000001 times. "
                                  "The specified number of total steps is 4000000")
    assert result.indices is not None and result.indices[-1] <= 4_000_000
