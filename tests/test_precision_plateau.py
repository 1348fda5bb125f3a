"""Precision item 1: a plateau scheduler's metric direction from any expression (LR205), with the nearby variants
that must stay quiet."""

from __future__ import annotations

import textwrap

import pytest

from lraudit.api import audit_source
from lraudit.checks.stepping import metric_direction, traced_direction

HEAD = textwrap.dedent("""\
    import math
    import torch
    from torch.optim.lr_scheduler import ReduceLROnPlateau

    def evaluate(model):
        return 0.1, 0.9

    def accuracy(model):
        return correct / total

    model = torch.nn.Linear(2, 2)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    sched = ReduceLROnPlateau(opt, mode="{mode}")
    for epoch in range(10):
        for x in loader:
            opt.zero_grad()
            model(x).sum().backward()
            opt.step()
        scores = {{"loss": 0.3, "acc": 0.8}}
        val_loss, val_acc = evaluate(model)
""")


def _lr205(mode: str, body: str) -> list[str]:
    src = HEAD.format(mode=mode) + textwrap.indent(textwrap.dedent(body), "    ")
    return [f.message for f in audit_source(src, "train.py", select=["LR205"]).findings]


@pytest.mark.parametrize("body", [
    "m = round(val_acc, 4)\nsched.step(m)",
    "sched.step(math.ceil(scores['acc'] * 1000) / 1000)",
    "sched.step(float(val_acc))",
    "sched.step(torch.tensor(val_acc).mean().item())",
    "metric = val_acc\nvalue = metric\nsched.step(value)",
    "sched.step(scores['acc'])",
    "sched.step(-val_loss)",
    "sched.step(1 - val_loss)",
    "a = accuracy(model)\nsched.step(a)",
    "sched.step(meter.avg_acc)",
    "score = -val_loss\nsched.step(score)",
])
def test_higher_is_better_in_min_mode_fires(body: str) -> None:
    (msg,) = _lr205("min", body)
    assert "higher is better" in msg


@pytest.mark.parametrize("body", [
    "m = round(val_loss, 4)\nsched.step(m)",
    "sched.step(scores['loss'])",
    "sched.step(-val_acc)",
    "sched.step(1 - val_acc)",
    "sched.step(val_loss.item())",
    "sched.step(losses.avg)",
    "score = val_loss\nsched.step(score)",   # the name says higher, the value says lower: ambiguous, quiet
    "sched.step(val_loss * val_acc)",       # two variables: order unknown
    "sched.step(compute(val_acc))",          # unknown function: order unknown, its own name says nothing
    "sched.step(max(val_acc, 0.5) if flag else val_loss)",
])
def test_lower_is_better_or_unknown_in_min_mode_is_quiet(body: str) -> None:
    assert _lr205("min", body) == []


def test_flip_in_max_mode() -> None:
    (msg,) = _lr205("max", "sched.step(1 - val_acc)")
    assert "lower is better" in msg and "reversed val_acc" in msg
    assert _lr205("max", "sched.step(1 - val_loss)") == []


def test_metric_passed_as_a_parameter_is_followed_to_its_callers() -> None:
    src = textwrap.dedent("""\
        import torch
        from torch.optim.lr_scheduler import ReduceLROnPlateau

        def update(sched, metric):
            sched.step(metric)

        model = torch.nn.Linear(2, 2)
        opt = torch.optim.SGD(model.parameters(), lr=0.1)
        sched = ReduceLROnPlateau(opt, mode="min")
        for epoch in range(10):
            for x in loader:
                opt.zero_grad(); model(x).sum().backward(); opt.step()
            val_acc = validate(model)
            update(sched, val_acc)
        """)
    msgs = [f.message for f in audit_source(src, "train.py", select=["LR205"]).findings]
    assert len(msgs) == 1 and "from val_acc" in msgs[0]
    assert not audit_source(src.replace("val_acc", "val_loss"), "train.py", select=["LR205"]).findings


@pytest.mark.parametrize("text,expected", [
    ("scores['loss']", "min"), ('scores["val"]["acc"]', "max"), ("history.history['val_acc'][-1]", "max"),
    ("metrics.val_loss", "min"), ("losses.avg", "min"), ("self.best_acc", "max"), ("val_mAP", "max"),
    ("-val_loss", "max"), ("val_loss_acc", None), ("x", None), ("f(x)", None),
])
def test_metric_direction_of_a_name_path(text: str, expected: str | None) -> None:
    d = metric_direction(text)
    assert (d[0] if d else None) == expected


def test_traced_direction_needs_agreement() -> None:
    assert traced_direction([("m", False), ("val_acc", True)])[0] == "min"
    assert traced_direction([("score", False), ("val_loss", False)]) is None
    assert traced_direction([("m", False)]) is None


# ------------------------------------------------------------------------------ across modules (whole repository)

_ENGINE = '''import torch
from torch.optim.lr_scheduler import ReduceLROnPlateau


class Trainer:
    def __init__(self, model):
        self.model = model
        self.optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
        self.scheduler = ReduceLROnPlateau(self.optimizer, mode="{mode}")

    def train_epoch(self, loader):
        for x, y in loader:
            self.optimizer.zero_grad()
            self.model(x).sum().backward()
            self.optimizer.step()

    def end_epoch(self, metric):
        self.scheduler.step(metric)
'''

_MAIN = '''import torch
from engine import Trainer


def evaluate(model, loader):
    return 0.5


model = torch.nn.Linear(2, 2)
print("the optimizer and its schedule are built by the engine")
trainer = Trainer(model)
for epoch in range(10):
    trainer.train_epoch(train_loader)
    {name} = evaluate(model, val_loader)
    trainer.end_epoch({name})
'''

_HELPER = '''def step_scheduler(scheduler, metric):
    scheduler.step(metric)
'''

_TRAIN = '''import torch
from torch.optim.lr_scheduler import ReduceLROnPlateau
from utils.sched import step_scheduler

model = torch.nn.Linear(2, 2)
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
scheduler = ReduceLROnPlateau(optimizer, mode="{mode}")
for epoch in range(10):
    for x, y in train_loader:
        optimizer.zero_grad()
        model(x).sum().backward()
        optimizer.step()
    {name} = evaluate(model, val_loader)
    step_scheduler(scheduler, {name})
'''


def _repo_lr205(tmp_path, monkeypatch, files: dict[str, str]) -> list[tuple[str, int, str]]:
    from lraudit import repository
    from lraudit.api import audit_paths

    for rel, text in files.items():
        p = tmp_path / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)
    (tmp_path / ".git").mkdir()
    repository.reset()
    monkeypatch.chdir(tmp_path)
    report = audit_paths(["."], cache_dir=None)
    return [(f.path, f.line, f.message) for r in report.results for f in r.findings if f.code == "LR205"]


@pytest.mark.parametrize("mode,name,fires", [
    ("min", "top1_acc", True),   # the metric comes from the caller in another module: higher is better
    ("max", "top1_acc", False),
    ("min", "val_loss", False),
    ("min", "score_value", True),
])
def test_a_metric_passed_to_a_method_of_another_module(tmp_path, monkeypatch, mode: str, name: str,
                                                        fires: bool) -> None:
    found = _repo_lr205(tmp_path, monkeypatch, {"engine.py": _ENGINE.format(mode=mode),
                                                "main.py": _MAIN.format(name=name)})
    if not fires:
        assert found == []
        return
    ((path, line, msg),) = found
    assert (path, line) == ("engine.py", 9)
    assert f"stepped with metric (from {name})" in msg and "when called from main.py" in msg


@pytest.mark.parametrize("mode,name,fires", [
    ("min", "val_acc", True),  # a helper in another module receives the metric
    ("max", "val_acc", False),
    ("min", "val_loss", False),
])
def test_a_metric_passed_to_a_helper_of_another_module(tmp_path, monkeypatch, mode: str, name: str,
                                                        fires: bool) -> None:
    found = _repo_lr205(tmp_path, monkeypatch, {"utils/__init__.py": "", "utils/sched.py": _HELPER,
                                                "train.py": _TRAIN.format(mode=mode, name=name)})
    if not fires:
        assert found == []
        return
    ((path, line, msg),) = found
    assert (path, line) == ("train.py", 7)
    assert f"stepped with metric (from {name})" in msg
