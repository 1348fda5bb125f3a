"""Multi-optimizer (GAN) configs: one optimizer fact per key, each with its own schedule.

mmengine: ``optim_wrapper = dict(constructor='MultiOptimWrapperConstructor', generator=dict(optimizer=...),
discriminator=dict(...))`` builds an OptimWrapperDict; the Runner's ``build_param_scheduler`` then builds a
``param_scheduler`` list once for each optimizer, or takes a dict without ``type`` as keyed by optimizer name.
Checked live against mmengine 0.10.7's own ``Runner.build_param_scheduler`` (its source) and schedulers. mmcv 1.x (mmediting's
``build_optimizers``): ``optimizer = dict(generator=dict(type=...), discriminator=dict(...))`` and one
``lr_config`` hook that sets every optimizer's rate from its own base rate (``max_lr`` per name for OneCycle)."""

from __future__ import annotations

import math
import os
import types
from pathlib import Path

import pytest

from lraudit.api import audit_paths

FIX = Path(__file__).resolve().parent.parent / "fixtures" / "configs"


def _audit(root: Path, rel: str):
    cwd = os.getcwd()
    os.chdir(root)
    try:
        (r,) = audit_paths([rel], jobs=1).results
    finally:
        os.chdir(cwd)
    return r


def _top_by_optimizer(r) -> dict[str, dict]:
    parents = {sid for sid, d in r.details["schedulers"].items() if d.get("parent")}
    return {s["optimizer"]: s for s in r.schedulers if s["id"] not in parents}


def _runner_methods():
    """mmengine's own ``Runner.build_param_scheduler`` and ``_build_param_scheduler``, taken out of
    mmengine/runner/runner.py with ``ast`` (importing ``mmengine.runner`` needs OpenCV, which the test extras do not
    install) and bound to mmengine's real registry, schedulers and optimizer wrappers."""
    import ast
    import copy
    import importlib.util

    pytest.importorskip("mmengine.optim")
    from mmengine.optim import OptimWrapper, OptimWrapperDict, _ParamScheduler
    from mmengine.registry import PARAM_SCHEDULERS

    spec = importlib.util.find_spec("mmengine")
    assert spec is not None and spec.origin is not None
    src = (Path(spec.origin).parent / "runner" / "runner.py").read_text()
    cls = next(n for n in ast.parse(src).body if isinstance(n, ast.ClassDef) and n.name == "Runner")
    wanted = [f for f in cls.body if isinstance(f, ast.FunctionDef)
              and f.name in ("build_param_scheduler", "_build_param_scheduler")]
    assert len(wanted) == 2
    for f in wanted:
        f.decorator_list = []

    class BaseLoop:  # stands in for mmengine.runner.base_loop.BaseLoop (a built train loop)
        pass

    from collections.abc import Sequence

    ns = {"copy": copy, "Sequence": Sequence, "OptimWrapper": OptimWrapper, "OptimWrapperDict": OptimWrapperDict, "BaseLoop": BaseLoop,
          "_ParamScheduler": _ParamScheduler, "PARAM_SCHEDULERS": PARAM_SCHEDULERS, "Union": object,
          "Dict": dict, "List": list, "ParamSchedulerType": object}
    module = ast.Module(body=wanted, type_ignores=[])
    ast.fix_missing_locations(module)
    code = compile(module, "mmengine/runner/runner.py", "exec")
    exec(code, ns)  # mmengine's source, run as the golden (never lraudit's input)
    return ns["build_param_scheduler"], ns["_build_param_scheduler"], BaseLoop


def _mmengine_curves(path: Path) -> dict[str, list[float]]:
    """Each optimizer's rate before every iteration, from mmengine's Runner and schedulers (IterBasedTrainLoop)."""
    torch = pytest.importorskip("torch")
    config = pytest.importorskip("mmengine.config")
    from mmengine.logging import MMLogger
    from mmengine.optim import OptimWrapper, OptimWrapperDict

    build, build_one, base_loop = _runner_methods()
    cfg = config.Config.fromfile(str(path))
    wrappers = {}
    for name, w in cfg.optim_wrapper.items():
        if name == "constructor":
            continue
        o = dict(w["optimizer"])
        cls = getattr(torch.optim, o.pop("type"))
        wrappers[name] = OptimWrapper(cls(torch.nn.Linear(2, 2).parameters(), **o))
    max_iters = cfg.train_cfg.max_iters
    fake = types.SimpleNamespace(optim_wrapper=OptimWrapperDict(**wrappers), _train_loop=base_loop(), max_epochs=1,
                                 max_iters=max_iters, train_dataloader=[0], logger=MMLogger.get_current_instance())
    fake._build_param_scheduler = lambda sch, ow: build_one(fake, sch, ow)
    built = build(fake, cfg.param_scheduler)
    assert sorted(built) == sorted(wrappers)
    out: dict[str, list[float]] = {name: [] for name in wrappers}
    for _ in range(max_iters):
        for name, w in wrappers.items():
            out[name].append(w.optimizer.param_groups[0]["lr"])
            w.optimizer.step()
        for name in wrappers:  # ParamSchedulerHook.after_train_iter
            for s in built[name]:
                if not s.by_epoch:
                    s.step()
    return out


@pytest.mark.filterwarnings("ignore")
@pytest.mark.parametrize("rel", ["configs/gan/dcgan_shared_schedule.py", "configs/gan/pix2pix_keyed_schedule.py"])
def test_each_optimizer_gets_mmengines_schedule(rel: str) -> None:
    theirs = _mmengine_curves(FIX / "mmengine" / rel)
    r = _audit(FIX / "mmengine", rel)
    opts = {o["variable"].split(".")[1]: o for o in r.optimizers}
    assert sorted(opts) == ["discriminator", "generator"]
    tops = _top_by_optimizer(r)
    assert len(tops) == 2
    for name, curve in theirs.items():
        ours = tops[opts[name]["id"]]["lr"]
        assert len(ours) == len(curve)
        for k, (a, b) in enumerate(zip(ours, curve)):
            assert math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-15), (name, k, a, b)


def test_shared_list_and_keyed_dict_sources() -> None:
    r = _audit(FIX / "mmengine", "configs/gan/dcgan_shared_schedule.py")
    assert [o["lr"]["value"] for o in r.optimizers] == [2e-4, 4e-4]
    assert r.optimizers[0]["lr"]["source"] == \
        "configs/gan/dcgan_shared_schedule.py: optim_wrapper.generator.optimizer.lr"
    notes = " ".join(r.details["config"]["notes"])
    assert "2 optimizers (generator, discriminator), built by MultiOptimWrapperConstructor" in notes
    # the constructor comes from the base, the optimizers from the child
    assert r.details["config"]["files"][0] == "configs/_base_/gen_default_runtime.py"
    k = _audit(FIX / "mmengine", "configs/gan/pix2pix_keyed_schedule.py")
    tops = _top_by_optimizer(k)
    gen = next(o for o in k.optimizers if ".generator." in o["variable"])
    assert tops[gen["id"]]["class"] == "mmengine.optim.CosineAnnealingLR"
    assert tops[gen["id"]]["variable"] == "param_scheduler.generator"
    dis = next(o for o in k.optimizers if ".discriminator." in o["variable"])
    assert tops[dis["id"]]["class"] == "mmengine.param_scheduler"
    assert tops[dis["id"]]["optimizer"] == dis["id"]
    # the discriminator's milestone 1000 is past its 800-iteration run: reported once, for that schedule
    assert [(f.code, f.line) for f in k.findings] == [("LR002", 11)]


def test_mmcv_optimizer_per_submodule_with_one_lr_config() -> None:
    r = _audit(FIX / "mmcv", "configs/gan/esrgan_two_optimizers.py")
    assert [o["variable"] for o in r.optimizers] == ["optimizer.generator", "optimizer.discriminator"]
    tops = _top_by_optimizer(r)
    assert len(tops) == 2
    for s in tops.values():
        assert s["class"] == "mmcv.runner.StepLrUpdaterHook" and s["lr"][0] == 1e-4
        assert s["lr"][-1] == pytest.approx(1e-4 * 0.5 ** 4)
    assert r.findings == []


def test_mmcv_onecycle_max_lr_per_optimizer_name() -> None:
    from lraudit.catalog.mmcv_sim import run

    r = _audit(FIX / "mmcv", "configs/gan/onecycle_per_optimizer.py")
    by_var = {o["variable"]: o["id"] for o in r.optimizers}
    tops = _top_by_optimizer(r)
    for name, peak in (("generator", 1e-3), ("discriminator", 1e-2)):
        s = tops[by_var[f"optimizer.{name}"]]
        assert s["args"]["max_lr"]["value"] == peak
        expected = run("OneCycle", {"max_lr": peak, "pct_start": 0.25}, 0.0, "iter", None, 400, None)
        assert s["lr"] == pytest.approx(expected, rel=1e-12)
        assert max(s["lr"]) == pytest.approx(peak)


def test_notes_line_names_each_optimizer() -> None:
    from lraudit.configs.describe import schedule_text

    r = _audit(FIX / "mmengine", "configs/gan/dcgan_shared_schedule.py")
    assert schedule_text(r) == (
        "generator: Adam 0.0002, linear warm-up 100 iterations, x0.5 at iterations 600 and 800; "
        "discriminator: Adam 0.0004, linear warm-up 100 iterations, x0.5 at iterations 600 and 800 "
        "(IterBasedTrainLoop, 1000 iterations)")
