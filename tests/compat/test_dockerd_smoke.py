"""Smoke tests of the private dockerd: it loads the oracle archives as Docker 20.10 did."""

from __future__ import annotations

import copy
import json
import tarfile
from pathlib import Path
from typing import Any

import pytest

from tests.compat.dockerd import PrivateDockerd
from tests.oracle.util import ORACLE as _ORACLE_ROOT

ORACLE = _ORACLE_ROOT / "docker-20.10"

# `docker images` / `docker history` fields that depend on when the command ran
VOLATILE_FIELDS = {"CreatedSince"}


def oracle_file(name: str) -> Path:
    path = ORACLE / name
    if not path.is_file():
        pytest.skip(f"oracle file {name} is not available")
    return path


def oracle_load(name: str) -> dict[str, Any]:
    data = json.loads(oracle_file(f"{name}.load.json").read_text())
    assert isinstance(data, dict)
    return data


def comparable_inspect(obj: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(obj)
    out.pop("GraphDriver", None)
    out.get("Metadata", {}).pop("LastTagTime", None)
    return out


def without_volatile(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{k: v for k, v in r.items() if k not in VOLATILE_FIELDS} for r in rows]


def comparable_images(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(without_volatile(rows), key=lambda r: (r["ID"], r["Repository"], r["Tag"]))


@pytest.fixture
def empty_dockerd(dockerd: PrivateDockerd) -> PrivateDockerd:
    dockerd.reset()
    return dockerd


@pytest.mark.compat
def test_daemon_starts_empty_and_private(empty_dockerd: PrivateDockerd) -> None:
    d = empty_dockerd
    assert d.images_json() == []
    info = json.loads(d.run("info", "--format", "{{json .}}").stdout)
    assert info["Driver"] == "vfs"
    assert info["DockerRootDir"] == str(d.data_root)
    assert d.host.startswith("unix://")
    assert len(str(d.socket).encode()) < 108


@pytest.mark.compat
@pytest.mark.parametrize("name", ["base", "app"])
def test_load_matches_oracle(empty_dockerd: PrivateDockerd, name: str) -> None:
    d = empty_dockerd
    want = oracle_load(name)
    archive = oracle_file(f"{name}.tar")

    out = d.load(archive)

    assert want["load_exit_code"] == 0
    assert out == want["load_output"]
    assert comparable_images(d.images_json()) == comparable_images(want["images"])
    want_ids = sorted({img["Id"] for img in want["inspect"]})
    assert d.image_ids() == want_ids
    got = {img["Id"]: comparable_inspect(img) for img in d.inspect_many(want_ids)}
    assert got == {img["Id"]: comparable_inspect(img) for img in want["inspect"]}
    for img in want["inspect"]:
        for tag in img["RepoTags"]:
            assert d.inspect(tag)["Id"] == img["Id"]
        got_history = without_volatile(d.history_json(img["Id"]))
        assert got_history == without_volatile(want["history"][img["Id"]])


@pytest.mark.compat
def test_save_base_roundtrip(empty_dockerd: PrivateDockerd, tmp_path: Path) -> None:
    d = empty_dockerd
    want = oracle_load("base")
    base_id = want["inspect"][0]["Id"]
    d.load(oracle_file("base.tar"))

    out = tmp_path / "base-saved.tar"
    d.save("oracle/base:1", out)

    with tarfile.open(out) as tar:
        manifest = json.load(tar.extractfile("manifest.json"))  # type: ignore[arg-type]
        names = set(tar.getnames())
    assert len(manifest) == 1
    assert manifest[0]["RepoTags"] == ["oracle/base:1"]
    assert manifest[0]["Config"] == f"{base_id.removeprefix('sha256:')}.json"
    assert all(layer in names for layer in manifest[0]["Layers"])

    # the saved archive loads back to the same image
    d.reset()
    assert d.load(out) == "Loaded image: oracle/base:1"
    assert d.image_ids() == [base_id]


@pytest.mark.compat
def test_reset_removes_everything(dockerd: PrivateDockerd) -> None:
    dockerd.reset()
    dockerd.load(oracle_file("base.tar"))
    dockerd.run("tag", "oracle/base:1", "another/name:x")
    assert dockerd.image_ids()
    dockerd.reset()
    assert dockerd.run("images", "-aq").stdout.split() == []
