"""One-pass layer ingestion: decompress, store, digest and scan a layer tar stream."""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from typing import IO, TYPE_CHECKING, Any

from dockyard._atomic import TEMP_PREFIX, fsync_dir
from dockyard._writeback import STRETCH, Writeback
from dockyard.compression import PEEK_SIZE, Compression, detect, open_decompressed
from dockyard.digest import DiffID, Digest
from dockyard.errors import StorageError
from dockyard.layer.model import InvalidLayer
from dockyard.layer.tarscan import TarScanner

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
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
    *,
    sync: bool = True,
) -> IngestResult:
    """Stream a (possibly compressed) layer tar into ``destination`` in one pass.

    The uncompressed bytes are written to ``destination`` (created, mode 0644) through
    a temp file that is fsynced and renamed into place only when the stream was a
    valid tar; on any error nothing is left at ``destination``.

    Args:
        stream: the layer tar, uncompressed or gzip/bzip2/xz/zstd compressed.
        destination: where the uncompressed tar is stored.
        progress: called with the number of input bytes consumed so far.
        sync: fsync the payload before it is renamed into place; a caller that makes
            many files durable at once later (a commit's barrier) passes False.

    Returns:
        The DiffID, size, length and detected compression.

    Raises:
        InvalidLayer: the stream is not a valid tar or repeats a path.
        CompressionError: the compressed data is corrupt or truncated.
        StorageError: the payload cannot be written.
        OSError: reading ``stream`` itself failed (passed through unchanged).
    """
    span = _file_range(stream)
    if span is not None:
        return _ingest_range(*span, destination, progress, sync)
    counter = _CountingReader(stream)
    reader, kind = open_decompressed(counter)
    hasher = hashlib.sha256()
    scanner = TarScanner()
    length = 0
    with reader, _published(destination, sync) as out:
        writeback = Writeback(out.fileno())
        while chunk := reader.read(CHUNK_SIZE):
            hasher.update(chunk)
            _write_all(out, chunk)
            if not scanner.done:
                scanner.feed(chunk)
            length += len(chunk)
            writeback.advance(length)
            if progress is not None:
                progress(counter.count)
        writeback.finish(length)
        scanner.finish()
    diff_id = DiffID(Digest.from_hex(hasher.hexdigest()))
    return IngestResult(diff_id, scanner.size, length, kind)


@contextlib.contextmanager
def _published(destination: Path, sync: bool = True) -> Iterator[IO[bytes]]:
    """A new temp file next to ``destination``, fsynced and renamed onto it on success.

    On any error the temp file is removed and ``destination`` is left untouched.
    """
    temp = destination.with_name(f"{TEMP_PREFIX}{destination.name}")
    try:
        with _open_new(temp) as out:
            yield out
            if sync:
                _storage(os.fsync, out.fileno())
        _storage(os.replace, temp, destination)
    except BaseException:
        _discard(temp)
        raise
    if sync:
        fsync_dir(destination.parent)


def _file_range(stream: Any) -> tuple[int, int, int] | None:
    """``(fd, offset, size)`` when ``stream`` is an uncompressed slice of a regular file."""
    get = getattr(stream, "file_range", None)
    span = get() if callable(get) else None
    if span is None:
        return None
    fd, offset, size = span
    if detect(os.pread(fd, PEEK_SIZE, offset)) is not Compression.NONE:
        return None
    return fd, offset, size


def _ingest_range(
    fd: int,
    offset: int,
    size: int,
    destination: Path,
    progress: Callable[[int], None] | None,
    sync: bool,
) -> IngestResult:
    """Store an uncompressed layer that lies in a regular file.

    Three things happen at once: the kernel copies the bytes, a second thread reads and
    hashes them (mostly from the page cache), and this thread reads only the tar headers,
    skipping over file data, to check and size the layer.
    """
    # Two readers of one file description confuse its readahead; ask for the whole layer.
    with contextlib.suppress(OSError, AttributeError):
        os.posix_fadvise(fd, offset, size, os.POSIX_FADV_WILLNEED)
    hashing = _RangeHasher(fd, offset, size)
    scanner = TarScanner()
    with _published(destination, sync) as out, ThreadPoolExecutor(2) as pool:
        copy = pool.submit(_copy_range, fd, out.fileno(), offset, size)
        hashed = pool.submit(hashing.run)
        _scan_headers(scanner, fd, offset, size)
        while not _wait((copy, hashed)):
            if progress is not None:
                progress(hashing.done)
        copy.result()
        if hashed.result() != size:
            raise InvalidLayer("unexpected EOF")
        scanner.finish()
        if progress is not None:
            progress(size)
    return IngestResult(hashing.digest, scanner.size, size, Compression.NONE)


def _scan_headers(scanner: TarScanner, fd: int, offset: int, size: int) -> None:
    """Feed the scanner the headers of a layer in a file, seeking over file data."""
    pos = 0
    while pos < size and not scanner.done:
        skip, count = scanner.next_read()
        count = min(count, size - pos)
        if skip:
            scanner.skip(count)
            pos += count
            continue
        chunk = os.pread(fd, count, offset + pos)
        if not chunk:
            break
        scanner.feed(chunk)
        pos += len(chunk)


def _wait(futures: tuple[Future[Any], ...]) -> bool:
    """Wait a little for the futures; True once all are done."""
    done, _ = wait(futures, timeout=0.2)
    return len(done) == len(futures)


class _RangeHasher:
    """Hashes a range of a file in its own thread (hashlib and pread release the GIL)."""

    def __init__(self, fd: int, offset: int, size: int) -> None:
        self._fd, self._offset, self._size = fd, offset, size
        self._hasher = hashlib.sha256()
        self.done = 0

    def run(self) -> int:
        while self.done < self._size:
            chunk = os.pread(self._fd, min(CHUNK_SIZE, self._size - self.done),
                             self._offset + self.done)  # fmt: skip
            if not chunk:
                break
            self._hasher.update(chunk)
            self.done += len(chunk)
        return self.done

    @property
    def digest(self) -> DiffID:
        return DiffID(Digest.from_hex(self._hasher.hexdigest()))


def _copy_range(src: int, dst: int, offset: int, size: int) -> None:
    """Copy ``size`` bytes at ``offset`` of ``src`` to the start of ``dst`` in the kernel."""
    done = 0
    writeback = Writeback(dst)
    try:
        while done < size:
            count = os.copy_file_range(src, dst, min(STRETCH, size - done), offset + done, done)
            if count == 0:
                break
            done += count
            writeback.advance(done)
        writeback.finish(done)
    except OSError as exc:
        if done == 0 and exc.errno in (errno.EXDEV, errno.ENOSYS, errno.EINVAL, errno.EOPNOTSUPP):
            try:
                _copy_by_reading(src, dst, offset, size)
            except OSError as inner:
                raise StorageError(f"failed to store layer data: {inner.strerror}") from inner
            return
        raise StorageError(f"failed to store layer data: {exc.strerror}") from exc
    if done != size:
        raise InvalidLayer("unexpected EOF")


def _copy_by_reading(src: int, dst: int, offset: int, size: int) -> None:
    done = 0
    while done < size:
        chunk = os.pread(src, min(CHUNK_SIZE, size - done), offset + done)
        if not chunk:
            raise InvalidLayer("unexpected EOF")
        view = memoryview(chunk)
        while view:
            written = os.pwrite(dst, view, done)
            view, done = view[written:], done + written


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
