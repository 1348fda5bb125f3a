"""The command line, end to end: every subcommand, format, option and exit code."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner

from lraudit import __version__
from lraudit.cli import main

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "fixtures" / "examples"
SCHEMA = json.loads((ROOT / "tests" / "data" / "sarif-schema-2.1.0.json").read_text())


def run(*args: str) -> tuple[int, str, str]:
    res = CliRunner().invoke(main, [*args], catch_exceptions=False)
    return res.exit_code, res.stdout, res.stderr


@pytest.fixture()
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A small repository: one clean script, one with a step-unit mistake, one that does not parse."""
    (tmp_path / "src").mkdir()
    shutil.copy(EXAMPLES / "imagenet_steplr.py", tmp_path / "src" / "good.py")
    shutil.copy(EXAMPLES / "bad_steplr_per_batch.py", tmp_path / "src" / "bad.py")
    (tmp_path / "src" / "broken.py").write_text("import torch\nopt = torch.optim.SGD(params, lr=0.1\n")
    monkeypatch.chdir(tmp_path)
    return tmp_path


# --------------------------------------------------------------------------------------------- check
def test_check_text_and_exit_code(repo: Path) -> None:
    code, out, _ = run("check", "src", "--no-cache", "-j", "1")
    assert code == 1
    assert "src/bad.py:" in out and "LR201" in out
    assert "src/broken.py:" in out and "LR901" in out
    assert "src/good.py:" not in out
    assert out.strip().splitlines()[-1].startswith("Found ")


def test_check_clean_file_exits_zero(repo: Path) -> None:
    code, out, _ = run("check", "src/good.py", "--no-cache")
    assert code == 0, out
    assert "no problems" in out


def test_check_json_contract(repo: Path) -> None:
    code, out, _ = run("check", "src", "--format", "json", "--no-cache", "-j", "1")
    assert code == 1
    doc = json.loads(out)
    assert list(doc) == ["lraudit_version", "findings", "errors", "summary"]
    assert doc["lraudit_version"] == __version__
    keys = ["code", "name", "severity", "path", "line", "column", "end_line", "end_column", "message", "fix"]
    assert all(list(f) == keys for f in doc["findings"])
    order = [(f["path"], f["line"], f["column"], f["code"]) for f in doc["findings"]]
    assert order == sorted(order)
    assert {f["code"] for f in doc["findings"]} >= {"LR201", "LR901"}
    assert doc["summary"]["findings"] == len(doc["findings"])
    assert doc["summary"]["files"] == 3


def test_check_sarif_validates(repo: Path) -> None:
    code, out, _ = run("check", "src", "--format", "sarif", "--no-cache", "-j", "1")
    assert code == 1
    doc = json.loads(out)
    jsonschema.validate(doc, SCHEMA)
    driver = doc["runs"][0]["tool"]["driver"]
    assert driver["name"] == "lraudit"
    assert {r["id"] for r in driver["rules"]} >= {"LR101", "LR201", "LR901", "LR401"}
    assert any(r["ruleId"] == "LR201" for r in doc["runs"][0]["results"])


def test_check_github_annotations(repo: Path) -> None:
    code, out, _ = run("check", "src", "--format", "github", "--no-cache", "-j", "1")
    assert code == 1
    assert any(line.startswith("::error file=src/bad.py,") and "LR201" in line for line in out.splitlines())


def test_select_ignore_and_fail_on(repo: Path) -> None:
    code, out, _ = run("check", "src/bad.py", "--select", "LR1", "--no-cache")
    assert "LR201" not in out
    code, out, _ = run("check", "src/bad.py", "--ignore", "step-unit-mismatch", "--no-cache")
    assert "LR201" not in out
    code, out, _ = run("check", "src/bad.py", "--select", "LR201", "--no-cache")
    assert code == 1 and "LR201" in out
    # an info-only run passes with the default fail-on (warning) and fails with --fail-on info
    info = repo / "info.py"
    info.write_text(
        "from transformers import get_linear_schedule_with_warmup\nimport torch\n"
        "opt = torch.optim.AdamW([torch.zeros(1)], lr=1e-4)\n"
        "sched = get_linear_schedule_with_warmup(opt, num_warmup_steps=10, num_training_steps=100)\n"
        "for step in range(100):\n    opt.step()\n    sched.step()\n"
    )
    code, out, _ = run("check", "info.py", "--no-cache")
    assert code == 0 and "LR106" in out, out
    code, out, _ = run("check", "info.py", "--no-cache", "--fail-on", "info")
    assert code == 1


def test_unknown_selector_is_a_usage_error(repo: Path) -> None:
    code, _, err = run("check", "src", "--select", "LR999x", "--no-cache")
    assert code == 2 and "LR999x" in err


def test_missing_path_exits_two(repo: Path) -> None:
    code, _, err = run("check", "does-not-exist.py")
    assert code == 2 and "does-not-exist.py" in err
    code, _, err = run("explain", "nope/")
    assert code == 2


def test_config_error_names_key_and_file(repo: Path) -> None:
    (repo / "pyproject.toml").write_text('[tool.lraudit]\nfail-on = "fatal"\n')
    code, _, err = run("check", "src", "--no-cache")
    assert code == 2
    assert "pyproject.toml" in err and "fail-on" in err


def test_config_select_and_severity(repo: Path) -> None:
    (repo / "pyproject.toml").write_text(
        '[tool.lraudit]\nselect = ["LR2"]\n[tool.lraudit.severity]\nstep-unit-mismatch = "info"\n')
    code, out, _ = run("check", "src/bad.py", "--no-cache", "--format", "json")
    doc = json.loads(out)
    assert {f["code"] for f in doc["findings"]} == {"LR201"}
    assert all(f["severity"] == "info" for f in doc["findings"])
    assert code == 0  # info is below the default fail-on


def test_inline_suppression(repo: Path) -> None:
    text = (repo / "src" / "bad.py").read_text().splitlines()
    code, out, _ = run("check", "src/bad.py", "--no-cache", "--format", "json")
    line = json.loads(out)["findings"][0]["line"]
    text[line - 1] += "  # lraudit: ignore[LR201]"
    (repo / "src" / "bad.py").write_text("\n".join(text) + "\n")
    code, out, _ = run("check", "src/bad.py", "--no-cache")
    assert code == 0, out
    text[line - 1] = text[line - 1].replace("# lraudit: ignore[LR201]", "# noqa")
    (repo / "src" / "bad.py").write_text("\n".join(text) + "\n")
    code, out, _ = run("check", "src/bad.py", "--no-cache")
    assert code == 1, "a bare # noqa must not silence lraudit"


def test_baseline_round_trip(repo: Path) -> None:
    code, _, err = run("check", "src", "--no-cache", "--write-baseline", "base.json", "-j", "1")
    assert code == 0 and (repo / "base.json").is_file()
    code, out, _ = run("check", "src", "--no-cache", "--baseline", "base.json", "-j", "1")
    assert code == 0, out
    # shifting the lines keeps the fingerprints
    bad = repo / "src" / "bad.py"
    bad.write_text("# a new comment at the top\n\n" + bad.read_text())
    code, out, _ = run("check", "src", "--no-cache", "--baseline", "base.json", "-j", "1")
    assert code == 0, out
    code, _, err = run("check", "src", "--no-cache", "--baseline", "missing.json")
    assert code == 2


def test_output_file(repo: Path) -> None:
    code, out, _ = run("check", "src", "--no-cache", "--format", "json", "-o", "report.json", "-j", "1")
    assert code == 1 and out == ""
    assert json.loads((repo / "report.json").read_text())["summary"]["files"] == 3


def test_exclude_and_gitignore(repo: Path) -> None:
    code, out, _ = run("check", "src", "--no-cache", "--exclude", "bad.py", "--exclude", "broken.py")
    assert code == 0, out
    (repo / ".git").mkdir()
    (repo / ".gitignore").write_text("src/bad.py\nsrc/broken.py\n")
    code, out, _ = run("check", ".", "--no-cache")
    assert code == 0, out
    code, out, _ = run("check", ".", "--no-cache", "--no-gitignore")
    assert code == 1


# ------------------------------------------------------------------------------------------- explain
def test_explain_text(repo: Path) -> None:
    code, out, _ = run("explain", "src/good.py", "--no-cache")
    assert code == 0
    assert "torch.optim.lr_scheduler.StepLR" in out and "argparse default of --lr" in out
    assert "0.1 for epochs 0–29, then 0.01 until epoch 59" in out


def test_explain_json_contract_and_steps(repo: Path) -> None:
    code, out, _ = run("explain", "src", "--format", "json", "--no-cache", "-j", "1")
    assert code == 0  # explained what it could; the broken file is reported, not fatal
    doc = json.loads(out)
    assert list(doc) == ["lraudit_version", "files"]
    by_path = {f["path"]: f for f in doc["files"]}
    assert by_path["src/broken.py"]["error"]
    good = by_path["src/good.py"]
    assert list(good) == ["path", "error", "optimizers", "schedulers"]
    opt = good["optimizers"][0]
    assert list(opt) == ["id", "class", "line", "variable", "lr", "params"]
    assert opt["lr"] == {"value": 0.1, "source": opt["lr"]["source"]} and "--lr" in opt["lr"]["source"]
    sched = good["schedulers"][0]
    assert list(sched) == ["id", "class", "line", "variable", "optimizer", "args", "stepped", "unit", "horizon",
                           "shape", "summary", "lr"]
    assert sched["optimizer"] == opt["id"] and sched["stepped"] == "epoch" and len(sched["lr"]) == 90
    code, out, _ = run("explain", "src/good.py", "--format", "json", "--steps", "7", "--no-cache")
    sched = json.loads(out)["files"][0]["schedulers"][0]
    assert len(sched["lr"]) == 7 and "lr_steps" not in sched


def test_explain_samples_long_horizons(repo: Path) -> None:
    (repo / "long.py").write_text(
        "import torch\nopt = torch.optim.SGD([torch.zeros(1)], lr=0.1)\n"
        "sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=200000)\n"
        "for it in range(200000):\n    opt.step()\n    sched.step()\n"
    )
    code, out, _ = run("explain", "long.py", "--format", "json", "--no-cache")
    sched = json.loads(out)["files"][0]["schedulers"][0]
    assert len(sched["lr"]) == 1000 and len(sched["lr_steps"]) == 1000
    assert sched["lr_steps"][0] == 0 and sched["lr_steps"][-1] == 199999


# -------------------------------------------------------------------------------------- rules, help
def test_rules_and_rule() -> None:
    code, out, _ = run("rules")
    assert code == 0 and "LR101" in out and "increasing-lr" in out
    code, out, _ = run("rule", "LR101")
    assert code == 0 and "Why" in out and "Bad example 1" in out
    code, out, _ = run("rule", "increasing-lr")
    assert code == 0 and out.startswith("LR101")
    code, _, err = run("rule", "LR999")
    assert code == 2 and "LR999" in err
    code, out, _ = run("rules", "--format", "json")
    assert code == 0 and any(r["code"] == "LR401" for r in json.loads(out))


def test_version_and_help() -> None:
    code, out, _ = run("--version")
    assert code == 0 and out.strip() == f"lraudit {__version__}"
    code, out, _ = run("--help")
    assert code == 0 and all(cmd in out for cmd in ("check", "explain", "notes", "rules", "rule"))
