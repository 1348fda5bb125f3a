"""Linear warm-up then cosine decay to a floor, with a helper method and ops.where / ops.cond."""
import math

import numpy as np
import keras
from keras import ops


class WarmupCosine(keras.optimizers.schedules.LearningRateSchedule):
    def __init__(self, peak, total_steps, warmup_steps, floor=1e-5, name=None):
        super(WarmupCosine, self).__init__()
        self.peak = peak
        self.total_steps = total_steps
        self.warmup_steps = warmup_steps
        self.floor = floor
        self.name = name

    def _cosine(self, step):
        progress = (step - self.warmup_steps) / float(self.total_steps - self.warmup_steps)
        progress = ops.minimum(progress, 1.0)
        return self.floor + 0.5 * (self.peak - self.floor) * (1.0 + ops.cos(math.pi * progress))

    def __call__(self, step):
        step = ops.cast(step, "float32")
        warm = self.peak * step / self.warmup_steps
        return ops.where(step < self.warmup_steps, warm, self._cosine(step))


steps_per_epoch = 10
epochs = 12
schedule = WarmupCosine(3e-3, total_steps=steps_per_epoch * epochs, warmup_steps=25)
model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1)])
model.compile(optimizer=keras.optimizers.AdamW(learning_rate=schedule), loss="mse")
x = np.random.rand(40, 4).astype("float32")
y = np.random.rand(40, 1).astype("float32")
model.fit(x, y, batch_size=4, epochs=epochs, steps_per_epoch=steps_per_epoch, verbose=0)
