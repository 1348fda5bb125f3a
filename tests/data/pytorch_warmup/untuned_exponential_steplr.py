"""pytorch_warmup 0.2.0: UntunedExponentialWarmup (period from Adam's beta2 = 0.98) dampening a StepLR."""
import pytorch_warmup as warmup
import torch
from torch import nn
from torch.optim.lr_scheduler import StepLR

lr_history = []


def main():
    model = nn.Linear(4, 2)
    optimizer = torch.optim.Adam(model.parameters(), lr=3e-3, betas=(0.9, 0.98))
    lr_scheduler = StepLR(optimizer, step_size=40, gamma=0.5)
    warmup_scheduler = warmup.UntunedExponentialWarmup(optimizer)
    x = torch.randn(8, 4)
    for it in range(150):
        lr_history.append(optimizer.param_groups[0]["lr"])
        optimizer.zero_grad()
        model(x).pow(2).mean().backward()
        optimizer.step()
        with warmup_scheduler.dampening():
            lr_scheduler.step()


if __name__ == "__main__":
    main()
