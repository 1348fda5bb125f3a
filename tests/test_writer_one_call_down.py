"""A hand-written rate writer called by the function the training loop calls (extract/manual.py ``_lifted``):
``for epoch in range(n): train(epoch)`` where ``train`` begins with ``adjust_learning_rate(optimizer, epoch)``
(mangye16/Unsupervised_Embedding_Learning, pygoturn and many CIFAR repositories). The schedule was not found at all.
Each curve is compared with the same script run for real with torch, the rate read at every batch."""

from __future__ import annotations

import math
import runpy
from pathlib import Path

import pytest

from lraudit.analyze import AnalysisOptions
from lraudit.api import audit_paths

torch = pytest.importorskip("torch")

HELPERS = '''
import argparse
import torch
from torch import nn

lr_history = []
LR = 0.03


def steps(optimizer, epoch):
    lr = LR
    if epoch >= 12:
        lr = LR * 0.1
    elif epoch >= 16:  # never taken: epoch >= 12 holds first
        lr = LR * 0.05
    for param_group in optimizer.param_groups:
        param_group["lr"] = lr


def from_args(optimizer, epoch, args):
    lr = args.lr * (0.5 ** (epoch // args.every))
    for param_group in optimizer.param_groups:
        param_group["lr"] = lr


def batches(model, optimizer, x):
    for _ in range(3):
        lr_history.append(optimizer.param_groups[0]["lr"])
        optimizer.zero_grad()
        model(x).sum().backward()
        optimizer.step()
'''

CASES = {
    # module-level objects, the epoch passed down (Unsupervised_Embedding_Learning)
    "globals": '''
model = nn.Linear(4, 4)
optimizer = torch.optim.SGD(model.parameters(), lr=0.03, momentum=0.9)
x = torch.randn(2, 4)


def train(epoch):
    steps(optimizer, epoch)
    batches(model, optimizer, x)


for epoch in range(0, 20):
    train(epoch)
''',
    # everything passed as arguments from main(), values from argparse defaults
    "arguments": '''
def train(net, opt, epoch, args):
    from_args(opt, epoch, args)
    batches(net, opt, torch.randn(2, 4))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--lr", type=float, default=0.1)
    parser.add_argument("--every", type=int, default=5)
    parser.add_argument("--epochs", type=int, default=18)
    args = parser.parse_args([])
    model = nn.Linear(4, 4)
    optimizer = torch.optim.SGD(model.parameters(), lr=args.lr)
    for epoch in range(1, args.epochs + 1):
        train(model, optimizer, epoch, args)


if __name__ == "__main__":
    main()
''',
    # the write follows the function's own optimizer steps: it sets the rate of the next call
    "after_the_steps": '''
model = nn.Linear(4, 4)
optimizer = torch.optim.SGD(model.parameters(), lr=0.05)


def train(net, opt, epoch):
    batches(net, opt, torch.randn(2, 4))
    steps(opt, epoch + 1)


for epoch in range(20):
    train(model, optimizer, epoch)
''',
    # the rate written inline by the function the loop calls, before its own batch loop over a loader (it was
    # reported with an unknown curve: evaluating train() ran the batch loop, which reads the data)
    "inline_first": '''
model = nn.Linear(4, 4)
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
loader = [torch.randn(2, 4)] * 3


def train(epoch):
    global seen
    print("epoch", epoch)
    model.train()
    seen = 0
    lr = 0.1 * (0.5 ** (epoch // 4))
    for param_group in optimizer.param_groups:
        param_group["lr"] = lr
    for x in loader:
        lr_history.append(optimizer.param_groups[0]["lr"])
        optimizer.zero_grad()
        model(x).sum().backward()
        optimizer.step()


for epoch in range(12):
    train(epoch)
''',
    # written inline after the function's batches: it sets the next epoch's rate
    "inline_after": '''
model = nn.Linear(4, 4)
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)


def train(epoch):
    batches(model, optimizer, torch.randn(2, 4))
    for param_group in optimizer.param_groups:
        param_group["lr"] = 0.1 * 0.8 ** (epoch + 1)


for epoch in range(10):
    train(epoch)
''',
    # keyword arguments and a default the call leaves out
    "keywords": '''
def decay(optimizer, epoch, base=0.2, factor=0.5):
    for g in optimizer.param_groups:
        g["lr"] = base * factor ** epoch


def train(opt, net, epoch=0, factor=0.5):
    decay(optimizer=opt, factor=factor, epoch=epoch)
    batches(net, opt, torch.randn(2, 4))


def main():
    model = nn.Linear(4, 4)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.2)
    for epoch in range(8):
        train(net=model, opt=optimizer, epoch=epoch)


main()
''',
}


def _run(tmp_path: Path, name: str, body: str) -> tuple[dict, list[float], list]:
    path = tmp_path / f"{name}.py"
    path.write_text(HELPERS + body, encoding="utf-8")
    run = audit_paths([str(path)], AnalysisOptions(), jobs=1, cwd=str(tmp_path))
    (res,) = run.results
    assert res.error is None, res.error
    history = list(runpy.run_path(str(path), run_name="__main__")["lr_history"])
    return res, history[::3], res.findings  # the rate of each epoch's first batch


@pytest.mark.parametrize("name", sorted(CASES))
def test_a_writer_called_one_function_down_is_the_schedule_torch_runs(tmp_path: Path, name: str) -> None:
    res, expected, findings = _run(tmp_path, name, CASES[name])
    (entry,) = res.schedulers
    assert entry["class"].startswith("manual:") and entry["stepped"] == "epoch", entry
    assert entry["optimizer"] == next(o["id"] for o in res.optimizers if o["class"] == "torch.optim.SGD")
    got = entry["lr"]
    assert got is not None and len(got) == len(expected), (got, expected)
    for k, (a, b) in enumerate(zip(got, expected)):
        assert math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-15), (name, k, a, b)
    # steps() keeps the upstream bug (an elif that is never reached): LR108, and nothing else
    assert [f.code for f in findings] == (["LR108"] if "steps(" in CASES[name] else []), \
        [f.message for f in findings]


def test_the_writer_is_located_at_its_call_and_described_through_the_function(tmp_path: Path) -> None:
    res, _, _ = _run(tmp_path, "globals", CASES["globals"])
    (entry,) = res.schedulers
    text = (HELPERS + CASES["globals"]).splitlines()
    assert text[entry["line"] - 1].strip() == "steps(optimizer, epoch)"
    # when the curve is unknown, the summary says where the write is and how the loop reaches it
    text = HELPERS + "LR = float(open('lr.txt').read())\n" + CASES["globals"]
    path = tmp_path / "unknown_rate.py"
    path.write_text(text, encoding="utf-8")
    (entry,) = audit_paths([str(path)], AnalysisOptions(), jobs=1, cwd=str(tmp_path)).results[0].schedulers
    lines = text.splitlines()
    call = lines.index("    steps(optimizer, epoch)") + 1
    loop = lines.index("for epoch in range(0, 20):") + 1
    assert entry["lr"] is None
    assert f"called as steps(optimizer, epoch) in train() (line {call}), which the epoch loop at line {loop} calls " \
           "as train(epoch)" in entry["summary"], entry["summary"]


UNSURE = {
    # the function rebinds the parameter before the call: the loop's argument is not what the writer gets
    "rebound_parameter": '''
def train(opt, net, epoch):
    epoch = epoch + 5
    steps(opt, epoch)
    batches(net, opt, torch.randn(2, 4))


model = nn.Linear(4, 4)
optimizer = torch.optim.SGD(model.parameters(), lr=0.03)
for epoch in range(20):
    train(optimizer, model, epoch)
''',
    # the write runs only when the function's own condition holds: not followed (it was never drawn before either)
    "conditional": '''
def train(opt, net, epoch, warm):
    if warm:
        for g in opt.param_groups:
            g["lr"] = 0.1 * 0.5 ** epoch
    batches(net, opt, torch.randn(2, 4))


model = nn.Linear(4, 4)
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
for epoch in range(6):
    train(optimizer, model, epoch, epoch % 2 == 0)
''',
    # the rate comes from the function's own variable, which the loop's scope does not have
    "own_variable": '''
def train(opt, net, epoch):
    rate = 0.1 * 0.5 ** epoch
    set_it(opt, rate)
    batches(net, opt, torch.randn(2, 4))


def set_it(opt, rate):
    for g in opt.param_groups:
        g["lr"] = rate


model = nn.Linear(4, 4)
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
for epoch in range(6):
    train(optimizer, model, epoch)
''',
}


@pytest.mark.parametrize("name", sorted(UNSURE))
def test_a_write_that_may_not_run_on_every_call_is_not_drawn_as_if_it_did(tmp_path: Path, name: str) -> None:
    res, expected, _ = _run(tmp_path, name, UNSURE[name])
    for entry in res.schedulers:  # not drawn at all, or drawn right
        if entry["lr"] is not None:
            assert len(entry["lr"]) == len(expected)
            assert all(math.isclose(a, b, rel_tol=1e-9) for a, b in zip(entry["lr"], expected)), (entry["lr"], expected)
