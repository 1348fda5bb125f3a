"""Import resolution: which local names stand for which qualified names (torch, keras, transformers...).

Resolved in the same pass as everything else, without libcst's scope or qualified-name metadata.
"""

from __future__ import annotations

import libcst as cst


_ATTRIBUTE = cst.Attribute
_NAME = cst.Name


def dotted(node: cst.BaseExpression | None) -> str | None:
    """``a.b.c`` for a Name/Attribute chain, None for anything else."""
    # exact type tests: libcst's node classes are final, and isinstance() on them goes through ABCMeta (slow;
    # this runs hundreds of thousands of times per run)
    t = type(node)
    if t is _NAME:
        return node.value  # type: ignore[union-attr]
    parts: list[str] = []
    while t is _ATTRIBUTE:
        parts.append(node.attr.value)  # type: ignore[union-attr]
        node = node.value  # type: ignore[union-attr]
        t = type(node)
    if t is _NAME:
        parts.append(node.value)  # type: ignore[union-attr]
        return ".".join(reversed(parts))
    return None


def expr_path(node: cst.BaseExpression | None) -> str:
    """A readable path for call targets: ``self.optimizer.step``, ``self.lr_schedulers().step``, ``s[].step``."""
    t = type(node)
    if t is _NAME:
        return node.value  # type: ignore[union-attr]
    if t is _ATTRIBUTE:
        return f"{expr_path(node.value)}.{node.attr.value}"  # type: ignore[union-attr]
    if isinstance(node, cst.Call):
        return f"{expr_path(node.func)}()"
    if isinstance(node, cst.Subscript):
        return f"{expr_path(node.value)}[]"
    return "?"


def _module_name(node: cst.BaseExpression | None) -> str | None:
    if node is None:
        return None
    return dotted(node)


class ImportTable:
    """Maps a local name to the qualified name it was imported as."""

    def __init__(self) -> None:
        self.names: dict[str, str] = {}
        self.star_modules: list[str] = []
        # code of other modules linked into this file's index (extract/link.py) qualifies with its own module's
        # imports: id(expression node) -> that module's table, id(module scope) -> that module's table
        self.by_node: dict[int, "ImportTable"] = {}
        self.by_scope: dict[int, "ImportTable"] = {}

    def for_scope(self, scope: object) -> "ImportTable":
        """The import table of the module ``scope`` belongs to (this one, or a linked module's)."""
        if not self.by_scope:
            return self
        s = scope
        while getattr(s, "parent", None) is not None:
            s = s.parent  # type: ignore[attr-defined]
        return self.by_scope.get(id(s), self)

    def add(self, node: cst.Import | cst.ImportFrom) -> None:
        if isinstance(node, cst.Import):
            for alias in node.names:
                full = dotted(alias.name)
                if not full:
                    continue
                if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
                    self.names[alias.asname.name.value] = full
                else:
                    top = full.split(".", 1)[0]
                    self.names.setdefault(top, top)
            return
        level = len(node.relative)
        module = _module_name(node.module) if node.module is not None else ""
        if level:
            module = "." * level + (module or "")
        if not module:
            return
        if isinstance(node.names, cst.ImportStar):
            self.star_modules.append(module)
            return
        for alias in node.names:
            name = dotted(alias.name)
            if not name:
                continue
            local = name
            if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
                local = alias.asname.name.value
            self.names[local] = f"{module}{name}" if module.endswith(".") else f"{module}.{name}"

    def qualify(self, node: cst.BaseExpression | None) -> str | None:
        """Qualified name of a Name/Attribute chain rooted at an imported name, else None."""
        if self.by_node:
            other = self.by_node.get(id(node))
            if other is not None:
                return other.qualify(node)
        text = dotted(node)
        if text is None:
            return None
        return self.qualify_text(text)

    def qualify_text(self, text: str) -> str | None:
        head, _, rest = text.partition(".")
        base = self.names.get(head)
        if base is None:
            return None
        return f"{base}.{rest}" if rest else base

    def imported(self, roots: tuple[str, ...] = ("keras", "tensorflow", "tf_keras", "torch", "transformers", "timm")
                 ) -> tuple[str, ...]:
        """The qualified names imported from the libraries in ``roots`` (for version-dependent rules)."""
        out = {v for v in list(self.names.values()) + self.star_modules if v.split(".", 1)[0] in roots}
        return tuple(sorted(out))

    def mentions(self, prefix: str) -> bool:
        return any(v == prefix or v.startswith(prefix + ".") for v in self.names.values()) or any(
            m == prefix or m.startswith(prefix + ".") for m in self.star_modules
        )
