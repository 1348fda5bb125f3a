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


# pytorch_warmup (package ``pytorch-warmup`` 0.2.0): dampening wrappers used *together with* a torch scheduler. The
# rate the optimizer uses at update t is the scheduler's rate times the warm-up factor omega(t):
# ``with warmup_scheduler.dampening(): lr_scheduler.step()`` after ``optimizer.step()`` (or, in 0.0.x/0.1.x,
# ``lr_scheduler.step(); warmup_scheduler.dampen()``). The schedulers stepped inside ``dampening()`` (or just before
# ``dampen()``) are listed as its children. Untuned* and RAdam take their period from the optimizer's beta2.
def _pw(name: str, module: str, params: tuple, summary: str, length: tuple[str, ...] = ()) -> Entry:
    return Entry(
        qualname=f"pytorch_warmup.{name}",
        kind="scheduler",
        framework="torch",
        params=params,
        aliases=(f"pytorch_warmup.{module}.{name}",),
        unit="step",
        length_args=length,
        summary=summary,
        default_source="pytorch-warmup default",
    )


ENTRIES = ENTRIES + (
    _pw("LinearWarmup", "base", (P("optimizer"), P("warmup_period"), P("last_step", -1)),
        "multiplies the rate of the scheduler it dampens by min(1, t / warmup_period) at update t (t from 1)",
        ("warmup_period",)),
    _pw("ExponentialWarmup", "base", (P("optimizer"), P("warmup_period"), P("last_step", -1)),
        "multiplies the rate of the scheduler it dampens by 1 - exp(-t / warmup_period) at update t (t from 1)",
        ("warmup_period",)),
    _pw("UntunedLinearWarmup", "untuned", (P("optimizer"), P("last_step", -1)),
        "a linear warm-up over int(2 / (1 - beta2)) updates (Adam's beta2), dampening the scheduler's rate"),
    _pw("UntunedExponentialWarmup", "untuned", (P("optimizer"), P("last_step", -1)),
        "an exponential warm-up with constant int(1 / (1 - beta2)) updates (Adam's beta2), dampening the "
        "scheduler's rate"),
    _pw("RAdamWarmup", "radam", (P("optimizer"), P("last_step", -1)),
        "RAdam's variance rectification factor as a warm-up (from Adam's beta2), dampening the scheduler's rate"),
)
