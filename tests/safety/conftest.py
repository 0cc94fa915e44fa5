"""Fixtures of the safety tests: a fresh store per test, driven through real processes."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.safety.archives import Populated
from tests.safety.harness import Dockyard


@pytest.fixture
def home(tmp_path: Path) -> Path:
    path = tmp_path / "home"
    path.mkdir()
    return path


@pytest.fixture
def dy(tmp_path: Path, home: Path) -> Dockyard:
    """The CLI on a fresh (not yet created) store ``tmp_path/store``."""
    return Dockyard(tmp_path / "store", home)


def populate(dy: Dockyard, scratch: Path) -> Populated:
    """Load the standard images (``safety/a:1``, ``safety/b:1``, one untagged) into ``dy``."""
    images = Populated()
    path = scratch / "populated.tar"
    path.write_bytes(images.archive())
    dy("load", "-q", "-i", path).ok()
    return images


@pytest.fixture
def populated(dy: Dockyard, tmp_path: Path) -> Populated:
    return populate(dy, tmp_path)
