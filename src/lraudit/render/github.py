"""``lraudit check --format github``: GitHub Actions workflow commands (inline PR annotations).

    ::error file=train.py,line=12,col=5,endLine=12,endColumn=30,title=LR101 increasing-lr::message

Escaping follows the workflow-command rules: in the message ``%``, ``\\r`` and ``\\n`` are
percent-encoded; in property values ``:`` and ``,`` are too.
"""

from __future__ import annotations

import os
from collections.abc import Iterable

from lraudit.results import Finding

COMMAND: dict[str, str] = {"error": "error", "warning": "warning", "info": "notice"}


def escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def render_github(findings: Iterable[Finding], errors: Iterable[tuple[str, str]]) -> str:
    lines: list[str] = []
    for f in sorted(findings, key=lambda f: f.sort_key()):
        props = [("file", f.path.replace(os.sep, "/"))]
        if f.line >= 1:
            props.append(("line", str(f.line)))
            if f.column >= 1:
                props.append(("col", str(f.column)))
            if f.end_line >= f.line:
                props.append(("endLine", str(f.end_line)))
                if f.end_column >= 1:
                    props.append(("endColumn", str(f.end_column)))
        props.append(("title", f"{f.code} {f.name}"))
        lines.append(_command(COMMAND.get(f.severity, "warning"), props, f.message))
    for path, message in sorted(errors):
        lines.append(_command("error", [("file", path.replace(os.sep, "/")), ("title", "lraudit")], message))
    return "".join(line + "\n" for line in lines)


def _command(name: str, props: list[tuple[str, str]], message: str) -> str:
    rendered = ",".join(f"{key}={escape_property(value)}" for key, value in props)
    return f"::{name} {rendered}::{escape_data(message)}"
