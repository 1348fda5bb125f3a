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

_READERS: list[Any] = []


def register(reader: Any) -> None:
    if all(r.family != reader.family or r.suffixes != reader.suffixes for r in _READERS):
        _READERS.append(reader)


@lru_cache(maxsize=1)
def _load() -> tuple[Any, ...]:
    for mod in FAMILY_MODULES:
        try:
            importlib.import_module(f"{__name__}.{mod}")
        except ModuleNotFoundError as exc:  # a family not built yet must not break the others
            if exc.name != f"{__name__}.{mod}":
                raise
    return tuple(_READERS)


def readers_for(path: str) -> list[Any]:
    suffix = os.path.splitext(path)[1].lower()
    return [r for r in _load() if suffix in r.suffixes]


def is_config_suffix(path: str) -> bool:
    return path.lower().endswith(CONFIG_SUFFIXES)


def gate(path: str, data: bytes) -> bool:
    """True when some reader for this file's suffix may accept it (cheap: bytes tests only)."""
    return any(r.gate(data) for r in readers_for(path))


__all__ = ["CONFIG_SUFFIXES", "FAMILY_MODULES", "register", "readers_for", "gate", "is_config_suffix"]
