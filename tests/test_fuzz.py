"""Fuzzing the whole pipeline: generated training scripts and mutated fixtures, every output format.

Inputs come from two sources, both driven by a ``random.Random`` so that ``bench/fuzz.py`` (the long run)
and the hypothesis tests here share them:

* :func:`generate_script` writes a training script from parts (imports and aliases, argparse defaults, a
  YAML/JSON config, optimizers, schedulers with plausible and absurd arguments, epoch and batch loops,
  ``step()`` calls in odd places, lambdas and ``def`` schedules, manual ``param_groups`` writes, framework
  code), optionally as a notebook;
* :func:`mutate` deletes, duplicates and swaps tokens and lines of a fixture (or a generated script), swaps
  numbers for extreme ones and damages bytes (NUL, BOM, invalid UTF-8, coding cookies).

:func:`run_pipeline` sends one input through ``analyze_bytes`` and every renderer (check: json, text,
sarif, github; explain: json, text; notes). The properties: no exception escapes, and the file never ends
in an *internal* error (a bad input is an LR901 finding or a per-file error that says why, never a bug).
"""

from __future__ import annotations

import json
import random
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

ROOT = Path(__file__).resolve().parents[1]
FIXTURE_DIRS = (ROOT / "fixtures" / "examples", ROOT / "fixtures" / "frameworks", ROOT / "fixtures" / "rules")

# --------------------------------------------------------------------------------------- generation

OPTIMIZERS = (
    "torch.optim.SGD", "torch.optim.Adam", "torch.optim.AdamW", "torch.optim.RMSprop", "torch.optim.Adagrad",
    "optim.SGD", "optim.Adam", "SGD", "Adam", "torch.optim.LBFGS", "torch.optim.NAdam", "torch.optim.Unknown",
)
SCHEDULERS: dict[str, tuple[str, ...]] = {
    "StepLR": ("step_size", "gamma", "last_epoch"),
    "MultiStepLR": ("milestones", "gamma"),
    "ExponentialLR": ("gamma",),
    "CosineAnnealingLR": ("T_max", "eta_min"),
    "CosineAnnealingWarmRestarts": ("T_0", "T_mult", "eta_min"),
    "OneCycleLR": ("max_lr", "total_steps", "epochs", "steps_per_epoch", "pct_start", "anneal_strategy",
                   "div_factor", "final_div_factor", "three_phase"),
    "CyclicLR": ("base_lr", "max_lr", "step_size_up", "step_size_down", "mode", "gamma"),
    "LinearLR": ("start_factor", "end_factor", "total_iters"),
    "ConstantLR": ("factor", "total_iters"),
    "PolynomialLR": ("total_iters", "power"),
    "LambdaLR": ("lr_lambda",),
    "MultiplicativeLR": ("lr_lambda",),
    "ReduceLROnPlateau": ("mode", "factor", "patience", "threshold", "cooldown", "min_lr"),
    "SequentialLR": ("schedulers", "milestones"),
    "ChainedScheduler": ("schedulers",),
    "NoSuchLR": ("x",),
}
NUMBERS = (
    "0", "1", "-1", "2", "3", "7", "10", "30", "90", "100", "1000", "10**6", "10**12", "2**63", "10**400",
    "0.1", "0.5", "0.9", "0.99", "1.0", "1e-3", "3e-4", "0.0", "-0.5", "1e308", "1e-320", "float('nan')",
    "float('inf')", "-float('inf')", "True", "False", "None", "1_000", "0x10", "1j",
)
STRINGS = ("'min'", "'max'", "'cos'", "'linear'", "'triangular'", "'exp_range'", "''", "'abc'", "b'x'",
           "'a' * 10**6")
EXPRS = (
    "args.lr", "args.epochs", "cfg['lr']", "cfg['optim']['lr']", "config.lr", "LR", "EPOCHS", "len(loader)",
    "len(train_loader) * EPOCHS", "EPOCHS // 3", "math.cos(math.pi * 0.5)", "LR * 0.1", "max(1, EPOCHS)",
    "[30, 60, 90]", "[]", "[10**9]", "(EPOCHS, 2 * EPOCHS)", "[x * 10 for x in range(3)]", "lambda e: 0.95 ** e",
    "lambda e: e", "lambda e: 1 / e", "lambda e: [0.9] * 10**5", "lambda e: undefined_name(e)", "sched",
    "opt", "optimizer.param_groups[0]['lr']", "{'lr': 0.1}", "os.environ['LR']", "sys.argv[1]",
)


def value(rng: random.Random) -> str:
    pool = rng.choice((NUMBERS, NUMBERS, STRINGS, EXPRS, EXPRS))
    v = rng.choice(pool)
    if rng.random() < 0.1:
        v = f"{v} {rng.choice('+-*/%')} {rng.choice(NUMBERS)}"
    if rng.random() < 0.05:
        v = f"({v} if args.resume else {rng.choice(NUMBERS)})"
    return v


def _call(rng: random.Random, func: str, params: tuple[str, ...], first: str | None) -> str:
    args = [first] if first else []
    keywords = False
    for p in params:
        if rng.random() < 0.6:
            keywords = keywords or rng.random() < 0.85
            args.append(f"{p}={value(rng)}" if keywords else value(rng))
    if rng.random() < 0.05:
        args.append("**kwargs")
    return f"{func}({', '.join(args)})"


SCHEDULE_FUNCS = (
    "def get_lr(it):\n    if it < WARMUP:\n        return LR * it / WARMUP\n"
    "    ratio = (it - WARMUP) / (MAX_ITERS - WARMUP)\n"
    "    return MIN_LR + 0.5 * (1 + math.cos(math.pi * ratio)) * (LR - MIN_LR)\n",
    "def adjust_learning_rate(optimizer, epoch):\n    lr = LR * (0.1 ** (epoch // 30))\n"
    "    for g in optimizer.param_groups:\n        g['lr'] = lr\n",
    "def lr_lambda(step):\n    while True:\n        step += 1\n    return step\n",
    "def lr_lambda(step):\n    return lr_lambda(step + 1)\n",
    "def lr_lambda(step):\n    return open('/tmp/lraudit-fuzz-should-not-exist', 'w')\n",
    "def lr_lambda(step):\n    x = [0] * 10**5\n    return sum(x) + 10 ** 10 ** 10\n",
    "def warmup(step, total=EPOCHS):\n    return min(1.0, (step + 1) / max(1, total))\n",
)
LOOPS = (
    "for epoch in range({n}):\n    for batch in loader:\n        loss = model(batch)\n        loss.backward()\n"
    "        {opt}.step()\n        {inner}\n    {outer}\n",
    "for epoch in range({n}):\n    train(model, loader, {opt})\n    {outer}\n",
    "step = 0\nwhile step < {n}:\n    {opt}.step()\n    {inner}\n    step += 1\n",
    "for it, batch in enumerate(loader):\n    lr = get_lr(it)\n    for g in {opt}.param_groups:\n"
    "        g['lr'] = lr\n    {opt}.step()\n",
    "for epoch in range({n}):\n    {outer}\n    for batch in loader:\n        {opt}.step()\n",
)
HEADERS = (
    "import math\nimport os\nimport sys\nimport torch\nimport torch.nn as nn\nfrom torch import optim\n"
    "from torch.optim import SGD, Adam\nfrom torch.optim.lr_scheduler import *\n",
    "import torch\nfrom torch.optim import lr_scheduler as sch\n",
    "import argparse\nimport math\nimport torch\nparser = argparse.ArgumentParser()\n"
    "parser.add_argument('--lr', type=float, default={v})\nparser.add_argument('--epochs', type=int, default={w})\n"
    "parser.add_argument('--resume', action='store_true')\nargs = parser.parse_args()\n",
    "import yaml, json, math, torch\ncfg = yaml.safe_load(open('config.yaml'))\n",
    "import json, torch\nwith open('config.json') as f:\n    cfg = json.load(f)\n",
)
FRAMEWORK_SNIPPETS = (
    "from transformers import get_linear_schedule_with_warmup, get_cosine_schedule_with_warmup\n"
    "scheduler = get_linear_schedule_with_warmup(opt, num_warmup_steps={v}, num_training_steps={w})\n",
    "from transformers import TrainingArguments, Trainer\n"
    "targs = TrainingArguments('out', learning_rate={v}, num_train_epochs={w}, warmup_ratio=0.1, "
    "lr_scheduler_type={s})\ntrainer = Trainer(model=model, args=targs)\ntrainer.train()\n",
    "import keras\nsched = keras.optimizers.schedules.ExponentialDecay({v}, decay_steps={w}, decay_rate=0.9)\n"
    "model.compile(optimizer=keras.optimizers.Adam(learning_rate=sched))\nmodel.fit(x, y, epochs={w})\n",
    "import lightning as L\nclass M(L.LightningModule):\n    def configure_optimizers(self):\n"
    "        opt = torch.optim.Adam(self.parameters(), lr={v})\n"
    "        sched = torch.optim.lr_scheduler.StepLR(opt, step_size={w})\n"
    "        return {{'optimizer': opt, 'lr_scheduler': {{'scheduler': sched, 'interval': {s}}}}}\n",
    "from timm.scheduler import create_scheduler\nlr_scheduler, num_epochs = create_scheduler(args, opt)\n",
)


def generate_script(rng: random.Random) -> str:
    """A training script built from random parts (valid Python most of the time, absurd values often)."""
    out = [rng.choice(HEADERS).format(v=value(rng), w=value(rng))]
    out.append(f"LR = {value(rng)}\nEPOCHS = {value(rng)}\nWARMUP = {value(rng)}\nMAX_ITERS = {value(rng)}\n"
               f"MIN_LR = {value(rng)}\n")
    if rng.random() < 0.4:
        out.append(rng.choice(SCHEDULE_FUNCS))
    optimizers = []
    for k in range(rng.choice((1, 1, 1, 2))):
        name = rng.choice(("opt", "optimizer", f"opt{k}", "self.opt"))
        params = rng.choice(("model.parameters()", "[{'params': a, 'lr': 0.01}, {'params': b}]", "params", "[]"))
        call = _call(rng, rng.choice(OPTIMIZERS), ("lr", "momentum", "weight_decay", "betas", "eps"), params)
        out.append(f"{name} = {call}\n")
        optimizers.append(name)
    scheds = []
    for k in range(rng.choice((0, 1, 1, 1, 2, 3))):
        cls = rng.choice(tuple(SCHEDULERS))
        prefix = rng.choice(("torch.optim.lr_scheduler.", "optim.lr_scheduler.", "", "sch."))
        first = rng.choice(optimizers) if rng.random() < 0.9 else value(rng)
        if cls in ("SequentialLR", "ChainedScheduler") and scheds:
            call = f"{prefix}{cls}({first}, schedulers=[{', '.join(scheds)}], milestones=[{value(rng)}])"
        else:
            call = _call(rng, prefix + cls, SCHEDULERS[cls], first)
        name = rng.choice(("scheduler", "sched", f"s{k}", "lr_scheduler"))
        out.append(f"{name} = {call}\n")
        scheds.append(name)
    if rng.random() < 0.2:
        out.append(rng.choice(FRAMEWORK_SNIPPETS).format(v=value(rng), w=value(rng), s=rng.choice(STRINGS)))
    for _ in range(rng.choice((0, 1, 1, 2))):
        opt = rng.choice(optimizers)
        sched = rng.choice(scheds) if scheds else opt
        step = rng.choice((f"{sched}.step()", f"{sched}.step(val_loss)", f"{sched}.step(epoch)", "pass",
                           f"{opt}.zero_grad()", f"{sched}.last_epoch = -1", f"{sched}.load_state_dict(ckpt)"))
        inner, outer = (step, "pass") if rng.random() < 0.5 else ("pass", step)
        out.append(rng.choice(LOOPS).format(n=value(rng), opt=opt, inner=inner, outer=outer))
    if rng.random() < 0.1:
        out.append("if __name__ == '__main__':\n    main()\n")
    return "".join(out)


def generate_config(rng: random.Random, kind: str) -> str:
    """A small YAML or JSON config the scripts above may read (sometimes broken or hostile)."""
    data = {"lr": rng.choice((0.1, 1e-3, -1, 0, "0.1", None, [1, 2], {"a": 1}, 1e308)),
            "epochs": rng.choice((10, 0, -5, 10**12, 2.5, "ten")),
            "optim": {"lr": rng.choice((0.01, None, "x")), "name": "sgd"}}
    text = json.dumps(data) if kind == "json" else "\n".join(f"{k}: {json.dumps(v)}" for k, v in data.items())
    r = rng.random()
    if r < 0.05:
        text = "a: &a [1, *a]\n" + text if kind == "yaml" else text[:-3]
    elif r < 0.1:
        text = "!!python/object/apply:os.system ['echo pwned']\n"
    elif r < 0.15:
        text = "x: [" * 300 + "]" * 300 if kind == "yaml" else "[" * 3000 + "]" * 3000
    return text + "\n"


def as_notebook(rng: random.Random, script: str) -> str:
    """The script split into notebook cells, with a few IPython lines and a markdown cell."""
    lines = script.splitlines(keepends=True)
    cells: list[dict[str, Any]] = [{"cell_type": "markdown", "metadata": {}, "source": ["# Training\n"]}]
    i = 0
    while i < len(lines):
        n = rng.randint(1, 12)
        src = lines[i:i + n]
        i += n
        if rng.random() < 0.15:
            src.insert(0, rng.choice(("%matplotlib inline\n", "!pip install torch\n", "%%time\n", "%%bash\n",
                                      "model?\n", "files = !ls\n")))
        cells.append({"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [], "source": src})
    nb = {"cells": cells, "metadata": {"kernelspec": {"language": "python", "name": "python3"}}, "nbformat": 4,
          "nbformat_minor": 5}
    return json.dumps(nb, indent=1)


# ----------------------------------------------------------------------------------------- mutation

_TOKEN = re.compile(r"\s+|\w+|\"[^\"\n]*\"|'[^'\n]*'|.", re.S)
EXTREME = ("0", "-1", "10**100", "1e308", "float('nan')", "9" * 5000, "(", ")", ":", "lambda:", "\\", "'''",
           "\x00", "\ufeff", "é", "\t", "    ", "\r", "#", "@", "await ", "yield ", "*", "**", "...")


def mutate(rng: random.Random, text: str, rounds: int | None = None) -> str:
    """Delete, duplicate and swap tokens and lines; replace numbers by extreme values; insert odd text."""
    for _ in range(rounds or rng.randint(1, 6)):
        op = rng.randrange(9)
        if op < 4:
            toks = _TOKEN.findall(text)
            if not toks:
                continue
            i, j = rng.randrange(len(toks)), rng.randrange(len(toks))
            if op == 0:
                del toks[i]
            elif op == 1:
                toks.insert(i, toks[i])
            elif op == 2:
                toks[i], toks[j] = toks[j], toks[i]
            else:
                nums = [k for k, t in enumerate(toks) if t[:1].isdigit()]
                k = rng.choice(nums) if nums else i
                toks[k] = rng.choice(EXTREME)
            text = "".join(toks)
        else:
            lines = text.splitlines(keepends=True) or [""]
            i, j = rng.randrange(len(lines)), rng.randrange(len(lines))
            if op == 4:
                del lines[i]
            elif op == 5:
                lines.insert(i, lines[i] * rng.choice((1, 1, 2, 50)))
            elif op == 6:
                lines[i], lines[j] = lines[j], lines[i]
            elif op == 7:
                lines[i] = rng.choice(("", "    ", "\t", " ")) + lines[i]
            else:
                lines.insert(i, rng.choice(EXTREME) + "\n")
            text = "".join(lines)
    return text


def mutate_bytes(rng: random.Random, data: bytes) -> bytes:
    """Encoding-level damage: NUL bytes, a BOM, invalid UTF-8, a coding cookie, a truncated file."""
    op = rng.randrange(6)
    if op == 0 and data:
        i = rng.randrange(len(data))
        return data[:i] + rng.choice((b"\x00", b"\xff", b"\xc3", b"\xe2\x82", b"\xed\xa0\x80")) + data[i:]
    if op == 1:
        return b"\xef\xbb\xbf" + data
    if op == 2:
        cookie = rng.choice((b"latin-1", b"utf-8", b"ascii", b"cp1252", b"utf-16", b"bogus-codec", b"rot13"))
        return b"# -*- coding: " + cookie + b" -*-\n" + data
    if op == 3:
        return data[: rng.randrange(len(data) + 1)]
    if op == 4:
        return data.replace(b"\n", b"\r\n") if rng.random() < 0.5 else data.replace(b"\n", b"\r")
    return bytes(rng.randrange(256) for _ in range(rng.randrange(1, 200)))


def fixture_texts() -> list[tuple[str, str]]:
    """(name, text) of every fixture script and notebook, sorted by name."""
    out = []
    for d in FIXTURE_DIRS:
        if d.is_dir():
            for p in sorted(d.rglob("*")):
                if p.suffix in (".py", ".ipynb") and p.is_file():
                    out.append((str(p.relative_to(ROOT)), p.read_text(encoding="utf-8", errors="replace")))
    return out


@dataclass
class FuzzInput:
    name: str  # file name (its suffix decides notebook or script)
    data: bytes
    configs: dict[str, str]  # other files written next to it


def make_input(rng: random.Random, fixtures: list[tuple[str, str]]) -> FuzzInput:
    """One input: a generated or mutated script (or notebook), with configs next to it."""
    r = rng.random()
    if r < 0.4 or not fixtures:
        text = generate_script(rng)
        if rng.random() < 0.3:
            text = mutate(rng, text)
    else:
        name, text = rng.choice(fixtures)
        if name.endswith(".ipynb"):
            return FuzzInput("train.ipynb", mutate(rng, text, rng.randint(1, 3)).encode("utf-8", "surrogatepass"),
                             {})
        text = mutate(rng, text)
    configs = {"config.yaml": generate_config(rng, "yaml"), "config.json": generate_config(rng, "json")}
    if rng.random() < 0.15:
        return FuzzInput("train.ipynb", as_notebook(rng, text).encode("utf-8", "surrogatepass"), configs)
    data = text.encode("utf-8", "surrogatepass")
    if rng.random() < 0.1:
        data = mutate_bytes(rng, data)
    return FuzzInput("train.py", data, configs)


# --------------------------------------------------------------------------------------- the pipeline

# Internal errors the fuzzer finds in code this suite does not own: each has a strict-xfail case in
# tests/regressions/corpus (remove the entry when that case starts passing). Format: see ``signature``.
KNOWN_BUGS: frozenset[str] = frozenset()


def signature(error: str) -> str:
    """``ExceptionType at module.py:function`` (the innermost lraudit frame) of an internal error's text."""
    frames = re.findall(r'File "[^"]*?lraudit[/\\]([^"]+)", line \d+, in (\S+)', error)
    m = re.search(r"internal error: (\w+)", error)
    exc = m.group(1) if m else "?"
    if not frames:
        return exc
    path, func = frames[-1]
    return f"{exc} at {path.replace(chr(92), '/')}:{func}"


class InternalError(AssertionError):
    """The input ended in an internal error: a bug, even though the run went on."""

    def __init__(self, display: str, error: str) -> None:
        self.signature = signature(error)
        self.known = self.signature in KNOWN_BUGS
        super().__init__(f"{display}: {self.signature}{' (known bug)' if self.known else ''}\n{error}")


def analyse_and_render(data: bytes, path: str, display: str) -> tuple[Any, dict[str, str]]:
    """``analyze_bytes`` (with tracebacks kept) and every renderer: (the FileResult, each format's output)."""
    from lraudit import __version__
    from lraudit.analyze import AnalysisOptions, analyze_bytes
    from lraudit.engine import bound_rules
    from lraudit.render.check_json import render_check_json
    from lraudit.render.check_text import render_findings_text
    from lraudit.render.explain_json import render_explain_json
    from lraudit.render.explain_text import render_explain_text
    from lraudit.render.github import render_github
    from lraudit.render.notes import render_notes
    from lraudit.render.sarif import render_sarif

    rules = [r for r, _ in bound_rules().values()]
    result = analyze_bytes(data, path, display, AnalysisOptions(debug=True))
    errors = [(result.path, result.error)] if result.error else []
    findings = result.findings
    outputs = {
        "check-json": render_check_json(findings, errors, 1, __version__),
        "check-text": render_findings_text(findings, errors, 1, False),
        "sarif": render_sarif(findings, errors, rules, __version__),
        "github": render_github(findings, errors),
        "explain-json": render_explain_json([result], errors, __version__),
        "explain-text": render_explain_text([result], errors),
        "notes": render_notes([result], errors, {r.code: r for r in rules}, version=__version__),
    }
    json.loads(outputs["check-json"])
    json.loads(outputs["sarif"])
    json.loads(outputs["explain-json"])
    return result, outputs


def run_pipeline(data: bytes, path: str, display: str) -> dict[str, str]:
    """Every format's output for one input; raises InternalError when the file ended in an internal error."""
    result, outputs = analyse_and_render(data, path, display)
    if result.error and "internal error" in result.error:
        raise InternalError(display, result.error)
    return outputs


def run_input(inp: FuzzInput, directory: Path) -> dict[str, str]:
    """Write ``inp`` (and its configs) into ``directory`` and run the pipeline on it."""
    for name, text in inp.configs.items():
        (directory / name).write_text(text, encoding="utf-8")
    path = directory / inp.name
    path.write_bytes(inp.data)
    return run_pipeline(inp.data, str(path), inp.name)


def check_input(inp: FuzzInput, directory: Path) -> None:
    """The fuzz property: nothing escapes, and no internal error other than the known bugs."""
    try:
        run_input(inp, directory)
    except InternalError as exc:
        if not exc.known:
            raise


# -------------------------------------------------------------------------------------------- tests

FIXTURES = fixture_texts()
CI = settings(max_examples=100, deadline=None, derandomize=True, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("fuzz")


def test_the_fixtures_are_found() -> None:
    assert len(FIXTURES) >= 30
    assert all(n.endswith((".py", ".ipynb")) for n, _ in FIXTURES)


def test_generated_scripts_are_mostly_valid_python() -> None:
    import ast

    rng = random.Random(7)
    ok = 0
    for _ in range(50):
        try:
            ast.parse(generate_script(rng))
            ok += 1
        except SyntaxError:
            pass
    assert ok >= 40  # the generator exercises analysis, not only the parse-error path


def test_mutations_change_the_text_deterministically() -> None:
    text = "x = 1\ny = 2\nopt = SGD(p, lr=0.1)\n"
    a = [mutate(random.Random(s), text) for s in range(20)]
    b = [mutate(random.Random(s), text) for s in range(20)]
    assert a == b
    assert sum(m != text for m in a) >= 15


@CI
@given(seed=st.integers(min_value=0, max_value=2**32 - 1))
def test_generated_scripts_never_escape(seed: int, workdir: Path) -> None:
    rng = random.Random(seed)
    text = generate_script(rng)
    inp = FuzzInput("train.py", text.encode(), {"config.yaml": generate_config(rng, "yaml"),
                                                "config.json": generate_config(rng, "json")})
    check_input(inp, workdir)


@CI
@given(seed=st.integers(min_value=0, max_value=2**32 - 1))
def test_mutated_fixtures_never_escape(seed: int, workdir: Path) -> None:
    rng = random.Random(seed)
    name, text = rng.choice(FIXTURES)
    suffix = ".ipynb" if name.endswith(".ipynb") else ".py"
    data = mutate(rng, text).encode("utf-8", "surrogatepass")
    check_input(FuzzInput("mutated" + suffix, data, {}), workdir)


@CI
@given(seed=st.integers(min_value=0, max_value=2**32 - 1))
def test_damaged_bytes_and_notebooks_never_escape(seed: int, workdir: Path) -> None:
    rng = random.Random(seed)
    text = generate_script(rng)
    check_input(FuzzInput("nb.ipynb", as_notebook(rng, text).encode(), {}), workdir)
    check_input(FuzzInput("bytes.py", mutate_bytes(rng, text.encode()), {}), workdir)


@settings(max_examples=150, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(source=st.text(alphabet=st.sampled_from(list("()[]{}:=+-*/.,'\"#\\\n \tlambdaoptimSGDlr0123456789_")),
                      max_size=300))
def test_arbitrary_text_never_escapes(source: str, workdir: Path) -> None:
    check_input(FuzzInput("t.py", ("import torch\n" + source).encode("utf-8", "surrogatepass"), {}), workdir)


def test_mixed_inputs_from_one_seed(workdir: Path) -> None:
    """The same mix bench/fuzz.py runs for minutes, a few dozen inputs of it."""
    rng = random.Random(20240607)
    for _ in range(30):
        check_input(make_input(rng, FIXTURES), workdir)


def test_pipeline_output_is_the_same_twice(workdir: Path) -> None:
    rng = random.Random(99)
    inp = make_input(rng, FIXTURES)
    data = inp.data
    assert analyse_and_render(data, str(workdir / inp.name), inp.name)[1] == \
        analyse_and_render(data, str(workdir / inp.name), inp.name)[1]


def test_pipeline_reports_an_internal_error_as_such(workdir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import lraudit.extract.build as build

    def boom(*args: Any, **kwargs: Any) -> Any:
        raise ValueError("planted bug")

    monkeypatch.setattr(build, "extract", boom)
    with pytest.raises(InternalError, match="planted bug") as info:
        run_pipeline(b"import torch\nopt = torch.optim.SGD(p, lr=0.1)\n", str(workdir / "x.py"), "x.py")
    assert info.value.signature.startswith("ValueError at ")
    assert not info.value.known
