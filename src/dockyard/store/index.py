"""The derived index: what commands need to know about every image, in sqlite.

The index is never the truth. It mirrors Docker's files (configs, layer directories,
``repositories.json``) so that a command reads the few rows it needs instead of every
file of the store; it records the change token and a stamp (mtime, size, inode) of the
directories it mirrors, and is rebuilt from the files whenever they disagree. It runs in
WAL mode: readers see the last committed state and never wait for a writer.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from pathlib import Path
from typing import TYPE_CHECKING

from dockyard.errors import StorageError

if TYPE_CHECKING:
    from collections.abc import Iterator

    from dockyard.store.layout import Layout

__all__ = [
    "SCHEMA_VERSION",
    "create",
    "environmental",
    "memory",
    "open_ro",
    "open_rw",
    "read_meta",
    "reset_schema",
    "stamps",
]

#: Bumped whenever the schema or the meaning of a column changes (forces a rebuild).
SCHEMA_VERSION = "1"

_SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE images (
    id TEXT PRIMARY KEY,
    parent TEXT,
    chain TEXT,
    created_ns INTEGER,
    os TEXT NOT NULL,
    arch TEXT NOT NULL,
    variant TEXT NOT NULL,
    supported INTEGER NOT NULL,
    labels TEXT,
    last_updated TEXT,
    problem TEXT
);
CREATE INDEX images_parent ON images (parent);
CREATE INDEX images_chain ON images (chain);
CREATE TABLE layers (
    chain TEXT PRIMARY KEY,
    diff TEXT NOT NULL,
    parent TEXT,
    size INTEGER NOT NULL,
    cache_id TEXT NOT NULL,
    depth INTEGER NOT NULL,
    total INTEGER NOT NULL
);
CREATE INDEX layers_parent ON layers (parent);
CREATE TABLE refs (
    name TEXT PRIMARY KEY,
    repo TEXT NOT NULL,
    full TEXT NOT NULL,
    image TEXT NOT NULL,
    is_digest INTEGER NOT NULL
);
CREATE INDEX refs_image ON refs (image);
CREATE INDEX refs_repo ON refs (repo);
CREATE TABLE problems (
    kind TEXT NOT NULL,
    subject TEXT NOT NULL,
    path TEXT NOT NULL,
    detail TEXT NOT NULL
);
"""

#: sqlite result codes that say the environment failed (not that the file is bad).
_ENVIRONMENT = frozenset(
    {"SQLITE_FULL", "SQLITE_IOERR", "SQLITE_READONLY", "SQLITE_CANTOPEN", "SQLITE_BUSY",
     "SQLITE_NOMEM", "SQLITE_LOCKED", "SQLITE_PERM"}
)  # fmt: skip


def environmental(exc: sqlite3.Error) -> bool:
    """True when ``exc`` says the disk or the permissions failed, not the file's content."""
    name = getattr(exc, "sqlite_errorname", "") or ""
    return any(name.startswith(code) for code in _ENVIRONMENT)


def open_rw(layout: Layout) -> sqlite3.Connection | None:
    """Open the index for reading and writing; None when it is missing or not an index.

    Raises:
        StorageError: the file exists but cannot be opened now (disk full, I/O error,
            permissions): it is left untouched.
    """
    path = layout.index
    if not path.is_file():
        return None
    sidecars = [Path(f"{path}{suffix}") for suffix in ("-wal", "-shm")]
    new = [p for p in sidecars if not p.exists()]
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    try:
        conn.execute("PRAGMA busy_timeout = 10000")
        conn.execute("PRAGMA synchronous = NORMAL")
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except sqlite3.Error as exc:
        conn.close()
        if environmental(exc):
            _drop_empty_sidecars(new)
            raise StorageError(f"cannot open the index {path}: {exc}") from exc
        return None
    return conn


def _drop_empty_sidecars(created: list[Path]) -> None:
    """Remove the ``-wal``/``-shm`` files a failed open just created (an empty WAL only)."""
    wal = [p for p in created if p.name.endswith("-wal")]
    if any(p.exists() and p.stat().st_size > 0 for p in wal):
        return
    for sidecar in created:
        with contextlib.suppress(OSError):
            sidecar.unlink()


def open_ro(layout: Layout) -> sqlite3.Connection | None:
    """Open the index read-only and immutable (no ``-shm`` needed); None when unusable.

    Used where the store cannot be written (read-only filesystem, another user's store,
    a full disk); staleness checks guard against a file that changes meanwhile.
    """
    path = layout.index
    if not path.is_file():
        return None
    try:
        uri = f"{path.as_uri()}?immutable=1"
        conn = sqlite3.connect(uri, uri=True, isolation_level=None, check_same_thread=False)
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except sqlite3.Error:
        return None
    return conn


def create(layout: Layout) -> sqlite3.Connection:
    """Create an empty index (replacing a file that is not one) and return it, open.

    The new file is built aside and renamed into place, so a failure (a full disk)
    leaves whatever was there.

    Raises:
        StorageError: the file cannot be created.
    """
    path = layout.index
    temp = path.with_name(f"{path.name}.new")
    try:
        layout.index_dir.mkdir(mode=0o700, exist_ok=True)
        _remove_database(temp)
        conn = sqlite3.connect(temp, isolation_level=None, check_same_thread=False)
        try:
            os.chmod(temp, 0o600)
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("BEGIN IMMEDIATE")
            reset_schema(conn)
            conn.execute("COMMIT")
        finally:
            conn.close()
        for suffix in ("-wal", "-shm", "-journal"):
            with contextlib.suppress(FileNotFoundError):
                os.unlink(f"{path}{suffix}")
        os.rename(temp, path)
    except (OSError, sqlite3.Error) as exc:
        _remove_database(temp)
        raise StorageError(f"failed to create the index {path}: {exc}") from exc
    opened = open_rw(layout)
    if opened is None:
        raise StorageError(f"failed to create the index {path}")
    return opened


def _remove_database(path: os.PathLike[str] | str) -> None:
    for suffix in ("", "-wal", "-shm", "-journal"):
        with contextlib.suppress(FileNotFoundError):
            os.unlink(f"{os.fspath(path)}{suffix}")


def memory() -> sqlite3.Connection:
    """An empty in-memory index (for stores this process cannot write to)."""
    conn = sqlite3.connect(":memory:", isolation_level=None, check_same_thread=False)
    reset_schema(conn)
    return conn


def reset_schema(conn: sqlite3.Connection) -> None:
    """Drop every table and create the current schema (inside the caller's transaction)."""
    for (name,) in conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
    ).fetchall():
        conn.execute(f'DROP TABLE IF EXISTS "{name}"')
    for statement in _SCHEMA.split(";"):
        if statement.strip():
            conn.execute(statement)
    conn.execute("INSERT INTO meta VALUES ('schema', ?)", (SCHEMA_VERSION,))


def read_meta(conn: sqlite3.Connection) -> dict[str, str]:
    """The ``meta`` table ({} when the file is not a usable index).

    Also reads the first row of every table, which finds a damaged table's root page for
    the price of a few page reads.
    """
    try:
        meta = dict(conn.execute("SELECT key, value FROM meta").fetchall())
        for table in ("images", "layers", "refs", "problems"):
            conn.execute(f"SELECT * FROM {table} LIMIT 1").fetchall()
    except sqlite3.Error:
        return {}
    return meta


def write_meta(conn: sqlite3.Connection, values: dict[str, str]) -> None:
    """Set ``meta`` values (inside the caller's transaction)."""
    conn.executemany("INSERT OR REPLACE INTO meta VALUES (?, ?)", values.items())


def stamps(layout: Layout) -> str:
    """A fingerprint of the mirrored directories and files (changes when they change)."""
    parts = []
    for path in layout.stamped():
        try:
            st = os.stat(path)
        except OSError:
            parts.append("-")
            continue
        parts.append(f"{st.st_ino}:{st.st_mtime_ns}:{st.st_size}")
    return "/".join(parts)


@contextlib.contextmanager
def read_transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """A consistent snapshot for several queries."""
    conn.execute("BEGIN")
    try:
        yield conn
    finally:
        with contextlib.suppress(sqlite3.Error):
            conn.execute("ROLLBACK")
