"""Scoped bases (``_base_ = ['mmdet::_base_/models/x.py']``): mmengine reads them from the installed package's
``.mim/configs``; lraudit never imports packages, so it reads a checkout of that package inside the repository
when there is one, and otherwise explains the config with what it sets itself, every inherited value unknown
with the reason."""

from __future__ import annotations

import os
from pathlib import Path

from lraudit.api import audit_paths

SCHEDULE = (
    "optim_wrapper = dict(type='OptimWrapper', optimizer=dict(type='SGD', lr=0.02, momentum=0.9))\n"
    "train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=12)\n"
    "param_scheduler = [dict(type='MultiStepLR', by_epoch=True, milestones=[8, 11], gamma=0.1)]\n")


def _audit(root: Path, *rel: str):
    cwd = os.getcwd()
    os.chdir(root)
    try:
        return {r.path: r for r in audit_paths(list(rel), jobs=1).results}
    finally:
        os.chdir(cwd)


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def test_scoped_base_read_from_the_package_checkout_in_the_repository(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    _write(tmp_path / "mmdet" / "__init__.py", "")  # mmdetection's own tree: mmdet/ beside configs/
    _write(tmp_path / "configs" / "_base_" / "schedules" / "schedule_1x.py", SCHEDULE)
    _write(tmp_path / "configs" / "faster_rcnn" / "faster_1x.py", "_base_ = ['../_base_/schedules/schedule_1x.py']\n")
    _write(tmp_path / "projects" / "mine" / "configs" / "mine_6e.py",
           "_base_ = ['mmdet::faster_rcnn/faster_1x.py']\ntrain_cfg = dict(max_epochs=6)\n")
    r = _audit(tmp_path, "projects/mine/configs/mine_6e.py")["projects/mine/configs/mine_6e.py"]
    assert r.optimizers[0]["lr"] == {
        "value": 0.02, "source": "configs/_base_/schedules/schedule_1x.py: optim_wrapper.optimizer.lr, inherited "
                                 "by projects/mine/configs/mine_6e.py"}
    assert "configs/faster_rcnn/faster_1x.py" in r.details["config"]["files"]
    assert "unread_bases" not in r.details["config"]
    (f,) = r.findings  # the child shortens the run below the inherited milestones: at its `_base_` line
    assert f.code == "LR002" and f.line == 1


def test_scoped_base_read_from_a_sibling_checkout(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    _write(tmp_path / "third_party" / "mmdetection" / "mmdet" / "__init__.py", "")
    _write(tmp_path / "third_party" / "mmdetection" / "configs" / "_base_" / "schedules" / "schedule_1x.py", SCHEDULE)
    _write(tmp_path / "third_party" / "configs" / "x.py",
           "_base_ = ['mmdet::_base_/schedules/schedule_1x.py']\n")
    r = _audit(tmp_path, "third_party/configs/x.py")["third_party/configs/x.py"]
    assert r.schedulers[0]["args"]["milestones"]["value"] == [8, 11]
    assert r.optimizers[0]["lr"]["source"].startswith(
        "third_party/mmdetection/configs/_base_/schedules/schedule_1x.py: optim_wrapper.optimizer.lr")


def test_scoped_base_outside_the_repository_is_unknown_with_the_reason(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    _write(tmp_path / "configs" / "retina_24e.py",
           "_base_ = ['mmdet::retinanet/retinanet_r50_fpn_1x_coco.py']\n"
           "optim_wrapper = dict(optimizer=dict(lr=0.01))\n"
           "train_cfg = dict(max_epochs=24)\n"
           "param_scheduler = [dict(type='MultiStepLR', by_epoch=True, milestones=[16, 22], gamma=0.1)]\n")
    _write(tmp_path / "configs" / "only_inherits.py",
           "_base_ = 'mmpretrain::resnet/resnet50_8xb32_in1k.py'\nmodel = dict(head=dict(num_classes=10))\n")
    res = _audit(tmp_path, "configs")
    r = res["configs/retina_24e.py"]
    reason = ("inherits mmdet::retinanet/retinanet_r50_fpn_1x_coco.py from the installed mmdet package, not in "
              "this repository")
    assert r.details["config"]["unread_bases"] == ["mmdet::retinanet/retinanet_r50_fpn_1x_coco.py"]
    (o,) = r.optimizers  # the file's own lr is known; the type is the base's: not guessed
    assert o["class"] == "(optimizer type inherited, unknown)"
    assert o["lr"]["value"] == 0.01
    assert any(reason in n for n in r.details["config"]["notes"])
    (s,) = r.schedulers
    assert s["horizon"]["value"] == 24 and s["lr"][0] == 0.01 and s["lr"][-1] == 0.01 * 0.01
    only = res["configs/only_inherits.py"]
    assert only.details["config"]["unread_bases"] == ["mmpretrain::resnet/resnet50_8xb32_in1k.py"]
    assert only.optimizers == [] and only.schedulers == [] and only.findings == []


def test_schedule_keys_inherited_only_from_an_unread_base_are_unknown(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    # two local bases, each inheriting an unread scoped base: not a duplicate key between them (mmengine would
    # see the package's values; lraudit sees neither)
    _write(tmp_path / "configs" / "_base_" / "a.py", "_base_ = ['mmdet::_base_/default_runtime.py']\nx = 1\n")
    _write(tmp_path / "configs" / "_base_" / "b.py", "_base_ = ['mmdet::_base_/schedules/schedule_1x.py']\ny = 2\n")
    _write(tmp_path / "configs" / "child.py", "_base_ = ['_base_/a.py', '_base_/b.py']\n"
           "param_scheduler = [dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0, end=50)]\n")
    r = _audit(tmp_path, "configs/child.py")["configs/child.py"]
    assert r.error is None
    assert r.details["config"]["unread_bases"] == ["mmdet::_base_/default_runtime.py",
                                                   "mmdet::_base_/schedules/schedule_1x.py"]
    assert r.optimizers == []
    (s,) = r.schedulers
    assert s["horizon"] == {"value": None, "unresolved": "train_cfg: inherits mmdet::_base_/default_runtime.py "
                                                         "from the installed mmdet package, not in this repository"}
    assert s["summary"].startswith("The optimizer's own rate is not known here")
    assert r.findings == []


def test_a_base_file_the_repository_does_not_ship_is_unknown_with_the_reason(tmp_path: Path) -> None:
    # ConvNeXt's object_detection configs name mmdetection's `_base_/schedules/schedule_1x.py` by a relative path
    # that exists only once they are copied into mmdetection: the policy that base sets is unknown, not "''"
    (tmp_path / ".git").mkdir()
    _write(tmp_path / "configs" / "_base_" / "default_runtime.py", "log_level = 'INFO'\n")
    _write(tmp_path / "configs" / "net" / "net_3x.py",
           "_base_ = ['../_base_/schedules/schedule_1x.py', '../_base_/default_runtime.py']\n"
           "optimizer = dict(_delete_=True, type='AdamW', lr=0.0002, weight_decay=0.05)\n"
           "lr_config = dict(step=[27, 33])\n"
           "runner = dict(type='EpochBasedRunner', max_epochs=36)\n")
    _write(tmp_path / "configs" / "new" / "new_style.py",
           "_base_ = ['../_base_/missing_schedule.py']\n"
           "param_scheduler = [dict(type='MultiStepLR', by_epoch=True, milestones=[8, 11], gamma=0.1)]\n")
    res = _audit(tmp_path, "configs")
    r = res["configs/net/net_3x.py"]
    assert r.error is None
    assert r.details["config"]["unread_bases"] == ["../_base_/schedules/schedule_1x.py"]
    (o,) = r.optimizers
    assert o["class"] == "torch.optim.AdamW" and o["lr"]["value"] == 0.0002
    (s,) = r.schedulers
    assert s["lr"] is None
    assert ("lr_config sets no policy here: it inherits ../_base_/schedules/schedule_1x.py (line 1), a file not in "
            "this repository") in s["summary"]
    assert "''" not in s["summary"]
    assert r.findings == []
    new = res["configs/new/new_style.py"]  # mmengine style: the optimizer and the run length are the base's
    (s,) = new.schedulers
    assert s["horizon"]["value"] is None and "missing_schedule.py (line 1), a file not in this repository" in \
        s["horizon"]["unresolved"]
    assert new.findings == []
