"""Keras classes written in the analysed code: lraudit's curves against the same scripts run with Keras.

Each script of tests/data/keras_classes/ (a Noam/Transformer ``CustomSchedule``, a warm-up + cosine schedule with a
helper method and ``ops.where``, a step schedule over a base schedule class, and callbacks: a one-cycle that reads
``self.params`` in ``on_train_begin``, a warm-up on ``on_batch_begin``/``on_batch_end`` with ``.assign()``, a
per-epoch decay from the current rate, keras-contrib's CyclicLR) is run for real with Keras 3 (torch backend) by
tests/golden/keras_class_runner.py, which records the optimizer's rate at every batch. lraudit's curve (per
step for schedules and per-batch callbacks, per epoch for per-epoch callbacks) must match within 1e-6 of the
curve's peak (Keras keeps the rate in float32).
"""

from __future__ import annotations

import importlib.util
import math
import os
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import libcst as cst
import pytest

os.environ.setdefault("KERAS_BACKEND", "torch")
if importlib.util.find_spec("keras") is None:
    raise ImportError("test_keras_class_parity.py needs keras: pip install keras torch==2.13.0")

from lraudit.extract.build import extract  # noqa: E402
from lraudit.simulate import SimOptions, simulate_scheduler  # noqa: E402

HERE = Path(__file__).resolve().parent
SCRIPTS = HERE / "data" / "keras_classes"
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning", "ignore::UserWarning")


def _runner() -> Any:
    path = HERE / "golden" / "keras_class_runner.py"
    spec = importlib.util.spec_from_file_location("keras_class_runner", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


RUNNER = _runner()


def facts_of(text: str, name: str = "script.py") -> Any:
    return extract(cst.parse_module(text), name, text=text).facts


def curve_of(text: str, name: str = "script.py", opts: SimOptions | None = None) -> tuple[Any, Any]:
    """The class's curve from keras_class_sim alone (the older rewrite of a callback's hook into a hand-written
    schedule, which the simulation falls back on, is removed)."""
    facts = facts_of(text, name)
    facts = replace(facts, extra={**facts.extra, "manual_plans": {}})
    scheds = [s for s in facts.schedulers if s.cls.startswith(("custom:", "manual:"))]
    assert len(scheds) == 1, [s.cls for s in facts.schedulers]
    return scheds[0], simulate_scheduler(facts, scheds[0], opts or SimOptions())


@pytest.mark.parametrize("name", sorted(p.name for p in SCRIPTS.glob("*.py")))
def test_keras_class_curve_matches_keras(name: str) -> None:
    path = SCRIPTS / name
    s, curve = curve_of(path.read_text(encoding="utf-8"), name)
    assert curve.error is None, curve.error
    assert curve.lr is not None and curve.steps is None
    real = RUNNER.record(str(path))
    expected = real["per_batch"] if s.stepped == "batch" else [real["per_batch"][i] for i in real["epoch_starts"]]
    assert len(curve.lr) == len(expected), (len(curve.lr), len(expected))
    tol = 1e-6 * max(abs(x) for x in expected)
    for k, (got, want) in enumerate(zip(curve.lr, expected)):
        assert abs(got - want) <= tol, (name, k, got, want)


KERAS2_STEP = '''
from keras import backend as K
from keras.callbacks import Callback
from keras.optimizers import SGD


class StepLR(Callback):
    def __init__(self, drop=0.5, every=3):
        super(StepLR, self).__init__()
        self.drop = drop
        self.every = every

    def on_epoch_begin(self, epoch, logs=None):
        lr = K.get_value(self.model.optimizer.lr)
        if epoch > 0 and epoch % self.every == 0:
            K.set_value(self.model.optimizer.lr, lr * self.drop)
            print("lr", K.get_value(self.model.optimizer.lr))


model.compile(optimizer=SGD(lr=0.1), loss="mse")
model.fit(x, y, epochs=10, callbacks=[StepLR()])
'''


def test_keras2_spellings_per_epoch() -> None:
    s, curve = curve_of(KERAS2_STEP)
    assert curve.error is None, curve.error
    assert s.stepped == "epoch"
    want = [0.1 * 0.5 ** (e // 3) for e in range(10)]
    assert curve.lr is not None and all(math.isclose(a, b, rel_tol=1e-12) for a, b in zip(curve.lr, want))
    assert len(curve.lr) == 10


TF_KERAS_WARMUP = '''
import tensorflow as tf


class Warm(tf.keras.callbacks.Callback):
    def __init__(self, peak):
        self.peak = peak

    def on_train_begin(self, logs=None):
        self.total = self.params["steps"] * 2

    def on_train_batch_begin(self, batch, logs=None):
        it = tf.keras.backend.get_value(self.model.optimizer.iterations)
        tf.keras.backend.set_value(self.model.optimizer.lr, self.peak * tf.math.minimum(1.0, (it + 1) / self.total))


model.compile(optimizer=tf.keras.optimizers.Adam(1e-3), loss="mse")
model.fit(x, y, epochs=4, steps_per_epoch=5, callbacks=[Warm(0.01)])
'''


def test_tf_keras_backend_params_and_iterations() -> None:
    s, curve = curve_of(TF_KERAS_WARMUP)
    assert curve.error is None, curve.error
    want = [0.01 * min(1.0, (k + 1) / 10) for k in range(20)]
    assert curve.lr is not None and len(curve.lr) == 20
    assert all(math.isclose(a, b, rel_tol=1e-12) for a, b in zip(curve.lr, want))


LOGS_DRIVEN = '''
import keras


class Plateau(keras.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.best = 1e9
        self.history = []

    def on_epoch_end(self, epoch, logs=None):
        self.history.append(logs["loss"])
        if logs.get("val_loss") > self.best:
            self.model.optimizer.learning_rate = float(self.model.optimizer.learning_rate) * 0.5
        self.best = min(self.best, logs.get("val_loss"))


model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="mse")
model.fit(x, y, epochs=4, steps_per_epoch=5, callbacks=[Plateau()])
'''


def test_rate_from_logs_is_unknown_with_the_metric() -> None:
    s, curve = curve_of(LOGS_DRIVEN)
    assert curve.lr is None
    assert "logs['val_loss']" in curve.error and "known only at run time" in curve.error


def test_unstated_steps_are_an_assumed_length_with_a_label() -> None:
    s, curve = curve_of(TF_KERAS_WARMUP.replace(", steps_per_epoch=5", ""))
    assert curve.error is None, curve.error
    assert curve.lr is not None and len(curve.lr) == 400
    assert "assumes 100 batches per epoch" in (curve.assumption or "")


NOAM_LONG = '''
import keras
from keras import ops


class Noam(keras.optimizers.schedules.LearningRateSchedule):
    def __init__(self, d_model, warmup_steps=4000):
        self.d_model = d_model
        self.warmup_steps = warmup_steps

    def __call__(self, step):
        step = ops.cast(step, "float32")
        return ops.rsqrt(ops.cast(self.d_model, "float32")) * ops.minimum(ops.rsqrt(step), step * self.warmup_steps ** -1.5)


model.compile(optimizer=keras.optimizers.Adam(Noam(512)), loss="mse")
model.fit(x, y, epochs=100, steps_per_epoch=500)
'''


def test_long_stateless_schedules_are_sampled_exactly() -> None:
    s, curve = curve_of(NOAM_LONG)
    assert curve.error is None, curve.error
    assert curve.steps is not None and curve.steps[-1] == 49_999
    for k, got in zip(curve.steps, curve.lr):
        want = 0.0 if k == 0 else 512 ** -0.5 * min(k ** -0.5, k * 4000 ** -1.5)
        assert math.isclose(got, want, rel_tol=1e-12, abs_tol=1e-18), (k, got, want)
    assert curve.summary is not None


def test_long_stateful_schedules_say_why() -> None:
    text = NOAM_LONG.replace('        step = ops.cast(step, "float32")\n',
                             '        step = ops.cast(step, "float32")\n        self.calls = step\n')
    s, curve = curve_of(text)
    assert curve.lr is None and "keeps state between calls" in curve.error


HOSTILE = {
    "loops forever": "        while True:\n            pass\n",
    "recurses": "        return self(step)\n",
    "raises": "        raise RuntimeError('boom')\n",
    "writes files": "        open('/tmp/lraudit-keras-hostile', 'w').write('x')\n        return 0.1\n",
    "imports modules": "        import os\n        os.system('touch /tmp/lraudit-keras-hostile')\n        return 0.1\n",
    "reads dunders": "        return self.__class__.__mro__\n",
    "huge integers": "        return 10 ** 10 ** 10\n",
}
_SCHEDULE = '''
import keras


class Bad(keras.optimizers.schedules.LearningRateSchedule):
    def __init__(self):
        self.x = 1

    def __call__(self, step):
{body}

model.compile(optimizer=keras.optimizers.SGD(Bad()), loss="mse")
model.fit(x, y, epochs=3, steps_per_epoch=4)
'''
_CALLBACK = '''
import keras


class Bad(keras.callbacks.Callback):
    def on_epoch_begin(self, epoch, logs=None):
        self.model.optimizer.learning_rate = self.rate(epoch)

    def rate(self, step):
{body}

model.compile(optimizer=keras.optimizers.SGD(0.1), loss="mse")
model.fit(x, y, epochs=3, steps_per_epoch=4, callbacks=[Bad()])
'''


@pytest.mark.parametrize("template", [_SCHEDULE, _CALLBACK], ids=["schedule", "callback"])
@pytest.mark.parametrize("what", sorted(HOSTILE))
def test_hostile_classes_are_unknown_with_the_reason(template: str, what: str) -> None:
    marker = Path("/tmp/lraudit-keras-hostile")
    marker.unlink(missing_ok=True)
    t0 = time.process_time()
    s, curve = curve_of(template.format(body=HOSTILE[what]))
    assert time.process_time() - t0 < 15
    assert not marker.exists()
    if template is _CALLBACK and what == "writes files":
        # the write does not reach the rate, so it is not even evaluated: the rate is still exact
        assert curve.error is None and curve.lr == (0.1, 0.1, 0.1)
        return
    assert curve.lr is None and curve.error


def _codes(text: str) -> list[tuple[str, int]]:
    from lraudit.api import audit_source

    result = audit_source(text, "script.py")
    assert result.error is None, result.error
    return sorted((f.code, f.line) for f in result.findings)


_TWO_WRITERS = '''
import keras


class Cyclic(keras.callbacks.Callback):
    def __init__(self, low, high, half):
        super().__init__()
        self.low, self.high, self.half = low, high, half
        self.it = 0

    def on_train_batch_begin(self, batch, logs=None):
        x = abs(self.it / self.half % 2 - 1)
        self.model.optimizer.learning_rate = self.high - (self.high - self.low) * x
        self.it += 1


class Decay(keras.callbacks.Callback):
    def on_epoch_end(self, epoch, logs=None):
        self.model.optimizer.learning_rate = float(self.model.optimizer.learning_rate) * 0.9


model.compile(optimizer=keras.optimizers.SGD(0.1), loss="mse")
model.fit(x, y, epochs=5, steps_per_epoch=20, callbacks=[{first}, {second}])
'''


def test_lr301_between_a_per_batch_callback_and_another_writer() -> None:
    text = _TWO_WRITERS.format(first="Cyclic(0.01, 0.1, 10)",
                               second="keras.callbacks.LearningRateScheduler(lambda e: 0.1 * 0.5 ** e)")
    assert _codes(text) == [("LR301", 23)]
    # the per-epoch decay reads the rate it finds: it composes with Cyclic's writes, but Cyclic erases it
    text2 = _TWO_WRITERS.format(first="Cyclic(0.01, 0.1, 10)", second="Decay()")
    assert _codes(text2) == [("LR301", 23)]
    # a lone callback that reads the rate is no competing writer
    text3 = _TWO_WRITERS.format(first="Decay()", second="keras.callbacks.TerminateOnNaN()")
    assert not [c for c in _codes(text3) if c[0] == "LR301"]
