"""bitsandbytes' optimizers (``bitsandbytes.optim``; bitsandbytes 0.50.2 signatures and defaults).

Code usually writes ``import bitsandbytes as bnb`` and ``bnb.optim.AdamW8bit(...)``; the import table turns that
into ``bitsandbytes.optim.AdamW8bit``. Each class is also reachable through the submodule that defines it
(``bitsandbytes.optim.adamw.AdamW8bit``), an alias. The 8-bit and 32-bit classes differ in how they store the
optimizer state, the paged ones in where; none changes how the learning rate is read: every class is a
``torch.optim.Optimizer`` whose param groups carry ``lr`` (and ``betas``, also for SGD, RMSprop, Adagrad and LARS,
whose momentum bitsandbytes keeps as ``betas[0]``), so torch's schedulers drive it as they drive torch's own.
``tests/data/optimizer_signatures/bitsandbytes.json`` records the signatures read from the 0.50.2 wheel.
"""

from __future__ import annotations

from .base import REQUIRED, Entry, P

_M = "bitsandbytes.optim."
_D = "bitsandbytes 0.50.2 default"

_STATE = (("optim_bits", 32), ("args", None), ("min_8bit_size", 4096))  # shared tail of most signatures


def _opt(name: str, module: str, params: tuple, summary: str, *, momentum_key: str = "betas") -> Entry:
    return Entry(qualname=_M + name, kind="optimizer", framework="bitsandbytes",
                 params=(P("params"),) + tuple(P(*p) for p in params), aliases=(f"{_M}{module}.{name}",),
                 summary=summary, default_source=_D, momentum_key=momentum_key)


def _family(module: str, names: dict[str, tuple[str, ...]], head: tuple, tail: tuple, summary: str) -> list[Entry]:
    """Classes of one algorithm: ``names`` maps each to the parameters of ``tail`` it does not take."""
    out = []
    for name, dropped in names.items():
        params = head + tuple(p for p in tail if p[0] not in dropped)
        bits = "8-bit" if "8bit" in name else "32-bit" if "32bit" in name else "8- or 32-bit (optim_bits)"
        paged = ", paged" if name.startswith("Paged") else ""
        out.append(_opt(name, module, params, f"{summary}; {bits} optimizer state{paged}"))
    return out


_ADAM = (("lr", 1e-3), ("betas", (0.9, 0.999)), ("eps", 1e-8))
_ADAM_TAIL = (("amsgrad", False),) + _STATE + (("is_paged", False),)
_ADEMAMIX = (("lr", 1e-3), ("betas", (0.9, 0.999, 0.9999)), ("alpha", 5.0), ("t_alpha", None), ("t_beta3", None),
             ("eps", 1e-8), ("weight_decay", 1e-2))
_SGD = (("lr", REQUIRED), ("momentum", 0), ("dampening", 0), ("weight_decay", 0), ("nesterov", False))
_LION = (("lr", 1e-4), ("betas", (0.9, 0.99)), ("weight_decay", 0))

OPTIMIZERS: tuple[Entry, ...] = tuple(
    _family("adam", {"Adam": (), "Adam8bit": (), "Adam32bit": (), "PagedAdam": (), "PagedAdam8bit": (),
                     "PagedAdam32bit": ()}, _ADAM + (("weight_decay", 0),), _ADAM_TAIL, "Adam")
    + _family("adamw", {"AdamW": (), "AdamW8bit": (), "AdamW32bit": (), "PagedAdamW": ("is_paged",),
                        "PagedAdamW8bit": ("is_paged",), "PagedAdamW32bit": ("is_paged",)},
              _ADAM + (("weight_decay", 1e-2),), _ADAM_TAIL, "AdamW, Adam with decoupled weight decay")
    + _family("ademamix", {"AdEMAMix": (), "AdEMAMix8bit": ("optim_bits",), "AdEMAMix32bit": ("optim_bits",),
                           "PagedAdEMAMix": ("is_paged",), "PagedAdEMAMix8bit": ("optim_bits", "is_paged"),
                           "PagedAdEMAMix32bit": ("optim_bits", "is_paged")},
              _ADEMAMIX, (("optim_bits", 32), ("min_8bit_size", 4096), ("is_paged", False)),
              "AdEMAMix, Adam with a second, slow momentum")
    + _family("lion", {"Lion": (), "Lion8bit": ("optim_bits",), "Lion32bit": ("optim_bits",),
                       "PagedLion": ("is_paged",), "PagedLion8bit": ("optim_bits", "is_paged"),
                       "PagedLion32bit": ("optim_bits", "is_paged")},
              _LION, _STATE + (("is_paged", False),), "Lion, sign-of-momentum updates")
    + _family("sgd", {"SGD": (), "SGD8bit": ("optim_bits",), "SGD32bit": ("optim_bits",)}, _SGD, _STATE,
              "stochastic gradient descent (optionally with momentum)")
    + _family("rmsprop", {"RMSprop": (), "RMSprop8bit": ("optim_bits",), "RMSprop32bit": ("optim_bits",)},
              (("lr", 1e-2), ("alpha", 0.99), ("eps", 1e-8), ("weight_decay", 0), ("momentum", 0),
               ("centered", False)), _STATE, "RMSprop")
    + _family("adagrad", {"Adagrad": (), "Adagrad32bit": ()},
              (("lr", 1e-2), ("lr_decay", 0), ("weight_decay", 0), ("initial_accumulator_value", 0),
               ("eps", 1e-10)), _STATE, "Adagrad")
    + _family("adagrad", {"Adagrad8bit": ()},
              (("lr", 1e-2), ("lr_decay", 0), ("weight_decay", 0), ("initial_accumulator_value", 0),
               ("eps", 1e-10)), (("optim_bits", 8),) + _STATE[1:], "Adagrad")
    + _family("lamb", {"LAMB": (), "LAMB8bit": ("optim_bits",), "LAMB32bit": ("optim_bits",)},
              (("lr", 1e-3), ("bias_correction", True), ("betas", (0.9, 0.999)), ("eps", 1e-8),
               ("weight_decay", 0), ("amsgrad", False), ("adam_w_mode", True)), _STATE + (("max_unorm", 1.0),),
              "LAMB, layer-wise adaptive Adam for large batches")
    + _family("lars", {"LARS": (), "LARS8bit": ("optim_bits",), "LARS32bit": ("optim_bits",)}, _SGD,
              _STATE + (("max_unorm", 0.02),), "LARS, layer-wise scaled SGD for large batches")
) + (
    _opt("PytorchLARS", "lars", (("lr", 0.01), ("momentum", 0), ("dampening", 0), ("weight_decay", 0),
                                 ("nesterov", False), ("max_unorm", 0.02)),
         "LARS, layer-wise scaled SGD for large batches, in plain PyTorch", momentum_key="momentum"),
)

ENTRIES: tuple[Entry, ...] = OPTIMIZERS

__all__ = ["ENTRIES", "OPTIMIZERS"]
