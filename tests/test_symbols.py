"""Run-time sizes as symbols: a rule fires on a relation that holds for every value of ``len(loader)``, never on
one that holds only for some; unresolved values computed from sizes carry their expression."""

from __future__ import annotations

import textwrap

from lraudit.api import audit_source

HF = """
import torch
from transformers import get_linear_schedule_with_warmup

model = torch.nn.Linear(2, 2)
optimizer = torch.optim.AdamW(model.parameters(), lr=5e-5)
epochs = 3
num_training_steps = len(train_loader) * epochs
scheduler = get_linear_schedule_with_warmup(optimizer, num_warmup_steps=WARMUP,
                                            num_training_steps=num_training_steps)
for epoch in range(epochs):
    for batch in train_loader:
        loss = model(batch).sum()
        loss.backward()
        optimizer.step()
        scheduler.step()
        optimizer.zero_grad()
"""

ONECYCLE = """
import torch

model = torch.nn.Linear(2, 2)
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
epochs = 10
scheduler = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=0.1, total_steps=TOTAL)
for epoch in range(epochs):
    for i, batch in enumerate(train_loader):
        loss = model(batch).sum()
        loss.backward()
        optimizer.step()
        scheduler.step()
        optimizer.zero_grad()
"""


def _codes(src: str) -> list[str]:
    result = audit_source(textwrap.dedent(src), "train.py")
    assert result.error is None, result.error
    return sorted(f.code for f in result.findings if f.code != "LR106")


def test_a_relation_that_holds_for_every_size_fires() -> None:
    # warm-up 1.5 * N * E against a run of N * E: longer than training whatever N is
    result = audit_source(textwrap.dedent(HF.replace("WARMUP", "int(1.5 * num_training_steps)")), "train.py")
    (f,) = [f for f in result.findings if f.code == "LR104"]
    assert "for every value of len(train_loader)" in f.message
    # OneCycle sized for one epoch of N batches, stepped N * E times
    assert _codes(ONECYCLE.replace("TOTAL", "len(train_loader)")) == ["LR103"]


def test_a_relation_that_holds_only_for_some_sizes_does_not_fire() -> None:
    # 500 warm-up steps against 3 * N: too long when N <= 166, fine otherwise
    assert _codes(HF.replace("WARMUP", "500")) == []
    # a warm-up that is a tenth of the run: fine for every N
    assert _codes(HF.replace("WARMUP", "int(0.1 * num_training_steps)")) == []
    # OneCycle sized for the whole run
    assert _codes(ONECYCLE.replace("TOTAL", "len(train_loader) * epochs")) == []
    # OneCycle sized for 5000 steps: overrun only when N > 500
    assert _codes(ONECYCLE.replace("TOTAL", "5000")) == []


def test_an_unresolved_size_keeps_its_expression() -> None:
    result = audit_source(textwrap.dedent(ONECYCLE.replace("TOTAL", "len(train_loader) * epochs")), "train.py")
    (s,) = result.schedulers
    v = s["args"]["total_steps"]
    assert v["value"] is None and v["expression"] == "len(train_loader) * 10" and "len(train_loader)" in v["unresolved"]
