"""A subclass of torch's MultiStepLR that adds a linear warm-up on top of super().get_lr() (chainable form)."""
import torch
from torch import nn
from torch.optim.lr_scheduler import MultiStepLR

EPOCHS = 90
lr_history = []


class WarmupMultiStep(MultiStepLR):
    def __init__(self, optimizer, milestones, warmup=5, gamma=0.1):
        self.warmup = warmup
        super().__init__(optimizer, milestones, gamma=gamma)

    def get_lr(self):
        lrs = super().get_lr()
        if self.last_epoch < self.warmup:
            return [base * (self.last_epoch + 1) / self.warmup for base in self.base_lrs]
        if self.last_epoch == self.warmup:
            return list(self.base_lrs)
        return lrs


def main():
    model = nn.Linear(4, 2)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    scheduler = WarmupMultiStep(optimizer, milestones=[30, 60, 80], warmup=5)
    x = torch.randn(8, 4)
    for epoch in range(EPOCHS):
        lr_history.append(optimizer.param_groups[0]["lr"])
        loss = model(x).pow(2).mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        scheduler.step()


if __name__ == "__main__":
    main()
