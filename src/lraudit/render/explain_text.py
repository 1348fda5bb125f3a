"""``lraudit explain`` as text: per file, each optimizer and scheduler with values, sources and the curve."""

from __future__ import annotations

import textwrap
from typing import Any

from ..results import FileResult

INDENT = "    "


def _fmt_value(v: dict[str, Any]) -> str:
    if v.get("value") is None and "unresolved" in v:
        if v.get("expression"):
            return f"{v['expression']}  [{v['unresolved']}]"
        return f"unknown ({v['unresolved']})"
    val = v.get("value")
    text = _short(val)
    src = v.get("source")
    if src and src != "literal":
        return f"{text}  [{src}]"
    return text


def _internal(key: str) -> bool:
    """A bookkeeping key of the extraction (``__bind_error__``), never shown as an argument (results cached by an
    older version may still carry one)."""
    return key.startswith("__") and key.endswith("__")


def _short(val: Any) -> str:
    if isinstance(val, float):
        return f"{val:.6g}"
    if isinstance(val, str):
        return repr(val) if not val.startswith("<function") else val
    text = repr(val) if not isinstance(val, (list, dict)) else _json_short(val)
    return text if len(text) <= 80 else text[:77] + "..."


def _json_short(val: Any) -> str:
    import json

    return json.dumps(val, sort_keys=True, default=str)


def render_explain_text(results: list[FileResult], errors: list[tuple[str, str]], *, width: int = 100,
                        show_files_without: bool = False) -> str:
    out: list[str] = []
    shown = 0
    for r in results:
        if r.skipped:
            continue
        if r.error:
            out.append(f"{r.path}: error: {r.error}")
            out.append("")
            continue
        links = r.details.get("config_links") or []
        # a config whose schedule comes from a package's configs outside the repository is shown with that reason
        unread = (r.details.get("config") or {}).get("unread_bases")
        if not r.optimizers and not r.schedulers and not links and not unread:
            if show_files_without:
                out.append(f"{r.path}: no optimizer or scheduler")
            continue
        shown += 1
        out.append(r.path)
        cfg = r.details.get("config")
        if cfg:
            merged = cfg.get("files") or []
            inherits = f", inherits {', '.join(merged[:-1])}" if len(merged) > 1 else ""
            loop = f"; {cfg['loop']}" if cfg.get("loop") else ""
            out.append(f"  config ({cfg.get('family')}{inherits}){loop}")
            for note in cfg.get("notes") or []:
                out.append(f"{INDENT}note: {note}")
        for link in links:
            target = link["path"] or f"unknown ({link['unresolved']})"
            out.append(f"  loads {_article(link['family'])} {link['family']} config at line {link['line']} ({link['call']}): {target}")
        sched_details = r.details.get("schedulers", {})
        if r.details.get("callers_search"):  # the search for this file's callers was bounded (callers.py)
            out.append(f"  callers: {r.details['callers_search']}")
        for o in r.optimizers:
            where = (f"{o['file']}:{o['line']}" if o.get("file") else f"line {o['line']}") + (
                f", {o['variable']}" if o.get("variable") else "")
            out.append(f"  optimizer {o['id']}: {o['class'] or 'class unknown'} ({where})")
            if o.get("when"):
                out.append(f"{INDENT}alternative: built {o['when']}")
            out.append(f"{INDENT}lr = {_fmt_value(o['lr'])}")
            for k, v in o["params"].items():
                if v.get("source", "").endswith("default") or _internal(k):
                    continue
                out.append(f"{INDENT}{k} = {_fmt_value(v)}")
        for s in r.schedulers:
            det = sched_details.get(s["id"], {})
            where = (f"{s['file']}:{s['line']}" if s.get("file") else f"line {s['line']}") + (
                f", {s['variable']}" if s.get("variable") else "")
            candidates = det.get("optimizer_candidates") or []
            target = f" on {s['optimizer']}" if s.get("optimizer") else ""
            if len(candidates) > 1:
                target = " on " + " or ".join(candidates)
            out.append(f"  scheduler {s['id']}: {s['class'] or 'class unknown'} ({where}){target}")
            if s.get("when"):
                out.append(f"{INDENT}alternative: built {s['when']}")
            if len(s.get("called_from") or ()) > 1:  # drawn as its first caller runs it (callers.py)
                out.append(f"{INDENT}also called from {', '.join(s['called_from'][1:])}")
            if det.get("optimizer_reason") and (not s.get("optimizer") or len(candidates) > 1):
                label = "unknown" if not s.get("optimizer") else "one of several"
                out.append(f"{INDENT}optimizer: {label} ({det['optimizer_reason']})")
            if det.get("parent"):
                out.append(f"{INDENT}part of {det['parent']}")
            for k, v in s["args"].items():
                src = v.get("source", "")
                if (src.endswith("default") and k in ("last_epoch", "verbose")) or _internal(k):
                    continue
                out.append(f"{INDENT}{k} = {_fmt_value(v)}")
            sites = det.get("step_sites") or []
            if sites:
                for site in sites:
                    out.append(f"{INDENT}stepped: {site}")
            elif det.get("framework") == "manual" and s.get("stepped") in ("epoch", "batch"):
                out.append(f"{INDENT}stepped: the script writes the rate itself, once per {s['stepped']}")
            elif s.get("stepped") in ("epoch", "batch", "both"):
                how = {"epoch": "once per epoch", "batch": "once per batch", "both": "per epoch and per batch"}
                out.append(f"{INDENT}stepped: {how[s['stepped']]} by the framework")
            elif s.get("stepped") == "unknown" and det.get("handed_to"):
                out.append(f"{INDENT}stepped: not in this file; it is passed to {det['handed_to']}, which may step it")
            elif s.get("stepped") == "unknown":
                out.append(f"{INDENT}stepped: by the framework; whether per batch or per epoch is not known")
            else:
                out.append(f"{INDENT}stepped: never (no step() call found in this file)")
            if det.get("horizon_source"):
                out.append(f"{INDENT}horizon: {det['horizon_source']}")
            if s.get("shape"):
                out.append(f"{INDENT}shape: {s['shape']}")
            if det.get("sparkline"):
                out.append(f"{INDENT}{det['sparkline']}")
            if s.get("summary"):
                for line in textwrap.wrap(s["summary"], width=width - len(INDENT), break_on_hyphens=False,
                                          break_long_words=False):
                    out.append(f"{INDENT}{line}")
        out.append("")
    for path, msg in errors:
        out.append(f"{path}: error: {msg}")
    if not shown and not any(r.error for r in results):
        out.append("No optimizer or learning-rate scheduler found.")
    return "\n".join(out).rstrip() + "\n"


def _article(word: str) -> str:
    return "an" if word[:1].lower() in "aeiou" or word.startswith("OpenMMLab") else "a"
