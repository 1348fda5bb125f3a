"""ignite: ParamGroupScheduler of two PiecewiseLinear schedules, one per parameter group (param_group_index), at
EPOCH_STARTED (ignite's CycleGAN and Ax notebooks)."""
import torch
from ignite.engine import Engine, Events
from ignite.handlers import ParamGroupScheduler, PiecewiseLinear
from torch import nn

lr_history = []
EPOCH_LENGTH = 2


def main():
    model = nn.Linear(4, 2)
    optimizer = torch.optim.Adam([{"params": model.weight}, {"params": model.bias}], lr=2e-4)
    first = PiecewiseLinear(optimizer, "lr", milestones_values=[(0, 2e-4), (10, 2e-4), (30, 0.0)],
                            param_group_index=0)
    second = PiecewiseLinear(optimizer, "lr", milestones_values=[(0, 1e-3), (30, 1e-5)], param_group_index=1)
    scheduler = ParamGroupScheduler([first, second], names=["weights", "biases"])

    def train_step(engine, batch):
        lr_history.append(optimizer.param_groups[0]["lr"])
        optimizer.step()

    trainer = Engine(train_step)
    trainer.add_event_handler(Events.EPOCH_STARTED, scheduler)
    trainer.run(range(EPOCH_LENGTH), max_epochs=40)


if __name__ == "__main__":
    main()
