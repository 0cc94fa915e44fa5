"""Starting the disk writes of a big file early, while it is still being written.

A layer of hundreds of megabytes is made durable by a barrier at the end of a load or
a save. Asking the kernel to start writing each finished stretch of the file back at
once (Linux ``sync_file_range(SYNC_FILE_RANGE_WRITE)``, which does not wait) overlaps the
disk's work with reading, hashing and copying the rest, so that the barrier finds little
left to do. Elsewhere this does nothing.
"""

from __future__ import annotations

from typing import Any

__all__ = ["STRETCH", "Writeback"]

#: Bytes written between two write-back requests.
STRETCH = 32 << 20
_SYNC_FILE_RANGE_WRITE = 2

_call: Any = None
_loaded = False


def _sync_file_range() -> Any:
    global _call, _loaded
    if not _loaded:
        _loaded = True
        try:
            import ctypes

            libc = ctypes.CDLL(None, use_errno=True)
            function = libc.sync_file_range
            function.argtypes = [ctypes.c_int, ctypes.c_int64, ctypes.c_int64, ctypes.c_uint]
            function.restype = ctypes.c_int
            _call = function
        except (OSError, AttributeError, ImportError):
            _call = None
    return _call


class Writeback:
    """Asks for the write-back of a file's data as it grows (see the module docstring).

    Args:
        fd: the file being written.
        start: the file offset where the data being written begins.
    """

    def __init__(self, fd: int, start: int = 0) -> None:
        self._fd = fd
        self._start = start
        self._requested = start
        self._function = _sync_file_range()

    def advance(self, end: int) -> None:
        """Data up to offset ``end`` has been written: start writing whole stretches."""
        while self._function is not None and end - self._requested >= STRETCH:
            self._function(self._fd, self._requested, STRETCH, _SYNC_FILE_RANGE_WRITE)
            self._requested += STRETCH

    def finish(self, end: int) -> None:
        """The data ends at ``end``: start writing what is left."""
        if self._function is not None and end > self._requested:
            self._function(self._fd, self._requested, end - self._requested, _SYNC_FILE_RANGE_WRITE)
            self._requested = end
