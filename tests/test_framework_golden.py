"""Replay learning-rate curves recorded from the real Keras, transformers and timm against lraudit's simulators.

The JSON files in tests/golden/ were written by tests/golden/make_framework_golden.py with the real libraries
(versions inside each file). This test imports none of those libraries: it checks the pure-Python simulators
(``lraudit.catalog.keras_sim`` / ``hf_sim`` / ``timm_sim``) and the catalog signatures against the recordings.
"""

from __future__ import annotations

import importlib.util
import json
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from lraudit.catalog import hf as hf_catalog
from lraudit.catalog import keras as keras_catalog
from lraudit.catalog import lightning as lightning_catalog
from lraudit.catalog import timm as timm_catalog
from lraudit.catalog.base import REQUIRED
from lraudit.catalog.hf_sim import curve as hf_curve
from lraudit.catalog.hf_sim import hf_num_training_steps, hf_trainer_curve, hf_warmup_steps, is_metric_driven
from lraudit.catalog.hf_sim import lr_lambda, scheduler_function
from lraudit.catalog.keras_sim import curve as keras_curve
from lraudit.catalog.keras_sim import bound_schedule, keras_callback_curve, keras_plateau_curve, schedule_value
from lraudit.catalog.timm_sim import Unsupported, timm_argparse_to_factory, timm_factory_to_class, torch_rand_seq
from lraudit.catalog.timm_sim import torch_randn_seq
from lraudit.catalog.timm_sim import curve as timm_curve

GOLDEN = Path(__file__).resolve().parent / "golden"


def _load_generator() -> Any:
    """tests/golden/make_framework_golden.py, for its CALLBACK_FUNCTIONS (it imports no ML library itself)."""
    spec = importlib.util.spec_from_file_location("make_framework_golden", GOLDEN / "make_framework_golden.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


CALLBACK_FUNCTIONS: dict[str, Callable[..., Any]] = _load_generator().CALLBACK_FUNCTIONS

# timm uses ``assert``; the simulators raise ValueError with the same text.
_TYPE_MAP = {"AssertionError": "ValueError"}


def _load(name: str) -> dict[str, Any]:
    return json.loads((GOLDEN / name).read_text())


KERAS = _load("keras_curves.json")
HF = _load("hf_curves.json")
TIMM = _load("timm_curves.json")


def _assert_curve(actual: list[float], expected: list[float], rel: float = 1e-9, abs_: float = 1e-15) -> None:
    assert len(actual) == len(expected)
    for k, (a, e) in enumerate(zip(actual, expected)):
        assert math.isclose(a, e, rel_tol=rel, abs_tol=abs_), f"step {k}: simulated {a!r}, library {e!r}"


def _assert_raises(call: Callable[[], Any], error: dict[str, str]) -> None:
    expected_type = _TYPE_MAP.get(error["type"], error["type"])
    with pytest.raises(Exception) as info:
        call()
    assert type(info.value).__name__ == expected_type
    assert str(info.value) == error["message"]


def _ids(cases: list[dict[str, Any]]) -> list[str]:
    return [c["id"] for c in cases]


# ------------------------------------------------------------------------------------------------ Keras


def _keras_call(case: dict[str, Any]) -> Callable[[], list[float]]:
    if case["kind"] == "schedule":
        return lambda: keras_curve(case["name"], case["args"], case["steps"])
    if case["kind"] == "callback":
        fn = CALLBACK_FUNCTIONS[case["fn"]]
        return lambda: keras_callback_curve(fn, case["initial_lr"], case["epochs"], None)
    return lambda: keras_plateau_curve(case["initial_lr"], case["factor"], case["patience"], case["cooldown"],
                                       case["min_lr"], case["epochs"])


@pytest.mark.parametrize("case", KERAS["cases"], ids=_ids(KERAS["cases"]))
def test_keras_matches_library(case: dict[str, Any]) -> None:
    call = _keras_call(case)
    if "raises" in case:
        _assert_raises(call, case["raises"])
        return
    actual = call()
    _assert_curve(actual, case["expected"])
    if "expected_float32" in case:  # default Keras computes in float32: equal up to float32 rounding
        _assert_curve(actual, case["expected_float32"], rel=2e-6, abs_=1e-7 * max(map(abs, actual)))


def test_keras_callbacks_through_curve() -> None:
    case = next(c for c in KERAS["cases"] if c["id"] == "lrs-decay-every-epoch")
    fn = CALLBACK_FUNCTIONS[case["fn"]]
    got = keras_curve("keras.callbacks.LearningRateScheduler", {"schedule": fn}, case["epochs"],
                      base_lr=case["initial_lr"])
    _assert_curve(got, case["expected"])
    plateau = next(c for c in KERAS["cases"] if c["id"] == "plateau-cooldown")
    got = keras_curve("tensorflow.keras.callbacks.ReduceLROnPlateau",
                      {"factor": plateau["factor"], "patience": plateau["patience"], "cooldown": plateau["cooldown"]},
                      plateau["epochs"], base_lr=plateau["initial_lr"])
    _assert_curve(got, plateau["expected"])


def test_keras_plateau_reduces_after_patience_not_patience_plus_one() -> None:
    lrs = keras_plateau_curve(0.1, 0.5, 3, 0, 0.0, 6, float32=False)
    # epoch 0 improves; epochs 1, 2, 3 do not: the reduction is in effect from epoch 4.
    assert lrs == [0.1, 0.1, 0.1, 0.1, 0.05, 0.05]


def test_keras_two_args_flag_is_honoured() -> None:
    assert keras_callback_curve(lambda e, lr: lr / 2, 1.0, 3, True) == [0.5, 0.25, 0.125]
    assert keras_callback_curve(lambda e: 0.5 ** e, 1.0, 3, False) == [1.0, 0.5, 0.25]


def test_keras_sampled_values_equal_the_dense_curve() -> None:
    case = next(c for c in KERAS["cases"] if c["id"] == "tf1-natural-exp")
    short, bound = bound_schedule(case["name"], case["args"])
    assert short == "ExponentialDecay"
    _assert_curve([schedule_value(short, bound, k) for k in range(case["steps"])], case["expected"])
    with pytest.raises(Unsupported):
        bound_schedule("keras.callbacks.ReduceLROnPlateau", {})


def test_keras_int_initial_rate_is_unsupported() -> None:
    with pytest.raises(Unsupported):
        keras_curve("keras.optimizers.schedules.CosineDecay", {"initial_learning_rate": 0, "decay_steps": 10,
                                                               "warmup_target": 0.1, "warmup_steps": 5}, 5)


def test_keras_string_optimizers_match_library() -> None:
    for key, class_name in KERAS["string_optimizers"].items():
        qual = keras_catalog.string_optimizer(key)
        if class_name is None:
            assert qual is None, key
        else:
            assert qual is not None and qual.rsplit(".", 1)[-1] == class_name, key


# ------------------------------------------------------------------------------------------ transformers


def _hf_call(case: dict[str, Any]) -> Callable[[], Any]:
    kind = case.get("kind")
    if kind == "warmup":
        return lambda: hf_warmup_steps(case["warmup_steps"], case["num_training_steps"])
    return lambda: hf_curve(case["name"], case["args"], case["steps"], base_lr=case["base_lr"],
                            defaults_lr=case.get("defaults_lr"))


@pytest.mark.parametrize("case", [c for c in HF["cases"] if c.get("kind") != "trainer"],
                         ids=_ids([c for c in HF["cases"] if c.get("kind") != "trainer"]))
def test_hf_matches_library(case: dict[str, Any]) -> None:
    call = _hf_call(case)
    if "raises" in case:
        _assert_raises(call, case["raises"])
        return
    if case.get("kind") == "warmup":
        assert call() == case["expected"]
        return
    _assert_curve(call(), case["expected"])


@pytest.mark.parametrize("case", [c for c in HF["cases"] if c.get("kind") == "trainer"],
                         ids=_ids([c for c in HF["cases"] if c.get("kind") == "trainer"]))
def test_hf_trainer_matches_library(case: dict[str, Any]) -> None:
    ta = case["training_args"]
    n = hf_num_training_steps(ta.get("max_steps", -1), ta.get("num_train_epochs", 3.0), case["steps_per_epoch"],
                              ta.get("gradient_accumulation_steps", 1))
    assert n == case["num_training_steps"]
    assert hf_warmup_steps(ta.get("warmup_steps", 0), n) == case["warmup_steps"]
    _assert_curve(hf_trainer_curve(ta, case["steps_per_epoch"], case.get("steps")), case["expected"])


def test_hf_num_training_steps_without_length() -> None:
    assert hf_num_training_steps(500, 3.0, None, 4) == 500
    with pytest.raises(ValueError, match="args.max_steps must be set to a positive value"):
        hf_num_training_steps(-1, 3.0, None)


def test_hf_adafactor_schedule_is_unsupported() -> None:
    with pytest.raises(Unsupported):
        hf_curve("transformers.optimization.AdafactorSchedule", {}, 5, base_lr=0.1)


def test_hf_metric_driven_direct_forms() -> None:
    via_factory = hf_curve("get_scheduler", {"name": "reduce_lr_on_plateau",
                                             "scheduler_specific_kwargs": {"patience": 1}}, 8, base_lr=0.1)
    direct = hf_curve("transformers.get_reduce_on_plateau_schedule", {"patience": 1}, 8, base_lr=0.1)
    assert via_factory == direct
    assert via_factory[:3] == [0.1, 0.1, 0.1] and math.isclose(via_factory[3], 0.01)
    greedy = hf_curve("transformers.GreedyLR", {"patience": 1, "factor": 0.5}, 4, base_lr=0.1)
    assert greedy == [0.1, 0.1, 0.1, 0.05]
    fn, kwargs = scheduler_function("get_scheduler", {"name": "greedy", "scheduler_specific_kwargs": {"patience": 1}})
    assert (fn, kwargs) == ("GreedyLR", {"patience": 1}) and is_metric_driven(fn)
    with pytest.raises(Unsupported):
        lr_lambda(fn, kwargs, 0.1)


def test_hf_scheduler_type_member_spelling() -> None:
    by_value = hf_curve("get_scheduler", {"name": "cosine", "num_warmup_steps": 2, "num_training_steps": 9}, 9,
                        base_lr=0.1)
    by_member = hf_curve("get_scheduler", {"name": "SchedulerType.COSINE", "num_warmup_steps": 2,
                                           "num_training_steps": 9}, 9, base_lr=0.1)
    assert by_value == by_member


# ------------------------------------------------------------------------------------------------ timm


def _timm_call(case: dict[str, Any]) -> Callable[[], list[float]]:
    return lambda: timm_curve(case["name"], case["args"], case["steps"], base_lr=case["base_lr"])


@pytest.mark.parametrize("case", TIMM["cases"], ids=_ids(TIMM["cases"]))
def test_timm_matches_library(case: dict[str, Any]) -> None:
    call = _timm_call(case)
    if "raises" in case:
        _assert_raises(call, case["raises"])
        return
    _assert_curve(call(), case["expected"])
    if "num_epochs" in case:
        short = case["name"].rsplit(".", 1)[-1]
        factory_args = dict(case["args"])
        if short == "create_scheduler":
            factory_args = timm_argparse_to_factory(case["args"]["args"])
            factory_args["updates_per_epoch"] = case["args"].get("updates_per_epoch", 0)
        cls, _, num_epochs = timm_factory_to_class(factory_args)
        assert cls == case["class"]
        assert num_epochs == case["num_epochs"]


def test_torch_generator_emulation() -> None:
    # torch.manual_seed(42); torch.randn(1) x2 / torch.rand(1) x2 (well-known values of torch's CPU generator)
    assert torch_randn_seq(42, 2) == [0.33669036626815796, 0.12880940735340118]
    assert torch_rand_seq(42, 2) == [0.8822692632675171, 0.9150039553642273]


# ----------------------------------------------------------------------------------------- signatures


def _normalise(value: Any) -> Any:
    if value is REQUIRED:
        return "<required>"
    if isinstance(value, (tuple, list)):
        return [_normalise(v) for v in value]
    return value


def _signature_cases() -> list[tuple[str, Any, list[list[Any]]]]:
    out = []
    for module, payload in ((keras_catalog, KERAS), (hf_catalog, HF), (timm_catalog, TIMM)):
        entries = {e.qualname: e for e in module.ENTRIES}
        for qual, recorded in payload["signatures"].items():
            out.append((qual, entries[qual], recorded))
    return out


@pytest.mark.parametrize("qual,entry,recorded", _signature_cases(), ids=[c[0] for c in _signature_cases()])
def test_catalog_signature_matches_library(qual: str, entry: Any, recorded: list[list[Any]]) -> None:
    ours = [[p.name, _normalise(p.default), p.kind] for p in entry.params]
    assert ours == recorded


# Entries for objects the recorded library versions no longer have: transformers.AdamW was removed in 4.46;
# its signature was checked by hand against transformers 4.30.0 (optimization.py, AdamW.__init__).
REMOVED_FROM_RECORDED_VERSIONS = {"transformers.AdamW"}


def test_every_catalog_entry_with_a_library_object_was_recorded() -> None:
    for module, payload in ((keras_catalog, KERAS), (hf_catalog, HF), (timm_catalog, TIMM)):
        for entry in module.ENTRIES:
            if entry.qualname in REMOVED_FROM_RECORDED_VERSIONS:
                assert entry.qualname not in payload["signatures"]
            elif not entry.qualname.startswith("tensorflow."):
                assert entry.qualname in payload["signatures"], entry.qualname


def test_catalog_names_are_unique_and_well_formed() -> None:
    seen: dict[str, str] = {}
    modules = (keras_catalog, hf_catalog, timm_catalog, lightning_catalog)
    for module in modules:
        for entry in module.ENTRIES:
            assert entry.kind in ("optimizer", "scheduler", "schedule", "callback", "factory")
            assert entry.framework in ("keras", "hf", "timm", "lightning")
            assert entry.summary and entry.default_source
            for name in (entry.qualname,) + entry.aliases:
                assert name not in seen, f"{name} in {entry.qualname} and {seen.get(name)}"
                seen[name] = entry.qualname
            for arg in entry.length_args:
                assert entry.param(arg) is not None, (entry.qualname, arg)
    for qual in keras_catalog.STRING_OPTIMIZERS.values():
        assert qual in seen
    for qual in hf_catalog.SCHEDULER_TYPES.values():
        assert qual in seen
    assert set(hf_catalog.SCHEDULER_TYPE_MEMBERS.values()) == set(hf_catalog.SCHEDULER_TYPES)


def test_catalog_conventions() -> None:
    keras_entries = {e.short: e for e in keras_catalog.ENTRIES}
    assert keras_entries["SGD"].param("learning_rate").default == 0.01
    for name in ("Adam", "AdamW", "RMSprop", "Adagrad", "Adadelta", "Adamax", "Nadam", "Ftrl", "Lion", "Lamb",
                 "Adafactor"):
        assert keras_entries[name].param("learning_rate").default == 0.001, name
    assert keras_catalog.STANDALONE_KERAS2_LR["keras.optimizers.Adadelta"] == 1.0
    for e in keras_catalog.SCHEDULES + keras_catalog.TF1_SCHEDULES:
        assert e.kind == "schedule" and e.unit == "step"
    for e in keras_catalog.CALLBACKS:
        assert e.kind == "callback" and e.unit == "epoch"
    for e in hf_catalog.SCHEDULE_FUNCTIONS:
        assert e.params[0].name == "optimizer"
    ta = hf_catalog.TRAINING_ARGUMENTS[0]
    assert ta.param("warmup_ratio") is None and "warmup_ratio" in hf_catalog.REMOVED_PARAMS[ta.qualname]
    assert ta.param("learning_rate").default == 5e-05 and ta.param("lr_scheduler_type").default == "linear"
    trainer = lightning_catalog.TRAINER
    assert trainer.param("max_steps").default == -1 and trainer.param("accumulate_grad_batches").default == 1
    assert all(p.kind == "kwonly" for p in trainer.params)
    assert lightning_catalog.effective_max_epochs(None) == 1000
    assert lightning_catalog.effective_max_epochs(None, max_steps=500) == -1
    assert lightning_catalog.effective_max_epochs(None, has_timer=True) == -1
    assert lightning_catalog.effective_max_epochs(7, max_steps=500) == 7
    assert lightning_catalog.LR_SCHEDULER_CONFIG_DEFAULTS["interval"] == "epoch"
