"""`lraudit check --fix / --diff / --unsafe-fixes / --statistics`: byte-exact fixes, refusals, notebooks, exit codes."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lraudit.analyze import AnalysisOptions
from lraudit.api import audit_source
from lraudit.fixer import fix_file

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "scripts"))

TORCH = """import torch
from torch.optim.lr_scheduler import StepLR

model = torch.nn.Linear(2, 2)
opt = torch.optim.SGD(model.parameters(), lr=0.1)
sched = {call}
for epoch in range(90):
    opt.step()
    sched.step()
"""

KERAS = """from tensorflow import keras

model = keras.Sequential([keras.layers.Dense(10)])
optimizer = {call}
model.compile(optimizer=optimizer, loss="mse")
model.fit(x, y, epochs=20)
"""


def _cli(cwd: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    e = dict(os.environ, PYTHONPATH=str(REPO / "src"), KERAS_BACKEND="torch")
    e.pop("CI", None)
    e.update(env or {})
    return subprocess.run([sys.executable, "-m", "lraudit.cli", *args], cwd=cwd, capture_output=True, text=True,
                          env=e, timeout=600)


def _fix_text(tmp_path: Path, text: str, name: str = "train.py", unsafe: bool = False) -> tuple[str, int]:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8", newline="")
    ff = fix_file(str(p), name, AnalysisOptions(want_curves=False), unsafe=unsafe)
    return (ff.fixed.decode("utf-8") if ff.fixed is not None else text), ff.applied


def _codes(text: str) -> list[str]:
    return [f.code for f in audit_source(text, "train.py").findings]


@pytest.mark.parametrize("call, expected", [
    ("StepLR(opt, step_size=30, verbose=True)", "StepLR(opt, step_size=30)"),
    ("StepLR(opt, verbose=True, step_size=30)", "StepLR(opt, step_size=30)"),
    ("StepLR(opt, 30, verbose = True ,)", "StepLR(opt, 30 ,)"),
    ("StepLR(\n    opt,\n    step_size=30,\n    verbose=True,  # print it\n)", "StepLR(\n    opt,\n    step_size=30,\n)"),
    ("StepLR(\n    opt,\n    verbose=True,  # print it\n    step_size=30,\n)", "StepLR(\n    opt,\n    step_size=30,\n)"),
    ("StepLR(opt,\n       step_size=30, verbose=True)", "StepLR(opt,\n       step_size=30)"),
])
def test_verbose_is_removed_and_nothing_else_changes(tmp_path: Path, call: str, expected: str) -> None:
    before = TORCH.format(call=call)
    assert "LR003" in _codes(before)
    after, n = _fix_text(tmp_path, before)
    assert after == TORCH.format(call=expected) and n == 1
    assert "LR003" not in _codes(after)
    again, n2 = _fix_text(tmp_path, after)
    assert again == after and n2 == 0


def test_keras_lr_is_renamed_and_decay_needs_unsafe_fixes(tmp_path: Path) -> None:
    call = "keras.optimizers.SGD(lr=0.01,   # the rate\n                                 decay=1e-6, momentum=0.9)"
    before = KERAS.format(call=call)
    safe, n = _fix_text(tmp_path, before)
    assert n == 1
    assert safe == before.replace("SGD(lr=", "SGD(learning_rate=")
    res = audit_source(safe, "train.py")
    left = [f for f in res.findings if f.code == "LR003"]
    assert len(left) == 1 and "decay=" in left[0].message and left[0].fix.applicability == "unsafe"
    assert "InverseTimeDecay(0.01, decay_steps=1, decay_rate=1e-6)" in left[0].message
    unsafe, n = _fix_text(tmp_path, before, unsafe=True)
    assert n == 2
    assert unsafe == KERAS.format(call=(
        "keras.optimizers.SGD(learning_rate=keras.optimizers.schedules.InverseTimeDecay(0.01, decay_steps=1, "
        "decay_rate=1e-6),   # the rate\n                                 momentum=0.9)"))
    assert "LR003" not in _codes(unsafe)


def test_no_fix_when_ambiguous(tmp_path: Path) -> None:
    # learning_rate= already there too; a bare SGD name cannot name the schedules module; **kwargs may hold it
    for call in ("keras.optimizers.SGD(lr=0.1, learning_rate=0.1)", "SGD(lr=0.1, decay=1e-6)",
                 "keras.optimizers.SGD(lr=0.1, **extra)"):
        text = KERAS.format(call=call).replace("from tensorflow import keras",
                                               "from tensorflow import keras\nfrom keras.optimizers import SGD")
        safe_and_unsafe = [f for f in audit_source(text, "train.py").findings if f.code == "LR003"]
        if call.startswith("SGD"):
            fixes = [f.fix for f in safe_and_unsafe if "decay" in f.message]
            assert fixes and all(fx is None for fx in fixes)
        elif "learning_rate=0.1" in call or "**" in call:
            assert all(f.fix is None for f in safe_and_unsafe if "lr=" in f.message)


def test_suppressed_line_and_parse_error_are_never_changed(tmp_path: Path) -> None:
    text = TORCH.format(call="StepLR(opt, 30, verbose=True)  # lraudit: ignore[LR101]")
    after, n = _fix_text(tmp_path, text)
    assert after == text and n == 0
    broken = TORCH.format(call="StepLR(opt, 30, verbose=True") + "def (:\n"
    after, n = _fix_text(tmp_path, broken)
    assert after == broken and n == 0


ARG_WS = st.sampled_from(["", " ", "  ", "\n    ", "  # note\n    ", "\t"])


@settings(max_examples=40, deadline=None)
@given(ARG_WS, ARG_WS, ARG_WS, ARG_WS, ARG_WS, st.booleans(), st.booleans())
def test_random_formatting_around_the_argument_survives(tmp_path_factory: pytest.TempPathFactory, a: str, b: str,
                                                        c: str, d: str, e: str, trailing: bool, first: bool) -> None:
    eq = " = " if "\t" in a else "="
    verbose = f"verbose{eq}True"
    other = f"step_size{c.replace(chr(10), ' ').replace('#', '').replace('note', '')}=30"
    args = [f"opt{a}", f"{b}{verbose}{d}" if first else f"{b}{other}{d}", f"{e}{other}" if first else f"{e}{verbose}"]
    call = "StepLR(" + ",".join(args) + ("," if trailing else "") + "\n)"
    before = TORCH.format(call=call)
    tmp = tmp_path_factory.mktemp("h")
    after, n = _fix_text(tmp, before)
    assert n == 1, before
    assert "verbose" not in after and "LR003" not in _codes(after)
    # everything outside the removed argument is as it was: the text before it, and the text after it
    head = before[: before.index("sched = ")]
    assert after.startswith(head) and after.endswith(before[before.index("\n)") + 2:])
    assert after.count("# note") <= before.count("# note")
    rest = before.replace(verbose, "")
    # only the argument, its comma and whitespace (or its own line) went away
    assert sorted(after.replace(" ", "").replace("\n", "").replace(",", "").replace("\t", "")
                  .replace("#note", "")) == sorted(rest.replace(" ", "").replace("\n", "").replace(",", "")
                                                   .replace("\t", "").replace("#note", ""))
    assert _fix_text(tmp, after) == (after, 0)


def _notebook(cells: list[dict]) -> dict:
    return {"cells": cells, "metadata": {"kernelspec": {"language": "python", "name": "python3"}},
            "nbformat": 4, "nbformat_minor": 5}


def test_notebook_is_fixed_cell_by_cell_outputs_untouched(tmp_path: Path) -> None:
    outputs = [{"output_type": "stream", "name": "stdout", "text": ["lr=0.01 stays here\n"]}]
    nb = _notebook([
        {"cell_type": "markdown", "metadata": {}, "source": ["SGD(lr=0.01) in markdown stays\n"]},
        {"cell_type": "code", "execution_count": 1, "metadata": {}, "outputs": [],
         "source": ["%matplotlib inline\n", "from tensorflow import keras\n",
                    "model = keras.Sequential([keras.layers.Dense(10)])"]},
        {"cell_type": "code", "execution_count": 2, "metadata": {"tags": ["x"]}, "outputs": outputs,
         "source": ["optimizer = keras.optimizers.SGD(lr=0.01, momentum=0.9)\n",
                    "model.compile(optimizer=optimizer, loss='mse')\n", "model.fit(x, y, epochs=20)"]},
    ])
    raw = json.dumps(nb, indent=1, ensure_ascii=False) + "\n"
    p = tmp_path / "train.ipynb"
    p.write_text(raw, encoding="utf-8")
    res = _cli(tmp_path, "check", "--fix", "--no-cache", "train.ipynb")
    fixed = p.read_text(encoding="utf-8")
    expected = raw.replace('"optimizer = keras.optimizers.SGD(lr=0.01', '"optimizer = keras.optimizers.SGD(learning_rate=0.01')
    assert fixed == expected, res.stdout + res.stderr
    assert res.returncode == 0, res.stdout + res.stderr
    assert json.loads(fixed)["cells"][2]["outputs"] == outputs
    # a notebook written in a layout json cannot reproduce is left alone, with the reason
    odd = raw.replace('\n "nbformat": 4', '\n   "nbformat": 4')
    p.write_text(odd, encoding="utf-8")
    res = _cli(tmp_path, "check", "--fix", "--no-cache", "train.ipynb")
    assert p.read_text(encoding="utf-8") == odd and "not fixed" in res.stderr and res.returncode == 1


def test_cli_fix_diff_exit_codes_permissions_and_summary(tmp_path: Path) -> None:
    p = tmp_path / "train.py"
    text = TORCH.format(call="StepLR(opt, step_size=30, gamma=0.5, verbose=True)")
    p.write_text(text)
    os.chmod(p, 0o640)
    res = _cli(tmp_path, "check", "--no-cache", ".")
    assert res.returncode == 1 and "[*] 1 fixable with the --fix option" in res.stdout
    res = _cli(tmp_path, "check", "--diff", "--no-cache", ".")
    assert res.returncode == 1 and "-sched = StepLR(opt, step_size=30, gamma=0.5, verbose=True)" in res.stdout
    assert "+sched = StepLR(opt, step_size=30, gamma=0.5)" in res.stdout and p.read_text() == text
    res = _cli(tmp_path, "check", "--fix", "--no-cache", ".")
    assert res.returncode == 0, res.stdout + res.stderr
    assert "Fixed 1 problem in 1 file; 0 remain." in res.stdout
    assert p.read_text() == text.replace(", verbose=True", "")
    assert stat.S_IMODE(os.stat(p).st_mode) == 0o640
    assert not [n for n in os.listdir(tmp_path) if n.endswith(".tmp")]
    res = _cli(tmp_path, "check", "--diff", "--no-cache", ".")
    assert res.returncode == 0 and res.stdout == ""


def test_fix_keeps_a_remaining_finding_deciding_the_exit_code(tmp_path: Path) -> None:
    p = tmp_path / "k.py"
    p.write_text(KERAS.format(call="keras.optimizers.SGD(lr=0.01, decay=1e-6)"))
    res = _cli(tmp_path, "check", "--fix", "--no-cache", ".")
    assert res.returncode == 1
    assert "Fixed 1 problem in 1 file; 1 remains." in res.stdout
    assert "1 more fixable with --fix --unsafe-fixes" in res.stdout
    res = _cli(tmp_path, "check", "--fix", "--unsafe-fixes", "--no-cache", ".")
    assert res.returncode == 0, res.stdout


def test_statistics(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text(TORCH.format(call="StepLR(opt, 30, verbose=True)"))
    (tmp_path / "b.py").write_text(TORCH.format(call="StepLR(opt, 30, verbose=True)"))
    (tmp_path / "k.py").write_text(KERAS.format(call="SGD(lr=0.01, decay=1e-6)").replace(
        "from tensorflow import keras", "from tensorflow import keras\nfrom keras.optimizers import SGD"))
    res = _cli(tmp_path, "check", "--statistics", "--no-cache", ".")
    assert res.stdout.splitlines() == ["4\tLR003\t[*] deprecated-argument"], res.stdout
    res = _cli(tmp_path, "check", "--statistics", "--format", "json", "--no-cache", ".")
    assert json.loads(res.stdout) == [{"code": "LR003", "name": "deprecated-argument", "count": 4, "fixable": True}]
    (tmp_path / "k.py").write_text("import math\n")
    res = _cli(tmp_path, "check", "--statistics", "--select", "LR1", "--no-cache", ".")
    assert res.stdout == "" and res.returncode == 0


def test_a_fix_applies_only_when_the_targeted_version_takes_the_new_spelling(tmp_path: Path) -> None:
    p = tmp_path / "k.py"
    text = KERAS.format(call="keras.optimizers.SGD(lr=0.01, momentum=0.9)")
    p.write_text(text)
    # Keras 2.4 takes lr= (the finding is an upgrade note): nothing to fix
    res = _cli(tmp_path, "check", "--fix", "--target-version", "keras==2.4.3", "--no-cache", ".")
    assert p.read_text() == text, res.stdout
    assert "[info]" in res.stdout and "Fixed" not in res.stdout
    res = _cli(tmp_path, "check", "--fix", "--target-version", "keras==3.3", "--no-cache", ".")
    assert p.read_text() == text.replace("SGD(lr=", "SGD(learning_rate="), res.stdout + res.stderr
    assert res.returncode == 0


def test_every_fix_is_allowed_by_its_rule_declaration() -> None:
    from lraudit.engine import bound_rules

    declared = {code: rule.fix for code, (rule, _) in bound_rules().items()}
    assert set(declared.values()) <= {"safe", "unsafe", "none"}
    texts = [TORCH.format(call="StepLR(opt, 30, verbose=True)"),
             KERAS.format(call="keras.optimizers.SGD(lr=0.01, decay=1e-6)")]
    seen = 0
    for text in texts:
        for f in audit_source(text, "train.py").findings:
            if f.fix is None:
                continue
            seen += 1
            assert declared[f.code] != "none"
            assert declared[f.code] == "safe" or f.fix.applicability == "unsafe"
    assert seen == 3
    assert declared["LR003"] == "safe" and declared["LR002"] == "none" and declared["LR205"] == "unsafe"


def test_round_trip_on_every_fixture() -> None:
    from fix_roundtrip import verify_tree

    report = verify_tree(REPO / "fixtures")
    assert report.fixable >= 3 and report.changed_files >= 2, report.line()
    assert not report.problems, report.problems


PLATEAU = """import torch
model = torch.nn.Linear(2, 2)
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
scheduler = torch.optim.lr_scheduler.ReduceLROnPlateau(optimizer, {args})
for epoch in range(30):
    optimizer.step()
    val_acc = evaluate(model)
    scheduler.step(val_acc)
"""


def test_plateau_mode_fix_is_unsafe_and_keeps_the_quotes(tmp_path: Path) -> None:
    before = PLATEAU.format(args="mode='min', patience=3")
    assert _fix_text(tmp_path, before) == (before, 0)  # unsafe: not applied by --fix alone
    after, n = _fix_text(tmp_path, before, unsafe=True)
    assert n == 1 and after == before.replace("mode='min'", "mode='max'")
    assert "LR205" not in _codes(after)
    # the mode as a variable, or left to its default: no fix (the finding stays)
    for args in ("mode=MODE, patience=3", "patience=3"):
        text = PLATEAU.format(args=args).replace("import torch", "import torch\nMODE = 'min'")
        assert all(f.fix is None for f in audit_source(text, "train.py").findings if f.code == "LR205")
    res = _cli(tmp_path, "check", "--no-cache", "train.py")
    assert "No safe fixes; 1 fixable with --fix --unsafe-fixes" in res.stdout
