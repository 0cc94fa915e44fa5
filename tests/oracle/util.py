"""Read the real Docker archives of the shared oracle with ``tarfile`` (skipped when absent).

The oracle (archives written by real ``docker save`` and what Docker said about them, see
``scripts/record-oracle.sh``) is the directory named by the environment variable
``DOCKYARD_ORACLE``, else ``../shared/oracle`` next to the repository. Every test helper
finds it through :data:`ORACLE`; nothing else reads the variable.
"""

from __future__ import annotations

import json
import os
import tarfile
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import pytest

from dockyard.digest import ChainID, ImageID

REPOSITORY = Path(__file__).resolve().parents[2]


def find_oracle() -> Path:
    """The oracle directory: ``$DOCKYARD_ORACLE``, else ``../shared/oracle``."""
    configured = os.environ.get("DOCKYARD_ORACLE")
    if configured:
        return Path(configured).expanduser().resolve()
    return REPOSITORY.parent / "shared" / "oracle"


ORACLE = find_oracle()


def oracle_dir(version: str) -> Path:
    path = ORACLE / version
    if not path.is_dir():
        pytest.skip(f"the shared oracle ({version}) is not available")
    return path


def archives(version: str) -> list[Path]:
    """Every archive Docker saved (not its data-root dump)."""
    return sorted(p for p in oracle_dir(version).glob("*.tar") if p.name != "docker-root-image.tar")


def load_json(path: Path) -> Any:
    return json.loads(path.read_bytes())


@dataclass
class ArchiveImage:
    """One image of an archive: its config bytes and a way to open each layer."""

    config: bytes
    config_name: str
    layers: list[str]
    repo_tags: list[str]
    parent: str


class OracleArchive:
    """Random access to one oracle archive, whatever its layout."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.tar = tarfile.open(path)  # noqa: SIM115 - closed by close()
        self.names = set(self.tar.getnames())

    def close(self) -> None:
        self.tar.close()

    def read(self, name: str) -> bytes:
        member = self.tar.extractfile(name)
        assert member is not None, name
        return member.read()

    def open(self, name: str) -> IO[bytes]:
        member = self.tar.extractfile(name)
        assert member is not None, name
        return member

    def images(self) -> list[ArchiveImage]:
        if "manifest.json" in self.names:
            return [
                ArchiveImage(
                    config=self.read(item["Config"]),
                    config_name=item["Config"],
                    layers=list(item["Layers"]),
                    repo_tags=list(item["RepoTags"] or []),
                    parent=item.get("Parent", ""),
                )
                for item in json.loads(self.read("manifest.json"))
            ]
        return self._oci_images()

    def _oci_images(self) -> list[ArchiveImage]:
        index = json.loads(self.read("index.json"))
        out = []
        for desc in index["manifests"]:
            manifest = json.loads(self.read(_blob(desc["digest"])))
            config_name = _blob(manifest["config"]["digest"])
            out.append(
                ArchiveImage(
                    config=self.read(config_name),
                    config_name=config_name,
                    layers=[_blob(layer["digest"]) for layer in manifest["layers"]],
                    repo_tags=[],
                    parent="",
                )
            )
        return out


def _blob(digest: str) -> str:
    return "blobs/" + digest.replace(":", "/", 1)


def create_image(
    client: Any, archive: OracleArchive, item: ArchiveImage
) -> tuple[ImageID, list[ChainID]]:
    """Register an archive image's layers and create its config with the library alone.

    Returns the image ID and the chain IDs of its layers (the image store holds the layer
    references afterwards; the registration handles are released).
    """
    handles = []
    parent = None
    for name in item.layers:
        with archive.open(name) as stream:
            layer = client.layer_store.register(stream, parent)
        handles.append(layer)
        parent = layer.chain_id
    image_id: ImageID = client.image_store.create(item.config)
    for layer in handles:
        client.layer_store.release(layer)
    return image_id, [h.chain_id for h in handles]


def assert_image_as_docker(
    client: Any, image_id: str, tags: list[str], parent: str, layers: list[str]
) -> None:
    """The store holds ``image_id`` with exactly Docker's tags, parent and layer DiffIDs."""
    from dockyard.errors import ImageNotFound

    refs = sorted(r.familiar_string() for r in client.reference_store.references(image_id))
    assert refs == sorted(tags), image_id
    try:
        recorded = client.image_store.get_parent(image_id)
    except ImageNotFound:
        recorded = None
    assert (recorded or "") == parent, image_id
    img = client.image_store.get(image_id)
    assert img.rootfs is not None
    assert list(img.rootfs.diff_ids) == layers, image_id
