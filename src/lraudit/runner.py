"""Running the per-file analysis over many files: read, prefilter, cache lookup, process pool, deterministic merge.

Each file is read and looked up in the cache (by content, see cache.py); a miss that the prefilter rejects is
skipped (unless the file was named explicitly) and remembered as skipped, so warm runs do not even run the
prefilter. That first pass runs in this process. What is left is analysed and stored: here when it is one or two
files (the pre-commit case), else in a pool of ``jobs`` processes, largest files first so that no worker is
left with a big file at the end. A run where everything comes from the cache never starts a pool. Results
come back in the order of the input, whatever the number of jobs, so output does not depend on scheduling.
"""

from __future__ import annotations

import gc
import os
import stat
import sys
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Iterator

from .analyze import AnalysisOptions, analyze_bytes
from .callers import CallerScope, adopt_callers
from .configs.base import MAX_CONFIG_FILE_BYTES
from .discover import CONFIG_SUFFIXES
from .results import FileResult

POOL_MIN_FILES = 3  # one or two files (the pre-commit case) never start a pool
MAX_READ = 10_000_000
# libcst's tree of a big file takes hundreds of bytes per character; once it is gone, hand the memory back to
# the system so that a worker does not keep the peak of its biggest file for the rest of the run
RELEASE_AFTER_BYTES = 100_000
# libcst builds millions of objects for a big file; at Python's default pace (a young collection every 700
# allocations, promoting the tree to older generations that are rescanned again and again) the cyclic
# collector costs several percent of a run. A run collects a hundred times less often: the trees hold no
# cycles, and the few that extraction makes are still collected. (Measured: 8% less time for a cold run.)
# 1,000,000 was tried: the collector's share halved, but a quiet A/B over the benchmark tree showed no faster run
# and ~80 MB more peak memory at 2 jobs (bench/RESULTS.md), so it stays at 100,000.
GC_YOUNG_THRESHOLD = 100_000


@dataclass(frozen=True)
class RunContext:
    """What every unit of work needs; sent to each worker once."""

    opts: AnalysisOptions
    cache_dir: str | None = None
    cwd: str = ""


def default_jobs() -> int:
    """The number of CPUs this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def read_source(path: str) -> bytes | str:
    """The file's bytes, or a message saying why it cannot be read.

    Opened without blocking and read only when it is a regular file: a FIFO or a device named ``x.py``
    (``lraudit check pipe.py``) must not hang the run or read forever.
    """
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    except FileNotFoundError:
        return "file disappeared before it could be read"
    except IsADirectoryError:
        return "is a directory"
    except OSError as exc:
        return f"cannot read: {exc.strerror or exc}"
    try:
        with open(fd, "rb") as fh:
            st = os.fstat(fh.fileno())
            if stat.S_ISDIR(st.st_mode):
                return "is a directory"
            if not stat.S_ISREG(st.st_mode):
                return "not a regular file (a FIFO, socket or device); not read"
            if st.st_size > MAX_READ:
                return f"file is {st.st_size:,} bytes, over the {MAX_READ:,}-byte limit; not analysed"
            return fh.read(MAX_READ + 1)
    except OSError as exc:
        return f"cannot read: {exc.strerror or exc}"


class Worker:
    """Analyses files for one run, in this process or in a pool worker (one per process).

    ``settle`` does the cheap part (read, cache lookup, prefilter) and ``compute`` the expensive one (parse and
    analyse, then store); ``analyze`` is both.
    """

    def __init__(self, ctx: RunContext) -> None:
        self.ctx = ctx
        self.cache = None
        if ctx.cache_dir:
            from .cache import Cache

            self.cache = Cache(ctx.cache_dir)

    def analyze(self, path: str, display: str, explicit: bool) -> FileResult:
        """Never raises for one file's problem: it becomes that file's error (see ``analyze_bytes``)."""
        settled = self.settle(path, display, explicit)
        return settled if settled is not None else self.compute(path, display, explicit)

    def settle(self, path: str, display: str, explicit: bool) -> FileResult | None:
        """The result when reading, the cache or the prefilter decides it; None when the file must be analysed."""
        try:
            return self._settle(path, display, explicit)
        except Exception as exc:  # the cache or the prefilter failed on this file
            return _internal_error(display, exc)

    def compute(self, path: str, display: str, explicit: bool) -> FileResult:
        """Analyse the file (and store the result in the cache)."""
        try:
            return self._compute(path, display, explicit)
        except Exception as exc:
            return _internal_error(display, exc)
        finally:
            if _size(path) >= RELEASE_AFTER_BYTES:
                release_memory()

    def _key(self, data: bytes, path: str, display: str) -> str:
        assert self.cache is not None
        return self.cache.key(data, self.ctx.opts, path, display, self.ctx.cwd or None)

    def _settle(self, path: str, display: str, explicit: bool) -> FileResult | None:
        config_file = path.lower().endswith(CONFIG_SUFFIXES)
        if config_file and not explicit and _size(path) > MAX_CONFIG_FILE_BYTES:
            return FileResult(path=display, skipped=True, details={"skip": "config-too-large"})
        data = read_source(path)
        if isinstance(data, str):
            return FileResult(path=display, error=data)
        cache = self.cache
        key = None
        if cache is not None:
            key = self._key(data, path, display)
            hit = cache.get(key)
            # a file the prefilter skipped is analysed all the same when it is named explicitly
            if hit is not None and hit.path == display and not (hit.skipped and explicit):
                return hit
        if not explicit:
            from .discover import prefilter

            from .configs import gate

            if config_file:
                passed = gate(path, data)
            else:  # a Python config that only inherits (`_base_ = ...; train_cfg = dict(max_epochs=6)`) names no lr
                passed = prefilter(data) or (path.endswith(".py") and gate(path, data))
            if not passed:
                skipped = FileResult(path=display, skipped=True,
                                     details={"skip": "not-a-config"} if config_file else {})
                if cache is not None and key is not None:
                    cache.put(key, skipped)  # warm runs skip the prefilter too
                return skipped
        return None

    def _compute(self, path: str, display: str, explicit: bool) -> FileResult:
        data = read_source(path)  # read again: the pool sends paths, not contents
        if isinstance(data, str):
            return FileResult(path=display, error=data)
        opts = self.ctx.opts
        cache = self.cache
        if cache is None:
            return analyze_bytes(data, path, display, opts)
        from .cache import recording_dependencies

        with recording_dependencies() as probes:
            result = analyze_bytes(data, path, display, opts)
        cache.put(self._key(data, path, display), result, cache.dependencies(probes, exclude=path))
        return result


def release_memory() -> None:
    """Return freed heap memory to the system (glibc ``malloc_trim``; a no-op elsewhere)."""
    global _TRIM
    if _TRIM is None:
        _TRIM = False
        if sys.platform.startswith("linux"):
            try:
                import ctypes

                _TRIM = ctypes.CDLL("libc.so.6").malloc_trim
            except (OSError, AttributeError):
                _TRIM = False
    if _TRIM:
        _TRIM(0)


_TRIM: Any = None


def _internal_error(display: str, exc: Exception) -> FileResult:
    first = str(exc).splitlines()[0][:200] if str(exc) else ""
    return FileResult(path=display, error=f"internal error: {type(exc).__name__}: {first}; please report it")


def analyze_one(path: str, display: str, opts: AnalysisOptions, explicit: bool = False,
                cache_dir: str | None = None) -> FileResult:
    """One file, as ``run_files`` would analyse it."""
    return Worker(RunContext(opts, cache_dir, os.getcwd())).analyze(path, display, explicit)


# ------------------------------------------------------------------------------------- the pool

_WORKER: Worker | None = None


def _init_worker(ctx: RunContext) -> None:
    global _WORKER
    _WORKER = Worker(ctx)
    _pace_collector()


def _pace_collector() -> tuple[int, int, int]:
    """Collect less often (see ``GC_YOUNG_THRESHOLD``); returns the previous thresholds."""
    old = gc.get_threshold()
    gc.set_threshold(max(old[0], GC_YOUNG_THRESHOLD), old[1], old[2])
    return old  # type: ignore[return-value]


@contextmanager
def _paced_collector() -> Iterator[None]:
    """Collect less often for the run; what exists before it (modules, the catalog, the caller's objects) is
    frozen, so full collections do not rescan it (and forked workers do not touch those pages)."""
    old = _pace_collector()
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()
        gc.set_threshold(*old)


def _work(task: tuple[int, str, str, bool]) -> tuple[int, FileResult]:
    index, path, display, explicit = task
    assert _WORKER is not None, "worker not initialised"
    return index, _WORKER.compute(path, display, explicit)


def run_files(files: Iterable[tuple[str, str]], opts: AnalysisOptions, *, explicit: set[str] | None = None,
              jobs: int | None = None, cache_dir: str | None = None,
              progress: Callable[[int, int], None] | None = None,
              callers: CallerScope | None = None) -> list[FileResult]:
    """Analyse ``(path, display)`` pairs; one result per pair, in the same order.

    ``explicit`` holds absolute paths the user named (they skip the prefilter). ``jobs`` is the number of
    processes (default: the CPU count); ``cache_dir`` enables the result cache.

    Two passes: this process reads every file and settles what the cache or the prefilter decides (a warm run
    ends here, without a pool); the files left are analysed here when they are one or two, else in a pool,
    largest first. ``progress(done, total)`` is called after each file (it should be cheap).

    A file whose code depends on what its callers pass gets what their analyses say about it (callers.py):
    from the run's own results, and, when ``callers`` says the run did not walk that file's repository, from
    its importers found there (analysed here, through the cache, not reported).
    """
    pairs = list(files)
    with _paced_collector():
        results = _run_files(pairs, opts, explicit or set(), jobs, cache_dir, progress or _no_progress)
        analyse = None
        if callers is not None:
            worker = Worker(RunContext(opts, cache_dir, os.getcwd()))

            def analyse(path: str, display: str) -> FileResult:
                return worker.analyze(path, display, False)
        adopt_callers(results, {d: p for p, d in pairs}, callers, analyse)
        return dedupe_linked(results)


def dedupe_linked(results: list[FileResult]) -> list[FileResult]:
    """A finding in another module that several analysed files reach (code linked into their analysis, see
    extract/link.py) is reported once: by that module's own result when it has it, else by the first file. A
    module's own finding about an object of unknown class (a parameter used as a scheduler) gives way to a
    linked file's finding at the same place, where the caller supplies the class."""
    from .checks.common import UNKNOWN_CLASS_MARK

    seen: set[tuple[str, str, int, int]] = set()
    weak: set[tuple[str, str, int, int]] = set()
    for r in results:
        for f in r.findings:
            if f.path == r.path:
                (weak if UNKNOWN_CLASS_MARK in f.message else seen).add((f.code, f.path, f.line, f.column))
    replaced: set[tuple[str, str, int, int]] = set()
    if weak:
        # places where another file's analysis steps a known object through this code (its caller's)
        known_steps = {s for r in results for s in r.details.get("linked_steps", ())}
        for r in results:
            for f in r.findings:
                key = (f.code, f.path, f.line, f.column)
                if f.path != r.path and key in weak and UNKNOWN_CLASS_MARK not in f.message:
                    replaced.add(key)
        replaced |= {k for k in weak if f"{k[1]}:{k[2]}" in known_steps}
        for r in results:
            r.findings = [f for f in r.findings if not (f.path == r.path and
                                                         (f.code, f.path, f.line, f.column) in replaced)]
        seen |= weak - replaced
    for r in results:
        if not any(f.path != r.path for f in r.findings):
            continue
        kept = []
        for f in r.findings:
            key = (f.code, f.path, f.line, f.column)
            if f.path != r.path:
                if key in seen:
                    continue
                seen.add(key)
            kept.append(f)
        r.findings = kept
    return results


def _no_progress(done: int, total: int) -> None:
    pass


def _run_files(pairs: list[tuple[str, str]], opts: AnalysisOptions, explicit: set[str], jobs: int | None,
               cache_dir: str | None, progress: Callable[[int, int], None]) -> list[FileResult]:
    ctx = RunContext(opts, cache_dir, os.getcwd())
    results: list[FileResult | None] = [None] * len(pairs)
    local = Worker(ctx)
    pending: list[tuple[int, str, str, bool]] = []
    total = len(pairs)
    done = 0
    for i, (path, display) in enumerate(pairs):
        named = os.path.abspath(path) in explicit
        settled = local.settle(path, display, named)
        if settled is None:
            pending.append((i, path, display, named))
        else:
            results[i] = settled
            done += 1
            progress(done, total)
    jobs = jobs if jobs and jobs > 0 else default_jobs()
    jobs = min(jobs, len(pending))
    if jobs <= 1 or len(pending) < POOL_MIN_FILES:
        for i, p, d, e in pending:
            results[i] = local.compute(p, d, e)
            done += 1
            progress(done, total)
        return [r for r in results if r is not None]
    order = sorted(pending, key=lambda t: (-_size(t[1]), t[0]))  # largest first: a short tail
    counted = [done]

    def tick() -> None:
        counted[0] += 1
        progress(counted[0], total)

    outcome = _pool_pass(order, results, ctx, jobs, tick)
    if outcome == "broken":  # a worker died (a crash or the OOM killer): once more for what is missing
        outcome = _pool_pass([t for t in order if results[t[0]] is None], results, ctx, jobs)
    missing = [t for t in pending if results[t[0]] is None]
    if outcome == "broken":  # again: one process per remaining file, so only the file that kills it is lost
        for task in missing:
            results[task[0]] = _isolated(task, ctx)
    elif missing:  # no usable process support here: finish in this process
        for i, p, d, e in missing:
            results[i] = local.compute(p, d, e)
    return [r for r in results if r is not None]


def _size(path: str) -> int:
    try:
        return os.stat(path).st_size
    except OSError:
        return 0


def _pool_pass(order: list[tuple[int, str, str, bool]], results: list[FileResult | None], ctx: RunContext,
               jobs: int, tick: Callable[[], None] | None = None) -> str:
    """Fill ``results`` from a pool; "done", "broken" (a worker died) or "unavailable" (no processes here)."""
    if not order:
        return "done"
    try:
        from concurrent.futures import ProcessPoolExecutor
        from concurrent.futures.process import BrokenProcessPool
    except ImportError:
        return "unavailable"
    chunk = max(1, min(16, len(order) // (jobs * 32)))
    try:
        with ProcessPoolExecutor(max_workers=min(jobs, len(order)), initializer=_init_worker,
                                 initargs=(ctx,)) as pool:
            for index, result in pool.map(_work, order, chunksize=chunk):
                results[index] = result
                if tick is not None:
                    tick()
    except BrokenProcessPool:
        return "broken"
    except Exception:  # no process support here, or a result that could not come back: finish in this process
        return "unavailable"
    return "done"


def _isolated(task: tuple[int, str, str, bool], ctx: RunContext) -> FileResult:
    """Analyse one file in a process of its own; its death becomes that file's error."""
    _, path, display, explicit = task
    results: list[FileResult | None] = [None]
    outcome = _pool_pass([(0, path, display, explicit)], results, ctx, 1)
    if outcome == "unavailable":
        return Worker(ctx).compute(path, display, explicit)
    if results[0] is None:
        return FileResult(path=display, error="the analysis process died on this file (a crash or out of memory); "
                                              "not analysed")
    return results[0]


__all__ = ["run_files", "analyze_one", "read_source", "default_jobs", "RunContext", "Worker", "POOL_MIN_FILES"]
