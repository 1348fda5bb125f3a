"""A helper that writes the rate, called under a condition on the epoch (extract/manual.py ``_carry``): it is called
exactly when the condition holds, on the rate carried from the call before. A helper that scales the current rate
(``param_group["lr"] = param_group["lr"] * shrink``, a-PyTorch-Tutorial-to-Image-Captioning and faster-rcnn
style) was called at every epoch from the first one where the condition held, compounding the factor: a decay of
0.8 every 8 epochs was drawn as 0.8 every epoch, and LR102 fired. lraudit's curves are compared with the same
scripts run for real with torch, epoch by epoch."""

from __future__ import annotations

import math
import runpy
from pathlib import Path

import pytest

from lraudit.analyze import AnalysisOptions
from lraudit.api import audit_paths

torch = pytest.importorskip("torch")

HEAD = '''
import torch
from torch import nn

lr_history = []


def shrink(optimizer, factor):
    for param_group in optimizer.param_groups:
        param_group["lr"] = param_group["lr"] * factor


def set_rate(optimizer, value):
    for param_group in optimizer.param_groups:
        param_group["lr"] = value


def main():
    model = nn.Linear(4, 4)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    x = torch.randn(2, 4)
    for epoch in range(EPOCHS):
        GATE
        lr_history.append(optimizer.param_groups[0]["lr"])
        for _ in range(3):
            optimizer.zero_grad()
            model(x).sum().backward()
            optimizer.step()


if __name__ == "__main__":
    main()
'''

CASES = {
    # a-PyTorch-Tutorial-to-Image-Captioning: shrink by 0.8 every 8 epochs
    "every_8": (120, "if epoch > 0 and epoch % 8 == 0:\n            shrink(optimizer, 0.8)", []),
    # faster-rcnn: the first decay at epoch 0
    "modulo_from_0": (20, "if epoch % 6 == 0:\n            shrink(optimizer, 0.1)", []),
    "milestones": (90, "if epoch in (30, 60, 80):\n            shrink(optimizer, 0.1)", []),
    "from_30_on": (60, "if epoch >= 30:\n            shrink(optimizer, 0.95)", []),
    # an absolute helper, written once: the rate stays from then on
    "set_once": (50, "if epoch == 25:\n            set_rate(optimizer, 0.001)", []),
    "set_twice": (50, "if epoch in (10, 40):\n            set_rate(optimizer, 0.1 if epoch == 10 else 0.01)", []),
    # a helper that scales the rate it finds, called at every epoch: an exponential decay (it was dropped, the
    # run read as a constant rate)
    "every_epoch": (30, "shrink(optimizer, 0.9)", []),
}


def _script(tmp_path: Path, name: str) -> Path:
    epochs, gate, _ = CASES[name]
    path = tmp_path / f"{name}.py"
    path.write_text(HEAD.replace("EPOCHS", str(epochs)).replace("GATE", gate), encoding="utf-8")
    return path


@pytest.mark.parametrize("name", sorted(CASES))
def test_a_gated_helper_is_called_when_its_condition_holds(tmp_path: Path, name: str) -> None:
    path = _script(tmp_path, name)
    run = audit_paths([str(path)], AnalysisOptions(), jobs=1, cwd=str(tmp_path))
    (res,) = run.results
    (entry,) = res.schedulers
    assert entry["class"].startswith("manual:") and entry["stepped"] == "epoch", entry
    expected = list(runpy.run_path(str(path), run_name="__main__")["lr_history"])
    got = entry["lr"]
    assert got is not None and len(got) == len(expected)
    for k, (a, b) in enumerate(zip(got, expected)):
        assert math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-15), (name, k, a, b)
    assert [f.code for f in res.findings] == [], [f.message for f in res.findings]


def test_a_scaling_helper_under_a_condition_over_a_long_run_is_not_sampled(tmp_path: Path) -> None:
    """Over 10,000 steps the curve is sampled, each point on its own: a helper that scales the rate before it
    cannot be drawn that way (the value at a sample depends on every earlier call), so the curve is unknown with
    the reason instead of a wrong one."""
    text = HEAD.replace("EPOCHS", "100").replace("GATE", "pass").replace(
        "        for _ in range(3):\n", "        for it in range(500):\n            if it % 100 == 0:\n"
                                        "                shrink(optimizer, 0.99)\n")
    path = tmp_path / "long.py"
    path.write_text(text, encoding="utf-8")
    run = audit_paths([str(path)], AnalysisOptions(), jobs=1, cwd=str(tmp_path))
    (entry,) = run.results[0].schedulers
    assert entry["lr"] is None
    assert "updates the rate from its previous value" in entry["summary"], entry["summary"]


def test_the_same_constant_written_at_every_epoch_is_not_a_schedule(tmp_path: Path) -> None:
    path = tmp_path / "reset.py"
    path.write_text(HEAD.replace("EPOCHS", "30").replace("GATE", "set_rate(optimizer, 0.1)"), encoding="utf-8")
    run = audit_paths([str(path)], AnalysisOptions(), jobs=1, cwd=str(tmp_path))
    assert run.results[0].schedulers == []


def test_a_scaling_helper_gated_on_what_the_run_computes_is_reported_not_drawn(tmp_path: Path) -> None:
    """a-PyTorch-Tutorial-to-Image-Captioning: ``if epochs_since_improvement > 0 and epochs_since_improvement % 8
    == 0: adjust_learning_rate(decoder_optimizer, 0.8)``, a plateau schedule written by hand. It was dropped."""
    text = HEAD.replace("EPOCHS", "120").replace(
        "GATE", "if bad > 0 and bad % 8 == 0:\n            shrink(optimizer, 0.8)").replace(
        "    for epoch in range(120):\n", "    bad = 0\n    for epoch in range(120):\n").replace(
        "            optimizer.step()\n", "            optimizer.step()\n        bad = bad + 1 if model(x).sum() > 0 else 0\n")
    path = tmp_path / "plateau.py"
    path.write_text(text, encoding="utf-8")
    run = audit_paths([str(path)], AnalysisOptions(), jobs=1, cwd=str(tmp_path))
    (entry,) = run.results[0].schedulers
    assert entry["class"] == "manual:shrink" and entry["stepped"] == "epoch" and entry["lr"] is None
    assert "shrink() scales the current rate, and is called only when bad > 0 and bad % 8 == 0, which the run " \
           "decides" in entry["summary"], entry["summary"]


RESUME = '''
import torch
from torch import nn

lr_history = []


def get_lr(step, base_lr=0.003):
    if step < 100:
        return base_lr * step / 100
    return base_lr * 0.1 if step >= 300 else base_lr


def main():
    model = nn.Linear(4, 4)
    optim = torch.optim.SGD(model.parameters(), lr=0.003, momentum=0.9)
    step = 0
    try:
        checkpoint = torch.load("missing-checkpoint.pt")
        step = checkpoint["step"]
    except FileNotFoundError:
        pass
    x = torch.randn(2, 4)
    for _ in range(400):
        lr = get_lr(step)
        for g in optim.param_groups:
            g["lr"] = lr
        lr_history.append(lr)
        optim.zero_grad()
        model(x).sum().backward()
        optim.step()
        step += 1


if __name__ == "__main__":
    main()
'''


def test_a_counter_restored_in_a_try_body_starts_where_a_fresh_run_starts(tmp_path: Path,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """Big Transfer: ``try: step = checkpoint["step"]`` / ``except FileNotFoundError:``: a fresh run has no
    checkpoint, so the counter keeps 0, as with ``if os.path.exists(ckpt):``. The schedule was dropped."""
    path = tmp_path / "bit.py"
    path.write_text(RESUME, encoding="utf-8")
    run = audit_paths([str(path)], AnalysisOptions(), jobs=1, cwd=str(tmp_path))
    (entry,) = run.results[0].schedulers
    assert entry["class"] == "manual:get_lr" and entry["stepped"] == "batch"
    monkeypatch.chdir(tmp_path)
    expected = list(runpy.run_path(str(path), run_name="__main__")["lr_history"])
    assert entry["lr"] is not None and len(entry["lr"]) == len(expected) == 400
    assert all(math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-15) for a, b in zip(entry["lr"], expected))
