"""Baselines: record today's findings so that only new ones fail the build.

A finding's fingerprint hashes its rule code, its path and the whitespace-normalised text of the
line(s) it reports, plus how many times that same text occurred earlier in the file. It does not hash
the line number, so edits elsewhere that shift lines keep fingerprints; changing the reported line
itself (or the rule, or moving the file) makes the finding new.

File format (JSON, sorted, stable across runs)::

    {
      "lraudit_baseline": 1,
      "findings": [
        {"fingerprint": "...", "code": "LR101", "name": "increasing-lr", "path": "train.py"}
      ]
    }
"""

from __future__ import annotations

import dataclasses
import json
import os
from collections.abc import Iterable, Sequence
from typing import Any
from pathlib import Path

from lraudit.results import Finding
from lraudit.safe_write import write_atomic

BASELINE_VERSION = 1
_FINGERPRINT_VERSION = "lraudit-fp-v1"


class BaselineError(Exception):
    """The baseline file is missing, unreadable or not a baseline; the message says which and why."""


def _normalise(line: str) -> str:
    return " ".join(line.split())


def _sha256(data: bytes) -> Any:
    """SHA-256 of a short text; the interpreter's built-in module when it has one (importing hashlib loads
    OpenSSL, a noticeable part of checking one file)."""
    try:
        from _sha256 import sha256  # type: ignore[import-not-found]  # Python 3.11
    except ImportError:
        try:
            from _sha2 import sha256  # type: ignore[import-not-found,no-redef]  # Python 3.12+
        except ImportError:
            from hashlib import sha256  # type: ignore[no-redef]
    return sha256(data)


def fingerprint(finding: Finding, source_lines: Sequence[str]) -> str:
    """Stable identity of ``finding`` across edits that do not touch its line(s).

    ``source_lines`` are the file's lines (``text.splitlines()``); ``finding.line`` is 1-based.
    """
    first = max(finding.line, 1)
    last = max(finding.end_line, first)
    span = [_normalise(x) for x in source_lines[first - 1 : last]]
    if span and finding.line >= 1:
        width = len(span)
        normalised = [_normalise(x) for x in source_lines[: first - 1 + width - 1]]
        occurrence = sum(
            1 for start in range(0, first - 1) if normalised[start : start + width] == span
        )
        anchor = "\n".join(span)
    else:  # no usable source text (whole-file finding, line out of range): fall back to the message
        occurrence = 0
        anchor = "message:" + finding.message
    path = finding.path.replace(os.sep, "/")
    payload = "\0".join((_FINGERPRINT_VERSION, finding.code, path, anchor, str(occurrence)))
    return _sha256(payload.encode("utf-8")).hexdigest()[:32]


def with_fingerprints(findings: Iterable[Finding], source_lines: Sequence[str]) -> list[Finding]:
    """``findings`` of one file with their ``fingerprint`` field filled in."""
    return [dataclasses.replace(f, fingerprint=fingerprint(f, source_lines)) for f in findings]


def write_baseline(path: str | os.PathLike[str], findings: Iterable[Finding]) -> None:
    """Write the fingerprints of ``findings`` (which must be filled in) to ``path`` atomically."""
    entries: dict[tuple[str, str, str], dict[str, str]] = {}
    for finding in findings:
        if not finding.fingerprint:
            raise ValueError(
                f"{finding.path}:{finding.line}: {finding.code} has no fingerprint; "
                "fill it with lraudit.baseline.fingerprint first"
            )
        item = {
            "fingerprint": finding.fingerprint,
            "code": finding.code,
            "name": finding.name,
            "path": finding.path.replace(os.sep, "/"),
        }
        entries[(item["path"], item["code"], item["fingerprint"])] = item
    document = {
        "lraudit_baseline": BASELINE_VERSION,
        "findings": [entries[key] for key in sorted(entries)],
    }
    write_atomic(path, json.dumps(document, indent=2, ensure_ascii=False) + "\n")


def load_baseline(path: str | os.PathLike[str]) -> set[str]:
    """The fingerprints recorded in a baseline file."""
    where = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise BaselineError(f"{where}: baseline file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise BaselineError(f"{where}: cannot read baseline: {exc}") from None
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise BaselineError(
            f"{where}: not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})"
        ) from None
    if not isinstance(document, dict) or "lraudit_baseline" not in document:
        raise BaselineError(
            f"{where}: not an lraudit baseline (expected an object with \"lraudit_baseline\" and "
            "\"findings\"; write one with --write-baseline)"
        )
    version = document["lraudit_baseline"]
    if version != BASELINE_VERSION:
        raise BaselineError(
            f"{where}: unsupported baseline version {version!r} (this lraudit reads version "
            f"{BASELINE_VERSION}); regenerate it"
        )
    items = document.get("findings")
    if not isinstance(items, list):
        raise BaselineError(f"{where}: \"findings\" must be a list")
    fingerprints: set[str] = set()
    for i, item in enumerate(items):
        value = item.get("fingerprint") if isinstance(item, dict) else None
        if not isinstance(value, str) or not value:
            raise BaselineError(f"{where}: findings[{i}] has no \"fingerprint\" string")
        fingerprints.add(value)
    return fingerprints


def filter_new(findings: Iterable[Finding], baseline: set[str] | frozenset[str]) -> list[Finding]:
    """The findings whose fingerprint is not in ``baseline`` (a finding without one counts as new)."""
    return [f for f in findings if not f.fingerprint or f.fingerprint not in baseline]
