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


# ------------------------------------------------------------------------------------------ item 5: LR202

from pathlib import Path  # noqa: E402

CALLS = Path(__file__).parent / "data" / "lr202_calls"


@pytest.mark.parametrize("name,fires", [
    ("a", True),      # scheduler in one helper, optimizer in another, called in that order
    ("a_ok", False),  # the same helpers called the other way round
    ("b", True),      # scheduler in a helper called before the loop body's optimizer.step()
    ("b_ok", False),  # the helper called after it
    ("ev", True),     # ignite: a handler on Events.ITERATION_STARTED runs before the update function
    ("ev_ok", False),  # ...on ITERATION_COMPLETED after it
    ("ev2", True),    # the handler registered with add_event_handler
])
def test_step_order_across_calls_and_events(name: str, fires: bool) -> None:
    src = (CALLS / f"{name}.py").read_text()
    msgs = _codes(src, "LR202")
    assert bool(msgs) == fires, msgs
    if fires and name.startswith("a"):
        assert "inside advance(), called at line 17" in msgs[0] and "inside update(), called at line 18" in msgs[0]


# ------------------------------------------------------------------------------------------ item 6: LR201


def test_a_length_that_is_the_epoch_loops_bound_counts_epochs() -> None:
    src = (Path(__file__).parent / "data" / "unit_bound.py").read_text()
    msgs = [(f.line, f.message) for f in audit_source(src, "train.py", select=["LR201"]).findings]
    assert len(msgs) == 1, msgs  # s1 only: s2's T_max is another name, s3 is stepped per epoch
    line, msg = msgs[0]
    assert line == 10 and "T_max=total is the bound of the epoch loop at line 7" in msg


@pytest.mark.parametrize("loop", ["range(1, total + 1)", "range(start, total)", "tqdm(range(total))",
                                  "trange(total)"])
def test_epoch_loop_bound_forms(loop: str) -> None:
    src = (Path(__file__).parent / "data" / "unit_bound.py").read_text().replace(
        "for epoch in range(total):\n        for x in loader:\n            opt.zero_grad(); model(x).sum().backward(); "
        "opt.step()\n            s1.step()",
        f"for epoch in {loop}:\n        for x in loader:\n            opt.zero_grad(); model(x).sum().backward(); "
        f"opt.step()\n            s1.step()", 1)
    assert loop in src
    assert [f.line for f in audit_source(src, "train.py", select=["LR201"]).findings] == [10]


ITERATIONS = textwrap.dedent("""\
    import torch
    from torch.optim.lr_scheduler import LinearLR

    model = torch.nn.Linear(4, 4)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    scheduler = LinearLR(optimizer, start_factor=0.01, total_iters=500)
    for epoch in range(10):
        for {var} in range({n}):
            {body}
        {after}
""")


@pytest.mark.parametrize("var,n,body,after,stepped,horizon", [
    # a literal range inside the epoch loop that trains in its own body is the epoch's iterations
    ("x", 100, "optimizer.zero_grad(); model(torch.randn(2, 4)).sum().backward(); optimizer.step(); scheduler.step()",
     "pass", "batch", 1000),
    ("i", 100, "optimizer.zero_grad(); model(torch.randn(2, 4)).sum().backward(); optimizer.step(); scheduler.step()",
     "pass", "batch", 1000),
    # a short repeat of one computation (no update of its own) stays inside the epoch's step
    ("k", 3, "model(torch.randn(2, 4)).sum().backward()", "optimizer.step(); scheduler.step()", "epoch", 10),
    # (a literal of 2 to 4 with its own update is a repeat too: two updates per epoch are not read as batches)
    ("k", 2, "optimizer.zero_grad(); model(torch.randn(2, 4)).sum().backward(); optimizer.step()",
     "scheduler.step()", "epoch", 10),
])
def test_a_literal_range_that_trains_is_the_batch_loop(var: str, n: int, body: str, after: str, stepped: str,
                                                       horizon: int) -> None:
    import libcst as cst

    from lraudit.extract.build import extract

    src = ITERATIONS.format(var=var, n=n, body=body, after=after)
    (s,) = extract(cst.parse_module(src), "train.py", text=src).facts.schedulers
    assert (s.stepped, s.horizon.value) == (stepped, horizon)
    # LinearLR's 500 iterations fit in 1,000 steps: no warm-up-longer-than-training finding on the batch loop
    assert [f.code for f in audit_source(src, "train.py").findings if f.code == "LR104"] == \
        ([] if stepped == "batch" else ["LR104"])
