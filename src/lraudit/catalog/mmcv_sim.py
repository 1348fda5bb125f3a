"""mmcv 1.x ``lr_config`` policies (``LrUpdaterHook`` subclasses), as mmcv's runners apply them.

``EpochBasedRunner``: before each epoch, a ``by_epoch`` policy sets ``get_lr(epoch)``; before each iteration
a policy with ``by_epoch=False`` sets ``get_lr(iter)``; the warm-up (``constant``/``linear``/``exp`` over
``warmup_iters`` iterations, or epochs with ``warmup_by_epoch``) multiplies the regular rate before each of the
first iterations. ``IterBasedRunner`` never calls ``before_train_epoch``, so a ``by_epoch`` policy never leaves
the base rate there. Formulas follow mmcv/runner/hooks/lr_updater.py (checked against recorded goldens:
tests/golden/make_mmcv1_golden.py).
"""

from __future__ import annotations

import math
from typing import Any, Sequence

DEFAULTS: dict[str, dict[str, Any]] = {
    "Fixed": {},
    "Step": {"step": None, "gamma": 0.1, "min_lr": None},
    "Exp": {"gamma": None},
    "Poly": {"power": 1.0, "min_lr": 0.0},
    "Inv": {"gamma": None, "power": 1.0},
    "CosineAnnealing": {"min_lr": None, "min_lr_ratio": None},
    "FlatCosineAnnealing": {"start_percent": 0.75, "min_lr": None, "min_lr_ratio": None},
    "CosineRestart": {"periods": None, "restart_weights": [1], "min_lr": None, "min_lr_ratio": None},
    "LinearAnnealing": {"min_lr": None, "min_lr_ratio": None},
    "OneCycle": {"max_lr": None, "total_steps": None, "pct_start": 0.3, "anneal_strategy": "cos",
                 "div_factor": 25, "final_div_factor": 1e4, "three_phase": False},
    "Cyclic": {"target_ratio": (10, 1e-4), "cyclic_times": 1, "step_ratio_up": 0.4, "anneal_strategy": "cos",
               "gamma": 1},
}
#: policies that only run per iteration: mmcv defaults their by_epoch to False and asserts it stays False
ITERATION_ONLY = ("OneCycle", "Cyclic")
COMMON = {"by_epoch": True, "warmup": None, "warmup_iters": 0, "warmup_ratio": 0.1, "warmup_by_epoch": False}


class SimError(Exception):
    pass


def policy_name(policy: str) -> str:
    """mmcv: ``policy.title()`` when given in lower case (``'step'`` -> ``Step``), else as written."""
    return policy.title() if policy == policy.lower() else policy


def annealing_cos(start: float, end: float, factor: float, weight: float = 1) -> float:
    return end + 0.5 * weight * (start - end) * (math.cos(math.pi * factor) + 1)


def annealing_linear(start: float, end: float, factor: float) -> float:
    return start + (end - start) * factor


class Policy:
    def __init__(self, name: str, args: dict[str, Any], max_epochs: int | None, max_iters: int | None) -> None:
        if name not in DEFAULTS:
            raise SimError(f"lr_config policy {name!r} is not simulated")
        a = dict(COMMON)
        if name in ITERATION_ONLY:
            a["by_epoch"] = False
        a.update(DEFAULTS[name])
        a.update(args)
        self.name, self.a = name, a
        self.max_epochs, self.max_iters = max_epochs, max_iters
        w = a["warmup"]
        if w is not None:
            if w not in ("constant", "linear", "exp"):
                raise SimError(f'"{w}" is not a supported type for warming up')
            if not a["warmup_iters"] > 0:
                raise SimError('"warmup_iters" must be a positive integer')
            if not 0 < a["warmup_ratio"] <= 1.0:
                raise SimError('"warmup_ratio" must be in range (0,1]')
        if name == "Step":
            st = a["step"]
            if isinstance(st, list):  # mmcv: isinstance(step, list) (a tuple raises TypeError below)
                if not all(isinstance(s, int) and s > 0 for s in st):
                    raise SimError("step must be positive integers")
            elif isinstance(st, int) and not isinstance(st, bool):
                if st <= 0:
                    raise SimError("step must be positive")
            else:
                raise SimError('"step" must be a list or integer')
        if name in ("CosineAnnealing", "FlatCosineAnnealing", "LinearAnnealing", "CosineRestart"):
            if (a["min_lr"] is None) == (a["min_lr_ratio"] is None):
                raise SimError("exactly one of min_lr and min_lr_ratio must be given")
        if name == "FlatCosineAnnealing":
            sp = a["start_percent"]
            if not isinstance(sp, float) or sp < 0 or sp > 1:
                raise SimError(f"expected float between 0 and 1 start_percent, but got {sp}")
        if name == "Cyclic":
            self._cyclic_init(a, max_iters)
        if name == "CosineRestart":
            if len(a["periods"]) != len(a["restart_weights"]):
                raise SimError("periods and restart_weights should have the same length.")
            self.cumulative = [sum(a["periods"][0:i + 1]) for i in range(len(a["periods"]))]
        if name == "OneCycle":
            if a["by_epoch"]:
                raise SimError('currently only support "by_epoch" = False')
            m = a["max_lr"]
            if not isinstance(m, (int, float, list, dict)):  # numbers.Number (bool included), list, dict
                raise SimError(f"the type of max_lr must be the one of list or dict, but got {type(m)}")
            if a["total_steps"] is not None and not isinstance(a["total_steps"], int):
                raise SimError(f"the type of total_steps must be int, butgot {type(a['total_steps'])}")
            total = a["total_steps"] if a["total_steps"] is not None else max_iters
            if total is None:
                raise SimError("OneCycle needs the number of iterations")
            if max_iters is not None and total < max_iters:
                raise SimError(f"The total steps must be greater than or equal to max iterations {max_iters} of "
                               f"runner, but total steps is {total}.")
            p = a["pct_start"]
            if not isinstance(p, float) or p < 0 or p > 1:
                raise SimError(f"expected float between 0 and 1 pct_start, but got {p}")
            if a["three_phase"]:
                self.phases = [[float(p * total) - 1, 1, a["div_factor"]],
                               [float(2 * p * total) - 2, a["div_factor"], 1], [total - 1, 1, 1 / a["final_div_factor"]]]
            else:
                self.phases = [[float(p * total) - 1, 1, a["div_factor"]],
                               [total - 1, a["div_factor"], 1 / a["final_div_factor"]]]

    def _cyclic_init(self, a: dict[str, Any], max_iters: int | None) -> None:
        """CyclicLrUpdaterHook.__init__ and before_run: the up phase and the down phase of one cycle."""
        tr = a["target_ratio"]
        if isinstance(tr, float):
            tr = (tr, tr / 1e5)
        elif isinstance(tr, tuple):
            tr = (tr[0], tr[0] / 1e5) if len(tr) == 1 else tr
        else:
            raise SimError(f"target_ratio should be either float or tuple, got {type(tr)}")
        if len(tr) != 2:
            raise SimError('"target_ratio" must be list or tuple of two floats')
        if not 0 <= a["step_ratio_up"] < 1.0:
            raise SimError('"step_ratio_up" must be in range [0,1)')
        if not 0 < a["gamma"] <= 1:
            raise SimError('"gamma" must be in range (0, 1]')
        if a["anneal_strategy"] not in ("cos", "linear"):
            raise SimError(f'anneal_strategy must be one of "cos" or "linear", instead got {a["anneal_strategy"]}')
        if a["by_epoch"]:
            raise SimError('currently only support "by_epoch" = False')
        if max_iters is None:
            raise SimError("Cyclic needs the number of iterations")
        self.target_ratio = tr
        self.max_iter_per_phase = max_iters // a["cyclic_times"]
        up = int(a["step_ratio_up"] * self.max_iter_per_phase)
        self.cyclic_phases = [[0, up, 1, tr[0]], [up, self.max_iter_per_phase, tr[0], tr[1]]]

    def base(self, optimizer_lr: float) -> float:
        if self.name == "OneCycle":
            m = self.a["max_lr"]
            m = m[0] if isinstance(m, (list, tuple)) else m
            return m / self.a["div_factor"]
        return optimizer_lr

    def target(self, base: float) -> float:
        return base * self.a["min_lr_ratio"] if self.a["min_lr_ratio"] is not None else self.a["min_lr"]

    def get_lr(self, base: float, epoch: int, it: int) -> float:
        a, n = self.a, self.name
        by_epoch = a["by_epoch"]
        progress = epoch if by_epoch else it
        max_progress = self.max_epochs if by_epoch else self.max_iters
        if n == "Fixed":
            return base
        if n == "Step":
            st = a["step"]
            if isinstance(st, int):
                exp = progress // st
            else:
                exp = len(st)
                for i, s in enumerate(st):
                    if progress < s:
                        exp = i
                        break
            lr = base * a["gamma"] ** exp
            return max(lr, a["min_lr"]) if a["min_lr"] is not None else lr
        if n == "Exp":
            return base * a["gamma"] ** progress
        if n == "Inv":
            return base * (1 + a["gamma"] * progress) ** (-a["power"])
        if n in ("Poly", "CosineAnnealing", "LinearAnnealing", "FlatCosineAnnealing") and not max_progress:
            raise SimError(f"{n} needs max_{'epochs' if by_epoch else 'iters'} of the runner")
        if n == "Poly":
            coeff = (1 - progress / max_progress) ** a["power"]
            return (base - a["min_lr"]) * coeff + a["min_lr"]
        if n == "CosineAnnealing":
            return annealing_cos(base, self.target(base), progress / max_progress)
        if n == "LinearAnnealing":
            return annealing_linear(base, self.target(base), progress / max_progress)
        if n == "FlatCosineAnnealing":
            start = round(max_progress * a["start_percent"])
            p, mp = progress - start, max_progress - start
            if p < 0:
                return base
            return annealing_cos(base, self.target(base), p / mp)
        if n == "CosineRestart":
            idx = next((i for i, p in enumerate(self.cumulative) if progress < p), None)
            if idx is None:
                raise SimError(f"Current iteration {progress} exceeds cumulative_periods {self.cumulative}")
            weight = a["restart_weights"][idx]
            nearest = 0 if idx == 0 else self.cumulative[idx - 1]
            alpha = min((progress - nearest) / a["periods"][idx], 1)
            return annealing_cos(base, self.target(base), alpha, weight)
        if n == "OneCycle":
            start_iter = 0.0
            for end_iter, s_lr, e_lr in self.phases:
                if it <= end_iter:
                    pct = (it - start_iter) / (end_iter - start_iter)
                    f = annealing_cos if a["anneal_strategy"] == "cos" else annealing_linear
                    return f(base * s_lr, base * e_lr, pct)
                start_iter = end_iter
            raise SimError(f"OneCycle stepped past its total steps at iteration {it}")
        if n == "Cyclic":
            if not self.max_iter_per_phase:
                raise SimError("integer division or modulo by zero: max_iters // cyclic_times is 0")
            curr, cycle = it % self.max_iter_per_phase, it // self.max_iter_per_phase
            scale = a["gamma"] ** cycle
            f = annealing_cos if a["anneal_strategy"] == "cos" else annealing_linear
            for start_iter, end_iter, start_ratio, end_ratio in self.cyclic_phases:
                if start_iter <= curr < end_iter:
                    if start_iter == 0:
                        end_ratio = 1 - scale + end_ratio * scale
                    else:
                        start_ratio = 1 - scale + start_ratio * scale
                    return f(base * start_ratio, base * end_ratio, (curr - start_iter) / (end_iter - start_iter))
            raise SimError(f"Cyclic has no phase for iteration {it}")  # mmcv would set the rate to None
        return base

    def warmup_lr(self, regular: float, cur: int, warmup_iters: int) -> float:
        w, r = self.a["warmup"], self.a["warmup_ratio"]
        if w == "constant":
            return regular * r
        if w == "linear":
            k = (1 - cur / warmup_iters) * (1 - r)
            return regular * (1 - k)
        k = r ** (1 - cur / warmup_iters)
        return regular * k


def per_iteration(name: str, args: dict[str, Any]) -> bool:
    a = dict(COMMON)
    if name in ITERATION_ONLY:
        a["by_epoch"] = False
    a.update(args)
    return not a["by_epoch"] or a["warmup"] is not None


def run(name: str, args: dict[str, Any], optimizer_lr: float, runner: str, max_epochs: int | None,
        max_iters: int | None, epoch_length: int | None, want: Sequence[int] | None = None) -> list[float]:
    """The rate of each epoch (a by_epoch policy without warm-up in an epoch runner) or of each iteration."""
    if runner == "epoch" and epoch_length and max_epochs is not None:
        max_iters = max_epochs * epoch_length
    pol = Policy(name, args, max_epochs, max_iters)
    a = pol.a
    base = pol.base(optimizer_lr)
    warmup_iters = a["warmup_iters"]
    if a["warmup_by_epoch"]:
        warmup_iters = a["warmup_iters"] * epoch_length if epoch_length else None
    lr = base
    out: list[float] = []
    if runner == "epoch" and not per_iteration(name, args):
        for e in range(max_epochs or 0):
            out.append(pol.get_lr(base, e, 0))
        return out
    total = max_iters or 0
    if runner == "iter" and a["by_epoch"]:
        # IterBasedRunner never calls before_train_epoch: regular_lr stays empty and nothing is ever set
        return [optimizer_lr] * total
    regular = base
    for t in range(total):
        epoch = t // epoch_length if (runner == "epoch" and epoch_length) else 0
        if runner == "epoch" and epoch_length and t % epoch_length == 0 and a["by_epoch"]:
            regular = pol.get_lr(base, epoch, t)  # before_train_epoch
            lr = regular
        if warmup_iters is None:
            raise SimError("warmup_by_epoch needs the number of iterations per epoch")
        if not a["by_epoch"]:
            regular = pol.get_lr(base, epoch, t)
            lr = regular if a["warmup"] is None or t >= warmup_iters else pol.warmup_lr(regular, t, warmup_iters)
        elif a["warmup"] is not None and t <= warmup_iters:
            lr = regular if t == warmup_iters else pol.warmup_lr(regular, t, warmup_iters)
        out.append(lr)
    return out


# --------------------------------------------------------------------------------- facts -> curve

def simulate(facts: Any, s: Any, opts: Any) -> Any:
    from ..facts import Known
    from ..results import Curve
    from ..simulate import RelativeOnly, Unresolved, _dense_or_sampled, _optimizer_spec
    from .mmengine_sim import ASSUMED_EPOCH_LENGTH, MAX_SIMULATED, loop_of

    loop, epochs, iters = loop_of(facts)
    name = s.cls.rsplit(".", 1)[-1].replace("LrUpdaterHook", "")
    relative = assumption = None
    if not name and s.description:  # the policy itself is unknown: the fact says why (configs/mmcv.py)
        return Curve(None, None, 0, "", "epoch", error=s.description)
    try:
        try:
            base = _optimizer_spec(facts, s, name == "OneCycle").lrs[0]
        except RelativeOnly as rel:
            base, relative = 1.0, f"{rel}; the curve shows multiples of that rate"
        args: dict[str, Any] = {}
        for k, v in s.args.items():
            if not isinstance(v, Known):
                raise Unresolved(f"{k} is unknown: {v.reason}")
            args[k] = v.value
        runner = loop or "epoch"
        iterwise = per_iteration(name, args)
        epoch_length = None
        if runner == "epoch" and (iterwise or args.get("warmup_by_epoch")):
            epoch_length = ASSUMED_EPOCH_LENGTH
            assumption = (f"iterations per epoch are decided by the dataset; the curve assumes {epoch_length} "
                          f"to show the shape")
        if runner == "epoch" and epochs is None:
            raise Unresolved("the number of epochs is not set (runner.max_epochs)")
        if runner == "iter" and iters is None:
            raise Unresolved("the number of iterations is not set (runner.max_iters)")
        if runner == "epoch" and not iterwise:
            length, source = epochs, f"{epochs} epochs (runner.max_epochs)"
        elif runner == "epoch":
            length = epochs * epoch_length  # type: ignore[operator]
            source = f"{epochs} epochs (runner.max_epochs) x {epoch_length} assumed iterations per epoch"
        else:
            length, source = iters, f"{iters} iterations (runner.max_iters)"
        if length > MAX_SIMULATED:
            raise Unresolved(f"a run of {length:,} steps is longer than lraudit simulates ({MAX_SIMULATED:,})")
        full = run(name, args, base, runner, epochs, iters, epoch_length)
        if opts.steps is not None:
            full = (full + [full[-1]] * opts.steps)[: opts.steps] if full else full
            length, source = opts.steps, f"--steps {opts.steps}"
        lr, steps, summary = _dense_or_sampled(lambda n: full[:n], length, opts,
                                               lambda idx: [full[min(i, len(full) - 1)] for i in idx])
    except Unresolved as exc:
        return Curve(None, None, 0, "", "epoch", error=str(exc))
    except SimError as exc:
        return Curve(None, None, 0, "", "epoch", error=f"mmcv raises: {exc}")
    except (TypeError, ValueError, ZeroDivisionError, OverflowError, KeyError, IndexError) as exc:
        return Curve(None, None, 0, "", "epoch", error=f"mmcv would fail: {type(exc).__name__}: {exc}")
    unit = "step" if (iterwise or runner == "iter") else "epoch"
    if relative:
        assumption = f"{assumption}; {relative}" if assumption else relative
    return Curve(lr, steps, length, source, unit, assumption=assumption, summary=summary,  # type: ignore[arg-type]
                 relative=relative is not None)


__all__ = ["DEFAULTS", "COMMON", "ITERATION_ONLY", "Policy", "run", "policy_name", "simulate", "SimError"]
