"""One pass over an image archive: what it holds, without extracting it anywhere.

Small members (the JSON files of every layout) are kept in memory, up to a limit.
Everything else is either remembered by offset (seekable, uncompressed input: read later
only if needed, which is what makes warm loads fast) or streamed straight into the
layer store's staging area (pipes and compressed input), so each layer is written once.
"""

from __future__ import annotations

import io
import os
import stat
from dataclasses import dataclass, field
from typing import IO, TYPE_CHECKING, Any, cast

from dockyard.archive.tarpath import resolve_in_archive
from dockyard.archive.tarreader import MemberSlice, MemberType, iter_members
from dockyard.errors import (
    CompressionError,
    DockyardError,
    FormatError,
    InvalidArchive,
    UnsafeArchivePath,
)

if TYPE_CHECKING:
    from collections.abc import Callable

    from dockyard.layer import StagedLayer
    from dockyard.progress import ProgressCallback

__all__ = ["SMALL_MEMBER", "ArchiveContents", "MemberData", "scan_archive"]

#: Members up to this size are kept in memory when the archive cannot be re-read.
SMALL_MEMBER = 1 << 20
#: Limit on the small members kept in memory in all (a crafted archive cannot exhaust memory).
MEMORY_BUDGET = 64 << 20
#: Limit on one JSON member (manifest, config, index, repositories).
JSON_LIMIT = 32 << 20


@dataclass(slots=True)
class MemberData:
    """Where the data of one archive member can be had."""

    name: str
    size: int
    data: bytes | None = None
    offset: int | None = None
    staged: StagedLayer | None = None
    error: DockyardError | None = None


@dataclass(slots=True)
class ArchiveContents:
    """The members of an archive: data by name, symlinks, and directories."""

    members: dict[str, MemberData] = field(default_factory=dict)
    links: dict[str, str] = field(default_factory=dict)
    directories: list[str] = field(default_factory=list)
    stream: Any = None
    staged: list[StagedLayer] = field(default_factory=list)

    def resolve(self, path: str) -> MemberData | None:
        """The member a path from a manifest names, following the archive's symlinks.

        Raises:
            UnsafeArchivePath: the path leads outside the archive.
            InvalidArchive: a symlink loop.
        """
        return self.members.get(resolve_in_archive(path, self.links))

    def has(self, path: str) -> bool:
        """True when ``path`` names a member (after following symlinks)."""
        try:
            return self.resolve(path) is not None
        except (UnsafeArchivePath, InvalidArchive):
            return False

    def read_json(self, path: str) -> bytes:
        """The bytes of a small member named by ``path``.

        Raises:
            InvalidArchive: the member is missing, too large or unreadable.
            UnsafeArchivePath: ``path`` leads outside the archive.
        """
        resolved = resolve_in_archive(path, self.links)
        member = self.members.get(resolved)
        if member is None:
            raise InvalidArchive(f"open {_display(path, resolved)}: no such file or directory")
        if member.size > JSON_LIMIT:
            raise InvalidArchive(
                f"{path}: {member.size} bytes is larger than the {JSON_LIMIT} bytes allowed"
            )
        if member.data is not None:
            return member.data
        if member.offset is not None:
            return MemberSlice(self.stream, member.offset, member.size, member.name).read()
        raise InvalidArchive(f"{path}: too large to be a metadata file")

    def _span(self, offset: int, size: int) -> tuple[int, int, int] | None:
        try:
            fd = int(self.stream.fileno())
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                return None
        except (AttributeError, OSError, ValueError, io.UnsupportedOperation):
            return None
        return fd, offset, size

    def open(self, member: MemberData) -> IO[bytes]:
        """A reader over a member's raw bytes (from memory or by offset).

        Raises:
            InvalidArchive: the data is not available any more.
        """
        if member.data is not None:
            return io.BytesIO(member.data)
        if member.offset is not None:
            piece = MemberSlice(self.stream, member.offset, member.size, member.name)
            return cast("IO[bytes]", _SliceIO(piece, self._span(member.offset, member.size)))
        raise InvalidArchive(f"{member.name}: data is not available")


def _display(path: str, resolved: str) -> str:
    """The path to name in a "no such file" message: where the symlinks led, as Docker does."""
    return path if resolved == path.lstrip("/") else f"/{resolved}"


class _SliceIO(io.RawIOBase):
    def __init__(self, piece: MemberSlice, span: tuple[int, int, int] | None = None) -> None:
        super().__init__()
        self._piece = piece
        self._span = span

    def file_range(self) -> tuple[int, int, int] | None:
        """``(fd, offset, size)`` of the data in a regular file, for kernel copies."""
        return self._span

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        return self._piece.read(size)

    def readinto(self, buffer: Any) -> int:
        data = self._piece.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


def is_seekable(stream: Any) -> bool:
    """True when ``stream`` can be read again by offset."""
    try:
        return bool(stream.seekable()) and stream.tell() >= 0
    except (AttributeError, OSError, ValueError):
        return False


def scan_archive(
    stream: Any,
    contents: ArchiveContents,
    *,
    stage: Callable[[IO[bytes], Callable[[int], None]], StagedLayer] | None,
    progress: ProgressCallback | None = None,
) -> None:
    """Read every member header of an archive once, filling ``contents``.

    Layers staged on the way are listed in ``contents.staged`` even when the scan
    fails, so that the caller can discard them.

    Args:
        stream: the (uncompressed) archive stream.
        contents: what the scan fills in.
        stage: stages a large member as a layer (needed when the stream is not seekable).
        progress: told about large members as they are staged.

    Raises:
        InvalidArchive: the archive is truncated or corrupt.
        UnsafeArchivePath: a member name escapes the archive.
    """
    seekable = is_seekable(stream)
    contents.stream = stream if seekable else None
    budget = MEMORY_BUDGET
    for member in iter_members(stream):
        if member.type is MemberType.SYMLINK:
            contents.links[member.name] = member.linkname
            continue
        if member.type is MemberType.DIR:
            contents.directories.append(member.name)
            continue
        if member.type is MemberType.HARDLINK:
            target = contents.members.get(member.linkname)
            if target is not None:
                contents.members[member.name] = target
            continue
        data = MemberData(member.name, member.size)
        contents.members[member.name] = data
        if seekable:
            data.offset = member.data_offset
            if member.size <= SMALL_MEMBER and budget >= member.size:
                data.data = member.read()
                budget -= member.size
        elif member.size <= SMALL_MEMBER and budget >= member.size:
            data.data = member.read()
            budget -= member.size
        elif stage is not None:
            _stage_member(member, data, stage, contents, progress)
        else:
            member.skip()
            data.error = InvalidArchive(f"{member.name}: cannot be read from this stream")


def _stage_member(
    member: Any,
    data: MemberData,
    stage: Callable[[IO[bytes], Callable[[int], None]], StagedLayer],
    contents: ArchiveContents,
    progress: ProgressCallback | None,
) -> None:
    from dockyard.progress import Progress, emit

    item = _short_name(member.name)
    reader = _MemberIO(member)

    def report(done: int) -> None:
        emit(progress, Progress("Loading layer", item, done, member.size))

    try:
        staged = stage(cast("IO[bytes]", reader), report)
    except (FormatError, CompressionError) as exc:
        data.error = exc
        member.skip()
        return
    member.skip()
    emit(progress, Progress("Loading layer", item, member.size, member.size, done=True))
    data.staged = staged
    contents.staged.append(staged)


class _MemberIO(io.RawIOBase):
    def __init__(self, member: Any) -> None:
        super().__init__()
        self._member = member

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        data: bytes = self._member.read(size)
        return data

    def readinto(self, buffer: Any) -> int:
        data = self._member.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


def _short_name(name: str) -> str:
    """A 12-character label for a member, as Docker shows layer IDs."""
    parts = [p for p in name.split("/") if p not in ("blobs", "sha256", "layer.tar")]
    return (parts[0] if parts else name)[:12]
