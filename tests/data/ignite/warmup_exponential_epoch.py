"""ignite: create_lr_scheduler_with_warmup over a torch ExponentialLR, attached at EPOCH_STARTED."""
import torch
from ignite.engine import Engine, Events
from ignite.handlers import create_lr_scheduler_with_warmup
from torch import nn
from torch.optim.lr_scheduler import ExponentialLR

lr_history = []
EPOCH_LENGTH = 4


def main():
    model = nn.Linear(4, 2)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.2)
    torch_lr_scheduler = ExponentialLR(optimizer=optimizer, gamma=0.9)
    scheduler = create_lr_scheduler_with_warmup(torch_lr_scheduler, warmup_start_value=0.01, warmup_end_value=0.1,
                                                warmup_duration=5)

    def train_step(engine, batch):
        lr_history.append(optimizer.param_groups[0]["lr"])
        optimizer.step()

    trainer = Engine(train_step)
    trainer.add_event_handler(Events.EPOCH_STARTED, scheduler)
    trainer.run(range(EPOCH_LENGTH), max_epochs=20)


if __name__ == "__main__":
    main()
