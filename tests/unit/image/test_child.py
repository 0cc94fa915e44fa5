from __future__ import annotations

from dockyard.digest import EMPTY_TAR_DIFF_ID, DiffID, Digest
from dockyard.gojson import GoTime
from dockyard.image import ChildConfig, ContainerConfig, History, Image, RootFS, new_child_image

NOW = GoTime.parse("2031-01-01T00:00:00.5Z")
D1 = DiffID(Digest.from_hex("1" * 64))
D2 = DiffID(Digest.from_hex("2" * 64))


def parent() -> Image:
    return Image(
        architecture="arm64",
        variant="v8",
        comment="parent comment",
        rootfs=RootFS(diff_ids=[D1]),
        history=[History(created_by="base")],
        os_version="1",
        os_features=["f"],
        config=ContainerConfig(labels={"l": "1"}),
    )


def test_child_with_layer():
    base = parent()
    child = ChildConfig(
        container_id="c1",
        author="me",
        comment="commit msg",
        diff_id=D2,
        container_config=ContainerConfig(cmd=["/bin/sh", "-c", "echo hi"]),
        config=ContainerConfig(cmd=["run"]),
    )
    img = new_child_image(base, child, "linux", docker_version="28.3.0", now=lambda: NOW)
    assert img.rootfs == RootFS(diff_ids=[D1, D2])
    assert base.rootfs is not None
    assert base.rootfs.diff_ids == [D1]
    assert img.history == [
        History(created_by="base"),
        History(NOW, "/bin/sh -c echo hi", "me", "commit msg", False),
    ]
    assert base.history is not None
    assert len(base.history) == 1
    assert (img.architecture, img.variant, img.os, img.container) == ("arm64", "v8", "linux", "c1")
    assert img.created == NOW
    assert img.author == "me"
    assert img.docker_version == "28.3.0"
    assert img.comment == ""
    assert img.config == ContainerConfig(cmd=["run"])
    assert (img.os_version, img.os_features) == ("1", ["f"])
    assert not img.has_id
    again = Image.from_json(img.marshal())
    assert again == img


def test_child_empty_layer_and_parent_without_rootfs(monkeypatch):
    img = new_child_image(Image(), ChildConfig(diff_id=EMPTY_TAR_DIFF_ID), "linux", now=lambda: NOW)
    assert img.rootfs == RootFS()
    assert img.history == [History(NOW, "", "", "", True)]
    assert img.architecture  # host default
