"""ReferenceStore semantics and exact errors (moby reference/store.go)."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from dockyard.digest import Digest, ImageID
from dockyard.errors import (
    ConflictError,
    InvalidDigest,
    InvalidReference,
    NotFoundError,
    ReferenceNotFound,
    StorageError,
    TagConflict,
)
from dockyard.reference import (
    Association,
    DigestConflict,
    DigestReference,
    InvalidReferenceStore,
    ReferenceStore,
    parse_normalized_named,
)

ID1 = ImageID(Digest("sha256:" + "1" * 64))
ID2 = ImageID(Digest("sha256:" + "2" * 64))
DGST = "sha256:" + "d" * 64


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "image" / "vfs" / "repositories.json"


@pytest.fixture
def store(path: Path) -> ReferenceStore:
    return ReferenceStore(path)


def _mode(p: Path) -> int:
    return stat.S_IMODE(os.stat(p).st_mode)


def _generation(path: Path) -> bytes:
    gen = path.parent / ".generation"
    return gen.read_bytes() if gen.exists() else b""


def test_missing_file_is_created_empty(path: Path) -> None:
    store = ReferenceStore(path)
    assert path.read_bytes() == b'{"Repositories":{}}'
    assert _mode(path) == 0o600
    assert _mode(path.parent) == 0o700
    assert len(store) == 0
    assert list(store) == []


def test_add_tag_writes_docker_bytes(store: ReferenceStore, path: Path) -> None:
    store.add_tag("busybox", ID1)
    assert path.read_bytes() == (
        b'{"Repositories":{"busybox":{"busybox:latest":"' + ID1.encode() + b'"}}}'
    )
    assert _mode(path) == 0o600
    assert store.get("busybox") == ID1
    assert store.get("docker.io/library/busybox:latest") == ID1
    assert isinstance(store.get("busybox"), Digest)


def test_spec_example_bytes(path: Path) -> None:
    # The example of the specification, with its shortened IDs completed.
    two = "sha256:171186705c45923f69092e292473ccea1aef9567e0a4abf8ffca111c2c51e87b"
    c0ee = "sha256:c0ee" + "0" * 60
    imp = "sha256:06f480b4" + "1" * 56
    store = ReferenceStore(path)
    for ref, image_id in [
        ("test/imp:v1", imp),
        ("dd:2", c0ee),
        ("localhost:5000/x/y:z", c0ee),
        ("craft/two", two),
        ("dd:1", c0ee),
    ]:
        store.add_tag(ref, ImageID(Digest(image_id)))
    expected = (
        '{"Repositories":{"craft/two":{"craft/two:latest":"' + two + '"},'
        '"dd":{"dd:1":"' + c0ee + '","dd:2":"' + c0ee + '"},'
        '"localhost:5000/x/y":{"localhost:5000/x/y:z":"' + c0ee + '"},'
        '"test/imp":{"test/imp:v1":"' + imp + '"}}}'
    )
    assert path.read_bytes() == expected.encode()


def test_add_tag_refuses_digest_references(store: ReferenceStore) -> None:
    for ref in (f"x@{DGST}", f"x:1@{DGST}"):
        with pytest.raises(InvalidReference) as info:
            store.add_tag(ref, ID1)
        assert str(info.value) == "refusing to create a tag with a digest reference"
    assert len(store) == 0


def test_digest_algorithm_as_name_is_refused(store: ReferenceStore, path: Path) -> None:
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


def test_add_digest_drops_the_tag(store: ReferenceStore, path: Path) -> None:
    store.add_digest(f"u/x:1@{DGST}", ID1)
    assert path.read_bytes() == (
        b'{"Repositories":{"u/x":{"u/x@' + DGST.encode() + b'":"' + ID1.encode() + b'"}}}'
    )
    assert store.get(f"u/x@{DGST}") == ID1
    assert store.get(f"u/x:other@{DGST}") == ID1  # tag+digest looks up the digest
    with pytest.raises(ReferenceNotFound):
        store.get("u/x:1")


def test_add_digest_requires_a_digest(store: ReferenceStore) -> None:
    with pytest.raises(InvalidReference):
        store.add_digest("u/x:1", ID1)


def test_same_reference_same_id_is_a_no_op(store: ReferenceStore, path: Path) -> None:
    store.add_tag("x:1", ID1)
    store.add_digest(f"x@{DGST}", ID1)
    before = (path.read_bytes(), os.stat(path).st_ino, _generation(path))
    store.add_tag("x:1", ID1)
    store.add_digest(f"x@{DGST}", ID1)
    assert (path.read_bytes(), os.stat(path).st_ino, _generation(path)) == before


def test_digest_is_never_overwritten(store: ReferenceStore) -> None:
    store.add_digest(f"x@{DGST}", ID1)
    for force in (False, True):
        with pytest.raises(DigestConflict) as info:
            store.add_digest(f"x@{DGST}", ID2, force=force)
        assert str(info.value) == f"cannot overwrite digest {DGST}"
        assert isinstance(info.value, ConflictError)
    assert store.get(f"x@{DGST}") == ID1


def test_existing_tag_needs_force(store: ReferenceStore) -> None:
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


def test_v20_wording(path: Path) -> None:
    store = ReferenceStore(path, compat="v20.10")
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


def test_delete(store: ReferenceStore, path: Path) -> None:
    store.add_tag("x", ID1)
    store.add_tag("x:2", ID1)
    store.add_digest(f"x@{DGST}", ID1)
    store.add_tag("y:1", ID2)
    assert store.delete("x") is True  # name-only means :latest
    assert store.delete(f"x:9@{DGST}") is True  # tag+digest deletes the digest
    assert [str(a.ref) for a in store.references_by_name("x")] == ["docker.io/library/x:2"]
    assert store.delete(parse_normalized_named("x:2")) is True
    assert b'"x"' not in path.read_bytes()  # emptied repository is removed
    assert path.read_bytes() == (b'{"Repositories":{"y":{"y:1":"' + ID2.encode() + b'"}}}')


@pytest.mark.parametrize("ref", ["x:1", "nothere", "y:2", f"y@{DGST}"])
def test_delete_and_get_missing(store: ReferenceStore, ref: str) -> None:
    store.add_tag("y:1", ID1)
    with pytest.raises(ReferenceNotFound) as info:
        store.delete(ref)
    assert str(info.value) == "reference does not exist"
    assert isinstance(info.value, NotFoundError)
    with pytest.raises(ReferenceNotFound) as info:
        store.get(ref)
    assert str(info.value) == "reference does not exist"


def test_references_sorted_by_full_string(store: ReferenceStore) -> None:
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


def test_references_by_name(store: ReferenceStore) -> None:
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


def test_iteration_and_len(store: ReferenceStore) -> None:
    store.add_tag("b:1", ID1)
    store.add_tag("a:1", ID2)
    assert len(store) == 2
    assert [(str(a.ref), a.image_id) for a in store] == [
        ("docker.io/library/a:1", ID2),
        ("docker.io/library/b:1", ID1),
    ]


def test_invalid_arguments(store: ReferenceStore) -> None:
    with pytest.raises(InvalidDigest):
        store.add_tag("x:1", "sha256:nothex")  # type: ignore[arg-type]
    with pytest.raises(InvalidReference):
        store.add_tag("Bad", ID1)
    with pytest.raises(InvalidReference):
        store.get(DigestReference(Digest(DGST)))  # type: ignore[arg-type]
    with pytest.raises(InvalidReference):
        store.get("a" * 64)
    assert len(store) == 0


def test_unparseable_entries_survive_but_are_not_indexed(path: Path) -> None:
    path.parent.mkdir(parents=True)
    original = (
        '{"Repositories":{"a<b>":{"Bad Key":"' + ID1 + '","a:1":"' + ID1 + '"},'
        '"x":{"x:1":"not-an-id"},"n":null}}'
    )
    path.write_text(original)
    store = ReferenceStore(path)
    assert [str(a.ref) for a in store] == ["docker.io/library/a:1"]
    with pytest.raises(ReferenceNotFound):
        store.get("x:1")
    with pytest.raises(TagConflict):  # the raw entry still occupies the tag
        store.add_tag("x:1", ID1)
    store.add_tag("y:1", ID2)
    assert (
        path.read_bytes()
        == (
            '{"Repositories":{"a\\u003cb\\u003e":{"Bad Key":"' + ID1 + '","a:1":"' + ID1 + '"},'
            '"n":null,"x":{"x:1":"not-an-id"},"y":{"y:1":"' + ID2 + '"}}}'
        ).encode()
    )
    store.add_tag("x:1", ID1, force=True)
    assert store.get("x:1") == ID1


@pytest.mark.parametrize("content", [b"", b"{", b"[]", b'{"Repositories":{"a":1}}'])
def test_unreadable_file_is_a_typed_error(path: Path, content: bytes) -> None:
    path.parent.mkdir(parents=True)
    path.write_bytes(content)
    with pytest.raises(InvalidReferenceStore) as info:
        ReferenceStore(path)
    assert str(path) in str(info.value)
    assert path.read_bytes() == content  # never overwritten


def test_directory_in_place_of_file_is_storage_error(path: Path) -> None:
    path.mkdir(parents=True)
    with pytest.raises(StorageError):
        ReferenceStore(path)


def test_reload_sees_changes_of_another_store(path: Path) -> None:
    first = ReferenceStore(path)
    second = ReferenceStore(path)
    first.add_tag("x:1", ID1)
    with pytest.raises(ReferenceNotFound):
        second.get("x:1")
    second.reload()
    assert second.get("x:1") == ID1
    path.unlink()
    second.reload()
    assert len(second) == 0


def test_write_failure_keeps_memory_state(
    store: ReferenceStore, path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store.add_tag("x:1", ID1)
    generation = _generation(path)

    def failing_write(target: Path, data: bytes, mode: int = 0o600) -> None:
        raise StorageError(f"failed to write {target.name}: disk full")

    monkeypatch.setattr("dockyard.reference.store.atomic_write", failing_write)
    with pytest.raises(StorageError):
        store.add_tag("y:1", ID2)
    assert [str(a.ref) for a in store] == ["docker.io/library/x:1"]
    assert b"y:1" not in path.read_bytes()
    assert _generation(path) == generation
