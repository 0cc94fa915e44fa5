"""docker image prune and system df."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

import dockyard
from dockyard.errors import InvalidArgumentError
from dockyard.service.filters import InvalidFilter
from dockyard.service.prune import disk_usage, prune_images
from tests.unit.service.builder import Builder, chains


def test_prune_dangling_only(svc: dockyard.Client, build: Builder):
    kept = build.image([{"k": b"kk"}], tags=("kept:1",))
    gone = build.image([{"g": b"ggg"}])
    (chain,) = chains(svc, gone)
    size = svc.layer_store.map()[chain].diff_size
    report = prune_images(svc)
    assert [str(e) for e in report.deleted] == [f"Deleted: {gone}", f"Deleted: {chain}"]
    assert report.space_reclaimed == size == 3
    assert kept in svc.image_store
    assert report.to_api()["ImagesDeleted"] == [{"Deleted": gone}, {"Deleted": chain}]
    assert prune_images(svc).to_api() == {"ImagesDeleted": None, "SpaceReclaimed": 0}


def test_prune_keeps_intermediates_but_prunes_them_with_their_child(
    svc: dockyard.Client, build: Builder
):
    parent = build.image([{"a": b"a"}])
    child = build.image([{"a": b"a"}, {"b": b"b"}], parent=parent)
    report = prune_images(svc)
    deleted = [e.deleted for e in report.deleted]
    assert deleted[0] == child
    assert parent in deleted
    assert len(svc.image_store) == 0


def test_prune_all_untags_then_deletes(svc: dockyard.Client, build: Builder):
    image_id = build.image([{"a": b"a"}], tags=("app:1", "app:2"))
    report = prune_images(svc, all=True)
    texts = [str(e) for e in report.deleted]
    assert texts[:3] == ["Untagged: app:1", "Untagged: app:2", f"Deleted: {image_id}"]
    assert report.space_reclaimed > 0


def test_prune_filters(svc: dockyard.Client, build: Builder):
    old = build.image([{"o": b"o"}], created="2020-01-01T00:00:00Z", labels={"keep": "no"})
    new = build.image([{"n": b"n"}], created="2026-01-01T00:00:00Z", labels={"keep": "yes"})
    now = datetime(2026, 1, 2, tzinfo=UTC)
    report = prune_images(svc, filters={"until": "48h"}, now=now)
    assert next(e.deleted for e in report.deleted) == old
    assert new in svc.image_store
    assert prune_images(svc, filters={"label!": "keep=yes"}).deleted == ()
    assert prune_images(svc, filters={"label": "keep=yes"}).deleted[0].deleted == new
    with pytest.raises(InvalidFilter, match=r"^invalid filter 'reference'$"):
        prune_images(svc, filters={"reference": "x"})
    with pytest.raises(InvalidArgumentError, match=r"^more than one until filter specified$"):
        prune_images(svc, filters={"until": ["1h", "2h"]})
    with pytest.raises(InvalidFilter, match=r"^invalid filter 'dangling=\[false true\]'$"):
        prune_images(svc, all=True, filters={"dangling": True})


def test_disk_usage(svc: dockyard.Client, build: Builder):
    base = build.image([{"a": b"a" * 100}], tags=("base:1",))
    build.image([{"a": b"a" * 100}, {"b": b"b"}], parent=base, tags=("app:1",))
    usage = disk_usage(svc)
    assert usage.total_count == 2
    assert usage.active == 0
    layers = svc.layer_store.map()
    assert usage.size == sum(i.diff_size for i in layers.values())
    assert usage.reclaimable == usage.size
    shared = layers[chains(svc, base)[0]].diff_size
    assert {s.shared_size for s in usage.images} == {shared}
