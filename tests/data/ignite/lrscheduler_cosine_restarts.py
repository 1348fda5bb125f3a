"""ignite: LRScheduler over CosineAnnealingWarmRestarts (ignite's own wrapper of it), use_legacy=True at
ITERATION_COMPLETED as its warning asks."""
import torch
from ignite.engine import Engine, Events
from ignite.handlers import LRScheduler
from torch import nn
from torch.optim.lr_scheduler import CosineAnnealingWarmRestarts

lr_history = []


def main():
    model = nn.Linear(4, 2)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    restarts = CosineAnnealingWarmRestarts(optimizer, T_0=5, T_mult=2, eta_min=0.001)
    scheduler = LRScheduler(restarts, use_legacy=True)

    def train_step(engine, batch):
        lr_history.append(optimizer.param_groups[0]["lr"])
        optimizer.step()

    trainer = Engine(train_step)
    trainer.add_event_handler(Events.ITERATION_COMPLETED, scheduler)
    trainer.run(range(9), max_epochs=6)


if __name__ == "__main__":
    main()
