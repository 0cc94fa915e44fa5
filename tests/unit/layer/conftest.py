"""Fixtures of the layer store tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from dockyard.layer import LayerStore


@pytest.fixture
def dirs(tmp_path: Path) -> tuple[Path, Path]:
    """The layerdb and payload directories of a store under ``tmp_path``."""
    return tmp_path / "image" / "dockyard" / "layerdb", tmp_path / "dockyard"


@pytest.fixture
def store(dirs: tuple[Path, Path]) -> LayerStore:
    """A fresh, empty layer store."""
    return LayerStore(*dirs)
