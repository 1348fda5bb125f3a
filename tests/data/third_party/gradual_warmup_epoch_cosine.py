"""The installed warmup-scheduler package stepped with step(epoch + 1) from epoch 0, multiplier 2, handing over
to a CosineAnnealingLR (its closed form, since it is given an epoch)."""
import torch
from torch import nn
from torch.optim.lr_scheduler import CosineAnnealingLR
from warmup_scheduler import GradualWarmupScheduler

EPOCHS = 25
lr_history = []


def main():
    model = nn.Linear(4, 2)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    cosine = CosineAnnealingLR(optimizer, T_max=20, eta_min=1e-4)
    scheduler = GradualWarmupScheduler(optimizer, multiplier=2, total_epoch=3, after_scheduler=cosine)
    x = torch.randn(8, 4)
    for epoch in range(EPOCHS):
        lr_history.append(optimizer.param_groups[0]["lr"])
        loss = model(x).pow(2).mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        scheduler.step(epoch + 1)


if __name__ == "__main__":
    main()
