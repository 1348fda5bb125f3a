import torch
from timm.scheduler import CosineLRScheduler

model = torch.nn.Linear(2, 2)
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
scheduler = CosineLRScheduler(optimizer, t_initial=100, warmup_t=5, warmup_lr_init=1e-4)
num_updates = 0
for epoch in range(100):
    for i, (x, y) in enumerate(loader):
        optimizer.zero_grad()
        model(x).sum().backward()
        optimizer.step()
        num_updates += 1
        scheduler.step_update(num_updates=num_updates)
    scheduler.step(epoch)
