"""Per-file result cache, keyed like ruff's: file content, lraudit version, rule catalog and effective options.

Entries are JSON files under ``.lraudit_cache/`` (created next to the configuration, with its own
``.gitignore``). The key is a SHA-256 over

* the cache format, ``lraudit.__version__`` and a fingerprint of lraudit's own source and rule YAML files
  (so an upgrade or an edited rule invalidates everything),
* the effective analysis options (``AnalysisOptions.key()``: selected rules, rule options, severities, steps,
  whether curves are kept) and the debug flag,
* the file's absolute path, its display path and the working directory (configs and local modules resolve
  relative to them, and findings name the file),
* the file's bytes.

A result can also depend on other files: the YAML/JSON configs and local modules extraction reads. Every file
the analysis looks for (found or not) is recorded with a digest of its content (or "absent") and checked on
every hit; a changed, new or deleted dependency makes the entry stale.

A result that ran into a wall-clock budget (a simulation or an evaluation that took too long) is not stored:
it depends on how busy the machine was. A corrupt, truncated or foreign entry (unparseable JSON, wrong format
or version, a key that is not the one asked for, a result that does not load) is ignored and recomputed, never
trusted. Writes are atomic (temporary file + rename), so concurrent processes never see half an entry.
Files the prefilter skips are stored too (as skipped), so that warm runs do not run the prefilter again.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import threading
from contextlib import contextmanager
from functools import lru_cache
from typing import Any, Iterator

from .results import FileResult

CACHE_FORMAT = 2
CACHE_DIR_NAME = ".lraudit_cache"
GITIGNORE_TEXT = "# Automatically created by lraudit.\n*\n"
MAX_DEPENDENCY_BYTES = 20_000_000  # larger dependencies are fingerprinted by size and mtime
# Results that hit a wall-clock budget (simulation or evaluator) depend on the machine's load: not cached.
LOAD_DEPENDENT_MARKERS = ("budget exceeded", "takes too long")


def lraudit_version() -> str:
    import lraudit

    return str(lraudit.__version__)


@lru_cache(maxsize=1)
def source_fingerprint() -> str:
    """Hash of lraudit's own source and rule YAML files (names, sizes, mtimes): editing either invalidates."""
    h = hashlib.sha256()
    here = os.path.dirname(os.path.abspath(__file__))
    for dirpath, dirnames, filenames in os.walk(here, followlinks=True):
        dirnames[:] = sorted(d for d in dirnames if d != "__pycache__" and not d.startswith("."))
        for name in sorted(filenames):
            if name.endswith((".py", ".yaml", ".yml")):
                p = os.path.join(dirpath, name)
                try:
                    st = os.stat(p)
                except OSError:
                    continue
                h.update(os.path.relpath(p, here).encode())
                h.update(f":{st.st_size}:{st.st_mtime_ns}\0".encode())
    return h.hexdigest()[:16]


# ----------------------------------------------------------------------------------- dependencies

_recording = threading.local()
_ORIGINAL_ISFILE = os.path.isfile
_installed = False
_install_lock = threading.Lock()


def _recording_isfile(path: Any) -> bool:
    found: list[str] | None = getattr(_recording, "paths", None)
    if found is not None:
        try:
            found.append(os.path.abspath(os.fspath(path)))
        except TypeError:
            pass
    return _ORIGINAL_ISFILE(path)


def _install_probe() -> None:
    """Route ``os.path.isfile`` through a recorder (a pass-through unless this thread is recording).

    Extraction looks for configs and local modules with ``os.path.isfile`` before it reads them, so these
    probes are exactly the other files a result depends on (including the ones that were absent).
    """
    global _installed
    with _install_lock:
        if not _installed:
            os.path.isfile = _recording_isfile  # type: ignore[assignment]
            _installed = True


def note_dependency(path: str) -> None:
    """Record ``path`` as read by the result being computed (for a memoised read that does not probe again)."""
    found: list[str] | None = getattr(_recording, "paths", None)
    if found is not None:
        found.append(os.path.abspath(path))


@contextmanager
def recording_dependencies() -> Iterator[list[str]]:
    """Collect the absolute paths of the files looked for while the block runs (this thread only)."""
    _install_probe()
    previous = getattr(_recording, "paths", None)
    paths: list[str] = []
    _recording.paths = paths
    try:
        yield paths
    finally:
        _recording.paths = previous


# ------------------------------------------------------------------------------------------ cache


class Cache:
    """One cache directory. Cheap to create; keeps a per-run memo of dependency digests."""

    def __init__(self, directory: str) -> None:
        self.directory = directory
        self._ready = False
        self._digests: dict[str, str | None] = {}
        self.hits = 0
        self.misses = 0

    # ------------------------------------------------------------------------------------ keys
    def key(self, data: bytes, opts: Any, path: str, display: str, cwd: str | None = None) -> str:
        """The entry name for this file content, analysed as ``path`` (shown as ``display``) with ``opts``."""
        h = hashlib.sha256()
        h.update(f"lraudit {lraudit_version()} cache {CACHE_FORMAT} {source_fingerprint()}\0".encode())
        h.update(opts.key().encode())
        h.update(f"\0debug={bool(getattr(opts, 'debug', False))}\0".encode())
        for part in (os.path.abspath(path), display, cwd or os.getcwd()):
            h.update(part.encode("utf-8", "surrogateescape"))
            h.update(b"\0")
        h.update(data)
        return h.hexdigest()

    def _path(self, key: str) -> str:
        return os.path.join(self.directory, key[:2], key[2:] + ".json")

    # ----------------------------------------------------------------------------- dependencies
    def digest(self, path: str) -> str | None:
        """Content digest of a dependency (None when it is not a readable file), memoised for this run."""
        if path in self._digests:
            return self._digests[path]
        value: str | None = None
        try:
            if _ORIGINAL_ISFILE(path):
                st = os.stat(path)
                if st.st_size > MAX_DEPENDENCY_BYTES:
                    value = f"stat:{st.st_size}:{st.st_mtime_ns}"
                else:
                    with open(path, "rb") as fh:
                        value = hashlib.sha256(fh.read()).hexdigest()
        except OSError:
            value = None
        self._digests[path] = value
        return value

    def dependencies(self, paths: list[str], exclude: str | None = None) -> list[list[Any]]:
        own = os.path.abspath(exclude) if exclude else None
        out: list[list[Any]] = []
        for p in sorted(set(paths)):
            if p != own:
                out.append([p, self.digest(p)])
        return out

    # ---------------------------------------------------------------------------------- get/put
    def get(self, key: str) -> FileResult | None:
        """The cached result for ``key``, or None when absent, stale, corrupt or foreign."""
        try:
            with open(self._path(key), "rb") as fh:
                doc = json.loads(fh.read())
            if (not isinstance(doc, dict) or doc.get("format") != CACHE_FORMAT or doc.get("key") != key
                    or doc.get("version") != lraudit_version()):
                raise ValueError("foreign entry")
            deps = doc.get("deps", [])
            if not isinstance(deps, list):
                raise ValueError("bad dependencies")
            for dep in deps:
                if (not isinstance(dep, list) or len(dep) != 2 or not isinstance(dep[0], str)
                        or self.digest(dep[0]) != dep[1]):
                    raise ValueError("stale dependency")
            raw = doc["result"]
            if not isinstance(raw, dict) or not isinstance(raw.get("path"), str):
                raise ValueError("bad result")
            result = FileResult.from_dict(raw)
        except (OSError, ValueError, KeyError, TypeError, AttributeError, RecursionError):
            self.misses += 1
            return None
        self.hits += 1
        return result

    def put(self, key: str, result: FileResult, deps: list[list[Any]] | None = None) -> None:
        """Store a result (best effort: an unwritable cache never fails the run)."""
        if not self._ensure():
            return
        path = self._path(key)
        doc = {"format": CACHE_FORMAT, "key": key, "version": lraudit_version(), "deps": deps or [],
               "result": result.to_dict()}
        try:
            text = json.dumps(doc, separators=(",", ":"), allow_nan=True)
        except (TypeError, ValueError):
            return
        if any(marker in text for marker in LOAD_DEPENDENT_MARKERS):
            return
        try:
            os.makedirs(os.path.dirname(path), exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path), prefix=".tmp-", suffix=".json")
            try:
                with os.fdopen(fd, "w", encoding="utf-8") as fh:
                    fh.write(text)
                os.replace(tmp, path)
            except BaseException:
                try:
                    os.unlink(tmp)
                except OSError:
                    pass
                raise
        except OSError:
            return

    def _ensure(self) -> bool:
        if self._ready:
            return True
        try:
            os.makedirs(self.directory, exist_ok=True)
            gi = os.path.join(self.directory, ".gitignore")
            if not _ORIGINAL_ISFILE(gi):
                with open(gi, "w", encoding="utf-8") as fh:
                    fh.write(GITIGNORE_TEXT)
            self._ready = True
        except OSError:
            return False
        return True


__all__ = ["Cache", "CACHE_DIR_NAME", "CACHE_FORMAT", "recording_dependencies", "source_fingerprint"]
