"""Lightning CLI YAML configs (``python main.py fit --config config.yaml``), read as LightningCLI 2.x parses them.

``read(data, lines, display)`` gives the facts of one config: the ``optimizer:`` and ``lr_scheduler:`` entries
LightningCLI turns into ``configure_optimizers`` (``auto_configure_optimizers``, the default), each as
``{class_path: torch.optim.AdamW, init_args: {...}}``, a bare class path, or a class name LightningCLI resolves
in ``torch.optim`` / ``torch.optim.lr_scheduler`` (``optimizer: Adam``); ``trainer:`` for the run's length.

What LightningCLI does with them (lightning 2.6.6, ``lightning/pytorch/cli.py``): the optimizer is built on
the model's parameters with ``init_args``, the scheduler on that optimizer; ``configure_optimizers`` returns
them without an ``interval``, so Lightning steps the scheduler once per epoch; for
``lightning.pytorch.cli.ReduceLROnPlateau`` it passes ``monitor`` (its required argument). The run lasts
``trainer.max_epochs`` epochs; with neither ``max_epochs`` nor ``max_steps`` Lightning trains 1000 epochs.
A config for the whole CLI (``fit: {trainer: ..., model: ...}``) is read under its ``fit`` key.

Model ``init_args`` (``learning_rate: 1e-3`` a LightningModule uses in its own ``configure_optimizers``) are
the model's business: the model's code decides what they mean, so they are listed in the notes, not simulated.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..facts import FileFacts, Horizon, Known, Location, Unknown, Value
from .instantiated import LIGHTNING_PLATEAU, optimizer_class, optimizer_fact, scheduler_class, scheduler_fact

__all__ = ["LightningCLIReader", "gate", "looks_like_lightning_cli", "read", "read_lightning_cli"]

Path = tuple[Any, ...]


def gate(data: bytes) -> bool:
    return b"class_path" in data or (b"optimizer:" in data and b"trainer:" in data) or b"lr_scheduler:" in data


def _loc(lines: Mapping[Path, int], path: Path) -> Location:
    line = lines.get(path)
    while line is None and path:
        path = path[:-1]
        line = lines.get(path)
    line = line or 1
    return Location(line, 1, line, 1)


def _key(path: Path) -> str:
    return ".".join(str(p) for p in path)


def _class_and_args(node: Any, path: Path, kind: str) -> tuple[str | None, str | None, Mapping[str, Any], Path]:
    """(qualified class, the class as written, init_args, path of init_args)."""
    if isinstance(node, str):
        resolve = optimizer_class if kind == "optimizer" else scheduler_class
        return resolve(node, short=True), node, {}, path
    if isinstance(node, dict) and isinstance(node.get("class_path"), str):
        resolve = optimizer_class if kind == "optimizer" else scheduler_class
        init = node.get("init_args") if isinstance(node.get("init_args"), dict) else {}
        return resolve(node["class_path"], short=True), node["class_path"], init, path + ("init_args",)
    return None, None, {}, path


def looks_like_lightning_cli(data: Any) -> bool:
    """A LightningCLI config: ``optimizer:`` / ``lr_scheduler:`` given as ``class_path`` entries or class names
    beside a ``trainer:`` section (or a ``fit:`` section holding them); never a Hydra config (``_target_``)."""
    if not isinstance(data, dict) or "defaults" in data:
        return False
    root = data.get("fit") if isinstance(data.get("fit"), dict) else data
    if not isinstance(root, dict):
        return False
    objects = [root.get(k) for k in ("optimizer", "lr_scheduler") if k in root]
    if not objects or any(isinstance(o, dict) and "_target_" in o for o in objects):
        return False
    class_paths = any(isinstance(root.get(k), dict) and "class_path" in root[k]
                      for k in ("optimizer", "lr_scheduler", "model", "data"))
    names = all(isinstance(o, str) for o in objects) and isinstance(root.get("trainer"), dict)
    return class_paths or names


def read(data: Any, lines: Mapping[Path, int], display: str) -> tuple[FileFacts, list[str]] | None:
    """The facts of a Lightning CLI config and plain-words notes; None when the file is not one."""
    if not looks_like_lightning_cli(data):
        return None
    base: Path = ("fit",) if isinstance(data.get("fit"), dict) else ()
    root = data["fit"] if base else data
    where = display.rsplit("/", 1)[-1]
    notes: list[str] = []

    def val(path: Path, v: Any) -> Value:
        return Known(v, f"{where}: {_key(path)}")

    trainer = root.get("trainer") if isinstance(root.get("trainer"), dict) else {}
    tpath = base + ("trainer",)
    max_epochs = trainer.get("max_epochs")
    max_steps = trainer.get("max_steps")
    if isinstance(max_epochs, int) and not isinstance(max_epochs, bool) and max_epochs not in (-1,):
        epochs: Value = val(tpath + ("max_epochs",), max_epochs)
    elif max_epochs == -1:
        epochs = Unknown(f"{where}: trainer.max_epochs is -1 (train until stopped)")
    elif isinstance(max_steps, int) and max_steps > 0:
        epochs = Unknown(f"{where}: trainer.max_steps={max_steps} ends the run; its length in epochs depends on "
                         f"the number of batches per epoch (decided by the dataset)")
    else:
        epochs = Known(1000, "Lightning default (trainer.max_epochs and max_steps unset: 1000 epochs)")
    total: Value = (val(tpath + ("max_steps",), max_steps) if isinstance(max_steps, int) and max_steps > 0
                    else Unknown("the number of batches per epoch is decided by the dataset"))
    horizon = Horizon(epochs, Unknown("the number of batches per epoch is decided by the dataset"), total)

    optimizers = []
    schedulers = []
    opath = base + ("optimizer",)
    cls, written, init, ipath = _class_and_args(root.get("optimizer"), opath, "optimizer")
    if "optimizer" in root and cls is None:
        notes.append(f"{where}: optimizer {written or root.get('optimizer')!r} is not a class lraudit knows")
    if cls is not None:
        given = {k: val(ipath + (k,), v) for k, v in init.items()}
        locs = {k: _loc(lines, ipath + (k,)) for k in init}
        optimizers.append(optimizer_fact("opt1", cls, given, _loc(lines, opath), locs, "optimizer"))
    spath = base + ("lr_scheduler",)
    scls, swritten, sinit, sipath = _class_and_args(root.get("lr_scheduler"), spath, "scheduler")
    if "lr_scheduler" in root and scls is None:
        notes.append(f"{where}: lr_scheduler {swritten or root.get('lr_scheduler')!r} is not a class lraudit knows")
    if scls is not None:
        given = {k: val(sipath + (k,), v) for k, v in sinit.items()}
        locs = {k: _loc(lines, sipath + (k,)) for k in sinit}
        monitor = given.pop("monitor", None) if swritten in LIGHTNING_PLATEAU else None
        if swritten in LIGHTNING_PLATEAU and monitor is None:
            monitor = Unknown("lightning.pytorch.cli.ReduceLROnPlateau needs monitor=")
        schedulers.append(scheduler_fact(
            "sched1", scls, given, _loc(lines, spath), locs, "lr_scheduler",
            optimizer="opt1" if optimizers else None,
            optimizer_reason=None if optimizers else f"{where} has no optimizer: the model's configure_optimizers "
                                                     f"decides",
            stepped="epoch", unit="epoch", horizon=epochs,
            description="built by LightningCLI's configure_optimizers; Lightning steps it once per epoch",
            monitor=monitor, interval=Known("epoch", "Lightning default interval"),
        ))
    model = root.get("model")
    if isinstance(model, dict):
        margs = model.get("init_args") if isinstance(model.get("init_args"), dict) else model
        for k in sorted(margs):
            if any(w in str(k).lower() for w in ("lr", "learning_rate", "warmup", "scheduler")):
                notes.append(f"{where}: model argument {k}={margs[k]!r} is used by the model's own code")
    facts = FileFacts(path=display, optimizers=tuple(optimizers), schedulers=tuple(schedulers), horizon=horizon)
    return facts, notes


# ---------------------------------------------------------------------------------------- the reader


def read_lightning_cli(doc: Any) -> FileFacts | None:
    from .base import ConfigError, ConfigMeta
    from .yamlnodes import YamlRefused, load

    try:
        data, lines = load(doc.text(), omegaconf=True, unique_keys=False)
    except YamlRefused as exc:
        if b"class_path" not in doc.data:
            return None  # let the other YAML readers decide
        raise ConfigError(f"Lightning CLI config not read: {exc.reason}", exc.line) from None
    got = read(data, lines, doc.display)
    if got is None:
        return None
    facts, notes = got
    from dataclasses import replace

    return replace(facts, extra={"config": ConfigMeta("lightning_cli", (doc.display,), tuple(notes), None)})


class LightningCLIReader:
    family = "lightning_cli"
    suffixes = (".yaml", ".yml")

    def gate(self, data: bytes) -> bool:
        return gate(data)

    def read(self, doc: Any) -> FileFacts | None:
        return read_lightning_cli(doc)


def _register() -> None:
    from . import register

    register(LightningCLIReader())


_register()
