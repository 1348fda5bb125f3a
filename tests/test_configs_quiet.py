"""What a config audit must not say: deliberate constant schedules are not "no effect" (LR105), and the text
report's config line appears only when it carries information."""

from __future__ import annotations

import os
from pathlib import Path

from lraudit.api import audit_paths, audit_source
from lraudit.render.check_text import config_summary_line, render_findings_text


def _check(root: Path, *paths: str):
    cwd = os.getcwd()
    os.chdir(root)
    try:
        return audit_paths(list(paths) or ["."], jobs=1)
    finally:
        os.chdir(cwd)


def _codes(report) -> list[tuple[str, str, int]]:
    return sorted((r.path, f.code, f.line) for r in report.results for f in r.findings)


SCRIPT = """\
import torch
from torch import nn
from torch.optim.lr_scheduler import {cls}

model = nn.Linear(4, 2)
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
scheduler = {cls}(optimizer, {args})

for epoch in range(60):
    for x, y in train_loader:
        optimizer.zero_grad()
        model(x).sum().backward()
        optimizer.step()
    scheduler.step()
"""


def test_constant_lr_with_factor_one_in_code_is_deliberate() -> None:
    r = audit_source(SCRIPT.format(cls="ConstantLR", args="factor=1.0, total_iters=60"), "train.py")
    assert "LR105" not in {f.code for f in r.findings}
    # the real mistakes LR105 targets stay reported
    for cls, args in (("StepLR", "step_size=10, gamma=1"), ("MultiStepLR", "milestones=[100, 150]")):
        r = audit_source(SCRIPT.format(cls=cls, args=args), "train.py")
        assert "LR105" in {f.code for f in r.findings}, cls


def test_mmengine_constant_placeholder_is_quiet_but_gamma_one_is_not(tmp_path: Path) -> None:
    (tmp_path / "configs").mkdir()
    # mmocr's textrecog schedules: the deliberate "no schedule"
    (tmp_path / "configs" / "schedule_adam_base.py").write_text(
        "optim_wrapper = dict(type='OptimWrapper', optimizer=dict(type='Adam', lr=1e-3))\n"
        "train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=20, val_interval=1)\n"
        "param_scheduler = [dict(type='ConstantLR', factor=1.0)]\n")
    (tmp_path / "configs" / "schedule_gamma_one.py").write_text(
        "optim_wrapper = dict(type='OptimWrapper', optimizer=dict(type='SGD', lr=0.1))\n"
        "train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=20, val_interval=1)\n"
        "param_scheduler = [dict(type='MultiStepLR', milestones=[8, 16], gamma=1.0)]\n")
    report = _check(tmp_path)
    analysed = {r.path for r in report.results}
    assert {"configs/schedule_adam_base.py", "configs/schedule_gamma_one.py"} <= analysed
    codes = _codes(report)
    assert not [c for c in codes if c[0] == "configs/schedule_adam_base.py"]
    assert ("configs/schedule_gamma_one.py", "LR105", 3) in codes


def test_config_line_only_when_it_says_something() -> None:
    assert config_summary_line({"analysed": 0, "skipped": {"not-a-config": 37}}) is None
    assert config_summary_line({"analysed": 0, "skipped": {}}) is None
    assert config_summary_line({"analysed": 12, "skipped": {"not-a-config": 340}}) == (
        "Config files: 12 analysed (340 other YAML/JSON files are not configs).")
    assert config_summary_line({"analysed": 1, "skipped": {"not-a-config": 1}}) == (
        "Config files: 1 analysed (1 other YAML/JSON file is not a config).")
    assert config_summary_line({"analysed": 3, "skipped": {}}) == "Config files: 3 analysed."
    assert config_summary_line({"analysed": 0, "skipped": {"config-too-large": 2, "not-a-config": 5}}) == (
        "Config files: none analysed (5 other YAML/JSON files are not configs; 2 files over the size limit, "
        "not read).")
    text = render_findings_text([], [], 4, configs={"analysed": 0, "skipped": {"not-a-config": 9}})
    assert text == "All checked: no problems in 4 files.\n"


def test_cli_text_report_has_no_empty_config_line(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from lraudit.cli import main

    (tmp_path / "train.py").write_text(SCRIPT.format(cls="StepLR", args="step_size=20, gamma=0.1"))
    (tmp_path / "data.json").write_text('{"images": [1, 2, 3]}\n')
    cwd = os.getcwd()
    os.chdir(tmp_path)
    try:
        out = CliRunner().invoke(main, ["check", "--no-cache", "."]).output
    finally:
        os.chdir(cwd)
    assert "Config files" not in out
    assert out.strip().splitlines()[-1].startswith(("All checked", "Found"))


def test_arm_selected_by_a_constant_option_is_not_reported() -> None:
    src = """\
import argparse
import torch
from torch import nn
from torch.optim import lr_scheduler

parser = argparse.ArgumentParser()
parser.add_argument("--sched", default="step")
args = parser.parse_args()
model = nn.Linear(4, 2)
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
if args.sched == "constant":
    scheduler = lr_scheduler.StepLR(optimizer, 60, gamma=1)
else:
    scheduler = lr_scheduler.StepLR(optimizer, 20, gamma={gamma})
for epoch in range(60):
    for x, y in train_loader:
        optimizer.zero_grad()
        model(x).sum().backward()
        optimizer.step()
    scheduler.step()
"""
    r = audit_source(src.format(gamma="0.1"), "train.py")
    assert "LR105" not in {f.code for f in r.findings}
    # the default arm with gamma=1 is still the mistake LR105 is for
    r = audit_source(src.format(gamma="1"), "train.py")
    assert [f.line for f in r.findings if f.code == "LR105"] == [14]
