"""Progress of a long run on the terminal: ``lraudit: 812/3161 files, 4.2 s`` on one rewritten stderr line.

Shown only when standard error is a terminal, the run has taken more than ``DELAY`` seconds, ``CI`` is not set
and ``--quiet`` was not given; never written to a pipe or a file. The line is erased when the run ends, so the
report that follows starts on a clean line.
"""

from __future__ import annotations

import os
import time
from collections.abc import Mapping
from typing import IO, Any, Callable

DELAY = 1.0  # seconds before the first progress line
INTERVAL = 0.1  # seconds between redraws


class Progress:
    def __init__(self, stream: IO[str], clock: Callable[[], float] = time.monotonic, delay: float | None = None) -> None:
        self.stream = stream
        self.clock = clock
        self.delay = delay if delay is not None else _env_delay()
        self.start = clock()
        self.last = 0.0
        self.shown = False

    def __call__(self, done: int, total: int) -> None:
        now = self.clock()
        elapsed = now - self.start
        if elapsed < self.delay or (now - self.last < INTERVAL and done < total):
            return
        self.last = now
        self._write(f"\r\x1b[Klraudit: {done:,}/{total:,} files, {elapsed:.1f} s")
        self.shown = True

    def close(self) -> None:
        if self.shown:
            self._write("\r\x1b[K")
            self.shown = False

    def _write(self, text: str) -> None:
        try:
            self.stream.write(text)
            self.stream.flush()
        except (OSError, ValueError):  # a closed terminal must not end the run
            pass


def _env_delay() -> float:
    """``LRAUDIT_PROGRESS_DELAY`` (seconds) overrides the delay (tests set 0 to see the line at once)."""
    try:
        return max(0.0, float(os.environ.get("LRAUDIT_PROGRESS_DELAY", DELAY)))
    except ValueError:
        return DELAY


def wants_progress(stream: Any, quiet: bool, env: Mapping[str, str] | None = None) -> bool:
    """Progress on ``stream``: a terminal, not CI, not --quiet, not TERM=dumb."""
    env = os.environ if env is None else env
    if quiet or env.get("CI") or env.get("TERM") == "dumb":
        return False
    isatty = getattr(stream, "isatty", None)
    try:
        return bool(isatty and isatty())
    except (ValueError, OSError):
        return False


def progress_for(stream: Any, quiet: bool) -> Progress | None:
    return Progress(stream) if wants_progress(stream, quiet) else None


__all__ = ["Progress", "wants_progress", "progress_for", "DELAY"]
