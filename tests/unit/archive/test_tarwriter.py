from __future__ import annotations

import io
import os
import tarfile
import threading
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dockyard.archive.tarformat import TarFieldError, encode_header
from dockyard.archive.tarreader import MemberType, iter_members
from dockyard.archive.tarwriter import (
    DockerTarWriter,
    StreamSizeMismatch,
    TarStyle,
    TarWriterStateError,
    walk_order,
)
from dockyard.errors import ConflictError, IntegrityError, InvalidArgumentError

from .conftest import ORACLE, oracle_archives


def rewrite(path: Path, style: TarStyle) -> tuple[bytes, int]:
    """Parse ``path`` with our reader and write it again from the parsed entries."""
    out = io.BytesIO()
    writer = DockerTarWriter(out, style)
    with path.open("rb") as src:
        for member in iter_members(src):
            perm = member.mode & 0o7777
            if member.type is MemberType.DIR:
                writer.add_dir(member.raw_name, member.mtime, perm)
            elif member.type is MemberType.SYMLINK:
                writer.add_symlink(member.raw_name, member.linkname, member.mtime, perm)
            else:
                writer.add_stream(member.raw_name, member, member.size, member.mtime, perm)
    writer.close()
    return out.getvalue(), writer.bytes_written


@pytest.mark.parametrize(
    ("path", "style"),
    [(p, TarStyle.V20_10) for p in oracle_archives("docker-20.10")]
    + [(p, TarStyle.V28) for p in oracle_archives("docker-28.3")]
    or [pytest.param(None, None, marks=pytest.mark.skip(reason="oracle archives absent"))],
    ids=lambda v: f"{v.parent.name}/{v.name}" if isinstance(v, Path) else str(v),
)
def test_rewrite_of_docker_archive_is_byte_identical(path: Path, style: TarStyle) -> None:
    original = path.read_bytes()
    rewritten, counted = rewrite(path, style)
    assert counted == len(original)
    assert rewritten == original


def test_rewrite_with_the_other_style_differs() -> None:
    archives = oracle_archives("docker-28.3")
    if not archives:
        pytest.skip("oracle archives absent")
    rewritten, _ = rewrite(archives[0], TarStyle.V20_10)
    assert rewritten != archives[0].read_bytes()


def test_skopeo_archive_is_also_go_tar_output() -> None:
    path = ORACLE / "docker-20.10" / "app-oci.tar"
    if not path.is_file():
        pytest.skip("oracle archives absent")
    assert rewrite(path, TarStyle.V20_10)[0] == path.read_bytes()


@pytest.mark.parametrize("version", ["docker-20.10", "docker-28.3"])
def test_walk_order_matches_docker(version: str) -> None:
    archives = oracle_archives(version)
    if not archives:
        pytest.skip("oracle archives absent")
    for path in archives:
        with path.open("rb") as src:
            names = [m.raw_name for m in iter_members(src)]
        assert walk_order(reversed(names)) == names
        assert walk_order(sorted(names)) == names


def test_walk_order_puts_directory_contents_before_longer_siblings() -> None:
    names = ["a.json", "a/", "a/x", "a-b", "b/", "a/y/", "a/y/z", "A"]
    assert walk_order(names) == ["A", "a/", "a/x", "a/y/", "a/y/z", "a-b", "a.json", "b/"]


def test_walk_order_compares_utf8_bytes() -> None:
    assert walk_order(["\u00e9", "z", "\uff41"]) == ["z", "\u00e9", "\uff41"]


def _single(style: TarStyle, add: str) -> bytes:
    out = io.BytesIO()
    writer = DockerTarWriter(out, style)
    if add == "dir":
        writer.add_dir("blobs", 1704164645)
    elif add == "file":
        writer.add_bytes("oci-layout", b"x" * 31, 0)
    else:
        writer.add_symlink("a/layer.tar", "../b/layer.tar", 7)
    return out.getvalue()


@pytest.mark.parametrize(
    ("style", "add", "mode", "owner", "name", "flag"),
    [
        (TarStyle.V20_10, "dir", b"0040755\x00", b"root", b"blobs/", b"5"),
        (TarStyle.V28, "dir", b"0000755\x00", b"", b"blobs/", b"5"),
        (TarStyle.V20_10, "file", b"0100644\x00", b"root", b"oci-layout", b"0"),
        (TarStyle.V28, "file", b"0000644\x00", b"", b"oci-layout", b"0"),
        (TarStyle.V20_10, "symlink", b"0120777\x00", b"root", b"a/layer.tar", b"2"),
        (TarStyle.V28, "symlink", b"0000777\x00", b"", b"a/layer.tar", b"2"),
    ],
)
def test_header_fields(
    style: TarStyle, add: str, mode: bytes, owner: bytes, name: bytes, flag: bytes
) -> None:
    block = _single(style, add)[:512]
    assert block[:100].rstrip(b"\x00") == name
    assert block[100:108] == mode
    assert block[108:124] == b"0000000\x00" * 2
    assert block[156:157] == flag
    assert block[257:265] == b"ustar\x0000"
    assert block[265:297].rstrip(b"\x00") == owner == block[297:329].rstrip(b"\x00")
    assert block[329:345] == b"0000000\x00" * 2
    assert block[345:500] == bytes(155)
    assert block[154:156] == b"\x00 "
    expected = sum(block[:148]) + 8 * 32 + sum(block[156:])
    assert int(block[148:154], 8) == expected


def test_symlink_and_file_body() -> None:
    data = _single(TarStyle.V28, "symlink")
    assert data[157:171] == b"../b/layer.tar"
    assert data[124:136] == b"00000000000\x00"
    assert len(data) == 512
    data = _single(TarStyle.V28, "file")
    assert data[124:136] == b"00000000037\x00"
    assert data[512:543] == b"x" * 31
    assert data[543:1024] == bytes(481)


def test_close_writes_two_zero_blocks_and_no_record_padding() -> None:
    out = io.BytesIO()
    with DockerTarWriter(out) as writer:
        writer.add_bytes("f", b"abc", 5)
    assert len(out.getvalue()) == 512 * 4
    assert out.getvalue()[1024:] == bytes(1024)
    writer.close()  # idempotent
    assert len(out.getvalue()) == 2048
    with pytest.raises(TarWriterStateError, match="write after close"):
        writer.add_dir("d", 0)


def test_long_name_uses_ustar_prefix_like_go() -> None:
    name = "d" * 120 + "/" + "f" * 20
    out = io.BytesIO()
    with DockerTarWriter(out) as writer:
        writer.add_bytes(name, b"data", 1)
    block = out.getvalue()[:512]
    assert block[:100].rstrip(b"\x00") == b"f" * 20
    assert block[345:500].rstrip(b"\x00") == b"d" * 120
    with tarfile.open(fileobj=io.BytesIO(out.getvalue())) as tf:
        assert tf.getnames() == [name]


@pytest.mark.parametrize("name", ["x" * 101, "dir/" + "\u00fcn\u00ef" + ".txt", "a/" + "b" * 150])
def test_unsplittable_names_fall_back_to_pax(name: str) -> None:
    out = io.BytesIO()
    with DockerTarWriter(out) as writer:
        writer.add_bytes(name, b"hello", 3)
    data = out.getvalue()
    assert data[156:157] == b"x"
    assert b" path=" + name.encode() + b"\n" in data
    with tarfile.open(fileobj=io.BytesIO(data)) as tf:
        assert tf.getnames() == [name]
        assert tf.extractfile(name).read() == b"hello"  # type: ignore[union-attr]
    assert [m.name for m in iter_members(io.BytesIO(data))] == [name]


def test_huge_size_is_a_pax_record_not_a_truncated_field() -> None:
    size = 9 << 30  # does not fit in 11 octal digits
    blocks = encode_header("big", 0o644, size, 5, b"0", "", "")
    assert blocks[156:157] == b"x"
    assert b" size=" + str(size).encode() + b"\n" in blocks
    main = blocks[-512:]
    assert main[124:136] == b"00000000000\x00"
    members = iter_members(io.BytesIO(blocks))
    assert next(members).size == size


@pytest.mark.parametrize(
    ("name", "mode", "link"),
    [("", 0o644, ""), ("a\x00b", 0o644, ""), ("a", 0o100000000, ""), ("a", 0o644, "t\x00")],
)
def test_unencodable_entries_raise(name: str, mode: int, link: str) -> None:
    with pytest.raises(TarFieldError) as info:
        encode_header(name, mode, 0, 0, b"2", link, "")
    assert isinstance(info.value, InvalidArgumentError)


@pytest.mark.parametrize(("payload", "size"), [(b"short", 10), (b"too long!", 4)])
def test_stream_size_mismatch_raises_and_poisons_writer(payload: bytes, size: int) -> None:
    out = io.BytesIO()
    writer = DockerTarWriter(out)
    with pytest.raises(StreamSizeMismatch) as info:
        writer.add_stream("f", io.BytesIO(payload), size, 0)
    assert isinstance(info.value, IntegrityError)
    assert info.value.expected == size
    with pytest.raises(TarWriterStateError) as state:
        writer.close()
    assert isinstance(state.value, ConflictError)
    assert not out.getvalue().endswith(bytes(1024))


def _build_with_files(sink: io.BufferedWriter | io.BytesIO, files: list[Path]) -> None:
    writer = DockerTarWriter(sink, TarStyle.V20_10)
    writer.add_dir("d", 9)
    for i, path in enumerate(files):
        writer.add_file(f"d/f{i}", path, 10 + i)
        writer.add_bytes(f"d/g{i}", b"between", 3)
    writer.close()
    assert writer.bytes_written == sink.tell()


@pytest.fixture
def sample_files(tmp_path: Path) -> list[Path]:
    sizes = [0, 1, 511, 512, 70_000]
    paths = []
    for size in sizes:
        path = tmp_path / f"src{size}"
        path.write_bytes(os.urandom(size))
        paths.append(path)
    return paths


def test_add_file_to_real_file_matches_in_memory(tmp_path: Path, sample_files: list[Path]) -> None:
    memory = io.BytesIO()
    _build_with_files(memory, sample_files)
    target = tmp_path / "out.tar"
    with target.open("wb") as sink:
        sink.write(b"")
        _build_with_files(sink, sample_files)
    assert target.read_bytes() == memory.getvalue()


def test_add_file_to_pipe(sample_files: list[Path]) -> None:
    memory = io.BytesIO()
    _build_with_files(memory, sample_files)
    read_fd, write_fd = os.pipe()
    received: list[bytes] = []

    def drain() -> None:
        with os.fdopen(read_fd, "rb") as source:
            received.append(source.read())

    reader = threading.Thread(target=drain)
    reader.start()
    with os.fdopen(write_fd, "wb") as sink:
        writer = DockerTarWriter(sink, TarStyle.V20_10)
        writer.add_dir("d", 9)
        for i, path in enumerate(sample_files):
            writer.add_file(f"d/f{i}", path, 10 + i)
            writer.add_bytes(f"d/g{i}", b"between", 3)
        writer.close()
    reader.join(10)
    assert received == [memory.getvalue()]


def test_add_file_refuses_directories(tmp_path: Path) -> None:
    writer = DockerTarWriter(io.BytesIO())
    with pytest.raises(TarFieldError, match="not a file"):
        writer.add_file("x", tmp_path, 0)


_names = st.lists(
    st.text(alphabet="abcdefgh.-_\u00e9", min_size=1, max_size=12).filter(
        lambda s: s not in (".", "..")
    ),
    min_size=1,
    max_size=3,
).map("/".join)


@settings(max_examples=40, deadline=None)
@given(
    entries=st.dictionaries(_names, st.binary(max_size=1500), min_size=1, max_size=6),
    mtime=st.integers(min_value=0, max_value=(1 << 33) - 1),
    style=st.sampled_from(TarStyle),
)
def test_written_archives_read_back(entries: dict[str, bytes], mtime: int, style: TarStyle) -> None:
    out = io.BytesIO()
    with DockerTarWriter(out, style) as writer:
        for name in walk_order(entries):
            writer.add_bytes(name, entries[name], mtime)
    data = out.getvalue()
    assert len(data) % 512 == 0
    with tarfile.open(fileobj=io.BytesIO(data)) as tf:
        got = {m.name: tf.extractfile(m).read() for m in tf}  # type: ignore[union-attr]
        assert {m.mtime for m in tf} == {mtime}
    assert got == entries
    assert {m.name: m.read() for m in iter_members(io.BytesIO(data))} == entries


def test_kernel_copy_is_used_and_falls_back(
    tmp_path: Path, sample_files: list[Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    memory = io.BytesIO()
    _build_with_files(memory, sample_files)
    calls: list[str] = []
    real_sendfile = os.sendfile

    def no_range(*args: object) -> int:
        calls.append("copy_file_range")
        raise OSError(18, "cross-device link")  # EXDEV

    def counting_sendfile(out_fd: int, in_fd: int, offset: int | None, count: int) -> int:
        calls.append("sendfile")
        return real_sendfile(out_fd, in_fd, offset, count)

    monkeypatch.setattr(os, "copy_file_range", no_range)
    monkeypatch.setattr(os, "sendfile", counting_sendfile)
    target = tmp_path / "out.tar"
    with target.open("wb") as sink:
        _build_with_files(sink, sample_files)
    assert target.read_bytes() == memory.getvalue()
    assert "copy_file_range" in calls
    assert "sendfile" in calls
