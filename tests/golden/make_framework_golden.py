"""Record golden learning-rate curves from the REAL Keras, transformers and timm libraries.

Run (needs the libraries; see tests/test_framework_parity_live.py for the pip command)::

    KERAS_BACKEND=torch python tests/golden/make_framework_golden.py

Writes ``keras_curves.json``, ``hf_curves.json`` and ``timm_curves.json`` next to this file.
``tests/test_framework_golden.py`` replays them against lraudit's pure-Python simulators without importing
any of these libraries; ``tests/test_framework_parity_live.py`` reuses the ``run_*`` functions below on
random configurations.

How each library is driven (the semantics of reference section 0):

* Keras schedules: ``schedule(k)`` for k = 0..steps-1, once under ``keras.config.set_floatx("float64")``
  (``expected``; compared at rel 1e-9) and once under the default float32 (``expected_float32``; compared at
  float32 precision). TF1 ``tf.compat.v1.train.*_decay`` functions are recorded through the Keras class that
  TensorFlow's own ``legacy_learning_rate_decay.py`` builds (TensorFlow is not installed here).
* Keras callbacks: the real callback object with ``set_model`` on a stub holding a real Keras optimizer;
  ``LearningRateScheduler.on_epoch_begin(k)`` / ``ReduceLROnPlateau.on_epoch_end(k, {"val_loss": 1.0})``;
  the rate during epoch k is read from ``optimizer.learning_rate`` (a float32 variable).
* transformers: a real ``torch.optim.SGD`` and the real function; ``get_last_lr()[0]`` after k
  ``optimizer.step(); scheduler.step()`` pairs. ``TrainingArguments`` cases build a real ``Trainer`` on a
  tiny module and dataset and read ``set_initial_training_values`` and the scheduler it creates.
* timm: the real scheduler on a real ``torch.optim.SGD``; the construction lr, then ``step(k)`` /
  ``step_update(k)`` for k >= 1 (``step(k, metric=1.0)`` for the plateau scheduler).

timm trick: in this environment timm's top-level ``import timm`` imports torchvision, which may fail to
load beside the installed torch (``operator torchvision::nms does not exist``). The scheduler modules need
only torch, so ``load_timm_scheduler()`` registers an empty ``timm`` package whose ``__path__`` is the
installed timm directory and then imports ``timm.scheduler`` (whose ``__init__`` imports only scheduler
modules). CI installs timm with ``pip install --no-deps timm`` for the same reason.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import importlib.util
import io
import json
import math
import os
import sys
import tempfile
import types
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

os.environ.setdefault("KERAS_BACKEND", "torch")

HERE = Path(__file__).resolve().parent

# Schedule functions for keras.callbacks.LearningRateScheduler cases. tests/test_framework_golden.py loads
# this module (which imports no ML library at import time) so the replay uses the very same functions.
CALLBACK_FUNCTIONS: dict[str, Callable[..., Any]] = {
    "times_0.9": lambda epoch, lr: lr * 0.9,
    "halve_from_3": lambda epoch, lr: lr if epoch < 3 else lr * 0.5,
    "one_arg_exp": lambda epoch: 0.1 * math.exp(-0.1 * epoch),
    "warmup_5": lambda epoch, lr: 0.01 * (epoch + 1) / 5 if epoch < 5 else 0.01,
    "int_output": lambda epoch: 1,
}

# ------------------------------------------------------------------------------------------ loading


def load_timm_scheduler() -> types.ModuleType:
    """``timm.scheduler`` without running ``timm/__init__.py`` (which imports torchvision)."""
    if "timm.scheduler" in sys.modules:
        return sys.modules["timm.scheduler"]
    spec = importlib.util.find_spec("timm")
    if spec is None or not spec.submodule_search_locations:
        raise ImportError("timm is not installed")
    if "timm" not in sys.modules:
        package = types.ModuleType("timm")
        package.__path__ = list(spec.submodule_search_locations)
        package.__file__ = spec.origin
        sys.modules["timm"] = package
    return importlib.import_module("timm.scheduler")


def library_versions() -> dict[str, str]:
    import keras
    import torch
    import transformers

    timm_version = "unknown"
    spec = importlib.util.find_spec("timm")
    if spec and spec.submodule_search_locations:
        version_file = Path(list(spec.submodule_search_locations)[0]) / "version.py"
        if version_file.exists():
            for line in version_file.read_text().splitlines():
                if line.startswith("__version__"):
                    timm_version = line.split("=", 1)[1].strip().strip("'\"")
    return {
        "keras": keras.__version__,
        "keras_backend": keras.backend.backend(),
        "transformers": transformers.__version__,
        "timm": timm_version,
        "torch": torch.__version__,
        "python": sys.version.split()[0],
    }


def _error(exc: BaseException) -> dict[str, str]:
    return {"type": type(exc).__name__, "message": str(exc)}


def _floats(values: list[Any]) -> list[float]:
    return [float(v) for v in values]


# --------------------------------------------------------------------------------------------- Keras

_TF1_TO_KERAS = {
    "exponential_decay": "ExponentialDecay",
    "piecewise_constant": "PiecewiseConstantDecay",
    "polynomial_decay": "PolynomialDecay",
    "inverse_time_decay": "InverseTimeDecay",
    "cosine_decay": "CosineDecay",
    "cosine_decay_restarts": "CosineDecayRestarts",
    "natural_exp_decay": "ExponentialDecay",
}


def _keras_schedule(name: str, args: dict[str, Any]) -> Any:
    import keras

    short = name.rsplit(".", 1)[-1]
    if short in _TF1_TO_KERAS:
        a = {k: v for k, v in args.items() if k not in ("global_step", "x", "name")}
        if "learning_rate" in a:
            a["initial_learning_rate"] = a.pop("learning_rate")
        if short == "natural_exp_decay":
            a["decay_rate"] = math.exp(-a["decay_rate"])
        return getattr(keras.optimizers.schedules, _TF1_TO_KERAS[short])(**a)
    return getattr(keras.optimizers.schedules, short)(**args)


def run_keras_schedule(name: str, args: dict[str, Any], steps: int, floatx: str) -> list[float]:
    import keras

    previous = keras.config.floatx()
    keras.config.set_floatx(floatx)
    try:
        schedule = _keras_schedule(name, args)
        return [float(schedule(k)) for k in range(steps)]
    finally:
        keras.config.set_floatx(previous)


class _Stub:
    def __init__(self, optimizer: Any) -> None:
        self.optimizer = optimizer


def run_keras_callback(fn_key: str, initial_lr: float, epochs: int) -> list[float]:
    import keras

    optimizer = keras.optimizers.SGD(learning_rate=initial_lr)
    callback = keras.callbacks.LearningRateScheduler(CALLBACK_FUNCTIONS[fn_key])
    callback.set_model(_Stub(optimizer))
    out = []
    for epoch in range(epochs):
        callback.on_epoch_begin(epoch)
        out.append(float(keras.ops.convert_to_numpy(optimizer.learning_rate)))
    return out


def run_keras_plateau(initial_lr: float, factor: float, patience: int, cooldown: int, min_lr: float,
                      epochs: int) -> list[float]:
    import keras

    optimizer = keras.optimizers.SGD(learning_rate=initial_lr)
    callback = keras.callbacks.ReduceLROnPlateau(monitor="val_loss", factor=factor, patience=patience,
                                                 cooldown=cooldown, min_lr=min_lr)
    callback.set_model(_Stub(optimizer))
    callback.on_train_begin()
    out = []
    for epoch in range(epochs):
        out.append(float(keras.ops.convert_to_numpy(optimizer.learning_rate)))
        callback.on_epoch_end(epoch, {"val_loss": 1.0})
    return out


def keras_case(case: dict[str, Any]) -> dict[str, Any]:
    out = dict(case)
    kind = case["kind"]
    try:
        if kind == "schedule":
            out["expected"] = run_keras_schedule(case["name"], case["args"], case["steps"], "float64")
            out["expected_float32"] = run_keras_schedule(case["name"], case["args"], case["steps"], "float32")
        elif kind == "callback":
            out["expected"] = run_keras_callback(case["fn"], case["initial_lr"], case["epochs"])
        elif kind == "plateau":
            out["expected"] = run_keras_plateau(case["initial_lr"], case["factor"], case["patience"],
                                                case["cooldown"], case["min_lr"], case["epochs"])
        else:
            raise AssertionError(kind)
    except Exception as exc:  # the library raised: record it
        out["raises"] = _error(exc)
    return out


_KS = "keras.optimizers.schedules."
_TF = "tensorflow.compat.v1.train."

KERAS_CASES: list[dict[str, Any]] = [
    {"id": "exp-smooth", "kind": "schedule", "name": _KS + "ExponentialDecay",
     "args": {"initial_learning_rate": 0.1, "decay_steps": 10, "decay_rate": 0.5}, "steps": 40},
    {"id": "exp-staircase", "kind": "schedule", "name": _KS + "ExponentialDecay",
     "args": {"initial_learning_rate": 0.01, "decay_steps": 7, "decay_rate": 0.96, "staircase": True},
     "steps": 50},
    {"id": "exp-rate-above-one", "kind": "schedule", "name": _KS + "ExponentialDecay",
     "args": {"initial_learning_rate": 0.001, "decay_steps": 5, "decay_rate": 1.5}, "steps": 30},
    {"id": "exp-decay-steps-zero", "kind": "schedule", "name": _KS + "ExponentialDecay",
     "args": {"initial_learning_rate": 0.1, "decay_steps": 0, "decay_rate": 0.5}, "steps": 5},
    {"id": "piecewise", "kind": "schedule", "name": _KS + "PiecewiseConstantDecay",
     "args": {"boundaries": [5, 12], "values": [0.1, 0.01, 0.001]}, "steps": 20},
    {"id": "piecewise-increasing", "kind": "schedule", "name": _KS + "PiecewiseConstantDecay",
     "args": {"boundaries": [3], "values": [0.001, 0.1]}, "steps": 8},
    {"id": "piecewise-unsorted", "kind": "schedule", "name": _KS + "PiecewiseConstantDecay",
     "args": {"boundaries": [10, 4], "values": [1.0, 0.5, 0.25]}, "steps": 15},
    {"id": "piecewise-float-boundaries", "kind": "schedule", "name": _KS + "PiecewiseConstantDecay",
     "args": {"boundaries": [2.5, 6.9], "values": [0.3, 0.2, 0.1]}, "steps": 10},
    {"id": "piecewise-int-values", "kind": "schedule", "name": _KS + "PiecewiseConstantDecay",
     "args": {"boundaries": [3, 6], "values": [3, 2, 1]}, "steps": 10},
    {"id": "piecewise-length-mismatch", "kind": "schedule", "name": _KS + "PiecewiseConstantDecay",
     "args": {"boundaries": [3, 6], "values": [0.1, 0.01]}, "steps": 4},
    {"id": "poly-linear", "kind": "schedule", "name": _KS + "PolynomialDecay",
     "args": {"initial_learning_rate": 0.1, "decay_steps": 20}, "steps": 30},
    {"id": "poly-power-cycle", "kind": "schedule", "name": _KS + "PolynomialDecay",
     "args": {"initial_learning_rate": 0.1, "decay_steps": 6, "end_learning_rate": 0.01, "power": 2.0,
              "cycle": True}, "steps": 30},
    {"id": "poly-end-above-init", "kind": "schedule", "name": _KS + "PolynomialDecay",
     "args": {"initial_learning_rate": 0.001, "decay_steps": 10, "end_learning_rate": 0.01, "power": 0.5},
     "steps": 15},
    {"id": "inverse-time", "kind": "schedule", "name": _KS + "InverseTimeDecay",
     "args": {"initial_learning_rate": 0.1, "decay_steps": 4, "decay_rate": 0.5}, "steps": 25},
    {"id": "inverse-time-staircase", "kind": "schedule", "name": _KS + "InverseTimeDecay",
     "args": {"initial_learning_rate": 0.1, "decay_steps": 4, "decay_rate": 0.5, "staircase": True}, "steps": 25},
    {"id": "cosine", "kind": "schedule", "name": _KS + "CosineDecay",
     "args": {"initial_learning_rate": 0.1, "decay_steps": 20}, "steps": 30},
    {"id": "cosine-alpha", "kind": "schedule", "name": _KS + "CosineDecay",
     "args": {"initial_learning_rate": 0.05, "decay_steps": 13, "alpha": 0.1}, "steps": 20},
    {"id": "cosine-warmup", "kind": "schedule", "name": _KS + "CosineDecay",
     "args": {"initial_learning_rate": 0.0, "decay_steps": 20, "warmup_target": 0.1, "warmup_steps": 5},
     "steps": 30},
    {"id": "cosine-warmup-steps-ignored", "kind": "schedule", "name": _KS + "CosineDecay",
     "args": {"initial_learning_rate": 0.1, "decay_steps": 10, "warmup_steps": 5}, "steps": 12},
    {"id": "cosine-target-no-warmup", "kind": "schedule", "name": _KS + "CosineDecay",
     "args": {"initial_learning_rate": 0.5, "decay_steps": 10, "warmup_target": 0.1}, "steps": 12},
    {"id": "cosine-decay-steps-negative", "kind": "schedule", "name": _KS + "CosineDecay",
     "args": {"initial_learning_rate": 0.1, "decay_steps": -3}, "steps": 3},
    {"id": "restarts", "kind": "schedule", "name": _KS + "CosineDecayRestarts",
     "args": {"initial_learning_rate": 0.1, "first_decay_steps": 4}, "steps": 60},
    {"id": "restarts-tmul1-mmul", "kind": "schedule", "name": _KS + "CosineDecayRestarts",
     "args": {"initial_learning_rate": 0.1, "first_decay_steps": 5, "t_mul": 1.0, "m_mul": 0.5, "alpha": 0.1},
     "steps": 30},
    {"id": "restarts-tmul3", "kind": "schedule", "name": _KS + "CosineDecayRestarts",
     "args": {"initial_learning_rate": 0.2, "first_decay_steps": 3, "t_mul": 3.0, "m_mul": 0.8}, "steps": 60},
    {"id": "tf1-exponential", "kind": "schedule", "name": _TF + "exponential_decay",
     "args": {"learning_rate": 0.1, "global_step": 0, "decay_steps": 100, "decay_rate": 0.96, "staircase": True},
     "steps": 450},
    {"id": "tf1-natural-exp", "kind": "schedule", "name": _TF + "natural_exp_decay",
     "args": {"learning_rate": 0.1, "global_step": 0, "decay_steps": 5, "decay_rate": 0.5}, "steps": 30},
    {"id": "tf1-piecewise", "kind": "schedule", "name": _TF + "piecewise_constant",
     "args": {"x": 0, "boundaries": [10, 20], "values": [1.0, 0.5, 0.1]}, "steps": 30},
    {"id": "tf1-polynomial", "kind": "schedule", "name": _TF + "polynomial_decay",
     "args": {"learning_rate": 0.1, "global_step": 0, "decay_steps": 10, "end_learning_rate": 0.01,
              "power": 0.5}, "steps": 15},
    {"id": "tf1-cosine", "kind": "schedule", "name": _TF + "cosine_decay",
     "args": {"learning_rate": 0.1, "global_step": 0, "decay_steps": 10, "alpha": 0.0}, "steps": 15},
    {"id": "tf1-inverse-time", "kind": "schedule", "name": _TF + "inverse_time_decay",
     "args": {"learning_rate": 0.1, "global_step": 0, "decay_steps": 1, "decay_rate": 0.5}, "steps": 10},
    {"id": "lrs-decay-every-epoch", "kind": "callback", "fn": "times_0.9", "initial_lr": 0.1, "epochs": 20},
    {"id": "lrs-step-after-3", "kind": "callback", "fn": "halve_from_3", "initial_lr": 0.01, "epochs": 10},
    {"id": "lrs-one-arg", "kind": "callback", "fn": "one_arg_exp", "initial_lr": 0.5, "epochs": 12},
    {"id": "lrs-warmup", "kind": "callback", "fn": "warmup_5", "initial_lr": 0.001, "epochs": 10},
    {"id": "lrs-int-output", "kind": "callback", "fn": "int_output", "initial_lr": 0.1, "epochs": 3},
    {"id": "plateau-default", "kind": "plateau", "initial_lr": 0.1, "factor": 0.1, "patience": 10, "cooldown": 0,
     "min_lr": 0.0, "epochs": 40},
    {"id": "plateau-patience2", "kind": "plateau", "initial_lr": 0.1, "factor": 0.5, "patience": 2, "cooldown": 0,
     "min_lr": 0.0, "epochs": 20},
    {"id": "plateau-cooldown", "kind": "plateau", "initial_lr": 0.1, "factor": 0.5, "patience": 2, "cooldown": 3,
     "min_lr": 0.0, "epochs": 30},
    {"id": "plateau-cooldown1", "kind": "plateau", "initial_lr": 0.1, "factor": 0.5, "patience": 2, "cooldown": 1,
     "min_lr": 0.0, "epochs": 20},
    {"id": "plateau-min-lr", "kind": "plateau", "initial_lr": 0.1, "factor": 0.2, "patience": 1, "cooldown": 0,
     "min_lr": 0.001, "epochs": 15},
    {"id": "plateau-patience0", "kind": "plateau", "initial_lr": 0.3, "factor": 0.9, "patience": 0, "cooldown": 0,
     "min_lr": 0.0, "epochs": 12},
    {"id": "plateau-factor-one", "kind": "plateau", "initial_lr": 0.1, "factor": 1.0, "patience": 2, "cooldown": 0,
     "min_lr": 0.0, "epochs": 3},
]


# -------------------------------------------------------------------------------------- transformers


def _torch_optimizer(base_lr: float, defaults_lr: float | None) -> Any:
    import torch

    param = torch.nn.Parameter(torch.zeros(1))
    if defaults_lr is None:
        return torch.optim.SGD([param], lr=base_lr)
    return torch.optim.SGD([{"params": [param], "lr": base_lr}], lr=defaults_lr)


def run_hf(name: str, args: dict[str, Any], steps: int, base_lr: float,
           defaults_lr: float | None = None) -> list[float]:
    import transformers
    import transformers.optimization

    short = name.rsplit(".", 1)[-1]
    fn = getattr(transformers.optimization, short)
    optimizer = _torch_optimizer(base_lr, defaults_lr)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if short == "get_scheduler":
            scheduler = fn(args["name"], optimizer, **{k: v for k, v in args.items() if k != "name"})
        else:
            scheduler = fn(optimizer, **args)
        metric_driven = type(scheduler).__name__ in ("ReduceLROnPlateau", "GreedyLR")
        out = [scheduler.get_last_lr()[0]]
        for _ in range(steps - 1):
            optimizer.step()
            if metric_driven:
                scheduler.step(1.0)  # a metric that never improves after the first evaluation
            else:
                scheduler.step()
            out.append(scheduler.get_last_lr()[0])
    return _floats(out)


_HF_OUTPUT_DIR = os.path.join(tempfile.gettempdir(), "lraudit-hf-trainer")  # nothing is saved there


def _tiny_trainer(training_args: dict[str, Any], dataset_len: int) -> Any:
    import torch
    from transformers import Trainer, TrainingArguments

    class Tiny(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.w = torch.nn.Linear(2, 1)

        def forward(self, x: Any, labels: Any = None) -> dict[str, Any]:
            return {"loss": ((self.w(x).squeeze(-1) - labels) ** 2).mean()}

    class Data(torch.utils.data.Dataset):
        def __len__(self) -> int:
            return dataset_len

        def __getitem__(self, i: int) -> dict[str, Any]:
            return {"x": torch.ones(2), "labels": torch.tensor(1.0)}

    args = TrainingArguments(output_dir=_HF_OUTPUT_DIR, report_to="none", use_cpu=True, save_strategy="no",
                             **training_args)
    return Trainer(model=Tiny(), args=args, train_dataset=Data())


def run_hf_trainer(training_args: dict[str, Any], dataset_len: int, steps: int | None) -> dict[str, Any]:
    """N, the dataloader length, the warm-up steps and the scheduler's curve of a real Trainer."""
    with warnings.catch_warnings(), contextlib.redirect_stderr(io.StringIO()):
        warnings.simplefilter("ignore")
        trainer = _tiny_trainer(training_args, dataset_len)
        loader = trainer.get_train_dataloader()
        n = trainer.set_initial_training_values(trainer.args, loader)[-1]
        trainer.create_optimizer_and_scheduler(num_training_steps=n)
        optimizer, scheduler = trainer.optimizer, trainer.lr_scheduler
        out = [scheduler.get_last_lr()[0]]
        for _ in range((n if steps is None else steps) - 1):
            optimizer.step()
            scheduler.step()
            out.append(scheduler.get_last_lr()[0])
    return {"steps_per_epoch": len(loader), "num_training_steps": n,
            "warmup_steps": trainer.args.get_warmup_steps(n), "expected": _floats(out)}


def hf_case(case: dict[str, Any]) -> dict[str, Any]:
    out = dict(case)
    try:
        if case.get("kind") == "trainer":
            out.update(run_hf_trainer(case["training_args"], case["dataset_len"], case.get("steps")))
        elif case.get("kind") == "warmup":
            from transformers import TrainingArguments

            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                args = TrainingArguments(output_dir=_HF_OUTPUT_DIR, report_to="none",
                                         warmup_steps=case["warmup_steps"])
            out["expected"] = args.get_warmup_steps(case["num_training_steps"])
        else:
            out["expected"] = run_hf(case["name"], case["args"], case["steps"], case["base_lr"],
                                     case.get("defaults_lr"))
    except Exception as exc:
        out["raises"] = _error(exc)
    return out


_GS = "transformers.get_scheduler"
_HT = "transformers."


def _gs(id_: str, sched: str, warmup: Any, total: Any, steps: int, extra: dict[str, Any] | None = None,
        base_lr: float = 0.1, defaults_lr: float | None = None) -> dict[str, Any]:
    args: dict[str, Any] = {"name": sched, "num_warmup_steps": warmup, "num_training_steps": total}
    if extra is not None:
        args["scheduler_specific_kwargs"] = extra
    case = {"id": id_, "name": _GS, "args": args, "steps": steps, "base_lr": base_lr}
    if defaults_lr is not None:
        case["defaults_lr"] = defaults_lr
    return case


HF_CASES: list[dict[str, Any]] = [
    _gs("linear", "linear", 3, 10, 15),
    _gs("linear-no-warmup", "linear", 0, 20, 25),
    _gs("linear-float-warmup", "linear", 2.5, 10, 14),
    _gs("cosine", "cosine", 3, 10, 15),
    _gs("cosine-past-end", "cosine", 5, 20, 45),
    _gs("cosine-cycles-1.5", "cosine", 2, 20, 25, {"num_cycles": 1.5}),
    _gs("cosine-restarts", "cosine_with_restarts", 2, 22, 26, {"num_cycles": 3}),
    _gs("polynomial", "polynomial", 3, 10, 15, {"lr_end": 1e-4, "power": 2.0}),
    _gs("polynomial-defaults-lr", "polynomial", 2, 12, 15, {"lr_end": 1e-3}, base_lr=0.05, defaults_lr=0.1),
    _gs("polynomial-lr-end-too-big", "polynomial", 2, 12, 5, {"lr_end": 0.5}),
    _gs("constant", "constant", None, None, 8),
    _gs("constant-ignores-kwargs", "constant", 5, 10, 8, {"anything": 1}),
    _gs("constant-with-warmup", "constant_with_warmup", 4, None, 10),
    _gs("inverse-sqrt", "inverse_sqrt", 4, None, 30),
    _gs("inverse-sqrt-timescale", "inverse_sqrt", 0, None, 30, {"timescale": 7}),
    _gs("cosine-min-lr", "cosine_with_min_lr", 3, 15, 40, {"min_lr": 1e-3}),
    _gs("cosine-min-lr-rate", "cosine_with_min_lr", 3, 15, 20, {"min_lr_rate": 0.1}),
    _gs("cosine-min-lr-defaults", "cosine_with_min_lr", 3, 15, 20, {"min_lr": 1e-3}, base_lr=0.02,
        defaults_lr=0.1),
    _gs("cosine-min-lr-both", "cosine_with_min_lr", 3, 15, 5, {"min_lr": 1e-3, "min_lr_rate": 0.1}),
    _gs("cosine-min-lr-neither", "cosine_with_min_lr", 3, 15, 5),
    _gs("cosine-warmup-min-lr", "cosine_warmup_with_min_lr", 4, 16, 30, {"min_lr_rate": 0.05}),
    _gs("cosine-warmup-min-lr-rate", "cosine_warmup_with_min_lr", 4, 16, 20,
        {"min_lr": 0.01, "warmup_lr_rate": 0.2}),
    _gs("wsd", "warmup_stable_decay", 3, 20, 25, {"num_decay_steps": 5}),
    _gs("wsd-stable-1sqrt", "warmup_stable_decay", 4, None, 25,
        {"num_decay_steps": 6, "num_stable_steps": 8, "warmup_type": "cosine", "decay_type": "1-sqrt",
         "min_lr_ratio": 0.1}),
    _gs("wsd-short-training", "warmup_stable_decay", 5, 8, 15,
        {"num_decay_steps": 6, "warmup_type": "1-sqrt", "decay_type": "linear"}),
    _gs("wsd-missing-lengths", "warmup_stable_decay", 3, None, 5, {"num_decay_steps": 5}),
    _gs("wsd-bad-decay-type", "warmup_stable_decay", 3, 20, 5, {"num_decay_steps": 5, "decay_type": "exp"}),
    _gs("plateau", "reduce_lr_on_plateau", None, None, 30),
    _gs("plateau-kwargs", "reduce_lr_on_plateau", None, None, 30,
        {"patience": 2, "factor": 0.5, "cooldown": 3, "min_lr": 0.01, "mode": "max", "threshold_mode": "abs"}),
    _gs("plateau-factor-one", "reduce_lr_on_plateau", None, None, 3, {"factor": 1.0}),
    _gs("plateau-unknown-kwarg", "reduce_lr_on_plateau", None, None, 3, {"verbose": True}),
    _gs("greedy", "greedy", None, None, 40),
    _gs("greedy-patience0-increase", "greedy", None, None, 20, {"patience": 0, "warmup": 2, "max_lr": 0.15}),
    _gs("greedy-reset", "greedy", None, None, 40,
        {"patience": 1, "factor": 0.5, "min_lr": 0.02, "reset_start": 3, "cooldown": 1}),
    _gs("greedy-below-min-lr", "greedy", None, None, 30, {"patience": 2}, base_lr=5e-5),
    _gs("greedy-bad-mode", "greedy", None, None, 3, {"mode": "up"}),
    _gs("missing-warmup", "cosine", None, 10, 5),
    _gs("missing-total", "linear", 3, None, 5),
    _gs("unknown-name", "cosine_annealing", 3, 10, 5),
    _gs("unexpected-kwarg", "cosine", 3, 10, 5, {"min_lr": 1e-3}),
    {"id": "fn-linear", "name": _HT + "get_linear_schedule_with_warmup",
     "args": {"num_warmup_steps": 10, "num_training_steps": 100}, "steps": 110, "base_lr": 5e-5},
    {"id": "fn-cosine-resume", "name": _HT + "get_cosine_schedule_with_warmup",
     "args": {"num_warmup_steps": 0, "num_training_steps": 10, "last_epoch": -1}, "steps": 12, "base_lr": 1e-3},
    {"id": "fn-hard-restarts", "name": _HT + "get_cosine_with_hard_restarts_schedule_with_warmup",
     "args": {"num_warmup_steps": 1, "num_training_steps": 9, "num_cycles": 2}, "steps": 12, "base_lr": 0.3},
    {"id": "fn-constant", "name": _HT + "get_constant_schedule", "args": {}, "steps": 4, "base_lr": 0.2},
    {"id": "fn-polynomial-equal", "name": _HT + "get_polynomial_decay_schedule_with_warmup",
     "args": {"num_warmup_steps": 5, "num_training_steps": 5}, "steps": 7, "base_lr": 0.1},
    {"id": "fn-inverse-sqrt-default-timescale", "name": _HT + "get_inverse_sqrt_schedule",
     "args": {"num_warmup_steps": 0}, "steps": 5, "base_lr": 0.1},
    {"id": "fn-wsd", "name": _HT + "get_wsd_schedule",
     "args": {"num_warmup_steps": 2, "num_decay_steps": 4, "num_training_steps": 12, "num_cycles": 1.0},
     "steps": 14, "base_lr": 0.1},
    {"id": "warmup-ratio-0.1", "kind": "warmup", "warmup_steps": 0.1, "num_training_steps": 95},
    {"id": "warmup-one", "kind": "warmup", "warmup_steps": 1.0, "num_training_steps": 95},
    {"id": "warmup-1.5", "kind": "warmup", "warmup_steps": 1.5, "num_training_steps": 95},
    {"id": "warmup-0.999", "kind": "warmup", "warmup_steps": 0.999, "num_training_steps": 95},
    {"id": "warmup-int", "kind": "warmup", "warmup_steps": 12, "num_training_steps": 95},
    {"id": "warmup-negative", "kind": "warmup", "warmup_steps": -1, "num_training_steps": 95},
    {"id": "trainer-cosine-accum", "kind": "trainer", "dataset_len": 50,
     "training_args": {"per_device_train_batch_size": 4, "num_train_epochs": 2.5, "gradient_accumulation_steps": 3,
                       "warmup_steps": 0.1, "lr_scheduler_type": "cosine", "learning_rate": 0.01}},
    {"id": "trainer-default-linear", "kind": "trainer", "dataset_len": 37, "training_args": {}},
    {"id": "trainer-max-steps", "kind": "trainer", "dataset_len": 20, "steps": 40,
     "training_args": {"max_steps": 30, "warmup_steps": 1.0, "lr_scheduler_type": "cosine_with_min_lr",
                       "lr_scheduler_kwargs": {"min_lr_rate": 0.1}, "learning_rate": 0.001}},
]


# ---------------------------------------------------------------------------------------------- timm


def run_timm(name: str, args: dict[str, Any], steps: int, base_lr: float) -> dict[str, Any]:
    import torch

    sched_mod = load_timm_scheduler()
    short = name.rsplit(".", 1)[-1]
    optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=base_lr)
    result: dict[str, Any] = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if short == "create_scheduler_v2":
            scheduler, num_epochs = sched_mod.create_scheduler_v2(optimizer, **args)
            result["num_epochs"] = num_epochs
            result["class"] = None if scheduler is None else type(scheduler).__name__
        elif short == "create_scheduler":
            namespace = argparse.Namespace(**args["args"])
            scheduler, num_epochs = sched_mod.create_scheduler(namespace, optimizer,
                                                               updates_per_epoch=args.get("updates_per_epoch", 0))
            result["num_epochs"] = num_epochs
            result["class"] = None if scheduler is None else type(scheduler).__name__
        else:
            scheduler = getattr(sched_mod, short)(optimizer, **args)
        out = [optimizer.param_groups[0]["lr"]]
        for k in range(1, steps):
            if scheduler is None:
                pass
            elif type(scheduler).__name__ == "PlateauLRScheduler":
                scheduler.step(k, metric=1.0)
            elif scheduler.t_in_epochs:
                scheduler.step(k)
            else:
                scheduler.step_update(k)
            out.append(optimizer.param_groups[0]["lr"])
    result["expected"] = _floats(out)
    return result


def timm_case(case: dict[str, Any]) -> dict[str, Any]:
    out = dict(case)
    try:
        out.update(run_timm(case["name"], case["args"], case["steps"], case["base_lr"]))
    except Exception as exc:
        out["raises"] = _error(exc)
    return out


_TS = "timm.scheduler."
_V2 = _TS + "create_scheduler_v2"


def _tc(id_: str, cls: str, args: dict[str, Any], steps: int, base_lr: float = 0.1) -> dict[str, Any]:
    return {"id": id_, "name": _TS + cls, "args": args, "steps": steps, "base_lr": base_lr}


TIMM_CASES: list[dict[str, Any]] = [
    _tc("cosine", "CosineLRScheduler", {"t_initial": 20}, 25),
    _tc("cosine-warmup", "CosineLRScheduler", {"t_initial": 20, "warmup_t": 5, "warmup_lr_init": 1e-4,
                                               "lr_min": 1e-3}, 25),
    _tc("cosine-warmup-prefix", "CosineLRScheduler", {"t_initial": 15, "warmup_t": 3, "warmup_lr_init": 1e-5,
                                                      "warmup_prefix": True}, 22),
    _tc("cosine-cycles", "CosineLRScheduler", {"t_initial": 4, "cycle_mul": 2.0, "cycle_decay": 0.5,
                                               "cycle_limit": 3}, 32),
    _tc("cosine-cycles-equal", "CosineLRScheduler", {"t_initial": 5, "cycle_decay": 0.8, "cycle_limit": 4,
                                                     "lr_min": 1e-4}, 25),
    _tc("cosine-k-decay", "CosineLRScheduler", {"t_initial": 12, "k_decay": 2.0, "lr_min": 0.01}, 15),
    _tc("cosine-updates", "CosineLRScheduler", {"t_initial": 50, "warmup_t": 10, "t_in_epochs": False}, 60),
    _tc("cosine-noise", "CosineLRScheduler", {"t_initial": 30, "noise_range_t": [10, 25], "noise_pct": 0.5,
                                              "noise_std": 1.0, "noise_seed": 7}, 32),
    _tc("cosine-noise-open", "CosineLRScheduler", {"t_initial": 20, "noise_range_t": 5}, 22),
    _tc("cosine-noise-tight", "CosineLRScheduler", {"t_initial": 20, "noise_range_t": [0, 20], "noise_pct": 0.05,
                                                    "noise_std": 2.0}, 20),
    _tc("cosine-t0", "CosineLRScheduler", {"t_initial": 0}, 3),
    _tc("tanh", "TanhLRScheduler", {"t_initial": 20, "lr_min": 1e-4}, 25),
    _tc("tanh-warmup", "TanhLRScheduler", {"t_initial": 20, "warmup_t": 4, "warmup_lr_init": 1e-4}, 25),
    _tc("tanh-warmup-prefix-cycles", "TanhLRScheduler", {"t_initial": 6, "warmup_t": 2, "warmup_prefix": True,
                                                         "cycle_limit": 2, "cycle_mul": 1.5, "lb": -5.0,
                                                         "ub": 2.0}, 25),
    _tc("poly", "PolyLRScheduler", {"t_initial": 20}, 25),
    _tc("poly-power2-warmup", "PolyLRScheduler", {"t_initial": 20, "power": 2.0, "warmup_t": 3,
                                                  "warmup_lr_init": 1e-4, "lr_min": 1e-3, "k_decay": 0.5}, 25),
    _tc("step", "StepLRScheduler", {"decay_t": 5, "decay_rate": 0.5}, 25),
    _tc("step-default-no-decay", "StepLRScheduler", {"decay_t": 3}, 10),
    _tc("step-warmup-prefix", "StepLRScheduler", {"decay_t": 4, "decay_rate": 0.1, "warmup_t": 3,
                                                  "warmup_lr_init": 1e-3}, 20),
    _tc("step-float-decay-t", "StepLRScheduler", {"decay_t": 2.5, "decay_rate": 0.7, "warmup_t": 2,
                                                  "warmup_prefix": False}, 15),
    _tc("multistep", "MultiStepLRScheduler", {"decay_t": [3, 7, 12], "decay_rate": 0.5}, 16),
    _tc("multistep-warmup", "MultiStepLRScheduler", {"decay_t": [5, 10], "decay_rate": 0.1, "warmup_t": 2,
                                                     "warmup_lr_init": 0.01}, 16),
    _tc("plateau", "PlateauLRScheduler", {"patience_t": 2, "decay_rate": 0.5}, 20),
    _tc("plateau-warmup-cooldown-min", "PlateauLRScheduler", {"patience_t": 1, "decay_rate": 0.5, "warmup_t": 3,
                                                              "warmup_lr_init": 1e-3, "cooldown_t": 2,
                                                              "lr_min": 0.02, "mode": "min"}, 25),
    _tc("plateau-noise", "PlateauLRScheduler", {"patience_t": 2, "decay_rate": 0.5, "noise_range_t": [4, 12],
                                                "noise_type": "uniform", "noise_pct": 0.3}, 16),
    _tc("plateau-factor-one", "PlateauLRScheduler", {"decay_rate": 1.0}, 3),
    _tc("wsd", "WSDLRScheduler", {"t_initial": 20, "decay_t": 5, "warmup_t": 3, "warmup_lr_init": 1e-4}, 28),
    _tc("wsd-rsqrt-linear", "WSDLRScheduler", {"t_initial": 20, "decay_t": 6, "warmup_t": 4, "stable_fn": "rsqrt",
                                               "decay_fn": "linear", "lr_min": 1e-3}, 28),
    _tc("wsd-power-exp", "WSDLRScheduler", {"t_initial": 20, "decay_t": 8, "stable_fn": "power",
                                            "stable_timescale": 5, "stable_power": 0.3, "decay_fn": "exp",
                                            "decay_ratio": 0.05}, 24),
    _tc("wsd-bad-decay", "WSDLRScheduler", {"t_initial": 10, "decay_t": 20}, 3),
    {"id": "v2-default", "name": _V2, "args": {}, "steps": 305, "base_lr": 0.1},
    {"id": "v2-cosine-warmup-prefix-cooldown", "name": _V2,
     "args": {"sched": "cosine", "num_epochs": 100, "warmup_epochs": 5, "warmup_prefix": True,
              "cooldown_epochs": 10, "min_lr": 1e-5}, "steps": 120, "base_lr": 0.1},
    {"id": "v2-cosine-cycles", "name": _V2,
     "args": {"sched": "cosine", "num_epochs": 10, "cycle_limit": 2, "cycle_mul": 2.0, "cycle_decay": 0.5},
     "steps": 35, "base_lr": 0.1},
    {"id": "v2-step-updates", "name": _V2,
     "args": {"sched": "step", "num_epochs": 4, "decay_epochs": 1.5, "decay_rate": 0.5, "warmup_epochs": 1,
              "step_on_epochs": False, "updates_per_epoch": 5}, "steps": 22, "base_lr": 0.1},
    {"id": "v2-multistep", "name": _V2,
     "args": {"sched": "multistep", "num_epochs": 20, "decay_milestones": [5, 12], "warmup_epochs": 2,
              "warmup_prefix": True}, "steps": 25, "base_lr": 0.1},
    {"id": "v2-poly-noise", "name": _V2,
     "args": {"sched": "poly", "num_epochs": 30, "decay_rate": 0.9, "noise": [0.2, 0.8], "noise_seed": 3},
     "steps": 32, "base_lr": 0.1},
    {"id": "v2-noise-single", "name": _V2,
     "args": {"sched": "cosine", "num_epochs": 20, "noise": [0.5]}, "steps": 22, "base_lr": 0.1},
    {"id": "v2-tanh", "name": _V2, "args": {"sched": "tanh", "num_epochs": 15, "warmup_epochs": 3},
     "steps": 18, "base_lr": 0.1},
    {"id": "v2-plateau", "name": _V2, "args": {"sched": "plateau", "patience_epochs": 2, "warmup_epochs": 2},
     "steps": 15, "base_lr": 0.1},
    {"id": "v2-plateau-updates", "name": _V2,
     "args": {"sched": "plateau", "step_on_epochs": False, "updates_per_epoch": 4}, "steps": 3, "base_lr": 0.1},
    {"id": "v2-wsd", "name": _V2, "args": {"sched": "wsd", "num_epochs": 30, "warmup_epochs": 3},
     "steps": 35, "base_lr": 0.1},
    {"id": "v2-rsqrt-prefix", "name": _V2,
     "args": {"sched": "rsqrt", "num_epochs": 30, "warmup_epochs": 4, "warmup_prefix": True, "decay_epochs": 6},
     "steps": 36, "base_lr": 0.1},
    {"id": "v2-constant", "name": _V2, "args": {"sched": "constant", "warmup_epochs": 3}, "steps": 8,
     "base_lr": 0.1},
    {"id": "v2-none", "name": _V2, "args": {"sched": "none"}, "steps": 4, "base_lr": 0.1},
    {"id": "v2-unknown", "name": _V2, "args": {"sched": "cosinee"}, "steps": 4, "base_lr": 0.1},
    {"id": "v2-updates-missing", "name": _V2, "args": {"step_on_epochs": False}, "steps": 4, "base_lr": 0.1},
    {"id": "v2-wsd-bad-decay", "name": _V2, "args": {"sched": "wsd", "num_epochs": 10, "decay_epochs": 20},
     "steps": 4, "base_lr": 0.1},
    {"id": "argparse-cosine", "name": _TS + "create_scheduler",
     "args": {"args": {"sched": "cosine", "epochs": 12, "warmup_epochs": 2, "lr_noise": [0.5, 0.9], "seed": 11,
                       "eval_metric": "loss"}}, "steps": 16, "base_lr": 0.05},
    {"id": "argparse-updates", "name": _TS + "create_scheduler",
     "args": {"args": {"sched": "step", "epochs": 6, "decay_epochs": 2, "sched_on_updates": True},
              "updates_per_epoch": 3}, "steps": 25, "base_lr": 0.05},
]

# ------------------------------------------------------------------------------------ signatures


def _json_default(value: Any) -> Any:
    if value is inspect_empty():
        return "<required>"
    if isinstance(value, tuple):
        return [_json_default(v) for v in value]
    if isinstance(value, (int, float, str, bool)) or value is None:
        return value
    if isinstance(value, list):
        return [_json_default(v) for v in value]
    return repr(value)


def inspect_empty() -> Any:
    import inspect

    return inspect.Parameter.empty


def real_signature(obj: Any, *, dataclass_fields: bool = False) -> list[list[Any]]:
    """``[[name, default, kind], ...]`` of a callable (without self), JSON-friendly."""
    import dataclasses
    import inspect

    kinds = {inspect.Parameter.POSITIONAL_ONLY: "pos", inspect.Parameter.POSITIONAL_OR_KEYWORD: "pos",
             inspect.Parameter.KEYWORD_ONLY: "kwonly", inspect.Parameter.VAR_POSITIONAL: "varpos",
             inspect.Parameter.VAR_KEYWORD: "varkw"}
    if dataclass_fields:
        out = []
        for f in dataclasses.fields(obj):
            if not f.init:
                continue
            if f.default is not dataclasses.MISSING:
                default = f.default
            elif f.default_factory is not dataclasses.MISSING:
                default = f.default_factory()
            else:
                default = inspect.Parameter.empty
            out.append([f.name, _json_default(default), "pos"])
        return out
    target = obj.__init__ if isinstance(obj, type) else obj
    params = list(inspect.signature(target).parameters.values())
    if isinstance(obj, type):
        params = params[1:]
    out = []
    for p in params:
        default = p.default
        if p.kind in (inspect.Parameter.VAR_KEYWORD, inspect.Parameter.VAR_POSITIONAL):
            default = inspect.Parameter.empty
        out.append([p.name, _json_default(default), kinds[p.kind]])
    return out


def record_signatures(framework: str) -> dict[str, list[list[Any]]]:
    """Real signatures of every catalog entry of ``framework`` that the installed libraries provide."""
    module = importlib.import_module(f"lraudit.catalog.{framework}")
    out: dict[str, list[list[Any]]] = {}
    for entry in module.ENTRIES:
        qual = entry.qualname
        if qual.startswith("tensorflow."):
            continue  # TensorFlow is not installed here
        if qual.startswith("timm."):
            sched_mod = load_timm_scheduler()
            obj = getattr(sched_mod, entry.short)
        else:
            mod_name, _, attr = qual.rpartition(".")
            obj = getattr(importlib.import_module(mod_name), attr, None)
            if obj is None:  # an entry for an object this version removed (transformers.AdamW)
                continue
        if entry.short in ("TrainingArguments", "Seq2SeqTrainingArguments"):
            out[qual] = real_signature(obj, dataclass_fields=True)
        else:
            out[qual] = real_signature(obj)
    return out


# --------------------------------------------------------------------------------------------- main


def main() -> None:
    versions = library_versions()
    keras_cases = [keras_case(c) for c in KERAS_CASES]
    hf_cases = [hf_case(c) for c in HF_CASES]
    timm_cases = [timm_case(c) for c in TIMM_CASES]
    import keras

    string_optimizers = {}
    for key in ("sgd", "adam", "Adam", "ADAM", "adamw", "rmsprop", "adagrad", "adadelta", "adamax", "nadam", "ftrl",
                "lion", "lamb", "adafactor", "muon", "schedulefreeadamw"):
        try:
            opt = keras.optimizers.get(key)
            string_optimizers[key] = type(opt).__name__
        except Exception:
            string_optimizers[key] = None
    files = {
        "keras_curves.json": {"versions": versions, "cases": keras_cases,
                              "signatures": record_signatures("keras"), "string_optimizers": string_optimizers},
        "hf_curves.json": {"versions": versions, "cases": hf_cases, "signatures": record_signatures("hf")},
        "timm_curves.json": {"versions": versions, "cases": timm_cases, "signatures": record_signatures("timm")},
    }
    for filename, payload in files.items():
        (HERE / filename).write_text(json.dumps(payload, indent=1, sort_keys=True) + "\n")
    counts = {name: len(p["cases"]) for name, p in files.items()}
    print(json.dumps({"versions": versions, "cases": counts}, indent=1))


if __name__ == "__main__":
    main()
