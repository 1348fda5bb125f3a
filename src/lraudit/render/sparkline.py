"""A one-line picture of a learning-rate curve with the eight block characters."""

from __future__ import annotations

import math
from collections.abc import Sequence

BLOCKS = "\u2581\u2582\u2583\u2584\u2585\u2586\u2587\u2588"  # ▁▂▃▄▅▆▇█
FLAT = BLOCKS[3]  # a constant curve is drawn at mid height
GAP = " "  # a bucket with no finite value


def _buckets(values: Sequence[float], width: int) -> list[float | None]:
    """The maximum finite value of each of ``width`` equal buckets (all values when there are fewer)."""
    n = len(values)
    if n <= width:
        return [v if math.isfinite(v) else None for v in values]
    out: list[float | None] = []
    for i in range(width):
        chunk = [v for v in values[i * n // width:(i + 1) * n // width] if math.isfinite(v)]
        out.append(max(chunk) if chunk else None)
    return out


def sparkline(lr: Sequence[float], width: int = 40) -> str:
    """``lr`` as at most ``width`` block characters, scaled linearly between its minimum and maximum.

    Long curves are resampled by taking the maximum of each bucket, so restarts and short spikes stay
    visible. A constant curve is a row of mid-height blocks; NaN and infinite values become spaces; negative
    values are fine (the scale starts at the minimum).
    """
    if width <= 0 or len(lr) == 0:
        return ""
    points = _buckets([float(v) for v in lr], width)
    finite = [v for v in points if v is not None]
    if not finite:
        return GAP * len(points)
    lo, hi = min(finite), max(finite)
    if hi - lo <= 1e-12 * max(abs(hi), abs(lo)):
        return "".join(FLAT if v is not None else GAP for v in points)
    top = len(BLOCKS) - 1
    return "".join(GAP if v is None else BLOCKS[min(top, max(0, round((v - lo) / (hi - lo) * top)))]
                   for v in points)


__all__ = ["sparkline", "BLOCKS"]
