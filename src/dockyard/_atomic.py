"""Crash-safe file writes: temp file in the same directory, fsync, rename.

Temp names start with ``.tmp-`` so that walkers which only accept digest names skip
them, and so that :func:`clean_temp_files` can find leftovers after a crash.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import stat
from pathlib import Path
from typing import TYPE_CHECKING

from dockyard.errors import StorageError

if TYPE_CHECKING:
    from collections.abc import Iterator

__all__ = [
    "TEMP_PREFIX",
    "atomic_write",
    "clean_temp_files",
    "fsync_dir",
    "make_dirs",
    "remove_tree",
]

TEMP_PREFIX = ".tmp-"


def fsync_dir(path: Path) -> None:
    """Flush a directory entry change (rename, create) to disk."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def make_dirs(path: Path, mode: int) -> None:
    """Create ``path`` and missing parents; newly created ones get exactly ``mode``."""
    missing: list[Path] = []
    current = path
    while not current.exists():
        missing.append(current)
        if current.parent == current:
            break
        current = current.parent
    for directory in reversed(missing):
        with contextlib.suppress(FileExistsError):
            directory.mkdir()
            os.chmod(directory, mode)


def atomic_write(path: Path, data: bytes, mode: int = 0o600) -> None:
    """Write ``data`` to ``path`` so that readers see the old or the new content only.

    The destination must not be a directory, symlink or device.

    Raises:
        StorageError: the write failed; no temp file is left behind.
    """
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        pass
    else:
        if stat.S_ISDIR(st.st_mode):
            raise StorageError(f"cannot write to a directory: {path.name}")
        if stat.S_ISLNK(st.st_mode):
            raise StorageError(f"cannot write to a symbolic link directly: {path.name}")
        if not stat.S_ISREG(st.st_mode):
            raise StorageError(f"cannot write to a non-regular file: {path.name}")
    tmp = path.with_name(f"{TEMP_PREFIX}{path.name}{os.urandom(8).hex()}")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
        try:
            view = memoryview(data)
            while view:
                written = os.write(fd, view)
                view = view[written:]
            os.fsync(fd)
            os.fchmod(fd, mode)
        finally:
            os.close(fd)
        os.replace(tmp, path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise StorageError(f"failed to write {path.name}: {exc}") from exc
    fsync_dir(path.parent)


def remove_tree(path: Path) -> None:
    """Remove a file or directory tree, ignoring what is already gone."""
    try:
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        else:
            path.unlink()
    except FileNotFoundError:
        pass


def clean_temp_files(directory: Path) -> list[Path]:
    """Remove ``.tmp-*`` leftovers directly inside ``directory``; return what was removed."""
    removed: list[Path] = []
    for entry in _scandir(directory):
        if entry.name.startswith(TEMP_PREFIX):
            remove_tree(Path(entry.path))
            removed.append(Path(entry.path))
    return removed


def _scandir(directory: Path) -> Iterator[os.DirEntry[str]]:
    try:
        with os.scandir(directory) as it:
            yield from it
    except (FileNotFoundError, NotADirectoryError):
        return
