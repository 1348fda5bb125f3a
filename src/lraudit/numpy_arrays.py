"""One-dimensional NumPy arrays for the safe evaluator: the per-iteration schedules research code precomputes.

DeiT, BEiT, ConvNeXt, DINO, iBOT and their descendants build the whole schedule up front::

    warmup_schedule = np.linspace(start_warmup_value, base_value, warmup_iters)
    iters = np.arange(epochs * niter_per_ep - warmup_iters)
    schedule = final_value + 0.5 * (base_value - final_value) * (1 + np.cos(np.pi * iters / len(iters)))
    schedule = np.concatenate((warmup_schedule, schedule))

and index it per iteration (``lr_schedule_values[it]``). An array is a ``NumArray``: a tuple of Python numbers
(float64 and int64 elements are Python floats and ints, so element arithmetic is bit-for-bit NumPy's), read by
index, ``len()``, iteration and slicing like a tuple. Arithmetic with a number or an array of the same length is
elementwise, as NumPy broadcasts a 1-D array; every other shape (2-D arrays, broadcasting two different lengths,
boolean masks, dtype arguments other than float/int) is refused with a reason, never guessed. ``+`` of two arrays
adds elements (it never concatenates, as ``+`` of two tuples would).
"""

from __future__ import annotations

import math
from typing import Any, Callable

_NUM = (int, float, bool)


class NumArray(tuple):
    """A 1-D NumPy array of numbers (see the module docstring)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return f"array({list(self)!r})" if len(self) <= 8 else f"array(<{len(self)} elements>)"


def is_array(v: Any) -> bool:
    return type(v) is NumArray


def _refuse(text: str) -> Exception:
    from .evaluate import _Refusal

    return _Refusal(text)


def _elements(name: str, v: Any) -> list[Any]:
    if type(v) is NumArray:
        return list(v)
    if isinstance(v, (list, tuple)):
        out = []
        for x in v:
            if type(x) is NumArray or isinstance(x, (list, tuple)):
                raise _refuse(f"{name}(): arrays of more than one dimension are not evaluated")
            if type(x) not in _NUM:
                raise _refuse(f"{name}() needs numbers, not {type(x).__name__}")
            out.append(float(x) if type(x) is bool else x)
        return out
    raise _refuse(f"{name}() needs a sequence of numbers, not {type(v).__name__}")


def _dtype(name: str, kwargs: dict[str, Any]) -> Callable[[Any], Any] | None:
    d = kwargs.pop("dtype", None)
    if d is None:
        return None
    text = getattr(d, "name", d)
    if text in ("float", "float64", "numpy.float64", "numpy.float32", "float32") or d is float:
        return float
    if text in ("int", "int64", "numpy.int64", "numpy.int32", "int32") or d is int:
        return int
    raise _refuse(f"{name}(dtype={text!r}) is not evaluated")


def _no_more(name: str, kwargs: dict[str, Any]) -> None:
    if kwargs:
        raise _refuse(f"{name}() argument {sorted(kwargs)[0]} is not evaluated")


def _bound(m: Any, n: int) -> None:
    m.check_len(n, "array")
    m.charge(n)


def np_array(m: Any, args: list[Any], kwargs: dict[str, Any]) -> NumArray:
    kwargs = dict(kwargs)
    cast = _dtype("numpy.array", kwargs)
    _no_more("numpy.array", kwargs)
    if len(args) != 1:
        raise _refuse("numpy.array() takes one sequence here")
    xs = _elements("numpy.array", args[0])
    if not xs and cast is None:
        cast = float  # np.array([]) is float64
    _bound(m, len(xs))
    return NumArray(cast(x) for x in xs) if cast is not None else NumArray(xs)


def np_linspace(m: Any, args: list[Any], kwargs: dict[str, Any]) -> NumArray:
    """``numpy.linspace``: ``start + i * step`` and the exact ``stop`` as the last element (NumPy's algorithm)."""
    kwargs = dict(kwargs)
    names = ("start", "stop", "num", "endpoint")
    vals: dict[str, Any] = {"num": 50, "endpoint": True}
    for k, v in zip(names, args):
        vals[k] = v
    for k in names:
        if k in kwargs:
            vals[k] = kwargs.pop(k)
    cast = _dtype("numpy.linspace", kwargs)
    _no_more("numpy.linspace", kwargs)
    if len(args) > 4 or "start" not in vals or "stop" not in vals:
        raise _refuse("numpy.linspace() needs start and stop")
    start, stop, num, endpoint = vals["start"], vals["stop"], vals["num"], vals["endpoint"]
    if type(start) not in _NUM or type(stop) not in _NUM or type(num) not in (int,) or num < 0:
        raise _refuse("numpy.linspace() needs numbers and a non-negative integer num")
    _bound(m, num)
    div = (num - 1) if endpoint else num
    delta = float(stop) - float(start)
    if div > 0:
        step = delta / div
        ys = [i / div * delta if step == 0 else i * step for i in range(num)]
    else:
        ys = [i * delta for i in range(num)]
    ys = [y + float(start) for y in ys]
    if endpoint and num > 1:
        ys[-1] = float(stop)
    return NumArray(cast(y) for y in ys) if cast is not None else NumArray(ys)


def np_arange(m: Any, args: list[Any], kwargs: dict[str, Any]) -> NumArray:
    kwargs = dict(kwargs)
    cast = _dtype("numpy.arange", kwargs)
    _no_more("numpy.arange", kwargs)
    if not 1 <= len(args) <= 3 or any(type(a) not in _NUM for a in args):
        raise _refuse("numpy.arange() needs one to three numbers")
    start, stop, step = (0, args[0], 1) if len(args) == 1 else (args[0], args[1], args[2] if len(args) == 3 else 1)
    if step == 0:
        raise _refuse("numpy.arange() step is 0 (NumPy raises ZeroDivisionError)")
    n = max(0, math.ceil((stop - start) / step))
    _bound(m, n)
    if all(type(a) is int for a in (start, stop, step)):
        out: list[Any] = [start + i * step for i in range(n)]
    else:
        out = [float(start) + i * float(step) for i in range(n)]
    return NumArray(cast(x) for x in out) if cast is not None else NumArray(out)


def np_concatenate(m: Any, args: list[Any], kwargs: dict[str, Any]) -> NumArray:
    _no_more("numpy.concatenate", {k: v for k, v in kwargs.items() if not (k == "axis" and v == 0)})
    if len(args) != 1 or not isinstance(args[0], (list, tuple)):
        raise _refuse("numpy.concatenate() takes one sequence of arrays here")
    parts = [_elements("numpy.concatenate", a) for a in args[0]]
    any_float = any(type(x) is float for p in parts for x in p) or any(
        type(a) is NumArray and not a for a in args[0])  # an empty float64 array makes the result float
    out = [x for p in parts for x in p]
    _bound(m, len(out))
    return NumArray(float(x) for x in out) if any_float else NumArray(out)


def _filled(name: str, value: float | None) -> Callable[[Any, list[Any], dict[str, Any]], NumArray]:
    def impl(m: Any, args: list[Any], kwargs: dict[str, Any]) -> NumArray:
        kwargs = dict(kwargs)
        cast = _dtype(name, kwargs)
        _no_more(name, kwargs)
        want = 2 if value is None else 1
        if len(args) != want or type(args[0]) is not int or args[0] < 0:
            raise _refuse(f"{name}() needs a non-negative integer length")
        fill = args[1] if value is None else value
        if type(fill) not in _NUM:
            raise _refuse(f"{name}() fill value must be a number")
        _bound(m, args[0])
        x = cast(fill) if cast is not None else fill
        return NumArray([x] * args[0])

    return impl


def elementwise(m: Any, op: str, a: Any, b: Any) -> NumArray:
    """``a op b`` where at least one side is an array: a number broadcasts, two arrays need the same length."""
    if is_array(a) and is_array(b):
        if len(a) != len(b):
            raise _refuse(f"operands could not be broadcast together (lengths {len(a)} and {len(b)})")
        pairs = list(zip(a, b))
    elif is_array(a) and type(b) in _NUM:
        pairs = [(x, b) for x in a]
    elif is_array(b) and type(a) in _NUM:
        pairs = [(a, y) for y in b]
    else:
        raise _refuse(f"unsupported operands for {op}: an array and {type(b if is_array(a) else a).__name__}")
    _bound(m, len(pairs))
    return NumArray(m.arith(op, x, y) for x, y in pairs)


def mapped(builtin: Any) -> Any:
    """A scalar NumPy function (``np.cos``) that also maps over an array argument."""
    from .evaluate import _Builtin

    inner = builtin.impl

    def impl(m: Any, args: list[Any], kwargs: dict[str, Any]) -> Any:
        if len(args) == 1 and is_array(args[0]):
            _bound(m, len(args[0]))
            return NumArray(inner(m, [x], kwargs) for x in args[0])
        return inner(m, args, kwargs)

    return _Builtin(builtin.name, impl)


def _reduction(name: str, largest: bool) -> Callable[[Any, list[Any], dict[str, Any]], Any]:
    """``np.min``/``np.max`` of a 1-D array, a list of numbers or a number (``np.min([a, b])`` in a Noam
    schedule): NumPy's value, a NaN element making it NaN; no axis or other keyword."""
    def impl(m: Any, args: list[Any], kwargs: dict[str, Any]) -> Any:
        _no_more(name, kwargs)
        if len(args) != 1:
            raise _refuse(f"{name}() takes one array here")
        v = args[0]
        xs = [v] if type(v) in _NUM else _elements(name, v)
        if not xs:
            raise _refuse(f"{name}() of an empty array raises in NumPy")
        xs = [float(x) if type(x) is bool else x for x in xs]
        if any(type(x) is float and math.isnan(x) for x in xs):
            return math.nan
        best = max(xs) if largest else min(xs)
        return float(best) if any(type(x) is float for x in xs) else best

    return impl


def table() -> dict[str, Callable[..., Any]]:
    """``numpy.X`` -> implementation (machine, args, kwargs), registered by evaluate.py."""
    return {
        "numpy.array": np_array, "numpy.asarray": np_array, "numpy.linspace": np_linspace,
        "numpy.arange": np_arange, "numpy.concatenate": np_concatenate, "numpy.hstack": np_concatenate,
        "numpy.zeros": _filled("numpy.zeros", 0.0), "numpy.ones": _filled("numpy.ones", 1.0),
        "numpy.full": _filled("numpy.full", None),
        "numpy.min": _reduction("numpy.min", False), "numpy.amin": _reduction("numpy.amin", False),
        "numpy.max": _reduction("numpy.max", True), "numpy.amax": _reduction("numpy.amax", True),
    }


__all__ = ["NumArray", "is_array", "elementwise", "mapped", "table"]
