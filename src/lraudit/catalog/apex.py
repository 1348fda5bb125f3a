"""NVIDIA apex's fused optimizers (``apex.optimizers``; signatures and defaults of github.com/NVIDIA/apex at commit
6424da3b, package version 0.1).

Each is a ``torch.optim.Optimizer`` whose param groups carry ``lr``, so torch's schedulers drive it exactly as they
drive ``torch.optim.Adam``. Each class lives in its own submodule (``apex.optimizers.fused_adam.FusedAdam``), which
is an alias. ``tests/data/optimizer_signatures/apex.json`` records the signatures read from that commit.
"""

from __future__ import annotations

from .base import Entry, P

_M = "apex.optimizers."
_D = "apex default (NVIDIA/apex 6424da3b)"


def _opt(name: str, module: str, params: tuple, summary: str, momentum_key: str) -> Entry:
    return Entry(qualname=_M + name, kind="optimizer", framework="apex",
                 params=(P("params"),) + tuple(P(*p) for p in params), aliases=(f"{_M}{module}.{name}",),
                 summary=summary, default_source=_D, momentum_key=momentum_key)


OPTIMIZERS: tuple[Entry, ...] = (
    _opt("FusedAdam", "fused_adam",
         (("lr", 1e-3), ("bias_correction", True), ("betas", (0.9, 0.999)), ("eps", 1e-8), ("adam_w_mode", True),
          ("weight_decay", 0.0), ("amsgrad", False), ("set_grad_none", True), ("capturable", False),
          ("master_weights", False)),
         "Adam in fused CUDA kernels (decoupled weight decay unless adam_w_mode is false)", "betas"),
    _opt("FusedLAMB", "fused_lamb",
         (("lr", 1e-3), ("bias_correction", True), ("betas", (0.9, 0.999)), ("eps", 1e-6), ("weight_decay", 0.01),
          ("amsgrad", False), ("adam_w_mode", True), ("grad_averaging", True), ("set_grad_none", True),
          ("max_grad_norm", 1.0), ("use_nvlamb", False)),
         "LAMB (layer-wise adaptive Adam for large batches) in fused CUDA kernels", "betas"),
    _opt("FusedSGD", "fused_sgd",
         (("lr",), ("momentum", 0), ("dampening", 0), ("weight_decay", 0), ("nesterov", False),
          ("wd_after_momentum", False), ("materialize_master_grads", True), ("set_grad_none", False)),
         "stochastic gradient descent (optionally with momentum) in fused CUDA kernels", "momentum"),
    _opt("FusedNovoGrad", "fused_novograd",
         (("lr", 1e-3), ("bias_correction", True), ("betas", (0.9, 0.999)), ("eps", 1e-8), ("weight_decay", 0.0),
          ("amsgrad", False), ("reg_inside_moment", False), ("grad_averaging", True), ("norm_type", 2),
          ("init_zero", False), ("set_grad_none", True)),
         "NovoGrad (Adam-like, with layer-wise second moments) in fused CUDA kernels", "betas"),
    _opt("FusedAdagrad", "fused_adagrad",
         (("lr", 1e-2), ("eps", 1e-10), ("weight_decay", 0.0), ("set_grad_none", True), ("adagrad_w_mode", False)),
         "Adagrad in fused CUDA kernels", ""),
    _opt("FusedMixedPrecisionLamb", "fused_mixed_precision_lamb",
         (("lr", 1e-3), ("step", 0), ("bias_correction", True), ("betas", (0.9, 0.999)), ("eps", 1e-6),
          ("weight_decay", 0.01), ("amsgrad", False), ("adam_w_mode", True), ("grad_averaging", True),
          ("max_grad_norm", 1.0), ("use_nvlamb", False), ("reduced_precision_dtype", None)),
         "LAMB over reduced-precision weights with fp32 master copies (lr kept as a tensor)", "betas"),
)

ENTRIES: tuple[Entry, ...] = OPTIMIZERS

__all__ = ["ENTRIES", "OPTIMIZERS"]
