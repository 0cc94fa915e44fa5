"""Streaming, hostile-input-safe reader for ``docker save`` archives (nothing is extracted)."""

from __future__ import annotations

import enum
from typing import TYPE_CHECKING

from dockyard.archive.tarformat import (
    BLOCK_SIZE,
    MAX_SPECIAL,
    MSG_EOF,
    MSG_HEADER,
    MSG_TOO_LONG,
    ZERO_BLOCK,
    RawHeader,
    apply_pax,
    cstring,
    parse_pax,
)
from dockyard.archive.tarpath import clean_member_name, reroot_member_name, resolve_in_archive
from dockyard.archive.tarsource import (
    DEFAULT_JSON_LIMIT,
    MemberSlice,
    ReadableStream,
    SeekableStream,
    Source,
    read_limited,
)
from dockyard.errors import ConflictError, InvalidArchive, UnsafeArchivePath

if TYPE_CHECKING:
    from collections.abc import Iterator

__all__ = [
    "BLOCK_SIZE",
    "DEFAULT_JSON_LIMIT",
    "MemberSlice",
    "MemberType",
    "ReadableStream",
    "SeekableStream",
    "StaleMemberError",
    "TarMember",
    "iter_members",
    "read_limited",
    "resolve_in_archive",
]

class StaleMemberError(ConflictError):
    """A member's data was read after the reader had moved on to a later member."""


class MemberType(enum.Enum):
    """The member types a ``docker save`` archive may contain."""

    FILE = "file"
    DIR = "dir"
    SYMLINK = "symlink"
    HARDLINK = "hardlink"


_TYPES = {
    b"0": MemberType.FILE,
    b"\x00": MemberType.FILE,
    b"1": MemberType.HARDLINK,
    b"2": MemberType.SYMLINK,
    b"5": MemberType.DIR,
}


class TarMember:
    """One member of an archive, with a reader for its data.

    The data must be read (or skipped) before the iterator moves on; the iterator skips
    whatever is left, after which the data is gone (:class:`StaleMemberError`) unless
    the stream is seekable, in which case :attr:`data_offset` and :class:`MemberSlice`
    read it again later.

    Attributes:
        name: the normalised name (no ``./``, no trailing slash; ``.`` for the root).
        raw_name: the name as recorded (after PAX and GNU long-name overrides).
        type: the member type.
        size: the number of data bytes (0 for directories and links).
        linkname: the link target of a symlink (verbatim) or hardlink (normalised).
        mode: the raw mode field (permission bits, possibly with file-type bits).
        mtime: modification time in whole seconds since the epoch.
        uid: owner user ID.
        gid: owner group ID.
        uname: owner user name.
        gname: owner group name.
        header_offset: stream position of the member's first header block, or None
            when the stream is not seekable.
        data_offset: stream position of the member's data, or None when the stream is
            not seekable.
    """

    __slots__ = (
        "_remaining",
        "_source",
        "data_offset",
        "gid",
        "gname",
        "header_offset",
        "linkname",
        "mode",
        "mtime",
        "name",
        "raw_name",
        "size",
        "type",
        "uid",
        "uname",
    )

    def __init__(self, header: RawHeader, kind: MemberType, name: str, linkname: str) -> None:
        self.name = name
        self.raw_name = header.name
        self.type = kind
        self.size = header.size
        self.linkname = linkname
        self.mode = header.mode
        self.mtime = header.mtime
        self.uid = header.uid
        self.gid = header.gid
        self.uname = header.uname
        self.gname = header.gname
        self.header_offset: int | None = None
        self.data_offset: int | None = None
        self._source: Source | None = None
        self._remaining = header.size

    def __repr__(self) -> str:
        return f"TarMember({self.name!r}, {self.type.value}, size={self.size})"

    @property
    def remaining(self) -> int:
        """Data bytes not read yet."""
        return self._remaining

    def read(self, size: int = -1) -> bytes:
        """Read up to ``size`` data bytes (all remaining ones when negative).

        Raises:
            InvalidArchive: the archive ends inside the data (``unexpected EOF``).
            StaleMemberError: the iterator has already moved past this member.
        """
        if self._source is None:
            raise StaleMemberError(
                f"data of archive member {self.name!r} is no longer available: "
                "the reader has moved past it"
            )
        count = self._remaining if size < 0 else min(size, self._remaining)
        data = self._source.read_exact(count)
        self._remaining -= count
        return data

    def skip(self) -> None:
        """Discard the data not read yet."""
        if self._source is not None and self._remaining:
            self._source.skip(self._remaining)
            self._remaining = 0

    def _detach(self) -> None:
        self._source = None


def _read_special(source: Source, header: RawHeader) -> bytes:
    if header.size < 0:
        raise InvalidArchive(MSG_HEADER)
    if header.size > MAX_SPECIAL:
        raise InvalidArchive(MSG_TOO_LONG)
    data = source.read_exact(header.size)
    source.skip(-header.size % BLOCK_SIZE)
    return data


def _member_type(header: RawHeader) -> MemberType:
    kind = _TYPES.get(header.typeflag)
    if kind is None:
        code = header.typeflag[0] if header.typeflag else 0
        raise InvalidArchive(f"unhandled tar header type {code}")
    if header.typeflag == b"\x00" and header.name.endswith("/"):
        return MemberType.DIR
    return kind


def _make_member(header: RawHeader, names: dict[str, MemberType], reroot: bool) -> TarMember:
    kind = _member_type(header)
    if kind in (MemberType.DIR, MemberType.SYMLINK, MemberType.HARDLINK):
        header.size = 0
    if header.size < 0:
        raise InvalidArchive(MSG_HEADER)
    clean = reroot_member_name if reroot else clean_member_name
    name = clean(header.name)
    if name == "." and kind is not MemberType.DIR:
        raise InvalidArchive(f"invalid archive: member {header.name!r} is not a directory")
    linkname = header.linkname
    if kind is MemberType.SYMLINK and "\x00" in linkname:
        raise UnsafeArchivePath(linkname, f"invalid symlink target {linkname!r}")
    recorded: MemberType = kind
    if kind is MemberType.HARDLINK:
        linkname = clean(linkname)
        target = names.get(linkname)
        if target is None or target is MemberType.DIR:
            # What link(2) says, with the paths Docker shows inside its extraction root.
            reason = "no such file or directory" if target is None else "operation not permitted"
            raise InvalidArchive(f"link /{linkname} /{name}: {reason}")
        recorded = target
    names[name] = recorded
    parent = name.rpartition("/")[0]
    while parent and parent not in names:  # extraction creates missing parents
        names[parent] = MemberType.DIR
        parent = parent.rpartition("/")[0]
    return TarMember(header, kind, name, linkname)


def iter_members(stream: ReadableStream, *, reroot: bool = False) -> Iterator[TarMember]:
    """Iterate over the members of a tar archive in one streaming pass.

    USTAR, GNU and v7 headers are read, with GNU long names (``L``/``K``), PAX
    extended headers (``path``, ``linkpath``, ``size``, ``mtime``, ids and names) and
    base-256 numbers; PAX global headers are ignored. Every header checksum is
    verified. Reading stops at the end-of-archive marker (or at a clean end of the
    stream between members). Seekable streams are skipped over with ``seek``.

    Names are normalised and checked by
    :func:`~dockyard.archive.tarpath.clean_member_name` (or, with ``reroot``, taken
    inside the archive root as Docker's extraction does, by
    :func:`~dockyard.archive.tarpath.reroot_member_name`); symlink targets are recorded
    verbatim (resolve them with :func:`resolve_in_archive`); a hardlink must point to
    an earlier non-directory member (``link /<target> /<name>: no such file or
    directory`` otherwise, as Docker says). Device, FIFO, sparse and any other member types
    are refused (Docker would create devices and FIFOs; an image archive never holds
    them). Nothing is ever written to disk.

    Args:
        stream: the archive, positioned at its start; pipes are fine.
        reroot: take absolute names and names with ``..`` inside the archive root
            instead of refusing them.

    Yields:
        One :class:`TarMember` per file, directory, symlink or hardlink.

    Raises:
        InvalidArchive: the archive is truncated (``unexpected EOF``), a header is
            corrupt (``archive/tar: invalid tar header``), an extended header is too
            large (``archive/tar: header field too long``), or a member type is not
            supported (``unhandled tar header type <n>``).
        UnsafeArchivePath: a member name or hardlink target contains a NUL byte, or
            (without ``reroot``) is absolute or escapes the root.
    """
    source = Source(stream)
    records: dict[str, str] = {}
    long_name: str | None = None
    long_link: str | None = None
    pending = False  # an extended header waits for its file header
    names: dict[str, MemberType] = {}
    while True:
        header_offset = source.absolute()
        block = source.read_up_to(BLOCK_SIZE)
        if not block and not pending:
            return
        if len(block) != BLOCK_SIZE:
            raise InvalidArchive(MSG_EOF)
        if block == ZERO_BLOCK:
            second = source.read_up_to(BLOCK_SIZE)
            if not second or second == ZERO_BLOCK:
                return
            raise InvalidArchive(MSG_EOF if len(second) < BLOCK_SIZE else MSG_HEADER)
        header = RawHeader(block)
        flag = header.typeflag
        if flag in (b"x", b"g"):
            data = _read_special(source, header)
            if flag == b"x":
                records.update(parse_pax(data))
                pending = True
            continue
        if flag in (b"L", b"K"):
            value = cstring(_read_special(source, header))
            if flag == b"L":
                long_name = value
            else:
                long_link = value
            pending = True
            continue
        apply_pax(header, records)
        if long_name is not None:
            header.name = long_name
        if long_link is not None:
            header.linkname = long_link
        records, long_name, long_link, pending = {}, None, None, False
        member = _make_member(header, names, reroot)
        member.header_offset = header_offset
        member.data_offset = source.absolute()
        member._source = source
        try:
            yield member
        except GeneratorExit:
            member._detach()
            raise
        member.skip()
        member._detach()
        source.skip(-member.size % BLOCK_SIZE)
