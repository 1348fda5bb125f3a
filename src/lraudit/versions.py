"""Which library versions a repository targets, and whether a version-dependent finding applies to them.

Read statically (nothing is imported or executed): ``requirements*.txt`` (with ``-r`` includes and ``-c``
constraints), ``setup.py`` (``install_requires``/``extras_require`` as literals), ``setup.cfg``,
``pyproject.toml`` (``[project]`` dependencies and optional dependencies, ``[dependency-groups]``, Poetry, PDM),
``environment.yml``, ``Pipfile``, the lock files ``poetry.lock``, ``uv.lock``, ``Pipfile.lock`` and
``pdm.lock``, and the ``pip install`` lines and ``FROM`` images of a ``Dockerfile``. Specifiers are interpreted
with the ``packaging`` library.

Precedence, strongest first: ``--target-version`` on the command line, ``[tool.lraudit] target-versions``, lock
files (exact versions), then every declared requirement (their intersection). When none of those name a
package, the code's own style is a weak signal (standalone Keras with modules only Keras 2 has, TF1 sessions,
``torch.autograd.Variable``). See the README (Target versions) for the policy when nothing is declared.

A rule's ``versions:`` YAML field (validated by registry.py) describes each version-dependent case: the package,
the ranges where the finding applies with what happens there, and the fix. :func:`judge` decides a case for the
targeted versions; checks read the targets from ``CheckContext.versions``.
"""

from __future__ import annotations

import ast
import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Iterator, Sequence

#: The packages whose versions change what lraudit reports (canonical distribution names).
PACKAGES: tuple[str, ...] = ("torch", "tensorflow", "keras", "tf-keras", "transformers", "timm", "lightning")

#: Distribution (and conda) names that install one of :data:`PACKAGES`.
ALIASES: dict[str, str] = {
    "torch": "torch", "pytorch": "torch", "torch-cpu": "torch", "torch-gpu": "torch",
    "tensorflow": "tensorflow", "tensorflow-gpu": "tensorflow", "tensorflow-cpu": "tensorflow",
    "tensorflow-macos": "tensorflow", "tensorflow-intel": "tensorflow", "intel-tensorflow": "tensorflow",
    "tensorflow-aarch64": "tensorflow",
    "keras": "keras", "keras-nightly": "keras",
    "tf-keras": "tf-keras", "tf-keras-nightly": "tf-keras",
    "transformers": "transformers",
    "timm": "timm",
    "lightning": "lightning", "pytorch-lightning": "lightning",
}


def _series(major: int, minors: Iterable[int]) -> list[str]:
    return [f"{major}.{m}.0" for m in minors]


#: Release series of each package (X.Y.0): the versions a specifier is tested against. Exact versions named in a
#: specifier (``==2.4.3``) are tested too.
RELEASES: dict[str, list[str]] = {
    "torch": ["0.1.12", "0.2.0", "0.3.0", "0.3.1", "0.4.0", "0.4.1"] + _series(1, range(0, 14)) + _series(2, range(0, 14)),
    "tensorflow": _series(1, range(0, 16)) + _series(2, range(0, 21)),
    "keras": _series(1, range(0, 3)) + _series(2, range(0, 16)) + _series(3, range(0, 16)),
    "tf-keras": _series(2, range(14, 21)),
    "transformers": _series(2, range(0, 12)) + _series(3, range(0, 6)) + _series(4, range(0, 58)) + _series(5, range(0, 25)),
    "timm": _series(0, range(1, 10)) + ["1.0.0", "1.0.31"],
    "lightning": _series(1, range(0, 10)) + _series(2, range(0, 7)),
}

#: The newest release each package had when lraudit's version facts were checked (used for "a fresh install").
NEWEST: dict[str, str] = {p: v[-1] for p, v in RELEASES.items()}


@dataclass(frozen=True)
class Target:
    """What the repository says about one package: a specifier (``==2.4.3``, ``>=1.8,<2``, ``""`` for any)."""

    package: str
    spec: str
    source: str  # "requirements.txt:3", "--target-version", "poetry.lock", "import style (keras.layers.convolutional)"
    weak: bool = False  # a signal from the code's style, not a declaration

    def describe(self) -> str:
        what = f"{self.package}{self.spec}" if self.spec else f"{self.package} (any version)"
        return f"{what} ({self.source})"

    def phrase(self) -> str:
        """How a message says where the target comes from: ``requirements.txt:3 pins keras==2.2.4``."""
        what = f"{self.package}{self.spec}" if self.spec else self.package
        if self.source == "--target-version":
            return f"--target-version {what}"
        if self.weak:
            return f"{self.source} suggests {what}"
        verb = "pins" if self.spec.startswith("==") and "," not in self.spec else "requires"
        return f"{self.source} {verb} {what}"


@dataclass(frozen=True)
class TargetVersions:
    """The targeted version of each package (only packages something says anything about)."""

    targets: tuple[Target, ...] = ()
    root: str | None = None

    def get(self, package: str) -> Target | None:
        for t in self.targets:
            if t.package == package:
                return t
        return None

    def key(self) -> list[list[Any]]:
        """For the result cache: everything that can change a finding."""
        return [[t.package, t.spec, t.source, t.weak] for t in self.targets]

    def summary(self) -> str:
        return "; ".join(t.describe() for t in self.targets) or "nothing declared"


NOTHING = TargetVersions()


# ------------------------------------------------------------------------------------------ specifiers


def _specifier(text: str) -> Any:
    from packaging.specifiers import InvalidSpecifier, SpecifierSet

    text = text.strip()
    if re.match(r"^\d", text):  # a bare version (``2.*``, ``2.4.3``) means ==
        text = "==" + text
    try:
        return SpecifierSet(text)
    except InvalidSpecifier:
        return None


def valid_specifier(text: str) -> bool:
    return isinstance(text, str) and _specifier(text) is not None


def _version(text: str) -> Any:
    from packaging.version import InvalidVersion, Version

    try:
        return Version(text)
    except InvalidVersion:
        return None


def _named_versions(spec: str) -> list[str]:
    """The versions written in a specifier (``==2.4.3`` -> 2.4.3; wildcards and bounds too)."""
    return [m.rstrip(".*") for m in re.findall(r"[0-9]+(?:\.[0-9]+)*(?:\.\*)?", spec)]


def admitted(package: str, spec: str) -> list[Any]:
    """Known releases (and versions named in ``spec``) that ``spec`` admits, oldest first."""
    ss = _specifier(spec)
    if ss is None:
        return []
    cands = {}
    for text in RELEASES.get(package, []) + _named_versions(spec):
        v = _version(text)
        if v is not None:
            cands[v] = v
    return sorted(v for v in cands if ss.contains(v, prereleases=True))


# ------------------------------------------------------------------------------------------ judging


@dataclass(frozen=True)
class VersionRange:
    affected: str  # PEP 440 specifier of the versions where this happens
    effect: str  # what happens there, in words
    severity: str | None = None  # None: the rule's severity


@dataclass(frozen=True)
class VersionCase:
    """One version-dependent case of a rule (from its ``versions:`` YAML field)."""

    id: str
    package: str
    fix: str
    ranges: tuple[VersionRange, ...]

    def upgrade_words(self) -> str:
        return "; ".join(r.effect for r in self.ranges)


@dataclass(frozen=True)
class Judgement:
    """What a case means for the targeted versions.

    ``applies``: some targeted version is in an affected range (or nothing says which versions are targeted and
    the newest release is). ``severity`` is the range's (None: the rule's). ``why`` says which versions were judged
    and from where; ``effect`` what happens there; ``upgrade`` what a newer version changes when it does not apply.
    """

    applies: bool
    severity: str | None
    effect: str
    why: str
    upgrade: str
    weak: bool = False
    pinned: bool = False


def judge(case: VersionCase, versions: TargetVersions, flavor: str | None = None) -> Judgement:
    """Decide ``case`` for ``versions``; ``flavor`` says which Keras the code imports (keras, tensorflow, tf_keras)."""
    package = case.package
    versions_of, source, weak = _targeted(package, versions, flavor)
    if versions_of is None:  # nothing declared: judged at the newest release (what a fresh install gets)
        newest = _version(NEWEST.get(package, "0"))
        hits = [r for r in case.ranges if newest is not None and _in(newest, r.affected)]
        why = f"nothing pins {package}: judged at the newest release ({package} {newest})"
        if hits:
            return Judgement(True, hits[-1].severity, hits[-1].effect, why, case.upgrade_words())
        return Judgement(False, "info", "", why, case.upgrade_words())
    hits = [r for r in case.ranges if any(_in(v, r.affected) for v in versions_of)]
    why = source
    if hits and not weak:
        severity = _strongest([r.severity for r in hits])
        return Judgement(True, severity, "; ".join(r.effect for r in hits), why, case.upgrade_words(), pinned=True)
    return Judgement(False, "info", "", why, case.upgrade_words(), weak=weak, pinned=not weak)


def _strongest(severities: list[str | None]) -> str | None:
    if any(s is None for s in severities):
        return None
    order = {"error": 0, "warning": 1, "info": 2}
    return sorted(severities, key=lambda s: order.get(s or "", 3))[0]


def _in(v: Any, spec: str) -> bool:
    ss = _specifier(spec)
    return ss is not None and ss.contains(v, prereleases=True)


def _span(vs: list[Any]) -> str:
    if len(vs) == 1:
        return str(vs[0])
    return f"{vs[0]} to {vs[-1]}"


def _targeted(package: str, versions: TargetVersions, flavor: str | None) -> tuple[list[Any] | None, str, bool]:
    """The versions of ``package`` the repository targets (with the source and whether it is only a signal).

    For Keras, ``flavor`` picks the library the code imports: ``tf.keras`` follows TensorFlow's version (TF 2.x
    below 2.16 ships Keras 2.x of the same minor; from 2.16 tf.keras is Keras 3, or Keras 2 when tf-keras is
    installed), ``tf_keras`` is Keras 2 of its own version, standalone ``keras`` its own pin (else TensorFlow's).
    """
    if package != "keras":
        t = versions.get(package)
        if t is None or (not t.spec and not t.weak):
            return None, "", False
        vs = admitted(package, t.spec)
        return (vs or None), _phrase(t, vs), t.weak
    order: list[str]
    if flavor == "tf_keras":
        order = ["tf-keras", "keras", "tensorflow"]
    elif flavor == "tensorflow":
        order = ["tensorflow", "keras", "tf-keras"]
    else:
        order = ["keras", "tensorflow", "tf-keras"]
    for name in order:
        t = versions.get(name)
        if t is None or (not t.spec and not t.weak):
            continue
        vs = admitted(name, t.spec)
        if not vs:
            continue
        if name == "keras":
            return vs, _phrase(t, vs), t.weak
        if name == "tf-keras":
            return sorted({_version(f"2.{max(v.minor, 15) if v.major == 2 else 15}.0") for v in vs}), \
                f"{t.phrase()} (Keras 2)", t.weak
        legacy = versions.get("tf-keras") is not None
        if name == "tensorflow":
            vs = _consistent_with_keras(vs, versions.get("keras")) or vs
        mapped = sorted({_tf_to_keras(v, legacy) for v in vs})
        return mapped, f"{t.phrase()} (its tf.keras is Keras {_span_minor(mapped)})", t.weak
    return None, "", False


def _phrase(t: Target, vs: list[Any]) -> str:
    if t.weak or (t.spec.startswith("==") and "," not in t.spec and "*" not in t.spec):
        return t.phrase()
    return f"{t.phrase()} ({t.package} {_span(vs)})"


def _span_minor(vs: list[Any]) -> str:
    lo, hi = f"{vs[0].major}.{vs[0].minor}", f"{vs[-1].major}.{vs[-1].minor}"
    if vs[-1].major >= 3:
        hi = "3"
    return lo if lo == hi else f"{lo} to {hi}"


def _consistent_with_keras(tf_versions: list[Any], keras: Target | None) -> list[Any]:
    """TensorFlow releases an installer can pair with the declared Keras: TF 2.6-2.15 require Keras of their own
    minor version and TF 2.16+ Keras 3 (TF before 2.6 does not depend on the keras package)."""
    if keras is None or keras.weak or not keras.spec:
        return tf_versions
    ss = _specifier(keras.spec)
    if ss is None:
        return tf_versions
    out = []
    for v in tf_versions:
        if v.major < 2 or v.minor < 6:
            out.append(v)
            continue
        needs = [_version(f"2.{v.minor}.0")] if v.minor < 16 else [_version(x) for x in RELEASES["keras"] if
                                                                     x.startswith("3.")]
        if any(n is not None and ss.contains(n, prereleases=True) for n in needs):
            out.append(v)
    return out


def _tf_to_keras(v: Any, legacy: bool) -> Any:
    """The Keras a TensorFlow release ships as tf.keras."""
    if v.major < 2:
        return _version("2.2.0")  # tf.keras of TF 1.x: the Keras 2.2 API (lr= accepted)
    if v.minor < 16 or legacy:
        return _version(f"2.{min(v.minor, 15)}.0")
    return _version("3.0.0")


# ------------------------------------------------------------------------------------------ the root


ROOT_MARKERS: tuple[str, ...] = (".git", "pyproject.toml", "setup.py", "setup.cfg")


def find_root(paths: Sequence[str], cwd: str | None = None) -> Path | None:
    """The repository root: the nearest directory at or above the checked paths (their common directory) that
    has ``.git``, ``pyproject.toml``, ``setup.py`` or ``setup.cfg``; None when there is none."""
    base = Path(cwd or os.getcwd())
    dirs = []
    for p in paths or ["."]:
        ap = Path(p) if os.path.isabs(p) else base / p
        try:
            ap = ap.resolve()
        except (OSError, RuntimeError):
            continue
        dirs.append(ap if ap.is_dir() else ap.parent)
    if not dirs:
        return None
    try:
        start = Path(os.path.commonpath([str(d) for d in dirs]))
    except ValueError:
        start = dirs[0]
    for d in (start, *start.parents):
        if any((d / m).exists() for m in ROOT_MARKERS):
            return d
    return None


# ------------------------------------------------------------------------------------------ reading pins


@dataclass
class _Found:
    declared: dict[str, list[tuple[str, str]]] = field(default_factory=dict)  # package -> [(spec, source)]
    locked: dict[str, tuple[str, str]] = field(default_factory=dict)  # package -> (version, source)

    def add(self, name: str, spec: str, source: str) -> None:
        package = _package(name)
        if package is None:
            return
        self.declared.setdefault(package, []).append((spec.strip(), source))

    def lock(self, name: str, version: str, source: str) -> None:
        package = _package(name)
        if package is None or not version or _version(str(version)) is None:
            return
        self.locked.setdefault(package, (str(version), source))


def _package(name: str) -> str | None:
    canon = re.sub(r"[-_.]+", "-", name.strip().lower())
    return ALIASES.get(canon)


MAX_FILE = 2_000_000
MAX_INCLUDES = 20


def _read_bytes(path: Path) -> bytes | None:
    try:
        if not path.is_file() or path.stat().st_size > MAX_FILE:
            return None
        return path.read_bytes()
    except OSError:
        return None


def _read(path: Path) -> str | None:
    try:
        if not path.is_file() or path.stat().st_size > MAX_FILE:
            return None
        return path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None


def _rel(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return path.as_posix()


def _requirement(text: str) -> tuple[str, str] | None:
    """``name``, ``specifier`` of one PEP 508 requirement (markers and extras dropped), else None."""
    from packaging.requirements import InvalidRequirement, Requirement

    text = text.strip()
    if not text or text.startswith(("-", "#", "git+", "http:", "https:", "file:", ".", "/")):
        return None
    try:
        req = Requirement(text)
    except InvalidRequirement:
        m = re.match(r"^([A-Za-z0-9][A-Za-z0-9._-]*)\s*(\[[^\]]*\])?\s*([<>=!~].*)?$", text.split(";")[0].strip())
        if not m:
            return None
        spec = (m.group(3) or "").replace(" ", "")
        return (m.group(1), spec) if valid_specifier(spec) else (m.group(1), "")
    if req.url:
        return None
    return req.name, str(req.specifier)


def read_requirements(path: Path, root: Path, found: _Found, seen: set[Path] | None = None) -> None:
    """A requirements file, following ``-r``/``--requirement`` includes and ``-c``/``--constraint`` files."""
    seen = set() if seen is None else seen
    try:
        key = path.resolve()
    except (OSError, RuntimeError):
        return
    if key in seen or len(seen) >= MAX_INCLUDES:
        return
    seen.add(key)
    text = _read(path)
    if text is None:
        return
    lines = text.replace("\\\n", " ").splitlines()
    for n, raw in enumerate(lines, 1):
        line = re.sub(r"(^|\s)#.*$", "", raw).strip()
        if not line:
            continue
        m = re.match(r"^(?:-r|--requirement|-c|--constraint)(?:\s+|=)(\S+)", line)
        if m:
            read_requirements(path.parent / m.group(1), root, found, seen)
            continue
        if line.startswith("-"):
            continue
        req = _requirement(line)
        if req:
            found.add(req[0], req[1], f"{_rel(path, root)}:{n}")


def read_setup_py(path: Path, root: Path, found: _Found) -> None:
    """``install_requires`` and ``extras_require`` of ``setup(...)``, as literals (names bound to literals at
    module level resolve); never executed."""
    text = _read(path)
    if text is None:
        return
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError, RecursionError):
        return
    assigned: dict[str, ast.AST] = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            assigned[node.targets[0].id] = node.value

    def strings(node: ast.AST | None, depth: int = 0) -> Iterator[tuple[str, int]]:
        if node is None or depth > 5:
            return
        if isinstance(node, ast.Name) and node.id in assigned:
            yield from strings(assigned[node.id], depth + 1)
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            for piece in node.value.splitlines():
                yield piece, node.lineno
        elif isinstance(node, (ast.List, ast.Tuple, ast.Set)):
            for elt in node.elts:
                yield from strings(elt, depth + 1)
        elif isinstance(node, ast.Dict):
            for v in node.values:
                yield from strings(v, depth + 1)
        elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
            yield from strings(node.left, depth + 1)
            yield from strings(node.right, depth + 1)

    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", None)) == "setup":
            for kw in node.keywords:
                if kw.arg in ("install_requires", "extras_require", "requires"):
                    for s, line in strings(kw.value):
                        req = _requirement(s)
                        if req:
                            found.add(req[0], req[1], f"{_rel(path, root)}:{line}")


def read_setup_cfg(path: Path, root: Path, found: _Found) -> None:
    import configparser

    text = _read(path)
    if text is None:
        return
    cp = configparser.ConfigParser(interpolation=None, strict=False)
    try:
        cp.read_string(text)
    except (configparser.Error, ValueError):
        return
    rel = _rel(path, root)
    for section in cp.sections():
        if section == "options" and cp.has_option(section, "install_requires"):
            values = [cp.get(section, "install_requires")]
        elif section == "options.extras_require":
            values = [cp.get(section, o) for o in cp.options(section)]
        else:
            continue
        for value in values:
            for line in value.splitlines():
                req = _requirement(line)
                if req:
                    found.add(req[0], req[1], f"{rel} [{section}]")


def _toml(text: str) -> dict[str, Any] | None:
    from .config import _toml_module

    mod = _toml_module()
    if mod is None:
        return None
    try:
        doc = mod.loads(text)
    except Exception:  # a broken TOML file says nothing about versions
        return None
    return doc if isinstance(doc, dict) else None


def poetry_spec(spec: Any) -> str:
    """A Poetry constraint (``^1.2``, ``~1.2``, ``1.2.*``, ``>=1,<2``, ``*``, ``{version = ...}``) as PEP 440."""
    if isinstance(spec, dict):
        spec = spec.get("version", "*")
    if isinstance(spec, list):  # multiple constraints by marker: take the first
        return poetry_spec(spec[0]) if spec else ""
    if not isinstance(spec, str):
        return ""
    out = []
    for part in re.split(r"\s*,\s*|\s+(?=[<>=!~^])", spec.strip()):
        part = part.strip()
        if not part or part == "*":
            continue
        if part.startswith("^"):
            nums = [int(x) for x in re.findall(r"\d+", part)[:3]] or [0]
            upper = next((i for i, x in enumerate(nums) if x != 0), len(nums) - 1)
            bump = nums[: upper + 1]
            bump[-1] += 1
            out += [f">={part[1:]}", "<" + ".".join(str(x) for x in bump)]
        elif part.startswith("~") and not part.startswith("~="):
            nums = [int(x) for x in re.findall(r"\d+", part)[:3]] or [0]
            bump = nums[:2] if len(nums) >= 2 else nums[:1]
            bump[-1] += 1
            out += [f">={part[1:]}", "<" + ".".join(str(x) for x in bump)]
        elif re.match(r"^\d", part):
            out.append(f"=={part}")
        else:
            out.append(part.replace(" ", ""))
    spec_text = ",".join(out)
    return spec_text if valid_specifier(spec_text) else ""


def read_pyproject(path: Path, root: Path, found: _Found) -> dict[str, Any] | None:
    text = _read(path)
    if text is None:
        return None
    doc = _toml(text)
    if doc is None:
        return None
    rel = _rel(path, root)
    project = doc.get("project") if isinstance(doc.get("project"), dict) else {}
    lists: list[tuple[Any, str]] = [(project.get("dependencies"), "[project] dependencies")]
    for extra, deps in (project.get("optional-dependencies") or {}).items() if isinstance(
            project.get("optional-dependencies"), dict) else []:
        lists.append((deps, f"[project.optional-dependencies] {extra}"))
    for group, deps in (doc.get("dependency-groups") or {}).items() if isinstance(
            doc.get("dependency-groups"), dict) else []:
        lists.append((deps, f"[dependency-groups] {group}"))
    tool = doc.get("tool") if isinstance(doc.get("tool"), dict) else {}
    pdm = tool.get("pdm") if isinstance(tool.get("pdm"), dict) else {}
    for group, deps in (pdm.get("dev-dependencies") or {}).items() if isinstance(
            pdm.get("dev-dependencies"), dict) else []:
        lists.append((deps, f"[tool.pdm.dev-dependencies] {group}"))
    for deps, where in lists:
        if isinstance(deps, list):
            for item in deps:
                req = _requirement(item) if isinstance(item, str) else None
                if req:
                    found.add(req[0], req[1], f"{rel} {where}")
    poetry = tool.get("poetry") if isinstance(tool.get("poetry"), dict) else {}
    tables: list[tuple[Any, str]] = [(poetry.get("dependencies"), "[tool.poetry.dependencies]"),
                                     (poetry.get("dev-dependencies"), "[tool.poetry.dev-dependencies]")]
    groups = poetry.get("group") if isinstance(poetry.get("group"), dict) else {}
    for name, g in groups.items():
        if isinstance(g, dict):
            tables.append((g.get("dependencies"), f"[tool.poetry.group.{name}.dependencies]"))
    for table, where in tables:
        if isinstance(table, dict):
            for name, spec in table.items():
                found.add(str(name), poetry_spec(spec), f"{rel} {where}")
    lraudit = tool.get("lraudit") if isinstance(tool.get("lraudit"), dict) else None
    return lraudit


def read_pipfile(path: Path, root: Path, found: _Found) -> None:
    text = _read(path)
    doc = _toml(text) if text is not None else None
    if doc is None:
        return
    rel = _rel(path, root)
    for section in ("packages", "dev-packages"):
        table = doc.get(section)
        if isinstance(table, dict):
            for name, spec in table.items():
                if isinstance(spec, dict):
                    spec = spec.get("version", "*")
                spec = spec if isinstance(spec, str) and spec.strip() != "*" else ""
                found.add(str(name), spec if valid_specifier(spec) else "", f"{rel} [{section}]")


def read_lock(path: Path, root: Path, found: _Found) -> None:
    """poetry.lock, uv.lock, pdm.lock (TOML ``[[package]]`` name/version) and Pipfile.lock (JSON)."""
    text = _read(path)
    if text is None:
        return
    rel = _rel(path, root)
    if path.name == "Pipfile.lock":
        try:
            doc = json.loads(text)
        except ValueError:
            return
        for section in ("default", "develop"):
            table = doc.get(section) if isinstance(doc, dict) else None
            if isinstance(table, dict):
                for name, entry in table.items():
                    if isinstance(entry, dict) and isinstance(entry.get("version"), str):
                        found.lock(name, entry["version"].lstrip("="), rel)
        return
    doc = _toml(text)
    if doc is None:
        return
    for pkg in doc.get("package", []) if isinstance(doc.get("package"), list) else []:
        if isinstance(pkg, dict) and isinstance(pkg.get("name"), str) and isinstance(pkg.get("version"), str):
            found.lock(pkg["name"], pkg["version"], rel)


def read_environment_yml(path: Path, root: Path, found: _Found) -> None:
    """Conda ``dependencies`` (``pytorch=1.7.1`` is a prefix match, ``==`` exact) and their ``pip:`` list."""
    text = _read(path)
    if text is None:
        return
    try:
        import yaml

        doc = yaml.safe_load(text)
    except Exception:  # a broken YAML file says nothing about versions
        return
    deps = doc.get("dependencies") if isinstance(doc, dict) else None
    if not isinstance(deps, list):
        return
    rel = _rel(path, root)
    for item in deps:
        if isinstance(item, dict) and isinstance(item.get("pip"), list):
            for p in item["pip"]:
                req = _requirement(p) if isinstance(p, str) else None
                if req:
                    found.add(req[0], req[1], f"{rel} (pip)")
        elif isinstance(item, str):
            name, spec = conda_spec(item)
            if name:
                found.add(name, spec, rel)


def conda_spec(item: str) -> tuple[str, str]:
    """``pytorch=1.7.1=py3.8_cuda`` -> (pytorch, ==1.7.1.*); ``tensorflow>=2.3`` -> (tensorflow, >=2.3)."""
    item = item.strip().split("::")[-1]
    m = re.match(r"^([A-Za-z0-9][A-Za-z0-9._-]*)\s*(.*)$", item)
    if not m:
        return "", ""
    name, rest = m.group(1), m.group(2).strip()
    if not rest:
        return name, ""
    if rest.startswith("=") and not rest.startswith("=="):
        version = rest[1:].split("=")[0].strip()
        spec = f"=={version.rstrip('.*')}.*" if version else ""
    else:
        m2 = re.match(r"^((?:[<>!~]=?|==)[^=,\s]+(?:,(?:[<>!~]=?|==)[^=,\s]+)*)", rest.replace(" ", ""))
        spec = m2.group(1) if m2 else ""
    return name, spec if valid_specifier(spec) else ""


_IMAGES = {
    "pytorch/pytorch": "torch", "pytorch": "torch", "nvcr.io/nvidia/pytorch": None,
    "tensorflow/tensorflow": "tensorflow", "nvcr.io/nvidia/tensorflow": None,
    "huggingface/transformers-pytorch-gpu": None,
}


def read_dockerfile(path: Path, root: Path, found: _Found) -> None:
    """``pip install`` arguments on RUN lines, and a ``FROM pytorch/pytorch:1.7.1-...`` /
    ``FROM tensorflow/tensorflow:2.3.0-gpu`` base image."""
    text = _read(path)
    if text is None:
        return
    rel = _rel(path, root)
    joined = re.sub(r"\\\r?\n", " ", text)
    for n, line in enumerate(joined.splitlines(), 1):
        stripped = line.strip()
        m = re.match(r"^FROM\s+(?:--\S+\s+)?(\S+?)(?::(\S+))?(?:\s|$)", stripped, re.I)
        if m and m.group(2):
            package = _IMAGES.get(m.group(1).lower())
            vm = re.match(r"^(\d+\.\d+(?:\.\d+)?)", m.group(2))
            if package and vm:
                found.add(package, f"=={vm.group(1)}", f"{rel}: FROM {m.group(1)}:{m.group(2)}")
            continue
        for cmd in re.split(r"&&|;|\|\|", stripped):
            pm = re.search(r"\bpip3?\s+install\s+(.*)$", cmd) or re.search(r"-m\s+pip\s+install\s+(.*)$", cmd)
            if not pm:
                continue
            for word in pm.group(1).split():
                word = word.strip("'\"")
                if word.startswith("-"):
                    continue
                req = _requirement(word)
                if req:
                    found.add(req[0], req[1], f"{rel}: RUN pip install")


def _candidates(root: Path) -> Iterator[tuple[str, Path]]:
    """(reader, path) for every pin file at the root (and requirements/ or docker/ directories under it)."""
    names = {
        "setup.py": "setup_py", "setup.cfg": "setup_cfg", "Pipfile": "pipfile",
        "environment.yml": "env", "environment.yaml": "env", "conda.yml": "env", "conda.yaml": "env",
        "poetry.lock": "lock", "uv.lock": "lock", "pdm.lock": "lock", "Pipfile.lock": "lock",
    }
    try:
        entries = sorted(os.listdir(root))
    except OSError:
        return
    for name in entries:
        p = root / name
        low = name.lower()
        if name in names:
            yield names[name], p
        elif low.startswith("requirement") and low.endswith((".txt", ".in")):
            yield "requirements", p
        elif low == "dockerfile" or low.startswith("dockerfile.") or low.endswith(".dockerfile"):
            yield "docker", p
        elif low in ("requirements", "docker", "env", "environment") and p.is_dir():
            try:
                subs = sorted(os.listdir(p))
            except OSError:
                continue
            for sub in subs:
                sp = p / sub
                sl = sub.lower()
                if sl.endswith((".txt", ".in")):
                    yield "requirements", sp
                elif sl == "dockerfile" or sl.startswith("dockerfile.") or sl.endswith(".dockerfile"):
                    yield "docker", sp
                elif sl.endswith((".yml", ".yaml")):
                    yield "env", sp


def read_repository(root: Path) -> tuple[_Found, dict[str, Any] | None]:
    """Every pin file at ``root``; also the ``[tool.lraudit]`` table of its pyproject.toml (or None)."""
    found = _Found()
    lraudit = None
    if (root / "pyproject.toml").is_file():
        lraudit = read_pyproject(root / "pyproject.toml", root, found)
    seen: set[Path] = set()
    for kind, path in _candidates(root):
        try:
            if kind == "requirements":
                read_requirements(path, root, found, seen)
            elif kind == "setup_py":
                read_setup_py(path, root, found)
            elif kind == "setup_cfg":
                read_setup_cfg(path, root, found)
            elif kind == "pipfile":
                read_pipfile(path, root, found)
            elif kind == "env":
                read_environment_yml(path, root, found)
            elif kind == "lock":
                read_lock(path, root, found)
            elif kind == "docker":
                read_dockerfile(path, root, found)
        except (RecursionError, ValueError, OSError):
            continue  # a pin file that cannot be read says nothing
    return found, lraudit


# ------------------------------------------------------------------------------------------ style signals

# Modules and calls only old releases have: code that uses them was written for those releases.
_STYLE: tuple[tuple[str, str, re.Pattern[str]], ...] = (
    ("keras", "<3", re.compile(
        r"^\s*(?:from|import)\s+keras\.(?:layers\.(?:convolutional|core|merge|recurrent|normalization|pooling|"
        r"advanced_activations|wrappers|embeddings|noise|local)|utils\.(?:np_utils|generic_utils|data_utils|"
        r"vis_utils|multi_gpu_utils|conv_utils)|engine|legacy|backend\.tensorflow_backend|wrappers\.scikit_learn|"
        r"optimizers\.legacy)\b", re.M)),
    ("keras", "<3", re.compile(r"\bfrom\s+keras\.layers\s+import\s+[^\n]*\bMerge\b|\.fit_generator\(|"
                               r"\bK\.set_value\([^)\n]*\.lr\b")),
    ("tensorflow", "<2", re.compile(r"\btf\.(?:Session|placeholder|contrib\.|train\.\w+Optimizer)\b")),
    ("torch", "<2", re.compile(r"^\s*from\s+torch\.autograd\s+import\s+[^\n]*\bVariable\b|\bvolatile\s*=\s*True\b",
                               re.M)),
)
# Words a style pattern cannot match without (a plain substring test is far cheaper than the regex, and every
# check runs these over the whole tree, warm runs included); a pattern missing here is always searched.
_STYLE_NEEDLES: dict[str, tuple[str, ...]] = {
    _STYLE[0][2].pattern: ("keras.",),
    _STYLE[1][2].pattern: ("Merge", ".fit_generator(", "K.set_value("),
    _STYLE[2][2].pattern: ("tf.",),
    _STYLE[3][2].pattern: ("Variable", "volatile"),
}
MAX_STYLE_FILES = 3000
STYLE_SKIP = {".git", "node_modules", "venv", ".venv", "site-packages", "build", "dist", "__pycache__", ".tox"}


def style_signals(paths: Sequence[str], wanted: set[str], root: Path | None = None,
                  cwd: str | None = None) -> dict[str, Target]:
    """Weak targets from the style of the checked code (files and directories in ``paths``), for the packages in
    ``wanted`` (those nothing declares)."""
    out: dict[str, Target] = {}
    rules = [r for r in _STYLE if r[0] in wanted]
    if not rules:
        return out
    base = Path(cwd or os.getcwd())
    files: list[Path] = []
    for p in paths or ["."]:
        ap = Path(p) if os.path.isabs(p) else base / p
        if ap.is_file():
            files.append(ap)
            continue
        if not ap.is_dir():
            continue
        for dirpath, dirnames, filenames in os.walk(ap):
            dirnames[:] = sorted(d for d in dirnames if d not in STYLE_SKIP and not d.startswith("."))
            files.extend(Path(dirpath) / fn for fn in sorted(filenames) if fn.endswith((".py", ".ipynb")))
            if len(files) > MAX_STYLE_FILES:
                break
    for path in files[:MAX_STYLE_FILES]:
        pending = [r for r in rules if r[0] not in out]
        if all(r[2].pattern in _STYLE_NEEDLES for r in pending):
            # most files hold none of the words: test the bytes before decoding anything
            data = _read_bytes(path)
            if not data or not any(n.encode() in data for r in pending for n in _STYLE_NEEDLES[r[2].pattern]):
                continue
            text = data.decode("utf-8", "replace").replace("\r\n", "\n").replace("\r", "\n")
        else:
            text = _read(path) or ""
        if not text:
            continue
        if path.suffix == ".ipynb":
            text = _notebook_code(text)
        for package, spec, rx in rules:
            if package in out:
                continue
            needles = _STYLE_NEEDLES.get(rx.pattern)
            if needles is not None and not any(n in text for n in needles):
                continue
            m = rx.search(text)
            if m:
                line = text.count("\n", 0, m.start()) + 1
                snippet = " ".join(m.group(0).split())[:60]
                rel = _rel(path.resolve(), root) if root is not None else path.name
                out[package] = Target(package, spec, f"code style: {snippet!r} at {rel}:{line}", weak=True)
        if len(out) == len({r[0] for r in rules}):
            break
    return out


def _notebook_code(text: str) -> str:
    """The code cells of a notebook, joined (line numbers are those of the joined cells)."""
    try:
        doc = json.loads(text)
    except ValueError:
        return ""
    cells = doc.get("cells") if isinstance(doc, dict) else None
    out = []
    for cell in cells if isinstance(cells, list) else []:
        if isinstance(cell, dict) and cell.get("cell_type") == "code":
            src = cell.get("source")
            out.append("".join(src) if isinstance(src, list) else src if isinstance(src, str) else "")
    return "\n".join(x for x in out if isinstance(x, str))


# ------------------------------------------------------------------------------------------ resolving


class VersionError(Exception):
    """A bad --target-version or [tool.lraudit] target-versions value (the message names it)."""


def parse_override(text: str) -> tuple[str, str]:
    """``keras==2.4.3`` / ``torch>=2.7`` / ``keras 2.*`` -> (package, specifier)."""
    m = re.match(r"^\s*([A-Za-z][A-Za-z0-9._-]*)\s*(.*)$", text or "")
    if not m:
        raise VersionError(f"{text!r}: expected PACKAGE SPECIFIER, like keras==2.4.3 or torch>=2.7")
    name, spec = m.group(1), m.group(2).strip()
    return _checked(name, spec, repr(text))


def _checked(name: str, spec: str, where: str) -> tuple[str, str]:
    package = _package(name)
    if package is None:
        raise VersionError(f"{where}: unknown package {name!r} (known: {', '.join(PACKAGES)})")
    if spec and re.match(r"^\d", spec):
        spec = f"=={spec}"
    if not valid_specifier(spec):
        raise VersionError(f"{where}: invalid version specifier {spec!r} (PEP 440, like >=2.7 or ==2.4.3 or 2.*)")
    if not admitted(package, spec):
        raise VersionError(f"{where}: {package}{spec} admits no release of {package}")
    return package, spec


def parse_table_overrides(table: Any, where: str) -> list[tuple[str, str]]:
    """``target-versions = {torch = ">=2.7", keras = "2.*"}``."""
    if not isinstance(table, dict):
        raise VersionError(f"{where}: expected a table of package = \"specifier\"")
    out = []
    for name, spec in table.items():
        if not isinstance(spec, str):
            raise VersionError(f"{where}.{name}: expected a specifier string, got {type(spec).__name__}")
        spec = spec.strip()
        if spec and re.match(r"^\d", spec) and "*" in spec:
            spec = f"=={spec}"
        out.append(_checked(str(name), spec, f"{where}.{name}"))
    return out


def resolve(paths: Sequence[str], cli: Sequence[str] = (), config_overrides: Sequence[tuple[str, str]] = (),
            config_source: str = "[tool.lraudit] target-versions", cwd: str | None = None,
            root: Path | None = None) -> TargetVersions:
    """The target versions for a run over ``paths``."""
    root = root if root is not None else find_root(paths, cwd)
    found, table = (read_repository(root) if root is not None else (_Found(), None))
    chosen: dict[str, Target] = {}
    for text in cli:
        package, spec = parse_override(text)
        chosen[package] = Target(package, spec, "--target-version")
    overrides = list(config_overrides)
    if not overrides and table and "target-versions" in table:
        overrides = parse_table_overrides(table["target-versions"], "pyproject.toml: [tool.lraudit] target-versions")
    for package, spec in overrides:
        chosen.setdefault(package, Target(package, spec, config_source))
    for package, (version, source) in sorted(found.locked.items()):
        chosen.setdefault(package, Target(package, f"=={version}", source))
    for package, entries in sorted(found.declared.items()):
        if package in chosen:
            continue
        specs = [(s, src) for s, src in entries if s]
        if not specs:
            chosen[package] = Target(package, "", entries[0][1])
            continue
        combined = ",".join(s for s, _ in specs)
        if admitted(package, combined):
            sources = sorted({src for _, src in specs})
            source = sources[0] if len(sources) == 1 else f"{sources[0]} and {len(sources) - 1} more"
            chosen[package] = Target(package, str(_specifier(combined)), source)
        else:  # contradictory declarations: the first one
            chosen[package] = Target(package, specs[0][0], specs[0][1])
    # packages nothing pins (absent, or declared without a version): the code's style is a weak signal
    pinned = {p for p, t in chosen.items() if t.spec}
    missing = {"keras", "tensorflow", "torch"} - pinned
    if "keras" in missing and ({"tensorflow", "tf-keras"} & pinned):
        missing.discard("keras")
    for package, t in style_signals(paths, missing, root, cwd).items():
        chosen[package] = t
    ordered = tuple(chosen[p] for p in PACKAGES if p in chosen)
    return TargetVersions(ordered, str(root) if root is not None else None)


# ------------------------------------------------------------------------------------------ flavors


def keras_flavor(imports: Iterable[str]) -> str | None:
    """Which Keras a file's imports use: ``tf_keras``, ``keras`` (standalone) or ``tensorflow`` (tf.keras)."""
    mods = set(imports)
    if any(m == "tf_keras" or m.startswith("tf_keras.") for m in mods):
        return "tf_keras"
    if any(m == "keras" or m.startswith("keras.") for m in mods):
        return "keras"
    if any(m == "tensorflow" or m.startswith("tensorflow.") for m in mods):
        return "tensorflow"
    return None


__all__ = ["Target", "TargetVersions", "VersionCase", "VersionRange", "Judgement", "judge", "resolve",
           "find_root", "keras_flavor", "parse_override", "VersionError", "NOTHING", "PACKAGES"]
