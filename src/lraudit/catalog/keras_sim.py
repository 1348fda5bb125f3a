"""Exact learning-rate curves of Keras schedules and callbacks (Keras 3.15.1), in pure Python.

``curve(name, args, steps)[k]`` is ``schedule(k)`` for a ``keras.optimizers.schedules`` class or a TF1
``tf.compat.v1.train.*_decay`` function (evaluated at ``global_step=k``; TF's own source builds the same Keras
schedule object). Keras computes a schedule in the dtype of ``initial_learning_rate`` after
``convert_to_tensor``: float32 under the default ``floatx``. This module follows Keras's operations in the
same order in float64, i.e. it equals Keras run with ``keras.config.set_floatx("float64")`` (to ~1e-15); the
default float32 Keras differs from it by float32 rounding only (~1e-7 relative).

Integer ``initial_learning_rate`` (e.g. ``CosineDecay(0, ..., warmup_target=0.1)``): Keras then computes in an
integer dtype (on the torch backend the curve collapses to 0 or to truncated values; TF raises). That is not
simulated: ``Unsupported`` is raised, and rules should flag the int directly.

Callbacks act per epoch and keep the rate in a float32 optimizer variable; their helpers round to float32 the
way the variable does (``float32=False`` turns that off):

* ``keras_callback_curve(fn, initial_lr, epochs, two_args)``: ``LearningRateScheduler``; entry ``k`` is the
  rate during epoch ``k`` (set in ``on_epoch_begin(k)`` from ``fn(k, lr_prev)`` or ``fn(k)``).
* ``keras_plateau_curve(initial_lr, factor, patience, cooldown, min_lr, epochs)``: ``ReduceLROnPlateau`` with a
  monitored metric that never improves after the first epoch; Keras reduces after ``patience`` bad epochs
  (torch after ``patience + 1``).

Errors: where Keras raises ``ValueError`` (``decay_steps <= 0``, boundaries/values length mismatch,
``factor >= 1.0``, a non-float schedule output) this module raises ``ValueError`` with Keras's message.
"""

from __future__ import annotations

import math
import struct
from collections.abc import Callable, Mapping
from typing import Any

from .timm_sim import Unsupported

__all__ = ["Unsupported", "bound_schedule", "curve", "keras_callback_curve", "keras_plateau_curve", "schedule_value"]

_SCHEDULES = (
    "ExponentialDecay", "PiecewiseConstantDecay", "PolynomialDecay", "InverseTimeDecay", "CosineDecay",
    "CosineDecayRestarts",
)
_TF1 = {
    "exponential_decay": "ExponentialDecay",
    "piecewise_constant": "PiecewiseConstantDecay",
    "piecewise_constant_decay": "PiecewiseConstantDecay",
    "polynomial_decay": "PolynomialDecay",
    "inverse_time_decay": "InverseTimeDecay",
    "cosine_decay": "CosineDecay",
    "cosine_decay_restarts": "CosineDecayRestarts",
    "natural_exp_decay": "ExponentialDecay",
}
_DEFAULTS: dict[str, dict[str, Any]] = {
    "ExponentialDecay": {"staircase": False},
    "PiecewiseConstantDecay": {},
    "PolynomialDecay": {"end_learning_rate": 0.0001, "power": 1.0, "cycle": False},
    "InverseTimeDecay": {"staircase": False},
    "CosineDecay": {"alpha": 0.0, "warmup_target": None, "warmup_steps": 0},
    "CosineDecayRestarts": {"t_mul": 2.0, "m_mul": 1.0, "alpha": 0.0},
}
_REQUIRED: dict[str, tuple[str, ...]] = {
    "ExponentialDecay": ("initial_learning_rate", "decay_steps", "decay_rate"),
    "PiecewiseConstantDecay": ("boundaries", "values"),
    "PolynomialDecay": ("initial_learning_rate", "decay_steps"),
    "InverseTimeDecay": ("initial_learning_rate", "decay_steps", "decay_rate"),
    "CosineDecay": ("initial_learning_rate", "decay_steps"),
    "CosineDecayRestarts": ("initial_learning_rate", "first_decay_steps"),
}


def _f32(x: float) -> float:
    return struct.unpack("f", struct.pack("f", x))[0]


def _is_int(x: object) -> bool:
    return isinstance(x, int) and not isinstance(x, bool)


def _is_numpy_float(x: object) -> bool:
    """``np.float32`` / ``np.float64`` (Keras accepts them from a schedule function), without importing numpy."""
    return type(x).__module__ == "numpy" and type(x).__name__ in ("float32", "float64")


def _pow(base: float, exponent: float) -> float:
    """``ops.power`` on floats: NaN for a negative base with a fractional exponent, inf for 0 ** negative."""
    try:
        return math.pow(base, exponent)
    except ValueError:
        if base == 0.0 and exponent < 0:
            return math.inf
        return math.nan
    except OverflowError:
        return math.inf


def _log(x: float) -> float:
    if x > 0:
        return math.log(x)
    return -math.inf if x == 0 else math.nan


def _floor(x: float) -> float:
    return float(math.floor(x)) if math.isfinite(x) else x


def _resolve(name: str) -> tuple[str, bool]:
    short = name.rsplit(".", 1)[-1]
    if short in _SCHEDULES:
        return short, False
    if short in _TF1:
        return short, True
    if short in ("LearningRateScheduler", "ReduceLROnPlateau"):
        return short, False
    raise Unsupported(f"not a Keras schedule: {name}")


def _tf1_to_keras(short: str, args: Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
    """Arguments of the Keras class the TF1 function builds (TF ``legacy_learning_rate_decay.py``)."""
    cls = _TF1[short]
    a = {k: v for k, v in args.items() if k not in ("global_step", "x", "name")}
    if "learning_rate" in a:
        a["initial_learning_rate"] = a.pop("learning_rate")
    if short == "natural_exp_decay" and "decay_rate" in a:
        a["decay_rate"] = math.exp(-a["decay_rate"])
    decay_steps = a.get("decay_steps", a.get("first_decay_steps"))
    if decay_steps is not None and decay_steps <= 0:
        raise Unsupported("TF1 decay functions with decay_steps <= 0 are not simulated (TF does not validate)")
    return cls, a


def _bind(cls: str, args: Mapping[str, Any]) -> dict[str, Any]:
    a = dict(_DEFAULTS[cls])
    a.update({k: v for k, v in args.items() if k != "name"})
    for req in _REQUIRED[cls]:
        if req not in a:
            raise TypeError(f"{cls}.__init__() missing 1 required positional argument: '{req}'")
    return a


def _validate(cls: str, a: Mapping[str, Any]) -> None:
    if cls == "PiecewiseConstantDecay":
        boundaries, values = a["boundaries"], a["values"]
        if len(boundaries) != len(values) - 1:
            raise ValueError(
                "The length of boundaries should be 1 less than the length of values. Received: "
                f"boundaries={boundaries} of length {len(boundaries)}, and values={values} "
                f"of length {len(values)}."
            )
        return
    if cls == "CosineDecayRestarts":
        if a["first_decay_steps"] <= 0:
            raise ValueError(
                "Argument `first_decay_steps` must be > 0. " f"Received: first_decay_steps={a['first_decay_steps']}"
            )
    elif a["decay_steps"] <= 0:
        raise ValueError("Argument `decay_steps` must be > 0. " f"Received: decay_steps={a['decay_steps']}")
    if _is_int(a["initial_learning_rate"]):
        raise Unsupported(
            "integer initial_learning_rate: Keras computes the schedule in an integer dtype "
            "(torch backend: truncated or all-zero rates; TensorFlow: InvalidArgumentError)"
        )


def schedule_value(cls: str, a: Mapping[str, Any], step: int) -> float:
    """One value ``schedule(step)`` of the Keras class ``cls`` (short name) with bound arguments ``a``."""
    s = float(step)
    if cls == "ExponentialDecay":
        p = s / float(a["decay_steps"])
        if a["staircase"]:
            p = _floor(p)
        return a["initial_learning_rate"] * _pow(float(a["decay_rate"]), p)
    if cls == "InverseTimeDecay":
        p = s / float(a["decay_steps"])
        if a["staircase"]:
            p = _floor(p)
        return a["initial_learning_rate"] / (1.0 + float(a["decay_rate"]) * p)
    if cls == "PolynomialDecay":
        init = float(a["initial_learning_rate"])
        end = float(a["end_learning_rate"])
        decay_steps = float(a["decay_steps"])
        if a["cycle"]:
            multiplier = 1.0 if s == 0 else float(math.ceil(s / a["decay_steps"]))
            decay_steps = decay_steps * multiplier
        else:
            s = min(s, decay_steps)
        p = s / decay_steps
        return (init - end) * _pow(1 - p, float(a["power"])) + end
    if cls == "CosineDecay":
        init = float(a["initial_learning_rate"])
        decay_steps = float(a["decay_steps"])
        if a["warmup_target"] is None:
            return _cosine(min(s, decay_steps), decay_steps, init, a["alpha"])
        target = float(a["warmup_target"])
        warmup_steps = float(a["warmup_steps"])
        s = min(s, decay_steps + warmup_steps)
        if s < warmup_steps:
            return (target - init) * (s / warmup_steps) + init
        return _cosine(s - warmup_steps, decay_steps, target, a["alpha"])
    if cls == "CosineDecayRestarts":
        return _cosine_restarts(a, s)
    if cls == "PiecewiseConstantDecay":
        return _piecewise(a, step)
    raise Unsupported(f"not a Keras schedule: {cls}")


def _cosine(s: float, decay_steps: float, decay_from: float, alpha: float) -> float:
    fraction = s / decay_steps
    cosine_decayed = 0.5 * (1.0 + math.cos(math.pi * fraction))
    decayed = (1 - alpha) * cosine_decayed + alpha
    return decay_from * decayed


def _cosine_restarts(a: Mapping[str, Any], s: float) -> float:
    first = float(a["first_decay_steps"])
    alpha = float(a["alpha"])
    t_mul = float(a["t_mul"])
    m_mul = float(a["m_mul"])
    fraction = s / first
    if t_mul == 1.0:
        i_restart = _floor(fraction)
        fraction -= i_restart
    else:
        i_restart = _floor(_log(1.0 - fraction * (1.0 - t_mul)) / _log(t_mul))
        sum_r = (1.0 - _pow(t_mul, i_restart)) / (1.0 - t_mul)
        fraction = (fraction - sum_r) / _pow(t_mul, i_restart)
    m_fac = _pow(m_mul, i_restart)
    cosine_decayed = 0.5 * m_fac * (1.0 + math.cos(math.pi * fraction))
    decayed = (1 - alpha) * cosine_decayed + alpha
    return float(a["initial_learning_rate"]) * decayed


def _piecewise(a: Mapping[str, Any], step: int) -> float:
    # Keras casts the boundaries to the step's integer dtype: a float boundary is truncated.
    boundaries = [int(b) if isinstance(b, float) else b for b in a["boundaries"]]
    values = list(a["values"])
    if _is_int(values[0]):
        if not all(_is_int(v) for v in values):
            raise Unsupported("PiecewiseConstantDecay with an int first value and float values: Keras fails")
        result: float = 0
    else:
        result = 0.0
    result += (1 if step <= boundaries[0] else 0) * values[0]
    result += (1 if step > boundaries[-1] else 0) * values[-1]
    for low, high, value in zip(boundaries[:-1], boundaries[1:], values[1:-1]):
        result += (1 if low < step <= high else 0) * value
    return float(result)


def curve(name: str, args: Mapping[str, Any], steps: int, *, base_lr: float | None = None) -> list[float]:
    """``[schedule(k) for k in range(steps)]`` for a Keras schedule class or TF1 decay function.

    ``LearningRateScheduler`` (``args["schedule"]`` a callable) and ``ReduceLROnPlateau`` are accepted too:
    they need ``base_lr`` (the optimizer's rate) and return per-epoch curves (see the helpers below).
    """
    short, _ = _resolve(name)
    if short == "LearningRateScheduler":
        if base_lr is None:
            raise Unsupported("the optimizer's learning rate is unknown")
        fn = args.get("schedule")
        if not callable(fn):
            raise Unsupported("the schedule function is unknown")
        return keras_callback_curve(fn, base_lr, steps, None)
    if short == "ReduceLROnPlateau":
        if base_lr is None:
            raise Unsupported("the optimizer's learning rate is unknown")
        return keras_plateau_curve(base_lr, args.get("factor", 0.1), args.get("patience", 10),
                                   args.get("cooldown", 0), args.get("min_lr", 0.0), steps)
    short, a = bound_schedule(name, args)
    return [schedule_value(short, a, k) for k in range(steps)]


def bound_schedule(name: str, args: Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
    """``(Keras class short name, validated bound arguments)`` for a schedule or TF1 decay function.

    Feed the result to ``schedule_value(short, a, step)`` to evaluate single steps (sampled curves).
    Raises what the constructor raises (``ValueError``), ``Unsupported`` for callbacks and int rates.
    """
    short, tf1 = _resolve(name)
    if short in ("LearningRateScheduler", "ReduceLROnPlateau"):
        raise Unsupported(f"{short} is a per-epoch callback, not a schedule of the step")
    if tf1:
        short, args = _tf1_to_keras(short, args)
    a = _bind(short, args)
    _validate(short, a)
    return short, a


def keras_callback_curve(fn: Callable[..., Any], initial_lr: float, epochs: int, two_args: bool | None,
                         *, float32: bool = True) -> list[float]:
    """The rate during each epoch under ``keras.callbacks.LearningRateScheduler(fn)``.

    ``two_args=True`` calls ``fn(epoch, lr)``, False calls ``fn(epoch)``, None does what Keras does: tries
    ``fn(epoch, lr)`` and falls back to ``fn(epoch)`` on ``TypeError``. ``lr`` is the previous epoch's rate as
    the float32 optimizer variable holds it. A result that is not a float (``int``, tensor) raises Keras's
    ``ValueError``.
    """
    store = _f32 if float32 else float
    lr = store(initial_lr)
    out: list[float] = []
    for epoch in range(epochs):
        if two_args is None:
            try:
                result = fn(epoch, lr)
            except TypeError:
                result = fn(epoch)
        elif two_args:
            result = fn(epoch, lr)
        else:
            result = fn(epoch)
        if not (isinstance(result, float) or _is_numpy_float(result)):
            raise ValueError(f"The output of the `schedule` function should be a float. Got: {result}")
        lr = store(float(result))
        out.append(lr)
    return out


def keras_plateau_curve(initial_lr: float, factor: float, patience: int, cooldown: int, min_lr: float,
                        epochs: int, *, float32: bool = True) -> list[float]:
    """The rate during each epoch under ``keras.callbacks.ReduceLROnPlateau`` when the metric never improves.

    The first epoch counts as an improvement; every later one does not. Keras's order of checks is kept:
    in cooldown the counter is decremented and ``wait`` reset *before* the (failed) improvement test, so
    ``cooldown=1`` has no effect. A reduction happens only while ``lr > float32(min_lr)``.
    """
    if factor >= 1.0:
        raise ValueError(f"ReduceLROnPlateau does not support a factor >= 1.0. Received factor={factor}")
    store = _f32 if float32 else float
    min_lr_cmp = _f32(min_lr) if float32 else min_lr
    lr = store(initial_lr)
    out: list[float] = []
    wait = 0
    cooldown_counter = 0
    for epoch in range(epochs):
        out.append(lr)
        if epoch == 0:
            continue  # first epoch end: always an improvement
        if cooldown_counter > 0:
            cooldown_counter -= 1
            wait = 0
        if cooldown_counter > 0:
            continue
        wait += 1
        if wait >= patience and lr > min_lr_cmp:
            new_lr = max(lr * factor, min_lr)
            lr = store(new_lr)
            cooldown_counter = cooldown
            wait = 0
    return out
