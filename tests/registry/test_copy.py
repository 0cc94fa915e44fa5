"""``copy`` between every pair of media, the store a medium like the others.

Whatever the route, the image ID stays the same; a copy between two other media leaves
the store's images alone; registry-to-registry keeps the manifest digest.
"""

from __future__ import annotations

import json
import tarfile
from collections.abc import Iterator
from pathlib import Path

import pytest

import dockyard
from dockyard.errors import InvalidArgumentError
from dockyard.registry import RegistryClient, RetryPolicy
from dockyard.service.copy import copy_image, parse_endpoint
from tests.registry.images import docker_archive
from tests.registry.servers import RegistryProcess

SIZES = (3_000, 200_000, 7_000)


@pytest.fixture
def reg() -> Iterator[RegistryClient]:
    client = RegistryClient(retry=RetryPolicy(max_attempts=2, initial_backoff=0.01))
    yield client
    client.close()


@pytest.fixture
def archive(tmp_path: Path) -> tuple[Path, str]:
    path = tmp_path / "src.tar"
    return path, docker_archive(path, "copy/app:1", SIZES)


def _ids_in_store(client: dockyard.Client) -> set[str]:
    with client.view() as view:
        return {str(row.id) for row in view.images()}


def _archive_config_ids(path: Path) -> set[str]:
    with tarfile.open(path) as tar:
        names = tar.getnames()
        if "manifest.json" in names:
            member = tar.extractfile("manifest.json")
            assert member is not None
            return {"sha256:" + e["Config"].rsplit("/", 1)[-1].removesuffix(".json")
                    for e in json.load(member)}  # fmt: skip
    raise AssertionError(f"{path}: no manifest.json")


def test_every_route_keeps_the_image_id(
    tmp_path: Path, archive: tuple[Path, str], registry: RegistryProcess, repo_name: str,
    reg: RegistryClient,
) -> None:  # fmt: skip
    path, image_id = archive
    store = dockyard.open(tmp_path / "store")
    name = f"{registry.host}/{repo_name}"
    # archive -> registry: the store's images are not touched
    copy_image(store, f"docker-archive:{path}", f"docker://{name}:a", registry=reg)
    assert _ids_in_store(store) == set()
    # registry -> OCI layout directory -> registry
    copy_image(store, f"docker://{name}:a", f"oci:{tmp_path / 'layout'}:v1", registry=reg)
    index = json.loads((tmp_path / "layout" / "index.json").read_text())
    assert index["manifests"][0]["annotations"]["org.opencontainers.image.ref.name"] == "v1"
    copy_image(store, f"oci:{tmp_path / 'layout'}:v1", f"docker://{name}:b", registry=reg)
    # registry -> docker archive, readable by load
    copy_image(store, f"docker://{name}:b", f"docker-archive:{tmp_path / 'out.tar'}:x/y:2",
               registry=reg)  # fmt: skip
    assert _archive_config_ids(tmp_path / "out.tar") == {image_id}
    assert _ids_in_store(store) == set()
    # docker archive -> store, named; store -> OCI archive -> store under another name
    summary = copy_image(store, f"docker-archive:{tmp_path / 'out.tar'}", "dockyard:in/one:1",
                         registry=reg)  # fmt: skip
    assert summary.endswith(image_id)
    assert store.reference_store.get("in/one:1") == image_id
    copy_image(store, "dockyard:in/one:1", f"oci-archive:{tmp_path / 'o.tar'}:v2", registry=reg)
    other = dockyard.open(tmp_path / "other")
    copy_image(other, f"oci-archive:{tmp_path / 'o.tar'}:v2", "dockyard:in/two:2", registry=reg)
    assert other.reference_store.get("in/two:2") == image_id
    # the registry holds one image under both tags
    pulled = dockyard.open(tmp_path / "pulled")
    copy_image(pulled, f"docker://{name}:b", "dockyard:p/q:1", registry=reg)
    assert pulled.reference_store.get("p/q:1") == image_id
    assert not any((pulled.root / "tmp" / "downloads").glob("[0-9a-f]*")), "downloads removed"


def test_a_failed_copy_leaves_no_output(
    tmp_path: Path, archive: tuple[Path, str], registry: RegistryProcess, repo_name: str,
    reg: RegistryClient,
) -> None:  # fmt: skip
    path, _ = archive
    store = dockyard.open(tmp_path / "store")
    target = tmp_path / "never.tar"
    with pytest.raises(InvalidArgumentError, match="no image named"):
        copy_image(store, f"docker-archive:{path}:no/such:1", f"docker-archive:{target}",
                   registry=reg)  # fmt: skip
    with pytest.raises(dockyard.errors.NotFoundError, match="manifest unknown"):
        copy_image(store, f"docker://{registry.host}/{repo_name}:none",
                   f"docker-archive:{target}", registry=reg)  # fmt: skip
    assert not target.exists()
    assert list(tmp_path.glob("*.tmp")) == []
    assert _ids_in_store(store) == set()


@pytest.mark.parametrize(
    "text",
    ["nope:x", "docker:/x", "docker://", "dockyard:", "oci:", "docker-archive"],
)
def test_bad_endpoints_are_refused(text: str) -> None:
    with pytest.raises(InvalidArgumentError, match="invalid image name"):
        parse_endpoint(text)
