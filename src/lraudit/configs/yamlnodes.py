"""YAML read with PyYAML's safe loader, keeping the line of every key (never executed).

``load(text)`` returns ``(value, lines)`` like ``jsonc.parse``: ``lines`` maps a key path (keys and list indices)
to the 1-based line where the key (or list item) is written. The document is composed by PyYAML's ``SafeLoader``
and every scalar is built by its ``SafeConstructor`` (YAML 1.1 rules: ``1e-3`` without a dot is a *string*,
exactly as ``yaml.safe_load`` and OmegaConf read it). A ``!!python/...`` tag, or any tag the safe constructor
does not know, raises ``YamlRefused`` with the reason; so do aliases of aliases deeper than the limit, several
documents, and YAML syntax errors.
"""

from __future__ import annotations

from typing import Any

import re

import yaml

__all__ = ["OmegaConfSafeLoader", "YamlRefused", "load"]

Path = tuple[Any, ...]
_MAX_DEPTH = 200
_MAX_NODES = 200_000


class YamlRefused(ValueError):
    def __init__(self, message: str, line: int = 1) -> None:
        super().__init__(f"line {line}: {message}")
        self.line = line
        self.reason = message


class OmegaConfSafeLoader(yaml.SafeLoader):
    """The implicit types of OmegaConf's loader (omegaconf 2.3 ``get_yaml_loader``) on the safe loader: ``1e-3``
    is a float, timestamps stay strings. (OmegaConf's own loader also builds ``pathlib.Path`` objects; this one
    does not build any Python object.)"""


OmegaConfSafeLoader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(
        """^(?:
     [-+]?[0-9]+(?:_[0-9]+)*\\.[0-9_]*(?:[eE][-+]?[0-9]+)?
    |[-+]?[0-9]+(?:_[0-9]+)*(?:[eE][-+]?[0-9]+)
    |\\.[0-9]+(?:_[0-9]+)*(?:[eE][-+][0-9]+)?
    |[-+]?[0-9]+(?:_[0-9]+)*(?::[0-5]?[0-9])+\\.[0-9_]*
    |[-+]?\\.(?:inf|Inf|INF)
    |\\.(?:nan|NaN|NAN))$""",
        re.X,
    ),
    list("-+0123456789."),
)
OmegaConfSafeLoader.yaml_implicit_resolvers = {
    key: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for key, resolvers in OmegaConfSafeLoader.yaml_implicit_resolvers.items()
}


class _Builder:
    def __init__(self, loader: type, unique_keys: bool) -> None:
        self.lines: dict[Path, int] = {}
        self.constructor = loader("")  # only its construct_* methods are used
        self.count = 0
        self.unique_keys = unique_keys

    def build(self, node: yaml.Node, path: Path, depth: int) -> Any:
        self.count += 1
        if depth > _MAX_DEPTH or self.count > _MAX_NODES:
            raise YamlRefused("the document is too deeply nested or too large", node.start_mark.line + 1)
        tag = node.tag or ""
        if tag.startswith("tag:yaml.org,2002:python/") or tag.startswith("!!python"):
            raise YamlRefused(f"the tag {tag.replace('tag:yaml.org,2002:', '!!')} asks to build a Python object; "
                              f"lraudit reads YAML with the safe loader only and never executes a config",
                              node.start_mark.line + 1)
        if isinstance(node, yaml.MappingNode):
            if tag not in ("tag:yaml.org,2002:map",):
                raise YamlRefused(f"unknown tag {tag} (the safe loader refuses it)", node.start_mark.line + 1)
            self.constructor.flatten_mapping(node)
            out: dict[Any, Any] = {}
            for knode, vnode in node.value:
                key = self.build(knode, path, depth + 1)
                if isinstance(key, (list, dict)):
                    raise YamlRefused("a mapping key that is a list or a mapping", knode.start_mark.line + 1)
                if self.unique_keys and key in out:
                    raise YamlRefused(f"found duplicate key {key} (OmegaConf refuses the file)",
                                      knode.start_mark.line + 1)
                self.lines[path + (key,)] = knode.start_mark.line + 1
                out[key] = self.build(vnode, path + (key,), depth + 1)
            return out
        if isinstance(node, yaml.SequenceNode):
            if tag not in ("tag:yaml.org,2002:seq",):
                raise YamlRefused(f"unknown tag {tag} (the safe loader refuses it)", node.start_mark.line + 1)
            items = []
            for i, item in enumerate(node.value):
                self.lines[path + (i,)] = item.start_mark.line + 1
                items.append(self.build(item, path + (i,), depth + 1))
            return items
        try:
            return self.constructor.construct_object(node, deep=True)
        except yaml.YAMLError as exc:
            raise YamlRefused(f"{getattr(exc, 'problem', None) or exc} (the safe loader refuses it)",
                              node.start_mark.line + 1) from None


def load(text: str, *, omegaconf: bool = False, unique_keys: bool | None = None) -> tuple[Any, dict[Path, int]]:
    """``(value, {key path: line})`` of a single-document YAML text; ``YamlRefused`` when it cannot be read safely.

    ``omegaconf=True`` types scalars as OmegaConf (Hydra) and jsonargparse (Lightning CLI) do (``1e-3`` is a
    float) and, unless ``unique_keys=False`` (jsonargparse keeps the last), refuses duplicate keys as OmegaConf
    does."""
    loader = OmegaConfSafeLoader if omegaconf else yaml.SafeLoader
    try:
        nodes = list(yaml.compose_all(text, Loader=loader))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise YamlRefused(f"not valid YAML: {getattr(exc, 'problem', None) or exc}",
                          (mark.line + 1) if mark is not None else 1) from None
    except RecursionError:
        raise YamlRefused("the document is too deeply nested") from None
    if len(nodes) > 1:
        raise YamlRefused("several YAML documents in one file")
    if not nodes or nodes[0] is None:
        return None, {(): 1}
    b = _Builder(loader, omegaconf if unique_keys is None else unique_keys)
    try:
        value = b.build(nodes[0], (), 0)
    except RecursionError:
        raise YamlRefused("the document is too deeply nested") from None
    b.lines[()] = 1
    return value, b.lines
