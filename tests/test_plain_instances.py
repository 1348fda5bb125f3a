"""Objects of plain classes of the analysed code and yolov5-style checked file paths (instances.py, value_methods.py).

* ``LambdaLR(opt, lr_lambda=Decay(...).step)`` with ``Decay`` a plain class of another module (PyTorch-GAN): the
  evaluator builds the object by running its ``__init__`` and the bound method is the schedule; the curve must be
  torch's own, checked here against the real ``torch.optim.lr_scheduler`` driven by real instances of the same
  classes (the fixture module is imported by this test only; lraudit never imports it).
* ``opt.hyp = check_yaml(opt.hyp)`` (yolov5): the helper's ``Path(f).suffix.lower()``, ``str(file)`` and
  ``os.path.isfile(file)`` are evaluated, the file system answered only inside the repository.
* Bad input: an ``__init__`` that reads an unknown, a method that never ends, a path outside the repository, a
  missing file, a relative path whose answer depends on where the run starts: unknown with a reason, never a crash.
"""

from __future__ import annotations

import importlib.util
import math
import os
from pathlib import Path
from typing import Any

import libcst as cst
import pytest

from lraudit import repository
from lraudit.analyze import AnalysisOptions, analyze_path
from lraudit.evaluate import EvalError, call_function
from lraudit.extract.build import extract
from lraudit.facts import FunctionValue, Known
from lraudit.simulate import SimOptions, simulate_scheduler
from lraudit.value_methods import FileSystemView

ROOT = Path(__file__).resolve().parent.parent
GAN = ROOT / "fixtures" / "repos" / "class_lambda"
HYP = ROOT / "fixtures" / "repos" / "checked_hyp"


pytestmark = pytest.mark.usefixtures("fresh_repository_model")


def _facts(repo: Path, rel: str, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.chdir(repo)
    path = os.path.abspath(rel)
    text = Path(path).read_text()
    return extract(cst.parse_module(text), path, text=text, display=rel).facts


def _write(root: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)


# ------------------------------------------------------------------------------------------ torch parity

def _real_utils() -> Any:
    spec = importlib.util.spec_from_file_location("gan_fixture_utils", GAN / "gan" / "utils.py")
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_plain_class_schedules_match_torch(monkeypatch: pytest.MonkeyPatch) -> None:
    torch = pytest.importorskip("torch")
    utils = _real_utils()
    facts = _facts(GAN, "gan/train.py", monkeypatch)
    assert [s.cls.rsplit(".", 1)[-1] for s in facts.schedulers] == ["LambdaLR", "MultiplicativeLR", "LambdaLR"]

    def real(kind: str, lr: float, fn: Any) -> list[float]:
        p = torch.nn.Parameter(torch.zeros(1))
        opt = torch.optim.SGD([p], lr=lr)
        cls = getattr(torch.optim.lr_scheduler, kind)
        sched = cls(opt, lr_lambda=fn)
        out = [sched.get_last_lr()[0]]
        for _ in range(39):
            opt.step()
            sched.step()
            out.append(sched.get_last_lr()[0])
        return out

    expected = [
        real("LambdaLR", 0.0002, utils.LambdaLR(40, 0, 20).step),
        real("MultiplicativeLR", 0.1, utils.Decay(0.9, every=3)),
        real("LambdaLR", 0.01, utils.WarmupThenDecay(5, 40, 30).step),
    ]
    for s, want in zip(facts.schedulers, expected):
        curve = simulate_scheduler(facts, s, SimOptions())
        assert curve.error is None and curve.lr is not None, (s.id, curve.error)
        assert len(curve.lr) == 40
        for k, (got, w) in enumerate(zip(curve.lr, want)):
            assert math.isclose(got, w, rel_tol=1e-9, abs_tol=1e-15), (s.cls, k, got, w)


def test_a_stateful_method_starts_from_a_fresh_object_in_every_simulation(monkeypatch: pytest.MonkeyPatch) -> None:
    facts = _facts(GAN, "gan/train.py", monkeypatch)
    s = facts.schedulers[2]  # WarmupThenDecay.step counts its calls in self.calls
    first = simulate_scheduler(facts, s, SimOptions())
    second = simulate_scheduler(facts, s, SimOptions())
    assert first.lr == second.lr and first.lr is not None
    obj = dict(s.args["lr_lambda"].value.bound)["self"]  # type: ignore[union-attr]
    assert obj.attrs["calls"] == 0  # the object in the facts is never changed by a simulation


def test_the_bound_method_and_the_object_are_described(monkeypatch: pytest.MonkeyPatch) -> None:
    facts = _facts(GAN, "gan/train.py", monkeypatch)
    lam = facts.schedulers[0].args["lr_lambda"]
    assert isinstance(lam, Known) and isinstance(lam.value, FunctionValue)
    assert lam.value.name == "LambdaLR.step"
    assert "LambdaLR() at train.py:22" in lam.source and "gan/utils.py:4" in lam.source
    obj = facts.schedulers[1].args["lr_lambda"]
    assert isinstance(obj, Known) and repr(obj.value) == "<Decay object>"


# ------------------------------------------------------------------------------------------ bad objects

BAD_CLASSES = {
    "init reads an unknown": (
        "class Sched:\n    def __init__(self, n):\n        self.n = n\n        self.k = torch.cuda.device_count()\n"
        "    def step(self, e):\n        return 1.0 / (1 + e * self.k)\n",
        "Sched(10).step", "torch.cuda.device_count"),
    "method loops forever": (
        "class Sched:\n    def __init__(self, n):\n        self.n = n\n"
        "    def step(self, e):\n        while True:\n            e += 1\n        return 1.0\n",
        "Sched(10).step", "budget exceeded"),
    "method recurses without end": (
        "class Sched:\n    def __init__(self, n):\n        self.n = n\n"
        "    def step(self, e):\n        return self.step(e + 1)\n",
        "Sched(10).step", "recursion too deep"),
    "init loops forever": (
        "class Sched:\n    def __init__(self, n):\n        while n > 0:\n            n += 1\n"
        "    def step(self, e):\n        return 1.0\n",
        "Sched(10).step", "budget exceeded"),
    "init fails an assert": (
        "class Sched:\n    def __init__(self, n, start):\n        assert n - start > 0, 'bad'\n        self.n = n\n"
        "    def step(self, e):\n        return 1.0\n",
        "Sched(10, 20).step", "assertion failed"),
    "field never set": (
        "class Sched:\n    def __init__(self, n):\n        self.n = n\n"
        "    def step(self, e):\n        return e / self.total\n",
        "Sched(10).step", "has no attribute total"),
    "object not callable": (
        "class Sched:\n    def __init__(self, n):\n        self.n = n\n",
        "Sched(10)", "defines no __call__"),
    "class of a library base": (
        "class Sched(torch.nn.Module):\n    def step(self, e):\n        return 1.0\n",
        "Sched().step", "not a plain class the evaluator follows"),
    "argument unknown": (
        "class Sched:\n    def __init__(self, n):\n        self.n = n\n    def step(self, e):\n        return 1.0\n",
        "Sched(int(os.environ['N'])).step", "not known"),
}


@pytest.mark.parametrize("case", sorted(BAD_CLASSES))
def test_objects_the_evaluator_cannot_build_stay_unknown(case: str, tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    cls_src, expr, reason = BAD_CLASSES[case]
    _write(tmp_path, {
        "pyproject.toml": "",
        "sched.py": "import torch\n\n" + cls_src,
        "train.py": ("import os\nimport torch\nfrom sched import Sched\n"
                     "opt = torch.optim.SGD(torch.nn.Linear(1, 1).parameters(), lr=0.1)\n"
                     f"s = torch.optim.lr_scheduler.LambdaLR(opt, lr_lambda={expr})\n"
                     "for epoch in range(5):\n    opt.step()\n    s.step()\n"),
    })
    monkeypatch.chdir(tmp_path)
    r = analyze_path(str(tmp_path / "train.py"), "train.py", AnalysisOptions())
    assert r.error is None
    (s,) = r.schedulers
    assert s["lr"] is None
    why = s["args"]["lr_lambda"].get("unresolved") or s["summary"]
    assert reason in why or reason in s["summary"], (why, s["summary"])


def test_a_class_defined_in_the_file_and_called_inside_a_schedule_function(tmp_path: Path,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    _write(tmp_path, {
        "pyproject.toml": "",
        "train.py": ("import torch\n"
                     "class Warm:\n    total = 4\n    def __init__(self, base):\n        self.base = base\n"
                     "    def factor(self, e):\n        return self.base * min(1.0, (e + 1) / self.total)\n"
                     "def lr_at(e):\n    w = Warm(0.5)\n    return w.factor(e) if isinstance(w, Warm) else 0.0\n"
                     "opt = torch.optim.SGD(torch.nn.Linear(1, 1).parameters(), lr=0.1)\n"
                     "s = torch.optim.lr_scheduler.LambdaLR(opt, lr_lambda=lr_at)\n"
                     "for epoch in range(6):\n    opt.step()\n    s.step()\n"),
    })
    monkeypatch.chdir(tmp_path)
    r = analyze_path(str(tmp_path / "train.py"), "train.py", AnalysisOptions())
    (s,) = r.schedulers
    assert s["lr"] == pytest.approx([0.1 * 0.5 * min(1.0, (k + 1) / 4) for k in range(6)], rel=1e-12)


# ------------------------------------------------------------------------------------------ checked paths

def test_yolov5_checked_hyperparameter_file(monkeypatch: pytest.MonkeyPatch) -> None:
    facts = _facts(HYP, "train.py", monkeypatch)
    (o,) = facts.optimizers
    assert isinstance(o.lr, Known) and o.lr.value == 0.01 and "hyp.low.yaml" in o.lr.source
    (s,) = facts.schedulers
    curve = simulate_scheduler(facts, s, SimOptions())
    assert curve.lr is not None, curve.error
    for k in (0, 25, 49):
        assert curve.value_at(k) == pytest.approx(0.01 * ((1 - k / 50) * 0.9 + 0.1), rel=1e-12)


def _hyp_repo(tmp_path: Path, default: str, hyp_file: str | None = "data/hyps/hyp.low.yaml") -> Path:
    files = {p.relative_to(HYP).as_posix(): p.read_text() for p in HYP.rglob("*") if p.is_file()}
    files.pop("data/hyps/hyp.low.yaml")
    if hyp_file is not None:
        files[hyp_file] = "lr0: 0.01\nlrf: 0.1\nmomentum: 0.9\n"
    files["train.py"] = files["train.py"].replace('ROOT / "data/hyps/hyp.low.yaml"', default)
    _write(tmp_path / "repo", files)
    return tmp_path / "repo"


@pytest.mark.parametrize("default, hyp_file, reason", [
    # the file does not exist: check_file searches with glob, which is not evaluated
    ('ROOT / "data/hyps/missing.yaml"', "data/hyps/hyp.low.yaml", "glob.glob"),
    # outside the repository: the file system there is not read
    ('"/etc/hyp.yaml"', "data/hyps/hyp.low.yaml", "outside the repository"),
    ('ROOT / "../outside.yaml"', "data/hyps/hyp.low.yaml", "outside the repository"),
    # a wrong suffix fails check_suffix's assert, as the run would
    ('ROOT / "data/hyps/hyp.low.txt"', "data/hyps/hyp.low.txt", "assertion failed"),
    # a URL would be downloaded
    ('"https://example.com/hyp.yaml"', "data/hyps/hyp.low.yaml", "urllib.parse.unquote"),
])
def test_checked_paths_that_cannot_be_known(default: str, hyp_file: str, reason: str, tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    repo = _hyp_repo(tmp_path, default, hyp_file)
    (tmp_path / "outside.yaml").write_text("lr0: 0.5\nlrf: 0.1\nmomentum: 0.9\n")
    monkeypatch.chdir(repo)
    r = analyze_path(str(repo / "train.py"), "train.py", AnalysisOptions())
    assert r.error is None
    (o,) = r.optimizers
    assert o["lr"]["value"] is None and reason in o["lr"]["unresolved"], o["lr"]
    (s,) = r.schedulers
    assert s["lr"] is None


def test_a_relative_path_is_answered_only_when_every_start_directory_agrees(tmp_path: Path,
                                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    repo = _hyp_repo(tmp_path, '"data/hyps/hyp.low.yaml"')
    monkeypatch.chdir(repo)
    r = analyze_path(str(repo / "train.py"), "train.py", AnalysisOptions())
    assert r.optimizers[0]["lr"]["value"] == 0.01  # the script sits at the root: one start directory
    # the same script one level down: the relative path exists from the root, not from the script's directory
    _write(repo, {"tools/train.py": (repo / "train.py").read_text().replace(
        "from utils.general import check_yaml", "import sys\nsys.path.insert(0, '..')\nfrom utils.general import "
        "check_yaml")})
    repository.reset()
    r = analyze_path(str(repo / "tools/train.py"), "tools/train.py", AnalysisOptions())
    lr = r.optimizers[0]["lr"]
    assert lr["value"] is None and "depends on the directory the run starts in" in lr["unresolved"], lr


# ------------------------------------------------------------------------------------------ evaluator level

def _fn(src: str, scope: Any = None) -> FunctionValue:
    node = cst.parse_statement(src)
    assert isinstance(node, cst.FunctionDef)
    return FunctionValue(node, node.name.value, 1, scope=scope)


class _PathScope:
    """Resolves ``Path`` and ``os`` as a file that imports them would."""

    def qualified(self, node: cst.BaseExpression) -> str | None:
        from lraudit.extract.imports import dotted

        text = dotted(node) or ""
        if text == "Path":
            return "pathlib.Path"
        return text if text.startswith("os.") else None

    def resolve(self, node: cst.BaseExpression) -> Any:
        raise EvalError("unknown")

    def function(self, name: str) -> Any:
        return None


@pytest.mark.parametrize("body, args, want", [
    ("return Path(p).suffix.lower()", ["a/B.YAML"], ".yaml"),
    ("return Path(p).stem, Path(p).name, Path(p).suffixes", ["x/y.tar.gz"], ("y.tar", "y.tar.gz", [".tar", ".gz"])),
    ("return str(Path(p).parent / 'hyp.yaml')", ["/r/data/x.yaml"], "/r/data/hyp.yaml"),
    ("return Path(p).with_suffix('.yml').as_posix()", ["a/b.yaml"], "a/b.yml"),
    ("return Path(p).parts", ["/a/b"], ("/", "a", "b")),
    ("return str(Path(p).joinpath('c', 'd'))", ["a"], "a/c/d"),
    ("return p.strip().upper().split('/')", [" a/b "], ["A", "B"]),
    ("return p.startswith(('http:/', 'https:/')), p.endswith('.yaml')", ["https://x/h.yaml"], (True, True)),
    ("return '{}-{:.2f}'.format(p, 0.5)", ["lr"], "lr-0.50"),
    ("return '_'.join([p, p]).replace('a', 'b')", ["a"], "b_b"),
    ("return {'lrf': 0.1}.get(p, 0.2)", ["lr0"], 0.2),
])
def test_pure_str_and_path_methods(body: str, args: list[Any], want: Any) -> None:
    assert call_function(_fn(f"def f(p):\n    {body}\n", _PathScope()), args) == want


@pytest.mark.parametrize("body, reason", [
    ("return 'a'.replace('', 'x' * 50000)", "too large"),
    ("return '{:999999999}'.format(1)", "not evaluated"),
    ("return '{0.__class__}'.format(1)", "attribute or item access"),
    ("return 'a'.encode()", "str.encode is not evaluated"),
    ("return Path('a').open()", "Path.open"),
    ("return Path('a').resolve()", "depends on the directory the run starts in"),
    ("return os.path.isfile('/etc/passwd')", "not read here"),
])
def test_refused_methods(body: str, reason: str) -> None:
    with pytest.raises(EvalError) as info:
        call_function(_fn(f"def f():\n    {body}\n", _PathScope()), [])
    assert reason in str(info.value)


def test_file_system_queries_stay_inside_the_root(tmp_path: Path) -> None:
    _write(tmp_path, {"repo/a.yaml": "x: 1\n", "repo/d/b.yaml": "", "other.yaml": ""})
    fs = FileSystemView(str(tmp_path / "repo"), [str(tmp_path / "repo")])
    fn = _fn("def f(p):\n    return os.path.isfile(p), os.path.isdir(p), Path(p).exists()\n", _PathScope())
    assert call_function(fn, [str(tmp_path / "repo/a.yaml")], filesystem=fs) == (True, False, True)
    assert call_function(fn, ["d"], filesystem=fs) == (False, True, True)
    assert call_function(fn, ["nothere.yaml"], filesystem=fs) == (False, False, False)
    for outside in (str(tmp_path / "other.yaml"), "../other.yaml", "/etc/passwd"):
        with pytest.raises(EvalError, match="outside the repository"):
            call_function(fn, [outside], filesystem=fs)
    os.symlink(tmp_path / "other.yaml", tmp_path / "repo" / "link.yaml")  # a link out of the root is outside
    with pytest.raises(EvalError, match="outside the repository"):
        call_function(fn, ["link.yaml"], filesystem=fs)



def test_yolov7_checked_path_at_module_level_and_a_write_inside_the_same_arm(tmp_path: Path,
                                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """`opt.hyp = check_file(opt.hyp)` at module level reads the option's default (not itself, recursively), and
    `if rank in (-1, 0): opt.hyp = hyp; ...; hyp = opt.hyp` inside the same arm reads the dict written there."""
    _write(tmp_path, {
        "pyproject.toml": "",
        "data/hyp.p5.yaml": "lr0: 0.01\nlrf: 0.1\n",
        "utils/__init__.py": "",
        "utils/general.py": (
            "import glob\nfrom pathlib import Path\n\n\ndef check_file(file):\n"
            "    if Path(file).is_file() or file == '':\n        return file\n    else:\n"
            "        files = glob.glob('./**/' + file, recursive=True)\n"
            "        assert len(files), f'File Not Found: {file}'\n        return files[0]\n"),
        "train.py": (
            "import argparse, math, os\nimport torch, yaml\nfrom utils.general import check_file\n\n\n"
            "def one_cycle(y1=0.0, y2=1.0, steps=100):\n"
            "    return lambda x: ((1 - math.cos(x * math.pi / steps)) / 2) * (y2 - y1) + y1\n\n\n"
            "def train(hyp, opt):\n    epochs = opt.epochs\n    rank = int(os.environ['RANK'])\n"
            "    if rank in [-1, 0]:\n        opt.hyp = hyp\n        logger = make_logger(opt)\n"
            "        if logger.wandb:\n            epochs, hyp = opt.epochs, opt.hyp\n"
            "    optimizer = torch.optim.SGD(torch.nn.Linear(1, 1).parameters(), lr=hyp['lr0'])\n"
            "    lf = one_cycle(1, hyp['lrf'], epochs)\n"
            "    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lr_lambda=lf)\n"
            "    for epoch in range(epochs):\n        optimizer.step()\n        scheduler.step()\n\n\n"
            "if __name__ == '__main__':\n    parser = argparse.ArgumentParser()\n"
            "    parser.add_argument('--hyp', type=str, default='data/hyp.p5.yaml')\n"
            "    parser.add_argument('--epochs', type=int, default=30)\n"
            "    parser.add_argument('--resume', action='store_true')\n    opt = parser.parse_args()\n"
            "    if opt.resume:\n        opt = load_options()\n    else:\n        opt.hyp = check_file(opt.hyp)\n"
            "    with open(opt.hyp) as f:\n        hyp = yaml.load(f, Loader=yaml.SafeLoader)\n    train(hyp, opt)\n"),
    })
    monkeypatch.chdir(tmp_path)
    r = analyze_path(str(tmp_path / "train.py"), "train.py", AnalysisOptions())
    assert r.optimizers[0]["lr"]["value"] == 0.01, r.optimizers[0]["lr"]
    (s,) = r.schedulers
    assert s["lr"] is not None, s["summary"]
    for k in (0, 15, 29):
        f = ((1 - math.cos(k * math.pi / 30)) / 2) * (0.1 - 1) + 1
        assert s["lr"][k] == pytest.approx(0.01 * f, rel=1e-12)


def test_a_scheduler_class_that_keeps_a_plain_helper_object(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A torch scheduler subclass (class_sim) builds a plain helper object in __init__ and asks isinstance() of it."""
    _write(tmp_path, {
        "pyproject.toml": "",
        "train.py": (
            "import torch\n\n\nclass Warm:\n    def __init__(self, n):\n        self.n = n\n\n"
            "    def factor(self, e):\n        return min(1.0, (e + 1) / self.n)\n\n\n"
            "class WarmLR(torch.optim.lr_scheduler.LRScheduler):\n"
            "    def __init__(self, optimizer, n):\n        self.w = Warm(n)\n        super().__init__(optimizer)\n\n"
            "    def get_lr(self):\n        f = self.w.factor(self.last_epoch) if isinstance(self.w, Warm) else 0.0\n"
            "        ok = not isinstance(self, Warm)\n"
            "        return [base * f if ok else 0.0 for base in self.base_lrs]\n\n\n"
            "opt = torch.optim.SGD(torch.nn.Linear(1, 1).parameters(), lr=0.1)\n"
            "s = WarmLR(opt, 4)\nfor epoch in range(6):\n    opt.step()\n    s.step()\n"),
    })
    monkeypatch.chdir(tmp_path)
    r = analyze_path(str(tmp_path / "train.py"), "train.py", AnalysisOptions())
    (s,) = r.schedulers
    assert s["lr"] == pytest.approx([0.1 * min(1.0, (k + 1) / 4) for k in range(6)], rel=1e-12), s["summary"]


def test_a_base_class_imported_from_a_third_module(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _write(tmp_path, {
        "pyproject.toml": "",
        "base.py": "class Base:\n    def __init__(self, total):\n        self.total = total\n\n"
                   "    def frac(self, e):\n        return e / self.total\n",
        "sched.py": "from base import Base\n\n\nclass Linear(Base):\n    def step(self, e):\n"
                    "        return 1.0 - self.frac(e)\n",
        "train.py": ("import torch\nfrom sched import Linear\n"
                     "opt = torch.optim.SGD(torch.nn.Linear(1, 1).parameters(), lr=0.1)\n"
                     "s = torch.optim.lr_scheduler.LambdaLR(opt, lr_lambda=Linear(10).step)\n"
                     "for epoch in range(10):\n    opt.step()\n    s.step()\n"),
    })
    monkeypatch.chdir(tmp_path)
    r = analyze_path(str(tmp_path / "train.py"), "train.py", AnalysisOptions())
    (s,) = r.schedulers
    assert s["lr"] == pytest.approx([0.1 * (1 - k / 10) for k in range(10)], rel=1e-12), s["summary"]
