"""detectron2 configs: yacs _BASE_ chains over the defaults, LazyConfig files, and their findings."""

from __future__ import annotations

import os
from pathlib import Path

from lraudit.api import audit_paths

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "configs" / "detectron2"


def _results(*paths: str) -> dict:
    cwd = os.getcwd()
    os.chdir(FIXTURES)
    try:
        report = audit_paths(list(paths), jobs=1)
    finally:
        os.chdir(cwd)
    return {r.path: r for r in report.results}


def test_yacs_child_inherits_the_solver_over_defaults() -> None:
    r = _results("configs/COCO-Detection/faster_rcnn_R_50_FPN_1x.yaml")["configs/COCO-Detection/faster_rcnn_R_50_FPN_1x.yaml"]
    (opt,) = r.optimizers
    assert opt["class"] == "torch.optim.SGD"
    assert opt["lr"] == {"value": 0.02, "source": "configs/Base-RCNN-FPN.yaml: SOLVER.BASE_LR, inherited by "
                                                  "configs/COCO-Detection/faster_rcnn_R_50_FPN_1x.yaml"}
    (s,) = r.schedulers
    assert s["class"] == "detectron2.solver.WarmupMultiStepLR"
    assert s["args"]["steps"]["value"] == [60000, 80000]  # "(60000, 80000)" decoded as yacs does
    assert s["args"]["warmup_iters"] == {"value": 1000, "source": "detectron2 default (config/defaults.py)"}
    assert s["horizon"]["value"] == 90000
    assert r.details["config"]["files"] == ["configs/Base-RCNN-FPN.yaml",
                                            "configs/COCO-Detection/faster_rcnn_R_50_FPN_1x.yaml"]
    assert r.findings == []


def test_child_that_shortens_the_run_gets_lr002_at_its_base_line() -> None:
    r = _results("configs/COCO-Detection/faster_rcnn_R_50_FPN_short.yaml")[
        "configs/COCO-Detection/faster_rcnn_R_50_FPN_short.yaml"]
    (f,) = [f for f in r.findings if f.code == "LR002"]
    assert f.line == 2 and "60000, 80000" in f.message and "never happen" in f.message


def test_steps_equal_to_max_iter_crash_fvcore() -> None:
    r = _results("configs/COCO-Detection/steps_at_max_iter.yaml")["configs/COCO-Detection/steps_at_max_iter.yaml"]
    (f,) = [f for f in r.findings if f.code == "LR002"]
    assert f.line == 3 and "raises ValueError" in f.message
    assert r.schedulers[0]["lr"] is None  # the curve is unknown: the library raises


def test_cosine_scientific_notation_and_curve() -> None:
    r = _results("configs/COCO-Detection/retinanet_cosine.yaml")["configs/COCO-Detection/retinanet_cosine.yaml"]
    (s,) = r.schedulers
    assert r.optimizers[0]["lr"]["value"] == 0.01  # "1e-2" is a string to YAML, a float to yacs
    lr = s["lr"]
    assert lr is None or len(lr) > 0
    assert s["shape"].startswith("warm-up")


def test_lazy_config_imports_functions_and_overrides() -> None:
    rs = _results("configs/lazy")
    one = rs["configs/lazy/mask_rcnn_R_50_FPN_1x.py"]
    three = rs["configs/lazy/mask_rcnn_R_50_FPN_3x.py"]
    assert one.optimizers[0]["lr"] == {"value": 0.02, "source": "configs/lazy/mask_rcnn_R_50_FPN_1x.py: optimizer.lr"}
    m1 = one.schedulers[0]["args"]["multiplier"]["value"]
    assert m1["scheduler"]["milestones"] == [60000, 80000, 90000]
    m3 = three.schedulers[0]["args"]["multiplier"]["value"]
    assert m3["scheduler"]["milestones"] == [210000, 250000, 270000]  # default_X_scheduler(3), its else branch
    assert three.schedulers[0]["horizon"]["value"] == 270000
    assert all(not r.findings for r in rs.values())


def test_fast_reid_style_yacs_is_not_detectron2(tmp_path: Path) -> None:
    from lraudit.configs.analyze import read_facts
    from lraudit.configs.base import ConfigDocument

    p = tmp_path / "bagtricks.yml"
    p.write_text("SOLVER:\n  OPT: Adam\n  MAX_EPOCH: 120\n  BASE_LR: 0.00035\n  SCHED: MultiStepLR\n")
    assert read_facts(ConfigDocument(str(p), "bagtricks.yml", p.read_bytes())) is None


def test_python_tag_is_refused_with_the_reason(tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    p = tmp_path / "evil.yaml"
    p.write_text("MODEL:\n  META_ARCHITECTURE: GeneralizedRCNN\nSOLVER:\n"
                 f"  BASE_LR: !!python/object/apply:os.system ['touch {marker}']\n  MAX_ITER: 100\n"
                 "  STEPS: (50,)\n  WARMUP_ITERS: 10\n")
    report = audit_paths([str(p)], jobs=1)
    (r,) = report.results
    assert not marker.exists()  # nothing was run
    assert r.findings == []  # only that value is refused; the rest of the file is read
    lr = r.optimizers[0]["lr"]
    assert lr["value"] is None and "!!python/object/apply:os.system" in lr["unresolved"]
    assert any("safe loader" in n for n in r.details["config"]["notes"])
    assert r.schedulers[0]["horizon"]["value"] == 100
