"""Fixtures of the store tests: a fresh store (not created yet) per test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

import dockyard


@pytest.fixture
def root(tmp_path: Path) -> Path:
    """Where the store of the test lives (created by its first write)."""
    return tmp_path / "store"


@pytest.fixture
def client(root: Path) -> Iterator[dockyard.Client]:
    """A client of the store at ``root``."""
    with dockyard.open(root) as opened:
        yield opened
