"""Reading the YAML/JSON/TOML configuration files a script loads: safely, and within bounds.

Only a safe YAML loader is used; aliases are capped (a "billion laughs" file is refused, not expanded),
files above a size limit are refused, only regular files are opened (never a FIFO, device or /proc file),
and the loaded structure is copied into a plain tree within a node and depth budget: what an alias shares
is counted every time it is used, and a recursive alias (``&a [*a]``) is refused, so nothing downstream
ever walks a structure that is exponentially large or cyclic.
"""

from __future__ import annotations

import json
import os
import stat
from typing import Any

MAX_CONFIG_BYTES = 2_000_000
MAX_ALIASES = 200
MAX_NODES = 200_000
MAX_DEPTH = 100
_PSEUDO_ROOTS = ("/proc/", "/sys/", "/dev/")


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


def _tree(value: Any, budget: list[int], depth: int, path: tuple[int, ...]) -> Any:
    """A copy of ``value`` that shares nothing, counting every node against ``budget``."""
    budget[0] -= 1
    if budget[0] < 0:
        raise ConfigError(f"config has more than {MAX_NODES:,} values once its aliases are expanded "
                          "(refused as a possible alias bomb)")
    if not isinstance(value, (dict, list, tuple, set, frozenset)):
        return value
    if id(value) in path:
        raise ConfigError("config contains a recursive alias (a value that contains itself)")
    if depth >= MAX_DEPTH:
        raise ConfigError(f"config nested more than {MAX_DEPTH} levels deep")
    inner = path + (id(value),)
    if isinstance(value, dict):
        return {k: _tree(v, budget, depth + 1, inner) for k, v in value.items()}
    items = [_tree(v, budget, depth + 1, inner) for v in value]
    return items if isinstance(value, list) else type(value)(items)


def plain_tree(value: Any) -> Any:
    """``value`` as a tree of fresh containers; ConfigError when it is too big, too deep or recursive."""
    return _tree(value, [MAX_NODES], 0, ())


def read_config(path: str) -> Any:
    real = os.path.realpath(path)
    if real.startswith(_PSEUDO_ROOTS):
        raise ConfigError(f"{real} is a system file, not a configuration file; not read")
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    except OSError as exc:
        raise ConfigError(f"cannot open: {exc.strerror or exc}") from None
    try:
        with open(fd, "rb") as fh:
            st = os.fstat(fh.fileno())
            if not stat.S_ISREG(st.st_mode):
                raise ConfigError("not a regular file (a FIFO, socket, device or directory); not read")
            if st.st_size > MAX_CONFIG_BYTES:
                raise ConfigError(f"file is {st.st_size} bytes (limit {MAX_CONFIG_BYTES})")
            raw = fh.read(MAX_CONFIG_BYTES + 1)
        if len(raw) > MAX_CONFIG_BYTES:
            raise ConfigError(f"file is over {MAX_CONFIG_BYTES} bytes")
        text = raw.decode("utf-8-sig")
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
    except RecursionError:
        raise ConfigError("invalid config: nested too deeply") from None
    except Exception as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise ConfigError(f"invalid config: {first[:200]}") from None
    try:
        return plain_tree(data)
    except RecursionError:
        raise ConfigError("config nested too deeply") from None
