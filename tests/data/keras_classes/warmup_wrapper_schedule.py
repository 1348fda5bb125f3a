"""Hugging Face's TF ``WarmUp`` (transformers/optimization_tf.py) over a Keras PolynomialDecay it is handed as
``decay_schedule_fn``, with Keras 3 spellings (``keras.name_scope``, ``ops.cond``, ``ops.power``)."""
import numpy as np
import keras
from keras import ops


class WarmUp(keras.optimizers.schedules.LearningRateSchedule):
    def __init__(self, initial_learning_rate, decay_schedule_fn, warmup_steps, power=1.0, name=None):
        super().__init__()
        self.initial_learning_rate = initial_learning_rate
        self.warmup_steps = warmup_steps
        self.power = power
        self.decay_schedule_fn = decay_schedule_fn
        self.name = name

    def __call__(self, step):
        with keras.name_scope(self.name or "WarmUp"):
            global_step_float = ops.cast(step, "float32")
            warmup_steps_float = ops.cast(self.warmup_steps, "float32")
            warmup_percent_done = global_step_float / warmup_steps_float
            warmup_learning_rate = self.initial_learning_rate * ops.power(warmup_percent_done, self.power)
            return ops.cond(
                global_step_float < warmup_steps_float,
                lambda: warmup_learning_rate,
                lambda: self.decay_schedule_fn(step - self.warmup_steps),
            )


def create_optimizer(init_lr, num_train_steps, num_warmup_steps, min_lr_ratio=0.1, power=2.0):
    lr_schedule = keras.optimizers.schedules.PolynomialDecay(
        initial_learning_rate=init_lr,
        decay_steps=num_train_steps - num_warmup_steps,
        end_learning_rate=init_lr * min_lr_ratio,
        power=power,
    )
    if num_warmup_steps:
        lr_schedule = WarmUp(initial_learning_rate=init_lr, decay_schedule_fn=lr_schedule,
                             warmup_steps=num_warmup_steps, power=0.5)
    return keras.optimizers.Adam(learning_rate=lr_schedule)


model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1)])
model.compile(optimizer=create_optimizer(5e-4, 90, 20), loss="mse")
x = np.random.rand(30, 4).astype("float32")
y = np.random.rand(30, 1).astype("float32")
model.fit(x, y, batch_size=3, epochs=10, steps_per_epoch=10, verbose=0)
