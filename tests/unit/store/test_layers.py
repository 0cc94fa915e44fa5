"""Layers through ``client.layer_store`` and transactions (ported from the old layer store)."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest

import dockyard
from dockyard.digest import ChainID, Digest, sha256_bytes
from dockyard.errors import (
    LayerNotFound,
    LayerNotRetained,
    LayerVerificationError,
    MaxDepthExceeded,
)
from dockyard.layer import LayerMetadata
from dockyard.store.txn import MAX_LAYER_DEPTH, child_chain_id
from tests.unit.layer.tarutil import make_tar
from tests.unit.store.helpers import BASE, MIDDLE, TOP, mode


def test_register_twice_returns_same_chain_and_two_handles(client: dockyard.Client) -> None:
    store = client.layer_store
    first = store.register(io.BytesIO(BASE))
    second = store.register(io.BytesIO(BASE))
    assert first is not second
    assert first.chain_id == second.chain_id
    assert first.cache_id == second.cache_id
    assert str(first.chain_id) == str(first.diff_id)
    assert store.map()[first.chain_id].ref_count == 2
    assert len(os.listdir(client.layout.data)) == 1  # the duplicate payload was discarded
    assert store.release(first) == []
    assert first.chain_id in store
    deleted = store.release(second)
    assert [m.chain_id for m in deleted] == [first.chain_id]
    assert first.chain_id not in store


def test_release_is_top_down_with_cumulative_sizes(client: dockyard.Client) -> None:
    store = client.layer_store
    base = store.register(io.BytesIO(BASE))
    middle = store.register(io.BytesIO(MIDDLE), base.chain_id)
    top = store.register(io.BytesIO(TOP), middle.chain_id)
    assert (base.size, middle.size, top.size) == (12, 712, 712)
    assert (base.depth, middle.depth, top.depth) == (1, 2, 3)
    assert store.release(base) == []  # still used by its child
    assert store.release(middle) == []
    assert store.release(top) == [
        LayerMetadata(top.chain_id, top.diff_id, 712, 0),
        LayerMetadata(middle.chain_id, middle.diff_id, 712, 700),
        LayerMetadata(base.chain_id, base.diff_id, 12, 12),
    ]
    assert len(store) == 0
    assert os.listdir(client.layout.layers) == []
    assert os.listdir(client.layout.data) == []


def test_chain_ids_follow_the_spec_example(client: dockyard.Client) -> None:
    d1 = Digest("sha256:1fa551d924610dd6cce43941c8cdbd55b870a6022e3f4461497932e5496a2e81")
    d2 = Digest("sha256:9258fe23ca5dfe23d65bbd5b00face2c51522985b7204a9d013614328bdbc613")
    chain = child_chain_id(child_chain_id(None, d1), d2)
    assert chain.hex == "a88fbe8c5adfc3abb747037be503db1d879f790189474777620455395894868c"
    base = client.layer_store.register(io.BytesIO(BASE))
    top = client.layer_store.register(io.BytesIO(MIDDLE), base.chain_id)
    assert top.chain_id == sha256_bytes(f"{base.diff_id} {top.diff_id}".encode())
    assert top.parent == base.chain_id


def test_release_errors(client: dockyard.Client) -> None:
    store = client.layer_store
    layer = store.register(io.BytesIO(BASE))
    other = store.get(layer.chain_id)
    assert store.release(layer) == []
    with pytest.raises(LayerNotRetained, match="layer not retained"):
        store.release(layer)  # this handle was given back already
    assert layer.chain_id in store  # the other handle still keeps the layer
    assert store.release(other)  # the last handle deletes the layer
    with pytest.raises(LayerNotFound, match="layer does not exist"):
        store.get(layer.chain_id)


def test_release_of_a_layer_already_gone_returns_nothing(client: dockyard.Client) -> None:
    # moby layerStore.Release: a chain that is no longer in the store releases nothing.
    store = client.layer_store
    layer = store.register(io.BytesIO(BASE))
    assert store.release(layer)
    assert store.release(layer) == []


def test_forget_never_deletes(client: dockyard.Client) -> None:
    layer = client.layer_store.register(io.BytesIO(BASE))
    client.layer_store.forget(layer)
    assert client.layer_store.map()[layer.chain_id].ref_count == 0
    assert layer.payload_path.exists()
    with pytest.raises(LayerNotRetained):
        client.layer_store.release(layer)


def test_parent_must_exist_and_failure_leaves_nothing(client: dockyard.Client) -> None:
    store = client.layer_store
    with pytest.raises(LayerNotFound):
        store.register(io.BytesIO(BASE), ChainID(sha256_bytes(b"nope")))
    base = store.register(io.BytesIO(BASE))
    with pytest.raises(Exception, match="invalid tar header"):
        store.register(io.BytesIO(b"garbage" * 200), base.chain_id)
    assert store.map()[base.chain_id].ref_count == 1  # only the handle
    assert os.listdir(client.layout.tmp) == []
    assert os.listdir(client.layout.data) == [base.cache_id]
    assert os.listdir(client.layout.layers) == [base.chain_id.hex]


def test_failed_register_keeps_an_unreferenced_parent(root: Path) -> None:
    base = dockyard.open(root).layer_store.register(io.BytesIO(BASE))
    client = dockyard.open(root)  # another client: the base has no handle here
    assert client.layer_store.map()[base.chain_id].ref_count == 0
    with pytest.raises(Exception, match="unexpected EOF"):
        client.layer_store.register(io.BytesIO(MIDDLE[:600]), base.chain_id)
    assert client.layer_store.map()[base.chain_id].ref_count == 0
    assert base.payload_path.exists()


def test_layout_modes_and_file_contents(client: dockyard.Client) -> None:
    layout = client.layout
    base = client.layer_store.register(io.BytesIO(BASE))
    top = client.layer_store.register(io.BytesIO(MIDDLE), base.chain_id)
    assert mode(layout.layerdb) == 0o700
    assert mode(layout.layers) == 0o755
    assert mode(layout.layerdb / "tmp") == 0o755
    top_dir = layout.layers / top.chain_id.hex
    assert mode(top_dir) == 0o700
    assert sorted(os.listdir(top_dir)) == ["cache-id", "diff", "parent", "size"]
    assert sorted(os.listdir(layout.layers / base.chain_id.hex)) == ["cache-id", "diff", "size"]
    for name in ("cache-id", "diff", "parent", "size"):
        assert mode(top_dir / name) == 0o644
    assert (top_dir / "diff").read_bytes() == str(top.diff_id).encode()
    assert (top_dir / "parent").read_bytes() == str(base.chain_id).encode()
    assert (top_dir / "size").read_bytes() == b"700"
    cache_id = (top_dir / "cache-id").read_text()
    assert cache_id == top.cache_id
    assert len(cache_id) == 64
    assert not cache_id[:12].isdigit()
    int(cache_id, 16)
    payload = layout.data / cache_id / "layer.tar"
    assert payload == client.layer_store.payload_path(top.chain_id) == top.payload_path
    assert mode(payload.parent) == 0o700
    assert mode(payload) == 0o644
    assert payload.read_bytes() == MIDDLE
    assert client.layer_store.payload_size(top.chain_id) == len(MIDDLE)


def test_tampered_payload_fails_verification(client: dockyard.Client) -> None:
    layer = client.layer_store.register(io.BytesIO(BASE))
    with client.layer_store.tar_stream(layer.chain_id) as stream:
        assert stream.read() == BASE
    tampered = bytearray(BASE)
    tampered[600] ^= 1
    layer.payload_path.write_bytes(bytes(tampered))
    with layer.open() as stream, pytest.raises(LayerVerificationError) as info:
        stream.read()
    assert str(info.value) == (
        f"could not verify layer data for: {layer.diff_id}. This may be because internal "
        "files in the layer store were modified. Re-pulling or rebuilding this image "
        "may resolve the issue"
    )
    assert [p.name for p in client.layer_store.check()] == [layer.chain_id.hex]


def test_depth_limit(client: dockyard.Client) -> None:
    tars = [make_tar([(f"f{i}", b"")]) for i in range(MAX_LAYER_DEPTH)]
    parent: ChainID | None = None
    with client.staging() as area:  # one commit for the first 124 layers (fast)
        staged = [area.stage(io.BytesIO(tar)) for tar in tars[:-1]]
        with client.transaction() as tx:
            for item in staged:
                parent = tx.add_layer(item, parent).chain_id
    layer = client.layer_store.register(io.BytesIO(tars[-1]), parent)
    assert layer.depth == MAX_LAYER_DEPTH
    with pytest.raises(MaxDepthExceeded, match="max depth exceeded"):
        client.layer_store.register(io.BytesIO(make_tar([("last", b"")])), layer.chain_id)
    assert client.layer_store.map()[layer.chain_id].ref_count == 1
    assert len(client.layer_store) == MAX_LAYER_DEPTH


def test_reopen_loads_layers_with_child_references(root: Path) -> None:
    first = dockyard.open(root)
    base = first.layer_store.register(io.BytesIO(BASE))
    top = first.layer_store.register(io.BytesIO(MIDDLE), base.chain_id)
    reopened = dockyard.open(root)
    info = reopened.layer_store.map()
    assert info[base.chain_id].ref_count == 1
    assert info[top.chain_id].ref_count == 0
    assert info[top.chain_id].size == top.size
    assert info[top.chain_id].parent == base.chain_id
    assert reopened.problems == []
    handle = reopened.layer_store.get(top.chain_id)
    released = reopened.layer_store.release(handle)
    assert [m.chain_id for m in released] == [top.chain_id, base.chain_id]


def test_other_clients_changes_are_seen(root: Path) -> None:
    mine, theirs = dockyard.open(root), dockyard.open(root)
    kept = mine.layer_store.register(io.BytesIO(BASE))
    gone = theirs.layer_store.register(io.BytesIO(MIDDLE))
    assert theirs.layer_store.get(kept.chain_id).chain_id == kept.chain_id
    assert gone.chain_id in mine.layer_store
    child = theirs.layer_store.register(io.BytesIO(TOP), kept.chain_id)
    assert theirs.layer_store.release(gone)
    assert gone.chain_id not in mine.layer_store
    assert mine.layer_store.map()[kept.chain_id].ref_count == 2  # own handle + the child
    assert child.chain_id in mine.layer_store
    assert mine.layer_store.release(kept) == []


def test_register_of_a_chain_another_client_wrote(root: Path) -> None:
    mine, theirs = dockyard.open(root), dockyard.open(root)
    original = theirs.layer_store.register(io.BytesIO(BASE))
    again = mine.layer_store.register(io.BytesIO(BASE))
    assert again.chain_id == original.chain_id
    assert again.cache_id == original.cache_id
    assert len(os.listdir(mine.layout.data)) == 1
    assert mine.layer_store.map()[again.chain_id].ref_count == 1


def test_invalid_layer_dirs_are_reported(client: dockyard.Client) -> None:
    store = client.layer_store
    base = store.register(io.BytesIO(BASE))
    top = store.register(io.BytesIO(MIDDLE), base.chain_id)
    other = store.register(io.BytesIO(TOP))
    sha = client.layout.layers
    (sha / base.chain_id.hex / "size").write_bytes(b" 12")  # no trimming for size
    (sha / other.chain_id.hex / "cache-id").write_bytes(b"  \n")
    (sha / "not-a-digest").mkdir()  # ignored; changes the directory, so it is noticed
    reopened = dockyard.open(client.root)
    assert len(reopened.layer_store) == 0
    problems = reopened.problems
    assert {p.kind for p in problems} == {"invalid-layer"}
    reasons = {p.subject: p.detail for p in problems}
    assert len(problems) == 3  # each broken layer reported once
    assert set(reasons) == {base.chain_id.hex, top.chain_id.hex, other.chain_id.hex}
    assert reasons[other.chain_id.hex] == "invalid cache id value"
    assert "parent" in reasons[top.chain_id.hex]
    # Whitespace around diff/parent/cache-id is accepted.
    (sha / base.chain_id.hex / "size").write_bytes(b"12")
    (sha / top.chain_id.hex / "parent").write_bytes(f" {base.chain_id}\n".encode())
    (sha / other.chain_id.hex / "cache-id").write_bytes(f"\t{other.cache_id}\n".encode())
    (sha / "not-a-digest").rmdir()
    assert len(dockyard.open(client.root).layer_store) == 3


def test_missing_payload_is_a_problem(client: dockyard.Client) -> None:
    layer = client.layer_store.register(io.BytesIO(BASE))
    assert layer.metadata() == LayerMetadata(layer.chain_id, layer.diff_id, 12, 12)
    assert list(client.layer_store) == [layer.chain_id]
    layer.payload_path.unlink()
    assert [p.name for p in client.layer_store.check()] == [layer.chain_id.hex]
    with pytest.raises(LayerNotFound):
        layer.open()
    with client.store.truth() as truth:
        assert truth.layer(layer.chain_id) is None
        ((kind, subject, _, detail),) = truth.problems()
    assert (kind, subject) == ("invalid-layer", layer.chain_id.hex)
    assert "payload" in detail


def test_stage_once_commit_on_two_parents(client: dockyard.Client) -> None:
    data = make_tar([("top", b"x" * 100)])
    base1 = client.layer_store.register(io.BytesIO(make_tar([("a", b"1")])))
    base2 = client.layer_store.register(io.BytesIO(make_tar([("b", b"2")])))
    with client.staging() as area:
        staged = area.stage(io.BytesIO(data))
        assert staged.size == 100
        assert not staged.consumed
        with client.transaction() as tx:
            top1 = tx.add_layer(staged, base1.chain_id)
            top2 = tx.add_layer(staged, base2.chain_id)
            assert tx.add_layer(staged, base1.chain_id).chain_id == top1.chain_id
    assert top1.chain_id != top2.chain_id
    assert top1.cache_id != top2.cache_id
    for top in (top1, top2):
        with client.layer_store.tar_stream(top.chain_id) as stream:
            assert stream.read() == data
    assert sorted(os.listdir(client.layout.data)) == sorted(
        {base1.cache_id, base2.cache_id, top1.cache_id, top2.cache_id}
    )
    assert os.listdir(client.layout.tmp) == []


def test_stage_once_commit_on_two_parents_in_two_transactions(client: dockyard.Client) -> None:
    # "One staged layer can become layers on several parents" (Transaction.add_layer).
    data = make_tar([("top", b"x" * 100)])
    base1 = client.layer_store.register(io.BytesIO(make_tar([("a", b"1")])))
    base2 = client.layer_store.register(io.BytesIO(make_tar([("b", b"2")])))
    with client.staging() as area:
        staged = area.stage(io.BytesIO(data))
        with client.transaction() as tx:
            top1 = tx.add_layer(staged, base1.chain_id)
        with client.transaction() as tx:
            top2 = tx.add_layer(staged, base2.chain_id)
    for top in (top1, top2):
        with client.layer_store.tar_stream(top.chain_id) as stream:
            assert stream.read() == data


def test_discard_and_close_remove_staged_data(client: dockyard.Client) -> None:
    area = client.staging()
    staged = area.stage(io.BytesIO(BASE))
    kept = area.stage(io.BytesIO(MIDDLE))
    assert staged.payload_dir.is_dir()
    area.discard(staged)
    assert not staged.payload_dir.exists()
    assert kept.payload_dir.is_dir()
    area.close()
    assert not kept.payload_dir.exists()
    assert os.listdir(client.layout.tmp) == []
    assert len(client.layer_store) == 0
