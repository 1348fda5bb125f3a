"""Objects of unknown class: a parameter or attribute the code uses as an optimizer or a scheduler.

``def train_one_epoch(model, loader, optimizer, lr_scheduler): ... optimizer.zero_grad(); loss.backward();
optimizer.step(); lr_scheduler.step()`` builds nothing, and when the file holds no call of the function that
passes traceable objects, nothing says what ``optimizer`` and ``lr_scheduler`` are. They are still an optimizer
and a scheduler, and rules that need no class (step order, stepped twice) can check how they are used. This
module makes one object fact of class ``unknown`` for each such parameter or attribute:

* a parameter of a function (the key is the function and the name), or an attribute ``self.x`` of a class whose
  assignments lead to no traced object (the key is the class and the attribute; ``self.x = x`` of a parameter
  ``x`` is that parameter's object);
* only when the flow finds no object for it: when a caller in the file (or, with whole-repository analysis, a
  linked caller) passes a traced optimizer or scheduler, that object is the one the uses reach, and no
  unknown-class object is made;
* only with evidence of what it is (``EVIDENCE``): ``zero_grad()`` or ``param_groups`` beside ``step()``, being a
  scheduler's optimizer argument, ``get_last_lr()``, or a name like ``optimizer``/``lr_scheduler`` together with a
  ``step()`` whose result is thrown away and that takes at most one argument (a diffusion noise scheduler's
  ``scheduler.step(noise, t, x).prev_sample`` is not a learning-rate scheduler, nor anything with ``add_noise``
  or ``set_timesteps``).

The objects are synthetic creations (``Creation.unknown`` holds the words why their class is not known); the
flow returns them for their parameter or attribute (see ``ObjectFlow._name_objects``/``_self_objects``). Bounded:
at most ``MAX_UNKNOWN`` objects per file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import libcst as cst

from .imports import dotted
from .index import CallSite, Ctx, FunctionInfo, Indexer
from .objects import Creation, ObjectFlow
from .values import Resolver

UNKNOWN_CLASS = "unknown"
MAX_UNKNOWN = 40  # unknown-class objects per file

_OPT_NAME = re.compile(r"^(?:[a-z0-9]+_)?(?:optimizer|optimiser|optim|opt)(?:_[a-z0-9]+)?$", re.I)
_SCHED_NAME = re.compile(r"^(?:[a-z0-9]+_)?(?:lr_)?(?:scheduler|sched|lr_scheduler)(?:_[a-z0-9]+)?$", re.I)
# schedulers of something else than the learning rate (diffusion noise, momentum, weight decay, temperature...)
_OTHER_SCHEDULE = re.compile(r"noise|ddpm|ddim|diffus|sampl|beta|momentum|wd|weight_decay|decay_|temp|ema|teacher"
                             r"|dropout|prob|kl|mask|curriculum|alpha|sigma|timestep|data|batch|loss", re.I)
_NOT_LR_METHODS = frozenset({"add_noise", "set_timesteps", "scale_model_input", "timesteps", "sigmas",
                             "alphas_cumprod", "num_train_timesteps", "get_velocity", "sample", "step_schedule"})
_OPT_METHODS = frozenset({"zero_grad"})
_SCHED_METHODS = frozenset({"get_last_lr"})
_STEP_METHODS = frozenset({"step", "step_update"})


@dataclass
class _Key:
    words: str  # "a parameter of train_one_epoch()" / "the attribute self.optimizer of Trainer"
    name: str  # the variable as written: "optimizer", "self.lr_scheduler"
    short: str  # the last name part, for the name evidence
    param: tuple[int, str] | None = None  # (id(function), name)
    attr: tuple[str, str] | None = None  # (class name, attribute)
    fn: FunctionInfo | None = None
    uses: list[tuple[str, CallSite]] = field(default_factory=list)  # (method, call)
    as_optimizer_arg: list[CallSite] = field(default_factory=list)  # a scheduler built with it
    param_groups: bool = False


def find_unknown(flow: ObjectFlow, ix: Indexer, resolver: Resolver) -> None:
    """Add an unknown-class creation for every parameter or attribute used as an optimizer or a scheduler that
    the flow cannot trace to an object (see the module's docstring)."""
    keys: dict[tuple, _Key] = {}
    for site in ix.calls:
        func = site.node.func
        if not isinstance(func, cst.Attribute):
            continue
        method = func.attr.value
        if method not in _STEP_METHODS and method not in _OPT_METHODS and method not in _SCHED_METHODS and \
                method not in _NOT_LR_METHODS:
            continue
        k = _key_of(func.value, site.ctx, site.seq, flow, ix, resolver, keys)
        if k is not None:
            k.uses.append((method, site))
    # attribute reads that are not calls: `scheduler.timesteps`, `optimizer.param_groups`
    for lp in ix.loops.values():
        node = lp.iter_node
        if isinstance(node, cst.Call) and node.args and dotted(node.func) in ("enumerate", "zip", "list"):
            node = node.args[0].value
        if isinstance(node, cst.Attribute) and node.attr.value == "param_groups":
            k = _key_of(node.value, lp.ctx, None, flow, ix, resolver, keys)
            if k is not None:
                k.param_groups = True
    for c in list(flow.creations):
        if c.kind != "scheduler" or c.synthetic:
            continue
        opt = c.bound.get("optimizer")
        if opt is None:
            continue
        k = _key_of(opt, c.site.ctx, c.site.seq, flow, ix, resolver, keys)
        if k is not None:
            k.as_optimizer_arg.append(c.site)
    made = 0
    for key in sorted(keys.values(), key=lambda k: _first_seq(k)):
        kind = _kind(key)
        if kind is None:
            continue
        if made >= MAX_UNKNOWN:
            break
        site = _anchor(key)
        if site is None:
            continue
        reason = (f"{key.name} is {key.words}: its class is set where it is passed in, which this analysis does "
                  "not see")
        c = Creation(flow.next_id(kind), None, site, kind, UNKNOWN_CLASS, framework="unknown", synthetic=True,
                     preset={}, unknown=reason)
        flow.add(c)
        if key.param is not None:
            flow.unknown_params[key.param] = c.oid
        if key.attr is not None:
            flow.unknown_attrs[key.attr] = c.oid
        made += 1


def _first_seq(k: _Key) -> int:
    seqs = [s.seq for _, s in k.uses] + [s.seq for s in k.as_optimizer_arg]
    return min(seqs) if seqs else 0


def _anchor(k: _Key) -> CallSite | None:
    """A call site standing for the object: its first use, in a context with no loop or branch of its own (the
    object exists before the function's loops run)."""
    sites = sorted([s for _, s in k.uses] + list(k.as_optimizer_arg), key=lambda s: s.seq)
    if not sites:
        return None
    first = sites[0]
    scope = first.ctx.scope
    if k.fn is not None:
        scope = k.fn.scope
    ctx = Ctx(scope)
    return CallSite(first.node, first.path, ctx, first.seq, first.stmt, targets=[k.name], direct=True)


def _kind(k: _Key) -> str | None:
    methods = {m for m, _ in k.uses}
    if methods & _NOT_LR_METHODS or _OTHER_SCHEDULE.search(k.short):
        return None
    steps = [s for m, s in k.uses if m in _STEP_METHODS]
    plain_steps = all(_plain_step(s) for s in steps)
    opt = bool(methods & _OPT_METHODS and steps) or bool(k.param_groups and steps) or bool(k.as_optimizer_arg) or \
        bool(_OPT_NAME.match(k.short) and steps and plain_steps and not methods & _SCHED_METHODS)
    sched = bool(methods & _SCHED_METHODS and (steps or _SCHED_NAME.match(k.short))) or \
        bool(_SCHED_NAME.match(k.short) and steps and plain_steps)
    if opt and sched:
        return None
    if sched and plain_steps and not methods & _OPT_METHODS and not k.param_groups:
        return "scheduler"
    if opt and plain_steps:
        return "optimizer"
    return None


def _plain_step(site: CallSite) -> bool:
    """``x.step()``/``x.step(arg)`` as a statement whose result is thrown away (a learning-rate scheduler's or an
    optimizer's step returns nothing worth keeping; ``step(closure)`` is an optimizer's too)."""
    args = [a for a in site.node.args if not a.star]
    if len(args) > 1 or any(a.star for a in site.node.args):
        return False
    return site.direct and site.discarded


def _key_of(node: cst.BaseExpression, ctx: Ctx, seq: int | None, flow: ObjectFlow, ix: Indexer,
            resolver: Resolver, keys: dict[tuple, _Key]) -> _Key | None:
    """The parameter or attribute ``node`` stands for, when the flow traces it to no object."""
    if isinstance(node, cst.Name):
        param = _param(node.value, ctx, seq, resolver)
        if param is None:
            return None
        fn, name = param
        if _in_scheduler_class(fn, ix, flow):
            return None
        if flow.objects(node, ctx, seq):
            return None
        k = keys.get(("p", id(fn), name))
        if k is None:
            k = _Key(f"a parameter of {fn.qualname}()", name, name, param=(id(fn), name), fn=fn)
            keys[("p", id(fn), name)] = k
        return k
    full = dotted(node) if isinstance(node, cst.Attribute) else None
    if full is None or not full.startswith("self.") or full.count(".") != 1:
        return None
    cls = _class_of(ctx)
    if cls is None or cls not in ix.classes:
        return None
    fn = ctx.scope.function
    if fn is not None and _in_scheduler_class(fn, ix, flow):
        return None
    attr = node.attr.value  # type: ignore[union-attr]
    if flow.objects(node, ctx, seq):
        return None
    ci = ix.classes[cls]
    recs = ci.attrs.get(attr, [])
    # `self.optimizer = optimizer` of a constructor parameter: the parameter is the object
    if recs and all(isinstance(r.value, cst.Name) for r in recs):
        found = [_key_of(r.value, r.ctx, r.seq, flow, ix, resolver, keys) for r in recs]  # type: ignore[arg-type]
        if len(found) == 1 and found[0] is not None:
            return found[0]
        return None
    if any(r.value is None or not isinstance(r.value, cst.Call) for r in recs):
        return None  # a value this analysis could read and did not find an object in: leave it
    k = keys.get(("a", cls, attr))
    if k is None:
        k = _Key(f"the attribute self.{attr} of {cls}", f"self.{attr}", attr, attr=(cls, attr))
        keys[("a", cls, attr)] = k
    return k


def _param(name: str, ctx: Ctx, seq: int | None, resolver: Resolver) -> tuple[FunctionInfo, str] | None:
    scope, recs = resolver._assignments(name, ctx, seq)
    if recs:
        return None
    for s in ctx.scope.chain():
        fn = s.function
        if s.kind == "function" and fn is not None:
            if fn.param(name) is not None:
                p = fn.param(name)
                if p is not None and p.kind in ("varpos", "varkw"):
                    return None
                if fn.params and fn.params[0].name == name and fn.is_method:
                    return None  # self
                return fn, name
            if name in s.assigns:
                return None
    return None


def _class_of(ctx: Ctx) -> str | None:
    s: Any = ctx.scope
    while s is not None:
        name = s.class_name or (s.function.class_name if s.function else None)
        if name:
            return name
        s = s.parent
    return None


def _in_scheduler_class(fn: FunctionInfo, ix: Indexer, flow: ObjectFlow) -> bool:
    """A method of a scheduler class (its optimizer is the one its creation is given) or of a class wrapping
    schedulers: its own objects belong to whoever builds it."""
    if fn.class_name is None:
        return False
    if fn.class_name in flow.scheduler_classes:
        return True
    ci = ix.classes.get(fn.class_name)
    if ci is None:
        return False
    from .link import _scheduler_like

    return _scheduler_like(ci) or any(re.search(r"optim|sched", b, re.I) for b in ci.bases)
