"""Images through ``client.image_store`` (moby image/store.go semantics, ported)."""

from __future__ import annotations

import io
import json
import os
import shutil
import time
from pathlib import Path

import pytest

import dockyard
from dockyard.digest import ChainID, Digest, ImageID, sha256_bytes
from dockyard.errors import DigestMismatch, ImageNotFound, InvalidImageConfig, UnsupportedOS
from dockyard.gojson import GoTime
from dockyard.store.txn import format_local_time
from tests.unit.store.helpers import (
    BASE,
    MIDDLE,
    TOP,
    add_image,
    config,
    diff_of,
    mode,
    replace_file,
)

D1, D2, D3 = diff_of(BASE), diff_of(MIDDLE), diff_of(TOP)


@pytest.fixture
def chains(client: dockyard.Client) -> dict[str, ChainID]:
    """Layers BASE, BASE+MIDDLE and TOP in the store, without handles."""
    base = client.layer_store.register(io.BytesIO(BASE))
    mid = client.layer_store.register(io.BytesIO(MIDDLE), base.chain_id)
    top = client.layer_store.register(io.BytesIO(TOP))
    for layer in (base, mid, top):
        client.layer_store.forget(layer)
    return {"1": base.chain_id, "12": mid.chain_id, "3": top.chain_id}


def _configs(client: dockyard.Client) -> list[str]:
    content = client.layout.content
    return os.listdir(content) if content.exists() else []


def test_create_is_hash_of_raw_bytes(client: dockyard.Client, chains: dict[str, ChainID]) -> None:
    raw = b'{"rootfs":{"type":"layers","diff_ids":["' + D1.encode() + b'"]},  "os":"linux"}'
    image_id = client.image_store.create(raw)
    assert image_id == sha256_bytes(raw)
    assert client.image_store.get(image_id).raw_json() == raw
    assert client.layout.config_path(image_id.hex).read_bytes() == raw
    assert client.layer_store.map()[chains["1"]].ref_count == 2  # the image and the child
    assert client.image_store.create(raw) == image_id
    assert client.layer_store.map()[chains["1"]].ref_count == 2
    assert len(client.image_store) == 1


def test_imagedb_modes(client: dockyard.Client, chains: dict[str, ChainID]) -> None:
    image_id = client.image_store.create(config(D1))
    client.image_store.set_last_updated(image_id)
    layout = client.layout
    assert mode(layout.imagedb) == 0o700
    assert mode(layout.content) == 0o700
    assert mode(layout.config_path(image_id.hex)) == 0o600
    assert mode(layout.metadata) == 0o700
    assert mode(layout.metadata_dir(image_id.hex)) == 0o700
    assert mode(layout.metadata_dir(image_id.hex) / "lastUpdated") == 0o600


def test_create_without_rootfs(client: dockyard.Client) -> None:
    for raw in [b'{"os":"linux"}', b'{"rootfs":null}', b'{"rootfz":{"type":"layers"}}']:
        with pytest.raises(InvalidImageConfig, match="invalid image JSON, no RootFS key"):
            client.image_store.create(raw)
    with pytest.raises(InvalidImageConfig):
        client.image_store.create(b"not json")
    assert _configs(client) == []


def test_create_history_check(client: dockyard.Client, chains: dict[str, ChainID]) -> None:
    too_many: list[dict[str, object]] = [{"created_by": "a"}, {"created_by": "b"}]
    with pytest.raises(InvalidImageConfig, match="too many non-empty layers in History section"):
        client.image_store.create(config(D1, history=too_many))
    assert _configs(client) == []
    fine: list[dict[str, object]] = [{"created_by": "a"}, {"created_by": "b", "empty_layer": True}]
    client.image_store.create(config(D1, history=fine))
    client.image_store.create(config(D1, D2, history=[]))
    assert len(client.image_store) == 2


def test_create_missing_layer_leaves_nothing(client: dockyard.Client) -> None:
    with pytest.raises(InvalidImageConfig, match=f"failed to get layer {D3}: layer does not"):
        client.image_store.create(config(D3))
    assert _configs(client) == []
    assert len(client.image_store) == 0


def test_create_layerless_image(client: dockyard.Client) -> None:
    image_id = client.image_store.create(config())
    assert client.image_store.layer(image_id) is None
    assert client.image_store.delete(image_id) == []
    assert _configs(client) == []


def test_create_refuses_other_os(client: dockyard.Client, chains: dict[str, ChainID]) -> None:
    raw = json.dumps({"os": "windows", "rootfs": {"type": "layers", "diff_ids": [D1]}})
    with pytest.raises(UnsupportedOS, match="operating system is not supported"):
        client.image_store.create(raw.encode())
    assert _configs(client) == []
    ok = json.dumps({"os": "LINUX", "rootfs": {"type": "layers", "diff_ids": [D1]}})
    client.image_store.create(ok.encode())


def test_delete_returns_released_layers(client: dockyard.Client) -> None:
    base = client.layer_store.register(io.BytesIO(BASE))
    a = client.image_store.create(config(D1, extra="a"))
    b = client.image_store.create(config(D1, extra="b"))
    client.layer_store.release(base)
    assert client.layer_store.map()[base.chain_id].ref_count == 2
    assert client.image_store.delete(a) == []
    assert [m.chain_id for m in client.image_store.delete(b)] == [base.chain_id]
    with pytest.raises(ImageNotFound, match=f"unrecognized image ID {a}"):
        client.image_store.delete(a)
    assert _configs(client) == []
    assert os.listdir(client.layout.metadata) == []
    assert len(client.layer_store) == 0


def test_parent_and_children(client: dockyard.Client, chains: dict[str, ChainID]) -> None:
    store = client.image_store
    base = store.create(config(D1))
    child1 = store.create(config(D1, D2))
    child2 = store.create(config(D1, D2, extra="other"))
    store.set_parent(child1, base)
    store.set_parent(child2, base)
    assert store.children(base) == sorted([child1, child2])
    assert store.get_parent(child1) == base
    assert store.get(child1).parent == base
    assert store.get(base).parent is None
    parent_file = client.layout.metadata_dir(child1.hex) / "parent"
    assert parent_file.read_bytes() == base.encode()
    assert mode(parent_file) == 0o600
    unknown = ImageID(Digest("sha256:" + "e" * 64))
    with pytest.raises(ImageNotFound, match=f"unknown parent image ID {unknown}"):
        store.set_parent(child1, unknown)
    store.delete(base)  # deleting the parent detaches the children
    with pytest.raises(ImageNotFound):
        store.get_parent(child1)
    assert store.get(child2).parent is None
    assert not parent_file.exists()
    assert store.children(base) == []


def test_set_parent_moves_child(client: dockyard.Client, chains: dict[str, ChainID]) -> None:
    store = client.image_store
    p1 = store.create(config(D1, extra="p1"))
    p2 = store.create(config(D1, extra="p2"))
    child = store.create(config(D1, D2))
    store.set_parent(child, p1)
    store.set_parent(child, p2)
    assert store.children(p1) == []
    assert store.children(p2) == [child]
    store.delete(child)
    assert store.children(p2) == []


def test_children_seen_by_another_client(root: Path) -> None:
    client = dockyard.open(root)
    base, _, _ = add_image(client, BASE)
    child, _, _ = add_image(client, BASE, MIDDLE)
    client.image_store.set_parent(child, base)
    again = dockyard.open(root)
    assert again.image_store.children(base) == [child]
    assert again.problems == []


def test_rebuild_keeps_reference_counts(client: dockyard.Client) -> None:
    _, _, (chain,) = add_image(client, BASE)
    before = client.layer_store.map()
    client.layout.index.unlink()
    assert dockyard.open(client.root).layer_store.map() == before
    assert before[chain].ref_count == 1


def test_tampered_config_and_missing_layer_are_problems(client: dockyard.Client) -> None:
    good, _, _ = add_image(client, BASE)
    tampered, raw, _ = add_image(client, TOP)
    orphan, _, orphan_chains = add_image(client, BASE, MIDDLE)
    config_path = client.layout.config_path(tampered.hex)
    replace_file(config_path, raw + b" ")
    shutil.rmtree(client.layout.layer_dir(orphan_chains[-1].hex))
    again = dockyard.open(client.root)
    assert again.image_store.ids() == [good]
    problems = {p.subject: p for p in again.problems}
    assert set(problems) == {str(tampered), str(orphan)}
    assert problems[str(tampered)].kind == "tampered-image"
    assert problems[str(tampered)].detail == f"failed to verify: {tampered}"
    assert problems[str(tampered)].path == str(config_path)
    assert problems[str(orphan)].kind == "missing-layer"
    assert problems[str(orphan)].detail.startswith(f"layer {orphan_chains[-1]} does not exist")
    assert config_path.exists(), "a rebuild never deletes"


def test_get_of_a_tampered_image_after_a_rebuild_fails_verification(
    client: dockyard.Client,
) -> None:
    # ImageStore.get documents DigestMismatch for a modified config (moby: fs.Get verifies),
    # whether or not the index has noticed the change yet.
    image_id, raw, _ = add_image(client, BASE)
    replace_file(client.layout.config_path(image_id.hex), raw + b" ")
    with pytest.raises(DigestMismatch, match=f"^failed to verify: {image_id}$"):
        dockyard.open(client.root).image_store.get(image_id)


def test_config_modified_in_place_fails_verification(client: dockyard.Client) -> None:
    image_id, _, _ = add_image(client, BASE)
    with client.layout.config_path(image_id.hex).open("ab") as fh:
        fh.write(b" ")
    with pytest.raises(DigestMismatch, match=f"^failed to verify: {image_id}$"):
        client.image_store.get(image_id)
    with client.store.truth() as truth:
        assert [p[0] for p in truth.problems()] == ["tampered-image"]


def test_last_updated_and_built_locally(client: dockyard.Client) -> None:
    image_id, _, _ = add_image(client, BASE)
    store = client.image_store
    assert store.get_last_updated(image_id) is None
    store.set_last_updated(image_id, when=GoTime.from_unix_nanos(1_700_000_000_250_000_000))
    when = store.get_last_updated(image_id)
    assert when is not None
    assert when.unix_nanos() == 1_700_000_000_250_000_000
    assert dockyard.open(client.root).image_store.get_last_updated(image_id) == when
    with client.transaction() as tx:
        tx.set_built_locally(image_id)
    metadata = client.layout.metadata_dir(image_id.hex)
    assert (metadata / "builtLocally").read_bytes() == b"\x01"
    assert sorted(os.listdir(metadata)) == ["builtLocally", "lastUpdated"]
    missing = ImageID(Digest("sha256:" + "f" * 64))
    with pytest.raises(ImageNotFound), client.transaction() as tx:
        tx.set_built_locally(missing)
    with pytest.raises(ImageNotFound):
        store.set_last_updated(missing)
    assert not client.layout.metadata_dir(missing.hex).exists()


def test_last_updated_default_is_now_in_go_format(
    client: dockyard.Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    image_id, _, _ = add_image(client, BASE)
    monkeypatch.setattr(time, "time_ns", lambda: 1_700_000_000_120_000_000)
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    try:
        client.image_store.set_last_updated(image_id)
    finally:
        monkeypatch.undo()
        time.tzset()
    path = client.layout.metadata_dir(image_id.hex) / "lastUpdated"
    assert path.read_bytes() == b"2023-11-14T22:13:20.12Z"


def test_time_format_is_go_rfc3339nano(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TZ", "UTC")
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
