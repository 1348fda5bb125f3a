"""Exact simulation of PyTorch-Ignite's parameter schedulers (pytorch-ignite 0.5.5,
``ignite/handlers/param_scheduler.py``) and of the events that call them.

The classes below are the package's algorithms, the same float operations in the same order, on torch_sim's
simulated optimizer (``LRScheduler`` wraps a torch_sim scheduler exactly as ignite wraps a torch one). ``run``
drives a handler as an ignite ``Engine`` does: the handler is called at each occurrence of its event that passes
the event's filter (``every``, ``once``, ``before``/``after``), *before* the iteration's (or epoch's) update for
``*_STARTED`` and *after* it for ``*_COMPLETED``; ``lr[k]`` is the rate the k-th update (or epoch) uses.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass
from typing import Any, Callable, Mapping, Sequence

from .torch_sim import CosineAnnealingWarmRestarts, LRScheduler as TorchLRScheduler, _Optimizer


class IgniteError(Exception):
    """What ignite raises at construction or while running (the curve stops with the reason)."""


class ParamScheduler:
    def __init__(self, optimizer: Any, param_name: str, save_history: bool = False,
                 param_group_index: int | None = None) -> None:
        if not hasattr(optimizer, "param_groups"):
            raise IgniteError("TypeError: Argument optimizer should be torch.optim.Optimizer or has attribute "
                              "'param_groups' as list/tuple")
        self.param_name = param_name
        self.event_index = 0
        self.optimizer = optimizer
        self.param_group_index = param_group_index

    @property
    def optimizer_param_groups(self) -> list[dict[str, Any]]:
        if self.param_group_index is None:
            return self.optimizer.param_groups
        return [self.optimizer.param_groups[self.param_group_index]]

    def __call__(self, engine: Any = None, name: str | None = None) -> None:
        value = self._get_param()
        if isinstance(value, list):
            if len(value) != len(self.optimizer_param_groups):
                raise IgniteError(f"ValueError: size of value is different than optimizer_param_groups "
                                  f"{len(value)} != {len(self.optimizer_param_groups)}")
            for i, param_group in enumerate(self.optimizer_param_groups):
                param_group[self.param_name] = value[i]
        else:
            for param_group in self.optimizer_param_groups:
                param_group[self.param_name] = value
        self.event_index += 1

    def get_param(self) -> Any:
        raise NotImplementedError

    def _get_param(self) -> Any:
        return self.get_param()


class CyclicalScheduler(ParamScheduler):
    def __init__(self, optimizer: Any, param_name: str, start_value: float, end_value: float, cycle_size: int,
                 cycle_mult: float = 1.0, start_value_mult: float = 1.0, end_value_mult: float = 1.0,
                 warmup_duration: int = 0, save_history: bool = False, param_group_index: int | None = None) -> None:
        super().__init__(optimizer, param_name, save_history=save_history, param_group_index=param_group_index)
        self.start_value = start_value
        self.end_value = end_value
        self.cycle_size = cycle_size
        self.cycle_mult = cycle_mult
        self.cycle = 0
        self.start_value_mult = start_value_mult
        self.end_value_mult = end_value_mult
        self.warmup_duration = warmup_duration
        self.total_cycle_size = self.warmup_duration + self.cycle_size
        if self.cycle_size < 2:
            raise IgniteError(f"ValueError: Argument cycle_size should be positive and larger than 1, but given "
                              f"{cycle_size}")

    def __call__(self, engine: Any = None, name: str | None = None) -> None:
        if self.event_index != 0 and self.event_index == self.cycle_size:
            self.start_value *= self.start_value_mult
        if self.event_index != 0 and self.event_index == self.total_cycle_size:
            self.event_index = 0
            self.cycle_size = int(self.cycle_size * self.cycle_mult)
            self.warmup_duration = int(self.warmup_duration * self.cycle_mult)
            self.total_cycle_size = self.warmup_duration + self.cycle_size
            self.cycle += 1
            self.end_value *= self.end_value_mult
        return super().__call__(engine, name)

    def _get_param(self) -> Any:
        if self.event_index > self.cycle_size:
            warmup_progress = (self.event_index - self.cycle_size) / self.warmup_duration
            return self.end_value + (self.start_value - self.end_value) * warmup_progress
        return self.get_param()


class LinearCyclicalScheduler(CyclicalScheduler):
    def __init__(self, *args: Any, monotonic: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.monotonic = monotonic
        if self.warmup_duration > 0 and not self.monotonic:
            raise IgniteError("ValueError: Invalid combination when warmup_duration > 0 and monotonic=False, "
                              "please use either set warmup_duration=0 or monotonic=True")

    def get_param(self) -> float:
        cycle_progress = self.event_index / self.cycle_size
        if self.monotonic:
            return self.start_value + (self.end_value - self.start_value) * cycle_progress
        return self.end_value + (self.start_value - self.end_value) * abs(cycle_progress - 0.5) * 2


class CosineAnnealingScheduler(CyclicalScheduler):
    def get_param(self) -> float:
        cycle_progress = self.event_index / self.cycle_size
        return self.start_value + ((self.end_value - self.start_value) / 2) * (1 - math.cos(math.pi * cycle_progress))


class PiecewiseLinear(ParamScheduler):
    def __init__(self, optimizer: Any, param_name: str, milestones_values: Any, save_history: bool = False,
                 param_group_index: int | None = None) -> None:
        super().__init__(optimizer, param_name, save_history, param_group_index=param_group_index)
        if not isinstance(milestones_values, Sequence):
            raise IgniteError(f"TypeError: Argument milestones_values should be a list or tuple, but given "
                              f"{type(milestones_values)}")
        if len(milestones_values) < 1:
            raise IgniteError("ValueError: Argument milestones_values should be with at least one value")
        values: list[float] = []
        milestones: list[int] = []
        for pair in milestones_values:
            if not isinstance(pair, tuple) or len(pair) != 2:
                raise IgniteError("ValueError: Argument milestones_values should be a list of pairs "
                                  "(milestone, param_value)")
            if not isinstance(pair[0], numbers.Integral):
                raise IgniteError(f"TypeError: Value of a milestone should be integer, but given {type(pair[0])}")
            if len(milestones) > 0 and pair[0] < milestones[-1]:
                raise IgniteError(f"ValueError: Milestones should be increasing integers, but given {pair[0]} is "
                                  f"smaller than the previous milestone {milestones[-1]}")
            milestones.append(pair[0])
            values.append(pair[1])
        self.values = values
        self.milestones = milestones
        self._index = 0

    def _get_start_end(self) -> tuple[int, int, float, float]:
        while True:
            if self.milestones[0] > self.event_index:
                return self.event_index - 1, self.event_index, self.values[0], self.values[0]
            if self.milestones[-1] <= self.event_index:
                return self.event_index, self.event_index + 1, self.values[-1], self.values[-1]
            if self.milestones[self._index] <= self.event_index < self.milestones[self._index + 1]:
                return (self.milestones[self._index], self.milestones[self._index + 1], self.values[self._index],
                        self.values[self._index + 1])
            self._index += 1

    def get_param(self) -> float:
        start_index, end_index, start_value, end_value = self._get_start_end()
        return start_value + (end_value - start_value) * (self.event_index - start_index) / (end_index - start_index)


class ParamGroupScheduler:
    def __init__(self, schedulers: list[ParamScheduler], names: list[str] | None = None,
                 save_history: bool = False) -> None:
        if not all(isinstance(s, ParamScheduler) for s in schedulers):
            raise IgniteError("ValueError: Argument schedulers should be a list/tuple of parameter schedulers")
        self.schedulers = schedulers
        self.names = names if names is not None else [s.param_name for s in schedulers]
        self.optimizer = [s.optimizer for s in self.schedulers]
        self.param_name = [s.param_name for s in self.schedulers]

    def __call__(self, engine: Any = None, name: str | None = None) -> None:
        for scheduler, name in zip(self.schedulers, self.names):
            scheduler(engine, name)

    @property
    def optimizer_param_groups(self) -> list[dict[str, Any]]:
        return [pg for scheduler in self.schedulers for pg in scheduler.optimizer_param_groups]

    def get_param(self) -> list[Any]:
        return [scheduler.get_param() for scheduler in self.schedulers]


class ConcatScheduler(ParamScheduler):
    def __init__(self, schedulers: list[Any], durations: Any, save_history: bool = False) -> None:
        if not isinstance(schedulers, Sequence):
            raise IgniteError(f"TypeError: Argument schedulers should be a sequence, but given {schedulers}")
        if len(schedulers) < 2:
            raise IgniteError("ValueError: Argument schedulers should be of more than one parameter schedulers")
        if not isinstance(durations, (list, tuple)):
            raise IgniteError(f"TypeError: Argument durations should be list/tuple, but given {durations}")
        if not all(isinstance(t, numbers.Integral) for t in durations):
            raise IgniteError(f"ValueError: Argument durations should be list/tuple of integers, but given "
                              f"{durations}")
        if len(schedulers) != len(durations) + 1:
            raise IgniteError(f"ValueError: Incorrect number schedulers or duration values, given "
                              f"{len(schedulers)} and {len(durations)}")
        for i, scheduler in enumerate(schedulers):
            if not isinstance(scheduler, (ParamScheduler, ParamGroupScheduler)):
                raise IgniteError(f"TypeError: Value at index {i} of schedulers should be a parameter scheduler, "
                                  f"but given {type(scheduler).__name__}")
        self.schedulers = schedulers
        self.durations = durations
        optimizers: list[Any] = []
        for s in schedulers:
            for o in (s.optimizer if isinstance(s.optimizer, list) else [s.optimizer]):
                if all(o is not x for x in optimizers):
                    optimizers.append(o)
        if len(optimizers) != 1:
            raise IgniteError("ValueError: schedulers should be related to same optimizer")
        names = {n for s in schedulers for n in (s.param_name if isinstance(s.param_name, list) else [s.param_name])}
        if len(names) != 1:
            raise IgniteError("ValueError: schedulers should be related to same param_name")
        super().__init__(optimizer=optimizers[0], param_name=next(iter(names)), save_history=save_history)
        self._scheduler_index = 0
        self._setup_scheduler()

    def _setup_scheduler(self) -> None:
        self._current_scheduler = self.schedulers[self._scheduler_index]
        self._current_duration = (
            self.durations[self._scheduler_index] if self._scheduler_index < len(self.durations) else -1
        )

    def __call__(self, engine: Any = None, name: str | None = None) -> None:
        if self._current_duration == 0:
            self._scheduler_index += 1
            self._setup_scheduler()
        self._current_scheduler(engine, name)
        self._current_duration -= 1

    @property
    def optimizer_param_groups(self) -> list[dict[str, Any]]:
        return self._current_scheduler.optimizer_param_groups

    def get_param(self) -> Any:
        return self._current_scheduler.get_param()


class _CosineAnnealingWarmRestarts:
    def __init__(self, lr_scheduler: CosineAnnealingWarmRestarts) -> None:
        self._lr_scheduler = lr_scheduler

    @property
    def last_epoch(self) -> int:
        return self._lr_scheduler.last_epoch

    @last_epoch.setter
    def last_epoch(self, value: int) -> None:
        self._lr_scheduler.last_epoch = value

    @property
    def optimizer(self) -> Any:
        return self._lr_scheduler.optimizer

    @property
    def _get_lr_called_within_step(self) -> bool:
        return self._lr_scheduler._get_lr_called_within_step

    @_get_lr_called_within_step.setter
    def _get_lr_called_within_step(self, value: bool) -> None:
        self._lr_scheduler._get_lr_called_within_step = value

    def get_lr(self, epoch: Any = None) -> list[Any]:
        s = self._lr_scheduler
        T_mult = s.T_mult
        eta_min = s.eta_min
        if epoch is None and self.last_epoch < 0:
            epoch = 0
        if epoch is None:
            epoch = self.last_epoch + 1
            s.T_cur = s.T_cur + 1
            if s.T_cur >= s.T_i:
                s.T_cur = s.T_cur - s.T_i
                s.T_i = s.T_i * T_mult
        else:
            if epoch < 0:
                raise IgniteError(f"ValueError: Expected non-negative epoch, but got {epoch}")
            if epoch >= s.T_0:
                if T_mult == 1:
                    s.T_cur = epoch % s.T_0
                else:
                    n = int(math.log((epoch / s.T_0 * (T_mult - 1) + 1), T_mult))
                    s.T_cur = epoch - s.T_0 * (T_mult**n - 1) / (T_mult - 1)
                    s.T_i = s.T_0 * T_mult**n
            else:
                s.T_i = s.T_0
                s.T_cur = epoch
        self.last_epoch = math.floor(epoch)
        return [eta_min + (base_lr - eta_min) * (1 + math.cos(math.pi * s.T_cur / s.T_i)) / 2 for base_lr in s.base_lrs]


class LRScheduler(ParamScheduler):
    def __init__(self, lr_scheduler: Any, save_history: bool = False, use_legacy: bool = False) -> None:
        if not isinstance(lr_scheduler, TorchLRScheduler):
            raise IgniteError(f"TypeError: Argument lr_scheduler should be a subclass of "
                              f"torch.optim.lr_scheduler.LRScheduler, but given {type(lr_scheduler).__name__}")
        self.lr_scheduler: Any = lr_scheduler
        if isinstance(lr_scheduler, CosineAnnealingWarmRestarts):
            self.lr_scheduler = _CosineAnnealingWarmRestarts(lr_scheduler)
        super().__init__(optimizer=self.lr_scheduler.optimizer, param_name="lr", save_history=save_history)
        if use_legacy:
            self.lr_scheduler.last_epoch += 1

    def __call__(self, engine: Any = None, name: str | None = None) -> None:
        super().__call__(engine, name)
        self.lr_scheduler.last_epoch += 1

    def get_param(self) -> Any:
        self.lr_scheduler._get_lr_called_within_step = True
        lr_list = self.lr_scheduler.get_lr()
        self.lr_scheduler._get_lr_called_within_step = False
        if len(lr_list) == 1:
            return lr_list[0]
        return lr_list


def create_lr_scheduler_with_warmup(lr_scheduler: Any, warmup_start_value: float, warmup_duration: int,
                                    warmup_end_value: float | None = None, save_history: bool = False,
                                    output_simulated_values: Any = None) -> ConcatScheduler:
    if not isinstance(lr_scheduler, (ParamScheduler, TorchLRScheduler)):
        raise IgniteError(f"TypeError: Argument lr_scheduler should be a subclass of "
                          f"torch.optim.lr_scheduler.LRScheduler or ParamScheduler, but given "
                          f"{type(lr_scheduler).__name__}")
    if not isinstance(warmup_duration, int):
        raise IgniteError(f"TypeError: Argument warmup_duration should be integer, but given {warmup_duration}")
    if not (warmup_duration > 1):
        raise IgniteError(f"ValueError: Argument warmup_duration should be at least 2 events, but given "
                          f"{warmup_duration}")
    warmup_schedulers: list[ParamScheduler] = []
    milestones_values: list[tuple[int, float]] = []
    for param_group_index, param_group in enumerate(lr_scheduler.optimizer.param_groups):
        if warmup_end_value is None:
            param_group_warmup_end_value = param_group["lr"]
        else:
            param_group_warmup_end_value = warmup_end_value
        milestones_values = [(0, warmup_start_value), (warmup_duration - 1, param_group_warmup_end_value)]
        if isinstance(lr_scheduler, TorchLRScheduler):
            init_lr = param_group["lr"]
            if init_lr != param_group_warmup_end_value:
                milestones_values.append((warmup_duration, init_lr))
            lr_scheduler.last_epoch += 1
            lr_scheduler = LRScheduler(lr_scheduler, save_history=save_history)
        else:
            init_lr = lr_scheduler.get_param()
            if init_lr == param_group_warmup_end_value:
                if warmup_duration > 2:
                    d = (param_group_warmup_end_value - warmup_start_value) / (warmup_duration - 1)
                    milestones_values[-1] = (warmup_duration - 2, param_group_warmup_end_value - d)
                else:
                    milestones_values.pop(-1)
        warmup_schedulers.append(PiecewiseLinear(lr_scheduler.optimizer, param_name="lr",
                                                 milestones_values=milestones_values,
                                                 param_group_index=param_group_index, save_history=save_history))
    warmup_scheduler = ParamGroupScheduler(warmup_schedulers, save_history=save_history)
    schedulers: list[Any] = [warmup_scheduler, lr_scheduler]
    durations = [milestones_values[-1][0] + 1]
    return ConcatScheduler(schedulers, durations=durations, save_history=save_history)


CLASSES: dict[str, Callable[..., Any]] = {
    "LRScheduler": LRScheduler, "CosineAnnealingScheduler": CosineAnnealingScheduler,
    "LinearCyclicalScheduler": LinearCyclicalScheduler, "PiecewiseLinear": PiecewiseLinear,
    "ConcatScheduler": ConcatScheduler, "create_lr_scheduler_with_warmup": create_lr_scheduler_with_warmup,
    "ParamGroupScheduler": ParamGroupScheduler,
}


# ------------------------------------------------------------------------------------------------ events
@dataclass(frozen=True)
class Event:
    """When an Engine calls a handler: ``name`` (ITERATION_STARTED...) and its filter (``every``, ``once``,
    ``before``/``after``: ignite's CallableEventWithFilter arguments)."""

    name: str
    every: int | None = None
    once: tuple[int, ...] | None = None
    before: int | None = None
    after: int | None = None

    @property
    def per_iteration(self) -> bool:
        return self.name.startswith("ITERATION")

    @property
    def started(self) -> bool:
        return self.name.endswith("STARTED")

    def fires(self, count: int) -> bool:
        """Whether the handler runs at the ``count``-th occurrence (1-based ``state.iteration``/``state.epoch``)."""
        if self.once is not None:
            return count in self.once
        lo = self.after if self.after is not None else 0
        hi = self.before if self.before is not None else math.inf
        if not (lo < count < hi):
            return False
        return self.every is None or count % self.every == 0


def run(handler: Any, optimizer: _Optimizer, event: Event, length: int,
        wanted: Sequence[int] | None = None) -> list[Any]:
    """The rate of the first group for each of ``length`` updates (``*_STARTED`` handlers run before the update
    they count, ``*_COMPLETED`` after it), or at the ``wanted`` indices only."""
    want = None if wanted is None else set(wanted)
    out: list[Any] = []
    for k in range(length):
        count = k + 1
        if event.started and event.fires(count):
            handler(None)
        if want is None or k in want:
            out.append(optimizer.param_groups[0]["lr"])
        if not event.started and event.fires(count):
            handler(None)
    return out


def build(name: str, optimizer: _Optimizer | None, args: Mapping[str, Any], children: Sequence[Any]) -> Any:
    """One ignite object: ``children`` are the already built schedulers its scheduler parameter takes."""
    cls = CLASSES.get(name)
    if cls is None:
        raise IgniteError(f"{name} is not simulated")
    kwargs = dict(args)
    if name in ("LRScheduler", "create_lr_scheduler_with_warmup"):
        if len(children) != 1:
            raise IgniteError(f"{name} takes one lr_scheduler")
        return cls(children[0], **kwargs)
    if name in ("ConcatScheduler", "ParamGroupScheduler"):
        return cls(list(children), **kwargs)
    return cls(optimizer, **kwargs)


__all__ = ["Event", "IgniteError", "run", "build", "CLASSES"]
