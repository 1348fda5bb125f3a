"""A subclass of Keras's ``LearningRateScheduler`` that hands its schedule to the base class
(``super().__init__(self.step_decay, **kwargs)``, kiudee/cs-ranking issue #58) is the catalog callback with that
schedule (extract/objects.py ``_forwarding_classes``). It was not recognised at all, so the compounding decay of the
upstream bug went unreported. The curves are compared with the same scripts fitted for real with Keras 3."""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path
from typing import Any

import pytest

os.environ.setdefault("KERAS_BACKEND", "torch")
if importlib.util.find_spec("keras") is None:
    raise ImportError("test_keras_forwarding_subclass.py needs keras: pip install keras torch==2.13.0")

from lraudit.analyze import AnalysisOptions  # noqa: E402
from lraudit.api import audit_paths  # noqa: E402

HERE = Path(__file__).resolve().parent
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning", "ignore::UserWarning")


def _runner() -> Any:
    path = HERE / "golden" / "keras_class_runner.py"
    spec = importlib.util.spec_from_file_location("keras_class_runner", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


RUNNER = _runner()

TAIL = '''
model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1)])
model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.1), loss="mse")
x = np.random.rand(8, 4).astype("float32")
y = np.random.rand(8, 1).astype("float32")
model.fit(x, y, batch_size=4, epochs=12, steps_per_epoch=2, callbacks=[CALLBACK], verbose=0)
'''

CASES = {
    # cs-ranking's bug: lr * drop ** floor((1 + epoch) / epochs_drop) applied to the *current* rate compounds
    "compounding_method": ('''
import math
from abc import ABC
import numpy as np
import keras
from keras.callbacks import LearningRateScheduler


class Tunable(ABC):  # a mixin of the repository, with no hook of its own
    def set_tunable_parameters(self, **point):
        raise NotImplementedError


class LRScheduler(LearningRateScheduler, Tunable):
    def __init__(self, epochs_drop=300, drop=0.1, **kwargs):
        super(LRScheduler, self).__init__(self.step_decay, **kwargs)
        self.epochs_drop = epochs_drop
        self.drop = drop

    def step_decay(self, epoch, lr):
        step = math.floor((1 + epoch) / self.epochs_drop)
        return lr * math.pow(self.drop, step)
''', "LRScheduler(epochs_drop=2, drop=0.5, verbose=0)", True),
    # the fixed form: the initial rate, not the current one
    "fixed_method": ('''
import math
import numpy as np
import keras


class StepDecay(keras.callbacks.LearningRateScheduler):
    def __init__(self, initial_lr=0.1, epochs_drop=4, drop=0.5):
        self.initial_lr = initial_lr
        self.epochs_drop = epochs_drop
        self.drop = drop
        super().__init__(self.schedule_fn)

    def schedule_fn(self, epoch):
        return self.initial_lr * self.drop ** math.floor(epoch / self.epochs_drop)
''', "StepDecay(epochs_drop=3)", False),
    # a plain function handed up with Base.__init__(self, ...), and a subclass with no __init__ at all
    "plain_function": ('''
import numpy as np
import keras
from keras.callbacks import LearningRateScheduler


def halve_every_5(epoch):
    return 0.1 * 0.5 ** (epoch // 5)


class Halving(LearningRateScheduler):
    def __init__(self):
        LearningRateScheduler.__init__(self, halve_every_5, verbose=0)
''', "Halving()", False),
    "no_init": ('''
import numpy as np
import keras


class Quiet(keras.callbacks.LearningRateScheduler):
    pass
''', "Quiet(lambda epoch: 0.1 if epoch < 6 else 0.01)", False),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_a_forwarding_subclass_is_the_callback_keras_runs(tmp_path: Path, name: str) -> None:
    head, call, buggy = CASES[name]
    path = tmp_path / f"{name}.py"
    path.write_text(head + TAIL.replace("CALLBACK", call), encoding="utf-8")
    run = audit_paths([str(path)], AnalysisOptions(), jobs=1, cwd=str(tmp_path))
    (res,) = run.results
    assert res.error is None, res.error
    (entry,) = res.schedulers
    assert entry["class"] == "keras.callbacks.LearningRateScheduler", entry["class"]
    assert entry["optimizer"] == res.optimizers[0]["id"] and entry["stepped"] == "epoch"
    real = RUNNER.record(str(path))
    expected = [real["per_batch"][i] for i in real["epoch_starts"]]
    got = entry["lr"]
    assert got is not None and len(got) == len(expected) == 12, (got, expected)
    for k, (a, b) in enumerate(zip(got, expected)):
        assert abs(a - b) <= 1e-6 * max(expected), (name, k, a, b)  # Keras keeps the rate in float32
    codes = [f.code for f in res.findings]
    assert ("LR102" in codes) == buggy, [f.message for f in res.findings]


def test_a_subclass_with_its_own_hooks_is_not_read_as_the_base(tmp_path: Path) -> None:
    """Overriding on_epoch_begin replaces what the base does: the class is a rate-writing callback of its own
    (frameworks/keras_callbacks.py), not LearningRateScheduler with the schedule it was given."""
    head = '''
import numpy as np
import keras


class Fixed(keras.callbacks.LearningRateScheduler):
    def __init__(self):
        super().__init__(lambda epoch: 1.0)

    def on_epoch_begin(self, epoch, logs=None):
        self.model.optimizer.learning_rate.assign(0.1 * 0.9 ** epoch)
'''
    path = tmp_path / "own_hooks.py"
    path.write_text(head + TAIL.replace("CALLBACK", "Fixed()"), encoding="utf-8")
    run = audit_paths([str(path)], AnalysisOptions(), jobs=1, cwd=str(tmp_path))
    real = RUNNER.record(str(path))
    expected = [real["per_batch"][i] for i in real["epoch_starts"]]
    for entry in run.results[0].schedulers:  # not followed (as before), or followed as its own hook
        assert entry["class"] != "keras.callbacks.LearningRateScheduler"
        if entry["lr"] is not None:
            assert all(abs(a - b) <= 1e-6 for a, b in zip(entry["lr"], expected)), (entry["lr"], expected)


def test_kwargs_the_call_cannot_show_stay_unknown(tmp_path: Path) -> None:
    head, _, _ = CASES["compounding_method"]
    path = tmp_path / "star.py"
    path.write_text(head + "opts = dict(verbose=0)\n" + TAIL.replace("CALLBACK", "LRScheduler(4, 0.5, **opts)"),
                    encoding="utf-8")
    run = audit_paths([str(path)], AnalysisOptions(), jobs=1, cwd=str(tmp_path))
    (entry,) = run.results[0].schedulers
    assert entry["class"] == "keras.callbacks.LearningRateScheduler"
    assert entry["args"]["verbose"]["value"] is None
    assert "may be passed through **kwargs of LRScheduler()" in entry["args"]["verbose"]["unresolved"]
