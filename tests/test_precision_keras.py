"""Precision item 2: Keras callbacks that set the rate are rate writers (LR301 against each other in one fit(),
LR403 against a LearningRateSchedule)."""

from __future__ import annotations

import textwrap

import pytest

from lraudit.api import audit_source

HEAD = textwrap.dedent("""\
    from tensorflow import keras

    model = keras.Sequential([keras.layers.Dense(10)])
    opt = keras.optimizers.Adam(learning_rate=1e-3)
    model.compile(optimizer=opt, loss="mse")

    def by_epoch(epoch):
        return 1e-3 * 0.9 ** epoch

    def from_rate(epoch, lr):
        return lr * 0.9

    class Warmup(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            keras.backend.set_value(self.model.optimizer.learning_rate, 1e-3 * (epoch + 1) / 20)

    class ShortWarmup(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            if epoch < 3:
                keras.backend.set_value(self.model.optimizer.learning_rate, 1e-3 * (epoch + 1) / 3)

    plateau = keras.callbacks.ReduceLROnPlateau(monitor="val_loss", factor=0.5)
""")


def _lr301(tail: str) -> list[str]:
    return [f.message for f in audit_source(HEAD + textwrap.dedent(tail), "train.py", select=["LR301"]).findings]


@pytest.mark.parametrize("tail", [
    "model.fit(x, y, epochs=20, callbacks=[keras.callbacks.LearningRateScheduler(by_epoch), plateau])",
    "model.fit(x, y, epochs=20, callbacks=[plateau, Warmup()])",
    "cbs = [keras.callbacks.LearningRateScheduler(lambda e: 1e-3 / (e + 1)), plateau]\n"
    "model.fit(x, y, epochs=20, callbacks=cbs)",
])
def test_a_callback_that_recomputes_the_rate_erases_another_in_the_same_fit(tail: str) -> None:
    (msg,) = _lr301(tail)
    assert "fit() at line" in msg and "erased" in msg


@pytest.mark.parametrize("tail", [
    # schedule(epoch, lr) multiplies the current rate: the plateau's cuts persist
    "model.fit(x, y, epochs=20, callbacks=[keras.callbacks.LearningRateScheduler(from_rate), plateau])",
    # two stages, one writer each
    "model.fit(x, y, epochs=5, callbacks=[keras.callbacks.LearningRateScheduler(by_epoch)])\n"
    "model.fit(x, y, epochs=20, callbacks=[plateau])",
    # a warm-up that stops writing after three epochs
    "model.fit(x, y, epochs=20, callbacks=[plateau, ShortWarmup()])",
    # one writer
    "model.fit(x, y, epochs=20, callbacks=[plateau])",
])
def test_writers_that_compose_or_take_turns_are_quiet(tail: str) -> None:
    assert _lr301(tail) == []


def test_a_callback_on_a_learning_rate_schedule_is_lr403() -> None:
    src = HEAD.replace("keras.optimizers.Adam(learning_rate=1e-3)", "keras.optimizers.Adam(learning_rate="
                       "keras.optimizers.schedules.ExponentialDecay(1e-3, decay_steps=1000, decay_rate=0.9))")
    src += "model.fit(x, y, epochs=20, callbacks=[Warmup()])\n"
    codes = [f.code for f in audit_source(src, "train.py").findings]
    assert "LR403" in codes


def test_one_name_bound_in_branches_is_not_two_writers() -> None:
    tail = ("if mode == 'step':\n    lrs = keras.callbacks.LearningRateScheduler(by_epoch)\n"
            "else:\n    lrs = keras.callbacks.LearningRateScheduler(lambda e: 1e-3 / (e + 1))\n"
            "model.fit(x, y, epochs=20, callbacks=[lrs])\n")
    assert _lr301(tail) == []
