"""NumPy calls of the analysed code resolved as values (the schedule arrays SwAV and DINO build in main() and index
per iteration), and optimizer wrappers whose param groups are the wrapped optimizer's (apex's LARC)."""

from __future__ import annotations

import math
import textwrap

import numpy as np
import pytest

from lraudit.api import audit_source

SWAV_LIKE = """
import math
import numpy as np
import torch
from apex.parallel.LARC import LARC

epochs, warmup_epochs, base_lr, final_lr, start_warmup = 10, 2, 0.6, 0.0006, 0.01
LOADER
model = torch.nn.Linear(2, 2)
optimizer = torch.optim.SGD(model.parameters(), lr=base_lr, momentum=0.9)
optimizer = WRAP
warmup_lr_schedule = np.linspace(start_warmup, base_lr, spe * warmup_epochs)
iters = np.arange(spe * (epochs - warmup_epochs))
cosine_lr_schedule = np.array([final_lr + 0.5 * (base_lr - final_lr) * (1 + math.cos(math.pi * t / (spe * (epochs - warmup_epochs)))) for t in iters])
lr_schedule = np.concatenate((warmup_lr_schedule, cosine_lr_schedule))
for epoch in range(epochs):
    for it in range(spe):
        iteration = epoch * spe + it
        for param_group in optimizer.param_groups:
            param_group["lr"] = lr_schedule[iteration]
        optimizer.step()
"""


def _expected(spe: int) -> list[float]:
    epochs, warmup_epochs, base_lr, final_lr, start_warmup = 10, 2, 0.6, 0.0006, 0.01
    warm = np.linspace(start_warmup, base_lr, spe * warmup_epochs)
    iters = np.arange(spe * (epochs - warmup_epochs))
    cos = np.array([final_lr + 0.5 * (base_lr - final_lr) * (1 + math.cos(math.pi * t / (spe * (epochs - warmup_epochs))))
                    for t in iters])
    return [float(x) for x in np.concatenate((warm, cos))]


def _audit(loader: str = "spe = 50", wrap: str = "LARC(optimizer=optimizer, trust_coefficient=0.001, clip=False)"):
    src = textwrap.dedent(SWAV_LIKE).replace("LOADER", loader).replace("WRAP", wrap)
    return audit_source(src, "main_swav.py")


@pytest.mark.parametrize("wrap", ["LARC(optimizer=optimizer, trust_coefficient=0.001, clip=False)",
                                  "LARC(optimizer, trust_coefficient=0.001)", "optimizer"])
def test_a_schedule_array_built_with_numpy_is_drawn_on_the_wrapped_optimizer(wrap: str) -> None:
    result = _audit(wrap=wrap)
    [o] = result.optimizers
    assert o["class"] == "torch.optim.SGD"
    [s] = result.schedulers
    assert s["optimizer"] == o["id"] and s["lr"] is not None, s["summary"]
    assert s["lr"] == pytest.approx(_expected(50), rel=1e-12)
    assert "assumption" not in s


def test_a_length_only_the_run_knows_draws_the_array_at_the_assumed_length() -> None:
    result = _audit(loader="loader = torch.utils.data.DataLoader(list(range(10)))\nspe = len(loader)")
    [s] = result.schedulers
    assert s["lr"] == pytest.approx(_expected(100), rel=1e-12)
    assert "len(loader) = 100" in s["assumption"]


def test_a_numpy_call_on_an_unknown_value_stays_unknown_with_its_reason() -> None:
    result = _audit(loader="spe = load_steps()")
    [s] = result.schedulers
    assert s["lr"] is None and "load_steps()" in s["summary"]
