from __future__ import annotations

import io
import tarfile

import pytest

from dockyard.archive.tarpath import go_clean
from dockyard.archive.tarreader import (
    DEFAULT_JSON_LIMIT,
    MemberSlice,
    StaleMemberError,
    iter_members,
    read_limited,
)
from dockyard.archive.tarwriter import DockerTarWriter, TarStyle
from dockyard.errors import InvalidArchive, UnsafeArchivePath

from .conftest import END, ORACLE, entry, header, pad, pax

pytestmark = pytest.mark.usefixtures("empty_cwd")


class PipeLike:
    """A stream with nothing but ``read`` returning short chunks, like a pipe."""

    def __init__(self, data: bytes, chunk: int = 100) -> None:
        self._data = io.BytesIO(data)
        self._chunk = chunk

    def read(self, size: int = -1) -> bytes:
        return self._data.read(min(size, self._chunk) if size >= 0 else self._chunk)


def listing(data: bytes, *, pipe: bool = False) -> list[tuple[str, str, int, str, bytes]]:
    stream = PipeLike(data) if pipe else io.BytesIO(data)
    return [(m.name, m.type.value, m.size, m.linkname, m.read()) for m in iter_members(stream)]


def archive(build: object) -> bytes:
    out = io.BytesIO()
    with DockerTarWriter(out, TarStyle.V28) as writer:
        build(writer)  # type: ignore[operator]
    return out.getvalue()


# --- ordinary and odd but valid input ---------------------------------------------------


@pytest.mark.parametrize("pipe", [False, True])
def test_reads_writer_output(pipe: bool) -> None:
    def build(w: DockerTarWriter) -> None:
        w.add_dir("blobs", 1)
        w.add_bytes("blobs/a", b"x" * 700, 2)
        w.add_symlink("blobs/b", "a", 3)
        w.add_bytes("manifest.json", b"[]\n", 0)

    assert listing(archive(build), pipe=pipe) == [
        ("blobs", "dir", 0, "", b""),
        ("blobs/a", "file", 700, "", b"x" * 700),
        ("blobs/b", "symlink", 0, "a", b""),
        ("manifest.json", "file", 3, "", b"[]\n"),
    ]


@pytest.mark.parametrize("data", [b"", END, END + b"trailing garbage"])
def test_empty_archive_has_no_members(data: bytes) -> None:
    assert listing(data) == []


def test_missing_end_marker_at_a_block_boundary_is_a_clean_end() -> None:
    assert listing(entry("a", b"1")) == [("a", "file", 1, "", b"1")]


def test_dot_slash_prefix_and_redundant_components_are_normalised() -> None:
    data = entry("./", typeflag=b"5") + entry(".//a/./b/", typeflag=b"5") + entry("a/c/../d", b"z")
    assert [(n, t) for n, t, *_ in listing(data + END)] == [
        (".", "dir"),
        ("a/b", "dir"),
        ("a/d", "file"),
    ]


def test_old_style_regular_file_with_slash_is_a_directory() -> None:
    assert listing(entry("d/", typeflag=b"\x00", magic=bytes(8)) + END)[0][:2] == ("d", "dir")


def test_gnu_long_name_and_link() -> None:
    long_name = "n" * 150 + "/file"
    data = (
        entry("x", b"one")
        + entry("././@LongLink", long_name.encode() + b"\x00", typeflag=b"L")
        + entry("short", b"payload")
        + entry("././@LongLink", b"t" * 120 + b"\x00", typeflag=b"K")
        + entry("sym", typeflag=b"2", linkname="short")
    )
    assert listing(data + END)[1:] == [
        (long_name, "file", 7, "", b"payload"),
        ("sym", "symlink", 0, "t" * 120, b""),
    ]


def test_pax_path_linkpath_size_and_global_header() -> None:
    data = (
        pax({"comment": b"ignored"}, typeflag=b"g")
        + pax({"path": "d/\u00fcn\u00ef.txt".encode(), "size": b"4", "mtime": b"12.5"})
        + entry("truncated-name", b"data", size=999)
        + pax({"linkpath": b"l" * 200})
        + entry("s", typeflag=b"2", linkname="x")
    )
    members = list(iter_members(io.BytesIO(data + END)))
    assert [(m.name, m.size, m.mtime, m.linkname) for m in members] == [
        ("d/\u00fcn\u00ef.txt", 4, 12, ""),
        ("s", 0, 0, "l" * 200),
    ]


def test_ustar_prefix_is_joined() -> None:
    data = entry("file", b"ab", prefix=b"some/dir")
    assert listing(data + END)[0][0] == "some/dir/file"


def test_base256_size() -> None:
    field = b"\x80" + (5).to_bytes(11, "big")
    assert listing(entry("f", b"hello", size_field=field) + END) == [("f", "file", 5, "", b"hello")]


def test_symlink_size_field_is_ignored() -> None:
    data = entry("s", typeflag=b"2", linkname="t", size=4096) + entry("f", b"1")
    assert [n for n, *_ in listing(data + END)] == ["s", "f"]


# --- hostile input ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "name", ["../x", "a/../../x", "/etc/passwd", "..", "./../x", "a/b/../../../etc"]
)
def test_unsafe_member_names_are_refused(name: str) -> None:
    with pytest.raises(UnsafeArchivePath) as info:
        listing(entry(name, b"evil") + END)
    assert info.value.path == name


def test_nul_in_pax_path_is_refused() -> None:
    with pytest.raises(UnsafeArchivePath, match="NUL"):
        listing(pax({"path": b"a\x00b"}) + entry("x") + END)


def test_nul_terminates_a_ustar_name() -> None:
    assert listing(entry(b"abc\x00def", b"1") + END)[0][0] == "abc"


@pytest.mark.parametrize(
    ("flag", "code"), [(b"3", 51), (b"4", 52), (b"6", 54), (b"7", 55), (b"S", 83), (b"V", 86)]
)
def test_devices_fifos_and_other_types_are_refused(flag: bytes, code: int) -> None:
    with pytest.raises(InvalidArchive, match=f"^unhandled tar header type {code}$"):
        listing(entry("dev", typeflag=flag) + END)


def test_members_before_an_unsupported_type_are_yielded_first() -> None:
    members = iter_members(io.BytesIO(entry("ok", b"1") + entry("fifo", typeflag=b"6") + END))
    assert next(members).name == "ok"
    with pytest.raises(InvalidArchive):
        next(members)


@pytest.mark.parametrize("target", ["../outside", "/etc/passwd", "missing"])
def test_hardlinks_must_point_to_an_earlier_member_inside(target: str) -> None:
    data = entry("a", b"1") + entry("h", typeflag=b"1", linkname=target)
    with pytest.raises(InvalidArchive):
        listing(data + END)


def test_hardlink_to_earlier_member_is_recorded() -> None:
    data = entry("./a", b"1") + entry("h", typeflag=b"1", linkname="./a")
    assert listing(data + END)[1] == ("h", "hardlink", 0, "a", b"")


@pytest.mark.parametrize("target", ["/etc/passwd", "../../../etc/shadow"])
def test_escaping_symlinks_are_recorded_verbatim_not_followed(target: str) -> None:
    assert listing(entry("s", typeflag=b"2", linkname=target) + END) == [
        ("s", "symlink", 0, target, b"")
    ]


@pytest.mark.parametrize(
    "data",
    [
        header("a", size=10)[:300],  # truncated header
        header("a", size=10) + b"12345",  # truncated body
        header("a", size=10) + b"0123456789",  # missing padding
        header("a", size=10) + bytes(100),
        pax({"path": b"x"}),  # extended header without its file
        END[:512] + bytes(100),  # half an end marker
    ],
)
def test_truncated_input_is_unexpected_eof(data: bytes) -> None:
    with pytest.raises(InvalidArchive, match=r"^unexpected EOF$"):
        listing(data)


def test_truncated_body_on_seekable_skip_is_detected() -> None:
    data = header("a", size=100_000) + b"x" * 1000
    members = iter_members(io.BytesIO(data))
    next(members)
    with pytest.raises(InvalidArchive, match="unexpected EOF"):
        next(members)


@pytest.mark.parametrize(
    "data",
    [
        header("a", checksum=b"0000000 "),
        b"this is not a tar archive at all" * 16,
        header("a", size_field=b"12345678901x"),
        header("a", mtime_field=b"-0000000001\x00"),
        header("a", size_field=b"\xff" * 12),  # base-256 negative size
        header("a", size_field=b"\x80" + b"\xff" * 11),  # base-256 overflow
        END[:512] + header("a"),  # zero block then a header
        pax({"size": b"99999999999999999999999"}) + header("a"),
        pax({"size": b"-5"}) + header("a"),
        pax({"mtime": b"soon"}) + header("a"),
        entry("PaxHeaders.0/x", b"5 a=b\n", typeflag=b"x") + header("a"),
        entry("PaxHeaders.0/x", b"garbage", typeflag=b"x") + header("a"),
    ],
)
def test_garbage_headers_are_invalid(data: bytes) -> None:
    with pytest.raises(InvalidArchive, match=r"^archive/tar: invalid tar header$"):
        listing(data + END)


@pytest.mark.parametrize("flag", [b"x", b"L", b"g"])
def test_huge_extended_headers_are_refused_before_reading(flag: bytes) -> None:
    data = header("PaxHeaders.0/x", typeflag=flag, size=10 << 30)
    with pytest.raises(InvalidArchive, match="header field too long"):
        listing(data)


def test_gnu_sparse_pax_is_refused() -> None:
    with pytest.raises(InvalidArchive, match="sparse"):
        listing(pax({"GNU.sparse.major": b"1"}) + entry("a") + END)


def test_non_directory_root_is_refused() -> None:
    with pytest.raises(InvalidArchive, match="not a directory"):
        listing(entry("./", b"x") + END)


# --- reading data -----------------------------------------------------------------------


def test_unread_data_is_skipped_and_member_goes_stale() -> None:
    data = entry("a", b"A" * 3000) + entry("b", b"B") + END
    for stream in (io.BytesIO(data), PipeLike(data)):
        members = iter_members(stream)
        first = next(members)
        assert first.read(10) == b"A" * 10
        assert first.remaining == 2990
        assert next(members).read() == b"B"
        with pytest.raises(StaleMemberError):
            first.read()


def test_offsets_allow_reading_later_by_slice() -> None:
    data = b"prefix" + entry("a", b"alpha") + entry("b", b"beta" * 300) + END
    stream = io.BytesIO(data)
    stream.seek(6)
    index = {m.name: m for m in iter_members(stream)}
    assert index["a"].header_offset == 6
    assert index["a"].data_offset == 6 + 512
    assert index["b"].header_offset == 6 + 1024
    beta = MemberSlice(stream, index["b"].data_offset or 0, index["b"].size, "b")
    alpha = MemberSlice(stream, index["a"].data_offset or 0, index["a"].size, "a")
    assert beta.read(4) == b"beta"
    assert alpha.read() == b"alpha"
    assert beta.read(4) == b"beta"
    assert beta.remaining == 1192
    assert read_limited(alpha) == b""


def test_offsets_are_none_for_pipes() -> None:
    member = next(iter_members(PipeLike(entry("a", b"1") + END)))
    assert member.data_offset is None
    assert member.header_offset is None


def test_slice_beyond_end_of_stream_is_unexpected_eof() -> None:
    with pytest.raises(InvalidArchive, match="unexpected EOF"):
        MemberSlice(io.BytesIO(b"abc"), 1, 10).read()


def test_read_limited() -> None:
    data = entry("manifest.json", b"[]\n") + entry("big.json", b"{" * 2000) + END
    members = iter_members(io.BytesIO(data))
    assert read_limited(next(members)) == b"[]\n"
    with pytest.raises(InvalidArchive, match=r"big\.json is too large \(2000 bytes"):
        read_limited(next(members), limit=1999)
    assert DEFAULT_JSON_LIMIT == 32 << 20


def test_oversized_json_member_is_refused_without_reading_it() -> None:
    data = header("manifest.json", size=DEFAULT_JSON_LIMIT + 1)  # no data follows at all
    member = next(iter_members(io.BytesIO(data)))
    with pytest.raises(InvalidArchive, match="too large"):
        read_limited(member)


# --- the oracle -------------------------------------------------------------------------


def _tarfile_listing(data: bytes) -> list[tuple[str, str, int, str, int, int, bytes]]:
    kinds = {tarfile.DIRTYPE: "dir", tarfile.SYMTYPE: "symlink", tarfile.LNKTYPE: "hardlink"}
    result = []
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:") as tf:
        for info in tf:
            kind = kinds.get(info.type, "file")
            link = go_clean(info.linkname) if kind == "hardlink" else info.linkname
            body = tf.extractfile(info).read() if kind == "file" else b""  # type: ignore[union-attr]
            result.append(
                (go_clean(info.name), kind, len(body), link, int(info.mtime), info.mode, body)
            )
    return result


def _our_listing(data: bytes) -> list[tuple[str, str, int, str, int, int, bytes]]:
    return [
        (m.name, m.type.value, m.size, m.linkname, m.mtime, m.mode, m.read())
        for m in iter_members(io.BytesIO(data))
    ]


def test_oracle_archives_match_tarfile_listing() -> None:
    archives = sorted(ORACLE.glob("docker-*/*.tar")) if ORACLE.is_dir() else []
    if not archives:
        pytest.skip("oracle archives absent")
    nested = 0
    for path in archives:
        data = path.read_bytes()
        ours = _our_listing(data)
        assert ours == _tarfile_listing(data), path
        for name, kind, _, _, _, _, body in ours:
            if kind == "file" and body[257:262] == b"ustar":  # a layer tar: check it too
                nested += 1
                assert _our_listing(body) == _tarfile_listing(body), f"{path}:{name}"
    assert nested > 10


def test_pad_helper_sanity() -> None:
    assert len(pad(b"x")) == 512
    assert pad(b"") == b""
