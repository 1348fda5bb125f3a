import torch
from torch.optim.lr_scheduler import CosineAnnealingLR

def train(model, loader, total, span):
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    s1 = CosineAnnealingLR(opt, T_max=total)
    for epoch in range(total):
        for x in loader:
            opt.zero_grad(); model(x).sum().backward(); opt.step()
            s1.step()

def train_ok(model, loader, total, span):
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    s2 = CosineAnnealingLR(opt, T_max=span)
    for epoch in range(total):
        for x in loader:
            opt.zero_grad(); model(x).sum().backward(); opt.step()
            s2.step()

def train_ok2(model, loader, total, span):
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    s3 = CosineAnnealingLR(opt, T_max=total)
    for epoch in range(total):
        for x in loader:
            opt.zero_grad(); model(x).sum().backward(); opt.step()
        s3.step()
