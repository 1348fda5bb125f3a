"""``lraudit notes --plots DIR``: one byte-stable SVG per schedule with a known curve (matplotlib)."""

from __future__ import annotations

import builtins
import importlib.util
import os
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from lraudit.render.plots import PlotError, plot_file_name, plot_key, write_plots
from lraudit.results import FileResult

REPO = Path(__file__).resolve().parent.parent


def result(path: str, curves: dict[str, Any], unit: str = "epoch", skipped: bool = False) -> FileResult:
    schedulers = []
    for sid, curve in curves.items():
        lr, steps = curve if isinstance(curve, tuple) else (curve, None)
        entry: dict[str, Any] = {"id": sid, "class": "torch.optim.lr_scheduler.StepLR", "unit": unit, "lr": lr}
        if steps is not None:
            entry["lr_steps"] = steps
        schedulers.append(entry)
    return FileResult(path=path, schedulers=schedulers, skipped=skipped,
                      details={"schedulers": {sid: {"unit": unit} for sid in curves}})


STEP = [0.1] * 10 + [0.01] * 10


def test_plot_error_when_matplotlib_is_missing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real_import = builtins.__import__

    def no_matplotlib(name: str, *args: Any, **kwargs: Any) -> Any:
        if name == "matplotlib" or name.startswith("matplotlib."):
            raise ImportError(f"No module named {name!r}")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_matplotlib)
    with pytest.raises(PlotError, match=re.escape("--plots needs matplotlib: pip install 'lr-audit[plot]'")):
        write_plots([result("a.py", {"sched1": STEP})], str(tmp_path / "plots"), ".")
    assert not (tmp_path / "plots").exists()


def test_file_names_are_sanitized_deterministic_and_distinct() -> None:
    name = plot_file_name("src/my train/run.py", "sched1")
    assert re.fullmatch(r"src_my_train_run\.py-sched1-[0-9a-f]{8}\.svg", name)
    assert plot_file_name("src/my train/run.py", "sched1") == name
    assert plot_file_name("src/my_train/run.py", "sched1") != name  # same sanitized stem, different file
    assert plot_file_name("a.py", "sched2") != plot_file_name("a.py", "sched1")
    long = plot_file_name("d/" * 100 + "x.py", "sched1")
    assert len(long) <= 80 + len("-sched1-01234567.svg") and long.endswith("x.py-sched1-" + long[-12:])
    assert "/" not in long and ".." not in plot_file_name("../../etc/passwd", "s")
    assert plot_key("a.py", "sched1") == "a.py::sched1"


needs_matplotlib = pytest.mark.skipif(importlib.util.find_spec("matplotlib") is None,
                                      reason="the plot extra (matplotlib) is not installed")


@needs_matplotlib
def test_one_svg_per_known_curve_with_relative_paths(tmp_path: Path) -> None:
    results = [
        result("b/train.py", {"sched1": STEP, "sched2": None}),
        result("a.py", {"sched1": ([0.0, 0.1, 0.05, 0.0], [0, 100, 500, 999])}, unit="step"),
        result("skipped.py", {"sched1": STEP}, skipped=True),
    ]
    out_dir = tmp_path / "docs" / "plots"
    mapping = write_plots(results, str(out_dir), relative_to=str(tmp_path / "docs"))
    assert set(mapping) == {"b/train.py::sched1", "a.py::sched1"}
    for key, rel in mapping.items():
        assert rel.startswith("plots/") and rel.endswith(".svg")
        path = tmp_path / "docs" / rel
        text = path.read_text(encoding="utf-8")
        assert text.startswith("<?xml") and "<svg" in text
        assert "<dc:date>" not in text
        assert rel == "plots/" + plot_file_name(*key.split("::"))
    assert len(os.listdir(out_dir)) == 2
    assert not [p for p in os.listdir(out_dir) if p.endswith(".tmp")]


@needs_matplotlib
def test_svg_bytes_are_stable_across_runs(tmp_path: Path) -> None:
    results = [result("train.py", {"sched1": STEP})]
    first = write_plots(results, str(tmp_path / "one"), relative_to=str(tmp_path))
    second = write_plots(results, str(tmp_path / "two"), relative_to=str(tmp_path))
    a = (tmp_path / first["train.py::sched1"]).read_bytes()
    b = (tmp_path / second["train.py::sched1"]).read_bytes()
    assert a == b
    other = write_plots([result("train.py", {"sched1": STEP[::-1]})], str(tmp_path / "three"), str(tmp_path))
    assert (tmp_path / other["train.py::sched1"]).read_bytes() != a


@needs_matplotlib
def test_non_finite_values_do_not_break_the_plot(tmp_path: Path) -> None:
    mapping = write_plots([result("n.py", {"sched1": [0.1, "nan", "inf", 0.05]}),
                           result("m.py", {"sched1": ["nan", "nan"]})], str(tmp_path), ".")
    assert list(mapping) == ["n.py::sched1"]


@needs_matplotlib
def test_no_known_curve_writes_nothing(tmp_path: Path) -> None:
    assert write_plots([result("a.py", {"sched1": None})], str(tmp_path / "p"), ".") == {}
    assert not (tmp_path / "p").exists()


@needs_matplotlib
def test_cli_links_the_plots_from_the_notes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from lraudit.cli import main

    (tmp_path / "repo").mkdir()
    shutil.copy(REPO / "fixtures" / "examples" / "imagenet_steplr.py", tmp_path / "repo" / "train.py")
    (tmp_path / "docs").mkdir()
    monkeypatch.chdir(tmp_path)
    res = CliRunner().invoke(main, ["notes", "repo", "-o", "docs/NOTES.md", "--plots", "docs/img", "--no-cache",
                                    "-j", "1"])
    assert res.exit_code == 0, res.output
    notes = (tmp_path / "docs" / "NOTES.md").read_text(encoding="utf-8")
    name = plot_file_name("repo/train.py", "sched1")
    assert f"![sched1 learning rate](img/{name})" in notes, notes
    assert (tmp_path / "docs" / "img" / name).is_file()
