"""Nothing the analysed code says is ever run: no import, eval, exec or compile of it, no side effect.

Planted code that would write a file, open a socket, block on standard input, exit the process or loop
forever if it ran sits in every place lraudit reads: module level, lambdas, schedule functions, default
values (of defs, argparse options and dataclass fields), decorators, a local module the script imports,
YAML/JSON configs (python tags) and notebook cells (shell lines, magics, code). Every command and output
format runs over it; afterwards no file was written, no connection was made and the run finished within its
budget. A second test runs the same commands under a ``sys.addaudithook`` hook and asserts that no
``exec``, no compile other than ``ast.parse`` (which only parses: libcst reads literal values with
``ast.literal_eval``), no process, socket or input event, no write outside the notes file, and no import of a
module the analysed code names happened. The last tests drive the safe evaluator directly.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import libcst as cst
import pytest

from lraudit.evaluate import Budget, EvalError, evaluate_expression


def plant(root: Path, port: int) -> Path:
    """A project whose every readable place holds code with side effects; returns the pwned-marker dir."""
    marks = root / "marks"
    marks.mkdir()
    proj = root / "proj"
    proj.mkdir()

    def act(tag: str) -> str:  # one expression that, if evaluated, leaves a trace
        return (f"(open({str(marks / tag)!r}, 'w').write('ran') or "
                f"__import__('socket').create_connection(('127.0.0.1', {port})) or "
                f"__import__('os').system('touch {marks / (tag + '-sh')}'))")

    (proj / "evil_helpers.py").write_text(textwrap.dedent(f"""\
        import os
        {act('helper-module')}
        os.system("touch {marks / 'helper-os-system'}")
        LR = 0.1
        WARMUP = {act('helper-constant')}
        """), encoding="utf-8")
    (proj / "train.py").write_text(textwrap.dedent(f"""\
        import argparse
        import math
        import os
        import socket
        import sys
        from dataclasses import dataclass, field

        import torch
        import yaml
        from evil_helpers import LR, WARMUP

        {act('module-level')}
        cfg = yaml.safe_load(open("config.yaml"))
        cfg2 = yaml.load(open("config.yaml"), Loader=yaml.Loader)

        parser = argparse.ArgumentParser()
        parser.add_argument("--lr", type=lambda s: {act('argparse-type')}, default={act('argparse-default')})
        parser.add_argument("--epochs", type=int, default=eval("__import__('os').system('touch {marks / 'eval'}')"))
        args = parser.parse_args()


        @dataclass
        class Config:
            lr: float = field(default_factory=lambda: {act('dataclass-factory')})
            warmup: int = {act('dataclass-default')}


        def decorate(f):
            {act('decorator')}
            return f


        @decorate
        def get_lr(it, total=({act('def-default')})):
            {act('schedule-function')}
            socket.create_connection(("127.0.0.1", {port}))
            input()
            while True:
                pass
            return LR


        def adjust_learning_rate(optimizer, epoch):
            exec("open({str(marks / 'exec')!r}, 'w')")
            os._exit(3)
            for g in optimizer.param_groups:
                g["lr"] = get_lr(epoch)


        def forever(step):
            return forever(step + 1) + [x for x in iter(int, 1)][0]


        optimizer = torch.optim.SGD(model.parameters(), lr=cfg["lr"], momentum=get_lr(0))
        opt2 = torch.optim.Adam(model.parameters(), lr=LR * {act('argument')})
        s1 = torch.optim.lr_scheduler.LambdaLR(optimizer, lr_lambda=lambda e: {act('lambda')})
        s2 = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda e: sys.exit(3))
        s3 = torch.optim.lr_scheduler.LambdaLR(optimizer, forever)
        s4 = torch.optim.lr_scheduler.MultiplicativeLR(opt2, lambda e: get_lr(e))
        s5 = torch.optim.lr_scheduler.StepLR(opt2, step_size=WARMUP, gamma=__import__("os").getpid())
        for epoch in range(args.epochs):
            adjust_learning_rate(optimizer, epoch)
            for batch in loader:
                optimizer.step()
                s1.step()
            s2.step(); s3.step(); s4.step(); s5.step()
        """), encoding="utf-8")
    (proj / "config.yaml").write_text(textwrap.dedent(f"""\
        lr: !!python/object/apply:os.system ["touch {marks / 'yaml-apply'}"]
        step: !!python/object/new:subprocess.Popen [["touch", "{marks / 'yaml-new'}"]]
        name: !!python/name:os.system
        epochs: 10
        """), encoding="utf-8")
    cells = [
        "!touch " + str(marks / "nb-shell"),
        "%run evil_helpers.py",
        "%%bash\ntouch " + str(marks / "nb-cell-magic"),
        "import torch\n" + act("nb-code") + "\n"
        "optimizer = torch.optim.SGD(model.parameters(), lr=0.1)\n"
        "scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda e: " + act("nb-lambda") + ")\n"
        "files = !touch " + str(marks / "nb-assign-shell") + "\n"
        "%time x = " + act("nb-time-magic") + "\n"
        "for epoch in range(10):\n    scheduler.step()\n",
    ]
    nb = {"cells": [{"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None, "source": c}
                    for c in cells], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    (proj / "notebook.ipynb").write_text(json.dumps(nb), encoding="utf-8")
    return marks


COMMANDS = [
    ["check", "proj", "--format", "json"],
    ["check", "proj", "--format", "sarif"],
    ["check", "proj", "--format", "github"],
    ["check", "proj"],
    ["explain", "proj", "--format", "json"],
    ["explain", "proj", "--steps", "50"],
    ["notes", "proj", "-o", "NOTES.md"],
]


@pytest.fixture
def listener() -> Any:
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    server.setblocking(False)
    yield server
    server.close()


def _assert_no_connection(server: socket.socket) -> None:
    with pytest.raises(BlockingIOError):
        conn, _ = server.accept()
        conn.close()


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_every_command_over_planted_code_has_no_side_effect(tmp_path: Path, listener: socket.socket,
                                                            jobs: str) -> None:
    marks = plant(tmp_path, listener.getsockname()[1])
    t0 = time.monotonic()
    for args in COMMANDS:
        proc = subprocess.Popen([sys.executable, "-m", "lraudit.cli", *args, "--jobs", jobs, "--no-cache"],
                                cwd=tmp_path, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True)  # stdin stays open: an input() that ran would block
        out, err = proc.communicate(timeout=120)
        assert proc.returncode in ((0, 1) if args[0] == "check" else (0,)), (args, err[-2000:])
        assert "Traceback" not in err
        if args[0] != "notes":
            assert out.strip(), args
    assert time.monotonic() - t0 < 120
    assert sorted(p.name for p in marks.iterdir()) == []
    _assert_no_connection(listener)
    assert (tmp_path / "NOTES.md").is_file()
    assert "train.py" in (tmp_path / "NOTES.md").read_text(encoding="utf-8")


AUDIT_SCRIPT = r'''
import json, os, sys
from click.testing import CliRunner
from lraudit.cli import main

benign, planted, notes_dir = sys.argv[1], sys.argv[2], sys.argv[3]
commands = json.loads(sys.argv[4])


def run_all(project, notes):
    codes = []
    for args in commands:
        args = [a.replace("proj", project).replace("NOTES.md", notes) for a in args]
        res = CliRunner().invoke(main, args + ["--jobs", "1", "--no-cache"], catch_exceptions=False)
        codes.append(res.exit_code)
    return codes


run_all(benign, os.path.join(notes_dir, "warm.md"))  # lraudit's own lazy imports happen here
import importlib, pkgutil, sysconfig
import lraudit
for m in pkgutil.walk_packages(lraudit.__path__, "lraudit."):
    importlib.import_module(m.name)
events = []
WRITE = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_TRUNC
# a module of lraudit, the standard library or an installed package may still be imported lazily
LIBRARY = tuple(os.path.realpath(p) for p in (os.path.dirname(lraudit.__file__), sysconfig.get_paths()["stdlib"],
                                              sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]))


def from_library_code():
    """compile() called by ast.parse (parsing only) or by dataclasses/namedtuple building lraudit's classes."""
    f = sys._getframe(2)
    name = f.f_code.co_filename
    return (name.endswith(os.sep + "ast.py") and f.f_code.co_name == "parse") or \
        name.endswith((os.sep + "dataclasses.py", os.sep + "collections" + os.sep + "__init__.py"))


def library_module(code):
    name = os.path.realpath(getattr(code, "co_filename", "") or "/nonexistent")
    return getattr(code, "co_name", "") == "<module>" and name.startswith(LIBRARY)


def hook(event, args):
    if event == "exec" and library_module(args[0]):
        return
    if event in ("exec", "os.system", "os.exec", "os.posix_spawn", "os.spawn", "os.fork", "os.forkpty",
                 "subprocess.Popen", "socket.connect", "socket.__new__", "socket.getaddrinfo", "builtins.input",
                 "ctypes.dlopen", "os.kill", "sys._getframe_never", "webbrowser.open", "pty.spawn"):
        events.append([event, repr(args)[:200]])
    elif event == "compile" and not from_library_code():
        events.append([event, repr(args)[:200]])
    elif event == "import":
        events.append([event, args[0]])
    elif event == "open":
        path, mode, flags = args
        writing = (isinstance(mode, str) and any(c in mode for c in "wax+")) or (flags & WRITE)
        if writing and not isinstance(path, int) and not str(path).startswith(notes_dir):  # int: a file
            # descriptor lraudit opened itself (os.open was checked)
            events.append([event, repr(args)[:200]])
    elif event in ("os.remove", "os.rename", "os.chmod", "os.mkdir", "shutil.rmtree", "os.truncate"):
        if not str(args[0]).startswith(notes_dir):
            events.append([event, repr(args)[:200]])


sys.addaudithook(hook)
codes = run_all(planted, os.path.join(notes_dir, "NOTES.md"))
print(json.dumps({"codes": codes, "events": events, "modules": sorted(sys.modules)}))
'''


def test_no_exec_compile_process_socket_write_or_import_under_an_audit_hook(tmp_path: Path,
                                                                           listener: socket.socket) -> None:
    marks = plant(tmp_path, listener.getsockname()[1])
    benign = tmp_path / "benign"
    benign.mkdir()
    (benign / "train.py").write_text(
        "import torch, yaml\ncfg = yaml.safe_load(open('c.yaml'))\n"
        "opt = torch.optim.SGD(m.parameters(), lr=cfg['lr'])\n"
        "s = torch.optim.lr_scheduler.LambdaLR(opt, lambda e: 0.9 ** e)\nfor e in range(5):\n    s.step()\n",
        encoding="utf-8")
    (benign / "c.yaml").write_text("lr: 0.1\n", encoding="utf-8")
    (benign / "nb.ipynb").write_text((tmp_path / "proj" / "notebook.ipynb").read_text(), encoding="utf-8")
    notes_dir = tmp_path / "out"
    notes_dir.mkdir()
    proc = subprocess.run([sys.executable, "-c", AUDIT_SCRIPT, str(benign), str(tmp_path / "proj"), str(notes_dir),
                           json.dumps(COMMANDS)], cwd=tmp_path, capture_output=True, text=True, timeout=180,
                          stdin=subprocess.PIPE)
    assert proc.returncode == 0, proc.stderr[-3000:]
    report = json.loads(proc.stdout.strip().splitlines()[-1])
    events = report["events"]
    assert [e for e in events if e[0] != "import"] == []
    imported = {e[1] for e in events if e[0] == "import"}
    named_by_the_code = {"evil_helpers", "subprocess", "ctypes", "pty", "webbrowser", "antigravity"}
    assert not imported & named_by_the_code, imported
    assert "evil_helpers" not in report["modules"]
    assert all(c in (0, 1) for c in report["codes"])
    assert sorted(p.name for p in marks.iterdir()) == []
    _assert_no_connection(listener)


# ------------------------------------------------------------------------------------- the evaluator


class _NoNames:
    def qualified(self, node: cst.BaseExpression) -> str | None:
        if isinstance(node, cst.Attribute) and isinstance(node.value, cst.Name) and node.value.value == "math":
            return f"math.{node.attr.value}"
        return None

    def resolve(self, node: cst.BaseExpression) -> Any:
        raise EvalError("unknown name")

    def function(self, name: str) -> None:
        return None


def _eval(source: str, budget: Budget | None = None) -> Any:
    return evaluate_expression(cst.parse_expression(source), _NoNames(), budget)


@pytest.mark.parametrize("source, reason", [
    ("__import__('os').system('touch pwned')", "unknown function __import__"),
    ("open('pwned', 'w')", "unknown function open"),
    ("eval('1')", "unknown function eval"),
    ("exec('x = 1')", "unknown function exec"),
    ("compile('1', 'f', 'eval')", "unknown function compile"),
    ("getattr(math, 'pi')", "unknown function getattr"),
    ("globals()", "unknown function globals"),
    ("input()", "unknown function input"),
    ("breakpoint()", "unknown function breakpoint"),
    ("().__class__.__bases__[0].__subclasses__()", "attribute access"),
    ("(1).__class__", "attribute access"),
    ("math.__loader__", "math.__loader__"),
    ("math.sys", "math.sys"),
    # pure str methods are evaluated (value_methods.py); anything else of a string is not
    ("''.__class__.__mro__", "str.__class__ is not evaluated"),
    ("'a'.encode()", "str.encode is not evaluated"),
    ("{}.__class__", "dict.__class__ is not evaluated"),
    ("{}.update(a=1)", "dict.update is not evaluated"),
    ("f'{1}'", "f-strings"),
    ("'%s' % 1", "formatting"),
])
def test_the_evaluator_refuses_everything_but_plain_values(source: str, reason: str, tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(EvalError) as info:
        _eval(source)
    assert reason in str(info.value)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("source, reason", [
    ("10 ** 10 ** 10", "integer too large"),
    ("1 << 10 ** 6", "integer too large"),
    ("pow(2, 10 ** 6)", "integer too large"),
    ("'a' * 10 ** 9", "too large"),
    ("[0] * 10 ** 9", "too large"),
    ("sum(range(10 ** 12))", "range too large"),
    ("[x for x in range(10 ** 12)]", "step budget"),
    ("any(x < 0 for x in range(10 ** 12))", "step budget"),
    ("(lambda f: f(f))(lambda f: f(f))", "recursion"),
    ("1e308 * 10", "float overflow"),
    ("math.exp(10 ** 6)", "overflow"),
    ("int('9' * 5000)", "too long"),
])
def test_the_evaluator_is_bounded(source: str, reason: str) -> None:
    t0 = time.thread_time()
    with pytest.raises(EvalError) as info:
        _eval(source)
    assert reason in str(info.value)
    assert time.thread_time() - t0 < 2.0


def test_the_evaluator_time_budget_stops_a_slow_loop() -> None:
    budget = Budget(max_steps=10 ** 9, max_seconds=0.3)
    t0 = time.thread_time()
    with pytest.raises(EvalError, match="time budget"):
        _eval("[len([x for x in range(99999)]) for y in range(99999)]", budget)
    assert time.thread_time() - t0 < 2.0


def test_the_evaluator_computes_plain_math() -> None:
    assert _eval("0.1 * 0.5 * (1 + math.cos(math.pi * 3 / 10))") == pytest.approx(0.1 * 0.5 * (1 + 0.5877852522924731))
    assert _eval("max(1, min(3, 2)) + sum([1, 2, 3])") == 8
