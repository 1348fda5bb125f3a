"""Wiring rules: which objects set, step, rebuild and save the learning rate.

LR301 competing-lr-writers, LR302 scheduler-optimizer-mismatch, LR303 optimizer-recreated-in-loop,
LR304 scheduler-state-not-checkpointed, LR305 lr-update-not-applied.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from ..facts import FileFacts, LrWrite, OptimizerFact, SchedulerFact, StepSite
from ..registry import check
from ..results import Finding
from .common import (
    PLATEAU,
    active_writer,
    arg_loc,
    call_line,
    competing_pairs,
    keras_callback_erases,
    keras_callback_pairs,
    is_default,
    loop_chain,
    opt_label,
    overwrites_rate,
    sched_label,
    short,
)
from .context import CheckContext

TRAINING_LOOPS = ("epoch", "batch", "iteration")

# ============================================================================================ LR301


@check("LR301")
def competing_lr_writers(ctx: CheckContext) -> Iterator[Finding]:
    facts = ctx.facts
    for o in facts.optimizers:
        for a, b in competing_pairs(facts, o.id):
            writer, other = (a, b) if overwrites_rate(a) else (b, a)
            consequence = (f"{short(writer.cls)} recomputes the rate from its own formula at every step, so "
                           f"{short(other.cls)}'s changes are erased"
                           + (" (the plateau cuts never last)" if short(other.cls) in PLATEAU else "")
                           + "; combine them with SequentialLR or ChainedScheduler, or keep one")
            yield ctx.finding(b.loc, first=sched_label(a), second=sched_label(b), optimizer=opt_label(o),
                              consequence=consequence)
        for a, b, fit_line in keras_callback_pairs(facts, o.id):
            writer, other = (a, b) if keras_callback_erases(facts, a) else (b, a)
            how = ("from its schedule(epoch), which ignores the current rate" if writer.framework == "keras" else
                   "from the epoch alone" if writer.stepped == "epoch" else "without reading the current rate")
            when = "at the start of every epoch" if writer.stepped == "epoch" else "at every batch"
            consequence = (f"both run in the fit() at line {fit_line}; {sched_label(writer)} sets the rate {when} "
                           f"{how}, so {sched_label(other)}'s changes are erased"
                           + (" (the plateau cuts never last)" if short(other.cls) in PLATEAU else "")
                           + "; write one schedule(epoch, lr) that does both, or keep one")
            yield ctx.finding(b.loc, first=sched_label(a), second=sched_label(b), optimizer=opt_label(o),
                              consequence=consequence)
        scheds = [s for s in facts.schedulers if s.optimizer == o.id and s.parent is None and active_writer(s)]
        writes = [w for w in facts.lr_writes if w.optimizer == o.id and w.context in ("batch", "epoch")
                  and not _write_conditional(w)]
        if not writes or not scheds:
            continue
        s = scheds[0]
        writes = [w for w in writes if not hands_over(w, s)]
        if not writes:
            continue
        w = writes[0]
        if overwrites_rate(s):
            consequence = f"{short(s.cls)} overwrites the written value at its next step"
        elif short(s.cls) in PLATEAU:
            consequence = "the manual write undoes every cut ReduceLROnPlateau makes"
        else:
            consequence = (f"{short(s.cls)} keeps multiplying whatever was written, so the two schedules compound "
                           f"into a rate neither describes")
        yield ctx.finding(w.loc, first=sched_label(s), second=f"the write {_write_text(w)} (line {w.loc.line})",
                          optimizer=opt_label(o), consequence=consequence)


def hands_over(w: LrWrite, s: SchedulerFact) -> bool:
    """A write whose value is computed from the scheduler's own value: YOLO's warm-up ``x['lr'] = np.interp(ni,
    [0, nw], [0.0, x['initial_lr'] * lf(epoch)])`` with ``LambdaLR(optimizer, lf)``, or ``g['lr'] =
    scheduler.get_last_lr()[0] * warmup``. It moves the rate toward what the scheduler would set (a warm-up into the
    schedule), so the scheduler's next step continues it instead of erasing a competing schedule."""
    if not overwrites_rate(s):
        return False  # a chainable scheduler multiplies the written value: the two compound (reported)
    text = re.sub(r"\s+", "", w.code or w.value_text)
    own = [f"{s.variable}.get_last_lr(", f"{s.variable}.get_lr(", f"{s.variable}._last_lr"] if s.variable else []
    fn = re.sub(r"\s+", "", s.arg_texts.get("lr_lambda", ""))
    if short(s.cls) == "LambdaLR" and re.fullmatch(r"[A-Za-z_][\w.]*", fn):
        # the scheduler's value is initial_lr x lr_lambda(epoch): the lambda applied to the group's initial rate
        if re.search(rf"(?<![\w.]){re.escape(fn)}\(", text) and re.search(r"initial_lr|base_lr", text):
            return True
    return any(o in text for o in own)


def _write_conditional(w: LrWrite) -> bool:
    return bool(getattr(w, "conditional", False))


def _write_text(w: LrWrite) -> str:
    return f"param_group['lr'] = {w.value_text}"


# ============================================================================================ LR302


@check("LR302")
def scheduler_optimizer_mismatch(ctx: CheckContext) -> Iterator[Finding]:
    facts = ctx.facts
    stepped = {st.target for st in facts.optimizer_steps}
    if not stepped:
        return
    for s in facts.schedulers:
        if s.parent is not None or s.optimizer is None or s.stepped == "never":
            continue
        o = facts.optimizer(s.optimizer)
        if o is None:
            continue
        replacement = _replacement(facts, o, s, stepped)
        if replacement is not None:
            problem = (f"{o.variable} is replaced by a new {short(replacement.cls)} at line {replacement.loc.line}, "
                       f"after the scheduler was built; the loop steps the new optimizer, whose rate the schedule "
                       f"never touches")
        elif s.optimizer not in stepped:
            trained = _stepped_alongside(facts, s, stepped)
            if trained is None or "unknown" in (o.framework, trained.framework):
                # (a parameter of unknown class is whatever its caller passes in: the scheduler's optimizer and the
                # one stepped may be the same object, as when main() hands one optimizer to get_lr_scheduler()
                # and to fit())
                continue
            problem = (f"{opt_label(o)} is never stepped, while {opt_label(trained)} is stepped in the same loop: "
                       f"the schedule changes the rate of an optimizer that does not train")
        else:
            continue
        yield ctx.finding(arg_loc(s, "optimizer"), scheduler=sched_label(s), optimizer=opt_label(o),
                          opt_line=str(o.loc.line), problem=problem)


def _replacement(facts: FileFacts, o: OptimizerFact, s: SchedulerFact, stepped: set[str]) -> OptimizerFact | None:
    """A new optimizer bound to the same name after ``s`` was built, stepped after that, with no scheduler of
    the same name rebuilt for it (a second training stage rebuilds both)."""
    if not o.variable:
        return None
    for o2 in facts.optimizers:
        if o2.id == o.id or o2.variable != o.variable or o2.function != o.function:
            continue
        if o2.id in s.optimizer_candidates or o2.loc.file != s.loc.file or o2.loc <= s.loc:
            continue  # an alternative the scheduler may be built on (if/elif), or lines of another file
        if o2.id not in stepped or o2.loop_id is not None:
            continue  # not trained, or rebuilt inside the loop (LR303 reports that)
        if not any(st.loc.file == o2.loc.file and st.loc > o2.loc for st in s.step_sites):
            continue  # the scheduler is not stepped after the replacement
        if any(s2.id != s.id and s2.variable == s.variable and s2.function == s.function
               and (s2.loc.file != o2.loc.file or s2.loc > o2.loc)
               for s2 in facts.schedulers):
            continue  # the scheduler is rebuilt after the new optimizer: a second training stage
        return o2
    return None


def _stepped_alongside(facts: FileFacts, s: SchedulerFact, stepped: set[str]) -> OptimizerFact | None:
    """Another optimizer stepped in a loop where this scheduler is stepped (same loop or an enclosing one)."""
    loops = {st.loop_id for st in s.step_sites if st.loop_id is not None}
    if not loops:
        return None
    for st in facts.optimizer_steps:
        if st.target != s.optimizer and (loops & set(loop_chain(facts, st.loop_id)) or _called_in(facts, st, loops)):
            return facts.optimizer(st.target)
    return None


def _called_in(facts: FileFacts, st: StepSite, loops: set[str]) -> bool:
    """Whether the step runs inside a function that one of ``loops`` calls (``train(g_model, ..., g_optimizer)`` in
    the epoch loop, stepping the optimizer in its own batch loop)."""
    for lid in loops:
        lp = facts.loop(lid)
        if lp is None:
            continue
        line = call_line(st, lp.loc.file or facts.path)
        if line is not None and lp.loc.line <= line <= lp.loc.end_line:
            return True
    return False


# ============================================================================================ LR303


@check("LR303")
def optimizer_recreated_in_loop(ctx: CheckContext) -> Iterator[Finding]:
    facts = ctx.facts
    for o in facts.optimizers:
        lp = facts.loop(o.loop_id)
        if lp is None or lp.kind not in TRAINING_LOOPS or _created_conditionally(o) or _is_outer_loop(facts, lp.id):
            continue
        if o.probe:
            continue  # it trains nothing (a probe of a schedule, a do-nothing optimizer): it has no state to lose
        attached = [s for s in facts.schedulers if s.optimizer == o.id and s.loop_id is None]
        consequence = (f"every {_unit(lp.kind)} starts from a fresh {short(o.cls)}, losing its momentum and "
                       f"running averages")
        older = [s for s in facts.schedulers if s.loop_id is None and s.optimizer is not None and
                 s.optimizer != o.id and s.function == o.function and _same_variable(facts, s.optimizer, o)]
        if older:
            consequence += f", and {sched_label(older[0])} keeps driving the optimizer built before the loop"
        elif attached:
            consequence += f", and {sched_label(attached[0])} is tied to only one of them"
        yield ctx.finding(o.loc, what=f"the optimizer {opt_label(o)}", kind=lp.kind, line=str(lp.loc.line),
                          consequence=consequence)
    for s in facts.schedulers:
        lp = facts.loop(s.loop_id)
        if lp is None or lp.kind not in TRAINING_LOOPS or _created_conditionally(s) or _is_outer_loop(facts, lp.id):
            continue
        if s.parent is not None:
            parent = facts.scheduler(s.parent)
            if parent is not None and parent.loop_id == s.loop_id:
                continue  # reported once, on the wrapper
        opt = facts.optimizer(s.optimizer)
        if opt is not None and opt.loop_id == s.loop_id:
            continue  # the optimizer is rebuilt with it: one finding, on the optimizer
        yield ctx.finding(s.loc, what=f"the scheduler {sched_label(s)}", kind=lp.kind, line=str(lp.loc.line),
                          consequence=f"every {_unit(lp.kind)} builds a new {short(s.cls)} that starts its schedule "
                                      f"from step 0, so the rate never gets past its first values")


def _is_outer_loop(facts: FileFacts, loop_id: str) -> bool:
    """True when ``loop_id`` is an outer loop (folds, trials, stages), not a training loop, whatever its variable
    is called: an epoch loop runs inside it, or it is not an epoch loop and another training loop runs inside."""
    outer = facts.loop(loop_id)
    for lp in facts.loops:
        if lp.id == loop_id or lp.kind not in TRAINING_LOOPS:
            continue
        if lp.kind != "epoch" and outer is not None and outer.kind == "epoch":
            continue  # batches inside an epoch loop: the epoch loop is a training loop
        parent = facts.loop(lp.parent)
        while parent is not None:
            if parent.id == loop_id:
                return True
            parent = facts.loop(parent.parent)
    return False


def _unit(kind: str) -> str:
    return {"epoch": "epoch", "batch": "batch", "iteration": "iteration"}.get(kind, "pass")


def _created_conditionally(x: object) -> bool:
    return bool(getattr(x, "conditional", False))


def _same_variable(facts: FileFacts, opt_id: str, o: OptimizerFact) -> bool:
    other = facts.optimizer(opt_id)
    return other is not None and other.variable is not None and other.variable == o.variable


# ============================================================================================ LR304


@check("LR304")
def scheduler_state_not_checkpointed(ctx: CheckContext) -> Iterator[Finding]:
    facts = ctx.facts
    scheds = [s for s in facts.schedulers if s.parent is None and s.framework == "torch" and
              s.stepped not in ("never",) and s.step_sites]
    if not scheds:
        return
    for s in facts.schedulers:
        le = s.args.get("last_epoch")
        if "last_epoch" in s.arg_locs or (le is not None and not is_default(le)):
            return  # the script resumes its schedule through last_epoch (even when it is -1 on a fresh run)
    if facts.extra.get("scheduler_state_restored"):
        return  # the script restores the schedule's position itself (load_state_dict, last_epoch = ...)
    names = ", ".join(sched_label(s) for s in scheds[:2])
    for cp in sorted(facts.checkpoints, key=lambda c: c.loc):
        if cp.saves_optimizer and not cp.saves_scheduler:
            verb = "saves" if cp.kind == "save" else "restores"
            yield ctx.finding(cp.loc, verb=verb, schedulers=names,
                              effect="a resumed run restarts the schedule from its first step (save and load "
                                     "scheduler.state_dict() too)")
            return  # one finding per file, at the first such save: the advice is the same for every save


# ============================================================================================ LR305


@check("LR305")
def lr_update_not_applied(ctx: CheckContext) -> Iterator[Finding]:
    for c in ctx.facts.unapplied_lrs:
        yield ctx.finding(c.loc, name=c.name, reason=c.reason)


__all__ = [
    "competing_lr_writers",
    "scheduler_optimizer_mismatch",
    "optimizer_recreated_in_loop",
    "scheduler_state_not_checkpointed",
    "lr_update_not_applied",
]
