"""Several stores and processes writing one repositories.json: no change is lost."""

from __future__ import annotations

import multiprocessing
from pathlib import Path

import pytest

from dockyard._lock import StoreLock
from dockyard.digest import Digest, ImageID, sha256_bytes
from dockyard.errors import ReferenceNotFound, TagConflict
from dockyard.reference import ReferenceStore

ID1 = ImageID(Digest("sha256:" + "1" * 64))
ID2 = ImageID(Digest("sha256:" + "2" * 64))
TAGS_PER_PROCESS = 50


def test_two_stores_on_one_file_lose_nothing(tmp_path: Path) -> None:
    path = tmp_path / "repositories.json"
    first = ReferenceStore(path)
    second = ReferenceStore(path)  # loaded before first writes: its view is stale
    first.add_tag("x:1", ID1)
    second.add_tag("y:1", ID2)
    first.add_tag("z:1", ID1)
    # Each change re-read the file under the lock, so every tag is on disk.
    assert {a.ref.familiar_string() for a in ReferenceStore(path)} == {"x:1", "y:1", "z:1"}
    # The writer's view was refreshed by its own write; the other one needs reload().
    assert first.get("y:1") == ID2
    with pytest.raises(ReferenceNotFound):
        second.get("z:1")
    second.reload()
    assert second.get("z:1") == ID1


def test_conflicts_are_checked_against_the_file(tmp_path: Path) -> None:
    path = tmp_path / "repositories.json"
    first = ReferenceStore(path)
    second = ReferenceStore(path)
    first.add_tag("x:1", ID1)
    with pytest.raises(TagConflict):
        second.add_tag("x:1", ID2)
    second.add_tag("x:1", ID1)  # same image: no-op, no conflict
    first.delete("x:1")
    with pytest.raises(ReferenceNotFound):
        second.delete("x:1")


def test_changes_bump_the_store_generation(tmp_path: Path) -> None:
    lock = StoreLock(tmp_path)
    observer = StoreLock(tmp_path)
    store = ReferenceStore(tmp_path / "repositories.json", lock)
    assert not observer.is_stale()
    store.add_tag("x:1", ID1)
    assert observer.is_stale()
    observer.refresh_if_stale()
    store.add_tag("x:1", ID1)  # no-op
    assert not observer.is_stale()
    store.delete("x:1")
    assert observer.is_stale()


def _add_many(path: str, prefix: str) -> None:
    store = ReferenceStore(Path(path))
    for i in range(TAGS_PER_PROCESS):
        store.add_tag(f"{prefix}/app:{i}", ImageID(sha256_bytes(f"{prefix}{i}".encode())))


def test_two_processes_lose_nothing(tmp_path: Path) -> None:
    path = tmp_path / "repositories.json"
    ReferenceStore(path)
    context = multiprocessing.get_context("spawn")
    workers = [
        context.Process(target=_add_many, args=(str(path), prefix)) for prefix in ("p1", "p2")
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=60)
    assert [w.exitcode for w in workers] == [0, 0]
    store = ReferenceStore(path)
    assert len(store) == 2 * TAGS_PER_PROCESS
    for prefix in ("p1", "p2"):
        for i in range(TAGS_PER_PROCESS):
            assert store.get(f"{prefix}/app:{i}") == sha256_bytes(f"{prefix}{i}".encode())
