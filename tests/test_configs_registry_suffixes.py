"""The registry imports only the reader modules a file's suffix needs (start-up of the one-file run), and the
suffix table it uses for that agrees with what each reader declares; trial order is FAMILY_MODULES' order
whatever order the modules were first imported in."""

from __future__ import annotations

import importlib
import subprocess
import sys

from lraudit import configs


def test_the_suffix_table_matches_the_readers() -> None:
    for mod in configs.FAMILY_MODULES:
        importlib.import_module(f"lraudit.configs.{mod}")
    declared: dict[str, set[str]] = {}
    for reader in configs.readers_for("x.py") + configs.readers_for("x.yaml") + configs.readers_for("x.yml") \
            + configs.readers_for("x.json"):
        short = reader.__module__.rsplit(".", 1)[-1]
        declared.setdefault(short, set()).update(reader.suffixes)
    assert {k: set(v) for k, v in configs.FAMILY_SUFFIXES.items()} == declared


def _order_after(first: str, probe: str) -> list[str]:
    code = (
        "from lraudit import configs\n"
        f"configs.readers_for({first!r})\n"
        f"print([r.__module__.rsplit('.', 1)[-1] + ':' + r.family for r in configs.readers_for({probe!r})])\n"
        "import sys\n"
        "print(sorted(m for m in sys.modules if m.startswith('lraudit.configs.') and m.count('.') == 2))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    return out.splitlines()


def test_a_python_file_loads_only_the_python_readers() -> None:
    readers, modules = _order_after("train.py", "train.py")
    assert "lraudit.configs.hydra" not in modules and "lraudit.configs.lightning_cli" not in modules
    assert "lraudit.configs.deepspeed" not in modules
    assert readers.startswith("['mmengine:")


def test_trial_order_does_not_depend_on_what_was_read_first() -> None:
    assert _order_after("ds.json", "cfg.py")[0] == _order_after("cfg.yaml", "cfg.py")[0] \
        == _order_after("cfg.py", "cfg.py")[0]
    assert _order_after("cfg.py", "cfg.yaml")[0] == _order_after("cfg.yaml", "cfg.yaml")[0]
