"""The checks as pure functions of hand-built facts and curves (no parsing, no simulation), plus the helpers they
share. These pin down decisions that the examples and fixtures cannot isolate: evidence for units, metric
directions, curve reading, option overrides."""

from __future__ import annotations

from typing import Any

import pytest

from lraudit.api import audit_source
from lraudit.checks import construction, shape, stepping, wiring
from lraudit.checks.common import text_unit, tidy, unit_mismatch
from lraudit.checks.context import CheckContext
from lraudit.facts import (
    ComputedLr,
    FileFacts,
    Horizon,
    Known,
    Location,
    LoopFact,
    OptimizerFact,
    SchedulerFact,
    StepSite,
    Unknown,
    Value,
)
from lraudit.registry import load_rules
from lraudit.results import Curve

RULES = {r.code: r for r in load_rules()}


def loc(line: int) -> Location:
    return Location(line, 1, line, 20)


def lit(x: Any) -> Known:
    return Known(x, "literal")


def site(target: str, line: int, context: str = "epoch", loop: str = "loop1", *, kind: str = "scheduler",
         order: tuple[int, ...] = (5, 9), arg: Value | None = None, arg_text: str | None = None,
         arg_kind: str = "none", conditional: bool = False, via: str | None = None) -> StepSite:
    return StepSite(target, kind, "step", loc(line), context, loop, order, via, arg, arg_text,  # type: ignore[arg-type]
                    arg_kind, conditional)  # type: ignore[arg-type]


def optimizer(cls: str = "torch.optim.SGD", lr: float = 0.1, **params: Any) -> OptimizerFact:
    return OptimizerFact("opt1", cls, "torch", loc(3), "optimizer", lit(lr),
                         {k: lit(v) for k, v in params.items()}, lr_arg_loc=loc(3))


def scheduler(cls: str, args: dict[str, Value], *, sites: tuple[StepSite, ...] = (), stepped: str = "epoch",
              horizon: int | None = 90, sid: str = "sched1", framework: str = "torch") -> SchedulerFact:
    h: Value = Known(horizon, "the epoch loop at train.py:10") if horizon else Unknown("no loop")
    qualname = "torch.optim.lr_scheduler." + cls if framework == "torch" else cls
    return SchedulerFact(sid, qualname, framework,  # type: ignore[arg-type]
                         loc(4), "scheduler", "opt1", None, args,
                         {k: loc(4) for k, v in args.items() if not (isinstance(v, Known) and "default" in v.source)},
                         step_sites=sites,
                         stepped=stepped, horizon=h, horizon_source="the epoch loop at train.py:10")  # type: ignore


def facts(*scheds: SchedulerFact, opt: OptimizerFact | None = None, epochs: int | None = 90,
          opt_sites: tuple[StepSite, ...] = (), **kw: Any) -> FileFacts:
    loops = (LoopFact("loop1", Location(10, 1, 30, 1), "epoch", None, "epoch", "range(90)", lit(epochs)),
             LoopFact("loop2", Location(11, 5, 20, 1), "batch", "loop1", "x, y", "loader", Unknown("len")))
    e: Value = Known(epochs, "the epoch loop at train.py:10") if epochs else Unknown("no epoch loop")
    return FileFacts("train.py", optimizers=(opt or optimizer(),), schedulers=scheds, loops=loops,
                     horizon=Horizon(e, Unknown("len"), Unknown("len"), "loop1", "loop2"),
                     optimizer_steps=opt_sites or (site("opt1", 15, "batch", "loop2", kind="optimizer",
                                                        order=(5, 0, 3)),), **kw)


def run(fn: Any, code: str, f: FileFacts, curves: dict[str, Curve] | None = None,
        **options: Any) -> list[Any]:
    rule = RULES[code]
    opts = dict(rule.option_defaults())
    opts.update(options)
    return list(fn(CheckContext(f, curves or {}, rule, opts)))


# --------------------------------------------------------------------------------------------- evidence


@pytest.mark.parametrize(("source", "unit"), [
    ("argparse default of --epochs (train.py:30)", "epoch"),
    ("constant WARMUP_EPOCHS at train.py:12", "epoch"),
    ("config.yaml: train.epochs", "epoch"),
    ("len(train_loader) depends on the data, which the script does not state", "step"),
    ("computed from constant EPOCHS; constant ITERS_PER_EPOCH", "step"),
    ("argparse default of --warmup-steps (train.py:3)", "step"),
    ("argparse default of --steps-per-epoch (train.py:3)", "step"),
    ("argparse default of --lr-steps (train.py:3)", None),  # torchvision's --lr-steps are epochs
    ("argparse default of --step-size (iter_train.py:3)", None),  # file names carry no evidence
    ("literal", None),
    ("torch default", None),
])
def test_text_unit(source: str, unit: str | None) -> None:
    assert text_unit(Known(30, source)) == unit


def test_tidy_shortens_references_to_the_file_itself() -> None:
    assert tidy("the epoch loop at runs/train.py:48 (constant EPOCHS at train.py:12)", "runs/train.py") == \
        "the epoch loop at line 48 (constant EPOCHS at line 12)"
    assert tidy("config.yaml: optim.lr", "train.py") == "config.yaml: optim.lr"


def test_unit_mismatch_from_value_against_epochs() -> None:
    per_batch = (site("sched1", 16, "batch", "loop2"),)
    s = scheduler("StepLR", {"step_size": lit(30), "gamma": lit(0.1)}, sites=per_batch, stepped="batch")
    m = unit_mismatch(facts(s), s)
    assert m is not None and m.sized == "epochs" and m.site.loc.line == 16
    # the same value is no evidence when the run's length is unknown
    assert unit_mismatch(facts(s, epochs=None), s) is None
    # a length counted in batches is right for per-batch stepping
    s2 = scheduler("StepLR", {"step_size": Unknown("len(train_loader) depends on the data")}, sites=per_batch,
                   stepped="batch")
    assert unit_mismatch(facts(s2), s2) is None
    # a warm-up length is never compared with the epochs (a 50-step warm-up is normal)
    s3 = scheduler("LinearLR", {"total_iters": lit(50), "start_factor": lit(0.1)}, sites=per_batch, stepped="batch")
    assert unit_mismatch(facts(s3), s3) is None
    # a per-batch step guarded by a condition may run once per epoch
    guarded = (site("sched1", 16, "batch", "loop2", conditional=True),)
    s4 = scheduler("StepLR", {"step_size": lit(30)}, sites=guarded, stepped="batch")
    assert unit_mismatch(facts(s4), s4) is None


def test_unit_mismatch_step_sized_per_epoch() -> None:
    per_epoch = (site("sched1", 21, "epoch", "loop1"),)
    oc = scheduler("OneCycleLR", {"max_lr": lit(0.1), "total_steps": lit(None), "epochs": lit(90),
                                  "steps_per_epoch": Unknown("len(loader) depends on the data")}, sites=per_epoch)
    m = unit_mismatch(facts(oc), oc)
    assert m is not None and m.sized == "steps" and m.arg == "steps_per_epoch"
    sized_in_epochs = scheduler("OneCycleLR", {"max_lr": lit(0.1), "total_steps": Known(90, "constant EPOCHS")},
                                sites=per_epoch)
    assert unit_mismatch(facts(sized_in_epochs), sized_in_epochs) is None
    cyclic = scheduler("CyclicLR", {"base_lr": lit(0.001), "max_lr": lit(0.1),
                                    "step_size_up": Known(2000, "torch default")}, sites=per_epoch)
    assert unit_mismatch(facts(cyclic), cyclic) is not None
    short_cycle = scheduler("CyclicLR", {"base_lr": lit(0.001), "max_lr": lit(0.1), "step_size_up": lit(4)},
                            sites=per_epoch)
    assert unit_mismatch(facts(short_cycle), short_cycle) is None


# --------------------------------------------------------------------------------------------- metrics


@pytest.mark.parametrize(("text", "direction"), [
    ("val_acc", "max"), ("metrics['val_loss']", "min"), ("stats.f1", "max"), ("mAP", "max"),
    ("val_loss.item()", "min"), ("-val_acc", "min"), ("-loss", "max"), ("top1_err", "min"),
    ("eval_results['eval_bleu']", "max"), ("valPerplexity", "min"), ("dice_score", "max"),
    ("result", None), ("1 - acc", None), ("loss_acc", None), ("compute(val_loader)", None),
])
def test_metric_direction(text: str, direction: str | None) -> None:
    got = stepping.metric_direction(text)
    assert (got[0] if got else None) == direction


def test_plateau_mode_uses_a_lightning_or_keras_monitor() -> None:
    s = scheduler("ReduceLROnPlateau", {"mode": Known("min", "torch default")})
    s = SchedulerFact(**{**s.__dict__, "monitor": Known("val_auc", "configure_optimizers")})
    out = run(stepping.plateau_mode_mismatch, "LR205", facts(s))
    assert len(out) == 1 and "val_auc" in out[0].message


# --------------------------------------------------------------------------------------------- curves


def curve(values: list[float], unit: str = "epoch") -> Curve:
    return Curve(tuple(values), None, len(values), "test", unit)  # type: ignore[arg-type]


EVERY_EPOCH = (site("sched1", 21, "epoch", "loop1"),)


def test_increasing_lr_reads_the_curve() -> None:
    lam = scheduler("LambdaLR", {"lr_lambda": lit("<function>")}, sites=EVERY_EPOCH, horizon=10)
    rising = curve([0.1 * (1 + 0.2 * k) for k in range(10)])
    out = run(shape.increasing_lr, "LR101", facts(lam, epochs=10), {"sched1": rising})
    assert len(out) == 1 and "0.1 to 0.28" in out[0].message
    warmup_then_decay = curve([0.02, 0.04, 0.06, 0.08, 0.1, 0.08, 0.06, 0.04, 0.02, 0.01])
    assert run(shape.increasing_lr, "LR101", facts(lam, epochs=10), {"sched1": warmup_then_decay}) == []
    warmup_then_flat = curve([0.02, 0.06, 0.1] + [0.1] * 7)
    assert run(shape.increasing_lr, "LR101", facts(lam, epochs=10), {"sched1": warmup_then_flat}) == []
    decay_then_rise = curve([0.1, 0.08, 0.05, 0.02, 0.01, 0.05, 0.09, 0.1, 0.1, 0.1])
    out = run(shape.increasing_lr, "LR101", facts(lam, epochs=10), {"sched1": decay_then_rise})
    assert len(out) == 1 and "epoch 4" in out[0].message
    # the same rising curve is not trusted when the scheduler is only stepped under a condition
    gated = scheduler("LambdaLR", {"lr_lambda": lit("<function>")},
                      sites=(site("sched1", 21, "epoch", "loop1", conditional=True),), horizon=10)
    assert run(shape.increasing_lr, "LR101", facts(gated, epochs=10), {"sched1": rising}) == []


def test_vanishing_respects_its_options() -> None:
    s = scheduler("ExponentialLR", {"gamma": lit(0.8)}, sites=EVERY_EPOCH, horizon=50)
    c = curve([0.1 * 0.8 ** k for k in range(50)])  # below 1% of the peak from epoch 21, below 0.1% from 31
    (finding,) = run(shape.lr_vanishes_early, "LR102", facts(s, epochs=50), {"sched1": c})
    assert "by epoch 21 of 50" in finding.message
    assert run(shape.lr_vanishes_early, "LR102", facts(s, epochs=50), {"sched1": c}, before_fraction=0.5,
               fraction_of_peak=0.001) == []
    assert run(shape.lr_vanishes_early, "LR102", facts(s, epochs=50), {"sched1": c}, before_fraction=0.4) == []
    # the curve must cover the stated run: an assumed horizon says nothing about "early"
    assert run(shape.lr_vanishes_early, "LR102", facts(scheduler("ExponentialLR", {"gamma": lit(0.8)},
                                                                 sites=EVERY_EPOCH, horizon=None)),
               {"sched1": c}) == []


def test_warmup_at_zero_from_the_curve() -> None:
    s = scheduler("LambdaLR", {"lr_lambda": lit("<function>")}, sites=(site("sched1", 16, "batch", "loop2",
                                                                             order=(5, 0, 4)),), stepped="batch")
    c = curve([0.0, 1e-4, 2e-4, 3e-4, 3e-4], unit="step")
    out = run(shape.warmup_starts_at_zero, "LR106", facts(s), {"sched1": c})
    assert len(out) == 1 and "0.0001 at step 1" in out[0].message
    assert run(shape.warmup_starts_at_zero, "LR106", facts(s), {"sched1": curve([1e-5, 1e-4, 3e-4])}) == []


def test_horizon_tolerance_is_an_option() -> None:
    s = scheduler("CosineAnnealingLR", {"T_max": lit(85), "eta_min": lit(0.0)}, sites=EVERY_EPOCH, horizon=90)
    assert run(shape.schedule_horizon_mismatch, "LR103", facts(s)) == []  # 4 epochs past T_max: within 5%
    out = run(shape.schedule_horizon_mismatch, "LR103", facts(s), overrun_tolerance=0.01)
    assert len(out) == 1 and out[0].severity == "warning"
    crash = scheduler("OneCycleLR", {"max_lr": lit(0.1), "total_steps": lit(80)}, sites=EVERY_EPOCH, horizon=90)
    (finding,) = run(shape.schedule_horizon_mismatch, "LR103", facts(crash))
    assert finding.severity == "error" and "call 81" in finding.message


# --------------------------------------------------------------------------------------------- wiring


def test_unapplied_learning_rates_are_reported_where_computed() -> None:
    f = facts(unapplied_lrs=(ComputedLr(loc(40), "lr", "lr is computed at line 40 but never written"),))
    (finding,) = run(wiring.lr_update_not_applied, "LR305", f)
    assert finding.line == 40 and "never written" in finding.message


def test_checkpoint_rule_needs_a_stepped_torch_scheduler() -> None:
    from lraudit.facts import CheckpointFact

    cp = (CheckpointFact(loc(50), saves_optimizer=True, saves_scheduler=False),)
    stepped = scheduler("StepLR", {"step_size": lit(30), "last_epoch": Known(-1, "torch default")},
                        sites=EVERY_EPOCH)
    assert len(run(wiring.scheduler_state_not_checkpointed, "LR304", facts(stepped, checkpoints=cp))) == 1
    never = scheduler("StepLR", {"step_size": lit(30)}, stepped="never")
    assert run(wiring.scheduler_state_not_checkpointed, "LR304", facts(never, checkpoints=cp)) == []


# --------------------------------------------------------------------------------------------- construction


def test_ceilings_are_options() -> None:
    f = facts(opt=optimizer("torch.optim.Adam", lr=0.5))
    assert len(run(construction.lr_out_of_range, "LR001", f)) == 1
    assert run(construction.lr_out_of_range, "LR001", f, max_lr_adaptive=1.0) == []
    sgd = facts(opt=optimizer("torch.optim.SGD", lr=5.0))
    assert run(construction.lr_out_of_range, "LR001", sgd) == []
    assert len(run(construction.lr_out_of_range, "LR001", sgd, max_lr_sgd=2.0)) == 1


def test_options_reach_checks_through_the_api() -> None:
    code = ("import torch\nfrom torch import nn\nmodel = nn.Linear(2, 2)\n"
            "optimizer = torch.optim.Adam(model.parameters(), lr=0.5)\n"
            "for epoch in range(3):\n    optimizer.step()\n")
    assert [f.code for f in audit_source(code, "t.py", select=["LR001"]).findings] == ["LR001"]
    assert audit_source(code, "t.py", select=["LR001"], options={"LR001": {"max_lr_adaptive": 1.0}}).findings == []


@pytest.mark.parametrize(("cls", "args", "expected"), [
    ("StepLR", {"step_size": lit(0)}, "ZeroDivisionError"),
    ("StepLR", {"step_size": lit(2.5)}, "every 5 steps"),
    ("StepLR", {"step_size": lit(30.0)}, None),
    ("CosineAnnealingWarmRestarts", {"T_0": lit(10.0), "T_mult": lit(1)}, "T_0=10.0"),
    ("OneCycleLR", {"max_lr": lit(0.1), "total_steps": lit(100), "pct_start": lit(1)}, "not a float"),
    ("OneCycleLR", {"max_lr": lit(0.1), "total_steps": lit(100), "pct_start": lit(0.3)}, None),
    ("ReduceLROnPlateau", {"factor": lit(1.0)}, "Factor should be < 1.0"),
    ("ExponentialLR", {"gamma": lit(0.0)}, "drops to 0"),
    ("LinearLR", {"start_factor": lit(1.0), "end_factor": lit(1.5)}, "end_factor"),
])
def test_invalid_arguments(cls: str, args: dict[str, Value], expected: str | None) -> None:
    out = run(construction.invalid_scheduler_argument, "LR002", facts(scheduler(cls, args)))
    if expected is None:
        assert out == []
    else:
        assert len(out) == 1 and expected in out[0].message, [f.message for f in out]


def test_run_length_comes_from_the_loop_that_steps_the_scheduler() -> None:
    # two training functions with different epoch counts: each scheduler is measured against its own loop,
    # not against the file's first epoch loop
    code = '''import torch
from torch.optim.lr_scheduler import CosineAnnealingLR


def short_run(model, loader):
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    scheduler = CosineAnnealingLR(optimizer, T_max=10)
    for epoch in range(10):
        for x in loader:
            optimizer.step()
        scheduler.step()


def long_run(model, loader):
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    scheduler = CosineAnnealingLR(optimizer, T_max=100)
    for epoch in range(100):
        for x in loader:
            optimizer.step()
        scheduler.step()


def too_long(model, loader):
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    scheduler = CosineAnnealingLR(optimizer, T_max=10)
    for epoch in range(30):
        for x in loader:
            optimizer.step()
        scheduler.step()
'''
    findings = audit_source(code, "two_runs.py", select=["LR103"]).findings
    assert [(f.code, f.line) for f in findings] == [("LR103", 25)], [f.message for f in findings]
    assert "steps it 30 times" in findings[0].message


def test_timm_step_and_step_update_are_not_double_stepping() -> None:
    sites = (site("sched1", 16, "batch", "loop2"), site("sched1", 21, "epoch", "loop1"))
    timm = scheduler("timm.scheduler.CosineLRScheduler", {"t_initial": lit(90)}, sites=sites, stepped="both",
                     framework="timm")
    assert run(stepping.scheduler_stepped_twice, "LR204", facts(timm)) == []
    torch_sched = scheduler("CosineAnnealingLR", {"T_max": lit(90)}, sites=sites, stepped="both")
    (finding,) = run(stepping.scheduler_stepped_twice, "LR204", facts(torch_sched))
    assert finding.line == 21
