"""Assemble ``FileFacts`` from one parsed module: the single extraction entry point."""

from __future__ import annotations

import io
import re
import tokenize
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import libcst as cst

from ..facts import (
    CallSyntax,
    CheckpointFact,
    ComputedLr,
    FileFacts,
    Horizon,
    Known,
    Location,
    LoopFact,
    LrWrite,
    OptimizerFact,
    ParamGroupFact,
    SchedulerFact,
    StepSite,
    Unknown,
    Value,
)
from ..parse import Locator
from ..catalog import lookup
from .imports import dotted
from .index import CallSite, Ctx, Indexer, LoopInfo, Plan, _code_text, _cut, _is_main_guard, build_index, lr_subscript
from .loops import LoopContexts, SiteContext, classify_loops, loop_count, order_in_loop, run_bound
from .objects import Creation, ObjectFlow
from .run_sizes import is_run_size
from .values import Resolver

if TYPE_CHECKING:
    from .link import Linked

STEP_METHODS = ("step", "step_update", "dampening", "dampen")  # dampening/dampen: pytorch_warmup
ASSUMED_LEN = 100  # batches per epoch assumed to show a curve when the script does not state len(loader)
_METRIC_WORDS = re.compile(r"loss|acc|metric|score|auc|f1|map|iou|bleu|perplex|ppl|err|val|dice|psnr|ssim|prec|recall")


#: scheduler classes whose constructor takes other schedulers, and the parameter that does
CHILD_PARAMS = {"SequentialLR": "schedulers", "ChainedScheduler": "schedulers",
                "GradualWarmupScheduler": "after_scheduler",
                # ignite (catalog/ignite.py): LRScheduler(torch_scheduler), ConcatScheduler([...]), the warm-up helper
                "LRScheduler": "lr_scheduler", "ConcatScheduler": "schedulers", "ParamGroupScheduler": "schedulers",
                "create_lr_scheduler_with_warmup": "lr_scheduler"}


@dataclass
class Extraction:
    """Facts plus the handles the simulator needs (resolver for user functions)."""

    facts: FileFacts
    resolver: Resolver
    flow: ObjectFlow
    locator: Locator
    values: dict[str, dict[str, Value]] = field(default_factory=dict)  # scheduler/optimizer id -> args
    linked: Any = None  # extract.link.Linked: the other modules of the repository linked into the index
    # other runs a user-facing option selects, where they build or step something else: ({dest: value}, words)
    option_runs: list[tuple[dict[str, str], str]] = field(default_factory=list)


def extract(module: cst.Module, path: str, directory: str | None = None, text: str | None = None,
            display: str | None = None, overrides: dict[str, str] | None = None, symbols: Any = None) -> Extraction:
    # Most files that pass the prefilter build no optimizer or scheduler. For them a light pass without loops
    # and horizon comes first: those need positions (one code generation over the whole module, about a third
    # of the parse), and no other fact reads them. Only when the light pass finds something after all (a rate
    # write, a computed rate...) is the file extracted again in full.
    # ``text``, the source the module was parsed from, lets positions be computed per statement (see Locator).
    # ``display``: the path the file is shown as (the modules linked into its index are shown relative to it).
    light = _extract(module, path, directory, light=True, text=text, display=display, overrides=overrides,
                     symbols=symbols)
    if light is not None:
        return light
    return _extract(module, path, directory, light=False, text=text, display=display,  # type: ignore
                    overrides=overrides, symbols=symbols)


MAX_PLAN_ROUNDS = 3  # re-indexing rounds while deciding branches (a decision can make another condition known)


def _extract(module: cst.Module, path: str, directory: str | None, light: bool,
             text: str | None = None, display: str | None = None, overrides: dict[str, str] | None = None,
             symbols: Any = None) -> Extraction | None:
    from .conditions import decide
    from .frameworks import apply_frameworks, register_factories
    plan = Plan()
    linked_plans: dict[int, Plan] = {}  # id(parsed module) -> the run's arms in a module linked into this file
    first: tuple[Indexer, list[Any], Resolver] | None = None
    for round_ in range(MAX_PLAN_ROUNDS + 1):
        ix = build_index(module, plan=plan)
        linked = _link(ix, path, directory, display, linked_plans)
        classify_loops(ix)
        locator: Any = Locator(module, text, ix.owner)
        resolver = Resolver(ix, path, directory)
        if linked is not None:
            from .link import LinkedLocator

            locator = LinkedLocator(locator, linked)
            resolver.loc_file = locator.file
            resolver.scope_files = {id(lm.ix.module_scope): lm.unit.path for lm in linked.modules}
            resolver.class_scopes = {id(ci): lm.ix.module_scope for lm in linked.modules
                                     for ci in lm.ix.classes.values()}
        resolver.loc_line = locator.line
        resolver.overrides = dict(overrides or {})
        resolver.symbol_value = symbols
        flow = ObjectFlow(ix, resolver)
        flow.find_creations()
        register_factories(flow, ix, resolver)
        from .unknown import find_unknown

        find_unknown(flow, ix, resolver)  # parameters/attributes used as optimizers or schedulers, class unknown
        flow.renumber()
        if first is None:
            first = (ix, [c.site.ctx for c in flow.creations if not c.synthetic], resolver)
        if ((light and not flow.creations) or round_ == MAX_PLAN_ROUNDS
                or not (ix.branches or any(lm.ix.branches for lm in (linked.modules if linked else ())))):
            break
        # the default run (or the run --set describes): branches whose condition is known take one arm
        new = decide(ix, resolver)
        merged = Plan({**plan.chosen, **new.chosen}, {**plan.skip, **new.skip})
        changed = merged.key() != plan.key()
        for lm in linked.modules if linked is not None else ():
            # a factory in another module (`get_scheduler(args.sched, ...)` with an if/elif per name): its
            # branches are decided with the values the calls in this file pass to it
            more = decide(lm.ix, resolver)
            old = linked_plans.get(id(lm.unit.module), Plan())
            both = Plan({**old.chosen, **more.chosen}, {**old.skip, **more.skip})
            if both.key() != old.key():
                linked_plans[id(lm.unit.module)] = both
                changed = True
        if not changed:
            break
        plan = merged
    light = light and not flow.creations
    contexts = LoopContexts(ix, resolver)
    builder = _Builder(ix, resolver, flow, locator, contexts, path)
    builder.linked = linked
    facts = builder.build(light=light)
    ext = apply_frameworks(Extraction(facts, resolver, flow, locator, builder.values), ix, contexts, builder)
    if light and not _nothing_found(ext.facts):
        return None
    ext.linked = linked
    if first is not None and plan.chosen and first[1]:  # something is built in some arm (perhaps not this run's)
        from .conditions import option_runs

        given = set(overrides or {})
        ext.option_runs = [(ov, words) for ov, words in option_runs(first[0], first[1], plan, first[2])
                           if not set(ov) & given]
    return ext


def _link(ix: Indexer, path: str, directory: str | None, display: str | None,
          plans: dict[int, Plan]) -> Linked | None:
    """Link the repository code the file calls into its index (extract/link.py); None when nothing is linked.
    ``plans``: the run's arms in linked modules (by id of their parsed module)."""
    from .link import link_file

    try:
        return link_file(ix, Resolver(ix, path, directory), path, display or path, plans)
    except (OSError, RecursionError, ValueError):  # an unreadable tree or module: analyse the file alone
        return None


def _nothing_found(facts: FileFacts) -> bool:
    return not (facts.optimizers or facts.schedulers or facts.lr_writes or facts.unapplied_lrs or facts.checkpoints
                or facts.optimizer_steps or any(k != "imports" for k in facts.extra))


def _rate(c: Creation, values: dict[str, Value]) -> Value:
    """The optimizer's rate among its argument values: ``learning_rate`` (Keras; a legacy ``lr=`` written in the
    call wins when ``learning_rate`` is not), else ``lr``."""
    if c.entry is not None and c.entry.param("learning_rate") is not None:
        lr = values.get("learning_rate", Unknown("no learning_rate argument"))
        legacy = values.get("lr")
        if "learning_rate" not in c.bound and legacy is not None:
            lr = legacy
        return lr
    if c.unknown:
        return Unknown(f"its rate is set where it is built: {c.unknown}")
    return values.get("lr", Unknown("no lr argument"))


class _Builder:
    def __init__(self, ix: Indexer, resolver: Resolver, flow: ObjectFlow, locator: Locator,
                 contexts: LoopContexts, path: str) -> None:
        self.ix = ix
        self.resolver = resolver
        self.flow = flow
        self.loc = locator
        self.contexts = contexts
        self.path = path
        self.values: dict[str, dict[str, Value]] = {}
        self._site_ctx: dict[int, SiteContext] = {}
        self._step_ctx: dict[tuple[str, Location], list[Any]] = {}  # (object id, location) -> call contexts
        self.linked: Any = None  # extract.link.Linked, when the repository's code is linked into the index

    def site_context(self, site: CallSite) -> SiteContext:
        key = id(site.node)
        sc = self._site_ctx.get(key)
        if sc is None:
            sc = self.contexts.of(site.ctx)
            self._site_ctx[key] = sc
        return sc

    # -------------------------------------------------------------------------------------- build
    def build(self, light: bool = False) -> FileFacts:
        """All facts; ``light``: without loops and horizon (see ``extract``)."""
        optimizers = [self._optimizer(c) for c in self.flow.creations if c.kind == "optimizer"]
        steps = self._step_sites()
        loops = [] if light else self._loops(steps)
        horizon, epoch_loop = (FileFacts(self.path).horizon, None) if light else self._horizon(steps)
        schedulers = [self._scheduler(c, steps) for c in self.flow.creations if c.kind == "scheduler"]
        schedulers = self._link_children(schedulers)
        schedulers = [self._with_horizon(s, horizon) for s in schedulers]
        opt_steps = tuple(sorted((s for s in steps if s.kind == "optimizer"), key=lambda s: (s.loc, s.target)))
        return FileFacts(
            path=self.path,
            optimizers=tuple(optimizers),
            schedulers=tuple(schedulers),
            loops=tuple(loops),
            horizon=horizon,
            lr_writes=tuple(self._lr_writes()),
            checkpoints=tuple(self._checkpoints()),
            optimizer_steps=opt_steps,
            unapplied_lrs=tuple(self._unapplied_lrs(optimizers)),
            extra=self._extra(),
        )

    def _extra(self) -> dict[str, Any]:
        extra = self._restores()
        from .epoch_gates import repeated_epoch_decays

        repeated = repeated_epoch_decays(self.ix, self.resolver, self.loc)
        if repeated:  # a per-epoch decay inside the batch loop (reported by LR201)
            extra["repeated_epoch_decays"] = repeated
        # which libraries the file imports (version-dependent rules read it; see versions.keras_flavor)
        imported = self.ix.imports.imported()
        if imported:
            extra["imports"] = imported
        return extra

    def _when(self, c: Creation) -> str | None:
        """The undecided conditions a creation lies under, in words ("when --sched is 'step'"), None when it is
        part of every run the analysis describes."""
        if c.synthetic:
            return None
        from .conditions import words

        parts = []
        for bid, arms in c.site.ctx.arms:
            b, bix = self._branch(bid)
            if b is None or b.kind == "try" or id(b.node) in bix.plan.chosen:
                continue
            if bix is self.ix and b.kind == "if" and b.ctx.scope.kind == "module" and b.tests and \
                    b.tests[0] is not None and _is_main_guard(b.tests[0]) and set(arms) == {0}:
                continue  # the analysed script runs as __main__: its guard's body is every run's
            parts.append(words(b, arms, bix, self.resolver))
            if len(parts) >= 3:
                break
        return " and ".join(dict.fromkeys(parts)) or None

    def _branch(self, bid: int) -> tuple[Any, Indexer]:
        """The branch ``bid`` names (in the file or in a module linked into it) and the index that holds it."""
        b = self.ix.branches.get(bid)
        if b is not None or self.linked is None:
            return b, self.ix
        for lm in self.linked.modules:
            b = lm.ix.branches.get(bid)
            if b is not None:
                return b, lm.ix
        return None, self.ix

    def _run_time_sizes(self, c: Creation, values: dict[str, Value], assumed: dict[str, Value]) -> dict[str, str]:
        """Arguments unknown only because of a loader's length, as ``a x len(X) + b`` when they are linear in it
        (checked at three assumed lengths): the words can still give the curve's shape in terms of that size."""
        trials = {ASSUMED_LEN: assumed}
        for n in (1000, 7):
            with self.resolver.assuming(n):
                trials[n] = self.flow.arg_values(c)
        out: dict[str, str] = {}
        for k, v in values.items():
            if not isinstance(v, Unknown) or not is_run_size(v.reason) or k.startswith("__"):
                continue
            m = re.search(r"len\(([^()]*(?:\([^()]*\))?[^()]*)\)", v.reason)
            got = [trials[n].get(k) for n in (ASSUMED_LEN, 1000, 7)]
            if m is None or not all(isinstance(g, Known) and isinstance(g.value, (int, float))
                                    and not isinstance(g.value, bool) for g in got):
                continue
            y1, y2, y3 = (float(g.value) for g in got)  # type: ignore[union-attr]
            a = (y2 - y1) / (1000 - ASSUMED_LEN)
            b = y1 - a * ASSUMED_LEN
            if a <= 0 or abs(a * 7 + b - y3) > 1e-9 * max(1.0, abs(y3)):
                continue
            out[k] = _linear_text(a, b, f"len({m.group(1)})")
        return out

    def _call_syntax(self, c: Creation) -> CallSyntax | None:
        """The constructor call as written (for fixes); None for objects a framework builds."""
        if c.synthetic or not isinstance(c.site.node, cst.Call):
            return None
        from .call_syntax import call_syntax

        return call_syntax(c.site.node, self.loc)

    def _common(self, c: Creation) -> tuple[Location, str | None, str | None, str | None]:
        site = c.site
        loc = self.loc.location(site.node)
        variable = site.targets[0] if site.direct and site.targets else None
        loop_id = site.ctx.loops[-1] if site.ctx.loops else None
        fn = site.ctx.scope.function
        return loc, variable, loop_id, fn.qualname if fn else None

    def _optimizer(self, c: Creation) -> OptimizerFact:
        loc, variable, loop_id, fn = self._common(c)
        values = self.flow.arg_values(c)
        self.values[c.oid] = values
        lr = _rate(c, values)
        groups: list[ParamGroupFact] = []
        params_node = c.bound.get("params")
        for gnode, glr in self._param_groups(params_node, c, lr):
            groups.append(ParamGroupFact(glr, self.loc.location(gnode)))
        first_lr = groups[0].lr if groups else lr
        lr_key = "learning_rate" if "learning_rate" in c.bound else "lr"
        assumed_lr = None
        if not groups and isinstance(first_lr, Unknown) and is_run_size(first_lr.reason):
            with self.resolver.assuming(ASSUMED_LEN):
                assumed_lr = _rate(c, self.flow.arg_values(c))
            if not isinstance(assumed_lr, Known):
                assumed_lr = values.get("__assumed_lr__")  # a factory's rate, resolved where it was called
            if not isinstance(assumed_lr, Known):
                assumed_lr = None
        lr_loc = self.loc.location(c.bound[lr_key]) if lr_key in c.bound else None
        params = {k: v for k, v in sorted(values.items()) if k != lr_key and not _internal(k)}
        unresolved = values.get("__unresolved__")
        if isinstance(unresolved, Unknown):
            # a factory whose optimizer name is computed at run time (timm's ``create_optimizer_v2(model,
            # opt_name)``): say which argument is unknown, under the library's own name for it
            key = "opt" if c.qualname.startswith("timm.") or c.framework == "timm" else "optimizer"
            params.setdefault(key, Unknown(f"{unresolved.reason}, so which optimizer is built is not known"))
        return OptimizerFact(
            id=c.oid, cls=c.qualname, framework=c.framework or (c.entry.framework if c.entry else "torch"),  # type: ignore
            loc=loc, variable=variable, lr=first_lr, params=params, groups=tuple(groups), loop_id=loop_id,
            function=fn, lr_arg_loc=lr_loc, conditional=c.site.ctx.conds > 0, when=self._when(c), call=self._call_syntax(c),
            imported_as=self.ix.imports.qualify(c.site.node.func) if isinstance(c.site.node, cst.Call) and
            not c.unknown else None, class_reason=c.unknown,
            probe=self._probe(params_node, c), assumed_lr=assumed_lr,
        )

    def _probe(self, node: cst.BaseExpression | None, c: Creation) -> str | None:
        """Why an optimizer only probes its schedule: every parameter it gets is a stand-alone tensor
        (``[torch.nn.Parameter(torch.zeros(1))]``, ``[{"params": p}]`` with ``p = torch.randn(2,
        requires_grad=True)``), never a model's, and nothing in its function calls backward(): a script that plots
        or prints a schedule's rates (with lr=1.0 as the unit), not training. Also an optimizer class of the
        repository whose ``step()`` does nothing (the Annotated Transformer's ``DummyOptimizer``, handed to the
        evaluation pass): it keeps no state and changes no weight."""
        idle = self._idle_step(c)
        if idle is not None:
            return idle
        if node is None or c.synthetic:
            return None
        leaves = self._param_leaves(node, c.site.ctx, c.site.seq, 0)
        if not leaves or not all(self._standalone_tensor(n) for n in leaves):
            return None
        scope = c.site.ctx.scope
        while scope.kind == "class" and scope.parent is not None:
            scope = scope.parent
        for site in self.ix.calls:
            if site.path.rsplit(".", 1)[-1] in ("backward", "manual_backward", "fit", "train", "training_step") \
                    and _within(site.ctx.scope, scope):
                return None
        return (f"its parameters are stand-alone tensors (line {self.loc.line(leaves[0])}), not a model's, and "
                f"nothing calls backward()")

    def _idle_step(self, c: Creation) -> str | None:
        """Why an optimizer of a class of the repository trains nothing: its ``step()`` does nothing."""
        if c.entry is not None or not c.custom_class or c.kind != "optimizer":
            return None
        ci = self.ix.classes.get(c.custom_class)
        step = ci.methods.get("step") if ci is not None else None
        if step is None or not all(_does_nothing(st) for st in step.node.body.body):
            return None
        return f"its class {ci.name}'s step() ({self.loc.location(step.node).place}) does nothing"  # type: ignore

    def _param_leaves(self, node: cst.BaseExpression, ctx: Ctx, seq: int, depth: int) -> list[cst.BaseExpression]:
        """The expressions an optimizer's params argument is made of: list/tuple elements and group dicts'
        "params" values, through names bound once."""
        node, ctx, seq = self._single_binding(node, ctx, seq)
        if depth > 3:
            return [node]
        if isinstance(node, (cst.List, cst.Tuple)):
            out: list[cst.BaseExpression] = []
            for el in node.elements:
                if isinstance(el, cst.StarredElement):
                    return []
                out += self._param_leaves(el.value, ctx, seq, depth + 1)
            return out
        if isinstance(node, cst.Dict):
            for el in node.elements:
                if isinstance(el, cst.DictElement) and isinstance(el.key, cst.SimpleString) and \
                        el.key.evaluated_value == "params":
                    return self._param_leaves(el.value, ctx, seq, depth + 1)
            return []
        return [node]

    def _standalone_tensor(self, node: cst.BaseExpression) -> bool:
        if not isinstance(node, cst.Call):
            return False
        q = self.ix.imports.qualify(node.func) or dotted(node.func) or ""
        return q in _STANDALONE_TENSORS

    def _param_groups(self, node: cst.BaseExpression | None, c: Creation,
                      default: Value) -> list[tuple[cst.CSTNode, Value]]:
        """[(group node, its lr)] for a params argument that is a list of group dicts, in either spelling
        (``{"params": p, "lr": 1e-4}`` or ``dict(params=p, lr=1e-4)``), directly or through names; a group without
        its own lr uses ``default`` (the optimizer's). [] when the argument is not a list of groups (a plain
        ``model.parameters()``)."""
        if node is None:
            return []
        ctx, seq = c.site.ctx, c.site.seq
        name = node.value if isinstance(node, cst.Name) else None
        node, ctx, seq = self._single_binding(node, ctx, seq)
        if name is not None and isinstance(node, cst.List) and not node.elements:
            return self._appended_groups(name, ctx, c, default)
        if isinstance(node, (cst.ListComp, cst.GeneratorExp)) and _is_group(node.elt):
            # [{"params": p, "lr": lr * m} for p, m in ...]: one entry stands for all the groups it builds
            bound = _comprehension_names(node)
            glr = self._group_lr(node.elt, ctx, seq, default, 0)
            lr_node = _group_lr_node(node.elt)
            if lr_node is not None and _mentions_any(lr_node, bound):
                glr = Unknown(f"each group's lr is computed by the comprehension "
                              f"{self.ix.text(node, 80)} (line {self.loc.line(node)})")
            return [(node, glr)]
        if not isinstance(node, (cst.List, cst.Tuple)) or not node.elements:
            return []
        out: list[tuple[cst.CSTNode, Value]] = []
        for el in node.elements:
            if isinstance(el, cst.StarredElement):
                return []
            gnode, gctx, gseq = self._single_binding(el.value, ctx, seq)
            if not _is_group(gnode):
                return []
            out.append((gnode, self._group_lr(gnode, gctx, gseq, default, 0)))
        return out

    def _appended_groups(self, name: str, ctx: Ctx, c: Creation, default: Value) -> list[tuple[cst.CSTNode, Value]]:
        """``groups = []`` then ``groups.append({"params": ..., "lr": ...})`` (before the optimizer is built)."""
        out: list[tuple[cst.CSTNode, Value]] = []
        for site in self.ix.calls:
            if site.path not in (f"{name}.append", f"{name}.extend", f"{name}.insert") or site.seq > c.site.seq:
                continue
            if not _within(site.ctx.scope, ctx.scope):
                continue
            if site.path.endswith(".append") and len(site.node.args) == 1 and _is_group(site.node.args[0].value):
                gnode = site.node.args[0].value
                glr = self._group_lr(gnode, site.ctx, site.seq, default, 0)
                if site.ctx.loops and len(site.ctx.loops) > len(ctx.loops) and isinstance(glr, Unknown):
                    glr = Unknown(f"each group's lr is set in a loop: {self.ix.text(gnode, 80)} "
                                  f"(line {self.loc.line(site.node)}); {glr.reason}")
                out.append((gnode, glr))
            else:
                return []  # groups added some other way: their number and rates are not known
        return out

    def _single_binding(self, node: cst.BaseExpression, ctx: Ctx, seq: int) -> tuple[cst.BaseExpression, Ctx, int]:
        """``node`` followed through names that are assigned exactly once (``groups = [...]``)."""
        for _ in range(4):
            if not isinstance(node, cst.Name):
                break
            _, recs = self.resolver._assignments(node.value, ctx, seq)
            recs = [r for r in recs if r.kind in ("assign", "aug", "for", "unpack", "annot", "with")]
            if len(recs) != 1 or recs[0].kind not in ("assign", "annot") or recs[0].value is None:
                break
            node, ctx, seq = recs[0].value, recs[0].ctx, recs[0].seq
        return node, ctx, seq

    def _group_lr(self, node: cst.BaseExpression, ctx: Ctx, seq: int, default: Value, depth: int) -> Value:
        """The lr one group dict sets (later keys win, as in Python), else ``default``."""
        glr = default
        if isinstance(node, cst.Dict):
            for el in node.elements:
                if isinstance(el, cst.DictElement):
                    k = self.resolver.resolve(el.key, ctx, seq)
                    if isinstance(k, Known) and k.value == "lr":
                        glr = self.resolver.resolve(el.value, ctx, seq)
                    elif not isinstance(k, Known):
                        glr = _maybe_lr(glr, f"the group key {self.ix.text(el.key, 40)} is not known")
                else:
                    glr = self._spread_lr(el.value, ctx, seq, glr, depth)
        elif isinstance(node, cst.Call):
            for arg in node.args:
                if arg.keyword is not None:
                    if arg.keyword.value == "lr":
                        glr = self.resolver.resolve(arg.value, ctx, seq)
                elif arg.star == "**" or not arg.star:
                    # dict(base_group, lr=...) / dict(**base_group): the mapping's own keys come first
                    glr = self._spread_lr(arg.value, ctx, seq, glr, depth)
                else:
                    glr = _maybe_lr(glr, f"the group is built from *{self.ix.text(arg.value, 40)}")
        return glr

    def _spread_lr(self, node: cst.BaseExpression, ctx: Ctx, seq: int, current: Value, depth: int) -> Value:
        """The lr after merging the mapping ``node`` into a group (``{**base, ...}``, ``dict(base, ...)``)."""
        inner, ictx, iseq = self._single_binding(node, ctx, seq)
        if depth < 3 and _is_group(inner):
            return self._group_lr(inner, ictx, iseq, current, depth + 1)
        return _maybe_lr(current, f"the group merges {self.ix.text(node, 40)}, which may set its lr")

    def _scheduler(self, c: Creation, steps: list[StepSite]) -> SchedulerFact:
        loc, variable, loop_id, fn = self._common(c)
        values = self.flow.arg_values(c)
        if c.bind_error:
            values["__bind_error__"] = Known(c.bind_error, "call")
        from .symbolic import expression

        for name, v in list(values.items()):
            if isinstance(v, Unknown) and is_run_size(v.reason) and name in c.bound:
                expr = expression(c.bound[name], c.site.ctx, c.site.seq, self.resolver)
                if expr:
                    values[name] = Unknown(v.reason, expr)
        self.values[c.oid] = values
        opt_node = c.bound.get("optimizer")
        optimizer: str | None = None
        reason: str | None = None
        candidates: tuple[str, ...] = ()
        if opt_node is None and c.entry is not None and c.entry.params and c.entry.params[0].name == "schedulers":
            reason = "wraps other schedulers"
        elif opt_node is None and c.unknown:
            reason = "its class, and so its optimizer, is not known here"
        elif opt_node is None:
            reason = "no optimizer argument"
        else:
            opts = [o for o in self.flow.objects(opt_node, c.site.ctx, c.site.seq) if self.flow.by_id[o].kind == "optimizer"]
            if opts:
                optimizer = opts[0]
                if len(opts) > 1:
                    candidates = tuple(opts)
                    reason = f"may be any of {', '.join(opts)}: which one is built depends on the path taken"
            else:
                reason = f"the optimizer argument {self.ix.text(opt_node, 60)} could not be traced to an optimizer built in this file"
        assumed = None
        sizes: dict[str, str] = {}
        if any(isinstance(v, Unknown) and is_run_size(v.reason) for v in values.values()):
            with self.resolver.assuming(ASSUMED_LEN):
                assumed = {k: v for k, v in sorted(self.flow.arg_values(c).items()) if not k.startswith("__")}
            sizes = self._run_time_sizes(c, values, assumed)
        my_sites = tuple(sorted((s for s in steps if s.target == c.oid), key=lambda s: s.loc))
        stepped = _stepped(my_sites)
        handed_to = self._handed_to(c) if not my_sites else None
        if (handed_to is not None or c.unknown) and stepped == "never":
            stepped = "unknown"  # (an object of unknown class is stepped, perhaps, where it is passed in)
        entry_unit = c.entry.unit if c.entry else "either"
        unit = "step" if entry_unit == "step" or (entry_unit == "either" and stepped == "batch") else "epoch"
        arg_locs = {name: self.loc.location(node) for name, node in c.bound.items()}
        kept = bool(c.site.targets) or not c.site.direct or not c.site.discarded
        custom_get_lr = None
        description = None
        writer = self._rate_writer(c.oid)
        if writer is not None:
            ci = self.ix.classes[writer.cls]
            where = ", ".join(f"{m}() ({self.loc.location(ci.methods[m].node).place})" for m in writer.methods)
            description = f"class {writer.cls} sets the rate of the optimizer it is given in {where}"
        elif c.custom_class:
            ci = self.ix.classes.get(c.custom_class)
            get_lr = ci.methods.get("get_lr") if ci else None
            if get_lr is not None:
                custom_get_lr = self.loc.location(get_lr.node)
                description = f"custom scheduler class {c.custom_class}; its get_lr() is at line {custom_get_lr.line}"
            else:
                description = f"custom scheduler class {c.custom_class}"
        return SchedulerFact(
            id=c.oid, cls=c.qualname, framework=c.framework or (c.entry.framework if c.entry else "torch"),  # type: ignore
            loc=loc, variable=variable, optimizer=optimizer, optimizer_reason=reason,
            args={k: v for k, v in sorted(values.items()) if not k.startswith("__")}, arg_locs=arg_locs,
            step_sites=my_sites, stepped=stepped, unit=unit,  # type: ignore[arg-type]
            loop_id=loop_id, function=fn, kept=kept, custom_get_lr=custom_get_lr, description=description,
            assumed_args=assumed, conditional=c.site.ctx.conds > 0, optimizer_candidates=candidates,
            handed_to=handed_to,
            arg_texts={name: self.ix.text(node, 80) for name, node in sorted(c.bound.items())
                       if isinstance(node, cst.BaseExpression) and not name.startswith("__")},
            when=self._when(c), call=self._call_syntax(c), sizes=sizes, class_reason=c.unknown,
        )

    def _handed_to(self, c: Creation) -> str | None:
        """The first call this file cannot see into that receives the object (an argument, or an item of a
        list/tuple/dict argument): an unknown function or a third-party trainer may step it there."""
        for site in self.ix.calls:
            if not site.node.args or site.node is c.site.node:
                continue
            inline = any(a.value is c.site.node for a in site.node.args)  # ``LRScheduler(StepLR(opt, 30))``
            if not inline and site.seq <= c.site.seq and site.ctx.scope is c.site.ctx.scope:
                continue
            path = site.path
            last = path.rsplit(".", 1)[-1]
            if last in _NOT_STEPPING or path.split(".", 1)[0] in ("logging", "logger", "log", "json", "pickle"):
                continue
            if self.resolver._function_named(path.removeprefix("self."), site.ctx.scope) is not None:
                continue  # a function of this file: the flow follows the object into it
            q = self.ix.imports.qualify(site.node.func) or path
            from ..catalog import lookup

            if lookup(q) is not None:
                continue  # a scheduler or optimizer constructor (wrappers are linked as children)
            for a in site.node.args:
                values = [a.value]
                if isinstance(a.value, (cst.List, cst.Tuple, cst.Set)):
                    values = [e.value for e in a.value.elements]
                elif isinstance(a.value, cst.Dict):
                    values = [e.value for e in a.value.elements if isinstance(e, cst.DictElement)]
                for v in values:
                    # built right in the argument (``LRScheduler(StepLR(optimizer, 30))``), or passed by name
                    if v is c.site.node or (isinstance(v, (cst.Name, cst.Attribute)) and
                                            c.oid in self.flow.objects(v, site.ctx, site.seq)):
                        return f"{path}() at line {self.loc.location(site.node).line}"
        return None

    def _link_children(self, scheds: list[SchedulerFact]) -> list[SchedulerFact]:
        by_id = {s.id: s for s in scheds}
        for c in self.flow.creations:
            if c.kind != "scheduler" or c.entry is None or c.entry.short not in CHILD_PARAMS:
                continue
            node = c.bound.get(CHILD_PARAMS[c.entry.short])
            children = [o for o in self.flow.objects(node, c.site.ctx, c.site.seq) if o in by_id and o != c.oid]
            # a list literal holds as many schedulers as it has elements, each perhaps one of several alternatives
            choices: list[tuple[str, ...]] = []
            if node is not None:
                lit, lctx, lseq = self._single_binding(node, c.site.ctx, c.site.seq)
                if isinstance(lit, (cst.List, cst.Tuple)) and lit.elements and \
                        not any(isinstance(el, cst.StarredElement) for el in lit.elements):
                    choices = [tuple(o for o in self.flow.objects(el.value, lctx, lseq) if o in by_id and o != c.oid)
                               for el in lit.elements]
            parent = by_id[c.oid]
            opt = parent.optimizer
            if opt is None:
                opt = next((by_id[ch].optimizer for ch in children if by_id[ch].optimizer), None)
            by_id[c.oid] = replace(parent, children=tuple(children), optimizer=opt,
                                   optimizer_reason=None if opt else parent.optimizer_reason,
                                   child_choices=tuple(choices) if any(len(ch) > 1 for ch in choices) else ())
            for ch in children:
                child = by_id[ch]
                # children are stepped through their parent
                by_id[ch] = replace(child, parent=c.oid, stepped=by_id[c.oid].stepped
                                    if not child.step_sites else child.stepped)
        return [by_id[s.id] for s in scheds]

    # -------------------------------------------------------------------------------------- steps
    def _step_sites(self) -> list[StepSite]:
        out: list[StepSite] = []
        writers = self.flow.rate_writers
        writer_methods = {m for w in writers.values() for m in w.methods}
        for site in self.ix.calls:
            func = site.node.func
            if not isinstance(func, cst.Attribute) or (func.attr.value not in STEP_METHODS
                                                       and func.attr.value not in writer_methods):
                continue
            targets = self.flow.objects_via(func.value, site.ctx, site.seq)
            if writers:  # an object of a rate-writing class is stepped by the methods that write (rate_writers.py)
                targets = [(oid, arms) for oid, arms in targets
                           if self._steps_object(oid, func.attr.value)]
            # scaler.step(optimizer) / amp wrappers step the optimizer passed as the argument
            if not targets and func.attr.value == "step" and site.node.args:
                arg_objs = self.flow.objects_via(site.node.args[0].value, site.ctx, site.seq)
                for oid, arms in arg_objs:
                    if self.flow.by_id[oid].kind == "optimizer":
                        out.append(self._site(site, oid, "optimizer", "step", with_arg=False, arms=arms))
                continue
            for oid, arms in targets:
                kind = self.flow.by_id[oid].kind
                if kind == "scheduler" and self._other_class_path(site, func.value, oid, 0):
                    continue  # under `if isinstance(s, ReduceLROnPlateau)` for a StepLR: never runs for it
                out.append(self._site(site, oid, kind, func.attr.value, with_arg=(kind == "scheduler"), arms=arms))
        return out

    def _rate_writer(self, oid: str) -> Any:
        """The rate-writing class (rate_writers.py) ``oid`` is an object of, None for any other object."""
        c = self.flow.by_id[oid]
        return self.flow.rate_writers.get(c.custom_class or "") if c.entry is None else None

    def _steps_object(self, oid: str, method: str) -> bool:
        """``obj.<method>()`` steps ``oid``: a step method of a library object, or a method of a rate-writing
        class that writes the rate."""
        w = self._rate_writer(oid)
        return method in STEP_METHODS if w is None else method in w.methods

    def _other_class_path(self, site: CallSite, receiver: cst.BaseExpression, oid: str, depth: int) -> bool:
        """True when the code at ``ctx`` runs only for objects of another class than ``oid``'s: an arm of ``if
        isinstance(X, C)`` / ``type(X) == C`` / ``type(X) != C`` (or the else arm) that excludes the class of the
        object ``X`` is, here or in every call of the function that reaches ``ctx`` (a wrapper dispatching on the
        wrapped scheduler's type: ``if type(self.after) != ReduceLROnPlateau: ... else: self.step_plateau(m)``)."""
        c = self.flow.by_id[oid]
        own = c.entry.short if c.entry is not None else None
        if own is None or depth > 3:
            return False
        ctx = site.ctx
        lm = self.linked.module_of(site.node) if self.linked is not None else None
        branches = (lm.ix if lm is not None else self.ix).branches  # a linked module numbers its own branches
        for bid, arms in ctx.arms:
            b = branches.get(bid)
            if b is None or b.kind not in ("if", "ifexp") or not arms:
                continue
            if all(self._arm_excludes(b, a, receiver, oid, own) for a in arms):
                return True
        fn = ctx.scope.function
        if fn is None:
            return False
        calls = self.resolver.calls_to(fn)
        return bool(calls) and all(self._other_class_path(cs, receiver, oid, depth + 1)
                                   for cs in calls)

    def _arm_excludes(self, b: Any, arm: int, receiver: cst.BaseExpression, oid: str, own: str) -> bool:
        """True when taking ``arm`` of branch ``b`` requires the object to be of a class other than ``own``."""
        for i, test in enumerate(b.tests):
            if i > arm:
                break
            wanted = i == arm  # this arm's own test holds; the earlier ones failed
            req = self._class_test(test, receiver, oid, b.ctx, b.seq) if test is not None else None
            if req is None:
                continue
            classes, positive = req
            must_be = positive == wanted
            if must_be and own not in classes:
                return True
            if not must_be and own in classes:
                return True
        return False

    def _class_test(self, test: cst.BaseExpression, receiver: cst.BaseExpression, oid: str, ctx: Any,
                    seq: int) -> tuple[frozenset[str], bool] | None:
        """({class names}, positive) when ``test`` checks the class of the object ``receiver`` stands for:
        ``isinstance(X, C)`` / ``type(X) is C`` / ``type(X) == C`` (positive), ``!=`` / ``is not`` / ``not ...``
        (negative). Only concrete scheduler classes of the catalog count (a base class matches subclasses)."""
        if isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not):
            inner = self._class_test(test.expression, receiver, oid, ctx, seq)
            return (inner[0], not inner[1]) if inner else None
        subject: cst.BaseExpression | None = None
        classes: list[cst.BaseExpression] = []
        positive = True
        if isinstance(test, cst.Call) and dotted(test.func) == "isinstance" and len(test.args) == 2:
            subject = test.args[0].value
            cls = test.args[1].value
            classes = [e.value for e in cls.elements] if isinstance(cls, cst.Tuple) else [cls]
        elif isinstance(test, cst.Comparison) and len(test.comparisons) == 1:
            left, comp = test.left, test.comparisons[0]
            op = comp.operator
            if isinstance(left, cst.Call) and dotted(left.func) == "type" and len(left.args) == 1:
                subject = left.args[0].value
                classes = [comp.comparator]
                if isinstance(op, (cst.NotEqual, cst.IsNot)):
                    positive = False
                elif not isinstance(op, (cst.Equal, cst.Is)):
                    return None
        if subject is None or not classes:
            return None
        if dotted(subject) != dotted(receiver) and oid not in self.flow.objects(subject, ctx, seq):
            return None
        names: set[str] = set()
        for cnode in classes:
            q = self.ix.imports.qualify(cnode) or dotted(cnode) or ""
            e = lookup(q) if q else None
            short = q.rsplit(".", 1)[-1]
            if e is None or e.kind != "scheduler" or short in ("LRScheduler", "_LRScheduler"):
                return None
            names.add(e.short)
        return frozenset(names), positive

    def _site(self, site: CallSite, oid: str, kind: str, method: str, with_arg: bool,
              arms: tuple = ()) -> StepSite:
        sc = self.site_context(site)
        self._step_ctx.setdefault((oid, self.loc.location(site.node)), []).append(site.ctx)
        arg: Value | None = None
        arg_text = None
        arg_kind = "none"
        series: tuple[int, int] | None = None
        keyword: str | None = None
        trace: tuple[tuple[str, bool], ...] = ()
        if with_arg:
            node = None
            for a in site.node.args:
                if a.keyword is None and not a.star:
                    node = a.value
                    break
                if a.keyword is not None and a.keyword.value in ("metrics", "epoch", "metric", "num_updates"):
                    node = a.value
                    keyword = a.keyword.value
                    break
            if isinstance(node, cst.Name) and node.value == "None":
                node = None  # step(None) passes step()'s own default: it is step()
            if node is not None:
                arg = self.resolver.resolve(node, site.ctx, site.seq)
                arg_text = self.ix.text(node, 80)
                c = self.flow.by_id[oid]
                short = c.entry.short if c.entry else ""
                kw = next((a.keyword.value for a in site.node.args if a.keyword is not None), None)
                if kw == "epoch" or (short != "ReduceLROnPlateau" and re.search(r"epoch|\bep\b", arg_text.lower())):
                    arg_kind = "epoch"
                elif short in ("ReduceLROnPlateau", "PlateauLRScheduler") or kw in ("metrics", "metric") or \
                        _METRIC_WORDS.search(arg_text.lower()):
                    arg_kind = "metric"
                else:
                    arg_kind = "other"
                if arg_kind == "metric" or short in ("ReduceLROnPlateau", "PlateauLRScheduler"):
                    from .metrics import metric_trace

                    trace = metric_trace(self.resolver, node, site.ctx, site.seq)
                if arg_kind == "epoch":
                    series = self._loop_series(node, site)
            elif self._rate_writer(oid) is not None and any(
                    not (isinstance(a.value, cst.Name) and a.value.value == "None") for a in site.node.args):
                # a method of a rate-writing class called with arguments (``step(increment=n)``): not followed
                arg_kind, arg_text = "other", self.ix.text(site.node.args[0], 80)
        return StepSite(
            target=oid, kind=kind, method=method, loc=self.loc.location(site.node),  # type: ignore[arg-type]
            context=sc.context, loop_id=sc.loop_id, order=site.ctx.order, via=sc.via,  # type: ignore[arg-type]
            arg=arg, arg_text=arg_text, arg_kind=arg_kind, conditional=site.ctx.conds > 0,  # type: ignore[arg-type]
            arg_trace=trace,
            arms=tuple((bid, tuple(sorted(a))) for bid, a in arms),
            call_arms=tuple((bid, tuple(sorted(a))) for bid, a in sc.call_arms) if sc.via else (),
            arg_series=series, arg_keyword=keyword,
        )

    def _loop_series(self, node: cst.BaseExpression, site: CallSite) -> tuple[int, int] | None:
        """``step(epoch)`` / ``step(epoch + 1)`` inside ``for epoch in range(a, b, c)`` of the same function:
        (the argument's value at the loop's first iteration, its change per iteration)."""
        offset = 0
        name = node
        if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, (cst.Add, cst.Subtract)):
            left, right = node.left, node.right
            if isinstance(right, cst.Integer) and isinstance(left, cst.Name):
                name, offset = left, int(right.value) * (1 if isinstance(node.operator, cst.Add) else -1)
            elif isinstance(left, cst.Integer) and isinstance(right, cst.Name) and isinstance(node.operator, cst.Add):
                name, offset = right, int(left.value)
            else:
                return None
        if not isinstance(name, cst.Name):
            return None
        # one call per iteration of the innermost loop, whose variable the argument is
        if not isinstance(name, cst.Name) or not site.ctx.loops or site.ctx.conds:
            return None
        for lid in site.ctx.loops[-1:]:
            lp = self.ix.loops.get(lid)
            if lp is None or not isinstance(lp.node, cst.For):
                return None
            if not isinstance(lp.node.target, cst.Name) or lp.node.target.value != name.value:
                return None
            it = lp.iter_node
            if not (isinstance(it, cst.Call) and dotted(it.func) == "range"):
                return None
            args = [a.value for a in it.args if a.keyword is None and not a.star]
            if not 1 <= len(args) <= 3 or len(args) != len(it.args):
                return None
            vals = [self.resolver.resolve(a, lp.ctx) for a in args]
            if not all(isinstance(v, Known) and isinstance(v.value, int) and not isinstance(v.value, bool)
                       for v in vals):
                return None
            start = vals[0].value if len(vals) >= 2 else 0  # type: ignore[union-attr]
            step = vals[2].value if len(vals) == 3 else 1  # type: ignore[union-attr]
            if step == 0:
                return None
            return int(start) + offset, int(step)
        return None

    # -------------------------------------------------------------------------------------- loops
    def _loops(self, steps: list[StepSite]) -> list[LoopFact]:
        out = []
        opt_sites = [s for s in steps if s.kind == "optimizer"]
        for lid, lp in self.ix.loops.items():
            count = loop_count(lp, self.resolver) if lp.kind in ("epoch", "iteration", "batch") else Unknown("not a training loop")
            if lp.kind in ("epoch", "iteration", "batch"):
                # a loop a counter bounds exactly (`while step < N`, a range cut short by `if i >= N: break`)
                nested = any(self.ix.loops[a].kind == "epoch" for a in lp.ctx.loops if a in self.ix.loops)
                value, exact = self._bounded(lp, opt_sites, nested)
                if isinstance(value, Known) and exact:
                    count = value
            fn = lp.ctx.scope.function
            out.append(LoopFact(lid, self.loc.location(lp.node), lp.kind, lp.parent, lp.target_text,  # type: ignore
                                lp.iter_text, count, fn.qualname if fn else None))
        return out

    def _horizon(self, steps: list[StepSite]) -> tuple[Horizon, str | None]:
        loops = self.ix.loops
        # the epoch loop that drives training: the one around optimizer steps, else the first epoch loop
        epoch_loop = None
        batch_loop = None
        for s in steps:
            sc_loop = s.loop_id
            if sc_loop is None:
                continue
            lp = loops.get(sc_loop)
            if lp is None:
                continue
            if lp.kind in ("batch", "iteration") and batch_loop is None and s.kind == "optimizer":
                batch_loop = lp.id
            anc = lp
            while anc is not None:
                if anc.kind == "epoch":
                    epoch_loop = epoch_loop or anc.id
                    break
                anc = loops.get(anc.parent) if anc.parent else None
        for s in steps:
            if epoch_loop is None and s.kind == "optimizer":
                # optimizer stepped in a function called from an epoch loop
                pass
        if epoch_loop is None:
            for site_ctx in self._site_ctx.values():
                if site_ctx.epoch_loop:
                    epoch_loop = site_ctx.epoch_loop
                    break
        if epoch_loop is None:
            epoch_loop = next((lp.id for lp in loops.values() if lp.kind == "epoch"), None)
        if batch_loop is None:
            for site_ctx in self._site_ctx.values():
                if site_ctx.batch_loop:
                    batch_loop = site_ctx.batch_loop
                    break
        epochs: Value = Unknown("no epoch loop found")
        spe: Value = Unknown("no batch loop found")
        if epoch_loop is not None:
            lp = loops[epoch_loop]
            bounded = self._passes(lp, [s for s in steps if s.kind == "optimizer"])
            epochs = bounded if bounded is not None else loop_count(lp, self.resolver)
            if isinstance(epochs, Known) and bounded is None:
                epochs = Known(epochs.value, f"the epoch loop at {self.resolver.where(lp.node)}"
                               + (f" ({epochs.source})" if epochs.source != "literal" else ""))
        if batch_loop is not None:
            lp = loops[batch_loop]
            spe = loop_count(lp, self.resolver)
            opt_sites = [s for s in steps if s.kind == "optimizer" and s.loop_id == lp.id] or \
                [s for s in steps if s.loop_id == lp.id]
            bounded = self._passes(lp, opt_sites, nested=epoch_loop is not None)
            if bounded is not None and (epoch_loop is not None or lp.kind == "batch"):
                spe = bounded
            if epoch_loop is None and (lp.kind == "iteration" or isinstance(bounded, Known)):
                total = bounded if bounded is not None else spe
                if isinstance(total, Known) and bounded is None:
                    total = Known(total.value, f"the iteration loop at {self.resolver.where(lp.node)}"
                                  + (f" ({total.source})" if total.source != "literal" else ""))
                return Horizon(Unknown("the script trains by iterations, not epochs"), Unknown("no epochs"), total,
                               None, batch_loop), None
        total: Value
        if isinstance(epochs, Known) and isinstance(spe, Known):
            total = Known(epochs.value * spe.value, f"{epochs.source} x {spe.source}")
        else:
            total = Unknown("steps per epoch are not stated" if isinstance(epochs, Known) else
                            getattr(epochs, "reason", "unknown"))
        return Horizon(epochs, spe, total, epoch_loop, batch_loop), epoch_loop

    def _passes(self, lp: LoopInfo, sites: list[StepSite], nested: bool = False) -> Value | None:
        """How many passes of ``lp`` reach the given step sites when a counter bounds the loop (``run_bound``);
        None when no counter bound applies (the loop's ``loop_count`` stands). Sites that do not run inside the
        loop are ignored; when the others do not all sit at one place in the pass, a break bound is an upper one."""
        return self._bounded(lp, sites, nested)[0]

    def _bounded(self, lp: LoopInfo, sites: list[StepSite], nested: bool = False) -> tuple[Value | None, bool]:
        where: set[tuple[int, ...]] = set()
        for st in sites:
            for ctx in self._step_ctx.get((st.target, st.loc), []):
                at = order_in_loop(ctx, lp, self.resolver)
                if at is not None:
                    where.add(at)
        step_at = next(iter(where)) if len(where) == 1 else None
        return run_bound(self.ix, self.resolver, lp, step_at, step_at is not None, own_counter_only=nested)

    def _own_horizon(self, s: SchedulerFact, h: Horizon) -> Horizon:
        """The horizon of the loop that actually steps this scheduler (scripts may have several loops)."""
        loops = {x.loop_id for x in s.step_sites if x.context == s.stepped and x.loop_id}
        if len(loops) > 1:
            # `for _ in range(start_epoch): scheduler.step()` only fast-forwards a resumed schedule: not the run
            kept = {lid for lid in loops if lid in self.ix.loops and not _fast_forward(self.ix, self.ix.loops[lid])}
            if len(kept) == 1:
                loops = kept
        if len(loops) != 1:
            return h
        lp = self.ix.loops.get(next(iter(loops)))
        if lp is None:
            return h
        if s.stepped == "epoch" and lp.kind == "epoch":
            if lp.id == h.epoch_loop:
                return h
            bounded = self._passes(lp, list(s.step_sites))
            n = bounded if bounded is not None else loop_count(lp, self.resolver)
            if isinstance(n, Known) and bounded is None:
                n = Known(n.value, f"the epoch loop at {self.resolver.where(lp.node)}"
                          + (f" ({n.source})" if n.source != "literal" else ""))
            return Horizon(n, h.steps_per_epoch, h.total_steps, lp.id, h.batch_loop)
        if s.stepped == "batch" and lp.kind in ("batch", "iteration"):
            anc = self.ix.loops.get(lp.parent) if lp.parent else None
            while anc is not None and anc.kind != "epoch":
                anc = self.ix.loops.get(anc.parent) if anc.parent else None
            own_sites = [x for x in s.step_sites if x.loop_id == lp.id]
            bounded = self._passes(lp, own_sites, nested=anc is not None)
            if lp.id == h.batch_loop and (bounded is None or bounded == (h.total_steps if anc is None
                                                                          else h.steps_per_epoch)):
                return h
            spe = loop_count(lp, self.resolver)
            if bounded is not None and (anc is not None or lp.kind == "batch"):
                spe = bounded
            if anc is None and (lp.kind == "iteration" or isinstance(bounded, Known)):
                if bounded is not None:
                    return Horizon(Unknown("the script trains by iterations"), Unknown("no epochs"), bounded, None,
                                   lp.id)
                if isinstance(spe, Known):
                    spe = Known(spe.value, f"the iteration loop at {self.resolver.where(lp.node)}"
                                + (f" ({spe.source})" if spe.source != "literal" else ""))
                return Horizon(Unknown("the script trains by iterations"), Unknown("no epochs"), spe, None, lp.id)
            epochs = h.epochs
            if anc is not None and anc.id != h.epoch_loop:
                epochs = loop_count(anc, self.resolver)
                if isinstance(epochs, Known):
                    epochs = Known(epochs.value, f"the epoch loop at {self.resolver.where(anc.node)}")
            total: Value = Unknown("steps per epoch are not stated")
            if isinstance(epochs, Known) and isinstance(spe, Known):
                total = Known(epochs.value * spe.value, f"{epochs.source} x {spe.source}")
            return Horizon(epochs, spe, total, anc.id if anc else h.epoch_loop, lp.id)
        return h

    def _with_horizon(self, s: SchedulerFact, h: Horizon) -> SchedulerFact:
        h = self._own_horizon(s, h)
        if s.stepped == "epoch":
            return replace(s, horizon=h.epochs, horizon_source=getattr(h.epochs, "source", None))
        if s.stepped == "batch":
            if isinstance(h.total_steps, Known):
                return replace(s, horizon=h.total_steps, horizon_source=h.total_steps.source)
            reason = "steps per epoch depend on the data loader's length, which the script does not state"
            if not isinstance(h.epochs, Known):
                reason = getattr(h.total_steps, "reason", reason)
                return replace(s, horizon=Unknown(reason))
            assumed = Known(int(h.epochs.value) * ASSUMED_LEN,
                            f"{h.epochs.value} epochs x an assumed {ASSUMED_LEN} batches per epoch (the script does "
                            "not state len(loader))")
            return replace(s, horizon=Unknown(reason), assumed_horizon=assumed)
        if s.stepped == "never":
            return replace(s, horizon=Unknown("the scheduler is never stepped"))
        return replace(s, horizon=Unknown("where the scheduler is stepped is not known"))

    # ------------------------------------------------------------------------------------ writes
    def _lr_writes(self) -> list[LrWrite]:
        out = []
        from .rate_writers import owned_writes

        owned = owned_writes(self.flow)  # a rate-writing class's writes are its steps (rate_writers.py)
        for w in self.ix.sub_writes:
            if owned(w.ctx) or not lr_subscript(w.target):
                continue
            base = w.target.value
            opts = self._param_group_owner(base, w.ctx, w.seq)
            sc = self.contexts.of(w.ctx)
            fn = w.ctx.scope.function
            value = self.resolver.resolve(w.value, w.ctx, w.seq)
            for oid in opts or [None]:
                out.append(LrWrite(oid, self.loc.location(w.stmt), self.ix.text(w.value, 80),
                                   sc.context, sc.loop_id, fn.qualname if fn else None, value,  # type: ignore
                                   conditional=w.ctx.conds > 0, code=_cut(_code_text(w.value), 400)))
        return out

    def _param_group_owner(self, base: cst.BaseExpression, ctx: Ctx, seq: int) -> list[str]:
        """The optimizers whose param group ``base`` is, for a write ``base["lr"] = ...``.

        Every spelling real code uses to reach a group: ``for g in opt.param_groups``, ``for i, g in
        enumerate(opt.param_groups)``, ``for g, s in zip(opt.param_groups, scales)``, ``for g in
        opt.param_groups[:1]``, ``opt.param_groups[0]``, ``g = opt.param_groups[0]`` and ``groups =
        opt.param_groups; for g in groups`` (``opt`` may be ``self.optimizer`` or a helper's parameter)."""
        node = self._groups_source(base, ctx, seq, 0)
        if node is None:
            return []
        return [o for o in self.flow.objects(node, ctx, seq) if self.flow.by_id[o].kind == "optimizer"]

    def _groups_source(self, node: cst.BaseExpression, ctx: Any, seq: int, depth: int) -> cst.BaseExpression | None:
        """The expression ``X`` of the ``X.param_groups`` that ``node`` (a group, or a list of groups) comes from."""
        if depth > 4:
            return None
        if isinstance(node, cst.Subscript):  # opt.param_groups[0], opt.param_groups[:1], groups[0]
            return self._groups_source(node.value, ctx, seq, depth + 1)
        if isinstance(node, cst.Attribute) and node.attr.value == "param_groups":
            return node.value
        if isinstance(node, cst.Call) and dotted(node.func) in _GROUP_PASSTHROUGH and node.args:
            return self._groups_source(node.args[0].value, ctx, seq, depth + 1)
        if isinstance(node, cst.Name):
            _, recs = self.resolver._assignments(node.value, ctx, seq)
            for r in reversed(recs):
                if r.value is None or r.kind not in ("for", "assign"):
                    continue
                src = _for_element(r.value, r.index) if r.kind == "for" else r.value
                found = self._groups_source(src, r.ctx, r.seq, depth + 1) if src is not None else None
                if found is not None:
                    return found
        return None

    def _restores(self) -> dict[str, Any]:
        """Schedulers whose position a resumed run restores: load_state_dict(), `s.last_epoch = ...`."""
        ids: set[str] = set()
        for site in self.ix.calls:
            func = site.node.func
            if isinstance(func, cst.Attribute) and func.attr.value == "load_state_dict":
                for oid in self.flow.objects(func.value, site.ctx, site.seq):
                    if self.flow.by_id[oid].kind == "scheduler":
                        ids.add(oid)
        scopes = [self.ix.module_scope] + [f.scope for f in self.ix.functions.values()]
        for scope in scopes:
            for name, recs in scope.assigns.items():
                if name.endswith(".last_epoch"):
                    base = name.rsplit(".", 1)[0]
                    for r in recs:
                        node = cst.parse_expression(base) if base.replace(".", "").isidentifier() else None
                        if node is not None:
                            for oid in self.flow.objects(node, r.ctx, r.seq):
                                ids.add(oid)
        return {"scheduler_state_restored": sorted(ids)} if ids else {}

    def _unapplied_lrs(self, optimizers: list[OptimizerFact]) -> list[ComputedLr]:
        """A learning rate the script updates (``lr /= 4``, ``lr = adjust(epoch)``) and then only prints."""
        if not optimizers and not self.ix.sub_writes:
            return []
        out: list[ComputedLr] = []
        scopes = [self.ix.module_scope] + [f.scope for f in self.ix.functions.values()]
        for scope in scopes:
            for name, recs in scope.assigns.items():
                if "." in name or not _LR_NAME.search(name) or _NOT_LR.search(name):
                    continue
                # a new rate computed from the old one: `lr /= 4`, `lr = lr * gamma` (reading the current rate
                # back from param_groups or a scheduler, or a call that may apply the rate itself, is not this)
                updates = [r for r in recs if r.kind == "aug" or (
                    r.kind == "assign" and r.value is not None and not isinstance(r.value, cst.Call)
                    # the name itself, not a key that spells it: `lr = group['lr']` reads the group's rate
                    and name in _all_names(r.value)
                    and not _READS_LR.search(self.ix.text(r.value, 200)))]
                if not updates or not any(r.kind in ("assign", "aug") for r in recs):
                    continue
                first = updates[0]
                # a read counts when it can see an updated value: after the update, or in the update's loop
                # (a read inside another function may run at any time: it counts)
                reads = [c for c, rctx, seq in self.ix.reads.get(name, []) if _within(rctx.scope, scope) and (
                    rctx.scope is not scope or seq > first.seq
                    or (first.ctx.loops and rctx.loops[: len(first.ctx.loops)] == first.ctx.loops))
                    # the right-hand side of `lr = lr * g` itself (same statement context) is not a use
                    and not any(u.ctx is rctx for u in updates if u.kind == "assign")]
                real = [c for c in reads if c is None or not _DISPLAY.search(c)]
                if real:
                    continue
                upd = updates[-1]
                if self._beside_a_rate_write(upd.ctx):
                    continue  # `adjust_learning_rate(optimizer, gamma); lr *= gamma`: a copy kept for the log
                shown = "only printed or logged" if reads else "never read"
                out.append(ComputedLr(self.loc.location(upd.node), name,
                                      f"{name} is updated at line {self.loc.line(upd.node)} but {shown}; no optimizer "
                                      "or param_group sees the new value"))
        return out

    def _beside_a_rate_write(self, ctx: Ctx) -> bool:
        """Whether the block of ``ctx`` also writes the optimizer's rate: a ``["lr"]`` write there (or in a loop
        over the groups inside it), a call of a function of the analysed code that writes one (faster-rcnn's
        ``adjust_learning_rate(optimizer, gamma)`` followed by ``lr *= gamma``, which keeps the rate for logs), or
        may write one: the optimizer handed to a function whose code lraudit does not see."""
        def same_block(c: Ctx) -> bool:
            return c.scope is ctx.scope and c.loops[: len(ctx.loops)] == ctx.loops and \
                c.arms[: len(ctx.arms)] == ctx.arms
        writes = [w for w in self.ix.sub_writes if lr_subscript(w.target)]
        if any(same_block(w.ctx) for w in writes):
            return True
        for site in self.ix.calls:
            if site.ctx.scope is not ctx.scope or site.ctx.loops != ctx.loops or site.ctx.arms != ctx.arms:
                continue
            fns = self.ix.functions_by_name.get(site.path.rsplit(".", 1)[-1], [])
            if any(any(_within(w.ctx.scope, fn.scope) for w in writes) for fn in fns):
                return True
            if not fns and not _DISPLAY.search(site.path) and \
                    lookup(self.ix.imports.qualify(site.node.func) or "") is None and any(
                    self.flow.by_id[o].kind == "optimizer"
                    for a in site.node.args for o in self.flow.objects(a.value, site.ctx, site.seq)):
                return True
        return False

    def _checkpoints(self) -> list[CheckpointFact]:
        out = []
        for site in self.ix.calls:
            q = self.ix.imports.qualify(site.node.func) or site.path
            last = site.path.rsplit(".", 1)[-1]
            if q in ("torch.save",) or last in ("save_checkpoint", "save_ckpt", "save_model"):
                text = _code_without_comments(site.node)
                if "state_dict" not in text and "optimizer" not in text:
                    # torch.save(state, path): look at the dict assigned to the first argument
                    if site.node.args and isinstance(site.node.args[0].value, cst.Name):
                        _, recs = self.resolver._assignments(site.node.args[0].value.value, site.ctx, site.seq)
                        text += " ".join(_code_without_comments(r.value) for r in recs if r.value is not None)
                low = text.lower()
                saves_opt = bool(_SAVES_OPT.search(low))
                saves_sched = bool(_SAVES_SCHED.search(low))
                if saves_opt or saves_sched:
                    out.append(CheckpointFact(self.loc.location(site.node), saves_opt, saves_sched, "save"))
        return out


# a key that names the optimizer (or scheduler) counts unless its value is None (`"optimizer": None` keeps the
# key but saves nothing)
_SAVES_OPT = re.compile(r"optim\w*(\.\w+)*\.state_dict\(\)|['\"]optim\w*['\"]\s*:(?!\s*none\b)|"
                        r"optimizer\s*=\s*optim\w*\b")
_SAVES_SCHED = re.compile(r"sched\w*(\.\w+)*\.state_dict\(\)|['\"]\w*sched\w*['\"]\s*:(?!\s*none\b)|"
                          r"sched\w*\s*=\s*\w*sched")
_READS_LR = re.compile(r"param_groups|get_last_lr|get_lr\(\)|\.lr\b|learning_rate\b\)|_last_lr")
_LR_NAME = re.compile(r"(^|_)lr($|_)|learning_rate|^lr\d*$")
_NOT_LR = re.compile(r"sched|lambda|_fn$|_func|warmup_lr_init|lr_mult|lr_scale|lrs$|^lr_decay|decay_lr|_lr_decay")
_DISPLAY = re.compile(
    r"(^|\.)(print|info|debug|warning|warn|error|log|write|add_scalar|add_scalars|set_postfix|set_description|"
    r"format|str|repr|log_metrics|log_dict|append|pprint|echo|<f-string>)$|^(logging|logger|log|wandb|writer|tb|"
    r"tqdm|pbar|summary_writer)\."
)


def _code_without_comments(node: cst.CSTNode, limit: int = 4000) -> str:
    """The code of ``node`` on one line, without its comments: in ``"optimizer": None,  # optimizer.state_dict()``
    the comment saves nothing. Code that does not tokenize loses what follows each ``#`` outside a one-line
    string literal."""
    try:
        text = cst.Module(body=[]).code_for_node(node)
    except Exception:
        return ""
    try:
        toks = [t for t in tokenize.generate_tokens(io.StringIO(text).readline) if t.type != tokenize.COMMENT]
        text = tokenize.untokenize(toks)
    except (tokenize.TokenError, IndentationError, SyntaxError, ValueError):
        text = "\n".join(_cut_comment(line) for line in text.splitlines())
    return " ".join(text.split())[:limit]


def _cut_comment(line: str) -> str:
    quote = ""
    for i, ch in enumerate(line):
        if quote:
            if ch == quote:
                quote = ""
        elif ch in "'\"":
            quote = ch
        elif ch == "#":
            return line[:i]
    return line


def _fast_forward(ix: Indexer, loop: Any) -> bool:
    """A loop whose body only calls ``X.step()`` (no nested loop, no other call): it advances a schedule to where
    a resumed run left it, it does not train."""
    if not loop.calls or any(lp.parent == loop.id for lp in ix.loops.values()):
        return False
    return all(c.path.rsplit(".", 1)[-1] == "step" and c.path.count(".") >= 1 and
               not re.search(r"optim|opt\b|scaler", c.path.lower()) for c in loop.calls)


def _internal(key: str) -> bool:
    """A bookkeeping key of the extraction (``__bind_error__``), never shown as an argument."""
    return key.startswith("__") and key.endswith("__")


def _is_group(node: cst.CSTNode) -> bool:
    """A dict literal or a ``dict(...)`` call: one param group."""
    return isinstance(node, cst.Dict) or (isinstance(node, cst.Call) and dotted(node.func) == "dict")


def _group_lr_node(node: cst.BaseExpression) -> cst.BaseExpression | None:
    if isinstance(node, cst.Dict):
        for el in node.elements:
            if isinstance(el, cst.DictElement) and isinstance(el.key, cst.SimpleString) and \
                    el.key.evaluated_value == "lr":
                return el.value
    elif isinstance(node, cst.Call):
        for arg in node.args:
            if arg.keyword is not None and arg.keyword.value == "lr":
                return arg.value
    return None


def _comprehension_names(node: cst.ListComp | cst.GeneratorExp) -> set[str]:
    names: set[str] = set()
    f: cst.CompFor | None = node.for_in
    while f is not None:
        for n in _all_names(f.target):
            names.add(n)
        f = f.inner_for_in
    return names


def _all_names(node: cst.CSTNode) -> set[str]:
    out: set[str] = set()

    class V(cst.CSTVisitor):
        def visit_Name(self, n: cst.Name) -> None:
            out.add(n.value)

        def visit_Attribute(self, n: cst.Attribute) -> bool:
            n.value.visit(self)
            return False

    node.visit(V())
    return out


def _mentions_any(node: cst.CSTNode, names: set[str]) -> bool:
    return bool(_all_names(node) & names)


def _maybe_lr(current: Value, why: str) -> Value:
    """The group's lr when something it merges may or may not set one."""
    return Unknown(f"{why}; the group's lr is not known" if isinstance(current, Known) else
                   f"{why}; {getattr(current, 'reason', 'not known')}")


#: calls that hand their (first) argument's param groups through unchanged: ``list(opt.param_groups)``
_GROUP_PASSTHROUGH = frozenset({"list", "tuple", "reversed", "iter", "sorted", "tqdm", "tqdm.tqdm"})


def _for_element(iterable: cst.BaseExpression, index: int | None) -> cst.BaseExpression | None:
    """What the loop variable at ``index`` of ``for ... in iterable`` walks over: ``X`` for the group of
    ``enumerate(X)`` (index 1) and for the ``i``-th variable of ``zip(A, B)``; ``iterable`` itself otherwise."""
    if isinstance(iterable, cst.Call) and index is not None:
        name = dotted(iterable.func)
        positional = [a.value for a in iterable.args if a.keyword is None and not a.star]
        if name == "enumerate":
            return positional[0] if index == 1 and positional else None
        if name == "zip":
            return positional[index] if index < len(positional) else None
        return None
    if index is not None:
        return None  # `for a, b in pairs`: the element's parts are not groups
    if isinstance(iterable, cst.Call) and dotted(iterable.func) == "enumerate":
        return None  # `for pair in enumerate(...)`: a tuple, not a group
    return iterable


#: Calls that make a tensor of their own (not a model's parameters): an optimizer over them trains nothing.
_STANDALONE_TENSORS = frozenset({
    "torch.nn.Parameter", "torch.nn.parameter.Parameter", "nn.Parameter", "Parameter", "torch.zeros", "torch.ones",
    "torch.randn", "torch.rand", "torch.empty", "torch.tensor", "torch.arange", "torch.full", "torch.Tensor",
    "torch.FloatTensor", "torch.linspace",
})


#: Calls that receive an object without stepping it.
_NOT_STEPPING = frozenset({
    "print", "len", "isinstance", "type", "id", "repr", "str", "hasattr", "getattr", "setattr", "vars", "dir",
    "format", "append", "extend", "info", "debug", "warning", "save", "dump", "dumps", "deepcopy", "copy",
    "prepare", "state_dict", "load_state_dict", "register_for_checkpointing", "add", "update_state",
})


def _within(inner: Any, outer: Any) -> bool:
    s = inner
    while s is not None:
        if s is outer:
            return True
        s = s.parent
    return False


def _linear_text(a: float, b: float, size: str) -> str:
    def num(x: float) -> str:
        return str(int(x)) if x == int(x) else f"{x:g}"

    head = size if a == 1 else f"{num(a)} x {size}"
    if b == 0:
        return head
    return f"{head} + {num(b)}" if b > 0 else f"{head} - {num(-b)}"


def _stepped(sites: tuple[StepSite, ...]) -> str:
    if not sites:
        return "never"
    kinds = {s.context for s in sites}
    if kinds == {"batch"}:
        return "batch"
    if kinds == {"epoch"}:
        return "epoch"
    if kinds >= {"batch", "epoch"}:
        return "both"
    if "batch" in kinds:
        return "batch"
    if "epoch" in kinds:
        return "epoch"
    return "unknown"


def call_path(node: cst.Call) -> str | None:
    return dotted(node.func)


def _does_nothing(stmt: cst.CSTNode) -> bool:
    """``pass``, ``None``, ``...``, a docstring or a bare ``return``: a statement with no effect."""
    if not isinstance(stmt, cst.SimpleStatementLine):
        return False
    for small in stmt.body:
        if isinstance(small, cst.Pass) or (isinstance(small, cst.Return) and small.value is None):
            continue
        if isinstance(small, cst.Expr) and (isinstance(small.value, (cst.SimpleString, cst.Ellipsis))
                                            or (isinstance(small.value, cst.Name) and small.value.value == "None")):
            continue
        return False
    return True
