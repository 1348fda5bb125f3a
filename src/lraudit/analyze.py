"""One file, end to end: read -> decode -> parse -> extract facts -> simulate -> check -> suppress -> result.

This is the unit of work the process pool and the cache deal in. It never raises for bad input: decoding and
parse failures become LR901 findings, and an internal error becomes a per-file error with a short hint.
"""

from __future__ import annotations

import json
import math
import os
import re
import traceback
from dataclasses import dataclass, field
from typing import Any

from .facts import FileFacts, FunctionValue, Known, SchedulerFact, Unknown, Value
from .results import Curve, FileResult, Finding


@dataclass(frozen=True)
class AnalysisOptions:
    steps: int | None = None  # explain: exact number of steps (dense)
    enabled: frozenset[str] | None = None  # rule codes to run (None: all)
    rule_options: tuple[tuple[str, tuple[tuple[str, Any], ...]], ...] = ()  # code -> options
    severity: tuple[tuple[str, str], ...] = ()  # code -> severity override
    want_curves: bool = True  # explain/notes need full curves in the result
    siblings: bool = False  # notes: one run per config file beside a --config default (sibling_configs.py)
    debug: bool = False
    notebook_cells: bool = True
    targets: Any = None  # versions.TargetVersions: the library versions the checked repository targets

    def target_versions(self) -> Any:
        from .versions import NOTHING

        return self.targets if self.targets is not None else NOTHING
    # ``--set KEY=VALUE``: the run to analyse (option dests, flags, config keys -> text), sorted
    overrides: tuple[tuple[str, str], ...] = ()

    def options_for(self, code: str) -> dict[str, Any]:
        for c, opts in self.rule_options:
            if c == code:
                return dict(opts)
        return {}

    def severity_for(self, code: str) -> str | None:
        for c, sev in self.severity:
            if c == code:
                return sev
        return None

    def key(self) -> str:
        """A stable text that changes whenever the options would change a result (for the cache)."""
        return json.dumps(
            {
                "steps": self.steps,
                "enabled": sorted(self.enabled) if self.enabled is not None else None,
                "rule_options": [[c, [[k, repr(v)] for k, v in o]] for c, o in self.rule_options],
                "severity": [list(x) for x in self.severity],
                "want_curves": self.want_curves,
                "siblings": self.siblings,
                "targets": self.targets.key() if self.targets is not None else None,
                "overrides": [list(x) for x in self.overrides],
            },
            sort_keys=True,
        )


def analyze_path(path: str, display: str, opts: AnalysisOptions) -> FileResult:
    """Read (as the runner does: regular files only, never blocking on a FIFO) and analyse one file."""
    from .runner import read_source

    data = read_source(path)
    if isinstance(data, str):
        return FileResult(path=display, error=data)
    return analyze_bytes(data, path, display, opts)


def analyze_bytes(data: bytes, path: str, display: str, opts: AnalysisOptions) -> FileResult:
    """Decode (or read the notebook), parse and analyse; never raises for any input bytes."""
    try:
        return _analyze_bytes(data, path, display, opts)
    except RecursionError:
        return FileResult(path=display, error="internal error: input nested too deeply to analyse (RecursionError)")
    except Exception as exc:  # one file's internal error must not end the run
        return _internal_error(display, exc, opts)


def _analyze_bytes(data: bytes, path: str, display: str, opts: AnalysisOptions) -> FileResult:
    from .parse import ParseFailure, decode_source

    from .configs import is_config_suffix

    if is_config_suffix(path):
        return analyze_config_bytes(data, path, display, opts)
    if path.endswith(".ipynb"):
        from .notebook import notebook_source

        nb = notebook_source(data)
        if isinstance(nb, ParseFailure):
            return _failure(display, nb.reason, nb.line, nb.column)
        text, cell_map = nb
        result = analyze_text(text, path, display, opts)
        return _map_cells(result, cell_map)
    text = decode_source(data)
    if isinstance(text, ParseFailure):
        return _failure(display, text.reason, text.line, text.column)
    return analyze_text(text, path, display, opts)


def analyze_text(text: str, path: str, display: str, opts: AnalysisOptions) -> FileResult:
    try:
        return _analyze_text(text, path, display, opts)
    except RecursionError:
        return FileResult(path=display, error="internal error: input nested too deeply to analyse (RecursionError)")
    except Exception as exc:  # one file's internal error must not end the run
        return _internal_error(display, exc, opts)


def _internal_error(display: str, exc: Exception, opts: AnalysisOptions) -> FileResult:
    first = str(exc).splitlines()[0][:200] if str(exc) else ""
    hint = f"internal error: {type(exc).__name__}: {first}; please report it (run with --debug for a traceback)"
    if opts.debug:
        import traceback

        hint += "\n" + traceback.format_exc()
    return FileResult(path=display, error=hint)


def _analyze_text(text: str, path: str, display: str, opts: AnalysisOptions) -> FileResult:
    from .parse import ParseFailure, parse_source

    if not text.strip():
        return FileResult(path=display)
    if not path.endswith(".ipynb"):
        configured = _python_config(text, path, display, opts)
        if configured is not None:
            return configured
    module = _shared_parse(path, text)
    if isinstance(module, ParseFailure):
        return _failure(display, module.reason, module.line, module.column)
    from .extract.build import extract

    ext = extract(module, path, text=text, display=display, overrides=dict(opts.overrides))
    facts = ext.facts
    if display != facts.path:
        from dataclasses import replace

        facts = replace(facts, path=display)
    from .simulate import SimOptions, simulate_scheduler

    curves: dict[str, Curve] = {}
    for s in facts.schedulers:
        curves[s.id] = simulate_scheduler(facts, s, SimOptions())
    findings = run_checks(facts, curves, opts)
    if ext.option_runs:
        from .alternatives import alternative_findings

        findings += alternative_findings(module, text, path, display, opts, ext, findings)
    from .symbols import depends_on_sizes

    if depends_on_sizes(ext.facts):
        from .symbols import symbolic_findings

        findings += symbolic_findings(module, text, path, display, opts, ext, findings)
    if ext.linked is not None and findings:
        findings = [_with_caller(f, facts, ext, display) if f.path != display else f for f in findings]
    from .suppress import parse_suppressions

    if findings:
        # a finding in another module of the repository (code linked into this file's analysis) obeys that
        # file's suppression comments and is fingerprinted with its lines
        texts = {display: text}
        if ext.linked is not None:
            for lm in ext.linked.modules:
                texts.setdefault(lm.display, lm.unit.text)
        from .baseline import fingerprint

        kept: list[Finding] = []
        for fpath in sorted({f.path for f in findings}):
            ftext = texts.get(fpath, "")
            supp = parse_suppressions(ftext)
            mine = [f for f in findings if f.path == fpath
                    and not supp.is_suppressed(f.code, f.name, f.line, f.end_line)]
            kept.extend(_fingerprinted(mine, ftext.splitlines(), fingerprint))
        findings = kept
    explain_curves = curves
    if opts.steps is not None:
        explain_curves = {s.id: simulate_scheduler(facts, s, SimOptions(steps=opts.steps)) for s in facts.schedulers}
    result = FileResult(path=display, findings=sorted(findings, key=Finding.sort_key))
    from .explain_data import explain_entries

    result.optimizers, result.schedulers, result.details = explain_entries(facts, explain_curves, opts.want_curves)
    linked_steps = sorted({f"{st.loc.file}:{st.loc.line}" for st in
                           [x for sc in facts.schedulers if sc.framework != "unknown" for x in sc.step_sites]
                           + [x for x in facts.optimizer_steps if x.target not in _unknown_ids(facts)]
                           if st.loc.file and st.loc.file != display})
    if linked_steps:  # steps of known objects in linked modules: those modules' unknown-class findings give way
        result.details["linked_steps"] = linked_steps
    if ext.linked is not None and ext.linked.modules:
        _record_links(result, facts, ext, display)
    from .callers import wants_callers

    if wants_callers(ext):  # its callers elsewhere in the repository say more (see callers.py)
        result.details["wants_callers"] = True
    if _MAIN_GUARD.search(text) or any(o.function is None and not o.loc.file for o in facts.optimizers):
        result.details["entry_point"] = True  # a script run as __main__ (the notes' repository overview)
    commands = _console_entries(path)
    if commands:
        result.details["entry_point"] = True  # a command the package installs ([project.scripts], console_scripts)
        result.details["commands"] = commands
    if opts.siblings and result.details.get("entry_point") and "add_argument" in text and facts.schedulers:
        from .sibling_configs import sibling_runs

        siblings = sibling_runs(module, text, path, display, opts, ext)
        if siblings:  # the schedule each config file next to the --config default gives (lraudit notes)
            result.details["sibling_configs"] = siblings
    if opts.siblings and result.details.get("entry_point") and (facts.schedulers or facts.optimizers) \
            and os.path.isfile(path):
        launched = _launch_runs(module, text, path, display, opts)
        if launched:  # the schedule each launch command of the repository gives (launches.py, lraudit notes)
            result.details["launch_runs"] = launched
    from .configs.links import find_links

    links = find_links(text, path)
    if links:
        result.details["config_links"] = [link.to_json() for link in links]
    return result


def _launch_runs(module: Any, text: str, path: str, display: str, opts: AnalysisOptions) -> list[dict[str, Any]]:
    """[{"where", "sets", "other_options", "skipped", "schedulers"}]: each launch command of the repository that
    runs ``path`` with options, analysed as ``--set`` with those options would (on top of the run's own ``--set``),
    with the schedule each scheduler gives there. ``sets`` lists the options about the schedule."""
    from dataclasses import replace as _replace

    from .launches import launches_for, schedule_options
    from .repository import repository_for

    try:
        root = repository_for(path).root
        found = launches_for(path, root)
    except (OSError, ValueError, RecursionError):
        return []
    out: list[dict[str, Any]] = []
    for launch in found:
        merged = dict(opts.overrides)
        merged.update(dict(launch.sets))
        res = analyze_text(text, path, display, _replace(opts, overrides=tuple(sorted(merged.items())),
                                                         siblings=False))
        shown = schedule_options(launch.sets)
        scheds = None if res.error else [
            {"class": sc.get("class"), "line": sc.get("line"), "summary": sc.get("summary", "")}
            for sc in res.schedulers]
        out.append({"where": launch.where, "sets": [list(kv) for kv in shown],
                    "other_options": len(launch.sets) - len(shown), "skipped": list(launch.skipped),
                    "schedulers": scheds})
    return out


def _shared_parse(path: str, text: str) -> Any:
    """The file's module, parsed once per run: a file that another checked file imported earlier was parsed
    for the repository model already, and a file parsed here is offered to the files that import it later."""
    from .parse import ParseFailure, parse_source

    if path.endswith(".ipynb") or not os.path.isfile(path):
        return parse_source(text)
    from .repository import repository_for

    try:
        repo = repository_for(path)
        module = repo.parsed_module(path, text)
    except (OSError, ValueError):
        return parse_source(text)
    if module is not None:
        return module
    module = parse_source(text)
    if not isinstance(module, ParseFailure):
        repo.offer(path, text, module)
    return module


def _console_entries(path: str) -> list[str]:
    """The installed commands that run a function of this file (``lraudit-train = pkg.train:main``)."""
    from .repository import repository_for

    try:
        return repository_for(path).console_entries().get(os.path.realpath(path), [])
    except (OSError, ValueError, RecursionError):
        return []


def _unknown_ids(facts: FileFacts) -> set[str]:
    return {o.id for o in facts.optimizers if o.framework == "unknown"}


_MAIN_GUARD = re.compile(r"""^if\s+__name__\s*==\s*['"]__main__['"]\s*:""", re.M)


def _record_links(result: FileResult, facts: FileFacts, ext: Any, display: str) -> None:
    """The modules this file's analysis linked in, and the call of this file through which each object built in
    one of them is reached (callers.py hands those objects back to the module that builds them)."""
    result.details["linked_files"] = sorted({lm.display for lm in ext.linked.modules})
    called: dict[str, dict[str, str]] = {}
    steps: dict[str, list[Any]] = {}
    for x in facts.optimizer_steps:
        steps.setdefault(x.target, []).append(x.loc)
    for kind, objs in (("schedulers", facts.schedulers), ("optimizers", facts.optimizers)):
        for obj in objs:
            # built in a linked module: the call that reaches it; built here: the call that reaches its steps
            places = [obj.loc] if obj.loc.file else [x.loc for x in getattr(obj, "step_sites", ())] + steps.get(
                obj.id, [])
            entry = next((e for e in (ext.linked.entry_for(p.file, p.line) for p in places if p.file) if e), None)
            if entry is not None:
                node, name = entry
                called.setdefault(kind, {})[obj.id] = f"{display}:{ext.locator.line(node)} ({name}())"
    if called:
        result.details["called_at"] = called


def _with_caller(f: Finding, facts: FileFacts, ext: Any, display: str) -> Finding:
    """A finding in another module of the repository, reached from this file: its message names the call that
    runs that code and the object at fault ("when called from train.py:14 with the StepLR built at train.py:13")."""
    from dataclasses import replace

    entry = ext.linked.entry_for(f.path, f.line)
    if entry is None:
        return f
    node, name = entry
    here = display.rsplit("/", 1)[-1]
    text = f"when called from {here}:{ext.locator.line(node)} ({name}())"
    for obj in list(facts.schedulers) + list(facts.optimizers):
        sites = getattr(obj, "step_sites", ())
        at = any(x.loc.file == f.path and x.loc.line == f.line for x in sites) or (
            obj.loc.file == f.path and obj.loc.line == f.line)
        if at and not obj.loc.file and not obj.cls.startswith(("manual:", "custom:")):
            text += f" with the {obj.cls.rsplit('.', 1)[-1]} built at {here}:{obj.loc.line}"
            break
    return replace(f, message=f"{f.message} ({text})")


def analyze_config_bytes(data: bytes, path: str, display: str, opts: AnalysisOptions) -> FileResult:
    """A YAML/JSON file: a config of a registered family, or skipped as not a config."""
    from .configs.analyze import analyze_config
    from .configs.base import ConfigDocument

    result = analyze_config(ConfigDocument(path, display, data), opts)
    if result is None:
        return FileResult(path=display, skipped=True, details={"skip": "not-a-config"})
    return result


def _python_config(text: str, path: str, display: str, opts: AnalysisOptions) -> FileResult | None:
    """A Python file that a config reader accepts (an OpenMMLab or detectron2 LazyConfig file) is analysed as
    that config; None for every other Python file (a script)."""
    from .configs import gate

    data = text.encode("utf-8", "surrogatepass")
    if not gate(path if path.endswith(".py") else path + ".py", data):
        return None
    from .configs.analyze import analyze_config
    from .configs.base import ConfigDocument

    return analyze_config(ConfigDocument(path if path.endswith(".py") else path + ".py", display, data), opts)


def _fingerprinted(findings: list[Finding], lines: list[str], fingerprint: Any) -> list[Finding]:
    from dataclasses import replace

    out = []
    for f in sorted(findings, key=Finding.sort_key):
        out.append(replace(f, fingerprint=fingerprint(f, lines)))
    return out


def run_checks(facts: FileFacts, curves: dict[str, Curve], opts: AnalysisOptions) -> list[Finding]:
    from .engine import run_checks as _run

    return _run(facts, curves, opts)


def _failure(display: str, reason: str, line: int = 1, column: int = 1) -> FileResult:
    from dataclasses import replace

    from .baseline import fingerprint

    f = Finding("LR901", "parse-error", "error", display, line, column, line, column,
                f"could not analyse this file: {reason}")
    f = replace(f, fingerprint=fingerprint(f, []))
    return FileResult(path=display, error=reason, findings=[f])


def _map_cells(result: FileResult, cell_map: Any) -> FileResult:
    from dataclasses import replace

    import re

    def in_cells(text: str) -> str:
        """`line 160` / `x.ipynb:160` in a message -> `cell 6, line 35` (lines of the joined cells)."""

        def sub(pattern: str, prefix: str) -> Any:
            def repl(m: re.Match[str]) -> str:
                c, ln = cell_map(int(m.group(2)))
                return m.group(0) if c is None else f"{m.group(1)}{prefix}cell {c}, line {ln}"
            return lambda t: re.sub(pattern, repl, t)

        text = sub(r"(\b\S+\.ipynb):(\d+)\b", " ")(text)
        return sub(r"(\b(?:at |on |from )?)line (\d+)\b", "")(text)

    mapped = []
    for f in result.findings:
        cell, line = cell_map(f.line)
        body = in_cells(f.message)
        msg = body if cell is None else f"[cell {cell}, line {line}] {body}"
        mapped.append(replace(f, message=msg))
    result.findings = mapped
    result.details.setdefault("cells", True)
    return result


def value_json(v: Value | None) -> dict[str, Any]:
    if v is None:
        return {"value": None, "unresolved": "not given"}
    if isinstance(v, Unknown):
        if v.expression:
            return {"value": None, "unresolved": v.reason, "expression": v.expression}
        return {"value": None, "unresolved": v.reason}
    return {"value": to_jsonable(v.value), "source": v.source}


# Bounds of one value in the output: analysed code can build values whose parts are shared
# (``[[0.9] * 10**5] * 10**5`` is 10**5 references to one list), tiny in memory but enormous once written out.
JSON_MAX_ITEMS = 10_000  # container items in one value
JSON_MAX_CHARS = 100_000  # characters of strings in one value
JSON_MAX_DEPTH = 50
JSON_MAX_INT_BITS = 4_096


class _TooLarge(Exception):
    pass


def to_jsonable(x: Any) -> Any:
    """``x`` as JSON data; a value too large or deep to show becomes a short description of it."""
    try:
        return _jsonable(x, [JSON_MAX_ITEMS, JSON_MAX_CHARS], 0)
    except (_TooLarge, RecursionError):
        size = f" of {len(x):,} items" if isinstance(x, (list, tuple, dict, str)) else ""
        return f"<{type(x).__name__}{size}: too large to show>"


def _jsonable(x: Any, budget: list[int], depth: int) -> Any:
    if isinstance(x, bool) or x is None:
        return x
    if isinstance(x, int):
        if x.bit_length() > JSON_MAX_INT_BITS:
            raise _TooLarge
        return x
    if isinstance(x, str):
        budget[1] -= len(x)
        if budget[1] < 0:
            raise _TooLarge
        return x
    if isinstance(x, float):
        if math.isfinite(x):
            return x
        return str(x)
    if isinstance(x, (list, tuple, dict)):
        budget[0] -= len(x)
        if budget[0] < 0 or depth >= JSON_MAX_DEPTH:
            raise _TooLarge
        if isinstance(x, dict):
            return {str(k): _jsonable(v, budget, depth + 1) for k, v in sorted(x.items(), key=lambda kv: str(kv[0]))}
        return [_jsonable(i, budget, depth + 1) for i in x]
    if isinstance(x, Known):
        return _jsonable(x.value, budget, depth + 1)
    if isinstance(x, Unknown):
        return None
    if isinstance(x, FunctionValue):
        return repr(x)
    from .instances import Instance

    if isinstance(x, Instance):  # an object of a plain class of the analysed code
        return repr(x)
    return f"<{type(x).__name__}>"


__all__ = ["AnalysisOptions", "analyze_path", "analyze_bytes", "analyze_text", "value_json", "SchedulerFact"]
