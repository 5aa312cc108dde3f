"""``matcher.files.write_atomic``: whole files only, with the mode a plain ``open`` would give (calibration, index
manifests and caches are read by other users, e.g. a service account)."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from matcher.files import write_atomic


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_new_file_gets_the_mode_of_a_plain_open_and_no_temporary_file_stays(tmp_path: Path) -> None:
    plain = tmp_path / "plain.txt"
    plain.write_text("x", encoding="utf-8")
    target = tmp_path / "sub" / "cal.json"
    write_atomic(target, "{\"a\": 1}\n")
    assert target.read_text(encoding="utf-8") == "{\"a\": 1}\n"
    assert _mode(target) == _mode(plain) and _mode(target) & 0o044  # readable by others under the usual umask
    assert [p.name for p in target.parent.iterdir()] == ["cal.json"]


def test_a_replaced_file_keeps_its_mode(tmp_path: Path) -> None:
    target = tmp_path / "model.joblib"
    target.write_bytes(b"old")
    os.chmod(target, 0o640)
    write_atomic(target, b"new")
    assert target.read_bytes() == b"new" and _mode(target) == 0o640
