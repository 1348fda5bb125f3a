"""Segmentation training: a polynomial decay with warm-up split into helper methods, a per-group floor."""
import torch
from torch import nn
from torch.optim import lr_scheduler

EPOCHS = 60
lr_history = []


class PolyWarmupLR(lr_scheduler._LRScheduler):
    def __init__(self, optimizer, total_epochs, warmup_epochs=5, power=0.9, min_lrs=None, last_epoch=-1):
        self.total_epochs = total_epochs
        self.warmup_epochs = warmup_epochs
        self.power = power
        if min_lrs is None:
            min_lrs = [0.0] * len(optimizer.param_groups)
        self.min_lrs = min_lrs
        lr_scheduler._LRScheduler.__init__(self, optimizer, last_epoch)

    def _warmup_ratio(self):
        return (self.last_epoch + 1) / (self.warmup_epochs + 1)

    def _poly_ratio(self):
        progress = (self.last_epoch - self.warmup_epochs) / float(self.total_epochs - self.warmup_epochs)
        return (1.0 - min(progress, 1.0)) ** self.power

    def get_lr(self):
        if self.last_epoch < self.warmup_epochs:
            ratio = self._warmup_ratio()
        else:
            ratio = self._poly_ratio()
        return [max(base * ratio, floor) for base, floor in zip(self.base_lrs, self.min_lrs)]


def main():
    backbone, head = nn.Linear(8, 8), nn.Linear(8, 2)
    optimizer = torch.optim.SGD([{"params": backbone.parameters(), "lr": 0.01},
                                 {"params": head.parameters(), "lr": 0.1}], lr=0.01, momentum=0.9,
                                weight_decay=1e-4)
    scheduler = PolyWarmupLR(optimizer, EPOCHS, warmup_epochs=3, power=0.9, min_lrs=[1e-4, 1e-3])
    x = torch.randn(8, 8)
    for epoch in range(EPOCHS):
        lr_history.append(optimizer.param_groups[0]["lr"])
        for _ in range(2):
            loss = head(backbone(x)).pow(2).mean()
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        scheduler.step()


if __name__ == "__main__":
    main()
