"""mmcv 1.x ``policy='cyclic'`` configs (and the other policies' build-time refusals) end to end: the config's
curve equals the one recorded from mmcv's own CyclicLrUpdaterHook (tests/golden/mmcv1_curves.json), and what
mmcv refuses when it builds the hook is LR002 at the config's line."""

from __future__ import annotations

import json
import math
import os
from pathlib import Path

from lraudit.api import audit_paths

GOLDEN = json.loads((Path(__file__).resolve().parent / "golden" / "mmcv1_curves.json").read_text())["cases"]


def _audit(root: Path, rel: str):
    cwd = os.getcwd()
    os.chdir(root)
    try:
        (r,) = audit_paths([rel], jobs=1).results
    finally:
        os.chdir(cwd)
    return r


def _golden(**kw):
    return next(c for c in GOLDEN if c["hook"] == "CyclicLrUpdaterHook" and "error" not in c
                and all(c["kwargs"].get(k) == v for k, v in kw.items()))


def test_cyclic_config_curve_is_mmcvs(tmp_path: Path) -> None:
    case = _golden(cyclic_times=3, anneal_strategy="linear")
    (tmp_path / "cyclic.py").write_text(
        "optimizer = dict(type='SGD', lr=0.02, momentum=0.9)\n"
        "lr_config = dict(policy='cyclic', target_ratio=(5, 1e-3), cyclic_times=3, step_ratio_up=0.25,\n"
        "                 anneal_strategy='linear', gamma=0.5)\n"
        "runner = dict(type='IterBasedRunner', max_iters=100)\n")
    r = _audit(tmp_path, "cyclic.py")
    (s,) = r.schedulers
    assert s["class"] == "mmcv.runner.CyclicLrUpdaterHook" and s["stepped"] == "batch"
    assert s["args"]["target_ratio"]["source"] == "cyclic.py: lr_config.target_ratio"
    assert s["args"]["by_epoch"]["value"] is False
    assert len(s["lr"]) == len(case["lr"]) == 100
    for k, (a, b) in enumerate(zip(s["lr"], case["lr"])):
        assert math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-15), (k, a, b)
    assert r.findings == []


def test_cyclic_in_an_epoch_runner_is_drawn_over_assumed_iterations(tmp_path: Path) -> None:
    # mmdet3d's pointpillars schedule: cyclic_times=1, ten-fold peak at 40% of the run
    (tmp_path / "pp.py").write_text(
        "optimizer = dict(type='AdamW', lr=0.001, betas=(0.95, 0.99), weight_decay=0.01)\n"
        "lr_config = dict(policy='cyclic', target_ratio=(10, 1e-4), cyclic_times=1, step_ratio_up=0.4)\n"
        "momentum_config = dict(policy='cyclic', target_ratio=(0.85 / 0.95, 1), cyclic_times=1, step_ratio_up=0.4)\n"
        "runner = dict(type='EpochBasedRunner', max_epochs=40)\n")
    r = _audit(tmp_path, "pp.py")
    (s,) = r.schedulers
    lr = s["lr"]
    assert len(lr) == 40 * 100  # 100 iterations per epoch assumed, labelled
    assert "assumes 100" in r.details["schedulers"][s["id"]]["assumption"]
    peak = max(range(len(lr)), key=lr.__getitem__)
    assert peak == 1600 - 1 or math.isclose(lr[1600], 0.01, rel_tol=1e-12)
    assert math.isclose(lr[0], 0.001, rel_tol=1e-12) and lr[-1] < 1e-6
    assert r.findings == []  # an assumed length: rules do not judge it


def test_what_mmcv_refuses_at_build_is_lr002(tmp_path: Path) -> None:
    (tmp_path / "list_ratio.py").write_text(
        "optimizer = dict(type='AdamW', lr=0.001)\n"
        "lr_config = dict(policy='cyclic', target_ratio=[10, 1e-4], step_ratio_up=0.4)\n"
        "runner = dict(type='EpochBasedRunner', max_epochs=40)\n")
    (tmp_path / "short_cycle.py").write_text(
        "optimizer = dict(type='AdamW', lr=0.001)\n"
        "lr_config = dict(policy='OneCycle', max_lr=0.01, total_steps=500)\n"
        "runner = dict(type='IterBasedRunner', max_iters=1000)\n")
    (tmp_path / "flat.py").write_text(
        "optimizer = dict(type='SGD', lr=0.01)\n"
        "lr_config = dict(policy='FlatCosineAnnealing', start_percent=1, min_lr=0.0)\n"
        "runner = dict(type='EpochBasedRunner', max_epochs=12)\n")
    (f,) = _audit(tmp_path, "list_ratio.py").findings
    assert f.code == "LR002" and f.line == 2 and "write it as a tuple, (10, 0.0001)" in f.message
    assert "target_ratio should be either float or tuple" in f.message
    (f,) = _audit(tmp_path, "short_cycle.py").findings
    assert f.code == "LR002" and "total_steps=500 is shorter than the run (1000 iterations)" in f.message
    (f,) = _audit(tmp_path, "flat.py").findings
    assert f.code == "LR002" and "expected float between 0 and 1 start_percent" in f.message


def test_step_given_as_a_tuple_is_refused_as_mmcv_refuses_it(tmp_path: Path) -> None:
    (tmp_path / "tuple_step.py").write_text(
        "optimizer = dict(type='SGD', lr=0.02)\n"
        "lr_config = dict(policy='step', step=(8, 11))\n"
        "runner = dict(type='EpochBasedRunner', max_epochs=12)\n")
    r = _audit(tmp_path, "tuple_step.py")
    (f,) = r.findings
    assert f.code == "LR002" and '"step" must be a list or integer' in f.message and "write it as a list" in f.message
    (s,) = r.schedulers
    assert s["lr"] is None  # mmcv raises TypeError when it builds the hook
