"""Legacy archives (no manifest.json): dockyard's load gives what real Docker 20.10 gave."""

from __future__ import annotations

import hashlib
import io
import json
import tarfile
from pathlib import Path

import pytest

import dockyard
from dockyard.archive.load import load
from tests.oracle.util import assert_image_as_docker, oracle_dir

DATA = Path(__file__).resolve().parent / "data"
#: The sha256 of the shared oracle's archives the answers in ``data/`` were recorded from.
RECORDED_FROM = {
    "app": "a68bc8a4e599f4a7502da020b60ff2790bd195cca2538088a255087c13c9a43a",
    "base": "7e37dff7dd815fc61cf27e67ae1cde9d2824d3cbb97b94199aa76001e53f6976",
    "multi": "23878b5fbbe1846762429b5980a7ab577120406a2fda59a8c4b6f7636544c3bd",
}


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
    if hashlib.sha256(source.read_bytes()).hexdigest() != RECORDED_FROM[name]:
        pytest.skip("data/ holds Docker's answers for the shared oracle's archives, not these")
    record = json.loads((DATA / f"{name}-legacy.load.json").read_text())
    client = dockyard.open(tmp_path / "store")
    result = load(client, io.BytesIO(_legacy_archive(source)))
    assert result.layout == "legacy"
    assert result.output == record["load_output"]
    assert len(record["images"]) > 1 or name == "base"
    assert sorted(client.image_store.ids()) == sorted(i["Id"] for i in record["images"])
    for expected in record["images"]:
        assert_image_as_docker(
            client, expected["Id"], expected["RepoTags"], expected["Parent"], expected["Layers"]
        )
