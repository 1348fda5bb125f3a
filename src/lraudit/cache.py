"""Per-file result cache keyed by content hash, lraudit version, rule catalog and effective options.

Entries are JSON files under ``.lraudit_cache/`` (which carries its own ``.gitignore``). A corrupt, truncated or
foreign entry is ignored and recomputed, never trusted.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from functools import lru_cache
from typing import Any

from . import __version__
from .results import FileResult

CACHE_FORMAT = 1


@lru_cache(maxsize=1)
def _catalog_fingerprint() -> str:
    """Hash of the rule YAML files and of lraudit's own source, so editing either invalidates the cache."""
    h = hashlib.sha256()
    here = os.path.dirname(os.path.abspath(__file__))
    roots = [here]
    for root in roots:
        for dirpath, dirnames, filenames in os.walk(root, followlinks=True):
            dirnames[:] = sorted(d for d in dirnames if d != "__pycache__")
            for name in sorted(filenames):
                if name.endswith((".py", ".yaml")):
                    p = os.path.join(dirpath, name)
                    try:
                        st = os.stat(p)
                    except OSError:
                        continue
                    h.update(os.path.relpath(p, here).encode())
                    h.update(f"{st.st_size}:{st.st_mtime_ns}".encode())
    return h.hexdigest()[:16]


class Cache:
    def __init__(self, directory: str) -> None:
        self.directory = directory
        self._ready = False

    def _ensure(self) -> bool:
        if self._ready:
            return True
        try:
            os.makedirs(self.directory, exist_ok=True)
            gi = os.path.join(self.directory, ".gitignore")
            if not os.path.exists(gi):
                with open(gi, "w", encoding="utf-8") as fh:
                    fh.write("# Automatically created by lraudit.\n*\n")
            self._ready = True
        except OSError:
            return False
        return True

    def key(self, data: bytes, opts: Any) -> str:
        h = hashlib.sha256()
        h.update(f"lraudit {__version__} format {CACHE_FORMAT} {_catalog_fingerprint()}\0".encode())
        h.update(opts.key().encode())
        h.update(b"\0")
        h.update(data)
        return h.hexdigest()

    def _path(self, key: str) -> str:
        return os.path.join(self.directory, key[:2], key[2:] + ".json")

    def get(self, key: str) -> FileResult | None:
        try:
            with open(self._path(key), encoding="utf-8") as fh:
                doc = json.load(fh)
            if not isinstance(doc, dict) or doc.get("key") != key or doc.get("version") != __version__:
                return None
            return FileResult.from_dict(doc["result"])
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def put(self, key: str, result: FileResult) -> None:
        if not self._ensure():
            return
        path = self._path(key)
        try:
            os.makedirs(os.path.dirname(path), exist_ok=True)
            doc = {"key": key, "version": __version__, "result": result.to_dict()}
            fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path), prefix=".tmp-", suffix=".json")
            try:
                with os.fdopen(fd, "w", encoding="utf-8") as fh:
                    json.dump(doc, fh, separators=(",", ":"), allow_nan=True)
                os.replace(tmp, path)
            except BaseException:
                try:
                    os.unlink(tmp)
                except OSError:
                    pass
                raise
        except (OSError, TypeError, ValueError):
            return
