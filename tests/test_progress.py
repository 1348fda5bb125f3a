"""Progress on stderr: only on a terminal (tested with a pseudo-terminal), never in CI, in pipes or with -q."""

from __future__ import annotations

import io
import os
import pty
import select
import subprocess
import sys
from pathlib import Path

from lraudit.progress import Progress, wants_progress

REPO = Path(__file__).resolve().parent.parent


def _run_on_pty(args: list[str], env: dict[str, str]) -> tuple[int, str]:
    """Run the CLI with stderr on a pseudo-terminal (stdout on a pipe); what the terminal received."""
    master, slave = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "lraudit.cli", *args], cwd=REPO, stdout=subprocess.PIPE,
                            stderr=slave, env=env)
    os.close(slave)
    chunks = []
    while True:
        ready, _, _ = select.select([master], [], [], 0.5)
        if ready:
            try:
                data = os.read(master, 4096)
            except OSError:  # the child closed the terminal
                break
            if not data:
                break
            chunks.append(data)
        elif proc.poll() is not None:
            break
    proc.stdout.read()  # type: ignore[union-attr]
    rc = proc.wait(timeout=600)
    os.close(master)
    return rc, b"".join(chunks).decode("utf-8", "replace")


def _env(**extra: str) -> dict[str, str]:
    env = dict(os.environ, PYTHONPATH=str(REPO / "src"), KERAS_BACKEND="torch", LRAUDIT_PROGRESS_DELAY="0",
               TERM="xterm")
    env.pop("CI", None)
    env.update(extra)
    return env


ARGS = ["check", "--no-cache", "-j", "1", "fixtures/examples"]


def test_progress_is_shown_on_a_terminal_and_erased() -> None:
    _, seen = _run_on_pty(ARGS, _env())
    assert "lraudit: " in seen and " files, " in seen and "/" in seen, repr(seen)
    assert seen.endswith("\r\x1b[K"), repr(seen[-40:])  # the line is erased before the report


def test_no_progress_in_ci_or_with_quiet() -> None:
    _, seen = _run_on_pty(ARGS, _env(CI="true"))
    assert " files, " not in seen, repr(seen)
    _, seen = _run_on_pty(ARGS + ["-q"], _env())
    assert " files, " not in seen, repr(seen)


def test_no_progress_on_a_pipe() -> None:
    res = subprocess.run([sys.executable, "-m", "lraudit.cli", *ARGS], cwd=REPO, capture_output=True, text=True,
                         env=_env(), timeout=600)
    assert " files, " not in res.stderr and "\x1b" not in res.stderr, res.stderr


def test_progress_waits_a_second_and_throttles() -> None:
    now = [0.0]
    out = io.StringIO()
    p = Progress(out, clock=lambda: now[0], delay=1.0)
    p(1, 10)
    assert out.getvalue() == ""  # a short run shows nothing
    now[0] = 1.5
    p(2, 10)
    now[0] = 1.52
    p(3, 10)  # too soon after the last line
    now[0] = 2.0
    p(10, 10)
    p.close()
    assert out.getvalue() == ("\r\x1b[Klraudit: 2/10 files, 1.5 s\r\x1b[Klraudit: 10/10 files, 2.0 s\r\x1b[K")


def test_wants_progress() -> None:
    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    assert wants_progress(Tty(), False, {})
    assert not wants_progress(Tty(), True, {})
    assert not wants_progress(Tty(), False, {"CI": "1"})
    assert not wants_progress(Tty(), False, {"TERM": "dumb"})
    assert not wants_progress(io.StringIO(), False, {})
