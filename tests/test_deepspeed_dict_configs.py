"""DeepSpeed configs given as Python values to ``deepspeed.initialize``: a dict literal, a dict a function
builds, ``json.load(open(path))`` of a file named by an argparse default, ``args=args`` (DeepSpeed reads
``args.deepspeed_config``), and ``TrainingArguments(deepspeed=dict)``: read by the same reader as DeepSpeed JSON
files, with sources naming where the script writes each value, simulated and stepped by ``engine.step()``."""

from __future__ import annotations

import math
import os
from pathlib import Path

from lraudit.api import audit_paths, audit_source

HEAD = """import argparse
import json

import deepspeed
import torch

parser = argparse.ArgumentParser()
parser.add_argument("--ds_config", default="ds_config.json")
args = parser.parse_args()
model = torch.nn.Linear(4, 2)
"""
LOOP = """for step in range(500):
    loss = engine(step)
    engine.backward(loss)
    engine.step()
"""
DICT = """ds_config = {
    "train_batch_size": 16,
    "optimizer": {"type": "AdamW", "params": {"lr": 3e-4, "weight_decay": 0.01}},
    "scheduler": {"type": "WarmupDecayLR",
                  "params": {"warmup_min_lr": 0, "warmup_max_lr": 3e-4, "warmup_num_steps": 100,
                             "total_num_steps": 500}},
}
"""
INIT = "engine, optimizer, _, scheduler = deepspeed.initialize(model=model, model_parameters=model.parameters(), {})\n"


def test_dict_literal_is_read_and_stepped_by_the_engine() -> None:
    src = HEAD + DICT + INIT.format("config=ds_config") + LOOP
    r = audit_source(src, "train.py")
    (o,) = r.optimizers
    assert o["class"] == "deepspeed.ops.adam.FusedAdam" and o["variable"] == "optimizer"
    assert o["lr"]["value"] == 3e-4 and "ds_config at train.py:11" in o["lr"]["source"]
    assert o["params"]["weight_decay"]["value"] == 0.01
    (s,) = r.schedulers
    assert s["class"] == "deepspeed.runtime.lr_schedules.WarmupDecayLR" and s["optimizer"] == o["id"]
    assert s["line"] == 18 and s["variable"] == "scheduler"
    assert s["stepped"] == "batch" and s["horizon"]["value"] == 500
    assert s["args"]["total_num_steps"]["value"] == 500
    from lraudit.catalog.deepspeed_sim import curve  # checked live against deepspeed 0.19.8 elsewhere

    expected = curve("WarmupDecayLR", {"warmup_min_lr": 0, "warmup_max_lr": 3e-4, "warmup_num_steps": 100,
                                       "total_num_steps": 500}, 500, base_lr=3e-4)
    assert s["lr"] == [float(x) for x in expected] and math.isclose(s["lr"][100], 3e-4) and s["lr"][0] == 0
    assert [f.code for f in r.findings] == ["LR106"]  # the log warm-up starts at warmup_min_lr=0
    assert r.findings[0].line == 18  # at the initialize call


def test_dict_built_by_a_function_and_config_params() -> None:
    src = HEAD + """
def get_ds_config(lr, warm):
    return {"train_batch_size": 8, "optimizer": {"type": "Adam", "params": {"lr": lr}},
            "scheduler": {"type": "WarmupLR", "params": {"warmup_num_steps": warm, "warmup_max_lr": lr}}}


""" + INIT.format("config_params=get_ds_config(2e-4, 3000)") + LOOP
    r = audit_source(src, "train.py")
    (o,) = r.optimizers
    assert o["lr"]["value"] == 2e-4 and "get_ds_config()" in o["lr"]["source"]
    (s,) = r.schedulers
    assert s["args"]["warmup_num_steps"]["value"] == 3000
    # a warm-up of 3000 steps in a 500-step run: the rate is still rising at the end, far below its peak
    assert s["horizon"]["value"] == 500 and len(s["lr"]) == 500
    assert s["lr"][-1] > s["lr"][-2] and s["lr"][-1] < 2e-4 * 0.9


def test_json_load_of_the_argparse_default(tmp_path: Path) -> None:
    (tmp_path / "ds_config.json").write_text(
        '{\n  "train_batch_size": 16,\n  "optimizer": {"type": "Adam", "params": {"lr": 1e-4}},\n'
        '  "scheduler": {"type": "WarmupLR", "params": {"warmup_min_lr": 0, "warmup_max_lr": 1e-4,\n'
        '                "warmup_num_steps": 50, "warmup_type": "linear"}}\n}\n')
    (tmp_path / "train.py").write_text(HEAD + "config = json.load(open(args.ds_config))\n"
                                       + INIT.format("config=config") + LOOP)
    (tmp_path / "train_args.py").write_text(HEAD.replace("--ds_config", "--deepspeed_config") + INIT.format(
        "args=args") + LOOP)
    cwd = os.getcwd()
    os.chdir(tmp_path)
    try:
        res = {r.path: r for r in audit_paths(["train.py", "train_args.py"], jobs=1).results}
    finally:
        os.chdir(cwd)
    for name in ("train.py", "train_args.py"):
        r = res[name]
        (o,) = r.optimizers
        assert o["lr"]["value"] == 1e-4 and "ds_config.json" in o["lr"]["source"], name
        (s,) = r.schedulers
        assert s["class"] == "deepspeed.runtime.lr_schedules.WarmupLR" and s["stepped"] == "batch"
        lr = s["lr"]
        # lr[k] is the rate after k step()s; DeepSpeed's scheduler steps once when it is built
        assert len(lr) == 500 and lr[0] == 0 and math.isclose(lr[26], 1e-4 * 25 / 50, rel_tol=1e-12)
        assert lr[-1] == 1e-4
    assert "the file named by argparse default of --deepspeed_config" in \
        res["train_args.py"].optimizers[0]["lr"]["source"]
    (link,) = res["train_args.py"].details["config_links"]
    assert link["path"] == "ds_config.json"


def test_client_optimizer_keeps_its_own_section_ignored() -> None:
    src = HEAD + DICT + "opt = torch.optim.SGD(model.parameters(), lr=0.1)\n" + INIT.format(
        "optimizer=opt, config=ds_config") + LOOP
    r = audit_source(src, "train.py")
    (o,) = r.optimizers
    assert o["class"] == "torch.optim.SGD"  # DeepSpeed uses the client optimizer; the section is not built
    (s,) = r.schedulers
    assert s["optimizer"] == o["id"] and s["class"].endswith("WarmupDecayLR")


def test_command_line_config_says_why_it_is_unknown() -> None:
    src = HEAD.replace('parser.add_argument("--ds_config", default="ds_config.json")\n',
                       "parser = deepspeed.add_config_arguments(parser)\n") + INIT.format("args=args") + LOOP
    r = audit_source(src, "train.py")
    assert r.optimizers == [] and r.schedulers == []
    (link,) = r.details["config_links"]
    assert link["path"] is None and "--deepspeed_config, given on the command line" in link["unresolved"]


def test_training_arguments_with_a_deepspeed_dict() -> None:
    src = """from transformers import Trainer, TrainingArguments

ds = {"optimizer": {"type": "AdamW", "params": {"lr": "auto", "weight_decay": "auto"}},
      "scheduler": {"type": "WarmupDecayLR", "params": {"warmup_min_lr": "auto", "warmup_max_lr": "auto",
                                                        "warmup_num_steps": "auto", "total_num_steps": "auto"}},
      "train_micro_batch_size_per_gpu": "auto"}
args = TrainingArguments(output_dir="out", learning_rate=2e-5, max_steps=1000, warmup_steps=100, deepspeed=ds)
trainer = Trainer(model=model, args=args, train_dataset=train_ds)
trainer.train()
"""
    r = audit_source(src, "train.py")
    (s,) = r.schedulers
    assert s["class"] == "deepspeed.runtime.lr_schedules.WarmupDecayLR"
    assert s["args"]["warmup_max_lr"]["value"] == 2e-5 and s["args"]["total_num_steps"]["value"] == 1000
    assert s["args"]["warmup_num_steps"]["value"] == 100


def test_sections_read_when_other_keys_are_run_time_values() -> None:
    # DeepSpeedExamples HelloDeepSpeed: the batch size and the precision key come from the function's arguments
    src = """import deepspeed


def train(model, batch_size, dtype):
    ds_config = {
        "train_micro_batch_size_per_gpu": batch_size,
        "optimizer": {"type": "Adam", "params": {"lr": 1e-4}},
        "scheduler": {"type": "WarmupLR", "params": {"warmup_num_steps": 10, "warmup_max_lr": 1e-4}},
        dtype: {"enabled": True},
    }
    model, _, _, _ = deepspeed.initialize(model=model, model_parameters=model.parameters(), config=ds_config)
    for step in range(100):
        model.backward(model(step))
        model.step()
"""
    r = audit_source(src, "train.py")
    (o,) = r.optimizers
    assert o["lr"]["value"] == 1e-4 and o["variable"] is None
    (s,) = r.schedulers
    assert s["class"].endswith("WarmupLR") and s["stepped"] == "batch" and s["horizon"]["value"] == 100
