"""Reading and parsing one file: decoding (PEP 263, BOM), libcst parse, and cheap positions.

Failures never raise past this module: they come back as ``ParseFailure`` with a reason a person can act on.
Positions are computed only for the few nodes that facts point at, in one code-generation pass that records
nothing else (libcst's PositionProvider records every node and costs several times the parse).
"""

from __future__ import annotations

import codecs
import io
import re
import tokenize
from dataclasses import dataclass
from typing import Iterable

import libcst as cst
from libcst._nodes.internal import CodegenState

from .facts import Location

MAX_FILE_BYTES = 5_000_000  # files larger than this are reported, not parsed
MAX_NESTING = 400  # bracket depth beyond which the parser would recurse too deep


@dataclass(frozen=True)
class ParseFailure:
    reason: str
    line: int = 1
    column: int = 1


_CODING_RE = re.compile(rb"^[ \t\f]*#.*?coding[:=][ \t]*([-\w.]+)")


def decode_source(data: bytes) -> str | ParseFailure:
    """Decode bytes as Python does: BOM, then a PEP 263 cookie on line 1 or 2, else UTF-8."""
    if b"\x00" in data:
        return ParseFailure("binary file (contains NUL bytes), not Python source")
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8):]
        encoding = "utf-8"
    else:
        encoding = "utf-8"
        for line in data.split(b"\n", 2)[:2]:
            m = _CODING_RE.match(line)
            if m:
                encoding = m.group(1).decode("ascii", "replace")
                break
    try:
        codecs.lookup(encoding)
    except LookupError:
        return ParseFailure(f"unknown source encoding {encoding!r} declared in a coding cookie")
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        return ParseFailure(
            f"not valid {encoding} (byte 0x{data[exc.start]:02x} at line {line}); "
            "add a PEP 263 coding cookie or re-encode the file as UTF-8",
            line,
        )


def _max_bracket_depth(text: str) -> int:
    depth = best = 0
    for ch in text:
        if ch in "([{":
            depth += 1
            if depth > best:
                best = depth
        elif ch in ")]}":
            depth -= 1
    return best


def parse_source(text: str) -> cst.Module | ParseFailure:
    """Parse with libcst; syntax errors (including Python 2 code) become a ParseFailure."""
    if _max_bracket_depth(text) > MAX_NESTING:
        return ParseFailure(f"expression nesting deeper than {MAX_NESTING} levels; not analysed")
    if text.startswith("\ufeff"):
        text = text[1:]
    try:
        return cst.parse_module(text)
    except cst.ParserSyntaxError as exc:
        hint = " (Python 2 syntax?)" if _looks_like_python2(text) else ""
        msg = str(exc.message).splitlines()[0] if exc.message else "invalid syntax"
        return ParseFailure(f"syntax error{hint}: {msg}", exc.raw_line or 1, (exc.raw_column or 0) + 1)
    except RecursionError:
        return ParseFailure("file too deeply nested to parse")
    except Exception as exc:  # libcst may raise other errors on exotic input
        return ParseFailure(f"could not parse: {type(exc).__name__}: {exc}".splitlines()[0][:300])


_PY2_RE = re.compile(r"^\s*print\s+[\"'\w]|^\s*exec\s+[\"']|except\s+\w+\s*,\s*\w+\s*:|\bur[\"']|^\s*raise\s+\w+\s*,", re.M)


def _looks_like_python2(text: str) -> bool:
    return bool(_PY2_RE.search(text))


# ------------------------------------------------------------------------------------------- positions


class _Recorder:
    """A reusable context manager: cheaper than a generator-based one for every node."""

    __slots__ = ("state", "stack")

    def __init__(self, state: "_LocatingState") -> None:
        self.state = state
        self.stack: list[tuple[int, int, int, object]] = []

    def __call__(self, node: cst.CSTNode, *, start_node: object = None, end_node: object = None) -> "_Recorder":
        st = self.state
        self.stack.append((id(node), st.line, st.column, start_node))
        return self

    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        key, line, col, start_node = self.stack.pop()
        st = self.state
        if start_node is not None:
            s = st.found.get(id(start_node))
            if s is not None:
                line, col = s[0], s[1]
        st.found[key] = (line, col, st.line, st.column)


class _LocatingState(CodegenState):  # libcst internal API; guarded by tests/test_parse.py
    """Tracks line/column while generating code and records every node's range (0-based columns)."""

    def __init__(self, module: cst.Module) -> None:
        super().__init__(default_indent=module.default_indent, default_newline=module.default_newline)
        self.line = 1
        self.column = 0
        self.found: dict[int, tuple[int, int, int, int]] = {}
        self.record_syntactic_position = _Recorder(self)  # type: ignore[assignment,method-assign]

    def add_indent_tokens(self) -> None:
        for tok in self.indent_tokens:
            self.column += len(tok)

    def add_token(self, value: str) -> None:
        n = value.count("\n")
        if n:
            self.line += n
            self.column = len(value) - value.rfind("\n") - 1
        else:
            self.column += len(value)

    def before_codegen(self, node: cst.CSTNode) -> None:
        pass

    def after_codegen(self, node: cst.CSTNode) -> None:
        pass

    def pop_trailing_newline(self) -> None:
        pass


class Locator:
    """Lazily computes every node's location in one code-generation pass, on first use."""

    def __init__(self, module: cst.Module) -> None:
        self.module = module
        self._found: dict[int, tuple[int, int, int, int]] | None = None

    def _table(self) -> dict[int, tuple[int, int, int, int]]:
        if self._found is None:
            state = _LocatingState(self.module)
            self.module._codegen(state)
            self._found = state.found
        return self._found

    def location(self, node: cst.CSTNode) -> Location:
        r = self._table().get(id(node))
        if r is None:
            return Location.unknown()
        return Location(r[0], r[1] + 1, r[2], r[3] + 1)

    def line(self, node: cst.CSTNode) -> int:
        r = self._table().get(id(node))
        return r[0] if r else 0


def locate(module: cst.Module, nodes: Iterable[cst.CSTNode]) -> dict[int, Location]:
    """Locations (1-based line and column) for the given nodes, keyed by ``id(node)``."""
    loc = Locator(module)
    return {id(n): loc.location(n) for n in nodes}


def comment_lines(text: str) -> Iterable[tuple[int, str]]:
    """(line, comment text) for every real comment; empty when the text does not tokenize."""
    try:
        for tok in tokenize.generate_tokens(io.StringIO(text).readline):
            if tok.type == tokenize.COMMENT:
                yield tok.start[0], tok.string
    except (tokenize.TokenError, IndentationError, SyntaxError):
        return
