"""Regressions from auditing public repositories: the run length of library schedulers stepped in a hand-written
loop, read from a counter that bounds the loop (notes/audit A items 2 and 8), and loops over param groups that
are not training loops."""

from __future__ import annotations

import textwrap

import libcst as cst

from lraudit.api import audit_source
from lraudit.extract.build import extract
from lraudit.facts import FileFacts, Known, SchedulerFact, Unknown
from lraudit.simulate import SimOptions, choose_length

HEAD = """
import torch
model = torch.nn.Linear(4, 2)
opt = torch.optim.SGD(model.parameters(), lr=0.1)
sched = torch.optim.lr_scheduler.StepLR(opt, step_size=1000)
"""


def _facts(body: str, head: str = HEAD) -> FileFacts:
    src = textwrap.dedent(head).lstrip() + textwrap.dedent(body).lstrip()
    return extract(cst.parse_module(src), "x.py").facts


def _sched(body: str, head: str = HEAD) -> SchedulerFact:
    facts = _facts(body, head)
    assert len(facts.schedulers) == 1
    return facts.schedulers[0]


def _steps(body: str, head: str = HEAD) -> int:
    s = _sched(body, head)
    assert s.stepped == "batch"
    assert isinstance(s.horizon, Known), s.horizon
    return int(s.horizon.value)


def _unknown(body: str, head: str = HEAD) -> str:
    s = _sched(body, head)
    assert isinstance(s.horizon, Unknown), s.horizon
    return s.horizon.reason


# ------------------------------------------------------------------------------------------ while loops
def test_while_counter_below_a_constant_runs_that_many_steps() -> None:
    src = """
    MAX_STEPS = 800
    step = 0
    while step < MAX_STEPS:
        opt.step()
        sched.step()
        step += 1
    """
    s = _sched(src)
    assert s.horizon == Known(800, s.horizon.source)  # type: ignore[union-attr]
    assert s.horizon_source is not None
    assert s.horizon_source.startswith("the while loop at x.py:7 (step < MAX_STEPS, constant MAX_STEPS at x.py:5")
    assert "at most" not in s.horizon_source
    # the curve is simulated over exactly that run
    length, words = choose_length(s, SimOptions())
    assert length == 800 and words.startswith("800 steps from the while loop at x.py:7")


def test_while_counter_variants_less_equal_start_stride_and_reversed() -> None:
    assert _steps("it = 1\nwhile it <= 300:\n    opt.step()\n    sched.step()\n    it += 1\n") == 300
    assert _steps("it = 100\nwhile it < 300:\n    opt.step()\n    sched.step()\n    it += 1\n") == 200
    assert _steps("it = 0\nwhile it < 301:\n    opt.step()\n    sched.step()\n    it += 2\n") == 151
    assert _steps("it = 0\nwhile 300 > it:\n    opt.step()\n    sched.step()\n    it = it + 1\n") == 300
    assert _steps("it = 0\nwhile it != 300:\n    opt.step()\n    sched.step()\n    it += 1\n") == 300


def test_while_counter_incremented_first_still_counts_passes() -> None:
    # the condition is tested before each pass: where the increment sits in the pass does not matter
    assert _steps("step = 0\nwhile step < 50:\n    step += 1\n    opt.step()\n    sched.step()\n") == 50


def test_while_counter_in_a_function_with_a_parameter_bound_default() -> None:
    src = """
    def train(max_steps=2000):
        step = 0
        while step < max_steps:
            opt.step()
            sched.step()
            step += 1
    train()
    """
    s = _sched(src)
    assert isinstance(s.horizon, Known) and s.horizon.value == 2000


def test_while_with_two_bounds_takes_the_resolved_one_as_an_upper_bound() -> None:
    # litgpt finetune/adapter_v2.py: the epoch counter moves only when the data wraps around
    src = """
    max_steps = 5000
    epochs = 3
    batches = [torch.randn(8, 4) for _ in range(2000)]
    step, epoch, i = 0, 0, 0
    while step < max_steps and epoch < epochs:
        batch = batches[i]
        i += 1
        if i == len(batches):
            i, epoch = 0, epoch + 1
        opt.step()
        sched.step()
        step += 1
    """
    s = _sched(src)
    assert s.stepped == "batch"
    assert isinstance(s.horizon, Known) and s.horizon.value == 5000
    assert s.horizon_source is not None
    assert "step < max_steps" in s.horizon_source
    assert "at most: the condition epoch < epochs may end the run sooner" in s.horizon_source


def test_while_with_two_counted_bounds_takes_the_smaller() -> None:
    src = """
    a, b = 0, 0
    while a < 500 and b < 300:
        opt.step()
        sched.step()
        a += 1
        b += 1
    """
    s = _sched(src)
    assert isinstance(s.horizon, Known) and s.horizon.value == 300
    assert "(b < 300)" in (s.horizon_source or "")


def test_while_true_with_a_counted_break() -> None:
    after = "step = 0\nwhile True:\n    opt.step()\n    sched.step()\n    step += 1\n    if step >= 700:\n        break\n"
    assert _steps(after) == 700
    s = _sched(after)
    assert (s.horizon_source or "").startswith("the break at x.py:10 (step >= 700)")
    assert "at most" not in (s.horizon_source or "")
    before = "step = 0\nwhile True:\n    if step >= 700:\n        break\n    opt.step()\n    sched.step()\n    step += 1\n"
    assert _steps(before) == 700
    # `>` and `==` tests, the increment after the test
    assert _steps("step = 0\nwhile True:\n    opt.step()\n    sched.step()\n"
                  "    if step > 10: break\n    step += 1\n") == 12
    assert _steps("step = 0\nwhile True:\n    opt.step()\n    sched.step()\n"
                  "    if step == 10: break\n    step += 1\n") == 11


def test_while_iter_num_less_equal_from_a_module_constant() -> None:
    src = """
    MAX_ITERS = 99
    iter_num = 0
    while iter_num <= MAX_ITERS:
        opt.step()
        sched.step()
        iter_num += 1
    """
    assert _steps(src) == 100


# ------------------------------------------------------------------------------------------ for loops + break
def test_for_over_a_loader_with_a_counted_break_is_bounded() -> None:
    # litgpt tutorials/full_finetune_example.py: the enumerate index is also advanced in the body
    src = """
    MAX_STEPS = 601
    def train(loader):
        for iter_num, batch in enumerate(loader):
            opt.step()
            sched.step()
            iter_num += 1
            if iter_num >= MAX_STEPS:
                break
    """
    s = _sched(src)
    assert isinstance(s.horizon, Known) and s.horizon.value == 601
    src_text = s.horizon_source or ""
    assert src_text.startswith("the break at x.py:11 (iter_num >= MAX_STEPS, constant MAX_STEPS at x.py:5)")
    assert "at most: the end of enumerate(loader) (its length is not stated) may end the run sooner" in src_text


def test_for_break_offsets_and_the_place_of_the_step() -> None:
    # `if it + 1 >= N: break` after the step: N steps
    assert _steps("def f(loader):\n  for it, x in enumerate(loader):\n    opt.step()\n    sched.step()\n"
                  "    if it + 1 >= 600:\n      break\n") == 600
    # the same test before the step: the breaking pass takes no step
    assert _steps("def f(loader):\n  for it, x in enumerate(loader):\n    if it + 1 >= 600:\n      break\n"
                  "    opt.step()\n    sched.step()\n") == 599
    # `if step == N: break` with a separate counter
    assert _steps("def f(loader):\n  step = 0\n  for x in loader:\n    opt.step()\n    sched.step()\n"
                  "    step += 1\n    if step == 250:\n      break\n") == 250


def test_for_over_a_range_takes_the_smaller_of_its_length_and_the_break() -> None:
    short = "for step in range(10000):\n    opt.step()\n    sched.step()\n    if step >= 499:\n        break\n"
    assert _steps(short) == 500
    s = _sched(short)
    assert "at most" not in (s.horizon_source or "")  # the range is long enough: the break ends it
    long = "for step in range(300):\n    opt.step()\n    sched.step()\n    if step >= 499:\n        break\n"
    assert _steps(long) == 300


def test_step_in_a_helper_called_from_the_loop_is_placed_by_its_call() -> None:
    src = """
    def update():
        opt.step()
        sched.step()
    def train(loader):
        for it, x in enumerate(loader):
            update()
            if it >= 99:
                break
    """
    assert _steps(src) == 100


# ------------------------------------------------------------------------------------------ stays unknown
def test_a_conditionally_incremented_counter_is_not_a_bound() -> None:
    src = """
    def train(loader, accum=4):
        step = 0
        while step < 1000:
            opt.step()
            sched.step()
            if len(loader) % accum == 0:
                step += 1
    train([])
    """
    reason = _unknown(src)
    assert "step is not advanced exactly once on every pass" in reason


def test_a_counter_skipped_by_continue_is_not_a_bound() -> None:
    src = """
    step = 0
    while step < 1000:
        batch = next(it)
        if batch is None:
            continue
        opt.step()
        sched.step()
        step += 1
    """
    assert "can be skipped by a continue" in _unknown(src)


def test_a_for_break_on_a_conditional_counter_leaves_the_loader_length_unknown() -> None:
    src = """
    def train(loader):
        done = 0
        for x in loader:
            opt.step()
            sched.step()
            if x:
                done += 1
            if done >= 100:
                break
    """
    s = _sched(src)
    assert not isinstance(s.horizon, Known)


def test_while_true_without_a_counter_stays_unknown() -> None:
    src = """
    while True:
        opt.step()
        sched.step()
        if should_stop():
            break
    """
    s = _sched(src)
    assert not isinstance(s.horizon, Known)


def test_an_unresolved_bound_stays_unknown_with_its_reason() -> None:
    src = """
    import sys
    step = 0
    max_steps = int(sys.argv[1])
    while step < max_steps:
        opt.step()
        sched.step()
        step += 1
    """
    reason = _unknown(src)
    assert "the bound in step < max_steps is not known" in reason
    assert "the while loop at x.py:" in reason


def test_an_unknown_start_value_stays_unknown() -> None:
    src = """
    import sys
    step = int(sys.argv[1])
    while step < 1000:
        opt.step()
        sched.step()
        step += 1
    """
    assert "the starting value of step is not known" in _unknown(src)


def test_an_or_condition_is_not_a_bound() -> None:
    src = """
    step = 0
    while step < 1000 or not converged():
        opt.step()
        sched.step()
        step += 1
    """
    s = _sched(src)
    assert not isinstance(s.horizon, Known)


def test_epoch_loops_keep_their_range_count() -> None:
    head = """
    import torch
    model = torch.nn.Linear(4, 2)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    sched = torch.optim.lr_scheduler.StepLR(opt, step_size=30)
    """
    src = """
    for epoch in range(90):
        for x in loader:
            opt.step()
        sched.step()
    """
    s = _sched(src, head)
    assert s.stepped == "epoch"
    assert isinstance(s.horizon, Known) and s.horizon.value == 90
    assert s.horizon_source == "the epoch loop at x.py:5"


def test_a_while_epoch_loop_counts_epochs() -> None:
    head = """
    import torch
    model = torch.nn.Linear(4, 2)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    sched = torch.optim.lr_scheduler.StepLR(opt, step_size=30)
    """
    src = """
    epoch = 0
    while epoch < 90:
        for x in loader:
            opt.step()
        sched.step()
        epoch += 1
    """
    s = _sched(src, head)
    assert s.stepped == "epoch"
    assert isinstance(s.horizon, Known) and s.horizon.value == 90
    assert (s.horizon_source or "").startswith("the while loop at x.py:6 (epoch < 90)")


def test_a_global_counter_break_inside_an_epoch_loop_is_not_a_per_epoch_length() -> None:
    # the counter runs across epochs, so it caps the whole run, not each epoch: not read as steps per epoch
    src = """
    step = 0
    for epoch in range(3):
        for x in loader:
            opt.step()
            sched.step()
            step += 1
            if step >= 1000:
                break
    """
    s = _sched(src)
    assert s.stepped == "batch"
    assert not isinstance(s.horizon, Known)


def test_a_per_epoch_index_break_bounds_steps_per_epoch() -> None:
    src = """
    for epoch in range(3):
        for i, x in enumerate(loader):
            opt.step()
            sched.step()
            if i >= 99:
                break
    """
    s = _sched(src)
    assert isinstance(s.horizon, Known) and s.horizon.value == 300
    assert "the break at x.py:9 (i >= 99)" in (s.horizon_source or "")


def test_end_to_end_the_horizon_shows_in_the_audit() -> None:
    src = textwrap.dedent(HEAD).lstrip() + "step = 0\nwhile step < 4000:\n    opt.step()\n    sched.step()\n    step += 1\n"
    r = audit_source(src, "x.py")
    (s,) = r.schedulers
    assert s["horizon"]["value"] == 4000
    assert s["horizon"]["source"] == "the while loop at x.py:6 (step < 4000)"


# ------------------------------------------------------------------------------------------ param-group loops
def test_a_loop_over_a_name_bound_to_param_groups_is_not_a_batch_loop() -> None:
    head = """
    import torch
    model = torch.nn.Linear(4, 2)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    sched = torch.optim.lr_scheduler.StepLR(opt, step_size=30)
    """
    for groups in ("opt.param_groups", "opt.param_groups[:1]", "list(opt.param_groups)"):
        src = f"""
        groups = {groups}
        for epoch in range(90):
            for x in loader:
                opt.step()
            for g in groups:
                sched.step()
        """
        facts = _facts(src, head)
        kinds = {lp.iter_text: lp.kind for lp in facts.loops}
        assert kinds["groups"] == "unknown", groups
        (s,) = facts.schedulers
        assert s.stepped == "epoch", groups
        assert isinstance(s.horizon, Known) and s.horizon.value == 90


def test_a_loop_over_an_ordinary_list_inside_an_epoch_loop_is_still_a_batch_loop() -> None:
    src = """
    batches = load()
    for epoch in range(90):
        for b in batches:
            opt.step()
            sched.step()
    """
    facts = _facts(src)
    kinds = {lp.iter_text: lp.kind for lp in facts.loops}
    assert kinds["batches"] == "batch"
    assert facts.schedulers[0].stepped == "batch"


def test_a_counter_advanced_under_the_same_condition_as_the_step_counts_steps() -> None:
    # litgpt finetune/adapter.py: gradient accumulation; the counter and scheduler.step() share one `if`
    src = """
    def fit(loader, max_steps=3000, accum=4):
        step_count = 0
        iter_num = 0
        while step_count < max_steps:
            iter_num += 1
            is_accumulating = iter_num % accum != 0
            if not is_accumulating:
                opt.step()
                sched.step()
                step_count += 1
    fit([])
    """
    s = _sched(src)
    assert isinstance(s.horizon, Known) and s.horizon.value == 3000
    assert "step_count advances with each step" in (s.horizon_source or "")
    # the same counter with the step outside the `if`: passes are not steps, so no bound
    outside = src.replace("                opt.step()\n                sched.step()\n", "").replace(
        "            is_accumulating =", "            opt.step()\n            sched.step()\n            is_accumulating =")
    assert "sched.step()\n            is_accumulating" in outside
    assert "step_count is not advanced exactly once on every pass" in _unknown(outside)


def test_loop_facts_carry_an_exact_counter_bound_only() -> None:
    facts = _facts("step = 0\nwhile step < 4000:\n    opt.step()\n    sched.step()\n    step += 1\n")
    (lp,) = facts.loops
    assert lp.count == Known(4000, "the while loop at x.py:6 (step < 4000)")
    facts = _facts("def f(loader):\n  for it, x in enumerate(loader):\n    opt.step()\n    sched.step()\n"
                   "    if it >= 99:\n      break\n")
    (lp,) = facts.loops
    assert not isinstance(lp.count, Known)  # at most 100: the loader may be shorter


def test_a_while_loop_that_restarts_the_loader_until_the_counter_bound_is_exact() -> None:
    src = """
    def main(loader, max_iters=20000):
        it = 0
        while it < max_iters:
            for x in loader:
                opt.step()
                sched.step()
                it += 1
                if it >= max_iters:
                    break
    main([])
    """
    s = _sched(src)
    assert isinstance(s.horizon, Known) and s.horizon.value == 20000
    assert "at most" not in (s.horizon_source or "")


def test_an_upper_bound_on_the_run_never_claims_early_or_late_endings() -> None:
    import textwrap

    from lraudit.api import audit_source

    src = textwrap.dedent("""
    import torch

    model = torch.nn.Linear(4, 2)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=1000)
    step = epoch = 0
    while step < 100_000 and epoch < epochs:
        loss = model(next_batch()).sum()
        loss.backward()
        opt.step()
        sched.step()
        step += 1
    """)
    result = audit_source(src, "train.py")
    (s,) = result.schedulers
    assert "at most" in s["horizon"].get("source", "") or s["horizon"]["value"] is None
    assert [f.code for f in result.findings if f.code in ("LR102", "LR103")] == []
