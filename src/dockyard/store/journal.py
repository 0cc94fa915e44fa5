"""The commit record: what a commit does to the store's files, written before it does it.

A commit prepares every new file under its transaction directory, makes them durable,
then writes the journal — the list of directory creations and renames that publish them
(and that move deleted files into the transaction's trash) — and renames it to
``<root>/journal``. That rename is the commit point. The operations are then applied, and
the journal is removed once their effect is durable. Every operation is idempotent, so a
journal left by a writer that died is simply applied again by the next writer; without a
journal, nothing of an unfinished commit is visible.
"""

from __future__ import annotations

import contextlib
import json
import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from dockyard.errors import StorageError
from dockyard.store.durable import Barrier, fsync_path, write_new

if TYPE_CHECKING:
    from pathlib import Path

    from dockyard.store.layout import Layout

__all__ = ["Journal", "apply_pending", "pending"]

_VERSION = 1


@dataclass
class Journal:
    """The operations of one commit, in order.

    Attributes:
        generation: the change token the commit installs.
        ops: ``("mkdir", path, mode)`` and ``("rename", source, target)`` with paths
            relative to the store root.
    """

    generation: str
    ops: list[tuple[str, str, str | int]] = field(default_factory=list)

    def mkdir(self, relative: str, mode: int) -> None:
        """Create a directory (if missing) with ``mode``."""
        self.ops.append(("mkdir", relative, mode))

    def rename(self, source: str, target: str) -> None:
        """Rename ``source`` to ``target`` (replacing a file there)."""
        self.ops.append(("rename", source, target))

    def encode(self) -> bytes:
        """The journal file's bytes."""
        doc = {"version": _VERSION, "generation": self.generation, "ops": self.ops}
        return json.dumps(doc, separators=(",", ":")).encode()

    @classmethod
    def decode(cls, data: bytes) -> Journal:
        """Parse a journal file.

        Raises:
            ValueError: the content is not a journal of this version.
        """
        doc = json.loads(data)
        if not isinstance(doc, dict) or doc.get("version") != _VERSION:
            raise ValueError("unknown journal version")
        generation, ops = doc.get("generation"), doc.get("ops")
        if not isinstance(generation, str) or not isinstance(ops, list):
            raise ValueError("malformed journal")
        journal = cls(generation)
        for op in ops:
            if not (isinstance(op, list) and len(op) == 3 and isinstance(op[1], str)):
                raise ValueError("malformed journal operation")
            if op[0] == "mkdir" and isinstance(op[2], int):
                journal.mkdir(op[1], op[2])
            elif op[0] == "rename" and isinstance(op[2], str):
                journal.rename(op[1], op[2])
            else:
                raise ValueError(f"unknown journal operation {op[0]!r}")
        return journal

    def write(self, layout: Layout, scratch: Path) -> None:
        """Make the journal durable at ``<root>/journal`` (the commit point).

        Raises:
            OSError: the journal cannot be written; nothing was committed.
        """
        temp = scratch / "journal"
        write_new(temp, self.encode(), 0o600)
        fsync_path(temp)
        os.rename(temp, layout.journal)
        fsync_path(layout.root)

    def apply(self, layout: Layout, barrier: Barrier) -> None:
        """Carry out every operation (again, if some were done already).

        Raises:
            ValueError: a path is outside the store.
            OSError: an operation failed.
        """
        for _kind, first, second in self.ops:  # every path is checked before anything moves
            layout.resolve(first)
            if isinstance(second, str):
                layout.resolve(second)
        for kind, first, second in self.ops:
            path = layout.resolve(first)
            if kind == "mkdir":
                assert isinstance(second, int)
                if not path.is_dir():
                    path.mkdir(mode=second)
                    os.chmod(path, second)
                barrier.add(path.parent)
                continue
            assert isinstance(second, str)
            target = layout.resolve(second)
            if path.exists() or path.is_symlink():
                os.rename(path, target)
            barrier.add(target.parent)
            barrier.add(path.parent)


def pending(layout: Layout) -> Journal | None:
    """The journal of an unfinished commit, if there is one.

    Raises:
        StorageError: a journal exists but cannot be read or is not one.
    """
    try:
        data = layout.journal.read_bytes()
    except (FileNotFoundError, NotADirectoryError):
        return None
    except OSError as exc:
        raise StorageError(f"failed to read {layout.journal}: {exc.strerror}") from exc
    try:
        return Journal.decode(data)
    except ValueError as exc:
        raise StorageError(f"{layout.journal} is not a valid journal: {exc}") from exc


def apply_pending(layout: Layout) -> Journal | None:
    """Finish the commit a dead writer left (hold the writer lock); return its journal.

    Raises:
        StorageError: the journal is invalid or cannot be applied.
    """
    journal = pending(layout)
    if journal is None:
        return None
    barrier = Barrier(layout.root)
    try:
        journal.apply(layout, barrier)
        barrier.sync()
        os.unlink(layout.journal)
    except (OSError, ValueError) as exc:
        raise StorageError(f"failed to finish the commit in {layout.journal}: {exc}") from exc
    with contextlib.suppress(OSError):
        fsync_path(layout.root)
    return journal
