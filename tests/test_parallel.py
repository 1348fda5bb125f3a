"""Parallel runs: the same output whatever the number of jobs, no pool for one or two files, a fallback when
processes are not available."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

import lraudit.runner as runner
from lraudit.analyze import AnalysisOptions
from lraudit.cli import main
from lraudit.discover import discover

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "fixtures" / "examples"
# a small sample (the tests must stay fast): findings of several rules, two schedulers on one file, a file the
# prefilter rejects
SAMPLE = ("bad_cosine_tmax_short.py", "bad_onecycle_per_epoch.py", "bad_plateau_accuracy_min.py",
          "bad_scheduler_before_optimizer.py", "bad_steplr_per_batch.py", "bad_warmup_longer_than_run.py",
          "gan_two_schedulers.py", "prepare_dataset_shards.py")


@pytest.fixture()
def sample(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "sample").mkdir()
    for name in SAMPLE:
        (tmp_path / "sample" / name).write_bytes((EXAMPLES / name).read_bytes())
    monkeypatch.chdir(tmp_path)
    return tmp_path / "sample"


def _cli(*args: str) -> str:
    out = CliRunner().invoke(main, list(args))
    assert out.exit_code in (0, 1), out.output
    return out.output


def test_check_json_is_identical_with_one_and_two_jobs(sample: Path) -> None:
    one = _cli("check", "--no-cache", "--jobs", "1", "--format", "json", "sample")
    two = _cli("check", "--no-cache", "--jobs", "2", "--format", "json", "sample")
    assert one == two
    assert '"findings": [' in one and one.count('"code"') >= 6
    assert '"files": 8' in one


def test_explain_json_is_identical_with_one_and_two_jobs(sample: Path) -> None:
    one = _cli("explain", "--no-cache", "--jobs", "1", "--format", "json", "sample")
    two = _cli("explain", "--no-cache", "--jobs", "2", "--format", "json", "sample")
    assert one == two
    assert one.count('"lr": [') >= 6


def test_results_come_back_in_input_order(sample: Path) -> None:
    files = discover([str(sample)]).files
    reversed_files = list(reversed(files))
    results = runner.run_files(reversed_files, AnalysisOptions(want_curves=False), jobs=2)
    assert [r.path for r in results] == [d for _, d in reversed_files]
    assert [r.skipped for r in results].count(True) == 1


class _NoPool:
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        raise AssertionError("a process pool was started")


def test_one_or_two_files_never_start_a_pool(sample: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import concurrent.futures

    monkeypatch.setattr(concurrent.futures, "ProcessPoolExecutor", _NoPool)
    files = discover([str(sample)]).files[:2]
    results = runner.run_files(files, AnalysisOptions(), jobs=8)
    assert [r.path for r in results] == [d for _, d in files]
    out = _cli("check", "--no-cache", "--jobs", "8", "sample/bad_steplr_per_batch.py", "sample/gan_two_schedulers.py")
    assert "LR201" in out


class _Broken:
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        raise OSError("no processes here")


def test_falls_back_to_one_process(sample: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import concurrent.futures

    files = discover([str(sample)]).files[:4]
    expected = [r.to_dict() for r in runner.run_files(files, AnalysisOptions(want_curves=False), jobs=1)]
    monkeypatch.setattr(concurrent.futures, "ProcessPoolExecutor", _Broken)
    got = [r.to_dict() for r in runner.run_files(files, AnalysisOptions(want_curves=False), jobs=4)]
    assert got == expected


def test_directory_files_are_prefiltered_named_files_are_not(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "broken.py").write_text("def f(:\n    pass\n")  # no optimizer words, does not parse
    walked = runner.run_files([(str(tmp_path / "broken.py"), "broken.py")], AnalysisOptions(), jobs=1)
    assert walked[0].skipped and not walked[0].findings
    named = runner.run_files([(str(tmp_path / "broken.py"), "broken.py")], AnalysisOptions(), jobs=1,
                             explicit={str(tmp_path / "broken.py")})
    assert [f.code for f in named[0].findings] == ["LR901"]


def test_unreadable_and_vanished_files_are_errors(tmp_path: Path) -> None:
    (tmp_path / "d.py").mkdir()
    results = runner.run_files([(str(tmp_path / "gone.py"), "gone.py"), (str(tmp_path / "d.py"), "d.py")],
                               AnalysisOptions(), jobs=1)
    assert results[0].error == "file disappeared before it could be read"
    assert results[1].error


def test_default_jobs_is_the_usable_cpu_count() -> None:
    assert 1 <= runner.default_jobs()


def test_a_run_paces_the_collector_and_restores_it(sample: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import gc

    seen: list[tuple[int, int, int]] = []
    original = runner.Worker.compute

    def spy(self: runner.Worker, *args: Any) -> Any:
        seen.append(gc.get_threshold())
        return original(self, *args)

    monkeypatch.setattr(runner.Worker, "compute", spy)
    before = gc.get_threshold()
    runner.run_files(discover([str(sample)]).files[:2], AnalysisOptions(want_curves=False), jobs=1)
    assert gc.get_threshold() == before
    assert seen and all(t[0] >= runner.GC_YOUNG_THRESHOLD for t in seen)
    runner.release_memory()  # returns freed memory to the system where it can; never fails
