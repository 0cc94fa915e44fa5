"""Legacy v1 layer IDs and JSON (``docker save``) and configs built from v1 JSON (load)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from dockyard.digest import ChainID, DiffID, chain_ids, sha256_bytes
from dockyard.errors import InvalidImageConfig
from dockyard.gojson import Compat, GoTime, JSONError, RawMessage, Struct, encode, parse
from dockyard.gojson.decode import raw_members
from dockyard.gojson.fields import FieldMatcher, decode_str, object_pairs
from dockyard.image.config import Image, V1Image
from dockyard.image.history import History
from dockyard.image.rootfs import RootFS

__all__ = [
    "V1Layer",
    "history_from_config",
    "make_config_from_v1_config",
    "v1_layer",
    "v1_layers",
]

#: Configs written by Docker older than this are normalised through V1Image on load.
NO_FALLBACK_MIN_VERSION = "1.8.3"
_DROPPED_KEYS = ("id", "parent", "Size", "parent_id", "layer_id", "throwaway")


@dataclass(frozen=True, slots=True)
class V1Layer:
    """The legacy v1 view of one layer of an image.

    Attributes:
        id: the v1 layer ID, 64 hex characters (the ``<v1id>/`` directory name).
        parent: the v1 ID of the layer below, hex (empty for the base layer).
        json: the bytes of the ``<v1id>/json`` file (no trailing newline).
        chain_id: the ChainID of the layers up to this one.
        diff_id: this layer's DiffID.
    """

    id: str
    parent: str
    json: bytes
    chain_id: ChainID
    diff_id: DiffID


def _create_id(v1: V1Image, layer_id: ChainID, parent: str, compat: Compat) -> str:
    """The v1 ID (moby ``v1.CreateID``): sha256 of sorted V1Image JSON + layer_id, parent."""
    struct = v1.__gojson__(compat)
    fields = [(k, v) for k, v in struct.fields if k != "id"]
    extra: dict[str, Any] = {"layer_id": str(layer_id)}
    if parent:
        extra["parent"] = f"sha256:{parent}"
    merged = [(k, v) for k, v in fields if k not in extra] + list(extra.items())
    return sha256_bytes(encode(Struct(merged).sorted(), compat)).hex


def v1_layer(
    img: Image,
    index: int,
    parent: str,
    compat: Compat = Compat.V28,
    *,
    epoch_offset: int = 0,
) -> V1Layer:
    """The v1 ID and ``json`` file of layer ``index`` (0-based, base first) of ``img``.

    Layers below the top are described by a bare V1Image created at the Unix epoch
    (shown at ``epoch_offset`` seconds east of UTC: the saving host's zone); the top
    layer by the image's own V1Image fields. ``os`` is added to the file but is in the
    hash input only for the top layer, as in Docker.

    Args:
        img: the image.
        index: which layer.
        parent: the hex v1 ID of layer ``index - 1`` ("" for the base layer).
        compat: which Docker's encoding to reproduce.
        epoch_offset: UTC offset of the epoch ``created`` of lower layers.

    Raises:
        InvalidImageConfig: the image has no layer ``index``.
    """
    diff_ids = img.rootfs.diff_ids if img.rootfs is not None else []
    if not 0 <= index < len(diff_ids):
        raise InvalidImageConfig(f"image has no layer {index} ({len(diff_ids)} layers)")
    chain = chain_ids(diff_ids[: index + 1])[-1]
    if index == len(diff_ids) - 1:
        v1 = img.v1_image()
    else:
        v1 = V1Image(created=GoTime.unix_epoch(epoch_offset))
    v1_id = _create_id(v1, chain, parent, compat)
    v1.id = v1_id
    v1.parent = parent
    v1.os = img.os
    return V1Layer(v1_id, parent, encode(v1, compat), chain, diff_ids[index])


def v1_layers(img: Image, compat: Compat = Compat.V28, *, epoch_offset: int = 0) -> list[V1Layer]:
    """The v1 view of every layer of ``img``, base first (see :func:`v1_layer`)."""
    count = len(img.rootfs.diff_ids if img.rootfs is not None else [])
    layers: list[V1Layer] = []
    parent = ""
    for index in range(count):
        layer = v1_layer(img, index, parent, compat, epoch_offset=epoch_offset)
        layers.append(layer)
        parent = layer.id
    return layers


def _version_compare(left: str, right: str) -> int:
    """Docker's ``versions.compare``: dot-separated integers, non-numbers count as 0."""
    if left == right:
        return 0
    a, b = left.split("."), right.split(".")
    for i in range(max(len(a), len(b))):
        x = _atoi(a[i]) if i < len(a) else 0
        y = _atoi(b[i]) if i < len(b) else 0
        if x != y:
            return 1 if x > y else -1
    return 0


def _atoi(text: str) -> int:
    body = text[1:] if text[:1] in ("+", "-") else text
    if not body or not body.isascii() or not body.isdigit():
        return 0
    # Go's strconv.Atoi returns the clamped value with its range error (moby ignores the
    # error), and Python's int() refuses more than 4,300 digits
    negative = text[:1] == "-"
    if len(body.lstrip("0")) > 19:
        return -(2**63) if negative else 2**63 - 1
    return max(-(2**63), min(2**63 - 1, int(text)))


def _decode_v1(image_json: bytes) -> V1Image:
    try:
        return V1Image.from_json_value(parse(image_json))
    except JSONError as exc:
        raise InvalidImageConfig(str(exc)) from exc


def history_from_config(image_json: bytes, empty_layer: bool = False) -> History:
    """The history entry a legacy v1 layer JSON stands for (moby ``HistoryFromConfig``).

    Raises:
        InvalidImageConfig: the JSON cannot be decoded as a V1Image.
    """
    v1 = _decode_v1(image_json)
    return History(
        created=v1.created,
        created_by=" ".join(v1.container_config.cmd or []),
        author=v1.author,
        comment=v1.comment,
        empty_layer=empty_layer,
    )


def _docker_version(image_json: bytes) -> str:
    version = ""
    try:
        tree = parse(image_json)
        if tree is not None:
            matcher = FieldMatcher(["docker_version"])
            for _, value in object_pairs(tree, matcher, "", "struct { DockerVersion string }"):
                version = decode_str(version, value, "docker_version")
    except JSONError as exc:
        raise InvalidImageConfig(str(exc)) from exc
    return version


def make_config_from_v1_config(
    image_json: bytes,
    rootfs: RootFS,
    history: list[History],
    compat: Compat = Compat.V28,
) -> bytes:
    """Build an image config from a legacy v1 layer JSON (moby ``MakeConfigFromV1Config``).

    Keys ``id``, ``parent``, ``Size``, ``parent_id``, ``layer_id`` and ``throwaway`` are
    removed, ``rootfs`` and ``history`` added, other values kept as written (compacted,
    HTML-escaped) and the top-level keys sorted. JSON from Docker before 1.8.3 is first
    normalised through :class:`V1Image`.

    Raises:
        InvalidImageConfig: the JSON is malformed or not an object.
    """
    if _version_compare(_docker_version(image_json), NO_FALLBACK_MIN_VERSION) < 0:
        image_json = encode(_decode_v1(image_json), compat)
    try:
        members = raw_members(image_json)
    except JSONError as exc:
        raise InvalidImageConfig(str(exc)) from exc
    if members is None:
        raise InvalidImageConfig("invalid image JSON: null")
    merged: dict[str, Any] = {key: RawMessage(raw) for key, raw in members}
    for key in _DROPPED_KEYS:
        merged.pop(key, None)
    merged["rootfs"] = rootfs
    merged["history"] = list(history)
    return encode(merged, compat)
