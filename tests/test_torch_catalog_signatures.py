"""Every torch entry of the catalog has exactly the signature of the real class (torch must be installed)."""

from __future__ import annotations

import importlib
import inspect
from typing import Any

import pytest
import torch
import torch.optim.lr_scheduler

from lraudit.catalog.base import REQUIRED, Entry
from lraudit.catalog.torch import OPTIMIZERS, SCHEDULER_BASES, SCHEDULERS

# implementation switches every optimizer grew; they never change the learning rate
OPTIMIZER_FLAGS = {"foreach", "maximize", "capturable", "differentiable", "fused"}
KINDS = {
    inspect.Parameter.POSITIONAL_ONLY: "pos",
    inspect.Parameter.POSITIONAL_OR_KEYWORD: "pos",
    inspect.Parameter.KEYWORD_ONLY: "kwonly",
    inspect.Parameter.VAR_POSITIONAL: "varpos",
    inspect.Parameter.VAR_KEYWORD: "varkw",
}


def resolve(qualname: str) -> Any:
    module, _, name = qualname.rpartition(".")
    return getattr(importlib.import_module(module), name)


def same_value(a: Any, b: Any) -> bool:
    if isinstance(a, tuple) and isinstance(b, tuple):
        return len(a) == len(b) and all(same_value(x, y) for x, y in zip(a, b))
    return type(a) is type(b) and a == b


def real_params(entry: Entry) -> list[tuple[str, Any, str]]:
    signature = inspect.signature(resolve(entry.qualname))
    out = []
    for param in signature.parameters.values():
        if param.name == "self":
            continue
        if entry.kind == "optimizer" and param.name in OPTIMIZER_FLAGS:
            continue
        default = REQUIRED if param.default is inspect.Parameter.empty else param.default
        out.append((param.name, default, KINDS[param.kind]))
    return out


@pytest.mark.parametrize("entry", OPTIMIZERS + SCHEDULERS, ids=lambda e: e.short)
def test_entry_signature_matches_torch(entry: Entry) -> None:
    real = real_params(entry)
    mine = [(p.name, p.default, p.kind) for p in entry.params]
    assert [r[0] for r in real] == [m[0] for m in mine], "parameter names or order differ"
    for (name, real_default, real_kind), (_, default, kind) in zip(real, mine):
        assert kind == real_kind, f"{name}: kind {kind} vs torch {real_kind}"
        if real_default is REQUIRED:
            assert default is REQUIRED, f"{name} is required in torch"
        else:
            assert same_value(default, real_default), f"{name}: default {default!r} vs torch {real_default!r}"


@pytest.mark.parametrize("entry", OPTIMIZERS + SCHEDULERS, ids=lambda e: e.short)
def test_entry_names_resolve_to_the_class(entry: Entry) -> None:
    cls = resolve(entry.qualname)
    for alias in entry.aliases:
        if alias.startswith("torch.optim._multi_tensor."):
            # partialclass(cls, foreach=True): a subclass whose signature differs only in the implementation
            # switches (foreach preset to True, and keyword-only from there on)
            multi = resolve(alias)
            assert multi.__mro__[1] is cls, alias
            assert inspect.signature(multi).parameters["foreach"].default is True, alias
            assert [(p.name, p.default, p.kind) for p in inspect.signature(multi).parameters.values()
                    if p.name not in OPTIMIZER_FLAGS] == \
                [(p.name, p.default, p.kind) for p in inspect.signature(cls).parameters.values()
                 if p.name not in OPTIMIZER_FLAGS], alias
            continue
        assert resolve(alias) is cls, alias
    expected_kind = "optimizer" if issubclass(cls, torch.optim.Optimizer) else "scheduler"
    assert entry.kind == expected_kind


def test_catalog_lists_every_public_torch_optimizer_and_scheduler() -> None:
    optimizers = {name for name in torch.optim.__all__
                  if inspect.isclass(getattr(torch.optim, name))
                  and issubclass(getattr(torch.optim, name), torch.optim.Optimizer) and name != "Optimizer"}
    schedulers = {name for name in torch.optim.lr_scheduler.__all__ if name != "LRScheduler"} | {"SWALR"}
    assert {e.short for e in OPTIMIZERS} == optimizers
    import torch.optim._multi_tensor as multi_tensor

    multi = {n for n, v in vars(multi_tensor).items() if inspect.isclass(v) and issubclass(v, torch.optim.Optimizer)}
    assert {a.rsplit(".", 1)[-1] for e in OPTIMIZERS for a in e.aliases if "._multi_tensor." in a} == multi
    assert {e.short for e in SCHEDULERS} == schedulers
    for base in SCHEDULER_BASES:
        assert issubclass(resolve(base), torch.optim.lr_scheduler.LRScheduler)


def test_closed_form_and_optimizer_lr_flags_match_the_simulator() -> None:
    from lraudit.catalog import torch_sim

    for entry in SCHEDULERS:
        cls = getattr(torch_sim, entry.short)
        real = inspect.signature(resolve(entry.qualname))
        sim = inspect.signature(cls)
        # the simulator's classes take the same arguments (so argument errors read like torch's)
        assert list(sim.parameters) == [p for p in real.parameters if p != "self"], entry.short
    closed = {e.short for e in SCHEDULERS if e.closed_form}
    assert closed == {"LambdaLR", "CyclicLR", "CosineAnnealingWarmRestarts", "OneCycleLR"}
    assert {e.short for e in SCHEDULERS if e.ignores_optimizer_lr} == {"CyclicLR", "OneCycleLR"}
