from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

import dockyard
from tests.unit.service.builder import Builder


@pytest.fixture
def svc(tmp_path: Path) -> Iterator[dockyard.Client]:
    c = dockyard.open(tmp_path / "store")
    yield c
    c.close()


@pytest.fixture
def build(svc: dockyard.Client) -> Builder:
    return Builder(svc)
