import torch
from torch.optim.lr_scheduler import StepLR
from ignite.engine import Engine, Events

model = torch.nn.Linear(2, 2)
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
scheduler = StepLR(optimizer, step_size=3)

def train_step(engine, batch):
    optimizer.zero_grad()
    model(batch).sum().backward()
    optimizer.step()

trainer = Engine(train_step)

@trainer.on(Events.ITERATION_COMPLETED)
def adjust(engine):
    scheduler.step()

trainer.run(loader, max_epochs=10)
