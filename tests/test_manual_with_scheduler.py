"""A hand-written warm-up that writes the rate only while a condition holds (yolov5's ``if ni <= nw:`` with
``np.interp``), on an optimizer that a closed-form scheduler (``LambdaLR``) also steps once per epoch: the rate of
each batch is the loop's last write in that epoch, or else the scheduler's value. Checked against the real loop run
with torch and NumPy (the oracle), densely and past the dense limit (sampled).

Also here: a dict changed key by key (``hyp["label_smoothing"] = opt.label_smoothing``) read by the schedule's
function, and ``len(loader)`` of a loader only the run builds, inside the evaluated loop."""

from __future__ import annotations

import math
import textwrap
import time

import numpy as np
import pytest
import torch

from lraudit.api import audit_source

SRC = """
import argparse
import numpy as np
import torch
from torch.optim import lr_scheduler
from mydata import create_dataloader


def train(hyp, opt):
    epochs = opt.epochs
    model = torch.nn.Linear(2, 2)
    optimizer = torch.optim.SGD([model.bias], lr=hyp["lr0"], momentum=0.9, nesterov=True)
    optimizer.add_param_group({"params": [model.weight], "weight_decay": 5e-4})
    hyp["label_smoothing"] = opt.label_smoothing

    def lf(x):
        return (1 - x / epochs) * (1.0 - hyp["lrf"]) + hyp["lrf"]

    scheduler = lr_scheduler.LambdaLR(optimizer, lr_lambda=lf)
    train_loader = create_dataloader(opt.data)
    nb = len(train_loader)
    nw = max(round(hyp["warmup_epochs"] * nb), 100)
    for epoch in range(epochs):
        for i, batch in enumerate(train_loader):
            ni = i + nb * epoch
            if ni <= nw:
                xi = [0, nw]
                for j, x in enumerate(optimizer.param_groups):
                    x["lr"] = np.interp(ni, xi, [hyp["warmup_bias_lr"] if j == 0 else 0.0,
                                                 x["initial_lr"] * lf(epoch)])
            optimizer.step()
        scheduler.step()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=EPOCHS)
    parser.add_argument("--data", default="coco.yaml")
    parser.add_argument("--label-smoothing", type=float, default=0.0)
    opt = parser.parse_args()
    train({"lr0": 0.01, "lrf": 0.01, "warmup_epochs": 3.0, "warmup_bias_lr": 0.1}, opt)
"""

BATCHES = 100  # the batches per epoch lraudit assumes when the script does not state its loader's length


def _oracle(epochs: int) -> list[float]:
    """The rate of param group 0 at every optimizer step of the real loop (torch's LambdaLR, NumPy's interp)."""
    hyp = {"lr0": 0.01, "lrf": 0.01, "warmup_epochs": 3.0, "warmup_bias_lr": 0.1}
    model = torch.nn.Linear(2, 2)
    optimizer = torch.optim.SGD([model.bias], lr=hyp["lr0"], momentum=0.9, nesterov=True)
    optimizer.add_param_group({"params": [model.weight], "weight_decay": 5e-4})

    def lf(x: float) -> float:
        return (1 - x / epochs) * (1.0 - hyp["lrf"]) + hyp["lrf"]

    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lr_lambda=lf)
    nb = BATCHES
    nw = max(round(hyp["warmup_epochs"] * nb), 100)
    out = []
    for epoch in range(epochs):
        for i in range(nb):
            ni = i + nb * epoch
            if ni <= nw:
                xi = [0, nw]
                for j, x in enumerate(optimizer.param_groups):
                    x["lr"] = np.interp(ni, xi, [hyp["warmup_bias_lr"] if j == 0 else 0.0,
                                                 x["initial_lr"] * lf(epoch)])
            out.append(float(optimizer.param_groups[0]["lr"]))
            optimizer.step()
        scheduler.step()
    return out


def _schedulers(epochs: int) -> tuple[dict, dict]:
    result = audit_source(textwrap.dedent(SRC).replace("EPOCHS", str(epochs)), "train.py")
    (lam,) = [s for s in result.schedulers if s["class"] == "torch.optim.lr_scheduler.LambdaLR"]
    (manual,) = [s for s in result.schedulers if s["class"].startswith("manual:")]
    return lam, manual


def test_the_schedule_function_reads_a_dict_changed_key_by_key() -> None:
    lam, _ = _schedulers(30)
    assert lam["lr"] is not None, lam["summary"]  # was: "a value of type Known cannot be used by the evaluator"
    want = [0.01 * ((1 - e / 30) * 0.99 + 0.01) for e in range(30)]
    assert all(math.isclose(a, b, rel_tol=1e-12) for a, b in zip(lam["lr"], want))


def test_the_warm_up_hands_over_to_the_scheduler_at_each_epoch() -> None:
    _, manual = _schedulers(30)
    assert manual["lr"] is not None, manual["summary"]
    want = _oracle(30)
    assert manual.get("lr_steps") is None
    assert len(manual["lr"]) == len(want) == 30 * BATCHES
    assert all(math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-15) for a, b in zip(manual["lr"], want))
    # after the warm-up the rate is the scheduler's, not the last value the loop wrote
    assert manual["lr"][-1] == pytest.approx(0.01 * ((1 - 29 / 30) * 0.99 + 0.01))
    assert "LambdaLR (line" in (manual.get("assumption") or "")
    assert manual["horizon"]["value"] is None and "steps per epoch" in manual["horizon"]["unresolved"]


def test_a_long_run_is_sampled_and_still_exact() -> None:
    start = time.process_time()
    _, manual = _schedulers(150)  # 15,000 steps: past the dense limit
    elapsed = time.process_time() - start
    assert manual["lr"] is not None, manual["summary"]
    steps = manual["lr_steps"]
    assert steps and len(steps) == len(manual["lr"]) and steps[-1] == 150 * BATCHES - 1
    want = _oracle(150)
    assert all(math.isclose(v, want[k], rel_tol=1e-9, abs_tol=1e-15) for k, v in zip(steps, manual["lr"]))
    assert elapsed < 60  # (walking back to the last write once per sample never finished within the budget)


def test_without_a_scheduler_the_last_write_holds() -> None:
    src = textwrap.dedent(SRC).replace("EPOCHS", "30")
    src = src.replace("    scheduler = lr_scheduler.LambdaLR(optimizer, lr_lambda=lf)\n", "")
    src = src.replace("        scheduler.step()\n", "")
    result = audit_source(src, "train.py")
    (manual,) = result.schedulers
    assert manual["lr"] is not None, manual["summary"]
    nw = 300
    final_write = float(np.interp(nw, [0, nw], [0.1, 0.01 * ((1 - 3 / 30) * 0.99 + 0.01)]))
    assert manual["lr"][-1] == pytest.approx(final_write)
    assert "LambdaLR" not in (manual.get("assumption") or "")
