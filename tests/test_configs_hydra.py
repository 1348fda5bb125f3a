"""Hydra config trees as facts: which files report which run, sources naming file and key, findings at the
reported file's lines, and the traps (an experiment overriding a base, a child changing only max_epochs, a
_target_ swapped under merged keys)."""

from __future__ import annotations

from pathlib import Path

import pytest

from lraudit.api import audit_paths
from lraudit.analyze import AnalysisOptions

FIX = Path(__file__).resolve().parent.parent / "fixtures" / "configs" / "hydra"


@pytest.fixture(scope="module")
def report() -> dict[str, object]:
    import os

    old = os.getcwd()
    os.chdir(FIX / "template")
    try:
        rep = audit_paths(["configs"], AnalysisOptions(), jobs=1, cache_dir=None)
    finally:
        os.chdir(old)
    return {r.path: r for r in rep.results}


def test_reported_files(report: dict) -> None:
    analysed = sorted(p for p, r in report.items() if not r.skipped)
    # the primary, the non-default model, the experiments, the trainer that changes the run's length;
    # model/mnist.yaml and trainer/default.yaml are the primary's defaults: reported within it
    assert analysed == ["configs/experiment/cosine.yaml", "configs/experiment/resnet_long.yaml",
                        "configs/model/resnet.yaml", "configs/train.yaml", "configs/trainer/long.yaml"]
    assert report["configs/model/mnist.yaml"].skipped


def test_primary_sources_and_lines(report: dict) -> None:
    r = report["configs/train.yaml"]
    (o,) = r.optimizers
    assert o["class"] == "torch.optim.Adam" and o["line"] == 6  # `- model: mnist` brings it in
    assert o["lr"] == {"value": 0.001, "source": "configs/model/mnist.yaml: optimizer.lr, via ${base_lr}"}
    (s,) = r.schedulers
    assert s["class"] == "torch.optim.lr_scheduler.ReduceLROnPlateau" and s["stepped"] == "unknown"
    assert s["horizon"]["value"] is None and "10 epochs" in s["horizon"]["unresolved"]
    assert len(s["lr"]) == 10  # drawn over the 10 epochs, labelled as an assumption
    cfg = r.details["config"]
    assert cfg["family"] == "hydra"
    assert cfg["files"][:3] == ["configs/train.yaml", "configs/data/mnist.yaml", "configs/model/mnist.yaml"]


def test_experiment_overrides_are_its_own(report: dict) -> None:
    r = report["configs/experiment/resnet_long.yaml"]
    (o,) = r.optimizers
    assert o["class"] == "torch.optim.SGD" and o["line"] == 4  # `override /model: resnet`
    assert o["lr"]["source"] == "configs/experiment/resnet_long.yaml: model.optimizer.lr"
    assert o["params"]["momentum"]["source"] == "configs/model/resnet.yaml: optimizer.momentum"
    (s,) = r.schedulers
    assert s["args"]["milestones"]["value"] == [20, 40, 80]
    assert "configs/trainer/long.yaml: max_epochs" in s["horizon"]["unresolved"]
    assert "with experiment=resnet_long" in " ".join(r.details["config"]["notes"])


def test_swapped_target_keeps_merged_keys(report: dict) -> None:
    r = report["configs/experiment/cosine.yaml"]
    codes = sorted((f.code, f.line, f.message.split(":")[0]) for f in r.findings)
    assert codes == [("LR002", 10, "invalid factor for CosineAnnealingLR"),
                     ("LR002", 10, "invalid mode for CosineAnnealingLR"),
                     ("LR002", 10, "invalid patience for CosineAnnealingLR")]
    (s,) = r.schedulers
    assert s["args"]["eta_min"]["source"] == ("configs/experiment/cosine.yaml: model.scheduler.eta_min, via "
                                              "${model.relative.floor}, ${.ratio}")


def test_child_changing_only_max_epochs(report: dict) -> None:
    r = report["configs/trainer/long.yaml"]
    (s,) = r.schedulers
    assert "50 epochs (configs/trainer/long.yaml: max_epochs)" in s["horizon"]["unresolved"]
    assert r.findings == []  # the stepping is the code's: no horizon rule fires on an assumed length


def test_not_hydra_yaml(tmp_path: Path) -> None:
    (tmp_path / "ci.yml").write_text("defaults:\n  run:\n    shell: bash\njobs: {}\n")
    (tmp_path / "conf.yaml").write_text("defaults:\n  - missing_group: x\nlr: 0.1\n")
    rep = audit_paths([str(tmp_path)], AnalysisOptions(), jobs=1, cache_dir=None)
    assert all(r.skipped for r in rep.results)
