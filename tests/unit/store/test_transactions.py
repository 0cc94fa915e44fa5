"""Transactions: all or nothing, nesting, one ``repositories.json`` write, read counters."""

from __future__ import annotations

import errno
import io
from pathlib import Path

import pytest

import dockyard
from dockyard.digest import ImageID
from dockyard.errors import StorageError
from dockyard.layer import Layer
from dockyard.reference import Reference, parse_normalized_named
from dockyard.service.images import list_images
from dockyard.service.inspect import inspect_image
from dockyard.store.durable import write_new
from dockyard.store.lock import read_token
from tests.unit.store.helpers import BASE, MIDDLE, TOP, add_image, config, diff_of, snapshot


class Boom(Exception):
    """Raised by a test inside a transaction block."""


def _ref(name: str) -> Reference:
    return parse_normalized_named(name)


@pytest.fixture
def populated(client: dockyard.Client) -> tuple[ImageID, ImageID]:
    """A store with a base image, a child image, tags and metadata."""
    base, _, _ = add_image(client, BASE)
    child, _, _ = add_image(client, BASE, MIDDLE)
    client.image_store.set_parent(child, base)
    client.image_store.set_last_updated(base)
    client.reference_store.add_tag("base:1", base)
    client.reference_store.add_tag("child:1", child)
    return base, child


def test_a_block_that_raises_changes_nothing(
    client: dockyard.Client, populated: tuple[ImageID, ImageID]
) -> None:
    base, child = populated
    before, token = snapshot(client.root), read_token(client.layout)
    area = client.staging()
    staged = area.stage(io.BytesIO(TOP))

    def doomed() -> None:
        with client.transaction() as tx:
            top = tx.add_layer(staged)
            new = tx.add_image(config(top.diff_id))
            tx.set_parent(new, base)
            tx.set_last_updated(child)
            tx.set_built_locally(base)
            tx.add_tag(_ref("new:1"), new)
            tx.add_tag(_ref("base:1"), new, force=True)
            tx.delete_reference(_ref("child:1"))
            tx.delete_image(child)
            with client.view() as view:
                assert view.image(new) is not None  # the block reads its own changes
                assert view.image(child) is None
            raise Boom

    with pytest.raises(Boom):
        doomed()
    assert snapshot(client.root) == before
    assert read_token(client.layout) == token
    assert not staged.consumed, "the staged layer is free again"
    assert staged.payload_dir.is_dir()
    assert sorted(client.image_store.ids()) == sorted([base, child])
    assert client.reference_store.get("base:1") == base
    with client.transaction() as tx:  # the staged layer can still be used
        tx.add_layer(staged)
    area.close()
    assert diff_of(TOP) in {info.diff_id for info in client.layer_store.map().values()}


def test_a_failed_write_changes_nothing(
    client: dockyard.Client, populated: tuple[ImageID, ImageID], monkeypatch: pytest.MonkeyPatch
) -> None:
    base, _ = populated
    before, token = snapshot(client.root), read_token(client.layout)
    real = write_new
    calls: list[Path] = []

    def full_disk(path: Path, data: bytes, mode: int) -> None:
        calls.append(path)
        if len(calls) > 1:
            raise OSError(errno.ENOSPC, "No space left on device")
        real(path, data, mode)

    def commit() -> None:
        with client.transaction() as tx:
            tx.set_last_updated(base)
            tx.add_tag(_ref("y:1"), base)

    monkeypatch.setattr("dockyard.store.changes.write_new", full_disk)
    with pytest.raises(StorageError, match="No space left on device"):
        commit()
    monkeypatch.undo()
    assert snapshot(client.root) == before
    assert read_token(client.layout) == token
    assert [a.ref.familiar_string() for a in client.reference_store] == ["base:1", "child:1"]
    client.reference_store.add_tag("y:1", base)
    assert client.reference_store.get("y:1") == base


def test_nested_transactions_join_the_outer_one(
    client: dockyard.Client, populated: tuple[ImageID, ImageID]
) -> None:
    base, child = populated
    other = dockyard.open(client.root)
    commits, writes = client.stats.commits, client.stats.repositories_writes
    with client.transaction() as outer:
        outer.add_tag(_ref("x:1"), base)
        with client.transaction() as inner:
            assert inner is outer
            inner.add_tag(_ref("x:2"), base)
        client.reference_store.add_tag("x:3", child)  # a facade write joins too
        client.image_store.set_last_updated(child)
        with client.view() as view:
            assert view is outer.view
            assert [r.name for r in view.repository("x")] == ["x:1", "x:2", "x:3"]
        assert len(other.reference_store) == 2, "nothing is visible before the commit"
    assert client.stats.commits == commits + 1
    assert client.stats.repositories_writes == writes + 1
    found = other.reference_store.references_by_name("x")
    assert [a.ref.familiar_string() for a in found] == ["x:1", "x:2", "x:3"]


def test_a_transaction_reads_the_configs_it_added(client: dockyard.Client) -> None:
    # "view: reads the store including this transaction's own changes" (Transaction).
    layer = client.layer_store.register(io.BytesIO(BASE))
    raw = config(layer.diff_id)
    with client.transaction() as tx:
        image_id = tx.add_image(raw)
        assert tx.view.image(image_id) is not None
        assert client.image_store.get(image_id).raw_json() == raw


def test_an_inner_failure_undoes_the_outer_changes(
    client: dockyard.Client, populated: tuple[ImageID, ImageID]
) -> None:
    base, _ = populated
    before = snapshot(client.root)

    def doomed() -> None:
        with client.transaction() as outer:
            outer.add_tag(_ref("x:1"), base)
            with client.transaction():
                client.reference_store.add_tag("x:2", base)
                raise Boom

    with pytest.raises(Boom):
        doomed()
    assert snapshot(client.root) == before


def test_repositories_json_is_written_once_per_transaction(
    client: dockyard.Client, populated: tuple[ImageID, ImageID]
) -> None:
    base, child = populated
    writes, commits = client.stats.repositories_writes, client.stats.commits
    with client.transaction() as tx:
        for i in range(20):
            tx.add_tag(_ref(f"many:{i}"), base if i % 2 else child)
        tx.delete_reference(_ref("many:0"))
        tx.add_digest(_ref("many@sha256:" + "d" * 64), base)
    assert client.stats.repositories_writes == writes + 1
    assert client.stats.commits == commits + 1
    assert len(client.reference_store.references_by_name("many")) == 20
    with client.transaction() as tx:  # no tag changes: the file is not rewritten
        tx.set_last_updated(base)
    assert client.stats.repositories_writes == writes + 1


def test_configs_read_counts(client: dockyard.Client) -> None:
    images = [add_image(client, BASE, extra=str(i))[0] for i in range(3)]
    client.reference_store.add_tag("app:1", images[0])
    stats = client.stats
    start = stats.configs_read
    assert len(list_images(client)) == 3
    assert client.image_store.ids() == sorted(images)
    assert len(client.image_store) == 3
    assert images[1] in client.image_store
    assert stats.configs_read == start, "listing reads no config"
    assert inspect_image(client, "app:1")["Id"] == images[0]
    assert stats.configs_read == start + 1
    client.image_store.get(images[2])
    assert stats.configs_read == start + 2
    assert len(client.image_store.map()) == 3
    assert stats.configs_read == start + 5


# --- cancellation: a path removed and created again in one transaction -------------------


def _hold_top_layer(client: dockyard.Client, image_id: ImageID) -> Layer:
    """A handle to the image's top layer, so that deleting the image keeps the layer."""
    layer = client.image_store.layer(image_id)
    assert layer is not None
    return client.layer_store.get(layer.chain_id)


def test_delete_then_re_add_a_tag(
    client: dockyard.Client, populated: tuple[ImageID, ImageID]
) -> None:
    _, child = populated
    with client.transaction() as tx:
        tx.delete_reference(_ref("base:1"))
        tx.add_tag(_ref("base:1"), child)
        tx.delete_reference(_ref("child:1"))
        tx.add_tag(_ref("child:1"), child)
    assert client.reference_store.get("base:1") == child
    assert client.reference_store.get("child:1") == child
    assert not client.layout.journal.exists()


def test_delete_then_re_add_an_image(
    client: dockyard.Client, populated: tuple[ImageID, ImageID]
) -> None:
    _, child = populated
    raw = client.layout.config_path(child.hex).read_bytes()
    handle = _hold_top_layer(client, child)
    with client.transaction() as tx:
        tx.delete_image(child)
        assert tx.add_image(raw) == child
    client.layer_store.release(handle)
    assert client.image_store.get(child).id == child
    assert client.layout.config_path(child.hex).read_bytes() == raw
    assert not client.layout.metadata_dir(child.hex).exists(), "its old metadata went"
    assert client.problems == []


def test_delete_then_re_add_an_image_with_new_metadata(
    client: dockyard.Client, populated: tuple[ImageID, ImageID]
) -> None:
    _, child = populated  # the child has a parent
    raw = client.layout.config_path(child.hex).read_bytes()
    handle = _hold_top_layer(client, child)
    with client.transaction() as tx:
        tx.delete_image(child)
        tx.add_image(raw)
        tx.set_last_updated(child)
    client.layer_store.release(handle)
    metadata = client.layout.metadata_dir(child.hex)
    assert sorted(p.name for p in metadata.iterdir()) == ["lastUpdated"], "no old parent"
    assert client.image_store.get(child).parent is None
    assert not client.layout.journal.exists()


def test_delete_then_re_add_an_image_and_its_layer(client: dockyard.Client) -> None:
    image_id, raw, _ = add_image(client, BASE)
    with client.staging() as area:
        staged = area.stage(io.BytesIO(BASE))
        with client.transaction() as tx:
            released = tx.delete_image(image_id)
            assert len(released) == 1
            tx.add_layer(staged)
            tx.add_image(raw)
    assert client.image_store.get(image_id).id == image_id
    assert len(client.layer_store) == 1
    assert client.problems == []
    assert not client.layout.journal.exists()
