"""The installed warmup-scheduler package: GradualWarmupScheduler handing over to a CosineAnnealingLR (multiplier 8)."""
import torch
from torch import nn
from torch.optim.lr_scheduler import CosineAnnealingLR
from warmup_scheduler import GradualWarmupScheduler

EPOCHS = 30
lr_history = []


def main():
    model = nn.Linear(4, 2)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    scheduler_steplr = CosineAnnealingLR(optimizer, T_max=26)
    scheduler_warmup = GradualWarmupScheduler(optimizer, multiplier=8, total_epoch=4, after_scheduler=scheduler_steplr)
    x = torch.randn(8, 4)
    for epoch in range(EPOCHS):
        lr_history.append(optimizer.param_groups[0]["lr"])
        loss = model(x).pow(2).mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        scheduler_warmup.step()


if __name__ == "__main__":
    main()
