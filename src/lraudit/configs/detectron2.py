"""detectron2 configs: yacs YAML (``_BASE_`` chains over detectron2's defaults) and LazyConfig Python files
(``L(...)`` calls, relative imports of other config files), as detectron2 builds them.

yacs: ``CfgNode.load_yaml_with_base`` merges each file into its bases (dicts key by key, anything else
replaces; a list of bases merges them in order), then ``merge_from_other_cfg`` lays the result over
``config/defaults.py``; string values are decoded with ``literal_eval`` as yacs does (``STEPS: (60000, 80000)``,
``BASE_LR: 1e-4``). The optimizer is ``torch.optim.SGD`` (or ``SOLVER.OPTIMIZER`` of a project: ``ADAMW``), the
schedule ``build_lr_scheduler``'s ``LRMultiplier`` over ``SOLVER.MAX_ITER`` iterations (or DeepLab's
``WarmupPolyLR``). LazyConfig: ``optimizer``, ``lr_multiplier`` and ``train.max_iter`` after the file's
statements; ``L(X)(**kw)`` is ``{"_target_": X, **kw}``. Nothing is imported or executed.
"""

from __future__ import annotations

import ast
import os
import threading
from typing import Any, Iterator

from ..facts import FileFacts, Horizon, Known, Location, OptimizerFact, SchedulerFact, Unknown, Value
from . import register
from .base import ConfigDocument, ConfigError, ConfigMeta, bind_catalog_args, display_of, load_chained
from .mmengine import Loaded, _Facts
from .pyconfig import PyConfig
from .tree import Missing, Node, Origin, Symbol, copy_tree, plain

BASE_KEY = "_BASE_"
_STACK = threading.local()

# detectron2/config/defaults.py (SOLVER), the keys a schedule or an optimizer reads
SOLVER_DEFAULTS: dict[str, Any] = {
    "LR_SCHEDULER_NAME": "WarmupMultiStepLR", "MAX_ITER": 40000, "BASE_LR": 0.001, "BASE_LR_END": 0.0,
    "MOMENTUM": 0.9, "NESTEROV": False, "WEIGHT_DECAY": 0.0001, "GAMMA": 0.1, "STEPS": (30000,),
    "NUM_DECAYS": 3, "WARMUP_FACTOR": 1.0 / 1000, "WARMUP_ITERS": 1000, "WARMUP_METHOD": "linear",
    "RESCALE_INTERVAL": False, "IMS_PER_BATCH": 16, "REFERENCE_WORLD_SIZE": 0,
}
# detectron2/projects/DeepLab (add_deeplab_config), used by MaskFormer / Mask2Former for WarmupPolyLR
DEEPLAB_DEFAULTS: dict[str, Any] = {"POLY_LR_POWER": 0.9, "POLY_LR_CONSTANT_ENDING": 0.0}
SCHEDULER_NAMES = ("WarmupMultiStepLR", "WarmupCosineLR", "WarmupStepWithFixedGammaLR", "WarmupPolyLR")
_FASTREID_KEYS = ("OPT", "SCHED", "MAX_EPOCH")  # fast-reid's yacs configs look alike but are not detectron2's


# ------------------------------------------------------------------------------------------------ yacs

def _decode(node: Node) -> Node:
    """yacs ``_decode_cfg_value``: strings that are Python literals become those values."""
    v = node.value
    if isinstance(v, dict):
        return Node({k: _decode(x) for k, x in v.items()}, node.origin)
    if isinstance(v, list):
        return Node([_decode(x) for x in v], node.origin, node.is_tuple)
    if isinstance(v, str):
        try:
            lit = ast.literal_eval(v)
        except (ValueError, SyntaxError, MemoryError, RecursionError, TypeError):
            return node
        if isinstance(lit, (list, tuple)):
            return Node([Node(x, node.origin) for x in lit], node.origin, isinstance(lit, tuple))
        if isinstance(lit, (int, float, bool, str)) or lit is None:
            return Node(lit, node.origin)
    return node


def _merge_yacs(a: dict[str, Node], b: dict[str, Node], file: str) -> dict[str, Node]:
    """``load_yaml_with_base``'s ``merge_a_into_b`` (``b`` is not changed)."""
    out = dict(b)
    for k, v in a.items():
        if isinstance(v.value, dict) and k in out:
            if not isinstance(out[k].value, dict):
                raise ConfigError(f"Cannot inherit key '{k}' from base! (detectron2 raises AssertionError)",
                                  v.origin.loc.line, v.origin.loc.column)
            out[k] = Node(_merge_yacs(v.value, out[k].value, file), v.origin)
        else:
            out[k] = v
    return out


def _parse_yacs(data: bytes, path: str) -> Loaded:
    from .yamlconfig import parse_yaml

    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ConfigError(f"{path} is not UTF-8 text") from None
    return _load_yacs_tree(parse_yaml(text, display_of(path)), path, display_of(path))


def _load_yacs_tree(root: Node, path: str, display: str) -> Loaded:
    from .yamlconfig import refusals

    if not isinstance(root.value, dict):
        raise ConfigError("not a mapping at the top level")
    values = dict(root.value)
    base = values.pop(BASE_KEY, None)
    refused = [f"{display}: {r}" for r in refusals(root)]
    if base is None:
        return Loaded({k: _decode(v) for k, v in values.items()}, (display,), notes=refused)
    entries = base.value if isinstance(base.value, list) else [base]
    merged: dict[str, Node] = {}
    files: list[str] = []
    anchors: list[tuple[Location, frozenset[str]]] = []
    notes: list[str] = []
    for e in entries:
        if not isinstance(e.value, str):
            raise ConfigError("_BASE_ must be a file name or a list of them", e.origin.loc.line, e.origin.loc.column)
        rel = os.path.expanduser(e.value)
        if rel.startswith(("https://", "http://")):
            notes.append(f"inherits {rel} (line {e.origin.loc.line}), a URL lraudit does not fetch")
            continue
        target = rel if rel.startswith("/") else os.path.join(os.path.dirname(path), rel)
        try:
            sub = load_yacs(target)
        except ConfigError as exc:
            notes.append(f"base {e.value} (line {e.origin.loc.line}) could not be read: {exc.reason}")
            continue
        merged = _merge_yacs(sub.values, merged, display)
        files.extend(f for f in sub.files if f not in files)
        anchors.append((e.origin.loc, frozenset(sub.files)))
        notes.extend(sub.notes)
    merged = _merge_yacs({k: _decode(v) for k, v in values.items()}, merged, display)
    files.append(display)
    return Loaded(merged, tuple(files), anchors, base.origin.loc, notes + refused)


def load_yacs(path: str) -> Loaded:
    return load_chained(path, "detectron2-yaml", _parse_yacs, _STACK)


def _is_detectron2_yacs(values: dict[str, Node], inherits: bool) -> bool:
    solver = values.get("SOLVER")
    if solver is not None and isinstance(solver.value, dict):
        if any(k in solver.value for k in _FASTREID_KEYS):
            return False
        return any(k in solver.value for k in ("BASE_LR", "MAX_ITER", "STEPS", "IMS_PER_BATCH", "WARMUP_ITERS",
                                                "LR_SCHEDULER_NAME"))
    model = values.get("MODEL")
    return inherits and model is not None and isinstance(model.value, dict) and "META_ARCHITECTURE" in model.value


def read_yacs(doc: ConfigDocument) -> FileFacts | None:
    root = doc.yaml()
    if not isinstance(root.value, dict):
        return None
    loaded = _load_yacs_tree(root, doc.path, doc.display)
    if not _is_detectron2_yacs(loaded.values, BASE_KEY in root.value):
        return None
    f = _Facts(loaded, doc.display)
    solver = loaded.values.get("SOLVER")
    s = solver.value if solver is not None and isinstance(solver.value, dict) else {}

    def val(key: str, default_source: str = "detectron2 default (config/defaults.py)") -> Value:
        if key in s:
            return f.value(s[key])
        if key in SOLVER_DEFAULTS:
            return Known(SOLVER_DEFAULTS[key], default_source)
        if key in DEEPLAB_DEFAULTS:
            return Known(DEEPLAB_DEFAULTS[key], "DeepLab project default (add_deeplab_config)")
        return Unknown(f"SOLVER.{key} is not set")

    def loc(key: str) -> Location:
        return f.loc(s.get(key)) if key in s else f.loc(solver)

    opt_name = val("OPTIMIZER")
    kind = str(opt_name.value).upper() if isinstance(opt_name, Known) else "SGD"
    if kind == "ADAMW":
        cls = "torch.optim.AdamW"
        given = {"weight_decay": val("WEIGHT_DECAY")}
    else:
        cls = "torch.optim.SGD"
        given = {"momentum": val("MOMENTUM"), "nesterov": val("NESTEROV"), "weight_decay": val("WEIGHT_DECAY")}
    if kind not in ("SGD", "ADAMW"):
        f.notes.append(f"SOLVER.OPTIMIZER={kind!r} is read by the project's own build_optimizer; shown as SGD")
    params = bind_catalog_args(cls, given, "torch default")
    opt = OptimizerFact(id="opt1", cls=cls, framework="torch", loc=loc("BASE_LR"), variable="SOLVER",
                        lr=val("BASE_LR"), params=params, lr_arg_loc=loc("BASE_LR"))
    name_v = val("LR_SCHEDULER_NAME")
    name = str(name_v.value) if isinstance(name_v, Known) else "?"
    keys = {"max_iter": "MAX_ITER", "warmup_factor": "WARMUP_FACTOR", "warmup_iters": "WARMUP_ITERS",
            "warmup_method": "WARMUP_METHOD"}
    if name == "WarmupMultiStepLR":
        keys.update({"steps": "STEPS", "gamma": "GAMMA", "rescale_interval": "RESCALE_INTERVAL"})
    elif name == "WarmupCosineLR":
        keys.update({"base_lr": "BASE_LR", "base_lr_end": "BASE_LR_END", "rescale_interval": "RESCALE_INTERVAL"})
    elif name == "WarmupStepWithFixedGammaLR":
        keys.update({"gamma": "GAMMA", "num_decays": "NUM_DECAYS", "rescale_interval": "RESCALE_INTERVAL"})
    elif name == "WarmupPolyLR":
        keys.update({"power": "POLY_LR_POWER", "constant_ending": "POLY_LR_CONSTANT_ENDING"})
    args = {a: val(k) for a, k in keys.items()}
    if "steps" in args and isinstance(args["steps"], Known) and isinstance(args["steps"].value, tuple):
        args["steps"] = Known(list(args["steps"].value), args["steps"].source)
    locs = {a: loc(k) for a, k in keys.items()}
    max_iter = args["max_iter"]
    cls_s = ("detectron2.projects.deeplab.WarmupPolyLR" if name == "WarmupPolyLR" else
             f"detectron2.solver.{name}")
    sched = SchedulerFact(
        id="sched1", cls=cls_s, framework="detectron2", loc=loc("LR_SCHEDULER_NAME"), variable="SOLVER", optimizer="opt1",
        optimizer_reason=None, args=args, arg_locs=locs, stepped="batch", unit="step", horizon=max_iter,
        description=None if name in SCHEDULER_NAMES else f"SOLVER.LR_SCHEDULER_NAME={name!r} is not a detectron2 "
                                                         "scheduler lraudit knows")
    rws = val("REFERENCE_WORLD_SIZE")
    if isinstance(rws, Known) and rws.value:
        f.notes.append(f"SOLVER.REFERENCE_WORLD_SIZE={rws.value}: detectron2 rescales BASE_LR, MAX_ITER, STEPS and "
                       "WARMUP_ITERS by the number of GPUs at run time")
    horizon = Horizon(Unknown("detectron2 counts iterations, not epochs"), Unknown("detectron2 counts iterations"),
                      max_iter)
    meta = ConfigMeta("detectron2", loaded.files, tuple(dict.fromkeys(f.notes)), f"{plain(s.get('MAX_ITER')) if 'MAX_ITER' in s else SOLVER_DEFAULTS['MAX_ITER']} iterations")
    return FileFacts(path=doc.display, optimizers=(opt,), schedulers=(sched,), horizon=horizon,
                     extra={"config": meta})


class YacsReader:
    family = "detectron2"
    suffixes = (".yaml", ".yml")

    def gate(self, data: bytes) -> bool:
        return b"_BASE_" in data or b"SOLVER" in data

    def read(self, doc: ConfigDocument) -> FileFacts | None:
        return read_yacs(doc)


# ------------------------------------------------------------------------------------------ LazyConfig

def _lazy_call_hook(cfg: PyConfig, call: ast.Call, key: str) -> Node | None:
    """``L(X)(**kw)`` -> ``{"_target_": X, **kw}`` (detectron2.config.LazyCall)."""
    inner = call.func
    if not (isinstance(inner, ast.Call) and len(inner.args) == 1 and not inner.keywords):
        return None
    fn = cfg.expr(inner.func, key)
    if not (isinstance(fn.value, Symbol) and fn.value.qualname.rsplit(".", 1)[-1] == "LazyCall"):
        return None
    target = cfg.expr(inner.args[0], f"{key}._target_")
    out: dict[str, Node] = {"_target_": target}
    if call.args:
        return cfg.missing("LazyCall with positional arguments", key, call)
    for kw in call.keywords:
        if kw.arg is None:
            src = cfg.expr(kw.value, key)
            if isinstance(src.value, dict):
                out.update(src.value)
            continue
        out[kw.arg] = cfg.expr(kw.value, f"{key}.{kw.arg}" if key else kw.arg)
    return cfg.node(out, key, call)


def _lazy_module_path(module: str, level: int, here: str) -> str:
    base_dir = os.path.dirname(here)
    for _ in range(level - 1):
        base_dir = os.path.dirname(base_dir)
    return os.path.join(base_dir, *module.split(".")) + ".py" if module else os.path.join(base_dir, "__init__.py")


class _LazyLoader:
    def __init__(self, path: str, display: str) -> None:
        self.path, self.display = path, display
        self.files: list[str] = []
        self.anchors: list[tuple[Location, frozenset[str]]] = []
        self.notes: list[str] = []

    def import_hook(self, cfg: PyConfig, st: ast.Import | ast.ImportFrom) -> bool:
        if not isinstance(st, ast.ImportFrom) or st.level == 0:
            return False
        target = _lazy_module_path(st.module or "", st.level, self.path)
        if not os.path.isfile(target):
            # ``from . import x`` may name a config file x.py of the package
            for a in st.names:
                cand = os.path.join(os.path.dirname(target), a.name + ".py")
                if not st.module and os.path.isfile(cand):
                    try:
                        sub = load_lazy(cand)
                    except ConfigError as exc:
                        self.notes.append(f"{a.name} (line {st.lineno}) could not be read: {exc.reason}")
                        continue
                    cfg.env[a.asname or a.name] = Node(sub.values, Origin(sub.files[-1], "", cfg.loc(st)))
                    self.files.extend(f for f in sub.files if f not in self.files)
                    self.anchors.append((cfg.loc(st), frozenset(sub.files)))
            return True
        try:
            sub = load_lazy(target)
        except ConfigError as exc:
            self.notes.append(f"import of {st.module} (line {st.lineno}) could not be read: {exc.reason}")
            return True
        for a in st.names:
            if a.name == "*":
                for k, v in sub.values.items():
                    cfg.env[k] = v
            elif a.name in sub.values:
                cfg.env[a.asname or a.name] = sub.values[a.name]
            else:
                cfg.env[a.asname or a.name] = cfg.missing(f"{a.name} is not set in {st.module}", a.asname or a.name,
                                                          st)
        self.files.extend(f for f in sub.files if f not in self.files)
        self.anchors.append((cfg.loc(st), frozenset(sub.files)))
        return True

    def load(self, text: str, module: ast.Module) -> Loaded:
        cfg = PyConfig(text, self.display, {}, call_hook=_lazy_call_hook, import_hook=self.import_hook)
        values = cfg.run(module)
        values = {k: v for k, v in values.items() if not isinstance(v.value, Symbol)}
        self.files.append(self.display)
        return Loaded(values, tuple(self.files), self.anchors, None, self.notes)


def _parse_lazy(data: bytes, path: str) -> Loaded:
    try:
        text = data.decode("utf-8-sig")
        module = ast.parse(text)
    except (UnicodeDecodeError, SyntaxError, ValueError) as exc:
        raise ConfigError(f"{path}: cannot parse ({type(exc).__name__})") from None
    return _LazyLoader(path, display_of(path)).load(text, module)


def load_lazy(path: str) -> Loaded:
    return load_chained(path, "detectron2-lazy", _parse_lazy, _STACK, cycle="import cycle", max_depth=None)


def _spec(node: Node | None, f: _Facts) -> Any:
    """A LazyCall tree as a plain spec: ``{"type": short class name, **kwargs}``; Missing stays Missing."""
    if node is None:
        return None
    v = node.value
    if isinstance(v, dict):
        out: dict[str, Any] = {}
        for k, x in v.items():
            if k == "_target_":
                t = x.value
                out["type"] = t.qualname.rsplit(".", 1)[-1] if isinstance(t, Symbol) else t
            else:
                out[k] = _spec(x, f)
        return out
    if isinstance(v, list):
        return [_spec(x, f) for x in v]
    return v


def _first_missing(x: Any) -> Missing | None:
    if isinstance(x, Missing):
        return x
    if isinstance(x, dict):
        for v in x.values():
            m = _first_missing(v)
            if m is not None:
                return m
    if isinstance(x, list):
        for v in x:
            m = _first_missing(v)
            if m is not None:
                return m
    return None


def _looks_lazy(module: ast.Module) -> bool:
    names: set[str] = set()
    for st in module.body:
        if isinstance(st, (ast.For, ast.While, ast.ClassDef, ast.AsyncFunctionDef)):
            return False
        if isinstance(st, ast.If) and "__name__" in ast.dump(st.test):
            return False
        if isinstance(st, ast.Assign):
            names.update(t.id for t in st.targets if isinstance(t, ast.Name))
        if isinstance(st, ast.ImportFrom):
            names.update(a.asname or a.name for a in st.names)
    return bool(names & {"lr_multiplier", "optimizer"}) or any(n.startswith("lr_multiplier") for n in names)


def read_lazy(doc: ConfigDocument) -> FileFacts | None:
    module = doc.python()
    if not _looks_lazy(module):
        return None
    loader = _LazyLoader(doc.path, doc.display)
    loaded = loader.load(doc.text(), module)
    f = _Facts(loaded, doc.display)
    v = loaded.values
    optimizers: list[OptimizerFact] = []
    on = v.get("optimizer")
    if on is not None and on.is_dict() and on.get("_target_") is not None:
        t = on.get("_target_").value  # type: ignore[union-attr]
        cls = t.qualname if isinstance(t, Symbol) else str(t)
        cls = cls if cls.startswith("torch.optim.") else (f"torch.optim.{cls}" if cls in ("SGD", "AdamW", "Adam")
                                                          else cls)
        given = {k: f.value(x) for k, x in on.items() if k not in ("_target_", "params")}
        params = bind_catalog_args(cls, given, "torch default") if cls.startswith("torch.") else given
        lr = params.pop("lr", Unknown("optimizer.lr is not set"))
        optimizers.append(OptimizerFact(id="opt1", cls=cls, framework="torch", loc=f.loc(on), variable="optimizer",
                                        lr=lr, params=params, lr_arg_loc=f.loc(on.get("lr"))))
    schedulers: list[SchedulerFact] = []
    lm = v.get("lr_multiplier")
    train = v.get("train")
    mi = train.get("max_iter") if train is not None and train.is_dict() else None
    max_iter = f.value(mi, "train.max_iter is not set")
    if lm is not None:
        spec = _spec(lm, f)
        miss = _first_missing(spec)
        mult: Value = Unknown(f"{miss.reason}") if miss is not None else Known(spec, f.value(lm).source
                                                                              if isinstance(f.value(lm), Known) else "")
        if miss is None and isinstance(lm.value, dict):
            mult = Known(spec, f"{lm.origin.file}: lr_multiplier" + (
                "" if lm.origin.file == doc.display else f", inherited by {doc.display}"))
        schedulers.append(SchedulerFact(
            id="sched1", cls="detectron2.solver.LRMultiplier", framework="detectron2", loc=f.loc(lm),
            variable="lr_multiplier", optimizer=optimizers[0].id if optimizers else None,
            optimizer_reason=None if optimizers else "the config sets no optimizer",
            args={"multiplier": mult, "max_iter": max_iter}, arg_locs={"max_iter": f.loc(mi)}, stepped="batch",
            unit="step", horizon=max_iter))
    if not optimizers and not schedulers:
        return FileFacts(path=doc.display, extra={"config": ConfigMeta("detectron2", loaded.files,
                                                                       tuple(f.notes), None)})
    horizon = Horizon(Unknown("detectron2 counts iterations, not epochs"), Unknown("detectron2 counts iterations"),
                      max_iter)
    meta = ConfigMeta("detectron2", loaded.files, tuple(dict.fromkeys(f.notes)),
                      f"{max_iter.value} iterations (train.max_iter)" if isinstance(max_iter, Known) else None)
    return FileFacts(path=doc.display, optimizers=tuple(optimizers), schedulers=tuple(schedulers), horizon=horizon,
                     extra={"config": meta})


class LazyConfigReader:
    family = "detectron2"
    suffixes = (".py",)

    def gate(self, data: bytes) -> bool:
        return b"lr_multiplier" in data or b"LazyCall" in data

    def read(self, doc: ConfigDocument) -> FileFacts | None:
        return read_lazy(doc)


# ------------------------------------------------------------------------------------------------ LR002

def argument_problems(facts: FileFacts, s: SchedulerFact) -> Iterator[tuple[str, str]]:
    a = {k: v.value for k, v in s.args.items() if isinstance(v, Known)}
    name = s.cls.rsplit(".", 1)[-1]
    max_iter = a.get("max_iter")
    if not isinstance(max_iter, (int, float)) or isinstance(max_iter, bool):
        return
    if name == "WarmupMultiStepLR" and isinstance(a.get("steps"), list):
        steps = a["steps"]
        late = [x for x in steps if isinstance(x, (int, float)) and x > max_iter]
        at_end = [x for x in steps if x == max_iter]
        if at_end:
            yield "steps", (f"SOLVER.STEPS contains MAX_ITER ({max_iter}): fvcore's MultiStepParamScheduler raises "
                            f"ValueError (milestone must be smaller than the number of updates) when training starts")
        elif late:
            yield "steps", (f"SOLVER.STEPS {late} {'are' if len(late) > 1 else 'is'} past SOLVER.MAX_ITER "
                            f"({max_iter}): detectron2 drops {'them' if len(late) > 1 else 'it'} with a warning, so "
                            f"{'those decays never happen' if len(late) > 1 else 'that decay never happens'}")
        kept = [x for x in steps if isinstance(x, (int, float)) and x <= max_iter]
        if any(b <= p for p, b in zip(kept, kept[1:])) or (kept and kept[0] <= 0):
            yield "steps", ("SOLVER.STEPS must be positive and increasing: fvcore raises ValueError (milestone must "
                            "be smaller than the next)")
    if name.startswith("Warmup") and a.get("warmup_method") not in ("linear", "constant", None):
        yield "warmup_method", f"WARMUP_METHOD={a['warmup_method']!r}: detectron2 raises ValueError (linear or constant)"
    wi = a.get("warmup_iters")
    if isinstance(wi, (int, float)) and not isinstance(wi, bool) and wi >= max_iter > 0:
        yield "warmup_iters", f"the warm-up lasts SOLVER.WARMUP_ITERS={wi} iterations, at least the whole run " \
                              f"(SOLVER.MAX_ITER={max_iter})"
    if name == "WarmupCosineLR":
        base, end = a.get("base_lr"), a.get("base_lr_end")
        if isinstance(base, (int, float)) and isinstance(end, (int, float)) and base and not 0 <= end / base <= 1:
            yield "base_lr_end", f"BASE_LR_END / BASE_LR = {end / base:g} is outside [0, 1]: detectron2's assertion fails"
    if name == "LRMultiplier" and isinstance(a.get("multiplier"), dict):
        yield from _lazy_problems(a["multiplier"], max_iter)


def _lazy_problems(spec: dict[str, Any], max_iter: float) -> Iterator[tuple[str, str]]:
    t = spec.get("type")
    if t == "WarmupParamScheduler":
        wl = spec.get("warmup_length")
        if isinstance(wl, (int, float)) and wl >= 1:
            yield "multiplier", f"warmup_length={wl:g} is the whole run or more (it is a fraction of train.max_iter)"
        inner = spec.get("scheduler")
        if isinstance(inner, dict):
            yield from _lazy_problems(inner, max_iter)
    if t == "MultiStepParamScheduler":
        from ..catalog.fvcore_sim import SimError, multistep

        try:
            multistep(spec.get("values") or [], spec.get("num_updates"), spec.get("milestones"))
        except SimError as exc:
            yield "multiplier", f"MultiStepParamScheduler: fvcore raises ValueError ({exc}) when it is built"
        except TypeError:
            return


register(YacsReader())
register(LazyConfigReader())

__all__ = ["read_yacs", "read_lazy", "load_yacs", "load_lazy", "argument_problems", "SOLVER_DEFAULTS"]
