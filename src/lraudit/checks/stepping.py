"""Stepping rules: where, how often and with what a scheduler's ``step()`` is called.

LR201 step-unit-mismatch, LR202 scheduler-step-before-optimizer-step, LR203 scheduler-never-stepped,
LR204 scheduler-stepped-twice, LR205 plateau-mode-mismatch, LR206 step-with-epoch-argument,
LR207 plateau-step-without-metric.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from ..facts import FileFacts, Known, SchedulerFact, StepSite, arms_exclusive
from ..registry import check
from ..results import Finding
from .common import (PLATEAU, UNKNOWN_CLASS_MARK, arg_loc, arg_plain, call_line, loop_chain, sched_label, short,
                     step_call, unit_mismatch)
from .context import CheckContext
from .frameworks import lightning_steps_it

# ============================================================================================ LR201


@check("LR201")
def step_unit_mismatch(ctx: CheckContext) -> Iterator[Finding]:
    for s in ctx.facts.schedulers:
        if s.cls.startswith("pytorch_warmup."):
            continue  # its mismatch is the one of the scheduler it dampens, reported there
        m = unit_mismatch(ctx.facts, s)
        if m is None or (m.site is None and lightning_steps_it(s)):
            continue  # a scheduler Lightning steps by its interval is LR401's
        yield ctx.finding(m.loc, scheduler=sched_label(s), sized=m.sized, evidence=m.evidence,
                          stepped=m.stepped, consequence=m.consequence)
    # a hand-written per-epoch decay inside the batch loop (extract/epoch_gates.py): applied once per batch
    for d in ctx.facts.extra.get("repeated_epoch_decays", ()):
        f = d["factor"]
        yield ctx.finding(d["loc"], scheduler=f"the hand-written decay {d['write']}", sized="epochs",
                          evidence=f"applied when {d['condition']}",
                          stepped=f"batch (it sits in the batch loop at line {d['batch_loop']})",
                          consequence=f"the condition holds for every batch of such an epoch, so the rate is "
                                      f"multiplied by {f:g} once per batch (len(loader) times) instead of once: "
                                      f"{f:g}^100 = {f ** 100:.3g} after a 100-batch epoch; move the decay out of the "
                                      f"batch loop, to the epoch loop")


# ============================================================================================ LR202


def _comparable(facts: FileFacts, a: StepSite, b: StepSite) -> bool:
    """True when the positions of ``a`` (scheduler) and ``b`` (optimizer) can be compared: the same function
    and ``a``'s loop encloses (or is) ``b``'s loop."""
    if a.loop_id is None or b.loop_id is None or a.via != b.via:
        return False
    return a.loop_id in loop_chain(facts, b.loop_id)


#: Per-batch hooks that run before the optimizer's step of the same batch (Lightning, Keras, HF callbacks, ignite).
_BEFORE_STEP_HOOK = re.compile(r"^(on_train_batch_start|on_train_batch_begin|on_batch_begin|on_batch_start|"
                               r"on_step_begin|on_before_optimizer_step|on_before_backward)\(\) runs once per batch$"
                               r"|^\w+\(\) runs at Events\.ITERATION_STARTED$")


def _call_chain(via: str) -> str:
    """``_train_or_test() called from train() called from the epoch loop at x.py:22`` -> ``_train_or_test(), in
    train()``: the function that steps, then the ones that call it, up to the call the loop makes."""
    names = [part.strip() for part in via.split(" called from the ", 1)[0].split(" called from ")]
    return names[0] + "".join(f", in {n}" for n in names[1:])


def _position(st: StepSite) -> tuple[str | None, int | None]:
    """(loop id, line) where ``st`` runs in its loop: its own line, or the line of the call that reaches it."""
    if st.via is None:
        return st.loop_id, st.loc.line
    return st.loop_id, call_line(st)


def _same_guard(ss: StepSite, os: StepSite) -> bool:
    """Every branch arm the scheduler's step lies in holds the optimizer's step too (or the loop's call that
    reaches it): both run under the same condition (the gradient-accumulation ``if (step + 1) % accum == 0:`` that
    wraps both calls, Deformable-ProtoPNet's ``else: joint_lr_scheduler.step(); tnt.train(optimizer=...)``), so
    their order inside it is the order of every update."""
    if not ss.arms:
        return False
    if set(ss.arms) <= set(os.arms):
        return True
    # the optimizer steps inside a function the loop calls: the call's arms are the ones to compare
    return bool(os.via) and not ss.via and set(ss.arms) <= set(os.call_arms)


def steps_before_optimizer(facts: FileFacts, s: SchedulerFact) -> tuple[StepSite, StepSite] | None:
    """(scheduler site, optimizer site) when the scheduler is stepped before its optimizer in the loop: in one
    body, across helpers called from the loop (the calls' order), or in a hook that runs before the step."""
    if s.framework == "unknown":
        return _unknown_before_optimizer(facts, s)
    if short(s.cls) in PLATEAU or s.optimizer is None or s.parent is not None:
        return None
    if s.framework not in ("torch", "hf") or s.cls.startswith("custom:"):
        return None
    opt_sites = [st for st in facts.optimizer_steps if st.target == s.optimizer and st.context in ("batch", "epoch")]
    for ss in s.step_sites:
        if ss.context not in ("batch", "epoch"):
            continue
        for os in opt_sites:
            if ss.conditional and not _same_guard(ss, os):
                continue  # a step under a condition of its own is taken as deliberate
            if _comparable(facts, ss, os):
                if ss.order < os.order:
                    return ss, os
                continue
            # event-driven: a per-batch hook that runs before the optimizer's step of the batch
            if ss.via and ss.context == "batch" and os.context == "batch" and _BEFORE_STEP_HOOK.match(ss.via) \
                    and os.via != ss.via:
                return ss, os
            # the optimizer is stepped in a helper called from the scheduler's loop, after the scheduler
            lp = facts.loop(ss.loop_id)
            call = call_line(os, (lp.loc.file or facts.path)) if lp is not None else None
            if call is not None and ss.via is None and lp is not None and ss.loc.file == lp.loc.file and \
                    lp.loc.line <= call <= lp.loc.end_line and ss.loc.line < call:
                return ss, os
            # helpers called from one loop: the order of the calls (or of a call and a direct step)
            (sl, sline), (ol, oline) = _position(ss), _position(os)
            if sline is None or oline is None or sl is None or ol is None or (ss.via and ss.via == os.via):
                continue
            if sl in loop_chain(facts, ol) and sline < oline:
                lp = facts.loop(ol)
                if ss.via is None and os.via is None:
                    continue  # same function: _comparable decided
                if lp is None or (sl == ol and not (lp.loc.line <= sline <= lp.loc.end_line)):
                    continue
                return ss, os
    return None


def _warm_start_step(facts: FileFacts, ss: StepSite, os: StepSite) -> bool:
    """An ``optimizer.step()`` run once before the loop (``optim.zero_grad(); optim.step()`` "to avoid a warning"):
    the optimizer then always steps before the scheduler, as PyTorch wants, and the schedule's first value is the one
    that warm-start step used, so the order inside the loop skips nothing."""
    lp = facts.loop(ss.loop_id)
    if lp is None:
        return False
    for st in facts.optimizer_steps:
        if st.target != os.target or st.loop_id is not None or st.context != "outside" or st.via is not None \
                or st.conditional:
            continue
        if st.loc.file == lp.loc.file and st.loc.line < lp.loc.line:
            return True
    return False


def _explicit_epoch(facts: FileFacts, ss: StepSite) -> bool:
    """``scheduler.step(epoch)`` with the epoch loop's own variable at the start of the epoch: the pre-1.1 protocol
    sets the rate *for* that epoch by its number, so the position of the call skips nothing (LR206 reports the
    deprecated argument)."""
    lp = facts.loop(ss.loop_id)
    if lp is None or lp.kind != "epoch" or ss.arg_kind != "epoch" or not ss.arg_text:
        return False
    return ss.arg_text.strip() in _names(lp.target_text)
def _unknown_before_optimizer(facts: FileFacts, s: SchedulerFact) -> tuple[StepSite, StepSite] | None:
    """A scheduler of unknown class (a parameter or attribute used as one): ``step()`` without an argument (an
    explicit epoch or metric may be what its class expects, as timm's and ReduceLROnPlateau's are) before the
    ``step()`` of the one optimizer stepped in the same body, with no optimizer step before it there."""
    for ss in s.step_sites:
        if ss.method != "step" or ss.arg_text is not None or ss.conditional or ss.context not in ("batch", "epoch"):
            continue
        opts = [os for os in facts.optimizer_steps if os.context in ("batch", "epoch") and _comparable(facts, ss, os)
                and not arms_exclusive(ss.arms, os.arms)]
        if len({os.target for os in opts}) != 1:
            continue
        before = [os for os in opts if ss.order < os.order]
        if before and len(before) == len(opts):
            return ss, before[0]
    return None


@check("LR202")
def scheduler_step_before_optimizer_step(ctx: CheckContext) -> Iterator[Finding]:
    facts = ctx.facts
    for s in facts.schedulers:
        pair = steps_before_optimizer(facts, s)
        if pair is None or _warm_start_step(facts, *pair) or _explicit_epoch(facts, pair[0]):
            continue
        ss, os = pair
        o = facts.optimizer(s.optimizer)
        loop = facts.loop(os.loop_id if os.loop_id == ss.loop_id else ss.loop_id)
        where = f"the {loop.kind} loop at line {loop.loc.line}" if loop is not None and loop.kind != "unknown" \
            else "the same loop"
        if ss.loop_id == os.loop_id:
            effect = ("every update runs one step ahead of the schedule, so its first value is skipped "
                      "(PyTorch warns: Detected call of lr_scheduler.step() before optimizer.step())")
        else:
            effect = ("the schedule advances before the first optimizer update, so its first value is skipped "
                      "(PyTorch warns: Detected call of lr_scheduler.step() before optimizer.step())")
        opt_line = str(os.loc.line)
        call = call_line(os) if os.via and os.via != ss.via else None
        if call is not None and os.via:
            opt_line += f" (inside {_call_chain(os.via)}, called at line {call})"
        sched_line = str(ss.loc.line)
        scall = call_line(ss) if ss.via and ss.via != os.via else None
        if scall is not None and ss.via:
            sched_line += f" (inside {_call_chain(ss.via)}, called at line {scall})"
        elif ss.via and _BEFORE_STEP_HOOK.match(ss.via):
            sched_line += f" ({ss.via}, before the batch's optimizer step)"
            where = "each batch"
        if s.framework == "unknown":
            effect = f"if {s.variable} is a PyTorch scheduler (its class is set where it is passed in), " + effect
        yield ctx.finding(ss.loc, call=f"{step_call(s)} ({short(s.cls)})" if s.framework != "unknown" else
                          f"{step_call(s)} {UNKNOWN_CLASS_MARK}", line=sched_line,
                          opt_call=step_call(o), opt_line=opt_line, where=where, effect=effect)


# ============================================================================================ LR203


@check("LR203")
def scheduler_never_stepped(ctx: CheckContext) -> Iterator[Finding]:
    facts = ctx.facts
    for s in facts.schedulers:
        if s.parent is not None or s.framework not in ("torch", "hf", "ignite"):
            continue
        if s.framework == "ignite":
            yield from _ignite_never_attached(ctx, s)
            continue
        if not s.kept:
            yield ctx.finding(s.loc, scheduler=sched_label(s),
                              state="built and immediately thrown away (the constructor's result is not kept)",
                              effect=_never_effect(s))
            continue
        if s.stepped != "never" or s.step_sites:
            continue
        if not s.variable or "." in s.variable or "[" in s.variable:
            continue  # kept on an object: something this file cannot see may step it
        loops = _training_loops_here(facts, s)
        if not loops:
            continue
        lines = ", ".join(str(x) for x in loops)
        yield ctx.finding(s.loc, scheduler=sched_label(s),
                          state=f"never stepped, although its optimizer is stepped in the loop at line {lines}",
                          effect=_never_effect(s))


def _ignite_never_attached(ctx: CheckContext, s: SchedulerFact) -> Iterator[Finding]:
    """An ignite param scheduler acts only as an event handler: built and discarded, or never attached while an
    engine of the file runs."""
    effect = "the optimizer keeps its own lr for the whole run"
    if not s.kept:
        yield ctx.finding(s.loc, scheduler=sched_label(s),
                          state="built and immediately thrown away (the constructor's result is not kept)",
                          effect=effect)
        return
    runs = ctx.facts.extra.get("ignite_engine_runs") or []
    if s.stepped != "never" or s.step_sites or s.handed_to or not runs:
        return
    if not s.variable or "." in s.variable or "[" in s.variable:
        return  # kept on an object: something this file cannot see may attach it
    lines = ", ".join(str(x) for x in runs)
    yield ctx.finding(s.loc, scheduler=sched_label(s),
                      state=f"never attached to an engine event (add_event_handler or attach), although the engine "
                            f"runs at line {lines}", effect=effect)


def _training_loops_here(facts: FileFacts, s: SchedulerFact) -> list[int]:
    """Lines of loops in the scheduler's own function where its optimizer is stepped."""
    out: list[int] = []
    for st in facts.optimizer_steps:
        if st.target != s.optimizer or st.via is not None or st.context not in ("batch", "epoch"):
            continue
        lp = facts.loop(st.loop_id)
        if lp is None or lp.function != s.function:
            continue
        # the scheduler must be built before (outside) that loop
        chain = loop_chain(facts, lp.id)
        top = facts.loop(chain[-1]) if chain else None
        if top is not None and top.loc.file == s.loc.file and top.loc.line > s.loc.line and top.loc.line not in out:
            out.append(top.loc.line)
    return sorted(out)


def _never_effect(s: SchedulerFact) -> str:
    name = short(s.cls)
    if s.cls.startswith("pytorch_warmup."):
        return "there is no warm-up (its constructor only multiplies the current rate by the first warm-up factor, once)"
    if name in PLATEAU:
        return "the rate is never reduced"
    return "the rate stays at its first value for the whole run"


# ============================================================================================ LR204


@check("LR204")
def scheduler_stepped_twice(ctx: CheckContext) -> Iterator[Finding]:
    facts = ctx.facts
    for s in facts.schedulers:
        if s.framework in ("manual", "keras", "timm"):
            continue  # hand-written schedules write the rate wherever they like; Keras steps for itself; timm's
            # step(epoch) and step_update(n) set the rate from the index they are given (one of them is a no-op)
        sites = [st for st in s.step_sites
                 if st.kind == "scheduler" and not st.conditional and st.context in ("batch", "epoch")
                 # an object of unknown class: only step() without an argument advances every class's counter
                 # (timm's step(epoch)/step_update(n) set the rate from the index they are given)
                 and (s.framework != "unknown" or (st.method == "step" and st.arg_text is None))]
        if s.framework == "ignite":
            yield from _ignite_attached_twice(ctx, s, sites)
            continue
        batch = [st for st in sites if st.context == "batch"]
        epoch = [st for st in sites if st.context == "epoch"]
        if batch and epoch:
            yield ctx.finding(epoch[0].loc, scheduler=sched_label(s),
                              how=f"once per batch (line {batch[0].loc.line}) and again once per epoch "
                                  f"(line {epoch[0].loc.line})",
                              effect="each epoch advances it by one step more than the number of batches, so it "
                                     "runs ahead of its own length")
            continue
        reported = False
        for group in (batch, epoch):
            by_loop: dict[str | None, list[StepSite]] = {}
            for st in group:
                by_loop.setdefault(st.loop_id, []).append(st)
            for lid, same in by_loop.items():
                locs = sorted({st.loc for st in same})
                if len(locs) >= 2 and lid is not None:
                    unit = "batch" if group is batch else "epoch"
                    yield ctx.finding(locs[1], scheduler=sched_label(s),
                                      how=f"twice in the same {unit} loop (lines {locs[0].line} and {locs[1].line})",
                                      effect=f"it advances two steps per {unit}, so it runs through its schedule "
                                             f"twice as fast")
                    reported = True
        if reported or s.parent is None:
            continue
        parent = facts.scheduler(s.parent)
        if parent is None:
            continue
        psites = [st for st in parent.step_sites if not st.conditional and st.context in ("batch", "epoch")]
        for st in sites:
            # a step through the parent in one arm and of the child itself in the other is one step per pass
            if any(p.context == st.context and not arms_exclusive(p.arms, st.arms) for p in psites):
                yield ctx.finding(st.loc, scheduler=sched_label(s),
                                  how=f"directly here and through its {short(parent.cls)} (line "
                                      f"{psites[0].loc.line})",
                                  effect=f"{short(parent.cls)} already steps it, so it advances twice per "
                                         f"{st.context}")
                break


def _ignite_attached_twice(ctx: CheckContext, s: SchedulerFact, sites: list[StepSite]) -> Iterator[Finding]:
    """An ignite handler attached to two events (or twice to one) of a run acts at each: its event counter
    advances twice as fast, or it writes its rate at two moments of each iteration."""
    attached = sorted({st.loc: st for st in sites}.values(), key=lambda st: st.loc)
    for i, first in enumerate(attached):
        for second in attached[i + 1:]:
            if arms_exclusive(first.arms, second.arms):
                continue
            a = (first.via or "").removeprefix("runs at ")
            b = (second.via or "").removeprefix("runs at ")
            yield ctx.finding(second.loc, scheduler=sched_label(s),
                              how=f"attached twice (line {first.loc.line}, at {a}, and line {second.loc.line}, at {b})",
                              effect="each attachment calls it, so its event counter advances twice per event and it "
                                     "runs through its schedule twice as fast")
            return


# ============================================================================================ LR205

_HIGHER = {"acc", "accuracy", "auc", "auroc", "roc", "f1", "fscore", "map", "iou", "miou", "bleu", "score", "dice",
           "psnr", "ssim", "precision", "prec", "recall", "rouge", "r2", "ndcg", "mrr", "reward", "return",
           "kappa", "mcc", "correct", "jaccard", "hit", "hits", "meteor", "cider", "spice",
           "sacrebleu", "chrf"}
_LOWER = {"loss", "err", "error", "errors", "perplexity", "ppl", "mse", "mae", "rmse", "nll", "cer", "wer", "ter",
          "fid", "distance", "dist", "cost", "bpc", "bpd", "regret", "mape", "smape", "kl", "ce", "xent"}
_SIMPLE = re.compile(r"^-?\s*[A-Za-z_][\w.]*(\s*\[[^\]]*\])*(\s*\.\s*\w+\(\))?(\s*\[[^\]]*\])*$")
_NEUTRAL = {"item", "self", "val", "valid", "validation", "test", "train", "eval", "epoch", "avg", "mean", "best",
            "metrics", "metric", "logs", "stats", "history", "results", "result", "cpu", "numpy", "detach",
            "value", "values", "data", "current", "curr", "cur", "last", "running", "total", "meter", "dev"}


def _words(part: str) -> list[str]:
    split = re.split(r"[^a-z0-9]+", re.sub(r"([a-z])([A-Z])", r"\1_\2", part).lower())
    whole = re.split(r"[^a-z0-9]+", part.lower())  # acronyms such as mAP stay one word
    words = []
    for w in dict.fromkeys(w for w in split + whole if w):
        if w in _NEUTRAL:
            continue
        if w not in _HIGHER and w not in _LOWER:  # plurals: losses, errors, accs
            for stem in (w[:-2] if w.endswith("es") else None, w[:-1] if w.endswith("s") else None):
                if stem and (stem in _HIGHER or stem in _LOWER):
                    w = stem
                    break
        words.append(w)
    return words


def _parts(t: str) -> list[str]:
    """The components of a name path, last first: ``scores["val"]["loss"]`` -> loss, val, scores; numeric
    indices (``[-1]``) and call parentheses are dropped."""
    parts: list[str] = []
    for m in re.finditer(r"\[\s*['\"]([^'\"]*)['\"]\s*\]|\[[^\]]*\]|([A-Za-z_]\w*)", t):
        if m.group(1) is not None:
            parts.append(m.group(1))
        elif m.group(2) is not None:
            parts.append(m.group(2))
    return list(reversed(parts))


def metric_direction(text: str | None) -> tuple[str, str] | None:
    """('max'|'min', the word that decided) for a metric expression such as ``val_acc``, ``metrics["val_loss"]``
    or ``meter.avg_loss``; None when the expression is not a plain name path or is ambiguous.

    The selected part decides first (the last key or attribute: ``scores["loss"]`` is a loss whatever
    ``scores`` says), then the ones before it; a part that names both directions makes the whole ambiguous."""
    if not text:
        return None
    t = text.strip()
    if not _SIMPLE.match(t):
        return None
    negated = t.startswith("-")
    for part in _parts(t.lstrip("-")):
        words = _words(part)
        hi = [w for w in words if w in _HIGHER]
        lo = [w for w in words if w in _LOWER]
        if hi and lo:
            return None
        if not hi and not lo:
            continue
        direction, word = ("max", hi[-1]) if hi else ("min", lo[-1])
        if negated:
            direction = "min" if direction == "max" else "max"
        return direction, word
    return None


def traced_direction(trace: tuple[tuple[str, bool], ...] | list[tuple[str, bool]]) -> tuple[str, str, str] | None:
    """('max'|'min', word, the expression that named it) when every expression of a metric's trace that names a
    direction agrees (after the flips of ``-x``/``1 - x``); None when none does or two disagree."""
    found: list[tuple[str, str, str]] = []
    for text, flipped in trace:
        d = metric_direction(text)
        if d is None:
            continue
        direction = d[0] if not flipped else ("min" if d[0] == "max" else "max")
        found.append((direction, d[1], text))
    if not found or len({f[0] for f in found}) != 1:
        return None
    return found[0]


def _monitored(s: SchedulerFact) -> list[tuple[str, object, tuple[tuple[str, bool], ...]]]:
    """(metric text, where, trace) triples: step(metric) arguments, and a monitor name (Lightning/Keras)."""
    out: list[tuple[str, object, tuple[tuple[str, bool], ...]]] = []
    for st in s.step_sites:
        if st.arg is not None and st.arg_text and st.arg_kind != "epoch":
            out.append((st.arg_text, st, st.arg_trace or ((st.arg_text, False),)))
    if isinstance(s.monitor, Known) and isinstance(s.monitor.value, str):
        out.append((s.monitor.value, None, ((s.monitor.value, False),)))
    return out


@check("LR205")
def plateau_mode_mismatch(ctx: CheckContext) -> Iterator[Finding]:
    for s in ctx.facts.schedulers:
        name = short(s.cls)
        if name not in PLATEAU and name != "ReduceLROnPlateau":
            continue
        mode_v = s.args.get("mode")
        if not isinstance(mode_v, Known) or mode_v.value not in ("min", "max"):
            continue
        mode = mode_v.value
        seen: set[str] = set()
        fix = _mode_fix(s, mode)
        for text, _, trace in _monitored(s):
            d = traced_direction(trace)
            if d is None or d[0] == mode or text in seen:
                continue
            seen.add(text)
            direction, word, named = d
            shown = text
            if named != text:
                flipped = any(f for t, f in trace if t == named)
                shown = f"{text} (from {'reversed ' if flipped else ''}{named})"
            better = "higher" if direction == "max" else "lower"
            stops = "falling" if mode == "min" else "rising"
            yield ctx.finding(arg_loc(s, "mode"), scheduler=sched_label(s), mode=mode, metric=shown, better=better,
                              stops=stops, word=word, autofix=fix)


_MODE_LITERAL = re.compile(r"""^([rRuU]?)(['"])(min|max)\2$""")


def _mode_fix(s: SchedulerFact, mode: str) -> object:
    """Unsafe (it changes when the rate is cut, to what the metric asks for): ``mode="min"`` -> ``mode="max"`` (or
    the reverse), when the mode is a string literal written in the call and every watched metric points the other
    way."""
    from .fixes import edit_at

    call = s.call
    kw = call.keyword("mode") if call is not None else None
    if kw is None:
        return None
    m = _MODE_LITERAL.match(kw.value_text)
    if m is None or m.group(3) != mode:
        return None
    directions = {d[0] for d in (traced_direction(trace) for _, _, trace in _monitored(s)) if d is not None}
    other = "max" if mode == "min" else "min"
    if directions != {other}:
        return None
    from ..results import Fix

    return Fix("unsafe", f"set mode={other!r}", (edit_at(kw.value_loc, f"{m.group(1)}{m.group(2)}{other}{m.group(2)}"),))


# ============================================================================================ LR206

_STEP_EPOCH_EXEMPT = {"CosineAnnealingWarmRestarts"} | set(PLATEAU)
#: torch schedulers whose step(epoch) computes the rate of that epoch from a closed form (``_get_closed_form_lr``)
_CLOSED_FORM = frozenset({"StepLR", "MultiStepLR", "ConstantLR", "LinearLR", "ExponentialLR", "PolynomialLR",
                          "CosineAnnealingLR"})


@check("LR206")
def step_with_epoch_argument(ctx: CheckContext) -> Iterator[Finding]:
    facts = ctx.facts
    for s in facts.schedulers:
        if s.framework == "timm" and s.parent is None:
            yield from _timm_step_arguments(ctx, s)
            continue
        if s.framework != "torch" or s.cls.startswith("custom:") or short(s.cls) in _STEP_EPOCH_EXEMPT:
            continue
        m = unit_mismatch(facts, s)
        for st in s.step_sites:
            if st.kind != "scheduler" or st.method != "step" or st.arg is None or not st.arg_text:
                continue
            if m is not None and m.site == st:
                continue  # LR201 reports it
            if short(s.cls) == "GradualWarmupScheduler" and st.arg_keyword == "metrics":
                continue  # step(epoch=None, metrics=None): the metric its ReduceLROnPlateau after-scheduler needs
            if st.arg_kind == "epoch" and short(s.cls) in _CLOSED_FORM:
                effect = (f"the epoch argument is deprecated since PyTorch 1.4 (a UserWarning at every call); "
                          f"{short(s.cls)} sets the rate of step {st.arg_text} from its closed form, which is "
                          f"exact only while {st.arg_text} counts the steps already taken (one epoch late when it is "
                          f"the index of the epoch just trained); call step() without an argument, and restore a "
                          f"resumed run with load_state_dict()")
            elif st.arg_kind == "epoch":
                effect = (f"the epoch argument is deprecated since PyTorch 1.4 (a UserWarning at every call); "
                          f"{short(s.cls)} jumps its step counter to {st.arg_text} instead of advancing it, so "
                          f"the schedule runs one step late or repeats a value unless {st.arg_text} is exactly the "
                          f"number of steps taken; call step() without an argument")
            else:
                effect = (f"{short(s.cls)}.step() takes no metric: the value is taken as the epoch number (with a "
                          f"deprecation warning), so the rate follows {st.arg_text} instead of the schedule; call "
                          f"step() without an argument")
            yield ctx.finding(st.loc, call=step_call(s, st.arg_text), effect=effect)


_ZERO_BASED = re.compile(r"^(?:tqdm\()?\s*range\(\s*(?:[^,()]+|0\s*,.*|[\w.]*start[\w.]*\s*,.*)\)\s*\)?$", re.I)


def _names(target_text: str) -> set[str]:
    return set(re.findall(r"[A-Za-z_]\w*", target_text))


def _timm_step_arguments(ctx: CheckContext, s: SchedulerFact) -> Iterator[Finding]:
    """timm schedulers take the epoch (or update count) on purpose: ``step(epoch)`` sets the rate *for* the epoch
    given, so after an epoch's training it must be given the next epoch (``epoch + 1``, as timm's train.py does);
    ``step_update(num_updates)`` needs the number of updates so far, not the batch index of the epoch."""
    facts = ctx.facts
    t_in_epochs = arg_plain(s, "t_in_epochs")
    per_epoch = t_in_epochs is not False
    for st in s.step_sites:
        if st.kind != "scheduler" or not st.arg_text or st.via is not None:
            continue
        arg = re.sub(r"\s+", "", st.arg_text)
        if st.method == "step" and per_epoch and st.context == "epoch":
            lp = facts.loop(st.loop_id)
            if lp is None or lp.kind != "epoch" or not _ZERO_BASED.match(lp.iter_text.strip()):
                continue
            var = next((n for n in _names(lp.target_text) if n == arg), None)
            plus_one = next((n for n in _names(lp.target_text) if arg in (f"{n}+1", f"1+{n}")), None)
            inner = [x for x in facts.loops if x.parent == lp.id and x.kind in ("batch", "iteration")]
            if not inner:
                continue
            after = all(x.loc.end_line < st.loc.line for x in inner)
            before = all(x.loc.line > st.loc.line for x in inner)
            if var and after:
                effect = (f"timm's step(epoch) sets the rate for the epoch it is given; called with {var} after that "
                          f"epoch's training, it sets again the rate the epoch just used, so every epoch trains "
                          f"at the previous epoch's rate: the schedule lags one epoch (epochs 0 and 1 share the first "
                          f"value; warm-up and decay "
                          f"end one epoch late); pass {var} + 1, as timm's train.py does")
            elif plus_one and before:
                effect = (f"timm's step(epoch) sets the rate for the epoch it is given; called before epoch "
                          f"{plus_one}'s training with {st.arg_text}, each epoch trains at the next epoch's rate, so "
                          f"the schedule's first value (the start of a warm-up) is never used; pass {plus_one}")
            else:
                continue
            yield ctx.finding(st.loc, call=step_call(s, st.arg_text), effect=effect)
        elif st.method == "step_update" and not per_epoch and st.context == "batch":
            for lid in loop_chain(facts, st.loop_id):
                lp = facts.loop(lid)
                if lp is None or lp.kind not in ("batch", "iteration") or arg not in _names(lp.target_text):
                    continue
                if lp.parent is None or facts.loop(lp.parent) is None:
                    break  # a single loop over all updates: its index is the update count
                effect = (f"step_update() needs the number of optimizer updates so far, but {st.arg_text} is the "
                          f"batch index of the loop at line {lp.loc.line}, which restarts at 0 every epoch: the "
                          f"per-update schedule repeats its first epoch's values for the whole run; count updates "
                          f"across epochs (num_updates += 1) as timm's train.py does")
                yield ctx.finding(st.loc, call=f"{s.variable or short(s.cls)}.step_update({st.arg_text})",
                                  effect=effect)
                break


# ============================================================================================ LR207


@check("LR207")
def plateau_step_without_metric(ctx: CheckContext) -> Iterator[Finding]:
    for s in ctx.facts.schedulers:
        name = short(s.cls)
        if name not in ("ReduceLROnPlateau", "get_reduce_on_plateau_schedule") or s.framework not in ("torch", "hf"):
            continue
        for st in s.step_sites:
            if st.kind == "scheduler" and st.method == "step" and st.arg is None:
                yield ctx.finding(st.loc, call=step_call(s), cls="ReduceLROnPlateau")


__all__ = [
    "step_unit_mismatch",
    "scheduler_step_before_optimizer_step",
    "scheduler_never_stepped",
    "scheduler_stepped_twice",
    "plateau_mode_mismatch",
    "step_with_epoch_argument",
    "plateau_step_without_metric",
    "steps_before_optimizer",
    "metric_direction",
]
