"""Which files to audit: walking directories (skipping VCS, virtual environments, build output and
.gitignore'd paths), user excludes, and the cheap text prefilter that decides which files are worth parsing."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Iterable, Iterator

SKIP_DIRS = frozenset({
    ".git", ".hg", ".svn", ".venv", "venv", "env", ".env", "virtualenv", ".tox", ".nox", "node_modules",
    "build", "dist", "site-packages", "__pycache__", ".mypy_cache", ".pytest_cache", ".ruff_cache",
    ".lraudit_cache", ".ipynb_checkpoints", ".eggs", ".hypothesis", ".idea", ".vscode",
})
SOURCE_SUFFIXES = (".py", ".ipynb")
CONFIG_SUFFIXES = (".yaml", ".yml", ".json")  # candidates for the config readers (configs/), gated by content
WALKED_SUFFIXES = SOURCE_SUFFIXES + CONFIG_SUFFIXES

# ------------------------------------------------------------------------------------------- prefilter
# The prefilter reads raw bytes (before decoding) and admits a file when it contains any of the needles below.
# Every fact and finding lraudit produces needs one of them in the source text (tests/test_prefilter.py checks
# the derivation and proves, by analysing every rejected fixture anyway, that the gate has no false negatives):
#
# 1. A catalog name as a whole word: the last part of the qualified name or an alias of every catalog entry of
#    every kind (optimizers, schedulers, Keras schedules and callbacks, factories). A call resolves to an entry
#    only through an import or attribute that spells that name (``from torch.optim import SGD as S``,
#    ``optim.SGD``, ``from torch.optim import *`` then ``SGD``), so the name is always in the text.
#    Names that contain a cover word or an API word (below) need no needle of their own.
# 2. An lr-like identifier: ``lr`` not preceded by a letter or digit and not followed by a letter (``lr``,
#    ``base_lr``, ``lr_max``, ``lr2``, the key of ``group["lr"] = ...``), or ``learning_rate``. Rate writes
#    (hand-written schedules) and computed rates that never reach an optimizer (LR305) are named so.
# 3. API words: ``optim`` (torch.optim, keras.optimizers, ``optimizer.step()``, ``configure_optimizers``),
#    ``chedul`` (lr_scheduler, ``scheduler.step()``, LRScheduler and LearningRateSchedule subclasses),
#    ``param_groups``. ``optim`` does not count inside the English words that merely start with it
#    (optimal, optimum, optimize/optimise, optimized, optimizes, optimizing, optimization, optimistic):
#    they are common in ML docstrings and comments, and no API lraudit reads is spelled that way (an
#    optimizer built in such a file still spells its class, ``optim.`` or ``optimizer``).
# 4. Word pairs, both present, for framework adapters that build an optimizer no name in the file spells:
#    a Keras ``model.compile("adam")`` (or ``compile(loss=...)``, RMSprop by default) in a file that imports
#    keras or tensorflow, and a transformers/trl ``Trainer`` (AdamW plus a schedule).
#
# Cover words ("LR", "Adam", "Decay") stand for the many catalog names that contain them, so fewer needles
# are scanned. Not covered, by design: identifiers spelled with escapes or built at run time
# (``getattr(torch.optim, name)``), which lraudit does not resolve either; source in an encoding that is not
# ASCII-compatible (UTF-16, EBCDIC); and files that would only yield a parse error (LR901): a file that
# mentions no optimizer, scheduler or learning rate is not lraudit's business.
PREFILTER_API_WORDS: tuple[bytes, ...] = (b"optim", b"chedul", b"learning_rate", b"param_groups")
# API words that admit only where this pattern matches at one of their occurrences
PREFILTER_QUALIFIED: dict[bytes, "re.Pattern[bytes]"] = {
    b"optim": re.compile(rb"optim(?!al|um\b|a\b|i[sz]ation|i[sz]e\b|i[sz]ed\b|i[sz]es\b|i[sz]ing\b|istic)"),
}
PREFILTER_COVER_WORDS: tuple[bytes, ...] = (b"LR", b"Adam", b"Decay")
PREFILTER_PAIRS: tuple[tuple[bytes, bytes], ...] = (
    (b"compile", b"keras"),  # Keras model.compile(optimizer="adam") or compile(loss=...) (rmsprop by default)
    (b"compile", b"tensorflow"),
    (b"Trainer", b"transformers"),  # a transformers or trl Trainer builds AdamW and a schedule itself
    (b"Trainer", b"trl"),
)
# catalog entries that create nothing by themselves (they only size the run of objects created otherwise)
PREFILTER_NOT_CREATORS = ("Trainer", "TrainingArguments", "Seq2SeqTrainingArguments")
_LR_WORD = re.compile(rb"lr(?![A-Za-z])")
_WORDCHAR = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_")
_ALNUM = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")


@dataclass(frozen=True)
class Prefilter:
    """The compiled gate: ``substrings`` admit anywhere, ``names`` only as whole words, ``pairs`` together."""

    substrings: tuple[bytes, ...]
    names: tuple[bytes, ...]
    pairs: tuple[tuple[bytes, bytes], ...]
    names_re: "re.Pattern[bytes]"  # every name, longest first
    upper_re: "re.Pattern[bytes]"  # names that start with a capital letter: one scan (capitals are rare bytes)
    lower: tuple[bytes, ...]  # the other names, minus those containing another: one bytes search each

    def admits(self, data: bytes) -> bool:
        # bytes.__contains__ is a fast C search; a few passes over the file beat one regex with many branches
        for w in self.substrings:
            if w in data:
                q = PREFILTER_QUALIFIED.get(w)
                if q is None or q.search(data):
                    return True
        if b"lr" in data:
            for m in _LR_WORD.finditer(data):
                i = m.start()
                if i == 0 or data[i - 1] not in _ALNUM:
                    return True
        for m in self.upper_re.finditer(data):
            if _is_word_at(data, m.start(), m.end()):
                return True
        for w in self.lower:
            if w in data:
                for m in self.names_re.finditer(data):
                    if _is_word_at(data, m.start(), m.end()):
                        return True
                break
        for a, b in self.pairs:
            if a in data and b in data:
                return True
        return False


def _is_word_at(data: bytes, start: int, end: int) -> bool:
    return (start == 0 or data[start - 1] not in _WORDCHAR) and (end >= len(data) or data[end] not in _WORDCHAR)


def catalog_names() -> list[str]:
    """The last part of every catalog entry's qualified name and aliases (the names a call must spell)."""
    from .catalog import all_entries

    names: set[str] = set()
    for e in all_entries():
        for q in (e.qualname, *e.aliases):
            short = q.rsplit(".", 1)[-1]
            if short not in PREFILTER_NOT_CREATORS:
                names.add(short)
    return sorted(names)


def build_prefilter(names: Iterable[str]) -> Prefilter:
    """The gate for these catalog names plus the fixed API words, cover words and pairs."""
    substrings = PREFILTER_API_WORDS + PREFILTER_COVER_WORDS
    encoded = {n.encode("ascii") for n in names}
    own = tuple(sorted(n for n in encoded if not any(w in n for w in substrings)))
    upper = [n for n in own if n[:1].isupper()]
    lower = [n for n in own if not n[:1].isupper()]
    lower_needles = tuple(n for n in lower if not any(o != n and o in n for o in lower))
    return Prefilter(substrings, own, PREFILTER_PAIRS, _alternation(own), _alternation(upper), lower_needles)


def _alternation(words: Iterable[bytes]) -> "re.Pattern[bytes]":
    # longest first: at one position the whole name is tried before a shorter name it starts with
    words = sorted(words, key=lambda n: (-len(n), n))
    return re.compile(b"|".join(re.escape(n) for n in words) if words else rb"(?!)")


@lru_cache(maxsize=1)
def default_prefilter() -> Prefilter:
    return build_prefilter(catalog_names())


def prefilter(data: bytes) -> bool:
    """True when the file may yield a fact or a finding (no false negatives: see tests/test_prefilter.py)."""
    return default_prefilter().admits(data)


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
    """.gitignore files found while walking; each directory applies its own and its ancestors' specs."""

    def __init__(self) -> None:
        self.specs: dict[str, object] = {}

    def load(self, directory: str) -> object | None:
        if directory in self.specs:
            return self.specs[directory]
        spec = None
        path = os.path.join(directory, ".gitignore")
        if os.path.isfile(path):
            try:
                import pathspec

                with open(path, encoding="utf-8", errors="replace") as fh:
                    lines = fh.read(1_000_000).splitlines()
                spec = _load_spec(pathspec, lines)
            except (OSError, ValueError, TypeError):
                spec = None
        self.specs[directory] = spec
        return spec


class _AnyOf:
    """A .gitignore without negations (``!pattern``): a path is ignored when any pattern matches, so its
    patterns' regexes are tried as one alternation (pathspec tries them one by one, in Python)."""

    def __init__(self, regex: "re.Pattern[str]") -> None:
        self.regex = regex

    def match_file(self, path: str) -> bool:
        return self.regex.match(path) is not None


def _load_spec(pathspec: Any, lines: list[str]) -> object:
    """The .gitignore's matcher: one alternation of its patterns' regexes when it has no negation (each pattern
    translated by pathspec, compiled once, together), else pathspec's own spec."""
    try:
        from pathspec.patterns.gitignore.spec import GitIgnoreSpecPattern

        to_regex = GitIgnoreSpecPattern.pattern_to_regex
    except (ImportError, AttributeError):  # another pathspec layout: translate through a spec
        return _fast_spec(pathspec.GitIgnoreSpec.from_lines(lines))
    sources = []
    for line in lines:
        regex, include = to_regex(line)
        if include is None:
            continue
        if include is not True or not isinstance(regex, str):
            return _fast_spec(pathspec.GitIgnoreSpec.from_lines(lines))
        sources.append(regex.replace("(?P<ps_d>", "(?:"))
    if any("(?P<" in x for x in sources):
        return pathspec.GitIgnoreSpec.from_lines(lines)
    try:
        return _AnyOf(re.compile("|".join(f"(?:{x})" for x in sources) if sources else r"(?!)"))
    except re.error:
        return pathspec.GitIgnoreSpec.from_lines(lines)


def _fast_spec(spec: object) -> object:
    patterns = getattr(spec, "patterns", None)
    if not isinstance(patterns, list):
        return spec
    sources = []
    for p in patterns:
        include = getattr(p, "include", None)
        if include is None:
            continue
        regex = getattr(p, "regex", None)
        if include is not True or not isinstance(regex, re.Pattern) or regex.flags & ~re.UNICODE:
            return spec  # negations (or an unexpected pattern): pathspec decides
        sources.append(regex.pattern.replace("(?P<ps_d>", "(?:"))
    if "(?P<" in "".join(sources):
        return spec
    if not sources:
        return _AnyOf(re.compile(r"(?!)"))
    try:
        return _AnyOf(re.compile("|".join(f"(?:{x})" for x in sources)))
    except re.error:
        return spec


def _ignored(specs: tuple[tuple[str, object], ...], path: str, is_dir: bool) -> bool:
    """Whether one of ``specs`` (``(directory, spec)`` of the entry's directory and its ancestors) ignores it."""
    for directory, spec in specs:
        prefix = directory.rstrip(os.sep) + os.sep
        if not path.startswith(prefix):
            continue
        rel = path[len(prefix):]
        if os.sep != "/":
            rel = rel.replace(os.sep, "/")
        if spec.match_file(rel + "/" if is_dir else rel):  # type: ignore[attr-defined]
            return True
    return False


def _excluded(display: str, patterns: Iterable[str]) -> bool:
    from .config import path_matches

    return any(path_matches(pat, display) for pat in patterns)


class _Excludes:
    """The exclude globs compiled once (``config.path_matches`` semantics) for entries met during a walk.

    The walk never enters an excluded directory, so for an entry only its own name (patterns without ``/``
    match any one component) and its whole path (anchored patterns match a leading part of the path) are
    left to test: every shorter leading part is a directory that was tested when the walk met it, or lies
    above the walk's root, which is tested once with the full semantics.
    """

    def __init__(self, patterns: Iterable[str]) -> None:
        from .config import _glob_regex

        self.names: set[str] = set()
        component: list[str] = []
        anchored: list[str] = []
        for raw in patterns:
            pat = raw.strip()
            if pat.startswith("./"):
                pat = pat[2:]
            pat = pat.rstrip("/")
            if not pat:
                continue
            if "/" in pat:
                anchored.append(_glob_regex(pat).pattern)
            elif not any(c in pat for c in "*?["):
                self.names.add(pat)
            else:
                component.append(_glob_regex(pat).pattern)
        self.component = re.compile("|".join(f"(?:{x})" for x in component)) if component else None
        self.anchored = re.compile("|".join(f"(?:{x})" for x in anchored)) if anchored else None

    def entry(self, name: str, display: str) -> bool:
        if name in self.names or (self.component is not None and self.component.match(name)):
            return True
        return self.anchored is not None and self.anchored.match(display) is not None


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
            for f, disp in _walk(path, exclude, cwd, respect_gitignore, out):
                real = os.path.realpath(f)
                if real not in seen:
                    seen.add(real)
                    out.files.append((f, disp))
        else:
            disp = display_path(path, cwd)
            real = os.path.realpath(path)
            if real not in seen:
                seen.add(real)
                out.files.append((path, disp))  # an explicitly named file is always audited
    out.files.sort(key=lambda fd: fd[1])
    return out


def _walk(root: str, exclude: list[str], cwd: str, respect_gitignore: bool,
          out: Discovery) -> Iterator[tuple[str, str]]:
    """(path, display path) of every source file below ``root``, pruning excluded directories as it goes."""
    ignores = _GitIgnores()
    root_specs: tuple[tuple[str, object], ...] = ()
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
        for d in reversed(chain[1:]):
            spec = ignores.load(d)
            if spec is not None:
                root_specs += ((d, spec),)
    root_display = display_path(root, cwd)
    if exclude and _excluded(root_display, exclude):
        return  # every path below matches the glob that matches the root
    excludes = _Excludes(exclude)
    visited: set[tuple[int, int]] = set()
    inside = os.path.join(os.path.realpath(root), "")
    stack: list[tuple[str, str, tuple[tuple[str, object], ...]]] = [(root, root_display, root_specs)]
    while stack:
        directory, ddisp, specs = stack.pop()
        try:
            st = os.stat(directory)
        except OSError as exc:
            out.errors.append((ddisp, f"cannot read directory: {exc.strerror}"))
            continue
        key = (st.st_dev, st.st_ino)
        if key in visited:  # symlink loops
            continue
        visited.add(key)
        if respect_gitignore:
            spec = ignores.load(directory)
            if spec is not None:
                specs = specs + ((directory, spec),)
        try:
            entries = sorted(os.scandir(directory), key=lambda e: e.name)
        except OSError as exc:
            out.errors.append((ddisp, f"cannot read directory: {exc.strerror}"))
            continue
        base = "" if ddisp == "." else ddisp + "/"
        subdirs = []
        for entry in entries:
            name = entry.name
            path = entry.path
            disp = base + name
            try:
                is_dir = entry.is_dir()
            except OSError as exc:  # a symbolic link loop (x.py -> y.py -> x.py)
                if name.endswith(WALKED_SUFFIXES):
                    out.errors.append((disp, f"cannot read: {exc.strerror or exc}"))
                continue
            if is_dir:
                if name in SKIP_DIRS or name.endswith(".egg-info"):
                    continue
                if entry.is_symlink() and not os.path.join(os.path.realpath(path), "").startswith(inside):
                    continue  # a link to a directory outside the tree (`data -> /`): not part of this code
                if os.path.isfile(os.path.join(path, "pyvenv.cfg")):
                    continue
                if excludes.entry(name, disp) or (specs and _ignored(specs, path, True)):
                    continue
                subdirs.append((path, disp, specs))
            elif name.endswith(WALKED_SUFFIXES):
                if excludes.entry(name, disp) or (specs and _ignored(specs, path, False)):
                    continue
                try:
                    if not entry.is_file():
                        continue
                except OSError:
                    continue
                yield path, disp
        stack.extend(reversed(subdirs))
