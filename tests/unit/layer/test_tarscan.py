"""The streaming tar header scanner: sizes as Docker's vfs driver reports them."""

from __future__ import annotations

import io
import tarfile
from typing import Literal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dockyard.layer import InvalidLayer
from dockyard.layer.tarscan import TarScanner, clean_path
from tests.unit.layer.tarutil import make_tar

END = bytes(1024)


def _scan(data: bytes, chunk: int = 4096) -> TarScanner:
    scanner = TarScanner()
    for start in range(0, len(data), chunk):
        scanner.feed(data[start : start + chunk])
    scanner.finish()
    return scanner


def _header(info: tarfile.TarInfo, fmt: Literal[0, 1, 2] = tarfile.GNU_FORMAT) -> bytes:
    return info.tobuf(format=fmt)


def _with_checksum(block: bytearray) -> bytes:
    block[148:156] = b" " * 8
    block[148:156] = b"%06o\x00 " % sum(block)
    return bytes(block)


def test_sizes_of_regular_files_are_summed() -> None:
    scanner = _scan(make_tar([("a", b"12345"), ("b", b"x" * 1000)], dirs=["d"]))
    assert scanner.size == 1005
    assert scanner.entries == 3
    assert scanner.done


def test_gnu_long_names_and_pax_paths() -> None:
    long_a = "d/" + "a" * 150
    for fmt in (tarfile.GNU_FORMAT, tarfile.PAX_FORMAT):
        scanner = _scan(make_tar([(long_a, b"1"), ("d/" + "b" * 150, b"22")], fmt=fmt))
        assert (scanner.size, scanner.entries) == (3, 2)
        with pytest.raises(InvalidLayer, match="duplicates"):
            _scan(make_tar([(long_a, b"1"), ("./" + long_a, b"22")], fmt=fmt))


def test_ustar_prefix_is_part_of_the_name() -> None:
    name = "p" * 120 + "/file"
    data = make_tar([(name, b"1"), ("p" * 120 + "/./file", b"2")], fmt=tarfile.USTAR_FORMAT)
    with pytest.raises(InvalidLayer, match="duplicates"):
        _scan(data)


def test_pax_size_overrides_the_header_field() -> None:
    info = tarfile.TarInfo("f")
    info.size = 3
    info.pax_headers = {"size": "700"}
    data = _header(info, tarfile.PAX_FORMAT) + b"z" * 700 + bytes(-700 % 512)
    scanner = _scan(data + END)
    assert scanner.size == 700
    assert scanner.done


def test_base256_size() -> None:
    info = tarfile.TarInfo("f")
    info.size = 5
    block = bytearray(_header(info))
    block[124:136] = b"\x80" + (5).to_bytes(11, "big")
    scanner = _scan(_with_checksum(block) + b"hello" + bytes(507) + END)
    assert scanner.size == 5


def test_header_only_types_count_their_size_but_have_no_data() -> None:
    link = tarfile.TarInfo("link")
    link.type = tarfile.LNKTYPE
    link.linkname = "target"
    link.size = 100  # counted by Docker's driver, but no data follows
    old_dir = tarfile.TarInfo("olddir/")
    old_dir.type = tarfile.AREGTYPE
    old_dir.size = 7
    data = _header(link) + _header(old_dir) + make_tar([("after", b"abc")])
    scanner = _scan(data)
    assert scanner.size == 110
    assert scanner.entries == 3


def test_end_of_archive_variants() -> None:
    assert _scan(b"").size == 0
    plain = make_tar([("a", b"xy")])
    assert _scan(plain[:1024]).size == 2  # stream stops right after the entry
    assert _scan(plain[:1536]).size == 2  # a single zero block
    scanner = _scan(plain + b"trailing \x01 data" * 100)
    assert scanner.done
    with pytest.raises(InvalidLayer, match=r"^unexpected EOF$"):
        _scan(plain[:600])
    with pytest.raises(InvalidLayer, match="invalid tar header"):
        _scan(plain[:1024] + bytes(512) + b"\x01" * 512)


def test_bad_checksum_is_rejected() -> None:
    block = bytearray(make_tar([("a", b"")])[:512])
    block[0] ^= 0x01
    with pytest.raises(InvalidLayer, match=r"^archive/tar: invalid tar header$"):
        _scan(bytes(block) + END)


def test_pax_global_header_is_an_entry() -> None:
    buffer = io.BytesIO()
    with tarfile.open(
        fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT, pax_headers={"comment": "hi"}
    ) as archive:
        info = tarfile.TarInfo("f")
        info.size = 2
        archive.addfile(info, io.BytesIO(b"ab"))
    scanner = _scan(buffer.getvalue())
    assert (scanner.size, scanner.entries) == (2, 2)


@pytest.mark.parametrize(
    ("raw", "cleaned"),
    [(b"", b"."), (b"./", b"."), (b"a//b/", b"a/b"), (b"//x", b"/x"), (b"/../a", b"/a")],
)
def test_clean_path_matches_go(raw: bytes, cleaned: bytes) -> None:
    assert clean_path(raw) == cleaned


_names = st.text(alphabet="abcxyz/", min_size=1, max_size=120).filter(
    lambda n: not n.startswith("/") and "//" not in n and not n.endswith("/")
)


@settings(max_examples=60, deadline=None)
@given(
    files=st.dictionaries(_names, st.binary(max_size=1500), min_size=1, max_size=6),
    fmt=st.sampled_from([tarfile.GNU_FORMAT, tarfile.PAX_FORMAT, tarfile.USTAR_FORMAT]),
    chunk=st.integers(min_value=1, max_value=3000),
)
def test_scan_agrees_with_tarfile_for_any_chunking(
    files: dict[str, bytes], fmt: int, chunk: int
) -> None:
    cleaned = {clean_path(n.encode()) for n in files}
    try:
        data = make_tar(sorted(files.items()), fmt=fmt)
    except ValueError:  # name too long for plain USTAR
        return
    if len(cleaned) < len(files):
        with pytest.raises(InvalidLayer):
            _scan(data, chunk)
        return
    scanner = _scan(data, chunk)
    with tarfile.open(fileobj=io.BytesIO(data)) as archive:
        members = archive.getmembers()
    assert scanner.size == sum(m.size for m in members)
    assert scanner.entries == len(members)
