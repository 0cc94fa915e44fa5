"""Layers registered from Docker's own archives match Docker's layerdb (skipped without it)."""

from __future__ import annotations

import json
import posixpath
import tarfile

import pytest

import dockyard
from dockyard.digest import ChainID
from tests.oracle.util import oracle_dir

VERSIONS = ["docker-20.10", "docker-28.3"]
LAYERDB = "image/vfs/layerdb/sha256/"


def _docker_layerdb(version: str) -> dict[str, dict[str, bytes]]:
    """``{chain hex: {file name: content}}`` of Docker's layerdb."""
    result: dict[str, dict[str, bytes]] = {}
    with tarfile.open(oracle_dir(version) / "docker-root-image.tar") as archive:
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


_COMPARED = ("diff", "size", "parent")


def _files(client: dockyard.Client, chain: ChainID) -> dict[str, bytes]:
    """The compared files of a layer directory of ``client``'s store."""
    directory = client.layout.layer_dir(chain.hex)
    return {n: (directory / n).read_bytes() for n in _COMPARED if (directory / n).exists()}


@pytest.mark.parametrize("version", VERSIONS)
def test_registered_layers_match_dockers_layerdb(client: dockyard.Client, version: str) -> None:
    docker = _docker_layerdb(version)
    compared: set[str] = set()
    with tarfile.open(oracle_dir(version) / "multi.tar") as archive:
        manifest_file = archive.extractfile("manifest.json")
        assert manifest_file is not None
        for item in json.load(manifest_file):
            config_file = archive.extractfile(item["Config"])
            assert config_file is not None
            diff_ids = json.load(config_file)["rootfs"]["diff_ids"]
            parent: ChainID | None = None
            for path, diff_id in zip(item["Layers"], diff_ids, strict=True):
                stream = archive.extractfile(_resolve(archive, path))
                assert stream is not None
                layer = client.layer_store.register(stream, parent)
                assert layer.diff_id == diff_id
                assert layer.parent == parent
                expected = docker.get(layer.chain_id.hex)
                if expected is not None:
                    assert _files(client, layer.chain_id) == {
                        name: expected[name] for name in _COMPARED if name in expected
                    }
                    compared.add(layer.chain_id.hex)
                parent = layer.chain_id
    assert compared == set(docker)
    assert client.layer_store.check() == []
