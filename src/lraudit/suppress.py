"""Inline suppressions: comments that silence findings.

Recognised (only in real comments, found with :mod:`tokenize`)::

    x  # lraudit: ignore                          every rule on this line
    x  # lraudit: ignore[LR101, increasing-lr]    the listed codes or names on this line
    x  # noqa: LR101                              flake8 style; other tools' codes may be mixed in
    # lraudit: ignore-file                        anywhere: the whole file
    # lraudit: ignore-file[LR101]                 anywhere: the listed rules in the whole file

A bare ``# noqa`` does not silence lraudit (it is meant for other linters). A finding is suppressed
when a matching comment is on its first or its last line.
"""

from __future__ import annotations

import io
import re
import tokenize
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

# "lraudit: ignore", "lraudit: ignore[...]", "lraudit: ignore-file", "lraudit: ignore-file[...]"
_LRAUDIT_RE = re.compile(
    r"(?:^|#)\s*lraudit\s*:\s*(?P<kind>ignore-file|ignore)(?=[\s\[#]|$)\s*(?P<list>\[[^\]#]*\])?",
    re.IGNORECASE,
)
_UNCLOSED_LIST_RE = re.compile(r"\s*\[")
# "noqa: E501, LR101" / "noqa:LR101,LR102" / "NOQA: LR101 LR102"
_NOQA_RE = re.compile(
    r"(?:^|#)\s*noqa\s*:\s*(?P<codes>[A-Z]+[0-9]+(?:(?:\s*,\s*|\s+)[A-Z]+[0-9]+)*)",
    re.IGNORECASE,
)
_LR_CODE_RE = re.compile(r"^LR[0-9]+$")


@dataclass(frozen=True)
class Suppressions:
    """What the comments of one file silence. Selectors are rule codes or rule names."""

    file_all: bool = False
    file_selectors: frozenset[str] = frozenset()
    line_all: frozenset[int] = frozenset()
    line_selectors: Mapping[int, frozenset[str]] = field(default_factory=dict, hash=False)

    def is_suppressed(self, code: str, name: str, line: int, end_line: int) -> bool:
        if self.file_all or code in self.file_selectors or name in self.file_selectors:
            return True
        for ln in {line, end_line}:
            if ln in self.line_all:
                return True
            selectors = self.line_selectors.get(ln)
            if selectors and (code in selectors or name in selectors):
                return True
        return False

    @property
    def empty(self) -> bool:
        return not (self.file_all or self.file_selectors or self.line_all or self.line_selectors)


def parse_suppressions(text: str) -> Suppressions:
    """Read the suppression comments of a source text."""
    if "lraudit" not in text.lower() and "noqa" not in text.lower():  # cheap gate
        return Suppressions()
    file_all = False
    file_selectors: set[str] = set()
    line_all: set[int] = set()
    line_selectors: dict[int, set[str]] = {}
    for line, comment in _comments(text):
        for directive, selectors in _directives(comment):
            if directive == "ignore-file":
                if selectors is None:
                    file_all = True
                else:
                    file_selectors.update(selectors)
            elif selectors is None:
                line_all.add(line)
            else:
                line_selectors.setdefault(line, set()).update(selectors)
    return Suppressions(
        file_all=file_all,
        file_selectors=frozenset(file_selectors),
        line_all=frozenset(line_all),
        line_selectors={ln: frozenset(sels) for ln, sels in sorted(line_selectors.items())},
    )


def _directives(comment: str) -> Iterable[tuple[str, frozenset[str] | None]]:
    """(``ignore`` | ``ignore-file``, selectors or None for all) found in one comment."""
    for match in _LRAUDIT_RE.finditer(comment):
        kind = match.group("kind").lower()
        listed = match.group("list")
        if listed is None:
            if _UNCLOSED_LIST_RE.match(comment, match.end()):
                continue  # "ignore[LR101" without "]": refuse rather than silence everything
            yield kind, None
        else:
            items = frozenset(s.strip() for s in listed[1:-1].split(",") if s.strip())
            if items:
                yield kind, items
    for match in _NOQA_RE.finditer(comment):
        codes = frozenset(c.upper() for c in re.split(r"[\s,]+", match.group("codes")) if c)
        lr_codes = frozenset(c for c in codes if _LR_CODE_RE.match(c))
        if lr_codes:
            yield "ignore", lr_codes


def _comments(text: str) -> list[tuple[int, str]]:
    """(line, comment text) of every real comment; a line-based guess past a tokenize failure."""
    found: list[tuple[int, str]] = []
    last_line = 0
    try:
        for tok in tokenize.generate_tokens(io.StringIO(text).readline):
            if tok.type == tokenize.COMMENT:
                found.append((tok.start[0], tok.string))
            last_line = max(last_line, tok.end[0])
        return found
    except (tokenize.TokenError, SyntaxError):
        pass
    # Fallback for files tokenize refuses (unterminated strings, bad indentation...): comments
    # already found are exact; for the rest, anything after a '#' that is not inside an obvious
    # single-line string counts.
    for number, line in enumerate(text.splitlines(), start=1):
        if number <= last_line:
            continue
        hash_at = _comment_start(line)
        if hash_at is not None:
            found.append((number, line[hash_at:]))
    return found


def _comment_start(line: str) -> int | None:
    quote: str | None = None
    i = 0
    while i < len(line):
        c = line[i]
        if quote:
            if c == "\\":
                i += 2
                continue
            if c == quote:
                quote = None
        elif c in "\"'":
            quote = c
        elif c == "#":
            return i
        i += 1
    return None
