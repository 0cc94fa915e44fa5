from __future__ import annotations

import hashlib
import platform

import pytest

from dockyard.digest import DiffID, Digest, ImageID
from dockyard.errors import InvalidArgumentError, InvalidImageConfig, UnsupportedOS
from dockyard.gojson import Compat, GoTime
from dockyard.image import (
    ContainerConfig,
    Details,
    History,
    Image,
    RootFS,
    check_os,
    clone,
    host_arch,
    new_image,
)

ZERO_CFG = (
    '{"Hostname":"","Domainname":"","User":"","AttachStdin":false,"AttachStdout":false,'
    '"AttachStderr":false,"Tty":false,"OpenStdin":false,"StdinOnce":false,"Env":null,'
    '"Cmd":null,"Image":"","Volumes":null,"WorkingDir":"","Entrypoint":null,"OnBuild":null,'
    '"Labels":null}'
)
IMPORT_EXAMPLE = (
    '{"architecture":"amd64","comment":"my import","config":'
    + ZERO_CFG.replace('"Cmd":null', '"Cmd":["/bin/sh"]')
    + ',"container_config":'
    + ZERO_CFG
    + ',"created":"2026-11-23T03:02:09.363588155Z","docker_version":"20.10.24+dfsg1",'
    '"history":[{"created":"2026-11-23T03:02:09.363588155Z","comment":"my import"}],'
    '"os":"linux","rootfs":{"type":"layers","diff_ids":'
    '["sha256:f524f856baeb46e6cfc254b55cef36b468ceb53b3ea697b1e849fe7c8a15f8cb"]}}'
).encode()
DIFF = DiffID(Digest("sha256:f524f856baeb46e6cfc254b55cef36b468ceb53b3ea697b1e849fe7c8a15f8cb"))


def import_image() -> Image:
    created = GoTime.parse("2026-11-23T03:02:09.363588155Z")
    return Image(
        architecture="amd64",
        comment="my import",
        config=ContainerConfig(cmd=["/bin/sh"]),
        created=created,
        docker_version="20.10.24+dfsg1",
        history=[History(created=created, comment="my import")],
        os="linux",
        rootfs=RootFS(diff_ids=[DIFF]),
    )


@pytest.mark.parametrize("compat", list(Compat))
def test_docker_import_example_byte_for_byte(compat):
    assert import_image().marshal(compat) == IMPORT_EXAMPLE


def test_from_json_keeps_raw_bytes_and_id_is_their_hash():
    raw = b'{"os":"linux", "architecture":"amd64",\n "rootfs":{"type":"layers"}}'
    img = Image.from_json(raw)
    assert img.raw_json() == raw
    assert img.id == ImageID(Digest.from_hex(hashlib.sha256(raw).hexdigest()))
    assert img.marshal() != raw
    assert img.operating_system() == "linux"
    assert img.rootfs is not None
    assert img.rootfs.diff_ids == []
    assert img.rootfs.chain_id() is None


def test_parse_example_back_to_equal_model():
    img = Image.from_json(IMPORT_EXAMPLE)
    assert img == import_image()
    assert img.history is not None
    assert not img.history[0].empty_layer


@pytest.mark.parametrize(
    "raw",
    [b"{}", b'{"rootfs":null}', b'{"rootfz":{"type":"layers"}}', b"null"],
)
def test_missing_rootfs(raw):
    with pytest.raises(InvalidImageConfig, match=r"^invalid image JSON, no RootFS key$"):
        Image.from_json(raw)


def test_rootfs_key_is_case_insensitive_and_last_wins():
    assert Image.from_json(b'{"ROOTFS":{"type":"layers"}}').rootfs == RootFS()
    with pytest.raises(InvalidImageConfig, match="no RootFS key"):
        Image.from_json(b'{"rootfs":{"type":"layers"},"RootFS":null}')


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b'{"rootfs":{}', "unexpected end of JSON input"),
        (b'{"rootfs":{}} x', "after top-level value"),
        (b'{"rootfs":{},"Size":"1"}', "cannot unmarshal string into Go struct field Image.Size"),
        (b'{"rootfs":{},"created":"yesterday"}', "parsing time"),
        (b'{"rootfs":{},"history":[{"empty_layer":1}]}', "of type bool"),
        (b"[]", "cannot unmarshal array into Go value of type image.Image"),
    ],
)
def test_invalid_configs(raw, message):
    with pytest.raises(InvalidImageConfig, match=message):
        Image.from_json(raw)


def test_field_rules():
    img = Image.from_json(
        b'{"rootfs":{"type":"layers"},"size":42,"id":"abc","parent":"sha256:' + b"a" * 64 + b'",'
        b'"os.version":"10","os.features":["f"],"variant":"v8","unknown":1}'
    )
    assert img.size == 42
    assert img.v1_id == "abc"
    assert img.os_version == "10"
    assert img.parent == ImageID(Digest.from_hex("a" * 64))
    out = img.marshal()
    assert out.startswith(b'{"Size":42,')
    assert b'"os":' not in out
    assert b'"os.features":["f"],"os.version":"10","parent"' in out
    assert b'"created":null' in out
    assert b'"created":"0001-01-01T00:00:00Z"' in img.marshal(Compat.V20_10)
    assert Image.from_json(out) == img


def test_in_memory_image_has_no_id_until_given():
    img = Image()
    assert not img.has_id
    with pytest.raises(InvalidImageConfig):
        _ = img.id
    with pytest.raises(InvalidImageConfig):
        img.raw_json()
    image_id = ImageID(Digest.from_hex("b" * 64))
    assert new_image(image_id).id == image_id


def test_clone_sets_ids_and_copies_rootfs():
    base = Image.from_json(IMPORT_EXAMPLE)
    image_id = ImageID(Digest.from_hex("c" * 64))
    copy = clone(base, image_id)
    assert copy.id == image_id
    assert copy.v1_id == str(image_id)
    assert copy.rootfs is not None
    assert base.rootfs is not None
    copy.rootfs.append(DIFF)
    assert len(base.rootfs.diff_ids) == 1
    assert len(copy.rootfs.diff_ids) == 2
    assert copy.raw_json() == base.raw_json()


def test_defaults_and_platform(monkeypatch):
    img = Image(variant="v7", os_features=["x"])
    monkeypatch.setattr(platform, "machine", lambda: "aarch64")
    assert host_arch() == "arm64"
    assert img.base_img_arch() == "arm64"
    monkeypatch.setattr(platform, "machine", lambda: "x86_64")
    assert img.base_img_arch() == "amd64"
    assert Image(architecture="s390x").base_img_arch() == "s390x"
    assert img.operating_system() == "linux"
    assert img.base_img_variant() == "v7"
    p = img.platform()
    assert (p.architecture, p.os, p.variant, p.os_features) == ("", "", "v7", ("x",))
    assert img.run_config() is None
    img.details = Details({"mediaType": "x"})
    assert img == Image(variant="v7", os_features=["x"])


@pytest.mark.parametrize("name", ["linux", "Linux", "LINUX"])
def test_check_os_accepts(name):
    check_os(name)


@pytest.mark.parametrize("name", ["windows", "", "linux "])
def test_check_os_rejects(name):
    with pytest.raises(UnsupportedOS, match=r"^operating system is not supported$") as info:
        check_os(name)
    assert isinstance(info.value, InvalidArgumentError)
