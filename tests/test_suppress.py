"""Inline suppressions: lraudit: ignore[...], noqa: LRnnn, ignore-file; only real comments count."""

from __future__ import annotations

import textwrap

import pytest

from lraudit.suppress import Suppressions, parse_suppressions


def sup(text: str) -> Suppressions:
    return parse_suppressions(textwrap.dedent(text))


@pytest.mark.parametrize(
    ("comment", "silenced", "kept"),
    [
        pytest.param("# lraudit: ignore[LR101]", ["LR101"], ["LR102"], id="one-code"),
        pytest.param("# lraudit: ignore[LR101, increasing-lr]", ["LR101"], ["LR102"], id="code-and-name"),
        pytest.param("# lraudit: ignore[increasing-lr]", ["LR101"], ["LR102"], id="by-name"),
        pytest.param("# lraudit: ignore[LR101,LR102]", ["LR101", "LR102"], ["LR201"], id="no-space"),
        pytest.param("# lraudit: ignore", ["LR101", "LR102", "LR201"], [], id="all-on-line"),
        pytest.param("#lraudit:ignore", ["LR101"], [], id="tight-spacing"),
        pytest.param("# LRAUDIT: IGNORE[LR101]", ["LR101"], ["LR102"], id="case-insensitive-directive"),
        pytest.param("# lraudit: ignore  -- intended warm restart", ["LR101", "LR102"], [], id="trailing-reason"),
        pytest.param("# lraudit: ignore [LR101]", ["LR101"], ["LR102"], id="space-before-bracket"),
        pytest.param("# noqa: LR101", ["LR101"], ["LR102"], id="noqa"),
        pytest.param("# noqa:LR101,LR102", ["LR101", "LR102"], ["LR201"], id="noqa-tight"),
        pytest.param("# noqa: E501, LR101", ["LR101"], ["LR102"], id="noqa-mixed"),
        pytest.param("# noqa: E501,LR102 ,W291", ["LR102"], ["LR101"], id="noqa-mixed-middle"),
        pytest.param("# noqa: LR101 LR102", ["LR101", "LR102"], ["LR201"], id="noqa-space-separated"),
        pytest.param("# NOQA: lr101", ["LR101"], ["LR102"], id="noqa-case"),
        pytest.param("# type: ignore  # noqa: LR101", ["LR101"], ["LR102"], id="after-other-comment"),
        pytest.param("# noqa: E501  # lraudit: ignore[LR102]", ["LR102"], ["LR101"], id="two-directives"),
        pytest.param("# noqa", [], ["LR101", "LR102"], id="bare-noqa-does-not-silence"),
        pytest.param("# noqa: E501", [], ["LR101"], id="noqa-other-tool-only"),
        pytest.param("# noqa:", [], ["LR101"], id="noqa-empty"),
        pytest.param("# lraudit: ignore[LR101", [], ["LR101", "LR102"], id="unclosed-bracket-silences-nothing"),
        pytest.param("# lraudit: ignore[]", [], ["LR101"], id="empty-list"),
        pytest.param("# lraudit: ignored", [], ["LR101"], id="not-the-directive"),
        pytest.param("# please lraudit: ignore", [], ["LR101"], id="directive-must-start-the-comment"),
    ],
)
def test_line_comment_forms(comment: str, silenced: list[str], kept: list[str]) -> None:
    names = {"LR101": "increasing-lr", "LR102": "lr-hits-zero", "LR201": "step-order"}
    s = parse_suppressions(f"x = 1\ny = StepLR(opt, 10)  {comment}\nz = 3\n")
    for code in silenced:
        assert s.is_suppressed(code, names[code], 2, 2), code
        assert not s.is_suppressed(code, names[code], 1, 1), "other lines stay live"
        assert not s.is_suppressed(code, names[code], 3, 3), "other lines stay live"
    for code in kept:
        assert not s.is_suppressed(code, names[code], 2, 2), code


def test_comment_on_end_line_or_first_line_counts() -> None:
    s = sup(
        """\
        sched = LambdaLR(  # lraudit: ignore[LR101]
            opt,
            lambda e: 2 ** e,
        )  # noqa: LR102
        """
    )
    assert s.is_suppressed("LR101", "increasing-lr", 1, 4)
    assert s.is_suppressed("LR102", "lr-hits-zero", 1, 4)
    assert not s.is_suppressed("LR101", "increasing-lr", 2, 3), "a comment on neither line does not count"
    assert not s.is_suppressed("LR102", "lr-hits-zero", 2, 3)


def test_ignore_file_anywhere() -> None:
    s = sup(
        """\
        import torch
        x = 1
        # lraudit: ignore-file
        """
    )
    assert s.file_all
    assert s.is_suppressed("LR999", "anything", 1, 1)


def test_ignore_file_with_codes() -> None:
    s = sup(
        """\
        # lraudit: ignore-file[LR101, lr-hits-zero]
        x = 1
        """
    )
    assert not s.file_all
    assert s.is_suppressed("LR101", "increasing-lr", 2, 2)
    assert s.is_suppressed("LR102", "lr-hits-zero", 5, 5)
    assert not s.is_suppressed("LR201", "step-order", 2, 2)


def test_strings_that_look_like_comments_do_not_count() -> None:
    s = sup(
        """\
        a = "# lraudit: ignore-file"
        b = '# noqa: LR101'
        c = \"\"\"
        # lraudit: ignore
        \"\"\"
        d = f"{a} # lraudit: ignore[LR101]"
        """
    )
    assert s.empty
    for line in range(1, 7):
        assert not s.is_suppressed("LR101", "increasing-lr", line, line)


def test_hash_inside_string_then_real_comment() -> None:
    s = parse_suppressions('x = "#"  # lraudit: ignore[LR101]\n')
    assert s.is_suppressed("LR101", "increasing-lr", 1, 1)


def test_untokenizable_file_falls_back_to_line_scan() -> None:
    # tokenize stops at line 3 (bad dedent): comments before it are exact, the rest is scanned by line
    text = (
        "x = 1  # lraudit: ignore[LR101]\n"
        "if x:\n"
        "    a = 1\n"
        "  b = 2  # noqa: LR102\n"
        'c = "# lraudit: ignore-file"  # lraudit: ignore[LR103]\n'
    )
    s = parse_suppressions(text)
    assert s.is_suppressed("LR101", "increasing-lr", 1, 1)
    assert s.is_suppressed("LR102", "lr-hits-zero", 4, 4)
    assert s.is_suppressed("LR103", "other", 5, 5)
    assert not s.file_all, "a '#' inside a simple string is not a comment, even in the fallback"


def test_comments_before_an_unclosed_bracket_are_kept() -> None:
    s = parse_suppressions("x = (  # noqa: LR101\n1\n")  # tokenize fails at EOF
    assert s.is_suppressed("LR101", "increasing-lr", 1, 1)


def test_no_comments_is_empty() -> None:
    assert parse_suppressions("import torch\n").empty
    assert parse_suppressions("").empty
