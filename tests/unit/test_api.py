"""The docker-py-shaped API: client.images and Image objects."""

from __future__ import annotations

import sys
import types
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import dockyard
from dockyard.api import DEFAULT_CHUNK_SIZE, Image, ImageCollection, images_of
from dockyard.errors import ImageNotFound, InvalidArgumentError, InvalidReference
from dockyard.service.tags import ImageConflict
from tests.unit.service.builder import Builder


@pytest.fixture
def client(tmp_path: Path) -> Iterator[dockyard.Client]:
    c = dockyard.open(tmp_path / "store")
    yield c
    c.close()


@pytest.fixture
def images(client: dockyard.Client) -> ImageCollection:
    return images_of(client)


def test_get_and_image_properties(client: dockyard.Client, images: ImageCollection):
    image_id = Builder(client).image([{"a": b"a"}], tags=("app:1",), labels={"x": "y"})
    img = images.get("app:1")
    assert isinstance(img, Image)
    assert img.id == image_id
    assert img.short_id == "sha256:" + image_id.hex[:12]
    assert img.tags == ["app:1"]
    assert img.labels == {"x": "y"}
    assert img.attrs["Id"] == image_id
    assert img == images.get(image_id.hex[:6])
    assert hash(img) == hash(images.get(str(image_id)))
    assert repr(img) == "<Image: 'app:1'>"
    assert images_of(client, api_version="v1.41").get("app:1").attrs["VirtualSize"] > 0
    with pytest.raises(ImageNotFound, match="No such image: nope:latest"):
        images.get("nope")


def test_tag_reload_history(client: dockyard.Client, images: ImageCollection):
    Builder(client).image([{"a": b"a"}], tags=("app:1",))
    img = images.get("app:1")
    assert img.tag("mirror/app") is True
    assert img.tag("other/app:ignored", tag="2") is True
    img.reload()
    assert img.tags == ["app:1", "mirror/app:latest", "other/app:2"]
    (row,) = img.history()
    assert row["Id"] == img.id
    assert row["Tags"] == img.tags
    with pytest.raises(InvalidReference):
        img.tag("Bad")


def test_list_with_name_and_filters(client: dockyard.Client, images: ImageCollection):
    b = Builder(client)
    one = b.image([{"a": b"a"}], tags=("team/one:1",), created="2026-01-01T00:00:00Z")
    two = b.image([{"b": b"b"}], tags=("team/two:1",), created="2026-01-02T00:00:00Z")
    dangling = b.image([{"c": b"c"}], created="2026-01-03T00:00:00Z")
    assert [i.id for i in images.list()] == [dangling, two, one]
    assert [i.id for i in images.list(name="team/o*")] == [one]
    assert [i.id for i in images.list(filters={"dangling": True})] == [dangling]
    assert [i.id for i in images.list(all=True, filters={"before": "team/two:1"})] == [one]


def test_remove_and_prune(client: dockyard.Client, images: ImageCollection):
    b = Builder(client)
    image_id = b.image([{"a": b"a"}], tags=("one:1", "two:1"))
    with pytest.raises(ImageConflict):
        images.remove(image_id.hex)
    result = images.remove("one:1")
    assert result == [{"Untagged": "one:1"}]
    result = images.remove("two:1", noprune=True)
    assert result[:2] == [{"Untagged": "two:1"}, {"Deleted": image_id}]
    gone = b.image([{"z": b"z"}])
    pruned = images.prune()
    assert pruned["ImagesDeleted"][0] == {"Deleted": gone}
    assert pruned["SpaceReclaimed"] == 1
    assert images.prune() == {"ImagesDeleted": None, "SpaceReclaimed": 0}


def test_save_streams_chunks_from_a_spool(
    client: dockyard.Client, images: ImageCollection, monkeypatch: pytest.MonkeyPatch
):
    Builder(client).image([{"a": b"a"}], tags=("app:1", "app:2"))
    calls: list[tuple[list[str], Any]] = []

    def fake_save(c: dockyard.Client, names: list[str], output: Any) -> None:
        assert c is client
        calls.append((names, output))
        output.write(b"x" * 10)

    module = types.ModuleType("dockyard.archive.save")
    module.save = fake_save  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "dockyard.archive.save", module)
    img = images.get("app:1")
    stream = img.save(chunk_size=4)
    assert calls == []  # nothing happens before the first chunk is asked for
    assert list(stream) == [b"xxxx", b"xxxx", b"xx"]
    assert calls[0][0] == [img.id]
    assert b"".join(img.save(named=True)) == b"x" * 10
    assert calls[1][0] == ["app:1"]
    list(img.save(named="app:2", chunk_size=None))
    assert calls[2][0] == ["app:2"]
    assert not hasattr(calls[0][1], "getvalue")  # a real file, not a BytesIO
    with pytest.raises(InvalidArgumentError, match="nope:1 is not a valid tag for this image"):
        img.save(named="nope:1")
    assert DEFAULT_CHUNK_SIZE == 2097152
