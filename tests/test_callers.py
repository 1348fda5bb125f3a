"""A module's code seen from the repository files that call it (callers.py), on fixtures/repos/callers:

* ``engine.train_one_epoch`` writes the rate of an optimizer it receives, with ``lr_sched.adjust_learning_rate``
  (a linear warm-up from 0 over ``warmup_epochs``, then half a cosine to ``min_lr``); ``main.py`` (AdamW, lr
  0.001, 5 + 45 epochs) and ``probe.py`` (SGD, lr 0.1) call it;
* ``sched/factory.get_scheduler`` builds a CosineAnnealingLR or a StepLR by name; ``finetune.py`` asks for
  "cosine" over 30 epochs with SGD at 0.05, through the package's re-export (``from sched import ...``);
* ``lonely.fit`` steps what it receives and nobody calls it.

The expected values below are worked out from the fixture's code by hand, not by lraudit.
"""

from __future__ import annotations

import math
import os
import shutil
from pathlib import Path
from typing import Any

import pytest

from lraudit import callers, repository
from lraudit.analyze import AnalysisOptions
from lraudit.api import audit_paths

ROOT = Path(__file__).resolve().parent.parent
FIXTURE = ROOT / "fixtures" / "repos" / "callers"
TRAINER = ROOT / "fixtures" / "repos" / "trainer_params"


pytestmark = pytest.mark.usefixtures("fresh_repository_model")


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    dest = tmp_path / "callers"
    shutil.copytree(FIXTURE, dest)
    monkeypatch.chdir(dest)
    return dest


def _run(paths: list[str], **kw: Any) -> dict[str, Any]:
    report = audit_paths(paths, AnalysisOptions(), jobs=1, **kw)
    return {r.path: r for r in report.results}


def _mae_lr(epoch: float, lr: float = 0.001, min_lr: float = 1e-6, warmup: int = 5, epochs: int = 50) -> float:
    if epoch < warmup:
        return lr * epoch / warmup
    return min_lr + (lr - min_lr) * 0.5 * (1 + math.cos(math.pi * (epoch - warmup) / (epochs - warmup)))


def _optimizer(result: Any, oid: str) -> dict[str, Any]:
    return next(o for o in result.optimizers if o["id"] == oid)


def test_a_file_named_alone_draws_its_schedule_as_its_first_caller_runs_it(repo: Path) -> None:
    engine = _run(["engine.py"])["engine.py"]
    [s] = engine.schedulers
    assert s["class"] == "manual:adjust_learning_rate" and s["line"] == 7 and "file" not in s
    assert s["called_from"][0].startswith("main.py:22 ")
    assert any(c.startswith("probe.py:22 ") for c in s["called_from"])
    opt = _optimizer(engine, s["optimizer"])
    assert (opt["class"], opt["file"], opt["line"], opt["lr"]["value"]) == ("torch.optim.AdamW", "main.py", 20, 0.001)
    assert s["summary"].startswith("As called from main.py:22")
    lr = s["lr"]
    assert lr is not None and len(lr) % 50 == 0
    per_epoch = len(lr) // 50  # the batches per epoch the curve assumes (the loader's length is the data's)
    for k in (0, 1, per_epoch * 5 - 1, per_epoch * 5, per_epoch * 20 + 3, len(lr) - 1):
        assert lr[k] == pytest.approx(_mae_lr(k / per_epoch), rel=1e-9, abs=1e-15), k
    # the parameter optimizer of the file's own view is the caller's AdamW now, not a second entry
    assert [o["class"] for o in engine.optimizers] == ["torch.optim.AdamW"]


def test_a_file_named_alone_reports_what_the_whole_repository_reports_there(repo: Path) -> None:
    alone = _run(["engine.py"])["engine.py"]
    whole = _run(["."])
    assert [(f.code, f.path, f.line) for f in alone.findings] == [("LR106", "engine.py", 7)]
    assert "when called from main.py:22" in alone.findings[0].message
    assert [(f.code, f.line) for f in whole["engine.py"].findings] == [(f.code, f.line) for f in alone.findings]
    everywhere = [(f.code, f.path, f.line) for r in whole.values() for f in r.findings]
    assert everywhere.count(("LR106", "engine.py", 7)) == 1  # once, at the file of the mistake
    assert whole["engine.py"].schedulers == alone.schedulers


def test_a_builder_function_takes_its_callers_values_through_a_package_re_export(repo: Path) -> None:
    factory = _run(["sched/factory.py"])["sched/factory.py"]
    cosine, step = factory.schedulers
    assert (cosine["class"], cosine["line"]) == ("torch.optim.lr_scheduler.CosineAnnealingLR", 6)
    assert cosine["args"]["T_max"]["value"] == 30 and "finetune.py" in cosine["args"]["T_max"]["source"]
    assert cosine["called_from"] == [c for c in cosine["called_from"] if c.startswith("finetune.py:11 ")]
    opt = _optimizer(factory, cosine["optimizer"])
    assert (opt["class"], opt["file"], opt["line"], opt["lr"]["value"]) == ("torch.optim.SGD", "finetune.py", 10, 0.05)
    assert cosine["lr"] == pytest.approx([0.05 * (1 + math.cos(math.pi * t / 30)) / 2 for t in range(30)])
    det = factory.details["schedulers"][cosine["id"]]
    assert det["step_sites"] == ["step() at finetune.py:18, per epoch"]  # the caller's line, named by its file
    # no caller builds the StepLR: it stays unknown, with its reason
    assert step["class"] == "torch.optim.lr_scheduler.StepLR" and step["lr"] is None and "called_from" not in step
    assert step["args"]["step_size"]["value"] is None and "num_epochs" in step["args"]["step_size"]["unresolved"]
    # the parameter optimizer is the one the caller passes in: one entry, not two
    assert len(factory.optimizers) == 1 and step["optimizer"] == cosine["optimizer"]


def test_a_function_nobody_calls_keeps_its_own_view(repo: Path) -> None:
    lonely = _run(["lonely.py"])["lonely.py"]
    [s] = lonely.schedulers
    assert s["class"] is None and "called_from" not in s and not lonely.findings


def test_a_trainer_that_steps_what_it_receives_takes_the_callers_object(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(TRAINER)
    alone = _run(["engine/trainer.py"])["engine/trainer.py"]
    assert [(f.code, f.line) for f in alone.findings] == [("LR201", 8)]
    assert "StepLR built at train.py:13" in alone.findings[0].message
    [s] = alone.schedulers
    assert (s["class"], s["file"], s["line"]) == ("torch.optim.lr_scheduler.StepLR", "train.py", 13)
    assert s["called_from"][0].startswith("train.py:14 ")
    opt = _optimizer(alone, s["optimizer"])
    assert (opt["class"], opt["file"], opt["lr"]["value"]) == ("torch.optim.SGD", "train.py", 0.1)
    assert [o["class"] for o in alone.optimizers] == ["torch.optim.SGD"]


def test_the_search_is_bounded(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(callers, "MAX_CALLER_ANALYSES", 0)
    engine = _run(["engine.py"])["engine.py"]
    [s] = engine.schedulers
    assert s["lr"] is None and "called_from" not in s and not engine.findings
    assert all(o["class"] is None for o in engine.optimizers)  # only the file's own view: a parameter
    assert "were not analysed (at most 0 callers are analysed per run)" in engine.details["callers_search"]
    # callers the run analysed itself need no search
    both = _run(["engine.py", "main.py"])["engine.py"]
    assert both.schedulers[0]["called_from"] == [c for c in both.schedulers[0]["called_from"]
                                                 if c.startswith("main.py:22 ")]


def test_bad_callers_do_not_stop_the_run(repo: Path) -> None:
    (repo / "broken.py").write_text("from engine import train_one_epoch\ndef (:\n")
    (repo / "latin1.py").write_bytes(b"from engine import train_one_epoch\n# caf\xe9\nimport torch\n")
    (repo / "cycle_a.py").write_text("from cycle_b import x\nfrom engine import train_one_epoch\n")
    (repo / "cycle_b.py").write_text("from cycle_a import *\nx = 1\n")
    engine = _run(["engine.py"])["engine.py"]
    assert engine.error is None
    assert engine.schedulers[0]["called_from"][0].startswith("main.py:22 ")


def test_a_cached_caller_is_read_again_when_it_changes(repo: Path, tmp_path: Path) -> None:
    cache = str(tmp_path / "cache")
    first = _run(["engine.py"], cache_dir=cache)["engine.py"]
    again = _run(["engine.py"], cache_dir=cache)["engine.py"]
    assert again.schedulers == first.schedulers and again.optimizers == first.optimizers
    main = repo / "main.py"
    main.write_text(main.read_text().replace('default=0.001', 'default=0.002'))
    repository.reset()
    edited = _run(["engine.py"], cache_dir=cache)["engine.py"]
    opt = _optimizer(edited, edited.schedulers[0]["optimizer"])
    assert opt["lr"]["value"] == 0.002 and max(edited.schedulers[0]["lr"]) == pytest.approx(0.002)


def test_more_jobs_give_the_same_results(repo: Path) -> None:
    one = audit_paths(["."], AnalysisOptions(), jobs=1).results
    two = audit_paths(["."], AnalysisOptions(), jobs=2).results
    assert [r.to_dict() for r in one] == [r.to_dict() for r in two]


def test_a_directory_below_the_root_searches_the_rest_of_the_repository(repo: Path) -> None:
    # `lraudit check sched/` walks only sched/: its callers elsewhere are found by the search
    factory = _run(["sched"])["sched/factory.py"]
    assert factory.schedulers[0]["called_from"][0].startswith("finetune.py:11 ")


def test_a_known_schedule_sized_by_its_callers_arguments_reports_their_findings(repo: Path) -> None:
    # factory_opt.build(model, warmup_steps=10, total_steps=1000) is fine with its defaults; pretrain.py calls it
    # with warmup_steps=2000 over 1000 steps: the warm-up outlasts the run, at the line of the helper
    alone = _run(["factory_opt.py"])["factory_opt.py"]
    assert [(f.code, f.line) for f in alone.findings] == [("LR104", 7), ("LR106", 7)]
    assert all("when called from pretrain.py:6" in f.message for f in alone.findings)
    whole = _run(["."])
    assert [(f.code, f.line) for f in whole["factory_opt.py"].findings] == [("LR104", 7), ("LR106", 7)]


def test_a_caller_that_puts_the_root_on_sys_path_is_found(repo: Path) -> None:
    # tools/train_tool.py inserts its parent directory into sys.path, then imports engine
    engine = _run(["engine.py"])["engine.py"]
    assert any(c.startswith("tools/train_tool.py:24 ") for c in engine.schedulers[0]["called_from"])


SCHEDULER_CLASS = {
    "warmup_scheduler/__init__.py": "from warmup_scheduler.scheduler import GradualWarmupScheduler\n",
    "warmup_scheduler/scheduler.py": 'from torch.optim.lr_scheduler import _LRScheduler\n\n\nclass GradualWarmupScheduler(_LRScheduler):\n    def __init__(self, optimizer, multiplier, total_epoch, after_scheduler=None):\n        self.multiplier = multiplier\n        self.total_epoch = total_epoch\n        self.after_scheduler = after_scheduler\n        self.finished = False\n        super().__init__(optimizer)\n\n    def get_lr(self):\n        if self.last_epoch > self.total_epoch:\n            self.finished = True\n            return self.after_scheduler.get_last_lr()\n        return [base_lr * (self.last_epoch + 1) / (self.total_epoch + 1) for base_lr in self.base_lrs]\n\n    def step(self, epoch=None):\n        if self.finished and self.after_scheduler:\n            if epoch is None:\n                self.after_scheduler.step(None)\n            else:\n                self.after_scheduler.step(epoch - self.total_epoch)\n        else:\n            return super().step(epoch)\n',
    "warmup_scheduler/run.py": 'import torch\nfrom torch.optim.lr_scheduler import StepLR\n\nfrom warmup_scheduler import GradualWarmupScheduler\n\nmodel = torch.nn.Linear(2, 2)\noptimizer = torch.optim.SGD(model.parameters(), lr=0.1)\nafter = StepLR(optimizer, step_size=10, gamma=0.1)\nscheduler = GradualWarmupScheduler(optimizer, multiplier=1, total_epoch=5, after_scheduler=after)\nfor epoch in range(1, 20):\n    scheduler.step(epoch)\n    optimizer.step()\n',
}


def test_a_module_that_only_defines_a_scheduler_class_gets_its_callers_findings(tmp_path: Path,
                                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    # the class steps the after_scheduler its caller passes in with an epoch argument (LR206): only run.py's
    # analysis sees which scheduler that is, and the finding is the class module's
    for name, text in SCHEDULER_CLASS.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    (tmp_path / ".git").mkdir()
    monkeypatch.chdir(tmp_path)
    alone = _run(["warmup_scheduler/scheduler.py"])["warmup_scheduler/scheduler.py"]
    assert [(f.code, f.line) for f in alone.findings] == [("LR206", 23)]
    assert "with the StepLR built at run.py:8" in alone.findings[0].message
    whole = _run(["."])
    assert [(f.code, f.line) for f in whole["warmup_scheduler/scheduler.py"].findings] == [("LR206", 23)]
