"""Ignite's param schedulers against the installed pytorch-ignite 0.5.5, step by step (relative 1e-9).

Each script of tests/data/ignite/ runs a real ``Engine`` whose process function records the rate of the first
group at every iteration (scripts/install-test-deps.sh installs ignite); lraudit's curve of the same script, from
the scheduler, the event it is attached to and ``trainer.run(..., max_epochs=)``, must give the same rates (for
``EPOCH_*`` events, the rate of each epoch's first iteration).
"""

from __future__ import annotations

import math
import runpy
import warnings
from pathlib import Path

import libcst as cst
import pytest

from lraudit.extract.build import extract
from lraudit.simulate import SimOptions, simulate_scheduler

SCRIPTS = Path(__file__).resolve().parent / "data" / "ignite"


def real_run(path: Path) -> dict:
    import torch

    torch.manual_seed(0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return runpy.run_path(str(path), run_name="__main__")


def facts_of(path: Path):
    text = path.read_text(encoding="utf-8")
    return extract(cst.parse_module(text), str(path), text=text).facts


@pytest.mark.parametrize("name", sorted(p.name for p in SCRIPTS.glob("*.py")))
def test_ignite_scheduler_matches_the_package(name: str) -> None:
    path = SCRIPTS / name
    facts = facts_of(path)
    top = [s for s in facts.schedulers if s.framework == "ignite" and s.parent is None]
    assert len(top) == 1, [s.cls for s in facts.schedulers]
    s = top[0]
    curve = simulate_scheduler(facts, s, SimOptions())
    ns = real_run(path)
    history = [float(x) for x in ns["lr_history"]]
    if s.unit == "epoch":
        history = history[:: ns["EPOCH_LENGTH"]]
    assert curve.error is None, curve.error
    assert curve.lr is not None and len(curve.lr) == len(history), (len(curve.lr or ()), len(history))
    for k, (got, want) in enumerate(zip(curve.lr, history)):
        assert math.isclose(got, want, rel_tol=1e-9, abs_tol=1e-15), (name, k, got, want)
