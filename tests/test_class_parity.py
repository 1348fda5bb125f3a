"""Scheduler classes written in the analysed code: lraudit's curves against the same scripts run with torch.

The scripts of tests/data/scheduler_classes/ (a warm-up + multi-step with a module-level helper and two param
groups, a Noam schedule with a helper method and a step() override, a polynomial decay built from helper methods
called through ``Base.__init__(self, ...)``, a gradual warm-up wrapper that steps its after_scheduler, a
MultiStepLR subclass over ``super().get_lr()``, a ReduceLROnPlateau subclass) were run for real by
tests/golden/make_class_golden.py; every recorded rate must match at relative 1e-9.
"""

from __future__ import annotations

import json
import math
import time
from pathlib import Path

import libcst as cst
import pytest

from lraudit.extract.build import extract
from lraudit.simulate import SimOptions, simulate_scheduler

HERE = Path(__file__).resolve().parent
SCRIPTS = HERE / "data" / "scheduler_classes"
GOLDEN = json.loads((HERE / "golden" / "class_curves.json").read_text(encoding="utf-8"))


def curve_of(path: Path, cls: str | None = None, source: str | None = None, opts: SimOptions | None = None):
    text = source if source is not None else path.read_text(encoding="utf-8")
    ext = extract(cst.parse_module(text), str(path), text=text)
    facts = ext.facts
    scheds = [s for s in facts.schedulers if s.cls.startswith("custom:") and (cls is None or s.cls == cls)]
    assert len(scheds) == 1, [s.cls for s in facts.schedulers]
    return scheds[0], simulate_scheduler(facts, scheds[0], opts or SimOptions())


@pytest.mark.parametrize("name", sorted(GOLDEN))
def test_class_curve_matches_torch(name: str) -> None:
    s, curve = curve_of(SCRIPTS / name)
    expected = GOLDEN[name]
    assert curve.error is None, curve.error
    assert curve.lr is not None and len(curve.lr) == len(expected)
    for k, (got, want) in enumerate(zip(curve.lr, expected)):
        assert math.isclose(got, want, rel_tol=1e-9, abs_tol=0.0), (name, k, got, want)


def test_the_wrapped_scheduler_is_stepped_by_its_wrapper() -> None:
    text = (SCRIPTS / "warmup_wrapper.py").read_text(encoding="utf-8")
    facts = extract(cst.parse_module(text), "warmup_wrapper.py", text=text).facts
    after = next(s for s in facts.schedulers if s.cls.endswith("MultiStepLR"))
    wrapper = next(s for s in facts.schedulers if s.cls.startswith("custom:"))
    assert after.parent == wrapper.id and after.id in wrapper.children
    assert after.step_sites == ()


def test_long_closed_form_runs_are_sampled_exactly() -> None:
    # 400 iterations dense vs the same class over 50,000: sampled at exact last_epoch values
    text = (SCRIPTS / "warmup_multistep.py").read_text(encoding="utf-8").replace("MAX_ITER = 400", "MAX_ITER = 50000")
    s, curve = curve_of(SCRIPTS / "warmup_multistep.py", source=text)
    assert curve.error is None, curve.error
    assert curve.steps is not None and curve.steps[-1] == 49999

    def torch_value(k: int) -> float:
        warm = 1.0 if k >= 100 else (1.0 / 3) * (1 - k / 100) + k / 100
        return 0.02 * warm * 0.1 ** sum(1 for m in (250, 350) if m <= k)

    for k, got in zip(curve.steps, curve.lr):
        assert math.isclose(got, torch_value(k), rel_tol=1e-9), (k, got)


HOSTILE = {
    "loops forever": "        while True:\n            pass\n",
    "recurses": "        return self.get_lr()\n",
    "raises": "        raise RuntimeError('boom')\n",
    "writes files": "        open('/tmp/lraudit-class-hostile', 'w').write('x')\n        return self.base_lrs\n",
    "imports modules": "        import os\n        os.system('touch /tmp/lraudit-class-hostile')\n        return self.base_lrs\n",
    "reads dunders": "        return self.__class__.__mro__\n",
    "huge integers": "        return [10 ** 10 ** 10 for _ in self.base_lrs]\n",
}


@pytest.mark.parametrize("what", sorted(HOSTILE))
def test_hostile_get_lr_is_unknown_with_a_reason(what: str, tmp_path: Path) -> None:
    src = f'''import torch
from torch.optim.lr_scheduler import LRScheduler


class Hostile(LRScheduler):
    def __init__(self, optimizer, last_epoch=-1):
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
{HOSTILE[what]}

model = torch.nn.Linear(2, 2)
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
scheduler = Hostile(optimizer)
for epoch in range(20):
    optimizer.step()
    scheduler.step()
'''
    marker = Path("/tmp/lraudit-class-hostile")
    marker.unlink(missing_ok=True)
    start = time.thread_time()
    s, curve = curve_of(tmp_path / "hostile.py", source=src)
    assert time.thread_time() - start < 15
    assert curve.lr is None and curve.error, curve
    assert "Hostile" in curve.error
    assert not marker.exists()
