"""False alarms judged on real code (/work/audit/FALSE_ALARMS.md), each from its minimal repro, with the nearby
variants that must still fire: reading a group's rate (LR305), the YOLO warm-up into LambdaLR (LR301), lengths in
steps (LR201, both directions), a checkpoint key that saves nothing (LR304), warm-up starts and schedule plots
(LR001), type-guarded and step(None) calls (LR206), a warm-start optimizer.step() (LR202), and schedulers built in
an unseen call's argument (LR203)."""

from __future__ import annotations

import textwrap

import pytest

from lraudit.api import audit_source


def _messages(src: str, code: str) -> list[str]:
    return [f.message for f in audit_source(textwrap.dedent(src), "train.py", select=[code]).findings]


# ------------------------------------------------------------------------------------------ LR305 (FA-1)

READ = """\
    import torch
    model = torch.nn.Linear(2, 2)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    {before}
    for epoch in range(10):
        optimizer.step()
        {line}
        print(f'lr={{lr}}')
"""


@pytest.mark.parametrize("line", [
    "lr = optimizer.param_groups[0]['lr']",
    "lr = optimizer.param_groups[0][\"lr\"]",
    "for g in optimizer.param_groups: lr = g['lr']",
    "lr = [g['lr'] for g in optimizer.param_groups][0]",
])
def test_reading_a_groups_rate_is_not_a_computed_rate(line: str) -> None:
    assert _messages(READ.format(before="", line=line), "LR305") == []


@pytest.mark.parametrize("before,line", [
    ("lr = 0.1", "lr = lr * 0.5"),
    ("lr = 0.1", "lr /= 4"),
    ("lr = 0.1", "lr = lr * 0.5 + 1e-5"),
])
def test_a_new_rate_that_is_only_printed_still_fires(before: str, line: str) -> None:
    (msg,) = _messages(READ.format(before=before, line=line), "LR305")
    assert "never reaches an optimizer" in msg


# ------------------------------------------------------------------------------------------ LR301 (FA-2)

YOLO = """\
    import math
    import numpy as np
    import torch
    epochs = 300
    nb = 100
    model = torch.nn.Linear(2, 2)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.937, nesterov=True)
    lf = lambda x: ((1 - math.cos(x * math.pi / epochs)) / 2) * (0.1 - 1) + 1
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lr_lambda=lf)
    nw = max(3 * nb, 1000)
    for epoch in range(epochs):
        for i in range(nb):
            ni = i + nb * epoch
            if ni <= nw:
                for j, x in enumerate(optimizer.param_groups):
                    x["lr"] = {value}
            loss = model(torch.randn(4, 2)).sum()
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        scheduler.step()
"""


@pytest.mark.parametrize("value", [
    'np.interp(ni, [0, nw], [0.0, x["initial_lr"] * lf(epoch)])',  # yolov5 / yolov7
    'np.interp(ni, [0, nw], [0.1 if j == 0 else 0.0, x["initial_lr"] * lf(epoch)])',
    "scheduler.get_last_lr()[0] * ni / nw",
])
def test_a_warm_up_toward_the_schedulers_own_value_cooperates(value: str) -> None:
    assert _messages(YOLO.format(value=value), "LR301") == []


@pytest.mark.parametrize("value", [
    "np.interp(ni, [0, nw], [0.0, 0.01])",  # ends at a constant of its own: the scheduler jumps away from it
    "0.01 * ni / nw",
    'x["initial_lr"] * ni / nw',  # the optimizer's rate, not the schedule's value at this epoch
])
def test_a_warm_up_toward_another_value_still_competes(value: str) -> None:
    (msg,) = _messages(YOLO.format(value=value), "LR301")
    assert "LambdaLR overwrites the written value" in msg


def test_a_chainable_scheduler_compounds_even_a_write_from_its_value() -> None:
    src = YOLO.format(value="scheduler.get_last_lr()[0] * 0.5").replace(
        "torch.optim.lr_scheduler.LambdaLR(optimizer, lr_lambda=lf)",
        "torch.optim.lr_scheduler.MultiplicativeLR(optimizer, lr_lambda=lambda e: 0.95)")
    (msg,) = _messages(src, "LR301")
    assert "compound" in msg


# ------------------------------------------------------------------------------------------ LR201 (FA-3, item 6)

PER_BATCH = """\
    import argparse
    import torch
    p = argparse.ArgumentParser()
    p.add_argument("--epochs", type=int, default=10)
    p.add_argument("{flag}", type=int, default=1250)
    args = p.parse_args()
    model = torch.nn.Linear(2, 2)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    max_iter = {total}
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, max_iter, eta_min=0)
    for it in range({bound}):
        loss = model(torch.randn(4, 2)).sum()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        scheduler.step()
"""


@pytest.mark.parametrize("flag,total,bound", [
    ("--epoch-length", "args.epochs * args.epoch_length", "max_iter"),  # dinov2 eval/linear.py
    ("--epoch-size", "args.epochs * args.epoch_size", "max_iter"),
    ("--epoch-length", "args.epochs * args.epoch_length", "100000"),  # the words alone
    ("--warmup", "args.epochs * args.warmup", "max_iter"),  # the bound of the loop that steps it alone
])
def test_epochs_times_a_per_epoch_length_is_in_steps(flag: str, total: str, bound: str) -> None:
    assert _messages(PER_BATCH.format(flag=flag, total=total, bound=bound), "LR201") == []


def test_an_epoch_count_stepped_per_batch_still_fires() -> None:
    (msg,) = _messages(PER_BATCH.format(flag="--warmup", total="args.epochs", bound="100000"), "LR201")
    assert "sized in epochs" in msg


PER_EPOCH = """\
    import torch
    def train(model, train_loader, epochs, n):
        optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
        scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max={tmax})
        for epoch in range(epochs):
            for {inner}:
                loss = model(x).sum()
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
            scheduler.step()
"""


@pytest.mark.parametrize("tmax,inner", [
    ("n", "i in range(n)"),
    ("n", "i in tqdm(range(n))"),
    ("num", "x in loader"),  # not this loop's bound: no evidence (see the quiet test)
])
def test_the_batch_loops_bound_stepped_per_epoch_is_in_steps(tmax: str, inner: str) -> None:
    src = PER_EPOCH.format(tmax=tmax, inner=inner)
    msgs = _messages(src, "LR201")
    if tmax == "num":
        assert msgs == []
        return
    (msg,) = msgs
    assert "sized in steps" in msg and f"T_max={tmax} is the bound of the batch loop at line 6" in msg


@pytest.mark.parametrize("tmax,inner", [
    ("epochs", "i in range(n)"),  # the epoch loop's bound: epochs
    ("n", "x in loader"),  # n bounds no loop here
])
def test_lengths_that_are_not_the_batch_loops_bound_stay_quiet(tmax: str, inner: str) -> None:
    assert _messages(PER_EPOCH.format(tmax=tmax, inner=inner), "LR201") == []


def test_len_of_the_loader_the_batch_loop_walks() -> None:
    src = PER_EPOCH.format(tmax="len(train_loader)", inner="x in train_loader")
    (msg,) = _messages(src, "LR201")
    assert "sized in steps" in msg


# ------------------------------------------------------------------------------------------ LR304 (FA-4)

CKPT = """\
    import torch
    model = torch.nn.Linear(2, 2)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, 10)
    for epoch in range(100):
        for i in range(10):
            optimizer.zero_grad()
            optimizer.step()
        scheduler.step()
        ckpt = {{"epoch": epoch, "model": model.state_dict(),
                {entry}
                }}
        torch.save(ckpt, "last.pt")
"""


@pytest.mark.parametrize("entry", [
    '"optimizer": None,  # optimizer.state_dict(),',  # ultralytics/yolov5 classify/train.py
    '"optimizer": None',
    '"ema": None,  # "optimizer": optimizer.state_dict()',
])
def test_a_checkpoint_that_saves_no_optimizer_state(entry: str) -> None:
    assert _messages(CKPT.format(entry=entry), "LR304") == []


@pytest.mark.parametrize("entry", [
    '"optimizer": optimizer.state_dict(),  # "scheduler": None',
    '"optimizer": optimizer.state_dict(), "scheduler": None',
    "'optim': optimizer.state_dict()",
])
def test_a_checkpoint_with_optimizer_state_and_no_schedule_still_fires(entry: str) -> None:
    (msg,) = _messages(CKPT.format(entry=entry), "LR304")
    assert "saves the optimizer's state but not the scheduler's" in msg


# ------------------------------------------------------------------------------------------ LR001 (FA-6, FA-13)

PLOT = """\
    import matplotlib.pyplot as plt
    import torch

    def get_rates(max_step):
        rates = []
        {params}
        optimizer = torch.optim.Adam({arg}, lr=1.0)
        scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lr_lambda=lambda step: 1.0)
        for step in range(max_step):
            rates.append(optimizer.param_groups[0]['lr'])
            optimizer.zero_grad()
            {body}
            optimizer.step()
            scheduler.step()
        return rates

    plt.plot(get_rates(3000))
"""


@pytest.mark.parametrize("params,arg", [
    ("p = torch.nn.Parameter(torch.arange(10, dtype=torch.float32))", "[{'params': p}]"),  # Tony-Y/pytorch_warmup
    ("pass", "[torch.zeros(1, requires_grad=True)]"),
    ("p = [torch.nn.Parameter(torch.randn(2))]", "p"),
])
def test_a_schedule_plot_over_stand_alone_tensors_is_not_lr001(params: str, arg: str) -> None:
    assert _messages(PLOT.format(params=params, arg=arg, body="pass"), "LR001") == []


@pytest.mark.parametrize("params,arg,body", [
    ("model = torch.nn.Linear(2, 2)", "model.parameters()", "pass"),  # a model's parameters
    ("p = torch.nn.Parameter(torch.zeros(2))", "[p]", "(p ** 2).sum().backward()"),  # it trains p
])
def test_an_optimizer_that_trains_still_gets_lr001(params: str, arg: str, body: str) -> None:
    (msg,) = _messages(PLOT.format(params=params, arg=arg, body=body), "LR001")
    assert "peak learning rate of 1" in msg


WARMUP_START = """\
    import torch

    class Exp:
        warmup_lr = 0

        def get_optimizer(self, model):
            optimizer = torch.optim.SGD(model.parameters(), lr=self.warmup_lr, momentum=0.9)
            self.optimizer = optimizer
            return self.optimizer
    {train}
"""


def test_a_zero_start_rate_of_an_optimizer_trained_elsewhere_is_not_lr001() -> None:
    assert _messages(WARMUP_START.format(train=""), "LR001") == []


def test_a_zero_rate_on_an_optimizer_stepped_here_still_fires() -> None:
    src = """\
        import torch

        def get_optimizer(model, warmup_lr=0):
            return torch.optim.SGD(model.parameters(), lr=warmup_lr, momentum=0.9)

        model = torch.nn.Linear(2, 2)
        opt = get_optimizer(model)
        for x in loader:
            opt.zero_grad()
            model(x).sum().backward()
            opt.step()
    """
    (msg,) = _messages(src, "LR001")
    assert "peak learning rate of 0" in msg


# ------------------------------------------------------------------------------------------ LR206 (FA-12)

WRAPPER = """\
    import torch
    from torch.optim.lr_scheduler import ReduceLROnPlateau, StepLR

    class Warmup:
        def __init__(self, optimizer, after):
            self.optimizer = optimizer
            self.after = after

        def step_plateau(self, metrics):
            self.after.step(metrics)

        def step(self, epoch=None, metrics=None):
            if {test}:
                self.after.step(None)
            else:
                self.step_plateau(metrics)

    model = torch.nn.Linear(2, 2)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    sched = Warmup(optimizer, after={after}(optimizer, {args}))
    for epoch in range(10):
        for x in loader:
            optimizer.zero_grad()
            model(x).sum().backward()
            optimizer.step()
        sched.step(metrics=val_loss)
"""


@pytest.mark.parametrize("test", [
    "type(self.after) != ReduceLROnPlateau",
    "not isinstance(self.after, ReduceLROnPlateau)",
    "not isinstance(self.after, (ReduceLROnPlateau,))",
])
def test_a_plateau_only_path_is_not_reported_for_a_steplr(test: str) -> None:
    src = WRAPPER.format(test=test, after="StepLR", args="step_size=3")
    assert _messages(src, "LR206") == []
    (s,) = [s for s in audit_source(textwrap.dedent(src), "train.py").schedulers if s["class"].endswith("StepLR")]
    assert s["stepped"] != "never"


def test_without_the_type_guard_the_metric_is_reported() -> None:
    src = WRAPPER.format(test="metrics is None", after="StepLR", args="step_size=3")
    (msg,) = _messages(src, "LR206")
    assert "StepLR.step() takes no metric" in msg


def test_a_type_guard_that_admits_the_class_keeps_the_finding() -> None:
    src = WRAPPER.format(test="type(self.after) == ReduceLROnPlateau", after="StepLR", args="step_size=3")
    (msg,) = _messages(src, "LR206")
    assert "StepLR.step() takes no metric" in msg


def test_step_none_is_step() -> None:
    src = """\
        import torch
        model = torch.nn.Linear(2, 2)
        optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
        scheduler = torch.optim.lr_scheduler.StepLR(optimizer, 3)
        for epoch in range(10):
            optimizer.step()
            scheduler.step({arg})
    """
    assert _messages(src.format(arg="None"), "LR206") == []
    assert _messages(src.format(arg="epoch=None"), "LR206") == []
    (msg,) = _messages(src.format(arg="epoch"), "LR206")
    assert "closed form" in msg  # StepLR sets the rate of that step exactly; the warning is what remains


# ------------------------------------------------------------------------------------------ LR202 (FA-15)

WARM_START = """\
    import torch
    from torch.optim.lr_scheduler import StepLR
    model = torch.nn.Linear(2, 2)
    optim = torch.optim.SGD(model.parameters(), 0.1)
    scheduler = StepLR(optim, step_size=10, gamma=0.1)
    {before}
    for epoch in range({loop}):
        scheduler.step({arg})
        optim.step()
"""


@pytest.mark.parametrize("before,loop,arg", [
    ("optim.zero_grad()\noptim.step()", "1, 20", ""),  # ildoonet/pytorch-gradual-warmup-lr run.py
    ("optim.step()", "20", ""),
    ("pass", "1, 20", "epoch"),  # the pre-1.1 protocol: the rate for epoch `epoch`
])
def test_warm_start_step_or_explicit_epoch_keeps_lr202_quiet(before: str, loop: str, arg: str) -> None:
    src = WARM_START.format(before=before.replace("\n", "\n    "), loop=loop, arg=arg)
    assert _messages(src, "LR202") == []


@pytest.mark.parametrize("before,arg", [
    ("pass", ""),
    ("if resume:\n        optim.step()", ""),  # a conditional step is no warm start
    ("pass", "epoch + 1"),
])
def test_scheduler_before_optimizer_still_fires(before: str, arg: str) -> None:
    src = WARM_START.format(before=before, loop="20", arg=arg)
    (msg,) = _messages(src, "LR202")
    assert "runs before optim.step()" in msg


# ------------------------------------------------------------------------------------------ LR203 (W-2)

def test_a_scheduler_built_in_an_unseen_calls_argument_may_be_stepped_there() -> None:
    src = """\
        import torch
        from torch.optim.lr_scheduler import StepLR
        from ignite.engine import Events, create_supervised_trainer
        from ignite.handlers.param_scheduler import LRScheduler

        model = torch.nn.Linear(2, 2)
        optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
        trainer = create_supervised_trainer(model, optimizer, torch.nn.functional.mse_loss)
        lr_scheduler = LRScheduler(StepLR(optimizer, step_size=30))
        trainer.add_event_handler(Events.ITERATION_STARTED, lr_scheduler)
        trainer.run(loader, max_epochs=10)
    """
    res = audit_source(textwrap.dedent(src), "train.py")
    assert [f for f in res.findings if f.code == "LR203"] == []
    (s,) = [s for s in res.schedulers if s["class"].endswith("StepLR")]
    assert s["stepped"] != "never"  # ignite's LRScheduler steps it (catalogued), or an unseen call may
    # the same with a wrapper lraudit knows nothing about
    res = audit_source(textwrap.dedent(src).replace("ignite.handlers.param_scheduler", "mylib"), "train.py")
    assert [f for f in res.findings if f.code == "LR203"] == []
    (s,) = res.schedulers
    assert s["stepped"] == "unknown"


def test_a_scheduler_built_in_a_print_is_not_handed_on() -> None:
    src = """\
        import torch
        from torch.optim.lr_scheduler import StepLR
        model = torch.nn.Linear(2, 2)
        optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
        scheduler = StepLR(optimizer, step_size=30)
        for epoch in range(10):
            for x in loader:
                optimizer.zero_grad()
                model(x).sum().backward()
                optimizer.step()
    """
    (msg,) = _messages(src, "LR203")
    assert "never stepped" in msg
