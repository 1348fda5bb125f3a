"""PyTorch-Ignite parameter schedulers (pytorch-ignite 0.5.5 signatures and defaults; simulated in ignite_sim.py).

Ignite's schedulers are event handlers, not ``step()`` objects: the event they are attached to
(``trainer.add_event_handler(Events.ITERATION_STARTED, scheduler)``, ``scheduler.attach(trainer, event)``,
``common.setup_common_training_handlers(trainer, lr_scheduler=...)``) decides how often they act and whether they
set the rate before (``*_STARTED``) or after (``*_COMPLETED``) that iteration's or epoch's update. Each call
writes an absolute value computed from the handler's own ``event_index`` into the optimizer's groups.

* ``LRScheduler(torch_scheduler)`` wraps a torch scheduler (listed as its child): each event writes the torch
  scheduler's ``get_lr()`` at its current ``last_epoch``, then increments ``last_epoch``;
* ``ConcatScheduler(schedulers, durations)`` runs each scheduler for its duration (the last one for ever);
* ``create_lr_scheduler_with_warmup(lr_scheduler, warmup_start_value, warmup_duration, warmup_end_value=None)``
  returns a ConcatScheduler of a linear warm-up (``PiecewiseLinear`` per group) and ``lr_scheduler``.
"""

from __future__ import annotations

from .base import REQUIRED, Entry, P, Param

_D = "ignite default"
_MODULES = ("ignite.handlers.param_scheduler", "ignite.handlers", "ignite.contrib.handlers",
            "ignite.contrib.handlers.param_scheduler")

_CYCLICAL: tuple[Param, ...] = (
    P("optimizer"), P("param_name"), P("start_value"), P("end_value"), P("cycle_size"), P("cycle_mult", 1.0),
    P("start_value_mult", 1.0), P("end_value_mult", 1.0), P("warmup_duration", 0), P("save_history", False),
    P("param_group_index", None),
)


def _entry(name: str, params: tuple[Param, ...], summary: str, length: tuple[str, ...] = ()) -> Entry:
    return Entry(
        qualname=f"{_MODULES[0]}.{name}",
        kind="scheduler",
        framework="ignite",
        params=params,
        aliases=tuple(f"{m}.{name}" for m in _MODULES[1:]),
        unit="either",
        length_args=length,
        closed_form=True,
        ignores_optimizer_lr=name not in ("LRScheduler",),
        summary=summary,
        default_source=_D,
    )


ENTRIES: tuple[Entry, ...] = (
    _entry("LRScheduler", (P("lr_scheduler"), P("save_history", False), P("use_legacy", False)),
           "runs a torch scheduler as an ignite event handler: each event sets its get_lr(), then advances it"),
    _entry("CosineAnnealingScheduler", _CYCLICAL,
           "half a cosine from start_value to end_value over each cycle of cycle_size events, then restarts",
           ("cycle_size",)),
    _entry("LinearCyclicalScheduler", _CYCLICAL + (P("monotonic", False, "kwonly"),),
           "linearly from start_value to end_value and back over each cycle of cycle_size events",
           ("cycle_size",)),
    _entry("PiecewiseLinear", (P("optimizer"), P("param_name"), P("milestones_values"), P("save_history", False),
                               P("param_group_index", None)),
           "linear between (event, value) milestones, held at the first and last values outside them",
           ("milestones_values",)),
    _entry("ConcatScheduler", (P("schedulers"), P("durations"), P("save_history", False)),
           "runs each scheduler for its duration in events, the last one until the end", ("durations",)),
    _entry("ParamGroupScheduler", (P("schedulers"), P("names", None), P("save_history", False)),
           "calls each of its schedulers (one per parameter group or optimizer) at every event"),
    _entry("create_lr_scheduler_with_warmup",
           (P("lr_scheduler"), P("warmup_start_value", REQUIRED), P("warmup_duration", REQUIRED),
            P("warmup_end_value", None), P("save_history", False), P("output_simulated_values", None)),
           "a linear warm-up from warmup_start_value over warmup_duration events, then lr_scheduler",
           ("warmup_duration",)),
)

#: constructor parameters that take other schedulers (built first, passed as objects)
CHILD_PARAMS: dict[str, str] = {"LRScheduler": "lr_scheduler", "ConcatScheduler": "schedulers",
                                "ParamGroupScheduler": "schedulers",
                                "create_lr_scheduler_with_warmup": "lr_scheduler"}

#: ignite's event names for the handlers that set a parameter
EVENTS = ("ITERATION_STARTED", "ITERATION_COMPLETED", "EPOCH_STARTED", "EPOCH_COMPLETED")

__all__ = ["ENTRIES", "CHILD_PARAMS", "EVENTS"]
