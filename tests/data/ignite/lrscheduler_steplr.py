"""ignite: LRScheduler wrapping a torch StepLR at ITERATION_STARTED (the first event gives the optimizer's rate)."""
import torch
from ignite.engine import Engine, Events
from ignite.handlers import LRScheduler
from torch import nn
from torch.optim.lr_scheduler import StepLR

lr_history = []


def main():
    model = nn.Linear(4, 2)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    torch_lr_scheduler = StepLR(optimizer, step_size=7, gamma=0.5)
    scheduler = LRScheduler(torch_lr_scheduler)

    def train_step(engine, batch):
        lr_history.append(optimizer.param_groups[0]["lr"])
        optimizer.step()

    trainer = Engine(train_step)
    trainer.add_event_handler(Events.ITERATION_STARTED, scheduler)
    trainer.run([0] * 10, max_epochs=4)


if __name__ == "__main__":
    main()
