"""Regressions from auditing public repositories: hand-written schedules that carry state, counters kept in a dict
or on ``self``, one-off conditional writes, and when a rate written at the end of a pass takes effect (notes/audit
A items 5 and 6, B items 6, 7 and 11).

Every curve is checked against what real torch does with the same loop (``_torch_lrs``): the rate in force at the
first optimizer step of each pass."""

from __future__ import annotations

import math
import textwrap
from typing import Any, Callable

import pytest
import torch

from lraudit.api import audit_source
from lraudit.results import FileResult


def _src(text: str) -> str:
    return textwrap.dedent(text).lstrip()


def _audit(text: str) -> FileResult:
    return audit_source(_src(text), "example.py")


def _manual(r: FileResult) -> list[dict[str, Any]]:
    return [s for s in r.schedulers if s["class"].startswith("manual:")]


def _codes(r: FileResult) -> list[str]:
    return [f.code for f in r.findings]


def _torch_lrs(lr: float, passes: int, before: Callable[[torch.optim.Optimizer, int], None] | None = None,
               after: Callable[[torch.optim.Optimizer, int], None] | None = None, steps: int = 2) -> list[float]:
    """Run a real torch optimizer: ``before(opt, k)`` at the top of pass k, ``steps`` optimizer steps, then
    ``after(opt, k)``; the rate each pass's steps used."""
    p = torch.nn.Parameter(torch.zeros(1))
    opt = torch.optim.SGD([p], lr=lr)
    used: list[float] = []
    for k in range(passes):
        if before is not None:
            before(opt, k)
        used.append(opt.param_groups[0]["lr"])
        for _ in range(steps):
            p.grad = torch.ones(1)
            opt.step()
        if after is not None:
            after(opt, k)
    return used


# ----------------------------------------------------------------------------- A5: decays that carry state
_EPOCHS = """
import torch

model = torch.nn.Linear(4, 2)
opt = torch.optim.SGD(model.parameters(), lr={lr})
curr_lr = {lr}


def update_lr(optimizer, lr):
    for param_group in optimizer.param_groups:
        param_group["lr"] = lr


for epoch in range({n}):
{top}    for i in range(10):
        opt.step()
{end}"""


def _loop(lr: float, n: int, top: str = "", end: str = "") -> str:
    def block(text: str) -> str:
        return textwrap.indent(textwrap.dedent(text).strip("\n"), "    ") + "\n" if text else ""

    return _EPOCHS.format(lr=lr, n=n, top=block(top), end=block(end))


def _milestones_end(opt: torch.optim.Optimizer, k: int) -> None:
    if k in (30, 60):
        for g in opt.param_groups:
            g["lr"] *= 0.1


def _tutorial_end(opt: torch.optim.Optimizer, k: int) -> None:
    if (k + 1) % 20 == 0:
        for g in opt.param_groups:
            g["lr"] = g["lr"] / 3


def _every_epoch_end(opt: torch.optim.Optimizer, k: int) -> None:
    for g in opt.param_groups:
        g["lr"] = g["lr"] * 0.97


def _modulo_top(opt: torch.optim.Optimizer, k: int) -> None:
    if k % 30 == 0:
        for g in opt.param_groups:
            g["lr"] *= 0.1


CARRIED = {
    # name: (loop text, expected curve from real torch)
    "milestones_aug_end": (_loop(0.1, 90, end="""
        if epoch in (30, 60):
            for g in opt.param_groups:
                g["lr"] *= 0.1
        """), _torch_lrs(0.1, 90, after=_milestones_end)),
    "tutorial_update_lr": (_loop(1e-3, 90, end="""
        if (epoch + 1) % 20 == 0:
            curr_lr /= 3
            update_lr(opt, curr_lr)
        """), _torch_lrs(1e-3, 90, after=_tutorial_end)),
    "accumulator_in_loop": (_loop(1e-3, 90, end="""
        if (epoch + 1) % 20 == 0:
            curr_lr /= 3
            for g in opt.param_groups:
                g["lr"] = curr_lr
        """), _torch_lrs(1e-3, 90, after=_tutorial_end)),
    "accumulator_written_every_epoch": (_loop(1e-3, 90, end="""
        if (epoch + 1) % 20 == 0:
            curr_lr = curr_lr / 3
        update_lr(opt, curr_lr)
        """), _torch_lrs(1e-3, 90, after=_tutorial_end)),
    "read_modify_write_end": (_loop(0.05, 60, end="""
        for g in opt.param_groups:
            g["lr"] = g["lr"] * 0.97
        """), _torch_lrs(0.05, 60, after=_every_epoch_end)),
    "modulo_aug_top": (_loop(0.1, 90, top="""
        if epoch % 30 == 0:
            for g in opt.param_groups:
                g["lr"] *= 0.1
        """), _torch_lrs(0.1, 90, before=_modulo_top)),
    "index_aug_top": (_loop(0.1, 90, top="""
        if epoch % 30 == 0:
            opt.param_groups[0]["lr"] *= 0.1
        """), _torch_lrs(0.1, 90, before=_modulo_top)),
}


@pytest.mark.parametrize("name", sorted(CARRIED))
def test_carried_decay_matches_torch(name: str) -> None:
    text, expected = CARRIED[name]
    r = audit_source(text, "example.py")
    (m,) = _manual(r)
    assert (m["optimizer"], m["stepped"]) == ("opt1", "epoch")
    assert m["lr"] == pytest.approx(expected, rel=1e-9)
    assert _codes(r) == []


def test_carried_decay_exact_values() -> None:
    """The values by hand (A item 5): x0.1 after epochs 30 and 60; /3 after epochs 19, 39, 59, 79; 0.05 * 0.97^k."""
    r = audit_source(CARRIED["milestones_aug_end"][0], "example.py")
    lr = _manual(r)[0]["lr"]
    assert lr[30] == pytest.approx(0.1) and lr[31] == pytest.approx(0.01) and lr[61] == pytest.approx(0.001)
    assert lr[60] == pytest.approx(0.01)
    lr = _manual(audit_source(CARRIED["tutorial_update_lr"][0], "example.py"))[0]["lr"]
    assert [lr[19], lr[20], lr[40], lr[60], lr[80]] == pytest.approx([1e-3, 1e-3 / 3, 1e-3 / 9, 1e-3 / 27, 1e-3 / 81])
    lr = _manual(audit_source(CARRIED["read_modify_write_end"][0], "example.py"))[0]["lr"]
    assert lr[:3] == pytest.approx([0.05, 0.0485, 0.047045])
    assert lr[59] == pytest.approx(0.05 * 0.97 ** 59)


def test_repro_three_optimizers() -> None:
    """A repro_4: three optimizers, three schedules, none missed."""
    r = _audit("""
        import torch

        model = torch.nn.Linear(4, 2)
        opt_a = torch.optim.SGD(model.parameters(), lr=0.1)
        opt_b = torch.optim.Adam(model.parameters(), lr=1e-3)
        opt_c = torch.optim.SGD(model.parameters(), lr=0.05)
        curr_lr = 1e-3

        for epoch in range(90):
            for i in range(100):
                opt_a.step()
                opt_b.step()
                opt_c.step()
            if epoch in (30, 60):
                for g in opt_a.param_groups:
                    g["lr"] *= 0.1
            if (epoch + 1) % 20 == 0:
                curr_lr /= 3
                for g in opt_b.param_groups:
                    g["lr"] = curr_lr
            for g in opt_c.param_groups:
                g["lr"] = g["lr"] * 0.97
    """)
    by_opt = {m["optimizer"]: m["lr"] for m in _manual(r)}
    assert sorted(by_opt) == ["opt1", "opt2", "opt3"]
    assert by_opt["opt1"] == pytest.approx(_torch_lrs(0.1, 90, after=_milestones_end))
    assert by_opt["opt2"] == pytest.approx(_torch_lrs(1e-3, 90, after=_tutorial_end))
    assert by_opt["opt3"] == pytest.approx(_torch_lrs(0.05, 90, after=_every_epoch_end))
    assert _codes(r) == []


def test_per_batch_decay_before_the_step() -> None:
    r = _audit("""
        import torch

        model = torch.nn.Linear(4, 2)
        opt = torch.optim.SGD(model.parameters(), lr=0.1)
        train_loader = [torch.randn(2, 4) for _ in range(50)]
        for epoch in range(3):
            for i, x in enumerate(train_loader):
                for g in opt.param_groups:
                    g["lr"] *= 0.99
                opt.step()
    """)
    (m,) = _manual(r)
    assert m["stepped"] == "batch"
    assert len(m["lr"]) == 150  # 3 epochs x the 50 batches of the list (its length is known, not its elements)
    expected = _torch_lrs(0.1, 150, before=lambda o, k: [g.__setitem__("lr", g["lr"] * 0.99) for g in o.param_groups],
                          steps=1)
    assert m["lr"] == pytest.approx(expected, rel=1e-9)
    assert m["lr"][0] == pytest.approx(0.099)


def test_competing_scheduler_and_carried_decay_is_lr301() -> None:
    text = """
        import torch

        model = torch.nn.Linear(4, 2)
        opt = torch.optim.SGD(model.parameters(), lr=0.1)
        sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=90)
        for epoch in range(90):
            for i in range(10):
                opt.step()
            sched.step()
            if epoch in (30, 60):
                for g in opt.param_groups:
                    g["lr"] *= 0.1
    """
    r = _audit(text)
    assert "LR301" in _codes(r)
    lr301 = next(f for f in r.findings if f.code == "LR301")
    assert 'g["lr"] * 0.1' in lr301.message
    # the stateless spelling already got LR301; both spellings now agree
    r2 = _audit(text.replace('g["lr"] *= 0.1', 'g["lr"] = 0.1 * 0.1 ** (epoch // 30)'))
    assert "LR301" in _codes(r2)


def test_metric_driven_carried_decay_is_reported_unknown_with_a_reason() -> None:
    r = _audit("""
        import sys
        import torch

        model = torch.nn.Linear(4, 2)
        opt = torch.optim.SGD(model.parameters(), lr=0.1)
        best = 1e9
        for epoch in range(20):
            for i in range(10):
                opt.step()
            val_loss = float(sys.argv[1])
            if val_loss > best:
                for g in opt.param_groups:
                    g["lr"] *= 0.5
            best = min(best, val_loss)
    """)
    (m,) = _manual(r)
    assert m.get("lr") is None
    text = r.schedulers[0]["summary"]
    assert "val_loss" in text and "unknown" in text
    assert _codes(r) == []


def test_constant_restore_without_a_time_condition_is_not_a_schedule() -> None:
    r = _audit("""
        import sys
        import torch

        model = torch.nn.Linear(4, 2)
        opt = torch.optim.SGD(model.parameters(), lr=0.1)
        for epoch in range(20):
            if sys.argv[1] == "resume":
                opt.param_groups[0]["lr"] = 0.01
            for i in range(10):
                opt.step()
    """)
    assert _manual(r) == []


def test_accumulator_written_at_other_times_is_not_guessed() -> None:
    """The value changes every 20 epochs but is written only every 10: lraudit says so instead of drawing it."""
    r = audit_source(_loop(1e-3, 60, end="""
        if (epoch + 1) % 20 == 0:
            curr_lr /= 3
        if epoch % 10 == 0:
            update_lr(opt, curr_lr)
        """), "example.py")
    assert all(m.get("lr") is None for m in _manual(r))


# ----------------------------------------------------------------------------- A6 / B7: counters on self or in a dict
_COUNTER = """
import math

import torch

BASE_LR, WARMUP, MAX_ITERS = 6e-4, 200, 2_000
model = torch.nn.Linear(4, 2)
optimizer = torch.optim.AdamW(model.parameters(), lr=BASE_LR)


def get_lr(it):
    if it < WARMUP:
        return BASE_LR * it / WARMUP
    return 0.5 * BASE_LR * (1 + math.cos(math.pi * (it - WARMUP) / (MAX_ITERS - WARMUP)))


def fit(state):
    while state["iter_num"] < MAX_ITERS:
        lr = get_lr(state["iter_num"])
        for g in optimizer.param_groups:
            g["lr"] = lr
        optimizer.step()
        state["iter_num"] += 1


fit({"iter_num": 0})
"""

_LOCAL = """
import math

import torch

BASE_LR, WARMUP, MAX_ITERS = 6e-4, 200, 2_000
model = torch.nn.Linear(4, 2)
optimizer = torch.optim.AdamW(model.parameters(), lr=BASE_LR)


def get_lr(it):
    if it < WARMUP:
        return BASE_LR * it / WARMUP
    return 0.5 * BASE_LR * (1 + math.cos(math.pi * (it - WARMUP) / (MAX_ITERS - WARMUP)))


it = 0
while it < MAX_ITERS:
    lr = get_lr(it)
    for g in optimizer.param_groups:
        g["lr"] = lr
    optimizer.step()
    it += 1
"""


def _nanogpt(it: int) -> float:
    if it < 200:
        return 6e-4 * it / 200
    return 0.5 * 6e-4 * (1 + math.cos(math.pi * (it - 200) / (2_000 - 200)))


@pytest.mark.parametrize("text", [_COUNTER, _COUNTER.replace('state["iter_num"]', "state['iter_num']")])
def test_dict_counter_gives_the_same_curve_as_a_local(text: str) -> None:
    r = audit_source(text, "example.py")
    local = audit_source(_LOCAL, "example.py")
    (m,) = _manual(r)
    (ml,) = _manual(local)
    assert (m["class"], m["stepped"], m["horizon"]["value"]) == ("manual:get_lr", "batch", 2_000)
    assert m["lr"] == ml["lr"]
    steps = m.get("lr_steps") or list(range(len(m["lr"])))
    assert m["lr"] == pytest.approx([_nanogpt(k) for k in steps])


def test_dict_counter_with_unknown_start_is_not_a_counter() -> None:
    text = _COUNTER.replace('fit({"iter_num": 0})', "import sys\nfit(sys.argv)")
    r = audit_source(text, "example.py")
    assert all(m.get("lr") is None or m["horizon"]["value"] != 2_000 for m in _manual(r))


_TRAINER = """
import torch


class Trainer:
    def __init__(self, model, lr=1e-4, anneal_steps=100):
        self.lr = lr
        self.anneal_steps = anneal_steps
        self.step = 0
        self.opt = torch.optim.AdamW(model.parameters(), lr=self.lr)

    def run(self, batches):
        while self.step < self.anneal_steps:
            self.opt.zero_grad()
{before}            self.opt.step()
{after}            self.step += 1

    def anneal(self):
        frac = self.step / self.anneal_steps
        for group in self.opt.param_groups:
            group["lr"] = self.lr * (1 - frac)
"""


def _anneal(opt: torch.optim.Optimizer, k: int) -> None:
    for g in opt.param_groups:
        g["lr"] = 1e-4 * (1 - k / 100)


@pytest.mark.parametrize("where", ["before", "after"])
def test_method_reading_self_step(where: str) -> None:
    """B repro_7 / guided-diffusion ``_anneal_lr``: a method reads the trainer's ``self.step``."""
    call = "            self.anneal()\n"
    text = _TRAINER.format(before=call if where == "before" else "", after=call if where == "after" else "")
    r = audit_source(text, "example.py")
    (m,) = _manual(r)
    assert (m["class"], m["stepped"], m["horizon"]["value"]) == ("manual:anneal", "batch", 100)
    expected = _torch_lrs(1e-4, 100, **{where: _anneal}, steps=1)  # type: ignore[arg-type]
    assert m["lr"] == pytest.approx(expected, rel=1e-9)
    if where == "before":
        assert m["lr"][:2] == pytest.approx([1e-4, 0.99e-4])
    else:
        assert m["lr"][:3] == pytest.approx([1e-4, 1e-4, 0.99e-4])


def test_self_counter_assigned_outside_init_is_not_guessed() -> None:
    text = _TRAINER.format(before="            self.anneal()\n", after="").replace(
        "    def run(self, batches):\n", "    def run(self, batches):\n        self.step = self.resume_step()\n")
    r = audit_source(text, "example.py")
    assert all(m.get("lr") is None or m["horizon"]["value"] != 100 for m in _manual(r))


# ----------------------------------------------------------------------------- B6 / B11: one-off writes and timing
_ONE_OFF = """
import torch

model = torch.nn.Linear(4, 1)
optimizer = torch.optim.Adam(model.parameters(), lr=1e-4)

for epoch in range(40):
{top}    for _ in range(100):
        optimizer.zero_grad()
        optimizer.step()
{end}"""


def _cut_at_25(opt: torch.optim.Optimizer, k: int) -> None:
    if k == 25:
        opt.param_groups[0]["lr"] = 1e-5


def _formula(opt: torch.optim.Optimizer, k: int) -> None:
    opt.param_groups[0]["lr"] = 1e-4 * (0.1 ** (k // 25))


ONE_OFF = {
    "one_off_end": ("""    if epoch == 25:
        optimizer.param_groups[0]["lr"] = 1e-5
""", "end", _cut_at_25, 26),
    "one_off_top": ("""    if epoch == 25:
        optimizer.param_groups[0]["lr"] = 1e-5
""", "top", _cut_at_25, 25),
    "group_loop_end": ("""    if epoch == 25:
        for g in optimizer.param_groups:
            g["lr"] = 1e-5
""", "end", _cut_at_25, 26),
    "formula_end": ("""    lr = 1e-4 * (0.1 ** (epoch // 25))
    optimizer.param_groups[0]["lr"] = lr
""", "end", _formula, 26),
    "formula_top": ("""    lr = 1e-4 * (0.1 ** (epoch // 25))
    optimizer.param_groups[0]["lr"] = lr
""", "top", _formula, 25),
}


@pytest.mark.parametrize("name", sorted(ONE_OFF))
def test_one_off_and_end_of_epoch_writes_match_torch(name: str) -> None:
    body, where, fn, first_cut = ONE_OFF[name]
    text = _ONE_OFF.format(top=body if where == "top" else "", end=body if where == "end" else "")
    r = audit_source(text, "example.py")
    (m,) = _manual(r)
    assert (m["optimizer"], m["stepped"], m["horizon"]["value"]) == ("opt1", "epoch", 40)
    expected = _torch_lrs(1e-4, 40, **{"before" if where == "top" else "after": fn})  # type: ignore[arg-type]
    assert m["lr"] == pytest.approx(expected, rel=1e-12)
    assert m["lr"][first_cut - 1] == pytest.approx(1e-4) and m["lr"][first_cut] == pytest.approx(1e-5)
    assert _codes(r) == []
    last = "0–25" if first_cut == 26 else "0–24"
    assert last in m["summary"]


def test_writer_function_called_at_the_end_of_the_epoch() -> None:
    r = _audit("""
        import torch


        def adjust_learning_rate(optimizer, epoch):
            lr = 0.1 * (0.1 ** (epoch // 30))
            for param_group in optimizer.param_groups:
                param_group["lr"] = lr


        model = torch.nn.Linear(4, 2)
        optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
        for epoch in range(90):
            for i in range(10):
                optimizer.step()
            adjust_learning_rate(optimizer, epoch)
    """)
    (m,) = _manual(r)
    expected = _torch_lrs(0.1, 90, after=lambda o, k: [g.__setitem__("lr", 0.1 * 0.1 ** (k // 30))
                                                       for g in o.param_groups])
    assert m["lr"] == pytest.approx(expected)
    assert m["lr"][30] == pytest.approx(0.1) and m["lr"][31] == pytest.approx(0.01)


def test_writer_function_called_before_the_steps_is_unchanged() -> None:
    r = _audit("""
        import torch


        def adjust_learning_rate(optimizer, epoch):
            lr = 0.1 * (0.1 ** (epoch // 30))
            for param_group in optimizer.param_groups:
                param_group["lr"] = lr


        model = torch.nn.Linear(4, 2)
        optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
        for epoch in range(90):
            adjust_learning_rate(optimizer, epoch)
            for i in range(10):
                optimizer.step()
    """)
    (m,) = _manual(r)
    assert m["lr"] == pytest.approx([0.1 * 0.1 ** (k // 30) for k in range(90)])


def test_write_between_two_steps_applies_in_the_same_pass() -> None:
    """A step after the write uses the new rate, so the write is not shifted."""
    r = _audit("""
        import torch

        model = torch.nn.Linear(4, 2)
        optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
        for epoch in range(10):
            optimizer.step()
            optimizer.param_groups[0]["lr"] = 0.1 * 0.5 ** epoch
            optimizer.step()
    """)
    (m,) = _manual(r)
    assert m["lr"] == pytest.approx([0.1 * 0.5 ** k for k in range(10)])


def test_aug_write_is_a_rate_write_fact() -> None:
    from lraudit.extract.build import extract
    import libcst as cst

    text = CARRIED["milestones_aug_end"][0]
    facts = extract(cst.parse_module(text), "example.py").facts
    (w,) = [w for w in facts.lr_writes if "0.1" in w.value_text]
    assert (w.optimizer, w.value_text, w.loc.line) == ("opt1", 'g["lr"] * 0.1', 19)


# ----------------------------------------------------------------------------- long per-iteration decays
_ITERS = """
import torch

model = torch.nn.Linear(4, 2)
opt = torch.optim.SGD(model.parameters(), lr=0.1)
milestones = [1000, 2000]
it = 0
while it < {n}:
    opt.step()
    if {test}:
        for g in opt.param_groups:
            g["lr"] *= 0.1
    it += 1
"""


@pytest.mark.parametrize("test, hits", [
    ("it % 1000 == 0", (0, 1000, 2000)),
    ("not it % 1000", (0, 1000, 2000)),
    ("(it + 1) % 1000 == 0", (999, 1999, 2999)),
    ("it == 1500", (1500,)),
    ("it in milestones", (1000, 2000)),
    ("it in (1000, 2000)", (1000, 2000)),
])
def test_per_iteration_decay_over_a_long_run(test: str, hits: tuple[int, ...]) -> None:
    """Counted in closed form (no pass-by-pass sum), so long dense runs stay fast and exact."""
    r = audit_source(_ITERS.format(n=3000, test=test), "example.py")
    (m,) = _manual(r)
    assert (m["stepped"], m["horizon"]["value"]) == ("batch", 3000)
    expected = [0.1 * 0.1 ** sum(1 for h in hits if h < k) for k in range(3000)]
    assert m["lr"] == pytest.approx(expected, rel=1e-9)


def test_per_iteration_decay_sampled_past_the_dense_limit() -> None:
    """Sampled curves evaluate each point on its own: the closed form keeps them exact."""
    r = audit_source(_ITERS.format(n=100_000, test="it % 30000 == 0"), "example.py")
    (m,) = _manual(r)
    steps = m["lr_steps"]
    assert steps is not None and len(steps) == len(m["lr"]) < 100_000
    assert m["lr"] == pytest.approx([0.1 * 0.1 ** sum(1 for h in (0, 30000, 60000, 90000) if h < k) for k in steps])


@pytest.mark.parametrize("body", [
    # if/else of constants: a one-off reading of either branch would be wrong
    """    if epoch < 25:
        opt.param_groups[0]["lr"] = 1e-2
    else:
        opt.param_groups[0]["lr"] = 1e-3
""",
    # two one-off cuts of the same optimizer in separate group loops
    """    if epoch == 30:
        for g in opt.param_groups:
            g["lr"] = 0.01
    if epoch == 60:
        for g in opt.param_groups:
            g["lr"] = 0.001
""",
])
def test_several_writes_of_one_rate_are_unknown_not_guessed(body: str) -> None:
    text = ("import torch\nmodel = torch.nn.Linear(4, 2)\nopt = torch.optim.SGD(model.parameters(), lr=0.1)\n"
            "for epoch in range(90):\n" + body + "    for i in range(10):\n        opt.step()\n")
    r = audit_source(text, "example.py")
    ms = _manual(r)
    assert ms and all(m.get("lr") is None for m in ms)
    assert all("several places" in m["summary"] for m in ms)
    assert _codes(r) == []
