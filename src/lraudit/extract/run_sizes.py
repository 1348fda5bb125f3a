"""The number of processes as a run-time size: ``dist.get_world_size()``, ``accelerator.num_processes``,
``torch.cuda.device_count()``, ``int(os.environ["WORLD_SIZE"])``, a repository's own ``get_world_size()`` helper.

Like ``len(loader)`` (values.py), the world size is a positive integer only the run knows. Every spelling of it is
one symbol, ``WORLD``: ``args.lr * batch_size * get_world_size() / 512`` is an expression of it, and the symbol
re-analysis (symbols.py) tries several values of it, so a finding is reported only when its relation holds for
every number of processes. Without a value it is ``Unknown`` with a reason that names it (``is_run_size``); while
the labelled assumed curve is drawn (``assumed_len``) it is one process.
"""

from __future__ import annotations

import libcst as cst

from .imports import dotted

#: the symbol's text (symbols.py keys sizes by text; every spelling of the world size is the same size)
WORLD = "world size"
WORLD_WORDS = "the number of processes"
_ENV_KEYS = frozenset({"WORLD_SIZE", "LOCAL_WORLD_SIZE", "SLURM_NTASKS", "OMPI_COMM_WORLD_SIZE", "PMI_SIZE"})
_WORLD_FUNCS = frozenset({"get_world_size", "xrt_world_size", "world_size", "get_num_processes"})
_WORLD_ATTR_BASES = frozenset({"accelerator", "self.accelerator", "trainer", "self.trainer", "fabric", "self.fabric",
                               "state", "PartialState()", "AcceleratorState()"})


def symbol_len_source(text: str, n: int) -> str:
    """The source of ``len(text)`` taken as the run-time size ``n`` (the symbol re-analysis, symbols.py)."""
    return f"len({text}){_TAKEN}{n}"


def assumed_len_source(text: str, n: int) -> str:
    """The source of ``len(text)`` at the length assumed to draw a labelled curve."""
    return f"{_ASSUMED}{text}) = {n}"


def is_run_size_len(source: str) -> bool:
    """A known value's source that says it is a ``len()`` taken as a run-time size (either of the above)."""
    return source.startswith(_ASSUMED) or _TAKEN in source


_TAKEN = ", a run-time size, taken as "
_ASSUMED = "assumed len("


def is_run_size(reason: str) -> bool:
    """An unknown value's reason that names a run-time size: a ``len()`` or the number of processes."""
    return "len(" in reason or WORLD_WORDS in reason


def world_call(node: cst.Call, qualified: str | None) -> str | None:
    """The text of a call that returns the number of processes, else None."""
    q = qualified or dotted(node.func) or ""
    last = q.rsplit(".", 1)[-1]
    if last in _WORLD_FUNCS:
        return f"{dotted(node.func) or last}()"
    if q.endswith("cuda.device_count") or q == "horovod.torch.size" or q == "hvd.size":
        return f"{dotted(node.func)}()"
    if last in ("int",) and len(node.args) == 1 and not node.args[0].star:
        return world_env(node.args[0].value)
    env = world_env(node)
    return env


def world_env(node: cst.BaseExpression) -> str | None:
    """``os.environ["WORLD_SIZE"]``, ``os.environ.get("WORLD_SIZE", 1)``, ``os.getenv("WORLD_SIZE")``."""
    key: cst.BaseExpression | None = None
    if isinstance(node, cst.Subscript) and dotted(node.value) in ("os.environ", "environ") and len(node.slice) == 1 \
            and isinstance(node.slice[0].slice, cst.Index):
        key = node.slice[0].slice.value
    elif isinstance(node, cst.Call) and dotted(node.func) in ("os.environ.get", "environ.get", "os.getenv", "getenv") \
            and node.args:
        key = node.args[0].value
    if isinstance(key, cst.SimpleString) and key.evaluated_value in _ENV_KEYS:
        return f'os.environ["{key.evaluated_value}"]'
    return None


def world_attribute(node: cst.Attribute) -> str | None:
    """``accelerator.num_processes``, ``trainer.world_size`` (objects of a launcher, not options)."""
    attr = node.attr.value
    base = dotted(node.value) or ""
    if attr == "num_processes" or (attr == "world_size" and base in _WORLD_ATTR_BASES):
        return dotted(node) or attr
    return None
