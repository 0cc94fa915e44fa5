"""Streaming tar header scanner: layer size and duplicate paths without unpacking.

The scanner is fed the uncompressed layer stream chunk by chunk and parses only the
512-byte headers (USTAR, PAX ``x``/``g`` records, GNU ``L``/``K`` long names, old GNU
sparse headers), skipping file data without copying it. It reproduces what Docker's
vfs graph driver reports as a layer's ``size`` (the sum of the entries' ``Size``) and
tar-split's refusal of a repeated path. Bytes after the end-of-archive marker are
accepted and ignored, as Docker drains them into the DiffID.
"""

from __future__ import annotations

import posixpath
from typing import TYPE_CHECKING

from dockyard.layer.model import InvalidLayer

if TYPE_CHECKING:
    from typing_extensions import Buffer

__all__ = ["BLOCK_SIZE", "TarScanner"]

BLOCK_SIZE = 512
_MAX_SPECIAL = 1 << 20  # Go's maxSpecialFileSize for PAX and GNU long-name data
_ZERO_BLOCK = bytes(BLOCK_SIZE)
_HIGH_BYTES = bytes(range(128, 256))
_HEADER_ONLY = frozenset(b"12345")  # link, symlink, char, block, dir: no data follows
_MSG_DUPLICATE = "duplicates of file paths not supported"
_MSG_HEADER = "archive/tar: invalid tar header"
_MSG_EOF = "unexpected EOF"
_MSG_TOO_LONG = "archive/tar: header field too long"

# States of the scanner.
_HEADER = 0  # collecting a header block
_SPECIAL = 1  # collecting the data of a PAX / GNU long-name entry
_SKIP = 2  # skipping file data and padding
_SPARSE = 3  # collecting an old-GNU sparse extension block
_ZERO = 4  # saw one zero block, expecting a second
_DONE = 5  # end of archive reached; the rest is trailing data


def _parse_octal(field: bytes) -> int:
    text = field.strip(b" \x00")
    if not text:
        return 0
    try:
        return int(text, 8)
    except ValueError:
        raise InvalidLayer(_MSG_HEADER) from None


def _parse_numeric(field: bytes) -> int:
    """Parse a numeric header field: octal, or GNU base-256 when the top bit is set."""
    if field and field[0] & 0x80:
        value = int.from_bytes(bytes([field[0] & 0x7F]) + field[1:], "big")
        if field[0] & 0x40:  # negative two's-complement number
            value -= 1 << (8 * len(field) - 1)
        return value
    return _parse_octal(field)


def _parse_string(field: bytes) -> bytes:
    end = field.find(b"\x00")
    return field if end < 0 else field[:end]


def _checksum_ok(block: bytes) -> bool:
    stored = _parse_octal(block[148:156])
    rest = block[:148] + block[156:]
    unsigned = sum(rest) + 8 * 0x20  # the checksum field itself counts as spaces
    high = len(rest) - len(rest.translate(None, _HIGH_BYTES))
    return stored in (unsigned, unsigned - 256 * high)


def _parse_pax(data: bytes) -> dict[bytes, bytes]:
    records: dict[bytes, bytes] = {}
    rest = data
    while rest:
        length_text, sep, _ = rest.partition(b" ")
        if not sep or not length_text.isdigit():
            raise InvalidLayer(_MSG_HEADER)
        length = int(length_text)
        if length <= len(length_text) + 1 or length > len(rest):
            raise InvalidLayer(_MSG_HEADER)
        record, rest = rest[:length], rest[length:]
        if not record.endswith(b"\n"):
            raise InvalidLayer(_MSG_HEADER)
        key, eq, value = record[len(length_text) + 1 : -1].partition(b"=")
        if not eq or not key:
            raise InvalidLayer(_MSG_HEADER)
        records[key] = value
    return records


def clean_path(name: bytes) -> bytes:
    """Lexically clean a path the way Go's ``filepath.Clean`` does."""
    cleaned = posixpath.normpath(name) if name else b"."
    if cleaned.startswith(b"//"):
        cleaned = b"/" + cleaned.lstrip(b"/")
    return cleaned


class TarScanner:
    """Push parser over an uncompressed tar stream.

    Call :meth:`feed` with consecutive chunks and :meth:`finish` at end of input.

    Attributes:
        size: sum of the ``Size`` of every entry seen (Docker's vfs layer size).
        entries: number of entries seen.
        done: True once the end-of-archive marker was read.
    """

    def __init__(self) -> None:
        self.size = 0
        self.entries = 0
        self._state = _HEADER
        self._buf = bytearray()
        self._need = BLOCK_SIZE
        self._skip = 0
        self._special_type = 0
        self._special_size = 0
        self._special_header = b""
        self._pax: dict[bytes, bytes] = {}
        self._long_name: bytes | None = None
        self._seen: set[bytes] = set()
        self._pending_size = 0

    @property
    def done(self) -> bool:
        """True once the end-of-archive marker (or a clean end of input) was reached."""
        return self._state == _DONE

    def next_read(self) -> tuple[bool, int]:
        """What the scanner needs next, for a caller that can seek.

        ``(True, n)``: ``n`` bytes of file data can be skipped; ``(False, n)``: ``n`` more
        bytes (of a header or an extended header) must be fed. A layer lying in a file is
        then scanned by reading only its headers.
        """
        if self._state == _SKIP:
            return True, self._skip
        return False, self._need - len(self._buf)

    def skip(self, count: int) -> None:
        """Pass over ``count`` bytes of file data without reading them (see next_read)."""
        if self._state != _SKIP or count > self._skip:
            raise ValueError("not within file data")
        self._skip -= count
        if self._skip == 0:
            self._state, self._need = _HEADER, BLOCK_SIZE

    def feed(self, data: Buffer) -> None:
        """Consume the next chunk of the stream.

        Raises:
            InvalidLayer: the data is not a valid tar stream or repeats a path.
        """
        view = memoryview(data).cast("B")
        pos, end = 0, len(view)
        while pos < end and self._state != _DONE:
            if self._state == _SKIP:
                step = min(self._skip, end - pos)
                self._skip -= step
                pos += step
                if self._skip == 0:
                    self._state, self._need = _HEADER, BLOCK_SIZE
                continue
            step = min(self._need - len(self._buf), end - pos)
            self._buf += view[pos : pos + step]
            pos += step
            if len(self._buf) == self._need:
                block, self._buf = bytes(self._buf), bytearray()
                self._dispatch(block)

    def finish(self) -> None:
        """Signal end of input.

        Raises:
            InvalidLayer: ``unexpected EOF`` when the stream stops inside an entry.
        """
        if self._state == _DONE:
            return
        at_boundary = self._state in (_HEADER, _ZERO) and not self._buf
        if at_boundary and not self._pax and self._long_name is None:
            self._state = _DONE
            return
        raise InvalidLayer(_MSG_EOF)

    # --- block handlers ---------------------------------------------------------------

    def _dispatch(self, block: bytes) -> None:
        if self._state == _HEADER:
            self._on_header(block)
        elif self._state == _ZERO:
            if block != _ZERO_BLOCK:
                raise InvalidLayer(_MSG_HEADER)
            self._state = _DONE
        elif self._state == _SPECIAL:
            self._on_special(block)
        elif self._state == _SPARSE:
            self._on_sparse_extension(block)

    def _on_header(self, block: bytes) -> None:
        if block == _ZERO_BLOCK:
            self._state, self._need = _ZERO, BLOCK_SIZE
            return
        if not _checksum_ok(block):
            raise InvalidLayer(_MSG_HEADER)
        typeflag = block[156]
        size = _parse_numeric(block[124:136])
        if size < 0:
            raise InvalidLayer(_MSG_HEADER)
        if typeflag in b"xgLK":
            if size > _MAX_SPECIAL:
                raise InvalidLayer(_MSG_TOO_LONG)
            self._special_type = typeflag
            self._special_header = block
            self._begin_special(size)
            return
        self._on_entry(block, typeflag, size)

    def _begin_special(self, size: int) -> None:
        padded = -(-size // BLOCK_SIZE) * BLOCK_SIZE
        self._special_size = size
        if padded == 0:
            self._on_special(b"")
        else:
            self._state, self._need = _SPECIAL, padded

    def _on_special(self, data: bytes) -> None:
        payload = data[: self._special_size]
        kind = self._special_type
        self._state, self._need = _HEADER, BLOCK_SIZE
        if kind == ord("x"):
            self._pax.update(_parse_pax(payload))
        elif kind == ord("g"):
            # Go returns a global header as an entry of its own, with no size.
            _parse_pax(payload)
            self._record(_parse_string(self._special_header[0:100]), 0)
        elif kind == ord("L"):
            self._long_name = _parse_string(payload)
        # "K" (GNU long link name) does not affect size or paths.

    def _on_entry(self, block: bytes, typeflag: int, raw_size: int) -> None:
        name = self._entry_name(block)
        size = raw_size
        if b"size" in self._pax:
            size = self._pax_int(b"size")
        data_size = size
        # Go turns an old-style (NUL type) entry whose name ends in "/" into a directory.
        if typeflag in _HEADER_ONLY or (typeflag == 0 and name.endswith(b"/")):
            data_size = 0
        for key in (b"GNU.sparse.realsize", b"GNU.sparse.size"):
            if key in self._pax:
                size = self._pax_int(key)
                break
        self._pax = {}
        self._long_name = None
        if typeflag == ord("S"):
            # Old GNU sparse file: Size is the real size; the data is the stored parts.
            size = _parse_numeric(block[483:495])
            self._record(name, size)
            self._pending_size = data_size
            if block[482]:
                self._state, self._need = _SPARSE, BLOCK_SIZE
                return
            self._start_skip(data_size)
            return
        self._record(name, size)
        self._start_skip(data_size)

    def _on_sparse_extension(self, block: bytes) -> None:
        if block[504]:
            self._state, self._need = _SPARSE, BLOCK_SIZE
            return
        self._start_skip(self._pending_size)

    def _start_skip(self, data_size: int) -> None:
        padded = -(-data_size // BLOCK_SIZE) * BLOCK_SIZE
        if padded:
            self._state, self._skip = _SKIP, padded
        else:
            self._state, self._need = _HEADER, BLOCK_SIZE

    def _entry_name(self, block: bytes) -> bytes:
        if b"path" in self._pax:
            return self._pax[b"path"]
        if self._long_name is not None:
            return self._long_name
        name = _parse_string(block[0:100])
        magic = block[257:263]
        if magic == b"ustar\x00":  # USTAR / PAX (not old GNU, which reuses these bytes)
            prefix_field = block[345:476] if block[508:512] == b"tar\x00" else block[345:500]
            prefix = _parse_string(prefix_field)
            if prefix:
                name = prefix + b"/" + name
        return name

    def _pax_int(self, key: bytes) -> int:
        text = self._pax[key]
        if not text.isdigit():
            raise InvalidLayer(_MSG_HEADER)
        return int(text)

    def _record(self, name: bytes, size: int) -> None:
        cleaned = clean_path(name)
        if cleaned in self._seen:
            raise InvalidLayer(_MSG_DUPLICATE)
        self._seen.add(cleaned)
        self.size += size
        self.entries += 1
