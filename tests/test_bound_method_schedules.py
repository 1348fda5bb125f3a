"""A method of the class passed as a schedule function: ``LearningRateScheduler(schedule=self._cosine_anneal_schedule)``
(Snapshot Ensembles, keras-contrib's ``SnapshotCallbackBuilder``). The method is bound to its object: Keras calls it
with the epoch only (or the epoch and the rate), and what it reads of ``self`` is what ``__init__`` stored, from the
caller's arguments. Checked against the formula run in Python (the oracle)."""

from __future__ import annotations

import math
import os
from pathlib import Path

import numpy as np

from lraudit.api import audit_paths, audit_source

BUILDER = '''
import numpy as np
from tensorflow.keras import callbacks


class SnapshotCallbackBuilder:
    def __init__(self, nb_epochs, nb_snapshots, init_lr=0.1):
        self.T = nb_epochs
        self.M = nb_snapshots
        self.alpha_zero = init_lr

    def get_callbacks(self, model_prefix="Model"):
        return [callbacks.ModelCheckpoint("weights/%s-Best.h5" % model_prefix, save_best_only=True),
                callbacks.LearningRateScheduler(schedule=self._cosine_anneal_schedule)]

    def _cosine_anneal_schedule(self, t):
        cos_inner = np.pi * (t % (self.T // self.M))
        cos_inner /= self.T // self.M
        cos_out = np.cos(cos_inner) + 1
        return float(self.alpha_zero / 2 * cos_out)
'''

TRAIN = '''
import argparse
from tensorflow import keras
from snapshot import SnapshotCallbackBuilder

parser = argparse.ArgumentParser()
parser.add_argument("--M", type=int, default=5)
parser.add_argument("--nb_epoch", type=int, default=200)
parser.add_argument("--alpha_zero", type=float, default=0.1)
args = parser.parse_args()
snapshot = SnapshotCallbackBuilder(args.nb_epoch, args.M, args.alpha_zero)
model = keras.Sequential([keras.layers.Dense(10)])
model.compile(loss="categorical_crossentropy", optimizer=keras.optimizers.SGD(), metrics=["acc"])
model.fit(x_train, y_train, epochs=args.nb_epoch, callbacks=snapshot.get_callbacks(model_prefix="m"))
'''


def _oracle(t: int, epochs: int = 200, snapshots: int = 5, lr: float = 0.1) -> float:
    inner = math.pi * (t % (epochs // snapshots)) / (epochs // snapshots)
    return float(lr / 2 * (math.cos(inner) + 1))


def test_a_method_of_the_builder_is_the_schedule(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    (tmp_path / "snapshot.py").write_text(BUILDER)
    (tmp_path / "train.py").write_text(TRAIN)
    cwd = os.getcwd()
    os.chdir(tmp_path)
    try:
        res = {r.path: r for r in audit_paths(["train.py"], jobs=1).results}
    finally:
        os.chdir(cwd)
    (s,) = res["train.py"].schedulers
    assert s["class"] == "keras.callbacks.LearningRateScheduler"
    assert s["args"]["schedule"]["source"] == "method SnapshotCallbackBuilder._cosine_anneal_schedule (snapshot.py:16)"
    assert s["lr"] is not None, s["summary"]
    want = [float(np.float32(_oracle(t))) for t in range(200)]  # Keras keeps the rate as a float32 variable
    assert len(s["lr"]) == 200 and max(abs(a - b) for a, b in zip(s["lr"], want)) < 1e-15
    assert s["shape"] == "cosine with restarts"
    assert res["train.py"].findings == []


def test_a_method_taking_the_rate_too_is_called_with_both() -> None:
    src = '''
from tensorflow import keras


class Decay:
    def __init__(self, factor):
        self.factor = factor

    def callbacks(self):
        return [keras.callbacks.LearningRateScheduler(self.schedule)]

    def schedule(self, epoch, lr):
        return lr * self.factor if epoch > 0 else lr


decay = Decay(0.5)
model = keras.Sequential([keras.layers.Dense(1)])
model.compile(loss="mse", optimizer=keras.optimizers.SGD(learning_rate=0.2))
model.fit(x, y, epochs=4, callbacks=decay.callbacks())
'''
    (s,) = audit_source(src, "fit.py").schedulers
    assert s["lr"] is not None, s["summary"]
    want, lr = [], float(np.float32(0.2))  # Keras keeps the rate as a float32 variable
    for epoch in range(4):
        lr = float(np.float32(lr * 0.5 if epoch > 0 else lr))
        want.append(lr)
    assert list(s["lr"]) == want


def test_a_static_method_is_the_plain_function() -> None:
    src = '''
from tensorflow import keras


class Plan:
    def callbacks(self):
        return [keras.callbacks.LearningRateScheduler(self.schedule)]

    @staticmethod
    def schedule(epoch):
        return 0.1 * 0.5 ** epoch


model = keras.Sequential([keras.layers.Dense(1)])
model.compile(loss="mse", optimizer=keras.optimizers.SGD(learning_rate=0.1))
plan = Plan()
model.fit(x, y, epochs=3, callbacks=plan.callbacks())
'''
    (s,) = audit_source(src, "fit.py").schedulers
    assert s["lr"] is not None, s["summary"]  # a static method is the plain function: nothing is bound
    assert list(s["lr"]) == [float(np.float32(0.1 * 0.5 ** e)) for e in range(3)]
