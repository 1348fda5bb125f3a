"""Atomic writes and generated-block merging: nothing outside the markers changes, ever."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

import lraudit.safe_write as safe_write
from lraudit.safe_write import BEGIN, END, MarkerError, merge_generated_block, read_existing, write_atomic

# ------------------------------------------------------------------------------------- write_atomic


def test_write_creates_a_new_file(tmp_path: Path) -> None:
    target = tmp_path / "NOTES.md"
    write_atomic(target, "hello\n")
    assert target.read_bytes() == b"hello\n"
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(target.stat().st_mode) == 0o666 & ~umask
    assert os.listdir(tmp_path) == ["NOTES.md"]


def test_write_keeps_bytes_exactly(tmp_path: Path) -> None:
    target = tmp_path / "crlf.md"
    write_atomic(target, "a\r\nb\r\nno final newline ü")
    assert target.read_bytes() == "a\r\nb\r\nno final newline ü".encode()


@pytest.mark.parametrize("mode", [0o600, 0o640, 0o755, 0o444])
def test_permission_bits_are_kept(tmp_path: Path, mode: int) -> None:
    target = tmp_path / "README.md"
    target.write_text("old\n")
    os.chmod(target, mode)
    write_atomic(target, "new\n")
    assert target.read_text() == "new\n"
    assert stat.S_IMODE(target.stat().st_mode) == mode


def test_writing_through_a_symlink_updates_its_target(tmp_path: Path) -> None:
    real = tmp_path / "real.md"
    real.write_text("old\n")
    link = tmp_path / "link.md"
    link.symlink_to(real)
    write_atomic(link, "new\n")
    assert link.is_symlink()
    assert real.read_text() == "new\n"


def test_failure_before_rename_leaves_the_original_and_no_temp_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "README.md"
    target.write_bytes(b"original\r\n")
    os.chmod(target, 0o640)

    def broken_replace(src: str, dst: str) -> None:
        assert Path(src).read_bytes() == b"replacement", "the new text was fully written first"
        raise OSError("disk on fire")

    monkeypatch.setattr(safe_write.os, "replace", broken_replace)
    with pytest.raises(OSError, match="disk on fire"):
        write_atomic(target, "replacement")
    assert target.read_bytes() == b"original\r\n"
    assert stat.S_IMODE(target.stat().st_mode) == 0o640
    assert os.listdir(tmp_path) == ["README.md"]


def test_failure_while_writing_leaves_the_original(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "README.md"
    target.write_text("original\n")

    def broken_fsync(fd: int) -> None:
        raise OSError("fsync failed")

    monkeypatch.setattr(safe_write.os, "fsync", broken_fsync)
    with pytest.raises(OSError, match="fsync failed"):
        write_atomic(target, "new")
    assert target.read_text() == "original\n"
    assert os.listdir(tmp_path) == ["README.md"]


def test_missing_directory_raises_without_side_effects(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        write_atomic(tmp_path / "nope" / "x.md", "x")
    assert os.listdir(tmp_path) == []


# ------------------------------------------------------------------------------ merge_generated_block


def test_no_existing_file_gives_the_block_only() -> None:
    assert merge_generated_block(None, "line 1\nline 2") == f"{BEGIN}\nline 1\nline 2\n{END}\n"


def test_empty_generated_text() -> None:
    assert merge_generated_block(None, "") == f"{BEGIN}\n{END}\n"


def test_existing_without_markers_gets_a_blank_line_and_the_block() -> None:
    assert merge_generated_block("# Title\n\nText.\n", "gen\n") == f"# Title\n\nText.\n\n{BEGIN}\ngen\n{END}\n"


def test_existing_without_markers_and_without_final_newline() -> None:
    assert merge_generated_block("# Title", "gen") == f"# Title\n\n{BEGIN}\ngen\n{END}\n"


def test_existing_empty_file() -> None:
    assert merge_generated_block("", "gen") == f"{BEGIN}\ngen\n{END}\n"


def test_replaces_only_between_markers() -> None:
    before = "# Title\n\nIntro  with  odd   spacing\t\n"
    after = "\n\nTrailing text, no final newline"
    existing = f"{before}{BEGIN}\nold line 1\nold line 2\n{END}{after}"
    merged = merge_generated_block(existing, "new\n")
    assert merged == f"{before}{BEGIN}\nnew\n{END}{after}"
    assert merged.startswith(before) and merged.endswith(END + after)


def test_crlf_file_keeps_every_byte_outside_the_block() -> None:
    before = "# Title\r\n\r\nIntro\r\n"
    after = "\r\nFooter\r\nlast line without newline"
    existing = f"{before}{BEGIN}\r\nold\r\n{END}{after}"
    merged = merge_generated_block(existing, "a\nb\n")
    assert merged == f"{before}{BEGIN}\r\na\r\nb\r\n{END}{after}"
    assert merged.encode()[: len(before.encode())] == before.encode()
    assert merged.encode().endswith((END + after).encode())


def test_crlf_file_without_markers_is_appended_with_crlf() -> None:
    assert merge_generated_block("a\r\nb\r\n", "x\ny") == f"a\r\nb\r\n\r\n{BEGIN}\r\nx\r\ny\r\n{END}\r\n"


def test_merge_is_idempotent() -> None:
    once = merge_generated_block("# Doc\n", "table\n")
    assert merge_generated_block(once, "table\n") == once
    twice = merge_generated_block(once, "other\n")
    assert merge_generated_block(twice, "table\n") == once


def test_markers_on_one_line() -> None:
    merged = merge_generated_block(f"x {BEGIN}{END} y", "gen")
    assert merged == f"x {BEGIN}\ngen\n{END} y"


@pytest.mark.parametrize(
    ("existing", "expected"),
    [
        pytest.param(f"a\n{BEGIN}\nb\n", f"{BEGIN} on line 2 has no matching {END}", id="begin-without-end"),
        pytest.param(f"a\n{END}\nb\n", f"{END} on line 2 has no matching {BEGIN}", id="end-without-begin"),
        pytest.param(f"{END}\nx\n{BEGIN}\n", f"{END} (line 1) comes before {BEGIN} (line 3)", id="end-before-begin"),
        pytest.param(
            f"{BEGIN}\n{END}\n{BEGIN}\n{END}\n", f"{BEGIN} appears 2 times (lines 1, 3)", id="duplicated-pair"
        ),
        pytest.param(f"{BEGIN}\n{BEGIN}\n{END}\n{END}\n", f"{BEGIN} appears 2 times", id="nested"),
        pytest.param(f"{BEGIN}\n{END}\n{END}\n", f"{END} appears 2 times (lines 2, 3)", id="duplicated-end"),
    ],
)
def test_malformed_markers_are_refused(existing: str, expected: str) -> None:
    with pytest.raises(MarkerError) as excinfo:
        merge_generated_block(existing, "gen")
    assert expected in str(excinfo.value)


def test_merge_and_write_round_trip(tmp_path: Path) -> None:
    target = tmp_path / "README.md"
    original = b"# Project\r\n\r\nHand-written.\r\n<!-- lraudit:begin -->\r\nstale\r\n<!-- lraudit:end -->\r\nMore hand-written."
    target.write_bytes(original)
    existing = read_existing(target)
    assert existing is not None and existing.encode() == original
    write_atomic(target, merge_generated_block(existing, "fresh"))
    data = target.read_bytes()
    head = original.split(b"<!-- lraudit:begin -->")[0]
    tail = original.split(b"<!-- lraudit:end -->")[1]
    assert data.startswith(head + b"<!-- lraudit:begin -->\r\nfresh\r\n<!-- lraudit:end -->")
    assert data.endswith(tail)


def test_read_existing_of_a_missing_file_is_none(tmp_path: Path) -> None:
    assert read_existing(tmp_path / "absent.md") is None
    assert merge_generated_block(read_existing(tmp_path / "absent.md"), "x") == f"{BEGIN}\nx\n{END}\n"
