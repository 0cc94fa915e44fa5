"""dockyard's import and export against Docker 20.10's ``docker import`` / ``docker export``."""

from __future__ import annotations

import hashlib
import io
import json
import tarfile
from pathlib import Path

import pytest

import dockyard
from dockyard.service.export import CONTAINER_PATHS, export_image
from dockyard.service.imports import import_image
from tests.compat.dockerd import PrivateDockerd
from tests.oracle.util import OracleArchive, create_image, oracle_dir

CHANGES = [
    'CMD ["/bin/sh", "-c", "echo hi"]',
    'ENV A=1 B="two words"',
    "EXPOSE 80 53/udp",
    "LABEL k=v",
    "WORKDIR /srv",
    "USER nobody",
]


def _rootfs(path: Path) -> None:
    with tarfile.open(path, "w") as tar:
        for name, data in (("bin/tool", b"#!/bin/sh\n"), ("etc/motd", b"hi\n")):
            info = tarfile.TarInfo(name)
            info.size, info.mode, info.mtime = len(data), 0o755, 1_700_000_000
            tar.addfile(info, io.BytesIO(data))


def _saved_config(dockerd: PrivateDockerd, ref: str, image_id: str, tmp: Path) -> bytes:
    out = tmp / "saved.tar"
    dockerd.save(ref, out)
    with tarfile.open(out) as tar:
        member = tar.extractfile(f"{image_id.removeprefix('sha256:')}.json")
        assert member is not None
        return member.read()


@pytest.mark.compat
def test_import_config_matches_docker(dockerd: PrivateDockerd, tmp_path: Path) -> None:
    dockerd.reset()
    source = tmp_path / "rootfs.tar"
    _rootfs(source)
    args = [a for c in CHANGES for a in ("-c", c)]
    docker_id = dockerd.run("import", *args, "-m", "my import", source, "test/imp:v1").stdout
    docker_id = docker_id.strip()
    theirs = _saved_config(dockerd, "test/imp:v1", docker_id, tmp_path)
    inspect = dockerd.inspect("test/imp:v1")

    client = dockyard.open(tmp_path / "store")
    image_id = import_image(client, source, "test/imp:v1", changes=CHANGES, message="my import")
    with client.view() as view:
        ours = view.config(image_id)

    theirs_obj, ours_obj = json.loads(theirs), json.loads(ours)
    assert list(theirs_obj) == list(ours_obj)
    for key in theirs_obj:
        if key in ("created", "docker_version"):
            continue
        if key == "history":
            strip = [{k: v for k, v in h.items() if k != "created"} for h in theirs_obj[key]]
            assert strip == [{k: v for k, v in h.items() if k != "created"} for h in ours_obj[key]]
            continue
        assert ours_obj[key] == theirs_obj[key], key
    # byte for byte once the time and version are the same
    same = ours.replace(ours_obj["created"].encode(), theirs_obj["created"].encode())
    same = same.replace(
        f'"docker_version":"{ours_obj["docker_version"]}"'.encode(),
        f'"docker_version":"{theirs_obj["docker_version"]}"'.encode(),
    )
    assert same == theirs
    assert inspect["Comment"] == "my import"
    assert inspect["Config"]["Env"] == ours_obj["config"]["Env"]
    assert inspect["RootFS"]["Layers"] == ours_obj["rootfs"]["diff_ids"]
    assert client.reference_store.get("test/imp:v1") == image_id


def _tree(data: bytes) -> dict[str, tuple[object, ...]]:
    tree: dict[str, tuple[object, ...]] = {}
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        for m in tar:
            name = m.name.rstrip("/")
            if name in CONTAINER_PATHS:
                continue
            digest = ""
            if m.isreg():
                member = tar.extractfile(m)
                assert member is not None
                digest = hashlib.sha256(member.read()).hexdigest()
            tree[name] = (m.type, m.mode & 0o7777, m.size, digest, m.linkname, m.uid, m.gid)
    return tree


@pytest.mark.compat
def test_export_matches_docker_export(dockerd: PrivateDockerd, tmp_path: Path) -> None:
    archive_path = oracle_dir("docker-20.10") / "app.tar"
    dockerd.reset()
    dockerd.load(archive_path)
    container = dockerd.run("create", "oracle/app:1").stdout.strip()
    out = tmp_path / "docker-export.tar"
    dockerd.run("export", "-o", out, container)
    dockerd.run("rm", container)

    client = dockyard.open(tmp_path / "store")
    archive = OracleArchive(archive_path)
    try:
        (item,) = archive.images()
        image_id, _chains = create_image(client, archive, item)
    finally:
        archive.close()
    ours = io.BytesIO()
    export_image(client, image_id, ours)

    theirs_tree, ours_tree = _tree(out.read_bytes()), _tree(ours.getvalue())
    assert sorted(ours_tree) == sorted(theirs_tree)
    for name, value in theirs_tree.items():
        assert ours_tree[name] == value, name
