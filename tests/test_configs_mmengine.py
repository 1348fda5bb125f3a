"""OpenMMLab configs: the merge against mmengine's own Config, the curves against mmengine's schedulers."""

from __future__ import annotations

import math
import os
from pathlib import Path

import pytest

from lraudit.api import audit_paths
from lraudit.configs.mmengine import load_merged
from lraudit.configs.tree import Symbol, plain

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "configs" / "mmengine"
MMCV = FIXTURES.parent / "mmcv"
CONFIGS = sorted(str(p) for d in (FIXTURES, MMCV) for p in (d / "configs").rglob("*.py"))


def _normal(x):
    if isinstance(x, dict):
        return {k: _normal(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_normal(v) for v in x]
    if isinstance(x, Symbol):
        return x.qualname
    return x


@pytest.mark.parametrize("path", CONFIGS, ids=lambda p: os.path.relpath(p, FIXTURES.parent))
def test_merge_matches_mmengine_config(path: str) -> None:
    mmengine_config = pytest.importorskip("mmengine.config")
    theirs = mmengine_config.Config.fromfile(path).to_dict()
    ours = {k: plain(v) for k, v in load_merged(path).values.items()}
    assert _normal(ours) == _normal(theirs)


def _explain(path: Path, root: Path = FIXTURES):
    cwd = os.getcwd()
    os.chdir(root)
    try:
        report = audit_paths([str(path.relative_to(root))], jobs=1)
    finally:
        os.chdir(cwd)
    (result,) = report.results
    return result


def test_inherited_values_name_their_file_and_the_child() -> None:
    r = _explain(FIXTURES / "configs" / "faster_rcnn" / "faster-rcnn_r50_fpn_1x_coco.py")
    ms = next(s for s in r.schedulers if s["class"] == "mmengine.optim.MultiStepLR")
    assert ms["args"]["milestones"] == {
        "value": [8, 11],
        "source": "configs/_base_/schedules/schedule_1x.py: param_scheduler[1].milestones, inherited by "
                  "configs/faster_rcnn/faster-rcnn_r50_fpn_1x_coco.py"}
    assert r.optimizers[0]["lr"]["value"] == 0.02
    assert r.details["config"]["files"][-1] == "configs/faster_rcnn/faster-rcnn_r50_fpn_1x_coco.py"
    assert ms["horizon"]["value"] == 12


def test_delete_replaces_the_base_optimizer() -> None:
    r = _explain(FIXTURES / "configs" / "faster_rcnn" / "faster-rcnn_r50_fpn_adamw_coco.py")
    (opt,) = r.optimizers
    assert opt["class"] == "torch.optim.AdamW"
    assert "momentum" not in opt["params"]
    assert opt["lr"] == {"value": 0.0001, "source": "configs/faster_rcnn/faster-rcnn_r50_fpn_adamw_coco.py: "
                                                    "optim_wrapper.optimizer.lr"}


# ------------------------------------------------------------------------------------ curves (parity)

CASES = [
    ([("LinearLR", dict(start_factor=0.001, by_epoch=False, begin=0, end=500)),
      ("MultiStepLR", dict(begin=0, end=12, by_epoch=True, milestones=[8, 11], gamma=0.1))], 0.02, "epoch", 12, 100),
    ([("LinearLR", dict(start_factor=0.001, by_epoch=False, begin=0, end=150)),
      ("PolyLR", dict(eta_min=1e-4, power=0.9, begin=150, end=3000, by_epoch=False))], 0.01, "iter", 3000, None),
    ([("LinearLR", dict(start_factor=1e-3, by_epoch=True, begin=0, end=5, convert_to_iter_based=True)),
      ("CosineAnnealingLR", dict(T_max=95, by_epoch=True, begin=5, end=100, eta_min=1e-5,
                                 convert_to_iter_based=True))], 1e-3, "epoch", 100, 7),
    ([("CosineAnnealingLR", dict(T_max=10, eta_min_ratio=0.01, begin=0, end=30))], 0.1, "epoch", 30, None),
    ([("StepLR", dict(step_size=3, gamma=0.5)), ("ExponentialLR", dict(gamma=0.95, begin=2, end=20))],
     0.1, "epoch", 25, None),
    ([("OneCycleLR", dict(eta_max=0.1, total_steps=100, by_epoch=False, pct_start=0.25, three_phase=True))],
     0.1, "iter", 100, None),
    ([("CosineRestartLR", dict(periods=[10, 20], restart_weights=[1, 0.5], eta_min=1e-4, by_epoch=False)),
      ("ConstantLR", dict(factor=0.5, begin=0, end=7, by_epoch=False))], 0.1, "iter", 40, None),
    ([("MultiStepLR", dict(milestones=[2, 2, 5], gamma=0.5)), ("LinearLR", dict(start_factor=0.25, end=4))],
     0.3, "epoch", 9, None),
    ([("MultiStepLR", dict(milestones=[3], by_epoch=True))], 0.1, "iter", 50, None),
]


def _real_curve(entries, base, loop, length, n):
    torch = pytest.importorskip("torch")
    lr_scheduler = pytest.importorskip("mmengine.optim.scheduler.lr_scheduler")
    opt = torch.optim.SGD(torch.nn.Linear(2, 2).parameters(), lr=base, momentum=0.9)
    scheds = []
    for name, a in entries:
        a = dict(a)
        conv = a.pop("convert_to_iter_based", False)
        cls = getattr(lr_scheduler, name)
        scheds.append(cls.build_iter_from_epoch(opt, epoch_length=n, **a) if conv else cls(opt, **a))
    out = []
    per_iter = loop == "iter" or any(not s.by_epoch for s in scheds)
    if not per_iter:
        for _ in range(length):
            out.append(opt.param_groups[0]["lr"])
            opt.step()
            for s in scheds:
                if s.by_epoch:
                    s.step()
        return out
    total = length * n if loop == "epoch" else length
    for t in range(total):
        out.append(opt.param_groups[0]["lr"])
        opt.step()
        for s in scheds:  # ParamSchedulerHook.after_train_iter
            if not s.by_epoch:
                s.step()
        if loop == "epoch" and (t + 1) % n == 0:  # after_train_epoch
            for s in scheds:
                if s.by_epoch:
                    s.step()
    return out


@pytest.mark.filterwarnings("ignore")
@pytest.mark.parametrize("case", CASES, ids=lambda c: "+".join(n for n, _ in c[0]) + f"-{c[2]}")
def test_curve_matches_mmengine_step_by_step(case) -> None:
    from lraudit.catalog.mmengine_sim import Plan, run

    entries, base, loop, length, n = case
    theirs = _real_curve(entries, base, loop, length, n)
    plan = Plan(tuple((name, tuple(sorted(a.items()))) for name, a in entries), base, loop, length, n)
    ours, _ = run(plan)
    assert len(ours) == len(theirs)
    for k, (a, b) in enumerate(zip(ours, theirs)):
        assert math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-15), (k, a, b)


def test_child_that_only_shortens_the_run_reports_the_inherited_milestones() -> None:
    r = _explain(FIXTURES / "configs" / "faster_rcnn" / "faster-rcnn_r50_fpn_6e_coco.py")
    (f,) = r.findings
    assert f.code == "LR002" and f.line == 2  # the `_base_` line that brings the schedule in
    assert "[8, 11]" in f.message and "6 epochs" in f.message


def test_base_value_read_through_the_template_is_the_bases() -> None:
    r = _explain(FIXTURES / "configs" / "faster_rcnn" / "faster-rcnn_r50_fpn_adamw_coco.py")
    cos = next(s for s in r.schedulers if s["class"] == "mmengine.optim.CosineAnnealingLR")
    assert cos["args"]["T_max"]["value"] == 12  # {{_base_.train_cfg.max_epochs}} is the base's 12, not 24
    (f,) = r.findings  # so the cosine rises again in the second half
    assert f.code == "LR002" and "T_max=12" in f.message and "climbs back up" in f.message
    assert f.line == 9  # the CosineAnnealingLR entry, where T_max is written


def test_mmcv_step_policy_with_warmup_and_delete() -> None:
    r = _explain(MMCV / "configs" / "mask_rcnn" / "mask_rcnn_swin_fpn_3x_coco.py", MMCV)
    (opt,) = r.optimizers
    assert opt["class"] == "torch.optim.AdamW" and "momentum" not in opt["params"]
    assert "paramwise_cfg" not in opt["params"]
    (s,) = r.schedulers
    assert s["class"] == "mmcv.runner.StepLrUpdaterHook"
    assert s["args"]["step"]["value"] == [27, 33]
    assert s["args"]["warmup_iters"]["value"] == 500  # inherited from the base's lr_config (dicts merge)
    assert s["horizon"]["value"] == 36  # epochs (by_epoch); its warm-up counts iterations
    assert r.findings == []


def test_mmcv_by_epoch_policy_in_an_iteration_runner_never_decays() -> None:
    r = _explain(MMCV / "configs" / "mask_rcnn" / "poly_iter_by_epoch.py", MMCV)
    (f,) = r.findings
    assert f.code == "LR002" and "by_epoch=True" in f.message and "IterBasedRunner" in f.message
    assert r.schedulers[0]["shape"] == "constant"


def test_mmcv_iteration_runner_defaults_by_epoch_to_false() -> None:
    r = _explain(MMCV / "configs" / "mask_rcnn" / "poly_iter.py", MMCV)
    assert r.findings == []
    (s,) = r.schedulers
    assert s["args"]["by_epoch"]["value"] is False and "IterBasedRunner" in s["args"]["by_epoch"]["source"]
    assert s["shape"].startswith("poly") and len(s["lr"]) == 1000  # 80,000 iterations, sampled
