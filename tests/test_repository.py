"""Whole-repository analysis: the multi-module fixtures of fixtures/repos/ (EXPECTED.yaml) and the repository
model's handling of imports, roots and bad input."""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import Any

import libcst as cst
import pytest
import yaml

from lraudit import repository
from lraudit.analyze import AnalysisOptions, analyze_path
from lraudit.extract.build import extract
from lraudit.facts import Known
from lraudit.simulate import SimOptions, simulate_scheduler

ROOT = Path(__file__).resolve().parent.parent
REPOS = ROOT / "fixtures" / "repos"
EXPECTED: dict[str, Any] = yaml.safe_load((REPOS / "EXPECTED.yaml").read_text())


pytestmark = pytest.mark.usefixtures("fresh_repository_model")


def _close(a: Any, b: Any) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return a == b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-15)
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(_close(x, y) for x, y in zip(a, b))
    return a == b


def _site(loc: Any) -> str:
    return f"{loc.file}:{loc.line}" if loc.file else str(loc.line)


def _facts(name: str, monkeypatch: pytest.MonkeyPatch) -> Any:
    want = EXPECTED[name]
    monkeypatch.chdir(REPOS / name)
    path = os.path.abspath(want["file"])
    text = Path(path).read_text()
    return extract(cst.parse_module(text), path, text=text, display=want["file"]).facts


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_objects_across_modules(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    want = EXPECTED[name]
    facts = _facts(name, monkeypatch)
    assert [(o.cls, o.loc.file, o.loc.line) for o in facts.optimizers] == [
        (w["class"], w.get("file", ""), w["line"]) for w in want["optimizers"]]
    for o, w in zip(facts.optimizers, want["optimizers"]):
        assert isinstance(o.lr, Known) and _close(o.lr.value, w["lr"]), (o.id, o.lr)
        if "lr_source_contains" in w:
            assert w["lr_source_contains"] in o.lr.source, o.lr.source
        for k, v in (w.get("params") or {}).items():
            assert isinstance(o.params.get(k), Known) and _close(o.params[k].value, v), (k, o.params.get(k))
    assert [(s.cls, s.loc.file, s.loc.line) for s in facts.schedulers] == [
        (w["class"], w.get("file", ""), w["line"]) for w in want["schedulers"]]
    for s, w in zip(facts.schedulers, want["schedulers"]):
        assert s.optimizer == facts.optimizers[w["optimizer"]].id, (s.id, s.optimizer, s.optimizer_reason)
        if "candidates" in w:
            assert list(s.optimizer_candidates) == [facts.optimizers[i].id for i in w["candidates"]]
        for k, v in (w.get("args") or {}).items():
            assert isinstance(s.args.get(k), Known) and _close(s.args[k].value, v), (k, s.args.get(k))
        for k, v in (w.get("args_source_contains") or {}).items():
            assert v in s.args[k].source, s.args[k].source  # type: ignore[union-attr]
        assert s.stepped == w["stepped"]
        assert [_site(x.loc) for x in s.step_sites] == w["step_sites"]
        if "horizon" in w:
            assert isinstance(s.horizon, Known) and s.horizon.value == w["horizon"], s.horizon
        if "lr_at" in w:
            curve = simulate_scheduler(facts, s, SimOptions())
            assert curve.lr is not None, curve.error
            for k, v in w["lr_at"].items():
                assert curve.value_at(int(k)) == pytest.approx(v, rel=1e-6), (k, curve.value_at(int(k)))
    if "optimizer_steps" in want:
        assert [_site(x.loc) for x in facts.optimizer_steps] == want["optimizer_steps"]


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_findings_at_the_file_of_the_mistake(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    want = EXPECTED[name]
    monkeypatch.chdir(REPOS / name)
    result = analyze_path(os.path.abspath(want["file"]), want["file"], AnalysisOptions())
    assert result.error is None
    assert [f"{f.code} {f.path}:{f.line}" for f in result.findings] == want["findings"]
    for text in want.get("finding_mentions", []):
        assert all(text in f.message for f in result.findings), [f.message for f in result.findings]


def test_one_finding_however_many_entry_points(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import shutil

    from lraudit.runner import run_files

    repo = tmp_path / "r"
    shutil.copytree(REPOS / "trainer_params", repo)
    (repo / "train_b.py").write_text((repo / "train.py").read_text())
    monkeypatch.chdir(repo)
    files = [(str(repo / n), n) for n in ("engine/trainer.py", "train.py", "train_b.py")]
    results = run_files(files, AnalysisOptions(), jobs=1)
    found = [(r.path, f.code, f.path, f.line) for r in results for f in r.findings]
    # reported once, by the file of the mistake (which takes its callers' findings there, see callers.py)
    assert found == [("engine/trainer.py", "LR201", "engine/trainer.py", 8)]


def test_cache_entry_invalidated_by_an_imported_module(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import shutil

    from lraudit.runner import run_files

    repo = tmp_path / "r"
    shutil.copytree(REPOS / "scripts_syspath", repo)
    monkeypatch.chdir(repo)
    cache = str(tmp_path / "cache")
    files = [(str(repo / "scripts/train.py"), "scripts/train.py")]

    def lr() -> Any:
        r = run_files(files, AnalysisOptions(), jobs=1, cache_dir=cache)[0]
        return r.optimizers[0]["lr"]["value"]

    assert lr() == 0.01
    assert lr() == 0.01  # from the cache
    hp = repo / "lib" / "hparams.py"
    hp.write_text(hp.read_text().replace("BASE_LR = 0.01", "BASE_LR = 0.05"))
    repository.reset()
    assert lr() == 0.05


def test_cache_entry_invalidated_by_a_module_appearing_earlier_on_the_path(tmp_path: Path,
                                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    # `from hparams import LR` finds the root's hparams.py; a scripts/hparams.py created later is what Python
    # imports from then on (the script's own directory comes first)
    from lraudit.runner import run_files

    _write(tmp_path, {
        "pyproject.toml": "",
        "hparams.py": "LR = 0.01\n",
        "scripts/train.py": ("import torch\nfrom hparams import LR\nmodel = torch.nn.Linear(2, 2)\n"
                             "optimizer = torch.optim.SGD(model.parameters(), lr=LR)\n"),
    })
    monkeypatch.chdir(tmp_path)
    cache = str(tmp_path / "cache")
    files = [(str(tmp_path / "scripts/train.py"), "scripts/train.py")]

    def lr() -> Any:
        return run_files(files, AnalysisOptions(), jobs=1, cache_dir=cache)[0].optimizers[0]["lr"]["value"]

    assert lr() == 0.01
    assert lr() == 0.01  # from the cache
    (tmp_path / "scripts" / "hparams.py").write_text("LR = 0.2\n")
    repository.reset()
    assert lr() == 0.2


def test_a_library_import_records_no_absent_candidates(tmp_path: Path) -> None:
    from lraudit.cache import recording_dependencies

    _write(tmp_path, {"pyproject.toml": "", "train.py": "import wandb\n"})
    repo = repository.repository_for(str(tmp_path / "train.py"))
    with recording_dependencies() as paths:
        assert repo.resolve("wandb.init", str(tmp_path / "train.py")) is None
    assert paths == []


# ------------------------------------------------------------------------------------- repository model


def _write(root: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)


def test_root_is_the_nearest_marked_directory(tmp_path: Path) -> None:
    _write(tmp_path, {"proj/pyproject.toml": "", "proj/tools/train.py": ""})
    assert repository.find_root(str(tmp_path / "proj/tools/train.py")) == str(tmp_path / "proj")
    _write(tmp_path, {"loose/a/train.py": ""})
    assert repository.find_root(str(tmp_path / "loose/a/train.py"), cwd=str(tmp_path / "loose")) == str(
        tmp_path / "loose")


def test_imports_resolve_inside_the_repository(tmp_path: Path) -> None:
    _write(tmp_path, {
        "setup.py": "", "pkg/__init__.py": "", "pkg/sub/mod.py": "X = 1\n", "nsp/inner.py": "Y = 2\n",
        "src/lib/__init__.py": "", "src/lib/k.py": "Z = 3\n", "pkg/rel.py": "",
    })
    repo = repository.Repository(str(tmp_path))
    importer = str(tmp_path / "train.py")
    assert repo.resolve("pkg.sub.mod.X", importer) == repository.Target(str(tmp_path / "pkg/sub/mod.py"), ("X",))
    assert repo.resolve("nsp.inner.Y", importer) == repository.Target(str(tmp_path / "nsp/inner.py"), ("Y",))
    assert repo.resolve("lib.k.Z", importer) == repository.Target(str(tmp_path / "src/lib/k.py"), ("Z",))
    assert repo.resolve(".sub.mod.X", str(tmp_path / "pkg/rel.py")) == repository.Target(
        str(tmp_path / "pkg/sub/mod.py"), ("X",))
    assert repo.resolve("torch.optim.SGD", importer) is None
    assert repo.resolve("notthere.x", importer) is None


def test_two_import_roots_that_disagree_are_ambiguous(tmp_path: Path) -> None:
    _write(tmp_path, {"setup.py": "", "utils.py": "A = 1\n", "src/utils.py": "A = 2\n", "tools/train.py": ""})
    repo = repository.Repository(str(tmp_path))
    got = repo.resolve("utils.A", str(tmp_path / "tools/train.py"))
    assert isinstance(got, repository.Ambiguous) and "utils.py" in got.reason


def _explain(path: Path, display: str) -> Any:
    return analyze_path(str(path), display, AnalysisOptions())


def test_bad_modules_leave_the_importer_analysed_with_a_reason(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _write(tmp_path, {
        "pyproject.toml": "",
        "broken.py": "def f(:\n",
        "latin.py": "LR = 0.1  # caf\xe9\n",
        "starred.py": "from consts import *\n",
        "consts.py": "LR = 0.2\n",
        "train.py": (
            "import torch\n"
            "from broken import LR as BAD\n"
            "from starred import LR as STAR\n"
            "from consts import MISSING\n"
            "from latin import LR as LATIN\n"
            "m = torch.nn.Linear(1, 1)\n"
            "o1 = torch.optim.SGD(m.parameters(), lr=BAD)\n"
            "o2 = torch.optim.SGD(m.parameters(), lr=STAR)\n"
            "o3 = torch.optim.SGD(m.parameters(), lr=MISSING)\n"
            "o4 = torch.optim.SGD(m.parameters(), lr=LATIN)\n"
        ),
    })
    (tmp_path / "latin.py").write_bytes(b"LR = 0.1  # caf\xe9\n")
    monkeypatch.chdir(tmp_path)
    r = _explain(tmp_path / "train.py", "train.py")
    assert r.error is None
    lrs = [o["lr"] for o in r.optimizers]
    assert lrs[0]["value"] is None and "does not parse" in lrs[0]["unresolved"]
    assert lrs[1]["value"] == 0.2 and "consts.py" in lrs[1]["source"], lrs[1]  # through `from consts import *`
    assert lrs[2]["value"] is None and "does not define MISSING" in lrs[2]["unresolved"], lrs[2]
    assert lrs[3]["value"] is None and "latin.py" in lrs[3]["unresolved"], lrs[3]


def test_import_cycles_and_symlink_loops_end(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _write(tmp_path, {
        "pyproject.toml": "",
        "a.py": "from b import build\n",
        "b.py": "from a import build\n",
        "train.py": "import torch\nfrom a import build\nopt = build(torch.nn.Linear(1, 1))\n"
                    "s = torch.optim.lr_scheduler.StepLR(opt, 3)\n",
    })
    os.symlink(tmp_path, tmp_path / "loop")
    monkeypatch.chdir(tmp_path)
    r = _explain(tmp_path / "train.py", "train.py")
    assert r.error is None and len(r.schedulers) == 1 and r.schedulers[0]["optimizer"] is None


def test_only_what_is_needed_is_parsed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    files = {"pyproject.toml": "", "used.py": "import torch\ndef build(m):\n    return torch.optim.SGD(m, lr=0.1)\n"}
    for i in range(300):
        files[f"pkg{i % 10}/m{i}.py"] = "import torch\nopt = torch.optim.SGD([], lr=0.1)\n"
    files["train.py"] = "import torch\nfrom used import build\nopt = build([])\n"
    _write(tmp_path, files)
    monkeypatch.chdir(tmp_path)
    r = _explain(tmp_path / "train.py", "train.py")
    assert [o.get("file") for o in r.optimizers] == ["used.py"]
    assert repository.parsed_modules() == 1


def test_notes_open_with_a_repository_overview(monkeypatch: pytest.MonkeyPatch) -> None:
    from lraudit.render.notes import render_notes
    from lraudit.runner import run_files

    monkeypatch.chdir(REPOS / "src_layout")
    files = [(str(REPOS / "src_layout" / p), p) for p in ("train.py", "src/trainkit/optim.py")]
    text = render_notes(run_files(files, AnalysisOptions(), jobs=1), [], {})
    overview = text.split("## Repository overview", 1)[1].split("## Contents", 1)[0]
    lines = [ln for ln in overview.splitlines() if ln.startswith("- ")]
    # the default run's optimizer only (TrainConfig.optimizer is "sgd"; build_optimizer()'s AdamW arm is not run)
    assert lines == ["- [`train.py`](#trainpy): `SGD` (lr 0.1) in `src/trainkit/optim.py` → `StepLR` (step decay, "
                     "30 epochs)"]
    assert "\n## `train.py`" in text


def test_yolo_style_hyperparameter_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`ROOT = FILE.parents[0]`, `ROOT = Path(os.path.relpath(ROOT, Path.cwd()))`, an argparse default
    `ROOT / "data/hyps/hyp.yaml"`, and `hyp` read (as the parameter) before it is reassigned to the loaded YAML."""
    _write(tmp_path, {
        "pyproject.toml": "",
        "data/hyps/hyp.yaml": "lr0: 0.02\nmomentum: 0.9\n",
        "train.py": (
            "import argparse, os\nfrom pathlib import Path\nimport torch, yaml\n"
            "FILE = Path(__file__).resolve()\nROOT = FILE.parents[0]\n"
            "ROOT = Path(os.path.relpath(ROOT, Path.cwd()))\n"
            "def train(hyp, opt):\n"
            "    if isinstance(hyp, str):\n"
            "        with open(hyp, errors='ignore') as f:\n"
            "            hyp = yaml.safe_load(f)\n"
            "    return torch.optim.SGD([], lr=hyp['lr0'], momentum=hyp['momentum'])\n"
            "def parse_opt():\n"
            "    p = argparse.ArgumentParser()\n"
            "    p.add_argument('--hyp', type=str, default=ROOT / 'data/hyps/hyp.yaml')\n"
            "    return p.parse_args()\n"
            "if __name__ == '__main__':\n"
            "    opt = parse_opt()\n"
            "    train(opt.hyp, opt)\n"
        ),
    })
    monkeypatch.chdir(tmp_path / "data")  # the run's working directory does not change which file is meant
    r = _explain(tmp_path / "train.py", "../train.py")
    assert r.optimizers[0]["lr"]["value"] == 0.02, r.optimizers[0]["lr"]
    assert "hyp.yaml" in r.optimizers[0]["lr"]["source"]


def test_framework_hooks_of_a_linked_class_count_only_when_it_is_trained(tmp_path: Path,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """A LightningModule built only to load a checkpoint (a fine-tuner's frozen backbone) does not bring its
    configure_optimizers into the importer's run; handed to trainer.fit() it does."""
    _write(tmp_path, {
        "pyproject.toml": "",
        "models.py": (
            "import torch\nimport pytorch_lightning as pl\n"
            "class Net(pl.LightningModule):\n"
            "    def __init__(self, steps=0):\n"
            "        super().__init__()\n"
            "        self.steps = steps\n"
            "    def configure_optimizers(self):\n"
            "        opt = torch.optim.SGD(self.parameters(), lr=0.1)\n"
            "        return [opt], [torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=self.steps)]\n"
        ),
        "finetune.py": (
            "import pytorch_lightning as pl\nfrom models import Net\n"
            "backbone = Net(steps=0).load_from_checkpoint('x.ckpt')\n"
            "pl.Trainer(max_epochs=3).fit(object())\n"
        ),
        "train.py": (
            "import pytorch_lightning as pl\nfrom models import Net\n"
            "model = Net(steps=50)\n"
            "trainer = pl.Trainer(max_epochs=50)\ntrainer.fit(model)\n"
        ),
    })
    monkeypatch.chdir(tmp_path)
    assert _explain(tmp_path / "finetune.py", "finetune.py").schedulers == []
    r = _explain(tmp_path / "train.py", "train.py")
    assert [(s["class"], s.get("file"), s["optimizer"]) for s in r.schedulers] == [
        ("torch.optim.lr_scheduler.CosineAnnealingLR", "models.py", "opt1")]
    assert r.optimizers[0]["file"] == "models.py" and r.optimizers[0]["lr"]["value"] == 0.1


CLI_MODULE = (
    "import torch\n\n\ndef main():\n"
    "    model = torch.nn.Linear(2, 2)\n"
    "    optimizer = torch.optim.SGD(model.parameters(), lr=0.05)\n"
    "    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=10)\n"
    "    for epoch in range(30):\n        optimizer.step()\n        scheduler.step()\n"
)


@pytest.mark.parametrize("declared", [
    {"pyproject.toml": '[project]\nname = "kit"\n[project.scripts]\nkit-train = "kit.cli:main"\n'},
    {"pyproject.toml": '[tool.poetry]\nname = "kit"\n[tool.poetry.scripts]\nkit-train = "kit.cli:main"\n'},
    {"setup.cfg": "[metadata]\nname = kit\n[options.entry_points]\nconsole_scripts =\n    kit-train = kit.cli:main\n"},
    {"setup.py": "from setuptools import setup\nsetup(name='kit', entry_points={'console_scripts': "
                 "['kit-train = kit.cli:main [extra]']})\n"},
])
def test_a_command_the_package_installs_is_an_entry_point(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                           declared: dict[str, str]) -> None:
    from lraudit.render.notes import render_notes
    from lraudit.runner import run_files

    _write(tmp_path, {**declared, "src/kit/__init__.py": "", "src/kit/cli.py": CLI_MODULE,
                      "src/kit/other.py": CLI_MODULE.replace("def main", "def helper")})
    monkeypatch.chdir(tmp_path)
    files = [(str(tmp_path / p), p) for p in ("src/kit/cli.py", "src/kit/other.py")]
    results = run_files(files, AnalysisOptions(), jobs=1)
    by_path = {r.path: r for r in results}
    assert by_path["src/kit/cli.py"].details.get("commands") == ["kit-train = main"]
    assert "entry_point" not in by_path["src/kit/other.py"].details  # not __main__, no command runs it
    text = render_notes(results, [], {})
    overview = text.split("## Repository overview", 1)[1].split("## Contents", 1)[0]
    lines = [ln for ln in overview.splitlines() if ln.startswith("- ")]
    assert lines == ["- [`src/kit/cli.py`](#srckitclipy) (command `kit-train`): `SGD` (lr 0.05) → "
                     "`StepLR` (step decay, 30 epochs)"]


def test_a_broken_packaging_file_declares_no_command(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _write(tmp_path, {"pyproject.toml": "[project\nscripts = ", "setup.py": "setup(entry_points={'console_scripts'",
                      "kit/__init__.py": "", "kit/cli.py": CLI_MODULE})
    monkeypatch.chdir(tmp_path)
    r = analyze_path(str(tmp_path / "kit/cli.py"), "kit/cli.py", AnalysisOptions())
    assert r.error is None and "commands" not in r.details


@pytest.mark.parametrize("order", [("helpers.py", "train.py"), ("train.py", "helpers.py")])
def test_a_file_both_checked_and_imported_is_parsed_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                         order: tuple[str, str]) -> None:
    from lraudit import parse
    from lraudit.runner import run_files

    _write(tmp_path, {
        "pyproject.toml": "",
        "helpers.py": "import torch\n\ndef build(model):\n    return torch.optim.SGD(model.parameters(), lr=0.3)\n",
        "train.py": ("import torch\nfrom helpers import build\n\nmodel = torch.nn.Linear(2, 2)\n"
                     "optimizer = build(model)\nscheduler = torch.optim.lr_scheduler.StepLR(optimizer, 10)\n"
                     "for epoch in range(20):\n    optimizer.step()\n    scheduler.step()\n"),
    })
    monkeypatch.chdir(tmp_path)
    parsed: list[int] = []
    real = parse.parse_source
    monkeypatch.setattr(parse, "parse_source", lambda text: parsed.append(len(text)) or real(text))
    results = {r.path: r for r in run_files([(str(tmp_path / p), p) for p in order], AnalysisOptions(), jobs=1)}
    assert len(parsed) == 2  # each file once, though train.py's analysis reads helpers.py too
    assert [o["lr"]["value"] for o in results["train.py"].optimizers] == [0.3]
    # an edited file is parsed again
    (tmp_path / "helpers.py").write_text((tmp_path / "helpers.py").read_text().replace("0.3", "0.4") + "\n# edited\n")
    results = {r.path: r for r in run_files([(str(tmp_path / "train.py"), "train.py")], AnalysisOptions(), jobs=1)}
    assert [o["lr"]["value"] for o in results["train.py"].optimizers] == [0.4]


def test_an_offered_parse_of_text_not_on_disk_is_not_used_by_importers(tmp_path: Path) -> None:
    # `check --fix --diff` analyses fixed text that is never written: an importer must see the file's own text
    _write(tmp_path, {"pyproject.toml": "", "helpers.py": "LR = 0.1\n"})
    repo = repository.repository_for(str(tmp_path / "helpers.py"))
    repo.offer(str(tmp_path / "helpers.py"), "LR = 0.9\n", cst.parse_module("LR = 0.9\n"))
    unit = repo.unit(str(tmp_path / "helpers.py"))
    assert unit.text == "LR = 0.1\n" and unit.module.code == "LR = 0.1\n"
    assert repository.parsed_modules() == 1


def test_options_of_a_parser_built_in_another_module(tmp_path: Path) -> None:
    # the submitit wrapper: `parents=[main_finetune.get_args_parser()]` (MAE, DeiT, ConvNeXt); the options of the
    # other module's parser, with defaults that name that module's constants, are the run's options
    _write(tmp_path, {
        "pyproject.toml": "",
        "main_finetune.py": (
            "import argparse\nimport torch\n\nDEFAULT_LR = 0.05\n\n\n"
            "def get_args_parser():\n"
            "    parser = argparse.ArgumentParser('finetune', add_help=False)\n"
            "    parser.add_argument('--lr', type=float, default=DEFAULT_LR)\n"
            "    parser.add_argument('--epochs', type=int, default=12)\n"
            "    return parser\n\n\n"
            "def main(args):\n"
            "    model = torch.nn.Linear(2, 2)\n"
            "    optimizer = torch.optim.SGD(model.parameters(), lr=args.lr)\n"
            "    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=args.epochs // 3)\n"
            "    for epoch in range(args.epochs):\n"
            "        for x in loader:\n"
            "            optimizer.zero_grad()\n"
            "            model(x).sum().backward()\n"
            "            optimizer.step()\n"
            "        scheduler.step()\n"),
        "submit.py": (
            "import argparse\nimport main_finetune as classification\n\n\n"
            "def parse_args():\n"
            "    parser = argparse.ArgumentParser('submit', parents=[classification.get_args_parser()])\n"
            "    parser.add_argument('--nodes', default=2, type=int)\n"
            "    return parser.parse_args()\n\n\n"
            "if __name__ == '__main__':\n"
            "    args = parse_args()\n"
            "    classification.main(args)\n"),
    })
    path = str(tmp_path / "submit.py")
    text = Path(path).read_text()
    facts = extract(cst.parse_module(text), path, text=text, display="submit.py").facts
    (opt,) = facts.optimizers
    assert isinstance(opt.lr, Known) and opt.lr.value == 0.05
    assert "main_finetune.py" in opt.lr.source
    (s,) = facts.schedulers
    assert s.args["step_size"].value == 4


def test_a_function_of_another_module_is_named_with_its_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _write(tmp_path, {
        "pyproject.toml": "",
        "sched/decay.py": "class Decay:\n    def __init__(self, n):\n        self.n = n\n\n"
                          "    def step(self, epoch):\n        return 1.0 - epoch / self.n\n\n\n"
                          "def halve(epoch):\n    return 0.5 ** (epoch // 10)\n",
        "sched/__init__.py": "",
        "train.py": ("import torch\nfrom sched.decay import Decay, halve\n"
                     "opt = torch.optim.SGD(torch.nn.Linear(1, 1).parameters(), lr=0.1)\n"
                     "a = torch.optim.lr_scheduler.LambdaLR(opt, lr_lambda=Decay(20).step)\n"
                     "b = torch.optim.lr_scheduler.LambdaLR(opt, lr_lambda=halve)\n"
                     "c = torch.optim.lr_scheduler.LambdaLR(opt, lr_lambda=lambda e: 0.9 ** e)\n"),
    })
    monkeypatch.chdir(tmp_path)
    r = _explain(tmp_path / "train.py", "train.py")
    shown = [s["args"]["lr_lambda"]["value"] for s in r.schedulers]
    assert shown == ["<function Decay.step at sched/decay.py:5>", "<function halve at sched/decay.py:9>",
                     "<function lambda at line 6>"]
