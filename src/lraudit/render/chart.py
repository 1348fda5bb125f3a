"""A Mermaid ``xychart-beta`` line chart of a learning-rate curve (GitHub renders it in Markdown).

Mermaid's xychart grammar reads numbers as ``[+-]?(\\d+(\\.\\d+)?|\\.\\d+)``: no exponent, so every number is
written as a plain decimal (``0.00001``, never ``1e-05``; ``1e-05`` is a parse error). Quoted strings cannot
contain a double quote, ``"` `` opens a Markdown string and ``%%`` starts a comment, so titles have those
replaced. Checked with Mermaid 10.9 and 11 (``mermaid.parse``): the chart's points are spread evenly over the
x-axis range, which is why curves are resampled on an even grid of steps.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from decimal import Decimal

SIGNIFICANT = 6


def plain_number(x: float) -> str:
    """``x`` rounded to 6 significant digits as a plain decimal Mermaid accepts (no exponent, no ``-0``)."""
    x = float(x)
    if not math.isfinite(x) or x == 0:
        return "0"
    text = format(Decimal(f"{x:.{SIGNIFICANT}g}"), "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _label(text: str) -> str:
    """A double-quoted Mermaid string: no double quotes, backticks, line breaks or ``%%`` (Mermaid strips
    ``%%`` comments before parsing, which would cut the string) inside."""
    cleaned = " ".join(text.replace('"', "'").replace("`", "'").split())
    while "%%" in cleaned:
        cleaned = cleaned.replace("%%", "%")
    return f'"{cleaned}"'


def _resample(values: Sequence[float], xs: Sequence[int], max_points: int) -> tuple[list[float], float, float]:
    """At most ``max_points`` values on an even grid from the first to the last step (value in effect at each
    grid point, i.e. the last sample at or before it), so Mermaid's evenly spaced points sit at the right x."""
    first, last = float(xs[0]), float(xs[-1])
    evenly = all(xs[i + 1] - xs[i] == xs[1] - xs[0] for i in range(len(xs) - 1)) if len(xs) > 1 else True
    if len(values) <= max_points and evenly:
        return list(values), first, last
    count = max(2, min(max_points, int(last - first) + 1))
    out: list[float] = []
    j = 0
    for i in range(count):
        x = first + (last - first) * i / (count - 1)
        while j + 1 < len(xs) and xs[j + 1] <= x + 1e-9:
            j += 1
        out.append(values[j])
    return out, first, last


def _finite(values: Sequence[float]) -> list[float]:
    """Replace NaN/inf (which Mermaid cannot draw) by the previous finite value, or 0."""
    out: list[float] = []
    prev = 0.0
    for v in values:
        if math.isfinite(v):
            prev = v
        out.append(prev)
    return out


def mermaid_xychart(lr: Sequence[float], steps: Sequence[int] | None = None, *, title: str, x_label: str,
                    y_label: str = "learning rate", max_points: int = 60) -> str:
    """A fenced ```` ```mermaid ```` block (no trailing newline): numeric x-axis from the first to the last step,
    y-axis from min(0, lowest) to the highest value, and one ``line`` series of at most ``max_points`` points.

    ``steps`` are the sample indices of a sampled curve (None: dense, 0..n-1). NaN/inf values, which Mermaid
    cannot draw, repeat the previous finite value."""
    values = [float(v) for v in lr]
    xs = list(steps) if steps is not None else list(range(len(values)))
    if len(xs) != len(values):
        raise ValueError(f"steps has {len(xs)} entries but lr has {len(values)}")
    if not values:
        values, xs = [0.0], [0]
    clean = _finite(values)
    points, first, last = _resample(clean, xs, max(2, max_points))
    lo, hi = min(0.0, min(clean)), max(clean)  # the whole curve's range: a peak between grid points still fits
    if hi <= lo:
        hi = lo + (abs(lo) if lo else 1.0)
    if last <= first:
        last = first + 1
    lines = [
        "```mermaid",
        "xychart-beta",
        f"    title {_label(title)}",
        f"    x-axis {_label(x_label)} {plain_number(first)} --> {plain_number(last)}",
        f"    y-axis {_label(y_label)} {plain_number(lo)} --> {plain_number(hi)}",
        "    line [" + ", ".join(plain_number(v) for v in points) + "]",
        "```",
    ]
    return "\n".join(lines)


__all__ = ["mermaid_xychart", "plain_number"]
