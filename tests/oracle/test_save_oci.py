"""OCI outputs (``oci`` archive, ``oci-dir``) of the oracle images: a valid, complete layout.

Every descriptor is followed from ``index.json`` to the manifests, configs and layers, and
each must name a blob whose bytes have exactly that digest and size; uncompressed layers
are the stored tars (digest = DiffID), compressed ones decompress to them.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import tarfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

import dockyard
from dockyard.archive.save import SaveFormat, save
from dockyard.compression import Compression, open_decompressed
from dockyard.errors import InvalidArgumentError
from tests.oracle.test_save_oracle import MULTI, fill_store
from tests.oracle.util import oracle_dir

LAYER_TYPES = {
    Compression.NONE: "application/vnd.oci.image.layer.v1.tar",
    Compression.GZIP: "application/vnd.oci.image.layer.v1.tar+gzip",
    Compression.ZSTD: "application/vnd.oci.image.layer.v1.tar+zstd",
}


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[dockyard.Client, str]]:
    oracle_dir("docker-28.3")
    client = dockyard.open(tmp_path_factory.mktemp("store"))
    untagged = fill_store(client, "docker-28.3")
    yield client, untagged["id"]
    client.close()


def validate_layout(read: Callable[[str], bytes], kind: Compression) -> list[dict[str, Any]]:
    """Check a whole OCI layout; return the index entries."""
    assert read("oci-layout") == b'{"imageLayoutVersion": "1.0.0"}'
    index = json.loads(read("index.json"))
    assert index["schemaVersion"] == 2
    assert index["mediaType"] == "application/vnd.oci.image.index.v1+json"

    def blob(desc: dict[str, Any]) -> bytes:
        digest = str(desc["digest"])
        data = read("blobs/" + digest.replace(":", "/"))
        assert len(data) == desc["size"]
        assert "sha256:" + hashlib.sha256(data).hexdigest() == digest
        return data

    for entry in index["manifests"]:
        assert entry["mediaType"] == "application/vnd.oci.image.manifest.v1+json"
        manifest = json.loads(blob(entry))
        config = json.loads(blob(manifest["config"]))
        assert manifest["config"]["mediaType"] == "application/vnd.oci.image.config.v1+json"
        diff_ids = config["rootfs"]["diff_ids"]
        assert len(manifest["layers"]) == len(diff_ids)
        for layer, diff_id in zip(manifest["layers"], diff_ids, strict=True):
            assert layer["mediaType"] == LAYER_TYPES[kind]
            data = blob(layer)
            if kind is not Compression.NONE:
                stream, found = open_decompressed(io.BytesIO(data))
                assert found is kind
                data = stream.read()
            assert "sha256:" + hashlib.sha256(data).hexdigest() == diff_id
    return list(index["manifests"])


@pytest.mark.parametrize("kind", list(LAYER_TYPES))
def test_oci_archive_is_a_complete_layout(
    store: tuple[dockyard.Client, str], kind: Compression, tmp_path: Path
) -> None:
    client, untagged_id = store
    out = tmp_path / "oci.tar"
    result = save(client, [*MULTI, untagged_id], out, format=SaveFormat.OCI, layer_compression=kind)
    with tarfile.open(out) as tar:
        names = set(tar.getnames())
        assert "manifest.json" not in names
        assert "repositories" not in names

        def read(name: str) -> bytes:
            member = tar.extractfile(name)
            assert member is not None
            return member.read()

        entries = validate_layout(read, kind)
    assert [e.get("annotations", {}).get("org.opencontainers.image.ref.name") for e in entries] == [
        "1",
        "latest",
        "1",
        "1",
        None,
    ]
    assert entries[1]["annotations"] == {
        "io.containerd.image.name": "docker.io/oracle/app:latest",
        "org.opencontainers.image.ref.name": "latest",
    }
    assert [i.image_id for i in result.images][-1] == untagged_id
    assert not client.layout.tmp.exists() or list(client.layout.tmp.iterdir()) == []


@pytest.mark.parametrize("kind", [Compression.NONE, Compression.GZIP])
def test_oci_dir_is_the_same_layout_as_the_archive(
    store: tuple[dockyard.Client, str], kind: Compression, tmp_path: Path
) -> None:
    client, _ = store
    target = tmp_path / "layout"
    result = save(client, MULTI, target, format=SaveFormat.OCI_DIR, layer_compression=kind)
    validate_layout(lambda name: (target / name).read_bytes(), kind)
    files = sorted(p for p in target.rglob("*") if p.is_file())
    assert result.bytes_written == sum(p.stat().st_size for p in files)
    archive = tmp_path / "oci.tar"
    save(client, MULTI, archive, format=SaveFormat.OCI, layer_compression=kind)
    with tarfile.open(archive) as tar:
        for member in tar.getmembers():
            path = target / member.name
            assert int(path.lstat().st_mtime) == member.mtime, member.name
            if member.isfile():
                extracted = tar.extractfile(member)
                assert extracted is not None
                assert path.read_bytes() == extracted.read()
        assert len(files) == sum(1 for m in tar.getmembers() if m.isfile())
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_oci_dir_into_an_existing_empty_directory(
    store: tuple[dockyard.Client, str], tmp_path: Path
) -> None:
    client, _ = store
    target = tmp_path / "empty"
    target.mkdir()
    save(client, ["oracle/base:1"], target, format=SaveFormat.OCI_DIR)
    assert (target / "index.json").is_file()


def test_oci_dir_refuses_a_non_empty_directory_and_compression(
    store: tuple[dockyard.Client, str], tmp_path: Path
) -> None:
    client, _ = store
    target = tmp_path / "full"
    target.mkdir()
    (target / "keep").write_bytes(b"x")
    with pytest.raises(InvalidArgumentError, match="directory is not empty"):
        save(client, ["oracle/base:1"], target, format=SaveFormat.OCI_DIR)
    assert os.listdir(target) == ["keep"]
    with pytest.raises(InvalidArgumentError, match="oci-dir format cannot be compressed"):
        save(
            client,
            ["oracle/base:1"],
            tmp_path / "new",
            format=SaveFormat.OCI_DIR,
            compress=Compression.GZIP,
        )
    assert not (tmp_path / "new").exists()
