"""ignite: ConcatScheduler of a linear ramp and a cosine anneal, attached at EPOCH_COMPLETED."""
import torch
from ignite.engine import Engine, Events
from ignite.handlers import ConcatScheduler, CosineAnnealingScheduler, LinearCyclicalScheduler
from torch import nn

lr_history = []
EPOCH_LENGTH = 3


def main():
    model = nn.Linear(4, 2)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.3)
    scheduler_1 = LinearCyclicalScheduler(optimizer, "lr", start_value=0.0, end_value=1.0, cycle_size=8)
    scheduler_2 = CosineAnnealingScheduler(optimizer, "lr", start_value=1.0, end_value=0.2, cycle_size=6)
    combined = ConcatScheduler(schedulers=[scheduler_1, scheduler_2], durations=[4])

    def train_step(engine, batch):
        lr_history.append(optimizer.param_groups[0]["lr"])
        optimizer.step()

    trainer = Engine(train_step)
    trainer.add_event_handler(Events.EPOCH_COMPLETED, combined)
    trainer.run(range(EPOCH_LENGTH), max_epochs=16)


if __name__ == "__main__":
    main()
