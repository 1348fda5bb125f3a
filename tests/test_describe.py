"""Plain-words explanations, number formatting and the milestones table."""

from __future__ import annotations

import math
import re
from typing import Any

import pytest

from dataclasses import replace

from lraudit.describe import explain, fmt_lr, milestones
from lraudit.facts import Known, Location, SchedulerFact, Unknown, Value
from lraudit.results import Curve

B = 0.1
TORCH = "torch.optim.lr_scheduler."
HORIZON = "90 epochs from range(90) in the epoch loop at train.py:40"


def fact(cls: str, stepped: str = "epoch", framework: str = "torch", **args: Any) -> SchedulerFact:
    values: dict[str, Value] = {
        k: v if isinstance(v, (Known, Unknown)) else Known(v, "literal") for k, v in args.items()
    }
    return SchedulerFact(
        id="sched1", cls=cls if ":" in cls or "." in cls else TORCH + cls,
        framework=framework,  # type: ignore[arg-type]
        loc=Location(10, 1, 10, 40), variable="scheduler", optimizer="opt1", optimizer_reason=None, args=values,
        stepped=stepped, unit="epoch" if stepped == "epoch" else "step",  # type: ignore[arg-type]
    )


def curve(lr: list[float], unit: str = "epoch", source: str = HORIZON, **kw: Any) -> Curve:
    return Curve(tuple(lr), None, len(lr), source, unit, **kw)  # type: ignore[arg-type]


def sentences(text: str) -> int:
    return len(re.findall(r"[.!?](?=\s+[A-Z]|$)", text))


def cosine(n: int, t_max: int, eta_min: float = 0.0) -> list[float]:
    return [eta_min + (B - eta_min) * (1 + math.cos(math.pi * t / t_max)) / 2 for t in range(n)]


def one_cycle(total: int = 100, max_lr: float = 0.1) -> list[float]:
    init, e1, e2 = max_lr / 25, 0.3 * total - 1, total - 1
    low = init / 1e4
    out = []
    for t in range(total):
        s, e, a, b = (0, e1, init, max_lr) if t <= e1 else (e1, e2, max_lr, low)
        out.append(b + (a - b) / 2 * (1 + math.cos(math.pi * (t - s) / (e - s))))
    return out


def check_paragraph(text: str) -> None:
    assert 2 <= sentences(text) <= 5, text
    assert "\n" not in text


# ------------------------------------------------------------------------------------------- fmt_lr


@pytest.mark.parametrize("x,expected", [
    (0.1, "0.1"), (0.01, "0.01"), (1e-05, "1e-05"), (0.000123, "0.000123"), (2.5e-4, "0.00025"),
    (0.1 * 0.1, "0.01"), (0.30000000000000004, "0.3"), (-0.002, "-0.002"), (0.0, "0"), (-0.0, "0"),
    (3.0, "3"), (4e-07, "4e-07"), (0.004, "0.004"), (math.nan, "nan"), (math.inf, "inf"),
])
def test_fmt_lr(x: float, expected: str) -> None:
    assert fmt_lr(x) == expected


# ------------------------------------------------------------------------------------------ explain


def test_step_decay_lists_each_phase() -> None:
    lr = [B * 0.1 ** (t // 30) for t in range(90)]
    text = explain(fact("StepLR", step_size=30, gamma=0.1), curve(lr), optimizer_lr_text="0.1")
    assert "0.1 for epochs 0\u201329, then 0.01 until epoch 59, then 0.001 until epoch 89" in text
    assert "finer" in text  # the intent: big steps early, finer later
    assert "Horizon" not in text and HORIZON not in text  # explain and the notes print it on its own line
    check_paragraph(text)


def test_many_drops_are_summarised() -> None:
    lr = [B * 0.5 ** (t // 2) for t in range(40)]
    text = explain(fact("StepLR", step_size=2, gamma=0.5), curve(lr), optimizer_lr_text=None)
    assert "cut 19 times" in text and "multiplied by 0.5 each time" in text and "every 2 epochs" in text
    check_paragraph(text)


def test_cosine_past_t_max_is_a_surprise() -> None:
    text = explain(fact("CosineAnnealingLR", T_max=50, eta_min=0.0), curve(cosine(100, 50)),
                   optimizer_lr_text="0.1")
    assert "starts at 0.1 and follows half a cosine down to 0 by epoch 50" in text
    assert "rises again after epoch 50 because T_max=50 but the loop runs 100 epochs" in text
    check_paragraph(text)


def test_full_cosine() -> None:
    text = explain(fact("CosineAnnealingLR", T_max=99), curve(cosine(100, 99)), optimizer_lr_text="0.1")
    assert "starts at 0.1 and follows half a cosine down to 0 by epoch 99" in text
    assert "rises again" not in text


def test_cosine_longer_than_the_run() -> None:
    text = explain(fact("CosineAnnealingLR", T_max=200), curve(cosine(100, 200)), optimizer_lr_text=None)
    assert "never finishes: T_max=200 but the loop runs 100 epochs" in text
    assert "0.0507854" in text


def test_milestones_after_the_end() -> None:
    text = explain(fact("MultiStepLR", milestones=[100, 150], gamma=0.1), curve([B] * 90),
                   optimizer_lr_text="0.1")
    assert "stays at 0.1 for the whole run" in text
    assert "never changes the rate in this run: all milestones ([100, 150]) are after the last epoch (89)" in text
    check_paragraph(text)


def test_step_size_longer_than_the_run() -> None:
    text = explain(fact("StepLR", step_size=100), curve([B] * 90), optimizer_lr_text="0.1")
    assert "step_size=100 but the run has only 90 epochs" in text


def test_one_cycle_ignores_the_optimizer_lr_and_torch_raises() -> None:
    lr = one_cycle()
    c = curve(lr, unit="step", source="100 steps from OneCycleLR's total_steps", stops_at=101,
              stop_reason="Tried to step 101 times. The specified number of total steps is 100")
    text = explain(fact("OneCycleLR", stepped="batch", max_lr=0.1, total_steps=100), c, optimizer_lr_text="0.1")
    assert "rises from 0.004 to 0.1 over the first 29 steps, then anneals down to 4e-07 by step 99" in text
    assert "OneCycleLR ignores the optimizer's lr=0.1 and starts at max_lr/div_factor = 0.004" in text
    assert "torch raises after step 101" in text
    assert "super-convergence" in text
    assert "epoch" not in text  # stepped per batch: lengths are in steps
    check_paragraph(text)


def test_one_cycle_with_the_same_lr_is_not_a_surprise() -> None:
    text = explain(fact("OneCycleLR", stepped="batch", max_lr=0.1, total_steps=100), curve(one_cycle(), "step"),
                   optimizer_lr_text="0.004")
    assert "ignores" not in text


def test_warmup_then_cosine_per_batch() -> None:
    lr = [B * (0.1 + 0.9 * t / 5) if t < 5 else B * (1 + math.cos(math.pi * (t - 5) / 95)) / 2 for t in range(101)]
    text = explain(fact("SequentialLR", stepped="batch"), curve(lr, unit="step", source="101 steps from --steps 101"),
                   optimizer_lr_text="0.1")
    assert "rises from 0.01 to 0.1 over 5 steps, then follows half a cosine down to 0 by step 100" in text
    assert "warm-up" in text and "stabilises" in text
    assert "Horizon" not in text
    check_paragraph(text)


def test_warm_restarts() -> None:
    lr = []
    for t in range(70):
        ti, cur = 10, t
        while cur >= ti:
            cur -= ti
            ti *= 2
        lr.append(B * (1 + math.cos(math.pi * cur / ti)) / 2)
    text = explain(fact("CosineAnnealingWarmRestarts", T_0=10, T_mult=2, eta_min=0.0), curve(lr),
                   optimizer_lr_text="0.1")
    assert "down toward eta_min=0 and restarts (jumps back up) at epochs 10 and 30" in text
    assert "sharp minima" in text
    check_paragraph(text)


def test_cyclic_triangular2() -> None:
    lr = []
    for t in range(60):
        cycle = math.floor(1 + t / 20)
        x = 1 + t / 20 - cycle
        s = x / 0.5 if x <= 0.5 else (x - 1) / -0.5
        lr.append(0.001 + 0.005 * s / 2 ** (cycle - 1))
    f = fact("CyclicLR", stepped="batch", base_lr=0.001, max_lr=0.006, step_size_up=10, mode="triangular2")
    text = explain(f, curve(lr, unit="step"), optimizer_lr_text="0.1")
    assert "cycles between 0.001 and 0.006: up over 10 steps, down over 10 steps (one cycle every 20 steps)" in text
    assert "half the previous one" in text
    assert "CyclicLR ignores the optimizer's lr=0.1 and starts at base_lr = 0.001" in text
    check_paragraph(text)


def test_exponential_and_increasing() -> None:
    text = explain(fact("ExponentialLR", gamma=0.95), curve([B * 0.95 ** t for t in range(50)]),
                   optimizer_lr_text="0.1")
    assert "starts at 0.1 and is multiplied by 0.95 every epoch, reaching 0.00809947 by epoch 49" in text
    up = explain(fact("ExponentialLR", gamma=1.05), curve([B * 1.05 ** t for t in range(50)]),
                 optimizer_lr_text="0.1")
    assert "rises from 0.1 to 1.09213 by epoch 49" in up and "gamma=1.05 above 1" in up


def test_negative_and_zero_rates() -> None:
    neg = explain(fact("LambdaLR"), curve([B * (1 - t / 50) for t in range(60)]), optimizer_lr_text="0.1")
    assert "becomes negative at epoch 51 (-0.002)" in neg
    poly = explain(fact("PolynomialLR", total_iters=50, power=2.0),
                   curve([B * (1 - min(t, 50) / 50) ** 2 for t in range(100)]), optimizer_lr_text="0.1")
    assert "decays polynomially (power 2) from 0.1 to 0 by epoch 50 and stays there until epoch 99" in poly
    assert "0 from epoch 50 on, so the last 50 epochs do not change the weights" in poly


def test_plateau_rule_and_assumption() -> None:
    lr, cur = [], B
    for t in range(60):
        if t and t % 11 == 0:
            cur = max(cur * 0.1, 1e-6)
        lr.append(cur)
    f = fact("ReduceLROnPlateau", mode="min", factor=0.1, patience=10, threshold=1e-4, threshold_mode="rel",
             cooldown=0, min_lr=1e-6)
    text = explain(f, curve(lr, assumption="assuming the monitored metric never improves"), optimizer_lr_text="0.1")
    assert "ReduceLROnPlateau watches the metric passed to step() (lower is better, mode='min')" in text
    assert "factor=0.1" in text and "patience=10" in text and "11 epochs in a row" in text
    assert "relative threshold of 0.0001" in text and "min_lr=1e-06" in text
    assert "If the metric never improves, the rate is cut 10x every 11 epochs (first at epoch 11)" in text
    assert "progress stalls" in text
    check_paragraph(text)


def test_other_assumptions_are_stated() -> None:
    text = explain(fact("StepLR", step_size=30), curve([B * 0.1 ** (t // 30) for t in range(90)],
                                                       assumption="simulated together with ExponentialLR"),
                   optimizer_lr_text=None)
    assert "Assumption: simulated together with ExponentialLR." in text
    check_paragraph(text)


def test_unknown_curve_says_what_is_known_and_why() -> None:
    f = fact("MultiStepLR", milestones=Unknown("config.yaml: sched.milestones is missing"), gamma=0.1)
    c = Curve(None, None, 90, HORIZON, "epoch", error="milestones is unknown: config.yaml: sched.milestones is missing")
    text = explain(f, c, optimizer_lr_text="0.1")
    assert "MultiStepLR multiplies the rate by gamma at each milestone" in text
    assert "known: gamma=0.1" in text.lower()
    assert "The curve is unknown (milestones is unknown: config.yaml: sched.milestones is missing)" in text
    assert text.count("sched.milestones is missing") == 1  # the reason is not repeated
    assert "stepped once per epoch" in text and HORIZON not in text
    check_paragraph(text)


def test_unknown_curve_lists_stated_arguments_before_defaults() -> None:
    f = fact("OneCycleLR", stepped="batch", max_lr=0.4, epochs=30,
             steps_per_epoch=Unknown("len(train_loader) depends on the data"),
             div_factor=Known(25.0, "torch default"), total_steps=Known(None, "torch default"))
    c = Curve(None, None, 100, "assumed 100 steps", "step", error="steps_per_epoch is unknown: something else")
    text = explain(f, c, optimizer_lr_text="0.1")
    assert text.startswith("OneCycleLR: the one-cycle policy")
    assert "Known: max_lr=0.4, epochs=30; unknown: steps_per_epoch (len(train_loader) depends on the data)" in text
    assert "div_factor" not in text and "None" not in text
    assert "stepped once per batch" in text


def test_unknown_plateau_explains_the_rule() -> None:
    f = fact("ReduceLROnPlateau", mode="max", factor=0.5, patience=Unknown("from args.patience"))
    text = explain(f, Curve(None, None, 90, HORIZON, "epoch", error="patience is unknown"), optimizer_lr_text=None)
    assert "higher is better, mode='max'" in text and "factor=0.5" in text
    assert "patience (from args.patience)" in text


def test_custom_scheduler_without_curve() -> None:
    f = fact("custom:WarmupCosine")
    text = explain(f, Curve(None, None, 0, "", "epoch", error="custom scheduler: its get_lr() is not simulated"),
                   optimizer_lr_text=None)
    assert text.startswith("WarmupCosine is a custom scheduler.")
    assert "get_lr() is not simulated" in text and "horizon" not in text.lower()


def test_never_stepped() -> None:
    text = explain(fact("StepLR", stepped="never", step_size=30), curve([B] * 90), optimizer_lr_text="0.1")
    assert "never calls step()" in text


def test_tiny_curves_do_not_break() -> None:
    for lr in ([0.1], [0.1, 0.01], [0.0, 0.1]):
        text = explain(fact("LambdaLR"), curve(lr), optimizer_lr_text=None)
        check_paragraph(text)


# ------------------------------------------------------------------------------------------- table


def test_milestones_of_step_decay() -> None:
    rows = milestones(curve([B * 0.1 ** (t // 30) for t in range(90)]), "epoch")
    assert rows == [
        ("start", "epoch 0", "0.1"),
        ("drop (x0.1)", "epoch 30", "0.01"),
        ("drop (x0.1)", "epoch 60", "0.001"),
        ("below 10% of peak", "epoch 60", "0.001"),
        ("end", "epoch 89", "0.001"),
    ]


def test_milestones_of_warmup_restarts_and_stop() -> None:
    lr = [B * t / 10 for t in range(10)] + [B * (1 + math.cos(math.pi * (t % 20) / 20)) / 2 for t in range(50)]
    rows = milestones(curve(lr, unit="step", stops_at=60, stop_reason="x"), "batch")
    whats = [r[0] for r in rows]
    assert whats[0] == "start" and whats[-2:] == ["end", "the library raises"]
    assert ("end of warm-up (peak)", "step 10", "0.1") in rows
    assert [r for r in rows if r[0] == "restart"] == [("restart", "step 30", "0.1"), ("restart", "step 50", "0.1")]
    assert ("the library raises", "step 60", "\u2014") in rows
    assert any(r[0] == "below 1% of peak" for r in rows)


def test_milestones_of_unknown_curve() -> None:
    assert milestones(Curve(None, None, 10, "", "epoch", error="x"), "epoch") == []


def test_warmup_from_zero_uses_the_minimum_after_the_peak() -> None:
    lr = [B * (t / 100 if t < 100 else (1000 - t) / 900) for t in range(1000)]
    f = fact("transformers.get_linear_schedule_with_warmup", stepped="batch", framework="hf",
             num_warmup_steps=100, num_training_steps=1000)
    text = explain(f, curve(lr, unit="step", source="1000 steps from num_training_steps"), optimizer_lr_text="0.1")
    assert "rises from 0 to 0.1 over 100 steps, then falls linearly to 0.000111111 by step 999" in text
    assert "The first step runs with a rate of 0" in text
    check_paragraph(text)


def test_sampled_curve_reports_steps() -> None:
    steps = list(range(0, 100_001, 1000))
    lr = [B * (1 + math.cos(math.pi * k / 100_000)) / 2 for k in steps]
    c = Curve(tuple(lr), tuple(steps), 100_001, "100001 steps from max_steps", "step")
    text = explain(fact("CosineAnnealingLR", stepped="batch", T_max=100_000), c, optimizer_lr_text="0.1")
    assert "starts at 0.1 and follows half a cosine down to 0 by step 100000" in text
    rows = milestones(c, "step")
    assert rows[0] == ("start", "step 0", "0.1") and rows[-1] == ("end", "step 100000", "0")


def test_drop_count_beyond_the_summary_cap() -> None:
    lr = [B * 0.5 ** (t // 2) for t in range(600)]
    text = explain(fact("StepLR", step_size=2, gamma=0.5), curve(lr), optimizer_lr_text=None)
    assert "cut at least 100 times" in text


def test_plateau_names_the_metric_given_to_step() -> None:
    from lraudit.facts import StepSite

    site = StepSite(target="sched1", kind="scheduler", method="step", loc=Location(60, 9, 60, 30), context="epoch",
                    loop_id="loop1", order=(3,), arg_text="val_acc", arg_kind="metric")
    f = fact("ReduceLROnPlateau", mode="max", factor=0.2, patience=3)
    f = SchedulerFact(**{**f.__dict__, "step_sites": (site,)})
    text = explain(f, curve([B] * 5 + [B * 0.2] * 5), optimizer_lr_text=None)
    assert text.startswith("ReduceLROnPlateau watches val_acc (the metric passed to step(); higher is better")


def test_one_cycle_stepped_per_epoch_never_leaves_its_warmup() -> None:
    lr = one_cycle(total=2500, max_lr=0.003)[:25]
    f = fact("OneCycleLR", max_lr=0.003, epochs=25, steps_per_epoch=Unknown("len(loader) depends on the data"))
    text = explain(f, curve(lr, source="25 epochs from the epoch loop"), optimizer_lr_text="0.003")
    assert "only rises, from 0.00012 to" in text and "by epoch 24" in text
    assert "never leaves its warm-up in this run" in text
    check_paragraph(text)


def test_a_sentence_never_starts_with_a_capitalised_identifier() -> None:
    f = fact("get_linear_schedule_with_warmup", num_warmup_steps=10, num_training_steps=Unknown("from a config"))
    f = replace(f, cls="transformers.get_linear_schedule_with_warmup", framework="hf")
    text = explain(f, Curve(None, None, 0, "", "step", error="num_training_steps is unknown"), optimizer_lr_text="2e-05")
    assert text.startswith("`get_linear_schedule_with_warmup`: ") and "Get_linear" not in text


def test_a_curve_unknown_only_because_of_a_run_time_size_still_has_its_shape() -> None:
    f = fact("get_linear_schedule_with_warmup", num_warmup_steps=100,
             num_training_steps=Unknown("len(train_dataloader) depends on the data, which the script does not state"))
    f = replace(f, cls="transformers.get_linear_schedule_with_warmup", framework="hf", stepped="batch",
                sizes={"num_training_steps": "3 x len(train_dataloader)"})
    c = Curve(None, None, 300, "assumed 300 steps: 3 epochs x an assumed 100 batches per epoch (the script does not "
              "state len(loader))", "step", error="num_training_steps is unknown")
    text = explain(f, c, optimizer_lr_text="2e-05")
    assert text.startswith("The learning rate rises from 0 to 2e-05 over 100 steps, then falls linearly to 0 at the "
                           "last step of 3 epochs x len(train_dataloader).")
    assert "known only at run time" in text
    # not the run's length: the schedule's own, in terms of the size
    c2 = replace(c, horizon_source="assumed 500 steps: 5 epochs x an assumed 100 batches per epoch")
    assert "falls linearly to 0 after 3 x len(train_dataloader) steps" in explain(f, c2, optimizer_lr_text="2e-05")


def test_extraction_gives_run_time_sizes_in_terms_of_the_size() -> None:
    from lraudit.extract.build import extract
    from lraudit.parse import parse_source

    text = """import torch
from transformers import get_linear_schedule_with_warmup

model = torch.nn.Linear(2, 2)
optimizer = torch.optim.AdamW(model.parameters(), lr=2e-5)
num_epochs = 3
scheduler = get_linear_schedule_with_warmup(optimizer, num_warmup_steps=100,
                                            num_training_steps=num_epochs * len(train_dataloader) + 7)
for epoch in range(num_epochs):
    for batch in train_dataloader:
        optimizer.step()
        scheduler.step()
"""
    s = extract(parse_source(text), "train.py", text=text).facts.schedulers[0]
    assert s.sizes == {"num_training_steps": "3 x len(train_dataloader) + 7"}
    # not linear in the size: no symbolic form (floor division)
    s = extract(parse_source(text.replace("+ 7", "// 8")), "train.py", text=text.replace("+ 7", "// 8")).facts
    assert s.schedulers[0].sizes == {}


def test_explain_text_never_breaks_a_path_at_a_hyphen() -> None:
    from lraudit.render.explain_text import render_explain_text
    from lraudit.results import FileResult

    summary = ("The learning rate comes from a config at keras-team__keras-io/examples/vision/some-long-file-name.py "
               "which is resolved from cosine-decay-restarts in a very long sentence that will need wrapping.")
    r = FileResult(path="t.py", schedulers=[{"id": "sched1", "class": "torch.optim.lr_scheduler.StepLR", "line": 1,
                                              "variable": "s", "optimizer": None, "args": {}, "summary": summary}])
    out = render_explain_text([r], [])
    words = " ".join(out.split())
    assert "keras-team__keras-io/examples/vision/some-long-file-name.py" in words
    assert "cosine-decay-restarts" in words


@pytest.mark.parametrize("call,shape", [
    ('get_scheduler("linear", optimizer=optimizer, num_warmup_steps=100, num_training_steps={n})',
     "falls linearly to 0 at the last step of 3 epochs x len(train_dataloader)"),
    ('get_scheduler(name="cosine", optimizer=optimizer, num_warmup_steps=100, num_training_steps={n})',
     "follows half a cosine down to 0 at the last step of 3 epochs x len(train_dataloader)"),
    ("get_linear_schedule_with_warmup(optimizer, num_warmup_steps=100, num_training_steps={n})",
     "falls linearly to 0 at the last step of 3 epochs x len(train_dataloader)"),
    ("get_cosine_schedule_with_warmup(optimizer, num_warmup_steps=100, num_training_steps={n})",
     "follows half a cosine down to 0 at the last step of 3 epochs x len(train_dataloader)"),
])
def test_hf_schedules_sized_by_the_loader_are_worded_in_terms_of_it(call: str, shape: str) -> None:
    from lraudit.api import audit_source

    text = f"""import torch
from transformers import get_scheduler, get_linear_schedule_with_warmup, get_cosine_schedule_with_warmup

model = torch.nn.Linear(2, 2)
optimizer = torch.optim.AdamW(model.parameters(), lr=2e-5)
epochs = 3
scheduler = {call.format(n="len(train_dataloader) * epochs")}
for epoch in range(epochs):
    for batch in train_dataloader:
        optimizer.step()
        scheduler.step()
"""
    (s,) = audit_source(text, "train.py").schedulers
    words = " ".join(s["summary"].split())
    assert words.startswith("The learning rate rises from 0 to 2e-05 over 100 steps, then ")
    assert shape in words and "known only at run time" in words


def test_a_flat_stretch_before_the_decay_is_said() -> None:
    # CycleGAN: 1 - max(0, e - 100) / 100 over 200 epochs: flat for 101 epochs, then linear
    lr = [0.0002 * (1 - max(0, e - 100) / 100) for e in range(200)]
    text = explain(fact("LambdaLR"), curve(lr), optimizer_lr_text="0.0002")
    assert "stays at 0.0002 until epoch 100, then falls linearly to 2e-06 by epoch 199" in text
    check_paragraph(text)
    # warm-up, a hold at the peak, then cosine
    lr = [B * (t + 1) / 5 if t < 5 else B if t < 30 else B * (1 + math.cos(math.pi * (t - 30) / 69)) / 2
          for t in range(100)]
    text = explain(fact("LambdaLR"), curve(lr), optimizer_lr_text="0.1")
    assert "then stays at 0.1 until epoch 30, then follows half a cosine down to 0 by epoch 99" in text
    # a one-step flat start is not a hold worth mentioning
    text = explain(fact("CosineAnnealingLR", T_max=99), curve(cosine(100, 99)), optimizer_lr_text="0.1")
    assert "stays at" not in text
