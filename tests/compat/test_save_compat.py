"""Archives written by ``save`` are read by real tools exactly as Docker's own.

* Docker 20.10 (private dockerd) loads the ``docker`` and ``docker-legacy`` archives of every
  oracle image with the image IDs and tags of the store;
* skopeo reads the ``oci`` archive and the ``oci-dir`` layout (plain and gzip layers) and
  converts the layout to a ``docker-archive:`` that Docker loads with the same ID.
"""

from __future__ import annotations

import json
import subprocess
import tarfile
from collections.abc import Iterator
from pathlib import Path

import pytest

import dockyard
from dockyard.archive.names import resolve_names
from dockyard.archive.save import SaveFormat, save
from dockyard.compression import Compression
from tests.compat.dockerd import PrivateDockerd, require_tool
from tests.oracle.test_save_oracle import fill_store
from tests.oracle.util import OracleArchive, archives, oracle_dir

VERSION = "docker-20.10"


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[dockyard.Client, str]]:
    oracle_dir(VERSION)
    client = dockyard.open(tmp_path_factory.mktemp("store"))
    untagged = fill_store(client, VERSION)
    yield client, untagged["id"]
    client.close()


def oracle_names() -> dict[str, list[str]]:
    """For every oracle archive, the names Docker saved (tags, or the untagged ID)."""
    cases: dict[str, list[str]] = {}
    for path in archives(VERSION):
        if path.name == "app-oci.tar":
            continue
        archive = OracleArchive(path)
        try:
            cases[path.stem] = [t for item in archive.images() for t in item.repo_tags]
        finally:
            archive.close()
    return cases


def expected_tags(client: dockyard.Client, names: list[str]) -> dict[str, set[str]]:
    with client.view() as view:
        return {i.image_id: set(i.repo_tags) for i in resolve_names(view, names)}


def loaded_tags(dockerd: PrivateDockerd) -> dict[str, set[str]]:
    tags: dict[str, set[str]] = {}
    for row in dockerd.images_json():
        image_id = row["ID"]
        tags.setdefault(image_id, set())
        if row["Tag"] != "<none>":
            tags[image_id].add(f"{row['Repository']}:{row['Tag']}")
    return tags


@pytest.mark.parametrize("fmt", [SaveFormat.DOCKER, SaveFormat.DOCKER_LEGACY])
@pytest.mark.parametrize("case", ["base", "app", "scratch", "multi", "untagged", "all"])
def test_docker_loads_saved_archives_with_the_same_ids_and_tags(
    dockerd: PrivateDockerd,
    store: tuple[dockyard.Client, str],
    tmp_path: Path,
    fmt: SaveFormat,
    case: str,
) -> None:
    client, untagged_id = store
    cases = oracle_names()
    cases["untagged"] = [untagged_id]
    cases["all"] = [n for names in cases.values() for n in names] + ["oracle/app"]
    names = cases[case]
    out = tmp_path / "out.tar"
    save(client, names, out, format=fmt)
    dockerd.reset()
    dockerd.load(out)
    want = expected_tags(client, names)
    got = loaded_tags(dockerd)
    # the parents of saved images come along only as layers, never as images
    assert {k: v for k, v in got.items() if k in want} == want
    assert set(got) == set(want)
    for image_id in want:
        assert dockerd.inspect(image_id)["Id"] == image_id


def skopeo(*args: str) -> str:
    tool = require_tool("skopeo")
    proc = subprocess.run(
        [tool, "--insecure-policy", *args], capture_output=True, text=True, timeout=300, check=False
    )
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


@pytest.mark.compat
@pytest.mark.parametrize("kind", [Compression.NONE, Compression.GZIP, Compression.ZSTD])
def test_skopeo_reads_the_oci_archive(
    store: tuple[dockyard.Client, str], tmp_path: Path, kind: Compression
) -> None:
    client, _ = store
    out = tmp_path / "app.tar"
    save(client, ["oracle/app:1"], out, format=SaveFormat.OCI, layer_compression=kind)
    raw = json.loads(skopeo("inspect", "--raw", f"oci-archive:{out}"))
    config = json.loads(skopeo("inspect", "--config", f"oci-archive:{out}"))
    image = client.image_store.get(client.reference_store.get("oracle/app:1"))
    assert raw["config"]["digest"] == image.id
    assert config["rootfs"]["diff_ids"] == [str(d) for d in image.rootfs.diff_ids]  # type: ignore[union-attr]


@pytest.mark.compat
@pytest.mark.parametrize("kind", [Compression.NONE, Compression.GZIP])
def test_skopeo_copies_the_oci_dir_to_a_docker_archive(
    store: tuple[dockyard.Client, str], tmp_path: Path, kind: Compression
) -> None:
    client, _ = store
    layout = tmp_path / "layout"
    save(client, ["oracle/app:1"], layout, format=SaveFormat.OCI_DIR, layer_compression=kind)
    target = tmp_path / "docker.tar"
    skopeo("copy", f"oci:{layout}:1", f"docker-archive:{target}:oracle/app:copied")
    with tarfile.open(target) as tar:
        member = tar.extractfile("manifest.json")
        assert member is not None
        manifest = json.loads(member.read())
    image_id = client.reference_store.get("oracle/app:1")
    assert manifest[0]["Config"] in (f"{image_id.hex}.json", f"{image_id.hex}")
    assert manifest[0]["RepoTags"] == ["docker.io/oracle/app:copied"]
