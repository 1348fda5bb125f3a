"""Lightning CLI configs as facts: sources, lines, LightningCLI's epoch stepping and the run's length."""

from __future__ import annotations

from pathlib import Path

from lraudit.analyze import AnalysisOptions
from lraudit.api import audit_paths

FIX = Path(__file__).resolve().parent.parent / "fixtures" / "configs" / "lightning_cli"


def _results(paths: list[str]) -> dict:
    rep = audit_paths(paths, AnalysisOptions(), jobs=1, cache_dir=None)
    return {Path(r.path).name: r for r in rep.results}


def test_facts_findings_and_lines() -> None:
    r = _results([str(FIX)])
    cos = r["cosine.yaml"]
    (o,) = cos.optimizers
    assert o["class"] == "torch.optim.AdamW" and o["lr"]["value"] == 3e-4
    assert o["lr"]["source"].endswith("cosine.yaml: optimizer.init_args.lr")
    (s,) = cos.schedulers
    assert s["stepped"] == "epoch" and s["horizon"]["value"] == 30 and len(s["lr"]) == 30
    assert s["args"]["T_max"]["value"] == 30 and cos.findings == []
    assert [(f.code, f.line) for f in r["plateau.yaml"].findings] == [("LR205", 11)]
    assert [(f.code, f.line) for f in r["warmup_too_long.yaml"].findings] == [("LR401", 9)]
    short = r["short_names.yaml"]
    assert short.optimizers[0]["lr"] == {"value": 0.001, "source": "torch default"}
    assert short.schedulers[0]["horizon"]["source"].startswith("Lightning default")


def test_hydra_style_yaml_is_not_lightning_cli(tmp_path: Path) -> None:
    (tmp_path / "exp.yaml").write_text("optimizer:\n  _target_: torch.optim.SGD\n  lr: 0.1\ntrainer:\n"
                                       "  max_epochs: 3\n")
    (tmp_path / "hyp.yaml").write_text("optimizer: SGD\nlr0: 0.01\nepochs: 300\n")
    r = _results([str(tmp_path)])
    assert r["hyp.yaml"].skipped
    assert r["exp.yaml"].details.get("config", {}).get("family") != "lightning_cli"
