"""The Docker-recorded outputs of the shared oracle (tests skip when it is absent)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.oracle.util import ORACLE as ORACLE

VERSIONS = ("docker-20.10", "docker-28.3")


def load(version: str, name: str) -> dict[str, Any]:
    path = ORACLE / version / name
    if not path.is_file():
        pytest.skip(f"oracle file {version}/{name} is not available")
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def load_files(version: str) -> list[str]:
    folder = ORACLE / version
    if not folder.is_dir():
        pytest.skip("the shared oracle directory is not available")
    return sorted(p.name for p in folder.glob("*.load.json"))
