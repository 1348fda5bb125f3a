"""The long fuzz run: generated and mutated inputs through the whole pipeline for minutes, one process.

    python bench/fuzz.py --minutes 30 --seed 1          # what the issue note records
    python bench/fuzz.py --inputs 200 --seed 5          # a quick look
    python bench/fuzz.py --replay tests/regressions/corpus/found/<name>     # one saved input again
    python bench/fuzz.py --minimize tests/regressions/corpus/found/<name>   # shrink it (lines)

Inputs come from ``tests/test_fuzz.py`` (``make_input``: generated training scripts, mutated fixtures,
notebooks, damaged bytes, hostile configs). Each runs in a worker process through ``analyze_bytes`` and
every renderer (``run_pipeline``), under a per-input time limit, so that a hang or a crash of the process
(a segfault in a native parser, the OOM killer) is caught and recorded like an exception. Failures are
grouped by signature (exception type and the innermost lraudit frame, or "timeout" / "crash"); internal
errors listed in ``KNOWN_BUGS`` (tests/test_fuzz.py) are counted apart, and the first input of each new group
is saved under ``--save`` (default ``tests/regressions/corpus/found``) as a
directory that ``tests/regressions/test_regressions.py`` can replay. The last line printed is a summary:
inputs tried, failures, seconds.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import json
import multiprocessing as mp
import os
import random
import re
import signal
import sys
import tempfile
import time
import traceback
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_SAVE = ROOT / "tests" / "regressions" / "corpus" / "found"


def load_fuzz_module() -> Any:
    """tests/test_fuzz.py as a module (it holds the generators the hypothesis tests use too)."""
    spec = importlib.util.spec_from_file_location("lraudit_test_fuzz", ROOT / "tests" / "test_fuzz.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


# ------------------------------------------------------------------------------------------ the worker


def _escape_signature(tb: str, kind: str) -> str:
    """``kind: ExceptionType at module.py:function`` (the innermost lraudit frame) of a traceback text."""
    frames = re.findall(r'File "[^"]*?lraudit[/\\]([^"]+)", line \d+, in (\S+)', tb)
    lines = [x for x in tb.strip().splitlines() if x and not x.startswith(" ")]
    exc = lines[-1].split(":")[0] if lines else "?"
    where = f" at {frames[-1][0]}:{frames[-1][1]}" if frames else ""
    return f"{kind}: {exc}{where}"


def _worker(conn: Any) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent stops it
    try:
        os.nice(10)
    except OSError:
        pass
    fuzz = load_fuzz_module()
    directory = Path(tempfile.mkdtemp(prefix="lraudit-fuzz-"))
    while True:
        try:
            task = conn.recv()
        except EOFError:
            return
        if task is None:
            return
        name, data, configs = task
        for f in directory.iterdir():
            f.unlink()
        for cname, text in configs.items():
            (directory / cname).write_text(text, encoding="utf-8")
        (directory / name).write_bytes(data)
        t0 = time.monotonic()
        try:
            fuzz.run_pipeline(data, str(directory / name), name)
            conn.send(("ok", "", "", time.monotonic() - t0))
        except fuzz.InternalError as exc:
            kind = "known" if exc.known else "internal"
            conn.send((kind, f"{kind}: {exc.signature}", str(exc), time.monotonic() - t0))
        except BaseException:  # noqa: BLE001 - the point is to catch everything that escapes
            tb = traceback.format_exc()
            conn.send(("escaped", _escape_signature(tb, "escaped"), tb, time.monotonic() - t0))


class Runner:
    """A worker process fed one input at a time; restarted after a hang or a crash."""

    def __init__(self, timeout: float) -> None:
        self.timeout = timeout
        self.ctx = mp.get_context("spawn")
        self.proc: Any = None
        self.conn: Any = None

    def _start(self) -> None:
        parent, child = self.ctx.Pipe()
        self.proc = self.ctx.Process(target=_worker, args=(child,), daemon=True)
        self.proc.start()
        self.conn = parent

    def _stop(self) -> None:
        if self.proc is not None:
            self.proc.kill()
            self.proc.join(5)
        self.proc = self.conn = None

    def run(self, name: str, data: bytes, configs: dict[str, str]) -> tuple[str, str, str, float]:
        """(kind, signature, detail, seconds); kind is ok, known, internal, escaped, timeout or crash."""
        if self.proc is None or not self.proc.is_alive():
            self._start()
        t0 = time.monotonic()
        self.conn.send((name, data, configs))
        # the first input also pays for the worker's imports
        if self.conn.poll(self.timeout + (20 if time.monotonic() - t0 < 1 else 0)):
            try:
                return self.conn.recv()
            except EOFError:
                pass
        else:
            self._stop()
            return ("timeout", "timeout", f"no answer within {self.timeout:g} s", time.monotonic() - t0)
        code = self.proc.exitcode if self.proc is not None else None
        self._stop()
        return ("crash", "crash", f"the worker process died (exit code {code})", time.monotonic() - t0)

    def close(self) -> None:
        if self.conn is not None:
            try:
                self.conn.send(None)
            except OSError:
                pass
        self._stop()


# -------------------------------------------------------------------------------------------- saving


def save(directory: Path, signature: str, detail: str, name: str, data: bytes, configs: dict[str, str]) -> Path:
    """One failing input as ``<dir>/<hash>/`` (the script with a ``.txt`` suffix, configs, SIGNATURE.txt)."""
    digest = hashlib.sha256(signature.encode()).hexdigest()[:12]
    target = directory / digest
    target.mkdir(parents=True, exist_ok=True)
    (target / (name + ".txt")).write_bytes(data)
    for cname, text in configs.items():
        (target / cname).write_text(text, encoding="utf-8")
    (target / "SIGNATURE.txt").write_text(f"{signature}\n\n{detail}\n", encoding="utf-8")
    return target


def replay(path: Path, timeout: float) -> int:
    inputs = [p for p in path.iterdir() if p.name.endswith((".py.txt", ".ipynb.txt"))]
    if not inputs:
        print(f"no .py.txt or .ipynb.txt input in {path}")
        return 2
    configs = {p.name: p.read_text(encoding="utf-8") for p in path.iterdir() if p.suffix in (".yaml", ".json")}
    runner = Runner(timeout)
    try:
        kind, sig, detail, secs = runner.run(inputs[0].name[:-4], inputs[0].read_bytes(), configs)
    finally:
        runner.close()
    print(f"{kind} in {secs:.2f} s: {sig}\n{detail}")
    return 0 if kind == "ok" else 1


def minimize(path: Path) -> int:
    """Shrink a saved input line by line (in this process) while it keeps its signature; print the result."""
    from lraudit.analyze import AnalysisOptions, analyze_bytes

    fuzz = load_fuzz_module()
    inputs = [p for p in path.iterdir() if p.name.endswith((".py.txt", ".ipynb.txt"))]
    if not inputs:
        print(f"no .py.txt or .ipynb.txt input in {path}")
        return 2
    name = inputs[0].name[:-4]
    work = Path(tempfile.mkdtemp(prefix="lraudit-min-"))
    for p in path.iterdir():
        if p.suffix in (".yaml", ".json"):
            (work / p.name).write_bytes(p.read_bytes())

    def sig(lines: list[bytes]) -> str:
        data = b"".join(lines)
        (work / name).write_bytes(data)
        r = analyze_bytes(data, str(work / name), name, AnalysisOptions(debug=True))
        return fuzz.signature(r.error) if r.error and "internal error" in r.error else ""

    lines = inputs[0].read_bytes().splitlines(keepends=True)
    target = sig(lines)
    if not target:
        print("the input does not fail (any more)")
        return 0
    chunk = max(1, len(lines) // 2)
    while chunk >= 1:
        i = 0
        while i < len(lines):
            trial = lines[:i] + lines[i + chunk:]
            if trial and sig(trial) == target:
                lines = trial
            else:
                i += chunk
        chunk //= 2
    print(f"{target}\n{b''.join(lines).decode('utf-8', 'replace')}")
    return 0


# ---------------------------------------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--minutes", type=float, default=None, help="run this long (default 30 unless --inputs)")
    ap.add_argument("--inputs", type=int, default=None, help="stop after this many inputs")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--timeout", type=float, default=60.0, help="seconds one input may take")
    ap.add_argument("--save", type=Path, default=DEFAULT_SAVE, help="where failing inputs are saved")
    ap.add_argument("--no-save", action="store_true")
    ap.add_argument("--report", type=Path, default=None, help="also write the summary as JSON here")
    ap.add_argument("--replay", type=Path, default=None, help="run one saved input directory and exit")
    ap.add_argument("--minimize", type=Path, default=None, help="shrink one saved input directory and exit")
    args = ap.parse_args(argv)
    if args.replay:
        return replay(args.replay, args.timeout)
    if args.minimize:
        return minimize(args.minimize)
    # stop cleanly (with the summary) on Ctrl-C or `kill PID`, also when started in the background
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    minutes = args.minutes if args.minutes is not None else (None if args.inputs else 30.0)
    deadline = time.monotonic() + minutes * 60 if minutes else None
    try:
        os.nice(5)
    except OSError:
        pass
    fuzz = load_fuzz_module()
    fixtures = fuzz.fixture_texts()
    rng = random.Random(args.seed)
    runner = Runner(args.timeout)
    counts: dict[str, int] = {}
    groups: dict[str, dict[str, Any]] = {}
    slowest = (0.0, -1)
    start = time.monotonic()
    last_print = start
    n = 0
    try:
        while (args.inputs is None or n < args.inputs) and (deadline is None or time.monotonic() < deadline):
            inp = fuzz.make_input(rng, fixtures)
            kind, sig, detail, secs = runner.run(inp.name, inp.data, inp.configs)
            n += 1
            counts[kind] = counts.get(kind, 0) + 1
            if secs > slowest[0]:
                slowest = (secs, n)
            if kind != "ok":
                g = groups.setdefault(sig, {"count": 0, "first_input": n})
                g["count"] += 1
                if g["count"] == 1:
                    where = ""
                    if kind != "known" and not args.no_save:
                        where = f" -> {save(args.save, sig, detail, inp.name, inp.data, inp.configs)}"
                    print(f"[{n}] NEW {sig}{where}", flush=True)
            if time.monotonic() - last_print > 60:
                last_print = time.monotonic()
                print(f"... {n} inputs, {time.monotonic() - start:.0f} s, {counts}", flush=True)
    except KeyboardInterrupt:
        print("interrupted", flush=True)
    finally:
        runner.close()
    elapsed = time.monotonic() - start
    failures = sum(v for k, v in counts.items() if k not in ("ok", "known"))
    summary = {"seed": args.seed, "inputs": n, "ok": counts.get("ok", 0), "failures": failures,
               "by_kind": counts, "signatures": groups, "seconds": round(elapsed, 1),
               "slowest_input_seconds": round(slowest[0], 2)}
    for sig, g in sorted(groups.items()):
        print(f"  {g['count']:6d}  {sig}")
    if args.report:
        args.report.write_text(json.dumps(summary, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    new = sum(1 for sig in groups if not sig.startswith("known:"))
    print(f"fuzz: {n} inputs in {elapsed:.0f} s (seed {args.seed}): {failures} failures in {new} new signatures, "
          f"{counts.get('known', 0)} inputs hit known bugs; slowest input {slowest[0]:.1f} s", flush=True)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
