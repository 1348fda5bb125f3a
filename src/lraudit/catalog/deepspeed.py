"""DeepSpeed's learning-rate schedules and optimizers (deepspeed 0.19.8 signatures and defaults).

Conventions: every schedule in ``deepspeed.runtime.lr_schedules`` is stepped once per optimizer step (the engine
calls ``lr_scheduler.step()`` after each step that did not overflow), so lengths are in steps. The schedules
are pure functions of ``last_batch_iteration`` (``catalog/deepspeed_sim.py`` reproduces them exactly).
A DeepSpeed config's ``"optimizer": {"type": ...}`` names one of the optimizers below (case-insensitively) or,
for any other name, ``getattr(torch.optim, type)``.
"""

from __future__ import annotations

from .base import Entry, P

_S = "deepspeed.runtime.lr_schedules."
_D = "DeepSpeed default"


def _sched(name: str, params: tuple, length: tuple[str, ...], summary: str, *, ignores_lr: bool = False) -> Entry:
    return Entry(
        qualname=_S + name,
        kind="scheduler",
        framework="deepspeed",
        params=(P("optimizer"),) + tuple(P(*p) for p in params),
        aliases=(f"deepspeed.{name}",),
        unit="step",
        length_args=length,
        closed_form=True,
        ignores_optimizer_lr=ignores_lr,
        summary=summary,
        default_source=_D,
    )


SCHEDULERS: tuple[Entry, ...] = (
    _sched("WarmupLR", (("warmup_min_lr", 0.0), ("warmup_max_lr", None), ("warmup_num_steps", 1000),
                        ("warmup_type", "log"), ("last_batch_iteration", -1)),
           ("warmup_num_steps",), "warm-up from warmup_min_lr to warmup_max_lr (log or linear), then constant",
           ignores_lr=True),
    _sched("WarmupDecayLR", (("total_num_steps",), ("warmup_min_lr", 0.0), ("warmup_max_lr", 0.001),
                             ("warmup_num_steps", 1000), ("warmup_type", "log"), ("last_batch_iteration", -1)),
           ("total_num_steps", "warmup_num_steps"),
           "warm-up to warmup_max_lr, then linear decay to warmup_min_lr at total_num_steps", ignores_lr=True),
    _sched("WarmupCosineLR", (("total_num_steps",), ("warmup_min_ratio", 0.0), ("warmup_num_steps", 1000),
                              ("cos_min_ratio", 0.0001), ("warmup_type", "log"), ("last_batch_iteration", -1)),
           ("total_num_steps", "warmup_num_steps"),
           "warm-up to the optimizer's rate, then a cosine down to cos_min_ratio of it at total_num_steps"),
    _sched("OneCycle", (("cycle_min_lr",), ("cycle_max_lr",), ("decay_lr_rate", 0.0),
                        ("cycle_first_step_size", 2000), ("cycle_second_step_size", None),
                        ("cycle_first_stair_count", 0), ("cycle_second_stair_count", None), ("decay_step_size", 0),
                        ("cycle_momentum", True), ("cycle_min_mom", 0.8), ("cycle_max_mom", 0.9),
                        ("decay_mom_rate", 0.0), ("last_batch_iteration", -1)),
           ("cycle_first_step_size", "cycle_second_step_size"),
           "one triangular cycle between cycle_min_lr and cycle_max_lr, then an optional slow decay",
           ignores_lr=True),
    _sched("LRRangeTest", (("lr_range_test_min_lr", 1e-3), ("lr_range_test_step_size", 2000),
                           ("lr_range_test_step_rate", 1.0), ("lr_range_test_staircase", False),
                           ("last_batch_iteration", -1)),
           ("lr_range_test_step_size",), "a learning-rate range test: the rate grows linearly (or in stairs) forever",
           ignores_lr=True),
)


def _opt(qualname: str, params: tuple, summary: str, aliases: tuple[str, ...] = ()) -> Entry:
    # each of them puts betas in its param groups' defaults (deepspeed/ops/{adam,lamb,lion}), so OneCycleLR's
    # cycle_momentum cycles beta1 as on torch's Adam
    return Entry(qualname=qualname, kind="optimizer", framework="deepspeed",
                 params=(P("params"),) + tuple(P(*p) for p in params), aliases=aliases, summary=summary,
                 default_source=_D, momentum_key="betas")


OPTIMIZERS: tuple[Entry, ...] = (
    _opt("deepspeed.ops.adam.FusedAdam", (("lr", 1e-3), ("bias_correction", True), ("betas", (0.9, 0.999)),
                                          ("eps", 1e-8), ("adam_w_mode", True), ("weight_decay", 0.0),
                                          ("amsgrad", False), ("set_grad_none", True)),
         "Adam (decoupled weight decay unless adam_w_mode is false)",
         ("deepspeed.ops.adam.fused_adam.FusedAdam",)),
    _opt("deepspeed.ops.adam.DeepSpeedCPUAdam", (("lr", 1e-3), ("bias_correction", True), ("betas", (0.9, 0.999)),
                                                 ("eps", 1e-8), ("weight_decay", 0), ("amsgrad", False),
                                                 ("adamw_mode", True), ("fp32_optimizer_states", True)),
         "Adam on the CPU (ZeRO offload)", ("deepspeed.ops.adam.cpu_adam.DeepSpeedCPUAdam",)),
    _opt("deepspeed.ops.lamb.FusedLamb", (("lr", 1e-3), ("bias_correction", True), ("betas", (0.9, 0.999)),
                                          ("eps", 1e-8), ("eps_inside_sqrt", False), ("weight_decay", 0.0),
                                          ("max_grad_norm", 0.0), ("max_coeff", 10.0), ("min_coeff", 0.01),
                                          ("amsgrad", False)),
         "LAMB", ("deepspeed.ops.lamb.fused_lamb.FusedLamb",)),
    _opt("deepspeed.ops.lion.FusedLion", (("lr", 1e-3), ("betas", (0.9, 0.999)), ("weight_decay", 0.0),
                                          ("set_grad_none", True)),
         "Lion", ("deepspeed.ops.lion.fused_lion.FusedLion",)),
)

ENTRIES: tuple[Entry, ...] = SCHEDULERS + OPTIMIZERS
