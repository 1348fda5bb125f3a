"""Jupyter notebooks: code cells joined in order into one script, so a notebook is audited like a script.

IPython syntax is neutralised line by line so that line numbers map back to (cell, line):

* shell lines (``!pip install ...``), line magics (``%matplotlib inline``) and help lines (``obj?``, ``??obj``)
  become ``pass`` at the same indentation (a blank line could leave an indented block empty);
* ``%time stmt`` / ``%timeit stmt`` keep the statement they time;
* ``files = !ls`` / ``x = %env VAR`` become ``files = None``;
* a cell magic runs the cell as Python only for the timing/capturing magics (``%%time``, ``%%capture``, ...);
  other cell magics (``%%bash``, ``%%writefile``, ``%%html``) make the whole cell blank;
* a cell that still does not parse (a syntax error, top-level ``await``) is blanked, so the rest of the notebook
  is still audited; ``NotebookScript.skipped`` lists those cells.

Markdown and raw cells are skipped; each code cell is followed by one blank line.
"""

from __future__ import annotations

import ast
import json
import re
import warnings
from bisect import bisect_right
from dataclasses import dataclass, field
from typing import Callable

from .parse import ParseFailure

MAX_NOTEBOOK_BYTES = 20_000_000

# cell magics whose body is Python that runs in the notebook
PYTHON_CELL_MAGICS = frozenset({"time", "timeit", "capture", "prun", "debug", "python", "python3", "ipython",
                                "memit", "mprun", "tensorflow_version"})
# line magics followed by a statement that runs: keep the statement
_TIMING_LINE = re.compile(r"^(\s*)%{1,2}(?:time|timeit|prun|memit|capture)\b(?:\s+-\S+(?:\s+\d+)?)*\s+(\S.*)$")
_SHELL_OR_MAGIC = re.compile(r"^(\s*)(?:!|%|\?)")
_HELP = re.compile(r"^(\s*)(?:\?{1,2}\s*[\w.]+|[\w.]+(?:\([^()]*\))?\s*\?{1,2})\s*$")
_ASSIGN_MAGIC = re.compile(r"^(\s*[\w.]+(?:\s*,\s*[\w.]+)*\s*=\s*)(?:!|%{1,2})\S.*$")


@dataclass
class NotebookScript:
    text: str
    starts: list[int] = field(default_factory=list)  # first script line (1-based) of each code cell
    numbers: list[int] = field(default_factory=list)  # that cell's number (1-based, counting every cell)
    skipped: list[int] = field(default_factory=list)  # cells blanked because they do not parse as Python

    def cell_of(self, line: int) -> tuple[int | None, int]:
        """(cell number, line within the cell) of a script line; (None, line) before the first code cell."""
        k = bisect_right(self.starts, line) - 1
        if k < 0:
            return None, line
        return self.numbers[k], line - self.starts[k] + 1

    def script_line(self, cell: int, line: int) -> int | None:
        """The script line of ``line`` in code cell ``cell`` (inverse of ``cell_of``)."""
        for start, number in zip(self.starts, self.numbers):
            if number == cell:
                return start + line - 1
        return None


def _clean_line(line: str) -> str:
    m = _TIMING_LINE.match(line)
    if m:
        return m.group(1) + m.group(2)
    m = _ASSIGN_MAGIC.match(line)
    if m:
        return m.group(1) + "None"
    m = _SHELL_OR_MAGIC.match(line) or _HELP.match(line)
    if m:
        return m.group(1) + "pass"
    return line


def _cell_lines(src: str) -> list[str]:
    lines = src.splitlines()
    if lines and lines[0].lstrip().startswith("%%"):
        magic = lines[0].lstrip()[2:].split(None, 1)
        name = magic[0] if magic else ""
        if name in PYTHON_CELL_MAGICS:
            return ["pass" if not lines[0].startswith((" ", "\t")) else ""] + [_clean_line(x) for x in lines[1:]]
        return ["" for _ in lines]  # %%bash, %%writefile, %%html ...: not Python that runs here
    out = []
    continued = False
    depth = _Depth()
    for x in lines:
        # a magic or shell line continued with a trailing backslash continues to be shell text
        if continued:
            out.append("")
        elif depth.open:
            out.append(x)  # inside brackets or a string: `% b` continues an expression, not a magic
        else:
            out.append(_clean_line(x))
        magic = not depth.open and bool(_SHELL_OR_MAGIC.match(x))
        if continued or magic:
            continued = x.rstrip().endswith("\\")
        else:
            depth.feed(x)
    return out


class _Depth:
    """Whether a line starts inside open brackets, a triple-quoted string or after a backslash continuation."""

    def __init__(self) -> None:
        self.brackets = 0
        self.triple: str | None = None
        self.backslash = False

    @property
    def open(self) -> bool:
        return self.brackets > 0 or self.triple is not None or self.backslash

    def feed(self, line: str) -> None:
        i, n = 0, len(line)
        while i < n:
            if self.triple is not None:
                j = line.find(self.triple, i)
                if j < 0:
                    return
                i = j + 3
                self.triple = None
                continue
            c = line[i]
            if c == "#":
                break
            if c in "\'\"":
                if line.startswith(c * 3, i):
                    self.triple = c * 3
                    i += 3
                    continue
                j = i + 1
                while j < n and line[j] != c:
                    j += 2 if line[j] == "\\" else 1
                i = j + 1
                continue
            if c in "([{":
                self.brackets += 1
            elif c in ")]}":
                self.brackets = max(0, self.brackets - 1)
            i += 1
        self.backslash = line.rstrip().endswith("\\") and self.triple is None


def _parses(lines: list[str]) -> bool:
    try:
        with warnings.catch_warnings():  # "SyntaxWarning: invalid escape sequence" is not for lraudit's output
            warnings.simplefilter("ignore")
            ast.parse("\n".join(lines) + "\n")
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    return True


def notebook_script(data: bytes) -> NotebookScript | ParseFailure:
    """The code cells of a notebook as one script (see the module docstring)."""
    if len(data) > MAX_NOTEBOOK_BYTES:
        return ParseFailure(f"notebook is {len(data):,} bytes, over the limit")
    try:
        nb = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError) as exc:
        return ParseFailure(f"not a valid notebook (JSON): {(str(exc).splitlines() or [''])[0][:200]}")
    except RecursionError:
        return ParseFailure("not a valid notebook: its JSON is nested too deeply")
    if not isinstance(nb, dict) or not isinstance(nb.get("cells", []), list):
        return ParseFailure("not a valid notebook: no list of cells")
    nbformat = nb.get("nbformat", 4)
    if "worksheets" in nb and not (isinstance(nbformat, int) and nbformat >= 4):
        return ParseFailure("notebook format 3 (worksheets) is not supported; convert it with `jupyter nbconvert "
                            "--to notebook`")
    metadata = nb.get("metadata")
    kernelspec = metadata.get("kernelspec") if isinstance(metadata, dict) else None
    language = str((kernelspec.get("language") if isinstance(kernelspec, dict) else None) or "python").lower()
    if language not in ("python", "python3", ""):
        return ParseFailure(f"the notebook's kernel language is {language!r}, not Python")
    lines: list[str] = []
    script = NotebookScript("")
    for i, cell in enumerate(nb.get("cells", []), 1):
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        src = cell.get("source", "")
        if isinstance(src, list):
            src = "".join(s for s in src if isinstance(s, str))
        if not isinstance(src, str):
            continue
        cell_lines = _cell_lines(src)
        if cell_lines and not _parses(cell_lines):
            script.skipped.append(i)
            cell_lines = ["" for _ in cell_lines]
        script.starts.append(len(lines) + 1)
        script.numbers.append(i)
        lines.extend(cell_lines)
        lines.append("")
    script.text = "\n".join(lines) + "\n"
    return script


def notebook_source(data: bytes) -> tuple[str, Callable[[int], tuple[int | None, int]]] | ParseFailure:
    """``(script text, cell_of)`` where ``cell_of(line)`` is ``(cell number, line in cell)``."""
    script = notebook_script(data)
    if isinstance(script, ParseFailure):
        return script
    return script.text, script.cell_of


__all__ = ["NotebookScript", "notebook_script", "notebook_source", "PYTHON_CELL_MAGICS"]
