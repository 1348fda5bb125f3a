"""apex's and bitsandbytes' catalog entries have exactly the signatures of the real classes.

Neither library is a test dependency: the signatures are recorded in ``tests/data/optimizer_signatures/`` (read
with libcst from apex's source at the commit named there and from the bitsandbytes wheel of the version named
there, by ``make_signatures.py`` beside them). bitsandbytes of that version is a test dependency, so the catalog is
also compared with ``inspect.signature`` of the live classes and with the keys their param groups hold, in a
process of its own (tests/golden/bitsandbytes_probe.py).
"""

from __future__ import annotations

import inspect
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from lraudit.catalog import apex as apex_catalog
from lraudit.catalog import bitsandbytes as bnb_catalog
from lraudit.catalog import lookup
from lraudit.catalog.base import REQUIRED, Entry

DATA = Path(__file__).parent / "data" / "optimizer_signatures"
PACKAGES = {"apex": "apex.optimizers", "bitsandbytes": "bitsandbytes.optim"}
CATALOG = {"apex": apex_catalog.OPTIMIZERS, "bitsandbytes": bnb_catalog.OPTIMIZERS}
KINDS = {
    inspect.Parameter.POSITIONAL_ONLY: "pos",
    inspect.Parameter.POSITIONAL_OR_KEYWORD: "pos",
    inspect.Parameter.KEYWORD_ONLY: "kwonly",
    inspect.Parameter.VAR_POSITIONAL: "varpos",
    inspect.Parameter.VAR_KEYWORD: "varkw",
}


def golden(library: str) -> dict[str, Any]:
    return json.loads((DATA / f"{library}.json").read_text(encoding="utf-8"))


def recorded_value(v: Any) -> Any:
    if v == "REQUIRED":
        return REQUIRED
    if isinstance(v, dict) and set(v) == {"tuple"}:
        return tuple(v["tuple"])
    return v


def same_value(a: Any, b: Any) -> bool:
    if isinstance(a, tuple) and isinstance(b, tuple):
        return len(a) == len(b) and all(same_value(x, y) for x, y in zip(a, b))
    return type(a) is type(b) and a == b


def assert_same_params(entry: Entry, real: list[tuple[str, Any, str]], where: str) -> None:
    mine = [(p.name, p.default, p.kind) for p in entry.params]
    assert [r[0] for r in real] == [m[0] for m in mine], f"{entry.short}: names or order differ from {where}"
    for (name, real_default, real_kind), (_, default, kind) in zip(real, mine):
        assert kind == real_kind, f"{entry.short}.{name}: kind {kind} vs {where} {real_kind}"
        if real_default is REQUIRED:
            assert default is REQUIRED, f"{entry.short}.{name} is required in {where}"
        else:
            assert same_value(default, real_default), \
                f"{entry.short}.{name}: default {default!r} vs {where} {real_default!r}"


@pytest.mark.parametrize("library", sorted(PACKAGES))
def test_catalog_lists_every_exported_optimizer(library: str) -> None:
    g = golden(library)
    public = {q.rsplit(".", 1)[-1] for q in g["classes"]}
    assert {e.short for e in CATALOG[library]} == public
    assert len(public) == len(g["classes"])


@pytest.mark.parametrize("library", sorted(PACKAGES))
def test_entries_match_the_recorded_signatures(library: str) -> None:
    g = golden(library)
    where = f"{library} {g.get('version') or g['commit'][:8]}"
    by_short = {q.rsplit(".", 1)[-1]: (q, ps) for q, ps in g["classes"].items()}
    for entry in CATALOG[library]:
        defined_in, params = by_short[entry.short]
        assert entry.qualname == f"{PACKAGES[library]}.{entry.short}"
        assert entry.aliases == (defined_in,), "the submodule that defines the class is the alias"
        assert entry.kind == "optimizer" and entry.framework == library
        assert entry.summary and "\n" not in entry.summary
        assert (g.get("version") or g["commit"][:8]) in entry.default_source
        assert_same_params(entry, [(n, recorded_value(d), k) for n, d, k in params], where)
        assert entry.params[0].name == "params" and entry.param("lr") is not None
        for name in (entry.qualname, *entry.aliases):
            assert lookup(name) is entry, name


def test_the_recordings_name_their_source() -> None:
    apex = golden("apex")
    assert len(apex["commit"]) == 40 and apex["commit"] in apex["source"]
    assert apex_catalog.__doc__ and apex["commit"][:8] in apex_catalog.__doc__
    bnb = golden("bitsandbytes")
    assert bnb["version"] in bnb["source"] and bnb["version"] in (bnb_catalog.__doc__ or "")


def test_momentum_key_follows_what_the_param_groups_hold() -> None:
    # apex: FusedSGD keeps momentum, FusedAdagrad neither (OneCycleLR's cycle_momentum raises), the others betas;
    # bitsandbytes keeps betas for every 8-bit-capable class (SGD's momentum is betas[0]), PytorchLARS momentum
    keys = {e.short: e.momentum_key for e in apex_catalog.OPTIMIZERS}
    assert keys.pop("FusedSGD") == "momentum" and keys.pop("FusedAdagrad") == ""
    assert set(keys.values()) == {"betas"}
    keys = {e.short: e.momentum_key for e in bnb_catalog.OPTIMIZERS}
    assert keys.pop("PytorchLARS") == "momentum" and set(keys.values()) == {"betas"}


def _live_bitsandbytes() -> dict[str, Any]:
    """What tests/golden/bitsandbytes_probe.py reports of bitsandbytes, run in its own process with the copy
    scripts/install-test-deps.sh puts in .test-libs/ (on this process's path, transformers and accelerate would
    import it, and bitsandbytes' SGD, Adam, ... registered as optimizer classes would make Lightning CLI's short
    class names ambiguous for every later test)."""
    probe = Path(__file__).parent / "golden" / "bitsandbytes_probe.py"
    target = Path(__file__).resolve().parent.parent / ".test-libs" / "bitsandbytes"
    assert target.is_dir(), f"{target} is missing: scripts/install-test-deps.sh installs bitsandbytes there"
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(target), *filter(None, [env.get("PYTHONPATH")])])
    done = subprocess.run([sys.executable, str(probe)], capture_output=True, text=True, timeout=600, check=True,
                          env=env)
    live = json.loads(done.stdout.strip().splitlines()[-1])
    assert "error" not in live, live.get("error")
    version = golden("bitsandbytes")["version"]
    assert live["version"] == version, f"bitsandbytes {live['version']} is installed; the catalog describes {version}"
    return live


def test_entries_match_the_live_bitsandbytes_classes() -> None:
    live = _live_bitsandbytes()
    where = f"bitsandbytes {live['version']}"
    classes = live["classes"]
    assert set(classes) == {e.short for e in bnb_catalog.OPTIMIZERS}
    for entry in bnb_catalog.OPTIMIZERS:
        got = classes[entry.short]
        assert entry.aliases[0].rpartition(".")[0] == got["module"], entry.short
        assert_same_params(entry, [(n, recorded_value(d), k) for n, d, k in got["params"]], where)
        assert set(got["held"]) == ({entry.momentum_key} if entry.momentum_key else set()), entry.short


def test_the_probe_leaves_this_process_without_bitsandbytes() -> None:
    _live_bitsandbytes()
    assert "bitsandbytes" not in sys.modules
