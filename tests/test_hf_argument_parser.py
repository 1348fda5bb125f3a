"""The script's own dataclasses parsed by ``HfArgumentParser(...).parse_args_into_dataclasses()`` (extract/values.py
``_parsed_dataclass``): each element is an instance of its dataclass with the field defaults, as argparse defaults
are read (Hugging Face example scripts, peft, TRL). Before, every field was unknown ("computed at run time")."""

from __future__ import annotations

from pathlib import Path

import libcst as cst

from lraudit.analyze import AnalysisOptions
from lraudit.api import audit_paths
from lraudit.extract.build import extract
from lraudit.facts import Unknown

SCRIPT = '''
from dataclasses import dataclass, field

import torch
from transformers import HfArgumentParser, TrainingArguments


@dataclass
class ScriptArguments:
    lr: float = field(default=2e-2, metadata={"help": "the learning rate"})
    epochs: int = 30
    step_size: int = 10


def main(model):
    parser = HfArgumentParser(PARSED)
    UNPACK
    opt = torch.optim.AdamW(model.parameters(), lr=script_args.lr)
    sched = torch.optim.lr_scheduler.StepLR(opt, step_size=script_args.step_size)
    for epoch in range(script_args.epochs):
        for x in loader:
            opt.zero_grad()
            model(x).sum().backward()
            opt.step()
        sched.step()
'''


def _facts(parsed: str, unpack: str) -> tuple:
    text = SCRIPT.replace("PARSED", parsed).replace("UNPACK", unpack)
    facts = extract(cst.parse_module(text), "train.py", text=text).facts
    (opt,) = facts.optimizers
    (sched,) = facts.schedulers
    return opt, sched


def test_tuple_unpacking_gives_each_dataclass() -> None:
    opt, sched = _facts("(ScriptArguments, TrainingArguments)",
                        "script_args, training_args = parser.parse_args_into_dataclasses()")
    assert opt.lr.value == 0.02 and opt.lr.source == "default of ScriptArguments.lr (train.py:10)"
    assert sched.args["step_size"].value == 10
    assert sched.horizon.value == 30


def test_an_indexed_element_and_a_one_class_parser() -> None:
    opt, _ = _facts("ScriptArguments", "script_args = parser.parse_args_into_dataclasses()[0]")
    assert opt.lr.value == 0.02
    opt, _ = _facts("[TrainingArguments, ScriptArguments]",
                    "training_args, script_args, rest = parser.parse_args_into_dataclasses("
                    "return_remaining_strings=True)")
    assert opt.lr.value == 0.02


def test_a_class_that_is_not_a_dataclass_of_the_code_stays_unknown() -> None:
    opt, _ = _facts("(TrainingArguments, ScriptArguments)",
                    "script_args, training_args = parser.parse_args_into_dataclasses()")
    assert isinstance(opt.lr, Unknown)  # element 0 is the library's TrainingArguments, which has no field lr
    opt, _ = _facts("(ScriptArguments,)", "script_args = parser.parse_json_file('args.json')[0]")
    assert isinstance(opt.lr, Unknown)  # read from a file lraudit does not have


def test_a_dataclass_of_another_module(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'x'\n", encoding="utf-8")
    pkg = tmp_path / "configs"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("", encoding="utf-8")
    start = SCRIPT.index("@dataclass")
    end = SCRIPT.index("def main")
    (pkg / "args.py").write_text("from dataclasses import dataclass, field\n\n\n" + SCRIPT[start:end],
                                 encoding="utf-8")
    text = (SCRIPT[:start] + SCRIPT[end:]).replace("PARSED", "(ScriptArguments, TrainingArguments)").replace(
        "UNPACK", "script_args, training_args = parser.parse_args_into_dataclasses()")
    text = text.replace("from transformers import", "from configs.args import ScriptArguments\n"
                                                    "from transformers import")
    (tmp_path / "train.py").write_text(text, encoding="utf-8")
    run = audit_paths([str(tmp_path / "train.py")], AnalysisOptions(), jobs=1, cwd=str(tmp_path))
    (res,) = run.results
    (opt,) = res.optimizers
    assert opt["lr"] == {"value": 0.02, "source": "default of ScriptArguments.lr (configs/args.py:6)"}
    (sched,) = res.schedulers
    assert sched["lr"] is not None and len(sched["lr"]) == 30 and sched["lr"][10] == 0.02 * 0.1


def test_a_subclass_of_the_library_training_arguments_is_left_to_the_trainer_adapter() -> None:
    """alpaca's ``TrainingArguments(transformers.TrainingArguments)`` adds fields to the library's: its inherited
    fields are not in the file, so it is not read as a dataclass of the code."""
    text = SCRIPT.replace("class ScriptArguments:", "class ScriptArguments(transformers.TrainingArguments):").replace(
        "import torch\n", "import torch\nimport transformers\n").replace("PARSED", "(ScriptArguments,)").replace(
        "UNPACK", "(script_args,) = parser.parse_args_into_dataclasses()")
    facts = extract(cst.parse_module(text), "train.py", text=text).facts
    (opt,) = facts.optimizers
    assert isinstance(opt.lr, Unknown)


TRAINER = '''
from transformers import HfArgumentParser, Trainer, TrainingArguments


def train():
    parser = HfArgumentParser((TrainingArguments,))
    (training_args,) = parser.parse_args_into_dataclasses()
    trainer = Trainer(model=model, args=training_args, train_dataset=train_dataset)
    trainer.train()


if __name__ == "__main__":
    train()
'''


def test_set_gives_the_trainer_the_values_of_a_launch(tmp_path: Path) -> None:
    """``--set`` on TrainingArguments parsed from the command line is the run launched with those flags (FastChat's
    and alpaca's ``--learning_rate 2e-5 --lr_scheduler_type cosine --warmup_ratio 0.03``); checked against
    transformers' own schedule at the assumed length."""
    transformers = __import__("pytest").importorskip("transformers")
    torch = __import__("pytest").importorskip("torch")
    path = tmp_path / "train.py"
    path.write_text(TRAINER, encoding="utf-8")
    sets = (("learning_rate", "2e-5"), ("lr_scheduler_type", "cosine"), ("num_train_epochs", "3"),
            ("warmup_ratio", "0.03"))
    run = audit_paths([str(path)], AnalysisOptions(overrides=sets), jobs=1, cwd=str(tmp_path))
    (res,) = run.results
    (opt,) = res.optimizers
    assert opt["lr"] == {"value": 2e-5, "source": "--set learning_rate=2e-5"}
    (sched,) = res.schedulers
    assert sched["class"] == "transformers.get_cosine_schedule_with_warmup"
    assert sched["args"]["warmup_ratio"] == {"value": 0.03, "source": "--set warmup_ratio=0.03"}
    # 3 epochs x the assumed 100 batches; warm-up ceil(0.03 x 300) = 9 steps
    p = torch.nn.Parameter(torch.zeros(1))
    o = torch.optim.AdamW([p], lr=2e-5)
    s = transformers.get_cosine_schedule_with_warmup(o, num_warmup_steps=9, num_training_steps=300)
    expected = []
    for _ in range(300):
        expected.append(o.param_groups[0]["lr"])
        o.step()
        s.step()
    assert len(sched["lr"]) == 300
    assert all(abs(a - b) <= 1e-12 for a, b in zip(sched["lr"], expected))
    # a --set of a key the adapter only records (the batch size) keeps the Trainer's optimizer
    batch = audit_paths([str(path)], AnalysisOptions(overrides=(("per_device_train_batch_size", "4"),)), jobs=1,
                        cwd=str(tmp_path)).results[0]
    assert [o["class"] for o in batch.optimizers] == ["torch.optim.AdamW"]
    # without --set: the library's defaults, as before
    plain = audit_paths([str(path)], AnalysisOptions(), jobs=1, cwd=str(tmp_path)).results[0]
    assert plain.optimizers[0]["lr"]["value"] == 5e-05
