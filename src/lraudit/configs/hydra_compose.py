"""Hydra 1.3 composition of a YAML config tree, with the file and key every value comes from (never executed).

``compose(root, config_name, overrides)`` follows Hydra's defaults lists the way ``hydra.compose`` does:

* the primary config ``<root>/<config_name>.yaml`` and, depth first, every entry of each defaults list:
  ``_self_`` (this config's own keys; appended at the end when a defaults list does not name it),
  ``group: option`` (``<group>/<option>.yaml``, placed at the package ``group``), ``group: [a, b]``
  (several options), ``group: null`` (nothing), ``optional group: option`` (nothing when the file is
  missing), ``group@pkg: option`` (package ``pkg`` relative to the containing config's package;
  ``_global_`` for the root), ``/group: option`` (absolute group) and plain config names;
* ``override group: option`` entries (in any config of the tree, e.g. an experiment config) and the ``overrides``
  given (``["experiment=example", "model.optimizer.lr=0.1"]``: group choices, then key assignments) change the
  choice before the tree is built, exactly as Hydra does;
* a ``# @package`` header (``_global_``, ``_group_`` or a dotted path) moves a config's keys;
* merging is OmegaConf's: mappings merge key by key, everything else (lists included) is replaced.

The ``hydra`` group and ``hydra:`` keys are Hydra's own settings and are skipped (they never reach the job's
config). A defaults entry whose file is missing (a plugin's config, a typo) is noted in ``notes`` and skipped.

``Composed.get(path)`` resolves OmegaConf interpolations in the value at ``path``: ``${a.b}`` (absolute),
``${.x}`` / ``${..x}`` (relative to the node holding the key), strings with several interpolations, nested
ones. Resolvers that read the run-time world (``${oc.env:VAR}``, ``${now:...}``, ``${hydra:...}``, any custom
resolver) give ``Unknown`` with the reason; a missing key or an interpolation cycle too. Sources name the file
and key that set the value: ``configs/model/mnist.yaml: optimizer.lr`` (``, via ${...}`` for interpolations).
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..facts import Known, Unknown, Value
from .yamlnodes import YamlRefused, load

__all__ = ["Composed", "ComposeError", "Origin", "compose", "primary_groups"]

Path = tuple[Any, ...]
_MAX_FILES = 400
_MAX_DEPTH = 30


class ComposeError(ValueError):
    def __init__(self, message: str, file: str | None = None, line: int = 1) -> None:
        super().__init__(message)
        self.file = file
        self.line = line


@dataclass(frozen=True)
class Origin:
    file: str  # path as shown (relative to the root's parent, '/' separators) - see Composed.display
    key: str  # dotted key inside that file
    line: int


@dataclass
class Composed:
    root: str
    config_name: str
    tree: dict[str, Any]
    origins: dict[Path, Origin]
    files: list[str] = field(default_factory=list)  # files merged, in merge order
    notes: list[str] = field(default_factory=list)
    choices: dict[str, Any] = field(default_factory=dict)  # group -> option(s) chosen
    entry_lines: dict[str, int] = field(default_factory=dict)  # file -> line of the defaults entry that loaded it
    parents: dict[str, str] = field(default_factory=dict)  # file -> the config whose defaults entry loaded it
    entry_groups: dict[str, str] = field(default_factory=dict)  # file -> the group of that entry
    override_lines: dict[str, tuple[str, int]] = field(default_factory=dict)  # group -> (file, line) overriding it

    def raw(self, path: Path) -> Any:
        node: Any = self.tree
        for p in path:
            if isinstance(node, dict) and p in node:
                node = node[p]
            elif isinstance(node, list) and isinstance(p, int) and 0 <= p < len(node):
                node = node[p]
            else:
                raise KeyError(path)
        return node

    def origin(self, path: Path) -> Origin | None:
        while path:
            if path in self.origins:
                return self.origins[path]
            path = path[:-1]
        return None

    def get(self, path: Path) -> Value:
        """The value at ``path`` with interpolations resolved (containers resolved deeply)."""
        return _Resolver(self).value(path, ())


# ------------------------------------------------------------------------------------------- loading


_PACKAGE = re.compile(r"^\s*#\s*@package\s+(\S+)\s*$")


def _header_package(text: str) -> str | None:
    for line in text.splitlines()[:20]:
        if not line.strip():
            continue
        m = _PACKAGE.match(line)
        if m:
            return m.group(1)
        if not line.lstrip().startswith("#"):
            return None
    return None


@dataclass
class _File:
    rel: str  # config path relative to root, without .yaml ("model/mnist")
    display: str
    data: Any
    lines: dict[Path, int]
    header: str | None


class _Loader:
    def __init__(self, root: str, display_root: str, read: Callable[[str], str] | None) -> None:
        self.root = root
        self.display_root = display_root
        self.read = read or _read_text
        self.cache: dict[str, _File | None] = {}

    def find(self, rel: str) -> _File | None:
        if rel in self.cache:
            return self.cache[rel]
        if len(self.cache) > _MAX_FILES:
            raise ComposeError(f"more than {_MAX_FILES} config files in one composition")
        found: _File | None = None
        for ext in (".yaml", ".yml"):
            path = os.path.join(self.root, *rel.split("/")) + ext
            if os.path.isfile(path):
                try:
                    text = self.read(path)
                except OSError as exc:
                    raise ComposeError(f"cannot read {rel}{ext}: {exc}") from None
                display = f"{self.display_root}/{rel}{ext}" if self.display_root else f"{rel}{ext}"
                try:
                    data, lines = load(text, omegaconf=True)
                except YamlRefused as exc:
                    raise ComposeError(exc.reason, display, exc.line) from None
                if data is None:
                    data = {}
                if not isinstance(data, dict):
                    raise ComposeError("a Hydra config must be a mapping", display)
                found = _File(rel, display, data, lines, _header_package(text))
                break
        self.cache[rel] = found
        return found

    def is_group(self, group: str) -> bool:
        return os.path.isdir(os.path.join(self.root, *group.split("/")))


def _read_text(path: str) -> str:
    with open(path, encoding="utf-8-sig") as fh:
        return fh.read(2_000_000)


# ---------------------------------------------------------------------------------------- defaults


@dataclass
class _Entry:
    kind: str  # "self" | "group" | "config"
    group: str = ""  # absolute group path ("model", "server/db")
    option: Any = None  # str | list[str] | None
    package: str | None = None  # explicit package from @pkg
    optional: bool = False
    override: bool = False
    line: int = 1
    written: str | None = None  # the group as written when relative ("db" for server/db in server/x.yaml)


def _parse_defaults(f: _File, parent_group: str) -> list[_Entry]:
    raw = f.data.get("defaults")
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise ComposeError("defaults must be a list", f.display, f.lines.get(("defaults",), 1))
    out: list[_Entry] = []
    for i, item in enumerate(raw):
        line = f.lines.get(("defaults", i), 1)
        if isinstance(item, str):
            if item == "_self_":
                out.append(_Entry("self", line=line))
                continue
            name, sep, pkg = item.partition("@")
            optional = False
            if name.startswith("optional "):
                optional, name = True, name[len("optional "):].strip()
            path = name[1:] if name.startswith("/") else (f"{parent_group}/{name}" if parent_group else name)
            group, _, opt = path.rpartition("/")
            written = None if name.startswith("/") else name.rpartition("/")[0]
            out.append(_Entry("config", group=group, option=opt, package=pkg if sep else None, optional=optional,
                              line=line, written=written))
            continue
        if not isinstance(item, dict) or len(item) != 1:
            raise ComposeError(f"defaults[{i}] is neither a config name nor a single 'group: option' pair",
                               f.display, line)
        (key, option), = item.items()
        key = str(key).strip()
        words = key.split()
        override = optional = False
        while len(words) > 1 and words[0] in ("override", "optional"):
            override |= words[0] == "override"
            optional |= words[0] == "optional"
            words = words[1:]
        name = " ".join(words)
        name, sep, pkg = name.partition("@")
        if name.startswith("/"):
            group = name[1:]
        else:
            group = f"{parent_group}/{name}" if parent_group else name
        out.append(_Entry("group", group=group, option=option, package=pkg if sep else None, optional=optional,
                          override=override, line=line, written=None if name.startswith("/") else name))
    return out


def _choice_key(e: _Entry) -> str:
    """How overrides name a defaults entry: its group, with ``@package`` when the entry gives one (Hydra matches
    ``optim=sgd`` to ``- optim: adamw`` only, and ``optim@teacher.optim=sgd`` to ``- optim@teacher.optim: ...``)."""
    return e.group if e.package is None else f"{e.group}@{e.package}"


def _join(a: str, b: str) -> str:
    return f"{a}.{b}" if a and b else (a or b)


def _package_of(e: _Entry, header: str | None, parent_package: str) -> str:
    """The package (dotted key prefix) a config's keys go to, as Hydra 1.3 places them: a ``# @package`` header
    is an absolute path (``_global_`` the root); an ``@pkg`` in the defaults entry is relative to the containing
    config's package (``@`` alone or ``_here_``: that package itself; ``_global_``: the root); otherwise the
    package is the containing config's package joined with the group as written (the group path for an
    absolute ``/group``). ``_group_`` / ``_name_`` are plain names in Hydra 1.3."""
    if e.package is not None:
        pkg = e.package
        if pkg == "_global_":
            return ""
        if pkg.startswith("_global_."):
            return pkg[len("_global_."):]
        if pkg in ("", "_here_"):
            return parent_package
        return _join(parent_package, pkg)
    if header is not None:
        if header == "_global_":
            return ""
        if header.startswith("_global_."):
            return header[len("_global_."):]
        return header
    if e.written is None:
        return e.group.replace("/", ".")
    return _join(parent_package, e.written.replace("/", "."))


# ------------------------------------------------------------------------------------------- merging


def _set_origins(origins: dict[Path, Origin], prefix: Path, value: Any, f: _File, fpath: Path) -> None:
    key = ".".join(str(p) for p in fpath)
    origins[prefix] = Origin(f.display, key, f.lines.get(fpath, 1))
    if isinstance(value, dict):
        for k, v in value.items():
            _set_origins(origins, prefix + (k,), v, f, fpath + (k,))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            _set_origins(origins, prefix + (i,), v, f, fpath + (i,))


def _drop_origins(origins: dict[Path, Origin], prefix: Path) -> None:
    n = len(prefix)
    for p in [p for p in origins if len(p) > n and p[:n] == prefix]:
        del origins[p]


def _merge(dst: dict[str, Any], src: dict[str, Any], prefix: Path, origins: dict[Path, Origin], f: _File,
           fpath: Path) -> None:
    for k, v in src.items():
        here = prefix + (k,)
        if isinstance(v, dict) and isinstance(dst.get(k), dict):
            _merge(dst[k], v, here, origins, f, fpath + (k,))
            origins.setdefault(here, Origin(f.display, ".".join(str(p) for p in fpath + (k,)),
                                            f.lines.get(fpath + (k,), 1)))
            continue
        if v == "???" and k in dst:
            continue  # OmegaConf: merging the missing-value marker keeps the value already there
        _drop_origins(origins, here)
        dst[k] = _copy(v)
        _set_origins(origins, here, v, f, fpath + (k,))


def _copy(v: Any) -> Any:
    if isinstance(v, dict):
        return {k: _copy(x) for k, x in v.items()}
    if isinstance(v, list):
        return [_copy(x) for x in v]
    return v


def _place(value: dict[str, Any], package: str) -> tuple[dict[str, Any], Path]:
    if not package:
        return value, ()
    parts = tuple(package.split("."))
    out: Any = value
    for p in reversed(parts):
        out = {p: out}
    return out, ()


# --------------------------------------------------------------------------------------- composition


class _Composer:
    def __init__(self, loader: _Loader, choices: dict[str, Any]) -> None:
        self.loader = loader
        self.choices = choices  # group -> option from overrides (command line / override entries)
        self.tree: dict[str, Any] = {}
        self.origins: dict[Path, Origin] = {}
        self.files: list[str] = []
        self.notes: list[str] = []
        self.used: dict[str, Any] = {}
        self.entry_lines: dict[str, int] = {}
        self.parents: dict[str, str] = {}
        self.entry_groups: dict[str, str] = {}
        self.override_lines: dict[str, tuple[str, int]] = {}
        self.stack: list[str] = []

    def collect_overrides(self, rel: str, parent_group: str, depth: int = 0, seen: set[str] | None = None) -> None:
        """First pass: ``override`` entries anywhere in the tree reachable from ``rel`` (Hydra applies them
        before choosing). Only the options chosen so far are followed."""
        seen = seen if seen is not None else set()
        if rel in seen or depth > _MAX_DEPTH:
            return
        seen.add(rel)
        f = self.loader.find(rel)
        if f is None:
            return
        for e in _parse_defaults(f, parent_group):
            if e.kind == "group" and e.group.split("/")[0] == "hydra":
                continue
            if e.kind == "group" and e.override:
                self.choices.setdefault(_choice_key(e), e.option)
                self.override_lines.setdefault(e.group, (f.display, e.line))
        for e in _parse_defaults(f, parent_group):
            if e.kind == "group" and not e.override and e.group.split("/")[0] != "hydra":
                option = self.choices.get(_choice_key(e), e.option)
                for opt in option if isinstance(option, list) else [option]:
                    if isinstance(opt, str):
                        self.collect_overrides(f"{e.group}/{opt}", e.group, depth + 1, seen)
            elif e.kind == "config":
                self.collect_overrides(f"{e.group}/{e.option}" if e.group else str(e.option), e.group, depth + 1,
                                       seen)

    def load(self, rel: str, group: str, package: str, depth: int, via_line: int | None) -> None:
        if depth > _MAX_DEPTH:
            raise ComposeError("defaults lists nested too deeply")
        if rel in self.stack:
            raise ComposeError("defaults cycle: " + " -> ".join(self.stack + [rel]))
        f = self.loader.find(rel)
        if f is None:
            raise FileNotFoundError(rel)
        self.stack.append(rel)
        entries = _parse_defaults(f, group)
        if not any(e.kind == "self" for e in entries):
            entries.append(_Entry("self"))
        for e in entries:
            if e.kind == "self":
                own = {k: v for k, v in f.data.items() if k != "defaults" and not (k == "hydra" and package == "")}
                if own or package:  # an empty option still creates its package node, as Hydra does
                    parts: Path = tuple(package.split(".")) if package else ()
                    self._ensure(parts, f)
                    target = self.tree
                    for p in parts:
                        target = target[p]
                    _merge(target, own, parts, self.origins, f, ())
                self.files.append(f.display)
                if via_line is not None:
                    self.entry_lines.setdefault(f.display, via_line)
                continue
            if e.override:
                continue
            if e.group.split("/")[0] == "hydra":
                continue
            if e.kind == "config":
                crel = f"{e.group}/{e.option}" if e.group else str(e.option)
                self._child(crel, e.group, e, f, package, depth)
                continue
            option = self.choices.get(_choice_key(e), e.option)
            if isinstance(option, str) and "${" in option:
                option = self._interpolate_choice(option, f, e)
                if option is None:
                    continue
            self.used[_choice_key(e)] = option
            if option is None or option == "null":
                continue
            for opt in option if isinstance(option, list) else [option]:
                self._child(f"{e.group}/{opt}", e.group, e, f, package, depth)
        self.stack.pop()

    def _interpolate_choice(self, option: str, f: _File, e: _Entry) -> str | None:
        """``${optimizer}_${dataset}`` in a defaults entry: the options chosen for those groups (as Hydra does)."""
        def one(m: re.Match[str]) -> str:
            name = m.group(1).strip()
            chosen = self.used.get(name, self.choices.get(name))
            if not isinstance(chosen, str):
                raise KeyError(name)
            return chosen

        try:
            return re.sub(r"\$\{([^}]*)\}", one, option)
        except KeyError as exc:
            self.notes.append(f"{f.display}:{e.line}: defaults entry {e.group}: {option} interpolates {exc}, which "
                              f"is not a group chosen before it (skipped)")
            return None

    def _child(self, crel: str, group: str, e: _Entry, parent: _File, parent_package: str, depth: int) -> None:
        cf = self.loader.find(crel)
        if cf is None:
            if not e.optional:
                self.notes.append(f"{parent.display}:{e.line}: defaults entry {crel} not found (skipped)")
            return
        package = _package_of(e, cf.header, parent_package)
        self.parents.setdefault(cf.display, parent.display)
        self.entry_groups.setdefault(cf.display, group)
        self.load(crel, group, package, depth + 1, e.line)

    def _ensure(self, parts: Path, f: _File) -> None:
        node = self.tree
        for i, p in enumerate(parts):
            if not isinstance(node.get(p), dict):
                _drop_origins(self.origins, parts[:i + 1])
                node[p] = {}
                self.origins[parts[:i + 1]] = Origin(f.display, "", 1)
            node = node[p]


def primary_groups(root: str) -> list[str]:
    """Sub-directories of a config root (the groups a primary config may choose from)."""
    try:
        return sorted(d for d in os.listdir(root) if os.path.isdir(os.path.join(root, d)))
    except OSError:
        return []


def compose(root: str, config_name: str, overrides: list[str] | tuple[str, ...] = (), *,
            display_root: str = "", read: Callable[[str], str] | None = None) -> Composed:
    """Compose ``<root>/<config_name>.yaml`` as ``hydra.compose(config_name, overrides)`` would."""
    loader = _Loader(root, display_root, read)
    choices: dict[str, Any] = {}
    assignments: list[tuple[str, str]] = []
    for o in overrides:
        key, sep, val = o.partition("=")
        if not sep and key.startswith("~"):
            choices[key[1:]] = None
            continue
        if not sep:
            raise ComposeError(f"override {o!r} is not key=value")
        key = key.lstrip("+~")
        if loader.is_group(key.split("@")[0]) and "." not in key.split("@")[0]:
            choices[key] = None if val == "null" else val
        else:
            assignments.append((key, val))
    name = config_name[:-5] if config_name.endswith(".yaml") else config_name
    if loader.find(name) is None:
        raise ComposeError(f"Cannot find primary config '{name}' in {display_root or root}")
    c = _Composer(loader, dict(choices))
    c.collect_overrides(name, "")
    primary = loader.find(name)
    top = primary.header if primary is not None and primary.header not in (None, "_global_") else ""
    c.load(name, "", (top or "").removeprefix("_global_."), 0, None)
    for key, val in assignments:
        _assign(c, key, val)
    return Composed(root, name, c.tree, c.origins, c.files, c.notes, dict(c.used), c.entry_lines, c.parents,
                    c.entry_groups, c.override_lines)


def _assign(c: _Composer, key: str, val: str) -> None:
    from .yamlnodes import load as yload

    try:
        value, _ = yload(val, omegaconf=True)
    except YamlRefused:
        value = val
    parts = tuple(key.split("."))
    node = c.tree
    for p in parts[:-1]:
        node = node.setdefault(p, {})
        if not isinstance(node, dict):
            return
    node[parts[-1]] = value
    _drop_origins(c.origins, parts)
    c.origins[parts] = Origin("the command-line override", key, 1)


# ------------------------------------------------------------------------------------ interpolation


_INTERP = re.compile(r"(?<!\\)\$\{")


class _Unresolved(Exception):
    pass


class _Resolver:
    def __init__(self, composed: Composed) -> None:
        self.c = composed
        self.via: list[str] = []

    def value(self, path: Path, stack: tuple[Path, ...]) -> Value:
        try:
            v = self._resolve_at(path, stack)
        except _Unresolved as exc:
            return Unknown(str(exc))
        except KeyError:
            return Unknown(f"{_dotted(path)} is not set in the composed config")
        o = self.c.origin(path)
        src = f"{o.file}: {o.key}" if o is not None and o.key else (o.file if o else "the composed config")
        if self.via:
            src += ", via " + ", ".join(dict.fromkeys(self.via))
        return Known(v, src)

    def _resolve_at(self, path: Path, stack: tuple[Path, ...]) -> Any:
        if path in stack:
            raise _Unresolved("interpolation cycle: " + " -> ".join(_dotted(p) for p in stack + (path,)))
        if len(stack) > 50:
            raise _Unresolved("interpolations nested too deeply")
        raw = self.c.raw(path)
        return self._deep(raw, path, stack + (path,))

    def _deep(self, raw: Any, path: Path, stack: tuple[Path, ...]) -> Any:
        if raw == "???":
            raise _Unresolved(f"{_dotted(path)} is ??? (a mandatory value the command line must give)")
        if isinstance(raw, dict):
            return {k: self._deep(v, path + (k,), stack) for k, v in raw.items()}
        if isinstance(raw, list):
            return [self._deep(v, path + (i,), stack) for i, v in enumerate(raw)]
        if isinstance(raw, str) and "${" in raw:
            return self._string(raw, path, stack)
        return raw

    def _string(self, text: str, path: Path, stack: tuple[Path, ...]) -> Any:
        pieces: list[Any] = []
        i = 0
        while i < len(text):
            m = _INTERP.search(text, i)
            if m is None:
                pieces.append(text[i:].replace("\\${", "${"))
                break
            if m.start() > i:
                pieces.append(text[i:m.start()].replace("\\${", "${"))
            end = _closing(text, m.end())
            if end < 0:
                raise _Unresolved(f"{_dotted(path)}: unbalanced interpolation {text!r}")
            inner = text[m.end():end]
            if "${" in inner:
                inner = str(self._string(inner, path, stack))
            pieces.append(self._one(inner.strip(), path, stack))
            i = end + 1
        if len(pieces) == 1:
            return pieces[0]
        return "".join(_as_text(p) for p in pieces)

    def _one(self, expr: str, path: Path, stack: tuple[Path, ...]) -> Any:
        if ":" in expr.split(".")[0] or re.match(r"^[\w.]+:", expr):
            name = expr.split(":", 1)[0]
            if name == "oc.env":
                raise _Unresolved(f"${{{expr}}}: an environment variable read at run time")
            if name == "hydra":
                raise _Unresolved(f"${{{expr}}}: a value Hydra sets at run time")
            raise _Unresolved(f"${{{expr}}}: the resolver {name!r} runs at run time")
        target = _target_path(expr, path)
        if target is None:
            raise _Unresolved(f"${{{expr}}}: not a key path")
        self.via.append("${" + expr + "}")
        try:
            return self._resolve_at(target, stack)
        except KeyError:
            raise _Unresolved(f"${{{expr}}} (in {_dotted(path)}): {_dotted(target)} is not set in the "
                              f"composed config") from None


def _closing(text: str, start: int) -> int:
    depth = 1
    i = start
    while i < len(text):
        if text.startswith("${", i):
            depth += 1
            i += 2
            continue
        if text[i] == "}":
            depth -= 1
            if depth == 0:
                return i
        i += 1
    return -1


def _target_path(expr: str, path: Path) -> Path | None:
    if not re.fullmatch(r"\.*[\w\-]+(?:\.[\w\-]+|\[\d+\])*", expr):
        return None
    dots = len(expr) - len(expr.lstrip("."))
    rest = expr[dots:]
    parts: list[Any] = []
    for token in re.findall(r"[\w\-]+|\[\d+\]", rest):
        parts.append(int(token[1:-1]) if token.startswith("[") else token)
    parts = [int(p) if isinstance(p, str) and p.isdigit() else p for p in parts]
    if dots == 0:
        return tuple(parts)
    base = path[:-1]  # the node holding the key
    up = dots - 1
    if up > len(base):
        return None
    base = base[:len(base) - up] if up else base
    return tuple(base) + tuple(parts)


def _as_text(v: Any) -> str:
    if v is None:
        return "None"
    if isinstance(v, bool):
        return "True" if v else "False"
    return str(v)


def _dotted(path: Path) -> str:
    out = ""
    for p in path:
        out += f"[{p}]" if isinstance(p, int) else (("." if out else "") + str(p))
    return out or "<root>"
