"""``Model(**vars(args))``: a constructor parameter takes the parsed option of the same name (found on
lightning-bolts, whose modules are built as ``SRGAN(**vars(args))`` and read ``self.hparams.learning_rate``)."""

from __future__ import annotations

import textwrap

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
