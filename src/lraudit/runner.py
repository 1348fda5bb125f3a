"""Running the per-file analysis over many files: read, prefilter, cache lookup, process pool, deterministic merge.

Each file is one unit of work: read it, skip it when the prefilter rejects it (unless it was named
explicitly), look it up in the cache, otherwise analyse it and store the result. One or two files (the
pre-commit case) run in this process; more run in a pool of ``jobs`` processes, largest files first so that
no worker is left with a big file at the end. Results come back in the order of the input, whatever the
number of jobs, so output does not depend on scheduling.
"""

from __future__ import annotations

import os
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
    """The file's bytes, or a message saying why it cannot be read."""
    try:
        with open(path, "rb") as fh:
            size = os.fstat(fh.fileno()).st_size
            if size > MAX_READ:
                return f"file is {size:,} bytes, over the {MAX_READ:,}-byte limit; not analysed"
            return fh.read(MAX_READ + 1)
    except FileNotFoundError:
        return "file disappeared before it could be read"
    except IsADirectoryError:
        return "is a directory"
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
    chunk = max(1, min(16, len(order) // (jobs * 32)))
    try:
        from concurrent.futures import ProcessPoolExecutor

        with ProcessPoolExecutor(max_workers=jobs, initializer=_init_worker, initargs=(ctx,)) as pool:
            for index, result in pool.map(_work, order, chunksize=chunk):
                results[index] = result
    except (OSError, RuntimeError, ImportError):
        # no usable process support here (or a worker died): finish what is missing in this process
        pass
    missing = [t for t in tasks if results[t[0]] is None]
    if missing:
        worker = Worker(ctx)
        for i, p, d, e in missing:
            results[i] = worker.analyze(p, d, e)
    return [r for r in results if r is not None]


__all__ = ["run_files", "analyze_one", "read_source", "default_jobs", "RunContext", "Worker", "POOL_MIN_FILES"]
