"""Which files to audit: walking directories (skipping VCS, virtual environments, build output and
.gitignore'd paths), user excludes, and the cheap text prefilter that decides which files are worth parsing."""

from __future__ import annotations

import fnmatch
import os
import re
from dataclasses import dataclass, field
from typing import Iterable, Iterator

SKIP_DIRS = frozenset({
    ".git", ".hg", ".svn", ".venv", "venv", "env", ".env", "virtualenv", ".tox", ".nox", "node_modules",
    "build", "dist", "site-packages", "__pycache__", ".mypy_cache", ".pytest_cache", ".ruff_cache",
    ".lraudit_cache", ".ipynb_checkpoints", ".eggs", ".hypothesis", ".idea", ".vscode",
})
SOURCE_SUFFIXES = (".py", ".ipynb")

# Words without which a file cannot build or step an optimizer or scheduler, write a learning rate, or
# define a schedule lraudit recognises. Checked on the raw bytes, before decoding.
PREFILTER = re.compile(
    rb"optim|[Ss]chedul|lr_|_lr\b|\blr\b|learning_rate|LearningRate|param_groups|Adam|SGD|RMSprop|Adagrad|"
    rb"Adadelta|Adafactor|Lion|Lamb|LARS|Muon|Nadam|NAdam|Ftrl|OneCycle|Cyclic|Cosine|Plateau|Decay|"
    rb"TrainingArguments|configure_optimizers|create_scheduler|warmup"
)


def prefilter(data: bytes) -> bool:
    """True when the file may matter (no false negatives: see tests/test_prefilter.py)."""
    return PREFILTER.search(data) is not None


class MissingPath(Exception):
    pass


@dataclass
class Discovery:
    files: list[tuple[str, str]] = field(default_factory=list)  # (path on disk, display path)
    errors: list[tuple[str, str]] = field(default_factory=list)


def display_path(path: str, cwd: str) -> str:
    try:
        rel = os.path.relpath(path, cwd)
    except ValueError:
        rel = path
    if rel.startswith(".." + os.sep) and os.path.isabs(path):
        rel = path
    return rel.replace(os.sep, "/")


class _GitIgnores:
    """.gitignore files found while walking, applied to the paths below them."""

    def __init__(self) -> None:
        self.specs: dict[str, object] = {}

    def load(self, directory: str) -> None:
        path = os.path.join(directory, ".gitignore")
        if directory in self.specs or not os.path.isfile(path):
            return
        try:
            import pathspec

            with open(path, encoding="utf-8", errors="replace") as fh:
                lines = fh.read(1_000_000).splitlines()
            self.specs[directory] = pathspec.GitIgnoreSpec.from_lines(lines)
        except (OSError, ValueError, TypeError):
            return

    def ignored(self, path: str, is_dir: bool) -> bool:
        for directory, spec in self.specs.items():
            if path == directory or not path.startswith(directory.rstrip(os.sep) + os.sep):
                continue
            rel = os.path.relpath(path, directory).replace(os.sep, "/")
            if is_dir:
                rel += "/"
            if spec.match_file(rel):  # type: ignore[attr-defined]
                return True
        return False


def _excluded(display: str, patterns: Iterable[str]) -> bool:
    parts = display.split("/")
    for pat in patterns:
        pat = pat.rstrip("/")
        if fnmatch.fnmatch(display, pat) or fnmatch.fnmatch(display, pat + "/*"):
            return True
        if "/" not in pat and any(fnmatch.fnmatch(p, pat) for p in parts):
            return True
    return False


def discover(paths: Iterable[str], exclude: Iterable[str] = (), cwd: str | None = None,
             respect_gitignore: bool = True) -> Discovery:
    cwd = cwd or os.getcwd()
    exclude = list(exclude)
    out = Discovery()
    seen: set[str] = set()
    for raw in paths:
        path = os.path.abspath(raw)
        if not os.path.lexists(path):
            raise MissingPath(raw)
        if os.path.isdir(path):
            for f in _walk(path, exclude, cwd, respect_gitignore, out):
                real = os.path.realpath(f)
                if real not in seen:
                    seen.add(real)
                    out.files.append((f, display_path(f, cwd)))
        else:
            disp = display_path(path, cwd)
            real = os.path.realpath(path)
            if real not in seen:
                seen.add(real)
                out.files.append((path, disp))  # an explicitly named file is always audited
    out.files.sort(key=lambda fd: fd[1])
    return out


def _walk(root: str, exclude: list[str], cwd: str, respect_gitignore: bool, out: Discovery) -> Iterator[str]:
    ignores = _GitIgnores()
    if respect_gitignore:
        # .gitignore files of the directories above the root (up to the repository root) apply too
        d = root
        chain = []
        while True:
            chain.append(d)
            if os.path.isdir(os.path.join(d, ".git")):
                break
            parent = os.path.dirname(d)
            if parent == d:
                chain = [root]
                break
            d = parent
        for d in reversed(chain):
            ignores.load(d)
    visited: set[tuple[int, int]] = set()
    stack = [root]
    while stack:
        directory = stack.pop()
        try:
            st = os.stat(directory)
        except OSError as exc:
            out.errors.append((display_path(directory, cwd), f"cannot read directory: {exc.strerror}"))
            continue
        key = (st.st_dev, st.st_ino)
        if key in visited:  # symlink loops
            continue
        visited.add(key)
        if respect_gitignore:
            ignores.load(directory)
        try:
            entries = sorted(os.scandir(directory), key=lambda e: e.name)
        except OSError as exc:
            out.errors.append((display_path(directory, cwd), f"cannot read directory: {exc.strerror}"))
            continue
        subdirs = []
        for entry in entries:
            path = entry.path
            disp = display_path(path, cwd)
            try:
                is_dir = entry.is_dir()
            except OSError:
                continue
            if is_dir:
                if entry.name in SKIP_DIRS or entry.name.endswith(".egg-info"):
                    continue
                if os.path.isfile(os.path.join(path, "pyvenv.cfg")):
                    continue
                if _excluded(disp, exclude) or (respect_gitignore and ignores.ignored(path, True)):
                    continue
                subdirs.append(path)
            elif entry.name.endswith(SOURCE_SUFFIXES):
                if _excluded(disp, exclude) or (respect_gitignore and ignores.ignored(path, False)):
                    continue
                try:
                    if not entry.is_file():
                        continue
                except OSError:
                    continue
                yield path
        stack.extend(reversed(subdirs))
