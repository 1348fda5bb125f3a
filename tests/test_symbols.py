"""Run-time sizes as symbols: a rule fires on a relation that holds for every value of ``len(loader)``, never on
one that holds only for some; unresolved values computed from sizes carry their expression."""

from __future__ import annotations

import math
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


HAND_WRITTEN = """
import math
import torch


def cosine_scheduler(base_value, final_value, epochs, niter_per_ep):
    total = epochs * niter_per_ep
    return [final_value + 0.5 * (base_value - final_value) * (1 + math.cos(math.pi * i / total)) for i in range(total)]


model = torch.nn.Linear(2, 2)
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
train_loader = torch.utils.data.DataLoader(dataset, batch_size=32)
epochs = 5
lr_schedule_values = cosine_scheduler(0.1, 0.001, epochs, SIZE)
for epoch in range(epochs):
    for it, batch in enumerate(train_loader):
        step = epoch * len(train_loader) + it
        for param_group in optimizer.param_groups:
            param_group["lr"] = lr_schedule_values[step]
        optimizer.step()
"""


def test_a_hand_written_schedule_sized_by_the_loader_is_drawn_under_a_labelled_assumption() -> None:
    # the DeiT / MAE / ConvNeXt pattern: a per-iteration list built from len(data_loader)
    result = audit_source(textwrap.dedent(HAND_WRITTEN.replace("SIZE", "len(train_loader)")), "train.py")
    (s,) = result.schedulers
    lr = s["lr"]
    assert lr is not None and len(lr) == 500
    expected = [0.001 + 0.5 * (0.1 - 0.001) * (1 + math.cos(math.pi * i / 500)) for i in range(500)]
    assert all(math.isclose(a, b, rel_tol=1e-12) for a, b in zip(lr, expected))
    assumption = result.details["schedulers"][s["id"]]["assumption"]
    assert "len(train_loader) = 100" in assumption
    assert s["shape"] == "cosine annealing"


def test_a_hand_written_schedule_with_a_stated_size_needs_no_assumption() -> None:
    result = audit_source(textwrap.dedent(HAND_WRITTEN.replace("SIZE", "40").replace(
        "len(train_loader) + it", "40 + it").replace("enumerate(train_loader)", "enumerate(range(40))")), "train.py")
    (s,) = result.schedulers
    assert s["lr"] is not None and len(s["lr"]) == 200
    assert "assumes len(" not in (result.details["schedulers"][s["id"]].get("assumption") or "")
    assert "assumption" not in s  # drawn from the code's own values only


def test_a_hand_written_schedule_unknown_for_another_reason_stays_unknown() -> None:
    result = audit_source(textwrap.dedent(HAND_WRITTEN.replace("SIZE", "len(train_loader)").replace(
        "cosine_scheduler(0.1,", "cosine_scheduler(load_lr(),")), "train.py")
    (s,) = result.schedulers
    assert s["lr"] is None


def test_a_library_schedule_sized_by_the_loader_is_drawn_under_a_labelled_assumption() -> None:
    # the Hugging Face / accelerate pattern: num_training_steps = len(train_loader) * epochs
    result = audit_source(textwrap.dedent(HF.replace("WARMUP", "30")), "train.py")
    (s,) = result.schedulers
    assert s["args"]["num_training_steps"]["value"] is None  # the value itself stays unresolved
    lr = s["lr"]
    assert lr is not None and len(lr) == 300  # 3 epochs x the assumed 100 batches
    expected = [5e-5 * (k / 30 if k < 30 else max(0.0, (300 - k) / (300 - 30))) for k in range(300)]
    assert all(math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-15) for a, b in zip(lr, expected))
    assumption = result.details["schedulers"][s["id"]]["assumption"]
    assert "num_training_steps is unknown" in assumption and "assumes 100 batches per epoch" in assumption
    assert s["assumption"] == assumption  # the JSON entry names it too
    assert "at the last step of 3 epochs x len(train_loader)" in s["summary"]  # words in terms of the size
    # no rule treats the assumed numbers as facts: a warm-up of 30 steps is fine for every loader length
    assert [f.code for f in result.findings if f.code != "LR106"] == []


def test_a_library_schedule_unknown_for_another_reason_stays_unknown() -> None:
    result = audit_source(textwrap.dedent(HF.replace("WARMUP", "load_warmup()")), "train.py")
    (s,) = result.schedulers
    assert s["lr"] is None


def test_every_size_takes_every_sample_value_however_many_sizes_come_first() -> None:
    # two other sizes are numbered before len(train_loader) (the optimizer is resolved first): it must still be
    # tried at 337 and at 1000, or a warm-up of 500 steps against 3 x len(train_loader) would look too long "for
    # every size" (it is not, for 1000)
    first = HF.replace("lr=5e-5", "lr=5e-5 + 0 * len(val_loader) + 0 * len(test_loader)")
    assert _codes(first.replace("WARMUP", "500")) == []
    # ... while one that is too long for every size is still reported
    assert "LR104" in _codes(first.replace("WARMUP", "5 * len(train_loader)"))


# ------------------------------------------------ an optimizer lr scaled by the number of processes

SCALED_LR = """
import argparse
import torch
import torch.distributed as dist

parser = argparse.ArgumentParser()
parser.add_argument("--lr", type=float, default=5e-4)
parser.add_argument("--batch-size", type=int, default=64)
args = parser.parse_args()
args.lr = args.lr * args.batch_size * dist.get_world_size() / 512.0
model = torch.nn.Linear(2, 2)
optimizer = torch.optim.AdamW(model.parameters(), lr=args.lr)
scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=30)
for epoch in range(90):
    for x in range(10):
        optimizer.zero_grad()
        model(x).sum().backward()
        optimizer.step()
    scheduler.step()
"""


def test_a_rate_scaled_by_the_number_of_processes_is_drawn_for_one_process() -> None:
    from lraudit.analyze import AnalysisOptions, analyze_text
    from lraudit.checks.common import trusted_points

    result = audit_source(SCALED_LR, "train.py")
    (opt,) = result.optimizers
    assert opt["lr"]["value"] is None and "number of processes" in opt["lr"]["unresolved"]  # the fact stays unknown
    (s,) = result.schedulers
    assert s["lr"][0] == 6.25e-05 and s["lr"][30] == 6.25e-06  # 5e-4 * 64 / 512 at one process, x0.1 at 30
    assert "the curve takes it as 6.25e-05 (one process) to show the shape" in s["assumption"]
    # the numbers are an assumption, not facts: rules do not read them
    from lraudit.extract.build import extract
    from lraudit.simulate import simulate_scheduler
    import libcst as cst

    facts = extract(cst.parse_module(SCALED_LR), "train.py").facts
    curve = simulate_scheduler(facts, facts.schedulers[0])
    assert curve.assumed_rate and curve.lr is not None and trusted_points(facts.schedulers[0], curve) == []
    assert analyze_text(SCALED_LR, "train.py", "train.py", AnalysisOptions()).findings == []


def test_a_timm_factory_rate_scaled_by_the_number_of_processes_is_drawn_for_one_process() -> None:
    src = SCALED_LR.replace("import torch.distributed as dist", "import torch.distributed as dist\n"
                            "from timm.optim import create_optimizer\nfrom timm.scheduler import create_scheduler")
    src = src.replace("optimizer = torch.optim.AdamW(model.parameters(), lr=args.lr)",
                      'args.opt = "adamw"\nargs.weight_decay = 0.05\nargs.momentum = 0.9\n'
                      "optimizer = create_optimizer(args, model)")
    (s,) = audit_source(src, "train.py").schedulers
    assert s["lr"][0] == 6.25e-05 and "(one process)" in s["assumption"]


def test_a_size_divided_by_a_constant_is_not_tried_below_that_constant() -> None:
    """``T_max=len(loader) // 8 * EPOCHS`` (sized in updates of 8 micro-batches) stepped at every batch: an 8x
    mismatch for every real size. With a sample of 7 batches the quotient was 0 and the run's finding differed, so
    LR103 was dropped as "not for every size" (the recall audit's F3)."""
    src = ONECYCLE.replace(
        "scheduler = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=0.1, total_steps=TOTAL)",
        "scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=len(train_loader) // 8 * epochs)")
    result = audit_source(textwrap.dedent(src), "train.py")
    (f,) = [f for f in result.findings if f.code == "LR103"]
    assert "for every value of len(train_loader)" in f.message


DINO = """
import numpy as np
import torch


def cosine_scheduler(base_value, final_value, epochs, niter_per_ep, warmup_epochs=0, start_warmup_value=0):
    warmup_schedule = np.array([])
    warmup_iters = warmup_epochs * niter_per_ep
    if warmup_epochs > 0:
        warmup_schedule = np.linspace(start_warmup_value, base_value, warmup_iters)
    iters = np.arange(epochs * niter_per_ep - warmup_iters)
    schedule = final_value + 0.5 * (base_value - final_value) * (1 + np.cos(np.pi * iters / len(iters)))
    return np.concatenate((warmup_schedule, schedule))


def main(model, data_loader):
    opt = torch.optim.AdamW(model.parameters())
    lr_schedule = cosine_scheduler(5e-4, 1e-6, 100, len(data_loader), warmup_epochs=10)
    for epoch in range(100):
        for it, x in enumerate(data_loader):
            it = len(data_loader) * epoch + it
            for g in opt.param_groups:
                g["lr"] = lr_schedule[it]
            opt.zero_grad()
            model(x).backward()
            opt.step()
"""


def test_an_array_schedule_sized_by_the_loader_is_judged_at_every_size() -> None:
    """DINO's ``cosine_scheduler(..., len(data_loader), start_warmup_value=0)`` indexed per iteration: at 1000
    batches the run has 100,000 steps, and each sampled step rebuilt the 100,000-rate array, so that run ran out
    of time and LR106 (the warm-up starts at 0, for every size) was dropped while explain said so (fresh audit).
    The array is now built once per simulation (evaluate.py remembers plain calls)."""
    result = audit_source(textwrap.dedent(DINO), "main_dino.py")
    (f,) = [f for f in result.findings if f.code == "LR106"]
    assert "for every value of len(data_loader)" in f.message
