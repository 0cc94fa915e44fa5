from __future__ import annotations

import json

import pytest

from dockyard.digest import ChainID, DiffID, Digest, sha256_bytes
from dockyard.errors import InvalidImageConfig
from dockyard.gojson import Compat, GoTime, encode
from dockyard.image import (
    History,
    Image,
    RootFS,
    V1Image,
    history_from_config,
    make_config_from_v1_config,
    v1_layer,
    v1_layers,
)
from dockyard.image.v1 import _create_id, _version_compare
from tests.unit.image.oracle_util import archive, read

D1 = DiffID(Digest("sha256:1fa551d924610dd6cce43941c8cdbd55b870a6022e3f4461497932e5496a2e81"))
CHAIN2 = ChainID(Digest("sha256:a88fbe8c5adfc3abb747037be503db1d879f790189474777620455395894868c"))
V1_BASE = "fc0444e6c4027af570f98b871742bb6b672748af1d25892239bca9ef69be721a"
V1_TOP = "d0f1288275d43d65ce3a3f06c5b863f9603784c8bd492d4cd18c029a537aa340"
CONFIG = (
    b'{"architecture":"amd64","os":"linux","created":"2024-01-02T03:04:05.123Z",'
    b'"config":{"Cmd":["/bin/sh"]},"rootfs":{"type":"layers","diff_ids":["%s","%s"]}}'
)


def image(diff_ids: list[str]) -> Image:
    return Image.from_json(CONFIG % tuple(d.encode() for d in diff_ids))


@pytest.mark.parametrize("compat", list(Compat))
def test_spec_worked_example(compat):
    img = image([D1, str(Digest.from_hex("9" * 64))])
    base = v1_layer(img, 0, "", compat)
    assert base.id == V1_BASE
    assert base.parent == ""
    assert base.chain_id == ChainID(D1)
    zero = encode(V1Image().container_config)
    assert base.json == (
        b'{"id":"' + V1_BASE.encode() + b'","created":"1970-01-01T00:00:00Z",'
        b'"container_config":' + zero + b',"os":"linux"}'
    )
    # the top layer's hash input of the spec example, with its chain ID
    assert _create_id(img.v1_image(), CHAIN2, V1_BASE, compat) == V1_TOP
    top = v1_layer(img, 1, base.id, compat)
    doc = json.loads(top.json)
    assert list(doc)[:3] == ["id", "parent", "created"]
    assert doc["parent"] == V1_BASE
    assert doc["id"] == top.id
    assert next(layer.id for layer in v1_layers(img, compat)) == V1_BASE


def test_epoch_offset_changes_lower_ids():
    img = image([D1, str(Digest.from_hex("9" * 64))])
    cet = v1_layer(img, 0, "", epoch_offset=3600)
    assert b'"created":"1970-01-01T01:00:00+01:00"' in cet.json
    assert cet.id != V1_BASE


def test_missing_created_differs_between_versions():
    img = Image.from_json(b'{"rootfs":{"type":"layers","diff_ids":["%s"]}}' % D1.encode())
    old, new = v1_layer(img, 0, "", Compat.V20_10), v1_layer(img, 0, "", Compat.V28)
    assert b'"created":"0001-01-01T00:00:00Z"' in old.json
    assert b'"created":null' in new.json
    assert old.id != new.id
    with pytest.raises(InvalidImageConfig):
        v1_layer(img, 1, "")


def test_legacy_load_example():
    layer_json = v1_layer(image([D1, D1]), 0, "").json
    history = [history_from_config(layer_json)]
    assert history == [History(created=GoTime.unix_epoch())]
    cfg = make_config_from_v1_config(layer_json, RootFS(diff_ids=[D1]), history)
    assert cfg.startswith(b'{"container_config":{"Hostname":"",')
    assert cfg.endswith(
        b'"created":"1970-01-01T00:00:00Z","history":[{"created":"1970-01-01T00:00:00Z"}],'
        b'"os":"linux","rootfs":{"type":"layers","diff_ids":["' + D1.encode() + b'"]}}'
    )
    assert sha256_bytes(cfg).hex.startswith("5e4c710c")


def test_make_config_keeps_raw_values_of_new_docker():
    raw = (
        b'{"docker_version":"1.10.0","id":"x","parent":"y","Size":3,"layer_id":1,'
        b'"throwaway":true,"parent_id":"z","zz":{ "b" : 1, "a":"<\\u00e9>" },"config":{"X":1}}'
    )
    out = make_config_from_v1_config(raw, RootFS(), [], Compat.V20_10)
    assert out == (
        b'{"config":{"X":1},"docker_version":"1.10.0","history":[],"rootfs":{"type":"layers"},'
        b'"zz":{"b":1,"a":"\\u003c\\u00e9\\u003e"}}'
    )


def test_make_config_normalises_old_docker():
    raw = b'{"docker_version":"1.8.2","zz":1,"config":{"Cmd":"x"},"Size":5}'
    out = json.loads(make_config_from_v1_config(raw, RootFS(), []))
    assert "zz" not in out
    assert "Size" not in out
    assert out["config"]["Cmd"] == ["x"]
    assert out["created"] is None
    assert "container_config" in out
    with pytest.raises(InvalidImageConfig):
        make_config_from_v1_config(b"[1]", RootFS(), [])


@pytest.mark.parametrize(
    ("left", "right", "result"),
    [
        ("1.8.2", "1.8.3", -1),
        ("", "1.8.3", -1),
        ("20.10.24+dfsg1", "1.8.3", 1),
        ("1.8.3", "1.8.3", 0),
    ],
)
def test_version_compare(left, right, result):
    assert _version_compare(left, right) == result


def test_reproduces_docker_20_10_legacy_save():
    with archive("docker-20.10", "app.tar") as tar:
        item = json.loads(read(tar, "manifest.json"))[0]
        img = Image.from_json(read(tar, item["Config"]))
        layers = v1_layers(img, Compat.V20_10)
        assert [f"{layer.id}/layer.tar" for layer in layers] == item["Layers"]
        for layer in layers:
            assert layer.json == read(tar, f"{layer.id}/json")
        repositories = json.loads(read(tar, "repositories"))
    assert repositories["oracle/app"]["1"] == layers[-1].id


def test_reproduces_docker_28_orphan_v1_blobs():
    with archive("docker-28.3", "app.tar") as tar:
        item = json.loads(read(tar, "manifest.json"))[0]
        img = Image.from_json(read(tar, item["Config"]))
        names = set(tar.getnames())
    for layer in v1_layers(img, Compat.V28):
        assert f"blobs/sha256/{sha256_bytes(layer.json).hex}" in names
