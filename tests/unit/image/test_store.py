"""Image store semantics (moby image/store.go), with a fake layer store and both backends."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from dockyard.content import FSBackend, MemoryBackend
from dockyard.digest import ChainID, DiffID, Digest, ImageID, chain_id, sha256_bytes
from dockyard.errors import (
    AmbiguousID,
    DigestMismatch,
    ImageNotFound,
    InvalidImageConfig,
    LayerNotRetained,
)
from dockyard.gojson import GoTime
from dockyard.image.digestset import DigestSet
from dockyard.image.store import ImageStore, format_local_time


@dataclass
class FakeLayer:
    chain_id: ChainID
    serial: int


@dataclass
class FakeLayers:
    """Counts references like the real layer store, without any data."""

    known: set[ChainID] = field(default_factory=set)
    refs: dict[ChainID, int] = field(default_factory=dict)
    handles: set[int] = field(default_factory=set)
    counter: int = 0

    def get(self, chain: ChainID) -> FakeLayer:
        from dockyard.errors import LayerNotFound

        if chain not in self.known:
            raise LayerNotFound(chain)
        self.counter += 1
        self.handles.add(self.counter)
        self.refs[chain] = self.refs.get(chain, 0) + 1
        return FakeLayer(chain, self.counter)

    def release(self, layer: FakeLayer) -> list[object]:
        if layer.serial not in self.handles:
            raise LayerNotRetained(layer.chain_id)
        self.handles.discard(layer.serial)
        self.refs[layer.chain_id] -= 1
        if self.refs[layer.chain_id] == 0:
            self.known.discard(layer.chain_id)
            return [layer.chain_id]
        return []

    def forget(self, layer: FakeLayer) -> None:
        self.handles.discard(layer.serial)
        self.refs[layer.chain_id] -= 1


def diff(n: int) -> DiffID:
    return DiffID(sha256_bytes(f"layer {n}".encode()))


def config(*layers: int, extra: str = "", history: list[dict[str, object]] | None = None) -> bytes:
    doc: dict[str, object] = {
        "architecture": "amd64",
        "os": "linux",
        "rootfs": {"type": "layers", "diff_ids": [diff(n) for n in layers]},
    }
    if extra:
        doc["comment"] = extra
    if history is not None:
        doc["history"] = history
    return json.dumps(doc).encode()


def chain(*layers: int) -> ChainID:
    result = chain_id([diff(n) for n in layers])
    assert result is not None
    return result


@pytest.fixture(params=["memory", "fs"])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> MemoryBackend | FSBackend:
    if request.param == "memory":
        return MemoryBackend()
    return FSBackend(tmp_path / "imagedb")


@pytest.fixture
def layers() -> FakeLayers:
    fake = FakeLayers()
    fake.known |= {chain(1), chain(1, 2), chain(3)}
    return fake


def test_create_is_hash_of_raw_bytes(backend: MemoryBackend, layers: FakeLayers) -> None:
    store = ImageStore(backend, layers)  # type: ignore[arg-type]
    raw = b'{"rootfs":{"type":"layers","diff_ids":["' + diff(1).encode() + b'"]},  "os":"linux"}'
    image_id = store.create(raw)
    assert image_id == sha256_bytes(raw)
    assert store.get(image_id).raw_json() == raw
    assert layers.refs[chain(1)] == 1
    assert store.create(raw) == image_id
    assert layers.refs[chain(1)] == 1, "creating twice must not take a second reference"
    assert len(store) == 1


def test_create_without_rootfs(backend: MemoryBackend, layers: FakeLayers) -> None:
    store = ImageStore(backend, layers)  # type: ignore[arg-type]
    for raw in [b'{"os":"linux"}', b'{"rootfs":null}', b'{"rootfz":{"type":"layers"}}']:
        with pytest.raises(InvalidImageConfig, match="invalid image JSON, no RootFS key"):
            store.create(raw)
    with pytest.raises(InvalidImageConfig):
        store.create(b"not json")
    assert list(backend.walk()) == []


def test_create_history_check(backend: MemoryBackend, layers: FakeLayers) -> None:
    store = ImageStore(backend, layers)  # type: ignore[arg-type]
    too_many: list[dict[str, object]] = [{"created_by": "a"}, {"created_by": "b"}]
    with pytest.raises(InvalidImageConfig, match="too many non-empty layers in History section"):
        store.create(config(1, history=too_many))
    fine: list[dict[str, object]] = [{"created_by": "a"}, {"created_by": "b", "empty_layer": True}]
    store.create(config(1, history=fine))
    fewer: list[dict[str, object]] = []
    store.create(config(1, 2, history=fewer))


def test_create_missing_layer_leaves_nothing(backend: MemoryBackend, layers: FakeLayers) -> None:
    store = ImageStore(backend, layers)  # type: ignore[arg-type]
    with pytest.raises(InvalidImageConfig, match=f"failed to get layer {chain(9)}: layer does not"):
        store.create(config(9))
    assert list(backend.walk()) == []
    assert len(store) == 0


def test_create_layerless_image(backend: MemoryBackend, layers: FakeLayers) -> None:
    store = ImageStore(backend, layers)  # type: ignore[arg-type]
    image_id = store.create(config())
    assert store.layer(image_id) is None
    assert store.delete(image_id) == []


def test_create_refuses_other_os(backend: MemoryBackend, layers: FakeLayers) -> None:
    store = ImageStore(backend, layers)  # type: ignore[arg-type]
    raw = json.dumps(
        {"os": "windows", "rootfs": {"type": "layers", "diff_ids": [diff(1)]}}
    ).encode()
    with pytest.raises(Exception, match="operating system is not supported"):
        store.create(raw)
    assert list(backend.walk()) == []
    ok = json.dumps({"os": "LINUX", "rootfs": {"type": "layers", "diff_ids": [diff(1)]}})
    store.create(ok.encode())


def test_delete_returns_released_layers(backend: MemoryBackend, layers: FakeLayers) -> None:
    store = ImageStore(backend, layers)  # type: ignore[arg-type]
    a = store.create(config(1, extra="a"))
    b = store.create(config(1, extra="b"))
    assert layers.refs[chain(1)] == 2
    assert store.delete(a) == []
    assert store.delete(b) == [chain(1)]  # type: ignore[comparison-overlap]
    with pytest.raises(ImageNotFound, match=f"unrecognized image ID {a}"):
        store.delete(a)
    assert list(backend.walk()) == []


def test_parent_and_children(backend: MemoryBackend, layers: FakeLayers) -> None:
    store = ImageStore(backend, layers)  # type: ignore[arg-type]
    base = store.create(config(1))
    child1 = store.create(config(1, 2))
    child2 = store.create(config(1, 2, extra="other"))
    store.set_parent(child1, base)
    store.set_parent(child2, base)
    assert store.children(base) == sorted([child1, child2])
    assert store.get_parent(child1) == base
    assert store.get(child1).parent == base
    assert store.get(base).parent is None
    assert set(store.heads()) == {child1, child2}
    assert backend.get_metadata(child1, "parent") == base.encode()
    unknown = ImageID(Digest("sha256:" + "e" * 64))
    with pytest.raises(ImageNotFound, match=f"unknown parent image ID {unknown}"):
        store.set_parent(child1, unknown)
    # deleting the parent detaches the children
    store.delete(base)
    with pytest.raises(ImageNotFound):
        store.get_parent(child1)
    assert store.get(child2).parent is None
    assert set(store.heads()) == {child1, child2}


def test_set_parent_moves_child(backend: MemoryBackend, layers: FakeLayers) -> None:
    store = ImageStore(backend, layers)  # type: ignore[arg-type]
    p1 = store.create(config(1, extra="p1"))
    p2 = store.create(config(1, extra="p2"))
    child = store.create(config(1, 2))
    store.set_parent(child, p1)
    store.set_parent(child, p2)
    assert store.children(p1) == []
    assert store.children(p2) == [child]
    store.delete(child)
    assert store.children(p2) == []


def test_children_restored(tmp_path: Path, layers: FakeLayers) -> None:
    backend = FSBackend(tmp_path / "imagedb")
    store = ImageStore(backend, layers)  # type: ignore[arg-type]
    base = store.create(config(1))
    child = store.create(config(1, 2))
    store.set_parent(child, base)
    again = ImageStore(FSBackend(tmp_path / "imagedb"), layers)  # type: ignore[arg-type]
    assert again.children(base) == [child]
    assert again.problems == []


def test_restore_reports_tampered_and_missing_layers(tmp_path: Path, layers: FakeLayers) -> None:
    backend = FSBackend(tmp_path / "imagedb")
    store = ImageStore(backend, layers)  # type: ignore[arg-type]
    good = store.create(config(1))
    tampered = store.create(config(3))
    orphan = store.create(config(1, 2))
    with backend.content_path(tampered).open("ab") as fh:
        fh.write(b" ")
    layers.known.discard(chain(1, 2))
    again = ImageStore(FSBackend(tmp_path / "imagedb"), layers)  # type: ignore[arg-type]
    assert again.ids() == [good]
    reasons = {p.image_id: p.reason for p in again.problems}
    assert reasons[tampered] == f"failed to verify: {tampered}"
    assert reasons[orphan] == "layer does not exist"
    assert backend.content_path(tampered).exists(), "restore never deletes"
    with pytest.raises(DigestMismatch):
        again.get(tampered)


def test_restore_twice_keeps_refcounts(backend: MemoryBackend, layers: FakeLayers) -> None:
    store = ImageStore(backend, layers)  # type: ignore[arg-type]
    store.create(config(1))
    store.restore()
    store.restore()
    assert layers.refs[chain(1)] == 1


def _store_with(ids: list[str]) -> ImageStore:
    store = ImageStore(MemoryBackend(), None)
    store._ids = DigestSet(f"sha256:{i}" for i in ids)
    return store


HEX_A = "9" + "a" * 63
HEX_B = "9" + "b" * 63
HEX_C = "c" * 64


@pytest.mark.parametrize(
    ("term", "expected"),
    [
        ("c", HEX_C),
        ("sha256:c", HEX_C),
        ("9a", HEX_A),
        ("sha256:9b", HEX_B),
        (HEX_A, HEX_A),
        ("sha256:" + HEX_B, HEX_B),
    ],
)
def test_search_finds(term: str, expected: str) -> None:
    store = _store_with([HEX_A, HEX_B, HEX_C])
    assert store.search(term) == "sha256:" + expected


@pytest.mark.parametrize("term", ["9", "sha256:9", ""])
def test_search_ambiguous(term: str) -> None:
    store = _store_with([HEX_A, HEX_B, HEX_C])
    with pytest.raises(AmbiguousID, match=r"^ambiguous digest string$"):
        store.search(term)


@pytest.mark.parametrize(
    "term",
    ["C", "d", "sha256:", ":c", "sha512:c", "foo:c", "sha256:" + "g" * 64, "sha256:9c", "9a9"],
)
def test_search_not_found(term: str) -> None:
    store = _store_with([HEX_A, HEX_B, HEX_C])
    with pytest.raises(ImageNotFound, match=f"^No such image: {term}$"):
        store.search(term)


def test_search_empty_term_single_image() -> None:
    assert _store_with([HEX_C]).search("") == "sha256:" + HEX_C
    with pytest.raises(ImageNotFound):
        _store_with([]).search("")


def test_search_follows_create_and_delete(backend: MemoryBackend, layers: FakeLayers) -> None:
    store = ImageStore(backend, layers)  # type: ignore[arg-type]
    image_id = store.create(config(1))
    assert store.search(image_id.hex[:1]) == image_id
    store.delete(image_id)
    with pytest.raises(ImageNotFound):
        store.search(image_id.hex[:1])


def test_last_updated_and_built_locally(backend: MemoryBackend, layers: FakeLayers) -> None:
    store = ImageStore(backend, layers)  # type: ignore[arg-type]
    image_id = store.create(config(1))
    assert store.get_last_updated(image_id) is None
    assert not store.is_built_locally(image_id)
    store.set_last_updated(image_id, when=GoTime.from_unix_nanos(1_700_000_000_250_000_000))
    when = store.get_last_updated(image_id)
    assert when is not None
    assert when.unix_nanos() == 1_700_000_000_250_000_000
    store.set_built_locally(image_id)
    assert store.is_built_locally(image_id)
    assert backend.get_metadata(image_id, "builtLocally") == b"\x01"
    missing = ImageID(Digest("sha256:" + "f" * 64))
    with pytest.raises(ImageNotFound):
        store.set_built_locally(missing)


def test_time_format_is_go_rfc3339nano(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TZ", "UTC")
    import time

    time.tzset()
    try:
        assert format_local_time(1_700_000_000_000_000_000) == "2023-11-14T22:13:20Z"
        assert format_local_time(1_700_000_000_120_000_000) == "2023-11-14T22:13:20.12Z"
        assert format_local_time(1_700_000_000_000_000_001) == "2023-11-14T22:13:20.000000001Z"
        monkeypatch.setenv("TZ", "Europe/Berlin")
        time.tzset()
        assert format_local_time(1_700_000_000_000_000_000) == "2023-11-14T23:13:20+01:00"
    finally:
        monkeypatch.delenv("TZ")
        time.tzset()
