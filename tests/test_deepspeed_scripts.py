"""DeepSpeed's lr_schedules built in a training script: recognised from the catalog, arguments bound with
DeepSpeed's defaults, and LR002 for what DeepSpeed rejects or silently mishandles."""

from __future__ import annotations

from lraudit.api import audit_source

HEAD = """import torch
from deepspeed.runtime.lr_schedules import WarmupDecayLR, WarmupLR, OneCycle

model = torch.nn.Linear(4, 2)
optimizer = torch.optim.AdamW(model.parameters(), lr=5e-5)
"""
LOOP = """for step in range(1000):
    optimizer.step()
    scheduler.step()
"""


def _codes(src: str) -> list[tuple[str, int, str]]:
    r = audit_source(src, "train.py")
    return [(f.code, f.line, f.message) for f in r.findings]


def test_default_warmup_max_lr_overrides_the_optimizer_rate() -> None:
    src = HEAD + "scheduler = WarmupDecayLR(optimizer, total_num_steps=1000, warmup_num_steps=100)\n" + LOOP
    r = audit_source(src, "train.py")
    (s,) = r.schedulers
    assert s["class"] == "deepspeed.runtime.lr_schedules.WarmupDecayLR"
    assert s["args"]["warmup_max_lr"] == {"value": 0.001, "source": "DeepSpeed default"}
    assert s["stepped"] == "batch"
    # LR106 (info) too, now that DeepSpeed's curves are simulated (catalog/config_sims.py): warmup_min_lr is 0
    assert [(c, line) for c, line, _ in _codes(src)] == [("LR002", 6), ("LR106", 6)]
    assert "warms up to DeepSpeed's default 0.001, not to the optimizer's lr 5e-05" in _codes(src)[0][2]


def test_given_warmup_max_lr_is_quiet() -> None:
    src = HEAD + "scheduler = WarmupDecayLR(optimizer, 1000, warmup_max_lr=5e-5, warmup_num_steps=100)\n" + LOOP
    assert [c for c, _, _ in _codes(src) if c == "LR002"] == []


def test_rejected_arguments() -> None:
    src = HEAD + "scheduler = WarmupLR(optimizer, warmup_num_steps=100.0)\n" + LOOP
    (f,) = [x for x in _codes(src) if x[0] == "LR002"]
    assert "WarmupLR raises ValueError at construction: warmup_num_steps must be a positive integer, got 100.0" in f[2]
    src = HEAD + "scheduler = OneCycle(optimizer, cycle_min_lr=1e-5, cycle_max_lr=1e-3, cycle_first_step_size=0)\n" \
        + LOOP
    (f,) = [x for x in _codes(src) if x[0] == "LR002"]
    assert "cycle_first_step_size must be positive, got 0.0" in f[2]


def test_binding_uses_deepspeed_signature() -> None:
    src = HEAD + "scheduler = WarmupDecayLR(optimizer, 500, 1e-6, 5e-5, 50, 'linear')\n" + LOOP
    r = audit_source(src, "train.py")
    args = r.schedulers[0]["args"]
    assert args["total_num_steps"]["value"] == 500 and args["warmup_type"]["value"] == "linear"
    assert args["warmup_min_lr"]["value"] == 1e-6 and args["warmup_num_steps"]["value"] == 50
    assert r.schedulers[0]["horizon"]["value"] == 1000


ENGINE = """import deepspeed
import torch
from transformers import get_linear_schedule_with_warmup

model = torch.nn.Linear(4, 2)
optimizer = torch.optim.AdamW(model.parameters(), lr=2e-5)
lr_scheduler = get_linear_schedule_with_warmup(optimizer, num_warmup_steps=100, num_training_steps=3000)
engine, optimizer, _, lr_scheduler = deepspeed.initialize(model=model, optimizer=optimizer, lr_scheduler=lr_scheduler)
for step in range(3000):
    loss = engine(torch.randn(2, 4)).sum()
    engine.backward(loss)
    engine.step()
"""


def test_a_scheduler_passed_to_deepspeed_initialize_is_stepped_by_engine_step() -> None:
    r = audit_source(ENGINE, "train.py")
    (s,) = r.schedulers
    assert s["stepped"] == "batch"
    assert s["horizon"]["value"] == 3000
    assert not [f for f in r.findings if f.code == "LR203"]
    facts_text = audit_source(ENGINE.replace("    engine.step()\n", "    pass\n"), "train.py").schedulers[0]
    assert facts_text["stepped"] != "batch"  # no engine.step(): not stepped by the loop


def test_training_arguments_deepspeed_fills_auto_values(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import shutil
    from pathlib import Path

    fix = Path(__file__).resolve().parent.parent / "fixtures" / "configs" / "deepspeed" / "ds_hf_auto.json"
    shutil.copyfile(fix, tmp_path / "ds.json")
    monkeypatch.chdir(tmp_path)
    src = ("from transformers import Trainer, TrainingArguments\n"
           "args = TrainingArguments(output_dir='out', learning_rate=3e-5, max_steps=2000, warmup_steps=60,\n"
           "                         deepspeed='ds.json')\n"
           "trainer = Trainer(model=model, args=args, train_dataset=ds)\ntrainer.train()\n")
    (tmp_path / "train.py").write_text(src)
    r = audit_source(src, str(tmp_path / "train.py"))
    (o,) = r.optimizers
    assert o["class"] == "deepspeed.ops.adam.FusedAdam" and o["lr"]["value"] == 3e-5
    (s,) = r.schedulers
    assert s["class"] == "deepspeed.runtime.lr_schedules.WarmupCosineLR"
    assert s["args"]["total_num_steps"]["value"] == 2000 and s["args"]["warmup_num_steps"]["value"] == 60
    assert s["stepped"] == "batch" and len(s["lr"]) == 2000
    assert max(s["lr"]) == 3e-5 and s["lr"][0] == 0.0


def test_initialize_hands_back_the_objects_it_was_given() -> None:
    # `model, optimizer, _, scheduler = deepspeed.initialize(..., optimizer=opt, lr_scheduler=sched)` and a train()
    # that steps the returned scheduler (DeepSpeedExamples' vit_finetuning): the scheduler train() steps is the
    # StepLR built here, on the SGD built here, not an object of unknown class
    src = """import argparse
import deepspeed
import torch
from torch.optim.lr_scheduler import StepLR


def train(scheduler, loader, model, optimizer):
    for x, y in loader:
        loss = model(x).sum()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        scheduler.step()


def main(args):
    model = torch.nn.Linear(4, 2)
    optimizer = torch.optim.SGD(model.parameters(), 0.1, momentum=0.9)
    scheduler = StepLR(optimizer, step_size=300, gamma=0.1)
    model, optimizer, _, scheduler = deepspeed.initialize(args=args, model=model, optimizer=optimizer,
                                                          lr_scheduler=scheduler)
    for epoch in range(9):
        train(scheduler, [(torch.randn(2, 4), None)] * 100, model, optimizer)


if __name__ == "__main__":
    main(argparse.ArgumentParser().parse_args())
"""
    r = audit_source(src, "train.py")
    (opt,) = r.optimizers
    (s,) = r.schedulers
    assert s["class"] == "torch.optim.lr_scheduler.StepLR" and s["optimizer"] == opt["id"]
    assert s["stepped"] == "batch"
    assert s["lr"] is not None and s["lr"][0] == 0.1 and abs(s["lr"][300] - 0.01) < 1e-15
