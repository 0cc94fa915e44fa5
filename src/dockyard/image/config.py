"""The image configuration model (moby ``image.Image`` / ``V1Image``) and its JSON."""

from __future__ import annotations

import copy
import platform as _platform
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from dockyard.digest import Digest, ImageID, sha256_bytes
from dockyard.errors import InvalidDigest, InvalidImageConfig, UnsupportedOS
from dockyard.gojson import Compat, GoTime, JSONError, Struct, encode, parse
from dockyard.gojson.fields import (
    Field,
    StructLayout,
    decode_int,
    decode_list,
    decode_str,
    decode_str_list,
    decode_time,
    type_error,
)
from dockyard.image.container import ContainerConfig, decode_config_ptr, decode_config_value
from dockyard.image.history import History, decode_history_elem
from dockyard.image.rootfs import RootFS, decode_rootfs_ptr

__all__ = [
    "HOST_OS",
    "Details",
    "Image",
    "Platform",
    "V1Image",
    "check_os",
    "clone",
    "host_arch",
    "new_image",
]

#: The operating system dockyard runs images for (Go ``runtime.GOOS``).
HOST_OS = "linux"

_GOARCH = {
    "x86_64": "amd64",
    "amd64": "amd64",
    "aarch64": "arm64",
    "arm64": "arm64",
    "armv7l": "arm",
    "armv6l": "arm",
    "i386": "386",
    "i686": "386",
    "ppc64le": "ppc64le",
    "s390x": "s390x",
    "riscv64": "riscv64",
}


def host_arch() -> str:
    """This host's architecture in Go's ``GOARCH`` spelling (``amd64``, ``arm64``, ...)."""
    machine = _platform.machine().lower()
    return _GOARCH.get(machine, machine)


def check_os(os_name: str) -> None:
    """Accept ``os_name`` iff it equals the host OS case-insensitively (moby ``CheckOS``).

    Raises:
        UnsupportedOS: ``operating system is not supported``.
    """
    if os_name.casefold() != HOST_OS:
        raise UnsupportedOS(os_name)


def _fix_created(struct: Struct, compat: Compat) -> Struct:
    """Render a missing ``created`` as ``null`` (v28 pointer) or the zero time (20.10)."""
    if compat is Compat.V20_10:
        struct.fields = [
            (k, GoTime.zero() if k == "created" and v is None else v) for k, v in struct.fields
        ]
    return struct


def _size(cur: int, value: Any, where: str) -> int:
    return decode_int(cur, value, where)


def _v1_fields(with_parent: bool, id_attr: str) -> list[Field]:
    head = [Field("id", id_attr, decode_str, omitempty=True)]
    if with_parent:
        head.append(Field("parent", "parent", decode_str, omitempty=True))
    return [
        *head,
        Field("comment", "comment", decode_str, omitempty=True),
        Field("created", "created", decode_time),
        Field("container", "container", decode_str, omitempty=True),
        Field("container_config", "container_config", decode_config_value),
        Field("docker_version", "docker_version", decode_str, omitempty=True),
        Field("author", "author", decode_str, omitempty=True),
        Field("config", "config", decode_config_ptr, omitempty=True, pointer=True),
        Field("architecture", "architecture", decode_str, omitempty=True),
        Field("variant", "variant", decode_str, omitempty=True),
        Field("os", "os", decode_str, omitempty=True),
        Field("Size", "size", _size, omitempty=True),
    ]


@dataclass(slots=True)
class V1Image:
    """The legacy v1 image JSON (moby ``V1Image``), used for ``<v1id>/json`` files.

    ``container_config`` is always written in full; ``created`` is written as ``null``
    (v28) or the zero time (20.10) when None; ``size`` is the capitalised ``Size`` key.
    """

    id: str = ""
    parent: str = ""
    comment: str = ""
    created: GoTime | None = None
    container: str = ""
    container_config: ContainerConfig = field(default_factory=ContainerConfig)
    docker_version: str = ""
    author: str = ""
    config: ContainerConfig | None = None
    architecture: str = ""
    variant: str = ""
    os: str = ""
    size: int = 0

    @classmethod
    def from_json_value(cls, value: Any, where: str = "") -> V1Image:
        """Decode a parsed JSON object (Go rules).

        Raises:
            JSONError: a value has the wrong type or a time is invalid.
        """
        result = cls()
        if value is not None:
            _V1_LAYOUT.decode_into(result, value, where)
        return result

    def __gojson__(self, compat: Compat) -> Struct:
        """The Go struct form, fields in declaration order."""
        return _fix_created(_V1_LAYOUT.encode(self), compat)


_V1_LAYOUT = StructLayout("image.V1Image", _v1_fields(True, "id"))


def _parent(cur: ImageID | None, value: Any, where: str) -> ImageID | None:
    if value is None:
        return cur
    if not isinstance(value, str):
        raise type_error(value, "image.ID", where)
    try:
        return ImageID(Digest(value)) if value else None
    except InvalidDigest:
        return None  # Go keeps any string; a non-digest parent can name no image


def _features(cur: list[str] | None, value: Any, where: str) -> list[str] | None:
    return decode_str_list(cur, value, where)


def _history(cur: list[History] | None, value: Any, where: str) -> list[History] | None:
    return decode_list(cur, value, where, "[]image.History", decode_history_elem)


@dataclass(frozen=True, slots=True)
class Platform:
    """An OCI platform, copied verbatim from an image (no defaults applied)."""

    architecture: str
    os: str
    os_version: str = ""
    os_features: tuple[str, ...] = ()
    variant: str = ""


@dataclass(slots=True)
class Details:
    """Extra data about an image that is never serialised (moby ``image.Details``).

    Attributes:
        manifest_descriptor: the OCI descriptor of the manifest the image came from.
    """

    manifest_descriptor: Mapping[str, Any] | None = None


@dataclass(slots=True)
class Image:
    """An image configuration (moby ``image.Image``): V1Image fields plus rootfs/history.

    Built by :meth:`from_json`, the image keeps the exact bytes it was parsed from:
    :attr:`id` is their SHA-256 and :meth:`raw_json` returns them. An image built in
    memory has no raw bytes and no ID until one is given (:func:`new_image`,
    :func:`clone`); to store it, :meth:`marshal` it and parse the bytes back.

    ``v1_id`` is the legacy ``id`` JSON key; ``parent`` is the image's own ``parent``
    key (it shadows the v1 one, as in Go). Equality ignores raw bytes, ID and details.
    """

    v1_id: str = ""
    comment: str = ""
    created: GoTime | None = None
    container: str = ""
    container_config: ContainerConfig = field(default_factory=ContainerConfig)
    docker_version: str = ""
    author: str = ""
    config: ContainerConfig | None = None
    architecture: str = ""
    variant: str = ""
    os: str = ""
    size: int = 0
    parent: ImageID | None = None
    rootfs: RootFS | None = None
    history: list[History] | None = None
    os_version: str = ""
    os_features: list[str] | None = None
    details: Details | None = field(default=None, compare=False, repr=False)
    _raw: bytes | None = field(default=None, init=False, compare=False, repr=False)
    _computed_id: ImageID | None = field(default=None, init=False, compare=False, repr=False)

    @classmethod
    def from_json(cls, raw: bytes) -> Image:
        """Parse a config with Go's rules and remember its exact bytes (moby ``NewFromJSON``).

        Raises:
            InvalidImageConfig: the bytes are not valid JSON, a field has the wrong type,
                or there is no ``rootfs`` (``invalid image JSON, no RootFS key``).
        """
        raw = bytes(raw)
        try:
            tree = parse(raw)
            img = cls()
            if tree is not None:
                _IMAGE_LAYOUT.decode_into(img, tree, "")
        except JSONError as exc:
            raise InvalidImageConfig(str(exc)) from exc
        if img.rootfs is None:
            raise InvalidImageConfig("invalid image JSON, no RootFS key")
        img._raw = raw
        img._computed_id = ImageID(sha256_bytes(raw))
        return img

    @property
    def id(self) -> ImageID:
        """The image ID: SHA-256 of the raw bytes (or the ID given by new_image/clone).

        Raises:
            InvalidImageConfig: the image was built in memory and has no ID yet.
        """
        if self._computed_id is None:
            raise InvalidImageConfig("image has no ID: marshal it and parse the bytes")
        return self._computed_id

    @property
    def has_id(self) -> bool:
        """True when :attr:`id` is available."""
        return self._computed_id is not None

    def raw_json(self) -> bytes:
        """The exact bytes the image was parsed from.

        Raises:
            InvalidImageConfig: the image was built in memory (use :meth:`marshal`).
        """
        if self._raw is None:
            raise InvalidImageConfig("image has no raw JSON: it was not parsed from bytes")
        return self._raw

    def marshal(self, compat: Compat = Compat.V28) -> bytes:
        """Encode as Docker's ``MarshalJSON``: top-level keys sorted, nested in struct order.

        Raises:
            JSONError: a value cannot be encoded (e.g. a year outside 0..9999).
        """
        return encode(self.__gojson__(compat).sorted(), compat)

    def __gojson__(self, compat: Compat) -> Struct:
        """The plain Go struct form (declaration order, not sorted)."""
        return _fix_created(_IMAGE_LAYOUT.encode(self), compat)

    def v1_image(self) -> V1Image:
        """The embedded V1Image fields (its ``parent`` is always empty, as in Go)."""
        return V1Image(
            id=self.v1_id,
            comment=self.comment,
            created=self.created,
            container=self.container,
            container_config=self.container_config,
            docker_version=self.docker_version,
            author=self.author,
            config=self.config,
            architecture=self.architecture,
            variant=self.variant,
            os=self.os,
            size=self.size,
        )

    def base_img_arch(self) -> str:
        """The architecture, or this host's ``GOARCH`` name when empty."""
        return self.architecture or host_arch()

    def base_img_variant(self) -> str:
        """The variant as is (may be empty)."""
        return self.variant

    def operating_system(self) -> str:
        """The OS, or ``linux`` when empty."""
        return self.os or HOST_OS

    def platform(self) -> Platform:
        """The OCI platform fields, verbatim."""
        return Platform(
            architecture=self.architecture,
            os=self.os,
            os_version=self.os_version,
            os_features=tuple(self.os_features or ()),
            variant=self.variant,
        )

    def run_config(self) -> ContainerConfig | None:
        """The container configuration to run the image with (``config``)."""
        return self.config


_IMAGE_LAYOUT = StructLayout(
    "image.Image",
    [
        *_v1_fields(False, "v1_id"),
        Field("parent", "parent", _parent, omitempty=True),
        Field("rootfs", "rootfs", decode_rootfs_ptr, omitempty=True, pointer=True),
        Field("history", "history", _history, omitempty=True),
        Field("os.version", "os_version", decode_str, omitempty=True),
        Field("os.features", "os_features", _features, omitempty=True),
    ],
)


def new_image(image_id: ImageID) -> Image:
    """An empty image whose ID is ``image_id`` (moby ``NewImage``)."""
    img = Image()
    img._computed_id = image_id
    return img


def clone(base: Image, image_id: ImageID) -> Image:
    """A shallow copy of ``base`` with its own RootFS and the ID ``image_id`` (moby ``Clone``).

    Both the legacy ``id`` field and the computed ID are set; the raw bytes of ``base``
    are kept, as Go's struct copy does.
    """
    img = copy.copy(base)
    img.rootfs = base.rootfs.clone() if base.rootfs is not None else None
    img.v1_id = str(image_id)
    img._computed_id = image_id
    return img
