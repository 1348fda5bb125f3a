"""Facts: what one pass over a file learns, as plain frozen data.

Everything after extraction (simulation, rules, rendering) reads these objects only; nothing downstream
walks a syntax tree. Every value is either ``Known(value, source)`` or ``Unknown(reason)``.

Conventions
-----------
* Locations are 1-based lines and 1-based columns (as ruff and SARIF show them).
* Object ids are stable within a file: ``opt1, opt2, ...`` and ``sched1, sched2, ...`` in source order.
* ``FunctionValue`` stands for a callable defined in the analysed file (a lambda or a ``def``); the
  simulator calls it through the safe evaluator, never through Python.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal, Union

# --------------------------------------------------------------------------------------------- values


@dataclass(frozen=True)
class Known:
    """A value lraudit resolved, with where it came from in words a newcomer understands."""

    value: Any
    source: str

    @property
    def known(self) -> bool:
        return True


@dataclass(frozen=True)
class Unknown:
    """A value lraudit could not resolve, with a reason a person can act on."""

    reason: str
    # a value computed from run-time sizes: the expression it is, in those sizes (``len(train_loader) * 3``)
    expression: str | None = None

    @property
    def known(self) -> bool:
        return False

    value = None


Value = Union[Known, Unknown]


def is_known(v: object) -> bool:
    return isinstance(v, Known)


def known_number(v: Value | None) -> float | None:
    """The numeric value of ``v`` when it is a Known int/float (not bool), else None."""
    if isinstance(v, Known) and isinstance(v.value, (int, float)) and not isinstance(v.value, bool):
        return v.value
    return None


@dataclass(frozen=True, eq=False)
class FunctionValue:
    """A callable from the analysed file (lambda, def, or a closure returned by a call).

    ``node`` is the libcst node (Lambda or FunctionDef); ``name`` is the def name or ``lambda``;
    ``line`` is where it is defined. ``bound`` maps parameter names already bound (closures, partials).
    ``scope`` is an opaque handle the evaluator uses to resolve free names (see evaluate.py).
    """

    node: Any
    name: str
    line: int
    scope: Any = None
    bound: tuple[tuple[str, Any], ...] = ()
    file: str = ""  # the repository module that defines it (its display path); "" for the analysed file

    @property
    def place(self) -> str:
        """Where it is defined, in words: ``util/lr_sched.py:9`` in another module, ``line 9`` in this file."""
        return f"{self.file}:{self.line}" if self.file else f"line {self.line}"

    def __repr__(self) -> str:  # stable, human readable (used in JSON and text output)
        return f"<function {self.name} at {self.place}>"


# ------------------------------------------------------------------------------------------ locations


@dataclass(frozen=True, order=True)
class Location:
    line: int
    column: int
    end_line: int
    end_column: int
    file: str = ""  # another file of the repository (its display path); "" for the analysed file

    @property
    def place(self) -> str:
        """Where it is, in words: ``transformer/Optim.py:32`` in another module, ``line 32`` in the analysed file."""
        return f"{self.file}:{self.line}" if self.file else f"line {self.line}"

    @staticmethod
    def unknown() -> "Location":
        return Location(1, 1, 1, 1)


# ------------------------------------------------------------------------------------- call syntax


@dataclass(frozen=True)
class KeywordArg:
    """A ``name=value`` argument written in a constructor call, with the spans a fix needs."""

    name: str
    name_loc: Location  # the keyword itself
    loc: Location  # ``name=value`` without its comma
    value_loc: Location  # the value expression
    removal: Location  # what deleting the argument removes (with the comma and space that go with it)
    value_text: str  # the value as written


@dataclass(frozen=True)
class CallSyntax:
    """How a constructor call is written: the callee as written and its keyword arguments (for fixes)."""

    callee: str  # "keras.optimizers.SGD", "SGD", "lr_scheduler.StepLR"
    loc: Location
    keywords: tuple[KeywordArg, ...] = ()
    star: bool = False  # *args or **kwargs in the call

    def keyword(self, name: str) -> KeywordArg | None:
        for k in self.keywords:
            if k.name == name:
                return k
        return None


# ------------------------------------------------------------------------------------------- objects

Framework = Literal["torch", "keras", "hf", "lightning", "timm", "manual", "accelerate",
                    # schedule families that configuration files build (configs/)
                    "mmengine", "mmcv", "detectron2", "deepspeed", "ignite",
                    # optimizer libraries whose optimizers torch's schedulers drive (catalog/apex.py, bitsandbytes.py)
                    "apex", "bitsandbytes",
                    # an object of unknown class: a parameter or attribute used as an optimizer or scheduler
                    "unknown"]
LoopContext = Literal["batch", "epoch", "outside", "unknown"]
Stepped = Literal["epoch", "batch", "both", "never", "unknown"]


@dataclass(frozen=True)
class ParamGroupFact:
    """One parameter group of an optimizer built from a list of dicts."""

    lr: Value
    loc: Location


@dataclass(frozen=True)
class OptimizerFact:
    id: str
    cls: str  # fully qualified public name, e.g. torch.optim.SGD
    framework: Framework
    loc: Location
    variable: str | None  # "optimizer", "self.optimizer", None when not kept
    lr: Value  # lr of the first group (the one get_last_lr()[0] reports)
    params: dict[str, Value] = field(default_factory=dict)  # every bound argument except the parameters
    groups: tuple[ParamGroupFact, ...] = ()
    loop_id: str | None = None  # innermost loop the construction sits in (LR303)
    function: str | None = None  # enclosing function qualname ("Trainer.__init__"), None at module level
    lr_arg_loc: Location | None = None  # where the lr argument is written, for precise findings
    lr_is_schedule: str | None = None  # Keras: id of the schedule object passed as learning_rate
    conditional: bool = False  # built under an if/try inside its innermost loop (or function)
    # an alternative of the run analysed: the conditions (not known) under which it is built, in words
    when: str | None = None
    imported_as: str | None = None  # the qualified name as the file imports it (tensorflow.keras.optimizers.SGD)
    call: CallSyntax | None = None  # the constructor call as written (None when a framework builds it)
    # why the optimizer only probes a schedule (to plot or print its rates) instead of training a model, in
    # words ("its parameters are stand-alone tensors (line 9) and nothing calls backward()"); None when it trains
    probe: str | None = None
    # cls == "unknown": a parameter or attribute used as an optimizer, whose class is set where it is passed in
    class_reason: str | None = None
    # ``lr`` unknown only because of a run-time size (``args.lr * args.batch_size * get_world_size() / 256``): its
    # value with that size assumed (one process, the assumed loader length), so a curve can still show the shape
    assumed_lr: Value | None = None


@dataclass(frozen=True)
class StepSite:
    """A call of ``X.step(...)`` (or ``step_update``/``apply_gradients``...) on a tracked object."""

    target: str  # object id (optimizer or scheduler)
    kind: Literal["scheduler", "optimizer"]
    method: str  # "step", "step_update", ...
    loc: Location
    context: LoopContext  # where it runs relative to the training loops
    loop_id: str | None  # innermost enclosing loop (after following calls, the caller's loop)
    order: tuple[int, ...]  # sort key of the position inside the loop body (for step-order checks)
    via: str | None = None  # "train_one_epoch() called from the epoch loop at line 80"
    arg: Value | None = None  # first positional argument (metric or epoch), None when no argument
    arg_text: str | None = None  # source text of the argument, e.g. "val_loss", "epoch"
    arg_kind: Literal["metric", "epoch", "none", "other"] = "none"
    conditional: bool = False  # under an if inside the loop
    # what the argument stands for (extract/metrics.py): (expression text, order reversed) through assignments,
    # wrappers (round, .item(), 1 - x...), local returns and callers; the argument itself first
    arg_trace: tuple[tuple[str, bool], ...] = ()
    # the branch arms under which this call reaches this target: the call's own and those of the binding it
    # goes through (``scheduler = SequentialLR(...)`` in an if, ``scheduler = main`` in the else);
    # two sites whose arms of one branch do not overlap never both run (see ``arms_exclusive``)
    arms: tuple[tuple[int, tuple[int, ...]], ...] = ()
    # reached through calls (``via``): the arms of the call the loop's own body makes, in the same form
    call_arms: tuple[tuple[int, tuple[int, ...]], ...] = ()
    # the argument as a series over its loop's iterations (``step(epoch)`` in ``for epoch in range(1, 20)``):
    # (value at the first call, change per call); None when it is not such a series
    arg_series: tuple[int, int] | None = None
    arg_keyword: str | None = None  # the keyword the argument is passed with (``metrics`` in step(metrics=x))


def arms_exclusive(a: tuple[tuple[int, tuple[int, ...]], ...], b: tuple[tuple[int, tuple[int, ...]], ...]) -> bool:
    """Two facts (by their ``arms``) that lie in different arms of one branch: alternatives, never both in a run."""
    if not a or not b:
        return False
    mine = dict(a)
    return any(bid in mine and not set(mine[bid]) & set(arms) for bid, arms in b)


@dataclass(frozen=True)
class LoopFact:
    id: str
    loc: Location
    kind: Literal["epoch", "batch", "iteration", "unknown"]
    parent: str | None
    target_text: str  # the loop variable(s)
    iter_text: str  # the iterable source text (truncated)
    count: Value  # number of iterations when it is a range(...) with known bounds
    function: str | None = None


@dataclass(frozen=True)
class Horizon:
    """How long the script trains, as far as the script states it."""

    epochs: Value
    steps_per_epoch: Value
    total_steps: Value  # optimizer steps over the run (epochs * steps_per_epoch, max_steps, ...)
    epoch_loop: str | None = None  # loop id
    batch_loop: str | None = None


@dataclass(frozen=True)
class DeadBranch:
    """An ``elif`` test (or a conditional expression's) of a schedule function that never holds when it is reached:
    an earlier test of the same chain holds whenever it does (``epoch >= 160`` after ``epoch >= 120``)."""

    loc: Location  # the dead test
    test: str
    earlier: str  # the earlier test that catches every case first
    earlier_loc: Location
    function: str  # the function that holds the chain


@dataclass(frozen=True)
class SchedulerFact:
    id: str
    cls: str  # fully qualified public name or "custom:<ClassName>" / "manual:<function>"
    framework: Framework
    loc: Location
    variable: str | None
    optimizer: str | None  # optimizer id, None when unknown or not applicable
    optimizer_reason: str | None  # why optimizer is None
    args: dict[str, Value]  # bound arguments with defaults filled in (source "torch default")
    arg_locs: dict[str, Location] = field(default_factory=dict)
    children: tuple[str, ...] = ()  # SequentialLR / ChainedScheduler components (scheduler ids)
    parent: str | None = None  # the wrapper this scheduler belongs to
    step_sites: tuple[StepSite, ...] = ()
    stepped: Stepped = "unknown"
    unit: Literal["epoch", "step"] = "epoch"  # the unit its lengths are sized in (by convention/evidence)
    horizon: Value = field(default_factory=lambda: Unknown("no training loop found"))
    horizon_source: str | None = None
    loop_id: str | None = None
    function: str | None = None
    kept: bool = True  # False when the result of the constructor is discarded
    custom_get_lr: Location | None = None  # custom subclasses: where get_lr is defined
    description: str | None = None  # for custom/manual schedules
    interval: Value | None = None  # Lightning interval ("epoch"/"step") when returned from configure_optimizers
    monitor: Value | None = None  # plateau monitor (Lightning/Keras)
    # When arguments depend on len(loader), the same arguments with an assumed loader length, so the shape
    # can still be shown (clearly labelled); rules must not treat these as facts.
    assumed_args: dict[str, Value] | None = None
    assumed_horizon: Value | None = None
    conditional: bool = False  # built under an if/try inside its innermost loop (or function)
    # every optimizer the optimizer argument may be (an if/else builds one of several); ``optimizer`` is the first
    optimizer_candidates: tuple[str, ...] = ()
    # a call this file cannot see into that receives the scheduler ("run_epoch_hooks() at line 40"): it may step
    # it there, so a scheduler with no step() of its own is "unknown", not "never"
    handed_to: str | None = None
    arg_texts: dict[str, str] = field(default_factory=dict)  # source text of each written argument
    # SequentialLR/ChainedScheduler whose list holds an element chosen by a branch (``[warmup, main]`` where
    # ``main`` is built in an if and in an else): the candidates of each element, in list order; empty when every
    # element is one scheduler (``children`` then is the list itself)
    child_choices: tuple[tuple[str, ...], ...] = ()
    # an alternative of the run analysed: the conditions (not known) under which it is built, in words
    when: str | None = None
    call: CallSyntax | None = None  # the constructor call as written (None when a framework builds it)
    # arguments unknown only because of a run-time size, in terms of it: {"num_training_steps": "3 x len(loader)"}
    sizes: dict[str, str] = field(default_factory=dict)
    # cls == "unknown": a parameter or attribute used as a scheduler, whose class is set where it is passed in
    class_reason: str | None = None
    # tests of the schedule's own function that can never hold when reached (extract/dead_branches.py)
    dead_branches: tuple["DeadBranch", ...] = ()


@dataclass(frozen=True)
class LrWrite:
    """A manual write of a learning rate: ``group["lr"] = x``, ``K.set_value(opt.lr, x)``..."""

    optimizer: str | None
    loc: Location
    value_text: str
    context: LoopContext
    loop_id: str | None
    function: str | None
    value: Value | None = None
    conditional: bool = False  # under an if inside its loop
    code: str = ""  # the value as written, on one line, up to 400 characters (``value_text`` is cut for messages)


@dataclass(frozen=True)
class CheckpointFact:
    """A ``torch.save``/``save_checkpoint`` site and which state dicts it includes."""

    loc: Location
    saves_optimizer: bool
    saves_scheduler: bool
    kind: Literal["save", "load"] = "save"


@dataclass(frozen=True)
class ComputedLr:
    """A learning rate computed into a variable (``lr = adjust(...)``) that never reaches an optimizer."""

    loc: Location
    name: str
    reason: str


@dataclass(frozen=True)
class FileFacts:
    path: str
    optimizers: tuple[OptimizerFact, ...] = ()
    schedulers: tuple[SchedulerFact, ...] = ()
    loops: tuple[LoopFact, ...] = ()
    horizon: Horizon = field(
        default_factory=lambda: Horizon(Unknown("no epoch loop found"), Unknown("no batch loop found"),
                                        Unknown("no training length found"))
    )
    lr_writes: tuple[LrWrite, ...] = ()
    checkpoints: tuple[CheckpointFact, ...] = ()
    optimizer_steps: tuple[StepSite, ...] = ()
    unapplied_lrs: tuple[ComputedLr, ...] = ()
    extra: dict[str, Any] = field(default_factory=dict)  # framework adapters' facts (keras fit, lightning...)

    def optimizer(self, oid: str | None) -> OptimizerFact | None:
        for o in self.optimizers:
            if o.id == oid:
                return o
        return None

    def scheduler(self, sid: str | None) -> SchedulerFact | None:
        for s in self.schedulers:
            if s.id == sid:
                return s
        return None

    def loop(self, lid: str | None) -> LoopFact | None:
        for lp in self.loops:
            if lp.id == lid:
                return lp
        return None
