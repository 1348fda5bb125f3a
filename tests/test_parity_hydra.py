"""Parity of lraudit's Hydra composition (configs/hydra_compose.py) with hydra-core 1.3.8's compose API.

Fails at collection when hydra-core is missing (CI installs it: scripts/install-test-deps.sh). Each case composes a
fixture tree with ``hydra.compose`` and with lraudit, and compares the resolved configs
(``OmegaConf.to_container(cfg, resolve=True)``) value for value, types included.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

import pytest

if importlib.util.find_spec("hydra") is None or importlib.util.find_spec("omegaconf") is None:
    raise ImportError("test_parity_hydra.py needs hydra-core: pip install hydra-core==1.3.8")

from hydra import compose, initialize_config_dir  # noqa: E402
from omegaconf import OmegaConf  # noqa: E402

from lraudit.configs.hydra_compose import compose as lraudit_compose  # noqa: E402
from lraudit.configs.yamlnodes import load  # noqa: E402

FIX = Path(__file__).resolve().parent.parent / "fixtures" / "configs" / "hydra"
TEMPLATE = FIX / "template" / "configs"
PACKAGES = FIX / "packages" / "conf"

CASES = [
    (TEMPLATE, "train", []),
    (TEMPLATE, "train", ["experiment=resnet_long"]),
    (TEMPLATE, "train", ["experiment=cosine"]),
    (TEMPLATE, "train", ["model=resnet", "trainer.max_epochs=7"]),
    (TEMPLATE, "train", ["trainer=long"]),
    (PACKAGES, "config", []),
    (PACKAGES, "config", ["optim=sgd"]),
    (PACKAGES, "config", ["~sched"]),
    (PACKAGES, "config", ["server/db=base", "run.epochs=3"]),
    (PACKAGES, "config", ["optim@teacher.optim=adamw"]),
    (PACKAGES, "config", ["optim=sgd", "optim@teacher.optim=adamw"]),
]


def _typed(v: Any) -> Any:
    """Values with their types, so 1 and 1.0 and True are told apart."""
    if isinstance(v, dict):
        return {k: _typed(x) for k, x in v.items()}
    if isinstance(v, list):
        return [_typed(x) for x in v]
    return (type(v).__name__, v)


@pytest.mark.parametrize("root,name,overrides", CASES, ids=[f"{c[0].parent.name}-{c[1]}-{'+'.join(c[2]) or 'default'}"
                                                           for c in CASES])
def test_composition_matches_hydra(root: Path, name: str, overrides: list[str]) -> None:
    with initialize_config_dir(config_dir=str(root), version_base="1.3"):
        cfg = compose(config_name=name, overrides=overrides)
    expected = OmegaConf.to_container(cfg, resolve=True)
    composed = lraudit_compose(str(root), name, overrides)
    got = composed.get(())
    assert got.known, got
    assert _typed(got.value) == _typed(expected)


def test_sources_name_the_file_and_key() -> None:
    c = lraudit_compose(str(TEMPLATE), "train", ["experiment=resnet_long"], display_root="configs")
    assert c.get(("model", "optimizer", "lr")).source == "configs/experiment/resnet_long.yaml: model.optimizer.lr"
    assert c.get(("model", "optimizer", "momentum")).source == "configs/model/resnet.yaml: optimizer.momentum"
    assert c.get(("trainer", "max_epochs")).source == "configs/trainer/long.yaml: max_epochs"
    assert c.get(("trainer", "accelerator")).source == "configs/trainer/default.yaml: accelerator"
    c = lraudit_compose(str(TEMPLATE), "train", [], display_root="configs")
    lr = c.get(("model", "optimizer", "lr"))
    assert lr.value == 0.001 and lr.source == "configs/model/mnist.yaml: optimizer.lr, via ${base_lr}"


def test_runtime_resolvers_are_unknown_with_the_reason(tmp_path: Path) -> None:
    (tmp_path / "config.yaml").write_text("lr: ${oc.env:LR,0.1}\nname: ${now:%H}\nx: ${missing.key}\n"
                                          "a: ${b}\nb: ${a}\n")
    c = lraudit_compose(str(tmp_path), "config")
    assert c.get(("lr",)).reason == "${oc.env:LR,0.1}: an environment variable read at run time"
    assert "resolver 'now' runs at run time" in c.get(("name",)).reason
    assert "missing.key is not set" in c.get(("x",)).reason
    assert "interpolation cycle" in c.get(("a",)).reason


def test_python_tags_are_refused(tmp_path: Path) -> None:
    (tmp_path / "config.yaml").write_text("lr: !!python/object/apply:os.system ['true']\n")
    with pytest.raises(ValueError, match="asks to build a Python object"):
        lraudit_compose(str(tmp_path), "config")


def test_omegaconf_scalar_types_and_lines() -> None:
    value, lines = load("a: 1e-3\nb: '1e-3'\nc:\n  - 5\n  - 2.0\nd: 2026-01-01\n", omegaconf=True)
    assert value == {"a": 1e-3, "b": "1e-3", "c": [5, 2.0], "d": "2026-01-01"}
    assert lines[("c", 1)] == 5
    assert OmegaConf.to_container(OmegaConf.create("a: 1e-3\nd: 2026-01-01\n")) == {"a": 1e-3, "d": "2026-01-01"}
    with pytest.raises(ValueError, match="duplicate key"):
        load("a: 1\na: 2\n", omegaconf=True)
