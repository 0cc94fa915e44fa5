"""Acceptance: the library alone reproduces what Docker 20.10 stored for the oracle images.

Every image of every archive is registered layer by layer and created from its config; the
IDs, DiffIDs and chain IDs must be the ones Docker reported, and the files on disk must be
the ones Docker's own data root holds (names, bytes and modes).
"""

from __future__ import annotations

import os
import stat
import tarfile
from collections.abc import Iterator
from pathlib import Path

import pytest

import dockyard
from dockyard.digest import ChainID, Digest, chain_ids, sha256_bytes
from dockyard.image import Image
from tests.oracle.util import OracleArchive, archives, create_image, load_json, oracle_dir

VERSION = "docker-20.10"
DRIVER_DIR = Path("image") / "dockyard"
Loaded = tuple[dockyard.Client, dict[str, list[ChainID]]]


def _load_all(client: dockyard.Client) -> dict[str, list[ChainID]]:
    """Register and create every image of every archive; return chain IDs per image ID."""
    chains: dict[str, list[ChainID]] = {}
    for path in archives(VERSION):
        archive = OracleArchive(path)
        try:
            for item in archive.images():
                image_id, chains[image_id] = create_image(client, archive, item)
        finally:
            archive.close()
    return chains


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Loaded]:
    oracle_dir(VERSION)
    client = dockyard.open(tmp_path_factory.mktemp("store"))
    yield client, _load_all(client)
    client.close()


@pytest.fixture(scope="module")
def docker_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("docker-root")
    with tarfile.open(oracle_dir(VERSION) / "docker-root-image.tar") as tar:
        tar.extractall(target, filter="tar")
    return target / "image" / "vfs"


def test_ids_diffids_and_chains_match_docker(
    loaded: Loaded,
) -> None:
    client, chains = loaded
    seen = 0
    for record in sorted(oracle_dir(VERSION).glob("*.load.json")):
        for inspect in load_json(record)["inspect"]:
            image_id = inspect["Id"]
            assert image_id in chains, f"{record.name}: {image_id} was not created"
            img = client.image_store.get(image_id)
            assert img.rootfs is not None
            assert list(img.rootfs.diff_ids) == inspect["RootFS"]["Layers"]
            assert chains[image_id] == chain_ids(img.rootfs.diff_ids)
            layer = client.layer_store.get(chains[image_id][-1])
            assert layer.diff_id == inspect["RootFS"]["Layers"][-1]
            client.layer_store.release(layer)
            seen += 1
    assert seen >= 8


def _oci_image_id() -> str:
    oci = OracleArchive(oracle_dir(VERSION) / "app-oci.tar")
    try:
        (item,) = oci.images()
    finally:
        oci.close()
    return sha256_bytes(item.config)


def test_oci_archive_gives_the_same_layers(
    loaded: Loaded,
) -> None:
    """skopeo rewrote the config as an OCI config, but its gzip layers are app's layers."""
    client, chains = loaded
    app = load_json(oracle_dir(VERSION) / "app.load.json")["inspect"][0]["Id"]
    oci_id = _oci_image_id()
    assert oci_id != app
    assert chains[oci_id] == chains[app]
    ours, docker = client.image_store.get(oci_id).rootfs, client.image_store.get(app).rootfs
    assert ours is not None
    assert docker is not None
    assert ours.diff_ids == docker.diff_ids


def test_layer_sizes_match_docker_layerdb(
    loaded: Loaded, docker_root: Path
) -> None:
    client, chains = loaded
    compared = 0
    for chain in {c for cs in chains.values() for c in cs}:
        theirs = docker_root / "layerdb" / "sha256" / Digest(chain).hex
        assert theirs.is_dir(), f"Docker has no layer {chain}"
        info = client.layer_store.map()[chain]
        assert str(info.diff_size) == (theirs / "size").read_text()
        compared += 1
    assert compared >= 7


def _mode(path: Path) -> int:
    return stat.S_IMODE(os.lstat(path).st_mode)


def test_imagedb_files_match_docker(
    loaded: Loaded, docker_root: Path
) -> None:
    client, chains = loaded
    ours = client.root / DRIVER_DIR / "imagedb"
    theirs = docker_root / "imagedb"
    for sub in ["", "content", "content/sha256", "metadata", "metadata/sha256"]:
        assert _mode(ours / sub) == _mode(theirs / sub), sub
    names = sorted(os.listdir(ours / "content" / "sha256"))
    assert names == sorted(Digest(i).hex for i in chains)
    names.remove(Digest(_oci_image_id()).hex)  # written by skopeo, never in Docker's store
    for name in names:
        mine, docker = ours / "content" / "sha256" / name, theirs / "content" / "sha256" / name
        assert mine.read_bytes() == docker.read_bytes(), name
        assert _mode(mine) == _mode(docker) == 0o600
        assert Image.from_json(mine.read_bytes()).id == "sha256:" + name


def test_layerdb_files_match_docker(
    loaded: Loaded, docker_root: Path
) -> None:
    client, chains = loaded
    ours = client.root / DRIVER_DIR / "layerdb"
    theirs = docker_root / "layerdb"
    for sub in ["", "sha256", "tmp"]:
        assert _mode(ours / sub) == _mode(theirs / sub), sub
    for chain in {c for cs in chains.values() for c in cs}:
        mine, docker = ours / "sha256" / Digest(chain).hex, theirs / "sha256" / Digest(chain).hex
        assert _mode(mine) == _mode(docker) == 0o700
        assert sorted(os.listdir(mine)) == sorted(
            n for n in os.listdir(docker) if n != "tar-split.json.gz"
        )
        for name in ["diff", "parent", "size"]:
            if (docker / name).exists():
                assert (mine / name).read_bytes() == (docker / name).read_bytes(), (chain, name)
                assert _mode(mine / name) == _mode(docker / name) == 0o644
        cache_id = (mine / "cache-id").read_text()
        assert len(cache_id) == 64
        assert _mode(mine / "cache-id") == 0o644


def test_repositories_json_matches_docker(
    loaded: Loaded, docker_root: Path
) -> None:
    client, _chains = loaded
    docker_file = docker_root / "repositories.json"
    tags = load_json(docker_file)["Repositories"]
    for repo in tags.values():
        for ref, image_id in repo.items():
            client.reference_store.add_tag(ref, image_id)
    ours = client.root / DRIVER_DIR / "repositories.json"
    assert ours.read_bytes() == docker_file.read_bytes()
    assert _mode(ours) == _mode(docker_file) == 0o600
    reopened = dockyard.open(client.root)
    assert reopened.reference_store.get("oracle/app:1") == client.reference_store.get(
        "registry.example.com:5000/team/app:v1"
    )
    assert len(reopened.image_store) == len(client.image_store)
    assert not reopened.problems
