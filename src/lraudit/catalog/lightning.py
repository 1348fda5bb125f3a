"""PyTorch Lightning: the scheduler-config keys and the Trainer arguments that set the horizon (2.6.6).

Lightning does not add schedulers; it decides *when* a PyTorch scheduler is stepped (reference section 5):

* ``configure_optimizers`` may return a scheduler config dict (``LRSchedulerConfig``) with the keys below.
  ``interval="epoch"`` (default) steps after every training epoch, ``"step"`` after every optimizer step;
  ``frequency=k`` steps when ``(idx + 1) % k == 0`` (idx = batch index within the epoch for "step").
  A bare scheduler (not in a dict) always means ``interval="epoch"``.
* The Trainer's horizon: ``max_epochs=None`` and ``max_steps=-1`` mean 1000 epochs (with a warning) unless
  a ``Timer`` callback is present; ``max_epochs=-1`` means no epoch limit.

Signatures are from the lightning 2.6.6 wheel (``lightning.pytorch.Trainer.__init__``, keyword-only).
"""

from __future__ import annotations

from .base import Entry, P

# LRSchedulerConfig fields (``lightning.pytorch.utilities.types.LRSchedulerConfig``) and their defaults.
# ``scheduler`` is required; ``reduce_on_plateau`` is detected automatically.
LR_SCHEDULER_CONFIG_DEFAULTS: dict[str, object] = {
    "interval": "epoch",
    "frequency": 1,
    "monitor": None,
    "strict": True,
    "name": None,
    "reduce_on_plateau": False,
}
LR_SCHEDULER_CONFIG_KEYS: tuple[str, ...] = ("scheduler",) + tuple(LR_SCHEDULER_CONFIG_DEFAULTS)
INTERVALS: tuple[str, ...] = ("epoch", "step")

# Keys of the dict ``configure_optimizers`` may return (anything else is warned about and dropped).
OPTIMIZER_CONFIG_KEYS: tuple[str, ...] = ("optimizer", "lr_scheduler", "monitor")

DEFAULT_MAX_EPOCHS = 1000

_TRAINER_PARAMS: tuple[tuple, ...] = (
    ("accelerator", "auto"), ("strategy", "auto"), ("devices", "auto"), ("num_nodes", 1), ("precision", None),
    ("logger", None), ("callbacks", None), ("fast_dev_run", False), ("max_epochs", None), ("min_epochs", None),
    ("max_steps", -1), ("min_steps", None), ("max_time", None), ("limit_train_batches", None),
    ("limit_val_batches", None), ("limit_test_batches", None), ("limit_predict_batches", None),
    ("overfit_batches", 0.0), ("val_check_interval", None), ("check_val_every_n_epoch", 1),
    ("num_sanity_val_steps", None), ("log_every_n_steps", None), ("enable_checkpointing", None),
    ("enable_progress_bar", None), ("enable_model_summary", None), ("accumulate_grad_batches", 1),
    ("gradient_clip_val", None), ("gradient_clip_algorithm", None), ("deterministic", None),
    ("benchmark", None), ("inference_mode", True), ("use_distributed_sampler", True), ("profiler", None),
    ("detect_anomaly", False), ("barebones", False), ("plugins", None), ("sync_batchnorm", False),
    ("reload_dataloaders_every_n_epochs", 0), ("default_root_dir", None), ("enable_autolog_hparams", True),
    ("model_registry", None),
)

# The Trainer arguments that decide how long training runs and how often the optimizer steps.
HORIZON_ARGS: tuple[str, ...] = (
    "max_epochs", "min_epochs", "max_steps", "min_steps", "max_time", "limit_train_batches",
    "accumulate_grad_batches", "fast_dev_run", "overfit_batches",
)

TRAINER = Entry(
    qualname="lightning.pytorch.Trainer",
    kind="factory",
    framework="lightning",
    params=tuple(P(name, default, "kwonly") for name, default in _TRAINER_PARAMS),
    aliases=(
        "pytorch_lightning.Trainer",
        "lightning.Trainer",
        "lightning.pytorch.trainer.Trainer",
        "lightning.pytorch.trainer.trainer.Trainer",
        "pytorch_lightning.trainer.Trainer",
        "pytorch_lightning.trainer.trainer.Trainer",
    ),
    unit="epoch",
    length_args=("max_epochs", "max_steps", "accumulate_grad_batches"),
    summary="runs training: max_epochs / max_steps set how long, accumulate_grad_batches how often it steps",
    default_source="Lightning default",
)

ENTRIES: tuple[Entry, ...] = (TRAINER,)


def effective_max_epochs(max_epochs: int | None, max_steps: int = -1, *, has_timer: bool = False) -> int:
    """The epoch limit Lightning uses: ``max_epochs``, or 1000 when neither limit is set, or -1 (none).

    Mirrors ``lightning.pytorch.loops.utilities._parse_loop_limits``: with ``max_epochs=None`` the limit is
    1000 when ``max_steps == -1`` and no ``Timer`` callback is present, else -1 (no epoch limit).
    """
    if max_epochs is not None:
        return max_epochs
    if max_steps == -1 and not has_timer:
        return DEFAULT_MAX_EPOCHS
    return -1


__all__ = [
    "DEFAULT_MAX_EPOCHS",
    "ENTRIES",
    "HORIZON_ARGS",
    "INTERVALS",
    "LR_SCHEDULER_CONFIG_DEFAULTS",
    "LR_SCHEDULER_CONFIG_KEYS",
    "OPTIMIZER_CONFIG_KEYS",
    "TRAINER",
    "effective_max_epochs",
]
