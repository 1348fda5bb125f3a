"""pytorch_warmup 0.2.0: RAdamWarmup (AdamW, beta2 0.99) dampening a LambdaLR, the optimizer stepped in a helper."""
import pytorch_warmup as warmup
import torch
from torch import nn

lr_history = []


def update(lr_scheduler, warmup_scheduler):
    with warmup_scheduler.dampening():
        lr_scheduler.step()


def main():
    model = nn.Linear(4, 2)
    optimizer = torch.optim.AdamW(model.parameters(), lr=2e-3, betas=(0.9, 0.99))
    lr_scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: 1.0 / (1.0 + 0.01 * step))
    warmup_scheduler = warmup.RAdamWarmup(optimizer)
    for epoch in range(4):
        for batch in range(25):
            lr_history.append(optimizer.param_groups[0]["lr"])
            optimizer.step()
            update(lr_scheduler, warmup_scheduler)


if __name__ == "__main__":
    main()
