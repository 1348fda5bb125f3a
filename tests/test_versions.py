"""Target versions: every pin file format, the precedence, the policy branches, and the version-dependent rules."""

from __future__ import annotations

import json
import os
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from lraudit.analyze import AnalysisOptions, analyze_text
from lraudit.cli import main
from lraudit.versions import (
    Target,
    TargetVersions,
    VersionError,
    admitted,
    conda_spec,
    find_root,
    keras_flavor,
    parse_override,
    poetry_spec,
    resolve,
)

KERAS_SCRIPT = textwrap.dedent("""\
    import keras
    from keras.layers import Dense

    model = keras.Sequential([Dense(10)])
    opt = keras.optimizers.SGD(lr=0.01, momentum=0.9)
    model.compile(optimizer=opt, loss="mse")
    model.fit(x, y, epochs=10)
""")

TORCH_SCRIPT = textwrap.dedent("""\
    import torch
    from torch.optim.lr_scheduler import ReduceLROnPlateau

    model = torch.nn.Linear(2, 2)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    scheduler = ReduceLROnPlateau(optimizer, mode="min", verbose=True)
    for epoch in range(10):
        for x in loader:
            optimizer.zero_grad()
            model(x).sum().backward()
            optimizer.step()
        val_acc = evaluate(model)
        scheduler.step(val_acc)
""")


def _repo(tmp_path: Path, files: dict[str, str]) -> Path:
    root = tmp_path / "repo"
    root.mkdir()
    (root / ".git").mkdir()
    for name, text in files.items():
        p = root / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(textwrap.dedent(text))
    return root


def _spec(tv: TargetVersions, package: str) -> str | None:
    t = tv.get(package)
    return None if t is None else t.spec


# ------------------------------------------------------------------------------------------ pin formats


def test_requirements_with_includes_and_constraints(tmp_path: Path) -> None:
    root = _repo(tmp_path, {
        "requirements.txt": "-r requirements/base.txt\nnumpy\n--constraint constraints.txt\n",
        "requirements/base.txt": "keras>=2.0  # comment\ntensorflow-gpu==1.15.0 ; python_version < '3.8'\n",
        "constraints.txt": "torch<2.0\n",
    })
    tv = resolve([str(root)])
    assert _spec(tv, "keras") == ">=2.0"
    assert _spec(tv, "tensorflow") == "==1.15.0"  # tensorflow-gpu installs tensorflow
    assert _spec(tv, "torch") == "<2.0"
    assert tv.get("keras").source == "requirements/base.txt:1"


def test_setup_py_read_statically(tmp_path: Path) -> None:
    root = _repo(tmp_path, {"setup.py": """\
        import os
        from setuptools import setup
        REQS = ["torch>=1.4,<1.9", "numpy"]
        os.system("echo never run")
        setup(name="x", install_requires=REQS, extras_require={"tf": ["keras==2.2.4"]})
        """})
    tv = resolve([str(root)])
    assert _spec(tv, "torch") == "<1.9,>=1.4"
    assert _spec(tv, "keras") == "==2.2.4"


def test_setup_cfg(tmp_path: Path) -> None:
    root = _repo(tmp_path, {"setup.cfg": """\
        [options]
        install_requires =
            torch==1.7.1
            click
        [options.extras_require]
        hf = transformers>=4.0,<5
        """})
    tv = resolve([str(root)])
    assert _spec(tv, "torch") == "==1.7.1"
    assert _spec(tv, "transformers") == "<5,>=4.0"


def test_pyproject_project_optional_poetry_and_pdm(tmp_path: Path) -> None:
    root = _repo(tmp_path, {"pyproject.toml": """\
        [project]
        name = "x"
        dependencies = ["torch>=2.0"]
        [project.optional-dependencies]
        tf = ["tensorflow==2.12.0"]
        [tool.poetry.dependencies]
        keras = "^2.4"
        [tool.pdm.dev-dependencies]
        hf = ["transformers==4.30.0"]
        """})
    tv = resolve([str(root)])
    assert _spec(tv, "torch") == ">=2.0"
    assert _spec(tv, "tensorflow") == "==2.12.0"
    assert _spec(tv, "keras") == "<3,>=2.4"
    assert _spec(tv, "transformers") == "==4.30.0"


def test_poetry_constraints() -> None:
    assert poetry_spec("^1.2.3") == ">=1.2.3,<2"
    assert poetry_spec("^0.4") == ">=0.4,<0.5"
    assert poetry_spec("~1.2") == ">=1.2,<1.3"
    assert poetry_spec("1.7.1") == "==1.7.1"
    assert poetry_spec({"version": ">=1.8,<2"}) == ">=1.8,<2"
    assert poetry_spec("*") == ""


def test_environment_yml_conda_and_pip(tmp_path: Path) -> None:
    root = _repo(tmp_path, {"environment.yml": """\
        name: env
        channels: [pytorch]
        dependencies:
          - python=3.8
          - pytorch::pytorch=1.7.1=py3.8_cuda10.2
          - pip:
            - keras==2.3.1
        """})
    tv = resolve([str(root)])
    assert _spec(tv, "torch") == "==1.7.1.*"
    assert _spec(tv, "keras") == "==2.3.1"
    assert conda_spec("tensorflow>=2.3") == ("tensorflow", ">=2.3")


def test_pipfile(tmp_path: Path) -> None:
    root = _repo(tmp_path, {"Pipfile": """\
        [packages]
        keras = "==2.2.4"
        torch = {version = ">=1.0,<1.5"}
        numpy = "*"
        """})
    tv = resolve([str(root)])
    assert _spec(tv, "keras") == "==2.2.4"
    assert _spec(tv, "torch") == "<1.5,>=1.0"


@pytest.mark.parametrize("name,text", [
    ("poetry.lock", '[[package]]\nname = "torch"\nversion = "1.13.1"\n\n[[package]]\nname = "Keras"\nversion = "2.4.3"\n'),
    ("uv.lock", 'version = 1\n[[package]]\nname = "torch"\nversion = "1.13.1"\n[[package]]\nname = "keras"\n'
                'version = "2.4.3"\n'),
    ("pdm.lock", '[[package]]\nname = "torch"\nversion = "1.13.1"\n[[package]]\nname = "keras"\nversion = "2.4.3"\n'),
    ("Pipfile.lock", json.dumps({"default": {"torch": {"version": "==1.13.1"}, "keras": {"version": "==2.4.3"}}})),
])
def test_lock_files_win_over_declarations(tmp_path: Path, name: str, text: str) -> None:
    root = _repo(tmp_path, {name: text, "requirements.txt": "torch>=1.0\nkeras\n"})
    tv = resolve([str(root)])
    assert _spec(tv, "torch") == "==1.13.1"
    assert _spec(tv, "keras") == "==2.4.3"
    assert tv.get("torch").source == name


def test_dockerfile_pip_lines_and_base_image(tmp_path: Path) -> None:
    root = _repo(tmp_path, {"Dockerfile": """\
        FROM pytorch/pytorch:1.7.1-cuda11.0-cudnn8-runtime
        RUN apt-get update && pip install --no-cache-dir \\
            keras==2.2.4 "transformers>=4.0,<4.20" && echo done
        """})
    tv = resolve([str(root)])
    assert _spec(tv, "torch") == "==1.7.1"
    assert _spec(tv, "keras") == "==2.2.4"
    assert _spec(tv, "transformers") == "<4.20,>=4.0"


def test_declarations_are_intersected(tmp_path: Path) -> None:
    root = _repo(tmp_path, {"requirements.txt": "torch>=1.8\n", "setup.py": "setup(install_requires=['torch<2.0'])\n"})
    tv = resolve([str(root)])
    assert set(_spec(tv, "torch").split(",")) == {">=1.8", "<2.0"}


def test_broken_pin_files_say_nothing(tmp_path: Path) -> None:
    root = _repo(tmp_path, {"pyproject.toml": "[project\n", "setup.py": "setup(", "Pipfile.lock": "{",
                            "environment.yml": ":\n  - [", "requirements.txt": "-r requirements.txt\n===\n"})
    assert resolve([str(root)]).targets == ()


# ------------------------------------------------------------------------------------------ root, overrides


def test_root_is_nearest_marked_directory(tmp_path: Path) -> None:
    root = _repo(tmp_path, {"src/train.py": "", "requirements.txt": "torch==1.7.1\n"})
    assert find_root([str(root / "src" / "train.py")]) == root.resolve()
    assert find_root([str(root / "src")]) == root.resolve()
    tv = resolve([str(root / "src")])
    assert _spec(tv, "torch") == "==1.7.1"


def test_overrides_precedence(tmp_path: Path) -> None:
    root = _repo(tmp_path, {"pyproject.toml": """\
        [project]
        dependencies = ["torch==1.7.1", "keras==2.2.4"]
        [tool.lraudit]
        target-versions = {torch = ">=2.7"}
        """})
    tv = resolve([str(root)])
    assert _spec(tv, "torch") == ">=2.7"  # [tool.lraudit] beats the declaration
    assert _spec(tv, "keras") == "==2.2.4"
    tv = resolve([str(root)], cli=["torch==2.4", "keras 3.1"])
    assert _spec(tv, "torch") == "==2.4" and _spec(tv, "keras") == "==3.1"


@pytest.mark.parametrize("bad", ["foo==1", "torch>>2", "torch<0.1", ""])
def test_bad_override(bad: str) -> None:
    with pytest.raises(VersionError):
        parse_override(bad)


def test_admitted_uses_packaging() -> None:
    assert [str(v) for v in admitted("torch", "==2.4.3")] == ["2.4.3"]
    assert str(admitted("keras", "2.*")[-1]) == "2.15.0"
    assert str(admitted("keras", "~=2.4")[0]) == "2.4.0"


def test_keras_flavor() -> None:
    assert keras_flavor(["tensorflow.keras"]) == "tensorflow"
    assert keras_flavor(["keras.layers.Dense"]) == "keras"
    assert keras_flavor(["tf_keras.optimizers.Adam", "tensorflow"]) == "tf_keras"
    assert keras_flavor(["torch"]) is None


# ------------------------------------------------------------------------------------------ policy branches


def _lr003(script: str, targets: TargetVersions | None) -> list:
    res = analyze_text(script, "train.py", "train.py", AnalysisOptions(targets=targets))
    return [f for f in res.findings if f.code == "LR003"]


def test_nothing_pinned_judges_the_newest_release() -> None:
    (f,) = _lr003(KERAS_SCRIPT, None)
    assert f.severity == "warning"
    assert "Keras 3" in f.message and "rejects lr=" in f.message and "nothing pins keras" in f.message
    assert "use learning_rate=" in f.message


def test_pinned_out_of_range_is_an_info_upgrade_note() -> None:
    tv = TargetVersions((Target("keras", "==2.2.4", "requirements.txt:1"),))
    (f,) = _lr003(KERAS_SCRIPT, tv)
    assert f.severity == "info"
    assert "requirements.txt:1 pins keras==2.2.4, fine there" in f.message
    assert "Keras 2.11-2.15" in f.message and "Keras 3" in f.message and "use learning_rate=" in f.message


def test_pinned_in_range_fires_with_that_versions_effect() -> None:
    tv = TargetVersions((Target("keras", "==2.13.1", "requirements.txt:1"),))
    (f,) = _lr003(KERAS_SCRIPT, tv)
    assert f.severity == "warning"
    assert "silently ignore lr=" in f.message and "ValueError" not in f.message


def test_tf_keras_follows_tensorflow() -> None:
    script = KERAS_SCRIPT.replace("import keras\nfrom keras.layers", "from tensorflow import keras\nfrom tensorflow.keras.layers")
    old = TargetVersions((Target("tensorflow", "==2.3.0", "requirements.txt:1"),))
    new = TargetVersions((Target("tensorflow", ">=2.16", "requirements.txt:1"),))
    assert [f.severity for f in _lr003(script, old)] == ["info"]
    (f,) = _lr003(script, new)
    assert f.severity == "warning" and "Keras 3" in f.message


def test_weak_style_signal_gives_info(tmp_path: Path) -> None:
    root = _repo(tmp_path, {"train.py": KERAS_SCRIPT, "model.py": "from keras.layers.convolutional import Conv2D\n"})
    tv = resolve([str(root)])
    assert tv.get("keras").weak and tv.get("keras").spec == "<3"
    (f,) = _lr003(KERAS_SCRIPT, tv)
    assert f.severity == "info" and "suggests keras<3" in f.message and "model.py:1" in f.message


def test_style_signal_never_overrides_a_pin(tmp_path: Path) -> None:
    root = _repo(tmp_path, {"train.py": KERAS_SCRIPT, "model.py": "from keras.utils.np_utils import to_categorical\n",
                            "requirements.txt": "keras==3.2.0\n"})
    (f,) = _lr003(KERAS_SCRIPT, resolve([str(root)]))
    assert f.severity == "warning"


def test_upgrade_notes_option_silences_info() -> None:
    tv = TargetVersions((Target("keras", "==2.2.4", "requirements.txt:1"),))
    opts = AnalysisOptions(targets=tv, rule_options=(("LR003", (("upgrade_notes", False),)),))
    res = analyze_text(KERAS_SCRIPT, "train.py", "train.py", opts)
    assert not [f for f in res.findings if f.code == "LR003"]


@pytest.mark.parametrize("spec,severity", [("==1.13.1", "info"), ("==2.4", "info"), ("==2.7.0", "error"),
                                           (">=1.8", "error"), (">=2.0,<2.5", "info")])
def test_torch_verbose_by_version(spec: str, severity: str) -> None:
    tv = TargetVersions((Target("torch", spec, "requirements.txt:1"),))
    (f,) = _lr003(TORCH_SCRIPT, tv)
    assert f.severity == severity
    assert "drop verbose=" in f.message


def test_version_finding_never_hides_another_on_the_same_object() -> None:
    for tv in (None, TargetVersions((Target("torch", "==1.7.1", "x"),)), TargetVersions((Target("torch", "==2.8", "x"),))):
        res = analyze_text(TORCH_SCRIPT, "train.py", "train.py", AnalysisOptions(targets=tv))
        codes = sorted(f.code for f in res.findings)
        assert "LR205" in codes and "LR003" in codes, codes
        assert "LR002" not in codes  # verbose= is LR003's decision only


def test_targets_are_part_of_the_cache_key() -> None:
    a = AnalysisOptions(targets=TargetVersions((Target("torch", "==1.7.1", "x"),)))
    b = AnalysisOptions(targets=TargetVersions((Target("torch", "==2.8", "x"),)))
    assert a.key() != b.key() and a.key() != AnalysisOptions().key()


# ------------------------------------------------------------------------------------------ CLI


def _check(root: Path, *args: str) -> dict:
    cwd = os.getcwd()
    try:
        os.chdir(root)
        res = CliRunner().invoke(main, ["check", ".", "--format", "json", *args])
    finally:
        os.chdir(cwd)
    assert res.exit_code in (0, 1), res.output
    return json.loads(res.output)


def test_cli_follows_the_pins_and_the_override(tmp_path: Path) -> None:
    root = _repo(tmp_path, {"train.py": KERAS_SCRIPT, "requirements.txt": "keras==2.2.4\n"})
    (f,) = [f for f in _check(root)["findings"] if f["code"] == "LR003"]
    assert f["severity"] == "info"
    (f,) = [f for f in _check(root, "--target-version", "keras==3.0")["findings"] if f["code"] == "LR003"]
    assert f["severity"] == "warning"
    # the cache must not serve the first run's result to the second (targets are in the key)
    (f,) = [f for f in _check(root)["findings"] if f["code"] == "LR003"]
    assert f["severity"] == "info"


def test_cli_config_target_versions(tmp_path: Path) -> None:
    root = _repo(tmp_path, {"train.py": KERAS_SCRIPT, "pyproject.toml": """\
        [tool.lraudit]
        target-versions = {keras = "2.*"}
        """})
    (f,) = [f for f in _check(root, "--no-cache")["findings"] if f["code"] == "LR003"]
    assert f["severity"] == "warning"  # 2.* admits 2.11-2.15, which ignore lr=
    (root / "pyproject.toml").write_text('[tool.lraudit]\ntarget-versions = {keras = ">=2.0,<2.11"}\n')
    (f,) = [f for f in _check(root, "--no-cache")["findings"] if f["code"] == "LR003"]
    assert f["severity"] == "info"


def test_cli_bad_target_version_exits_2(tmp_path: Path) -> None:
    root = _repo(tmp_path, {"train.py": KERAS_SCRIPT})
    cwd = os.getcwd()
    try:
        os.chdir(root)
        res = CliRunner().invoke(main, ["check", ".", "--target-version", "kerass==2"])
        assert res.exit_code == 2 and "unknown package" in res.output
        (root / "pyproject.toml").write_text('[tool.lraudit]\ntarget-versions = {torch = "banana"}\n')
        res = CliRunner().invoke(main, ["check", "."])
        assert res.exit_code == 2 and "target-versions.torch" in res.output
    finally:
        os.chdir(cwd)


def test_rule_doc_shows_versions() -> None:
    res = CliRunner().invoke(main, ["rule", "LR003"])
    assert res.exit_code == 0
    assert "Versions" in res.output and "keras>=3" in res.output and "torch>=2.7" in res.output
    data = json.loads(CliRunner().invoke(main, ["rules", "--format", "json"]).output)
    lr003 = next(r for r in data if r["code"] == "LR003")
    assert lr003["versions"]["torch-verbose"]["ranges"][-1]["affected"] == ">=2.7"
    assert "versions" not in next(r for r in data if r["code"] == "LR101")


def test_style_signal_from_a_notebook(tmp_path: Path) -> None:
    nb = json.dumps({"cells": [{"cell_type": "code", "source": ["from keras.utils.np_utils import to_categorical\n"]}]})
    root = _repo(tmp_path, {"nb.ipynb": nb})
    t = resolve([str(root)]).get("keras")
    assert t is not None and t.weak and "nb.ipynb" in t.source


def test_the_optimizers_own_import_decides_the_keras_flavor() -> None:
    script = textwrap.dedent("""\
        from tensorflow import keras

        def old_gpu_helper(model):
            from keras.utils import multi_gpu_model
            return multi_gpu_model(model)

        model = keras.Sequential([keras.layers.Dense(10)])
        opt = keras.optimizers.Adam(lr=0.01)
        model.compile(optimizer=opt, loss="mse")
        model.fit(x, y, epochs=10)
        """)
    tv = TargetVersions((Target("tensorflow", ">=2.3.0", "requirements.txt:11"),))
    (f,) = _lr003(script, tv)
    assert f.severity == "warning" and "tensorflow>=2.3.0" in f.message


def test_tensorflow_is_paired_with_the_declared_keras() -> None:
    """keras<=2.3.1 beside tensorflow>=2.3: an installer can only pick TF 2.3-2.5 (TF 2.6+ requires Keras 2.6+)."""
    script = KERAS_SCRIPT.replace("import keras\nfrom keras.layers", "from tensorflow import keras\n"
                                                                      "from tensorflow.keras.layers")
    tv = TargetVersions((Target("tensorflow", ">=2.3.0", "requirements.txt:11"),
                         Target("keras", "<=2.3.1,>=2.0.9", "requirements.txt:5")))
    (f,) = _lr003(script, tv)
    assert f.severity == "info" and "Keras 2.3 to 2.5" in f.message
    tv = TargetVersions((Target("tensorflow", ">=2.3.0", "r:1"), Target("keras", ">=2.10", "r:2")))
    assert _lr003(script, tv)[0].severity == "warning"
