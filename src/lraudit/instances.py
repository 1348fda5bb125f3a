"""Objects of plain classes of the analysed code, built and used inside the safe evaluator.

``LambdaLR(opt, lr_lambda=Decay(n_epochs, offset, decay_start).step)``: ``Decay`` is a plain class of the
repository (``object`` is its only base, possibly through other plain classes of the repository) whose
``__init__`` stores fields and whose ``step(self, epoch)`` returns a factor. ``PlainClass`` stands for such a class
in evaluated code: calling it makes an ``Instance`` (a ``Host``: the evaluator reads and writes its attributes
through it, never through Python's attribute machinery) and runs ``__init__`` on the arguments in the same
evaluation, under the same budgets. ``instance.method`` is a ``BoundMethod`` the evaluator calls with the instance
first; an instance whose class defines ``__call__`` is itself callable.

Nothing of the analysed code is imported or run by Python: methods are ``FunctionValue``s the evaluator
interprets. A decorated method (``@staticmethod``, ``@property``...) or a class-level value that is not known is
refused with its reason when code uses it, and ``__getattr__``-style hooks are never called.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

from .evaluate import BoundMethod, ClassToken, Constructible, EvalError, Host
from .facts import FunctionValue
from .value_methods import PathValue

MAX_ATTRIBUTES = 1_000  # attributes one instance may hold
MAX_COPY_DEPTH = 32


@dataclass(frozen=True, eq=False)
class PlainClass(Constructible):
    """A plain class of the analysed code (``where`` is ``utils.py:36``)."""

    name: str
    where: str
    methods: Mapping[str, FunctionValue]
    fields: Mapping[str, Any] = field(default_factory=dict)  # class-level values that are known
    refused: Mapping[str, str] = field(default_factory=dict)  # attribute -> why the evaluator cannot use it
    bases: tuple["PlainClass", ...] = ()

    @property
    def what(self) -> str:  # type: ignore[override]
        return f"class {self.name} ({self.where})"

    def mro(self) -> list["PlainClass"]:
        """Python's C3 linearisation over the plain classes (``object`` left out)."""
        return _c3(self, 0)

    def lookup(self, name: str, start_after: "PlainClass | None" = None) -> tuple["PlainClass", str, Any] | None:
        """(defining class, "method" | "field", value) for ``name`` along the MRO; EvalError when refused."""
        mro = self.mro()
        if start_after is not None:
            idx = next((i for i, k in enumerate(mro) if k is start_after), None)
            if idx is None:
                raise EvalError(f"super(): {start_after.name} is not a base of {self.name}")
            mro = mro[idx + 1:]
        for k in mro:
            if name in k.refused:
                raise EvalError(k.refused[name])
            if name in k.methods:
                return k, "method", k.methods[name]
            if name in k.fields:
                return k, "field", k.fields[name]
        return None

    def ev_token(self) -> ClassToken:
        return ClassToken(f"custom:{self.name}")

    def ev_new(self) -> tuple[Host, Any]:
        obj = Instance(self)
        found = self.lookup("__init__")
        if found is None:
            return obj, None
        owner, _, fn = found
        return obj, BoundMethod(fn, obj, owner)


def _c3(cls: PlainClass, depth: int) -> list[PlainClass]:
    if depth > 20:
        raise EvalError(f"the class hierarchy of {cls.name} is too deep or circular")
    seqs = [_c3(b, depth + 1) for b in cls.bases] + [list(cls.bases)]
    out = [cls]
    while True:
        seqs = [s for s in seqs if s]
        if not seqs:
            return out
        for s in seqs:
            head = s[0]
            if not any(head in t[1:] for t in seqs):
                break
        else:
            raise EvalError(f"the bases of {cls.name} have no consistent method resolution order")
        out.append(head)
        for s in seqs:
            if s[0] is head:
                del s[0]


class Instance(Host):
    """An object of a ``PlainClass``: its own attributes, then its class's methods and class-level values."""

    takes_classes = True

    def __init__(self, cls: PlainClass, attrs: dict[str, Any] | None = None) -> None:
        self.cls = cls
        self.attrs: dict[str, Any] = attrs if attrs is not None else {}
        self.what = f"a {cls.name} object"

    def __repr__(self) -> str:  # stable in explain output
        return f"<{self.cls.name} object>"

    def ev_getattr(self, name: str) -> Any:
        if name in self.attrs:
            return self.attrs[name]
        if name.startswith("__") and name not in ("__call__", "__init__"):
            raise EvalError(f"attribute {name} is not read by the evaluator")
        found = self.cls.lookup(name)
        if found is None:
            raise EvalError(f"{self.cls.name} has no attribute {name} (it is not set in __init__ or the class)")
        owner, kind, value = found
        return BoundMethod(value, self, owner) if kind == "method" else value

    def ev_setattr(self, name: str, value: Any) -> None:
        if name not in self.attrs and len(self.attrs) >= MAX_ATTRIBUTES:
            raise EvalError(f"{self.what} has too many attributes (limit {MAX_ATTRIBUTES})")
        self.attrs[name] = value

    def ev_class(self, name: str) -> Any:
        return next((k for k in self.cls.mro() if k.name == name), None)

    def ev_super(self, owner: Any, name: str) -> Any:
        found = self.cls.lookup(name, start_after=owner)
        if found is None:
            if name == "__init__":  # object.__init__
                return BoundMethod(_OBJECT_INIT, self, None)
            raise EvalError(f"super().{name}: no base class of {owner.name} defines it")
        k, kind, value = found
        return BoundMethod(value, self, k) if kind == "method" else value

    def ev_class_attr(self, owner: Any, name: str) -> Any:
        found = owner.lookup(name)
        if found is None:
            raise EvalError(f"{owner.name} has no attribute {name}")
        k, kind, value = found
        return BoundMethod(value, None, k) if kind == "method" else value

    def ev_type(self) -> ClassToken:
        return ClassToken(f"custom:{self.cls.name}")

    def ev_isinstance(self, token: Any) -> bool:
        if isinstance(token, PlainClass):
            return any(k is token for k in self.cls.mro())
        return False  # a library class (ClassToken): a plain class never derives from one

    def ev_call_target(self) -> Any:
        found = self.cls.lookup("__call__")
        if found is None or found[1] != "method":
            raise EvalError(f"{self.what} is not callable ({self.cls.name} defines no __call__)")
        return BoundMethod(found[2], self, found[0])

    def ev_copy(self) -> "Instance":
        return _copy(self, {}, 0)

    def ev_export(self, export: Any, seen: set[int] | None = None) -> None:
        seen = seen if seen is not None else set()
        if id(self) in seen:
            return
        seen.add(id(self))
        for k, v in list(self.attrs.items()):
            self.attrs[k] = export(v)
            if isinstance(v, Instance):
                v.ev_export(export, seen)


def as_function(v: Any) -> FunctionValue | None:
    """A callable object of the analysed code as the ``FunctionValue`` a simulator calls: an instance whose class
    defines ``__call__`` (``LambdaLR(opt, lr_lambda=Warmup(5))``); None for anything else."""
    if not isinstance(v, Instance):
        return None
    found = v.cls.lookup("__call__")
    if found is None or found[1] != "method":
        return None
    return bind_method(found[2], v, found[0])


def bind_method(fn: FunctionValue, receiver: Any, owner: Any = None) -> FunctionValue | None:
    """``receiver.method`` as a function of the remaining parameters (the first one is bound to the receiver;
    ``__class__``, Python's closure cell for ``super()``, to the class that defines the method)."""
    params = getattr(getattr(fn.node, "params", None), "params", ())
    posonly = getattr(getattr(fn.node, "params", None), "posonly_params", ())
    first = (tuple(posonly) + tuple(params))[:1]
    if not first:
        return None
    cell = (("__class__", owner),) if owner is not None else ()
    return FunctionValue(fn.node, fn.name, fn.line, fn.scope, ((first[0].name.value, receiver), *cell, *fn.bound),
                         fn.file)


def _copy(v: Any, memo: dict[int, Any], depth: int) -> Any:
    """A copy of an instance's state: containers and instances are copied, everything else is shared (numbers,
    strings and functions are immutable to evaluated code)."""
    if depth > MAX_COPY_DEPTH:
        raise EvalError("an object's state is nested too deeply to copy")
    if v is None or isinstance(v, (bool, int, float, str, PathValue, FunctionValue)):
        return v
    if id(v) in memo:
        return memo[id(v)]
    if isinstance(v, Instance):
        out = Instance(v.cls)
        memo[id(v)] = out
        out.attrs = {k: _copy(x, memo, depth + 1) for k, x in v.attrs.items()}
        return out
    if isinstance(v, list):
        lst: list[Any] = []
        memo[id(v)] = lst
        lst.extend(_copy(x, memo, depth + 1) for x in v)
        return lst
    if isinstance(v, dict):
        d = type(v)()
        memo[id(v)] = d
        for k, x in v.items():
            d[k] = _copy(x, memo, depth + 1)
        return d
    if isinstance(v, set):
        return {_copy(x, memo, depth + 1) for x in v}
    if isinstance(v, tuple):
        return tuple(_copy(x, memo, depth + 1) for x in v)
    return v


def _object_init_node() -> Any:
    import libcst as cst

    return cst.parse_statement("def __init__(self):\n    pass\n")


_OBJECT_INIT = FunctionValue(_object_init_node(), "object.__init__", 0)

__all__ = ["Instance", "PlainClass", "as_function", "bind_method"]
