"""The default run: branches are alternatives, conditions that resolve from known values pick their arm, and
``--set`` analyses another run. Each case pins the facts of the default run and the alternatives that stay."""

from __future__ import annotations

import math
import textwrap

import libcst as cst
import pytest

from lraudit.api import audit_source
from lraudit.extract.build import extract
from lraudit.facts import FileFacts


def _facts(src: str, **overrides: str) -> FileFacts:
    return extract(cst.parse_module(textwrap.dedent(src)), "train.py", overrides=overrides or None).facts


def _classes(src: str, **overrides: str) -> list[str]:
    return [s.cls.rsplit(".", 1)[-1] for s in _facts(src, **overrides).schedulers]


def _codes(src: str, **overrides: str) -> list[str]:
    result = audit_source(textwrap.dedent(src), "train.py", overrides=overrides or None)
    assert result.error is None, result.error
    return sorted(f.code for f in result.findings)


SCHED_CHOICE = """
import argparse
import torch
from torch.optim.lr_scheduler import CosineAnnealingLR, StepLR, LinearLR, SequentialLR

parser = argparse.ArgumentParser()
parser.add_argument("--lr", type=float, default=0.1)
parser.add_argument("--epochs", type=int, default=90)
parser.add_argument("--sched", default="cosine", choices=["cosine", "step"])
parser.add_argument("--warmup-epochs", type=int, default=5)
args = parser.parse_args()

model = torch.nn.Linear(2, 2)
optimizer = torch.optim.SGD(model.parameters(), lr=args.lr)
if args.sched == "cosine":
    main = CosineAnnealingLR(optimizer, T_max=args.epochs - args.warmup_epochs)
elif args.sched == "step":
    main = StepLR(optimizer, step_size=30)
else:
    raise ValueError(args.sched)
if args.warmup_epochs > 0:
    warmup = LinearLR(optimizer, start_factor=0.01, total_iters=args.warmup_epochs)
    scheduler = SequentialLR(optimizer, [warmup, main], milestones=[args.warmup_epochs])
else:
    scheduler = main

for epoch in range(args.epochs):
    for x, y in loader:
        optimizer.zero_grad()
        loss = model(x).sum()
        loss.backward()
        optimizer.step()
    scheduler.step()
"""


def test_the_default_run_takes_the_arms_its_defaults_select() -> None:
    facts = _facts(SCHED_CHOICE)
    assert [s.cls.rsplit(".", 1)[-1] for s in facts.schedulers] == ["CosineAnnealingLR", "LinearLR", "SequentialLR"]
    seq = facts.schedulers[-1]
    assert len(seq.children) == 2 and not seq.conditional
    # the chosen arms are not conditional: they surely run in this run
    assert not any(s.conditional for s in facts.schedulers)
    assert _codes(SCHED_CHOICE) == []  # was: LR002 "3 schedulers" and two LR204 "stepped twice"


def test_set_selects_another_run() -> None:
    assert _classes(SCHED_CHOICE, sched="step") == ["StepLR", "LinearLR", "SequentialLR"]
    assert _classes(SCHED_CHOICE, sched="step", warmup_epochs="0") == ["StepLR"]
    # a flag spelling and the dest spelling are the same key
    assert _classes(SCHED_CHOICE, **{"--sched": "step", "warmup-epochs": "0"}) == ["StepLR"]
    assert _codes(SCHED_CHOICE, sched="step", warmup_epochs="0") == []


def test_set_value_is_typed_like_the_option() -> None:
    facts = _facts(SCHED_CHOICE, lr="0.5", epochs="10")
    assert facts.optimizers[0].lr.value == 0.5 and "--set lr=0.5" in facts.optimizers[0].lr.source
    assert facts.horizon.epochs.value == 10


def test_an_arm_that_raises_is_not_a_run() -> None:
    src = SCHED_CHOICE.replace('default="cosine"', "default=None")
    # --sched None: neither named arm; the else arm raises, so no run of the script builds `main` that way: the
    # choice stays open between the two arms that do not raise
    facts = _facts(src)
    names = sorted(s.cls.rsplit(".", 1)[-1] for s in facts.schedulers)
    assert names == ["CosineAnnealingLR", "LinearLR", "SequentialLR", "StepLR"]
    assert _codes(src) == []


def test_unknown_condition_keeps_both_arms_as_alternatives() -> None:
    src = """
    import torch
    model = torch.nn.Linear(2, 2)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    if torch.cuda.device_count() > 1:
        sched = torch.optim.lr_scheduler.StepLR(opt, step_size=30)
    else:
        sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=90)
    for epoch in range(90):
        for x in loader:
            opt.zero_grad()
            opt.step()
        sched.step()
    """
    facts = _facts(src)
    a, b = facts.schedulers
    assert a.conditional and b.conditional
    assert _codes(src) == []


def test_early_return_and_continue_make_the_rest_an_alternative() -> None:
    from lraudit.extract.index import build_index, exclusive

    src = textwrap.dedent("""
    def f(a):
        if a:
            x = 1
            return x
        y = 2
        for i in range(3):
            if i:
                continue
            z = 3
    """)
    ix = build_index(cst.parse_module(src))
    fn = ix.functions["f"].scope
    x, y = fn.assigns["x"][0], fn.assigns["y"][0]
    assert exclusive(x.ctx.arms, y.ctx.arms)
    assert not y.ctx.conds  # after `if a: return` the rest is not conditional: it runs whenever f goes on


def test_is_none_on_an_option_nobody_sets() -> None:
    src = """
    import argparse, torch
    p = argparse.ArgumentParser()
    p.add_argument("--resume")
    p.add_argument("--milestones", type=int, nargs="+", default=[30, 60])
    args = p.parse_args()
    model = torch.nn.Linear(2, 2)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    if args.resume is None and len(args.milestones) == 2:
        sched = torch.optim.lr_scheduler.MultiStepLR(opt, milestones=args.milestones)
    else:
        sched = torch.optim.lr_scheduler.StepLR(opt, step_size=1)
    for epoch in range(90):
        sched.step()
    """
    assert _classes(src) == ["MultiStepLR"]
    assert _classes(src, resume="ckpt.pt") == ["StepLR"]


def test_conditional_expression_and_match() -> None:
    src = """
    import argparse, torch
    p = argparse.ArgumentParser()
    p.add_argument("--sched", default="step")
    p.add_argument("--no-decay", action="store_true")
    args = p.parse_args()
    model = torch.nn.Linear(2, 2)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    sched = (torch.optim.lr_scheduler.ConstantLR(opt) if args.no_decay
             else torch.optim.lr_scheduler.ExponentialLR(opt, gamma=0.9))
    match args.sched:
        case "step":
            other = torch.optim.lr_scheduler.StepLR(opt, step_size=3)
        case "cos" | "cosine":
            other = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=3)
        case _:
            raise ValueError(args.sched)
    """
    assert _classes(src) == ["ExponentialLR", "StepLR"]
    assert _classes(src, no_decay="true", sched="cos") == ["ConstantLR", "CosineAnnealingLR"]


def test_conditions_that_change_inside_a_loop_are_not_decided() -> None:
    src = """
    import torch
    model = torch.nn.Linear(2, 2)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    warm = torch.optim.lr_scheduler.LinearLR(opt, total_iters=5)
    main = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=85)
    phase = 0
    for epoch in range(90):
        if phase == 0:
            warm.step()
        else:
            main.step()
        if epoch == 5:
            phase = 1
    """
    facts = _facts(src)
    assert all(s.step_sites for s in facts.schedulers)  # both arms stay: `phase` changes in the loop


def test_click_absl_and_config_keys() -> None:
    src = """
    from absl import flags
    import torch
    FLAGS = flags.FLAGS
    flags.DEFINE_float("lr", 0.1, "learning rate")
    flags.DEFINE_enum("sched", "cosine", ["cosine", "step"], "schedule")
    model = torch.nn.Linear(2, 2)
    opt = torch.optim.SGD(model.parameters(), lr=FLAGS.lr)
    if FLAGS.sched == "cosine":
        s = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=10)
    else:
        s = torch.optim.lr_scheduler.StepLR(opt, step_size=3)
    """
    assert _classes(src) == ["CosineAnnealingLR"]
    assert _classes(src, sched="step") == ["StepLR"]
    assert _facts(src).optimizers[0].lr.value == 0.1


def test_config_key_override(tmp_path) -> None:
    (tmp_path / "cfg.yaml").write_text("optim:\n  lr: 0.1\n  sched: cosine\n")
    src = textwrap.dedent("""
    import yaml, torch
    cfg = yaml.safe_load(open("cfg.yaml"))
    model = torch.nn.Linear(2, 2)
    opt = torch.optim.SGD(model.parameters(), lr=cfg["optim"]["lr"])
    if cfg["optim"]["sched"] == "cosine":
        s = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=10)
    else:
        s = torch.optim.lr_scheduler.StepLR(opt, step_size=3)
    """)
    path = str(tmp_path / "train.py")
    f = extract(cst.parse_module(src), path).facts
    assert [s.cls.rsplit(".", 1)[-1] for s in f.schedulers] == ["CosineAnnealingLR"]
    f = extract(cst.parse_module(src), path, overrides={"optim.sched": "step", "optim.lr": "0.3"}).facts
    assert [s.cls.rsplit(".", 1)[-1] for s in f.schedulers] == ["StepLR"]
    assert math.isclose(f.optimizers[0].lr.value, 0.3)


def test_function_parameter_known_at_every_call() -> None:
    src = """
    import torch

    def build(opt, name, epochs):
        if name == "cosine":
            return torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=epochs)
        elif name == "step":
            return torch.optim.lr_scheduler.StepLR(opt, step_size=epochs // 3)
        raise ValueError(name)

    model = torch.nn.Linear(2, 2)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    sched = build(opt, "step", 90)
    for epoch in range(90):
        sched.step()
    """
    assert _classes(src) == ["StepLR"]


@pytest.mark.parametrize("n,chain", [(200, True), (3000, False)])
def test_thousands_of_arms_are_bounded(n: int, chain: bool) -> None:
    import time

    arms = "\n".join(f"{'elif' if chain and i else 'if'} args.k == {i}:\n    s = torch.optim.lr_scheduler.StepLR(opt, {i + 1})"
                      for i in range(n))
    src = ("import argparse, torch\np = argparse.ArgumentParser()\np.add_argument('--k', type=int, default=7)\n"
           "args = p.parse_args()\nopt = torch.optim.SGD([], lr=0.1)\n" + arms + "\nfor e in range(3):\n    s.step()\n")
    t = time.monotonic()
    result = audit_source(src, "train.py")
    assert result.error is None
    assert time.monotonic() - t < 240  # ~10 s on an idle machine; generous for loaded CI runners
    if chain:
        assert len(result.schedulers) == 1 and result.schedulers[0]["args"]["step_size"]["value"] == 8


def test_deep_and_contradictory_conditions_do_not_crash() -> None:
    deep = "x = 1\n" + "".join("    " * i + f"if x == {i % 2} and not x == {i % 2}:\n" for i in range(60)) + \
        "    " * 60 + "y = 2\n"
    result = audit_source("import torch\nopt = torch.optim.SGD([], lr=0.1)\n" + deep, "train.py")
    assert result.error is None
    never = "import torch, sys\nopt = torch.optim.SGD([], lr=0.1)\nwhile True:\n    if sys.argv == 3:\n" \
            "        s = torch.optim.lr_scheduler.StepLR(opt, 2)\n    else:\n        break\n"
    assert audit_source(never, "train.py").error is None


OPTION_RUN = """
import argparse
import torch

parser = argparse.ArgumentParser()
parser.add_argument("--epochs", type=int, default=90)
parser.add_argument("--sched", default="cosine", choices=["cosine", "step"])
args = parser.parse_args()

model = torch.nn.Linear(2, 2)
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
if args.sched == "cosine":
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=args.epochs)
elif args.sched == "step":
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=30)
for epoch in range(args.epochs):
    for x, y in loader:
        optimizer.zero_grad()
        model(x).sum().backward()
        optimizer.step()
        if args.sched == "step":
            scheduler.step()
    if args.sched == "cosine":
        scheduler.step()
"""


def test_a_finding_only_an_option_selects_names_the_option() -> None:
    result = audit_source(textwrap.dedent(OPTION_RUN), "train.py")
    (f,) = result.findings
    assert f.code == "LR201" and f.message.startswith("with --sched step: ") and f.severity == "warning"
    # the run that option selects, analysed directly, has the finding without the prefix
    direct = audit_source(textwrap.dedent(OPTION_RUN), "train.py", overrides={"sched": "step"})
    assert [(g.code, g.message) for g in direct.findings] == [("LR201", f.message.removeprefix("with --sched step: "))]
    # nearby variant: the step arm steps per epoch too; no run has the mistake
    fixed = OPTION_RUN.replace('        if args.sched == "step":\n            scheduler.step()\n', "")
    fixed = fixed.replace('    if args.sched == "cosine":\n        scheduler.step()', "    scheduler.step()")
    assert _codes(fixed) == []


GATED = """
import math
import torch

model = torch.nn.Linear(2, 2)
optimizer = torch.optim.AdamW(model.parameters(), lr=6e-4)
accum = 8
warmup, max_iters = 2000, 600000


def get_lr(it):
    if it < warmup:
        return 6e-4 * it / warmup
    return 6e-4 * 0.5 * (1 + math.cos(math.pi * (it - warmup) / (max_iters - warmup)))


for it in range(max_iters):
    lr = get_lr(it)
    for g in optimizer.param_groups:
        g["lr"] = lr
    loss = model(torch.randn(2, 2)).sum()
    loss.backward()
    if (it + 1) % accum == 0:
        optimizer.step()
        optimizer.zero_grad()
"""


def test_gradient_accumulation_moves_the_first_update() -> None:
    # the rate is written on every micro-batch, the optimizer steps every 8th: the first update is not at rate 0
    assert "LR106" not in _codes(GATED)
    # nearby variant: every micro-batch updates, so the first update does use rate 0
    ungated = GATED.replace("    if (it + 1) % accum == 0:\n        optimizer.step()\n        optimizer.zero_grad()",
                            "    optimizer.step()\n    optimizer.zero_grad()")
    assert "LR106" in _codes(ungated)


FAST_FORWARD = """
import argparse
import torch
p = argparse.ArgumentParser()
p.add_argument("--start-epoch", type=int, default=0)
p.add_argument("--epochs", type=int, default=90)
args = p.parse_args()
model = torch.nn.Linear(2, 2)
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=30)
for _ in range(args.start_epoch):
    scheduler.step()
for epoch in range(args.start_epoch, args.epochs):
    for x in loader:
        optimizer.zero_grad()
        optimizer.step()
    scheduler.step()
"""


def test_a_loop_that_only_fast_forwards_the_schedule_is_not_the_run() -> None:
    (s,) = _facts(FAST_FORWARD).schedulers
    assert s.horizon.value == 90  # the epoch loop's length, not lost between two stepping loops
    # nearby variant: a second loop that trains too keeps the horizon undecided
    two = FAST_FORWARD.replace("for _ in range(args.start_epoch):\n    scheduler.step()",
                               "for _ in range(args.start_epoch):\n    optimizer.step()\n    scheduler.step()")
    (s,) = _facts(two).schedulers
    assert s.horizon.value != 90


def test_undecided_alternatives_say_when_they_are_built() -> None:
    src = """
    import argparse
    import torch
    parser = argparse.ArgumentParser()
    parser.add_argument("--lr-scheduler", required=True, choices=["cosineannealinglr", "steplr"])
    args = parser.parse_args()
    model = torch.nn.Linear(2, 2)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    if args.lr_scheduler == "cosineannealinglr":
        scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=90)
    elif args.lr_scheduler == "steplr":
        scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=30)
    else:
        raise RuntimeError("unknown")
    for epoch in range(90):
        optimizer.step()
        scheduler.step()
    """
    result = audit_source(textwrap.dedent(src), "train.py")
    assert [s.get("when") for s in result.schedulers] == ['when --lr-scheduler is "cosineannealinglr"',
                                                          'when --lr-scheduler is "steplr"']
    assert "when" not in result.optimizers[0]  # built in every run
    assert result.findings == []
    # with the option given, the run is decided: one scheduler, no alternative
    given = audit_source(textwrap.dedent(src), "train.py", overrides={"lr_scheduler": "steplr"})
    assert [(s["class"].rsplit(".", 1)[-1], s.get("when")) for s in given.schedulers] == [("StepLR", None)]


def test_an_object_only_an_option_builds_is_checked_in_that_run() -> None:
    # pytorch/examples word_language_model: the default run updates parameters by hand; --use-optimizer builds
    # an AdamW with the same lr=20 meant for plain SGD
    src = """
    import argparse
    import torch
    parser = argparse.ArgumentParser()
    parser.add_argument("--lr", type=float, default=20)
    parser.add_argument("--use-optimizer", action="store_true")
    args = parser.parse_args()
    model = torch.nn.Linear(2, 2)
    if args.use_optimizer:
        optimizer = torch.optim.AdamW(model.parameters(), lr=args.lr)
    for epoch in range(10):
        loss = model(torch.randn(2, 2)).sum()
        loss.backward()
        if args.use_optimizer:
            optimizer.step()
        else:
            for p in model.parameters():
                p.data.add_(p.grad, alpha=-args.lr)
    """
    result = audit_source(textwrap.dedent(src), "train.py")
    assert result.optimizers == []  # the default run builds none
    (f,) = result.findings
    assert f.code == "LR001" and f.message.startswith("with --use-optimizer: ") and f.severity == "warning"
    assert _codes(src.replace("default=20", "default=1e-3")) == []


LR_FINDER = """
import argparse
import torch
p = argparse.ArgumentParser()
p.add_argument("--linear", action="store_true")
args = p.parse_args()
model = torch.nn.Linear(2, 2)
optimizer = torch.optim.SGD(model.parameters(), lr=1.0)


def NAME(start_lr=1e-5, end_lr=10.0, num_batches=100):
    if args.linear:
        factor = (end_lr - start_lr) / num_batches
    else:
        factor = (end_lr / start_lr) ** (1.0 / num_batches)
    for i in range(num_batches):
        lr = start_lr + factor * i if args.linear else start_lr * factor ** i
        for g in optimizer.param_groups:
            g["lr"] = lr
        model(torch.randn(2, 2)).sum().backward()
        optimizer.step()


NAME()
"""


def test_a_learning_rate_range_test_is_not_an_unfinished_warm_up() -> None:
    # the default run (no --linear) takes the exponential arm: the curve is known now, and it rises on purpose
    assert _codes(LR_FINDER.replace("NAME", "search_learning_rate")) == []
    assert _codes(LR_FINDER.replace("NAME", "find_lr")) == []
    # nearby variant: the same sweep in a training function is a rate that climbs past the optimizer's lr
    assert _codes(LR_FINDER.replace("NAME", "train")) == ["LR101"]


SOFT_FAILURE = """
import logging
import torch
from torch.optim.lr_scheduler import StepLR

logger = logging.getLogger(__name__)


def train(checkpoint_dir=None, load_checkpoint_dir=None, epochs=10):
    if checkpoint_dir is None and load_checkpoint_dir is None:
        {report}
        return
    model = torch.nn.Linear(2, 2)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    scheduler = StepLR(optimizer, step_size=3)
    for epoch in range(epochs):
        for x, y in loader:
            optimizer.zero_grad()
            model(x).sum().backward()
            optimizer.step()
        scheduler.step()


if __name__ == "__main__":
    train()
"""


@pytest.mark.parametrize("report", [
    'logger.error("Need to specify one of checkpoint_dir or load_checkpoint_dir")',
    'log_dist("Need to specify one", ranks=[0], level=logging.ERROR)',
    'print("Need to specify one", file=sys.stderr)',
])
def test_an_arm_that_reports_an_error_and_returns_is_not_the_run(report: str) -> None:
    # with the defaults the function would stop at once; the run a user launches passes a directory, so the
    # optimizer and scheduler after the check are the run's (as after an arm that raises)
    facts = _facts(SOFT_FAILURE.replace("{report}", report))
    assert [o.cls for o in facts.optimizers] == ["torch.optim.SGD"]
    assert [s.cls.rsplit(".", 1)[-1] for s in facts.schedulers] == ["StepLR"]
    # ... and they say when that is
    assert facts.schedulers[0].when == "when not (checkpoint_dir is None and load_checkpoint_dir is None)"


def test_a_plain_early_return_is_still_the_run() -> None:
    # `if dry_run: return` with dry_run on by default is what the defaults do: nothing is built in that run
    src = SOFT_FAILURE.replace('{report}', 'pass').replace(
        "if checkpoint_dir is None and load_checkpoint_dir is None:", "if True:")
    assert list(_facts(src).schedulers) == []


CLASS_ALIAS = """
import argparse
import torch
from deepspeed.ops.adam import DeepSpeedCPUAdam, FusedAdam

parser = argparse.ArgumentParser()
parser.add_argument("--offload", action="store_true")
parser.add_argument("--optim", default="AdamW")
parser.add_argument("--sched", default="StepLR")
args = parser.parse_args()
model = torch.nn.Linear(2, 2)
AdamOptimizer = DeepSpeedCPUAdam if args.offload else FusedAdam
optimizer = AdamOptimizer(model.parameters(), lr=3e-4)
opt2 = getattr(torch.optim, args.optim)(model.parameters(), lr=0.1)
Sched = getattr(torch.optim.lr_scheduler, args.sched)
scheduler = Sched(opt2, step_size=3)
"""


def test_a_class_chosen_by_an_option_is_the_class_the_default_run_builds() -> None:
    facts = _facts(CLASS_ALIAS)
    assert [(o.cls, o.loc.line) for o in facts.optimizers] == [
        ("deepspeed.ops.adam.FusedAdam", 13), ("torch.optim.AdamW", 14)]
    assert [(s.cls, s.optimizer) for s in facts.schedulers] == [("torch.optim.lr_scheduler.StepLR", "opt2")]
    facts = _facts(CLASS_ALIAS, offload="true", optim="SGD", sched="ExponentialLR")
    assert [o.cls for o in facts.optimizers] == ["deepspeed.ops.adam.DeepSpeedCPUAdam", "torch.optim.SGD"]
    assert [s.cls for s in facts.schedulers] == ["torch.optim.lr_scheduler.ExponentialLR"]


def test_a_class_alias_that_is_not_known_builds_nothing_it_could_guess() -> None:
    src = CLASS_ALIAS.replace("if args.offload else", "if torch.cuda.device_count() > 1 else").replace(
        '"AdamW"', "os.environ['OPTIM']")
    facts = _facts("import os\n" + src)
    assert [o.cls for o in facts.optimizers] == []  # which class is built is not known: no guess


ENV_SWITCH = """
import os
import torch
from torch.optim.lr_scheduler import StepLR

config = {"lr": 0.1, "num_epochs": 30}


def training_function(config):
    if os.environ.get("TESTING_MOCKED_DATALOADERS", None) == "1":
        config["num_epochs"] = 2
    if int(os.environ.get("LOCAL_RANK", -1)) != -1:
        config["lr"] = 0.2
    model = torch.nn.Linear(2, 2)
    optimizer = torch.optim.SGD(model.parameters(), lr=config["lr"])
    scheduler = StepLR(optimizer, step_size=config["num_epochs"] // 3)


training_function(config)
"""


def test_an_environment_variable_a_plain_launch_does_not_set_is_absent() -> None:
    facts = _facts(ENV_SWITCH)
    (s,) = facts.schedulers
    assert s.args["step_size"].value == 10  # the test-only arm is not the run
    # a variable launchers set (torchrun's LOCAL_RANK) is not guessed: the write stays on some paths only
    (o,) = facts.optimizers
    assert o.lr.value is None and "only on some paths" in o.lr.reason
