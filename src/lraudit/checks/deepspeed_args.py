"""LR002's problems for DeepSpeed's own schedules (``deepspeed.runtime.lr_schedules``), from facts only.

What DeepSpeed 0.19.8 rejects at construction (a parameter the class does not take, a missing
``total_num_steps``, a non-integer or non-positive ``warmup_num_steps``...), found by binding the known
arguments exactly as ``catalog/deepspeed_sim.py`` does; and what it silently mishandles:

* ``WarmupDecayLR`` without ``warmup_max_lr`` warms up to DeepSpeed's default 0.001, not to the optimizer's rate;
* ``total_num_steps`` below ``warmup_num_steps`` (DeepSpeed only logs it): the rate never reaches its peak within
  the schedule's length, then falls straight to ``warmup_min_lr``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ..facts import FileFacts, Known, SchedulerFact
from .common import fmt, optimizer_lr, short

__all__ = ["deepspeed_problems"]

_VALUE_ARGS = ("warmup_num_steps", "lr_range_test_step_size", "cycle_first_step_size", "cycle_second_step_size")


def deepspeed_problems(facts: FileFacts, s: SchedulerFact) -> Iterator[tuple[str, str]]:
    from ..catalog import deepspeed_sim

    name = short(s.cls)
    if name not in deepspeed_sim.SCHEDULES:
        return
    known: dict[str, Any] = {k: v.value for k, v in s.args.items() if isinstance(v, Known) and not k.startswith("__")}
    unknown = {k for k in s.args if k not in known}
    try:
        deepspeed_sim.bind(name, {k: 0 for k in s.args if not k.startswith("__")})
    except TypeError as exc:
        text = str(exc)
        for k in sorted(s.args):
            if f"argument '{k}'" in text:
                yield k, f"{text}: DeepSpeed cannot build the scheduler"
                return
        yield "total_num_steps" if "total_num_steps" in text else name, f"{text}: DeepSpeed cannot build the scheduler"
        return
    if not unknown:
        try:
            deepspeed_sim.value_at(name, known, [0], base_lr=optimizer_lr(facts.optimizer(s.optimizer)) or 1e-3)
        except (ValueError, TypeError) as exc:
            arg = next((a for a in _VALUE_ARGS if a in str(exc)), name)
            yield arg, f"{name} raises {type(exc).__name__} at construction: {exc}"
            return
    lr = optimizer_lr(facts.optimizer(s.optimizer))
    given_max = s.args.get("warmup_max_lr")
    if name == "WarmupDecayLR" and isinstance(given_max, Known) and given_max.source.startswith("DeepSpeed default") \
            and lr is not None and lr != given_max.value:
        yield "warmup_max_lr", (f"not set, so WarmupDecayLR warms up to DeepSpeed's default {fmt(given_max.value)}, "
                                f"not to the optimizer's lr {fmt(lr)}: the schedule overwrites the optimizer's rate")
    total, warm = known.get("total_num_steps"), known.get("warmup_num_steps")
    run_known = isinstance(s.horizon, Known)  # then LR104 (warm-up longer than the run) judges the warm-up
    if name in ("WarmupDecayLR", "WarmupCosineLR") and _int(total) and _int(warm) and total < max(2, warm) \
            and not run_known:
        yield "warmup_num_steps", (f"warmup_num_steps={warm} is longer than total_num_steps={total}: DeepSpeed only "
                                   f"logs a warning; the rate is still warming up when the schedule ends at step "
                                   f"{total}" + (" and then falls straight to warmup_min_lr"
                                                 if name == "WarmupDecayLR" else ""))


def _int(x: Any) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool)
