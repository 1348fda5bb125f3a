"""Renderers for ``lraudit check``: text (colour rules), JSON contract, SARIF schema, GitHub escaping."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path
from types import MappingProxyType

import jsonschema
import pytest

from lraudit.registry import Example, Examples, Rule, RuleOption
from lraudit.render.check_json import render_check_json
from lraudit.render.check_text import render_findings_text, should_color
from lraudit.render.github import escape_data, escape_property, render_github
from lraudit.render.sarif import render_sarif
from lraudit.results import Finding

REPO = Path(__file__).resolve().parent.parent
SCHEMA_COPY = REPO / "tests" / "data" / "sarif-schema-2.1.0.json"
SCHEMA_SHARED = REPO / ".." / "shared" / "schemas" / "sarif-schema-2.1.0.json"
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def make_finding(
    path: str,
    line: int,
    code: str = "LR101",
    severity: str = "warning",
    column: int = 1,
    message: str = "learning rate rises",
    name: str = "increasing-lr",
    fingerprint: str = "",
) -> Finding:
    return Finding(
        code=code,
        name=name,
        severity=severity,  # type: ignore[arg-type]
        path=path,
        line=line,
        column=column,
        end_line=line,
        end_column=column + 10,
        message=message,
        fingerprint=fingerprint,
    )


FINDINGS = [
    make_finding("train.py", 12, "LR201", "error", message="scheduler stepped before optimizer", name="step-order"),
    make_finding("b/train.py", 3, "LR101", "warning"),
    make_finding("train.py", 5, "LR102", "warning", column=9, message="lr hits zero", name="lr-hits-zero"),
]
ERRORS = [("broken.py", "cannot read: permission denied")]


def make_rule(code: str, name: str, severity: str, category: str = "schedule") -> Rule:
    return Rule(
        code=code,
        name=name,
        category=category,
        severity=severity,
        summary=f"summary of {name}",
        message="m {x}",
        why=f"Why {name} matters,\nin two lines.\n\nMore detail.",
        options=MappingProxyType({"limit": RuleOption("limit", 3, "a limit")}),
        references=("https://example.org/paper",),
        examples=Examples(
            bad=(Example("sched = StepLR(opt, 1, gamma=2)\n", "gamma above one"),),
            good=(Example("sched = StepLR(opt, 1, gamma=0.5)\n"),),
        ),
        path=Path(f"rules/{category}/{name}.yaml"),
    )


RULES = (
    make_rule("LR201", "step-order", "error", "order"),
    make_rule("LR101", "increasing-lr", "warning"),
    make_rule("LR102", "lr-hits-zero", "warning"),
    make_rule("LR301", "long-warmup", "info"),
)


# ------------------------------------------------------------------------------------------- text


def test_text_without_colour() -> None:
    out = render_findings_text(FINDINGS, ERRORS, 12, color=False)
    assert out == (
        "b/train.py:3:1: LR101 [warning] learning rate rises\n"
        "train.py:5:9: LR102 [warning] lr hits zero\n"
        "train.py:12:1: LR201 [error] scheduler stepped before optimizer\n"
        "broken.py: error: cannot read: permission denied\n"
        "Found 3 problems (1 error, 2 warnings) in 2 files (12 files checked); 1 file could not be checked.\n"
    )
    assert "\x1b[" not in out


def test_text_summary_matches_the_documented_wording() -> None:
    out = render_findings_text(FINDINGS, [], 12, color=False)
    assert out.splitlines()[-1] == "Found 3 problems (1 error, 2 warnings) in 2 files (12 files checked)."


def test_text_with_colour() -> None:
    out = render_findings_text(FINDINGS, ERRORS, 12, color=True)
    assert ANSI.sub("", out) == render_findings_text(FINDINGS, ERRORS, 12, color=False)
    first = out.splitlines()[0]
    assert first.startswith("\x1b[1mb/train.py\x1b[0m:3:1: ")
    assert "\x1b[1;33mLR101\x1b[0m" in first  # warning: yellow
    assert "\x1b[1;31mLR201\x1b[0m" in out  # error: red
    assert "\x1b[1;31merror\x1b[0m: cannot read" in out


def test_text_info_colour_and_singulars() -> None:
    out = render_findings_text([make_finding("a.py", 1, "LR301", "info", name="long-warmup")], [], 1, color=True)
    assert "\x1b[1;36mLR301\x1b[0m" in out
    assert ANSI.sub("", out).splitlines()[-1] == "Found 1 problem (1 info) in 1 file (1 file checked)."


def test_text_no_problems() -> None:
    assert render_findings_text([], [], 12, color=False) == "All checked: no problems in 12 files.\n"
    assert render_findings_text([], [], 1, color=False) == "All checked: no problems in 1 file.\n"
    assert render_findings_text([], ERRORS, 4, color=False) == (
        "broken.py: error: cannot read: permission denied\n"
        "No problems found (4 files checked); 1 file could not be checked.\n"
    )


class FakeStream(io.StringIO):
    def __init__(self, tty: bool) -> None:
        super().__init__()
        self._tty = tty

    def isatty(self) -> bool:
        return self._tty


@pytest.mark.parametrize(
    ("tty", "env", "expected"),
    [
        pytest.param(True, {}, True, id="tty"),
        pytest.param(False, {}, False, id="pipe"),
        pytest.param(True, {"NO_COLOR": "1"}, False, id="NO_COLOR"),
        pytest.param(True, {"NO_COLOR": ""}, True, id="empty-NO_COLOR-ignored"),
        pytest.param(False, {"FORCE_COLOR": "1"}, True, id="FORCE_COLOR"),
        pytest.param(True, {"NO_COLOR": "1", "FORCE_COLOR": "1"}, False, id="NO_COLOR-wins"),
        pytest.param(True, {"TERM": "dumb"}, False, id="dumb-terminal"),
        pytest.param(False, {"FORCE_COLOR": "1", "TERM": "dumb"}, True, id="FORCE_COLOR-beats-dumb"),
    ],
)
def test_should_color(tty: bool, env: dict[str, str], expected: bool) -> None:
    assert should_color(FakeStream(tty), env) is expected


def test_should_color_on_a_stream_without_isatty_or_closed() -> None:
    assert should_color(object(), {}) is False
    closed = io.StringIO()
    closed.close()
    assert should_color(closed, {}) is False


# ------------------------------------------------------------------------------------------- json


def test_json_contract_keys_order_and_sorting() -> None:
    out = render_check_json(FINDINGS, ERRORS + [("a.py", "boom")], 12, "0.1.0")
    assert out.endswith("}\n") and out.startswith('{\n  "lraudit_version": "0.1.0",')
    document = json.loads(out)
    assert list(document) == ["lraudit_version", "findings", "errors", "summary"]
    for item in document["findings"]:
        assert list(item) == [
            "code",
            "name",
            "severity",
            "path",
            "line",
            "column",
            "end_line",
            "end_column",
            "message",
            "fix",
        ]
    assert [(f["path"], f["line"]) for f in document["findings"]] == [("b/train.py", 3), ("train.py", 5), ("train.py", 12)]
    assert document["findings"][1] == {
        "code": "LR102",
        "name": "lr-hits-zero",
        "severity": "warning",
        "path": "train.py",
        "line": 5,
        "column": 9,
        "end_line": 5,
        "end_column": 19,
        "message": "lr hits zero",
        "fix": None,
    }
    assert document["errors"] == [
        {"path": "a.py", "message": "boom"},
        {"path": "broken.py", "message": "cannot read: permission denied"},
    ]
    assert document["summary"] == {"files": 12, "findings": 3}
    assert "fingerprint" not in out
    assert out == json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def test_json_sorts_same_line_by_column_then_code() -> None:
    same_line = [
        make_finding("t.py", 4, "LR201", column=5),
        make_finding("t.py", 4, "LR101", column=5),
        make_finding("t.py", 4, "LR301", column=2),
    ]
    document = json.loads(render_check_json(same_line, [], 1, "0.1.0"))
    assert [(f["column"], f["code"]) for f in document["findings"]] == [(2, "LR301"), (5, "LR101"), (5, "LR201")]


def test_json_empty() -> None:
    document = json.loads(render_check_json([], [], 0, "0.1.0"))
    assert document == {"lraudit_version": "0.1.0", "findings": [], "errors": [], "summary": {"files": 0, "findings": 0}}


# ------------------------------------------------------------------------------------------ sarif


def sarif_schemas() -> list[dict]:
    schemas = [json.loads(SCHEMA_COPY.read_text(encoding="utf-8"))]
    if SCHEMA_SHARED.is_file():  # the shared copy beside the clone, when CI provides it
        schemas.append(json.loads(SCHEMA_SHARED.read_text(encoding="utf-8")))
    return schemas


def validate_sarif(document: dict) -> None:
    for schema in sarif_schemas():
        jsonschema.Draft4Validator.check_schema(schema)
        jsonschema.Draft4Validator(schema, format_checker=jsonschema.FormatChecker()).validate(document)


def test_sarif_validates_against_the_schema() -> None:
    findings = [*FINDINGS, make_finding("dir with space/x.py", 2, "LR999", "info", fingerprint="abc123")]
    out = render_sarif(findings, ERRORS, RULES, "0.1.0")
    document = json.loads(out)
    validate_sarif(document)
    assert out.endswith("\n")


def test_sarif_with_source_root_validates(tmp_path: Path) -> None:
    document = json.loads(render_sarif(FINDINGS, [], RULES, "0.1.0", source_root=tmp_path))
    validate_sarif(document)
    assert document["runs"][0]["originalUriBaseIds"]["%SRCROOT%"]["uri"] == tmp_path.resolve().as_uri() + "/"


def test_sarif_driver_and_rules() -> None:
    run = json.loads(render_sarif(FINDINGS, [], RULES, "0.1.0"))["runs"][0]
    driver = run["tool"]["driver"]
    assert driver["name"] == "lraudit" and driver["version"] == "0.1.0"
    assert driver["informationUri"].startswith("https://")
    assert [r["id"] for r in driver["rules"]] == ["LR101", "LR102", "LR201", "LR301"]  # every catalog rule
    rule = driver["rules"][0]
    assert rule["name"] == "increasing-lr"
    assert rule["shortDescription"] == {"text": "summary of increasing-lr"}
    assert rule["fullDescription"] == {"text": "Why increasing-lr matters, in two lines."}
    assert "More detail." in rule["help"]["text"] and "sched = StepLR(opt, 1, gamma=2)" in rule["help"]["text"]
    assert "```python\nsched = StepLR(opt, 1, gamma=0.5)\n```" in rule["help"]["markdown"]
    assert "gamma above one" in rule["help"]["markdown"]
    assert rule["defaultConfiguration"] == {"level": "warning"}
    assert rule["properties"] == {"tags": ["schedule"]}
    levels = {r["id"]: r["defaultConfiguration"]["level"] for r in driver["rules"]}
    assert levels == {"LR101": "warning", "LR102": "warning", "LR201": "error", "LR301": "note"}


def test_sarif_results() -> None:
    findings = [*FINDINGS, make_finding("dir with space/x.py", 2, "LR999", "info", fingerprint="abc123")]
    run = json.loads(render_sarif(findings, [], RULES, "0.1.0"))["runs"][0]
    results = run["results"]
    assert [(r["ruleId"], r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]) for r in results] == [
        ("LR101", "b/train.py"),
        ("LR999", "dir%20with%20space/x.py"),
        ("LR102", "train.py"),
        ("LR201", "train.py"),
    ]
    ids = [r["id"] for r in run["tool"]["driver"]["rules"]]
    for result in results:
        if result["ruleId"] in ids:
            assert ids[result["ruleIndex"]] == result["ruleId"]
        else:
            assert "ruleIndex" not in result
    first = results[0]
    assert first["level"] == "warning"
    assert first["message"] == {"text": "learning rate rises"}
    location = first["locations"][0]["physicalLocation"]
    assert location["artifactLocation"]["uriBaseId"] == "%SRCROOT%"
    assert location["region"] == {"startLine": 3, "startColumn": 1, "endLine": 3, "endColumn": 11}
    assert results[1]["level"] == "note"
    assert results[1]["partialFingerprints"] == {"lraudit/v1": "abc123"}
    assert "partialFingerprints" not in first
    assert results[3]["level"] == "error"


def test_sarif_per_file_errors_are_notifications() -> None:
    run = json.loads(render_sarif([], ERRORS, RULES, "0.1.0"))["runs"][0]
    (invocation,) = run["invocations"]
    assert invocation["executionSuccessful"] is True
    (note,) = invocation["toolExecutionNotifications"]
    assert note["level"] == "error"
    assert note["message"] == {"text": "cannot read: permission denied"}
    assert note["locations"][0]["physicalLocation"]["artifactLocation"] == {"uri": "broken.py", "uriBaseId": "%SRCROOT%"}
    assert run["results"] == []


def test_sarif_whole_file_finding_has_no_region() -> None:
    finding = make_finding("x.py", 0, "LR901", "error", column=0)
    document = json.loads(render_sarif([finding], [], RULES, "0.1.0"))
    validate_sarif(document)
    assert "region" not in document["runs"][0]["results"][0]["locations"][0]["physicalLocation"]


def test_schema_copy_matches_the_shared_schema_when_present() -> None:
    assert SCHEMA_COPY.is_file()
    if SCHEMA_SHARED.is_file():
        assert SCHEMA_COPY.read_bytes() == SCHEMA_SHARED.read_bytes()


# ----------------------------------------------------------------------------------------- github


def test_github_annotations() -> None:
    out = render_github(FINDINGS, ERRORS)
    assert out.splitlines() == [
        "::warning file=b/train.py,line=3,col=1,endLine=3,endColumn=11,title=LR101 increasing-lr::learning rate rises",
        "::warning file=train.py,line=5,col=9,endLine=5,endColumn=19,title=LR102 lr-hits-zero::lr hits zero",
        "::error file=train.py,line=12,col=1,endLine=12,endColumn=11,title=LR201 step-order"
        "::scheduler stepped before optimizer",
        "::error file=broken.py,title=lraudit::cannot read: permission denied",
    ]
    assert out.endswith("\n")


def test_github_info_is_a_notice() -> None:
    out = render_github([make_finding("a.py", 1, "LR301", "info", name="long-warmup")], [])
    assert out.startswith("::notice file=a.py,line=1,")


def test_github_escaping() -> None:
    finding = make_finding("we,ird:dir/100%.py", 7, message="lr 100% higher\r\nat step 3: see a,b")
    (line,) = render_github([finding], []).splitlines()
    assert line == (
        "::warning file=we%2Cird%3Adir/100%25.py,line=7,col=1,endLine=7,endColumn=11,"
        "title=LR101 increasing-lr::lr 100%25 higher%0D%0Aat step 3: see a,b"
    )
    assert escape_data("a%b\nc\rd:e,f") == "a%25b%0Ac%0Dd:e,f"
    assert escape_property("a%b\nc\rd:e,f") == "a%25b%0Ac%0Dd%3Ae%2Cf"


def test_github_empty() -> None:
    assert render_github([], []) == ""


def test_sarif_validation_is_not_vacuous() -> None:
    document = json.loads(render_sarif(FINDINGS, [], RULES, "0.1.0"))
    document["runs"][0]["results"][0]["level"] = "info"  # not a SARIF level
    with pytest.raises(jsonschema.ValidationError):
        validate_sarif(document)
