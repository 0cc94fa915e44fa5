"""One pass over an image archive: what it holds, without extracting it anywhere.

Small members (the JSON files of every layout) are kept in memory, up to a limit.
Everything else is either remembered by offset (seekable, uncompressed input: read later
only if needed, which is what makes warm loads fast) or streamed straight into the
layer store's staging area (pipes and compressed input), so each layer is written once.
A large member of a pipe that looks like JSON (a big config) is spooled to an anonymous
temporary file instead, so that it can be read like any other member.

Member names are taken the way Docker's extraction takes them: inside the archive root
(``/etc/x`` and ``../x`` are ``etc/x`` and ``x``), a later member replacing an earlier one
of the same name.
"""

from __future__ import annotations

import io
import os
import stat
import tempfile
import weakref
from dataclasses import dataclass, field
from typing import IO, TYPE_CHECKING, Any, cast

from dockyard.archive.tarpath import resolve_in_archive
from dockyard.archive.tarreader import MemberSlice, MemberType, iter_members
from dockyard.errors import (
    CompressionError,
    DockyardError,
    FormatError,
    InvalidArchive,
    StorageError,
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
#: Limit on one JSON member (manifest, config, index, repositories). Docker has none; a
#: 64 MiB config loads.
JSON_LIMIT = 128 << 20
_JSON_START = frozenset(b'{["')
_SPOOL_CHUNK = 1 << 20


@dataclass(slots=True)
class MemberData:
    """Where the data of one archive member can be had.

    Attributes:
        name: the member name.
        size: the number of data bytes.
        data: the bytes, when kept in memory.
        offset: where the data starts in ``source`` (or in the archive stream).
        staged: the layer staged from the data while the archive was read.
        error: why the data cannot be had (a layer that could not be staged).
        source: a seekable file holding the data, when not the archive itself.
    """

    name: str
    size: int
    data: bytes | None = None
    offset: int | None = None
    staged: StagedLayer | None = None
    error: DockyardError | None = None
    source: Any = None


@dataclass(slots=True, weakref_slot=True)
class ArchiveContents:
    """The members of an archive: data by name, symlinks, and directories."""

    members: dict[str, MemberData] = field(default_factory=dict)
    links: dict[str, str] = field(default_factory=dict)
    directories: list[str] = field(default_factory=list)
    stream: Any = None
    staged: list[StagedLayer] = field(default_factory=list)
    spools: list[IO[bytes]] = field(default_factory=list)
    _all_dirs: frozenset[str] | None = None

    def __post_init__(self) -> None:
        weakref.finalize(self, _close_all, self.spools)

    def close(self) -> None:
        """Remove the temporary files of spooled members (also done when collected)."""
        _close_all(self.spools)

    def is_directory(self, resolved: str) -> bool:
        """True when a resolved path is a directory of the archive (explicit or implied)."""
        if self._all_dirs is None:
            found = {".", *self.directories}
            for name in [*self.members, *self.links, *self.directories]:
                parent = name.rpartition("/")[0]
                while parent and parent not in found:
                    found.add(parent)
                    parent = parent.rpartition("/")[0]
            self._all_dirs = frozenset(found)
        return resolved in self._all_dirs

    def resolve(self, path: str) -> MemberData | None:
        """The member a path from a manifest names, following the archive's symlinks.

        Returns:
            The member, or None when nothing has that name.

        Raises:
            UnsafeArchivePath: the path leads outside the archive.
            InvalidArchive: a symlink loop, or the path names a directory
                (``read <path>: is a directory``, as Docker says).
        """
        resolved = resolve_in_archive(path, self.links)
        member = self.members.get(resolved)
        if member is None and self.is_directory(resolved):
            raise InvalidArchive(f"read {_display(path, resolved)}: is a directory")
        return member

    def has(self, path: str) -> bool:
        """True when ``path`` names a member or a directory (after following symlinks).

        Raises:
            UnsafeArchivePath: the path leads outside the archive.
            InvalidArchive: a symlink loop.
        """
        resolved = resolve_in_archive(path, self.links)
        return resolved in self.members or self.is_directory(resolved)

    def read_json(self, path: str) -> bytes:
        """The bytes of a small member named by ``path``.

        Raises:
            InvalidArchive: the member is missing, a directory, too large or unreadable.
            UnsafeArchivePath: ``path`` leads outside the archive.
        """
        member = self.resolve(path)
        if member is None:
            resolved = resolve_in_archive(path, self.links)
            raise InvalidArchive(f"open {_display(path, resolved)}: no such file or directory")
        if member.size > JSON_LIMIT:
            raise InvalidArchive(
                f"{path}: {member.size} bytes is larger than the {JSON_LIMIT} bytes allowed"
            )
        if member.data is not None:
            return member.data
        if member.offset is not None:
            source = member.source if member.source is not None else self.stream
            return MemberSlice(source, member.offset, member.size, member.name).read()
        raise InvalidArchive(f"{path}: too large to be a metadata file")

    def open(self, member: MemberData) -> IO[bytes]:
        """A reader over a member's raw bytes (from memory or by offset).

        Raises:
            InvalidArchive: the data is not available any more.
        """
        if member.data is not None:
            return io.BytesIO(member.data)
        if member.offset is not None:
            source = member.source if member.source is not None else self.stream
            piece = MemberSlice(source, member.offset, member.size, member.name)
            span = _span(source, member.offset, member.size)
            return cast("IO[bytes]", _SliceIO(piece, span))
        raise InvalidArchive(f"{member.name}: data is not available")

    # --- recording members, as extraction would replace them ----------------------------

    def add_file(self, name: str, data: MemberData) -> None:
        """Record a file (a later member of the same name replaces an earlier one)."""
        self.links.pop(name, None)
        self.members[name] = data

    def add_link(self, name: str, target: str) -> None:
        """Record a symlink."""
        self.members.pop(name, None)
        self.links[name] = target

    def add_directory(self, name: str) -> None:
        """Record a directory (it replaces a file or link of the same name)."""
        self.members.pop(name, None)
        self.links.pop(name, None)
        self.directories.append(name)


def _close_all(files: list[IO[bytes]]) -> None:
    while files:
        files.pop().close()


def _display(path: str, resolved: str) -> str:
    """The path to name in a message: where the symlinks led, as Docker does."""
    if resolved == ".":
        return "/"
    return path if resolved == path.lstrip("/") else f"/{resolved}"


def _span(stream: Any, offset: int, size: int) -> tuple[int, int, int] | None:
    try:
        fd = int(stream.fileno())
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return None
    except (AttributeError, OSError, ValueError, io.UnsupportedOperation):
        return None
    return fd, offset, size


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
    for member in iter_members(stream, reroot=True):
        if member.type is MemberType.SYMLINK:
            contents.add_link(member.name, member.linkname)
            continue
        if member.type is MemberType.DIR:
            contents.add_directory(member.name)
            continue
        if member.type is MemberType.HARDLINK:
            if member.linkname in contents.links:
                contents.add_link(member.name, contents.links[member.linkname])
            elif member.linkname in contents.members:
                contents.add_file(member.name, contents.members[member.linkname])
            continue
        data = MemberData(member.name, member.size)
        contents.add_file(member.name, data)
        if seekable:
            data.offset = member.data_offset
            if member.size <= SMALL_MEMBER and budget >= member.size:
                data.data = member.read()
                budget -= member.size
        elif member.size <= SMALL_MEMBER and budget >= member.size:
            data.data = member.read()
            budget -= member.size
        elif stage is not None:
            head = member.read(min(member.size, 512))
            if head.lstrip(b" \t\r\n")[:1] and head.lstrip(b" \t\r\n")[0] in _JSON_START:
                _spool_member(member, head, data, contents)
            else:
                _stage_member(member, head, data, stage, contents, progress)
        else:
            member.skip()
            data.error = InvalidArchive(f"{member.name}: cannot be read from this stream")


def _spool_member(member: Any, head: bytes, data: MemberData, contents: ArchiveContents) -> None:
    """Copy a member of a pipe into an anonymous temporary file (nothing to clean up).

    Raises:
        StorageError: the temporary file cannot be written.
    """
    try:
        spool = tempfile.TemporaryFile()  # noqa: SIM115 - closed with the contents
    except OSError as exc:
        raise StorageError(f"cannot spool {member.name}: {exc.strerror}") from exc
    contents.spools.append(spool)
    try:
        spool.write(head)
        while chunk := member.read(_SPOOL_CHUNK):
            spool.write(chunk)
        spool.flush()
    except OSError as exc:
        raise StorageError(f"cannot spool {member.name}: {exc.strerror}") from exc
    data.source, data.offset = spool, 0


def _stage_member(
    member: Any,
    head: bytes,
    data: MemberData,
    stage: Callable[[IO[bytes], Callable[[int], None]], StagedLayer],
    contents: ArchiveContents,
    progress: ProgressCallback | None,
) -> None:
    from dockyard.progress import Progress, emit

    item = _short_name(member.name)
    reader = _MemberIO(member, head)

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
    """The data of a member being read, after the ``head`` already read from it."""

    def __init__(self, member: Any, head: bytes = b"") -> None:
        super().__init__()
        self._member = member
        self._head = head

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        if self._head:
            count = len(self._head) if size < 0 else min(size, len(self._head))
            head, self._head = self._head[:count], self._head[count:]
            return head
        data: bytes = self._member.read(size)
        return data

    def readinto(self, buffer: Any) -> int:
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


def _short_name(name: str) -> str:
    """A 12-character label for a member, as Docker shows layer IDs."""
    parts = [p for p in name.split("/") if p not in ("blobs", "sha256", "layer.tar")]
    return (parts[0] if parts else name)[:12]
