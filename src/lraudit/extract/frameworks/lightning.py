"""Lightning: ``configure_optimizers`` return values (config dicts, their ``interval``/``frequency``), the
Trainer's ``max_epochs``/``max_steps``, and schedulers stepped by hand in a LightningModule."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import libcst as cst

from ...catalog import lookup
from ...facts import FileFacts, Known, SchedulerFact, StepSite, Unknown, Value
from ..imports import dotted
from ..index import CallSite, ClassInfo, Ctx, Indexer
from ..objects import ObjectFlow
from ..values import LITERAL, Resolver
from .base import FactsBuilder, ASSUMED_LEN, _kw, _method, _num, _qual, _replace_sched, _site_step, _stepped_of, _surely_before, _with_extra


LIGHTNING_MODULE_BASES = ("LightningModule",)


def _is_lightning_trainer(q: str) -> bool:
    from ...catalog.lightning import TRAINER

    return q == TRAINER.qualname or q in TRAINER.aliases or q == "pl.Trainer"


def _lightning_trainer_attributes(flow: ObjectFlow, ix: Indexer, resolver: Resolver) -> None:
    """What ``self.trainer.max_epochs`` / ``max_steps`` / ``estimated_stepping_batches`` are, when the
    Lightning Trainer call in this file states it (one Trainer, or several that agree)."""
    if not (ix.imports.mentions("lightning") or ix.imports.mentions("pytorch_lightning")):
        return
    found: dict[str, list[Value]] = {"max_epochs": [], "max_steps": []}
    smoke: Unknown | None = None  # the first Trainer(fast_dev_run=...) call's reason
    for site in ix.calls:
        if not _is_lightning_trainer(_qual(flow, site)):
            continue
        fast = _fast_dev_run(site, resolver)
        if fast is not None:  # a smoke test (or perhaps one): not the run the schedule is sized for
            smoke = smoke or fast
            for key in found:
                found[key].append(fast)
            continue
        for key in found:
            node = _kw(site.node, key)
            v: Value = resolver.resolve(node, site.ctx, site.seq) if node is not None else Known(
                None if key == "max_epochs" else -1, "Lightning default")
            if isinstance(v, Known):
                v = Known(v.value, f"Trainer({key}=...) at {resolver.where(site.node)}"
                          + (f" ({v.source})" if v.source not in (LITERAL, "Lightning default") else ""))
            found[key].append(v)
    if not found["max_epochs"]:
        return
    for key, vals in found.items():
        if all(isinstance(v, Known) for v in vals) and len({repr(v.value) for v in vals}) == 1:  # type: ignore
            v = vals[0]
            if key == "max_epochs" and v.value is None:
                steps = vals and found["max_steps"][0]
                if isinstance(steps, Known) and (steps.value is None or steps.value == -1):
                    v = Known(1000, "Lightning's default max_epochs (no max_epochs or max_steps given)")
                else:
                    continue
            if key == "max_steps" and not (_num(v.value) and v.value > 0):
                continue  # -1 or None: no step limit
            resolver.known_attributes[f"self.trainer.{key}"] = v
    if smoke is not None:  # the horizon says why it is not known (a smoke test), instead of "no epoch loop found"
        resolver.known_attributes["self.trainer.max_epochs"] = smoke
        resolver.known_attributes["self.trainer.max_steps"] = smoke
    ms = resolver.known_attributes.get("self.trainer.max_steps")
    me = [v for v in found["max_epochs"] if isinstance(v, Known) and v.value is not None]
    if isinstance(ms, Known) and _num(ms.value) and ms.value > 0 and not me:
        resolver.known_attributes["self.trainer.estimated_stepping_batches"] = Known(
            ms.value, f"estimated_stepping_batches = max_steps ({ms.source})")


def _fast_dev_run(site: CallSite, resolver: Resolver) -> Unknown | None:
    """``Trainer(fast_dev_run=True)`` / ``fast_dev_run=n``: a smoke test of n batches in one epoch, not the run a
    schedule is sized for, so the run's length is unknown (rules about the horizon stay quiet); also unknown when
    the flag is not known; None when it is off or not given."""
    node = _kw(site.node, "fast_dev_run")
    if node is None:
        return None
    v = resolver.resolve(node, site.ctx, site.seq)
    where = resolver.where(site.node)
    if not isinstance(v, Known):
        return Unknown(f"Trainer(fast_dev_run=...) at {where} is not known ({getattr(v, 'reason', '')}); it may "
                       "cut the run to a few batches")
    if v.value is True or (type(v.value) is int and not isinstance(v.value, bool) and v.value > 0):
        return Unknown(f"Trainer(fast_dev_run={v.value!r}) at {where} is a smoke test of "
                       f"{1 if v.value is True else v.value} batch(es), not the run the schedule is sized for")
    return None


# ----------------------------------------------------------------------------------------- Lightning
def _lightning_modules(ix: Indexer) -> list[ClassInfo]:
    out: list[ClassInfo] = []
    changed = True
    while changed:
        changed = False
        for ci in ix.classes.values():
            if ci in out:
                continue
            if any(b.rsplit(".", 1)[-1] in LIGHTNING_MODULE_BASES or b in {m.name for m in out} for b in ci.bases):
                out.append(ci)
                changed = True
    return out


def _lightning(facts: FileFacts, flow: ObjectFlow, ix: Indexer, resolver: Resolver, builder: FactsBuilder) -> FileFacts:
    modules = _lightning_modules(ix)
    if not modules:
        return facts
    # horizon from Trainer(max_epochs=, max_steps=)
    epochs: Value = resolver.known_attributes.get("self.trainer.max_epochs") or facts.horizon.epochs
    max_steps = resolver.known_attributes.get("self.trainer.max_steps")
    if not isinstance(facts.horizon.epochs, Known) and isinstance(epochs, Known):
        facts = replace(facts, horizon=replace(facts.horizon, epochs=epochs))
    if not isinstance(facts.horizon.total_steps, Known) and isinstance(max_steps, Known):
        facts = replace(facts, horizon=replace(facts.horizon, total_steps=max_steps))
    total = facts.horizon.total_steps
    unknown_keys: dict[str, list[str]] = {}
    for ci in modules:
        manual = any(isinstance(r.value, cst.Name) and r.value.value == "False"
                     for r in ci.attrs.get("automatic_optimization", []))
        co = ci.methods.get("configure_optimizers")
        if co is None:
            continue
        configs: list[tuple] = []
        for expr, rctx in co.returns:
            configs.extend(_lightning_configs(flow, resolver, expr, rctx))
        configs = _merge_configs(configs)
        order = list(dict.fromkeys(c[0] for c in configs if facts.scheduler(c[0]) is not None))
        explicit, opt_sites = _lightning_explicit_steps(facts, ix, ci, builder, order)
        for sid, interval, frequency, monitor, extra_keys in configs:
            s = facts.scheduler(sid)
            if s is None:
                continue
            if extra_keys:
                unknown_keys[sid] = extra_keys
            sites = _merge_sites(s.step_sites, explicit.get(sid, []))
            contexts = [x.context for x in sites]
            if interval is None:
                facts = _replace_sched(facts, replace(
                    s, stepped=_stepped_of(contexts), monitor=monitor, horizon=Unknown(
                        f"configure_optimizers returns it under {', '.join(repr(k) for k in extra_keys)}, keys "
                        "Lightning ignores (with a warning): only 'lr_scheduler' is stepped"),
                    step_sites=tuple(sites)))  # type: ignore[arg-type]
                continue
            if not manual:
                # Lightning steps it itself (no call in the source: not a step site)
                every_step = isinstance(interval, Known) and interval.value == "step"
                contexts.append("batch" if every_step else "epoch" if isinstance(interval, Known) else "unknown")
            stepped = _stepped_of(contexts)
            entry = lookup(s.cls)
            unit = s.unit if entry is None or entry.unit != "either" else ("step" if stepped == "batch" else "epoch")
            horizon = epochs if stepped == "epoch" else total if stepped == "batch" else Unknown(
                "the scheduler is never stepped (manual optimization)" if stepped == "never" else
                "the scheduler is stepped both per batch and per epoch" if stepped == "both" else
                f"whether Lightning steps it per batch or per epoch is not known: "
                f"{getattr(interval, 'reason', 'its interval is not known')}")
            facts = _replace_sched(facts, replace(
                s, interval=interval, monitor=monitor, stepped=stepped, unit=unit,  # type: ignore[arg-type]
                horizon=horizon, horizon_source=getattr(horizon, "source", None),
                step_sites=tuple(sorted(sites, key=lambda x: x.loc))))
            facts = _lightning_assumed(facts, facts.scheduler(sid), epochs)  # type: ignore[arg-type]
        steps = _merge_sites(facts.optimizer_steps, opt_sites)
        if not manual:
            # automatic optimization steps every optimizer returned by configure_optimizers once per batch
            for o in facts.optimizers:
                if o.function == f"{ci.name}.configure_optimizers" and not any(x.target == o.id for x in steps):
                    steps.append(StepSite(o.id, "optimizer", "step", o.loc, "batch", None, (),
                                          via="Lightning steps it once per batch (automatic optimization)"))
        facts = replace(facts, optimizer_steps=tuple(sorted(steps, key=lambda x: (x.loc, x.target))))
    if unknown_keys:
        facts = _with_extra(facts, "lightning_unknown_keys", unknown_keys)
    return facts


def _merge_sites(found: Any, explicit: list[StepSite]) -> list[StepSite]:
    """The generic pass may already know a call (with its argument); the Lightning view adds the context."""
    out = list(found)
    for e in explicit:
        same = next((i for i, g in enumerate(out) if g.target == e.target and g.loc == e.loc), None)
        if same is None:
            out.append(e)
        else:
            out[same] = replace(out[same], context=e.context, via=e.via)
    return out


def _lightning_assumed(facts: FileFacts, s: SchedulerFact, epochs: Value) -> FileFacts:
    """Arguments sized with ``self.trainer.estimated_stepping_batches`` (known only while training runs):
    the curve is shown with an assumed number of batches per epoch."""
    if s is None:
        return facts
    unknown = [k for k, v in s.args.items() if isinstance(v, Unknown) and "estimated_stepping_batches" in v.reason]
    if not unknown:
        return facts
    if not (isinstance(epochs, Known) and _num(epochs.value) and epochs.value > 0):
        return facts
    guess = Known(int(epochs.value) * ASSUMED_LEN, f"assumed estimated_stepping_batches = {epochs.value} epochs x "
                                                   f"{ASSUMED_LEN} batches (the dataset size is not stated)")
    assumed = dict(s.args)
    for k in unknown:
        assumed[k] = guess
    return _replace_sched(facts, replace(s, assumed_args=assumed,
                                         assumed_horizon=guess if s.stepped == "batch" else s.assumed_horizon))


# A returned config expression and where it is evaluated: (expression, context, position). The position (seq) is
# what the names in it refer to there: a name rebound later in the function (or earlier) is told apart.
_Where = tuple[cst.BaseExpression, Ctx, "int | None"]
# A key written into a config dict after it is built: (key, value expression, context, position, surely runs).
_Write = tuple[Any, cst.BaseExpression, Ctx, int, bool]


def _lightning_configs(flow: ObjectFlow, resolver: Resolver, expr: cst.BaseExpression, ctx: Ctx) -> list[tuple]:
    """(scheduler id, interval, frequency, monitor, unknown keys) for each scheduler configure_optimizers returns.

    Names are read where the return statement is: ``scheduler = {"scheduler": scheduler, "interval": "step"}`` before
    ``return [opt], [scheduler]`` returns the dict, whose "scheduler" is the previous binding of the name. A name whose
    live value depends on the path taken (an ``if`` that rebinds it) gives one entry per path; entries for the same
    scheduler are merged by :func:`_merge_configs`."""
    from ...catalog.lightning import LR_SCHEDULER_CONFIG_KEYS, OPTIMIZER_CONFIG_KEYS

    out: list[tuple] = []
    default_interval = Known("epoch", "Lightning default interval")
    default_frequency = Known(1, "Lightning default")

    def schedulers(where: _Where) -> list[str]:
        return [sid for sid in flow.objects(*where) if flow.by_id[sid].kind == "scheduler"]

    def sched_dict(m: dict[Any, list[_Where | None]], top_monitor: Value | None) -> None:
        if "scheduler" not in m:
            return
        interval = _choice(resolver, m.get("interval", [None]), default_interval, "interval")
        freq = _choice(resolver, m.get("frequency", [None]), default_frequency, "frequency")
        monitor = _choice(resolver, m.get("monitor", [None]), top_monitor, "monitor")
        extra = sorted(str(k) for k in m if k not in LR_SCHEDULER_CONFIG_KEYS)
        for alt in m["scheduler"]:
            if alt is not None:
                for sid in schedulers(alt):
                    out.append((sid, interval, freq, monitor, extra))

    def walk(where: _Where, top_monitor: Value | None = None) -> None:
        for bound, writes in _bindings(flow, resolver, where):
            node = bound[0]
            m = _config_mapping(resolver, bound, writes)
            if m is not None:
                if "scheduler" in m and "optimizer" not in m:
                    sched_dict(m, top_monitor)
                    continue
                mon = _choice(resolver, m["monitor"], top_monitor, "monitor") if "monitor" in m else top_monitor
                unknown = sorted(str(k) for k in m if k not in OPTIMIZER_CONFIG_KEYS)
                # Lightning warns and drops keys it does not know at this level ("scheduler", "interval"...):
                # a scheduler under such a key is never stepped
                for k in unknown:
                    for alt in m[k]:
                        for sid in schedulers(alt) if alt is not None else ():
                            out.append((sid, None, None, mon, unknown))
                for alt in m.get("lr_scheduler", ()):
                    if alt is None:
                        continue
                    for inner, inner_writes in _bindings(flow, resolver, alt):
                        im = _config_mapping(resolver, inner, inner_writes)
                        if im is not None:
                            sched_dict(im, mon)
                        else:
                            for sid in schedulers(inner):
                                out.append((sid, default_interval, default_frequency, mon, []))
                continue
            if isinstance(node, (cst.List, cst.Tuple)):
                for el in node.elements:
                    walk((el.value, bound[1], bound[2]), top_monitor)
                continue
            if isinstance(node, cst.IfExp):
                walk((node.body, bound[1], bound[2]), top_monitor)
                walk((node.orelse, bound[1], bound[2]), top_monitor)
                continue
            for sid in schedulers(bound):
                out.append((sid, default_interval, default_frequency, top_monitor, []))

    walk((expr, ctx, _return_seq(flow.ix, expr, ctx)))
    return out


def _return_seq(ix: Indexer, expr: cst.BaseExpression, ctx: Ctx) -> int | None:
    """The position of the return statement that holds ``expr`` (its names are read there), or None."""
    seqs = [s.seq for s in ix.calls if s.ctx is ctx]
    names: set[str] = set()

    class V(cst.CSTVisitor):
        def visit_Name(self, n: cst.Name) -> None:
            names.add(n.value)

    expr.visit(V())
    for name in names:
        seqs.extend(seq for _, c, seq in ix.reads.get(name, ()) if c is ctx)
    return min(seqs) if seqs else None


_CONFIG_VALUES = (cst.Dict, cst.List, cst.Tuple, cst.Name, cst.IfExp)


def _is_dict_call(node: cst.BaseExpression) -> bool:
    return isinstance(node, cst.Call) and dotted(node.func) == "dict"


def _bindings(flow: ObjectFlow, resolver: Resolver, where: _Where, depth: int = 0) -> list[tuple[_Where, list[_Write]]]:
    """What ``where`` stands for when it is a name bound to a config (a dict, ``dict(...)``, a list, a tuple): the
    value of each assignment live at that point, where it was assigned, with the keys written into it afterwards
    (``config["interval"] = "step"``, ``config.update(interval="step")``). Anything else is returned unchanged."""
    node, ctx, seq = where
    if not isinstance(node, cst.Name) or depth >= 6:
        return [(where, [])]
    scope, recs = resolver._assignments(node.value, ctx, seq)
    if not recs:
        return [(where, [])]
    local = scope is ctx.scope
    use_stmt = flow.ix.owner.get(id(node))
    live = _live_assignments(flow.ix, recs, ctx, use_stmt) if local else recs
    if any(r.kind != "assign" or r.value is None for r in live) or not any(
            isinstance(r.value, _CONFIG_VALUES) or _is_dict_call(r.value) for r in live):
        return [(where, [])]
    out: list[tuple[_Where, list[_Write]]] = []
    for r in live:
        writes = _config_writes(flow, resolver, node.value, r, ctx, seq, use_stmt) if local else []
        for bound, more in _bindings(flow, resolver, (r.value, r.ctx, r.seq), depth + 1):
            out.append((bound, more + writes))
    return out


def _live_assignments(ix: Indexer, recs: list, use: Ctx, use_stmt: cst.CSTNode | None) -> list:
    """The assignments that may be the value at ``use``: from the last one that surely runs before it onwards."""
    for i in range(len(recs) - 1, -1, -1):
        r = recs[i]
        if r.kind in ("assign", "unpack") and _surely_before(ix, r.ctx, r.node, use, use_stmt):
            return recs[i:]
    return recs


def _config_writes(flow: ObjectFlow, resolver: Resolver, name: str, rec: Any, use: Ctx, seq: int | None,
                   use_stmt: cst.CSTNode | None) -> list[_Write]:
    """Keys set on the dict bound to ``name`` by ``rec`` before ``use``: ``name[key] = v`` and ``name.update(...)``."""
    ix = flow.ix
    out: list[_Write] = []

    def between(ctx: Ctx, at: int) -> bool:
        return ctx.scope is use.scope and rec.seq < at and (seq is None or at < seq)

    for w in ix.sub_writes:
        t = w.target
        if not (isinstance(t.value, cst.Name) and t.value.value == name and len(t.slice) == 1 and
                isinstance(t.slice[0].slice, cst.Index) and between(w.ctx, w.seq)):
            continue
        k = resolver.resolve(t.slice[0].slice.value, w.ctx, w.seq)
        if isinstance(k, Known):
            out.append((k.value, w.value, w.ctx, w.seq, _surely_before(ix, w.ctx, w.stmt, use, use_stmt)))
    for site in ix.calls:
        if site.path != f"{name}.update" or not between(site.ctx, site.seq):
            continue
        surely = _surely_before(ix, site.ctx, site.stmt, use, use_stmt)
        for a in site.node.args:
            if a.keyword is not None:
                out.append((a.keyword.value, a.value, site.ctx, site.seq, surely))
            elif not a.star and isinstance(a.value, cst.Dict):
                for el in a.value.elements:
                    if isinstance(el, cst.DictElement):
                        k = resolver.resolve(el.key, site.ctx, site.seq)
                        if isinstance(k, Known):
                            out.append((k.value, el.value, site.ctx, site.seq, surely))
    return sorted(out, key=lambda w: w[3])


def _config_mapping(resolver: Resolver, where: _Where, writes: list[_Write]) -> dict[Any, list[_Where | None]] | None:
    """The keys of a config dict (a literal or ``dict(...)``), each with its possible values (None: the key may be
    missing, when only a conditional write adds it); None when ``where`` is not a dict."""
    node, ctx, seq = where
    items: dict[Any, list[_Where | None]] = {}
    if isinstance(node, cst.Dict):
        for el in node.elements:
            if isinstance(el, cst.DictElement):
                k = resolver.resolve(el.key, ctx, seq)
                if isinstance(k, Known):
                    items[k.value] = [(el.value, ctx, seq)]
    elif _is_dict_call(node):
        assert isinstance(node, cst.Call)
        for a in node.args:
            if a.keyword is not None:
                items[a.keyword.value] = [(a.value, ctx, seq)]
            elif not a.star and isinstance(a.value, cst.Dict):
                for el in a.value.elements:
                    if isinstance(el, cst.DictElement):
                        k = resolver.resolve(el.key, ctx, seq)
                        if isinstance(k, Known):
                            items[k.value] = [(el.value, ctx, seq)]
    else:
        return None
    for key, value, wctx, wseq, surely in writes:
        alt: _Where = (value, wctx, wseq)
        items[key] = [alt] if surely else items.get(key, [None]) + [alt]
    return items


def _choice(resolver: Resolver, alts: list[_Where | None], default: Value | None, key: str) -> Value | None:
    """The value of a config key that may take several values (one per path): the value when they all agree."""
    vals = [resolver.resolve(*alt) if alt is not None else default for alt in alts]
    if len(vals) == 1:
        return vals[0]
    if all(isinstance(v, Known) for v in vals) and len({repr(v.value) for v in vals}) == 1:  # type: ignore
        return next((v for v in vals if v is not default), vals[0])
    shown = ", ".join(dict.fromkeys(
        "unset" if v is None else repr(v.value) if isinstance(v, Known) else "unknown" for v in vals))
    return Unknown(f"the {key!r} of its scheduler config depends on the path through configure_optimizers "
                   f"({shown})")


def _merge_configs(configs: list[tuple]) -> list[tuple]:
    """One entry per scheduler: several returns (or paths) that agree are one; where they disagree, the values that
    differ are unknown. A path that steps it wins over one that drops it under a key Lightning ignores."""
    by_sid: dict[str, list[tuple]] = {}
    for c in configs:
        by_sid.setdefault(c[0], []).append(c)
    out = []
    for sid, entries in by_sid.items():
        stepped = [e for e in entries if e[1] is not None]
        entries = stepped or entries
        if len(entries) == 1 or len({repr(e[1:]) for e in entries}) == 1:
            out.append(entries[0])
            continue
        merged: list[Any] = [sid]
        for i, key in ((1, "interval"), (2, "frequency"), (3, "monitor")):
            vals = [e[i] for e in entries]
            if len({repr(v) for v in vals}) == 1:
                merged.append(vals[0])
            elif all(isinstance(v, Known) for v in vals) and len({repr(v.value) for v in vals}) == 1:
                merged.append(vals[0])
            elif entries[0][1] is None:
                merged.append(None)
            else:
                shown = ", ".join(dict.fromkeys(
                    "unset" if v is None else repr(v.value) if isinstance(v, Known) else "unknown" for v in vals))
                merged.append(Unknown(f"configure_optimizers returns it with different {key} values on different "
                                      f"paths ({shown})"))
        merged.append(sorted({k for e in entries for k in e[4]}))
        out.append(tuple(merged))
    return out


def _lightning_explicit_steps(facts: FileFacts, ix: Indexer, ci: ClassInfo, builder: FactsBuilder,
                              order: list[str]) -> tuple[dict[str, list[StepSite]], list[StepSite]]:
    """Steps the module makes itself: ``sch = self.lr_schedulers(); sch.step()``, ``opt = self.optimizers();
    opt.step()`` (manual optimization, or an extra step on top of Lightning's own)."""
    scheds = list(order)
    opts = [o.id for o in facts.optimizers if o.function == f"{ci.name}.configure_optimizers"]
    sites: dict[str, list[StepSite]] = {}
    opt_sites: list[StepSite] = []
    for fn in ci.methods.values():
        holders = _accessor_names(fn, scheds, opts)
        for site in ix.calls:
            if site.ctx.scope.function is not fn or _method(site) != "step":
                continue
            func = site.node.func
            if not isinstance(func, cst.Attribute):
                continue
            recv = func.value
            key = dotted(recv)
            targets: list[str] = []
            if key is not None and key in holders:
                targets = holders[key]
            elif isinstance(recv, cst.Call) and dotted(recv.func) in ("self.lr_schedulers", "self.optimizers"):
                targets = scheds if dotted(recv.func) == "self.lr_schedulers" else opts
            if not targets:
                continue
            context, via = _manual_context(fn, site, builder)
            for oid in targets:
                kind = "scheduler" if oid in scheds else "optimizer"
                step = _site_step(builder, site, oid, kind, "step", context=context, via=via)
                (sites.setdefault(oid, []) if kind == "scheduler" else opt_sites).append(step)
    return sites, opt_sites


def _accessor_names(fn: Any, scheds: list[str], opts: list[str]) -> dict[str, list[str]]:
    """Local names bound to ``self.lr_schedulers()`` / ``self.optimizers()`` (whole, unpacked or indexed)."""
    out: dict[str, list[str]] = {}
    for name, recs in fn.scope.assigns.items():
        for r in recs:
            v = r.value
            index = r.index if r.kind == "unpack" else None
            if isinstance(v, cst.Subscript) and len(v.slice) == 1 and isinstance(v.slice[0].slice, cst.Index) \
                    and isinstance(v.slice[0].slice.value, cst.Integer):
                index = int(v.slice[0].slice.value.value)
                v = v.value
            if not isinstance(v, cst.Call):
                continue
            acc = dotted(v.func)
            if acc not in ("self.lr_schedulers", "self.optimizers"):
                continue
            pool = scheds if acc == "self.lr_schedulers" else opts
            if index is None:
                out[name] = list(pool)
            elif 0 <= index < len(pool):
                out[name] = [pool[index]]
    return out


def _manual_context(fn: Any, site: CallSite, builder: FactsBuilder) -> tuple[str, str]:
    from ..loops import PER_BATCH_METHODS, PER_EPOCH_METHODS

    cond = _enclosing_if_text(fn.node, site.node)
    if fn.name in PER_EPOCH_METHODS:
        return "epoch", f"{fn.name}() runs once per epoch (manual optimization)"
    if fn.name in PER_BATCH_METHODS:
        if cond is not None and ("is_last_batch" in cond or "num_training_batches" in cond):
            return "epoch", f"{fn.name}() steps it on the last batch of each epoch ({cond})"
        return "batch", f"{fn.name}() runs once per batch (manual optimization)"
    sc = builder.site_context(site)
    return sc.context, sc.via or f"{fn.name}()"


def _enclosing_if_text(root: cst.CSTNode, target: cst.CSTNode) -> str | None:
    found: list[str] = []

    class V(cst.CSTVisitor):
        def __init__(self) -> None:
            self.stack: list[cst.If] = []

        def visit_If(self, node: cst.If) -> None:
            self.stack.append(node)

        def leave_If(self, node: cst.If) -> None:
            self.stack.pop()

        def visit_Call(self, node: cst.Call) -> None:
            if node is target and self.stack:
                found.append(cst.Module(body=[]).code_for_node(self.stack[-1].test))

    root.visit(V())
    return found[0] if found else None
