"""Parity of lraudit's Lightning CLI reader (configs/lightning_cli.py) with LightningCLI 2.6.6 + jsonargparse.

Fails at collection when lightning is missing (CI installs it: scripts/install-test-deps.sh). For each fixture
config, ``LightningCLI(BoringModel, run=False, args=["--config", path])`` parses the file; the optimizer and
scheduler classes lraudit reads, and every argument it binds (given or default), must equal what LightningCLI
parsed, and so must the run length.
"""

from __future__ import annotations

import importlib.util
import warnings
from pathlib import Path
from typing import Any

import pytest

if importlib.util.find_spec("lightning") is None or importlib.util.find_spec("jsonargparse") is None:
    raise ImportError("test_parity_lightning_cli.py needs lightning and jsonargparse: "
                      "pip install lightning==2.6.6 'jsonargparse[signatures]' torch==2.13.0")

from lightning.pytorch.cli import LightningCLI  # noqa: E402
from lightning.pytorch.demos.boring_classes import BoringModel  # noqa: E402

from lraudit.configs import lightning_cli  # noqa: E402
from lraudit.configs.yamlnodes import load  # noqa: E402
from lraudit.facts import Known  # noqa: E402

FIX = Path(__file__).resolve().parent.parent / "fixtures" / "configs" / "lightning_cli"
FILES = sorted(p.name for p in FIX.glob("*.yaml"))


def _plain(ns: Any) -> Any:
    if hasattr(ns, "as_dict"):
        return ns.as_dict()
    return ns


@pytest.mark.parametrize("name", FILES)
def test_reader_matches_lightning_cli(name: str) -> None:
    path = FIX / name
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cli = LightningCLI(BoringModel, run=False, args=["--config", str(path)], save_config_callback=None)
    parsed = _plain(cli.config)
    data, lines = load(path.read_text(), omegaconf=True, unique_keys=False)
    result = lightning_cli.read(data, lines, name)
    assert result is not None
    facts, _notes = result
    (opt,) = facts.optimizers
    assert opt.cls == parsed["optimizer"]["class_path"]
    real_args = parsed["optimizer"]["init_args"]
    assert isinstance(opt.lr, Known) and opt.lr.value == real_args["lr"]
    for k, v in opt.params.items():
        assert isinstance(v, Known)
        assert _same(v.value, real_args[k]), (k, v, real_args[k])
    (sched,) = facts.schedulers
    real_sched = parsed["lr_scheduler"]
    expected_cls = real_sched["class_path"].replace("lightning.pytorch.cli.", "torch.optim.lr_scheduler.")
    assert sched.cls == expected_cls
    for k, v in sched.args.items():
        assert isinstance(v, Known)
        assert _same(v.value, real_sched["init_args"][k]), (k, v, real_sched["init_args"][k])
    if "monitor" in real_sched["init_args"]:
        assert sched.monitor is not None and sched.monitor.value == real_sched["init_args"]["monitor"]
    max_epochs = parsed["trainer"]["max_epochs"]
    assert facts.horizon.epochs.value == (1000 if max_epochs is None else max_epochs)
    assert sched.stepped == "epoch"


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    return bool(a == b) and (isinstance(a, bool) == isinstance(b, bool))
