"""Results: curves, findings and per-file results (plain data; renderers read these)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

Severity = Literal["error", "warning", "info"]
SEVERITY_RANK: dict[str, int] = {"info": 0, "warning": 1, "error": 2}


@dataclass(frozen=True)
class Drop:
    at: int  # scheduler step index k where lr[k] < lr[k-1] noticeably (a "drop" of a step schedule)
    before: float
    after: float


@dataclass(frozen=True)
class Rise:
    start: int  # first index of the rising stretch (lr[start] > lr[start-1])
    end: int  # last index of the stretch
    before: float  # lr[start-1]
    after: float  # lr[end]


@dataclass(frozen=True)
class CurveSummary:
    initial: float
    peak: float
    peak_at: int
    final: float
    minimum: float
    final_ratio: float | None  # final / initial (None when initial == 0)
    warmup_steps: int  # length of the initial monotone rise (0 when none)
    drops: tuple[Drop, ...] = ()
    below_10pct_at: int | None = None  # first k with lr < 10% of peak (after the peak)
    below_1pct_at: int | None = None
    rises: tuple[Rise, ...] = ()  # increases after the warm-up
    zero_at: int | None = None  # first k with lr <= 0 after warm-up
    negative: bool = False
    exact: tuple[tuple[int, float], ...] = ()  # (k, lr[k]) at milestones located between the samples of a curve


@dataclass(frozen=True)
class Curve:
    """The learning rate a scheduler produces, lr[k] after k scheduler steps (k = 0 after construction)."""

    lr: tuple[float, ...] | None  # None when unknown
    steps: tuple[int, ...] | None = None  # sample indices when lr is sampled (None: dense 0..n-1)
    length: int = 0  # number of scheduler steps the curve covers (the horizon)
    horizon_source: str = ""  # where the length comes from, in words
    unit: Literal["epoch", "step"] = "epoch"
    assumption: str | None = None  # e.g. "assuming the monitored metric never improves"
    relative: bool = False  # lr holds multiples of an unknown base rate (shape only; JSON shows no numbers)
    error: str | None = None  # why the curve is unknown (unresolved value, evaluator refusal...)
    stops_at: int | None = None  # the library raises at this step (OneCycleLR past total_steps, ...)
    stop_reason: str | None = None
    shape: str | None = None
    summary: CurveSummary | None = None
    # drawn with the optimizer's lr taken at an assumed run-time size (OptimizerFact.assumed_lr): its rates show
    # the shape, they are not facts (rules do not read them, see checks.common.trusted_points)
    assumed_rate: bool = False
    # a class that sets the rate only when it is stepped, stepped after the optimizer (extract/rate_writers.py):
    # (k, rate) of the first step that trains at a rate the schedule wrote; the steps before k train at the
    # optimizer's own rate (LR107). None when the schedule sets the first step's rate itself.
    first_written: tuple[int, float] | None = None

    def value_at(self, k: int) -> float | None:
        if self.lr is None:
            return None
        if self.steps is None:
            return self.lr[k] if 0 <= k < len(self.lr) else None
        # sampled: nearest sample at or before k
        best = None
        for i, s in enumerate(self.steps):
            if s <= k:
                best = self.lr[i]
            else:
                break
        return best


@dataclass(frozen=True)
class Edit:
    """Replace the text from (line, column) up to (end_line, end_column) (1-based, end exclusive) by ``content``."""

    line: int
    column: int
    end_line: int
    end_column: int
    content: str


@dataclass(frozen=True)
class Fix:
    """A machine-applicable repair of a finding (``lraudit check --fix``); ``unsafe`` ones change behaviour."""

    applicability: Literal["safe", "unsafe"]
    message: str  # what the fix does, in words
    edits: tuple[Edit, ...]

    def to_json(self) -> dict[str, Any]:
        return {"applicability": self.applicability, "message": self.message,
                "edits": [asdict(e) for e in self.edits]}

    @staticmethod
    def from_dict(d: dict[str, Any]) -> "Fix":
        return Fix(d["applicability"], d["message"], tuple(Edit(**e) for e in d.get("edits", ())))


@dataclass(frozen=True)
class Finding:
    code: str
    name: str
    severity: Severity
    path: str
    line: int
    column: int
    end_line: int
    end_column: int
    message: str
    fingerprint: str = ""  # stable across unrelated edits (baseline); filled by the engine
    fix: Fix | None = None  # a machine-applicable repair, when one is unambiguous

    def sort_key(self) -> tuple[Any, ...]:
        return (self.path, self.line, self.column, self.code, self.message)

    def fixable(self, unsafe: bool = False) -> bool:
        """A fix `--fix` applies (with `--unsafe-fixes` when ``unsafe``)."""
        return self.fix is not None and bool(self.fix.edits) and (self.fix.applicability == "safe" or unsafe)

    def to_json(self) -> dict[str, Any]:
        d = asdict(self)
        d.pop("fingerprint", None)
        d["fix"] = self.fix.to_json() if self.fix is not None else None
        return d

    @staticmethod
    def from_dict(d: dict[str, Any]) -> "Finding":
        d = dict(d)
        fix = d.pop("fix", None)
        return Finding(**d, fix=Fix.from_dict(fix) if fix else None)


@dataclass
class FileResult:
    """Everything lraudit says about one file; cached and merged across processes (JSON-able)."""

    path: str
    error: str | None = None
    optimizers: list[dict[str, Any]] = field(default_factory=list)  # explain contract entries
    schedulers: list[dict[str, Any]] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)  # extra data for text/notes renderers
    skipped: bool = False  # did not pass the prefilter (no optimizer or scheduler mentioned)

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "error": self.error,
            "optimizers": self.optimizers,
            "schedulers": self.schedulers,
            "findings": [asdict(f) for f in self.findings],
            "details": self.details,
            "skipped": self.skipped,
        }

    @staticmethod
    def from_dict(d: dict[str, Any]) -> "FileResult":
        return FileResult(
            path=d["path"],
            error=d.get("error"),
            optimizers=list(d.get("optimizers", [])),
            schedulers=list(d.get("schedulers", [])),
            findings=[Finding.from_dict(f) for f in d.get("findings", [])],
            details=dict(d.get("details", {})),
            skipped=bool(d.get("skipped", False)),
        )
