"""Third-party warm-up schedulers installed from PyPI (simulated in warmup_sim.py).

``warmup_scheduler.GradualWarmupScheduler`` (package ``warmup-scheduler``; vendored copies in user code are
simulated as classes of the file instead, see class_sim.py): ``after_scheduler`` is another scheduler object,
built first on the same optimizer and stepped by the wrapper once the warm-up ends.
"""

from __future__ import annotations

from .base import REQUIRED, Entry, P

ENTRIES: tuple[Entry, ...] = (
    Entry(
        qualname="warmup_scheduler.GradualWarmupScheduler",
        kind="scheduler",
        framework="torch",
        params=(P("optimizer"), P("multiplier", REQUIRED), P("total_epoch", REQUIRED), P("after_scheduler", None)),
        aliases=("warmup_scheduler.scheduler.GradualWarmupScheduler",),
        unit="epoch",
        length_args=("total_epoch",),
        summary="warms the rate up linearly to base_lr * multiplier over total_epoch steps, then hands over to "
                "after_scheduler",
        default_source="warmup-scheduler default",
    ),
)

__all__ = ["ENTRIES"]
