"""Scratch directories under ``<root>/tmp`` that die with the process that made them.

Each scratch directory is held with an exclusive ``flock`` on the directory itself for as
long as its owner uses it. When the owner is killed, the kernel drops the lock, and the
next writer (which calls :func:`clean_dead` under the writer lock) removes the directory.
A directory is created under a ``.new-`` name, locked, then renamed to its final name, so
that a cleaner never mistakes a directory being created for a dead one.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
from pathlib import Path
from typing import TYPE_CHECKING

from dockyard._atomic import make_dirs
from dockyard.store.lock import storage_error

if TYPE_CHECKING:
    from dockyard.store.layout import Layout

__all__ = ["PREFIXES", "ScratchDir", "clean_dead", "live_scratch"]

#: Names of the scratch directories cleaners may remove when their owner is gone.
PREFIXES = ("stage-", "txn-", "scratch-")
_NEW = ".new-"


class ScratchDir:
    """A directory under ``<root>/tmp`` owned by this process until :meth:`close`.

    Raises:
        StoreReadOnly: the store cannot be written.
        StorageError: the directory cannot be created.
    """

    def __init__(self, layout: Layout, prefix: str) -> None:
        if prefix not in PREFIXES:
            raise ValueError(f"unknown scratch prefix {prefix!r}")
        try:
            make_dirs(layout.tmp, 0o700)
            self._fd, self.path = _create(layout.tmp, prefix)
        except OSError as exc:
            raise storage_error(layout, "failed to create scratch space", exc) from exc

    def close(self) -> None:
        """Remove the directory and give up its lock."""
        if self._fd < 0:
            return
        shutil.rmtree(self.path, ignore_errors=True)
        fd, self._fd = self._fd, -1
        os.close(fd)

    def abandon(self) -> None:
        """Give up the lock but keep the directory (a committed journal still needs it).

        The next writer finishes the commit, then removes the directory as dead.
        """
        if self._fd >= 0:
            fd, self._fd = self._fd, -1
            os.close(fd)

    def __enter__(self) -> ScratchDir:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _create(tmp: Path, prefix: str) -> tuple[int, Path]:
    while True:
        new = tmp / f"{_NEW}{os.urandom(8).hex()}"
        new.mkdir(mode=0o700)
        try:
            fd = os.open(new, os.O_RDONLY | os.O_DIRECTORY)
        except FileNotFoundError:
            continue  # a cleaner took it before we locked it
        fcntl.flock(fd, fcntl.LOCK_EX)
        final = tmp / f"{prefix}{os.urandom(8).hex()}"
        try:
            os.rename(new, final)
        except FileNotFoundError:
            os.close(fd)
            continue
        return fd, final


def clean_dead(layout: Layout) -> list[Path]:
    """Remove the scratch directories whose owner is gone (hold the writer lock).

    Returns:
        What was removed.
    """
    removed: list[Path] = []
    try:
        entries = list(os.scandir(layout.tmp))
    except OSError:
        return removed
    for entry in entries:
        if not entry.name.startswith((*PREFIXES, _NEW)):
            continue
        path = Path(entry.path)
        if not entry.is_dir(follow_symlinks=False):
            with contextlib.suppress(OSError):
                path.unlink()
                removed.append(path)
            continue
        try:
            fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
        except OSError:
            continue
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            continue  # alive
        try:
            shutil.rmtree(path, ignore_errors=True)
            removed.append(path)
        finally:
            os.close(fd)
    return removed


def live_scratch(layout: Layout) -> set[Path]:
    """The scratch directories whose owner is alive right now."""
    live: set[Path] = set()
    try:
        entries = list(os.scandir(layout.tmp))
    except OSError:
        return live
    for entry in entries:
        if not entry.name.startswith((*PREFIXES, _NEW)):
            continue
        try:
            fd = os.open(entry.path, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
        except OSError:
            continue
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except OSError:
            live.add(Path(entry.path))
        finally:
            os.close(fd)
    return live
