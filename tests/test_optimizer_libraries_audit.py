"""End to end: apex, bitsandbytes and ``torch.optim._multi_tensor`` optimizers are known classes with a known rate,
so a torch scheduler on them draws the curve torch draws on a torch optimizer with the same lr."""

from __future__ import annotations

import math
from typing import Any

import pytest
import torch

from lraudit.api import audit_source

LOOP_EPOCHS = '''
for epoch in range({n}):
    for batch in range(4):
        optimizer.zero_grad()
        model(batch).sum().backward()
        optimizer.step()
    scheduler.step()
'''
LOOP_STEPS = '''
for step in range({n}):
    optimizer.zero_grad()
    model(step).sum().backward()
    optimizer.step()
    scheduler.step()
'''


def audit(head: str, loop: str, n: int) -> tuple[dict[str, Any], dict[str, Any]]:
    result = audit_source(head + loop.format(n=n), "train.py")
    assert result.error is None, result.error
    (opt,) = result.optimizers
    (sched,) = result.schedulers
    assert sched["optimizer"] == opt["id"]
    return opt, sched


def torch_rates(make_opt: Any, make_sched: Any, n: int) -> list[float]:
    """lr[k] = get_last_lr()[0] after k scheduler steps, k = 0..n-1, from the real torch classes."""
    opt = make_opt([torch.nn.Parameter(torch.zeros(2))])
    sched = make_sched(opt)
    out = [sched.get_last_lr()[0]]
    for _ in range(n - 1):
        opt.step()
        sched.step()
        out.append(sched.get_last_lr()[0])
    return out


def assert_rates(got: list[float] | None, want: list[float]) -> None:
    assert got is not None, "the curve is unknown"
    assert len(got) == len(want)
    for k, (a, b) in enumerate(zip(got, want)):
        assert math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-15), (k, a, b)


S = torch.optim.lr_scheduler


@pytest.mark.parametrize("imports, build, cls", [
    ("from apex.optimizers import FusedAdam", "FusedAdam(model.parameters(), lr=3e-4, weight_decay=0.01)",
     "apex.optimizers.FusedAdam"),
    ("import apex", "apex.optimizers.FusedLAMB(model.parameters(), lr=3e-4)", "apex.optimizers.FusedLAMB"),
    ("from apex.optimizers.fused_adam import FusedAdam as Adam", "Adam(model.parameters(), lr=3e-4)",
     "apex.optimizers.FusedAdam"),
    ("import bitsandbytes as bnb", "bnb.optim.PagedAdamW8bit(model.parameters(), lr=3e-4)",
     "bitsandbytes.optim.PagedAdamW8bit"),
    ("import bitsandbytes as bnb", "bnb.optim.AdamW8bit(model.parameters(), lr=3e-4)",
     "bitsandbytes.optim.AdamW8bit"),
    ("from bitsandbytes.optim import Lion8bit", "Lion8bit(model.parameters(), 3e-4)", "bitsandbytes.optim.Lion8bit"),
    ("import bitsandbytes.optim.adam", "bitsandbytes.optim.adam.Adam32bit(model.parameters(), lr=3e-4)",
     "bitsandbytes.optim.Adam32bit"),
])
def test_library_optimizer_under_a_torch_scheduler(imports: str, build: str, cls: str) -> None:
    head = f"import torch\n{imports}\n\nmodel = torch.nn.Linear(2, 2)\noptimizer = {build}\n" \
           "scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=3, gamma=0.5)\n"
    opt, sched = audit(head, LOOP_EPOCHS, 10)
    assert opt["class"] == cls and opt["lr"]["value"] == 3e-4
    assert_rates(sched["lr"], torch_rates(lambda p: torch.optim.Adam(p, lr=3e-4),
                                          lambda o: S.StepLR(o, step_size=3, gamma=0.5), 10))


def test_onecycle_cycles_the_betas_of_apex_bitsandbytes_and_deepspeed_optimizers() -> None:
    # their param groups hold betas, so cycle_momentum=True (the default) works as on torch's Adam
    for imports, build in (("from apex.optimizers import FusedAdam", "FusedAdam(model.parameters(), lr=1e-4)"),
                           ("import bitsandbytes as bnb", "bnb.optim.AdamW8bit(model.parameters(), lr=1e-4)"),
                           ("import bitsandbytes as bnb", "bnb.optim.SGD8bit(model.parameters(), 0.1, momentum=0.9)"),
                           ("from deepspeed.ops.adam import FusedAdam", "FusedAdam(model.parameters(), lr=1e-4)"),
                           ("from deepspeed.ops.adam import DeepSpeedCPUAdam",
                            "DeepSpeedCPUAdam(model.parameters(), lr=1e-4)"),
                           ("from deepspeed.ops.lamb import FusedLamb", "FusedLamb(model.parameters(), lr=1e-4)"),
                           ("from deepspeed.ops.lion import FusedLion", "FusedLion(model.parameters(), lr=1e-4)")):
        head = f"import torch\n{imports}\n\nmodel = torch.nn.Linear(2, 2)\noptimizer = {build}\n" \
               "scheduler = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=1e-3, total_steps=50)\n"
        opt, sched = audit(head, LOOP_STEPS, 50)
        assert_rates(sched["lr"], torch_rates(lambda p: torch.optim.Adam(p, lr=1e-4),
                                              lambda o: S.OneCycleLR(o, max_lr=1e-3, total_steps=50), 50))


def test_onecycle_on_fused_adagrad_raises_like_torch_adagrad() -> None:
    # FusedAdagrad's defaults hold neither momentum nor betas: torch's OneCycleLR raises, as on torch.optim.Adagrad
    with pytest.raises(ValueError, match="cycle_momentum"):
        S.OneCycleLR(torch.optim.Adagrad([torch.nn.Parameter(torch.zeros(2))]), max_lr=1e-3, total_steps=50)
    head = "import torch\nfrom apex.optimizers import FusedAdagrad\n\nmodel = torch.nn.Linear(2, 2)\n" \
           "optimizer = FusedAdagrad(model.parameters(), lr=1e-2)\n" \
           "scheduler = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=1e-3, total_steps=50)\n"
    opt, sched = audit(head, LOOP_STEPS, 50)
    assert opt["class"] == "apex.optimizers.FusedAdagrad" and sched["lr"] is None


def test_lr_defaults_and_required_lr() -> None:
    def lr_of(imports: str, build: str) -> dict[str, Any]:
        result = audit_source(f"import torch\n{imports}\nmodel = torch.nn.Linear(2, 2)\noptimizer = {build}\n"
                              "optimizer.step()\n", "train.py")
        (opt,) = result.optimizers
        return opt["lr"]

    # FusedSGD(lr=required) and bitsandbytes' SGD/LARS take no default rate
    for imports, build in (("from apex.optimizers import FusedSGD", "FusedSGD(model.parameters(), momentum=0.9)"),
                           ("import bitsandbytes as bnb", "bnb.optim.SGD8bit(model.parameters(), momentum=0.9)")):
        assert lr_of(imports, build) == {"value": None, "unresolved": "required argument lr is missing"}
    assert lr_of("import bitsandbytes as bnb", "bnb.optim.AdamW8bit(model.parameters())") == \
        {"value": 1e-3, "source": "bitsandbytes 0.50.2 default"}
    assert lr_of("import bitsandbytes as bnb", "bnb.optim.Lion(model.parameters())")["value"] == 1e-4
    assert lr_of("from apex.optimizers import FusedAdagrad", "FusedAdagrad(model.parameters())")["value"] == 1e-2


def test_multi_tensor_sgd_is_torch_sgd() -> None:
    head = "import torch\n\nmodel = torch.nn.Linear(2, 2)\n" \
           "optimizer = torch.optim._multi_tensor.SGD(model.parameters(), lr=0.1, momentum=0.9)\n" \
           "scheduler = torch.optim.lr_scheduler.MultiStepLR(optimizer, milestones=[3, 6], gamma=0.1)\n"
    opt, sched = audit(head, LOOP_EPOCHS, 8)
    assert opt["class"] == "torch.optim.SGD" and opt["lr"]["value"] == 0.1
    import torch.optim._multi_tensor as multi_tensor

    assert_rates(sched["lr"], torch_rates(lambda p: multi_tensor.SGD(p, lr=0.1, momentum=0.9),
                                          lambda o: S.MultiStepLR(o, milestones=[3, 6], gamma=0.1), 8))


PYCLS = '''import torch
from pycls.core.config import cfg

model = torch.nn.Linear(2, 2)
optimizer_fn = {arms}
optimizer = optimizer_fn(model.parameters(), lr=0.1, momentum=0.9)
scheduler = torch.optim.lr_scheduler.MultiStepLR(optimizer, milestones=[3, 6], gamma=0.1)
'''


def test_pycls_multi_tensor_or_plain_sgd_by_an_unknown_flag() -> None:
    # pycls/core/optimizer.py: both arms are torch's SGD (the _multi_tensor one with foreach preset), so the class
    # and the rate are known whichever arm the configuration picks
    arms = "torch.optim._multi_tensor.SGD if cfg.OPTIM.MULTI_TENSOR else torch.optim.SGD"
    opt, sched = audit(PYCLS.format(arms=arms), LOOP_EPOCHS, 8)
    assert opt["class"] == "torch.optim.SGD" and opt["lr"]["value"] == 0.1
    assert_rates(sched["lr"], torch_rates(lambda p: torch.optim.SGD(p, lr=0.1, momentum=0.9),
                                          lambda o: S.MultiStepLR(o, milestones=[3, 6], gamma=0.1), 8))
    # called directly, without the name in between
    text = PYCLS.format(arms=arms).replace("optimizer_fn(", f"({arms})(")
    opt, sched = audit(text, LOOP_EPOCHS, 8)
    assert opt["class"] == "torch.optim.SGD" and sched["lr"] is not None


def test_different_classes_by_an_unknown_flag_stay_unknown() -> None:
    arms = "torch.optim.SGD if cfg.OPTIM.NAME == 'sgd' else torch.optim.Adam"
    result = audit_source(PYCLS.format(arms=arms) + LOOP_EPOCHS.format(n=8), "train.py")
    assert not any(o["class"] in ("torch.optim.SGD", "torch.optim.Adam") for o in result.optimizers)
