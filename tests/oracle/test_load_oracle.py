"""Acceptance: loading every oracle archive gives what Docker reported after ``docker load``."""

from __future__ import annotations

import bz2
import gzip
import io
import lzma
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import dockyard
from dockyard.archive.load import load
from dockyard.compression import Compression, compress_writer
from tests.oracle.util import ORACLE, archives, assert_image_as_docker, load_json, oracle_dir

VERSIONS = ["docker-20.10", "docker-28.3"]


def _cases() -> list[Any]:
    out = []
    for version in VERSIONS:
        base = ORACLE / version
        names = sorted(p.name for p in base.glob("*.tar") if p.name != "docker-root-image.tar")
        out += [pytest.param(version, name, id=f"{version}/{name}") for name in names]
    return out or [pytest.param("docker-20.10", "app.tar", id="oracle-missing")]


def _check_against_record(client: dockyard.Client, archive: Path, output: str) -> None:
    record = load_json(archive.with_suffix(".load.json"))
    assert output.rstrip("\n") == record["load_output"]
    want = {i["Id"]: i for i in record["inspect"]}
    assert sorted(client.image_store.ids()) == sorted(want)
    for image_id, inspect in want.items():
        assert_image_as_docker(
            client, image_id, inspect["RepoTags"], inspect["Parent"], inspect["RootFS"]["Layers"]
        )


@pytest.mark.parametrize(("version", "name"), _cases())
def test_load_matches_docker(tmp_path: Path, version: str, name: str) -> None:
    archive = oracle_dir(version) / name
    if not archive.with_suffix(".load.json").exists() or name == "app-oci.tar":
        pytest.skip("Docker could not load this archive")
    client = dockyard.open(tmp_path / "store")
    result = load(client, archive)
    _check_against_record(client, archive, result.output)


def test_oci_archive_docker_cannot_load(tmp_path: Path) -> None:
    """skopeo's oci-archive of app: Docker 20.10 fails; dockyard loads it, same layers."""
    oracle = oracle_dir("docker-20.10")
    client = dockyard.open(tmp_path / "store")
    result = load(client, oracle / "app-oci.tar")
    assert result.layout == "oci"
    assert result.output == "Loaded image: oracle/app:1\n"
    (loaded,) = result.images
    app = load_json(oracle / "app.load.json")["inspect"][0]
    img = client.image_store.get(loaded.id)
    assert img.rootfs is not None
    assert list(img.rootfs.diff_ids) == app["RootFS"]["Layers"]
    assert client.reference_store.get("oracle/app:1") == loaded.id
    # the same layers: loading Docker's own archive afterwards reads no layer at all
    again = load(client, oracle / "app.tar")
    assert again.layers_loaded == 0
    assert {i.id for i in again.images} == {app["Id"]}


class _Pipe(io.RawIOBase):
    """A non-seekable stream, like stdin."""

    def __init__(self, data: bytes) -> None:
        self._inner = io.BytesIO(data)

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return False

    def readinto(self, buffer: Any) -> int:
        data = self._inner.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


def _compress(data: bytes, kind: Compression) -> bytes:
    if kind is Compression.GZIP:
        return gzip.compress(data)
    if kind is Compression.BZIP2:
        return bz2.compress(data)
    if kind is Compression.XZ:
        return lzma.compress(data)
    out = io.BytesIO()
    with compress_writer(out, kind) as writer:
        writer.write(data)
    return out.getvalue()


@pytest.mark.parametrize(
    "kind",
    [Compression.NONE, Compression.GZIP, Compression.BZIP2, Compression.XZ, Compression.ZSTD],
)
@pytest.mark.parametrize("version", VERSIONS)
def test_streamed_and_compressed_input(tmp_path: Path, version: str, kind: Compression) -> None:
    archive = oracle_dir(version) / "multi.tar"
    client = dockyard.open(tmp_path / "store")
    result = load(client, _Pipe(_compress(archive.read_bytes(), kind)))
    assert result.compression is kind
    _check_against_record(client, archive, result.output)


def test_warm_load_reads_no_layer(tmp_path: Path) -> None:
    archive = oracle_dir("docker-20.10") / "multi.tar"
    client = dockyard.open(tmp_path / "store")
    cold = load(client, archive)
    assert cold.layers_loaded == 7
    events: list[object] = []
    warm = load(client, archive, progress=events.append)
    assert warm.layers_loaded == 0
    assert events == []
    assert warm.output == cold.output


def test_load_from_stdin_of_the_cli_process(tmp_path: Path) -> None:
    archive = oracle_dir("docker-20.10") / "base.tar"
    code = (
        "import sys, dockyard\n"
        "from dockyard.archive.load import load\n"
        "r = load(dockyard.open(sys.argv[1]), sys.stdin.buffer)\n"
        "sys.stdout.write(r.output)\n"
    )
    with archive.open("rb") as stdin:
        out = subprocess.run(
            [sys.executable, "-c", code, str(tmp_path / "store")],
            stdin=stdin,
            capture_output=True,
            check=True,
            text=True,
        )
    assert out.stdout == "Loaded image: oracle/base:1\n"


def test_every_archive_into_one_store(tmp_path: Path) -> None:
    client = dockyard.open(tmp_path / "store")
    for version in VERSIONS:
        for archive in archives(version):
            load(client, archive)
    assert not client.problems
    assert client.layer_store.check() == []
    reopened = dockyard.open(tmp_path / "store")
    assert sorted(reopened.image_store.ids()) == sorted(client.image_store.ids())


def test_progress_reports_every_layer_and_the_total(tmp_path: Path) -> None:
    from dockyard.progress import Progress

    archive = oracle_dir("docker-20.10") / "app.tar"
    client = dockyard.open(tmp_path / "store")
    events: list[Progress] = []
    load(client, archive, progress=events.append)
    done = [e for e in events if e.done]
    assert len(done) == 5
    assert all(e.action == "Loading layer" and e.current == e.total for e in done)
    totals = {e.overall_total for e in events}
    assert len(totals) == 1
    (total,) = totals
    assert total == sum(e.total or 0 for e in done)
    assert done[-1].overall_current == total
    currents = [e.overall_current for e in events]
    assert currents == sorted(currents)
