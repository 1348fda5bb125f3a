"""PyTorch optimizers and learning-rate schedulers (torch 2.13 signatures and defaults).

``torch.optim._multi_tensor.SGD`` (and the other names there) is the torch class with ``foreach=True`` preset
(``partialclass``), the same signature otherwise: an alias of the torch entry. Old code picks it by a flag
(pycls: ``torch.optim._multi_tensor.SGD if cfg.X else torch.optim.SGD``).
"""

from __future__ import annotations

from .base import REQUIRED, Entry, P

_OPT = "torch.optim."
_S = "torch.optim.lr_scheduler."
_D = "torch default"
#: the classes ``torch.optim._multi_tensor`` re-exports with ``foreach=True`` (torch 2.13)
_MULTI_TENSOR = frozenset({"Adam", "AdamW", "NAdam", "SGD", "RAdam", "RMSprop", "Rprop", "ASGD", "Adamax",
                           "Adadelta", "Adagrad"})


def _opt(name: str, lr: object, *rest: tuple, summary: str = "", module: str | None = None) -> Entry:
    params = (P("params"), P("lr", lr)) + tuple(P(*r) for r in rest)
    return Entry(
        qualname=_OPT + name,
        kind="optimizer",
        framework="torch",
        params=params,
        aliases=(f"torch.optim.{module or name.lower()}.{name}",)
        + ((f"torch.optim._multi_tensor.{name}",) if name in _MULTI_TENSOR else ()),
        summary=summary,
        default_source=_D,
    )


OPTIMIZERS: tuple[Entry, ...] = (
    _opt("SGD", 1e-3, ("momentum", 0), ("dampening", 0), ("weight_decay", 0), ("nesterov", False),
         summary="stochastic gradient descent (optionally with momentum)"),
    _opt("Adam", 1e-3, ("betas", (0.9, 0.999)), ("eps", 1e-8), ("weight_decay", 0), ("amsgrad", False),
         ("decoupled_weight_decay", False, "kwonly"), summary="Adam, an adaptive method"),
    _opt("AdamW", 1e-3, ("betas", (0.9, 0.999)), ("eps", 1e-8), ("weight_decay", 1e-2), ("amsgrad", False),
         summary="AdamW, Adam with decoupled weight decay"),
    _opt("Adamax", 2e-3, ("betas", (0.9, 0.999)), ("eps", 1e-8), ("weight_decay", 0), summary="Adamax"),
    _opt("NAdam", 2e-3, ("betas", (0.9, 0.999)), ("eps", 1e-8), ("weight_decay", 0), ("momentum_decay", 4e-3),
         ("decoupled_weight_decay", False), summary="Adam with Nesterov momentum"),
    _opt("RAdam", 1e-3, ("betas", (0.9, 0.999)), ("eps", 1e-8), ("weight_decay", 0),
         ("decoupled_weight_decay", False), summary="rectified Adam"),
    _opt("Adagrad", 1e-2, ("lr_decay", 0), ("weight_decay", 0), ("initial_accumulator_value", 0),
         ("eps", 1e-10), summary="Adagrad"),
    _opt("Adadelta", 1.0, ("rho", 0.9), ("eps", 1e-6), ("weight_decay", 0), summary="Adadelta"),
    _opt("RMSprop", 1e-2, ("alpha", 0.99), ("eps", 1e-8), ("weight_decay", 0), ("momentum", 0),
         ("centered", False), summary="RMSprop"),
    _opt("Rprop", 1e-2, ("etas", (0.5, 1.2)), ("step_sizes", (1e-6, 50)), summary="Rprop"),
    _opt("ASGD", 1e-2, ("lambd", 1e-4), ("alpha", 0.75), ("t0", 1e6), ("weight_decay", 0),
         summary="averaged SGD"),
    _opt("LBFGS", 1, ("max_iter", 20), ("max_eval", None), ("tolerance_grad", 1e-7),
         ("tolerance_change", 1e-9), ("history_size", 100), ("line_search_fn", None), summary="L-BFGS"),
    _opt("SparseAdam", 1e-3, ("betas", (0.9, 0.999)), ("eps", 1e-8), summary="Adam for sparse gradients",
         module="sparse_adam"),
    _opt("Adafactor", 1e-2, ("beta2_decay", -0.8), ("eps", (None, 1e-3)), ("d", 1.0), ("weight_decay", 0.0),
         summary="Adafactor", module="_adafactor"),
    _opt("Muon", 1e-3, ("weight_decay", 0.1), ("momentum", 0.95), ("nesterov", True),
         ("ns_coefficients", (3.4445, -4.775, 2.0315)), ("eps", 1e-7), ("ns_steps", 5), ("adjust_lr_fn", None),
         summary="Muon", module="_muon"),
)


def _sched(name: str, *params: tuple, unit: str = "either", length: tuple[str, ...] = (),
           closed: bool = False, ignores: bool = False, summary: str = "",
           module: str = _S, aliases: tuple[str, ...] = ()) -> Entry:
    return Entry(
        qualname=module + name,
        kind="scheduler",
        framework="torch",
        params=tuple(P(*p) for p in params),
        aliases=aliases,
        unit=unit,  # type: ignore[arg-type]
        length_args=length,
        closed_form=closed,
        ignores_optimizer_lr=ignores,
        summary=summary,
        default_source=_D,
    )


SCHEDULERS: tuple[Entry, ...] = (
    _sched("LambdaLR", ("optimizer",), ("lr_lambda",), ("last_epoch", -1), closed=True,
           summary="multiplies the base rate by a user function of the step"),
    _sched("MultiplicativeLR", ("optimizer",), ("lr_lambda",), ("last_epoch", -1), unit="epoch",
           summary="multiplies the current rate by a user factor every step"),
    _sched("StepLR", ("optimizer",), ("step_size",), ("gamma", 0.1), ("last_epoch", -1), unit="epoch",
           length=("step_size",), summary="multiplies the rate by gamma every step_size steps"),
    _sched("MultiStepLR", ("optimizer",), ("milestones",), ("gamma", 0.1), ("last_epoch", -1), unit="epoch",
           length=("milestones",), summary="multiplies the rate by gamma at each milestone"),
    _sched("ConstantLR", ("optimizer",), ("factor", 1.0 / 3), ("total_iters", 5), ("last_epoch", -1),
           length=("total_iters",), summary="holds the rate at factor x base for total_iters steps"),
    _sched("LinearLR", ("optimizer",), ("start_factor", 1.0 / 3), ("end_factor", 1.0), ("total_iters", 5),
           ("last_epoch", -1), length=("total_iters",),
           summary="changes the rate linearly from start_factor to end_factor x base"),
    _sched("ExponentialLR", ("optimizer",), ("gamma",), ("last_epoch", -1), unit="epoch",
           summary="multiplies the rate by gamma every step"),
    _sched("SequentialLR", ("optimizer",), ("schedulers",), ("milestones",), ("last_epoch", -1),
           length=("milestones",), summary="runs several schedulers one after another"),
    _sched("CosineAnnealingLR", ("optimizer",), ("T_max",), ("eta_min", 0.0), ("last_epoch", -1),
           unit="epoch", length=("T_max",), summary="follows half a cosine from the base rate to eta_min"),
    _sched("ChainedScheduler", ("schedulers",), ("optimizer", None),
           summary="steps several schedulers together (their factors multiply)"),
    _sched("ReduceLROnPlateau", ("optimizer",), ("mode", "min"), ("factor", 0.1), ("patience", 10),
           ("threshold", 1e-4), ("threshold_mode", "rel"), ("cooldown", 0), ("min_lr", 0), ("eps", 1e-8),
           unit="epoch", summary="cuts the rate when a monitored metric stops improving"),
    _sched("CyclicLR", ("optimizer",), ("base_lr",), ("max_lr",), ("step_size_up", 2000),
           ("step_size_down", None), ("mode", "triangular"), ("gamma", 1.0), ("scale_fn", None),
           ("scale_mode", "cycle"), ("cycle_momentum", True), ("base_momentum", 0.8), ("max_momentum", 0.9),
           ("last_epoch", -1), unit="step", length=("step_size_up", "step_size_down"), closed=True,
           ignores=True, summary="cycles the rate between base_lr and max_lr"),
    _sched("CosineAnnealingWarmRestarts", ("optimizer",), ("T_0",), ("T_mult", 1), ("eta_min", 0.0),
           ("last_epoch", -1), length=("T_0",), closed=True,
           summary="cosine annealing that restarts from the base rate every T_0 (x T_mult) steps"),
    _sched("OneCycleLR", ("optimizer",), ("max_lr",), ("total_steps", None), ("epochs", None),
           ("steps_per_epoch", None), ("pct_start", 0.3), ("anneal_strategy", "cos"), ("cycle_momentum", True),
           ("base_momentum", 0.85), ("max_momentum", 0.95), ("div_factor", 25.0), ("final_div_factor", 1e4),
           ("three_phase", False), ("last_epoch", -1), unit="step",
           length=("total_steps", "epochs", "steps_per_epoch"), closed=True, ignores=True,
           summary="the one-cycle policy: warm up to max_lr, then anneal far below the start"),
    _sched("PolynomialLR", ("optimizer",), ("total_iters", 5), ("power", 1.0), ("last_epoch", -1),
           length=("total_iters",), summary="decays the rate polynomially to 0 over total_iters steps"),
    _sched("SWALR", ("optimizer",), ("swa_lr",), ("anneal_epochs", 10), ("anneal_strategy", "cos"),
           ("last_epoch", -1), unit="epoch", length=("anneal_epochs",), module="torch.optim.swa_utils.",
           summary="anneals the rate to a constant swa_lr for stochastic weight averaging"),
)

# Base classes user code subclasses to write its own scheduler.
SCHEDULER_BASES: tuple[str, ...] = (
    _S + "LRScheduler",
    _S + "_LRScheduler",
)

ENTRIES: tuple[Entry, ...] = OPTIMIZERS + SCHEDULERS

__all__ = ["ENTRIES", "OPTIMIZERS", "SCHEDULERS", "SCHEDULER_BASES", "REQUIRED"]
