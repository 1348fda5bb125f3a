"""``lraudit check --statistics``: the number of findings per rule, as ruff prints them."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable

from ..results import Finding


def statistics(findings: Iterable[Finding], unsafe: bool = False) -> list[dict[str, object]]:
    findings = list(findings)
    counts = Counter(f.code for f in findings)
    names = {f.code: f.name for f in findings}
    fixable = {f.code for f in findings if f.fixable(unsafe)}
    rows = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    return [{"code": code, "name": names[code], "count": n, "fixable": code in fixable} for code, n in rows]


def render_statistics(findings: Iterable[Finding], fmt: str = "text", unsafe: bool = False) -> str:
    rows = statistics(findings, unsafe)
    if fmt == "json":
        return json.dumps(rows, indent=2) + "\n"
    if not rows:
        return ""
    width = max(len(str(r["count"])) for r in rows)
    code_width = max(len(str(r["code"])) for r in rows)
    return "".join(f"{r['count']:>{width}}\t{r['code']:<{code_width}}\t{'[*]' if r['fixable'] else '[ ]'} "
                   f"{r['name']}\n" for r in rows)


__all__ = ["statistics", "render_statistics"]
