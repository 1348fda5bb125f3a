"""Running the per-file analysis over many files: read, prefilter, cache lookup, process pool, deterministic merge.

Each file is one unit of work: read it, skip it when the prefilter rejects it (unless it was named
explicitly), look it up in the cache, otherwise analyse it and store the result. One or two files (the
pre-commit case) run in this process; more run in a pool of ``jobs`` processes, largest files first so that
no worker is left with a big file at the end. Results come back in the order of the input, whatever the
number of jobs, so output does not depend on scheduling.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from typing import Iterable

from .analyze import AnalysisOptions, analyze_bytes
from .results import FileResult

POOL_MIN_FILES = 3  # one or two files (the pre-commit case) never start a pool
MAX_READ = 10_000_000


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
    """Analyses files for one run, in this process or in a pool worker (one per process)."""

    def __init__(self, ctx: RunContext) -> None:
        self.ctx = ctx
        self.cache = None
        if ctx.cache_dir:
            from .cache import Cache

            self.cache = Cache(ctx.cache_dir)

    def analyze(self, path: str, display: str, explicit: bool) -> FileResult:
        """Never raises for one file's problem: it becomes that file's error (see ``analyze_bytes``)."""
        try:
            return self._analyze(path, display, explicit)
        except Exception as exc:  # the cache or the prefilter failed on this file
            first = str(exc).splitlines()[0][:200] if str(exc) else ""
            return FileResult(path=display, error=f"internal error: {type(exc).__name__}: {first}; please report it")

    def _analyze(self, path: str, display: str, explicit: bool) -> FileResult:
        data = read_source(path)
        if isinstance(data, str):
            return FileResult(path=display, error=data)
        if not explicit:
            from .discover import prefilter

            if not prefilter(data):
                return FileResult(path=display, skipped=True)
        opts = self.ctx.opts
        cache = self.cache
        if cache is None:
            return analyze_bytes(data, path, display, opts)
        from .cache import recording_dependencies

        key = cache.key(data, opts, path, display, self.ctx.cwd or None)
        hit = cache.get(key)
        if hit is not None and hit.path == display:
            return hit
        with recording_dependencies() as probes:
            result = analyze_bytes(data, path, display, opts)
        cache.put(key, result, cache.dependencies(probes, exclude=path))
        return result


def analyze_one(path: str, display: str, opts: AnalysisOptions, explicit: bool = False,
                cache_dir: str | None = None) -> FileResult:
    """One file, as ``run_files`` would analyse it."""
    return Worker(RunContext(opts, cache_dir, os.getcwd())).analyze(path, display, explicit)


# ------------------------------------------------------------------------------------- the pool

_WORKER: Worker | None = None


def _init_worker(ctx: RunContext) -> None:
    global _WORKER
    _WORKER = Worker(ctx)


def _work(task: tuple[int, str, str, bool]) -> tuple[int, FileResult]:
    index, path, display, explicit = task
    assert _WORKER is not None, "worker not initialised"
    return index, _WORKER.analyze(path, display, explicit)


def _size(path: str) -> int:
    try:
        return os.stat(path).st_size
    except OSError:
        return 0


def run_files(files: Iterable[tuple[str, str]], opts: AnalysisOptions, *, explicit: set[str] | None = None,
              jobs: int | None = None, cache_dir: str | None = None) -> list[FileResult]:
    """Analyse ``(path, display)`` pairs; one result per pair, in the same order.

    ``explicit`` holds absolute paths the user named (they skip the prefilter). ``jobs`` is the number of
    processes (default: the CPU count); ``cache_dir`` enables the result cache.
    """
    pairs = list(files)
    explicit = explicit or set()
    ctx = RunContext(opts, cache_dir, os.getcwd())
    tasks = [(i, p, d, os.path.abspath(p) in explicit) for i, (p, d) in enumerate(pairs)]
    jobs = jobs if jobs and jobs > 0 else default_jobs()
    jobs = min(jobs, len(tasks))
    if jobs <= 1 or len(tasks) < POOL_MIN_FILES:
        worker = Worker(ctx)
        return [worker.analyze(p, d, e) for _, p, d, e in tasks]
    results: list[FileResult | None] = [None] * len(tasks)
    order = sorted(tasks, key=lambda t: (-_size(t[1]), t[0]))  # largest first: a short tail
    outcome = _pool_pass(order, results, ctx, jobs)
    if outcome == "broken":  # a worker died (a crash or the OOM killer): once more for what is missing
        outcome = _pool_pass([t for t in order if results[t[0]] is None], results, ctx, jobs)
    missing = [t for t in tasks if results[t[0]] is None]
    if outcome == "broken":  # again: one process per remaining file, so only the file that kills it is lost
        for task in missing:
            results[task[0]] = _isolated(task, ctx)
    elif missing:  # no usable process support here: finish in this process
        worker = Worker(ctx)
        for i, p, d, e in missing:
            results[i] = worker.analyze(p, d, e)
    return [r for r in results if r is not None]


def _pool_pass(order: list[tuple[int, str, str, bool]], results: list[FileResult | None], ctx: RunContext,
               jobs: int) -> str:
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
        return Worker(ctx).analyze(path, display, explicit)
    if results[0] is None:
        return FileResult(path=display, error="the analysis process died on this file (a crash or out of memory); "
                                              "not analysed")
    return results[0]


__all__ = ["run_files", "analyze_one", "read_source", "default_jobs", "RunContext", "Worker", "POOL_MIN_FILES"]
