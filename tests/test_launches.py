"""Launch commands (src/lraudit/launches.py): the runs a repository's shell scripts and README code blocks make of
an entry script, listed in ``lraudit notes`` with the schedule each gives (alpaca and FastChat keep their real
hyperparameters there; the script's defaults are a run nobody makes)."""

from __future__ import annotations

from pathlib import Path

from lraudit.launches import launches_for, schedule_options

TRAIN = '''
import argparse

import torch
from torch.optim.lr_scheduler import StepLR

parser = argparse.ArgumentParser()
parser.add_argument("--lr", type=float, default=0.1)
parser.add_argument("--step-size", type=int, default=30)
parser.add_argument("--epochs", type=int, default=90)
parser.add_argument("--amp", action="store_true")
args = parser.parse_args()

model = torch.nn.Linear(4, 4)
optimizer = torch.optim.SGD(model.parameters(), lr=args.lr)
scheduler = StepLR(optimizer, step_size=args.step_size, gamma=0.1)
for epoch in range(args.epochs):
    for x in loader:
        optimizer.zero_grad()
        model(x).sum().backward()
        optimizer.step()
    scheduler.step()
'''

SHELL = '''#!/bin/bash
# fine-tuning
LR=0.01
CUDA_VISIBLE_DEVICES=0,1 torchrun --nproc_per_node=2 train.py \\
    --lr 0.01 \\
    --step-size=10 --epochs 30 \\
    --amp   # mixed precision

python train.py --lr $LR --epochs 20
python other.py --lr 0.5
echo "python train.py --lr 0.3"
deepspeed --num_gpus 8 train.py --lr 0.01 --step-size=10 --epochs 30 --amp
python3 train.py --lr "0.2 # unbalanced
'''

README = '''# Project

Train with

```bash
python train.py --lr 0.05 --step-size 5 --epochs 12
```

Not a command: `python train.py --lr 9`

```python
subprocess.run("python train.py --lr 7")
```
'''


def _repo(tmp_path: Path) -> Path:
    (tmp_path / ".git").mkdir()
    (tmp_path / "train.py").write_text(TRAIN, encoding="utf-8")
    (tmp_path / "other.py").write_text(TRAIN, encoding="utf-8")
    scripts = tmp_path / "scripts"
    scripts.mkdir()
    (scripts / "finetune.sh").write_text(SHELL.replace("train.py", "../train.py").replace("other.py", "../other.py"),
                                         encoding="utf-8")
    (tmp_path / "README.md").write_text(README, encoding="utf-8")
    return tmp_path / "train.py"


def test_the_commands_that_run_the_script_and_their_options(tmp_path: Path) -> None:
    train = _repo(tmp_path)
    got = [(x.where, x.sets, x.skipped) for x in launches_for(str(train), str(tmp_path))]
    assert got == [
        ("README.md:6", (("lr", "0.05"), ("step-size", "5"), ("epochs", "12")), ()),
        ("scripts/finetune.sh:4", (("lr", "0.01"), ("step-size", "10"), ("epochs", "30"), ("amp", "true")), ()),
        ("scripts/finetune.sh:9", (("epochs", "20"),), ("lr",)),
    ], got
    # the deepspeed launch gives the same options as the torchrun one: listed once; the echo is not a launch; the
    # line with an unbalanced quote is not read; other.py is another script


def test_schedule_options_are_the_ones_about_the_schedule() -> None:
    sets = (("data_path", "x.json"), ("learning_rate", "2e-5"), ("lr_scheduler_type", "cosine"),
            ("warmup_ratio", "0.03"), ("bf16", "True"), ("num_train_epochs", "3"))
    assert schedule_options(sets) == (("learning_rate", "2e-5"), ("lr_scheduler_type", "cosine"),
                                      ("warmup_ratio", "0.03"), ("num_train_epochs", "3"))


def test_notes_list_the_schedule_of_each_launch(tmp_path: Path, monkeypatch) -> None:
    from click.testing import CliRunner

    from lraudit.cli import main

    _repo(tmp_path)
    monkeypatch.chdir(tmp_path)
    out = tmp_path / "NOTES.md"
    result = CliRunner().invoke(main, ["notes", "train.py", "-o", str(out), "--no-cache"])
    assert result.exit_code == 0, result.output
    text = out.read_text(encoding="utf-8")
    section = text[text.index("### Schedules of the repository's launch commands"):]
    rows = [line for line in section.splitlines() if line.startswith("| `")]
    assert len(rows) == 3, rows
    assert rows[0].startswith("| `README.md:6` | `--lr 0.05 --step-size 5 --epochs 12` |")
    assert "The learning rate is 0.05 for epochs 0–4, then 0.005 until epoch 9" in rows[0], rows[0]
    assert rows[1].startswith("| `scripts/finetune.sh:4` | `--lr 0.01 --step-size 10 --epochs 30`")
    assert "(and 1 other options)" in rows[1] and "0.01 for epochs 0–9, then 0.001 until epoch 19" in rows[1], rows[1]
    assert "set by the shell, not read: lr" in rows[2], rows[2]
    # the default run is still the one explained above the table
    assert "0.1 for epochs 0–29" in text[: text.index("### Schedules of the repository's launch commands")]


def test_no_launch_without_command_files(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    (tmp_path / "train.py").write_text(TRAIN, encoding="utf-8")
    assert launches_for(str(tmp_path / "train.py"), str(tmp_path)) == []
    huge = tmp_path / "run.sh"
    huge.write_bytes(b"python train.py --lr 0.3\n" + b"#" * (300 * 1024))
    assert launches_for(str(tmp_path / "train.py"), str(tmp_path)) == []  # over MAX_BYTES: not read
    binary = tmp_path / "bin.sh"
    binary.write_bytes(b"\xff\xfe\x00\npython train.py --lr 0.3\n")
    found = launches_for(str(tmp_path / "train.py"), str(tmp_path))
    assert [x.sets for x in found] == [(("lr", "0.3"),)]  # undecodable bytes are replaced, the command is read
