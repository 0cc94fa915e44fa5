"""Where an archive goes: a path or a stream; a path is written atomically when it can be.

A path that does not exist yet or names a regular file (directly or through symlinks) is
written to a temporary file beside the final file and renamed over it once complete, so
it never holds half an archive. Anything else a path can name is written through, as a
shell redirection would: a device node (``-o /dev/null`` as root writes into the device,
it does not replace it) or a FIFO is opened for writing as it is, without ``O_CREAT`` or
``O_TRUNC``. A directory is refused with a typed error. (The Docker 28 CLI refuses
devices, FIFOs and symlinks alike: ``cannot write to a character device file``.)
"""

from __future__ import annotations

import contextlib
import io
import os
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any, BinaryIO

from dockyard.errors import InvalidArgumentError, StorageError

__all__ = ["CountingWriter", "open_output", "umask"]


class CountingWriter(io.RawIOBase):
    """Counts the bytes passed on to ``raw`` (the size of a compressed archive)."""

    def __init__(self, raw: IO[bytes] | Any) -> None:
        super().__init__()
        self._raw = raw
        self.count = 0

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        n = memoryview(data).nbytes
        self._raw.write(data)
        self.count += n
        return n

    def flush(self) -> None:
        self._raw.flush()


@contextlib.contextmanager
def open_output(output: BinaryIO | str | os.PathLike[str]) -> Iterator[tuple[BinaryIO, bool]]:
    """Yield the stream to write and whether it is a regular file; commit a path on success.

    A stream is yielded as it is (and left open). A path is resolved through its
    symlinks: a new path or a regular file is written atomically (temporary file, then
    rename onto the resolved path, so a symlink stays a symlink); a device node, FIFO or
    other special file is opened for writing as it is and written through.

    Raises:
        InvalidArgumentError: the path names a directory (``cannot write to a directory``).
        StorageError: the output cannot be created, opened or written.
    """
    if not isinstance(output, str | os.PathLike):
        yield output, _is_regular_file(output)
        return
    target = Path(os.path.realpath(os.fspath(output)))
    try:
        st: os.stat_result | None = os.stat(target)
    except FileNotFoundError:
        st = None
    except OSError as exc:
        raise StorageError(f"cannot write {output}: {exc.strerror}") from exc
    if st is not None and stat.S_ISDIR(st.st_mode):
        raise InvalidArgumentError(f"cannot write to a directory: {output}")
    if st is None or stat.S_ISREG(st.st_mode):
        with _atomic(target, output) as fileobj:
            yield fileobj, True
        return
    with _through(target, output) as fileobj:
        yield fileobj, False


@contextlib.contextmanager
def _atomic(target: Path, shown: object) -> Iterator[BinaryIO]:
    """A temporary file beside ``target``, renamed onto it when the block succeeds."""
    try:
        fd, tmp_name = tempfile.mkstemp(
            prefix=f".{target.name}.", suffix=".tmp", dir=target.parent
        )
    except OSError as exc:
        raise StorageError(f"cannot create {shown}: {exc.strerror}") from exc
    tmp = Path(tmp_name)
    try:
        with open(fd, "wb") as fileobj:
            yield fileobj
            fileobj.flush()
            os.fsync(fileobj.fileno())
            os.fchmod(fileobj.fileno(), 0o666 & ~umask())
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        raise


@contextlib.contextmanager
def _through(target: Path, shown: object) -> Iterator[BinaryIO]:
    """A device node, FIFO or other special file, opened for writing as it is."""
    try:
        fd = os.open(target, os.O_WRONLY | os.O_CLOEXEC)
    except OSError as exc:
        raise StorageError(f"cannot open {shown} for writing: {exc.strerror}") from exc
    with open(fd, "wb") as fileobj:
        yield fileobj
        fileobj.flush()


def _is_regular_file(stream: object) -> bool:
    try:
        return stat.S_ISREG(os.fstat(stream.fileno()).st_mode)  # type: ignore[attr-defined]
    except (AttributeError, OSError, ValueError, io.UnsupportedOperation):
        return False


def umask() -> int:
    """The process umask, read without changing it (022 when unknown)."""
    try:
        with open("/proc/self/status", encoding="ascii", errors="replace") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    return 0o022
