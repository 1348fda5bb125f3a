"""Shape names and summary numbers of learning-rate curves computed here from the libraries' formulas."""

from __future__ import annotations

import math

import pytest

from lraudit.shape import SHAPES, classify, summarize

B = 0.1
TORCH = "torch.optim.lr_scheduler."
NO_HINT = "custom:Schedule"  # a class name that gives no hint: the numbers decide


# --------------------------------------------------------------------------- formulas (reference section 1.3)


def step_lr(n: int = 90, size: int = 30, gamma: float = 0.1) -> list[float]:
    return [B * gamma ** (t // size) for t in range(n)]


def multi_step(n: int = 100, milestones: tuple[int, ...] = (30, 80), gamma: float = 0.1) -> list[float]:
    return [B * gamma ** sum(1 for m in milestones if m <= t) for t in range(n)]


def exponential(n: int = 50, gamma: float = 0.95) -> list[float]:
    return [B * gamma ** t for t in range(n)]


def polynomial(n: int = 100, total: int = 100, power: float = 2.0) -> list[float]:
    return [B * (1 - min(t, total) / total) ** power for t in range(n)]


def cosine(n: int = 101, t_max: int = 100, eta_min: float = 0.0) -> list[float]:
    return [eta_min + (B - eta_min) * (1 + math.cos(math.pi * t / t_max)) / 2 for t in range(n)]


def warm_restarts(n: int = 70, t0: int = 10, mult: int = 2, eta_min: float = 0.0) -> list[float]:
    out = []
    for t in range(n):
        ti, cur = t0, t
        while cur >= ti:
            cur -= ti
            ti *= mult
        out.append(eta_min + (B - eta_min) * (1 + math.cos(math.pi * cur / ti)) / 2)
    return out


def warmup_cosine(n: int = 100, warm: int = 5, start: float = 0.1) -> list[float]:
    """SequentialLR(LinearLR(start_factor, total_iters=warm), CosineAnnealingLR(T_max=n-warm), [warm])."""
    return [B * (start + (1 - start) * t / warm) if t < warm
            else B * (1 + math.cos(math.pi * (t - warm) / (n - warm))) / 2 for t in range(n)]


def one_cycle(total: int = 100, max_lr: float = 0.1, pct: float = 0.3, div: float = 25.0,
              final_div: float = 1e4) -> list[float]:
    init = max_lr / div
    low = init / final_div
    e1, e2 = pct * total - 1, total - 1
    out = []
    for t in range(total):
        s, e, a, b = (0, e1, init, max_lr) if t <= e1 else (e1, e2, max_lr, low)
        p = (t - s) / (e - s)
        out.append(b + (a - b) / 2 * (1 + math.cos(math.pi * p)))
    return out


def cyclic(n: int = 60, base: float = 0.001, top: float = 0.006, up: int = 10, down: int | None = None,
           mode: str = "triangular", gamma: float = 1.0) -> list[float]:
    down = down or up
    total = up + down
    ratio = up / total
    out = []
    for t in range(n):
        cycle = math.floor(1 + t / total)
        x = 1 + t / total - cycle
        s = x / ratio if x <= ratio else (x - 1) / (ratio - 1)
        g = {"triangular": 1.0, "triangular2": 1 / 2 ** (cycle - 1), "exp_range": gamma ** t}[mode]
        out.append(base + (top - base) * s * g)
    return out


def plateau_never_improves(n: int = 60, factor: float = 0.1, every: int = 11, min_lr: float = 1e-6) -> list[float]:
    out, lr = [], B
    for t in range(n):
        if t > 0 and t % every == 0:
            lr = max(lr * factor, min_lr)
        out.append(lr)
    return out


def hf_linear(n: int = 1000, warm: int = 100) -> list[float]:
    return [B * (t / warm if t < warm else max(0.0, (n - t) / (n - warm))) for t in range(n)]


def nanogpt(n: int = 3000, warm: int = 200, decay: int = 2500, lr: float = 6e-4, low: float = 6e-5) -> list[float]:
    out = []
    for it in range(n):
        if it < warm:
            out.append(lr * (it + 1) / (warm + 1))
        elif it > decay:
            out.append(low)
        else:
            r = (it - warm) / (decay - warm)
            out.append(low + 0.5 * (1 + math.cos(math.pi * r)) * (lr - low))
    return out


# ------------------------------------------------------------------------------------------ classify

CURVE_ONLY = [
    ("StepLR", step_lr(), "step decay"),
    ("MultiStepLR", multi_step(), "multi-step decay"),
    ("ExponentialLR", exponential(), "exponential decay"),
    ("PolynomialLR power 2 cut short", polynomial(), "polynomial decay"),
    ("PolynomialLR power 0.5", polynomial(n=101, power=0.5), "polynomial decay"),
    ("linear to zero", polynomial(n=101, power=1.0), "linear decay"),
    ("linear cut short", polynomial(n=50, power=1.0), "linear decay"),
    ("cosine", cosine(), "cosine annealing"),
    ("cosine with eta_min", cosine(eta_min=0.001), "cosine annealing"),
    ("cosine cut short (T_max > run)", cosine(n=60, t_max=100), "cosine annealing"),
    ("cosine past T_max rises again", cosine(n=100, t_max=50), "cosine annealing"),
    ("warm restarts T_mult=2", warm_restarts(), "cosine with restarts"),
    ("warm restarts T_mult=1", warm_restarts(n=50, mult=1), "cosine with restarts"),
    ("warm-up then cosine", warmup_cosine(), "warm-up then cosine annealing"),
    ("HF linear with warm-up", hf_linear(), "warm-up then linear decay"),
    ("nanoGPT", nanogpt(), "warm-up then cosine annealing"),
    ("LinearLR x StepLR", [B * (0.1 + 0.9 * min(t, 5) / 5) * 0.1 ** (t // 30) for t in range(100)],
     "warm-up then step decay"),
    ("one-cycle", one_cycle(), "one-cycle"),
    ("triangular", cyclic(), "cyclical (triangular)"),
    ("triangular asymmetric", cyclic(n=100, up=5, down=15), "cyclical (triangular)"),
    ("triangular2", cyclic(mode="triangular2"), "cyclical (triangular2)"),
    ("exp_range", cyclic(n=100, mode="exp_range", gamma=0.99), "cyclical (exp_range)"),
    ("exp_range gamma close to 1", cyclic(n=100, mode="exp_range", gamma=0.9999), "cyclical (exp_range)"),
    ("constant", [0.1] * 20, "constant"),
    ("increasing (gamma > 1)", exponential(gamma=1.05), "increasing"),
    ("LambdaLR epoch // 30 staircase up", [float(t // 30) for t in range(100)], "increasing"),
    ("linear warm-up then hold", [min(1.0, t / 10) for t in range(50)], "warm-up then constant"),
    ("ConstantLR jump", [B / 3] * 5 + [B] * 20, "warm-up then constant"),
    ("plateau assumption staircase", plateau_never_improves(), "step decay"),
    ("empty", [], "custom"),
    ("one value", [0.1], "constant"),
    ("two equal", [0.1, 0.1], "constant"),
    ("two falling", [0.1, 0.01], "step decay"),
    ("two rising", [0.0, 0.1], "increasing"),
    ("NaN inside", [0.1, math.nan, 0.1], "custom"),
]


@pytest.mark.parametrize("name,lr,expected", CURVE_ONLY, ids=[c[0] for c in CURVE_ONLY])
def test_classify_from_numbers(name: str, lr: list[float], expected: str) -> None:
    assert classify(lr, NO_HINT, {}) == expected


WITH_CLASS = [
    ("StepLR", {"step_size": 30, "gamma": 0.1}, step_lr(), "step decay"),
    ("StepLR", {"step_size": 30, "gamma": 1.0}, [0.1] * 90, "constant"),
    ("StepLR", {"step_size": 100, "gamma": 0.1}, [0.1] * 90, "constant"),  # never fires in this run
    ("StepLR", {"step_size": 30, "gamma": 2.0}, step_lr(gamma=2.0), "increasing"),
    ("MultiStepLR", {"milestones": [30, 80], "gamma": 0.1}, multi_step(), "multi-step decay"),
    ("MultiStepLR", {"milestones": [50], "gamma": 0.1}, multi_step(milestones=(50,)), "step decay"),
    ("ExponentialLR", {"gamma": 0.95}, exponential(), "exponential decay"),
    ("PolynomialLR", {"total_iters": 100, "power": 1.0}, polynomial(n=101, power=1.0), "linear decay"),
    ("PolynomialLR", {"total_iters": 100, "power": 2.0}, polynomial(), "polynomial decay"),
    ("CosineAnnealingLR", {"T_max": 50}, cosine(n=100, t_max=50), "cosine annealing"),
    ("CosineAnnealingWarmRestarts", {"T_0": 10, "T_mult": 2}, warm_restarts(), "cosine with restarts"),
    ("CosineAnnealingWarmRestarts", {"T_0": 100}, cosine(n=50, t_max=100), "cosine annealing"),  # no restart yet
    ("LinearLR", {"start_factor": 0.1, "end_factor": 1.0, "total_iters": 5},
     [B * (0.1 + 0.9 * min(t, 5) / 5) for t in range(20)], "warm-up then constant"),
    ("OneCycleLR", {"max_lr": 0.1, "total_steps": 100}, one_cycle(), "one-cycle"),
    ("OneCycleLR", {"max_lr": 0.1, "total_steps": 1000}, one_cycle(total=1000)[:10], "one-cycle"),
    ("CyclicLR", {"mode": "triangular2"}, cyclic(mode="triangular2"), "cyclical (triangular2)"),
    ("CyclicLR", {"mode": "exp_range", "gamma": 0.99}, cyclic(n=15, mode="exp_range", gamma=0.99),
     "cyclical (exp_range)"),  # shorter than a cycle: the class decides
    ("ReduceLROnPlateau", {"factor": 0.1, "patience": 10}, plateau_never_improves(), "plateau-driven"),
    ("ReduceLROnPlateau", {}, [], "plateau-driven"),
    ("SequentialLR", {}, warmup_cosine(), "warm-up then cosine annealing"),
    ("SequentialLR", {"schedulers": ["torch.optim.lr_scheduler.LinearLR",
                                     "torch.optim.lr_scheduler.CosineAnnealingLR"]}, [],
     "warm-up then cosine annealing"),
    ("LambdaLR", {}, cosine(), "cosine annealing"),
    ("StepLR", {"step_size": 30}, [], "step decay"),  # no curve: the class alone
]


@pytest.mark.parametrize("cls,args,lr,expected", WITH_CLASS,
                         ids=[f"{c[0]}-{i}" for i, c in enumerate(WITH_CLASS)])
def test_classify_with_class_hint(cls: str, args: dict, lr: list[float], expected: str) -> None:
    assert classify(lr, TORCH + cls, args) == expected


@pytest.mark.parametrize("cls,args,lr,expected", [
    ("transformers.get_linear_schedule_with_warmup", {"num_warmup_steps": 100}, hf_linear(),
     "warm-up then linear decay"),
    ("transformers.get_linear_schedule_with_warmup", {"num_warmup_steps": 0},
     [B * (1000 - t) / 1000 for t in range(1000)], "linear decay"),
    ("transformers.get_scheduler", {"name": "cosine"}, [], "warm-up then cosine annealing"),
    ("keras.optimizers.schedules.ExponentialDecay", {"decay_rate": 0.5, "staircase": True},
     [B * 0.5 ** (t // 10) for t in range(50)], "step decay"),
    ("keras.optimizers.schedules.PiecewiseConstantDecay", {"values": [0.1, 0.01, 0.001]},
     multi_step(milestones=(30, 80)), "multi-step decay"),
])
def test_classify_other_frameworks(cls: str, args: dict, lr: list[float], expected: str) -> None:
    assert classify(lr, cls, args) == expected


def test_every_answer_is_in_the_vocabulary() -> None:
    for _, lr, _ in CURVE_ONLY:
        assert classify(lr, NO_HINT) in SHAPES
    assert "warm-up then cosine annealing" in SHAPES and "plateau-driven" in SHAPES


def test_classify_sampled_curves_uses_steps() -> None:
    dense = cosine(n=100001, t_max=100000)
    steps = list(range(0, 100001, 1000))
    assert classify([dense[i] for i in steps], NO_HINT, steps=steps) == "cosine annealing"
    stairs = step_lr(n=1000, size=300)
    steps = list(range(0, 1000, 10))
    assert classify([stairs[i] for i in steps], NO_HINT, steps=steps) == "step decay"


# ----------------------------------------------------------------------------------------- summarize


def test_summary_of_step_decay() -> None:
    s = summarize(step_lr())
    assert (s.initial, s.peak, s.peak_at, s.warmup_steps) == (0.1, 0.1, 0, 0)
    assert s.final == pytest.approx(0.001) and s.minimum == pytest.approx(0.001)
    assert s.final_ratio == pytest.approx(0.01)
    assert [d.at for d in s.drops] == [30, 60]
    assert s.drops[0].before == pytest.approx(0.1) and s.drops[0].after == pytest.approx(0.01)
    assert s.below_10pct_at == 60 and s.below_1pct_at is None
    assert s.rises == () and s.zero_at is None and not s.negative


def test_smooth_decays_have_no_drops() -> None:
    for lr in (exponential(gamma=0.5), cosine(n=11, t_max=10), polynomial(n=8, total=5), one_cycle()):
        assert summarize(lr).drops == ()


def test_adjacent_milestones_are_two_drops() -> None:
    s = summarize(multi_step(n=20, milestones=(5, 6)))
    assert [(d.at, round(d.after, 6)) for d in s.drops] == [(5, 0.01), (6, 0.001)]


def test_drops_inside_a_smooth_decay_are_found() -> None:
    lr = [B * 0.1 ** (t // 30) * 0.97 ** t for t in range(100)]  # StepLR chained with ExponentialLR
    assert [d.at for d in summarize(lr).drops] == [30, 60, 90]


def test_summary_of_warmup_cosine() -> None:
    s = summarize(warmup_cosine())
    assert s.initial == pytest.approx(0.01) and s.peak == pytest.approx(0.1)
    assert s.peak_at == 5 and s.warmup_steps == 5
    assert s.rises == () and s.drops == ()
    assert s.below_10pct_at is not None and s.below_10pct_at > 5


def test_summary_of_cosine_past_t_max() -> None:
    s = summarize(cosine(n=100, t_max=50))
    assert s.zero_at == 50
    assert len(s.rises) == 1
    rise = s.rises[0]
    assert (rise.start, rise.end) == (51, 99)
    assert rise.before == pytest.approx(0.0) and rise.after == pytest.approx(cosine(n=100, t_max=50)[99])


def test_summary_of_restarts_and_cycles() -> None:
    s = summarize(warm_restarts())
    assert [(r.start, r.end) for r in s.rises] == [(10, 10), (30, 30)]
    assert s.below_10pct_at == 8 and s.below_1pct_at == 29
    c = summarize(cyclic())
    assert c.warmup_steps == 10 and c.peak_at == 10
    assert [(r.start, r.end) for r in c.rises] == [(21, 30), (41, 50)]


def test_summary_of_one_cycle() -> None:
    s = summarize(one_cycle())
    assert s.initial == pytest.approx(0.004) and s.peak == pytest.approx(0.1)
    assert s.warmup_steps == 29 and s.peak_at == 29
    assert s.final == pytest.approx(4e-7)
    assert s.below_1pct_at is not None and s.below_10pct_at < s.below_1pct_at


def test_summary_zero_and_negative() -> None:
    s = summarize([B * (1 - t / 50) for t in range(60)])
    assert s.zero_at == 50 and s.negative and s.minimum == pytest.approx(-0.018)
    hf = summarize(hf_linear(n=200, warm=20))
    assert hf.initial == 0 and hf.final_ratio is None and hf.zero_at is None  # the warm-up start does not count


def test_summary_with_sampled_steps() -> None:
    steps = [0, 100, 200, 300, 400]
    s = summarize([0.0, 0.05, 0.1, 0.005, 0.005], steps)
    assert s.warmup_steps == 200 and s.peak_at == 200
    assert [d.at for d in s.drops] == [300]
    assert s.below_10pct_at == 300


def test_summary_of_tiny_curves() -> None:
    empty = summarize([])
    assert (empty.initial, empty.peak, empty.final, empty.warmup_steps, empty.final_ratio) == (0, 0, 0, 0, None)
    one = summarize([0.1])
    assert (one.initial, one.peak, one.peak_at, one.final, one.final_ratio) == (0.1, 0.1, 0, 0.1, 1.0)
    two = summarize([0.1, 0.01])
    assert [d.at for d in two.drops] == [1] and two.below_10pct_at is None and two.below_1pct_at is None
    up = summarize([0.0, 0.1])
    assert up.warmup_steps == 1 and up.peak_at == 1 and up.zero_at is None


def test_float_noise_is_not_a_rise() -> None:
    lr = [0.1, 0.1 * (1 + 1e-14), 0.1, 0.05]
    assert summarize(lr).rises == ()


def test_mismatched_steps_are_rejected() -> None:
    with pytest.raises(ValueError):
        summarize([0.1, 0.1], [0])


def test_step_up_then_step_down_is_not_one_cycle() -> None:
    lr = [0.1] * 3 + [0.2] * 3 + [0.05] * 3
    assert classify(lr, NO_HINT) == "warm-up then step decay"


def test_known_wrappers_are_accepted_as_arguments() -> None:
    from lraudit.facts import Known, Unknown

    assert classify([0.1] * 5, TORCH + "StepLR", {"gamma": Known(1.0, "literal")}) == "constant"
    assert classify([], TORCH + "StepLR", {"gamma": Unknown("from a config")}) == "step decay"
