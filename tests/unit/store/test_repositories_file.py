"""``repositories.json`` as Docker reads and writes it: Go's leniency, errors, oracle bytes."""

from __future__ import annotations

import random
import tarfile
from pathlib import Path

import pytest

import dockyard
from dockyard.digest import Digest, ImageID
from dockyard.errors import ReferenceNotFound, StorageError, TagConflict
from dockyard.reference import InvalidReferenceStore
from tests.oracle.util import oracle_dir
from tests.unit.store.helpers import repositories

ID1 = "sha256:" + "1" * 64
ID2 = "sha256:" + "2" * 64
VERSIONS = ["docker-20.10", "docker-28.3"]


def _store_with(root: Path, content: bytes) -> dockyard.Client:
    """A store whose only file is a hand-written ``repositories.json``."""
    client = dockyard.open(root)
    client.layout.image_dir.mkdir(parents=True)
    client.layout.repositories.write_bytes(content)
    return client


def _familiar(client: dockyard.Client) -> list[str]:
    return [a.ref.familiar_string() for a in client.reference_store]


def test_unparseable_entries_survive_but_are_not_indexed(root: Path) -> None:
    original = (
        '{"Repositories":{"a<b>":{"Bad Key":"' + ID1 + '","a:1":"' + ID1 + '"},'
        '"x":{"x:1":"not-an-id"},"n":null}}'
    )
    client = _store_with(root, original.encode())
    assert [str(a.ref) for a in client.reference_store] == ["docker.io/library/a:1"]
    with pytest.raises(ReferenceNotFound):
        client.reference_store.get("x:1")
    with pytest.raises(TagConflict):  # the raw entry still occupies the tag
        client.reference_store.add_tag("x:1", ImageID(Digest(ID1)))
    client.reference_store.add_tag("y:1", ImageID(Digest(ID2)))
    assert (
        repositories(client)
        == (
            '{"Repositories":{"a\\u003cb\\u003e":{"Bad Key":"' + ID1 + '","a:1":"' + ID1 + '"},'
            '"n":null,"x":{"x:1":"not-an-id"},"y":{"y:1":"' + ID2 + '"}}}'
        ).encode()
    )
    client.reference_store.add_tag("x:1", ImageID(Digest(ID1)), force=True)
    assert client.reference_store.get("x:1") == ID1


@pytest.mark.parametrize(
    ("content", "visible"),
    [
        ('{"repositories":{"a":{"a:1":"' + ID1 + '"}}}', ["a:1"]),
        ('{"REPOSITORIES":{"a":{"a:1":"' + ID1 + '"}}}', ["a:1"]),
        ('{"Repositories":{"a":{"a:1":"' + ID1 + '"}}} trailing', ["a:1"]),
        ('{"Other":1,"Repositories":{"a":{"a:1":"' + ID1 + '"}}}', ["a:1"]),
        ('{"Repositories":{"a":{"a:1":"' + ID1 + '"}},"repositories":{"b":{"b:1":"' + ID1 + '"}}}',
         ["a:1", "b:1"]),
        ('{"Repositories":{"a":{"a:1":"' + ID1 + '"}},"Repositories":null}', []),
        ('{"Repositories":null}', []),
        ("null", []),
        ('{"Repositories":{"n":null}}', []),
        ('{"Repositories":{"a":{"a:1":null}}}', []),
        ('  \n{"Repositories":{}}', []),
    ],
)  # fmt: skip
def test_go_decoding_leniency(root: Path, content: str, visible: list[str]) -> None:
    client = _store_with(root, content.encode())
    assert _familiar(client) == visible
    assert client.problems == []


def test_null_repository_round_trips(root: Path) -> None:
    client = _store_with(root, b'{"repositories":{"n":null}}')
    client.reference_store.add_tag("a:1", ImageID(Digest(ID1)))
    assert repositories(client) == (
        b'{"Repositories":{"a":{"a:1":"' + ID1.encode() + b'"},"n":null}}'
    )


@pytest.mark.parametrize("content", [b"", b"{", b"[]", b'{"Repositories":{"a":1}}', b"NaN"])
def test_unreadable_file_is_a_typed_error(root: Path, content: bytes) -> None:
    client = _store_with(root, content)
    with pytest.raises(InvalidReferenceStore) as info:
        len(client.reference_store)
    assert str(client.layout.repositories) in str(info.value)
    with pytest.raises(InvalidReferenceStore):
        client.reference_store.add_tag("x:1", ImageID(Digest(ID1)))
    assert repositories(client) == content  # never overwritten


def test_directory_in_place_of_the_file_is_a_storage_error(root: Path) -> None:
    client = dockyard.open(root)
    client.layout.repositories.mkdir(parents=True)
    with pytest.raises(StorageError):
        len(client.reference_store)
    with pytest.raises(StorageError):
        client.reference_store.add_tag("x:1", ImageID(Digest(ID1)))


# --- what real Docker daemons wrote -----------------------------------------------------


def _oracle_bytes(version: str) -> bytes:
    with tarfile.open(oracle_dir(version) / "docker-root-image.tar") as tar:
        members = [m for m in tar.getmembers() if m.name.endswith("repositories.json")]
        assert len(members) == 1, [m.name for m in members]
        handle = tar.extractfile(members[0])
        assert handle is not None
        return handle.read()


@pytest.fixture(params=VERSIONS)
def oracle(request: pytest.FixtureRequest) -> bytes:
    return _oracle_bytes(request.param)


def test_load_and_save_gives_identical_bytes(oracle: bytes, root: Path) -> None:
    client = _store_with(root, oracle)
    assert len(client.reference_store) == 7
    first = next(iter(client.reference_store)).image_id
    client.reference_store.add_tag("dockyard/probe:1", first)
    assert repositories(client) != oracle
    client.reference_store.delete("dockyard/probe:1")
    assert repositories(client) == oracle


def test_recreating_the_tags_in_any_order_gives_identical_bytes(
    oracle: bytes, tmp_path: Path
) -> None:
    associations = list(_store_with(tmp_path / "loaded", oracle).reference_store)
    for seed in range(3):
        random.Random(seed).shuffle(associations)
        fresh = dockyard.open(tmp_path / f"fresh{seed}")
        with fresh.transaction():
            for ref, image_id in associations:
                fresh.reference_store.add_tag(ref.familiar_string(), image_id)
        assert repositories(fresh) == oracle


def test_oracle_view_through_the_api(oracle: bytes, root: Path) -> None:
    store = _store_with(root, oracle).reference_store
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


def test_hand_edit_with_dockers_bytes_is_seen(oracle: bytes, root: Path) -> None:
    client = dockyard.open(root)
    client.reference_store.add_tag("mine:1", ImageID(Digest(ID1)))
    assert _familiar(client) == ["mine:1"]
    client.layout.repositories.write_bytes(oracle)  # in place, as `cp` does
    assert len(client.reference_store) == 7
    assert client.reference_store.get("oracle/app:1")
    with pytest.raises(ReferenceNotFound):
        client.reference_store.get("mine:1")
