"""Record the constructor signatures of apex's and bitsandbytes' optimizers, read from their source with libcst.

Neither library is a test dependency (apex is built from source against CUDA, bitsandbytes ships a 40 MB wheel of
native libraries), so ``tests/test_optimizer_library_signatures.py`` compares the catalog with these recordings.

    python tests/data/optimizer_signatures/make_signatures.py apex SRC_DIR COMMIT
    python tests/data/optimizer_signatures/make_signatures.py bitsandbytes SRC_DIR VERSION

SRC_DIR holds the package (``SRC_DIR/apex/optimizers/*.py``, ``SRC_DIR/bitsandbytes/optim/*.py``): a checkout of
github.com/NVIDIA/apex at COMMIT, or the unpacked bitsandbytes wheel of VERSION from PyPI. Each class is recorded
under the module that defines it; ``exports`` lists what the package's ``__init__`` re-exports.
"""

from __future__ import annotations

import ast
import json
import sys
from pathlib import Path

import libcst as cst

PACKAGES = {"apex": "apex/optimizers", "bitsandbytes": "bitsandbytes/optim"}
#: default expressions that are not literals: torch.optim.optimizer.required (apex's FusedSGD lr)
SENTINELS = {"required": "REQUIRED"}


def _default(expr: cst.BaseExpression | None) -> object:
    if expr is None:
        return "REQUIRED"
    code = cst.Module([]).code_for_node(expr)
    if code in SENTINELS:
        return SENTINELS[code]
    value = ast.literal_eval(code)
    return {"tuple": list(value)} if isinstance(value, tuple) else value


def _params(init: cst.FunctionDef) -> list[list[object]]:
    ps = init.params
    out: list[list[object]] = []
    for p in (*ps.posonly_params, *ps.params):
        out.append([p.name.value, _default(p.default), "pos"])
    if isinstance(ps.star_arg, cst.Param):
        out.append([ps.star_arg.name.value, "REQUIRED", "varpos"])
    for p in ps.kwonly_params:
        out.append([p.name.value, _default(p.default), "kwonly"])
    if ps.star_kwarg is not None:
        out.append([ps.star_kwarg.name.value, "REQUIRED", "varkw"])
    return [p for p in out if p[0] != "self"]


def record(package: str, src: Path) -> dict[str, object]:
    folder = src / PACKAGES[package]
    classes: dict[str, list[list[object]]] = {}
    for path in sorted(folder.glob("*.py")):
        if path.name == "__init__.py":
            continue
        module = ".".join(PACKAGES[package].split("/")) + "." + path.stem
        for node in cst.parse_module(path.read_text(encoding="utf-8")).body:
            if not isinstance(node, cst.ClassDef):
                continue
            for item in node.body.body:
                if isinstance(item, cst.FunctionDef) and item.name.value == "__init__":
                    classes[f"{module}.{node.name.value}"] = _params(item)
    exports = []
    for node in ast.parse((folder / "__init__.py").read_text(encoding="utf-8")).body:
        if isinstance(node, ast.ImportFrom) and node.level == 1:
            exports += [f"{node.module}.{a.name}" for a in node.names]
    public = {f"{'.'.join(PACKAGES[package].split('/'))}.{e}" for e in exports}
    # the exported optimizers (GlobalOptimManager's __init__ takes no params)
    kept = {q: ps for q, ps in classes.items() if q in public and ps and ps[0][0] == "params"}
    return {"classes": kept, "exports": sorted(exports)}


def main() -> None:
    package, src, version = sys.argv[1], Path(sys.argv[2]), sys.argv[3]
    data = {"library": package, "version" if package == "bitsandbytes" else "commit": version,
            "source": ("https://pypi.org/project/bitsandbytes/" + version if package == "bitsandbytes"
                       else f"https://github.com/NVIDIA/apex/tree/{version}"),
            **record(package, src)}
    out = Path(__file__).with_name(f"{package}.json")
    rows = [f"  {json.dumps(q)}: {json.dumps(ps)}" for q, ps in data.pop("classes").items()]
    head = json.dumps(data, indent=1)[:-2]
    out.write_text(head + ',\n "classes": {\n' + ",\n".join(rows) + "\n }\n}\n", encoding="utf-8")
    print(out, len(rows), "classes")


if __name__ == "__main__":
    main()
