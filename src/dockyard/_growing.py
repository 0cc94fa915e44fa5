"""A file one thread appends to while another reads it: a download unpacked as it arrives.

The writer reports how far the file is written (:meth:`Growing.grew`) and ends with
:meth:`Growing.finish` (with the error that stopped it, if any). A :class:`GrowingReader`
reads from the start and waits at the end of what is written until more comes; after a
clean finish it reaches EOF, after a failed one it raises that failure. So a reader can
never take bytes the writer has not vouched for: the writer finishes only once it
verified the whole file.
"""

from __future__ import annotations

import io
import os
import threading
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pathlib import Path

__all__ = ["Growing", "GrowingReader", "WriterFailed"]


class WriterFailed(Exception):
    """Raised to a reader when the writer stopped with an error (held as ``__cause__``)."""


class Growing:
    """The progress of one file being written."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._cond = threading.Condition()
        self._size = 0
        self._done = False
        self._error: BaseException | None = None
        self._closed = False

    def grew(self, size: int) -> None:
        """The first ``size`` bytes are written (and flushed)."""
        with self._cond:
            self._size = max(self._size, size)
            self._cond.notify_all()

    def finish(self, error: BaseException | None = None) -> None:
        """The writer is done: complete and verified, or stopped by ``error``."""
        with self._cond:
            self._done = True
            self._error = error
            self._cond.notify_all()

    def abandon(self) -> None:
        """The reader gives up: a writer waiting for nothing need not care."""
        with self._cond:
            self._closed = True
            self._cond.notify_all()

    @property
    def abandoned(self) -> bool:
        """True once the reader gave up."""
        return self._closed

    def _wait(self, position: int) -> int:
        """Bytes readable from ``position`` (0 at a clean end); waits for the writer."""
        with self._cond:
            while True:
                if self._size > position:
                    return self._size - position
                if self._error is not None:
                    raise WriterFailed(str(self._error)) from self._error
                if self._done:
                    return 0
                self._cond.wait()

    def reader(self) -> GrowingReader:
        """A reader of the file from its start."""
        return GrowingReader(self)


class GrowingReader(io.RawIOBase):
    """Reads a :class:`Growing` file, waiting for the writer at the end."""

    def __init__(self, growing: Growing) -> None:
        super().__init__()
        self._growing = growing
        self._fd = os.open(growing.path, os.O_RDONLY)
        self._pos = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview | bytearray) -> int:  # type: ignore[override]
        """Fill ``buffer`` with what is written, waiting when nothing new is."""
        view = memoryview(buffer)
        available = self._growing._wait(self._pos)
        if available == 0:
            return 0
        n = os.readv(self._fd, [view[: min(len(view), available)]])
        self._pos += n
        return n

    def close(self) -> None:
        """Close the file and tell the writer nobody reads any more."""
        if not self.closed:
            os.close(self._fd)
            self._growing.abandon()
        super().close()
