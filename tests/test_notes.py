"""``lraudit notes``: the Markdown onboarding document (structure, escaping, determinism, merge, snapshot)."""

from __future__ import annotations

import os
import random
import re
import shutil
from pathlib import Path
from types import MappingProxyType
from typing import Any

import pytest
from click.testing import CliRunner

from lraudit.cli import main
from lraudit.registry import Examples, Rule
from lraudit.render.notes import Anchors, md_code, md_text, render_notes, table
from lraudit.results import FileResult, Finding
from lraudit.safe_write import BEGIN, END, merge_generated_block

REPO = Path(__file__).resolve().parent.parent
EXAMPLES = REPO / "fixtures" / "examples"
SNAPSHOT = REPO / "tests" / "snapshots" / "notes_examples.md"
UPDATE = bool(os.environ.get("LRAUDIT_UPDATE_SNAPSHOTS"))


# ------------------------------------------------------------------------------------------ builders


def make_rule(code: str, name: str, severity: str = "warning") -> Rule:
    return Rule(
        code=code, name=name, category="schedule", severity=severity,  # type: ignore[arg-type]
        summary=f"summary of {name}", message="m",
        why=f"Why {name} matters,\nin two lines.\n\nA second paragraph that the notes leave out.",
        options=MappingProxyType({}), references=(), examples=Examples(bad=(), good=()),
        path=Path(f"rules/schedule/{name}.yaml"),
    )


RULES = {r.code: r for r in (make_rule("LR101", "increasing-lr"), make_rule("LR205", "steplr-per-batch", "error"))}


def finding(path: str, line: int, code: str = "LR101", name: str = "increasing-lr", severity: str = "warning",
            message: str = "the learning rate rises after warm-up") -> Finding:
    return Finding(code=code, name=name, severity=severity, path=path, line=line, column=1,  # type: ignore[arg-type]
                   end_line=line, end_column=10, message=message)


def known(value: Any, source: str = "literal") -> dict[str, Any]:
    return {"value": value, "source": source}


def unknown(reason: str) -> dict[str, Any]:
    return {"value": None, "unresolved": reason}


STEP_CURVE = [0.1] * 30 + [0.01] * 30 + [0.001] * 30


def steplr_result(path: str = "train/imagenet.py", findings: list[Finding] | None = None) -> FileResult:
    return FileResult(
        path=path,
        optimizers=[{
            "id": "opt1", "class": "torch.optim.SGD", "line": 76, "variable": "optimizer",
            "lr": known(0.1, "argparse default of --lr (imagenet.py:27)"),
            "params": {
                "dampening": known(0, "torch default"),
                "momentum": known(0.9, "argparse default of --momentum (imagenet.py:29)"),
                "nesterov": known(False, "torch default"),
                "weight_decay": unknown("args.wd comes from the command line"),
            },
        }],
        schedulers=[{
            "id": "sched1", "class": "torch.optim.lr_scheduler.StepLR", "line": 90, "variable": "scheduler",
            "optimizer": "opt1",
            "args": {"gamma": known(0.1), "last_epoch": known(-1, "torch default"),
                     "step_size": known(30, "constant STEP at imagenet.py:5")},
            "stepped": "epoch", "unit": "epoch", "horizon": known(90, "the epoch loop at imagenet.py:81"),
            "shape": "step decay",
            "summary": "The learning rate is 0.1 for epochs 0\u201329, then 0.01 until epoch 59, then 0.001.",
            "lr": list(STEP_CURVE),
        }],
        findings=list(findings or []),
        details={
            "schedulers": {"sched1": {
                "step_sites": ["step() at line 107, per epoch"], "children": [], "parent": None,
                "optimizer_reason": None, "framework": "torch",
                "horizon_source": "90 epochs from the epoch loop at imagenet.py:81", "assumption": None,
                "error": None, "stops_at": None, "stop_reason": None, "unit": "epoch",
                "milestones": [["start", "epoch 0", "0.1"], ["drop (x0.1)", "epoch 30", "0.01"],
                               ["drop (x0.1)", "epoch 60", "0.001"], ["end", "epoch 89", "0.001"]],
            }},
            "horizon": {}, "optimizer_steps": ["step() at line 92, per batch [opt1]"], "lr_writes": [],
        },
    )


def unknown_curve_result() -> FileResult:
    return FileResult(
        path="gan.py",
        optimizers=[{"id": "opt1", "class": "torch.optim.Adam", "line": 3, "variable": None,
                     "lr": unknown("cfg.lr is read from a file lraudit could not find"), "params": {}}],
        schedulers=[{
            "id": "sched1", "class": "custom:WarmupCosine", "line": 9, "variable": "sched", "optimizer": None,
            "args": {}, "stepped": "never", "unit": "step", "horizon": unknown("no training loop"),
            "shape": None, "summary": "", "lr": None,
        }],
        details={"schedulers": {"sched1": {
            "step_sites": [], "children": [], "parent": None, "optimizer_reason": "built from a factory",
            "error": "custom scheduler: its get_lr() is not simulated",
        }}},
    )


def render(results: list[FileResult], errors: list[tuple[str, str]] | None = None, **kw: Any) -> str:
    return render_notes(results, errors or [], RULES, version="9.9.9", **kw)


def table_rows(text: str, header_start: str) -> list[list[str]]:
    """The cells of the GFM table whose header row starts with ``header_start`` (split on unescaped pipes)."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(header_start))
    rows = []
    for line in lines[start:]:
        if not line.startswith("|"):
            break
        cells = re.split(r"(?<!\\)\|", line)[1:-1]
        rows.append([c.strip() for c in cells])
    return rows


# ------------------------------------------------------------------------------------------- structure


def test_title_intro_and_table_of_contents() -> None:
    out = render([steplr_result(), unknown_curve_result(), FileResult(path="skip.py", skipped=True)])
    lines = out.splitlines()
    assert lines[0] == "# Learning-rate notes"
    assert "Generated by lraudit 9.9.9 from 3 files (2 training scripts" in out
    assert "edit outside the markers" in out
    assert "## Contents" in lines
    assert "- [`gan.py`](#ganpy): 1 optimizer, 1 schedule, no findings" in lines
    assert "- [`train/imagenet.py`](#trainimagenetpy): 1 optimizer, 1 schedule, no findings" in lines
    # scripts are sorted by path; skipped files get no section
    assert out.index("## `gan.py`") < out.index("## `train/imagenet.py`")
    assert "skip.py" not in out
    assert BEGIN not in out and END not in out  # the merge adds the markers
    assert out.endswith("\n") and not out.endswith("\n\n")


def test_optimizer_table_shows_values_with_their_sources() -> None:
    out = render([steplr_result()])
    rows = table_rows(out, "| Optimizer")
    assert rows[0] == ["Optimizer", "Class", "Line", "Learning rate", "Where the learning rate comes from",
                       "Other settings (and their sources)"]
    opt = rows[2]
    assert opt[:5] == ["`opt1` (`optimizer`)", "`torch.optim.SGD`", "76", "`0.1`",
                       "argparse default of --lr (imagenet.py:27)"]
    settings = opt[5].split("<br>")
    assert settings == ["`momentum` = `0.9` (argparse default of --momentum (imagenet.py:29))",
                        "`weight_decay` = *unknown* (args.wd comes from the command line)"]
    assert "dampening" not in out and "nesterov" not in out  # library defaults are not "settings"


def test_schedule_section_explanation_stepping_horizon_chart_and_milestones() -> None:
    out = render([steplr_result()])
    section = out[out.index("### sched1: StepLR (line 90)"):]
    assert "`torch.optim.lr_scheduler.StepLR`, assigned to `scheduler`, drives optimizer `opt1`." in section
    assert "The learning rate is 0.1 for epochs 0\u201329, then 0.01 until epoch 59, then 0.001." in section
    assert "**Stepped:** once per epoch: step() at line 107, per epoch" in section
    assert "**Horizon:** 90 epochs from the epoch loop at imagenet.py:81" in section
    args = table_rows(section, "| Argument")
    assert args[2:] == [["`gamma`", "`0.1`", "literal"], ["`step_size`", "`30`", "constant STEP at imagenet.py:5"]]
    chart = re.search(r"```mermaid\n(.*?)\n```", section, re.S)
    assert chart is not None
    body = chart.group(1)
    assert body.startswith("xychart-beta")
    assert 'x-axis "epoch" 0 --> 89' in body
    assert "line [0.1, " in body and "0.001]" in body
    milestones = table_rows(section, "| Milestone")
    assert milestones[0] == ["Milestone", "When", "Learning rate"]
    assert milestones[2:] == [["start", "epoch 0", "`0.1`"], ["drop (x0.1)", "epoch 30", "`0.01`"],
                              ["drop (x0.1)", "epoch 60", "`0.001`"], ["end", "epoch 89", "`0.001`"]]
    assert "![" not in out  # no plots requested


def test_unknown_curve_says_why_instead_of_a_chart() -> None:
    out = render([unknown_curve_result()])
    assert "### sched1: WarmupCosine (line 9)" in out
    assert "optimizer unknown (built from a factory)" in out
    assert "*No chart: custom scheduler: its get_lr() is not simulated.*" in out
    assert "**Stepped:** never (no `step()` call found in this file)" in out
    assert "**Horizon:** unknown (no training loop)" in out
    assert "```mermaid" not in out
    rows = table_rows(out, "| Optimizer")
    assert rows[2][3:6] == ["*unknown*", "cfg.lr is read from a file lraudit could not find", "library defaults"]


def test_sampled_curve_and_plot_link() -> None:
    r = steplr_result("big.py")
    r.schedulers[0]["lr"] = [0.1, 0.05, 0.0]
    r.schedulers[0]["lr_steps"] = [0, 5000, 9999]
    out = render([r], plots={"big.py::sched1": "plots/big.py-sched1-0123abcd.svg",
                             "other.py::sched1": "plots/other.svg"})
    assert "*The curve is sampled at 3 points over 10000 epochs.*" in out
    assert 'x-axis "epoch" 0 --> 9999' in out
    assert "![sched1 learning rate](plots/big.py-sched1-0123abcd.svg)" in out
    assert "other.svg" not in out


def test_findings_with_the_rules_why() -> None:
    fs = [finding("t.py", 40, "LR205", "steplr-per-batch", "error", "StepLR is stepped per batch"),
          finding("t.py", 12), finding("t.py", 7, "LR999", "future-rule", "info", "no rule data")]
    out = render([steplr_result("t.py", fs)])
    section = out[out.index("### Findings"):]
    lines = section.splitlines()
    assert lines[2] == "- **LR999 future-rule** (info, line 7): no rule data"
    assert lines[3] == "- **LR101 increasing-lr** (warning, line 12): the learning rate rises after warm-up"
    assert lines[4] == "  > *Why:* Why increasing-lr matters, in two lines."
    assert lines[5] == "- **LR205 steplr-per-batch** (error, line 40): StepLR is stepped per batch"
    assert lines[6] == "  > *Why:* Why steplr-per-batch matters, in two lines."
    assert "second paragraph" not in out
    assert "- [`t.py`](#tpy): 1 optimizer, 1 schedule, 3 findings (worst: error)" in out


def test_file_with_only_findings_and_files_that_could_not_be_read() -> None:
    only = FileResult(path="broken.py", error="cannot parse: line 3", findings=[
        finding("broken.py", 3, "LR901", "parse-error", "error", "the file does not parse")])
    out = render([only, FileResult(path="empty.py")], [("broken.py", "cannot parse: line 3"),
                                                       ("a|b.py", "permission denied")])
    assert "## `broken.py`" in out
    assert "No optimizer or learning-rate scheduler found; only findings." in out
    assert "- **LR901 parse-error** (error, line 3): the file does not parse" in out
    assert "empty.py" not in out
    tail = out[out.index("## Files lraudit could not read"):].splitlines()
    assert tail[2:] == ["- `a|b.py`: permission denied", "- `broken.py`: cannot parse: line 3"]


def test_nothing_found() -> None:
    out = render([FileResult(path="a.py"), FileResult(path="b.py", skipped=True)])
    assert "No optimizer or learning-rate scheduler found." in out
    assert "## Contents" not in out
    assert "from 2 files (0 training scripts" in out


# -------------------------------------------------------------------------------------------- escaping


def test_markdown_escaping_in_prose_code_and_tables() -> None:
    assert md_text("a *b* [c](d) <e> `f` step_size __init__ x\\y") == \
        "a \\*b\\* \\[c\\](d) \\<e\\> \\`f\\` step_size \\_\\_init\\_\\_ x\\\\y"
    assert md_text("AT&amp; &copy; R&D") == "AT&amp;amp; &amp;copy; R&D"
    assert md_text("two\nlines") == "two lines"
    assert md_text("~1 epoch, costs $5 and $6~") == "\\~1 epoch, costs \\$5 and \\$6\\~"
    assert md_text("# not a heading") == "\\# not a heading"
    assert md_text("- not a list") == "\\- not a list"
    assert md_text("1. not a list") == "1\\. not a list"
    assert md_text("0.1 for epochs 0-29") == "0.1 for epochs 0-29"
    assert md_code("plain") == "`plain`"
    assert md_code("a`b") == "``a`b``"
    assert md_code("`x`") == "`` `x` ``"
    rows = table(["A", "B"], [["x|y", md_code("p|q")]])
    assert rows == ["| A | B |", "| --- | --- |", "| x\\|y | `p\\|q` |"]


def test_hostile_paths_and_messages_keep_tables_and_markers_intact() -> None:
    path = "we|ird/`tick`_dir/train.py"
    r = steplr_result(path, [finding(path, 3, message=f"see {END} and |pipes| *here*")])
    r.optimizers[0]["lr"] = known(0.1, "config.yaml: optim|lr")
    out = render([r])
    assert END not in out and BEGIN not in out
    assert "## ``we|ird/`tick`_dir/train.py``" in out
    rows = table_rows(out, "| Optimizer")
    assert all(len(row) == 6 for row in rows)
    assert rows[2][4] == "config.yaml: optim\\|lr"
    assert "\\*here\\*" in out
    # merging the block twice still finds exactly one pair of markers
    merged = merge_generated_block(merge_generated_block(None, out), out)
    assert merged.count(BEGIN) == 1 and merged.count(END) == 1


def test_anchors_follow_github_rules() -> None:
    a = Anchors()
    assert a.add("train/imagenet.py") == "trainimagenetpy"
    assert a.add("Optimizers") == "optimizers"
    assert a.add("Optimizers") == "optimizers-1"
    assert a.add("optimizers-1") == "optimizers-1-1"
    assert a.add("Optimizers") == "optimizers-2"
    assert a.add("sched1: StepLR (line 90)") == "sched1-steplr-line-90"
    assert a.add("my_dir/a b.py") == "my_dir/a b.py".replace("/", "").replace(".", "").replace(" ", "-")


def test_toc_anchor_matches_heading_after_repeated_subsection_names() -> None:
    out = render([steplr_result("optimizers.py"), steplr_result("z.py")])
    # "### Optimizers" of the first script comes after the heading `optimizers.py` -> slug optimizerspy
    assert "- [`optimizers.py`](#optimizerspy)" in out
    assert "- [`z.py`](#zpy)" in out


# ----------------------------------------------------------------------------------------- determinism


def test_deterministic_and_independent_of_input_order() -> None:
    results = [steplr_result("b.py", [finding("b.py", 2), finding("b.py", 1)]), unknown_curve_result(),
               steplr_result("a.py")]
    first = render(results, [("z.py", "x"), ("y.py", "w")])
    shuffled = list(results)
    random.Random(4).shuffle(shuffled)
    for _ in range(3):
        assert render(shuffled, [("y.py", "w"), ("z.py", "x")]) == first
    assert not re.search(r"\d{4}-\d{2}-\d{2}", first)  # no dates or timestamps


def test_notes_from_audit_source() -> None:
    from lraudit.api import audit_source

    path = "fixtures/examples/imagenet_steplr.py"
    result = audit_source((REPO / path).read_text(encoding="utf-8"), path)
    assert result.error is None, result.error
    out = render([result])
    assert f"## `{path}`" in out
    assert "### sched1: StepLR (line 78)" in out
    assert "argparse default of --lr" in out
    assert "```mermaid\nxychart-beta" in out
    assert "| drop (x0.1) | epoch 30 | `0.01` |" in out


# ------------------------------------------------------------------------------------------------- CLI


def _outside(text: str) -> tuple[str, str]:
    return text[: text.index(BEGIN)], text[text.index(END) + len(END):]


def test_cli_regeneration_keeps_every_byte_outside_the_block(tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    shutil.copy(EXAMPLES / "imagenet_steplr.py", repo / "train.py")
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    args = ["notes", "repo", "-o", "ONBOARDING.md", "--no-cache", "-j", "1"]
    first = runner.invoke(main, args)
    assert first.exit_code == 0, first.output
    text = (tmp_path / "ONBOARDING.md").read_bytes().decode("utf-8")
    assert text.startswith(BEGIN + "\n# Learning-rate notes\n") and text.endswith(END + "\n")
    assert "## `repo/train.py`" in text, text
    before = "# Our team notes\r\n\r\nRun `make train` first.  \r\n\r\n"
    after = "\r\n\r\n## Hand-written\r\n\u00e9t\u00e9 \u2014 trailing spaces   \r\nno final newline"
    (tmp_path / "ONBOARDING.md").write_bytes(
        (before + text.replace("\n", "\r\n").rstrip("\r\n") + after).encode("utf-8"))
    second = runner.invoke(main, args)
    assert second.exit_code == 0, second.output
    data = (tmp_path / "ONBOARDING.md").read_bytes().decode("utf-8")
    kept_before, kept_after = _outside(data)
    assert kept_before == before and kept_after == after
    # the block itself is regenerated with the file's CRLF line endings and the same content
    block = data[data.index(BEGIN):data.index(END) + len(END)]
    assert block.replace("\r\n", "\n") == text.rstrip("\n")
    # a third run changes nothing at all
    assert runner.invoke(main, args).exit_code == 0
    assert (tmp_path / "ONBOARDING.md").read_bytes().decode("utf-8") == data


def test_cli_without_output_writes_markdown_to_stdout(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    shutil.copy(EXAMPLES / "imagenet_steplr.py", tmp_path / "train.py")
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["notes", "train.py", "--no-cache", "-j", "1"])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("# Learning-rate notes\n")
    assert BEGIN not in result.stdout
    assert "## `train.py`" in result.stdout
    assert not list(tmp_path.glob("*.md"))


def test_snapshot_of_the_examples(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)
    result = CliRunner().invoke(main, ["notes", "fixtures/examples", "--no-cache"])
    assert result.exit_code == 0, result.output
    out = result.stdout
    if UPDATE:
        SNAPSHOT.parent.mkdir(parents=True, exist_ok=True)
        SNAPSHOT.write_text(out, encoding="utf-8", newline="")
    expected = SNAPSHOT.read_text(encoding="utf-8") if SNAPSHOT.exists() else ""
    assert out == expected, "notes changed: review, then regenerate with LRAUDIT_UPDATE_SNAPSHOTS=1"
