"""The file changes of one transaction, prepared off to the side and published by a journal.

New files and directories are written under the transaction's scratch directory, deleted
ones are moved into its ``trash`` directory, and staged layer payloads are renamed into
place — all by the journal's renames, so the change is all or nothing. No path is both
removed and created by one transaction (a later change cancels the earlier one), which
keeps every journal operation idempotent when a journal is applied again after a crash.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from dockyard.store.durable import write_new
from dockyard.store.journal import Journal

if TYPE_CHECKING:
    from pathlib import Path

    from dockyard.store.durable import Barrier
    from dockyard.store.layout import Layout

__all__ = ["ChangeSet"]


@dataclass
class _NewDir:
    mode: int
    files: dict[str, tuple[bytes, int]] = field(default_factory=dict)
    links: dict[str, Path] = field(default_factory=dict)


class ChangeSet:
    """Pending file changes: new files, new directories, moved-in payloads, removals."""

    def __init__(self, layout: Layout) -> None:
        self.layout = layout
        self._files: dict[Path, tuple[bytes, int]] = {}
        self._dirs: dict[Path, _NewDir] = {}
        self._moves: dict[Path, Path] = {}
        self._trash: list[Path] = []

    @property
    def files(self) -> dict[Path, tuple[bytes, int]]:
        """The files to create or replace (live: later changes show here)."""
        return self._files

    @property
    def empty(self) -> bool:
        """True when nothing would change."""
        return not (self._files or self._dirs or self._moves or self._trash)

    def put_file(self, target: Path, data: bytes, mode: int) -> None:
        """Create or replace the file ``target``."""
        parent = self._dirs.get(target.parent)
        if parent is not None:
            parent.files[target.name] = (data, mode)
            return
        self._uncancel(target)
        self._files[target] = (data, mode)

    def put_dir(self, target: Path, mode: int) -> None:
        """Create the directory ``target``, to be filled with files.

        A directory this change set removes is kept instead, emptied of what is not
        written again (so no path is both moved away and moved in).
        """
        if target in self._dirs:
            return
        removed = any(t == target or t in target.parents for t in self._trash)
        if removed and target.is_dir():
            self._uncancel(target)
            for child in sorted(target.iterdir()):
                if child not in self._trash:
                    self._trash.append(child)
            return
        self._uncancel(target)
        self._dirs[target] = _NewDir(mode)

    def put_in_dir(self, directory: Path, name: str, data: bytes, modes: tuple[int, int]) -> None:
        """Create or replace ``directory/name``, creating ``directory`` (mode ``modes[0]``)."""
        if directory not in self._dirs and not self._exists(directory):
            self.put_dir(directory, modes[0])
        self.put_file(directory / name, data, modes[1])

    def link_into(self, directory: Path, name: str, source: Path, mode: int) -> None:
        """Create the directory ``directory`` holding a hard link (or copy) of ``source``."""
        self.put_dir(directory, mode)
        self._dirs[directory].links[name] = source

    def move_in(self, source: Path, target: Path) -> None:
        """Rename ``source`` (outside the store's truth) to ``target``."""
        self._uncancel(target)
        self._moves[target] = source

    def remove(self, path: Path) -> None:
        """Remove a file or directory tree (moved to the trash; deleted after the commit)."""
        if path in self._files:
            del self._files[path]
        elif path in self._dirs:
            del self._dirs[path]
        elif path.parent in self._dirs:
            self._dirs[path.parent].files.pop(path.name, None)
        elif path in self._moves:
            del self._moves[path]
        if self._exists(path) and path not in self._trash:
            self._trash.append(path)

    def _exists(self, path: Path) -> bool:
        return (path.exists() or path.is_symlink()) and not any(
            t == path or t in path.parents for t in self._trash
        )

    def _uncancel(self, target: Path) -> None:
        """A path being created again is no longer removed (nor are its ancestors)."""
        self._trash = [t for t in self._trash if not (t == target or t in target.parents)]

    def prepare(self, scratch: Path, barrier: Barrier, generation: str) -> Journal:
        """Write every new file under ``scratch``; return the journal that publishes them.

        Raises:
            OSError: a file cannot be written (nothing outside ``scratch`` changed).
        """
        layout = self.layout
        journal = Journal(generation)
        count = 0

        def temp() -> Path:
            nonlocal count
            count += 1
            return scratch / f"new-{count:06d}"

        for target, new in self._dirs.items():
            staged = temp()
            staged.mkdir(mode=new.mode)
            os.chmod(staged, new.mode)
            for name, (data, mode) in new.files.items():
                write_new(staged / name, data, mode)
                barrier.add(staged / name)
            for name, source in new.links.items():
                _link_or_copy(source, staged / name)
                barrier.add(staged / name)
            barrier.add(staged)
            journal.rename(layout.relative(staged), layout.relative(target))
        for target, source in self._moves.items():
            for child in source.iterdir():
                barrier.add(child)
            barrier.add(source)
            journal.rename(layout.relative(source), layout.relative(target))
        for target, (data, mode) in self._files.items():
            if target != layout.generation:
                staged = temp()
                write_new(staged, data, mode)
                barrier.add(staged)
                journal.rename(layout.relative(staged), layout.relative(target))
        if self._trash:
            trash = scratch / "trash"
            trash.mkdir(mode=0o700)
            for number, path in enumerate(self._trash):
                journal.rename(layout.relative(path), layout.relative(trash / str(number)))
        staged = scratch / "generation"
        write_new(staged, generation.encode(), 0o600)
        barrier.add(staged)
        journal.rename(layout.relative(staged), layout.relative(layout.generation))
        return journal


def _link_or_copy(source: Path, target: Path) -> None:
    try:
        os.link(source, target)
    except OSError:
        import shutil

        shutil.copyfile(source, target)
        os.chmod(target, 0o644)
