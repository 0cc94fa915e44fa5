"""Where a saved archive goes: a path (atomic: temporary file, then rename) or a stream."""

from __future__ import annotations

import contextlib
import io
import os
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any, BinaryIO

from dockyard.errors import StorageError

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
    """Yield the stream to write and whether it is a regular file; commit a path on success."""
    if not isinstance(output, str | os.PathLike):
        yield output, _is_regular_file(output)
        return
    target = Path(os.fspath(output))
    try:
        fd, tmp_name = tempfile.mkstemp(
            prefix=f".{target.name}.", suffix=".tmp", dir=target.parent or "."
        )
    except OSError as exc:
        raise StorageError(f"cannot create {target}: {exc.strerror}") from exc
    tmp = Path(tmp_name)
    try:
        with open(fd, "wb") as fileobj:
            yield fileobj, True
            fileobj.flush()
            os.fsync(fileobj.fileno())
            os.fchmod(fileobj.fileno(), 0o666 & ~umask())
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        raise


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
