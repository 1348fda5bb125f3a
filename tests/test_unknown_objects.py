"""Objects of unknown class (extract/unknown.py), the number of processes as a run-time size
(extract/run_sizes.py), and counters through ``global``, ``self.`` and update gates (extract/manual.py).

Expected facts are in fixtures/unknown/EXPECTED.yaml, worked out by reading the fixture code.
"""

from __future__ import annotations

import json
import os
import textwrap
import time
from pathlib import Path
from typing import Any

import libcst as cst
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lraudit.api import audit_source
from lraudit.extract.build import extract
from lraudit.extract.unknown import MAX_UNKNOWN

ROOT = Path(__file__).resolve().parent.parent
FIX = ROOT / "fixtures" / "unknown"
EXPECTED: dict[str, Any] = yaml.safe_load((FIX / "EXPECTED.yaml").read_text())


pytestmark = pytest.mark.usefixtures("fresh_repository_model")


def _facts(src: str, path: str = "train.py") -> Any:
    text = textwrap.dedent(src)
    return extract(cst.parse_module(text), path, text=text).facts


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_fixture_objects(name: str) -> None:
    want = EXPECTED[name]
    path = FIX / want["file"]
    text = path.read_text()
    facts = extract(cst.parse_module(text), str(path), text=text).facts
    opts = [w for w in want["objects"] if w["kind"] == "optimizer"]
    scheds = [w for w in want["objects"] if w["kind"] == "scheduler"]
    assert [(o.variable, [s.loc.line for s in facts.optimizer_steps if s.target == o.id]) for o in facts.optimizers] \
        == [(w["variable"], w["steps"]) for w in opts]
    assert [(s.variable, [x.loc.line for x in s.step_sites], s.stepped) for s in facts.schedulers] == \
        [(w["variable"], w["steps"], w["stepped"]) for w in scheds]
    assert all(o.framework == "unknown" and o.cls == "unknown" and o.class_reason for o in facts.optimizers)
    assert all(s.framework == "unknown" and s.class_reason for s in facts.schedulers)
    result = audit_source(text, want["file"])
    assert sorted(f"{f.code} {f.line}" for f in result.findings) == sorted(want["findings"])
    for f in result.findings:
        assert "(class unknown here)" in f.message


def test_json_class_is_null_with_the_reason() -> None:
    result = audit_source((FIX / "repo/engine/loop.py").read_text(), "engine/loop.py")
    (opt,) = result.optimizers
    (sched,) = result.schedulers
    assert opt["class"] is None and "parameter of train_one_epoch()" in opt["class_reason"]
    assert opt["lr"]["value"] is None and "parameter of train_one_epoch()" in opt["lr"]["unresolved"]
    assert sched["class"] is None and "lr_scheduler is a parameter of train_one_epoch()" in sched["class_reason"]
    assert sched["lr"] is None and sched["optimizer"] is None and sched["stepped"] == "batch"
    assert "class is not known" in sched["summary"]


def test_a_caller_in_the_file_supplies_the_class() -> None:
    facts = _facts("""
        import torch

        def train_one_epoch(model, loader, optimizer, lr_scheduler):
            for x in loader:
                optimizer.zero_grad()
                model(x).sum().backward()
                optimizer.step()
                lr_scheduler.step()

        model = torch.nn.Linear(2, 2)
        opt = torch.optim.SGD(model.parameters(), lr=0.1)
        sched = torch.optim.lr_scheduler.StepLR(opt, step_size=3)
        for epoch in range(9):
            train_one_epoch(model, [1, 2], opt, sched)
    """)
    assert [o.cls for o in facts.optimizers] == ["torch.optim.SGD"]
    assert [s.cls for s in facts.schedulers] == ["torch.optim.lr_scheduler.StepLR"]
    assert [x.loc.line for x in facts.schedulers[0].step_sites] == [9]


def test_linked_caller_wins_over_the_modules_own_unknown_object(monkeypatch: pytest.MonkeyPatch) -> None:
    """The repository: train.py passes a ReduceLROnPlateau (LR202 does not apply, LR207 does); engine/loop.py's own
    analysis has an unknown-class scheduler stepped before the optimizer. Checked together, the caller's object
    wins: no unknown-class LR202, and train.py's analysis has no unknown object of its own."""
    from lraudit.analyze import AnalysisOptions
    from lraudit.runner import run_files

    monkeypatch.chdir(FIX / "repo")
    files = [(os.path.abspath(p), p) for p in ("engine/loop.py", "train.py")]
    results = run_files(files, AnalysisOptions(), jobs=1)
    found = sorted(f"{f.code} {f.path}:{f.line}" for r in results for f in r.findings)
    assert found == ["LR207 engine/loop.py:10"]
    train = next(r for r in results if r.path == "train.py")
    assert [o["class"] for o in train.optimizers] == ["torch.optim.SGD"]
    assert [s["class"] for s in train.schedulers] == ["torch.optim.lr_scheduler.ReduceLROnPlateau"]
    # alone, the module says what it can
    engine = [f.code for f in run_files(files[:1], AnalysisOptions(), jobs=1)[0].findings]
    assert engine == ["LR202"]


def test_plain_step_twice_but_epoch_arguments_are_not() -> None:
    base = """
        def fit(model, loader, optimizer, scheduler, epochs):
            for epoch in range(epochs):
                for x in loader:
                    model(x).sum().backward()
                    optimizer.step()
                    STEP
    """
    twice = audit_source(textwrap.dedent(base.replace("STEP", "scheduler.step()\n" + " " * 20 + "scheduler.step()")))
    assert [f.code for f in twice.findings] == ["LR204"]
    # scheduler.step(epoch) twice: an explicit index (timm) sets the rate, it does not advance a counter
    given_epoch = audit_source(textwrap.dedent(base.replace("STEP", "scheduler.step(epoch)\n" + " " * 20 +
                                                                          "scheduler.step(epoch)")))
    assert given_epoch.findings == []
    # step(epoch) on an object of unknown class: LR206 needs the class (timm's schedulers want the epoch)
    assert audit_source(textwrap.dedent(base.replace("STEP", "pass\n" + " " * 16 + "scheduler.step(epoch)"))).findings == []


def test_after_the_optimizer_is_quiet() -> None:
    src = """
        def fit(model, loader, optimizer, lr_scheduler):
            for x in loader:
                optimizer.zero_grad()
                model(x).sum().backward()
                optimizer.step()
                lr_scheduler.step()
    """
    assert audit_source(textwrap.dedent(src)).findings == []
    # two optimizers in the loop (a GAN): which one the scheduler drives is not known, so no order is claimed
    gan = """
        def fit(loader, opt_g, opt_d, lr_scheduler, g, d):
            for x in loader:
                lr_scheduler.step()
                d(x).backward()
                opt_d.step()
                g(x).backward()
                opt_g.step()
    """
    assert [f.code for f in audit_source(textwrap.dedent(gan)).findings] == []


def test_bounded_many_functions() -> None:
    fns = "\n".join(f"def f{i}(m, optimizer{i}, scheduler{i}):\n    for x in m:\n        optimizer{i}.zero_grad()\n"
                    f"        optimizer{i}.step()\n        scheduler{i}.step()\n" for i in range(400))
    t0 = time.process_time()
    facts = _facts(fns)
    assert len(facts.optimizers) + len(facts.schedulers) <= MAX_UNKNOWN
    assert time.process_time() - t0 < 60


@st.composite
def _exclusive_script(draw: st.DrawFn) -> str:
    """A trainer whose parameter scheduler is stepped once in each arm of an if/elif/else chain (and perhaps again
    after the chain, which is then a real second step)."""
    n = draw(st.integers(min_value=2, max_value=5))
    lines = ["def fit(model, loader, optimizer, lr_scheduler, mode, metric):", "    for x in loader:",
             "        model(x).sum().backward()", "        optimizer.step()"]
    for k in range(n):
        head = "if" if k == 0 else ("elif" if k < n - 1 else "else")
        lines.append(f"        {head} mode == {k}:" if head != "else" else "        else:")
        lines.append("            lr_scheduler.step()")
    return "\n".join(lines) + "\n"


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_exclusive_script())
def test_property_no_unknown_object_counted_in_two_exclusive_arms(src: str) -> None:
    result = audit_source(src)
    assert [f.code for f in result.findings if f.code == "LR204"] == []
    (sched,) = _facts(src).schedulers
    assert sched.framework == "unknown" and len(sched.step_sites) == src.count("lr_scheduler.step()")


# ------------------------------------------------------------------------------------- world size

WORLD = """
import os
import torch
import torch.distributed as dist
from transformers import get_linear_schedule_with_warmup

EPOCHS = 10
model = torch.nn.Linear(4, 2)
loader = torch.utils.data.DataLoader(list(range(10)))
steps = len(loader) * EPOCHS // SIZE
optimizer = torch.optim.AdamW(model.parameters(), lr=1e-4)
scheduler = get_linear_schedule_with_warmup(optimizer, num_warmup_steps=WARMUP, num_training_steps=steps)
for epoch in range(EPOCHS):
    for batch in loader:
        optimizer.step()
        scheduler.step()
"""


@pytest.mark.parametrize("size", ['int(os.environ["WORLD_SIZE"])', "dist.get_world_size()",
                                  "torch.cuda.device_count()", "utils.get_world_size()"])
def test_world_size_is_a_symbol(size: str) -> None:
    # a warm-up of twice the run: longer than training for every number of processes and loader length
    result = audit_source(WORLD.replace("SIZE", size).replace("WARMUP", "steps * 2"))
    (f,) = [f for f in result.findings if f.code == "LR104"]
    holds = f.message.split("this holds for every value of", 1)[1]
    assert "the number of processes" in holds.split(";")[0] and "the number of processes = 1" in holds
    (s,) = result.schedulers
    assert s["args"]["num_training_steps"]["value"] is None
    assert s["args"]["num_training_steps"]["expression"].endswith(size.replace("int(", "").rstrip(")")
                                                                 if size.startswith("int(") else size)


def test_world_size_relation_for_some_values_only_is_silent() -> None:
    # 500 warm-up steps against N * 10 / P steps: longer for some sizes, shorter for others
    result = audit_source(WORLD.replace("SIZE", "dist.get_world_size()").replace("WARMUP", "500"))
    assert [f.code for f in result.findings if f.code in ("LR104", "LR102", "LR103")] == []


def test_world_size_attribute_and_option_default() -> None:
    facts = _facts("""
        import torch
        from accelerate import Accelerator
        accelerator = Accelerator()
        model = torch.nn.Linear(2, 2)
        optimizer = torch.optim.SGD(model.parameters(), lr=0.1 * accelerator.num_processes)
    """)
    (o,) = facts.optimizers
    assert o.lr.value is None and "number of processes" in o.lr.reason
    # an option the script states keeps its value
    facts = _facts("""
        import argparse
        import torch
        p = argparse.ArgumentParser()
        p.add_argument("--world-size", type=int, default=4)
        args = p.parse_args()
        model = torch.nn.Linear(2, 2)
        optimizer = torch.optim.SGD(model.parameters(), lr=0.1 * args.world_size)
    """)
    assert facts.optimizers[0].lr.value == pytest.approx(0.4)


# ------------------------------------------------------------------------------------------ counters

SCHEDULE = """
import math
import torch
WARMUP = 500
TOTAL = 10000


def adjust_learning_rate(optimizer, step):
    if step < WARMUP:
        lr = 0.1 * (step + 1) / WARMUP
    else:
        lr = 0.1 * 0.5 * (1 + math.cos(math.pi * (step - WARMUP) / (TOTAL - WARMUP)))
    for g in optimizer.param_groups:
        g["lr"] = lr
"""


def _curve(src: str) -> list[float]:
    from lraudit.simulate import SimOptions, simulate_scheduler

    facts = _facts(SCHEDULE + textwrap.dedent(src))
    (s,) = [s for s in facts.schedulers if s.cls.startswith("manual:")]
    curve = simulate_scheduler(facts, s, SimOptions(steps=600))
    assert curve.lr is not None, curve.error
    return list(curve.lr)


def test_global_counter() -> None:
    lr = _curve("""
        model = torch.nn.Linear(4, 2)
        optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
        global_step = 0

        def train_one_epoch(loader):
            global global_step
            for x in loader:
                adjust_learning_rate(optimizer, global_step)
                model(x).sum().backward()
                optimizer.step()
                global_step += 1

        for epoch in range(10):
            train_one_epoch(loader)
    """)
    # step k uses global_step = k: 0.1 * (k + 1) / 500
    assert lr[0] == pytest.approx(0.1 / 500) and lr[499] == pytest.approx(0.1)
    assert lr[550] == pytest.approx(0.05 * (1 + __import__("math").cos(__import__("math").pi * 50 / 9500)))


def test_self_counter() -> None:
    lr = _curve("""
        class Trainer:
            def __init__(self):
                self.model = torch.nn.Linear(4, 2)
                self.optimizer = torch.optim.SGD(self.model.parameters(), lr=0.1)
                self.global_step = 0

            def train_epoch(self, loader):
                for x in loader:
                    adjust_learning_rate(self.optimizer, self.global_step)
                    self.model(x).sum().backward()
                    self.optimizer.step()
                    self.global_step += 1
    """)
    assert lr[0] == pytest.approx(0.1 / 500) and lr[9] == pytest.approx(0.1 * 10 / 500)


def test_counter_under_an_update_gate_counts_updates() -> None:
    src = """
        model = torch.nn.Linear(4, 2)
        optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
        global_step = 0
        for epoch in range(10):
            for i, x in enumerate(loader):
                model(x).sum().backward()
                if (i + 1) % 4 == 0:
                    adjust_learning_rate(optimizer, global_step)
                    optimizer.step()
                    optimizer.zero_grad()
                    global_step += 1
    """
    lr = _curve(src)
    # the k-th update uses global_step = k (not the batch index, and no batch keeps the optimizer's own 0.1)
    assert lr[:3] == pytest.approx([0.1 / 500, 0.2 / 500, 0.3 / 500])
    result = audit_source(SCHEDULE + textwrap.dedent(src))
    assert [f.code for f in result.findings if f.code in ("LR101", "LR102")] == []
    # the rate also reads the batch index: not a function of the updates alone, so no curve is claimed
    facts = _facts(SCHEDULE + textwrap.dedent(src.replace("optimizer, global_step", "optimizer, global_step + i")))
    assert not [s for s in facts.schedulers if s.cls.startswith("manual:")] or \
        all(s.framework == "manual" for s in facts.schedulers)


def test_unknown_objects_in_json_are_documented() -> None:
    readme = (ROOT / "README.md").read_text()
    assert '"class": null' in readme and "class_reason" in readme
    assert "number of processes" in readme
    json.dumps(audit_source((FIX / "not_lr.py").read_text()).schedulers)


# ------------------------------------------------------------------- per-epoch decays in the batch loop

DECAY = """
import torch
model = torch.nn.Linear(4, 2)
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
milestones = [10, 20]
loader = [1, 2, 3, 4, 5]
for epoch in range(30):
    for i, x in enumerate(loader):
        if COND:
            for g in optimizer.param_groups:
                WRITE
        model(x).sum().backward()
        optimizer.step()
"""


@pytest.mark.parametrize("cond,write", [("epoch % 10 == 0 and epoch > 0", 'g["lr"] *= 0.1'),
                                        ("epoch in milestones", 'g["lr"] = g["lr"] * 0.5'),
                                        ("epoch == 20", 'g["lr"] /= 10')])
def test_per_epoch_decay_inside_the_batch_loop(cond: str, write: str) -> None:
    result = audit_source(DECAY.replace("COND", cond).replace("WRITE", write))
    (f,) = [f for f in result.findings if f.code == "LR201"]
    assert f.line == 11 and cond in f.message and "once per batch" in f.message


@pytest.mark.parametrize("cond,write", [("epoch % 10 == 0 and i == 0", 'g["lr"] *= 0.1'),  # once per epoch
                                        ("epoch % 10 == 0", 'g["lr"] = 0.1 * 0.1 ** (epoch // 10)'),  # absolute
                                        ("i % 10 == 0", 'g["lr"] *= 0.99')])  # per batch on purpose
def test_per_epoch_decay_look_alikes_are_quiet(cond: str, write: str) -> None:
    result = audit_source(DECAY.replace("COND", cond).replace("WRITE", write))
    assert [f for f in result.findings if f.code == "LR201"] == []


def test_per_epoch_decay_in_the_epoch_loop_is_quiet() -> None:
    src = DECAY.replace("COND", "False").replace("WRITE", "pass") + textwrap.dedent("""
        for epoch in range(30):
            if epoch % 10 == 0 and epoch > 0:
                for g in optimizer.param_groups:
                    g["lr"] *= 0.1
            for x in loader:
                optimizer.step()
    """)
    assert [f for f in audit_source(src).findings if f.code == "LR201"] == []


# ------------------------------------------------------------------------------------ sibling configs


def test_notes_list_the_schedule_of_each_sibling_config(monkeypatch: pytest.MonkeyPatch) -> None:
    from lraudit.analyze import AnalysisOptions, analyze_path
    from lraudit.render.notes import render_notes

    monkeypatch.chdir(FIX / "configs_repo")
    assert "sibling_configs" not in analyze_path(os.path.abspath("train.py"), "train.py", AnalysisOptions()).details
    result = analyze_path(os.path.abspath("train.py"), "train.py", AnalysisOptions(siblings=True))
    (group,) = result.details["sibling_configs"]
    assert group["option"] == "--config" and group["default"] == "configs/resnet.yaml"
    # one run per config file, each with the values of its own file (worked out from the YAML files)
    got = {r["config"]: r["schedulers"][0]["args"] for r in group["runs"]}
    assert got == {"configs/resnet.yaml": {"gamma": 0.1, "last_epoch": -1, "step_size": 30},
                   "configs/small.yaml": {"gamma": 0.5, "last_epoch": -1, "step_size": 10},
                   "configs/wrong.yaml": {"gamma": 0.1, "last_epoch": -1, "step_size": 100}}
    from lraudit.engine import bound_rules

    text = render_notes([result], [], {code: rule for code, (rule, _) in bound_rules().items()})
    assert "Schedules of the other config files for --config" in text
    assert "0.01 for epochs 0–9, then 0.005" in text  # small.yaml: lr 0.01, halved every 10 of 40 epochs
    assert "stays at 0.2 for the whole run (epochs 0–49)" in text  # wrong.yaml: step_size 100 > 50 epochs
