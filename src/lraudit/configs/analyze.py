"""A config file through the shared pipeline: reader -> facts -> simulate -> check -> suppress -> entries.

Nothing here is config-specific past the reader: the facts a reader returns are simulated, checked and turned
into explain entries exactly as a script's are. The file result carries ``details["config"]`` (family, the
files merged, the training loop, notes) for the renderers.
"""

from __future__ import annotations

from typing import Any

from ..results import FileResult, Finding
from . import readers_for
from .base import ConfigDocument, ConfigError, ConfigMeta


def read_facts(doc: ConfigDocument) -> Any:
    """The first reader's facts, None when no reader accepts the file; ConfigError from a reader that does."""
    for reader in readers_for(doc.path):
        if not reader.gate(doc.data):
            continue
        facts = reader.read(doc)
        if facts is not None:
            return facts
    return None


def analyze_config(doc: ConfigDocument, opts: Any) -> FileResult | None:
    """The result of a config file, or None when it is not a config of any family (then it is not analysed)."""
    try:
        facts = read_facts(doc)
    except ConfigError as exc:
        from ..analyze import _failure

        return _failure(doc.display, exc.reason, exc.line, exc.column)
    if facts is None:
        return None
    return analyze_config_facts(facts, doc, opts)


def analyze_config_facts(facts: Any, doc: ConfigDocument, opts: Any) -> FileResult:
    from ..analyze import run_checks
    from ..explain_data import explain_entries
    from ..simulate import SimOptions, simulate_scheduler

    curves = {s.id: simulate_scheduler(facts, s, SimOptions()) for s in facts.schedulers}
    findings = run_checks(facts, curves, opts)
    if findings:
        from ..baseline import fingerprint
        from ..suppress import parse_suppressions

        try:
            text = doc.text()
        except ConfigError:
            text = ""
        supp = parse_suppressions(text)
        findings = [f for f in findings if not supp.is_suppressed(f.code, f.name, f.line, f.end_line)]
        lines = text.splitlines()
        from dataclasses import replace

        findings = [replace(f, fingerprint=fingerprint(f, lines)) for f in sorted(findings, key=Finding.sort_key)]
    explain_curves = curves
    if opts.steps is not None:
        explain_curves = {s.id: simulate_scheduler(facts, s, SimOptions(steps=opts.steps)) for s in facts.schedulers}
    result = FileResult(path=doc.display, findings=sorted(findings, key=Finding.sort_key))
    result.optimizers, result.schedulers, result.details = explain_entries(facts, explain_curves, opts.want_curves)
    meta = facts.extra.get("config")
    if isinstance(meta, ConfigMeta):
        result.details["config"] = meta.to_json()
    return result


__all__ = ["analyze_config", "read_facts"]
