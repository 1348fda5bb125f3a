"""Hostile inputs: lraudit never crashes on them, reports each bad file on its own, and the run goes on.

Every case of issue 7 is here: syntax errors, Python 2, BOM, coding cookies, invalid UTF-8, NUL bytes,
binary files named ``.py``, empty files, very long lines, 10 MB generated files, 10,000-level nesting
(brackets, operators, call chains, lambdas, elif chains), symbolic link loops, a link to ``/``, FIFOs,
unreadable files, files deleted between discovery and reading, malformed notebooks, hostile YAML/JSON configs
(an alias bomb, a recursive alias, 50 MB, deep nesting, python tags, a FIFO, /dev/zero, /proc), an internal
error in one file, and a worker process that dies. Big inputs are generated in temporary directories.

The headline test runs ``lraudit check`` in a child process over one tree holding all of them next to a
script with a real finding: that finding is reported, each bad file gets an LR901 finding or an ``errors``
entry naming it and the reason, nothing is an internal error, and the exit code is 1.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from lraudit.cli import main

BAD = (
    "import torch\nfrom torch.optim.lr_scheduler import StepLR\n\n"
    "optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)\n"
    "scheduler = StepLR(optimizer, step_size=30, gamma=0.1)\n"
    "for epoch in range(90):\n    for batch in train_loader:\n        optimizer.step()\n        scheduler.step()\n"
)  # LR201 at line 9: a per-epoch StepLR stepped per batch
GOOD = (
    "import torch\n\noptimizer = torch.optim.SGD(model.parameters(), lr=0.1)\n"
    "scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=30)\n"
    "for epoch in range(90):\n    train(model, optimizer)\n    scheduler.step()\n"
)
OPT = "import torch\noptimizer = torch.optim.SGD(model.parameters(), lr=0.1)\n"


def run_cli(args: list[str], cwd: Path, timeout: float = 120) -> tuple[int, str, str, float]:
    """``lraudit ARGS`` in a child process (a crash there cannot take the test run with it)."""
    t0 = time.monotonic()
    proc = subprocess.run([sys.executable, "-m", "lraudit.cli", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=timeout, env={**os.environ, "LRAUDIT_NO_CACHE": "1"}, stdin=subprocess.DEVNULL)
    return proc.returncode, proc.stdout, proc.stderr, time.monotonic() - t0


def notebook(*sources: str, **extra: Any) -> str:
    cells = [{"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None, "source": s}
             for s in sources]
    return json.dumps({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5, **extra})


# ------------------------------------------------------------------------------------ the hostile tree

# display path -> ("lr901", reason substring) | ("error", reason substring) | ("ok", None)
EXPECTED: dict[str, tuple[str, str | None]] = {
    "syntax_error.py": ("lr901", "syntax error"),
    "python2.py": ("lr901", "Python 2"),
    "bom.py": ("ok", None),
    "latin1_cookie.py": ("ok", None),
    "unknown_cookie.py": ("lr901", "unknown source encoding"),
    "rot13_cookie.py": ("lr901", "cannot decode"),
    "invalid_utf8.py": ("lr901", "not valid utf-8"),
    "nul_bytes.py": ("lr901", "binary file"),
    "binary.py": ("lr901", "binary file"),
    "empty.py": ("ok", None),
    "whitespace.py": ("ok", None),
    "long_line.py": ("ok", None),
    "long_literal_table.py": ("ok", None),
    "generated_6mb.py": ("lr901", "parse limit"),
    "generated_over_10mb.py": ("error", "over the 10,000,000-byte limit"),
    "deep_parens.py": ("lr901", "nested more than"),
    "deep_binop.py": ("lr901", "nested more than"),
    "deep_unary.py": ("lr901", "nested more than"),
    "deep_call_chain.py": ("lr901", "nested more than"),
    "deep_attribute_chain.py": ("lr901", "nested more than"),
    "deep_lambda.py": ("lr901", "nested more than"),
    "deep_elif.py": ("lr901", "nested more than"),
    "deep_fstring.py": ("lr901", "nested more than"),
    "huge_int_literal.py": ("lr901", "integer literal"),
    "loop_a.py": ("error", "Too many levels of symbolic links"),
    "loop_b.py": ("error", "Too many levels of symbolic links"),
    "fifo.py": ("error", "not a regular file"),
    "nb_invalid_json.ipynb": ("lr901", "not a valid notebook"),
    "nb_list.ipynb": ("lr901", "not a valid notebook"),
    "nb_deep_json.ipynb": ("lr901", "nested too deeply"),
    "nb_cells_not_a_list.ipynb": ("lr901", "no list of cells"),
    "nb_odd_cells.ipynb": ("ok", None),
    "nb_bad_metadata.ipynb": ("ok", None),
    "nb_nul_in_cell.ipynb": ("ok", None),
    "nb_warnings.ipynb": ("ok", None),
    "nb_binary.ipynb": ("lr901", "not a valid notebook"),
    "cfg_bomb.py": ("ok", None),
    "cfg_recursive.py": ("ok", None),
    "cfg_deep.py": ("ok", None),
    "cfg_50mb.py": ("ok", None),
    "cfg_python_tag.py": ("ok", None),
    "cfg_fifo.py": ("ok", None),
    "cfg_dev_zero.py": ("ok", None),
    "cfg_proc_environ.py": ("ok", None),
    "cfg_invalid.py": ("ok", None),
    "cfg_not_utf8.py": ("ok", None),
    "cfg_deep_json.py": ("ok", None),
    "cfg_missing.py": ("ok", None),
}


def _cfg_script(name: str) -> str:
    loader = "json.load" if name.endswith(".json") else "yaml.safe_load"
    return (f"import json\nimport torch\nimport yaml\n\ncfg = {loader}(open({name!r}))\n"
            "optimizer = torch.optim.SGD(model.parameters(), lr=cfg['lr'])\n"
            "scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=cfg['step'])\n"
            "for epoch in range(cfg['epochs']):\n    scheduler.step()\n")


def alias_bomb() -> str:
    lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for i in range(1, 10):
        lines.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]")
    return "\n".join(lines) + "\nlr: *a9\nstep: *a9\nepochs: *a9\n"


def build_tree(root: Path) -> None:
    """Write every hostile file (and two normal scripts) under ``root``."""
    w = lambda name, text: (root / name).write_text(text, encoding="utf-8")  # noqa: E731
    b = lambda name, data: (root / name).write_bytes(data)  # noqa: E731
    w("bad.py", BAD)
    w("good.py", GOOD)
    w("syntax_error.py", OPT + "def broken(:\n    pass\n")
    w("python2.py", OPT + "print 'epoch', epoch\nexcept ValueError, e:\n    pass\n")
    b("bom.py", b"\xef\xbb\xbf" + BAD.encode())
    b("latin1_cookie.py", b"# -*- coding: latin-1 -*-\n# caf\xe9 cr\xe8me\n" + GOOD.encode())
    b("unknown_cookie.py", b"# coding: klingon\n" + OPT.encode())
    b("rot13_cookie.py", b"# coding: rot13\n" + OPT.encode())
    b("invalid_utf8.py", OPT.encode() + b"name = '\xff\xfe\xfa'\n")
    b("nul_bytes.py", OPT.encode() + b"x = 1\x00\n")
    b("binary.py", b"optimizer\n" + bytes(range(256)) * 64)  # the prefilter would skip it otherwise
    w("empty.py", "")
    w("whitespace.py", "\n\n   \n\t\n")
    w("long_line.py", OPT + "TABLE = [" + "0.5, " * 40_000 + "]\n")  # one 200 kB line
    w("long_literal_table.py", OPT + "VOCAB = {" + ", ".join(f"'w{i}': -{i}" for i in range(10_000)) + "}\n"
      + "TOTAL = " + " + ".join(f"x{i}" for i in range(250)) + "\n")
    chunk = "# optimizer table, generated\nROWS = [\n" + "    (1.0, 2.0, 3.0, 'abcdefgh'),\n" * 1000 + "]\n"
    w("generated_6mb.py", chunk * (6_000_000 // len(chunk) + 1))
    b("generated_over_10mb.py", b"# optim\n" + b"x = 1\n" * (10_000_001 // 6 + 1))
    n = 10_000
    w("deep_parens.py", OPT + "x = " + "(" * n + "1" + ")" * n + "\n")
    w("deep_binop.py", OPT + "x = " + "1 + " * n + "1\n")
    w("deep_unary.py", OPT + "x = " + "-" * n + "1\n")
    w("deep_call_chain.py", OPT + "x = loader" + ".next()" * n + "\n")
    w("deep_attribute_chain.py", OPT + "x = a" + ".b" * n + "\n")
    w("deep_lambda.py", OPT + "f = " + "lambda a, b: " * n + "1\n")
    w("deep_elif.py", OPT + "if a:\n    pass\n" + "elif a:\n    pass\n" * n)
    w("deep_fstring.py", OPT + "x = f'{" + "1 + " * n + "1}'\n")
    w("huge_int_literal.py", OPT + "EPOCHS = " + "9" * 5000 + "\n")
    os.symlink("loop_b.py", root / "loop_a.py")
    os.symlink("loop_a.py", root / "loop_b.py")
    (root / "sub").mkdir()
    w("sub/inner.py", GOOD)
    os.symlink("..", root / "sub" / "up")  # a directory loop
    os.symlink("/", root / "rootlink")  # a link out of the tree: not followed
    os.mkfifo(root / "fifo.py")
    # (each mentions an optimizer: the prefilter would skip the notebook otherwise)
    w("nb_invalid_json.ipynb", '{"cells": ["optimizer"')
    w("nb_list.ipynb", '["optimizer", 2, 3]')
    w("nb_deep_json.ipynb", '{"optimizer": 1, "cells": ' + "[" * 100_000 + "]" * 100_000 + "}")
    w("nb_cells_not_a_list.ipynb", '{"cells": {"optimizer": 1}}')
    w("nb_odd_cells.ipynb", json.dumps({"cells": [5, None, {"cell_type": "code", "source": 7},
                                                  {"cell_type": "code", "source": ["import torch\n", 3, None]},
                                                  {"cell_type": ["code"]}, {"cell_type": "code", "source": GOOD}]}))
    w("nb_bad_metadata.ipynb", notebook(GOOD, metadata={"kernelspec": 5}, nbformat="four"))
    w("nb_nul_in_cell.ipynb", notebook(OPT + "x = '\x00'\n"))
    w("nb_warnings.ipynb", notebook(OPT + "x = 1if True else 2\ny = '\\d'\n", "z = 0x1for\n"))
    b("nb_binary.ipynb", b"optimizer" + bytes(range(256)) * 4)
    w("bomb.yaml", alias_bomb())
    w("recursive.yaml", "lr: &x [1, *x]\nstep: &y {k: *y}\nepochs: 3\n")
    w("deep.yaml", "lr: " + "[" * 20_000 + "]" * 20_000 + "\nstep: 3\nepochs: 3\n")
    with open(root / "big.yaml", "wb") as fh:  # 50 MB, sparse: the size is what lraudit must refuse
        fh.write(b"lr: 0.1\nstep: 3\nepochs: 3\n# ")
        fh.truncate(50_000_000)
    w("python_tag.yaml", "lr: !!python/object/apply:os.system ['echo pwned > pwned.txt']\nstep: 3\nepochs: 3\n")
    os.mkfifo(root / "fifo.yaml")
    w("invalid.yaml", "lr: [1, 2\nstep: {\n")
    b("not_utf8.yaml", b"lr: '\xff\xfe'\nstep: 3\n")
    w("deep.json", '{"lr": ' + "[" * 100_000 + "]" * 100_000 + "}")
    for name, cfg in [("cfg_bomb.py", "bomb.yaml"), ("cfg_recursive.py", "recursive.yaml"),
                      ("cfg_deep.py", "deep.yaml"),
                      ("cfg_50mb.py", "big.yaml"), ("cfg_python_tag.py", "python_tag.yaml"),
                      ("cfg_fifo.py", "fifo.yaml"), ("cfg_dev_zero.py", "/dev/zero"),
                      ("cfg_proc_environ.py", "/proc/self/environ"), ("cfg_invalid.py", "invalid.yaml"),
                      ("cfg_not_utf8.py", "not_utf8.yaml"), ("cfg_deep_json.py", "deep.json"),
                      ("cfg_missing.py", "missing.yaml")]:
        w(name, _cfg_script(cfg))


@pytest.fixture(scope="module")
def hostile_run(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    root = tmp_path_factory.mktemp("hostile")
    tree = root / "tree"
    tree.mkdir()
    build_tree(tree)
    code, out, err, secs = run_cli(["check", "tree", "tree/fifo.py", "--format", "json", "--jobs", "1",
                                    "--no-cache"], root)
    return {"root": root, "code": code, "out": out, "err": err, "secs": secs,
            "doc": json.loads(out) if out.startswith("{") else None}


def _outcome(doc: dict[str, Any], name: str) -> tuple[str, str]:
    path = f"tree/{name}"
    lr901 = [f for f in doc["findings"] if f["path"] == path and f["code"] == "LR901"]
    errors = [e for e in doc["errors"] if e["path"] == path]
    if lr901:
        return "lr901", lr901[0]["message"]
    if errors:
        return "error", errors[0]["message"]
    return "ok", ""


def test_the_run_finishes_with_json_and_exit_code_1(hostile_run: dict[str, Any]) -> None:
    assert hostile_run["doc"] is not None, hostile_run["err"][-3000:]
    assert hostile_run["code"] == 1, hostile_run["err"][-3000:]
    assert "Traceback" not in hostile_run["err"]
    assert "Warning" not in hostile_run["err"]  # Python's SyntaxWarnings about analysed code stay out of it
    assert hostile_run["secs"] < 90


def test_the_real_finding_survives_the_bad_files(hostile_run: dict[str, Any]) -> None:
    found = {(f["path"], f["code"], f["line"]) for f in hostile_run["doc"]["findings"]}
    assert ("tree/bad.py", "LR201", 9) in found
    assert ("tree/bom.py", "LR201", 9) in found  # a BOM changes nothing


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_hostile_file_gets_its_own_outcome(hostile_run: dict[str, Any], name: str) -> None:
    kind, reason = _outcome(hostile_run["doc"], name)
    want_kind, want_reason = EXPECTED[name]
    assert kind == want_kind, f"{name}: {kind} {reason!r}"
    if want_reason:
        assert want_reason in reason, reason


def test_nothing_is_an_internal_error(hostile_run: dict[str, Any]) -> None:
    text = json.dumps(hostile_run["doc"])
    assert "internal error" not in text


def test_links_out_of_the_tree_and_directory_loops_are_not_followed(hostile_run: dict[str, Any]) -> None:
    paths = {f["path"] for f in hostile_run["doc"]["findings"]} | {e["path"] for e in hostile_run["doc"]["errors"]}
    assert not any(p.startswith(("tree/rootlink", "tree/sub/up")) for p in paths)
    assert hostile_run["doc"]["summary"]["files"] < 100  # the tree, not the file system


def test_no_planted_side_effect(hostile_run: dict[str, Any]) -> None:
    assert not list(hostile_run["root"].rglob("pwned*"))


def test_config_problems_are_reasons_not_crashes(hostile_run: dict[str, Any]) -> None:
    root = hostile_run["root"]
    code, out, err, secs = run_cli(["explain", "tree/cfg_bomb.py", "tree/cfg_recursive.py", "tree/cfg_50mb.py",
                                    "tree/cfg_python_tag.py", "tree/cfg_deep.py", "tree/cfg_proc_environ.py",
                                    "tree/cfg_fifo.py", "--format", "json", "--jobs", "1"], root)
    assert code == 0, err
    files = {f["path"]: f for f in json.loads(out)["files"]}
    reasons = {p: f["optimizers"][0]["lr"].get("unresolved", "") for p, f in files.items()}
    assert "alias bomb" in reasons["tree/cfg_bomb.py"]
    assert "recursive alias" in reasons["tree/cfg_recursive.py"]
    assert "limit 2000000" in reasons["tree/cfg_50mb.py"]
    assert "python/object/apply" in reasons["tree/cfg_python_tag.py"]
    assert "nested" in reasons["tree/cfg_deep.py"]
    assert "not read" in reasons["tree/cfg_proc_environ.py"]
    assert "not found" in reasons["tree/cfg_fifo.py"]
    assert all(f["optimizers"][0]["lr"]["value"] is None for f in files.values())
    assert secs < 60


# ------------------------------------------------------------------------ failures while the run goes on


def _pair(tmp_path: Path) -> tuple[Path, Path]:
    (tmp_path / "bad.py").write_text(BAD, encoding="utf-8")
    victim = tmp_path / "victim.py"
    victim.write_text(GOOD, encoding="utf-8")
    return tmp_path / "bad.py", victim


def _check_json(tmp_path: Path, *extra: str) -> tuple[int, dict[str, Any], str]:
    res = CliRunner().invoke(main, ["check", str(tmp_path), "--format", "json", "--jobs", "1", "--no-cache", *extra])
    assert res.exception is None or isinstance(res.exception, SystemExit), res.exception
    out = res.stdout if hasattr(res, "stdout") else res.output
    return res.exit_code, json.loads(out), res.output


def test_an_unreadable_file_is_an_error_entry(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _, victim = _pair(tmp_path)
    real_open = os.open

    def fake_open(path: Any, flags: int, *args: Any, **kwargs: Any) -> int:
        if os.fspath(path) == str(victim):
            raise PermissionError(13, "Permission denied", str(path))
        return real_open(path, flags, *args, **kwargs)

    monkeypatch.setattr(os, "open", fake_open)  # chmod 000 does not stop root
    code, doc, _ = _check_json(tmp_path)
    assert code == 1
    messages = [e["message"] for e in doc["errors"] if e["path"].endswith("victim.py")]
    assert messages == ["cannot read: Permission denied"]
    assert any(f["code"] == "LR201" for f in doc["findings"])


def test_a_file_deleted_after_discovery_is_an_error_entry(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import lraudit.discover as discover

    _, victim = _pair(tmp_path)
    real = discover.discover

    def discover_then_delete(*args: Any, **kwargs: Any) -> Any:
        found = real(*args, **kwargs)
        victim.unlink()
        return found

    monkeypatch.setattr(discover, "discover", discover_then_delete)
    code, doc, _ = _check_json(tmp_path)
    assert code == 1
    assert [e["message"] for e in doc["errors"] if e["path"].endswith("victim.py")] == \
        ["file disappeared before it could be read"]
    assert any(f["code"] == "LR201" for f in doc["findings"])


def _plant_internal_error(monkeypatch: pytest.MonkeyPatch, victim: Path) -> None:
    import lraudit.extract.build as build

    real = build.extract

    def extract(module: Any, path: str, *args: Any, **kwargs: Any) -> Any:
        if path.endswith(victim.name):
            raise KeyError("planted bug")
        return real(module, path, *args, **kwargs)

    monkeypatch.setattr(build, "extract", extract)


def test_an_internal_error_is_a_short_per_file_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _, victim = _pair(tmp_path)
    _plant_internal_error(monkeypatch, victim)
    code, doc, output = _check_json(tmp_path)
    assert code == 1
    [message] = [e["message"] for e in doc["errors"] if e["path"].endswith("victim.py")]
    assert message.startswith("internal error: KeyError: 'planted bug'")
    assert "--debug" in message and "Traceback" not in output
    assert any(f["code"] == "LR201" for f in doc["findings"])


def test_debug_shows_the_traceback(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _, victim = _pair(tmp_path)
    _plant_internal_error(monkeypatch, victim)
    res = CliRunner().invoke(main, ["check", str(tmp_path), "--jobs", "1", "--no-cache", "--debug"])
    assert res.exit_code == 1
    assert "Traceback (most recent call last)" in res.output and "planted bug" in res.output


def test_a_worker_that_dies_costs_only_its_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import lraudit.runner as runner
    from lraudit.analyze import AnalysisOptions

    files = []
    for i in range(4):
        p = tmp_path / f"ok{i}.py"
        p.write_text(BAD, encoding="utf-8")
        files.append((str(p), p.name))
    killer = tmp_path / "killer.py"
    killer.write_text(GOOD, encoding="utf-8")
    files.append((str(killer), "killer.py"))
    real = runner.analyze_bytes

    def analyze_bytes(data: bytes, path: str, display: str, opts: Any) -> Any:
        if display == "killer.py":
            os._exit(3)  # as a segfault or the OOM killer would
        return real(data, path, display, opts)

    monkeypatch.setattr(runner, "analyze_bytes", analyze_bytes)  # inherited by the forked workers
    results = runner.run_files(files, AnalysisOptions(), jobs=2)
    by_path = {r.path: r for r in results}
    assert [r.path for r in results] == [d for _, d in files]
    assert "process died" in (by_path["killer.py"].error or "")
    for i in range(4):
        assert [f.code for f in by_path[f"ok{i}.py"].findings] == ["LR201"]


def test_a_fifo_named_explicitly_does_not_hang(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe.py")
    code, out, err, secs = run_cli(["check", "pipe.py", "--format", "json"], tmp_path, timeout=60)
    assert code == 1
    assert json.loads(out)["errors"] == [{"path": "pipe.py", "message": "not a regular file (a FIFO, socket or "
                                                                        "device); not read"}]
    assert secs < 30


def test_a_shared_value_is_not_expanded_in_the_output(tmp_path: Path) -> None:
    (tmp_path / "train.py").write_text(
        "import torch\nX = [[0.9] * 100000] * 100000\n"
        "optimizer = torch.optim.Adam(model.parameters(), lr=0.1, betas=X)\n", encoding="utf-8")
    t0 = time.monotonic()
    res = CliRunner().invoke(main, ["explain", str(tmp_path / "train.py"), "--format", "json", "--no-cache"])
    assert res.exit_code == 0
    assert time.monotonic() - t0 < 20
    betas = json.loads(res.output)["files"][0]["optimizers"][0]["params"]["betas"]
    # refused when resolved (unknown: too large) or when written out (a short description): never expanded
    assert "too large" in (betas.get("unresolved") or betas["value"])
    assert len(res.output) < 20_000


def test_the_output_bound_itself() -> None:
    from lraudit.analyze import to_jsonable

    shared = [[0.9] * 100_000] * 100_000
    assert to_jsonable(shared) == "<list of 100,000 items: too large to show>"
    assert to_jsonable(["a" * 60_000, "b" * 60_000]) == "<list of 2 items: too large to show>"
    assert to_jsonable(10 ** 2000) == "<int: too large to show>"
    assert to_jsonable({"b": [1, 2.5, float("inf")], "a": None}) == {"a": None, "b": [1, 2.5, "inf"]}


# ------------------------------------------------------------------------------------------ nothing lost


def _project(tmp_path: Path) -> Path:
    proj = tmp_path / "proj"
    proj.mkdir()
    (proj / "bad.py").write_text(BAD, encoding="utf-8")
    (proj / "good.py").write_text(GOOD, encoding="utf-8")
    return proj


@pytest.mark.parametrize("existing, problem", [
    ("# Notes\n<!-- lraudit:begin -->\nold\n", "has no matching"),
    ("# Notes\n<!-- lraudit:end -->\nold\n<!-- lraudit:begin -->\n", "comes before"),
    ("<!-- lraudit:begin -->\na\n<!-- lraudit:end -->\n<!-- lraudit:begin -->\nb\n<!-- lraudit:end -->\n",
     "appears 2 times"),
])
def test_notes_refuses_malformed_markers_and_writes_nothing(tmp_path: Path, existing: str, problem: str) -> None:
    proj = _project(tmp_path)
    target = tmp_path / "NOTES.md"
    target.write_bytes(existing.encode())
    res = CliRunner().invoke(main, ["notes", str(proj), "-o", str(target), "--jobs", "1", "--no-cache"])
    assert res.exit_code == 2
    assert problem in res.output and "nothing was written" in res.output
    assert target.read_bytes() == existing.encode()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["NOTES.md", "proj"]


def test_notes_keeps_permissions_and_every_byte_outside_the_block(tmp_path: Path) -> None:
    proj = _project(tmp_path)
    target = tmp_path / "NOTES.md"
    before = "Intro ünïcode\r\n<!-- lraudit:begin -->\r\nold block\r\n<!-- lraudit:end -->\r\ntail without newline"
    target.write_bytes(before.encode())
    os.chmod(target, 0o640)
    res = CliRunner().invoke(main, ["notes", str(proj), "-o", str(target), "--jobs", "1", "--no-cache"])
    assert res.exit_code == 0, res.output
    after = target.read_bytes().decode()
    assert after.startswith("Intro ünïcode\r\n<!-- lraudit:begin -->\r\n")
    assert after.endswith("<!-- lraudit:end -->\r\ntail without newline")
    assert "old block" not in after and "bad.py" in after
    assert os.stat(target).st_mode & 0o777 == 0o640


@pytest.mark.parametrize("command", ["notes", "baseline", "check-output"])
def test_an_interrupted_write_leaves_the_old_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                  command: str) -> None:
    proj = _project(tmp_path)
    target = tmp_path / "out.txt"
    old = b"<!-- lraudit:begin -->\nprevious\n<!-- lraudit:end -->\n" if command == "notes" else b'{"old": 1}\n'
    target.write_bytes(old)
    os.chmod(target, 0o600)

    def fail(*args: Any, **kwargs: Any) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", fail)  # between writing the temporary file and the rename
    args = {"notes": ["notes", str(proj), "-o", str(target)],
            "baseline": ["check", str(proj), "--write-baseline", str(target)],
            "check-output": ["check", str(proj), "--format", "json", "-o", str(target)]}[command]
    res = CliRunner().invoke(main, args + ["--jobs", "1", "--no-cache"])
    assert res.exit_code == 2
    assert "No space left on device" in res.output
    assert target.read_bytes() == old
    assert os.stat(target).st_mode & 0o777 == 0o600
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.txt", "proj"]  # no temporary file left


def test_write_baseline_keeps_permissions(tmp_path: Path) -> None:
    proj = _project(tmp_path)
    target = tmp_path / "baseline.json"
    target.write_text("{}", encoding="utf-8")
    os.chmod(target, 0o604)
    res = CliRunner().invoke(main, ["check", str(proj), "--write-baseline", str(target), "--jobs", "1", "--no-cache"])
    assert res.exit_code == 0, res.output
    assert json.loads(target.read_text(encoding="utf-8"))["findings"][0]["code"] == "LR201"
    assert os.stat(target).st_mode & 0o777 == 0o604


def test_analysed_files_are_never_modified(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # the result cache (on here) lives in the working directory
    proj = _project(tmp_path)
    (proj / "config.yaml").write_text("lr: 0.1\n", encoding="utf-8")
    (proj / "nb.ipynb").write_text(notebook(BAD), encoding="utf-8")
    (proj / "broken.py").write_bytes(b"\xef\xbb\xbfdef f(:\n")

    def snapshot() -> dict[str, tuple[bytes, int, int]]:
        out = {}
        for p in sorted(proj.rglob("*")):
            if p.is_file() and ".lraudit_cache" not in p.parts:
                st = p.stat()
                out[str(p.relative_to(proj))] = (p.read_bytes(), st.st_mtime_ns, st.st_mode)
        return out

    before = snapshot()
    runner = CliRunner()
    for args in (["check", str(proj)], ["check", str(proj), "--format", "sarif"], ["explain", str(proj)],
                 ["notes", str(proj)], ["check", str(proj), "--write-baseline", str(tmp_path / "b.json")],
                 ["notes", str(proj), "-o", str(tmp_path / "NOTES.md")], ["check", str(proj), "--jobs", "2"]):
        res = runner.invoke(main, args, catch_exceptions=False)
        assert res.exit_code in (0, 1), (args, res.output[-2000:])
    assert snapshot() == before
    assert {p.name for p in proj.iterdir()} == {"bad.py", "good.py", "config.yaml", "nb.ipynb", "broken.py"}
    assert (tmp_path / ".lraudit_cache").is_dir()


def test_hostile_file_names_cannot_inject_workflow_commands(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "nl\n::warning file=x::pwned.py").write_text(OPT + "def f(:\n", encoding="utf-8")
    (tmp_path / "comma,colon:percent%.py").write_text(BAD, encoding="utf-8")
    res = CliRunner().invoke(main, ["check", ".", "--format", "github", "--jobs", "1", "--no-cache"])
    assert res.exit_code == 1
    lines = res.output.splitlines()
    assert len(lines) == 2 and all(line.startswith("::error ") for line in lines)
    assert "file=nl%0A%3A%3Awarning file=x%3A%3Apwned.py," in res.output
    assert "file=comma%2Ccolon%3Apercent%25.py," in res.output
    doc = json.loads(CliRunner().invoke(main, ["check", ".", "--format", "json", "--jobs", "1", "--no-cache"]).output)
    assert sorted(f["path"] for f in doc["findings"]) == ["comma,colon:percent%.py", "nl\n::warning file=x::pwned.py"]


def test_a_hostile_pyproject_is_a_configuration_error(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.lraudit]\nselect = " + "[" * 100_000 + "]" * 100_000 + "\n",
                                             encoding="utf-8")
    (tmp_path / "bad.py").write_text(BAD, encoding="utf-8")
    code, out, err, _ = run_cli(["check", "bad.py"], tmp_path, timeout=60)
    assert code == 2
    assert err.startswith("lraudit: error: ") and "Traceback" not in err


def _pass_through_chain(levels: int, sites: int) -> str:
    """``f0(lr)`` calls ``f1`` ``sites`` times with its parameter, ``f1`` calls ``f2`` ..., and each also calls
    itself recursively: paths through the call graph grow as ``sites ** levels``."""
    lines = ["import torch\n"]
    for i in range(levels):
        body = [f"def f{i}(model, lr, depth=0):"]
        body.append(f"    if depth > 3:\n        return f{i}(model, lr, depth - 1)")
        if i + 1 < levels:
            body += [f"    f{i + 1}(model, lr)" for _ in range(sites)]
        else:
            body.append("    optimizer = torch.optim.SGD(model.parameters(), lr=lr)")
            body.append("    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=30)")
            body.append("    for epoch in range(90):\n        optimizer.step()\n        scheduler.step()")
        lines.append("\n".join(body) + "\n")
    lines.append("f0(model, 0.1)\n")
    return "\n".join(lines)


def test_parameters_passed_through_many_calls_resolve_once_per_function(monkeypatch: pytest.MonkeyPatch) -> None:
    # found on pytorch/ignite's handlers: a parameter handed on by functions with several call sites each was
    # resolved once per path through the call graph (2**21 resolutions, minutes for one file)
    from lraudit.api import audit_source
    from lraudit.extract import values

    calls = 0
    real = values.Resolver._param_value

    def counting(self: Any, fn: Any, name: str) -> Any:
        nonlocal calls
        calls += 1
        return real(self, fn, name)

    monkeypatch.setattr(values.Resolver, "_param_value", counting)
    result = audit_source(_pass_through_chain(levels=12, sites=4), "train.py")
    assert result.error is None
    (opt,) = result.optimizers
    assert opt["lr"]["value"] == 0.1  # the value still arrives through every level and the recursion
    assert calls < 12 * 3 * 10  # a handful of resolutions per function and parameter, not 4 ** 12
