"""Exact learning-rate curves of DeepSpeed's ``deepspeed.runtime.lr_schedules`` (deepspeed 0.19.8), in pure Python.

``curve(name, params, steps, base_lr=B)[k]`` is the learning rate of the first param group after ``k`` calls of
``scheduler.step()`` (``k = 0`` right after construction), on an optimizer built with rate ``B`` (the
optimizer's ``lr``; DeepSpeed's engine calls ``step()`` once per optimizer step that did not overflow).
``value_at(name, params, k, base_lr=B)`` is the same value for one ``k`` in O(1): every DeepSpeed schedule is a
function of ``last_batch_iteration`` alone, so sampled curves of long runs are exact too.

The arithmetic is DeepSpeed's, operation for operation:

* ``WarmupLR``: ``min_lr + delta_lr * gamma`` with ``delta_lr = max_lr - min_lr``;
  ``gamma = (1 / log(W)) * log(i + 1)`` (``warmup_type="log"``, the default) or ``i / W`` (``"linear"``)
  while ``i < W``, else ``1.0``; ``W = max(2, warmup_num_steps)``; ``warmup_max_lr=None`` means the
  optimizer's rate. At construction (``i = -1``) the rate is ``warmup_min_lr``.
* ``WarmupDecayLR``: the same warm-up (``warmup_max_lr`` defaults to ``0.001``, **not** the optimizer's
  rate), then ``gamma = max(0, (T - i) / max(1, T - W))`` for ``T = total_num_steps``.
* ``WarmupCosineLR``: ``lr * ratio``; ``ratio = m + r * (1 - m)`` during the warm-up (``r`` as above,
  ``m = warmup_min_ratio``), then ``max(0, c + (1 - c) * (1 + cos(pi * min(1, (i - W + 1) / max(1, T - W)))) / 2)``
  with ``c = cos_min_ratio``. At construction the rate is ``0.0``.
* ``OneCycle``: the triangular cycle of ``cycle_first_step_size`` + ``cycle_second_step_size`` steps (with
  optional stairs) from ``cycle_min_lr`` to ``cycle_max_lr`` and back, then ``cycle_min_lr / (1 + decay_lr_rate
  * j / decay_step_size)`` (no decay when either is 0). At construction the rate is ``cycle_min_lr``.
* ``LRRangeTest``: ``min_lr * (1 + step_rate * (i + 1) / step_size)`` (``floor`` of the quotient when
  ``lr_range_test_staircase``); at construction ``lr_range_test_min_lr``.

``i`` is ``last_batch_iteration``: ``-1`` at construction, then ``+1`` per ``step()``. A resumed schedule
(``last_batch_iteration >= 0``) writes nothing at construction, so ``curve[0]`` is then the optimizer's rate.

Errors: ``ValueError`` with DeepSpeed's message where DeepSpeed raises (a non-positive or non-integer
``warmup_num_steps`` / ``lr_range_test_step_size``, ``cycle_first_step_size <= 0``,
``cycle_second_step_size < 0``, a per-group list of the wrong length); ``TypeError`` as Python raises it for a
parameter the class does not take or a missing required one; ``Unsupported`` for a name that is not one of
these schedules. ``warnings(name, params)`` lists what DeepSpeed only logs (an unknown ``warmup_type`` falling
back to ``log``, ``total_num_steps < warmup_num_steps``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from .timm_sim import Unsupported

__all__ = [
    "SCHEDULES",
    "Unsupported",
    "bind",
    "curve",
    "value_at",
    "warnings",
]

_REQ = object()
# class -> parameters after ``optimizer`` in order, with defaults
_SIGNATURES: dict[str, tuple[tuple[str, Any], ...]] = {
    "WarmupLR": (("warmup_min_lr", 0.0), ("warmup_max_lr", None), ("warmup_num_steps", 1000),
                 ("warmup_type", "log"), ("last_batch_iteration", -1)),
    "WarmupDecayLR": (("total_num_steps", _REQ), ("warmup_min_lr", 0.0), ("warmup_max_lr", 0.001),
                      ("warmup_num_steps", 1000), ("warmup_type", "log"), ("last_batch_iteration", -1)),
    "WarmupCosineLR": (("total_num_steps", _REQ), ("warmup_min_ratio", 0.0), ("warmup_num_steps", 1000),
                       ("cos_min_ratio", 0.0001), ("warmup_type", "log"), ("last_batch_iteration", -1)),
    "OneCycle": (("cycle_min_lr", _REQ), ("cycle_max_lr", _REQ), ("decay_lr_rate", 0.0),
                 ("cycle_first_step_size", 2000), ("cycle_second_step_size", None),
                 ("cycle_first_stair_count", 0), ("cycle_second_stair_count", None), ("decay_step_size", 0),
                 ("cycle_momentum", True), ("cycle_min_mom", 0.8), ("cycle_max_mom", 0.9), ("decay_mom_rate", 0.0),
                 ("last_batch_iteration", -1)),
    "LRRangeTest": (("lr_range_test_min_lr", 1e-3), ("lr_range_test_step_size", 2000),
                    ("lr_range_test_step_rate", 1.0), ("lr_range_test_staircase", False),
                    ("last_batch_iteration", -1)),
}
SCHEDULES = tuple(_SIGNATURES)


def _short(name: str) -> str:
    return str(name).rsplit(".", 1)[-1]


def bind(name: str, params: Mapping[str, Any]) -> dict[str, Any]:
    """The constructor's bound arguments (defaults filled), raising ``TypeError`` as Python would."""
    short = _short(name)
    if short not in _SIGNATURES:
        raise Unsupported(f"not a DeepSpeed lr_schedules class: {name}")
    signature = _SIGNATURES[short]
    names = [n for n, _ in signature]
    for key in params:
        if key not in names:
            raise TypeError(f"{short}.__init__() got an unexpected keyword argument '{key}'")
    missing = [n for n, d in signature if d is _REQ and n not in params]
    if missing:
        quoted = [f"'{m}'" for m in missing]
        listed = quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " and " + quoted[-1]
        plural = "argument" if len(missing) == 1 else "arguments"
        raise TypeError(f"{short}.__init__() missing {len(missing)} required positional {plural}: {listed}")
    return {n: params.get(n, d) for n, d in signature}


def _group0(value: Any, what: str, n_groups: int | None) -> Any:
    """``_format_param``: a scalar broadcast to every group, or a per-group list of the right length."""
    if isinstance(value, (list, tuple)):
        if n_groups is not None and len(value) != n_groups:
            raise ValueError(f"expected {n_groups} value for {what}, got {len(value)}")
        if not value:
            raise Unsupported(f"{what} is an empty list")
        return value[0]
    return value


class _Schedule:
    """One constructed DeepSpeed schedule for the first param group: ``lr0`` and ``at(i)`` for ``i >= 0``."""

    def __init__(self, name: str, params: Mapping[str, Any], base_lr: Any, n_groups: int | None) -> None:
        short = _short(name)
        a = bind(short, params)
        self.name = short
        self.last0 = a["last_batch_iteration"]
        getattr(self, "_init_" + short)(a, base_lr, n_groups)

    # -- WarmupLR / WarmupDecayLR
    def _init_WarmupLR(self, a: Mapping[str, Any], base_lr: Any, n_groups: int | None) -> None:
        w = a["warmup_num_steps"]
        if not isinstance(w, int) or w <= 0:
            raise ValueError(f"warmup_num_steps must be a positive integer, got {w}")
        max_lr = a["warmup_max_lr"]
        if max_lr is None:
            max_lr = base_lr
        self.min_lr = _group0(a["warmup_min_lr"], "min_lr", n_groups)
        self.max_lr = _group0(max_lr, "max_lr", n_groups)
        self.delta = self.max_lr - self.min_lr
        self.w = max(2, w)
        self.linear = a["warmup_type"] == "linear"
        self.inverse_log = 1.0 / math.log(self.w)
        self.lr0 = self.min_lr if self.last0 == -1 else base_lr
        self.total: Any = None

    def _init_WarmupDecayLR(self, a: Mapping[str, Any], base_lr: Any, n_groups: int | None) -> None:
        self._init_WarmupLR(a, base_lr, n_groups)
        self.total = a["total_num_steps"]

    def _warm_gamma(self, i: int) -> float:
        if self.linear:
            return i / self.w
        return self.inverse_log * math.log(i + 1)

    def _at_WarmupLR(self, i: int) -> Any:
        if i < 0:
            return self.min_lr
        if i < self.w:
            gamma = self._warm_gamma(i)
        elif self.total is None:
            gamma = 1.0
        else:
            gamma = max(0.0, float(self.total - i) / float(max(1.0, self.total - self.w)))
        return self.min_lr + (self.delta * gamma)

    _at_WarmupDecayLR = _at_WarmupLR

    # -- WarmupCosineLR
    def _init_WarmupCosineLR(self, a: Mapping[str, Any], base_lr: Any, n_groups: int | None) -> None:
        w = a["warmup_num_steps"]
        if not isinstance(w, int) or w <= 0:
            raise ValueError(f"warmup_num_steps must be a positive integer, got {w}")
        self.total = a["total_num_steps"]
        self.cos_min_ratio = a["cos_min_ratio"]
        self.linear = a["warmup_type"] == "linear"
        self.warmup_min_ratio = a["warmup_min_ratio"]
        self.w = max(2, w)
        self.inverse_log = 1.0 / math.log(self.w)
        self.org_lr = base_lr
        self.lr0 = self._at_WarmupCosineLR(-1) if self.last0 == -1 else base_lr

    def _at_WarmupCosineLR(self, i: int) -> Any:
        if i < 0:
            return 0.0
        if i < self.w:
            ratio = self._warm_gamma(i)
            ratio_delta = 1. - self.warmup_min_ratio
            ratio = self.warmup_min_ratio + ratio * ratio_delta
        else:
            real_last_step = i - self.w + 1
            real_total_steps = max(1, self.total - self.w)
            cosine_progress = min(1.0, real_last_step / real_total_steps)
            ratio_delta = 1. - self.cos_min_ratio
            ratio = (1 + math.cos(math.pi * cosine_progress)) / 2
            ratio = max(0.0, self.cos_min_ratio + ratio_delta * ratio)
        return self.org_lr * ratio

    # -- OneCycle
    def _init_OneCycle(self, a: Mapping[str, Any], base_lr: Any, n_groups: int | None) -> None:
        first = float(a["cycle_first_step_size"])
        second = float(a["cycle_second_step_size"]) if a["cycle_second_step_size"] is not None else first
        if first <= 0:
            raise ValueError(f"cycle_first_step_size must be positive, got {first}")
        if second < 0:
            raise ValueError(f"cycle_second_step_size must be non-negative, got {second}")
        self.total_size = first + second
        self.step_ratio = first / self.total_size
        self.first_step_size = first
        self.second_step_size = second
        self.first_stair_count = a["cycle_first_stair_count"]
        self.second_stair_count = (a["cycle_first_stair_count"] if a["cycle_second_stair_count"] is None
                                   else a["cycle_second_stair_count"])
        self.decay_step_size = a["decay_step_size"]
        self.skip_lr_decay = math.isclose(self.decay_step_size, 0)
        self.min_lr = _group0(a["cycle_min_lr"], "cycle_min_lr", n_groups)
        self.max_lr = _group0(a["cycle_max_lr"], "cycle_max_lr", n_groups)
        self.decay_lr_rate = a["decay_lr_rate"]
        if math.isclose(self.decay_lr_rate, 0):
            self.skip_lr_decay = True
        self.lr0 = self.min_lr if self.last0 == -1 else base_lr

    def _scale_factor(self, i: int) -> float:
        batch_iteration = (i + 1)
        cycle = math.floor(1 + batch_iteration / self.total_size)
        x = 1. + batch_iteration / self.total_size - cycle
        if x <= self.step_ratio:
            scale_factor = x / self.step_ratio
            stair_count = self.first_stair_count
        else:
            scale_factor = (x - 1) / (self.step_ratio - 1)
            stair_count = self.second_stair_count
        if stair_count > 0:
            cycle_iteration = batch_iteration % self.total_size
            if cycle_iteration <= self.first_step_size:
                stair_position = cycle_iteration * stair_count / self.first_step_size
            else:
                stair_position = (self.total_size - cycle_iteration) * stair_count / self.second_step_size
            scale_factor = math.floor(stair_position) / stair_count
        return scale_factor

    def _at_OneCycle(self, i: int) -> Any:
        if i < self.total_size:
            base_height = (self.max_lr - self.min_lr) * self._scale_factor(i)
            return self.min_lr + base_height
        if self.skip_lr_decay:
            return self.min_lr
        decay_interval = (i - self.total_size + 1) / self.decay_step_size
        lr_decay_factor = (1 + self.decay_lr_rate * decay_interval)
        return self.min_lr / lr_decay_factor

    # -- LRRangeTest
    def _init_LRRangeTest(self, a: Mapping[str, Any], base_lr: Any, n_groups: int | None) -> None:
        self.min_lr = _group0(a["lr_range_test_min_lr"], "lr_range_test_min_lr", n_groups)
        size = a["lr_range_test_step_size"]
        if not isinstance(size, int) or size <= 0:
            raise ValueError(f"lr_range_test_step_size must be a positive integer, got {size}")
        self.step_size = size
        self.step_rate = a["lr_range_test_step_rate"]
        self.staircase = a["lr_range_test_staircase"]
        self.lr0 = self.min_lr if self.last0 == -1 else base_lr

    def _at_LRRangeTest(self, i: int) -> Any:
        if self.staircase:
            interval: Any = math.floor(float(i + 1) / self.step_size)
        else:
            interval = float(i + 1) / self.step_size
        return self.min_lr * (1 + self.step_rate * interval)

    def at_step(self, k: int) -> Any:
        """The rate after ``k`` calls of ``step()``."""
        if k == 0:
            return self.lr0
        return getattr(self, "_at_" + self.name)(self.last0 + k)


def curve(name: str, params: Mapping[str, Any], steps: int, *, base_lr: Any = 0.001,
          n_groups: int | None = None) -> list[Any]:
    """``[rate after k step() calls for k in range(steps)]`` for the first param group."""
    sched = _Schedule(name, params, base_lr, n_groups)
    return [sched.at_step(k) for k in range(steps)]


def value_at(name: str, params: Mapping[str, Any], indices: list[int], *, base_lr: Any = 0.001,
             n_groups: int | None = None) -> list[Any]:
    """The rates after ``k`` step() calls for each ``k`` in ``indices`` (O(1) each)."""
    sched = _Schedule(name, params, base_lr, n_groups)
    return [sched.at_step(k) for k in indices]


def warnings(name: str, params: Mapping[str, Any]) -> list[str]:
    """What DeepSpeed only logs for these parameters (it does not raise)."""
    short = _short(name)
    out: list[str] = []
    if short not in ("WarmupLR", "WarmupDecayLR", "WarmupCosineLR"):
        return out
    a = bind(short, params)
    wtype = a["warmup_type"]
    if wtype not in ("log", "linear"):
        out.append(f"Using unknown warmup_type: {wtype}. The increasing function is set to default (log)")
    total = a.get("total_num_steps")
    w = a["warmup_num_steps"]
    if total is not None and isinstance(w, int) and not isinstance(total, (str, bool)) and total < max(2, w):
        out.append(f"total_num_steps {total} is less than warmup_num_steps {w}")
    return out


# --------------------------------------------------------------------------------- the pipeline's simulator


def own_length(name: str, a: Mapping[str, Any]) -> tuple[int, str] | None:
    """The schedule's own length in steps, shown (as an assumption) when the run's length is not stated."""
    short = _short(name)

    def ok(x: Any) -> bool:
        return isinstance(x, (int, float)) and not isinstance(x, bool) and x > 0

    if short in ("WarmupDecayLR", "WarmupCosineLR") and ok(a.get("total_num_steps")):
        return int(a["total_num_steps"]) + 1, f"{short}'s total_num_steps={a['total_num_steps']}"
    if short == "WarmupLR" and ok(a.get("warmup_num_steps")):
        n = int(a["warmup_num_steps"])
        return 2 * n, f"twice warmup_num_steps={n}"
    if short == "OneCycle" and ok(a.get("cycle_first_step_size")):
        first = a["cycle_first_step_size"]
        second = a.get("cycle_second_step_size")
        n = int(first + (second if ok(second) else first))
        return n + n // 2, f"the cycle ({n} steps) and half as many after it"
    if short == "LRRangeTest" and ok(a.get("lr_range_test_step_size")):
        n = int(a["lr_range_test_step_size"])
        return 10 * n, f"ten lr_range_test_step_size={n} intervals"
    return None


def simulate(facts: Any, s: Any, opts: Any) -> Any:
    """``Curve`` of a DeepSpeed schedule fact (catalog/config_sims.py calls it for framework "deepspeed")."""
    from ..facts import Known
    from ..simulate import Curve, Unresolved, _base_lr, _dense_or_sampled, _plain_args, _unknown_needed, \
        choose_length

    short = _short(s.cls)
    args = _plain_args(s)
    own = own_length(short, args)
    if opts.steps is None and not (isinstance(s.horizon, Known) and isinstance(s.horizon.value, (int, float))
                                   and s.horizon.value > 0) and own is not None:
        length = own[0]
        reason = getattr(s.horizon, "reason", "")
        horizon_source = f"assumed {length} steps: the schedule's own length ({own[1]}); the run's length is not " \
                         f"stated ({reason})"
    else:
        length, horizon_source = choose_length(s, opts, facts)
    base, _defaults_lr, why = _base_lr(facts, s)
    try:
        missing = _unknown_needed(s, tuple(s.args))
        if missing:
            raise Unresolved(missing)
        needs_lr = short == "WarmupCosineLR" or (short == "WarmupLR" and args.get("warmup_max_lr") is None)
        if base is None and needs_lr:
            raise Unresolved(why or "the optimizer's lr is unknown")
        lr0 = base if base is not None else 0.0
        try:
            value_at(short, args, [0], base_lr=lr0)
        except (ValueError, TypeError) as exc:
            return Curve(None, None, length, horizon_source, "step",
                         error=f"the library would raise: {short} raises {type(exc).__name__} at construction: {exc}")
        lr, steps, summary = _dense_or_sampled(
            lambda n: curve(short, args, n, base_lr=lr0), length, opts,
            lambda idx: value_at(short, args, list(idx), base_lr=lr0))
        return Curve(lr, steps, length, horizon_source, "step", summary=summary)
    except Unresolved as exc:
        return Curve(None, None, length, horizon_source, "step", error=str(exc))
    except Unsupported as exc:
        return Curve(None, None, length, horizon_source, "step", error=f"cannot simulate: {exc}")
