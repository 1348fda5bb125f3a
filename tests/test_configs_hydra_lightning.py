"""A Hydra scheduler completed in a LightningModule's ``configure_optimizers`` (lightning-hydra-template:
``self.hparams.scheduler(optimizer=optimizer)`` returned with ``interval``/``frequency``) is stepped as Lightning
steps it, over the Trainer config's max_epochs."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from lraudit.api import audit_paths

TRAIN = """defaults:
  - _self_
  - model: lit
  - trainer: default
seed: 1
"""
TRAINER = """_target_: lightning.pytorch.trainer.Trainer
max_epochs: 10
"""
MODEL = """_target_: src.models.lit_module.LitModule
optimizer:
  _target_: torch.optim.SGD
  _partial_: true
  lr: 0.1
scheduler:
  _target_: torch.optim.lr_scheduler.CosineAnnealingLR
  _partial_: true
  T_max: {t_max}
"""
MODULE = '''import lightning as L


class Base(L.LightningModule):
    def configure_optimizers(self):
        optimizer = self.hparams.optimizer(params=self.parameters())
        if self.hparams.scheduler is not None:
            scheduler = self.hparams.scheduler(optimizer=optimizer)
            return {{
                "optimizer": optimizer,
                "lr_scheduler": {{"scheduler": scheduler, "monitor": "val/loss", {settings}}},
            }}
        return {{"optimizer": optimizer}}


class LitModule(Base):
    def __init__(self, optimizer, scheduler):
        super().__init__()
        self.save_hyperparameters(logger=False)
'''


def _tree(root: Path, t_max: int, settings: str) -> None:
    (root / ".git").mkdir()
    for rel, text in (("configs/train.yaml", TRAIN), ("configs/trainer/default.yaml", TRAINER),
                      ("configs/model/lit.yaml", MODEL.format(t_max=t_max)),
                      ("src/models/lit_module.py", MODULE.format(settings=settings)), ("src/__init__.py", ""),
                      ("src/models/__init__.py", "")):
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)


def _train_yaml(root: Path):
    cwd = os.getcwd()
    os.chdir(root)
    try:
        res = {r.path: r for r in audit_paths(["configs"], jobs=1).results}
    finally:
        os.chdir(cwd)
    return res["configs/train.yaml"]


@pytest.mark.parametrize("settings", ['"interval": "epoch", "frequency": 1', '"frequency": 1'])
def test_epoch_interval_states_the_horizon(tmp_path: Path, settings: str) -> None:
    import torch

    _tree(tmp_path, 10, settings)
    r = _train_yaml(tmp_path)
    (s,) = r.schedulers
    assert s["stepped"] == "epoch" and s["unit"] == "epoch"
    assert s["horizon"] == {"value": 10, "source": "configs/trainer/default.yaml: max_epochs"}
    det = r.details["schedulers"][s["id"]]
    assert det["assumption"] is None
    (site,) = det["step_sites"]
    assert "src/models/lit_module.py:9" in site and "interval='epoch'" in site
    # the curve is torch's, one value per epoch
    opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)
    sch = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=10)
    theirs = []
    for _ in range(10):
        theirs.append(sch.get_last_lr()[0])
        opt.step()
        sch.step()
    assert s["lr"] == pytest.approx(theirs, rel=1e-12)
    assert r.findings == []


def test_stated_horizon_lets_the_rules_judge(tmp_path: Path) -> None:
    _tree(tmp_path, 40, '"interval": "epoch"')
    r = _train_yaml(tmp_path)
    assert [f.code for f in r.findings] == ["LR103"]  # T_max=40 over a 10-epoch run: the cosine never ends
    assert "configs/trainer/default.yaml" in r.findings[0].message


def test_step_interval_is_per_batch_over_unknown_batches(tmp_path: Path) -> None:
    _tree(tmp_path, 10, '"interval": "step", "frequency": 2')
    r = _train_yaml(tmp_path)
    (s,) = r.schedulers
    assert s["stepped"] == "batch" and s["unit"] == "step"
    assert s["horizon"]["value"] is None
    assert "x batches per epoch, which the dataset decides, stepped every 2 batches" in s["horizon"]["unresolved"]
    assert len(s["lr"]) == 10 * 100 // 2  # drawn over 100 batches per epoch, labelled, so rules ignore it
    # T_max=10 (the run's epochs) stepped per batch: the cosine cycles within the run; reported where the module
    # hands the scheduler to Lightning with interval="step"
    (f,) = r.findings
    assert (f.code, f.path, f.line) == ("LR201", "src/models/lit_module.py", 9)


def test_interval_computed_at_run_time_stays_unknown(tmp_path: Path) -> None:
    _tree(tmp_path, 10, '"interval": self.hparams.interval')
    r = _train_yaml(tmp_path)
    (s,) = r.schedulers
    assert s["stepped"] == "unknown"
    assert any("its interval is computed at run time" in n for n in r.details["config"]["notes"])
