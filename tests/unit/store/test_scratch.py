"""Scratch directories under ``<root>/tmp``: removed when their owner is gone, never before."""

from __future__ import annotations

import io
from pathlib import Path

import dockyard
from dockyard.digest import Digest, ImageID
from dockyard.store.scratch import ScratchDir, clean_dead, live_scratch
from tests.unit.store import processes
from tests.unit.store.helpers import BASE, mode
from tests.unit.store.worker import DIED

ID1 = ImageID(Digest("sha256:" + "1" * 64))


def _write(client: dockyard.Client, name: str = "w:1") -> None:
    """Any command that writes (it cleans up dead scratch space first)."""
    client.reference_store.add_tag(name, ID1)


def _dead_dir(client: dockyard.Client, name: str) -> Path:
    """A scratch directory nobody holds, as a killed process leaves it."""
    path = client.layout.tmp / name
    (path / "000001").mkdir(parents=True)
    (path / "000001" / "layer.tar").write_bytes(b"partial")
    return path


def test_a_dead_owners_directories_are_removed_by_the_next_writer(
    client: dockyard.Client,
) -> None:
    _write(client)
    dead = [_dead_dir(client, f"{prefix}0123456789abcdef") for prefix in
            ("stage-", "txn-", "scratch-", ".new-")]  # fmt: skip
    stray = client.layout.tmp / "stage-file"
    stray.write_bytes(b"x")
    other = client.layout.tmp / "not-scratch"
    other.mkdir()
    with client.view():
        pass
    assert all(path.exists() for path in dead), "a reader removed scratch space"
    _write(client, "w:2")
    assert [path for path in dead if path.exists()] == []
    assert not stray.exists()
    assert other.is_dir(), "only scratch names are cleaned"


def test_a_killed_process_staging_area_is_removed(client: dockyard.Client) -> None:
    _write(client)
    process = processes.start("stage", client.root, "die")
    out, _ = process.communicate(timeout=processes.TIMEOUT)
    assert process.returncode == DIED
    area = Path(out.strip())
    assert area.parent == client.layout.tmp
    assert area.name.startswith("stage-")
    assert (area / "000001" / "layer.tar").is_file()
    _write(client, "w:2")
    assert not area.exists()


def test_a_live_staging_area_in_this_process_is_kept(client: dockyard.Client) -> None:
    _write(client)
    with client.staging() as area, client.scratch() as scratch:
        staged = area.stage(io.BytesIO(BASE))
        assert mode(scratch.path) == 0o700
        assert mode(staged.payload_dir.parent) == 0o700
        assert live_scratch(client.layout) >= {scratch.path, staged.payload_dir.parent}
        _write(client, "w:2")
        assert clean_dead(client.layout) == []
        assert staged.payload_dir.is_dir()
        assert scratch.path.is_dir()
        client.layer_store.register(io.BytesIO(BASE))  # another area opens and closes
        assert staged.payload_dir.is_dir()
    assert not staged.payload_dir.parent.exists()
    assert not scratch.path.exists()


def test_a_live_staging_area_of_another_process_is_kept(client: dockyard.Client) -> None:
    _write(client)
    with processes.holding("stage", client.root, "wait") as printed:
        area = Path(printed)
        assert area in live_scratch(client.layout)
        _write(client, "w:2")
        assert (area / "000001" / "layer.tar").is_file()
    assert not area.exists(), "its owner removed it when done"


def test_a_scratch_directory_is_removed_when_closed(root: Path) -> None:
    client = dockyard.open(root)
    scratch = ScratchDir(client.layout, "scratch-")
    (scratch.path / "file").write_bytes(b"x")
    scratch.close()
    scratch.close()  # twice is fine
    assert not scratch.path.exists()
    assert clean_dead(client.layout) == []
