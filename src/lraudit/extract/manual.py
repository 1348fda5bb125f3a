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

Counters may be locals (``it += 1``), fields of a trainer (``self.step += 1``, read by a method such as
guided-diffusion's ``_anneal_lr``) or dict entries (``state["iter_num"] += 1``, litgpt). Writes that carry state
from one pass to the next (``g["lr"] *= 0.1``, ``g["lr"] = g["lr"] * 0.97``, ``curr_lr /= 3; update_lr(opt,
curr_lr)``) and constants written under a condition on the step (``if epoch == 25: g["lr"] = 1e-5``) are
rewritten in closed form (start x factor ** number of updates so far), so every step can be evaluated on its own
(sampled curves stay exact); what cannot be unrolled is reported with a reason and no curve. A write placed after
every optimizer step of its pass (end of an epoch) applies from the next pass, as in torch: the plan's step ``k``
then uses the write of pass ``k - 1`` and step 0 keeps the optimizer's rate.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import libcst as cst

from ..facts import FileFacts, FunctionValue, Known, Location, SchedulerFact, Unknown, Value
from .imports import dotted
from .index import AssignRec, CallSite, Ctx, FunctionInfo, Indexer, LoopInfo, SubscriptWrite, _code_text, _cut, lr_subscript
from .loops import over_param_groups
from .run_sizes import is_run_size
from .values import EvalScope, Resolver, symbol_text

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
        if lp is not None and over_param_groups(ix, lp):
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
    index_note: str | None = None  # the written value tests the group's index: the curve is group 0's (words)
    spe_assumed: bool = False  # steps_per_epoch is the assumed length (``assumption`` says so in words)


@dataclass
class _Time:
    subs: dict[str, cst.BaseExpression]
    unit: str  # epoch | batch
    count: Value  # number of steps when the script states it
    steps_per_epoch: int | None = None
    assumption: str | None = None
    described: list[tuple[str, str]] = field(default_factory=list)
    assumed_count: Value | None = None
    spe_assumed: bool = False  # steps_per_epoch is the assumed length, not the script's


def manual_schedules(facts: FileFacts, flow: Any, ix: Indexer, resolver: Resolver, contexts: Any,
                     builder: Any) -> FileFacts:
    from .rate_writers import owned_writes

    imported = _imported_writers(ix, resolver)
    owned = owned_writes(flow)  # a rate-writing class's writes are its steps (rate_writers.py)
    aug = [w for w in _aug_lr_writes(ix) if not owned(w.ctx)]
    if not facts.lr_writes and not imported and not aug:
        return facts
    if aug:
        facts = replace(facts, lr_writes=facts.lr_writes + tuple(_aug_lr_facts(aug, resolver, contexts, builder)))
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
        if owned(sw.ctx):
            continue
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
            key = _write_key(ix, sw, loop)
            if key in handled_loops:
                continue
            handled_loops.add(key)
            built = _in_loop(facts, ix, resolver, contexts, builder, sw, loop, fn, opt, f"sched{n + 1}")
        elif fn is not None and fn.qualname not in handled_functions:
            handled_functions.add(fn.qualname)
            note = _group_note(sw, _group_loop(ix, sw, None)[0])
            other_file = resolver.loc_file(sw.stmt)  # a writer of another module linked into the index
            if other_file:
                note = f" in {other_file}" + note
            built = _writer_function(facts, ix, resolver, contexts, builder, resolver.calls_to(fn), fn, resolver,
                                     resolver.loc_line(sw.stmt), note, opt, f"sched{n + 1}", written_groups(sw, ix),
                                     cut=_cut_after_writes(ix, fn),
                                     own_after=_after_in(ix, resolver, builder, facts, sw))
        if built is None:
            continue
        n += 1
        if built[0] is not None:
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


def _other_writes(ix: Indexer, builder: Any, sw: SubscriptWrite, loop: LoopInfo) -> bool:
    """Whether another statement in the same training loop writes the rate of the same optimizer (or of one that
    is not known)."""
    mine = set(builder._param_group_owner(sw.target.value, sw.ctx, sw.seq))
    for w in _lr_subwrites(ix):
        if w.stmt is sw.stmt or _lexical_training_loop(ix, w.ctx) is not loop:
            continue
        theirs = set(builder._param_group_owner(w.target.value, w.ctx, w.seq))
        if not mine or not theirs or mine & theirs:
            return True
    return False


def _write_key(ix: Indexer, sw: SubscriptWrite, loop: LoopInfo) -> str:
    groups = [lid for lid in sw.ctx.loops if lid in ix.loops and over_param_groups(ix, ix.loops[lid])]
    return f"{loop.id}/{groups[-1] if groups else ix.text(sw.target, 60)}"


# ------------------------------------------------------------------------------------------ the two shapes
def _in_loop(facts: FileFacts, ix: Indexer, resolver: Resolver, contexts: Any, builder: Any, sw: SubscriptWrite,
             loop: LoopInfo, fn: FunctionInfo | None, opt: str | None,
             sid: str) -> tuple[ManualPlan, SchedulerFact] | None:
    """The loop body computes the rate and writes it."""
    time = _time_model(ix, resolver, loop, fn, sw.seq, [sw.value], resolver.loc_line(sw.stmt))
    if time is None:
        return None
    subs = dict(time.subs)
    group_var, index_var = _group_loop(ix, sw, loop)
    if index_var:
        subs[index_var] = cst.Integer("0")
    updates = _state_updates(ix, resolver, loop)
    locals_ = [(n, e) for n, e in _loop_locals(ix, loop, sw.value, sw.seq) if n not in updates]
    base_lr = _base_lr(facts, opt)

    def sub(node: cst.BaseExpression) -> cst.BaseExpression:
        return _substitute_all(ix, resolver, node, locals_, subs, group_var, base_lr, time, fn, loop)

    written, scale_note = _group_scale(sw.value, group_var)
    value = sub(written)
    tests = _enclosing_tests(loop.node, sw.stmt)
    cond = _conjunction([sub(t) for t in tests])
    own = _own_rate(value, sw.target, group_var)
    carried = _carry(ix, resolver, loop, value, tests, cond, updates, sub, own, base_lr, resolver.loc_line(sw.stmt))
    if carried is None:
        return None  # a constant write (restoring a rate, a resume) is not a schedule
    if not isinstance(carried, str) and carried[2] and _other_writes(ix, builder, sw, loop):
        # a carried or one-off rate assumes that nothing else in the pass writes it
        carried = "other writes in the same loop set this rate too (rates written in several places are not unrolled)"
    target = _group_target(sw, group_var)
    if isinstance(carried, str):
        return None, _unfollowed(ix, builder, contexts, sw, opt, sid, time, carried)  # type: ignore[return-value]
    value, cond, carry_note = carried
    after = _after_steps(facts, ix, resolver, builder, loop, sw.ctx, opt)
    if after:
        value, cond = _shifted(value), _conjunction([_expr(f"{TIME} >= 1"), *([_shifted(cond)] if cond else [])])
    def_node = _synthetic_def(group_var or "lraudit_group", target, value, cond)
    scope = EvalScope(resolver, sw.ctx)
    fv = FunctionValue(def_node, SYNTHETIC, resolver.loc_line(sw.stmt), scope=scope)
    call = cst.Call(func=cst.Name(SYNTHETIC), args=[cst.Arg(cst.Name(OPT)), cst.Arg(cst.Name(TIME))])
    index_note = _index_note(ix, sw.value, index_var) + scale_note
    plan = ManualPlan("call", TIME, 0, 1, scope, function=fv, call=call, expr=value, condition=cond,
                      steps_per_epoch=time.steps_per_epoch, assumption=time.assumption,
                      spe_assumed=time.spe_assumed, time_vars=tuple(time.described), groups=written_groups(sw, ix),
                      index_note=index_note.lstrip("; ") or None)
    name = _name_of(ix, sw.value, locals_)
    helper = ix.functions_by_name.get(name, [])
    fv_user = None
    if len(helper) == 1:
        h = helper[0]
        fv_user = FunctionValue(h.node, h.name, resolver.loc_line(h.node), scope=EvalScope(resolver, Ctx(h.scope)),
                                file=resolver.def_file(h.node))
    sc = contexts.of(sw.ctx)
    loc = builder.loc.location(sw.stmt)
    text = ix.text(sw.value, 60)
    desc = f"the training loop sets param_group['lr'] = {text} (line {loc.line})"
    if tests:
        desc += " when " + " and ".join(ix.text(t, 60) for t in tests)
    desc += carry_note + _group_note(sw, group_var) + index_note
    if after:
        desc += f"; written after the {_pass_word(loop)}'s optimizer steps, so each value applies from the next one"
    for lid in reversed(sw.ctx.loops):
        lp = ix.loops.get(lid)
        if lp is not None and over_param_groups(ix, lp):
            text = _groups_text(ix, lp)
            if not _all_groups(text):
                desc += f"; only the groups of {text}"
            break
    fact = _fact(sid, f"manual:{name}", loc, opt, fv_user, time.unit, desc, sc.via)
    return plan, _with_horizon(fact, time)


def _writer_function(facts: FileFacts, ix: Indexer, resolver: Resolver, contexts: Any, builder: Any,
                     sites: list[CallSite], fn: FunctionInfo, fn_resolver: Resolver, wline: int, note: str,
                     opt: str | None, sid: str, groups: str = "all", cut: cst.FunctionDef | None = None,
                     own_after: bool | None = None) -> tuple[ManualPlan, SchedulerFact] | None:
    """A function writes the rate (here or in a local module it imports); a training loop calls it, or calls the
    function that calls it (``for epoch ...: train(epoch)`` where ``train`` begins with ``adjust(optimizer,
    epoch)``: see ``_lifted``). ``cut``: the function's def up to its last rate write (``_cut_after_writes``);
    ``own_after``: whether its write follows the optimizer steps it makes itself (``_after_in``)."""
    for site, lift in _with_lifts(ix, resolver, builder, facts, sites, fn):
        loop = _lexical_training_loop(ix, site.ctx)
        if loop is None:
            continue
        anchor = lift.outer.node if lift is not None else site.node  # the call in the loop, a node of the tree
        caller = site.ctx.scope.function
        time = _time_model(ix, resolver, loop, caller, site.seq, [a.value for a in site.node.args],
                           resolver.loc_line(anchor))
        if time is None:
            continue
        updates = _state_updates(ix, resolver, loop)
        locals_ = [(n, e) for n, e in _loop_locals(ix, loop, site.node, site.seq) if n not in updates]
        base_lr = _base_lr(facts, opt)

        def sub(node: cst.BaseExpression) -> cst.BaseExpression:
            return _substitute_all(ix, resolver, node, locals_, dict(time.subs), None, base_lr, time, caller, loop)

        call = sub(site.node)
        if not isinstance(call, cst.Call):
            continue
        call = _loader_stand_in(call, loop, time)
        fv = FunctionValue(cut or fn.node, fn.name, fn_resolver.loc_line(fn.node), scope=EvalScope(fn_resolver,
                                                                                             Ctx(fn.scope)),
                           file=fn_resolver.def_file(fn.node))
        tests = _enclosing_tests(loop.node, anchor)
        gate = _update_gate(loop.node, anchor, {n for n, _ in time.described}, tests)
        if gate is not None:
            # `if (i + 1) % accum == 0: adjust(opt, global_step); opt.step(); global_step += 1`: the write runs
            # once per update, and the counter counts updates: step k of the schedule is the k-th update
            others = {n for n, _ in time.described} - {gate[1]}
            if _mentions(site.node, others):
                continue  # the rate also reads the batch index or the epoch: not a function of the updates alone
            tests = [t for t in tests if t is not gate[0]]
            time = replace(time, subs={gate[1]: time.subs[gate[1]]},
                           described=[(n, e) for n, e in time.described if n == gate[1]],
                           count=Unknown(f"updates happen only when {ix.text(gate[0], 60)} (once every few "
                                         "batches), and how many there are is not stated"),
                           assumed_count=None, steps_per_epoch=None, unit="batch")
        cond = _conjunction([sub(t) for t in tests])
        carry_note = ""
        if not _mentions(call, {TIME}):
            # a method that reads the trainer's own counter (guided-diffusion's ``_anneal_lr`` reads ``self.step``)
            bound = _with_counters(fn, site, caller, time)
            if bound is not None:
                fv = replace(fv, node=bound)
                call = _method_call(call, fn)
            else:
                carried = _carry(ix, resolver, loop, call, tests, cond, updates, sub, False, base_lr,
                                 resolver.loc_line(anchor), helper=True)
                if carried is None:
                    # the same call at every pass (or under a condition on what the run computes): a schedule when
                    # the helper scales the rate it finds (`adjust_learning_rate(optimizer, 0.9)` each epoch), not
                    # when it writes the same constant each time
                    scales = _scales_rate(fv, call, EvalScope(resolver, site.ctx), resolver, site)
                    if scales is False:
                        continue
                    if isinstance(scales, str):
                        carried = f"what {fn.name}() writes is not known: {scales}"
                    elif tests:
                        carried = (f"{fn.name}() scales the current rate, and is called only when "
                                   f"{' and '.join(ix.text(t, 60) for t in tests)}, which the run decides")
                    else:
                        carried = (call, None, f"; {fn.name}() scales the rate it finds, at every "
                                               f"{_pass_word(loop)}")
                if isinstance(carried, str):
                    return None, _unfollowed_call(ix, builder, contexts, site, fn, opt, sid, time, carried,
                                                  wline, note)  # type: ignore[return-value]
                new_call, cond, carry_note = carried
                if not isinstance(new_call, cst.Call):
                    continue
                call = new_call
        after = lift.after if lift is not None and lift.after is not None else \
            _after_steps(facts, ix, resolver, builder, loop, site.ctx, opt)
        if own_after:  # train(epoch) runs its batches, then sets the rate: it applies from the next call
            after = True
        if after:
            call = _shifted(call)  # type: ignore[assignment]
            cond = _conjunction([_expr(f"{TIME} >= 1"), *([_shifted(cond)] if cond else [])])
        plan_fn, plan_call = fv, call
        if cond is not None:
            # the optimizer-like arguments become the placeholder optimizer inside the synthetic wrapper
            args = [a.with_changes(value=cst.Name(OPT)) if _is_object_arg(resolver, a.value, site) else a
                    for a in call.args]
            inner = call.with_changes(args=args)
            plan_fn = FunctionValue(_synthetic_call_def(inner, cond), SYNTHETIC, resolver.loc_line(anchor),
                                    scope=EvalScope(resolver, site.ctx),
                                    bound=((fn.name, fv),) if fv.node is not fn.node else ())
            plan_call = cst.Call(func=cst.Name(SYNTHETIC), args=[cst.Arg(cst.Name(OPT)), cst.Arg(cst.Name(TIME))])
        plan = ManualPlan("call", TIME, 0, 1, EvalScope(resolver, site.ctx), function=plan_fn, call=plan_call,
                          condition=cond, steps_per_epoch=time.steps_per_epoch, assumption=time.assumption,
                          spe_assumed=time.spe_assumed, time_vars=tuple(time.described), groups=groups)
        sc = contexts.of(site.ctx)
        loc = builder.loc.location(lift.inner.node if lift is not None else site.node)
        desc = f"{fn.name}() writes param_group['lr'] (line {wline}{note if note.startswith(' in ') else ''}); "
        if lift is not None:
            desc += (f"called as {ix.text(lift.inner.node, 70)} in {lift.function}() (line "
                     f"{resolver.loc_line(lift.inner.node)}), which the {loop.kind} loop at line "
                     f"{resolver.loc_line(loop.node)} calls as {ix.text(anchor, 50)}")
        else:
            desc += f"called as {ix.text(site.node, 70)} from the {loop.kind} loop at line {resolver.loc_line(loop.node)}"
        if tests:
            desc += " when " + " and ".join(ix.text(t, 60) for t in tests)
        desc += carry_note
        if not note.startswith(" in "):
            desc += note
        if after:
            desc += f"; called after the {_pass_word(loop)}'s optimizer steps, so each value applies from the next one"
        fact = _fact(sid, f"manual:{fn.name}", loc, opt, fv, time.unit, desc, sc.via)
        return plan, _with_horizon(fact, time)
    return None


# ------------------------------------------------------------------------------------ a writer one call down
@dataclass(frozen=True)
class _Lift:
    """A writer call in a function the training loop calls: ``inner`` is the call in that function, ``outer`` the
    loop's call of the function; ``after`` whether the write follows the function's own optimizer steps (None: the
    function steps none, the loop's order decides)."""

    inner: CallSite
    outer: CallSite
    function: str
    after: bool | None


def _with_lifts(ix: Indexer, resolver: Resolver, builder: Any, facts: FileFacts, sites: list[CallSite],
                fn: FunctionInfo) -> list[tuple[CallSite, _Lift | None]]:
    """Each call site of the writer ``fn`` as it is, then, for one that no training loop encloses, the same call
    as seen from each loop that calls its function (``_lifted``)."""
    out: list[tuple[CallSite, _Lift | None]] = []
    for site in sites:
        out.append((site, None))
        if _lexical_training_loop(ix, site.ctx) is None:
            out.extend(_lifted(ix, resolver, builder, facts, site, fn))
    return out


def _lifted(ix: Indexer, resolver: Resolver, builder: Any, facts: FileFacts, site: CallSite,
            fn: FunctionInfo) -> list[tuple[CallSite, _Lift]]:
    """``adjust(optimizer, epoch)`` at the top level of ``train(epoch)``, which an epoch loop calls as
    ``train(e)``: the call ``adjust(optimizer, e)`` made at the loop's call (the function's parameters replaced by
    what that call passes). Only when the write surely runs on every call (a statement of the function's own body,
    under no condition or loop) and every other name it reads means the same at the loop's call (a parameter, or a
    name the function does not assign and the loop's function does not assign either unless it encloses the
    function); otherwise nothing, as before."""
    g = site.ctx.scope.function
    if g is None or g is fn or site.ctx.loops or site.ctx.conds or site.ctx.arms or not site.direct:
        return []
    if any(a.star for a in site.node.args) or any(isinstance(n, cst.Lambda) for n in _walk_nodes(site.node)):
        return []  # (a lambda's own parameters would be taken for the function's)
    params = {p.name: p for p in g.params}
    used = {n for a in site.node.args for n in _names(a.value)}
    if isinstance(site.node.func, cst.Attribute):
        used |= _names(site.node.func.value)
    if used & set(g.scope.assigns):
        return []  # a local of the function, or a parameter it rebinds (`epoch += 1`): not what the loop passes
    out: list[tuple[CallSite, _Lift]] = []
    for outer in resolver.calls_to(g)[:8]:
        if outer.node is site.node or outer.ctx.scope.function is g:
            continue
        if _lexical_training_loop(ix, outer.ctx) is None:
            continue
        mapping = _argument_map(g, outer.node)
        if mapping is None:
            continue
        outer_fn = outer.ctx.scope.function
        free = used - set(params)
        if outer_fn is not None and not _encloses(outer.ctx.scope, g.scope) and free & set(outer.ctx.scope.assigns):
            continue  # the outer function has its own variable of that name: not the one the function reads
        if not (used & set(params)) <= set(mapping):
            continue
        call = site.node.visit(_ParamSubst({k: v for k, v in mapping.items() if k in used}))
        if not isinstance(call, cst.Call):
            continue
        lifted = CallSite(call, site.path, outer.ctx, outer.seq, outer.stmt, [], True)
        out.append((lifted, _Lift(site, outer, g.name, _after_in(ix, resolver, builder, facts, site))))
    return out


def _argument_map(g: FunctionInfo, call: cst.Call) -> dict[str, cst.BaseExpression] | None:
    """Parameter name -> the expression the call passes (a literal default where it passes none); None when the
    call passes *args/**kwargs or the function takes them."""
    if any(a.star for a in call.args) or any(p.kind in ("varpos", "varkw") for p in g.params):
        return None
    positional = [p for p in g.params if p.kind == "pos"]
    out: dict[str, cst.BaseExpression] = {}
    if g.is_method and not any(isinstance(d.decorator, cst.Name) and d.decorator.value == "staticmethod"
                               for d in g.decorators):
        if not positional or not isinstance(call.func, cst.Attribute):
            return None
        out[positional[0].name] = call.func.value
        positional = positional[1:]
    args = [a for a in call.args if a.keyword is None]
    if len(args) > len(positional):
        return None
    for p, a in zip(positional, args):
        out[p.name] = a.value
    for a in call.args:
        if a.keyword is not None:
            if g.param(a.keyword.value) is None or a.keyword.value in out:
                return None
            out[a.keyword.value] = a.value
    for p in g.params:
        if p.name not in out and p.default is not None and not _names(p.default):
            out[p.name] = p.default
    return out


def _encloses(outer: Any, inner: Any) -> bool:
    s = inner.parent
    while s is not None:
        if s is outer:
            return True
        s = s.parent
    return False


class _ParamSubst(cst.CSTTransformer):
    def __init__(self, mapping: dict[str, cst.BaseExpression]) -> None:
        self.mapping = mapping

    def visit_Attribute(self, node: cst.Attribute) -> bool:
        return True

    def leave_Attribute(self, original: cst.Attribute, updated: cst.Attribute) -> cst.BaseExpression:
        return updated.with_changes(attr=original.attr)  # the attribute's own name is never a parameter

    def leave_Arg(self, original: cst.Arg, updated: cst.Arg) -> cst.Arg:
        return updated.with_changes(keyword=original.keyword)

    def leave_Name(self, original: cst.Name, updated: cst.Name) -> cst.BaseExpression:
        value = self.mapping.get(original.value)
        return _paren(value) if value is not None else updated


def _cut_after_writes(ix: Indexer, fn: FunctionInfo) -> cst.FunctionDef | None:
    """``fn``'s def with only the statements of its body its rate writes depend on: every statement from the first
    one that writes ``param_group["lr"]`` to the last one, and before those, the statements that bind a name they
    read (``lr = args.lr * ...``). What follows the last write (the batch loop of a ``train(epoch)`` that sets the
    epoch's rate first) cannot change what it writes; what comes first and binds nothing it reads (``net.train()``,
    ``print(...)``, a batch loop before a write of the next epoch's rate) cannot either, unless it may return or
    raise first. Both read what only the run knows (the loader, the model). None when nothing is dropped, or when
    a dropped statement calls a function that writes a rate too."""
    body = fn.node.body
    if not isinstance(body, cst.IndentedBlock):
        return None
    stmts = list(body.body)
    subwrites = _lr_subwrites(ix)
    writes = [sw for sw in subwrites if sw.ctx.scope is fn.scope]
    if not writes:
        return None
    holding = [i for i, st in enumerate(stmts) if any(_contains(st, sw.stmt, 0) for sw in writes)]
    if not holding:
        return None
    first, last = holding[0], holding[-1]
    writers = {sw.ctx.scope.function.name for sw in subwrites if sw.ctx.scope.function is not None}
    kept_idx = list(range(first, last + 1))
    needed: set[str] = set()
    for i in kept_idx:
        needed |= _names(stmts[i])
    for i in range(first - 1, -1, -1):
        st = stmts[i]
        if _binds(st) & needed or _exits(st) or isinstance(st, (cst.FunctionDef, cst.ClassDef)):
            kept_idx.append(i)
            needed |= _names(st)
    kept = sorted(kept_idx)
    if len(kept) == len(stmts):
        return None
    dropped = [stmts[i] for i in range(len(stmts)) if i not in set(kept)]
    if any((n[len("self."):] if n.startswith("self.") else n) in writers for st in dropped for n in called_names(st)):
        return None  # a writer called by name (`adjust(...)`, `self.adjust(...)`; not `model.train()`)
    declared = {n.name.value for st in dropped for x in _walk_nodes(st) if isinstance(x, (cst.Global, cst.Nonlocal))
                for n in x.names}
    if declared & {b for i in kept for b in _binds(stmts[i])}:
        return None  # `global lr` dropped before `lr = ...` is kept: the name would become the function's own
    return fn.node.with_changes(body=body.with_changes(body=[stmts[i] for i in kept]))


def _binds(stmt: cst.CSTNode) -> set[str]:
    """Names a statement may bind or change: assignment, loop and ``with`` targets, imports, and the object a
    method call or an attribute/subscript write acts on (``history.append(x)``, ``args.lr = ...``)."""
    out: set[str] = set()

    def root(node: cst.BaseExpression) -> None:
        while isinstance(node, (cst.Attribute, cst.Subscript)):
            node = node.value
        if isinstance(node, cst.Name):
            out.add(node.value)
        elif isinstance(node, (cst.Tuple, cst.List)):
            for el in node.elements:
                root(el.value)
        elif isinstance(node, cst.StarredElement):
            root(node.value)

    for node in _walk_nodes(stmt):
        if isinstance(node, cst.Assign):
            for t in node.targets:
                root(t.target)
        elif isinstance(node, (cst.AugAssign, cst.AnnAssign)):
            root(node.target)
        elif isinstance(node, (cst.For, cst.CompFor)):
            root(node.target)
        elif isinstance(node, cst.WithItem) and node.asname is not None:
            root(node.asname.name)  # type: ignore[arg-type]
        elif isinstance(node, cst.NamedExpr):
            root(node.target)
        elif isinstance(node, (cst.Import, cst.ImportFrom)):
            names = node.names if not isinstance(node.names, cst.ImportStar) else ()
            for alias in names:
                out.add((dotted(alias.asname.name) if alias.asname else dotted(alias.name) or "").split(".")[0])
        elif isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute):
            root(node.func.value)
    return out


def _exits(stmt: cst.CSTNode) -> bool:
    """Whether the statement may leave the function (``return``, ``raise``, ``sys.exit()``), so that what follows
    it may not run."""
    for node in _walk_nodes(stmt):
        if isinstance(node, (cst.Return, cst.Raise)):
            return True
        if isinstance(node, cst.Call) and (dotted(node.func) or "").endswith(("exit", "quit")):
            return True
    return False


def _after_in(ix: Indexer, resolver: Resolver, builder: Any, facts: FileFacts, site: Any) -> bool | None:
    """Whether the writer call follows every optimizer step the function makes, in its own body or in the
    functions it calls (``batches(net, opt)`` before ``adjust(opt, epoch + 1)``): the rate then applies from the
    next call on. None when the function reaches no step."""
    locs = {s.loc for s in facts.optimizer_steps}
    seqs: list[int] = []
    for c in ix.calls:
        if not (isinstance(c.node.func, cst.Attribute) and c.node.func.attr.value == "step"
                and builder.loc.location(c.node) in locs):
            continue
        frontier, seen = [c], set()
        for _ in range(4):  # the step, then the calls of its function, up to three calls away
            nxt: list[CallSite] = []
            for x in frontier:
                if x.ctx.scope is site.ctx.scope:
                    seqs.append(x.seq)
                    continue
                f = x.ctx.scope.function
                if f is None or id(f) in seen:
                    continue
                seen.add(id(f))
                nxt.extend(resolver.calls_to(f))
            frontier = nxt
    if not seqs:
        return None
    return all(q < site.seq for q in seqs)


# ------------------------------------------------------------------------------------------ carried state
@dataclass(frozen=True)
class _Update:
    """``s *= c`` / ``s = s / c`` / ``s -= c`` in a pass of the loop: the state ``s`` (a ``ref_key``) changes by a
    constant ``factor`` each time the update runs."""
    key: str
    op: type  # cst.Multiply | cst.Divide | cst.Add | cst.Subtract
    factor: cst.BaseExpression
    tests: tuple[cst.BaseExpression, ...]
    line: int


_COUNT = "lraudit_j"  # the bound variable of the counting comprehension
_FROM_FIRST = "; from the first pass where the condition holds on"


def _state_updates(ix: Indexer, resolver: Resolver, loop: LoopInfo) -> dict[str, list[_Update]]:
    """Statements of one pass of ``loop`` (not of nested loops) that change a value from its previous value:
    ``curr_lr /= 3`` (pytorch-tutorial ResNet), ``lr = lr * 0.95``, ``state["lr"] *= gamma``. Counters
    (``+= 1``) are left to the time model."""
    out: dict[str, list[_Update]] = {}
    for stmt in _walk_statements(loop.node.body):
        key, op, factor = None, None, None
        if isinstance(stmt, cst.AugAssign) and type(stmt.operator) in _AUG_OPS:
            key = ref_key(stmt.target)
            op, factor = _AUG_OPS[type(stmt.operator)], stmt.value
            if op is cst.Add and isinstance(factor, cst.Integer) and factor.value == "1":
                continue  # a counter
        elif isinstance(stmt, cst.Assign) and len(stmt.targets) == 1:
            key = ref_key(stmt.targets[0].target)
            v = stmt.value
            if key is not None and isinstance(v, cst.BinaryOperation) and type(v.operator) in _AUG_OPS.values():
                if ref_key(v.left) == key:
                    op, factor = type(v.operator), v.right
                elif ref_key(v.right) == key and isinstance(v.operator, cst.Multiply):
                    op, factor = cst.Multiply, v.left
        if key is None or op is None or factor is None or "[" in key and key.endswith("['lr']"):
            continue
        tests = tuple(_enclosing_tests(loop.node, stmt))
        out.setdefault(key, []).append(_Update(key, op, factor, tests, resolver.loc_line(stmt)))
    return out


def _conjunction(parts: list[cst.BaseExpression]) -> cst.BaseExpression | None:
    if not parts:
        return None
    out = parts[0]
    for p in parts[1:]:
        out = cst.BooleanOperation(_paren(out), cst.And(), _paren(p))
    return out


def _own_rate(value: cst.BaseExpression, target: cst.Subscript, group_var: str | None) -> bool:
    """Whether ``value`` reads the rate it overwrites (``g["lr"] * 0.97``, ``g["lr"] *= 0.1``)."""
    want = {ref_key(target)}
    if group_var:
        want.add(f"{group_var}['lr']")
    return bool(_ref_keys(value) & {w for w in want if w})


def _ref_keys(node: cst.CSTNode) -> set[str]:
    out: set[str] = set()

    class V(cst.CSTVisitor):
        def visit_Name(self, n: cst.Name) -> None:
            out.add(n.value)

        def visit_Attribute(self, n: cst.Attribute) -> bool:
            k = ref_key(n)
            if k:
                out.add(k)
            n.value.visit(self)
            return False

        def visit_Subscript(self, n: cst.Subscript) -> None:
            k = ref_key(n)
            if k:
                out.add(k)

        def visit_Arg(self, n: cst.Arg) -> bool:
            n.value.visit(self)
            return False

    node.visit(V())
    return out


class _ReplaceRef(cst.CSTTransformer):
    """Every occurrence of the reference ``key`` (a name, ``state["lr"]``, ``g["lr"]``) becomes ``repl``."""

    def __init__(self, keys: set[str], repl: cst.BaseExpression) -> None:
        self.keys = keys
        self.repl = repl

    def _hit(self, original: cst.CSTNode, updated: cst.BaseExpression) -> cst.BaseExpression:
        return _paren(self.repl) if ref_key(original) in self.keys else updated

    def leave_Name(self, original: cst.Name, updated: cst.Name) -> cst.BaseExpression:
        return self._hit(original, updated)

    def leave_Attribute(self, original: cst.Attribute, updated: cst.Attribute) -> cst.BaseExpression:
        if ref_key(original) in self.keys:
            return _paren(self.repl)
        return updated.with_changes(attr=original.attr)

    def leave_Subscript(self, original: cst.Subscript, updated: cst.Subscript) -> cst.BaseExpression:
        return self._hit(original, updated)

    def leave_Arg(self, original: cst.Arg, updated: cst.Arg) -> cst.Arg:
        return updated.with_changes(keyword=original.keyword)


def _count_expr(tests: list[cst.BaseExpression], inclusive: bool) -> cst.BaseExpression:
    """How many passes 0..k (``inclusive``) or 0..k-1 ran with every test true, as an expression of the step."""
    end = f"{TIME} + 1" if inclusive else TIME
    if not tests:
        return _expr(f"({end})")
    if len(tests) == 1:
        fast = _count_fast(tests[0], inclusive)
        if fast is not None:
            return fast
    cond = _conjunction([t.visit(_ReplaceRef({TIME}, cst.Name(_COUNT))) for t in tests])  # type: ignore[misc]
    # evaluate.py's lraudit_count keeps the count between the steps of a replay (a sum over range(end) at every
    # step made long runs quadratic: `if i == 0 and epoch in [30, 60]` over 9,000 batches never finished)
    text = f"lraudit_count(lambda {_COUNT}: LRAUDIT_COND, {end})"
    return _expr(text).visit(_Placeholders({"LRAUDIT_COND": cond}))  # type: ignore[return-value]


def _count_fast(test: cst.BaseExpression, inclusive: bool) -> cst.BaseExpression | None:
    """The count of ``_count_expr`` without a pass-by-pass sum, for a test on a value ``x`` that grows by one per
    pass (``epoch``, ``it``, ``epoch + 1``): ``x % P == R`` (or ``not x % P``), ``x == c`` and ``x in S``."""
    def linear(node: cst.BaseExpression) -> cst.BaseExpression | None:
        if _slope_one(node):
            return node
        return None

    x = None
    if isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not):
        inner = test.expression
        if isinstance(inner, cst.BinaryOperation) and isinstance(inner.operator, cst.Modulo):
            x = linear(inner.left)
            if x is not None and not _mentions(inner.right, {TIME}):
                return _modulo_count(x, inner.right, cst.Integer("0"), inclusive)
        return None
    if not (isinstance(test, cst.Comparison) and len(test.comparisons) == 1):
        return None
    left, op, right = test.left, test.comparisons[0].operator, test.comparisons[0].comparator
    if isinstance(op, cst.Equal) and isinstance(right, cst.BinaryOperation) and not _mentions(left, {TIME}):
        left, right = right, left
    if _mentions(right, {TIME}):
        return None
    if isinstance(op, cst.Equal) and isinstance(left, cst.BinaryOperation) and \
            isinstance(left.operator, cst.Modulo) and not _mentions(left.right, {TIME}):
        x = linear(left.left)
        return _modulo_count(x, left.right, right, inclusive) if x is not None else None
    x = linear(left)
    if x is None:
        return None
    lo, hi = _ends(x, inclusive)
    if isinstance(op, cst.Equal):
        text = f"(1 if LO <= (V) <= HI else 0)"
    elif isinstance(op, cst.In):
        text = f"len({{{_COUNT} for {_COUNT} in V if LO <= {_COUNT} <= HI}})"
    else:
        return None
    return _expr(text).visit(_Placeholders({"LO": lo, "HI": hi, "V": right}))  # type: ignore[return-value]


def _slope_one(node: cst.BaseExpression) -> bool:
    """Whether ``node`` is ``TIME`` plus or minus integer constants (``(0 + lraudit_step) + 1``)."""
    found = 0

    def walk(n: cst.BaseExpression, sign: int) -> bool:
        nonlocal found
        if isinstance(n, cst.Name) and n.value == TIME:
            found += 1
            return sign == 1
        if isinstance(n, cst.Integer):
            return True
        if isinstance(n, cst.BinaryOperation) and isinstance(n.operator, (cst.Add, cst.Subtract)):
            right_sign = sign if isinstance(n.operator, cst.Add) else -sign
            return walk(n.left, sign) and walk(n.right, right_sign)
        return False

    return walk(node, 1) and found == 1


def _ends(x: cst.BaseExpression, inclusive: bool) -> tuple[cst.BaseExpression, cst.BaseExpression]:
    """``x`` at the first pass and at the last pass counted (k, or k - 1)."""
    lo = x.visit(_ReplaceRef({TIME}, cst.Integer("0")))
    hi = x if inclusive else x.visit(_ReplaceRef({TIME}, _expr(f"{TIME} - 1")))
    return lo, hi  # type: ignore[return-value]


def _modulo_count(x: cst.BaseExpression, p: cst.BaseExpression, r: cst.BaseExpression,
                  inclusive: bool) -> cst.BaseExpression:
    lo, hi = _ends(x, inclusive)
    text = "(((HI) - (R)) // (P) - ((LO) - 1 - (R)) // (P) if 0 <= (R) < (P) else 0)"
    return _expr(text).visit(_Placeholders({"LO": lo, "HI": hi, "P": p, "R": r}))  # type: ignore[return-value]


def _closed_form(start: cst.BaseExpression, op: type, factor: cst.BaseExpression,
                 count: cst.BaseExpression) -> cst.BaseExpression:
    """``start`` after ``count`` updates ``s = s <op> factor``."""
    f, n = _paren(factor), _paren(count)
    if op is cst.Multiply:
        return cst.BinaryOperation(_paren(start), cst.Multiply(), cst.BinaryOperation(f, cst.Power(), n))
    if op is cst.Divide:
        return cst.BinaryOperation(_paren(start), cst.Divide(), cst.BinaryOperation(f, cst.Power(), n))
    change = cst.BinaryOperation(f, cst.Multiply(), n)
    return cst.BinaryOperation(_paren(start), cst.Add() if op is cst.Add else cst.Subtract(), change)


def _number(v: Value) -> cst.BaseExpression | None:
    if isinstance(v, Known) and isinstance(v.value, (int, float)) and not isinstance(v.value, bool):
        x = float(v.value)
        if x != x or x in (float("inf"), float("-inf")):
            return None
        lit = cst.Float(repr(abs(x)))
        return cst.UnaryOperation(cst.Minus(), lit) if x < 0 else lit
    return None


def _carry(ix: Indexer, resolver: Resolver, loop: LoopInfo, value: cst.BaseExpression,
           tests: list[cst.BaseExpression], cond: cst.BaseExpression | None, updates: dict[str, list[_Update]],
           sub: Any, own: bool, base_lr: float | None, write_line: int,
           helper: bool = False) -> tuple[cst.BaseExpression, cst.BaseExpression | None, str] | str | None:
    """A write whose value does not follow from the step alone, as (value, condition, note) in terms of the step.

    * ``g["lr"] *= 0.1`` / ``g["lr"] = g["lr"] * 0.97`` (under ``if epoch in (30, 60)`` or every pass): the rate is
      the optimizer's starting rate times the factor to the number of passes so far that ran the write;
    * ``curr_lr /= 3; g["lr"] = curr_lr`` (pytorch-tutorial): the same for the carried value, from its value before
      the loop; the write must run every pass, or exactly when the update runs (after it);
    * a constant written under a condition on the step (``if epoch == 25: g["lr"] = 1e-5``): the rate is the
      optimizer's until the first pass where the condition holds, and the constant from then on;
    * a ``helper`` called under such a condition (``if epoch % 8 == 0: adjust(optimizer, 0.8)``): called exactly
      when the condition holds, on the rate carried from the call before, since the helper may scale the current
      rate rather than write a constant (calling it at every pass from the first would compound the factor).

    Returns None when the value is a constant written without such a condition (a resume, a restore), and a
    reason (str) when the value carries state in a way this does not unroll."""
    if own:
        split = _split_update(value)
        if split is None:
            return "the rate is computed from its previous value in a way lraudit does not unroll"
        op, factor = split
        if _mentions(sub(factor), {TIME}) or _has_lr_ref(factor):
            return "the factor applied to the previous rate changes over time"
        start = _number(Known(base_lr, "")) if base_lr is not None else None
        if start is None:
            return "the optimizer's starting rate is not known"
        subs_tests = [sub(t) for t in tests]
        count = _count_expr(subs_tests, True)
        what = ", ".join(ix.text(t, 50) for t in tests)
        note = (f"; the rate is carried from one pass to the next: {_op_word(op)} {ix.text(factor, 30)} each pass"
                + (f" where {what}" if tests else ""))
        return _closed_form(start, op, sub(factor), count), None, note
    keys = _ref_keys(value) & set(updates)
    if keys:
        if len(keys) != 1 or len(updates[next(iter(keys))]) != 1:
            return "the rate depends on values updated several times per pass"
        key = next(iter(keys))
        upd = updates[key][0]
        if _mentions(upd.factor, {key}) or _mentions(sub(upd.factor), {TIME}):
            return f"{key} changes by a factor that itself changes over time"
        inclusive = upd.line < write_line
        start = _initial_value(ix, resolver, loop, key)
        if start is None:
            return f"the value of {key} before the loop is not known"
        u_text = [ix.text(t, 200) for t in upd.tests]
        w_text = [ix.text(t, 200) for t in tests]
        count = _count_expr([sub(t) for t in upd.tests], inclusive)
        new_value = value.visit(_ReplaceRef({key}, _closed_form(start, upd.op, sub(upd.factor), count)))
        what = ", ".join(u_text)
        note = (f"; {key} is carried from one pass to the next: {_op_word(upd.op)} {ix.text(upd.factor, 30)} "
                f"(line {upd.line})" + (f" when {what}" if u_text else " every pass"))
        if not tests:
            return new_value, None, note  # type: ignore[return-value]
        if w_text == u_text and inclusive:
            return new_value, _expr(f"{_code(count)} > 0"), note  # type: ignore[return-value]
        return f"{key} changes at other times than the rate is written"
    if _mentions(value, {TIME}):
        return value, cond, ""
    if cond is not None and _mentions(cond, {TIME}):
        if helper:
            return value, cond, ""
        count = _count_expr([sub(t) for t in tests], True)
        return value, _expr(f"{_code(count)} > 0"), _FROM_FIRST
    return None


def _split_update(value: cst.BaseExpression) -> tuple[type, cst.BaseExpression] | None:
    """``g["lr"] * c`` / ``c * g["lr"]`` / ``g["lr"] / c`` / ``g["lr"] - c`` / ``g["lr"] + c``: (operator, c)."""
    v = value
    if not isinstance(v, cst.BinaryOperation) or type(v.operator) not in _AUG_OPS.values():
        return None
    left_lr = _is_lr_ref(v.left)
    right_lr = _is_lr_ref(v.right)
    if left_lr and not _has_lr_ref(v.right):
        return type(v.operator), v.right
    if right_lr and not _has_lr_ref(v.left) and isinstance(v.operator, (cst.Multiply, cst.Add)):
        return type(v.operator), v.left
    return None


def _is_lr_ref(node: cst.BaseExpression) -> bool:
    k = ref_key(node)
    return k is not None and k.endswith("['lr']")


def _has_lr_ref(node: cst.CSTNode) -> bool:
    return any(k.endswith("['lr']") for k in _ref_keys(node))


def _op_word(op: type) -> str:
    return {cst.Multiply: "times", cst.Divide: "divided by", cst.Add: "plus", cst.Subtract: "minus"}[op]


def _code(node: cst.CSTNode) -> str:
    return cst.Module(body=[]).code_for_node(node)


def _initial_value(ix: Indexer, resolver: Resolver, loop: LoopInfo, key: str) -> cst.BaseExpression | None:
    """The value a carried variable has when the loop starts (a fresh run), as a number."""
    try:
        node = cst.parse_expression(key)
    except Exception:
        return None
    scope = loop.ctx.scope
    recs = scope.assigns.get(key, [])
    augs = [r for r in recs if loop.id in r.ctx.loops]
    first = min((r.seq for r in augs), default=None)
    inits = [r for r in recs if loop.id not in r.ctx.loops]
    v = resolver.resolve(node, loop.ctx, first if inits else None)
    return _number(v)


def _unfollowed(ix: Indexer, builder: Any, contexts: Any, sw: SubscriptWrite, opt: str | None, sid: str,
                time: _Time, reason: str) -> SchedulerFact:
    """A hand-written schedule that is reported (so nothing reasons as if the rate were constant) but not drawn."""
    loc = builder.loc.location(sw.stmt)
    desc = (f"the training loop sets param_group['lr'] = {ix.text(sw.value, 60)} (line {loc.line}); not simulated: "
            f"{reason}")
    fact = _fact(sid, "manual:loop", loc, opt, None, time.unit, desc, contexts.of(sw.ctx).via)
    return _with_horizon(fact, time)


def _unfollowed_call(ix: Indexer, builder: Any, contexts: Any, site: CallSite, fn: FunctionInfo, opt: str | None,
                     sid: str, time: _Time, reason: str, wline: int, note: str) -> SchedulerFact:
    """A helper that writes the rate, called from a training loop in a way that is reported but not drawn."""
    loc = builder.loc.location(site.node)
    where = note if note.startswith(" in ") else ""
    desc = (f"{fn.name}() writes param_group['lr'] (line {wline}{where}); called as {ix.text(site.node, 70)}; "
            f"not simulated: {reason}")
    fact = _fact(sid, f"manual:{fn.name}", loc, opt, None, time.unit, desc, contexts.of(site.ctx).via)
    return _with_horizon(fact, time)


def _scales_rate(fv: FunctionValue, call: cst.Call, scope: Any, resolver: Resolver, site: CallSite) -> bool | str:
    """Whether the helper ``fv``, called as ``call`` (its arguments in terms of the step), writes a rate that
    depends on the rate it finds (``g["lr"] = g["lr"] * factor``): run on two placeholder optimizers whose rates
    differ. False when it writes the same value on both (a constant: a restore, a reset), a reason when it cannot
    be run or writes nothing."""
    from ..evaluate import Budget, EvalError, Opaque, call_function_recording, evaluate_expression

    written: list[float] = []
    for current in (1.0, 2.0):
        args: list[Any] = []
        kwargs: dict[str, Any] = {}
        for a in call.args:
            if a.star:
                return "the call passes *args or **kwargs"
            if _is_object_arg(resolver, a.value, site):
                val: Any = Opaque("an optimizer", ({"lr": current},))
            else:
                try:
                    val = evaluate_expression(a.value, scope, Budget(max_seconds=0.5), local={TIME: 0})
                except EvalError as exc:
                    return str(exc)
            if a.keyword is not None:
                kwargs[a.keyword.value] = val
            else:
                args.append(val)
        try:
            _, writes = call_function_recording(fv, args, kwargs, Budget(max_seconds=0.5))
        except EvalError as exc:
            return str(exc)
        except Exception as exc:  # the evaluator must never take the run down
            return type(exc).__name__
        if not writes or not isinstance(writes[0], (int, float)):
            return "it writes no number on the optimizer it is given"
        written.append(float(writes[0]))
    return written[0] != written[1]


def _after_steps(facts: FileFacts, ix: Indexer, resolver: Resolver, builder: Any, loop: LoopInfo, ctx: Ctx,
                 opt: str | None) -> bool:
    """Whether a write at ``ctx`` runs after every optimizer step of its pass of ``loop`` (an end-of-epoch
    ``if epoch == 25: g["lr"] = 1e-5``): torch then uses the new rate from the next pass on."""
    from .loops import order_in_loop

    at = order_in_loop(ctx, loop, resolver)
    if at is None:
        return False
    locs = {s.loc for s in facts.optimizer_steps if opt is None or s.target == opt}
    if not locs:
        return False
    orders = []
    for site in ix.calls:
        func = site.node.func
        if isinstance(func, cst.Attribute) and func.attr.value == "step" and builder.loc.location(site.node) in locs:
            o = order_in_loop(site.ctx, loop, resolver)
            if o is not None:
                orders.append(o)
    return bool(orders) and all(o < at for o in orders)


def _shifted(node: cst.BaseExpression) -> cst.BaseExpression:
    """``node`` one pass later: the step ``k`` becomes ``k - 1``."""
    return node.visit(_ReplaceRef({TIME}, _expr(f"{TIME} - 1")))  # type: ignore[return-value]


def _pass_word(loop: LoopInfo) -> str:
    return "epoch" if loop.kind == "epoch" else "iteration"


def _with_counters(fn: FunctionInfo, site: CallSite, caller: FunctionInfo | None,
                   time: _Time) -> cst.FunctionDef | None:
    """``fn`` with the caller's ``self.`` counters rewritten in terms of the step (a keyword-only parameter
    ``lraudit_step``), when ``fn`` is a method of the caller's class called as ``self.name(...)``; None when it
    reads none of them."""
    func = site.node.func
    if not (fn.is_method and caller is not None and caller.class_name == fn.class_name and
            isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name) and func.value.value == "self"):
        return None
    names = {k: v for k, v in time.subs.items() if k.startswith("self.")}
    if not names:
        return None
    seen: list[str] = []

    class Refs(cst.CSTTransformer):
        def leave_Attribute(self, original: cst.Attribute, updated: cst.Attribute) -> cst.BaseExpression:
            key = ref_key(original)
            if key in names:
                seen.append(key)
                return _paren(names[key])
            return updated

    node = fn.node.visit(Refs())
    if not seen or not isinstance(node, cst.FunctionDef):
        return None
    params = node.params
    star = params.star_arg if isinstance(params.star_arg, (cst.Param, cst.ParamStar)) else cst.ParamStar()
    params = params.with_changes(star_arg=star, kwonly_params=[*params.kwonly_params, cst.Param(cst.Name(TIME))])
    return node.with_changes(params=params)


def _method_call(call: cst.Call, fn: FunctionInfo) -> cst.Call:
    """``self.anneal()`` as a call of the rewritten method: ``anneal(lraudit_optimizer, lraudit_step=...)`` (the
    placeholder object stands for ``self``; attributes of it are asked of the resolver)."""
    return call.with_changes(func=cst.Name(fn.name), args=[cst.Arg(cst.Name(OPT)), *call.args,
                                                           cst.Arg(cst.Name(TIME), keyword=cst.Name(TIME))])


def _fact(sid: str, cls: str, loc: Location, opt: str | None, fv: FunctionValue | None, unit: str,
          description: str, via: str | None) -> SchedulerFact:
    args: dict[str, Value] = {}
    if fv is not None:
        args["function"] = Known(fv, f"def {fv.name} at {fv.place}")
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
                uses: list[cst.BaseExpression], at_line: int | None = None) -> _Time | None:
    """How each loop variable the rate may read relates to the step counter k."""
    from .loops import loop_count

    subs: dict[str, cst.BaseExpression] = {}
    described: list[tuple[str, str]] = []
    var, vstart = _loop_var(ix, resolver, loop)
    counters = _counters(ix, resolver, loop, at_seq, at_line)
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
    epoch_expr = _expr(f"{estart} + {TIME} // {spe}")
    start_node = _epoch_start(loop, evar) if var is not None else None
    if start_node is not None:
        # `enumerate(loader, start=epoch * len(loader))` (Barlow Twins, VICReg): the index counts on across epochs
        start = start_node.visit(_Subst({evar: epoch_expr}, None, None, spe, resolver, loop.ctx))
        subs[var] = cst.BinaryOperation(_paren(start), cst.Add(), _expr(f"{TIME} % {spe}"))  # type: ignore[arg-type]
        described.append((var, f"{_code(start_node)} + k % {spe}".replace(evar, f"(k // {spe})")))
    elif var is not None:
        subs[var] = _expr(f"{vstart} + {TIME} % {spe}")
        described.append((var, f"{vstart} + k % {spe}"))
    subs[evar] = epoch_expr
    described.append((evar, f"{estart} + k // {spe}"))
    if eloop is None and fn is not None:
        # a caller's run-time size is taken at the assumed length only when this loop's length is assumed too
        for name, expr, text in _epoch_arguments(ix, resolver, fn, evar, epoch_expr, spe_src == "assumed"):
            if name not in subs:
                subs[name] = expr
                described.append((name, text.replace(evar, f"({estart} + k // {spe})")))
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
    return _Time(subs, "batch", count, spe, assumption, described, assumed, spe_src == "assumed")


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


def _counters(ix: Indexer, resolver: Resolver, loop: LoopInfo, at_seq: int,
              at_line: int | None = None) -> list[tuple[str, int, int]]:
    """Counters incremented by one in the loop body: (key, initial value, 1 if incremented before the write at
    ``at_seq`` else 0). A counter is a local (``it += 1``), an attribute (``self.step += 1``, guided-diffusion's
    ``TrainLoop``) or a subscript with a constant key (``state["iter_num"] += 1``, litgpt); its key is
    ``ref_key`` of the target. One whose starting value is not known is not a counter."""
    out = []
    for stmt in _walk_statements(loop.node.body):
        if not (isinstance(stmt, cst.AugAssign) and isinstance(stmt.operator, cst.AddAssign) and
                isinstance(stmt.value, cst.Integer) and stmt.value.value == "1"):
            continue
        if isinstance(stmt.target, cst.Name):
            found = _name_counter(ix, resolver, loop, stmt.target.value, at_seq)
        else:
            found = _ref_counter(ix, resolver, loop, stmt, at_line)
        if found is not None and all(found[0] != o[0] for o in out):
            out.append(found)
    return out


def _name_counter(ix: Indexer, resolver: Resolver, loop: LoopInfo, name: str,
                  at_seq: int) -> tuple[str, int, int] | None:
    scope = loop.ctx.scope
    declared = name in scope.globals_  # `global global_step` in the function: the module's counter
    if declared:
        scope = ix.module_scope
    recs = scope.assigns.get(name, [])
    augs = [r for r in recs if r.kind == "aug" and loop.id in r.ctx.loops]
    inits = [r for r in recs if r.kind != "aug" and loop.id not in r.ctx.loops and r.value is not None]
    c0 = 0
    if declared:
        # its value when training starts: one assignment at module level, outside any loop (`global_step = 0`)
        top = [r for r in inits if r.ctx.scope is ix.module_scope and not r.ctx.loops]
        if len(top) != 1 or len(top) != len(inits):
            return None
        v = resolver.resolve(top[0].value, top[0].ctx, top[0].seq)  # type: ignore[arg-type]
        if not (isinstance(v, Known) and isinstance(v.value, int) and not isinstance(v.value, bool)):
            return None
        c0 = v.value
    elif inits:
        # its value when the loop starts (a fresh run: `iter_num = 0`, not a resumed checkpoint's)
        first = min(r.seq for r in augs) if augs else at_seq
        v = resolver.resolve(cst.Name(name), loop.ctx, first)
        if not (isinstance(v, Known) and isinstance(v.value, int) and not isinstance(v.value, bool)):
            return None
        c0 = v.value
    elif scope.function is not None and scope.function.param(name) is None:
        return None
    before = 1 if augs and augs[0].seq < at_seq else 0
    return name, c0, before


def _ref_counter(ix: Indexer, resolver: Resolver, loop: LoopInfo, stmt: cst.AugAssign,
                 at_line: int | None) -> tuple[str, int, int] | None:
    """``self.step += 1`` / ``state["iter_num"] += 1``: its key, starting value and whether it precedes the write."""
    target = stmt.target
    key = ref_key(target)
    if key is None or "." not in key and "[" not in key:
        return None
    c0: Any = None
    fn = loop.ctx.scope.function
    if isinstance(target, cst.Attribute) and isinstance(target.value, cst.Name) and target.value.value == "self" \
            and fn is not None and fn.class_name in ix.classes:
        # a field of the trainer: every plain assignment must be in __init__ and give the same integer
        recs = ix.classes[fn.class_name].attrs.get(target.attr.value, [])  # type: ignore[index]
        inits = [r for r in recs if r.kind != "aug"]
        values = set()
        for r in inits:
            rfn = r.ctx.scope.function
            if r.value is None or rfn is None or rfn.name != "__init__":
                return None
            v = resolver.resolve(r.value, r.ctx, r.seq)
            if not (isinstance(v, Known) and isinstance(v.value, int) and not isinstance(v.value, bool)):
                return None
            values.add(v.value)
        if len(values) != 1:
            return None
        c0 = values.pop()
    else:
        v = resolver.resolve(target, loop.ctx)
        if isinstance(v, Known) and isinstance(v.value, int) and not isinstance(v.value, bool):
            c0 = v.value
    if c0 is None:
        return None
    line = resolver.loc_line(stmt)
    before = 1 if at_line is not None and line and line < at_line else 0
    return key, c0, before


def ref_key(node: cst.CSTNode) -> str | None:
    """A stable key for a name, a dotted attribute or a constant subscript of one: ``it``, ``self.step``,
    ``state['iter_num']`` (the same for either quote style); None for anything else."""
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        base = ref_key(node.value)
        return f"{base}.{node.attr.value}" if base is not None else None
    if isinstance(node, cst.Subscript) and len(node.slice) == 1 and isinstance(node.slice[0].slice, cst.Index):
        base = ref_key(node.value)
        k = node.slice[0].slice.value
        if base is None:
            return None
        if isinstance(k, cst.SimpleString):
            return f"{base}[{k.evaluated_value!r}]"
        if isinstance(k, cst.Integer):
            return f"{base}[{k.value}]"
    return None


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


def _loader_stand_in(call: cst.Call, loop: LoopInfo, time: _Time) -> cst.Call:
    """``adjust_learning_rate(args, optimizer, loader, step)`` called from the loop over ``loader``, where the
    function reads ``len(loader)`` (Barlow Twins, VICReg): the loader, which only the run builds, is passed as
    ``range(n)`` for the n batches per epoch the step model uses (stated, or assumed and labelled), so its
    ``len()`` is that number; anything else read of it stays unknown."""
    spe = time.steps_per_epoch
    name = symbol_text(loop.iter_text)
    if spe is None or not name.isidentifier():
        return call
    args = [a.with_changes(value=_expr(f"range({spe})"))
            if isinstance(a.value, cst.Name) and a.value.value == name else a for a in call.args]
    return call.with_changes(args=args)


def _epoch_start(loop: LoopInfo, evar: str) -> cst.BaseExpression | None:
    """The ``start`` of ``enumerate(loader, start=...)`` when it reads the epoch variable, else None."""
    it = loop.node.iter if isinstance(loop.node, cst.For) else None
    if not (isinstance(it, cst.Call) and dotted(it.func) == "enumerate" and len(it.args) == 2):
        return None
    a = it.args[1]
    if a.keyword is not None and a.keyword.value != "start":
        return None
    return a.value if _mentions(a.value, {evar}) else None


def _epoch_arguments(ix: Indexer, resolver: Resolver, fn: FunctionInfo, evar: str, epoch: cst.BaseExpression,
                     assumed: bool) -> list[tuple[str, cst.BaseExpression, str]]:
    """Parameters of ``fn`` that every caller computes from its epoch loop's variable, the one it passes as
    ``evar`` (``train_one_epoch(..., epoch, start_steps=epoch * num_training_steps_per_epoch)`` of ConvNeXt, BEiT,
    DeiT-style engines): (parameter, the caller's expression with its epoch as ``epoch`` and every other name it
    reads as its value there, the caller's text). A parameter whose expression reads anything the caller cannot
    resolve, or that callers pass differently, is left out (it stays unknown, with its reason)."""
    out: list[tuple[str, cst.BaseExpression, str]] = []
    sites: list[tuple[CallSite, str]] = []  # each call site with its epoch loop's variable (once, for all params)
    for site in resolver.calls_to(fn):
        caller_loop = _lexical_loop_of_kind(ix, site.ctx, "epoch")
        cvar = _loop_var(ix, resolver, caller_loop)[0] if caller_loop is not None else None
        if cvar is None:
            return out  # a caller outside an epoch loop: no parameter is its epoch's expression
        sites.append((site, cvar))
    if not sites:
        return out
    for p in fn.params:
        if p.kind not in ("pos", "kwonly") or p.name == evar:
            continue
        got: tuple[cst.BaseExpression, str] | None = None
        for site, cvar in sites:
            arg = resolver.call_arg(site, fn, p.name)
            if arg is None or isinstance(arg, cst.Name) or not _mentions(arg, {cvar}):
                got = None
                break
            expr = _caller_values(resolver, arg, cvar, epoch, site.ctx, assumed)
            if expr is None or (got is not None and _code(expr) != _code(got[0])):
                got = None
                break
            got = (expr, ix.text(arg, 60).replace(cvar, evar))
        if got is not None:
            out.append((p.name, got[0], got[1]))
    return out


def _caller_values(resolver: Resolver, arg: cst.BaseExpression, cvar: str, epoch: cst.BaseExpression,
                   ctx: Ctx, assumed: bool) -> cst.BaseExpression | None:
    """``arg`` with the caller's epoch variable as ``epoch`` and every other name or attribute it reads replaced
    by its value in the caller (with ``assumed``, a run-time size at the assumed length the plan's own loop is
    drawn at); None when one is not known."""
    failed: list[str] = []

    class Values(cst.CSTTransformer):
        def _value(self, node: cst.BaseExpression) -> cst.BaseExpression:
            v = resolver.resolve(node, ctx)
            if assumed and isinstance(v, Unknown) and is_run_size(v.reason):
                with resolver.assuming(ASSUMED_LEN):
                    v = resolver.resolve(node, ctx)
            lit = _literal(v)
            if lit is None:
                failed.append(_code(node))
                return node
            return lit

        def visit_Attribute(self, node: cst.Attribute) -> bool:
            return False

        def visit_Call(self, node: cst.Call) -> bool:
            failed.append(_code(node))  # a call in the caller's expression: not inlined
            return False

        def leave_Name(self, original: cst.Name, updated: cst.Name) -> cst.BaseExpression:
            if original.value == cvar:
                return _paren(epoch)
            return self._value(original)

        def leave_Attribute(self, original: cst.Attribute, updated: cst.Attribute) -> cst.BaseExpression:
            return self._value(original)

    out = arg.visit(Values())
    return None if failed or not isinstance(out, cst.BaseExpression) else out


def _literal(v: Value) -> cst.BaseExpression | None:
    """A known int as an int literal (an index stays an int), a known float as ``_number`` makes it."""
    if isinstance(v, Known) and isinstance(v.value, int) and not isinstance(v.value, bool):
        lit = cst.Integer(str(abs(v.value)))
        return cst.UnaryOperation(cst.Minus(), lit) if v.value < 0 else lit
    return _number(v)


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

    def mentions(node: cst.BaseExpression, name: str | None) -> bool:
        if name is None:
            return False
        hit: list[bool] = []

        class N(cst.CSTVisitor):
            def visit_Name(self, n: cst.Name) -> None:
                if n.value == name:
                    hit.append(True)

        node.visit(N())
        return bool(hit)

    class V(cst.CSTVisitor):
        def visit_BinaryOperation(self, node: cst.BinaryOperation) -> None:
            # only inside a sum with the other counter: `epoch * N + i` (the global step) or `epoch + i / N` (the
            # fractional epoch); `step = i // update_freq` alone is a gradient-accumulation step, not an epoch
            if found or not isinstance(node.operator, cst.Add):
                return
            for part, rest in ((node.left, node.right), (node.right, node.left)):
                inner = part
                if not isinstance(inner, cst.BinaryOperation):
                    continue
                pairs = []
                if isinstance(inner.operator, cst.Multiply) and mentions(rest, bvar):
                    pairs = [(inner.left, inner.right), (inner.right, inner.left)]
                    want = evar
                elif isinstance(inner.operator, (cst.Divide, cst.FloorDivide)) and bvar is not None \
                        and isinstance(rest, cst.Name) and rest.value == evar:
                    pairs = [(inner.left, inner.right)]
                    want = bvar
                for var_side, other in pairs:
                    if isinstance(var_side, cst.Name) and var_side.value == want:
                        v = resolver.resolve(other, loop.ctx)
                        if isinstance(v, Known) and isinstance(v.value, int) and not isinstance(v.value, bool) and \
                                v.value > 0:
                            found.append((v.value, ix.text(inner, 50)))
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
        if not (ref_key(t.left) in names and len(t.comparisons) == 1):
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
        repl = self._ref(original)
        if repl is not None:
            return repl
        return updated.with_changes(attr=original.attr)

    def _ref(self, node: cst.BaseExpression) -> cst.BaseExpression | None:
        """The replacement of a counter that is an attribute or a subscript (``self.step``, ``state["it"]``)."""
        key = ref_key(node)
        if key is None or ("." not in key and "[" not in key):
            return None
        repl = self.names.get(key)
        return _paren(repl) if repl is not None else None

    def leave_Arg(self, original: cst.Arg, updated: cst.Arg) -> cst.Arg:
        return updated.with_changes(keyword=original.keyword)

    def leave_Subscript(self, original: cst.Subscript, updated: cst.Subscript) -> cst.BaseExpression:
        repl = self._ref(original)
        if repl is not None:
            return repl
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
            if type(v.value) is int and v.value >= 0:
                return cst.Integer(str(v.value))  # known without reading the elements (len of a comprehension)
        return updated


def _substitute_all(ix: Indexer, resolver: Resolver, node: cst.BaseExpression,
                    locals_: list[tuple[str, cst.BaseExpression]], subs: dict[str, cst.BaseExpression],
                    group_var: str | None, base_lr: float | None, time: _Time, fn: FunctionInfo | None,
                    loop: LoopInfo) -> cst.BaseExpression:
    """``node`` with loop variables rewritten in terms of the step counter and loop-body assignments inlined."""
    names = dict(subs)
    length = time.steps_per_epoch
    for name, expr in locals_:
        if name in subs and not _mentions(expr, {name}):
            continue  # (a loop variable rebound from itself before the write, DINO's `it = len(loader) * epoch + it`,
            # is followed: its new value is written in terms of the old one)
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
                if not (_mentions(value, set(names)) or any(c == "len" for c in called_names(value))):  # type: ignore
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
        if site.path in ix.functions_by_name:  # linked into this index (extract/link.py): found as a local writer
            continue
        if q in found:
            found[q][2].append(site)
            continue
        path = _local_module_file(resolver, q)
        if path is None:
            continue
        other = _module_resolver(path, resolver.module_hops + 1)
        if not isinstance(other, Resolver):  # a module that cannot be read (the reason is not needed here)
            continue
        fn = other.ix.functions.get(q.rsplit(".", 1)[-1])
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
    """Every write of a ``["lr"]`` subscript, in source order: plain assignments and the augmented ones
    (``g["lr"] *= 0.1``), the latter as ``g["lr"] = g["lr"] * 0.1``."""
    return sorted(_plain_lr_writes(ix) + _aug_lr_writes(ix), key=lambda w: w.seq)


def _plain_lr_writes(ix: Indexer) -> list[SubscriptWrite]:
    return [w for w in ix.sub_writes if lr_subscript(w.target)]


_AUG_OPS: dict[type, type] = {cst.MultiplyAssign: cst.Multiply, cst.DivideAssign: cst.Divide,
                              cst.AddAssign: cst.Add, cst.SubtractAssign: cst.Subtract}


def _aug_lr_writes(ix: Indexer) -> list[SubscriptWrite]:
    """``g["lr"] *= 0.1`` (and ``/=``, ``+=``, ``-=``) as writes ``g["lr"] = g["lr"] * 0.1``. The index does not
    record augmented subscript writes, so their context is recovered from the read of the group's name that the
    index makes for the same statement (same loops and statement path). Computed once per index."""
    if ix.aug_lr_writes is not None:
        return list(ix.aug_lr_writes)
    out: list[SubscriptWrite] = []
    for small, line, order in _aug_statements(ix.module.body, ()):
        target = small.target
        if not lr_subscript(target):
            continue
        root: cst.BaseExpression = target.value
        while isinstance(root, (cst.Subscript, cst.Attribute)):
            root = root.value
        if not isinstance(root, cst.Name):
            continue
        found = next(((c, q) for _, c, q in ix.reads.get(root.value, []) if c.order == order
                      and ix.owner.get(id(root)) is line), None)
        if found is None:
            continue
        ctx, seq = found
        value = cst.BinaryOperation(left=target, operator=_AUG_OPS[type(small.operator)](),
                                    right=_paren(small.value))
        out.append(SubscriptWrite(target, value, ctx, seq, line))
    ix.aug_lr_writes = tuple(out)
    return out


def _aug_statements(body: Any, path: tuple[int, ...]) -> list[tuple[cst.AugAssign, cst.CSTNode, tuple[int, ...]]]:
    """Augmented assignments with an operator of ``_AUG_OPS`` and a subscript target, with their statement line and
    the statement path the index gives them (``Ctx.order``)."""
    out: list[tuple[cst.AugAssign, cst.CSTNode, tuple[int, ...]]] = []
    for i, stmt in enumerate(body):
        here = path + (i,)
        if isinstance(stmt, cst.SimpleStatementLine):
            for j, small in enumerate(stmt.body):
                if isinstance(small, cst.AugAssign) and type(small.operator) in _AUG_OPS and \
                        isinstance(small.target, cst.Subscript):
                    out.append((small, stmt, here + (j,)))
        elif isinstance(stmt, (cst.FunctionDef, cst.ClassDef)):
            out.extend(_aug_statements(_suite(stmt.body), ()))
        elif isinstance(stmt, cst.If):
            node: Any = stmt
            while isinstance(node, cst.If):
                out.extend(_aug_statements(_suite(node.body), here))
                node = node.orelse
            if isinstance(node, cst.Else):
                out.extend(_aug_statements(_suite(node.body), here))
        elif isinstance(stmt, (cst.For, cst.While, cst.With)):
            out.extend(_aug_statements(_suite(stmt.body), here))
        elif isinstance(stmt, cst.Try):
            out.extend(_aug_statements(_suite(stmt.body), here))
            for h in stmt.handlers:
                out.extend(_aug_statements(_suite(h.body), here))
            for extra in (stmt.orelse, stmt.finalbody):
                if extra is not None:
                    out.extend(_aug_statements(_suite(extra.body), here))
    return out


def _suite(block: Any) -> list[Any]:
    return list(block.body) if isinstance(block, (cst.IndentedBlock, cst.SimpleStatementSuite)) else []


def _aug_lr_facts(writes: list[SubscriptWrite], resolver: Resolver, contexts: Any, builder: Any) -> list[Any]:
    from ..facts import LrWrite

    out = []
    for w in writes:
        opts = builder._param_group_owner(w.target.value, w.ctx, w.seq)
        sc = contexts.of(w.ctx)
        fn = w.ctx.scope.function
        for oid in opts or [None]:
            out.append(LrWrite(oid, builder.loc.location(w.stmt), builder.ix.text(w.value, 80), sc.context,
                               sc.loop_id, fn.qualname if fn else None, Unknown("computed from the current rate"),
                               conditional=w.ctx.conds > 0, code=_cut(_code_text(w.value), 400)))
    return out


def _lexical_training_loop(ix: Indexer, ctx: Ctx) -> LoopInfo | None:
    for lid in reversed(ctx.loops):
        lp = ix.loops.get(lid)
        if lp is not None and lp.kind in ("epoch", "batch", "iteration") and not over_param_groups(ix, lp):
            return lp
    return None


def _lexical_loop_of_kind(ix: Indexer, ctx: Ctx, kind: str) -> LoopInfo | None:
    for lid in reversed(ctx.loops):
        lp = ix.loops.get(lid)
        if lp is not None and lp.kind == kind:
            return lp
    return None


def _group_loop(ix: Indexer, sw: SubscriptWrite, outer: LoopInfo | None) -> tuple[str | None, str | None]:
    """The ``for g in optimizer.param_groups`` (or ``enumerate(...)``) around the write: (g, index variable)."""
    base = sw.target.value
    if not isinstance(base, cst.Name):
        return None, None
    for lid in reversed(sw.ctx.loops):
        lp = ix.loops.get(lid)
        if lp is None or (outer is not None and lid == outer.id):
            break
        if not over_param_groups(ix, lp) or not isinstance(lp.node, cst.For):
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


def _index_note(ix: Indexer, value: cst.BaseExpression, index_var: str | None) -> str:
    """The curve is the first param group's; say so when the written value tests the group's index (YOLO's
    ``hyp['warmup_bias_lr'] if j == 0 else 0.0``: the bias group falls from 0.1 while the others rise from 0)."""
    if index_var is None:
        return ""
    tests = [n for n in _walk_nodes(value) if isinstance(n, cst.Comparison)
             and any(isinstance(x, cst.Name) and x.value == index_var
                     for x in (n.left, *(c.comparator for c in n.comparisons)))]
    if not tests:
        return ""
    return (f"; the value depends on the group's index ({ix.text(tests[0], 40)}): the curve is param group 0's, "
            "and other groups differ")


def _group_scale(value: cst.BaseExpression, group_var: str | None) -> tuple[cst.BaseExpression, str]:
    """``lr_schedule_values[it] * param_group["lr_scale"]`` (ConvNeXt, BEiT, layer-wise decay): a factor of the
    written rate that is the group's own key. The groups are built at run time (one per layer), so the key's
    value is known only there; the curve is drawn for a group whose factor is 1, and says so. Returns the value
    with such factors as 1 and the note (empty when there is none)."""
    if group_var is None:
        return value, ""
    keys: list[str] = []

    def factor(node: cst.BaseExpression) -> cst.BaseExpression:
        if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.Multiply):
            return node.with_changes(left=factor(node.left), right=factor(node.right))
        if isinstance(node, cst.Subscript) and isinstance(node.value, cst.Name) and \
                node.value.value == group_var and len(node.slice) == 1 and \
                isinstance(node.slice[0].slice, cst.Index) and \
                isinstance(node.slice[0].slice.value, cst.SimpleString):
            key = node.slice[0].slice.value.evaluated_value
            if isinstance(key, str) and key not in ("lr", "initial_lr", "params"):
                keys.append(key)
                return cst.Float("1.0")
        return node

    out = factor(value)
    if not keys:
        return value, ""
    named = " and ".join(f"{group_var}[{k!r}]" for k in dict.fromkeys(keys))
    return out, (f"; each group's rate is multiplied by its own {named}, set where the groups are built: the curve "
                 f"is that of a group whose factor is 1")


def _walk_nodes(node: cst.CSTNode) -> list[cst.CSTNode]:
    out: list[cst.CSTNode] = []
    stack = [node]
    while stack:
        n = stack.pop()
        out.append(n)
        stack.extend(n.children)
    return out


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
    """Assignments in the loop body that the written value depends on (``lr = get_lr(it)``), in order; only those
    made before the write (``at_seq``) when their position is known."""
    assigns = _loop_locals_all(ix, loop)
    seqs = {id(r.value): r.seq for recs in loop.ctx.scope.assigns.values() for r in recs if r.value is not None} \
        if loop.ctx.scope is not None else {}
    assigns = [(n, e) for n, e in assigns if seqs.get(id(e), -1) < at_seq]
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


def _update_gate(loop: cst.CSTNode, target: cst.CSTNode, counters: set[str],
                 tests: list[cst.BaseExpression]) -> tuple[cst.BaseExpression, str] | None:
    """(test, counter) when ``target`` runs under an ``if`` of the loop body whose block also steps an optimizer
    and increments ``counter`` by one (a gradient-accumulation gate): the counter then counts updates."""
    if not tests or not counters:
        return None
    body = getattr(loop, "body", None)
    for stmt in _walk_statements(body) if body is not None else []:
        if not isinstance(stmt, cst.If) or stmt.test not in tests or not _contains(stmt.body, target, 0):
            continue
        inner = _walk_statements(stmt.body)
        steps = any(isinstance(x, cst.Expr) and isinstance(x.value, cst.Call) and
                    (dotted(x.value.func) or "").endswith(".step") for x in inner)
        for x in inner:
            if isinstance(x, cst.AugAssign) and isinstance(x.operator, cst.AddAssign) and \
                    isinstance(x.value, cst.Integer) and x.value.value == "1":
                key = ref_key(x.target)
                if key in counters and steps:
                    return stmt.test, key
    return None


def _contains(node: cst.CSTNode, target: cst.CSTNode, depth: int) -> bool:
    if node is target:
        return True
    if depth > 60:
        return False
    return any(_contains(c, target, depth + 1) for c in node.children)


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
        for n in called_names(expr):
            if n in ix.functions_by_name:
                return n
    return "loop"


def called_names(node: cst.CSTNode) -> list[str]:
    """The dotted names of every call inside ``node``, in visiting order."""
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
