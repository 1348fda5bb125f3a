"""Scheduler classes written in the analysed code, simulated under their base class's real protocol.

A ``WarmupMultiStepLR(_LRScheduler)``, a Noam schedule, a vendored ``GradualWarmupScheduler`` that hands over to
an ``after_scheduler``: the analysed class becomes a Python class built for the simulation over torch_sim's exact
re-implementation of its torch base (``LRScheduler``, ``ReduceLROnPlateau``, ``MultiStepLR``...). Every method
the analysed class defines is a stub that runs the method's syntax tree in the safe evaluator
(``evaluate.Session``), so the base's own code calls them exactly where torch would: ``__init__`` stores
``initial_lr``/``base_lrs``/``last_epoch`` and performs the initial ``step()``, ``step()`` increments
``last_epoch`` and writes each group's lr from ``get_lr()`` (``_get_closed_form_lr()`` when given an epoch).
Inside a method, ``self`` is a ``Host`` view: its attributes are the object's own ``__dict__`` (set by the
analysed ``__init__`` or by the base), then the analysed classes' methods and class-level values, then the
base-class methods torch_sim implements; ``super()`` (both spellings) and ``Base.method(self, ...)`` follow
Python's MRO. ``self.optimizer`` is the simulated optimizer (``param_groups`` are its real dicts) and a torch
scheduler passed to the constructor (``after_scheduler``) is the same torch_sim object the script built on that
optimizer, so ``self.after_scheduler.step()`` steps it exactly.

Nothing of the analysed code runs in Python: the evaluator's budgets (steps per call, seconds per call and in
all, depth) bound every call, and a method the evaluator cannot finish makes the curve unknown with its reason.
The rate shown is ``optimizer.param_groups[0]["lr"]`` after each ``step()`` (what training uses).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Mapping, Sequence

from .evaluate import BoundMethod, Budget, ClassToken, EvalError, Host, LiveGroup, NativeMethod, Opaque, Session
from .facts import FunctionValue

#: Budgets of one simulation: each top-level call (construction, one ``step()``) gets a fresh step budget and
#: at most ``CALL_SECONDS``; the whole curve gets ``TOTAL_SECONDS`` (the hand-written schedules' budgets).
CALL_SECONDS = 2.0
TOTAL_SECONDS = 5.0


@dataclass(frozen=True)
class UserClass:
    """A class of the analysed file in a scheduler's class hierarchy."""

    name: str
    bases: tuple[str, ...]  # names of other UserClasses of the plan, or "torch:<ShortName>" for a torch base
    methods: Mapping[str, FunctionValue]
    fields: Mapping[str, Any] = field(default_factory=dict)  # class-level values that are known
    refused: Mapping[str, str] = field(default_factory=dict)  # attribute -> why the evaluator cannot use it


@dataclass(frozen=True)
class ArgRef:
    """A constructor argument that is another object of the script: an optimizer or a scheduler (by id)."""

    kind: str  # "optimizer" | "scheduler"
    id: str


@dataclass(frozen=True)
class UnknownArg:
    reason: str


@dataclass(frozen=True)
class ClassPlan:
    """How to build one scheduler object of a class from the analysed file (``FileFacts.extra["class_plans"]``)."""

    cls: str
    classes: Mapping[str, UserClass]
    args: tuple[Any, ...]  # positional arguments: plain values, ArgRef or UnknownArg
    kwargs: Mapping[str, Any]
    line: int = 0
    # the same call with lengths that depend on len(loader) computed for an assumed loader length (see
    # SchedulerFact.assumed_args), and what was assumed; used when the plan's own arguments are unknown
    assumed: "ClassPlan | None" = None
    assumption: str | None = None
    # a plain class that writes the rate of the optimizer it stores (extract/rate_writers.py): the methods that
    # write it (the script steps the schedule by calling one of them) and those of them that also step the optimizer
    rate_methods: tuple[str, ...] = ()
    steps_optimizer: tuple[str, ...] = ()

    def torch_base(self) -> str | None:
        """The torch class at the root of the hierarchy (``LRScheduler``, ``ReduceLROnPlateau``...)."""
        seen: set[str] = set()
        todo = [self.cls]
        while todo:
            name = todo.pop()
            if name in seen or name not in self.classes:
                continue
            seen.add(name)
            for b in self.classes[name].bases:
                if b.startswith("torch:"):
                    return b[len("torch:"):]
                todo.append(b)
        return None

    def overrides(self, method: str) -> bool:
        return any(method in c.methods for c in self.classes.values())


class ClassSimError(Exception):
    """The class cannot be simulated; the message says why."""


class _Namespace:
    """The classes and objects of one simulation: wraps simulator objects into views and back."""

    def __init__(self, session: Session) -> None:
        from .catalog import torch_sim

        self.session = session
        self.torch_sim = torch_sim
        self.user: dict[type, UserClass] = {}  # built Python class -> the analysed class it stands for
        self.native: set[type] = set(torch_sim._CLASSES.values()) | {torch_sim.LRScheduler}
        self.get_lr_writes = 0  # attribute writes made while get_lr() runs (state kept between steps)
        self.in_get_lr = 0
        self.optimizer_steps: list[float] = []  # the rate of group 0 at each optimizer.step() a method made

    # values across the boundary ------------------------------------------------------------------------
    def wrap(self, v: Any) -> Any:
        if isinstance(v, (self.torch_sim._Optimizer, self.torch_sim.LRScheduler)):
            return _View(v, self)
        if isinstance(v, list) and any(isinstance(x, (self.torch_sim._Optimizer, self.torch_sim.LRScheduler))
                                       for x in v):
            return [self.wrap(x) for x in v]
        return v

    def unwrap(self, v: Any) -> Any:
        if isinstance(v, _View):
            return v.obj
        if isinstance(v, list) and any(isinstance(x, _View) for x in v):
            return [self.unwrap(x) for x in v]
        if isinstance(v, tuple) and any(isinstance(x, _View) for x in v):
            return tuple(self.unwrap(x) for x in v)
        return v

    def display(self, cls: type) -> str:
        u = self.user.get(cls)
        return u.name if u is not None else cls.__name__

    def qualname(self, cls: type) -> str:
        if cls in self.user:
            return f"custom:{self.user[cls].name}"
        return f"torch.optim.lr_scheduler.{cls.__name__}"

    # attribute lookup along the MRO ----------------------------------------------------------------------
    def class_attr(self, cls: type, name: str, receiver: Any, start: int = 0) -> Any:
        if name.startswith("__") and name != "__init__":
            raise EvalError(f"attribute {name} is not read by the evaluator")
        mro = cls.__mro__
        for k in mro[start:]:
            if k is object:
                break
            u = self.user.get(k)
            if u is not None:
                if name in u.refused:
                    raise EvalError(u.refused[name])
                if name in u.methods:
                    return BoundMethod(u.methods[name], receiver, k)
                if name in u.fields:
                    return self.wrap(u.fields[name])
                continue
            if k not in self.native and k is not self.torch_sim._Optimizer:
                continue
            raw = k.__dict__.get(name, _ABSENT)
            if raw is _ABSENT:
                continue
            if isinstance(raw, (bool, int, float, str, type(None))):
                return raw
            if callable(raw) and not name.startswith("_fast"):
                return self._native(raw, name, receiver)
        raise EvalError(f"{self.display(cls)} has no attribute {name}")

    def _native(self, fn: Callable[..., Any], name: str, receiver: Any) -> NativeMethod:
        def impl(args: list[Any], kwargs: dict[str, Any]) -> Any:
            a = [self.unwrap(x) for x in args]
            kw = {k: self.unwrap(v) for k, v in kwargs.items()}
            if receiver is None:  # unbound: Base.method(self, ...)
                if not a:
                    raise EvalError(f"{name}() needs its receiver (self) as the first argument")
                return self.wrap(fn(*a, **kw))
            return self.wrap(fn(receiver.obj, *a, **kw))

        return NativeMethod(name, impl)

    # building the classes -----------------------------------------------------------------------------
    def build(self, plan: ClassPlan) -> type:
        built: dict[str, type] = {}

        def make(name: str, depth: int = 0) -> type:
            if name in built:
                return built[name]
            if depth > 20:
                raise ClassSimError(f"the class hierarchy of {plan.cls} is too deep or circular")
            u = plan.classes[name]
            bases: list[type] = []
            for b in u.bases:
                if b.startswith("torch:"):
                    short = b[len("torch:"):]
                    base = self.torch_sim.LRScheduler if short in ("LRScheduler", "_LRScheduler") \
                        else self.torch_sim._CLASSES.get(short)
                    if base is None:
                        raise ClassSimError(f"{name} subclasses torch's {short}, which is not simulated")
                    bases.append(base)
                elif b in plan.classes:
                    bases.append(make(b, depth + 1))
                else:
                    raise ClassSimError(f"{name} subclasses {b}, which is not known")
            ns: dict[str, Any] = {name_: self._stub(fn_name=name_) for name_ in u.methods if name_ != "__init__"}
            try:
                cls = type(f"_User{len(self.user)}", tuple(bases) or (object,), ns)
            except TypeError as e:
                raise ClassSimError(f"the bases of {name} cannot be combined: {e}") from None
            self.user[cls] = u
            built[name] = cls
            return cls

        return make(plan.cls)

    def _stub(self, fn_name: str) -> Callable[..., Any]:
        space = self

        def stub(obj: Any, *args: Any, **kwargs: Any) -> Any:
            method = space.class_attr(type(obj), fn_name, _View(obj, space))
            counting = fn_name == "get_lr"
            if counting:
                space.in_get_lr += 1
            try:
                result = space.session.call(method, [space.wrap(a) for a in args],
                                            {k: space.wrap(v) for k, v in kwargs.items()})
            finally:
                if counting:
                    space.in_get_lr -= 1
            return space.unwrap(result)

        stub.__name__ = fn_name
        return stub

    def construct(self, cls: type, args: Sequence[Any], kwargs: Mapping[str, Any]) -> Any:
        obj = cls.__new__(cls)
        init = self.class_attr(cls, "__init__", _View(obj, self))
        self.session.call(init, [self.wrap(a) for a in args], {k: self.wrap(v) for k, v in kwargs.items()})
        return obj


_ABSENT = object()


def _nothing(args: list[Any], kwargs: dict[str, Any]) -> None:
    return None


class _View(Host):
    """A simulator object seen by evaluated code (see the module docstring)."""

    __slots__ = ("obj", "space")

    def __init__(self, obj: Any, space: _Namespace) -> None:
        self.obj = obj
        self.space = space

    @property
    def what(self) -> str:  # type: ignore[override]
        return f"the {self.space.display(type(self.obj))} object"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _View) and other.obj is self.obj

    def __hash__(self) -> int:
        return id(self.obj)

    def ev_getattr(self, name: str) -> Any:
        d = self.obj.__dict__
        if name in d:
            return self.space.wrap(d[name])
        if name in ("step", "zero_grad") and isinstance(self.obj, self.space.torch_sim._Optimizer):
            return NativeMethod(name, self._optimizer_step if name == "step" else _nothing)
        return self.space.class_attr(type(self.obj), name, self)

    def _optimizer_step(self, args: list[Any], kwargs: dict[str, Any]) -> None:
        """``self.optimizer.step()`` in a method of a class that drives the optimizer: training uses the rate the
        first group has now."""
        self.space.optimizer_steps.append(float(self.obj.param_groups[0]["lr"]))

    def ev_setattr(self, name: str, value: Any) -> None:
        if name.startswith("__"):
            raise EvalError(f"attribute {name} is not written by the evaluator")
        if isinstance(self.obj, self.space.torch_sim._Optimizer):
            raise EvalError("attributes of the optimizer are not set by the simulation")
        if self.space.in_get_lr and self.obj.__dict__.get(name, _ABSENT) is not value:
            self.space.get_lr_writes += 1
        self.obj.__dict__[name] = self.space.unwrap(value)

    def ev_super(self, owner: Any, name: str) -> Any:
        mro = type(self.obj).__mro__
        if owner not in mro:
            raise EvalError(f"super(): {self.space.display(owner)} is not a class of {self.what}")
        return self.space.class_attr(type(self.obj), name, self, mro.index(owner) + 1)

    def ev_class(self, name: str) -> Any:
        for k in type(self.obj).__mro__:
            if k is not object and (self.space.display(k) == name or
                                    (k in self.space.native and k.__name__ == name)):
                return k
        if name in ("LRScheduler", "_LRScheduler") and isinstance(self.obj, self.space.torch_sim.LRScheduler):
            return self.space.torch_sim.LRScheduler
        return None

    def ev_class_attr(self, owner: Any, name: str) -> Any:
        mro = type(self.obj).__mro__
        return self.space.class_attr(type(self.obj), name, None, mro.index(owner))

    def ev_type(self) -> ClassToken:
        return ClassToken(self.space.qualname(type(self.obj)))

    def ev_isinstance(self, token: ClassToken) -> bool:
        return any(k is not object and self.space.qualname(k) == token.qualname for k in type(self.obj).__mro__)


# ------------------------------------------------------------------------------------------------ running
@dataclass
class ClassRun:
    """A constructed object and how to step it."""

    space: _Namespace
    obj: Any
    optimizer: Any
    plateau: bool

    def lr(self) -> float:
        return float(self.optimizer.param_groups[0]["lr"])

    def step(self) -> None:
        if self.plateau:
            self.obj.step(self.space.torch_sim.PLATEAU_METRIC)
        else:
            self.obj.step()


def start(plan: ClassPlan, optimizer: Any, objects: Mapping[str, Any], optimizer_id: str | None,
          session: Session | None = None) -> ClassRun:
    """Build the class of ``plan`` and construct its object on the simulated ``optimizer``; ``objects`` are the
    torch_sim schedulers already built on it, by scheduler id (constructor arguments that refer to them)."""
    session = session or Session(Budget(max_seconds=CALL_SECONDS), TOTAL_SECONDS)
    # the groups are written in place by the analysed methods (``for g in self.optimizer.param_groups: g["lr"] = x``)
    optimizer.param_groups = [g if type(g) is LiveGroup else LiveGroup(g) for g in optimizer.param_groups]
    space = _Namespace(session)
    cls = space.build(plan)

    def value(v: Any, name: str) -> Any:
        if isinstance(v, ArgRef):
            if v.kind == "optimizer":
                if optimizer_id is not None and v.id != optimizer_id:
                    raise ClassSimError(f"{name} is another optimizer ({v.id}) than the one simulated")
                return optimizer
            if v.id not in objects:
                raise ClassSimError(f"{name} is the scheduler {v.id}, which could not be built")
            return objects[v.id]
        if isinstance(v, UnknownArg):
            return Opaque(f"{name} (unknown: {v.reason})")
        return v

    args = [value(v, f"argument {i + 1}") for i, v in enumerate(plan.args)]
    kwargs = {k: value(v, k) for k, v in plan.kwargs.items()}
    obj = space.construct(cls, args, kwargs)
    plateau = isinstance(obj, space.torch_sim.ReduceLROnPlateau)
    return ClassRun(space, obj, optimizer, plateau)


def is_closed_form(run: ClassRun, plan: ClassPlan) -> bool:
    """True when the value after k steps depends only on ``last_epoch`` (so it can be computed at any k without
    stepping through the ones before): torch's own ``step()``, no child scheduler, a ``get_lr()`` that kept no
    state so far and reads no current rate."""
    if run.plateau or plan.overrides("step") or plan.overrides("_update_lr") or run.space.get_lr_writes:
        return False
    for v in run.obj.__dict__.values():
        if isinstance(v, run.space.torch_sim.LRScheduler) or (
                isinstance(v, list) and any(isinstance(x, run.space.torch_sim.LRScheduler) for x in v)):
            return False
    return not plan.overrides("_get_closed_form_lr") and not _reads_current_lr(plan)


def _reads_current_lr(plan: ClassPlan) -> bool:
    import libcst as cst

    class Finder(cst.CSTVisitor):
        found = False

        def visit_SimpleString(self, node: cst.SimpleString) -> None:
            if node.value.strip("'\"") == "lr":
                self.found = True

        def visit_Attribute(self, node: cst.Attribute) -> None:
            if node.attr.value in ("_last_lr", "get_last_lr"):
                self.found = True

    f = Finder()
    for c in plan.classes.values():
        fn = c.methods.get("get_lr")
        if fn is not None:
            fn.node.visit(f)
    return f.found


def value_at(run_factory: Callable[[], ClassRun], indices: Sequence[int]) -> list[float]:
    """Rates after ``indices[j]`` steps of a closed-form class: ``last_epoch`` is set to k - 1, then one step."""
    run = run_factory()
    out = []
    lr0 = run.lr()
    for k in indices:
        if k == 0:
            out.append(lr0)
            continue
        run.obj.__dict__["last_epoch"] = k - 1
        run.step()
        out.append(run.lr())
    return out


# ------------------------------------------------------------------------ classes that write the rate themselves
def writer_call(run: ClassRun, method: str) -> float | None:
    """Call ``method`` of a rate-writing object once (see extract/rate_writers.py); the rate of group 0 at the
    optimizer step the call made, None when it made none."""
    before = len(run.space.optimizer_steps)
    getattr(run.obj, method)()
    made = run.space.optimizer_steps[before:]
    return made[0] if made else None


def writer_values(run_factory: Callable[[], ClassRun], plan: ClassPlan, method: str, length: int) -> list[float]:
    """The rate of each of ``length`` training steps when the script calls ``method`` once per step.

    A method that steps the optimizer itself (``NoamOpt.step()``: count, write the rate, step): step k trains at
    the rate group 0 has when the (k+1)-th call steps the optimizer. A method that only writes (called next to
    ``optimizer.step()``, as torch schedulers are): the rate after construction, then after each call."""
    run = run_factory()
    if method in plan.steps_optimizer:
        out = []
        for _ in range(length):
            v = writer_call(run, method)
            out.append(run.lr() if v is None else v)
        return out
    out = [run.lr()]
    for _ in range(1, length):
        writer_call(run, method)
        out.append(run.lr())
    return out


@dataclass(frozen=True)
class Counter:
    """The one attribute a rate-writing object's calls change that its rate depends on (``self._step``)."""

    name: str
    start: float  # its value after construction
    change: float  # per call


def writer_counter(run_factory: Callable[[], ClassRun], plan: ClassPlan, method: str) -> Counter | None:
    """The counter when the rate a call writes depends on it alone, so any step can be computed without the
    ones before (a long run is then sampled): the calls change exactly one number by a constant, every other
    attribute they change is never read by the class's methods, and no method reads a group's current rate.
    (writer_value_at checks at each sampled step that the call does write the rate.) None otherwise."""
    if _reads_rate(plan):
        return None
    run = run_factory()
    snaps = [_plain_state(run.obj)]
    for _ in range(3):
        getattr(run.obj, method)()
        snaps.append(_plain_state(run.obj))
    changed = {k for k in set().union(*snaps) if any(a.get(k, _ABSENT) != b.get(k, _ABSENT)
                                                    for a, b in zip(snaps, snaps[1:]))}
    counters = []
    for k in sorted(changed):
        vals = [snap.get(k) for snap in snaps]
        if all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in vals):
            steps = {vals[i + 1] - vals[i] for i in range(3)}  # type: ignore[operator]
            if len(steps) == 1 and 0 not in steps:
                counters.append(Counter(k, vals[0], steps.pop()))  # type: ignore[arg-type]
    if len(counters) != 1:
        return None
    read = _self_reads(plan)
    if any(k in read for k in changed if k != counters[0].name):
        return None
    return counters[0]


def writer_value_at(run_factory: Callable[[], ClassRun], method: str, counter: Counter, inner: bool,
                    indices: Sequence[int]) -> list[float]:
    """The rates of ``writer_values`` at ``indices``, each from one call made with the counter set to what the
    calls before would have left (raises ClassSimError when a call leaves the rate unwritten: it would depend on
    the rate an earlier call wrote). ``inner``: ``writes_before_stepping``, so a training step uses the rate
    written in the same call; otherwise the one the call before wrote (or the constructor's)."""
    run = run_factory()
    lr0 = run.lr()
    out = []
    for k in indices:
        if not inner and k == 0:
            out.append(lr0)
            continue
        calls_before = k if inner else k - 1
        run.obj.__dict__[counter.name] = counter.start + counter.change * calls_before
        for g in run.optimizer.param_groups:
            g["lr"] = float("nan")
        v = writer_call(run, method)
        v = run.lr() if v is None or not inner else v
        if v != v:  # the call did not write the rate
            raise ClassSimError(f"{method}() does not write the rate at every call, so the rate at step {k} "
                                f"depends on the calls before")
        out.append(v)
    return out


def first_written(run_factory: Callable[[], ClassRun], method: str, inner: bool) -> tuple[int, float] | None:
    """(1, rate) when the first training step runs at the optimizer's own rate, before the class writes one: its
    ``__init__`` writes no rate and ``method`` does not write before it steps the optimizer (``inner`` is
    ``writes_before_stepping``); the rate is that of step 1, the first the class wrote. None otherwise."""
    if inner:
        return None
    run = run_factory()
    if _rate_writes(run):
        return None
    writer_call(run, method)
    if not _rate_writes(run):
        return None
    return 1, run.lr()


def _rate_writes(run: ClassRun) -> int:
    """How many times the analysed code has written a group's rate on the run's optimizer (start() made its
    groups LiveGroups)."""
    return sum(g.lr_writes for g in run.optimizer.param_groups)


def writes_before_stepping(run_factory: Callable[[], ClassRun], plan: ClassPlan, method: str) -> bool:
    """``method`` steps the optimizer and, in one call on a fresh object, writes the rate before it does: the
    training step of a call uses the rate that call wrote."""
    if method not in plan.steps_optimizer:
        return False
    run = run_factory()
    for g in run.optimizer.param_groups:
        g["lr"] = float("nan")
    v = writer_call(run, method)
    return v is not None and v == v


def _plain_state(obj: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in obj.__dict__.items():
        if isinstance(v, (bool, int, float, str, type(None))):
            out[k] = v
        elif isinstance(v, (list, tuple)) and all(isinstance(x, (bool, int, float, str, type(None))) for x in v):
            out[k] = tuple(v)
    return out


def _methods(plan: ClassPlan) -> list[Any]:
    return [fn.node for c in plan.classes.values() for name, fn in c.methods.items()
            if name not in ("__init__", "state_dict", "load_state_dict")]


def _self_reads(plan: ClassPlan) -> set[str]:
    """The attributes of ``self`` the class's methods (but ``__init__``) read."""
    import libcst as cst

    class Reads(cst.CSTVisitor):
        def __init__(self) -> None:
            self.stores: set[int] = set()
            self.found: set[str] = set()

        def visit_Assign(self, node: cst.Assign) -> None:
            for t in node.targets:
                for el in (t.target.elements if isinstance(t.target, (cst.Tuple, cst.List)) else [t.target]):
                    self.stores.add(id(getattr(el, "value", el)))

        def visit_Attribute(self, node: cst.Attribute) -> None:
            if isinstance(node.value, cst.Name) and node.value.value == "self" and id(node) not in self.stores:
                self.found.add(node.attr.value)

    v = Reads()
    for node in _methods(plan):
        node.visit(v)
    return v.found


def _reads_rate(plan: ClassPlan) -> bool:
    """A method reads a group's current rate (``g["lr"]`` anywhere but as the target of an assignment)."""
    import libcst as cst

    class Finder(cst.CSTVisitor):
        def __init__(self) -> None:
            self.targets: set[int] = set()
            self.reads = False

        def visit_Assign(self, node: cst.Assign) -> None:
            self.targets.update(id(t.target) for t in node.targets)

        def visit_Subscript(self, node: cst.Subscript) -> None:
            if id(node) in self.targets:
                return
            for el in node.slice:
                key = el.slice
                if isinstance(key, cst.Index) and isinstance(key.value, cst.SimpleString) and \
                        key.value.value.strip("'\"") == "lr":
                    self.reads = True

    f = Finder()
    for node in _methods(plan):
        node.visit(f)
    return f.reads


__all__ = ["ArgRef", "ClassPlan", "ClassRun", "ClassSimError", "Counter", "UnknownArg", "UserClass",
           "first_written", "is_closed_form", "start", "value_at", "writer_call", "writer_counter", "writer_value_at",
           "writer_values", "writes_before_stepping", "EvalError"]
