"""Hydra / OmegaConf YAML configs: the optimizers and schedulers a composed config instantiates, as facts.

A Hydra config tree is reported per *run it defines*:

* a **primary config** (a YAML file at the root of a config directory whose ``defaults`` list chooses
  options of that directory's groups, or the ``config_name`` of a script's ``@hydra.main``) is composed as
  ``hydra.compose(config_name)`` would (``hydra_compose.compose``) and reported in its own file;
* a **group option that is not the default choice** (``experiment/resnet_long.yaml``, ``model/resnet.yaml``)
  is reported in its own file as the primary composed with ``group=option`` (what
  ``python train.py experiment=resnet_long`` runs);
* a default choice (``model/mnist.yaml`` when ``train.yaml`` picks it) is part of the primary's report;
* a YAML file with ``_target_`` objects outside any such tree is read on its own.

In the composed config every mapping whose ``_target_`` is a torch optimizer or scheduler (``_partial_`` or
not) becomes an ``OptimizerFact`` / ``SchedulerFact`` (bound with torch defaults: the torch simulation and rules
apply); each value's source names the file and key that set it after merging and interpolation. A scheduler is
paired with the optimizer beside it (``model.optimizer`` for ``model.scheduler``) or the only optimizer. The run
lasts ``max_epochs`` of a Lightning ``Trainer`` node (Lightning's 1000 when neither ``max_epochs`` nor
``max_steps`` is set); *when* the scheduler is stepped is decided by the code that instantiates it, so
``stepped`` is ``"unknown"`` and the horizon rules stay quiet.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from typing import Any

from ..facts import FileFacts, Horizon, Known, Location, Unknown, Value
from .hydra_compose import ComposeError, Composed, compose
from .instantiated import optimizer_class, optimizer_fact, scheduler_class, scheduler_fact
from .yamlnodes import YamlRefused, load

__all__ = ["HydraRead", "HydraReader", "find_run", "gate", "read_composed", "read_file", "read_hydra"]

Path = tuple[Any, ...]
_TRAINERS = ("lightning.pytorch.Trainer", "lightning.pytorch.trainer.Trainer", "lightning.Trainer",
             "pytorch_lightning.Trainer", "pytorch_lightning.trainer.Trainer",
             "lightning.pytorch.trainer.trainer.Trainer", "pytorch_lightning.trainer.trainer.Trainer")
_MAX_UP = 3


def gate(data: bytes) -> bool:
    return b"_target_" in data or b"defaults:" in data


@dataclass
class HydraRead:
    facts: FileFacts
    files: tuple[str, ...]
    notes: list[str] = field(default_factory=list)
    run: str = ""  # "configs/train.yaml" or "configs/train.yaml with experiment=resnet_long"


@dataclass(frozen=True)
class Run:
    root: str  # config directory on disk
    primary: str  # config name of the primary config ("train")
    overrides: tuple[str, ...]  # ("experiment=resnet_long",) or ()


Reader = Callable[[str], str]


def _open_text(path: str) -> str:
    with open(path, encoding="utf-8-sig") as fh:
        return fh.read(1_000_001)


def _yaml_dict(path: str, read: Reader) -> dict[str, Any] | None:
    try:
        data, _ = load(read(path), omegaconf=True)
    except (OSError, UnicodeDecodeError, YamlRefused):
        return None
    return data if isinstance(data, dict) else None


def _group_choices(data: dict[str, Any]) -> dict[str, Any] | None:
    """The groups a defaults list chooses from (``{"model": "mnist", ...}``), None without a defaults list."""
    raw = data.get("defaults")
    if not isinstance(raw, list):
        return None
    out: dict[str, Any] = {}
    for item in raw:
        if isinstance(item, dict) and len(item) == 1:
            (k, v), = item.items()
            words = str(k).split()
            if words and words[0] == "override":
                continue
            name = words[-1].lstrip("/") if words else ""
            if name:
                out.setdefault(name, v)  # "optim" and "optim@teacher.optim" are different entries
        elif isinstance(item, str) and item != "_self_":
            out[item.split("@")[0].lstrip("/").removeprefix("optional ").strip()] = item
    return out


def find_run(path: str, read: Reader = _open_text) -> tuple[Run | None, str | None]:
    """The run a YAML file stands for, and why it is not reported when it is only part of another's report."""
    path = os.path.abspath(path)
    here = os.path.dirname(path)
    stem = os.path.splitext(os.path.basename(path))[0]
    data = _yaml_dict(path, read)
    if data is None:
        return None, None
    # Is the file an option of a group of some primary config above it?
    root = here
    for _ in range(_MAX_UP):
        parent = os.path.dirname(root)
        if parent == root:
            break
        group = os.path.relpath(here, parent).replace(os.sep, "/")
        for prim in _primaries(parent, read):
            choices = _group_choices(prim[1]) or {}
            top = group.split("/")[0]
            if top not in choices and group not in choices:
                continue
            chosen = choices.get(group, choices.get(top))
            chosen_list = chosen if isinstance(chosen, list) else [chosen]
            if group in choices and stem in [str(c) for c in chosen_list]:
                return None, f"composed into {os.path.basename(prim[0])} (its default {group}: {stem})"
            if group != top:
                # a nested group option (server/db/mysql): reported through its parent option
                return None, f"an option of the nested group {group} of {os.path.basename(prim[0])}"
            return Run(parent, os.path.splitext(os.path.basename(prim[0]))[0], (f"{group}={stem}",)), None
        root = parent
    if _group_choices(data) is not None:
        return Run(here, stem, ()), None
    return Run(here, stem, ()), None


def _primaries(directory: str, read: Reader) -> list[tuple[str, dict[str, Any]]]:
    out = []
    try:
        names = sorted(os.listdir(directory))
    except OSError:
        return out
    for name in names:
        if not name.endswith((".yaml", ".yml")):
            continue
        full = os.path.join(directory, name)
        if not os.path.isfile(full) or os.path.getsize(full) > 1_000_000:
            continue
        data = _yaml_dict(full, read)
        if data is not None and _group_choices(data):
            out.append((full, data))
    return out


def read_file(path: str, display: str, read: Reader = _open_text) -> HydraRead | None:
    """The report of one YAML file of a Hydra tree (None: reported elsewhere or not a Hydra config)."""
    run, _elsewhere = find_run(path, read)
    if run is None:
        return None
    display_root = _display_root(display, path, run.root)
    result = _read_run(run, display, display_root, read)
    if run.overrides and result.facts.schedulers + result.facts.optimizers:
        default = _read_run(Run(run.root, run.primary, ()), display, display_root, read)
        if _signature(default) == _signature(result):
            return None  # choosing this option changes nothing lraudit reports: the primary's report covers it
    return result


def _read_run(run: Run, display: str, display_root: str, read: Reader) -> HydraRead:
    try:
        composed = compose(run.root, run.primary, list(run.overrides), display_root=display_root, read=read)
    except FileNotFoundError as exc:
        raise ComposeError(f"defaults entry {exc} not found") from None
    label = f"{display_root + '/' if display_root else ''}{run.primary}.yaml"
    if run.overrides:
        label += " with " + " ".join(run.overrides)
    return read_composed(composed, display, label)


def _signature(r: HydraRead) -> tuple[Any, ...]:
    def vals(d: dict[str, Value]) -> tuple[Any, ...]:
        return tuple(sorted((k, repr(getattr(v, "value", None)), isinstance(v, Known)) for k, v in d.items()))

    return (tuple((o.cls, repr(o.lr.value), vals(o.params)) for o in r.facts.optimizers),
            tuple((s.cls, s.optimizer, vals(s.args), repr(s.horizon.value),
                   repr(getattr(s.assumed_horizon, "value", None))) for s in r.facts.schedulers))


def _display_root(display: str, path: str, root: str) -> str:
    """How the config root is shown: the part of ``display`` before the file's path inside the root."""
    rel = os.path.relpath(os.path.abspath(path), root).replace(os.sep, "/")
    if display.endswith(rel):
        return display[: -len(rel)].rstrip("/")
    return ""


def _walk(tree: Any, path: Path = ()) -> Iterator[tuple[Path, dict[str, Any]]]:
    if isinstance(tree, dict):
        yield path, tree
        for k, v in tree.items():
            yield from _walk(v, path + (k,))
    elif isinstance(tree, list):
        for i, v in enumerate(tree):
            yield from _walk(v, path + (i,))


def _key(path: Path) -> str:
    out = ""
    for p in path:
        out += f"[{p}]" if isinstance(p, int) else (("." if out else "") + str(p))
    return out


def read_composed(c: Composed, display: str, label: str) -> HydraRead:
    """Facts of a composed config, reported in the file ``display``."""
    notes = list(c.notes)
    loc_of = _Locator(c, display)
    optimizers = []
    schedulers = []
    objects: list[tuple[str, Path, str, dict[str, Any]]] = []
    for path, node in _walk(c.tree):
        target = node.get("_target_")
        if not isinstance(target, str):
            continue
        if "${" in target:
            tv = c.get(path + ("_target_",))
            target = tv.value if isinstance(tv, Known) and isinstance(tv.value, str) else target
        ocls = optimizer_class(target)
        scls = scheduler_class(target) if ocls is None else None
        if ocls:
            objects.append(("optimizer", path, ocls, node))
        elif scls:
            objects.append(("scheduler", path, scls, node))
    horizon = _horizon(c)
    opt_ids: dict[Path, str] = {}
    for kind, path, cls, node in objects:
        if kind != "optimizer":
            continue
        oid = f"opt{len(optimizers) + 1}"
        given, locs = _args(c, path, node, loc_of)
        optimizers.append(optimizer_fact(oid, cls, given, loc_of(path + ("_target_",)), locs, _key(path)))
        opt_ids[path] = oid
    for kind, path, cls, node in objects:
        if kind != "scheduler":
            continue
        sid = f"sched{len(schedulers) + 1}"
        given, locs = _args(c, path, node, loc_of)
        siblings = [p for p in opt_ids if p[:-1] == path[:-1]]
        if len(siblings) == 1:
            oid, why = opt_ids[siblings[0]], None
        elif len(opt_ids) == 1:
            oid, why = next(iter(opt_ids.values())), None
        else:
            oid, why = None, ("the code that instantiates the scheduler passes its optimizer" if not opt_ids else
                              "several optimizers in the config: the code that instantiates the scheduler decides")
        partial = node.get("_partial_") is True
        how = "instantiated with _partial_: true (the code completes it)" if partial else "instantiated by Hydra"
        epochs = horizon.epochs
        run: Value = epochs
        if isinstance(epochs, Known):
            run = Unknown(f"the run lasts {epochs.value} epochs ({epochs.source}); whether the scheduler is stepped "
                          f"once per epoch or per batch is decided by the code that builds it")
        fact = scheduler_fact(
            sid, cls, given, loc_of(path + ("_target_",)), locs, _key(path), optimizer=oid, optimizer_reason=why,
            stepped="unknown", unit="epoch" if isinstance(epochs, Known) else "step", horizon=run,
            description=f"{label}: {_key(path)} ({how}); when it is stepped is decided by the code that builds it",
        )
        if isinstance(epochs, Known):
            # drawn over the run's epochs, labelled as an assumption (rules never read assumed horizons)
            fact = replace(fact, assumed_horizon=Known(epochs.value, f"{epochs.source} ({epochs.value} epochs, drawn "
                                                                     f"as one scheduler step per epoch)"))
        fact = _lightning_stepping(c, path, fact, epochs, display, notes)
        schedulers.append(fact)
    facts = FileFacts(path=display, optimizers=tuple(optimizers), schedulers=tuple(schedulers), horizon=horizon)
    return HydraRead(facts, tuple(c.files), notes, label)


def _lightning_stepping(c: Composed, path: Path, fact: Any, epochs: Value, display: str, notes: list[str]) -> Any:
    """The scheduler at ``path`` is a key of a LightningModule's node (``model.scheduler`` beside ``model._target_:
    src.models.mnist_module.MNISTLitModule``): stepped as that module's ``configure_optimizers`` hands it to
    Lightning (configs/lightning_module.py), over the Trainer's max_epochs."""
    from .lightning_module import Stepping, stepping_of

    if len(path) < 2 or not isinstance(path[-1], str):
        return fact
    parent = c.get(path[:-1] + ("_target_",))
    if not isinstance(parent, Known) or not isinstance(parent.value, str):
        return fact
    got = stepping_of(parent.value, path[-1], os.path.abspath(display))
    if got is None:
        return fact
    if not isinstance(got, Stepping):
        notes.append(f"{_key(path)}: {got}; when it is stepped is not known")
        return fact
    by = (f"{got.cls}.configure_optimizers hands it to Lightning ({got.module}:{got.line}: interval={got.interval!r}, "
          f"frequency={got.frequency}" + (f", monitor={got.monitor!r}" if got.monitor else "") + ")")
    desc = f"{_key(path)} of {parent.value}; {by}"
    f = got.frequency or 1
    from ..facts import StepSite

    every = f"every {f} {'epochs' if got.interval == 'epoch' else 'batches'}" if f > 1 else \
        f"once per {'epoch' if got.interval == 'epoch' else 'batch'}"
    # Lightning passes the monitored metric to ReduceLROnPlateau only; other schedulers get step()
    metric = bool(got.monitor) and fact.cls.endswith("ReduceLROnPlateau")
    site = StepSite(fact.id, "scheduler", "step", Location(got.line, 1, got.line, 1, got.module),
                    "epoch" if got.interval == "epoch" else "batch", None, (),
                    via=f"Lightning steps it {every}: {got.cls}.configure_optimizers returns it with "
                        f"interval={got.interval!r}, frequency={f}",
                    arg=Known(got.monitor, f"monitor={got.monitor!r} of the lr_scheduler config") if metric
                    else None, arg_text=got.monitor if metric else None, arg_kind="metric" if metric else "none")
    fact = replace(fact, step_sites=(site,))
    if got.interval == "epoch":
        horizon: Value = epochs
        if isinstance(epochs, Known) and f > 1:
            horizon = Known(epochs.value // f, f"{epochs.source}, stepped every {f} epochs ({epochs.value} // {f})")
        return replace(fact, stepped="epoch", unit="epoch", horizon=horizon, assumed_horizon=None,
                       horizon_source=getattr(horizon, "source", None), description=desc)
    from ..catalog.mmengine_sim import ASSUMED_EPOCH_LENGTH

    run: Value = Unknown(f"{epochs.value} epochs ({epochs.source}) x batches per epoch, which the dataset decides"
                         + (f", stepped every {f} batches" if f > 1 else "")) if isinstance(epochs, Known) else epochs
    assumed = Known(epochs.value * ASSUMED_EPOCH_LENGTH // f, f"{epochs.value} epochs x {ASSUMED_EPOCH_LENGTH} "
                    f"batches per epoch assumed (the dataset decides)") if isinstance(epochs, Known) else None
    return replace(fact, stepped="batch", unit="step", horizon=run, assumed_horizon=assumed, description=desc)


def _args(c: Composed, path: Path, node: dict[str, Any], loc_of: _Locator) -> tuple[dict[str, Value], dict[str, Location]]:
    given: dict[str, Value] = {}
    locs: dict[str, Location] = {}
    for k in node:
        if not isinstance(k, str) or k.startswith("_") and k.endswith("_"):
            continue
        given[k] = c.get(path + (k,))
        origin = c.origin(path + (k,))
        if origin is not None and origin.file == loc_of.display:
            locs[k] = loc_of(path + (k,))  # other arguments are reported at the object's own line
    return given, locs


def _horizon(c: Composed) -> Horizon:
    steps_unknown: Value = Unknown("the number of batches per epoch is decided by the dataset")
    for path, node in _walk(c.tree):
        if node.get("_target_") not in _TRAINERS:
            continue
        epochs = c.get(path + ("max_epochs",)) if "max_epochs" in node else None
        steps = c.get(path + ("max_steps",)) if "max_steps" in node else None
        total: Value = steps if isinstance(steps, Known) and isinstance(steps.value, int) and steps.value > 0 \
            else steps_unknown
        if isinstance(epochs, Known) and isinstance(epochs.value, int) and epochs.value > 0:
            return Horizon(epochs, steps_unknown, total)
        if isinstance(epochs, Unknown):
            return Horizon(epochs, steps_unknown, total)
        if epochs is None or (isinstance(epochs, Known) and epochs.value is None):
            if isinstance(total, Known):
                return Horizon(Unknown(f"max_steps={total.value} ends the run; its length in epochs depends on the "
                                       f"number of batches per epoch"), steps_unknown, total)
            return Horizon(Known(1000, "Lightning default (max_epochs and max_steps unset: 1000 epochs)"),
                           steps_unknown, total)
        return Horizon(Unknown(f"{_key(path)}.max_epochs={epochs.value!r} (train until stopped)"), steps_unknown,
                       total)
    return Horizon(Unknown("the config has no Lightning Trainer: the training code decides the run's length"),
                   steps_unknown, Unknown("the training code decides the run's length"))


class _Locator:
    """The line in the reported file a composed key is attributed to: the key's own line when the reported file
    sets it, else the line of the reported file's key or defaults entry that brought it in, else line 1."""

    def __init__(self, c: Composed, display: str) -> None:
        self.c = c
        self.display = display

    def __call__(self, path: Path) -> Location:
        o = self.c.origin(path)
        if o is not None and o.file == self.display:
            return Location(o.line, 1, o.line, 1)
        best = None
        for p, origin in self.c.origins.items():
            if origin.file == self.display and len(p) <= len(path) and path[:len(p)] == p:
                if best is None or len(p) > len(best[0]):
                    best = (p, origin)
        if best is not None:
            return Location(best[1].line, 1, best[1].line, 1)
        if o is not None:
            line = self.c.entry_lines.get(o.file)
            if line is not None and self.c.parents.get(o.file) == self.display:
                return Location(line, 1, line, 1)
            chain = o.file
            for _ in range(50):
                over = self.c.override_lines.get(self.c.entry_groups.get(chain, ""))
                if over is not None and over[0] == self.display:
                    return Location(over[1], 1, over[1], 1)
                parent = self.c.parents.get(chain)
                if parent is None:
                    break
                if parent == self.display:
                    line = self.c.entry_lines.get(chain, 1)
                    return Location(line, 1, line, 1)
                chain = parent
        return Location(1, 1, 1, 1)


# ---------------------------------------------------------------------------------------- the reader


def _read_text_recorded(path: str) -> str:
    """Another file of the tree, through ``base.load_file`` (bounded, memoised, recorded as a dependency)."""
    from .base import ConfigError, load_file

    try:
        return load_file(path, "text", lambda data, _p: data.decode("utf-8-sig"))  # type: ignore[no-any-return]
    except ConfigError as exc:
        raise OSError(exc.reason) from None
    except UnicodeDecodeError as exc:
        raise OSError(f"not UTF-8 text: {exc.reason}") from None


def _looks_like_hydra(doc: Any) -> bool:
    """A defaults *list* or a ``_target_`` key: other YAML files that say ``defaults:`` (GitHub workflows) are not
    Hydra configs, and a broken one is only refused when it is clearly Hydra's."""
    try:
        data, _ = load(doc.text(), omegaconf=True)
    except (YamlRefused, ValueError):
        return b"_target_" in doc.data
    if not isinstance(data, dict):
        return False
    return isinstance(data.get("defaults"), list) or any("_target_" in node for _, node in _walk(data))


def read_hydra(doc: Any) -> FileFacts | None:
    from dataclasses import replace

    from .base import ConfigError, ConfigMeta

    if not _looks_like_hydra(doc):
        return None
    try:
        got = read_file(doc.path, doc.display, _read_text_recorded)
    except ComposeError as exc:
        where = f" ({exc.file}:{exc.line})" if exc.file and exc.file != doc.display else ""
        raise ConfigError(f"Hydra config not composed: {exc}{where}",
                          exc.line if exc.file == doc.display else 1) from None
    if got is None or not (got.facts.optimizers or got.facts.schedulers):
        return None
    notes = list(got.notes)
    notes.append(f"composed as {got.run}" if got.run else "")
    return replace(got.facts, extra={"config": ConfigMeta("hydra", got.files, tuple(n for n in notes if n), None)})


class HydraReader:
    family = "hydra"
    suffixes = (".yaml", ".yml")

    def gate(self, data: bytes) -> bool:
        return gate(data)

    def read(self, doc: Any) -> FileFacts | None:
        return read_hydra(doc)


def _register() -> None:
    from . import register

    register(HydraReader())


_register()
