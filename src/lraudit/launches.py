"""Launch commands: the runs a repository's shell scripts and README code blocks make of an entry script.

LLM fine-tuning repositories keep their hyperparameters in the command that launches the script (alpaca's
README: ``torchrun --nproc_per_node=4 train.py --learning_rate 2e-5 --lr_scheduler_type "cosine" ...``, FastChat's
``scripts/train_vicuna_7b.sh``): the script's own defaults (Hugging Face's linear 5e-5) are a run nobody makes.
Each command that runs the analysed file with options is read as the ``--set`` list those options give, and
``lraudit notes`` lists the schedule each launch gives, as it lists sibling configs (``sibling_configs.py``).

What counts as a launch: a command line (``\\``-continued lines joined, in a ``*.sh`` file of the repository or a
shell code block of a ``README*.md`` at the root or beside the script) with a launcher word (``python``,
``python3``, ``torchrun``, ``deepspeed``, ``accelerate``, ``srun``, ...) before a ``.py`` path that names the
analysed file (from the command file's directory or the root). Options after it, ``--key value`` or
``--key=value`` (a bare ``--flag`` is ``true``), are the run's; a value the shell computes (``$LR``, ``<path>``)
is not read and is listed as such. Bounded: ``MAX_FILES`` command files of ``MAX_BYTES`` each, ``MAX_LAUNCHES``
launches per script.
"""

from __future__ import annotations

import os
import re
import shlex
from dataclasses import dataclass, field

MAX_FILES = 400
MAX_BYTES = 256 * 1024
MAX_LAUNCHES = 8
_LAUNCHERS = re.compile(r"^(python[\d.]*|torchrun|deepspeed|accelerate|srun|mpirun|horovodrun|uv|poetry|"
                        r"CUDA_VISIBLE_DEVICES=\S*|.*/python[\d.]*)$")
_FENCE = re.compile(r"^\s*```\s*(\w*)\s*$")
_SHELL_LANGS = {"", "sh", "bash", "shell", "console", "zsh"}
_SHELL_VALUE = re.compile(r"[$`<>{}]")
_SEPARATORS = {"&&", "||", ";", "|", "&"}


@dataclass(frozen=True)
class Launch:
    where: str  # "scripts/train.sh:12" (repository path and line of the command)
    sets: tuple[tuple[str, str], ...]  # (option as written without dashes, value), in command order
    skipped: tuple[str, ...] = field(default=())  # options whose value the shell computes


def launches_for(script: str, root: str) -> list[Launch]:
    """The launches of ``script`` (a path) found under the repository ``root``, in file and line order."""
    target = os.path.realpath(script)
    out: list[Launch] = []
    seen: set[tuple[tuple[str, str], ...]] = set()
    for path in _command_files(root, os.path.dirname(target)):
        for line, tokens in _commands(path):
            got = _launch(tokens, target, os.path.dirname(path), root)
            if got is None:
                continue
            sets, skipped = got
            if not sets or sets in seen:
                continue
            seen.add(sets)
            out.append(Launch(f"{_rel(path, root)}:{line}", sets, skipped))
            if len(out) >= MAX_LAUNCHES:
                return out
    return out


_SCHEDULE_WORDS = re.compile(r"lr|learning.?rate|sched|warm|epoch|step|iter|decay|accum|gamma|milestone|cycle|optim|"
                             r"batch|momentum|eta|t_max|patience|factor", re.I)


def schedule_options(sets: tuple[tuple[str, str], ...]) -> tuple[tuple[str, str], ...]:
    """The options of a launch that are about the schedule, by name (to show; the run uses all of them)."""
    return tuple(kv for kv in sets if _SCHEDULE_WORDS.search(kv[0]))


def _rel(path: str, root: str) -> str:
    rel = os.path.relpath(path, root)
    return path if rel.startswith("..") else rel.replace(os.sep, "/")


def _command_files(root: str, script_dir: str) -> list[str]:
    """``*.sh`` files under the root (skipping what the walker skips) and the READMEs at the root and beside the
    script, sorted, at most MAX_FILES."""
    from .discover import SKIP_DIRS

    found: list[str] = []
    for d in sorted({root, script_dir}):
        try:
            names = sorted(os.listdir(d))
        except OSError:
            continue
        found.extend(os.path.join(d, n) for n in names if n.lower().startswith("readme") and n.lower().endswith(".md"))
    shells: list[str] = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(n for n in dirnames if n not in SKIP_DIRS and not n.startswith("."))
        shells.extend(os.path.join(dirpath, n) for n in sorted(filenames) if n.endswith(".sh"))
        if len(shells) >= MAX_FILES:
            break
    return found + shells[:MAX_FILES]


def _commands(path: str) -> list[tuple[int, list[str]]]:
    """(line, tokens) of each command line of a shell file or of a README's shell code blocks."""
    from .cache import note_dependency

    try:
        if os.path.getsize(path) > MAX_BYTES:
            return []
        with open(path, "rb") as fh:
            text = fh.read().decode("utf-8", errors="replace")
    except OSError:
        return []
    note_dependency(path)  # the notes' launches change when the command file does
    lines = text.splitlines()
    if path.lower().endswith(".md"):
        kept: list[str] = []
        inside = False
        for raw in lines:
            m = _FENCE.match(raw)
            if m:
                inside = not inside and m.group(1).lower() in _SHELL_LANGS
                kept.append("")
                continue
            kept.append(raw if inside else "")
        lines = kept
    out: list[tuple[int, list[str]]] = []
    buf: list[str] = []
    start = 0
    for i, raw in enumerate(lines, 1):
        if not buf:
            start = i
        stripped = raw.rstrip()
        if stripped.endswith("\\"):
            buf.append(stripped[:-1])
            continue
        buf.append(stripped)
        logical = " ".join(buf).strip()
        buf = []
        if logical.startswith("$ "):
            logical = logical[2:]
        if not logical or logical.startswith("#"):
            continue
        try:
            tokens = shlex.split(logical, comments=True, posix=True)
        except ValueError:  # an unbalanced quote: not a command lraudit reads
            continue
        for command in _split(tokens):
            out.append((start, command))
    return out


def _split(tokens: list[str]) -> list[list[str]]:
    out: list[list[str]] = [[]]
    for t in tokens:
        if t in _SEPARATORS:
            out.append([])
        else:
            out[-1].append(t.rstrip(";"))
    return [c for c in out if c]


def _launch(tokens: list[str], target: str, here: str, root: str
            ) -> tuple[tuple[tuple[str, str], ...], tuple[str, ...]] | None:
    """The options a command gives the analysed script, or None when it does not run it."""
    for i, tok in enumerate(tokens):
        if not tok.endswith(".py") or _SHELL_VALUE.search(tok):
            continue
        if not any(_LAUNCHERS.match(t) for t in tokens[:i]):
            return None
        if not any(os.path.realpath(os.path.join(base, tok)) == target for base in (here, root)):
            return None
        return _options(tokens[i + 1:])
    return None


def _options(args: list[str]) -> tuple[tuple[tuple[str, str], ...], tuple[str, ...]]:
    sets: list[tuple[str, str]] = []
    skipped: list[str] = []
    i = 0
    while i < len(args):
        tok = args[i]
        i += 1
        if not tok.startswith("-") or _number(tok) or tok in ("-", "--"):
            continue  # a positional argument
        key, eq, value = tok.lstrip("-").partition("=")
        if not key:
            continue
        if not eq:
            if i < len(args) and (not args[i].startswith("-") or _number(args[i])):
                value = args[i]
                i += 1
            else:
                value = "true"  # a store_true flag
        if _SHELL_VALUE.search(value) or _SHELL_VALUE.search(key):
            skipped.append(key)
            continue
        sets.append((key, value))
    return tuple(sets), tuple(skipped)


def _number(tok: str) -> bool:
    try:
        float(tok)
    except ValueError:
        return False
    return True
