"""The installed warmup-scheduler package stepped with step(epoch), as its own example (run.py) does: the StepLR
after the warm-up is stepped with ``epoch - total_epoch``, so it drops one epoch earlier than with step()."""
import torch
from torch import nn
from torch.optim.lr_scheduler import StepLR
from warmup_scheduler import GradualWarmupScheduler

lr_history = []


def main():
    model = nn.Linear(4, 2)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    scheduler_steplr = StepLR(optimizer, step_size=10, gamma=0.1)
    scheduler_warmup = GradualWarmupScheduler(optimizer, multiplier=1, total_epoch=5, after_scheduler=scheduler_steplr)
    x = torch.randn(8, 4)
    for epoch in range(1, 30):
        lr_history.append(optimizer.param_groups[0]["lr"])
        loss = model(x).pow(2).mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        scheduler_warmup.step(epoch)


if __name__ == "__main__":
    main()
