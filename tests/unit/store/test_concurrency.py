"""Several writers on one store lose nothing; readers never wait for the writer lock."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import dockyard
from dockyard.digest import ImageID
from tests.unit.store import processes
from tests.unit.store.helpers import BASE, add_image, repositories, snapshot
from tests.unit.store.worker import tag_image

PREFIXES = ("p1", "p2", "p3")
TAGS_PER_PROCESS = 15
READ_TIMEOUT = 10


def _in_thread(action: Callable[[], Any]) -> Any:
    """Run ``action`` in a thread; fail (instead of hanging) when it does not finish."""
    result: list[Any] = []
    errors: list[BaseException] = []

    def target() -> None:
        try:
            result.append(action())
        except BaseException as exc:
            errors.append(exc)

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(READ_TIMEOUT)
    assert not thread.is_alive(), "the reader waited for the writer lock"
    if errors:
        raise errors[0]
    return result[0]


@contextlib.contextmanager
def _locked_by_a_thread(client: dockyard.Client) -> Iterator[None]:
    """Hold ``client``'s writer lock in another thread while the block runs."""
    taken, release = threading.Event(), threading.Event()

    def hold() -> None:
        with client.store.lock.exclusive():
            taken.set()
            release.wait(READ_TIMEOUT * 3)

    holder = threading.Thread(target=hold, daemon=True)
    holder.start()
    assert taken.wait(READ_TIMEOUT)
    try:
        yield
    finally:
        release.set()
        holder.join(READ_TIMEOUT)


def _read_all(client: dockyard.Client, image_id: ImageID) -> tuple[int, str, str]:
    with client.view() as view:
        count = view.count()
    img = client.image_store.get(image_id)
    return count, str(img.id), str(client.reference_store.get("app:1"))


def test_processes_tagging_one_store_lose_nothing(tmp_path: Path) -> None:
    root = tmp_path / "store"
    workers = [processes.start("tag", root, prefix, str(TAGS_PER_PROCESS)) for prefix in PREFIXES]
    for worker in workers:
        worker.communicate(timeout=processes.TIMEOUT)
    assert [w.returncode for w in workers] == [0] * len(PREFIXES)
    client = dockyard.open(root)
    assert len(client.reference_store) == len(PREFIXES) * TAGS_PER_PROCESS
    for prefix in PREFIXES:
        for i in range(TAGS_PER_PROCESS):
            assert client.reference_store.get(f"{prefix}/app:{i}") == tag_image(prefix, i)
    expected = dockyard.open(tmp_path / "expected")
    with expected.transaction():
        for prefix in PREFIXES:
            for i in range(TAGS_PER_PROCESS):
                expected.reference_store.add_tag(f"{prefix}/app:{i}", tag_image(prefix, i))
    assert repositories(client) == repositories(expected)
    assert client.problems == []


def test_readers_do_not_wait_for_a_writer_thread(client: dockyard.Client) -> None:
    image_id, _, _ = add_image(client, BASE)
    client.reference_store.add_tag("app:1", image_id)
    with _locked_by_a_thread(client):
        count, found, tagged = _in_thread(lambda: _read_all(client, image_id))
    assert (count, found, tagged) == (1, str(image_id), str(image_id))


def test_readers_do_not_wait_for_a_writer_process(client: dockyard.Client) -> None:
    image_id, _, _ = add_image(client, BASE)
    client.reference_store.add_tag("app:1", image_id)
    other = dockyard.open(client.root)
    with processes.holding("hold-lock", client.root):
        assert client.store.lock.held is False
        result = _in_thread(lambda: _read_all(other, image_id))
    assert result == (1, str(image_id), str(image_id))


def test_a_stale_index_under_a_busy_writer_is_read_from_the_files(
    client: dockyard.Client,
) -> None:
    image_id, _, _ = add_image(client, BASE)
    client.reference_store.add_tag("app:1", image_id)
    client.layout.index.unlink()
    before = snapshot(client.root)
    reader = dockyard.open(client.root)
    with processes.holding("hold-lock", client.root):
        result = _in_thread(lambda: _read_all(reader, image_id))
        assert reader.stats.rebuilds == 1
    assert result == (1, str(image_id), str(image_id))
    assert snapshot(client.root) == before, "a reader wrote to the store"


def test_nested_reads_while_the_index_is_rebuilt_in_memory(client: dockyard.Client) -> None:
    # Facade calls inside a view (as commands do) while the writer is busy and the
    # index is stale: every read then shares the one in-memory index.
    image_id, _, _ = add_image(client, BASE)
    client.layout.index.unlink()
    with _locked_by_a_thread(client), client.view() as view:
        assert view.count() == 1
        assert client.image_store.get(image_id).id == image_id
        assert view.count() == 1


def test_a_snapshot_outlives_a_newer_in_memory_snapshot(client: dockyard.Client) -> None:
    image_id, _, _ = add_image(client, BASE)
    client.reference_store.add_tag("app:1", image_id)
    client.layout.index.unlink()
    opened, changed, finished = threading.Event(), threading.Event(), threading.Event()
    seen: list[object] = []

    def long_reader() -> None:
        try:
            with client.view() as view:
                opened.set()
                changed.wait(READ_TIMEOUT)
                seen.append([r.name for r in view.all_refs()])
        except BaseException as exc:
            seen.append(exc)
        finally:
            finished.set()

    with _locked_by_a_thread(client):
        thread = threading.Thread(target=long_reader, daemon=True)
        thread.start()
        assert opened.wait(READ_TIMEOUT)
        repositories_path = client.layout.repositories
        repositories_path.write_bytes(repositories_path.read_bytes().replace(b"app:1", b"app:2"))
        with client.view() as newer:
            assert [r.name for r in newer.all_refs()] == ["app:2"]
        changed.set()
        assert finished.wait(READ_TIMEOUT)
    assert seen == [["app:1"]]
