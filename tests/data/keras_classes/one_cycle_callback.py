"""A one-cycle callback: sizes from self.params in on_train_begin, the rate set per batch, a history of logs."""
import math

import numpy as np
import keras


class OneCycle(keras.callbacks.Callback):
    def __init__(self, max_lr, div_factor=25.0, final_div=1e4, pct_start=0.3):
        super().__init__()
        self.max_lr = max_lr
        self.div_factor = div_factor
        self.final_div = final_div
        self.pct_start = pct_start
        self.history = {}

    def on_train_begin(self, logs=None):
        self.total = self.params["epochs"] * self.params["steps"]
        self.up = int(self.total * self.pct_start)
        self.iteration = 0
        self.model.optimizer.learning_rate = self.max_lr / self.div_factor

    def _annealed(self, start, end, pct):
        return end + (start - end) / 2.0 * (math.cos(math.pi * pct) + 1)

    def rate(self):
        if self.iteration < self.up:
            return self._annealed(self.max_lr / self.div_factor, self.max_lr, self.iteration / self.up)
        pct = (self.iteration - self.up) / max(1, self.total - self.up)
        return self._annealed(self.max_lr, self.max_lr / self.final_div, pct)

    def on_train_batch_begin(self, batch, logs=None):
        self.model.optimizer.learning_rate = self.rate()

    def on_train_batch_end(self, batch, logs=None):
        logs = logs or {}
        self.iteration += 1
        self.history.setdefault("lr", []).append(float(self.model.optimizer.learning_rate))
        for k, v in logs.items():
            self.history.setdefault(k, []).append(v)


model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1)])
model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.01, momentum=0.9), loss="mse")
x = np.random.rand(48, 4).astype("float32")
y = np.random.rand(48, 1).astype("float32")
model.fit(x, y, batch_size=8, epochs=9, steps_per_epoch=6, callbacks=[OneCycle(0.2)], verbose=0)
