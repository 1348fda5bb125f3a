"""ignite: create_lr_scheduler_with_warmup over an ignite CosineAnnealingScheduler (warmup_end_value = its first
value: the warm-up ends one event earlier), at ITERATION_STARTED; two parameter groups."""
import torch
from ignite.engine import Engine, Events
from ignite.handlers import CosineAnnealingScheduler, create_lr_scheduler_with_warmup
from torch import nn

lr_history = []


def main():
    model = nn.Linear(4, 2)
    optimizer = torch.optim.SGD([{"params": model.weight}, {"params": model.bias, "lr": 0.5}], lr=0.1)
    cosine = CosineAnnealingScheduler(optimizer, "lr", start_value=0.1, end_value=0.001, cycle_size=30)
    scheduler = create_lr_scheduler_with_warmup(cosine, warmup_start_value=0.0, warmup_end_value=0.1,
                                                warmup_duration=6)

    def train_step(engine, batch):
        lr_history.append(optimizer.param_groups[0]["lr"])
        optimizer.step()

    trainer = Engine(train_step)
    trainer.add_event_handler(Events.ITERATION_STARTED, scheduler)
    trainer.run(range(10), max_epochs=5)


if __name__ == "__main__":
    main()
