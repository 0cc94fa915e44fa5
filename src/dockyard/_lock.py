"""The store-wide writer lock and change generation.

Writers hold an exclusive ``flock`` on ``<root>/.lock`` for the whole of a write
(re-entrant within a process).  Every write that changed something replaces the
``<root>/.generation`` token, so another process can tell cheaply that its in-memory
view is stale and reload it before it reads or writes.  Readers never lock: every
file they read is replaced atomically.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import secrets
import threading
from pathlib import Path
from typing import TYPE_CHECKING

from dockyard._atomic import atomic_write
from dockyard.errors import StorageError

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

__all__ = ["StoreLock"]


class StoreLock:
    """Exclusive inter-process lock plus a generation token for one store root."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self._lock_path = self.root / ".lock"
        self._gen_path = self.root / ".generation"
        self._thread_lock = threading.RLock()
        self._depth = 0
        self._fd: int | None = None
        self._changed = False
        self._seen = self.read_generation()
        self._refresh: Callable[[], None] | None = None

    def set_refresh(self, callback: Callable[[], None] | None) -> None:
        """Register what to run when another process changed the store."""
        self._refresh = callback

    def read_generation(self) -> bytes:
        """The current generation token on disk (empty when none was written yet)."""
        try:
            return self._gen_path.read_bytes()
        except FileNotFoundError:
            return b""
        except OSError as exc:
            raise StorageError(f"failed to read store generation: {exc}") from exc

    def is_stale(self) -> bool:
        """True when another process wrote to the store since this one last looked."""
        return self.read_generation() != self._seen

    def refresh_if_stale(self) -> None:
        """Run the refresh callback if another process changed the store."""
        with self._thread_lock:
            current = self.read_generation()
            if current != self._seen:
                if self._refresh is not None:
                    self._refresh()
                self._seen = current

    def mark_changed(self) -> None:
        """Record that the current exclusive section changed the store."""
        self._changed = True

    @property
    def held(self) -> bool:
        """True when this process holds the exclusive lock."""
        return self._depth > 0

    @contextlib.contextmanager
    def exclusive(self, *, blocking: bool = True) -> Iterator[bool]:
        """Hold the store lock; yields False when ``blocking`` is off and it is busy."""
        with self._thread_lock:
            if self._depth == 0:
                if not self._acquire(blocking):
                    yield False
                    return
                try:
                    self.refresh_if_stale()
                except BaseException:
                    self._release()
                    raise
            self._depth += 1
            try:
                yield True
            finally:
                self._depth -= 1
                if self._depth == 0:
                    self._finish()

    def _acquire(self, blocking: bool) -> bool:
        self.root.mkdir(parents=True, exist_ok=True)
        fd = os.open(self._lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | (0 if blocking else fcntl.LOCK_NB))
        except BlockingIOError:
            os.close(fd)
            return False
        except OSError as exc:
            os.close(fd)
            raise StorageError(f"failed to lock the store: {exc}") from exc
        self._fd = fd
        self._changed = False
        return True

    def _finish(self) -> None:
        try:
            if self._changed:
                token = secrets.token_hex(16).encode()
                atomic_write(self._gen_path, token, 0o600)
                self._seen = token
        finally:
            self._changed = False
            self._release()

    def _release(self) -> None:
        if self._fd is not None:
            fd, self._fd = self._fd, None
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)
