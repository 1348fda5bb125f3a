"""``lraudit check`` as text: one ruff-like line per finding, then a summary line."""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from typing import IO, Any

from lraudit.results import Finding

RESET = "\x1b[0m"
BOLD = "\x1b[1m"
SEVERITY_COLOR: dict[str, str] = {
    "error": "\x1b[1;31m",  # bold red
    "warning": "\x1b[1;33m",  # bold yellow
    "info": "\x1b[1;36m",  # bold cyan
}
_SEVERITY_ORDER = ("error", "warning", "info")


def should_color(stream: IO[Any] | Any, env: Mapping[str, str] | None = None) -> bool:
    """Colour when ``stream`` is a terminal, unless NO_COLOR is set; FORCE_COLOR forces it on.

    Follows https://no-color.org and the FORCE_COLOR convention (a non-empty value counts);
    ``TERM=dumb`` turns colour off.
    """
    env = os.environ if env is None else env
    if env.get("NO_COLOR"):
        return False
    if env.get("FORCE_COLOR"):
        return True
    if env.get("TERM") == "dumb":
        return False
    isatty = getattr(stream, "isatty", None)
    try:
        return bool(isatty and isatty())
    except (ValueError, OSError):  # closed or detached stream
        return False


def render_findings_text(
    findings: Iterable[Finding],
    errors: Iterable[tuple[str, str]],
    files_checked: int,
    color: bool = False,
    configs: dict | None = None,
) -> str:
    """``path:line:col: CODE [severity] message`` lines, ``path: error: message`` lines, a summary."""
    findings = sorted(findings, key=lambda f: f.sort_key())
    errors = sorted(errors)

    def paint(text: str, style: str) -> str:
        return f"{style}{text}{RESET}" if color else text

    out: list[str] = []
    for f in findings:
        style = SEVERITY_COLOR.get(f.severity, BOLD)
        out.append(
            f"{paint(f.path, BOLD)}:{f.line}:{f.column}: "
            f"{paint(f.code, style)} {paint(f'[{f.severity}]', style)} {f.message}"
        )
    for path, message in errors:
        out.append(f"{paint(path, BOLD)}: {paint('error', SEVERITY_COLOR['error'])}: {message}")
    out.append(_summary(findings, errors, files_checked))
    line = config_summary_line(configs) if configs is not None else None
    if line:
        out.append(line)
    return "\n".join(out) + "\n"


def config_summary_line(configs: dict) -> str | None:
    """``Config files: 12 analysed (340 other YAML/JSON files are not configs; 2 over the size limit, not read).``

    None when it would say nothing: no config analysed and none left unread for its size (YAML/JSON files that
    are not configs are then of no interest: the tree simply has no config files).
    """
    skipped = configs.get("skipped", {})
    analysed = configs.get("analysed", 0) or 0
    other = skipped.get("not-a-config", 0) or 0
    large = skipped.get("config-too-large", 0) or 0
    if not analysed and not large:
        return None
    extra = []
    if other:
        extra.append(f"{other} other YAML/JSON {'file is not a config' if other == 1 else 'files are not configs'}")
    if large:
        extra.append(f"{_plural(large, 'file')} over the size limit, not read")
    head = f"Config files: {analysed} analysed" if analysed else "Config files: none analysed"
    return head + (f" ({'; '.join(extra)})" if extra else "") + "."


def _plural(n: int, word: str, plural: str | None = None) -> str:
    return f"{n} {word if n == 1 else (plural or word + 's')}"


def _summary(findings: list[Finding], errors: list[tuple[str, str]], files_checked: int) -> str:
    checked = _plural(files_checked, "file")
    failed_files = len({path for path, _ in errors})
    failed = f"; {_plural(failed_files, 'file')} could not be checked" if failed_files else ""
    if not findings:
        if failed:
            return f"No problems found ({checked} checked){failed}."
        return f"All checked: no problems in {checked}."
    counts = {sev: sum(1 for f in findings if f.severity == sev) for sev in _SEVERITY_ORDER}
    breakdown = ", ".join(
        _plural(counts[sev], sev, "info" if sev == "info" else None)
        for sev in _SEVERITY_ORDER
        if counts[sev]
    )
    files_with = len({f.path for f in findings})
    return (
        f"Found {_plural(len(findings), 'problem')} ({breakdown}) in {_plural(files_with, 'file')} "
        f"({checked} checked){failed}."
    )
