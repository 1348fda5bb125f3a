"""The catalog: every supported optimizer, scheduler, schedule and factory, described once.

``lookup(qualname)`` finds an entry by its qualified name or any alias. Framework modules are optional at
import time so a partial catalog still works; each contributes ``ENTRIES``.
"""

from __future__ import annotations

import importlib
from functools import lru_cache

from .base import REQUIRED, Entry, Param

_MODULES = ("torch", "keras", "hf", "hf_legacy", "timm", "lightning", "deepspeed", "warmup", "ignite", "apex", "bitsandbytes")


@lru_cache(maxsize=1)
def _index() -> dict[str, Entry]:
    index: dict[str, Entry] = {}
    for mod in _MODULES:
        try:
            module = importlib.import_module(f"{__name__}.{mod}")
        except ImportError:
            continue
        for entry in getattr(module, "ENTRIES", ()):
            index.setdefault(entry.qualname, entry)
            for alias in entry.aliases:
                index.setdefault(alias, entry)
    return index


def lookup(qualname: str | None) -> Entry | None:
    if not qualname:
        return None
    return _index().get(qualname)


def lookup_star(modules: list[str], name: str) -> Entry | None:
    for m in modules:
        e = lookup(f"{m}.{name}")
        if e is not None:
            return e
    return None


def all_entries() -> list[Entry]:
    seen: dict[str, Entry] = {}
    for e in _index().values():
        seen.setdefault(e.qualname, e)
    return [seen[k] for k in sorted(seen)]


__all__ = ["Entry", "Param", "REQUIRED", "lookup", "lookup_star", "all_entries"]
