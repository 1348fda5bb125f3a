"""Linking a file to the repository code it calls: functions and classes of other modules join its index.

``train.py`` calls ``build_optimizer(cfg, model)`` from ``utils/optim.py`` and ``train_one_epoch(model,
optimizer, scheduler)`` from ``engine.py``. Each module the calls reach is parsed once per run (see
repository.py) and indexed on its own (its scopes, constants and imports stay its own); the functions and classes
the file calls, and what those call in turn, join the file's index: their calls, loops and subscript writes, under
the call paths the importing code names them by. The rest of extraction then treats them as it treats the file's
own functions: an optimizer built in ``build_optimizer`` is the file's optimizer, a parameter of
``train_one_epoch`` is followed to the arguments of the calls in ``train.py``, and a ``scheduler.step()`` in the
trainer's batch loop is a step site of the scheduler built in ``train.py``, at its real file and line.

Only code that may matter is linked: a function whose own text mentions an optimizer, a scheduler, a rate or a
step (the prefilter's test) or that calls such code. Linking is bounded (``MAX_LINKED``, ``MAX_HOPS``), cycles
end it (each definition is linked once), and a name that cannot be linked (an ambiguous import, a module that does
not parse, a name its module does not define, a name the file already uses for something else) is left as it is,
with the reason recorded in ``Linked.notes``.
"""

from __future__ import annotations

import builtins
import os
import re
import sys
from dataclasses import dataclass, field
from typing import Any

import libcst as cst

from ..facts import Location
from ..parse import Locator
from ..repository import Ambiguous, Repository, Target, Unit, repository_for
from .imports import ImportTable, dotted
from .index import CallSite, ClassInfo, FunctionInfo, Indexer, Plan, Scope
from .linked_index import LINKED_INDEXES

MAX_LINKED = 200  # functions linked into one file's index
MAX_HOPS = 4  # calls followed from the file into other modules (cycles end earlier)
SEQ_STRIDE = 10_000_000  # statement numbers of the n-th linked module start at n * SEQ_STRIDE
# loop ids of the n-th linked module start at n * LOOP_STRIDE: they depend on the module's place in the file's
# linking only, not on how many loops the file has, so one built index serves every importer (linked_index.py)
LOOP_STRIDE = 10_000_000
_BUILTINS = frozenset(dir(builtins))
# what makes linked code worth following: optimizers, schedulers, rates, steps (names, call paths, keywords)
_RELEVANT = re.compile(r"optim|sched|(?:^|[._])lr(?:[._]|$)|learning_rate|param_group|step|warmup|(?i:optim|sched)")


@dataclass
class LinkedModule:
    unit: Unit
    ix: Indexer
    locator: Locator
    display: str  # the path findings name (like the analysed file's display path)
    owner_merged: bool = False
    groups: Any = None  # _Groups, computed on first use
    shared: Any = None  # linked_index._Entry the index comes from (its groups serve every linking of it)


@dataclass
class _Group:
    calls: list[CallSite] = field(default_factory=list)
    loops: list[Any] = field(default_factory=list)
    sub_writes: list[Any] = field(default_factory=list)
    lambdas: list[Any] = field(default_factory=list)
    reads: list[tuple[str, Any]] = field(default_factory=list)


@dataclass
class _Groups:
    """A linked module's calls, loops, writes and reads by innermost function scope (one pass, not one per
    linked function), and the functions nested in each function."""

    by_scope: dict[int, _Group] = field(default_factory=dict)
    nested: dict[int, list[FunctionInfo]] = field(default_factory=dict)


def _fn_scope(scope: Scope | None) -> Scope | None:
    while scope is not None and scope.kind != "function":
        scope = scope.parent
    return scope


def _groups(lm: LinkedModule) -> _Groups:
    if lm.groups is not None:
        return lm.groups
    if lm.shared is not None and lm.shared.groups is not None:
        lm.groups = lm.shared.groups
        return lm.groups
    g = _Groups()
    fix = lm.ix

    def grp(scope: Scope | None) -> _Group | None:
        f = _fn_scope(scope)
        if f is None:
            return None
        return g.by_scope.setdefault(id(f), _Group())

    for c in fix.calls:
        x = grp(c.ctx.scope)
        if x is not None:
            x.calls.append(c)
    for lp in fix.loops.values():
        x = grp(lp.ctx.scope)
        if x is not None:
            x.loops.append(lp)
    for w in fix.sub_writes:
        x = grp(w.ctx.scope)
        if x is not None:
            x.sub_writes.append(w)
    for n, c in fix.lambdas:
        x = grp(c.scope)
        if x is not None:
            x.lambdas.append((n, c))
    for name, uses in fix.reads.items():
        for u in uses:
            x = grp(u[1].scope)
            if x is not None:
                x.reads.append((name, u))
    for fn in fix.functions.values():
        outer = _fn_scope(fn.scope.parent)
        while outer is not None:
            g.nested.setdefault(id(outer), []).append(fn)
            outer = _fn_scope(outer.parent)
    lm.groups = g
    if lm.shared is not None:
        lm.shared.groups = g
    return g


def _unit_locator(unit: Unit, fix: Indexer) -> Locator:
    """One Locator per parsed module, shared by every file linking it (positions depend on the tree only)."""
    loc = getattr(unit, "locator", None)
    if loc is None:
        loc = Locator(unit.module, unit.text, dict(fix.owner))
        unit.locator = loc  # type: ignore[attr-defined]
    return loc


@dataclass
class Linked:
    """What linking added to one file's index."""

    modules: list[LinkedModule] = field(default_factory=list)
    node_module: dict[int, LinkedModule] = field(default_factory=dict)  # id(node) -> its module
    notes: list[str] = field(default_factory=list)  # imports that stay unresolved, and why
    functions: int = 0
    # (display path, first line, last line, call node in the analysed file, its call path): the linked code
    # each call of the analysed file reaches (messages of findings there name that call)
    spans: list[tuple["LinkedModule", cst.CSTNode, cst.CSTNode, str]] = field(default_factory=list)

    def entry_for(self, display: str, line: int) -> tuple[cst.CSTNode, str] | None:
        """The call in the analysed file through which the linked code at ``display:line`` runs."""
        best = None
        for lm, fn_node, node, name in self.spans:
            if lm.display != display:
                continue
            loc = lm.locator.location(fn_node)  # positions only now: a finding sits in this file
            first, last = loc.line, loc.end_line
            if first <= line <= last and (best is None or last - first < best[0]):
                best = (last - first, node, name)
        return (best[1], best[2]) if best else None

    def module_of(self, node: cst.CSTNode | None) -> LinkedModule | None:
        return self.node_module.get(id(node)) if node is not None else None


class Linker:
    def __init__(self, ix: Indexer, path: str, display: str, repo: Repository, inserted: list[str],
                 plans: dict[int, Plan] | None = None) -> None:
        self.ix = ix
        # the default run's arms in linked modules, by id of their parsed module (decided in extract/build.py)
        self.plans = plans or {}
        self.path = os.path.abspath(path)
        self.display = display
        self.repo = repo
        self.inserted = inserted
        self.linked = Linked()
        self._modules: dict[str, LinkedModule | str] = {}
        self._done: set[int] = set()  # id(FunctionInfo / ClassInfo) linked
        self._root_main = id(ix.module_scope)
        self._main_defined = set(ix.module_scope.assigns) | set(ix.functions_by_name) | set(ix.classes)
        self._relevant: dict[int, bool] = {}
        self._scopes: dict[int, set[int]] = {}
        self._pending: dict[str, list[tuple[LinkedModule, FunctionInfo]]] = {}  # methods linked once called
        self._realpaths: dict[str, str] = {}

    # ------------------------------------------------------------------------------------ modules
    def module(self, path: str) -> LinkedModule | str:
        key = self._real(path)
        hit = self._modules.get(key)
        if hit is not None:
            return hit
        if key == self._real(self.path):
            self._modules[key] = "the analysed file itself"
            return self._modules[key]
        if not self.repo.admits(path):  # no optimizer, scheduler, rate or step in it: nothing to link
            self._modules[key] = f"{self.repo.rel(path)} has no optimizer, scheduler or step"
            return self._modules[key]
        unit = self.repo.unit(path)
        if isinstance(unit, str):
            self._modules[key] = unit
            return unit
        n = len(self.linked.modules) + 1
        try:  # built once per process for these numbers and this module's plan (linked_index.py)
            entry = LINKED_INDEXES.get(unit.module, len(unit.text), n * SEQ_STRIDE, n * LOOP_STRIDE,
                                       self.plans.get(id(unit.module)))
        except RecursionError:
            self._modules[key] = f"{unit.rel} is nested too deeply to analyse"
            return self._modules[key]
        fix = entry.ix
        lm = LinkedModule(unit, fix, _unit_locator(unit, fix), self._display_of(unit.path), shared=entry)
        self._modules[key] = lm
        self.linked.modules.append(lm)
        table = self.ix.imports
        for k in fix.owner:
            table.by_node[k] = fix.imports
            self.linked.node_module[k] = lm
        for stmt in set(map(id, fix.owner.values())):
            self.linked.node_module[stmt] = lm
        for fn in fix.functions.values():
            self.linked.node_module[id(fn.node)] = lm
        for ci in fix.classes.values():
            self.linked.node_module[id(ci.node)] = lm
        for lp in fix.loops.values():
            self.linked.node_module[id(lp.node)] = lm
        table.by_scope[id(fix.module_scope)] = fix.imports
        return lm

    def _real(self, path: str) -> str:
        """``os.path.realpath``, once per path and linking (each call stats every component of the path)."""
        hit = self._realpaths.get(path)
        if hit is None:
            hit = self._realpaths[path] = os.path.realpath(path)
        return hit

    def _display_of(self, path: str) -> str:
        here = os.path.dirname(self.path)
        rel = os.path.relpath(path, here)
        base = os.path.dirname(self.display)
        out = os.path.normpath(os.path.join(base, rel)) if not os.path.isabs(self.display) else path
        return out.replace(os.sep, "/")

    # -------------------------------------------------------------------------------- definitions
    def definition(self, target: Target, hops: int = 0, seen: frozenset[str] = frozenset()
                   ) -> tuple[LinkedModule, FunctionInfo | ClassInfo] | str | None:
        """The function or class a target names, following re-exports; a reason when it cannot be linked."""
        if not target.attrs:
            return None  # the module itself
        lm = self.module(target.path)
        if isinstance(lm, str):
            return lm
        key = f"{self._real(target.path)}:{'.'.join(target.attrs)}"
        if key in seen or hops > 6:
            return f"{'.'.join(target.attrs)}: import cycle through {lm.unit.rel}"
        fix = lm.ix
        first = target.attrs[0]
        rest = target.attrs[1:]
        ci = fix.classes.get(first)
        if ci is not None and ci.node in _module_level(fix, "class"):
            if not rest:
                return lm, ci
            m = ci.methods.get(rest[0])
            return (lm, m) if m is not None and len(rest) == 1 else None
        fns = [f for f in fix.functions_by_name.get(first, []) if f.qualname == first]
        if fns and not rest:
            return (lm, fns[-1]) if len(fns) == 1 else f"{first} is defined more than once in {lm.unit.rel}"
        q = fix.imports.names.get(first)
        if q is not None:  # a re-export: `from .optim import build_optimizer` in pkg/__init__.py
            full = ".".join([q] + list(rest))
            t = self.repo.resolve(full, lm.unit.path)
            if isinstance(t, Ambiguous):
                return t.reason
            if t is None:
                return None
            return self.definition(t, hops + 1, seen | {key})
        for star in fix.imports.star_modules:
            t = self.repo.resolve(star + ("" if star.endswith(".") else ".") + ".".join(target.attrs), lm.unit.path)
            if isinstance(t, Target) and t.path != target.path:
                found = self.definition(t, hops + 1, seen | {key})
                if isinstance(found, tuple):
                    return found
        if first in fix.module_scope.assigns:
            return None  # a constant or an instance: values resolve those (extract/values.py)
        return f"{lm.unit.rel} does not define {first}"

    # ------------------------------------------------------------------------------------- linking
    def run(self) -> Linked:
        work: list[tuple[CallSite, ImportTable, str, int, CallSite]] = []
        for site in self.ix.calls:
            work.append((site, self.ix.imports, self.path, 0, site))
        i = 0
        while i < len(work) and self.linked.functions < MAX_LINKED:
            site, table, importer, hops, entry = work[i]
            i += 1
            func = site.node.func
            if isinstance(func, cst.Attribute) and func.attr.value in self._pending:
                # `trainer.train()`, `self.evaluate()`: methods of a linked class, linked when something calls them
                for lm, m in self._pending.pop(func.attr.value):
                    if id(m) in self._done:
                        continue
                    self._done.add(id(m))
                    self.linked.spans.append((lm, m.node, entry.node, entry.path))
                    for s in self._absorb(lm, m.scope):
                        work.append((s, lm.ix.imports, lm.unit.path, hops + 1, entry))
            found = self._callee(site, table, importer)
            if found is None:
                continue
            lm, d = found
            before = self.linked.functions
            new_calls = self._link(lm, d, site, hops)
            if self.linked.functions > before:
                for fn in ([d] if isinstance(d, FunctionInfo) and not d.is_method else
                           [m for m in (d if isinstance(d, ClassInfo) else lm.ix.classes.get(d.class_name or "")
                                        or ClassInfo("", d.node, [])).methods.values() if id(m) in self._done]):
                    self.linked.spans.append((lm, fn.node, entry.node, entry.path))
            if hops + 1 < MAX_HOPS:
                for s in new_calls:
                    work.append((s, lm.ix.imports, lm.unit.path, hops + 1, entry))
        return self.linked

    def _callee(self, site: CallSite, table: ImportTable, importer: str
                ) -> tuple[LinkedModule, FunctionInfo | ClassInfo] | None:
        func = site.node.func
        text = dotted(func)
        if text is None:
            return None
        in_main = importer == self.path
        if not in_main and "." not in text:
            lm = self.module(importer)
            if isinstance(lm, LinkedModule):  # a function or class of the same (linked) module
                for scope in site.ctx.scope.chain():
                    recs = scope.assigns.get(text)
                    if recs:
                        kind = recs[-1].kind
                        if kind == "def":
                            prefix = "" if scope.kind == "module" else scope.qualname + "."
                            fn = lm.ix.functions.get(prefix + text)
                            return (lm, fn) if fn is not None else None
                        if kind == "class" and scope.kind == "module":
                            ci = lm.ix.classes.get(text)
                            return (lm, ci) if ci is not None else None
                        return None
        if in_main and text.split(".", 1)[0] in self._main_defined and text.split(".", 1)[0] not in table.names:
            return None
        q = table.qualify_text(text)
        if q is None:
            return None
        t = self.repo.resolve(q, importer, self.inserted if in_main else ())
        if t is None:
            return None
        if isinstance(t, Ambiguous):
            self._note(t.reason)
            return None
        found = self.definition(t)
        if isinstance(found, str):
            self._note(found)
            return None
        return found

    def _note(self, text: str) -> None:
        if text not in self.linked.notes and len(self.linked.notes) < 50:
            self.linked.notes.append(text)

    def _link(self, lm: LinkedModule, d: FunctionInfo | ClassInfo, site: CallSite, hops: int) -> list[CallSite]:
        """Add ``d`` (named by ``site``'s call path) to the index; the calls it adds (to follow further)."""
        alias = (_root(site.ctx.scope), site.path)
        if isinstance(d, ClassInfo):
            return self._link_class(lm, d, alias, site)
        fns = [d] if not d.is_method else []
        if d.is_method:  # `Trainer.fit(...)` on the class itself: link the whole class
            ci = lm.ix.classes.get(d.class_name or "")
            if ci is None:
                return []
            head = site.path.rsplit(".", 1)[0]
            # `Optimizer.from_opt(...)`: the class is known here by the name the call uses, so that what its
            # factory builds with `cls(...)` is an object of it
            named = (alias[0], head) if head.isidentifier() and head == ci.name else None
            return self._link_class(lm, ci, named)
        out: list[CallSite] = []
        for fn in fns:
            if not self._worth(lm, fn):
                continue
            self.ix.call_aliases.setdefault(id(fn), set()).add(alias)
            self._register_name(site.path, fn, site)
            if id(fn) in self._done:
                continue
            self._done.add(id(fn))
            out.extend(self._absorb(lm, fn.scope))
        return out

    def _link_class(self, lm: LinkedModule, ci: ClassInfo, alias: tuple[int, str] | None,
                    site: CallSite | None = None) -> list[CallSite]:
        """Link a class the code instantiates: its constructor, the methods the code calls (now or once later
        linked code calls them), and every method when the class is a scheduler (torch calls its get_lr) or the
        instance goes to a ``fit()`` call (a framework runs its hooks, ``configure_optimizers``...)."""
        init = ci.methods.get("__init__")
        if alias is not None:
            name = alias[1]
            if init is not None:
                # the name the code uses, and in its own module the class's name (`cls(...)` in a factory is one)
                self.ix.call_aliases.setdefault(id(init), set()).update({alias, (id(lm.ix.module_scope), ci.name)})
            if _clash(self.ix.classes, name, ci) or _clash(self.ix.classes, ci.name, ci):
                self._note(f"{ci.name} of {lm.unit.rel} has the name of another class here")
                return []
            if alias[0] == self._root_main or name not in self.ix.classes:
                self.ix.classes[name] = ci
            self.ix.classes.setdefault(ci.name, ci)
        if id(ci) in self._done:
            return []
        if not any(self._worth(lm, m) for m in ci.methods.values()) and not _scheduler_like(ci):
            return []
        self._done.add(id(ci))
        everything = _scheduler_like(ci) or (site is not None and self._fitted(site))
        called = {s.node.func.attr.value for s in self.ix.calls if isinstance(s.node.func, cst.Attribute)}
        out: list[CallSite] = []
        for m in ci.methods.values():
            if id(m) in self._done:
                continue
            if not (everything or m.name == "__init__" or m.name in called):
                self._pending.setdefault(m.name, []).append((lm, m))
                continue
            self._done.add(id(m))
            out.extend(self._absorb(lm, m.scope))
        return out

    def _fitted(self, site: CallSite) -> bool:
        """Whether the object ``site`` constructs is handed to a ``fit()`` call (``trainer.fit(model)``)."""
        names = set(site.targets) if site.direct else set()
        for s in self.ix.calls:
            if not s.path.endswith(".fit"):
                continue
            for a in s.node.args:
                if a.value is site.node or (isinstance(a.value, cst.Name) and a.value.value in names):
                    return True
        return False

    def _register_name(self, path: str, fn: FunctionInfo, site: CallSite) -> None:
        fbn = self.ix.functions_by_name
        in_main = _root(site.ctx.scope) == self._root_main
        if in_main:
            if fn not in fbn.get(path, []):
                fbn.setdefault(path, []).append(fn)
            return
        # a name used inside linked code: only when the file itself cannot mean anything else by it
        head = path.split(".", 1)[0]
        if (head in self._main_defined or head in self.ix.imports.names or head in _BUILTINS
                or self.ix.imports.star_modules):
            if path in fbn and fn not in fbn[path]:
                return
        if fn not in fbn.get(path, []):
            fbn.setdefault(path, []).append(fn)

    def _worth(self, lm: LinkedModule, fn: FunctionInfo) -> bool:
        """Whether linking ``fn`` can add a fact: its code names optimizers, schedulers, rates or steps (in calls,
        parameters, names or subscript writes), or it calls code of the repository (which may)."""
        hit = self._relevant.get(id(fn))
        if hit is not None:
            return hit
        relevant = self._relevant_scopes(lm)
        ok = id(fn.scope) in relevant
        if not ok:
            ok = any(self._calls_repo(lm, s) for s in lm.ix.calls if _within(s.ctx.scope, fn.scope))
        self._relevant[id(fn)] = ok
        return ok

    def _relevant_scopes(self, lm: LinkedModule) -> set[int]:
        """id() of every function scope of the module whose code mentions what the prefilter looks for."""
        cached = self._scopes.get(id(lm))
        if cached is not None:
            return cached
        out: set[int] = set()

        def mark(scope: Scope | None) -> None:
            while scope is not None and id(scope) not in out:
                if scope.kind == "function":
                    out.add(id(scope))
                scope = scope.parent

        fix = lm.ix
        for site in fix.calls:
            if _RELEVANT.search(site.path) or any(a.keyword is not None and _RELEVANT.search(a.keyword.value)
                                                  for a in site.node.args):
                mark(site.ctx.scope)
            elif site.path.endswith("add_argument"):
                mark(site.ctx.scope)  # a parser builder (`get_args_parser()`): the options the run's values read
        for fn in fix.functions.values():
            if any(_RELEVANT.search(p.name) for p in fn.params):
                mark(fn.scope)
        for name, uses in fix.reads.items():
            if _RELEVANT.search(name):
                for _, ctx, _ in uses:
                    mark(ctx.scope)
        for w in fix.sub_writes:
            mark(w.ctx.scope)
        self._scopes[id(lm)] = out
        return out

    def _calls_repo(self, lm: LinkedModule, site: CallSite) -> bool:
        text = dotted(site.node.func)
        if text is None:
            return False
        head = text.split(".", 1)[0]
        q = lm.ix.imports.names.get(head)
        if q is None:
            return False
        t = self.repo.resolve(lm.ix.imports.qualify_text(text) or q, lm.unit.path)
        return isinstance(t, Target) and bool(t.attrs)

    def _absorb(self, lm: LinkedModule, scope: Scope) -> list[CallSite]:
        """The calls, loops, writes and nested functions of ``scope`` (a linked function) join the index."""
        ix = self.ix
        self.linked.functions += 1
        groups = _groups(lm)
        scopes = [scope] + [f.scope for f in groups.nested.get(id(scope), [])]
        calls: list[CallSite] = []
        for sc in scopes:
            g = groups.by_scope.get(id(sc))
            if sc is not scope:
                fn = sc.function
                if fn is not None:
                    key = fn.qualname if fn.qualname not in ix.functions else f"{lm.unit.rel}:{fn.qualname}"
                    ix.functions.setdefault(key, fn)
            if g is None:
                continue
            calls.extend(g.calls)
            for lp in g.loops:
                ix.loops.setdefault(lp.id, lp)
            ix.sub_writes.extend(g.sub_writes)
            ix.lambdas.extend(g.lambdas)
            for name, use in g.reads:
                ix.reads.setdefault(name, []).append(use)
        fn = scope.function
        if fn is not None:
            key = fn.qualname if fn.qualname not in ix.functions else f"{lm.unit.rel}:{fn.qualname}"
            ix.functions.setdefault(key, fn)
        calls.sort(key=lambda c: c.seq)
        ix.calls.extend(calls)
        if not lm.owner_merged:
            lm.owner_merged = True
            for k, v in lm.ix.owner.items():
                ix.owner.setdefault(k, v)
        return calls


def _within(scope: Scope | None, outer: Scope) -> bool:
    s = scope
    while s is not None:
        if s is outer:
            return True
        s = s.parent
    return False


def _root(scope: Scope) -> int:
    while scope.parent is not None:
        scope = scope.parent
    return id(scope)


def _module_level(ix: Indexer, kind: str) -> set[Any]:
    return {r.node for recs in ix.module_scope.assigns.values() for r in recs if r.kind == kind}


def _clash(classes: dict[str, ClassInfo], name: str, ci: ClassInfo) -> bool:
    other = classes.get(name)
    return other is not None and other is not ci


def _scheduler_like(ci: ClassInfo) -> bool:
    return any("LRScheduler" in b or "Scheduler" in b.rsplit(".", 1)[-1] for b in ci.bases) or "get_lr" in ci.methods


def sys_path_inserts(ix: Indexer, resolver: Any, depth: int = 0) -> list[str]:
    """Directories the file puts on ``sys.path`` (``sys.path.insert(0, ...)``/``append``, also inside a helper
    whose parameter its callers give: ``add_path(osp.join(this_dir, "lib"))``), resolved as paths; then the
    directories a sibling module it imports puts there when imported (faster-rcnn's ``import _init_paths``)."""
    out: list[str] = []
    for site in ix.calls:
        if site.path not in ("sys.path.insert", "sys.path.append") or not site.node.args:
            continue
        arg, front = site.node.args[-1].value, site.path == "sys.path.insert"
        try:
            v = resolver._path_expr(arg, site.ctx, site.seq)
        except Exception:  # a path lraudit cannot compute is simply not an import root
            continue
        value = getattr(v, "value", None)
        if isinstance(value, str) and value:
            d = value if os.path.isabs(value) else os.path.join(os.path.dirname(resolver.path), value)
            d = os.path.normpath(d)
            if front:
                out.insert(0, d)
            else:
                out.append(d)
    if depth == 0:
        for module_inserts in _sibling_inserts(ix, resolver):
            out = module_inserts + [d for d in out if d not in module_inserts]
    return out


def _sibling_inserts(ix: Indexer, resolver: Any) -> list[list[str]]:
    """For each ``import name`` at the top of the file that names a module beside it whose code edits
    ``sys.path`` when imported, in import order: the directories it puts there."""
    from .values import _module_resolver

    here = os.path.dirname(os.path.abspath(resolver.path))
    out: list[list[str]] = []
    for stmt in ix.module.body:
        if not isinstance(stmt, cst.SimpleStatementLine):
            continue
        for small in stmt.body:
            if not isinstance(small, cst.Import):
                continue
            for alias in small.names:
                if not isinstance(alias.name, cst.Name) or alias.name.value in sys.stdlib_module_names:
                    continue
                path = os.path.join(here, alias.name.value + ".py")
                try:
                    if not os.path.isfile(path) or os.path.getsize(path) > 200_000:
                        continue
                    with open(path, "rb") as fh:
                        if b"sys.path" not in fh.read():
                            continue
                except OSError:
                    continue
                other = _module_resolver(path, 1)
                if other is None or isinstance(other, str):
                    continue
                got = sys_path_inserts(other.ix, other, depth=1)
                if got:
                    out.append(got)
    return out


def link_file(ix: Indexer, resolver: Any, path: str, display: str,
              plans: dict[int, Plan] | None = None) -> Linked | None:
    """Link the repository code ``ix`` (the index of ``path``) calls; None when nothing was linked. ``plans``
    gives the arms the run takes in linked modules (their branches are decided with the importer's values), by
    id of each module's parsed tree."""
    if not ix.imports.names and not ix.imports.star_modules:
        return None
    try:
        repo = repository_for(path)
    except OSError:
        return None
    inserted = sys_path_inserts(ix, resolver)
    linked = Linker(ix, path, display, repo, inserted, plans).run()
    return linked if linked.modules else None


class LinkedLocator:
    """Positions of nodes of the analysed file and of the modules linked into its index (with their file)."""

    def __init__(self, own: Locator, linked: Linked) -> None:
        self.own = own
        self.linked = linked
        self.module = own.module
        self.text = own.text

    def location(self, node: cst.CSTNode) -> Location:
        lm = self.linked.module_of(node)
        if lm is None:
            return self.own.location(node)
        loc = lm.locator.location(node)
        return Location(loc.line, loc.column, loc.end_line, loc.end_column, lm.display)

    def line(self, node: cst.CSTNode) -> int:
        lm = self.linked.module_of(node)
        if lm is None:
            return self.own.line(node)
        return lm.locator.line(node)

    def file(self, node: cst.CSTNode) -> str | None:
        """The linked module's path relative to the repository root, None for the analysed file's nodes."""
        lm = self.linked.module_of(node)
        return lm.unit.rel if lm is not None else None

    def __getattr__(self, name: str) -> Any:
        return getattr(self.own, name)
