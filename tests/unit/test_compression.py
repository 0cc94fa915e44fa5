"""Compression sniffing, streaming decompression and compressing writers."""

from __future__ import annotations

import bz2
import gzip
import io
import lzma
import os
import struct
from typing import BinaryIO

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dockyard.compression import Compression, compress_writer, detect, open_decompressed
from dockyard.errors import CompressionError

try:
    from compression import zstd  # type: ignore[import-not-found,unused-ignore]
except ImportError:
    from backports import zstd  # type: ignore[no-redef,unused-ignore]

DATA = b"".join(b"line %d of some layer data\n" % i for i in range(5000))

CODECS = {
    Compression.GZIP: gzip.compress,
    Compression.BZIP2: bz2.compress,
    Compression.XZ: lzma.compress,
    Compression.ZSTD: zstd.compress,
}


class Pipe(io.RawIOBase):
    """A non-seekable stream that hands out at most ``step`` bytes per read."""

    def __init__(self, data: bytes, step: int = 3) -> None:
        super().__init__()
        self._data = data
        self._step = step
        self.consumed = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return False

    def readinto(self, buffer) -> int:
        n = min(len(buffer), self._step, len(self._data) - self.consumed)
        buffer[:n] = self._data[self.consumed : self.consumed + n]
        self.consumed += n
        return n


def _drain(reader: BinaryIO) -> None:
    while reader.read(1 << 16):
        pass


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        (b"BZh91AY", Compression.BZIP2),
        (b"\x1f\x8b\x08\x00", Compression.GZIP),
        (b"\x1f\x8b\x07", Compression.NONE),
        (b"\xfd7zXZ\x00\x00", Compression.XZ),
        (b"\xfd7zXZ", Compression.NONE),
        (b"\x28\xb5\x2f\xfd", Compression.ZSTD),
        (struct.pack("<II", 0x184D2A5F, 0), Compression.ZSTD),
        (struct.pack("<I", 0x184D2A50) + b"\x00" * 3, Compression.NONE),
        (struct.pack("<II", 0x184D2A60, 0), Compression.NONE),
        (b"", Compression.NONE),
        (b"ustar", Compression.NONE),
    ],
)
def test_detect(head: bytes, expected: Compression) -> None:
    assert detect(head) is expected


@given(st.binary(max_size=16))
def test_detect_never_fails(head: bytes) -> None:
    assert isinstance(detect(head), Compression)


@pytest.mark.parametrize("kind", list(CODECS))
def test_open_decompressed_streams_from_a_pipe(kind: Compression) -> None:
    pipe = Pipe(CODECS[kind](DATA))
    reader, detected = open_decompressed(pipe)
    assert detected is kind
    first = reader.read(100)
    assert first == DATA[:100]
    assert pipe.consumed < len(pipe._data)  # nothing read ahead wholesale
    assert first + reader.read() == DATA


def test_uncompressed_and_short_input() -> None:
    for data in (b"", b"ab", DATA):
        reader, kind = open_decompressed(Pipe(data))
        assert kind is Compression.NONE
        assert reader.read() == data


def test_multi_member_gzip_and_multi_frame_zstd() -> None:
    gz = gzip.compress(DATA[:10]) + gzip.compress(DATA[10:])
    assert open_decompressed(io.BytesIO(gz))[0].read() == DATA
    skippable = struct.pack("<II", 0x184D2A50, 4) + b"skip"
    zs = skippable + zstd.compress(DATA[:10]) + zstd.compress(DATA[10:])
    reader, kind = open_decompressed(io.BytesIO(zs))
    assert kind is Compression.ZSTD
    assert reader.read() == DATA


@pytest.mark.parametrize("kind", list(CODECS))
def test_truncated_input_raises_compression_error(kind: Compression) -> None:
    data = CODECS[kind](DATA)
    reader, _ = open_decompressed(io.BytesIO(data[: len(data) // 2]))
    with pytest.raises(CompressionError, match=f"invalid {kind.value} data"):
        reader.read()


@pytest.mark.parametrize("kind", [Compression.GZIP, Compression.BZIP2, Compression.XZ])
def test_corrupt_input_raises_compression_error(kind: Compression) -> None:
    data = bytearray(CODECS[kind](DATA))
    data[len(data) // 2] ^= 0x55
    reader, _ = open_decompressed(io.BytesIO(bytes(data)))
    with pytest.raises(CompressionError):
        _drain(reader)


def test_source_errors_are_not_disguised() -> None:
    class Failing(io.RawIOBase):
        def readable(self) -> bool:
            return True

        def readinto(self, buffer) -> int:
            raise PermissionError("denied")

    with pytest.raises(PermissionError):
        open_decompressed(Failing())


@pytest.mark.parametrize("kind", list(Compression))
def test_compress_writer_round_trip(kind: Compression) -> None:
    sink = io.BytesIO()
    writer = compress_writer(sink, kind)
    for start in range(0, len(DATA), 7000):
        writer.write(DATA[start : start + 7000])
    writer.close()
    assert not sink.closed
    reader, detected = open_decompressed(io.BytesIO(sink.getvalue()))
    assert detected is kind
    assert reader.read() == DATA


def test_gzip_writer_is_reproducible_and_honours_level() -> None:
    outputs = []
    for level in (None, None, 1, 9):
        sink = io.BytesIO()
        with compress_writer(sink, Compression.GZIP, level) as writer:
            writer.write(DATA)
        outputs.append(sink.getvalue())
    assert outputs[0] == outputs[1]
    assert outputs[0][3] == 0  # no file name or other optional fields
    assert outputs[0][4:8] == b"\x00\x00\x00\x00"  # mtime 0
    assert outputs[2] != outputs[3]
    assert gzip.decompress(outputs[3]) == DATA


def test_compress_writer_bad_level() -> None:
    with pytest.raises(CompressionError):
        compress_writer(io.BytesIO(), Compression.GZIP, 42)


def test_random_data_round_trip() -> None:
    data = os.urandom(100_000)
    sink = io.BytesIO()
    with compress_writer(sink, Compression.ZSTD, 3) as writer:
        writer.write(data)
    assert open_decompressed(io.BytesIO(sink.getvalue()))[0].read() == data
