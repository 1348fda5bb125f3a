"""A repository's own optimizer class (``class LARS(torch.optim.Optimizer)`` in ``util/lars.py``, MAE's linear
probe; LAMB, SAM, ...): calling it builds an optimizer, whose rate is the ``lr`` the call passes (or its
``__init__`` default), so schedules on it are drawn with real numbers. It has no library family: the rules that
judge a rate by the optimizer's family (Adam-like, SGD-like) stay quiet on it, even when it is named like one."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import libcst as cst
import pytest

from lraudit import repository
from lraudit.analyze import AnalysisOptions, analyze_path
from lraudit.extract.build import extract

LARS = '''\
import torch


class LARS(torch.optim.Optimizer):
    """Layer-wise adaptive rate scaling."""

    def __init__(self, params, lr=0, weight_decay=0, momentum=0.9, trust_coefficient=0.001):
        defaults = dict(lr=lr, weight_decay=weight_decay, momentum=momentum, trust_coefficient=trust_coefficient)
        super().__init__(params, defaults)

    @torch.no_grad()
    def step(self):
        for g in self.param_groups:
            for p in g["params"]:
                p.add_(p.grad, alpha=-g["lr"])
'''

MAIN = '''\
import argparse
import torch
from util.lars import LARS

parser = argparse.ArgumentParser()
parser.add_argument("--lr", type=float, default=0.1)
parser.add_argument("--epochs", type=int, default=90)
args = parser.parse_args()


def main():
    model = torch.nn.Linear(2, 2)
    optimizer = CALL
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=30)
    for epoch in range(args.epochs):
        for x, y in loader:
            optimizer.zero_grad()
            model(x).sum().backward()
            optimizer.step()
        scheduler.step()


if __name__ == "__main__":
    main()
'''


pytestmark = pytest.mark.usefixtures("fresh_repository_model")


def _repo(tmp_path: Path, call: str, lars: str = LARS) -> str:
    (tmp_path / "pyproject.toml").write_text("")
    (tmp_path / "util").mkdir()
    (tmp_path / "util" / "__init__.py").write_text("")
    (tmp_path / "util" / "lars.py").write_text(lars)
    (tmp_path / "main.py").write_text(MAIN.replace("CALL", call))
    return str(tmp_path / "main.py")


def _facts(path: str) -> Any:
    text = Path(path).read_text()
    return extract(cst.parse_module(text), path, text=text, display="main.py").facts


def test_a_repository_optimizer_class_builds_an_optimizer(tmp_path: Path) -> None:
    facts = _facts(_repo(tmp_path, "LARS(model.parameters(), lr=args.lr, weight_decay=0)"))
    (opt,) = facts.optimizers
    assert opt.cls == "custom:LARS" and opt.loc.line == 13
    assert opt.lr.value == 0.1 and "argparse default of --lr" in opt.lr.source
    assert opt.params["momentum"].value == 0.9
    assert "default of LARS.__init__ (util/lars.py:" in opt.params["momentum"].source
    assert "params" not in opt.params and "lr" not in opt.params
    (s,) = facts.schedulers
    assert s.optimizer == opt.id


def test_its_schedule_is_drawn_with_the_rate(tmp_path: Path) -> None:
    result = analyze_path(_repo(tmp_path, "LARS(model.parameters(), lr=args.lr)"), "main.py", AnalysisOptions())
    assert result.error is None
    (opt,) = result.optimizers
    assert opt["class"] == "custom:LARS" and opt["lr"]["value"] == 0.1
    (s,) = result.schedulers
    assert s["optimizer"] == opt["id"] and s["lr"] is not None, s["summary"]
    want = [0.1 * 0.1 ** (e // 30) for e in range(90)]
    assert len(s["lr"]) == 90 and all(math.isclose(a, b, rel_tol=1e-12) for a, b in zip(s["lr"], want))
    assert [f.code for f in result.findings] == []


def test_the_init_default_is_the_rate_when_the_call_passes_none(tmp_path: Path) -> None:
    facts = _facts(_repo(tmp_path, "LARS(model.parameters())"))
    (opt,) = facts.optimizers
    assert opt.lr.value == 0 and "default of LARS.__init__" in opt.lr.source


def test_a_custom_class_named_like_a_library_one_has_no_family(tmp_path: Path) -> None:
    # lr=5 would be "far above the usual range" for torch's Adam; this Adam is the repository's own
    own = LARS.replace("class LARS(torch.optim.Optimizer)", "class Adam(torch.optim.Optimizer)")
    path = _repo(tmp_path, "Adam(model.parameters(), lr=5.0)", lars=own)
    Path(path).write_text(Path(path).read_text().replace("from util.lars import LARS",
                                                         "from util.lars import Adam"))
    (opt,) = _facts(path).optimizers
    assert opt.cls == "custom:Adam" and opt.lr.value == 5.0
    result = analyze_path(path, "main.py", AnalysisOptions())
    assert result.error is None
    assert [f.code for f in result.findings if f.code == "LR001"] == []
    # the same call with torch's Adam is flagged (the rule is on; the custom class is what keeps it quiet)
    Path(path).write_text(Path(path).read_text().replace("from util.lars import Adam", "from torch.optim import Adam"))
    repository.reset()
    flagged = analyze_path(path, "main.py", AnalysisOptions())
    assert [f.code for f in flagged.findings if f.code == "LR001"] == ["LR001"]
