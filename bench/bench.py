"""lraudit benchmark: one command, one real tree, every ratio measured in the same run.

    python bench/bench.py TREE [--runs 3] [--peer-runs 1] [--peers-venv DIR] [--script FILE] [--config FILE]
                               [--no-peers] [--no-proof] [--quick] [--output FILE]

TREE is a large real source tree: a few public ML repositories (for example brought with the search tool's
``fetch`` and extracted), or an installed ``site-packages`` (with ``--config`` naming a pyproject.toml whose
``[tool.lraudit]`` sets ``exclude = []``: the default excludes leave site-packages and tests out). Every
measurement covers the files ``lraudit check TREE`` audits. The command measures, as medians over ``--runs``
runs (wall-clock seconds, with the CPU seconds next to them):

* the floor: walking the tree, reading every file and running the prefilter (in one process);
* a bare ``libcst.parse_module`` of the files the prefilter admits (in one process);
* ``lraudit check`` cold (``--no-cache``) with one job, two jobs and all CPUs; warm (cache filled, nothing
  changed); one ~500-line training script cold (the pre-commit case); ``python -c "import libcst"``;
* TorchFix and Fixit on the same tree, one job each (``--peer-runs`` runs; they are slow);
* peak memory (resident set of the whole process tree, sampled) of the cold runs;
* the prefilter's no-false-negative proof: every file of the tree (tests included) that the prefilter
  rejects is analysed anyway and must yield no optimizer, scheduler, learning-rate write, computed rate or
  finding (parse errors excepted).

``--quick`` measures only the two start-up ratios (warm run against the floor, one script against ``import
libcst``), without the cold runs, the parse, the peers and the proof, in a few minutes (``bench/RESULTS-quick.md``).

It prints a table of ratios against the targets of issue 6 and writes it, with the raw numbers, to
``bench/RESULTS.md`` (``--output``).

The peers run from their own virtual environment, created on first use (``--peers-venv``, default
``~/.cache/lraudit-bench/peers``) with ``python -m venv DIR && DIR/bin/pip install torchfix fixit``. A peer
that cannot be installed or run is skipped with a note in the results. ``--no-peers`` and ``--no-proof`` skip
those parts.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
DEFAULT_PEERS_VENV = Path.home() / ".cache" / "lraudit-bench" / "peers"
CONFIG_ENV = "LRAUDIT_BENCH_CONFIG"  # --config, passed on to the measuring subprocesses


# ------------------------------------------------------------------------------------ measuring


@dataclass
class Sample:
    wall: float
    cpu: float
    peak_mb: float | None = None
    exit_code: int = 0


@dataclass
class Measure:
    name: str
    samples: list[Sample] = field(default_factory=list)
    note: str = ""

    @property
    def wall(self) -> float:
        return statistics.median(s.wall for s in self.samples)

    @property
    def cpu(self) -> float:
        return statistics.median(s.cpu for s in self.samples)

    @property
    def peak_mb(self) -> float | None:
        peaks = [s.peak_mb for s in self.samples if s.peak_mb is not None]
        return max(peaks) if peaks else None


def _tree_rss_kb(root: int) -> int:
    """Resident memory of a process and all its descendants (Linux /proc), in kB."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as fh:
                stat = fh.read().rsplit(b")", 1)[1].split()
            ppid = int(stat[1])
            rss[int(entry)] = int(stat[21]) * (os.sysconf("SC_PAGE_SIZE") // 1024)
            children.setdefault(ppid, []).append(int(entry))
        except (OSError, IndexError, ValueError):
            continue
    total, stack = 0, [root]
    while stack:
        pid = stack.pop()
        total += rss.get(pid, 0)
        stack.extend(children.get(pid, []))
    return total


def run(cmd: Sequence[str], *, cwd: Path | None = None, env: dict[str, str] | None = None,
        sample_memory: bool = False, ok_codes: tuple[int, ...] = (0, 1), timeout: float = 7200) -> Sample:
    """Run a command; wall time, CPU time of it and its descendants, peak resident memory of the tree."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.Popen(list(cmd), cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    peak = [0]
    stop = threading.Event()

    def sampler() -> None:
        while not stop.is_set():
            if proc.poll() is not None:
                break
            peak[0] = max(peak[0], _tree_rss_kb(proc.pid))
            stop.wait(0.2)

    thread = threading.Thread(target=sampler, daemon=True) if sample_memory and sys.platform == "linux" else None
    if thread:
        thread.start()
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
        raise RuntimeError(f"{' '.join(cmd)} timed out after {timeout:.0f} s")
    wall = time.perf_counter() - start
    stop.set()
    if thread:
        thread.join()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if proc.returncode not in ok_codes:
        raise RuntimeError(f"{' '.join(cmd)} exited {proc.returncode}:\n{err.decode(errors='replace')[-2000:]}")
    return Sample(wall, cpu, peak[0] / 1024 if thread else None, proc.returncode)


def repeat(name: str, runs: int, fn: Any, note: str = "") -> Measure:
    m = Measure(name, note=note)
    for i in range(runs):
        m.samples.append(fn())
        print(f"  {name}: run {i + 1}/{runs}: {m.samples[-1].wall:.2f} s wall, {m.samples[-1].cpu:.2f} s CPU",
              file=sys.stderr, flush=True)
    return m


def internal(mode: str, *args: str, env: dict[str, str] | None = None) -> Sample:
    """Run one of this file's in-process measurements in a fresh interpreter; it reports its own timing."""
    proc = subprocess.run([sys.executable, str(Path(__file__).resolve()), "--internal", mode, *args],
                          capture_output=True, text=True, timeout=7200, env=env)
    if proc.returncode != 0:
        raise RuntimeError(f"--internal {mode} failed:\n{proc.stderr[-2000:]}")
    doc = json.loads(proc.stdout.strip().splitlines()[-1])
    return Sample(doc["wall"], doc["cpu"], doc.get("peak_mb"))


# ------------------------------------------------------------------------- in-process measurements


def _excludes(tree: str) -> list[str]:
    """The excludes ``lraudit check TREE`` applies (defaults such as tests/, the tree's or --config's)."""
    from lraudit.config import load_config
    from lraudit.engine import bound_rules

    rules = [r for r, _ in bound_rules().values()]
    return list(load_config([tree], os.environ.get(CONFIG_ENV) or None, rules).all_excludes)


def _files(tree: str, excludes: list[str] | None = None) -> list[str]:
    from lraudit.discover import discover

    return [p for p, _ in discover([tree], _excludes(tree) if excludes is None else excludes).files]


def _admits(path: str, data: bytes) -> bool:
    """The runner's admission (runner.py): a YAML/JSON file by the config readers' gate, a Python file or notebook
    by the prefilter (or, for a .py, the config gate: a config that only inherits names no lr)."""
    from lraudit.configs import gate, is_config_suffix
    from lraudit.discover import prefilter

    if is_config_suffix(path):
        return gate(path, data)
    return prefilter(data) or (path.endswith(".py") and gate(path, data))


def _admitted(tree: str) -> tuple[list[str], dict[str, Any]]:
    files = _files(tree)
    admitted, n_bytes, a_bytes, lines = [], 0, 0, 0
    for path in files:
        with open(path, "rb") as fh:
            data = fh.read()
        n_bytes += len(data)
        lines += data.count(b"\n")
        if _admits(path, data):
            admitted.append(path)
            a_bytes += len(data)
    from lraudit.configs import is_config_suffix

    info = {"files": len(files), "bytes": n_bytes, "lines": lines, "admitted": len(admitted),
            "admitted_bytes": a_bytes, "config_candidates": sum(1 for p in files if is_config_suffix(p)),
            "configs_admitted": sum(1 for p in admitted if is_config_suffix(p))}
    return admitted, info


def internal_floor(tree: str) -> dict[str, Any]:
    """Walk + read + prefilter, the least any run must do (the configuration is loaded before the clock starts)."""
    excludes = _excludes(tree)
    t0, c0 = time.perf_counter(), time.process_time()
    from lraudit.discover import default_prefilter, discover

    default_prefilter()
    found = discover([tree], excludes)
    admitted = 0
    for path, _ in found.files:
        with open(path, "rb") as fh:
            if _admits(path, fh.read()):
                admitted += 1
    return {"wall": time.perf_counter() - t0, "cpu": time.process_time() - c0, "admitted": admitted}


def _source_text(path: str, data: bytes) -> str | None:
    """The Python source lraudit parses: the decoded file, or a notebook's code cells."""
    from lraudit.parse import ParseFailure, decode_source

    if path.endswith(".ipynb"):
        from lraudit.notebook import notebook_source

        nb = notebook_source(data)
        return None if isinstance(nb, ParseFailure) else nb[0]
    text = decode_source(data)
    return text if isinstance(text, str) else None


def _imported(tree: str, admitted: list[str]) -> list[str]:
    """The modules the repository model parses beyond the admitted files (the files they import), found by one
    analysis of the admitted files in this process (``--imports-list`` reuses a saved list)."""
    saved = os.environ.get("LRAUDIT_BENCH_IMPORTS")
    if saved and os.path.isfile(saved):
        return json.loads(Path(saved).read_text())
    from lraudit import repository
    from lraudit.analyze import AnalysisOptions
    from lraudit.runner import run_files

    run_files([(p, p) for p in admitted], AnalysisOptions(want_curves=False), jobs=1)
    own = {os.path.abspath(p) for p in admitted}
    return sorted(p for p in repository.parsed_files() if p not in own)


def internal_imports(tree: str) -> dict[str, Any]:
    admitted, _ = _admitted(tree)
    extra = _imported(tree, admitted)
    n_bytes = sum(os.path.getsize(p) for p in extra if os.path.isfile(p))
    return {"wall": 0.0, "cpu": 0.0, "imported": len(extra), "imported_bytes": n_bytes, "paths": extra}


def internal_parse(tree: str) -> dict[str, Any]:
    """A bare libcst parse of every file lraudit parses: the admitted files and the modules they import (decoded as
    lraudit decodes them)."""
    import libcst

    from lraudit.configs import is_config_suffix

    admitted, _ = _admitted(tree)
    admitted = [p for p in admitted if not is_config_suffix(p)]  # YAML/JSON configs are not parsed by libcst
    admitted = admitted + _imported(tree, admitted)
    texts = []
    for path in admitted:
        with open(path, "rb") as fh:
            text = _source_text(path, fh.read())
        if text is not None:
            texts.append(text)
    t0, c0 = time.perf_counter(), time.process_time()
    failed = 0
    for text in texts:
        try:
            libcst.parse_module(text)
        except Exception:
            failed += 1
    return {"wall": time.perf_counter() - t0, "cpu": time.process_time() - c0, "files": len(texts),
            "failed": failed}


def internal_info(tree: str) -> dict[str, Any]:
    t0, c0 = time.perf_counter(), time.process_time()
    _, info = _admitted(tree)
    info.update(wall=time.perf_counter() - t0, cpu=time.process_time() - c0)
    return info


def _prove_one(path: str) -> list[str]:
    from lraudit.analyze import AnalysisOptions, analyze_bytes
    from lraudit.extract.build import extract
    from lraudit.parse import ParseFailure, parse_source

    with open(path, "rb") as fh:
        data = fh.read()
    problems: list[str] = []
    result = analyze_bytes(data, path, path, AnalysisOptions(want_curves=False))
    problems += [f"finding {f.code} at line {f.line}" for f in result.findings if f.code != "LR901"]
    problems += [f"optimizer {o['class']}" for o in result.optimizers]
    problems += [f"scheduler {s['class']}" for s in result.schedulers]
    text = _source_text(path, data)
    if text is not None:
        module = parse_source(text)
        if module is not None and not isinstance(module, ParseFailure):
            facts = extract(module, path).facts
            if facts.lr_writes:
                problems.append(f"{len(facts.lr_writes)} learning-rate write(s)")
            if facts.unapplied_lrs:
                problems.append(f"{len(facts.unapplied_lrs)} computed rate(s)")
    return problems


def internal_prove(tree: str, jobs: str) -> dict[str, Any]:
    """Analyse every rejected file anyway: the prefilter has no false negatives when nothing comes out."""
    from concurrent.futures import ProcessPoolExecutor

    t0, c0 = time.perf_counter(), time.process_time()
    rejected = []
    for path in _files(tree, excludes=[]):  # every file of the tree, also those lraudit check excludes
        with open(path, "rb") as fh:
            if not _admits(path, fh.read()):
                rejected.append(path)
    bad: dict[str, list[str]] = {}
    with ProcessPoolExecutor(max_workers=int(jobs)) as pool:
        for path, problems in zip(rejected, pool.map(_prove_one, rejected, chunksize=8)):
            if problems:
                bad[path] = problems
    return {"wall": time.perf_counter() - t0, "cpu": time.process_time() - c0, "rejected": len(rejected),
            "false_negatives": bad}


INTERNAL = {"floor": internal_floor, "parse": internal_parse, "info": internal_info, "prove": internal_prove,
            "imports": internal_imports}


# ------------------------------------------------------------------------------------------ peers


def ensure_peers(venv: Path) -> tuple[dict[str, list[str]], list[str]]:
    """Commands that run each peer with one job, and notes about peers that could not be set up."""
    notes: list[str] = []
    py = venv / "bin" / "python"
    if not py.exists():
        print(f"creating {venv} for TorchFix and Fixit ...", file=sys.stderr)
        try:
            subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, capture_output=True)
        except (subprocess.CalledProcessError, OSError) as exc:
            return {}, [f"could not create {venv}: {exc}"]
    cmds: dict[str, list[str]] = {}
    for package, module in (("torchfix", "torchfix"), ("fixit", "fixit")):
        check = subprocess.run([str(py), "-c", f"import {module}"], capture_output=True)
        if check.returncode != 0:
            inst = subprocess.run([str(py), "-m", "pip", "install", "-q", package], capture_output=True, text=True)
            if inst.returncode != 0:
                notes.append(f"{package}: not installed ({inst.stderr.strip().splitlines()[-1:]}); skipped")
                continue
    if subprocess.run([str(py), "-c", "import torchfix"], capture_output=True).returncode == 0:
        cmds["TorchFix"] = [str(venv / "bin" / "torchfix"), "--jobs", "1"]
    if subprocess.run([str(py), "-c", "import fixit"], capture_output=True).returncode == 0:
        # Fixit has no jobs option: its file runner (trailrunner) takes a one-process executor instead
        driver = ("import sys, concurrent.futures, trailrunner.core as t; "
                  "t.Trailrunner.DEFAULT_EXECUTOR = staticmethod(lambda: concurrent.futures.ProcessPoolExecutor(1)); "
                  "from fixit.cli import main; sys.argv = ['fixit', 'lint', *sys.argv[1:]]; main()")
        cmds["Fixit"] = [str(py), "-c", driver]
    return cmds, notes


def peer_versions(venv: Path) -> str:
    py = venv / "bin" / "python"
    code = ("import importlib.metadata as m\nfor p in ('torchfix', 'fixit', 'libcst'):\n"
            "    try: print(p, m.version(p))\n    except Exception: pass")
    out = subprocess.run([str(py), "-c", code], capture_output=True, text=True)
    return ", ".join(out.stdout.split("\n")).strip(", ").replace("\n", ", ")


# -------------------------------------------------------------------------------------------- main


def snapshot_package(work: Path, env: dict[str, str]) -> Path:
    """A frozen, byte-compiled copy of lraudit (rules included) that every measured process imports.

    Measurements then see one version of the code even when the checkout changes during the run (an edited
    source file would also change the cache's fingerprint and turn warm runs cold), and the modules are
    byte-compiled as pip compiles an installed package.
    """
    import lraudit as package

    dest = work / "snapshot"
    shutil.copytree(Path(package.__file__).resolve().parent, dest / "lraudit", symlinks=False,
                    ignore=shutil.ignore_patterns("__pycache__"))
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(dest)], env=env, capture_output=True, check=True)
    return dest


def pick_script(tree: str) -> str | None:
    """A training script of about 500 lines: an admitted .py file that builds an optimizer and a scheduler."""
    import re

    builds = re.compile(rb"optim\.[A-Z]\w*\(|(?:lr_scheduler|schedules)\.[A-Z]\w*\(|get_\w*schedule\w*\(")
    admitted, _ = _admitted(tree)
    best: tuple[int, str] | None = None
    for path in admitted:
        if not path.endswith(".py"):
            continue
        with open(path, "rb") as fh:
            data = fh.read()
        if len(set(m.group()[:5] for m in builds.finditer(data))) < 2:  # an optimizer and a schedule
            continue
        score = abs(data.count(b"\n") - 500)
        if best is None or (score, path) < best:
            best = (score, path)
    return best[1] if best else None


def tree_name(tree: Path) -> str:
    parts = []
    try:
        children = sorted(p.name for p in tree.iterdir() if p.is_dir() and not p.name.startswith("."))
    except OSError:
        children = []
    if 1 < len(children) <= 12:
        parts.append(", ".join(children))
    return f"`{tree}`" + (f" ({parts[0]})" if parts else "")


def fmt_s(x: float) -> str:
    return f"{x:.2f} s" if x >= 0.1 else f"{x * 1000:.0f} ms"


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("tree", nargs="?")
    ap.add_argument("--runs", type=int, default=3, help="runs per measurement (median)")
    ap.add_argument("--peer-runs", type=int, default=1, help="runs per peer (they are slow)")
    ap.add_argument("--jobs", type=int, default=None, help="'all jobs' (default: the CPU count)")
    ap.add_argument("--peers-venv", type=Path, default=DEFAULT_PEERS_VENV)
    ap.add_argument("--no-peers", action="store_true")
    ap.add_argument("--no-proof", action="store_true")
    ap.add_argument("--quick", action="store_true",
                    help="only the warm run against the floor and one script against `import libcst` (no cold runs, "
                         "no parse, no peers, no proof); writes bench/RESULTS-quick.md unless --output is given")
    ap.add_argument("--script", help="the ~500-line script (default: picked from the tree)")
    ap.add_argument("--config", help="a pyproject.toml with [tool.lraudit] for every run (for example `exclude = []` "
                    "to measure an installed site-packages, which the default excludes leave out)")
    ap.add_argument("--output", type=Path, default=None)
    ap.add_argument("--internal", nargs="+", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.internal:
        mode, *rest = args.internal
        print(json.dumps(INTERNAL[mode](*rest)))
        return 0
    if not args.tree:
        ap.error("TREE is required")
    if args.quick:
        args.no_peers = args.no_proof = True
    if args.output is None:
        args.output = HERE / ("RESULTS-quick.md" if args.quick else "RESULTS.md")
    tree = Path(args.tree).resolve()
    if not tree.is_dir():
        ap.error(f"{tree} is not a directory")
    if args.config:
        os.environ[CONFIG_ENV] = str(Path(args.config).resolve())
    from lraudit.runner import default_jobs

    all_jobs = args.jobs or default_jobs()
    lraudit = [sys.executable, "-m", "lraudit.cli"]
    work = Path(tempfile.mkdtemp(prefix="lraudit-bench-"))
    try:
        env = dict(os.environ, LRAUDIT_NO_COLOR="1", NO_COLOR="1")
        env.pop("LRAUDIT_NO_CACHE", None)
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        snapshot = snapshot_package(work, env)
        env["PYTHONPATH"] = os.pathsep.join(x for x in (str(snapshot), os.environ.get("PYTHONPATH")) if x)
        load_before = os.getloadavg()
        started = time.strftime("%Y-%m-%d %H:%M:%S")
        runs = args.runs

        print(f"tree {tree}", file=sys.stderr)
        info_doc = json.loads(subprocess.run([sys.executable, __file__, "--internal", "info", str(tree)], env=env,
                                             capture_output=True, text=True, check=True).stdout.splitlines()[-1])
        # the modules the repository model parses beyond the admitted files (found once; the parse measures both)
        imports_doc = json.loads(subprocess.run([sys.executable, __file__, "--internal", "imports", str(tree)],
                                                env=env, capture_output=True, text=True,
                                                check=True).stdout.splitlines()[-1])
        imports_list = work / "imports.json"
        imports_list.write_text(json.dumps(imports_doc["paths"]))
        env["LRAUDIT_BENCH_IMPORTS"] = str(imports_list)
        info_doc.update(imported=imports_doc["imported"], imported_bytes=imports_doc["imported_bytes"])
        out = str(work / "out.json")
        check = [*lraudit, "check", "--format", "json", "--output", out, str(tree)]
        if args.config:
            check += ["--config", str(Path(args.config).resolve())]
        script = args.script or pick_script(str(tree))
        plans: list[tuple[str, str, Any]] = [
            ("floor", "walk + read + prefilter", lambda: internal("floor", str(tree), env=env)),
        ]
        if not args.quick:
            plans += [
                ("parse", "libcst parse of the admitted and imported files",
                 lambda: internal("parse", str(tree), env=env)),
                ("cold1", "lraudit check, cold, 1 job", lambda: run(
                    [*check, "--no-cache", "--jobs", "1"], cwd=work, env=env, sample_memory=True)),
                ("cold2", "lraudit check, cold, 2 jobs", lambda: run(
                    [*check, "--no-cache", "--jobs", "2"], cwd=work, env=env, sample_memory=True)),
            ]
        if all_jobs != 2 and not args.quick:
            plans.append(("coldN", f"lraudit check, cold, {all_jobs} jobs", lambda: run(
                [*check, "--no-cache", "--jobs", str(all_jobs)], cwd=work, env=env, sample_memory=True)))
        plans += [
            ("warm", f"lraudit check, warm, {all_jobs} jobs", lambda: run(
                [*check, "--jobs", str(all_jobs)], cwd=work, env=env)),
            ("warm1", "lraudit check, warm, 1 job", lambda: run([*check, "--jobs", "1"], cwd=work, env=env)),
        ]
        if script:
            local = work / "script" / Path(script).name
            local.parent.mkdir()
            shutil.copyfile(script, local)
            n_lines = local.read_bytes().count(b"\n")
            plans.append(("script", f"lraudit check, one {n_lines}-line script, cold", lambda: run(
                [*lraudit, "check", "--no-cache", local.name], cwd=local.parent, env=env)))
        plans.append(("libcst", 'python -c "import libcst"', lambda: run(
            [sys.executable, "-c", "import libcst"], ok_codes=(0,))))
        run([*check, "--jobs", str(all_jobs)], cwd=work, env=env)  # fill the cache for the warm runs
        # round robin, so that the two sides of each ratio see the same load on the machine
        measures: dict[str, Measure] = {key: Measure(name) for key, name, _ in plans}
        outputs: dict[str, set[str]] = {}  # digests of the JSON report of every tree run: they must all agree
        for i in range(runs):
            for key, name, fn in plans:
                sample = fn()
                measures[key].samples.append(sample)
                if key.startswith(("cold", "warm")):
                    outputs.setdefault(key, set()).add(hashlib.sha256(Path(out).read_bytes()).hexdigest())
                print(f"  run {i + 1}/{runs}: {name}: {sample.wall:.2f} s wall, {sample.cpu:.2f} s CPU",
                      file=sys.stderr, flush=True)
        peer_notes: list[str] = []
        versions = ""
        if not args.no_peers:
            cmds, peer_notes = ensure_peers(args.peers_venv)
            versions = peer_versions(args.peers_venv) if cmds else ""
            # the same files lraudit checks (the peers' own walkers would include tests and skip no directory);
            # notebooks are left out, the peers read only .py files
            py_files = [f for f in _files(str(tree)) if f.endswith(".py")]
            for name, cmd in cmds.items():
                try:
                    measures[name] = repeat(f"{name}, cold, 1 job", args.peer_runs, lambda cmd=cmd: run(
                        [*cmd, *py_files], cwd=work, ok_codes=tuple(range(256)), sample_memory=True))
                except RuntimeError as exc:
                    peer_notes.append(f"{name}: failed: {exc}")
        proof = None
        if not args.no_proof:
            print("proving the prefilter (analysing every rejected file) ...", file=sys.stderr)
            proc = subprocess.run([sys.executable, __file__, "--internal", "prove", str(tree), str(all_jobs)],
                                  capture_output=True, text=True, env=env)
            if proc.returncode == 0:
                proof = json.loads(proc.stdout.splitlines()[-1])
            else:
                proof = {"error": proc.stderr[-500:]}
    finally:
        shutil.rmtree(work, ignore_errors=True)
    load_after = os.getloadavg()
    report = render(tree, info_doc, measures, all_jobs, proof, peer_notes, versions, started,
                    (load_before, load_after), script, outputs)
    print(report)
    args.output.write_text(report, encoding="utf-8")
    print(f"wrote {args.output}", file=sys.stderr)
    return 0


def render(tree: Path, info: dict[str, Any], m: dict[str, Measure], all_jobs: int, proof: dict[str, Any] | None,
           peer_notes: list[str], versions: str, started: str, loads: tuple[Any, Any], script: str | None,
           outputs: dict[str, set[str]]) -> str:
    import libcst  # noqa: F401  (version only)
    from importlib.metadata import version

    import lraudit

    lines = ["# lraudit benchmark", ""]
    lines.append(f"Generated by `python bench/bench.py {tree}` on {started}: lraudit {lraudit.__version__}, "
                 f"Python {platform.python_version()}, libcst {version('libcst')}, {platform.machine()}, "
                 f"{os.cpu_count()} CPUs ({all_jobs} usable); load average {loads[0][0]:.1f} before, "
                 f"{loads[1][0]:.1f} after.")
    lines.append("")
    cand = info.get("config_candidates", 0)
    kinds = f"Python files and notebooks and {cand:,} YAML/JSON config candidates" if cand else \
        "Python files and notebooks"
    lines.append(f"Tree: {tree_name(tree)}: {info['files']:,} files ({kinds}), {info['lines']:,} lines, "
                 f"{info['bytes'] / 1e6:.1f} MB. The prefilter (and, for config files, the config readers' text "
                 f"gate) admits {info['admitted']:,} files "
                 f"({info['admitted'] / max(1, info['files']):.0%}) holding {info['admitted_bytes'] / 1e6:.1f} MB "
                 f"({info['admitted_bytes'] / max(1, info['bytes']):.0%} of the bytes)"
                 + (f", {info['configs_admitted']:,} of them YAML/JSON configs (read by the config readers, not "
                    f"parsed by libcst)" if info.get("configs_admitted") else "") + ".")
    if "imported" in info:
        lines.append("")
        lines.append(f"The repository model (whole-repository analysis) parses {info['imported']:,} further files "
                     f"({info['imported_bytes'] / 1e6:.1f} MB): modules the admitted files import and call into, "
                     "which the prefilter did not admit. The parse measured below covers both.")
    lines.append("")
    lines.append("## Ratios (medians of wall-clock times measured in this run)")
    lines.append("")
    lines.append("| target | measured | ratio | goal | met |")
    lines.append("|---|---|---|---|---|")

    def row(name: str, num: str, den: str, goal: str, ok: Any, invert: bool = False) -> None:
        if num not in m or den not in m:
            lines.append(f"| {name} | not measured | | {goal} | |")
            return
        a, b = m[num].wall, m[den].wall
        ratio = b / a if invert else a / b
        lines.append(f"| {name} | {fmt_s(a)} vs {fmt_s(b)} | {ratio:.2f}x | {goal} | {'yes' if ok(ratio) else 'NO'} |")

    row("cold, 1 job / libcst parse of the admitted and imported files", "cold1", "parse", "<= 1.3x",
        lambda r: r <= 1.3)
    row("cold, 1 job / cold, 2 jobs (speed-up)", "cold1", "cold2", ">= 1.7x", lambda r: r >= 1.7)
    row(f"warm, {all_jobs} jobs / walk + read + prefilter floor", "warm", "floor", "<= 1.5x", lambda r: r <= 1.5)
    row("one ~500-line script / python -c \"import libcst\"", "script", "libcst", "<= 1.5x", lambda r: r <= 1.5)
    for peer in ("TorchFix", "Fixit"):
        row(f"{peer}, 1 job / lraudit cold, 1 job (speed-up)", peer, "cold1", ">= 5x", lambda r: r >= 5)
    peak = max((m[k].peak_mb or 0) for k in m if k.startswith("cold")) if any(k.startswith("cold") for k in m) else None
    if peak is not None:
        lines.append(f"| peak memory, cold runs (whole process tree) | {peak:.0f} MB | | <= 500 MB | "
                     f"{'yes' if peak <= 500 else 'NO'} |")
    lines.append("")
    lines.append("CPU-time ratios (less sensitive to other load on the machine): "
                 + "; ".join(f"{label} {m[a].cpu / m[b].cpu:.2f}x" for label, a, b in (
                     ("cold 1 job / parse", "cold1", "parse"), ("warm / floor", "warm", "floor"),
                     ("script / import libcst", "script", "libcst")) if a in m and b in m) + ".")
    lines.append("")
    lines.append("## Measurements")
    lines.append("")
    lines.append("| what | runs | median wall | median CPU | peak memory |")
    lines.append("|---|---|---|---|---|")
    for meas in m.values():
        peak_text = f"{meas.peak_mb:.0f} MB" if meas.peak_mb is not None else ""
        lines.append(f"| {meas.name} | {len(meas.samples)} | {fmt_s(meas.wall)} | {fmt_s(meas.cpu)} | {peak_text} |")
    lines.append("")
    lines.append("The floor and the parse are timed inside one fresh interpreter (work only, no start-up); the "
                 "commands are timed from outside (start-up included). Every process imports a byte-compiled snapshot "
                 "of lraudit taken when the run started. "
                 "CPU is user + system time of the process and its workers. Peak memory is the resident set of "
                 "the process tree, sampled every 200 ms. Measurements run round robin, so that both sides of a "
                 "ratio see the same load.")
    if script:
        lines.append(f"The one-script case checks `{script}` (copied alone into a scratch directory, cold).")
    if versions:
        lines.append(f"Peers: {versions}; TorchFix with `--jobs 1`, Fixit (`fixit lint`) with a one-process "
                     "executor; both with their default rules.")
    for note in peer_notes:
        lines.append(f"- {note}")
    digests = set().union(*outputs.values()) if outputs else set()
    if digests:
        n_runs = sum(len(x.samples) for k, x in m.items() if k in outputs)
        same = "the same JSON report, byte for byte" if len(digests) == 1 else f"{len(digests)} DIFFERENT reports"
        lines.append("")
        lines.append(f"All {n_runs} runs over the tree ({', '.join(sorted(outputs))}) wrote {same}.")
    lines.append("")
    lines.append("## Prefilter proof")
    lines.append("")
    if proof is None:
        lines.append("Not run (`--no-proof`).")
    elif "error" in proof:
        lines.append(f"The proof run failed: {proof['error']}")
    else:
        bad = proof["false_negatives"]
        lines.append(f"Every one of the {proof['rejected']:,} files the prefilter rejects was analysed anyway "
                     f"({fmt_s(proof['wall'])}): "
                     + ("none yields an optimizer, scheduler, learning-rate write, computed rate or finding."
                        if not bad else f"{len(bad)} false negatives (bugs):"))
        for path, problems in sorted(bad.items())[:50]:
            lines.append(f"- `{path}`: {', '.join(problems)}")
    lines.append("")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
