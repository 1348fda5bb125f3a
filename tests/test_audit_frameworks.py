"""Regressions from auditing public training code (notes/audit/B, items 1 and 2).

1. Lightning: ``configure_optimizers`` rebinds the scheduler's name to its config dict
   (``scheduler = {"scheduler": scheduler, "interval": "step"}``, Lightning-AI/tutorials text-transformers,
   CompVis/stable-diffusion ddpm.py). The returned value is the live binding (the dict); its "scheduler" is the
   previous binding of the same name. Reading only the first binding gave a false LR401 error and "per epoch".
2. Keras: a callback passed to ``model.fit(callbacks=[...])`` belongs to the optimizer of the compile() live at that
   fit (the last compile of that model before it), not the model's first compile (ageron/handson-ml2 ch. 11).
"""

from __future__ import annotations

import math

import libcst as cst
import pytest

from lraudit.api import audit_source
from lraudit.extract.build import extract
from lraudit.facts import FileFacts, Known, SchedulerFact, Unknown
from lraudit.simulate import SimOptions, simulate_scheduler


def _facts(text: str) -> FileFacts:
    return extract(cst.parse_module(text), "script.py").facts


def _codes(text: str) -> list[tuple[str, int]]:
    result = audit_source(text, "script.py")
    assert result.error is None, result.error
    return sorted((f.code, f.line) for f in result.findings)


def _line(text: str, needle: str) -> int:
    lines = [i for i, ln in enumerate(text.splitlines(), 1) if needle in ln]
    assert len(lines) == 1, (needle, lines)
    return lines[0]


def _only_sched(facts: FileFacts) -> SchedulerFact:
    assert len(facts.schedulers) == 1, facts.schedulers
    return facts.schedulers[0]


# ============================================================================ 1. Lightning: rebound config dicts
_MODULE = '''import torch
import lightning as L


class LitModel(L.LightningModule):
    def __init__(self, per_step=True):
        super().__init__()
        self.net = torch.nn.Linear(8, 2)
        self.per_step = per_step

    def configure_optimizers(self):
        optimizer = torch.optim.AdamW(self.parameters(), lr=3e-4)
        scheduler = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=3e-4, total_steps=20_000)
{body}

trainer = L.Trainer(max_epochs=5)
trainer.fit(LitModel(per_step=input() == "step"))
'''


def _lit(*body: str) -> str:
    return _MODULE.format(body="\n".join("        " + ln for ln in body))


_SCHED_LINE = 13  # the OneCycleLR(...) line in _MODULE

# every return form Lightning accepts, with the name rebound to a config that says interval "step"
PER_STEP_FORMS = {
    "list of lists (repro_1)": _lit('scheduler = {"scheduler": scheduler, "interval": "step", "frequency": 1}',
                                    "return [optimizer], [scheduler]"),
    "tuple of lists": _lit('scheduler = {"scheduler": scheduler, "interval": "step"}',
                           "return ([optimizer], [scheduler])"),
    "bare tuple": _lit('scheduler = {"scheduler": scheduler, "interval": "step"}', "return [optimizer], scheduler"),
    "rebound to a list of dicts (stable-diffusion)": _lit(
        'scheduler = [{"scheduler": scheduler, "interval": "step", "frequency": 1}]',
        "return [optimizer], scheduler"),
    "optimizer dict with lr_scheduler: name": _lit(
        'scheduler = {"scheduler": scheduler, "interval": "step"}',
        'return {"optimizer": optimizer, "lr_scheduler": scheduler}'),
    "optimizer dict bound to a name": _lit(
        'scheduler = {"scheduler": scheduler, "interval": "step"}',
        'config = {"optimizer": optimizer, "lr_scheduler": scheduler}', "return config"),
    "optimizer dict rebinding the optimizer name": _lit(
        'scheduler = {"scheduler": scheduler, "interval": "step"}',
        'optimizer = {"optimizer": optimizer, "lr_scheduler": scheduler}', "return optimizer"),
    "list of optimizer dicts": _lit(
        'scheduler = {"scheduler": scheduler, "interval": "step"}',
        'return [{"optimizer": optimizer, "lr_scheduler": scheduler}]'),
    "two rebindings": _lit('scheduler = {"scheduler": scheduler, "interval": "step"}', "scheduler = [scheduler]",
                           "return [optimizer], scheduler"),
    "dict(...) call": _lit('scheduler = dict(scheduler=scheduler, interval="step")', "return [optimizer], [scheduler]"),
    "inline dict(...) under lr_scheduler": _lit(
        'return {"optimizer": optimizer, "lr_scheduler": dict(scheduler=scheduler, interval="step")}'),
    "key written after the dict is built": _lit('scheduler = {"scheduler": scheduler}', 'scheduler["interval"] = "step"',
                                                "return [optimizer], [scheduler]"),
    "update() after the dict is built": _lit('scheduler = {"scheduler": scheduler}',
                                             'scheduler.update(interval="step")', "return [optimizer], [scheduler]"),
    "update({...}) after the dict is built": _lit('scheduler = {"scheduler": scheduler}',
                                                  'scheduler.update({"interval": "step"})',
                                                  "return [optimizer], [scheduler]"),
    "interval from a variable": _lit('every = "step"', 'scheduler = {"scheduler": scheduler, "interval": every}',
                                     "return [optimizer], [scheduler]"),
    "rebinding and return under an if": _lit(
        "if self.per_step:", '    scheduler = {"scheduler": scheduler, "interval": "step"}',
        "    return [optimizer], [scheduler]", "return optimizer"),
}


@pytest.mark.parametrize("form", sorted(PER_STEP_FORMS))
def test_rebound_config_dict_is_stepped_per_batch(form: str) -> None:
    text = PER_STEP_FORMS[form]
    assert _line(text, "OneCycleLR(") == _SCHED_LINE
    s = _only_sched(_facts(text))
    assert isinstance(s.interval, Known) and s.interval.value == "step", s.interval
    assert s.stepped == "batch"
    assert s.optimizer == "opt1"
    assert _codes(text) == []


def test_repro_1_explained_per_batch() -> None:
    s = _only_sched(_facts(PER_STEP_FORMS["list of lists (repro_1)"]))
    assert s.interval == Known("step", "literal")
    assert s.unit == "step" and s.stepped == "batch"
    assert not [x for x in s.step_sites if x.kind == "scheduler"]  # Lightning steps it, the file does not


def test_stable_diffusion_shape_per_batch() -> None:
    """CompVis/stable-diffusion ddpm.py: the name first holds a config object, then a list with the LambdaLR."""
    text = '''import torch
import pytorch_lightning as pl
from torch.optim.lr_scheduler import LambdaLR
from ldm.util import instantiate_from_config


class LatentDiffusion(pl.LightningModule):
    def configure_optimizers(self):
        opt = torch.optim.AdamW(self.parameters(), lr=1e-4)
        if self.use_scheduler:
            scheduler = instantiate_from_config(self.scheduler_config)
            scheduler = [
                {
                    'scheduler': LambdaLR(opt, lr_lambda=scheduler.schedule),
                    'interval': 'step',
                    'frequency': 1
                }]
            return [opt], scheduler
        return opt
'''
    s = _only_sched(_facts(text))
    assert s.cls == "torch.optim.lr_scheduler.LambdaLR" and s.optimizer == "opt1"
    assert s.interval == Known("step", "literal") and s.stepped == "batch"


# the same shapes without interval "step": the mistake is real and LR401 must stay
PER_EPOCH_FORMS = {
    "rebound without interval": _lit('scheduler = {"scheduler": scheduler, "frequency": 1}',
                                     "return [optimizer], [scheduler]"),
    "rebound with interval epoch": _lit('scheduler = {"scheduler": scheduler, "interval": "epoch"}',
                                        "return [optimizer], [scheduler]"),
    "rebound to a list without interval": _lit('scheduler = [{"scheduler": scheduler}]',
                                               "return [optimizer], scheduler"),
    "lr_scheduler: name without interval": _lit('scheduler = {"scheduler": scheduler, "monitor": "val_loss"}',
                                                'return {"optimizer": optimizer, "lr_scheduler": scheduler}'),
    "interval step written before the rebinding": _lit(
        'config = {"scheduler": scheduler, "interval": "step"}', 'config = {"scheduler": scheduler}',
        "return [optimizer], [config]"),
    "plain scheduler returned, dict built after the return": _lit(
        "if not self.per_step:", "    return [optimizer], [scheduler]",
        'unused = {"scheduler": scheduler, "interval": "step"}', "return [optimizer], [scheduler]"),
    "plain scheduler returned by name": _lit("return [optimizer], [scheduler]"),
}


@pytest.mark.parametrize("form", sorted(PER_EPOCH_FORMS))
def test_per_epoch_config_still_reported(form: str) -> None:
    text = PER_EPOCH_FORMS[form]
    s = _only_sched(_facts(text))
    assert isinstance(s.interval, Known) and s.interval.value == "epoch", s.interval
    assert s.stepped == "epoch"
    assert _codes(text) == [("LR401", _SCHED_LINE)]


def test_lr401_message_names_the_explicit_epoch_interval() -> None:
    result = audit_source(PER_EPOCH_FORMS["rebound with interval epoch"], "script.py")
    (finding,) = [f for f in result.findings if f.code == "LR401"]
    assert 'with "interval": "epoch"' in finding.message


UNKNOWN_INTERVAL_FORMS = {
    "rebound only under an if": _lit(
        "if self.per_step:", '    scheduler = {"scheduler": scheduler, "interval": "step"}',
        "return [optimizer], [scheduler]"),
    "interval written only under an if": _lit(
        'scheduler = {"scheduler": scheduler}', "if self.per_step:", '    scheduler["interval"] = "step"',
        "return [optimizer], [scheduler]"),
    "two returns that disagree": _lit(
        "if not self.per_step:", "    return [optimizer], [scheduler]",
        'scheduler = {"scheduler": scheduler, "interval": "step"}', "return [optimizer], [scheduler]"),
    "conditional expression": _lit(
        'config = {"scheduler": scheduler, "interval": "step"}',
        "return [optimizer], [config if self.per_step else scheduler]"),
}


@pytest.mark.parametrize("form", sorted(UNKNOWN_INTERVAL_FORMS))
def test_interval_that_depends_on_the_path_is_unknown(form: str) -> None:
    """Per batch on one path, per epoch on another: neither is claimed, and no LR401."""
    text = UNKNOWN_INTERVAL_FORMS[form]
    s = _only_sched(_facts(text))
    assert isinstance(s.interval, Unknown), s.interval
    assert "'step'" in s.interval.reason and ("'epoch'" in s.interval.reason or "unset" in s.interval.reason)
    assert s.stepped == "unknown"
    assert isinstance(s.horizon, Unknown) and "per batch or per epoch is not known" in s.horizon.reason
    assert _codes(text) == []


def test_two_returns_that_agree_are_one_config() -> None:
    text = _lit("if self.per_step:",
                '    return [optimizer], [{"scheduler": scheduler, "interval": "step"}]',
                'scheduler = {"scheduler": scheduler, "interval": "step"}', "return [optimizer], [scheduler]")
    s = _only_sched(_facts(text))
    assert s.interval == Known("step", "literal") and s.stepped == "batch"
    assert _codes(text) == []


def test_rebinding_to_a_new_scheduler_keeps_the_config_of_the_old_one() -> None:
    """The dict holds the first scheduler; the name then holds a second one, returned without a config."""
    text = '''import torch
import lightning as L


class LitModel(L.LightningModule):
    def configure_optimizers(self):
        optimizer = torch.optim.SGD(self.parameters(), lr=0.1)
        scheduler = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=0.1, total_steps=20_000)
        warm = {"scheduler": scheduler, "interval": "step"}
        scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=2)
        return [optimizer], [warm, scheduler]


trainer = L.Trainer(max_epochs=5)
'''
    facts = _facts(text)
    by_cls = {s.cls.rsplit(".", 1)[-1]: s for s in facts.schedulers}
    assert by_cls["OneCycleLR"].interval == Known("step", "literal") and by_cls["OneCycleLR"].stepped == "batch"
    assert by_cls["StepLR"].interval == Known("epoch", "Lightning default interval")
    assert by_cls["StepLR"].stepped == "epoch"
    assert _codes(text) == []


def test_epoch_sized_scheduler_rebound_with_interval_step_is_reported() -> None:
    """The fix reads the rebound dict, so a wrong "interval": "step" in it is now seen (LR401 the other way)."""
    text = '''import torch
import lightning as L


class LitModel(L.LightningModule):
    def configure_optimizers(self):
        optimizer = torch.optim.SGD(self.parameters(), lr=0.1)
        scheduler = torch.optim.lr_scheduler.MultiStepLR(optimizer, milestones=[30, 60], gamma=0.1)
        scheduler = {"scheduler": scheduler, "interval": "step"}
        return [optimizer], [scheduler]


trainer = L.Trainer(max_epochs=90)
'''
    s = _only_sched(_facts(text))
    assert s.interval == Known("step", "literal") and s.stepped == "batch"
    before = _codes(text.replace('"interval": "step"', '"interval": "epoch"'))
    assert before == []
    assert _codes(text) == [("LR401", _line(text, "MultiStepLR("))]


def test_config_dict_with_monitor_from_rebinding_feeds_lr402() -> None:
    """ReduceLROnPlateau: the monitor of the rebound dict is seen (no LR402); without it, LR402 stays."""
    body = '''import torch
import lightning as L


class LitModel(L.LightningModule):
    def configure_optimizers(self):
        optimizer = torch.optim.Adam(self.parameters(), lr=1e-3)
        scheduler = torch.optim.lr_scheduler.ReduceLROnPlateau(optimizer, factor=0.5, patience=3)
        scheduler = {"scheduler": scheduler, MONITOR}
        return {"optimizer": optimizer, "lr_scheduler": scheduler}


trainer = L.Trainer(max_epochs=20)
'''
    good = body.replace("MONITOR", '"monitor": "val_loss"')
    s = _only_sched(_facts(good))
    assert s.monitor == Known("val_loss", "literal")
    assert _codes(good) == []
    bad = body.replace("MONITOR", '"frequency": 1')
    assert _only_sched(_facts(bad)).monitor is None
    assert _codes(bad) == [("LR402", _line(bad, "ReduceLROnPlateau("))]


def test_unknown_top_level_key_in_rebound_optimizer_dict() -> None:
    """An optimizer dict with "scheduler" at the top level: Lightning drops the key, the scheduler is never stepped."""
    text = _lit('config = {"optimizer": optimizer, "scheduler": scheduler}', "return config")
    facts = _facts(text)
    assert facts.extra.get("lightning_unknown_keys") == {"sched1": ["scheduler"]}
    assert _only_sched(facts).interval is None


# ================================================================ 2. Keras: the compile() live at each fit()
_REPRO_2 = '''import keras


def build():
    return keras.Sequential([keras.layers.Dense(10, activation="softmax")])


model = build()
model.compile(loss="sparse_categorical_crossentropy", optimizer="nadam")
model.fit(x_train, y_train, epochs=5)

model = build()
optimizer = keras.optimizers.SGD(learning_rate=0.02, momentum=0.9)
model.compile(loss="sparse_categorical_crossentropy", optimizer=optimizer)
plateau = keras.callbacks.ReduceLROnPlateau(factor=0.5, patience=5)
model.fit(x_train, y_train, epochs=25, validation_data=(x_val, y_val), callbacks=[plateau])
'''


def _opt_of(facts: FileFacts, s: SchedulerFact) -> tuple[str, float]:
    o = facts.optimizer(s.optimizer)
    assert o is not None, (s.optimizer, s.optimizer_reason)
    assert isinstance(o.lr, Known)
    return o.cls.rsplit(".", 1)[-1], o.lr.value


def test_repro_2_callback_on_the_second_compile() -> None:
    facts = _facts(_REPRO_2)
    s = _only_sched(facts)
    assert _opt_of(facts, s) == ("SGD", 0.02)
    assert s.stepped == "epoch" and s.horizon == Known(25, s.horizon.source)  # type: ignore[union-attr]
    curve = simulate_scheduler(facts, s, SimOptions())
    assert curve.lr is not None and len(curve.lr) == 25
    # Keras keeps the rate in float32; the review expected 0.02 down to 1.25e-3
    assert math.isclose(curve.lr[0], 0.02, rel_tol=1e-6) and math.isclose(curve.lr[-1], 0.02 / 16, rel_tol=1e-6)


KERAS_VARIANTS = {
    # the same model object compiled twice (no rebinding in between)
    "recompiled in place": ('''import keras

model = keras.Sequential([keras.layers.Dense(1)])
model.compile(optimizer=keras.optimizers.Adam(learning_rate=1e-3), loss="mse")
model.fit(x, y, epochs=5)
model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.05), loss="mse")
cb = keras.callbacks.LearningRateScheduler(lambda epoch, lr: lr * 0.9)
model.fit(x, y, epochs=10, callbacks=[cb])
''', ("SGD", 0.05)),
    # the callback object is built before both compiles: what counts is the fit it is passed to
    "callback built first": ('''import keras

plateau = keras.callbacks.ReduceLROnPlateau(factor=0.5, patience=2)
model = keras.Sequential([keras.layers.Dense(1)])
model.compile(optimizer="adam", loss="mse")
model.fit(x, y, epochs=5)
model.compile(optimizer="sgd", loss="mse")
model.fit(x, y, epochs=10, callbacks=[plateau])
''', ("SGD", 0.01)),
    # nearby correct case: the callback goes to the first fit
    "callback on the first fit": ('''import keras

plateau = keras.callbacks.ReduceLROnPlateau(factor=0.5, patience=2)
model = keras.Sequential([keras.layers.Dense(1)])
model.compile(optimizer=keras.optimizers.Adam(learning_rate=3e-4), loss="mse")
model.fit(x, y, epochs=5, callbacks=[plateau])
model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.05), loss="mse")
model.fit(x, y, epochs=10)
''', ("Adam", 3e-4)),
    # a callbacks list variable
    "callbacks list": ('''import keras

model = keras.Sequential([keras.layers.Dense(1)])
model.compile(optimizer=keras.optimizers.Adam(learning_rate=1e-3), loss="mse")
model.fit(x, y, epochs=5)
opt = keras.optimizers.RMSprop(learning_rate=0.002)
model.compile(optimizer=opt, loss="mse")
callbacks = [keras.callbacks.ReduceLROnPlateau(patience=3)]
model.fit(x, y, epochs=10, callbacks=callbacks)
''', ("RMSprop", 0.002)),
    # the same receiver name in two functions: each fit sees its own function's compile
    "two functions": ('''import keras


def first(model, x, y):
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=1e-3), loss="mse")
    model.fit(x, y, epochs=5)


def second(model, x, y):
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.1), loss="mse")
    model.fit(x, y, epochs=5, callbacks=[keras.callbacks.ReduceLROnPlateau(patience=3)])
''', ("SGD", 0.1)),
    # the model is compiled, then trained in a loop with the callback
    "fit in a loop": ('''import keras

model = keras.Sequential([keras.layers.Dense(1)])
model.compile(optimizer=keras.optimizers.Adam(learning_rate=1e-3), loss="mse")
model.fit(x, y, epochs=1)
model.compile(optimizer=keras.optimizers.Nadam(learning_rate=2e-3), loss="mse")
for stage in range(3):
    model.fit(x, y, epochs=2, callbacks=[keras.callbacks.ReduceLROnPlateau(patience=1)])
''', ("Nadam", 2e-3)),
    # compiled once: unchanged behaviour
    "single compile": ('''import keras

model = keras.Sequential([keras.layers.Dense(1)])
model.compile(optimizer=keras.optimizers.Adam(learning_rate=1e-3), loss="mse")
model.fit(x, y, epochs=5, callbacks=[keras.callbacks.ReduceLROnPlateau(patience=3)])
''', ("Adam", 1e-3)),
}


@pytest.mark.parametrize("name", sorted(KERAS_VARIANTS))
def test_callback_belongs_to_the_live_compile(name: str) -> None:
    text, want = KERAS_VARIANTS[name]
    facts = _facts(text)
    s = _only_sched(facts)
    assert _opt_of(facts, s) == want
    assert s.stepped == "epoch"


def test_compile_in_branches_leaves_the_optimizer_unknown() -> None:
    text = '''import keras

model = keras.Sequential([keras.layers.Dense(1)])
if use_sgd:
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.1), loss="mse")
else:
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=1e-3), loss="mse")
model.fit(x, y, epochs=5, callbacks=[keras.callbacks.ReduceLROnPlateau(patience=3)])
'''
    s = _only_sched(_facts(text))
    assert s.optimizer is None
    assert s.optimizer_reason is not None and "different paths" in s.optimizer_reason
    assert "lines 5, 7" in s.optimizer_reason


def test_unconditional_recompile_after_a_branch_wins() -> None:
    text = '''import keras

model = keras.Sequential([keras.layers.Dense(1)])
if use_sgd:
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.1), loss="mse")
model.compile(optimizer=keras.optimizers.Adam(learning_rate=1e-3), loss="mse")
model.fit(x, y, epochs=5, callbacks=[keras.callbacks.ReduceLROnPlateau(patience=3)])
'''
    facts = _facts(text)
    assert _opt_of(facts, _only_sched(facts)) == ("Adam", 1e-3)


_LR403_BODY = '''import keras

model = keras.Sequential([keras.layers.Dense(1)])
model.compile(optimizer=FIRST, loss="mse")
model.fit(x, y, epochs=5)
model.compile(optimizer=SECOND, loss="mse")
model.fit(x, y, epochs=10, callbacks=[keras.callbacks.LearningRateScheduler(lambda epoch, lr: lr * 0.9)])
'''
_SCHEDULED = "keras.optimizers.Adam(learning_rate=keras.optimizers.schedules.ExponentialDecay(1e-3, 1000, 0.9))"


def test_lr403_follows_the_live_compile() -> None:
    """LR403 (callback on a schedule-driven optimizer) only when the live compile's optimizer has the schedule."""
    schedule_first = _LR403_BODY.replace("FIRST", _SCHEDULED).replace("SECOND", "keras.optimizers.Adam(1e-3)")
    assert [c for c, _ in _codes(schedule_first) if c == "LR403"] == []
    schedule_second = _LR403_BODY.replace("FIRST", "keras.optimizers.Adam(1e-3)").replace("SECOND", _SCHEDULED)
    assert [(c, ln) for c, ln in _codes(schedule_second) if c == "LR403"] == [
        ("LR403", _line(schedule_second, "LearningRateScheduler("))]


def test_schedule_horizon_counts_only_the_fits_of_its_compile() -> None:
    """A schedule-driven optimizer trains only in the fits its compile is live for (not the recompiled model's)."""
    text = '''import keras

model = keras.Sequential([keras.layers.Dense(1)])
schedule = keras.optimizers.schedules.ExponentialDecay(0.1, decay_steps=100, decay_rate=0.5)
model.compile(optimizer=keras.optimizers.SGD(learning_rate=schedule), loss="mse")
model.fit(x, y, epochs=10, steps_per_epoch=100)
model.compile(optimizer=keras.optimizers.Adam(learning_rate=1e-4), loss="mse")
model.fit(x, y, epochs=20, steps_per_epoch=100)
'''
    s = _only_sched(_facts(text))
    assert s.stepped == "batch"
    assert isinstance(s.horizon, Known) and s.horizon.value == 1000


def test_interval_chosen_by_a_known_default_is_the_default_runs() -> None:
    """``LitModel()`` keeps ``per_step=True``: the default run takes the if-arm, its interval is "step"."""
    text = _lit("if not self.per_step:", "    return [optimizer], [scheduler]",
                'scheduler = {"scheduler": scheduler, "interval": "step"}',
                "return [optimizer], [scheduler]").replace('LitModel(per_step=input() == "step")', "LitModel()")
    s = _only_sched(_facts(text))
    assert s.interval == Known("step", "literal"), s.interval
    assert _codes(text) == []


def test_rebinding_in_the_other_branch_is_not_taken_for_the_live_one() -> None:
    """The dict is bound in the if-branch; the return in the else-branch returns the plain scheduler. Both branches'
    statements have the same shape of statement path, so only the block tells them apart: the interval must not be
    taken as "step" (the exact answer, "epoch", would need branch-aware ordering; unknown is the honest answer)."""
    text = _lit("if self.per_step:", '    scheduler = {"scheduler": scheduler, "interval": "step"}',
                "else:", "    return [optimizer], [scheduler]", "return [optimizer], [scheduler]")
    s = _only_sched(_facts(text))
    assert isinstance(s.interval, Unknown), s.interval
    assert _codes(text) == []


def test_compile_in_the_same_branch_as_the_fit() -> None:
    text = '''import keras

model = keras.Sequential([keras.layers.Dense(1)])
if use_sgd:
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.1), loss="mse")
    model.fit(x, y, epochs=5)
else:
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=1e-3), loss="mse")
    model.fit(x, y, epochs=5, callbacks=[keras.callbacks.ReduceLROnPlateau(patience=3)])
'''
    facts = _facts(text)
    assert _opt_of(facts, _only_sched(facts)) == ("Adam", 1e-3)


@pytest.mark.parametrize("flag", ["True", "3", "args.smoke"])
def test_a_fast_dev_run_trainer_is_a_smoke_test_not_the_run(flag: str) -> None:
    """Trainer(fast_dev_run=...) runs a few batches to test the code: schedules sized for the real run are not
    judged against it (Lightning's own test models: StepLR(step_size=1) over 1000 default epochs was LR102, and
    over the one fast_dev_run epoch LR105)."""
    text = '''import argparse
import torch
import lightning as L

parser = argparse.ArgumentParser()
args, _ = parser.parse_known_args()


class LitModel(L.LightningModule):
    def configure_optimizers(self):
        optimizer = torch.optim.SGD(self.parameters(), lr=0.1)
        scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=1)
        return [optimizer], [scheduler]


trainer = L.Trainer(FAST)
trainer.fit(LitModel())
'''
    real = text.replace("FAST", "")
    assert _codes(real) == [("LR102", _line(real, "StepLR("))]  # 1000 default epochs: a real finding
    fast = text.replace("FAST", f"fast_dev_run={flag}")
    assert _codes(fast) == []
    s = _only_sched(_facts(fast))
    assert isinstance(s.horizon, Unknown) and "fast_dev_run" in s.horizon.reason
    assert _codes(text.replace("FAST", "fast_dev_run=False")) == _codes(real)
