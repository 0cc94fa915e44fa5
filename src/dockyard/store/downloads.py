"""Blobs that pulls download, kept under ``<root>/tmp/downloads`` so a failed pull resumes.

Layer blobs are downloaded into ``<root>/tmp/downloads/<digest hex>`` — outside the
committed store. A download that fails or dies stays there, so the next pull of the same
blob resumes with ``Range`` instead of starting over; a successful pull removes the blobs
it used, and ``image prune`` and ``check --repair`` remove what is left. A blob is held
with an ``flock`` while it downloads, so two pulls of one layer never write one file.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from typing import TYPE_CHECKING

from dockyard._atomic import make_dirs
from dockyard.digest import is_valid_hex
from dockyard.errors import StorageError

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from dockyard.digest import Digest
    from dockyard.store.layout import Layout

__all__ = ["DOWNLOADS", "Downloads"]

#: The directory under ``tmp/``.
DOWNLOADS = "downloads"


class Downloads:
    """The blobs pulls are downloading, or left half-downloaded, under ``tmp/downloads``."""

    def __init__(self, layout: Layout) -> None:
        self.dir = layout.tmp / DOWNLOADS

    @contextlib.contextmanager
    def blob(self, digest: Digest) -> Iterator[Path]:
        """The file of ``digest``, held exclusively (another pull of it waits).

        Raises:
            StorageError: the directory cannot be created.
        """
        try:
            make_dirs(self.dir, 0o700)
            fd = os.open(self.dir / f"{digest.hex}.lock", os.O_RDWR | os.O_CREAT, 0o600)
        except OSError as exc:
            raise StorageError(f"failed to prepare the download of {digest}: {exc}") from exc
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield self.dir / digest.hex
        finally:
            os.close(fd)

    def remove(self, digest: Digest) -> None:
        """Forget a blob (after the pull that needed it committed)."""
        for name in (digest.hex, f"{digest.hex}.lock"):
            with contextlib.suppress(FileNotFoundError):
                (self.dir / name).unlink()

    def usage(self) -> tuple[int, int]:
        """``(blobs, bytes)`` kept for resuming."""
        count = size = 0
        for path in self._blobs():
            count += 1
            with contextlib.suppress(OSError):
                size += path.stat().st_size
        return count, size

    def clear(self) -> int:
        """Remove every kept blob no pull is downloading now; return the bytes freed."""
        freed = 0
        for path in self._blobs():
            lock = path.with_name(f"{path.name}.lock")
            try:
                fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o600)
            except OSError:
                continue
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                os.close(fd)
                continue  # a pull is downloading it
            try:
                with contextlib.suppress(OSError):
                    freed += path.stat().st_size
                    path.unlink()
                with contextlib.suppress(OSError):
                    lock.unlink()
            finally:
                os.close(fd)
        return freed

    def _blobs(self) -> list[Path]:
        try:
            return sorted(p for p in self.dir.iterdir() if is_valid_hex(p.name))
        except OSError:
            return []


