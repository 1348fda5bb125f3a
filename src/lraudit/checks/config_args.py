"""LR002 for schedulers that config files build (mmengine, mmcv 1.x, detectron2): arguments the library rejects
or silently mishandles. Facts only: each problem is ``(argument, what the library does)``; the finding lands
where the argument is written in the reported config (or the line that inherits it)."""

from __future__ import annotations

from typing import Any, Iterator

from ..facts import FileFacts, Known, SchedulerFact
from .common import arg_plain, fmt_value, short

INF = int(1e9)
_WARMUPS = ("LinearLR", "ConstantLR", "QuadraticWarmupLR")


def _int(x: Any) -> bool:
    return isinstance(x, int) and not isinstance(x, bool)


def _num(x: Any) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool)


def _loop(facts: FileFacts) -> tuple[str | None, int | None, int | None]:
    from ..catalog.mmengine_sim import loop_of

    return loop_of(facts)


def config_argument_problems(facts: FileFacts, s: SchedulerFact) -> Iterator[tuple[str, str]]:
    if s.framework == "mmengine" and not s.children:
        yield from _mmengine(facts, s)
    elif s.framework == "mmcv":
        yield from _mmcv(facts, s)
    elif s.framework == "detectron2":
        from ..configs.detectron2 import argument_problems

        yield from argument_problems(facts, s)


def _mmengine(facts: FileFacts, s: SchedulerFact) -> Iterator[tuple[str, str]]:
    name = short(s.cls)
    begin, end = arg_plain(s, "begin"), arg_plain(s, "end")
    by_epoch = arg_plain(s, "by_epoch")
    converted = bool(arg_plain(s, "convert_to_iter_based"))
    loop, epochs, iters = _loop(facts)
    if _num(begin) and _num(end) and end <= begin:
        yield "end", f"end={fmt_value(end)} is not after begin={fmt_value(begin)}: mmengine raises ValueError " \
                     f"(end should be larger than begin) when it builds the scheduler"
        return
    if loop == "iter" and by_epoch is True and not converted and name != "ReduceOnPlateauLR":
        yield "by_epoch", (f"by_epoch=True (the default) in an IterBasedTrainLoop: the runner steps epoch-based "
                           f"schedulers only after each epoch, which an iteration loop ends once, after the last "
                           f"iteration, so this scheduler never changes the rate during training; set "
                           f"by_epoch=False")
        return
    run = None  # the run's length in this scheduler's own steps
    unit = "epochs"
    if loop == "epoch" and epochs is not None and by_epoch is not False:
        run = epochs  # convert_to_iter_based rescales every length: the arguments still count epochs
    elif loop == "iter" and iters is not None:
        run, unit = iters, "iterations"
    if loop == "epoch" and epochs is not None and by_epoch is False and _int(end) and end == epochs and \
            name not in _WARMUPS and epochs > 1:
        yield "by_epoch", (f"by_epoch=False counts iterations, but end={end} equals the run's {epochs} epochs: "
                           f"the whole schedule is over after {end} iterations; set by_epoch=True (or count "
                           f"iterations)")
        return
    if run is None:
        return
    if _int(begin) and begin >= run:
        yield "begin", f"begin={begin} is not before the end of the run ({run} {unit}): the scheduler never acts"
        return
    if name == "MultiStepLR":
        ms = arg_plain(s, "milestones")
        b = begin if _int(begin) else 0
        if isinstance(ms, (list, tuple)) and ms and all(_int(m) for m in ms):
            stop = min(run, end) if _int(end) and end != INF else run
            # a milestone exactly at the end is the common "last boundary" (torch's MultiStepLR too: no finding);
            # one past it, or every milestone at or past it, is a decay the config asks for and never gets
            late = [m for m in ms if b + m > stop]
            if not late and all(b + m >= stop for m in ms):
                late = list(ms)
            if late:
                what = f"the end of the run ({run} {unit})" if stop == run else f"end={end}"
                counted = f" (mmengine counts milestones from begin={b})" if b else ""
                yield "milestones", (f"{_plural('milestone', late)} {fmt_value(late)} "
                                     f"{'fall' if len(late) > 1 else 'falls'} at or after {what}{counted}: "
                                     f"{'those decays never happen' if len(late) > 1 else 'that decay never happens'}")
    if name == "CosineAnnealingLR":
        t_max = arg_plain(s, "T_max")
        stop = min(run, end) if _int(end) and end != INF else run
        window = stop - (begin if _int(begin) else 0)
        if _num(t_max) and 0 < t_max < window:
            yield "T_max", (f"T_max={fmt_value(t_max)} is shorter than the {window} {unit} the scheduler runs "
                            f"(begin={begin if _int(begin) else 0} to {stop}): mmengine's cosine is periodic, so the "
                            f"rate reaches its minimum after {fmt_value(t_max)} {unit} and climbs back up")
    if name in _WARMUPS and _int(end) and end != INF and end > run:
        yield "end", f"the warm-up ends at {end} {unit}, after the run's {run}: the rate never reaches its peak"
    if name == "CosineAnnealingLR" and arg_plain(s, "T_max") is None and (not _int(end) or end == INF):
        yield "T_max", ("neither T_max nor end is set: mmengine anneals over end - begin = 1e9 steps, so the rate "
                        "never moves")


def _plural(word: str, items: list[Any]) -> str:
    return word if len(items) == 1 else word + "s"


def _mmcv(facts: FileFacts, s: SchedulerFact) -> Iterator[tuple[str, str]]:
    from ..catalog.mmcv_sim import DEFAULTS

    name = short(s.cls).replace("LrUpdaterHook", "")
    if name not in DEFAULTS:
        return
    loop, epochs, iters = _loop(facts)
    by_epoch = arg_plain(s, "by_epoch")
    warmup = arg_plain(s, "warmup")
    if warmup is not None:
        if warmup not in ("constant", "linear", "exp"):
            yield "warmup", f"warmup={warmup!r}: mmcv raises ValueError (use 'constant', 'linear' or 'exp')"
        wi = arg_plain(s, "warmup_iters")
        if _num(wi) and wi <= 0:
            yield "warmup_iters", f"warmup_iters={wi} with warmup={warmup!r}: mmcv's assertion fails at build"
        wr = arg_plain(s, "warmup_ratio")
        if _num(wr) and not 0 < wr <= 1:
            yield "warmup_ratio", f"warmup_ratio={wr} is outside (0, 1]: mmcv's assertion fails at build"
        if loop == "iter" and iters is not None and _num(wi) and wi >= iters and not arg_plain(s, "warmup_by_epoch"):
            yield "warmup_iters", f"the warm-up lasts {wi} iterations, at least the whole run ({iters})"
    if name in ("CosineAnnealing", "FlatCosineAnnealing", "LinearAnnealing", "CosineRestart"):
        a, b = arg_plain(s, "min_lr"), arg_plain(s, "min_lr_ratio")
        if (a is None) == (b is None):
            yield ("min_lr" if a is not None else "policy"), (
                "give exactly one of min_lr and min_lr_ratio: mmcv's assertion fails at build")
    if loop == "iter" and by_epoch is True and name != "Fixed":
        yield "by_epoch", (f"by_epoch=True (the default) with an IterBasedRunner: the runner never starts an "
                           f"epoch for the hook, so the {name} policy never changes the rate; set by_epoch=False")
        return
    if name in ("Cyclic", "OneCycle", "FlatCosineAnnealing"):
        yield from _mmcv_build(s, name, loop, iters)
    if name == "Step":
        st = arg_plain(s, "step")
        run = epochs if by_epoch is not False and loop == "epoch" else iters if loop == "iter" else None
        unit = "epochs" if by_epoch is not False else "iterations"
        if isinstance(st, list) and run is not None and all(_int(x) for x in st):
            late = [x for x in st if x > run] or ([x for x in st] if st and all(x >= run for x in st) else [])
            if late:
                yield "step", (f"{_plural('step', late)} {fmt_value(late)} "
                               f"{'are' if len(late) > 1 else 'is'} not before the end of the run ({run} {unit}): "
                               f"{'those decays never happen' if len(late) > 1 else 'that decay never happens'}")
        elif st is not None and not (_int(st) or isinstance(st, list)):
            hint = "; write it as a list" if isinstance(st, tuple) else ""
            yield "step", f"step={fmt_value(st)}: mmcv raises TypeError (\"step\" must be a list or integer){hint}"


def _mmcv_build(s: SchedulerFact, name: str, loop: str | None, iters: Any) -> Iterator[tuple[str, str]]:
    """What the policy's own constructor / ``before_run`` rejects (Cyclic's target_ratio, step_ratio_up, gamma,
    by_epoch; OneCycle's total_steps; FlatCosineAnnealing's start_percent), said with mmcv's message. Warm-up and
    min_lr arguments are judged above; a run length the config does not give is not judged here."""
    from ..catalog.mmcv_sim import Policy, SimError
    from ..facts import Known

    args = {k: v.value for k, v in s.args.items() if isinstance(v, Known)}
    if len(args) != len(s.args):
        return
    args["warmup"] = None
    if name == "FlatCosineAnnealing" and (args.get("min_lr") is None) == (args.get("min_lr_ratio") is None):
        return
    run = iters if loop == "iter" and _int(iters) else None
    try:
        Policy(name, args, None, run if run is not None else 10 ** 6 if name == "Cyclic" else None)
    except SimError as exc:
        msg = str(exc)
        if "needs the number" in msg:
            return
        arg = next((k for k in ("target_ratio", "step_ratio_up", "gamma", "anneal_strategy", "by_epoch", "total_steps",
                                "max_lr", "pct_start", "start_percent") if k in msg), "policy")
        if "greater than or equal" in msg:
            yield "total_steps", (f"total_steps={args.get('total_steps')} is shorter than the run ({run} iterations): "
                                  f"mmcv raises ValueError ({msg})")
            return
        what = f"{arg}={fmt_value(args[arg])}" if arg in args else f"{name} policy"
        hint = ""
        if arg == "target_ratio" and isinstance(args.get(arg), list) and len(args[arg]) in (1, 2):
            hint = f"; write it as a tuple, ({', '.join(fmt_value(x) for x in args[arg])}{',' * (len(args[arg]) == 1)})"
        yield arg, f"{what}: mmcv refuses it when the hook is built ({msg}){hint}"


def reported_by_lr002(facts: FileFacts, s: SchedulerFact) -> bool:
    """True when LR002 already reports this config scheduler's arguments (LR103/LR104/LR105 then stay quiet:
    one mistake, one finding)."""
    if s.framework not in ("mmengine", "mmcv", "detectron2"):
        return False
    targets = [s] + [facts.scheduler(c) for c in s.children]
    return any(t is not None and next(iter(config_argument_problems(facts, t)), None) is not None for t in targets)


__all__ = ["config_argument_problems", "reported_by_lr002"]
