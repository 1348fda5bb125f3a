"""Long runs are sampled (1,000 steps of the curve), but the milestones an explanation names (end of warm-up,
peak, each drop, below 10% / 1%) are located at their exact steps between the samples."""

from __future__ import annotations

import math
import textwrap

from lraudit.api import audit_source
from lraudit.catalog.torch_sim import sample_indices
from lraudit.shape import refine_summary, summarize


def _warmup_cosine(k: int, warm: int = 2000, total: int = 600_000, peak: float = 6e-4) -> float:
    if k < warm:
        return peak * (k + 1) / (warm + 1)
    return 6e-5 + 0.5 * (peak - 6e-5) * (1 + math.cos(math.pi * (k - warm) / (total - warm)))


def _refined(fn, length: int, window: int = 4096):
    idx = sample_indices(length, 1000)
    lr = [fn(k) for k in idx]
    calls = []

    def point(ks):
        calls.append(len(ks))
        return [fn(k) for k in ks]

    return summarize(lr, idx), refine_summary(summarize(lr, idx), lr, idx, point, window), calls


def test_warmup_end_and_peak_are_exact() -> None:
    rough, exact, calls = _refined(_warmup_cosine, 600_001)
    assert rough.peak_at != 1999
    assert exact.peak_at == 2000 and exact.warmup_steps == 2000  # lr[2000] = 6e-4, the top of the cosine
    assert exact.peak == max(_warmup_cosine(k) for k in range(0, 5000))
    assert len(calls) == 1  # every gap fetched in one call


def test_bisection_gives_the_same_answer_with_small_windows() -> None:
    _, wide, _ = _refined(_warmup_cosine, 600_001)
    _, narrow, calls = _refined(_warmup_cosine, 600_001, window=8)
    assert (narrow.peak_at, narrow.warmup_steps, narrow.below_10pct_at) == (wide.peak_at, wide.warmup_steps,
                                                                           wide.below_10pct_at)
    assert sum(calls) < 200


def test_drops_and_thresholds_are_exact() -> None:
    def steps(k: int) -> float:
        return 0.1 * 0.1 ** (k // 33_333)

    _, exact, _ = _refined(steps, 100_000)
    assert [d.at for d in exact.drops] == [33_333, 66_666, 99_999]
    assert exact.below_10pct_at == 66_666 and exact.below_1pct_at == 99_999

    def linear(k: int) -> float:
        return 1.0 - k / 1_000_000

    _, lin, _ = _refined(linear, 1_000_000)
    assert lin.below_10pct_at == min(k for k in range(1_000_000) if linear(k) < 0.1 * (1 - 1e-9))


def _summary(src: str) -> str:
    result = audit_source(textwrap.dedent(src), "train.py")
    return result.schedulers[0]["summary"]


def test_explanations_of_long_runs_name_exact_steps() -> None:
    hf = """
    import torch
    from transformers import get_linear_schedule_with_warmup

    opt = torch.optim.AdamW(model.parameters(), lr=3e-4)
    sched = get_linear_schedule_with_warmup(opt, num_warmup_steps=2000, num_training_steps=500_000)
    for step in range(500_000):
        opt.step()
        sched.step()
    """
    assert "over 2000 steps" in _summary(hf)
    torch_step = """
    import torch

    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    sched = torch.optim.lr_scheduler.StepLR(opt, step_size=33_333, gamma=0.1)
    for it in range(100_000):
        opt.step()
        sched.step()
    """
    text = _summary(torch_step)
    assert "0.1 for steps 0–33332, then 0.01 until step 66665" in text, text
    manual = """
    import math
    import torch

    def get_lr(it):
        if it < 2000:
            return 6e-4 * (it + 1) / 2001
        return 6e-5 + 0.5 * (6e-4 - 6e-5) * (1 + math.cos(math.pi * (it - 2000) / 598_000))

    opt = torch.optim.AdamW(model.parameters(), lr=6e-4)
    for it in range(600_001):
        for g in opt.param_groups:
            g["lr"] = get_lr(it)
        opt.step()
    """
    assert "over 1999 steps" in _summary(manual) or "over 2000 steps" in _summary(manual)


def test_a_sampled_hand_written_schedule_never_shows_the_starting_rate_between_writes() -> None:
    src = """
    import torch

    def adjust(optimizer, it):
        if it % 1000 == 0:
            for g in optimizer.param_groups:
                g["lr"] = 0.1 * 0.5 ** (it // 1000)

    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    for it in range(50_000):
        adjust(opt, it)
        opt.step()
    """
    short = audit_source(textwrap.dedent(src.replace("50_000", "5_000")), "train.py").schedulers[0]
    assert [short["lr"][k] for k in (0, 999, 1000, 4999)] == [0.1, 0.1, 0.05, 0.1 * 0.5 ** 4]  # dense: exact
    (s,) = audit_source(textwrap.dedent(src), "train.py").schedulers
    if s["lr"] is None:  # replaying 50,000 steps of a helper is over the evaluator's budget: unknown, with why
        assert "takes too long" in s["summary"]
    else:
        for k, v in zip(s["lr_steps"], s["lr"]):  # never the starting rate between writes
            assert math.isclose(v, 0.1 * 0.5 ** (k // 1000), rel_tol=1e-12), (k, v)


def test_a_sampled_schedule_that_reads_the_previous_rate_is_not_guessed() -> None:
    src = """
    import torch

    def decay(optimizer, it):
        for g in optimizer.param_groups:
            g["lr"] = g["lr"] * 0.9999

    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    for it in range(50_000):
        decay(opt, it)
        opt.step()
    """
    result = audit_source(textwrap.dedent(src), "train.py")
    for s in result.schedulers:
        if s["lr"] is not None:  # replayed exactly (closed form) or not at all: never from the starting rate
            k, v = s["lr_steps"][-1], s["lr"][-1]
            assert math.isclose(v, 0.1 * 0.9999 ** (k + 1), rel_tol=1e-9) or math.isclose(
                v, 0.1 * 0.9999 ** k, rel_tol=1e-9), (k, v)
