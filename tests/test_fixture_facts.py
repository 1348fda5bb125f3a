"""Integration: the facts lraudit extracts from every example fixture match fixtures/examples/EXPECTED.yaml."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import libcst as cst
import pytest
import yaml

from lraudit.extract.build import extract
from lraudit.facts import FileFacts, Known, Unknown

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "fixtures" / "examples"
EXPECTED: dict[str, Any] = yaml.safe_load((EXAMPLES / "EXPECTED.yaml").read_text())


def _facts(name: str) -> FileFacts:
    path = EXAMPLES / name
    module = cst.parse_module(path.read_text())
    return extract(module, str(path)).facts


def _close(a: Any, b: Any) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return a == b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-15)
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(_close(x, y) for x, y in zip(a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_close(a[k], b[k]) for k in a)
    return a == b or repr(a) == b


def test_every_fixture_has_expectations() -> None:
    files = sorted(p.name for p in EXAMPLES.glob("*.py"))
    assert files and set(files) == set(EXPECTED), set(files) ^ set(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_optimizers(name: str) -> None:
    facts = _facts(name)
    want = EXPECTED[name].get("optimizers") or []
    got = facts.optimizers
    assert [(o.cls, o.loc.line) for o in got] == [(w["class"], w["line"]) for w in want]
    for o, w in zip(got, want):
        assert o.variable == w.get("variable"), (o.id, o.variable)
        assert isinstance(o.lr, Known), (o.id, o.lr)
        assert _close(o.lr.value, w["lr"]), (o.id, o.lr, w["lr"])
        if "lr_source_contains" in w:
            assert w["lr_source_contains"].lower() in o.lr.source.lower(), (o.lr.source, w["lr_source_contains"])
        if "groups" in w:
            assert [g.lr.value for g in o.groups] == pytest.approx(w["groups"])
        for k, v in (w.get("params") or {}).items():
            assert k in o.params and isinstance(o.params[k], Known), (o.id, k, o.params.get(k))
            assert _close(o.params[k].value, v), (o.id, k, o.params[k], v)
        if "step_lines" in w:
            lines = sorted({s.loc.line for s in facts.optimizer_steps if s.target == o.id})
            assert lines == sorted(w["step_lines"]), (o.id, lines)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_schedulers(name: str) -> None:
    facts = _facts(name)
    want = EXPECTED[name].get("schedulers") or []
    got = facts.schedulers
    assert [(s.cls, s.loc.line) for s in got] == [(w["class"], w["line"]) for w in want]
    opt_by_line = {o.loc.line: o.id for o in facts.optimizers}
    sched_by_line = {s.loc.line: s.id for s in got}
    for s, w in zip(got, want):
        assert s.variable == w.get("variable"), (s.id, s.variable)
        if "optimizer_line" in w:
            assert s.optimizer == opt_by_line.get(w["optimizer_line"]), (s.id, s.optimizer, s.optimizer_reason)
        for k, v in (w.get("args") or {}).items():
            got_v = s.args.get(k)
            if v is None:
                assert isinstance(got_v, Unknown), (s.id, k, got_v)
            else:
                assert isinstance(got_v, Known), (s.id, k, got_v)
                assert _close(got_v.value, v), (s.id, k, got_v, v)
        assert s.stepped == w["stepped"], (s.id, s.stepped, [x.context for x in s.step_sites])
        if "step_lines" in w:
            assert sorted(x.loc.line for x in s.step_sites) == sorted(w["step_lines"]), s.id
        if "children" in w:
            assert list(s.children) == [sched_by_line[line] for line in w["children"]]
        if "parent_line" in w:
            assert s.parent == sched_by_line[w["parent_line"]]
        if "get_lr_line" in w:
            assert s.custom_get_lr is not None and s.custom_get_lr.line == w["get_lr_line"]


@pytest.mark.parametrize("name", sorted(n for n in EXPECTED if "epochs" in EXPECTED[n]))
def test_epochs(name: str) -> None:
    facts = _facts(name)
    assert isinstance(facts.horizon.epochs, Known), facts.horizon
    assert facts.horizon.epochs.value == EXPECTED[name]["epochs"]
