from __future__ import annotations

import json

import pytest

from dockyard.gojson import Compat
from dockyard.image import Image
from tests.unit.image.oracle_util import VERSIONS, archive, manifest_configs, read

COMPAT = {"docker-20.10": Compat.V20_10, "docker-28.3": Compat.V28}


@pytest.mark.parametrize("version", VERSIONS)
def test_every_archived_config_round_trips(version):
    seen = 0
    for name, path, raw in manifest_configs(version):
        img = Image.from_json(raw)
        assert img.id.hex == path.rsplit("/", 1)[-1].removesuffix(".json"), (name, path)
        assert Image.from_json(img.marshal(COMPAT[version])) == img
        # Docker created these configs itself, so its MarshalJSON bytes come back exactly
        assert img.marshal(COMPAT[version]) == raw
        seen += 1
    assert seen >= 8


@pytest.mark.parametrize("version", VERSIONS)
def test_every_config_of_docker_image_store(version):
    found = 0
    with archive(version, "docker-root-image.tar") as tar:
        for member in tar.getmembers():
            parent, _, name = member.name.rpartition("/")
            if member.isfile() and parent.endswith("imagedb/content/sha256"):
                img = Image.from_json(read(tar, member.name))
                assert img.id.hex == name
                found += 1
    assert found > 0


def test_skopeo_oci_config():
    with archive("docker-20.10", "app-oci.tar") as tar:
        index = json.loads(read(tar, "index.json"))
        manifest = json.loads(read(tar, "blobs/sha256/" + index["manifests"][0]["digest"][7:]))
        raw = read(tar, "blobs/sha256/" + manifest["config"]["digest"][7:])
    img = Image.from_json(raw)
    assert str(img.id) == manifest["config"]["digest"]
    assert img.rootfs is not None
    assert len(img.rootfs.diff_ids) == len(manifest["layers"])
    assert Image.from_json(img.marshal()) == img
