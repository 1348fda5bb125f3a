"""The pre-commit hook, for real: `pre-commit try-repo` this repository from a scratch git repository."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
BAD = REPO / "fixtures" / "examples" / "bad_steplr_per_batch.py"
GOOD = REPO / "fixtures" / "examples" / "imagenet_steplr.py"


def _pre_commit() -> list[str]:
    exe = shutil.which("pre-commit", path=os.path.dirname(sys.executable)) or shutil.which("pre-commit")
    if exe is None:
        pytest.fail("pre-commit is not installed; it is part of the test extras (pip install -e '.[test]')")
    return [exe]


def _git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True)


@pytest.fixture(scope="module")
def scratch(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("scratch")
    _git(root, "init", "-q")
    _git(root, "config", "user.email", "t@example.com")
    _git(root, "config", "user.name", "t")
    (root / "README.md").write_text("scratch\n")
    _git(root, "add", "README.md")
    _git(root, "commit", "-qm", "init")
    return root


def _try_repo(scratch: Path, env_home: Path) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PRE_COMMIT_HOME=str(env_home))
    return subprocess.run(
        _pre_commit() + ["try-repo", str(REPO), "lraudit", "--verbose"],
        cwd=scratch, capture_output=True, text=True, env=env, timeout=900,
    )


def test_hook_fails_on_a_staged_bad_script(scratch: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
    home = tmp_path_factory.mktemp("pre-commit-home")
    shutil.copy(BAD, scratch / "train.py")
    _git(scratch, "add", "train.py")
    res = _try_repo(scratch, home)
    out = res.stdout + res.stderr
    assert res.returncode == 1, out
    assert "LR201" in out and "train.py" in out, out
    # a good script staged instead passes
    shutil.copy(GOOD, scratch / "train.py")
    _git(scratch, "add", "train.py")
    res = _try_repo(scratch, home)
    assert res.returncode == 0, res.stdout + res.stderr
    # nothing Python staged: the hook is skipped and passes
    _git(scratch, "commit", "-qm", "good script")
    (scratch / "notes.txt").write_text("no python here\n")
    _git(scratch, "add", "notes.txt")
    res = _try_repo(scratch, home)
    assert res.returncode == 0, res.stdout + res.stderr
    assert "no files to check" in (res.stdout + res.stderr).lower() or "Skipped" in res.stdout


FIXABLE = """import torch

model = torch.nn.Linear(2, 2)
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=30, verbose=True)  # keep this comment
for epoch in range(90):
    for x in loader:
        optimizer.zero_grad()
        model(x).sum().backward()
        optimizer.step()
    scheduler.step()
"""


def _try_hook(root: Path, hook: str, home: Path) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PRE_COMMIT_HOME=str(home))
    return subprocess.run(_pre_commit() + ["try-repo", str(REPO), hook, "--verbose"],
                          cwd=root, capture_output=True, text=True, env=env, timeout=900)


def test_both_hooks_on_a_fixable_file(tmp_path_factory: pytest.TempPathFactory) -> None:
    """`lraudit` reports the fixable finding and leaves the file alone; `lraudit-fix` applies the safe fix (only the
    argument, the comment stays) and fails because it changed a file, as pre-commit's fixers do; once the fixed file
    is staged both hooks pass."""
    root = tmp_path_factory.mktemp("fixable")
    home = tmp_path_factory.mktemp("pre-commit-home-fix")
    _git(root, "init", "-q")
    _git(root, "config", "user.email", "t@example.com")
    _git(root, "config", "user.name", "t")
    (root / "train.py").write_text(FIXABLE)
    _git(root, "add", "train.py")

    res = _try_hook(root, "lraudit", home)
    out = res.stdout + res.stderr
    assert res.returncode == 1, out
    assert "LR003" in out and "1 fixable with the --fix option" in out, out
    assert (root / "train.py").read_text() == FIXABLE  # the checking hook never writes

    res = _try_hook(root, "lraudit-fix", home)
    out = res.stdout + res.stderr
    assert res.returncode == 1, out  # pre-commit fails a hook that modified files
    assert "files were modified by this hook" in out, out
    fixed = FIXABLE.replace(", verbose=True)", ")")
    assert (root / "train.py").read_text() == fixed

    _git(root, "add", "train.py")
    for hook in ("lraudit-fix", "lraudit"):
        res = _try_hook(root, hook, home)
        assert res.returncode == 0, hook + ": " + res.stdout + res.stderr
    assert (root / "train.py").read_text() == fixed
