"""ignite: CosineAnnealingScheduler with cycle_mult, attached with attach() at ITERATION_COMPLETED (the first
update runs at the optimizer's own rate)."""
import torch
from ignite.engine import Engine, Events
from ignite.handlers import CosineAnnealingScheduler
from torch import nn

lr_history = []


def main():
    model = nn.Linear(4, 2)
    optimizer = torch.optim.Adam(model.parameters(), lr=3e-4)
    scheduler = CosineAnnealingScheduler(optimizer, "lr", start_value=1e-2, end_value=1e-4, cycle_size=12,
                                         cycle_mult=2, end_value_mult=0.5)

    def train_step(engine, batch):
        lr_history.append(optimizer.param_groups[0]["lr"])
        optimizer.step()

    trainer = Engine(train_step)
    scheduler.attach(trainer, Events.ITERATION_COMPLETED)
    trainer.run(range(15), max_epochs=5)


if __name__ == "__main__":
    main()
