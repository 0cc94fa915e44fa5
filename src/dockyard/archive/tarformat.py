"""Encoding and decoding of tar header blocks, following Go's ``archive/tar``."""

from __future__ import annotations

import re

from dockyard.archive.tarpath import go_clean
from dockyard.errors import InvalidArchive, InvalidArgumentError, UnsafeArchivePath

__all__ = [
    "BLOCK_SIZE",
    "MAX_SPECIAL",
    "MSG_EOF",
    "MSG_HEADER",
    "MSG_TOO_LONG",
    "ZERO_BLOCK",
    "RawHeader",
    "TarFieldError",
    "apply_pax",
    "cstring",
    "encode_header",
    "parse_pax",
]

BLOCK_SIZE = 512
ZERO_BLOCK = bytes(BLOCK_SIZE)
MAX_SPECIAL = 1 << 20
"""Go's maxSpecialFileSize: the largest PAX record set or GNU long name."""
MSG_HEADER = "archive/tar: invalid tar header"
MSG_EOF = "unexpected EOF"
MSG_TOO_LONG = "archive/tar: header field too long"

_NAME_SIZE = 100
_PREFIX_SIZE = 155
_OCTAL = re.compile(rb"[0-7]+")
_PAX_TIME = re.compile(r"(-?[0-9]+)(?:\.[0-9]*)?")
_PAX_INT = re.compile(r"-?[0-9]{1,19}")
_DECIMAL = re.compile(rb"[0-9]+")
_INT64_MIN, _INT64_MAX = -(1 << 63), (1 << 63) - 1


class TarFieldError(InvalidArgumentError):
    """An entry cannot be represented in a tar header (Go's ErrFieldTooLong cases)."""


# --- decoding ----------------------------------------------------------------------


class RawHeader:
    """The decoded fields of one tar header block.

    Extended headers (PAX, GNU long names) are applied to it afterwards.

    Args:
        block: one 512-byte header block.

    Raises:
        InvalidArchive: the checksum or a numeric field is invalid.
    """

    __slots__ = (
        "gid",
        "gname",
        "linkname",
        "mode",
        "mtime",
        "name",
        "size",
        "typeflag",
        "uid",
        "uname",
    )

    def __init__(self, block: bytes) -> None:
        _verify_checksum(block)
        magic, version = block[257:263], block[263:265]
        ustar = magic == b"ustar\x00"
        self.name = cstring(block[0:100])
        if ustar:
            star = block[508:512] == b"tar\x00"
            prefix = cstring(block[345:476] if star else block[345:500])
            if prefix:
                self.name = prefix + "/" + self.name
        self.mode = _numeric(block[100:108])
        self.uid = _numeric(block[108:116])
        self.gid = _numeric(block[116:124])
        self.size = _numeric(block[124:136])
        self.mtime = _numeric(block[136:148])
        self.typeflag = block[156:157]
        self.linkname = cstring(block[157:257])
        has_names = ustar or (magic == b"ustar " and version == b" \x00")
        self.uname = cstring(block[265:297]) if has_names else ""
        self.gname = cstring(block[297:329]) if has_names else ""


def cstring(field: bytes) -> str:
    """Decode a NUL-terminated header field (bytes that are not UTF-8 are kept)."""
    end = field.find(b"\x00")
    return (field if end < 0 else field[:end]).decode("utf-8", "surrogateescape")


def _parse_octal(field: bytes) -> int:
    digits = field.strip(b" \x00")
    if not digits:
        return 0
    if _OCTAL.fullmatch(digits) is None:
        raise InvalidArchive(MSG_HEADER)
    value = int(digits, 8)
    if value >= 1 << 63:
        raise InvalidArchive(MSG_HEADER)
    return value


def _numeric(field: bytes) -> int:
    if not field or not field[0] & 0x80:
        return _parse_octal(field)
    # Base-256: big-endian two's complement, the top bit of the first byte is a marker.
    negative = bool(field[0] & 0x40)
    value = int.from_bytes(bytes([field[0] & 0x7F]) + field[1:], "big")
    if negative:
        value -= 1 << (len(field) * 8 - 1)
    if not -(1 << 63) <= value < 1 << 63:
        raise InvalidArchive(MSG_HEADER)
    return value


def _verify_checksum(block: bytes) -> None:
    recorded = _parse_octal(block[148:156])
    unsigned = sum(block[:148]) + sum(block[156:]) + 8 * 0x20
    signed = unsigned - 256 * sum(1 for b in block[:148] + block[156:] if b & 0x80)
    if recorded not in (unsigned, signed):
        raise InvalidArchive(MSG_HEADER)


def parse_pax(data: bytes) -> dict[str, str]:
    """Parse the ``<len> <key>=<value>`` newline-terminated records of a PAX header.

    Raises:
        InvalidArchive: a record is malformed, or a path contains a NUL byte.
    """
    records: dict[str, str] = {}
    rest = data
    while rest:
        length_text, space, tail = rest.partition(b" ")
        if not space or _DECIMAL.fullmatch(length_text) is None or len(length_text) > 19:
            raise InvalidArchive(MSG_HEADER)  # Go's ParseInt fails beyond int64
        length = int(length_text)  # in bytes, counting the length digits themselves
        body_len = length - len(length_text) - 1
        if length < 5 or length > len(rest) or body_len <= 0 or tail[body_len - 1] != 0x0A:
            raise InvalidArchive(MSG_HEADER)
        record, rest = tail[: body_len - 1], tail[body_len:]
        raw_key, eq, raw_value = record.partition(b"=")
        if not eq or not raw_key or b"\x00" in raw_key:
            raise InvalidArchive(MSG_HEADER)
        key = raw_key.decode("utf-8", "surrogateescape")
        value = raw_value.decode("utf-8", "surrogateescape")
        if key in ("path", "linkpath") and "\x00" in value:
            raise UnsafeArchivePath(
                value, f"invalid archive member name {value!r}: contains a NUL byte"
            )
        records[key] = value
    return records


def apply_pax(header: RawHeader, records: dict[str, str]) -> None:
    """Override header fields with PAX records (empty values keep the header's value).

    Raises:
        InvalidArchive: a numeric record is malformed, or GNU sparse records are present.
    """
    for key, value in records.items():
        if not value:
            continue  # an empty record keeps the header's value
        if key.startswith("GNU.sparse."):
            raise InvalidArchive(f"unsupported sparse file in archive: {header.name!r}")
        if key == "path":
            header.name = value
        elif key == "linkpath":
            header.linkname = value
        elif key == "uname":
            header.uname = value
        elif key == "gname":
            header.gname = value
        elif key in ("size", "uid", "gid"):
            if _PAX_INT.fullmatch(value) is None or not _INT64_MIN <= int(value) <= _INT64_MAX:
                raise InvalidArchive(MSG_HEADER)
            setattr(header, key, int(value))
        elif key == "mtime":
            match = _PAX_TIME.fullmatch(value)
            if match is None or len(match.group(1).lstrip("-")) > 19:
                raise InvalidArchive(MSG_HEADER)
            seconds = int(match.group(1))
            if not _INT64_MIN <= seconds <= _INT64_MAX:
                raise InvalidArchive(MSG_HEADER)
            header.mtime = seconds


# --- encoding ----------------------------------------------------------------------


def _octal(value: int, width: int) -> bytes | None:
    """Go's formatOctal: zero-padded digits and a NUL, or None when it does not fit."""
    if value < 0 or (width < 22 and value >= 1 << ((width - 1) * 3)):
        return None
    return format(value, "o").rjust(width - 1, "0").encode("ascii") + b"\x00"


def _put(block: bytearray, offset: int, width: int, value: bytes) -> None:
    """Go's formatString: copy (truncating), NUL-terminate when shorter."""
    block[offset : offset + min(width, len(value))] = value[:width]
    if len(value) > width and block[offset + width - 1] == ord("/"):
        kept = value[:width].rstrip(b"/")
        block[offset + len(kept)] = 0


def _finish(block: bytearray) -> bytes:
    block[257:265] = b"ustar\x0000"
    block[148:156] = b" " * 8
    block[148:156] = (_octal(sum(block), 7) or b"") + b" "
    return bytes(block)


def _split_ustar(name: bytes) -> tuple[bytes, bytes] | None:
    """Go's splitUSTARPath: a prefix/name split of a long ASCII name, if possible."""
    length = len(name)
    if length <= _NAME_SIZE or not name.isascii():
        return None
    if length > _PREFIX_SIZE + 1:
        length = _PREFIX_SIZE + 1
    elif name[length - 1 : length] == b"/":
        length -= 1
    i = name.rfind(b"/", 0, length)
    suffix_len = len(name) - i - 1
    if i <= 0 or suffix_len > _NAME_SIZE or suffix_len == 0 or i > _PREFIX_SIZE:
        return None
    return name[:i], name[i + 1 :]


def _ascii(text: str) -> bytes:
    """Go's toASCII: drop every non-ASCII character."""
    return "".join(c for c in text if c < "\x80" and c != "\x00").encode("ascii")


def _pax_record(key: str, value: str) -> bytes:
    body = f" {key}={value}\n".encode("utf-8", "surrogateescape")
    size = len(body) + len(str(len(body)))
    if len(str(size)) + len(body) != size:
        size = len(str(size)) + len(body)
    return str(size).encode("ascii") + body


def encode_header(
    name: str, mode: int, size: int, mtime: int, flag: bytes, link: str, owner: str
) -> bytes:
    """Encode one entry as Go's tar writer would (USTAR, else PAX + header)."""
    for label, text in (("name", name), ("link target", link)):
        if not text and label == "name":
            raise TarFieldError("archive entry name is empty")
        if "\x00" in text:
            raise TarFieldError(f"archive entry {name!r}: {label} contains a NUL byte")
    raw_name = name.encode("utf-8", "surrogateescape")
    raw_link = link.encode("utf-8", "surrogateescape")
    mode_field = _octal(mode, 8)
    if mode_field is None:
        raise TarFieldError(f"archive entry {name}: mode {mode:o} does not fit")
    pax: dict[str, str] = {}
    if not raw_name.isascii() or len(raw_name) > _NAME_SIZE:
        pax["path"] = name
    if not raw_link.isascii() or len(raw_link) > _NAME_SIZE:
        pax["linkpath"] = link
    if _octal(size, 12) is None:
        pax["size"] = str(size)
    if _octal(mtime, 12) is None:
        pax["mtime"] = str(mtime)
    split = _split_ustar(raw_name)
    ustar = set(pax) <= {"path"} and ("path" not in pax or split is not None)
    block = bytearray(BLOCK_SIZE)
    block[156:157] = flag
    _put(block, 100, 8, mode_field)
    _put(block, 108, 8, b"0000000\x00")
    _put(block, 116, 8, b"0000000\x00")
    _put(block, 124, 12, _octal(size, 12) or b"00000000000\x00")
    _put(block, 136, 12, _octal(mtime, 12) or b"00000000000\x00")
    _put(block, 265, 32, owner.encode("ascii"))
    _put(block, 297, 32, owner.encode("ascii"))
    _put(block, 329, 8, b"0000000\x00")
    _put(block, 337, 8, b"0000000\x00")
    if ustar:
        prefix, short = split if "path" in pax and split is not None else (b"", raw_name)
        _put(block, 0, 100, short)
        _put(block, 157, 100, raw_link)
        _put(block, 345, 155, prefix)
        return _finish(block)
    _put(block, 0, 100, _ascii(name))
    _put(block, 157, 100, _ascii(link))
    data = b"".join(_pax_record(key, pax[key]) for key in sorted(pax))
    if len(data) > MAX_SPECIAL:
        raise TarFieldError(f"archive entry {name!r}: archive/tar: header field too long")
    head, _, tail = name.rpartition("/")
    pax_name = _ascii(go_clean(f"{head}/PaxHeaders.0/{tail}" if head else f"PaxHeaders.0/{tail}"))[
        :_NAME_SIZE
    ].rstrip(b"/")
    ext = bytearray(BLOCK_SIZE)
    ext[156:157] = b"x"
    _put(ext, 0, 100, pax_name)
    for offset in (100, 108, 116):
        _put(ext, offset, 8, b"0000000\x00")
    _put(ext, 124, 12, _octal(len(data), 12) or b"")
    _put(ext, 136, 12, b"00000000000\x00")
    padding = bytes(-len(data) % BLOCK_SIZE)
    return _finish(ext) + data + padding + _finish(block)
