"""ignite: PiecewiseLinear warm-up and decay attached at ITERATION_STARTED (examples/cifar10 of ignite)."""
import torch
from ignite.engine import Engine, Events
from ignite.handlers import PiecewiseLinear
from torch import nn

lr_history = []


def main():
    model = nn.Linear(4, 2)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.4, momentum=0.9)
    le = 20
    data = range(le)
    milestones_values = [(0, 0.0), (le * 2, 0.4), (le * 6, 0.0)]
    lr_scheduler = PiecewiseLinear(optimizer, param_name="lr", milestones_values=milestones_values)

    def train_step(engine, batch):
        lr_history.append(optimizer.param_groups[0]["lr"])
        optimizer.step()

    trainer = Engine(train_step)
    trainer.add_event_handler(Events.ITERATION_STARTED, lr_scheduler)
    trainer.run(data, max_epochs=7)


if __name__ == "__main__":
    main()
