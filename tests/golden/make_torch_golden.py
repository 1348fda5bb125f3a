"""Record golden learning-rate curves from the real torch into ``torch_curves.json``.

Run with the project venv (torch 2.13):  python tests/golden/make_torch_golden.py

The configurations are data: scheduler specs name their class, their keyword arguments and their
children; user callables (``lr_lambda``, ``scale_fn``) are written ``{"$fn": name, **params}`` and mapped
to the module-level functions in ``FORMULAS`` below by ``resolve``. The tests import this module (torch is
only imported inside ``run_torch``) to share ``FORMULAS``, ``resolve`` and the torch runner.

Each recorded entry: ``id``, ``description``, ``optimizer`` ({kind, lrs, has_momentum, has_betas}),
``schedulers`` (spec data), ``steps``, and ``expected``:
``{"error": null | {"type", "message", "step", "source": "torch"|"callable"}, "results": [{"lr", "stops_at",
"stop_reason"}]}``. ``error`` is set when torch raised at construction (step 0) or a callable raised;
errors of torch itself during ``step()`` truncate the curves instead (``stops_at``/``stop_reason``).
"""

from __future__ import annotations

import functools
import json
import math
import sys
import warnings
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
GOLDEN_PATH = HERE / "torch_curves.json"
METRIC = 1.0  # what ReduceLROnPlateau is fed at every step (never improves after the first call)

# --------------------------------------------------------------------------------------------------
# Named formulas for lr_lambda / scale_fn (module-level functions; parameters bound with partial)


def f_const(x: int, c: float = 1.0) -> float:
    return c


def f_exp_decay(x: int, gamma: float) -> float:
    return gamma**x


def f_step_decay(x: int, gamma: float, size: int) -> float:
    return gamma ** (x // size)


def f_warmup_zero(x: int, warmup: int) -> float:
    return x / warmup if x < warmup else 1.0


def f_warmup_linear(x: int, warmup: int) -> float:
    return (x + 1) / (warmup + 1) if x < warmup else 1.0


def f_epoch_div(x: int, n: int) -> float:
    return x // n


def f_inverse_sqrt(x: int, warmup: int) -> float:
    return min((x + 1) ** -0.5, (x + 1) * warmup**-1.5) * warmup**0.5


def f_cosine_warmup(x: int, warmup: int, total: int) -> float:
    if x < warmup:
        return x / max(1, warmup)
    progress = (x - warmup) / max(1, total - warmup)
    return max(0.0, 0.5 * (1.0 + math.cos(math.pi * progress)))


def f_poly(x: int, total: int, power: float) -> float:
    return max(0.0, 1 - x / total) ** power


def f_nanogpt(x: int, warmup: int, decay: int, floor: float) -> float:
    if x < warmup:
        return (x + 1) / (warmup + 1)
    if x > decay:
        return floor
    ratio = (x - warmup) / (decay - warmup)
    return floor + 0.5 * (1.0 + math.cos(math.pi * ratio)) * (1.0 - floor)


def f_recip(x: int, n: int) -> float:
    return 1.0 / (n - x)


def f_fail_at(x: int, n: int) -> float:
    if x >= n:
        raise ValueError(f"formula refuses x={x}")
    return 1.0


def f_alternate(x: int, f: float) -> float:
    return f if x % 2 else 1.0 / f


def f_halving(x: float) -> float:
    return 1 / (2.0 ** (x - 1))


def f_inv_linear(x: float, rate: float) -> float:
    return 1.0 / (1.0 + rate * x)


FORMULAS: dict[str, Any] = {
    "const": f_const,
    "exp_decay": f_exp_decay,
    "step_decay": f_step_decay,
    "warmup_zero": f_warmup_zero,
    "warmup_linear": f_warmup_linear,
    "epoch_div": f_epoch_div,
    "inverse_sqrt": f_inverse_sqrt,
    "cosine_warmup": f_cosine_warmup,
    "poly": f_poly,
    "nanogpt": f_nanogpt,
    "recip": f_recip,
    "fail_at": f_fail_at,
    "alternate": f_alternate,
    "halving": f_halving,
    "inv_linear": f_inv_linear,
}


class CallableRaised(Exception):
    """Marks an exception raised inside a named formula (re-raised as the original by the runner)."""


def resolve(value: Any) -> Any:
    """Replace ``{"$fn": name, **params}`` by the named formula (partial when it has parameters)."""
    if isinstance(value, dict) and "$fn" in value:
        params = {k: v for k, v in value.items() if k != "$fn"}
        fn = FORMULAS[value["$fn"]]
        return functools.partial(fn, **params) if params else fn
    if isinstance(value, list):
        return [resolve(v) for v in value]
    if isinstance(value, dict):
        return {k: resolve(v) for k, v in value.items()}
    return value


# --------------------------------------------------------------------------------------------------
# Optimizers and the torch runner

OPTIMIZER_KINDS = {  # kind -> (has_momentum, has_betas)
    "SGD": (True, False),
    "RMSprop": (True, False),
    "Adam": (False, True),
    "AdamW": (False, True),
    "Adagrad": (False, False),
}


def optimizer_data(kind: str, lrs: list[float]) -> dict[str, Any]:
    momentum, betas = OPTIMIZER_KINDS[kind]
    return {"kind": kind, "lrs": lrs, "has_momentum": momentum, "has_betas": betas}


class _Flagged:
    """Wraps a resolved formula so the runner can tell a formula's exception from torch's own."""

    def __init__(self, fn: Any, sink: list[bool]) -> None:
        self.fn = fn
        self.sink = sink

    def __call__(self, x: Any) -> Any:
        try:
            return self.fn(x)
        except Exception:
            self.sink.append(True)
            raise


def _flag(value: Any, sink: list[bool]) -> Any:
    if isinstance(value, list):
        return [_flag(v, sink) for v in value]
    return _Flagged(value, sink) if callable(value) else value


def run_torch(config: dict[str, Any]) -> dict[str, Any]:
    """Run one configuration on the real torch; return the ``expected`` record."""
    import torch
    from torch.optim import lr_scheduler, swa_utils

    opt_data = config["optimizer"]
    groups = [{"params": [torch.zeros(1, requires_grad=True)], "lr": lr} for lr in opt_data["lrs"]]
    optimizer = getattr(torch.optim, opt_data["kind"])(groups)
    raised: list[bool] = []

    def build(spec: dict[str, Any]) -> Any:
        children = [build(c) for c in spec.get("children", [])]
        args = {k: (_flag(resolve(v), raised) if k in ("lr_lambda", "scale_fn") else resolve(v))
                for k, v in spec["args"].items()}
        name = spec["name"]
        cls = swa_utils.SWALR if name == "SWALR" else getattr(lr_scheduler, name)
        if name not in ("SequentialLR", "ReduceLROnPlateau") and args.get("last_epoch", -1) != -1:
            for group in optimizer.param_groups:
                group.setdefault("initial_lr", group["lr"])
        if name == "SequentialLR":
            return cls(optimizer, children, **args)
        if name == "ChainedScheduler":
            return cls(children, **args)
        return cls(optimizer, **args)

    def error(exc: BaseException, step: int) -> dict[str, Any]:
        return {"type": type(exc).__name__, "message": str(exc), "step": step,
                "source": "callable" if raised else "torch"}

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        scheds = []
        try:
            for spec in config["schedulers"]:
                scheds.append(build(spec))
        except Exception as exc:
            return {"error": error(exc, 0), "results": []}
        results = [{"lr": [float(s.get_last_lr()[0])], "stops_at": None, "stop_reason": None} for s in scheds]
        for k in range(1, config["steps"]):
            optimizer.step()
            for j, sched in enumerate(scheds):
                try:
                    if isinstance(sched, lr_scheduler.ReduceLROnPlateau):
                        sched.step(METRIC)
                    else:
                        sched.step()
                except Exception as exc:
                    if raised:
                        return {"error": error(exc, k), "results": []}
                    reason = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
                    for i, res in enumerate(results):
                        res["stops_at"] = k
                        res["stop_reason"] = reason
                        res["raised_by"] = j
                    return {"error": None, "results": results}
            for res, sched in zip(results, scheds):
                res["lr"].append(float(sched.get_last_lr()[0]))
    return {"error": None, "results": results}


# --------------------------------------------------------------------------------------------------
# The configurations


def S(name: str, children: list[dict[str, Any]] | None = None, **args: Any) -> dict[str, Any]:
    return {"name": name, "args": args, "children": children or []}


def fn(name: str, **params: Any) -> dict[str, Any]:
    return {"$fn": name, **params}


def configs() -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []

    def add(cid: str, description: str, schedulers: list[dict[str, Any]], steps: int = 40,
            lrs: list[float] | None = None, kind: str = "SGD") -> None:
        out.append({"id": cid, "description": description, "optimizer": optimizer_data(kind, lrs or [0.1]),
                    "schedulers": schedulers, "steps": steps})

    # LambdaLR
    add("lambda-exp", "LambdaLR exponential factor", [S("LambdaLR", lr_lambda=fn("exp_decay", gamma=0.95))])
    add("lambda-warmup-zero", "LambdaLR warm-up starting at lr 0",
        [S("LambdaLR", lr_lambda=fn("warmup_zero", warmup=5))], 20)
    add("lambda-epoch-div-30", "the torch docstring lambda epoch // 30 (0, then grows)",
        [S("LambdaLR", lr_lambda=fn("epoch_div", n=30))], 100)
    add("lambda-per-group", "one lambda per param group",
        [S("LambdaLR", lr_lambda=[fn("exp_decay", gamma=0.9), fn("warmup_linear", warmup=4)])], 30, [0.1, 0.5])
    add("lambda-hf-cosine", "HF-style cosine with warm-up", [S("LambdaLR", lr_lambda=fn("cosine_warmup", warmup=10,
                                                                                          total=60))], 80)
    add("lambda-inverse-sqrt", "inverse square root", [S("LambdaLR", lr_lambda=fn("inverse_sqrt", warmup=8))], 60)
    add("lambda-nanogpt", "nanoGPT get_lr as a LambdaLR",
        [S("LambdaLR", lr_lambda=fn("nanogpt", warmup=10, decay=50, floor=0.1))], 70, [6e-4], "AdamW")
    add("lambda-resume", "LambdaLR resumed with last_epoch=10 jumps to f(11)",
        [S("LambdaLR", lr_lambda=fn("exp_decay", gamma=0.9), last_epoch=10)], 20)
    add("lambda-wrong-count", "list of lambdas of the wrong length",
        [S("LambdaLR", lr_lambda=[fn("const"), fn("const")])], 5)
    add("lambda-not-callable", "a float instead of a function", [S("LambdaLR", lr_lambda=0.5)], 5)
    add("lambda-recip-crash", "lambda dividing by zero at step 7", [S("LambdaLR", lr_lambda=fn("recip", n=7))], 20)
    add("lambda-fails-at-construction", "lambda raising at step 0", [S("LambdaLR", lr_lambda=fn("fail_at", n=0))], 5)

    # MultiplicativeLR
    add("mult-const", "MultiplicativeLR factor 0.95", [S("MultiplicativeLR", lr_lambda=fn("const", c=0.95))])
    add("mult-alternate", "factor alternating 1.1 / 1/1.1 (rises)",
        [S("MultiplicativeLR", lr_lambda=fn("alternate", f=1.1))], 30)
    add("mult-per-group", "one factor per group",
        [S("MultiplicativeLR", lr_lambda=[fn("const", c=0.9), fn("exp_decay", gamma=0.99)])], 30, [0.1, 0.01])
    add("mult-not-callable", "MultiplicativeLR with a float", [S("MultiplicativeLR", lr_lambda=0.9)], 5)
    add("mult-resume", "MultiplicativeLR resumed", [S("MultiplicativeLR", lr_lambda=fn("const", c=0.8),
                                                      last_epoch=5)], 15)
    add("mult-fails-at-4", "factor function raising at step 4",
        [S("MultiplicativeLR", lr_lambda=fn("fail_at", n=4))], 10)

    # StepLR
    add("step-basic", "StepLR(3, 0.1)", [S("StepLR", step_size=3, gamma=0.1)], 20)
    add("step-gamma-gt-1", "gamma > 1 grows", [S("StepLR", step_size=3, gamma=2.0)], 20)
    add("step-size-zero", "step_size=0 fails at the first step", [S("StepLR", step_size=0)], 10)
    add("step-groups", "three param groups", [S("StepLR", step_size=4, gamma=0.5)], 20, [0.1, 0.01, 1.0])
    add("step-resume-4", "resume last_epoch=4 (no boundary)", [S("StepLR", step_size=3, last_epoch=4)], 15)
    add("step-resume-5", "resume last_epoch=5 (k+1 hits a boundary)", [S("StepLR", step_size=3, last_epoch=5)], 15)
    add("step-negative-gamma", "negative gamma flips the sign", [S("StepLR", step_size=2, gamma=-0.5)], 15)
    add("step-long", "200 steps", [S("StepLR", step_size=7, gamma=0.9)], 200)
    add("step-missing-arg", "StepLR without step_size", [S("StepLR")], 5)
    add("step-verbose", "verbose= was removed in torch 2.7", [S("StepLR", step_size=3, verbose=True)], 5)

    # MultiStepLR
    add("multistep-duplicate", "duplicated milestone applies gamma twice",
        [S("MultiStepLR", milestones=[5, 12, 12, 20])], 30)
    add("multistep-unsorted", "unsorted milestones", [S("MultiStepLR", milestones=[20, 5, 12], gamma=0.5)], 30)
    add("multistep-gamma-gt-1", "gamma 3", [S("MultiStepLR", milestones=[2, 4], gamma=3.0)], 10)
    add("multistep-zero", "milestone 0 applies at construction", [S("MultiStepLR", milestones=[0, 3])], 10)
    add("multistep-resume", "resume with last_epoch=4", [S("MultiStepLR", milestones=[5, 8], last_epoch=4)], 12)
    add("multistep-beyond", "milestones beyond the horizon", [S("MultiStepLR", milestones=[100, 200])], 20)

    # ConstantLR
    add("constant-default", "ConstantLR defaults (1/3 for 5 steps)", [S("ConstantLR")], 10)
    add("constant-factor-zero", "factor 0 crashes at total_iters", [S("ConstantLR", factor=0.0, total_iters=4)], 10)
    add("constant-total-zero", "total_iters=0 stays at factor x lr", [S("ConstantLR", factor=0.5, total_iters=0)], 8)
    add("constant-factor-gt-1", "factor 1.5 rejected", [S("ConstantLR", factor=1.5)], 5)
    add("constant-resume", "resume with last_epoch=2", [S("ConstantLR", factor=0.5, total_iters=4, last_epoch=2)], 8)
    add("constant-one", "factor 1.0", [S("ConstantLR", factor=1.0, total_iters=3)], 6)

    # LinearLR
    add("linear-default", "LinearLR defaults", [S("LinearLR")], 10)
    add("linear-warmup-groups", "warm-up from 0.01 over 10 steps, two groups",
        [S("LinearLR", start_factor=0.01, total_iters=10)], 15, [0.1, 0.3])
    add("linear-decay-to-zero", "decay from 1 to 0", [S("LinearLR", start_factor=1.0, end_factor=0.0,
                                                         total_iters=10)], 15)
    add("linear-total-zero", "total_iters=0 stays at start_factor x lr", [S("LinearLR", start_factor=0.5,
                                                                             total_iters=0)], 6)
    add("linear-start-zero", "start_factor 0 rejected", [S("LinearLR", start_factor=0.0)], 5)
    add("linear-end-gt-1", "end_factor 1.5 rejected", [S("LinearLR", end_factor=1.5)], 5)
    add("linear-resume", "resume keeps the current lr", [S("LinearLR", start_factor=0.2, total_iters=6,
                                                            last_epoch=3)], 10)
    add("linear-float-total", "total_iters=4.5", [S("LinearLR", start_factor=0.1, total_iters=4.5)], 10)

    # ExponentialLR
    add("exp-basic", "gamma 0.9", [S("ExponentialLR", gamma=0.9)], 50)
    add("exp-gamma-gt-1", "gamma 1.5 grows", [S("ExponentialLR", gamma=1.5)], 40)
    add("exp-negative", "gamma -0.9 flips sign", [S("ExponentialLR", gamma=-0.9)], 10)
    add("exp-resume", "resume keeps the current lr", [S("ExponentialLR", gamma=0.5, last_epoch=5)], 10)
    add("exp-zero", "gamma 0", [S("ExponentialLR", gamma=0.0)], 5)

    # PolynomialLR
    add("poly-default", "PolynomialLR defaults (to 0 in 5)", [S("PolynomialLR")], 10)
    add("poly-square", "power 2 over 10", [S("PolynomialLR", total_iters=10, power=2.0)], 15)
    add("poly-sqrt", "power 0.5 over 8", [S("PolynomialLR", total_iters=8, power=0.5)], 12)
    add("poly-negative-power", "power < 0 grows then crashes at total_iters",
        [S("PolynomialLR", total_iters=6, power=-1.0)], 12)
    add("poly-total-zero", "total_iters=0", [S("PolynomialLR", total_iters=0)], 5)
    add("poly-resume", "resume keeps the current lr", [S("PolynomialLR", total_iters=8, last_epoch=3)], 10)

    # CosineAnnealingLR
    add("cos-past-tmax", "T_max 10 stepped 35 times (periodic)", [S("CosineAnnealingLR", T_max=10)], 36)
    add("cos-eta-above-base", "eta_min 0.5 above lr 0.1 rises", [S("CosineAnnealingLR", T_max=8, eta_min=0.5)], 20)
    add("cos-eta-min", "eta_min 0.01, T_max 7, 100 steps", [S("CosineAnnealingLR", T_max=7, eta_min=0.01)], 100)
    add("cos-tmax-zero", "T_max 0 fails at the first step", [S("CosineAnnealingLR", T_max=0)], 5)
    add("cos-tmax-one", "T_max 1", [S("CosineAnnealingLR", T_max=1)], 10)
    add("cos-resume", "resume last_epoch=3", [S("CosineAnnealingLR", T_max=10, last_epoch=3)], 15)
    add("cos-long-groups", "T_max 50, 300 steps, two groups", [S("CosineAnnealingLR", T_max=50, eta_min=1e-4)],
        300, [0.1, 1.0])
    add("cos-float-tmax", "T_max 10.0 (float)", [S("CosineAnnealingLR", T_max=10.0)], 25)

    # CosineAnnealingWarmRestarts
    add("cawr-basic", "T_0 5", [S("CosineAnnealingWarmRestarts", T_0=5)], 40)
    add("cawr-tmult-2", "T_0 3, T_mult 2 (restarts 3, 9, 21)", [S("CosineAnnealingWarmRestarts", T_0=3, T_mult=2)],
        50)
    add("cawr-tmult-3", "T_0 1, T_mult 3", [S("CosineAnnealingWarmRestarts", T_0=1, T_mult=3)], 130)
    add("cawr-eta-min", "eta_min 0.05", [S("CosineAnnealingWarmRestarts", T_0=4, eta_min=0.05)], 20)
    add("cawr-t0-zero", "T_0 0 rejected", [S("CosineAnnealingWarmRestarts", T_0=0)], 5)
    add("cawr-t0-float", "T_0 10.0 rejected", [S("CosineAnnealingWarmRestarts", T_0=10.0)], 5)
    add("cawr-tmult-zero", "T_mult 0 rejected", [S("CosineAnnealingWarmRestarts", T_0=5, T_mult=0)], 5)
    add("cawr-resume", "resume last_epoch=7", [S("CosineAnnealingWarmRestarts", T_0=5, T_mult=2, last_epoch=7)], 30)
    add("cawr-eta-str", "eta_min as a string rejected", [S("CosineAnnealingWarmRestarts", T_0=5, eta_min="0")], 5)

    # CyclicLR
    add("cyclic-triangular", "triangular 0.01..0.1, up 5", [S("CyclicLR", base_lr=0.01, max_lr=0.1,
                                                               step_size_up=5)], 40)
    add("cyclic-triangular2", "triangular2, up 4 down 6", [S("CyclicLR", base_lr=0.001, max_lr=0.1, step_size_up=4,
                                                              step_size_down=6, mode="triangular2")], 60)
    add("cyclic-exp-range", "exp_range gamma 0.95", [S("CyclicLR", base_lr=0.01, max_lr=0.1, step_size_up=3,
                                                          mode="exp_range", gamma=0.95)], 40)
    add("cyclic-scale-fn-cycle", "scale_fn = module-level function, per cycle",
        [S("CyclicLR", base_lr=0.01, max_lr=0.1, step_size_up=3, scale_fn=fn("halving"))], 30)
    add("cyclic-scale-fn-iterations", "scale_fn per iteration",
        [S("CyclicLR", base_lr=0.01, max_lr=0.1, step_size_up=4, scale_fn=fn("inv_linear", rate=0.1),
           scale_mode="iterations")], 30)
    add("cyclic-adam", "Adam: cycles beta1", [S("CyclicLR", base_lr=1e-4, max_lr=1e-3, step_size_up=5)], 20,
        [1e-3], "Adam")
    add("cyclic-adagrad-momentum", "Adagrad has neither momentum nor betas",
        [S("CyclicLR", base_lr=0.01, max_lr=0.1)], 5, [0.01], "Adagrad")
    add("cyclic-adagrad-no-momentum", "Adagrad with cycle_momentum=False",
        [S("CyclicLR", base_lr=0.01, max_lr=0.1, step_size_up=4, cycle_momentum=False)], 20, [0.01], "Adagrad")
    add("cyclic-bad-mode", "invalid mode", [S("CyclicLR", base_lr=0.01, max_lr=0.1, mode="sine")], 5)
    add("cyclic-lists", "per-group base/max lists", [S("CyclicLR", base_lr=[0.01, 0.001], max_lr=[0.1, 0.01],
                                                        step_size_up=3)], 20, [0.1, 0.1])
    add("cyclic-list-wrong", "base_lr list of the wrong length", [S("CyclicLR", base_lr=[0.01, 0.02], max_lr=0.1)],
        5)
    add("cyclic-down-zero", "step_size_up 1, step_size_down 0", [S("CyclicLR", base_lr=0.01, max_lr=0.1,
                                                                      step_size_up=1, step_size_down=0)], 10)
    add("cyclic-resume", "resume last_epoch=10", [S("CyclicLR", base_lr=0.01, max_lr=0.1, step_size_up=4,
                                                     last_epoch=10)], 20)
    add("cyclic-rmsprop", "RMSprop (momentum in defaults)", [S("CyclicLR", base_lr=0.001, max_lr=0.01,
                                                                step_size_up=2)], 12, [0.01], "RMSprop")

    # OneCycleLR
    add("onecycle-cos-limit", "cos, 100 steps, stepped past the limit",
        [S("OneCycleLR", max_lr=0.1, total_steps=100)], 103)
    add("onecycle-linear-negative", "linear: negative lr at T", [S("OneCycleLR", max_lr=1.0, total_steps=20,
                                                                    anneal_strategy="linear")], 21)
    add("onecycle-three-phase", "three phases", [S("OneCycleLR", max_lr=0.1, total_steps=30, three_phase=True)], 31)
    add("onecycle-pct-zero", "pct_start 0.0 (no warm-up)", [S("OneCycleLR", max_lr=0.1, total_steps=20,
                                                               pct_start=0.0)], 21)
    add("onecycle-pct-int", "pct_start=1 (int) rejected", [S("OneCycleLR", max_lr=0.1, total_steps=20, pct_start=1)],
        5)
    add("onecycle-zero-phase", "pct_start*T == 1: ZeroDivisionError at construction",
        [S("OneCycleLR", max_lr=0.1, total_steps=10, pct_start=0.1)], 5)
    add("onecycle-epochs", "epochs x steps_per_epoch", [S("OneCycleLR", max_lr=0.05, epochs=3, steps_per_epoch=7)],
        25)
    add("onecycle-no-total", "neither total_steps nor epochs", [S("OneCycleLR", max_lr=0.1)], 5)
    add("onecycle-float-total", "total_steps=100.0 rejected", [S("OneCycleLR", max_lr=0.1, total_steps=100.0)], 5)
    add("onecycle-bad-anneal", "anneal_strategy 'exp'", [S("OneCycleLR", max_lr=0.1, total_steps=10,
                                                             anneal_strategy="exp")], 5)
    add("onecycle-adam", "Adam betas", [S("OneCycleLR", max_lr=1e-3, total_steps=25)], 26, [1e-3], "Adam")
    add("onecycle-adagrad", "Adagrad rejected with cycle_momentum", [S("OneCycleLR", max_lr=0.1, total_steps=10)], 5,
        [0.01], "Adagrad")
    add("onecycle-adagrad-off", "Adagrad with cycle_momentum=False",
        [S("OneCycleLR", max_lr=0.1, total_steps=15, cycle_momentum=False)], 16, [0.01], "Adagrad")
    add("onecycle-three-phase-late", "three phases with pct_start 0.6 never reach phase 3",
        [S("OneCycleLR", max_lr=0.1, total_steps=20, three_phase=True, pct_start=0.6)], 21)
    add("onecycle-lists", "max_lr per group", [S("OneCycleLR", max_lr=[0.1, 0.01], total_steps=12)], 13,
        [0.1, 0.1])
    add("onecycle-divs", "custom div factors, odd T", [S("OneCycleLR", max_lr=0.3, total_steps=7, pct_start=0.5,
                                                           div_factor=10.0, final_div_factor=100.0)], 8)

    # SequentialLR
    warm = S("LinearLR", start_factor=0.1, total_iters=5)
    add("seq-warmup-cosine", "LinearLR warm-up then cosine",
        [S("SequentialLR", [warm, S("CosineAnnealingLR", T_max=20)], milestones=[5])], 40)
    add("seq-constant-exp", "ConstantLR(0.1) then ExponentialLR: jump up at the milestone",
        [S("SequentialLR", [S("ConstantLR", factor=0.1, total_iters=10), S("ExponentialLR", gamma=0.9)],
           milestones=[3])], 20)
    add("seq-three", "Constant, StepLR, cosine",
        [S("SequentialLR", [S("ConstantLR", factor=0.5, total_iters=2), S("StepLR", step_size=2, gamma=0.5),
                            S("CosineAnnealingLR", T_max=6, eta_min=0.001)], milestones=[3, 10])], 25)
    add("seq-nested-first", "nested SequentialLR as the first child",
        [S("SequentialLR", [S("SequentialLR", [S("ConstantLR", factor=0.5, total_iters=10),
                                               S("ExponentialLR", gamma=0.9)], milestones=[2]),
                            S("StepLR", step_size=2)], milestones=[6])], 15)
    add("seq-nested-second", "nested SequentialLR as the second child",
        [S("SequentialLR", [S("ExponentialLR", gamma=0.9),
                            S("SequentialLR", [S("ConstantLR", factor=0.5, total_iters=10),
                                               S("ExponentialLR", gamma=0.8)], milestones=[2])],
           milestones=[4])], 12)
    add("seq-lambdas", "two LambdaLR children", [S("SequentialLR", [S("LambdaLR", lr_lambda=fn("warmup_zero",
                                                                                            warmup=4)),
                                                                     S("LambdaLR", lr_lambda=fn("exp_decay",
                                                                                                gamma=0.8))],
                                                   milestones=[4])], 15)
    add("seq-onecycle", "LinearLR then OneCycleLR", [S("SequentialLR", [warm, S("OneCycleLR", max_lr=0.5,
                                                                                  total_steps=10)],
                                                       milestones=[5])], 18)
    add("seq-plateau", "ReduceLROnPlateau inside SequentialLR rejected",
        [S("SequentialLR", [S("ReduceLROnPlateau"), S("StepLR", step_size=2)], milestones=[3])], 5)
    add("seq-milestone-count", "wrong number of milestones",
        [S("SequentialLR", [S("StepLR", step_size=2), S("StepLR", step_size=3)], milestones=[3, 5])], 5)
    add("seq-empty", "no schedulers", [S("SequentialLR", [], milestones=[])], 5)
    add("seq-duplicate-milestones", "duplicate milestones skip a child",
        [S("SequentialLR", [S("ExponentialLR", gamma=0.9), S("ConstantLR", factor=0.5, total_iters=2),
                            S("StepLR", step_size=2)], milestones=[5, 5])], 12)
    add("seq-swalr", "cosine then SWALR (annealing from the lr at the milestone)",
        [S("SequentialLR", [S("CosineAnnealingLR", T_max=10), S("SWALR", swa_lr=0.05, anneal_epochs=4)],
           milestones=[6])], 16)
    add("seq-cawr", "warm-up then warm restarts", [S("SequentialLR", [warm, S("CosineAnnealingWarmRestarts", T_0=4,
                                                                                T_mult=2)], milestones=[5])], 30)
    add("seq-linear-total-zero", "restarting LinearLR(total_iters=0) divides by zero at the milestone",
        [S("SequentialLR", [S("ExponentialLR", gamma=0.9), S("LinearLR", total_iters=0)], milestones=[3])], 8)
    add("seq-chained-first", "ChainedScheduler as the first child",
        [S("SequentialLR", [S("ChainedScheduler", [S("ConstantLR", factor=0.5, total_iters=3),
                                                   S("ExponentialLR", gamma=0.9)]),
                            S("StepLR", step_size=2)], milestones=[5])], 12)
    add("seq-cyclic", "CyclicLR then cosine", [S("SequentialLR", [S("CyclicLR", base_lr=0.01, max_lr=0.1,
                                                                        step_size_up=2),
                                                                     S("CosineAnnealingLR", T_max=5)],
                                                    milestones=[6])], 15)
    add("seq-milestone-zero", "milestone 0", [S("SequentialLR", [S("ExponentialLR", gamma=0.5),
                                                                   S("StepLR", step_size=2)], milestones=[0])], 8)

    # ChainedScheduler
    add("chain-constant-exp", "ConstantLR(0.5, 3) x ExponentialLR(0.9)",
        [S("ChainedScheduler", [S("ConstantLR", factor=0.5, total_iters=3), S("ExponentialLR", gamma=0.9)])], 12)
    add("chain-linear-cosine", "LinearLR warm-up x cosine",
        [S("ChainedScheduler", [S("LinearLR", start_factor=0.1, total_iters=5),
                                S("CosineAnnealingLR", T_max=20)])], 25)
    add("chain-step-lambda", "StepLR then LambdaLR: the closed form wipes the decay",
        [S("ChainedScheduler", [S("StepLR", step_size=2), S("LambdaLR", lr_lambda=fn("const"))])], 10)
    add("chain-empty", "no schedulers", [S("ChainedScheduler", [])], 5)
    add("chain-plateau", "ReduceLROnPlateau inside ChainedScheduler rejected",
        [S("ChainedScheduler", [S("StepLR", step_size=2), S("ReduceLROnPlateau")])], 5)
    add("chain-with-sequential", "SequentialLR inside ChainedScheduler",
        [S("ChainedScheduler", [S("SequentialLR", [S("ConstantLR", factor=0.5, total_iters=10),
                                                   S("ExponentialLR", gamma=0.9)], milestones=[3]),
                                S("MultiStepLR", milestones=[6], gamma=0.5)])], 12)

    # several schedulers on one optimizer
    add("two-step-exp", "StepLR + ExponentialLR both stepped multiply",
        [S("StepLR", step_size=3), S("ExponentialLR", gamma=0.5)], 12)
    add("two-step-lambda", "StepLR + LambdaLR(const 1): LambdaLR wipes the decay",
        [S("StepLR", step_size=2), S("LambdaLR", lr_lambda=fn("const"))], 10)
    add("two-lambda-step", "LambdaLR then StepLR", [S("LambdaLR", lr_lambda=fn("exp_decay", gamma=0.9)),
                                                    S("StepLR", step_size=3, gamma=0.5)], 12)
    add("two-cosine-warmup", "cosine + linear warm-up as two top-level schedulers",
        [S("CosineAnnealingLR", T_max=15), S("LinearLR", start_factor=0.2, total_iters=4)], 20)
    add("two-plateau-step", "ReduceLROnPlateau + StepLR", [S("ReduceLROnPlateau", patience=2), S("StepLR",
                                                                                             step_size=4)], 20)
    add("two-step-cyclic", "StepLR then CyclicLR: CyclicLR's first value uses the old initial_lr",
        [S("StepLR", step_size=3), S("CyclicLR", base_lr=0.01, max_lr=0.05, step_size_up=3)], 15)
    add("two-onecycle-step", "OneCycleLR + StepLR", [S("OneCycleLR", max_lr=0.1, total_steps=12),
                                                     S("StepLR", step_size=4)], 15)
    add("two-cosine-swalr", "cosine then SWALR on one optimizer", [S("CosineAnnealingLR", T_max=10),
                                                                   S("SWALR", swa_lr=0.02, anneal_epochs=3)], 12)

    # ReduceLROnPlateau (constant metric: never improves after the first call)
    add("plateau-default", "defaults (patience 10)", [S("ReduceLROnPlateau")], 60)
    add("plateau-cooldown-min", "patience 2, cooldown 3, min_lr 0.001",
        [S("ReduceLROnPlateau", patience=2, cooldown=3, min_lr=0.001)], 60)
    add("plateau-max-abs", "mode max, threshold abs", [S("ReduceLROnPlateau", mode="max", threshold_mode="abs",
                                                            threshold=0.01, patience=1, factor=0.5)], 30)
    add("plateau-negative-threshold", "negative rel threshold: a constant metric counts as improving",
        [S("ReduceLROnPlateau", threshold=-0.1, patience=1)], 15)
    add("plateau-factor-zero", "factor 0 goes straight to min_lr", [S("ReduceLROnPlateau", factor=0.0, patience=1,
                                                                         min_lr=1e-3)], 10)
    add("plateau-factor-one", "factor 1 rejected", [S("ReduceLROnPlateau", factor=1.0)], 5)
    add("plateau-bad-mode", "mode 'maximum' rejected", [S("ReduceLROnPlateau", mode="maximum")], 5)
    add("plateau-bad-threshold-mode", "threshold_mode 'relative' rejected",
        [S("ReduceLROnPlateau", threshold_mode="relative")], 5)
    add("plateau-min-lr-list", "min_lr per group", [S("ReduceLROnPlateau", patience=0, min_lr=[0.05, 0.0])], 10,
        [0.1, 0.1])
    add("plateau-min-lr-wrong", "min_lr list of the wrong length", [S("ReduceLROnPlateau", min_lr=[0.1, 0.2])], 5)
    add("plateau-big-eps", "eps 1.0 blocks every reduction", [S("ReduceLROnPlateau", patience=0, eps=1.0)], 10)
    add("plateau-patience-zero", "patience 0, many reductions down to eps", [S("ReduceLROnPlateau", patience=0)],
        30)

    # SWALR
    add("swa-cos", "cos to 0.05 over 5", [S("SWALR", swa_lr=0.05, anneal_epochs=5)], 12)
    add("swa-linear", "linear over 10", [S("SWALR", swa_lr=0.01, anneal_epochs=10, anneal_strategy="linear")], 15)
    add("swa-up", "swa_lr above lr rises", [S("SWALR", swa_lr=0.5, anneal_epochs=4)], 8)
    add("swa-zero-epochs", "anneal_epochs 0", [S("SWALR", swa_lr=0.02, anneal_epochs=0)], 5)
    add("swa-float-epochs", "anneal_epochs 2.5 rejected", [S("SWALR", swa_lr=0.02, anneal_epochs=2.5)], 5)
    add("swa-bad-strategy", "anneal_strategy 'exp' rejected", [S("SWALR", swa_lr=0.02, anneal_strategy="exp")], 5)
    add("swa-lists", "swa_lr per group", [S("SWALR", swa_lr=[0.05, 0.005], anneal_epochs=3)], 8, [0.1, 0.01])
    add("swa-resume", "SWALR resumed", [S("SWALR", swa_lr=0.05, anneal_epochs=4, last_epoch=3)], 8)
    add("swa-adam", "SWALR on Adam", [S("SWALR", swa_lr=1e-4, anneal_epochs=3)], 6, [1e-3], "Adam")
    return out


def main() -> int:
    import torch

    entries = []
    for config in configs():
        entries.append({**config, "expected": run_torch(config)})
    ids = [e["id"] for e in entries]
    assert len(ids) == len(set(ids)), "duplicate ids"
    head = {"torch_version": torch.__version__, "python": sys.version.split()[0], "metric_for_plateau": METRIC}
    # one configuration per line: readable diffs when torch changes a curve
    lines = [json.dumps(entry, separators=(",", ":")) for entry in entries]
    text = json.dumps(head)[:-1] + ', "configs": [\n' + ",\n".join(lines) + "\n]}\n"
    json.loads(text)
    GOLDEN_PATH.write_text(text)
    print(f"wrote {len(entries)} configurations to {GOLDEN_PATH}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
