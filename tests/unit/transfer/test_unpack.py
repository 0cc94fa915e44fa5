"""Unpacking a layer while it downloads: the reader never takes unverified bytes."""

from __future__ import annotations

import gzip
import io
import os
import tarfile
import threading
from pathlib import Path

import pytest

from dockyard._growing import Growing, WriterFailed
from dockyard.errors import DockyardError, IntegrityError
from dockyard.layer.model import StagedLayer
from dockyard.store.layout import Layout
from dockyard.store.staging import StagingArea
from dockyard.transfer.unpack import download_and_stage


def _layer() -> tuple[bytes, bytes]:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.GNU_FORMAT) as tar:
        info = tarfile.TarInfo("data.bin")
        data = os.urandom(300_000)
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    raw = buf.getvalue()
    return raw, gzip.compress(raw, mtime=0)


@pytest.fixture
def staging(tmp_path: Path):
    area = StagingArea(Layout.at(tmp_path / "store"))
    yield area
    area.close()


def _feeder(blob: bytes, *, fail_at: int | None = None, piece: int = 1000):
    def download(sink) -> None:
        for start in range(sink.held(), len(blob), piece):
            if fail_at is not None and start >= fail_at:
                raise IntegrityError("the connection dropped")
            sink.write(blob[start : start + piece])

    return download


def test_stages_what_was_downloaded(tmp_path: Path, staging: StagingArea) -> None:
    raw, blob = _layer()
    staged = download_and_stage(tmp_path / "blob", len(blob), _feeder(blob), staging)
    assert isinstance(staged, StagedLayer)
    assert staged.length == len(raw)
    assert (tmp_path / "blob").read_bytes() == blob


def test_a_failed_download_stages_nothing(tmp_path: Path, staging: StagingArea) -> None:
    _raw, blob = _layer()
    with pytest.raises(IntegrityError, match="dropped"):
        download_and_stage(tmp_path / "blob", len(blob), _feeder(blob, fail_at=5000), staging)
    assert not any(p.is_dir() for p in staging._scratch.path.iterdir())


def test_resumes_from_held_bytes(tmp_path: Path, staging: StagingArea) -> None:
    raw, blob = _layer()
    (tmp_path / "blob").write_bytes(blob[:3000])
    staged = download_and_stage(tmp_path / "blob", len(blob), _feeder(blob), staging)
    assert staged.length == len(raw)


def test_more_than_the_blob_starts_over(tmp_path: Path, staging: StagingArea) -> None:
    raw, blob = _layer()
    (tmp_path / "blob").write_bytes(b"x" * (len(blob) + 5))
    staged = download_and_stage(tmp_path / "blob", len(blob), _feeder(blob), staging)
    assert staged.length == len(raw)


def test_not_a_layer_stops_the_download(tmp_path: Path, staging: StagingArea) -> None:
    junk = b"\x1f\x8b" + b"junk" * 100_000
    with pytest.raises(DockyardError) as failed:
        download_and_stage(tmp_path / "blob", len(junk), _feeder(junk), staging)
    assert not isinstance(failed.value, WriterFailed)
    assert not any(p.is_dir() for p in staging._scratch.path.iterdir())


def test_reader_waits_for_the_writer_and_sees_its_failure(tmp_path: Path) -> None:
    path = tmp_path / "f"
    path.write_bytes(b"")
    growing = Growing(path)
    got: list[bytes] = []
    errors: list[BaseException] = []

    def read() -> None:
        with growing.reader() as reader:
            try:
                while chunk := reader.read(10):
                    got.append(chunk)
            except WriterFailed as exc:
                errors.append(exc)

    thread = threading.Thread(target=read)
    thread.start()
    with path.open("ab") as out:
        out.write(b"hello")
        out.flush()
        growing.grew(5)
    growing.finish(IntegrityError("bad digest"))
    thread.join(5)
    assert b"".join(got) == b"hello"
    assert isinstance(errors[0].__cause__, IntegrityError)
