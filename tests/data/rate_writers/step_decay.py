"""A decay class that multiplies the current rate (``g["lr"] *= gamma``) every few epochs: it reads the rate it
finds, so it is stepped one call at a time."""
import torch
from torch import nn

EPOCHS = 100
lr_history = []


class StepDecay:
    def __init__(self, optimizer, every, gamma=0.5):
        self.optimizer = optimizer
        self.every = every
        self.gamma = gamma
        self.n = 0

    def step(self):
        self.n += 1
        if self.n % self.every == 0:
            for g in self.optimizer.param_groups:
                g["lr"] *= self.gamma


def main():
    model = nn.Linear(8, 8)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    decay = StepDecay(optimizer, 30)
    loader = torch.utils.data.DataLoader(torch.randn(40, 8), batch_size=8)
    for epoch in range(EPOCHS):
        for x in loader:
            loss = model(x).pow(2).mean()
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        lr_history.append(optimizer.param_groups[0]["lr"])  # the rate this epoch trained with
        decay.step()


if __name__ == "__main__":
    main()
