"""The store as an image sink, fed by a source that is not an archive (as a registry would be)."""

from __future__ import annotations

import gzip
import io
import json
from dataclasses import dataclass, field
from pathlib import Path

import pytest

import dockyard
from dockyard.errors import InvalidArchive, NotFoundError
from dockyard.image import Image
from dockyard.layer import StagedLayer
from dockyard.reference import parse_normalized_named
from dockyard.store.staging import Stager
from dockyard.transfer import SourceImage, StoreSink
from tests.hostile.builders import layer_tar, sha


@dataclass
class BlobLayer:
    """A gzip blob, like a registry layer; counts how often it is fetched."""

    blob: bytes
    label: str = "blob"
    fetched: list[str] = field(default_factory=list)

    @property
    def size(self) -> int | None:
        return len(self.blob)

    def check(self) -> None:
        if not self.blob:
            raise NotFoundError("blob unknown to registry")

    def stage(self, staging: Stager) -> StagedLayer:
        self.fetched.append(self.label)
        return staging.stage(io.BytesIO(self.blob))


def _image(tars: list[bytes], layers: list[BlobLayer], tag: str = "") -> SourceImage:
    config = json.dumps({
        "architecture": "amd64", "os": "linux",
        "rootfs": {"type": "layers", "diff_ids": [sha(t) for t in tars]},
    }).encode()  # fmt: skip
    tags = [parse_normalized_named(tag)] if tag else []
    return SourceImage(config, Image.from_json(config), list(layers), tags)


def test_put_reuses_layers_and_tags(tmp_path: Path) -> None:
    client = dockyard.open(tmp_path / "store")
    base, top = layer_tar({"a": b"1"}), layer_tar({"b": b"2"})
    base_blob, top_blob = BlobLayer(gzip.compress(base)), BlobLayer(gzip.compress(top))
    first = _image([base], [base_blob], "remote/base:1")
    second = _image([base, top], [base_blob, top_blob], "remote/app:1")
    with client.staging() as staging:
        sink = StoreSink(client, staging)
        missing = sink.missing([first, second])
        assert missing == [base_blob, top_blob]
        sink.stage(missing)
        with client.transaction() as tx:
            ids = sink.put(tx, [first, second])
        assert ids == [first.id, second.id]
        assert sink.layers_added == 2
        assert base_blob.fetched == ["blob"], "a layer is fetched once"
        with client.transaction() as tx:
            assert sink.tag(tx, second.tags[0], second.id) is None
        with client.transaction() as tx:
            assert sink.tag(tx, parse_normalized_named("remote/app:1"), first.id) == second.id
        again = StoreSink(client, staging)
        assert again.missing([second]) == []
        with client.transaction() as tx:
            again.put(tx, [second])
        assert again.layers_added == 0
    assert client.reference_store.get("remote/app:1") == first.id


def test_put_is_all_or_nothing(tmp_path: Path) -> None:
    client = dockyard.open(tmp_path / "store")
    good, bad = layer_tar({"a": b"1"}), layer_tar({"b": b"2"})
    first = _image([good], [BlobLayer(good)])
    lying = _image([good, bad], [BlobLayer(good), BlobLayer(layer_tar({"c": b"3"}))])
    with (
        pytest.raises(InvalidArchive, match='invalid diffID for layer 1: expected "'),
        client.staging() as staging,
        client.transaction() as tx,
    ):
        StoreSink(client, staging).put(tx, [first, lying])
    assert len(client.image_store) == 0
    assert len(client.layer_store) == 0
    assert list((client.root / "dockyard").iterdir()) == []
    assert list((client.root / "tmp").iterdir()) == []


def test_missing_checks_availability(tmp_path: Path) -> None:
    client = dockyard.open(tmp_path / "store")
    tar = layer_tar({"a": b"1"})
    with pytest.raises(NotFoundError, match="blob unknown"), client.staging() as staging:
        StoreSink(client, staging).missing([_image([tar], [BlobLayer(b"")])])
