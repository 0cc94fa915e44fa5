"""Per-command cost follows what the command touches: counted, not timed.

A few thousand images are loaded from one archive; then each command's number of config
files read, ``repositories.json`` writes and commits is counted through ``client.stats``.
"""

from __future__ import annotations

import io
import json
import tarfile
from pathlib import Path

import pytest

import dockyard
from dockyard.archive.load import load
from dockyard.digest import sha256_bytes
from dockyard.reference import parse_normalized_named
from dockyard.service.history import history
from dockyard.service.images import list_images
from dockyard.service.inspect import inspect_image
from dockyard.service.prune import disk_usage, prune_images
from dockyard.service.tags import remove_image, tag_image
from dockyard.store.view import Stats

COUNT = 3000


def _archive(path: Path, count: int) -> None:
    """``count`` images on one shared layer, each with its own label and tag."""
    layer = io.BytesIO()
    with tarfile.open(fileobj=layer, mode="w", format=tarfile.USTAR_FORMAT) as tar:
        info = tarfile.TarInfo("hello.txt")
        info.size = 5
        tar.addfile(info, io.BytesIO(b"hello"))
    diff = str(sha256_bytes(layer.getvalue()))
    manifest = []
    with tarfile.open(path, "w", format=tarfile.USTAR_FORMAT) as tar:

        def add(name: str, data: bytes) -> None:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))

        add("layer/layer.tar", layer.getvalue())
        for n in range(count):
            config = json.dumps({
                "architecture": "amd64", "os": "linux",
                "created": f"2024-01-01T00:{n // 60 % 60:02d}:{n % 60:02d}Z",
                "config": {"Labels": {"n": str(n)}},
                "rootfs": {"type": "layers", "diff_ids": [diff]},
            }).encode()  # fmt: skip
            name = f"{sha256_bytes(config).hex}.json"
            add(name, config)
            manifest.append({"Config": name, "RepoTags": [f"scale/img:{n}"],
                             "Layers": ["layer/layer.tar"]})  # fmt: skip
        add("manifest.json", json.dumps(manifest).encode())


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("scale")
    _archive(base / "images.tar", COUNT)
    client = dockyard.open(base / "store")
    result = load(client, base / "images.tar")
    assert len(result.images) == COUNT
    # One transaction, one rewrite of repositories.json, whatever the number of images.
    assert client.stats.commits == 1
    assert client.stats.repositories_writes == 1
    assert client.stats.configs_read == 0
    return base / "store"


def _counts(root: Path) -> tuple[dockyard.Client, Stats]:
    client = dockyard.open(root)
    return client, client.stats


def test_listing_reads_no_config(loaded: Path) -> None:
    client, stats = _counts(loaded)
    assert len(list_images(client)) == COUNT
    assert len(list_images(client, filters={"label": ["n=7"]})) == 1
    usage = disk_usage(client)
    assert usage.total_count == COUNT
    assert stats.configs_read == 0
    assert stats.rebuilds == 0, "a fresh index is used as it is"


def test_inspect_and_history_read_one_config(loaded: Path) -> None:
    client, stats = _counts(loaded)
    assert inspect_image(client, "scale/img:42")["Config"]["Labels"] == {"n": "42"}
    assert stats.configs_read == 1
    history(client, "scale/img:43")  # ancestors come from the index, not their configs
    assert stats.configs_read == 2


def test_tag_and_rmi_write_once_and_read_no_config(loaded: Path) -> None:
    client, stats = _counts(loaded)
    tag_image(client, "scale/img:1", "scale/copy:1")
    assert (stats.commits, stats.repositories_writes, stats.configs_read) == (1, 1, 0)
    events = remove_image(client, "scale/img:2")
    assert str(events[0]) == "Untagged: scale/img:2"
    assert (stats.commits, stats.repositories_writes, stats.configs_read) == (2, 2, 0)


def test_prune_of_many_images_is_one_commit(loaded: Path) -> None:
    client, stats = _counts(loaded)
    with client.transaction() as tx:
        for n in range(100, 200):
            tx.delete_reference(parse_normalized_named(f"scale/img:{n}"))
    report = prune_images(client)
    assert len([e for e in report.deleted if e.deleted]) == 100
    assert (stats.commits, stats.repositories_writes) == (2, 1)
    assert stats.configs_read == 0
