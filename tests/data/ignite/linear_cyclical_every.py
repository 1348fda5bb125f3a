"""ignite: LinearCyclicalScheduler attached at ITERATION_STARTED(every=3)."""
import torch
from ignite.engine import Engine, Events
from ignite.handlers import LinearCyclicalScheduler
from torch import nn

lr_history = []
EVERY = 3


def main():
    model = nn.Linear(4, 2)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05)
    scheduler = LinearCyclicalScheduler(optimizer, "lr", 0.0, 0.1, 10)

    def train_step(engine, batch):
        lr_history.append(optimizer.param_groups[0]["lr"])
        optimizer.step()

    trainer = Engine(train_step)
    trainer.add_event_handler(Events.ITERATION_STARTED(every=EVERY), scheduler)
    trainer.run([1, 2, 3, 4, 5, 6, 7, 8], max_epochs=6)


if __name__ == "__main__":
    main()
