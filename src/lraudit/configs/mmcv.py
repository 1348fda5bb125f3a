"""mmcv 1.x configs: ``lr_config = dict(policy=..., warmup=..., ...)`` with ``runner``/``total_epochs`` -> a
scheduler fact of framework ``mmcv`` (the ``<Policy>LrUpdaterHook`` mmcv builds), simulated by
catalog/mmcv_sim.py."""

from __future__ import annotations

from typing import Any

from ..facts import Known, SchedulerFact, Unknown, Value
from .tree import Missing


def mmcv_schedulers(f: Any, opt_id: str | None, loop: str | None, epochs: Value, iters: Value
                    ) -> list[SchedulerFact]:
    from ..catalog import mmcv_sim
    from .mmengine import _horizon_for, _unknown_base

    node = f.v.get("lr_config")
    if node is None or not node.is_dict():
        return []
    pol = node.get("policy")
    if pol is None or not isinstance(pol.value, str):
        reason = "lr_config has no policy" if pol is None else "lr_config.policy is not a plain name"
        if pol is not None and isinstance(pol.value, Missing):
            reason = pol.value.reason
        elif pol is None and _unknown_base(node):
            reason = f"lr_config sets no policy here: it {_unknown_base(node)}"
        return [SchedulerFact(id="sched1", cls="mmcv.runner.LrUpdaterHook", framework="mmcv", loc=f.loc(node),
                              variable="lr_config", optimizer=opt_id, optimizer_reason=None, args={},
                              stepped="unknown", description=reason)]
    name = mmcv_sim.policy_name(pol.value)
    args: dict[str, Value] = {}
    locs = {}
    for k, x in node.items():
        if k in ("policy", "type") or k.startswith("_"):
            continue
        args[k] = f.value(x)
        locs[k] = f.loc(x)
    defaults = dict(mmcv_sim.COMMON)
    if name in mmcv_sim.ITERATION_ONLY:
        defaults["by_epoch"] = False
    defaults.update(mmcv_sim.DEFAULTS.get(name, {}))
    for k, d in defaults.items():
        if k not in args:
            args[k] = Known(d, "mmcv default")
    if loop == "iter" and "by_epoch" not in locs:
        # IterBasedRunner.register_training_hooks: lr_config.setdefault('by_epoch', False)
        args["by_epoch"] = Known(False, "IterBasedRunner's default (it sets lr_config by_epoch=False)")
    by_epoch = not (isinstance(args.get("by_epoch"), Known) and args["by_epoch"].value is False)
    warm = isinstance(args.get("warmup"), Known) and args["warmup"].value is not None
    horizon, unit = _horizon_for(loop, by_epoch, epochs, iters)
    known_policy = name in mmcv_sim.DEFAULTS
    assumed = None
    if loop == "epoch" and (warm or not by_epoch) and isinstance(epochs, Known) and isinstance(epochs.value, int):
        from ..catalog.mmengine_sim import ASSUMED_EPOCH_LENGTH

        assumed = Known(epochs.value * ASSUMED_EPOCH_LENGTH, f"{ASSUMED_EPOCH_LENGTH} iterations per epoch assumed "
                                                            "(the dataset decides)")
    return [SchedulerFact(
        id="sched1", cls=f"mmcv.runner.{name}LrUpdaterHook", framework="mmcv", loc=f.loc(node), variable="lr_config",
        optimizer=opt_id, optimizer_reason=None if opt_id else "the config sets no optimizer", args=args,
        arg_locs=locs, stepped="epoch" if by_epoch and not warm and loop != "iter" else "batch", unit=unit,
        horizon=horizon, assumed_horizon=assumed,
        description=None if known_policy else f"lr_config policy {pol.value!r} is not simulated")]


__all__ = ["mmcv_schedulers"]
