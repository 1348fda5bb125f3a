"""``lraudit notes``: the Markdown onboarding document for a repository.

:func:`render_notes` returns the text that goes *between* the ``<!-- lraudit:begin -->`` and
``<!-- lraudit:end -->`` markers (``safe_write.merge_generated_block`` adds the markers and keeps the
team's own text around them). Per training script it shows the optimizers with the source of every value,
each schedule with its plain-words explanation, how it is stepped, its horizon, a Mermaid ``xychart-beta``
chart (GitHub draws it without any image file), a milestones table and, when ``--plots`` wrote one, a link to
the image; then the findings with the rule's "why". Output is deterministic: sorted, no timestamps.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from ..results import SEVERITY_RANK, FileResult, Finding
from ..safe_write import BEGIN, END
from .chart import mermaid_xychart

TITLE = "Learning-rate notes"
HIDDEN_ARGS = ("last_epoch", "verbose")  # shown only when the script sets them
_LIBRARY_DEFAULT = re.compile(r"[A-Za-z][\w.\-]* default")
_INLINE_SPECIAL = re.compile(r"([\\`*\[\]<>~$])")  # GitHub also reads ~strike~ and $math$
_BLOCK_START = re.compile(r"^([#+=-]|\d+(?=[.)](?:\s|$)))")  # would start a heading, list or setext line
_ENTITY = re.compile(r"&(?=#?\w+;)")
_SLUG_DROP = re.compile(r"[^\w\- ]")


# --------------------------------------------------------------------------------------------- escaping


def md_text(text: str) -> str:
    """Plain text made safe for Markdown prose: emphasis, code, link, HTML, strike-through and math
    characters are escaped, and so is a start that would open a heading or a list.

    An underscore is escaped only where it could open or close emphasis (not inside a word such as
    ``step_size``), so identifiers stay readable in the raw file.
    """
    text = " ".join(str(text).split())
    text = _INLINE_SPECIAL.sub(r"\\\1", text)
    text = _ENTITY.sub("&amp;", text)
    match = _BLOCK_START.match(text)
    if match:
        end = match.end()
        text = text[:end] + "\\" + text[end:] if match.group(1).isdigit() else "\\" + text
    out: list[str] = []
    for i, ch in enumerate(text):
        if ch == "_":
            before = text[i - 1] if i > 0 else " "
            after = text[i + 1] if i + 1 < len(text) else " "
            if not (before.isalnum() and after.isalnum()):
                out.append("\\_")
                continue
        out.append(ch)
    return "".join(out)


_CODE_NAME = re.compile(r"`([A-Za-z_][\w.]*(?:\(\))?)`")


def md_prose(text: str) -> str:
    """Like ``md_text``, but an identifier the text names in code style (```lr_lambda```) stays a code span."""
    text = " ".join(str(text).split())
    out: list[str] = []
    pos = 0
    for m in _CODE_NAME.finditer(text):
        out.append(_md_piece(text[pos:m.start()], first=pos == 0))
        out.append(f"`{m.group(1)}`")
        pos = m.end()
    out.append(_md_piece(text[pos:], first=pos == 0))
    return "".join(out)


def _md_piece(piece: str, first: bool) -> str:
    if not piece:
        return ""
    lead = " " if piece[0] == " " else ""
    tail = " " if piece[-1] == " " and piece.strip() else ""
    body = md_text(piece)
    if not first and body and body[0] == "\\" and not piece.lstrip().startswith(("\\", "`", "*", "[", "]", "<", ">", "~", "$")):
        body = body[1:]  # a block-start escape is only needed at the start of the whole text
    return lead + body + tail


def md_code(text: str) -> str:
    """``text`` as an inline code span, with a fence longer than any run of backticks inside it."""
    text = " ".join(str(text).split())
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    if text.startswith("`") or text.endswith("`"):
        text = f" {text} "  # CommonMark strips one space on each side
    return f"{fence}{text}{fence}" if text else "` `"


def table_cell(markdown: str) -> str:
    """An already-formatted Markdown fragment made safe for a GFM table cell (``|`` escaped, one line)."""
    return " ".join(markdown.split()).replace("|", "\\|")


def table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    """A GFM table; cells are Markdown fragments (already escaped for prose)."""
    out = ["| " + " | ".join(table_cell(h) for h in header) + " |",
           "|" + "|".join(" --- " for _ in header) + "|"]
    out.extend("| " + " | ".join(table_cell(c) for c in row) + " |" for row in rows)
    return out


class Anchors:
    """GitHub's heading ids: lower case, punctuation dropped, spaces to hyphens, ``-1``, ``-2``... on repeats."""

    def __init__(self) -> None:
        self._seen: dict[str, int] = {}

    def add(self, heading_text: str) -> str:
        base = _SLUG_DROP.sub("", heading_text.strip().lower()).replace(" ", "-")
        slug = base
        while slug in self._seen:
            self._seen[base] += 1
            slug = f"{base}-{self._seen[base]}"
        self._seen[slug] = 0
        return slug


# ---------------------------------------------------------------------------------------------- values


def fmt_number(value: Any) -> str:
    if isinstance(value, bool) or value is None:
        return str(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        from ..describe import fmt_lr

        return fmt_lr(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(fmt_number(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {fmt_number(v)}" for k, v in sorted(value.items(), key=lambda kv: str(kv[0]))) + "}"
    if isinstance(value, str):
        return value if value.startswith("<") else repr(value)
    return str(value)


def _short_value(value: Any, limit: int = 60) -> str:
    text = fmt_number(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def is_unresolved(v: Mapping[str, Any] | None) -> bool:
    return v is None or (v.get("value") is None and "unresolved" in v)


def value_md(v: Mapping[str, Any] | None) -> str:
    """The value as code (``0.1``), or *unknown*; :func:`source_md` says where it comes from or why not."""
    if is_unresolved(v):
        return "*unknown*"
    assert v is not None
    return md_code(_short_value(v.get("value")))


def source_md(v: Mapping[str, Any] | None) -> str:
    """Where the value comes from, in words; for an unresolved value, why it is unknown."""
    if v is None:
        return "not found"
    if is_unresolved(v):
        return md_text(str(v.get("unresolved") or "not resolved"))
    return md_text(str(v.get("source") or "literal"))


def value_with_source_md(v: Mapping[str, Any] | None) -> str:
    if is_unresolved(v):
        return f"*unknown* ({source_md(v)})"
    return f"{value_md(v)} ({source_md(v)})"


def is_library_default(v: Mapping[str, Any]) -> bool:
    """A value the script does not set (source like ``torch default``)."""
    return not is_unresolved(v) and bool(_LIBRARY_DEFAULT.fullmatch(str(v.get("source") or "")))


def short_class(cls: str) -> str:
    if cls.startswith(("custom:", "manual:")):
        return cls.split(":", 1)[1]
    return cls.rsplit(".", 1)[-1]


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")


# ------------------------------------------------------------------------------------------- sections


def _shown(results: Sequence[FileResult]) -> list[FileResult]:
    return sorted((r for r in results if not r.skipped and (r.optimizers or r.schedulers or r.findings)),
                  key=lambda r: r.path)


def _by_line(entries: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    return sorted(entries, key=lambda e: (int(e.get("line") or 0), _natural(str(e.get("id", "")))))


def _natural(text: str) -> tuple[Any, ...]:
    return tuple(int(p) if p.isdigit() else p for p in re.split(r"(\d+)", text))


def _optimizers_section(result: FileResult, anchors: Anchors) -> list[str]:
    anchors.add("Optimizers")
    out = ["### Optimizers", ""]
    rows = []
    for o in _by_line(result.optimizers):
        params = o.get("params") or {}
        settings = [f"{md_code(k)} = {value_with_source_md(v)}" for k, v in sorted(params.items())
                    if not is_library_default(v)]
        rows.append([
            md_code(str(o.get("id", ""))) + (f" ({md_code(o['variable'])})" if o.get("variable") else ""),
            md_code(str(o.get("class", ""))) if o.get("class") else "class unknown",
            str(o.get("line", "")),
            value_md(o.get("lr")),
            source_md(o.get("lr")),
            "<br>".join(settings) if settings else "library defaults",
        ])
    out.extend(table(["Optimizer", "Class", "Line", "Learning rate", "Where the learning rate comes from",
                      "Other settings (and their sources)"], rows))
    out.append("")
    updates = [str(x) for x in result.details.get("optimizer_steps") or []]
    if len(updates) == 1:
        out += [f"**Optimizer updates:** {md_text(updates[0])}", ""]
    elif updates:
        out += ["**Optimizer updates:**", ""] + [f"- {md_text(x)}" for x in updates] + [""]
    return out


def _args_lines(args: Mapping[str, Any]) -> list[str]:
    rows = []
    # what the script sets first, then the library defaults it relies on
    for name, v in sorted(args.items(), key=lambda kv: (is_library_default(kv[1]), kv[0])):
        if name in HIDDEN_ARGS and is_library_default(v):
            continue
        rows.append([md_code(name), value_md(v), source_md(v)])
    if not rows:
        return []
    return table(["Argument", "Value", "Source"], rows) + [""]


def _stepped_lines(s: Mapping[str, Any], det: Mapping[str, Any]) -> list[str]:
    sites = [str(x) for x in det.get("step_sites") or []]
    stepped = str(s.get("stepped") or "unknown")
    words = {"epoch": "once per epoch", "batch": "once per batch", "both": "both per epoch and per batch",
             "never": "never", "unknown": "in a way lraudit could not classify"}.get(stepped, stepped)
    if not sites:
        if det.get("parent"):
            return [f"**Stepped:** by its parent {md_code(det['parent'])}", ""]
        return [f"**Stepped:** {md_text(words)} (no {md_code('step()')} call found in this file)", ""]
    if len(sites) == 1:
        return [f"**Stepped:** {md_text(words)}: {md_text(sites[0])}", ""]
    return [f"**Stepped:** {md_text(words)}:", ""] + [f"- {md_text(x)}" for x in sites] + [""]


def _horizon_line(s: Mapping[str, Any], det: Mapping[str, Any]) -> str:
    if det.get("horizon_source"):
        return f"**Horizon:** {md_text(str(det['horizon_source']))}"
    h = s.get("horizon")
    if is_unresolved(h):
        return f"**Horizon:** unknown ({source_md(h)})"
    return f"**Horizon:** {value_with_source_md(h)}"


def _curve(s: Mapping[str, Any], det: Mapping[str, Any]) -> tuple[list[float] | None, list[int] | None]:
    lr = s.get("lr")
    steps = s.get("lr_steps")
    if lr is None:
        lr, steps = det.get("lr"), det.get("lr_steps")
    if not lr:
        return None, None
    try:
        values = [float(x) for x in lr]
    except (TypeError, ValueError):
        return None, None
    xs = [int(x) for x in steps] if steps else None
    if xs is not None and len(xs) != len(values):
        xs = None
    return values, xs


def _sibling_section(result: FileResult, anchors: Anchors) -> list[str]:
    """The schedule each config file next to a ``--config`` default gives (sibling_configs.py), one run per file."""
    out: list[str] = []
    for group in result.details.get("sibling_configs") or []:
        heading = f"Schedules of the other config files for {group['option']}"
        anchors.add(heading)
        out += [f"### {md_text(heading)}", "",
                f"{md_code(group['option'])} defaults to {md_code(group['default'])}; each row is the run with "
                f"that file (as with `--set`).", ""]
        rows = []
        for run in group["runs"]:
            rows.append([md_code(run["config"]) + (" (default)" if run.get("default") else ""),
                         _run_schedules(run.get("schedulers"))])
        out += table(["Config file", "Schedule"], rows) + [""]
        if group.get("more"):
            out += [md_text(f"... and {group['more']} more config files (not analysed)."), ""]
    return out


def _run_schedules(scheds: Any) -> str:
    """One table cell: each scheduler of another run (a sibling config, a launch command) and the first sentence
    of its explanation."""
    if scheds is None:
        return "could not be analysed"
    if not scheds:
        return "no scheduler"
    return "<br>".join(md_code(str(sc.get("class") or "class unknown").rsplit(".", 1)[-1]) + ": "
                       + md_text(str(sc.get("summary", "")).split(". ")[0].rstrip(".") + ".") for sc in scheds)


def _launch_section(result: FileResult, anchors: Anchors) -> list[str]:
    """The schedule each launch command of the repository gives (launches.py), one row per command."""
    launches = result.details.get("launch_runs") or []
    if not launches:
        return []
    heading = "Schedules of the repository's launch commands"
    anchors.add(heading)
    out = [f"### {md_text(heading)}", "",
           md_text("Commands in the repository's shell scripts and READMEs that run this script; each row is the run "
                   "with that command's options (as with `--set`), the defaults above being the run without them."),
           ""]
    rows = []
    for run in launches:
        shown = [f"--{k} {v}" for k, v in run.get("sets", [])]
        options = md_code(" ".join(shown)) if shown else md_text("none that reach the schedule")
        if run.get("other_options"):
            options += md_text(f" (and {run['other_options']} other options)")
        if run.get("skipped"):
            options += md_text("; set by the shell, not read: " + ", ".join(run["skipped"][:6]))
        rows.append([md_code(run["where"]), options, _run_schedules(run.get("schedulers"))])
    return out + table(["Command", "Options", "Schedule"], rows) + [""]


def _schedule_section(result: FileResult, s: Mapping[str, Any], plots: Mapping[str, str],
                      anchors: Anchors) -> list[str]:
    det: Mapping[str, Any] = (result.details.get("schedulers") or {}).get(s.get("id"), {}) or {}
    sid = str(s.get("id", ""))
    name = short_class(str(s.get("class", ""))) if s.get("class") else "class unknown"
    where = f"{s['file']}:{s.get('line', '?')}" if s.get("file") else f"line {s.get('line', '?')}"
    heading = f"{sid}: {name} ({where})"
    anchors.add(heading)
    out = [f"### {md_text(heading)}", ""]
    facts = [f"{md_code(str(s.get('class', '')))}"]
    if s.get("variable"):
        facts.append(f"assigned to {md_code(s['variable'])}")
    candidates = det.get("optimizer_candidates") or []
    if len(candidates) > 1:
        facts.append("drives optimizer " + " or ".join(md_code(c) for c in candidates)
                     + " (which one depends on the path taken)")
    elif s.get("optimizer"):
        facts.append(f"drives optimizer {md_code(s['optimizer'])}")
    elif det.get("optimizer_reason"):
        facts.append(f"optimizer unknown ({md_text(det['optimizer_reason'])})")
    if det.get("parent"):
        facts.append(f"part of {md_code(det['parent'])}")
    if det.get("children"):
        facts.append("combines " + ", ".join(md_code(c) for c in det["children"]))
    out += [", ".join(facts) + ".", ""]
    if s.get("summary"):
        out += [md_prose(str(s["summary"])), ""]
    out += _args_lines(s.get("args") or {})
    out += _stepped_lines(s, det)
    out += [_horizon_line(s, det), ""]
    if s.get("shape"):
        out += [f"**Shape:** {md_text(str(s['shape']))}", ""]
    if det.get("assumption"):
        out += [f"**Assumption:** {md_text(str(det['assumption']))}", ""]
    if det.get("stops_at") is not None:
        reason = f": {md_text(str(det['stop_reason']))}" if det.get("stop_reason") else ""
        out += [f"**The library raises** at step {det['stops_at']}{reason}", ""]
    values, xs = _curve(s, det)
    unit = str(det.get("unit") or s.get("unit") or "step")
    if values is None:
        why = str(det.get("error") or "the curve could not be simulated").rstrip(". ")
        out += [f"*No chart: {md_text(why)}.*", ""]
    else:
        x_label = "epoch" if unit == "epoch" else "scheduler step"
        out += [mermaid_xychart(values, xs, title=f"{sid}: {name}", x_label=x_label), ""]
        if xs is not None:
            span = _plural(xs[-1] + 1, "epoch" if unit == "epoch" else "scheduler step")
            out += [f"*The curve is sampled at {len(xs)} points over {span}.*", ""]
        rows = [[md_text(str(w)), md_text(str(when)), md_code(str(lr))] for w, when, lr in det.get("milestones") or []]
        if rows:
            out += table(["Milestone", "When", "Learning rate"], rows) + [""]
    image = plots.get(f"{result.path}::{sid}")
    if image:
        out += [f"![{md_text(f'{sid} learning rate')}]({_link_target(image)})", ""]
    return out


def _link_target(path: str) -> str:
    target = path.replace("\\", "/")
    if re.search(r"[\s()<>]", target):
        return "<" + target.replace("<", "%3C").replace(">", "%3E") + ">"
    return target


def _rule_why(rule: Any) -> str:
    if rule is None:
        return ""
    first = getattr(rule, "why_first_paragraph", None)
    if isinstance(first, str):
        return first
    why = str(getattr(rule, "why", "") or "").strip()
    return " ".join(why.split("\n\n", 1)[0].split())


def _findings_section(findings: Sequence[Finding], rule_by_code: Mapping[str, Any], anchors: Anchors,
                      path: str | None = None) -> list[str]:
    anchors.add("Findings")
    out = ["### Findings", ""]
    if not findings:
        return out + ["No findings.", ""]
    for f in sorted(findings, key=lambda f: (f.line, f.column, f.code, f.message)):
        where = f"line {f.line}" if path is None or f.path == path else f"{f.path}:{f.line}"  # in another module
        out.append(f"- **{md_text(f.code)} {md_text(f.name)}** ({md_text(f.severity)}, {md_text(where)}): "
                   f"{md_text(f.message)}")
        why = _rule_why(rule_by_code.get(f.code))
        if why:
            out.append(f"  > *Why:* {md_text(why)}")
    out.append("")
    return out


def _counts(result: FileResult) -> str:
    parts = [_plural(len(result.optimizers), "optimizer"), _plural(len(result.schedulers), "schedule")]
    if result.findings:
        worst = max((f.severity for f in result.findings), key=lambda s: SEVERITY_RANK.get(s, 2))
        parts.append(f"{_plural(len(result.findings), 'finding')} (worst: {worst})")
    else:
        parts.append("no findings")
    return ", ".join(parts)


def _peek_slug(anchors: Anchors, heading: str) -> str:
    """The anchor ``heading`` will get when added next (without adding it)."""
    import copy

    return copy.deepcopy(anchors).add(heading)


def _overview(entries: Sequence[FileResult], slugs: Mapping[str, str]) -> list[str]:
    """One line per training entry point: its optimizer and schedule, linking to the file's section."""
    out = ["## Repository overview", "",
           "Each training entry point (a script run as `__main__`, or a command the package installs, that builds "
           "or reaches an optimizer), with its optimizer and learning-rate schedule:", ""]
    for r in entries:
        opts = []
        for o in _by_line(r.optimizers):
            lr = o.get("lr") or {}
            rate = f"lr {fmt_number(lr['value'])}" if lr.get("value") is not None else "lr unknown"
            where = f" in {md_code(o['file'])}" if o.get("file") else ""
            opts.append(f"{md_code(short_class(str(o.get('class', ''))))} ({rate}){where}")
        scheds = []
        for sc in _by_line(r.schedulers):
            if sc.get("parent") or (r.details.get("schedulers", {}).get(sc.get("id"), {}) or {}).get("parent"):
                continue
            shape = sc.get("shape") or "curve unknown"
            hz = sc.get("horizon") or {}
            length = f", {fmt_number(hz['value'])} {'steps' if sc.get('unit') == 'step' else 'epochs'}" if (
                hz.get("value") is not None) else ""
            scheds.append(f"{md_code(short_class(str(sc.get('class', ''))))} ({md_text(shape)}{length})")
        line = f"- [{md_code(r.path)}](#{slugs.get(r.path, '')})"
        commands = [str(c).split(" = ", 1)[0] for c in r.details.get("commands") or []]
        if commands:
            line += " (" + ", ".join(f"command {md_code(c)}" for c in commands) + ")"
        line += ": "
        line += ", ".join(opts) if opts else "optimizer not found"
        line += " → " + ("; ".join(scheds) if scheds else "constant rate (no scheduler)")
        out.append(line)
    out.append("")
    return out


def _config_groups(configs: Sequence[FileResult], rule_by_code: Mapping[str, Any], plots: Mapping[str, str],
                   anchors: Anchors, toc: list[str]) -> list[str]:
    """Config files, grouped by identical resolved schedule: one section (and one chart) per group."""
    from ..configs.describe import schedule_key, schedule_text

    groups: dict[Any, list[FileResult]] = {}
    for r in configs:
        groups.setdefault(schedule_key(r), []).append(r)
    ordered = sorted(groups.values(), key=lambda g: (-len(g), g[0].path))
    anchors.add("Config files")
    out = ["## Config files", "",
           f"{_plural(len(configs), 'config file')} with an optimizer, a schedule or a finding, in "
           f"{_plural(len(ordered), 'group')} of identical resolved schedules (after inheritance).", ""]
    toc.append(f"- [Config files](#config-files): {_plural(len(configs), 'config')}, "
               f"{_plural(len(ordered), 'distinct schedule')}")
    for group in ordered:
        first = group[0]
        text = schedule_text(first)
        heading = f"{len(group)} configs: {text}" if len(group) > 1 else f"{first.path}: {text}"
        slug = anchors.add(heading)
        toc.append(f"  - [{md_text(heading if len(group) > 1 else first.path)}](#{slug})")
        out += [f"### {md_text(heading)}", ""]
        if len(group) > 1:
            out += [f"- {md_code(r.path)}" + (f" ({_plural(len(r.findings), 'finding')})" if r.findings else "")
                    for r in group]
            out += ["", f"Shown for {md_code(first.path)}; the others resolve to the same schedule.", ""]
        cfg = first.details.get("config") or {}
        merged = cfg.get("files") or []
        if len(merged) > 1:
            out += ["Merged from " + ", ".join(md_code(f) for f in merged) + ".", ""]
        for note in cfg.get("notes") or []:
            out += [f"*Note: {md_text(str(note))}*", ""]
        if first.optimizers:
            out += _optimizers_section(first, anchors)
        for s in _by_line(first.schedulers):
            out += _schedule_section(first, s, plots, anchors)
        if len(group) == 1:
            out += _findings_section(first.findings, rule_by_code, anchors, first.path)
            continue
        findings = sorted((f for r in group for f in r.findings), key=lambda f: f.sort_key())
        if findings:
            anchors.add("Findings")
            out += ["#### Findings", ""]
            for f in findings:
                out.append(f"- **{md_text(f.code)} {md_text(f.name)}** ({md_text(f.severity)}, "
                           f"{md_code(f.path)} line {f.line}): {md_text(f.message)}")
            out.append("")
    return out


def render_notes(results: Sequence[FileResult], errors: Sequence[tuple[str, str]],
                 rule_by_code: Mapping[str, Any], *, plots: Mapping[str, str] | None = None,
                 version: str = "") -> str:
    """The generated block's content (no markers): title, intro, contents, one section per training script
    and the files lraudit could not read. Deterministic for the same inputs."""
    plots = plots or {}
    anchors = Anchors()
    shown = _shown(results)
    anchors.add(TITLE)
    head = [f"# {TITLE}", ""]
    # YAML/JSON files that are not configs were never candidates for the notes (they are counted by `check`)
    considered = [r for r in results if not (r.skipped and r.details.get("skip") in ("not-a-config",
                                                                                   "config-too-large"))]
    files = _plural(len(considered), "file")
    n_configs = sum(1 for r in shown if "config" in r.details)
    scripts = _plural(len(shown) - n_configs, "training script")
    if n_configs:
        scripts += f" and {_plural(n_configs, 'config file')}"
    by = f"lraudit {version}" if version else "lraudit"
    head += [
        f"Generated by {md_text(by)} from {files} ({scripts} with an optimizer, a learning-rate schedule or a "
        "finding). Everything between the `lraudit:begin` and `lraudit:end` markers is replaced when the notes "
        "are regenerated with `lraudit notes`; edit outside the markers, where your text is kept byte for byte.",
        "",
    ]
    body: list[str] = []
    toc: list[str] = []
    entries = [r for r in shown if r.details.get("entry_point") and (r.optimizers or r.schedulers)]
    slugs = {}
    if entries:  # the file sections' anchors, assigned in their order below (after the overview's own)
        anchors.add("Repository overview")
    if shown:
        anchors.add("Contents")
        toc = ["## Contents", ""]
    configs = [r for r in shown if "config" in r.details]
    shown_scripts = [r for r in shown if "config" not in r.details]
    for r in shown:
        slugs[r.path] = _peek_slug(anchors, r.path)
    if entries:
        head += _overview(entries, slugs)
    for r in shown_scripts:
        slug = anchors.add(r.path)
        toc.append(f"- [{md_code(r.path)}](#{slug}): {_counts(r)}")
        body += [f"## {md_code(r.path)}", ""]
        if r.error:
            body += [f"*lraudit could only partly read this file: {md_text(r.error)}*", ""]
        if r.optimizers:
            body += _optimizers_section(r, anchors)
        for s in _by_line(r.schedulers):
            body += _schedule_section(r, s, plots, anchors)
        body += _sibling_section(r, anchors)
        body += _launch_section(r, anchors)
        if not r.optimizers and not r.schedulers:
            body += ["No optimizer or learning-rate scheduler found; only findings.", ""]
        body += _findings_section(r.findings, rule_by_code, anchors, r.path)
    if configs:
        body += _config_groups(configs, rule_by_code, plots, anchors, toc)
    if toc:
        toc.append("")
    if not shown:
        body += ["No optimizer or learning-rate scheduler found.", ""]
    if errors:
        anchors.add("Files lraudit could not read")
        body += ["## Files lraudit could not read", ""]
        body += [f"- {md_code(path)}: {md_text(message)}" for path, message in sorted(set(errors))]
        body.append("")
    text = "\n".join(head + toc + body).rstrip("\n") + "\n"
    for marker in (BEGIN, END):  # a path or message quoting a marker must not break the next merge
        text = text.replace(marker, marker.replace("lraudit:", "lraudit: "))
    return text


__all__ = ["render_notes", "md_text", "md_code", "table", "table_cell", "Anchors"]
