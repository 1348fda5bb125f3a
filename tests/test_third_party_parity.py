"""Third-party schedulers in the catalog against the installed packages, step by step (relative 1e-9).

The scripts of tests/data/third_party/ are run for real (torch 2.13 and the package from the test extras:
scripts/install-test-deps.sh) and record ``optimizer.param_groups[0]["lr"]`` before every ``step()``; lraudit's
curve of the same script must give the same rates.
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

SCRIPTS = Path(__file__).resolve().parent / "data" / "third_party"


def real_rates(path: Path) -> list[float]:
    import torch

    torch.manual_seed(0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ns = runpy.run_path(str(path), run_name="__main__")
    return [float(x) for x in ns["lr_history"]]


@pytest.mark.parametrize("name", sorted(p.name for p in SCRIPTS.glob("gradual_warmup_*.py")))
def test_gradual_warmup_matches_the_package(name: str) -> None:
    path = SCRIPTS / name
    text = path.read_text(encoding="utf-8")
    facts = extract(cst.parse_module(text), str(path), text=text).facts
    s = next(x for x in facts.schedulers if x.cls == "warmup_scheduler.GradualWarmupScheduler")
    assert len(s.children) == 1 and facts.scheduler(s.children[0]).parent == s.id
    curve = simulate_scheduler(facts, s, SimOptions())
    expected = real_rates(path)
    assert curve.error is None, curve.error
    assert curve.lr is not None and len(curve.lr) == len(expected)
    for k, (got, want) in enumerate(zip(curve.lr, expected)):
        assert math.isclose(got, want, rel_tol=1e-9), (name, k, got, want)


def _warmup_curve(source: str):
    facts = extract(cst.parse_module(source), "train.py", text=source).facts
    s = next(x for x in facts.schedulers if x.cls == "warmup_scheduler.GradualWarmupScheduler")
    return simulate_scheduler(facts, s, SimOptions())


_EPOCH_FED = """
import torch
from torch.optim.lr_scheduler import StepLR
from warmup_scheduler import GradualWarmupScheduler
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
after = StepLR(optimizer, step_size=10)
scheduler = GradualWarmupScheduler(optimizer, multiplier=1, total_epoch=5, after_scheduler=after)
for epoch in range(30):
    train(model, optimizer)
    scheduler.step({arg})
"""


def test_gradual_warmup_epoch_argument_not_followed_is_unknown_with_the_reason() -> None:
    curve = _warmup_curve(_EPOCH_FED.format(arg="epoch * 2"))
    assert curve.lr is None
    assert "step(epoch * 2)" in curve.error and "not known" in curve.error


def test_gradual_warmup_epoch_argument_followed() -> None:
    shifted = _warmup_curve(_EPOCH_FED.format(arg="epoch + 1"))
    plain = _warmup_curve(_EPOCH_FED.format(arg=""))
    assert shifted.error is None and plain.error is None
    # step(epoch + 1) from epoch 0 feeds the counter step() keeps, until the hand-over: then the StepLR gets
    # epoch - total_epoch, one step ahead of its own count
    assert shifted.lr[:6] == plain.lr[:6]
    first_drop = next(k for k in range(6, 30) if shifted.lr[k] < shifted.lr[6])
    plain_drop = next(k for k in range(6, 30) if plain.lr[k] < plain.lr[6])
    assert first_drop == plain_drop - 1
