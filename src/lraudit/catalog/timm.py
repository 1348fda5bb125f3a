"""timm learning-rate schedulers and their factories (timm 1.0.31 signatures and defaults).

Conventions (reference section 4):

* A timm scheduler is a stateless function of the index the caller passes: ``step(epoch)`` acts only when
  ``t_in_epochs=True`` (the default), ``step_update(num_updates)`` only when it is False. So the unit is
  "either" and depends on ``t_in_epochs``; ``closed_form=True`` means "a pure function of the index".
* ``create_scheduler_v2`` returns ``(scheduler, num_epochs)``; its arguments are in epochs and are
  converted to updates when ``step_on_epochs=False``. ``create_scheduler(args, optimizer, ...)`` reads the
  argparse names of timm's ``train.py`` (``ARGPARSE_DEFAULTS``).
"""

from __future__ import annotations

from .base import Entry, P, Param

_T = "timm.scheduler."
_D = "timm default"

_NOISE: tuple[Param, ...] = (
    P("noise_range_t", None),
    P("noise_pct", 0.67),
    P("noise_std", 1.0),
    P("noise_seed", 42),
)


def _cls(name: str, module: str, params: tuple[Param, ...], *, length: tuple[str, ...], summary: str) -> Entry:
    return Entry(
        qualname=_T + name,
        kind="scheduler",
        framework="timm",
        params=params,
        aliases=(f"{_T}{module}.{name}",),
        unit="either",
        length_args=length,
        closed_form=True,
        summary=summary,
        default_source=_D,
    )


def _ps(*items: tuple) -> tuple[Param, ...]:
    return tuple(P(*i) for i in items)


_CYCLE = _ps(("cycle_mul", 1.0), ("cycle_decay", 1.0), ("cycle_limit", 1))
_WARM_NO_PREFIX = _ps(("warmup_t", 0), ("warmup_lr_init", 0.0), ("warmup_prefix", False), ("t_in_epochs", True))
_WARM_PREFIX = _ps(("warmup_t", 0), ("warmup_lr_init", 0.0), ("warmup_prefix", True), ("t_in_epochs", True))
_INIT = (P("initialize", True),)

CLASSES: tuple[Entry, ...] = (
    _cls("CosineLRScheduler", "cosine_lr",
         _ps(("optimizer",), ("t_initial",), ("lr_min", 0.0)) + _CYCLE + _WARM_NO_PREFIX + _NOISE
         + _ps(("k_decay", 1.0)) + _INIT,
         length=("t_initial", "warmup_t"),
         summary="half a cosine from the base rate to lr_min over t_initial (optional cycles, then held at lr_min)"),
    _cls("TanhLRScheduler", "tanh_lr",
         _ps(("optimizer",), ("t_initial",), ("lb", -7.0), ("ub", 3.0), ("lr_min", 0.0)) + _CYCLE
         + _WARM_NO_PREFIX + _NOISE + _INIT,
         length=("t_initial", "warmup_t"),
         summary="hyperbolic-tangent decay from the base rate to lr_min over t_initial"),
    _cls("PolyLRScheduler", "poly_lr",
         _ps(("optimizer",), ("t_initial",), ("power", 0.5), ("lr_min", 0.0)) + _CYCLE + _WARM_NO_PREFIX
         + _NOISE + _ps(("k_decay", 1.0)) + _INIT,
         length=("t_initial", "warmup_t"),
         summary="polynomial decay (power 0.5 by default) from the base rate to lr_min over t_initial"),
    _cls("StepLRScheduler", "step_lr",
         _ps(("optimizer",), ("decay_t",), ("decay_rate", 1.0)) + _WARM_PREFIX + _NOISE + _INIT,
         length=("decay_t", "warmup_t"),
         summary="multiplies the rate by decay_rate every decay_t (default decay_rate 1.0: no decay)"),
    _cls("MultiStepLRScheduler", "multistep_lr",
         _ps(("optimizer",), ("decay_t",), ("decay_rate", 1.0)) + _WARM_PREFIX + _NOISE + _INIT,
         length=("decay_t", "warmup_t"),
         summary="multiplies the rate by decay_rate at each milestone, one step earlier than torch MultiStepLR"),
    _cls("PlateauLRScheduler", "plateau_lr",
         _ps(("optimizer",), ("decay_rate", 0.1), ("patience_t", 10), ("threshold", 0.0001), ("cooldown_t", 0),
             ("warmup_t", 0), ("warmup_lr_init", 0.0), ("lr_min", 0.0), ("mode", "max"),
             ("noise_range_t", None), ("noise_type", "normal"), ("noise_pct", 0.67), ("noise_std", 1.0),
             ("noise_seed", None)) + _INIT,
         length=("warmup_t",),
         summary="torch ReduceLROnPlateau with warm-up; mode='max' by default (deprecated in 1.0.31)"),
    _cls("WSDLRScheduler", "wsd_lr",
         _ps(("optimizer",), ("t_initial",), ("decay_t",), ("lr_min", 0.0), ("stable_fn", "constant"),
             ("stable_timescale", None), ("stable_power", 0.5), ("decay_fn", "1-sqrt"), ("decay_power", 0.5),
             ("decay_ratio", 0.1), ("warmup_t", 0), ("warmup_lr_init", 0.0), ("t_in_epochs", True)) + _NOISE
         + _INIT,
         length=("t_initial", "decay_t", "warmup_t"),
         summary="warm-up, stable, then decay to lr_min over the last decay_t (timm >= 1.0.31)"),
)

CREATE_SCHEDULER_V2 = Entry(
    qualname=_T + "create_scheduler_v2",
    kind="factory",
    framework="timm",
    params=_ps(
        ("optimizer",), ("sched", "cosine"), ("num_epochs", 300), ("decay_epochs", None),
        ("decay_milestones", (90, 180, 270)), ("cooldown_epochs", 0), ("patience_epochs", 10),
        ("decay_rate", 0.1), ("min_lr", 0.0), ("warmup_lr", 1e-05), ("warmup_epochs", 0),
        ("warmup_prefix", False), ("noise", None), ("noise_pct", 0.67), ("noise_std", 1.0), ("noise_seed", 42),
        ("cycle_mul", 1.0), ("cycle_decay", 0.1), ("cycle_limit", 1), ("k_decay", 1.0), ("decay_fn", None),
        ("stable_timescale", None), ("plateau_mode", "max"), ("step_on_epochs", True), ("updates_per_epoch", 0),
    ),
    aliases=(_T + "scheduler_factory.create_scheduler_v2",),
    unit="epoch",
    length_args=("num_epochs", "warmup_epochs", "decay_epochs", "decay_milestones", "cooldown_epochs"),
    summary="builds a timm scheduler by name and returns (scheduler, num_epochs)",
    default_source=_D,
)

CREATE_SCHEDULER = Entry(
    qualname=_T + "create_scheduler",
    kind="factory",
    framework="timm",
    params=_ps(("args",), ("optimizer",), ("updates_per_epoch", 0)),
    aliases=(_T + "scheduler_factory.create_scheduler",),
    unit="epoch",
    summary="create_scheduler_v2 driven by an argparse namespace of timm's train.py",
    default_source=_D,
)

SCHEDULER_KWARGS = Entry(
    qualname=_T + "scheduler_kwargs",
    kind="factory",
    framework="timm",
    params=_ps(("cfg",), ("decreasing_metric", None)),
    aliases=(_T + "scheduler_factory.scheduler_kwargs",),
    unit="epoch",
    summary="turns an argparse namespace into create_scheduler_v2 keyword arguments",
    default_source=_D,
)

# ``scheduler_kwargs(cfg)``: create_scheduler_v2 argument <- (attribute of cfg, default when absent).
# ``plateau_mode`` is 'min' iff "loss" is in ``eval_metric`` (default 'top1'); ``step_on_epochs`` is
# ``not sched_on_updates`` (default False). Note the defaults differ from create_scheduler_v2's own.
ARGPARSE_DEFAULTS: dict[str, tuple[str, object]] = {
    "sched": ("sched", None),  # read without a default: AttributeError when missing
    "num_epochs": ("epochs", 100),
    "decay_epochs": ("decay_epochs", 30),
    "decay_milestones": ("decay_milestones", [30, 60]),
    "warmup_epochs": ("warmup_epochs", 5),
    "cooldown_epochs": ("cooldown_epochs", 0),
    "patience_epochs": ("patience_epochs", 10),
    "decay_rate": ("decay_rate", 0.1),
    "min_lr": ("min_lr", 0.0),
    "warmup_lr": ("warmup_lr", 1e-05),
    "warmup_prefix": ("warmup_prefix", False),
    "noise": ("lr_noise", None),
    "noise_pct": ("lr_noise_pct", 0.67),
    "noise_std": ("lr_noise_std", 1.0),
    "noise_seed": ("seed", 42),
    "cycle_mul": ("lr_cycle_mul", 1.0),
    "cycle_decay": ("lr_cycle_decay", 0.1),
    "cycle_limit": ("lr_cycle_limit", 1),
    "k_decay": ("lr_k_decay", 1.0),
    "decay_fn": ("lr_decay_fn", None),
    "stable_timescale": ("lr_stable_timescale", None),
}

# ``sched`` names create_scheduler_v2 accepts in 1.0.31 -> class built ("none" builds nothing).
SCHED_NAMES: dict[str, str | None] = {
    "cosine": _T + "CosineLRScheduler",
    "tanh": _T + "TanhLRScheduler",
    "step": _T + "StepLRScheduler",
    "constant": _T + "StepLRScheduler",
    "multistep": _T + "MultiStepLRScheduler",
    "plateau": _T + "PlateauLRScheduler",
    "poly": _T + "PolyLRScheduler",
    "wsd": _T + "WSDLRScheduler",
    "rsqrt": _T + "WSDLRScheduler",
    "none": None,
}

ENTRIES: tuple[Entry, ...] = (CREATE_SCHEDULER, CREATE_SCHEDULER_V2, SCHEDULER_KWARGS) + CLASSES

__all__ = [
    "ARGPARSE_DEFAULTS",
    "CLASSES",
    "CREATE_SCHEDULER",
    "CREATE_SCHEDULER_V2",
    "ENTRIES",
    "SCHED_NAMES",
    "SCHEDULER_KWARGS",
]
