"""The Transformer tutorial's CustomSchedule (Noam: rsqrt(d_model) * min(rsqrt(step), step * warmup ** -1.5))."""
import numpy as np
import keras
from keras import ops


class CustomSchedule(keras.optimizers.schedules.LearningRateSchedule):
    def __init__(self, d_model, warmup_steps=40):
        super().__init__()
        self.d_model = d_model
        self.d_model = ops.cast(self.d_model, "float32")
        self.warmup_steps = warmup_steps

    def __call__(self, step):
        step = ops.cast(step, dtype="float32")
        arg1 = ops.rsqrt(step)
        arg2 = step * (self.warmup_steps ** -1.5)
        return ops.rsqrt(self.d_model) * ops.minimum(arg1, arg2)

    def get_config(self):
        return {"d_model": self.d_model, "warmup_steps": self.warmup_steps}


learning_rate = CustomSchedule(128)
optimizer = keras.optimizers.Adam(learning_rate, beta_1=0.9, beta_2=0.98, epsilon=1e-9)
model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1)])
model.compile(optimizer=optimizer, loss="mse")
x = np.random.rand(64, 4).astype("float32")
y = np.random.rand(64, 1).astype("float32")
model.fit(x, y, batch_size=8, epochs=15, steps_per_epoch=8, verbose=0)
