"""``--fix`` / ``--diff`` over a whole report: fix each file that has applicable fixes, write atomically (keeping
the file's permissions), and put the re-analysed results in the report so that what is printed, and the exit
code, are the findings that remain."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

from .fixer import FileFix, applicable, fix_file
from .results import Finding


@dataclass
class FixRun:
    files: list[FileFix] = field(default_factory=list)
    write_errors: list[str] = field(default_factory=list)

    @property
    def applied(self) -> int:
        return sum(f.applied for f in self.files if f.changed)

    @property
    def files_changed(self) -> int:
        return sum(1 for f in self.files if f.changed)

    def diff(self) -> str:
        return "".join(f.diff() for f in self.files if f.changed)

    def diff_summary(self) -> str:
        if not self.applied:
            return "lraudit: nothing to fix."
        return (f"lraudit: would fix {self.applied} problem{'s' if self.applied != 1 else ''} in "
                f"{self.files_changed} file{'s' if self.files_changed != 1 else ''} (nothing written).")

    def refusals(self) -> list[str]:
        out = [f"{f.display}: not fixed: {f.refused}" for f in self.files if f.refused]
        return out + self.write_errors


def run_fixes(report: Any, opts: Any, *, unsafe: bool, keep: Callable[[list[Finding]], list[Finding]],
              write: bool) -> FixRun:
    from .safe_write import write_atomic

    run = FixRun()
    for i, result in enumerate(report.results):
        if not any(f.path == result.path and applicable(f, unsafe) for f in keep(list(result.findings))):
            continue
        path = report.paths.get(result.path)
        if path is None:
            continue
        ff = fix_file(path, result.path, opts, unsafe=unsafe, keep=keep)
        run.files.append(ff)
        if not ff.changed or not write:
            continue
        try:
            write_atomic(path, ff.fixed)  # type: ignore[arg-type]
        except OSError as exc:
            run.write_errors.append(f"{result.path}: cannot write the fixed file: {exc}")
            ff.fixed = None
            continue
        if ff.result is not None:
            report.results[i] = ff.result
    return run


__all__ = ["FixRun", "run_fixes"]
