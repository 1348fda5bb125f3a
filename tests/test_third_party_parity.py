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
