"""The rule catalog as text, JSON and Markdown (the README's rule table is generated from this)."""

from __future__ import annotations

import json
from typing import Any, Iterable


def render_rules_text(rules: Iterable[Any]) -> str:
    rows = sorted(rules, key=lambda r: r.code)
    width = max((len(r.name) for r in rows), default=10)
    out = [f"{r.code}  {r.name:<{width}}  {r.severity:<7}  {r.summary}" for r in rows]
    return "\n".join(out) + "\n"


def render_rules_json(rules: Iterable[Any]) -> str:
    rules = list(rules)
    data = [
        {"code": r.code, "name": r.name, "category": r.category, "severity": r.severity, "summary": r.summary,
         "fix": r.fix, "options": {k: o.default for k, o in sorted(r.options.items())}}
        for r in sorted(rules, key=lambda r: r.code)
    ]
    by_code = {r.code: r for r in rules}
    for entry in data:
        reason = getattr(by_code.get(entry["code"]), "fix_reason", None)
        if reason:  # only rules whose YAML says why they have no (safe) fix carry the key
            entry["fix_reason"] = reason
        cases = getattr(by_code.get(entry["code"]), "versions", None)
        if cases:  # only version-dependent rules carry the key
            entry["versions"] = {
                c.id: {"package": c.package, "fix": c.fix,
                       "ranges": [{"affected": x.affected, "effect": x.effect, "severity": x.severity}
                                  for x in c.ranges]}
                for c in cases.values()}
    return json.dumps(data, indent=2) + "\n"


def render_rules_markdown(rules: Iterable[Any]) -> str:
    out = ["| Code | Name | Severity | What it flags |", "| --- | --- | --- | --- |"]
    for r in sorted(rules, key=lambda r: r.code):
        summary = r.summary.replace("|", "\\|")
        out.append(f"| `{r.code}` | `{r.name}` | {r.severity} | {summary} |")
    return "\n".join(out) + "\n"


def render_rule_doc(r: Any) -> str:
    fix_line = f"Fix: {_FIX_WORDS[r.fix]}"
    if getattr(r, "fix_reason", None):
        fix_line += f"; {r.fix_reason}"
    out = [f"{r.code} {r.name} ({r.severity}, {r.category})", "", r.summary, "", fix_line, "",
           "Why", "---", r.why.strip(), ""]
    if r.options:
        out += ["Options", "-------"]
        for name, opt in sorted(r.options.items()):
            out.append(f"  {name} = {opt.default!r}: {opt.description}")
        out.append("")
    versions = getattr(r, "versions", None)
    if versions:
        out += ["Versions", "--------"]
        for case in versions.values():
            out.append(f"  {case.id} ({case.package}):")
            for rng in case.ranges:
                sev = f" [{rng.severity}]" if rng.severity else ""
                out.append(f"    {case.package}{rng.affected}{sev}: {rng.effect}")
            out.append(f"    fix: {case.fix}")
        out += ["  Reported at the rule's severity only when the targeted versions fall in a range; otherwise an info",
                "  note says what an upgrade changes (see the README, Target versions).", ""]
    for title, examples in (("Bad", r.examples.bad), ("Good", r.examples.good)):
        for i, ex in enumerate(examples, 1):
            head = f"{title} example {i}" + (f": {ex.note}" if ex.note else "")
            out += [head, "-" * len(head)]
            out += ["    " + line if line else "" for line in ex.code.rstrip().splitlines()]
            out.append("")
    if r.references:
        out += ["References", "----------"] + [f"  {ref}" for ref in r.references] + [""]
    out.append(f"Silence it on a line with `# lraudit: ignore[{r.code}]` or `# noqa: {r.code}`.")
    return "\n".join(out) + "\n"


_FIX_WORDS = {
    "safe": "safe (`lraudit check --fix` repairs it where the repair is unambiguous; a repair that changes the "
            "curve is unsafe and needs `--unsafe-fixes`)",
    "unsafe": "unsafe (`lraudit check --fix --unsafe-fixes` repairs it; the repair changes behaviour, review it)",
    "none": "none (no automatic repair)",
}
