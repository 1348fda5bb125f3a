import torch
from torch.optim.lr_scheduler import StepLR
model = torch.nn.Linear(2, 2)
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
scheduler = StepLR(optimizer, step_size=3)

def advance():
    scheduler.step()

def update(x):
    optimizer.zero_grad()
    model(x).sum().backward()
    optimizer.step()

for epoch in range(10):
    for x in loader:
        update(x)
        advance()

