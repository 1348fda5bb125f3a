"""Check `lraudit check --fix` on a copy of a tree: byte-exact outside what the fixes name, idempotent, effective.

    python scripts/fix_roundtrip.py TREE [TREE...]

For each tree (copied to a temporary directory first; the original is never touched):

1. `check --diff` writes nothing (every file's bytes are unchanged);
2. `check --fix` changes only the lines the safe fixes' edits name (every other line of every file, and every
   file without a fix, byte for byte as before);
3. the fixed files no longer have a finding with a safe fix (except on lines a suppression comment protects);
4. a second `check --fix` changes nothing.

Prints one line per tree and exits 1 when a check fails. tests/test_fix.py runs it on the fixtures.
"""

from __future__ import annotations

import difflib
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SRC = ROOT / "src"
sys.path.insert(0, str(SRC))


@dataclass
class TreeReport:
    tree: str
    files: int = 0
    fixable: int = 0  # findings with a safe fix before
    changed_files: int = 0
    changed_lines: int = 0
    problems: list[str] = field(default_factory=list)

    def line(self) -> str:
        status = "ok" if not self.problems else f"{len(self.problems)} problem(s)"
        return (f"{self.tree}: {self.files} files, {self.fixable} safe fixes, {self.changed_files} files and "
                f"{self.changed_lines} lines changed: {status}")


def _snapshot(root: Path) -> dict[str, bytes]:
    out = {}
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if d not in (".git", ".lraudit_cache")]
        for name in filenames:
            p = Path(dirpath) / name
            if p.is_file() and not p.is_symlink():
                out[p.relative_to(root).as_posix()] = p.read_bytes()
    return out


def _cli(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PYTHONPATH=str(SRC), KERAS_BACKEND="torch", LRAUDIT_NO_CACHE="1")
    env.pop("CI", None)
    return subprocess.run([sys.executable, "-m", "lraudit.cli", "check", "--no-cache", "-q", *args, "."], cwd=cwd,
                          capture_output=True, text=True, env=env, timeout=3600)


def _touched_lines(findings: list) -> dict[str, set[int]]:
    out: dict[str, set[int]] = {}
    for f in findings:
        if f.fix is None or f.fix.applicability != "safe":
            continue
        lines = out.setdefault(f.path, set())
        for e in f.fix.edits:
            last = e.end_line - 1 if e.end_column == 1 and e.end_line > e.line else e.end_line
            lines.update(range(e.line, last + 1))
    return out


def _changed_lines(before: bytes, after: bytes) -> set[int]:
    a = before.decode("utf-8", "replace").splitlines()
    b = after.decode("utf-8", "replace").splitlines()
    changed: set[int] = set()
    for tag, i1, i2, _, _ in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag in ("replace", "delete"):
            changed.update(range(i1 + 1, i2 + 1))
        elif tag == "insert":
            changed.add(i1 if i1 else 1)
    return changed


def verify_tree(tree: str | Path) -> TreeReport:
    from lraudit.analyze import AnalysisOptions
    from lraudit.api import audit_paths

    tree = Path(tree)
    report = TreeReport(str(tree))
    with tempfile.TemporaryDirectory(prefix="lraudit-fix-") as tmp:
        work = Path(tmp) / tree.name
        shutil.copytree(tree, work, symlinks=True, ignore=shutil.ignore_patterns(".git", ".lraudit_cache"))
        before = _snapshot(work)
        cwd = os.getcwd()
        os.chdir(work)
        try:
            first = audit_paths(["."], AnalysisOptions(want_curves=False), jobs=1)
        finally:
            os.chdir(cwd)
        report.files = first.files_checked
        touched = _touched_lines(first.findings)
        report.fixable = sum(1 for f in first.findings if f.fix is not None and f.fix.applicability == "safe")
        res = _cli(work, "--diff")
        if _snapshot(work) != before:
            report.problems.append("--diff changed files")
        if report.fixable and res.returncode != 1:
            report.problems.append(f"--diff exited {res.returncode} with fixes to apply")
        _cli(work, "--fix")
        after = _snapshot(work)
        for rel in sorted(set(before) | set(after)):
            if before.get(rel) == after.get(rel):
                continue
            if rel not in before or rel not in after:
                report.problems.append(f"{rel}: file created or removed")
                continue
            display = rel
            allowed = touched.get(display, set())
            changed = _changed_lines(before[rel], after[rel])
            report.changed_files += 1
            report.changed_lines += len(changed)
            outside = sorted(changed - allowed)
            if outside:
                report.problems.append(f"{rel}: lines {outside[:5]} changed but no fix names them")
        os.chdir(work)
        try:
            second = audit_paths(["."], AnalysisOptions(want_curves=False), jobs=1)
        finally:
            os.chdir(cwd)
        left = [f for f in second.findings if f.fix is not None and f.fix.applicability == "safe"]
        from lraudit.suppress import parse_suppressions

        for f in left:
            text = (work / f.path).read_text(encoding="utf-8", errors="replace")
            s = parse_suppressions(text)
            if not any(e.line in s.line_all or e.line in s.line_selectors for e in f.fix.edits):  # type: ignore
                report.problems.append(f"{f.path}:{f.line}: {f.code} still has a safe fix after --fix")
        _cli(work, "--fix")
        if _snapshot(work) != after:
            report.problems.append("a second --fix changed files")
    return report


def main(argv: list[str]) -> int:
    failed = False
    for tree in argv:
        r = verify_tree(tree)
        print(r.line())
        for p in r.problems:
            print("  " + p)
        failed |= bool(r.problems)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
