"""How a constructor call is written, as facts a fix can use (``facts.CallSyntax``).

Rules never see syntax trees, so the spans a fix needs are recorded here, during the one extraction pass: each
keyword argument's name, value and the exact text that deleting it removes. Deleting ``verbose=True`` from
``StepLR(opt, 30, verbose=True)`` removes ``, verbose=True`` (from the end of the previous argument), and from
``f(verbose=True, x=1)`` removes ``verbose=True, `` (up to the next argument), so the commas, line breaks and
comments around the other arguments stay as they were.
"""

from __future__ import annotations

import re
from typing import Any

import libcst as cst

from ..facts import CallSyntax, KeywordArg, Location


def call_syntax(call: cst.Call, locator: Any) -> CallSyntax | None:
    """The call's callee text and keyword arguments with their spans; None when a span cannot be located."""
    loc = locator.location(call)  # locates the whole statement: the arguments' spans come with it
    if loc == Location.unknown():
        return None
    args = list(call.args)
    spans = [locator.location(a) for a in args]
    if any(s == Location.unknown() for s in spans):
        return None
    keywords: list[KeywordArg] = []
    star = False
    for i, (arg, span) in enumerate(zip(args, spans)):
        if arg.star:
            star = True
            continue
        if arg.keyword is None:
            continue
        name_loc = locator.location(arg.keyword)
        value_loc = locator.location(arg.value)
        if name_loc == Location.unknown() or value_loc == Location.unknown():
            return None
        if i + 1 < len(args):  # up to the next argument
            nxt = spans[i + 1]
            removal = Location(span.line, span.column, nxt.line, nxt.column)
        elif i > 0:
            prev = spans[i - 1]
            if prev.end_line < span.line and _alone_on_lines(_lines(locator), span):
                # the last one of a vertical layout: its whole lines go (with its comma and comment)
                removal = Location(span.line, 1, span.end_line + 1, 1)
            else:  # from the end of the previous argument (its comma stays with this one)
                removal = Location(prev.end_line, prev.end_column, span.end_line, span.end_column)
        else:  # the only argument (a trailing comma goes with it)
            removal = span
            if isinstance(arg.comma, cst.Comma):
                if _comma_adjacent(arg.comma):
                    removal = Location(span.line, span.column, span.end_line, span.end_column + 1)
        keywords.append(KeywordArg(arg.keyword.value, name_loc, span, value_loc, removal, _code(arg.value)))
    return CallSyntax(" ".join(_code(call.func).split()), loc, tuple(keywords), star)


_AFTER_LAST = re.compile(r"\s*,?\s*(?:#.*)?$")


def _lines(locator: Any) -> list[str]:
    lines = getattr(locator, "_call_syntax_lines", None)
    if lines is None:
        lines = re.split(r"\r\n|\r|\n", getattr(locator, "text", None) or "")
        try:
            locator._call_syntax_lines = lines
        except AttributeError:
            pass
    return lines


def _alone_on_lines(lines: list[str], span: Location) -> bool:
    """Only indentation before the argument on its first line, and only a comma and a comment after it."""
    if not (0 < span.line <= span.end_line < len(lines)):  # a line must follow (the closing bracket's)
        return False
    before = lines[span.line - 1][: span.column - 1]
    after = lines[span.end_line - 1][span.end_column - 1:]
    return not before.strip() and bool(_AFTER_LAST.fullmatch(after))


def _code(node: cst.CSTNode) -> str:
    """The node's code exactly as written (libcst's round trip)."""
    try:
        return cst.Module(body=[]).code_for_node(node)
    except Exception:
        return ""


def _comma_adjacent(comma: cst.Comma) -> bool:
    ws = comma.whitespace_before
    return isinstance(ws, cst.SimpleWhitespace) and not ws.value


__all__ = ["call_syntax"]
