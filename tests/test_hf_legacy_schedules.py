"""pytorch_transformers 1.x / transformers 2.0-2.1 schedule classes (catalog/hf_legacy.py).

``WarmupLinearSchedule(optimizer, warmup_steps, t_total)`` and its siblings are ``LambdaLR`` subclasses whose lambdas
are those of today's ``get_*_schedule_with_warmup`` functions (read in the pytorch_transformers 1.2.0 and
transformers 2.1.1 wheels). lraudit's curves are compared with torch's LambdaLR driven by the installed transformers
functions; the recorded signatures below are the classes' ``__init__`` parameters in those wheels.
"""

from __future__ import annotations

import math
from typing import Any

import pytest

from lraudit.api import audit_source
from lraudit.catalog import lookup
from lraudit.catalog.base import REQUIRED
from lraudit.catalog.hf_legacy import FUNCTION_OF, SCHEDULES

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

# __init__ parameters after self, in order, with defaults, as pytorch_transformers 1.2.0 defines them
RECORDED = {
    "ConstantLRSchedule": [("optimizer", REQUIRED), ("last_epoch", -1)],
    "WarmupConstantSchedule": [("optimizer", REQUIRED), ("warmup_steps", REQUIRED), ("last_epoch", -1)],
    "WarmupLinearSchedule": [("optimizer", REQUIRED), ("warmup_steps", REQUIRED), ("t_total", REQUIRED),
                             ("last_epoch", -1)],
    "WarmupCosineSchedule": [("optimizer", REQUIRED), ("warmup_steps", REQUIRED), ("t_total", REQUIRED),
                             ("cycles", 0.5), ("last_epoch", -1)],
    "WarmupCosineWithHardRestartsSchedule": [("optimizer", REQUIRED), ("warmup_steps", REQUIRED),
                                             ("t_total", REQUIRED), ("cycles", 1.0), ("last_epoch", -1)],
}


def test_entries_follow_the_recorded_signatures() -> None:
    assert {e.short for e in SCHEDULES} == set(RECORDED) == set(FUNCTION_OF)
    for e in SCHEDULES:
        spelled = {v: k for k, v in e.keywords}
        ours = [(spelled.get(p.name, p.name), p.default) for p in e.params]
        assert ours == RECORDED[e.short], e.short
        for name in (f"pytorch_transformers.{e.short}", f"pytorch_transformers.optimization.{e.short}",
                     f"transformers.{e.short}", f"transformers.optimization.{e.short}"):
            assert lookup(name) is e, name
        # the function it amounts to takes the same parameters in the same order
        fn = lookup(f"transformers.{FUNCTION_OF[e.short]}")
        assert fn is not None and [p.name for p in fn.params] == [p.name for p in e.params], e.short


LOOP = '''
for step in range({n}):
    optimizer.zero_grad()
    model(step).sum().backward()
    optimizer.step()
    scheduler.step()
'''


def _torch_rates(fn: str, kwargs: dict[str, Any], n: int, lr: float) -> list[float]:
    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(2))], lr=lr)
    sched = getattr(transformers, fn)(opt, **kwargs)
    out = [sched.get_last_lr()[0]]
    for _ in range(n - 1):
        opt.step()
        sched.step()
        out.append(sched.get_last_lr()[0])
    return out


@pytest.mark.parametrize("imports, build, fn, kwargs", [
    ("from pytorch_transformers import WarmupLinearSchedule",
     "WarmupLinearSchedule(optimizer, warmup_steps=20, t_total=150)",
     "get_linear_schedule_with_warmup", {"num_warmup_steps": 20, "num_training_steps": 150}),
    ("from pytorch_transformers.optimization import WarmupCosineSchedule",
     "WarmupCosineSchedule(optimizer, 10, 150, cycles=0.75)",
     "get_cosine_schedule_with_warmup", {"num_warmup_steps": 10, "num_training_steps": 150, "num_cycles": 0.75}),
    ("import pytorch_transformers",
     "pytorch_transformers.WarmupCosineWithHardRestartsSchedule(optimizer, warmup_steps=5, t_total=150, cycles=3)",
     "get_cosine_with_hard_restarts_schedule_with_warmup",
     {"num_warmup_steps": 5, "num_training_steps": 150, "num_cycles": 3}),
    ("from transformers import WarmupConstantSchedule", "WarmupConstantSchedule(optimizer, warmup_steps=30)",
     "get_constant_schedule_with_warmup", {"num_warmup_steps": 30}),
    ("from pytorch_transformers import ConstantLRSchedule", "ConstantLRSchedule(optimizer)",
     "get_constant_schedule", {}),
])
def test_legacy_class_curves_match_the_functions_they_amount_to(imports: str, build: str, fn: str,
                                                                kwargs: dict[str, Any]) -> None:
    src = (f"import torch\n{imports}\n\nmodel = torch.nn.Linear(2, 2)\n"
           f"optimizer = torch.optim.SGD(model.parameters(), lr=0.1)\nscheduler = {build}\n" + LOOP.format(n=150))
    result = audit_source(src, "train.py")
    assert result.error is None
    (s,) = result.schedulers
    assert s["lr"] is not None, s["summary"]
    want = _torch_rates(fn, kwargs, 150, 0.1)
    assert len(s["lr"]) == len(want)
    for k, (a, b) in enumerate(zip(s["lr"], want)):
        assert math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-15), (fn, k, a, b)


def test_the_rules_that_know_the_functions_judge_the_classes() -> None:
    # the recall audit's pytorch-transformers-classification: the scheduler stepped before the optimizer inside
    # the gradient-accumulation guard (LR202), and a warm-up longer than the run (LR104)
    head = ("import torch\nfrom pytorch_transformers import AdamW, WarmupLinearSchedule\n\n"
            "model = torch.nn.Linear(4, 2)\noptimizer = AdamW(model.parameters(), lr=2e-5, eps=1e-8)\n")
    order = head + "scheduler = WarmupLinearSchedule(optimizer, warmup_steps=10, t_total=300)\n" + '''
for epoch in range(3):
    for step in range(100):
        model(step).sum().backward()
        if (step + 1) % 2 == 0:
            scheduler.step()
            optimizer.step()
            model.zero_grad()
'''
    result = audit_source(order, "run_model.py")
    assert [f.code for f in result.findings] == ["LR202"], [f.message for f in result.findings]
    assert "WarmupLinearSchedule" in result.findings[0].message
    (opt,) = result.optimizers
    assert opt["class"] == "pytorch_transformers.AdamW" and opt["lr"]["value"] == 2e-5
    long_warmup = head + "scheduler = WarmupLinearSchedule(optimizer, warmup_steps=500, t_total=300)\n" + \
        LOOP.format(n=300)
    codes = [f.code for f in audit_source(long_warmup, "run_model.py").findings]
    assert "LR104" in codes, codes
