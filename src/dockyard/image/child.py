"""Deriving a child image from a parent (moby ``NewChildImage``, commit and build)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from dockyard.digest import EMPTY_TAR_DIFF_ID, DiffID
from dockyard.gojson import GoTime
from dockyard.image.config import Image
from dockyard.image.container import ContainerConfig
from dockyard.image.history import new_history
from dockyard.image.rootfs import RootFS

__all__ = ["ChildConfig", "new_child_image"]


@dataclass(slots=True)
class ChildConfig:
    """What a new layer on top of an image is made of (never serialised).

    Attributes:
        container_id: the container the layer was committed from.
        author: the author of the change.
        comment: the commit message (ends up in history only).
        diff_id: the new layer's DiffID (the empty-tar DiffID for no layer).
        container_config: the configuration of that container.
        config: the configuration of the new image.
    """

    container_id: str = ""
    author: str = ""
    comment: str = ""
    diff_id: DiffID = EMPTY_TAR_DIFF_ID
    container_config: ContainerConfig = field(default_factory=ContainerConfig)
    config: ContainerConfig | None = None


def new_child_image(
    img: Image,
    child: ChildConfig,
    os: str,
    *,
    docker_version: str = "",
    now: Callable[[], GoTime] = GoTime.now_utc,
) -> Image:
    """Build the image that adds ``child`` on top of ``img`` (moby ``NewChildImage``).

    The result has no raw bytes and no ID: marshal it and parse the bytes to store it.

    Args:
        img: the parent image.
        child: the new layer and configuration.
        os: the operating system of the new image.
        docker_version: written as ``docker_version`` (omitted when empty).
        now: the clock for the history entry and ``created`` (injectable for tests).
    """
    is_empty = child.diff_id == EMPTY_TAR_DIFF_ID
    rootfs = img.rootfs.clone() if img.rootfs is not None else RootFS()
    if not is_empty:
        rootfs.append(child.diff_id)
    entry = new_history(
        child.author,
        child.comment,
        " ".join(child.container_config.cmd or []),
        is_empty,
        now=now,
    )
    return Image(
        docker_version=docker_version,
        config=child.config,
        architecture=img.base_img_arch(),
        variant=img.base_img_variant(),
        os=os,
        container=child.container_id,
        container_config=child.container_config,
        author=child.author,
        created=entry.created,
        rootfs=rootfs,
        history=[*(img.history or []), entry],
        os_features=img.os_features,
        os_version=img.os_version,
    )
