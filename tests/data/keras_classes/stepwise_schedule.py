"""Python control flow on the step, a subclass of another schedule class of the file, integer steps."""
import numpy as np
import keras


class BaseSchedule(keras.optimizers.schedules.LearningRateSchedule):
    def __init__(self, base_lr):
        self.base_lr = base_lr

    def factor(self, step):
        return 1.0


class StepDecay(BaseSchedule):
    def __init__(self, base_lr, boundaries, gamma=0.5):
        super().__init__(base_lr)
        self.boundaries = list(boundaries)
        self.gamma = gamma

    def factor(self, step):
        f = 1.0
        for b in self.boundaries:
            if step >= b:
                f *= self.gamma
        return f

    def __call__(self, step):
        return self.base_lr * self.factor(int(step)) * BaseSchedule.factor(self, step)


model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1)])
model.compile(optimizer=keras.optimizers.SGD(learning_rate=StepDecay(0.1, [20, 45, 60])), loss="mse")
x = np.random.rand(30, 4).astype("float32")
y = np.random.rand(30, 1).astype("float32")
model.fit(x, y, batch_size=5, epochs=12, steps_per_epoch=6, verbose=0)
