"""DeepSpeed configs (``ds_config.json`` files, or the same dict given to ``deepspeed.initialize(config=...)``).

``read(data, lines, path)`` turns a DeepSpeed config into the facts a training script would give: the optimizer
its ``"optimizer"`` section builds and the schedule its ``"scheduler"`` section builds, every value with the file
and key it comes from (``ds_config.json: scheduler.params.warmup_num_steps``) and the line of that key.

What DeepSpeed does with the sections (deepspeed 0.19.8, ``runtime/engine.py``):

* ``optimizer.type``: ``Adam``/``AdamW`` (any case) build ``FusedAdam`` (decoupled weight decay unless
  ``adam_w_mode`` is false; ``DeepSpeedCPUAdam`` under ZeRO offload), ``Lamb`` ``FusedLamb``, ``Lion``
  ``FusedLion``, ``Adagrad`` ``torch.optim.Adagrad``; any other name is ``getattr(torch.optim, type)``.
  ``optimizer.params`` are the constructor's keyword arguments (``max_grad_norm`` is refused).
* ``scheduler.type``: a class of ``deepspeed.runtime.lr_schedules`` or, failing that, of
  ``torch.optim.lr_scheduler``; built as ``cls(optimizer, **scheduler.params)`` and stepped by the engine once
  per optimizer step.

``"auto"`` is the Hugging Face Trainer's placeholder: ``fills`` (``{"optimizer.params.lr": Known(...)}``) gives
the values a linked ``TrainingArguments`` puts there; an ``"auto"`` nothing fills stays unknown with the reason.
The run's length is the training script's business (``train_iters``, the Trainer's step count): it is taken from
``fills["total_num_steps"]`` when a script states it, else unknown.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..catalog.base import REQUIRED
from ..facts import FileFacts, Known, Location, OptimizerFact, SchedulerFact, Unknown, Value
from . import jsonc

__all__ = ["DeepSpeedRead", "DeepSpeedReader", "looks_like_deepspeed", "read", "read_deepspeed"]

Path = tuple[Any, ...]

#: top-level keys only DeepSpeed configs have (a text/shape gate before reading a JSON file as one)
DEEPSPEED_KEYS = frozenset({
    "train_batch_size", "train_micro_batch_size_per_gpu", "gradient_accumulation_steps", "zero_optimization",
    "fp16", "bf16", "gradient_clipping", "steps_per_print", "wall_clock_breakdown", "zero_allow_untested_optimizer",
    "activation_checkpointing", "flops_profiler", "tensorboard", "optimizer", "scheduler", "amp",
    "data_efficiency", "curriculum_learning", "pipeline", "aio", "comms_logger",
})
_DS_OPTIMIZERS = {
    "adam": "deepspeed.ops.adam.FusedAdam",
    "adamw": "deepspeed.ops.adam.FusedAdam",
    "lamb": "deepspeed.ops.lamb.FusedLamb",
    "lion": "deepspeed.ops.lion.FusedLion",
    "adagrad": "torch.optim.Adagrad",
    "muadam": "mup.MuAdam",
    "muadamw": "mup.MuAdamW",
    "musgd": "mup.MuSGD",
    "muon": "deepspeed.runtime.zero.muon.MuonWithAuxAdam",
}
#: optimizers older DeepSpeed releases built from the config (removed by 0.19)
_REMOVED_OPTIMIZERS = {
    "onebitadam": "deepspeed.runtime.fp16.onebit.adam.OnebitAdam",
    "onebitlamb": "deepspeed.runtime.fp16.onebit.lamb.OnebitLamb",
    "zerooneadam": "deepspeed.runtime.fp16.onebit.zoadam.ZeroOneAdam",
}
_AUTO_BY_TRAINER = {
    "optimizer.params.lr": "TrainingArguments.learning_rate",
    "optimizer.params.betas": "TrainingArguments.adam_beta1/adam_beta2",
    "optimizer.params.eps": "TrainingArguments.adam_epsilon",
    "optimizer.params.weight_decay": "TrainingArguments.weight_decay",
    "scheduler.params.warmup_min_lr": "0 (the Trainer's fill)",
    "scheduler.params.warmup_max_lr": "TrainingArguments.learning_rate",
    "scheduler.params.total_num_steps": "the Trainer's number of training steps",
    "scheduler.params.warmup_num_steps": "TrainingArguments.get_warmup_steps",
}


@dataclass
class DeepSpeedRead:
    optimizers: list[OptimizerFact] = field(default_factory=list)
    schedulers: list[SchedulerFact] = field(default_factory=list)
    problems: list[tuple[int, str]] = field(default_factory=list)  # (line, message): sections lraudit cannot read
    notes: list[str] = field(default_factory=list)  # what DeepSpeed logs, or refuses only in some uses


def looks_like_deepspeed(data: Any) -> bool:
    """A dict with an optimizer/scheduler section of DeepSpeed's shape, or two DeepSpeed-only keys."""
    if not isinstance(data, dict):
        return False
    for key in ("optimizer", "scheduler"):
        sec = data.get(key)
        if isinstance(sec, dict) and isinstance(sec.get("type"), str) and (
                "params" in sec or set(sec) <= {"type", "params"}):
            return True
    return len(DEEPSPEED_KEYS & set(data)) >= 2 and bool({"zero_optimization", "train_batch_size",
                                                          "train_micro_batch_size_per_gpu"} & set(data))


def _loc(lines: Mapping[Path, int], path: Path) -> Location:
    line = lines.get(path)
    while line is None and path:
        path = path[:-1]
        line = lines.get(path)
    line = line or 1
    return Location(line, 1, line, 1)


def _dotted(path: Path) -> str:
    out = ""
    for p in path:
        out += f"[{p}]" if isinstance(p, int) else (("." if out else "") + str(p))
    return out


def _value(raw: Any, path: Path, where: str, fills: Mapping[str, Value], origin: str | None,
           quoteless: frozenset[Path] = frozenset()) -> Value:
    key = _dotted(path)
    if path in quoteless:
        return Unknown(f"{where}: {key} is the placeholder {str(raw).rstrip(',')} (a template a script fills in "
                       f"before the run)")
    if isinstance(raw, str) and raw == "auto":
        fill = fills.get(key) or fills.get(path[-1] if path else "")
        if fill is not None:
            return fill
        who = _AUTO_BY_TRAINER.get(key)
        if who:
            return Unknown(f"{where}: {key} is \"auto\": the Hugging Face Trainer fills it from {who} at run "
                           f"time (a script that passes this file as TrainingArguments(deepspeed=...) shows the "
                           f"filled value)")
        return Unknown(f"{where}: {key} is \"auto\", a value only the Hugging Face Trainer fills at run time")
    src = f"{where}: {key}" + (f" ({origin})" if origin else "")
    return Known(raw, src)


def read(data: Any, lines: Mapping[Path, int], path: str, *, fills: Mapping[str, Value] | None = None,
         origin: str | None = None, id_start: int = 1, quoteless: frozenset[Path] = frozenset()) -> DeepSpeedRead:
    """The optimizer and scheduler facts of one DeepSpeed config (``path`` is how sources name the file)."""
    fills = dict(fills or {})
    out = DeepSpeedRead()
    if not isinstance(data, dict):
        return out
    where = path.rsplit("/", 1)[-1]
    opt = _read_optimizer(data, lines, where, fills, origin, out, id_start, quoteless)
    _read_scheduler(data, lines, where, fills, origin, out, opt, id_start, quoteless)
    return out


def _read_optimizer(data: dict, lines: Mapping[Path, int], where: str, fills: Mapping[str, Value],
                    origin: str | None, out: DeepSpeedRead, n: int,
                    quoteless: frozenset[Path]) -> OptimizerFact | None:
    from ..catalog import lookup

    sec = data.get("optimizer")
    if not isinstance(sec, dict) or "type" not in sec:
        return None
    name = sec.get("type")
    if not isinstance(name, str):
        out.problems.append((_loc(lines, ("optimizer", "type")).line, "optimizer.type is not a string"))
        return None
    cls = _DS_OPTIMIZERS.get(name.lower()) or _REMOVED_OPTIMIZERS.get(name.lower()) or f"torch.optim.{name}"
    entry = lookup(cls)
    if name.lower() in _REMOVED_OPTIMIZERS:
        out.notes.append(f"optimizer type {name!r} is DeepSpeed's 1-bit/0/1 optimizer, which DeepSpeed 0.19 no longer "
                         f"builds (it looks the name up in torch.optim and fails); releases before 0.19 do")
    raw_params = sec.get("params") or {}
    params: dict[str, Value] = {}
    if not isinstance(raw_params, dict):
        out.problems.append((_loc(lines, ("optimizer", "params")).line, "optimizer.params is not an object"))
        raw_params = {}
    when = "when DeepSpeed builds the optimizer from this config (no optimizer passed to deepspeed.initialize)"
    if cls.startswith("torch.optim.") and entry is None:
        out.notes.append(f"line {_loc(lines, ('optimizer', 'type')).line}: DeepSpeed looks optimizer type {name!r} up "
                         f"as torch.optim.{name}, which does not exist: deepspeed.initialize raises AttributeError "
                         f"{when}")
    if "max_grad_norm" in raw_params:
        out.notes.append(f"line {_loc(lines, ('optimizer', 'params', 'max_grad_norm')).line}: 'max_grad_norm' is not "
                         f"supported as an optimizer parameter (use 'gradient_clipping'): deepspeed.initialize raises "
                         f"ValueError {when}")
    for k, v in raw_params.items():
        params[k] = _value(v, ("optimizer", "params", k), where, fills, origin, quoteless)
    if entry is not None:
        for p in entry.params:
            if p.name in ("params", "lr") or p.name in params or p.default is REQUIRED:
                continue
            params[p.name] = Known(p.default, f"{entry.default_source or 'default'} for {entry.short}")
    lr = params.pop("lr", None)
    if lr is None:
        lr_default = entry.param("lr").default if entry is not None and entry.param("lr") is not None else None
        lr = (Known(lr_default, f"{entry.default_source} for {entry.short} ({where} sets no optimizer.params.lr)")
              if isinstance(lr_default, (int, float)) else Unknown(f"{where} sets no optimizer.params.lr"))
    fact = OptimizerFact(
        id=f"opt{n}", cls=cls, framework="deepspeed", loc=_loc(lines, ("optimizer", "type")),  # type: ignore[arg-type]
        variable="optimizer", lr=lr, params=params,
        lr_arg_loc=_loc(lines, ("optimizer", "params", "lr")) if "lr" in raw_params else None,
    )
    out.optimizers.append(fact)
    return fact


def _read_scheduler(data: dict, lines: Mapping[Path, int], where: str, fills: Mapping[str, Value],
                    origin: str | None, out: DeepSpeedRead, opt: OptimizerFact | None, n: int,
                    quoteless: frozenset[Path]) -> None:
    from ..catalog import lookup
    from ..catalog.deepspeed_sim import SCHEDULES, warnings

    sec = data.get("scheduler")
    if not isinstance(sec, dict) or "type" not in sec:
        return
    name = sec.get("type")
    if not isinstance(name, str):
        out.problems.append((_loc(lines, ("scheduler", "type")).line, "scheduler.type is not a string"))
        return
    raw = sec.get("params")
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        out.problems.append((_loc(lines, ("scheduler", "params")).line, "scheduler.params is not an object"))
        raw = {}
    if name in SCHEDULES:
        cls, framework, default_source = f"deepspeed.runtime.lr_schedules.{name}", "deepspeed", "DeepSpeed default"
    else:
        cls, framework, default_source = f"torch.optim.lr_scheduler.{name}", "torch", "torch default"
        if lookup(cls) is None:
            out.problems.append((_loc(lines, ("scheduler", "type")).line,
                                 f"DeepSpeed does not recognize LR scheduler {name}: it is neither in "
                                 f"deepspeed.runtime.lr_schedules nor in torch.optim.lr_scheduler"))
            return
    entry = lookup(cls)
    args: dict[str, Value] = {}
    arg_locs: dict[str, Location] = {}
    for k, v in raw.items():
        args[k] = _value(v, ("scheduler", "params", k), where, fills, origin, quoteless)
        arg_locs[k] = _loc(lines, ("scheduler", "params", k))
    if entry is not None:
        for p in entry.params:
            if p.name == "optimizer" or p.name in args or p.default is REQUIRED:
                continue
            args[p.name] = Known(p.default, f"{default_source} for {name}")
    plain = {k: v.value for k, v in args.items() if isinstance(v, Known)}
    if framework == "deepspeed":
        try:
            out.notes.extend(warnings(name, {k: v for k, v in plain.items() if k in {p.name for p in entry.params}}
                                      if entry else plain))
        except Exception:  # noqa: BLE001 - a binding problem is LR002's to report
            pass
    horizon: Value = fills.get("total_num_steps") or Unknown(
        f"the run's length is set by the training script that uses {where}, not by the config")
    out.schedulers.append(SchedulerFact(
        id=f"sched{n}", cls=cls, framework=framework, loc=_loc(lines, ("scheduler", "type")),  # type: ignore[arg-type]
        variable="scheduler", optimizer=opt.id if opt is not None else None,
        optimizer_reason=None if opt is not None else
        f"{where} has no optimizer section: the optimizer comes from the training script",
        args=args, arg_locs=arg_locs, stepped="batch", unit="step",
        horizon=horizon, horizon_source=horizon.source if isinstance(horizon, Known) else None,
        description=f"built by DeepSpeed from {where}: scheduler (stepped by the engine after every optimizer step)",
    ))


# ---------------------------------------------------------------------------------------- the reader

_GATE_WORDS = (b"optimizer", b"scheduler", b"zero_optimization", b"train_batch_size", b"train_micro_batch_size_per_gpu")
#: a DeepSpeed section opened (quoted or, in hjson, unquoted): a file that has one and cannot be read is refused
_SECTION = re.compile(rb"""["']?\b(?:optimizer|scheduler|zero_optimization)\b["']?\s*:\s*\{""")


def read_deepspeed(doc: Any) -> FileFacts | None:
    """The facts of a DeepSpeed JSON config file (``doc`` is a ``configs.base.ConfigDocument``)."""
    from .base import ConfigError, ConfigMeta

    text = doc.text()
    quoteless: set[Path] = set()
    try:
        data, lines = jsonc.parse(text, quoteless)
    except jsonc.JsoncError as exc:
        if not _SECTION.search(doc.data):
            return None  # some other JSON-like file
        raise ConfigError(f"DeepSpeed config not read: {exc.reason}", exc.line) from None
    if not looks_like_deepspeed(data):
        return None
    r = read(data, lines, doc.display, quoteless=frozenset(quoteless))
    if r.problems:
        line, reason = r.problems[0]
        raise ConfigError(reason, line)
    notes = list(r.notes)
    if r.optimizers or r.schedulers:
        notes.append("DeepSpeed builds these only when the training script passes no optimizer / lr_scheduler "
                     "of its own to deepspeed.initialize")
    return FileFacts(path=doc.display, optimizers=tuple(r.optimizers), schedulers=tuple(r.schedulers),
                     extra={"config": ConfigMeta("deepspeed", (doc.display,), tuple(notes), None)})


class DeepSpeedReader:
    family = "deepspeed"
    suffixes = (".json",)

    def gate(self, data: bytes) -> bool:
        return any(w in data for w in _GATE_WORDS)

    def read(self, doc: Any) -> FileFacts | None:
        return read_deepspeed(doc)


def _register() -> None:
    from . import register

    register(DeepSpeedReader())


_register()
