"""The installed warmup-scheduler package with a ReduceLROnPlateau after-scheduler, stepped with
step(epoch, metrics=...): the plateau scheduler receives step(metrics, epoch - total_epoch)."""
import torch
from torch import nn
from torch.optim.lr_scheduler import ReduceLROnPlateau
from warmup_scheduler import GradualWarmupScheduler

EPOCHS = 40
lr_history = []


def main():
    model = nn.Linear(4, 2)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    plateau = ReduceLROnPlateau(optimizer, factor=0.5, patience=3)
    scheduler = GradualWarmupScheduler(optimizer, multiplier=4, total_epoch=6, after_scheduler=plateau)
    x = torch.randn(8, 4)
    for epoch in range(EPOCHS):
        lr_history.append(optimizer.param_groups[0]["lr"])
        loss = model(x).pow(2).mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        val_loss = 1.0
        scheduler.step(epoch, metrics=val_loss)


if __name__ == "__main__":
    main()
