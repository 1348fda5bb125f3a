"""Jupyter notebooks: code cells joined in order into one script; magics and shell lines are blanked so
line numbers map back to (cell, line)."""

from __future__ import annotations

import json
import re
from bisect import bisect_right
from typing import Callable

from .parse import ParseFailure

MAX_NOTEBOOK_BYTES = 20_000_000
_MAGIC = re.compile(r"^\s*(%|!|\?)|^\s*\w+\?\s*$")


def notebook_source(data: bytes) -> tuple[str, Callable[[int], tuple[int | None, int]]] | ParseFailure:
    if len(data) > MAX_NOTEBOOK_BYTES:
        return ParseFailure(f"notebook is {len(data):,} bytes, over the limit")
    try:
        nb = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        return ParseFailure(f"not a valid notebook (JSON): {str(exc).splitlines()[0][:200]}")
    if not isinstance(nb, dict) or not isinstance(nb.get("cells", []), list):
        return ParseFailure("not a valid notebook: no list of cells")
    lines: list[str] = []
    starts: list[int] = []  # first script line (1-based) of each code cell
    numbers: list[int] = []  # cell number (1-based, counting all cells)
    for i, cell in enumerate(nb.get("cells", []), 1):
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        src = cell.get("source", "")
        if isinstance(src, list):
            src = "".join(s for s in src if isinstance(s, str))
        if not isinstance(src, str):
            continue
        cell_lines = src.splitlines()
        if cell_lines and cell_lines[0].lstrip().startswith("%%"):
            cell_lines = ["" for _ in cell_lines]  # a cell magic: the whole cell is not Python
        starts.append(len(lines) + 1)
        numbers.append(i)
        for line in cell_lines:
            lines.append("" if _MAGIC.match(line) else line)
        lines.append("")
    text = "\n".join(lines) + "\n"

    def cell_of(line: int) -> tuple[int | None, int]:
        k = bisect_right(starts, line) - 1
        if k < 0:
            return None, line
        return numbers[k], line - starts[k] + 1

    return text, cell_of
