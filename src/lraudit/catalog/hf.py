"""Hugging Face ``transformers`` schedules, ``get_scheduler``, ``TrainingArguments`` and Adafactor (5.24.0).

Conventions (reference section 3):

* Every ``get_*_schedule*`` function returns a ``torch.optim.lr_scheduler.LambdaLR`` (so ``closed_form=True``,
  ``unit="step"``): ``lr(t) = group_lr * lambda(t)`` with ``t`` the number of ``scheduler.step()`` calls; the
  Trainer steps once per optimizer step (after gradient accumulation). The first parameter is ``optimizer``.
* ``get_reduce_on_plateau_schedule`` / ``get_greedy_schedule`` return metric-driven schedulers.
* ``get_scheduler(name, ...)`` dispatches on ``SchedulerType(name)``; ``SCHEDULER_TYPES`` maps every accepted
  name to the function it calls.
* ``TrainingArguments`` lists every ``__init__`` field of 5.24 in order (all positional-or-keyword). The 4.x
  field ``warmup_ratio`` was removed in 5.x: it is not a parameter here (binding it fails as it does in
  5.24 with TypeError); ``REMOVED_PARAMS`` says what it meant.
* ``TRAINER_OPTIMIZERS`` maps every ``optim=`` value (``OptimizerNames``) to the class the Trainer builds and the
  keyword arguments it adds; ``TRL_CONFIG_DEFAULTS`` / ``TRL_TRAINERS`` hold TRL's config defaults that differ from
  TrainingArguments and where each TRL trainer takes ``args`` (plain tables, not catalog entries).
"""

from __future__ import annotations

from .base import REQUIRED, Entry, P

_T = "transformers."
_OPT = "transformers.optimization."
_D = "transformers default"


def _fn(name: str, *params: tuple, length: tuple[str, ...] = ("num_warmup_steps", "num_training_steps"),
        kind: str = "scheduler", closed: bool = True, unit: str = "step", summary: str,
        top_level: bool = True) -> Entry:
    qual = (_T if top_level else _OPT) + name
    aliases = (_OPT + name,) if top_level else ()
    return Entry(
        qualname=qual,
        kind=kind,  # type: ignore[arg-type]
        framework="hf",
        params=tuple(P(*p) for p in params),
        aliases=aliases,
        unit=unit,  # type: ignore[arg-type]
        length_args=length,
        closed_form=closed,
        summary=summary,
        default_source=_D,
    )


SCHEDULE_FUNCTIONS: tuple[Entry, ...] = (
    _fn("get_constant_schedule", ("optimizer",), ("last_epoch", -1), length=(),
        summary="keeps the optimizer's rate constant"),
    _fn("get_constant_schedule_with_warmup", ("optimizer",), ("num_warmup_steps",), ("last_epoch", -1),
        length=("num_warmup_steps",),
        summary="linear warm-up from 0 over num_warmup_steps, then constant"),
    _fn("get_linear_schedule_with_warmup", ("optimizer",), ("num_warmup_steps",), ("num_training_steps",),
        ("last_epoch", -1), summary="linear warm-up from 0, then linear decay to 0 at num_training_steps"),
    _fn("get_cosine_schedule_with_warmup", ("optimizer",), ("num_warmup_steps",), ("num_training_steps",),
        ("num_cycles", 0.5), ("last_epoch", -1),
        summary="linear warm-up from 0, then a cosine to 0 at num_training_steps (rises again after it)"),
    _fn("get_cosine_with_hard_restarts_schedule_with_warmup", ("optimizer",), ("num_warmup_steps",),
        ("num_training_steps",), ("num_cycles", 1), ("last_epoch", -1),
        summary="linear warm-up from 0, then num_cycles cosines to 0 with hard restarts"),
    _fn("get_polynomial_decay_schedule_with_warmup", ("optimizer",), ("num_warmup_steps",),
        ("num_training_steps",), ("lr_end", 1e-07), ("power", 1.0), ("last_epoch", -1),
        summary="linear warm-up from 0, then polynomial decay to lr_end (relative to optimizer.defaults['lr'])"),
    _fn("get_inverse_sqrt_schedule", ("optimizer",), ("num_warmup_steps",), ("timescale", None),
        ("last_epoch", -1), length=("num_warmup_steps",),
        summary="linear warm-up from 0, then decays like 1/sqrt(step)"),
    _fn("get_cosine_with_min_lr_schedule_with_warmup", ("optimizer",), ("num_warmup_steps",),
        ("num_training_steps",), ("num_cycles", 0.5), ("last_epoch", -1), ("min_lr", None), ("min_lr_rate", None),
        summary="linear warm-up from 0, then a cosine down to min_lr (rises again after num_training_steps)"),
    _fn("get_cosine_with_min_lr_schedule_with_warmup_lr_rate", ("optimizer",), ("num_warmup_steps",),
        ("num_training_steps",), ("num_cycles", 0.5), ("last_epoch", -1), ("min_lr", None), ("min_lr_rate", None),
        ("warmup_lr_rate", None),
        summary="warm-up that starts above 0, then a cosine down to min_lr, shifted one step"),
    _fn("get_wsd_schedule", ("optimizer",), ("num_warmup_steps",), ("num_decay_steps",),
        ("num_training_steps", None), ("num_stable_steps", None), ("warmup_type", "linear"),
        ("decay_type", "cosine"), ("min_lr_ratio", 0), ("num_cycles", 0.5), ("last_epoch", -1),
        length=("num_warmup_steps", "num_decay_steps", "num_training_steps", "num_stable_steps"),
        summary="warm-up, stable, then decay (warmup-stable-decay)"),
    _fn("get_reduce_on_plateau_schedule", ("optimizer",), ("kwargs", REQUIRED, "varkw"), length=(),
        closed=False, unit="either",
        summary="torch ReduceLROnPlateau: cuts the rate when the evaluation metric stops improving"),
    _fn("get_greedy_schedule", ("optimizer",), ("kwargs", REQUIRED, "varkw"), length=(), closed=False,
        unit="either", summary="GreedyLR: raises the rate while the metric improves, lowers it on plateaus"),
    _fn("get_adafactor_schedule", ("optimizer",), ("initial_lr", 0.0), length=(), closed=False,
        top_level=False, summary="proxy that reports the rate HF Adafactor computes for itself"),
)

GET_SCHEDULER = Entry(
    qualname=_T + "get_scheduler",
    kind="factory",
    framework="hf",
    params=(P("name"), P("optimizer"), P("num_warmup_steps", None), P("num_training_steps", None),
            P("scheduler_specific_kwargs", None)),
    aliases=(_OPT + "get_scheduler",),
    unit="step",
    length_args=("num_warmup_steps", "num_training_steps"),
    closed_form=True,
    summary="builds the schedule named by a SchedulerType string",
    default_source=_D,
)

GREEDY_LR = Entry(
    qualname=_T + "GreedyLR",
    kind="scheduler",
    framework="hf",
    params=tuple(P(*p) for p in (
        ("optimizer",), ("mode", "min"), ("factor", 0.95), ("patience", 10), ("threshold", 1e-06),
        ("threshold_mode", "abs"), ("cooldown", 0), ("warmup", 0), ("min_lr", 0.001), ("max_lr", 1.0),
        ("eps", 1e-08), ("verbose", False), ("smooth", False), ("window_size", 50), ("reset_start", 500))),
    aliases=(_OPT + "GreedyLR",),
    unit="either",
    summary="metric-driven: divides the rate by factor on steady improvement, multiplies it on plateaus",
    default_source=_D,
)

ADAFACTOR = Entry(
    qualname=_T + "Adafactor",
    kind="optimizer",
    framework="hf",
    params=tuple(P(*p) for p in (
        ("params",), ("lr", None), ("eps", (1e-30, 0.001)), ("clip_threshold", 1.0), ("decay_rate", -0.8),
        ("beta1", None), ("weight_decay", 0.0), ("scale_parameter", True), ("relative_step", True),
        ("warmup_init", False))),
    aliases=(_OPT + "Adafactor",),
    summary="HF Adafactor; with relative_step=True (default) it sets its own rate min(1e-2, 1/sqrt(step))",
    default_source=_D,
)

ADAFACTOR_SCHEDULE = Entry(
    qualname=_OPT + "AdafactorSchedule",
    kind="scheduler",
    framework="hf",
    params=(P("optimizer"), P("initial_lr", 0.0)),
    summary="proxy that reports the rate HF Adafactor computes for itself (initial_lr before the first step)",
    default_source=_D,
)

# Every ``__init__`` field of TrainingArguments 5.24, in order, with its default. ``include_for_metrics``
# defaults to an empty list (shown as ``()``). ``optim`` is "adamw_torch_fused" on torch >= 2.8, else
# "adamw_torch" (4.x: "adamw_hf" / "adamw_torch").
_TRAINING_ARGUMENT_FIELDS: tuple[tuple, ...] = (
    ('output_dir', None), ('per_device_train_batch_size', 8), ('num_train_epochs', 3.0), ('max_steps', -1),
    ('learning_rate', 5e-05), ('lr_scheduler_type', 'linear'), ('lr_scheduler_kwargs', None), ('warmup_steps', 0),
    ('optim', 'adamw_torch_fused'), ('optim_args', None), ('weight_decay', 0.0), ('adam_beta1', 0.9),
    ('adam_beta2', 0.999), ('adam_epsilon', 1e-08), ('optim_target_modules', None),
    ('gradient_accumulation_steps', 1), ('average_tokens_across_devices', True), ('max_grad_norm', 1.0),
    ('label_smoothing_factor', 0.0), ('bf16', False), ('fp16', False), ('bf16_full_eval', False),
    ('fp16_full_eval', False), ('tf32', None), ('activation_checkpointing', None),
    ('activation_checkpointing_kwargs', None), ('gradient_checkpointing', None),
    ('gradient_checkpointing_kwargs', None), ('torch_compile', False), ('torch_compile_backend', None),
    ('torch_compile_mode', None), ('use_liger_kernel', False), ('liger_kernel_config', None), ('use_cache', False),
    ('neftune_noise_alpha', None), ('torch_empty_cache_steps', None), ('auto_find_batch_size', False),
    ('logging_strategy', 'steps'), ('logging_steps', 500), ('logging_first_step', False),
    ('log_on_each_node', True), ('logging_nan_inf_filter', True), ('include_num_input_tokens_seen', 'no'),
    ('log_level', 'passive'), ('log_level_replica', 'warning'), ('disable_tqdm', None), ('report_to', 'none'),
    ('run_name', None), ('project', 'huggingface'), ('trackio_space_id', None), ('trackio_bucket_id', None),
    ('trackio_static_space_id', None), ('eval_strategy', 'no'), ('eval_steps', None), ('eval_delay', 0),
    ('per_device_eval_batch_size', 8), ('prediction_loss_only', False), ('eval_on_start', False),
    ('eval_do_concat_batches', True), ('eval_use_gather_object', False), ('eval_accumulation_steps', None),
    ('include_for_metrics', ()), ('batch_eval_metrics', False), ('save_only_model', False),
    ('save_strategy', 'steps'), ('save_steps', 500), ('save_on_each_node', False), ('save_total_limit', None),
    ('enable_jit_checkpoint', False), ('push_to_hub', False), ('hub_token', None), ('hub_private_repo', None),
    ('hub_model_id', None), ('hub_strategy', 'every_save'), ('hub_always_push', False), ('hub_revision', None),
    ('load_best_model_at_end', False), ('metric_for_best_model', None), ('greater_is_better', None),
    ('ignore_data_skip', False), ('restore_callback_states_from_checkpoint', False), ('full_determinism', False),
    ('seed', 42), ('data_seed', None), ('use_cpu', False), ('accelerator_config', None),
    ('parallelism_config', None), ('dataloader_drop_last', False), ('dataloader_num_workers', 0),
    ('dataloader_pin_memory', True), ('dataloader_persistent_workers', False),
    ('dataloader_prefetch_factor', None), ('dataloader_multiprocessing_context', None),
    ('dataloader_in_order', True), ('remove_unused_columns', True), ('label_names', None),
    ('train_sampling_strategy', 'random'), ('length_column_name', 'length'), ('ddp_find_unused_parameters', None),
    ('ddp_bucket_cap_mb', None), ('ddp_broadcast_buffers', None), ('ddp_static_graph', None),
    ('ddp_backend', None), ('ddp_timeout', 1800), ('fsdp', None), ('fsdp_config', None), ('deepspeed', None),
    ('debug', ''), ('skip_memory_metrics', True), ('do_train', False), ('do_eval', False), ('do_predict', False),
    ('resume_from_checkpoint', None), ('local_rank', -1),
)

_SEQ2SEQ_EXTRA_FIELDS: tuple[tuple, ...] = (
    ("sortish_sampler", False), ("predict_with_generate", False), ("generation_max_length", None),
    ("generation_num_beams", None), ("generation_config", None),
)

# The fields that select or shape the schedule (reference section 3.3).
SCHEDULE_FIELDS: tuple[str, ...] = (
    "learning_rate", "lr_scheduler_type", "lr_scheduler_kwargs", "warmup_steps", "num_train_epochs",
    "max_steps", "gradient_accumulation_steps", "per_device_train_batch_size", "optim", "weight_decay",
    "adam_beta1", "adam_beta2", "adam_epsilon",
)

_TA_LENGTH = ("max_steps", "num_train_epochs", "warmup_steps", "gradient_accumulation_steps")

TRAINING_ARGUMENTS: tuple[Entry, ...] = (
    Entry(
        qualname=_T + "TrainingArguments",
        kind="factory",
        framework="hf",
        params=tuple(P(*f) for f in _TRAINING_ARGUMENT_FIELDS),
        aliases=(_T + "training_args.TrainingArguments",),
        unit="step",
        length_args=_TA_LENGTH,
        summary="Trainer settings: peak rate, schedule type, warm-up and training length",
        default_source=_D,
    ),
    Entry(
        qualname=_T + "Seq2SeqTrainingArguments",
        kind="factory",
        framework="hf",
        params=tuple(P(*f) for f in _TRAINING_ARGUMENT_FIELDS + _SEQ2SEQ_EXTRA_FIELDS),
        aliases=(_T + "training_args_seq2seq.Seq2SeqTrainingArguments",),
        unit="step",
        length_args=_TA_LENGTH,
        summary="Seq2SeqTrainer settings: peak rate, schedule type, warm-up and training length",
        default_source=_D,
    ),
)

# Parameters that existed in 4.x and are gone in 5.24 (passing them raises TypeError there).
REMOVED_PARAMS: dict[str, dict[str, str]] = {
    _T + "TrainingArguments": {
        "warmup_ratio": (
            "removed in transformers 5.x (deprecated in 5.0, TypeError in 5.24); in 4.x a float (default 0.0) "
            "used when warmup_steps == 0: warm-up = ceil(N * warmup_ratio). In 5.x pass warmup_steps < 1 instead"
        ),
    },
    _T + "Seq2SeqTrainingArguments": {
        "warmup_ratio": "removed in transformers 5.x, as for TrainingArguments",
    },
}
# The 4.x defaults of removed parameters, for scripts written against 4.x.
REMOVED_DEFAULTS: dict[str, object] = {"warmup_ratio": 0.0}

# ``SchedulerType`` values accepted by ``get_scheduler`` / ``lr_scheduler_type`` -> the function called.
SCHEDULER_TYPES: dict[str, str] = {
    "linear": _T + "get_linear_schedule_with_warmup",
    "cosine": _T + "get_cosine_schedule_with_warmup",
    "cosine_with_restarts": _T + "get_cosine_with_hard_restarts_schedule_with_warmup",
    "polynomial": _T + "get_polynomial_decay_schedule_with_warmup",
    "constant": _T + "get_constant_schedule",
    "constant_with_warmup": _T + "get_constant_schedule_with_warmup",
    "inverse_sqrt": _T + "get_inverse_sqrt_schedule",
    "reduce_lr_on_plateau": _T + "get_reduce_on_plateau_schedule",
    "cosine_with_min_lr": _T + "get_cosine_with_min_lr_schedule_with_warmup",
    "cosine_warmup_with_min_lr": _T + "get_cosine_with_min_lr_schedule_with_warmup_lr_rate",
    "warmup_stable_decay": _T + "get_wsd_schedule",
    "greedy": _T + "get_greedy_schedule",
}

# ``SchedulerType.MEMBER`` -> value (``SchedulerType.COSINE`` is "cosine").
SCHEDULER_TYPE_MEMBERS: dict[str, str] = {
    "LINEAR": "linear",
    "COSINE": "cosine",
    "COSINE_WITH_RESTARTS": "cosine_with_restarts",
    "POLYNOMIAL": "polynomial",
    "CONSTANT": "constant",
    "CONSTANT_WITH_WARMUP": "constant_with_warmup",
    "INVERSE_SQRT": "inverse_sqrt",
    "REDUCE_ON_PLATEAU": "reduce_lr_on_plateau",
    "COSINE_WITH_MIN_LR": "cosine_with_min_lr",
    "COSINE_WARMUP_WITH_MIN_LR": "cosine_warmup_with_min_lr",
    "WARMUP_STABLE_DECAY": "warmup_stable_decay",
    "GREEDY": "greedy",
}

# Qualified names of the enum (``SchedulerType.COSINE`` / ``SchedulerType("cosine")``).
SCHEDULER_TYPE_NAMES: tuple[str, ...] = (
    _T + "SchedulerType",
    _T + "trainer_utils.SchedulerType",
)

# transformers.AdamW (removed in transformers 4.46 but still in a great deal of fine-tuning code): lr 1e-3,
# eps 1e-6 and weight_decay 0.0 by default (transformers 4.30 optimization.py), unlike torch.optim.AdamW.
LEGACY_ADAMW = Entry(
    qualname=_T + "AdamW",
    kind="optimizer",
    framework="hf",
    params=tuple(P(*p) for p in (
        ("params",), ("lr", 1e-3), ("betas", (0.9, 0.999)), ("eps", 1e-6), ("weight_decay", 0.0),
        ("correct_bias", True), ("no_deprecation_warning", False))),
    aliases=(_OPT + "AdamW",),
    summary="transformers' own AdamW (deprecated, removed in 4.46); defaults differ from torch's (eps 1e-6, no decay)",
    default_source="transformers 4.x default",
)

# ------------------------------------------------------------------------------------------ Trainer optim=
# What the transformers 5.24 Trainer builds for each ``TrainingArguments.optim`` value (``OptimizerNames``; the
# handlers in transformers/trainer_optimizer.py). Every handler passes ``lr=learning_rate``. ``ADAM_KWARGS`` marks
# the handlers that also pass ``betas=(adam_beta1, adam_beta2)`` and ``eps=adam_epsilon``; ``fixed`` are the
# keyword arguments the handler adds itself. Classes lraudit has a catalog entry for (torch.optim.*,
# transformers.Adafactor/AdamW, apex.optimizers.*, bitsandbytes.optim.*) get that entry's defaults; the others are
# reported by name only.
# "adamw_hf" and "adamw_apex_fused" are 4.x values (removed in 5.x), kept for scripts written against 4.x.
TRAINER_OPTIMIZERS: dict[str, tuple[str, dict[str, object]]] = {
    "adamw_torch": ("torch.optim.AdamW", {}),
    "adamw_torch_fused": ("torch.optim.AdamW", {"fused": True}),
    "adamw_hf": (_T + "AdamW", {}),
    "adamw_apex_fused": ("apex.optimizers.FusedAdam", {}),
    "adamw_torch_xla": ("torch_xla.amp.syncfree.AdamW", {}),
    "adamw_torch_npu_fused": ("torch_npu.optim.NpuFusedAdamW", {}),
    "adafactor": (_T + "Adafactor", {"scale_parameter": False, "relative_step": False}),
    "adamw_anyprecision": ("torchdistx.optimizers.AnyPrecisionAdamW", {}),
    "adamw_torch_4bit": ("torchao.optim.AdamW4bit", {}),
    "adamw_torch_8bit": ("torchao.optim.AdamW8bit", {}),
    "sgd": ("torch.optim.SGD", {}),
    "adagrad": ("torch.optim.Adagrad", {}),
    "rmsprop": ("torch.optim.RMSprop", {}),
    "adamw_bnb_8bit": ("bitsandbytes.optim.AdamW", {"optim_bits": 8, "is_paged": False}),
    "adamw_8bit": ("bitsandbytes.optim.AdamW", {"optim_bits": 8, "is_paged": False}),
    "paged_adamw_32bit": ("bitsandbytes.optim.AdamW", {"optim_bits": 32, "is_paged": True}),
    "paged_adamw_8bit": ("bitsandbytes.optim.AdamW", {"optim_bits": 8, "is_paged": True}),
    "ademamix": ("bitsandbytes.optim.AdEMAMix", {"optim_bits": 32, "is_paged": False}),
    "ademamix_8bit": ("bitsandbytes.optim.AdEMAMix", {"optim_bits": 8, "is_paged": False}),
    "paged_ademamix_32bit": ("bitsandbytes.optim.AdEMAMix", {"optim_bits": 32, "is_paged": True}),
    "paged_ademamix_8bit": ("bitsandbytes.optim.AdEMAMix", {"optim_bits": 8, "is_paged": True}),
    "lion_32bit": ("bitsandbytes.optim.Lion", {"optim_bits": 32, "is_paged": False}),
    "lion_8bit": ("bitsandbytes.optim.Lion", {"optim_bits": 8, "is_paged": False}),
    "paged_lion_32bit": ("bitsandbytes.optim.Lion", {"optim_bits": 32, "is_paged": True}),
    "paged_lion_8bit": ("bitsandbytes.optim.Lion", {"optim_bits": 8, "is_paged": True}),
    "rmsprop_bnb": ("bitsandbytes.optim.RMSprop", {"optim_bits": 32}),
    "rmsprop_bnb_8bit": ("bitsandbytes.optim.RMSprop", {"optim_bits": 8}),
    "rmsprop_bnb_32bit": ("bitsandbytes.optim.RMSprop", {"optim_bits": 32}),
    "galore_adamw": ("galore_torch.GaLoreAdamW", {}),
    "galore_adamw_8bit": ("galore_torch.GaLoreAdamW8bit", {}),
    "galore_adafactor": ("galore_torch.GaLoreAdafactor", {"scale_parameter": False, "relative_step": False}),
    "galore_adamw_layerwise": ("galore_torch.GaLoreAdamW", {}),
    "galore_adamw_8bit_layerwise": ("galore_torch.GaLoreAdamW8bit", {}),
    "galore_adafactor_layerwise": ("galore_torch.GaLoreAdafactor", {}),
    "lomo": ("lomo_optim.Lomo", {}),
    "adalomo": ("lomo_optim.AdaLomo", {}),
    "grokadamw": ("grokadamw.GrokAdamW", {}),
    "schedule_free_radam": ("schedulefree.RAdamScheduleFree", {}),
    "schedule_free_adamw": ("schedulefree.AdamWScheduleFree", {}),
    "schedule_free_sgd": ("schedulefree.SGDScheduleFree", {}),
    "apollo_adamw": ("apollo_torch.APOLLOAdamW", {}),
    "apollo_adamw_layerwise": ("apollo_torch.APOLLOAdamW", {}),
    "stable_adamw": ("optimi.StableAdamW", {}),
}
# The handlers that pass betas/eps from adam_beta1/adam_beta2/adam_epsilon (Lion gets betas only).
ADAM_KWARGS: frozenset[str] = frozenset({
    "adamw_torch", "adamw_torch_fused", "adamw_hf", "adamw_apex_fused", "adamw_torch_xla", "adamw_torch_npu_fused",
    "adamw_anyprecision", "adamw_torch_4bit", "adamw_torch_8bit", "adamw_bnb_8bit", "adamw_8bit",
    "paged_adamw_32bit", "paged_adamw_8bit", "schedule_free_radam", "schedule_free_adamw", "apollo_adamw",
    "apollo_adamw_layerwise", "stable_adamw",
})
# Keys of ``optim_args="k=v,..."`` that the sgd/adagrad/rmsprop handlers forward (as floats, or bools).
OPTIM_ARGS_KEYS: dict[str, tuple[str, ...]] = {
    "sgd": ("momentum", "dampening", "weight_decay", "nesterov"),
    "adagrad": ("lr_decay", "weight_decay", "eps"),
    "rmsprop": ("momentum", "alpha", "eps", "weight_decay", "centered"),
}
# ``OptimizerNames.MEMBER`` -> value, where the value is not simply the member name in lower case.
OPTIMIZER_NAME_MEMBERS: dict[str, str] = {
    "ADAMW_BNB": "adamw_bnb_8bit", "LION": "lion_32bit", "PAGED_ADAMW": "paged_adamw_32bit",
    "PAGED_ADEMAMIX": "paged_ademamix_32bit", "PAGED_LION": "paged_lion_32bit", "RMSPROP_8BIT": "rmsprop_bnb_8bit",
    "RMSPROP_32BIT": "rmsprop_bnb_32bit", "ADAMW_HF": "adamw_hf", "ADAMW_APEX_FUSED": "adamw_apex_fused",
}
OPTIMIZER_NAME_TYPES: tuple[str, ...] = (_T + "training_args.OptimizerNames", _T + "OptimizerNames")

# ------------------------------------------------------------------------------------------------------ TRL
# TRL's trainers are transformers Trainer subclasses configured by TrainingArguments subclasses whose own
# defaults differ. Read from huggingface/trl at commit f2cd57710ae3 (VERSION 1.10.0.dev0, 2026-07-24):
# trl/trainer/*_config.py and trl/experimental/*/*_config.py (the dataclass field defaults, including those
# inherited from a parent config). Only the schedule-relevant fields that differ from TrainingArguments are listed;
# every other field keeps the TrainingArguments default. (They are not catalog entries: the signature test checks
# ENTRIES against recorded signatures of installed libraries, and TRL is not installed.)
TRL_SOURCE = "trl 1.10"
TRL_CONFIG_DEFAULTS: dict[str, dict[str, object]] = {
    # trl/trainer
    "SFTConfig": {"learning_rate": 2e-5},
    "DPOConfig": {"learning_rate": 1e-6},
    "GRPOConfig": {"learning_rate": 1e-6},
    "KTOConfig": {"learning_rate": 1e-6},
    "RLOOConfig": {"learning_rate": 1e-6},
    "RewardConfig": {"learning_rate": 1e-4},
    # trl/experimental (older releases exported several of these from ``trl`` directly)
    "A2POConfig": {},
    "AsyncGRPOConfig": {"learning_rate": 1e-6, "lr_scheduler_type": "constant"},
    "BCOConfig": {"learning_rate": 5e-7},
    "CPOConfig": {"learning_rate": 1e-6},
    "DistillationConfig": {"learning_rate": 1e-6},
    "GKDConfig": {"learning_rate": 2e-5},  # SFTConfig's
    "GMPOConfig": {"learning_rate": 1e-6},  # GRPOConfig's
    "GOLDConfig": {"learning_rate": 1e-7},
    "GRPOWithReplayBufferConfig": {"learning_rate": 1e-6},  # GRPOConfig's
    "IWOPDConfig": {"learning_rate": 1e-6},
    "MiniLLMConfig": {"learning_rate": 1e-6},  # GRPOConfig's
    "NashMDConfig": {"learning_rate": 5e-7},  # OnlineDPOConfig's
    "OnlineDPOConfig": {"learning_rate": 5e-7},
    "ORPOConfig": {"learning_rate": 1e-6},
    "PPOConfig": {"learning_rate": 3e-6},
    "PRMConfig": {"learning_rate": 1e-5},
    "SDFTConfig": {},
    "SDPOConfig": {},
    "ServerDistillationConfig": {"learning_rate": 1e-6},  # DistillationConfig's
    "SSDConfig": {},
    "TPOConfig": {"learning_rate": 5e-7},
    "XPOConfig": {"learning_rate": 5e-7},  # OnlineDPOConfig's
}
# TRL trainer -> (the config class it builds when ``args`` is not given, position of ``args`` in __init__).
# PPOTrainer is left out: it runs its own loop (num_total_batches updates), and before trl 0.12 it was a
# different class with a different constructor (``config=``).
TRL_TRAINERS: dict[str, tuple[str, int]] = {
    "SFTTrainer": ("SFTConfig", 1),
    "DPOTrainer": ("DPOConfig", 2),
    "GRPOTrainer": ("GRPOConfig", 2),
    "KTOTrainer": ("KTOConfig", 2),
    "RLOOTrainer": ("RLOOConfig", 2),
    "RewardTrainer": ("RewardConfig", 1),
    "A2POTrainer": ("A2POConfig", 2),
    "AsyncGRPOTrainer": ("AsyncGRPOConfig", 2),
    "BCOTrainer": ("BCOConfig", 2),
    "CPOTrainer": ("CPOConfig", 1),
    "DistillationTrainer": ("DistillationConfig", 2),
    "GKDTrainer": ("GKDConfig", 2),
    "GMPOTrainer": ("GMPOConfig", 2),
    "GOLDTrainer": ("GOLDConfig", 2),
    "GRPOWithReplayBufferTrainer": ("GRPOWithReplayBufferConfig", 0),
    "IWOPDTrainer": ("IWOPDConfig", 2),
    "MiniLLMTrainer": ("MiniLLMConfig", 3),
    "NashMDTrainer": ("NashMDConfig", 3),
    "OnlineDPOTrainer": ("OnlineDPOConfig", 3),
    "ORPOTrainer": ("ORPOConfig", 1),
    "PRMTrainer": ("PRMConfig", 1),
    "SDFTTrainer": ("SDFTConfig", 1),
    "SDPOTrainer": ("SDPOConfig", 2),
    "ServerDistillationTrainer": ("ServerDistillationConfig", 1),
    "SSDTrainer": ("SSDConfig", 1),
    "TPOTrainer": ("TPOConfig", 1),
    "XPOTrainer": ("XPOConfig", 3),
}

ENTRIES: tuple[Entry, ...] = (
    (GET_SCHEDULER,) + SCHEDULE_FUNCTIONS + (GREEDY_LR, ADAFACTOR, ADAFACTOR_SCHEDULE, LEGACY_ADAMW) + TRAINING_ARGUMENTS
)

__all__ = [
    "ADAFACTOR",
    "ADAFACTOR_SCHEDULE",
    "ADAM_KWARGS",
    "ENTRIES",
    "GET_SCHEDULER",
    "GREEDY_LR",
    "LEGACY_ADAMW",
    "OPTIMIZER_NAME_MEMBERS",
    "OPTIMIZER_NAME_TYPES",
    "OPTIM_ARGS_KEYS",
    "REMOVED_DEFAULTS",
    "REMOVED_PARAMS",
    "SCHEDULER_TYPES",
    "SCHEDULER_TYPE_MEMBERS",
    "SCHEDULER_TYPE_NAMES",
    "SCHEDULE_FIELDS",
    "SCHEDULE_FUNCTIONS",
    "TRAINER_OPTIMIZERS",
    "TRAINING_ARGUMENTS",
    "TRL_CONFIG_DEFAULTS",
    "TRL_SOURCE",
    "TRL_TRAINERS",
]
