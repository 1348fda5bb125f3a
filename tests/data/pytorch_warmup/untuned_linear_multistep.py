"""pytorch_warmup 0.2.0: UntunedLinearWarmup (Adam's default beta2: a 2000-update warm-up) over MultiStepLR."""
import pytorch_warmup as warmup
import torch
from torch import nn

lr_history = []


def main():
    model = nn.Linear(4, 2)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    lr_scheduler = torch.optim.lr_scheduler.MultiStepLR(optimizer, milestones=[1500, 2500], gamma=0.1)
    warmup_scheduler = warmup.UntunedLinearWarmup(optimizer)
    for it in range(3000):
        lr_history.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        with warmup_scheduler.dampening():
            lr_scheduler.step()


if __name__ == "__main__":
    main()
