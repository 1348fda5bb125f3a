"""``functools.partial`` of a function of the analysed code as a schedule (``LambdaLR(lr_lambda=partial(f, ...))``,
one per param group as in ignite's Pascal VOC configs): lraudit's curve against the real torch LambdaLR running the
same partials."""

from __future__ import annotations

import functools
import math
import textwrap

import pytest

from lraudit.api import audit_source

torch = pytest.importorskip("torch")


def poly(iteration, lr0, n, a):  # the fixtures' schedule function, run here by torch
    return lr0 * pow((1.0 - 1.0 * iteration / n), a)


def warm_cos(warmup, total, step, floor=0.0):
    if step < warmup:
        return step / warmup
    return floor + (1 - floor) * 0.5 * (1 + math.cos(math.pi * (step - warmup) / (total - warmup)))


def _torch_lrs(lambdas, groups: int, steps: int, lr: float) -> list[list[float]]:
    ps = [torch.nn.Parameter(torch.zeros(1)) for _ in range(groups)]
    opt = torch.optim.SGD([{"params": [p]} for p in ps], lr=lr)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lr_lambda=lambdas)
    out = []
    for _ in range(steps):
        out.append([g["lr"] for g in opt.param_groups])
        opt.step()
        sched.step()
    return out


def _curve(src: str) -> tuple[dict, list[float]]:
    result = audit_source(textwrap.dedent(src), "train.py", steps=300)
    [s] = result.schedulers
    assert s["lr"] is not None, s["summary"]
    return s, s["lr"]


def test_keyword_partials_per_param_group() -> None:
    s, lr = _curve('''
        from functools import partial
        import torch
        model = torch.nn.Linear(2, 2)
        optimizer = torch.optim.SGD([{"params": model.weight}, {"params": model.bias}], lr=1.0)
        N = 300

        def poly(iteration, lr0, n, a):
            return lr0 * pow((1.0 - 1.0 * iteration / n), a)

        scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lr_lambda=[
            partial(poly, lr0=0.007, n=N, a=0.9), partial(poly, lr0=0.07, n=N, a=0.9)])
        for step in range(N):
            optimizer.step()
            scheduler.step()
    ''')
    want = _torch_lrs([functools.partial(poly, lr0=0.007, n=300, a=0.9),
                       functools.partial(poly, lr0=0.07, n=300, a=0.9)], 2, 300, 1.0)
    assert lr == pytest.approx([w[0] for w in want], rel=1e-9, abs=1e-15)  # the curve is param group 0's
    assert "partial" in s["args"]["lr_lambda"]["source"]


def test_positional_partial_and_a_new_default() -> None:
    s, lr = _curve('''
        import functools, math
        import torch
        model = torch.nn.Linear(2, 2)
        optimizer = torch.optim.AdamW(model.parameters(), lr=3e-4)

        def warm_cos(warmup, total, step, floor=0.0):
            if step < warmup:
                return step / warmup
            return floor + (1 - floor) * 0.5 * (1 + math.cos(math.pi * (step - warmup) / (total - warmup)))

        fn = functools.partial(warm_cos, 30, 300, floor=0.1)
        scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, fn)
        for step in range(300):
            optimizer.step()
            scheduler.step()
    ''')
    want = _torch_lrs(functools.partial(warm_cos, 30, 300, floor=0.1), 1, 300, 3e-4)
    assert lr == pytest.approx([w[0] for w in want], rel=1e-9, abs=1e-15)


def test_a_partial_of_a_partial_and_a_length_only_the_run_knows() -> None:
    s, lr = _curve('''
        from functools import partial
        import torch
        model = torch.nn.Linear(2, 2)
        loader = torch.utils.data.DataLoader(list(range(10)))
        optimizer = torch.optim.SGD(model.parameters(), lr=0.1)

        def poly(iteration, lr0, n, a):
            return lr0 * pow((1.0 - 1.0 * iteration / n), a)

        base = partial(poly, a=0.9)
        scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, partial(base, lr0=1.0, n=3 * len(loader)))
        for epoch in range(3):
            for x in loader:
                optimizer.step()
                scheduler.step()
    ''')
    assert s["args"]["lr_lambda"]["value"] is None and "len(loader)" in s["args"]["lr_lambda"]["unresolved"]
    assert "assumes 100 batches per epoch" in s["assumption"]
    want = _torch_lrs(functools.partial(poly, a=0.9, lr0=1.0, n=300), 1, 300, 0.1)
    assert lr == pytest.approx([w[0] for w in want], rel=1e-9, abs=1e-15)


@pytest.mark.parametrize("call, reason", [
    ("partial(torch.exp, 2)", "library attribute"),
    ("partial(lambda_table, 2)", "is not a function of the analysed code"),
    ("partial(f, *extra)", "*args/**kwargs"),
    ("partial(f, 1, 2, 3)", "a parameter with a default"),
])
def test_partials_it_does_not_follow_stay_unknown(call: str, reason: str) -> None:
    result = audit_source(textwrap.dedent(f'''
        from functools import partial
        import torch
        model = torch.nn.Linear(2, 2)
        optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
        extra = (1,)
        lambda_table = {{"a": 1}}

        def f(step, scale=1.0):
            return scale

        scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, {call})
        for step in range(10):
            optimizer.step()
            scheduler.step()
    '''), "train.py")
    [s] = result.schedulers
    assert s["lr"] is None and reason in s["args"]["lr_lambda"]["unresolved"]


def hf_linear(current_step, *, num_warmup_steps, num_training_steps):
    if current_step < num_warmup_steps:
        return float(current_step) / float(max(1, num_warmup_steps))
    return max(0.0, float(num_training_steps - current_step) / float(max(1, num_training_steps - num_warmup_steps)))


def test_a_helper_that_returns_a_partial_of_keyword_only_parameters() -> None:
    # Hugging Face's own pattern, copied into training code: the helper is evaluated, partial included
    s, lr = _curve('''
        import functools
        import torch

        def hf_linear(current_step, *, num_warmup_steps, num_training_steps):
            if current_step < num_warmup_steps:
                return float(current_step) / float(max(1, num_warmup_steps))
            return max(0.0, float(num_training_steps - current_step) / float(max(1, num_training_steps - num_warmup_steps)))

        def make_lambda(warmup, total):
            return functools.partial(hf_linear, num_warmup_steps=warmup, num_training_steps=total)

        model = torch.nn.Linear(2, 2)
        optimizer = torch.optim.AdamW(model.parameters(), lr=5e-5)
        scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, make_lambda(30, 300))
        for step in range(300):
            optimizer.step()
            scheduler.step()
    ''')
    want = _torch_lrs(functools.partial(hf_linear, num_warmup_steps=30, num_training_steps=300), 1, 300, 5e-5)
    assert lr == pytest.approx([w[0] for w in want], rel=1e-9, abs=1e-15)
