"""The rule catalog: load and validate ``rules/<category>/<rule-name>.yaml``, bind codes to checks.

A rule is data (identity, severity, message template, rationale, options, references, examples) plus a
Python check registered with :func:`check`. Loading is strict: any unknown, missing or mistyped key, a
duplicate code or name, a file in the wrong place, or a rule without a check (and the reverse) raises
:class:`RegistryError` naming the file and the problem.

This module stays import-light (PyYAML only when a rule file changed since rules/catalog.json was compiled) so that ``lraudit rules`` and config loading are fast.
"""

from __future__ import annotations

import re
import string
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

from lraudit.results import Severity

SEVERITIES: tuple[str, ...] = ("error", "warning", "info")
FIX_KINDS: tuple[str, ...] = ("safe", "unsafe", "none")  # what `lraudit check --fix` may do for the rule
CODE_RE = re.compile(r"^LR[0-9]{3}$")
NAME_RE = re.compile(r"^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$")
CATEGORY_RE = NAME_RE
OPTION_NAME_RE = re.compile(r"^[a-z][a-z0-9]*(?:[-_][a-z0-9]+)*$")

RULE_KEYS: tuple[str, ...] = (
    "code",
    "name",
    "category",
    "severity",
    "fix",
    "summary",
    "message",
    "why",
    "options",
    "references",
    "examples",
)
RULE_KEYS_OPTIONAL: tuple[str, ...] = ("versions", "fix_reason")
OPTION_KEYS: tuple[str, ...] = ("default", "description")
VERSION_CASE_KEYS: tuple[str, ...] = ("package", "fix", "ranges")
VERSION_RANGE_KEYS: tuple[str, ...] = ("affected", "effect")
VERSION_RANGE_OPTIONAL: tuple[str, ...] = ("severity",)
EXAMPLE_KEYS_REQUIRED: tuple[str, ...] = ("code",)
EXAMPLE_KEYS_OPTIONAL: tuple[str, ...] = ("note",)

CheckFn = Callable[[Any], Iterable[Any]]


class RegistryError(Exception):
    """The rule catalog is inconsistent; the message names the file (or check) and the problem."""


@dataclass(frozen=True)
class RuleOption:
    """A threshold or switch a user may override in ``[tool.lraudit.rules]``."""

    name: str
    default: Any
    description: str


@dataclass(frozen=True)
class Example:
    """A code snippet from the rule's YAML; ``bad`` examples must fire the rule, ``good`` ones must not."""

    code: str
    note: str | None = None


@dataclass(frozen=True)
class Examples:
    bad: tuple[Example, ...]
    good: tuple[Example, ...]


@dataclass(frozen=True)
class Rule:
    code: str  # LR101
    name: str  # increasing-lr
    category: str  # the directory under rules/
    severity: Severity  # error | warning | info
    summary: str  # one line
    message: str  # template with {placeholders} filled by the check
    why: str  # rationale, paragraphs
    options: Mapping[str, RuleOption] = field(hash=False)  # read-only mapping name -> option
    references: tuple[str, ...]
    examples: Examples
    path: Path  # the YAML file the rule came from
    # version-dependent cases (the ``versions:`` field): case id -> versions.VersionCase
    versions: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}), hash=False)
    fix: str = "none"  # safe | unsafe | none: the most a finding's fix may be (`--fix`, `--unsafe-fixes`)
    fix_reason: str | None = None  # why there is no (safe) fix, when the rule YAML says (``fix_reason:``)

    @property
    def placeholders(self) -> tuple[str, ...]:
        """The ``{names}`` the message template expects, in order of first appearance."""
        return _template_fields(self.message)

    def option_defaults(self) -> dict[str, Any]:
        return {name: opt.default for name, opt in self.options.items()}

    def format_message(self, **values: Any) -> str:
        """Fill the message template; a missing placeholder is a programming error in the check."""
        missing = [name for name in self.placeholders if name not in values]
        if missing:
            raise KeyError(f"{self.code} {self.name}: message needs {', '.join(missing)}")
        return self.message.format(**values)

    @property
    def why_first_paragraph(self) -> str:
        return first_paragraph(self.why)


def first_paragraph(text: str) -> str:
    """The first blank-line-separated paragraph of ``text``, its lines joined by spaces."""
    paragraphs = re.split(r"\n\s*\n", text.strip(), maxsplit=1)
    return " ".join(line.strip() for line in paragraphs[0].splitlines() if line.strip())


# ----------------------------------------------------------------------------------------- checks

CHECKS: dict[str, CheckFn] = {}


def check(code: str, registry: dict[str, CheckFn] | None = None) -> Callable[[CheckFn], CheckFn]:
    """Decorator: register ``fn(ctx) -> Iterable[...]`` as the check for rule ``code``.

    ``registry`` defaults to the module-level :data:`CHECKS`; tests pass their own dict.
    """
    if not isinstance(code, str) or not CODE_RE.match(code):
        raise RegistryError(f"check({code!r}): a rule code looks like LR101")
    target = CHECKS if registry is None else registry

    def register(fn: CheckFn) -> CheckFn:
        previous = target.get(code)
        if previous is not None and _qualname(previous) != _qualname(fn):
            raise RegistryError(
                f"check {_qualname(fn)}: code {code} is already bound to {_qualname(previous)}"
            )
        target[code] = fn
        return fn

    return register


def bind_checks(
    rules: Iterable[Rule], checks: Mapping[str, CheckFn] | None = None
) -> dict[str, tuple[Rule, CheckFn]]:
    """Pair every rule with its check; every rule needs a check and every check a rule."""
    checks = CHECKS if checks is None else checks
    rules = tuple(rules)
    problems: list[str] = []
    by_code = {rule.code: rule for rule in rules}
    for rule in rules:
        if rule.code not in checks:
            problems.append(f"{rule.path}: rule {rule.code} ({rule.name}) has no registered check")
    for code in sorted(checks):
        if code not in by_code:
            problems.append(f"check {_qualname(checks[code])}: no rule YAML declares code {code}")
    if problems:
        raise RegistryError("\n".join(problems))
    return {rule.code: (rule, checks[rule.code]) for rule in sorted(rules, key=lambda r: r.code)}


def _qualname(fn: Callable[..., Any]) -> str:
    module = getattr(fn, "__module__", None) or "?"
    name = getattr(fn, "__qualname__", None) or repr(fn)
    return f"{module}.{name}"


# ------------------------------------------------------------------------------------------ loading


def default_rules_dir() -> Path:
    """``lraudit/rules`` inside the installed package, else the repository's top-level ``rules/``."""
    here = Path(__file__).resolve().parent
    packaged = here / "rules"  # a regular install: no importlib.resources (it imports tempfile and zipfile)
    if packaged.is_dir():
        return packaged
    try:
        import importlib.resources

        resource = importlib.resources.files("lraudit") / "rules"
        if resource.is_dir():
            return Path(str(resource))
    except (ModuleNotFoundError, NotADirectoryError, FileNotFoundError):
        pass
    return here.parent.parent / "rules"


def load_rules(directory: Path | None = None) -> tuple[Rule, ...]:
    """Load and validate every ``<category>/<name>.yaml`` under ``directory``; sorted by code."""
    root = default_rules_dir() if directory is None else Path(directory)
    if not root.is_dir():
        raise RegistryError(f"{root}: rules directory not found")
    compiled = _compiled(root)
    rules = [_load_rule_file(path, compiled, path.relative_to(root).as_posix()) for path in _rule_files(root)]
    _check_unique(rules)
    return tuple(sorted(rules, key=lambda r: r.code))


def _rule_files(root: Path) -> list[Path]:
    out = []
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        rel = path.relative_to(root)
        if any(part.startswith(".") for part in rel.parts) or path.suffix not in (".yaml", ".yml"):
            continue
        if path.suffix == ".yml":
            raise RegistryError(f"{path}: rule files must end in .yaml")
        if len(rel.parts) != 2:
            raise RegistryError(f"{path}: a rule file belongs in <rules>/<category>/<rule-name>.yaml")
        out.append(path)
    return out


def _check_unique(rules: list[Rule]) -> None:
    seen_codes: dict[str, Rule] = {}
    seen_names: dict[str, Rule] = {}
    for rule in rules:
        if rule.code in seen_codes:
            other = seen_codes[rule.code]
            raise RegistryError(f"{rule.path}: duplicate code {rule.code} (also in {other.path})")
        if rule.name in seen_names:
            other = seen_names[rule.name]
            raise RegistryError(f"{rule.path}: duplicate name {rule.name!r} (also in {other.path})")
        seen_codes[rule.code] = rule
        seen_names[rule.name] = rule


# The rule files compiled to JSON (scripts/compile_rules.py; tests/test_registry.py checks it is current): every
# command loads the catalog, and importing PyYAML and parsing 26 files cost ~15 ms of each start-up. An entry is
# used only while its YAML text is exactly the text it was compiled from; anything else is parsed from YAML.
COMPILED_NAME = "catalog.json"


def _compiled(root: Path) -> dict[str, Any]:
    import json

    try:
        doc = json.loads((root / COMPILED_NAME).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError):
        return {}
    return doc if isinstance(doc, dict) else {}


def compile_rules(root: Path) -> str:
    """The JSON text of ``<root>/catalog.json`` for the rule files under ``root``."""
    import json

    doc = {}
    for path in _rule_files(root):
        text = path.read_text(encoding="utf-8")
        doc[path.relative_to(root).as_posix()] = [text, _parse_yaml(path, text)]
    return json.dumps(doc, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def _strict_loader() -> Any:
    """SafeLoader (libyaml's parser when PyYAML has it) that refuses duplicate keys in a mapping (PyYAML
    silently keeps the last one)."""
    import yaml

    base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

    class StrictLoader(base):  # type: ignore[misc,valid-type]
        pass

    def construct_mapping(loader: Any, node: Any, deep: bool = False) -> dict:
        loader.flatten_mapping(node)
        mapping: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = loader.construct_object(key_node, deep=deep)
            if key in mapping:
                raise yaml.constructor.ConstructorError(None, None, f"duplicate key {key!r}", key_node.start_mark)
            mapping[key] = loader.construct_object(value_node, deep=deep)
        return mapping

    StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, construct_mapping)
    return StrictLoader


def _parse_yaml(path: Path, text: str) -> Any:
    import yaml

    try:
        return yaml.load(text, Loader=_strict_loader())  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as exc:
        raise RegistryError(f"{path}: invalid YAML: {' '.join(str(exc).split())}") from None


def _load_rule_file(path: Path, compiled: dict[str, Any] | None = None, rel: str = "") -> Rule:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise RegistryError(f"{path}: cannot read: {exc}") from None
    entry = (compiled or {}).get(rel)
    if isinstance(entry, list) and len(entry) == 2 and entry[0] == text:
        return _build_rule(path, entry[1])
    return _build_rule(path, _parse_yaml(path, text))


def _build_rule(path: Path, data: Any) -> Rule:
    def fail(problem: str) -> RegistryError:
        return RegistryError(f"{path}: {problem}")

    if not isinstance(data, dict):
        raise fail(f"expected a mapping of rule keys, got {_type_name(data)}")
    _check_keys(data, RULE_KEYS, RULE_KEYS_OPTIONAL, "", fail)

    def text(key: str, *, one_line: bool = False) -> str:
        value = data[key]
        if not isinstance(value, str):
            raise fail(f"{key}: expected a string, got {_type_name(value)}")
        if not value.strip():
            raise fail(f"{key}: must not be empty")
        if one_line and "\n" in value.strip():
            raise fail(f"{key}: must be a single line")
        return value

    code = text("code")
    if not CODE_RE.match(code):
        raise fail(f"code: expected LR followed by three digits (like LR101), got {code!r}")
    name = text("name")
    if not NAME_RE.match(name):
        raise fail(f"name: expected kebab-case (like increasing-lr), got {name!r}")
    if path.stem != name:
        raise fail(f"name {name!r} does not match the file name {path.name!r}")
    category = text("category")
    if not CATEGORY_RE.match(category):
        raise fail(f"category: expected kebab-case, got {category!r}")
    if path.parent.name != category:
        raise fail(f"category {category!r} does not match the directory {path.parent.name!r}")
    severity = text("severity")
    if severity not in SEVERITIES:
        raise fail(f"severity: expected one of {', '.join(SEVERITIES)}, got {severity!r}")
    fix = data["fix"]
    if fix not in FIX_KINDS:
        raise fail(f"fix: expected one of {', '.join(FIX_KINDS)}, got {fix!r}")
    fix_reason = " ".join(text("fix_reason").split()) if "fix_reason" in data else None
    if fix_reason is not None and fix == "safe":
        raise fail("fix_reason: says why a rule has no safe fix; this rule's fix is safe")
    summary = text("summary", one_line=True).strip()
    message = text("message", one_line=True).strip()
    try:
        _template_fields(message)
    except ValueError as exc:
        raise fail(f"message: {exc}") from None
    why = text("why").strip()

    options = _build_options(data["options"], fail)
    references = _build_references(data["references"], fail)
    examples = _build_examples(data["examples"], fail)
    versions = _build_versions(data.get("versions"), fail) if "versions" in data else MappingProxyType({})
    return Rule(
        code=code,
        name=name,
        category=category,
        severity=severity,  # type: ignore[arg-type]  # checked against SEVERITIES above
        summary=summary,
        message=message,
        why=why,
        options=options,
        references=references,
        examples=examples,
        path=path,
        versions=versions,
        fix=fix,
        fix_reason=fix_reason,
    )


def _build_options(raw: Any, fail: Callable[[str], RegistryError]) -> Mapping[str, RuleOption]:
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise fail(f"options: expected a mapping of option name to {{default, description}}, got {_type_name(raw)}")
    options: dict[str, RuleOption] = {}
    for opt_name in raw:
        if not isinstance(opt_name, str) or not OPTION_NAME_RE.match(opt_name):
            raise fail(f"options: invalid option name {opt_name!r} (lower case, words joined by - or _)")
        spec = raw[opt_name]
        where = f"options.{opt_name}"
        if not isinstance(spec, dict):
            raise fail(f"{where}: expected a mapping with default and description, got {_type_name(spec)}")
        _check_keys(spec, OPTION_KEYS, (), where + ": ", fail)
        default = spec["default"]
        if not _is_option_value(default):
            raise fail(
                f"{where}.default: expected a boolean, number, string or list of those, got {_type_name(default)}"
            )
        description = spec["description"]
        if not isinstance(description, str) or not description.strip():
            raise fail(f"{where}.description: expected a non-empty string")
        options[opt_name] = RuleOption(opt_name, default, description.strip())
    return MappingProxyType(options)


def _build_versions(raw: Any, fail: Callable[[str], RegistryError]) -> Mapping[str, Any]:
    """``versions:``: case id -> {package, fix, ranges: [{affected, effect, severity?}]} (see versions.py)."""
    from lraudit.versions import PACKAGES, VersionCase, VersionRange, valid_specifier

    if not isinstance(raw, dict) or not raw:
        raise fail(f"versions: expected a mapping of case id to {{package, fix, ranges}}, got {_type_name(raw)}")
    cases: dict[str, Any] = {}
    for case_id, spec in raw.items():
        where = f"versions.{case_id}"
        if not isinstance(case_id, str) or not NAME_RE.match(case_id):
            raise fail(f"versions: invalid case id {case_id!r} (kebab-case, like keras-lr)")
        if not isinstance(spec, dict):
            raise fail(f"{where}: expected a mapping with package, fix and ranges, got {_type_name(spec)}")
        _check_keys(spec, VERSION_CASE_KEYS, (), where + ": ", fail)
        package, fix = spec["package"], spec["fix"]
        if package not in PACKAGES:
            raise fail(f"{where}.package: expected one of {', '.join(PACKAGES)}, got {package!r}")
        if not isinstance(fix, str) or not fix.strip():
            raise fail(f"{where}.fix: expected a non-empty string naming the replacement")
        ranges_raw = spec["ranges"]
        if not isinstance(ranges_raw, list) or not ranges_raw:
            raise fail(f"{where}.ranges: expected a non-empty list of {{affected, effect}}")
        ranges = []
        for i, item in enumerate(ranges_raw):
            rwhere = f"{where}.ranges[{i}]"
            if not isinstance(item, dict):
                raise fail(f"{rwhere}: expected a mapping with affected and effect, got {_type_name(item)}")
            _check_keys(item, VERSION_RANGE_KEYS, VERSION_RANGE_OPTIONAL, rwhere + ": ", fail)
            affected, effect = item["affected"], item["effect"]
            if not isinstance(affected, str) or not affected.strip() or not valid_specifier(affected):
                raise fail(f"{rwhere}.affected: expected a PEP 440 version specifier like '>=2.7', got {affected!r}")
            if not isinstance(effect, str) or not effect.strip():
                raise fail(f"{rwhere}.effect: expected a non-empty string")
            sev = item.get("severity")
            if sev is not None and sev not in SEVERITIES:
                raise fail(f"{rwhere}.severity: expected one of {', '.join(SEVERITIES)}, got {sev!r}")
            ranges.append(VersionRange(affected.strip(), " ".join(effect.split()), sev))
        cases[case_id] = VersionCase(case_id, package, " ".join(fix.split()), tuple(ranges))
    return MappingProxyType(cases)


def _is_option_value(value: Any) -> bool:
    scalar = (bool, int, float, str)
    if isinstance(value, scalar):
        return True
    if isinstance(value, list):
        return all(isinstance(item, scalar) for item in value)
    return False


def _build_references(raw: Any, fail: Callable[[str], RegistryError]) -> tuple[str, ...]:
    if raw is None:
        raw = []
    if not isinstance(raw, list):
        raise fail(f"references: expected a list of URLs or citations, got {_type_name(raw)}")
    for i, ref in enumerate(raw):
        if not isinstance(ref, str) or not ref.strip():
            raise fail(f"references[{i}]: expected a non-empty string, got {_type_name(ref)}")
    return tuple(ref.strip() for ref in raw)


def _build_examples(raw: Any, fail: Callable[[str], RegistryError]) -> Examples:
    if not isinstance(raw, dict):
        raise fail(f"examples: expected a mapping with bad and good lists, got {_type_name(raw)}")
    _check_keys(raw, ("bad", "good"), (), "examples: ", fail)
    built: dict[str, tuple[Example, ...]] = {}
    for kind in ("bad", "good"):
        items = raw[kind]
        if not isinstance(items, list) or not items:
            raise fail(f"examples.{kind}: expected a non-empty list of {{code, note}}")
        out: list[Example] = []
        for i, item in enumerate(items):
            where = f"examples.{kind}[{i}]"
            if not isinstance(item, dict):
                raise fail(f"{where}: expected a mapping with code (and optionally note), got {_type_name(item)}")
            _check_keys(item, EXAMPLE_KEYS_REQUIRED, EXAMPLE_KEYS_OPTIONAL, where + ": ", fail)
            snippet = item["code"]
            if not isinstance(snippet, str) or not snippet.strip():
                raise fail(f"{where}.code: expected a non-empty string")
            note = item.get("note")
            if note is not None and not isinstance(note, str):
                raise fail(f"{where}.note: expected a string, got {_type_name(note)}")
            out.append(Example(code=snippet, note=note.strip() if note else None))
        built[kind] = tuple(out)
    return Examples(bad=built["bad"], good=built["good"])


def _check_keys(
    data: dict[Any, Any],
    required: tuple[str, ...],
    optional: tuple[str, ...],
    prefix: str,
    fail: Callable[[str], RegistryError],
) -> None:
    allowed = set(required) | set(optional)
    unknown = [k for k in data if k not in allowed]
    if unknown:
        listed = ", ".join(repr(k) for k in unknown)
        raise fail(f"{prefix}unknown key{'s' if len(unknown) > 1 else ''} {listed} (allowed: {', '.join(required + optional)})")
    missing = [k for k in required if k not in data]
    if missing:
        raise fail(f"{prefix}missing key{'s' if len(missing) > 1 else ''} {', '.join(missing)}")


def _template_fields(template: str) -> tuple[str, ...]:
    names: list[str] = []
    for _, field_name, _, _ in string.Formatter().parse(template):
        if field_name is None:
            continue
        base = re.split(r"[.\[]", field_name, maxsplit=1)[0]
        if not base.isidentifier():
            raise ValueError(f"placeholders must be named, like {{lr}}; got {{{field_name}}}")
        if base not in names:
            names.append(base)
    return tuple(names)


def _type_name(value: Any) -> str:
    if value is None:
        return "nothing"
    return {
        bool: "a boolean",
        int: "an integer",
        float: "a number",
        str: "a string",
        list: "a list",
        dict: "a mapping",
    }.get(type(value), type(value).__name__)
