"""Access to the real Docker archives of the shared oracle (skipped when absent)."""

from __future__ import annotations

import json
import tarfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.oracle.util import ORACLE as ORACLE

VERSIONS = ("docker-20.10", "docker-28.3")


def require_oracle() -> Path:
    if not ORACLE.is_dir():
        pytest.skip("the shared oracle directory is not available")
    return ORACLE


def archive(version: str, name: str) -> tarfile.TarFile:
    """Open an oracle archive (use it as a context manager); skip when absent."""
    path = require_oracle() / version / name
    if not path.is_file():
        pytest.skip(f"{version}/{name} is not available")
    return tarfile.open(path)


def read(tar: tarfile.TarFile, name: str) -> bytes:
    member = tar.extractfile(name)
    assert member is not None, name
    return member.read()


def manifest_configs(version: str) -> Iterator[tuple[str, str, bytes]]:
    """Yield (archive name, config path, config bytes) for every manifest item."""
    folder = require_oracle() / version
    if not folder.is_dir():
        pytest.skip(f"the oracle has no {version} directory")
    for path in sorted(folder.glob("*.tar")):
        with tarfile.open(path) as tar:
            if "manifest.json" not in tar.getnames():
                continue
            items = [
                (path.name, item["Config"], read(tar, item["Config"]))
                for item in json.loads(read(tar, "manifest.json"))
            ]
        yield from items
