"""Streaming writer for the outer ``docker save`` tar archive, byte-identical to moby's."""

from __future__ import annotations

import contextlib
import enum
import errno
import io
import os
import stat
from typing import TYPE_CHECKING, Protocol

from dockyard._writeback import STRETCH, Writeback
from dockyard.archive.tarformat import BLOCK_SIZE, ZERO_BLOCK, TarFieldError, encode_header
from dockyard.errors import ConflictError, IntegrityError, StorageError

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator

    from typing_extensions import Buffer

__all__ = [
    "BLOCK_SIZE",
    "DockerTarWriter",
    "StreamSizeMismatch",
    "TarFieldError",
    "TarStyle",
    "TarWriterStateError",
    "WritableStream",
    "ReadableStream",
    "walk_order",
]

_CHUNK = 1 << 20
_TYPE_BITS = {b"0": 0o100000, b"5": 0o040000, b"2": 0o120000}
_COPY_FALLBACK = frozenset(
    {errno.EXDEV, errno.ENOSYS, errno.EINVAL, errno.EOPNOTSUPP, errno.EBADF, errno.EPERM}
)


class TarStyle(enum.Enum):
    """Which Docker version's header conventions to reproduce (spec §7.5)."""

    V20_10 = "v20.10"
    """Mode with file-type bits (``0100644``), uname/gname ``root``; Docker ≤ 23."""
    V28 = "v28"
    """Permission bits only (``0000644``), empty uname/gname; Docker 24 and later."""


class StreamSizeMismatch(IntegrityError):
    """A source gave fewer or more bytes than the size declared in the entry's header."""

    def __init__(self, name: str, expected: int, actual: int, more: bool = False) -> None:
        self.name = name
        self.expected = expected
        self.actual = actual
        detail = "more than" if more else f"{actual} of"
        super().__init__(
            f"archive entry {name}: source gave {detail} the {expected} bytes declared"
        )


class TarWriterStateError(ConflictError):
    """The writer was used after :meth:`DockerTarWriter.close` or after a failure."""


class WritableStream(Protocol):
    """A binary sink (a file, a pipe, a :class:`~dockyard.digest.HashingWriter` ...)."""

    def write(self, data: Buffer, /) -> int | None:
        """Write ``data``; a short count means the rest must be written again."""
        ...


class ReadableStream(Protocol):
    """A binary source."""

    def read(self, size: int = -1, /) -> bytes:
        """Read up to ``size`` bytes; an empty result means end of stream."""
        ...


def _walk_key(path: str) -> tuple[bytes, ...]:
    return tuple(part.encode("utf-8", "surrogateescape") for part in path.rstrip("/").split("/"))


def walk_order(paths: Iterable[str]) -> list[str]:
    """Sort entry paths the way moby's depth-first lexical directory walk emits them.

    Each directory comes immediately before its contents and siblings are ordered by
    the bytes of their names, so ``a/`` and everything under it precede ``a.json``
    (a plain string sort would put ``a.json`` first since ``.`` < ``/``).

    Args:
        paths: relative entry names (directories may carry a trailing slash).

    Returns:
        The names in archive order.
    """
    return sorted(paths, key=_walk_key)


class DockerTarWriter:
    """Write a tar archive exactly as moby's archive code does for ``docker save``.

    Entries are written in the caller's order (see :func:`walk_order`) as USTAR
    headers with uid/gid 0; the Go tar writer's PAX fallback is reproduced for the
    cases USTAR cannot hold (sizes from 8 GiB, long unsplittable or non-ASCII names).
    :meth:`close` writes two zero blocks and no record padding.

    Args:
        fileobj: the sink; it is not closed by the writer.
        style: the Docker version whose header conventions to reproduce.
    """

    def __init__(self, fileobj: WritableStream, style: TarStyle = TarStyle.V28) -> None:
        self._out = fileobj
        self._style = style
        self._written = 0
        self._state: str | None = None  # None = usable; otherwise why it is not

    @property
    def bytes_written(self) -> int:
        """Number of bytes written to the sink so far."""
        return self._written

    def add_dir(self, name: str, mtime: int, mode: int = 0o755) -> None:
        """Add a directory entry (a trailing slash is added to ``name`` if missing).

        Raises:
            TarFieldError: a value cannot be encoded.
            TarWriterStateError: the writer is closed or failed earlier.
        """
        self._header(name if name.endswith("/") else name + "/", mode, 0, mtime, b"5", "")

    def add_bytes(self, name: str, data: bytes, mtime: int, mode: int = 0o644) -> None:
        """Add a regular file with the given content.

        Raises:
            TarFieldError: a value cannot be encoded.
            TarWriterStateError: the writer is closed or failed earlier.
        """
        self._header(name, mode, len(data), mtime, b"0", "")
        with self._recording():
            self._write(data)
        self._pad(len(data))

    def add_symlink(self, name: str, target: str, mtime: int, mode: int = 0o777) -> None:
        """Add a symlink entry (size 0, the target in the link name field).

        Raises:
            TarFieldError: a value cannot be encoded.
            TarWriterStateError: the writer is closed or failed earlier.
        """
        self._header(name, mode, 0, mtime, b"2", target)

    def add_stream(
        self, name: str, stream: ReadableStream, size: int, mtime: int, mode: int = 0o644
    ) -> None:
        """Add a regular file of ``size`` bytes copied from ``stream`` in chunks.

        Raises:
            StreamSizeMismatch: the stream ended early or had more than ``size`` bytes;
                the archive is then incomplete and the writer unusable.
            TarFieldError: a value cannot be encoded.
            TarWriterStateError: the writer is closed or failed earlier.
        """
        self._header(name, mode, size, mtime, b"0", "")
        with self._recording():
            self._copy_stream(name, stream, size)
        self._pad(size)

    def add_file(
        self, name: str, path: str | os.PathLike[str], mtime: int, mode: int = 0o644
    ) -> None:
        """Add a regular file copied from ``path`` (kernel copy when the sink is a file).

        The size is taken when the file is opened; a file that shrinks or grows while
        it is copied is an error.

        Raises:
            StorageError: the file cannot be opened or read.
            StreamSizeMismatch: the file changed size while it was copied.
            TarFieldError: a value cannot be encoded or ``path`` is not a regular file.
            TarWriterStateError: the writer is closed or failed earlier.
        """
        try:
            fd = os.open(path, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
        except OSError as exc:
            raise StorageError(f"cannot open {os.fspath(path)}: {exc.strerror}") from exc
        try:
            info = os.fstat(fd)
            if not stat.S_ISREG(info.st_mode):
                raise TarFieldError(f"archive entry {name}: {os.fspath(path)} is not a file")
            self._header(name, mode, info.st_size, mtime, b"0", "")
            with self._recording():
                self._copy_fd(name, fd, info.st_size)
        finally:
            os.close(fd)
        self._pad(info.st_size)

    def close(self) -> None:
        """Write the end-of-archive marker (two zero blocks); later calls do nothing.

        Raises:
            TarWriterStateError: an earlier failure left the archive incomplete.
        """
        if self._state == "closed":
            return
        self._check()
        with self._recording():
            self._write(ZERO_BLOCK * 2)
        self._state = "closed"

    def __enter__(self) -> DockerTarWriter:
        return self

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        if exc_type is None:
            self.close()

    # --- headers --------------------------------------------------------------------

    def _check(self) -> None:
        if self._state == "closed":
            raise TarWriterStateError("archive/tar: write after close")
        if self._state is not None:
            raise TarWriterStateError(
                f"archive is incomplete after an earlier error: {self._state}"
            )

    def _header(self, name: str, mode: int, size: int, mtime: int, flag: bytes, link: str) -> None:
        self._check()
        if flag in _TYPE_BITS and self._style is TarStyle.V20_10:
            mode |= _TYPE_BITS[flag]
        owner = "root" if self._style is TarStyle.V20_10 else ""
        blocks = encode_header(name, mode, size, mtime, flag, link, owner)
        with self._recording():
            self._write(blocks)

    def _pad(self, size: int) -> None:
        if size % BLOCK_SIZE:
            with self._recording():
                self._write(ZERO_BLOCK[: BLOCK_SIZE - size % BLOCK_SIZE])

    # --- output ---------------------------------------------------------------------

    @contextlib.contextmanager
    def _recording(self) -> Iterator[None]:
        """Remember any failure: the archive is then incomplete and must not be ended."""
        try:
            yield
        except BaseException as exc:
            self._state = f"{type(exc).__name__}: {exc}"
            raise

    def _write(self, data: Buffer) -> None:
        view = memoryview(data).cast("B")
        while view:
            try:
                count = self._out.write(view)
            except OSError as exc:
                raise StorageError(f"cannot write archive: {exc}") from exc
            count = len(view) if count is None else count
            self._written += count
            view = view[count:]

    def _copy_stream(self, name: str, stream: ReadableStream, size: int) -> None:
        copied = 0
        while copied < size:
            chunk = stream.read(min(_CHUNK, size - copied))
            if not chunk:
                raise StreamSizeMismatch(name, size, copied)
            self._write(chunk)
            copied += len(chunk)
        if stream.read(1):
            raise StreamSizeMismatch(name, size, size + 1, more=True)

    def _out_fd(self) -> int | None:
        """The sink's descriptor, only for plain file objects that do not transform."""
        if not isinstance(self._out, io.FileIO | io.BufferedWriter | io.BufferedRandom):
            return None
        try:
            self._out.flush()
            return self._out.fileno()
        except (OSError, ValueError):
            return None

    def _copy_fd(self, name: str, fd: int, size: int) -> None:
        copied = 0
        out_fd = self._out_fd()
        if out_fd is not None and size:
            copied = _kernel_copy(fd, out_fd, size)
            self._written += copied
            if copied and isinstance(self._out, io.BufferedWriter | io.BufferedRandom):
                # Resynchronise the buffer's cached position; a pipe has none to fix.
                with contextlib.suppress(OSError):
                    self._out.seek(0, io.SEEK_CUR)
        while copied < size:
            chunk = os.pread(fd, min(_CHUNK, size - copied), copied)
            if not chunk:
                raise StreamSizeMismatch(name, size, copied)
            self._write(chunk)
            copied += len(chunk)
        if os.pread(fd, 1, size):
            raise StreamSizeMismatch(name, size, size + 1, more=True)


def _kernel_copy(src: int, dst: int, size: int) -> int:
    """Copy with copy_file_range or sendfile; return the bytes copied (0 = fall back)."""
    copied = 0
    regular = stat.S_ISREG(os.fstat(dst).st_mode)
    use_range = regular and hasattr(os, "copy_file_range")
    # A saved archive file is made durable at the end; start its disk writes on the way.
    writeback = Writeback(dst, os.lseek(dst, 0, os.SEEK_CUR)) if regular else None
    while copied < size:
        try:
            if use_range:
                count = os.copy_file_range(src, dst, min(STRETCH, size - copied), copied)
            else:
                count = os.sendfile(dst, src, copied, min(STRETCH, size - copied))
        except OSError as exc:
            if exc.errno not in _COPY_FALLBACK:
                raise StorageError(f"cannot copy into archive: {exc}") from exc
            if use_range:
                use_range = False
                continue
            return copied  # the chunked copy carries on from here
        if count == 0:
            break
        copied += count
        if writeback is not None:
            writeback.advance(os.lseek(dst, 0, os.SEEK_CUR))
    if writeback is not None:
        writeback.finish(os.lseek(dst, 0, os.SEEK_CUR))
    return copied
