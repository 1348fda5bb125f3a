"""Writing files without ever leaving a half-written one, and updating a generated block in place.

:func:`write_atomic` writes a temporary file next to the target, flushes it to disk and renames it over
the target, so readers see the old file or the new one, never a mix. :func:`merge_generated_block`
replaces only the text between ``<!-- lraudit:begin -->`` and ``<!-- lraudit:end -->`` and keeps every
other byte as it was.
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from pathlib import Path

BEGIN = "<!-- lraudit:begin -->"
END = "<!-- lraudit:end -->"


class MarkerError(ValueError):
    """The begin/end markers of a generated block are missing their partner, repeated or misordered."""


def write_atomic(path: str | os.PathLike[str], text: str | bytes, encoding: str = "utf-8") -> None:
    """Replace ``path`` with ``text`` (or exactly these bytes) atomically (no newline translation).

    The temporary file lives in the target's directory (so the rename stays on one filesystem), is
    fsynced, gets the original file's permission bits (or the umask default for a new file) and is
    renamed with :func:`os.replace`. On any failure the original file is untouched and the temporary
    file is removed. Writing through a symlink updates the file it points to.
    """
    target = Path(os.path.realpath(path))
    data = text if isinstance(text, bytes) else text.encode(encoding)
    try:
        mode = stat.S_IMODE(os.stat(target).st_mode)
    except FileNotFoundError:
        mode = 0o666 & ~_current_umask()
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp_name, mode)
        os.replace(tmp_name, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp_name)
        raise
    _fsync_directory(target.parent)


def _current_umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _fsync_directory(directory: Path) -> None:
    """Make the rename durable where the platform allows it (best effort)."""
    if not hasattr(os, "O_DIRECTORY"):
        return
    try:
        fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    except OSError:
        return
    try:
        with contextlib.suppress(OSError):
            os.fsync(fd)
    finally:
        os.close(fd)


def read_existing(path: str | os.PathLike[str], encoding: str = "utf-8") -> str | None:
    """The text of ``path`` exactly as stored (no newline translation), or None when it does not exist.

    Use this (not ``Path.read_text``, which turns CRLF into LF) to feed :func:`merge_generated_block`.
    """
    try:
        with open(path, encoding=encoding, newline="") as handle:
            return handle.read()
    except FileNotFoundError:
        return None


def merge_generated_block(existing: str | None, generated: str) -> str:
    """Put ``generated`` between the lraudit markers of ``existing``.

    * ``existing is None`` (no file yet): the block alone.
    * no markers: ``existing``, a blank line, then the block.
    * one well-formed begin...end pair: only the text between the markers changes; every character
      outside them is kept exactly (CRLF line endings, a missing final newline...).
    * anything else (begin without end, end before begin, repeated markers): :class:`MarkerError`.

    The generated text is written with the file's line ending (CRLF when the file uses it).
    """
    if existing is None:
        return _block(generated, "\n") + "\n"
    newline = _newline_of(existing)
    begins = _positions(existing, BEGIN)
    ends = _positions(existing, END)
    if not begins and not ends:
        if not existing:
            return _block(generated, newline) + newline
        separator = newline if existing.endswith(("\n", "\r")) else newline * 2
        return existing + separator + _block(generated, newline) + newline
    _check_markers(existing, begins, ends)
    start = begins[0] + len(BEGIN)
    stop = ends[0]
    return existing[:start] + newline + _body(generated, newline) + existing[stop:]


def _block(generated: str, newline: str) -> str:
    return BEGIN + newline + _body(generated, newline) + END


def _body(generated: str, newline: str) -> str:
    """The generated text with the file's line endings, ending with exactly one line break."""
    lines = generated.replace("\r\n", "\n").replace("\r", "\n").rstrip("\n")
    if not lines:
        return ""
    return lines.replace("\n", newline) + newline


def _newline_of(text: str) -> str:
    crlf = text.count("\r\n")
    return "\r\n" if crlf and crlf >= text.count("\n") - crlf else "\n"


def _positions(text: str, marker: str) -> list[int]:
    found: list[int] = []
    at = text.find(marker)
    while at != -1:
        found.append(at)
        at = text.find(marker, at + len(marker))
    return found


def _check_markers(text: str, begins: list[int], ends: list[int]) -> None:
    def line_of(offset: int) -> int:
        return text.count("\n", 0, offset) + 1

    def lines(offsets: list[int]) -> str:
        return ", ".join(str(line_of(o)) for o in offsets)

    if len(begins) > 1:
        raise MarkerError(
            f"{BEGIN} appears {len(begins)} times (lines {lines(begins)}); "
            "keep exactly one begin/end pair"
        )
    if len(ends) > 1:
        raise MarkerError(
            f"{END} appears {len(ends)} times (lines {lines(ends)}); keep exactly one begin/end pair"
        )
    if not ends:
        raise MarkerError(f"{BEGIN} on line {lines(begins)} has no matching {END}")
    if not begins:
        raise MarkerError(f"{END} on line {lines(ends)} has no matching {BEGIN} before it")
    if ends[0] < begins[0]:
        raise MarkerError(
            f"{END} (line {lines(ends)}) comes before {BEGIN} (line {lines(begins)})"
        )
