"""A module's code seen from the repository files that call it.

A file's own analysis cannot know what a function receives when only other modules call it:
``engine.train_one_epoch(model, loader, optimizer, ...)`` writes the rate of an optimizer that ``main.py`` builds,
``utils.get_scheduler(name, optimizer, num_epochs)`` is sized by its caller. The caller's analysis already sees
that code (extract/link.py links it in), with the caller's objects and values. This module hands those facts back
to the file where the code is:

* a scheduler or optimizer built in the file whose optimizer, class, rate or curve is not known there takes the
  entry its first caller (by path) draws at the same line, marked ``called_from`` (the call, then any other
  callers that reach it);
* a finding that a caller's analysis reports at a line of the file belongs to the file's result too, so
  ``lraudit check engine.py`` (the pre-commit case) reports what ``lraudit check .`` reports there.

Callers are the run's own results that linked the file; when the run does not cover the file's repository (some
files named alone), the repository is searched for its importers (their import statements resolved with the
repository model, up to MAX_DEPTH modules away through re-exports) and those are analysed without being reported,
through the same cache. The search is bounded (MAX_SCAN_FILES read, MAX_CALLER_ANALYSES analysed per run); a
bounded search says so in the file's details.
"""

from __future__ import annotations

import copy
import os
import re
from dataclasses import dataclass, field
from typing import Any, Callable

from .results import FileResult

MAX_SCAN_FILES = 20_000
MAX_SCAN_BYTES = 2_000_000  # a bigger file is not searched for imports
MAX_CALLER_ANALYSES = 12
MAX_DEPTH = 3
MAX_CANDIDATES = 40

_IMPORTS = re.compile(
    rb"^[ \t]*(?:from[ \t]+(\.*[\w.]*)[ \t]+import[ \t]*(\([^)]*\)|[^\n#;]*)|import[ \t]+([^\n#;]*))", re.M)
_NAME = re.compile(rb"[A-Za-z_][\w.]*")


_SCHEDULE_BASES = ("LRScheduler", "Callback", "LearningRateSchedule", "Optimizer")


def wants_callers(ext: Any) -> bool:
    """Whether the file (its extraction ``ext``) builds or steps, inside a function, an object whose facts may
    depend on what that function is given, or defines a scheduler, callback or optimizer class (its methods run
    with the objects and values of the files that build it: a GradualWarmupScheduler stepping the StepLR its caller
    passes in). Even a known object may: a function nobody in the file calls is read with its parameters'
    defaults, and a caller elsewhere may pass other values (its findings there belong to this file too)."""
    facts = ext.facts
    for s in facts.schedulers:
        if s.loc.file and not any(not x.loc.file for x in s.step_sites):
            continue  # built and stepped in other modules: their files' business
        # (a hand-written schedule's fact does not name its function: one at module level simply finds no caller)
        if s.function is not None or s.framework in ("manual", "unknown"):
            return True
    if any(not o.loc.file and o.function is not None for o in facts.optimizers):
        return True
    for ci in ext.resolver.ix.classes.values():
        if ext.linked is not None and ext.linked.module_of(ci.node) is not None:
            continue  # a class of another module, linked into this file's index
        if any("lr_scheduler." in b or b.rsplit(".", 1)[-1].lstrip("_").endswith(_SCHEDULE_BASES) for b in ci.bases):
            return True
    return False


@dataclass(frozen=True)
class CallerScope:
    """How the run found its files: the callers' search walks a repository the same way."""

    paths: tuple[str, ...]  # absolute paths the user named
    exclude: tuple[str, ...] = ()
    respect_gitignore: bool = True
    cwd: str = ""


@dataclass
class _Search:
    scope: CallerScope
    analyse: Callable[[str, str], FileResult]
    limit: int  # callers analysed per run at most (each once: ``analysed``)
    indexes: dict[str, "_Index"] = field(default_factory=dict)
    analysed: dict[str, FileResult] = field(default_factory=dict)


@dataclass
class _Index:
    """The repository's Python files and the words of their import statements."""

    files: list[tuple[str, str]]  # (path, display)
    words: dict[bytes, list[int]]  # word of an import statement -> files (indexes into ``files``)
    imports: list[list[tuple[bytes, list[bytes]]]]  # per file: (module, names imported from it)
    syspath: list[bool] = field(default_factory=list)  # per file: whether it edits sys.path
    truncated: bool = False


def adopt_callers(results: list[FileResult], paths: dict[str, str], scope: CallerScope | None,
                  analyse: Callable[[str, str], FileResult] | None) -> None:
    """Give each result that wants callers (see ``wants_callers``) what its callers' analyses say about it.

    ``paths`` maps each result's display path to its file; ``analyse(path, display)`` analyses a caller the run
    did not name (None: only the run's own results are callers)."""
    wanting = [r for r in results if r.details.get("wants_callers") and not r.error and not r.skipped]
    if not wanting:
        return
    by_display = {r.path: r for r in results}
    search = _Search(scope, analyse, MAX_CALLER_ANALYSES) if scope is not None and analyse is not None else None
    for r in wanting:
        callers = [c for c in results if c is not r and r.path in (c.details.get("linked_files") or ())]
        path = paths.get(r.path)
        if search is not None and path is not None:
            root = _root(path, search.scope)
            if not _covered(root, search.scope):
                known = {c.path for c in callers}
                found, notes = _search_callers(path, root, r.path, search, by_display)
                for display, result in found:
                    if display not in known:
                        known.add(display)
                        callers.append(result)
                if notes:  # the search was bounded: say so (explain prints it under the file)
                    r.details["callers_search"] = "; ".join(notes)
        callers.sort(key=lambda c: c.path)
        if callers:
            _merge(r, callers)


# ----------------------------------------------------------------------------------------------- the search
def _root(path: str, scope: CallerScope) -> str:
    from .repository import find_root

    return os.path.abspath(find_root(path, scope.cwd or None))


def _covered(root: str, scope: CallerScope) -> bool:
    """Whether the run walked the whole repository ``root`` (then its results hold every caller)."""
    for p in scope.paths:
        if os.path.isdir(p) and (root == p or root.startswith(os.path.join(p, ""))):
            return True
    return False


def _search_callers(path: str, root: str, display: str, search: _Search, by_display: dict[str, FileResult]
                    ) -> tuple[list[tuple[str, FileResult]], list[str]]:
    """The callers of the file found in its repository ``root``, and how the search was bounded (if it was)."""
    from .repository import repository_for

    index = search.indexes.get(root)
    if index is None:
        index = search.indexes[root] = _build_index(root, search.scope)
    repo = repository_for(path, search.scope.cwd or None)
    real = os.path.realpath(path)
    frontier = [real]
    candidates: list[int] = []
    seen: set[int] = set()
    for _ in range(MAX_DEPTH):
        importers: list[int] = []
        for t in frontier:
            for i in _importers_of(t, index, repo):
                if i not in seen and os.path.realpath(index.files[i][0]) != real:
                    seen.add(i)
                    importers.append(i)
        importers.sort(key=lambda i: index.files[i][1])
        candidates.extend(importers)
        if not importers or len(candidates) >= MAX_CANDIDATES:
            break
        frontier = [os.path.realpath(index.files[i][0]) for i in importers]
    notes: list[str] = []
    if index.truncated:
        notes.append(f"callers were looked for among the first {MAX_SCAN_FILES:,} Python files of the repository")
    if len(candidates) > MAX_CANDIDATES:
        notes.append(f"{len(candidates)} files import it; the first {MAX_CANDIDATES} (by path) were looked at")
    out: list[tuple[str, FileResult]] = []
    skipped = 0
    for i in candidates[:MAX_CANDIDATES]:
        cpath, cdisplay = index.files[i]
        result = by_display.get(cdisplay) or search.analysed.get(cdisplay)
        if result is None:
            if len(search.analysed) >= search.limit:
                skipped += 1
                continue
            result = search.analysed[cdisplay] = search.analyse(cpath, cdisplay)
        if display in (result.details.get("linked_files") or ()):
            out.append((cdisplay, result))
    if skipped:
        notes.append(f"{skipped} file{'s' if skipped > 1 else ''} that import{'' if skipped > 1 else 's'} it "
                     f"{'were' if skipped > 1 else 'was'} not analysed (at most {search.limit} callers "
                     "are analysed per run)")
    return out, notes


def _build_index(root: str, scope: CallerScope) -> _Index:
    from .discover import discover
    from .runner import read_source

    try:
        found = discover([root], scope.exclude, cwd=scope.cwd or None, respect_gitignore=scope.respect_gitignore)
        files = [(p, d) for p, d in found.files if p.endswith(".py")]
    except Exception:  # an unreadable tree: no callers beyond the run's own
        files = []
    truncated = len(files) > MAX_SCAN_FILES
    files = files[:MAX_SCAN_FILES]
    words: dict[bytes, list[int]] = {}
    imports: list[list[tuple[bytes, list[bytes]]]] = []
    syspath: list[bool] = []
    for i, (p, _) in enumerate(files):
        stmts: list[tuple[bytes, list[bytes]]] = []
        try:
            big = os.path.getsize(p) > MAX_SCAN_BYTES
        except OSError:
            big = True
        data = b"" if big else read_source(p)
        syspath.append(isinstance(data, bytes) and b"sys.path" in data)
        if isinstance(data, bytes) and b"import" in data:
            for m in _IMPORTS.finditer(data):
                if m.group(3) is not None:  # import a.b as c, d
                    for part in m.group(3).split(b","):
                        name = part.strip().split()[0] if part.strip() else b""
                        if name:
                            stmts.append((name, []))
                else:
                    names = [n.split(b".")[0] for n in _NAME.findall(m.group(2) or b"") if n != b"as"]
                    stmts.append((m.group(1), names))
        imports.append(stmts)
        for module, names in stmts:
            for w in set(re.split(rb"\.+", module)) | set(names):
                if w:
                    words.setdefault(w, []).append(i)
    return _Index(files, words, imports, syspath, truncated)


def _leaf(real: str) -> bytes:
    base = os.path.basename(real)
    if base == "__init__.py":
        base = os.path.basename(os.path.dirname(real))
    return base[:-3].encode() if base.endswith(".py") else base.encode()


def _importers_of(target: str, index: _Index, repo: Any) -> list[int]:
    """The files of the index whose import statements resolve to ``target``."""
    leaf = _leaf(target)
    out: list[int] = []
    for i in sorted(set(index.words.get(leaf, ()))):
        ipath = index.files[i][0]
        # a script that puts directories on sys.path (`sys.path.append(os.path.join(dirname(__file__), "../.."))`)
        # may import from any directory above it: tried only if the plain search finds nothing, and confirmed by
        # the analysis (the caller must link this file, see _search_callers)
        above = _ancestors(ipath, repo.root) if index.syspath[i] else []
        for module, names in index.imports[i]:
            mod = module.decode("ascii", "replace")
            qualified = [mod] if not names else [mod] + [
                f"{mod}{'' if mod.endswith('.') else '.'}{n.decode('ascii', 'replace')}" for n in names]
            if _resolves_to(repo, qualified, ipath, target) or (
                    above and _resolves_to(repo, qualified, ipath, target, above)):
                out.append(i)
                break
    return out


def _ancestors(path: str, root: str, limit: int = 4) -> list[str]:
    out: list[str] = []
    d = os.path.dirname(os.path.abspath(path))
    root = os.path.abspath(root)
    while len(out) < limit and d != root and d.startswith(os.path.join(root, "")):
        d = os.path.dirname(d)
        out.append(d)
    return out


def _resolves_to(repo: Any, qualified: list[str], importer: str, target: str,
                 inserted: list[str] | None = None) -> bool:
    from .repository import Target

    for q in qualified:
        if not q.strip("."):
            continue
        try:
            t = repo.resolve(q, importer, inserted or [])
        except (OSError, ValueError, RecursionError):
            continue
        if isinstance(t, Target) and not t.attrs and os.path.realpath(t.path) == target:
            return True
    return False


# ------------------------------------------------------------------------------------------------ the merge
def _weak(entry: dict[str, Any]) -> bool:
    return entry.get("optimizer") is None or entry.get("class") is None or entry.get("lr") is None


def _weak_optimizer(entry: dict[str, Any]) -> bool:
    return entry.get("class") is None or (entry.get("lr") or {}).get("value") is None


def _merge(r: FileResult, callers: list[FileResult]) -> None:
    from .checks.common import UNKNOWN_CLASS_MARK
    from .results import Finding

    # a finding of the file's own about an object of unknown class (a parameter) gives way to the caller's
    # finding at the same place, which knows the class (as runner.dedupe_linked does across a run)
    own = {(f.code, f.line, f.column): UNKNOWN_CLASS_MARK in f.message for f in r.findings if f.path == r.path}
    added: dict[tuple[str, int, int], Finding] = {}
    for c in callers:
        for f in c.findings:
            key = (f.code, f.line, f.column)
            if f.path != r.path or key in added or (key in own and not own[key]):
                continue
            if key in own and UNKNOWN_CLASS_MARK in f.message:
                continue
            added[key] = f
    if added:
        r.findings = sorted([f for f in r.findings if (f.code, f.line, f.column) not in added or f.path != r.path]
                            + list(added.values()), key=Finding.sort_key)
    mine_steps = r.details.get("optimizer_step_at") or {}
    for i, entry in enumerate(r.optimizers):
        if entry.get("file") or not _weak_optimizer(entry):
            continue
        steps = set(mine_steps.get(entry["id"], ()))
        for c in callers:
            theirs = c.details.get("optimizer_step_at") or {}
            match = next((o for o in c.optimizers if not _weak_optimizer(o) and (
                (o.get("file") == r.path and o.get("line") == entry.get("line"))
                or (entry.get("class") is None and steps & set(theirs.get(o["id"], ()))))), None)
            if match is not None:
                r.optimizers[i] = _adopted(match, entry["id"], _where(c, match), r.path,
                                           [_call_text(c, match, optimizer=True)])
                break
    details = r.details.setdefault("schedulers", {})
    for i, entry in enumerate(r.schedulers):
        if entry.get("file") or not _weak(entry):
            continue
        steps = set((details.get(entry["id"]) or {}).get("step_at") or ())
        found = []
        for c in callers:
            cdetails = c.details.get("schedulers") or {}
            for e in c.schedulers:
                built_here = e.get("file") == r.path and e.get("line") == entry.get("line") and (
                    entry.get("class") is None or e.get("class") == entry.get("class"))
                stepped_here = entry.get("class") is None and e.get("class") is not None and bool(
                    steps & set((cdetails.get(e["id"]) or {}).get("step_at") or ()))
                if built_here or stepped_here:
                    found.append((c, e))
        better = [(c, e) for c, e in found if not _weak(e) or (e.get("lr") is not None and entry.get("lr") is None)]
        if not better:
            continue
        c, e = better[0]
        via = [_call_text(cc, ee) for cc, ee in found]
        first = via[found.index((c, e))]
        new = _adopted(e, entry["id"], _where(c, e), r.path, list(dict.fromkeys(via)))
        new["optimizer"] = _adopt_optimizer(r, c, e.get("optimizer"), first, entry.get("optimizer"))
        new["summary"] = f"As called from {first}: {e.get('summary') or ''}".rstrip()
        r.schedulers[i] = new
        det = copy.deepcopy((c.details.get("schedulers") or {}).get(e["id"], {}))
        if "step_sites_placed" in det:
            det["step_sites"] = det["step_sites_placed"]
        det["optimizer_candidates"] = []
        det["children"] = []
        det["parent"] = None
        details[entry["id"]] = det


def _where(c: FileResult, entry: dict[str, Any]) -> str:
    """The file that builds a caller's object."""
    return str(entry.get("file") or c.path)


def _adopted(entry: dict[str, Any], new_id: str, where: str, here: str, via: list[str]) -> dict[str, Any]:
    new = copy.deepcopy(entry)
    new["id"] = new_id
    new.pop("file", None)
    if where != here:
        new["file"] = where
    new["called_from"] = via
    return new


def _adopt_optimizer(r: FileResult, c: FileResult, oid: str | None, via: str, was: str | None) -> str | None:
    """The id in ``r`` of the caller's optimizer ``oid``: the file's entry for it (built here, or adopted
    already), else the file's entry ``was`` when that is a parameter of unknown class (what the caller passes
    in), else a new entry that names the file where it is built."""
    if oid is None:
        return None
    o = next((x for x in c.optimizers if x.get("id") == oid), None)
    if o is None:
        return None
    where = _where(c, o)
    for i, mine in enumerate(r.optimizers):
        if (mine.get("file") or r.path) == where and mine.get("line") == o.get("line"):
            if _weak_optimizer(mine) and not _weak_optimizer(o):
                r.optimizers[i] = _adopted(o, str(mine["id"]), where, r.path, [via])
            return str(mine["id"])
    for i, mine in enumerate(r.optimizers):
        if mine.get("id") == was and mine.get("class") is None and not mine.get("file"):
            r.optimizers[i] = _adopted(o, str(mine["id"]), where, r.path, [via])
            return str(mine["id"])
    used = {str(x.get("id")) for x in r.optimizers}
    n = len(r.optimizers) + 1
    while f"opt{n}" in used:
        n += 1
    new = _adopted(o, f"opt{n}", where, r.path, [via])
    r.optimizers.append(new)
    return str(new["id"])


def _call_text(c: FileResult, e: dict[str, Any], optimizer: bool = False) -> str:
    key = "optimizers" if optimizer else "schedulers"
    at = ((c.details.get("called_at") or {}).get(key) or {}).get(e.get("id"))
    return str(at) if at else c.path


__all__ = ["adopt_callers", "wants_callers", "CallerScope", "MAX_CALLER_ANALYSES", "MAX_SCAN_FILES"]
