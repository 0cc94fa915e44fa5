"""Low-level reading of a tar stream: exact reads, skipping, and slices by offset."""

from __future__ import annotations

import io
from typing import Protocol, cast

from dockyard.archive.tarformat import MSG_EOF
from dockyard.errors import InvalidArchive

__all__ = [
    "DEFAULT_JSON_LIMIT",
    "MemberSlice",
    "ReadableStream",
    "SeekableStream",
    "Source",
    "read_limited",
]

DEFAULT_JSON_LIMIT = 32 << 20
"""Largest metadata member (manifest.json, config, json, repositories, index.json)."""

CHUNK = 1 << 20


class ReadableStream(Protocol):
    """Any binary stream with ``read`` (``seek``/``tell``/``seekable`` are optional)."""

    def read(self, size: int = -1, /) -> bytes:
        """Read up to ``size`` bytes; an empty result means end of stream."""
        ...


class SeekableStream(ReadableStream, Protocol):
    """A binary stream that can also seek (a file opened for reading)."""

    def seekable(self) -> bool:
        """Return True when seeking works."""
        ...

    def tell(self) -> int:
        """Return the current position."""
        ...

    def seek(self, offset: int, whence: int = 0, /) -> int:
        """Move to ``offset`` relative to ``whence``."""
        ...


class Source:
    """The input stream with a position counter, exact reads and skipping."""

    def __init__(self, stream: ReadableStream) -> None:
        self.stream = stream
        self.pos = 0
        self.base: int | None = None
        self.seeker: SeekableStream | None = None
        try:
            if callable(getattr(stream, "seekable", None)):
                seeker = cast("SeekableStream", stream)
                if seeker.seekable():
                    self.base = int(seeker.tell())
                    self.seeker = seeker
        except (OSError, ValueError):
            self.base = None

    def absolute(self) -> int | None:
        """The absolute stream position, or None when the stream cannot seek."""
        return None if self.base is None else self.base + self.pos

    def read_up_to(self, size: int) -> bytes:
        """Read ``size`` bytes, fewer only at the end of the stream."""
        chunks: list[bytes] = []
        missing = size
        while missing > 0:
            try:
                data = self.stream.read(missing)
            except OSError as exc:
                raise InvalidArchive(f"error reading archive: {exc}") from exc
            if not data:
                break
            chunks.append(data)
            missing -= len(data)
        result = b"".join(chunks)
        self.pos += len(result)
        return result

    def read_exact(self, size: int) -> bytes:
        """Read exactly ``size`` bytes.

        Raises:
            InvalidArchive: the stream ends first (``unexpected EOF``).
        """
        data = self.read_up_to(size)
        if len(data) != size:
            raise InvalidArchive(MSG_EOF)
        return data

    def skip(self, size: int) -> None:
        """Skip ``size`` bytes (seeking when possible); a truncated stream is an error."""
        if size <= 0:
            return
        if self.seeker is not None and size > 1:
            # Seek to the last byte and read it: seeking past the end does not fail,
            # but an offset the file system cannot represent does.
            try:
                self.seeker.seek(size - 1, io.SEEK_CUR)
            except (OSError, OverflowError, ValueError):
                raise InvalidArchive(MSG_EOF) from None
            self.pos += size - 1
            self.read_exact(1)
            return
        while size > 0:
            size -= len(self.read_exact(min(size, CHUNK)))


class MemberSlice:
    """A bounded reader over a member's data in a seekable archive, by offset.

    Each read seeks to its own position first, so several slices of one stream may
    be read in turns.

    Args:
        stream: the seekable archive stream.
        offset: absolute position of the data (:attr:`TarMember.data_offset`).
        size: number of data bytes.
        name: member name used in error messages.
    """

    def __init__(self, stream: SeekableStream, offset: int, size: int, name: str = "") -> None:
        self._stream = stream
        self._offset = offset
        self._pos = 0
        self.size = size
        self.name = name

    @property
    def remaining(self) -> int:
        """Data bytes not read yet."""
        return self.size - self._pos

    def read(self, size: int = -1) -> bytes:
        """Read up to ``size`` bytes (all remaining ones when negative).

        Raises:
            InvalidArchive: the stream ends before the slice does.
        """
        count = self.remaining if size < 0 else min(size, self.remaining)
        if count == 0:
            return b""
        self._stream.seek(self._offset + self._pos)
        source = Source(self._stream)
        data = source.read_exact(count)
        self._pos += count
        return data


class _SizedReader(Protocol):
    name: str
    size: int

    def read(self, size: int = -1, /) -> bytes: ...


def read_limited(member: _SizedReader, limit: int = DEFAULT_JSON_LIMIT) -> bytes:
    """Read a whole small member (a JSON file), refusing one larger than ``limit``.

    Args:
        member: a :class:`TarMember` or :class:`MemberSlice`.
        limit: the largest accepted size in bytes.

    Returns:
        The member's data.

    Raises:
        InvalidArchive: the member is larger than ``limit`` or truncated.
    """
    if member.size > limit:
        raise InvalidArchive(
            f"invalid archive: {member.name} is too large "
            f"({member.size} bytes, the limit is {limit})"
        )
    return member.read(-1)
