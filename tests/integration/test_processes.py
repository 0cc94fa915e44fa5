"""Several processes on one store, and writers killed at random points."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import dockyard
from dockyard.digest import Digest

REPO = Path(__file__).resolve().parents[2]


def _spawn(root: Path, prefix: str, count: int, seed: int, churn: bool) -> subprocess.Popen[str]:
    env = dict(os.environ, PYTHONPATH=str(REPO))
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.integration.worker",
            str(root),
            prefix,
            str(count),
            str(seed),
            "churn" if churn else "keep",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=REPO,
        env=env,
    )


def _created(output: str) -> dict[str, str]:
    """name -> image ID of every image a worker reported as fully created."""
    out = {}
    for line in output.splitlines():
        parts = line.split()
        if len(parts) == 2:
            out[parts[1]] = parts[0]
    return out


def _assert_intact(root: Path, created: dict[str, str], *, tagged: bool = True) -> dockyard.Client:
    client = dockyard.open(root)
    assert not client.problems, client.problems
    for name, image_id in created.items():
        img = client.image_store.get(image_id)
        assert img.id == image_id
        if tagged:
            assert client.reference_store.get(name) == image_id
        layer = client.image_store.layer(image_id)
        assert layer is not None
        with client.layer_store.tar_stream(layer.chain_id) as stream:
            while stream.read(1 << 16):
                pass
    assert client.layer_store.check() == []
    for assoc in client.reference_store:
        assert assoc.image_id in client.image_store, f"tag {assoc.ref} points nowhere"
    return client


def test_two_writers_at_once(tmp_path: Path) -> None:
    root = tmp_path / "store"
    dockyard.open(root)
    workers = [_spawn(root, f"w{i}", 12, seed=i, churn=True) for i in range(2)]
    created: dict[str, str] = {}
    for proc in workers:
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
        created.update(_created(out))
    assert len(created) == 24
    client = _assert_intact(root, created)
    assert len(client.image_store) == 24
    assert len(client.reference_store) == 24
    # only the shared base plus one top layer per kept image survive the churn
    assert len(client.layer_store) == 25


def test_reader_sees_writer_changes(tmp_path: Path) -> None:
    root = tmp_path / "store"
    reader = dockyard.open(root)
    proc = _spawn(root, "w", 3, seed=7, churn=False)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    created = _created(out)
    assert sorted(reader.image_store.ids()) == sorted(Digest(i) for i in created.values())
    assert reader.reference_store.get("w/img:0") == created["w/img:0"]


@pytest.mark.parametrize("seed", range(8))
def test_writer_killed_at_random_point(tmp_path: Path, seed: int) -> None:
    root = tmp_path / "store"
    dockyard.open(root)
    rng = random.Random(seed)
    proc = _spawn(root, "k", 1000, seed=seed, churn=True)
    time.sleep(rng.uniform(0.3, 1.5))
    proc.send_signal(signal.SIGKILL)
    out, _err = proc.communicate(timeout=60)
    created = _created(out)
    # an image is fully created once its ID was printed; its tag is added just before that
    client = _assert_intact(root, created)
    with client.transaction():
        pass  # the next writer removes what the killed one left in tmp/
    leftovers = [
        p
        for p in root.rglob("*")
        if p.name.startswith(".tmp-") or p.name.endswith("-removing") or "write-set-" in p.name
    ]
    assert leftovers == []
    assert not (root / "journal").exists()
    assert list((root / "tmp").iterdir()) == []
    for image_id in client.image_store.ids():
        client.image_store.get(image_id)
