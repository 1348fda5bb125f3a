"""The repository a file belongs to: its root, its modules by import name, and what each module defines.

Nothing here imports or executes analysed code. A module is read and parsed only when an analysis asks for one of
its names, and parsed modules are kept for the rest of the run in this process (within a size budget), so a
repository of 50,000 files costs only the modules the checked files actually import.

* **Root**: the nearest directory above the file that holds ``.git``, ``pyproject.toml``, ``setup.py`` or
  ``setup.cfg``; without one, the working directory when the file is under it, else the file's directory.
* **Import roots** of an importing file, in the order Python would search them: directories the file inserts
  into ``sys.path`` (``sys.path.insert(0, os.path.dirname(os.path.dirname(__file__)))``, resolved at the file's
  real location), the file's own directory (a script's ``sys.path[0]``), then the root and ``root/src`` (an
  installed or ``PYTHONPATH=.`` checkout, src layouts). Packages with and without ``__init__.py`` count.
* **Names**: ``resolve(qualified, importer)`` turns an import table entry (``engine.trainer.train``,
  ``.training.cfg``) into the module file and the attribute path inside it; ``definition`` follows a name to
  the module that defines it (``__init__.py`` re-exports, aliases, star imports, submodules), bounded and with
  cycles detected. Names outside the repository (torch, pip packages) give None: they keep their meaning.
  A name two import roots provide differently is ambiguous and stays unknown, with the reason.

Every module file found (and every module read) is noted as a dependency of the result being computed, also on
a memo hit, so the result cache records it with its content hash (see cache.py): editing or removing a module
invalidates the entries that read it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

from .versions import ROOT_MARKERS  # one definition of what marks a repository root
MAX_MODULE_BYTES = 1_000_000  # larger modules are not parsed for their definitions
MEMO_SOURCE_BYTES = 1_000_000  # parsed modules kept per process (libcst trees are large): least recent go first
MAX_REEXPORT_HOPS = 6
LIBRARY_ROOTS = frozenset({
    "torch", "numpy", "np", "math", "os", "sys", "keras", "tensorflow", "tf", "transformers", "timm",
    "lightning", "pytorch_lightning", "accelerate", "jax", "optax", "yaml", "json", "argparse", "typing",
    "dataclasses", "collections", "functools", "itertools", "random", "torchvision", "datasets", "wandb",
    "logging", "time", "pathlib", "re", "copy", "scipy", "sklearn", "pandas", "tqdm", "PIL", "cv2", "flax",
    "deepspeed", "apex", "mmcv", "mmengine", "detectron2", "omegaconf", "hydra", "tf_keras", "warnings",
    "abc", "enum", "shutil", "glob", "pickle", "subprocess", "contextlib", "inspect", "importlib", "__future__",
})


@dataclass
class Unit:
    """One parsed module of the repository."""

    path: str  # absolute path of the file
    rel: str  # path relative to the repository root, with "/" (what sources and findings name)
    module: Any  # libcst Module
    text: str
    size: int
    locator: Any = None  # positions in this module (extract/link.py), shared by every file that links it
    offered: bool = False  # the parse of a checked file, not yet compared with the file on disk (Repository.offer)


@dataclass(frozen=True)
class Target:
    """Where an imported name points inside the repository: a module file and the attribute path in it."""

    path: str  # the module file (``pkg/__init__.py`` for a package)
    attrs: tuple[str, ...]  # names inside that module ("" parts none: the module itself)


@dataclass(frozen=True)
class Ambiguous:
    reason: str


def _note(path: str) -> None:
    """Record ``path`` as a dependency of the result being computed (a memo hit does not probe again)."""
    from .cache import note_dependency

    note_dependency(path)


_PROBES: list[list[str]] = []  # the paths each resolve() in progress looked for (see Repository.resolve)


def _isfile(path: str) -> bool:
    """Whether a candidate module file exists; one that does is a dependency of the result being computed (and of
    every later answer to the same question). The absent candidates tried before it are recorded as absent: a
    module that appears later where an earlier import root (or a longer module path) would find it invalidates
    the entry."""
    from .cache import _ORIGINAL_ISFILE

    found = _ORIGINAL_ISFILE(path)
    if found:
        for log in _PROBES:
            log.extend(_ABSENT_PROBES[-1] if _ABSENT_PROBES else ())
            log.append(path)
        if _ABSENT_PROBES:
            for absent in _ABSENT_PROBES[-1]:
                _note(absent)
            _ABSENT_PROBES[-1].clear()
        _note(path)
    elif _ABSENT_PROBES:
        _ABSENT_PROBES[-1].append(path)
    return found


# the candidates a resolve() in progress found absent so far: recorded (as absent) only once a later candidate is
# found, since a module appearing there would change the answer; an import that finds nothing in the repository
# (a library's name) records none of them
_ABSENT_PROBES: list[list[str]] = []


def find_root(path: str, cwd: str | None = None) -> str:
    """The repository root of one file (see the module docstring); the marker search is ``versions.find_root``'s."""
    from .versions import find_root as marked_root

    start = os.path.dirname(os.path.abspath(path))
    found = marked_root([start], cwd)
    if found is not None and (start == str(found) or start.startswith(str(found).rstrip(os.sep) + os.sep)):
        return str(found)
    d = start  # a path through a symbolic link: the same search on the path as given
    while True:
        for m in ROOT_MARKERS:
            if os.path.exists(os.path.join(d, m)):
                return d
        parent = os.path.dirname(d)
        if parent == d:
            break
        d = parent
    cwd = os.path.abspath(cwd or os.getcwd())
    if start == cwd or start.startswith(cwd.rstrip(os.sep) + os.sep):
        return cwd
    return start


@dataclass
class Repository:
    root: str
    units: dict[str, Unit | str] = field(default_factory=dict)  # realpath -> parsed unit or why not
    _memo_bytes: int = 0
    parsed: int = 0  # modules this process parsed for the repository model (counted for the benchmark)
    parsed_paths: set[str] = field(default_factory=set)
    _admits: dict[str, bool] = field(default_factory=dict)
    _resolved: dict[tuple[str, str, tuple[str, ...]], tuple[Any, tuple[str, ...]]] = field(default_factory=dict)
    _entries: dict[str, list[str]] | None = None

    # ------------------------------------------------------------------------------------- entry points
    def console_entries(self) -> dict[str, list[str]]:
        """The command-line entry points the repository declares (``[project.scripts]``, Poetry's scripts,
        ``console_scripts`` in setup.cfg or a literal ``entry_points=`` of setup.py, read without running it):
        the real path of each target module -> the functions named, as ``name = function``."""
        if self._entries is None:
            self._entries = {}
            for name, spec in sorted(_declared_scripts(self.root)):
                mod, _, func = spec.partition(":")
                mod, func = mod.strip(), func.strip().split("[", 1)[0].strip()
                if not mod or not func:
                    continue
                target = self.resolve(mod, os.path.join(self.root, "setup.py"))
                if isinstance(target, Target) and not target.attrs:
                    self._entries.setdefault(os.path.realpath(target.path), []).append(f"{name} = {func}")
        for f in _SCRIPT_FILES:
            _note(os.path.join(self.root, f))
        return self._entries

    # ------------------------------------------------------------------------------------------ names
    def rel(self, path: str) -> str:
        try:
            r = os.path.relpath(path, self.root)
        except ValueError:
            return path
        return path if r.startswith("..") else r.replace(os.sep, "/")

    def import_roots(self, importer: str, inserted: list[str] = ()) -> list[tuple[str, bool]]:
        """(directory, certain) in search order; ``certain``: Python searches it whatever the run's setup."""
        here = os.path.dirname(os.path.abspath(importer))
        out: list[tuple[str, bool]] = []
        for d in list(inserted) + [here]:
            d = os.path.normpath(d)
            if all(d != o for o, _ in out):
                out.append((d, True))
        for d in (self.root, os.path.join(self.root, "src")):
            if all(d != o for o, _ in out):
                out.append((d, False))
        return out

    def module_file(self, parts: list[str], base: str) -> str | None:
        """``base/a/b.py`` or ``base/a/b/__init__.py`` (or a namespace package directory ``base/a/b``)."""
        if not parts or any(not p.isidentifier() for p in parts):
            return None
        stem = os.path.join(base, *parts)
        if _isfile(stem + ".py"):
            return stem + ".py"
        init = os.path.join(stem, "__init__.py")
        if _isfile(init):
            return init
        if os.path.isdir(stem) and len(parts) >= 1 and _is_namespace(stem):
            return stem  # a package without __init__.py
        return None

    def resolve(self, qualified: str, importer: str, inserted: list[str] = ()) -> Target | Ambiguous | None:
        """The module and attributes an import-table name stands for; None when it is not in the repository.

        Memoised per run: a repeated question notes the files the first answer looked for again (they are
        dependencies of every result that asks it)."""
        key = (qualified, os.path.dirname(os.path.abspath(importer)), tuple(inserted))
        hit = self._resolved.get(key)
        if hit is not None:
            for p in hit[1]:
                _note(p)
            return hit[0]
        log: list[str] = []
        _PROBES.append(log)
        _ABSENT_PROBES.append([])
        try:
            result = self._resolve(qualified, importer, inserted)
        finally:
            _PROBES.remove(log)
            _ABSENT_PROBES.pop()
        if len(self._resolved) > 50_000:
            self._resolved.clear()
        self._resolved[key] = (result, tuple(log))
        return result

    def _resolve(self, qualified: str, importer: str, inserted: list[str] = ()) -> Target | Ambiguous | None:
        level = len(qualified) - len(qualified.lstrip("."))
        parts = [p for p in qualified.lstrip(".").split(".") if p]
        if not parts:
            return None
        if level:
            base = os.path.dirname(os.path.abspath(importer))
            for _ in range(level - 1):
                base = os.path.dirname(base)
            for split in range(len(parts), 0, -1):
                f = self.module_file(parts[:split], base)
                if f is not None:
                    return Target(f, tuple(parts[split:]))
            init = os.path.join(base, "__init__.py")
            if _isfile(init):
                return Target(init, tuple(parts))
            if os.path.isdir(base):
                return Target(base, tuple(parts))  # `from . import x` in a namespace package
            return None
        if parts[0] in LIBRARY_ROOTS:
            return None
        found: list[tuple[Target, bool]] = []
        for base, certain in self.import_roots(importer, inserted):
            for split in range(len(parts), 0, -1):
                f = self.module_file(parts[:split], base)
                if f is not None:
                    found.append((Target(f, tuple(parts[split:])), certain))
                    break
            if found and found[0][1]:
                break  # a certain root (inserted, or the script's directory) that has it decides
        if not found:
            return None
        first = found[0][0]
        if found[0][1]:
            return first
        others = [t for t, _ in found[1:] if os.path.realpath(t.path) != os.path.realpath(first.path)]
        if others:
            return Ambiguous(f"{qualified} could be {self.rel(first.path)} or {self.rel(others[0].path)} "
                             "(two import roots of the repository provide it)")
        return first

    # ------------------------------------------------------------------------------------------ units
    def admits(self, path: str) -> bool:
        """Whether the module's text passes the prefilter (may build or step an optimizer or scheduler): linking
        code into a file's analysis parses only such modules (values read any module, on demand)."""
        _note(path)
        try:
            st = os.stat(path)
        except OSError:
            return False
        key = f"{os.path.realpath(path)}:{st.st_size}:{st.st_mtime_ns}"
        hit = self._admits.get(key)
        if hit is None:
            from .discover import prefilter
            from .runner import read_source

            data = read_source(path) if st.st_size <= MAX_MODULE_BYTES else ""
            hit = isinstance(data, bytes) and (prefilter(data) or b".step(" in data)
            self._admits[key] = hit
        return hit

    # ------------------------------------------------------------------------------------------ units
    def unit(self, path: str) -> Unit | str:
        """The parsed module at ``path``, or why it cannot be read (memoised for the run)."""
        _note(path)
        key = self._unit_key(path)  # an edited file is read again
        hit = self.units.get(key)
        if hit is not None and not (isinstance(hit, Unit) and hit.offered):
            if isinstance(hit, Unit):  # most recently used last
                self.units.pop(key)
                self.units[key] = hit
            return hit
        offered = self.units.pop(key, None)
        if isinstance(offered, Unit):
            self._memo_bytes -= offered.size
        result = self._load(path, offered)
        self._remember(key, result)
        return result

    def _remember(self, key: str, value: Unit | str) -> None:
        """Memoise a unit (or why not), keeping the parsed sources under MEMO_SOURCE_BYTES (oldest out first)."""
        self.units[key] = value
        if isinstance(value, Unit):
            self._memo_bytes += value.size
            while self._memo_bytes > MEMO_SOURCE_BYTES and len(self.units) > 1:
                old = self.units.pop(next(iter(self.units)))
                if isinstance(old, Unit):
                    self._memo_bytes -= old.size

    def _unit_key(self, path: str) -> str:
        try:
            st = os.stat(path)
            return f"{os.path.realpath(path)}:{st.st_size}:{st.st_mtime_ns}"
        except OSError:
            return os.path.realpath(path)

    def parsed_module(self, path: str, text: str) -> Any:
        """The module already parsed for ``path`` when it was parsed from exactly ``text`` (a checked file that
        another checked file imported first); None otherwise."""
        hit = self.units.get(self._unit_key(path))
        return hit.module if isinstance(hit, Unit) and hit.text == text else None

    def offer(self, path: str, text: str, module: Any) -> None:
        """A checked file's parse, kept for the files that import it later in the run (parsed once, not twice).
        Its text may not be the file's (a fix not yet written): ``unit`` uses it only once the file's own text,
        read there anyway, is the same."""
        key = self._unit_key(path)
        if key in self.units or len(text) > MAX_MODULE_BYTES:
            return
        self._remember(key, Unit(os.path.abspath(path), self.rel(path), module, text, len(text), offered=True))

    def _load(self, path: str, offered: Unit | None = None) -> Unit | str:
        from .parse import ParseFailure, decode_source, parse_source
        from .runner import read_source

        rel = self.rel(path)
        if os.path.isdir(path):
            return f"{rel} is a package without __init__.py"
        if not _isfile(path):
            return f"{rel} does not exist"
        try:
            if os.path.getsize(path) > MAX_MODULE_BYTES:
                return f"{rel} is over {MAX_MODULE_BYTES:,} bytes; not read"
        except OSError as exc:
            return f"{rel} cannot be read: {exc.strerror or exc}"
        data = read_source(path)
        if isinstance(data, str):
            return f"{rel}: {data}"
        text = decode_source(data)
        if isinstance(text, ParseFailure):
            return f"{rel} could not be decoded: {text.reason}"
        if offered is not None and offered.text == text:
            return Unit(os.path.abspath(path), rel, offered.module, text, len(data))
        module = parse_source(text)
        if isinstance(module, ParseFailure):
            return f"{rel} does not parse: {module.reason}"
        self.parsed += 1
        self.parsed_paths.add(os.path.abspath(path))
        return Unit(os.path.abspath(path), rel, module, text, len(data))


def _is_namespace(directory: str) -> bool:
    """A directory that holds Python modules (a package without ``__init__.py``)."""
    try:
        with os.scandir(directory) as it:
            for entry in it:
                if entry.name.endswith(".py") or (entry.is_dir(follow_symlinks=False)
                                                  and os.path.isfile(os.path.join(entry.path, "__init__.py"))):
                    return True
    except OSError:
        return False
    return False


_REPOS: dict[str, Repository] = {}
_ROOTS: dict[str, str] = {}


_SCRIPT_FILES = ("pyproject.toml", "setup.cfg", "setup.py")


def _declared_scripts(root: str) -> list[tuple[str, str]]:
    """``(command, "module:function")`` pairs declared in the root's packaging files."""
    out: list[tuple[str, str]] = []
    text = _read_text(os.path.join(root, "pyproject.toml"))
    if text is not None:
        from .config import _toml_module

        mod = _toml_module()
        try:
            doc = mod.loads(text) if mod is not None else {}
        except Exception:  # a broken pyproject.toml declares nothing
            doc = {}
        project = doc.get("project") if isinstance(doc.get("project"), dict) else {}
        poetry = (doc.get("tool") or {}).get("poetry") if isinstance(doc.get("tool"), dict) else None
        for table in (project.get("scripts"), poetry.get("scripts") if isinstance(poetry, dict) else None):
            if isinstance(table, dict):
                out += [(k, v) for k, v in table.items() if isinstance(k, str) and isinstance(v, str)]
    text = _read_text(os.path.join(root, "setup.cfg"))
    if text is not None:
        import configparser

        cp = configparser.ConfigParser(interpolation=None)
        try:
            cp.read_string(text)
            value = cp.get("options.entry_points", "console_scripts", fallback="")
        except configparser.Error:
            value = ""
        out += _entry_lines(value.splitlines())
    text = _read_text(os.path.join(root, "setup.py"))
    if text is not None and "console_scripts" in text:
        import ast

        try:
            tree = ast.parse(text)
        except (SyntaxError, ValueError, RecursionError):
            tree = None
        for node in ast.walk(tree) if tree is not None else ():
            if isinstance(node, ast.keyword) and node.arg == "entry_points" and isinstance(node.value, ast.Dict):
                for k, v in zip(node.value.keys, node.value.values):
                    if isinstance(k, ast.Constant) and k.value == "console_scripts":
                        items = v.elts if isinstance(v, (ast.List, ast.Tuple)) else [v]
                        out += _entry_lines([e.value for e in items
                                             if isinstance(e, ast.Constant) and isinstance(e.value, str)])
    return out


def _entry_lines(lines: list[str]) -> list[tuple[str, str]]:
    pairs = []
    for line in lines:
        name, eq, spec = line.partition("=")
        if eq and name.strip() and ":" in spec:
            pairs.append((name.strip(), spec.strip()))
    return pairs


def _read_text(path: str, limit: int = 1 << 20) -> str | None:
    try:
        with open(path, "rb") as fh:
            data = fh.read(limit + 1)
    except OSError:
        return None
    if len(data) > limit:
        return None
    return data.decode("utf-8", "replace")


def repository_for(path: str, cwd: str | None = None) -> Repository:
    """The repository of ``path`` (one per root per process; its parsed modules are shared by every file)."""
    d = os.path.dirname(os.path.abspath(path))
    root = _ROOTS.get(d)
    if root is None:
        root = find_root(path, cwd)
        _ROOTS[d] = root
    repo = _REPOS.get(root)
    if repo is None:
        repo = _REPOS[root] = Repository(root)
    return repo


def parsed_modules() -> int:
    """How many modules this process parsed for the repository model (beyond the files it analysed)."""
    return sum(r.parsed for r in _REPOS.values())


def parsed_files() -> set[str]:
    """The files this process parsed for the repository model (the benchmark's "imported modules")."""
    out: set[str] = set()
    for r in _REPOS.values():
        out |= r.parsed_paths
    return out


def reset() -> None:
    """Forget every repository (tests; a long-lived process after files changed)."""
    _REPOS.clear()
    _ROOTS.clear()


__all__ = ["Repository", "Unit", "Target", "Ambiguous", "repository_for", "find_root", "parsed_modules", "reset"]
