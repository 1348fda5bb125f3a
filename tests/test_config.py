"""[tool.lraudit]: discovery by walking up, every key, every error naming the file and the key."""

from __future__ import annotations

import textwrap
from pathlib import Path
from types import MappingProxyType

import pytest

import lraudit.config as config_module
from lraudit.config import (
    DEFAULT_EXCLUDE,
    Config,
    ConfigError,
    find_config_file,
    load_config,
    path_matches,
    relative_posix,
)
from lraudit.registry import Example, Examples, Rule, RuleOption


def make_rule(code: str, name: str, options: dict[str, object] | None = None, severity: str = "warning") -> Rule:
    return Rule(
        code=code,
        name=name,
        category="test",
        severity=severity,
        summary="s",
        message="m",
        why="w",
        options=MappingProxyType(
            {k: RuleOption(k, v, f"option {k}") for k, v in (options or {}).items()}
        ),
        references=(),
        examples=Examples(bad=(Example("x"),), good=(Example("y"),)),
        path=Path(f"rules/test/{name}.yaml"),
    )


RULES = (
    make_rule(
        "LR101",
        "increasing-lr",
        {"min-ratio": 1.01, "max-rises": 3, "strict": False, "label": "x", "steps": [1, 2], "ratios": [1, 0.5], "anything": []},
    ),
    make_rule("LR102", "lr-hits-zero"),
    make_rule("LR201", "step-before-optimizer", severity="error"),
)


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def load(tmp_path: Path, body: str) -> Config:
    write(tmp_path / "pyproject.toml", "[tool.lraudit]\n" + textwrap.dedent(body))
    return load_config([tmp_path], rules=RULES, cwd=tmp_path)


def error_of(tmp_path: Path, body: str) -> str:
    with pytest.raises(ConfigError) as excinfo:
        load(tmp_path, body)
    return str(excinfo.value)


# --------------------------------------------------------------------------------------- every key


def test_defaults_when_no_config(tmp_path: Path) -> None:
    (tmp_path / "train.py").write_text("x = 1\n")
    config = load_config([tmp_path / "train.py"], rules=RULES, cwd=tmp_path)
    assert config == Config()
    assert config.path is None and config.select is None and config.ignore == ()
    assert config.fail_on == "warning" and config.format is None
    assert config.exclude == DEFAULT_EXCLUDE and config.extend_exclude == ()


def test_every_key(tmp_path: Path) -> None:
    config = load(
        tmp_path,
        """
        select = ["LR1", "step-before-optimizer"]
        ignore = ["LR102"]
        exclude = ["legacy"]
        extend-exclude = ["notebooks/**"]
        fail-on = "error"
        format = "sarif"
        [per-file-ignores]
        "tests/*.py" = ["LR101"]
        "__init__.py" = ["LR1"]
        [severity]
        LR101 = "error"
        lr-hits-zero = "info"
        [rules.increasing-lr]
        min-ratio = 2
        max-rises = 5
        strict = true
        label = "y"
        steps = [3, 4]
        ratios = [2, 0.25]
        anything = ["a", 1]
        """.replace("[per-file-ignores]", "[tool.lraudit.per-file-ignores]")
        .replace("[severity]", "[tool.lraudit.severity]")
        .replace("[rules.", "[tool.lraudit.rules."),
    )
    assert config.path == tmp_path / "pyproject.toml"
    assert config.root == tmp_path
    assert config.select == ("LR1", "step-before-optimizer")
    assert config.ignore == ("LR102",)
    assert config.exclude == ("legacy",)
    assert config.extend_exclude == ("notebooks/**",)
    assert config.all_excludes == ("legacy", "notebooks/**")
    assert config.fail_on == "error"
    assert config.format == "sarif"
    assert config.per_file_ignores == {"tests/*.py": ("LR101",), "__init__.py": ("LR1",)}
    assert config.severity == {"LR101": "error", "LR102": "info"}  # names resolved to codes
    options = config.rules["LR101"]
    assert options == {"min-ratio": 2.0, "max-rises": 5, "strict": True, "label": "y", "steps": [3, 4], "ratios": [2.0, 0.25], "anything": ["a", 1]}
    assert all(isinstance(x, float) for x in options["ratios"])
    assert isinstance(options["min-ratio"], float)  # an int is accepted where the default is a float
    rule101, rule102, rule201 = RULES
    assert config.severity_for(rule101) == "error"
    assert config.severity_for(rule201) == "error"  # the rule's own default
    assert config.options_for(rule101)["max-rises"] == 5
    assert config.options_for(rule102) == {}


def test_options_for_fills_defaults(tmp_path: Path) -> None:
    config = load(tmp_path, '[tool.lraudit.rules.LR101]\nmax-rises = 7\n')
    assert config.options_for(RULES[0]) == {
        "min-ratio": 1.01,
        "max-rises": 7,
        "strict": False,
        "label": "x",
        "steps": [1, 2],
        "ratios": [1, 0.5],
        "anything": [],
    }


# ------------------------------------------------------------------------------------------ errors


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        pytest.param('fail-on = "fatal"', "fail-on: expected one of error, warning, info, got 'fatal'", id="fail-on"),
        pytest.param('format = "xml"', "format: expected one of text, json, sarif, github, got 'xml'", id="format"),
        pytest.param('select = "LR1"', "select: expected a list of strings, got string 'LR1'", id="select-type"),
        pytest.param('select = ["LR7"]', "select: unknown rule selector 'LR7'", id="select-unknown"),
        pytest.param('ignore = ["bogus"]', "ignore: unknown rule selector 'bogus'", id="ignore-unknown"),
        pytest.param("ignore = [1]", "ignore: expected a list of strings", id="ignore-type"),
        pytest.param('exclude = "build"', "exclude: expected a list of strings", id="exclude-type"),
        pytest.param("extend-exclude = [true]", "extend-exclude: expected a list of strings", id="extend-exclude-type"),
        pytest.param('per-file-ignores = ["x"]', "per-file-ignores: expected a table", id="pfi-type"),
        pytest.param(
            '[tool.lraudit.per-file-ignores]\n"tests/*.py" = ["LR7"]',
            "per-file-ignores.\"tests/*.py\": unknown rule selector 'LR7'",
            id="pfi-unknown",
        ),
        pytest.param(
            '[tool.lraudit.per-file-ignores]\n"a.py" = "LR1"',
            'per-file-ignores."a.py": expected a list of strings',
            id="pfi-value-type",
        ),
        pytest.param('severity = "error"', "severity: expected a table", id="severity-type"),
        pytest.param('[tool.lraudit.severity]\nLR7 = "error"', "severity.LR7: unknown rule 'LR7'", id="severity-unknown-rule"),
        pytest.param('[tool.lraudit.severity]\nLR1 = "error"', "severity.LR1: unknown rule 'LR1'", id="severity-prefix"),
        pytest.param(
            '[tool.lraudit.severity]\nLR101 = "fatal"',
            "severity.LR101: expected one of error, warning, info, got 'fatal'",
            id="severity-value",
        ),
        pytest.param(
            '[tool.lraudit.severity]\nLR101 = "error"\nincreasing-lr = "info"',
            "severity.increasing-lr: LR101 (increasing-lr) is configured twice",
            id="severity-twice",
        ),
        pytest.param("rules = 3", "rules: expected a table, got integer 3", id="rules-type"),
        pytest.param("[tool.lraudit.rules]\nLR101 = 3", "rules.LR101: expected a table", id="rules-entry-type"),
        pytest.param("[tool.lraudit.rules.nope]\nx = 1", "rules.nope: unknown rule 'nope'", id="rules-unknown-rule"),
        pytest.param(
            "[tool.lraudit.rules.LR101]\nthreshold = 1",
            "rules.LR101.threshold: unknown option for LR101 (increasing-lr); its options: min-ratio,",
            id="rules-unknown-option",
        ),
        pytest.param(
            "[tool.lraudit.rules.LR102]\nthreshold = 1",
            "rules.LR102.threshold: unknown option for LR102 (lr-hits-zero); its options: none",
            id="rules-no-options",
        ),
        pytest.param(
            '[tool.lraudit.rules.increasing-lr]\nmin-ratio = "big"',
            "rules.increasing-lr.min-ratio: expected a number, got string 'big'",
            id="option-float",
        ),
        pytest.param(
            "[tool.lraudit.rules.increasing-lr]\nmax-rises = 2.5",
            "rules.increasing-lr.max-rises: expected an integer, got number 2.5",
            id="option-int",
        ),
        pytest.param(
            "[tool.lraudit.rules.increasing-lr]\nmax-rises = true",
            "rules.increasing-lr.max-rises: expected an integer, got boolean True",
            id="option-int-not-bool",
        ),
        pytest.param(
            "[tool.lraudit.rules.increasing-lr]\nstrict = 1",
            "rules.increasing-lr.strict: expected true or false, got integer 1",
            id="option-bool",
        ),
        pytest.param(
            "[tool.lraudit.rules.increasing-lr]\nlabel = 1",
            "rules.increasing-lr.label: expected a string, got integer 1",
            id="option-str",
        ),
        pytest.param(
            "[tool.lraudit.rules.increasing-lr]\nsteps = 1",
            "rules.increasing-lr.steps: expected a list, got integer 1",
            id="option-list",
        ),
        pytest.param(
            '[tool.lraudit.rules.increasing-lr]\nsteps = [1, "two"]',
            "rules.increasing-lr.steps[1]: expected an integer, got string 'two'",
            id="option-list-item",
        ),
        pytest.param(
            "[tool.lraudit.rules.LR101]\nmax-rises = 1\n[tool.lraudit.rules.increasing-lr]\nstrict = true",
            "rules.increasing-lr: LR101 (increasing-lr) is configured twice",
            id="rules-twice",
        ),
        pytest.param('failon = "error"', "unknown key 'failon'", id="unknown-key"),
        pytest.param('fail_on = "error"', "unknown key 'fail_on' (did you mean 'fail-on'?)", id="snake-case-hint"),
    ],
)
def test_errors_name_file_and_key(tmp_path: Path, body: str, expected: str) -> None:
    message = error_of(tmp_path, body + "\n")
    assert message.startswith("pyproject.toml: [tool.lraudit] "), message
    assert expected in message, message


def test_error_message_matches_the_documented_example(tmp_path: Path) -> None:
    assert error_of(tmp_path, 'fail-on = "fatal"\n') == (
        "pyproject.toml: [tool.lraudit] fail-on: expected one of error, warning, info, got 'fatal'"
    )


def test_invalid_toml_names_the_file(tmp_path: Path) -> None:
    write(tmp_path / "pyproject.toml", "[tool.lraudit]\nselect = [\n")
    with pytest.raises(ConfigError, match=r"^pyproject.toml: invalid TOML"):
        load_config([tmp_path], rules=RULES, cwd=tmp_path)


def test_lraudit_table_must_be_a_table(tmp_path: Path) -> None:
    write(tmp_path / "pyproject.toml", '[tool]\nlraudit = "on"\n')
    with pytest.raises(ConfigError, match=r"pyproject.toml: \[tool.lraudit\] must be a table"):
        load_config([tmp_path], rules=RULES, cwd=tmp_path)


def test_without_a_toml_parser_the_error_says_what_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(tmp_path / "pyproject.toml", "[tool.lraudit]\n")
    monkeypatch.setattr(config_module, "_toml_module", lambda: None)
    with pytest.raises(ConfigError, match="tomli"):
        load_config([tmp_path], rules=RULES, cwd=tmp_path)


def test_error_path_is_relative_to_cwd_when_inside(tmp_path: Path) -> None:
    write(tmp_path / "proj" / "pyproject.toml", '[tool.lraudit]\nfail-on = "x"\n')
    with pytest.raises(ConfigError, match=r"^proj/pyproject.toml: \[tool.lraudit\] fail-on"):
        load_config([tmp_path / "proj"], rules=RULES, cwd=tmp_path)


# ---------------------------------------------------------------------------------------- discovery


def test_walks_up_to_the_closest_pyproject_with_a_table(tmp_path: Path) -> None:
    write(tmp_path / "pyproject.toml", '[tool.lraudit]\nfail-on = "info"\n')
    write(tmp_path / "pkg" / "pyproject.toml", '[project]\nname = "pkg"\n')  # no [tool.lraudit]: skipped
    script = write(tmp_path / "pkg" / "src" / "train.py", "x = 1\n")
    assert find_config_file([script], cwd=tmp_path) == tmp_path / "pyproject.toml"
    config = load_config([script], rules=RULES, cwd=tmp_path / "pkg")
    assert config.fail_on == "info" and config.root == tmp_path


def test_closest_table_wins(tmp_path: Path) -> None:
    write(tmp_path / "pyproject.toml", '[tool.lraudit]\nfail-on = "info"\n')
    write(tmp_path / "pkg" / "pyproject.toml", '[tool.lraudit]\nfail-on = "error"\n')
    config = load_config([tmp_path / "pkg"], rules=RULES, cwd=tmp_path)
    assert config.fail_on == "error" and config.root == tmp_path / "pkg"


def test_pyproject_mentioning_lraudit_elsewhere_is_skipped(tmp_path: Path) -> None:
    write(tmp_path / "pyproject.toml", '[tool.lraudit]\nfail-on = "info"\n')
    write(tmp_path / "pkg" / "pyproject.toml", '[project]\ndependencies = ["lr-audit"]\n# lraudit\n')
    assert find_config_file([tmp_path / "pkg"], cwd=tmp_path) == tmp_path / "pyproject.toml"


def test_several_paths_start_from_their_common_directory(tmp_path: Path) -> None:
    write(tmp_path / "pyproject.toml", "[tool.lraudit]\n")
    write(tmp_path / "a" / "pyproject.toml", "[tool.lraudit]\n")
    a = write(tmp_path / "a" / "x.py", "")
    b = write(tmp_path / "b" / "y.py", "")
    assert find_config_file([a, b], cwd=tmp_path) == tmp_path / "pyproject.toml"
    assert find_config_file([a], cwd=tmp_path) == tmp_path / "a" / "pyproject.toml"


def test_no_paths_means_the_working_directory(tmp_path: Path) -> None:
    write(tmp_path / "pyproject.toml", "[tool.lraudit]\n")
    assert find_config_file([], cwd=tmp_path / "sub") == tmp_path / "pyproject.toml"


def test_relative_paths_resolve_against_cwd(tmp_path: Path) -> None:
    write(tmp_path / "proj" / "pyproject.toml", "[tool.lraudit]\n")
    write(tmp_path / "proj" / "train.py", "")
    assert find_config_file(["train.py"], cwd=tmp_path / "proj") == tmp_path / "proj" / "pyproject.toml"


def test_config_file_overrides_discovery(tmp_path: Path) -> None:
    write(tmp_path / "pyproject.toml", '[tool.lraudit]\nfail-on = "info"\n')
    other = write(tmp_path / "ci" / "pyproject.toml", '[tool.lraudit]\nfail-on = "error"\n')
    config = load_config([tmp_path], config_file=other, rules=RULES, cwd=tmp_path)
    assert config.fail_on == "error" and config.path == other and config.root == tmp_path / "ci"


def test_config_file_may_be_a_standalone_toml(tmp_path: Path) -> None:
    standalone = write(tmp_path / "lraudit.toml", 'fail-on = "info"\nselect = ["LR1"]\n')
    config = load_config([], config_file=standalone, rules=RULES, cwd=tmp_path)
    assert config.fail_on == "info" and config.select == ("LR1",)
    write(tmp_path / "bad.toml", 'fail-on = "fatal"\n')
    with pytest.raises(ConfigError, match=r"^bad.toml: fail-on: expected one of"):
        load_config([], config_file="bad.toml", rules=RULES, cwd=tmp_path)


def test_config_file_pyproject_without_table_is_an_error(tmp_path: Path) -> None:
    write(tmp_path / "pyproject.toml", '[project]\nname = "x"\n')
    with pytest.raises(ConfigError, match=r"pyproject.toml: no \[tool.lraudit\] table"):
        load_config([], config_file=tmp_path / "pyproject.toml", rules=RULES, cwd=tmp_path)


def test_missing_config_file_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="missing.toml: config file not found"):
        load_config([], config_file="missing.toml", rules=RULES, cwd=tmp_path)


# -------------------------------------------------------------------------------- globs and paths


@pytest.mark.parametrize(
    ("pattern", "path", "expected"),
    [
        ("build", "build/lib/train.py", True),
        ("build", "src/build/x.py", True),
        ("build", "builder/x.py", False),
        ("*.py", "a/b/c.py", True),
        ("*_test.py", "tests/lr_test.py", True),
        ("tests/*.py", "tests/test_x.py", True),
        ("tests/*.py", "tests/sub/test_x.py", False),
        ("tests/*.py", "src/tests/test_x.py", False),
        ("tests/**/*.py", "tests/sub/deep/test_x.py", True),
        ("tests/**/*.py", "tests/test_x.py", True),
        ("legacy/**", "legacy/a/b.py", True),
        ("legacy/", "legacy/a.py", True),
        ("./legacy", "legacy/a.py", True),
        ("src/old", "src/old/a.py", True),
        ("src/old", "src/older/a.py", False),
        ("train?.py", "train1.py", True),
        ("train[0-9].py", "train7.py", True),
        ("train[!0-9].py", "train7.py", False),
        ("**/gen_*.py", "a/b/gen_x.py", True),
        ("", "a.py", False),
    ],
)
def test_path_matches(pattern: str, path: str, expected: bool) -> None:
    assert path_matches(pattern, path) is expected


def test_relative_posix(tmp_path: Path) -> None:
    assert relative_posix(tmp_path / "a" / "b.py", tmp_path) == "a/b.py"
    assert relative_posix("a/b.py", None, cwd=tmp_path) == "a/b.py"
    assert relative_posix("../x.py", tmp_path / "proj", cwd=tmp_path / "proj") == (tmp_path / "x.py").as_posix()


def test_is_excluded_uses_defaults_and_extend(tmp_path: Path) -> None:
    config = load(tmp_path, 'extend-exclude = ["notebooks"]\n')
    assert config.is_excluded(tmp_path / ".venv" / "lib" / "x.py", cwd=tmp_path)
    assert config.is_excluded(tmp_path / "notebooks" / "a.py", cwd=tmp_path)
    assert not config.is_excluded(tmp_path / "src" / "train.py", cwd=tmp_path)


def test_exclude_replaces_defaults(tmp_path: Path) -> None:
    config = load(tmp_path, 'exclude = ["legacy"]\n')
    assert not config.is_excluded(tmp_path / ".venv" / "x.py", cwd=tmp_path)
    assert config.is_excluded(tmp_path / "legacy" / "x.py", cwd=tmp_path)


def test_globs_are_relative_to_the_config_directory(tmp_path: Path) -> None:
    write(tmp_path / "proj" / "pyproject.toml", '[tool.lraudit]\nexclude = ["gen/*.py"]\n')
    config = load_config([tmp_path / "proj"], rules=RULES, cwd=tmp_path)
    assert config.is_excluded("proj/gen/a.py", cwd=tmp_path)
    assert not config.is_excluded("gen/a.py", cwd=tmp_path)


def test_per_file_ignored(tmp_path: Path) -> None:
    config = load(
        tmp_path,
        '[tool.lraudit.per-file-ignores]\n"tests/*.py" = ["LR1"]\n"conftest.py" = ["step-before-optimizer"]\n',
    )
    assert config.per_file_ignored(tmp_path / "tests" / "test_a.py", RULES, cwd=tmp_path) == {"LR101", "LR102"}
    assert config.per_file_ignored(tmp_path / "tests" / "conftest.py", RULES, cwd=tmp_path) == {
        "LR101",
        "LR102",
        "LR201",
    }
    assert config.per_file_ignored(tmp_path / "src" / "train.py", RULES, cwd=tmp_path) == set()
