"""Integration: the facts lraudit extracts from the framework fixtures match fixtures/frameworks/EXPECTED.yaml.

Keras, Hugging Face, Lightning, timm, hand-written schedules and notebooks. Each scheduler with ``lr_at`` is also
simulated and compared with values recorded from the REAL libraries (keras 3.15.1 on the torch backend,
transformers 5.24.0, timm 1.0.31, torch 2.13) or, for hand-written schedules, from the script's own functions run by
Python. The recording code is ``record()`` at the bottom of this file (it needs those libraries; the tests do not):

    KERAS_BACKEND=torch /work/venv/bin/python tests/test_framework_facts.py

prints every ``lr_at`` block; EXPECTED.yaml holds them as printed.
"""

from __future__ import annotations

import math
import sys
from functools import lru_cache
from pathlib import Path
from typing import Any

import libcst as cst
import pytest
import yaml

from lraudit.extract.build import extract
from lraudit.facts import FileFacts, Known, Unknown
from lraudit.notebook import NotebookScript, notebook_script
from lraudit.simulate import SimOptions, simulate_scheduler

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures" / "frameworks"
EXPECTED: dict[str, Any] = yaml.safe_load((FIXTURES / "EXPECTED.yaml").read_text())
NAMES = sorted(EXPECTED)


@lru_cache(maxsize=None)
def _load(name: str) -> tuple[FileFacts, NotebookScript | None]:
    path = FIXTURES / name
    script = None
    if name.endswith(".ipynb"):
        nb = notebook_script(path.read_bytes())
        assert isinstance(nb, NotebookScript), nb
        script, text = nb, nb.text
    else:
        text = path.read_text()
    return extract(cst.parse_module(text), str(path)).facts, script


def _line(name: str, line: int) -> int | str:
    """A fact's line as EXPECTED.yaml writes it: the line, or "CELL:LINE" in a notebook."""
    script = _load(name)[1]
    if script is None:
        return line
    cell, in_cell = script.cell_of(line)
    return f"{cell}:{in_cell}"


def _close(a: Any, b: Any) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return a == b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-15)
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(_close(x, y) for x, y in zip(a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_close(a[k], b[k]) for k in a)
    return a == b or repr(a) == b


def _check_value(got: Any, want: Any, what: Any) -> None:
    if want is None:
        assert isinstance(got, Unknown), (what, got)
    else:
        assert isinstance(got, Known), (what, got)
        assert _close(got.value, want), (what, got, want)


def test_every_fixture_has_expectations() -> None:
    files = sorted(str(p.relative_to(FIXTURES)) for p in FIXTURES.rglob("*") if p.suffix in (".py", ".ipynb"))
    assert files and set(files) == set(EXPECTED), set(files) ^ set(EXPECTED)
    for kind in ("keras", "hf", "lightning", "timm", "manual"):
        assert len([f for f in files if f.startswith(kind + "/")]) >= 5, kind
    assert len([f for f in files if f.endswith(".ipynb")]) >= 3


@pytest.mark.parametrize("name", NAMES)
def test_optimizers(name: str) -> None:
    facts, _ = _load(name)
    want = EXPECTED[name].get("optimizers") or []
    got = facts.optimizers
    assert [(o.cls, _line(name, o.loc.line)) for o in got] == [(w["class"], w["line"]) for w in want]
    sched_by_line = {_line(name, s.loc.line): s.id for s in facts.schedulers}
    for o, w in zip(got, want):
        assert o.variable == w.get("variable"), (o.id, o.variable)
        _check_value(o.lr, w["lr"], (o.id, "lr"))
        if "framework" in w:
            assert o.framework == w["framework"], (o.id, o.framework)
        if "lr_source_contains" in w:
            assert w["lr_source_contains"].lower() in o.lr.source.lower(), (o.lr, w["lr_source_contains"])
        for k, v in (w.get("params") or {}).items():
            _check_value(o.params.get(k), v, (o.id, k))
        if "step_lines" in w:
            lines = sorted({_line(name, s.loc.line) for s in facts.optimizer_steps
                            if s.target == o.id and s.loc != o.loc}, key=str)
            assert lines == sorted(w["step_lines"], key=str), (o.id, lines)
        if "lr_is_schedule_line" in w:
            assert o.lr_is_schedule == sched_by_line.get(w["lr_is_schedule_line"]), (o.id, o.lr_is_schedule)


@pytest.mark.parametrize("name", NAMES)
def test_schedulers(name: str) -> None:
    facts, _ = _load(name)
    want = EXPECTED[name].get("schedulers") or []
    got = facts.schedulers
    assert [(s.cls, _line(name, s.loc.line)) for s in got] == [(w["class"], w["line"]) for w in want]
    opt_by_line = {_line(name, o.loc.line): o.id for o in facts.optimizers}
    for s, w in zip(got, want):
        assert s.variable == w.get("variable"), (s.id, s.variable)
        if "optimizer_line" in w:
            assert s.optimizer == opt_by_line.get(w["optimizer_line"]), (s.id, s.optimizer, s.optimizer_reason)
        for k, v in (w.get("args") or {}).items():
            _check_value(s.args.get(k), v, (s.id, k))
        assert s.stepped == w["stepped"], (s.id, s.stepped, [(x.method, x.context) for x in s.step_sites])
        if "step_lines" in w:
            assert sorted((_line(name, x.loc.line) for x in s.step_sites), key=str) == sorted(w["step_lines"], key=str)
        for key in ("framework", "unit"):
            if key in w:
                assert getattr(s, key) == w[key], (s.id, key, getattr(s, key))
        if "horizon" in w:
            _check_value(s.horizon, w["horizon"], (s.id, "horizon"))
        for key in ("interval", "monitor"):
            if key in w:
                got_v = getattr(s, key)
                if w[key] is None:
                    assert got_v is None or not isinstance(got_v, Known) or got_v.value is None, (s.id, key, got_v)
                else:
                    assert isinstance(got_v, Known) and got_v.value == w[key], (s.id, key, got_v)
        if "description_contains" in w:
            assert w["description_contains"] in (s.description or ""), (s.id, s.description)
        if "groups" in w:
            assert facts.extra["manual_plans"][s.id].groups == w["groups"], s.id
        if "custom_line" in w:
            assert s.custom_get_lr is not None and _line(name, s.custom_get_lr.line) == w["custom_line"]


@pytest.mark.parametrize("name", [n for n in NAMES if "epochs" in EXPECTED[n] or "total_steps" in EXPECTED[n]])
def test_horizon(name: str) -> None:
    facts, _ = _load(name)
    for key, attr in (("epochs", "epochs"), ("total_steps", "total_steps")):
        if key in EXPECTED[name]:
            _check_value(getattr(facts.horizon, attr), EXPECTED[name][key], key)


@pytest.mark.parametrize("name", [n for n in NAMES if EXPECTED[n].get("lr_writes")])
def test_lr_writes(name: str) -> None:
    facts, _ = _load(name)
    got = sorted((_line(name, w.loc.line), w.context) for w in facts.lr_writes)
    want = sorted((w["line"], w["context"]) for w in EXPECTED[name]["lr_writes"])
    assert [g[0] for g in got] == [w[0] for w in want]
    for (line, context), (_, want_context) in zip(got, want):
        if line in EXPECTED[name].get("lr_write_context_known_wrong", []):
            continue  # see test_lr_write_context_in_called_helper
        assert context == want_context, (line, context, want_context)


def test_lr_write_context_in_called_helper() -> None:
    name = "manual/step_decay_adjust_kwargs.py"
    facts, _ = _load(name)
    assert [(w.loc.line, w.context) for w in facts.lr_writes] == [(19, "epoch")]


def _curve_cases() -> list[tuple[str, int]]:
    out = []
    for name in NAMES:
        for i, w in enumerate(EXPECTED[name].get("schedulers") or []):
            if "lr_at" in w:
                out.append((name, i))
    return out


@pytest.mark.parametrize(("name", "index"), _curve_cases())
def test_lr_at(name: str, index: int) -> None:
    facts, _ = _load(name)
    w = EXPECTED[name]["schedulers"][index]
    s = facts.schedulers[index]
    ks = {int(k): v for k, v in w["lr_at"].items()}
    curve = simulate_scheduler(facts, s, SimOptions(steps=max(ks) + 1))
    rel = float(w.get("lr_at_rel_tol", 1e-9))
    matches = curve.lr is not None and all(math.isclose(curve.lr[k], v, rel_tol=rel, abs_tol=1e-15)
                                           for k, v in ks.items())
    if w.get("lr_at_simulation_known_wrong"):
        if matches:
            pytest.fail("the simulation now matches the library: remove lr_at_simulation_known_wrong")
        pytest.xfail(w["lr_at_simulation_known_wrong"])
    assert curve.lr is not None, (s.id, curve.error)
    for k, v in sorted(ks.items()):
        assert math.isclose(curve.lr[k], v, rel_tol=rel, abs_tol=1e-15), (s.id, k, curve.lr[k], v)


@pytest.mark.parametrize("name", [n for n in NAMES if "extra" in EXPECTED[n]])
def test_extra(name: str) -> None:
    facts, _ = _load(name)
    sched_by_line = {_line(name, s.loc.line): s.id for s in facts.schedulers}
    for key, want in EXPECTED[name]["extra"].items():
        got = facts.extra.get(key)
        if isinstance(want, dict) and all(isinstance(k, (int, str)) and k in sched_by_line for k in want):
            want = {sched_by_line[k]: v for k, v in want.items()}
            assert isinstance(got, dict)
            for sid, fields in want.items():
                if not isinstance(fields, dict):
                    assert got[sid] == fields, (key, sid, got[sid])
                    continue
                for f, v in fields.items():
                    assert got[sid][f] == v, (key, sid, f, got[sid])
        else:
            assert got == want, (key, got)


def test_notebook_cells_map_back() -> None:
    nb = notebook_script((FIXTURES / "notebooks" / "keras_inverse_time_decay.ipynb").read_bytes())
    assert isinstance(nb, NotebookScript)
    assert nb.skipped == []
    lines = nb.text.splitlines()
    # `!pip install` and `%matplotlib inline` are neutralised, `%%time` keeps its Python body, `obj?` is help
    assert lines[nb.script_line(2, 1) - 1].strip() == "pass"
    assert lines[nb.script_line(7, 2) - 1].startswith("history = model.fit(")
    assert lines[nb.script_line(8, 2) - 1].strip() == "pass"
    assert nb.cell_of(nb.script_line(6, 4) or 0) == (6, 4)


def test_notebook_magics_keep_python_parseable() -> None:
    import json

    cells = [
        "msg = ('loss %.3f'\n       % 0.5)\n!ls \\\n  -la\nfiles = !ls\nfor i in range(2):\n    !echo hi\nmodel.fit?",
        "%%bash\necho not python",
        "%time y = 1 + 1",
        "def broken(:\n    pass",
        "%%writefile train.py\nimport torch\n",
    ]
    nb = {"cells": [{"cell_type": "code", "source": c} for c in cells], "nbformat": 4, "nbformat_minor": 5,
          "metadata": {"kernelspec": {"language": "python"}}}
    script = notebook_script(json.dumps(nb).encode())
    assert isinstance(script, NotebookScript)
    assert script.skipped == [4]
    cst.parse_module(script.text)
    text = script.text.splitlines()
    assert text[0] == "msg = ('loss %.3f'" and text[1] == "       % 0.5)"  # a continuation, not a magic
    assert "files = None" in text and "y = 1 + 1" in text and "import torch" not in script.text


# ====================================================================================== recording (not a test)
# Each entry: fixture -> scheduler index -> (how, arguments, steps k). Values come from the real libraries.
_KS = [0]


def _keras_schedule(cls: str, ks: list[int], **args: Any) -> dict[int, float]:
    import keras

    previous = keras.config.floatx()
    keras.config.set_floatx("float64")
    try:
        schedule = getattr(keras.optimizers.schedules, cls)(**args)
        return {k: float(schedule(k)) for k in ks}
    finally:
        keras.config.set_floatx(previous)


class _Model:
    def __init__(self, optimizer: Any) -> None:
        self.optimizer = optimizer


def _fixture_function(path: str, name: str, **modules: Any) -> Any:
    """A def from a fixture, run by Python (its module imports libraries that are not installed here)."""
    import ast

    tree = ast.parse((FIXTURES / path).read_text())
    namespace: dict[str, Any] = {"math": math, **modules}
    for node in tree.body:
        if isinstance(node, ast.Assign) and all(isinstance(t, ast.Name) and t.id.isupper() for t in node.targets):
            exec(compile(ast.Module([node], []), path, "exec"), namespace)  # noqa: S102 - our own fixture
        if isinstance(node, ast.FunctionDef) and node.name == name:
            exec(compile(ast.Module([node], []), path, "exec"), namespace)  # noqa: S102
    return namespace[name]


def _keras_callback(path: str, fn: str, lr0: float, ks: list[int]) -> dict[int, float]:
    import keras

    optimizer = keras.optimizers.SGD(learning_rate=lr0)
    callback = keras.callbacks.LearningRateScheduler(_fixture_function(path, fn))
    callback.set_model(_Model(optimizer))
    out = {}
    for epoch in range(max(ks) + 1):
        callback.on_epoch_begin(epoch)
        if epoch in ks:
            out[epoch] = float(keras.ops.convert_to_numpy(optimizer.learning_rate))
    return out


def _keras_plateau(lr0: float, ks: list[int], **args: Any) -> dict[int, float]:
    import keras

    optimizer = keras.optimizers.Adam(learning_rate=lr0)
    callback = keras.callbacks.ReduceLROnPlateau(**args)
    callback.set_model(_Model(optimizer))
    callback.on_train_begin()
    out = {}
    for epoch in range(max(ks) + 1):
        if epoch in ks:
            out[epoch] = float(keras.ops.convert_to_numpy(optimizer.learning_rate))
        callback.on_epoch_end(epoch, {args.get("monitor", "val_loss"): 1.0})
    return out


def _torch_steps(make: Any, lr: float, ks: list[int], metric: float | None = None,
                 method: str = "step") -> dict[int, float]:
    import torch

    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=lr)
    sched = make(opt)
    out = {}
    for k in range(max(ks) + 1):
        if k in ks:
            out[k] = float(opt.param_groups[0]["lr"])
        opt.step()
        if metric is not None:
            sched.step(metric)
        elif method == "step_update":
            sched.step_update(k + 1)
        elif method == "step_epoch":
            sched.step(k + 1)
        else:
            sched.step()
    return out


def _hf_trainer(lr: float, ks: list[int], **training_args: Any) -> dict[int, float]:
    import tempfile

    import transformers

    with tempfile.TemporaryDirectory() as tmp:
        args = transformers.TrainingArguments(output_dir=tmp, learning_rate=lr, report_to="none", **training_args)
        n = args.max_steps
        return _torch_steps(lambda opt: transformers.get_scheduler(
            args.lr_scheduler_type, opt, num_warmup_steps=args.get_warmup_steps(n), num_training_steps=n,
            scheduler_specific_kwargs=args.lr_scheduler_kwargs), lr, ks)


def _timm() -> Any:
    import importlib
    import importlib.util
    import types

    if "timm" not in sys.modules:
        spec = importlib.util.find_spec("timm")
        package = types.ModuleType("timm")
        package.__path__ = list(spec.submodule_search_locations)  # type: ignore[union-attr]
        sys.modules["timm"] = package
    return importlib.import_module("timm.scheduler")


def _manual(path: str, make: Any, ks: list[int]) -> dict[int, float]:
    module = _fixture_module(path)
    return {k: float(make(module, k)) for k in ks}


class _Groups:
    def __init__(self, lr: float) -> None:
        self.param_groups = [{"lr": lr, "initial_lr": lr}]


def _written(fn: Any, lr: float, *args: Any, **kwargs: Any) -> float:
    opt = _Groups(lr)
    fn(opt, *args, **kwargs)
    return opt.param_groups[0]["lr"]


def _recipes() -> dict[str, dict[int, Any]]:
    t = _timm
    import argparse

    import transformers

    def deit_args() -> argparse.Namespace:
        # the fixture imports timm.optim (which needs torchvision): run only its get_args_parser()
        return _fixture_function("timm/create_scheduler_argparse.py", "get_args_parser",
                                 argparse=argparse)().parse_args([])

    def yolo(m: Any, k: int) -> float:
        # the warm-up write runs while ni <= WARMUP_ITERS with ni = i + nb * epoch; nb = len(train_loader) is not
        # stated, so lraudit assumes 100 batches per epoch: k = ni; afterwards the LambdaLR's step() at the end of
        # each epoch sets the rate (initial_lr * lf(epoch)), as in the real run
        import numpy as np

        lf = _fixture_lambda("manual/warmup_interp_then_lambda.py", "lf")
        epoch = k // 100
        if k <= m.WARMUP_ITERS:
            return float(np.interp(k, [0, m.WARMUP_ITERS], [0.0, m.LR0 * lf(epoch)]))
        return m.LR0 * lf(epoch)

    return {
        "keras/exponential_decay_staircase.py": {0: lambda ks: _keras_schedule(
            "ExponentialDecay", ks, initial_learning_rate=1e-3, decay_steps=780, decay_rate=0.9, staircase=True)},
        "keras/cosine_decay_warmup.py": {0: lambda ks: _keras_schedule(
            "CosineDecay", ks, initial_learning_rate=1e-6, decay_steps=8775, alpha=0.01, warmup_target=1e-3,
            warmup_steps=975)},
        "keras/bad_exponential_decay_rate_above_one.py": {0: lambda ks: _keras_schedule(
            "ExponentialDecay", ks, initial_learning_rate=0.01, decay_steps=1000, decay_rate=1.5)},
        "keras/bad_callback_on_schedule_optimizer.py": {0: lambda ks: _keras_schedule(
            "PiecewiseConstantDecay", ks, boundaries=[2000, 4000], values=[1e-3, 1e-4, 1e-5])},
        "keras/tf1_momentum_global_step.py": {0: lambda ks: _keras_schedule(  # what TF's piecewise_constant builds
            "PiecewiseConstantDecay", ks, boundaries=[32000, 48000], values=[0.1, 0.01, 0.001])},
        "keras/lr_scheduler_callback_two_arg.py": {0: lambda ks: _keras_callback(
            "keras/lr_scheduler_callback_two_arg.py", "scheduler", 0.05, ks)},
        "keras/step_decay_one_arg.py": {0: lambda ks: _keras_callback(
            "keras/step_decay_one_arg.py", "step_decay", 0.1, ks)},
        "keras/compile_string_reduce_on_plateau.py": {0: lambda ks: _keras_plateau(
            0.001, ks, monitor="val_loss", factor=0.5, patience=3, min_lr=1e-6)},
        "notebooks/keras_inverse_time_decay.ipynb": {0: lambda ks: _keras_schedule(
            "InverseTimeDecay", ks, initial_learning_rate=0.01, decay_steps=1000, decay_rate=0.5)},
        "hf/trainer_cosine_max_steps.py": {0: lambda ks: _hf_trainer(
            3e-4, ks, lr_scheduler_type="cosine", warmup_steps=0.05, max_steps=2000, gradient_accumulation_steps=4)},
        "hf/seq2seq_polynomial_kwargs.py": {0: lambda ks: _hf_trainer(
            1e-3, ks, lr_scheduler_type="polynomial", lr_scheduler_kwargs={"lr_end": 1e-6, "power": 2.0},
            warmup_steps=500, max_steps=5000)},
        "notebooks/hf_trainer_constant_warmup.ipynb": {0: lambda ks: _hf_trainer(
            2e-5, ks, lr_scheduler_type="constant_with_warmup", warmup_steps=100, max_steps=1000)},
        "hf/trainer_given_optimizer_only.py": {0: lambda ks: _hf_trainer(
            2e-5, ks, lr_scheduler_type="cosine", warmup_steps=200, max_steps=3000)},
        "manual/engine_imports_lr_helper.py": {0: lambda ks: _manual(  # epoch + it / ITERS_PER_EPOCH, k = 200 epoch + it
            "manual/warmup_step_utils.py", lambda m, k: _written(
                m.adjust_learning_rate, 4e-4, k // 200 + (k % 200) / 200, 4e-4, 5, 50, min_lr=1e-6), ks)},
        "hf/trainer_with_own_optimizer.py": {0: lambda ks: _torch_steps(
            lambda o: transformers.get_cosine_schedule_with_warmup(o, num_warmup_steps=600, num_training_steps=10000),
            1e-4, ks)},
        "lightning/cosine_trainer_max_epochs.py": {0: lambda ks: _torch_steps(
            lambda o: __import__("torch").optim.lr_scheduler.CosineAnnealingLR(o, T_max=25, eta_min=1e-5), 2e-3, ks)},
        "hf/custom_loop_linear_warmup.py": {0: lambda ks: _torch_steps(
            lambda o: transformers.get_linear_schedule_with_warmup(o, 300, 6000), 2e-5, ks)},
        "hf/bad_warmup_longer_than_training.py": {0: lambda ks: _torch_steps(
            lambda o: transformers.get_cosine_schedule_with_warmup(o, 2000, 1500), 2e-5, ks)},
        "timm/cosine_step_update.py": {0: lambda ks: _torch_steps(lambda o: t().CosineLRScheduler(
            o, t_initial=7500, lr_min=1e-6, warmup_t=500, warmup_lr_init=1e-6, t_in_epochs=False), 5e-4, ks,
            method="step_update")},
        "timm/create_scheduler_v2_epochs.py": {0: lambda ks: _torch_steps(lambda o: t().create_scheduler_v2(
            o, sched="cosine", num_epochs=100, warmup_epochs=5, warmup_lr=1e-4, min_lr=1e-5, cooldown_epochs=10)[0],
            0.2, ks, method="step_epoch")},
        "timm/create_scheduler_argparse.py": {0: lambda ks: _torch_steps(
            lambda o: t().create_scheduler(deit_args(), o)[0], 5e-4, ks, method="step_epoch")},
        "timm/step_scheduler_epochs.py": {0: lambda ks: _torch_steps(lambda o: t().StepLRScheduler(
            o, decay_t=2.4, decay_rate=0.97, warmup_t=3, warmup_lr_init=1e-6), 0.048, ks, method="step_epoch")},
        "timm/multistep_v2_on_updates.py": {0: lambda ks: _torch_steps(lambda o: t().create_scheduler_v2(
            o, sched="multistep", num_epochs=90, decay_milestones=[30, 60], decay_rate=0.1, warmup_epochs=1,
            warmup_lr=0.01, step_on_epochs=False, updates_per_epoch=100)[0], 0.1, ks, method="step_update")},
        "lightning/cosine_hparams_lists.py": {0: lambda ks: _torch_steps(
            lambda o: __import__("torch").optim.lr_scheduler.CosineAnnealingLR(o, T_max=40), 0.05, ks)},
        "lightning/plateau_monitor_dict.py": {0: lambda ks: _torch_steps(
            lambda o: __import__("torch").optim.lr_scheduler.ReduceLROnPlateau(
                o, mode="max", factor=0.5, patience=4, min_lr=1e-6), 1e-4, ks, metric=1.0)},
        "lightning/bad_plateau_without_monitor.py": {0: lambda ks: _torch_steps(
            lambda o: __import__("torch").optim.lr_scheduler.ReduceLROnPlateau(o, factor=0.2, patience=5), 3e-3, ks,
            metric=1.0)},
        "lightning/warmup_lambda_max_steps.py": {0: lambda ks: _torch_steps(
            lambda o: __import__("torch").optim.lr_scheduler.LambdaLR(
                o, lambda step: min(max(step, 1) / 4000, math.sqrt(4000 / max(step, 1)))), 7e-4, ks)},
        "lightning/manual_optimization_steplr.py": {
            i: (lambda ks: _torch_steps(lambda o: __import__("torch").optim.lr_scheduler.StepLR(
                o, step_size=10, gamma=0.5), 2e-4, ks)) for i in (0, 1)},
        "lightning/bad_onecycle_epoch_interval.py": {0: lambda ks: _torch_steps(
            lambda o: __import__("torch").optim.lr_scheduler.OneCycleLR(o, max_lr=0.01, epochs=20,
                                                                        steps_per_epoch=300), 0.01, ks)},
        "notebooks/bad_cosine_tmax_too_short.ipynb": {0: lambda ks: _torch_steps(
            lambda o: __import__("torch").optim.lr_scheduler.CosineAnnealingLR(o, T_max=10, eta_min=1e-6), 3e-4, ks)},
        "manual/step_decay_adjust_kwargs.py": {0: lambda ks: _manual(
            "manual/step_decay_adjust_kwargs.py", lambda m, k: _written(m.adjust_learning_rate, 0.1, epoch=k), ks)},
        "manual/warmup_cosine_iters.py": {0: lambda ks: _manual(
            "manual/warmup_cosine_iters.py", lambda m, k: m.get_lr(k), ks)},
        "manual/poly_lr_per_iteration.py": {0: lambda ks: _manual(  # cur_iter = epoch * ITERS_PER_EPOCH + i = k
            "manual/poly_lr_per_iteration.py", lambda m, k: m.poly_lr(m.BASE_LR, k, m.EPOCHS * m.ITERS_PER_EPOCH), ks)},
        "manual/fractional_epoch_cosine.py": {0: lambda ks: _manual(  # epoch = k // 1250, step = k % 1250
            "manual/fractional_epoch_cosine.py", lambda m, k: _written(
                m.adjust_learning_rate, m.BASE_LR,
                (k % m.STEPS_PER_EPOCH) / m.STEPS_PER_EPOCH + k // m.STEPS_PER_EPOCH), ks)},
        "manual/bad_first_group_only.py": {0: lambda ks: _manual(
            "manual/bad_first_group_only.py", lambda m, k: m.exp_decay(k), ks)},
        "manual/warmup_interp_then_lambda.py": {1: lambda ks: _manual("manual/warmup_interp_then_lambda.py", yolo, ks),
                                                0: lambda ks: _torch_steps(
            lambda o: __import__("torch").optim.lr_scheduler.LambdaLR(o, _fixture_lambda(
                "manual/warmup_interp_then_lambda.py", "lf")), 0.01, ks)},
    }


def _fixture_lambda(path: str, target: str) -> Any:
    return eval(_lambda_source(path, target), {k: v for k, v in vars(_fixture_module(path)).items()})  # noqa: S307


def _fixture_module(path: str) -> Any:
    import importlib.util

    spec = importlib.util.spec_from_file_location("fixture_" + path.replace("/", "_")[:-3], FIXTURES / path)
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


def _lambda_source(path: str, target: str) -> str:
    import ast

    text = (FIXTURES / path).read_text()
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == target for t in node.targets):
            return ast.get_source_segment(text, node.value) or ""
    raise LookupError(target)


def _yaml_float(v: float) -> str:
    """repr() that YAML reads back as a float (YAML 1.1 needs a dot in the mantissa: 1.0e-05, not 1e-05)."""
    text = repr(float(v))
    mantissa, _, exponent = text.partition("e")
    if exponent and "." not in mantissa:
        text = f"{mantissa}.0e{exponent}"
    return text


def record() -> None:
    """Print the lr_at blocks of EXPECTED.yaml, computed with the real libraries (see the module docstring)."""
    import os

    os.environ.setdefault("KERAS_BACKEND", "torch")
    for name, per_sched in _recipes().items():
        for index, fn in sorted(per_sched.items()):
            ks = sorted(int(k) for k in EXPECTED[name]["schedulers"][index]["lr_at"])
            values = fn(ks)
            body = ", ".join(f"{k}: {_yaml_float(values[k])}" for k in ks)
            print(f"{name} [{index}]\n       lr_at: {{{body}}}")


if __name__ == "__main__":
    record()
