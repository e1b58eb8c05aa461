"""generator/files/atomic.py: a file replaced whole, with the right permissions."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from generator.errors import OutputError
from generator.files.atomic import write_atomically


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_new_file_follows_the_umask(tmp_path: Path) -> None:
    old = os.umask(0o027)
    try:
        write_atomically(tmp_path / "report.html", b"<html/>")
    finally:
        os.umask(old)
    assert (tmp_path / "report.html").read_bytes() == b"<html/>"
    assert _mode(tmp_path / "report.html") == 0o640


def test_an_existing_file_keeps_its_mode_and_nothing_else_is_left(
    tmp_path: Path,
) -> None:
    target = tmp_path / "inventory.yaml"
    target.write_bytes(b"old")
    target.chmod(0o600)
    write_atomically(target, b"new")
    assert target.read_bytes() == b"new"
    assert _mode(target) == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["inventory.yaml"]


def test_a_missing_folder_is_an_output_error(tmp_path: Path) -> None:
    with pytest.raises(OutputError):
        write_atomically(tmp_path / "no" / "file", b"x")
    assert not (tmp_path / "no").exists()
