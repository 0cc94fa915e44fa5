"""The repositories.json files real Docker daemons wrote, loaded and re-created byte for byte."""

from __future__ import annotations

import random
import tarfile
from pathlib import Path

import pytest

from dockyard.digest import Digest, ImageID
from dockyard.reference import ReferenceStore

SHARED = Path(__file__).resolve().parents[3] / ".." / "shared"
VERSIONS = ["docker-20.10", "docker-28.3"]


def _oracle_bytes(version: str) -> bytes:
    archive = SHARED / "oracle" / version / "docker-root-image.tar"
    if not archive.is_file():
        pytest.skip(f"oracle archive for {version} is not available")
    with tarfile.open(archive) as tar:
        members = [m for m in tar.getmembers() if m.name.endswith("repositories.json")]
        assert len(members) == 1, [m.name for m in members]
        handle = tar.extractfile(members[0])
        assert handle is not None
        return handle.read()


@pytest.fixture(params=VERSIONS)
def oracle(request: pytest.FixtureRequest) -> bytes:
    return _oracle_bytes(request.param)


def test_load_and_save_gives_identical_bytes(oracle: bytes, tmp_path: Path) -> None:
    path = tmp_path / "repositories.json"
    path.write_bytes(oracle)
    store = ReferenceStore(path)
    assert len(store) == 7
    # Force two real saves: add a tag, then remove it again.
    store.add_tag("dockyard/probe:1", next(iter(store)).image_id)
    assert path.read_bytes() != oracle
    store.delete("dockyard/probe:1")
    assert path.read_bytes() == oracle


def test_recreating_the_tags_in_any_order_gives_identical_bytes(
    oracle: bytes, tmp_path: Path
) -> None:
    loaded = ReferenceStore(tmp_path / "loaded" / "repositories.json")
    (tmp_path / "loaded" / "repositories.json").write_bytes(oracle)
    loaded.reload()
    associations = list(loaded)
    for seed in range(3):
        random.Random(seed).shuffle(associations)
        path = tmp_path / f"fresh{seed}" / "repositories.json"
        fresh = ReferenceStore(path)
        for ref, image_id in associations:
            fresh.add_tag(ref.familiar_string(), image_id)
        assert path.read_bytes() == oracle


def test_oracle_view_through_the_api(oracle: bytes, tmp_path: Path) -> None:
    path = tmp_path / "repositories.json"
    path.write_bytes(oracle)
    store = ReferenceStore(path)
    app = store.get("oracle/app:1")
    assert store.get("oracle/app") == app
    assert store.get("registry.example.com:5000/team/app:v1") == app
    assert [str(r) for r in store.references(app)] == [
        "docker.io/oracle/app:1",
        "docker.io/oracle/app:latest",
        "registry.example.com:5000/team/app:v1",
    ]
    assert [a.ref.familiar_string() for a in store.references_by_name("oracle/base")] == [
        "oracle/base:1",
        "oracle/base:latest",
    ]
    assert isinstance(store.get("oracle/scratch:1"), Digest)
    assert store.references(ImageID(Digest("sha256:" + "0" * 64))) == []
