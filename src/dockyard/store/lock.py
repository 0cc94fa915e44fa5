"""The writers' lock of a store, and the change token.

Writers (in any process) serialise on an exclusive ``flock`` of ``<root>/.lock``; inside
one process a re-entrant thread lock does the same for threads. Readers never take it.
Every commit replaces ``<root>/.generation`` with a new random token, so anyone can tell
cheaply whether the store changed since they last looked.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import threading
from typing import TYPE_CHECKING

from dockyard._atomic import make_dirs
from dockyard.errors import StorageError, StoreReadOnly

if TYPE_CHECKING:
    from collections.abc import Iterator

    from dockyard.store.layout import Layout

__all__ = ["READ_ONLY_ERRNOS", "WriterLock", "new_token", "read_token", "storage_error"]

#: errno values that mean "this store cannot be written by this process".
READ_ONLY_ERRNOS = frozenset({errno.EROFS, errno.EACCES, errno.EPERM})


def storage_error(layout: Layout, what: str, exc: OSError) -> StorageError:
    """The typed error for a failed write: read-only stores get their own message."""
    if exc.errno in READ_ONLY_ERRNOS:
        return StoreReadOnly(str(layout.root), exc.strerror or "")
    return StorageError(f"{what}: {exc.strerror or exc}")


def read_token(layout: Layout) -> str:
    """The current change token ("" when the store never changed or does not exist).

    Raises:
        StorageError: the token exists but cannot be read.
    """
    try:
        with open(layout.generation, "rb") as f:
            return f.read(256).decode("ascii", "replace").strip()
    except (FileNotFoundError, NotADirectoryError):
        return ""
    except OSError as exc:
        raise StorageError(f"failed to read store generation: {exc.strerror or exc}") from exc


def new_token() -> str:
    """A fresh change token."""
    return os.urandom(16).hex()


class WriterLock:
    """The exclusive writer lock of one store (re-entrant within a thread)."""

    def __init__(self, layout: Layout) -> None:
        self.layout = layout
        self._thread_lock = threading.RLock()
        self._depth = 0
        self._fd: int | None = None

    @property
    def held(self) -> bool:
        """True when this process (any thread) holds the lock."""
        return self._depth > 0

    @contextlib.contextmanager
    def exclusive(self) -> Iterator[None]:
        """Hold the lock, creating the store root when it does not exist yet.

        Raises:
            StoreReadOnly: the store cannot be written by this process.
            StorageError: the lock cannot be taken.
        """
        with self._thread_lock:
            if self._depth == 0:
                self._fd = self._open_for_write()
                try:
                    fcntl.flock(self._fd, fcntl.LOCK_EX)
                except OSError as exc:
                    self._close()
                    raise StorageError(f"failed to lock the store: {exc}") from exc
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1
                if self._depth == 0:
                    self._close()

    @contextlib.contextmanager
    def attempt(self) -> Iterator[bool]:
        """Hold the lock only if that is possible right now, without waiting or creating.

        Yields False when another writer holds it, or the store cannot be written.
        """
        if not self._thread_lock.acquire(blocking=False):
            yield False
            return
        try:
            if self._depth > 0:
                yield False
                return
            try:
                fd = os.open(self.layout.lock, os.O_RDWR)
            except OSError:
                yield False
                return
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                os.close(fd)
                yield False
                return
            self._fd, self._depth = fd, 1
            try:
                yield True
            finally:
                self._depth = 0
                self._close()
        finally:
            self._thread_lock.release()

    def _open_for_write(self) -> int:
        try:
            make_dirs(self.layout.root, 0o700)
            return os.open(self.layout.lock, os.O_RDWR | os.O_CREAT, 0o600)
        except OSError as exc:
            raise storage_error(self.layout, "failed to open the store lock", exc) from exc

    def _close(self) -> None:
        if self._fd is not None:
            fd, self._fd = self._fd, None
            with contextlib.suppress(OSError):
                fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)
