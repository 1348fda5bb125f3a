"""``[tool.lraudit]`` in ``pyproject.toml``: find it, read it, validate it against the rule catalog.

Keys mirror the CLI options (kebab-case)::

    [tool.lraudit]
    select = ["LR"]                        # codes, prefixes, rule names or ALL
    ignore = ["LR3", "increasing-lr"]
    exclude = ["build", "legacy/**"]        # replaces the default excludes
    extend-exclude = ["notebooks"]          # adds to them
    fail-on = "warning"                    # error | warning | info
    format = "text"                        # text | json | sarif | github
    target-versions = {torch = ">=2.7"}    # library versions the code targets (overrides its pins)
    [tool.lraudit.per-file-ignores]
    "tests/*.py" = ["LR101"]
    [tool.lraudit.severity]
    LR101 = "error"                        # code or name -> severity
    [tool.lraudit.rules.increasing-lr]     # code or name -> {option: value}
    min-ratio = 1.5

The configuration used is ``--config FILE`` when given, else the closest ``pyproject.toml`` that has a
``[tool.lraudit]`` table, walking up from the checked paths (ruff's approach). Every problem is a
:class:`ConfigError` whose message names the file and the key.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from lraudit.registry import Rule


SEVERITIES: tuple[str, ...] = ("error", "warning", "info")
FORMATS: tuple[str, ...] = ("text", "json", "sarif", "github")
DEFAULT_FAIL_ON = "warning"
DEFAULT_EXCLUDE: tuple[str, ...] = (
    ".bzr",
    ".direnv",
    ".eggs",
    ".git",
    ".hg",
    ".ipynb_checkpoints",
    ".lraudit_cache",
    ".mypy_cache",
    ".nox",
    ".pytest_cache",
    ".ruff_cache",
    ".svn",
    ".tox",
    ".venv",
    "__pycache__",
    "__pypackages__",
    "_build",
    "build",
    "dist",
    "node_modules",
    "site-packages",
    "venv",
    # test suites build optimizers with arbitrary values on purpose; audit them by naming them explicitly
    # or by setting `exclude` without these
    "tests",
    "test",
    "test_*.py",
    "*_test.py",
    "conftest.py",
    # config files of test runs (detectron2's `*_instant_test.yaml`: 40 iterations, defaults left as they are)
    "*_test.yaml",
    "*_test.yml",
    "*_test.json",
)
KEYS: tuple[str, ...] = (
    "select",
    "ignore",
    "per-file-ignores",
    "exclude",
    "extend-exclude",
    "fail-on",
    "severity",
    "rules",
    "format",
    "target-versions",
)


class ConfigError(Exception):
    """Invalid configuration or selector; the message says where (file and key) and what."""


@dataclass(frozen=True)
class Config:
    path: Path | None = None  # the config file used (None: defaults)
    root: Path | None = None  # directory globs are relative to (the config file's; None: cwd)
    select: tuple[str, ...] | None = None  # None: all rules
    ignore: tuple[str, ...] = ()
    per_file_ignores: Mapping[str, tuple[str, ...]] = field(default_factory=dict, hash=False)
    exclude: tuple[str, ...] = DEFAULT_EXCLUDE
    extend_exclude: tuple[str, ...] = ()
    fail_on: str = DEFAULT_FAIL_ON
    severity: Mapping[str, str] = field(default_factory=dict, hash=False)  # code -> severity
    rules: Mapping[str, Mapping[str, Any]] = field(default_factory=dict, hash=False)  # code -> options
    format: str | None = None
    target_versions: tuple[tuple[str, str], ...] = ()  # (package, specifier): overrides what the repository pins

    @property
    def all_excludes(self) -> tuple[str, ...]:
        return self.exclude + self.extend_exclude

    def is_excluded(self, path: str | os.PathLike[str], cwd: Path | None = None) -> bool:
        """True when ``path`` (or one of its parent directories) matches an exclude glob."""
        rel = relative_posix(path, self.root, cwd)
        return any(path_matches(pattern, rel) for pattern in self.all_excludes)

    def per_file_ignored(
        self, path: str | os.PathLike[str], rules: Iterable[Rule], cwd: Path | None = None
    ) -> set[str]:
        """Codes that ``per-file-ignores`` turns off for ``path``."""
        from lraudit.selection import codes_matching

        rel = relative_posix(path, self.root, cwd)
        selectors = [
            sel for pattern, sels in self.per_file_ignores.items() if path_matches(pattern, rel) for sel in sels
        ]
        return codes_matching(tuple(rules), selectors) if selectors else set()

    def severity_for(self, rule: Rule) -> str:
        return self.severity.get(rule.code, rule.severity)

    def options_for(self, rule: Rule) -> dict[str, Any]:
        """The rule's option defaults with this configuration's overrides applied."""
        values = rule.option_defaults()
        values.update(self.rules.get(rule.code, {}))
        return values


# ------------------------------------------------------------------------------------------ finding


def find_config_file(paths: Sequence[str | os.PathLike[str]], cwd: Path | None = None) -> Path | None:
    """The closest ``pyproject.toml`` with a ``[tool.lraudit]`` table above the checked paths."""
    base = Path.cwd() if cwd is None else Path(cwd)
    starts = [_absolute(Path(p), base) for p in paths] or [base]
    dirs = [p if p.is_dir() else p.parent for p in starts]
    try:
        start = Path(os.path.commonpath([str(d) for d in dirs]))
    except ValueError:  # different drives on Windows
        start = dirs[0]
    for directory in (start, *start.parents):
        candidate = directory / "pyproject.toml"
        if candidate.is_file() and _lraudit_table(candidate, base) is not None:
            return candidate
    return None


def _lraudit_table(path: Path, cwd: Path) -> dict[str, Any] | None:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{display_path(path, cwd)}: cannot read: {exc}") from None
    if "lraudit" not in text:  # cheap gate: most pyproject.toml files never mention us
        return None
    table = _parse_toml(text, path, cwd).get("tool", {})
    table = table.get("lraudit") if isinstance(table, dict) else None
    if table is not None and not isinstance(table, dict):
        raise ConfigError(f"{display_path(path, cwd)}: [tool.lraudit] must be a table")
    return table


def _toml_module() -> Any:
    """tomllib (tomli on Python 3.10), imported only when a TOML file is read."""
    try:  # Python 3.11+
        import tomllib

        return tomllib
    except ModuleNotFoundError:  # pragma: no cover - Python 3.10
        try:
            import tomli

            return tomli
        except ModuleNotFoundError:
            return None


def _parse_toml(text: str, path: Path, cwd: Path) -> dict[str, Any]:
    _toml = _toml_module()
    if _toml is None:  # pragma: no cover - Python 3.10 without tomli
        raise ConfigError(
            f"{display_path(path, cwd)}: reading TOML needs Python 3.11+ or the 'tomli' package "
            "(pip install tomli)"
        )
    try:
        return _toml.loads(text)
    except _toml.TOMLDecodeError as exc:
        raise ConfigError(f"{display_path(path, cwd)}: invalid TOML: {exc}") from None
    except RecursionError:
        raise ConfigError(f"{display_path(path, cwd)}: invalid TOML: nested too deeply to read") from None


def display_path(path: Path, cwd: Path | None = None) -> str:
    """``path`` relative to the working directory when it is inside it, else absolute."""
    base = Path.cwd() if cwd is None else Path(cwd)
    absolute = _absolute(path, base)
    try:
        return absolute.relative_to(_absolute(base, base)).as_posix()
    except ValueError:
        return str(absolute)


def _absolute(path: Path, cwd: Path) -> Path:
    return Path(os.path.normpath(path if path.is_absolute() else cwd / path))


# ------------------------------------------------------------------------------------------ loading


def load_config(
    paths: Sequence[str | os.PathLike[str]] = (),
    config_file: str | os.PathLike[str] | None = None,
    rules: Iterable[Rule] | None = None,
    cwd: Path | None = None,
) -> Config:
    """Read and validate the configuration for ``paths`` (or ``config_file``).

    ``rules`` is the rule catalog that selectors, ``severity`` and ``rules`` keys are checked against
    (default: :func:`lraudit.registry.load_rules`).
    """
    base = Path.cwd() if cwd is None else Path(cwd)
    if config_file is not None:
        path = _absolute(Path(config_file), base)
        if not path.is_file():
            raise ConfigError(f"{display_path(path, base)}: config file not found")
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{display_path(path, base)}: cannot read: {exc}") from None
        document = _parse_toml(text, path, base)
        tool = document.get("tool")
        if isinstance(tool, dict) and "lraudit" in tool:
            table, label = tool["lraudit"], "[tool.lraudit] "
            if not isinstance(table, dict):
                raise ConfigError(f"{display_path(path, base)}: [tool.lraudit] must be a table")
        elif path.name == "pyproject.toml":
            raise ConfigError(f"{display_path(path, base)}: no [tool.lraudit] table")
        else:  # a standalone lraudit.toml: keys at the top level
            table, label = document, ""
    else:
        found = find_config_file(paths, base)
        if found is None:
            return Config()
        path = found
        table, label = _lraudit_table(path, base) or {}, "[tool.lraudit] "
    if rules is None:
        from lraudit.registry import load_rules

        rules = load_rules()
    return parse_table(table, rules, source=f"{display_path(path, base)}: {label}", path=path)


def parse_table(
    table: Mapping[str, Any], rules: Iterable[Rule], source: str = "", path: Path | None = None
) -> Config:
    """Validate one configuration table (``[tool.lraudit]``'s contents) into a :class:`Config`.

    ``source`` prefixes every error message, e.g. ``"pyproject.toml: [tool.lraudit] "``.
    """
    from lraudit.selection import resolve_selector

    rules = tuple(rules)
    by_key: dict[str, Rule] = {}
    for rule in rules:
        by_key[rule.code] = rule
        by_key[rule.name] = rule

    def fail(key: str, problem: str) -> ConfigError:
        return ConfigError(f"{source}{key}: {problem}")

    for key in table:
        if key not in KEYS:
            suggestion = str(key).replace("_", "-")
            hint = f" (did you mean {suggestion!r}?)" if suggestion in KEYS else ""
            raise ConfigError(f"{source}unknown key {key!r}{hint}; known keys: {', '.join(KEYS)}")

    def selectors(key: str, value: Any) -> tuple[str, ...]:
        items = _string_list(value, key, fail)
        for item in items:
            try:
                resolve_selector(rules, item)
            except ConfigError as exc:
                raise fail(key, str(exc)) from None
        return items

    def one_of(key: str, value: Any, allowed: tuple[str, ...]) -> str:
        if not isinstance(value, str) or value not in allowed:
            raise fail(key, f"expected one of {', '.join(allowed)}, got {value!r}")
        return value

    def rule_for(key: str, name: Any) -> Rule:
        rule = by_key.get(name) if isinstance(name, str) else None
        if rule is None:
            raise fail(key, f"unknown rule {name!r} (expected a rule code like LR101 or a rule name)")
        return rule

    kwargs: dict[str, Any] = {"path": path, "root": path.parent if path is not None else None}
    if "select" in table:
        kwargs["select"] = selectors("select", table["select"])
    if "ignore" in table:
        kwargs["ignore"] = selectors("ignore", table["ignore"])
    if "exclude" in table:
        kwargs["exclude"] = _string_list(table["exclude"], "exclude", fail)
    if "extend-exclude" in table:
        kwargs["extend_exclude"] = _string_list(table["extend-exclude"], "extend-exclude", fail)
    if "fail-on" in table:
        kwargs["fail_on"] = one_of("fail-on", table["fail-on"], SEVERITIES)
    if "format" in table:
        kwargs["format"] = one_of("format", table["format"], FORMATS)

    if "per-file-ignores" in table:
        raw = _table(table["per-file-ignores"], "per-file-ignores", fail)
        kwargs["per_file_ignores"] = {
            str(glob): selectors(f"per-file-ignores.{_quote(glob)}", sels) for glob, sels in raw.items()
        }

    if "severity" in table:
        raw = _table(table["severity"], "severity", fail)
        severity: dict[str, str] = {}
        for name, value in raw.items():
            key = f"severity.{_quote(name)}"
            rule = rule_for(key, name)
            if rule.code in severity:
                raise fail(key, f"{rule.code} ({rule.name}) is configured twice")
            severity[rule.code] = one_of(key, value, SEVERITIES)
        kwargs["severity"] = severity

    if "rules" in table:
        raw = _table(table["rules"], "rules", fail)
        options: dict[str, dict[str, Any]] = {}
        for name, values in raw.items():
            key = f"rules.{_quote(name)}"
            rule = rule_for(key, name)
            if rule.code in options:
                raise fail(key, f"{rule.code} ({rule.name}) is configured twice")
            values = _table(values, key, fail)
            checked: dict[str, Any] = {}
            for option, value in values.items():
                if option not in rule.options:
                    known = ", ".join(rule.options) or "none"
                    raise fail(
                        f"{key}.{_quote(option)}",
                        f"unknown option for {rule.code} ({rule.name}); its options: {known}",
                    )
                checked[option] = _coerce_option(
                    value, rule.options[option].default, f"{key}.{_quote(option)}", fail
                )
            options[rule.code] = checked
        kwargs["rules"] = options

    if "target-versions" in table:
        from lraudit.versions import VersionError, parse_table_overrides

        try:
            kwargs["target_versions"] = tuple(parse_table_overrides(table["target-versions"], "target-versions"))
        except VersionError as exc:
            raise ConfigError(f"{source}{exc}") from None

    return Config(**kwargs)


def _string_list(value: Any, key: str, fail: Any) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise fail(key, f"expected a list of strings, got {_describe(value)}")
    return tuple(value)


def _table(value: Any, key: str, fail: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise fail(key, f"expected a table, got {_describe(value)}")
    return value


def _coerce_option(value: Any, default: Any, key: str, fail: Any) -> Any:
    """Check ``value`` has the type of the option's ``default`` (an int is fine where a float is)."""
    if isinstance(default, list):
        if not isinstance(value, list):
            raise fail(key, f"expected a list, got {_describe(value)}")
        if default:
            numbers = all(isinstance(d, (int, float)) and not isinstance(d, bool) for d in default)
            element = 0.0 if numbers and any(isinstance(d, float) for d in default) else default[0]
            return [_coerce_option(item, element, f"{key}[{i}]", fail) for i, item in enumerate(value)]
        for i, item in enumerate(value):
            if not isinstance(item, (bool, int, float, str)):
                raise fail(f"{key}[{i}]", f"expected a boolean, number or string, got {_describe(item)}")
        return list(value)
    if isinstance(default, bool):
        if not isinstance(value, bool):
            raise fail(key, f"expected true or false, got {_describe(value)}")
        return value
    if isinstance(default, int):
        if not isinstance(value, int) or isinstance(value, bool):
            raise fail(key, f"expected an integer, got {_describe(value)}")
        return value
    if isinstance(default, float):
        if not isinstance(value, (int, float)) or isinstance(value, bool):
            raise fail(key, f"expected a number, got {_describe(value)}")
        return float(value)
    if isinstance(default, str):
        if not isinstance(value, str):
            raise fail(key, f"expected a string, got {_describe(value)}")
        return value
    return value  # pragma: no cover - the registry only admits the types above


def _describe(value: Any) -> str:
    if isinstance(value, dict):
        return "a table"
    kind = {bool: "boolean", int: "integer", float: "number", str: "string", list: "list"}.get(
        type(value), type(value).__name__
    )
    return f"{kind} {value!r}"


def _quote(key: Any) -> str:
    key = str(key)
    return key if re.match(r"^[A-Za-z0-9_-]+$", key) else f'"{key}"'


# ------------------------------------------------------------------------------------------- globs


def relative_posix(
    path: str | os.PathLike[str], root: Path | None = None, cwd: Path | None = None
) -> str:
    """``path`` relative to ``root`` (default: cwd) with ``/`` separators; absolute when outside."""
    base = Path.cwd() if cwd is None else Path(cwd)
    absolute = _absolute(Path(path), base)
    anchor = _absolute(root, base) if root is not None else _absolute(base, base)
    try:
        return absolute.relative_to(anchor).as_posix()
    except ValueError:
        return absolute.as_posix()


def path_matches(pattern: str, relpath: str) -> bool:
    """gitignore-like matching of one glob against a ``/``-separated relative path.

    A pattern without ``/`` matches any single path component (``build``, ``*_test.py``); a pattern
    with ``/`` is anchored at the root (``tests/*.py``, ``legacy/**``). Matching a directory matches
    everything below it. ``*`` and ``?`` stay within a component; ``**`` spans components.
    """
    pattern = pattern.strip()
    if pattern.startswith("./"):
        pattern = pattern[2:]
    pattern = pattern.rstrip("/")
    if not pattern:
        return False
    parts = [p for p in relpath.split("/") if p not in ("", ".")]
    if relpath.startswith("/"):
        parts[0:0] = [""]  # keep absolute paths absolute for absolute patterns
    regex = _glob_regex(pattern)
    if "/" not in pattern:
        return any(regex.match(part) for part in parts if part)
    return any(regex.match("/".join(parts[:i])) for i in range(1, len(parts) + 1))


@lru_cache(maxsize=256)
def _glob_regex(pattern: str) -> re.Pattern[str]:
    out: list[str] = []
    i, n = 0, len(pattern)
    while i < n:
        c = pattern[i]
        if pattern.startswith("**/", i):
            out.append("(?:[^/]*/)*")
            i += 3
        elif pattern.startswith("**", i):
            out.append(".*")
            i += 2
        elif c == "*":
            out.append("[^/]*")
            i += 1
        elif c == "?":
            out.append("[^/]")
            i += 1
        elif c == "[":
            end = pattern.find("]", i + 2 if pattern.startswith("[!", i) or pattern.startswith("[]", i) else i + 1)
            if end == -1:
                out.append(re.escape(c))
                i += 1
                continue
            body = pattern[i + 1 : end]
            if body.startswith("!"):
                body = "^" + body[1:]
            out.append("[" + body.replace("\\", "\\\\") + "]")
            i = end + 1
        else:
            out.append(re.escape(c))
            i += 1
    return re.compile("".join(out) + r"\Z")
