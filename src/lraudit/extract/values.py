"""Value resolution with provenance: literals, arithmetic, constants, argparse/click defaults, config files,
dataclass defaults and function parameters. Anything else is ``Unknown`` with a reason a person can act on.
"""

from __future__ import annotations

import json
import math
import os
import re
from dataclasses import dataclass, field
from contextlib import contextmanager
from typing import Any, Callable, Iterator

import libcst as cst

from ..facts import FunctionValue, Known, Unknown, Value
from .imports import dotted
from .run_sizes import (WORLD, WORLD_WORDS, assumed_len_source, is_run_size_len, symbol_len_source, world_attribute,
                        world_call)
from .index import AssignRec, CallSite, ClassInfo, Ctx, FunctionInfo, Indexer, Scope

MAX_DEPTH = 24
MAX_CONFIG_BYTES = 2_000_000
MAX_INT_BITS = 4096
MAX_VALUE_SIZE = 100_000  # elements + characters of one resolved value (lists of huge strings...)


@dataclass(frozen=True)
class Namespace:
    """The result of ``parser.parse_args()``: attributes resolve to argparse defaults."""

    parser: str | None = None


@dataclass(frozen=True)
class DataclassInstance:
    cls: str
    overrides: tuple[tuple[str, Any], ...] = ()
    sources: tuple[tuple[str, str], ...] = ()
    home: Any = field(default=None, compare=False)  # the Resolver of the module defining the class (None: here)


@dataclass(frozen=True)
class ObjectRef:
    """Stands for an optimizer/scheduler object in value positions (never a number)."""

    oid: str


@dataclass
class ArgOption:
    dest: str
    flags: list[str]
    default: cst.BaseExpression | None
    type_name: str | None
    required: bool
    action: str | None
    line_node: cst.CSTNode
    nargs: str | None = None
    choices: bool = False
    choices_node: cst.BaseExpression | None = None  # the choices=[...] expression
    ctx: Ctx | None = None  # where its default is resolved, when not the file's module scope (a linked module)


LITERAL = "literal"


def _is_num(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _combine(*sources: str) -> str:
    parts: list[str] = []
    for s in sources:
        if s == LITERAL or not s:
            continue
        for piece in s.split("; "):
            piece = piece.removeprefix("computed from ")
            if piece not in parts:
                parts.append(piece)
    if not parts:
        return LITERAL
    return "computed from " + "; ".join(parts)


class _Refuse(Exception):
    pass


def _check_int(v: Any) -> Any:
    if isinstance(v, int) and not isinstance(v, bool) and v.bit_length() > MAX_INT_BITS:
        raise _Refuse("integer too large")
    return v


def _binop(op: str, a: Any, b: Any) -> Any:
    if op == "Add":
        if isinstance(a, (list, tuple, str)) and isinstance(b, type(a)) and len(a) + len(b) > 100_000:
            raise _Refuse("value too large")
        return a + b
    if op == "Subtract":
        return a - b
    if op == "Multiply":
        if isinstance(a, (list, tuple, str, bytes)) or isinstance(b, (list, tuple, str, bytes)):
            n = b if isinstance(a, (list, tuple, str, bytes)) else a
            seq = a if isinstance(a, (list, tuple, str, bytes)) else b
            if not isinstance(n, int) or len(seq) * max(n, 0) > 100_000:
                raise _Refuse("value too large")
        return a * b
    if op == "Divide":
        return a / b
    if op == "FloorDivide":
        return a // b
    if op == "Modulo":
        if isinstance(a, str):
            raise _Refuse("string formatting")
        return a % b
    if op == "Power":
        if isinstance(a, int) and isinstance(b, int) and not isinstance(a, bool):
            if b < 0:
                return float(a) ** b
            if abs(a) > 1 and b * max(abs(a).bit_length(), 1) > MAX_INT_BITS:
                raise _Refuse("integer power too large")
        r = a ** b
        if isinstance(r, complex):
            raise _Refuse("complex result")
        return r
    if op == "LeftShift":
        if b > MAX_INT_BITS:
            raise _Refuse("shift too large")
        return a << b
    if op == "RightShift":
        return a >> b
    if op == "BitOr":
        return a | b
    if op == "BitAnd":
        return a & b
    if op == "BitXor":
        return a ^ b
    raise _Refuse(f"operator {op}")


_MATH_CONST = {"math.pi": math.pi, "math.e": math.e, "math.inf": math.inf, "numpy.pi": math.pi, "numpy.e": math.e,
               "numpy.inf": math.inf, "torch.pi": math.pi}
MAX_COMPREHENSION = 1000  # items of a comprehension the values resolve
#: reading an environment variable with a default (conditions only: see Resolver._call)
_ENV_GETS = frozenset({"os.environ.get", "os.getenv"})
#: variables a launcher (torchrun, SLURM, MPI, accelerate, DeepSpeed) sets: never taken as absent
_LAUNCHER_ENV = frozenset({"RANK", "LOCAL_RANK", "WORLD_SIZE", "LOCAL_WORLD_SIZE", "NODE_RANK", "GROUP_RANK",
                           "MASTER_ADDR", "MASTER_PORT", "CUDA_VISIBLE_DEVICES", "OMP_NUM_THREADS"})
_LAUNCHER_ENV_PREFIXES = ("SLURM_", "OMPI_", "PMI_", "TORCHELASTIC_", "ACCELERATE_", "DEEPSPEED_", "MV2_", "PMIX_",
                          "TPU_", "XRT_", "LOCAL_")
#: process launchers that call ``fn(process_index, *args)`` (see Resolver._spawned_call)
_SPAWNERS = frozenset({"torch.multiprocessing.spawn", "torch.multiprocessing.start_processes",
                       "torch_xla.distributed.xla_multiprocessing.spawn", "ignite.distributed.spawn"})
#: pure methods of a known string the values read (``args.opt.lower().split("_")[-1]``, timm's create_optimizer)
_STR_METHODS = frozenset({"lower", "upper", "strip", "lstrip", "rstrip", "split", "rsplit", "replace", "startswith",
                          "endswith", "casefold", "title", "capitalize", "removeprefix", "removesuffix"})
_PURE_CALLS: dict[str, Callable[..., Any]] = {
    "float": float, "int": int, "abs": abs, "round": round, "min": min, "max": max, "bool": bool, "str": str,
    "math.sqrt": math.sqrt, "math.exp": math.exp, "math.log": math.log, "math.cos": math.cos,
    "math.sin": math.sin, "math.floor": math.floor, "math.ceil": math.ceil, "math.pow": math.pow,
    "math.log10": math.log10, "math.log2": math.log2, "numpy.sqrt": math.sqrt, "numpy.exp": math.exp,
    "numpy.log": math.log, "numpy.cos": math.cos, "numpy.floor": math.floor, "numpy.ceil": math.ceil,
    "numpy.power": pow, "numpy.float32": float, "numpy.float64": float,
}
_NAMESPACE_NAMES = {"args", "opt", "opts", "flags", "FLAGS", "hparams", "hp", "options", "arguments", "a", "cfg",
                    "config", "conf", "params", "hyperparams", "train_args", "training_args", "parsed_args", "p",
                    "configs", "settings", "hparam", "c", "arg"}


_OMITTED = Unknown("not passed")  # a keyword a forwarded **kwargs does not carry (see Resolver._forwarded)
_RECURSIVE = Unknown("the function passes it on to itself through a chain of calls (recursion)")

# an assigned value that restores a run from a checkpoint (a resumed run, not a fresh one)
_RESTORE_RE = re.compile(r"torch\.load|load_state|load_checkpoint|ckpt|checkpoint|resume|restore|state_dict", re.I)


def _type_test(test: cst.BaseExpression, name: str) -> bool:
    """``isinstance(name, T)``, ``name is None``, ``name is not None``, ``not name``, ``type(name) is T`` (and
    their negations): a test on a name's type or absence."""
    if isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not):
        return _type_test(test.expression, name) or (isinstance(test.expression, cst.Name)
                                                     and test.expression.value == name)
    if isinstance(test, cst.Call) and dotted(test.func) == "isinstance" and test.args:
        first = test.args[0].value
        return isinstance(first, cst.Name) and first.value == name
    if isinstance(test, cst.Comparison) and len(test.comparisons) == 1:
        left, right = test.left, test.comparisons[0].comparator
        op = test.comparisons[0].operator
        if isinstance(left, cst.Name) and left.value == name and isinstance(op, (cst.Is, cst.IsNot)) \
                and isinstance(right, cst.Name) and right.value == "None":
            return True
        if isinstance(left, cst.Call) and dotted(left.func) == "type" and left.args and isinstance(
                left.args[0].value, cst.Name) and left.args[0].value.value == name:
            return True
    return False


#: the evaluator's bounds for a repository function whose result is a value (a schedule array such as
#: ConvNeXt's ``cosine_scheduler(lr, min_lr, 300, 100)``: a comprehension over 30,000 iterations); a scheduler's
#: per-step calls keep the evaluator's smaller default bounds
VALUE_CALL_STEPS = 1_500_000
VALUE_CALL_SECONDS = 4.0
_ASSUMED_LEN: list[int | None] = [None]  # Resolver.assumed_len, shared by the process's resolvers


class Resolver:
    """Resolves expressions of one file to ``Known``/``Unknown`` values."""

    # The loader length assumed while a labelled assumed curve is drawn (see SchedulerFact.assumed_args): one value
    # for every resolver of the process, so a value another module's resolver computes (a schedule built in
    # main.py and passed into engine.py's loop) is taken at the same size. Set it only through ``assuming()``.
    @property
    def assumed_len(self) -> int | None:
        return _ASSUMED_LEN[0]

    @assumed_len.setter
    def assumed_len(self, n: int | None) -> None:
        _ASSUMED_LEN[0] = n

    @contextmanager
    def assuming(self, n: int) -> Iterator[None]:
        """Resolve with every loader length (and the number of processes, as one) taken as ``n``."""
        before = _ASSUMED_LEN[0]
        _ASSUMED_LEN[0] = n
        try:
            yield
        finally:
            _ASSUMED_LEN[0] = before

    def __init__(self, ix: Indexer, path: str, directory: str | None) -> None:
        self.ix = ix
        self.path = path
        self.name = os.path.basename(path) or path
        self.directory = directory
        self.loc_line: Callable[[cst.CSTNode], int] = lambda node: 0
        self.object_of_call: dict[int, str] = {}  # id(Call node) -> object id (filled by extraction)
        self._argparse: dict[str, ArgOption] | None = None
        self._click: dict[str, dict[str, tuple[cst.BaseExpression | None, str]]] | None = None
        self._numpy_memo: dict[tuple[int, int, int | None], tuple[cst.CSTNode, Value]] = {}
        self._calls_by_name: dict[str, list[CallSite]] | None = None
        self._sub_writes_by_name: dict[str, list[Any]] | None = None  # d["k"] = v writes by the dict's name
        self._spawn_sites: dict[int, tuple[cst.Call, CallSite]] = {}  # launcher call -> the call it makes
        self._bound: list[dict[str, Value]] = []  # comprehension variables being resolved (innermost last)
        self._locals_nodes: dict[tuple[int, str], cst.Name] = {}  # names read by locals() (kept for memo ids)
        self._alias_sites: dict[int, list[CallSite]] = {}
        self._instance_sites: dict[str, list[CallSite]] = {}  # class -> calls of its instances (_instance_calls)
        self._config_cache: dict[str, Any] = {}
        self._depth = 0
        # while a branch condition is evaluated (conditions.py): an option nobody sets is None, as argparse makes it
        self.condition_mode = False
        # ``--set KEY=VALUE``: option dests, flags, click parameters, dataclass fields, config keys -> the text given
        self.overrides: dict[str, str] = {}
        # run-time sizes as symbols (symbols.py): a value for ``len(X)`` / a pass over ``X`` by the text of ``X``
        self.symbol_value: Callable[[str], int] | None = None
        self.module_hops = 0  # how many imports away from the analysed file this resolver is
        self._memo: dict[tuple[Any, ...], tuple[Any, Value]] = {}  # repeated resolutions are common
        self._calls: dict[tuple[Any, ...], tuple[Any, Any, str | None]] = {}  # _evaluate_call on plain values
        # a parameter's value is the same wherever the function reads it: one resolution per function and name
        # (without it, functions whose call sites pass parameters on to each other, or to themselves, are
        # resolved once per path through the call graph: exponential on real code such as ignite's handlers)
        self._param_memo: dict[tuple[Any, ...], tuple[Any, Value]] = {}
        self._param_active: set[tuple[Any, ...]] = set()
        self._ns_writes: dict[str, tuple[Scope, str, cst.CSTNode]] | None = None  # see _namespace_writes
        # dotted attributes a framework adapter knows before extraction (``self.trainer.max_epochs`` from the
        # Lightning Trainer call); consulted before any other resolution of that exact attribute
        self.known_attributes: dict[str, Value] = {}
        # modules of the repository linked into the index (extract/link.py): their file for a node, and the
        # file of each linked module scope (``__file__``, relative imports and paths resolve at its location)
        self.loc_file: Callable[[cst.CSTNode], str | None] = lambda node: None
        self.scope_files: dict[int, str] = {}
        self.class_scopes: dict[int, Scope] = {}  # id(ClassInfo) of a linked class -> its module's scope

    # ------------------------------------------------------------------------------------- public
    def resolve(self, node: cst.BaseExpression | None, ctx: Ctx, seq: int | None = None) -> Value:
        if node is None:
            return Unknown("no value")
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                return Unknown("value depends on a chain of assignments too long to follow")
            key = (id(node), id(ctx.scope), ctx.loops, ctx.conds, seq, self.assumed_len, self.condition_mode)
            hit = self._memo.get(key) if not self._bound else None  # (inside a comprehension: not memoised)
            if hit is not None:
                return hit[1]
            value = _bounded(self._resolve(node, ctx, seq))
            if not self._bound and not (isinstance(value, Unknown) and "too long to follow" in value.reason):
                self._memo[key] = (node, value)  # the node is kept so its id cannot be reused
            return value
        except _Refuse as exc:
            return Unknown(f"not computed: {exc}")
        except (ArithmeticError, TypeError, ValueError, IndexError, KeyError, RecursionError) as exc:
            return Unknown(f"could not compute {self.ix.text(node, 60)}: {type(exc).__name__}")
        finally:
            self._depth -= 1

    def where(self, node: cst.CSTNode) -> str:
        line = self.loc_line(node)
        name = self.loc_file(node) or self.name
        return f"{name}:{line}" if line else name

    def def_file(self, node: cst.CSTNode) -> str:
        """The repository path of the module that defines ``node`` when it is not the analysed file, else ""."""
        return self.loc_file(node) or (self.name if self.module_hops else "")

    def file_for(self, ctx: Ctx | None) -> str:
        """The file the code of ``ctx`` belongs to: the analysed file, or a module linked into its index."""
        if ctx is None or not self.scope_files:
            return self.path
        return self.scope_files.get(_root_id(ctx.scope), self.path)

    # ------------------------------------------------------------------------------------ core
    def _resolve(self, node: cst.BaseExpression, ctx: Ctx, seq: int | None) -> Value:
        if isinstance(node, cst.Integer):
            return Known(_check_int(node.evaluated_value), LITERAL)
        if isinstance(node, cst.Float):
            return Known(node.evaluated_value, LITERAL)
        if isinstance(node, cst.SimpleString):
            v = node.evaluated_value
            return Known(v, LITERAL) if isinstance(v, str) else Unknown("bytes literal")
        if isinstance(node, cst.ConcatenatedString):
            v = node.evaluated_value
            return Known(v, LITERAL) if isinstance(v, str) else Unknown("bytes literal")
        if isinstance(node, cst.Name) and node.value in ("True", "False", "None"):
            return Known({"True": True, "False": False, "None": None}[node.value], LITERAL)
        if isinstance(node, cst.UnaryOperation):
            inner = self.resolve(node.expression, ctx, seq)
            if not isinstance(inner, Known):
                return inner
            op = type(node.operator).__name__
            v = inner.value
            if op == "Minus" and _is_num(v):
                return Known(-v, inner.source)
            if op == "Plus" and _is_num(v):
                return Known(v, inner.source)
            if op == "Not":
                return Known(not v, inner.source)
            if op == "BitInvert" and isinstance(v, int):
                return Known(~v, inner.source)
            return Unknown(f"cannot apply {op} to {type(v).__name__}")
        if isinstance(node, cst.BinaryOperation):
            left = self.resolve(node.left, ctx, seq)
            if isinstance(node.operator, cst.Divide) and not (isinstance(left, Known) and _is_num(left.value)):
                path = self._path_expr(node, ctx, seq)  # ROOT / "data/hyps/hyp.yaml"
                if isinstance(path, Known) or not isinstance(left, Known):
                    return path if isinstance(path, Known) else left
            if not isinstance(left, Known):
                return left
            right = self.resolve(node.right, ctx, seq)
            if not isinstance(right, Known):
                return right
            op = type(node.operator).__name__
            if op in ("FloorDivide", "Divide"):
                left = _dataset_in_batches(node.left, left, right, self.ix)
            if isinstance(left.value, (FunctionValue, ObjectRef, Namespace, DataclassInstance, dict)) or isinstance(
                right.value, (FunctionValue, ObjectRef, Namespace, DataclassInstance, dict)
            ):
                return Unknown(f"cannot compute {self.ix.text(node, 60)}")
            if isinstance(left.value, str) and op == "Modulo":
                return Unknown("string formatting is not evaluated")
            return Known(_check_int(_binop(op, left.value, right.value)), _combine(left.source, right.source))
        if isinstance(node, cst.BooleanOperation):
            left = self.resolve(node.left, ctx, seq)
            if not isinstance(left, Known):
                return left
            op = type(node.operator).__name__
            if op == "And" and not left.value:
                return left
            if op == "Or" and left.value:
                return left
            right = self.resolve(node.right, ctx, seq)
            if not isinstance(right, Known):
                return right
            return Known(right.value, _combine(left.source, right.source))
        if isinstance(node, cst.IfExp):
            test = self.resolve(node.test, ctx, seq)
            if not isinstance(test, Known):
                a = self.resolve(node.body, ctx, seq)
                b = self.resolve(node.orelse, ctx, seq)
                if isinstance(a, Known) and isinstance(b, Known) and _same(a.value, b.value):
                    return a
                return Unknown(f"depends on the condition {self.ix.text(node.test, 60)}, which is not known")
            branch = self.resolve(node.body if test.value else node.orelse, ctx, seq)
            if isinstance(branch, Known):
                return Known(branch.value, _combine(test.source, branch.source))
            return branch
        if isinstance(node, cst.Comparison):
            return self._comparison(node, ctx, seq)
        if isinstance(node, (cst.List, cst.Tuple, cst.Set)):
            items = []
            sources = []
            for el in node.elements:
                if isinstance(el, cst.StarredElement):
                    return Unknown("starred element")
                v = self.resolve(el.value, ctx, seq)
                if not isinstance(v, Known):
                    return v
                items.append(v.value)
                sources.append(v.source)
            value: Any = tuple(items) if isinstance(node, cst.Tuple) else items
            return Known(value, _combine(*sources))
        if isinstance(node, cst.Dict):
            out: dict[Any, Any] = {}
            sources = []
            for el in node.elements:
                if not isinstance(el, cst.DictElement):
                    return Unknown("dict unpacking")
                k = self.resolve(el.key, ctx, seq)
                v = self.resolve(el.value, ctx, seq)
                if not isinstance(k, Known):
                    return k
                if isinstance(v, Known):
                    out[k.value] = v.value
                    sources.append(v.source)
                else:
                    out[k.value] = v  # keep the Unknown inside, so other keys still resolve
            return Known(out, _combine(*sources))
        if isinstance(node, (cst.ListComp, cst.SetComp)):
            return self._comprehension(node, ctx, seq)
        if isinstance(node, cst.Lambda):
            return Known(FunctionValue(node, "lambda", self.loc_line(node), scope=EvalScope(self, ctx),
                                       file=self.def_file(node)),
                         f"lambda at {self.where(node)}")
        if isinstance(node, cst.Name):
            return self._name(node.value, ctx, seq, node)
        if isinstance(node, cst.Attribute):
            return self._attribute(node, ctx, seq)
        if isinstance(node, cst.Subscript):
            return self._subscript(node, ctx, seq)
        if isinstance(node, cst.Call):
            return self._call(node, ctx, seq)
        return Unknown(f"{self.ix.text(node, 60)} is not a value lraudit evaluates")

    def _comparison(self, node: cst.Comparison, ctx: Ctx, seq: int | None) -> Value:
        left = self.resolve(node.left, ctx, seq)
        if not isinstance(left, Known):
            return left
        sources = [left.source]
        cur = left.value
        result = True
        for comp in node.comparisons:
            right = self.resolve(comp.comparator, ctx, seq)
            if not isinstance(right, Known):
                return right
            sources.append(right.source)
            op = type(comp.operator).__name__
            ops = {
                "LessThan": lambda a, b: a < b, "GreaterThan": lambda a, b: a > b,
                "LessThanEqual": lambda a, b: a <= b, "GreaterThanEqual": lambda a, b: a >= b,
                "Equal": lambda a, b: a == b, "NotEqual": lambda a, b: a != b,
                "In": lambda a, b: a in b, "NotIn": lambda a, b: a not in b,
                "Is": lambda a, b: a is b, "IsNot": lambda a, b: a is not b,
            }
            fn = ops.get(op)
            if fn is None:
                return Unknown(f"comparison {op}")
            result = result and bool(fn(cur, right.value))
            cur = right.value
        return Known(result, _combine(*sources))

    # ------------------------------------------------------------------------------------ names
    def _assignments(self, name: str, ctx: Ctx, seq: int | None) -> tuple[Scope | None, list[AssignRec]]:
        for scope in ctx.scope.chain():
            recs = scope.assigns.get(name)
            if recs:
                if scope is ctx.scope and seq is not None:
                    before = [r for r in recs if r.seq < seq]
                    if before:
                        return scope, before
                    if scope.kind == "function":
                        if scope.function is not None and scope.function.param(name) is not None:
                            return scope, []  # read before it is reassigned: still the parameter
                        continue
                    if all(r.seq == seq for r in recs):
                        # `opt.hyp = check_file(opt.hyp)`: a statement does not read what it assigns; the value is
                        # the one before (the option's default), not the statement itself again and again
                        return scope, []
                return scope, recs
            if scope.function is not None and scope.function.param(name) is not None:
                return scope, []
        return None, []

    def _comprehension(self, node: cst.ListComp | cst.SetComp, ctx: Ctx, seq: int | None) -> Value:
        """``[i * steps_per_epoch for i in args.milestones]``: one ``for`` over a known sequence, a plain name as
        its target, optional ``if`` tests; each element resolved with the name bound to the item."""
        comp = node.for_in
        if comp.inner_for_in is not None or comp.asynchronous is not None or not isinstance(comp.target, cst.Name):
            return Unknown(f"{self.ix.text(node, 60)} is not a value lraudit evaluates")
        it = comp.iter
        if isinstance(it, cst.Call) and dotted(it.func) == "range" and 1 <= len(it.args) <= 3 \
                and not any(a.star or a.keyword for a in it.args):
            bounds = [self.resolve(a.value, ctx, seq) for a in it.args]
            bad = next((b for b in bounds if not (isinstance(b, Known) and type(b.value) is int)), None)
            if bad is not None:
                return bad if isinstance(bad, Unknown) else Unknown("range() needs integers")
            r = range(*[b.value for b in bounds])  # type: ignore[union-attr]
            if len(r) > MAX_COMPREHENSION:
                return Unknown(f"{self.ix.text(it, 40)} is too long to expand")
            items: Value = Known(list(r), _combine(*[b.source for b in bounds]))  # type: ignore[union-attr]
        else:
            items = self.resolve(it, ctx, seq)
        if not isinstance(items, Known):
            return items
        seq_v = items.value
        if isinstance(seq_v, range):
            seq_v = list(seq_v) if len(seq_v) <= MAX_COMPREHENSION else None
        if not isinstance(seq_v, (list, tuple)) or len(seq_v) > MAX_COMPREHENSION:
            return Unknown(f"{self.ix.text(comp.iter, 40)} is not a short known sequence")
        name = comp.target.value
        out: list[Any] = []
        sources = [items.source]
        for v in seq_v:
            self._bound.append({name: Known(v, items.source)})
            try:
                keep = True
                for test in comp.ifs:
                    tv = self.resolve(test.test, ctx, seq)
                    if not isinstance(tv, Known):
                        return tv
                    keep = keep and bool(tv.value)
                if not keep:
                    continue
                ev = self.resolve(node.elt, ctx, seq)
            finally:
                self._bound.pop()
            if not isinstance(ev, Known):
                return ev
            out.append(ev.value)
            sources.append(ev.source)
        if isinstance(node, cst.SetComp):
            try:
                return Known(set(out), _combine(*sources))
            except TypeError:
                return Unknown("unhashable set elements")
        return Known(out, _combine(*sources))

    def _comprehension_length(self, node: cst.BaseExpression, ctx: Ctx, seq: int | None, depth: int) -> Value | None:
        """``len(batches)`` with ``batches = [torch.randn(8, 4) for _ in range(50)]``: a list comprehension without
        ``if`` over a known sequence has its length even when its elements are not values."""
        if depth > 3:
            return None
        if isinstance(node, cst.Name):
            scope, recs = self._assignments(node.value, ctx, seq)
            if not recs and scope is not None and scope.function is not None \
                    and scope.function.param(node.value) is not None:
                # a parameter: the length every call passes
                got: list[Value | None] = []
                for site in self.calls_to(scope.function)[:8]:
                    arg = self.call_arg(site, scope.function, node.value)
                    got.append(self._comprehension_length(arg, site.ctx, site.seq, depth + 1)
                               if isinstance(arg, cst.BaseExpression) else None)
                first = got[0] if got else None
                if isinstance(first, Known) and all(isinstance(g, Known) and g.value == first.value for g in got):
                    return first
                return None
            if len(recs) != 1 or recs[0].kind != "assign" or recs[0].value is None or recs[0].ctx.conds:
                return None
            return self._comprehension_length(recs[0].value, recs[0].ctx, recs[0].seq, depth + 1)
        if not isinstance(node, cst.ListComp) or node.for_in.ifs or node.for_in.inner_for_in is not None:
            return None
        it = node.for_in.iter
        if isinstance(it, cst.Call) and dotted(it.func) == "range" and len(it.args) == 1 and not it.args[0].star \
                and it.args[0].keyword is None:
            n = self.resolve(it.args[0].value, ctx, seq)
            if isinstance(n, Known) and type(n.value) is int:
                return Known(max(n.value, 0), f"length of {self.ix.text(node, 50)}")
            return None
        items = self.resolve(it, ctx, seq)
        if isinstance(items, Known) and isinstance(items.value, (list, tuple, str, dict)):
            return Known(len(items.value), f"length of {self.ix.text(node, 50)}")
        return None

    def _name(self, name: str, ctx: Ctx, seq: int | None, node: cst.CSTNode) -> Value:
        for frame in reversed(self._bound):  # a comprehension's variable (see _comprehension)
            if name in frame:
                return frame[name]
        # a parameter of the enclosing function wins over outer names when it is not reassigned before use
        scope, recs = self._assignments(name, ctx, seq)
        if scope is not None and not recs and scope.function is not None:
            v = self._param(scope.function, name, ctx)
            if isinstance(v, Known) and isinstance(v.value, dict) and scope.kind == "function":
                v = self._dict_mutations(name, v, None, scope, seq)  # config["num_iters_per_epoch"] = len(loader)
            return v
        if recs:
            v = self._from_assignments(name, recs, scope)  # type: ignore[arg-type]
            if scope is not None and scope.function is not None and scope.kind == "function" \
                    and scope.function.param(name) is not None:
                v = self._param_or_reassigned(name, v, recs, scope, ctx)
            if isinstance(v, Known) and isinstance(v.value, dict) and scope is not None \
                    and scope.kind in ("function", "module") and recs[-1].kind == "assign":
                v = self._dict_mutations(name, v, recs[-1], scope, seq)
            return v
        q = self.ix.imports.for_scope(ctx.scope).qualify_text(name)
        if q is not None:
            if q in _MATH_CONST:
                return Known(_MATH_CONST[q], LITERAL)
            local = self._local_module_value(q, self.file_for(ctx))
            if local is not None:
                return local
            return Unknown(f"{name} is imported ({q}), not a value")
        if name in ("__file__",):
            return Known(self.file_for(ctx), "this script's path")
        table = self.ix.imports.for_scope(ctx.scope)
        if table.star_modules:
            starred = self._star_value(name, table.star_modules, self.file_for(ctx))
            if starred is not None:
                return starred
        return Unknown(f"{name} is not defined in this file")

    def _star_value(self, name: str, modules: list[str], importer: str) -> Value | None:
        """``name`` from a repository module imported with ``from m import *`` (the last such import wins, as in
        Python); None when no starred module of the repository defines it."""
        for m in reversed(modules):
            q = f"{m}{name}" if m.endswith(".") else f"{m}.{name}"
            v = self._local_module_value(q, importer)
            if isinstance(v, Known) or (isinstance(v, Unknown) and "does not define" not in v.reason):
                return v
        return None

    def _param_or_reassigned(self, name: str, v: Value, recs: list[AssignRec], scope: Scope, ctx: Ctx) -> Value:
        """``def f(lr): if c: lr = 0.1``: when every reassignment of a parameter is conditional (or in a loop that
        may not run), the path where none runs keeps the parameter; the value is known only when both agree."""
        if any(r.kind == "aug" for r in recs) or any(r.ctx.conds == 0 and not r.ctx.loops for r in recs):
            return v  # an unconditional assignment replaces the parameter (augmented ones are handled as before)
        if all(self._normalizes(name, r) for r in recs):
            return v  # `if isinstance(hyp, str): hyp = yaml.safe_load(...)`: the code below uses the normalized form
        p = self._param(scope.function, name, ctx)  # type: ignore[arg-type]
        if isinstance(p, Known) and isinstance(v, Known) and _same(p.value, v.value):
            return v
        lines = ", ".join(str(self.loc_line(r.node)) for r in recs if r.node is not None)
        if isinstance(p, Known) and p.value is not None and all(
                r.value is not None and _RESTORE_RE.search(self.ix.text(r.value, 300)) for r in recs):
            return Known(p.value, f"{p.source}; a fresh run (resuming at line {lines} changes it)")
        if isinstance(p, Unknown) and isinstance(v, Unknown):
            return v
        return Unknown(f"{name} is the parameter or the value assigned at line {lines}, depending on the path taken")

    def _restores_in_try(self, rec: AssignRec) -> bool:
        """An assignment in the body of a ``try`` whose value reads a checkpoint (``torch.load``, ``ckpt[...]``)."""
        if rec.value is None or not rec.ctx.arms or not _RESTORE_RE.search(self.ix.text(rec.value, 300)):
            return False
        return any(0 in arms and getattr(self.ix.branches.get(bid), "kind", None) == "try"
                   for bid, arms in rec.ctx.arms)

    def _normalizes(self, name: str, rec: AssignRec) -> bool:
        """The assignment sits in the arm of a test on the parameter's own type or absence (``isinstance(name,
        str)``, ``name is None``, ``not name``, ``type(name) == ...``): the parameter normalized into the form the
        rest of the function uses, not a different value on one path."""
        if not rec.ctx.arms:
            return False
        bid, arms = rec.ctx.arms[-1]
        b = self.ix.branches.get(bid)
        if b is None or b.kind != "if" or len(arms) != 1:
            return False
        (k,) = arms
        test = b.tests[k] if k < len(b.tests) else None
        return test is not None and _type_test(test, name)

    def _from_assignments(self, name: str, recs: list[AssignRec], scope: Scope) -> Value:
        # straight-line code: the last unconditional assignment wins, unless a later conditional one may change it
        last = recs[-1]
        if last.kind in ("def", "class"):
            if last.kind == "def":
                fn = self._function_named(name, scope)
                if fn is None or fn.node is not last.node:  # the def itself, in a linked module too
                    fn = last.function
                if fn is not None:
                    return Known(FunctionValue(fn.node, fn.name, self.loc_line(fn.node), scope=EvalScope(self, Ctx(fn.scope)),
                                               file=self.def_file(fn.node)),
                                 f"function {fn.name}() at {self.where(fn.node)}")
            return Unknown(f"{name} is a class")
        relevant = [r for r in recs if r.kind != "aug"]
        augs = [r for r in recs if r.kind == "aug"]
        if augs and augs[-1].seq > (relevant[-1].seq if relevant else -1):
            if len(recs) <= 3 and relevant:
                value = self._assign_value(relevant[-1])
                for aug in augs:
                    if aug.seq < relevant[-1].seq:
                        continue
                    if aug.ctx.loops != relevant[-1].ctx.loops:
                        return Unknown(f"{name} is updated inside a loop at {self.where(aug.node)}")  # type: ignore
                    if not isinstance(value, Known):
                        return value
                    inc = self.resolve(aug.value, aug.ctx, aug.seq)
                    if not isinstance(inc, Known):
                        return inc
                    value = Known(_binop(aug.op or "Add", value.value, inc.value), _combine(value.source, inc.source))
                return value
            return Unknown(f"{name} is changed in several places")
        values = []
        # `try: step = torch.load(ckpt)["step"]` / `except FileNotFoundError: pass`: a fresh run has no checkpoint, so
        # the restore in the try body is as conditional as `if os.path.exists(ckpt): step = ...`
        restoring = {id(r) for r in relevant if self._restores_in_try(r)}
        uncond = [r for r in relevant if r.ctx.conds == 0 and not r.ctx.loops and id(r) not in restoring]
        candidates = relevant
        if uncond:
            idx = relevant.index(uncond[-1])
            candidates = relevant[idx:]
        for r in candidates:
            values.append((r, self._assign_value(r)))
        # `start_epoch = 0` then `if args.resume: start_epoch = ckpt["epoch"]`: a fresh run keeps the default
        if uncond and len(values) > 1 and isinstance(values[0][1], Known) and values[0][1].value is not None and all(
            (r.ctx.conds > 0 or id(r) in restoring) and (
                not isinstance(v, Known) or _same(v.value, values[0][1].value))  # type: ignore
            for r, v in values[1:]
        ) and any(not isinstance(v, Known) for _, v in values[1:]):
            first_rec, first_v = values[0]
            lines = ", ".join(str(self.loc_line(r.node)) for r, _ in values[1:] if r.node is not None)
            src = first_v.source  # type: ignore[union-attr]
            if src == LITERAL and first_rec.node is not None and "." not in name:
                kind = "constant" if scope is not None and scope.kind == "module" else "variable"
                src = f"{kind} {name} at {self.where(first_rec.node)}"
            return Known(first_v.value, f"{src}; a fresh run (line {lines} may change it)")  # type: ignore
        # `if os.path.isfile(args.resume): last_epoch = torch.load(...)["epoch"]` / `else: last_epoch = -1`:
        # every assignment is conditional, but the unknown ones restore a checkpoint; a fresh run takes the other
        if not uncond and len(values) > 1:
            fresh = [(r, v) for r, v in values if isinstance(v, Known) and v.value is not None]
            restored = [r for r, v in values if not isinstance(v, Known)]
            if fresh and restored and all(_same(v.value, fresh[0][1].value) for _, v in fresh) and all(  # type: ignore
                    r.value is not None and _RESTORE_RE.search(self.ix.text(r.value, 300)) for r in restored):
                first_rec, first_v = fresh[0]
                lines = ", ".join(str(self.loc_line(r.node)) for r in restored if r.node is not None)
                src = first_v.source  # type: ignore[union-attr]
                if src == LITERAL and first_rec.node is not None and "." not in name:
                    src = f"variable {name} at {self.where(first_rec.node)}"
                return Known(first_v.value, f"{src}; a fresh run (resuming at line {lines} changes it)")  # type: ignore
        knowns = [v for _, v in values if isinstance(v, Known)]
        if len(knowns) == len(values) and knowns:
            first = knowns[0].value
            if all(_same(k.value, first) for k in knowns):
                last_known = knowns[-1]
                rec = candidates[-1]
                if last_known.source == LITERAL and rec.node is not None and "." not in name:
                    kind = "constant" if scope is not None and scope.kind == "module" else "variable"
                    return Known(last_known.value, f"{kind} {name} at {self.where(rec.node)}")
                return last_known
            lines = ", ".join(str(self.loc_line(r.node)) for r, _ in values if r.node is not None)
            return Unknown(f"{name} is assigned different values depending on the path taken (lines {lines})")
        if len(values) == 1:
            return values[0][1]
        for _, v in values:
            if not isinstance(v, Known):
                return v
        return Unknown(f"{name} has several assignments")

    def _assign_value(self, rec: AssignRec) -> Value:
        if rec.kind == "for":
            return Unknown(f"{rec.target} is a loop variable")
        if rec.kind == "with":
            v = rec.value
            if isinstance(v, cst.Call) and (dotted(v.func) or "") == "open":
                return Known(("open", v), "open() call")
            return Unknown(f"{rec.target} comes from a with-statement")
        if rec.kind == "unpack" and rec.index is not None and isinstance(rec.value, cst.Call):
            element = self._parsed_dataclass(rec.value, rec.index, rec.ctx, rec.seq) or \
                self._returned_element(rec.value, rec.index)
            if element is not None:
                return element
        value = self.resolve(rec.value, rec.ctx, rec.seq)
        if rec.kind == "unpack":
            if rec.index is None:
                return Unknown("unpacking")
            if isinstance(rec.value, (cst.Tuple, cst.List)):
                els = rec.value.elements
                if rec.index < len(els):
                    return self.resolve(els[rec.index].value, rec.ctx, rec.seq)
            if isinstance(value, Known) and isinstance(value.value, (tuple, list)) and rec.index < len(value.value):
                return Known(value.value[rec.index], value.source)
            if isinstance(value, Known):
                return Unknown(f"cannot unpack {rec.target}")
            return value
        return value

    def _function_named(self, name: str, scope: Scope | None) -> FunctionInfo | None:
        prefix = "" if scope is None or scope.kind == "module" else scope.qualname + "."
        fn = self.ix.functions.get(prefix + name)
        if fn is None:
            cands = self.ix.functions_by_name.get(name, [])
            fn = cands[0] if len(cands) == 1 else None
        return fn

    # ------------------------------------------------------------------------------ parameters
    def calls_to(self, fn: FunctionInfo) -> list[CallSite]:
        if self._calls_by_name is None:
            self._calls_by_name = {}
            for site in self.ix.calls:
                last = site.path.rsplit(".", 1)[-1]
                self._calls_by_name.setdefault(last, []).append(site)
                spawned = self._spawned_call(site)
                if spawned is not None:  # mp.spawn(main_worker, args=(ngpus, args)): main_worker(rank, ngpus, args)
                    self._calls_by_name.setdefault(spawned.path, []).append(spawned)
        name = fn.name
        sites = []
        if name == "__call__" and fn.class_name and id(fn) not in self.ix.call_aliases:
            return self._instance_calls(fn.class_name)
        if name == "__init__" and fn.class_name:
            aliases = self.ix.call_aliases.get(id(fn))
            for s in (self.ix.calls if aliases is not None else self._calls_by_name.get(fn.class_name, [])):
                if (s.path == fn.class_name and aliases is None) or (
                        aliases is not None and (_root_id(s.ctx.scope), s.path) in aliases):
                    sites.append(s)
            return sites
        aliases = self.ix.call_aliases.get(id(fn))
        if aliases is not None:  # a function of another module linked into this index: the calls that name it
            hit = self._alias_sites.get(id(fn))
            if hit is None:
                hit = [site for site in self.ix.calls if (_root_id(site.ctx.scope), site.path) in aliases]
                self._alias_sites[id(fn)] = hit
            return list(hit)
        for s in self._calls_by_name.get(name, []):
            if fn.is_method:
                if s.path.startswith("self.") or s.path.count(".") >= 1:
                    sites.append(s)
            elif s.path == name:
                sites.append(s)
        return sites

    def _instance_calls(self, cls: str) -> list[CallSite]:
        """Calls of an instance of the file's class ``cls`` (which run its ``__call__``): ``name(...)`` where
        ``name`` is assigned ``cls(...)`` in its function, or is a parameter that every call of the function that
        passes it gives ``cls(...)`` or such a name (the Annotated Transformer's ``loss_compute(out, y, norm)`` in
        ``run_epoch``, given ``SimpleLossCompute(...)``)."""
        hit = self._instance_sites.get(cls)
        if hit is not None:
            return list(hit)
        self._instance_sites[cls] = []  # (a cycle through the callers finds nothing more)
        out = [site for site in self.ix.calls if isinstance(site.node.func, cst.Name)
               and site.path not in self.ix.classes and self._is_instance(site.path, site.ctx, site.seq, cls, 0)]
        self._instance_sites[cls] = out
        return list(out)

    def _is_instance(self, name: str, ctx: Ctx, seq: int | None, cls: str, depth: int) -> bool:
        if depth > 3:
            return False
        scope, recs = self._assignments(name, ctx, seq)
        if recs:
            return any(r.kind == "assign" and isinstance(r.value, cst.Call) and dotted(r.value.func) == cls
                       for r in recs[-4:])
        fn = ctx.scope.function if scope is None or scope is ctx.scope else scope.function
        param = fn.param(name) if fn is not None else None
        if fn is None or param is None:
            return False
        callers = self.calls_to(fn) if fn.name != "__call__" else []
        found = False
        for cs in callers:
            arg = _argument_for(cs.node, param, fn.is_method)
            if arg is None:
                continue
            if isinstance(arg, cst.Call) and dotted(arg.func) == cls:
                found = True
            elif isinstance(arg, cst.Name) and self._is_instance(arg.value, cs.ctx, cs.seq, cls, depth + 1):
                found = True
            else:
                return False  # a caller passes something else: the call may run anything
        return found

    def _spawned_call(self, site: CallSite) -> CallSite | None:
        """The call a process launcher makes: ``torch.multiprocessing.spawn(fn, args=(a, b))`` and
        ``xmp.spawn(fn, args=...)`` call ``fn(rank, a, b)``; ``idist.Parallel(...).run(fn, a, b)`` (in a ``with``)
        calls ``fn(local_rank, a, b)``. A call site of ``fn`` whose first argument, the process index, is unknown."""
        node = site.node
        if not node.args or node.args[0].keyword is not None or node.args[0].star \
                or not isinstance(node.args[0].value, cst.Name):
            return None
        q = self.ix.imports.qualify(node.func) or ""
        rest: list[cst.Arg] | None = None
        first: cst.BaseExpression = cst.Name("lraudit_process_index")
        if isinstance(node.func, cst.Attribute) and node.func.attr.value == "launch" \
                and isinstance(node.func.value, cst.Name) and self._is_fabric(node.func.value.value, site):
            # Lightning Fabric's `fabric.launch(main, a, b)` calls `main(fabric, a, b)` in each process
            rest = [a for a in node.args[1:] if not a.star]
            if len(rest) != len(node.args) - 1:
                return None
            first = node.func.value
        elif q in _SPAWNERS:
            extra = next((a for a in node.args[1:] if a.keyword is not None and a.keyword.value == "args"), None)
            if extra is None and len(node.args) > 1 and node.args[1].keyword is None and not node.args[1].star:
                extra = node.args[1]
            if extra is None:
                rest = []
            elif isinstance(extra.value, (cst.Tuple, cst.List)) and not any(
                    isinstance(e, cst.StarredElement) for e in extra.value.elements):
                rest = [cst.Arg(e.value) for e in extra.value.elements]
        elif isinstance(node.func, cst.Attribute) and node.func.attr.value == "run" \
                and isinstance(node.func.value, cst.Name) and self._is_parallel(node.func.value.value, site):
            rest = [a for a in node.args[1:] if not a.star]
            if len(rest) != len(node.args) - 1:
                return None
        if rest is None:
            return None
        hit = self._spawn_sites.get(id(node))
        if hit is None:
            fname = node.args[0].value.value  # type: ignore[union-attr]
            call = cst.Call(func=cst.Name(fname), args=[cst.Arg(first), *rest])
            hit = self._spawn_sites[id(node)] = (node, CallSite(call, fname, site.ctx, site.seq, site.stmt))
        return hit[1]

    def _is_fabric(self, name: str, site: CallSite) -> bool:
        return self._built_by(name, site, ("assign", "annot"), ("lightning.Fabric", "fabric.Fabric"))

    def _is_parallel(self, name: str, site: CallSite) -> bool:
        return self._built_by(name, site, ("with",), ("distributed.Parallel",))

    def _built_by(self, name: str, site: CallSite, kinds: tuple[str, ...], classes: tuple[str, ...]) -> bool:
        """Whether every binding of ``name`` seen at ``site`` (of those kinds) is a call of one of those classes."""
        _, recs = self._assignments(name, site.ctx, site.seq)
        return bool(recs) and all(r.kind in kinds and isinstance(r.value, cst.Call) and (
            self.ix.imports.qualify(r.value.func) or "").endswith(classes) for r in recs)

    def call_arg(self, site: CallSite, fn: FunctionInfo, pname: str) -> cst.BaseExpression | None | str:
        """The expression passed for parameter ``pname`` at a call site, None when omitted, "*" when unknowable."""
        param = fn.param(pname)
        if param is None:
            return "*"
        offset = 1 if fn.is_method and fn.name != "__init__" and fn.params and fn.params[0].name in ("self", "cls") else 0
        if fn.name == "__init__":
            offset = 1
        for arg in site.node.args:
            if arg.keyword is not None and arg.keyword.value == pname:
                return arg.value
        pos = 0
        for arg in site.node.args:
            if arg.star == "*":
                return "*"
            if arg.star or arg.keyword is not None:
                continue
            if param.index is not None and pos == param.index - offset:
                return arg.value
            pos += 1
        if any(arg.star == "**" for arg in site.node.args):
            return "**"  # perhaps in the mapping unpacked into the call (see _forwarded)
        return None

    def _from_vars_args(self, site: CallSite, name: str, fn_desc: str) -> Value | None:
        """``Model(**vars(args))`` (also ``**args.__dict__``) where ``args`` is the parsed command line and ``--name``
        is one of its options: the option's value. None otherwise (an option the parser may get elsewhere stays
        unknown: a library's ``add_argparse_args(parser)`` adds options this file does not show)."""
        stars = [a.value for a in site.node.args if a.star == "**"]
        if len(stars) != 1:
            return None
        star = stars[0]
        inner: cst.BaseExpression | None = None
        if (isinstance(star, cst.Call) and isinstance(star.func, cst.Name) and star.func.value == "vars"
                and len(star.args) == 1 and not star.args[0].star):
            inner = star.args[0].value
        elif isinstance(star, cst.Attribute) and star.attr.value == "__dict__":
            inner = star.value
        if inner is None or name not in self._argparse_options():
            return None
        ns = self.resolve(inner, site.ctx, site.seq)
        if not (isinstance(ns, Known) and isinstance(ns.value, Namespace)):
            return None
        v = self._argparse_value(name, site.node)
        if isinstance(v, Known):
            v = Known(v.value, _describe_call_source(v.source, name, f"{fn_desc} via **vars()", self.where(site.node)))
        return v

    def _forwarded(self, site: CallSite, name: str, depth: int = 0) -> list[tuple[Value, CallSite]] | None:
        """Values keyword ``name`` takes in a ``**kwargs`` forwarded by the function that makes the call
        (``def train(max_epochs=500, **kwargs): Model(**kwargs)`` called as ``train(lr=5e-4)``): one entry per
        call of that function, ``(None-valued Unknown "omitted", site)`` when a call does not pass it; None when
        the mapping is not a forwarded ``**`` parameter."""
        stars = [a for a in site.node.args if a.star == "**"]
        encl = site.ctx.scope.function
        if depth > 3 or len(stars) != 1 or not isinstance(stars[0].value, cst.Name) or encl is None:
            return None
        p = encl.param(stars[0].value.value)
        if p is None or p.kind != "varkw" or encl.param(name) is not None:
            return None
        out: list[tuple[Value, CallSite]] = []
        for outer in self.calls_to(encl):
            given = next((a.value for a in outer.node.args if a.keyword is not None and a.keyword.value == name), None)
            if given is not None:
                v = self.resolve(given, outer.ctx, outer.seq)
                if isinstance(v, Known):
                    v = Known(v.value, _describe_call_source(v.source, name, f"{encl.qualname}() via **{p.name}",
                                                             self.where(outer.node)))
                out.append((v, outer))
            elif any(a.star == "**" for a in outer.node.args):
                deeper = self._forwarded(outer, name, depth + 1)
                if deeper is None:
                    return None
                out.extend(deeper)
            else:
                out.append((_OMITTED, outer))
        return out

    def _param(self, fn: FunctionInfo, name: str, ctx: Ctx) -> Value:
        key = (id(fn), name, self.assumed_len, self.condition_mode)
        hit = self._param_memo.get(key)
        if hit is not None:
            return hit[1]
        if key in self._param_active:
            return _RECURSIVE
        self._param_active.add(key)
        try:
            value = self._param_value(fn, name)
        finally:
            self._param_active.discard(key)
        if not (isinstance(value, Unknown) and "too long to follow" in value.reason):
            self._param_memo[key] = (fn, value)  # fn is kept so its id cannot be reused
        return value

    def _param_value(self, fn: FunctionInfo, name: str) -> Value:
        param = fn.param(name)
        assert param is not None
        click = self._click_defaults().get(fn.qualname, {}).get(name)
        if click is not None:
            default_node, flag = click
            given = override_for(self.overrides, name, [flag])
            if given is not None:
                return Known(literal_value(given[1]), f"--set {given[0]}={given[1]}")
            if default_node is None:
                return Unknown(f"{flag} has no default; it must be given on the command line")
            v = self.resolve(default_node, Ctx(self.ix.module_scope))
            if isinstance(v, Known):
                return Known(v.value, f"click default of {flag} ({self.where(default_node)})")
            return v
        fn_desc = f"{fn.qualname}()"
        if param.kind in ("varpos", "varkw"):
            return Unknown(f"{name} comes from *{name} of {fn_desc}")
        sites = self.calls_to(fn)
        values: list[tuple[Value, CallSite | None]] = []
        for site in sites:
            arg = self.call_arg(site, fn, name)
            if arg == "**":
                forwarded = self._forwarded(site, name)
                if forwarded is None:
                    from_args = self._from_vars_args(site, name, fn_desc)
                    if from_args is not None:
                        values.append((from_args, site))
                        continue
                    return Unknown(f"{name} comes from function argument '{name}' of {fn_desc}; a call passes **kwargs")
                for v, _ in forwarded:
                    if v is _OMITTED:
                        if param.default is not None:
                            values.append((self._default(fn, param), site))
                    else:
                        values.append((v, site))
                continue
            if isinstance(arg, str):
                return Unknown(f"{name} comes from function argument '{name}' of {fn_desc}; a call passes *args/**kwargs")
            if arg is None:
                if param.default is None:
                    continue
                values.append((self._default(fn, param), site))
            else:
                if (isinstance(arg, cst.Name) and arg.value == name and site.ctx.scope.function is fn):
                    continue  # a recursive call passing the parameter on unchanged adds no value
                v = self.resolve(arg, site.ctx, site.seq)
                if isinstance(v, Known):
                    v = Known(v.value, _describe_call_source(v.source, name, fn_desc, self.where(site.node)))
                values.append((v, site))
        if not sites:
            if param.default is not None:
                return self._default(fn, param)
            return Unknown(f"{name} comes from function argument '{name}' of {fn_desc}, which is not called in this file")
        if not values:
            return Unknown(f"{name} comes from function argument '{name}' of {fn_desc}; no call passes it")
        knowns = [v for v, _ in values if isinstance(v, Known)]
        if len(knowns) == len(values):
            first = knowns[0].value
            if all(_same(k.value, first) for k in knowns):
                return knowns[0]
            return Unknown(
                f"{name} comes from function argument '{name}' of {fn_desc}; called from {len(values)} places "
                "with different values"
            )
        bad = next(v for v, _ in values if not isinstance(v, Known))
        if len(values) == 1:
            return bad
        return Unknown(f"{name} comes from function argument '{name}' of {fn_desc}; not every call's value is known "
                       f"({bad.reason})")  # type: ignore[union-attr]

    def _default(self, fn: FunctionInfo, param: Any) -> Value:
        v = self.resolve(param.default, Ctx(fn.scope.parent or self.ix.module_scope))
        if isinstance(v, Known):
            src = f"default of parameter {param.name} of {fn.qualname}() ({self.where(param.default)})"
            if v.source != LITERAL:
                src += f", {v.source}"
            return Known(v.value, src)
        return v

    # ------------------------------------------------------------------------------------ attributes
    def _attribute(self, node: cst.Attribute, ctx: Ctx, seq: int | None) -> Value:
        attr = node.attr.value
        full = dotted(node)
        q = self.ix.imports.qualify(node)
        if q is None and self.scope_files:
            q = self.ix.imports.for_scope(ctx.scope).qualify(node)
        if q is not None:
            if q in _MATH_CONST:
                return Known(_MATH_CONST[q], LITERAL)
            local = self._local_module_value(q, self.file_for(ctx))
            if local is not None:
                return local
            return Unknown(f"{full} is a library attribute ({q})")
        base = node.value
        if full is not None and full in self.known_attributes:
            return self.known_attributes[full]
        # explicit assignment to the dotted name (args.lr = 0.1)
        if full is not None:
            scope, recs = self._assignments(full, ctx, seq)
            if recs and not all(r.ctx.conds > 0 and not _dominates(r, ctx, seq) for r in recs):
                return self._from_assignments(full, recs, scope)  # type: ignore[arg-type]
            if recs:
                # only conditional overrides (`if args.resume: args.start_epoch = ...`): a fresh run keeps
                # the value the attribute had before
                base_value = self._attribute_base(node, ctx, seq)
                if isinstance(base_value, Known) and base_value.value is not None:
                    lines = ", ".join(str(self.loc_line(r.node)) for r in recs if r.node is not None)
                    return Known(base_value.value, f"{base_value.source}; a fresh run (line {lines} may change it)")
                return self._from_assignments(full, recs, scope)  # type: ignore[arg-type]
        v = self._attribute_base(node, ctx, seq)
        if isinstance(v, Unknown) and world_attribute(node) is not None:
            return self._world_size(world_attribute(node))  # type: ignore[arg-type]
        if isinstance(v, Unknown) and node.attr.value == "world_size" and isinstance(node.value, cst.Name) \
                and v.reason.startswith("--world-size is not defined by an add_argument"):
            # `args.world_size` that no option defines and no code of the file sets: a launcher's helper sets it
            # (timm's `init_distributed_device(args)`, DeiT's `init_distributed_mode(args)`)
            return self._world_size(dotted(node) or "world_size")
        return v

    def _world_size(self, text: str) -> Value:
        """The number of processes, a positive-integer run-time size (extract/run_sizes.py)."""
        if self.symbol_value is not None:
            n = self.symbol_value(WORLD)
            return Known(n, f"{text}, {WORLD_WORDS}, taken as {n}")
        if self.assumed_len is not None:
            return Known(1, f"assumed {text} = 1 ({WORLD_WORDS})")
        return Unknown(f"{text} is {WORLD_WORDS}, known only at run time")

    def _attribute_base(self, node: cst.Attribute, ctx: Ctx, seq: int | None) -> Value:
        attr = node.attr.value
        full = dotted(node)
        base = node.value
        if isinstance(base, cst.Name) and base.value == "self":
            return self._self_attr(attr, ctx, node)
        if dotted(base) == "self.hparams":
            hp = self._lightning_hparam(attr, ctx, node)
            if hp is not None:
                return hp
        base_v = self.resolve(base, ctx, seq)
        if isinstance(base_v, Known):
            bv = base_v.value
            if isinstance(bv, Namespace):
                return self._argparse_value(attr, node)
            if isinstance(bv, DataclassInstance):
                return self._dataclass_field(bv, attr, base_v.source)
            if isinstance(bv, dict):
                if attr in bv:
                    return self._dict_item(bv, attr, base_v.source)
                return Unknown(f"key {attr!r} is not in {self.ix.text(base, 40)}")
            if _is_instance(bv):
                return _instance_attr(bv, attr, base_v.source, full or attr)
            return Unknown(f"{full or attr}: attribute of a {type(bv).__name__}")
        # args.x where args is a parameter or unknown: fall back to argparse when the file defines --x
        base_text = dotted(base) or ""
        last = base_text.rsplit(".", 1)[-1]
        if last in _NAMESPACE_NAMES or last.endswith("args") or last.endswith("opt"):
            if attr in self._argparse_options():
                return self._argparse_value(attr, node)
        return Unknown(f"{full or attr} is not resolved: {base_v.reason}")  # type: ignore[union-attr]

    def _self_attr(self, attr: str, ctx: Ctx, node: cst.CSTNode) -> Value:
        fn = ctx.scope.function
        cls_name = fn.class_name if fn else None
        s = ctx.scope
        while cls_name is None and s is not None:
            cls_name = s.class_name
            s = s.parent
        if cls_name is None or cls_name not in self.ix.classes:
            return Unknown(f"self.{attr} outside a class")
        ci = self.ix.classes[cls_name]
        recs = ci.attrs.get(attr)
        if recs:
            if len(recs) == 1 or all(r.ctx.scope is recs[0].ctx.scope for r in recs):
                return self._from_assignments(f"self.{attr}", recs, recs[0].ctx.scope)
            vals = [self._assign_value(r) for r in recs]
            if all(isinstance(v, Known) for v in vals) and all(_same(v.value, vals[0].value) for v in vals):  # type: ignore
                return vals[0]
            return Unknown(f"self.{attr} is assigned in several methods")
        if attr in ci.fields and ci.fields[attr] is not None:
            v = self.resolve(ci.fields[attr], Ctx(self.class_scopes.get(id(ci), self.ix.module_scope)))
            if isinstance(v, Known):
                return Known(v.value, f"class attribute {cls_name}.{attr} ({self.where(ci.fields[attr])})")
            return v
        method = ci.methods.get(attr)
        static = method is not None and _decorated(method.node, "staticmethod")
        if method is not None and (static or method.params and method.params[0].kind == "pos") and \
                not _decorated(method.node, "classmethod"):
            # `LearningRateScheduler(schedule=self._cosine_anneal_schedule)` (Snapshot Ensembles): the method bound
            # to the object, whose `self.x` reads are resolved as in that method; a static method is the plain def
            from ..evaluate import Opaque

            bound = () if static else ((method.params[0].name, Opaque(f"the {cls_name} object")),)
            return Known(FunctionValue(method.node, f"{cls_name}.{attr}", self.loc_line(method.node),
                                       scope=EvalScope(self, Ctx(method.scope)), bound=bound,
                                       file=self.def_file(method.node)),
                         f"{'static method' if static else 'method'} {cls_name}.{attr} ({self.where(method.node)})")
        return Unknown(f"self.{attr} is never assigned in {cls_name}")

    def _enclosing_class(self, ctx: Ctx) -> ClassInfo | None:
        fn = ctx.scope.function
        cls_name = fn.class_name if fn else None
        s = ctx.scope
        while cls_name is None and s is not None:
            cls_name = s.class_name
            s = s.parent
        return self.ix.classes.get(cls_name) if cls_name else None

    def _lightning_hparam(self, attr: str, ctx: Ctx, node: cst.CSTNode) -> Value | None:
        """``self.hparams.x`` / ``self.hparams["x"]`` in a class that calls ``self.save_hyperparameters()``: the
        value of ``__init__``'s argument ``x`` (call sites in this file, else its default). None when the class
        assigns ``self.hparams`` itself or never saves hyperparameters (the generic path answers then)."""
        ci = self._enclosing_class(ctx)
        chain: list[ClassInfo] = []
        while ci is not None and ci not in chain and len(chain) < 5:
            chain.append(ci)
            ci = next((self.ix.classes[b] for b in ci.bases if b in self.ix.classes), None)
        if not chain or any("hparams" in c.attrs for c in chain):
            return None
        names = {c.name for c in chain}
        for site in self.ix.calls:
            fn = site.ctx.scope.function
            if site.path != "self.save_hyperparameters" or fn is None or fn.class_name not in names:
                continue
            where = f"self.hparams.{attr} (save_hyperparameters() at {self.where(site.node)})"
            positional = [a.value for a in site.node.args if a.keyword is None and not a.star]
            ignore: list[Any] = []
            for a in site.node.args:
                if a.keyword is not None and a.keyword.value == "ignore":
                    iv = self.resolve(a.value, site.ctx, site.seq)
                    if isinstance(iv, Known):
                        ignore = [iv.value] if isinstance(iv.value, str) else list(iv.value or [])
            strings = [self.resolve(p, site.ctx, site.seq) for p in positional]
            if positional and not all(isinstance(v, Known) and isinstance(v.value, str) for v in strings):
                # save_hyperparameters(hparams): a dict / Namespace argument of __init__ becomes self.hparams
                if len(positional) == 1 and isinstance(positional[0], cst.Name) and fn.param(positional[0].value):
                    holder = self._param(fn, positional[0].value, site.ctx)
                    if not isinstance(holder, Known):
                        return Unknown(f"{where}: {holder.reason}")  # type: ignore[union-attr]
                    hv = holder.value
                    if isinstance(hv, dict):
                        return self._dict_item(hv, attr, holder.source) if attr in hv else Unknown(
                            f"{where}: key {attr!r} is not in {positional[0].value}")
                    if isinstance(hv, Namespace):
                        return self._argparse_value(attr, node)
                    if isinstance(hv, DataclassInstance):
                        return self._dataclass_field(hv, attr, holder.source)
                return Unknown(f"{where}: the saved object is not known")
            wanted = [v.value for v in strings]  # type: ignore[union-attr]
            if (wanted and attr not in wanted) or attr in ignore or fn.param(attr) is None:
                continue
            v = self._param(fn, attr, site.ctx)
            if isinstance(v, Known):
                return Known(v.value, f"{v.source}, saved as self.hparams.{attr}")
            return v
        return None

    # ----------------------------------------------------------------------------------- subscripts
    def _subscript(self, node: cst.Subscript, ctx: Ctx, seq: int | None) -> Value:
        if len(node.slice) != 1 or not isinstance(node.slice[0].slice, cst.Index):
            return Unknown("slices are not evaluated")
        if dotted(node.value) == "self.hparams":
            hkey = self.resolve(node.slice[0].slice.value, ctx, seq)
            if isinstance(hkey, Known) and isinstance(hkey.value, str):
                hp = self._lightning_hparam(hkey.value, ctx, node)
                if hp is not None:
                    return hp
        if isinstance(node.value, cst.Call) and isinstance(node.slice[0].slice.value, cst.Integer):
            parsed = self._parsed_dataclass(node.value, int(node.slice[0].slice.value.value), ctx, seq)
            if parsed is not None:  # HfArgumentParser((ScriptArguments,)).parse_args_into_dataclasses()[0]
                return parsed
        base = self.resolve(node.value, ctx, seq)
        if not isinstance(base, Known):
            return base
        key = self.resolve(node.slice[0].slice.value, ctx, seq)
        if not isinstance(key, Known):
            return key
        bv = base.value
        if isinstance(bv, dict):
            if key.value in bv:
                return self._dict_item(bv, key.value, base.source)
            return Unknown(f"key {key.value!r} is not in {self.ix.text(node.value, 40)}")
        if isinstance(bv, (list, tuple, str)) and isinstance(key.value, int):
            try:
                item = bv[key.value]
            except IndexError:
                return Unknown(f"index {key.value} is out of range")
            return Known(item, _item_source(base.source, f"[{key.value}]"))
        if isinstance(bv, Namespace) and isinstance(key.value, str):
            return self._argparse_value(key.value, node)
        if isinstance(bv, tuple) and bv and isinstance(bv[0], Namespace) and key.value == 0:
            return Known(bv[0], base.source)
        return Unknown(f"cannot index {type(bv).__name__}")

    def _str_method(self, node: cst.Call, func: cst.Attribute, ctx: Ctx, seq: int | None) -> Value | None:
        """``args.opt.lower()``, ``name.split("_")``: a pure method of a known string; None when the receiver is not
        a known string (another object's method of the same name)."""
        base = self.resolve(func.value, ctx, seq)
        if not (isinstance(base, Known) and isinstance(base.value, str)):
            return None
        if any(a.star or a.keyword is not None for a in node.args):
            return Unknown(f"{self.ix.text(node, 60)}: keyword arguments of str.{func.attr.value}() are not evaluated")
        vals = [self.resolve(a.value, ctx, seq) for a in node.args]
        for v in vals:
            if not isinstance(v, Known):
                return v
        args = [v.value for v in vals]  # type: ignore[union-attr]
        if not all(isinstance(a, (str, int)) and not isinstance(a, bool) for a in args) or len(args) > 2:
            return Unknown(f"{self.ix.text(node, 60)} is not a value lraudit evaluates")
        try:
            result = getattr(base.value, func.attr.value)(*args)
        except (TypeError, ValueError) as exc:
            return Unknown(f"{self.ix.text(node, 60)} fails: {exc}")
        return Known(result, base.source)

    def mapping_changes(self, name: str, scope: Scope, start: int, seq: int | None) -> list[tuple[int, Any]]:
        """The statements of ``scope`` between ``start`` and ``seq`` that change the dict bound to ``name`` in place
        (``d[k] = v``, ``d.pop``/``update``/``setdefault``/``clear``), by statement number."""
        if self._sub_writes_by_name is None:
            self._sub_writes_by_name = {}
            for w in self.ix.sub_writes:
                if isinstance(w.target.value, cst.Name):
                    self._sub_writes_by_name.setdefault(w.target.value.value, []).append(w)
        changes: list[tuple[int, Any]] = []
        for w in self._sub_writes_by_name.get(name, []):
            if w.ctx.scope is scope and start < w.seq and (seq is None or w.seq < seq):
                changes.append((w.seq, w))
        for site in self.ix.calls:
            if site.ctx.scope is not scope or not (start < site.seq and (seq is None or site.seq < seq)):
                continue
            f = site.node.func
            if isinstance(f, cst.Attribute) and isinstance(f.value, cst.Name) and f.value.value == name \
                    and f.attr.value in ("pop", "update", "setdefault", "clear"):
                changes.append((site.seq, site))
        return changes

    def _dict_mutations(self, name: str, value: Known, rec: AssignRec | None, scope: Scope, seq: int | None) -> Known:
        """A dict bound to ``name`` as the run changes it before ``seq``, in the same function: ``d["eps"] = v``,
        ``d.pop("eps", None)``, ``d.update(k=v)`` (timm's ``opt_args``). A change under a condition the run does not
        decide makes that key unknown (it holds only on some paths)."""
        start = rec.seq if rec is not None else -1  # a parameter: changes from the function's start
        base_conds = rec.ctx.conds if rec is not None else 0
        base_loops = len(rec.ctx.loops) if rec is not None else 0
        changes = self.mapping_changes(name, scope, start, seq)
        if not changes:
            return value
        d = dict(value.value)
        for _, ch in sorted(changes, key=lambda x: x[0]):
            conditional = ch.ctx.conds > base_conds or len(ch.ctx.loops) > base_loops
            if isinstance(ch, CallSite):
                method = ch.node.func.attr.value  # type: ignore[union-attr]
                if method == "clear":
                    if conditional:
                        return Known({k: Unknown(f"{name} may be cleared (line {self.loc_line(ch.node)})")
                                      for k in d}, value.source)
                    d = {}
                    continue
                if method == "update":
                    positional = [a for a in ch.node.args if a.keyword is None]
                    if len(positional) == 1 and not positional[0].star:
                        merged = self._merged_update(name, d, positional[0].value, ch, conditional, scope)
                        if merged is not None:
                            d = merged
                            positional = []
                    if positional:
                        return Known({k: Unknown(f"{name}.update(...) at line {self.loc_line(ch.node)} is not "
                                                 "followed") for k in d}, value.source)
                    for a in ch.node.args:
                        if a.keyword is None:
                            continue
                        d[a.keyword.value] = (Unknown(f"{name}[{a.keyword.value!r}] is set only on some paths "  # type: ignore[union-attr]
                                                      f"(line {self.loc_line(ch.node)})") if conditional
                                              else self.resolve(a.value, ch.ctx, ch.seq))
                    continue
                if not ch.node.args:
                    continue
                key = self.resolve(ch.node.args[0].value, ch.ctx, ch.seq)
                if not isinstance(key, Known):
                    return Known({k: key for k in d}, value.source)
                if method == "pop":
                    if conditional:
                        if key.value in d:
                            d[key.value] = Unknown(f"{name}[{key.value!r}] is removed on some paths (line "
                                                   f"{self.loc_line(ch.node)})")
                    else:
                        d.pop(key.value, None)
                elif method == "setdefault" and key.value not in d and len(ch.node.args) > 1:
                    d[key.value] = (Unknown(f"{name}[{key.value!r}] is set only on some paths") if conditional
                                    else self.resolve(ch.node.args[1].value, ch.ctx, ch.seq))
                continue
            sl = ch.target.slice
            if len(sl) != 1 or not isinstance(sl[0].slice, cst.Index):
                return Known({k: Unknown(f"{name} is changed at line {self.loc_line(ch.stmt)}") for k in d},
                             value.source)
            key = self.resolve(sl[0].slice.value, ch.ctx, ch.seq)
            if not isinstance(key, Known):
                return Known({k: key for k in d}, value.source)
            if conditional:
                d[key.value] = Unknown(f"{name}[{key.value!r}] is set only on some paths (line "
                                       f"{self.loc_line(ch.stmt)})")
            else:
                d[key.value] = self.resolve(ch.value, ch.ctx, ch.seq)
        return Known(d, value.source)

    def _merged_update(self, name: str, d: dict, arg: cst.BaseExpression, site: CallSite, conditional: bool,
                       scope: Scope) -> dict | None:
        """``d.update(other)``: a known mapping's items; the function's own ``**kwargs`` (``config.update(
        config["spawn_kwargs"])`` after ``config = locals()``), which never holds the names of the function's
        other parameters, leaves those keys as they are and makes the others unknown. None when not followed."""
        other = self.resolve(arg, site.ctx, site.seq)
        if isinstance(other, Known) and isinstance(other.value, dict):
            out = dict(d)
            for k, v in other.value.items():
                out[k] = Unknown(f"{name}[{k!r}] is set only on some paths") if conditional else (
                    v if isinstance(v, (Known, Unknown)) else Known(v, other.source))
            return out
        fn = scope.function
        varkw = next((p.name for p in fn.params if p.kind == "varkw"), None) if fn is not None else None
        if varkw is None:
            return None
        named = (isinstance(arg, cst.Name) and arg.value == varkw) or (
            isinstance(arg, cst.Subscript) and len(arg.slice) == 1 and isinstance(arg.slice[0].slice, cst.Index)
            and isinstance(arg.slice[0].slice.value, cst.SimpleString)
            and arg.slice[0].slice.value.evaluated_value == varkw)
        if not named:
            return None
        params = {p.name for p in fn.params if p.kind not in ("varpos", "varkw")}  # type: ignore[union-attr]
        return {k: (v if k in params else Unknown(f"{name}[{k!r}] may be replaced by **{varkw} (line "
                                                  f"{self.loc_line(site.node)})")) for k, v in d.items()}

    def _dict_item(self, d: dict, key: Any, source: str) -> Value:
        item = d[key]
        if isinstance(item, Unknown):
            return item
        if isinstance(item, Known):
            return item
        return Known(item, _item_source(source, str(key)))

    # ----------------------------------------------------------------------------------- calls
    def _call(self, node: cst.Call, ctx: Ctx, seq: int | None) -> Value:
        oid = self.object_of_call.get(id(node))
        if oid is not None:
            return Known(ObjectRef(oid), "object")
        func = node.func
        path = dotted(func)
        q = self.ix.imports.qualify(func) or path or ""
        last = q.rsplit(".", 1)[-1]
        world = world_call(node, q)  # the number of processes: a run-time size (extract/run_sizes.py)
        if world is not None:
            return self._world_size(world)
        if q in _PURE_CALLS and all(a.keyword is None and not a.star for a in node.args):
            vals = [self.resolve(a.value, ctx, seq) for a in node.args]
            for v in vals:
                if not isinstance(v, Known):
                    return v
            if q in ("min", "max") and len(vals) == 1 and isinstance(vals[0].value, (list, tuple)):  # type: ignore
                pass
            result = _PURE_CALLS[q](*[v.value for v in vals])  # type: ignore[union-attr]
            return Known(_check_int(result), _combine(*[v.source for v in vals]))  # type: ignore[union-attr]
        if q in _PATH_CALLS:
            return self._path_expr(node, ctx, seq)
        if q == "functools.partial" and node.args and node.args[0].keyword is None and not node.args[0].star:
            return self._partial(node, ctx, seq)
        if q.startswith("numpy."):
            from ..evaluate import NUMPY_FUNCTIONS

            if q in NUMPY_FUNCTIONS:
                return self._numpy_call(node, q, ctx)
        if isinstance(func, cst.Attribute) and func.attr.value in _STR_METHODS:
            got = self._str_method(node, func, ctx, seq)
            if got is not None:
                return got
        if self.condition_mode and q in _ENV_GETS and node.args and not node.args[0].star \
                and node.args[0].keyword is None and isinstance(node.args[0].value, cst.SimpleString):
            # `if os.environ.get("TESTING_MOCKED_DATALOADERS", None) == "1":` decides as in a plain launch: a
            # variable the launcher does not set is absent (its default), like an option nobody passes
            key = node.args[0].value.evaluated_value
            if isinstance(key, str) and key not in _LAUNCHER_ENV and not key.startswith(_LAUNCHER_ENV_PREFIXES):
                if len(node.args) > 1:
                    d = self.resolve(node.args[1].value, ctx, seq)
                    if isinstance(d, Known):
                        return Known(d.value, f"environment variable {key} not set (its default)")
                    return d
                return Known(None, f"environment variable {key} not set")
        if path == "locals" and not node.args and ctx.scope.function is not None:
            # `config = locals()` in `def run(seed=543, lr=0.4, ...)` exposed by fire/click: its parameters and the
            # names assigned before the call, each resolved where locals() is called
            fn = ctx.scope.function
            names = [p.name for p in fn.params if p.kind not in ("varpos", "varkw")]
            names += [n for n, recs in ctx.scope.assigns.items() if "." not in n and "[" not in n
                      and any(r.seq < (seq if seq is not None else 1 << 62) for r in recs) and n not in names]
            items: dict[Any, Any] = {}
            for n in names:
                ref = self._locals_nodes.get((id(fn), n))
                if ref is None:
                    ref = self._locals_nodes[(id(fn), n)] = cst.Name(n)
                items[n] = self.resolve(ref, ctx, seq)
            return Known(items, f"locals() of {fn.qualname}()")
        if path == "hasattr" and len(node.args) == 2 and not any(a.star or a.keyword for a in node.args):
            # hasattr(args, "opt_eps") on the parsed command line: whether the parser defines the option
            ns = self.resolve(node.args[0].value, ctx, seq)
            key = self.resolve(node.args[1].value, ctx, seq)
            if isinstance(ns, Known) and isinstance(ns.value, Namespace) and isinstance(key, Known) \
                    and isinstance(key.value, str):
                if key.value in self._argparse_options():
                    return Known(True, f"--{key.value} is an option of the parser")
                return Unknown(f"whether the parsed command line has {key.value} is not known")
        if path == "dict" and node.args and all(a.keyword is not None and not a.star for a in node.args):
            # dict(lr=args.lr, weight_decay=wd): each value kept, known or not (as in a dict literal)
            items: dict[Any, Any] = {}
            for a in node.args:
                v = self.resolve(a.value, ctx, seq)
                items[a.keyword.value] = v  # type: ignore[union-attr]
            return Known(items, "dict(...)")
        if path and path.endswith(".parse_args") or last in ("parse_args", "parse_known_args"):
            ns = Known(Namespace(path), "argparse")
            if last == "parse_known_args":
                return Known((Namespace(path), []), "argparse")
            return ns
        if last == "get" and isinstance(func, cst.Attribute) and node.args:
            base = self.resolve(func.value, ctx, seq)
            key = self.resolve(node.args[0].value, ctx, seq)
            if isinstance(base, Known) and isinstance(key, Known):
                if isinstance(base.value, dict):
                    if key.value in base.value:
                        return self._dict_item(base.value, key.value, base.source)
                    if len(node.args) > 1:
                        d = self.resolve(node.args[1].value, ctx, seq)
                        if isinstance(d, Known):
                            return Known(d.value, f"default of .get({key.value!r}) since {_file_of(base.source)} "
                                                  f"has no {key.value!r}" if base.source != LITERAL else d.source)
                        return d
                    return Known(None, f"{key.value!r} missing from {base.source}")
                if isinstance(base.value, Namespace):
                    return self._argparse_value(str(key.value), node)
            if not isinstance(base, Known):
                return base
            return Unknown("unsupported .get()")
        if q in ("yaml.safe_load", "yaml.load", "yaml.full_load", "json.load", "json.loads", "yaml.unsafe_load",
                 "omegaconf.OmegaConf.load", "toml.load", "tomllib.load", "tomli.load"):
            return self._config_load(node, q, ctx, seq)
        if last in ("EasyDict", "edict", "AttrDict", "Munch", "SimpleNamespace", "dict", "OmegaConf.create",
                    "create", "munchify", "DotMap", "ConfigDict") and node.args and not node.args[0].keyword:
            return self.resolve(node.args[0].value, ctx, seq)
        home = None
        if path and path not in self.ix.classes and path.split(".", 1)[0] not in _LIBRARY_ROOTS:
            found = self._module_class(path, ctx)  # TrainConfig() with `from configs.training import TrainConfig`
            if found is not None:
                home, path = found
        if path in (home.ix.classes if home is not None else self.ix.classes):
            ci = (home.ix.classes if home is not None else self.ix.classes)[path]
            if ci.is_dataclass or ci.fields and "__init__" not in ci.methods:
                overrides = []
                sources = []
                for i, a in enumerate(node.args):
                    if a.star:
                        return Unknown(f"{path}(**...) arguments")
                    name = a.keyword.value if a.keyword else (ci.field_order[i] if i < len(ci.field_order) else None)
                    if name:
                        v = self.resolve(a.value, ctx, seq)
                        overrides.append((name, v))
                        sources.append((name, self.where(a.value)))
                return Known(DataclassInstance(path, tuple(overrides), tuple(sources), home), f"{path}()")
        if path and path.split(".", 1)[0] not in _LIBRARY_ROOTS:
            built = self._instance_call(node, path, ctx, seq)  # an object of a plain class of the repository
            if built is not None:
                return built
        if last == "len" and len(node.args) == 1 and not node.args[0].star:
            inner = self.resolve(node.args[0].value, ctx, seq)
            if isinstance(inner, Known) and isinstance(inner.value, (list, tuple, str, dict)):
                return Known(len(inner.value), inner.source)
            n = self._comprehension_length(node.args[0].value, ctx, seq, 0)
            if n is not None:
                return n
        if last == "len" and node.args and self.symbol_value is not None and not node.args[0].star:
            text = symbol_text(self.ix.text(node.args[0].value, 60))
            n = self.symbol_value(text)
            return Known(n, symbol_len_source(text, n))
        if last == "len" and node.args and self.assumed_len is not None:
            return Known(self.assumed_len, assumed_len_source(self.ix.text(node.args[0].value, 40), self.assumed_len))
        if last == "len" and node.args:
            return Unknown(f"len({self.ix.text(node.args[0].value, 40)}) depends on the data, which the script does "
                           "not state")
        if path and path in self.ix.functions_by_name:
            return self._local_call(node, path, ctx, seq)
        if path and self.module_hops < 4 and path.split(".", 1)[0] not in _LIBRARY_ROOTS:
            mq = self.ix.imports.for_scope(ctx.scope).qualify_text(path)
            if mq is not None and mq.split(".", 1)[0] not in _LIBRARY_ROOTS:
                other = self._module_call(node, mq, ctx, seq)
                if other is not None:
                    return other
        if isinstance(func, cst.Attribute) and func.attr.value in ("getint", "getfloat", "getboolean"):
            return Unknown("configparser value")
        return Unknown(f"{self.ix.text(node, 60)} is computed at run time")

    def _numpy_call(self, node: cst.Call, q: str, ctx: Ctx) -> Value:
        """A NumPy function the evaluator implements (1-D arrays and numbers, see numpy_arrays.py), evaluated with
        the file's values: SwAV's ``np.concatenate((np.linspace(...), np.array([... for t in iters])))``."""
        from ..evaluate import EvalError, evaluate_expression

        key = (id(node), id(ctx.scope), self.assumed_len)
        hit = self._numpy_memo.get(key)
        if hit is not None and hit[0] is node:
            return hit[1]
        # a schedule array as long as the run, like a repository function computing one
        try:
            value: Value = Known(evaluate_expression(node, EvalScope(self, ctx),  # type: ignore[arg-type]
                                                     _value_call_bounds(self)),
                                 f"np.{q.rsplit('.', 1)[-1]}() at {self.where(node)}")
        except EvalError as exc:
            value = Unknown(f"{self.ix.text(node, 60)} could not be evaluated: {exc}")
        except Exception as exc:  # the evaluator must never take the run down
            value = Unknown(f"{self.ix.text(node, 60)} could not be evaluated: {type(exc).__name__}")
        self._numpy_memo[key] = (node, value)
        return value

    def _partial(self, node: cst.Call, ctx: Ctx, seq: int | None) -> Value:
        """``functools.partial(f, *args, **kwargs)`` of a function of the analysed code: ``f`` with those
        parameters bound (FunctionValue.bound, see evaluate.py: a positional argument binds the next parameter
        without a default that is not bound yet; a keyword binds its parameter, or gives it a new default)."""
        text = self.ix.text(node, 60)
        target = self.resolve(node.args[0].value, ctx, seq)
        if not isinstance(target, Known):
            return target
        fv = target.value
        if not isinstance(fv, FunctionValue) or not isinstance(fv.node, (cst.FunctionDef, cst.Lambda)):
            return Unknown(f"{text}: {self.ix.text(node.args[0].value, 40)} is not a function of the analysed code")
        positional: list[Any] = []
        keywords: list[tuple[str, Any]] = []
        sources = [target.source]
        for a in node.args[1:]:
            if a.star:
                return Unknown(f"{text} passes *args/**kwargs, which are not followed")
            v = self.resolve(a.value, ctx, seq)
            if not isinstance(v, Known):
                return v
            if a.keyword is not None:
                keywords.append((a.keyword.value, v.value))
            else:
                positional.append(v.value)
            sources.append(v.source)
        from ..evaluate import bind_partial

        got = bind_partial(fv, positional, keywords)
        if isinstance(got, str):
            return Unknown(f"{text}: {got}")
        return Known(got, f"functools.partial of {fv.name} ({_combine(*sources)})")

    def _parsed_dataclass(self, call: cst.Call, index: int, ctx: Ctx, seq: int | None) -> Value | None:
        """``model_args, data_args, training_args = parser.parse_args_into_dataclasses()`` with ``parser =
        HfArgumentParser((ModelArguments, DataArguments, TrainingArguments))``: element ``index`` is an instance of
        that dataclass with its field defaults, which the command line may override, as argparse defaults are read.
        None when the call is not of that kind or the class at ``index`` is not a dataclass of the analysed code
        (the library's ``TrainingArguments`` is read by the Trainer adapter)."""
        if not (isinstance(call.func, cst.Attribute) and call.func.attr.value == "parse_args_into_dataclasses"):
            return None
        receiver = call.func.value
        built: cst.BaseExpression | None = receiver
        if isinstance(receiver, cst.Name):
            _, recs = self._assignments(receiver.value, ctx, seq)
            recs = [r for r in recs if r.kind == "assign"]
            built = recs[-1].value if len(recs) == 1 else None
        if not (isinstance(built, cst.Call) and (dotted(built.func) or "").rsplit(".", 1)[-1] in
                ("HfArgumentParser", "TrlParser") and built.args and not built.args[0].keyword):
            return None
        spec = built.args[0].value
        classes = [e.value for e in spec.elements] if isinstance(spec, (cst.Tuple, cst.List)) else [spec]
        if index >= len(classes) or any(isinstance(e, cst.StarredElement) for e in getattr(spec, "elements", ())):
            return None
        name = dotted(classes[index])
        if not name:
            return None
        home: Resolver | None = None
        if name not in self.ix.classes:
            found = self._module_class(name, ctx)
            if found is None:
                return None
            home, name = found
        classes = home.ix.classes if home is not None else self.ix.classes
        ci = classes.get(name)
        # a subclass of a library dataclass (alpaca's `TrainingArguments(transformers.TrainingArguments)`) has
        # fields lraudit does not see: left to what reads it (the Trainer adapter reads the library's defaults)
        if ci is None or not ci.is_dataclass or any(b not in ("object",) and b not in classes for b in ci.bases):
            return None
        return Known(DataclassInstance(name, (), (), home), f"{name}() parsed by HfArgumentParser from the command "
                                                            "line, which may override its defaults")

    def _returned_element(self, call: cst.Call, index: int) -> Value | None:
        """``args, config = parse_option()``: element ``index`` of what a function of this file returns, when it is
        called with no arguments and every ``return`` is a tuple written out (``return args, args_text``), each
        element resolved on its own, so ``args`` is known even when its companion is not (timm's ``_parse_args()``,
        whose parser the evaluator cannot run). None when the call is not of that kind."""
        name = dotted(call.func)
        if call.args or not name:
            return None
        fns = self.ix.functions_by_name.get(name, [])
        if len(fns) != 1 or not fns[0].returns:
            return None
        fn = fns[0]
        elements = []
        for expr, rctx in fn.returns:
            if not isinstance(expr, cst.Tuple) or index >= len(expr.elements) \
                    or any(isinstance(e, cst.StarredElement) for e in expr.elements):
                return None
            elements.append((expr.elements[index].value, rctx))
        values = [self.resolve(e, rctx, None) for e, rctx in elements]
        first = values[0]
        if not isinstance(first, Known):
            return first  # with the element's own reason
        if all(isinstance(v, Known) and _same(v.value, first.value) for v in values):
            return first
        return Unknown(f"{name}() returns different values at its returns")

    def _local_call(self, node: cst.Call, name: str, ctx: Ctx, seq: int | None) -> Value:
        fns = self.ix.functions_by_name.get(name, [])
        if len(fns) != 1:
            return Unknown(f"{name}() is defined more than once")
        fn = fns[0]
        # functions that return parse_args(), a config dict or a constant: resolve their return values
        return self._evaluate_call(node, ctx, seq, fn, self, name, "")

    def _module_call(self, node: cst.Call, qualified: str, ctx: Ctx, seq: int | None) -> Value | None:
        """The value a function of another repository module returns (``hyp = load_hyp()`` with
        ``utils/general.py`` reading a YAML file next to itself); None when the name is not the repository's."""
        from ..repository import Ambiguous, repository_for

        importer = self.file_for(ctx)
        try:
            target = repository_for(importer).resolve(qualified, importer,
                                                      self._inserted() if importer == self.path else ())
        except (OSError, ValueError):
            return None
        if isinstance(target, Ambiguous):
            return Unknown(target.reason)
        if target is None or len(target.attrs) != 1 or os.path.isdir(target.path):
            return None
        other = _module_resolver(target.path, self.module_hops + 1)
        if not isinstance(other, Resolver):
            return Unknown(f"{qualified}() is defined in a module that cannot be read: {other}") if other else None
        name = target.attrs[0]
        fns = [f for f in other.ix.functions_by_name.get(name, []) if f.qualname == name]
        if len(fns) != 1:
            q = other.ix.imports.names.get(name)
            if q is not None and not fns:  # re-exported by that module (`from .general import load_hyp`)
                return other._module_call(node, q, Ctx(other.ix.module_scope), None)
            return None
        return other._evaluate_call(node, ctx, seq, fns[0], self, name, f" of {other.name}")

    def _evaluate_call(self, node: cst.Call, ctx: Ctx, seq: int | None, fn: FunctionInfo, caller: "Resolver",
                       name: str, of: str) -> Value:
        """The value ``fn`` (a function of this resolver's module) returns for the call ``node`` that ``caller``
        sees: its return expressions when every one is the same known value and the call passes nothing, else
        the safe evaluator run on the call's known arguments. ``of`` names another module in the sources."""
        if fn.returns and not node.args:
            rets = [self.resolve(expr, rctx, None) for expr, rctx in fn.returns]
            if all(isinstance(r, Known) for r in rets):
                first = rets[0].value  # type: ignore[union-attr]
                if all(_same(r.value, first) for r in rets):  # type: ignore[union-attr]
                    r0 = rets[0]
                    if not of:
                        return r0
                    return Known(r0.value, f"{r0.source} (returned by {name}(){of})")  # type: ignore[union-attr]
        try:
            from ..evaluate import EvalError, call_function  # local import keeps start-up light
        except ImportError:  # pragma: no cover - evaluator always ships
            return Unknown(f"{name}() is not evaluated")
        args: list[Any] = []
        kwargs: dict[str, Any] = {}
        for a in node.args:
            if a.star:
                return Unknown(f"{name}(*...) is not evaluated")
            v = caller.resolve(a.value, ctx, seq)
            if not isinstance(v, Known):
                return Unknown(f"{name}() gets an argument that is not known: {v.reason}")  # type: ignore
            # `make_decay_fn(opt)` with the parsed command line: the helper reads its attributes as options
            value = _namespace_host(caller, a.value, ctx) if isinstance(v.value, Namespace) else v.value
            if a.keyword is not None:
                kwargs[a.keyword.value] = value
            else:
                args.append(value)
        fv = FunctionValue(fn.node, fn.name, self.loc_line(fn.node), scope=EvalScope(self, Ctx(fn.scope)),
                           file=self.def_file(fn.node))
        # the same function on the same values gives the same result (the evaluator is deterministic, and the
        # function's free names are read in its own scope): ConvNeXt's 30,000-step `cosine_scheduler(...)` is
        # resolved at several places of the file, and evaluated once
        key = _call_key(fn.node, args, kwargs, self.assumed_len)
        hit = self._calls.get(key) if key is not None else None
        if hit is not None and hit[0] is fn.node:
            return Known(hit[1], f"{name}(){of} at {caller.where(node)}") if hit[2] is None else Unknown(hit[2])
        try:
            result = call_function(fv, args, kwargs, _value_call_bounds(self, caller),
                                   filesystem=caller.filesystem_view())
            result = _plain_paths(result)
        except EvalError as exc:
            reason = f"{name}(){of} could not be evaluated: {exc}"
            if key is not None:
                self._calls[key] = (fn.node, None, reason)
            return Unknown(reason)
        except Exception as exc:  # the evaluator must never take the run down
            return Unknown(f"{name}(){of} could not be evaluated: {type(exc).__name__}")
        if key is not None:
            self._calls[key] = (fn.node, result, None)
        return Known(result, f"{name}(){of} at {caller.where(node)}")

    # ------------------------------------------------------------------------------ local modules
    def _local_module_value(self, qualified: str, importer: str | None = None) -> Value | None:
        """``conf.settings.MILESTONES`` when ``conf/settings.py`` is a module of the repository (see repository.py:
        import roots, packages, re-exports); relative imports (``from .training import train_config``) resolve from
        the importing file's package. None when the name is not the repository's."""
        if self.module_hops >= 4 or qualified.split(".", 1)[0] in _LIBRARY_ROOTS:
            return None
        importer = importer or self.path
        here = os.path.dirname(os.path.abspath(self.path))
        from ..repository import Ambiguous, repository_for

        try:
            repo = repository_for(importer)
            target = repo.resolve(qualified, importer, self._inserted() if importer == self.path else ())
        except (OSError, ValueError):
            target = None
        if isinstance(target, Ambiguous):
            return Unknown(target.reason)
        if target is not None and target.attrs and not os.path.isdir(target.path):
            rel = os.path.relpath(target.path, here).replace(os.sep, "/")
            other = _module_resolver(target.path, self.module_hops + 1)
            if isinstance(other, str):
                return Unknown(f"{qualified}: {other}")
            if other is None:
                return Unknown(f"{qualified}: {rel} could not be read")
            return other._module_attr(list(target.attrs), rel, qualified)
        return self._nearby_module_value(qualified, importer)

    def _inserted(self) -> list[str]:
        """Directories this file puts on ``sys.path`` (import roots before its own directory)."""
        if getattr(self, "_inserted_dirs", None) is None:
            from .link import sys_path_inserts

            self._inserted_dirs: list[str] | None = []
            try:
                self._inserted_dirs = sys_path_inserts(self.ix, self)
            except Exception:  # a path that cannot be computed is not an import root
                self._inserted_dirs = []
        return self._inserted_dirs or []

    def _nearby_module_value(self, qualified: str, importer: str) -> Value | None:
        """A module next to the importer or in one of its parent directories (outside any repository root)."""
        level = len(qualified) - len(qualified.lstrip("."))
        parts = qualified.lstrip(".").split(".")
        if len(parts) < 2:
            return None
        here = os.path.dirname(os.path.abspath(importer))
        if level:
            roots = [here]
            for _ in range(level - 1):
                roots = [os.path.dirname(roots[0])]
        else:
            roots = []
            root = here
            for _ in range(4):
                roots.append(root)
                root = os.path.dirname(root)
        for split in range(len(parts) - 1, 0, -1):
            mod_parts, attr_parts = parts[:split], parts[split:]
            for root in roots:
                for cand in (os.path.join(root, *mod_parts) + ".py", os.path.join(root, *mod_parts, "__init__.py")):
                    if not os.path.isfile(cand):
                        continue
                    rel = os.path.relpath(cand, os.path.dirname(os.path.abspath(self.path))).replace(os.sep, "/")
                    other = _module_resolver(cand, self.module_hops + 1)
                    if isinstance(other, str):
                        return Unknown(f"{qualified}: {other}")
                    if other is None:
                        return Unknown(f"{qualified}: {rel} could not be read")
                    return other._module_attr(attr_parts, rel, qualified)
        return None

    def _module_attr(self, attr_parts: list[str], rel: str, qualified: str) -> Value:
        """``NAME`` or ``Class.field`` or ``name.re.exported`` at module level of this (imported) file."""
        first = attr_parts[0]
        mscope = self.ix.module_scope
        if first in self.ix.classes and len(attr_parts) == 2:
            ci = self.ix.classes[first]
            default = ci.fields.get(attr_parts[1])
            if default is not None:
                v = self.resolve(default, Ctx(mscope))
                if isinstance(v, Known):
                    return Known(v.value, f"default of {first}.{attr_parts[1]} in {rel}")
                return v
            return Unknown(f"{qualified}: {first}.{attr_parts[1]} has no default in {rel}")
        q = self.ix.imports.qualify_text(".".join(attr_parts))
        if q is not None and first not in mscope.assigns:
            v = self._local_module_value(q)
            if v is not None:
                return v
        if len(attr_parts) == 2 and first in mscope.assigns:
            # an instance or a mapping of that module: `train_config = TrainConfig()` then `train_config.lr`
            base = self._name(first, Ctx(mscope), None, None)  # type: ignore[arg-type]
            if isinstance(base, Known) and isinstance(base.value, DataclassInstance):
                v = self._dataclass_field(base.value, attr_parts[1], base.source)
                if isinstance(v, Known) and "(" not in v.source:
                    return Known(v.value, f"{v.source} in {rel}")
                return v
            if isinstance(base, Known) and isinstance(base.value, dict) and attr_parts[1] in base.value:
                return self._dict_item(base.value, attr_parts[1], f"{first} in {rel}")
        if len(attr_parts) != 1:
            return Unknown(f"{qualified} is not a plain constant of {rel}")
        if first not in mscope.assigns and first not in self.ix.imports.names:
            starred = self._star_value(first, self.ix.imports.star_modules, self.path)
            if starred is not None:
                return starred
            return Unknown(f"{qualified}: {rel} does not define {first}")
        v = self._name(first, Ctx(mscope), None, None)  # type: ignore[arg-type]
        if isinstance(v, Known) and not v.source.startswith(("constant ", "default of ")):
            return Known(v.value, f"{first} in {rel}" + (f" ({v.source})" if v.source != LITERAL else ""))
        if isinstance(v, Known) and v.source.startswith("constant "):
            return Known(v.value, v.source.replace(" at ", " in ", 1) if ":" in v.source else v.source)
        return v

    # ----------------------------------------------------------------------------------- argparse
    def _argparse_options(self) -> dict[str, ArgOption]:
        if self._argparse is None:
            self._argparse = {}
            for site in self.ix.calls:
                last = site.path.rsplit(".", 1)[-1]
                if last in _ABSL_TYPES:
                    opt = _parse_absl_define(site.node, last)
                    if opt is not None and opt.dest not in self._argparse:
                        self._argparse[opt.dest] = opt
                    continue
                if not site.path.endswith("add_argument"):
                    continue
                opt = _parse_add_argument(site.node)
                if opt is not None and opt.dest not in self._argparse:
                    if _root_id(site.ctx.scope) != id(self.ix.module_scope):
                        # `parents=[main_finetune.get_args_parser()]`: an option of another module's parser
                        opt.ctx = site.ctx
                    self._argparse[opt.dest] = opt
            # parser.set_defaults(lr=...)
            for site in self.ix.calls:
                if site.path.endswith("set_defaults"):
                    for a in site.node.args:
                        if a.keyword is not None and a.keyword.value in self._argparse:
                            self._argparse[a.keyword.value].default = a.value
        return self._argparse

    def _argparse_value(self, dest: str, node: cst.CSTNode) -> Value:
        opt = self._argparse_options().get(dest)
        flag = f"--{dest.replace('_', '-')}"
        if opt is None:
            return Unknown(f"{flag} is not defined by an add_argument() call in this file")
        flag = opt.flags[0] if opt.flags else dest
        where = self.where(opt.line_node)
        given = override_for(self.overrides, opt.dest, opt.flags)
        if given is not None:
            return Known(_option_value(given, opt), f"--set {given[0]}={given[1]}")
        if opt.required:
            return Unknown(f"{flag} is required on the command line ({where})")
        home = opt.ctx if opt.ctx is not None else Ctx(self.ix.module_scope)
        if opt.action in ("store_true", "store_false"):
            value = opt.action == "store_false"
            if opt.default is not None:
                v = self.resolve(opt.default, home)
                if not isinstance(v, Known):
                    return v
                value = v.value
            return Known(value, f"argparse default of {flag} ({where})")
        if opt.default is None and self.condition_mode and opt.action not in ("count", "append"):
            return Known(None, f"{flag} is not given (argparse makes it None, {where})")
        if opt.default is None:
            return Unknown(f"{flag} has no default; it must be given on the command line ({where})")
        v = self.resolve(opt.default, home)
        if not isinstance(v, Known):
            return Unknown(f"default of {flag} is not known: {v.reason}")  # type: ignore[union-attr]
        value = v.value
        if isinstance(value, str) and opt.type_name in ("float", "int"):
            try:
                value = float(value) if opt.type_name == "float" else int(value)
            except ValueError:
                return Unknown(f"default of {flag} is not a valid {opt.type_name}")
        elif opt.type_name == "float" and isinstance(value, int) and not isinstance(value, bool):
            value = value  # argparse does not convert non-string defaults
        if opt.nargs in ("+", "*") and isinstance(value, str):
            value = [value]
        src = f"argparse default of {flag} ({where})"
        if v.source != LITERAL:
            src += f", {v.source}"
        return Known(value, src)

    def _click_defaults(self) -> dict[str, dict[str, tuple[cst.BaseExpression | None, str]]]:
        if self._click is None:
            self._click = {}
            for fn in self.ix.functions.values():
                for dec in fn.decorators:
                    d = dec.decorator
                    if not isinstance(d, cst.Call):
                        continue
                    path = dotted(d.func) or ""
                    if not path.endswith("option") and not path.endswith("argument"):
                        continue
                    flags = [a.value.evaluated_value for a in d.args
                             if a.keyword is None and isinstance(a.value, cst.SimpleString)
                             and isinstance(a.value.evaluated_value, str)]
                    if not flags:
                        continue
                    names = [f for f in flags if not f.startswith("-")]
                    longs = [f for f in flags if f.startswith("--")]
                    shorts = [f for f in flags if f.startswith("-") and not f.startswith("--")]
                    ident = names[0] if names else (longs[0] if longs else shorts[0]).lstrip("-")
                    ident = ident.split("/")[0].replace("-", "_").lower()
                    default = None
                    for a in d.args:
                        if a.keyword is not None and a.keyword.value == "default":
                            default = a.value
                    self._click.setdefault(fn.qualname, {})[ident] = (default, longs[0] if longs else flags[0])
        return self._click

    # --------------------------------------------------------------------------------- dataclasses
    def _dataclass_field(self, inst: DataclassInstance, attr: str, source: str) -> Value:
        for name, v in inst.overrides:
            if name == attr:
                return v
        home = inst.home if inst.home is not None else self
        if home is not self:
            return home._dataclass_field(DataclassInstance(inst.cls, (), (), None), attr, source)
        given = override_for(self.overrides, attr, [])
        if given is not None:
            return Known(literal_value(given[1]), f"--set {given[0]}={given[1]}")
        ci = self.ix.classes.get(inst.cls)
        if ci is None or attr not in ci.fields:
            return Unknown(f"{inst.cls} has no field {attr}")
        default = ci.fields[attr]
        if default is None:
            return Unknown(f"{inst.cls}.{attr} has no default")
        if isinstance(default, cst.Call) and (dotted(default.func) or "").endswith("field"):
            for a in default.args:
                if a.keyword is not None and a.keyword.value == "default":
                    default = a.value
                    break
            else:
                return Unknown(f"{inst.cls}.{attr} uses a default factory")
        v = self.resolve(default, Ctx(self.class_scopes.get(id(ci), self.ix.module_scope)))
        if isinstance(v, Known):
            return Known(v.value, f"default of {inst.cls}.{attr} ({self.where(default)})")
        return v

    def _module_class(self, path: str, ctx: Ctx) -> tuple["Resolver", str] | None:
        """(resolver of its module, class name) when ``path`` names a class of another repository module (also
        through ``from utils import *``: the last star import that defines it wins, as in Python)."""
        if self.module_hops >= 4:
            return None
        table = self.ix.imports.for_scope(ctx.scope)
        q = table.qualify_text(path)
        if q is None and "." not in path and table.star_modules:
            for m in reversed(table.star_modules):
                found = self._qualified_module_class(f"{m}{path}" if m.endswith(".") else f"{m}.{path}", ctx)
                if found is not None:
                    return found
            return None
        if q is None:
            return None
        return self._qualified_module_class(q, ctx)

    def _qualified_module_class(self, q: str, ctx: Ctx) -> tuple["Resolver", str] | None:
        if q.split(".", 1)[0] in _LIBRARY_ROOTS:
            return None
        from ..repository import Target, repository_for

        importer = self.file_for(ctx)
        try:
            t = repository_for(importer).resolve(q, importer, self._inserted() if importer == self.path else ())
        except (OSError, ValueError):
            return None
        for _ in range(4):  # through re-exports (`from .config import TrainConfig` in a package's __init__.py)
            if not isinstance(t, Target) or len(t.attrs) != 1 or os.path.isdir(t.path):
                return None
            other = _module_resolver(t.path, self.module_hops + 1)
            if not isinstance(other, Resolver):
                return None
            name = t.attrs[0]
            if name in other.ix.classes:
                return other, name
            nq = other.ix.imports.names.get(name)
            if nq is None:
                return None
            t = repository_for(other.path).resolve(nq, other.path)
        return None

    # ------------------------------------------------------------------------------ plain classes
    def plain_class(self, path: str, ctx: Ctx, depth: int = 0) -> Any:
        """The ``PlainClass`` (instances.py) a name of this module's code stands for, a reason (str) when it names a
        class of the repository the evaluator cannot follow, or None when it names no class of the repository."""
        home: Resolver = self
        name = path
        ci = self.ix.classes.get(path)
        if ci is None:
            found = self._module_class(path, ctx)
            if found is None and "." in path and self.module_hops < 4:
                found = self._qualified_module_class(path, ctx)  # a base class named by its qualified import
            if found is None:
                return None
            home, name = found
            ci = home.ix.classes[name]
        key = ("plain-class", id(ci))
        hit = home._memo.get(key)
        if hit is not None:
            return hit[1]
        home._memo[key] = (ci, f"the class {name} is defined in terms of itself")  # guards base-class cycles
        result = home._build_plain_class(ci, depth)
        home._memo[key] = (ci, result)
        return result

    def _build_plain_class(self, ci: ClassInfo, depth: int) -> Any:
        from ..instances import PlainClass

        if ci.node.decorators or ci.is_dataclass:
            return f"{ci.name} is decorated, which the evaluator does not follow"
        if depth > 8:
            return f"the class hierarchy of {ci.name} is too deep"
        mscope = self.class_scopes.get(id(ci), self.ix.module_scope)
        bases = []
        for b in ci.bases:
            if b in ("object", "builtins.object"):
                continue
            base = self.plain_class(b, Ctx(mscope), depth + 1)
            if base is None or isinstance(base, str):
                why = f" ({base})" if isinstance(base, str) else ""
                return f"{ci.name} subclasses {b}, which is not a plain class the evaluator follows{why}"
            bases.append(base)
        if ci.node.keywords:
            return f"{ci.name} has a metaclass or class keywords, which the evaluator does not follow"
        methods: dict[str, FunctionValue] = {}
        refused: dict[str, str] = {}
        for mname, fn in ci.methods.items():
            if fn.node.decorators:
                refused[mname] = f"{ci.name}.{mname} is decorated, which the evaluator does not follow"
                continue
            if mname in ("__getattr__", "__getattribute__", "__setattr__", "__new__", "__init_subclass__"):
                return f"{ci.name} defines {mname}, which the evaluator does not follow"
            methods[mname] = FunctionValue(fn.node, f"{ci.name}.{mname}", self.loc_line(fn.node),
                                           scope=EvalScope(self, Ctx(fn.scope)), file=self.def_file(fn.node))
        fields: dict[str, Any] = {}
        for fname, node in ci.fields.items():
            if node is None or fname in methods:
                continue
            v = self.resolve(node, Ctx(mscope))
            if isinstance(v, Known):
                fields[fname] = v.value
            else:
                refused.setdefault(fname, f"{ci.name}.{fname} is unknown: {v.reason}")  # type: ignore[union-attr]
        return PlainClass(ci.name, self.where(ci.node), methods, fields, refused, tuple(bases))

    def _instance_call(self, node: cst.Call, path: str, ctx: Ctx, seq: int | None) -> Value | None:
        """``Decay(100, 0, 50)``: an object of a plain class of the repository, its ``__init__`` run by the safe
        evaluator on the call's known arguments; None when ``path`` names no class of the repository."""
        pc = self.plain_class(path, ctx)
        if pc is None:
            return None
        text = self.ix.text(node, 60)
        if isinstance(pc, str):
            return Unknown(f"{text} is computed at run time: {pc}")
        from ..evaluate import EvalError, call_value

        args: list[Any] = []
        kwargs: dict[str, Any] = {}
        for a in node.args:
            if a.star:
                return Unknown(f"{path}({a.star}...) is not evaluated")
            v = self.resolve(a.value, ctx, seq)
            if not isinstance(v, Known):
                return Unknown(f"{path}() gets an argument that is not known: {v.reason}")  # type: ignore
            if isinstance(v.value, (ObjectRef, Namespace, DataclassInstance)):
                return Unknown(f"{path}() gets {self.ix.text(a.value, 40)}, an object the evaluator does not follow")
            if a.keyword is not None:
                kwargs[a.keyword.value] = v.value
            else:
                args.append(v.value)
        try:
            obj = call_value(pc, args, kwargs, filesystem=self.filesystem_view())
        except EvalError as exc:
            return Unknown(f"{path}() ({pc.where}) could not be evaluated: {exc}")
        except Exception as exc:  # the evaluator must never take the run down
            return Unknown(f"{path}() ({pc.where}) could not be evaluated: {type(exc).__name__}")
        return Known(obj, f"{path}() at {self.where(node)} ({pc.where})")

    def filesystem_view(self) -> Any:
        """The read-only file-system view the evaluator answers ``os.path.isfile``/``Path.exists`` from: paths inside
        this file's repository root; a relative path against the analysed script's directory and the root."""
        from ..repository import repository_for
        from ..value_methods import FileSystemView

        try:
            root = repository_for(self.path).root
        except (OSError, ValueError):
            return None
        bases = [root] if self.module_hops else [os.path.dirname(os.path.abspath(self.path)), root]
        return FileSystemView(root, bases)

    # ----------------------------------------------------------------------------------- configs
    def _config_load(self, node: cst.Call, q: str, ctx: Ctx, seq: int | None) -> Value:
        if not node.args:
            return Unknown("config load without arguments")
        arg = node.args[0].value
        if q == "json.loads":
            return Unknown("json.loads of a string computed at run time")
        path_v = self._path_of(arg, ctx, seq)
        if not isinstance(path_v, Known):
            return Unknown(f"config file path is not known: {path_v.reason}")  # type: ignore[union-attr]
        rel = path_v.value
        return self.load_config_file(rel)

    def _path_of(self, arg: cst.BaseExpression, ctx: Ctx, seq: int | None) -> Value:
        # open(path) / f (from `with open(path) as f`) / Path(...).open() / a plain path
        if isinstance(arg, cst.Call):
            fpath = dotted(arg.func) or ""
            if fpath == "open" or fpath.endswith(".open") and not fpath.endswith("Path.open"):
                if fpath == "open":
                    if not arg.args:
                        return Unknown("open() without a path")
                    return self._path_expr(arg.args[0].value, ctx, seq)
                return self._path_expr(arg.func.value, ctx, seq)  # type: ignore[union-attr]
            if fpath.endswith("read_text"):
                return self._path_expr(arg.func.value, ctx, seq)  # type: ignore[union-attr]
        if isinstance(arg, cst.Name):
            v = self.resolve(arg, ctx, seq)
            if isinstance(v, Known) and isinstance(v.value, tuple) and v.value and v.value[0] == "open":
                call = v.value[1]
                if call.args:
                    return self._path_expr(call.args[0].value, ctx, seq)
            if isinstance(v, Known) and isinstance(v.value, str):
                return v
        return self._path_expr(arg, ctx, seq)

    def _path_expr(self, node: cst.BaseExpression, ctx: Ctx, seq: int | None) -> Value:
        # os.path.join(os.path.dirname(__file__), "x.yaml"), Path(__file__).parent / "x.yaml", literal
        if isinstance(node, cst.Call):
            fpath = self.ix.imports.qualify(node.func) or dotted(node.func) or ""
            if fpath == "os.path.relpath" and node.args:
                # relative to the working directory the run starts in: the same file as the path itself
                return self._path_expr(node.args[0].value, ctx, seq)
            if fpath in ("os.path.join", "os.path.abspath", "os.path.realpath", "os.path.dirname",
                         "pathlib.Path", "Path", "os.path.expanduser", "str"):
                parts = []
                for a in node.args:
                    v = self._path_expr(a.value, ctx, seq)
                    if not isinstance(v, Known):
                        return v
                    parts.append(str(v.value))
                if fpath == "os.path.dirname":
                    return Known(os.path.dirname(parts[0]) if parts else "", "path")
                if not parts:
                    return Known(".", "path")
                return Known(os.path.join(*parts), "path")
        if (isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute) and not node.args
                and node.func.attr.value in ("resolve", "absolute", "expanduser")):
            return self._path_expr(node.func.value, ctx, seq)  # Path(__file__).resolve()
        if (isinstance(node, cst.Subscript) and isinstance(node.value, cst.Attribute)
                and node.value.attr.value == "parents" and len(node.slice) == 1
                and isinstance(node.slice[0].slice, cst.Index)):
            idx = self.resolve(node.slice[0].slice.value, ctx, seq)
            v = self._path_expr(node.value.value, ctx, seq)  # FILE.parents[1]
            if not isinstance(v, Known):
                return v
            if not isinstance(idx, Known) or not isinstance(idx.value, int) or idx.value < 0:
                return Unknown("parents[...] index is not known")
            p = str(v.value)
            for _ in range(idx.value + 1):
                p = os.path.dirname(p)
            return Known(p, "path")
        if isinstance(node, cst.Attribute) and node.attr.value == "parent":
            v = self._path_expr(node.value, ctx, seq)
            if isinstance(v, Known):
                return Known(os.path.dirname(str(v.value)), "path")
            return v
        if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.Divide):
            a = self._path_expr(node.left, ctx, seq)
            b = self._path_expr(node.right, ctx, seq)
            if isinstance(a, Known) and isinstance(b, Known):
                return Known(os.path.join(str(a.value), str(b.value)), "path")
            return a if not isinstance(a, Known) else b
        if isinstance(node, cst.Name) and node.value == "__file__":
            return Known(self.file_for(ctx), "path")
        if isinstance(node, (cst.Name, cst.Attribute)) and self._depth < MAX_DEPTH:
            name = dotted(node)
            _, recs = self._assignments(name, ctx, seq) if name else (None, [])
            recs = [r for r in recs if r.kind == "assign" and r.value is not None]
            if len(recs) > 1 and all(r.ctx.conds == 0 and not r.ctx.loops for r in recs):
                recs = recs[-1:]  # `ROOT = FILE.parents[0]` then `ROOT = Path(os.path.relpath(ROOT, Path.cwd()))`
            if len(recs) == 1 and not isinstance(recs[0].value, (cst.SimpleString, cst.ConcatenatedString)):
                self._depth += 1
                try:
                    v = self._path_expr(recs[0].value, recs[0].ctx, recs[0].seq)
                finally:
                    self._depth -= 1
                if isinstance(v, Known):
                    return v
        v = self.resolve(node, ctx, seq)
        if isinstance(v, Known) and not isinstance(v.value, str):
            return Unknown("path is not a string")
        return v

    def load_config_file(self, rel: str) -> Value:
        """Load a YAML/JSON config the script names, relative to the script (then the working directory)."""
        if rel in self._config_cache:
            return self._config_cache[rel]
        result = self._load_config_file(rel)
        if self.overrides and isinstance(result, Known) and isinstance(result.value, dict):
            result = Known(_override_config(result.value, self.overrides, result.source), result.source)
        self._config_cache[rel] = result
        return result

    def _load_config_file(self, rel: str) -> Value:
        from .configs import ConfigError, read_config

        candidates = []
        if os.path.isabs(rel):
            candidates.append(rel)
        else:
            base = os.path.dirname(self.path) if self.directory is None else self.directory
            candidates.append(os.path.normpath(os.path.join(base, rel)))
            candidates.append(os.path.normpath(rel))
        for cand in candidates:
            if os.path.isfile(cand):
                try:
                    data = read_config(cand)
                except ConfigError as exc:
                    return Unknown(f"config {rel} could not be read: {exc}")
                name = os.path.relpath(cand, os.path.dirname(self.path) or ".").replace(os.sep, "/")
                if self.module_hops:  # read by another module: named from the repository root
                    from ..repository import repository_for

                    rel_root = repository_for(self.path).rel(os.path.abspath(cand))
                    if not os.path.isabs(rel_root):
                        name = rel_root
                return Known(data, name)
        return Unknown(f"config file {rel} was not found next to the script")


_LIBRARY_ROOTS = frozenset({
    "torch", "numpy", "np", "math", "os", "sys", "keras", "tensorflow", "tf", "transformers", "timm",
    "lightning", "pytorch_lightning", "accelerate", "jax", "optax", "yaml", "json", "argparse", "typing",
    "dataclasses", "collections", "functools", "itertools", "random", "torchvision", "datasets", "wandb",
    "logging", "time", "pathlib", "re", "copy", "scipy", "sklearn", "pandas", "tqdm", "PIL", "cv2",
})
_PATH_CALLS = frozenset({"pathlib.Path", "os.path.join", "os.path.abspath", "os.path.realpath", "os.path.dirname",
                         "os.path.relpath", "os.path.expanduser"})
_MODULE_CACHE: dict[tuple[str, int], tuple[Any, "Resolver | None"]] = {}
MAX_MODULE_BYTES = 1_000_000


def _root_id(scope: Any) -> int:
    """id() of the module scope ``scope`` belongs to (the analysed file's, or a linked module's)."""
    while scope.parent is not None:
        scope = scope.parent
    return id(scope)


def _module_resolver(path: str, hops: int) -> "Resolver | str | None":
    """A resolver for another module of the repository (its parse shared with the repository model); a reason
    string when the module cannot be read, decoded or parsed."""
    from ..repository import repository_for

    try:
        unit = repository_for(path).unit(path)
    except (OSError, RecursionError, ValueError):
        return None
    if isinstance(unit, str):
        return unit
    key = (os.path.realpath(path), id(unit))
    hit = _MODULE_CACHE.get(key)
    if hit is not None:
        return hit[1]
    _MODULE_CACHE[key] = (unit, None)  # guards import cycles
    result = None
    try:
        from ..parse import Locator
        from .index import build_index

        ix = build_index(unit.module)
        result = Resolver(ix, unit.path, None)
        result.name = repository_for(path).rel(unit.path)  # sources name the module by its repository path
        result.loc_line = Locator(unit.module, unit.text, ix.owner).line
        result.module_hops = hops
    except RecursionError:
        result = None
    if len(_MODULE_CACHE) > 256:
        _MODULE_CACHE.clear()
    _MODULE_CACHE[key] = (unit, result)
    return result


_NAMESPACE_HOST: Any = None


def _namespace_host(resolver: Resolver, node: cst.BaseExpression, ctx: Ctx) -> Any:
    """The parsed command line as an object the safe evaluator can read attributes of (``args.lr`` inside
    ``adjust_learning_rate(optimizer, epoch, args)``): each attribute resolves as ``<node>.name`` would at the
    place the namespace was read, so assignments such as ``args.lr = args.blr * 4`` count; nothing is writable."""
    global _NAMESPACE_HOST
    if _NAMESPACE_HOST is None:
        from ..evaluate import EvalError, Host

        class NamespaceHost(Host):
            what = "the parsed command line"

            def __init__(self, resolver: Resolver, node: cst.BaseExpression, ctx: Ctx) -> None:
                self.resolver, self.node, self.ctx = resolver, node, ctx
                self.attrs: dict[str, cst.Attribute] = {}

            def ev_getattr(self, name: str) -> Any:
                if name.startswith("_"):
                    raise EvalError(f"{name} of the parsed command line is not read")
                attr = self.attrs.get(name)
                if attr is None:  # one node per name: the resolver's memo keys on it
                    attr = self.attrs[name] = cst.Attribute(value=self.node, attr=cst.Name(name))
                elsewhere = _namespace_writes(self.resolver).get(name)
                if elsewhere is not None and not any(sc is elsewhere[0] for sc in self.ctx.scope.chain()):
                    # `if args.lr is None: args.lr = args.blr * ...` in main(): the helper sees that value, not
                    # the option's default; followed when every call that reaches the helper comes from there,
                    # after the write, handing down the namespace written to
                    sites = _writer_calls(self.resolver, self.ctx.scope, elsewhere)
                    if sites:
                        node = self.attrs.get(f"<writer>{name}")
                        if node is None:  # kept alive: the resolver's memo keys on its id
                            node = self.attrs[f"<writer>{name}"] = cst.Attribute(
                                value=cst.Name(elsewhere[1]), attr=cst.Name(name))
                        got = [self.resolver.resolve(node, s.ctx, s.seq) for s in sites]
                        bad = next((g for g in got if isinstance(g, Unknown)), None)
                        if bad is not None:
                            raise EvalError(bad.reason)  # type: ignore[union-attr]
                        first = got[0]
                        if (isinstance(first, Known) and not isinstance(first.value, Namespace)
                                and all(isinstance(g, Known) and g.value == first.value for g in got)):
                            return first.value
                    where = f"{elsewhere[0].qualname}()" if elsewhere[0].kind == "function" else "the module"
                    raise EvalError(f"{elsewhere[1]}.{name} is set at run time in {where} (line "
                                    f"{self.resolver.loc_line(elsewhere[2])}), a value not followed into this "
                                    "function")
                v = self.resolver.resolve(attr, self.ctx)
                if isinstance(v, Known):
                    if isinstance(v.value, Namespace):
                        raise EvalError(f"{name} of the parsed command line is itself a namespace")
                    return v.value
                raise EvalError(v.reason)  # type: ignore[union-attr]

        _NAMESPACE_HOST = NamespaceHost
    return _NAMESPACE_HOST(resolver, node, ctx)


MAX_WRITER_HOPS = 4  # calls followed up from a helper to the function that writes the namespace


def _writer_calls(resolver: Resolver, scope: Scope, write: tuple[Scope, str, cst.CSTNode]) -> list[CallSite]:
    """The calls, in the function that writes ``args.<name>`` (``write``), after the write, through which every
    call of the helper running in ``scope`` is reached, passing the written namespace (``args``) on; empty when the
    helper is also reached another way, from before the write, or not at all."""
    writer, base, stmt = write
    if writer.kind != "function":
        return []
    write_seq = _stmt_seq(writer, base, stmt)
    if write_seq is None:
        return []
    found: list[CallSite] = []

    def up(sc: Scope, hops: int) -> bool:
        fn = sc.function
        while fn is None and sc.parent is not None:  # a loop or a nested block: its function
            sc = sc.parent
            fn = sc.function
        if fn is None or hops > MAX_WRITER_HOPS:
            return False
        sites = resolver.calls_to(fn)
        if not sites:
            return False
        for site in sites:
            if any(s is writer for s in site.ctx.scope.chain()):
                if site.seq <= write_seq or not any(
                        isinstance(a.value, cst.Name) and a.value.value == base for a in site.node.args):
                    return False
                found.append(site)
            elif not up(site.ctx.scope, hops + 1):
                return False
        return True

    if not up(scope, 0):
        return []
    return found


def _stmt_seq(scope: Scope, base: str, stmt: cst.CSTNode) -> int | None:
    """The position of the assignment ``stmt`` to ``base.<name>`` in ``scope``."""
    for target, recs in scope.assigns.items():
        if not target.startswith(base + "."):
            continue
        for r in recs:
            if r.node is stmt or r.value is stmt:
                return r.seq
    return None


def _namespace_writes(resolver: Resolver) -> dict[str, tuple[Scope, str, cst.CSTNode]]:
    """Attribute names assigned on a simple name anywhere in the index (``args.lr = ...``): name -> (the scope,
    the base name, the statement), first in order."""
    if resolver._ns_writes is not None:
        return resolver._ns_writes
    out: dict[str, tuple[Scope, str, cst.CSTNode]] = {}
    scopes = [resolver.ix.module_scope] + [fn.scope for fn in resolver.ix.functions.values()]
    for sc in scopes:
        for target, recs in sorted(sc.assigns.items()):
            base, dot, name = target.partition(".")
            if not dot or "." in name or base == "self" or not recs:
                continue
            if name not in out:
                out[name] = (sc, base, recs[0].node or recs[0].value)  # type: ignore[assignment]
    resolver._ns_writes = out
    return out


def _value_call_bounds(*resolvers: Resolver) -> Any:
    """The evaluator's bounds for a value the analysed code computes (a repository function, a NumPy expression): a
    schedule array as long as the run needs more than the default. The symbol re-analysis (symbols.py) keeps the
    default bounds: it re-extracts the file at several sizes, and a long array evaluated at each would multiply the
    file's time."""
    from ..evaluate import Budget

    if any(r.symbol_value is not None for r in resolvers):
        return Budget()
    return Budget(max_steps=VALUE_CALL_STEPS, max_seconds=VALUE_CALL_SECONDS)


class EvalScope:
    """Adapter that lets the safe evaluator resolve free names through the file's resolver."""

    def __init__(self, resolver: Resolver, ctx: Ctx) -> None:
        self.resolver = resolver
        self.ctx = ctx

    def qualified(self, node: cst.BaseExpression) -> str | None:
        return self.resolver.ix.imports.qualify(node)

    def resolve(self, node: cst.BaseExpression) -> Any:
        from ..evaluate import EvalError

        v = self.resolver.resolve(node, self.ctx)
        if isinstance(v, Known):
            if isinstance(v.value, Namespace):  # `args` handed to a helper: its attributes resolve as options
                return _namespace_host(self.resolver, node, self.ctx)
            return v.value
        path = dotted(node) if isinstance(node, (cst.Name, cst.Attribute)) else None
        if path is not None:
            pc = self.resolver.plain_class(path, self.ctx)  # `Warmup(...)` inside evaluated code
            if pc is not None and not isinstance(pc, str):
                return pc
            if isinstance(pc, str):
                raise EvalError(pc)
        raise EvalError(v.reason)  # type: ignore[union-attr]

    def function(self, name: str) -> FunctionValue | None:
        fns = self.resolver.ix.functions_by_name.get(name, [])
        if len(fns) != 1:
            return None
        fn = fns[0]
        return FunctionValue(fn.node, fn.name, self.resolver.loc_line(fn.node),
                             scope=EvalScope(self.resolver, Ctx(fn.scope)))


def _dominates(rec: AssignRec, ctx: Ctx, seq: int | None) -> bool:
    """An assignment that always runs before the read at ``ctx``: earlier in the same function and loop body,
    inside the same branch arms as the read or fewer (``if rank in (-1, 0): opt.hyp = hyp; ...; x = opt.hyp``)."""
    if seq is None or rec.seq >= seq or rec.ctx.scope is not ctx.scope or rec.ctx.loops != ctx.loops:
        return False
    return bool(rec.ctx.arms) and set(rec.ctx.arms) <= set(ctx.arms)


def _is_instance(v: Any) -> bool:
    from ..instances import Instance

    return isinstance(v, Instance)


def _instance_attr(obj: Any, attr: str, source: str, text: str) -> Value:
    """``obj.attr`` of an object of a plain class (instances.py): a field its ``__init__`` set, a class-level value,
    or a bound method (a function of its remaining parameters, usable as ``lr_lambda``)."""
    from ..evaluate import BoundMethod, EvalError
    from ..instances import bind_method

    try:
        v = obj.ev_getattr(attr)
    except EvalError as exc:
        return Unknown(f"{text}: {exc}")
    if isinstance(v, BoundMethod):
        fv = bind_method(v.fn, obj, v.owner)
        if fv is None:
            return Unknown(f"{text}: the method takes no self parameter")
        return Known(fv, f"method {v.fn.name}() of {source}")
    if isinstance(v, (FunctionValue, bool, int, float, str, list, tuple, dict, type(None))) or _is_instance(v):
        return Known(_plain_paths(v), f"{text}, set by {source}")
    return Unknown(f"{text} is {type(v).__name__}, a value lraudit does not follow")


def _plain_paths(v: Any, depth: int = 0) -> Any:
    """A value out of the evaluator with its ``pathlib`` paths as strings (how values are kept here)."""
    from ..value_methods import PathValue

    if isinstance(v, PathValue):
        return str(v)
    if depth < 8 and isinstance(v, (list, tuple)) and any(isinstance(x, (PathValue, list, tuple)) for x in v):
        out = [_plain_paths(x, depth + 1) for x in v]
        return out if isinstance(v, list) else tuple(out)
    return v


def _size(v: Any, budget: int) -> int:
    """Elements and characters in ``v``, counting shared parts every time, stopping past ``budget``."""
    total = 0
    stack = [v]
    while stack and total <= budget:
        x = stack.pop()
        if isinstance(x, str):
            total += len(x)
        elif isinstance(x, (list, tuple)):
            total += len(x)
            stack.extend(x[: budget + 1])
        elif isinstance(x, dict):
            total += len(x)
            stack.extend(list(x.keys())[: budget + 1])
            stack.extend(list(x.values())[: budget + 1])
        else:
            total += 1
    return total


def _bounded(v: Value) -> Value:
    """Numbers lraudit can compute with, values of a sane size; anything else stays unknown."""
    if not isinstance(v, Known):
        return v
    x = v.value
    if isinstance(x, float) and not math.isfinite(x):
        return Unknown(f"the value is {x}, not a finite number")
    if isinstance(x, float) and abs(x) > 1e100:
        return Unknown(f"the value {x:g} is too large to be a learning-rate setting")
    if isinstance(x, int) and not isinstance(x, bool) and x.bit_length() > 63:
        return Unknown("the value is an integer too large to be a learning-rate setting")
    if isinstance(x, (str, list, tuple, dict)) and _size(x, MAX_VALUE_SIZE) > MAX_VALUE_SIZE:
        return Unknown("the value is too large to analyse")
    return v


def _same(a: Any, b: Any) -> bool:
    try:
        return type(a) is type(b) and a == b or (_is_num(a) and _is_num(b) and a == b)
    except Exception:
        return False


_NAMED_RE = re.compile(r"^(constant|variable) (\S+) at (.*)$")


def _file_of(source: str) -> str:
    return source.split(":", 1)[0]


def _item_source(source: str, key: str) -> str:
    if source == LITERAL:
        return LITERAL
    m = _NAMED_RE.match(source)
    if m:
        sub = key if key.startswith("[") else f"[{key!r}]"
        return f"{m.group(1)} {m.group(2)}{sub} at {m.group(3)}"
    if source.endswith((".yaml", ".yml", ".json", ".toml")):
        return f"{source}: {key}"
    if ": " in source and source.split(": ", 1)[0].endswith((".yaml", ".yml", ".json", ".toml")):
        return f"{source}.{key}"
    return source


def _describe_call_source(source: str, pname: str, fn_desc: str, where: str) -> str:
    if source == LITERAL:
        return f"argument {pname} of {fn_desc} at {where}"
    return f"{source} (passed as {pname} to {fn_desc} at {where})"


_SYMBOL_WRAPPERS = re.compile(r"^(enumerate|tqdm(\.tqdm)?|iter|list|tqdm\.auto\.tqdm|trange)\((.*?)(,.*)?\)$")


def _decorated(node: cst.CSTNode, name: str) -> bool:
    """A def decorated ``@staticmethod`` / ``@classmethod`` (its first parameter is not the object)."""
    return isinstance(node, cst.FunctionDef) and any(dotted(d.decorator) == name for d in node.decorators)


def _call_key(fn_node: cst.CSTNode, args: list[Any], kwargs: dict[str, Any], assumed: int | None
              ) -> tuple[Any, ...] | None:
    """A key for a call on plain values (numbers, strings, None, bools, and tuples/lists of them), else None: only
    such calls are memoised (an object argument could be changed by the call)."""
    def frozen(v: Any, depth: int = 0) -> Any:
        if v is None or isinstance(v, (bool, int, float, str)):
            return (type(v).__name__, v)
        if isinstance(v, (list, tuple)) and depth < 2 and len(v) <= 64:
            return (type(v).__name__, tuple(frozen(x, depth + 1) for x in v))
        raise TypeError
    try:
        return (id(fn_node), tuple(frozen(a) for a in args),
                tuple(sorted((k, frozen(v)) for k, v in kwargs.items())), assumed)
    except TypeError:
        return None


_DATASET_NAME = re.compile(r"(^|_)(dataset|data_set|ds)s?($|_)|dataset", re.I)


def is_dataset_name(text: str) -> bool:
    """``dataset_train``, ``train_ds``, ``self.dataset``: a dataset, whose ``len()`` counts samples (not a loader)."""
    name = text.rsplit(".", 1)[-1]
    return bool(name) and _DATASET_NAME.search(name) is not None and "loader" not in name.lower()


def _dataset_in_batches(left_node: cst.BaseExpression, left: Known, right: Known, ix: Any) -> Known:
    """``len(dataset_train) // batch_size``: a run-time size (symbol or assumed) that counts a dataset's *samples*,
    divided by a known batch size, is taken in batches of it, so that ``len(dataset) // 256`` is the assumed
    number of batches per epoch (100) rather than 0: the run-time unit lraudit assumes is batches, whichever
    object's length the script reads. Loaders (already in batches) and known lengths keep their value."""
    if not (isinstance(left_node, cst.Call) and dotted(left_node.func) == "len" and len(left_node.args) == 1):
        return left
    src = left.source or ""
    if not is_run_size_len(src):
        return left
    if not is_dataset_name(dotted(left_node.args[0].value) or ""):
        return left
    b = right.value
    if isinstance(b, bool) or not isinstance(b, int) or b < 2 or not isinstance(left.value, int):
        return left
    return Known(left.value * b, f"{src} batches of {b} (len({ix.text(left_node.args[0].value, 40)}) counts "
                                 f"samples)")


def symbol_text(text: str) -> str:
    """The run-time size a ``len(X)`` or a pass over ``X`` stands for, by ``X``'s text without wrappers
    (``enumerate(train_loader)`` and ``len(train_loader)`` are the same size)."""
    t = text.strip()
    for _ in range(4):
        m = _SYMBOL_WRAPPERS.match(t)
        if not m:
            break
        t = m.group(3).strip()
    return t


def override_for(overrides: dict[str, str], dest: str, flags: list[str]) -> tuple[str, str] | None:
    """The ``--set`` entry (key, text) for an option: by its dest (``lr_scheduler``), a flag (``--lr-scheduler``,
    ``lr-scheduler``), case-sensitively."""
    if not overrides:
        return None
    names = [dest, dest.replace("_", "-")] + [f for f in flags] + [f.lstrip("-") for f in flags] + \
        [f.lstrip("-").replace("-", "_") for f in flags]
    for n in names:
        if n in overrides:
            return n, overrides[n]
    return None


def literal_value(text: str) -> Any:
    """A ``--set`` value for a key without a declared type: int, float, true/false, none, a list in JSON, else text."""
    t = text.strip()
    low = t.lower()
    if low in ("true", "false"):
        return low == "true"
    if low in ("none", "null"):
        return None
    for conv in (int, float):
        try:
            return conv(t)
        except ValueError:
            pass
    if t.startswith("[") and t.endswith("]"):
        try:
            return json.loads(t)
        except ValueError:
            pass
    return text


def _option_value(given: tuple[str, str], opt: "ArgOption") -> Any:
    """A ``--set`` value as argparse would store it: by the option's action and type."""
    text = given[1]
    if opt.action in ("store_true", "store_false"):
        v = literal_value(text)
        return v if isinstance(v, bool) else text.strip().lower() not in ("0", "", "no", "off")
    if opt.type_name in ("int", "float"):
        try:
            return int(text) if opt.type_name == "int" else float(text)
        except ValueError:
            return text
    if opt.nargs in ("+", "*"):
        return text.split(",") if "," in text else [text]
    if opt.type_name in (None, "str"):
        return text
    return literal_value(text)


def _override_config(data: dict, overrides: dict[str, str], source: str) -> dict:
    """A loaded config with the ``--set`` keys it has replaced (dotted keys reach nested mappings)."""
    out = dict(data)
    for key, text in overrides.items():
        parts = key.split(".")
        node: Any = out
        chain = []
        for p in parts[:-1]:
            if not isinstance(node, dict) or p not in node or not isinstance(node[p], dict):
                node = None
                break
            chain.append(p)
            node = node[p]
        if isinstance(node, dict) and parts[-1] in node:
            # copy the path so the cached original stays intact
            target = out
            for p in chain:
                target[p] = dict(target[p])
                target = target[p]
            target[parts[-1]] = Known(literal_value(text), f"--set {key}={text}")
    return out


def _parse_add_argument(call: cst.Call) -> ArgOption | None:
    flags: list[str] = []
    kw: dict[str, cst.BaseExpression] = {}
    for a in call.args:
        if a.keyword is None:
            if isinstance(a.value, cst.SimpleString) and isinstance(a.value.evaluated_value, str):
                flags.append(a.value.evaluated_value)
        else:
            kw[a.keyword.value] = a.value
    if not flags:
        return None
    dest = None
    if "dest" in kw and isinstance(kw["dest"], cst.SimpleString):
        dest = kw["dest"].evaluated_value
    if dest is None:
        longs = [f for f in flags if f.startswith("--")]
        if longs:
            dest = longs[0][2:]
        elif not flags[0].startswith("-"):
            dest = flags[0]
        else:
            dest = flags[0].lstrip("-")
        dest = dest.replace("-", "_")
    type_name = None
    if "type" in kw:
        type_name = dotted(kw["type"])
    action = None
    if "action" in kw and isinstance(kw["action"], cst.SimpleString):
        action = kw["action"].evaluated_value
    required = False
    if "required" in kw and isinstance(kw["required"], cst.Name):
        required = kw["required"].value == "True"
    nargs = None
    if "nargs" in kw and isinstance(kw["nargs"], cst.SimpleString):
        nargs = kw["nargs"].evaluated_value
    return ArgOption(str(dest), flags, kw.get("default"), type_name, required, action, call, nargs,
                     "choices" in kw, kw.get("choices"))


_ABSL_TYPES = {"DEFINE_float": "float", "DEFINE_integer": "int", "DEFINE_string": "str", "DEFINE_boolean": "bool",
               "DEFINE_bool": "bool", "DEFINE_enum": "str", "DEFINE_list": "list", "DEFINE_multi_string": "list"}


def _parse_absl_define(call: cst.Call, last: str) -> ArgOption | None:
    """``flags.DEFINE_float("lr", 0.1, "help")`` (absl / tf.compat.v1.flags): read as ``FLAGS.lr``."""
    pos = [a.value for a in call.args if a.keyword is None and not a.star]
    kw = {a.keyword.value: a.value for a in call.args if a.keyword is not None}
    name_node = kw.get("name", pos[0] if pos else None)
    if not isinstance(name_node, cst.SimpleString) or not isinstance(name_node.evaluated_value, str):
        return None
    default = kw.get("default", pos[1] if len(pos) > 1 else None)
    type_name = _ABSL_TYPES.get(last)
    choices = kw.get("enum_values", pos[2] if last == "DEFINE_enum" and len(pos) > 2 else None)
    if isinstance(default, cst.Name) and default.value == "None":
        default = None
    dest = name_node.evaluated_value
    return ArgOption(dest, [f"--{dest}"], default, type_name if type_name in ("int", "float") else None, False,
                     None, call, None, choices is not None, choices)


__all__ = ["Resolver", "Namespace", "DataclassInstance", "ObjectRef", "EvalScope", "LITERAL", "json"]


def _argument_for(call: cst.Call, param: Any, method: bool) -> cst.BaseExpression | None:
    """The expression a call passes for ``param`` (by keyword, else by position; a method's ``self`` is not
    written); None when it is not passed or passed through ``*args``/``**kwargs``."""
    for a in call.args:
        if a.keyword is not None and a.keyword.value == param.name:
            return a.value
    if param.index is None:
        return None
    index = param.index - (1 if method else 0)
    positional = [a for a in call.args if a.keyword is None]
    if any(a.star for a in positional[: index + 1]) or index < 0 or index >= len(positional):
        return None
    return positional[index].value
