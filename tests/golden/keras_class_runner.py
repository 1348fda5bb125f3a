"""Runs a script of tests/data/keras_classes for real with Keras and records the optimizer's learning rate at
every batch (read in ``on_train_batch_begin`` after the script's own callbacks, i.e. the rate of that update).

Used by tests/test_keras_class_parity.py (``record(path)``); ``python keras_class_runner.py SCRIPT`` prints the
recorded rates as JSON. Needs keras (KERAS_BACKEND=torch)."""

from __future__ import annotations

import json
import os
import runpy
import sys
from typing import Any

os.environ.setdefault("KERAS_BACKEND", "torch")


def record(path: str) -> dict[str, Any]:
    """{"per_batch": [rate of each update], "epoch_starts": [index of each epoch's first batch]}."""
    import keras

    rates: list[float] = []
    starts: list[int] = []

    class Recorder(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch: int, logs: Any = None) -> None:
            starts.append(len(rates))

        def on_train_batch_begin(self, batch: int, logs: Any = None) -> None:
            rates.append(float(keras.ops.convert_to_numpy(self.model.optimizer.learning_rate)))

    original = keras.Model.fit

    def fit(self: Any, *args: Any, **kwargs: Any) -> Any:
        kwargs["callbacks"] = list(kwargs.get("callbacks") or []) + [Recorder()]
        return original(self, *args, **kwargs)

    keras.utils.set_random_seed(0)
    keras.Model.fit = fit  # type: ignore[method-assign]
    try:
        runpy.run_path(path, run_name="__main__")
    finally:
        keras.Model.fit = original  # type: ignore[method-assign]
    return {"per_batch": rates, "epoch_starts": starts}


if __name__ == "__main__":
    print(json.dumps(record(sys.argv[1])))
