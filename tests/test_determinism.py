"""Same input, same output, byte for byte: across runs, process counts, hash seeds and a warm cache.

One child process per configuration (``PYTHONHASHSEED`` must be set before the interpreter starts) runs
every command and output format in-process over a copy of some example fixtures (scripts with findings,
YAML/JSON configs, a hand-written schedule, notebooks) and writes each output to a file; the tests compare
the files byte for byte.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

RUNNER = r'''
import json, os, sys
from click.testing import CliRunner
from lraudit.cli import main

out_dir, jobs, cache = sys.argv[1], sys.argv[2], sys.argv[3] == "cache"
commands = {
    "check-json": ["check", "proj", "--format", "json"],
    "check-sarif": ["check", "proj", "--format", "sarif"],
    "check-github": ["check", "proj", "--format", "github"],
    "check-text": ["check", "proj"],
    "explain-json": ["explain", "proj", "--format", "json"],
    "explain-text": ["explain", "proj"],
    "explain-steps": ["explain", "proj", "--format", "json", "--steps", "40"],
    "notes": ["notes", "proj"],
}
extra = ["--jobs", jobs] + ([] if cache else ["--no-cache"])
if cache:  # fill the cache for each kind of run first, so that the kept outputs come from a warm cache
    for name in ("check-json", "explain-json", "explain-steps", "notes"):
        CliRunner().invoke(main, commands[name] + extra, catch_exceptions=False)
for name, args in commands.items():
    res = CliRunner().invoke(main, args + extra, catch_exceptions=False)
    with open(os.path.join(out_dir, name), "w", encoding="utf-8", newline="") as fh:
        fh.write(f"exit {res.exit_code}\n" + res.output)
'''

# with every bad_*.py example: YAML and JSON configs, a hand-written schedule, a notebook
SCRIPTS = ("yaml_config_cosine.py", "json_config_bert_finetune.py", "gpt_manual_get_lr.py")
CONFIGS = {
    "seed0-jobs1": ("0", "1", "no-cache"),
    "seed1-jobs2": ("1", "2", "no-cache"),
    "seed4242-jobs2-cache": ("4242", "2", "cache"),
}


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    base = tmp_path_factory.mktemp("determinism")
    proj = base / "proj"
    examples = ROOT / "fixtures" / "examples"
    shutil.copytree(examples / "configs", proj / "configs")
    for f in sorted(examples.glob("*.py")):
        if f.name.startswith("bad_") or f.name in SCRIPTS:
            shutil.copyfile(f, proj / f.name)
    for nb in sorted((ROOT / "fixtures").rglob("*.ipynb"))[:1]:
        shutil.copyfile(nb, proj / nb.name)
    procs = {}
    for name, (seed, jobs, cache) in CONFIGS.items():
        out = base / name
        out.mkdir()
        env = {**os.environ, "PYTHONHASHSEED": seed}
        env.pop("LRAUDIT_NO_CACHE", None)
        procs[name] = (out, subprocess.Popen([sys.executable, "-c", RUNNER, str(out), jobs, cache], cwd=base, env=env,
                                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
    result = {}
    for name, (out, proc) in procs.items():
        _, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err[-3000:]
        result[name] = out
    return result


def test_every_format_was_written(runs: dict[str, Path]) -> None:
    first = runs["seed0-jobs1"]
    names = sorted(p.name for p in first.iterdir())
    assert len(names) == 8
    doc = json.loads((first / "check-json").read_text(encoding="utf-8").split("\n", 1)[1])
    assert doc["summary"]["files"] >= 9 and len({f["code"] for f in doc["findings"]}) >= 4
    explain = json.loads((first / "explain-json").read_text(encoding="utf-8").split("\n", 1)[1])
    assert any(s["lr"] for f in explain["files"] for s in f["schedulers"])


@pytest.mark.parametrize("other", [name for name in CONFIGS if name != "seed0-jobs1"])
def test_outputs_are_identical_across_seeds_jobs_and_cache(runs: dict[str, Path], other: str) -> None:
    base = runs["seed0-jobs1"]
    for f in sorted(base.iterdir()):
        assert f.read_bytes() == (runs[other] / f.name).read_bytes(), f"{f.name} differs in {other}"
