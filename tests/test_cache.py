"""The result cache: hits when nothing changed; a changed file, configuration, dependency or lraudit version
invalidates; corrupt or foreign entries are ignored, never trusted."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

import lraudit
import lraudit.runner as runner
from lraudit.analyze import AnalysisOptions
from lraudit.cache import CACHE_FORMAT, Cache, recording_dependencies
from lraudit.cli import main
from lraudit.results import FileResult

SCRIPT = """\
import torch

model = torch.nn.Linear(2, 2)
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=30)
for epoch in range(90):
    for batch in range(100):
        optimizer.step()
        scheduler.step()
"""


class Counter:
    """Counts real analyses (cache misses) by wrapping the runner's analysis function."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.calls = 0
        original = runner.analyze_bytes

        def counting(*args: Any, **kwargs: Any) -> FileResult:
            self.calls += 1
            return original(*args, **kwargs)

        monkeypatch.setattr(runner, "analyze_bytes", counting)


@pytest.fixture()
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "train.py").write_text(SCRIPT)
    return tmp_path


def _run(project: Path, opts: AnalysisOptions | None = None,
         files: tuple[str, ...] = ("train.py",)) -> list[FileResult]:
    pairs = [(str(project / f), f) for f in files]
    return runner.run_files(pairs, opts or AnalysisOptions(), jobs=1, cache_dir=str(project / ".lraudit_cache"))


def _entries(project: Path) -> list[Path]:
    return sorted(p for p in (project / ".lraudit_cache").rglob("*.json"))


def test_second_run_is_a_hit_with_the_same_result(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    count = Counter(monkeypatch)
    first = _run(project)
    second = _run(project)
    assert count.calls == 1
    assert [r.to_dict() for r in first] == [r.to_dict() for r in second]
    assert first[0].findings, "the script has an LR201 finding"
    assert (project / ".lraudit_cache" / ".gitignore").read_text().splitlines()[-1] == "*"


def test_changed_file_invalidates(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    count = Counter(monkeypatch)
    _run(project)
    (project / "train.py").write_text(SCRIPT.replace("lr=0.1", "lr=0.2"))
    result = _run(project)[0]
    assert count.calls == 2
    assert result.optimizers[0]["lr"]["value"] == 0.2


@pytest.mark.parametrize("changed", [
    AnalysisOptions(enabled=frozenset({"LR101"})),
    AnalysisOptions(rule_options=(("LR103", (("tolerance", 0.5),)),)),
    AnalysisOptions(severity=(("LR201", "warning"),)),
    AnalysisOptions(steps=10),
    AnalysisOptions(want_curves=False),
], ids=["select", "rule-options", "severity", "steps", "curves"])
def test_changed_configuration_invalidates(project: Path, monkeypatch: pytest.MonkeyPatch,
                                           changed: AnalysisOptions) -> None:
    count = Counter(monkeypatch)
    _run(project)
    _run(project, changed)
    assert count.calls == 2
    _run(project, changed)
    assert count.calls == 2


def test_severity_override_is_not_served_from_the_old_entry(project: Path) -> None:
    default = _run(project)[0]
    code = default.findings[0].code
    lowered = _run(project, AnalysisOptions(severity=((code, "info"),)))[0]
    assert {f.severity for f in lowered.findings if f.code == code} == {"info"}


def test_new_lraudit_version_invalidates(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    count = Counter(monkeypatch)
    original = lraudit.__version__
    _run(project)
    monkeypatch.setattr(lraudit, "__version__", "99.0.0")
    _run(project)
    assert count.calls == 2
    assert {json.loads(p.read_text())["version"] for p in _entries(project)} == {original, "99.0.0"}


def test_same_content_elsewhere_is_its_own_entry(project: Path) -> None:
    (project / "sub").mkdir()
    (project / "sub" / "train.py").write_text(SCRIPT)
    results = _run(project, files=("train.py", "sub/train.py"))
    assert [r.path for r in results] == ["train.py", "sub/train.py"]
    assert all(f.path == r.path for r in results for f in r.findings)
    assert len(_entries(project)) == 2


@pytest.mark.parametrize("garbage", [
    b"\x00\xffnot json at all",
    b'{"format": 2, "key": "',  # truncated
    b"[1, 2, 3]",
    b"null",
    b'{"format": 1, "key": "KEY", "version": "VERSION", "result": {"path": "train.py"}}',  # old format
    b'{"format": 2, "key": "another key", "version": "VERSION", "result": {"path": "train.py"}}',  # foreign
    b'{"format": 2, "key": "KEY", "version": "0.0.1", "result": {"path": "train.py"}}',  # other version
    b'{"format": 2, "key": "KEY", "version": "VERSION", "deps": "x", "result": {"path": "train.py"}}',
    b'{"format": 2, "key": "KEY", "version": "VERSION", "result": {"path": "train.py", "findings": [1]}}',
    b'{"format": 2, "key": "KEY", "version": "VERSION", "result": "train.py"}',
], ids=["binary", "truncated", "list", "null", "old-format", "foreign-key", "old-version", "bad-deps",
        "bad-finding", "bad-result"])
def test_corrupt_or_foreign_entries_are_ignored(project: Path, monkeypatch: pytest.MonkeyPatch,
                                                garbage: bytes) -> None:
    count = Counter(monkeypatch)
    good = _run(project)[0]
    [entry] = _entries(project)
    key = entry.parent.name + entry.stem
    entry.write_bytes(garbage.replace(b"KEY", key.encode()).replace(b"VERSION", lraudit.__version__.encode()))
    again = _run(project)[0]
    assert count.calls == 2
    assert again.to_dict() == good.to_dict()
    assert json.loads(entry.read_text())["format"] == CACHE_FORMAT  # rewritten with a good entry
    _run(project)
    assert count.calls == 2


def test_a_forged_entry_for_the_right_key_is_only_trusted_with_a_valid_shape(project: Path) -> None:
    cache = Cache(str(project / ".lraudit_cache"))
    data = (project / "train.py").read_bytes()
    key = cache.key(data, AnalysisOptions(), str(project / "train.py"), "train.py", str(project))
    cache.put(key, FileResult(path="train.py"))
    assert cache.get(key) == FileResult(path="train.py")
    assert cache.get("0" * 64) is None


def test_changed_config_file_invalidates(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (project / "cfg.yaml").write_text("lr: 0.05\n")
    (project / "train.py").write_text(SCRIPT.replace(
        "import torch\n", "import torch\nimport yaml\n\ncfg = yaml.safe_load(open('cfg.yaml'))\n").replace(
        "lr=0.1", "lr=cfg['lr']"))
    count = Counter(monkeypatch)
    assert _run(project)[0].optimizers[0]["lr"]["value"] == 0.05
    assert _run(project)[0].optimizers[0]["lr"]["value"] == 0.05
    assert count.calls == 1
    (project / "cfg.yaml").write_text("lr: 0.2\n")
    assert _run(project)[0].optimizers[0]["lr"]["value"] == 0.2
    assert count.calls == 2


def test_new_or_changed_local_module_invalidates(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from lraudit.extract import values

    (project / "train.py").write_text(SCRIPT.replace(
        "import torch\n", "import torch\nfrom settings import LR\n").replace("lr=0.1", "lr=LR"))
    count = Counter(monkeypatch)
    first = _run(project)[0]
    assert first.optimizers[0]["lr"]["value"] is None  # settings.py does not exist yet
    (project / "settings.py").write_text("LR = 0.3\n")
    assert _run(project)[0].optimizers[0]["lr"]["value"] == 0.3
    assert count.calls == 2
    assert _run(project)[0].optimizers[0]["lr"]["value"] == 0.3
    assert count.calls == 2
    (project / "settings.py").write_text("LR = 0.4\n")
    values._MODULE_CACHE.clear()  # extraction memoises parsed modules for the life of a process (one CLI run)
    assert _run(project)[0].optimizers[0]["lr"]["value"] == 0.4
    assert count.calls == 3


def test_recording_is_per_block_and_transparent(tmp_path: Path) -> None:
    (tmp_path / "a").write_text("x")
    with recording_dependencies() as seen:
        assert os.path.isfile(tmp_path / "a")
        assert not os.path.isfile(tmp_path / "b")
    assert seen == [str(tmp_path / "a"), str(tmp_path / "b")]
    assert os.path.isfile(tmp_path / "a") and seen == [str(tmp_path / "a"), str(tmp_path / "b")]


def test_unwritable_cache_does_not_fail_the_run(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (project / ".lraudit_cache").write_text("a file where the directory should be")
    results = _run(project)
    assert results[0].findings and results[0].error is None


# ----------------------------------------------------------------------------------------- CLI


def test_cli_cache_lives_next_to_the_configuration(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.lraudit]\n")
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "train.py").write_text(SCRIPT)
    monkeypatch.chdir(tmp_path / "src")
    out = CliRunner().invoke(main, ["check", "-j", "1", "train.py"])
    assert out.exit_code == 1, out.output
    assert (tmp_path / ".lraudit_cache" / ".gitignore").is_file()
    assert not (tmp_path / "src" / ".lraudit_cache").exists()


def test_cli_no_cache_writes_nothing(project: Path) -> None:
    out = CliRunner().invoke(main, ["check", "--no-cache", "-j", "1", "train.py"])
    assert out.exit_code == 1, out.output
    assert not (project / ".lraudit_cache").exists()
    warm = CliRunner().invoke(main, ["check", "-j", "1", "--format", "json", "train.py"])
    cold = CliRunner().invoke(main, ["check", "--no-cache", "-j", "1", "--format", "json", "train.py"])
    hot = CliRunner().invoke(main, ["check", "-j", "1", "--format", "json", "train.py"])
    assert warm.output == cold.output == hot.output


def test_results_that_ran_out_of_time_are_not_cached(project: Path) -> None:
    cache = Cache(str(project / ".lraudit_cache"))
    slow = FileResult(path="train.py", details={"schedulers": {"sched1": {
        "error": "the library would raise: simulation budget exceeded: 2.10 s > 2 s after 10 of 99 steps"}}})
    cache.put("ab" * 32, slow)
    assert cache.get("ab" * 32) is None
    cache.put("cd" * 32, FileResult(path="train.py"))
    assert cache.get("cd" * 32) is not None


def test_skipped_files_are_remembered_but_named_files_are_analysed(project: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    import lraudit.discover as discover

    (project / "util.py").write_text("def f(:\n    return 1\n")  # no optimizer words, and broken
    calls = []
    original = discover.prefilter

    def counting(data: bytes) -> bool:
        calls.append(1)
        return original(data)

    monkeypatch.setattr(discover, "prefilter", counting)
    assert _run(project, files=("util.py",))[0].skipped
    assert _run(project, files=("util.py",))[0].skipped
    assert len(calls) == 1  # the second run took the verdict from the cache
    pairs = [(str(project / "util.py"), "util.py")]
    named = runner.run_files(pairs, AnalysisOptions(), jobs=1, cache_dir=str(project / ".lraudit_cache"),
                             explicit={str(project / "util.py")})
    assert not named[0].skipped and [f.code for f in named[0].findings] == ["LR901"]
