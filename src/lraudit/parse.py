"""Reading and parsing one file: decoding (PEP 263, BOM), libcst parse, and cheap positions.

Failures never raise past this module: they come back as ``ParseFailure`` with a reason a person can act on.
Positions are computed only for the few nodes that facts point at, in one code-generation pass that records
nothing else (libcst's PositionProvider records every node and costs several times the parse).
"""

from __future__ import annotations

import codecs
import io
import re
import sys
import tokenize
from collections import OrderedDict
from dataclasses import dataclass
from typing import Iterable, Sequence

import libcst as cst
from libcst._nodes.internal import CodegenState

from .facts import Location

MAX_FILE_BYTES = 5_000_000  # larger texts are reported, not parsed (libcst: ~5 s and ~0.6 GB per MB)
MAX_NESTING = 300  # estimated tree depth beyond which libcst may crash the process or take minutes


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
    except (LookupError, UnicodeError, ValueError, TypeError) as exc:  # a cookie naming rot13, hex, utf-16...
        return ParseFailure(f"cannot decode with the encoding {encoding!r} declared in a coding cookie "
                            f"({type(exc).__name__})")


_TOKENS = re.compile(
    r"""
      (?P<ws>[ \t\f]+|\\\r?\n|\\\r)
    | (?P<comment>\#[^\r\n]*)
    | (?P<nl>\r\n|\r|\n)
    | (?P<str>(?P<prefix>[rRbBuUfFtT]{0,2})(?:
            '''(?:[^'\\]+|\\.|'(?!''))*(?:'''|\Z)
          | \"\"\"(?:[^"\\]+|\\.|"(?!""))*(?:\"\"\"|\Z)
          | '(?:[^'\\\r\n]+|\\.)*(?:'|(?=[\r\n])|\Z)
          | "(?:[^"\\\r\n]+|\\.)*(?:"|(?=[\r\n])|\Z)))
    | (?P<name>[^\W\d]\w*)
    | (?P<num>\.?\d(?:[eE][-+]|[\w.])*)
    | (?P<open>[(\[{])
    | (?P<close>[)\]}])
    | (?P<comma>,)
    | (?P<semi>;)
    | (?P<colon>:(?!=))
    | (?P<op>\*\*=?|//=?|<<=?|>>=?|->|:=|[-+*/%@&|^<>!=]=?|~|\.)
    | (?P<other>.)
    """,
    re.VERBOSE | re.DOTALL,
)
# Operator classes by binding strength: an operator nests the tree one level in its own class and ends
# the chains of the classes that bind tighter (``a + b*c + d*e`` is two levels of ``+`` over one of ``*``).
_LAMBDA, _COND, _OR, _AND, _NOT, _CMP, _BOR, _XOR, _BAND, _SHIFT, _ARITH, _TERM, _UNARY, _POWER, _AWAIT, \
    _TRAILER, _STRING = range(17)
_WORD_CLASS = {"lambda": _LAMBDA, "yield": _LAMBDA, "from": _LAMBDA, "async": _LAMBDA, "if": _COND, "else": _COND,
               "for": _COND, "or": _OR, "and": _AND, "not": _NOT, "in": _CMP, "is": _CMP, "await": _AWAIT}
_OP_CLASS = {":=": _LAMBDA, "->": _LAMBDA, "|": _BOR, "^": _XOR, "&": _BAND, "<<": _SHIFT, ">>": _SHIFT,
             "+": _ARITH, "-": _ARITH, "*": _TERM, "/": _TERM, "//": _TERM, "%": _TERM, "@": _TERM, "~": _UNARY,
             "**": _POWER, ".": _TRAILER, "<": _CMP, ">": _CMP, "==": _CMP, "!=": _CMP, "<=": _CMP, ">=": _CMP,
             "!": _CMP}


class _Level:
    """Open operator chains inside one pair of brackets (or at statement level)."""

    __slots__ = ("base", "counts", "total", "top", "lambdas")

    def __init__(self, base: int) -> None:
        self.base = base
        self.counts = [0] * (_STRING + 1)
        self.total = 0  # sum of counts: the depth the chains add to ``base``
        self.top = 0  # highest class with a nonzero count
        self.lambdas = 0  # lambda parameter lists and comprehension targets not yet closed by ':' / 'in'

    def bump(self, cls: int) -> None:
        counts = self.counts
        for k in range(cls + 1, self.top + 1):
            self.total -= counts[k]
            counts[k] = 0
        counts[cls] += 1
        self.total += 1
        self.top = cls

    def reset(self) -> None:
        for k in range(self.top + 1):
            self.counts[k] = 0
        self.total = self.top = 0


def nesting_estimate(text: str, limit: int = 1 << 30) -> int:
    """An estimate, from the tokens alone, of how deep libcst's tree of ``text`` would be.

    libcst's native parser crashes the whole process (a stack overflow, not an exception) on trees some
    thousands of levels deep, and takes minutes on a few thousand, so hostile input must be turned away
    before it is parsed. The estimate follows the depth of expressions: each bracket is a level; inside one, every
    operator, keyword operator (``not``, ``and``, ``if``/``else``, ``lambda``, ``for``...), trailer
    (``.name``, ``(...)``, ``[...]``) and implicitly concatenated string adds a level to its own precedence
    class and ends the chains of tighter-binding classes, until a comma, ``=`` or the end of the statement
    starts a sibling (but not the commas between a ``lambda`` and its ``:``, or a comprehension's ``for`` and
    its ``in``); the expressions inside f-strings count; ``elif`` chains (nested ``If`` nodes in libcst)
    count one level per ``elif``. Over the 13,000 files of a site-packages with torch, transformers, sympy
    and numpy it is at most 227, except one generated sympy table of polynomials (565; libcst's tree there is
    571 levels deep). Stops early once past ``limit``.
    """
    best = 0
    stack: list[_Level] = []
    lv = _Level(0)
    operand = False  # the previous token ends an operand (so + - * ** are binary, not unary or star-args)
    line_start = True
    indent = 0
    runs: dict[int, int] = {}  # indentation -> length of the elif chain open at that indentation
    for m in _TOKENS.finditer(text):
        kind = m.lastgroup
        if kind == "ws":
            if line_start and not stack:
                indent = len(m.group())
            continue
        if kind == "comment":
            continue
        if kind == "nl":
            if not stack:
                lv.reset()
                lv.lambdas = 0
                line_start = True
                indent = 0
                operand = False
            continue
        if line_start:
            line_start = False
            word = m.group() if kind == "name" else ""
            for k in [k for k in runs if k > indent]:
                del runs[k]
            if word == "elif":
                runs[indent] = runs.get(indent, 0) + 1
            elif word not in ("else", "except", "finally"):
                runs[indent] = 0
            lv.base = sum(runs.values()) + len(runs)
            best = max(best, lv.base)
        if kind == "name":
            w = m.group()
            cls = _WORD_CLASS.get(w)
            if cls is None:
                operand = True
                continue
            lv.bump(cls)
            operand = False
            if w in ("lambda", "for"):
                lv.lambdas += 1
            elif w == "in" and lv.lambdas:
                lv.lambdas -= 1
        elif kind == "str":
            prefix = m.group("prefix").lower()
            lv.bump(_STRING)  # implicitly concatenated strings nest
            if "f" in prefix or "t" in prefix:  # the expressions inside an f-string are parsed too
                body = m.group()[len(prefix):]
                quote = body[:3] if body[:3] in ('"""', "'''") else body[:1]
                body = body[len(quote):]
                if body.endswith(quote):
                    body = body[: -len(quote)]
                inner = nesting_estimate(body, limit)
                lv.counts[_STRING] += inner
                lv.total += inner
            operand = True
        elif kind == "num":
            operand = True
            continue
        elif kind == "open":
            stack.append(lv)
            lv = _Level(lv.base + lv.total + 1)
            operand = False
        elif kind == "close":
            if stack:
                lv = stack.pop()
            lv.bump(_TRAILER)
            operand = True
        elif kind == "comma":
            if not lv.lambdas:
                lv.reset()
            operand = False
            continue
        elif kind == "semi":
            lv.reset()
            lv.lambdas = 0
            operand = False
            continue
        elif kind == "colon":
            if lv.lambdas:
                lv.lambdas -= 1
            operand = False
            continue
        elif kind == "op":
            op = m.group()
            cls = _OP_CLASS.get(op)
            if cls is None:  # = and augmented assignments: a new sibling
                lv.reset()
                operand = False
                continue
            if not operand and op in ("+", "-", "*", "**"):
                cls = _UNARY
            lv.bump(cls)
            operand = op == "."
        else:
            continue
        depth = lv.base + lv.total
        if depth > best:
            best = depth
            if best > limit:
                break
    return best


def parse_source(text: str) -> cst.Module | ParseFailure:
    """Parse with libcst; syntax errors (including Python 2 code) become a ParseFailure."""
    if len(text) > MAX_FILE_BYTES:
        return ParseFailure(f"file is {len(text):,} characters, over the {MAX_FILE_BYTES:,}-character parse limit; "
                            "not analysed")
    depth = nesting_estimate(text, MAX_NESTING)
    if depth > MAX_NESTING:
        return ParseFailure(f"code nested more than {MAX_NESTING} levels deep (brackets, operators or elif chains); "
                            "not analysed")
    long_int = _long_int_literal(text)
    if long_int is not None:
        return long_int
    if text.startswith("\ufeff"):
        text = text[1:]
    try:
        return cst.parse_module(text)
    except cst.ParserSyntaxError as exc:
        hint = " (Python 2 syntax?)" if _looks_like_python2(text) else ""
        msg = str(exc.message).splitlines()[0] if exc.message else "invalid syntax"
        line, col = exc.raw_line or 1, (exc.raw_column or 0) + 1
        # Python's own parser names the line a person would look at (libcst reports where it gave up)
        py = _python_syntax_error(text)
        if py is not None:
            msg, line, col = py
        return ParseFailure(f"syntax error{hint}: {msg}", line, col)
    except RecursionError:
        return ParseFailure("file too deeply nested to parse")
    except Exception as exc:  # libcst may raise other errors on exotic input
        return ParseFailure(f"could not parse: {type(exc).__name__}: {exc}".splitlines()[0][:300])


def _long_int_literal(text: str) -> ParseFailure | None:
    """Python refuses decimal integer literals over ``sys.get_int_max_str_digits()`` digits; so does lraudit
    (libcst parses them, and reading their value later would fail)."""
    limit = sys.get_int_max_str_digits() if hasattr(sys, "get_int_max_str_digits") else 0
    if not limit or not re.search(r"[0-9][0-9_]{%d}" % limit, text):
        return None
    for m in _TOKENS.finditer(text):
        if m.lastgroup == "num":
            digits = m.group().replace("_", "")
            if digits.isdigit() and len(digits) > limit:
                line = text.count("\n", 0, m.start()) + 1
                return ParseFailure(f"integer literal with {len(digits):,} digits (Python refuses more than "
                                    f"{limit:,})", line, m.start() - text.rfind("\n", 0, m.start()))
    return None


_PY2_RE = re.compile(r"^\s*print\s+[\"'\w]|^\s*exec\s+[\"']|except\s+\w+\s*,\s*\w+\s*:|\bur[\"']|^\s*raise\s+\w+\s*,", re.M)


def _python_syntax_error(text: str) -> tuple[str, int, int] | None:
    """Python's message and location for a syntax error (``ast`` only parses; nothing is compiled or run)."""
    import ast
    import warnings

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ast.parse(text)
    except SyntaxError as exc:
        return (exc.msg or "invalid syntax", exc.lineno or 1, exc.offset or 1)
    except (ValueError, RecursionError, MemoryError):
        return None
    return None


def _looks_like_python2(text: str) -> bool:
    return bool(_PY2_RE.search(text))


# ------------------------------------------------------------------------------------------- positions


class _Recorder:
    """A reusable context manager: cheaper than a generator-based one for every node."""

    __slots__ = ("state", "stack")

    def __init__(self, state: "_LocatingState") -> None:
        self.state = state
        self.stack: list[tuple[int, int, int, object, object]] = []

    def __call__(self, node: cst.CSTNode, *, start_node: object = None, end_node: object = None) -> "_Recorder":
        st = self.state
        self.stack.append((id(node), st.line, st.column, start_node, end_node))
        return self

    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        key, line, col, start_node, end_node = self.stack.pop()
        st = self.state
        end_line, end_col = st.line, st.column
        # as PositionProvider does: a statement's range can be hoisted from its children's (a compound
        # statement ends where its body's last statement ends, not after the block's trailing lines)
        if start_node is not None:
            s = st.found.get(id(start_node))
            if s is not None:
                line, col = s[0], s[1]
        if end_node is not None:
            e = st.found.get(id(end_node))
            if e is not None:
                end_line, end_col = e[2], e[3]
        st.found[key] = (line, col, end_line, end_col)


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


class _Positions:
    """What locating nodes of one parsed module computes, shared by every Locator of that tree and text: a file is
    located once per plan round, per pass and per re-analysis (extract/build.py, symbols.py, alternatives.py), and
    positions depend on the tree and the text only."""

    def __init__(self, module: cst.Module, text: str | None) -> None:
        self.module = module  # kept alive so that the id() keys stay unique
        self.text = text
        self.table: dict[int, tuple[int, int, int, int]] | None = None  # the whole-module pass
        self.anchors: dict[int, tuple[int, int, int]] | None = None
        self.statements: dict[int, dict[int, tuple[int, int, int, int]] | None] = {}  # id(stmt) -> positions in it
        self.lines: list[str] | None = None


# modules whose positions are kept per process (the analysed file and what it links), and their source size
# (a memo keeps its tree alive); least recently used go first
MAX_POSITION_MEMOS = 8
MAX_POSITION_MEMO_CHARS = 1_500_000
_POSITION_MEMOS: "OrderedDict[int, _Positions]" = OrderedDict()


def _positions_of(module: cst.Module, text: str | None) -> _Positions:
    key = id(module)
    hit = _POSITION_MEMOS.get(key)
    if hit is not None and hit.module is module and (hit.text is text or hit.text == text):
        _POSITION_MEMOS.move_to_end(key)
        return hit
    memo = _Positions(module, text)
    _POSITION_MEMOS.pop(key, None)
    _POSITION_MEMOS[key] = memo
    chars = sum(len(m.text or "") for m in _POSITION_MEMOS.values())
    while len(_POSITION_MEMOS) > 1 and (len(_POSITION_MEMOS) > MAX_POSITION_MEMOS or chars > MAX_POSITION_MEMO_CHARS):
        _, gone = _POSITION_MEMOS.popitem(last=False)
        chars -= len(gone.text or "")
    return memo


class Locator:
    """Node locations (1-based lines, 0-based columns internally), computed lazily and as little as possible.

    With the source text, Python's ``ast`` parser (several times faster than libcst) anchors every statement
    to its line; a query then generates code for the one statement that holds the node (``owners`` maps
    expression nodes to their statement, as the index records them) and shifts the positions to that line.
    Without the text, or for a node whose statement is unknown, one code-generation pass over the whole
    module records everything (what libcst's PositionProvider reports, for a fraction of its cost).
    """

    def __init__(self, module: cst.Module, text: str | None = None,
                 owners: dict[int, cst.CSTNode] | None = None) -> None:
        self.module = module
        self.text = text
        self.owners = owners if owners is not None else {}
        self._found: dict[int, tuple[int, int, int, int]] | None = None
        self._known: dict[int, tuple[int, int, int, int]] = {}
        self._anchors: dict[int, tuple[int, int, int]] | None = None
        self._shared = _positions_of(module, text)

    def _table(self) -> dict[int, tuple[int, int, int, int]]:
        if self._found is None:
            sh = self._shared
            if sh.table is None:
                state = _LocatingState(self.module)
                self.module._codegen(state)
                sh.table = state.found
            self._found = sh.table
        return self._found

    def _lookup(self, node: cst.CSTNode) -> tuple[int, int, int, int] | None:
        key = id(node)
        if self._found is not None:
            return self._found.get(key)
        r = self._known.get(key)
        if r is not None:
            return r
        stmt = self.owners.get(key, node)
        anchor = self._anchor_map().get(id(stmt))
        if anchor is not None and self._locate_statement(stmt, anchor):
            r = self._known.get(key)
            if r is not None:
                return r
        return self._table().get(key)

    def location(self, node: cst.CSTNode) -> Location:
        r = self._lookup(node)
        if r is None:
            return Location.unknown()
        return Location(r[0], r[1] + 1, r[2], r[3] + 1)

    def line(self, node: cst.CSTNode) -> int:
        if self._found is None and id(node) not in self._known:
            anchor = self._anchor_map().get(id(node))
            if anchor is not None:  # a statement starts on its anchor line (after decorators, comments)
                return anchor[0]
        r = self._lookup(node)
        return r[0] if r else 0

    # ------------------------------------------------------------------------------------- anchors
    def _anchor_map(self) -> dict[int, tuple[int, int, int]]:
        if self._anchors is None:
            sh = self._shared
            if sh.anchors is None:
                sh.anchors = statement_anchors(self.module, self.text) if self.text is not None else {}
            self._anchors = sh.anchors
        return self._anchors

    def _locate_statement(self, stmt: cst.CSTNode, anchor: tuple[int, int, int]) -> bool:
        statements = self._shared.statements
        key = id(stmt)
        if key in statements:
            positions = statements[key]
        else:
            positions = statements[key] = self._statement_positions(stmt, anchor)
        if positions is None:
            return False
        self._known.update(positions)
        return True

    def _statement_positions(self, stmt: cst.CSTNode, anchor: tuple[int, int, int]
                             ) -> dict[int, tuple[int, int, int, int]] | None:
        """The positions of ``stmt`` and every node in it, from one code generation of the statement shifted
        to its anchor; None when the statement's shape defeats that (the whole-module pass answers then)."""
        line, col, kind = anchor
        state = _LocatingState(self.module)
        shift = 0
        if kind == _INLINE:  # a small statement after a compound statement's colon, mid-line
            shift = self._char_column(line, col)
        elif col:
            state.indent_tokens = [" " * col]  # indentation is ASCII: its byte offset is its width
        try:
            if kind == _ELIF:
                stmt._codegen(state, is_elif=True)  # type: ignore[call-arg]
            else:
                stmt._codegen(state)
        except Exception:  # an unexpected node shape: the whole-module pass answers instead
            return None
        found = state.found
        rel = found.get(id(stmt))
        if rel is None:
            return None
        first = rel[0]
        dl = line - first
        known: dict[int, tuple[int, int, int, int]] = {}
        if shift:
            for k, (l1, c1, l2, c2) in found.items():
                known[k] = (l1 + dl, c1 + shift if l1 == first else c1, l2 + dl, c2 + shift if l2 == first else c2)
        else:
            for k, (l1, c1, l2, c2) in found.items():
                known[k] = (l1 + dl, c1, l2 + dl, c2)
        return known

    def _char_column(self, line: int, byte_col: int) -> int:
        """``ast`` columns count UTF-8 bytes; libcst's count characters."""
        sh = self._shared
        if sh.lines is None:
            sh.lines = re.split(r"\r\n|\r|\n", self.text or "")
        lines = sh.lines
        if not 0 < line <= len(lines):
            return byte_col
        text = lines[line - 1]
        if text.isascii():
            return byte_col
        return len(text.encode("utf-8")[:byte_col].decode("utf-8", "replace"))


_LINE, _ELIF, _INLINE = 0, 1, 2


def _small_ast_types() -> dict[type, tuple[type, ...]]:
    import ast

    pairs: dict[type, tuple[type, ...]] = {
        cst.Assign: (ast.Assign,), cst.AnnAssign: (ast.AnnAssign,), cst.AugAssign: (ast.AugAssign,),
        cst.Expr: (ast.Expr,), cst.Return: (ast.Return,), cst.Pass: (ast.Pass,), cst.Break: (ast.Break,),
        cst.Continue: (ast.Continue,), cst.Del: (ast.Delete,), cst.Import: (ast.Import,),
        cst.ImportFrom: (ast.ImportFrom,), cst.Global: (ast.Global,), cst.Nonlocal: (ast.Nonlocal,),
        cst.Raise: (ast.Raise,), cst.Assert: (ast.Assert,),
        cst.FunctionDef: (ast.FunctionDef, ast.AsyncFunctionDef), cst.ClassDef: (ast.ClassDef,),
        cst.If: (ast.If,), cst.For: (ast.For, ast.AsyncFor), cst.While: (ast.While,),
        cst.With: (ast.With, ast.AsyncWith), cst.Try: (ast.Try,),
    }
    if hasattr(cst, "TryStar") and hasattr(ast, "TryStar"):
        pairs[cst.TryStar] = (ast.TryStar,)
    if hasattr(ast, "Match"):
        pairs[cst.Match] = (ast.Match,)
    if hasattr(cst, "TypeAlias") and hasattr(ast, "TypeAlias"):
        pairs[cst.TypeAlias] = (ast.TypeAlias,)
    return pairs


_AST_TYPES: dict[type, tuple[type, ...]] | None = None


def statement_anchors(module: cst.Module, text: str) -> dict[int, tuple[int, int, int]]:
    """``id(statement) -> (line, column in bytes, kind)`` for every libcst statement, from Python's ``ast``.

    The two trees are walked side by side, statement list by statement list; any disagreement (a statement
    type that does not match, a different count, text ``ast`` cannot parse) gives up and returns ``{}``, and
    positions then come from the whole-module pass.
    """
    import ast
    import warnings

    global _AST_TYPES
    if _AST_TYPES is None:
        _AST_TYPES = _small_ast_types()
    if text.startswith("\ufeff"):
        text = text[1:]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            tree = ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return {}
    out: dict[int, tuple[int, int, int]] = {}
    try:
        ok = _anchor_body(module.body, tree.body, out, _AST_TYPES)
    except RecursionError:
        return {}
    return out if ok else {}


def _anchor_body(body: Sequence[cst.CSTNode], nodes: list, out: dict[int, tuple[int, int, int]],
                 types: dict[type, tuple[type, ...]]) -> bool:
    i = 0
    n = len(nodes)
    for s in body:
        if type(s) is cst.SimpleStatementLine:
            k = len(s.body)
            if i + k > n:
                return False
            for small, a in zip(s.body, nodes[i:i + k]):
                if not isinstance(a, types.get(type(small), ())):
                    return False
            out[id(s)] = (nodes[i].lineno, nodes[i].col_offset, _LINE)
            i += k
            continue
        if i >= n or not isinstance(nodes[i], types.get(type(s), ())):
            return False
        a = nodes[i]
        i += 1
        out[id(s)] = (a.lineno, a.col_offset, _LINE)
        if not _anchor_children(s, a, out, types):
            return False
    return i == n


def _anchor_suite(suite: cst.CSTNode, nodes: list, out: dict[int, tuple[int, int, int]],
                  types: dict[type, tuple[type, ...]]) -> bool:
    if isinstance(suite, cst.IndentedBlock):
        return _anchor_body(suite.body, nodes, out, types)
    if isinstance(suite, cst.SimpleStatementSuite):  # `if x: a(); b()`: small statements on the header line
        if len(suite.body) != len(nodes):
            return False
        for small, a in zip(suite.body, nodes):
            if not isinstance(a, types.get(type(small), ())):
                return False
            out[id(small)] = (a.lineno, a.col_offset, _INLINE)
        return True
    return False


def _anchor_children(s: cst.CSTNode, a: object, out: dict[int, tuple[int, int, int]],
                     types: dict[type, tuple[type, ...]]) -> bool:
    if isinstance(s, cst.If):
        if not _anchor_suite(s.body, a.body, out, types):  # type: ignore[attr-defined]
            return False
        orelse = s.orelse
        other = a.orelse  # type: ignore[attr-defined]
        if orelse is None:
            return not other
        if isinstance(orelse, cst.If):  # elif: a nested If in both trees
            if len(other) != 1 or not isinstance(other[0], types[cst.If]):
                return False
            out[id(orelse)] = (other[0].lineno, other[0].col_offset, _ELIF)
            return _anchor_children(orelse, other[0], out, types)
        return _anchor_suite(orelse.body, other, out, types)
    if isinstance(s, (cst.Try,)) or (hasattr(cst, "TryStar") and isinstance(s, cst.TryStar)):
        if len(s.handlers) != len(a.handlers):  # type: ignore[attr-defined]
            return False
        parts = [(s.body, a.body)]  # type: ignore[attr-defined]
        parts += [(h.body, ah.body) for h, ah in zip(s.handlers, a.handlers)]  # type: ignore[attr-defined]
        parts.append((s.orelse.body if s.orelse else None, a.orelse))  # type: ignore[attr-defined]
        parts.append((s.finalbody.body if s.finalbody else None, a.finalbody))  # type: ignore[attr-defined]
        for suite, nodes in parts:
            if suite is None:
                if nodes:
                    return False
            elif not _anchor_suite(suite, nodes, out, types):
                return False
        return True
    if isinstance(s, cst.Match):
        if len(s.cases) != len(a.cases):  # type: ignore[attr-defined]
            return False
        return all(_anchor_suite(c.body, ac.body, out, types) for c, ac in zip(s.cases, a.cases))  # type: ignore
    if not _anchor_suite(s.body, a.body, out, types):  # type: ignore[attr-defined]
        return False
    orelse = getattr(s, "orelse", None)  # for / while ... else
    other = getattr(a, "orelse", None) or []
    if orelse is None:
        return not other
    return _anchor_suite(orelse.body, other, out, types)


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
