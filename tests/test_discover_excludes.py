"""The walk's compiled excludes (matched once per entry, directories pruned) select exactly the files that
matching every glob against every path, component by component (``config.path_matches``), selects."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from lraudit.config import DEFAULT_EXCLUDE, path_matches
from lraudit.discover import SKIP_DIRS, SOURCE_SUFFIXES, discover

LAYOUT = [
    "train.py", "tests/test_a.py", "src/pkg/model.py", "src/pkg/model_test.py", "src/pkg/conftest.py",
    "legacy/old.py", "legacy/deep/er/x.py", "a/b/c.py", "a/bb/c.py", "x/a/b/d.py", "docs/nb.ipynb",
    "build/gen.py", "sub/build/gen.py", "sub/test/t.py", "sub/testing/t.py", "weird name/with space.py",
    "dash-dir/v1.2/x-y.py", "exp/run_1/a.py", "exp/run_22/a.py", "exp/runs/a.py", "a/b.py",
]


@pytest.fixture()
def tree(tmp_path: Path) -> Path:
    for rel in LAYOUT:
        p = tmp_path / "repo" / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text("x = 1\n")
    return tmp_path / "repo"


def _reference(root: Path, cwd: Path, patterns: list[str]) -> list[str]:
    out = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d not in SKIP_DIRS and not d.endswith(".egg-info"))
        for name in filenames:
            if not name.endswith(SOURCE_SUFFIXES):
                continue
            disp = os.path.relpath(os.path.join(dirpath, name), cwd).replace(os.sep, "/")
            if not any(path_matches(p, disp) for p in patterns):
                out.append(disp)
    return sorted(out)


PATTERN_SETS = [
    list(DEFAULT_EXCLUDE),
    list(DEFAULT_EXCLUDE) + ["legacy/**", "a/b", "exp/run_?", "*-dir", "weird name"],
    ["repo/src/**", "**/c.py", "x/**/d.py", "[ab]"],
    ["src/pkg/*.py", "docs/", "./sub/build", "*.ipynb"],
    [],
]


@pytest.mark.parametrize("patterns", PATTERN_SETS)
@pytest.mark.parametrize("where", ["inside", "above"])
def test_walk_matches_the_reference(tree: Path, patterns: list[str], where: str, monkeypatch: pytest.MonkeyPatch) -> None:
    cwd = tree if where == "inside" else tree.parent
    monkeypatch.chdir(cwd)
    found = discover([str(tree)], patterns, cwd=str(cwd), respect_gitignore=False)
    assert sorted(d for _, d in found.files) == _reference(tree, cwd, patterns)


def test_a_root_inside_an_excluded_directory_yields_nothing(tree: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tree)
    found = discover(["legacy"], ["legacy"], cwd=str(tree), respect_gitignore=False)
    assert found.files == []


def test_gitignore_of_the_directory_and_its_parents(tree: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tree / ".git").mkdir()
    (tree / ".gitignore").write_text("legacy/\n*_test.py\n")
    (tree / "src" / ".gitignore").write_text("pkg/conftest.py\n")
    monkeypatch.chdir(tree)
    got = sorted(d for _, d in discover(["src"], [], cwd=str(tree)).files)
    assert got == ["src/pkg/model.py"]
    got = sorted(d for _, d in discover(["."], [], cwd=str(tree)).files)
    assert "legacy/old.py" not in got and "src/pkg/model_test.py" not in got and "train.py" in got


GITIGNORE = ["*.pyc", "build/", "/abs", "a/**/b", "**/logs", "out*", "# a comment", "", "data/*.py", "\\#hash",
             "sub/dir/", "?x.py", "[ab]c.py", "trailing\\ ", "**/deep/**"]
PATHS = ["x.pyc", "d/x.pyc", "build/", "build", "src/build/", "abs", "abs/", "d/abs", "a/b", "a/x/y/b", "logs/",
         "z/logs", "output.py", "data/m.py", "data/s/m.py", "#hash", "sub/dir/", "sub/dir", "ax.py", "bc.py",
         "cc.py", "trailing ", "q/deep/r.py", "deep/", "keep.py"]


def test_gitignore_alternation_matches_pathspec() -> None:
    import pathspec

    from lraudit.discover import _AnyOf, _load_spec

    fast = _load_spec(pathspec, GITIGNORE)
    assert isinstance(fast, _AnyOf)
    spec = pathspec.GitIgnoreSpec.from_lines(GITIGNORE)
    assert [fast.match_file(p) for p in PATHS] == [spec.match_file(p) for p in PATHS]
    # a negation: pathspec decides (the last matching pattern wins)
    negated = _load_spec(pathspec, GITIGNORE + ["!keep.pyc"])
    assert not isinstance(negated, _AnyOf) and not negated.match_file("keep.pyc")  # type: ignore[attr-defined]
