"""pytorch_warmup 0.2.0: LinearWarmup built *before* the CosineAnnealingLR it dampens (the package warns against
it): the scheduler's initial_lr is the dampened rate."""
import pytorch_warmup as warmup
import torch
from torch import nn

lr_history = []


def main():
    model = nn.Linear(4, 2)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    warmup_scheduler = warmup.LinearWarmup(optimizer, warmup_period=10)
    lr_scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=50)
    for it in range(50):
        lr_history.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        with warmup_scheduler.dampening():
            lr_scheduler.step()


if __name__ == "__main__":
    main()
