"""Exact learning-rate curves of Hugging Face ``transformers`` schedules (5.24.0), in pure Python.

Every schedule ``get_*_schedule*`` builds is a torch ``LambdaLR``: ``curve(...)[k]`` is
``scheduler.get_last_lr()[0]`` after ``k`` calls of ``scheduler.step()`` (``k = 0`` right after
construction), i.e. ``base_lr * lambda(last_epoch + 1 + k)`` with ``base_lr`` the param group's rate when the
scheduler was built (its ``initial_lr``). ``polynomial`` and ``cosine_with_min_lr`` /
``cosine_warmup_with_min_lr`` with ``min_lr`` also read ``optimizer.defaults["lr"]``: pass it as
``defaults_lr`` (default: ``base_lr``, true whenever the optimizer was built with one rate).

``TrainingArguments`` helpers:

* ``hf_num_training_steps(max_steps, num_train_epochs, steps_per_epoch, grad_accum)``: the ``N`` the Trainer
  passes as ``num_training_steps`` (``steps_per_epoch`` = length of the per-process train dataloader, or None
  when it has no length).
* ``hf_warmup_steps(warmup_steps, N)``: ``TrainingArguments.get_warmup_steps``: ``int(w)`` if ``w >= 1`` else
  ``ceil(N * w)`` (so ``1.0`` means one step).
* ``hf_trainer_curve(training_args, steps_per_epoch, steps)``: the Trainer's own schedule.

Errors: ``ValueError`` with transformers' message for an unknown scheduler name, a missing
``num_warmup_steps`` / ``num_training_steps``, ``lr_end >= initial lr``, ``min_lr``/``min_lr_rate`` misuse, an
unknown WSD warm-up/decay type, ``warmup_steps < 0``, the plateau/greedy argument checks; ``TypeError`` (as
Python raises it) for a ``scheduler_specific_kwargs`` key the function does not take.

Metric-driven schedules (``reduce_lr_on_plateau`` = torch ``ReduceLROnPlateau``, ``greedy`` = ``GreedyLR``):
entry ``k`` is the rate after ``k`` ``step(metric)`` calls (the Trainer calls it once per evaluation) with a
metric that never improves after the first call (a constant), the worst case of a plateau schedule.
``AdafactorSchedule`` raises ``Unsupported`` (it reports what HF Adafactor derives from its own state).
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping
from typing import Any

from .timm_sim import Unsupported

__all__ = [
    "Unsupported",
    "curve",
    "hf_num_training_steps",
    "hf_trainer_curve",
    "hf_warmup_steps",
    "is_metric_driven",
    "lr_lambda",
    "scheduler_function",
]

_VALUES = (
    "linear", "cosine", "cosine_with_restarts", "polynomial", "constant", "constant_with_warmup", "inverse_sqrt",
    "reduce_lr_on_plateau", "cosine_with_min_lr", "cosine_warmup_with_min_lr", "warmup_stable_decay", "greedy",
)
_MEMBERS = {
    "LINEAR": "linear", "COSINE": "cosine", "COSINE_WITH_RESTARTS": "cosine_with_restarts",
    "POLYNOMIAL": "polynomial", "CONSTANT": "constant", "CONSTANT_WITH_WARMUP": "constant_with_warmup",
    "INVERSE_SQRT": "inverse_sqrt", "REDUCE_ON_PLATEAU": "reduce_lr_on_plateau",
    "COSINE_WITH_MIN_LR": "cosine_with_min_lr", "COSINE_WARMUP_WITH_MIN_LR": "cosine_warmup_with_min_lr",
    "WARMUP_STABLE_DECAY": "warmup_stable_decay", "GREEDY": "greedy",
}
_VALUE_TO_MEMBER = {v: k for k, v in _MEMBERS.items()}

# function short name -> (parameters after ``optimizer`` in order, defaults)
_REQ = object()
_SIGNATURES: dict[str, tuple[tuple[str, Any], ...]] = {
    "get_constant_schedule": (("last_epoch", -1),),
    "get_constant_schedule_with_warmup": (("num_warmup_steps", _REQ), ("last_epoch", -1)),
    "get_linear_schedule_with_warmup": (("num_warmup_steps", _REQ), ("num_training_steps", _REQ),
                                        ("last_epoch", -1)),
    "get_cosine_schedule_with_warmup": (("num_warmup_steps", _REQ), ("num_training_steps", _REQ),
                                        ("num_cycles", 0.5), ("last_epoch", -1)),
    "get_cosine_with_hard_restarts_schedule_with_warmup": (("num_warmup_steps", _REQ), ("num_training_steps", _REQ),
                                                           ("num_cycles", 1), ("last_epoch", -1)),
    "get_polynomial_decay_schedule_with_warmup": (("num_warmup_steps", _REQ), ("num_training_steps", _REQ),
                                                  ("lr_end", 1e-7), ("power", 1.0), ("last_epoch", -1)),
    "get_inverse_sqrt_schedule": (("num_warmup_steps", _REQ), ("timescale", None), ("last_epoch", -1)),
    "get_cosine_with_min_lr_schedule_with_warmup": (("num_warmup_steps", _REQ), ("num_training_steps", _REQ),
                                                    ("num_cycles", 0.5), ("last_epoch", -1), ("min_lr", None),
                                                    ("min_lr_rate", None)),
    "get_cosine_with_min_lr_schedule_with_warmup_lr_rate": (("num_warmup_steps", _REQ),
                                                            ("num_training_steps", _REQ), ("num_cycles", 0.5),
                                                            ("last_epoch", -1), ("min_lr", None),
                                                            ("min_lr_rate", None), ("warmup_lr_rate", None)),
    "get_wsd_schedule": (("num_warmup_steps", _REQ), ("num_decay_steps", _REQ), ("num_training_steps", None),
                         ("num_stable_steps", None), ("warmup_type", "linear"), ("decay_type", "cosine"),
                         ("min_lr_ratio", 0), ("num_cycles", 0.5), ("last_epoch", -1)),
}
_TYPE_TO_FUNCTION = {
    "linear": "get_linear_schedule_with_warmup",
    "cosine": "get_cosine_schedule_with_warmup",
    "cosine_with_restarts": "get_cosine_with_hard_restarts_schedule_with_warmup",
    "polynomial": "get_polynomial_decay_schedule_with_warmup",
    "constant": "get_constant_schedule",
    "constant_with_warmup": "get_constant_schedule_with_warmup",
    "inverse_sqrt": "get_inverse_sqrt_schedule",
    "reduce_lr_on_plateau": "get_reduce_on_plateau_schedule",
    "cosine_with_min_lr": "get_cosine_with_min_lr_schedule_with_warmup",
    "cosine_warmup_with_min_lr": "get_cosine_with_min_lr_schedule_with_warmup_lr_rate",
    "warmup_stable_decay": "get_wsd_schedule",
    "greedy": "get_greedy_schedule",
}
_METRIC_DRIVEN = {
    "get_reduce_on_plateau_schedule": "ReduceLROnPlateau",
    "get_greedy_schedule": "GreedyLR",
    "GreedyLR": "GreedyLR",
}
_PLATEAU_DEFAULTS: dict[str, Any] = {"mode": "min", "factor": 0.1, "patience": 10, "threshold": 1e-4,
                                     "threshold_mode": "rel", "cooldown": 0, "min_lr": 0, "eps": 1e-8}
_GREEDY_DEFAULTS: dict[str, Any] = {"mode": "min", "factor": 0.95, "patience": 10, "threshold": 1e-6,
                                    "threshold_mode": "abs", "cooldown": 0, "warmup": 0, "min_lr": 1e-3,
                                    "max_lr": 1.0, "eps": 1e-8, "verbose": False, "smooth": False,
                                    "window_size": 50, "reset_start": 500}
_UNSUPPORTED = {
    "AdafactorSchedule": "reports the rate HF Adafactor derives from its own step count and parameter scale",
    "get_adafactor_schedule": "reports the rate HF Adafactor derives from its own step count and parameter scale",
}


def _scheduler_type(name: Any) -> str:
    """``SchedulerType(name).value``; also accepts ``"SchedulerType.COSINE"`` / ``"COSINE"`` (the member)."""
    text = str(name)
    if text in _VALUES:
        return text
    member = text.rsplit(".", 1)[-1]
    if (text.startswith("SchedulerType.") or "." in text) and member in _MEMBERS:
        return _MEMBERS[member]
    if text in _MEMBERS:
        return _MEMBERS[text]
    raise ValueError(f"{text} is not a valid SchedulerType, please select one of {list(_VALUES)}")


def _bind(fn: str, kwargs: Mapping[str, Any]) -> dict[str, Any]:
    signature = _SIGNATURES[fn]
    names = {n for n, _ in signature}
    for key in kwargs:
        if key not in names:
            raise TypeError(f"{fn}() got an unexpected keyword argument '{key}'")
    bound: dict[str, Any] = {}
    for pname, default in signature:
        if pname in kwargs:
            bound[pname] = kwargs[pname]
        elif default is _REQ:
            raise TypeError(f"{fn}() missing 1 required positional argument: '{pname}'")
        else:
            bound[pname] = default
    return bound


def scheduler_function(name: str, args: Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
    """The ``get_*`` function and its bound arguments that ``name(**args)`` amounts to.

    ``name`` is ``get_scheduler`` (then ``args`` holds ``name``, ``num_warmup_steps``, ``num_training_steps``,
    ``scheduler_specific_kwargs``) or one of the schedule functions (qualified or short). For the
    metric-driven schedules the function returned is ``"ReduceLROnPlateau"`` or ``"GreedyLR"`` and the
    arguments are the keyword arguments they receive (see ``is_metric_driven``).
    """
    from .hf_legacy import function_of

    short = function_of(name.rsplit(".", 1)[-1])  # pytorch_transformers' classes: the function they amount to
    if short in _UNSUPPORTED:
        raise Unsupported(f"{short}: {_UNSUPPORTED[short]}")
    if short in _METRIC_DRIVEN:
        return _METRIC_DRIVEN[short], {k: v for k, v in args.items() if k != "optimizer"}
    if short != "get_scheduler":
        if short not in _SIGNATURES:
            raise Unsupported(f"not a transformers schedule: {name}")
        return short, _bind(short, {k: v for k, v in args.items() if k != "optimizer"})
    if "name" not in args:
        raise TypeError("get_scheduler() missing 1 required positional argument: 'name'")
    stype = _scheduler_type(args["name"])
    fn = _TYPE_TO_FUNCTION[stype]
    member = f"SchedulerType.{_VALUE_TO_MEMBER[stype]}"
    warmup = args.get("num_warmup_steps")
    total = args.get("num_training_steps")
    if stype == "constant":
        return fn, _bind(fn, {})
    extra = args.get("scheduler_specific_kwargs") or {}
    if fn in _METRIC_DRIVEN:
        return _METRIC_DRIVEN[fn], dict(extra)
    if warmup is None:
        raise ValueError(f"{member} requires `num_warmup_steps`, please provide that argument.")
    if stype == "constant_with_warmup":
        return fn, _bind(fn, {"num_warmup_steps": warmup})
    if stype == "inverse_sqrt":
        return fn, _bind(fn, {"num_warmup_steps": warmup, **extra})
    if stype == "warmup_stable_decay":
        return fn, _bind(fn, {"num_warmup_steps": warmup, "num_training_steps": total, **extra})
    if total is None:
        raise ValueError(f"{member} requires `num_training_steps`, please provide that argument.")
    return fn, _bind(fn, {"num_warmup_steps": warmup, "num_training_steps": total, **extra})


def _warm(step: int, warmup: Any) -> float:
    return float(step) / float(max(1, warmup))


def is_metric_driven(fn: str) -> bool:
    """True for what ``scheduler_function`` returns for reduce_lr_on_plateau / greedy (use ``curve`` there)."""
    return fn in ("ReduceLROnPlateau", "GreedyLR")


def lr_lambda(fn: str, a: Mapping[str, Any], defaults_lr: float) -> Callable[[int], float]:
    """The ``lr_lambda`` the function ``fn`` hands to ``LambdaLR`` (raising what the function raises).

    Metric-driven schedules have no lambda: ``Unsupported`` (``curve`` simulates them).
    """
    if is_metric_driven(fn):
        raise Unsupported(f"{fn} is metric-driven: it has no closed form (curve() assumes a constant metric)")
    w = a.get("num_warmup_steps")
    n = a.get("num_training_steps")
    if fn == "get_constant_schedule":
        return lambda t: 1
    if fn == "get_constant_schedule_with_warmup":
        return lambda t: float(t) / float(max(1.0, w)) if t < w else 1.0
    if fn == "get_linear_schedule_with_warmup":
        return lambda t: _warm(t, w) if t < w else max(0.0, float(n - t) / float(max(1, n - w)))
    if fn == "get_cosine_schedule_with_warmup":
        cycles = a["num_cycles"]

        def cosine(t: int) -> float:
            if t < w:
                return _warm(t, w)
            progress = float(t - w) / float(max(1, n - w))
            return max(0.0, 0.5 * (1.0 + math.cos(math.pi * float(cycles) * 2.0 * progress)))

        return cosine
    if fn == "get_cosine_with_hard_restarts_schedule_with_warmup":
        cycles = a["num_cycles"]

        def restarts(t: int) -> float:
            if t < w:
                return _warm(t, w)
            progress = float(t - w) / float(max(1, n - w))
            if progress >= 1.0:
                return 0.0
            return max(0.0, 0.5 * (1.0 + math.cos(math.pi * ((float(cycles) * progress) % 1.0))))

        return restarts
    if fn == "get_polynomial_decay_schedule_with_warmup":
        lr_end, power, lr_init = a["lr_end"], a["power"], defaults_lr
        if not (lr_init > lr_end):
            raise ValueError(f"lr_end ({lr_end}) must be smaller than initial lr ({lr_init})")

        def polynomial(t: int) -> float:
            if t < w:
                return _warm(t, w)
            if t > n:
                return lr_end / lr_init
            pct_remaining = 1 - (t - w) / (n - w)
            return ((lr_init - lr_end) * pct_remaining ** power + lr_end) / lr_init

        return polynomial
    if fn == "get_inverse_sqrt_schedule":
        timescale = a["timescale"]
        if timescale is None:
            timescale = w or 10_000

        def inverse_sqrt(t: int) -> float:
            if t < w:
                return _warm(t, w)
            return 1.0 / math.sqrt((t + (timescale - w)) / timescale)

        return inverse_sqrt
    if fn in ("get_cosine_with_min_lr_schedule_with_warmup", "get_cosine_with_min_lr_schedule_with_warmup_lr_rate"):
        min_lr, rate = a["min_lr"], a["min_lr_rate"]
        if min_lr is not None and rate is not None:
            raise ValueError("Only one of min_lr or min_lr_rate should be set")
        if min_lr is not None:
            rate = min_lr / defaults_lr
        elif rate is None:
            raise ValueError("One of min_lr or min_lr_rate should be set through the `lr_scheduler_kwargs`")
        cycles = a["num_cycles"]
        if fn == "get_cosine_with_min_lr_schedule_with_warmup":
            def cosine_min(t: int) -> float:
                if t < w:
                    return _warm(t, w)
                progress = float(t - w) / float(max(1, n - w))
                factor = 0.5 * (1.0 + math.cos(math.pi * float(cycles) * 2.0 * progress))
                return max(0, factor * (1 - rate) + rate)

            return cosine_min
        warmup_rate = a["warmup_lr_rate"]

        def cosine_min_rate(t: int) -> float:
            step, ww, nn = float(t), float(w), float(n)
            if step < ww:
                if warmup_rate is None:
                    return (step + 1.0) / max(1.0, ww)
                wr = float(warmup_rate)
                return wr + (1.0 - wr) * step / max(1, ww - 1)
            progress = (step - ww + 1.0) / max(1.0, nn - ww)
            factor = 0.5 * (1.0 + math.cos(math.pi * cycles * 2.0 * progress))
            return max(0, factor * (1 - rate) + rate)

        return cosine_min_rate
    if fn == "get_wsd_schedule":
        return _wsd_lambda(a)
    raise Unsupported(f"not a transformers schedule: {fn}")


def _wsd_lambda(a: Mapping[str, Any]) -> Callable[[int], float]:
    w, d, n, s = a["num_warmup_steps"], a["num_decay_steps"], a["num_training_steps"], a["num_stable_steps"]
    warmup_type, decay_type = a["warmup_type"], a["decay_type"]
    m, cycles = a["min_lr_ratio"], a["num_cycles"]
    if n is None and s is None:
        raise ValueError("Either num_training_steps or num_stable_steps must be specified.")
    if warmup_type not in ("linear", "cosine", "1-sqrt"):
        raise ValueError(f"Unknown warmup type: {warmup_type}, expected 'linear', 'cosine' or '1-sqrt'")
    if decay_type not in ("linear", "cosine", "1-sqrt"):
        raise ValueError(f"Unknown decay type: {decay_type}, expected 'linear', 'cosine' or '1-sqrt'")
    if s is None:
        s = n - w - d

    def wsd(t: int) -> float:
        if t < w:
            progress = float(t) / float(max(1, w))
            if warmup_type == "linear":
                factor = progress
            elif warmup_type == "cosine":
                factor = 0.5 * (1.0 - math.cos(math.pi * progress))
            else:
                factor = 1.0 - math.sqrt(1.0 - progress)
            return max(0.0, factor * (1.0 - m) + m)
        if t < w + s:
            return 1.0
        if t < w + s + d:
            progress = float(t - w - s) / float(max(1, d))
            if decay_type == "linear":
                factor = 1.0 - progress
            elif decay_type == "cosine":
                factor = 0.5 * (1.0 + math.cos(math.pi * float(cycles) * 2.0 * progress))
            else:
                factor = 1.0 - math.sqrt(progress)
            return max(0.0, factor * (1.0 - m) + m)
        return m

    return wsd


def _metric_kwargs(cls: str, defaults: Mapping[str, Any], kwargs: Mapping[str, Any]) -> dict[str, Any]:
    for key in kwargs:
        if key not in defaults:
            raise TypeError(f"{cls}.__init__() got an unexpected keyword argument '{key}'")
    a = dict(defaults)
    a.update(kwargs)
    if a["factor"] >= 1.0:
        raise ValueError("Factor should be < 1.0.")
    for key in ("min_lr", "max_lr"):
        if key in a and isinstance(a[key], (list, tuple)):
            if len(a[key]) != 1:
                raise ValueError(f"expected 1 {key}s, got {len(a[key])}")
            a[key] = a[key][0]
    if a["mode"] not in ("min", "max"):
        raise ValueError(f"mode {a['mode']} is unknown!")
    if a["threshold_mode"] not in ("rel", "abs"):
        raise ValueError(f"threshold mode {a['threshold_mode']} is unknown!")
    return a


def _is_better(a: Mapping[str, Any], current: float, best: float) -> bool:
    threshold = a["threshold"]
    if a["mode"] == "min":
        if a["threshold_mode"] == "rel":
            return current < best * (1.0 - threshold)
        return current < best - threshold
    if a["threshold_mode"] == "rel":
        return current > best * (threshold + 1.0)
    return current > best + threshold


def _plateau_curve(kwargs: Mapping[str, Any], base_lr: float, steps: int) -> list[float]:
    """torch ReduceLROnPlateau(**kwargs) stepped with a constant metric (reduces after patience+1 calls)."""
    a = _metric_kwargs("ReduceLROnPlateau", _PLATEAU_DEFAULTS, kwargs)
    lr, best, bad, cooldown_counter = base_lr, (math.inf if a["mode"] == "min" else -math.inf), 0, 0
    out = [lr]
    for _ in range(1, steps):
        if _is_better(a, 1.0, best):
            best, bad = 1.0, 0
        else:
            bad += 1
        if cooldown_counter > 0:
            cooldown_counter -= 1
            bad = 0
        if bad > a["patience"]:
            new = max(float(lr) * a["factor"], a["min_lr"])
            if float(lr) - new > a["eps"]:
                lr = new
            cooldown_counter = a["cooldown"]
            bad = 0
        out.append(lr)
    return out[:steps]


def _greedy_curve(kwargs: Mapping[str, Any], base_lr: float, steps: int) -> list[float]:
    """transformers GreedyLR(**kwargs) stepped with a constant metric."""
    a = _metric_kwargs("GreedyLR", _GREEDY_DEFAULTS, kwargs)
    worst = math.inf if a["mode"] == "min" else -math.inf
    lr, best, good, bad = base_lr, worst, 0, 0
    cooldown_counter = warmup_counter = 0
    reset_start = a["reset_start"]
    out = [lr]
    for _ in range(1, steps):
        if cooldown_counter > 0:
            cooldown_counter -= 1
            bad = good = 0
        elif warmup_counter > 0:
            warmup_counter -= 1
            bad = good = 0
        else:
            if _is_better(a, 1.0, best):
                best, bad, good = 1.0, 0, good + 1
            else:
                bad, good = bad + 1, 0
            if good > a["patience"]:
                new = min(float(lr) / a["factor"], a["max_lr"])
                if new - float(lr) > a["eps"]:
                    lr = new
                reset_start = a["reset_start"]
                warmup_counter = a["warmup"]
                good = 0
            elif bad > a["patience"]:
                new = max(float(lr) * a["factor"], a["min_lr"])
                if float(lr) - new > a["eps"]:
                    lr = new
                if not lr > a["min_lr"]:
                    reset_start -= 1
                    if reset_start <= 0:
                        lr, best, good, bad = base_lr, worst, 0, 0
                        cooldown_counter = warmup_counter = 0
                        reset_start = a["reset_start"]
                cooldown_counter = a["cooldown"]
                bad = 0
        out.append(lr)
    return out[:steps]


def curve(name: str, args: Mapping[str, Any], steps: int, *, base_lr: float | None = None,
          defaults_lr: float | None = None) -> list[float]:
    """``get_last_lr()[0]`` after 0..steps-1 ``step()`` calls of the schedule ``name(**args)`` builds."""
    fn, a = scheduler_function(name, args)
    if base_lr is None:
        raise Unsupported("the optimizer's learning rate is unknown")
    if fn == "ReduceLROnPlateau":
        return _plateau_curve(a, base_lr, steps)
    if fn == "GreedyLR":
        return _greedy_curve(a, base_lr, steps)
    lam = lr_lambda(fn, a, base_lr if defaults_lr is None else defaults_lr)
    start = a.get("last_epoch", -1) + 1
    return [base_lr * lam(start + k) for k in range(steps)]


def hf_num_training_steps(max_steps: int, num_train_epochs: float, steps_per_epoch: int | None,
                          grad_accum: int = 1) -> int:
    """``num_training_steps`` as ``Trainer.set_initial_training_values`` computes it (transformers 5.24)."""
    if steps_per_epoch is not None:
        updates_per_epoch = max(steps_per_epoch // grad_accum + int(steps_per_epoch % grad_accum > 0), 1)
        if max_steps < 0:
            return math.ceil(num_train_epochs * updates_per_epoch)
        return max_steps
    if max_steps > 0:
        return max_steps
    raise ValueError(
        f"args.max_steps must be set to a positive value if dataloader does not have a length, was {max_steps}"
    )


def hf_warmup_steps(warmup_steps: float, num_training_steps: int) -> int:
    """``TrainingArguments.get_warmup_steps(N)``; a negative value raises the ``__post_init__`` error."""
    if warmup_steps < 0:
        raise ValueError(f"Got warmup_steps = {warmup_steps}, Expected value warmup_steps >= 0")
    if warmup_steps >= 1:
        return int(warmup_steps)
    return math.ceil(num_training_steps * warmup_steps)


def hf_trainer_curve(training_args: Mapping[str, Any], steps_per_epoch: int | None, steps: int | None = None,
                     *, base_lr: float | None = None) -> list[float]:
    """The Trainer's schedule for ``TrainingArguments(**training_args)`` (defaults filled in).

    The curve has ``steps`` entries (default: ``num_training_steps``); ``base_lr`` defaults to
    ``learning_rate`` (the Trainer builds its optimizer with it, so it is also ``defaults_lr``).
    """
    if "warmup_ratio" in training_args:
        raise TypeError("TrainingArguments.__init__() got an unexpected keyword argument 'warmup_ratio'")
    lr = training_args.get("learning_rate", 5e-05)
    kind = training_args.get("lr_scheduler_type", "linear")
    _scheduler_type(kind)
    warmup = training_args.get("warmup_steps", 0)
    if warmup < 0:
        hf_warmup_steps(warmup, 0)
    if kind in ("reduce_lr_on_plateau", "greedy") and training_args.get("eval_strategy", "no") == "no":
        raise ValueError(f"lr_scheduler_type {kind} requires an eval strategy")
    n = hf_num_training_steps(training_args.get("max_steps", -1), training_args.get("num_train_epochs", 3.0),
                              steps_per_epoch, training_args.get("gradient_accumulation_steps", 1))
    extra = training_args.get("lr_scheduler_kwargs")
    if isinstance(extra, str):
        extra = json.loads(extra)
    args = {"name": kind, "num_warmup_steps": hf_warmup_steps(warmup, n), "num_training_steps": n,
            "scheduler_specific_kwargs": extra}
    rate = lr if base_lr is None else base_lr
    return curve("get_scheduler", args, n if steps is None else steps, base_lr=rate, defaults_lr=lr)
