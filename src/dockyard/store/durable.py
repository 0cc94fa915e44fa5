"""Durability barriers and plain file writes for commits.

A commit writes all of its new files without syncing them one by one, then makes them
durable with one barrier: for a large commit ``syncfs(2)`` on the store's filesystem
where the platform has it, else (and for a small commit, such as a tag) an ``fsync`` of
every file and directory involved. So a load of N images costs a constant number of
sync calls, not N.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import Any

__all__ = ["Barrier", "fsync_path", "write_new"]

#: Up to this many paths, ``fsync`` each: it syncs only them, where ``syncfs`` flushes
#: every dirty page of the filesystem, other programs' included.
SMALL_BARRIER = 32

_syncfs: Any = None
_syncfs_loaded = False


def _load_syncfs() -> Any:
    global _syncfs, _syncfs_loaded
    if not _syncfs_loaded:
        _syncfs_loaded = True
        try:
            import ctypes

            libc = ctypes.CDLL(None, use_errno=True)
            _syncfs = libc.syncfs
            _syncfs.argtypes = [ctypes.c_int]
            _syncfs.restype = ctypes.c_int
        except (OSError, AttributeError, ImportError):
            _syncfs = None
    return _syncfs


def fsync_path(path: Path) -> None:
    """``fsync`` a file or directory by path.

    Raises:
        OSError: the path cannot be opened or synced.
    """
    flags = os.O_RDONLY | (os.O_DIRECTORY if path.is_dir() else 0)
    fd = os.open(path, flags)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_new(path: Path, data: bytes, mode: int) -> None:
    """Create ``path`` (which must not exist) with ``data`` and exactly ``mode``; no sync.

    Raises:
        OSError: the file cannot be created or written (nothing is left behind).
    """
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
        os.fchmod(fd, mode)
    except BaseException:
        os.close(fd)
        with contextlib.suppress(OSError):
            os.unlink(path)
        raise
    os.close(fd)


class Barrier:
    """Makes everything written under a root durable, at once where the OS allows.

    Args:
        root: a directory on the filesystem to sync.
        use_syncfs: False to always ``fsync`` the registered paths (for tests and
            platforms without ``syncfs``).
    """

    def __init__(self, root: Path, *, use_syncfs: bool = True) -> None:
        self.root = root
        self._paths: list[Path] = []
        self._seen: set[Path] = set()
        self._use_syncfs = use_syncfs
        self.calls = 0

    def add(self, path: Path) -> None:
        """Register a file or directory to be synced when ``syncfs`` is not available."""
        if path not in self._seen:
            self._seen.add(path)
            self._paths.append(path)

    def sync(self) -> None:
        """Make every registered path (and, with ``syncfs``, the whole filesystem) durable.

        Raises:
            OSError: syncing failed (for instance EIO).
        """
        self.calls += 1
        small = len(self._paths) <= SMALL_BARRIER
        syncfs = _load_syncfs() if self._use_syncfs and not small else None
        if syncfs is not None:
            fd = os.open(self.root, os.O_RDONLY | os.O_DIRECTORY)
            try:
                if syncfs(fd) == 0:
                    self._paths.clear()
                    self._seen.clear()
                    return
            finally:
                os.close(fd)
        for path in self._paths:
            with contextlib.suppress(FileNotFoundError):
                fsync_path(path)
        self._paths.clear()
        self._seen.clear()
