"""Import roots a script gets from code that edits ``sys.path`` (extract/link.py ``sys_path_inserts``): through a
helper of the file (``add_path(osp.join(this_dir, "lib"))``) and through a sibling module it imports for that
(faster-rcnn's and Detectron's ``import _init_paths``). Before, the repository's ``lib/`` modules were read as
libraries there: the rate-writing helper stayed unknown, the hand-written schedule was not found, and the log
copy of the rate drew a false LR305."""

from __future__ import annotations

from pathlib import Path

from lraudit.analyze import AnalysisOptions
from lraudit.api import audit_paths

INIT_PATHS = '''import os.path as osp
import sys


def add_path(path):
    if path not in sys.path:
        sys.path.insert(0, path)


this_dir = osp.dirname(__file__)
lib_path = osp.join(this_dir, "lib")
add_path(lib_path)
'''

NET_UTILS = '''
def adjust_learning_rate(optimizer, decay=0.1):
    for param_group in optimizer.param_groups:
        param_group["lr"] = decay * param_group["lr"]
'''

TRAIN = '''IMPORT
import torch
from torch import nn
from model.utils.net_utils import adjust_learning_rate

model = nn.Linear(4, 4)
lr = 0.001
optimizer = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9)
for epoch in range(1, 21):
    if epoch % 6 == 0:
        adjust_learning_rate(optimizer, 0.1)
        lr *= 0.1
    for x in loader:
        optimizer.zero_grad()
        model(x).sum().backward()
        optimizer.step()
    print(lr)
'''


def _repo(tmp_path: Path, importer: str) -> Path:
    (tmp_path / ".git").mkdir()
    utils = tmp_path / "lib" / "model" / "utils"
    utils.mkdir(parents=True)
    for d in (tmp_path / "lib" / "model", utils):
        (d / "__init__.py").write_text("", encoding="utf-8")
    (utils / "net_utils.py").write_text(NET_UTILS, encoding="utf-8")
    tools = tmp_path / "tools"
    tools.mkdir()
    (tools / "_init_paths.py").write_text(INIT_PATHS.replace('"lib"', '"..", "lib"'), encoding="utf-8")
    if importer == "sibling":
        (tools / "train.py").write_text(TRAIN.replace("IMPORT", "import _init_paths"), encoding="utf-8")
    else:  # the helper written in the script itself
        own = INIT_PATHS.replace('"lib"', '"..", "lib"')
        (tools / "train.py").write_text(TRAIN.replace("IMPORT", own), encoding="utf-8")
    return tools / "train.py"


def _entry(tmp_path: Path, importer: str) -> tuple[dict, list]:
    train = _repo(tmp_path, importer)
    run = audit_paths([str(train)], AnalysisOptions(), jobs=1, cwd=str(tmp_path))
    (res,) = run.results
    (entry,) = res.schedulers
    return entry, [f.code for f in res.findings]


def test_a_sibling_module_that_edits_sys_path_gives_the_import_root(tmp_path: Path) -> None:
    entry, codes = _entry(tmp_path, "sibling")
    assert entry["class"] == "manual:adjust_learning_rate" and entry["stepped"] == "epoch"
    assert entry["args"]["function"]["source"] == "def adjust_learning_rate at lib/model/utils/net_utils.py:2"
    # epochs 1..20, decayed at 6, 12 and 18
    assert entry["lr"] == [0.001] * 5 + [0.001 * 0.1] * 6 + [0.001 * 0.1 * 0.1] * 6 + [0.001 * 0.1 ** 3] * 3
    assert codes == []  # `lr *= 0.1` beside the helper's write keeps a copy for the log


def test_a_helper_of_the_script_that_edits_sys_path(tmp_path: Path) -> None:
    entry, codes = _entry(tmp_path, "helper")
    assert entry["args"]["function"]["source"] == "def adjust_learning_rate at lib/model/utils/net_utils.py:2"
    assert codes == []


def test_a_sibling_module_that_does_not_parse_is_not_an_import_root(tmp_path: Path) -> None:
    train = _repo(tmp_path, "sibling")
    (train.parent / "_init_paths.py").write_text("import sys\nsys.path.insert(0, (\n", encoding="utf-8")
    run = audit_paths([str(train)], AnalysisOptions(), jobs=1, cwd=str(tmp_path))
    (res,) = run.results
    assert res.error is None
    assert not [s for s in res.schedulers if s["class"] == "manual:adjust_learning_rate"]
