"""Scripts that load a Hydra, Lightning CLI or DeepSpeed config link to it (configs/links.py)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from lraudit.configs.links import find_links
from lraudit.facts import Known, Unknown

TEMPLATE = Path(__file__).resolve().parent.parent / "fixtures" / "configs" / "hydra" / "template"


def test_hydra_main_links_to_the_primary_config(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(TEMPLATE)
    (link,) = find_links((TEMPLATE / "train.py").read_text(), "train.py")
    assert (link.line, link.call, link.family) == (5, "hydra.main", "Hydra")
    assert link.path == Known("configs/train.yaml", "written in the script")


def test_hydra_main_positional_and_missing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "conf").mkdir()
    (tmp_path / "conf" / "config.yaml").write_text("lr: 0.1\n")
    src = "import hydra\n@hydra.main('conf', 'config')\ndef main(cfg): pass\n@hydra.main(config_name='nope')\n" \
          "def other(cfg): pass\n"
    a, b = find_links(src, str(tmp_path / "app.py"))
    assert a.path == Known(os.path.join("conf", "config.yaml"), "written in the script")
    assert isinstance(b.path, Unknown) and "nope.yaml" in b.path.reason


def test_lightning_cli_and_deepspeed_links(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "ds.json").write_text("{}")
    src = ("from lightning.pytorch.cli import LightningCLI\ncli = LightningCLI(Model)\n"
           "import deepspeed\nengine, _, _, _ = deepspeed.initialize(model=m, config='ds.json')\n"
           "engine, _, _, _ = deepspeed.initialize(model=m, config={'train_batch_size': 8})\n"
           "deepspeed.initialize(model=m)\n"
           "from transformers import TrainingArguments\nTrainingArguments(output_dir='x')\n"
           "TrainingArguments(output_dir='x', deepspeed=args.deepspeed)\n")
    links = find_links(src, str(tmp_path / "train.py"))
    assert [(x.line, x.family) for x in links] == [(2, "Lightning CLI"), (4, "DeepSpeed"), (5, "DeepSpeed"),
                                                  (9, "DeepSpeed")]
    assert "given on the command line (--config)" in links[0].path.reason  # type: ignore[union-attr]
    assert links[1].path == Known("ds.json", "written in the script")
    assert links[2].path == Unknown("a dict written in the script, not a config file: when the script's values "
                                    "resolve it to a dict, its optimizer and scheduler are shown with the script")
    assert links[3].path == Unknown("computed at run time (args.deepspeed)")
