"""Parity of lraudit's Keras / transformers / timm simulators with the REAL libraries on random configurations.

This file imports the libraries and fails (at collection) when one is missing. CI installs them with::

    pip install keras transformers accelerate torch==2.13.0
    pip install --no-deps timm

(``torch==2.13.0`` pins the installed torch so pip does not replace it; ``--no-deps`` keeps timm from
pulling torchvision, which does not load beside this torch build; ``accelerate`` is needed by
``TrainingArguments``.) The library drivers are the ``run_*`` functions of tests/golden/make_framework_golden.py,
so the golden recordings and this test drive the libraries the same way. Configurations come from fixed
seeds: the test is deterministic.
"""

from __future__ import annotations

import importlib.util
import math
import os
import random
from pathlib import Path
from typing import Any

import pytest

os.environ.setdefault("KERAS_BACKEND", "torch")

_MISSING = [name for name in ("keras", "transformers", "accelerate", "timm", "torch")
            if importlib.util.find_spec(name) is None]
if _MISSING:
    raise ImportError(
        f"test_framework_parity_live.py needs {', '.join(_MISSING)}: "
        "pip install keras transformers accelerate torch==2.13.0 && pip install --no-deps timm"
    )

from lraudit.catalog import hf as hf_catalog  # noqa: E402
from lraudit.catalog import keras as keras_catalog  # noqa: E402
from lraudit.catalog import timm as timm_catalog  # noqa: E402
from lraudit.catalog.base import REQUIRED  # noqa: E402
from lraudit.catalog.hf_sim import curve as hf_curve  # noqa: E402
from lraudit.catalog.hf_sim import hf_num_training_steps, hf_trainer_curve, hf_warmup_steps  # noqa: E402
from lraudit.catalog.keras_sim import curve as keras_curve  # noqa: E402
from lraudit.catalog.keras_sim import keras_callback_curve, keras_plateau_curve  # noqa: E402
from lraudit.catalog.timm_sim import curve as timm_curve  # noqa: E402
from lraudit.catalog.timm_sim import timm_factory_to_class  # noqa: E402


def _load_driver() -> Any:
    path = Path(__file__).resolve().parent / "golden" / "make_framework_golden.py"
    spec = importlib.util.spec_from_file_location("make_framework_golden", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


DRIVER = _load_driver()
# Keras on numpy 2 warns about __array__(copy=...) on every tensor conversion; it says nothing about parity.
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")
N_CASES = int(os.environ.get("LRAUDIT_PARITY_CASES", "30"))  # raise it for a deeper local run


def _same(a: float, b: float, rel: float = 1e-9) -> bool:
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return math.isclose(a, b, rel_tol=rel, abs_tol=1e-15)


def _compare(sim: Any, real: Any) -> None:
    """Both raise the same error, or both give the same curve."""
    try:
        expected = real()
    except Exception as exc:  # the library raised
        expected_type = "ValueError" if isinstance(exc, AssertionError) else type(exc).__name__
        with pytest.raises(Exception) as info:
            sim()
        assert type(info.value).__name__ == expected_type
        assert str(info.value) == str(exc)
        return
    actual = sim()
    assert len(actual) == len(expected)
    for k, (a, e) in enumerate(zip(actual, expected)):
        assert _same(a, e), f"step {k}: simulated {a!r}, library {e!r}"


# ------------------------------------------------------------------------------------------------ Keras

_KS = "keras.optimizers.schedules."


def _random_keras(rng: random.Random) -> tuple[str, dict[str, Any]]:
    kind = rng.choice(["ExponentialDecay", "PiecewiseConstantDecay", "PolynomialDecay", "InverseTimeDecay",
                       "CosineDecay", "CosineDecayRestarts", "tf1"])
    init = rng.choice([0.1, 1e-3, rng.uniform(1e-4, 1.0)])
    steps = rng.randint(1, 30)
    if kind == "ExponentialDecay":
        return _KS + kind, {"initial_learning_rate": init, "decay_steps": steps,
                            "decay_rate": rng.uniform(0.05, 1.3), "staircase": rng.random() < 0.5}
    if kind == "PiecewiseConstantDecay":
        n = rng.randint(1, 4)
        bounds = sorted(rng.sample(range(1, 40), n))
        return _KS + kind, {"boundaries": bounds, "values": [rng.uniform(1e-4, 0.5) for _ in range(n + 1)]}
    if kind == "PolynomialDecay":
        return _KS + kind, {"initial_learning_rate": init, "decay_steps": steps,
                            "end_learning_rate": rng.choice([1e-4, 0.0, rng.uniform(0, 0.2)]),
                            "power": rng.choice([1.0, 0.5, 2.0, rng.uniform(0.2, 3)]), "cycle": rng.random() < 0.4}
    if kind == "InverseTimeDecay":
        return _KS + kind, {"initial_learning_rate": init, "decay_steps": steps, "decay_rate": rng.uniform(0, 2),
                            "staircase": rng.random() < 0.5}
    if kind == "CosineDecay":
        args: dict[str, Any] = {"initial_learning_rate": init, "decay_steps": steps,
                                "alpha": rng.choice([0.0, rng.uniform(0, 0.5)])}
        if rng.random() < 0.6:
            args["warmup_target"] = rng.uniform(1e-3, 1.0)
            args["warmup_steps"] = rng.randint(0, 12)
        return _KS + kind, args
    if kind == "CosineDecayRestarts":
        return _KS + kind, {"initial_learning_rate": init, "first_decay_steps": rng.randint(1, 8),
                            "t_mul": rng.choice([1.0, 1.5, 2.0, 3.0]), "m_mul": rng.choice([1.0, 0.5, 0.9]),
                            "alpha": rng.choice([0.0, 0.05])}
    name = rng.choice(["exponential_decay", "natural_exp_decay", "inverse_time_decay", "polynomial_decay",
                       "cosine_decay"])
    args = {"learning_rate": init, "global_step": 0, "decay_steps": steps}
    if name in ("exponential_decay", "natural_exp_decay", "inverse_time_decay"):
        args["decay_rate"] = rng.uniform(0.05, 0.99)
        args["staircase"] = rng.random() < 0.5
    return "tensorflow.compat.v1.train." + name, args


@pytest.mark.parametrize("seed", range(N_CASES))
def test_keras_schedule_parity(seed: int) -> None:
    rng = random.Random(1000 + seed)
    name, args = _random_keras(rng)
    steps = rng.randint(1, 80)
    _compare(lambda: keras_curve(name, args, steps),
             lambda: DRIVER.run_keras_schedule(name, args, steps, "float64"))


_CALLBACKS = [
    ("times_g", lambda g: (lambda epoch, lr: lr * g)),
    ("step_at", lambda g: (lambda epoch, lr: lr * g if epoch % 3 == 2 else lr)),
    ("one_arg", lambda g: (lambda epoch: 0.05 * g ** epoch)),
]


@pytest.mark.parametrize("seed", range(N_CASES // 3))
def test_keras_callback_parity(seed: int) -> None:
    rng = random.Random(2000 + seed)
    _, family = _CALLBACKS[seed % len(_CALLBACKS)]
    fn = family(rng.uniform(0.5, 1.1))
    initial = rng.uniform(1e-4, 0.5)
    epochs = rng.randint(1, 25)
    key = f"live-{seed}"
    DRIVER.CALLBACK_FUNCTIONS[key] = fn
    _compare(lambda: keras_callback_curve(fn, initial, epochs, None),
             lambda: DRIVER.run_keras_callback(key, initial, epochs))


@pytest.mark.parametrize("seed", range(N_CASES // 3))
def test_keras_plateau_parity(seed: int) -> None:
    rng = random.Random(3000 + seed)
    initial = rng.uniform(1e-3, 0.5)
    factor = rng.choice([0.1, 0.5, rng.uniform(0.05, 0.95)])
    patience, cooldown = rng.randint(0, 5), rng.randint(0, 4)
    min_lr = rng.choice([0.0, 1e-4, initial * 0.05])
    epochs = rng.randint(1, 40)
    _compare(lambda: keras_plateau_curve(initial, factor, patience, cooldown, min_lr, epochs),
             lambda: DRIVER.run_keras_plateau(initial, factor, patience, cooldown, min_lr, epochs))


# ------------------------------------------------------------------------------------------ transformers


def _random_hf(rng: random.Random) -> tuple[dict[str, Any], float | None]:
    kind = rng.choice(["linear", "cosine", "cosine_with_restarts", "polynomial", "constant", "constant_with_warmup",
                       "inverse_sqrt", "cosine_with_min_lr", "cosine_warmup_with_min_lr", "warmup_stable_decay",
                       "reduce_lr_on_plateau", "greedy"])
    total = rng.randint(1, 40)
    warmup: Any = rng.choice([0, rng.randint(0, total), rng.uniform(0, 8)])
    extra: dict[str, Any] = {}
    defaults_lr = None
    if kind in ("cosine", "cosine_with_min_lr", "cosine_warmup_with_min_lr") and rng.random() < 0.5:
        extra["num_cycles"] = rng.choice([0.5, 1.0, rng.uniform(0.2, 2.0)])
    if kind == "cosine_with_restarts":
        extra["num_cycles"] = rng.randint(1, 4)
    if kind == "polynomial":
        extra = {"lr_end": rng.choice([1e-7, 1e-3]), "power": rng.uniform(0.5, 3)}
        warmup = rng.randint(0, max(0, total - 1))
        defaults_lr = rng.choice([None, 0.2])
    if kind == "inverse_sqrt" and rng.random() < 0.5:
        extra["timescale"] = rng.randint(1, 20)
    if kind in ("cosine_with_min_lr", "cosine_warmup_with_min_lr"):
        if rng.random() < 0.5:
            extra["min_lr"] = 1e-3
            defaults_lr = rng.choice([None, 0.05])
        else:
            extra["min_lr_rate"] = rng.uniform(0, 0.3)
        if kind == "cosine_warmup_with_min_lr" and rng.random() < 0.5:
            extra["warmup_lr_rate"] = rng.uniform(0, 0.5)
    if kind == "warmup_stable_decay":
        extra = {"num_decay_steps": rng.randint(1, 10), "warmup_type": rng.choice(["linear", "cosine", "1-sqrt"]),
                 "decay_type": rng.choice(["linear", "cosine", "1-sqrt"]), "min_lr_ratio": rng.choice([0, 0.1])}
        if rng.random() < 0.4:
            extra["num_stable_steps"] = rng.randint(0, 10)
    if kind == "reduce_lr_on_plateau":
        extra = {"patience": rng.randint(0, 4), "factor": rng.uniform(0.1, 0.9), "cooldown": rng.randint(0, 3),
                 "min_lr": rng.choice([0, 1e-3]), "mode": rng.choice(["min", "max"]),
                 "threshold_mode": rng.choice(["rel", "abs"])}
    if kind == "greedy":
        extra = {"patience": rng.randint(0, 3), "factor": rng.uniform(0.3, 0.95), "cooldown": rng.randint(0, 2),
                 "warmup": rng.randint(0, 2), "min_lr": rng.choice([1e-3, 0.02]), "max_lr": rng.choice([1.0, 0.2]),
                 "reset_start": rng.randint(1, 6), "mode": rng.choice(["min", "max"])}
    args = {"name": kind, "num_warmup_steps": warmup, "num_training_steps": total,
            "scheduler_specific_kwargs": extra}
    return args, defaults_lr


@pytest.mark.parametrize("seed", range(N_CASES))
def test_hf_parity(seed: int) -> None:
    rng = random.Random(4000 + seed)
    args, defaults_lr = _random_hf(rng)
    steps = rng.randint(1, 60)
    base_lr = rng.choice([0.1, 5e-5, rng.uniform(1e-5, 0.5)])
    _compare(lambda: hf_curve("transformers.get_scheduler", args, steps, base_lr=base_lr, defaults_lr=defaults_lr),
             lambda: DRIVER.run_hf("transformers.get_scheduler", args, steps, base_lr, defaults_lr))


@pytest.mark.parametrize("seed", range(2))
def test_hf_trainer_parity(seed: int) -> None:
    rng = random.Random(5000 + seed)
    training_args = {"per_device_train_batch_size": rng.randint(1, 8), "num_train_epochs": rng.uniform(0.5, 3),
                     "gradient_accumulation_steps": rng.randint(1, 4), "warmup_steps": rng.choice([0.1, 2, 0.5]),
                     "lr_scheduler_type": rng.choice(["linear", "cosine", "constant_with_warmup"]),
                     "learning_rate": rng.uniform(1e-5, 1e-2)}
    dataset_len = rng.randint(5, 60)
    real = DRIVER.run_hf_trainer(training_args, dataset_len, None)
    n = hf_num_training_steps(-1, training_args["num_train_epochs"], real["steps_per_epoch"],
                              training_args["gradient_accumulation_steps"])
    assert n == real["num_training_steps"]
    assert hf_warmup_steps(training_args["warmup_steps"], n) == real["warmup_steps"]
    sim = hf_trainer_curve(training_args, real["steps_per_epoch"])
    assert len(sim) == len(real["expected"])
    assert all(_same(a, b) for a, b in zip(sim, real["expected"]))


# ------------------------------------------------------------------------------------------------ timm

_TS = "timm.scheduler."


def _noise(rng: random.Random, length: int) -> dict[str, Any]:
    if rng.random() < 0.7:
        return {}
    lo = rng.randint(0, max(0, length - 1))
    rng_t: Any = [lo, lo + rng.randint(1, 15)] if rng.random() < 0.6 else lo
    return {"noise_range_t": rng_t, "noise_pct": rng.choice([0.67, 0.2]), "noise_std": rng.choice([1.0, 0.5]),
            "noise_seed": rng.randint(0, 1000)}


def _random_timm(rng: random.Random) -> tuple[str, dict[str, Any]]:
    kind = rng.choice(["CosineLRScheduler", "TanhLRScheduler", "PolyLRScheduler", "StepLRScheduler",
                       "MultiStepLRScheduler", "PlateauLRScheduler", "WSDLRScheduler", "create_scheduler_v2"])
    t_initial = rng.randint(1, 25)
    warm = {"warmup_t": rng.choice([0, rng.randint(1, 6)]), "warmup_lr_init": rng.choice([0.0, 1e-4])}
    if kind in ("CosineLRScheduler", "TanhLRScheduler", "PolyLRScheduler"):
        args: dict[str, Any] = {"t_initial": t_initial, "lr_min": rng.choice([0.0, 1e-4]),
                                "cycle_mul": rng.choice([1.0, 1.0, 2.0, 1.5]),
                                "cycle_decay": rng.choice([1.0, 0.5]), "cycle_limit": rng.randint(1, 3),
                                "warmup_prefix": rng.random() < 0.5, "t_in_epochs": rng.random() < 0.7,
                                **warm, **_noise(rng, t_initial)}
        if kind != "TanhLRScheduler":
            args["k_decay"] = rng.choice([1.0, 0.5, 2.0])
        if kind == "PolyLRScheduler":
            args["power"] = rng.choice([0.5, 1.0, 2.0])
        return _TS + kind, args
    if kind == "StepLRScheduler":
        return _TS + kind, {"decay_t": rng.choice([rng.randint(1, 8), 2.5]), "decay_rate": rng.uniform(0.1, 1.0),
                            "warmup_prefix": rng.random() < 0.5, **warm, **_noise(rng, 20)}
    if kind == "MultiStepLRScheduler":
        return _TS + kind, {"decay_t": sorted(rng.sample(range(1, 30), rng.randint(1, 4))),
                            "decay_rate": rng.uniform(0.1, 0.9), "warmup_prefix": rng.random() < 0.5, **warm,
                            **_noise(rng, 20)}
    if kind == "PlateauLRScheduler":
        return _TS + kind, {"decay_rate": rng.uniform(0.1, 0.9), "patience_t": rng.randint(0, 4),
                            "cooldown_t": rng.randint(0, 3), "lr_min": rng.choice([0.0, 1e-3]),
                            "mode": rng.choice(["min", "max"]), "threshold": rng.choice([1e-4, 0.0]), **warm,
                            **_noise(rng, 20)}
    if kind == "WSDLRScheduler":
        decay_t = rng.randint(1, t_initial)
        args = {"t_initial": t_initial, "decay_t": decay_t, "lr_min": rng.choice([0.0, 1e-3]),
                "stable_fn": rng.choice(["constant", "rsqrt", "power"]),
                "decay_fn": rng.choice(["linear", "1-sqrt", "cosine", "power", "exp"]), **warm,
                **_noise(rng, t_initial)}
        if args["stable_fn"] != "constant":
            args["stable_timescale"] = rng.randint(1, 10)
        return _TS + kind, args
    sched = rng.choice(["cosine", "tanh", "step", "multistep", "poly", "plateau", "wsd", "rsqrt", "constant"])
    args = {"sched": sched, "num_epochs": rng.randint(4, 30), "warmup_epochs": rng.randint(0, 3),
            "warmup_prefix": rng.random() < 0.5, "cooldown_epochs": rng.randint(0, 3),
            "decay_epochs": rng.choice([2, 3.5, 0.3]), "decay_milestones": sorted(rng.sample(range(1, 20), 2)),
            "cycle_limit": rng.randint(1, 2), "min_lr": rng.choice([0.0, 1e-5])}
    if rng.random() < 0.3:
        args["noise"] = rng.choice([[0.3, 0.7], [0.5], 0.4])
    if sched != "plateau" and rng.random() < 0.4:
        args["step_on_epochs"] = False
        args["updates_per_epoch"] = rng.randint(1, 4)
    return _TS + "create_scheduler_v2", args


@pytest.mark.parametrize("seed", range(N_CASES))
def test_timm_parity(seed: int) -> None:
    rng = random.Random(6000 + seed)
    name, args = _random_timm(rng)
    steps = rng.randint(1, 70)
    base_lr = rng.choice([0.1, rng.uniform(1e-4, 1.0)])
    _compare(lambda: timm_curve(name, args, steps, base_lr=base_lr),
             lambda: DRIVER.run_timm(name, args, steps, base_lr)["expected"])
    if name.endswith("create_scheduler_v2"):
        try:
            real = DRIVER.run_timm(name, args, 1, base_lr)
        except Exception:
            return
        cls, _, num_epochs = timm_factory_to_class(args)
        assert (cls, num_epochs) == (real["class"], real["num_epochs"])


# ----------------------------------------------------------------------------------------- signatures


def _normalise(value: Any) -> Any:
    if value is REQUIRED:
        return "<required>"
    if isinstance(value, (tuple, list)):
        return [_normalise(v) for v in value]
    return value


@pytest.mark.parametrize("module", [keras_catalog, hf_catalog, timm_catalog], ids=["keras", "hf", "timm"])
def test_catalog_signatures_match_installed_libraries(module: Any) -> None:
    framework = module.__name__.rsplit(".", 1)[-1]
    live = DRIVER.record_signatures(framework)
    entries = {e.qualname: e for e in module.ENTRIES}
    assert live, framework
    for qual, recorded in live.items():
        ours = [[p.name, _normalise(p.default), p.kind] for p in entries[qual].params]
        assert ours == recorded, qual
