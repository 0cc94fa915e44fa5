"""Legacy archives (no manifest.json): dockyard's load gives what real Docker 20.10 gave."""

from __future__ import annotations

import io
import json
import tarfile
from pathlib import Path

import pytest

import dockyard
from dockyard.archive.load import load
from dockyard.errors import ImageNotFound
from tests.oracle.util import oracle_dir

DATA = Path(__file__).resolve().parent / "data"


def _legacy_archive(source: Path) -> bytes:
    """The archive without manifest.json and without the image config files."""
    out = io.BytesIO()
    with tarfile.open(source) as tar, tarfile.open(fileobj=out, mode="w",
                                                    format=tarfile.USTAR_FORMAT) as new:
        for member in tar.getmembers():
            top_level_json = member.name.endswith(".json") and "/" not in member.name
            if member.name == "manifest.json" or top_level_json:
                continue
            new.addfile(member, tar.extractfile(member) if member.isfile() else None)
    return out.getvalue()


@pytest.mark.parametrize("name", ["base", "app", "multi"])
def test_legacy_load_matches_docker(tmp_path: Path, name: str) -> None:
    source = oracle_dir("docker-20.10") / f"{name}.tar"
    record = json.loads((DATA / f"{name}-legacy.load.json").read_text())
    client = dockyard.open(tmp_path / "store")
    result = load(client, io.BytesIO(_legacy_archive(source)))
    assert result.layout == "legacy"
    assert result.output == record["load_output"]
    assert len(record["images"]) > 1 or name == "base"
    assert sorted(client.image_store.ids()) == sorted(i["Id"] for i in record["images"])
    for expected in record["images"]:
        image_id = expected["Id"]
        tags = sorted(r.familiar_string() for r in client.reference_store.references(image_id))
        assert tags == sorted(expected["RepoTags"])
        try:
            parent = client.image_store.get_parent(image_id)
        except ImageNotFound:
            parent = None
        assert (parent or "") == expected["Parent"]
        img = client.image_store.get(image_id)
        assert img.rootfs is not None
        assert list(img.rootfs.diff_ids) == expected["Layers"]
