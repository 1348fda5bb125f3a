"""pytorch_warmup 0.2.0: LinearWarmup dampening a CosineAnnealingLR, stepped per batch inside dampening()."""
import pytorch_warmup as warmup
import torch
from torch import nn

lr_history = []


def main():
    model = nn.Linear(4, 2)
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=0.01)
    num_steps = 60
    lr_scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=num_steps)
    warmup_scheduler = warmup.LinearWarmup(optimizer, warmup_period=15)
    x = torch.randn(8, 4)
    for step in range(num_steps):
        lr_history.append(optimizer.param_groups[0]["lr"])
        optimizer.zero_grad()
        model(x).pow(2).mean().backward()
        optimizer.step()
        with warmup_scheduler.dampening():
            lr_scheduler.step()


if __name__ == "__main__":
    main()
