"""Reference counting, layout on disk, reload and cleanup of the layer store."""

from __future__ import annotations

import io
import os
import stat
from pathlib import Path

import pytest

from dockyard._lock import StoreLock
from dockyard.digest import ChainID, Digest, sha256_bytes
from dockyard.errors import (
    LayerNotFound,
    LayerNotRetained,
    LayerVerificationError,
    MaxDepthExceeded,
)
from dockyard.layer import MAX_LAYER_DEPTH, LayerMetadata, LayerStore, child_chain_id
from tests.unit.layer.tarutil import make_tar

BASE = make_tar([("a", b"hello\n"), ("b", b"world!")])
MIDDLE = make_tar([("c", b"x" * 700)])
TOP = make_tar([("d", b"")], dirs=["etc"])


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.lstat().st_mode)


def test_register_twice_returns_same_chain_and_two_handles(store: LayerStore) -> None:
    first = store.register(io.BytesIO(BASE))
    second = store.register(io.BytesIO(BASE))
    assert first is not second
    assert first.chain_id == second.chain_id
    assert str(first.chain_id) == str(first.diff_id)
    assert store.map()[first.chain_id].ref_count == 2
    assert len(os.listdir(store._db.data)) == 1  # the duplicate payload was discarded
    assert store.release(first) == []
    assert first.chain_id in store
    deleted = store.release(second)
    assert [m.chain_id for m in deleted] == [first.chain_id]
    assert first.chain_id not in store


def test_release_is_top_down_with_cumulative_sizes(store: LayerStore) -> None:
    base = store.register(io.BytesIO(BASE))
    middle = store.register(io.BytesIO(MIDDLE), base.chain_id)
    top = store.register(io.BytesIO(TOP), middle.chain_id)
    assert (base.size, middle.size, top.size) == (12, 712, 712)
    assert (base.depth, middle.depth, top.depth) == (1, 2, 3)
    assert store.release(base) == []  # still held by its child
    assert store.release(middle) == []
    deleted = store.release(top)
    assert deleted == [
        LayerMetadata(top.chain_id, top.diff_id, 712, 0),
        LayerMetadata(middle.chain_id, middle.diff_id, 712, 700),
        LayerMetadata(base.chain_id, base.diff_id, 12, 12),
    ]
    assert len(store) == 0
    assert os.listdir(store._db.sha256_dir) == []
    assert os.listdir(store._db.data) == []


def test_chain_ids_follow_the_spec_example(store: LayerStore) -> None:
    d1 = Digest("sha256:1fa551d924610dd6cce43941c8cdbd55b870a6022e3f4461497932e5496a2e81")
    d2 = Digest("sha256:9258fe23ca5dfe23d65bbd5b00face2c51522985b7204a9d013614328bdbc613")
    chain = child_chain_id(child_chain_id(None, d1), d2)  # type: ignore[arg-type]
    assert chain.hex == "a88fbe8c5adfc3abb747037be503db1d879f790189474777620455395894868c"
    base = store.register(io.BytesIO(BASE))
    top = store.register(io.BytesIO(MIDDLE), base.chain_id)
    expected = sha256_bytes(f"{base.diff_id} {top.diff_id}".encode())
    assert top.chain_id == expected
    assert top.parent == base.chain_id


def test_release_errors(store: LayerStore) -> None:
    layer = store.register(io.BytesIO(BASE))
    other = store.get(layer.chain_id)
    store.release(layer)
    with pytest.raises(LayerNotRetained, match="layer not retained"):
        store.release(layer)
    assert store.release(other)  # the last handle deletes the layer
    assert store.release(other) == []  # chain no longer in the store
    with pytest.raises(LayerNotFound, match="layer does not exist"):
        store.get(layer.chain_id)


def test_parent_must_exist_and_failure_leaves_nothing(store: LayerStore) -> None:
    missing = ChainID(sha256_bytes(b"nope"))
    with pytest.raises(LayerNotFound):
        store.register(io.BytesIO(BASE), missing)
    base = store.register(io.BytesIO(BASE))
    with pytest.raises(Exception, match="invalid tar header"):
        store.register(io.BytesIO(b"garbage" * 200), base.chain_id)
    assert store.map()[base.chain_id].ref_count == 1  # parent ref dropped again
    assert os.listdir(store._db.tmp_dir) == []
    assert os.listdir(store._db.data) == [base.cache_id]


def test_layout_modes_and_file_contents(store: LayerStore, dirs: tuple[Path, Path]) -> None:
    layerdb, data = dirs
    base = store.register(io.BytesIO(BASE))
    top = store.register(io.BytesIO(MIDDLE), base.chain_id)
    assert _mode(layerdb) == 0o700
    assert _mode(layerdb / "sha256") == 0o755
    assert _mode(layerdb / "tmp") == 0o755
    top_dir = layerdb / "sha256" / top.chain_id.hex
    assert _mode(top_dir) == 0o700
    assert sorted(os.listdir(top_dir)) == ["cache-id", "diff", "parent", "size"]
    assert sorted(os.listdir(layerdb / "sha256" / base.chain_id.hex)) == [
        "cache-id",
        "diff",
        "size",
    ]
    for name in ("cache-id", "diff", "parent", "size"):
        assert _mode(top_dir / name) == 0o644
    assert (top_dir / "diff").read_bytes() == str(top.diff_id).encode()
    assert (top_dir / "parent").read_bytes() == str(base.chain_id).encode()
    assert (top_dir / "size").read_bytes() == b"700"
    cache_id = (top_dir / "cache-id").read_text()
    assert cache_id == top.cache_id
    assert len(cache_id) == 64
    assert not cache_id[:12].isdigit()
    int(cache_id, 16)
    payload = data / cache_id / "layer.tar"
    assert payload == store.payload_path(top.chain_id) == top.payload_path
    assert _mode(payload.parent) == 0o700
    assert _mode(payload) == 0o644
    assert payload.read_bytes() == MIDDLE
    assert store.payload_size(top.chain_id) == len(MIDDLE)


def test_tampered_payload_fails_verification(store: LayerStore) -> None:
    layer = store.register(io.BytesIO(BASE))
    with store.tar_stream(layer.chain_id) as stream:
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
    problems = store.check()
    assert [p.name for p in problems] == [layer.chain_id.hex]


def test_depth_limit(store: LayerStore) -> None:
    parent = None
    for i in range(MAX_LAYER_DEPTH):
        layer = store.register(io.BytesIO(make_tar([(f"f{i}", b"")])), parent)
        parent = layer.chain_id
    assert layer.depth == MAX_LAYER_DEPTH
    with pytest.raises(MaxDepthExceeded, match="max depth exceeded"):
        store.register(io.BytesIO(make_tar([("last", b"")])), parent)
    assert store.map()[layer.chain_id].ref_count == 1


def test_reopen_loads_layers_with_child_references(dirs: tuple[Path, Path]) -> None:
    store = LayerStore(*dirs)
    base = store.register(io.BytesIO(BASE))
    top = store.register(io.BytesIO(MIDDLE), base.chain_id)
    reopened = LayerStore(*dirs)
    info = reopened.map()
    assert info[base.chain_id].ref_count == 1
    assert info[top.chain_id].ref_count == 0
    assert info[top.chain_id].size == top.size
    assert info[top.chain_id].parent == base.chain_id
    assert reopened.problems == []
    handle = reopened.get(top.chain_id)
    assert [m.chain_id for m in reopened.release(handle)] == [top.chain_id, base.chain_id]


def test_forget_never_deletes(store: LayerStore) -> None:
    layer = store.register(io.BytesIO(BASE))
    store.forget(layer)
    assert store.map()[layer.chain_id].ref_count == 0
    assert layer.payload_path.exists()
    with pytest.raises(LayerNotRetained):
        store.release(layer)


def test_invalid_layer_dirs_are_reported(dirs: tuple[Path, Path]) -> None:
    store = LayerStore(*dirs)
    base = store.register(io.BytesIO(BASE))
    top = store.register(io.BytesIO(MIDDLE), base.chain_id)
    other = store.register(io.BytesIO(TOP))
    sha = dirs[0] / "sha256"
    (sha / base.chain_id.hex / "size").write_bytes(b" 12")  # no trimming for size
    (sha / other.chain_id.hex / "cache-id").write_bytes(b"  \n")
    (sha / "not-a-digest").mkdir()
    reopened = LayerStore(*dirs)
    assert len(reopened) == 0
    assert len(reopened.problems) == 3  # each broken layer reported once
    reasons = {p.name: p.reason for p in reopened.problems}
    assert set(reasons) == {base.chain_id.hex, top.chain_id.hex, other.chain_id.hex}
    assert reasons[other.chain_id.hex] == "invalid cache id value"
    assert "parent" in reasons[top.chain_id.hex]
    # Whitespace around diff/parent/cache-id is accepted.
    (sha / base.chain_id.hex / "size").write_bytes(b"12")
    (sha / top.chain_id.hex / "parent").write_bytes(f" {base.chain_id}\n".encode())
    assert len(LayerStore(*dirs)) == 2


def test_reload_sees_other_instances(dirs: tuple[Path, Path]) -> None:
    mine = LayerStore(*dirs)
    theirs = LayerStore(*dirs)
    kept = mine.register(io.BytesIO(BASE))
    gone = theirs.register(io.BytesIO(MIDDLE))
    assert theirs.get(kept.chain_id).chain_id == kept.chain_id  # reloaded when stale
    mine.reload()
    assert gone.chain_id in mine
    child = theirs.register(io.BytesIO(TOP), kept.chain_id)
    assert theirs.release(gone)  # deleted by the other instance
    mine.reload()
    assert gone.chain_id not in mine
    assert mine.map()[kept.chain_id].ref_count == 2  # own handle + the new child
    assert child.chain_id in mine
    assert mine.release(kept) == []  # the existing handle survived the reload


def test_cleanup_removes_crash_leftovers(store: LayerStore, dirs: tuple[Path, Path]) -> None:
    layerdb, data = dirs
    layer = store.register(io.BytesIO(BASE))
    leftovers = [
        layerdb / "tmp" / "write-set-123",
        layerdb / "sha256" / f"{'a' * 64}-{'b' * 64}-removing",
        data / ("c" * 64),
        data / ".tmp-layer.tar",
        data / layer.cache_id / ".tmp-layer.tar0123",
    ]
    for path in leftovers:
        if path.name.startswith(".tmp"):
            path.write_bytes(b"x")
        else:
            path.mkdir()
            (path / "f").write_bytes(b"x")
    assert sorted(store.cleanup()) == sorted(leftovers)
    for path in leftovers:
        assert not path.exists()
    assert store.map()[layer.chain_id].ref_count == 1
    with store.tar_stream(layer.chain_id) as stream:
        assert stream.read() == BASE


def test_cleanup_skips_when_busy(store: LayerStore, dirs: tuple[Path, Path]) -> None:
    leftover = dirs[0] / "tmp" / "write-set-1"
    leftover.mkdir()
    other = LayerStore(*dirs)
    with other.lock.exclusive():
        assert store.cleanup() == []
    assert leftover.exists()


def test_failed_register_keeps_an_unreferenced_parent(dirs: tuple[Path, Path]) -> None:
    base = LayerStore(*dirs).register(io.BytesIO(BASE))
    store = LayerStore(*dirs)  # reopened: the base has no handles, count 0
    assert store.map()[base.chain_id].ref_count == 0
    with pytest.raises(Exception, match="unexpected EOF"):
        store.register(io.BytesIO(MIDDLE[:600]), base.chain_id)
    assert store.map()[base.chain_id].ref_count == 0
    assert base.payload_path.exists()


def test_missing_payload_is_a_problem(dirs: tuple[Path, Path]) -> None:
    store = LayerStore(*dirs)
    layer = store.register(io.BytesIO(BASE))
    assert layer.metadata() == LayerMetadata(layer.chain_id, layer.diff_id, 12, 12)
    assert list(store) == [layer.chain_id]
    layer.payload_path.unlink()
    assert [p.name for p in store.check()] == [layer.chain_id.hex]
    with pytest.raises(LayerNotFound):
        layer.open()
    reopened = LayerStore(*dirs)
    assert layer.chain_id not in reopened
    assert "payload" in reopened.problems[0].reason
    assert reopened.cleanup() == []  # its layer directory still names the cache id


def test_register_of_a_chain_written_by_an_unseen_writer(dirs: tuple[Path, Path]) -> None:
    root = dirs[0].parent
    mine = LayerStore(*dirs, lock=StoreLock(root))
    theirs = LayerStore(*dirs, lock=StoreLock(root))
    original = theirs.register(io.BytesIO(BASE))
    assert original.chain_id not in mine  # a caller-supplied lock: no automatic reload
    again = mine.register(io.BytesIO(BASE))
    assert again.chain_id == original.chain_id
    assert again.cache_id == original.cache_id
    assert len(os.listdir(dirs[1])) == 1
    assert mine.map()[again.chain_id].ref_count == 1


def test_stage_then_commit_on_two_parents(tmp_path: Path) -> None:
    import io

    from tests.unit.layer.tarutil import make_tar

    store = LayerStore(tmp_path / "layerdb", tmp_path / "data")
    base1 = store.register(io.BytesIO(make_tar([("a", b"1")])))
    base2 = store.register(io.BytesIO(make_tar([("b", b"2")])))
    staged = store.stage(io.BytesIO(make_tar([("top", b"x" * 100)])))
    assert staged.size == 100
    assert not staged.consumed
    top1 = store.commit(staged, base1.chain_id)
    top2 = store.commit(staged, base2.chain_id)
    again = store.commit(staged, base1.chain_id)
    assert again.chain_id == top1.chain_id
    assert top1.chain_id != top2.chain_id
    assert top1.cache_id != top2.cache_id
    store.discard(staged)
    for layer in (top1, top2):
        with layer.open() as stream:
            assert stream.read() == make_tar([("top", b"x" * 100)])
    assert sorted(p.name for p in (tmp_path / "data").iterdir()) == sorted(
        {base1.cache_id, base2.cache_id, top1.cache_id, top2.cache_id}
    )


def test_discard_removes_staged_data(tmp_path: Path) -> None:
    import io

    from tests.unit.layer.tarutil import make_tar

    store = LayerStore(tmp_path / "layerdb", tmp_path / "data")
    staged = store.stage(io.BytesIO(make_tar([("a", b"1")])))
    assert staged.payload_dir.is_dir()
    store.discard(staged)
    assert not staged.payload_dir.exists()
    assert len(store) == 0
