"""OpenMMLab configs: mmengine (``optim_wrapper``, ``param_scheduler``, ``train_cfg``) and mmcv 1.x
(``optimizer``, ``lr_config``, ``runner``), with ``_base_`` inheritance merged exactly as mmengine's
``Config.fromfile`` merges it: each base is loaded (recursively), bases may not share a key, the child's own
values are then merged into them (``_merge_a_into_b``: dicts merge key by key unless the child's dict has
``_delete_=True``; anything else, lists included, replaces), ``{{_base_.x}}`` and ``_base_.x`` read the merged
bases, and ``with read_base(): from .x import *`` (the lazy-import form) binds a base's names. Python config
files are parsed with ``ast``, never imported.
"""

from __future__ import annotations

import ast
import os
import re
import threading
from dataclasses import dataclass, field
from typing import Any

from ..facts import FileFacts, Horizon, Known, Location, OptimizerFact, SchedulerFact, Unknown, Value
from . import register
from .base import ConfigDocument, ConfigError, ConfigMeta, bind_catalog_args, display_of, load_chained
from .pyconfig import PyConfig
from .tree import Missing, Node, Origin, Symbol, copy_tree, plain, to_value

BASE_KEY = "_base_"
DELETE_KEY = "_delete_"
UNKNOWN_BASE_KEY = "__lraudit_unknown_base__"  # in a dict merged over a base value that is not knowable
#: keys an unreadable scoped base (``mmdet::...``) may bring: unknown, with the reason, unless the file sets them
SCOPED_BASE_KEYS = ("optim_wrapper", "param_scheduler", "train_cfg", "auto_scale_lr")
#: the mmcv 1.x keys a base file missing from the repository may bring (mmcv configs name their bases by path)
MMCV_BASE_KEYS = ("optimizer", "lr_config", "runner")
SCHEDULE_KEYS = ("optim_wrapper", "param_scheduler", "optimizer", "lr_config", "train_cfg", "runner")
_GATE_WORDS = (b"_base_", b"read_base", b"param_scheduler", b"optim_wrapper", b"lr_config")
_BASE_VAR = re.compile(r"\{\{\s*_base_\.([\w\.]+)\s*\}\}")
_PREDEFINED = re.compile(r"\{\{\s*(fileDirname|fileBasename|fileBasenameNoExtension|fileExtname)\s*\}\}")
_ENV_VAR = re.compile(r"\{\{\s*\$(\w+)\s*(?:\:\s*(\S*?)\s*)?\}\}")


@dataclass
class Loaded:
    """One config file after inheritance: its merged values and the files behind them."""

    values: dict[str, Node]
    files: tuple[str, ...]  # display paths, merge order, this file last
    # (location of the `_base_` entry in this file, display paths that entry brings in)
    anchors: list[tuple[Location, frozenset[str]]] = field(default_factory=list)
    base_loc: Location | None = None
    notes: list[str] = field(default_factory=list)
    unread: list[str] = field(default_factory=list)  # scoped bases (``mmdet::x.py``) not in this repository


_STACK = threading.local()


def _substitute_text(text: str, path: str) -> str:
    """mmengine's text substitutions, keeping columns where it can: ``{{_base_.x}}`` -> ``_base_.x``,
    predefined variables -> their value, ``{{$ENV:default}}`` -> a marker read as Missing."""
    def base_var(m: re.Match[str]) -> str:
        rep = f"_base_.{m.group(1)}"
        return rep + " " * max(0, len(m.group(0)) - len(rep))

    text = _BASE_VAR.sub(base_var, text)
    if "{{" in text:
        name = os.path.basename(path)
        values = {"fileDirname": os.path.dirname(path), "fileBasename": name,
                  "fileBasenameNoExtension": os.path.splitext(name)[0], "fileExtname": os.path.splitext(name)[1]}
        text = _PREDEFINED.sub(lambda m: values[m.group(1)], text)
        text = _ENV_VAR.sub(lambda m: f"__lraudit_env__({m.group(1)!r})", text)
    return text


def _merge_a_into_b(a: dict[str, Node], b: dict[str, Node]) -> dict[str, Node]:
    """mmengine's ``Config._merge_a_into_b`` on located trees (``b`` is not changed)."""
    out = dict(b)
    for k, v in a.items():
        if isinstance(v.value, dict):
            child = dict(v.value)
            deleting = False
            if k in out:
                d = child.pop(DELETE_KEY, None)
                deleting = bool(d is not None and not isinstance(d.value, Missing) and d.value)
            if k in out and not deleting and isinstance(out[k].value, Missing):
                # the base's value is not knowable: the child's keys, over a marker of the unknown rest
                child.setdefault(UNKNOWN_BASE_KEY, out[k])
                out[k] = Node(child, v.origin, v.is_tuple)
            elif k in out and not deleting:
                if not isinstance(out[k].value, dict):
                    raise ConfigError(f"{k} is a dict in the child config but a {type(plain(out[k])).__name__} in "
                                      f"its base ({out[k].origin.file}); mmengine raises TypeError (set "
                                      f"{DELETE_KEY}=True to replace it)", v.origin.loc.line, v.origin.loc.column)
                out[k] = Node(_merge_a_into_b(child, out[k].value), v.origin, v.is_tuple)
            else:
                out[k] = Node(child, v.origin, v.is_tuple)
        else:
            out[k] = v
    return out


_SEED_TAIL = " not in this repository"


def _is_seed(node: Node) -> bool:
    """A value standing for what an unreadable scoped base would bring (not a value any file writes)."""
    return isinstance(node.value, Missing) and node.value.reason.endswith(_SEED_TAIL)


def _resolve_scoped(rel: str, here: str) -> str | None:
    """The file of a scoped base ``mmdet::_base_/models/x.py``. mmengine reads it from the installed package
    (``<mmdet>/.mim/configs/...``); lraudit never imports packages, so it looks for a checkout of that package
    inside this repository: at this config's directory or any parent (up to the repository root), the package's
    own tree (``<dir>/mmdet/__init__.py`` beside ``<dir>/configs/``), its ``.mim/configs``, or a sibling checkout
    one level down (``<dir>/mmdetection/mmdet/__init__.py`` with ``<dir>/mmdetection/configs/``)."""
    scope, _, path = rel.partition("::")
    if not scope.isidentifier() or not path:
        return None
    d = os.path.dirname(os.path.abspath(here))
    for _ in range(16):
        cands = [os.path.join(d, scope, ".mim", "configs", path)]
        if os.path.isfile(os.path.join(d, scope, "__init__.py")):
            cands.append(os.path.join(d, "configs", path))
        try:
            subdirs = sorted(e.name for e in os.scandir(d) if e.is_dir() and not e.name.startswith("."))
        except OSError:
            subdirs = []
        for sub in subdirs[:200]:
            if os.path.isfile(os.path.join(d, sub, scope, "__init__.py")):
                cands.append(os.path.join(d, sub, "configs", path))
                cands.append(os.path.join(d, sub, scope, ".mim", "configs", path))
        for c in cands:
            if os.path.isfile(c):
                return c
        if os.path.isdir(os.path.join(d, ".git")):
            break  # the repository's root: an installed package lives outside it
        parent = os.path.dirname(d)
        if parent == d:
            break
        d = parent
    return None


def _resolve_module(module: str, level: int, here: str) -> str | None:
    """The file of ``from <module> import ...`` inside ``with read_base():`` (mmengine's rule)."""
    if level > 0:
        base_dir = os.path.dirname(here)
        return os.path.join(base_dir, *([".."] * (level - 1)), module.replace(".", "/") + ".py")
    parts = module.split(".")
    if len(parts) < 2:
        return None
    # an installed package's configs (mmdet.configs.x): found when the package's source is in this tree
    d = os.path.dirname(os.path.abspath(here))
    for _ in range(12):
        cand = os.path.join(d, *parts) + ".py"
        if os.path.isfile(cand):
            return cand
        parent = os.path.dirname(d)
        if parent == d:
            break
        d = parent
    return None


class _Loader:
    def __init__(self, path: str, display: str) -> None:
        self.path = path
        self.display = display

    def call_hook(self, cfg: PyConfig, call: ast.Call, key: str) -> Node | None:
        if isinstance(call.func, ast.Name) and call.func.id == "__lraudit_env__" and call.args:
            arg = call.args[0]
            name = arg.value if isinstance(arg, ast.Constant) else "?"
            return cfg.missing(f"the environment variable {name}, read when the config is loaded", key, call)
        return None

    def load(self, text: str, module: ast.Module | None = None) -> Loaded:
        text = _substitute_text(text, self.path)
        if module is None or "{{" in text or "_base_." in text:
            try:
                module = ast.parse(text)
            except SyntaxError as exc:
                raise ConfigError(f"syntax error: {exc.msg}", exc.lineno or 1, exc.offset or 1) from None
        bases, base_loc = _base_entries(module, text, self.display)
        base_values: dict[str, Node] = {}
        files: list[str] = []
        anchors: list[tuple[Location, frozenset[str]]] = []
        notes: list[str] = []
        unresolved: list[tuple[str, Location]] = []
        absent: list[tuple[str, Location]] = []  # relative bases whose file does not exist
        unread: list[str] = []
        for rel, loc in bases:
            if "::" in rel:
                target = _resolve_scoped(rel, self.path)
                if target is None:
                    scope = rel.partition("::")[0]
                    notes.append(f"inherits {rel} (line {loc.line}) from the installed {scope} package, not in this "
                                 f"repository: the values it brings are unknown")
                    unresolved.append((rel, loc))
                    continue
            else:
                target = os.path.join(os.path.dirname(self.path), rel)
            try:
                sub = load_merged(target)
            except ConfigError as exc:
                notes.append(f"base {rel} (line {loc.line}) could not be read: {exc.reason}")
                if not os.path.lexists(target):  # a base the repository does not ship (ConvNeXt's mmdet configs)
                    absent.append((rel, loc))
                continue
            dup = {k for k in set(base_values) & set(sub.values)
                   if not (_is_seed(base_values[k]) or _is_seed(sub.values[k]))}
            if dup:
                raise ConfigError(f"Duplicate key is not allowed among bases. Duplicate keys: {sorted(dup)} "
                                  f"(mmengine raises KeyError)", loc.line, loc.column)
            base_values.update({k: x for k, x in sub.values.items()
                                if not (_is_seed(x) and k in base_values)})  # a readable value wins over a seed
            files.extend(f for f in sub.files if f not in files)
            anchors.append((loc, frozenset(sub.files)))
            notes.extend(sub.notes)
            unread.extend(u for u in sub.unread if u not in unread)
        unread.extend(rel for rel, _ in unresolved if rel not in unread)
        for rel, loc in unresolved:
            scope = rel.partition("::")[0]
            self._seed(base_values, SCOPED_BASE_KEYS, f"inherits {rel} from the installed {scope} package,{_SEED_TAIL}",
                       loc)
        env: dict[str, Node] = {}
        lazy_imports: list[tuple[Location, frozenset[str]]] = []

        def import_hook(cfg: PyConfig, st: ast.Import | ast.ImportFrom) -> bool:
            if not isinstance(st, ast.ImportFrom) or not _in_read_base(module, st):
                return False
            target = _resolve_module(st.module or "", st.level, self.path)
            loc = cfg.loc(st)
            if target is None:
                notes.append(f"read_base() import of {st.module} (line {st.lineno}) not found in this tree")
                return True
            try:
                sub = load_merged(target)
            except ConfigError as exc:
                notes.append(f"read_base() import of {st.module} (line {st.lineno}) could not be read: {exc.reason}")
                return True
            for a in st.names:
                if a.name == "*":
                    for k, v in sub.values.items():
                        cfg.env[k] = v
                        cfg._bound(k)
                elif a.name in sub.values:
                    cfg.env[a.asname or a.name] = sub.values[a.name]
                    cfg._bound(a.asname or a.name)
            files.extend(f for f in sub.files if f not in files)
            lazy_imports.append((loc, frozenset(sub.files)))
            return True

        if bases:
            env[BASE_KEY] = Node(base_values, Origin(self.display, BASE_KEY, base_loc or Location.unknown()))
        cfg = PyConfig(text, self.display, env, call_hook=self.call_hook, import_hook=import_hook,
                       skip_names=frozenset({BASE_KEY}))
        own = cfg.run(_without_base_assignment(module))
        own = {k: v for k, v in own.items() if not isinstance(v.value, Symbol) or k in SCHEDULE_KEYS}
        if bases and BASE_KEY in cfg.env and isinstance(cfg.env[BASE_KEY].value, dict):
            # the file may change its bases in place (`_base_.optim_wrapper.optimizer.lr = 0.002`,
            # `_base_.train_cfg.update(...)`): mmengine merges into that same, changed dict
            base_values = cfg.env[BASE_KEY].value
        if absent:
            # what an absent base would bring is unknown, in the style (mmcv 1.x or mmengine) the file writes
            old_style = any(k in own or k in base_values for k in ("lr_config", "runner", "total_epochs"))
            unread.extend(rel for rel, _ in absent if rel not in unread)
            names = " and ".join(f"{rel} (line {loc.line})" for rel, loc in absent)
            reason = f"inherits {names}, {'a file' if len(absent) == 1 else 'files'}{_SEED_TAIL}"
            self._seed(base_values, MMCV_BASE_KEYS if old_style else SCOPED_BASE_KEYS, reason, absent[0][1])
        merged = _merge_a_into_b(own, base_values) if bases else own
        files.append(self.display)
        return Loaded(merged, tuple(files), anchors + lazy_imports, base_loc, notes, unread)


    def _seed(self, base_values: dict[str, Node], keys: tuple[str, ...], reason: str, loc: Location) -> None:
        """What an unreadable base would bring: each of ``keys`` the readable bases do not set is unknown, with
        ``reason`` (a seed, ``_is_seed``), at the ``_base_`` entry that names it."""
        for k in keys:
            if k not in base_values:
                base_values[k] = Node(Missing(reason), Origin(self.display, k, loc))


def _in_read_base(module: ast.Module, st: ast.stmt) -> bool:
    for node in module.body:
        if isinstance(node, ast.With) and st in node.body:
            return True
    return False


def _without_base_assignment(module: ast.Module) -> ast.Module:
    body = [st for st in module.body if not (isinstance(st, ast.Assign) and any(
        isinstance(t, ast.Name) and t.id == BASE_KEY for t in st.targets))]
    return ast.Module(body=body, type_ignores=[])


def _base_entries(module: ast.Module, text: str, display: str) -> tuple[list[tuple[str, Location]], Location | None]:
    """The ``_base_`` list (mmengine evaluates the first ``_base_ = ...`` literally) with each entry's location."""
    from .pyconfig import Positions

    pos = Positions(text)
    for st in module.body:
        if isinstance(st, ast.Assign) and isinstance(st.targets[0], ast.Name) and st.targets[0].id == BASE_KEY:
            v = st.value
            items = v.elts if isinstance(v, (ast.List, ast.Tuple)) else [v]
            out = []
            for it in items:
                if isinstance(it, ast.Constant) and isinstance(it.value, str):
                    out.append((it.value, pos.loc(it)))
                else:
                    raise ConfigError("_base_ must be a literal file name or list of them (mmengine evaluates it "
                                      "alone)", it.lineno, it.col_offset + 1)
            return out, pos.loc(st)
    return [], None


def _parse_file(data: bytes, path: str) -> Loaded:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ConfigError(f"{path} is not UTF-8 text") from None
    if path.lower().endswith((".yaml", ".yml", ".json")):
        raise ConfigError(f"{path}: YAML/JSON bases of OpenMMLab configs are not read")
    return _Loader(path, display_of(path)).load(text)


def load_merged(path: str) -> Loaded:
    """The merged values of the config file at ``path`` (memoised; inheritance cycles are refused)."""
    return load_chained(path, "mmengine", _parse_file, _STACK)


# ----------------------------------------------------------------------------------------------- facts


class _Facts:
    """Merged values -> facts of the reported file."""

    def __init__(self, loaded: Loaded, display: str) -> None:
        self.v = loaded.values
        self.loaded = loaded
        self.top = display
        self.notes = list(loaded.notes)

    def loc(self, node: Node | None) -> Location:
        """Where a value is in the reported file: its own line, or the base entry that brings it in."""
        if node is None:
            return self.loaded.base_loc or Location.unknown()
        if node.origin.file == self.top:
            return node.origin.loc
        if node.at is not None and node.at[0] == self.top:
            return node.at[1]
        for loc, files in self.loaded.anchors:
            if node.origin.file in files:
                return loc
        return self.loaded.base_loc or Location.unknown()

    def value(self, node: Node | None, missing: str = "not set") -> Value:
        return to_value(node, self.top, missing)

    def type_name(self, node: Node | None) -> str | None:
        t = node.get("type") if node is not None else None
        if t is None:
            return None
        if isinstance(t.value, Symbol):
            return t.value.qualname.rsplit(".", 1)[-1]
        return t.value if isinstance(t.value, str) else None


def _optimizer_class(type_name: str) -> str:
    from ..catalog import lookup

    for prefix in ("torch.optim.",):
        if lookup(prefix + type_name) is not None:
            return prefix + type_name
    return f"mmengine.optim.{type_name}"


def _unknown_base(node: Node | None) -> str | None:
    """The reason when ``node`` was merged over a base value lraudit cannot read (a scoped ``mmdet::`` base)."""
    m = node.get(UNKNOWN_BASE_KEY) if node is not None and node.is_dict() else None
    return m.value.reason if m is not None and isinstance(m.value, Missing) else None


def _optimizer_fact(f: _Facts, node: Node, oid: str, where: str, outer: Node | None = None) -> OptimizerFact:
    inherited = _unknown_base(node) or (_unknown_base(outer) if node.get("type") is None else None)
    tname = f.type_name(node)
    if tname is None and inherited:
        # the optimizer's type (and every value this file does not set) comes from the unreadable base
        given = {k: f.value(x) for k, x in node.items() if k != "type" and not k.startswith("_")}
        lr = given.pop("lr", Unknown(f"{where}.lr: {inherited}"))
        f.notes.append(f"{where}: the optimizer's type and the values this file does not set are unknown ({inherited})")
        return OptimizerFact(id=oid, cls="(optimizer type inherited, unknown)", framework="torch",
                             loc=f.loc(node), variable=where, lr=lr, params=given,
                             lr_arg_loc=f.loc(node.get("lr")) if node.get("lr") is not None else None)
    tname = tname or "SGD"
    cls = _optimizer_class(tname)
    given: dict[str, Value] = {}
    locs: dict[str, Location] = {}
    for k, x in node.items():
        if k == "type" or k.startswith("_"):
            continue
        if k in ("paramwise_cfg", "constructor"):  # read by the optimizer constructor, not the optimizer
            f.notes.append(f"{where}.{k}: some parameters get their own lr/decay multipliers; the curve is "
                           "the base rate")
            continue
        given[k] = f.value(x)
        locs[k] = f.loc(x)
    params = bind_catalog_args(cls, given, "torch default") if cls.startswith("torch.") else given
    lr = params.pop("lr", Unknown(f"{where}.lr is not set"))
    return OptimizerFact(id=oid, cls=cls, framework="torch", loc=f.loc(node), variable=where, lr=lr, params=params,
                         lr_arg_loc=locs.get("lr"))


def _loop(f: _Facts) -> tuple[str | None, Value, Value, str | None]:
    """(loop kind "epoch"/"iter"/None, max_epochs, max_iters, description)."""
    tc = f.v.get("train_cfg")
    runner = f.v.get("runner")
    if tc is not None and isinstance(tc.value, Missing) and runner is None:
        why = Unknown(f"train_cfg: {tc.value.reason}")
        return None, why, why, None
    if tc is not None and tc.is_dict():
        t = f.type_name(tc) or ""
        by_epoch = tc.get("by_epoch")
        if "IterBased" in t or (by_epoch is not None and by_epoch.value is False) or (
                not t and tc.get("max_iters") is not None and tc.get("max_epochs") is None):
            iters = f.value(tc.get("max_iters"), "train_cfg.max_iters is not set")
            return "iter", Unknown("an iteration-based loop"), iters, f"{t or 'IterBasedTrainLoop'}, " \
                f"{iters.value if isinstance(iters, Known) else '?'} iterations"
        if "EpochBased" in t or tc.get("max_epochs") is not None or (by_epoch is not None and by_epoch.value is True):
            ep = f.value(tc.get("max_epochs"), "train_cfg.max_epochs is not set")
            return "epoch", ep, Unknown("an epoch-based loop"), \
                f"{t or 'EpochBasedTrainLoop'}, {ep.value if isinstance(ep, Known) else '?'} epochs"
        if t:
            return None, Unknown(f"the training loop is {t}"), Unknown(f"the training loop is {t}"), t
    if runner is not None and runner.is_dict():
        t = f.type_name(runner) or ""
        if "IterBased" in t:
            iters = f.value(runner.get("max_iters"), "runner.max_iters is not set")
            return "iter", Unknown("an iteration-based runner"), iters, \
                f"{t}, {iters.value if isinstance(iters, Known) else '?'} iterations"
        ep = f.value(runner.get("max_epochs"), "runner.max_epochs is not set")
        return "epoch", ep, Unknown("an epoch-based runner"), \
            f"{t or 'EpochBasedRunner'}, {ep.value if isinstance(ep, Known) else '?'} epochs"
    total = f.v.get("total_epochs")
    if total is not None:
        ep = f.value(total)
        return "epoch", ep, Unknown("an epoch-based runner"), f"total_epochs = {plain(total)}"
    return None, Unknown("no train_cfg/runner in the config"), Unknown("no train_cfg/runner in the config"), None


EPOCH_LENGTH_REASON = ("iterations per epoch are decided at run time by the dataset and the batch size "
                       "(len(train_dataloader))")


def _horizon_for(loop: str | None, by_epoch: bool, epochs: Value, iters: Value) -> tuple[Value, str]:
    if loop == "epoch":
        if by_epoch:
            return epochs, "epoch"
        if isinstance(epochs, Known):
            return Unknown(f"{epochs.value} epochs x {EPOCH_LENGTH_REASON}"), "step"
        return epochs, "step"
    if loop == "iter":
        return iters, "step"
    if isinstance(epochs, Unknown) and epochs.reason.startswith("train_cfg: "):  # inherited from an unread base
        return epochs, "epoch" if by_epoch else "step"
    return Unknown("the config sets no training loop (train_cfg)"), "epoch" if by_epoch else "step"


def _default_end(args: dict[str, Value], loop: str | None, epochs: Value, iters: Value) -> Value | None:
    """mmengine's Runner sets a scheduler's missing ``end`` to the loop's max_epochs (``by_epoch`` as written,
    default True) or max_iters; None when it cannot be stated here (no loop, or iterations of an epoch loop)."""
    by_epoch = not (isinstance(args.get("by_epoch"), Known) and args["by_epoch"].value is False)
    if loop is None:
        return None
    if by_epoch:
        if loop == "epoch" and isinstance(epochs, Known):
            return Known(epochs.value, f"the Runner's default: max_epochs ({epochs.source})")
        if loop == "iter":  # an iteration loop's max_epochs is 1: mmengine's IterBasedTrainLoop reports it so
            return None
        return None
    if loop == "iter" and isinstance(iters, Known):
        return Known(iters.value, f"the Runner's default: max_iters ({iters.source})")
    return None


def _scheduler_args(f: _Facts, node: Node, name: str, family: str) -> tuple[dict[str, Value], dict[str, Location]]:
    from ..catalog import mmengine_sim

    args: dict[str, Value] = {}
    locs: dict[str, Location] = {}
    for k, x in node.items():
        if k == "type" or k.startswith("_"):
            continue
        args[k] = f.value(x)
        locs[k] = f.loc(x)
    if family == "mmengine":
        defaults = dict(mmengine_sim.COMMON)
        defaults.update(mmengine_sim.DEFAULTS.get(name, {}))
        defaults.pop("last_step", None)
        defaults.pop("verbose", None)
        for k, d in defaults.items():
            if k not in args and d is not None:
                args[k] = Known(d, "mmengine default")
    return args, locs


def _assumed(loop: str | None, per_iteration: bool, epochs: Value) -> Value | None:
    """The labelled length a curve shows when it needs iterations per epoch (rules ignore such curves)."""
    if loop == "epoch" and per_iteration and isinstance(epochs, Known) and isinstance(epochs.value, int):
        from ..catalog.mmengine_sim import ASSUMED_EPOCH_LENGTH

        return Known(epochs.value * ASSUMED_EPOCH_LENGTH,
                     f"{ASSUMED_EPOCH_LENGTH} iterations per epoch assumed (the dataset decides)")
    return None


def _mmengine_schedulers(f: _Facts, opt_id: str | None, loop: str | None, epochs: Value, iters: Value,
                         ps: Node | None = None, first: int = 1, label: str = "param_scheduler",
                         for_whom: str | None = None) -> list[SchedulerFact]:
    """The ``param_scheduler`` list of one optimizer: one scheduler, or a parent (the list the runner steps
    together) and its children; ids from ``sched{first}``. ``for_whom`` names the optimizer of an
    OptimWrapperDict (each optimizer gets its own instances of the schedulers)."""
    from ..catalog import mmengine_sim

    if ps is None:
        ps = f.v.get("param_scheduler")
    if ps is None:
        return []
    entries = ps.value if ps.is_list() else [ps] if ps.is_dict() else []
    out: list[SchedulerFact] = []
    children: list[SchedulerFact] = []
    for i, e in enumerate(entries):
        if not isinstance(e.value, dict):
            continue
        tname = f.type_name(e) or "?"
        name = mmengine_sim.canonical(tname)
        if name is None and ("Momentum" in tname or "WeightDecay" in tname or "Betas" in tname):
            continue  # schedules of other parameters (momentum, weight decay) do not set the learning rate
        args, locs = _scheduler_args(f, e, name or tname, "mmengine")
        if not isinstance(e.value.get("end"), Node):
            end = _default_end(args, loop, epochs, iters)
            if end is not None:
                args["end"] = end
            elif loop is not None:
                args.pop("end", None)  # the Runner sets it from the loop: the simulation does (max_iters)
        by_epoch = not (isinstance(args.get("by_epoch"), Known) and args["by_epoch"].value is False)
        converted = by_epoch and isinstance(args.get("convert_to_iter_based"), Known) and \
            bool(args["convert_to_iter_based"].value)
        stepped_by_epoch = by_epoch and not converted
        horizon, unit = _horizon_for(loop, stepped_by_epoch, epochs, iters)
        children.append(SchedulerFact(
            id="", cls=f"mmengine.optim.{name or tname}", framework="mmengine", loc=f.loc(e), variable=f"{label}[{i}]"
            if ps.is_list() else label, optimizer=opt_id,
            optimizer_reason=None if opt_id else "the config sets no optimizer", args=args, arg_locs=locs,
            stepped="epoch" if stepped_by_epoch and loop != "iter" else "batch", unit=unit, horizon=horizon,
            assumed_horizon=_assumed(loop, not stepped_by_epoch, epochs),
            horizon_source=None, description=None if name else f"{tname} is not an mmengine LR scheduler lraudit "
                                                                  f"knows"))
    if not children:
        return []
    from dataclasses import replace

    if for_whom is not None:
        children = [replace(c, description=c.description or f"for the {for_whom} optimizer") for c in children]
    if len(children) == 1:
        return [replace(children[0], id=f"sched{first}")]

    any_iter = any(c.stepped == "batch" for c in children)
    all_epoch = all(c.stepped == "epoch" for c in children)
    horizon, unit = _horizon_for(loop, all_epoch and not any_iter, epochs, iters)
    parent = SchedulerFact(
        id=f"sched{first}", cls="mmengine.param_scheduler", framework="mmengine", loc=f.loc(ps), variable=label,
        optimizer=opt_id, optimizer_reason=None if opt_id else "the config sets no optimizer",
        args={"schedulers": Known(len(children), f.value(ps).source if isinstance(f.value(ps), Known) else "")},
        children=tuple(f"sched{first + i + 1}" for i in range(len(children))),
        stepped="epoch" if all_epoch else "batch", unit=unit, horizon=horizon,
        assumed_horizon=_assumed(loop, not all_epoch, epochs),
        description="the list of schedulers mmengine's runner steps together"
                    + (f", for the {for_whom} optimizer" if for_whom else ""))
    out.append(parent)
    for i, c in enumerate(children):
        out.append(replace(c, id=f"sched{first + i + 1}", parent=f"sched{first}"))
    return out


_WRAPPER_KEYS = ("constructor", "paramwise_cfg", "type")


def _optim_wrapper_dict(f: _Facts, ow: Node) -> list[tuple[str, Node, str]]:
    """The optimizers of an ``optim_wrapper`` without an ``optimizer`` key (an OptimWrapperDict: GANs'
    ``constructor='MultiOptimWrapperConstructor', generator=dict(optimizer=...), discriminator=dict(...)``), as
    (name, optimizer node, where) in the config's order."""
    out = []
    for k, x in ow.items():
        if k in _WRAPPER_KEYS or k.startswith("_") or not x.is_dict():
            continue
        opt = x.get("optimizer")
        if opt is not None and opt.is_dict():
            out.append((k, opt, f"optim_wrapper.{k}.optimizer"))
    return out


def _mmcv_optimizer_dict(node: Node) -> list[tuple[str, Node, str]]:
    """mmcv 1.x multi-optimizer form (mmedit/mmgen ``build_optimizers``): ``optimizer = dict(generator=dict(
    type='Adam', ...), discriminator=dict(...))``, every value a dict (one optimizer per submodule)."""
    items = list(node.items())
    if not items or not all(x.is_dict() for _, x in items) or "type" in dict(items):
        return []
    return [(k, x, f"optimizer.{k}") for k, x in items if not k.startswith("_")]


def _multi_schedulers(f: _Facts, family: str, named: list[tuple[str, OptimizerFact]], loop: str | None,
                      epochs: Value, iters: Value) -> list[SchedulerFact]:
    """One schedule per optimizer of a multi-optimizer config. mmengine's Runner: a ``param_scheduler`` dict
    without ``type`` is keyed by optimizer name, anything else is built once for each optimizer; mmcv 1.x: the
    one ``lr_config`` hook sets every optimizer's rate from its own base rate."""
    from dataclasses import replace

    out: list[SchedulerFact] = []
    ps = f.v.get("param_scheduler")
    keyed = family == "mmengine" and ps is not None and ps.is_dict() and ps.get("type") is None
    for name, opt in named:
        first = len(out) + 1
        if family == "mmengine":
            node, label = ps, "param_scheduler"
            if keyed and ps is not None:
                node, label = ps.get(name), f"param_scheduler.{name}"
                if node is None:
                    f.notes.append(f"param_scheduler has no entry for the {name} optimizer (mmengine raises "
                                   f"KeyError: the dict is keyed by optimizer name)")
                    continue
            out.extend(_mmengine_schedulers(f, opt.id, loop, epochs, iters, node, first, label, name))
        else:
            from .mmcv import mmcv_schedulers

            for s in mmcv_schedulers(f, opt.id, loop, epochs, iters):
                args = dict(s.args)
                ml = args.get("max_lr")
                if isinstance(ml, Known) and isinstance(ml.value, dict):  # OneCycle: format_param(name, ...)
                    args["max_lr"] = Known(ml.value[name], f"{ml.source}[{name!r}]") if name in ml.value else \
                        Unknown(f"lr_config.max_lr has no {name!r} key: mmcv raises KeyError")
                out.append(replace(s, id=f"sched{first}", args=args,
                                   description=s.description or f"for the {name} optimizer"))
    return out


def read_openmmlab(doc: ConfigDocument) -> FileFacts | None:
    text = doc.text()
    module = doc.python()
    if not _looks_like_config(module):
        return None
    loaded = _Loader(doc.path, doc.display).load(text, module)
    f = _Facts(loaded, doc.display)
    v = f.v
    has_new = "param_scheduler" in v or "optim_wrapper" in v
    has_old = "lr_config" in v
    if not (has_new or has_old or "optimizer" in v or "train_cfg" in v or "runner" in v):
        return FileFacts(path=doc.display, extra={"config": ConfigMeta(
            "mmengine", loaded.files, tuple(f.notes), None, tuple(loaded.unread))})
    family = "mmcv" if has_old and "param_scheduler" not in v else "mmengine"
    optimizers: list[OptimizerFact] = []
    ow = v.get("optim_wrapper")
    opt_node = None
    where = "optimizer"
    if ow is not None and ow.is_dict() and ow.get("optimizer") is not None:
        opt_node, where = ow.get("optimizer"), "optim_wrapper.optimizer"
        otype = f.type_name(ow) or "OptimWrapper"
        if otype not in ("OptimWrapper", "AmpOptimWrapper"):
            f.notes.append(f"optim_wrapper type {otype}")
        acc = ow.get("accumulative_counts")
        if acc is not None and isinstance(acc.value, int) and acc.value > 1:
            f.notes.append(f"gradients accumulate over {acc.value} iterations (optim_wrapper.accumulative_counts); "
                           "iteration-based schedulers still step every iteration")
        if ow.get("paramwise_cfg") is not None:
            f.notes.append("optim_wrapper.paramwise_cfg gives some parameters their own lr/decay multipliers; "
                           "the curve is the base rate")
    multi: list[tuple[str, Node, str]] = []
    if ow is not None and ow.is_dict() and opt_node is None:
        multi = _optim_wrapper_dict(f, ow)
        cons = ow.get("constructor")
        cname = cons.value if cons is not None and isinstance(cons.value, str) else None
        if multi and cname is None:
            f.notes.append("optim_wrapper has several optimizers but no constructor: mmengine's Runner raises "
                           "ValueError (each value must then be a built OptimWrapper)")
        elif multi:
            f.notes.append(f"optim_wrapper holds {len(multi)} optimizers ({', '.join(k for k, _, _ in multi)}), "
                           f"built by {cname} (an OptimWrapperDict); each has its own schedule")
        elif _unknown_base(ow):
            f.notes.append(f"optim_wrapper.optimizer: {_unknown_base(ow)}; unknown")
        else:
            f.notes.append("optim_wrapper sets no optimizer; not read")
    elif v.get("optimizer") is not None and v["optimizer"].is_dict():
        opt_node = v["optimizer"]
        multi = _mmcv_optimizer_dict(opt_node) if family == "mmcv" or "optim_wrapper" not in v else []
        if multi:
            opt_node = None
            f.notes.append(f"optimizer holds {len(multi)} optimizers ({', '.join(k for k, _, _ in multi)}), one per "
                           f"submodule (build_optimizers); lr_config sets each one's rate from its own lr")
    if opt_node is not None and opt_node.is_dict():
        optimizers.append(_optimizer_fact(f, opt_node, "opt1", where, ow if where.startswith("optim_wrapper") else None))
    named: list[tuple[str, OptimizerFact]] = []
    for i, (k, node, w) in enumerate(multi):
        o = _optimizer_fact(f, node, f"opt{i + 1}", w)
        optimizers.append(o)
        named.append((k, o))
    asl = v.get("auto_scale_lr")
    if asl is not None and asl.is_dict():
        en = asl.get("enable")
        if en is not None and en.value is True:
            bbs = asl.get("base_batch_size")
            f.notes.append(f"auto_scale_lr is enabled: the lr is rescaled at run time by the real batch size / "
                           f"{plain(bbs) if bbs is not None else 'base_batch_size'}")
    loop, epochs, iters, loop_text = _loop(f)
    opt_id = optimizers[0].id if optimizers else None
    if named:
        schedulers = _multi_schedulers(f, family, named, loop, epochs, iters)
    elif family == "mmengine":
        schedulers = _mmengine_schedulers(f, opt_id, loop, epochs, iters)
    else:
        try:
            from .mmcv import mmcv_schedulers
        except ImportError:  # the mmcv 1.x reader is a module of its own
            mmcv_schedulers = None
        if mmcv_schedulers is None:
            f.notes.append("lr_config (mmcv 1.x) is not read by this version")
            schedulers = []
        else:
            schedulers = mmcv_schedulers(f, opt_id, loop, epochs, iters)
    ow_seed = v.get("optim_wrapper")
    if not optimizers and ow_seed is not None and isinstance(ow_seed.value, Missing):
        from dataclasses import replace

        schedulers = [replace(sc, optimizer_reason=f"optim_wrapper: {ow_seed.value.reason}") for sc in schedulers]
    horizon = Horizon(epochs, Unknown(EPOCH_LENGTH_REASON) if loop == "epoch" else Unknown("an iteration-based loop"),
                      iters if loop == "iter" else Unknown(f"epochs x {EPOCH_LENGTH_REASON}"))
    meta = ConfigMeta(family, loaded.files, tuple(dict.fromkeys(f.notes)), loop_text, tuple(loaded.unread))
    return FileFacts(path=doc.display, optimizers=tuple(optimizers), schedulers=tuple(schedulers), horizon=horizon,
                     extra={"config": meta})


def _is_dict_value(v: ast.expr) -> bool:
    if isinstance(v, ast.Dict):
        return True
    if isinstance(v, ast.Call) and isinstance(v.func, ast.Name) and v.func.id == "dict":
        return True
    if isinstance(v, (ast.List, ast.Tuple)):
        return bool(v.elts) and all(_is_dict_value(e) for e in v.elts)
    return False


def _looks_like_config(module: ast.Module) -> bool:
    """A module of assignments that inherits (``_base_``/``read_base``) or sets an OpenMMLab schedule key to a
    dict: not a script that happens to have a variable called ``optimizer``."""
    inherits = False
    keyed = False
    for st in module.body:
        if isinstance(st, ast.Assign):
            for t in st.targets:
                if isinstance(t, ast.Name):
                    if t.id == BASE_KEY:
                        inherits = True
                    elif t.id in SCHEDULE_KEYS and _is_dict_value(st.value):
                        keyed = True
        elif isinstance(st, ast.With) and st.items and isinstance(st.items[0].context_expr, ast.Call):
            fn = st.items[0].context_expr.func
            if isinstance(fn, ast.Name) and fn.id == "read_base":
                inherits = True
        elif isinstance(st, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.For, ast.While,
                             ast.AsyncFor)):
            return False  # configs define no functions or loops at module level; scripts do
        elif isinstance(st, ast.If) and "__name__" in ast.dump(st.test):
            return False
    return inherits or keyed


class OpenMMLabReader:
    family = "mmengine"
    suffixes = (".py",)

    def gate(self, data: bytes) -> bool:
        return any(w in data for w in _GATE_WORDS) or (b"optimizer" in data and b"dict(" in data and
                                                        (b"model" in data or b"runner" in data))

    def read(self, doc: ConfigDocument) -> FileFacts | None:
        return read_openmmlab(doc)


register(OpenMMLabReader())

__all__ = ["OpenMMLabReader", "load_merged", "read_openmmlab"]
