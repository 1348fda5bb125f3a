"""A Noam wrapper written the other way round: it steps the optimizer, then updates the rate (NumPy helpers), so
the first update runs at Adam's own rate and every later one at the rate the call before wrote."""
import numpy as np
import torch
from torch import nn

STEPS = 3000
lr_history = []


class WarmupWrapper:
    def __init__(self, optimizer, d_model, n_warmup_steps):
        self._optimizer = optimizer
        self.n_warmup_steps = n_warmup_steps
        self.n_current_steps = 0
        self.init_lr = np.power(d_model, -0.5)

    def step_and_update_lr(self):
        self._optimizer.step()
        self._update_learning_rate()

    def zero_grad(self):
        self._optimizer.zero_grad()

    def _get_lr_scale(self):
        return np.min([np.power(self.n_current_steps, -0.5),
                       np.power(self.n_warmup_steps, -1.5) * self.n_current_steps])

    def _update_learning_rate(self):
        self.n_current_steps += 1
        lr = self.init_lr * self._get_lr_scale()
        for param_group in self._optimizer.param_groups:
            param_group["lr"] = lr


def main():
    model = nn.Linear(8, 8)
    optimizer = WarmupWrapper(torch.optim.Adam(model.parameters(), betas=(0.9, 0.98), eps=1e-9), 512, 400)
    x = torch.randn(4, 8)
    for step in range(STEPS):
        optimizer.zero_grad()
        model(x).pow(2).mean().backward()
        lr_history.append(optimizer._optimizer.param_groups[0]["lr"])  # the rate the next update uses
        optimizer.step_and_update_lr()


if __name__ == "__main__":
    main()
