"""Bind the content backend contract to every implementation."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from dockyard.content import FSBackend, MemoryBackend, StoreBackend
from dockyard.digest import Digest
from tests.contracts.backend import StoreBackendContract


class TestMemoryBackend(StoreBackendContract):
    def make_backend(self) -> StoreBackend:
        return MemoryBackend()

    def tamper(self, backend: StoreBackend, dgst: Digest, data: bytes) -> None:
        assert isinstance(backend, MemoryBackend)
        backend._content[dgst] = data


class TestFSBackend(StoreBackendContract):
    roots: list[Path]

    def setup_method(self) -> None:
        self.roots = []

    def teardown_method(self) -> None:
        for root in self.roots:
            shutil.rmtree(root, ignore_errors=True)

    def make_backend(self) -> StoreBackend:
        root = Path(tempfile.mkdtemp(prefix="dockyard-fs-"))
        self.roots.append(root)
        return FSBackend(root / "imagedb")

    def tamper(self, backend: StoreBackend, dgst: Digest, data: bytes) -> None:
        assert isinstance(backend, FSBackend)
        backend.content_path(dgst).write_bytes(data)
