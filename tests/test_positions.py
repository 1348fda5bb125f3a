"""Positions: the whole-module pass matches libcst's PositionProvider, and the per-statement pass anchored on
Python's ``ast`` matches the whole-module pass for every node extraction can ask about."""

from __future__ import annotations

from pathlib import Path

import libcst as cst
import pytest
from libcst.metadata import MetadataWrapper, PositionProvider

from lraudit.extract.index import build_index
from lraudit.parse import Locator, decode_source, statement_anchors

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = sorted(p for p in (ROOT / "fixtures").rglob("*.py") if p.is_file())

EDGE_CASES = {
    "decorators_async": (
        "import os\n@dec\n@dec2(\n  1)\ndef f(a,\n      b):\n    '''doc'''\n    x = g(1); y = h(2)\n"
        "    async def inner():\n        await k(3)\n    return x\n\n\nclass C(Base):\n    # c\n    z: int = q(3)\n"
        "    @property\n    def p(self): return r(1)\n"
    ),
    "elif_chain": (
        "def f(a):\n    if a == 1:\n        s(1)\n    elif a == 2:  # two\n        s(2)\n    elif t(a):\n        s(3)\n"
        "    else:\n        s(4)\n    if a: u(1); u(2)\n    elif a: u(3)\n    else: u(4)\n"
    ),
    "inline_suites_non_ascii": (
        "x = {'é': 1}\nif x['é'] == 'ü': y = f('ä'); z = g(y)\nfor k in x: print(k, 'ß')\n"
        "while x: x = h(x)\nwith open('ø') as fh: data = fh.read()\n"
    ),
    "try_match_loops": (
        "try:\n    a = f()\nexcept ValueError as e:\n    a = g(e)\nexcept (KeyError, IndexError):\n    pass\nelse:\n"
        "    h(a)\nfinally:\n    k()\nfor i in range(3):\n    m(i)\nelse:\n    n()\nwhile w():\n    break\nelse:\n"
        "    o()\nmatch a:\n    case 1:\n        p(1)\n    case [x, *_]:\n        p(x)\n    case _:\n        q()\n"
    ),
    "continuations_and_comments": (
        "# header\n\n\nvalue = compute(1,\n                2) \\\n    + 3\n\n\n# before\n\n"
        "optimizer = make(  # trailing\n    lr=0.1,\n)\nif value:\n\n    # comment in block\n\n    step(optimizer)\n"
        "    # trailing comment at block end\n\n\nfinal(value)\n"
    ),
    "tabs_and_crlf": "def f():\r\n\tif x:\r\n\t\treturn g(1)\r\n\telse:\r\n\t\treturn h(2)\r\nf()\r\n",
    "try_star": "try:\n    f()\nexcept* ValueError:\n    g()\n",
    "semicolons": "a = 1; b = f(a); c = g(b);\nif a: d = 1;\n",
}


def _walk(node: cst.CSTNode, out: list[cst.CSTNode]) -> None:
    out.append(node)
    for child in node.children:
        _walk(child, out)


def _compare(text: str) -> int:
    module = cst.parse_module(text)
    full = Locator(module)._table()
    ix = build_index(module)
    anchored = Locator(module, text, ix.owner)
    assert anchored._anchor_map(), "ast anchors were not built"
    nodes: list[cst.CSTNode] = []
    _walk(module, nodes)
    asked = 0
    for node in nodes:
        if id(node) in ix.owner or id(node) in anchored._anchor_map():
            asked += 1
            assert anchored._lookup(node) == full.get(id(node)), (type(node).__name__, cst.Module([]).code_for_node(node))
            if id(node) in anchored._anchor_map():
                assert anchored.line(node) == (full[id(node)][0] if id(node) in full else 0)
    assert anchored._found is None, "a query fell back to the whole-module pass"
    return asked


@pytest.mark.parametrize("name", sorted(EDGE_CASES))
def test_anchored_positions_match_whole_module_pass(name: str) -> None:
    assert _compare(EDGE_CASES[name]) > 3


def test_anchored_positions_match_on_every_fixture() -> None:
    asked = 0
    for path in FIXTURES:
        text = decode_source(path.read_bytes())
        assert isinstance(text, str)
        try:
            cst.parse_module(text)
        except cst.ParserSyntaxError:
            continue
        if text.strip():
            asked += _compare(text)
    assert asked > 5000


def test_whole_module_pass_matches_position_provider() -> None:
    for path in FIXTURES[:40] + [None]:
        text = EDGE_CASES["decorators_async"] if path is None else path.read_text(encoding="utf-8")
        try:
            module = cst.parse_module(text)
        except cst.ParserSyntaxError:
            continue
        wrapper = MetadataWrapper(module, unsafe_skip_copy=True)
        expected = wrapper.resolve(PositionProvider)
        loc = Locator(module)
        table = loc._table()
        for node, rng in expected.items():
            asked_for = isinstance(node, (cst.BaseExpression, cst.BaseStatement, cst.BaseSmallStatement))
            if not asked_for:  # whitespace, operators, blocks: never asked for
                continue
            assert id(node) in table, type(node).__name__
            got = loc.location(node)
            assert (got.line, got.column - 1, got.end_line, got.end_column - 1) == (
                rng.start.line, rng.start.column, rng.end.line, rng.end.column), type(node).__name__


def test_without_text_or_with_disagreeing_text_the_whole_module_pass_answers() -> None:
    text = "a = f(1)\nb = g(2)\n"
    module = cst.parse_module(text)
    call = module.body[1].body[0].value  # type: ignore[attr-defined]
    ix = build_index(module)
    assert Locator(module, None, ix.owner).location(call).line == 2
    # a text that is not the module's (ast sees another statement list): no anchors, still right
    assert statement_anchors(module, "a = f(1)\n") == {}
    loc = Locator(module, "a = f(1)\n", ix.owner)
    assert loc.location(call).line == 2 and loc._found is not None
    # text Python's parser refuses (here: Python 2): no anchors either
    assert statement_anchors(module, "print 'x'\n") == {}


def test_byte_offsets_become_character_columns_mid_line() -> None:
    text = "if x == 'ééé': y = f(1)\n"
    module = cst.parse_module(text)
    ix = build_index(module)
    loc = Locator(module, text, ix.owner)
    call = module.body[0].body.body[0].value  # type: ignore[attr-defined]
    got = loc.location(call)
    assert (got.line, got.column) == (1, text.index("f(1)") + 1)
