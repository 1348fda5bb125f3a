"""Baselines: fingerprints survive shifted lines; files are written sorted and read strictly."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from lraudit.baseline import (
    BaselineError,
    filter_new,
    fingerprint,
    load_baseline,
    with_fingerprints,
    write_baseline,
)
from lraudit.results import Finding

SOURCE = """\
import torch
opt = torch.optim.SGD(params, lr=0.1)
sched = torch.optim.lr_scheduler.StepLR(opt, 10, gamma=2.0)
for epoch in range(10):
    sched.step()
"""


def finding(line: int, code: str = "LR101", path: str = "train.py", end_line: int | None = None, message: str = "m") -> Finding:
    return Finding(
        code=code,
        name="increasing-lr",
        severity="warning",
        path=path,
        line=line,
        column=1,
        end_line=end_line if end_line is not None else line,
        end_column=10,
        message=message,
    )


def test_shifted_lines_keep_the_fingerprint() -> None:
    before = SOURCE.splitlines()
    after = ("# a new header comment\n\n" + SOURCE.replace("import torch", "import torch\nimport os")).splitlines()
    assert after[5].startswith("sched =")
    assert fingerprint(finding(3), before) == fingerprint(finding(6), after)


def test_reindenting_or_respacing_keeps_the_fingerprint() -> None:
    lines = SOURCE.splitlines()
    respaced = [line.replace("(opt, 10,", "(opt,   10,") for line in lines]
    respaced[2] = "    " + respaced[2]
    assert fingerprint(finding(3), lines) == fingerprint(finding(3), respaced)


def test_changing_the_reported_line_changes_the_fingerprint() -> None:
    lines = SOURCE.splitlines()
    edited = SOURCE.replace("gamma=2.0", "gamma=3.0").splitlines()
    assert fingerprint(finding(3), lines) != fingerprint(finding(3), edited)


def test_code_and_path_are_part_of_the_fingerprint() -> None:
    lines = SOURCE.splitlines()
    base = fingerprint(finding(3), lines)
    assert fingerprint(finding(3, code="LR102"), lines) != base
    assert fingerprint(finding(3, path="other.py"), lines) != base


def test_message_and_line_number_are_not_part_of_it() -> None:
    lines = SOURCE.splitlines()
    assert fingerprint(finding(3, message="rises at step 10"), lines) == fingerprint(
        finding(3, message="rises at step 11"), lines
    )


def test_identical_lines_get_distinct_fingerprints_by_occurrence() -> None:
    lines = ["sched.step()", "x = 1", "sched.step()", "sched.step()"]
    prints = [fingerprint(finding(n), lines) for n in (1, 3, 4)]
    assert len(set(prints)) == 3
    # the second occurrence keeps its identity when unrelated lines are inserted before it
    shifted = ["y = 0", "sched.step()", "x = 1", "z = 2", "sched.step()", "sched.step()"]
    assert [fingerprint(finding(n), shifted) for n in (2, 5, 6)] == prints


def test_multi_line_span() -> None:
    lines = ["a = f(", "    1,", ")", "b = 2"]
    one = fingerprint(finding(1, end_line=3), lines)
    assert one == fingerprint(finding(2, end_line=4), ["# c", *lines])
    assert one != fingerprint(finding(1, end_line=1), lines)


def test_line_out_of_range_falls_back_to_message() -> None:
    lines = ["x = 1"]
    assert fingerprint(finding(0, message="cannot parse"), lines) != fingerprint(finding(0, message="other"), lines)
    assert fingerprint(finding(99, message="a"), lines) == fingerprint(finding(99, message="a"), lines)


def test_with_fingerprints_fills_the_field() -> None:
    lines = SOURCE.splitlines()
    (filled,) = with_fingerprints([finding(3)], lines)
    assert filled.fingerprint == fingerprint(finding(3), lines) and len(filled.fingerprint) == 32


def test_write_then_load_round_trip_sorted(tmp_path: Path) -> None:
    lines = SOURCE.splitlines()
    findings = with_fingerprints([finding(3, path="b.py"), finding(5, path="a.py"), finding(3, path="a.py")], lines)
    target = tmp_path / "lraudit-baseline.json"
    write_baseline(target, findings)
    text = target.read_text()
    assert text.endswith("\n")
    document = json.loads(text)
    assert document["lraudit_baseline"] == 1
    keys = [(e["path"], e["code"], e["fingerprint"]) for e in document["findings"]]
    assert keys == sorted(keys)
    assert [e["path"] for e in document["findings"]] == ["a.py", "a.py", "b.py"]
    assert set(document["findings"][0]) == {"fingerprint", "code", "name", "path"}
    assert load_baseline(target) == {f.fingerprint for f in findings}
    # writing again from the same findings in another order gives identical bytes
    write_baseline(target, list(reversed(findings)))
    assert target.read_text() == text
    assert not [p for p in tmp_path.iterdir() if p.name != target.name], "no temp files left"


def test_write_refuses_findings_without_fingerprint(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="no fingerprint"):
        write_baseline(tmp_path / "b.json", [finding(3)])
    assert not (tmp_path / "b.json").exists()


def test_filter_new_keeps_only_unbaselined_findings() -> None:
    before = SOURCE.splitlines()
    old = with_fingerprints([finding(3)], before)
    baseline = {f.fingerprint for f in old}
    after = ("# header\n" + SOURCE + "sched2 = StepLR(opt, 5, gamma=4.0)\n").splitlines()
    current = with_fingerprints([finding(4), finding(7)], after)
    new = filter_new(current, baseline)
    assert [f.line for f in new] == [7]
    assert filter_new([finding(4)], baseline) == [finding(4)], "no fingerprint: counted as new"


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        pytest.param("{not json", "not valid JSON (line 1, column 2", id="invalid-json"),
        pytest.param("[]", "not an lraudit baseline", id="list"),
        pytest.param('{"findings": []}', "not an lraudit baseline", id="no-version"),
        pytest.param('{"lraudit_baseline": 2, "findings": []}', "unsupported baseline version 2", id="version"),
        pytest.param('{"lraudit_baseline": 1, "findings": {}}', '"findings" must be a list', id="findings-type"),
        pytest.param('{"lraudit_baseline": 1, "findings": [{"code": "LR101"}]}', 'findings[0] has no "fingerprint"', id="entry"),
        pytest.param('{"lraudit_baseline": 1, "findings": ["abc"]}', 'findings[0] has no "fingerprint"', id="entry-type"),
    ],
)
def test_malformed_baseline_is_a_clear_error(tmp_path: Path, content: str, expected: str) -> None:
    target = tmp_path / "baseline.json"
    target.write_text(content)
    with pytest.raises(BaselineError) as excinfo:
        load_baseline(target)
    assert str(target) in str(excinfo.value)
    assert expected in str(excinfo.value)


def test_missing_baseline_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(BaselineError, match="baseline file not found"):
        load_baseline(tmp_path / "nope.json")


def test_empty_baseline_loads(tmp_path: Path) -> None:
    target = tmp_path / "b.json"
    write_baseline(target, [])
    assert load_baseline(target) == set()
    assert json.loads(target.read_text()) == {"lraudit_baseline": 1, "findings": []}


def test_finding_dataclass_is_unchanged_by_fingerprinting() -> None:
    f = finding(3)
    (filled,) = with_fingerprints([f], SOURCE.splitlines())
    assert dataclasses.replace(filled, fingerprint="") == f
