"""``lraudit notes --plots DIR``: one SVG chart per schedule with a known curve (needs matplotlib).

Images are byte-stable for the same curve and matplotlib version: the SVG ids come from a fixed hash salt,
the date metadata is left out, and nothing reads the clock. File names are derived from the script's path and
the scheduler id (sanitized, plus a short hash of both so different paths never share a file name).
"""

from __future__ import annotations

import hashlib
import io
import math
import os
import re
from collections.abc import Mapping, Sequence
from typing import Any

from ..results import FileResult
from ..safe_write import write_atomic

HASH_SALT = "lraudit"
MAX_STEM = 80
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


class PlotError(Exception):
    """Plots cannot be written (matplotlib missing, directory not writable...)."""


def plot_key(path: str, sched_id: str) -> str:
    """The key of :func:`write_plots`'s result (and of ``render_notes(plots=...)``)."""
    return f"{path}::{sched_id}"


def plot_file_name(path: str, sched_id: str) -> str:
    """A deterministic, file-system-safe name such as ``train_imagenet.py-sched1-1a2b3c4d.svg``."""
    stem = _UNSAFE.sub("_", path.replace("\\", "/").strip("/")).strip("._-") or "script"
    if len(stem) > MAX_STEM:
        stem = stem[-MAX_STEM:].lstrip("._-")
    sid = _UNSAFE.sub("_", sched_id).strip("._-") or "sched"
    digest = hashlib.sha1(plot_key(path, sched_id).encode("utf-8")).hexdigest()[:8]
    return f"{stem}-{sid}-{digest}.svg"


def _curve(entry: Mapping[str, Any], det: Mapping[str, Any]) -> tuple[list[float], list[int]] | None:
    lr = entry.get("lr")
    steps = entry.get("lr_steps")
    if lr is None:
        lr, steps = det.get("lr"), det.get("lr_steps")
    if not lr:
        return None
    try:
        values = [float(v) for v in lr]
    except (TypeError, ValueError):
        return None
    values = [v if math.isfinite(v) else math.nan for v in values]
    if all(math.isnan(v) for v in values):
        return None
    xs = [int(x) for x in steps] if steps and len(steps) == len(values) else list(range(len(values)))
    return values, xs


def _short_class(cls: str) -> str:
    if cls.startswith(("custom:", "manual:")):
        return cls.split(":", 1)[1]
    return cls.rsplit(".", 1)[-1]


def _svg(values: Sequence[float], xs: Sequence[int], *, title: str, x_label: str, sampled: bool) -> str:
    import matplotlib
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    with matplotlib.rc_context({"svg.hashsalt": HASH_SALT, "svg.fonttype": "path", "path.simplify": False}):
        fig = Figure(figsize=(6.4, 3.2), dpi=100)
        FigureCanvasAgg(fig)  # the non-interactive backend; pyplot and its global state are never touched
        ax = fig.add_subplot(1, 1, 1)
        ax.plot(xs, values, drawstyle="default" if sampled else "steps-post", linewidth=1.6, color="#1f77b4")
        ax.set_title(title, fontsize=10)
        ax.set_xlabel(x_label)
        ax.set_ylabel("learning rate")
        ax.grid(True, linewidth=0.5, alpha=0.5)
        ax.set_xlim(xs[0], max(xs[-1], xs[0] + 1))
        finite = [v for v in values if not math.isnan(v)]
        low, high = min(0.0, min(finite)), max(finite)
        if high <= low:
            high = low + (abs(low) if low else 1.0)
        ax.set_ylim(low, high * 1.05 if high > 0 else high)
        ax.ticklabel_format(axis="y", style="sci", scilimits=(-3, 4))
        fig.tight_layout()
        buffer = io.StringIO()
        fig.savefig(buffer, format="svg", metadata={"Date": None})
    return buffer.getvalue()


def write_plots(results: Sequence[FileResult], directory: str, relative_to: str = ".") -> dict[str, str]:
    """Write one SVG per schedule with a known curve into ``directory`` (created if needed).

    Returns ``{"path::sched_id": image path relative to relative_to, with / separators}``. Raises
    :class:`PlotError` when matplotlib is not installed or a file cannot be written.
    """
    try:
        import matplotlib.backends.backend_agg  # noqa: F401  (fail here, not halfway through the files)
        import matplotlib.figure  # noqa: F401
    except ImportError:
        raise PlotError("--plots needs matplotlib: pip install 'lr-audit[plot]'") from None
    base = relative_to or "."
    written: dict[str, str] = {}
    jobs: list[tuple[str, str, str, tuple[list[float], list[int]], str]] = []
    for r in sorted(results, key=lambda r: r.path):
        if r.skipped:
            continue
        details = r.details.get("schedulers") or {}
        for entry in r.schedulers:
            sid = str(entry.get("id", ""))
            det = details.get(sid) or {}
            curve = _curve(entry, det)
            if curve is None:
                continue
            unit = str(det.get("unit") or entry.get("unit") or "step")
            jobs.append((r.path, sid, _short_class(str(entry.get("class", ""))), curve, unit))
    if not jobs:
        return written
    try:
        os.makedirs(directory, exist_ok=True)
    except OSError as exc:
        raise PlotError(f"cannot create {directory}: {exc}") from None
    for path, sid, name, (values, xs), unit in jobs:
        sampled = len(xs) > 1 and any(b - a != 1 for a, b in zip(xs, xs[1:]))
        x_label = "epoch" if unit == "epoch" else "scheduler step"
        svg = _svg(values, xs, title=f"{path} \u2014 {sid}: {name}", x_label=x_label, sampled=sampled)
        target = os.path.join(directory, plot_file_name(path, sid))
        try:
            write_atomic(target, svg)
        except OSError as exc:
            raise PlotError(f"cannot write {target}: {exc}") from None
        written[plot_key(path, sid)] = os.path.relpath(target, base).replace(os.sep, "/")
    return written


__all__ = ["PlotError", "write_plots", "plot_file_name", "plot_key"]
