"""Command lines parsed by a helper that returns a tuple (timm's ``args, args_text = _parse_args()``, Swin's
``args, config = parse_option()``): each element is resolved on its own, so the namespace is known even when its
companion is not, and an ``args.world_size`` that no option defines (a launcher's helper sets it) is the number of
processes, never the option's absence."""

from __future__ import annotations

import math
import textwrap

from lraudit.api import audit_source

TIMM_LIKE = """
import argparse
import yaml
import torch
from timm.optim import create_optimizer_v2, optimizer_kwargs
from timm.scheduler import create_scheduler_v2, scheduler_kwargs
from timm import utils

config_parser = parser = argparse.ArgumentParser(description="Training Config", add_help=False)
parser.add_argument("-c", "--config", default="", type=str)
parser = argparse.ArgumentParser(description="PyTorch ImageNet Training")
parser.add_argument("--lr", type=float, default=None)
parser.add_argument("--lr-base", type=float, default=0.1)
parser.add_argument("--batch-size", type=int, default=128)
parser.add_argument("--opt", default="sgd")
parser.add_argument("--momentum", type=float, default=0.9)
parser.add_argument("--weight-decay", type=float, default=2e-5)
parser.add_argument("--epochs", type=int, default=100)
parser.add_argument("--sched", default="step")
parser.add_argument("--decay-epochs", type=float, default=30)
parser.add_argument("--decay-rate", type=float, default=0.1)
parser.add_argument("--warmup-epochs", type=int, default=0)


def _parse_args():
    args_config, remaining = config_parser.parse_known_args()
    if args_config.config:
        with open(args_config.config, "r") as f:
            cfg = yaml.safe_load(f)
            parser.set_defaults(**cfg)
    args = parser.parse_args(remaining)
    args_text = yaml.safe_dump(args.__dict__, default_flow_style=False)
    return args, args_text


def main():
    args, args_text = _parse_args()
    WORLD
    device = utils.init_distributed_device(args)
    model = torch.nn.Linear(2, 2)
    if not args.lr:
        global_batch_size = args.batch_size * args.world_size
        batch_ratio = global_batch_size / 256
        args.lr = args.lr_base * batch_ratio
    optimizer = create_optimizer_v2(model, **optimizer_kwargs(cfg=args))
    lr_scheduler, num_epochs = create_scheduler_v2(optimizer, **scheduler_kwargs(args))
    for epoch in range(num_epochs):
        lr_scheduler.step(epoch + 1)


if __name__ == "__main__":
    main()
"""


def _audit(world: str) -> tuple[dict, dict]:
    result = audit_source(textwrap.dedent(TIMM_LIKE).replace("WORLD", world), "train.py")
    (opt,) = result.optimizers
    (sched,) = result.schedulers
    return opt, sched


def test_the_namespace_of_a_tuple_returning_helper_is_known() -> None:
    opt, sched = _audit("args.world_size = 1")
    assert opt["lr"]["value"] == 0.05, opt["lr"]  # 0.1 * 128 / 256, the rate timm computes when --lr is unset
    assert opt["params"]["momentum"]["value"] == 0.9
    assert "argparse default of --lr-base" in opt["lr"]["source"]
    want = [0.05 * 0.1 ** (e // 30) for e in range(100)]
    assert sched["lr"] is not None, sched["summary"]
    assert all(math.isclose(a, b, rel_tol=1e-12) for a, b in zip(sched["lr"], want))


def test_a_world_size_no_option_defines_is_the_number_of_processes() -> None:
    opt, sched = _audit("pass")
    # not "torch default (timm passes no lr)": the rate is computed, from a size only the run knows
    assert opt["lr"]["value"] is None
    assert "number of processes" in opt["lr"]["unresolved"]
    assert sched["lr"] is not None and math.isclose(sched["lr"][0], 0.05)
    assert "one process" in sched["assumption"]


def test_an_unknown_companion_keeps_its_own_reason() -> None:
    src = textwrap.dedent("""
        import argparse
        import torch
        from yacs.config import CfgNode as CN

        _C = CN()


        def parse_option():
            parser = argparse.ArgumentParser("x", add_help=False)
            parser.add_argument("--lr", type=float, default=0.1)
            parser.add_argument("--epochs", type=int, default=30)
            args, unparsed = parser.parse_known_args()
            config = _C.clone()
            config.merge_from_file(args.cfg)
            return args, config


        def main(args, config):
            model = torch.nn.Linear(2, 2)
            optimizer = torch.optim.SGD(model.parameters(), lr=args.lr, momentum=config.TRAIN.MOMENTUM)
            scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=10)
            for epoch in range(args.epochs):
                scheduler.step()


        if __name__ == "__main__":
            args, config = parse_option()
            main(args, config)
    """)
    result = audit_source(src, "main.py")
    (opt,) = result.optimizers
    assert opt["lr"]["value"] == 0.1
    assert opt["params"]["momentum"]["value"] is None
    assert "parse_option() could not be evaluated" not in opt["params"]["momentum"]["unresolved"]
    (sched,) = result.schedulers
    assert sched["horizon"]["value"] == 30
