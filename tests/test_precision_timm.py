"""Precision item 4: timm's step(epoch) / step_update(num_updates) semantics (LR206), with the variants that are
right and must stay quiet."""

from __future__ import annotations

from pathlib import Path

import pytest

from lraudit.api import audit_source

DATA = Path(__file__).parent / "data"


def _lr206(src: str) -> list[str]:
    return [f.message for f in audit_source(src, "train.py", select=["LR206"]).findings]


def test_step_with_the_epoch_that_just_ended_lags() -> None:
    (msg,) = _lr206((DATA / "timm_tm.py").read_text())
    assert "lags one epoch" in msg and "pass epoch + 1" in msg


def test_step_with_the_next_epoch_is_right() -> None:
    assert _lr206((DATA / "timm_tm_ok.py").read_text()) == []


def test_step_update_with_the_batch_index_restarts_every_epoch() -> None:
    (msg,) = _lr206((DATA / "timm_tm_upd.py").read_text())
    assert "restarts at 0 every epoch" in msg


@pytest.mark.parametrize("old,new,fires", [
    # before the epoch's training, step(epoch) is right and step(epoch + 1) skips the first value
    ("    for i, (x, y) in enumerate(loader):", "    scheduler.step(epoch)\n    for i, (x, y) in enumerate(loader):", False),
    ("    for i, (x, y) in enumerate(loader):", "    scheduler.step(epoch + 1)\n    for i, (x, y) in enumerate(loader):",
     True),
    # a 1-based epoch loop: step(epoch) after training is the next epoch
    ("for epoch in range(100):", "for epoch in range(1, 101):", False),
    # t_in_epochs=False: step(epoch) does nothing, so nothing lags
    ("warmup_lr_init=1e-4)", "warmup_lr_init=1e-4, t_in_epochs=False)", False),
])
def test_nearby_variants(old: str, new: str, fires: bool) -> None:
    src = (DATA / "timm_tm.py").read_text()
    if "scheduler.step(epoch" in new:
        src = src.replace("    scheduler.step(epoch)\n", "")
    assert old in src
    src = src.replace(old, new, 1)
    assert bool(_lr206(src)) == fires


def test_step_update_with_a_running_count_is_right() -> None:
    src = (DATA / "timm_tm_upd.py").read_text().replace("step_update(i)", "step_update(num_updates=num_updates)")
    assert _lr206(src) == []
