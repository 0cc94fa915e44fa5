"""A large config loads (Docker sets no limit) with memory bounded by its own size.

The config's bytes are read once and parsed in place: the peak of Python allocations
during the load stays under 2.5 times the config's size (its bytes and its parsed values),
whether the archive is a file, a pipe (the config is spooled to an anonymous temporary
file, never staged as a layer) or in memory.
"""

from __future__ import annotations

import hashlib
import tracemalloc
from pathlib import Path

import pytest

import dockyard
from dockyard.archive.load import load
from tests.hostile.builders import KINDS, docker_archive, source
from tests.hostile.typed_cases import LAYER, big_config

SIZE = 64 << 20


@pytest.fixture(scope="module")
def archive() -> bytes:
    return docker_archive([LAYER], config=big_config(SIZE)).build()


@pytest.mark.parametrize("kind", KINDS)
def test_64mib_config_loads_in_bounded_memory(
    store: dockyard.Client, tmp_path: Path, archive: bytes, kind: str
) -> None:
    where = tmp_path.parent / f"{tmp_path.name}-archive.tar"
    stream = source(archive, kind, where)
    tracemalloc.start()
    try:
        result = load(store, stream)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert result.output == "Loaded image: crafted/img:1\n"
    (image,) = result.images
    stored = (store.layout.content / image.id.hex).read_bytes()
    assert len(stored) == SIZE
    assert hashlib.sha256(stored).hexdigest() == image.id.hex
    assert peak < 2.5 * SIZE, f"peak {peak >> 20} MiB for a {SIZE >> 20} MiB config"
