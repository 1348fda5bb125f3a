"""Scalar tensor math for the safe evaluator: ``keras.ops``, ``tf``/``tf.math``, the Keras backend ``K``.

Keras schedules and callbacks compute the rate with tensor functions on a scalar: ``ops.cast(step,
"float32")``, ``tf.math.rsqrt(step)``, ``ops.minimum(a, b)``, ``K.set_value(self.model.optimizer.lr, v)``.
On one number each of them is a plain function; this table gives the evaluator those functions (added to its
module table by import-resolved name, like ``math.cos``). They follow tensor semantics, not Python's: a float
division by zero or ``rsqrt(0.0)`` is ``inf``, ``sqrt(-1.0)`` is ``nan``, ``log(0.0)`` is ``-inf`` (the Noam
schedule relies on ``minimum(rsqrt(0), 0) == 0``). Integers stay integers where the tensor op keeps an
integer dtype (``minimum(step, 100)`` on an int step), and ``cast`` to an integer dtype truncates.

Values are computed in float64: Keras's float32 differs by float32 rounding only (see catalog/keras_sim.py).
A rate variable (``self.model.optimizer.learning_rate``) is a ``VariableHost``: ``get_value``/``set_value``,
``convert_to_numpy`` and ``float()`` read and write it through the host, never through Python attributes.
"""

from __future__ import annotations

import math
from typing import Any, Callable

from .evaluate import EvalError, Host, _Builtin, _Machine, _Refusal, _signature, _MISSING

Impl = Callable[[_Machine, list[Any], dict[str, Any]], Any]


class VariableHost(Host):
    """A Keras variable holding one number (the optimizer's learning rate)."""

    def ev_assign(self, value: Any) -> None:
        raise EvalError(f"{self.what} cannot be assigned")


def _num(m: _Machine, qual: str, v: Any) -> Any:
    if isinstance(v, Host):
        v = m.host_number(v)
    if type(v) not in (int, float, bool):
        from .evaluate import Opaque

        what = v.what if isinstance(v, Opaque) else type(v).__name__
        raise _Refusal(f"{qual}() needs a number here, not {what}")
    return v


def _unary(qual: str, fn: Callable[[float], float], keep_int: bool = False) -> _Builtin:
    def impl(m: _Machine, args: list[Any], kwargs: dict[str, Any]) -> Any:
        x, _name = _signature(qual, args, kwargs, ("x", "name"), 1)
        x = _num(m, qual, x)
        if keep_int and type(x) in (int, bool):
            return m.check_int(int(fn(x)))  # type: ignore[arg-type]
        return fn(float(x))

    return _Builtin(qual, impl)


def _sqrt(x: float) -> float:
    return math.nan if x < 0 else math.sqrt(x)


def _rsqrt(x: float) -> float:
    if x == 0:
        return math.inf
    return math.nan if x < 0 else 1.0 / math.sqrt(x)


def _log(x: float) -> float:
    if x == 0:
        return -math.inf
    return math.nan if x < 0 or math.isnan(x) else math.log(x)


def _exp(x: float) -> float:
    try:
        return math.exp(x)
    except OverflowError:
        return math.inf


def _trig(fn: Callable[[float], float]) -> Callable[[float], float]:
    def impl(x: float) -> float:
        return math.nan if math.isinf(x) else fn(x)

    return impl


def _keep(fn: Callable[[float], float]) -> Callable[[Any], Any]:
    """floor/ceil/round: an int stays an int, a float stays a float (inf and nan pass through)."""
    def impl(x: Any) -> Any:
        if type(x) in (int, bool):
            return int(x)
        return x if not math.isfinite(x) else float(fn(x))

    return impl


def _binary(qual: str, op: str) -> _Builtin:
    def impl(m: _Machine, args: list[Any], kwargs: dict[str, Any]) -> Any:
        a, b, _name = _signature(qual, args, kwargs, ("x", "y", "name"), 2)
        return m.binop(op, _num(m, qual, a), _num(m, qual, b))

    return _Builtin(qual, impl)


def _minmax(qual: str, pick_max: bool) -> _Builtin:
    def impl(m: _Machine, args: list[Any], kwargs: dict[str, Any]) -> Any:
        a, b, _name = _signature(qual, args, kwargs, ("x", "y", "name"), 2)
        a, b = _num(m, qual, a), _num(m, qual, b)
        if isinstance(a, float) and math.isnan(a) or isinstance(b, float) and math.isnan(b):
            return math.nan
        r = (a if a >= b else b) if pick_max else (a if a <= b else b)
        return float(r) if float in (type(a), type(b)) else r

    return _Builtin(qual, impl)


def _compare(qual: str, op: str) -> _Builtin:
    def impl(m: _Machine, args: list[Any], kwargs: dict[str, Any]) -> bool:
        a, b, _name = _signature(qual, args, kwargs, ("x", "y", "name"), 2)
        return m.compare(op, _num(m, qual, a), _num(m, qual, b))

    return _Builtin(qual, impl)


def _logical(qual: str, kind: str) -> _Builtin:
    def impl(m: _Machine, args: list[Any], kwargs: dict[str, Any]) -> bool:
        if kind == "not":
            x, _name = _signature(qual, args, kwargs, ("x", "name"), 1)
            return not m.truth(x)
        a, b, _name = _signature(qual, args, kwargs, ("x", "y", "name"), 2)
        return (m.truth(a) and m.truth(b)) if kind == "and" else (m.truth(a) or m.truth(b))

    return _Builtin(qual, impl)


def _power(qual: str) -> _Builtin:
    def impl(m: _Machine, args: list[Any], kwargs: dict[str, Any]) -> Any:
        a, b, _name = _signature(qual, args, kwargs, ("x", "y", "name"), 2)
        a, b = _num(m, qual, a), _num(m, qual, b)
        fa, fb = float(a), float(b)
        if type(a) in (int, bool) and type(b) in (int, bool) and b >= 0:
            return m.power(a, b)
        if fa == 0 and fb < 0:
            return math.inf
        if fa < 0 and not fb.is_integer():
            return math.nan
        try:
            return fa ** fb
        except OverflowError:
            return math.inf

    return _Builtin(qual, impl)


_INT_DTYPES = ("int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64")
_FLOAT_DTYPES = ("float16", "bfloat16", "float32", "float64", "half", "float", "double")


def _dtype_name(m: _Machine, qual: str, dtype: Any) -> str:
    if isinstance(dtype, str):
        return dtype
    raise _Refusal(f"{qual}(): the dtype {dtype!r} is not known")


def _cast(qual: str) -> _Builtin:
    def impl(m: _Machine, args: list[Any], kwargs: dict[str, Any]) -> Any:
        x, dtype, _name = _signature(qual, args, kwargs, ("x", "dtype", "name"), 2)
        x = _num(m, qual, x)
        d = _dtype_name(m, qual, dtype)
        if d in _INT_DTYPES:
            if not math.isfinite(x):
                raise _Refusal(f"{qual}(): cannot cast {x} to {d}")
            return m.check_int(int(x))
        if d == "bool":
            return bool(x)
        if d in _FLOAT_DTYPES:
            return float(x)
        raise _Refusal(f"{qual}(): the dtype {d} is not supported")

    return _Builtin(qual, impl)


def _identity(qual: str, names: tuple[str, ...] = ("x", "dtype", "name")) -> _Builtin:
    def impl(m: _Machine, args: list[Any], kwargs: dict[str, Any]) -> Any:
        values = _signature(qual, args, kwargs, names, 1)
        x = values[0]
        if isinstance(x, Host):
            x = m.host_number(x)
        dtype = values[1] if len(values) > 1 and "dtype" in names else _MISSING
        if dtype is not _MISSING and dtype is not None:
            return _CAST_IMPL(m, [x, dtype], {})
        if type(x) in (int, float, bool) or isinstance(x, (list, tuple)):
            return x
        raise _Refusal(f"{qual}() needs a number here")

    return _Builtin(qual, impl)


def _where(qual: str) -> _Builtin:
    def impl(m: _Machine, args: list[Any], kwargs: dict[str, Any]) -> Any:
        c, a, b, _name = _signature(qual, args, kwargs, ("condition", "x", "y", "name"), 3)
        return a if m.truth(c) else b

    return _Builtin(qual, impl)


def _cond(qual: str, names: tuple[str, ...]) -> _Builtin:
    """``tf.cond(pred, true_fn, false_fn)`` / ``ops.cond`` call one function; ``K.switch(c, a, b)`` also takes
    values."""

    def impl(m: _Machine, args: list[Any], kwargs: dict[str, Any]) -> Any:
        c, a, b, *_rest = _signature(qual, args, kwargs, names, 3)
        chosen = a if m.truth(c) else b
        from .evaluate import BoundMethod, FunctionValue, NativeMethod, _Closure

        if isinstance(chosen, (_Closure, FunctionValue, BoundMethod, NativeMethod, _Builtin)):
            return m.call(chosen, [], {}, None)
        return chosen

    return _Builtin(qual, impl)


def _clip(qual: str) -> _Builtin:
    def impl(m: _Machine, args: list[Any], kwargs: dict[str, Any]) -> Any:
        names = ("t", "clip_value_min", "clip_value_max", "name") if "clip_by_value" in qual else \
            ("x", "x_min", "x_max", "name")
        x, lo, hi, _name = _signature(qual, args, kwargs, names, 3)
        x, lo, hi = _num(m, qual, x), _num(m, qual, lo), _num(m, qual, hi)
        r = lo if x < lo else x
        r = hi if r > hi else r
        return float(r) if float in (type(x), type(lo), type(hi)) else r

    return _Builtin(qual, impl)


def _get_value(qual: str) -> _Builtin:
    def impl(m: _Machine, args: list[Any], kwargs: dict[str, Any]) -> Any:
        (x,) = _signature(qual, args, kwargs, ("x",), 1)
        return _num(m, qual, x)

    return _Builtin(qual, impl)


def _set_value(qual: str) -> _Builtin:
    def impl(m: _Machine, args: list[Any], kwargs: dict[str, Any]) -> None:
        x, value = _signature(qual, args, kwargs, ("x", "value"), 2)
        if not isinstance(x, VariableHost):
            raise _Refusal(f"{qual}() sets a variable lraudit does not follow")
        try:
            x.ev_assign(value)
        except EvalError as e:
            raise _Refusal(str(e)) from None
        return None

    return _Builtin(qual, impl)


def _constant_fn(qual: str, value: Any) -> _Builtin:
    def impl(m: _Machine, args: list[Any], kwargs: dict[str, Any]) -> Any:
        if args or kwargs:
            raise _Refusal(f"{qual}() takes no arguments")
        return value

    return _Builtin(qual, impl)


def _name_scope(qual: str) -> _Builtin:
    def impl(m: _Machine, args: list[Any], kwargs: dict[str, Any]) -> Any:
        from .evaluate import NameScope

        name, *_rest = _signature(qual, args, kwargs, ("name", "default_name", "values"), 0)
        return NameScope(name if isinstance(name, str) else "")

    return _Builtin(qual, impl)


_CAST_IMPL: Impl = _cast("cast").impl  # type: ignore[assignment]

KERAS_OPS = ("keras.ops", "keras.src.ops", "keras.src.ops.numpy", "keras.src.ops.math", "keras.src.ops.core",
             "keras.ops.numpy")
TENSORFLOW = ("tensorflow", "tensorflow.math", "tensorflow.compat.v1", "tensorflow.compat.v1.math",
              "tensorflow.compat.v2", "tensorflow.compat.v2.math", "tensorflow.experimental.numpy")
BACKEND = ("keras.backend", "tensorflow.keras.backend", "tf_keras.backend", "keras.src.legacy.backend",
           "tensorflow.python.keras.backend", "tensorflow.compat.v1.keras.backend", "keras.src.backend")


def _table() -> dict[str, Any]:
    unary: dict[str, tuple[Callable[[Any], Any], bool]] = {
        "sqrt": (_sqrt, False), "rsqrt": (_rsqrt, False), "exp": (_exp, False), "log": (_log, False),
        "cos": (_trig(math.cos), False), "sin": (_trig(math.sin), False), "tan": (_trig(math.tan), False),
        "tanh": (math.tanh, False), "floor": (_keep(math.floor), False), "ceil": (_keep(math.ceil), False),
        "round": (_keep(round), False), "abs": (abs, True), "absolute": (abs, True),
        "square": (lambda x: x * x, True), "reciprocal": (lambda x: math.inf if x == 0 else 1.0 / x, False),
        "sign": (lambda x: x if math.isnan(x) else float((x > 0) - (x < 0)), False),
        "negative": (lambda x: -x, True),
    }
    binary = {"add": "+", "subtract": "-", "multiply": "*", "divide": "/", "true_divide": "/", "truediv": "/",
              "floor_divide": "//", "floordiv": "//", "mod": "%", "floormod": "%"}
    compare = {"less": "<", "greater": ">", "less_equal": "<=", "greater_equal": ">=", "equal": "==",
               "not_equal": "!="}
    out: dict[str, Any] = {}

    def put(spaces: tuple[str, ...], name: str, make: Callable[[str], Any]) -> None:
        for sp in spaces:
            out[f"{sp}.{name}"] = make(f"{sp}.{name}")

    every = KERAS_OPS + TENSORFLOW + BACKEND
    for name, (fn, keep_int) in unary.items():
        put(every, name, lambda q, fn=fn, k=keep_int: _unary(q, fn, k))
    for name, op in binary.items():
        put(every, name, lambda q, op=op: _binary(q, op))
    for name, op in compare.items():
        put(every, name, lambda q, op=op: _compare(q, op))
    for name, kind in (("logical_and", "and"), ("logical_or", "or"), ("logical_not", "not")):
        put(every, name, lambda q, kind=kind: _logical(q, kind))
    put(every, "minimum", lambda q: _minmax(q, False))
    put(every, "maximum", lambda q: _minmax(q, True))
    put(every, "pow", _power)
    put(every, "power", _power)
    put(every, "cast", _cast)
    put(every, "clip", _clip)
    put(TENSORFLOW, "clip_by_value", _clip)
    put(every, "where", _where)
    put(KERAS_OPS + TENSORFLOW, "cond", lambda q: _cond(q, ("pred", "true_fn", "false_fn", "name")))
    put(BACKEND, "switch", lambda q: _cond(q, ("condition", "then_expression", "else_expression")))
    put(every, "convert_to_tensor", _identity)
    put(every, "constant", lambda q: _identity(q, ("value", "dtype", "shape", "name")))
    put(every, "identity", lambda q: _identity(q, ("x", "name")))
    put(every, "convert_to_numpy", lambda q: _identity(q, ("x",)))
    put(every + ("keras", "tf_keras", "tensorflow.keras"), "name_scope", _name_scope)
    put(BACKEND, "get_value", _get_value)
    put(BACKEND, "eval", _get_value)
    put(BACKEND, "set_value", _set_value)
    put(BACKEND, "floatx", lambda q: _constant_fn(q, "float32"))
    put(BACKEND, "epsilon", lambda q: _constant_fn(q, 1e-7))
    for sp in TENSORFLOW:
        for d in _INT_DTYPES + ("float16", "bfloat16", "float32", "float64", "bool"):
            out[f"{sp}.{d}"] = d
        out[f"{sp}.dtypes.{'float32'}"] = "float32"
    out["tensorflow.dtypes.float32"] = "float32"
    out["tensorflow.dtypes.int64"] = "int64"
    out["tensorflow.dtypes.int32"] = "int32"
    out["keras.config.floatx"] = _constant_fn("keras.config.floatx", "float32")
    out["numpy.float32"] = _identity("numpy.float32", ("x",))
    out["numpy.int32"] = _Builtin("numpy.int32", lambda m, a, k: _CAST_IMPL(m, [*a, "int32"], k))
    out["numpy.int64"] = _Builtin("numpy.int64", lambda m, a, k: _CAST_IMPL(m, [*a, "int64"], k))
    out["numpy.where"] = _where("numpy.where")
    out["numpy.rsqrt"] = _unary("numpy.rsqrt", _rsqrt)
    return out


TABLE: dict[str, Any] = _table()

__all__ = ["TABLE", "VariableHost"]
