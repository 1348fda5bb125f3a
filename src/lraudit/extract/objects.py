"""Objects and their flow: which calls build optimizers/schedulers, which names and attributes hold them,
and which object a ``.step()`` call or a scheduler's ``optimizer`` argument refers to.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import libcst as cst

from ..catalog import Entry, lookup, lookup_star
from ..catalog.base import REQUIRED
from ..facts import Known, Unknown, Value
from .imports import dotted
from .index import CallSite, Ctx, Indexer
from .values import _OMITTED as OMITTED, Resolver

MAX_FLOW_DEPTH = 12

SCHEDULER_BASES = {
    "torch.optim.lr_scheduler.LRScheduler",
    "torch.optim.lr_scheduler._LRScheduler",
}
SCHEDULER_BASE_NAMES = {"_LRScheduler", "LRScheduler", "lr_scheduler._LRScheduler", "lr_scheduler.LRScheduler"}
# deepspeed.initialize under its two import paths (frameworks/deepspeed.py follows the engines it builds)
DEEPSPEED_INITIALIZE = ("deepspeed.initialize", "deepspeed.runtime.engine.initialize")
# a repository's own optimizer (LARS, LAMB, SAM, ...) subclasses one of these (qualified through its imports)
OPTIMIZER_BASES = {"torch.optim.Optimizer", "torch.optim.optimizer.Optimizer"}


def _torch_scheduler_base(base: str) -> bool:
    """A torch scheduler class a user class may subclass (``torch.optim.lr_scheduler.MultiStepLR``)."""
    from .classes import torch_base_name

    return base.startswith("torch.optim.lr_scheduler.") and torch_base_name(base) is not None


@dataclass
class Creation:
    oid: str
    entry: Entry | None  # None for custom scheduler classes
    site: CallSite
    kind: str  # optimizer | scheduler
    qualname: str
    custom_class: str | None = None
    bound: dict[str, cst.BaseExpression] = field(default_factory=dict)  # argument expressions by name
    bind_error: str | None = None
    star_args: bool = False
    preset: dict[str, Value] | None = None  # values computed by a framework adapter (factories)
    framework: str | None = None
    synthetic: bool = False  # made by a framework (Trainer's optimizer), not the value of its call
    # an object of unknown class (extract/unknown.py): a parameter or attribute used as one; why its class is unknown
    unknown: str | None = None


def bind_arguments(entry: Entry, call: cst.Call, star_kwargs: list[tuple[str, cst.BaseExpression]] | None = None
                   ) -> tuple[dict[str, cst.BaseExpression], str | None, bool]:
    """Bind call arguments to the entry's parameters as Python would. Returns (bound, error, has_star).
    ``star_kwargs``: the keywords the call's ``**mapping`` arguments pass (``star_items``), bound as keywords written
    in the call are; the call then has no star left."""
    bound: dict[str, cst.BaseExpression] = {}
    positional = [p for p in entry.params if p.kind == "pos"]
    varpos = next((p for p in entry.params if p.kind == "varpos"), None)
    varkw = next((p for p in entry.params if p.kind == "varkw"), None)
    names = {p.name for p in entry.params}
    pos_i = 0
    star = False
    error = None
    keywords: list[tuple[str, cst.BaseExpression]] = []
    for arg in call.args:
        if arg.star:
            star = True
            continue
        if arg.keyword is None:
            if pos_i < len(positional):
                bound[positional[pos_i].name] = arg.value
            elif varpos is None:
                error = f"too many positional arguments for {entry.short}()"
            pos_i += 1
        else:
            keywords.append((arg.keyword.value, arg.value))
    if star_kwargs is not None:
        keywords.extend(star_kwargs)
        star = False
    spelled = dict(entry.keywords)
    for key, value in keywords:
        key = spelled.get(key, key)
        if key in bound:
            error = f"{entry.short}() got multiple values for argument {key!r}"
        if key not in names and varkw is None:
            error = error or f"{entry.short}() got an unexpected keyword argument {key!r}"
        bound[key] = value
    return bound, error, star


def star_items(call: cst.Call, ctx: Ctx, seq: int | None, resolver: Resolver
               ) -> list[tuple[str, cst.BaseExpression]] | None:
    """The keyword arguments a call's ``**mapping`` passes, as expressions: a dict literal or ``dict(k=v)`` written
    in the call, or assigned once to a name in the same function (``warmup_args = {"optimizer": optimizer, ...}``
    then ``WarmupLR(**warmup_args)``), so objects flow through them as through keywords. None when a ``*args`` or
    some ``**mapping`` is anything else, or the mapping is changed after it is built."""
    out: list[tuple[str, cst.BaseExpression]] = []
    for a in call.args:
        if a.star == "*":
            return None
        if a.star != "**":
            continue
        node: cst.BaseExpression = a.value
        if isinstance(node, cst.Name):
            scope, recs = resolver._assignments(node.value, ctx, seq)
            if scope is not ctx.scope or len(recs) != 1 or recs[0].kind != "assign" or recs[0].value is None \
                    or resolver.mapping_changes(node.value, scope, recs[0].seq, seq):
                return None  # (changed after the literal: its expressions are not the mapping's)
            items = _literal_items(recs[0].value)
            if items is None:
                return None
        else:
            items = _literal_items(node)
            if items is None:
                return None
        out.extend(items)
    return out


def _plain_mixin(ix: Indexer, base: str) -> bool:
    """A further base of a forwarding subclass that adds no callback behaviour: ``object``/``ABC``, or a class of
    the repository with no ``on_*`` hook and no ``__init__`` (csrank's ``Tunable``)."""
    if base in ("object", "ABC", "abc.ABC"):
        return True
    ci = ix.classes.get(base) or ix.classes.get(base.rsplit(".", 1)[-1])
    return ci is not None and not ci.bases[1:] and all(
        b in ("object", "ABC", "abc.ABC") for b in ci.bases) and \
        not any(m.startswith("on_") or m == "__init__" for m in ci.methods)


def _calls_base_init(site: CallSite, cls: str, base: str) -> bool:
    """``super().__init__(...)``, ``super(Cls, self).__init__(...)`` or ``Base.__init__(self, ...)``."""
    func = site.node.func
    if not (isinstance(func, cst.Attribute) and func.attr.value == "__init__"):
        return False
    recv = func.value
    if isinstance(recv, cst.Call) and dotted(recv.func) == "super":
        args = [a.value for a in recv.args]
        return not args or (len(args) == 2 and dotted(args[0]) == cls)
    d = dotted(recv)
    return d is not None and (d == base or base.endswith("." + d)) and bool(site.node.args)


def _literal_items(node: cst.BaseExpression) -> list[tuple[str, cst.BaseExpression]] | None:
    if isinstance(node, cst.Dict):
        items = []
        for el in node.elements:
            if not isinstance(el, cst.DictElement) or not isinstance(el.key, cst.SimpleString):
                return None
            key = el.key.evaluated_value
            if not isinstance(key, str):
                return None
            items.append((key, el.value))
        return items
    if isinstance(node, cst.Call) and dotted(node.func) == "dict" and all(
            a.keyword is not None and not a.star for a in node.args):
        return [(a.keyword.value, a.value) for a in node.args]  # type: ignore[union-attr]
    return None


class ObjectFlow:
    """Tracks creations and answers "which objects can this expression be?"."""

    def __init__(self, ix: Indexer, resolver: Resolver) -> None:
        self.ix = ix
        self.resolver = resolver
        self.creations: list[Creation] = []
        self.by_call: dict[int, Creation] = {}
        self.by_id: dict[str, Creation] = {}
        self.scheduler_classes = self._custom_scheduler_classes()
        self.optimizer_classes = self._custom_optimizer_classes()
        self.forwarding_classes = self._forwarding_classes()
        from .rate_writers import rate_writer_classes

        # plain classes that write the rate of the optimizer they store (NoamOpt, ScheduledOptim, AnnealingLR)
        self.rate_writers = rate_writer_classes(ix, set(self.scheduler_classes) | self.optimizer_classes)
        # objects() memo: the same question reached along many call paths (see objects())
        self._memo: dict[tuple[Any, ...], tuple[Any, ...]] = {}
        # objects of unknown class (extract/unknown.py): (id(function), parameter) / (class, attribute) -> object id
        self.unknown_params: dict[tuple[int, str], str] = {}
        self.unknown_attrs: dict[tuple[str, str], str] = {}

    # ----------------------------------------------------------------------------------- creation
    def _custom_scheduler_classes(self) -> dict[str, cst.FunctionDef | None]:
        out: dict[str, cst.FunctionDef | None] = {}
        changed = True
        while changed:
            changed = False
            for name, ci in self.ix.classes.items():
                if name in out:
                    continue
                if any(b in SCHEDULER_BASES or b in SCHEDULER_BASE_NAMES or b in out
                       or b.rsplit(".", 1)[-1] in ("_LRScheduler", "LRScheduler") or _torch_scheduler_base(b)
                       for b in ci.bases):
                    get_lr = ci.methods.get("get_lr")
                    out[name] = get_lr.node if get_lr else None
                    changed = True
        return out

    def _forwarding_classes(self) -> dict[str, tuple[Entry, Any, CallSite | None]]:
        """Classes of the file that subclass a Keras callback of the catalog (``LearningRateScheduler``) without
        overriding its hooks, and hand their arguments to it: ``class LRScheduler(LearningRateScheduler)`` whose
        ``__init__`` calls ``super().__init__(self.step_decay, **kwargs)`` (cs-ranking). Calling one builds the
        catalog callback with what ``__init__`` passes up. {class: (entry, __init__ or None, the super call or
        None)}; a class whose ``__init__`` does not plainly call its base's is left out."""
        out: dict[str, tuple[Entry, Any, CallSite | None]] = {}
        for name, ci in sorted(self.ix.classes.items()):
            entries = [e for e in (lookup(b) for b in ci.bases) if e is not None]
            if not ci.bases or len(entries) != 1 or lookup(ci.bases[0]) is not entries[0] or \
                    entries[0].kind != "callback" or entries[0].framework != "keras":
                continue
            if not all(_plain_mixin(self.ix, b) for b in ci.bases[1:]):
                continue  # another base may bring hooks of its own
            if any(m.startswith("on_") for m in ci.methods):
                continue  # its own hooks: a rate-writing callback (frameworks/keras_callbacks.py), not the base's
            init = ci.methods.get("__init__")
            if init is None:
                out[name] = (entries[0], None, None)
                continue
            ups = [c for c in self.ix.calls if c.ctx.scope is init.scope and _calls_base_init(c, name, ci.bases[0])]
            if len(ups) == 1 and not ups[0].ctx.loops and not ups[0].ctx.conds and not ups[0].ctx.arms:
                out[name] = (entries[0], init, ups[0])
        return out

    def _forwarded(self, oid: str, site: CallSite, entry: Entry, init: Any, up: CallSite | None) -> Creation:
        """The catalog callback a forwarding subclass builds (see ``_forwarding_classes``): each parameter's value
        as ``__init__`` passes it up (resolved there: ``self.step_decay`` is the method, bound to the object whose
        attributes ``__init__`` sets), one its ``**kwargs`` forwards from this call, or the library default."""
        if up is None:  # no __init__ of its own: the call binds to the base's signature
            items = star_items(site.node, site.ctx, site.seq, self.resolver) if any(
                a.star for a in site.node.args) else None
            bound, err, star = bind_arguments(entry, site.node, items)
            return Creation(oid, entry, site, "scheduler", entry.qualname, bound=bound, bind_error=err,
                            star_args=star)
        node = up.node
        if isinstance(node.func, cst.Attribute) and isinstance(node.func.value, cst.Name):
            node = node.with_changes(args=node.args[1:])  # Base.__init__(self, ...): self is not an argument
        bound, err, _ = bind_arguments(entry, node)
        varkw = next((p.name for p in init.params if p.kind == "varkw"), None)
        named = {p.name for p in init.params if p.kind != "varkw"}
        forwarded = {a.keyword.value: a.value for a in site.node.args
                     if a.keyword is not None and a.keyword.value not in named}
        passes_star = any(a.star == "**" and isinstance(a.value, cst.Name) and a.value.value == varkw
                          for a in up.node.args)
        values: dict[str, Value] = {}
        where = f"{site.path}.__init__ ({self.resolver.where(up.node)})"
        for p in entry.params:
            if p.kind in ("varpos", "varkw"):
                continue
            if p.name in bound:
                v = self.resolver.resolve(bound[p.name], up.ctx, up.seq)
                values[p.name] = Known(v.value, f"passed to the base class by {where}: {v.source}") \
                    if isinstance(v, Known) else v
            elif passes_star and any(a.star for a in site.node.args):
                values[p.name] = Unknown(f"{p.name} may be passed through **kwargs of {site.path}()")
            elif passes_star and p.name in forwarded:
                values[p.name] = self.resolver.resolve(forwarded[p.name], site.ctx, site.seq)
            elif p.default is REQUIRED:
                values[p.name] = Unknown(f"{where} does not pass the required argument {p.name}")
            else:
                values[p.name] = Known(p.default, entry.default_source or "library default")
        return Creation(oid, entry, site, "scheduler", entry.qualname, bound=bound, bind_error=err,
                        preset=values)

    def _custom_optimizer_classes(self) -> set[str]:
        """Classes of the file or of the modules it links that subclass ``torch.optim.Optimizer`` (directly or
        through another such class): calling one builds an optimizer, with the rate its ``lr`` argument gives."""
        out: set[str] = set()
        changed = True
        while changed:
            changed = False
            for name, ci in self.ix.classes.items():
                if name in out or name in self.scheduler_classes:
                    continue
                if any(b in OPTIMIZER_BASES or b in out for b in ci.bases):
                    out.add(name)
                    changed = True
        return out

    def qualify_call(self, site: CallSite) -> tuple[str | None, Entry | None]:
        func = site.node.func
        q = self.ix.imports.qualify(func)
        entry = lookup(q)
        if entry is None and isinstance(func, cst.Name) and self.ix.imports.star_modules:
            entry = lookup_star(self.ix.imports.star_modules, func.value)
            if entry is not None:
                q = entry.qualname
        if entry is None and isinstance(func, cst.Name) and func.value not in self.ix.functions_by_name \
                and func.value not in self.ix.classes:
            alias = self._class_alias(func.value, site.ctx, site.seq)
            if alias is not None:
                q, entry = alias
        elif entry is None and isinstance(func, (cst.Call, cst.IfExp)):  # getattr(torch.optim, args.optim)(...)
            got = self._class_of(func, site.ctx, site.seq, 0)
            if got is not None:
                q, entry = got
        return q, entry

    def _class_alias(self, name: str, ctx: Ctx, seq: int) -> tuple[str, Entry] | None:
        """A name bound to a library class and then called: ``AdamOptimizer = DeepSpeedCPUAdam if args.offload
        else FusedAdam`` (the arm the run takes), ``opt_cls = torch.optim.AdamW``, ``getattr(torch.optim,
        args.optimizer)`` with a known name. None when the binding is not one of those, or differs by path."""
        scope, recs = self.resolver._assignments(name, ctx, seq)
        if not recs or scope is None:
            return None
        if scope is ctx.scope:
            recs = _live(recs, ctx)
        found: set[tuple[str, Any]] = set()
        for r in recs[-4:]:
            if r.kind != "assign" or r.value is None:
                return None
            got = self._class_of(r.value, r.ctx, r.seq, 0)
            if got is None:
                return None
            found.add(got)
        if len(found) != 1:
            return None
        q, entry = next(iter(found))
        return q, entry

    def _class_of(self, node: cst.BaseExpression, ctx: Ctx, seq: int, depth: int) -> tuple[str, Any] | None:
        if depth > 3:
            return None
        if isinstance(node, (cst.Name, cst.Attribute)):
            q = self.ix.imports.qualify(node)
            entry = lookup(q) if q else None
            return (entry.qualname, entry) if entry is not None and entry.kind in ("optimizer", "scheduler") else None
        if isinstance(node, cst.IfExp):
            from .conditions import truth

            t = truth(node.test, ctx, seq, self.resolver)
            if t is None:  # the run does not decide: known when both arms are the same class (pycls's
                # torch.optim._multi_tensor.SGD if cfg.OPTIM.MULTI_TENSOR else torch.optim.SGD, an alias)
                body = self._class_of(node.body, ctx, seq, depth + 1)
                return body if body is not None and body == self._class_of(node.orelse, ctx, seq, depth + 1) \
                    else None
            return self._class_of(node.body if t else node.orelse, ctx, seq, depth + 1)
        if isinstance(node, cst.Call) and dotted(node.func) == "getattr" and len(node.args) == 2 \
                and not any(a.star or a.keyword for a in node.args):
            mod = self.ix.imports.qualify(node.args[0].value)
            attr = self.resolver.resolve(node.args[1].value, ctx, seq)
            if mod and isinstance(attr, Known) and isinstance(attr.value, str) and attr.value.isidentifier():
                entry = lookup(f"{mod}.{attr.value}")
                if entry is not None and entry.kind in ("optimizer", "scheduler"):
                    return entry.qualname, entry
        return None

    def find_creations(self, kinds: tuple[str, ...] = ("optimizer", "scheduler", "schedule", "callback")) -> None:
        n_opt = n_sched = 0
        for site in sorted(self.ix.calls, key=lambda s: s.seq):
            q, entry = self.qualify_call(site)
            if entry is None and site.path in self.forwarding_classes and "callback" in kinds:
                n_sched += 1
                self.add(self._forwarded(f"sched{n_sched}", site, *self.forwarding_classes[site.path]))
                continue
            if entry is not None and entry.kind in kinds:
                kind = "optimizer" if entry.kind == "optimizer" else "scheduler"
            elif entry is None and site.path in self.scheduler_classes:
                kind = "scheduler"
            elif entry is None and site.path in self.optimizer_classes:
                kind = "optimizer"
            elif entry is None and site.path in self.rate_writers:
                kind = "scheduler"
            else:
                continue
            if kind == "optimizer":
                n_opt += 1
                oid = f"opt{n_opt}"
            else:
                n_sched += 1
                oid = f"sched{n_sched}"
            if entry is not None:
                items = star_items(site.node, site.ctx, site.seq, self.resolver) if any(
                    a.star for a in site.node.args) else None
                bound, err, star = bind_arguments(entry, site.node, items)
                c = Creation(oid, entry, site, kind, entry.qualname, bound=bound, bind_error=err, star_args=star)
            else:
                c = Creation(oid, None, site, kind, f"custom:{site.path}", custom_class=site.path)
                c.bound = self._custom_bound(site, kind)
            self.add(c)

    def next_id(self, kind: str) -> str:
        prefix = "opt" if kind == "optimizer" else "sched"
        n = sum(1 for c in self.creations if c.kind == kind) + 1
        oid = f"{prefix}{n}"
        while oid in self.by_id:
            n += 1
            oid = f"{prefix}{n}"
        return oid

    def renumber(self) -> None:
        """Ids in source order once adapters added creations (opt1, opt2, ... / sched1, ...)."""
        self._memo.clear()
        self.creations.sort(key=lambda c: (c.site.seq, c.kind))
        mapping: dict[str, str] = {}
        counts = {"optimizer": 0, "scheduler": 0}
        for c in self.creations:
            counts[c.kind] += 1
            mapping[c.oid] = ("opt" if c.kind == "optimizer" else "sched") + str(counts[c.kind])
        for c in self.creations:
            c.oid = mapping[c.oid]
        self.unknown_params = {k: mapping.get(v, v) for k, v in self.unknown_params.items()}
        self.unknown_attrs = {k: mapping.get(v, v) for k, v in self.unknown_attrs.items()}
        self.by_id = {c.oid: c for c in self.creations}
        self.by_call = {id(c.site.node): c for c in self.creations if not c.synthetic}
        for c in self.creations:
            if not c.synthetic:
                self.resolver.object_of_call[id(c.site.node)] = c.oid

    def add(self, c: Creation) -> None:
        self._memo.clear()
        self.creations.append(c)
        self.by_id[c.oid] = c
        if not c.synthetic:
            self.by_call[id(c.site.node)] = c
            self.resolver.object_of_call[id(c.site.node)] = c.oid

    def _custom_bound(self, site: CallSite, kind: str = "scheduler") -> dict[str, cst.BaseExpression]:
        """The call's arguments by the names of the class's ``__init__`` parameters; the first one is also bound
        as ``optimizer`` (a scheduler's) or ``params`` (an optimizer's)."""
        first_name = "params" if kind == "optimizer" else "optimizer"
        init = self._init_of(site.path)
        bound: dict[str, cst.BaseExpression] = {}
        if init is None:
            if site.node.args and site.node.args[0].keyword is None:
                bound[first_name] = site.node.args[0].value
            return bound
        params = [p for p in init.params if p.kind == "pos"][1:]
        i = 0
        if any(a.star for a in site.node.args):
            for key, node in star_items(site.node, site.ctx, site.seq, self.resolver) or []:
                bound.setdefault(key, node)
        for a in site.node.args:
            if a.star:
                continue
            if a.keyword is None:
                if i < len(params):
                    bound[params[i].name] = a.value
                i += 1
            else:
                bound[a.keyword.value] = a.value
        writer = self.rate_writers.get(site.path) if kind == "scheduler" else None
        if writer is not None:  # the optimizer is the parameter its __init__ stores, wherever it comes
            if writer.param in bound:
                bound["optimizer"] = bound[writer.param]
            else:
                bound.pop("optimizer", None)
        elif first_name not in bound and params and params[0].name in bound:
            bound[first_name] = bound[params[0].name]
        return bound

    def _init_of(self, class_name: str | None) -> Any:
        """The ``__init__`` of a class of the file (or linked into it), None when it has none."""
        ci = self.ix.classes.get(class_name or "")
        return ci.methods.get("__init__") if ci else None

    def _custom_defaults(self, c: Creation, out: dict[str, Value]) -> None:
        """An optimizer class's ``__init__`` defaults for what the call does not pass (``lr=0``): the rate the
        optimizer trains with when the call leaves it out. The first parameter (the params) is the call's."""
        init = self._init_of(c.custom_class)
        if init is None:
            return
        params = [p for p in init.params if p.kind in ("pos", "kwonly")][1:]
        for p in params[1:]:
            if p.name in out or p.name in c.bound:
                continue
            if p.default is None:
                out[p.name] = Unknown(f"required argument {p.name} of {c.custom_class}() is missing")
                continue
            v = self.resolver.resolve(p.default, Ctx(init.scope), None)
            out[p.name] = Known(v.value, f"default of {c.custom_class}.__init__ ({self.resolver.where(p.default)})") \
                if isinstance(v, Known) else v

    # ------------------------------------------------------------------------------------ values
    def arg_values(self, c: Creation) -> dict[str, Value]:
        out: dict[str, Value] = {}
        if c.preset is not None:
            out = dict(c.preset)
            if self.resolver.assumed_len is not None:
                # an adapter's values (get_scheduler(...)) at an assumed loader length: the arguments unknown only
                # because of len(...) are resolved again from the call, as a constructor's are
                for k, v in out.items():
                    node = c.bound.get(k)
                    if node is not None and isinstance(v, Unknown) and "len(" in v.reason:
                        out[k] = self.resolver.resolve(node, c.site.ctx, c.site.seq)
            return out
        if c.entry is None:
            # an optimizer's params are bound twice (as "params" and under __init__'s own name): neither is a value
            params = c.bound.get("params") if c.kind == "optimizer" else None
            for name, node in c.bound.items():
                if name == "optimizer" or (params is not None and node is params):
                    continue
                out[name] = self.resolver.resolve(node, c.site.ctx, c.site.seq)
            if c.kind == "optimizer":
                self._custom_defaults(c, out)
            return out
        skip_first = c.entry.params[0].name if c.entry.params else None
        for p in c.entry.params:
            if p.kind in ("varpos", "varkw"):
                continue
            if p.name in ("params", "optimizer", "schedulers") and p.name == skip_first:
                continue
            if p.name in ("schedulers", "optimizer", "after_scheduler"):
                continue
            node = c.bound.get(p.name)
            if node is not None:
                out[p.name] = self.resolver.resolve(node, c.site.ctx, c.site.seq)
            elif c.star_args:
                out[p.name] = self._through_star(c, p)
            elif p.default is REQUIRED:
                out[p.name] = Unknown(f"required argument {p.name} is missing")
            else:
                out[p.name] = Known(p.default, c.entry.default_source or "library default")
        # keyword arguments the signature does not have (e.g. verbose=) are kept for the rules
        names = {p.name for p in c.entry.params}
        for name, node in c.bound.items():
            if name not in names:
                out[name] = self.resolver.resolve(node, c.site.ctx, c.site.seq)
        return out

    def _through_star(self, c: Creation, p: Any) -> Value:
        """A parameter the call may pass through ``**kwargs``: when the mapping is the enclosing function's own
        ``**kwargs`` and every call of that function is seen (``get_scheduler(name, opt, n, **kwargs)`` called as
        ``get_scheduler(args.sched, opt, num_epochs=n)``), the value those calls pass, or the default when none
        passes it."""
        fw = None
        if not any(a.star == "*" for a in c.site.node.args):
            fw = self.resolver._forwarded(c.site, p.name)
            stars = [a.value for a in c.site.node.args if a.star == "**"]
            if fw is None and len(stars) == 1:
                # `AdamW(parameters, **opt_args)` with opt_args = dict(lr=args.lr, ...) built in the function
                got = self.resolver.resolve(stars[0], c.site.ctx, c.site.seq)
                if isinstance(got, Known) and isinstance(got.value, dict):
                    if p.name in got.value:
                        item = got.value[p.name]
                        if isinstance(item, (Known, Unknown)):
                            return item
                        return Known(item, f"{self.ix.text(stars[0], 40)}[{p.name!r}] ({got.source})")
                    if p.default is REQUIRED:
                        return Unknown(f"required argument {p.name} is missing")
                    return Known(p.default, c.entry.default_source if c.entry is not None and c.entry.default_source
                                 else "library default")
        if fw:
            vals = [v for v, _ in fw]
            if all(v is OMITTED for v in vals):
                if p.default is REQUIRED:
                    return Unknown(f"required argument {p.name} is missing")
                return Known(p.default, c.entry.default_source if c.entry is not None and c.entry.default_source
                             else "library default")
            first = vals[0]
            if isinstance(first, Known) and all(isinstance(v, Known) and v.value == first.value
                                                and type(v.value) is type(first.value) for v in vals):
                return first
        return Unknown(f"{p.name} may be passed through *args/**kwargs")

    # -------------------------------------------------------------------------------------- flow
    def objects(self, node: cst.BaseExpression | None, ctx: Ctx, seq: int | None, depth: int = 0) -> list[str]:
        """Object ids this expression may evaluate to (creations only), in a stable order."""
        if node is None or depth > MAX_FLOW_DEPTH or not self.creations:
            return []  # every answer is a creation: none exist yet, none can be found
        # Memoised on the exact question: following parameters back through every call site (calls_to) reaches
        # the same (expression, context, position, depth) along exponentially many paths in some files (test
        # suites with hundreds of helper calls took minutes). The memo keeps ctx and node alive, so their ids
        # stay unique; it is cleared whenever creations change.
        key = (id(node), id(ctx), seq, depth, self.resolver.assumed_len)
        hit = self._memo.get(key)
        if hit is not None:
            return list(hit[2])
        out = self._objects(node, ctx, seq, depth)
        self._memo[key] = (node, ctx, tuple(out))
        return out

    def objects_via(self, node: cst.BaseExpression | None, ctx: Ctx, seq: int | None) -> list[tuple[str, tuple]]:
        """``objects`` with, for each, the branch arms of the binding it is reached through (a name assigned in
        an if-arm and in its else-arm reaches each object only in its own arm); the use's own arms come first."""
        own = tuple(ctx.arms)
        if isinstance(node, cst.Name) and self.creations:
            scope, recs = self.resolver._assignments(node.value, ctx, seq)
            if recs and seq is not None and scope is ctx.scope:
                recs = _live(recs, ctx)
            if recs:
                out: dict[str, tuple] = {}
                for r in recs:
                    for oid in self._from_recs([r], 0):
                        arms = own + tuple(a for a in r.ctx.arms if a not in own)
                        # an object reached through several bindings: only the arms they share constrain it
                        out[oid] = arms if oid not in out else tuple(a for a in out[oid] if a in arms)
                found = self.objects(node, ctx, seq)
                return [(oid, out.get(oid, own)) for oid in found]
        return [(oid, own) for oid in self.objects(node, ctx, seq)]

    def _objects(self, node: cst.BaseExpression, ctx: Ctx, seq: int | None, depth: int) -> list[str]:
        if isinstance(node, cst.Call):
            c = self.by_call.get(id(node))
            if c is not None:
                return [c.oid]
            path = dotted(node.func)
            if path and path in self.ix.functions_by_name:
                return self._returns(path, None, depth, node, ctx, seq)
            method = self.instance_method(node.func, ctx, seq) or self._class_method(node.func)
            if method is not None:  # model.configure_optimizers(...) with model = GPT(config)
                return self._fn_returns(method, None, depth)
            if isinstance(node.func, cst.Attribute) and node.func.attr.value in ("optimizers", "lr_schedulers"):
                return self._lightning_accessor(node.func.attr.value, ctx)
            if isinstance(node.func, cst.Attribute) and node.func.attr.value in _PASS_THROUGH:
                args = [a for a in node.args if a.keyword is None and not a.star]
                if len(args) == 1:  # sched = accelerator.prepare(sched)
                    return self.objects(args[0].value, ctx, seq, depth + 1)
            wrapped = _wrapped_optimizer(node, self.ix.imports.qualify(node.func) or "")
            if wrapped is not None:  # optimizer = LARC(optimizer=optimizer, trust_coefficient=0.001)
                return self.objects(wrapped, ctx, seq, depth + 1)
            return []
        if isinstance(node, cst.Name):
            return self._name_objects(node.value, ctx, seq, depth)
        if isinstance(node, cst.Attribute):
            full = dotted(node)
            if full and full.startswith("self.") and full.count(".") == 1:
                return self._self_objects(node.attr.value, ctx, depth)
            if full is not None:
                scope_recs = self.resolver._assignments(full, ctx, seq)[1]
                if scope_recs:
                    return self._from_recs(scope_recs, depth)
            if node.attr.value == "optimizer":
                out = []
                for oid in self.objects(node.value, ctx, seq, depth + 1):
                    c = self.by_id[oid]
                    if c.kind == "scheduler":
                        out.extend(self.objects(c.bound.get("optimizer"), c.site.ctx, c.site.seq, depth + 1))
                    else:
                        out.append(oid)
                return _uniq(out)
            return []
        if isinstance(node, cst.Subscript):
            if len(node.slice) == 1 and isinstance(node.slice[0].slice, cst.Index):
                key = self.resolver.resolve(node.slice[0].slice.value, ctx, seq)
                base_nodes = self._value_nodes(node.value, ctx, seq, depth)
                out: list[str] = []
                for bn, bctx, bseq in base_nodes:
                    if isinstance(bn, (cst.List, cst.Tuple)) and isinstance(key, Known) and isinstance(key.value, int):
                        if -len(bn.elements) <= key.value < len(bn.elements):
                            out.extend(self.objects(bn.elements[key.value].value, bctx, bseq, depth + 1))
                    elif isinstance(bn, cst.Dict) and isinstance(key, Known):
                        for el in bn.elements:
                            if isinstance(el, cst.DictElement):
                                k = self.resolver.resolve(el.key, bctx, bseq)
                                if isinstance(k, Known) and k.value == key.value:
                                    out.extend(self.objects(el.value, bctx, bseq, depth + 1))
                if out:
                    return _uniq(out)
                # opts[0] where opts is a list of objects: any of them; a key that names a kind
                # (state["scheduler"]) keeps only the objects of that kind
                found = self.objects(node.value, ctx, seq, depth + 1)
                kind = _kind_named(key.value) if isinstance(key, Known) and isinstance(key.value, str) else None
                if kind is not None:
                    found = [oid for oid in found if self.by_id[oid].kind == kind]
                return found
            return []
        if isinstance(node, (cst.List, cst.Tuple)):
            out = []
            for el in node.elements:
                out.extend(self.objects(el.value, ctx, seq, depth + 1))
            return _uniq(out)
        if isinstance(node, cst.Dict):
            out = []
            for el in node.elements:
                if isinstance(el, cst.DictElement):
                    out.extend(self.objects(el.value, ctx, seq, depth + 1))
            return _uniq(out)
        if isinstance(node, cst.IfExp):
            return _uniq(self.objects(node.body, ctx, seq, depth + 1) + self.objects(node.orelse, ctx, seq, depth + 1))
        return []

    def _value_nodes(self, node: cst.BaseExpression, ctx: Ctx, seq: int | None, depth: int) -> list[tuple]:
        """The expressions a container expression may stand for: names followed to their live assignments and
        function parameters to the arguments of every call site (``state["optimizer"]`` inside ``fit(state)``)."""
        if depth > MAX_FLOW_DEPTH:
            return []
        if isinstance(node, cst.Name):
            scope, recs = self.resolver._assignments(node.value, ctx, seq)
            if recs and seq is not None and scope is ctx.scope:
                recs = _live(recs, ctx)
            out: list[tuple] = []
            for r in recs:
                if r.kind == "assign" and r.value is not None:
                    out.extend(self._value_nodes(r.value, r.ctx, r.seq, depth + 1))
            fn = scope.function if scope is not None else None
            if not recs and fn is not None and fn.param(node.value) is not None:
                for site in self.resolver.calls_to(fn):
                    arg = self.resolver.call_arg(site, fn, node.value)
                    if isinstance(arg, cst.BaseExpression):
                        out.extend(self._value_nodes(arg, site.ctx, site.seq, depth + 1))
            return out
        if isinstance(node, cst.Attribute):
            full = dotted(node)
            if full and full.startswith("self."):
                fn = ctx.scope.function
                cls = self.ix.classes.get(fn.class_name) if fn and fn.class_name else None
                if cls:
                    return [(r.value, r.ctx, r.seq) for r in cls.attrs.get(node.attr.value, []) if r.value is not None]
        return [(node, ctx, seq)]

    def _from_recs(self, recs: list, depth: int) -> list[str]:
        out: list[str] = []
        for r in recs:
            if r.value is None or r.kind in ("def", "class", "aug"):
                continue
            if r.kind == "unpack" and r.index is not None:
                v = r.value
                if isinstance(v, (cst.Tuple, cst.List)) and r.index < len(v.elements):
                    out.extend(self.objects(v.elements[r.index].value, r.ctx, r.seq, depth + 1))
                elif isinstance(v, cst.Call):
                    path = dotted(v.func)
                    c = self.by_call.get(id(v))
                    if c is not None and r.index == 0:
                        out.append(c.oid)
                    elif path and path in self.ix.functions_by_name:
                        out.extend(self._returns(path, r.index, depth, v, r.ctx, r.seq))
                    elif self.instance_method(v.func, r.ctx, r.seq) is not None:
                        out.extend(self._fn_returns(self.instance_method(v.func, r.ctx, r.seq), r.index, depth))
                    elif r.index in (1, 3) and self.ix.imports.qualify(v.func) in DEEPSPEED_INITIALIZE:
                        # engine, optimizer, _, lr_scheduler = deepspeed.initialize(optimizer=opt,
                        # lr_scheduler=sched): the engine hands back the objects it was given (the optimizer
                        # wrapped, with the same param groups)
                        given = next((a.value for a in v.args if a.keyword is not None and a.keyword.value ==
                                      ("optimizer" if r.index == 1 else "lr_scheduler")), None)
                        if given is not None:
                            kind = "optimizer" if r.index == 1 else "scheduler"
                            out.extend(o for o in self.objects(given, r.ctx, r.seq, depth + 1)
                                       if self.by_id[o].kind == kind)
                    elif isinstance(v.func, cst.Attribute) and v.func.attr.value in _PASS_THROUGH:
                        # accelerator.prepare(model, opt, loader, sched) / amp.initialize(model, opt)
                        args = [a for a in v.args if a.keyword is None and not a.star]
                        if r.index < len(args):
                            out.extend(self.objects(args[r.index].value, r.ctx, r.seq, depth + 1))
                continue
            if r.kind == "for":
                # for opt in [opt_g, opt_d]: / for sched in schedulers:
                out.extend(self.objects(r.value, r.ctx, r.seq, depth + 1))
                continue
            out.extend(self.objects(r.value, r.ctx, r.seq, depth + 1))
        return _uniq(out)

    def _name_objects(self, name: str, ctx: Ctx, seq: int | None, depth: int) -> list[str]:
        scope, recs = self.resolver._assignments(name, ctx, seq)
        if recs and seq is not None and scope is ctx.scope:
            recs = _live(recs, ctx)
        if recs:
            out = self._from_recs(recs, depth)
            if out or scope is None or scope.function is None:
                return out
        if scope is not None and scope.function is not None and scope.function.param(name) is not None:
            fn = scope.function
            out = []
            for site in self.resolver.calls_to(fn):
                arg = self.resolver.call_arg(site, fn, name)
                if isinstance(arg, cst.BaseExpression):
                    out.extend(self.objects(arg, site.ctx, site.seq, depth + 1))
            if not out and self.unknown_params:  # no caller passes a traced object: the parameter's own
                u = self.unknown_params.get((id(fn), name))
                if u is not None:
                    return [u]
            return _uniq(out)
        return []

    def _self_objects(self, attr: str, ctx: Ctx, depth: int) -> list[str]:
        s = ctx.scope
        cls_name = None
        while s is not None and cls_name is None:
            cls_name = s.class_name or (s.function.class_name if s.function else None)
            s = s.parent
        ci = self.ix.classes.get(cls_name) if cls_name else None
        if ci is None:
            return []
        recs = ci.attrs.get(attr, [])
        out = self._from_recs(recs, depth)
        if not out:
            # attributes set from constructor parameters in a class defined here: self.optimizer = optimizer
            for r in recs:
                if isinstance(r.value, cst.Name):
                    out.extend(self._name_objects(r.value.value, r.ctx, r.seq, depth + 1))
        if not out and self.unknown_attrs:
            u = self.unknown_attrs.get((cls_name, attr))  # type: ignore[arg-type]
            if u is not None:
                return [u]
        return _uniq(out)

    def _returns(self, fname: str, index: int | None, depth: int, call: cst.Call | None = None,
                 ctx: Ctx | None = None, seq: int | None = None) -> list[str]:
        out: list[str] = []
        for fn in self.ix.functions_by_name.get(fname, []):
            out.extend(self._fn_returns(fn, index, depth, call, ctx, seq))
        return _uniq(out)

    def _fn_returns(self, fn: Any, index: int | None, depth: int, call: cst.Call | None = None,
                    ctx: Ctx | None = None, seq: int | None = None) -> list[str]:
        out: list[str] = []
        for expr, rctx in fn.returns:
            if index is not None and isinstance(expr, (cst.Tuple, cst.List)):
                if index < len(expr.elements):
                    out.extend(self._returned(fn, expr.elements[index].value, rctx, depth, call, ctx, seq))
            elif index is None:
                out.extend(self._returned(fn, expr, rctx, depth, call, ctx, seq))
        return _uniq(out)

    def _returned(self, fn: Any, expr: cst.BaseExpression, rctx: Ctx, depth: int, call: cst.Call | None,
                  ctx: Ctx | None, seq: int | None) -> list[str]:
        """The objects a returned expression stands for. A parameter handed back unchanged (``return model,
        optimizer, scheduler`` of a resume helper) is the argument of this call, not of every call: ESRGAN resumes
        the generator's and the discriminator's schedulers through one helper, and each name keeps its own."""
        if call is not None and ctx is not None and isinstance(expr, cst.Name) and fn.param(expr.value) is not None \
                and not any(r.kind != "def" for r in fn.scope.assigns.get(expr.value, [])):
            arg = _argument_node(fn, expr.value, call)
            if arg is not None:
                return self.objects(arg, ctx, seq, depth + 1)
        return self.objects(expr, rctx, None, depth + 1)

    def instance_method(self, func: cst.BaseExpression, ctx: Ctx, seq: int | None) -> Any:
        """The method ``x.m`` calls when ``x`` holds an instance of a class defined here or linked from another
        module of the repository (``model = GPT(config)`` then ``model.configure_optimizers(...)``)."""
        if not isinstance(func, cst.Attribute) or not isinstance(func.value, cst.Name) or not self.ix.classes:
            return None
        _, recs = self.resolver._assignments(func.value.value, ctx, seq)
        recs = [r for r in recs if r.kind == "assign" and r.value is not None]
        if not recs:
            return None
        classes = set()
        for r in recs:
            v = r.value
            while isinstance(v, cst.Call) and isinstance(v.func, cst.Attribute) and v.func.attr.value in _SAME_OBJECT:
                v = v.func.value  # GPT(config).to(device)
            name = dotted(v.func) if isinstance(v, cst.Call) else None
            ci = self.ix.classes.get(name) if name else None
            if ci is None:
                return None
            classes.add(id(ci))
            method = ci.methods.get(func.attr.value)
        if len(classes) != 1 or method is None:
            return None
        return method

    def _class_method(self, func: cst.BaseExpression) -> Any:
        """The ``@classmethod`` / ``@staticmethod`` ``C.m`` calls on a class of the analysed code
        (``Optimizer.from_opt(model, opt)``, a factory that returns ``cls(...)``)."""
        if not isinstance(func, cst.Attribute) or not isinstance(func.value, cst.Name):
            return None
        ci = self.ix.classes.get(func.value.value)
        method = ci.methods.get(func.attr.value) if ci is not None else None
        if method is None or not any(dotted(d.decorator) in ("classmethod", "staticmethod") for d in method.decorators):
            return None
        return method

    def _lightning_accessor(self, which: str, ctx: Ctx) -> list[str]:
        kind = "optimizer" if which == "optimizers" else "scheduler"
        here = ctx.scope.function.class_name if ctx.scope.function else None
        out = []
        for c in self.creations:
            fn = c.site.ctx.scope.function
            if c.kind == kind and fn is not None and fn.name == "configure_optimizers" and (
                    here is None or fn.class_name == here):
                out.append(c.oid)
        return out


_PASS_THROUGH = ("prepare", "initialize", "prepare_model", "setup", "setup_optimizers",
                 "auto_optim", "DistributedOptimizer")  # idist.auto_optim(opt), hvd.DistributedOptimizer(opt, ...)
# optimizer wrappers whose param_groups are the wrapped optimizer's (a rate written on them is its rate):
# apex's LARC and torchlars' LARS adapt each step's gradients, then step the optimizer they wrap
_WRAPPERS = ("apex.parallel.LARC.LARC", "apex.parallel.LARC", "torchlars.LARS", "torchlars.lars.LARS")


def _wrapped_optimizer(node: cst.Call, qualified: str) -> cst.BaseExpression | None:
    if qualified not in _WRAPPERS:
        return None
    for a in node.args:
        if a.keyword is not None and a.keyword.value == "optimizer" and not a.star:
            return a.value
    first = node.args[0] if node.args else None
    if first is not None and first.keyword is None and not first.star:
        return first.value
    return None


_SAME_OBJECT = ("to", "cuda", "cpu", "train", "eval", "float", "half", "double", "bfloat16")


def _live(recs: list, use: Ctx) -> list:
    """Assignments that can reach a use in straight-line code: from the last one that surely runs onwards."""
    for i in range(len(recs) - 1, -1, -1):
        r = recs[i]
        if r.kind in ("assign", "unpack") and r.ctx.conds == 0 and r.ctx.loops == use.loops[: len(r.ctx.loops)] \
                and len(r.ctx.loops) <= len(use.loops):
            return recs[i:]
    return recs


def _kind_named(key: str) -> str | None:
    """The kind of object a container key names: "scheduler", "lr_scheduler", "sched" or "optimizer", "opt"."""
    k = key.lower()
    if "sched" in k:
        return "scheduler"
    if "optim" in k or k in ("opt", "optim"):
        return "optimizer"
    return None


def _uniq(items: list[str]) -> list[str]:
    seen: dict[str, None] = {}
    for i in items:
        seen.setdefault(i, None)
    return list(seen)


def resolve_any(values: dict[str, Value], *names: str) -> Any:
    for n in names:
        v = values.get(n)
        if isinstance(v, Known):
            return v.value
    return None


def _argument_node(fn: Any, name: str, call: cst.Call) -> cst.BaseExpression | None:
    """The expression ``call`` passes for parameter ``name`` of ``fn`` (by keyword or position), None when it
    passes none or through ``*``/``**``."""
    p = fn.param(name)
    if p is None or any(a.star for a in call.args):
        return None
    for a in call.args:
        if a.keyword is not None and a.keyword.value == name:
            return a.value
    positional = [a.value for a in call.args if a.keyword is None]
    offset = 1 if fn.is_method and fn.params and fn.params[0].name in ("self", "cls") else 0
    index = (p.index - offset) if p.index is not None else None
    if index is not None and 0 <= index < len(positional):
        return positional[index]
    return None
