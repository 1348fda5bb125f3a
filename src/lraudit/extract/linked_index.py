"""The index of a module linked into other files' analyses, built once per process and reused.

A module that many files import (``engine.py``, ``solver/build.py``) is linked into each importer's index, and
again in each plan round, in the light and the full pass, in every run-time-size sample and in every option run
(extract/build.py, symbols.py, alternatives.py). Its own index (extract/index.py) depends only on its parsed tree,
on where its numbering starts (statement numbers and loop ids start at its place in the importer's linking, see
extract/link.py) and on the arms the importer's default run takes in it (its plan, usually empty), so one built
index serves every linking that puts it at the same place with the same plan.

Linking never writes into a linked module's index (it copies calls, loops and names into the importer's index),
with one exception: loop classification (extract/loops.py ``classify_loops``) sets ``kind`` on the loops the
importer absorbed. A reused index gets its loops' kinds back as built, so every linking starts from the same
state as with a fresh index.

Bounded: at most ``MAX_ENTRIES`` indexes and ``MAX_SOURCE_CHARS`` characters of their modules' source (an
index keeps its tree alive); least recently used go first.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

import libcst as cst

from .index import Indexer, Plan, build_index

MAX_ENTRIES = 64
MAX_SOURCE_CHARS = 3_000_000


@dataclass
class _Entry:
    module: cst.Module  # kept alive so that its id() stays unique while the entry exists
    ix: Indexer
    kinds: tuple[str, ...]  # every loop's kind as built, in ``ix.loops`` order
    size: int
    groups: Any = None  # extract.link._Groups of this index, computed on first use


class LinkedIndexes:
    """A least-recently-used table: (module, first statement number, first loop number) -> its index."""

    def __init__(self, max_entries: int = MAX_ENTRIES, max_chars: int = MAX_SOURCE_CHARS) -> None:
        self.max_entries = max_entries
        self.max_chars = max_chars
        self._entries: OrderedDict[tuple[Any, ...], _Entry] = OrderedDict()
        self._chars = 0
        self.hits = 0
        self.misses = 0

    def get(self, module: cst.Module, size: int, seq_start: int, loop_start: int, plan: Plan | None = None) -> _Entry:
        """The entry for ``module`` numbered from ``seq_start``/``loop_start`` and indexed along ``plan`` (the arms
        the importer's default run takes in it; see extract/build.py), built on a miss; ``size``: the length of
        its source. Raises what ``build_index`` raises (nothing is remembered then)."""
        key = (id(module), seq_start, loop_start, plan.key() if plan is not None else ())
        hit = self._entries.get(key)
        if hit is not None and hit.module is module:
            self._entries.move_to_end(key)
            for lp, kind in zip(hit.ix.loops.values(), hit.kinds):
                lp.kind = kind
            self.hits += 1
            return hit
        self.misses += 1
        ix = build_index(module, seq_start=seq_start, loop_start=loop_start, plan=plan)
        entry = _Entry(module, ix, tuple(lp.kind for lp in ix.loops.values()), size)
        self._put(key, entry)
        return entry

    def _put(self, key: tuple[Any, ...], entry: _Entry) -> None:
        old = self._entries.pop(key, None)
        if old is not None:
            self._chars -= old.size
        self._entries[key] = entry
        self._chars += entry.size
        while len(self._entries) > 1 and (len(self._entries) > self.max_entries or self._chars > self.max_chars):
            _, gone = self._entries.popitem(last=False)
            self._chars -= gone.size

    def clear(self) -> None:
        self._entries.clear()
        self._chars = 0


#: the process's table (each worker process of a parallel run has its own)
LINKED_INDEXES = LinkedIndexes()
