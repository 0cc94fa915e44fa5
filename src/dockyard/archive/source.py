"""An image archive as an image source: its layers staged from the archive when needed."""

from __future__ import annotations

from typing import TYPE_CHECKING

from dockyard.archive.tarpath import resolve_in_archive
from dockyard.errors import InvalidArchive
from dockyard.progress import Progress, emit

if TYPE_CHECKING:
    from dockyard.archive.contents import ArchiveContents, MemberData
    from dockyard.digest import DiffID
    from dockyard.layer import StagedLayer
    from dockyard.progress import ProgressCallback
    from dockyard.store.staging import Stager

__all__ = ["ArchiveLayer", "LayerFactory"]


class LayerFactory:
    """Makes the :class:`ArchiveLayer` s of one scanned archive; keeps overall progress."""

    def __init__(self, contents: ArchiveContents, progress: ProgressCallback | None) -> None:
        self.contents = contents
        self.progress = progress
        self.done = 0
        self.total: int | None = None

    def __call__(self, path: str, diff_id: DiffID | None = None) -> ArchiveLayer:
        """The layer stored at ``path`` in the archive (``diff_id`` labels progress)."""
        return ArchiveLayer(self, path, diff_id)

    def member(self, path: str) -> MemberData:
        """The member a manifest path names.

        Raises:
            InvalidArchive: there is none (``open <path>: no such file or directory``).
            UnsafeArchivePath: the path leads outside the archive.
        """
        member = self.contents.resolve(path)
        if member is None:
            resolved = resolve_in_archive(path, self.contents.links)
            shown = path if resolved == path.lstrip("/") else f"/{resolved}"
            raise InvalidArchive(f"open {shown}: no such file or directory")
        return member

    def report(self, item: str, current: int, total: int, done: bool = False) -> None:
        """Emit one ``Loading layer`` event with the overall figures."""
        event = Progress(
            "Loading layer", item, current, total, self.done + current, self.total, done
        )
        emit(self.progress, event)


class ArchiveLayer:
    """A layer file inside a scanned archive (already staged when read from a pipe)."""

    def __init__(self, factory: LayerFactory, path: str, diff_id: DiffID | None) -> None:
        self._factory = factory
        self.path = path
        self.label = (diff_id.hex if diff_id else path.split("/")[0])[:12]

    @property
    def size(self) -> int | None:
        """Bytes still to read from the archive (0 when staged during the scan)."""
        member = self._factory.member(self.path)
        return 0 if member.staged is not None else member.size

    def check(self) -> None:
        """Raise what :meth:`stage` would raise when the layer is not in the archive."""
        member = self._factory.member(self.path)
        if member.staged is None and member.error is not None:
            raise member.error

    def stage(self, staging: Stager) -> StagedLayer:
        """The staged layer: from the scan, or read now from the archive by offset.

        Raises:
            InvalidArchive: the member is missing or cannot be read again.
            InvalidLayer: the member is not a valid layer tar.
        """
        factory = self._factory
        member = factory.member(self.path)
        if member.staged is not None:
            return member.staged
        if member.error is not None:
            raise member.error

        def report(done: int) -> None:
            factory.report(self.label, done, member.size)

        with factory.contents.open(member) as stream:
            staged = staging.stage(stream, progress=report)
        factory.report(self.label, member.size, member.size, done=True)
        factory.done += member.size
        member.staged = staged
        factory.contents.staged.append(staged)
        return staged
