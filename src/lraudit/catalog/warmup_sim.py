"""Exact simulation of third-party warm-up wrappers on torch_sim's engine.

``GradualWarmupScheduler`` of the ``warmup-scheduler`` package (0.3, ``warmup_scheduler/scheduler.py``): the same
algorithm, the same float operations in the same order, on torch_sim's simulated optimizer. Its semantics, which
surprise users:

* the rate rises linearly from ``base_lr`` (``multiplier > 1``) or from 0 (``multiplier == 1``) to
  ``base_lr * multiplier`` at ``last_epoch == total_epoch``;
* at the first step past ``total_epoch`` it hands over: the after-scheduler's ``base_lrs`` become
  ``base_lr * multiplier`` and the rate is the after-scheduler's ``get_lr()`` computed at *its* ``last_epoch``
  (torch's chainable ``get_lr()`` then multiplies the optimizer's current rate, not the new base);
  from then on ``step()`` steps the after-scheduler (and, unlike the torch schedulers, leaves ``_last_lr`` alone);
* with ``ReduceLROnPlateau`` as the after-scheduler, ``step(metrics=...)`` writes warm-up rates from epoch 1
  (epoch 0 counts as 1) and then steps the plateau scheduler with the metric.
"""

from __future__ import annotations

from typing import Any

from .torch_sim import LRScheduler, ReduceLROnPlateau, _Optimizer


class GradualWarmupScheduler(LRScheduler):
    #: stepped with ``step(metrics=...)`` by the engine when its after-scheduler is a ReduceLROnPlateau
    metric_keyword = "metrics"

    def __init__(self, optimizer: _Optimizer, multiplier: float, total_epoch: int, after_scheduler: Any = None,
                 step_epochs: tuple[int, int] | None = None) -> None:
        # step_epochs (not a parameter of the package): the script calls step(epoch) with these epochs
        # (first, change per call); the engine calls step() and the epoch is filled in here
        self._feed: tuple[int, int] | None = None
        self._calls = 0
        self.multiplier = multiplier
        if self.multiplier < 1.:
            raise ValueError('multiplier should be greater thant or equal to 1.')
        self.total_epoch = total_epoch
        self.after_scheduler = after_scheduler
        self.finished = False
        super().__init__(optimizer)
        self._feed = step_epochs

    @property
    def wants_metric(self) -> bool:
        return type(self.after_scheduler) is ReduceLROnPlateau

    def get_lr(self) -> list[Any]:
        if self.last_epoch > self.total_epoch:
            if self.after_scheduler:
                if not self.finished:
                    self.after_scheduler.base_lrs = [base_lr * self.multiplier for base_lr in self.base_lrs]
                    self.finished = True
                return self.after_scheduler.get_lr()
            return [base_lr * self.multiplier for base_lr in self.base_lrs]
        if self.multiplier == 1.0:
            return [base_lr * (float(self.last_epoch) / self.total_epoch) for base_lr in self.base_lrs]
        return [base_lr * ((self.multiplier - 1.) * self.last_epoch / self.total_epoch + 1.) for base_lr in self.base_lrs]

    def step_ReduceLROnPlateau(self, metrics: Any, epoch: Any = None) -> None:
        if epoch is None:
            epoch = self.last_epoch + 1
        self.last_epoch = epoch if epoch != 0 else 1
        if self.last_epoch <= self.total_epoch:
            warmup_lr = [base_lr * ((self.multiplier - 1.) * self.last_epoch / self.total_epoch + 1.)
                         for base_lr in self.base_lrs]
            for param_group, lr in zip(self.optimizer.param_groups, warmup_lr):
                param_group['lr'] = lr
        else:
            if epoch is None:
                self.after_scheduler.step(metrics, None)
            else:
                self.after_scheduler.step(metrics, epoch - self.total_epoch)

    def step(self, epoch: Any = None, metrics: Any = None) -> None:  # type: ignore[override]
        if epoch is None and self._feed is not None:
            epoch = self._feed[0] + self._feed[1] * self._calls
            self._calls += 1
        if type(self.after_scheduler) is not ReduceLROnPlateau:
            if self.finished and self.after_scheduler:
                if epoch is None:
                    self.after_scheduler.step(None)
                else:
                    self.after_scheduler.step(epoch - self.total_epoch)
            else:
                return super().step(epoch)
        else:
            self.step_ReduceLROnPlateau(metrics, epoch)
        return None

    def get_last_lr(self) -> list[Any]:
        # The rate in use is the groups' rate: the package leaves ``_last_lr`` stale once the after-scheduler
        # steps (and never sets it with a ReduceLROnPlateau after-scheduler)
        return [g["lr"] for g in self.optimizer.param_groups]


CLASSES: dict[str, type] = {"GradualWarmupScheduler": GradualWarmupScheduler}
#: constructor parameters that take another scheduler (built first, passed as the object)
CHILD_PARAMS: dict[str, str] = {"GradualWarmupScheduler": "after_scheduler"}


# --------------------------------------------------------------------------------------------- pytorch_warmup
# ``pytorch_warmup`` 0.2.0 (base.py, untuned.py, radam.py): the same float operations in the same order. The engine
# steps the wrapper once per ``dampening()`` block (or ``dampen()`` call); the wrapper steps the schedulers it
# dampens (``schedulers``), as the block's body does.
import math as _math


def _warmup_params(warmup_period: Any, group_count: int) -> list[dict[str, Any]]:
    if isinstance(warmup_period, list):
        if len(warmup_period) != group_count:
            raise ValueError(f"The size of warmup_period ({len(warmup_period)}) does not match the size of "
                             f"param_groups ({group_count}).")
        for x in warmup_period:
            if not isinstance(x, int):
                raise TypeError(f"An element in warmup_period, {type(x).__name__}, is not an int.")
            if x <= 0:
                raise ValueError(f"An element in warmup_period must be a positive integer, but is {x}.")
        return [dict(warmup_period=x) for x in warmup_period]
    if isinstance(warmup_period, int) and not isinstance(warmup_period, bool):
        if warmup_period <= 0:
            raise ValueError(f"warmup_period must be a positive integer, but is {warmup_period}.")
        return [dict(warmup_period=warmup_period) for _ in range(group_count)]
    raise TypeError(f"{warmup_period} ({type(warmup_period).__name__}) is not a list nor an int.")


def _beta2s(optimizer: _Optimizer, beta2: Any) -> list[float]:
    """Each group's beta2: ``x['betas'][1]`` (a KeyError for an optimizer without betas, as the package raises)."""
    if beta2 is None:
        raise KeyError("betas")
    return [float(beta2) for _ in optimizer.param_groups]


class BaseWarmup:
    #: the wrapper may be built before the schedulers it dampens (the package warns against it)
    builds_before_children = True

    def __init__(self, optimizer: _Optimizer, warmup_params: list[dict[str, Any]], last_step: int = -1,
                 schedulers: Any = None, form: str = "dampening") -> None:
        self.optimizer = optimizer
        self.warmup_params = warmup_params
        self.last_step = last_step
        self.lrs = [group["lr"] for group in self.optimizer.param_groups]
        self.schedulers = list(schedulers or [])
        self.form = form
        self.dampen()

    def dampen(self, step: int | None = None) -> None:
        if step is None:
            step = self.last_step + 1
        self.last_step = step
        for group, params in zip(self.optimizer.param_groups, self.warmup_params):
            omega = self.warmup_factor(step, **params)
            group["lr"] *= omega

    def warmup_factor(self, step: int, **params: Any) -> float:
        raise NotImplementedError

    def _step_children(self) -> None:
        for sched in self.schedulers:
            if isinstance(sched, ReduceLROnPlateau):
                from .torch_sim import PLATEAU_METRIC

                sched.step(PLATEAU_METRIC)
            elif getattr(sched, "wants_metric", False):
                from .torch_sim import PLATEAU_METRIC

                sched.step(**{sched.metric_keyword: PLATEAU_METRIC})
            else:
                sched.step()

    def step(self) -> None:
        """One ``with warmup.dampening(): <schedulers>.step()`` block, or ``<schedulers>.step(); warmup.dampen()``."""
        if self.form == "dampening":
            for group, lr in zip(self.optimizer.param_groups, self.lrs):
                group["lr"] = lr
            self._step_children()
            self.lrs = [group["lr"] for group in self.optimizer.param_groups]
            self.dampen()
        else:
            self._step_children()
            self.dampen()

    def get_last_lr(self) -> list[Any]:
        return [g["lr"] for g in self.optimizer.param_groups]

    def _fast(self, lr0: Any) -> None:
        return None


class LinearWarmup(BaseWarmup):
    def __init__(self, optimizer: _Optimizer, warmup_period: Any, last_step: int = -1, **kw: Any) -> None:
        super().__init__(optimizer, _warmup_params(warmup_period, len(optimizer.param_groups)), last_step, **kw)

    def warmup_factor(self, step: int, warmup_period: int) -> float:  # type: ignore[override]
        return min(1.0, (step + 1) / warmup_period)


class ExponentialWarmup(BaseWarmup):
    def __init__(self, optimizer: _Optimizer, warmup_period: Any, last_step: int = -1, **kw: Any) -> None:
        super().__init__(optimizer, _warmup_params(warmup_period, len(optimizer.param_groups)), last_step, **kw)

    def warmup_factor(self, step: int, warmup_period: int) -> float:  # type: ignore[override]
        return 1.0 - _math.exp(-(step + 1) / warmup_period)


class UntunedLinearWarmup(LinearWarmup):
    def __init__(self, optimizer: _Optimizer, last_step: int = -1, beta2: Any = None, **kw: Any) -> None:
        warmup_period = [int(2.0 / (1.0 - b)) for b in _beta2s(optimizer, beta2)]
        super().__init__(optimizer, warmup_period, last_step, **kw)


class UntunedExponentialWarmup(ExponentialWarmup):
    def __init__(self, optimizer: _Optimizer, last_step: int = -1, beta2: Any = None, **kw: Any) -> None:
        warmup_period = [int(1.0 / (1.0 - b)) for b in _beta2s(optimizer, beta2)]
        super().__init__(optimizer, warmup_period, last_step, **kw)


def rho_inf_fn(beta2: float) -> float:
    return 2.0 / (1 - beta2) - 1


def rho_fn(t: int, beta2: float, rho_inf: float) -> float:
    b2t = beta2 ** t
    rho_t = rho_inf - 2 * t * b2t / (1 - b2t)
    return rho_t


def get_offset(beta2: float, rho_inf: float) -> int:
    if not beta2 > 0.6:
        raise ValueError(f"beta2 ({beta2}) must be greater than 0.6")
    offset = 1
    while True:
        if rho_fn(offset, beta2, rho_inf) > 4:
            return offset
        offset += 1
        if offset > 10_000:  # beta2 > 0.6 ends within a few steps; a bound against a runaway loop
            raise ValueError(f"no RAdam offset found for beta2 {beta2}")


class RAdamWarmup(BaseWarmup):
    def __init__(self, optimizer: _Optimizer, last_step: int = -1, beta2: Any = None, **kw: Any) -> None:
        warmup_params = [dict(beta2=b, rho_inf=rho_inf_fn(b)) for b in _beta2s(optimizer, beta2)]
        for x in warmup_params:
            x["offset"] = get_offset(**x)
        super().__init__(optimizer, warmup_params, last_step, **kw)

    def warmup_factor(self, step: int, beta2: float, rho_inf: float, offset: int) -> float:  # type: ignore
        rho = rho_fn(step + offset, beta2, rho_inf)
        numerator = (rho - 4) * (rho - 2) * rho_inf
        denominator = (rho_inf - 4) * (rho_inf - 2) * rho
        return _math.sqrt(numerator / denominator)


WARMUP_CLASSES: dict[str, type] = {
    "LinearWarmup": LinearWarmup, "ExponentialWarmup": ExponentialWarmup,
    "UntunedLinearWarmup": UntunedLinearWarmup, "UntunedExponentialWarmup": UntunedExponentialWarmup,
    "RAdamWarmup": RAdamWarmup,
}
CLASSES.update(WARMUP_CLASSES)
CHILD_PARAMS.update({name: "schedulers" for name in WARMUP_CLASSES})
