"""Values through the code that builds an optimizer's keyword arguments: the timm-style ``create_optimizer``
(``opt_lower = args.opt.lower()``, ``opt_args = dict(lr=args.lr, ...)`` changed key by key under conditions, then
``optim.AdamW(parameters, **opt_args)``), as ConvNeXt, DeiT-style and BEiT-style repositories write it."""

from __future__ import annotations

import textwrap

import libcst as cst
import pytest

from lraudit.api import audit_source
from lraudit.extract.build import extract
from lraudit.facts import Known, Unknown

FACTORY = """
import argparse
import torch
from torch import optim

parser = argparse.ArgumentParser()
parser.add_argument('--opt', default='AdamW')
parser.add_argument('--lr', type=float, default=4e-3)
parser.add_argument('--opt_eps', type=float, default=1e-8)
parser.add_argument('--opt_betas', type=float, nargs='+', default=None)
parser.add_argument('--weight_decay', type=float, default=0.05)
parser.add_argument('--momentum', type=float, default=0.9)
args = parser.parse_args()


def create_optimizer(args, model):
    opt_lower = args.opt.lower()
    opt_args = dict(lr=args.lr, weight_decay=args.weight_decay)
    if hasattr(args, 'opt_eps') and args.opt_eps is not None:
        opt_args['eps'] = args.opt_eps
    if hasattr(args, 'opt_betas') and args.opt_betas is not None:
        opt_args['betas'] = args.opt_betas
    EXTRA
    opt_split = opt_lower.split('_')
    opt_lower = opt_split[-1]
    if opt_lower == 'sgd' or opt_lower == 'nesterov':
        opt_args.pop('eps', None)
        optimizer = optim.SGD(model.parameters(), momentum=args.momentum, nesterov=True, **opt_args)
    elif opt_lower == 'adamw':
        optimizer = optim.AdamW(model.parameters(), **opt_args)
    else:
        raise ValueError(opt_lower)
    return optimizer


model = torch.nn.Linear(2, 2)
optimizer = create_optimizer(args, model)
"""


def _optimizers(extra: str = "pass", **overrides: str) -> list:
    src = textwrap.dedent(FACTORY).replace("EXTRA", extra)
    return list(extract(cst.parse_module(src), "train.py", overrides=overrides or None).facts.optimizers)


def _param(o, name: str):
    return o.lr if name == "lr" else o.params[name]


def test_the_default_optimizer_and_its_keyword_arguments() -> None:
    (o,) = _optimizers()
    assert o.cls == "torch.optim.AdamW"
    assert isinstance(o.lr, Known) and o.lr.value == 4e-3 and "--lr" in o.lr.source
    assert _param(o, "eps").value == 1e-8 and "--opt_eps" in _param(o, "eps").source
    assert _param(o, "weight_decay").value == 0.05
    # --opt_betas is None: its key is never set, so AdamW's own default holds
    assert tuple(_param(o, "betas").value) == (0.9, 0.999) and _param(o, "betas").source == "torch default"


def test_another_option_picks_another_arm_and_its_pops() -> None:
    (o,) = _optimizers(opt="Fused_SGD")
    assert o.cls == "torch.optim.SGD"  # "fused_sgd".split("_")[-1] == "sgd"
    assert o.lr.value == 4e-3 and _param(o, "momentum").value == 0.9
    assert "eps" not in o.params  # popped in the SGD arm (SGD has no eps)
    assert o.when is None  # the arm --set selects is the run, not an alternative


def test_a_key_set_only_on_some_paths_is_unknown_not_guessed() -> None:
    (o,) = _optimizers(extra="if model.training:\n        opt_args['lr'] = 0.5")
    assert isinstance(o.lr, Unknown) and "only on some paths" in o.lr.reason


def test_an_unconditional_change_counts() -> None:
    (o,) = _optimizers(extra="opt_args['lr'] = args.lr * 2\n    opt_args.update(weight_decay=0.0)")
    assert o.lr.value == 8e-3
    assert _param(o, "weight_decay").value == 0.0


def test_a_mapping_update_that_is_not_followed_makes_every_key_unknown() -> None:
    (o,) = _optimizers(extra="opt_args.update(load_overrides())")
    assert isinstance(o.lr, Unknown) and "is not followed" in o.lr.reason


def test_a_string_method_of_an_unknown_value_stays_unknown() -> None:
    src = textwrap.dedent(FACTORY).replace("EXTRA", "pass").replace("args.opt.lower()", "os.environ['OPT'].lower()")
    facts = extract(cst.parse_module("import os\n" + src), "train.py").facts
    # which arm runs is not known: both optimizers are alternatives, each saying when it is built
    assert sorted(o.cls for o in facts.optimizers) == ["torch.optim.AdamW", "torch.optim.SGD"]
    assert all(o.when for o in facts.optimizers)


SPAWNED = """
import fire
import torch
import torch.multiprocessing as mp
import ignite.distributed as idist
from torch.optim.lr_scheduler import StepLR


def training(local_rank, config):
    config["steps"] = 3 * config["epochs"]
    model = torch.nn.Linear(2, 2)
    optimizer = torch.optim.SGD(model.parameters(), lr=config["learning_rate"], momentum=config["momentum"])
    optimizer = idist.auto_optim(optimizer)
    scheduler = StepLR(optimizer, step_size=config["steps"])
    for epoch in range(config["epochs"]):
        for x in loader:
            optimizer.zero_grad()
            model(x).sum().backward()
            optimizer.step()
        scheduler.step()


def run(learning_rate: float = 0.4, momentum: float = 0.9, epochs: int = 24, backend=None, **spawn_kwargs):
    config = locals()
    config.update(config["spawn_kwargs"])
    LAUNCH


if __name__ == "__main__":
    fire.Fire({"run": run})
"""


def _spawned(launch: str):
    src = textwrap.dedent(SPAWNED).replace("LAUNCH", launch)
    return extract(cst.parse_module(src), "main.py").facts


@pytest.mark.parametrize("launch", [
    "with idist.Parallel(backend=backend, **spawn_kwargs) as parallel:\n        parallel.run(training, config)",
    "mp.spawn(training, nprocs=2, args=(config,))",
])
def test_a_function_started_by_a_process_launcher_gets_the_launch_arguments(launch: str) -> None:
    # ignite's examples: `config = locals()` of a fire entry point, handed to training(local_rank, config) by
    # idist.Parallel(...).run; torch-1.x scripts: mp.spawn(main_worker, args=(ngpus, args))
    facts = _spawned(launch)
    (o,) = facts.optimizers
    assert o.lr.value == 0.4 and "learning_rate of run()" in o.lr.source
    assert o.params["momentum"].value == 0.9
    (s,) = facts.schedulers
    assert s.optimizer == o.id  # through idist.auto_optim()
    assert s.args["step_size"].value == 72  # config["steps"] = 3 * config["epochs"], written in training()


def test_kwargs_merged_into_the_config_replace_only_other_keys() -> None:
    facts = _spawned("mp.spawn(training, args=(config,))")
    assert facts.optimizers[0].lr.value == 0.4  # **spawn_kwargs can never hold learning_rate (a named parameter)


def test_a_launcher_whose_arguments_are_not_a_literal_tuple_is_not_followed() -> None:
    facts = _spawned("mp.spawn(training, args=make_args(config))")
    (o,) = facts.optimizers
    assert isinstance(o.lr, Unknown)


FABRIC = """
from dataclasses import dataclass

import lightning as L
import torch


@dataclass
class TrainArgs:
    lr: float = 3e-4
    warmup_steps: int = 100
    max_steps: int = 2000


def setup(devices: int = 1, train: TrainArgs = TrainArgs(warmup_steps=50)):
    FABRIC_LINE
    fabric.launch(main, devices, train)


def main(fabric, devices, train):
    model = torch.nn.Linear(2, 2)
    optimizer = torch.optim.AdamW(model.parameters(), lr=train.lr)
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: min(1.0, step / train.warmup_steps))
    for step in range(train.max_steps):
        optimizer.step()
        scheduler.step()
"""


@pytest.mark.parametrize("line", ["fabric = L.Fabric(devices=devices)", "fabric: L.Fabric = L.Fabric(devices=devices)"])
def test_a_function_started_by_fabric_launch_gets_the_launch_arguments(line: str) -> None:
    # Lightning Fabric (litgpt's finetune scripts): fabric.launch(main, a, b) calls main(fabric, a, b); setup()'s
    # defaults are the default run of the command that calls it
    src = textwrap.dedent(FABRIC).replace("FABRIC_LINE", line)
    facts = extract(cst.parse_module(src), "finetune.py").facts
    (o,) = facts.optimizers
    assert o.lr.value == 3e-4
    (s,) = facts.schedulers
    from lraudit.simulate import SimOptions, simulate_scheduler

    curve = simulate_scheduler(facts, s, SimOptions())
    assert curve.lr is not None and len(curve.lr) == 2000
    assert curve.lr[25] == pytest.approx(3e-4 * 25 / 50) and curve.lr[50] == pytest.approx(3e-4)


def test_a_launch_of_something_that_is_not_a_fabric_is_not_followed() -> None:
    src = textwrap.dedent(FABRIC).replace("FABRIC_LINE", "fabric = make_launcher()")
    (o,) = extract(cst.parse_module(src), "finetune.py").facts.optimizers
    assert isinstance(o.lr, Unknown)


COMPREHENSION = """
import argparse
import torch

parser = argparse.ArgumentParser()
parser.add_argument("--milestones", type=int, nargs="+", default=[0, 30, 60, 80])
args = parser.parse_args()
steps_per_epoch = 10
model = torch.nn.Linear(2, 2)
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
scheduler = torch.optim.lr_scheduler.MultiStepLR(optimizer, milestones=MILESTONES)
"""


@pytest.mark.parametrize("expr, want", [
    ("[i * steps_per_epoch for i in args.milestones if i > 0]", [300, 600, 800]),
    ("[int(e * 1.5) for e in range(3)]", [0, 1, 3]),
])
def test_a_comprehension_over_known_items(expr: str, want: list) -> None:
    src = textwrap.dedent(COMPREHENSION).replace("MILESTONES", expr)
    (s,) = extract(cst.parse_module(src), "train.py").facts.schedulers
    assert s.args["milestones"].value == want


def test_a_comprehension_over_an_unknown_sequence_stays_unknown() -> None:
    src = textwrap.dedent(COMPREHENSION).replace("MILESTONES", "[i * 2 for i in load_milestones()]")
    (s,) = extract(cst.parse_module(src), "train.py").facts.schedulers
    assert isinstance(s.args["milestones"], Unknown)


# ------------------------------------------------ objects passed through **mapping

STAR_OBJECTS = """
import torch
from torch.optim.lr_scheduler import StepLR


class WarmupLR(torch.optim.lr_scheduler._LRScheduler):
    def __init__(self, optimizer, warmup_iters=5, last_epoch=-1):
        self.warmup_iters = warmup_iters
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        f = min(1.0, (self.last_epoch + 1) / self.warmup_iters)
        return [base_lr * f for base_lr in self.base_lrs]


def build(optimizer):
    args = {"optimizer": optimizer, "step_size": 3}
    warmup_args = dict(optimizer=optimizer, warmup_iters=4)
    return StepLR(**args), WarmupLR(**warmup_args)


model = torch.nn.Linear(2, 2)
opt = torch.optim.SGD(model.parameters(), lr=0.1)
main, warm = build(opt)
changed = {"optimizer": opt}
changed["step_size"] = 2
other = StepLR(**changed)
literal = StepLR(**{"optimizer": opt, "step_size": 5})
"""


def test_objects_pass_through_a_mapping_literal_of_the_function() -> None:
    result = audit_source(STAR_OBJECTS, "train.py")
    assert result.error is None, result.error
    by_line = {s["line"]: s for s in result.schedulers if s["class"].endswith("StepLR")}
    assert by_line[19]["optimizer"] == "opt1" and by_line[19]["args"]["step_size"]["value"] == 3
    warm = next(s for s in result.schedulers if s["class"].endswith("WarmupLR"))
    assert warm["optimizer"] == "opt1" and warm["lr"][:5] == pytest.approx([0.025, 0.05, 0.075, 0.1, 0.1])  # simulated
    # a mapping changed after its literal: its keys are not the literal's (the value route still gives them)
    assert by_line[27]["args"]["step_size"]["value"] == 2
    assert by_line[28]["optimizer"] == "opt1" and by_line[28]["args"]["step_size"]["value"] == 5
