"""Exact learning-rate curves of timm schedulers (timm 1.0.31), in pure Python.

``curve(name, args, steps, base_lr=B)[k]`` is the learning rate in effect after the scheduler was told
index ``k``, the way timm's ``train.py`` drives it: ``curve[0]`` is the value the constructor writes (timm
never calls ``step(0)``), and ``curve[k]`` for ``k >= 1`` is the value ``step(k)`` (``t_in_epochs=True``) or
``step_update(k)`` (``t_in_epochs=False``) writes. For the stateless schedulers this equals ``_get_lr(k)`` plus
noise; ``curve[0]`` differs from ``step(0)`` only when the noise range covers index 0, and for
``PlateauLRScheduler``, whose ``step(0)`` would write ``warmup_lr_init``.

``PlateauLRScheduler`` is metric-driven: the curve assumes the metric never improves after the first call
(a constant metric), i.e. the worst case for a plateau schedule.

Noise (``noise_range_t``): timm draws it from ``torch.Generator().manual_seed(noise_seed + t)``. This module
reproduces that generator bit for bit without importing torch: torch's CPU generator is MT19937 seeded with the
low 32 bits of the seed; ``torch.randn(1)`` takes two 53-bit uniforms from two 64-bit draws (high word first),
applies Box-Muller (``sqrt(-2 log1p(-u2))``, angle ``2 pi u1``), returns the cosine branch rounded to float32
and caches the sine branch for the next draw; ``torch.rand(1)`` (float32) uses the low 24 bits of one 32-bit
draw. Python's ``random.Random`` is the same MT19937, so its state is set directly. ``Unsupported`` is raised
only for inputs the simulation cannot follow (unknown names, metric-driven parts it cannot assume).

Where timm raises, this module raises ``ValueError`` with timm's message; where timm uses ``assert``
(``t_initial > 0``, ``lr_min >= 0``, the factory's ``updates_per_epoch`` check), the message is timm's assert
text and the type is ``ValueError`` too (timm raises ``AssertionError``).
"""

from __future__ import annotations

import bisect
import math
import random
import struct
from collections.abc import Mapping
from typing import Any

__all__ = [
    "Unsupported",
    "curve",
    "timm_factory_to_class",
    "timm_argparse_to_factory",
    "torch_randn_seq",
    "torch_rand_seq",
]


class Unsupported(Exception):
    """The simulation cannot follow this configuration; callers treat the curve as unknown."""


# --------------------------------------------------------------------------------- torch CPU generator


def _mt19937_state(seed: int) -> tuple[int, ...]:
    state = [0] * 624
    state[0] = seed & 0xFFFFFFFF
    for i in range(1, 624):
        prev = state[i - 1]
        state[i] = (1812433253 * (prev ^ (prev >> 30)) + i) & 0xFFFFFFFF
    return tuple(state)


class _TorchCpuGenerator:
    """``torch.Generator()`` after ``manual_seed(seed)``: randn/rand of one float32 element."""

    def __init__(self, seed: int) -> None:
        self._mt = random.Random()
        self._mt.setstate((3, _mt19937_state(seed) + (624,), None))
        self._cached_normal: float | None = None

    def _uniform53(self) -> float:
        hi = self._mt.getrandbits(32)
        lo = self._mt.getrandbits(32)
        return (((hi << 32) | lo) & ((1 << 53) - 1)) * (1.0 / (1 << 53))

    def randn(self) -> float:
        if self._cached_normal is not None:
            value, self._cached_normal = self._cached_normal, None
            return _f32(value)
        u1 = self._uniform53()
        u2 = self._uniform53()
        radius = math.sqrt(-2.0 * math.log1p(-u2))
        theta = 2.0 * math.pi * u1
        self._cached_normal = radius * math.sin(theta)
        return _f32(radius * math.cos(theta))

    def rand(self) -> float:
        return (self._mt.getrandbits(32) & ((1 << 24) - 1)) * (1.0 / (1 << 24))


def _f32(x: float) -> float:
    return struct.unpack("f", struct.pack("f", x))[0]


def torch_randn_seq(seed: int, n: int) -> list[float]:
    """``[torch.randn(1, generator=g).item() for _ in range(n)]`` with ``g.manual_seed(seed)``."""
    g = _TorchCpuGenerator(seed)
    return [g.randn() for _ in range(n)]


def torch_rand_seq(seed: int, n: int) -> list[float]:
    """``[torch.rand(1, generator=g).item() for _ in range(n)]`` with ``g.manual_seed(seed)``."""
    g = _TorchCpuGenerator(seed)
    return [g.rand() for _ in range(n)]


# ------------------------------------------------------------------------------------------- noise


class _Noise:
    def __init__(self, a: Mapping[str, Any], noise_type: str = "normal") -> None:
        self.range_t = a.get("noise_range_t")
        self.pct = a.get("noise_pct", 0.67)
        self.std = a.get("noise_std", 1.0)
        seed = a.get("noise_seed", 42)
        self.seed = seed if seed is not None else 42
        self.type = noise_type

    def applies(self, t: int) -> bool:
        r = self.range_t
        if r is None:
            return False
        if isinstance(r, (list, tuple)):
            return r[0] <= t < r[1]
        return t >= r

    def draw(self, t: int) -> float:
        g = _TorchCpuGenerator(self.seed + t)
        if self.type == "normal":
            for _ in range(100_000):
                noise = g.randn() * self.std
                if abs(noise) < self.pct:
                    return noise
            raise Unsupported("timm noise resampling did not terminate (noise_pct too small)")
        return 2 * (g.rand() - 0.5) * self.pct

    def apply(self, lr: float, t: int) -> float:
        if self.applies(t):
            noise = self.draw(t)
            return lr + lr * noise
        return lr


# ------------------------------------------------------------------------------------- schedulers

_SHORT = {
    "CosineLRScheduler", "TanhLRScheduler", "PolyLRScheduler", "StepLRScheduler", "MultiStepLRScheduler",
    "PlateauLRScheduler", "WSDLRScheduler", "create_scheduler_v2", "create_scheduler",
}

_CLASS_DEFAULTS: dict[str, dict[str, Any]] = {
    "CosineLRScheduler": dict(lr_min=0.0, cycle_mul=1.0, cycle_decay=1.0, cycle_limit=1, warmup_t=0,
                              warmup_lr_init=0.0, warmup_prefix=False, k_decay=1.0),
    "TanhLRScheduler": dict(lb=-7.0, ub=3.0, lr_min=0.0, cycle_mul=1.0, cycle_decay=1.0, cycle_limit=1,
                            warmup_t=0, warmup_lr_init=0.0, warmup_prefix=False),
    "PolyLRScheduler": dict(power=0.5, lr_min=0.0, cycle_mul=1.0, cycle_decay=1.0, cycle_limit=1, warmup_t=0,
                            warmup_lr_init=0.0, warmup_prefix=False, k_decay=1.0),
    "StepLRScheduler": dict(decay_rate=1.0, warmup_t=0, warmup_lr_init=0.0, warmup_prefix=True),
    "MultiStepLRScheduler": dict(decay_rate=1.0, warmup_t=0, warmup_lr_init=0.0, warmup_prefix=True),
    "PlateauLRScheduler": dict(decay_rate=0.1, patience_t=10, threshold=1e-4, cooldown_t=0, warmup_t=0,
                               warmup_lr_init=0.0, lr_min=0.0, mode="max", noise_type="normal",
                               noise_seed=None),
    "WSDLRScheduler": dict(lr_min=0.0, stable_fn="constant", stable_timescale=None, stable_power=0.5,
                           decay_fn="1-sqrt", decay_power=0.5, decay_ratio=0.1, warmup_t=0, warmup_lr_init=0.0),
}

_REQUIRED: dict[str, tuple[str, ...]] = {
    "CosineLRScheduler": ("t_initial",),
    "TanhLRScheduler": ("t_initial",),
    "PolyLRScheduler": ("t_initial",),
    "StepLRScheduler": ("decay_t",),
    "MultiStepLRScheduler": ("decay_t",),
    "PlateauLRScheduler": (),
    "WSDLRScheduler": ("t_initial", "decay_t"),
}


def _check(cond: bool, message: str = "") -> None:
    if not cond:
        raise ValueError(message)


def _cycle_position(t: float, a: Mapping[str, Any]) -> tuple[int, float, float]:
    t_initial = a["t_initial"]
    mul = a["cycle_mul"]
    if mul != 1:
        i = math.floor(math.log(1 - t / t_initial * (1 - mul), mul))
        t_i = mul**i * t_initial
        t_curr = t - (1 - mul**i) / (1 - mul) * t_initial
    else:
        i = t // t_initial
        t_i = t_initial
        t_curr = t - (t_initial * i)
    return i, t_i, t_curr


class _Stateless:
    """Cosine / Tanh / Poly / Step / MultiStep / WSD: lr = f(t) with linear warm-up."""

    def __init__(self, kind: str, a: dict[str, Any], base: float) -> None:
        self.kind = kind
        self.a = a
        self.base = base
        self._validate()
        warmup_t = a["warmup_t"]
        init = a["warmup_lr_init"]
        if warmup_t:
            if kind == "TanhLRScheduler" and not a["warmup_prefix"]:
                target = self._decay(warmup_t)
            else:
                target = base
            self.warmup_step = (target - init) / warmup_t
            self.construction_lr = init
        else:
            self.warmup_step = 1
            self.construction_lr = base

    def _validate(self) -> None:
        a, kind = self.a, self.kind
        if kind in ("CosineLRScheduler", "PolyLRScheduler"):
            _check(a["t_initial"] > 0)
            _check(a["lr_min"] >= 0)
        elif kind == "TanhLRScheduler":
            _check(a["t_initial"] > 0)
            _check(a["lr_min"] >= 0)
            _check(a["lb"] < a["ub"])
            _check(a["cycle_limit"] >= 0)
            _check(a["warmup_t"] >= 0)
            _check(a["warmup_lr_init"] >= 0)
        elif kind == "WSDLRScheduler":
            _validate_wsd(a)

    def lr(self, t: int) -> float:
        a = self.a
        if t < a["warmup_t"]:
            return a["warmup_lr_init"] + t * self.warmup_step
        return self._decay(t)

    def _decay(self, t: float) -> float:
        a, base, kind = self.a, self.base, self.kind
        if kind == "WSDLRScheduler":
            return _wsd_lr(a, base, t)
        if a.get("warmup_prefix"):
            t = t - a["warmup_t"]
        if kind == "StepLRScheduler":
            return base * (a["decay_rate"] ** (t // a["decay_t"]))
        if kind == "MultiStepLRScheduler":
            return base * (a["decay_rate"] ** bisect.bisect_right(a["decay_t"], t + 1))
        i, t_i, t_curr = _cycle_position(t, a)
        lr_min = a["lr_min"]
        if kind == "TanhLRScheduler":
            if i < a["cycle_limit"]:
                lr_max = base * a["cycle_decay"] ** i
                tr = t_curr / t_i
                return lr_min + 0.5 * (lr_max - lr_min) * (1 - math.tanh(a["lb"] * (1.0 - tr) + a["ub"] * tr))
            return lr_min
        lr_max = base * a["cycle_decay"] ** i
        k = a["k_decay"]
        if i >= a["cycle_limit"]:
            return lr_min
        if kind == "CosineLRScheduler":
            return lr_min + 0.5 * (lr_max - lr_min) * (1 + math.cos(math.pi * t_curr**k / t_i**k))
        return lr_min + (lr_max - lr_min) * (1 - t_curr**k / t_i**k) ** a["power"]


_STABLE_FNS = ("constant", "rsqrt", "power")
_DECAY_FNS = ("linear", "1-sqrt", "cosine", "power", "exp")


def _validate_wsd(a: dict[str, Any]) -> None:
    t_initial, decay_t, warmup_t = a["t_initial"], a["decay_t"], a["warmup_t"]
    if t_initial <= 0:
        raise ValueError(f"Invalid t_initial ({t_initial}), must be > 0.")
    if not 0 < decay_t <= t_initial:
        raise ValueError(f"Invalid decay_t ({decay_t}), must be in (0, t_initial] w/ t_initial={t_initial}.")
    if a["lr_min"] < 0:
        raise ValueError(f"Invalid lr_min ({a['lr_min']}), must be >= 0.")
    if a["stable_fn"] not in _STABLE_FNS:
        raise ValueError(f"Invalid stable_fn ({a['stable_fn']}), must be one of {_STABLE_FNS}.")
    decay_fn = a["decay_fn"]
    if isinstance(decay_fn, str) and decay_fn not in _DECAY_FNS:
        raise ValueError(f"Invalid decay_fn ({decay_fn}), must be one of {_DECAY_FNS} or a callable.")
    if not 0.0 < a["decay_ratio"] < 1.0:
        raise ValueError(f"Invalid decay_ratio ({a['decay_ratio']}), must be in (0, 1).")
    if a["decay_power"] <= 0:
        raise ValueError(f"Invalid decay_power ({a['decay_power']}), must be > 0.")
    if a["stable_power"] <= 0:
        raise ValueError(f"Invalid stable_power ({a['stable_power']}), must be > 0.")
    if a["stable_fn"] != "constant":
        if a["stable_timescale"] is None:
            a["stable_timescale"] = warmup_t
        if a["stable_timescale"] <= 0:
            raise ValueError(
                f"stable_fn={a['stable_fn']} requires a positive stable_timescale, it defaults to warmup_t "
                f"({warmup_t}), set it explicitly when there is no warmup."
            )


def _wsd_lr(a: Mapping[str, Any], base: float, t: float) -> float:
    t_s = t - a["warmup_t"]
    if a["stable_fn"] == "constant":
        stable = 1.0
    else:
        power = 0.5 if a["stable_fn"] == "rsqrt" else a["stable_power"]
        stable = (1.0 + t_s / a["stable_timescale"]) ** -power
    lr_min = a["lr_min"]
    stable_lr = max(base * stable, lr_min)
    t_decay = t_s - (a["t_initial"] - a["decay_t"])
    if t_decay <= 0:
        return stable_lr
    frac = min(t_decay / a["decay_t"], 1.0)
    fn = a["decay_fn"]
    if callable(fn):
        decay = fn(frac)
    elif fn == "linear":
        decay = 1.0 - frac
    elif fn == "1-sqrt":
        decay = 1.0 - math.sqrt(frac)
    elif fn == "cosine":
        decay = 0.5 * (1.0 + math.cos(math.pi * frac))
    elif fn == "power":
        decay = 1.0 - frac ** a["decay_power"]
    else:
        r = a["decay_ratio"]
        decay = (r**frac - r) / (1.0 - r)
    return lr_min + (stable_lr - lr_min) * decay


def _plateau_curve(a: dict[str, Any], base: float, steps: int) -> list[float]:
    """PlateauLRScheduler stepped with step(1), step(2), ... and a metric that never improves."""
    mode = a["mode"]
    factor = a["decay_rate"]
    threshold = a["threshold"]
    if factor >= 1.0:
        raise ValueError("Factor should be < 1.0.")
    if mode not in ("min", "max"):
        raise ValueError(f"mode {mode} is unknown!")
    warmup_t = a["warmup_t"]
    init = a["warmup_lr_init"]
    warmup_step = (base - init) / warmup_t if warmup_t else 1
    noise = _Noise(a, a.get("noise_type", "normal"))
    lr = init if warmup_t else base
    out = [lr]
    restore: float | None = None
    best = math.inf if mode == "min" else -math.inf
    bad = 0
    cooldown_counter = 0
    metric = 1.0
    min_lr = a["lr_min"]
    for epoch in range(1, steps):
        if epoch <= warmup_t:
            lr = init + epoch * warmup_step
        else:
            if restore is not None:
                lr, restore = restore, None
            better = metric < best * (1.0 - threshold) if mode == "min" else metric > best * (threshold + 1.0)
            if better:
                best, bad = metric, 0
            else:
                bad += 1
            if cooldown_counter > 0:
                cooldown_counter -= 1
                bad = 0
            if bad > a["patience_t"]:
                new = max(lr * factor, min_lr)
                if lr - new > 1e-8:
                    lr = new
                cooldown_counter = a["cooldown_t"]
                bad = 0
            if noise.applies(epoch):
                restore = lr
                lr = lr + lr * noise.draw(epoch)
        out.append(lr)
    return out[:steps]


def _short(name: str) -> str:
    short = name.rsplit(".", 1)[-1]
    if short not in _SHORT:
        raise Unsupported(f"not a timm scheduler: {name}")
    return short


def _class_args(kind: str, args: Mapping[str, Any]) -> dict[str, Any]:
    a = dict(_CLASS_DEFAULTS[kind])
    a.update({k: v for k, v in args.items() if k not in ("optimizer", "initialize")})
    for req in _REQUIRED[kind]:
        if req not in a:
            raise TypeError(f"{kind}.__init__() missing 1 required positional argument: '{req}'")
    a.setdefault("noise_range_t", None)
    a.setdefault("noise_pct", 0.67)
    a.setdefault("noise_std", 1.0)
    a.setdefault("noise_seed", 42 if kind != "PlateauLRScheduler" else None)
    a.setdefault("t_in_epochs", True)
    return a


def curve(name: str, args: Mapping[str, Any], steps: int, *, base_lr: float | None = None) -> list[float]:
    """The learning rate after index 0..steps-1 (see the module docstring for the index semantics).

    ``name`` is a class or factory name (qualified or short); ``args`` the bound constructor arguments
    (the optimizer is ignored; ``base_lr`` is its learning rate). For ``create_scheduler_v2`` /
    ``create_scheduler`` the returned curve is the built scheduler's; ``sched='none'`` gives a constant curve.
    """
    if base_lr is None:
        raise Unsupported("the optimizer's learning rate is unknown")
    short = _short(name)
    if short == "create_scheduler":
        factory = timm_argparse_to_factory(args.get("args") or {})
        factory["updates_per_epoch"] = args.get("updates_per_epoch", 0)
        return curve("create_scheduler_v2", factory, steps, base_lr=base_lr)
    if short == "create_scheduler_v2":
        cls, cls_args, _ = timm_factory_to_class(args)
        if cls is None:
            return [base_lr] * steps
        return curve(cls, cls_args, steps, base_lr=base_lr)
    a = _class_args(short, args)
    if steps <= 0:
        return []
    if short == "PlateauLRScheduler":
        return _plateau_curve(a, base_lr, steps)
    sched = _Stateless(short, a, base_lr)
    noise = _Noise(a)
    out = [sched.construction_lr]
    for t in range(1, steps):
        out.append(noise.apply(sched.lr(t), t))
    return out


# ------------------------------------------------------------------------------------------ factory

_FACTORY_DEFAULTS: dict[str, Any] = dict(
    sched="cosine", num_epochs=300, decay_epochs=None, decay_milestones=(90, 180, 270), cooldown_epochs=0,
    patience_epochs=10, decay_rate=0.1, min_lr=0.0, warmup_lr=1e-5, warmup_epochs=0, warmup_prefix=False,
    noise=None, noise_pct=0.67, noise_std=1.0, noise_seed=42, cycle_mul=1.0, cycle_decay=0.1, cycle_limit=1,
    k_decay=1.0, decay_fn=None, stable_timescale=None, plateau_mode="max", step_on_epochs=True,
    updates_per_epoch=0,
)

_ARGPARSE: tuple[tuple[str, str, Any], ...] = (
    ("num_epochs", "epochs", 100), ("decay_epochs", "decay_epochs", 30),
    ("decay_milestones", "decay_milestones", [30, 60]), ("warmup_epochs", "warmup_epochs", 5),
    ("cooldown_epochs", "cooldown_epochs", 0), ("patience_epochs", "patience_epochs", 10),
    ("decay_rate", "decay_rate", 0.1), ("min_lr", "min_lr", 0.0), ("warmup_lr", "warmup_lr", 1e-5),
    ("warmup_prefix", "warmup_prefix", False), ("noise", "lr_noise", None), ("noise_pct", "lr_noise_pct", 0.67),
    ("noise_std", "lr_noise_std", 1.0), ("noise_seed", "seed", 42), ("cycle_mul", "lr_cycle_mul", 1.0),
    ("cycle_decay", "lr_cycle_decay", 0.1), ("cycle_limit", "lr_cycle_limit", 1), ("k_decay", "lr_k_decay", 1.0),
    ("decay_fn", "lr_decay_fn", None), ("stable_timescale", "lr_stable_timescale", None),
)


def timm_argparse_to_factory(ns: Mapping[str, Any], decreasing_metric: bool | None = None) -> dict[str, Any]:
    """``timm.scheduler.scheduler_kwargs(cfg)``: create_scheduler_v2 keyword arguments from argparse values.

    ``ns`` maps attribute names of the namespace (``epochs``, ``lr_noise``, ``sched_on_updates`` ...) to values;
    absent attributes take ``scheduler_kwargs``' own defaults (which differ from create_scheduler_v2's).
    """
    if "sched" not in ns:
        raise Unsupported("the argparse namespace has no 'sched' value")
    eval_metric = ns.get("eval_metric", "top1")
    if decreasing_metric is not None:
        plateau_mode = "min" if decreasing_metric else "max"
    else:
        plateau_mode = "min" if "loss" in eval_metric else "max"
    out: dict[str, Any] = {"sched": ns["sched"]}
    for key, attr, default in _ARGPARSE:
        out[key] = ns.get(attr, default)
    out["plateau_mode"] = plateau_mode
    out["step_on_epochs"] = not ns.get("sched_on_updates", False)
    return out


def _cycle_length(cls_args: Mapping[str, Any], cls: str) -> int | float:
    if cls == "WSDLRScheduler":
        return cls_args["warmup_t"] + cls_args["t_initial"]
    cycles = max(1, cls_args.get("cycle_limit", 1))
    t_initial = cls_args["t_initial"]
    mul = cls_args.get("cycle_mul", 1.0)
    if mul == 1.0:
        t = t_initial * cycles
    else:
        t = int(math.floor(-t_initial * (mul**cycles - 1) / (1 - mul)))
    return t + cls_args["warmup_t"] if cls_args.get("warmup_prefix") else t


def timm_factory_to_class(args: Mapping[str, Any]) -> tuple[str | None, dict[str, Any], int | float]:
    """What ``create_scheduler_v2(**args)`` builds: ``(class short name or None, class args, num_epochs)``.

    Raises ``ValueError`` with timm's message for an unknown ``sched`` ("Unknown scheduler '...'."), a bad
    wsd/rsqrt decay length, and timm's asserts (``updates_per_epoch`` with ``step_on_epochs=False``, plateau
    with updates).
    """
    a = dict(_FACTORY_DEFAULTS)
    a.update({k: v for k, v in args.items() if k != "optimizer"})
    sched = a["sched"]
    decay_epochs = a["decay_epochs"]
    if decay_epochs is None:
        decay_epochs = 0.2 if sched in ("wsd", "rsqrt") else 90
    num_epochs = a["num_epochs"]
    upe = a["updates_per_epoch"]
    t_initial = num_epochs
    warmup_t = a["warmup_epochs"]
    decay_t: Any = decay_epochs
    milestones = a["decay_milestones"]
    cooldown_t = a["cooldown_epochs"]
    timescale_t = a["stable_timescale"]
    step_on_epochs = a["step_on_epochs"]
    if not step_on_epochs:
        _check(upe > 0, "updates_per_epoch must be set to number of dataloader batches")
        t_initial = t_initial * upe
        warmup_t = warmup_t * upe
        decay_t = decay_t * upe
        milestones = [d * upe for d in milestones]
        cooldown_t = cooldown_t * upe
        if timescale_t is not None:
            timescale_t = timescale_t * upe
    warmup = dict(warmup_lr_init=a["warmup_lr"], warmup_t=warmup_t, warmup_prefix=a["warmup_prefix"])
    noise = a["noise"]
    if noise is not None:
        if isinstance(noise, (list, tuple)):
            noise_range: Any = [n * t_initial for n in noise]
            if len(noise_range) == 1:
                noise_range = noise_range[0]
        else:
            noise_range = noise * t_initial
    else:
        noise_range = None
    noise_args = dict(noise_range_t=noise_range, noise_pct=a["noise_pct"], noise_std=a["noise_std"],
                      noise_seed=a["noise_seed"])
    cycle = dict(cycle_mul=a["cycle_mul"], cycle_decay=a["cycle_decay"], cycle_limit=a["cycle_limit"])
    cls: str | None
    if sched == "cosine":
        cls = "CosineLRScheduler"
        cls_args = dict(t_initial=t_initial, lr_min=a["min_lr"], t_in_epochs=step_on_epochs, **cycle, **warmup,
                        **noise_args, k_decay=a["k_decay"])
    elif sched == "tanh":
        cls = "TanhLRScheduler"
        cls_args = dict(t_initial=t_initial, lr_min=a["min_lr"], t_in_epochs=step_on_epochs, **cycle, **warmup,
                        **noise_args)
    elif sched == "step":
        cls = "StepLRScheduler"
        cls_args = dict(decay_t=decay_t, decay_rate=a["decay_rate"], t_in_epochs=step_on_epochs, **warmup,
                        **noise_args)
    elif sched == "constant":
        cls = "StepLRScheduler"
        cls_args = dict(decay_t=1, decay_rate=1.0, t_in_epochs=step_on_epochs, **warmup, **noise_args)
    elif sched == "multistep":
        cls = "MultiStepLRScheduler"
        cls_args = dict(decay_t=milestones, decay_rate=a["decay_rate"], t_in_epochs=step_on_epochs, **warmup,
                        **noise_args)
    elif sched == "plateau":
        _check(step_on_epochs, "Plateau LR only supports step per epoch.")
        warmup.pop("warmup_prefix")
        cls = "PlateauLRScheduler"
        cls_args = dict(decay_rate=a["decay_rate"], patience_t=a["patience_epochs"], cooldown_t=0, **warmup,
                        lr_min=a["min_lr"], mode=a["plateau_mode"], **noise_args)
    elif sched == "poly":
        cls = "PolyLRScheduler"
        cls_args = dict(power=a["decay_rate"], t_initial=t_initial, lr_min=a["min_lr"],
                        t_in_epochs=step_on_epochs, k_decay=a["k_decay"], **cycle, **warmup, **noise_args)
    elif sched in ("wsd", "rsqrt"):
        t_sched = t_initial if a["warmup_prefix"] else t_initial - warmup_t
        if 0 < decay_epochs < 1:
            decay_t = decay_epochs * t_sched
        decay_t = int(round(decay_t))
        if not 0 < decay_t <= t_sched:
            limit = "epochs" if a["warmup_prefix"] else "epochs - warmup_epochs"
            raise ValueError(
                f"{sched} schedule requires 0 < decay_epochs <= {limit}, "
                f"got decay {decay_t} and stable + decay length {t_sched}."
            )
        cls = "WSDLRScheduler"
        cls_args = dict(t_initial=t_sched, decay_t=decay_t, lr_min=a["min_lr"],
                        stable_fn="rsqrt" if sched == "rsqrt" else "constant", stable_timescale=timescale_t,
                        decay_fn=a["decay_fn"] or ("linear" if sched == "rsqrt" else "1-sqrt"),
                        t_in_epochs=step_on_epochs, warmup_t=warmup_t, warmup_lr_init=a["warmup_lr"],
                        **noise_args)
    elif sched == "none":
        cls, cls_args = None, {}
    else:
        raise ValueError(f"Unknown scheduler '{sched}'.")

    if cls in ("CosineLRScheduler", "TanhLRScheduler", "PolyLRScheduler", "WSDLRScheduler"):
        full = dict(_CLASS_DEFAULTS[cls])
        full.update(cls_args)
        total = _cycle_length(full, cls) + cooldown_t
        num_epochs = total if step_on_epochs else total // upe
    elif a["warmup_prefix"]:
        num_epochs += a["warmup_epochs"]
    return cls, cls_args, num_epochs
