"""The prefilter: derived from the catalog, and without false negatives.

A file the prefilter rejects is never parsed, so a rejected file that would yield a fact or a finding is a
bug. These tests analyse every rejected fixture anyway and require that nothing comes out (the benchmark in
bench/ does the same on a whole real tree).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lraudit.analyze import AnalysisOptions, analyze_bytes
from lraudit.catalog import all_entries
from lraudit.discover import (
    PREFILTER_API_WORDS,
    PREFILTER_COVER_WORDS,
    PREFILTER_NOT_CREATORS,
    build_prefilter,
    catalog_names,
    default_prefilter,
    prefilter,
)
from lraudit.extract.build import extract
from lraudit.parse import ParseFailure, decode_source, parse_source

ROOT = Path(__file__).resolve().parent.parent
SOURCES = sorted(
    p for base in (ROOT / "fixtures", ROOT / "tests") for p in base.rglob("*") if p.suffix in (".py", ".ipynb")
)


def _facts(text: str, path: str = "snippet.py") -> tuple[int, int, int, int]:
    module = parse_source(text)
    assert not isinstance(module, ParseFailure), module
    f = extract(module, path).facts
    return len(f.optimizers), len(f.schedulers), len(f.lr_writes), len(f.unapplied_lrs)


def _nothing_to_report(data: bytes, path: Path) -> list[str]:
    """What analysing the file anyway produces: facts and findings (parse errors excepted)."""
    problems = []
    result = analyze_bytes(data, str(path), path.name, AnalysisOptions(want_curves=False))
    problems += [f"{f.code} at line {f.line}" for f in result.findings if f.code != "LR901"]
    problems += [f"optimizer {o['class']}" for o in result.optimizers]
    problems += [f"scheduler {s['class']}" for s in result.schedulers]
    if path.suffix == ".py":
        text = decode_source(data)
        if isinstance(text, str) and not isinstance(parse_source(text), ParseFailure):
            n_opt, n_sched, n_writes, n_unapplied = _facts(text, str(path))
            if n_writes:
                problems.append(f"{n_writes} learning-rate write(s)")
            if n_unapplied:
                problems.append(f"{n_unapplied} computed rate(s)")
    return problems


# ------------------------------------------------------------------------------------- derivation


def test_every_catalog_name_is_admitted_on_its_own() -> None:
    names = catalog_names()
    assert len(names) > 50
    for name in names:
        assert prefilter(f"x = {name}(params)\n".encode()), name
        assert prefilter(f"from somewhere import {name} as alias\n".encode()), name


def test_catalog_names_cover_every_creating_entry() -> None:
    names = set(catalog_names())
    for entry in all_entries():
        for q in (entry.qualname, *entry.aliases):
            short = q.rsplit(".", 1)[-1]
            assert short in names or short in PREFILTER_NOT_CREATORS, q


def test_needles_are_derived_from_the_names() -> None:
    gate = build_prefilter(["StepLR", "SGD", "ExponentialDecay", "Lamb", "cosine_decay", "cosine_decay_restarts"])
    assert gate.substrings == PREFILTER_API_WORDS + PREFILTER_COVER_WORDS
    # covered by "LR" / "Decay": no needle of their own
    assert gate.names == (b"Lamb", b"SGD", b"cosine_decay", b"cosine_decay_restarts")
    assert gate.lower == (b"cosine_decay",)  # cosine_decay_restarts contains it
    assert default_prefilter() is default_prefilter()


@pytest.mark.parametrize("module,name", sorted({
    (e.qualname.rsplit(".", 1)[0], e.short) for e in all_entries() if e.kind in ("optimizer", "scheduler")
}))
def test_a_call_that_builds_an_object_spells_its_name(module: str, name: str) -> None:
    # the two ways to reach a catalog entry without writing its name in full: an alias and a module alias
    for code in (f"from {module} import {name} as Thing\nobj = Thing(opt)\n",
                 f"import {module} as mod\nobj = mod.{name}(opt)\n"):
        n_opt, n_sched, _, _ = _facts(code)
        assert n_opt + n_sched == 1, code
        assert prefilter(code.encode()), code


# ------------------------------------------------------------------------------- what it admits


@pytest.mark.parametrize("code", [
    "import torch\nopt = torch.optim.SGD(model.parameters(), lr=0.1)\n",
    "from torch.optim import *\nopt = SGD(params)\n",
    "from torch.optim import lr_scheduler as L\ns = L.StepLR(opt, 30)\n",
    "for g in opt.param_groups:\n    g['lr'] = 0.1\n",
    "group[\"lr\"] = base * 0.5\n",
    "base_lr = 0.1\n",
    "lr2 = 3e-4\n",
    "for epoch in range(10):\n    lr /= 4\n",
    "import keras\nmodel.compile('adam', 'mse')\n",
    "import tensorflow as tf\nmodel.compile(loss='mse')\n",
    "from transformers import Trainer\nTrainer(model=model).train()\n",
    "from trl import SFTTrainer\nSFTTrainer(model).train()\n",
    "class Warmup(_LRScheduler):\n    pass\n",
    "class S(keras.optimizers.schedules.LearningRateSchedule):\n    pass\n",
    "opt = Lamb(params)\n",
    "learning_rate = 1e-3\n",
    "tf.compat.v1.train.cosine_decay_restarts(0.1, step, 100)\n",
], ids=lambda c: c.splitlines()[0][:40])
def test_admits(code: str) -> None:
    assert prefilter(code.encode())


@pytest.mark.parametrize("code", [
    "import torch\nfrom torch import nn\n\nclass Net(nn.Module):\n    def forward(self, x):\n        return x\n",
    "# this is already done\nx = 1\n",
    "clr = color(1)\n",
    "layer = keras.layers.Lambda(lambda x: x * 2)\n",
    "decay = 0.99\nema_decay = decay\n",
    "from transformers import AutoModel\nmodel = AutoModel.from_pretrained('bert')\n",
    "import lightning as L\ntrainer = L.Trainer(max_epochs=3)\n",
    "model = torch.compile(model)\n",
    "",
], ids=lambda c: c.splitlines()[0][:40] if c else "empty")
def test_rejects(code: str) -> None:
    assert not prefilter(code.encode())


@pytest.mark.parametrize("code", [
    "import keras\nmodel.compile('adam', 'mse')\nmodel.fit(x, y, epochs=3)\n",
    "from tensorflow import keras\nmodel.compile(loss='mse')\n",
    "from transformers import Trainer\ntrainer = Trainer(model=model)\ntrainer.train()\n",
], ids=["keras-string", "keras-default", "hf-trainer"])
def test_pairs_stand_for_adapters_that_build_an_optimizer(code: str) -> None:
    n_opt, _, _, _ = _facts(code)
    assert n_opt == 1
    assert prefilter(code.encode())


def test_word_boundaries_for_names() -> None:
    assert not prefilter(b"x = SGDR(1)\n")  # not a catalog name
    assert prefilter(b"x = ASGD(p)\n")
    assert prefilter(b"x = optimizers.SGD(p)\n")
    assert not prefilter(b"x = LambdaLayer()\n")
    assert prefilter(b"LambdaLayer(); Lamb(p)\n")


# ------------------------------------------------------------------------------ no false negatives


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_false_negatives_on_fixtures(path: Path) -> None:
    from lraudit.configs import gate

    data = path.read_bytes()
    if prefilter(data) or (path.suffix == ".py" and gate(str(path), data)):  # the runner's admission of a .py
        return
    assert _nothing_to_report(data, path) == [], f"{path} was rejected by the prefilter"


def test_fixtures_include_rejected_files() -> None:
    # the previous test proves something only if some fixtures are rejected
    rejected = [p for p in SOURCES if not prefilter(p.read_bytes())]
    assert any(p.parent.name == "examples" for p in rejected), rejected


def test_no_false_negatives_on_rule_examples() -> None:
    from lraudit.registry import load_rules

    checked = 0
    for rule in load_rules():
        for ex in rule.examples.bad + rule.examples.good:
            data = ex.code.encode()
            checked += 1
            if not prefilter(data):
                assert _nothing_to_report(data, Path("example.py")) == [], (rule.code, ex.code)
        for ex in rule.examples.bad:
            if rule.code != "LR901":
                assert prefilter(ex.code.encode()), (rule.code, ex.code)
    assert checked > 20


_IDENT = st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,12}", fullmatch=True)


@settings(max_examples=150, deadline=None)
@given(st.lists(_IDENT, min_size=1, max_size=6), st.sampled_from(catalog_names()))
def test_a_name_among_other_words_is_found(words: list[str], name: str) -> None:
    text = " ".join(words[:3] + [f"{name}(x)"] + words[3:])
    assert prefilter(text.encode())


# ------------------------------------------------------------------------ the light extraction path


def test_the_light_extraction_path_changes_no_output(monkeypatch: pytest.MonkeyPatch) -> None:
    """Files that build nothing skip loops and horizon (extract/build.py); findings and objects must be the
    same as with the full extraction."""
    from lraudit.extract import build

    taken: list[Path] = []
    original = build._extract
    for path in SOURCES:
        if path.suffix != ".py" or "fixtures" not in path.parts:
            continue
        text = decode_source(path.read_bytes())
        module = parse_source(text) if isinstance(text, str) else None
        if module is None or isinstance(module, ParseFailure):
            continue
        ext = original(module, str(path), None, light=True)
        if ext is not None and not ext.flow.creations:  # the light path was taken and was enough
            taken.append(path)
    assert len(taken) >= 3, taken

    def full_only(module: Any, path: str, directory: Any, light: bool, text: Any = None, **kw: Any) -> Any:
        return original(module, path, directory, light=False, text=text, **kw)

    for path in taken:
        data = path.read_bytes()
        light = analyze_bytes(data, str(path), path.name, AnalysisOptions(want_curves=False))
        monkeypatch.setattr(build, "_extract", full_only)
        full = analyze_bytes(data, str(path), path.name, AnalysisOptions(want_curves=False))
        monkeypatch.setattr(build, "_extract", original)
        assert (light.findings, light.optimizers, light.schedulers, light.error) == \
            (full.findings, full.optimizers, full.schedulers, full.error), path


@pytest.mark.parametrize("text,admitted", [
    (b"# an optimal policy; we optimize the loss (optimization, optimized, optimizing, optimistic)\n", False),
    (b"def optimise(x):\n    return optimum(x)\n", False),
    (b"opt = optim.SGD(p, 0.1)\n", True),
    (b"from torch import optim\n", True),
    (b"self.optimizer.step()\n", True),
    (b"def configure_optimizers(self):\n", True),
    (b"x = create_optimizer_v2(model)\n", True),
    (b"# optimizing below\nfor o in optims: o.step()\n", True),
])
def test_optim_counts_only_outside_english_words(text: bytes, admitted: bool) -> None:
    assert prefilter(text) is admitted
