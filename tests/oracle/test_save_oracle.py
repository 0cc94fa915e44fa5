"""Acceptance: ``save`` re-creates Docker's own ``docker save`` archives byte for byte.

A store is filled from the oracle archives with the library (register layers, create
configs, add tags, set parents); saving the same names again must give the oracle file
exactly, except for the header fields Docker fills from the wall clock (spec §7.2, §7.4):

* Docker 20.10: a layer directory whose ``layer.tar`` is a symlink keeps the time of the
  save (the directory, its ``VERSION``, ``json`` and the symlink); dockyard gives it the
  image's ``created`` time;
* Docker 28: ``blobs/sha256/`` keeps the time of the save; dockyard gives it the epoch.

Only the mtime (and so the checksum) of exactly those headers may differ.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import tarfile
from collections.abc import Iterator
from pathlib import Path

import pytest

import dockyard
from dockyard.archive.save import SaveFormat, save
from dockyard.compression import Compression, open_decompressed
from tests.oracle.util import OracleArchive, archives, create_image, oracle_dir

MULTI = ["oracle/base:1", "oracle/app:latest", "oracle/scratch:1", "oracle/grand:1"]
CASES = {"base": ["oracle/base:1"], "app": ["oracle/app:1"], "scratch": ["oracle/scratch:1"]}
CASES["multi"] = MULTI


def fill_store(client: dockyard.Client, version: str) -> dict[str, str]:
    """Load every oracle archive with the library; return the untagged image's ID."""
    parents: list[tuple[str, str]] = []
    untagged: dict[str, str] = {}
    for path in archives(version):
        if path.name == "app-oci.tar":
            continue
        archive = OracleArchive(path)
        try:
            for item in archive.images():
                image_id, _chains = create_image(client, archive, item)
                for tag in item.repo_tags:
                    client.reference_store.add_tag(tag, image_id, force=True)
                if item.parent:
                    parents.append((image_id, item.parent))
                if path.name == "untagged.tar":
                    untagged["id"] = image_id
        finally:
            archive.close()
    for child, parent_id in parents:
        client.image_store.set_parent(child, parent_id)
    return untagged


@pytest.fixture(scope="module")
def store20(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[dockyard.Client, str]]:
    oracle_dir("docker-20.10")
    client = dockyard.open(tmp_path_factory.mktemp("store20"))
    untagged = fill_store(client, "docker-20.10")
    yield client, untagged["id"]
    client.close()


@pytest.fixture(scope="module")
def store28(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[dockyard.Client, str]]:
    oracle_dir("docker-28.3")
    client = dockyard.open(tmp_path_factory.mktemp("store28"))
    untagged = fill_store(client, "docker-28.3")
    yield client, untagged["id"]
    client.close()


def headers(data: bytes) -> Iterator[tuple[int, str, bytes, bytes]]:
    """(offset, name, typeflag, linkname) of every header of an uncompressed tar."""
    offset = 0
    while offset + 512 <= len(data):
        block = data[offset : offset + 512]
        if block == b"\0" * 512:
            return
        name = block[:100].rstrip(b"\0").decode()
        size = int(block[124:136].rstrip(b"\0 ") or b"0", 8)
        yield offset, name, block[156:157], block[157:257].rstrip(b"\0")
        offset += 512 + (size + 511) // 512 * 512


def masked(data: bytes, names: set[str]) -> bytes:
    """``data`` with the mtime and checksum of the named headers blanked."""
    out = bytearray(data)
    for offset, name, _, _ in headers(data):
        if name in names:
            out[offset + 136 : offset + 156] = b"\0" * 20
    return bytes(out)


def wall_clock_entries_v20(data: bytes) -> set[str]:
    """The headers Docker 20.10 times with the wall clock: dirs of symlinked layers."""
    dirs = {name.split("/")[0] for _, name, flag, _ in headers(data) if flag == b"2"}
    return {name for _, name, _, _ in headers(data) if name.split("/")[0] in dirs}


def assert_same_archive(mine: bytes, theirs: bytes, volatile: set[str]) -> None:
    assert len(mine) == len(theirs)
    assert [h[1] for h in headers(mine)] == [h[1] for h in headers(theirs)]
    assert masked(mine, volatile) == masked(theirs, volatile)


def save_bytes(client: dockyard.Client, names: list[str], fmt: SaveFormat, **kw: object) -> bytes:
    buffer = io.BytesIO()
    save(client, names, buffer, format=fmt, **kw)  # type: ignore[arg-type]
    return buffer.getvalue()


@pytest.mark.parametrize("case", [*CASES, "untagged"])
def test_legacy_save_is_docker_20_10_byte_for_byte(
    store20: tuple[dockyard.Client, str], case: str, tmp_path: Path
) -> None:
    client, untagged_id = store20
    names = [untagged_id] if case == "untagged" else CASES[case]
    out = tmp_path / "out.tar"
    result = save(client, names, out, format=SaveFormat.DOCKER_LEGACY)
    theirs = (oracle_dir("docker-20.10") / f"{case}.tar").read_bytes()
    mine = out.read_bytes()
    volatile = wall_clock_entries_v20(theirs)
    assert_same_archive(mine, theirs, volatile)
    assert result.bytes_written == len(mine)
    if case == "multi":
        assert len(volatile) == 8  # two symlinked layer dirs: dir, VERSION, json, layer.tar
    else:
        assert mine == theirs


@pytest.mark.parametrize("case", [*CASES, "untagged"])
def test_docker_save_is_docker_28_byte_for_byte(
    store28: tuple[dockyard.Client, str], case: str
) -> None:
    client, untagged_id = store28
    names = [untagged_id] if case == "untagged" else CASES[case]
    mine = save_bytes(client, names, SaveFormat.DOCKER)
    theirs = (oracle_dir("docker-28.3") / f"{case}.tar").read_bytes()
    assert_same_archive(mine, theirs, {"blobs/sha256/"})
    with tarfile.open(fileobj=io.BytesIO(mine)) as tar:
        assert tar.getmember("blobs/sha256").mtime == 0


@pytest.mark.parametrize("fmt", list(SaveFormat)[:3])
def test_same_store_and_arguments_give_the_same_bytes(
    store28: tuple[dockyard.Client, str], fmt: SaveFormat
) -> None:
    client, untagged_id = store28
    names = [*MULTI, untagged_id, "oracle/app"]
    first = save_bytes(client, names, fmt)
    assert save_bytes(client, names, fmt) == first
    assert hashlib.sha256(first).digest() != hashlib.sha256(save_bytes(client, MULTI, fmt)).digest()


def test_image_order_is_the_order_of_first_mention(store28: tuple[dockyard.Client, str]) -> None:
    client, _ = store28
    data = save_bytes(
        client, ["oracle/grand:1", "oracle/base:1", "oracle/grand:1"], SaveFormat.DOCKER
    )
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        member = tar.extractfile("manifest.json")
        assert member is not None
        manifest = json.loads(member.read())
    assert [m["RepoTags"] for m in manifest] == [["oracle/grand:1"], ["oracle/base:1"]]


@pytest.mark.parametrize("kind", [Compression.GZIP, Compression.ZSTD])
@pytest.mark.parametrize("fmt", [SaveFormat.DOCKER, SaveFormat.DOCKER_LEGACY, SaveFormat.OCI])
def test_compressed_output_decompresses_to_the_plain_archive(
    store28: tuple[dockyard.Client, str], kind: Compression, fmt: SaveFormat, tmp_path: Path
) -> None:
    client, _ = store28
    plain = save_bytes(client, MULTI, fmt)
    out = tmp_path / "out.tar.x"
    result = save(client, MULTI, out, format=fmt, compress=kind)
    data = out.read_bytes()
    assert result.bytes_written == len(data) < len(plain)
    stream, found = open_decompressed(io.BytesIO(data))
    assert found is kind
    assert stream.read() == plain
    if kind is Compression.GZIP:
        assert gzip.decompress(data) == plain


def test_untagged_image_after_tagged_is_in_the_index(store28: tuple[dockyard.Client, str]) -> None:
    client, untagged_id = store28
    data = save_bytes(client, ["oracle/base:1", untagged_id], SaveFormat.DOCKER)
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        member = tar.extractfile("index.json")
        assert member is not None
        index = json.loads(member.read())
    assert len(index["manifests"]) == 2  # Docker 25+ lists only the tagged one here
    assert "annotations" not in index["manifests"][1]
