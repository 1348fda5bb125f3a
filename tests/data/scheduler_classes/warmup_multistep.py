"""Detection-style training: a WarmupMultiStepLR(_LRScheduler) with a module-level helper, two param groups."""
from bisect import bisect_right

import torch
from torch import nn
from torch.optim.lr_scheduler import _LRScheduler

MAX_ITER = 400
BASE_LR = 0.02
STEPS = (250, 350)
lr_history = []


def _get_warmup_factor_at_iter(method, it, warmup_iters, warmup_factor):
    if it >= warmup_iters:
        return 1.0
    if method == "constant":
        return warmup_factor
    elif method == "linear":
        alpha = it / warmup_iters
        return warmup_factor * (1 - alpha) + alpha
    raise ValueError("Unknown warmup method: {}".format(method))


class WarmupMultiStepLR(_LRScheduler):
    def __init__(self, optimizer, milestones, gamma=0.1, warmup_factor=0.001, warmup_iters=1000,
                 warmup_method="linear", last_epoch=-1):
        if not list(milestones) == sorted(milestones):
            raise ValueError("Milestones should be a list of increasing integers. Got {}", milestones)
        self.milestones = milestones
        self.gamma = gamma
        self.warmup_factor = warmup_factor
        self.warmup_iters = warmup_iters
        self.warmup_method = warmup_method
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        warmup_factor = _get_warmup_factor_at_iter(
            self.warmup_method, self.last_epoch, self.warmup_iters, self.warmup_factor
        )
        return [
            base_lr * warmup_factor * self.gamma ** bisect_right(self.milestones, self.last_epoch)
            for base_lr in self.base_lrs
        ]

    def _compute_values(self):
        return self.get_lr()


def main():
    model = nn.Sequential(nn.Linear(8, 8), nn.Linear(8, 1))
    optimizer = torch.optim.SGD([
        {"params": model[0].parameters()},
        {"params": model[1].parameters(), "lr": BASE_LR * 2},
    ], lr=BASE_LR, momentum=0.9)
    scheduler = WarmupMultiStepLR(optimizer, STEPS, gamma=0.1, warmup_factor=1.0 / 3, warmup_iters=100)
    x, y = torch.randn(16, 8), torch.randn(16, 1)
    for it in range(MAX_ITER):
        lr_history.append(optimizer.param_groups[0]["lr"])
        loss = nn.functional.mse_loss(model(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        scheduler.step()


if __name__ == "__main__":
    main()
