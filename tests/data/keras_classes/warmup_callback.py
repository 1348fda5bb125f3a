"""A warm-up callback on the Keras-2 hooks (on_batch_begin/on_batch_end) with a counter and .assign()."""
import numpy as np
import keras
from keras import ops


class WarmUp(keras.callbacks.Callback):
    def __init__(self, target_lr, warmup_batches, verbose=0):
        super(WarmUp, self).__init__()
        self.target_lr = target_lr
        self.warmup_batches = warmup_batches
        self.verbose = verbose
        self.batch_count = 0
        self.seen = []

    def on_batch_begin(self, batch, logs=None):
        if self.batch_count <= self.warmup_batches:
            lr = self.batch_count * self.target_lr / self.warmup_batches
            self.model.optimizer.learning_rate.assign(lr)
            if self.verbose:
                print("batch", self.batch_count, "lr", lr)

    def on_batch_end(self, batch, logs=None):
        self.batch_count = self.batch_count + 1
        self.seen.append(ops.convert_to_numpy(self.model.optimizer.learning_rate))


model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1)])
model.compile(optimizer=keras.optimizers.Adam(learning_rate=1e-3), loss="mse")
x = np.random.rand(35, 4).astype("float32")
y = np.random.rand(35, 1).astype("float32")
callbacks = [WarmUp(1e-3, warmup_batches=17)]
model.fit(x, y, batch_size=5, epochs=6, steps_per_epoch=7, callbacks=callbacks, verbose=0)
