"""Scheduler classes of the analysed file: the plan the simulator follows to build and step their objects.

For each scheduler created from a class of the file (``custom:<Class>``, a subclass of a torch scheduler), the
class hierarchy up to its torch base (methods as ``FunctionValue``s, class-level values), and the constructor
call's arguments as values or references to the script's other objects (the optimizer, a scheduler handed over
as ``after_scheduler``). They go to ``FileFacts.extra["class_plans"]`` (scheduler id -> ``ClassPlan``, or a
string saying why there is none); the schedulers passed to the constructor become the class's ``children`` (their
``parent`` is the class), like SequentialLR's: the class steps them.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any, Union

import libcst as cst

from ..class_sim import ArgRef, ClassPlan, UnknownArg, UserClass
from ..facts import FileFacts, FunctionValue, Known, SchedulerFact
from .index import ClassInfo, Ctx, Indexer
from .objects import Creation, ObjectFlow, star_items
from .values import EvalScope, Resolver

_TORCH_MODULE = "torch.optim.lr_scheduler."

#: A constructor argument of a plan: a plain value, another object of the script, or unknown with the reason.
PlanArg = Union[ArgRef, UnknownArg, Any]


def torch_base_name(base: str) -> str | None:
    """``torch.optim.lr_scheduler.MultiStepLR`` / ``_LRScheduler`` / ``lr_scheduler.LambdaLR`` -> the short name
    of a torch scheduler class; None for anything else."""
    from ..catalog.torch_sim import _CLASSES

    short = base.rsplit(".", 1)[-1]
    if short in ("LRScheduler", "_LRScheduler"):
        return short
    if short in _CLASSES and (base.startswith(_TORCH_MODULE) or base == short or base.startswith("lr_scheduler.")
                              or base.startswith("torch.optim.swa_utils.")):
        return short
    return None


def class_plans(facts: FileFacts, flow: ObjectFlow, ix: Indexer, resolver: Resolver) -> FileFacts:
    plans: dict[str, ClassPlan | str] = {}
    links: dict[str, list[str]] = {}
    for s in facts.schedulers:
        if not s.cls.startswith("custom:") or s.framework != "torch":
            continue
        c = flow.by_id.get(s.id)
        if c is None or not c.custom_class:
            continue
        try:
            plan = _plan(c, flow, ix, resolver, facts)
        except _NoPlan as e:
            plans[s.id] = str(e)
            continue
        plans[s.id] = plan
        kids = [v.id for v in (*plan.args, *plan.kwargs.values()) if isinstance(v, ArgRef) and v.kind == "scheduler"]
        if kids:
            links[s.id] = kids
    if not plans:
        return facts
    scheds = {s.id: s for s in facts.schedulers}
    for parent, kids in links.items():
        p = scheds[parent]
        plan = plans[parent]
        spans = [_span(ix.classes[n].node, resolver) for n in plan.classes if n in ix.classes]
        scheds[parent] = replace(p, children=tuple(dict.fromkeys((*p.children, *kids))))
        for k in kids:
            child = scheds.get(k)
            if child is None or child.parent is not None:
                continue
            # steps made by the class's own methods (self.after_scheduler.step()) are the class's to make
            own = tuple(x for x in child.step_sites if not any(a <= x.loc.line <= b for a, b in spans))
            if own:
                continue
            scheds[k] = replace(child, parent=parent, step_sites=(), stepped=p.stepped, horizon=p.horizon,
                                horizon_source=p.horizon_source)
    extra = dict(facts.extra)
    extra["class_plans"] = plans
    return replace(facts, schedulers=tuple(scheds[s.id] for s in facts.schedulers), extra=extra)


def _span(node: cst.CSTNode, resolver: Resolver) -> tuple[int, int]:
    first = resolver.loc_line(node)
    return first, first + cst.Module([]).code_for_node(node).count("\n")


class _NoPlan(Exception):
    pass


def keras_base_name(base: str) -> str | None:
    """``keras.callbacks.Callback`` / ``tf.keras.optimizers.schedules.LearningRateSchedule`` / ``Callback`` ->
    ``Callback`` or ``LearningRateSchedule``; None for anything else."""
    short = base.rsplit(".", 1)[-1]
    if short not in ("Callback", "LearningRateSchedule"):
        return None
    if "." not in base or any(part in base.split(".") for part in ("keras", "tf_keras", "tensorflow", "tf")):
        return short
    return None


def keras_class_plan(c: Creation, flow: ObjectFlow, ix: Indexer, resolver: Resolver, facts: FileFacts
                     ) -> ClassPlan | str:
    """The plan of a Keras ``LearningRateSchedule`` or ``Callback`` subclass of this file (see keras_class_sim),
    or why there is none."""
    try:
        return _plan(c, flow, ix, resolver, facts, keras=True)
    except _NoPlan as e:
        return str(e)


def _plan(c: Creation, flow: ObjectFlow, ix: Indexer, resolver: Resolver, facts: FileFacts,
          keras: bool = False) -> ClassPlan:
    classes: dict[str, UserClass] = {}
    todo = [c.custom_class]
    while todo:
        name = todo.pop()
        if name is None or name in classes:
            continue
        ci = ix.classes.get(name)
        if ci is None:
            raise _NoPlan(f"the class {name} is not defined in this file")
        classes[name] = _user_class(ci, ix, resolver, keras)
        todo.extend(b for b in classes[name].bases if not b.startswith(("torch:", "keras:")))
    plan_args, plan_kwargs = _call_args(c, flow, resolver, facts)
    writer = flow.rate_writers.get(c.custom_class or "")
    methods = (writer.methods, writer.steps_optimizer) if writer is not None and not keras else ((), ())
    assumed = None
    if any(isinstance(v, UnknownArg) and "len(" in v.reason for v in (*plan_args, *plan_kwargs.values())):
        from .build import ASSUMED_LEN

        with resolver.assuming(ASSUMED_LEN):
            a_args, a_kwargs = _call_args(c, flow, resolver, facts)
        assumed = ClassPlan(c.custom_class or "", classes, tuple(a_args), a_kwargs, resolver.loc_line(c.site.node),
                            rate_methods=methods[0], steps_optimizer=methods[1])
    return ClassPlan(c.custom_class or "", classes, tuple(plan_args), plan_kwargs, resolver.loc_line(c.site.node),
                     assumed=assumed, assumption=None if assumed is None else
                     "the curve assumes 100 batches per epoch to show the shape (the script does not state len(loader))",
                     rate_methods=methods[0], steps_optimizer=methods[1])


def _call_args(c: Creation, flow: ObjectFlow, resolver: Resolver, facts: FileFacts
               ) -> tuple[list[PlanArg], dict[str, PlanArg]]:
    plan_args: list[PlanArg] = []
    plan_kwargs: dict[str, PlanArg] = {}
    items = star_items(c.site.node, c.site.ctx, c.site.seq, resolver) if any(
        a.star for a in c.site.node.args) else []
    for a in c.site.node.args:
        if a.star and items is None:
            raise _NoPlan(f"the constructor call passes {a.star}arguments, which are not followed")
        if a.star:
            continue
        v = _arg_value(a.value, c, flow, resolver, facts)
        if a.keyword is None:
            plan_args.append(v)
        else:
            plan_kwargs[a.keyword.value] = v
    for key, node in items or []:  # `WarmupLR(**warmup_args)` with warmup_args a dict literal of the function
        plan_kwargs[key] = _arg_value(node, c, flow, resolver, facts)
    return plan_args, plan_kwargs


def _user_class(ci: ClassInfo, ix: Indexer, resolver: Resolver, keras: bool = False) -> UserClass:
    bases: list[str] = []
    for b in ci.bases:
        short = b.rsplit(".", 1)[-1]
        if b in ix.classes:
            bases.append(b)
        elif short in ix.classes and "." not in b:
            bases.append(short)
        elif keras and keras_base_name(b) is not None:
            bases.append("keras:" + keras_base_name(b))  # type: ignore[operator]
        elif not keras and torch_base_name(b) is not None:
            bases.append("torch:" + torch_base_name(b))  # type: ignore[operator]
        elif b in ("object",):
            continue
        else:
            raise _NoPlan(f"{ci.name} subclasses {b}, which is not followed")
    methods: dict[str, FunctionValue] = {}
    refused: dict[str, str] = {}
    for name, fn in ci.methods.items():
        if fn.node.decorators:
            deco = ", ".join(dotted_or_code(d.decorator) for d in fn.node.decorators)
            refused[name] = f"{ci.name}.{name} is decorated ({deco}), which the evaluator does not follow"
            continue
        methods[name] = FunctionValue(fn.node, f"{ci.name}.{name}", resolver.loc_line(fn.node),
                                      scope=EvalScope(resolver, Ctx(fn.scope)), file=resolver.def_file(fn.node))
    fields: dict[str, Any] = {}
    for name, node in ci.fields.items():
        if node is None:
            continue
        v = resolver.resolve(node, Ctx(ix.module_scope))
        if isinstance(v, Known):
            fields[name] = v.value
        else:
            refused.setdefault(name, f"{ci.name}.{name} is unknown: {getattr(v, 'reason', '')}")
    return UserClass(ci.name, tuple(bases), methods, fields, refused)


def dotted_or_code(node: cst.BaseExpression) -> str:
    from .imports import dotted

    d = dotted(node)
    return f"@{d}" if d else "@..."


def _arg_value(node: cst.BaseExpression, c: Creation, flow: ObjectFlow, resolver: Resolver,
               facts: FileFacts) -> PlanArg:
    objs = flow.objects(node, c.site.ctx, c.site.seq)
    if objs:
        kinds = {flow.by_id[o].kind for o in objs if o in flow.by_id}
        if len(objs) > 1:
            return UnknownArg(f"{cst.Module([]).code_for_node(node)} may be any of {', '.join(objs)}")
        kind = kinds.pop() if kinds else "scheduler"
        return ArgRef("optimizer" if kind == "optimizer" else "scheduler", objs[0])
    v = resolver.resolve(node, c.site.ctx, c.site.seq)
    if isinstance(v, Known):
        return v.value
    return UnknownArg(getattr(v, "reason", "unknown"))


def plan_of(facts: FileFacts, s: SchedulerFact) -> ClassPlan | str | None:
    return facts.extra.get("class_plans", {}).get(s.id)


__all__ = ["class_plans", "keras_base_name", "keras_class_plan", "plan_of", "torch_base_name"]
