"""YAML config files -> located trees, with a safe loader only.

The file is composed with the bounded ``SafeLoader`` of extract/configs.py (aliases capped), then walked node
by node so every value keeps its line; scalars are constructed by the safe constructors (ints, floats, bools,
nulls, strings, timestamps as text). A ``!!python/...`` tag is refused with the reason (an unsafe loader would
run code to build it), as is any other tag the safe loader does not know.
"""

from __future__ import annotations

from typing import Any

from ..facts import Location
from .base import ConfigError
from .tree import Missing, Node, Origin

MAX_NODES = 200_000
REFUSED = "refused: a"


def refusals(node: Node) -> list[str]:
    """The reasons of the values refused in a tree (``!!python/...`` tags), in document order."""
    out: list[str] = []
    stack = [node]
    while stack:
        n = stack.pop()
        v = n.value
        if isinstance(v, Missing) and v.reason.startswith(REFUSED):
            out.append(f"{n.origin.key}: {v.reason}")
        elif isinstance(v, dict):
            stack.extend(reversed(list(v.values())))
        elif isinstance(v, list):
            stack.extend(reversed(v))
    return out


def _loc(node: Any) -> Location:
    s, e = node.start_mark, node.end_mark
    return Location(s.line + 1, s.column + 1, e.line + 1, e.column + 1)


def parse_yaml(text: str, file: str) -> Node:
    """The located tree of a YAML document (the first one of a stream); ConfigError when it cannot be read."""
    import yaml

    from ..extract.configs import ConfigError as ReadError
    from ..extract.configs import _yaml_loader

    loader = _yaml_loader()(text)
    try:
        try:
            root = loader.get_single_node()
        except yaml.composer.ComposerError:
            loader.dispose()
            loader = _yaml_loader()(text)
            root = loader.get_node()  # several documents: the first one (as yaml.safe_load_all(...)[0])
        if root is None:
            return Node({}, Origin(file, "", Location(1, 1, 1, 1)))
        budget = [MAX_NODES]
        return _walk(loader, root, file, "", budget, 0)
    except ReadError as exc:
        raise ConfigError(str(exc)) from None
    except ConfigError:
        raise
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else 1
        col = mark.column + 1 if mark is not None else 1
        raise ConfigError(f"invalid YAML: {exc.problem or exc.context}", line, col) from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"invalid YAML: {str(exc).splitlines()[0][:200]}") from None
    except RecursionError:
        raise ConfigError("YAML nested too deeply") from None
    finally:
        loader.dispose()


def _walk(loader: Any, node: Any, file: str, key: str, budget: list[int], depth: int) -> Node:
    import yaml

    budget[0] -= 1
    if budget[0] < 0:
        raise ConfigError(f"more than {MAX_NODES:,} values once YAML aliases are expanded (refused as a possible "
                          "alias bomb)")
    if depth > 100:
        raise ConfigError("YAML nested more than 100 levels deep")
    tag = node.tag or ""
    origin = Origin(file, key, _loc(node))
    if tag.startswith("tag:yaml.org,2002:python/") or tag.startswith("!!python/"):
        # only this value is refused: the rest of the file is read; what depends on it is unknown, with why
        short = tag.replace("tag:yaml.org,2002:", "!!")
        return Node(Missing(f"{REFUSED} {short} tag at line {node.start_mark.line + 1} (an unsafe YAML loader would "
                            "import and run code to build it; lraudit reads YAML only with a safe loader)"), origin)
    if isinstance(node, yaml.MappingNode):
        loader.flatten_mapping(node)  # << merge keys, as the safe constructor does
        out: dict[str, Node] = {}
        for k, v in node.value:
            kval = loader.construct_object(k, deep=True) if isinstance(k, yaml.ScalarNode) else None
            name = str(kval) if not isinstance(kval, str) else kval
            if isinstance(kval, bool):
                name = "true" if kval else "false"  # yes/no/on/off keys, as YAML 1.1 reads them
            out[name] = _walk(loader, v, file, f"{key}.{name}" if key else name, budget, depth + 1)
        return Node(out, origin)
    if isinstance(node, yaml.SequenceNode):
        return Node([_walk(loader, v, file, f"{key}[{i}]", budget, depth + 1) for i, v in enumerate(node.value)],
                    origin)
    try:
        value = loader.construct_object(node, deep=True)
    except yaml.constructor.ConstructorError as exc:
        raise ConfigError(f"refused: {exc.problem} (line {node.start_mark.line + 1})", node.start_mark.line + 1,
                          node.start_mark.column + 1) from None
    if not isinstance(value, (str, int, float, bool, type(None))):
        value = str(value)  # timestamps, binary: as text
    return Node(value, origin)


__all__ = ["parse_yaml"]
