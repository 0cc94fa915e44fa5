"""Compression sniffing by magic bytes, streaming decompression and compressing writers.

Detection follows moby's ``compression.DetectCompression``: bzip2, gzip, xz and zstd
(including zstd skippable frames) are recognised from the first bytes, anything else
is taken as uncompressed. Readers stream with bounded memory and turn codec failures
(corrupt or truncated data) into :class:`~dockyard.errors.CompressionError`.
"""

from __future__ import annotations

import bz2
import enum
import gzip
import importlib
import io
import lzma
import struct
import zlib
from typing import IO, TYPE_CHECKING, Any, BinaryIO, cast

from dockyard.errors import CompressionError

if TYPE_CHECKING:
    from typing_extensions import Buffer

try:  # Python 3.14+
    from compression import zstd as _zstd  # type: ignore[import-not-found,unused-ignore]
except ImportError:  # pragma: no cover - depends on the interpreter
    from backports import zstd as _zstd  # type: ignore[no-redef,unused-ignore]

_igzip: Any
_isal_zlib: Any
try:
    _igzip = importlib.import_module("isal.igzip")
    _isal_zlib = importlib.import_module("isal.isal_zlib")
except ImportError:  # pragma: no cover - isal is an optional speed-up
    _igzip = None
    _isal_zlib = None

__all__ = [
    "PEEK_SIZE",
    "Compression",
    "compress_writer",
    "detect",
    "open_decompressed",
]

#: How many leading bytes are inspected (moby peeks 10).
PEEK_SIZE = 10

_BZIP2_MAGIC = b"BZh"
_GZIP_MAGIC = b"\x1f\x8b\x08"
_XZ_MAGIC = b"\xfd7zXZ\x00"
_ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
_ZSTD_SKIPPABLE_MASK = 0xFFFFFFF0
_ZSTD_SKIPPABLE_MAGIC = 0x184D2A50


class Compression(enum.Enum):
    """A compression format a layer or an archive can use."""

    NONE = "none"
    GZIP = "gzip"
    BZIP2 = "bzip2"
    XZ = "xz"
    ZSTD = "zstd"

    @property
    def extension(self) -> str:
        """The usual file-name extension (``tar`` for uncompressed, ``tar.gz`` ...)."""
        return _EXTENSIONS[self]


_EXTENSIONS = {
    Compression.NONE: "tar",
    Compression.GZIP: "tar.gz",
    Compression.BZIP2: "tar.bz2",
    Compression.XZ: "tar.xz",
    Compression.ZSTD: "tar.zst",
}


def detect(head: bytes) -> Compression:
    """Return the compression of a stream whose first bytes are ``head``.

    Args:
        head: the leading bytes of the stream; shorter input (even empty) is fine.

    Returns:
        The detected format, :attr:`Compression.NONE` when no magic matches.
    """
    if head.startswith(_BZIP2_MAGIC):
        return Compression.BZIP2
    if head.startswith(_GZIP_MAGIC):
        return Compression.GZIP
    if head.startswith(_XZ_MAGIC):
        return Compression.XZ
    if head.startswith(_ZSTD_MAGIC):
        return Compression.ZSTD
    if len(head) >= 8:
        (magic,) = struct.unpack_from("<I", head)
        if magic & _ZSTD_SKIPPABLE_MASK == _ZSTD_SKIPPABLE_MAGIC:
            return Compression.ZSTD
    return Compression.NONE


class _SourceError(Exception):
    """Carries an error of the underlying stream through the codec layers unchanged."""

    def __init__(self, original: BaseException) -> None:
        super().__init__(str(original))
        self.original = original


class _PeekReader(io.RawIOBase):
    """Reads a stream once, keeping the first bytes available for sniffing."""

    def __init__(self, raw: IO[bytes] | Any) -> None:
        super().__init__()
        self._raw = raw
        self._buffer = b""

    def peek_exact(self, size: int) -> bytes:
        """Return up to ``size`` leading bytes without consuming them (short only at EOF)."""
        while len(self._buffer) < size:
            chunk = self._read_raw(size - len(self._buffer))
            if not chunk:
                break
            self._buffer += chunk
        return self._buffer[:size]

    def _read_raw(self, size: int) -> bytes:
        try:
            data = self._raw.read(size)
        except OSError as exc:
            raise _SourceError(exc) from exc
        return bytes(data) if data else b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Buffer) -> int:
        view = memoryview(buffer).cast("B")
        if self._buffer:
            n = min(len(view), len(self._buffer))
            view[:n] = self._buffer[:n]
            self._buffer = self._buffer[n:]
            return n
        data = self._read_raw(len(view))
        view[: len(data)] = data
        return len(data)


class _DecompressedReader(io.BufferedIOBase):
    """A read-only stream over a codec that reports corrupt input as CompressionError."""

    def __init__(self, inner: IO[bytes] | Any, kind: Compression, source: IO[bytes] | Any):
        super().__init__()
        self._inner = inner
        self._kind = kind
        self._source = source

    def readable(self) -> bool:
        return True

    def read(self, size: int | None = -1) -> bytes:
        try:
            data: bytes = self._inner.read(-1 if size is None else size)
        except _SourceError as exc:
            raise exc.original from None
        except _CODEC_ERRORS as exc:
            raise CompressionError(
                f"invalid {self._kind.value} data: {exc or type(exc).__name__}"
            ) from exc
        return data

    def read1(self, size: int = -1) -> bytes:
        return self.read(size)

    def readinto(self, buffer: Buffer) -> int:
        view = memoryview(buffer).cast("B")
        data = self.read(len(view))
        view[: len(data)] = data
        return len(data)

    def close(self) -> None:
        if not self.closed:
            try:
                if self._inner is not self._source:
                    self._inner.close()
            finally:
                super().close()


def _codec_errors() -> tuple[type[BaseException], ...]:
    errors: list[type[BaseException]] = [
        EOFError,
        zlib.error,
        lzma.LZMAError,
        gzip.BadGzipFile,
        _zstd.ZstdError,
        OSError,  # bz2 reports "Invalid data stream" as a plain OSError
    ]
    if _isal_zlib is not None:
        errors.append(_isal_zlib.error)
    if _igzip is not None:
        errors.append(_igzip.BadGzipFile)
    return tuple(errors)


_CODEC_ERRORS = _codec_errors()


def open_decompressed(stream: IO[bytes] | Any) -> tuple[BinaryIO, Compression]:
    """Sniff the compression of ``stream`` and return a streaming decompressing reader.

    Works with non-seekable streams (pipes, sockets): only the first bytes are
    buffered. Multi-member gzip, multi-stream bzip2/xz and multi-frame zstd are read
    to the end. Closing the returned reader does not close ``stream``.

    Args:
        stream: any binary stream with a ``read(size)`` method.

    Returns:
        The decompressed stream and the detected compression.

    Raises:
        CompressionError: when reading, if the compressed data is corrupt or truncated.
    """
    peek = _PeekReader(stream)
    try:
        head = peek.peek_exact(PEEK_SIZE)
    except _SourceError as exc:
        raise exc.original from None
    kind = detect(head)
    inner: Any
    if kind is Compression.NONE:
        inner = peek
    elif kind is Compression.GZIP:
        inner = (
            _igzip.IGzipFile(fileobj=peek, mode="rb")
            if _igzip is not None
            else gzip.GzipFile(fileobj=peek, mode="rb")
        )
    elif kind is Compression.BZIP2:
        inner = bz2.BZ2File(peek, mode="rb")
    elif kind is Compression.XZ:
        inner = lzma.LZMAFile(cast("IO[bytes]", peek), mode="rb")  # noqa: SIM115
    else:
        inner = _zstd.ZstdFile(peek, mode="rb")
    return cast("BinaryIO", _DecompressedReader(inner, kind, peek)), kind


class _NonClosingWriter(io.BufferedIOBase):
    """Pass-through writer whose ``close`` only flushes the wrapped stream."""

    def __init__(self, raw: IO[bytes] | Any) -> None:
        super().__init__()
        self._raw = raw

    def writable(self) -> bool:
        return True

    def write(self, data: Buffer) -> int:
        self._raw.write(data)
        return memoryview(data).nbytes

    def flush(self) -> None:
        self._raw.flush()

    def close(self) -> None:
        if not self.closed:
            self._raw.flush()
            super().close()


def compress_writer(
    fileobj: IO[bytes] | Any, kind: Compression, level: int | None = None
) -> BinaryIO:
    """Return a writable stream that compresses into ``fileobj``.

    Closing the returned stream finishes the compressed data but leaves ``fileobj``
    open. gzip output carries no file name and a zero mtime, so it is reproducible.

    Args:
        fileobj: the destination binary stream.
        kind: the compression to use.
        level: codec level; ``None`` picks the codec default (for gzip, the fast
            ISA-L encoder when it is installed).

    Returns:
        The compressing writer.

    Raises:
        CompressionError: the level is out of range for the codec.
    """
    writer: Any
    try:
        if kind is Compression.NONE:
            writer = _NonClosingWriter(fileobj)
        elif kind is Compression.GZIP:
            if level is None and _igzip is not None:
                writer = _igzip.IGzipFile(filename="", fileobj=fileobj, mode="wb", mtime=0)
            else:
                writer = gzip.GzipFile(
                    filename="",
                    fileobj=fileobj,
                    mode="wb",
                    compresslevel=6 if level is None else level,
                    mtime=0,
                )
        elif kind is Compression.BZIP2:
            writer = bz2.BZ2File(fileobj, mode="wb", compresslevel=9 if level is None else level)
        elif kind is Compression.XZ:
            writer = lzma.LZMAFile(fileobj, mode="wb", preset=level)  # noqa: SIM115
        else:
            writer = _zstd.ZstdFile(fileobj, mode="wb", level=level)
    except (ValueError, lzma.LZMAError, _zstd.ZstdError, zlib.error) as exc:
        raise CompressionError(f"cannot compress with {kind.value} level {level}: {exc}") from exc
    return cast("BinaryIO", writer)
