"""Tags and digests through ``client.reference_store`` (moby reference/store.go rules)."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest

import dockyard
from dockyard.digest import Digest, ImageID
from dockyard.errors import (
    ConflictError,
    InvalidDigest,
    InvalidReference,
    NotFoundError,
    ReferenceNotFound,
    TagConflict,
)
from dockyard.reference import DigestConflict, DigestReference, parse_normalized_named
from dockyard.store.facades import Association
from dockyard.store.lock import read_token
from tests.unit.store.helpers import BASE, mode, repositories

ID1 = ImageID(Digest("sha256:" + "1" * 64))
ID2 = ImageID(Digest("sha256:" + "2" * 64))
DGST = "sha256:" + "d" * 64


def _refs(client: dockyard.Client) -> list[str]:
    return [str(a.ref) for a in client.reference_store]


def test_repositories_json_is_written_with_the_first_change(client: dockyard.Client) -> None:
    assert len(client.reference_store) == 0
    assert list(client.reference_store) == []
    assert not client.root.exists(), "reading creates nothing"
    client.layer_store.register(io.BytesIO(BASE))
    assert repositories(client) == b'{"Repositories":{}}'
    assert mode(client.layout.repositories) == 0o600
    assert mode(client.layout.image_dir) == 0o700


def test_add_tag_writes_docker_bytes(client: dockyard.Client) -> None:
    store = client.reference_store
    store.add_tag("busybox", ID1)
    assert repositories(client) == (
        b'{"Repositories":{"busybox":{"busybox:latest":"' + ID1.encode() + b'"}}}'
    )
    assert mode(client.layout.repositories) == 0o600
    assert store.get("busybox") == ID1
    assert store.get("docker.io/library/busybox:latest") == ID1
    assert isinstance(store.get("busybox"), Digest)


def test_spec_example_bytes(client: dockyard.Client) -> None:
    # The example of the specification, with its shortened IDs completed.
    two = "sha256:171186705c45923f69092e292473ccea1aef9567e0a4abf8ffca111c2c51e87b"
    c0ee = "sha256:c0ee" + "0" * 60
    imp = "sha256:06f480b4" + "1" * 56
    for ref, image_id in [
        ("test/imp:v1", imp),
        ("dd:2", c0ee),
        ("localhost:5000/x/y:z", c0ee),
        ("craft/two", two),
        ("dd:1", c0ee),
    ]:
        client.reference_store.add_tag(ref, ImageID(Digest(image_id)))
    expected = (
        '{"Repositories":{"craft/two":{"craft/two:latest":"' + two + '"},'
        '"dd":{"dd:1":"' + c0ee + '","dd:2":"' + c0ee + '"},'
        '"localhost:5000/x/y":{"localhost:5000/x/y:z":"' + c0ee + '"},'
        '"test/imp":{"test/imp:v1":"' + imp + '"}}}'
    )
    assert repositories(client) == expected.encode()


def test_add_tag_refuses_digest_references(client: dockyard.Client) -> None:
    for ref in (f"x@{DGST}", f"x:1@{DGST}"):
        with pytest.raises(InvalidReference) as info:
            client.reference_store.add_tag(ref, ID1)
        assert str(info.value) == "refusing to create a tag with a digest reference"
    assert len(client.reference_store) == 0


def test_digest_algorithm_as_name_is_refused(client: dockyard.Client) -> None:
    store = client.reference_store
    message = "refusing to create an ambiguous tag using digest algorithm as name"
    for call, ref in [
        (store.add_tag, "sha256:abc"),
        (store.add_tag, "sha256"),
        (store.add_digest, f"sha256@{DGST}"),
        (store.add_tag, "docker.io/library/sha256:x"),
    ]:
        with pytest.raises(InvalidReference) as info:
            call(ref, ID1)
        assert str(info.value) == message
    store.add_tag("sha256/x:1", ID1)  # only the familiar name "sha256" is ambiguous
    store.add_tag("example.com/sha256:1", ID1)
    assert len(store) == 2


def test_add_digest_drops_the_tag(client: dockyard.Client) -> None:
    store = client.reference_store
    store.add_digest(f"u/x:1@{DGST}", ID1)
    assert repositories(client) == (
        b'{"Repositories":{"u/x":{"u/x@' + DGST.encode() + b'":"' + ID1.encode() + b'"}}}'
    )
    assert store.get(f"u/x@{DGST}") == ID1
    assert store.get(f"u/x:other@{DGST}") == ID1  # tag+digest looks up the digest
    with pytest.raises(ReferenceNotFound):
        store.get("u/x:1")


def test_add_digest_requires_a_digest(client: dockyard.Client) -> None:
    with pytest.raises(InvalidReference):
        client.reference_store.add_digest("u/x:1", ID1)


def test_same_reference_same_id_is_a_no_op(client: dockyard.Client) -> None:
    store = client.reference_store
    store.add_tag("x:1", ID1)
    store.add_digest(f"x@{DGST}", ID1)
    path = client.layout.repositories
    before = (path.read_bytes(), os.stat(path).st_ino, read_token(client.layout))
    writes, commits = client.stats.repositories_writes, client.stats.commits
    store.add_tag("x:1", ID1)
    store.add_digest(f"x@{DGST}", ID1)
    assert (path.read_bytes(), os.stat(path).st_ino, read_token(client.layout)) == before
    assert (client.stats.repositories_writes, client.stats.commits) == (writes, commits)


def test_digest_is_never_overwritten(client: dockyard.Client) -> None:
    store = client.reference_store
    store.add_digest(f"x@{DGST}", ID1)
    for force in (False, True):
        with pytest.raises(DigestConflict) as info:
            store.add_digest(f"x@{DGST}", ID2, force=force)
        assert str(info.value) == f"cannot overwrite digest {DGST}"
        assert isinstance(info.value, ConflictError)
    assert store.get(f"x@{DGST}") == ID1


def test_existing_tag_needs_force(client: dockyard.Client) -> None:
    store = client.reference_store
    store.add_tag("x:1", ID1)
    with pytest.raises(TagConflict) as info:
        store.add_tag("docker.io/library/x:1", ID2)
    assert str(info.value) == (
        f"tag x:1 is already set to image {ID1}, use the force option to replace it"
    )
    assert info.value.existing_id == ID1
    assert store.get("x:1") == ID1
    store.add_tag("x:1", ID2, force=True)
    assert store.get("x:1") == ID2
    assert store.references(ID1) == []
    assert [str(r) for r in store.references(ID2)] == ["docker.io/library/x:1"]


def test_v20_wording(root: Path) -> None:
    store = dockyard.open(root, compat="v20.10").reference_store
    store.add_tag("x:1", ID1)
    store.add_digest(f"x@{DGST}", ID1)
    with pytest.raises(TagConflict) as info:
        store.add_tag("x:1", ID2)
    assert str(info.value) == (
        f"Conflict: Tag x:1 is already set to image {ID1}, "
        "if you want to replace it, please use the force option"
    )
    with pytest.raises(DigestConflict) as dinfo:
        store.add_digest(f"x@{DGST}", ID2)
    assert str(dinfo.value) == f"Cannot overwrite digest {DGST}"


def test_delete(client: dockyard.Client) -> None:
    store = client.reference_store
    store.add_tag("x", ID1)
    store.add_tag("x:2", ID1)
    store.add_digest(f"x@{DGST}", ID1)
    store.add_tag("y:1", ID2)
    assert store.delete("x") is True  # name-only means :latest
    assert store.delete(f"x:9@{DGST}") is True  # tag+digest deletes the digest
    assert [str(a.ref) for a in store.references_by_name("x")] == ["docker.io/library/x:2"]
    assert store.delete(parse_normalized_named("x:2")) is True
    assert b'"x"' not in repositories(client)  # an emptied repository is removed
    assert repositories(client) == b'{"Repositories":{"y":{"y:1":"' + ID2.encode() + b'"}}}'


@pytest.mark.parametrize("ref", ["x:1", "nothere", "y:2", f"y@{DGST}"])
def test_delete_and_get_missing(client: dockyard.Client, ref: str) -> None:
    store = client.reference_store
    store.add_tag("y:1", ID1)
    before = repositories(client)
    with pytest.raises(ReferenceNotFound) as info:
        store.delete(ref)
    assert str(info.value) == "reference does not exist"
    assert isinstance(info.value, NotFoundError)
    with pytest.raises(ReferenceNotFound) as info:
        store.get(ref)
    assert str(info.value) == "reference does not exist"
    assert repositories(client) == before


def test_references_sorted_by_full_string(client: dockyard.Client) -> None:
    store = client.reference_store
    with client.transaction():  # one commit for all of them
        for ref in ["zeta:1", "m/x:1", "localhost:5000/z:1", "busybox:2", "busybox:10"]:
            store.add_tag(ref, ID1)
        store.add_digest(f"busybox@{DGST}", ID1)
        store.add_tag("other:1", ID2)
    assert [str(r) for r in store.references(ID1)] == [
        "docker.io/library/busybox:10",
        "docker.io/library/busybox:2",
        f"docker.io/library/busybox@{DGST}",
        "docker.io/library/zeta:1",
        "docker.io/m/x:1",
        "localhost:5000/z:1",
    ]
    assert store.references(ImageID(Digest("sha256:" + "9" * 64))) == []


def test_references_by_name(client: dockyard.Client) -> None:
    store = client.reference_store
    with client.transaction():
        store.add_tag("busybox:2", ID2)
        store.add_tag("busybox:1", ID1)
        store.add_digest(f"busybox@{DGST}", ID1)
        store.add_tag("busybox2:1", ID1)
    expected = [
        Association(parse_normalized_named("busybox:1"), ID1),
        Association(parse_normalized_named("busybox:2"), ID2),
        Association(parse_normalized_named(f"busybox@{DGST}"), ID1),
    ]
    assert store.references_by_name("busybox") == expected
    assert store.references_by_name("docker.io/library/busybox:anything") == expected
    assert store.references_by_name(parse_normalized_named("busybox")) == expected
    assert store.references_by_name("nothere") == []
    ref, image_id = expected[0]
    assert (str(ref), image_id) == ("docker.io/library/busybox:1", ID1)


def test_iteration_and_len(client: dockyard.Client) -> None:
    client.reference_store.add_tag("b:1", ID1)
    client.reference_store.add_tag("a:1", ID2)
    assert len(client.reference_store) == 2
    assert [(str(a.ref), a.image_id) for a in client.reference_store] == [
        ("docker.io/library/a:1", ID2),
        ("docker.io/library/b:1", ID1),
    ]


def test_invalid_arguments(client: dockyard.Client) -> None:
    store = client.reference_store
    with pytest.raises(InvalidDigest):
        store.add_tag("x:1", "sha256:nothex")  # type: ignore[arg-type]
    with pytest.raises(InvalidReference):
        store.add_tag("Bad", ID1)
    with pytest.raises(InvalidReference):
        store.get(DigestReference(Digest(DGST)))  # type: ignore[arg-type]
    with pytest.raises(InvalidReference):
        store.get("a" * 64)
    assert len(store) == 0


def test_another_client_sees_changes_at_once(root: Path) -> None:
    first, second = dockyard.open(root), dockyard.open(root)
    first.reference_store.add_tag("x:1", ID1)
    assert second.reference_store.get("x:1") == ID1
    second.reference_store.add_tag("y:1", ID2)
    assert first.reference_store.get("y:1") == ID2
    first.layout.repositories.unlink()
    assert len(second.reference_store) == 0


def test_conflicts_are_checked_against_the_file(root: Path) -> None:
    first, second = dockyard.open(root), dockyard.open(root)
    first.reference_store.add_tag("x:1", ID1)
    with pytest.raises(TagConflict):
        second.reference_store.add_tag("x:1", ID2)
    second.reference_store.add_tag("x:1", ID1)  # same image: no-op, no conflict
    first.reference_store.delete("x:1")
    with pytest.raises(ReferenceNotFound):
        second.reference_store.delete("x:1")


def test_changes_replace_the_change_token(client: dockyard.Client) -> None:
    assert read_token(client.layout) == ""
    client.reference_store.add_tag("x:1", ID1)
    first = read_token(client.layout)
    assert len(first) == 32
    client.reference_store.add_tag("x:1", ID1)  # no-op
    assert read_token(client.layout) == first
    client.reference_store.delete("x:1")
    assert read_token(client.layout) not in ("", first)
