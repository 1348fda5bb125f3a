"""``lraudit check --fix``: apply the machine-applicable fixes that findings carry, changing nothing else.

A finding's fix (``results.Fix``) is a list of text edits at positions the extraction recorded from libcst's
nodes (``facts.CallSyntax``). For each file that has applicable fixes, the fixer:

1. reads the file and analyses it afresh (so positions match the bytes on disk, whatever the cache held);
2. refuses when the file does not decode, parse or re-encode to exactly the same bytes, and skips a fix whose
   edits touch a line that carries a suppression comment (``# lraudit: ignore``/``# noqa``) or overlap an edit
   already taken (it is taken in the next round);
3. splices the edits into the text (every other character stays as it was), re-parses the result with libcst
   and requires its round trip to give the same text back;
4. analyses the new text again and repeats while new fixes apply (at most ``MAX_ROUNDS``), so a second
   ``--fix`` finds nothing more to do.

Notebooks are fixed cell by cell: edits are mapped from the joined script back to their code cell, only the
``source`` of those cells changes, and the notebook is written in the JSON layout it had (refused when that
layout cannot be reproduced byte for byte). Outputs and metadata are never touched.
"""

from __future__ import annotations

import codecs
import difflib
import json
import re
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable

from .results import Edit, FileResult, Finding

MAX_ROUNDS = 5
_NEWLINE = re.compile(r"\r\n|\r|\n")


@dataclass
class FileFix:
    """What fixing one file did (or would do, with ``--diff``)."""

    path: str
    display: str
    original: bytes
    fixed: bytes | None = None  # None when nothing changed
    applied: int = 0  # findings whose fix was applied
    result: FileResult | None = None  # analysis of the final content
    refused: str | None = None  # why the file was not changed although it had fixes
    diff_parts: list[tuple[str, str, str]] = field(default_factory=list)  # (label, before, after)

    @property
    def changed(self) -> bool:
        return self.fixed is not None and self.fixed != self.original

    def diff(self) -> str:
        out: list[str] = []
        for label, before, after in self.diff_parts:
            out.extend(difflib.unified_diff(before.splitlines(keepends=True), after.splitlines(keepends=True),
                                            fromfile=f"a/{label}", tofile=f"b/{label}"))
        text = "".join(line if line.endswith(("\n", "\r")) else line + "\n\\ No newline at end of file\n"
                       for line in out)
        return text


def applicable(f: Finding, unsafe: bool) -> bool:
    return f.fixable(unsafe)


def fix_file(path: str, display: str, opts: Any, *, unsafe: bool,
             keep: Callable[[list[Finding]], list[Finding]] = lambda fs: fs) -> FileFix:
    """Fix one file in memory (nothing is written here); ``keep`` filters findings as the report does
    (per-file ignores, baseline)."""
    from .analyze import analyze_bytes
    from .runner import read_source

    data = read_source(path)
    if isinstance(data, str):
        return FileFix(path, display, b"", refused=data)
    out = FileFix(path, display, data)
    current = data
    result = analyze_bytes(current, path, display, opts)
    notebook = path.endswith(".ipynb")
    for _ in range(MAX_ROUNDS):
        if any(f.code == "LR901" for f in result.findings) or result.error:
            if current is data:
                out.refused = "the file does not parse; it is never changed"
            break
        # only this file's own findings (a finding in another module linked into its analysis is fixed there)
        fixes = [f for f in keep(list(result.findings)) if f.path == display and applicable(f, unsafe)]
        if not fixes:
            break
        spliced = (_fix_notebook if notebook else _fix_python)(current, fixes)
        if isinstance(spliced, str):
            out.refused = spliced
            break
        new, n = spliced
        if n == 0 or new == current:
            break
        current = new
        out.applied += n
        result = analyze_bytes(current, path, display, opts)
    out.result = result
    if current != data:
        out.fixed = current
        out.diff_parts = _diff_parts(display, data, current, notebook)
    return out


# -------------------------------------------------------------------------------------------- scripts


def _encoding(data: bytes) -> tuple[bytes, str]:
    """(BOM, encoding) as ``parse.decode_source`` decodes the bytes."""
    from .parse import _CODING_RE  # the same PEP 263 pattern

    if data.startswith(codecs.BOM_UTF8):
        return codecs.BOM_UTF8, "utf-8"
    for line in data.split(b"\n", 2)[:2]:
        m = _CODING_RE.match(line)
        if m:
            return b"", m.group(1).decode("ascii", "replace")
    return b"", "utf-8"


def _fix_python(data: bytes, fixes: list[Finding]) -> tuple[bytes, int] | str:
    from .parse import ParseFailure, decode_source
    from .suppress import parse_suppressions

    text = decode_source(data)
    if isinstance(text, ParseFailure):
        return "the file does not decode; it is never changed"
    bom, encoding = _encoding(data)
    try:
        if bom + text.encode(encoding) != data:
            return f"the file does not re-encode to the same bytes in {encoding}; not changed"
    except (LookupError, UnicodeError):
        return f"the file cannot be written back in {encoding}; not changed"
    protected = _suppressed_lines(parse_suppressions(text))
    chosen, count = _choose(fixes, protected)
    if not chosen:
        return data, 0
    new_text = _splice(text, chosen)
    if new_text is None:
        return data, 0
    if not _round_trips(new_text):
        return "the fixed code would not parse; not changed"
    try:
        return bom + new_text.encode(encoding), count
    except UnicodeError:
        return f"the fixed code cannot be written in {encoding}; not changed"


def _suppressed_lines(supp: Any) -> frozenset[int]:
    if supp.file_all:
        return frozenset(range(1, 1 << 30))  # never reached: a file-wide ignore leaves no finding
    return frozenset(supp.line_all) | frozenset(supp.line_selectors)


def _choose(fixes: Iterable[Finding], protected: frozenset[int]) -> tuple[list[Edit], int]:
    """The edits of the fixes that touch no protected line and overlap no edit taken before (in order)."""
    taken: list[Edit] = []
    count = 0
    for f in sorted(fixes, key=Finding.sort_key):
        assert f.fix is not None
        edits = list(f.fix.edits)
        if any(ln in protected for e in edits for ln in range(e.line, e.end_line + 1)):
            continue
        if any(_overlap(e, t) for e in edits for t in taken) or any(
                _overlap(a, b) for i, a in enumerate(edits) for b in edits[i + 1:]):
            continue
        taken.extend(edits)
        count += 1
    return sorted(taken, key=lambda e: (e.line, e.column, e.end_line, e.end_column)), count


def _overlap(a: Edit, b: Edit) -> bool:
    a0, a1 = (a.line, a.column), (a.end_line, a.end_column)
    b0, b1 = (b.line, b.column), (b.end_line, b.end_column)
    if a0 == a1 or b0 == b1:  # an insertion conflicts with an edit at (or around) the same place
        return a0 <= b1 and b0 <= a1
    return a0 < b1 and b0 < a1


def _line_starts(text: str) -> list[int]:
    starts = [0]
    starts.extend(m.end() for m in _NEWLINE.finditer(text))
    return starts


def _offset(text: str, starts: list[int], line: int, column: int) -> int | None:
    if not 1 <= line <= len(starts):
        return None
    base = starts[line - 1]
    limit = starts[line] if line < len(starts) else len(text)
    off = base + column - 1
    return off if base <= off <= limit else None


def _splice(text: str, edits: list[Edit]) -> str | None:
    """``text`` with the (sorted, non-overlapping) edits applied; None when a position is outside the text."""
    starts = _line_starts(text)
    spans = []
    for e in edits:
        a = _offset(text, starts, e.line, e.column)
        b = _offset(text, starts, e.end_line, e.end_column)
        if a is None or b is None or b < a:
            return None
        spans.append((a, b, e.content))
    out = []
    pos = 0
    for a, b, content in spans:
        if a < pos:
            return None
        out.append(text[pos:a])
        out.append(content)
        pos = b
    out.append(text[pos:])
    return "".join(out)


def _round_trips(text: str) -> bool:
    from .parse import ParseFailure, parse_source

    module = parse_source(text)
    return not isinstance(module, ParseFailure) and module.code == (text[1:] if text.startswith("\ufeff") else text)


# ------------------------------------------------------------------------------------------ notebooks


def _notebook_layout(data: bytes, nb: Any) -> Callable[[Any], bytes] | None:
    """A function that writes a notebook exactly as this one is written, or None when no layout reproduces it."""
    bom = codecs.BOM_UTF8 if data.startswith(codecs.BOM_UTF8) else b""
    for indent in (1, 2, 4, None):
        for ascii_only in (False, True):
            for tail in ("\n", ""):
                def dump(obj: Any, indent: Any = indent, ascii_only: bool = ascii_only, tail: str = tail) -> bytes:
                    return bom + (json.dumps(obj, indent=indent, ensure_ascii=ascii_only) + tail).encode("utf-8")
                if dump(nb) == data:
                    return dump
    return None


def _fix_notebook(data: bytes, fixes: list[Finding]) -> tuple[bytes, int] | str:
    from .notebook import _cell_lines, _parses, notebook_script
    from .parse import ParseFailure
    from .suppress import parse_suppressions

    script = notebook_script(data)
    if isinstance(script, ParseFailure):
        return "the notebook cannot be read; it is never changed"
    try:
        nb = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        return "the notebook cannot be read; it is never changed"
    dump = _notebook_layout(data, nb)
    if dump is None:
        return "the notebook's JSON layout cannot be reproduced byte for byte; not changed"
    cells = nb.get("cells", [])
    script_lines = script.text.split("\n")
    protected = _suppressed_lines(parse_suppressions(script.text))
    per_cell: dict[int, list[Edit]] = {}
    count = 0
    taken: list[Edit] = []
    for f in sorted(fixes, key=Finding.sort_key):
        assert f.fix is not None
        mapped = _map_edits(f.fix.edits, script, script_lines, cells, protected)
        if mapped is None or any(_overlap(e, t) for e in f.fix.edits for t in taken):
            continue
        taken.extend(f.fix.edits)
        for number, edit in mapped:
            per_cell.setdefault(number, []).append(edit)
        count += 1
    if not per_cell:
        return data, 0
    for number, edits in per_cell.items():
        cell = cells[number - 1]
        src = cell.get("source", "")
        as_list = isinstance(src, list)
        text = "".join(src) if as_list else src
        new = _splice(text, sorted(edits, key=lambda e: (e.line, e.column)))
        if new is None or not _parses(_cell_lines(new)):
            return f"the fixed code of cell {number} would not parse; not changed"
        cell["source"] = new.splitlines(keepends=True) if as_list else new
    return dump(nb), count


def _map_edits(edits: Iterable[Edit], script: Any, script_lines: list[str], cells: list[Any],
               protected: frozenset[int]) -> list[tuple[int, Edit]] | None:
    """Edits in the joined script -> (cell number, edit in that cell's source); None when one cannot be mapped
    exactly (it spans cells, or its line was rewritten because it held IPython syntax)."""
    out = []
    for e in edits:
        if any(ln in protected for ln in range(e.line, e.end_line + 1)):
            return None
        c1, l1 = script.cell_of(e.line)
        c2, l2 = script.cell_of(e.end_line)
        if c1 is None or c1 != c2 or not 0 < c1 <= len(cells):
            return None
        src = cells[c1 - 1].get("source", "")
        text = "".join(src) if isinstance(src, list) else src
        if not isinstance(text, str):
            return None
        cell_lines = text.splitlines()
        for sl, cl in zip(range(e.line, e.end_line + 1), range(l1, l2 + 1)):
            if not (0 < cl <= len(cell_lines) and 0 < sl <= len(script_lines)) or cell_lines[cl - 1] != script_lines[sl - 1]:
                return None
        out.append((c1, Edit(l1, e.column, l2, e.end_column, e.content)))
    return out


def _diff_parts(display: str, before: bytes, after: bytes, notebook: bool) -> list[tuple[str, str, str]]:
    if not notebook:
        from .parse import decode_source

        a, b = decode_source(before), decode_source(after)
        return [(display, a, b)] if isinstance(a, str) and isinstance(b, str) else []
    try:
        na = json.loads(before.decode("utf-8-sig")).get("cells", [])
        nb = json.loads(after.decode("utf-8-sig")).get("cells", [])
    except (UnicodeDecodeError, ValueError, AttributeError):
        return []
    parts = []
    for i, (ca, cb) in enumerate(zip(na, nb), 1):
        sa, sb = ca.get("source", ""), cb.get("source", "")
        sa = "".join(sa) if isinstance(sa, list) else sa
        sb = "".join(sb) if isinstance(sb, list) else sb
        if sa != sb:
            parts.append((f"{display}:cell {i}", sa, sb))
    return parts


__all__ = ["FileFix", "fix_file", "applicable", "MAX_ROUNDS"]
