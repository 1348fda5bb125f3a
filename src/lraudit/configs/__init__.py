"""Configuration files as inputs: one reader per config family, registered here.

``gate(path, data)`` is the cheap text test discovery runs on a YAML/JSON file's bytes before anything is
parsed; ``readers_for(path)`` the readers to try, in order. A reader module registers itself when imported;
``FAMILY_MODULES`` lists them (trial order: more specific gates first). See configs/base.py for the protocol.
"""

from __future__ import annotations

import importlib
import os
from functools import lru_cache
from typing import Any

CONFIG_SUFFIXES = (".yaml", ".yml", ".json")  # walked by discovery as config candidates (.py files already are)
FAMILY_MODULES: tuple[str, ...] = (
    "mmengine",
    "detectron2",
    "deepspeed",
    "lightning_cli",
    "hydra",
)

# the suffixes each family module reads: a Python file loads only the Python readers (start-up of the one-file
# pre-commit run); tests/test_configs_registry_suffixes.py checks this table against the readers themselves
FAMILY_SUFFIXES: dict[str, tuple[str, ...]] = {
    "mmengine": (".py",),
    "detectron2": (".py", ".yaml", ".yml"),
    "deepspeed": (".json",),
    "lightning_cli": (".yaml", ".yml"),
    "hydra": (".yaml", ".yml"),
}

_READERS: list[Any] = []


def register(reader: Any) -> None:
    if all(r.family != reader.family or r.suffixes != reader.suffixes for r in _READERS):
        _READERS.append(reader)


@lru_cache(maxsize=None)
def _load(suffix: str | None = None) -> tuple[Any, ...]:
    """The readers of the family modules that read ``suffix`` (every family when None), imported on first use."""
    for mod in FAMILY_MODULES:
        if suffix is not None and suffix not in FAMILY_SUFFIXES.get(mod, (suffix,)):
            continue
        try:
            importlib.import_module(f"{__name__}.{mod}")
        except ModuleNotFoundError as exc:  # a family not built yet must not break the others
            if exc.name != f"{__name__}.{mod}":
                raise
    return tuple(_READERS)


def readers_for(path: str) -> list[Any]:
    suffix = os.path.splitext(path)[1].lower()
    return sorted((r for r in _load(suffix) if suffix in r.suffixes), key=_trial_order)


def _trial_order(reader: Any) -> int:
    """A reader's place in FAMILY_MODULES (whatever order the modules happened to be imported in)."""
    module = getattr(reader, "__module__", None) or type(reader).__module__
    short = module.rsplit(".", 1)[-1]
    return FAMILY_MODULES.index(short) if short in FAMILY_MODULES else len(FAMILY_MODULES)


def is_config_suffix(path: str) -> bool:
    return path.lower().endswith(CONFIG_SUFFIXES)


def gate(path: str, data: bytes) -> bool:
    """True when some reader for this file's suffix may accept it (cheap: bytes tests only)."""
    return any(r.gate(data) for r in readers_for(path))


__all__ = ["CONFIG_SUFFIXES", "FAMILY_MODULES", "register", "readers_for", "gate", "is_config_suffix"]
