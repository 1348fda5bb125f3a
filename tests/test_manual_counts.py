"""A rate carried from pass to pass under several conditions (``if i == 0 and epoch in [30, 60]: g["lr"] *= 0.1``
in the batch loop): its curve is drawn over long runs, in time linear in the run (evaluate.lraudit_count keeps
the count between steps), and equals the rate a real run writes."""

from __future__ import annotations

import math
import textwrap
import time

from lraudit.api import audit_source

LOOP = """
import torch

model = torch.nn.Linear(2, 2)
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
loader = [(torch.randn(4, 2), torch.randn(4, 2))] * 50
for epoch in range(90):
    for i, (x, y) in enumerate(loader):
        if GATE:
            for g in optimizer.param_groups:
                g["lr"] *= 0.1
        optimizer.zero_grad()
        model(x).sum().backward()
        optimizer.step()
"""


def _replay(gate, epochs: int = 90, n: int = 100) -> list[float]:
    """The rate at each optimizer step, as the loop writes it (the oracle, in plain Python)."""
    lr, out = 0.1, []
    for epoch in range(epochs):
        for i in range(n):
            if gate(epoch, i):
                lr *= 0.1
            out.append(lr)
    return out


def _curve(gate: str) -> tuple[list[float], dict]:
    result = audit_source(textwrap.dedent(LOOP).replace("GATE", gate), "train.py")
    (s,) = result.schedulers
    assert s["lr"] is not None, s["summary"]
    return s["lr"], s


def test_a_per_epoch_decay_gated_on_the_first_batch() -> None:
    start = time.process_time()
    lr, s = _curve("i == 0 and epoch in [30, 60]")
    assert time.process_time() - start < 20  # (was quadratic: never finished within the evaluator's budget)
    want = _replay(lambda e, i: i == 0 and e in (30, 60))  # the loop's 100 assumed batches per epoch
    assert len(lr) == len(want) and all(math.isclose(a, b, rel_tol=1e-12) for a, b in zip(lr, want))
    assert s["shape"] == "step decay"


def test_a_per_epoch_decay_applied_at_every_batch_of_the_epoch() -> None:
    # the LR201 mistake: the condition holds for every batch of epochs 30 and 60, so the rate collapses
    lr, _ = _curve("epoch % 30 == 0 and epoch > 0")
    want = _replay(lambda e, i: e % 30 == 0 and e > 0)
    assert len(lr) == len(want) and all(math.isclose(a, b, rel_tol=1e-9, abs_tol=0) for a, b in zip(lr, want))
    assert lr[3000] == 0.1 * 0.1 and lr[3099] < 1e-100
