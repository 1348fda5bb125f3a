"""Hand-written schedules: code that computes a rate and writes it into ``param_group["lr"]``.

Two shapes cover real code:

* a function that writes the rate, called from a training loop (``adjust_learning_rate(optimizer, epoch, args)``,
  ``set_lr(optimizer, get_lr(it))``, MAE's ``adjust_learning_rate(optimizer, i / len(loader) + epoch, args)``);
* a write in the loop body itself (``lr = get_lr(iter_num)``; ``for g in opt.param_groups: g["lr"] = lr``), possibly
  under a condition (YOLO's warm-up ``if ni <= nw: x["lr"] = np.interp(ni, ...)``).

Each becomes a ``SchedulerFact`` with framework ``manual`` and a ``ManualPlan`` (in ``FileFacts.extra
["manual_plans"]``) that the simulator follows: step k of the schedule is the k-th time the loop runs. Every loop
variable the rate depends on is rewritten as a function of one counter, ``lraudit_step`` (= k): the epoch loop's
variable becomes ``start + k`` (per-epoch schedules), a batch loop's index ``k % L`` and its epoch ``k // L``
(per-batch schedules inside an epoch loop, ``L`` batches per epoch), counters incremented in the loop ``c0 + k``.
Loop-body assignments the rate reads are inlined, and ``len(loader)`` becomes ``L``. When ``L`` is not stated by the
script it is taken from the script's own arithmetic (``epoch * ITERS_PER_EPOCH + i``) or assumed (100, labelled).

A write in the loop body becomes a small synthetic function ``lraudit_manual(lraudit_optimizer, lraudit_step)``
that performs the same (conditional) write on the placeholder optimizer, so a condition that does not hold keeps
the previous rate, as the real loop does.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import libcst as cst

from ..facts import FileFacts, FunctionValue, Known, Location, SchedulerFact, Unknown, Value
from .imports import dotted
from .index import AssignRec, CallSite, Ctx, FunctionInfo, Indexer, LoopInfo, SubscriptWrite
from .values import EvalScope, Resolver

TIME = "lraudit_step"  # the schedule's step counter inside plans (k = 0, 1, 2, ...)
OPT = "lraudit_optimizer"  # the placeholder optimizer a synthetic write function receives
SYNTHETIC = "lraudit_manual"
ASSUMED_LEN = 100  # batches per epoch when the script states neither len(loader) nor its own count


def written_groups(sw: SubscriptWrite, ix: Indexer) -> str:
    """Which param groups a write reaches: "all", an index ("0"), or the iterable of the group loop."""
    group_var, _ = _group_loop(ix, sw, None)
    target = _group_target(sw, group_var)
    if target != "group":
        return target
    for lid in reversed(sw.ctx.loops):
        lp = ix.loops.get(lid)
        if lp is not None and _over_groups(ix, lp):
            text = _groups_text(ix, lp)
            return "all" if _all_groups(text) else text
    return "all"


def _groups_text(ix: Indexer, lp: LoopInfo) -> str:
    """The groups a group loop walks: ``opt.param_groups[1:]`` for ``for i, g in enumerate(opt.param_groups[1:])``
    and ``opt.param_groups`` for ``for g, s in zip(opt.param_groups, scales)``."""
    node = lp.iter_node
    while isinstance(node, cst.Call) and dotted(node.func) in ("enumerate", "zip", "list", "reversed") and node.args:
        args = [a.value for a in node.args if a.keyword is None and not a.star]
        node = next((a for a in args if "param_groups" in ix.text(a, 200)), args[0] if args else None)
    return ix.text(node, 120) if node is not None else lp.iter_text


def _all_groups(text: str) -> bool:
    """Whether the groups text names every group (``opt.param_groups``, or a name bound to them)."""
    return "+" not in text and "[" not in text


@dataclass(frozen=True)
class ManualPlan:
    kind: str  # "call": call ``function`` with ``call``'s arguments | "expr": evaluate ``expr`` (+ ``locals_``)
    time_var: str  # the variable standing for the step (``lraudit_step``)
    start: int  # its value at the first step
    step: int  # how much it grows per step
    scope: Any  # EvalScope for free names
    function: FunctionValue | None = None
    call: cst.Call | None = None
    expr: cst.BaseExpression | None = None
    locals_: tuple[tuple[str, cst.BaseExpression], ...] = ()  # assignments evaluated before ``expr``
    condition: cst.BaseExpression | None = None  # the write happens only when this holds (already inside
    # ``function`` for call plans; informational)
    steps_per_epoch: int | None = None  # batches per epoch the step index assumes (per-batch plans in epochs)
    groups: str = "all"  # the param groups written: "all", an index ("0"), or the group loop's iterable
    assumption: str | None = None  # what was assumed to follow the loop (shown with the curve)
    time_vars: tuple[tuple[str, str], ...] = field(default_factory=tuple)  # (script variable, as a function of k)


@dataclass
class _Time:
    subs: dict[str, cst.BaseExpression]
    unit: str  # epoch | batch
    count: Value  # number of steps when the script states it
    steps_per_epoch: int | None = None
    assumption: str | None = None
    described: list[tuple[str, str]] = field(default_factory=list)
    assumed_count: Value | None = None


def manual_schedules(facts: FileFacts, flow: Any, ix: Indexer, resolver: Resolver, contexts: Any,
                     builder: Any) -> FileFacts:
    imported = _imported_writers(ix, resolver)
    if not facts.lr_writes and not imported:
        return facts
    plans: dict[str, ManualPlan] = dict(facts.extra.get("manual_plans", {}))
    new: list[SchedulerFact] = []
    handled_functions: set[str] = set()
    handled_loops: set[str] = set()
    n = len(facts.schedulers)
    single_opt = facts.optimizers[0].id if len(facts.optimizers) == 1 else None
    by_loc = {}
    for w in facts.lr_writes:
        by_loc.setdefault(w.loc, []).append(w)
    for sw in _lr_subwrites(ix):
        loc = builder.loc.location(sw.stmt)
        ws = by_loc.get(loc, [])
        opt = next((w.optimizer for w in ws if w.optimizer), None) or single_opt
        fn = sw.ctx.scope.function
        loop = _lexical_training_loop(ix, sw.ctx)
        built: tuple[ManualPlan, SchedulerFact] | None = None
        if loop is not None:
            # one schedule per (training loop, param-group loop): `for g in opt.param_groups[:1]` and
            # `for g in opt.param_groups[1:]` in the same loop are two schedules; if/else writes in one group loop
            # are one
            groups = [lid for lid in sw.ctx.loops if lid in ix.loops and _over_groups(ix, ix.loops[lid])]
            key = f"{loop.id}/{groups[-1] if groups else ix.text(sw.target, 60)}"
            if key in handled_loops:
                continue
            handled_loops.add(key)
            built = _in_loop(facts, ix, resolver, contexts, builder, sw, loop, fn, opt, f"sched{n + 1}")
        elif fn is not None and fn.qualname not in handled_functions:
            handled_functions.add(fn.qualname)
            built = _writer_function(facts, ix, resolver, contexts, builder, resolver.calls_to(fn), fn, resolver,
                                     resolver.loc_line(sw.stmt), _group_note(sw, _group_loop(ix, sw, None)[0]),
                                     opt, f"sched{n + 1}", written_groups(sw, ix))
        if built is None:
            continue
        n += 1
        plans[built[1].id] = built[0]
        new.append(built[1])
    for fn, fn_resolver, sites, wline, groups in imported:
        opt = single_opt
        for site in sites:
            objs = [o for a in site.node.args for o in (flow.objects(a.value, site.ctx, site.seq) if flow else [])
                    if flow.by_id[o].kind == "optimizer"]
            opt = objs[0] if objs else opt
        built = _writer_function(facts, ix, resolver, contexts, builder, sites, fn, fn_resolver, wline,
                                 f" in {fn_resolver.name}", opt, f"sched{n + 1}", groups)
        if built is None:
            continue
        n += 1
        plans[built[1].id] = built[0]
        new.append(built[1])
    if not new:
        return facts
    extra = dict(facts.extra)
    extra["manual_plans"] = plans
    return replace(facts, schedulers=facts.schedulers + tuple(new), extra=extra)


# ------------------------------------------------------------------------------------------ the two shapes
def _in_loop(facts: FileFacts, ix: Indexer, resolver: Resolver, contexts: Any, builder: Any, sw: SubscriptWrite,
             loop: LoopInfo, fn: FunctionInfo | None, opt: str | None,
             sid: str) -> tuple[ManualPlan, SchedulerFact] | None:
    """The loop body computes the rate and writes it."""
    time = _time_model(ix, resolver, loop, fn, sw.seq, [sw.value])
    if time is None:
        return None
    subs = dict(time.subs)
    group_var, index_var = _group_loop(ix, sw, loop)
    if index_var:
        subs[index_var] = cst.Integer("0")
    locals_ = _loop_locals(ix, loop, sw.value, sw.seq)
    base_lr = _base_lr(facts, opt)
    value = _substitute_all(ix, resolver, sw.value, locals_, subs, group_var, base_lr, time, fn, loop)
    if not _mentions(value, {TIME}):
        return None  # a constant write (restoring a rate, a resume) is not a schedule
    tests = _enclosing_tests(loop.node, sw.stmt)
    cond = None
    if tests:
        parts = [_substitute_all(ix, resolver, t, locals_, subs, group_var, base_lr, time, fn, loop) for t in tests]
        cond = parts[0]
        for p in parts[1:]:
            cond = cst.BooleanOperation(_paren(cond), cst.And(), _paren(p))
    target = _group_target(sw, group_var)
    def_node = _synthetic_def(group_var or "lraudit_group", target, value, cond)
    scope = EvalScope(resolver, sw.ctx)
    fv = FunctionValue(def_node, SYNTHETIC, resolver.loc_line(sw.stmt), scope=scope)
    call = cst.Call(func=cst.Name(SYNTHETIC), args=[cst.Arg(cst.Name(OPT)), cst.Arg(cst.Name(TIME))])
    plan = ManualPlan("call", TIME, 0, 1, scope, function=fv, call=call, expr=value, condition=cond,
                      steps_per_epoch=time.steps_per_epoch, assumption=time.assumption,
                      time_vars=tuple(time.described), groups=written_groups(sw, ix))
    name = _name_of(ix, sw.value, locals_)
    helper = ix.functions_by_name.get(name, [])
    fv_user = None
    if len(helper) == 1:
        h = helper[0]
        fv_user = FunctionValue(h.node, h.name, resolver.loc_line(h.node), scope=EvalScope(resolver, Ctx(h.scope)))
    sc = contexts.of(sw.ctx)
    loc = builder.loc.location(sw.stmt)
    text = ix.text(sw.value, 60)
    desc = f"the training loop sets param_group['lr'] = {text} (line {loc.line})"
    if tests:
        desc += " when " + " and ".join(ix.text(t, 60) for t in tests)
    desc += _group_note(sw, group_var)
    for lid in reversed(sw.ctx.loops):
        lp = ix.loops.get(lid)
        if lp is not None and _over_groups(ix, lp):
            text = _groups_text(ix, lp)
            if not _all_groups(text):
                desc += f"; only the groups of {text}"
            break
    fact = _fact(sid, f"manual:{name}", loc, opt, fv_user, time.unit, desc, sc.via)
    return plan, _with_horizon(fact, time)


def _writer_function(facts: FileFacts, ix: Indexer, resolver: Resolver, contexts: Any, builder: Any,
                     sites: list[CallSite], fn: FunctionInfo, fn_resolver: Resolver, wline: int, note: str,
                     opt: str | None, sid: str, groups: str = "all") -> tuple[ManualPlan, SchedulerFact] | None:
    """A function writes the rate (here or in a local module it imports); a training loop calls it."""
    for site in sites:
        loop = _lexical_training_loop(ix, site.ctx)
        if loop is None:
            continue
        caller = site.ctx.scope.function
        time = _time_model(ix, resolver, loop, caller, site.seq, [a.value for a in site.node.args])
        if time is None:
            continue
        locals_ = _loop_locals(ix, loop, site.node, site.seq)
        base_lr = _base_lr(facts, opt)
        call = _substitute_all(ix, resolver, site.node, locals_, dict(time.subs), None, base_lr, time, caller, loop)
        if not isinstance(call, cst.Call) or not _mentions(call, {TIME}):
            continue
        fv = FunctionValue(fn.node, fn.name, fn_resolver.loc_line(fn.node), scope=EvalScope(fn_resolver,
                                                                                             Ctx(fn.scope)))
        tests = _enclosing_tests(loop.node, site.node)
        plan_fn, plan_call, cond = fv, call, None
        if tests:
            parts = [_substitute_all(ix, resolver, t, locals_, dict(time.subs), None, base_lr, time, caller, loop)
                     for t in tests]
            cond = parts[0]
            for p in parts[1:]:
                cond = cst.BooleanOperation(_paren(cond), cst.And(), _paren(p))
            # the optimizer-like arguments become the placeholder optimizer inside the synthetic wrapper
            args = [a.with_changes(value=cst.Name(OPT)) if _is_object_arg(resolver, a.value, site) else a
                    for a in call.args]
            inner = call.with_changes(args=args)
            plan_fn = FunctionValue(_synthetic_call_def(inner, cond), SYNTHETIC, resolver.loc_line(site.node),
                                    scope=EvalScope(resolver, site.ctx))
            plan_call = cst.Call(func=cst.Name(SYNTHETIC), args=[cst.Arg(cst.Name(OPT)), cst.Arg(cst.Name(TIME))])
        plan = ManualPlan("call", TIME, 0, 1, EvalScope(resolver, site.ctx), function=plan_fn, call=plan_call,
                          condition=cond, steps_per_epoch=time.steps_per_epoch, assumption=time.assumption,
                          time_vars=tuple(time.described), groups=groups)
        sc = contexts.of(site.ctx)
        loc = builder.loc.location(site.node)
        desc = (f"{fn.name}() writes param_group['lr'] (line {wline}{note if note.startswith(' in ') else ''}); "
                f"called as {ix.text(site.node, 70)} from the {loop.kind} loop at line {resolver.loc_line(loop.node)}")
        if tests:
            desc += " when " + " and ".join(ix.text(t, 60) for t in tests)
        if not note.startswith(" in "):
            desc += note
        fact = _fact(sid, f"manual:{fn.name}", loc, opt, fv, time.unit, desc, sc.via)
        return plan, _with_horizon(fact, time)
    return None


def _fact(sid: str, cls: str, loc: Location, opt: str | None, fv: FunctionValue | None, unit: str,
          description: str, via: str | None) -> SchedulerFact:
    args: dict[str, Value] = {}
    if fv is not None:
        args["function"] = Known(fv, f"def {fv.name} at line {fv.line}")
    stepped = "epoch" if unit == "epoch" else "batch"
    return SchedulerFact(
        id=sid, cls=cls, framework="manual", loc=loc, variable=None, optimizer=opt,
        optimizer_reason=None if opt else "the optimizer whose param_groups are written is not known",
        args=args, stepped=stepped,  # type: ignore[arg-type]
        unit="epoch" if stepped == "epoch" else "step", description=description,
    )


def _with_horizon(s: SchedulerFact, time: _Time) -> SchedulerFact:
    h = time.count
    return replace(s, horizon=h, horizon_source=getattr(h, "source", None),
                   assumed_horizon=time.assumed_count if not isinstance(h, Known) else None)


# ------------------------------------------------------------------------------------------ time model
def _time_model(ix: Indexer, resolver: Resolver, loop: LoopInfo, fn: FunctionInfo | None, at_seq: int,
                uses: list[cst.BaseExpression]) -> _Time | None:
    """How each loop variable the rate may read relates to the step counter k."""
    from .loops import loop_count

    subs: dict[str, cst.BaseExpression] = {}
    described: list[tuple[str, str]] = []
    var, vstart = _loop_var(ix, resolver, loop)
    counters = _counters(ix, resolver, loop, at_seq)
    if loop.kind == "epoch":
        if var is not None:
            subs[var] = _expr(f"{vstart} + {TIME}")
            described.append((var, f"{vstart} + k"))
        for name, c0, before in counters:
            subs[name] = _expr(f"{c0 + before} + {TIME}")
            described.append((name, f"{c0 + before} + k"))
        if not subs:
            return None
        return _Time(subs, "epoch", _count(ix, resolver, loop, loop_count(loop, resolver), subs), described=described)
    epoch = _epoch_of(ix, resolver, loop, fn)
    if epoch is None:
        if var is not None:
            subs[var] = _expr(f"{vstart} + {TIME}")
            described.append((var, f"{vstart} + k"))
        for name, c0, before in counters:
            subs[name] = _expr(f"{c0 + before} + {TIME}")
            described.append((name, f"{c0 + before} + k"))
        if not subs:
            return None
        count = loop_count(loop, resolver) if var is not None else Unknown("the loop has no stated length")
        if not isinstance(count, Known) or isinstance(loop.node, cst.While):
            bound = _loop_bound(ix, resolver, loop, [n for n, _, _ in counters] + ([var] if var else []))
            if bound is not None:
                count = bound
        return _Time(subs, "batch", count, described=described)
    evar, estart, eloop = epoch
    spe_v = loop_count(loop, resolver)
    assumption = None
    if isinstance(spe_v, Known) and isinstance(spe_v.value, int) and spe_v.value > 0:
        spe = spe_v.value
        spe_src = spe_v.source
    else:
        inferred = _infer_steps_per_epoch(ix, resolver, uses + [v for _, v in _loop_locals_all(ix, loop)], evar,
                                          var, loop)
        if inferred is not None:
            spe, spe_src = inferred
            assumption = f"{spe} batches per epoch, as the script's own {spe_src} says"
        else:
            spe, spe_src = ASSUMED_LEN, "assumed"
            assumption = (f"an assumed {ASSUMED_LEN} batches per epoch (the script does not state "
                          f"len({_iter_name(loop) or 'loader'}))")
    if var is not None:
        subs[var] = _expr(f"{vstart} + {TIME} % {spe}")
        described.append((var, f"{vstart} + k % {spe}"))
    subs[evar] = _expr(f"{estart} + {TIME} // {spe}")
    described.append((evar, f"{estart} + k // {spe}"))
    for name, c0, before in counters:
        if _initialised_inside(ix, resolver, name, loop, eloop, at_seq):
            subs[name] = _expr(f"{c0 + before} + {TIME} % {spe}")
            described.append((name, f"{c0 + before} + k % {spe}"))
        else:
            subs[name] = _expr(f"{c0 + before} + {TIME}")
            described.append((name, f"{c0 + before} + k"))
    epochs = loop_count(eloop, resolver) if eloop is not None else Unknown("the epoch loop is in another function")
    if eloop is None and fn is not None:
        epochs = _caller_epochs(ix, resolver, fn, evar)
    count: Value
    assumed = None
    if isinstance(epochs, Known) and assumption is None:
        count = Known(int(epochs.value) * spe, f"{epochs.source} x {spe} batches per epoch ({spe_src})")
    else:
        count = Unknown("steps per epoch are not stated" if isinstance(epochs, Known) else
                        getattr(epochs, "reason", "the number of epochs is not known"))
        if isinstance(epochs, Known):
            assumed = Known(int(epochs.value) * spe, f"{epochs.value} epochs x {assumption}")
    t = _Time(subs, "batch", count, spe, assumption, described, assumed)
    return t


def _count(ix: Indexer, resolver: Resolver, loop: LoopInfo, count: Value, subs: dict[str, Any]) -> Value:
    if isinstance(count, Known):
        return Known(count.value, f"the {loop.kind} loop at {resolver.where(loop.node)}"
                     + (f" ({count.source})" if count.source != "literal" else ""))
    bound = _loop_bound(ix, resolver, loop, list(subs))
    return bound if bound is not None else count


def _loop_var(ix: Indexer, resolver: Resolver, loop: LoopInfo) -> tuple[str | None, int]:
    """The for target that counts iterations (``epoch`` in ``range(a, b)``, ``i`` in ``enumerate(...)``)."""
    node = loop.node
    if not isinstance(node, cst.For):
        return None, 0
    it = node.iter
    if isinstance(it, cst.Call) and dotted(it.func) in ("tqdm", "tqdm.tqdm", "trange") and it.args:
        if dotted(it.func) == "trange":
            it = cst.Call(func=cst.Name("range"), args=it.args)
        else:
            it = it.args[0].value
    # `pbar = enumerate(loader); pbar = tqdm(pbar)` then `for i, batch in pbar`
    for _ in range(3):
        if isinstance(it, cst.Name):
            _, recs = resolver._assignments(it.value, loop.ctx, None)
            vals = [r.value for r in recs if r.kind == "assign" and isinstance(r.value, cst.Call)]
            enum = next((v for v in vals if dotted(v.func) == "enumerate"), None)
            it = enum if enum is not None else (vals[0] if vals else it)
        if isinstance(it, cst.Call) and (dotted(it.func) or "").split(".")[-1] == "tqdm" and it.args:
            it = it.args[0].value
            continue
        if not isinstance(it, cst.Name):
            break
    target = node.target
    if isinstance(target, cst.Name) and isinstance(it, cst.Call) and dotted(it.func) == "range":
        args = [a.value for a in it.args if a.keyword is None]
        start = 0
        if len(args) >= 2:
            v = resolver.resolve(args[0], loop.ctx)
            if not (isinstance(v, Known) and isinstance(v.value, int)):
                return None, 0
            start = v.value
        return target.value, start
    if isinstance(target, (cst.Tuple, cst.List)) and target.elements and isinstance(it, cst.Call) and \
            dotted(it.func) == "enumerate" and isinstance(target.elements[0].value, cst.Name):
        start = 0
        for a in it.args[1:]:
            v = resolver.resolve(a.value, loop.ctx)
            if isinstance(v, Known) and isinstance(v.value, int):
                start = v.value
        return target.elements[0].value.value, start  # type: ignore[union-attr]
    if isinstance(target, cst.Name) and loop.kind == "epoch":
        return target.value, 0
    return None, 0


def _counters(ix: Indexer, resolver: Resolver, loop: LoopInfo, at_seq: int) -> list[tuple[str, int, int]]:
    """``name += 1`` in the loop body: (name, initial value, 1 if incremented before ``at_seq`` else 0)."""
    out = []
    for stmt in _walk_statements(loop.node.body):
        if isinstance(stmt, cst.AugAssign) and isinstance(stmt.operator, cst.AddAssign) and \
                isinstance(stmt.target, cst.Name) and isinstance(stmt.value, cst.Integer) and stmt.value.value == "1":
            name = stmt.target.value
            scope = loop.ctx.scope
            recs = scope.assigns.get(name, [])
            augs = [r for r in recs if r.kind == "aug" and loop.id in r.ctx.loops]
            inits = [r for r in recs if r.kind != "aug" and loop.id not in r.ctx.loops and r.value is not None]
            c0 = 0
            if inits:
                # its value when the loop starts (a fresh run: `iter_num = 0`, not a resumed checkpoint's)
                first = min(r.seq for r in augs) if augs else at_seq
                v = resolver.resolve(cst.Name(name), loop.ctx, first)
                if not (isinstance(v, Known) and isinstance(v.value, int) and not isinstance(v.value, bool)):
                    continue
                c0 = v.value
            elif scope.function is not None and scope.function.param(name) is None:
                continue
            before = 1 if augs and augs[0].seq < at_seq else 0
            out.append((name, c0, before))
    return out


def _initialised_inside(ix: Indexer, resolver: Resolver, name: str, loop: LoopInfo, eloop: LoopInfo | None,
                        at_seq: int) -> bool:
    if eloop is None:
        return False
    recs = loop.ctx.scope.assigns.get(name, [])
    return any(r.kind != "aug" and eloop.id in r.ctx.loops and loop.id not in r.ctx.loops for r in recs)


def _epoch_of(ix: Indexer, resolver: Resolver, loop: LoopInfo,
              fn: FunctionInfo | None) -> tuple[str, int, LoopInfo | None] | None:
    """The epoch variable around a batch loop: an enclosing epoch loop's variable, or a parameter of this function
    that every caller passes from its epoch loop (``train_one_epoch(..., epoch)``)."""
    lid = loop.parent
    while lid is not None:
        lp = ix.loops.get(lid)
        if lp is None:
            break
        if lp.kind == "epoch":
            var, start = _loop_var(ix, resolver, lp)
            if var is not None:
                return var, start, lp
            return None
        lid = lp.parent
    if fn is None:
        return None
    for p in fn.params:
        if p.kind not in ("pos", "kwonly"):
            continue
        found = None
        for site in resolver.calls_to(fn):
            arg = resolver.call_arg(site, fn, p.name)
            if not isinstance(arg, cst.Name):
                found = None
                break
            caller_loop = _lexical_loop_of_kind(ix, site.ctx, "epoch")
            if caller_loop is None:
                found = None
                break
            var, start = _loop_var(ix, resolver, caller_loop)
            if var != arg.value:
                found = None
                break
            found = (p.name, start, None)
        if found is not None:
            return found
    return None


def _caller_epochs(ix: Indexer, resolver: Resolver, fn: FunctionInfo, evar: str) -> Value:
    from .loops import loop_count

    for site in resolver.calls_to(fn):
        lp = _lexical_loop_of_kind(ix, site.ctx, "epoch")
        if lp is not None:
            c = loop_count(lp, resolver)
            if isinstance(c, Known):
                return Known(c.value, f"the epoch loop at {resolver.where(lp.node)}"
                             + (f" ({c.source})" if c.source != "literal" else ""))
            return c
    return Unknown("the epoch loop is not known")


def _infer_steps_per_epoch(ix: Indexer, resolver: Resolver, nodes: list[cst.BaseExpression], evar: str,
                           bvar: str | None, loop: LoopInfo) -> tuple[int, str] | None:
    """``epoch * ITERS_PER_EPOCH + i`` or ``i / STEPS_PER_EPOCH + epoch``: the script's own batches per epoch."""
    found: list[tuple[int, str]] = []

    class V(cst.CSTVisitor):
        def visit_BinaryOperation(self, node: cst.BinaryOperation) -> None:
            if found:
                return
            pairs = []
            if isinstance(node.operator, cst.Multiply):
                pairs = [(node.left, node.right), (node.right, node.left)]
                want = evar
            elif isinstance(node.operator, (cst.Divide, cst.FloorDivide)) and bvar is not None:
                pairs = [(node.left, node.right)]
                want = bvar
            for var_side, other in pairs:
                if isinstance(var_side, cst.Name) and var_side.value == want:
                    v = resolver.resolve(other, loop.ctx)
                    if isinstance(v, Known) and isinstance(v.value, int) and not isinstance(v.value, bool) and \
                            v.value > 0:
                        found.append((v.value, ix.text(node, 50)))
                        return

    for n in nodes:
        n.visit(V())
        if found:
            return found[0]
    return None


def _loop_bound(ix: Indexer, resolver: Resolver, loop: LoopInfo, names: list[str]) -> Value | None:
    """`while it < max_iters` or `if it > max_iters: break` inside the loop: the number of steps."""
    node = loop.node
    tests: list[tuple[cst.Comparison, bool]] = []
    if isinstance(node, cst.While) and isinstance(node.test, cst.Comparison):
        tests.append((node.test, False))
    for stmt in _walk_statements(node.body):
        if isinstance(stmt, cst.If) and isinstance(stmt.test, cst.Comparison) and "break" in ix.text(stmt.body, 200):
            tests.append((stmt.test, True))
    for t, is_break in tests:
        if not (isinstance(t.left, cst.Name) and t.left.value in names and len(t.comparisons) == 1):
            continue
        bound = resolver.resolve(t.comparisons[0].comparator, loop.ctx)
        if not (isinstance(bound, Known) and isinstance(bound.value, int)):
            continue
        op = t.comparisons[0].operator
        if is_break:
            # the counter is incremented before the test: `it += 1; if it > N: break` runs N + 1 steps
            extra = 1 if isinstance(op, cst.GreaterThan) else 0
            return Known(bound.value + extra, f"the loop stops when {ix.text(t, 60)} ({bound.source})")
        extra = 1 if isinstance(op, cst.LessThanEqual) else 0
        return Known(bound.value + extra, f"the loop condition {ix.text(t, 60)} ({bound.source})")
    return None


# ------------------------------------------------------------------------------------------ substitution
class _Subst(cst.CSTTransformer):
    def __init__(self, names: dict[str, cst.BaseExpression], group_var: str | None, base_lr: float | None,
                 length: int | None, resolver: Resolver, ctx: Ctx) -> None:
        self.names = names
        self.group_var = group_var
        self.base_lr = base_lr
        self.length = length
        self.resolver = resolver
        self.ctx = ctx

    def leave_Name(self, original: cst.Name, updated: cst.Name) -> cst.BaseExpression:
        repl = self.names.get(original.value)
        return _paren(repl) if repl is not None else updated

    def leave_Attribute(self, original: cst.Attribute, updated: cst.Attribute) -> cst.BaseExpression:
        return updated.with_changes(attr=original.attr)

    def leave_Arg(self, original: cst.Arg, updated: cst.Arg) -> cst.Arg:
        return updated.with_changes(keyword=original.keyword)

    def leave_Subscript(self, original: cst.Subscript, updated: cst.Subscript) -> cst.BaseExpression:
        # g["initial_lr"] (what a scheduler stored) is the optimizer's own rate
        if self.group_var and isinstance(original.value, cst.Name) and original.value.value == self.group_var and \
                len(original.slice) == 1 and isinstance(original.slice[0].slice, cst.Index):
            key = original.slice[0].slice.value
            if isinstance(key, cst.SimpleString) and key.evaluated_value == "initial_lr" and self.base_lr is not None:
                value = float(self.base_lr)
                number = cst.Float(repr(abs(value)))
                return cst.UnaryOperation(operator=cst.Minus(), expression=number) if value < 0 else number
        return updated

    def leave_Call(self, original: cst.Call, updated: cst.Call) -> cst.BaseExpression:
        if dotted(original.func) == "len" and len(original.args) == 1 and self.length is not None:
            v = self.resolver.resolve(original, self.ctx)
            if not isinstance(v, Known):
                return cst.Integer(str(self.length))
        return updated


def _substitute_all(ix: Indexer, resolver: Resolver, node: cst.BaseExpression,
                    locals_: list[tuple[str, cst.BaseExpression]], subs: dict[str, cst.BaseExpression],
                    group_var: str | None, base_lr: float | None, time: _Time, fn: FunctionInfo | None,
                    loop: LoopInfo) -> cst.BaseExpression:
    """``node`` with loop variables rewritten in terms of the step counter and loop-body assignments inlined."""
    names = dict(subs)
    length = time.steps_per_epoch
    for name, expr in locals_:
        if name in subs:
            continue
        names[name] = expr.visit(_Subst(names, group_var, base_lr, length, resolver, loop.ctx))
    out = node.visit(_Subst(names, group_var, base_lr, length, resolver, loop.ctx))
    # function-level values the resolver cannot compute (`nb = len(train_loader)` before the loops)
    if fn is not None:
        for _ in range(3):
            extra: dict[str, cst.BaseExpression] = {}
            for name in _names(out):
                if name in names or name == TIME:
                    continue
                recs = [r for r in fn.scope.assigns.get(name, []) if r.kind == "assign" and r.value is not None]
                if len(recs) != 1 or recs[0].ctx.loops:
                    continue
                if isinstance(resolver.resolve(cst.Name(name), loop.ctx), Known):
                    continue
                value = recs[0].value
                if not (_mentions(value, set(names)) or any(c == "len" for c in _calls(value))):  # type: ignore
                    continue  # unknown for another reason (a config file): inlining would not help
                subst = _Subst(names, group_var, base_lr, length, resolver, loop.ctx)
                extra[name] = value.visit(subst)  # type: ignore[union-attr,assignment]
            if not extra:
                break
            names.update(extra)
            out = out.visit(_Subst(extra, group_var, base_lr, length, resolver, loop.ctx))
    return out  # type: ignore[return-value]


def _paren(node: cst.BaseExpression) -> cst.BaseExpression:
    if isinstance(node, (cst.Name, cst.Integer, cst.Float, cst.SimpleString, cst.Call, cst.Attribute,
                         cst.Subscript)):
        return node
    return node.with_changes(lpar=[cst.LeftParen()], rpar=[cst.RightParen()])


def _expr(text: str) -> cst.BaseExpression:
    return cst.parse_expression(text)


def _synthetic_def(group_var: str, target: str, value: cst.BaseExpression,
                   cond: cst.BaseExpression | None) -> cst.FunctionDef:
    """``def lraudit_manual(lraudit_optimizer, lraudit_step): [if cond:] for g in ...: g["lr"] = value``."""
    if target == "group":
        body = (f"for {group_var} in {OPT}.param_groups:\n"
                f"    {group_var}['lr'] = LRAUDIT_VALUE\n")
    else:
        body = f"{OPT}.param_groups[{target}]['lr'] = LRAUDIT_VALUE\n"
    if cond is not None:
        body = "if LRAUDIT_COND:\n" + "".join("    " + line + "\n" for line in body.splitlines())
    text = f"def {SYNTHETIC}({OPT}, {TIME}):\n" + "".join("    " + line + "\n" for line in body.splitlines())
    node = cst.parse_statement(text)
    return node.visit(_Placeholders({"LRAUDIT_VALUE": value, "LRAUDIT_COND": cond}))  # type: ignore[return-value]


def _synthetic_call_def(call: cst.Call, cond: cst.BaseExpression) -> cst.FunctionDef:
    text = f"def {SYNTHETIC}({OPT}, {TIME}):\n    if LRAUDIT_COND:\n        LRAUDIT_CALL\n"
    node = cst.parse_statement(text)
    return node.visit(_Placeholders({"LRAUDIT_CALL": call, "LRAUDIT_COND": cond}))  # type: ignore[return-value]


class _Placeholders(cst.CSTTransformer):
    def __init__(self, values: dict[str, cst.BaseExpression | None]) -> None:
        self.values = values

    def leave_Name(self, original: cst.Name, updated: cst.Name) -> cst.BaseExpression:
        v = self.values.get(original.value)
        return v if v is not None else updated


# ------------------------------------------------------------------------------------------ other modules
_WRITER_NAME = ("lr", "learning_rate", "adjust", "warmup", "sched", "anneal")


def _imported_writers(ix: Indexer,
                      resolver: Resolver) -> list[tuple[FunctionInfo, Resolver, list[CallSite], int, str]]:
    """Functions of a local module this file imports that write param_group["lr"], called from a training loop here
    (MAE: ``lr_sched.adjust_learning_rate(optimizer, i / len(loader) + epoch, args)`` with util/lr_sched.py)."""
    from .values import _module_resolver

    found: dict[str, tuple[FunctionInfo, Resolver, list[CallSite], int, str]] = {}
    for site in ix.calls:
        name = site.path.rsplit(".", 1)[-1]
        if not any(w in name.lower() for w in _WRITER_NAME) or _lexical_training_loop(ix, site.ctx) is None:
            continue
        q = ix.imports.qualify(site.node.func)
        if q is None or q.split(".", 1)[0] in _LIBRARIES:
            continue
        if q in found:
            found[q][2].append(site)
            continue
        path = _local_module_file(resolver, q)
        if path is None:
            continue
        other = _module_resolver(path, resolver.module_hops + 1)
        fn = other.ix.functions.get(q.rsplit(".", 1)[-1]) if other is not None else None
        if other is None or fn is None:
            continue
        writes = [w for w in _lr_subwrites(other.ix) if w.ctx.scope.function is fn]
        if writes:
            found[q] = (fn, other, [site], other.loc_line(writes[0].stmt), written_groups(writes[0], other.ix))
    return list(found.values())


_LIBRARIES = {"torch", "keras", "tensorflow", "transformers", "timm", "lightning", "pytorch_lightning", "accelerate",
              "numpy", "math", "jax", "optax", "tf_keras", "deepspeed", "mmcv", "detectron2"}


def _local_module_file(resolver: Resolver, qualified: str) -> str | None:
    """The file that defines ``pkg.module.function`` next to (or up to three directories above) this file."""
    import os

    parts = qualified.lstrip(".").split(".")
    if len(parts) < 2 or not resolver.path:
        return None
    here = os.path.dirname(os.path.abspath(resolver.path))
    roots = [here]
    for _ in range(3):
        roots.append(os.path.dirname(roots[-1]))
    mod = parts[:-1]
    for root in roots:
        for cand in (os.path.join(root, *mod) + ".py", os.path.join(root, *mod, "__init__.py")):
            if os.path.isfile(cand):
                return cand
    return None


# ------------------------------------------------------------------------------------------ helpers
def _lr_subwrites(ix: Indexer) -> list[SubscriptWrite]:
    out = []
    for w in ix.sub_writes:
        sl = w.target.slice
        if len(sl) == 1 and isinstance(sl[0].slice, cst.Index):
            key = sl[0].slice.value
            if isinstance(key, cst.SimpleString) and key.evaluated_value == "lr":
                out.append(w)
    return out


def _lexical_training_loop(ix: Indexer, ctx: Ctx) -> LoopInfo | None:
    for lid in reversed(ctx.loops):
        lp = ix.loops.get(lid)
        if lp is not None and lp.kind in ("epoch", "batch", "iteration") and not _over_groups(ix, lp):
            return lp
    return None


def _lexical_loop_of_kind(ix: Indexer, ctx: Ctx, kind: str) -> LoopInfo | None:
    for lid in reversed(ctx.loops):
        lp = ix.loops.get(lid)
        if lp is not None and lp.kind == kind:
            return lp
    return None


def _over_groups(ix: Indexer, lp: LoopInfo) -> bool:
    """A loop over an optimizer's param groups (``for g in opt.param_groups``, or over a name bound to them:
    ``groups = opt.param_groups; for g in groups``), which is bookkeeping, not a training loop."""
    if "param_groups" in lp.iter_text:
        return True
    node = lp.iter_node
    while isinstance(node, cst.Call) and dotted(node.func) in ("enumerate", "zip", "list", "reversed") and node.args:
        node = node.args[0].value
    if isinstance(node, cst.Subscript):
        node = node.value
    if not isinstance(node, cst.Name):
        return False
    for scope in lp.ctx.scope.chain():
        recs = scope.assigns.get(node.value)
        if recs:
            return all(r.kind == "assign" and r.value is not None and ix.text(r.value, 200).split("[", 1)[0]
                       .endswith(".param_groups") for r in recs)
    return False


def _group_loop(ix: Indexer, sw: SubscriptWrite, outer: LoopInfo | None) -> tuple[str | None, str | None]:
    """The ``for g in optimizer.param_groups`` (or ``enumerate(...)``) around the write: (g, index variable)."""
    base = sw.target.value
    if not isinstance(base, cst.Name):
        return None, None
    for lid in reversed(sw.ctx.loops):
        lp = ix.loops.get(lid)
        if lp is None or (outer is not None and lid == outer.id):
            break
        if not _over_groups(ix, lp) or not isinstance(lp.node, cst.For):
            continue
        t = lp.node.target
        if isinstance(t, cst.Name) and t.value == base.value:
            return t.value, None
        if isinstance(t, (cst.Tuple, cst.List)) and len(t.elements) == 2 and \
                isinstance(t.elements[1].value, cst.Name) and t.elements[1].value.value == base.value:
            idx = t.elements[0].value
            if isinstance(lp.node.iter, cst.Call) and dotted(lp.node.iter.func) == "zip":
                return base.value, None  # zip(other, opt.param_groups): the first name is not an index
            return base.value, idx.value if isinstance(idx, cst.Name) else None
        if isinstance(t, (cst.Tuple, cst.List)) and isinstance(lp.node.iter, cst.Call) and \
                dotted(lp.node.iter.func) == "zip" and any(
                    isinstance(e.value, cst.Name) and e.value.value == base.value for e in t.elements):
            return base.value, None  # for g, scale in zip(opt.param_groups, scales)
    return None, None


def _group_target(sw: SubscriptWrite, group_var: str | None) -> str:
    """"group" for every group, else the index written (``optimizer.param_groups[0]["lr"] = ...``)."""
    if group_var is not None:
        return "group"
    base = sw.target.value
    if isinstance(base, cst.Subscript) and len(base.slice) == 1 and isinstance(base.slice[0].slice, cst.Index):
        idx = base.slice[0].slice.value
        if isinstance(idx, cst.Integer):
            return idx.value
    return "group"


def _group_note(sw: SubscriptWrite, group_var: str | None) -> str:
    target = _group_target(sw, group_var)
    if target != "group":
        return f"; only param_groups[{target}] is written"
    return ""


def _base_lr(facts: FileFacts, opt: str | None) -> float | None:
    o = facts.optimizer(opt)
    if o is None:
        return None
    lr = o.groups[0].lr if o.groups else o.lr
    if isinstance(lr, Known) and isinstance(lr.value, (int, float)) and not isinstance(lr.value, bool):
        return float(lr.value)
    return None


def _is_object_arg(resolver: Resolver, node: cst.BaseExpression, site: CallSite) -> bool:
    from .values import ObjectRef

    v = resolver.resolve(node, site.ctx, site.seq)
    return isinstance(v, Known) and isinstance(v.value, ObjectRef)


def _walk_statements(block: cst.BaseSuite) -> list[cst.CSTNode]:
    out: list[cst.CSTNode] = []
    body = block.body if isinstance(block, (cst.IndentedBlock, cst.SimpleStatementSuite)) else []
    for stmt in body:
        if isinstance(stmt, cst.SimpleStatementLine):
            out.extend(stmt.body)
        elif isinstance(stmt, cst.If):
            out.append(stmt)
            out.extend(_walk_statements(stmt.body))
            orelse = stmt.orelse
            while orelse is not None:
                if isinstance(orelse, cst.Else):
                    out.extend(_walk_statements(orelse.body))
                    break
                out.extend(_walk_statements(orelse.body))
                orelse = orelse.orelse
        elif isinstance(stmt, (cst.With, cst.Try)):
            out.extend(_walk_statements(stmt.body))
        else:
            out.append(stmt)
    return out


def _mentions(node: cst.CSTNode, names: set[str]) -> bool:
    return bool(_names(node) & names)


def _names(node: cst.CSTNode) -> set[str]:
    out: set[str] = set()

    class V(cst.CSTVisitor):
        def visit_Name(self, n: cst.Name) -> None:
            out.add(n.value)

        def visit_Attribute(self, n: cst.Attribute) -> bool:
            n.value.visit(self)
            return False

        def visit_Arg(self, n: cst.Arg) -> bool:
            n.value.visit(self)
            return False

    node.visit(V())
    return out


def _loop_locals_all(ix: Indexer, loop: LoopInfo) -> list[tuple[str, cst.BaseExpression]]:
    out = []
    for stmt in _walk_statements(loop.node.body):
        if isinstance(stmt, cst.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0].target, cst.Name):
            out.append((stmt.targets[0].target.value, stmt.value))
    return out


def _loop_locals(ix: Indexer, loop: LoopInfo, value: cst.CSTNode, at_seq: int) -> list[tuple[str, cst.BaseExpression]]:
    """Assignments in the loop body that the written value depends on (``lr = get_lr(it)``), in order."""
    assigns = _loop_locals_all(ix, loop)
    wanted = _names(value)
    picked: list[tuple[str, cst.BaseExpression]] = []
    for name, expr in reversed(assigns):
        if name in wanted:
            picked.append((name, expr))
            wanted |= _names(expr)
    picked.reverse()
    # keep only the last assignment of each name (the one in effect at the write)
    seen: dict[str, cst.BaseExpression] = {}
    for name, expr in picked:
        seen[name] = expr
    order = list(dict.fromkeys(n for n, _ in picked))
    return [(n, seen[n]) for n in order]


def _enclosing_tests(root: cst.CSTNode, target: cst.CSTNode) -> list[cst.BaseExpression]:
    """The ``if`` tests (inside ``root``) that guard ``target`` (else-branches negated)."""
    found: list[list[cst.BaseExpression]] = []

    class V(cst.CSTVisitor):
        def __init__(self) -> None:
            self.stack: list[cst.BaseExpression] = []

        def visit_If(self, node: cst.If) -> bool:
            self.stack.append(node.test)
            node.body.visit(self)
            self.stack.pop()
            if node.orelse is not None:
                self.stack.append(cst.UnaryOperation(cst.Not(), _paren(node.test)))
                node.orelse.visit(self)
                self.stack.pop()
            return False

        def on_visit(self, node: cst.CSTNode) -> bool:
            if node is target:
                found.append(list(self.stack))
                return False
            return super().on_visit(node)

    body = root.body if isinstance(root, (cst.For, cst.While)) else root
    body.visit(V())  # type: ignore[union-attr]
    return found[0] if found else []


def _name_of(ix: Indexer, value: cst.BaseExpression, locals_: list[tuple[str, cst.BaseExpression]]) -> str:
    """The user function that computes the rate (``get_lr``), else "loop"."""
    for expr in [e for _, e in locals_] + [value]:
        for n in _calls(expr):
            if n in ix.functions_by_name:
                return n
    return "loop"


def _calls(node: cst.CSTNode) -> list[str]:
    out: list[str] = []

    class V(cst.CSTVisitor):
        def visit_Call(self, n: cst.Call) -> None:
            d = dotted(n.func)
            if d:
                out.append(d)

    node.visit(V())
    return out


def _iter_name(loop: LoopInfo) -> str | None:
    it = loop.iter_node
    if isinstance(it, cst.Call) and dotted(it.func) in ("enumerate", "tqdm", "tqdm.tqdm") and it.args:
        it = it.args[0].value
    return dotted(it) if it is not None else None


__all__ = ["manual_schedules", "ManualPlan", "TIME", "written_groups", "Unknown", "CallSite", "AssignRec"]
