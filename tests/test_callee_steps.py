"""Optimizer steps made inside functions the training loop calls (extract/loops.py ``_caller_context``,
checks/stepping.py, checks/wiring.py): ``train()`` is the norm in real code, and the recall audit found two
documented upstream bugs missed because of it (Deformable-ProtoPNet's LR202, ESRGAN's LR302)."""

from __future__ import annotations

from lraudit.api import audit_source

TWO_DEEP = '''
import torch


def _train_or_test(model, dataloader, optimizer=None):
    for x, y in dataloader:
        loss = model(x).sum()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()


def train(model, dataloader, optimizer):
    model.train()
    return _train_or_test(model=model, dataloader=dataloader, optimizer=optimizer)


model = torch.nn.Linear(4, 2)
optimizer = torch.optim.Adam(model.parameters(), lr=1e-4)
scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=5, gamma=0.2)
for epoch in range(30):
    ORDER
'''


def test_a_scheduler_stepped_before_a_helper_two_calls_deep_steps_the_optimizer() -> None:
    res = audit_source(TWO_DEEP.replace("ORDER", "scheduler.step()\n    train(model, train_loader, optimizer)"),
                       "main.py")
    (f,) = res.findings
    assert f.code == "LR202"
    assert "optimizer.step() at line 10 (inside _train_or_test(), in train(), called at line 23)" in f.message
    res = audit_source(TWO_DEEP.replace("ORDER", "train(model, train_loader, optimizer)\n    scheduler.step()"),
                       "main.py")
    assert res.findings == []
    (s,) = res.schedulers
    assert s["stepped"] == "epoch"


GAN = '''
import torch
from torch import nn, optim
from torch.optim import lr_scheduler


def train(g_model, d_model, loader, g_optimizer, d_optimizer):
    for x in loader:
        d_optimizer.zero_grad()
        d_model(x).mean().backward()
        d_optimizer.step()
        g_optimizer.zero_grad()
        g_model(x).mean().backward()
        g_optimizer.step()


def main():
    g_model, d_model = nn.Linear(4, 4), nn.Linear(4, 1)
    g_optimizer = optim.Adam(g_model.parameters(), 1e-4)
    d_optimizer = optim.Adam(d_model.parameters(), 1e-4)
    g_scheduler = lr_scheduler.MultiStepLR(g_optimizer, [50, 80], 0.5)
    d_scheduler = lr_scheduler.MultiStepLR(d_optimizer, [50, 80], 0.5)
    for epoch in range(100):
        train(g_model, d_model, loader, g_optimizer, D_OPT)
        g_scheduler.step()
        d_scheduler.step()
'''


def test_a_scheduler_on_an_optimizer_the_helper_never_steps() -> None:
    """ESRGAN-PyTorch #39: ``train(..., g_optimizer, g_optimizer)`` hands the generator's optimizer twice, so the
    discriminator's never trains, while its scheduler is stepped."""
    res = audit_source(GAN.replace("D_OPT", "g_optimizer"), "train_gan.py")
    (f,) = res.findings
    assert f.code == "LR302" and "Adam (d_optimizer) is never stepped, while Adam (g_optimizer) is stepped" \
        in f.message, f.message
    assert audit_source(GAN.replace("D_OPT", "d_optimizer"), "train_gan.py").findings == []
