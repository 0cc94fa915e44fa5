"""Filesystem backend specifics: Docker's layout, modes, crash safety."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from dockyard.content import FSBackend
from dockyard.errors import StorageError


def _mode(path: Path) -> int:
    return stat.S_IMODE(os.lstat(path).st_mode)


def test_layout_and_modes(tmp_path: Path) -> None:
    backend = FSBackend(tmp_path / "imagedb")
    dgst = backend.set(b"{}")
    backend.set_metadata(dgst, "parent", b"sha256:" + b"a" * 64)
    content = tmp_path / "imagedb" / "content" / "sha256"
    meta = tmp_path / "imagedb" / "metadata" / "sha256"
    assert _mode(content) == 0o700
    assert _mode(meta) == 0o700
    assert _mode(content / dgst.hex) == 0o600
    assert (content / dgst.hex).read_bytes() == b"{}"
    assert _mode(meta / dgst.hex) == 0o700
    assert _mode(meta / dgst.hex / "parent") == 0o600
    assert sorted(os.listdir(content)) == [dgst.hex]


def test_modes_ignore_umask(tmp_path: Path) -> None:
    old = os.umask(0o077)
    try:
        backend = FSBackend(tmp_path / "imagedb")
        dgst = backend.set(b"x")
    finally:
        os.umask(old)
    assert _mode(backend.content_path(dgst)) == 0o600


def test_walk_skips_invalid_names(tmp_path: Path) -> None:
    backend = FSBackend(tmp_path / "imagedb")
    dgst = backend.set(b"x")
    content = tmp_path / "imagedb" / "content" / "sha256"
    (content / "ZZZZ").write_bytes(b"junk")
    (content / ("A" * 64)).write_bytes(b"junk")
    (content / (".tmp-" + dgst.hex + "123")).write_bytes(b"half")
    assert list(backend.walk()) == [dgst]


def test_clean_removes_temp_leftovers(tmp_path: Path) -> None:
    backend = FSBackend(tmp_path / "imagedb")
    dgst = backend.set(b"x")
    backend.set_metadata(dgst, "parent", b"p")
    content = tmp_path / "imagedb" / "content" / "sha256"
    leftover = content / ".tmp-abc123"
    leftover.write_bytes(b"half written")
    meta_leftover = backend.metadata_dir(dgst) / ".tmp-parent99"
    meta_leftover.write_bytes(b"half")
    removed = backend.clean()
    assert sorted(removed) == sorted([leftover, meta_leftover])
    assert backend.get(dgst) == b"x"
    assert backend.get_metadata(dgst, "parent") == b"p"


def test_failed_write_leaves_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    backend = FSBackend(tmp_path / "imagedb")
    content = tmp_path / "imagedb" / "content" / "sha256"

    def disk_full(fd: int, data: object) -> int:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "write", disk_full)
    with pytest.raises(StorageError, match="failed to write digest data"):
        backend.set(b"x")
    monkeypatch.undo()
    assert os.listdir(content) == []


def test_destination_directory_refused(tmp_path: Path) -> None:
    backend = FSBackend(tmp_path / "imagedb")
    data = b"payload"
    from dockyard.digest import sha256_bytes

    target = backend.content_path(sha256_bytes(data))
    target.mkdir()
    with pytest.raises(StorageError, match="cannot write to a directory"):
        backend.set(data)
    assert os.listdir(target.parent) == [target.name]
