"""The library API: ``audit_paths`` and ``audit_source`` return results; nothing here prints."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any, Iterable

from .analyze import AnalysisOptions, analyze_bytes, analyze_text
from .results import FileResult, Finding


_CONFIG_SKIPS = ("not-a-config", "config-too-large")


@dataclass
class AuditReport:
    results: list[FileResult] = field(default_factory=list)  # every file considered, sorted by path
    errors: list[tuple[str, str]] = field(default_factory=list)  # (path, message): unreadable paths, bad files
    paths: dict[str, str] = field(default_factory=dict)  # displayed path -> the path that was read

    @property
    def findings(self) -> list[Finding]:
        out = [f for r in self.results for f in r.findings]
        return sorted(out, key=Finding.sort_key)

    @property
    def files_checked(self) -> int:
        """Files considered: every script, and the YAML/JSON files that are configs (the others are counted in
        ``config_summary``)."""
        return sum(1 for r in self.results if not (r.skipped and r.details.get("skip") in _CONFIG_SKIPS))

    def config_summary(self) -> dict[str, Any] | None:
        """``{"analysed": n, "skipped": {"not-a-config": n, "config-too-large": n}}``; None when no file was a
        config candidate (no YAML/JSON file, no config-like Python file)."""
        analysed = sum(1 for r in self.results if "config" in r.details)
        skipped = {k: sum(1 for r in self.results if r.skipped and r.details.get("skip") == k) for k in _CONFIG_SKIPS}
        if not analysed and not any(skipped.values()):
            return None
        return {"analysed": analysed, "skipped": skipped}

    def all_errors(self) -> list[tuple[str, str]]:
        errs = list(self.errors)
        errs.extend((r.path, r.error) for r in self.results if r.error)
        return sorted(set(errs))


def audit_source(text: str, path: str = "example.py", *, select: Iterable[str] | None = None,
                 steps: int | None = None, options: dict[str, dict[str, Any]] | None = None,
                 severity: dict[str, str] | None = None, overrides: dict[str, str] | None = None) -> FileResult:
    """Audit one source text as if it were the file ``path`` (configs resolve relative to it); ``overrides`` are
    ``--set KEY=VALUE`` pairs (the run to analyse instead of the default run)."""
    enabled = None
    if select is not None:
        from .engine import bound_rules
        from .selection import select_rules

        rules = [r for r, _ in bound_rules().values()]
        enabled = frozenset(select_rules(rules, list(select), None))
    opts = AnalysisOptions(
        steps=steps,
        enabled=enabled,
        rule_options=tuple(sorted((c, tuple(sorted(o.items()))) for c, o in (options or {}).items())),
        severity=tuple(sorted((severity or {}).items())),
        overrides=tuple(sorted((overrides or {}).items())),
    )
    return analyze_text(text, path, path.replace(os.sep, "/"), opts)


def audit_paths(paths: Iterable[str], opts: AnalysisOptions | None = None, *, exclude: Iterable[str] = (),
                jobs: int | None = None, cache_dir: str | None = None, cwd: str | None = None,
                respect_gitignore: bool = True, progress: Any = None) -> AuditReport:
    """Discover, prefilter and analyse files. Raises ``discover.MissingPath`` for a path that does not exist.

    ``progress(done, total)`` (optional) is called as files are settled and analysed."""
    from .discover import discover
    from .runner import run_files

    opts = opts or AnalysisOptions()
    paths = list(paths) or ["."]
    exclude = list(exclude)
    found = discover(paths, exclude, cwd=cwd, respect_gitignore=respect_gitignore)
    explicit = {os.path.abspath(p) for p in paths if os.path.isfile(p)}
    from .callers import CallerScope

    scope = CallerScope(tuple(os.path.abspath(p) for p in paths), tuple(exclude), respect_gitignore,
                        os.path.abspath(cwd or os.getcwd()))
    results = run_files(found.files, opts, explicit=explicit, jobs=jobs, cache_dir=cache_dir, progress=progress,
                        callers=scope)
    return AuditReport(results=sorted(results, key=lambda r: r.path), errors=sorted(found.errors),
                       paths={display: path for path, display in found.files})


__all__ = ["audit_source", "audit_paths", "AuditReport", "analyze_bytes"]
