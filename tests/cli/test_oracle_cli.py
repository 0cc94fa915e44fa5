"""``load``, ``images``, ``inspect`` and ``history`` print what real Docker printed.

For every archive of both oracle versions: the archive is loaded with ``dockyard load -i``
into a fresh store and the output of each command is compared with the ``<name>.load.json``
Docker recorded after loading the same archive into a fresh daemon. Allowed differences:
``CreatedSince`` (relative to now), ``GraphDriver`` and ``Metadata.LastTagTime``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.cli.conftest import API, CLI, ORACLE, Result, record


def _archives() -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    for version in API:
        folder = ORACLE / version
        if folder.is_dir():
            found.extend(
                (version, p.name.removesuffix(".load.json"))
                for p in sorted(folder.glob("*.load.json"))
            )
    return found


ARCHIVES = _archives()
#: The archives real Docker loaded (it failed on skopeo's OCI archive).
LOADED = [(v, n) for v, n in ARCHIVES if record(v, n)["load_exit_code"] == 0]

if not ARCHIVES:
    pytestmark = pytest.mark.skip("the shared oracle is not available")


def _load(cli: CLI, version: str, name: str) -> Result:
    return cli("load", "-i", ORACLE / version / f"{name}.tar")


def _without(record: dict[str, Any], *keys: str) -> dict[str, Any]:
    return {k: v for k, v in record.items() if k not in keys}


def test_every_archive_is_covered() -> None:
    names = {n for _, n in ARCHIVES}
    assert {"base", "app", "scratch", "untagged", "multi"} <= names
    assert ("docker-20.10", "app-oci") in ARCHIVES


@pytest.mark.parametrize(("version", "name"), LOADED, ids=[f"{v}/{n}" for v, n in LOADED])
def test_load_prints_dockers_output(cli: CLI, version: str, name: str) -> None:
    result = _load(cli, version, name).ok()
    assert result.out == record(version, name)["load_output"] + "\n"
    assert "Error" not in result.err


@pytest.mark.parametrize(("version", "name"), LOADED, ids=[f"{v}/{n}" for v, n in LOADED])
def test_images_json_equals_dockers(cli: CLI, version: str, name: str) -> None:
    _load(cli, version, name).ok()
    expected = record(version, name)["images"]
    rows = cli("images", "-a", "--no-trunc", "--format", "json").ok().json_lines()
    assert [_without(r, "CreatedSince") for r in rows] == [
        _without(r, "CreatedSince") for r in expected
    ]
    # same keys, in Docker's order (encoding/json sorts a map's keys)
    assert [list(r) for r in rows] == [list(r) for r in expected]
    assert all(isinstance(r["CreatedSince"], str) and r["CreatedSince"] for r in rows)


@pytest.mark.parametrize(("version", "name"), LOADED, ids=[f"{v}/{n}" for v, n in LOADED])
def test_inspect_equals_dockers(cli: CLI, version: str, name: str) -> None:
    _load(cli, version, name).ok()
    expected = record(version, name)["inspect"]
    ids = [e["Id"] for e in expected]
    result = cli("inspect", "--api", API[version], *ids).ok()
    assert result.out.startswith("[\n    {\n"), "not Go's 4-space MarshalIndent"
    ours = json.loads(result.out)
    assert len(ours) == len(expected)
    for got, want in zip(ours, expected, strict=True):
        assert got["GraphDriver"]["Name"]
        assert set(got["Metadata"]) == set(want["Metadata"])
        got_rest = _without(got, "GraphDriver", "Metadata")
        want_rest = _without(want, "GraphDriver", "Metadata")
        assert got_rest == want_rest
        assert list(got) == list(want), "key order differs from Docker's"


@pytest.mark.parametrize(("version", "name"), LOADED, ids=[f"{v}/{n}" for v, n in LOADED])
def test_inspect_by_tag_and_short_id(cli: CLI, version: str, name: str) -> None:
    _load(cli, version, name).ok()
    for want in record(version, name)["inspect"]:
        names = [want["Id"].removeprefix("sha256:")[:12], *want["RepoTags"]]
        for ref in names:
            got = json.loads(cli("inspect", "--api", API[version], ref).ok().out)
            assert [g["Id"] for g in got] == [want["Id"]], ref


@pytest.mark.parametrize(("version", "name"), LOADED, ids=[f"{v}/{n}" for v, n in LOADED])
def test_history_json_equals_dockers(cli: CLI, version: str, name: str) -> None:
    _load(cli, version, name).ok()
    histories = record(version, name)["history"]
    assert histories
    for image, expected in histories.items():
        rows = cli("history", "--no-trunc", "--format", "{{json .}}", image).ok().json_lines()
        assert [_without(r, "CreatedSince") for r in rows] == [
            _without(r, "CreatedSince") for r in expected
        ], image
        assert [list(r) for r in rows] == [list(r) for r in expected]


def test_skopeo_oci_archive_loads_though_docker_20_10_failed(cli: CLI) -> None:
    """Docker 20.10 could not load ``app-oci.tar``; dockyard loads it as ``oracle/app:1``."""
    if ("docker-20.10", "app-oci") not in ARCHIVES:
        pytest.skip("no app-oci.tar in the oracle")
    docker = record("docker-20.10", "app-oci")
    assert docker["load_exit_code"] != 0
    assert not docker["inspect"]
    result = _load(cli, "docker-20.10", "app-oci").ok()
    assert result.out == "Loaded image: oracle/app:1\n"
    # skopeo rewrote the config as OCI (new ID), but the layers are those of app.tar
    app = record("docker-20.10", "app")["inspect"][0]
    ours = json.loads(cli("inspect", "--api", "1.41", "oracle/app:1").ok().out)[0]
    assert ours["RootFS"] == app["RootFS"]
    assert ours["RepoTags"] == ["oracle/app:1"]
    assert ours["Size"] == app["Size"]
    history = cli("history", "--no-trunc", "--format", "{{json .}}", "oracle/app:1").ok()
    want = record("docker-20.10", "app")["history"][app["Id"]]
    assert [r["CreatedBy"] for r in history.json_lines()] == [r["CreatedBy"] for r in want]


def test_oracle_records_are_for_fresh_daemons(tmp_path: Path) -> None:
    """Sanity of the oracle itself: each load record lists the images it loaded."""
    for version, name in LOADED:
        data = record(version, name)
        assert len(data["images"]) == len(data["inspect"]) == len(data["history"]), name
