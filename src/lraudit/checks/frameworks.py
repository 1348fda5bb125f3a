"""Framework-wiring rules: how Lightning, Keras and accelerate step a schedule the script hands them.

LR401 lightning-interval-mismatch, LR402 lightning-plateau-without-monitor, LR403 keras-callback-on-schedule,
LR404 multi-process-step-count.

The unit evidence of LR401 is :func:`common.unit_mismatch` (the same judgement as LR201); LR401 owns it for a
scheduler Lightning steps itself (returned from ``configure_optimizers`` and not stepped in the file), and LR201
leaves those to it (see :func:`lightning_steps_it`).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from ..facts import FileFacts, Known, OptimizerFact, SchedulerFact
from ..registry import check
from ..results import Finding
from .common import opt_label, provenance, sched_label, short, tidy, unit_mismatch
from .context import CheckContext

# ============================================================================================ LR401


def lightning_steps_it(s: SchedulerFact) -> bool:
    """True for a scheduler returned from ``configure_optimizers`` that the file never steps itself: Lightning
    steps it once per ``interval`` (automatic optimization). A step() written in the module (manual
    optimization) makes it an ordinary scheduler again."""
    if s.interval is None or s.parent is not None:
        return False
    return not any(st.kind == "scheduler" for st in s.step_sites)


def _interval_words(s: SchedulerFact) -> str:
    iv = s.interval
    assert isinstance(iv, Known)
    if iv.source == "Lightning default interval":
        return 'without "interval" (Lightning\'s default is "epoch")'
    return f'with "interval": "{iv.value}"'


@check("LR401")
def lightning_interval_mismatch(ctx: CheckContext) -> Iterator[Finding]:
    facts = ctx.facts
    for s in facts.schedulers:
        if not lightning_steps_it(s) or not isinstance(s.interval, Known) or s.interval.value not in ("epoch",
                                                                                                    "step"):
            continue
        m = unit_mismatch(facts, s)
        if m is None:
            continue
        per = "optimizer step" if s.interval.value == "step" else "epoch"
        if m.sized == "steps":
            fix = 'add "interval": "step" to its scheduler config'
        else:
            fix = 'drop "interval": "step" or convert its length to optimizer steps'
        yield ctx.finding(s.loc, scheduler=sched_label(s), sized=m.sized, evidence=m.evidence,
                          returned=_interval_words(s), per=per, consequence=m.consequence, fix=fix)


# ============================================================================================ LR402

_LIGHTNING_PLATEAU = {"ReduceLROnPlateau", "get_reduce_on_plateau_schedule"}


@check("LR402")
def lightning_plateau_without_monitor(ctx: CheckContext) -> Iterator[Finding]:
    for s in ctx.facts.schedulers:
        if short(s.cls) not in _LIGHTNING_PLATEAU or not lightning_steps_it(s):
            continue
        if not isinstance(s.interval, Known) or s.stepped not in ("epoch", "batch"):
            continue  # returned under a key Lightning drops, or manual optimization that never steps it
        if s.monitor is not None:
            continue  # named in the scheduler config or at the top level (possibly from a variable)
        yield ctx.finding(s.loc, scheduler=sched_label(s), metric=_metric_hint(s))


def _metric_hint(s: SchedulerFact) -> str:
    mode = s.args.get("mode")
    return "val_acc" if isinstance(mode, Known) and mode.value == "max" else "val_loss"


# ============================================================================================ LR403

_SETTING_CALLBACKS = {"LearningRateScheduler": "at the start of the first epoch",
                      "ReduceLROnPlateau": "the first time it lowers the rate (after patience epochs without "
                                           "improvement)"}


def _schedule_owner(facts: FileFacts, oid: str | None) -> tuple[OptimizerFact, SchedulerFact] | None:
    o = facts.optimizer(oid)
    if o is None or o.framework != "keras" or o.lr_is_schedule is None:
        return None
    sched = facts.scheduler(o.lr_is_schedule)
    if sched is None:
        return None
    return o, sched


@check("LR403")
def keras_callback_on_schedule(ctx: CheckContext) -> Iterator[Finding]:
    facts = ctx.facts
    for s in facts.schedulers:
        name = short(s.cls)
        if s.framework != "keras" or name not in _SETTING_CALLBACKS or s.stepped != "epoch":
            continue  # a callback not passed to fit() never runs
        owner = _schedule_owner(facts, s.optimizer)
        if owner is None:
            continue
        o, sched = owner
        yield ctx.finding(s.loc, writer=f"the {name} callback", optimizer=opt_label(o),
                          schedule=short(sched.cls), line=str(sched.loc.line), when=_SETTING_CALLBACKS[name])
    for w in facts.lr_writes:
        owner = _schedule_owner(facts, w.optimizer)
        if owner is None:
            continue
        o, sched = owner
        where = f" in {w.function}()" if w.function else ""
        yield ctx.finding(w.loc, writer=f"setting the rate to {w.value_text}{where}", optimizer=opt_label(o),
                          schedule=short(sched.cls), line=str(sched.loc.line), when="when this line runs")


# ============================================================================================ LR404


_LEN = re.compile(r"len\([^()]*\)")


def _length_words(facts: FileFacts, s: SchedulerFact) -> str:
    """How the first length argument is written: "num_training_steps uses len(train_loader)"."""
    for key in ("num_training_steps", "total_steps", "T_max", "total_iters", "step_size", "num_warmup_steps"):
        v = s.args.get(key)
        if v is None or (isinstance(v, Known) and v.source.endswith("default")):
            continue
        words = provenance(v)
        m = _LEN.search(words)
        if m:
            return f"{key} uses {m.group(0)}"
        return f"{key} from {tidy(words, facts.path)}"
    return "its lengths"


@check("LR404")
def multi_process_step_count(ctx: CheckContext) -> Iterator[Finding]:
    facts = ctx.facts
    info: dict[str, Any] = facts.extra.get("accelerate") or {}
    for sid in sorted(info):
        entry = info[sid]
        s = facts.scheduler(sid)
        if s is None or not isinstance(entry, dict):
            continue
        per_call, sizing = entry.get("steps_per_call"), entry.get("sizing")
        scaled = bool(entry.get("scaled_by_num_processes"))
        prepared_at = entry.get("prepare_line")
        if per_call == "num_processes" and sizing == "per_process":
            yield ctx.finding(
                s.loc, scheduler=sched_label(s),
                sized="for one process",
                evidence=f"{_length_words(facts, s)} of the sharded dataloader accelerator.prepare() returned, not "
                         f"multiplied by num_processes",
                stepped=f"prepared at line {prepared_at}, every scheduler.step() advances it num_processes times",
                consequence="on 8 processes it is over after 1/8 of the run and stays at its final rate; multiply "
                            "its lengths by accelerator.num_processes or size it from the dataloader before "
                            "prepare()")
        elif per_call == 1 and scaled:
            yield ctx.finding(
                s.loc, scheduler=sched_label(s),
                sized="for all processes",
                evidence=f"{_length_words(facts, s)}, multiplied by num_processes",
                stepped="accelerate advances it once per call here (split_batches=True or "
                        "step_scheduler_with_optimizer=False)",
                consequence="on 8 processes the run ends after 1/8 of the schedule; do not multiply by "
                            "num_processes")


__all__ = [
    "lightning_steps_it",
    "lightning_interval_mismatch",
    "lightning_plateau_without_monitor",
    "keras_callback_on_schedule",
    "multi_process_step_count",
]
