"""docker images: visibility, filters, order, rows."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

import dockyard
from dockyard.errors import ImageNotFound, InvalidArgumentError
from dockyard.service.filters import InvalidFilter, PatternError
from dockyard.service.images import image_rows, list_images
from tests.unit.service.builder import Builder


@pytest.fixture
def family(svc: dockyard.Client, build: Builder) -> dict[str, str]:
    base = build.image([{"a": b"a"}], created="2026-01-01T00:00:00Z", tags=("base:1",))
    mid = build.image(
        [{"a": b"a"}, {"m": b"mm"}],
        created="2026-01-02T00:00:00Z",
        parent=base,
        labels={"role": "mid"},
    )
    app = build.image(
        [{"a": b"a"}, {"m": b"mm"}, {"x": b"xxx"}],
        created="2026-01-03T00:00:00Z",
        parent=mid,
        tags=("team/app:1", "team/app:2", "localhost:5000/app:v1"),
        labels={"role": "app"},
    )
    dangling = build.image([{"d": b"d"}], created="2026-01-04T00:00:00Z")
    return {"base": base, "mid": mid, "app": app, "dangling": dangling}


def ids(summaries) -> list[str]:
    return [str(s.id) for s in summaries]


def test_default_hides_intermediates_and_sorts_newest_first(svc, family):
    assert ids(list_images(svc)) == [family["dangling"], family["app"], family["base"]]
    assert ids(list_images(svc, all=True)) == [
        family["dangling"],
        family["app"],
        family["mid"],
        family["base"],
    ]


def test_summary_fields(svc, family):
    by_id = {s.id: s for s in list_images(svc, all=True)}
    app = by_id[family["app"]]
    assert app.repo_tags == ("team/app:1", "team/app:2", "localhost:5000/app:v1")
    assert app.repo_digests == ()
    assert app.parent_id == family["mid"]
    assert app.created == int(datetime(2026, 1, 3, tzinfo=UTC).timestamp())
    assert app.labels == {"role": "app"}
    assert app.containers == -1
    assert app.shared_size == -1
    assert app.size > by_id[family["mid"]].size > by_id[family["base"]].size > 0
    api = app.to_api()
    assert api["Id"] == family["app"]
    assert api["RepoTags"][0] == "team/app:1"
    assert by_id[family["dangling"]].to_api()["RepoTags"] == []


def test_dangling_filter(svc, family):
    assert ids(list_images(svc, filters={"dangling": True})) == [family["dangling"]]
    assert ids(list_images(svc, filters={"dangling": "false"})) == [family["app"], family["base"]]
    with pytest.raises(InvalidFilter, match=r"^invalid filter 'dangling=\[maybe\]'$"):
        list_images(svc, filters={"dangling": "maybe"})
    with pytest.raises(InvalidFilter, match=r"^invalid filter 'colour'$"):
        list_images(svc, filters={"colour": "red"})


def test_label_filter(svc, family):
    assert ids(list_images(svc, all=True, filters={"label": "role"})) == [
        family["app"],
        family["mid"],
    ]
    assert ids(list_images(svc, all=True, filters={"label": "role=mid"})) == [family["mid"]]
    assert ids(list_images(svc, filters={"label": ["role", "nope"]})) == []


def test_before_since_until(svc, family):
    assert ids(list_images(svc, filters={"before": "team/app:1"})) == [family["base"]]
    assert ids(list_images(svc, filters={"since": "base:1"})) == [family["dangling"], family["app"]]
    assert ids(list_images(svc, filters={"until": "2026-01-02T12:00:00Z"})) == [family["base"]]
    now = datetime(2026, 1, 4, 12, tzinfo=UTC)
    assert ids(list_images(svc, filters={"until": "12h"}, now=now)) == [
        family["app"],
        family["base"],
    ]
    with pytest.raises(ImageNotFound, match="No such image: ghost:latest"):
        list_images(svc, filters={"before": "ghost"})
    with pytest.raises(InvalidArgumentError):
        list_images(svc, filters={"until": "yesterday"})


def test_reference_filter(svc, family):
    (app,) = list_images(svc, filters={"reference": "team/*"})
    assert app.repo_tags == ("team/app:1", "team/app:2")
    (app,) = list_images(svc, filters={"reference": "*/app:1"})
    assert app.repo_tags == ("team/app:1",)
    (app,) = list_images(svc, filters={"reference": ["base", "localhost:5000/*"]})[:1]
    assert app.repo_tags == ("localhost:5000/app:v1",)
    assert ids(list_images(svc, filters={"reference": "nothing"})) == []
    with pytest.raises(PatternError, match=r"^syntax error in pattern$"):
        list_images(svc, filters={"reference": "["})


def test_rows(svc, family, build: Builder):
    digest = "sha256:" + "e" * 64
    svc.reference_store.add_digest(f"team/app@{digest}", family["app"])
    svc.reference_store.add_digest(f"only/digest@{digest}", family["base"])
    rows = image_rows(list_images(svc))
    table = [(r.repository, r.tag, r.digest) for r in rows]
    assert table == [
        ("<none>", "<none>", "<none>"),
        ("localhost:5000/app", "v1", "<none>"),
        ("team/app", "1", "<none>"),
        ("team/app", "2", "<none>"),
        ("base", "1", "<none>"),
        ("only/digest", "<none>", ""),
    ]
    table = [(r.repository, r.tag, r.digest) for r in image_rows(list_images(svc), digests=True)]
    assert ("team/app", "1", digest) in table
    assert ("only/digest", "<none>", digest) in table
    assert rows[1].id == family["app"]
    assert rows[1].containers == -1


def test_digest_only_image_counts_as_dangling_for_filter(svc, build: Builder):
    image_id = build.image([{"q": b"q"}])
    svc.reference_store.add_digest("r@sha256:" + "a" * 64, image_id)
    assert ids(list_images(svc, filters={"dangling": True})) == [image_id]
