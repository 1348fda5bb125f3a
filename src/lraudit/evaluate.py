"""The safe, bounded evaluator for user schedule functions.

lraudit must know what ``LambdaLR(opt, lambda epoch: 0.95 ** epoch)``, a nanoGPT ``get_lr(it)`` or an
ImageNet ``adjust_learning_rate(optimizer, epoch)`` compute, without running the analysed code. This module
is a small interpreter over the libcst tree of such functions. It never calls Python's ``eval``, ``exec``,
``compile`` or ``__import__``, never imports anything the analysed code names, and never reads an attribute
of a Python object by a name the analysed code gives: attribute access is limited to names the resolver
resolves (``args.lr``, ``self.warmup``), a fixed table of ``math``/``numpy`` functions and constants, and
``.param_groups`` of an unknown object (see below).

What it evaluates
-----------------
* numbers (int, float, bool; no complex), str, None, tuples, lists, dicts, sets, ``range``;
* arithmetic, comparisons (chained), ``and``/``or``/``not``, conditional expressions, subscripts and slices,
  comprehensions (generator expressions are evaluated eagerly), ``:=``;
* ``if``/``elif``/``else``, ``for`` (with ``break``/``continue``/``else``), ``while``, assignments (augmented,
  annotated, tuple unpacking), ``return``, ``pass``, ``assert``, nested ``def`` and ``lambda`` with closures
  (Python's late binding), default and keyword arguments, ``*args``/``**kwargs`` parameters;
* built-ins: ``abs all any bool dict divmod enumerate float int isinstance len list max min pow range
  reversed round sorted str sum tuple zip`` and ``print`` (a no-op whose arguments are not evaluated);
* methods of values from a fixed table (value_methods.py): the pure ``str`` methods, ``dict.get/keys/values/
  items``, ``pathlib`` paths (``Path(f).suffix.lower()``, ``ROOT / "data"``, ``p.parent.name``) and the read-only
  file-system queries ``os.path.isfile/isdir/exists`` / ``Path.exists/is_file/is_dir``, answered only when the
  caller passes a ``FileSystemView`` (paths inside one repository root) and refused otherwise;
* objects of plain classes of the analysed code (instances.py): calling a ``Constructible`` builds a ``Host`` and
  runs its ``__init__``; a host whose class defines ``__call__`` is callable; ``isinstance(obj, Cls)``;
* ``math.*`` and the scalar part of ``numpy.*`` (see ``_MATH_TABLE`` and ``_NUMPY_TABLE``), found through
  ``Resolver.qualified``. When the resolver says a name is not an import and cannot resolve it either, a
  dotted name rooted at ``math``, ``np`` or ``numpy`` still means that module (a script that forgot the
  import would crash anyway; a resolver that missed a function-level import should not cost the curve).

What it refuses (``EvalError`` with a reason a person can act on)
---------------------------------------------------------------
Calls of unknown functions (``open``, ``__import__``, ``getattr``, ``exec``...), attribute access on values
(other than the fixed table above),
imports, ``global``/``nonlocal``, ``try``/``with``, ``class``, ``yield``, ``await``, ``del``, f-strings,
``%`` string formatting, bytes and complex literals, decorated nested functions; integers over
``Budget.max_int_bits`` (``10 ** 10 ** 10`` and ``1 << 10 ** 6`` are refused before anything is computed),
sequences over ``Budget.max_container`` (``'a' * 10 ** 9``, ``[0] * 10 ** 9``), float overflow (``1e308 *
10`` is an error here, not ``inf``), division by zero, complex results, more than ``Budget.max_steps`` node
evaluations, ``Budget.max_seconds`` of time, or ``Budget.max_depth`` nested calls.

Manual learning-rate writes
---------------------------
``g['lr'] = v`` inside a function never fails: ``call_function_recording`` returns every value written to a
subscript ``['lr']``, in order. ``X.param_groups`` where ``X`` is unknown (a free name the resolver cannot
resolve, or an ``Opaque`` argument) is a list of placeholder parameter groups (one empty dict unless the
``Opaque`` says otherwise), so ``for g in optimizer.param_groups: g['lr'] = lr`` records one write per group.

Budgets and repeated calls
--------------------------
Each top-level call gets a ``Budget`` (steps, seconds, integer bits, call depth, container sizes) shared by
all the calls it makes. ``make_callable`` gives every call a fresh step budget under a shared time budget
and asks the resolver about each name once; pass one ``EvalCache`` to repeated ``call_function``,
``call_function_recording`` or ``evaluate_expression`` calls for the same saving.

FunctionValue conventions
-------------------------
``FunctionValue.bound`` pairs whose name is a parameter of the function bind that parameter: one without a
default in the signature is pre-bound like ``functools.partial`` does (positional arguments skip it, so
``partial(f, 100)`` for ``def f(warmup, step)`` is ``bound=(("warmup", 100),)``); one with a default gets a new
default (positional arguments still fill it). A keyword argument of the call overrides either. Other pairs
are closure variables. A def or lambda created during evaluation that leaves the evaluator (returned,
or stored in a returned container) becomes a ``FunctionValue`` whose ``bound`` holds its defaults (as
evaluated when it was created) and the enclosing variables it reads (as they were when the evaluation
ended, which is Python's late binding; a recursive closure finds itself there). Its ``scope`` is the same
resolver; its ``line`` is computed from the enclosing function's line (0 when that is unknown, e.g. under
``evaluate_expression``).
"""

from __future__ import annotations

import bisect
import math
import sys
import time
import unicodedata
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Iterator, Mapping, Protocol, Sequence

import libcst as cst
from libcst.metadata import MetadataWrapper, PositionProvider

from lraudit.facts import FunctionValue, Known, Unknown
from lraudit.numpy_arrays import NumArray, elementwise
from lraudit.value_methods import BoundValueMethod, FileSystemView, MethodRefused, PathValue, path_join, \
    value_attribute

__all__ = [
    "Budget",
    "Constructible",
    "EvalCache",
    "EvalError",
    "BoundMethod",
    "Host",
    "NativeMethod",
    "Opaque",
    "Resolver",
    "Session",
    "call_function",
    "call_function_recording",
    "evaluate_expression",
    "make_callable",
    "call_value",
]


# ------------------------------------------------------------------------------------------ public API


#: The clock of every time budget: CPU time of the running thread, so what fits in a budget does not depend on
#: how busy the machine is (a loaded CI runner gives the same curves and the same output as an idle laptop).
clock = time.thread_time


class EvalError(Exception):
    """The evaluator refused or failed; the message is a reason a person can act on."""


@dataclass
class Budget:
    """Bounds of one evaluation (one top-level call, including every nested call it makes)."""

    max_steps: int = 200_000  # node evaluations per top-level call (shared across nested calls)
    max_seconds: float = 0.5
    max_int_bits: int = 4096  # refuse ints larger than this (** and << are refused before computing)
    max_depth: int = 64  # call/recursion depth
    max_container: int = 100_000  # list/str/dict sizes
    # float arithmetic as tensors do it (IEEE 754): ``x / 0.0`` is inf or nan, ``0.0 ** -0.5`` is inf and an
    # overflow is inf, instead of the Python error; for code that runs on tensors (a Keras schedule's
    # ``__call__(step)``, where ``rsqrt(0)`` is inf and ``minimum(inf, 0.0)`` is 0)
    ieee_floats: bool = False


class Resolver(Protocol):
    """How the evaluator learns about names that are not local to the evaluated function."""

    def qualified(self, node: cst.BaseExpression) -> str | None:
        """Import-resolved dotted name of a Name/Attribute (``math.cos``, ``numpy.pi``), None if not an import."""

    def resolve(self, node: cst.BaseExpression) -> Any:
        """Value of a free Name/Attribute (plain value or FunctionValue); raises EvalError(reason) if unknown."""

    def function(self, name: str) -> FunctionValue | None:
        """A def in the analysed file, by name."""


@dataclass(frozen=True, eq=False)
class Opaque:
    """An object the evaluator knows nothing about: an optimizer, ``self``, an ``args`` namespace.

    Pass it as an argument for parameters whose value is unknown. It may be stored, passed on and compared
    by identity, but not used in arithmetic, indexed or called. ``X.param_groups`` on it yields copies of
    ``param_groups`` (one empty group by default), so manual ``g['lr'] = ...`` writes can be recorded and
    ``g['lr'] *= 0.1`` can work when the caller supplies ``{"lr": current}``. ``X.attr`` otherwise asks the
    resolver (``args.lr``, ``self.warmup``).
    """

    what: str = "an unknown object"
    param_groups: tuple[Mapping[str, Any], ...] = ({},)


class EvalCache:
    """Resolver answers reused across evaluations that share this object.

    Pass the same ``EvalCache`` to every call that evaluates one schedule (a simulator calls ``get_lr(it)``
    thousands of times): each free name is then asked of the resolver once, not once per call. Only use it
    while the resolvers' answers do not change. ``make_callable`` keeps one of its own.
    """

    def __init__(self) -> None:
        self.entries: dict[tuple[int, int], tuple[Any, Any, bool, Any]] = {}

    def clear(self) -> None:
        self.entries.clear()


class Host:
    """An object of a simulator that evaluated code may read and write attributes of (``self`` of a scheduler
    class from the analysed file, its optimizer, a torch scheduler it wraps; see ``class_sim``).

    The evaluator never reads a Python attribute by a name the analysed code gives: it asks the host, which
    answers from its own tables (the object's ``__dict__``, the analysed class's methods and fields, the few
    base-class methods the simulator implements). Subclasses override the ``ev_*`` methods; each raises
    ``EvalError`` (or ``LookupError``) for a name it does not have.
    """

    what: str = "an object"
    takes_classes: bool = False  # ev_isinstance accepts Constructible classes, not only ClassTokens

    def ev_getattr(self, name: str) -> Any:
        raise EvalError(f"{self.what} has no attribute {name} the evaluator can read")

    def ev_setattr(self, name: str, value: Any) -> None:
        raise EvalError(f"attributes of {self.what} cannot be set")

    def ev_super(self, owner: Any, name: str) -> Any:
        """``super().name`` inside a method defined in ``owner``."""
        raise EvalError(f"super() is not available on {self.what}")

    def ev_class(self, name: str) -> Any:
        """The class called ``name`` among this object's classes (``super(Name, self)``, ``Name.method(self)``),
        or None."""
        return None

    def ev_class_attr(self, owner: Any, name: str) -> Any:
        """``Owner.name`` read through the class (an unbound method)."""
        raise EvalError(f"{name} of {owner!r} cannot be read")

    def ev_type(self) -> "ClassToken":
        """What ``type(host)`` compares equal to."""
        raise EvalError(f"the type of {self.what} is unknown")

    def ev_isinstance(self, token: "ClassToken") -> bool:
        raise EvalError(f"the type of {self.what} is unknown")

    def ev_number(self) -> Any:
        """The number this object stands for in arithmetic, comparisons and ``float()`` (a Keras rate variable)."""
        raise EvalError(f"{self.what} is not a number")

    def ev_getitem(self, key: Any) -> Any:
        """``host[key]``."""
        raise EvalError(f"{self.what} cannot be indexed")

    def ev_call_target(self) -> Any:
        """What ``host(...)`` calls (a bound ``__call__``), or None when the object is not callable."""
        return None

    def ev_export(self, export: Callable[[Any], Any]) -> None:
        """Make the object's state plain values (``export`` turns evaluator values into plain ones) before it
        leaves an evaluation; objects without state of their own do nothing."""

    def ev_copy(self) -> "Host":
        """An independent copy for a new simulation (objects without state of their own return themselves)."""
        return self


class Constructible:
    """A class of the analysed code that evaluated code may instantiate (``Warmup(10)``; see instances.py).

    Calling it makes a new host object and runs its ``__init__`` (if any) on the call's arguments in the same
    evaluation, under the same budgets."""

    what: str = "a class"

    def ev_new(self) -> tuple[Host, Any]:
        """A new, empty object and its ``__init__`` to call (a BoundMethod), or None when it has none."""
        raise EvalError(f"{self.what} cannot be instantiated")

    def ev_token(self) -> ClassToken:
        """The ``ClassToken`` (``custom:Name``) other hosts compare their classes with."""
        raise EvalError(f"the type of {self.what} is unknown")


@dataclass(frozen=True)
class NameScope:
    """What ``tf.name_scope(name)`` gives: a context manager that changes nothing the evaluator computes."""

    name: str


@dataclass(frozen=True)
class ClassToken:
    """A library class named in evaluated code (``ReduceLROnPlateau`` in ``type(s) != ReduceLROnPlateau`` or
    ``isinstance(s, ReduceLROnPlateau)``): compared with what ``type()`` of a host gives, never instantiated."""

    qualname: str


@dataclass(frozen=True, eq=False)
class BoundMethod:
    """A method of the analysed code bound to a host: calling it runs ``fn`` with ``receiver`` first.
    ``owner`` is the class that defines it (what ``super()`` inside it starts from); ``receiver`` None means
    unbound (``Base.method(self, ...)``: the caller passes the receiver)."""

    fn: FunctionValue
    receiver: Any
    owner: Any


@dataclass(frozen=True, eq=False)
class NativeMethod:
    """A method the simulator implements (torch's base-class protocol): ``impl(args, kwargs)``."""

    name: str
    impl: Callable[[list[Any], dict[str, Any]], Any]


class Session:
    """Calls into evaluated code from a simulator that drives host objects, re-entrantly.

    A call made while another is running (a base-class ``step()`` the simulator implements calls the analysed
    class's ``get_lr()``) runs in the same evaluation: the same step budget, depth and time. A top-level call
    gets a fresh step budget under ``budget.max_seconds`` and all top-level calls together get ``total_seconds``.
    """

    def __init__(self, budget: Budget | None = None, total_seconds: float = 5.0) -> None:
        self.budget = budget or Budget()
        self.total = total_seconds
        self.spent = 0.0
        self.shared: dict = {}
        self._stack: list[_Machine] = []

    def call(self, callee: Any, args: Sequence[Any] = (), kwargs: Mapping[str, Any] | None = None) -> Any:
        if self._stack:
            return self._stack[-1].call(callee, list(args), dict(kwargs or {}), None)
        remaining = self.total - self.spent
        if remaining <= 0:
            raise EvalError(f"time budget exceeded: the evaluation took more than {self.total:g} s in all")
        m = _Machine(self.budget, min(self.budget.max_seconds, remaining), self.shared)
        self._stack.append(m)
        t0 = clock()
        try:
            with _recursion_room(self.budget):
                return m.call(callee, list(args), dict(kwargs or {}), None)
        except _Refusal as e:
            raise EvalError(f"{e}{m.where()}") from None
        except RecursionError:
            raise EvalError("recursion too deep") from None
        finally:
            self._stack.pop()
            self.spent += clock() - t0


def call_function(fn: FunctionValue, args: Sequence[Any], kwargs: Mapping[str, Any] | None = None,
                  budget: Budget | None = None, *, cache: EvalCache | None = None,
                  filesystem: FileSystemView | None = None) -> Any:
    """Call ``fn`` with plain-value arguments inside the evaluator and return its (plain) result.

    ``filesystem`` answers the read-only file-system queries (``os.path.isfile``, ``Path.exists``) the code makes,
    inside one repository root; without it they are refused."""
    return _run_call(fn, args, kwargs, budget or Budget(), None, cache.entries if cache else None, filesystem)[0]


def call_value(callee: Any, args: Sequence[Any], kwargs: Mapping[str, Any] | None = None,
               budget: Budget | None = None, *, filesystem: FileSystemView | None = None) -> Any:
    """Call any callee the evaluator knows (a ``FunctionValue``, a ``Constructible`` class of the analysed code, a
    ``BoundMethod``) with plain-value arguments; a host object in the result is handed back with its state made
    plain (``ev_export``). Raises EvalError."""
    b = budget or Budget()
    m = _Machine(b, b.max_seconds, None, filesystem)
    with _recursion_room(b):
        try:
            a = [m.import_value(v) for v in args]
            kw = {str(k): m.import_value(v) for k, v in (kwargs or {}).items()}
            result = m.call(callee, a, kw, None)
            if isinstance(result, Host):
                result.ev_export(m.export)
            return m.export(result)
        except _Refusal as e:
            raise EvalError(f"{e}{m.where()}") from None
        except RecursionError:
            raise EvalError("expression or calls nested too deeply") from None
        except MemoryError:
            raise EvalError("out of memory") from None


def call_function_recording(fn: FunctionValue, args: Sequence[Any], kwargs: Mapping[str, Any] | None = None,
                            budget: Budget | None = None, *,
                            cache: EvalCache | None = None) -> tuple[Any, list[Any]]:
    """Like ``call_function``; also returns the values assigned to any subscript ``['lr']``, in order."""
    return _run_call(fn, args, kwargs, budget or Budget(), None, cache.entries if cache else None)


def evaluate_expression(node: cst.BaseExpression, resolver: Resolver, budget: Budget | None = None,
                        local: Mapping[str, Any] | None = None, *, cache: EvalCache | None = None) -> Any:
    """Evaluate one expression; free names go to ``resolver`` after ``local``."""
    b = budget or Budget()
    m = _Machine(b, b.max_seconds, cache.entries if cache else None)
    with _recursion_room(b):
        try:
            env = _Env({k: m.import_value(v) for k, v in (local or {}).items()}, frozenset(local or ()),
                       None, {}, resolver)
            m.roots.append((node, 0))
            return m.export(m.ev(node, env))
        except _Refusal as e:
            raise EvalError(str(e)) from None
        except RecursionError:
            raise EvalError("expression or calls nested too deeply") from None
        except MemoryError:
            raise EvalError("out of memory") from None


def make_callable(fn: FunctionValue, budget: Budget | None = None) -> Callable[..., Any]:
    """A plain Python callable for the simulator.

    Every call gets a fresh step budget and at most ``budget.max_seconds``; all calls together get
    ``budget.max_seconds * 20``. Free names the resolver answers are asked once, not once per call.
    Raises EvalError.
    """
    return _BudgetedCallable(fn, budget or Budget())


class _BudgetedCallable:
    def __init__(self, fn: FunctionValue, budget: Budget) -> None:
        if any(isinstance(v, Host) for _, v in fn.bound):
            # a bound method of an object of the analysed code (``Warmup(10).step``): each callable (one
            # simulation) gets its own copy of the object, so state a method keeps does not leak between curves
            fn = FunctionValue(fn.node, fn.name, fn.line, fn.scope,
                               tuple((k, v.ev_copy() if isinstance(v, Host) else v) for k, v in fn.bound), fn.file)
        self.fn = fn
        self.budget = budget
        self.total = budget.max_seconds * 20
        self.spent = 0.0
        self.cache = EvalCache()
        self.__name__ = fn.name

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        remaining = self.total - self.spent
        if remaining <= 0:
            raise EvalError(f"time budget exceeded: calls of {self.fn.name} took more than {self.total:g} s in all")
        t0 = clock()
        try:
            return _run_call(self.fn, args, kwargs, self.budget, min(self.budget.max_seconds, remaining),
                             self.cache.entries)[0]
        finally:
            self.spent += clock() - t0

    def __repr__(self) -> str:
        return f"<evaluated {self.fn!r}>"


_PLAIN = (int, float, str, bool, type(None))


def _plain_args(args: Sequence[Any], kwargs: Mapping[str, Any]) -> bool:
    return len(args) + len(kwargs) <= 16 and all(
        type(v) in _PLAIN or (type(v) is tuple and len(v) <= 16 and all(type(x) in _PLAIN for x in v))
        for v in (*args, *kwargs.values()))


def _immutable(v: Any) -> bool:
    if type(v) in _PLAIN:
        return True
    if type(v) in (tuple, NumArray):
        return all(type(x) in _PLAIN for x in v)
    return False


def _run_call(fn: FunctionValue, args: Sequence[Any], kwargs: Mapping[str, Any] | None, budget: Budget,
              seconds: float | None, shared: dict | None,
              filesystem: FileSystemView | None = None) -> tuple[Any, list[Any]]:
    if not isinstance(fn, FunctionValue):
        raise EvalError(f"not a function from the analysed file: {type(fn).__name__}")
    m = _Machine(budget, budget.max_seconds if seconds is None else seconds, shared, filesystem)
    with _recursion_room(budget):
        try:
            a = [m.import_value(v) for v in args]
            kw = {str(k): m.import_value(v) for k, v in (kwargs or {}).items()}
            result = m.call_function_value(fn, a, kw)
            return m.export(result), [m.export(w) for w in m.writes]
        except _Refusal as e:
            raise EvalError(f"{e} (calling {fn.name}, line {fn.line})") from None
        except RecursionError:
            raise EvalError(f"expression or calls nested too deeply in {fn.name}") from None
        except MemoryError:
            raise EvalError(f"out of memory evaluating {fn.name}") from None


@contextmanager
def _recursion_room(budget: Budget) -> Iterator[None]:
    """The interpreter recurses ~15 Python frames per evaluated call; make room for ``max_depth`` of them."""
    need = 2000 + 40 * max(budget.max_depth, 0)
    old = sys.getrecursionlimit()
    if old < need:
        sys.setrecursionlimit(need)
    try:
        yield
    finally:
        if old < need:
            sys.setrecursionlimit(old)


# ------------------------------------------------------------------------------------ internal values


class _Refusal(Exception):
    """A refusal raised by a low-level operation; the interpreter adds where it happened."""


class _Builtin:
    """A built-in or math/numpy function (or type) the evaluator implements itself."""

    __slots__ = ("name", "impl", "pytype")

    def __init__(self, name: str, impl: Callable[..., Any] | None, pytype: type | None = None) -> None:
        self.name = name
        self.impl = impl  # impl(machine, args, kwargs)
        self.pytype = pytype  # for isinstance()

    def __repr__(self) -> str:
        return f"<built-in {self.name}>"


class _ParamGroup(dict):
    """A placeholder parameter group of an unknown optimizer."""

    owner: str = "an unknown optimizer"


class LiveGroup(dict):
    """A parameter group of a simulated optimizer (class_sim): evaluated code reads and writes it in place, so a
    schedule class's ``group["lr"] = x`` sets the rate the simulation reads (``lr_writes`` counts those writes)."""

    lr_writes = 0

    def __setitem__(self, key: Any, value: Any) -> None:
        if key == "lr":
            self.lr_writes += 1
        super().__setitem__(key, value)


class _Closure:
    """A def or lambda created during evaluation: live enclosing environment, defaults evaluated at creation."""

    __slots__ = ("node", "name", "env", "defaults", "scope", "root", "root_line")

    def __init__(self, node: cst.CSTNode, name: str, env: "_Env", defaults: dict[str, Any], scope: Any,
                 root: cst.CSTNode, root_line: int) -> None:
        self.node = node
        self.name = name
        self.env = env
        self.defaults = defaults
        self.scope = scope
        self.root = root
        self.root_line = root_line


class _Env:
    """One scope: a function's locals (or a comprehension's), its enclosing scope and closure values."""

    __slots__ = ("vars", "local_names", "parent", "closure", "scope", "comp")

    def __init__(self, vars_: dict[str, Any], local_names: frozenset[str], parent: "_Env | None",
                 closure: dict[str, Any], scope: Any, comp: bool = False) -> None:
        self.vars = vars_
        self.local_names = local_names
        self.parent = parent
        self.closure = closure
        self.scope = scope
        self.comp = comp


class _Return:
    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value


_BREAK = object()
_CONTINUE = object()
_MISSING = object()
_NUMBER_TYPES = frozenset({int, float, bool})


def _kind(v: Any) -> str:
    """A value's type in words, for messages."""
    if v is None:
        return "None"
    if isinstance(v, Opaque):
        return v.what
    if isinstance(v, _ParamGroup):
        return f"a parameter group of {v.owner}"
    if isinstance(v, (FunctionValue, _Closure)):
        return f"function {v.name}"
    if isinstance(v, _Builtin):
        return f"built-in {v.name}"
    if isinstance(v, PathValue):
        return "a path"
    if isinstance(v, Constructible):
        return v.what
    name = type(v).__name__
    return ("an " if name[0] in "aeiou" else "a ") + name


def _short(v: Any, limit: int = 40) -> str:
    if isinstance(v, (list, tuple, dict, set, frozenset)) and len(v) > 20:
        return f"<{_kind(v)} of length {len(v)}>"
    text = repr(v)
    return text if len(text) <= limit else text[: limit - 3] + "..."


_EMPTY_MODULE = cst.Module(body=[])


def _code(node: cst.CSTNode, limit: int = 60) -> str:
    """Source text of a node on one line, shortened."""
    try:
        text = _EMPTY_MODULE.code_for_node(node)
    except Exception:  # noqa: BLE001 - only for messages
        return type(node).__name__
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _dotted(node: cst.BaseExpression) -> str | None:
    parts: list[str] = []
    while isinstance(node, cst.Attribute):
        parts.append(node.attr.value)
        node = node.value
    if isinstance(node, cst.Name):
        parts.append(node.value)
        return ".".join(reversed(parts))
    return None


# -------------------------------------------------------------------------------- static function info


@dataclass(frozen=True)
class _FnInfo:
    positional: tuple[str, ...]  # positional-only + positional-or-keyword, in order
    posonly: frozenset[str]
    kwonly: tuple[str, ...]
    star: str | None
    starstar: str | None
    defaults: Mapping[str, cst.BaseExpression]
    params: frozenset[str]
    assigned: frozenset[str]  # parameters and every name bound in the function's own scope
    names: frozenset[str]  # every Name in the body (a superset of the free names)
    generator: bool


_INFO_CACHE: dict[int, tuple[cst.CSTNode, _FnInfo]] = {}
_INFO_CACHE_LIMIT = 4096


def _fn_info(node: cst.Lambda | cst.FunctionDef) -> _FnInfo:
    hit = _INFO_CACHE.get(id(node))
    if hit is not None and hit[0] is node:
        return hit[1]
    p = node.params
    posonly = tuple(x.name.value for x in p.posonly_params)
    normal = tuple(x.name.value for x in p.params)
    kwonly = tuple(x.name.value for x in p.kwonly_params)
    star = p.star_arg.name.value if isinstance(p.star_arg, cst.Param) else None
    starstar = p.star_kwarg.name.value if p.star_kwarg is not None else None
    defaults = {x.name.value: x.default for x in (*p.posonly_params, *p.params, *p.kwonly_params)
                if x.default is not None}
    params = frozenset(posonly + normal + kwonly + tuple(n for n in (star, starstar) if n))
    assigned: set[str] = set(params)
    names: set[str] = set()
    generator = False
    stack: list[tuple[cst.CSTNode, bool]] = [(node.body, True)]
    while stack:
        n, own = stack.pop()
        if isinstance(n, cst.Name):
            names.add(n.value)
            continue
        if isinstance(n, (cst.FunctionDef, cst.ClassDef)):
            if own:
                assigned.add(n.name.value)
            stack.extend((c, False) for c in n.children)
            continue
        if isinstance(n, cst.Lambda):
            stack.extend((c, False) for c in n.children)
            continue
        if own:
            if isinstance(n, cst.Assign):
                for t in n.targets:
                    _target_names(t.target, assigned)
            elif isinstance(n, (cst.AugAssign, cst.AnnAssign, cst.For, cst.NamedExpr)):
                _target_names(n.target, assigned)
            elif isinstance(n, (cst.Yield, cst.Await)):
                generator = True
        stack.extend((c, own) for c in n.children)
    info = _FnInfo(posonly + normal, frozenset(posonly), kwonly, star, starstar, defaults, params,
                   frozenset(assigned), frozenset(names), generator)
    if len(_INFO_CACHE) >= _INFO_CACHE_LIMIT:
        _INFO_CACHE.clear()
    _INFO_CACHE[id(node)] = (node, info)
    return info


def _target_names(t: cst.BaseExpression, out: set[str]) -> None:
    if isinstance(t, cst.Name):
        out.add(t.value)
    elif isinstance(t, (cst.Tuple, cst.List)):
        for e in t.elements:
            _target_names(e.value, out)
    elif isinstance(t, cst.StarredElement):
        _target_names(t.value, out)


_LINE_CACHE: dict[int, tuple[cst.CSTNode, Mapping[cst.CSTNode, Any]]] = {}


def _nested_line(root: cst.CSTNode, root_line: int, node: cst.CSTNode) -> int:
    """The source line of ``node`` inside ``root`` (a def or lambda whose own line is ``root_line``)."""
    if node is root or root_line <= 0:
        return root_line
    try:
        hit = _LINE_CACHE.get(id(root))
        if hit is None or hit[0] is not root:
            if isinstance(root, cst.BaseStatement):
                module = cst.Module(body=[root])
            else:
                module = cst.Module(body=[cst.SimpleStatementLine(body=[cst.Expr(value=root)])])
            positions = MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)
            if len(_LINE_CACHE) >= 64:
                _LINE_CACHE.clear()
            _LINE_CACHE[id(root)] = (root, positions)
        else:
            positions = hit[1]

        def anchor(n: cst.CSTNode) -> int:
            return positions[n.name if isinstance(n, cst.FunctionDef) else n].start.line

        if node not in positions:
            return root_line
        return root_line + anchor(node) - anchor(root)
    except Exception:  # noqa: BLE001 - a line number is a nicety; never fail the evaluation for it
        return root_line


# -------------------------------------------------------------------------------------- the machine


_UNSUPPORTED_WORDS = {
    cst.Await: "await",
    cst.Yield: "yield",
    cst.FormattedString: "f-strings are not evaluated",
    cst.Ellipsis: "`...` is not supported",
    cst.Imaginary: "complex numbers are not supported",
    cst.Global: "global statements are not evaluated",
    cst.Nonlocal: "nonlocal statements are not evaluated",
    cst.Import: "imports are not evaluated",
    cst.ImportFrom: "imports are not evaluated",
    cst.Del: "del statements are not evaluated",
    cst.ClassDef: "class definitions are not evaluated",
    cst.Try: "try statements are not evaluated",
    cst.TryStar: "try statements are not evaluated",
    cst.With: "with statements are not evaluated",
    cst.Match: "match statements are not evaluated",
}


class _Machine:
    """One top-level evaluation: budget counters, caches, recorded writes."""

    def __init__(self, budget: Budget, seconds: float, shared: dict | None,
                 filesystem: FileSystemView | None = None) -> None:
        self.budget = budget
        # read-only file-system queries (os.path.isfile, Path.exists) inside the repository; None: refused
        self.filesystem = filesystem
        self.max_steps = budget.max_steps
        self.max_bits = budget.max_int_bits
        self.max_len = budget.max_container
        self.seconds = seconds
        self.steps = 0
        self.deadline = clock() + seconds
        self.depth = 0
        self.frames: list[tuple[str, cst.CSTNode, cst.CSTNode, int]] = []  # name, node, root, root line
        self.roots: list[tuple[cst.CSTNode, int]] = []
        self.writes: list[Any] = []
        self.gcache: dict[tuple[int, int], Any] = {}
        self.shared: dict = shared if shared is not None else {}
        self.groups: dict[Any, list[_ParamGroup]] = {}
        self.owners: list[tuple[Any, Any]] = []  # (defining class, receiver) of the running methods

    # ---------------------------------------------------------------------------- budget and errors

    def tick(self) -> None:
        self.steps += 1
        if self.steps > self.max_steps:
            raise self.fail(f"step budget exceeded: more than {self.max_steps} evaluation steps "
                            "(an endless or very long loop?)")
        if not self.steps & 63 and clock() > self.deadline:
            raise self.fail(f"time budget exceeded: evaluation took more than {self.seconds:g} s")

    def charge(self, n: int) -> None:
        """Account for work done in one step on ``n`` elements (copies, sums, sorts)."""
        if n > 8:
            self.steps += n // 4
            self.tick()

    def where(self, at: cst.CSTNode | None = None) -> str:
        """`` in get_lr, line 12``: the current function and the line of ``at`` (else of the function)."""
        if not self.frames:
            return ""
        name, node, root, root_line = self.frames[-1]
        line = _nested_line(root, root_line, at if at is not None else node)
        return f" in {name}, line {line}" if line > 0 else f" in {name}"

    def fail(self, message: str, node: cst.CSTNode | None = None) -> EvalError:
        at = f" at `{_code(node)}`" if node is not None else ""
        return EvalError(f"{message}{at}{self.where(node)}")

    def check_int(self, v: int) -> int:
        if v.bit_length() > self.max_bits:
            raise _Refusal(f"integer too large: {v.bit_length()} bits (limit {self.max_bits})")
        return v

    def check_len(self, n: int, what: str = "sequence") -> None:
        if n > self.max_len:
            raise _Refusal(f"{what} too large: {n} elements (limit {self.max_len})")

    def key(self, k: Any) -> Any:
        """A value about to be hashed (dict key, set element): CPython hashes nested tuples recursively in C
        without a depth guard, so refuse deep nesting instead of risking the process."""
        if type(k) is tuple:
            stack = [(k, 1)]
            seen = 0
            while stack:
                t, depth = stack.pop()
                if depth > 100:
                    raise _Refusal("value nested too deeply to be a dict key or set element")
                seen += len(t)
                stack.extend((x, depth + 1) for x in t if type(x) is tuple)
            self.charge(seen)
        return k

    # ------------------------------------------------------------------------- values in and out

    def import_value(self, v: Any, depth: int = 0) -> Any:
        """Validate and copy a value from outside (arguments, resolver answers)."""
        if v is None or isinstance(v, (FunctionValue, Opaque, _Closure, _Builtin, range, Host, BoundMethod,
                                         NativeMethod, ClassToken, NameScope, Constructible, PathValue)):
            return v
        if isinstance(v, Known):  # an item the resolver resolved one by one (a dict changed key by key)
            return self.import_value(v.value, depth + 1)
        if isinstance(v, Unknown):  # such an item it could not resolve: usable only where it is not read
            return Opaque(f"a value that is not known ({v.reason})")
        if isinstance(v, bool):
            return bool(v)
        if isinstance(v, int):
            return self.check_int(int(v))
        if isinstance(v, float):
            return float(v)
        if isinstance(v, str):
            self.check_len(len(v), "string")
            return str(v)
        if depth > 32:
            raise _Refusal("value nested too deeply")
        if isinstance(v, (list, tuple)):
            self.check_len(len(v), "list")
            if len(v) > 64:
                # a schedule's array of rates (ConvNeXt's `lr_schedule_values`, a list comprehension of rates),
                # read at every step: plain floats are checked once per evaluation cache; a tuple is immutable and
                # used as it is, a list is copied (the code may change its copy)
                key = ("floats", id(v))
                hit = self.shared.get(key)
                floats = hit is not None and hit[0] is v  # (the object is kept, so its id is not reused)
                if not floats and all(type(x) is float for x in v):
                    self.shared[key], floats = (v,), True
                if floats:
                    return list(v) if isinstance(v, list) else v
            items = [self.import_value(x, depth + 1) for x in v]
            if type(v) is NumArray:  # a 1-D NumPy array stays one (its arithmetic is elementwise)
                return NumArray(items)
            return items if isinstance(v, list) else tuple(items)
        if type(v) is LiveGroup:
            return v
        if isinstance(v, Mapping):
            self.check_len(len(v), "dict")
            out = _ParamGroup() if isinstance(v, _ParamGroup) else {}
            for k, x in v.items():
                out[self.import_value(k, depth + 1)] = self.import_value(x, depth + 1)
            return out
        if isinstance(v, (set, frozenset)):
            self.check_len(len(v), "set")
            return {self.import_value(x, depth + 1) for x in v}
        raise _Refusal(f"a value of type {type(v).__name__} cannot be used by the evaluator")

    def export(self, v: Any, memo: dict[int, Any] | None = None) -> Any:
        """Turn an interpreter value into a plain value (closures become FunctionValues)."""
        if memo is None:
            memo = {}
        if v is None or type(v) in _NUMBER_TYPES or isinstance(v, (str, range, FunctionValue, Opaque, Host,
                                                                   BoundMethod, NativeMethod, ClassToken,
                                                                   Constructible, PathValue)):
            return v
        if id(v) in memo:
            return memo[id(v)]
        if isinstance(v, _Closure):
            return self._export_closure(v, memo)
        if isinstance(v, _Builtin):
            raise self.fail(f"the result is the built-in {v.name}, which cannot be passed on")
        if isinstance(v, list):
            out_list: list[Any] = []
            memo[id(v)] = out_list
            out_list.extend(self.export(x, memo) for x in v)
            return out_list
        if type(v) is NumArray:  # numbers only: it leaves as the array it is
            return v
        if isinstance(v, tuple):
            return tuple(self.export(x, memo) for x in v)
        if isinstance(v, dict):
            out_dict: dict[Any, Any] = {}
            memo[id(v)] = out_dict
            for k, x in v.items():
                out_dict[self.export(k, memo)] = self.export(x, memo)
            return out_dict
        if isinstance(v, (set, frozenset)):
            return {self.export(x, memo) for x in v}
        return v

    def _export_closure(self, c: _Closure, memo: dict[int, Any]) -> Any:
        info = _fn_info(c.node)  # type: ignore[arg-type]
        fv = FunctionValue(node=c.node, name=c.name, line=_nested_line(c.root, c.root_line, c.node),
                           scope=c.scope, bound=())
        memo[id(c)] = fv  # a closure that refers to itself (recursion) gets itself in ``bound``
        bound: list[tuple[str, Any]] = []
        for p in (*info.positional, *info.kwonly):
            if p in c.defaults:
                bound.append((p, self.export(c.defaults[p], memo)))
        for name in sorted(info.names - info.assigned):
            try:
                found, value = self.find_enclosing(name, c.env)
            except _Refusal:
                continue  # assigned in the enclosing function, but not (yet) bound
            if not found:
                continue
            bound.append((name, self.export(value, memo)))
        # Still under construction and not yet visible to anyone: filling in the frozen field is safe here.
        object.__setattr__(fv, "bound", tuple(bound))
        return fv

    # ----------------------------------------------------------------------------------- evaluation

    def ev(self, node: cst.CSTNode, env: _Env) -> Any:
        self.steps += 1
        if self.steps > self.max_steps or not self.steps & 63:
            self.steps -= 1
            self.tick()
        handler = _EXPR_HANDLERS.get(type(node))
        if handler is None:
            words = _UNSUPPORTED_WORDS.get(type(node))
            if words in ("await", "yield"):
                raise self.fail(f"{words} is not supported (generators and coroutines are not evaluated)", node)
            raise self.fail(words or f"{type(node).__name__} expressions are not supported", node)
        try:
            return handler(self, node, env)
        except _Refusal as e:
            raise self.fail(str(e), node) from None
        except (TypeError, ValueError, ArithmeticError, LookupError) as e:
            raise self.fail(f"cannot evaluate ({type(e).__name__}: {e})", node) from None

    def truth(self, v: Any) -> bool:
        if isinstance(v, Opaque):
            raise _Refusal(f"the truth value of {v.what} is unknown")
        return bool(v)

    # names ----------------------------------------------------------------------------------

    def find_enclosing(self, name: str, env: _Env | None) -> tuple[bool, Any]:
        """Look a name up in local and enclosing scopes; (False, None) when it is global or built-in."""
        e = env
        while e is not None:
            if name in e.vars:
                return True, e.vars[name]
            if name in e.local_names:
                raise _Refusal(f"variable {name} is used before it is assigned")
            if name in e.closure:
                return True, e.closure[name]
            e = e.parent
        return False, None

    def _ev_name(self, node: cst.Name, env: _Env, for_call: bool = False) -> Any:
        name = node.value
        if name == "None":
            return None
        if name == "True":
            return True
        if name == "False":
            return False
        found, value = self.find_enclosing(name, env)
        if found:
            return value
        return self.global_value(node, env.scope, for_call)

    def global_value(self, node: cst.Name | cst.Attribute, scope: Any, for_call: bool) -> Any:
        """A free name: import table, then the resolver, then the analysed file's defs, then built-ins."""
        key = (id(scope), id(node))
        hit = self.gcache.get(key, _MISSING)
        if hit is _MISSING:
            ok, raw = self._global_raw(node, scope)
            hit = (True, self.import_value(raw)) if ok else (False, raw)
            self.gcache[key] = hit
        ok, value = hit
        if ok:
            return value
        text = _dotted(node) or _code(node)
        qualified, reason = value
        if for_call:
            if qualified and qualified != text:
                raise _Refusal(f"calls unknown function {text}() ({qualified} is not evaluated)")
            raise _Refusal(f"calls unknown function {text}()")
        if qualified:
            raise _Refusal(f"uses {qualified}, which the evaluator does not know")
        raise _Refusal(f"name {text} is unknown" + (f": {reason}" if reason else ""))

    def _global_raw(self, node: cst.Name | cst.Attribute, scope: Any) -> tuple[bool, Any]:
        skey = (id(scope), id(node))
        hit = self.shared.get(skey)
        if hit is not None and hit[0] is scope and hit[1] is node:
            return hit[2], hit[3]
        result = self._global_lookup(node, scope)
        self.shared[skey] = (scope, node, *result)
        return result

    def _resolve_raw(self, node: cst.Attribute, scope: Any) -> tuple[bool, Any]:
        """``scope.resolve(node)`` for an attribute of an unknown local (``self.warmup``), shared across calls."""
        skey = (-1, id(scope), id(node))
        hit = self.shared.get(skey)
        if hit is not None and hit[0] is scope and hit[1] is node:
            return hit[2], hit[3]
        try:
            result: tuple[bool, Any] = (True, scope.resolve(node))
        except EvalError as e:
            result = (False, str(e))
        self.shared[skey] = (scope, node, *result)
        return result

    def _global_lookup(self, node: cst.Name | cst.Attribute, scope: Any) -> tuple[bool, Any]:
        text = _dotted(node)
        qualified = scope.qualified(node) if scope is not None else None
        if qualified is not None and qualified in _MODULE_TABLE:
            return True, _MODULE_TABLE[qualified]
        if qualified is not None and qualified.startswith(_CLASS_TOKEN_MODULES) \
                and qualified.rsplit(".", 1)[-1][:1].isupper():
            return True, ClassToken(qualified)
        reason = ""
        if scope is not None:
            try:
                return True, scope.resolve(node)
            except EvalError as e:
                reason = str(e)
            if isinstance(node, cst.Name):
                fn = scope.function(node.value)
                if fn is not None:
                    return True, fn
        if isinstance(node, cst.Name) and node.value in _BUILTINS:
            return True, _BUILTINS[node.value]
        if qualified is None and text is not None and "." in text:
            root, rest = text.split(".", 1)
            module = {"math": "math", "np": "numpy", "numpy": "numpy"}.get(root)
            if module is not None and f"{module}.{rest}" in _MODULE_TABLE:
                return True, _MODULE_TABLE[f"{module}.{rest}"]
        return False, (qualified, reason)

    # attributes -----------------------------------------------------------------------------

    def _ev_attribute(self, node: cst.Attribute, env: _Env, for_call: bool = False) -> Any:
        text = _dotted(node)
        attr = node.attr.value
        hosted = self._host_attribute(node, text, attr, env)
        if hosted is not _MISSING:
            return hosted
        if text is None:
            if attr == "param_groups":
                base = self.ev(node.value, env)
                if isinstance(base, Opaque):
                    return self.param_groups(base, base)
            raise _Refusal(f"attribute access {_code(node)} not allowed (attributes of values are never read)")
        root = text.split(".", 1)[0]
        found, root_value = self.find_enclosing(root, env)
        if found:
            if not isinstance(root_value, Opaque):
                raise _Refusal(f"attribute access {text} not allowed (attributes of values are never read)")
            if attr == "param_groups" and isinstance(node.value, cst.Name):
                return self.param_groups(root_value, root_value)
            if env.scope is not None:
                key = (-1, id(env.scope), id(node))
                hit = self.gcache.get(key, _MISSING)
                if hit is _MISSING:
                    ok, raw = self._resolve_raw(node, env.scope)
                    hit = (True, self.import_value(raw)) if ok else (False, raw)
                    self.gcache[key] = hit
                if hit[0]:
                    return hit[1]
                reason = hit[1]
            else:
                reason = ""
            if attr == "param_groups":
                return self.param_groups(text[: -len(".param_groups")], None)
            if for_call:
                raise _Refusal(f"calls unknown function {text}()")
            raise _Refusal(f"attribute access {text} not allowed ({reason or f'{root} is {root_value.what}'})")
        try:
            return self.global_value(node, env.scope, for_call)
        except _Refusal:
            if attr != "param_groups":
                if isinstance(node.value, cst.Name):  # a method of a module-level string, dict or path
                    try:
                        base_value = self._ev_name(node.value, env)
                    except (_Refusal, EvalError):
                        base_value = None
                    if _has_value_methods(base_value):
                        return self._value_attr(base_value, attr)
                raise
        # X.param_groups where X is global: an Opaque the resolver knows, or nothing known at all
        base_node = node.value
        try:
            if isinstance(base_node, cst.Name):
                base = self._ev_name(base_node, env)
            else:
                base = self._ev_attribute(base_node, env)  # type: ignore[arg-type]
        except _Refusal:
            return self.param_groups(text[: -len(".param_groups")], None)
        if isinstance(base, Opaque):
            return self.param_groups(base, base)
        raise _Refusal(f"attribute access {text} not allowed (attributes of values are never read)")

    def _host_attribute(self, node: cst.Attribute, text: str | None, attr: str, env: _Env) -> Any:
        """``x.attr`` when ``x`` is a host object (or ``super()``, or a class of the running method's receiver);
        _MISSING when the ordinary rules apply."""
        base = node.value
        if isinstance(base, cst.Call) and isinstance(base.func, cst.Name) and base.func.value == "super":
            receiver, owner = self._super_of(base, env)
            return self._host_call(receiver.ev_super, owner, attr)
        if text is not None:
            root = text.split(".", 1)[0]
            found, root_value = self.find_enclosing(root, env)
            if not found:
                if isinstance(base, (cst.Name, cst.Attribute)) and self.owners:
                    receiver = self.owners[-1][1]
                    owner = receiver.ev_class(text.rsplit(".", 2)[-2]) if isinstance(receiver, Host) else None
                    if owner is not None:
                        return self._host_call(receiver.ev_class_attr, owner, attr)
                return _MISSING
            if not isinstance(root_value, Host):
                if _has_value_methods(root_value):  # `name.lower()`, `p.suffix`: a local's chain, no side effects
                    value = self.ev(base, env)
                    if _has_value_methods(value):
                        return self._value_attr(value, attr)
                return _MISSING
        elif not isinstance(base, (cst.Subscript, cst.Call, cst.Attribute, cst.SimpleString, cst.ConcatenatedString,
                                   cst.Dict)):
            return _MISSING
        if text is None:
            try:
                value = self.ev(base, env)
            except EvalError as e:
                if attr == "param_groups" or str(e).startswith("attribute access"):
                    return _MISSING  # the ordinary rules say why
                raise  # `Path(f).suffix` where f is unknown: why f is
        else:
            value = self.ev(base, env)
        if not isinstance(value, Host):
            if _has_value_methods(value):
                return self._value_attr(value, attr)
            if text is None:
                return _MISSING
            raise _Refusal(f"attribute access {text} not allowed (attributes of values are never read)")
        return self._host_call(value.ev_getattr, attr)

    def _value_attr(self, value: Any, attr: str) -> Any:
        """``value.attr`` from value_methods' fixed table (str, dict and path methods and attributes)."""
        try:
            got = value_attribute(value, attr)
        except MethodRefused as e:
            raise _Refusal(str(e)) from None
        if isinstance(got, BoundValueMethod):
            method = got

            def impl(m: _Machine, args: list[Any], kwargs: dict[str, Any]) -> Any:
                m.charge(len(method.receiver) if isinstance(method.receiver, (str, dict)) else 1)
                try:
                    return m.import_value(method.call(args, kwargs, m.filesystem))
                except MethodRefused as e:
                    raise _Refusal(str(e)) from None

            return _Builtin(method.name, impl)
        return self.import_value(got)

    def _host_call(self, fn: Callable[..., Any], *args: Any) -> Any:
        try:
            return self.import_value(fn(*args))
        except EvalError as e:
            raise _Refusal(str(e)) from None
        except (KeyError, AttributeError) as e:
            raise _Refusal(f"no attribute {args[-1]}: {e}") from None

    def _super_of(self, call: cst.Call, env: _Env) -> tuple[Host, Any]:
        if not call.args:
            if not self.owners or not isinstance(self.owners[-1][1], Host):
                raise _Refusal("super() outside a method of a class the evaluator follows")
            owner, receiver = self.owners[-1]
            return receiver, owner
        if len(call.args) != 2 or not isinstance(call.args[0].value, cst.Name):
            raise _Refusal("super() with these arguments is not supported")
        receiver = self.ev(call.args[1].value, env)
        if not isinstance(receiver, Host):
            raise _Refusal(f"super() of {_kind(receiver)} is not supported")
        owner = receiver.ev_class(call.args[0].value.value)
        if owner is None:
            raise _Refusal(f"super({call.args[0].value.value}, ...): {call.args[0].value.value} is not a class of "
                           f"{receiver.what}")
        return receiver, owner

    def set_host_attr(self, target: cst.Attribute, value: Any, env: _Env) -> bool:
        """``x.attr = value`` on a host; False when ``x`` is not one."""
        base = target.value
        if isinstance(base, cst.Name):
            found, obj = self.find_enclosing(base.value, env)
            if not found:
                return False
        else:
            obj = self.ev(base, env)
        if not isinstance(obj, Host):
            return False
        try:
            obj.ev_setattr(target.attr.value, value)
        except EvalError as e:
            raise _Refusal(str(e)) from None
        return True

    def param_groups(self, key: Any, opaque: Opaque | None) -> list[_ParamGroup]:
        """The placeholder groups of an unknown optimizer (the same list every time within one call)."""
        cache_key = id(key) if opaque is not None else key
        groups = self.groups.get(cache_key)
        if groups is None:
            owner = opaque.what if opaque is not None else str(key)
            groups = []
            for g in (opaque.param_groups if opaque is not None else ({},)):
                pg = _ParamGroup()
                pg.owner = owner
                for k, v in g.items():
                    pg[self.import_value(k)] = self.import_value(v)
                groups.append(pg)
            self.groups[cache_key] = groups
        return groups

    # literals -------------------------------------------------------------------------------

    def _ev_integer(self, node: cst.Integer, env: _Env) -> int:
        digits = node.value.replace("_", "")
        if len(digits) > self.max_bits // 3 + 4:
            raise _Refusal(f"integer literal too large (limit {self.max_bits} bits)")
        return self.check_int(int(digits, 0))

    def _ev_float(self, node: cst.Float, env: _Env) -> float:
        return float(node.value.replace("_", ""))

    def _ev_string(self, node: cst.BaseString, env: _Env) -> str:
        if isinstance(node, cst.ConcatenatedString):
            left = self._ev_string(node.left, env)  # type: ignore[arg-type]
            right = self._ev_string(node.right, env)  # type: ignore[arg-type]
            self.check_len(len(left) + len(right), "string")
            return left + right
        if isinstance(node, cst.FormattedString):
            raise _Refusal("f-strings are not evaluated")
        assert isinstance(node, cst.SimpleString)
        prefix = node.prefix.lower()
        if "b" in prefix:
            raise _Refusal("bytes literals are not supported")
        raw = node.raw_value
        return raw if "r" in prefix else _unescape(raw)

    # operators ------------------------------------------------------------------------------

    def _ev_binary(self, node: cst.BinaryOperation, env: _Env) -> Any:
        a = self.ev(node.left, env)
        b = self.ev(node.right, env)
        return self.binop(_BINARY_OPS[type(node.operator)], a, b)

    def binop(self, op: str, a: Any, b: Any) -> Any:
        if op == "/" and (isinstance(a, PathValue) and isinstance(b, (str, PathValue))
                          or isinstance(b, PathValue) and type(a) is str):
            try:
                return path_join(a, b)
            except MethodRefused as e:
                raise _Refusal(str(e)) from None
        if isinstance(a, Host):
            a = self.host_number(a)
        if isinstance(b, Host):
            b = self.host_number(b)
        ta, tb = type(a), type(b)
        if ta in _NUMBER_TYPES and tb in _NUMBER_TYPES:
            return self.arith(op, a, b)
        if ta is NumArray or tb is NumArray:  # 1-D NumPy arrays: elementwise (numpy_arrays.py)
            return elementwise(self, op, a, b)
        if op == "+" and ta is tb and ta in (list, tuple, str):
            self.check_len(len(a) + len(b), _kind(a)[2:] if ta is not str else "string")
            self.charge(len(a) + len(b))
            return a + b
        seq_types = (list, tuple, str)
        if op == "*" and (ta in seq_types and tb in (int, bool) or tb in seq_types and ta in (int, bool)):
            seq, n = (a, b) if ta in seq_types else (b, a)
            size = len(seq) * max(int(n), 0)
            self.check_len(size, "string" if type(seq) is str else type(seq).__name__)
            self.charge(size)
            return seq * n
        if op == "%" and ta is str:
            raise _Refusal("string formatting with % is not supported")
        raise _Refusal(f"unsupported operands for {op}: {_kind(a)} and {_kind(b)}")

    def host_number(self, h: Host) -> Any:
        try:
            return self.import_value(h.ev_number())
        except EvalError as e:
            raise _Refusal(str(e)) from None

    def ieee_zero_division(self, op: str, a: Any, b: Any) -> Any:
        """``a / 0``, ``a // 0``, ``a % 0`` on float tensors."""
        if op == "%" or a == 0 or (type(a) is float and math.isnan(a)):
            return math.nan
        negative = (a < 0) != (math.copysign(1.0, float(b)) < 0)
        return -math.inf if negative else math.inf

    def arith(self, op: str, a: Any, b: Any) -> Any:
        if self.budget.ieee_floats and op in ("/", "//", "%") and b == 0:
            return self.ieee_zero_division(op, a, b)
        try:
            if op == "+":
                r = a + b
            elif op == "-":
                r = a - b
            elif op == "*":
                r = a * b
            elif op == "/":
                if b == 0:
                    raise _Refusal("division by zero")
                r = a / b
            elif op == "//":
                if b == 0:
                    raise _Refusal("division by zero")
                r = a // b
            elif op == "%":
                if b == 0:
                    raise _Refusal("division by zero (modulo)")
                r = a % b
            elif op == "**":
                return self.power(a, b)
            elif op in ("<<", ">>", "&", "|", "^"):
                if type(a) is float or type(b) is float:
                    raise _Refusal(f"unsupported operands for {op}: {_kind(a)} and {_kind(b)}")
                if type(a) is bool and type(b) is bool and op in ("&", "|", "^"):
                    return (a & b) if op == "&" else (a | b) if op == "|" else (a ^ b)
                a, b = int(a), int(b)
                if op == "<<":
                    if b < 0:
                        raise _Refusal("negative shift count")
                    if a and a.bit_length() + b > self.max_bits:
                        raise _Refusal(f"integer too large: {a} << {b} would have {a.bit_length() + b} bits "
                                       f"(limit {self.max_bits})")
                    r = a << b
                elif op == ">>":
                    if b < 0:
                        raise _Refusal("negative shift count")
                    r = a >> b
                elif op == "&":
                    r = a & b
                elif op == "|":
                    r = a | b
                else:
                    r = a ^ b
            else:
                raise _Refusal(f"the operator {op} is not supported")
        except OverflowError:
            raise _Refusal("float overflow") from None
        return self.check_number(r, a, b)

    def check_number(self, r: Any, a: Any, b: Any) -> Any:
        if type(r) is int:
            return self.check_int(r)
        if type(r) is float and math.isinf(r) and _finite(a) and _finite(b) and not self.budget.ieee_floats:
            raise _Refusal("float overflow")
        return r

    def power(self, a: Any, b: Any) -> Any:
        if type(a) is not float and type(b) is not float:
            a, b = int(a), int(b)
            if b >= 0:
                if abs(a) > 1:
                    bits = b * math.log2(abs(a)) if b <= self.max_bits else math.inf
                    if bits > self.max_bits:
                        about = f"about {bits:.0f}" if bits != math.inf else (
                            f"at least {b}" if b.bit_length() < 64 else "far more than")
                        shown_a = str(a) if a.bit_length() < 64 else f"a {a.bit_length()}-bit number"
                        raise _Refusal(f"integer too large: {shown_a} ** {b if b.bit_length() < 64 else '...'} "
                                       f"would have {about} bits (limit {self.max_bits})")
                return self.check_int(a ** b)
            if a == 0:
                raise _Refusal("division by zero (0 raised to a negative power)")
        try:
            fa, fb = float(a), float(b)
        except OverflowError:
            raise _Refusal("float overflow (integer too large to convert to float)") from None
        if fa < 0 and math.isfinite(fb) and not fb.is_integer():
            raise _Refusal("a negative number raised to a fractional power gives a complex number")
        if fa == 0 and fb < 0:
            if self.budget.ieee_floats:
                return math.inf if math.copysign(1.0, fa) > 0 or not fb.is_integer() or fb % 2 == 0 else -math.inf
            raise _Refusal("division by zero (0 raised to a negative power)")
        try:
            r = fa ** fb
        except OverflowError:
            if self.budget.ieee_floats:
                return math.inf if fa > 0 or fb % 2 == 0 else -math.inf
            raise _Refusal("float overflow") from None
        return self.check_number(r, fa, fb)

    def _ev_unary(self, node: cst.UnaryOperation, env: _Env) -> Any:
        v = self.ev(node.expression, env)
        op = node.operator
        if isinstance(op, cst.Not):
            return not self.truth(v)
        if isinstance(v, Host):
            v = self.host_number(v)
        if type(v) not in _NUMBER_TYPES:
            raise _Refusal(f"bad operand for unary {_code(op).strip()}: {_kind(v)}")
        if isinstance(op, cst.Minus):
            return self.check_int(-v) if type(v) is not float else -v
        if isinstance(op, cst.Plus):
            return +v
        if type(v) is float:
            raise _Refusal("bad operand for ~: a float")
        return ~v

    def _ev_boolean(self, node: cst.BooleanOperation, env: _Env) -> Any:
        left = self.ev(node.left, env)
        if isinstance(node.operator, cst.And):
            return self.ev(node.right, env) if self.truth(left) else left
        return left if self.truth(left) else self.ev(node.right, env)

    def _ev_comparison(self, node: cst.Comparison, env: _Env) -> Any:
        left = self.ev(node.left, env)
        for target in node.comparisons:
            right = self.ev(target.comparator, env)
            if not self.compare(_COMPARE_OPS[type(target.operator)], left, right):
                return False
            left = right
        return True

    def compare(self, op: str, a: Any, b: Any) -> bool:
        if op in ("is", "is not"):
            return (a is b) == (op == "is")
        if op in ("in", "not in"):
            if isinstance(b, Opaque):
                raise _Refusal(f"cannot look inside {b.what}")
            if not isinstance(b, (list, tuple, str, dict, set, frozenset, range)):
                raise _Refusal(f"`in` needs a container, not {_kind(b)}")
            if isinstance(b, str) and not isinstance(a, str):
                raise _Refusal(f"`in <string>` needs a string, not {_kind(a)}")
            if isinstance(b, range):
                # CPython answers ints in O(1) but scans the whole range for anything else
                if type(a) is float:
                    a = int(a) if math.isfinite(a) and a.is_integer() else None
                found = type(a) in (int, bool) and a in b
                return found == (op == "in")
            if isinstance(b, (dict, set, frozenset)):
                self.key(a)
            self.charge(len(b))
            return (a in b) == (op == "in")
        if isinstance(a, Host) and not isinstance(b, Host):
            a = self.host_number(a)
        elif isinstance(b, Host) and not isinstance(a, Host):
            b = self.host_number(b)
        if op == "==":
            return bool(a == b)
        if op == "!=":
            return bool(a != b)
        ta, tb = type(a), type(b)
        if not (ta in _NUMBER_TYPES and tb in _NUMBER_TYPES or ta is tb and ta in (str, list, tuple)):
            raise _Refusal(f"cannot order {_kind(a)} and {_kind(b)} with {op}")
        try:
            if op == "<":
                return bool(a < b)
            if op == "<=":
                return bool(a <= b)
            if op == ">":
                return bool(a > b)
            return bool(a >= b)
        except TypeError:
            raise _Refusal(f"cannot order {_kind(a)} and {_kind(b)} with {op}") from None

    def _ev_ifexp(self, node: cst.IfExp, env: _Env) -> Any:
        return self.ev(node.body, env) if self.truth(self.ev(node.test, env)) else self.ev(node.orelse, env)

    # containers -----------------------------------------------------------------------------

    def _elements(self, elements: Sequence[cst.BaseElement], env: _Env) -> list[Any]:
        out: list[Any] = []
        for e in elements:
            if isinstance(e, cst.StarredElement):
                out.extend(self.materialize(self.ev(e.value, env)))
            else:
                out.append(self.ev(e.value, env))
            self.check_len(len(out), "list")
        return out

    def _ev_tuple(self, node: cst.Tuple, env: _Env) -> tuple:
        return tuple(self._elements(node.elements, env))

    def _ev_list(self, node: cst.List, env: _Env) -> list:
        return self._elements(node.elements, env)

    def _ev_set(self, node: cst.Set, env: _Env) -> set:
        return {self.key(x) for x in self._elements(node.elements, env)}

    def _ev_dict(self, node: cst.Dict, env: _Env) -> dict:
        out: dict[Any, Any] = {}
        for e in node.elements:
            if isinstance(e, cst.StarredDictElement):
                v = self.ev(e.value, env)
                if not isinstance(v, dict):
                    raise _Refusal(f"** needs a dict, not {_kind(v)}")
                out.update(v)
            else:
                k = self.key(self.ev(e.key, env))
                out[k] = self.ev(e.value, env)
            self.check_len(len(out), "dict")
        return out

    def materialize(self, v: Any) -> list[Any]:
        """The items of an iterable value as a new list (bounded)."""
        if isinstance(v, (list, tuple, str)):
            self.charge(len(v))
            return list(v)
        if isinstance(v, range):
            try:
                n = len(v)
            except OverflowError:
                raise _Refusal("range too large") from None
            self.check_len(n, "range")
            self.charge(n)
            return list(v)
        if isinstance(v, (dict, set, frozenset)):
            self.charge(len(v))
            return list(v)
        if isinstance(v, Opaque):
            raise _Refusal(f"cannot iterate over {v.what}")
        raise _Refusal(f"cannot iterate over {_kind(v)}")

    def loop_items(self, v: Any) -> Iterable[Any]:
        """What a ``for`` loop walks: ranges and lists lazily (each iteration is budgeted), others copied."""
        if isinstance(v, (range, list)):
            return v
        return self.materialize(v)

    def _ev_comp(self, node: cst.BaseComp, env: _Env) -> Any:
        targets: set[str] = set()
        f: cst.CompFor | None = node.for_in
        while f is not None:
            if f.asynchronous is not None:
                raise _Refusal("async comprehensions are not evaluated")
            _target_names(f.target, targets)
            f = f.inner_for_in
        inner = _Env({}, frozenset(targets), env, {}, env.scope, comp=True)
        out: list[Any] = []
        is_dict = isinstance(node, cst.DictComp)

        def run(comp_for: cst.CompFor, iter_env: _Env) -> None:
            for item in self.loop_items(self.ev(comp_for.iter, iter_env)):
                self.tick()
                self.assign(comp_for.target, item, inner)
                if all(self.truth(self.ev(c.test, inner)) for c in comp_for.ifs):
                    if comp_for.inner_for_in is not None:
                        run(comp_for.inner_for_in, inner)
                    elif is_dict:
                        out.append((self.key(self.ev(node.key, inner)),  # type: ignore[attr-defined]
                                    self.ev(node.value, inner)))  # type: ignore[attr-defined]
                    else:
                        out.append(self.ev(node.elt, inner))  # type: ignore[attr-defined]
                    self.check_len(len(out), "comprehension")

        run(node.for_in, env)
        if is_dict:
            return dict(out)
        if isinstance(node, cst.SetComp):
            return {self.key(x) for x in out}
        return out  # lists, and generator expressions evaluated eagerly

    # subscripts -----------------------------------------------------------------------------

    def _subscript_key(self, node: cst.Subscript, env: _Env) -> Any:
        keys = []
        for el in node.slice:
            s = el.slice
            if isinstance(s, cst.Slice):
                parts = []
                for part in (s.lower, s.upper, s.step):
                    v = self.ev(part, env) if part is not None else None
                    if v is not None and type(v) not in (int, bool):
                        raise _Refusal(f"slice indices must be integers or None, not {_kind(v)}")
                    parts.append(v)
                keys.append(slice(*parts))
            else:
                if s.star is not None:  # type: ignore[union-attr]
                    raise _Refusal("starred subscripts are not supported")
                keys.append(self.ev(s.value, env))  # type: ignore[union-attr]
        return keys[0] if len(keys) == 1 else tuple(keys)

    def _ev_subscript(self, node: cst.Subscript, env: _Env) -> Any:
        container = self.ev(node.value, env)
        key = self._subscript_key(node, env)
        return self.get_item(container, key)

    def get_item(self, container: Any, key: Any) -> Any:
        if isinstance(container, _ParamGroup):
            if key not in container:
                raise _Refusal(f"{key!r} of a parameter group of {container.owner} is unknown "
                               "(read before any write)")
            return container[key]
        if isinstance(container, dict):
            try:
                return container[self.key(key)]
            except KeyError:
                raise _Refusal(f"key {_short(key)} not found") from None
            except TypeError:
                raise _Refusal(f"{_kind(key)} cannot be a dict key") from None
        if isinstance(container, (list, tuple, str, range)):
            if isinstance(key, slice):
                if isinstance(container, range):
                    return container[key]
                result = container[key]
                self.charge(len(result))
                return result
            if type(key) not in (int, bool):
                raise _Refusal(f"indices must be integers, not {_kind(key)}")
            try:
                return container[key]
            except IndexError:
                raise _Refusal(f"index {key} out of range for {_kind(container)} of length {len(container)}") from None
        if isinstance(container, Opaque):
            raise _Refusal(f"cannot index {container.what}")
        if isinstance(container, Host):
            try:
                return self.import_value(container.ev_getitem(key))
            except EvalError as e:
                raise _Refusal(str(e)) from None
        raise _Refusal(f"{_kind(container)} cannot be indexed")

    def set_item(self, container: Any, key: Any, value: Any) -> None:
        if isinstance(key, str) and key == "lr":
            self.writes.append(value)
        if isinstance(container, Opaque):
            return  # a write into an unknown object: recorded above, nothing else to do
        if isinstance(container, dict):
            try:
                container[self.key(key)] = value
            except TypeError:
                raise _Refusal(f"{_kind(key)} cannot be a dict key") from None
            self.check_len(len(container), "dict")
            return
        if isinstance(container, list):
            if isinstance(key, slice):
                raise _Refusal("slice assignment is not supported")
            if type(key) not in (int, bool):
                raise _Refusal(f"indices must be integers, not {_kind(key)}")
            try:
                container[key] = value
            except IndexError:
                raise _Refusal(f"index {key} out of range for a list of length {len(container)}") from None
            return
        raise _Refusal(f"{_kind(container)} does not support item assignment")

    # calls ----------------------------------------------------------------------------------

    def _ev_call(self, node: cst.Call, env: _Env) -> Any:
        func = node.func
        if isinstance(func, cst.Name):
            callee = self._callee_name(func, env)
        elif isinstance(func, cst.Attribute):
            self.tick()
            callee = self._ev_attribute(func, env, for_call=True)
        else:
            callee = self.ev(func, env)
        if callee is _PRINT or callee is _WARN:
            return None  # print() and warnings.warn() are no-ops; their arguments are not evaluated
        if callee is _BUILTINS["len"] and len(node.args) == 1 and node.args[0].keyword is None \
                and not node.args[0].star and isinstance(node.args[0].value, (cst.Name, cst.Attribute)) \
                and env.scope is not None:
            try:
                arg = self.ev(node.args[0].value, env)
            except EvalError:
                # `len(dataloader)` of an object only the run builds: the file's resolver knows it as a run-time
                # size (a symbol's value, or the assumed length while an assumed curve is drawn), or says why not
                ok, raw = self._resolve_raw(node, env.scope)  # type: ignore[arg-type]
                if not ok:
                    raise _Refusal(raw) from None
                return self.import_value(raw)
            return self.call(callee, [arg], {}, node)
        if isinstance(callee, _Builtin) and callee.name in _HOST_BUILTINS:
            # only on objects the evaluator follows; anything else is an unknown function, as it always was
            first = node.args[0].value if node.args and node.args[0].keyword is None and not node.args[0].star \
                else None
            try:
                receiver = self.ev(first, env) if first is not None else None
            except EvalError:
                receiver = None
            if not isinstance(receiver, Host):
                raise _Refusal(f"calls unknown function {callee.name}()")
        args: list[Any] = []
        kwargs: dict[str, Any] = {}
        for a in node.args:
            if a.keyword is not None:
                if a.keyword.value in kwargs:
                    raise _Refusal(f"keyword argument {a.keyword.value} repeated")
                kwargs[a.keyword.value] = self.ev(a.value, env)
            elif a.star == "*":
                args.extend(self.materialize(self.ev(a.value, env)))
            elif a.star == "**":
                d = self.ev(a.value, env)
                if not isinstance(d, dict) or not all(isinstance(k, str) for k in d):
                    raise _Refusal(f"** needs a dict with string keys, not {_kind(d)}")
                for k, v in d.items():
                    if k in kwargs:
                        raise _Refusal(f"got multiple values for keyword argument {k}")
                    kwargs[k] = v
            else:
                args.append(self.ev(a.value, env))
        return self.call(callee, args, kwargs, node)

    def _callee_name(self, func: cst.Name, env: _Env) -> Any:
        self.tick()
        return self._ev_name(func, env, for_call=True)

    def call(self, callee: Any, args: list[Any], kwargs: dict[str, Any], node: cst.CSTNode | None) -> Any:
        if isinstance(callee, _Closure):
            return self.call_closure(callee, args, kwargs)
        if isinstance(callee, FunctionValue):
            return self.call_function_value(callee, args, kwargs)
        if isinstance(callee, _Builtin):
            if callee.impl is None:
                raise _Refusal(f"calling {callee.name} is not supported")
            return callee.impl(self, args, kwargs)
        if isinstance(callee, BoundMethod):
            receiver = callee.receiver
            if receiver is None:
                if not args:
                    raise _Refusal(f"{callee.fn.name}() needs its receiver (self) as the first argument")
                receiver, args = args[0], args[1:]
            self.owners.append((callee.owner, receiver))
            try:
                return self.call_function_value(callee.fn, [receiver, *args], kwargs)
            finally:
                self.owners.pop()
        if isinstance(callee, NativeMethod):
            return self.import_value(callee.impl(args, kwargs))
        if isinstance(callee, Constructible):
            try:
                obj, init = callee.ev_new()
            except EvalError as e:
                raise _Refusal(str(e)) from None
            if init is None:
                if args or kwargs:
                    raise _Refusal(f"{callee.what}() takes no arguments (it defines no __init__)")
            elif self.call(init, args, kwargs, node) is not None:
                raise _Refusal(f"__init__() of {callee.what} should return None")
            return obj
        if isinstance(callee, Host):
            try:
                target = callee.ev_call_target()
            except EvalError as e:
                raise _Refusal(str(e)) from None
            if target is not None:
                return self.call(target, args, kwargs, node)
        what = _code(node.func) if isinstance(node, cst.Call) else "value"  # type: ignore[union-attr]
        if isinstance(callee, Opaque):
            raise _Refusal(f"calls unknown function {what}() ({callee.what})")
        if isinstance(callee, Host):
            raise _Refusal(f"{what} is not callable here (it is {callee.what})")
        raise _Refusal(f"{what} is not callable (it is {_kind(callee)})")

    def call_function_value(self, fn: FunctionValue, args: list[Any], kwargs: dict[str, Any]) -> Any:
        """``fn(*args, **kwargs)``. A call of a plain function with plain arguments (numbers, strings, tuples of
        them) that writes no rate and returns an immutable value (a number, a tuple, a 1-D array) is remembered in
        the evaluation's shared cache: a hand-written schedule evaluated at many steps calls DINO's
        ``cosine_scheduler(5e-4, 1e-6, 100, 1000, ...)`` at each of them, building the same 100,000 rates. Free
        names are constants of the run and lists the code reads are copies, so the same arguments give the
        same result."""
        key = None
        # (a def only: a lambda is one expression, cheaper to evaluate again than to remember, and schedule lambdas
        # are called at thousands of steps under a time budget)
        if not fn.bound and isinstance(fn.node, cst.FunctionDef) and _plain_args(args, kwargs):
            key = ("pure call", id(fn.node), id(fn.scope),
                   tuple((type(a), a) for a in args), tuple(sorted((k, type(v), v) for k, v in kwargs.items())))
            hit = self.shared.get(key)
            if hit is not None and hit[0] is fn.node and hit[1] is fn.scope:
                return hit[2]
        n_writes = len(self.writes)
        result = self._call_function_value(fn, args, kwargs)
        if key is not None and len(self.writes) == n_writes and _immutable(result):
            self.shared[key] = (fn.node, fn.scope, result)  # (the node and scope keep their ids from being reused)
        return result

    def _call_function_value(self, fn: FunctionValue, args: list[Any], kwargs: dict[str, Any]) -> Any:
        node = fn.node
        if not isinstance(node, (cst.Lambda, cst.FunctionDef)):
            raise _Refusal(f"{fn.name} is not a def or lambda")
        info = _fn_info(node)
        preset: dict[str, Any] = {}
        closure: dict[str, Any] = {}
        for k, v in fn.bound:
            (preset if k in info.params else closure)[k] = self.import_value(v)
        base = _Env({}, frozenset(), None, closure, fn.scope)
        values = self.bind(info, fn.name, args, kwargs, preset, lambda p: self.ev(info.defaults[p], base))
        env = _Env(values, info.assigned, None, closure, fn.scope)
        owner = closure.get("__class__")
        receiver = values.get(info.positional[0]) if owner is not None and info.positional else None
        if isinstance(receiver, Host):
            # a method bound to its object outside the evaluator (instances.bind_method): ``__class__`` is the class
            # that defines it, as in Python's own closure cell, so super() inside it works
            self.owners.append((owner, receiver))
            try:
                return self.run(node, info, env, fn.name, node, fn.line)
            finally:
                self.owners.pop()
        return self.run(node, info, env, fn.name, node, fn.line)

    def call_closure(self, c: _Closure, args: list[Any], kwargs: dict[str, Any]) -> Any:
        info = _fn_info(c.node)  # type: ignore[arg-type]
        values = self.bind(info, c.name, args, kwargs, {}, c.defaults.__getitem__)
        env = _Env(values, info.assigned, c.env, {}, c.scope)
        return self.run(c.node, info, env, c.name, c.root, c.root_line)

    def bind(self, info: _FnInfo, fname: str, args: list[Any], kwargs: dict[str, Any], preset: dict[str, Any],
             default_of: Callable[[str], Any] | None) -> dict[str, Any]:
        values: dict[str, Any] = {}
        positional = ([p for p in info.positional if p not in preset or p in info.defaults] if preset
                      else list(info.positional))
        extra: tuple[Any, ...] = ()
        if len(args) > len(positional):
            if info.star is None:
                raise _Refusal(f"{fname}() takes {len(positional)} positional argument(s) "
                               f"but {len(args)} were given")
            extra = tuple(args[len(positional):])
        for p, v in zip(positional, args):
            values[p] = v
        star_kw: dict[str, Any] = {}
        for k, v in kwargs.items():
            if k in values:
                raise _Refusal(f"{fname}() got multiple values for argument {k}")
            if (k in info.positional and k not in info.posonly) or k in info.kwonly:
                values[k] = v
            elif info.starstar is not None:
                star_kw[k] = v
            else:
                raise _Refusal(f"{fname}() got an unexpected keyword argument {k}")
        for p in (*info.positional, *info.kwonly):
            if p in values:
                continue
            if p in preset:
                values[p] = preset[p]
            elif p in info.defaults and default_of is not None:
                values[p] = default_of(p)
            else:
                raise _Refusal(f"{fname}() is missing the argument {p}")
        if info.star is not None:
            values[info.star] = extra
        if info.starstar is not None:
            values[info.starstar] = star_kw
        return values

    def run(self, node: cst.Lambda | cst.FunctionDef, info: _FnInfo, env: _Env, name: str, root: cst.CSTNode,
            root_line: int) -> Any:
        if self.depth >= self.budget.max_depth:
            raise _Refusal(f"recursion too deep: more than {self.budget.max_depth} nested calls")
        if info.generator:
            raise _Refusal(f"{name} is a generator or coroutine (yield/await), which is not evaluated")
        if isinstance(node, cst.FunctionDef) and node.asynchronous is not None:
            raise _Refusal(f"{name} is an async function, which is not evaluated")
        if clock() > self.deadline:
            raise _Refusal(f"time budget exceeded: evaluation took more than {self.seconds:g} s")
        self.depth += 1
        self.frames.append((name, node, root, root_line))
        try:
            if isinstance(node, cst.Lambda):
                return self.ev(node.body, env)
            signal = self.exec_block(node.body, env)
            return signal.value if type(signal) is _Return else None
        finally:
            self.frames.pop()
            self.depth -= 1

    def _root(self) -> tuple[cst.CSTNode, int]:
        if self.frames:
            _, _, root, root_line = self.frames[-1]
            return root, root_line
        return self.roots[-1] if self.roots else (cst.Name("expression"), 0)

    def make_closure(self, node: cst.Lambda | cst.FunctionDef, name: str, env: _Env) -> _Closure:
        p = node.params
        defaults = {}
        for param in (*p.posonly_params, *p.params, *p.kwonly_params):
            if param.default is not None:
                defaults[param.name.value] = self.ev(param.default, env)
        root, root_line = self._root()
        return _Closure(node, name, env, defaults, env.scope, root, root_line)

    def _ev_lambda(self, node: cst.Lambda, env: _Env) -> _Closure:
        return self.make_closure(node, "lambda", env)

    def _ev_named(self, node: cst.NamedExpr, env: _Env) -> Any:
        value = self.ev(node.value, env)
        target_env = env
        while target_env.comp and target_env.parent is not None:
            target_env = target_env.parent
        self.assign(node.target, value, target_env)
        return value

    # statements ------------------------------------------------------------------------------

    def exec_block(self, block: cst.BaseSuite, env: _Env) -> Any:
        for stmt in block.body:
            signal = self.run_statement(stmt, env)
            if signal is not None:
                return signal
        return None

    def run_statement(self, stmt: cst.CSTNode, env: _Env) -> Any:
        self.tick()
        handler = _STMT_HANDLERS.get(type(stmt))
        if handler is None:
            words = _UNSUPPORTED_WORDS.get(type(stmt))
            raise self.fail(words or f"{type(stmt).__name__} statements are not evaluated", stmt)
        try:
            return handler(self, stmt, env)
        except _Refusal as e:
            raise self.fail(str(e), stmt) from None
        except (TypeError, ValueError, ArithmeticError, LookupError) as e:
            raise self.fail(f"cannot evaluate ({type(e).__name__}: {e})", stmt) from None

    def _ex_line(self, node: cst.SimpleStatementLine, env: _Env) -> Any:
        for small in node.body:
            signal = self.run_statement(small, env)
            if signal is not None:
                return signal
        return None

    def _ex_expr(self, node: cst.Expr, env: _Env) -> None:
        self.ev(node.value, env)

    def _ex_assign(self, node: cst.Assign, env: _Env) -> None:
        value = self.ev(node.value, env)
        for t in node.targets:
            self.assign(t.target, value, env)

    def _ex_annassign(self, node: cst.AnnAssign, env: _Env) -> None:
        if node.value is not None:
            self.assign(node.target, self.ev(node.value, env), env)

    def _ex_augassign(self, node: cst.AugAssign, env: _Env) -> None:
        op = _AUG_OPS[type(node.operator)]
        target = node.target
        if isinstance(target, cst.Name):
            current = self._ev_name(target, env)
            env.vars[target.value] = self.binop(op, current, self.ev(node.value, env))
        elif isinstance(target, cst.Subscript):
            container = self.ev(target.value, env)
            key = self._subscript_key(target, env)
            if isinstance(key, slice):
                raise _Refusal("slice assignment is not supported")
            current = self.get_item(container, key)
            self.set_item(container, key, self.binop(op, current, self.ev(node.value, env)))
        elif isinstance(target, cst.Attribute):
            current = self._ev_attribute(target, env)
            if not self.set_host_attr(target, self.binop(op, current, self.ev(node.value, env)), env):
                raise _Refusal(f"assignment to attribute {_code(target)} not allowed")
        else:
            raise _Refusal(f"assignment to {_code(target)} not allowed")

    def assign(self, target: cst.BaseExpression, value: Any, env: _Env) -> None:
        if isinstance(target, cst.Name):
            env.vars[target.value] = value
        elif isinstance(target, (cst.Tuple, cst.List)):
            items = self.materialize(value)
            elements = target.elements
            starred = [i for i, e in enumerate(elements) if isinstance(e, cst.StarredElement)]
            if not starred:
                if len(items) != len(elements):
                    raise _Refusal(f"cannot unpack {len(items)} values into {len(elements)} names")
                for e, v in zip(elements, items):
                    self.assign(e.value, v, env)
                return
            s = starred[0]
            after = len(elements) - s - 1
            if len(items) < len(elements) - 1:
                raise _Refusal(f"cannot unpack {len(items)} values into {len(elements) - 1} or more names")
            for e, v in zip(elements[:s], items[:s]):
                self.assign(e.value, v, env)
            self.assign(elements[s].value, items[s: len(items) - after], env)
            for e, v in zip(elements[s + 1:], items[len(items) - after:]):
                self.assign(e.value, v, env)
        elif isinstance(target, cst.Subscript):
            container = self.ev(target.value, env)
            self.set_item(container, self._subscript_key(target, env), value)
        elif isinstance(target, cst.Attribute):
            if not self.set_host_attr(target, value, env):
                raise _Refusal(f"assignment to attribute {_code(target)} not allowed")
        else:
            raise _Refusal(f"assignment to {_code(target)} not supported")

    def _ex_return(self, node: cst.Return, env: _Env) -> _Return:
        return _Return(self.ev(node.value, env) if node.value is not None else None)

    def _ex_pass(self, node: cst.Pass, env: _Env) -> None:
        return None

    def _ex_break(self, node: cst.Break, env: _Env) -> object:
        return _BREAK

    def _ex_continue(self, node: cst.Continue, env: _Env) -> object:
        return _CONTINUE

    def _ex_if(self, node: cst.If, env: _Env) -> Any:
        if self.truth(self.ev(node.test, env)):
            return self.exec_block(node.body, env)
        orelse = node.orelse
        if isinstance(orelse, cst.If):
            return self.run_statement(orelse, env)
        if isinstance(orelse, cst.Else):
            return self.exec_block(orelse.body, env)
        return None

    def _ex_for(self, node: cst.For, env: _Env) -> Any:
        if node.asynchronous is not None:
            raise _Refusal("async for loops are not evaluated")
        for item in self.loop_items(self.ev(node.iter, env)):
            self.tick()
            self.assign(node.target, item, env)
            signal = self.exec_block(node.body, env)
            if signal is _BREAK:
                return None
            if signal is not None and signal is not _CONTINUE:
                return signal
        if node.orelse is not None:
            return self.exec_block(node.orelse.body, env)
        return None

    def _ex_with(self, node: cst.With, env: _Env) -> Any:
        """Only ``with`` over a name scope (``tf.name_scope(name)``, ``K.name_scope``): a no-op context whose
        ``as`` target is the scope's name. Any other context manager is refused."""
        if node.asynchronous is not None:
            raise _Refusal("async with statements are not evaluated")
        for item in node.items:
            call = item.item
            if not (isinstance(call, cst.Call) and (_dotted(call.func) or "").rsplit(".", 1)[-1] == "name_scope"):
                raise _Refusal("with statements are not evaluated (only name scopes are)")
            value = self.ev(call, env)
            if not isinstance(value, NameScope):
                raise _Refusal("with statements are not evaluated (only name scopes are)")
            if item.asname is not None:
                self.assign(item.asname.name, value.name, env)  # type: ignore[arg-type]
        return self.exec_block(node.body, env)

    def _ex_while(self, node: cst.While, env: _Env) -> Any:
        while self.truth(self.ev(node.test, env)):
            self.tick()
            signal = self.exec_block(node.body, env)
            if signal is _BREAK:
                return None
            if signal is not None and signal is not _CONTINUE:
                return signal
        if node.orelse is not None:
            return self.exec_block(node.orelse.body, env)
        return None

    def _ex_def(self, node: cst.FunctionDef, env: _Env) -> None:
        if node.decorators:
            raise _Refusal(f"decorated function {node.name.value} is not evaluated")
        if node.asynchronous is not None:
            raise _Refusal(f"async function {node.name.value} is not evaluated")
        env.vars[node.name.value] = self.make_closure(node, node.name.value, env)

    def _ex_raise(self, node: cst.Raise, env: _Env) -> None:
        raise _Refusal("the function raises an exception")

    def _ex_assert(self, node: cst.Assert, env: _Env) -> None:
        if not self.truth(self.ev(node.test, env)):
            raise _Refusal("assertion failed")


_EXPR_HANDLERS: dict[type, Callable[[_Machine, Any, _Env], Any]] = {
    cst.Name: _Machine._ev_name,
    cst.Integer: _Machine._ev_integer,
    cst.Float: _Machine._ev_float,
    cst.SimpleString: _Machine._ev_string,
    cst.ConcatenatedString: _Machine._ev_string,
    cst.BinaryOperation: _Machine._ev_binary,
    cst.UnaryOperation: _Machine._ev_unary,
    cst.BooleanOperation: _Machine._ev_boolean,
    cst.Comparison: _Machine._ev_comparison,
    cst.IfExp: _Machine._ev_ifexp,
    cst.Call: _Machine._ev_call,
    cst.Attribute: _Machine._ev_attribute,
    cst.Subscript: _Machine._ev_subscript,
    cst.Tuple: _Machine._ev_tuple,
    cst.List: _Machine._ev_list,
    cst.Set: _Machine._ev_set,
    cst.Dict: _Machine._ev_dict,
    cst.ListComp: _Machine._ev_comp,
    cst.GeneratorExp: _Machine._ev_comp,
    cst.SetComp: _Machine._ev_comp,
    cst.DictComp: _Machine._ev_comp,
    cst.Lambda: _Machine._ev_lambda,
    cst.NamedExpr: _Machine._ev_named,
}
_STMT_HANDLERS: dict[type, Callable[[_Machine, Any, _Env], Any]] = {
    cst.SimpleStatementLine: _Machine._ex_line,
    cst.Expr: _Machine._ex_expr,
    cst.Assign: _Machine._ex_assign,
    cst.AugAssign: _Machine._ex_augassign,
    cst.AnnAssign: _Machine._ex_annassign,
    cst.Return: _Machine._ex_return,
    cst.Pass: _Machine._ex_pass,
    cst.Break: _Machine._ex_break,
    cst.Continue: _Machine._ex_continue,
    cst.If: _Machine._ex_if,
    cst.For: _Machine._ex_for,
    cst.While: _Machine._ex_while,
    cst.With: _Machine._ex_with,
    cst.FunctionDef: _Machine._ex_def,
    cst.Raise: _Machine._ex_raise,
    cst.Assert: _Machine._ex_assert,
}


# -------------------------------------------------------------------------------- operator tables


_BINARY_OPS: dict[type, str] = {
    cst.Add: "+", cst.Subtract: "-", cst.Multiply: "*", cst.Divide: "/", cst.FloorDivide: "//",
    cst.Modulo: "%", cst.Power: "**", cst.LeftShift: "<<", cst.RightShift: ">>", cst.BitAnd: "&",
    cst.BitOr: "|", cst.BitXor: "^", cst.MatrixMultiply: "@",
}
_AUG_OPS: dict[type, str] = {
    cst.AddAssign: "+", cst.SubtractAssign: "-", cst.MultiplyAssign: "*", cst.DivideAssign: "/",
    cst.FloorDivideAssign: "//", cst.ModuloAssign: "%", cst.PowerAssign: "**", cst.LeftShiftAssign: "<<",
    cst.RightShiftAssign: ">>", cst.BitAndAssign: "&", cst.BitOrAssign: "|", cst.BitXorAssign: "^",
    cst.MatrixMultiplyAssign: "@",
}
_COMPARE_OPS: dict[type, str] = {
    cst.LessThan: "<", cst.LessThanEqual: "<=", cst.GreaterThan: ">", cst.GreaterThanEqual: ">=",
    cst.Equal: "==", cst.NotEqual: "!=", cst.In: "in", cst.NotIn: "not in", cst.Is: "is", cst.IsNot: "is not",
}


# ---------------------------------------------------------------------------------- string literals

_SIMPLE_ESCAPES = {"\n": "", "\\": "\\", "'": "'", '"': '"', "a": "\a", "b": "\b", "f": "\f", "n": "\n",
                   "r": "\r", "t": "\t", "v": "\v"}


def _unescape(raw: str) -> str:
    """Decode the escapes of a non-raw str literal body (what the Python tokenizer does)."""
    if "\\" not in raw:
        return raw
    out: list[str] = []
    i, n = 0, len(raw)
    while i < n:
        c = raw[i]
        if c != "\\" or i + 1 >= n:
            out.append(c)
            i += 1
            continue
        e = raw[i + 1]
        if e in _SIMPLE_ESCAPES:
            out.append(_SIMPLE_ESCAPES[e])
            i += 2
        elif e in "01234567":
            j = i + 1
            while j < n and j < i + 4 and raw[j] in "01234567":
                j += 1
            out.append(chr(int(raw[i + 1:j], 8)))
            i = j
        elif e in "xuU":
            width = {"x": 2, "u": 4, "U": 8}[e]
            digits = raw[i + 2:i + 2 + width]
            if len(digits) != width or any(d not in "0123456789abcdefABCDEF" for d in digits):
                raise _Refusal("invalid escape in a string literal")
            out.append(chr(int(digits, 16)))
            i += 2 + width
        elif e == "N" and raw[i + 2:i + 3] == "{" and "}" in raw[i + 3:]:
            end = raw.index("}", i + 3)
            try:
                out.append(unicodedata.lookup(raw[i + 3:end]))
            except KeyError:
                raise _Refusal("unknown \\N{...} name in a string literal") from None
            i = end + 1
        else:
            out.append("\\" + e)
            i += 2
    return "".join(out)


# -------------------------------------------------------------------------------------- built-ins

Impl = Callable[[_Machine, list[Any], dict[str, Any]], Any]


def _signature(fname: str, args: list[Any], kwargs: dict[str, Any], names: Sequence[str], required: int,
               kwonly: Sequence[str] = ()) -> list[Any]:
    """Bind a built-in's arguments: ``names`` positional-or-keyword (first ``required`` mandatory)."""
    if len(args) > len(names):
        raise _Refusal(f"{fname}() takes at most {len(names)} arguments ({len(args)} given)")
    values = list(args) + [_MISSING] * (len(names) - len(args))
    extra = []
    for k, v in kwargs.items():
        if k in names:
            i = list(names).index(k)
            if values[i] is not _MISSING:
                raise _Refusal(f"{fname}() got multiple values for argument {k}")
            values[i] = v
        elif k in kwonly:
            extra.append((k, v))
        else:
            raise _Refusal(f"{fname}() got an unexpected keyword argument {k}")
    for i in range(required):
        if values[i] is _MISSING:
            raise _Refusal(f"{fname}() is missing the argument {names[i]}")
    kw = dict(extra)
    return values + [kw.get(k, _MISSING) for k in kwonly]


def _number(fname: str, v: Any) -> Any:
    if type(v) not in _NUMBER_TYPES:
        raise _Refusal(f"{fname}() needs a number, not {_kind(v)}")
    return v


def _integer(fname: str, v: Any) -> int:
    if type(v) not in (int, bool):
        raise _Refusal(f"{fname}() needs an integer, not {_kind(v)}")
    return int(v)


def _finite(x: Any) -> bool:
    return type(x) is not float or math.isfinite(x)


def _float_result(m: _Machine, fname: str, r: Any, *inputs: Any) -> Any:
    if type(r) is float and math.isinf(r) and all(_finite(x) for x in inputs):
        raise _Refusal(f"float overflow in {fname}()")
    if type(r) is int:
        m.check_int(r)
    return r


def _math_fn(qual: str, fn: Callable[..., Any], arity: int, as_float: bool = False) -> _Builtin:
    def impl(m: _Machine, args: list[Any], kwargs: dict[str, Any]) -> Any:
        if kwargs:
            raise _Refusal(f"{qual}() takes no keyword arguments here")
        if len(args) != arity:
            raise _Refusal(f"{qual}() takes {arity} argument(s) ({len(args)} given)")
        xs = [_number(qual, a) for a in args]
        try:
            r = fn(*xs)
        except OverflowError:
            raise _Refusal(f"float overflow in {qual}()") from None
        except ValueError:
            shown = ", ".join(_short(x) for x in xs)
            raise _Refusal(f"math domain error in {qual}({shown})") from None
        if as_float and type(r) is not float:
            r = float(r)
        return _float_result(m, qual, r, *xs)

    return _Builtin(qual, impl)


def _math_log(qual: str) -> _Builtin:
    def impl(m: _Machine, args: list[Any], kwargs: dict[str, Any]) -> Any:
        x, base = _signature(qual, args, kwargs, ("x", "base"), 1)
        xs = [_number(qual, x)] + ([] if base is _MISSING else [_number(qual, base)])
        try:
            return math.log(*xs)
        except (ValueError, ZeroDivisionError):
            raise _Refusal(f"math domain error in {qual}({', '.join(_short(v) for v in xs)})") from None

    return _Builtin(qual, impl)


def _math_isclose(m: _Machine, args: list[Any], kwargs: dict[str, Any]) -> bool:
    a, b, rel, abs_ = _signature("math.isclose", args, kwargs, ("a", "b"), 2, ("rel_tol", "abs_tol"))
    kw = {}
    if rel is not _MISSING:
        kw["rel_tol"] = _number("math.isclose", rel)
    if abs_ is not _MISSING:
        kw["abs_tol"] = _number("math.isclose", abs_)
    return math.isclose(_number("math.isclose", a), _number("math.isclose", b), **kw)


def _math_gcd(m: _Machine, args: list[Any], kwargs: dict[str, Any]) -> int:
    if kwargs:
        raise _Refusal("math.gcd() takes no keyword arguments")
    return math.gcd(*[_integer("math.gcd", a) for a in args])


def _math_hypot(m: _Machine, args: list[Any], kwargs: dict[str, Any]) -> float:
    xs = [_number("math.hypot", a) for a in args]
    return _float_result(m, "math.hypot", math.hypot(*xs), *xs)


_MATH_TABLE: dict[str, Any] = {
    "math.pi": math.pi, "math.e": math.e, "math.tau": math.tau, "math.inf": math.inf, "math.nan": math.nan,
    "math.log": _math_log("math.log"),
    "math.isclose": _Builtin("math.isclose", _math_isclose),
    "math.gcd": _Builtin("math.gcd", _math_gcd),
    "math.hypot": _Builtin("math.hypot", _math_hypot),
}
_MATH_UNARY: dict[str, Callable[[Any], Any]] = {
    "cos": math.cos, "sin": math.sin, "tan": math.tan, "acos": math.acos, "asin": math.asin, "atan": math.atan,
    "cosh": math.cosh, "sinh": math.sinh, "tanh": math.tanh, "acosh": math.acosh, "asinh": math.asinh,
    "atanh": math.atanh, "exp": math.exp, "expm1": math.expm1, "log2": math.log2, "log10": math.log10,
    "log1p": math.log1p, "sqrt": math.sqrt, "fabs": math.fabs, "degrees": math.degrees, "radians": math.radians,
    "erf": math.erf, "erfc": math.erfc, "floor": math.floor, "ceil": math.ceil, "trunc": math.trunc,
    "isfinite": math.isfinite, "isinf": math.isinf, "isnan": math.isnan, "isqrt": math.isqrt,
}
_MATH_BINARY: dict[str, Callable[[Any, Any], Any]] = {
    "atan2": math.atan2, "pow": math.pow, "copysign": math.copysign, "fmod": math.fmod,
    "remainder": math.remainder, "hypot": math.hypot,
}
for _name, _fn in _MATH_UNARY.items():
    _MATH_TABLE[f"math.{_name}"] = _math_fn(f"math.{_name}", _fn, 1)
for _name, _fn2 in _MATH_BINARY.items():
    if _name != "hypot":  # variadic, see _math_hypot
        _MATH_TABLE[f"math.{_name}"] = _math_fn(f"math.{_name}", _fn2, 2)


def _np_floorlike(qual: str, fn: Callable[[float], Any]) -> _Builtin:
    """numpy's floor/ceil/trunc/rint return floats (and pass inf/nan through)."""

    def impl(m: _Machine, args: list[Any], kwargs: dict[str, Any]) -> float:
        (x,) = _signature(qual, args, kwargs, ("x",), 1)
        x = float(_number(qual, x))
        return x if not math.isfinite(x) else float(fn(x))

    return _Builtin(qual, impl)


def _np_minmax(qual: str, pick_max: bool) -> _Builtin:
    def impl(m: _Machine, args: list[Any], kwargs: dict[str, Any]) -> Any:
        a, b = _signature(qual, args, kwargs, ("x1", "x2"), 2)
        a, b = _number(qual, a), _number(qual, b)
        if isinstance(a, float) and math.isnan(a) or isinstance(b, float) and math.isnan(b):
            return math.nan
        r = (a if a >= b else b) if pick_max else (a if a <= b else b)
        return float(r) if float in (type(a), type(b)) else r

    return _Builtin(qual, impl)


def _np_clip(m: _Machine, args: list[Any], kwargs: dict[str, Any]) -> Any:
    a, lo, hi, lo2, hi2 = _signature("numpy.clip", args, kwargs, ("a", "a_min", "a_max"), 1, ("min", "max"))
    lo = lo2 if lo is _MISSING else lo
    hi = hi2 if hi is _MISSING else hi
    a = _number("numpy.clip", a)
    is_float = type(a) is float
    r = a
    if lo is not _MISSING and lo is not None:
        lo = _number("numpy.clip", lo)
        is_float = is_float or type(lo) is float
        r = lo if r < lo else r
    if hi is not _MISSING and hi is not None:
        hi = _number("numpy.clip", hi)
        is_float = is_float or type(hi) is float
        r = hi if r > hi else r
    return float(r) if is_float else r


def _np_power(m: _Machine, args: list[Any], kwargs: dict[str, Any]) -> Any:
    a, b = _signature("numpy.power", args, kwargs, ("x1", "x2"), 2)
    a, b = _number("numpy.power", a), _number("numpy.power", b)
    if type(a) is not float and type(b) is not float and b < 0:
        raise _Refusal("numpy.power(): integers to negative integer powers are not allowed")
    return m.power(a, b)


def _np_round(m: _Machine, args: list[Any], kwargs: dict[str, Any]) -> Any:
    a, decimals = _signature("numpy.round", args, kwargs, ("a", "decimals"), 1)
    a = _number("numpy.round", a)
    d = 0 if decimals is _MISSING else _integer("numpy.round", decimals)
    if type(a) is float:
        return a if not math.isfinite(a) else float(round(a, d))
    return _round_int(int(a), d)


def _np_sign(m: _Machine, args: list[Any], kwargs: dict[str, Any]) -> Any:
    (x,) = _signature("numpy.sign", args, kwargs, ("x",), 1)
    x = _number("numpy.sign", x)
    if type(x) is float:
        return math.nan if math.isnan(x) else float((x > 0) - (x < 0))
    return (x > 0) - (x < 0)


def _np_abs(m: _Machine, args: list[Any], kwargs: dict[str, Any]) -> Any:
    (x,) = _signature("numpy.abs", args, kwargs, ("x",), 1)
    return abs(_number("numpy.abs", x))


def _np_float64(m: _Machine, args: list[Any], kwargs: dict[str, Any]) -> float:
    (x,) = _signature("numpy.float64", args, kwargs, ("x",), 0)
    return 0.0 if x is _MISSING else _builtin_float(m, [x], {})


def _np_interp(m: _Machine, args: list[Any], kwargs: dict[str, Any]) -> float:
    x, xp, fp, left, right, period = _signature("numpy.interp", args, kwargs,
                                                ("x", "xp", "fp", "left", "right", "period"), 3)
    if period is not _MISSING and period is not None:
        raise _Refusal("numpy.interp(period=...) is not supported")
    x = float(_number("numpy.interp", x))
    xs = [float(_number("numpy.interp", v)) for v in m.materialize(xp)]
    ys = [float(_number("numpy.interp", v)) for v in m.materialize(fp)]
    if not xs or len(xs) != len(ys):
        raise _Refusal("numpy.interp(): xp and fp must be non-empty and of the same length")
    if x < xs[0]:
        return ys[0] if left is _MISSING or left is None else float(_number("numpy.interp", left))
    if x > xs[-1]:
        return ys[-1] if right is _MISSING or right is None else float(_number("numpy.interp", right))
    if x == xs[-1]:
        return ys[-1]
    lo, hi = 0, len(xs) - 1
    while hi - lo > 1:  # the last j with xs[j] <= x
        mid = (lo + hi) // 2
        if xs[mid] <= x:
            lo = mid
        else:
            hi = mid
    j = lo
    if xs[j] == x:
        return ys[j]
    slope = (ys[j + 1] - ys[j]) / (xs[j + 1] - xs[j])
    r = slope * (x - xs[j]) + ys[j]
    if math.isnan(r):
        r = slope * (x - xs[j + 1]) + ys[j + 1]
    return r


_NUMPY_TABLE: dict[str, Any] = {
    "numpy.pi": math.pi, "numpy.e": math.e, "numpy.inf": math.inf, "numpy.nan": math.nan,
    "numpy.euler_gamma": 0.5772156649015329,
    "numpy.log": _math_fn("numpy.log", math.log, 1, as_float=True),
    "numpy.floor": _np_floorlike("numpy.floor", math.floor),
    "numpy.ceil": _np_floorlike("numpy.ceil", math.ceil),
    "numpy.trunc": _np_floorlike("numpy.trunc", math.trunc),
    "numpy.rint": _np_floorlike("numpy.rint", round),
    "numpy.minimum": _np_minmax("numpy.minimum", False),
    "numpy.maximum": _np_minmax("numpy.maximum", True),
    "numpy.fmin": _np_minmax("numpy.fmin", False),
    "numpy.fmax": _np_minmax("numpy.fmax", True),
    "numpy.clip": _Builtin("numpy.clip", _np_clip),
    "numpy.power": _Builtin("numpy.power", _np_power),
    "numpy.round": _Builtin("numpy.round", _np_round),
    "numpy.around": _Builtin("numpy.around", _np_round),
    "numpy.sign": _Builtin("numpy.sign", _np_sign),
    "numpy.abs": _Builtin("numpy.abs", _np_abs),
    "numpy.absolute": _Builtin("numpy.absolute", _np_abs),
    "numpy.float64": _Builtin("numpy.float64", _np_float64),
    "numpy.interp": _Builtin("numpy.interp", _np_interp),
}
for _np_name, _math_name in (("cos", "cos"), ("sin", "sin"), ("tan", "tan"), ("arccos", "acos"),
                             ("arcsin", "asin"), ("arctan", "atan"), ("cosh", "cosh"), ("sinh", "sinh"),
                             ("tanh", "tanh"), ("exp", "exp"), ("expm1", "expm1"), ("log2", "log2"),
                             ("log10", "log10"), ("log1p", "log1p"), ("sqrt", "sqrt"), ("fabs", "fabs"),
                             ("degrees", "degrees"), ("radians", "radians"), ("deg2rad", "radians"),
                             ("rad2deg", "degrees")):
    _NUMPY_TABLE[f"numpy.{_np_name}"] = _math_fn(f"numpy.{_np_name}", _MATH_UNARY[_math_name], 1, as_float=True)
for _np_name, _math_name in (("arctan2", "atan2"), ("hypot", "hypot"), ("copysign", "copysign"), ("fmod", "fmod")):
    _NUMPY_TABLE[f"numpy.{_np_name}"] = _math_fn(f"numpy.{_np_name}", _MATH_BINARY[_math_name], 2, as_float=True)

_MODULE_TABLE: dict[str, Any] = {**_MATH_TABLE, **_NUMPY_TABLE}
# Python built-ins ---------------------------------------------------------------------------------


def _builtin_abs(m: _Machine, args: list[Any], kwargs: dict[str, Any]) -> Any:
    (x,) = _signature("abs", args, kwargs, ("x",), 1)
    return m.check_int(abs(x)) if type(_number("abs", x)) is not float else abs(x)


def _round_int(x: int, ndigits: int) -> int:
    """round(int, ndigits) without CPython computing 10 ** -ndigits for a huge negative ndigits."""
    if ndigits < -1300:  # |x| < 2 ** 4096 < 0.5 * 10 ** 1300 (and larger ints are refused anyway)
        return 0
    return round(int(x), ndigits)


def _builtin_round(m: _Machine, args: list[Any], kwargs: dict[str, Any]) -> Any:
    x, nd = _signature("round", args, kwargs, ("number", "ndigits"), 1)
    x = _number("round", x)
    try:
        if nd is _MISSING or nd is None:
            return m.check_int(round(x)) if type(x) is float else int(x)
        if type(x) is not float:
            return _round_int(x, _integer("round", nd))
        return round(x, _integer("round", nd))
    except OverflowError:
        raise _Refusal("round(): cannot round an infinite or too large value") from None
    except ValueError:
        raise _Refusal("round(): cannot round NaN") from None


def _builtin_int(m: _Machine, args: list[Any], kwargs: dict[str, Any]) -> int:
    x, base = _signature("int", args, kwargs, ("x", "base"), 0)
    if x is _MISSING:
        return 0
    if base is not _MISSING:
        raise _Refusal("int() with a base is not supported")
    if isinstance(x, str):
        if len(x) > 100:
            raise _Refusal("int(): string too long")
        try:
            return int(x)
        except ValueError:
            raise _Refusal(f"int(): invalid literal {_short(x)}") from None
    if isinstance(x, Host):
        x = m.host_number(x)
    x = _number("int", x)
    try:
        return m.check_int(int(x))
    except OverflowError:
        raise _Refusal("int(): cannot convert infinity to an integer") from None
    except ValueError:
        raise _Refusal("int(): cannot convert NaN to an integer") from None


def _builtin_float(m: _Machine, args: list[Any], kwargs: dict[str, Any]) -> float:
    (x,) = _signature("float", args, kwargs, ("x",), 0)
    if x is _MISSING:
        return 0.0
    if isinstance(x, str):
        if len(x) > 100:
            raise _Refusal("float(): string too long")
        try:
            return float(x)
        except ValueError:
            raise _Refusal(f"float(): invalid literal {_short(x)}") from None
    if isinstance(x, Host):
        x = m.host_number(x)
    try:
        return float(_number("float", x))
    except OverflowError:
        raise _Refusal("float overflow: integer too large to convert to float") from None


def _builtin_bool(m: _Machine, args: list[Any], kwargs: dict[str, Any]) -> bool:
    (x,) = _signature("bool", args, kwargs, ("x",), 0)
    return False if x is _MISSING else m.truth(x)


def _builtin_str(m: _Machine, args: list[Any], kwargs: dict[str, Any]) -> str:
    (x,) = _signature("str", args, kwargs, ("object",), 0)
    if x is _MISSING:
        return ""
    if x is None or type(x) in _NUMBER_TYPES or type(x) is str or isinstance(x, PathValue):
        return str(x)
    raise _Refusal(f"str() of {_kind(x)} is not supported")


def _builtin_pow(m: _Machine, args: list[Any], kwargs: dict[str, Any]) -> Any:
    base, exp, mod = _signature("pow", args, kwargs, ("base", "exp", "mod"), 2)
    if mod is not _MISSING and mod is not None:
        raise _Refusal("pow() with three arguments is not supported")
    return m.binop("**", base, exp)


def _builtin_divmod(m: _Machine, args: list[Any], kwargs: dict[str, Any]) -> tuple[Any, Any]:
    a, b = _signature("divmod", args, kwargs, ("a", "b"), 2)
    return m.binop("//", _number("divmod", a), _number("divmod", b)), m.binop("%", a, b)


def _builtin_len(m: _Machine, args: list[Any], kwargs: dict[str, Any]) -> int:
    (x,) = _signature("len", args, kwargs, ("obj",), 1)
    if isinstance(x, (list, tuple, str, dict, set, frozenset, range)):
        try:
            return len(x)
        except OverflowError:
            raise _Refusal("len(): range too large") from None
    raise _Refusal(f"len() of {_kind(x)} is not known")


def _keys(m: _Machine, key: Any, items: list[Any]) -> list[Any] | None:
    if key is _MISSING or key is None:
        return None
    return [m.call(key, [x], {}, None) for x in items]


def _minmax(fname: str, pick: Callable[..., Any]) -> Impl:
    def impl(m: _Machine, args: list[Any], kwargs: dict[str, Any]) -> Any:
        extra = set(kwargs) - {"key", "default"}
        if extra:
            raise _Refusal(f"{fname}() got an unexpected keyword argument {sorted(extra)[0]}")
        if not args:
            raise _Refusal(f"{fname}() expects at least one argument")
        if len(args) == 1:
            items = m.materialize(args[0])
            if not items:
                if "default" in kwargs:
                    return kwargs["default"]
                raise _Refusal(f"{fname}() of an empty sequence")
        else:
            if "default" in kwargs:
                raise _Refusal(f"{fname}() cannot take default= with several arguments")
            items = list(args)
        keys = _keys(m, kwargs.get("key"), items)
        compared = keys if keys is not None else items
        _orderable(fname, compared)
        try:
            index = pick(range(len(items)), key=compared.__getitem__)
        except TypeError:
            raise _Refusal(f"{fname}(): values cannot be compared") from None
        return items[index]

    return impl


def _orderable(fname: str, values: list[Any]) -> None:
    """Only numbers, or only strings, or only tuples/lists: what Python would order without surprises."""
    kinds = {("number" if type(v) in _NUMBER_TYPES else type(v).__name__) for v in values}
    if len(kinds) > 1 or kinds and not kinds <= {"number", "str", "tuple", "list"}:
        raise _Refusal(f"{fname}(): cannot compare {', '.join(sorted(kinds))}")


def _builtin_sum(m: _Machine, args: list[Any], kwargs: dict[str, Any]) -> Any:
    it, start = _signature("sum", args, kwargs, ("iterable", "start"), 1)
    items = m.materialize(it)
    start = 0 if start is _MISSING else start
    for x in (*items, start):
        _number("sum", x)
    r = sum(items, start)
    return _float_result(m, "sum", r, *items, start)


def _builtin_range(m: _Machine, args: list[Any], kwargs: dict[str, Any]) -> range:
    if kwargs:
        raise _Refusal("range() takes no keyword arguments")
    if not 1 <= len(args) <= 3:
        raise _Refusal(f"range() takes 1 to 3 arguments ({len(args)} given)")
    ints = [_integer("range", a) for a in args]
    if len(ints) == 3 and ints[2] == 0:
        raise _Refusal("range() step must not be zero")
    return range(*ints)


def _builtin_list(m: _Machine, args: list[Any], kwargs: dict[str, Any]) -> list[Any]:
    (it,) = _signature("list", args, kwargs, ("iterable",), 0)
    return [] if it is _MISSING else m.materialize(it)


def _builtin_tuple(m: _Machine, args: list[Any], kwargs: dict[str, Any]) -> tuple[Any, ...]:
    (it,) = _signature("tuple", args, kwargs, ("iterable",), 0)
    return () if it is _MISSING else tuple(m.materialize(it))


def _builtin_dict(m: _Machine, args: list[Any], kwargs: dict[str, Any]) -> dict[Any, Any]:
    if len(args) > 1:
        raise _Refusal("dict() takes at most one positional argument")
    out: dict[Any, Any] = {}
    if args:
        src = args[0]
        if isinstance(src, dict):
            out.update(src)
        else:
            for pair in m.materialize(src):
                if not isinstance(pair, (list, tuple)) or len(pair) != 2:
                    raise _Refusal("dict() needs pairs")
                out[m.key(pair[0])] = pair[1]
    out.update(kwargs)
    m.check_len(len(out), "dict")
    return out


def _builtin_enumerate(m: _Machine, args: list[Any], kwargs: dict[str, Any]) -> list[tuple[int, Any]]:
    it, start = _signature("enumerate", args, kwargs, ("iterable", "start"), 1)
    first = 0 if start is _MISSING else _integer("enumerate", start)
    return [(first + i, x) for i, x in enumerate(m.materialize(it))]


def _builtin_zip(m: _Machine, args: list[Any], kwargs: dict[str, Any]) -> list[tuple[Any, ...]]:
    strict = kwargs.pop("strict", False)
    if kwargs:
        raise _Refusal(f"zip() got an unexpected keyword argument {sorted(kwargs)[0]}")
    columns = [m.materialize(a) for a in args]
    if strict and len({len(c) for c in columns}) > 1:
        raise _Refusal("zip(strict=True): arguments have different lengths")
    return list(zip(*columns))


def _builtin_sorted(m: _Machine, args: list[Any], kwargs: dict[str, Any]) -> list[Any]:
    it, key, reverse = _signature("sorted", args, kwargs, ("iterable",), 1, ("key", "reverse"))
    items = m.materialize(it)
    keys = _keys(m, key, items)
    compared = keys if keys is not None else items
    _orderable("sorted", compared)
    rev = False if reverse is _MISSING else m.truth(reverse)
    try:
        order = sorted(range(len(items)), key=compared.__getitem__, reverse=rev)
    except TypeError:
        raise _Refusal("sorted(): values cannot be compared") from None
    return [items[i] for i in order]


def _builtin_reversed(m: _Machine, args: list[Any], kwargs: dict[str, Any]) -> list[Any]:
    (it,) = _signature("reversed", args, kwargs, ("seq",), 1)
    if isinstance(it, (dict, set, frozenset)):
        raise _Refusal(f"reversed() of {_kind(it)} is not supported")
    return m.materialize(it)[::-1]


def _builtin_any(m: _Machine, args: list[Any], kwargs: dict[str, Any]) -> bool:
    (it,) = _signature("any", args, kwargs, ("iterable",), 1)
    return any(m.truth(x) for x in m.materialize(it))


def _builtin_all(m: _Machine, args: list[Any], kwargs: dict[str, Any]) -> bool:
    (it,) = _signature("all", args, kwargs, ("iterable",), 1)
    return all(m.truth(x) for x in m.materialize(it))


def _builtin_isinstance(m: _Machine, args: list[Any], kwargs: dict[str, Any]) -> bool:
    obj, types = _signature("isinstance", args, kwargs, ("obj", "class_or_tuple"), 2)
    candidates = types if isinstance(types, tuple) else (types,)
    if isinstance(obj, Host) and all(isinstance(t, (ClassToken, Constructible)) for t in candidates):
        if not obj.takes_classes:  # hosts that compare ClassTokens only: a class of the code by its custom: name
            candidates = tuple(t.ev_token() if isinstance(t, Constructible) else t for t in candidates)
        return any(obj.ev_isinstance(t) for t in candidates)  # type: ignore[arg-type]
    if any(isinstance(t, Constructible) for t in candidates):
        if isinstance(obj, Opaque):
            raise _Refusal(f"the type of {obj.what} is unknown")
        if all(isinstance(t, Constructible) for t in candidates) and not isinstance(obj, Host):
            return False  # a number, string or container is no instance of a class of the analysed code
        raise _Refusal("isinstance() with classes of the analysed code and other types is not supported")
    pytypes = []
    for t in candidates:
        if not isinstance(t, _Builtin) or t.pytype is None:
            raise _Refusal(f"isinstance() with {_kind(t)} is not supported (only basic types)")
        pytypes.append(t.pytype)
    if isinstance(obj, Opaque):
        raise _Refusal(f"the type of {obj.what} is unknown")
    return isinstance(obj, tuple(pytypes))


def _builtin_type(m: _Machine, args: list[Any], kwargs: dict[str, Any]) -> Any:
    if len(args) == 1 and not kwargs and isinstance(args[0], Host):
        return args[0].ev_type()
    raise _Refusal("calls unknown function type()")


def _host_name(fname: str, obj: Any, name: Any) -> str:
    if not isinstance(obj, Host):
        raise _Refusal(f"calls unknown function {fname}()")
    if not isinstance(name, str):
        raise _Refusal(f"{fname}() needs a string attribute name")
    return name


def _builtin_hasattr(m: _Machine, args: list[Any], kwargs: dict[str, Any]) -> bool:
    obj, name = _signature("hasattr", args, kwargs, ("obj", "name"), 2)
    name = _host_name("hasattr", obj, name)
    try:
        obj.ev_getattr(name)
    except (EvalError, LookupError, AttributeError):
        return False
    return True


def _builtin_getattr(m: _Machine, args: list[Any], kwargs: dict[str, Any]) -> Any:
    if len(args) == 3:
        obj, name, default = args
    else:
        obj, name = _signature("getattr", args, kwargs, ("obj", "name"), 2)
        default = _MISSING
    name = _host_name("getattr", obj, name)
    try:
        return m.import_value(obj.ev_getattr(name))
    except (EvalError, LookupError, AttributeError) as e:
        if default is _MISSING:
            raise _Refusal(str(e)) from None
        return default


def _bisect(qual: str, fn: Callable[..., int]) -> _Builtin:
    def impl(m: _Machine, args: list[Any], kwargs: dict[str, Any]) -> int:
        a, x = _signature(qual, args, kwargs, ("a", "x"), 2)
        if not isinstance(a, (list, tuple)):
            raise _Refusal(f"{qual}() needs a list, not {_kind(a)}")
        m.charge(len(a))
        items = list(a)
        for v in (*items, x):
            if type(v) not in _NUMBER_TYPES:
                raise _Refusal(f"{qual}() is only evaluated on numbers, not {_kind(v)}")
        return fn(items, x)

    return _Builtin(qual, impl)


_MODULE_TABLE["bisect.bisect_right"] = _bisect("bisect.bisect_right", bisect.bisect_right)
_MODULE_TABLE["bisect.bisect"] = _bisect("bisect.bisect", bisect.bisect_right)
_MODULE_TABLE["bisect.bisect_left"] = _bisect("bisect.bisect_left", bisect.bisect_left)
_CLASS_TOKEN_MODULES = ("torch.optim.lr_scheduler.",)


def bind_partial(fv: FunctionValue, positional: Sequence[Any], keywords: Sequence[tuple[str, Any]]
                 ) -> FunctionValue | str:
    """``functools.partial(fv, *positional, **keywords)`` as a FunctionValue (see *FunctionValue conventions*: a
    positional argument binds the next parameter without a default that is not bound yet; a keyword binds its
    parameter, or gives it a new default), or why it is not followed."""
    node = fv.node
    if not isinstance(node, (cst.FunctionDef, cst.Lambda)):
        return f"{fv.name} is not a def or lambda"
    params = node.params
    bound = dict(fv.bound)
    free = [p.name.value for p in (*params.posonly_params, *params.params)
            if p.default is None and p.name.value not in bound]
    new: dict[str, Any] = {}
    for v in positional:
        if not free:
            return "a positional argument binds a parameter with a default, which is not followed"
        new[free.pop(0)] = v
    for k, v in keywords:
        if k in new:
            return f"it binds {k} twice"
        new[k] = v
    bound.update(new)
    return FunctionValue(fv.node, fv.name, fv.line, fv.scope, tuple(bound.items()), fv.file)


def _builtin_partial(m: "_Machine", args: list[Any], kwargs: dict[str, Any]) -> FunctionValue:
    if not args:
        raise _Refusal("functools.partial() needs a function")
    fn = m.export(args[0]) if isinstance(args[0], _Closure) else args[0]
    if not isinstance(fn, FunctionValue):
        raise _Refusal(f"functools.partial() of {_kind(fn)} is not evaluated")
    got = bind_partial(fn, [m.export(a) for a in args[1:]], [(k, m.export(v)) for k, v in kwargs.items()])
    if isinstance(got, str):
        raise _Refusal(f"functools.partial(): {got}")
    return got


_MODULE_TABLE["functools.partial"] = _Builtin("functools.partial", _builtin_partial)


def _has_value_methods(v: Any) -> bool:
    """A value whose methods value_methods implements (str, dict, pathlib paths; not a parameter group)."""
    return type(v) is str or type(v) is dict or isinstance(v, PathValue)


def _path_builtin(qual: str) -> _Builtin:
    from .value_methods import path_function

    fn = path_function(qual)
    assert fn is not None

    def impl(m: _Machine, args: list[Any], kwargs: dict[str, Any]) -> Any:
        try:
            return m.import_value(fn(args, kwargs, m.filesystem))
        except MethodRefused as e:
            raise _Refusal(str(e)) from None

    return _Builtin(qual, impl, PathValue if qual.startswith("pathlib.") else None)


for _qual in ("pathlib.Path", "pathlib.PurePath", "pathlib.PosixPath", "pathlib.PurePosixPath", "os.path.isfile",
              "os.path.isdir", "os.path.exists", "os.path.join", "os.path.basename", "os.path.dirname",
              "os.path.splitext", "os.path.split", "os.path.normpath", "os.path.isabs", "os.path.abspath",
              "os.fspath"):
    _MODULE_TABLE[_qual] = _path_builtin(_qual)
_HOST_BUILTINS = ("getattr", "hasattr", "type")
_WARN = _Builtin("warnings.warn", None)
_MODULE_TABLE["warnings.warn"] = _WARN
_PRINT = _Builtin("print", None)


def _builtin_lraudit_count(m: _Machine, args: list[Any], kwargs: dict[str, Any]) -> int:
    """``lraudit_count(pred, end)``: how many ``j`` in ``range(end)`` satisfy ``pred`` (a lambda of the step that
    extract/manual.py writes for a rate carried from pass to pass under several conditions). A schedule is
    replayed step by step with growing ``end``: the count so far is kept in the evaluation's shared cache (per
    predicate) and extended, so a replay of n steps costs n predicate calls, not n * n / 2."""
    if kwargs or len(args) != 2 or not isinstance(args[0], _Closure) or type(args[1]) is not int:
        raise _Refusal("lraudit_count() takes a predicate and an integer")
    pred, end = args
    key = ("lraudit_count", id(pred.node), id(pred.scope))
    state = m.shared.get(key)
    done, count = (state[0], state[1]) if state is not None and state[2] is pred.node and state[0] <= end else (0, 0)
    for j in range(done, end):
        m.tick()
        if m.truth(m.call(pred, [j], {}, None)):
            count += 1
    m.shared[key] = (end, count, pred.node)  # the node keeps its id from being reused
    return count


_BUILTINS: dict[str, _Builtin] = {
    "abs": _Builtin("abs", _builtin_abs),
    "round": _Builtin("round", _builtin_round),
    "int": _Builtin("int", _builtin_int, int),
    "float": _Builtin("float", _builtin_float, float),
    "bool": _Builtin("bool", _builtin_bool, bool),
    "str": _Builtin("str", _builtin_str, str),
    "list": _Builtin("list", _builtin_list, list),
    "tuple": _Builtin("tuple", _builtin_tuple, tuple),
    "dict": _Builtin("dict", _builtin_dict, dict),
    "pow": _Builtin("pow", _builtin_pow),
    "divmod": _Builtin("divmod", _builtin_divmod),
    "len": _Builtin("len", _builtin_len),
    "min": _Builtin("min", _minmax("min", min)),
    "max": _Builtin("max", _minmax("max", max)),
    "sum": _Builtin("sum", _builtin_sum),
    "range": _Builtin("range", _builtin_range, range),
    "enumerate": _Builtin("enumerate", _builtin_enumerate),
    "zip": _Builtin("zip", _builtin_zip),
    "sorted": _Builtin("sorted", _builtin_sorted),
    "reversed": _Builtin("reversed", _builtin_reversed),
    "any": _Builtin("any", _builtin_any),
    "all": _Builtin("all", _builtin_all),
    "isinstance": _Builtin("isinstance", _builtin_isinstance),
    "type": _Builtin("type", _builtin_type),
    "hasattr": _Builtin("hasattr", _builtin_hasattr),
    "getattr": _Builtin("getattr", _builtin_getattr),
    "print": _PRINT,
    "lraudit_count": _Builtin("lraudit_count", _builtin_lraudit_count),
}


def _register_tensor_math() -> None:
    """Scalar ``keras.ops`` / ``tf.math`` / Keras backend functions (see tensor_math.py)."""
    from .tensor_math import TABLE

    for name, value in TABLE.items():
        _MODULE_TABLE.setdefault(name, value)


_register_tensor_math()


def _register_numpy_arrays() -> None:
    """1-D NumPy arrays: ``np.linspace``/``arange``/``concatenate``/... and array-aware ``np.cos`` (numpy_arrays.py)."""
    from .numpy_arrays import mapped, table

    for name, impl in table().items():
        _MODULE_TABLE[name] = _Builtin(name, impl)
    for name in list(_NUMPY_TABLE):
        value = _MODULE_TABLE.get(name)
        if isinstance(value, _Builtin) and value.impl is not None:
            _MODULE_TABLE[name] = mapped(value)


_register_numpy_arrays()

#: the NumPy functions the evaluator implements, once the table is complete (the resolver evaluates a call of one
#: written in the analysed code)
NUMPY_FUNCTIONS = frozenset(k for k, v in _MODULE_TABLE.items() if k.startswith("numpy.") and isinstance(v, _Builtin))
