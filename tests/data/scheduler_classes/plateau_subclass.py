"""A ReduceLROnPlateau subclass that counts its reductions (stepped with the validation loss)."""
import torch
from torch import nn
from torch.optim.lr_scheduler import ReduceLROnPlateau

EPOCHS = 50
lr_history = []


class CountingPlateau(ReduceLROnPlateau):
    def __init__(self, optimizer, **kwargs):
        super().__init__(optimizer, **kwargs)
        self.reductions = 0

    def _reduce_lr(self, epoch):
        self.reductions += 1
        super()._reduce_lr(epoch)


def main():
    model = nn.Linear(4, 1)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    scheduler = CountingPlateau(optimizer, factor=0.5, patience=3, min_lr=1e-5)
    x, y = torch.randn(8, 4), torch.randn(8, 1)
    for epoch in range(EPOCHS):
        lr_history.append(optimizer.param_groups[0]["lr"])
        loss = nn.functional.mse_loss(model(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        val_loss = 1.0
        scheduler.step(val_loss)


if __name__ == "__main__":
    main()
