"""Regressions from auditing public training code: TRL trainers/configs and ``optim=`` (notes/audit/A item 4),
and Keras ``Callback`` subclasses that write the optimizer's rate (notes/audit/B item 8).

1. TRL: ``SFTConfig``/``DPOConfig``/``GRPOConfig``... have their own ``learning_rate`` defaults (read from
   huggingface/trl at commit f2cd577), DPO/GRPO/RLOO/KTO/Reward trainers are Trainers, and the Trainer builds the
   optimizer named by ``optim=`` (transformers ``OptimizerNames``), not always torch AdamW.
2. Keras: ``K.set_value(self.model.optimizer.lr, v)`` (or ``.assign``/assignment) in a callback hook is a
   hand-written schedule of the optimizer the callback is fitted with; it is simulated when the hook's formula only
   uses its counters, its constructor's arguments, constants and the current rate.
"""

from __future__ import annotations

import math

import libcst as cst
import pytest

from lraudit.api import audit_source
from lraudit.catalog.hf import TRAINER_OPTIMIZERS, TRL_CONFIG_DEFAULTS, TRL_TRAINERS
from lraudit.extract.build import extract
from lraudit.facts import FileFacts, Known, OptimizerFact, SchedulerFact, Unknown
from lraudit.simulate import SimOptions, simulate_scheduler


def _facts(text: str) -> FileFacts:
    return extract(cst.parse_module(text), "script.py").facts


def _codes(text: str) -> list[tuple[str, int]]:
    result = audit_source(text, "script.py")
    assert result.error is None, result.error
    return sorted((f.code, f.line) for f in result.findings)


def _only_opt(facts: FileFacts) -> OptimizerFact:
    assert len(facts.optimizers) == 1, facts.optimizers
    return facts.optimizers[0]


def _only_sched(facts: FileFacts) -> SchedulerFact:
    assert len(facts.schedulers) == 1, facts.schedulers
    return facts.schedulers[0]


def _curve(facts: FileFacts, s: SchedulerFact, steps: int | None = None) -> list[float]:
    c = simulate_scheduler(facts, s, SimOptions(steps=steps))
    assert c.lr is not None, c.error
    return list(c.lr)


def _close(a: list[float], b: list[float], rel: float = 1e-12) -> None:
    assert len(a) == len(b), (len(a), len(b))
    for x, y in zip(a, b):
        assert math.isclose(x, y, rel_tol=rel, abs_tol=1e-15), (a, b)


# ================================================================================================ TRL
REPRO_7 = '''\
from datasets import load_dataset
from transformers import AutoModelForCausalLM
from trl import DPOConfig, DPOTrainer, GRPOConfig, GRPOTrainer, SFTConfig, SFTTrainer

model = AutoModelForCausalLM.from_pretrained("gpt2")
data = load_dataset("trl-lib/ultrafeedback_binarized", split="train")

sft_args = SFTConfig(output_dir="out-sft", max_steps=1000, optim="paged_adamw_8bit")
SFTTrainer(model=model, args=sft_args, train_dataset=data).train()

dpo_args = DPOConfig(output_dir="out-dpo", max_steps=1000)
DPOTrainer(model=model, args=dpo_args, train_dataset=data).train()

grpo_args = GRPOConfig(output_dir="out-grpo", max_steps=500, learning_rate=1e-5)
GRPOTrainer(model=model, reward_funcs=[len], args=grpo_args, train_dataset=data).train()
'''


def test_trl_repro_configs_trainers_and_optim() -> None:
    facts = _facts(REPRO_7)
    assert [(o.cls, o.lr.value, o.loc.line) for o in facts.optimizers] == [
        ("bitsandbytes.optim.AdamW", 2e-5, 8), ("torch.optim.AdamW", 1e-6, 11), ("torch.optim.AdamW", 1e-5, 14)]
    sft, dpo, grpo = facts.optimizers
    assert sft.lr.source == "SFTConfig default (trl 1.10)"
    assert dpo.lr.source == "DPOConfig default (trl 1.10)"
    assert grpo.lr.source == "literal"
    assert sft.params["optim"] == Known("paged_adamw_8bit", "literal")
    assert sft.params["optim_bits"].value == 8 and sft.params["is_paged"].value is True
    assert sft.params["betas"].value == (0.9, 0.999)
    assert sft.params["eps"].value == 1e-08
    assert "optim" not in dpo.params  # the default optimizer is unchanged
    assert [(s.cls, s.optimizer, s.horizon.value, s.stepped) for s in facts.schedulers] == [
        ("transformers.get_linear_schedule_with_warmup", "opt1", 1000, "batch"),
        ("transformers.get_linear_schedule_with_warmup", "opt2", 1000, "batch"),
        ("transformers.get_linear_schedule_with_warmup", "opt3", 500, "batch")]
    sched_sft, sched_dpo, sched_grpo = facts.schedulers
    c = _curve(facts, sched_sft)
    assert len(c) == 1000 and c[0] == 2e-5 and math.isclose(c[999], 2e-5 / 1000, rel_tol=1e-9)
    assert _curve(facts, sched_dpo)[0] == 1e-6
    assert math.isclose(_curve(facts, sched_grpo)[499], 1e-5 / 500, rel_tol=1e-9)
    assert _codes(REPRO_7) == []


@pytest.mark.parametrize("config,trainer,call_args,lr", [
    ("SFTConfig", "SFTTrainer", "model, cfg", 2e-5),
    ("DPOConfig", "DPOTrainer", "model, None, cfg", 1e-6),
    ("GRPOConfig", "GRPOTrainer", "model, [len], cfg", 1e-6),
    ("KTOConfig", "KTOTrainer", "model, None, cfg", 1e-6),
    ("RLOOConfig", "RLOOTrainer", "model, [len], cfg", 1e-6),
    ("RewardConfig", "RewardTrainer", "model, cfg", 1e-4),
    ("ORPOConfig", "ORPOTrainer", "model, cfg", 1e-6),
    ("CPOConfig", "CPOTrainer", "model=model, args=cfg", 1e-6),
    ("OnlineDPOConfig", "OnlineDPOTrainer", "model, None, [len], cfg", 5e-7),
])
def test_trl_config_defaults_with_positional_args(config: str, trainer: str, call_args: str, lr: float) -> None:
    text = (f"from trl import {config}, {trainer}\n"
            f"cfg = {config}(output_dir='o', max_steps=10)\n"
            f"{trainer}({call_args}, train_dataset=data).train()\n")
    facts = _facts(text)
    o = _only_opt(facts)
    assert (o.cls, o.lr.value, o.lr.source) == ("torch.optim.AdamW", lr, f"{config} default (trl 1.10)")
    s = _only_sched(facts)
    assert (s.optimizer, s.horizon.value, s.stepped) == ("opt1", 10, "batch")
    assert _curve(facts, s)[0] == lr


def test_trl_trainer_without_args_uses_its_own_config() -> None:
    facts = _facts("from trl import DPOTrainer\nDPOTrainer(model='m', train_dataset=data).train()\n")
    o = _only_opt(facts)
    assert o.lr == Known(1e-6, "DPOConfig default (trl 1.10) (the DPOTrainer is built without args)")


def test_trl_async_grpo_defaults_to_a_constant_schedule() -> None:
    text = ("from trl.experimental.async_grpo import AsyncGRPOConfig, AsyncGRPOTrainer\n"
            "AsyncGRPOTrainer(model='m', reward_funcs=[len], args=AsyncGRPOConfig(output_dir='o', max_steps=5))\n")
    facts = _facts(text)
    assert _only_opt(facts).lr.value == 1e-6
    s = _only_sched(facts)
    assert s.cls == "transformers.get_constant_schedule"
    assert _curve(facts, s) == [1e-6] * 5


def test_trl_parser_gives_the_config_default_unless_overridden() -> None:
    text = '''\
from trl import ModelConfig, ScriptArguments, SFTConfig, SFTTrainer, TrlParser

parser = TrlParser((ScriptArguments, SFTConfig, ModelConfig))
script_args, training_args, model_args = parser.parse_args_and_config()
SFTTrainer(model=model_args.model_name_or_path, args=training_args).train()
'''
    o = _only_opt(_facts(text))
    assert o.lr.value == 2e-5
    assert o.lr.source.startswith("SFTConfig default (trl 1.10) (the arguments are parsed from the command line")


def test_old_trl_api_with_config_keyword_is_not_a_trainer() -> None:
    text = ("from trl import RLOOConfig, RLOOTrainer\n"
            "RLOOTrainer(config=RLOOConfig(output_dir='o'), processing_class=tok, policy=p).train()\n")
    facts = _facts(text)
    assert facts.optimizers == () and facts.schedulers == ()


def test_training_arguments_and_plain_trainer_are_unchanged() -> None:
    text = ("from transformers import Trainer, TrainingArguments\n"
            "Trainer(model=m, args=TrainingArguments(output_dir='o', max_steps=100)).train()\n")
    facts = _facts(text)
    o = _only_opt(facts)
    assert (o.cls, o.lr, set(o.params)) == ("torch.optim.AdamW", Known(5e-05, "TrainingArguments default"),
                                            {"weight_decay"})
    # SFTTrainer converts a plain TrainingArguments into an SFTConfig keeping its values: 5e-5
    text2 = ("from transformers import TrainingArguments\nfrom trl import SFTTrainer\n"
             "SFTTrainer(model=m, args=TrainingArguments(output_dir='o', max_steps=100)).train()\n")
    assert _only_opt(_facts(text2)).lr == Known(5e-05, "TrainingArguments default")


def _ta_opt(optim_kwargs: str, header: str = "") -> OptimizerFact:
    text = (f"from transformers import Trainer, TrainingArguments\n{header}"
            f"Trainer(model=m, args=TrainingArguments(output_dir='o', max_steps=10, {optim_kwargs})).train()\n")
    return _only_opt(_facts(text))


def test_optim_adafactor_is_hf_adafactor_with_fixed_rate() -> None:
    o = _ta_opt("optim='adafactor', learning_rate=1e-3")
    assert (o.cls, o.lr.value, o.framework) == ("transformers.Adafactor", 1e-3, "hf")
    assert o.params["relative_step"].value is False and o.params["scale_parameter"].value is False
    assert "betas" not in o.params


def test_optim_sgd_reads_optim_args() -> None:
    o = _ta_opt("optim='sgd', optim_args='momentum=0.9,nesterov=True'")
    assert o.cls == "torch.optim.SGD"
    assert o.params["momentum"] == Known(0.9, "optim_args='momentum=0.9,nesterov=True'")
    assert o.params["nesterov"].value is True
    assert o.params["dampening"] == Known(0, "torch default")
    plain = _ta_opt("optim='sgd'")
    assert plain.params["momentum"] == Known(0, "torch default")


def test_optim_variants() -> None:
    fused = _ta_opt("optim='adamw_torch_fused', adam_beta2=0.95")
    assert fused.cls == "torch.optim.AdamW" and fused.params["fused"].value is True
    assert fused.params["betas"].value == (0.9, 0.95)
    assert _ta_opt("optim='lion_8bit'").cls == "bitsandbytes.optim.Lion"
    assert _ta_opt("optim='grokadamw'").cls == "grokadamw.GrokAdamW"
    enum = _ta_opt("optim=OptimizerNames.PAGED_ADAMW", "from transformers.training_args import OptimizerNames\n")
    assert enum.cls == "bitsandbytes.optim.AdamW"
    assert enum.params["optim"].value == "paged_adamw_32bit" and enum.params["optim_bits"].value == 32


def test_optim_unknown_is_stated_not_guessed() -> None:
    o = _ta_opt("optim='my_optimizer'")
    assert o.cls == "optimizer chosen by optim='my_optimizer' (not simulated)"
    assert o.lr.value == 5e-05
    v = _ta_opt("optim=cli.optim")
    assert v.cls == "optimizer chosen by optim (not known)"
    assert isinstance(v.params["optim"], Unknown)
    # the schedule is still shown from the known rate
    text = ("from transformers import Trainer, TrainingArguments\n"
            "Trainer(model=m, args=TrainingArguments(output_dir='o', max_steps=4, optim='my_optimizer')).train()\n")
    facts = _facts(text)
    _close(_curve(facts, _only_sched(facts)), [5e-05 * (1 - k / 4) for k in range(4)])


def test_catalog_tables_are_consistent() -> None:
    assert all(cfg in TRL_CONFIG_DEFAULTS for cfg, _ in TRL_TRAINERS.values())
    assert "PPOTrainer" not in TRL_TRAINERS
    assert TRAINER_OPTIMIZERS["adafactor"][0] == "transformers.Adafactor"
    assert all(set(v) <= {"learning_rate", "lr_scheduler_type"} for v in TRL_CONFIG_DEFAULTS.values())


# ============================================================================================== Keras
REPRO_8 = '''\
import keras
from keras import backend as K


class LinearDecay(keras.callbacks.Callback):
    def __init__(self, total_steps, start):
        super().__init__()
        self.total_steps = total_steps
        self.start = start
        self.step = 0

    def on_train_batch_begin(self, batch, logs=None):
        rate = self.start * (1 - self.step / self.total_steps)
        self.step += 1
        K.set_value(self.model.optimizer.learning_rate, rate)


model = keras.Sequential([keras.layers.Dense(10, activation="softmax")])
model.compile(loss="sparse_categorical_crossentropy", optimizer=keras.optimizers.SGD(learning_rate=0.1))
model.fit(x_train, y_train, epochs=10, batch_size=32, callbacks=[LinearDecay(10 * 100, 0.1)])
'''


def test_keras_callback_repro_is_a_simulated_manual_schedule() -> None:
    facts = _facts(REPRO_8)
    s = _only_sched(facts)
    assert (s.cls, s.framework, s.optimizer, s.stepped, s.unit) == ("manual:LinearDecay", "manual", "opt1",
                                                                   "batch", "step")
    assert s.description == "custom callback LinearDecay writes the rate per batch in on_train_batch_begin() at line 15"
    assert isinstance(s.horizon, Unknown)
    assert s.assumed_horizon is not None and s.assumed_horizon.value == 1000
    assert s.args["total_steps"].value == 1000 and s.args["start"].value == 0.1
    c = _curve(facts, s)
    _close(c, [0.1 * (1 - k / 1000) for k in range(1000)])
    assert [w.optimizer for w in facts.lr_writes] == ["opt1"]
    assert _codes(REPRO_8) == []


def test_keras_callback_with_steps_per_epoch_has_a_known_horizon() -> None:
    text = REPRO_8.replace("batch_size=32,", "steps_per_epoch=20,")
    s = _only_sched(_facts(text))
    assert s.horizon == Known(200, s.horizon.source) and s.assumed_horizon is None


CALLBACKS = '''\
import keras
from keras import backend as K


class Halve(keras.callbacks.Callback):
    def on_epoch_end(self, epoch, logs=None):
        lr = K.get_value(self.model.optimizer.lr)
        K.set_value(self.model.optimizer.lr, lr * 0.5)
        print("lr", lr)


class Step(keras.callbacks.Callback):
    def __init__(self, base=0.1):
        super().__init__()
        self.base = base

    def on_epoch_begin(self, epoch, logs=None):
        self.model.optimizer.learning_rate = self.base * 0.5 ** (epoch // 2)


class OneCycle(keras.callbacks.Callback):
    def __init__(self, iterations, max_rate):
        self.iterations = iterations
        self.max_rate = max_rate
        self.iteration = 0

    def _interpolate(self, a, b):
        return a + (b - a) * self.iteration / self.iterations

    def on_batch_begin(self, batch, logs):
        rate = self._interpolate(self.max_rate / 10, self.max_rate)
        self.iteration += 1
        self.model.optimizer.learning_rate.assign(rate)


class Logger(keras.callbacks.Callback):
    def on_epoch_end(self, epoch, logs=None):
        print(K.get_value(self.model.optimizer.lr))


m1 = keras.Sequential([keras.layers.Dense(1)])
m1.compile(loss="mse", optimizer=keras.optimizers.SGD(learning_rate=0.1))
m1.fit(x, y, epochs=5, callbacks=[Halve(), Logger()])
m2 = keras.Sequential([keras.layers.Dense(1)])
m2.compile(loss="mse", optimizer=keras.optimizers.Adam(learning_rate=0.0))
m2.fit(x, y, epochs=6, callbacks=[Step(0.2)])
m3 = keras.Sequential([keras.layers.Dense(1)])
m3.compile(loss="mse", optimizer=keras.optimizers.SGD(learning_rate=0.0))
m3.fit(x, y, epochs=2, steps_per_epoch=50, callbacks=[OneCycle(100, 0.5)])
'''


def test_keras_callbacks_epoch_hooks_stateful_and_unsupported() -> None:
    facts = _facts(CALLBACKS)
    halve, step, onecycle = facts.schedulers  # Logger reads the rate only: not a schedule
    assert [(s.cls, s.optimizer, s.stepped) for s in facts.schedulers] == [
        ("manual:Halve", "opt1", "epoch"), ("manual:Step", "opt2", "epoch"), ("manual:OneCycle", "opt3", "batch")]
    # on_epoch_end: the write takes effect from the next epoch, from the current rate
    assert halve.horizon.value == 5
    _close(_curve(facts, halve), [0.1, 0.05, 0.025, 0.0125, 0.00625])
    # on_epoch_begin with the epoch argument and a constructor argument
    _close(_curve(facts, step), [0.2, 0.2, 0.1, 0.1, 0.05, 0.05])
    # a helper method and a counter: replayed under fit's protocol (keras_class_sim); the rate written in
    # on_batch_begin is the one of that batch, from the constructor's arguments, never the compiled 0.0 (so no
    # LR001 "peak learning rate of 0"); as written it only rises, which LR101 reports
    assert onecycle.horizon.value == 100
    assert onecycle.description == "custom callback OneCycle writes the rate per batch in on_batch_begin() at line 33"
    _close(_curve(facts, onecycle), [0.05 + 0.45 * k / 100 for k in range(100)])
    assert _codes(CALLBACKS) == [("LR101", 49)]  # OneCycle(100, 0.5), built in the fit() call


def test_keras_callback_not_passed_to_fit_and_learning_rate_scheduler_unchanged() -> None:
    text = REPRO_8.replace("callbacks=[LinearDecay(10 * 100, 0.1)]", "callbacks=[cb]") + \
        "other = LinearDecay(5, 0.1)\n"
    s = _only_sched(_facts(text))
    assert (s.cls, s.stepped) == ("manual:LinearDecay", "never")
    text2 = '''\
import keras
model = keras.Sequential([keras.layers.Dense(1)])
model.compile(loss="mse", optimizer=keras.optimizers.SGD(learning_rate=0.1))
model.fit(x, y, epochs=3, callbacks=[keras.callbacks.LearningRateScheduler(lambda e, lr: lr * 0.5)])
'''
    facts = _facts(text2)
    s2 = _only_sched(facts)
    assert (s2.cls, s2.framework, s2.stepped) == ("keras.callbacks.LearningRateScheduler", "keras", "epoch")
    _close(_curve(facts, s2), [0.05, 0.025, 0.0125], rel=1e-7)  # Keras keeps the rate in float32



def test_keras_table_callback_fixture_is_simulated() -> None:
    """fixtures/frameworks/keras/custom_callback_sets_lr.py: the callback calls a function passed to its
    constructor with the epoch and the current rate (read through keras.ops.convert_to_numpy)."""
    import pathlib

    path = pathlib.Path(__file__).resolve().parent.parent / "fixtures/frameworks/keras/custom_callback_sets_lr.py"
    facts = _facts(path.read_text())
    s = _only_sched(facts)
    assert (s.cls, s.optimizer, s.stepped, s.horizon.value) == ("manual:TableScheduler", "opt1", "epoch", 15)
    assert s.custom_get_lr is not None and s.custom_get_lr.line == 22
    _close(_curve(facts, s), [0.1] * 6 + [0.05] * 3 + [0.01] * 3 + [0.005] * 3)
    assert _codes(path.read_text()) == []
