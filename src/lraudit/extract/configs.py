"""Reading the YAML/JSON/TOML configuration files a script loads: safely, and within bounds.

Only a safe YAML loader is used; aliases are capped (a "billion laughs" file is refused, not expanded),
files above a size limit are refused, and the loaded structure is checked for size.
"""

from __future__ import annotations

import json
import os
from typing import Any

MAX_CONFIG_BYTES = 2_000_000
MAX_ALIASES = 200
MAX_NODES = 200_000


class ConfigError(Exception):
    pass


def _yaml_loader() -> Any:
    import yaml

    class BoundedLoader(yaml.SafeLoader):  # type: ignore[misc]
        aliases_seen = 0

        def compose_node(self, parent: Any, index: Any) -> Any:  # type: ignore[override]
            if self.check_event(yaml.AliasEvent):
                BoundedLoader.aliases_seen += 1
                if BoundedLoader.aliases_seen > MAX_ALIASES:
                    raise ConfigError(f"more than {MAX_ALIASES} YAML aliases (refused as a possible alias bomb)")
            return super().compose_node(parent, index)

    BoundedLoader.aliases_seen = 0
    return BoundedLoader


def _count_nodes(value: Any, limit: int) -> int:
    count = 0
    stack = [value]
    seen: set[int] = set()
    while stack:
        v = stack.pop()
        count += 1
        if count > limit:
            raise ConfigError("config structure too large")
        if isinstance(v, (dict, list, tuple)):
            if id(v) in seen:
                continue
            seen.add(id(v))
            stack.extend(v.values() if isinstance(v, dict) else v)
    return count


def read_config(path: str) -> Any:
    try:
        size = os.path.getsize(path)
    except OSError as exc:
        raise ConfigError(str(exc)) from None
    if size > MAX_CONFIG_BYTES:
        raise ConfigError(f"file is {size} bytes (limit {MAX_CONFIG_BYTES})")
    try:
        with open(path, "rb") as fh:
            raw = fh.read(MAX_CONFIG_BYTES + 1)
        text = raw.decode("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{type(exc).__name__}: {exc}") from None
    lower = path.lower()
    try:
        if lower.endswith(".json"):
            data = json.loads(text)
        elif lower.endswith(".toml"):
            try:
                import tomllib  # type: ignore[import-not-found]
            except ImportError:  # pragma: no cover - Python 3.10
                raise ConfigError("TOML configs need Python 3.11+") from None
            data = tomllib.loads(text)
        else:
            import yaml

            data = yaml.load(text, Loader=_yaml_loader())  # noqa: S506 - a SafeLoader subclass
    except ConfigError:
        raise
    except Exception as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise ConfigError(f"invalid config: {first[:200]}") from None
    _count_nodes(data, MAX_NODES)
    return data
