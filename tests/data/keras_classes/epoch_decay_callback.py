"""Per-epoch decay from the current rate (float of the variable), with a warm start and logs only recorded."""
import numpy as np
import keras


class EpochDecay(keras.callbacks.Callback):
    def __init__(self, decay=0.8, every=2, start_epoch=1):
        super().__init__()
        self.decay = decay
        self.every = every
        self.start_epoch = start_epoch
        self.losses = []

    def on_epoch_begin(self, epoch, logs=None):
        if epoch < self.start_epoch:
            return
        if (epoch - self.start_epoch) % self.every == 0:
            current = float(self.model.optimizer.learning_rate)
            self.model.optimizer.learning_rate.assign(current * self.decay)

    def on_epoch_end(self, epoch, logs=None):
        self.losses.append(logs.get("loss"))


model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1)])
model.compile(optimizer=keras.optimizers.RMSprop(learning_rate=0.05), loss="mse")
x = np.random.rand(20, 4).astype("float32")
y = np.random.rand(20, 1).astype("float32")
model.fit(x, y, batch_size=5, epochs=11, steps_per_epoch=4, callbacks=[EpochDecay()], verbose=0)
