"""``Model(**vars(args))``: a constructor parameter takes the parsed option of the same name (found on
lightning-bolts, whose modules are built as ``SRGAN(**vars(args))`` and read ``self.hparams.learning_rate``)."""

from __future__ import annotations

import textwrap

import pytest

from lraudit.api import audit_source

SRC = """
import argparse
import torch
import pytorch_lightning as pl


class Model(pl.LightningModule):
    def __init__(self, learning_rate: float = 1e-4, step: int = 100, **kwargs):
        super().__init__()
        self.save_hyperparameters()

    def configure_optimizers(self):
        opt = torch.optim.Adam(self.parameters(), lr=self.hparams.learning_rate)
        return [opt], [torch.optim.lr_scheduler.MultiStepLR(opt, milestones=[self.hparams.step], gamma=0.1)]


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    OPTIONS
    args = parser.parse_args()
    model = CALL
"""


def _lr(options: str, call: str, overrides: dict[str, str] | None = None) -> dict:
    src = textwrap.dedent(SRC).replace("OPTIONS", options).replace("CALL", call)
    result = audit_source(src, "train.py", overrides=overrides) if overrides else audit_source(src, "train.py")
    assert result.error is None, result.error
    (opt,) = result.optimizers
    return opt["lr"]


def test_an_option_of_the_parsed_namespace_reaches_the_parameter() -> None:
    lr = _lr('parser.add_argument("--learning_rate", type=float, default=3e-4)', "Model(**vars(args))")
    assert lr["value"] == 3e-4
    assert "argparse default of --learning_rate" in lr["source"] and "via **vars()" in lr["source"]
    # the same through args.__dict__
    assert _lr('parser.add_argument("--learning_rate", type=float, default=3e-4)',
               "Model(**args.__dict__)")["value"] == 3e-4


def test_an_explicit_keyword_beside_the_namespace_wins() -> None:
    lr = _lr('parser.add_argument("--learning_rate", type=float, default=3e-4)',
             "Model(**vars(args), learning_rate=0.05)")
    assert lr["value"] == 0.05


def test_an_option_the_file_does_not_define_stays_unknown() -> None:
    # a library's add_argparse_args(parser) may add it: neither the parameter's default nor a guess
    lr = _lr('parser = pl.Trainer.add_argparse_args(parser)', "Model(**vars(args))")
    assert lr["value"] is None and "**kwargs" in lr["unresolved"]


def test_a_mapping_that_is_not_the_namespace_stays_unknown() -> None:
    lr = _lr('parser.add_argument("--learning_rate", type=float, default=3e-4)', "Model(**load_config())")
    assert lr["value"] is None


def test_set_changes_the_option_the_parameter_takes() -> None:
    lr = _lr('parser.add_argument("--learning_rate", type=float, default=3e-4)', "Model(**vars(args))",
             {"learning_rate": "0.01"})
    assert lr["value"] == 0.01


HELPER = (
    "def adjust_learning_rate(optimizer, epoch, args):\n"
    "    lr = args.lr * (0.1 ** (epoch // args.step))\n"
    "    for param_group in optimizer.param_groups:\n"
    "        param_group['lr'] = lr\n"
)
TRAIN = (
    "import argparse\nimport torch\nfrom lr_sched import adjust_learning_rate\n\n\n"
    "def train_one_epoch(model, optimizer, epoch, args):\n"
    "    optimizer.step()\n\n\n"
    "def main(args):\n"
    "    model = torch.nn.Linear(2, 2)\n"
    "EXTRA"
    "    optimizer = torch.optim.SGD(model.parameters(), lr=args.lr)\n"
    "    for epoch in range(args.epochs):\n"
    "        adjust_learning_rate(optimizer, epoch, args)\n"
    "        train_one_epoch(model, optimizer, epoch, args)\n\n\n"
    "if __name__ == '__main__':\n"
    "    parser = argparse.ArgumentParser()\n"
    "    parser.add_argument('--lr', type=float, default=0.4)\n"
    "    parser.add_argument('--step', type=int, default=3)\n"
    "    parser.add_argument('--epochs', type=int, default=9)\n"
    "    main(parser.parse_args())\n"
)


def _helper_curve(tmp_path, extra: str = "") -> dict:
    from lraudit.analyze import AnalysisOptions, analyze_path
    from lraudit import repository

    repository.reset()
    (tmp_path / "pyproject.toml").write_text("")
    (tmp_path / "lr_sched.py").write_text(HELPER)
    (tmp_path / "main.py").write_text(TRAIN.replace("EXTRA", extra))
    r = analyze_path(str(tmp_path / "main.py"), "main.py", AnalysisOptions())
    assert r.error is None, r.error
    (s,) = r.schedulers
    return s


def test_the_parsed_command_line_handed_to_a_helper_of_another_module(tmp_path, monkeypatch) -> None:
    # adjust_learning_rate(optimizer, epoch, args) in util/lr_sched.py (MAE, MoCo, the ImageNet example)
    monkeypatch.chdir(tmp_path)
    s = _helper_curve(tmp_path)
    assert [round(x, 12) for x in s["lr"]] == [0.4] * 3 + [0.04] * 3 + [0.004] * 3


def test_an_option_changed_where_the_namespace_is_read_counts(tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    s = _helper_curve(tmp_path, "    args.lr = args.lr * 2\n")
    assert [round(x, 12) for x in s["lr"]] == [0.8] * 3 + [0.08] * 3 + [0.008] * 3


def test_an_option_changed_in_another_function_is_not_read_as_its_default(tmp_path, monkeypatch) -> None:
    # set up elsewhere (`def setup(args): args.lr = ...`): the helper would see that value, not the default
    monkeypatch.chdir(tmp_path)
    s = _helper_curve(tmp_path, "    setup(args)\n")
    assert s["lr"] is not None  # no function assigns args.lr yet: the option's default
    (tmp_path / "main.py").write_text(TRAIN.replace("EXTRA", "    setup(args)\n")
                                      + "\n\ndef setup(args):\n    args.lr = 0.1\n")
    from lraudit.analyze import AnalysisOptions, analyze_path
    from lraudit import repository

    repository.reset()
    (s,) = analyze_path(str(tmp_path / "main.py"), "main.py", AnalysisOptions()).schedulers
    assert s["lr"] is None
    assert "args.lr is set at run time in setup()" in s["summary"]


CHAIN = """
import argparse
import torch
import torch.distributed as dist


def adjust_learning_rate(optimizer, epoch, args):
    lr = args.lr * (0.1 ** (epoch // args.step))
    for param_group in optimizer.param_groups:
        param_group['lr'] = lr


def train(loader, model, optimizer, epoch, args):
    for i, x in enumerate(loader):
        adjust_learning_rate(optimizer, epoch + i / 4, args)
        optimizer.zero_grad()
        model(x).sum().backward()
        optimizer.step()


def main_worker(args):
    model = torch.nn.Linear(2, 2)
    loader = [1, 2, 3, 4]
    BEFORE
    args.lr = args.lr * SCALE / 256
    optimizer = torch.optim.SGD(model.parameters(), lr=args.lr)
    for epoch in range(args.epochs):
        train(loader, model, optimizer, epoch, args)


if __name__ == '__main__':
    parser = argparse.ArgumentParser()
    parser.add_argument('--lr', type=float, default=0.4)
    parser.add_argument('--batch-size', type=int, default=512)
    parser.add_argument('--step', type=int, default=3)
    parser.add_argument('--epochs', type=int, default=9)
    main_worker(parser.parse_args())
"""


def _chain(scale: str = "args.batch_size", before: str = "pass") -> dict:
    src = textwrap.dedent(CHAIN).replace("SCALE", scale).replace("BEFORE", before)
    result = audit_source(src, "main_worker.py")
    assert result.error is None, result.error
    (s,) = result.schedulers
    return s


def test_an_option_rescaled_in_the_caller_is_followed_into_the_helper() -> None:
    # `args.lr = args.lr * args.batch_size / 256` in main_worker() (MoCo v3, MAE, DeiT), then the helper reads
    # args.lr: it sees 0.4 * 512 / 256 = 0.8, not the option's default
    s = _chain()
    assert [round(x, 12) for x in s["lr"]] == [0.8] * 12 + [0.08] * 12 + [0.008] * 12


def test_a_helper_also_called_before_the_write_stays_unknown() -> None:
    s = _chain(before="train(loader, model, None, 0, args)")
    assert s["lr"] is None
    assert "args.lr is set at run time in main_worker()" in s["summary"]


def test_a_rescale_by_the_number_of_processes_is_drawn_for_one_process() -> None:
    s = _chain(scale="args.batch_size * dist.get_world_size()")
    assert [round(x, 12) for x in s["lr"]] == [0.8] * 12 + [0.08] * 12 + [0.008] * 12
    assert "assumes one process" in s["summary"]


# ---------------------------------------------------- a parameter reassigned only on some paths

PARAM_REASSIGNED = """
import os
import random
import torch


def build(model, lr, flag=FLAG):
    if COND:
        lr = 0.1
    return torch.optim.SGD(model.parameters(), lr=lr)


def resume(model, start_epoch=0, ckpt="last.pt"):
    if os.path.isfile(ckpt):
        start_epoch = torch.load(ckpt)["epoch"]
    return torch.optim.SGD(model.parameters(), lr=0.1 * start_epoch + 0.1)


model = torch.nn.Linear(2, 2)
opt = build(model, LR)
opt2 = resume(model)
"""


def _param_lrs(cond: str, flag: str = "True", lr: str = "0.5") -> list:
    src = PARAM_REASSIGNED.replace("COND", cond).replace("FLAG", flag).replace("LR", lr)
    result = audit_source(src, "train.py")
    assert result.error is None, result.error
    return [o["lr"] for o in result.optimizers]


def test_a_parameter_reassigned_under_an_unknown_condition_is_not_guessed() -> None:
    lr, fresh = _param_lrs("random.random() > 0.5")
    assert lr["value"] is None and "the parameter or the value assigned at line 9" in lr["unresolved"]
    # a checkpoint restore under the test: a fresh run keeps the parameter's default
    assert fresh["value"] == 0.1 and "a fresh run (resuming at line 15 changes it)" in fresh["source"]


def test_a_parameter_reassigned_in_an_arm_the_run_takes_or_skips_is_known() -> None:
    assert _param_lrs("flag")[0]["value"] == 0.1  # flag defaults to True: the arm runs
    assert _param_lrs("flag", flag="False")[0]["value"] == 0.5  # the arm never runs: the caller's 0.5
    assert _param_lrs("random.random() > 0.5", lr="0.1")[0]["value"] == 0.1  # both paths give 0.1


def test_a_parameter_normalized_under_a_test_of_its_own_type_takes_the_normalized_form() -> None:
    src = PARAM_REASSIGNED.replace("LR", "0.5").replace("FLAG", "True").replace(
        "    if COND:\n        lr = 0.1\n", "    if isinstance(lr, str):\n        lr = float(lr) * 0.2\n")
    src = src.replace("opt = build(model, 0.5)", "opt = build(model, str(random.random()))")
    result = audit_source(src, "train.py")
    assert result.optimizers[0]["lr"]["value"] is None  # float(str(random())) is not known: no guess either way
    src = src.replace("str(random.random())", '"0.5"')
    assert audit_source(src, "train.py").optimizers[0]["lr"]["value"] == pytest.approx(0.1)
