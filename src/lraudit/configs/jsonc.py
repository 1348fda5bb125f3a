"""JSON with comments and trailing commas, read with the line of every key (never executed).

DeepSpeed reads config files with ``hjson``, so real ``ds_config.json`` files carry ``//`` / ``#`` / ``/* */``
comments and trailing commas. ``parse(text)`` accepts exactly that on top of strict JSON and returns
``(value, lines)`` where ``lines`` maps a key path (a tuple of keys and list indices) to the 1-based line of the
key (or list item). Two more pieces of hjson are read as hjson reads them, because template configs use them
(``"train_micro_batch_size_per_gpu": BATCH_SIZE_PER_GPU,`` filled in by a script before the run): a quoteless
value is the rest of its line (trailing comma included, as hjson keeps it) and a line break separates members
like a comma; the paths of quoteless values are added to ``quoteless`` when a set is given. Other hjson syntax
(unquoted keys, single-quoted or multi-line strings) and duplicate keys (DeepSpeed refuses them: "Duplicate keys in
DeepSpeed config") raise ``JsoncError`` with the line and a reason a person can act on.
"""

from __future__ import annotations

import json
import re
from typing import Any

__all__ = ["JsoncError", "parse"]

Path = tuple[Any, ...]

_NUMBER = re.compile(r"-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?")
_WORDS = {"true": True, "false": False, "null": None}
_MAX_DEPTH = 200


class JsoncError(ValueError):
    def __init__(self, message: str, line: int) -> None:
        super().__init__(f"line {line}: {message}")
        self.line = line
        self.reason = message


class _Reader:
    def __init__(self, text: str) -> None:
        self.s = text
        self.i = 0
        self.n = len(text)
        self.lines: dict[Path, int] = {}
        self.comments = False
        self.trailing = False
        self.quoteless: set[Path] = set()

    def line(self, at: int | None = None) -> int:
        return self.s.count("\n", 0, self.i if at is None else at) + 1

    def fail(self, message: str, at: int | None = None) -> JsoncError:
        return JsoncError(message, self.line(at))

    def skip(self) -> None:
        s, n = self.s, self.n
        while self.i < n:
            c = s[self.i]
            if c in " \t\r\n\ufeff":
                self.i += 1
            elif c == "#" or s.startswith("//", self.i):
                self.comments = True
                end = s.find("\n", self.i)
                self.i = n if end < 0 else end + 1
            elif s.startswith("/*", self.i):
                self.comments = True
                end = s.find("*/", self.i + 2)
                if end < 0:
                    raise self.fail("a /* comment is never closed")
                self.i = end + 2
            else:
                return

    def value(self, path: Path, depth: int) -> Any:
        if depth > _MAX_DEPTH:
            raise self.fail("nested too deeply")
        self.skip()
        if self.i >= self.n:
            raise self.fail("the file ends where a value was expected")
        c = self.s[self.i]
        if c == "{":
            return self.obj(path, depth)
        if c == "[":
            return self.arr(path, depth)
        if c == '"':
            return self.string()
        if c == "'":
            raise self.fail("a single-quoted string (hjson syntax; lraudit reads JSON with comments and trailing "
                            "commas only)")
        m = _NUMBER.match(self.s, self.i)
        if m and (m.end() >= self.n or not (self.s[m.end()].isalnum() or self.s[m.end()] in "_.")):
            self.i = m.end()
            text = m.group(0)
            return float(text) if any(ch in text for ch in ".eE") else int(text)
        for word, val in _WORDS.items():
            end = self.i + len(word)
            if self.s.startswith(word, self.i) and (end >= self.n or not (self.s[end].isalnum() or self.s[end] == "_")):
                self.i = end
                return val
        for word in ("NaN", "Infinity", "-Infinity"):
            if self.s.startswith(word, self.i):
                raise self.fail(f"{word} is not JSON")
        if c in ",:]}":
            raise self.fail(f"{c!r} where a value was expected")
        end = self.s.find("\n", self.i)
        end = self.n if end < 0 else end
        text = self.s[self.i:end].rstrip()
        self.i = end
        self.quoteless.add(path)
        return text

    def string(self) -> str:
        start = self.i
        i = self.i + 1
        s = self.s
        while i < self.n:
            c = s[i]
            if c == "\\":
                i += 2
                continue
            if c == '"':
                try:
                    out = json.loads(s[start:i + 1])
                except ValueError as exc:
                    raise self.fail(f"bad string: {exc}", start) from None
                self.i = i + 1
                return out  # type: ignore[no-any-return]
            if c == "\n":
                break
            i += 1
        raise self.fail("a string is never closed", start)

    def obj(self, path: Path, depth: int) -> dict[str, Any]:
        self.i += 1
        out: dict[str, Any] = {}
        first = True
        while True:
            self.skip()
            if self.i >= self.n:
                raise self.fail("an object is never closed")
            if self.s[self.i] == "}":
                self.i += 1
                return out
            if not first:
                raise self.fail("a comma is missing between two members")
            first = False
            if self.s[self.i] != '"':
                raise self.fail("an unquoted key (hjson syntax; lraudit reads JSON with comments and trailing "
                                "commas only)")
            key_at = self.i
            key = self.string()
            if key in out:
                raise self.fail(f"Duplicate keys in DeepSpeed config: ['{key}'] (DeepSpeed refuses the file)", key_at)
            self.skip()
            if self.i >= self.n or self.s[self.i] != ":":
                raise self.fail(f"':' expected after the key {key!r}")
            self.i += 1
            self.lines[path + (key,)] = self.line(key_at)
            out[key] = self.value(path + (key,), depth + 1)
            end = self.i
            self.skip()
            if "\n" in self.s[end:self.i]:
                first = True  # hjson: a line break separates members like a comma
            if self.i < self.n and self.s[self.i] == ",":
                self.i += 1
                self.skip()
                if self.i < self.n and self.s[self.i] == "}":
                    self.trailing = True
                first = True

    def arr(self, path: Path, depth: int) -> list[Any]:
        self.i += 1
        out: list[Any] = []
        first = True
        while True:
            self.skip()
            if self.i >= self.n:
                raise self.fail("a list is never closed")
            if self.s[self.i] == "]":
                self.i += 1
                return out
            if not first:
                raise self.fail("a comma is missing between two list items")
            first = False
            self.lines[path + (len(out),)] = self.line()
            out.append(self.value(path + (len(out),), depth + 1))
            end = self.i
            self.skip()
            if "\n" in self.s[end:self.i]:
                first = True
            if self.i < self.n and self.s[self.i] == ",":
                self.i += 1
                self.skip()
                if self.i < self.n and self.s[self.i] == "]":
                    self.trailing = True
                first = True


def parse(text: str, quoteless: set[Path] | None = None) -> tuple[Any, dict[Path, int]]:
    """``(value, {key path: line})``; raises ``JsoncError`` (a ``ValueError``) with the line and the reason."""
    r = _Reader(text)
    r.skip()
    value = r.value((), 0)
    r.skip()
    if r.i < r.n:
        raise r.fail("text after the end of the JSON value")
    r.lines[()] = 1
    if quoteless is not None:
        quoteless |= r.quoteless
    return value, r.lines
