"""pytorch_warmup's wrappers composed with the torch scheduler they dampen, against the installed pytorch-warmup
0.2.0 (scripts/install-test-deps.sh), step by step (relative 1e-9).

Each script of tests/data/pytorch_warmup/ records the rate of the first group before every optimizer step; the
curve of its wrapper (the rate in use: the scheduler's rate times the warm-up factor) must give the same rates.
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

SCRIPTS = Path(__file__).resolve().parent / "data" / "pytorch_warmup"


def real_rates(path: Path) -> list[float]:
    import torch

    torch.manual_seed(0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ns = runpy.run_path(str(path), run_name="__main__")
    return [float(x) for x in ns["lr_history"]]


def wrapper_of(source: str, path: str = "train.py"):
    facts = extract(cst.parse_module(source), path, text=source).facts
    w = next(s for s in facts.schedulers if s.cls.startswith("pytorch_warmup."))
    return facts, w


@pytest.mark.parametrize("name", sorted(p.name for p in SCRIPTS.glob("*.py")))
def test_pytorch_warmup_matches_the_package(name: str) -> None:
    path = SCRIPTS / name
    facts, w = wrapper_of(path.read_text(encoding="utf-8"), str(path))
    assert len(w.children) == 1 and facts.scheduler(w.children[0]).parent == w.id
    curve = simulate_scheduler(facts, w, SimOptions())
    expected = real_rates(path)
    assert curve.error is None, curve.error
    assert curve.lr is not None and len(curve.lr) == len(expected), (len(curve.lr or ()), len(expected))
    for k, (got, want) in enumerate(zip(curve.lr, expected)):
        assert math.isclose(got, want, rel_tol=1e-9), (name, k, got, want)
