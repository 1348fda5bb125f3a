"""What config readers receive and return, and how they read the other files a config inherits from.

A reader (``ConfigReader``) has a cheap text ``gate`` on a file's raw bytes and a ``read`` that turns one
config file, after its library's inheritance, merging and interpolation, into the same ``FileFacts`` a training
script yields (plus ``extra["config"] = ConfigMeta``). Other files (bases, defaults lists) are read through
``load_file``: bounded, recorded as dependencies of the result for the cache (it asks ``os.path.isfile``
first), and memoised per process, so hundreds of configs sharing one base parse it once.
"""

from __future__ import annotations

import ast
import os
import stat
from dataclasses import dataclass, field
from typing import Any, Callable, Protocol

from ..facts import FileFacts, Known, Value

MAX_CONFIG_FILE_BYTES = 1_000_000  # config files above this are skipped (counted in the summary)
MAX_INHERITANCE_DEPTH = 32
_PSEUDO_ROOTS = ("/proc/", "/sys/", "/dev/")


class ConfigError(Exception):
    """A config of a known family that cannot be read; ``line`` points into the reported file."""

    def __init__(self, reason: str, line: int = 1, column: int = 1) -> None:
        super().__init__(reason)
        self.reason = reason
        self.line = line
        self.column = column


@dataclass(frozen=True)
class ConfigMeta:
    family: str  # "mmengine" | "mmcv" | "detectron2" | "deepspeed" | "hydra" | "lightning_cli"
    files: tuple[str, ...]  # display paths of every file merged, in merge order, this one last
    notes: tuple[str, ...] = ()  # plain-words remarks (run-time values, options that change the schedule)
    loop: str | None = None  # "EpochBasedTrainLoop, 12 epochs"
    unread_bases: tuple[str, ...] = ()  # bases from installed packages not in the repository (`mmdet::x.py`)

    def to_json(self) -> dict[str, Any]:
        out = {"family": self.family, "files": list(self.files), "loop": self.loop, "notes": list(self.notes)}
        if self.unread_bases:
            out["unread_bases"] = list(self.unread_bases)
        return out


@dataclass
class ConfigDocument:
    """One file handed to readers: its bytes, and parses shared by every reader that asks (memoised)."""

    path: str  # on disk
    display: str  # shown in output ('/' separators, relative to the working directory)
    data: bytes
    _memo: dict[str, Any] = field(default_factory=dict, repr=False)

    def text(self) -> str:
        """The decoded text; ConfigError when it is not UTF-8."""
        if "text" not in self._memo:
            try:
                self._memo["text"] = self.data.decode("utf-8-sig")
            except UnicodeDecodeError as exc:
                self._memo["text"] = ConfigError(f"not UTF-8 text ({exc.reason} at byte {exc.start})")
        t = self._memo["text"]
        if isinstance(t, ConfigError):
            raise t
        return t

    def python(self) -> ast.Module:
        """The ``ast`` of a Python config; ConfigError (with the line) when it does not parse."""
        if "python" not in self._memo:
            try:
                self._memo["python"] = ast.parse(self.text())
            except SyntaxError as exc:
                self._memo["python"] = ConfigError(f"syntax error: {exc.msg}", exc.lineno or 1, exc.offset or 1)
            except (ValueError, RecursionError, MemoryError) as exc:
                self._memo["python"] = ConfigError(f"cannot parse: {type(exc).__name__}")
        m = self._memo["python"]
        if isinstance(m, ConfigError):
            raise m
        return m

    def yaml(self) -> Any:
        """The located YAML tree (``tree.Node``) of this file, shared by every YAML reader."""
        if "yaml" not in self._memo:
            from .yamlconfig import parse_yaml

            try:
                self._memo["yaml"] = parse_yaml(self.text(), self.display)
            except ConfigError as exc:
                self._memo["yaml"] = exc
        y = self._memo["yaml"]
        if isinstance(y, ConfigError):
            raise y
        return y


class ConfigReader(Protocol):
    family: str
    suffixes: tuple[str, ...]

    def gate(self, data: bytes) -> bool:
        """Cheap test on raw bytes (no decoding, no parsing): False only for files this reader never accepts."""

    def read(self, doc: ConfigDocument) -> FileFacts | None:
        """Facts of this config, or None when it is not of this family after all. Raises only ConfigError."""


# ------------------------------------------------------------------------------------ reading other files

_MEMO: dict[tuple[str, str, int, int, str], Any] = {}
_MEMO_LIMIT = 4_096


def read_bytes(path: str) -> bytes:
    """The bytes of another config file (regular files only, within the size limit); ConfigError otherwise."""
    real = os.path.realpath(path)
    if real.startswith(_PSEUDO_ROOTS):
        raise ConfigError(f"{path} is a system file, not a configuration file; not read")
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    except OSError as exc:
        raise ConfigError(f"cannot open {path}: {exc.strerror or exc}") from None
    try:
        with open(fd, "rb") as fh:
            st = os.fstat(fh.fileno())
            if not stat.S_ISREG(st.st_mode):
                raise ConfigError(f"{path} is not a regular file; not read")
            if st.st_size > MAX_CONFIG_FILE_BYTES:
                raise ConfigError(f"{path} is {st.st_size:,} bytes, over the {MAX_CONFIG_FILE_BYTES:,}-byte limit")
            return fh.read(MAX_CONFIG_FILE_BYTES + 1)
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror or exc}") from None


def load_chained(path: str, kind: str, parse: Callable[[bytes, str], Any], stack: Any,
                 cycle: str = "inheritance cycle", max_depth: int | None = 32) -> Any:
    """``load_file`` for a file reached through a chain of inherited (or imported) files: ``stack`` (a
    ``threading.local`` of the family) holds the chain, so a file met again is a ``cycle`` and a chain deeper than
    ``max_depth`` files is refused, each with ConfigError."""
    files: list[str] = getattr(stack, "files", [])
    real = os.path.realpath(path)
    if real in files:
        raise ConfigError(f"{cycle}: " + " -> ".join(os.path.basename(p) for p in files + [real]))
    if max_depth is not None and len(files) > max_depth:
        raise ConfigError(f"inheritance deeper than {max_depth} files")
    stack.files = files + [real]
    try:
        return load_file(path, kind, parse)
    finally:
        stack.files = files


def load_file(path: str, kind: str, parse: Callable[[bytes, str], Any]) -> Any:
    """``parse(bytes, path)`` of another config file, memoised by (kind, realpath, size, mtime).

    ``os.path.isfile`` is asked every time (the cache records what a result depends on through it), even when
    the parse comes from the memo. ConfigError when the file is absent or cannot be read.
    """
    if not os.path.isfile(path):
        raise ConfigError(f"{path} does not exist")
    try:
        st = os.stat(path)
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror or exc}") from None
    # display paths in the parse are relative to the working directory, so it is part of the key
    key = (kind, os.path.realpath(path), st.st_size, st.st_mtime_ns, os.getcwd())
    if key in _MEMO:
        hit = _MEMO[key]
        if isinstance(hit, ConfigError):
            raise hit
        return hit
    try:
        value = parse(read_bytes(path), path)
    except ConfigError as exc:
        value = exc
    if len(_MEMO) >= _MEMO_LIMIT:
        _MEMO.clear()
    _MEMO[key] = value
    if isinstance(value, ConfigError):
        raise value
    return value


def display_of(path: str) -> str:
    """The display path of another file (relative to the working directory when below it)."""
    from ..discover import display_path

    return display_path(os.path.abspath(path), os.getcwd())


# ------------------------------------------------------------------------------------ catalog binding


def bind_catalog_args(qualname: str, given: dict[str, Value], default_source: str | None = None
                      ) -> dict[str, Value]:
    """``given`` plus every other argument of the catalog entry with its default (``torch default`` ...)."""
    from ..catalog import REQUIRED, lookup

    entry = lookup(qualname)
    out = dict(given)
    if entry is None:
        return out
    for p in entry.params:
        if p.name in out or p.kind in ("varpos", "varkw") or p.default is REQUIRED:
            continue
        if p.name in ("params", "optimizer"):
            continue
        out[p.name] = Known(p.default, default_source or entry.default_source or "library default")
    return out


__all__ = ["ConfigDocument", "ConfigError", "ConfigMeta", "ConfigReader", "MAX_CONFIG_FILE_BYTES", "load_file",
           "read_bytes", "display_of", "bind_catalog_args"]
