"""The rule catalog loader: valid files load, every kind of invalid file is refused with its path."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from lraudit.registry import (
    CHECKS,
    RegistryError,
    Rule,
    bind_checks,
    check,
    default_rules_dir,
    first_paragraph,
    load_rules,
)

VALID = {
    "code": "LR101",
    "name": "increasing-lr",
    "category": "schedule",
    "severity": "warning",
    "fix": "none",
    "summary": "The learning rate rises after the warm-up.",
    "message": "learning rate rises from {before:g} to {after:g} at step {at}",
    "why": "A rising rate after warm-up is usually a bug.\nIt undoes the decay.\n\nSecond paragraph.",
    "options": {"min-ratio": {"default": 1.01, "description": "smallest rise that counts"}},
    "references": ["https://pytorch.org/docs/stable/optim.html"],
    "examples": {
        "bad": [{"code": "sched = StepLR(opt, 10, gamma=2.0)\n", "note": "gamma above 1"}],
        "good": [{"code": "sched = StepLR(opt, 10, gamma=0.1)\n"}],
    },
}


def write_rule(root: Path, data: dict | str, category: str = "schedule", name: str | None = None) -> Path:
    if isinstance(data, dict):
        name = name or data.get("name", "rule")
        text = yaml.safe_dump(data, sort_keys=False)
    else:
        text = data
    path = root / category / f"{name}.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def with_changes(**changes: object) -> dict:
    data = {k: (dict(v) if isinstance(v, dict) else v) for k, v in VALID.items()}
    for key, value in changes.items():
        if value is None:
            data.pop(key)
        else:
            data[key] = value
    return data


def test_valid_rule_loads_with_every_field(tmp_path: Path) -> None:
    path = write_rule(tmp_path, VALID)
    (rule,) = load_rules(tmp_path)
    assert rule.code == "LR101"
    assert rule.name == "increasing-lr"
    assert rule.category == "schedule"
    assert rule.severity == "warning"
    assert rule.summary == VALID["summary"]
    assert rule.placeholders == ("before", "after", "at")
    assert rule.options["min-ratio"].default == 1.01
    assert rule.option_defaults() == {"min-ratio": 1.01}
    assert rule.references == ("https://pytorch.org/docs/stable/optim.html",)
    assert rule.examples.bad[0].note == "gamma above 1"
    assert rule.examples.good[0].note is None
    assert rule.examples.good[0].code.startswith("sched = StepLR")
    assert rule.path == path
    assert rule.why_first_paragraph == "A rising rate after warm-up is usually a bug. It undoes the decay."
    assert rule.format_message(before=0.1, after=0.2, at=3) == "learning rate rises from 0.1 to 0.2 at step 3"
    with pytest.raises(KeyError, match="at"):
        rule.format_message(before=0.1, after=0.2)
    assert hash(rule) == hash(rule)  # usable in sets although options is a mapping


def test_rules_are_sorted_by_code_across_categories(tmp_path: Path) -> None:
    write_rule(tmp_path, with_changes(code="LR301", name="zzz-first-file", category="alpha"), "alpha")
    write_rule(tmp_path, VALID)
    write_rule(tmp_path, with_changes(code="LR201", name="middle", category="beta"), "beta")
    assert [r.code for r in load_rules(tmp_path)] == ["LR101", "LR201", "LR301"]


def test_empty_options_and_references_are_allowed(tmp_path: Path) -> None:
    write_rule(tmp_path, with_changes(options={}, references=[]))
    (rule,) = load_rules(tmp_path)
    assert dict(rule.options) == {} and rule.references == ()


def test_non_yaml_and_hidden_files_are_ignored(tmp_path: Path) -> None:
    write_rule(tmp_path, VALID)
    (tmp_path / "README.md").write_text("catalog\n")
    (tmp_path / ".hidden").mkdir()
    (tmp_path / ".hidden" / "x.yaml").write_text("not: a rule\n")
    assert [r.code for r in load_rules(tmp_path)] == ["LR101"]


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        pytest.param({"extra": "x"}, "unknown key 'extra'", id="unknown-key"),
        pytest.param({"why": None}, "missing key why", id="missing-key"),
        pytest.param({"code": "LR1"}, "code: expected LR followed by three digits", id="bad-code"),
        pytest.param({"code": 101}, "code: expected a string, got an integer", id="code-not-string"),
        pytest.param({"severity": "fatal"}, "severity: expected one of error, warning, info", id="bad-severity"),
        pytest.param({"fix": "maybe"}, "fix: expected one of safe, unsafe, none", id="bad-fix"),
        pytest.param({"fix": None}, "missing key fix", id="missing-fix"),
        pytest.param({"summary": "two\nlines"}, "summary: must be a single line", id="multiline-summary"),
        pytest.param({"summary": "  "}, "summary: must not be empty", id="empty-summary"),
        pytest.param({"message": "rises at {}"}, "message: placeholders must be named", id="positional-placeholder"),
        pytest.param({"message": "unbalanced }"}, "message: ", id="broken-template"),
        pytest.param({"options": ["min-ratio"]}, "options: expected a mapping", id="options-list"),
        pytest.param({"options": {"x": {"default": 1}}}, "options.x: missing key description", id="option-no-description"),
        pytest.param(
            {"options": {"x": {"default": 1, "description": "d", "type": "int"}}},
            "options.x: unknown key 'type'",
            id="option-unknown-key",
        ),
        pytest.param(
            {"options": {"x": {"default": None, "description": "d"}}},
            "options.x.default: expected a boolean, number, string or list",
            id="option-null-default",
        ),
        pytest.param(
            {"options": {"Bad Name": {"default": 1, "description": "d"}}},
            "invalid option name 'Bad Name'",
            id="option-bad-name",
        ),
        pytest.param({"references": "https://x"}, "references: expected a list", id="references-string"),
        pytest.param({"references": [""]}, "references[0]: expected a non-empty string", id="empty-reference"),
        pytest.param({"examples": {"bad": [{"code": "x"}]}}, "examples: missing key good", id="examples-no-good"),
        pytest.param({"examples": {"bad": [], "good": [{"code": "x"}]}}, "examples.bad: expected a non-empty list", id="examples-empty-bad"),
        pytest.param(
            {"examples": {"bad": [{"code": "x", "why": "?"}], "good": [{"code": "y"}]}},
            "examples.bad[0]: unknown key 'why'",
            id="example-unknown-key",
        ),
        pytest.param(
            {"examples": {"bad": ["x = 1"], "good": [{"code": "y"}]}},
            "examples.bad[0]: expected a mapping with code",
            id="example-not-mapping",
        ),
        pytest.param(
            {"examples": {"bad": [{"code": "x", "note": 3}], "good": [{"code": "y"}]}},
            "examples.bad[0].note: expected a string",
            id="example-note-not-string",
        ),
    ],
)
def test_invalid_rule_is_refused_naming_file_and_problem(tmp_path: Path, changes: dict, expected: str) -> None:
    path = write_rule(tmp_path, with_changes(**changes))
    with pytest.raises(RegistryError) as excinfo:
        load_rules(tmp_path)
    assert str(path) in str(excinfo.value)
    assert expected in str(excinfo.value)


def test_name_must_be_kebab_case(tmp_path: Path) -> None:
    path = write_rule(tmp_path, with_changes(name="Increasing_LR"))
    with pytest.raises(RegistryError, match="name: expected kebab-case") as excinfo:
        load_rules(tmp_path)
    assert str(path) in str(excinfo.value)


def test_file_name_must_match_rule_name(tmp_path: Path) -> None:
    write_rule(tmp_path, VALID, name="other-name")
    with pytest.raises(RegistryError, match="does not match the file name 'other-name.yaml'"):
        load_rules(tmp_path)


def test_directory_must_match_category(tmp_path: Path) -> None:
    write_rule(tmp_path, VALID, category="elsewhere")
    with pytest.raises(RegistryError, match="category 'schedule' does not match the directory 'elsewhere'"):
        load_rules(tmp_path)


def test_rule_file_outside_a_category_directory_is_refused(tmp_path: Path) -> None:
    (tmp_path / "increasing-lr.yaml").write_text(yaml.safe_dump(VALID))
    with pytest.raises(RegistryError, match="belongs in <rules>/<category>/<rule-name>.yaml"):
        load_rules(tmp_path)


def test_yml_extension_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "schedule" / "increasing-lr.yml"
    path.parent.mkdir()
    path.write_text(yaml.safe_dump(VALID))
    with pytest.raises(RegistryError, match=r"must end in \.yaml"):
        load_rules(tmp_path)


def test_invalid_yaml_names_the_file(tmp_path: Path) -> None:
    path = write_rule(tmp_path, "code: [unclosed\n", name="increasing-lr")
    with pytest.raises(RegistryError, match="invalid YAML") as excinfo:
        load_rules(tmp_path)
    assert str(path) in str(excinfo.value)


def test_duplicate_yaml_key_is_refused(tmp_path: Path) -> None:
    text = yaml.safe_dump(VALID, sort_keys=False) + "severity: error\n"
    write_rule(tmp_path, text, name="increasing-lr")
    with pytest.raises(RegistryError, match="duplicate key 'severity'"):
        load_rules(tmp_path)


def test_top_level_must_be_a_mapping(tmp_path: Path) -> None:
    write_rule(tmp_path, "- just\n- a list\n", name="increasing-lr")
    with pytest.raises(RegistryError, match="expected a mapping of rule keys, got a list"):
        load_rules(tmp_path)


def test_duplicate_code_names_both_files(tmp_path: Path) -> None:
    first = write_rule(tmp_path, VALID)
    second = write_rule(tmp_path, with_changes(name="another-rule"))
    with pytest.raises(RegistryError, match="duplicate code LR101") as excinfo:
        load_rules(tmp_path)
    assert str(first) in str(excinfo.value) and str(second) in str(excinfo.value)


def test_duplicate_name_is_refused(tmp_path: Path) -> None:
    write_rule(tmp_path, VALID)
    write_rule(tmp_path, with_changes(code="LR102", category="other"), "other")
    with pytest.raises(RegistryError, match="duplicate name 'increasing-lr'"):
        load_rules(tmp_path)


def test_missing_directory_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(RegistryError, match="rules directory not found"):
        load_rules(tmp_path / "nope")


def test_default_rules_dir_is_package_rules_or_repo_rules() -> None:
    repo_rules = Path(__file__).resolve().parent.parent / "rules"
    assert default_rules_dir().resolve() == repo_rules.resolve()


# ------------------------------------------------------------------------------------------- checks


def test_check_decorator_registers_and_bind_pairs(tmp_path: Path) -> None:
    write_rule(tmp_path, VALID)
    rules = load_rules(tmp_path)
    registry: dict = {}

    @check("LR101", registry=registry)
    def increasing(ctx: object) -> list[str]:
        return ["fired"]

    assert registry == {"LR101": increasing}
    bound = bind_checks(rules, registry)
    assert list(bound) == ["LR101"]
    rule, fn = bound["LR101"]
    assert rule.name == "increasing-lr" and fn(None) == ["fired"]


def test_rule_without_check_is_refused(tmp_path: Path) -> None:
    path = write_rule(tmp_path, VALID)
    with pytest.raises(RegistryError, match="rule LR101 \\(increasing-lr\\) has no registered check") as excinfo:
        bind_checks(load_rules(tmp_path), {})
    assert str(path) in str(excinfo.value)


def test_check_without_rule_is_refused(tmp_path: Path) -> None:
    write_rule(tmp_path, VALID)
    registry: dict = {}

    @check("LR101", registry=registry)
    def increasing(ctx: object) -> list[str]:
        return []

    @check("LR999", registry=registry)
    def orphan(ctx: object) -> list[str]:
        return []

    with pytest.raises(RegistryError, match="orphan: no rule YAML declares code LR999"):
        bind_checks(load_rules(tmp_path), registry)


def test_two_checks_for_one_code_are_refused() -> None:
    registry: dict = {}

    @check("LR101", registry=registry)
    def first(ctx: object) -> list[str]:
        return []

    with pytest.raises(RegistryError, match="already bound"):

        @check("LR101", registry=registry)
        def second(ctx: object) -> list[str]:
            return []


def test_check_code_format_is_validated() -> None:
    with pytest.raises(RegistryError, match="looks like LR101"):
        check("E501", registry={})


def test_default_check_registry_is_module_level() -> None:
    assert isinstance(CHECKS, dict)


def test_first_paragraph_joins_lines() -> None:
    assert first_paragraph("  one\n two \n\n three") == "one two"
    assert first_paragraph("only") == "only"


def test_registry_import_does_not_load_libcst() -> None:
    code = "import sys, lraudit.registry, lraudit.config, lraudit.selection; print('libcst' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_rule_is_frozen(tmp_path: Path) -> None:
    write_rule(tmp_path, VALID)
    (rule,) = load_rules(tmp_path)
    assert isinstance(rule, Rule)
    with pytest.raises(AttributeError):
        rule.code = "LR102"  # type: ignore[misc]
    with pytest.raises(TypeError):
        rule.options["x"] = None  # type: ignore[index]


# ------------------------------------------------------------------------------ the compiled catalog


def test_compiled_catalog_is_current() -> None:
    from lraudit.registry import COMPILED_NAME, compile_rules

    root = Path(__file__).resolve().parent.parent / "rules"
    assert (root / COMPILED_NAME).read_text(encoding="utf-8") == compile_rules(root), \
        "rules/catalog.json is stale: run python scripts/compile_rules.py"


def test_compiled_catalog_gives_the_same_rules_as_the_yaml(tmp_path: Path) -> None:
    import shutil

    from lraudit.registry import COMPILED_NAME

    root = Path(__file__).resolve().parent.parent / "rules"
    plain = tmp_path / "rules"
    shutil.copytree(root, plain)
    (plain / COMPILED_NAME).unlink()
    from_yaml = load_rules(plain)
    from_json = load_rules(root)
    assert [r.code for r in from_yaml] == [r.code for r in from_json]
    for a, b in zip(from_yaml, from_json):
        assert (a.code, a.name, a.severity, a.message, a.why, dict(a.options), a.examples) == \
            (b.code, b.name, b.severity, b.message, b.why, dict(b.options), b.examples)


def test_a_rule_file_edited_after_compiling_is_read_from_its_yaml(tmp_path: Path) -> None:
    import shutil

    root = Path(__file__).resolve().parent.parent / "rules"
    copy = tmp_path / "rules"
    shutil.copytree(root, copy)
    path = next(copy.rglob("increasing-lr.yaml"))
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("severity: warning", "severity: error", 1), encoding="utf-8")
    severities = {r.code: r.severity for r in load_rules(copy)}
    assert severities["LR101"] == "error"
    assert {r.code: r.severity for r in load_rules(root)}["LR101"] == "warning"


def test_loading_the_current_catalog_does_not_import_yaml() -> None:
    import subprocess
    import sys

    code = "import sys; from lraudit.registry import load_rules; load_rules(); print('yaml' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"


# ------------------------------------------------------------------------------------------ versions:

VERSIONS_OK = {"torch-verbose": {"package": "torch", "fix": "drop verbose=", "ranges": [
    {"affected": ">=2.2,<2.7", "effect": "deprecated", "severity": "info"},
    {"affected": ">=2.7", "effect": "TypeError"}]}}


def test_versions_field_loads(tmp_path: Path) -> None:
    write_rule(tmp_path, with_changes(versions=VERSIONS_OK))
    (rule,) = load_rules(tmp_path)
    case = rule.versions["torch-verbose"]
    assert case.package == "torch" and case.fix == "drop verbose="
    assert [(r.affected, r.severity) for r in case.ranges] == [(">=2.2,<2.7", "info"), (">=2.7", None)]


def test_versions_field_is_optional(tmp_path: Path) -> None:
    write_rule(tmp_path, VALID)
    (rule,) = load_rules(tmp_path)
    assert dict(rule.versions) == {}


def _case(**changes: object) -> dict:
    case = {"package": "torch", "fix": "drop verbose=", "ranges": [{"affected": ">=2.7", "effect": "TypeError"}]}
    for k, v in changes.items():
        if v is None:
            case.pop(k)
        else:
            case[k] = v
    return {"torch-verbose": case}


@pytest.mark.parametrize(("versions", "expected"), [
    pytest.param(["torch>=2.7"], "versions: expected a mapping of case id", id="list"),
    pytest.param({}, "versions: expected a mapping of case id", id="empty"),
    pytest.param({"Bad Id": _case()["torch-verbose"]}, "invalid case id 'Bad Id'", id="bad-id"),
    pytest.param(_case(package="pytorch"), "versions.torch-verbose.package: expected one of", id="unknown-package"),
    pytest.param(_case(fix=""), "versions.torch-verbose.fix: expected a non-empty string", id="empty-fix"),
    pytest.param(_case(fix=None), "versions.torch-verbose: missing key fix", id="no-fix"),
    pytest.param(_case(ranges=[]), "ranges: expected a non-empty list", id="no-ranges"),
    pytest.param(_case(ranges=[{"affected": "2.7+", "effect": "x"}]), "ranges[0].affected: expected a PEP 440",
                 id="bad-specifier"),
    pytest.param(_case(ranges=[{"affected": ">=2.7"}]), "ranges[0]: missing key effect", id="no-effect"),
    pytest.param(_case(ranges=[{"affected": ">=2.7", "effect": "x", "severity": "fatal"}]),
                 "ranges[0].severity: expected one of", id="bad-severity"),
    pytest.param(_case(ranges=[{"affected": ">=2.7", "effect": "x", "when": "always"}]),
                 "ranges[0]: unknown key 'when'", id="unknown-range-key"),
    pytest.param(_case(extra=1), "versions.torch-verbose: unknown key 'extra'", id="unknown-case-key"),
])
def test_invalid_versions_field_is_refused(tmp_path: Path, versions: object, expected: str) -> None:
    path = write_rule(tmp_path, with_changes(versions=versions))
    with pytest.raises(RegistryError) as excinfo:
        load_rules(tmp_path)
    assert str(path) in str(excinfo.value) and expected in str(excinfo.value)


def test_shipped_version_cases_are_used_by_their_checks() -> None:
    """Every case a shipped rule declares is judged by its check (a case nobody reads is dead data)."""
    import inspect

    from lraudit.engine import bound_rules

    for rule, fn in bound_rules().values():
        source = inspect.getsource(inspect.getmodule(fn))
        for case in rule.versions:
            assert f'"{case}"' in source or f"keras-{{kw}}" in source, (rule.code, case)


def test_fix_reason_is_shown_and_only_on_rules_that_have_it(tmp_path: Path) -> None:
    import json

    from lraudit.render.rules_doc import render_rule_doc, render_rules_json

    write_rule(tmp_path, with_changes(fix_reason="which call is right\n  depends on the code around it"))
    write_rule(tmp_path, with_changes(code="LR201", name="other", category="beta"), "beta")
    rules = {r.code: r for r in load_rules(tmp_path)}
    assert rules["LR101"].fix_reason == "which call is right depends on the code around it"
    assert rules["LR201"].fix_reason is None
    assert "Fix: none (no automatic repair); which call is right depends on the code around it" in \
        render_rule_doc(rules["LR101"])
    data = {e["code"]: e for e in json.loads(render_rules_json(rules.values()))}
    assert data["LR101"]["fix_reason"].startswith("which call")
    assert "fix_reason" not in data["LR201"]


@pytest.mark.parametrize("changes,problem", [
    ({"fix": "safe", "fix_reason": "x"}, "this rule's fix is safe"),
    ({"fix_reason": ""}, "fix_reason: must not be empty"),
    ({"fix_reason": 3}, "fix_reason: expected a string"),
])
def test_fix_reason_refusals(tmp_path: Path, changes: dict, problem: str) -> None:
    write_rule(tmp_path, with_changes(**changes))
    with pytest.raises(RegistryError, match=problem):
        load_rules(tmp_path)


def test_lr206_says_why_it_has_no_fix() -> None:
    (rule,) = [r for r in load_rules(default_rules_dir()) if r.code == "LR206"]
    assert rule.fix == "none" and "depends on the code around it" in (rule.fix_reason or "")
