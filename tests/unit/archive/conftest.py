"""Fixtures and raw tar builders for the archive tests."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from collections.abc import Iterator

from tests.oracle.util import ORACLE as ORACLE

END = bytes(1024)


def oracle_archives(version: str) -> list[Path]:
    """The ``docker save`` archives of one Docker version (empty when absent)."""
    directory = ORACLE / version
    if not directory.is_dir():
        return []
    return sorted(
        p for p in directory.glob("*.tar") if p.name not in ("app-oci.tar", "docker-root-image.tar")
    )


def octal(value: int, width: int) -> bytes:
    return format(value, "o").rjust(width - 1, "0").encode() + b"\x00"


def header(
    name: str | bytes,
    *,
    typeflag: bytes = b"0",
    size: int = 0,
    mode: int = 0o644,
    mtime: int = 0,
    linkname: str | bytes = b"",
    size_field: bytes | None = None,
    mtime_field: bytes | None = None,
    magic: bytes = b"ustar\x0000",
    prefix: bytes = b"",
    checksum: bytes | None = None,
) -> bytes:
    """One raw header block; the checksum is correct unless ``checksum`` is given."""
    raw_name = name.encode() if isinstance(name, str) else name
    raw_link = linkname.encode() if isinstance(linkname, str) else linkname
    block = bytearray(512)
    block[0 : len(raw_name[:100])] = raw_name[:100]
    block[100:108] = octal(mode, 8)
    block[108:116] = octal(0, 8)
    block[116:124] = octal(0, 8)
    block[124:136] = size_field if size_field is not None else octal(size, 12)
    block[136:148] = mtime_field if mtime_field is not None else octal(mtime, 12)
    block[156:157] = typeflag
    block[157 : 157 + len(raw_link[:100])] = raw_link[:100]
    block[257:265] = magic
    block[345 : 345 + len(prefix)] = prefix
    block[148:156] = b" " * 8
    block[148:156] = checksum if checksum is not None else octal(sum(block), 7) + b" "
    return bytes(block)


def pad(data: bytes) -> bytes:
    return data + bytes(-len(data) % 512)


def entry(name: str | bytes, data: bytes = b"", typeflag: bytes = b"0", **kw: object) -> bytes:
    """A header (size = len(data) unless overridden) followed by its padded data."""
    kw.setdefault("size", len(data))
    return header(name, typeflag=typeflag, **kw) + pad(data)  # type: ignore[arg-type]


def pax_record(key: str, value: bytes) -> bytes:
    body = b" " + key.encode() + b"=" + value + b"\n"
    size = len(body) + len(str(len(body)))
    if len(str(size)) + len(body) != size:
        size = len(str(size)) + len(body)
    return str(size).encode() + body


def pax(records: dict[str, bytes], typeflag: bytes = b"x") -> bytes:
    data = b"".join(pax_record(k, v) for k, v in records.items())
    return entry("PaxHeaders.0/x", data, typeflag=typeflag)


@pytest.fixture
def empty_cwd(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Run in an empty directory and check that nothing was created in it."""
    monkeypatch.chdir(tmp_path)
    yield tmp_path
    assert os.listdir(tmp_path) == []
