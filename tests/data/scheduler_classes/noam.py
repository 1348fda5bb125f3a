"""Transformer training with the Noam schedule: an LRScheduler subclass with a helper method and a step() override."""
import torch
from torch import nn
from torch.optim.lr_scheduler import LRScheduler

D_MODEL = 512
WARMUP = 400
TOTAL_STEPS = 3000
lr_history = []


class NoamLR(LRScheduler):
    def __init__(self, optimizer, model_size, warmup_steps, factor=1.0, last_epoch=-1):
        self.model_size = model_size
        self.warmup_steps = warmup_steps
        self.factor = factor
        self.num_steps = 0
        super(NoamLR, self).__init__(optimizer, last_epoch)

    def rate(self, step):
        step = max(step, 1)
        return self.factor * (self.model_size ** (-0.5) * min(step ** (-0.5), step * self.warmup_steps ** (-1.5)))

    def get_lr(self):
        return [self.rate(self.last_epoch) for _ in self.base_lrs]

    def step(self, epoch=None):
        self.num_steps += 1
        super().step(epoch)


def main():
    model = nn.Linear(16, 16)
    optimizer = torch.optim.Adam(model.parameters(), lr=1.0, betas=(0.9, 0.98), eps=1e-9)
    scheduler = NoamLR(optimizer, D_MODEL, WARMUP, factor=2.0)
    x = torch.randn(4, 16)
    for step in range(TOTAL_STEPS):
        lr_history.append(optimizer.param_groups[0]["lr"])
        loss = model(x).pow(2).mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        scheduler.step()


if __name__ == "__main__":
    main()
