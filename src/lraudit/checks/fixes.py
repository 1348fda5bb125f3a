"""Machine-applicable fixes built from call-syntax facts (``facts.CallSyntax``); checks attach them to findings.

Each helper returns None when the fix would not be unambiguous (the argument is not written as a keyword in
the call, the new name is already there, the call unpacks ``**kwargs`` that might hold it...).
"""

from __future__ import annotations

from ..facts import CallSyntax, KeywordArg, Location
from ..results import Edit, Fix


def _edit(loc: Location, content: str) -> Edit:
    return Edit(loc.line, loc.column, loc.end_line, loc.end_column, content)


def rename_keyword(call: CallSyntax | None, old: str, new: str, applicability: str = "safe") -> Fix | None:
    """``old=value`` -> ``new=value`` (only the keyword's name changes)."""
    if call is None or call.star:
        return None
    kw = call.keyword(old)
    if kw is None or call.keyword(new) is not None:
        return None
    return Fix(applicability, f"rename {old}= to {new}=", (_edit(kw.name_loc, new),))  # type: ignore[arg-type]


def remove_keyword(call: CallSyntax | None, name: str, applicability: str = "safe") -> Fix | None:
    """Delete ``name=value`` with the comma and spacing that belong to it."""
    if call is None:
        return None
    kw = call.keyword(name)
    if kw is None:
        return None
    return Fix(applicability, f"remove {name}={_short(kw)}", (_edit(kw.removal, ""),))  # type: ignore[arg-type]


def _short(kw: KeywordArg) -> str:
    text = " ".join(kw.value_text.split())
    return text if len(text) <= 30 else text[:29] + "…"


def edit_at(loc: Location, content: str) -> Edit:
    return _edit(loc, content)


__all__ = ["rename_keyword", "remove_keyword", "edit_at"]
