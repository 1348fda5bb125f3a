"""Record the learning rates the scripts of tests/data/scheduler_classes/ produce when run for real with torch.

Run with the project venv (torch 2.13):  python tests/golden/make_class_golden.py

Each script defines its scheduler class(es), builds a tiny model and optimizer, and appends
``optimizer.param_groups[0]["lr"]`` to the module-level ``lr_history`` before every ``scheduler.step()``:
``lr_history[k]`` is the rate after k steps, which is what lraudit's curve gives. The scripts are run with
``runpy`` as ``__main__``; the recorded curves go to ``class_curves.json`` ({script name: [lr, ...]}).
"""

from __future__ import annotations

import json
import runpy
import warnings
from pathlib import Path

HERE = Path(__file__).resolve().parent
SCRIPTS = HERE.parent / "data" / "scheduler_classes"
GOLDEN_PATH = HERE / "class_curves.json"


def record(script: Path) -> list[float]:
    import torch

    torch.manual_seed(0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ns = runpy.run_path(str(script), run_name="__main__")
    return [float(x) for x in ns["lr_history"]]


def main() -> None:
    out = {p.name: record(p) for p in sorted(SCRIPTS.glob("*.py"))}
    GOLDEN_PATH.write_text(json.dumps(out, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {GOLDEN_PATH} ({len(out)} scripts)")


if __name__ == "__main__":
    main()
