"""Barlow Twins / VICReg: ``for step, batch in enumerate(loader, start=epoch * len(loader))`` counts on across
epochs, and ``adjust_learning_rate(args, optimizer, loader, step)`` reads ``len(loader)`` itself and writes two
param groups. The loader only the run builds stands for the batches per epoch the step model uses (assumed 100,
labelled); the index is the global step; the curve is group 0's. Checked against the same function run in Python
with a 100-batch loader (the oracle)."""

from __future__ import annotations

import math

from lraudit.api import audit_source

SRC = '''
import argparse
import math
import torch


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=EPOCHS)
    parser.add_argument("--batch-size", type=int, default=2048)
    parser.add_argument("--learning-rate-weights", type=float, default=0.2)
    parser.add_argument("--learning-rate-biases", type=float, default=0.0048)
    args = parser.parse_args()
    model = torch.nn.Linear(4, 4)
    param_weights = [p for p in model.parameters() if p.ndim != 1]
    param_biases = [p for p in model.parameters() if p.ndim == 1]
    parameters = [{"params": param_weights}, {"params": param_biases}]
    optimizer = torch.optim.SGD(parameters, lr=0, momentum=0.9)
    dataset = build_dataset()
    loader = torch.utils.data.DataLoader(dataset, batch_size=args.batch_size)
    for epoch in range(0, args.epochs):
        for step, (x, _) in enumerate(loader, start=epoch * len(loader)):
            adjust_learning_rate(args, optimizer, loader, step)
            optimizer.zero_grad()
            model(x).sum().backward()
            optimizer.step()


def adjust_learning_rate(args, optimizer, loader, step):
    max_steps = args.epochs * len(loader)
    warmup_steps = 10 * len(loader)
    base_lr = args.batch_size / 256
    if step < warmup_steps:
        lr = base_lr * step / warmup_steps
    else:
        step -= warmup_steps
        max_steps -= warmup_steps
        q = 0.5 * (1 + math.cos(math.pi * step / max_steps))
        end_lr = base_lr * 0.001
        lr = base_lr * q + end_lr * (1 - q)
    optimizer.param_groups[0]["lr"] = lr * args.learning_rate_weights
    optimizer.param_groups[1]["lr"] = lr * args.learning_rate_biases


if __name__ == "__main__":
    main()
'''


def _oracle(epochs: int, per_epoch: int = 100) -> list[float]:
    """The script's own function on a loader of ``per_epoch`` batches, at every global step."""
    out = []
    for step in range(epochs * per_epoch):
        max_steps, warmup = epochs * per_epoch, 10 * per_epoch
        base = 2048 / 256
        if step < warmup:
            lr = base * step / warmup
        else:
            s, m = step - warmup, max_steps - warmup
            q = 0.5 * (1 + math.cos(math.pi * s / m))
            lr = base * q + base * 0.001 * (1 - q)
        out.append(lr * 0.2)
    return out


def test_the_loader_passed_to_the_schedule_function_has_the_assumed_length() -> None:
    r = audit_source(SRC.replace("EPOCHS", "30"), "main.py")
    (s,) = r.schedulers
    assert s["class"] == "manual:adjust_learning_rate"
    assert s["lr"] is not None, s["summary"]
    want = _oracle(30)
    assert len(s["lr"]) == len(want) == 3000
    assert max(abs(a - b) for a, b in zip(s["lr"], want)) < 1e-12
    assert s["shape"] == "warm-up then cosine annealing"
    assert "assumed 100 batches per epoch" in s["horizon"]["unresolved"] or \
        "100 batches per epoch" in (s.get("assumption") or "") + s["summary"]


def test_a_long_run_is_sampled_from_the_global_step() -> None:
    r = audit_source(SRC.replace("EPOCHS", "1000"), "main.py")
    (s,) = r.schedulers
    assert s["lr"] is not None, s["summary"]
    want = _oracle(1000)
    steps = s["lr_steps"]
    assert steps[-1] == len(want) - 1
    assert max(abs(a - want[k]) for a, k in zip(s["lr"], steps)) < 1e-12
