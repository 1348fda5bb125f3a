"""1-D NumPy arrays in the safe evaluator (numpy_arrays.py), against real NumPy: the precomputed per-iteration
schedules of DINO/DeiT/BEiT/ConvNeXt-style code, and the refusals for everything else."""

from __future__ import annotations

import math
import textwrap

import numpy as np
import pytest

from lraudit.api import audit_source
from lraudit.evaluate import Budget, EvalError, call_function
from test_evaluate import load

COSINE = '''
import math
import numpy as np


def cosine_scheduler(base_value, final_value, epochs, niter_per_ep, warmup_epochs=0, start_warmup_value=0):
    warmup_schedule = np.array([])
    warmup_iters = warmup_epochs * niter_per_ep
    if warmup_epochs > 0:
        warmup_schedule = np.linspace(start_warmup_value, base_value, warmup_iters)
    iters = np.arange(epochs * niter_per_ep - warmup_iters)
    schedule = final_value + 0.5 * (base_value - final_value) * (1 + np.cos(np.pi * iters / len(iters)))
    schedule = np.concatenate((warmup_schedule, schedule))
    assert len(schedule) == epochs * niter_per_ep
    return schedule


def cosine_list(base_value, final_value, epochs, niter_per_ep, warmup_epochs=0, start_warmup_value=0):
    warmup_schedule = np.array([])
    warmup_iters = warmup_epochs * niter_per_ep
    if warmup_epochs > 0:
        warmup_schedule = np.linspace(start_warmup_value, base_value, warmup_iters)
    iters = np.arange(epochs * niter_per_ep - warmup_iters)
    schedule = np.array(
        [final_value + 0.5 * (base_value - final_value) * (1 + math.cos(math.pi * i / (len(iters)))) for i in iters])
    schedule = np.concatenate((warmup_schedule, schedule))
    return schedule


def shapes(n, endpoint):
    return (np.linspace(0.1, 1.0, n, endpoint=endpoint), np.arange(n), np.arange(0.5, 2.0, 0.25),
            np.zeros(n), np.ones(n) * 3, np.full(n, 2.5) - np.arange(n), np.concatenate((np.arange(2), [7.5])))
'''


def _close(got, want) -> bool:
    want = [float(x) for x in np.asarray(want).ravel()]
    return len(got) == len(want) and all(math.isclose(a, b, rel_tol=1e-13, abs_tol=1e-18) for a, b in zip(got, want))


@pytest.mark.parametrize("fn", ["cosine_scheduler", "cosine_list"])
@pytest.mark.parametrize("args", [(5e-4, 1e-6, 12, 7), (0.1, 0.0, 3, 5, 1), (1.0, 0.5, 4, 10, 2, 0.01)])
def test_precomputed_schedules_match_numpy(fn: str, args: tuple) -> None:
    resolver, oracle = load(COSINE)
    got = call_function(resolver.fv(fn), list(args), {}, Budget())
    assert _close(list(got), oracle[fn](*args))


@pytest.mark.parametrize("n", [0, 1, 2, 5, 13])
@pytest.mark.parametrize("endpoint", [True, False])
def test_array_constructors_match_numpy(n: int, endpoint: bool) -> None:
    resolver, oracle = load(COSINE)
    got = call_function(resolver.fv("shapes"), [n, endpoint], {}, Budget())
    want = oracle["shapes"](n, endpoint)
    assert len(got) == len(want)
    for g, w in zip(got, want):
        assert list(g) == [x.item() for x in w]  # bit for bit (NumPy float64 = Python float)


@pytest.mark.parametrize("src, why", [
    ("def f():\n    return np.array([[1.0, 2.0], [3.0, 4.0]])\n", "more than one dimension"),
    ("def f():\n    return np.arange(3) + np.arange(4)\n", "could not be broadcast"),
    ("def f():\n    return np.arange(3) + [1, 2, 3]\n", "unsupported operands"),
    ("def f():\n    return np.linspace(0, 1, 5, dtype='complex64')\n", "dtype"),
    ("def f():\n    return np.arange(0, 10, 0)\n", "step is 0"),
])
def test_other_shapes_are_refused_with_a_reason(src: str, why: str) -> None:
    resolver, _ = load("import numpy as np\n\n\n" + src)  # (defining f runs nothing)
    with pytest.raises(EvalError) as err:
        call_function(resolver.fv("f"), [], {}, Budget())
    assert why in str(err.value)


DINO_LOOP = """
import numpy as np
import torch

COSINE

model = torch.nn.Linear(2, 2)
optimizer = torch.optim.AdamW(model.parameters(), lr=0.0)
epochs = 12
lr_schedule = cosine_scheduler(5e-4, 1e-6, epochs, len(data_loader), warmup_epochs=2)
for epoch in range(epochs):
    for it, batch in enumerate(data_loader):
        it = len(data_loader) * epoch + it  # global training iteration
        for param_group in optimizer.param_groups:
            param_group["lr"] = lr_schedule[it]
        optimizer.zero_grad()
        model(batch).sum().backward()
        optimizer.step()
"""


def test_a_precomputed_schedule_indexed_by_the_global_iteration() -> None:
    # DINO's loop: the batch index rebound to the global iteration before the write
    body = COSINE.split("def cosine_list")[0].replace("import math\nimport numpy as np\n", "")
    src = textwrap.dedent(DINO_LOOP).replace("COSINE", body)
    result = audit_source(src, "train.py")
    (s,) = result.schedulers
    _, oracle = load(COSINE)
    want = oracle["cosine_scheduler"](5e-4, 1e-6, 12, 100, warmup_epochs=2)  # the assumed 100 batches per epoch
    assert _close(s["lr"], want)
    assert s["shape"] == "warm-up then cosine annealing"
    assert "len(data_loader) = 100" in s["assumption"]
