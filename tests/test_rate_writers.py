"""Plain classes that write the rate of the optimizer they are given (extract/rate_writers.py): NoamOpt,
ScheduledOptim, Megatron's AnnealingLR, a warm-up that stops writing. lraudit's curves are compared with the same
scripts run for real with torch (tests/data/rate_writers/), rate for rate; then what is and is not such a class,
a long run (sampled through the class's counter), calls lraudit does not follow, and a class in another module.
"""

from __future__ import annotations

import math
import runpy
from pathlib import Path
from typing import Any

import libcst as cst
import pytest

from lraudit.analyze import AnalysisOptions
from lraudit.api import audit_paths, audit_source
from lraudit.catalog.torch_sim import sample_indices
from lraudit.extract.build import extract
from lraudit.simulate import SimOptions, simulate_scheduler

torch = pytest.importorskip("torch")

HERE = Path(__file__).resolve().parent
SCRIPTS = HERE / "data" / "rate_writers"


def facts_of(text: str, name: str = "train.py") -> Any:
    return extract(cst.parse_module(text), name, text=text).facts


def writer_of(text: str, name: str = "train.py") -> tuple[Any, Any]:
    facts = facts_of(text, name)
    scheds = [s for s in facts.schedulers if s.cls.startswith("custom:")]
    assert len(scheds) == 1, [s.cls for s in facts.schedulers]
    return facts, scheds[0]


def real_rates(path: Path, source: str | None = None, tmp: Path | None = None) -> list[float]:
    """Run the script for real (torch) and return the rate each optimizer step trained with."""
    if source is not None:
        assert tmp is not None
        path = tmp / path.name
        path.write_text(source, encoding="utf-8")
    torch.manual_seed(0)
    ns = runpy.run_path(str(path), run_name="__main__")
    return list(ns["lr_history"])


@pytest.mark.parametrize("name", ["noam_opt.py", "scheduled_optim.py", "annealing_lr.py", "warmup_only.py",
                                  "step_decay.py", "step_first.py", "factory_optim.py"])
def test_curve_is_the_rate_each_step_trains_with(name: str) -> None:
    text = (SCRIPTS / name).read_text(encoding="utf-8")
    facts, s = writer_of(text, name)
    assert s.optimizer == "opt1" and s.stepped == ("epoch" if name == "step_decay.py" else "batch")
    curve = simulate_scheduler(facts, s, SimOptions())
    assert curve.error is None, curve.error
    expected = real_rates(SCRIPTS / name)
    assert curve.lr is not None and len(curve.lr) == len(expected) and curve.steps is None
    for k, (got, want) in enumerate(zip(curve.lr, expected)):
        assert math.isclose(got, want, rel_tol=1e-6, abs_tol=1e-12), (name, k, got, want)


def test_what_the_class_is_and_where_it_is_stepped() -> None:
    facts, s = writer_of((SCRIPTS / "scheduled_optim.py").read_text(encoding="utf-8"))
    assert s.cls == "custom:ScheduledOptim"
    assert [(x.method, x.loc.line, x.context) for x in s.step_sites] == [("step_and_update_lr", 50, "batch")]
    assert s.description == ("class ScheduledOptim sets the rate of the optimizer it is given in "
                             "_update_learning_rate() (line 37), step_and_update_lr() (line 23)")
    assert s.args["n_warmup_steps"].value == 500 and s.args["d_model"].value == 256
    # the writes inside the class are the schedule's own steps, not a hand-written schedule beside it
    assert facts.lr_writes == ()
    # the wrapped optimizer is stepped inside step_and_update_lr(), where the loop calls it
    assert [(x.loc.line, x.context) for x in facts.optimizer_steps] == [(26, "batch")]
    assert s.horizon.value == 1000


def test_no_finding_on_the_clean_scripts_and_a_true_one_on_the_warmup() -> None:
    found = {Path(r.path).name: [f.code for f in r.findings]
             for p in SCRIPTS.glob("*.py") for r in audit_paths([str(p)], AnalysisOptions(), jobs=1).results}
    assert found == {"noam_opt.py": [], "scheduled_optim.py": [], "annealing_lr.py": [], "step_decay.py": [],
                     "factory_optim.py": [],
                     # the first update runs at Adam's default 1e-3, before the first write (1.75e-07)
                     "step_first.py": ["LR107"],
                     # the SGD is built with lr=0.0 and steps once before the first warm-up write
                     "warmup_only.py": ["LR106"]}


@pytest.mark.parametrize("name,expected", [
    ("noam_opt.py", None), ("scheduled_optim.py", None), ("annealing_lr.py", None), ("step_decay.py", None),
    # built at lr=0.0, stepped after optimizer.step(): step 0 trains at 0, the first written rate is step 1's
    ("warmup_only.py", (1, 0.1 / 250)),
    ("step_first.py", (1, 512 ** -0.5 * 400 ** -1.5)),
])
def test_where_the_schedule_writes_its_first_rate(name: str, expected: Any) -> None:
    facts, s = writer_of((SCRIPTS / name).read_text(encoding="utf-8"), name)
    got = simulate_scheduler(facts, s, SimOptions()).first_written
    if expected is None:
        assert got is None
    else:
        assert got is not None and got[0] == expected[0] and math.isclose(got[1], expected[1], rel_tol=1e-12)


def test_the_first_step_is_not_read_as_a_rise() -> None:
    # step 0 at the optimizer's 0.1, then a warm-up from 0.01: LR107 says so, LR101 reads the warm-up from step 1
    text = (SCRIPTS / "warmup_only.py").read_text(encoding="utf-8").replace("lr=0.0, momentum", "lr=0.1, momentum")
    findings = audit_source(text, "train.py").findings
    assert [f.code for f in findings] == ["LR107"]
    assert findings[0].message == ("LinearWarmup (warmup) sets the rate only when it is stepped, after the first "
                                   "optimizer update: that update uses the optimizer's own rate 0.1, 250x the "
                                   "schedule's first rate (0.0004 at step 1)")


def test_a_long_run_is_sampled_through_the_counter(tmp_path: Path) -> None:
    # 12,000 steps: sampled (over 10,000), and short enough for the dense comparison below to stay well inside
    # the class simulation's 5 s budget on a loaded machine (24,000 dense steps took 5.3 s of CPU under load)
    text = (SCRIPTS / "annealing_lr.py").read_text(encoding="utf-8").replace("TRAIN_ITERS = 2000",
                                                                             "TRAIN_ITERS = 12000")
    facts, s = writer_of(text)
    curve = simulate_scheduler(facts, s, SimOptions())
    assert curve.error is None, curve.error
    assert curve.steps is not None and curve.steps[0] == 0 and curve.steps[-1] == 11999
    expected = real_rates(SCRIPTS / "annealing_lr.py", text, tmp_path)
    for k, got in zip(curve.steps, curve.lr):
        assert math.isclose(got, expected[k], rel_tol=1e-9), (k, got, expected[k])
    # the same class stepped densely over a run short enough agrees with the samples
    dense = simulate_scheduler(facts, s, SimOptions(dense_limit=30000))
    assert dense.steps is None and all(math.isclose(dense.lr[k], v, rel_tol=1e-12)
                                       for k, v in zip(curve.steps, curve.lr))


def test_a_long_run_of_a_class_that_stops_writing_is_not_sampled() -> None:
    # after the warm-up the rate is whatever the last write left: no step can be computed without the ones before
    text = (SCRIPTS / "warmup_only.py").read_text(encoding="utf-8").replace("STEPS = 600", "STEPS = 20000")
    facts, s = writer_of(text)
    curve = simulate_scheduler(facts, s, SimOptions())
    assert curve.lr is None and curve.error is not None
    # the first sampled step after the 250 steps of warm-up
    first = next(k for k in sample_indices(20000, 1000) if k > 250)
    assert curve.error == (f"LinearWarmup is not simulated: step() does not write the rate at every call, so the "
                           f"rate at step {first} depends on the calls before")


def test_a_class_with_more_state_than_a_counter_is_not_sampled() -> None:
    text = (SCRIPTS / "noam_opt.py").read_text(encoding="utf-8").replace("TOTAL_STEPS = 3000", "TOTAL_STEPS = 20000")
    text = text.replace("        rate = self.rate()\n", "        rate = self.rate() + 0 * self._rate\n")
    facts, s = writer_of(text)
    curve = simulate_scheduler(facts, s, SimOptions())
    assert curve.lr is None and curve.error is not None
    assert "keeps state between calls of step() besides one counter" in curve.error


NOT_WRITERS = {
    "a trainer class whose loop writes the rate": '''
import torch
class Trainer:
    def __init__(self, model, optimizer):
        self.model = model
        self.optimizer = optimizer
    def fit(self, epochs=3):
        for epoch in range(epochs):
            for g in self.optimizer.param_groups:
                g["lr"] = 0.1 * 0.5 ** epoch
            self.optimizer.step()
model = torch.nn.Linear(2, 2)
Trainer(model, torch.optim.SGD(model.parameters(), lr=0.1)).fit()
''',
    "a method that needs the epoch": '''
import torch
class Adjuster:
    def __init__(self, optimizer, base):
        self.optimizer = optimizer
        self.base = base
    def adjust(self, epoch):
        for g in self.optimizer.param_groups:
            g["lr"] = self.base * 0.1 ** (epoch // 30)
model = torch.nn.Linear(2, 2)
opt = torch.optim.SGD(model.parameters(), lr=0.1)
adj = Adjuster(opt, 0.1)
for epoch in range(90):
    adj.adjust(epoch)
    opt.step()
''',
    "a class that only sets the rate when built": '''
import torch
class Setter:
    def __init__(self, optimizer, lr):
        self.optimizer = optimizer
        for g in optimizer.param_groups:
            g["lr"] = lr
model = torch.nn.Linear(2, 2)
opt = torch.optim.SGD(model.parameters(), lr=0.1)
Setter(opt, 0.01)
for step in range(10):
    opt.step()
''',
    "a subclass of a class lraudit does not know": '''
import torch
from somewhere import Base
class Warm(Base):
    def __init__(self, optimizer):
        self.optimizer = optimizer
        self.n = 0
    def step(self):
        self.n += 1
        for g in self.optimizer.param_groups:
            g["lr"] = 0.1 * min(1, self.n / 10)
model = torch.nn.Linear(2, 2)
opt = torch.optim.SGD(model.parameters(), lr=0.1)
w = Warm(opt)
for step in range(100):
    opt.step()
    w.step()
''',
    "a class that builds its own optimizer": '''
import torch
class Runner:
    def __init__(self, model):
        self.optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
        self.n = 0
    def step(self):
        self.n += 1
        for g in self.optimizer.param_groups:
            g["lr"] = 0.1 * min(1, self.n / 10)
        self.optimizer.step()
r = Runner(torch.nn.Linear(2, 2))
for step in range(100):
    r.step()
''',
}


@pytest.mark.parametrize("case", sorted(NOT_WRITERS))
def test_not_a_rate_writing_class(case: str) -> None:
    facts = facts_of(NOT_WRITERS[case])
    assert not any(s.cls.startswith("custom:") for s in facts.schedulers), [s.cls for s in facts.schedulers]


def test_the_epoch_adjuster_stays_a_hand_written_schedule() -> None:
    facts = facts_of(NOT_WRITERS["a method that needs the epoch"])
    assert [w.function for w in facts.lr_writes] == ["Adjuster.adjust"]


CALLED_WITH = '''
import torch
class Warm:
    def __init__(self, optimizer, steps):
        self.optimizer = optimizer
        self.steps = steps
        self.n = 0
    def step(self, increment=1):
        self.n += increment
        for g in self.optimizer.param_groups:
            g["lr"] = 0.1 * min(1.0, self.n / self.steps)
    def rewind(self):
        self.n = 0
        self.step()
model = torch.nn.Linear(2, 2)
opt = torch.optim.SGD(model.parameters(), lr=0.0)
w = Warm(opt, 50)
for step in range(200):
    opt.step()
    w.step(increment=STEP_CALL)
'''


def test_a_call_with_arguments_is_not_followed() -> None:
    facts, s = writer_of(CALLED_WITH.replace("STEP_CALL", "4"))
    curve = simulate_scheduler(facts, s, SimOptions())
    assert curve.lr is None and curve.error == ("step() is called with an argument (increment=4), which the "
                                                "simulation of a class does not follow")


def test_two_methods_are_not_merged() -> None:
    text = CALLED_WITH.replace("    w.step(increment=STEP_CALL)\n", "    w.step()\n    if step == 100:\n"
                                                                   "        w.rewind()\n")
    facts, s = writer_of(text)
    assert sorted(x.method for x in s.step_sites) == ["rewind", "step"]
    curve = simulate_scheduler(facts, s, SimOptions())
    assert curve.lr is None and "stepped through rewind() and step()" in (curve.error or "")


def test_the_class_in_another_module_of_the_repository(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'nmt'\n", encoding="utf-8")
    pkg = tmp_path / "transformer"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("", encoding="utf-8")
    source = (SCRIPTS / "scheduled_optim.py").read_text(encoding="utf-8")
    start, end = source.index("class ScheduledOptim"), source.index("def train_epoch")
    (pkg / "Optim.py").write_text(source[start:end], encoding="utf-8")
    (tmp_path / "train.py").write_text(
        "import torch\nfrom torch import nn\nfrom transformer.Optim import ScheduledOptim\n"
        "D_MODEL = 256\nN_WARMUP = 500\nN_EPOCHS = 4\nBATCHES = 250\nlr_history = []\n\n"
        + source[end:], encoding="utf-8")
    run = audit_paths([str(tmp_path / "train.py")], AnalysisOptions(), jobs=1, cwd=str(tmp_path))
    (entry,) = [s for f in run.results for s in f.schedulers]
    assert entry["class"] == "custom:ScheduledOptim" and entry["optimizer"] == "opt1"
    assert entry["stepped"] == "batch"
    assert "The class ScheduledOptim sets the rate of the optimizer it is given in _update_learning_rate() " \
           "(transformer/Optim.py:25), step_and_update_lr() (transformer/Optim.py:11)" in entry["summary"], entry["summary"]
    monkeypatch.syspath_prepend(str(tmp_path))
    for name in ("transformer", "transformer.Optim"):
        monkeypatch.delitem(__import__("sys").modules, name, raising=False)
    expected = real_rates(tmp_path / "train.py")
    got = entry["lr"]
    assert len(got) == len(expected) == 1000
    assert all(math.isclose(a, b, rel_tol=1e-6) for a, b in zip(got, expected))


LOSS_COMPUTE = '''
import torch
from torch import nn


class NoamOpt:
    def __init__(self, model_size, factor, warmup, optimizer):
        self.optimizer = optimizer
        self._step = 0
        self.warmup = warmup
        self.factor = factor
        self.model_size = model_size

    def step(self):
        self._step += 1
        rate = self.factor * self.model_size ** -0.5 * min(self._step ** -0.5, self._step * self.warmup ** -1.5)
        for p in self.optimizer.param_groups:
            p["lr"] = rate
        self.optimizer.step()


class SimpleLossCompute:
    def __init__(self, criterion, opt=None):
        self.criterion = criterion
        self.opt = opt

    def __call__(self, x, y):
        loss = self.criterion(x, y)
        loss.backward()
        if self.opt is not None:
            self.opt.step()
            self.opt.optimizer.zero_grad()
        return loss.item()


def run_epoch(batches, model, loss_compute):
    total = 0.0
    for x, y in batches:
        total += loss_compute(model(x), y)
    return total


model = nn.Linear(8, 8)
opt = NoamOpt(8, 1, 400, torch.optim.Adam(model.parameters(), lr=0, betas=(0.9, 0.98), eps=1e-9))
for epoch in range(EPOCHS):
    run_epoch(train_batches, model, SimpleLossCompute(nn.MSELoss(), opt))
    run_epoch(OTHER, model, SimpleLossCompute(nn.MSELoss(), None))
'''


def test_an_instance_call_runs_its_class_call_method() -> None:
    # the Annotated Transformer's first version: the schedule is stepped in SimpleLossCompute.__call__, which
    # run_epoch's batch loop calls through its loss_compute parameter
    facts, s = writer_of(LOSS_COMPUTE.replace("EPOCHS", "10").replace("OTHER", "val_batches"))
    assert [(x.loc.line, x.context, x.conditional) for x in s.step_sites] == [(31, "batch", True)]
    assert s.stepped == "batch"
    assert "__call__() called from the batch loop" in (s.step_sites[0].via or "")


def test_an_instance_call_is_not_followed_when_a_caller_passes_something_else() -> None:
    # the second call passes a plain function: loss_compute(...) may run either, so __call__ has no known caller
    text = LOSS_COMPUTE.replace("EPOCHS", "10").replace(
        "    run_epoch(OTHER, model, SimpleLossCompute(nn.MSELoss(), None))\n",
        "    run_epoch(val_batches, model, lambda out, y: 0.0)\n")
    facts, s = writer_of(text)
    assert [x.context for x in s.step_sites] != ["batch"]


def _factory_repo(tmp_path: Path) -> Path:
    """factory_optim.py split as OpenNMT-py splits it: the wrapper and its decay in a package, the training script
    calling ``Optimizer.from_opt(model, opt)``."""
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'nmt'\n", encoding="utf-8")
    pkg = tmp_path / "onmt" / "utils"
    pkg.mkdir(parents=True)
    (tmp_path / "onmt" / "__init__.py").write_text("", encoding="utf-8")
    (pkg / "__init__.py").write_text("from onmt.utils.optimizers import Optimizer\n", encoding="utf-8")
    source = (SCRIPTS / "factory_optim.py").read_text(encoding="utf-8")
    start, end = source.index("def noam_decay"), source.index("def main")
    (pkg / "optimizers.py").write_text("import functools\n\nimport torch\n\n\n" + source[start:end],
                                       encoding="utf-8")
    (tmp_path / "train.py").write_text(
        "import argparse\n\nimport torch\nfrom torch import nn\n\nfrom onmt.utils import Optimizer\n\n"
        "lr_history = []\n\n\n" + source[end:], encoding="utf-8")
    return tmp_path


def test_a_class_built_by_its_classmethod_factory_in_another_module(tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """``return cls(optimizer, ...)`` in ``@classmethod from_opt`` builds the class itself: the object the script
    steps is the rate-writing wrapper, on the Adam the factory builds, with the script's options read inside the
    helper that makes the decay function (the namespace handed down)."""
    root = _factory_repo(tmp_path)
    run = audit_paths([str(root / "train.py")], AnalysisOptions(), jobs=1, cwd=str(root))
    (res,) = run.results
    assert [o["class"] for o in res.optimizers] == ["torch.optim.Adam"]  # no second, unknown optimizer
    (entry,) = res.schedulers
    assert entry["class"] == "custom:Optimizer" and entry["optimizer"] == "opt1" and entry["stepped"] == "batch"
    assert entry["line"] == 24 and entry["summary"].endswith("in step() (onmt/utils/optimizers.py:34)."), entry
    assert entry["args"]["learning_rate"] == {"value": 2.0, "source": "argparse default of --learning_rate "
                                                                        "(train.py:13)"}
    monkeypatch.syspath_prepend(str(root))
    for name in ("onmt", "onmt.utils", "onmt.utils.optimizers"):
        monkeypatch.delitem(__import__("sys").modules, name, raising=False)
    expected = real_rates(root / "train.py")
    assert len(entry["lr"]) == len(expected) == 2000
    assert all(math.isclose(a, b, rel_tol=1e-6) for a, b in zip(entry["lr"], expected))
    # the module of the class, checked alone, draws it as its caller runs it
    alone = audit_paths([str(root / "onmt" / "utils" / "optimizers.py")], AnalysisOptions(), jobs=1, cwd=str(root))
    (own,) = [s for f in alone.results for s in f.schedulers]
    assert own["summary"].startswith("As called from train.py:") and own["lr"] == entry["lr"]


def test_cls_is_not_read_as_the_class_when_a_subclass_may_call_the_factory() -> None:
    """A subclass in the module inherits ``from_opt``; ``cls(...)`` may build either class, so it is not read as
    the base class (the wrapper is not drawn from a guess)."""
    text = (SCRIPTS / "factory_optim.py").read_text(encoding="utf-8")
    text = text.replace("def main():", "class FixedOptimizer(Optimizer):\n    def learning_rate(self):\n"
                                      "        return self._learning_rate\n\n\ndef main():")
    facts = facts_of(text, "factory_optim.py")
    assert not [s for s in facts.schedulers if s.cls == "custom:Optimizer"]
    assert [o.cls for o in facts.optimizers][:1] == ["torch.optim.Adam"]


def test_a_torch_optimizer_subclass_of_the_same_name_is_not_a_subclass() -> None:
    """``class AdaFactor(torch.optim.Optimizer)`` beside the module's own ``Optimizer`` (OpenNMT-py) derives from
    torch's class, not from it: ``cls(...)`` still builds the wrapper."""
    text = (SCRIPTS / "factory_optim.py").read_text(encoding="utf-8")
    text = text.replace("def main():", "class AdaFactor(torch.optim.Optimizer):\n    pass\n\n\ndef main():")
    facts = facts_of(text, "factory_optim.py")
    assert [s.cls for s in facts.schedulers] == ["custom:Optimizer"]
