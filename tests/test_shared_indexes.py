"""Work shared between analyses of one process: the index of a linked module (extract/linked_index.py) and the
positions of a parsed module (parse.Locator). Sharing must never change a result: a reused index or position
memo gives what a fresh one gives, and both tables stay bounded."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import libcst as cst
import pytest

from lraudit import parse, repository
from lraudit.analyze import AnalysisOptions, analyze_path
from lraudit.extract.build import extract
from lraudit.extract.index import build_index
from lraudit.extract.linked_index import LINKED_INDEXES, LinkedIndexes
from lraudit.parse import Locator, _LocatingState

ROOT = Path(__file__).resolve().parent.parent
REPOS = ROOT / "fixtures" / "repos"

ENGINE = (
    "def train(model, loader, optimizer, scheduler):\n"
    "    for epoch in range(10):\n"
    "        for x in loader:\n"
    "            optimizer.step()\n"
    "            scheduler.step()\n"
)


@pytest.fixture(autouse=True)
def _fresh() -> Any:
    repository.reset()
    LINKED_INDEXES.clear()
    yield
    repository.reset()
    LINKED_INDEXES.clear()


def test_one_index_per_module_and_numbering() -> None:
    table = LinkedIndexes()
    module = cst.parse_module(ENGINE)
    first = table.get(module, len(ENGINE), 10, 20)
    again = table.get(module, len(ENGINE), 10, 20)
    assert again is first and (table.hits, table.misses) == (1, 1)
    other = table.get(module, len(ENGINE), 30, 40)  # numbered for another place in an importer's linking
    assert other is not first and table.misses == 2
    assert sorted(first.ix.loops) == ["loop21", "loop22"] and sorted(other.ix.loops) == ["loop41", "loop42"]
    fresh = build_index(module, seq_start=10, loop_start=20)
    assert [c.seq for c in first.ix.calls] == [c.seq for c in fresh.calls]
    assert [(lp.id, lp.kind, lp.parent) for lp in first.ix.loops.values()] == \
        [(lp.id, lp.kind, lp.parent) for lp in fresh.loops.values()]


def test_a_reused_index_has_its_loop_kinds_as_built() -> None:
    table = LinkedIndexes()
    module = cst.parse_module(ENGINE)
    entry = table.get(module, len(ENGINE), 0, 0)
    built = [lp.kind for lp in entry.ix.loops.values()]
    for lp in entry.ix.loops.values():  # what an importer's loop classification does to the loops it absorbed
        lp.kind = "epoch"
    assert [lp.kind for lp in table.get(module, len(ENGINE), 0, 0).ix.loops.values()] == built


def test_the_table_is_bounded() -> None:
    table = LinkedIndexes(max_entries=2, max_chars=10_000)
    modules = [cst.parse_module(ENGINE + f"\nX = {i}\n") for i in range(3)]
    for m in modules:
        table.get(m, 100, 0, 0)
    assert len(table._entries) == 2
    table.get(modules[0], 100, 0, 0)  # the oldest went first: built again
    assert (table.hits, table.misses) == (0, 4)
    small = LinkedIndexes(max_entries=10, max_chars=250)
    for m in modules:
        small.get(m, 100, 0, 0)
    assert len(small._entries) == 2 and small._chars == 200


def test_importers_with_different_loop_counts_share_the_linked_index(tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    repo = tmp_path / "r"
    shutil.copytree(REPOS / "trainer_params", repo)
    text = (repo / "train.py").read_text()
    # a second entry point with loops of its own before the call: the trainer's loop ids do not follow them
    (repo / "train_b.py").write_text(text.replace("def main():\n", "def main():\n    for _ in range(2):\n"
                                                  "        pass\n    while False:\n        pass\n"))
    monkeypatch.chdir(repo)
    opts = AnalysisOptions()
    a = analyze_path(str(repo / "train.py"), "train.py", opts)
    misses = LINKED_INDEXES.misses
    b = analyze_path(str(repo / "train_b.py"), "train_b.py", opts)
    assert LINKED_INDEXES.misses == misses and LINKED_INDEXES.hits > 0
    assert a.error is None and b.error is None
    assert a.findings and [(f.code, f.path, f.line) for f in a.findings] == [(f.code, f.path, f.line)
                                                                              for f in b.findings]
    # what a fresh table gives
    LINKED_INDEXES.clear()
    repository.reset()
    again = analyze_path(str(repo / "train_b.py"), "train_b.py", opts)
    assert again.to_dict() == b.to_dict()


SOURCE = (
    "import torch\n\n\ndef build(model, args):\n    opt = torch.optim.SGD(model.parameters(), lr=args.lr)\n"
    "    if args.sched == 'step':\n        s = torch.optim.lr_scheduler.StepLR(opt, 30)\n    else: s = None\n"
    "    return opt, s\n\n\nfor epoch in range(3):\n    x = {'é': f(epoch)}; y = g(x)\n"
)


def _all_nodes(node: cst.CSTNode, out: list[cst.CSTNode]) -> list[cst.CSTNode]:
    out.append(node)
    for child in node.children:
        _all_nodes(child, out)
    return out


def test_locators_of_one_module_share_positions(monkeypatch: pytest.MonkeyPatch) -> None:
    module = cst.parse_module(SOURCE)
    ix = build_index(module)
    state = _LocatingState(module)
    module._codegen(state)
    truth = state.found
    nodes = [n for n in _all_nodes(module, []) if id(n) in truth]
    calls: list[int] = []
    real = Locator._statement_positions

    def counted(self: Locator, stmt: cst.CSTNode, anchor: tuple[int, int, int]) -> Any:
        calls.append(id(stmt))
        return real(self, stmt, anchor)

    monkeypatch.setattr(Locator, "_statement_positions", counted)
    first = Locator(module, SOURCE, ix.owner)
    one = [first.location(n) for n in nodes]
    located = len(calls)
    assert located > 0
    second = Locator(module, SOURCE, build_index(module).owner)  # the next plan round or pass
    two = [second.location(n) for n in nodes]
    assert len(calls) == located  # no statement generated again
    assert one == two
    for n, loc in zip(nodes, one):
        l1, c1, l2, c2 = truth[id(n)]
        assert (loc.line, loc.column, loc.end_line, loc.end_column) == (l1, c1 + 1, l2, c2 + 1)
    other = Locator(module, SOURCE.replace("é", "e"), ix.owner)  # another text: its own memo
    assert other._shared is not first._shared


def test_position_memos_are_bounded() -> None:
    modules = [cst.parse_module(f"x = {i}\n") for i in range(parse.MAX_POSITION_MEMOS + 3)]
    for m in modules:
        Locator(m, m.code).line(m.body[0])
    assert len(parse._POSITION_MEMOS) == parse.MAX_POSITION_MEMOS
    assert id(modules[0]) not in parse._POSITION_MEMOS and id(modules[-1]) in parse._POSITION_MEMOS


def test_extraction_repeated_gives_the_same_facts(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPOS / "trainer_params")
    path = os.path.abspath("train.py")
    text = Path(path).read_text()
    module = cst.parse_module(text)
    first = extract(module, path, text=text, display="train.py").facts
    again = extract(module, path, text=text, display="train.py").facts  # linked index and positions reused
    assert LINKED_INDEXES.hits > 0
    assert again == first


def test_text_cut_per_call_not_per_cache():
    """``Indexer.text`` caches a node's text once: a short excerpt asked for first must not stand in for a longer
    one asked for later (the checkpoint test searches 300 characters of a value another message cut at 60)."""
    code = "x = load_state_dict(torch.load(os.path.join(args.output_dir, 'checkpoint-latest.pth'))['scheduler'])\n"
    module = cst.parse_module(code)
    ix = build_index(module)
    value = module.body[0].body[0].value
    short = ix.text(value, 20)
    assert short.endswith("…") and len(short) == 20
    full = ix.text(value, 300)
    assert full == code.strip()[len("x = "):]
    assert ix.text(value, 20) == short
