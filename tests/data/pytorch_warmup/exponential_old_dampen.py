"""pytorch_warmup, the 0.0.x/0.1.x form: lr_scheduler.step(); warmup_scheduler.dampen() (with torch 2's chainable
ExponentialLR the factors compound: the package's README warns about it)."""
import pytorch_warmup as warmup
import torch
from torch import nn

lr_history = []


def main():
    model = nn.Linear(4, 2)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    lr_scheduler = torch.optim.lr_scheduler.ExponentialLR(optimizer, gamma=0.99)
    warmup_scheduler = warmup.ExponentialWarmup(optimizer, warmup_period=10)
    for it in range(80):
        lr_history.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        lr_scheduler.step()
        warmup_scheduler.dampen()


if __name__ == "__main__":
    main()
