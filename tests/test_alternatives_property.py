"""Property: no object is ever counted in two exclusive arms.

Random scripts build schedulers in nested if/elif/else arms (conditions lraudit cannot know), wrap some of them in
a SequentialLR whose list has as many elements as it says, and step the result once per epoch. Whatever the shape,
no finding may count alternatives as concurrent: no "n schedulers" miscount (LR002), no "stepped twice" (LR204),
and every SequentialLR's list has its literal length.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lraudit.api import audit_source

SCHEDS = [
    "torch.optim.lr_scheduler.StepLR(opt, step_size=30)",
    "torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=90)",
    "torch.optim.lr_scheduler.ExponentialLR(opt, gamma=0.95)",
    "torch.optim.lr_scheduler.MultiStepLR(opt, milestones=[30, 60])",
]


@st.composite
def arms(draw: st.DrawFn, depth: int = 0) -> list[str]:
    """Lines (unindented) of one arm: assigns ``main`` and may nest a further branch."""
    lines = [f"main = {draw(st.sampled_from(SCHEDS))}"]
    if depth < 2 and draw(st.booleans()):
        lines += _branch(draw, depth + 1, "main")
    return lines


def _branch(draw: st.DrawFn, depth: int, var: str) -> list[str]:
    n = draw(st.integers(min_value=2, max_value=4))
    out: list[str] = []
    for k in range(n):
        if k == 0:
            head = f"if sys.argv[{depth}] == 'a{k}':"
        elif k < n - 1 or draw(st.booleans()):
            head = f"elif sys.argv[{depth}] == 'a{k}':"
        else:
            head = "else:"
        out.append(head)
        body = draw(arms(depth))
        if draw(st.integers(0, 5)) == 0:
            body = body + ["raise ValueError('unsupported')"] if head != "else:" else body
        out += ["    " + ln for ln in body]
    return out


@st.composite
def scripts(draw: st.DrawFn) -> str:
    lines = ["import sys", "import torch", "model = torch.nn.Linear(2, 2)",
             "opt = torch.optim.SGD(model.parameters(), lr=0.1)"]
    lines += _branch(draw, 0, "main")
    wrap = draw(st.sampled_from(["none", "if", "always"]))
    seq = "torch.optim.lr_scheduler.SequentialLR(opt, [warm, main], milestones=[5])"
    warm = "warm = torch.optim.lr_scheduler.LinearLR(opt, start_factor=0.1, total_iters=5)"
    if wrap == "always":
        lines += [warm, f"scheduler = {seq}"]
    elif wrap == "if":
        lines += ["if len(sys.argv) > 3:", "    " + warm, f"    scheduler = {seq}", "else:", "    scheduler = main"]
    else:
        lines += ["scheduler = main"]
    lines += ["for epoch in range(90):", "    for x in range(10):", "        opt.zero_grad()", "        opt.step()",
              "    scheduler.step()"]
    return "\n".join(lines) + "\n"


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scripts())
def test_no_object_is_counted_in_two_exclusive_arms(src: str) -> None:
    result = audit_source(src, "train.py")
    assert result.error is None, result.error
    codes = [f.code for f in result.findings]
    assert "LR002" not in codes and "LR204" not in codes, (src, [f.message for f in result.findings])
    from lraudit.extract.build import extract
    import libcst as cst

    facts = extract(cst.parse_module(src), "train.py").facts
    for s in facts.schedulers:
        if s.cls.endswith("SequentialLR"):
            n = len(s.child_choices) if s.child_choices else len(s.children)
            assert n <= 2, (src, s.children, s.child_choices)  # never more than the list holds


ALTERNATIVE_DECAYS = '''
import sys
import torch
from torch.optim.lr_scheduler import StepLR


def main(fine_tune):
    model = torch.nn.Linear(4, 2)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    if fine_tune:
        scheduler = StepLR(optimizer, step_size=10, gamma=0.5)
    else:
        scheduler = StepLR(optimizer, step_size=10, gamma=GAMMA)
    for epoch in range(90):
        for x in loader:
            optimizer.zero_grad()
            model(x).sum().backward()
            optimizer.step()
        scheduler.step()


main(len(sys.argv) > 1)
'''


@pytest.mark.parametrize("gamma", ["0.5", "0.2"])
def test_schedulers_of_two_arms_are_not_chained(gamma: str) -> None:
    """Two StepLRs built in the arms of an if the run does not decide are alternatives: each is drawn alone, as
    torch runs it (the recall audit found them chained into one curve: 0.5 x 0.5 every 10 epochs, and a false
    LR102 on two schedules that each keep the rate above 1% until epoch 70)."""
    res = audit_source(ALTERNATIVE_DECAYS.replace("GAMMA", gamma), "train.py")
    curves = {s["args"]["gamma"]["value"]: s["lr"] for s in res.schedulers}
    for g, lr in curves.items():
        assert lr is not None and len(lr) == 90
        assert all(abs(lr[k] - 0.1 * g ** (k // 10)) <= 1e-15 for k in range(90)), g
    codes = sorted(f.code for f in res.findings)
    assert codes == ([] if gamma == "0.5" else ["LR102"])  # 0.2: under 1% by epoch 30, a third of the run
