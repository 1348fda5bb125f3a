"""The default run through another module: a factory with an if/elif per name, defined in another module of the
repository and called with an option (``get_scheduler(args.sched, optimizer, num_epochs=n)``), takes the arm the
option's default selects; arms the run does not take build nothing and report nothing; ``**kwargs`` forwarded by
the factory carry what its callers pass (nothing, when no call passes extra keywords)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import libcst as cst
import pytest

from lraudit.analyze import AnalysisOptions, analyze_path
from lraudit.extract.build import extract

UTILS = '''\
from torch.optim import lr_scheduler
import torch.optim as optim


def get_optimizer(name, params, lr, momentum=0.0):
    if name == "sgd":
        return optim.SGD(params, lr, momentum=momentum)
    elif name == "adam":
        return optim.AdamW(params, lr=lr)


def get_scheduler(name, optimizer, num_epochs, **kwargs):
    if name == "constant":
        return lr_scheduler.StepLR(optimizer, num_epochs, gamma=1, **kwargs)
    elif name == "step":
        return lr_scheduler.StepLR(optimizer, round(num_epochs / 3), gamma=0.1, **kwargs)
    elif name == "cosine":
        return lr_scheduler.CosineAnnealingLR(optimizer, num_epochs, **kwargs)
'''

MAIN = '''\
import argparse
import torch
from utils import get_optimizer, get_scheduler

parser = argparse.ArgumentParser()
parser.add_argument("--optimizer", default="sgd")
parser.add_argument("--scheduler", default="cosine")
parser.add_argument("--epochs", type=int, default=90)
parser.add_argument("--lr", type=float, default=0.1)
args = parser.parse_args()


def main():
    model = torch.nn.Linear(2, 2)
    optimizer = get_optimizer(args.optimizer, model.parameters(), args.lr, 0.9)
    scheduler = get_scheduler(args.scheduler, optimizer, num_epochs=args.epochs{extra})
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


def _repo(tmp_path: Path, extra: str = "", utils: str = UTILS) -> str:
    (tmp_path / "pyproject.toml").write_text("")
    (tmp_path / "utils.py").write_text(utils)
    (tmp_path / "main.py").write_text(MAIN.replace("{extra}", extra))
    return str(tmp_path / "main.py")


def _facts(path: str, **overrides: str) -> Any:
    text = Path(path).read_text()
    return extract(cst.parse_module(text), path, text=text, display="main.py", overrides=overrides or None).facts


def _codes(path: str) -> list[str]:
    result = analyze_path(path, "main.py", AnalysisOptions())
    assert result.error is None, result.error
    return sorted(f.code for f in result.findings)


def test_the_factory_takes_the_arm_of_the_option_default(tmp_path: Path) -> None:
    path = _repo(tmp_path)
    facts = _facts(path)
    assert [(o.cls, o.loc.file, o.loc.line) for o in facts.optimizers] == [("torch.optim.SGD", "utils.py", 7)]
    assert [(s.cls, s.loc.line) for s in facts.schedulers] == [("torch.optim.lr_scheduler.CosineAnnealingLR", 18)]
    s = facts.schedulers[0]
    assert s.optimizer == facts.optimizers[0].id and not s.optimizer_candidates  # one optimizer, not "one of"
    assert s.args["T_max"].value == 90
    # the factory's **kwargs carry nothing: every call of get_scheduler() is seen and passes no extra keyword
    assert s.args["eta_min"].value == 0
    assert s.args["last_epoch"].value == -1
    assert s.when is None  # part of the default run, not an alternative
    # the constant arm (gamma=1) is not part of the run: no LR105 at utils.py:14
    assert _codes(path) == []


def test_set_selects_another_arm_of_the_linked_factory(tmp_path: Path) -> None:
    facts = _facts(_repo(tmp_path), scheduler="step", optimizer="adam")
    assert [o.cls for o in facts.optimizers] == ["torch.optim.AdamW"]
    assert [(s.cls, s.loc.line, s.args["step_size"].value) for s in facts.schedulers] == [
        ("torch.optim.lr_scheduler.StepLR", 16, 30)]


def test_keywords_forwarded_through_the_factory_kwargs(tmp_path: Path) -> None:
    s = _facts(_repo(tmp_path, extra=", eta_min=1e-5")).schedulers[0]
    assert s.args["eta_min"].value == 1e-5
    assert "eta_min" in s.args["eta_min"].source and "main.py" in s.args["eta_min"].source


def test_kwargs_that_differ_between_callers_stay_unknown(tmp_path: Path) -> None:
    path = _repo(tmp_path)
    text = Path(path).read_text().replace(
        "    for epoch in range(args.epochs):",
        "    other = get_scheduler(args.scheduler, optimizer, num_epochs=args.epochs, eta_min=0.5)\n"
        "    for epoch in range(args.epochs):")
    Path(path).write_text(text)
    scheds = _facts(path).schedulers
    assert scheds and all(s.cls.endswith("CosineAnnealingLR") for s in scheds)
    etas = {type(s.args["eta_min"]).__name__ for s in scheds}
    assert etas == {"Unknown"}
    assert all("*args/**kwargs" in s.args["eta_min"].reason for s in scheds)


def test_an_option_nobody_can_decide_keeps_the_alternatives(tmp_path: Path) -> None:
    # the name comes from the environment: no default run can be decided, every arm stays an alternative
    path = _repo(tmp_path)
    text = Path(path).read_text().replace("get_scheduler(args.scheduler,", "get_scheduler(os.environ['SCHED'],")
    Path(path).write_text("import os\n" + text)
    facts = _facts(path)
    assert sorted(s.cls.rsplit(".", 1)[-1] for s in facts.schedulers) == ["CosineAnnealingLR", "StepLR", "StepLR"]
    assert all(s.when for s in facts.schedulers)  # each names its condition
