"""One store directory: snapshots to read, transactions to write, staging areas to fill.

:meth:`Store.view` never takes the writer lock: it checks that the index matches the
files (change token, stamps, no commit in flight) and reads it; when it does not match it
is rebuilt — in place when the lock is free and the store writable, in memory otherwise.
:meth:`Store.transaction` takes the writer lock, first finishes a commit a dead writer
left, removes dead writers' scratch space and refreshes the index, then runs the command's
changes and commits them.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sqlite3
import threading
from collections import Counter
from typing import TYPE_CHECKING

from dockyard._atomic import make_dirs
from dockyard.errors import StorageError
from dockyard.store import index
from dockyard.store.durable import Barrier
from dockyard.store.journal import apply_pending
from dockyard.store.layout import Layout
from dockyard.store.lock import WriterLock, new_token, read_token, storage_error
from dockyard.store.scratch import ScratchDir, clean_dead
from dockyard.store.view import Stats, View

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from pathlib import Path

    from dockyard.reference.parse import Compat
    from dockyard.store.staging import StagingArea
    from dockyard.store.txn import Transaction


def rebuild(conn: sqlite3.Connection, layout: Layout, generation: str) -> None:
    """Rebuild the index from the files (imported only when an index is stale)."""
    from dockyard.store.rebuild import rebuild as run

    run(conn, layout, generation)

__all__ = ["Store"]

_ATTEMPTS = 3


class Store:
    """The machinery of one store root (see the module docstring).

    Opening does no I/O: nothing is read, and nothing is created until a command writes.

    Args:
        root: the store directory.
        compat: ``"v28"`` or ``"v20.10"`` wording of reference conflicts.
    """

    def __init__(self, root: Path | str, *, compat: Compat = "v28") -> None:
        self.layout = Layout.at(root)
        self.lock = WriterLock(self.layout)
        self.stats = Stats()
        self.compat: Compat = compat
        self.held: Counter[str] = Counter()
        self._local = threading.local()
        self._memory: tuple[str, bytes] | None = None
        self._damaged = False
        self._memory_lock = threading.Lock()

    # --- reading ------------------------------------------------------------------------

    @contextlib.contextmanager
    def view(self) -> Iterator[View]:
        """A consistent snapshot of the last committed state.

        Inside a transaction of the same thread, the transaction's own view.

        Raises:
            StorageError: the index can be neither read nor rebuilt.
            InvalidReferenceStore: ``repositories.json`` cannot be decoded.
        """
        tx: Transaction | None = getattr(self._local, "tx", None)
        if tx is not None:
            yield tx.view
            return
        conn, owned = self._reader()
        try:
            with index.read_transaction(conn):
                yield View(conn, self.layout, self.stats)
        except sqlite3.Error as exc:
            raise self._index_error(exc, "read") from exc
        finally:
            if owned:
                conn.close()

    @contextlib.contextmanager
    def truth(self) -> Iterator[View]:
        """A snapshot built from the files right now (for ``check``: no index is trusted).

        Raises:
            StorageError: a directory cannot be read.
            InvalidReferenceStore: ``repositories.json`` cannot be decoded.
        """
        conn = index.memory()
        try:
            rebuild(conn, self.layout, read_token(self.layout))
            self.stats.rebuilds += 1
            yield View(conn, self.layout, self.stats)
        finally:
            conn.close()

    def _index_error(self, exc: sqlite3.Error, what: str) -> StorageError:
        """The error for a failed index query; a damaged index is rebuilt next time."""
        if index.environmental(exc):
            return StorageError(f"failed to {what} the index {self.layout.index}: {exc}")
        self._damaged = True
        return StorageError(
            f"the index {self.layout.index} is damaged ({exc}); "
            "it is rebuilt from the store's files by the next command"
        )

    def writable(self) -> bool:
        """True when this process may write the store (it need not exist yet)."""
        path = self.layout.root
        while not path.exists() and path != path.parent:
            path = path.parent
        return os.access(path, os.W_OK)

    def _reader(self) -> tuple[sqlite3.Connection, bool]:
        layout = self.layout
        if not layout.root.is_dir():
            return self._in_memory(), True
        writable = os.access(layout.root, os.W_OK)
        for _ in range(_ATTEMPTS):
            in_flight = layout.journal.exists()
            conn = self._open_for_reading(writable)
            if conn is not None and self._damaged:
                conn.close()
                conn = None
            if conn is not None:
                meta = index.read_meta(conn)
                current = meta.get("schema") == index.SCHEMA_VERSION
                writer_busy = in_flight and not self._finish_if_dead(writable)
                if current and (writer_busy or self._fresh(meta)):
                    return conn, True
                conn.close()
            if writable:
                with self.lock.attempt() as got:
                    if got:
                        try:
                            self._refresh_locked(create_dirs=False)
                        except StorageError:
                            break  # a full disk, say: read the files instead
                        continue
        return self._in_memory(), True

    def _open_for_reading(self, writable: bool) -> sqlite3.Connection | None:
        if writable:
            try:
                return index.open_rw(self.layout)
            except StorageError:
                pass  # cannot open it for writing now (a full disk): read it as it is
        return index.open_ro(self.layout)

    def _finish_if_dead(self, writable: bool) -> bool:
        """When the commit in flight was left by a dead writer, finish it; True if done."""
        if not writable:
            return False
        with self.lock.attempt() as got:
            if got:
                self._refresh_locked(create_dirs=False)
                return True
        return False

    def change_key(self) -> str | None:
        """A cheap fingerprint of the committed state (read-only; a file read and a few stats).

        Two equal keys mean the same committed state, so whatever was read from the store
        under one key is still valid under it. None while a commit is in flight.
        """
        if self.layout.journal.exists():
            return None
        return f"{read_token(self.layout)}|{index.stamps(self.layout)}"

    def _fresh(self, meta: dict[str, str]) -> bool:
        return (
            not self.layout.journal.exists()
            and meta.get("generation") == read_token(self.layout)
            and meta.get("stamps") == index.stamps(self.layout)
        )

    def _in_memory(self) -> sqlite3.Connection:
        """A private copy of an index rebuilt in memory (built once while files stay)."""
        key = f"{read_token(self.layout)}|{index.stamps(self.layout)}"
        with self._memory_lock:
            if self._memory is None or self._memory[0] != key:
                built = index.memory()
                try:
                    rebuild(built, self.layout, read_token(self.layout))
                    self.stats.rebuilds += 1
                    self._memory = (key, built.serialize())
                finally:
                    built.close()
            data = self._memory[1]
        conn = sqlite3.connect(":memory:", isolation_level=None, check_same_thread=False)
        conn.deserialize(data)
        return conn

    def _refresh_locked(self, *, create_dirs: bool) -> None:
        """Under the writer lock: finish a dead writer's commit, refresh a stale index."""
        layout = self.layout
        try:
            if create_dirs:
                _make_skeleton(layout)
            apply_pending(layout)
            if create_dirs:
                clean_dead(layout)
        except OSError as exc:
            raise storage_error(layout, "failed to prepare the store", exc) from exc
        conn = index.open_rw(layout)
        try:
            if conn is not None and self._damaged:
                conn.close()
                conn = None
            if conn is None:
                conn = index.create(layout)
                self._damaged = False
            meta = index.read_meta(conn)
            if meta.get("schema") == index.SCHEMA_VERSION and self._fresh(meta):
                return
            rebuild(conn, layout, read_token(layout))
            self.stats.rebuilds += 1
        except sqlite3.Error as exc:
            raise StorageError(f"failed to rebuild the index {layout.index}: {exc}") from exc
        finally:
            if conn is not None:
                conn.close()

    # --- writing ------------------------------------------------------------------------

    def staging(self) -> StagingArea:
        """A new staging area for layers (outside the writer lock).

        Raises:
            StoreReadOnly: the store cannot be written.
        """
        from dockyard.store.staging import StagingArea

        return StagingArea(self.layout)

    def scratch(self) -> ScratchDir:
        """A scratch directory on the store's filesystem, removed when closed or dead.

        Raises:
            StoreReadOnly: the store cannot be written.
        """
        return ScratchDir(self.layout, "scratch-")

    @contextlib.contextmanager
    def transaction(self) -> Iterator[Transaction]:
        """Hold the writer lock and collect one command's changes; commit them at the end.

        Nested calls in the same thread join the outer transaction. When the block raises,
        nothing is written and the store is exactly as it was.

        Raises:
            StoreReadOnly: the store cannot be written.
            StorageError: the change cannot be written (disk full, I/O error, …).
        """
        current: Transaction | None = getattr(self._local, "tx", None)
        if current is not None:
            yield current
            return
        scratch: ScratchDir | None = None
        callbacks: list[Callable[[], None]] = []
        try:
            with self.lock.exclusive():
                self._refresh_locked(create_dirs=True)
                conn = index.open_rw(self.layout)
                if conn is None:
                    raise StorageError(f"cannot open the index {self.layout.index}")
                try:
                    scratch = ScratchDir(self.layout, "txn-")
                    conn.execute("BEGIN IMMEDIATE")
                    from dockyard.store.txn import Transaction

                    tx = Transaction(
                        conn, self.layout, self.stats, compat=self.compat,
                        held=lambda chain: self.held[chain] > 0,
                    )  # fmt: skip
                    callbacks = tx.finally_callbacks
                    self._local.tx = tx
                    try:
                        try:
                            yield tx
                            tx.finish_files()
                            self._commit(tx, scratch)
                            tx.committed()
                        except sqlite3.Error as exc:
                            raise self._index_error(exc, "update") from exc
                    except BaseException:
                        with contextlib.suppress(sqlite3.Error):
                            conn.execute("ROLLBACK")
                        tx.undo_consumption()
                        raise
                    finally:
                        self._local.tx = None
                finally:
                    conn.close()
        finally:
            if scratch is not None:
                scratch.close()
            for callback in callbacks:
                callback()

    def _commit(self, tx: Transaction, scratch: ScratchDir) -> None:
        layout, conn = self.layout, tx.conn
        if tx.changes.empty:
            conn.execute("ROLLBACK")
            return
        token = new_token()
        barrier = Barrier(layout.root)
        try:
            journal = tx.changes.prepare(scratch.path, barrier, token)
            barrier.sync()
            journal.write(layout, scratch.path)
        except OSError as exc:
            raise storage_error(layout, "failed to write the store", exc) from exc
        with _deferred_signals():
            try:
                journal.apply(layout, barrier)
                barrier.sync()
            except (OSError, ValueError) as exc:
                scratch.abandon()  # the journal's files stay for the next writer
                raise StorageError(
                    f"the change was committed but not completely applied ({exc}); "
                    "the next command that writes finishes it"
                ) from exc
            try:
                index.write_meta(conn, {"generation": token, "stamps": index.stamps(layout)})
                conn.execute("COMMIT")
            except sqlite3.Error:
                with contextlib.suppress(sqlite3.Error):
                    conn.execute("ROLLBACK")  # the index is stale now; it will be rebuilt
            with contextlib.suppress(OSError):
                os.unlink(layout.journal)
        self.stats.commits += 1

    def close(self) -> None:
        """Drop the cached in-memory index, if any."""
        with self._memory_lock:
            self._memory = None


def _make_skeleton(layout: Layout) -> None:
    make_dirs(layout.content, 0o700)
    make_dirs(layout.metadata, 0o700)
    make_dirs(layout.layerdb, 0o700)
    make_dirs(layout.layers, 0o755)
    make_dirs(layout.layerdb / "tmp", 0o755)
    make_dirs(layout.data, 0o700)
    make_dirs(layout.tmp, 0o700)


@contextlib.contextmanager
def _deferred_signals() -> Iterator[None]:
    """Apply a commit without being interrupted: SIGINT is ignored, SIGTERM waits."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    blocked = {signal.SIGTERM, signal.SIGHUP}
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    mask = signal.pthread_sigmask(signal.SIG_BLOCK, blocked)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, mask)
        signal.signal(signal.SIGINT, previous)
