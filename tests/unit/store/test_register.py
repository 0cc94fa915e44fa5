"""Registering layer streams: compression, DiffID, errors, progress and memory use."""

from __future__ import annotations

import bz2
import gzip
import hashlib
import io
import lzma
import os
import tarfile
import threading
import tracemalloc
from pathlib import Path
from typing import Any

import pytest

import dockyard
from dockyard.compression import Compression, compress_writer
from dockyard.digest import EMPTY_TAR_DIFF_ID, Digest
from dockyard.errors import CompressionError
from dockyard.layer import InvalidLayer
from tests.unit.layer.tarutil import ZeroTarStream, make_tar

try:
    from compression import zstd  # type: ignore[import-not-found,unused-ignore]
except ImportError:
    from backports import zstd  # type: ignore[no-redef,unused-ignore]

LAYER = make_tar([("etc/hosts", b"127.0.0.1 localhost\n"), ("bin/sh", b"#!" * 3000)])


def _compress(kind: Compression, data: bytes) -> bytes:
    if kind is Compression.GZIP:
        return gzip.compress(data)
    if kind is Compression.BZIP2:
        return bz2.compress(data)
    if kind is Compression.XZ:
        return lzma.compress(data)
    if kind is Compression.ZSTD:
        return bytes(zstd.compress(data))
    return data


def _assert_empty_store(client: dockyard.Client) -> None:
    assert len(client.layer_store) == 0
    for directory in (client.layout.data, client.layout.tmp, client.layout.layers):
        assert not directory.exists() or os.listdir(directory) == [], directory


@pytest.mark.parametrize("kind", list(Compression))
def test_every_compression_gives_the_uncompressed_diff_id(
    client: dockyard.Client, kind: Compression
) -> None:
    layer = client.layer_store.register(io.BytesIO(_compress(kind, LAYER)))
    assert layer.diff_id == Digest.from_hex(hashlib.sha256(LAYER).hexdigest())
    assert layer.payload_path.read_bytes() == LAYER
    assert layer.diff_size == 20 + 6000


def test_multi_member_gzip(client: dockyard.Client) -> None:
    data = gzip.compress(LAYER[:1000]) + gzip.compress(LAYER[1000:])
    layer = client.layer_store.register(io.BytesIO(data))
    assert layer.payload_path.read_bytes() == LAYER


@pytest.mark.parametrize("kind", [Compression.GZIP, Compression.BZIP2, Compression.XZ])
def test_corrupt_compressed_input(client: dockyard.Client, kind: Compression) -> None:
    data = bytearray(_compress(kind, LAYER))
    data[len(data) // 2] ^= 0xFF
    with pytest.raises(CompressionError):
        client.layer_store.register(io.BytesIO(bytes(data)))
    _assert_empty_store(client)


@pytest.mark.parametrize("kind", [c for c in Compression if c is not Compression.NONE])
def test_truncated_compressed_input(client: dockyard.Client, kind: Compression) -> None:
    data = _compress(kind, LAYER)
    with pytest.raises(CompressionError, match=kind.value):
        client.layer_store.register(io.BytesIO(data[: len(data) // 2]))
    _assert_empty_store(client)


def test_empty_layer(client: dockyard.Client) -> None:
    layer = client.layer_store.register(io.BytesIO(bytes(1024)))
    assert layer.diff_id == EMPTY_TAR_DIFF_ID
    assert str(layer.chain_id) == str(EMPTY_TAR_DIFF_ID)
    assert layer.size == 0


def test_diff_id_covers_trailing_bytes(client: dockyard.Client) -> None:
    data = LAYER + b"trailing garbage after the end blocks"
    layer = client.layer_store.register(io.BytesIO(data))
    assert layer.diff_id == Digest.from_hex(hashlib.sha256(data).hexdigest())
    assert layer.payload_path.read_bytes() == data


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"this is not a tar stream at all" * 40, "archive/tar: invalid tar header"),
        (LAYER[:700], "unexpected EOF"),
        (LAYER[:512], "unexpected EOF"),
        (bytes(512) + b"\x01" * 512, "archive/tar: invalid tar header"),
    ],
)
def test_invalid_tar_streams(client: dockyard.Client, data: bytes, message: str) -> None:
    with pytest.raises(InvalidLayer) as info:
        client.layer_store.register(io.BytesIO(data))
    assert str(info.value) == message
    _assert_empty_store(client)


@pytest.mark.parametrize("names", [["a", "a"], ["a", "./a"], ["dir/x", "dir//x"], ["b/../c", "c"]])
def test_duplicate_paths_are_refused(client: dockyard.Client, names: list[str]) -> None:
    data = make_tar([(name, b"x") for name in names], fmt=tarfile.GNU_FORMAT)
    with pytest.raises(InvalidLayer, match=r"^duplicates of file paths not supported$"):
        client.layer_store.register(io.BytesIO(data))
    _assert_empty_store(client)


def test_progress_reports_compressed_bytes(client: dockyard.Client) -> None:
    data = gzip.compress(make_tar([("big", os.urandom(3 << 20))]), compresslevel=1)
    seen: list[int] = []
    client.layer_store.register(io.BytesIO(data), progress=seen.append)
    assert seen
    assert seen == sorted(seen)
    assert seen[-1] == len(data)


def test_register_reads_a_pipe(client: dockyard.Client) -> None:
    read_fd, write_fd = os.pipe()
    payload = gzip.compress(LAYER)

    def feed() -> None:
        with os.fdopen(write_fd, "wb") as sink:
            sink.write(payload)

    writer = threading.Thread(target=feed)
    writer.start()
    with os.fdopen(read_fd, "rb", buffering=0) as pipe:
        layer = client.layer_store.register(pipe)
    writer.join()
    assert layer.payload_path.read_bytes() == LAYER


def test_register_never_holds_the_layer_in_memory(client: dockyard.Client) -> None:
    stream = ZeroTarStream(64 << 20)
    tracemalloc.start()
    try:
        layer = client.layer_store.register(stream)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert layer.diff_size == 64 << 20
    assert client.layer_store.payload_size(layer.chain_id) == stream.total
    assert peak < 16 << 20


def test_compressed_register_is_memory_bounded(client: dockyard.Client) -> None:
    compressed = io.BytesIO()
    writer = compress_writer(compressed, Compression.GZIP)
    source = ZeroTarStream(48 << 20)
    while chunk := source.read(1 << 20):
        writer.write(chunk)
    writer.close()
    compressed.seek(0)
    tracemalloc.start()
    try:
        layer = client.layer_store.register(compressed)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert layer.diff_size == 48 << 20
    assert peak < 16 << 20


class _Range(io.RawIOBase):
    """A slice of a file that offers its (fd, offset, size) for kernel copies."""

    def __init__(self, path: Path, offset: int, size: int) -> None:
        super().__init__()
        self._file = path.open("rb")
        self._file.seek(offset)
        self._left = size
        self._span = (self._file.fileno(), offset, size)

    def file_range(self) -> tuple[int, int, int]:
        return self._span

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self._file.read(min(len(buffer), self._left))
        self._left -= len(data)
        buffer[: len(data)] = data
        return len(data)

    def close(self) -> None:
        self._file.close()
        super().close()


@pytest.mark.parametrize("compressed", [False, True])
def test_stage_from_a_file_range_equals_stream(tmp_path: Path, compressed: bool) -> None:
    tar = make_tar([(f"f{i}", bytes([i]) * (i * 1000)) for i in range(50)])
    data = gzip.compress(tar) if compressed else tar
    path = tmp_path / "archive.bin"
    path.write_bytes(b"x" * 1536 + data + b"y" * 512)
    ranged, plain = dockyard.open(tmp_path / "a"), dockyard.open(tmp_path / "b")
    with ranged.staging() as one_area, plain.staging() as two_area:
        with _Range(path, 1536, len(data)) as source:
            one = one_area.stage(source)
        two = two_area.stage(io.BytesIO(data))
        assert (one.diff_id, one.size, one.length) == (two.diff_id, two.size, two.length)
        assert (one.payload_dir / "layer.tar").read_bytes() == tar


def test_stage_from_a_file_range_refuses_garbage(client: dockyard.Client, tmp_path: Path) -> None:
    path = tmp_path / "archive.bin"
    path.write_bytes(b"\x01" * 4096)
    with client.staging() as area:
        with _Range(path, 512, 2048) as source, pytest.raises(InvalidLayer):
            area.stage(source)
        assert area.staged == []
        (area_dir,) = client.layout.tmp.iterdir()
        assert area_dir.name.startswith("stage-")
        assert list(area_dir.iterdir()) == []
    _assert_empty_store(client)
