"""Precision items 3, 5 and 6: an object handed to a call lraudit cannot see into (LR203), the order of step()
calls across helpers and event handlers (LR202), and the unit of a length whose value is unknown (LR201)."""

from __future__ import annotations

import textwrap

import pytest

from lraudit.api import audit_source

NEVER = textwrap.dedent("""\
    import torch
    from torch.optim.lr_scheduler import StepLR
    from mylib import run_hooks

    model = torch.nn.Linear(2, 2)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    scheduler = StepLR(optimizer, step_size=30)
    for epoch in range(10):
        for x in loader:
            optimizer.zero_grad()
            model(x).sum().backward()
            optimizer.step()
        {line}
""")


def _codes(src: str, code: str) -> list[str]:
    return [f.message for f in audit_source(src, "train.py", select=[code]).findings]


@pytest.mark.parametrize("line", [
    "run_hooks(model, scheduler)",
    "run_hooks(model, schedulers=[scheduler])",
    "run_hooks(model, {'sched': scheduler})",
    "Trainer(model, lr_scheduler=scheduler).train()",
])
def test_handed_to_an_unknown_call_is_not_never_stepped(line: str) -> None:
    src = NEVER.format(line=line)
    assert _codes(src, "LR203") == []
    (s,) = audit_source(src, "train.py").schedulers
    assert s["stepped"] == "unknown"


@pytest.mark.parametrize("line", [
    "print(scheduler)",
    "logger.info(scheduler)",
    "torch.save(scheduler.state_dict(), 'x.pt')",
    "run_hooks(model, optimizer)",
    "pass",
])
def test_calls_that_cannot_step_it_keep_the_finding(line: str) -> None:
    (msg,) = _codes(NEVER.format(line=line), "LR203")
    assert "never stepped" in msg


def test_a_local_helper_that_does_not_step_it_keeps_the_finding() -> None:
    src = NEVER.format(line="log_lr(scheduler)") + "\n\ndef log_lr(s):\n    print(s.get_last_lr())\n"
    (msg,) = _codes(src, "LR203")
    assert "never stepped" in msg


def test_handed_on_through_a_local_helper() -> None:
    src = "def attach(s):\n    external.register(s)\n\n\n" + NEVER.format(line="attach(scheduler)")
    assert _codes(src, "LR203") == []
