"""``lraudit check --format json``: the DESIGN.md contract, byte-stable.

    {"lraudit_version", "findings": [{"code", "name", "severity", "path", "line", "column",
     "end_line", "end_column", "message", "fix"}], "errors": [{"path", "message"}],
     "summary": {"files", "findings"}}

Paths use ``/``; findings are sorted by path, line, column, code (then message); errors by path.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from typing import Any

from lraudit.results import Finding

FINDING_KEYS: tuple[str, ...] = (
    "code",
    "name",
    "severity",
    "path",
    "line",
    "column",
    "end_line",
    "end_column",
    "message",
)


def _posix(path: str) -> str:
    return path.replace(os.sep, "/") if os.sep != "/" else path


def check_json_document(
    findings: Iterable[Finding], errors: Iterable[tuple[str, str]], files_checked: int, version: str,
    configs: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The contract as a Python object (what :func:`render_check_json` serialises)."""
    ordered = sorted(findings, key=lambda f: (_posix(f.path), f.line, f.column, f.code, f.message))
    items = []
    for f in ordered:
        item = {key: getattr(f, key) for key in FINDING_KEYS}
        item["path"] = _posix(f.path)
        item["fix"] = f.fix.to_json() if f.fix is not None else None  # added in 0.1.0: `--fix` repairs
        items.append(item)
    error_items = [
        {"path": _posix(path), "message": message}
        for path, message in sorted(errors, key=lambda e: (_posix(e[0]), e[1]))
    ]
    summary: dict[str, Any] = {"files": files_checked, "findings": len(items)}
    if configs is not None:
        summary["configs"] = configs
    return {
        "lraudit_version": version,
        "findings": items,
        "errors": error_items,
        "summary": summary,
    }


def render_check_json(
    findings: Iterable[Finding], errors: Iterable[tuple[str, str]], files_checked: int, version: str,
    configs: dict[str, Any] | None = None,
) -> str:
    document = check_json_document(findings, errors, files_checked, version, configs)
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"
