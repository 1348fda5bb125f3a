"""Megatron's AnnealingLR: a plain class whose step() sets every group's rate from a counter (warm-up, then
cosine to min_lr); the loop calls it after optimizer.step(), as it would a torch scheduler."""
import math

import torch
from torch import nn

TRAIN_ITERS = 2000
lr_history = []


class AnnealingLR(object):
    """Anneals the learning rate."""

    def __init__(self, optimizer, start_lr, warmup_iter, total_iters, decay_style, last_iter, min_lr=0.0):
        self.optimizer = optimizer
        self.start_lr = start_lr
        self.min_lr = min_lr
        self.warmup_iter = warmup_iter
        self.num_iters = last_iter
        self.end_iter = total_iters
        self.decay_style = decay_style
        self.step(self.num_iters)

    def get_lr(self):
        num_iters_ = self.num_iters
        if self.warmup_iter > 0 and self.num_iters <= self.warmup_iter:
            return float(self.start_lr) * max(1, num_iters_) / self.warmup_iter
        num_iters_ = num_iters_ - self.warmup_iter
        if self.decay_style == "linear":
            lr = self.start_lr * (self.end_iter - num_iters_) / self.end_iter
        elif self.decay_style == "cosine":
            lr = self.start_lr / 2.0 * (math.cos(math.pi * num_iters_ / self.end_iter) + 1)
        else:
            lr = self.start_lr
        return max(lr, self.min_lr)

    def step(self, step_num=None):
        """Set lr for all parameters groups."""
        if step_num is None:
            step_num = self.num_iters + 1
        self.num_iters = step_num
        new_lr = self.get_lr()
        for group in self.optimizer.param_groups:
            group["lr"] = new_lr

    def state_dict(self):
        return {"num_iters": self.num_iters}


def main():
    model = nn.Linear(8, 8)
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-4)
    lr_scheduler = AnnealingLR(optimizer, start_lr=6e-4, warmup_iter=TRAIN_ITERS // 100,
                               total_iters=TRAIN_ITERS, decay_style="cosine", last_iter=0, min_lr=6e-5)
    x = torch.randn(4, 8)
    for iteration in range(TRAIN_ITERS):
        lr_history.append(optimizer.param_groups[0]["lr"])  # the rate this step trains with
        loss = model(x).pow(2).mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        lr_scheduler.step()


if __name__ == "__main__":
    main()
