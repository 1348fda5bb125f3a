"""The catalog's building blocks: one ``Entry`` describes one optimizer, scheduler, schedule or factory.

Extraction binds call arguments against ``Entry.params`` exactly as Python would; simulation and
explanation look entries up by qualified name. Each framework module (torch, keras, hf, timm,
lightning) contributes a tuple of entries; ``catalog/__init__.py`` merges them into one index.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal


class _Required:
    def __repr__(self) -> str:
        return "REQUIRED"


REQUIRED: Any = _Required()

ParamKind = Literal["pos", "kwonly", "varpos", "varkw"]
EntryKind = Literal["optimizer", "scheduler", "schedule", "callback", "factory"]


@dataclass(frozen=True)
class Param:
    name: str
    default: Any = REQUIRED
    kind: ParamKind = "pos"


@dataclass(frozen=True)
class Entry:
    qualname: str  # fully qualified public name
    kind: EntryKind
    framework: str  # torch | keras | hf | timm | lightning | deepspeed | ignite | apex | bitsandbytes ...
    params: tuple[Param, ...]  # in signature order, without self
    aliases: tuple[str, ...] = ()  # other qualified names that mean the same object
    unit: Literal["epoch", "step", "either"] = "either"  # what its length arguments are counted in
    length_args: tuple[str, ...] = ()  # arguments that set the schedule's own length
    closed_form: bool = False  # torch: overwrites lr from base_lrs (vs chainable)
    ignores_optimizer_lr: bool = False  # CyclicLR / OneCycleLR: the optimizer's lr is overwritten
    summary: str = ""  # one line, plain words
    default_source: str = ""  # "torch default", "Keras default", ...
    # optimizers: the param-group key a momentum-cycling scheduler (OneCycleLR, CyclicLR) writes, "momentum" or
    # "betas"; "" when the optimizer's defaults have neither (torch raises); None: known from the class name
    momentum_key: str | None = None
    # other keyword spellings a call may use for a parameter (legacy name -> parameter): pytorch_transformers'
    # WarmupLinearSchedule(warmup_steps=, t_total=) for get_linear_schedule_with_warmup's names
    keywords: tuple[tuple[str, str], ...] = ()

    @property
    def short(self) -> str:
        return self.qualname.rsplit(".", 1)[-1]

    def param(self, name: str) -> Param | None:
        for p in self.params:
            if p.name == name:
                return p
        return None


def P(name: str, default: Any = REQUIRED, kind: ParamKind = "pos") -> Param:
    return Param(name, default, kind)
