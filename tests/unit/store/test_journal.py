"""The commit journal: idempotent, finished after a writer died, refused when it escapes."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest

import dockyard
from dockyard.errors import StorageError
from dockyard.reference import parse_normalized_named
from dockyard.store import journal
from dockyard.store.durable import Barrier
from dockyard.store.journal import Journal
from dockyard.store.layout import Layout
from dockyard.store.lock import read_token
from tests.unit.store import processes
from tests.unit.store.helpers import (
    BASE,
    MIDDLE,
    TOP,
    Snapshot,
    add_image,
    config,
    diff_of,
    snapshot,
)
from tests.unit.store.worker import DIED, TAGS

SKIP = ("tmp", "index")


@pytest.fixture
def twice(monkeypatch: pytest.MonkeyPatch) -> list[tuple[Snapshot, Snapshot]]:
    """Make every commit apply its journal twice; record the files after each pass."""
    passes: list[tuple[Snapshot, Snapshot]] = []
    original = Journal.apply

    def apply_twice(self: Journal, layout: Layout, barrier: Barrier) -> None:
        original(self, layout, barrier)
        first = snapshot(layout.root, skip=SKIP)
        original(self, layout, barrier)
        passes.append((first, snapshot(layout.root, skip=SKIP)))

    monkeypatch.setattr(Journal, "apply", apply_twice)
    return passes


def test_applying_a_journal_twice_changes_nothing_more(
    client: dockyard.Client, twice: list[tuple[Snapshot, Snapshot]]
) -> None:
    base, raw, (chain,) = add_image(client, BASE)
    child, _, _ = add_image(client, BASE, MIDDLE)
    client.reference_store.add_tag("base:1", base)
    with client.staging() as area:
        staged = area.stage(io.BytesIO(TOP))
        with client.transaction() as tx:
            tx.delete_reference(parse_normalized_named("base:1"))  # a tag removed ...
            tx.add_tag(parse_normalized_named("base:1"), child)  # ... and added again
            tx.delete_image(base)  # an image removed ...
            assert tx.add_image(raw) == base  # ... and added again
            tx.set_parent(child, base)
            top = tx.add_layer(staged, chain)
            new = tx.add_image(config(diff_of(BASE), top.diff_id))
            tx.add_tag(parse_normalized_named("top:1"), new)
            tx.delete_image(child)
    assert twice, "no commit applied its journal"
    for first, second in twice:
        assert first == second
    assert client.reference_store.get("base:1") == child
    assert client.image_store.get(base).id == base
    assert child not in client.image_store
    assert client.reference_store.get("top:1") == new
    assert client.problems == []


def _txn_dirs(layout: Layout) -> list[str]:
    return sorted(p.name for p in layout.tmp.iterdir() if p.name.startswith("txn-"))


@pytest.mark.parametrize("finisher", ["view", "transaction"])
def test_a_commit_of_a_writer_that_died_is_finished(root: Path, finisher: str) -> None:
    client = dockyard.open(root)
    image_id, _, _ = add_image(client, BASE)
    token = read_token(client.layout)
    assert processes.run("die-in-apply", root, image_id) == DIED
    assert client.layout.journal.exists(), "the worker did not die after its commit point"
    assert _txn_dirs(client.layout), "its transaction directory is left"
    reader = dockyard.open(root)
    if finisher == "view":
        with reader.view() as view:
            assert [r.name for r in view.all_refs()] == list(TAGS)
    else:
        with reader.transaction() as tx:
            assert [r.name for r in tx.view.all_refs()] == list(TAGS)
    assert not client.layout.journal.exists()
    assert read_token(client.layout) != token
    assert reader.image_store.get_last_updated(image_id) is not None
    assert [a.ref.familiar_string() for a in client.reference_store] == list(TAGS)
    client.reference_store.add_tag("after:1", image_id)  # the next writer cleans up
    assert _txn_dirs(client.layout) == []
    assert client.problems == []


def test_a_commit_that_failed_half_way_is_finished_by_the_next_writer(
    client: dockyard.Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    image_id, _, _ = add_image(client, BASE)
    original = Journal.apply

    def half_then_fail(self: Journal, layout: Layout, barrier: Barrier) -> None:
        original(Journal(self.generation, self.ops[: len(self.ops) // 2]), layout, barrier)
        raise OSError(5, "Input/output error")

    def commit() -> None:
        with client.transaction() as tx:
            for name in TAGS:
                tx.add_tag(parse_normalized_named(name), image_id)
            tx.set_last_updated(image_id)

    monkeypatch.setattr(Journal, "apply", half_then_fail)
    with pytest.raises(StorageError, match="the next command that writes finishes it"):
        commit()
    monkeypatch.undo()
    client.reference_store.add_tag("after:1", image_id)
    assert [a.ref.familiar_string() for a in client.reference_store] == ["after:1", *TAGS]
    assert client.image_store.get_last_updated(image_id) is not None


def _hand_journal(layout: Layout, *ops: tuple[str, str]) -> None:
    j = Journal("hand-made-token")
    for source, target in ops:
        j.rename(source, target)
    layout.journal.write_bytes(j.encode())


def test_a_journal_built_by_hand_is_applied(client: dockyard.Client) -> None:
    image_id, _, _ = add_image(client, BASE)
    layout = client.layout
    staged = layout.tmp / "txn-handmade"
    staged.mkdir()
    (staged / "repos").write_bytes(
        b'{"Repositories":{"hand":{"hand:1":"' + image_id.encode() + b'"}}}'
    )
    (staged / "generation").write_bytes(b"hand-made-token")
    _hand_journal(
        layout,
        ("tmp/txn-handmade/repos", "image/dockyard/repositories.json"),
        ("tmp/txn-handmade/generation", ".generation"),
    )
    assert dockyard.open(client.root).reference_store.get("hand:1") == image_id
    assert read_token(layout) == "hand-made-token"
    assert not layout.journal.exists()


@pytest.mark.parametrize(
    "target",
    ["../outside/evil", "/OUTSIDE/evil", "tmp/../../outside/evil", "", "./x", "a//b"],
)
def test_a_journal_leading_outside_the_root_is_refused(tmp_path: Path, target: str) -> None:
    client = dockyard.open(tmp_path / "store")
    image_id, _, _ = add_image(client, BASE)
    outside = tmp_path / "outside"
    outside.mkdir()
    source = client.layout.tmp / "payload"
    source.write_bytes(b"data")
    target = target.replace("/OUTSIDE", str(outside))
    _hand_journal(client.layout, ("tmp/payload", target))
    with pytest.raises(StorageError), client.view():
        pass
    with pytest.raises(StorageError):
        client.reference_store.add_tag("x:1", image_id)
    assert list(outside.iterdir()) == []
    assert source.read_bytes() == b"data"
    assert client.layout.journal.exists(), "a refused journal is kept for inspection"


def test_a_refused_journal_applies_nothing(client: dockyard.Client) -> None:
    add_image(client, BASE)
    layout = client.layout
    (layout.tmp / "first").write_bytes(b"1")
    (layout.tmp / "second").write_bytes(b"2")
    _hand_journal(layout, ("tmp/first", "moved"), ("tmp/second", "../escaped"))
    with pytest.raises(StorageError), client.view():
        pass
    assert (layout.tmp / "first").exists(), "an operation before the bad one was applied"
    assert not (layout.root / "moved").exists()


@pytest.mark.parametrize(
    "content",
    [b"", b"garbage", b'{"version":2,"generation":"x","ops":[]}',
     b'{"version":1,"generation":"x","ops":[["unlink","a","b"]]}'],
)  # fmt: skip
def test_an_invalid_journal_is_a_storage_error(client: dockyard.Client, content: bytes) -> None:
    image_id, _, _ = add_image(client, BASE)
    client.layout.journal.write_bytes(content)
    with pytest.raises(StorageError, match="journal"):
        journal.apply_pending(client.layout)
    with pytest.raises(StorageError, match="journal"):
        client.reference_store.add_tag("x:1", image_id)
    assert client.layout.journal.read_bytes() == content
    assert os.listdir(client.layout.root / "image" / "dockyard")
