"""Sparklines and Mermaid xychart blocks."""

from __future__ import annotations

import math
import re

import pytest

from lraudit.render.chart import mermaid_xychart, plain_number
from lraudit.render.sparkline import BLOCKS, sparkline

# Mermaid's xychart lexer (packages/mermaid/src/diagrams/xychart/parser/xychart.jison): numbers have no exponent.
MERMAID_NUMBER = r"[+-]?(?:\d+(?:\.\d+)?|\.\d+)"
STRING = r'"[^"`\n]*"'


def parse_chart(block: str) -> dict:
    """A strict reading of the block we emit, following the Mermaid grammar; fails on anything else."""
    lines = block.split("\n")
    assert lines[0] == "```mermaid" and lines[-1] == "```" and lines[1] == "xychart-beta"
    title = re.fullmatch(rf"    title ({STRING})", lines[2])
    x = re.fullmatch(rf"    x-axis ({STRING}) ({MERMAID_NUMBER}) --> ({MERMAID_NUMBER})", lines[3])
    y = re.fullmatch(rf"    y-axis ({STRING}) ({MERMAID_NUMBER}) --> ({MERMAID_NUMBER})", lines[4])
    line = re.fullmatch(rf"    line \[({MERMAID_NUMBER}(?:, {MERMAID_NUMBER})*)\]", lines[5])
    assert title and x and y and line, block
    assert "%%" not in title.group(1)
    return {
        "title": title.group(1)[1:-1],
        "x": (x.group(1)[1:-1], float(x.group(2)), float(x.group(3))),
        "y": (y.group(1)[1:-1], float(y.group(2)), float(y.group(3))),
        "points": [float(v) for v in line.group(1).split(", ")],
    }


# ---------------------------------------------------------------------------------------- sparkline


def test_step_decay_sparkline() -> None:
    lr = [0.1 * 0.1 ** (t // 30) for t in range(90)]
    line = sparkline(lr, width=30)
    assert len(line) == 30
    assert set(line) <= set(BLOCKS)
    assert line[:10] == "\u2588" * 10 and line[-10:] == "\u2581" * 10


def test_short_curves_use_one_block_per_value() -> None:
    assert sparkline([0.0, 0.5, 1.0], width=40) == "\u2581\u2585\u2588"
    assert sparkline([], width=40) == ""
    assert sparkline([0.1], width=40) == "\u2584"


def test_constant_is_mid_height() -> None:
    assert sparkline([0.1] * 100, width=20) == "\u2584" * 20


def test_bucket_maximum_keeps_short_spikes() -> None:
    lr = [0.001] * 1000
    lr[503] = 0.1  # one restart-like spike
    line = sparkline(lr, width=40)
    assert len(line) == 40 and line.count("\u2588") == 1 and line.count("\u2581") == 39


def test_nan_and_negative_values() -> None:
    line = sparkline([0.1, math.nan, -0.1, 0.0, math.inf], width=10)
    assert line == "\u2588 \u2581\u2585 "
    assert sparkline([math.nan] * 3) == "   "


def test_width_zero() -> None:
    assert sparkline([0.1, 0.2], width=0) == ""


# -------------------------------------------------------------------------------------------- chart


@pytest.mark.parametrize("x,expected", [
    (1e-05, "0.00001"), (2.5e-4, "0.00025"), (0.1, "0.1"), (0.1 * 0.1, "0.01"), (4e-07, "0.0000004"),
    (-3e-07, "-0.0000003"), (0.0, "0"), (-0.0, "0"), (12345678.0, "12345700"), (3.0, "3"), (math.nan, "0"),
])
def test_plain_number(x: float, expected: str) -> None:
    assert plain_number(x) == expected
    assert re.fullmatch(MERMAID_NUMBER, expected)


def test_chart_of_a_dense_curve() -> None:
    lr = [0.1 * 0.1 ** (t // 30) for t in range(90)]
    block = mermaid_xychart(lr, title="sched1: StepLR", x_label="epoch")
    chart = parse_chart(block)
    assert chart["title"] == "sched1: StepLR"
    assert chart["x"] == ("epoch", 0.0, 89.0)
    assert chart["y"] == ("learning rate", 0.0, 0.1)
    assert len(chart["points"]) == 60
    assert chart["points"][0] == 0.1 and chart["points"][-1] == 0.001
    assert "e-" not in block


def test_chart_keeps_short_curves_whole() -> None:
    lr = [1e-05, 5e-05, 0.0001, 5e-05]
    chart = parse_chart(mermaid_xychart(lr, title="warm-up", x_label="step", y_label="lr"))
    assert chart["points"] == lr
    assert chart["x"] == ("step", 0.0, 3.0) and chart["y"] == ("lr", 0.0, 0.0001)


def test_chart_of_a_sampled_curve_uses_an_even_grid() -> None:
    steps = [0, 10, 100, 1000]
    lr = [0.1, 0.05, 0.01, 0.001]
    chart = parse_chart(mermaid_xychart(lr, steps, title="t", x_label="step", max_points=11))
    assert chart["x"] == ("step", 0.0, 1000.0)
    # grid points 0, 100, ..., 1000 take the value in effect at each (the last sample at or before it)
    assert chart["points"] == [0.1] + [0.01] * 9 + [0.001]


def test_chart_limits_points_and_handles_odd_values() -> None:
    lr = [0.1 * (1 + math.cos(math.pi * t / 5000)) / 2 for t in range(5001)]
    chart = parse_chart(mermaid_xychart(lr, title="cosine", x_label="step", max_points=25))
    assert len(chart["points"]) == 25 and chart["points"][0] == 0.1 and chart["points"][-1] == 0.0
    neg = parse_chart(mermaid_xychart([0.1, -0.01, math.nan], title="neg", x_label="epoch"))
    assert neg["y"][1] == -0.01 and neg["points"] == [0.1, -0.01, -0.01]
    flat = parse_chart(mermaid_xychart([0.0, 0.0], title="zero", x_label="epoch"))
    assert flat["y"][1] < flat["y"][2]
    empty = parse_chart(mermaid_xychart([], title="none", x_label="epoch"))
    assert empty["points"] == [0.0]


def test_chart_title_is_quoted_and_escaped() -> None:
    block = mermaid_xychart([0.1, 0.01], title='sched1 "StepLR" in `train.py`\n50%% done', x_label='ep"och')
    chart = parse_chart(block)
    assert chart["title"] == "sched1 'StepLR' in 'train.py' 50% done"
    assert chart["x"][0] == "ep'och"


def test_chart_rejects_mismatched_steps() -> None:
    with pytest.raises(ValueError):
        mermaid_xychart([0.1, 0.2], [0], title="t", x_label="step")
