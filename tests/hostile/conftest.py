"""The store every hostile test starts from: it already holds an image."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

import dockyard
from dockyard.archive.load import load
from tests.hostile.builders import docker_archive, layer_tar


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dockyard.Client:
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    monkeypatch.chdir(cwd)
    client = dockyard.open(tmp_path / "store")
    existing = layer_tar({"existing.txt": b"already here\n"})
    load(client, io.BytesIO(docker_archive([existing], repo_tags=["existing/img:1"]).build()))
    return client
