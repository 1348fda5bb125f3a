"""``lraudit check --format sarif``: SARIF 2.1.0 for code-scanning dashboards (GitHub, GitLab, IDEs)."""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import quote

from lraudit.registry import Rule, first_paragraph
from lraudit.results import Finding

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
SARIF_VERSION = "2.1.0"
INFORMATION_URI = "https://pypi.org/project/lr-audit/"
SRCROOT = "%SRCROOT%"
FINGERPRINT_KEY = "lraudit/v1"
LEVEL: dict[str, str] = {"error": "error", "warning": "warning", "info": "note"}


def render_sarif(
    findings: Iterable[Finding],
    errors: Iterable[tuple[str, str]],
    rules: Iterable[Rule],
    version: str,
    source_root: Path | None = None,
) -> str:
    """A SARIF log with one run: every catalog rule as a reporting descriptor, findings as results.

    Locations are relative to ``%SRCROOT%``; pass ``source_root`` (an absolute directory) to also
    record where that is (``originalUriBaseIds``). Per-file errors become tool execution
    notifications of the invocation.
    """
    catalog = sorted(rules, key=lambda r: r.code)
    index = {rule.code: i for i, rule in enumerate(catalog)}
    results = [
        _result(f, index) for f in sorted(findings, key=lambda f: f.sort_key())
    ]
    notifications = [
        {
            "level": "error",
            "message": {"text": message},
            "locations": [{"physicalLocation": {"artifactLocation": _artifact(path)}}],
        }
        for path, message in sorted(errors)
    ]
    invocation: dict[str, Any] = {"executionSuccessful": True}
    if notifications:
        invocation["toolExecutionNotifications"] = notifications
    run: dict[str, Any] = {
        "tool": {
            "driver": {
                "name": "lraudit",
                "version": version,
                "informationUri": INFORMATION_URI,
                "rules": [_descriptor(rule) for rule in catalog],
            }
        },
        "invocations": [invocation],
        "columnKind": "unicodeCodePoints",
        "results": results,
    }
    if source_root is not None:
        uri = Path(source_root).resolve().as_uri()
        run["originalUriBaseIds"] = {SRCROOT: {"uri": uri if uri.endswith("/") else uri + "/"}}
    log = {"$schema": SARIF_SCHEMA, "version": SARIF_VERSION, "runs": [run]}
    return json.dumps(log, indent=2, ensure_ascii=False) + "\n"


def _descriptor(rule: Rule) -> dict[str, Any]:
    return {
        "id": rule.code,
        "name": rule.name,
        "shortDescription": {"text": rule.summary},
        "fullDescription": {"text": first_paragraph(rule.why)},
        "help": {"text": _help_text(rule), "markdown": _help_markdown(rule)},
        "defaultConfiguration": {"level": LEVEL[rule.severity]},
        "properties": {"tags": [rule.category]},
    }


def _help_text(rule: Rule) -> str:
    parts = [rule.why.strip()]
    for title, examples in (("Bad", rule.examples.bad), ("Good", rule.examples.good)):
        for example in examples:
            code = "\n".join("    " + line for line in example.code.rstrip().splitlines())
            note = f" ({example.note})" if example.note else ""
            parts.append(f"{title}{note}:\n{code}")
    if rule.references:
        parts.append("References:\n" + "\n".join(f"- {ref}" for ref in rule.references))
    return "\n\n".join(parts)


def _help_markdown(rule: Rule) -> str:
    parts = [rule.why.strip()]
    for title, examples in (("Bad", rule.examples.bad), ("Good", rule.examples.good)):
        if not examples:
            continue
        parts.append(f"### {title}")
        for example in examples:
            if example.note:
                parts.append(example.note)
            parts.append(f"```python\n{example.code.rstrip()}\n```")
    if rule.references:
        parts.append("### References\n\n" + "\n".join(f"- {ref}" for ref in rule.references))
    return "\n\n".join(parts)


def _artifact(path: str) -> dict[str, Any]:
    posix = path.replace(os.sep, "/")
    if PurePosixPath(posix).is_absolute() or os.path.isabs(path):
        return {"uri": Path(path).as_uri()}
    return {"uri": quote(posix, safe="/"), "uriBaseId": SRCROOT}


def _region(f: Finding) -> dict[str, int] | None:
    if f.line < 1:
        return None
    region = {"startLine": f.line}
    if f.column >= 1:
        region["startColumn"] = f.column
    if f.end_line >= f.line:
        region["endLine"] = f.end_line
        if f.end_column >= 1 and (f.end_line > f.line or f.end_column >= max(f.column, 1)):
            region["endColumn"] = f.end_column
    return region


def _result(f: Finding, index: dict[str, int]) -> dict[str, Any]:
    location: dict[str, Any] = {"artifactLocation": _artifact(f.path)}
    region = _region(f)
    if region is not None:
        location["region"] = region
    result: dict[str, Any] = {"ruleId": f.code}
    if f.code in index:
        result["ruleIndex"] = index[f.code]
    result["level"] = LEVEL.get(f.severity, "warning")
    result["message"] = {"text": f.message}
    result["locations"] = [{"physicalLocation": location}]
    if f.fingerprint:
        result["partialFingerprints"] = {FINGERPRINT_KEY: f.fingerprint}
    return result
