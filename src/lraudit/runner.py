"""Running the per-file analysis over many files: prefilter, cache lookup, process pool, deterministic merge."""

from __future__ import annotations

import os
from concurrent.futures import ProcessPoolExecutor
from typing import Iterable

from .analyze import AnalysisOptions, analyze_bytes
from .results import FileResult

POOL_MIN_FILES = 3  # one or two files (the pre-commit case) never start a pool
MAX_READ = 10_000_000


def _read(path: str) -> bytes | str:
    try:
        size = os.path.getsize(path)
        if size > MAX_READ:
            return f"file is {size:,} bytes, over the {MAX_READ:,}-byte limit; not analysed"
        with open(path, "rb") as fh:
            return fh.read(MAX_READ + 1)
    except FileNotFoundError:
        return "file disappeared before it could be read"
    except OSError as exc:
        return f"cannot read: {exc.strerror or exc}"


def analyze_one(path: str, display: str, opts: AnalysisOptions, explicit: bool,
                cache: object | None = None) -> FileResult:
    from .discover import prefilter

    data = _read(path)
    if isinstance(data, str):
        return FileResult(path=display, error=data)
    if not explicit and not prefilter(data):
        return FileResult(path=display, skipped=True)
    key = None
    if cache is not None:
        key = cache.key(data, opts)  # type: ignore[attr-defined]
        hit = cache.get(key)  # type: ignore[attr-defined]
        if hit is not None:
            hit.path = display
            for i, f in enumerate(hit.findings):
                if f.path != display:
                    from dataclasses import replace

                    hit.findings[i] = replace(f, path=display)
            return hit
    result = analyze_bytes(data, path, display, opts)
    if cache is not None and key is not None:
        cache.put(key, result)  # type: ignore[attr-defined]
    return result


def _worker(args: tuple[str, str, AnalysisOptions, bool, str | None]) -> FileResult:
    path, display, opts, explicit, cache_dir = args
    cache = None
    if cache_dir:
        from .cache import Cache

        cache = Cache(cache_dir)
    return analyze_one(path, display, opts, explicit, cache)


def run_files(files: Iterable[tuple[str, str]], opts: AnalysisOptions, *, explicit: set[str] | None = None,
              jobs: int | None = None, cache_dir: str | None = None) -> list[FileResult]:
    files = list(files)
    explicit = explicit or set()
    jobs = jobs if jobs and jobs > 0 else (os.cpu_count() or 1)
    tasks = [(p, d, opts, os.path.abspath(p) in explicit, cache_dir) for p, d in files]
    if jobs <= 1 or len(tasks) < POOL_MIN_FILES:
        return [_worker(t) for t in tasks]
    results: list[FileResult] = []
    chunk = max(1, min(16, len(tasks) // (jobs * 4) or 1))
    try:
        with ProcessPoolExecutor(max_workers=jobs) as pool:
            results = list(pool.map(_worker, tasks, chunksize=chunk))
    except (OSError, RuntimeError):  # no process support here: fall back to one process
        results = [_worker(t) for t in tasks]
    return results
