"""The derived index: rebuilt from Docker's files when missing, broken or stale."""

from __future__ import annotations

import os
import shutil
import sqlite3
from pathlib import Path
from typing import Any

import pytest

import dockyard
from dockyard.digest import ImageID
from tests.unit.store.helpers import BASE, MIDDLE, TOP, add_image, mode, replace_file, snapshot


def _answers(client: dockyard.Client) -> dict[str, Any]:
    """Everything a command could ask the index."""
    with client.view() as view:
        return {
            "images": [(r.id, r.parent, r.chain, r.last_updated) for r in view.images()],
            "sizes": [(r.id, size) for r, size in view.images_with_size()],
            "layers": sorted(view.layers().values(), key=lambda r: r.chain_id),
            "refs": view.all_refs(),
            "children": {i: view.children(i) for i in view.with_children()},
            "problems": view.problems(),
        }


@pytest.fixture
def images(client: dockyard.Client) -> tuple[ImageID, ImageID]:
    base, _, _ = add_image(client, BASE)
    child, _, _ = add_image(client, BASE, MIDDLE)
    with client.transaction():
        client.image_store.set_parent(child, base)
        client.image_store.set_last_updated(child)
        client.reference_store.add_tag("base:1", base)
        client.reference_store.add_digest("child@sha256:" + "d" * 64, child)
    return base, child


def test_a_fresh_index_is_used_as_it_is(
    client: dockyard.Client, images: tuple[ImageID, ImageID]
) -> None:
    other = dockyard.open(client.root)
    expected = _answers(client)
    assert _answers(other) == expected
    assert other.stats.rebuilds == 0
    client.reference_store.add_tag("more:1", images[0])  # a commit keeps the index fresh
    assert other.reference_store.get("more:1") == images[0]
    assert (client.stats.rebuilds, other.stats.rebuilds) == (1, 0)


def test_a_deleted_index_is_rebuilt_with_the_same_answers(
    client: dockyard.Client, images: tuple[ImageID, ImageID]
) -> None:
    expected = _answers(client)
    os.unlink(client.layout.index)
    other = dockyard.open(client.root)
    assert _answers(other) == expected
    assert other.stats.rebuilds == 1
    assert client.layout.index.is_file()
    assert mode(client.layout.index) == 0o600
    assert other.image_store.search(images[1].hex[:8]) == images[1]
    assert other.image_store.get_parent(images[1]) == images[0]


def _corrupt_table(path: Path, table: str) -> None:
    """Overwrite the root page of ``table`` with garbage, as a torn write would."""
    with sqlite3.connect(path) as conn:
        page_size = conn.execute("PRAGMA page_size").fetchone()[0]
        (root_page,) = conn.execute(
            "SELECT rootpage FROM sqlite_master WHERE name = ?", (table,)
        ).fetchone()
    conn.close()
    with path.open("r+b") as fh:
        fh.seek((root_page - 1) * page_size)
        fh.write(b"\xff" * page_size)


@pytest.mark.parametrize("damage", ["garbage", "empty", "old-schema", "corrupt-page"])
def test_a_broken_index_is_rebuilt(
    client: dockyard.Client, images: tuple[ImageID, ImageID], damage: str
) -> None:
    expected = _answers(client)
    path = client.layout.index
    if damage == "garbage":
        path.write_bytes(b"this is not a database" * 100)
    elif damage == "empty":
        path.write_bytes(b"")
    elif damage == "corrupt-page":
        _corrupt_table(path, "images")
    else:
        with sqlite3.connect(path) as conn:
            conn.execute("UPDATE meta SET value = '0' WHERE key = 'schema'")
        conn.close()
    other = dockyard.open(client.root)
    assert _answers(other) == expected
    assert other.stats.rebuilds == 1
    assert _answers(dockyard.open(client.root)) == expected


def test_a_hand_edit_of_repositories_json_is_seen(
    client: dockyard.Client, images: tuple[ImageID, ImageID]
) -> None:
    base, child = images
    path = client.layout.repositories
    edited = path.read_bytes().replace(b'"base":{', b'"base":{"base:2":"' + child.encode() + b'",')
    with path.open("r+b") as fh:  # in place: same inode
        fh.write(edited)
    assert client.reference_store.get("base:2") == child
    client.reference_store.add_tag("base:3", base)  # a write keeps the hand-made tag
    assert client.reference_store.get("base:2") == child
    assert b'"base:2"' in path.read_bytes()


def test_files_changed_by_another_tool_are_seen(
    client: dockyard.Client, images: tuple[ImageID, ImageID], tmp_path: Path
) -> None:
    base, child = images
    elsewhere = dockyard.open(tmp_path / "elsewhere")
    foreign, raw, (chain,) = add_image(elsewhere, TOP)
    expected = _answers(client)
    # Copy a whole image in, file by file, as `cp -r` of Docker's directories would.
    shutil.copytree(elsewhere.layout.layer_dir(chain.hex), client.layout.layer_dir(chain.hex))
    cache_id = (client.layout.layer_dir(chain.hex) / "cache-id").read_text()
    shutil.copytree(elsewhere.layout.data / cache_id, client.layout.data / cache_id)
    client.layout.config_path(foreign.hex).write_bytes(raw)
    assert sorted(client.image_store.ids()) == sorted([base, child, foreign])
    assert str(client.layer_store.get(chain).diff_id) == str(chain)
    shutil.rmtree(client.layout.metadata_dir(child.hex))  # parent and lastUpdated gone
    assert client.image_store.get(child).parent is None
    assert client.image_store.get_last_updated(child) is None
    client.layout.config_path(foreign.hex).unlink()
    replace_file(client.layout.config_path(foreign.hex), raw)
    assert foreign in client.image_store
    client.layout.config_path(foreign.hex).unlink()
    assert _answers(client)["refs"] == expected["refs"]
    assert foreign not in client.image_store


def test_a_stale_index_of_a_read_only_store_is_rebuilt_in_memory(
    client: dockyard.Client, images: tuple[ImageID, ImageID], monkeypatch: pytest.MonkeyPatch
) -> None:
    base, child = images
    path = client.layout.repositories
    path.write_bytes(path.read_bytes().replace(b'"base:1"', b'"base:9"'))
    before = snapshot(client.root, skip=())
    real_access = os.access

    def read_only(target: Any, how: int, **kwargs: Any) -> bool:
        if how & os.W_OK and Path(target).is_relative_to(client.root):
            return False
        return real_access(target, how, **kwargs)

    monkeypatch.setattr(os, "access", read_only)
    reader = dockyard.open(client.root)
    assert not reader.store.writable()
    assert reader.reference_store.get("base:9") == base
    assert next(a.ref.familiar_string() for a in reader.reference_store) == "base:9"
    assert reader.image_store.get(child).parent == base
    assert reader.stats.rebuilds == 1, "the in-memory index is kept while the files stay"
    assert snapshot(client.root, skip=()) == before, "a read-only reader wrote"
    monkeypatch.undo()
    assert client.reference_store.get("base:9") == base  # a writer rebuilds it in place
    assert snapshot(client.root, skip=()) != before
