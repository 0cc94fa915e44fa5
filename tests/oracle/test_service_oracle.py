"""Acceptance: images, inspect and history of the service equal what real Docker printed.

Every archive of both oracle versions is put into a fresh store with the library alone
(register layers, create the config, set the parent, add the tags — what ``docker load``
does), then compared with the ``<name>.load.json`` Docker recorded after loading it.
Allowed differences: ``GraphDriver.Name`` (Docker's ``vfs``, dockyard's ``dockyard``)
and the time-relative ``CreatedSince`` columns. ``Metadata.LastTagTime`` is compared too
(both are Go's zero time after a load).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

import dockyard
from dockyard.service.history import history
from dockyard.service.images import image_rows, list_images
from dockyard.service.inspect import inspect_image
from dockyard.units import format_created_at, human_size
from tests.oracle.util import ORACLE, OracleArchive, create_image, load_json

VERSIONS = {"docker-20.10": "v1.41", "docker-28.3": "v1.50"}


def _records() -> list[tuple[str, Path]]:
    out: list[tuple[str, Path]] = []
    for version in VERSIONS:
        folder = ORACLE / version
        if folder.is_dir():
            out.extend((version, p) for p in sorted(folder.glob("*.load.json")))
    return out


RECORDS = _records()


def _fill(client: dockyard.Client, archive_path: Path) -> None:
    archive = OracleArchive(archive_path)
    try:
        for item in archive.images():
            image_id, _chains = create_image(client, archive, item)
            if item.parent and item.parent in client.image_store:
                client.image_store.set_parent(image_id, item.parent)
            for tag in item.repo_tags:
                client.reference_store.add_tag(tag, image_id, force=True)
    finally:
        archive.close()


@pytest.fixture(params=RECORDS, ids=[f"{v}/{p.name}" for v, p in RECORDS])
def loaded(
    request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[tuple[dockyard.Client, dict[str, Any], str]]:
    version, record_path = request.param
    record = load_json(record_path)
    if not record["inspect"]:
        pytest.skip(f"Docker could not load {record_path.name}")
    client = dockyard.open(tmp_path / "store")
    _fill(client, record_path.with_name(record_path.name.replace(".load.json", ".tar")))
    yield client, record, VERSIONS[version]
    client.close()


if not RECORDS:
    pytestmark = pytest.mark.skip("the shared oracle is not available")


def test_inspect_equals_docker(loaded: tuple[dockyard.Client, dict[str, Any], str]) -> None:
    client, record, compat = loaded
    for expected in record["inspect"]:
        ours = inspect_image(client, expected["Id"], compat=compat)
        assert ours["GraphDriver"] == {"Data": None, "Name": "dockyard"}
        expected = dict(expected, GraphDriver=ours["GraphDriver"])
        assert ours == expected
        assert list(ours) == list(expected), "key order differs from Docker's"
        assert list(ours["Config"]) == list(expected["Config"])


def test_history_equals_docker(loaded: tuple[dockyard.Client, dict[str, Any], str]) -> None:
    client, record, _ = loaded
    assert record["history"]
    for image_id, expected in record["history"].items():
        rows = [
            {
                "Comment": row.comment,
                "CreatedAt": datetime.fromtimestamp(row.created, UTC).strftime(
                    "%Y-%m-%dT%H:%M:%SZ"
                ),
                "CreatedBy": row.created_by,
                "ID": row.id,
                "Size": human_size(row.size, 3),
            }
            for row in history(client, image_id)
        ]
        assert rows == [{k: v for k, v in e.items() if k != "CreatedSince"} for e in expected]


def test_images_equal_docker(loaded: tuple[dockyard.Client, dict[str, Any], str]) -> None:
    client, record, _ = loaded
    rows = [
        {
            "Containers": "N/A",
            "CreatedAt": format_created_at(row.created),
            "Digest": row.digest,
            "ID": row.id,
            "Repository": row.repository,
            "SharedSize": "N/A",
            "Size": human_size(row.size, 3),
            "Tag": row.tag,
            "UniqueSize": "N/A",
            "VirtualSize": human_size(row.size),
        }
        for row in image_rows(list_images(client, all=True))
    ]
    expected = [{k: v for k, v in e.items() if k != "CreatedSince"} for e in record["images"]]
    assert rows == expected
