"""DeepSpeed configs: the JSON reader (checked against hjson, which DeepSpeed reads configs with), the facts of
each fixture config, and the findings at the config's own lines."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from lraudit.analyze import AnalysisOptions, run_checks
from lraudit.configs import deepspeed, jsonc
from lraudit.facts import FileFacts, Known, Unknown
from lraudit.simulate import SimOptions, simulate_scheduler

if importlib.util.find_spec("hjson") is None or importlib.util.find_spec("deepspeed") is None:
    raise ImportError("test_configs_deepspeed.py needs deepspeed (and its hjson): "
                      "DS_BUILD_OPS=0 pip install deepspeed==0.19.8 torch==2.13.0")

import hjson  # noqa: E402
from deepspeed.runtime.config_utils import dict_raise_error_on_duplicate_keys  # noqa: E402

FIX = Path(__file__).resolve().parent.parent / "fixtures" / "configs" / "deepspeed"


def _read(name: str) -> tuple[FileFacts, deepspeed.DeepSpeedRead]:
    data, lines = jsonc.parse((FIX / name).read_text())
    r = deepspeed.read(data, lines, f"fixtures/configs/deepspeed/{name}")
    return FileFacts(name, tuple(r.optimizers), tuple(r.schedulers)), r


def _findings(facts: FileFacts) -> list[tuple[str, int]]:
    curves = {s.id: simulate_scheduler(facts, s, SimOptions()) for s in facts.schedulers}
    return [(f.code, f.line) for f in run_checks(facts, curves, AnalysisOptions())]


@pytest.mark.parametrize("name", sorted(p.name for p in FIX.glob("*.json") if p.name != "ds_hjson_syntax.json"))
def test_reader_agrees_with_hjson(name: str) -> None:
    text = (FIX / name).read_text()
    expected = hjson.loads(text, object_pairs_hook=dict_raise_error_on_duplicate_keys)
    got, _ = jsonc.parse(text)
    assert got == expected


@pytest.mark.parametrize("text,reason", [
    ('{"a": 1, "a": 2}', "Duplicate keys in DeepSpeed config: ['a']"),
    ("{optimizer: {}}", "an unquoted key"),
    ('{"a": adam}', "an object is never closed"),  # as in hjson, a quoteless value runs to the end of the line
    ('{"a": 1 "b": 2}', "a comma is missing"),
    ('{"a": 1 /* open', "never closed"),
])
def test_refusals_are_clear(text: str, reason: str) -> None:
    with pytest.raises(jsonc.JsoncError) as info:
        jsonc.parse(text)
    assert reason in str(info.value)
    assert str(info.value).startswith("line 1: ")


def test_template_placeholders_are_unknown() -> None:
    text = (FIX / "ds_TEMPLATE.json").read_text()
    quoteless: set[tuple] = set()
    data, lines = jsonc.parse(text, quoteless)
    assert quoteless == {("train_micro_batch_size_per_gpu",), ("optimizer", "params", "lr"),
                         ("scheduler", "params", "warmup_max_lr")}
    r = deepspeed.read(data, lines, "ds_TEMPLATE.json", quoteless=frozenset(quoteless))
    lr = r.optimizers[0].lr
    assert isinstance(lr, Unknown) and "placeholder LEARNING_RATE" in lr.reason
    assert r.schedulers[0].args["warmup_num_steps"].value == 100


def test_duplicate_keys_are_refused_by_deepspeed_too() -> None:
    with pytest.raises(ValueError, match="Duplicate keys in DeepSpeed config"):
        hjson.loads('{"a": 1, "a": 2}', object_pairs_hook=dict_raise_error_on_duplicate_keys)


def test_warmup_decay_facts_and_sources() -> None:
    facts, r = _read("ds_warmup_decay.json")
    (opt,) = facts.optimizers
    assert opt.cls == "deepspeed.ops.adam.FusedAdam" and opt.framework == "deepspeed"
    assert opt.lr == Known(3e-4, "ds_warmup_decay.json: optimizer.params.lr")
    assert opt.params["betas"] == Known([0.9, 0.95], "ds_warmup_decay.json: optimizer.params.betas")
    (s,) = facts.schedulers
    assert s.cls == "deepspeed.runtime.lr_schedules.WarmupDecayLR" and s.stepped == "batch" and s.unit == "step"
    assert s.args["warmup_num_steps"] == Known(500, "ds_warmup_decay.json: scheduler.params.warmup_num_steps")
    assert s.args["last_batch_iteration"] == Known(-1, "DeepSpeed default for WarmupDecayLR")
    assert s.loc.line == 14 and s.arg_locs["warmup_num_steps"].line == 19
    assert isinstance(s.horizon, Unknown) and "training script" in s.horizon.reason
    curve = simulate_scheduler(facts, s, SimOptions(steps=600))
    assert curve.lr is not None and curve.lr[0] == 0 and curve.lr[501] == pytest.approx(3e-4 * (10000 - 500) / 9500)
    assert max(curve.lr) == pytest.approx(3e-4)
    assert _findings(facts) == [("LR106", 14)]


def test_auto_values_are_unknown_with_the_reason() -> None:
    facts, _ = _read("ds_hf_auto.json")
    (opt,) = facts.optimizers
    assert isinstance(opt.lr, Unknown)
    assert "is \"auto\": the Hugging Face Trainer fills it from TrainingArguments.learning_rate" in opt.lr.reason
    (s,) = facts.schedulers
    assert "the Trainer's number of training steps" in s.args["total_num_steps"].reason  # type: ignore[union-attr]
    curve = simulate_scheduler(facts, s, SimOptions())
    assert curve.lr is None and "auto" in (curve.error or "")
    assert _findings(facts) == []


def test_auto_values_filled_by_a_script() -> None:
    data, lines = jsonc.parse((FIX / "ds_hf_auto.json").read_text())
    fills = {"optimizer.params.lr": Known(2e-5, "TrainingArguments(learning_rate=) at train.py:30"),
             "scheduler.params.total_num_steps": Known(3000, "the Trainer's number of training steps"),
             "scheduler.params.warmup_num_steps": Known(90, "TrainingArguments(warmup_ratio=0.03) at train.py:31"),
             "total_num_steps": Known(3000, "the Trainer's number of training steps")}
    r = deepspeed.read(data, lines, "ds_hf_auto.json", fills=fills)
    facts = FileFacts("ds_hf_auto.json", tuple(r.optimizers), tuple(r.schedulers))
    (s,) = facts.schedulers
    curve = simulate_scheduler(facts, s, SimOptions())
    assert curve.length == 3000 and curve.lr is not None
    assert max(curve.lr) == pytest.approx(2e-5)


def test_comments_and_trailing_commas_are_read() -> None:
    facts, _ = _read("ds_comments.json")
    (s,) = facts.schedulers
    assert s.args["warmup_type"] == Known("log", "DeepSpeed default for WarmupLR")
    assert s.args["warmup_max_lr"] == Known(None, "DeepSpeed default for WarmupLR")
    curve = simulate_scheduler(facts, s, SimOptions(steps=1001))
    assert curve.lr is not None and curve.lr[1000] == pytest.approx(1e-4)  # None: up to the optimizer's lr


def test_findings_at_the_configs_own_lines() -> None:
    assert ("LR002", 4) in _findings(_read("ds_default_max_lr.json")[0])  # warms up to 0.001, not to 5e-5
    assert ("LR002", 6) in _findings(_read("ds_warmup_too_long.json")[0])  # warm-up 2000 > total 1000
    facts, r = _read("ds_bad_args.json")
    assert ("LR002", 6) in _findings(facts)  # WarmupLR takes no total_num_steps
    assert any(n.startswith("line 3: 'max_grad_norm' is not supported") and "no optimizer passed to" in n
               for n in r.notes)  # Megatron passes its own optimizer: no finding


def test_torch_scheduler_named_in_a_deepspeed_config() -> None:
    facts, _ = _read("ds_torch_scheduler.json")
    (s,) = facts.schedulers
    assert s.cls == "torch.optim.lr_scheduler.StepLR" and s.framework == "torch" and s.stepped == "batch"
    assert facts.optimizers[0].cls == "torch.optim.SGD"


def test_not_a_deepspeed_config() -> None:
    assert not deepspeed.looks_like_deepspeed({"name": "x", "version": 1})
    assert not deepspeed.looks_like_deepspeed({"optimizer": "adam"})
    assert deepspeed.looks_like_deepspeed({"optimizer": {"type": "Adam", "params": {}}})
    assert deepspeed.looks_like_deepspeed({"train_batch_size": 8, "zero_optimization": {}})
