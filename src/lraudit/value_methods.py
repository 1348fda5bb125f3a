"""Pure methods of plain values, ``pathlib`` path values and read-only file-system queries, for the evaluator.

The safe evaluator (evaluate.py) never reads an attribute of a Python object by a name the analysed code gives.
This module is the fixed table it consults instead when code calls a method of a value it holds:

* ``str``: the pure methods (``lower``, ``strip``, ``startswith``, ``split``, ``replace``, ``join``, ``format``
  with plain fields, ...), each bounded in the size of what it builds;
* ``dict``: the read-only ``get``, ``keys``, ``values``, ``items``;
* ``PathValue``, what ``pathlib.Path(...)`` / ``PurePath(...)`` give: the pure ``PurePath`` attributes and
  methods (``name``, ``suffix``, ``suffixes``, ``stem``, ``parent``, ``parents``, ``parts``, ``with_suffix``,
  ``with_name``, ``with_stem``, ``joinpath``, ``as_posix``, ``is_absolute``, ``/``, ``str()``), computed with
  ``pathlib.PurePosixPath`` (never a concrete ``Path``: nothing here touches the file system);
* the read-only queries ``os.path.isfile/isdir/exists`` and ``Path.exists/is_file/is_dir``, answered from the real
  file system by a ``FileSystemView`` the caller of the evaluation supplies, and ONLY for paths inside the analysed
  repository's root. A relative path is resolved against every directory the run may start in (the analysed
  script's directory and the repository root); when they disagree the answer depends on where the run starts and
  is refused. Without a view, or for a path outside the root, the query is refused with the reason.

Every refusal is a ``MethodRefused`` whose message says why; the evaluator turns it into its own refusal.
"""

from __future__ import annotations

import os
import posixpath
import string
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any, Callable, Sequence

__all__ = ["FileSystemView", "MethodRefused", "PathValue", "path_function", "value_attribute"]

MAX_LEN = 100_000  # characters / elements a method may build (the evaluator's container limit)
MAX_FORMAT_WIDTH = 1_000  # width or precision in a format spec


class MethodRefused(Exception):
    """The method, attribute or query is not evaluated; the message is the reason."""


@dataclass(frozen=True)
class PathValue:
    """A ``pathlib`` path in evaluated code (its text, POSIX separators)."""

    text: str

    @property
    def pure(self) -> PurePosixPath:
        return PurePosixPath(self.text)

    def __str__(self) -> str:
        return str(self.pure)

    def __repr__(self) -> str:
        return f"PosixPath({str(self)!r})"


def as_path_text(v: Any, what: str) -> str:
    """The text of a path argument (``str`` or ``PathValue``)."""
    if isinstance(v, PathValue):
        return str(v)
    if isinstance(v, str):
        return v
    raise MethodRefused(f"{what} needs a path, not {type(v).__name__}")


def _new_path(*parts: Any) -> PathValue:
    texts = [as_path_text(p, "Path()") for p in parts]
    if sum(len(t) for t in texts) > MAX_LEN:
        raise MethodRefused("path too long")
    return PathValue(str(PurePosixPath(*texts)) if texts else ".")


def path_join(a: Any, b: Any) -> PathValue:
    """``a / b`` where either side is a path."""
    return _new_path(a, b)


class FileSystemView:
    """Read-only answers about files inside one repository root (see the module docstring)."""

    def __init__(self, root: str, bases: Sequence[str]) -> None:
        self.root = os.path.realpath(root)
        seen: list[str] = []
        for b in bases:
            nb = os.path.normpath(os.path.abspath(b))
            if nb not in seen:
                seen.append(nb)
        self.bases = tuple(seen)

    def _inside(self, path: str) -> bool:
        real = os.path.realpath(path)
        return real == self.root or real.startswith(self.root.rstrip(os.sep) + os.sep)

    def query(self, kind: str, path: Any, call: str) -> bool:
        text = as_path_text(path, call)
        if not text:
            return False  # os.path.isfile("") is False wherever the run starts
        if "\x00" in text:
            raise MethodRefused(f"{call}: the path contains a NUL character")
        if os.path.isabs(text):
            candidates = [os.path.normpath(text)]
        else:
            candidates = [os.path.normpath(os.path.join(b, text)) for b in self.bases]
        answers = []
        for cand in candidates:
            if not self._inside(cand):
                raise MethodRefused(f"{call}({text!r}): {cand} is outside the repository ({self.root}), whose "
                                    "files are the only ones lraudit looks at")
            is_file = os.path.isfile(cand)  # os.path.isfile: recorded as a dependency for the cache
            if kind == "isfile":
                answers.append(is_file)
            elif kind == "isdir":
                answers.append(os.path.isdir(cand))
            else:
                answers.append(is_file or os.path.isdir(cand))
        if len(set(answers)) > 1:
            where = " and ".join(self.bases)
            raise MethodRefused(f"{call}({text!r}) depends on the directory the run starts in (a relative path; "
                                f"the answer differs between {where})")
        return answers[0]


# ----------------------------------------------------------------------------------------------- helpers


def _args(name: str, args: Sequence[Any], kwargs: dict[str, Any], names: Sequence[str], required: int
          ) -> list[Any]:
    if len(args) > len(names):
        raise MethodRefused(f"{name}() takes at most {len(names)} argument(s)")
    out: list[Any] = list(args) + [_NOT_GIVEN] * (len(names) - len(args))
    for k, v in kwargs.items():
        if k not in names:
            raise MethodRefused(f"{name}() got an unexpected keyword argument {k}")
        i = names.index(k)
        if out[i] is not _NOT_GIVEN:
            raise MethodRefused(f"{name}() got multiple values for argument {k}")
        out[i] = v
    if any(x is _NOT_GIVEN for x in out[:required]):
        raise MethodRefused(f"{name}() is missing an argument")
    return out


_NOT_GIVEN = object()


def _given(v: Any, default: Any) -> Any:
    return default if v is _NOT_GIVEN else v


def _need(v: Any, types: type | tuple[type, ...], name: str) -> Any:
    if not isinstance(v, types) or isinstance(v, bool) and bool not in (types if isinstance(types, tuple)
                                                                        else (types,)):
        raise MethodRefused(f"{name}: an argument of type {type(v).__name__} is not supported")
    return v


def _opt_int(v: Any, name: str) -> Any:
    if v is _NOT_GIVEN or v is None:
        return None
    return _need(v, int, name)


def _str_or_tuple(v: Any, name: str) -> Any:
    if isinstance(v, tuple) and all(isinstance(x, str) for x in v):
        return v
    return _need(v, str, name)


def _bounded(s: Any) -> Any:
    if isinstance(s, (str, list, tuple)) and len(s) > MAX_LEN:
        raise MethodRefused(f"result too large: {len(s)} elements (limit {MAX_LEN})")
    return s


def _width(v: Any, name: str) -> int:
    w = _need(v, int, name)
    if w > MAX_FORMAT_WIDTH * 100:
        raise MethodRefused(f"{name}: width {w} too large")
    return w


# ----------------------------------------------------------------------------------------------- str


def _format(s: str, args: Sequence[Any], kwargs: dict[str, Any]) -> str:
    """``str.format`` with plain fields only: no attribute or item access in field names, small specs."""
    auto = 0
    out: list[str] = []
    try:
        parsed = list(string.Formatter().parse(s))
    except ValueError as e:
        raise MethodRefused(f"format(): {e}") from None
    for literal, field, spec, conv in parsed:
        out.append(literal)
        if field is None:
            continue
        if "." in field or "[" in field:
            raise MethodRefused("format() fields with attribute or item access are not evaluated")
        if spec and ("{" in spec or any(int(d) > MAX_FORMAT_WIDTH for d in _digits(spec))):
            raise MethodRefused(f"format() spec {spec!r} is not evaluated")
        if field == "":
            if auto >= len(args):
                raise MethodRefused("format(): not enough arguments")
            value = args[auto]
            auto += 1
        elif field.isdigit():
            if int(field) >= len(args):
                raise MethodRefused("format(): not enough arguments")
            value = args[int(field)]
        else:
            if field not in kwargs:
                raise MethodRefused(f"format(): no argument {field}")
            value = kwargs[field]
        if not (value is None or isinstance(value, (bool, int, float, str, PathValue))):
            raise MethodRefused(f"format() of a {type(value).__name__} is not evaluated")
        if isinstance(value, PathValue):
            value = str(value)
        if conv == "r":
            value = repr(value)
        elif conv in ("s", "a"):
            value = str(value)
        try:
            out.append(format(value, spec or ""))
        except (ValueError, TypeError) as e:
            raise MethodRefused(f"format(): {e}") from None
        if sum(len(x) for x in out) > MAX_LEN:
            raise MethodRefused("format(): result too large")
    return "".join(out)


def _digits(spec: str) -> list[str]:
    runs: list[str] = []
    cur = ""
    for ch in spec:
        if ch.isdigit():
            cur += ch
        elif cur:
            runs.append(cur)
            cur = ""
    if cur:
        runs.append(cur)
    return runs


def _replace(s: str, args: Sequence[Any], kwargs: dict[str, Any]) -> str:
    old, new, count = _args("replace", args, kwargs, ("old", "new", "count"), 2)
    _need(old, str, "replace")
    _need(new, str, "replace")
    n = -1 if count is _NOT_GIVEN else _need(count, int, "replace")
    hits = (len(s) + 1) if old == "" else s.count(old)
    if n >= 0:
        hits = min(hits, n)
    if len(s) + hits * (len(new) - len(old)) > MAX_LEN:
        raise MethodRefused("replace(): result too large")
    return s.replace(old, new, n)


def _join(s: str, args: Sequence[Any], kwargs: dict[str, Any]) -> str:
    (items,) = _args("join", args, kwargs, ("iterable",), 1)
    if isinstance(items, dict):
        items = list(items)
    if not isinstance(items, (list, tuple)) or not all(isinstance(x, str) for x in items):
        raise MethodRefused("join() needs a list of strings")
    if sum(len(x) for x in items) + len(s) * len(items) > MAX_LEN:
        raise MethodRefused("join(): result too large")
    return s.join(items)


def _split(method: str) -> Callable[[str, Sequence[Any], dict[str, Any]], list[str]]:
    def impl(s: str, args: Sequence[Any], kwargs: dict[str, Any]) -> list[str]:
        sep, maxsplit = _args(method, args, kwargs, ("sep", "maxsplit"), 0)
        sep = None if sep is _NOT_GIVEN or sep is None else _need(sep, str, method)
        if sep == "":
            raise MethodRefused(f"{method}(): empty separator")
        m = -1 if maxsplit is _NOT_GIVEN else _need(maxsplit, int, method)
        return getattr(s, method)(sep, m)

    return impl


def _strip(method: str) -> Callable[[str, Sequence[Any], dict[str, Any]], str]:
    def impl(s: str, args: Sequence[Any], kwargs: dict[str, Any]) -> str:
        (chars,) = _args(method, args, kwargs, ("chars",), 0)
        chars = None if chars is _NOT_GIVEN or chars is None else _need(chars, str, method)
        return getattr(s, method)(chars)

    return impl


def _affix(method: str) -> Callable[[str, Sequence[Any], dict[str, Any]], bool]:
    def impl(s: str, args: Sequence[Any], kwargs: dict[str, Any]) -> bool:
        prefix, start, end = _args(method, args, kwargs, ("prefix", "start", "end"), 1)
        return getattr(s, method)(_str_or_tuple(prefix, method), _opt_int(start, method), _opt_int(end, method))

    return impl


def _search(method: str) -> Callable[[str, Sequence[Any], dict[str, Any]], Any]:
    def impl(s: str, args: Sequence[Any], kwargs: dict[str, Any]) -> Any:
        sub, start, end = _args(method, args, kwargs, ("sub", "start", "end"), 1)
        try:
            return getattr(s, method)(_need(sub, str, method), _opt_int(start, method), _opt_int(end, method))
        except ValueError:
            raise MethodRefused(f"{method}(): substring not found (the code raises ValueError)") from None

    return impl


def _noargs(method: str) -> Callable[[str, Sequence[Any], dict[str, Any]], Any]:
    def impl(s: str, args: Sequence[Any], kwargs: dict[str, Any]) -> Any:
        _args(method, args, kwargs, (), 0)
        return getattr(s, method)()

    return impl


def _pad(method: str) -> Callable[[str, Sequence[Any], dict[str, Any]], str]:
    def impl(s: str, args: Sequence[Any], kwargs: dict[str, Any]) -> str:
        width, fill = _args(method, args, kwargs, ("width", "fillchar"), 1)
        w = _width(width, method)
        if method == "zfill":
            if fill is not _NOT_GIVEN:
                raise MethodRefused("zfill() takes one argument")
            return s.zfill(w)
        f = " " if fill is _NOT_GIVEN else _need(fill, str, method)
        return getattr(s, method)(w, f)

    return impl


def _one_str(method: str) -> Callable[[str, Sequence[Any], dict[str, Any]], Any]:
    def impl(s: str, args: Sequence[Any], kwargs: dict[str, Any]) -> Any:
        (x,) = _args(method, args, kwargs, ("arg",), 1)
        if method in ("partition", "rpartition") and x == "":
            raise MethodRefused(f"{method}(): empty separator")
        return getattr(s, method)(_need(x, str, method))

    return impl


_STR_METHODS: dict[str, Callable[[str, Sequence[Any], dict[str, Any]], Any]] = {
    "format": lambda s, a, k: _format(s, a, k),
    "replace": _replace,
    "join": _join,
    "split": _split("split"),
    "rsplit": _split("rsplit"),
    "strip": _strip("strip"),
    "lstrip": _strip("lstrip"),
    "rstrip": _strip("rstrip"),
    "startswith": _affix("startswith"),
    "endswith": _affix("endswith"),
    "find": _search("find"),
    "rfind": _search("rfind"),
    "index": _search("index"),
    "rindex": _search("rindex"),
    "count": _search("count"),
    "zfill": _pad("zfill"),
    "ljust": _pad("ljust"),
    "rjust": _pad("rjust"),
    "center": _pad("center"),
    "partition": _one_str("partition"),
    "rpartition": _one_str("rpartition"),
    "removeprefix": _one_str("removeprefix"),
    "removesuffix": _one_str("removesuffix"),
    **{name: _noargs(name) for name in ("lower", "upper", "casefold", "title", "capitalize", "swapcase",
                                          "isdigit", "isdecimal", "isnumeric", "isalpha", "isalnum", "isspace",
                                          "islower", "isupper", "istitle", "isidentifier", "splitlines")},
}


# ----------------------------------------------------------------------------------------------- dict

def _dict_get(d: dict, args: Sequence[Any], kwargs: dict[str, Any]) -> Any:
    key, default = _args("get", args, kwargs, ("key", "default"), 1)
    try:
        return d.get(key, None if default is _NOT_GIVEN else default)
    except TypeError:
        raise MethodRefused(f"a {type(key).__name__} cannot be a dict key") from None


_DICT_METHODS: dict[str, Callable[[dict, Sequence[Any], dict[str, Any]], Any]] = {
    "get": _dict_get,
    "keys": lambda d, a, k: (_args("keys", a, k, (), 0), list(d.keys()))[1],
    "values": lambda d, a, k: (_args("values", a, k, (), 0), list(d.values()))[1],
    "items": lambda d, a, k: (_args("items", a, k, (), 0), [tuple(x) for x in d.items()])[1],
}


# ----------------------------------------------------------------------------------------------- paths

def _path_attr(p: PathValue, attr: str) -> Any:
    pure = p.pure
    if attr == "name":
        return pure.name
    if attr == "suffix":
        return pure.suffix
    if attr == "suffixes":
        return list(pure.suffixes)
    if attr == "stem":
        return pure.stem
    if attr == "parent":
        return PathValue(str(pure.parent))
    if attr == "parents":
        return tuple(PathValue(str(x)) for x in pure.parents)
    if attr == "parts":
        return tuple(pure.parts)
    if attr == "anchor":
        return pure.anchor
    if attr == "root":
        return pure.root
    if attr == "drive":
        return pure.drive
    return _MISSING_ATTR


_MISSING_ATTR = object()


def _path_method(p: PathValue, name: str, args: Sequence[Any], kwargs: dict[str, Any], fs: FileSystemView | None
                 ) -> Any:
    pure = p.pure
    call = f"Path.{name}"
    try:
        if name == "with_suffix":
            (suffix,) = _args(name, args, kwargs, ("suffix",), 1)
            return PathValue(str(pure.with_suffix(_need(suffix, str, call))))
        if name == "with_name":
            (n,) = _args(name, args, kwargs, ("name",), 1)
            return PathValue(str(pure.with_name(_need(n, str, call))))
        if name == "with_stem":
            (n,) = _args(name, args, kwargs, ("stem",), 1)
            return PathValue(str(pure.with_name(_need(n, str, call) + pure.suffix)))
        if name == "joinpath":
            if kwargs:
                raise MethodRefused("joinpath() takes no keyword arguments")
            return _new_path(p, *args)
        if name == "as_posix":
            _args(name, args, kwargs, (), 0)
            return pure.as_posix()
        if name == "is_absolute":
            _args(name, args, kwargs, (), 0)
            return pure.is_absolute()
        if name in ("resolve", "absolute", "expanduser"):
            _args(name, args, kwargs, ("strict",) if name == "resolve" else (), 0)
            if name == "expanduser" and str(pure).startswith("~"):
                raise MethodRefused("expanduser() of a path under ~ depends on the user running it")
            if name != "expanduser" and not pure.is_absolute():
                raise MethodRefused(f"{name}() of the relative path {str(pure)!r} depends on the directory the run "
                                    "starts in")
            return PathValue(posixpath.normpath(str(pure))) if name != "expanduser" else p
        if name in ("exists", "is_file", "is_dir"):
            _args(name, args, kwargs, (), 0)
            if fs is None:
                raise MethodRefused(f"{call}() asks the file system, which is not read here")
            return fs.query({"exists": "exists", "is_file": "isfile", "is_dir": "isdir"}[name], p, call)
    except ValueError as e:
        raise MethodRefused(f"{call}(): {e}") from None
    raise MethodRefused(f"{call}() is not evaluated")


_PATH_METHODS = frozenset({"with_suffix", "with_name", "with_stem", "joinpath", "as_posix", "is_absolute", "resolve",
                           "absolute", "expanduser", "exists", "is_file", "is_dir"})


# ----------------------------------------------------------------------------------------------- entry points

class BoundValueMethod:
    """``value.method`` waiting for its arguments; ``call(args, kwargs, fs)`` runs it."""

    __slots__ = ("receiver", "name", "impl")

    def __init__(self, receiver: Any, name: str, impl: Callable[[Sequence[Any], dict[str, Any], Any], Any]) -> None:
        self.receiver = receiver
        self.name = name
        self.impl = impl

    def call(self, args: Sequence[Any], kwargs: dict[str, Any], fs: FileSystemView | None) -> Any:
        return _bounded(self.impl(args, kwargs, fs))


def value_attribute(value: Any, attr: str) -> Any:
    """``value.attr`` for a value of the table: a plain result (``Path.suffix``), a ``BoundValueMethod``, or
    ``NotImplemented`` when the value's type is not in the table. Raises MethodRefused for a name it does not
    know on a type it knows."""
    if type(value) is str:
        impl = _STR_METHODS.get(attr)
        if impl is None:
            raise MethodRefused(f"str.{attr} is not evaluated")
        return BoundValueMethod(value, f"str.{attr}", lambda a, k, fs: impl(value, a, k))  # type: ignore[misc]
    if type(value) is dict:
        dimpl = _DICT_METHODS.get(attr)
        if dimpl is None:
            raise MethodRefused(f"dict.{attr} is not evaluated")
        return BoundValueMethod(value, f"dict.{attr}", lambda a, k, fs: dimpl(value, a, k))  # type: ignore[misc]
    if isinstance(value, PathValue):
        got = _path_attr(value, attr)
        if got is not _MISSING_ATTR:
            return got
        if attr in _PATH_METHODS:
            return BoundValueMethod(value, f"Path.{attr}", lambda a, k, fs: _path_method(value, attr, a, k, fs))
        raise MethodRefused(f"Path.{attr} is not evaluated")
    return NotImplemented


# module functions: qualified name -> impl(args, kwargs, fs)
def _path_ctor(args: Sequence[Any], kwargs: dict[str, Any], fs: FileSystemView | None) -> PathValue:
    if kwargs:
        raise MethodRefused("Path() takes no keyword arguments")
    return _new_path(*args)


def _os_query(kind: str, qual: str) -> Callable[[Sequence[Any], dict[str, Any], Any], bool]:
    def impl(args: Sequence[Any], kwargs: dict[str, Any], fs: FileSystemView | None) -> bool:
        (path,) = _args(qual, args, kwargs, ("path",), 1)
        if fs is None:
            raise MethodRefused(f"{qual}() asks the file system, which is not read here")
        return fs.query(kind, path, qual)

    return impl


def _os_join(args: Sequence[Any], kwargs: dict[str, Any], fs: FileSystemView | None) -> str:
    if kwargs or not args:
        raise MethodRefused("os.path.join() needs positional arguments")
    texts = [as_path_text(a, "os.path.join()") for a in args]
    return _bounded(os.path.join(*texts))


def _os_unary(qual: str, fn: Callable[[str], Any]) -> Callable[[Sequence[Any], dict[str, Any], Any], Any]:
    def impl(args: Sequence[Any], kwargs: dict[str, Any], fs: FileSystemView | None) -> Any:
        (path,) = _args(qual, args, kwargs, ("path",), 1)
        return fn(as_path_text(path, qual))

    return impl


def _abspath(text: str) -> str:
    if not os.path.isabs(text):
        raise MethodRefused(f"os.path.abspath() of the relative path {text!r} depends on the directory the run "
                            "starts in")
    return os.path.normpath(text)


_FUNCTIONS: dict[str, Callable[[Sequence[Any], dict[str, Any], Any], Any]] = {
    "pathlib.Path": _path_ctor,
    "pathlib.PurePath": _path_ctor,
    "pathlib.PosixPath": _path_ctor,
    "pathlib.PurePosixPath": _path_ctor,
    "os.path.isfile": _os_query("isfile", "os.path.isfile"),
    "os.path.isdir": _os_query("isdir", "os.path.isdir"),
    "os.path.exists": _os_query("exists", "os.path.exists"),
    "os.path.join": _os_join,
    "os.path.basename": _os_unary("os.path.basename", os.path.basename),
    "os.path.dirname": _os_unary("os.path.dirname", os.path.dirname),
    "os.path.splitext": _os_unary("os.path.splitext", os.path.splitext),
    "os.path.split": _os_unary("os.path.split", os.path.split),
    "os.path.normpath": _os_unary("os.path.normpath", os.path.normpath),
    "os.path.isabs": _os_unary("os.path.isabs", os.path.isabs),
    "os.path.abspath": _os_unary("os.path.abspath", _abspath),
    "os.fspath": _os_unary("os.fspath", lambda t: t),
}


def path_function(qualified: str) -> Callable[[Sequence[Any], dict[str, Any], Any], Any] | None:
    """The implementation of a ``pathlib`` / ``os.path`` function by its qualified name, or None."""
    return _FUNCTIONS.get(qualified)
