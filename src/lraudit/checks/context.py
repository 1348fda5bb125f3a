"""What a check function receives: facts and curves of one file, its rule and options. Nothing else.

A check is ``fn(ctx: CheckContext) -> Iterable[Finding]`` registered with ``@check("LR101")`` (see registry.py).
Checks never see a syntax tree: only ``ctx.facts`` (facts.py) and ``ctx.curves`` (results.Curve per scheduler id).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..facts import FileFacts, Location, SchedulerFact
from ..results import Curve, Finding, Fix


@dataclass
class CheckContext:
    facts: FileFacts
    curves: dict[str, Curve]  # scheduler id -> curve over the run's stated horizon (or the schedule's own length)
    rule: Any  # registry.Rule
    options: dict[str, Any] = field(default_factory=dict)  # rule options (YAML defaults merged with config)
    severity: str | None = None  # configured severity override
    versions: Any = None  # versions.TargetVersions: what the repository targets (None: nothing declared)

    @property
    def path(self) -> str:
        return self.facts.path

    def finding(self, loc: Location | None, severity: str | None = None, autofix: Fix | None = None,
                **fmt: Any) -> Finding:
        """A finding at ``loc`` whose message is the rule's template formatted with ``fmt``; ``autofix`` is kept only
        as far as the rule's declared ``fix:`` allows (a rule declared ``unsafe`` never offers a safe fix)."""
        loc = loc or Location.unknown()
        try:
            message = self.rule.message.format(**fmt)
        except (KeyError, IndexError, ValueError) as exc:  # a template/placeholder mismatch is a bug in the rule
            raise RuntimeError(f"{self.rule.code}: message template needs {exc}") from None
        return Finding(
            code=self.rule.code,
            name=self.rule.name,
            severity=(self.severity or severity or self.rule.severity),  # type: ignore[arg-type]
            path=loc.file or self.facts.path,
            line=loc.line,
            column=loc.column,
            end_line=loc.end_line,
            end_column=loc.end_column,
            message=message,
            fix=_allowed(autofix, getattr(self.rule, "fix", "none")),
        )

    def judge(self, case: str, flavor: str | None = None) -> Any:
        """The rule's version case ``case`` (its ``versions:`` YAML) judged for the targeted versions."""
        from ..versions import NOTHING, judge

        return judge(self.rule.versions[case], self.versions if self.versions is not None else NOTHING, flavor)

    def curve(self, s: SchedulerFact) -> Curve | None:
        return self.curves.get(s.id)


def _allowed(fix: Fix | None, declared: str) -> Fix | None:
    if fix is None or declared == "none":
        return None
    if declared == "unsafe" and fix.applicability == "safe":
        from dataclasses import replace

        return replace(fix, applicability="unsafe")
    return fix
