"""Where a command's simulated nodes keep their files: /dev/shm when it has room, else tempfile's choice."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from simulator import scratch


class Stats:
    def __init__(self, free_bytes: int) -> None:
        self.f_frsize = 4096
        self.f_bavail = free_bytes // 4096


def test_shared_memory_with_room_is_used(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TMPDIR", raising=False)
    monkeypatch.setattr(os, "statvfs", lambda path: Stats(scratch.MIN_FREE_BYTES))
    assert scratch.scratch_dir(tmp_path) == str(tmp_path)


def test_too_little_room_or_no_directory_falls_back(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TMPDIR", raising=False)
    monkeypatch.setattr(os, "statvfs", lambda path: Stats(64 * 1024 * 1024))  # a container's default /dev/shm
    assert scratch.scratch_dir(tmp_path) is None
    monkeypatch.undo()
    monkeypatch.delenv("TMPDIR", raising=False)
    assert scratch.scratch_dir(tmp_path / "absent") is None


def test_tmpdir_set_by_the_user_wins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    assert scratch.scratch_dir() is None  # tempfile then uses TMPDIR
