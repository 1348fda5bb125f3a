"""How a LightningModule steps a scheduler that a config instantiates (Hydra's ``_partial_`` scheduler completed
in ``configure_optimizers``).

The lightning-hydra-template pattern: the config's ``model`` node has ``_target_: src.models.mnist_module.
MNISTLitModule`` and a ``scheduler`` key (``_partial_: true``); the module's ``configure_optimizers`` calls
``self.hparams.scheduler(optimizer=optimizer)`` and returns ``{"optimizer": ..., "lr_scheduler": {"scheduler":
scheduler, "interval": "epoch", "frequency": 1, "monitor": "val/loss"}}``. Lightning (2.x
``_update_learning_rates``) then steps the scheduler once every ``frequency`` epochs (``interval="epoch"``, the
default) or every ``frequency`` batches (``interval="step"``). The module file is found from the ``_target_``
dotted name, searched from the config's directory up to the repository's root, and parsed with ``ast`` (never
imported); anything the code decides at run time leaves the stepping unknown, with the reason.
"""

from __future__ import annotations

import ast
import os
from dataclasses import dataclass

__all__ = ["Stepping", "stepping_of"]

_MAX_UP = 8
_MAX_BASES = 4


@dataclass(frozen=True)
class Stepping:
    interval: str | None  # "epoch" | "step"; None when unknown (then ``reason``)
    frequency: int | None
    monitor: str | None
    module: str  # display path of the module file
    line: int  # line of the return that hands the scheduler to Lightning (or of configure_optimizers)
    cls: str
    reason: str | None = None


def _module_file(target: str, config_path: str) -> str | None:
    parts = target.split(".")
    if len(parts) < 2 or not all(p.isidentifier() for p in parts):
        return None
    mod = parts[:-1]
    d = os.path.dirname(os.path.abspath(config_path))
    for _ in range(_MAX_UP):
        for cand in (os.path.join(d, *mod) + ".py", os.path.join(d, *mod, "__init__.py")):
            if os.path.isfile(cand):
                return cand
        if os.path.isdir(os.path.join(d, ".git")):
            break
        parent = os.path.dirname(d)
        if parent == d:
            break
        d = parent
    return None


def _parse(path: str) -> ast.Module | None:
    from .base import ConfigError, load_file

    def parse(data: bytes, _p: str) -> ast.Module:
        try:
            return ast.parse(data.decode("utf-8-sig"))
        except (SyntaxError, ValueError, UnicodeDecodeError, RecursionError, MemoryError) as exc:
            raise ConfigError(f"{path} does not parse: {type(exc).__name__}") from None

    try:
        return load_file(path, "python-ast", parse)  # type: ignore[no-any-return]
    except ConfigError:
        return None


def _method(module: ast.Module, cls: str, name: str) -> ast.FunctionDef | None:
    """``cls.name`` in this module, also through base classes defined in the same module."""
    classes = {n.name: n for n in module.body if isinstance(n, ast.ClassDef)}
    todo, seen = [cls], 0
    while todo and seen < _MAX_BASES:
        c = classes.get(todo.pop(0))
        seen += 1
        if c is None:
            continue
        for n in c.body:
            if isinstance(n, ast.FunctionDef) and n.name == name:
                return n
        todo.extend(b.id for b in c.bases if isinstance(b, ast.Name))
    return None


def _is_hparam_call(e: ast.expr, key: str) -> bool:
    """``self.hparams.<key>(...)``, ``self.hparams["<key>"](...)``, ``instantiate(self.hparams.<key>, ...)``."""
    if not isinstance(e, ast.Call):
        return False
    f = e.func
    if _is_hparam(f, key):
        return True
    name = f.attr if isinstance(f, ast.Attribute) else f.id if isinstance(f, ast.Name) else ""
    return name == "instantiate" and bool(e.args) and _is_hparam(e.args[0], key)


def _is_hparam(e: ast.expr, key: str) -> bool:
    if isinstance(e, ast.Attribute) and e.attr == key:
        inner = e.value
    elif isinstance(e, ast.Subscript) and isinstance(e.slice, ast.Constant) and e.slice.value == key:
        inner = e.value
    else:
        return False
    return isinstance(inner, ast.Attribute) and inner.attr in ("hparams", "hyperparams") and \
        isinstance(inner.value, ast.Name) and inner.value.id == "self"


def _mentions(e: ast.expr, names: set[str], key: str) -> bool:
    return (isinstance(e, ast.Name) and e.id in names) or _is_hparam_call(e, key)


def _const(e: ast.expr | None) -> object:
    return e.value if isinstance(e, ast.Constant) else _NOT


_NOT = object()


def _config_of(e: ast.expr, names: set[str], key: str) -> tuple[str | None, int | None, str | None, str | None] | None:
    """(interval, frequency, monitor, why unknown) when ``e`` hands the scheduler over; None when it does not."""
    if _mentions(e, names, key):
        return "epoch", 1, None, None
    if isinstance(e, ast.Dict):
        d = {k.value: v for k, v in zip(e.keys, e.values) if isinstance(k, ast.Constant) and isinstance(k.value, str)}
        if "lr_scheduler" in d:  # {"optimizer": opt, "lr_scheduler": sched-or-config}
            return _config_of(d["lr_scheduler"], names, key)
        if "scheduler" in d and _mentions(d["scheduler"], names, key):
            interval, freq, monitor = _const(d.get("interval")), _const(d.get("frequency")), _const(d.get("monitor"))
            why = None
            if "interval" in d and interval not in ("epoch", "step"):
                why = "its interval is computed at run time"
            if "frequency" in d and not (isinstance(freq, int) and not isinstance(freq, bool) and freq > 0):
                why = why or "its frequency is computed at run time"
            return (interval if "interval" in d and why is None else "epoch" if "interval" not in d else None,
                    freq if "frequency" in d and why is None else 1 if "frequency" not in d else None,
                    monitor if isinstance(monitor, str) else None, why)
        return None
    if isinstance(e, (ast.Tuple, ast.List)):
        for x in e.elts:  # ([optimizer], [scheduler]) / [optimizer], [{"scheduler": ..., "interval": ...}]
            got = _config_of(x, names, key)
            if got is not None:
                return got
    return None


def stepping_of(target: str, key: str, config_path: str) -> Stepping | str | None:
    """How ``target``'s ``configure_optimizers`` hands ``self.hparams.<key>`` to Lightning; a reason (str) when the
    module is found but the stepping cannot be read; None when ``target`` is not a module of this repository."""
    from .base import display_of

    path = _module_file(target, config_path)
    if path is None:
        return None
    module = _parse(path)
    cls = target.rsplit(".", 1)[-1]
    shown = display_of(path)
    if module is None:
        return f"{shown} does not parse"
    fn = _method(module, cls, "configure_optimizers")
    if fn is None:
        return None if not any(isinstance(n, ast.ClassDef) and n.name == cls for n in module.body) else \
            f"{cls} in {shown} defines no configure_optimizers (a base class outside the file decides)"
    names: set[str] = set()
    for n in ast.walk(fn):
        if isinstance(n, ast.Assign) and _is_hparam_call(n.value, key):
            names.update(t.id for t in n.targets if isinstance(t, ast.Name))
    found: list[tuple[tuple[str | None, int | None, str | None, str | None], int]] = []
    for n in ast.walk(fn):
        if isinstance(n, ast.Return) and n.value is not None:
            got = _config_of(n.value, names, key)
            if got is not None:
                found.append((got, n.lineno))
    if not found:
        return f"{cls}.configure_optimizers ({shown}:{fn.lineno}) does not return self.hparams.{key}'s scheduler " \
               f"in a form lraudit reads"
    kinds = {g for g, _ in found}
    if len(kinds) > 1:
        return f"{cls}.configure_optimizers ({shown}:{fn.lineno}) returns the scheduler with different settings " \
               f"on different paths"
    (interval, freq, monitor, why), line = found[0]
    if why is not None:
        return f"{cls}.configure_optimizers ({shown}:{line}) returns the scheduler, but {why}"
    return Stepping(interval, freq, monitor, shown, line, cls)
