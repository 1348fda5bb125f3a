"""A warm-up class that writes the rate only while it warms up: after that the groups keep the last rate written."""
import torch
from torch import nn

STEPS = 600
lr_history = []


class LinearWarmup:
    def __init__(self, optimizer, warmup_steps, target_lr):
        self.optimizer = optimizer
        self.warmup_steps = warmup_steps
        self.target_lr = target_lr
        self.count = 0

    def step(self):
        self.count += 1
        if self.count <= self.warmup_steps:
            for i, group in enumerate(self.optimizer.param_groups):
                group["lr"] = self.target_lr * self.count / self.warmup_steps


def main():
    model = nn.Linear(8, 8)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.0, momentum=0.9)
    warmup = LinearWarmup(optimizer, 250, 0.1)
    x = torch.randn(4, 8)
    for step in range(STEPS):
        lr_history.append(optimizer.param_groups[0]["lr"])
        loss = model(x).pow(2).mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        warmup.step()


if __name__ == "__main__":
    main()
