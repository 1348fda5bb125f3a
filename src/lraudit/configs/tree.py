"""The located tree: a config's values, each with the file, key and position it was written at.

Readers turn a config file (and everything it inherits) into ``Node`` trees; merging (``_base_``, ``_BASE_``,
defaults lists) moves nodes around without losing where each value was written. ``to_value`` then makes the
``Known(value, source)`` the facts carry, with a source a newcomer can follow to the line:
``configs/_base_/schedules/schedule_1x.py: param_scheduler[1].milestones, inherited by configs/x.py``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterator

from ..facts import Known, Location, Unknown, Value


@dataclass(frozen=True)
class Origin:
    file: str  # display path of the file the value is written in
    key: str  # "param_scheduler[1].milestones"
    loc: Location  # where, in that file


@dataclass(frozen=True)
class Missing:
    """A value that cannot be known without running something (an environment variable, a call)."""

    reason: str


class Node:
    """One value of a config: a scalar, ``dict[str, Node]``, ``list[Node]`` (tuples are lists with
    ``is_tuple``), a ``Missing``, or a ``Symbol`` (an imported name such as ``torch.optim.SGD``)."""

    __slots__ = ("value", "origin", "is_tuple", "at")

    def __init__(self, value: Any, origin: Origin, is_tuple: bool = False,
                 at: tuple[str, Location] | None = None) -> None:
        self.value = value
        self.origin = origin
        self.is_tuple = is_tuple
        # where another file's value is placed in this one (``T_max={{_base_.x}}``): (file, location)
        self.at = at

    def __repr__(self) -> str:
        return f"Node({self.value!r} @ {self.origin.file}:{self.origin.loc.line} {self.origin.key})"

    # ---------------------------------------------------------------- navigation
    def get(self, *path: str | int) -> "Node | None":
        node: Node | None = self
        for p in path:
            if node is None:
                return None
            v = node.value
            if isinstance(p, int):
                node = v[p] if isinstance(v, list) and -len(v) <= p < len(v) else None
            else:
                node = v.get(p) if isinstance(v, dict) else None
        return node

    def is_dict(self) -> bool:
        return isinstance(self.value, dict)

    def is_list(self) -> bool:
        return isinstance(self.value, list)

    def items(self) -> Iterator[tuple[str, "Node"]]:
        if isinstance(self.value, dict):
            yield from self.value.items()


@dataclass(frozen=True)
class Symbol:
    """A name the config imports or refers to (``from torch.optim import SGD`` then ``type=SGD``)."""

    qualname: str

    def __repr__(self) -> str:
        return self.qualname


def plain(node: Node | None) -> Any:
    """The Python value of a tree (Missing stays Missing, Symbols stay Symbols)."""
    if node is None:
        return None
    v = node.value
    if isinstance(v, dict):
        return {k: plain(x) for k, x in v.items()}
    if isinstance(v, list):
        items = [plain(x) for x in v]
        return tuple(items) if node.is_tuple else items
    return v


def first_missing(node: Node | None) -> Missing | None:
    if node is None:
        return None
    v = node.value
    if isinstance(v, Missing):
        return v
    if isinstance(v, dict):
        for x in v.values():
            m = first_missing(x)
            if m is not None:
                return m
    if isinstance(v, list):
        for x in v:
            m = first_missing(x)
            if m is not None:
                return m
    return None


def source_text(origin: Origin, top: str) -> str:
    """``file: key`` for the reported file's own values, ``file: key, inherited by top`` otherwise."""
    if origin.file == top:
        return f"{origin.file}: {origin.key}"
    return f"{origin.file}: {origin.key}, inherited by {top}"


def to_value(node: Node | None, top: str, missing: str = "not set") -> Value:
    """``Known(value, source)`` for a tree, or ``Unknown(reason)`` when it (or a part of it) is not knowable."""
    if node is None:
        return Unknown(missing)
    m = first_missing(node)
    if m is not None:
        return Unknown(f"{m.reason} ({source_text(node.origin, top)})")
    v = plain(node)
    if isinstance(v, Symbol):
        v = v.qualname
    return Known(v, source_text(node.origin, top))


def relocate(node: Node, file: str, key: str, loc: Location) -> Node:
    """The same value, now written at ``key`` of ``file`` (a value bound to a name, then placed in a dict)."""
    return Node(node.value, Origin(file, key, loc), node.is_tuple)


def copy_tree(node: Node) -> Node:
    """A copy whose containers can be changed without changing ``node`` (merges never mutate a base)."""
    v = node.value
    if isinstance(v, dict):
        return Node({k: copy_tree(x) for k, x in v.items()}, node.origin, node.is_tuple, node.at)
    if isinstance(v, list):
        return Node([copy_tree(x) for x in v], node.origin, node.is_tuple, node.at)
    return node


def placed_at(node: Node, file: str, loc: Location) -> Node:
    """Another file's value, now written at ``loc`` of ``file`` (its source still names where it comes from)."""
    return Node(node.value, node.origin, node.is_tuple, (file, loc))


def rekey(node: Node, key: str) -> Node:
    """A copy of ``node`` whose own values (written in its file) are named under ``key`` (``x`` -> ``y.x``)."""
    v = node.value
    origin = Origin(node.origin.file, key, node.origin.loc)
    if isinstance(v, dict):
        return Node({k: rekey(x, f"{key}.{k}" if key else k) for k, x in v.items()}, origin, node.is_tuple)
    if isinstance(v, list):
        return Node([rekey(x, f"{key}[{i}]") for i, x in enumerate(v)], origin, node.is_tuple)
    return Node(v, origin, node.is_tuple)
