"""Every input that once broke lraudit, replayed through the whole pipeline and every output format.

A case is a directory under ``corpus/`` holding one script or notebook named ``<name>.py.txt`` or
``<name>.ipynb.txt`` (the ``.txt`` keeps linters, formatters and lraudit's own self-checks away from hostile
files), the configs it reads, and an ``EXPECT.txt`` with ``key: value`` lines:

* ``expect: ok | lr901 | error | any`` -- normal results, an LR901 finding, a per-file error (default ``any``:
  only the universal properties below);
* ``contains: TEXT`` -- TEXT appears in some output (repeatable);
* ``max-output: N`` -- all outputs together stay under N characters;
* ``max-seconds: S`` -- the case takes at most S seconds of CPU (default ``CASE_SECONDS``);
* ``why: ...`` -- what went wrong before (documentation);
* ``xfail: REASON`` -- a known bug in code this suite does not own; strict, so a fix makes it fail until the
  marker (and the matching ``KNOWN_BUGS`` entry in tests/test_fuzz.py) is removed.

Universal properties: no exception escapes, no internal error, and each case finishes within
``CASE_SECONDS``. ``bench/fuzz.py`` saves new failing inputs under ``corpus/found/`` in this format (with a
``SIGNATURE.txt`` instead of ``EXPECT.txt``). All cases run in one child process so that a crash of the
process (libcst's native parser used to segfault on deep nesting) fails the case that caused it instead of
killing the test run.
"""

from __future__ import annotations

import importlib.util
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import pytest

HERE = Path(__file__).resolve().parent
CORPUS = HERE / "corpus"
CASE_SECONDS = 20.0


def case_dirs() -> list[Path]:
    return sorted(p.parent for p in CORPUS.rglob("*.txt") if p.name.endswith((".py.txt", ".ipynb.txt")))


def expectations(case: Path) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    f = case / "EXPECT.txt"
    if f.is_file():
        for line in f.read_text(encoding="utf-8").splitlines():
            key, sep, val = line.partition(":")
            if sep:
                out.setdefault(key.strip(), []).append(val.strip())
    return out


# ---------------------------------------------------------------------------------- the child process


def _load_fuzz() -> Any:
    spec = importlib.util.spec_from_file_location("lraudit_test_fuzz", HERE.parent / "test_fuzz.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def check_case(case: Path, fuzz: Any) -> list[str]:
    """The problems of one case (empty when it behaves)."""
    exp = expectations(case)
    work = Path(tempfile.mkdtemp(prefix="lraudit-regression-"))
    try:
        script = None
        for f in sorted(case.iterdir()):
            if f.name in ("EXPECT.txt", "SIGNATURE.txt"):
                continue
            name = f.name[:-4] if f.name.endswith((".py.txt", ".ipynb.txt")) else f.name
            shutil.copyfile(f, work / name)
            if name != f.name:
                script = work / name
        assert script is not None
        t0 = time.process_time()  # CPU time: a loaded machine must not make a bounded case "slow"
        try:
            result, outputs = fuzz.analyse_and_render(script.read_bytes(), str(script), script.name)
        except BaseException as exc:  # noqa: BLE001 - an escaped exception is the failure being tested
            return [f"escaped: {type(exc).__name__}: {exc}"[:2000]]
        seconds = time.process_time() - t0
    finally:
        shutil.rmtree(work, ignore_errors=True)
    problems = []
    error = result.error or ""
    if "internal error" in error:
        problems.append(f"internal error: {fuzz.signature(error)}: {error.splitlines()[0][:300]}")
    if seconds > CASE_SECONDS:
        problems.append(f"took {seconds:.1f} s (limit {CASE_SECONDS:g} s)")
    codes = [f.code for f in result.findings]
    expect = (exp.get("expect") or ["any"])[0]
    if expect == "ok" and (error or "LR901" in codes):
        problems.append(f"expected normal results, got error {error[:200]!r} and findings {codes}")
    elif expect == "lr901" and "LR901" not in codes:
        problems.append(f"expected an LR901 finding, got {codes} (error {error[:200]!r})")
    elif expect == "error" and not error:
        problems.append("expected a per-file error")
    text = "\n".join(outputs.values()) + "\n" + error
    for want in exp.get("contains", []):
        if want not in text:
            problems.append(f"no output contains {want!r}")
    for limit in exp.get("max-seconds", []):
        if seconds > float(limit):
            problems.append(f"took {seconds:.1f} s (limit {float(limit):g} s for this case)")
    for limit in exp.get("max-output", []):
        size = sum(len(v) for v in outputs.values())
        if size > int(limit):
            problems.append(f"outputs are {size:,} characters (limit {int(limit):,})")
    return problems


def _child(paths: list[str]) -> None:
    fuzz = _load_fuzz()
    for p in paths:
        print(json.dumps({"case": p, "start": True}), flush=True)
        print(json.dumps({"case": p, "problems": check_case(Path(p), fuzz)}), flush=True)


# ---------------------------------------------------------------------------------------- the tests


@pytest.fixture(scope="module")
def outcomes() -> dict[str, list[str]]:
    """Run every case in one child process; a case during which the child died gets that as its problem."""
    cases = [str(c) for c in case_dirs()]
    proc = subprocess.run([sys.executable, __file__, *cases], capture_output=True, text=True,
                          timeout=60 + CASE_SECONDS * len(cases))
    done: dict[str, list[str]] = {}
    started = None
    for line in proc.stdout.splitlines():
        msg = json.loads(line)
        if msg.get("start"):
            started = msg["case"]
        else:
            done[msg["case"]] = msg["problems"]
            started = None
    if started is not None:
        done[started] = [f"the process died while analysing this case (exit code {proc.returncode}): "
                         f"{proc.stderr[-1000:]}"]
    return done


def _params() -> list[Any]:
    out = []
    for case in case_dirs():
        reason = expectations(case).get("xfail")
        marks = [pytest.mark.xfail(strict=True, reason=reason[0])] if reason else []
        out.append(pytest.param(case, id=str(case.relative_to(CORPUS)), marks=marks))
    return out


def test_the_corpus_is_there() -> None:
    cases = case_dirs()
    assert len(cases) >= 25
    for case in cases:
        if case.parent == CORPUS:  # hand-made cases say what they expect; fuzzer finds carry a SIGNATURE.txt
            assert (case / "EXPECT.txt").is_file(), case


@pytest.mark.parametrize("case", _params())
def test_case(case: Path, outcomes: dict[str, list[str]]) -> None:
    assert str(case) in outcomes, "the child process never reached this case"
    assert outcomes[str(case)] == []


if __name__ == "__main__":
    _child(sys.argv[1:])
