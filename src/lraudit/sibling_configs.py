"""Sibling configs: the schedule each config file of an entry point's ``--config`` directory gives.

``parser.add_argument("--config", default="configs/resnet50.yaml")`` and a script that reads its schedule from that
file: the default run is one config, and the directory next to it holds the others a user launches with
``--config configs/vit.yaml``. Each sibling (same directory, same extension) is analysed as ``--set
config=configs/vit.yaml`` would, and ``lraudit notes`` lists the schedule each gives, one run per file. Only options
whose default file the schedule or the optimizer actually reads from (a value's source names the file) count;
bounded by ``MAX_SIBLINGS`` files.
"""

from __future__ import annotations

import os
import re
from typing import Any

MAX_SIBLINGS = 8
_CONFIG_DEST = re.compile(r"config|cfg|hparams|hyp|settings", re.I)
_EXTENSIONS = (".yaml", ".yml", ".json", ".toml")


def sibling_runs(module: Any, text: str, path: str, display: str, opts: Any, ext: Any) -> list[dict[str, Any]]:
    """[{"option", "default", "runs": [{"config", "schedulers": [{class, line, summary, args}]}]}]."""
    from .facts import Known

    resolver = ext.resolver
    try:
        options = resolver._argparse_options()
    except Exception:  # an option table lraudit cannot read: nothing to list
        return []
    sources = " ".join(getattr(v, "source", "") for o in ext.facts.optimizers for v in [o.lr, *o.params.values()]) + \
        " ".join(getattr(v, "source", "") for s in ext.facts.schedulers for v in s.args.values())
    out: list[dict[str, Any]] = []
    given = dict(opts.overrides)
    for dest, opt in sorted(options.items()):
        if not _CONFIG_DEST.search(dest) or dest in given or any(f in given for f in opt.flags):
            continue
        v = resolver._argparse_value(dest, module)
        if not (isinstance(v, Known) and isinstance(v.value, str) and v.value.endswith(_EXTENSIONS)):
            continue
        default = v.value
        base = os.path.basename(default)
        if base not in sources:
            continue  # the schedule does not come from this file
        found = _locate(default, path)
        if found is None:
            continue
        folder = os.path.dirname(found)
        ext_ = os.path.splitext(base)[1]
        try:
            names = sorted(n for n in os.listdir(folder) if n.endswith(ext_) and n != base
                           and os.path.isfile(os.path.join(folder, n)))
        except OSError:
            continue
        if not names:
            continue
        runs = [{"config": default, "default": True, "schedulers": _schedules(ext.facts, ext.facts)}]
        prefix = default[: len(default) - len(base)]
        for name in names[:MAX_SIBLINGS]:
            value = prefix + name
            facts = _facts_with(module, text, path, display, opts, {dest: value})
            runs.append({"config": value, "default": False,
                         "schedulers": _schedules(facts, facts) if facts is not None else None})
        flag = opt.flags[0] if opt.flags else dest
        out.append({"option": flag, "default": default, "runs": runs, "more": max(0, len(names) - MAX_SIBLINGS)})
    return out


def _locate(value: str, script: str) -> str | None:
    """The file a default path names: relative to the working directory (how scripts are launched from the
    repository root), else to the script's own directory."""
    for cand in (value, os.path.join(os.path.dirname(os.path.abspath(script)), value)):
        if os.path.isfile(cand):
            return os.path.abspath(cand)
    return None


def _facts_with(module: Any, text: str, path: str, display: str, opts: Any, overrides: dict[str, str]) -> Any:
    from .extract.build import extract

    try:
        return extract(module, path, text=text, display=display, overrides={**dict(opts.overrides), **overrides}).facts
    except (RecursionError, ValueError, TypeError, KeyError, AttributeError, IndexError):
        return None


def _schedules(facts: Any, _: Any) -> list[dict[str, Any]]:
    from .describe import explain
    from .facts import Known
    from .simulate import SimOptions, simulate_scheduler

    out: list[dict[str, Any]] = []
    for s in facts.schedulers:
        curve = simulate_scheduler(facts, s, SimOptions())
        try:
            summary = explain(s, curve, optimizer_lr_text=None)
        except Exception as exc:  # an explanation bug must not hide the run
            summary = f"(no explanation: {type(exc).__name__})"
        args = {k: v.value for k, v in sorted(s.args.items()) if isinstance(v, Known) and not k.startswith("__")
                and isinstance(v.value, (int, float, str, bool, list, tuple))}
        out.append({"class": s.cls if s.framework != "unknown" else None, "line": s.loc.line,
                    "args": {k: list(v) if isinstance(v, tuple) else v for k, v in args.items()},
                    "summary": summary})
    return out
