"""Object flow and loop kinds on shapes seen in real repositories (audits of public training code).

Each case pins the wrong answer lraudit used to give (a false alarm) and nearby variants that must keep their
findings, so a fix cannot trade a false alarm for a miss.
"""

from __future__ import annotations

import math
import textwrap

from lraudit.api import audit_source


def _codes(src: str) -> list[str]:
    return sorted(f.code for f in audit_source(textwrap.dedent(src), "train.py").findings)


def _sched(src: str) -> dict:
    result = audit_source(textwrap.dedent(src), "train.py")
    assert len(result.schedulers) == 1, result.schedulers
    return result.schedulers[0]


DICT_STATE = """
import torch

model = torch.nn.Linear(4, 2)
opt = torch.optim.SGD(model.parameters(), lr=0.1)
sched = torch.optim.lr_scheduler.StepLR(opt, step_size=30)
state = {"optimizer": opt, "scheduler": sched}


def fit(state):
    optimizer = state["optimizer"]
    scheduler = state["scheduler"]
    for epoch in range(90):
        for x in range(10):
            optimizer.zero_grad()
            optimizer.step()
        scheduler.step()


fit(state)
"""


def test_objects_unpacked_from_a_dict_parameter_keep_their_kinds() -> None:
    # was: optimizer and scheduler each taken to be "any object in state" -> false LR202 and LR204
    assert _codes(DICT_STATE) == []
    s = _sched(DICT_STATE)
    assert s["stepped"] == "epoch" and s["optimizer"] == "opt1"


def test_a_real_order_mistake_through_a_dict_parameter_still_fires() -> None:
    bad = DICT_STATE.replace("        scheduler.step()\n", "").replace(
        "            optimizer.zero_grad()\n", "            scheduler.step()\n            optimizer.zero_grad()\n")
    assert "LR201" in _codes(bad) or "LR202" in _codes(bad)


def test_dict_built_in_the_same_function_and_a_key_that_names_the_kind() -> None:
    src = """
    import torch

    def make(model):
        opt = torch.optim.AdamW(model.parameters(), lr=1e-3)
        return {"opt": opt, "lr_scheduler": torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=50)}

    def main(model, loader):
        objs = make(model)
        optimizer, scheduler = objs["opt"], objs["lr_scheduler"]
        for epoch in range(50):
            for batch in loader:
                optimizer.step()
            scheduler.step()
    """
    assert _codes(src) == []
    s = _sched(src)
    assert s["stepped"] == "epoch"


WHILE_BOTH = """
import torch

model = torch.nn.Linear(4, 2)
opt = torch.optim.AdamW(model.parameters(), lr=1e-3)
max_steps = 5000
epochs = 3
sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=max_steps)
batches = [torch.randn(8, 4) for _ in range(2000)]

step, epoch, i = 0, 0, 0
while step < max_steps and epoch < epochs:
    batch = batches[i]
    i += 1
    if i == len(batches):
        i, epoch = 0, epoch + 1
    opt.zero_grad()
    model(batch).sum().backward()
    opt.step()
    sched.step()
    step += 1
"""


def test_a_while_loop_that_updates_the_model_itself_is_per_update() -> None:
    # was: the condition mentions epochs -> an epoch loop -> false LR201 error
    assert _codes(WHILE_BOTH) == []
    assert _sched(WHILE_BOTH)["stepped"] == "batch"


def test_a_while_epoch_loop_around_a_batch_loop_stays_an_epoch_loop() -> None:
    src = """
    import torch

    model = torch.nn.Linear(4, 2)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=5000)
    epoch = 0
    while epoch < 3:
        for batch in loader:
            model(batch).sum().backward()
            opt.step()
        sched.step()
        epoch += 1
    """
    assert _sched(src)["stepped"] == "epoch"


def test_a_while_epoch_loop_calling_a_per_epoch_function_stays_an_epoch_loop() -> None:
    src = """
    import torch

    def train_one_epoch(model, loader, opt):
        for batch in loader:
            model(batch).sum().backward()
            opt.step()

    model = torch.nn.Linear(4, 2)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    sched = torch.optim.lr_scheduler.StepLR(opt, step_size=30)
    epoch = 0
    while epoch < 90:
        train_one_epoch(model, loader, opt)
        sched.step()
        epoch += 1
    """
    assert _codes(src) == []
    assert _sched(src)["stepped"] == "epoch"


def test_transformers_legacy_adamw_is_an_optimizer_with_its_own_defaults() -> None:
    src = """
    from transformers import AdamW, get_linear_schedule_with_warmup

    def train(model, loader):
        optimizer = AdamW(model.parameters(), lr=2e-5)
        scheduler = get_linear_schedule_with_warmup(optimizer, num_warmup_steps=100, num_training_steps=1000)
        for epoch in range(2):
            for batch in loader:
                optimizer.step()
                scheduler.step()
    """
    result = audit_source(textwrap.dedent(src), "train.py")
    (opt,) = result.optimizers
    assert opt["class"] == "transformers.AdamW"
    assert opt["params"]["eps"]["value"] == 1e-6 and opt["params"]["weight_decay"]["value"] == 0.0
    assert result.schedulers[0]["optimizer"] == opt["id"]
    assert "rises from 0 to 2e-05 over 100 steps" in result.schedulers[0]["summary"]


LIGHTNING_RAMP = """
import lightning as L
import torch


class Lit(L.LightningModule):
    def configure_optimizers(self):
        warmup_steps = 10
        optimizer = torch.optim.AdamW(self.parameters(), lr=2e-4)
        scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, LAMBDA)
        return [optimizer], [scheduler]


trainer = L.Trainer(max_epochs=2)
trainer.fit(Lit())
"""


def test_a_step_sized_lambda_warmup_stepped_per_epoch_over_two_epochs_never_finishes() -> None:
    # was: only LR106 (starts at 0); the rate peaks at 10% of lr (Lightning steps it once per epoch)
    assert _codes(LIGHTNING_RAMP.replace("LAMBDA", "lambda step: step / warmup_steps")) == ["LR104", "LR106"]


def test_two_point_curves_that_reach_the_rate_or_fall_stay_quiet() -> None:
    assert _codes(LIGHTNING_RAMP.replace("LAMBDA", "lambda e: min(1.0, (e + 1) / 2)")) == []
    assert _codes(LIGHTNING_RAMP.replace("LAMBDA", "lambda e: 0.5 ** e")) == []


RESUME = """
import argparse
import os
import torch

parser = argparse.ArgumentParser()
parser.add_argument("--epochs", type=int, default=300)
parser.add_argument("--resume", default="")
args = parser.parse_args()

model = torch.nn.Linear(4, 1)
opt = torch.optim.AdamW(model.parameters(), lr=2e-4)
if os.path.isfile(args.resume):
    last_epoch = RESTORED
else:
    last_epoch = -1
sched = torch.optim.lr_scheduler.ExponentialLR(opt, gamma=0.999, last_epoch=last_epoch)
for epoch in range(max(0, last_epoch), args.epochs):
    for _ in range(10):
        opt.step()
    sched.step()
"""


def test_an_if_else_resume_keeps_the_fresh_run_values() -> None:
    s = _sched(RESUME.replace("RESTORED", 'torch.load(args.resume)["epoch"]'))
    assert s["args"]["last_epoch"]["value"] == -1 and "fresh run" in s["args"]["last_epoch"]["source"]
    assert s["horizon"]["value"] == 300


def test_an_if_else_that_is_not_a_resume_stays_unknown() -> None:
    s = _sched(RESUME.replace("RESTORED", "int(os.environ['LAST'])"))
    assert s["args"]["last_epoch"]["value"] is None


def test_keras_inverse_time_decay_is_a_named_shape_not_custom() -> None:
    src = """
    import keras

    optimizer = keras.optimizers.AdamW(learning_rate=keras.optimizers.schedules.InverseTimeDecay(
        initial_learning_rate=1e-3, decay_steps=1000, decay_rate=0.1))
    """
    assert _sched(src)["shape"] == "polynomial decay"


def test_lr_zero_is_not_flagged_when_an_untraced_hand_written_schedule_writes_rates() -> None:
    src = """
    import torch

    def set_group_lr(group, lr):
        group["lr"] = lr

    model = torch.nn.Linear(4, 2)
    optimizer = torch.optim.SGD(model.parameters(), lr=0)  # the schedule below sets it
    for it in range(1000):
        set_group_lr(optimizer.param_groups[0], 0.1 * (1 - it / 1000))
        optimizer.step()
    """
    assert "LR001" not in _codes(src)
    plain = src.replace("set_group_lr(optimizer.param_groups[0], 0.1 * (1 - it / 1000))", "pass").replace(
        'group["lr"] = lr', "pass")
    assert "LR001" in _codes(plain)


def test_a_framework_interval_that_depends_on_the_path_is_said_to_be_unknown(tmp_path) -> None:
    from click.testing import CliRunner

    from lraudit.cli import main

    (tmp_path / "m.py").write_text(textwrap.dedent("""
    import lightning as L
    import torch

    class M(L.LightningModule):
        def configure_optimizers(self):
            opt = torch.optim.SGD(self.parameters(), lr=0.1)
            sched = torch.optim.lr_scheduler.StepLR(opt, 10)
            if self.hparams.per_step:
                return [opt], [{"scheduler": sched, "interval": "step"}]
            return [opt], [{"scheduler": sched, "interval": "epoch"}]
    """))
    out = CliRunner().invoke(main, ["explain", str(tmp_path / "m.py")]).output
    assert "stepped: by the framework; whether per batch or per epoch is not known" in out
    assert "never" not in out


KWARGS = """
import torch


def make_optimizer(params, lr, momentum=0.9):
    return torch.optim.SGD(params, lr=lr, momentum=momentum)


def build(model, **kwargs):
    return make_optimizer(model.parameters(), **kwargs)


model = torch.nn.Linear(4, 2)
CALLS
"""


def test_a_keyword_forwarded_through_kwargs_resolves_from_the_outer_call() -> None:
    result = audit_source(textwrap.dedent(KWARGS.replace("CALLS", "opt = build(model, lr=0.1)")), "train.py")
    (opt,) = result.optimizers
    assert opt["lr"]["value"] == 0.1 and "via **kwargs" in opt["lr"]["source"]
    assert opt["params"]["momentum"]["value"] == 0.9


def test_forwarded_kwargs_that_disagree_or_miss_the_keyword_stay_unknown() -> None:
    two = audit_source(textwrap.dedent(KWARGS.replace("CALLS", "a = build(model, lr=0.1)\nb = build(model, lr=0.2)")),
                       "train.py")
    assert two.optimizers[0]["lr"]["value"] is None
    missing = audit_source(textwrap.dedent(KWARGS.replace("CALLS", "opt = build(model, momentum=0.5)")), "train.py")
    assert missing.optimizers[0]["lr"]["value"] is None


BRANCHES = """
import sys
import torch


def build(model, name):
    if name == "adam":
        optimizer = torch.optim.AdamW(model.parameters(), lr=LR_A)
    else:
        optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    scheduler = torch.optim.lr_scheduler.MultiStepLR(optimizer, milestones=[30, 60], gamma=0.1)
    return optimizer, scheduler


model = torch.nn.Linear(4, 1)
optimizer, scheduler = build(model, sys.argv[1])
for epoch in range(90):
    optimizer.step()
    scheduler.step()
"""


def test_an_optimizer_chosen_by_a_branch_is_not_silently_the_first(tmp_path) -> None:
    from click.testing import CliRunner

    from lraudit.cli import main

    result = audit_source(textwrap.dedent(BRANCHES.replace("LR_A", "1e-3")), "train.py")
    (s,) = result.schedulers
    assert s["lr"] is None or all(v <= 1.0 for v in s["lr"])  # no absolute curve from the first branch
    assert "depends on the path taken" in s["summary"] and "0.001" in s["summary"] and "0.1" in s["summary"]
    assert result.findings == [] or all(f.code not in ("LR101", "LR102", "LR103") for f in result.findings)
    (tmp_path / "train.py").write_text(textwrap.dedent(BRANCHES.replace("LR_A", "1e-3")))
    out = CliRunner().invoke(main, ["explain", str(tmp_path / "train.py")]).output
    assert "on opt1 or opt2" in out and "optimizer: one of several" in out


def test_an_optimizer_chosen_by_a_known_argument_is_the_one_the_run_builds() -> None:
    # the only call passes "sgd": the default run takes the else arm, one optimizer, an absolute curve
    result = audit_source(textwrap.dedent(BRANCHES.replace("LR_A", "1e-3").replace("sys.argv[1]", '"sgd"')),
                          "train.py")
    (s,) = result.schedulers
    assert [o["class"] for o in result.optimizers] == ["torch.optim.SGD"]
    assert s["lr"][0] == 0.1 and math.isclose(s["lr"][30], 0.01)


def test_branches_that_start_from_the_same_rate_keep_the_absolute_curve() -> None:
    result = audit_source(textwrap.dedent(BRANCHES.replace("LR_A", "0.1")), "train.py")
    (s,) = result.schedulers
    assert s["lr"][0] == 0.1 and math.isclose(s["lr"][30], 0.01) and math.isclose(s["lr"][89], 0.001)




def test_a_helper_that_hands_back_its_scheduler_keeps_each_callers_own() -> None:
    """ESRGAN's ``g_model, g_optimizer, g_scheduler = load_resume(g_model, g_optimizer, g_scheduler, ...)`` and the
    same for d: a parameter returned unchanged is this call's argument, so each name is its own scheduler (both
    were read as either scheduler, stepped at both lines: a false LR204 on each)."""
    text = """
import os
import torch
from torch import nn, optim
from torch.optim import lr_scheduler


def load_resume(model, optimizer, scheduler, path):
    ckpt = torch.load(path)
    optimizer.load_state_dict(ckpt["opt"])
    scheduler.load_state_dict(ckpt["sched"])
    return model, optimizer, scheduler


def main():
    g_model, d_model = nn.Linear(4, 4), nn.Linear(4, 1)
    g_optimizer = optim.Adam(g_model.parameters(), 1e-4)
    d_optimizer = optim.Adam(d_model.parameters(), 1e-4)
    g_scheduler = lr_scheduler.MultiStepLR(g_optimizer, [50, 80], 0.5)
    d_scheduler = lr_scheduler.MultiStepLR(d_optimizer, [50, 80], 0.5)
    if os.path.exists("g.pth"):
        g_model, g_optimizer, g_scheduler = load_resume(g_model, g_optimizer, g_scheduler, "g.pth")
    if os.path.exists("d.pth"):
        d_model, d_optimizer, d_scheduler = load_resume(d_model, d_optimizer, scheduler=d_scheduler, path="d.pth")
    for epoch in range(100):
        for x in loader:
            d_optimizer.zero_grad()
            d_model(x).mean().backward()
            d_optimizer.step()
            g_optimizer.zero_grad()
            g_model(x).mean().backward()
            g_optimizer.step()
        g_scheduler.step()
        d_scheduler.step()
"""
    res = audit_source(text, "train_gan.py")
    assert [f.code for f in res.findings] == []
    assert [s["stepped"] for s in res.schedulers] == ["epoch", "epoch"]
