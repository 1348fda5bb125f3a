"""Analyzer rules: problems with the analysis itself rather than with the training code.

LR901 parse-error is emitted by the pipeline (``analyze.py``) when a file cannot be decoded or parsed: there are
no facts to check then. Its check function exists so the rule has a YAML entry, can be selected, ignored and
overridden like any other, and so the catalog stays one rule = one YAML + one check; it never yields anything.
"""

from __future__ import annotations

from collections.abc import Iterator

from ..registry import check
from ..results import Finding
from .context import CheckContext


@check("LR901")
def parse_error(ctx: CheckContext) -> Iterator[Finding]:
    """Never fires on facts: a file that reached the checks was parsed. The pipeline reports LR901 itself."""
    return iter(())


__all__ = ["parse_error"]
