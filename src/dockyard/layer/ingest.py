"""One-pass layer ingestion: decompress, store, digest and scan a layer tar stream."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from typing import IO, TYPE_CHECKING, Any

from dockyard._atomic import TEMP_PREFIX, fsync_dir
from dockyard.compression import Compression, open_decompressed
from dockyard.digest import DiffID, Digest
from dockyard.errors import StorageError
from dockyard.layer.tarscan import TarScanner

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

__all__ = ["CHUNK_SIZE", "IngestResult", "ingest"]

#: Size of the chunks read from the decompressed stream.
CHUNK_SIZE = 1 << 20


@dataclass(frozen=True, slots=True)
class IngestResult:
    """What one pass over a layer stream produced.

    Attributes:
        diff_id: sha256 of the whole uncompressed stream (trailing bytes included).
        size: the layer size as Docker's vfs driver reports it (sum of entry sizes).
        length: byte length of the uncompressed stream.
        compression: the compression detected on the input.
    """

    diff_id: DiffID
    size: int
    length: int
    compression: Compression


class _CountingReader:
    """Counts the bytes read from the (compressed) input for progress reports."""

    def __init__(self, raw: IO[bytes] | Any) -> None:
        self._raw = raw
        self.count = 0

    def read(self, size: int = -1) -> bytes:
        data: bytes = self._raw.read(size)
        self.count += len(data)
        return data


def ingest(
    stream: IO[bytes] | Any,
    destination: Path,
    progress: Callable[[int], None] | None = None,
) -> IngestResult:
    """Stream a (possibly compressed) layer tar into ``destination`` in one pass.

    The uncompressed bytes are written to ``destination`` (created, mode 0644) through
    a temp file that is fsynced and renamed into place only when the stream was a
    valid tar; on any error nothing is left at ``destination``.

    Args:
        stream: the layer tar, uncompressed or gzip/bzip2/xz/zstd compressed.
        destination: where the uncompressed tar is stored.
        progress: called with the number of input bytes consumed so far.

    Returns:
        The DiffID, size, length and detected compression.

    Raises:
        InvalidLayer: the stream is not a valid tar or repeats a path.
        CompressionError: the compressed data is corrupt or truncated.
        StorageError: the payload cannot be written.
        OSError: reading ``stream`` itself failed (passed through unchanged).
    """
    counter = _CountingReader(stream)
    reader, kind = open_decompressed(counter)
    temp = destination.with_name(f"{TEMP_PREFIX}{destination.name}")
    hasher = hashlib.sha256()
    scanner = TarScanner()
    length = 0
    try:
        with reader, _open_new(temp) as out:
            while chunk := reader.read(CHUNK_SIZE):
                hasher.update(chunk)
                _write_all(out, chunk)
                if not scanner.done:
                    scanner.feed(chunk)
                length += len(chunk)
                if progress is not None:
                    progress(counter.count)
            scanner.finish()
            _storage(os.fsync, out.fileno())
        _storage(os.replace, temp, destination)
    except BaseException:
        _discard(temp)
        raise
    fsync_dir(destination.parent)
    diff_id = DiffID(Digest.from_hex(hasher.hexdigest()))
    return IngestResult(diff_id, scanner.size, length, kind)


def _storage(function: Callable[..., object], *args: Any) -> None:
    """Run a file-system call, reporting failure as a StorageError."""
    try:
        function(*args)
    except OSError as exc:
        raise StorageError(f"failed to store layer data: {exc}") from exc


def _open_new(path: Path) -> IO[bytes]:
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    except OSError as exc:
        raise StorageError(f"failed to store layer data: {exc}") from exc
    try:
        os.fchmod(fd, 0o644)
    except OSError as exc:
        os.close(fd)
        raise StorageError(f"failed to store layer data: {exc}") from exc
    return os.fdopen(fd, "wb", buffering=0)


def _write_all(out: IO[bytes], chunk: bytes) -> None:
    data = memoryview(chunk)
    try:
        while data:
            written = out.write(data)
            data = data[written or 0 :]
    except OSError as exc:
        raise StorageError(f"failed to store layer data: {exc}") from exc


def _discard(path: Path) -> None:
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass
    except OSError as exc:  # pragma: no cover - nothing more can be done
        raise StorageError(f"failed to remove temporary layer data: {exc}") from exc
