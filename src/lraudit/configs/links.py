"""Scripts that load a config file: ``Config.fromfile(path)`` (OpenMMLab), ``cfg.merge_from_file(path)`` and
``LazyConfig.load(path)`` (detectron2), ... -> links from the script to the config, each with the path when it is
written in the script (a literal, or the default of the command-line option it comes from) or why not.

A cheap text gate on the script's text, then one ``ast`` walk; the config itself is explained as a file of its
own. ``LINK_CALLS`` maps the last parts of a call's dotted name to the family it loads; a resolver for calls
whose path is not their first argument can be added to ``ARGUMENT``.
"""

from __future__ import annotations

import ast
import os
from dataclasses import dataclass
from typing import Any, Callable

from ..facts import Known, Unknown, Value

# dotted-name suffix of the call -> family of the config it loads
LINK_CALLS: dict[str, str] = {
    "Config.fromfile": "OpenMMLab",
    "mmcv.Config.fromfile": "OpenMMLab",
    "merge_from_file": "detectron2",
    "LazyConfig.load": "detectron2",
    "hydra.main": "Hydra",
    "LightningCLI": "Lightning CLI",
    "deepspeed.initialize": "DeepSpeed",
    "TrainingArguments": "DeepSpeed",
    "Seq2SeqTrainingArguments": "DeepSpeed",
}
# call suffix -> function picking the argument that holds the path (default: the first positional argument);
# returning SKIP means the call loads no config (TrainingArguments without deepspeed=)
SKIP = ast.Constant(value=None)


def _hydra_main(call: ast.Call) -> ast.expr | None:
    """``@hydra.main(config_path="configs", config_name="train")``: Hydra reads <config_path>/<config_name>.yaml,
    config_path relative to the script's directory."""
    kw = {k.arg: k.value for k in call.keywords}
    path, name = kw.get("config_path"), kw.get("config_name")
    if len(call.args) >= 2:
        path, name = call.args[0], call.args[1]
    if isinstance(name, ast.Constant) and isinstance(name.value, str) and (
            path is None or isinstance(path, ast.Constant) and isinstance(path.value, (str, type(None)))):
        base = path.value if isinstance(path, ast.Constant) and path.value else "."
        file = name.value if name.value.endswith((".yaml", ".yml")) else name.value + ".yaml"
        return ast.Constant(value=os.path.join(base, file))
    return name if name is not None else path


def _keyword(*names: str, skip: bool = False) -> Callable[[ast.Call], ast.expr | None]:
    def pick(call: ast.Call) -> ast.expr | None:
        for k in call.keywords:
            if k.arg in names:
                return k.value
        return SKIP if skip else None
    return pick


def _deepspeed_initialize(call: ast.Call) -> ast.expr | None:
    """``config=`` / ``config_params=``; without them DeepSpeed reads the file named by ``args.deepspeed_config``
    (the option ``deepspeed.add_config_arguments`` adds); neither: no config."""
    kw = {k.arg: k.value for k in call.keywords}
    for name in ("config", "config_params"):
        if name in kw:
            return _json_load_path(kw[name]) or kw[name]
    if "args" in kw:
        return ast.Attribute(value=kw["args"], attr="deepspeed_config", ctx=ast.Load())
    return SKIP


def _json_load_path(e: ast.expr) -> ast.expr | None:
    """PATH of ``json.load(open(PATH))``."""
    if isinstance(e, ast.Call) and _dotted(e.func) in ("json.load", "json.loads") and e.args:
        inner = e.args[0]
        if isinstance(inner, ast.Call) and _dotted(inner.func) == "open" and inner.args:
            return inner.args[0]
    return None


ARGUMENT: dict[str, Callable[[ast.Call], ast.expr | None]] = {
    "hydra.main": _hydra_main,
    "LightningCLI": lambda call: None,
    "deepspeed.initialize": _deepspeed_initialize,
    "TrainingArguments": _keyword("deepspeed", skip=True),
    "Seq2SeqTrainingArguments": _keyword("deepspeed", skip=True),
}
# call suffix -> why there is no path when the call names none
NO_PATH: dict[str, str] = {
    "LightningCLI": "LightningCLI reads the config files given on the command line (--config)",
}
GATE_WORDS: tuple[str, ...] = ("fromfile", "merge_from_file", "LazyConfig", "hydra", "LightningCLI", "deepspeed")


@dataclass(frozen=True)
class ConfigLink:
    line: int
    call: str
    family: str
    path: Value  # Known(display path) or Unknown(reason)

    def to_json(self) -> dict[str, Any]:
        if isinstance(self.path, Known):
            return {"line": self.line, "call": self.call, "family": self.family, "path": self.path.value,
                    "unresolved": None}
        return {"line": self.line, "call": self.call, "family": self.family, "path": None,
                "unresolved": getattr(self.path, "reason", "unknown")}


def _dotted(e: ast.expr) -> str | None:
    if isinstance(e, ast.Name):
        return e.id
    if isinstance(e, ast.Attribute):
        inner = _dotted(e.value)
        return f"{inner}.{e.attr}" if inner else e.attr
    return None


def _match(name: str) -> str | None:
    for suffix in sorted(LINK_CALLS, key=len, reverse=True):
        if name == suffix or name.endswith("." + suffix):
            return suffix
    return None


def _option_defaults(tree: ast.AST) -> dict[str, tuple[str | None, int]]:
    """``--config`` / ``config`` options of argparse: dest -> (string default or None, line)."""
    out: dict[str, tuple[str | None, int]] = {}
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and
                node.func.attr == "add_argument"):
            continue
        names = [a.value for a in node.args if isinstance(a, ast.Constant) and isinstance(a.value, str)]
        if not names:
            continue
        dest = next((kw.value.value for kw in node.keywords if kw.arg == "dest" and isinstance(kw.value, ast.Constant)),
                    None)
        long = next((n for n in names if n.startswith("--")), names[0])
        dest = dest or long.lstrip("-").replace("-", "_")
        default = next((kw.value for kw in node.keywords if kw.arg == "default"), None)
        value = default.value if isinstance(default, ast.Constant) and isinstance(default.value, str) else None
        out[dest] = (value, node.lineno)
    return out


def _resolve(arg: ast.expr | None, script: str, options: dict[str, tuple[str | None, int]]) -> Value:
    if arg is None:
        return Unknown("the call names no file")
    if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
        return _existing(arg.value, script, "written in the script")
    if isinstance(arg, ast.Attribute) and arg.attr == "deepspeed_config" and arg.attr not in options:
        return Unknown("DeepSpeed reads the file named by --deepspeed_config, given on the command line "
                       "(deepspeed.add_config_arguments adds the option without a default)")
    if isinstance(arg, ast.Attribute) and isinstance(arg.value, ast.Name) and arg.attr in options:
        default, line = options[arg.attr]
        if default is None:
            return Unknown(f"given on the command line ({_dotted(arg)}, line {line}, has no default)")
        return _existing(default, script, f"the default of --{arg.attr.replace('_', '-')} (line {line}); the "
                                          f"command line may name another file")
    text = _dotted(arg)
    return Unknown(f"computed at run time ({text})" if text else "computed at run time")


def _existing(rel: str, script: str, how: str) -> Value:
    from .base import display_of

    for base in (os.getcwd(), os.path.dirname(os.path.abspath(script))):
        cand = os.path.normpath(os.path.join(base, rel))
        if os.path.isfile(cand):
            return Known(display_of(cand), how)
    return Unknown(f"{rel} ({how}) is not a file in this tree")


def find_links(text: str, script: str) -> list[ConfigLink]:
    """The config loads of a script (empty without any of ``GATE_WORDS`` in its text)."""
    if not any(w in text for w in GATE_WORDS):
        return []
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return []
    options: dict[str, tuple[str | None, int]] | None = None
    out: list[ConfigLink] = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        name = _dotted(node.func)
        suffix = _match(name) if name else None
        if suffix is None:
            continue
        if options is None:
            options = _option_defaults(tree)
        pick = ARGUMENT.get(suffix)
        arg = pick(node) if pick is not None else (node.args[0] if node.args else next(
            (kw.value for kw in node.keywords if kw.arg in ("filename", "cfg_filename", "config_file", "path")), None))
        if arg is SKIP:
            continue
        if arg is None and suffix in NO_PATH:
            out.append(ConfigLink(node.lineno, name or suffix, LINK_CALLS[suffix], Unknown(NO_PATH[suffix])))
            continue
        if isinstance(arg, ast.Dict) or (LINK_CALLS[suffix] == "DeepSpeed" and isinstance(arg, (ast.Name, ast.Call))
                                         and not _json_load_path(arg)):
            what = "a dict written in the script" if isinstance(arg, ast.Dict) else \
                f"a value of the script ({_dotted(arg) if isinstance(arg, ast.Name) else 'a call'})"
            out.append(ConfigLink(node.lineno, name or suffix, LINK_CALLS[suffix],
                                  Unknown(f"{what}, not a config file: when the script's values resolve it to a "
                                          f"dict, its optimizer and scheduler are shown with the script")))
            continue
        out.append(ConfigLink(node.lineno, name or suffix, LINK_CALLS[suffix], _resolve(arg, script, options)))
    return sorted(out, key=lambda c: (c.line, c.call))


__all__ = ["ConfigLink", "LINK_CALLS", "ARGUMENT", "GATE_WORDS", "find_links"]
