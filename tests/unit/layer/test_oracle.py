"""Layers registered from Docker's own archives match Docker's layerdb."""

from __future__ import annotations

import json
import posixpath
import tarfile
from pathlib import Path

import pytest

from dockyard.digest import ChainID
from dockyard.layer import LayerStore

ORACLE = Path(__file__).resolve().parents[3] / ".." / "shared" / "oracle"
VERSIONS = ["docker-20.10", "docker-28.3"]

LAYERDB = "image/vfs/layerdb/sha256/"


def _docker_layerdb(root_image: Path) -> dict[str, dict[str, bytes]]:
    """``{chain hex: {file name: content}}`` of Docker's layerdb."""
    result: dict[str, dict[str, bytes]] = {}
    with tarfile.open(root_image) as archive:
        for member in archive.getmembers():
            if not member.isfile() or not member.name.startswith(LAYERDB):
                continue
            chain_hex, _, name = member.name[len(LAYERDB) :].partition("/")
            extracted = archive.extractfile(member)
            assert extracted is not None
            result.setdefault(chain_hex, {})[name] = extracted.read()
    return result


def _resolve(archive: tarfile.TarFile, name: str) -> tarfile.TarInfo:
    member = archive.getmember(name)
    while member.issym():
        name = posixpath.normpath(posixpath.join(posixpath.dirname(name), member.linkname))
        member = archive.getmember(name)
    return member


@pytest.mark.parametrize("version", VERSIONS)
def test_registered_layers_match_dockers_layerdb(tmp_path: Path, version: str) -> None:
    multi = ORACLE / version / "multi.tar"
    root_image = ORACLE / version / "docker-root-image.tar"
    if not (multi.is_file() and root_image.is_file()):
        pytest.skip("oracle archives not available")
    docker = _docker_layerdb(root_image)
    store = LayerStore(tmp_path / "layerdb", tmp_path / "data")
    compared: set[str] = set()
    with tarfile.open(multi) as archive:
        manifest_file = archive.extractfile("manifest.json")
        assert manifest_file is not None
        manifest = json.load(manifest_file)
        for item in manifest:
            config_file = archive.extractfile(item["Config"])
            assert config_file is not None
            diff_ids = json.load(config_file)["rootfs"]["diff_ids"]
            parent: ChainID | None = None
            for path, diff_id in zip(item["Layers"], diff_ids, strict=True):
                stream = archive.extractfile(_resolve(archive, path))
                assert stream is not None
                layer = store.register(stream, parent)
                assert layer.diff_id == diff_id
                assert layer.parent == parent
                expected = docker.get(layer.chain_id.hex)
                if expected is not None:
                    assert expected["diff"] == str(layer.diff_id).encode()
                    assert expected["size"] == str(layer.diff_size).encode()
                    assert expected.get("parent") == (
                        None if parent is None else str(parent).encode()
                    )
                    on_disk = tmp_path / "layerdb" / "sha256" / layer.chain_id.hex
                    assert (on_disk / "size").read_bytes() == expected["size"]
                    compared.add(layer.chain_id.hex)
                parent = layer.chain_id
    assert compared == set(docker)
    assert store.check() == []
