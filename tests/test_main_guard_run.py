"""The analysed script runs as ``__main__``: what its module-level ``if __name__ == "__main__":`` builds is part of
every run, not an alternative "built when __name__ is '__main__'" (faster-rcnn, tacotron2: explain labelled their
optimizers and schedulers that way)."""

from __future__ import annotations

from lraudit.api import audit_source

SCRIPT = '''
import torch

if __name__ == "__main__":
    model = torch.nn.Linear(2, 2)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    if USE_STEP:
        sched = torch.optim.lr_scheduler.StepLR(opt, 30)
    else:
        sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, 90)
    for epoch in range(90):
        for b in range(10):
            opt.step()
        sched.step()
'''


def test_the_main_guard_is_not_an_alternative() -> None:
    result = audit_source(SCRIPT.replace("USE_STEP", "True"), "train.py")
    (opt,) = result.optimizers
    (sched,) = result.schedulers
    assert opt.get("when") is None and sched.get("when") is None, (opt.get("when"), sched.get("when"))


def test_a_real_alternative_inside_the_guard_still_says_when() -> None:
    result = audit_source(SCRIPT.replace("USE_STEP", "open('x').read() == 'step'"), "train.py")
    whens = sorted(str(s.get("when")) for s in result.schedulers)
    assert len(whens) == 2 and all("__name__" not in w for w in whens), whens
    assert all(w != "None" for w in whens), whens
