"""docker tag / docker rmi: Docker's Untagged/Deleted sequences and conflict messages."""

from __future__ import annotations

import pytest

import dockyard
from dockyard.errors import ConflictError, ImageNotFound, InvalidReference
from dockyard.service.lookup import short_id
from dockyard.service.tags import ImageConflict, RemoveEvent, remove_image, tag_image
from tests.unit.service.builder import Builder, chains

BASE = [{"a": b"a"}]
CHILD = [{"a": b"a"}, {"b": b"b"}]


def lines(events: list[RemoveEvent]) -> list[str]:
    return [str(e) for e in events]


def test_remove_by_tag_only_untags_while_other_tags_remain(svc: dockyard.Client, build: Builder):
    image_id = build.image(BASE, tags=("app:1", "app:2"))
    assert lines(remove_image(svc, "app:1")) == ["Untagged: app:1"]
    assert image_id in svc.image_store
    assert [r.familiar_string() for r in svc.reference_store.references(image_id)] == ["app:2"]


def test_remove_last_tag_deletes_image_and_layers(svc: dockyard.Client, build: Builder):
    image_id = build.image(BASE, tags=("app",))
    (chain,) = chains(svc, image_id)
    events = remove_image(svc, "app")
    assert lines(events) == ["Untagged: app:latest", f"Deleted: {image_id}", f"Deleted: {chain}"]
    assert image_id not in svc.image_store
    assert chain not in svc.layer_store
    assert events[0].to_api() == {"Untagged": "app:latest"}
    assert events[1].to_api() == {"Deleted": image_id}


def test_remove_by_id_with_tags_in_one_repository_untags_all(svc: dockyard.Client, build: Builder):
    image_id = build.image(BASE, tags=("app:1",))
    events = remove_image(svc, image_id.hex[:5])
    assert lines(events)[:2] == ["Untagged: app:1", f"Deleted: {image_id}"]


def test_remove_by_id_referenced_in_several_repositories_must_be_forced(
    svc: dockyard.Client, build: Builder
):
    image_id = build.image(BASE, tags=("one:1", "two:1"))
    with pytest.raises(ImageConflict) as info:
        remove_image(svc, str(image_id))
    assert str(info.value) == (
        f"conflict: unable to delete {image_id.hex[:12]} (must be forced) - "
        "image is referenced in multiple repositories"
    )
    assert not info.value.hard
    assert isinstance(info.value, ConflictError)
    events = remove_image(svc, str(image_id), force=True)
    assert lines(events)[:3] == ["Untagged: one:1", "Untagged: two:1", f"Deleted: {image_id}"]


def test_two_tags_of_one_repository_by_id_also_need_force(svc: dockyard.Client, build: Builder):
    image_id = build.image(BASE, tags=("app:1", "app:2"))
    with pytest.raises(ImageConflict, match="must be forced"):
        remove_image(svc, image_id.hex)


def test_image_with_children_cannot_be_deleted_by_id(svc: dockyard.Client, build: Builder):
    parent = build.image(BASE)
    build.image(CHILD, parent=parent, tags=("child:1",))
    for force in (False, True):
        with pytest.raises(ImageConflict) as info:
            remove_image(svc, parent.hex[:12], force=force)
        assert str(info.value) == (
            f"conflict: unable to delete {short_id(parent)} (cannot be forced) - "
            "image has dependent child images"
        )
        assert info.value.hard


def test_tagged_parent_with_children_by_id_is_refused_before_untagging(
    svc: dockyard.Client, build: Builder
):
    parent = build.image(BASE, tags=("base:1",))
    build.image(CHILD, parent=parent)
    with pytest.raises(ImageConflict, match="cannot be forced"):
        remove_image(svc, str(parent))
    assert svc.reference_store.references(parent)


def test_untagging_last_tag_of_parent_keeps_the_image(svc: dockyard.Client, build: Builder):
    parent = build.image(BASE, tags=("base:1",))
    build.image(CHILD, parent=parent, tags=("child:1",))
    assert lines(remove_image(svc, "base:1")) == ["Untagged: base:1"]
    assert parent in svc.image_store


def test_deleting_child_prunes_untagged_parent(svc: dockyard.Client, build: Builder):
    parent = build.image(BASE)
    child = build.image(CHILD, parent=parent, tags=("child:1",))
    child_chains = chains(svc, child)
    events = remove_image(svc, "child:1")
    assert lines(events) == [
        "Untagged: child:1",
        f"Deleted: {child}",
        f"Deleted: {child_chains[1]}",
        f"Deleted: {parent}",
        f"Deleted: {child_chains[0]}",
    ]
    assert len(svc.image_store) == 0
    assert len(svc.layer_store) == 0


def test_no_prune_keeps_untagged_parent(svc: dockyard.Client, build: Builder):
    parent = build.image(BASE)
    child = build.image(CHILD, parent=parent, tags=("child:1",))
    top = chains(svc, child)[1]
    events = remove_image(svc, "child:1", prune=False)
    assert lines(events) == ["Untagged: child:1", f"Deleted: {child}", f"Deleted: {top}"]
    assert parent in svc.image_store
    assert svc.image_store.children(parent) == []


def test_prune_stops_at_tagged_or_shared_parent(svc: dockyard.Client, build: Builder):
    grand = build.image(BASE, tags=("base:1",))
    parent = build.image(CHILD, parent=grand)
    sibling = build.image([*CHILD, {"s": b"s"}], parent=parent, tags=("sib:1",))
    child = build.image([*CHILD, {"c": b"c"}], parent=parent, tags=("child:1",))
    events = remove_image(svc, "child:1")
    assert next(e.deleted for e in events if e.deleted) == child
    assert parent in svc.image_store  # still the parent of sibling
    assert sibling in svc.image_store
    remove_image(svc, "sib:1")
    assert parent not in svc.image_store  # pruned with its last child
    assert grand in svc.image_store  # tagged: kept


def test_remove_digest_references_of_repository_with_last_tag(svc: dockyard.Client, build: Builder):
    image_id = build.image(BASE, tags=("app:1", "other:1"))
    digest = "sha256:" + "d" * 64
    svc.reference_store.add_digest(f"app@{digest}", image_id)
    events = remove_image(svc, "app:1")
    assert lines(events) == ["Untagged: app:1", f"Untagged: app@{digest}"]
    assert image_id in svc.image_store


def test_remove_unknown_and_invalid(svc: dockyard.Client, build: Builder):
    build.image(BASE)
    with pytest.raises(ImageNotFound, match=r"^No such image: nothing:latest$"):
        remove_image(svc, "nothing")
    with pytest.raises(InvalidReference):
        remove_image(svc, "UPPER")


def test_tag_image_moves_tags_and_sets_last_updated(svc: dockyard.Client, build: Builder):
    first = build.image(BASE)
    second = build.image(CHILD)
    assert svc.image_store.get_last_updated(first) is None
    ref = tag_image(svc, first.hex[:8], "app")
    assert ref.familiar_string() == "app:latest"
    assert svc.reference_store.get("app:latest") == first
    assert svc.image_store.get_last_updated(first) is not None
    tag_image(svc, str(second), "app:latest")  # Docker moves an existing tag silently
    assert svc.reference_store.get("app") == second


@pytest.mark.parametrize(
    ("source", "target", "message"),
    [
        ("app", "x@sha256:" + "a" * 64, "refusing to create a tag with a digest reference"),
        ("app", "sha256:1", "refusing to create an ambiguous tag using digest algorithm as name"),
        (
            "app",
            "Bad",
            'Error parsing reference: "Bad" is not a valid repository/tag: '
            "invalid reference format: repository name (library/Bad) must be lowercase",
        ),
    ],
)
def test_tag_image_errors(svc: dockyard.Client, build: Builder, source, target, message):
    build.image(BASE, tags=("app",))
    with pytest.raises(InvalidReference) as info:
        tag_image(svc, source, target)
    assert str(info.value) == message


def test_tag_unknown_source(svc: dockyard.Client):
    with pytest.raises(ImageNotFound, match="No such image: ghost:latest"):
        tag_image(svc, "ghost", "app:1")
