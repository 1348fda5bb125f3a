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
