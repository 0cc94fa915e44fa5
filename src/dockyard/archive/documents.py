"""Typed readers for the JSON documents of image archives, with Go's decoding rules.

``manifest.json`` items, OCI indexes, manifests and descriptors, the ``repositories`` file
and the fields the legacy loader reads from ``<v1 id>/json`` are decoded into dataclasses
the way Docker's Go code decodes them (Go 1.19, the Docker 20.10 daemon's Go):

* keys match fields exactly first, else case-insensitively; when several keys fill one
  field, the last one in the document wins;
* a value of the wrong JSON type is reported as Go reports it
  (``json: cannot unmarshal number into Go struct field manifestItem.RepoTags of type
  []string``), after the rest of the document was decoded, first such error first;
* numbers are limited as Go limits them (an ``int64`` given ``1e30`` or a 5,000-digit
  integer is ``json: cannot unmarshal number 1e30 into ... of type int64``).

Every error is a :class:`~dockyard.errors.InvalidArchive` carrying Go's message.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from dockyard.errors import InvalidArchive
from dockyard.gojson import JSONError, JSONObject, parse, parse_first
from dockyard.gojson.fields import (
    Field,
    FieldMatcher,
    StructLayout,
    decode_int,
    decode_list,
    decode_map,
    decode_str,
    decode_str_list,
    decode_str_map,
    type_error,
)

__all__ = [
    "Descriptor",
    "LegacyImage",
    "ManifestItem",
    "OCIDocument",
    "Platform",
    "decode_legacy_image",
    "decode_manifest",
    "decode_oci",
    "decode_repositories",
]


def _decode(layout: StructLayout, target: Any, value: Any, where: str) -> Any:
    """Decode ``value`` into ``target`` (a JSON ``null`` leaves it as it is)."""
    if value is not None:
        layout.decode_into(target, value, where)
    return target


@dataclass(slots=True)
class Platform:
    """An OCI platform (``v1.Platform``)."""

    architecture: str = ""
    os: str = ""
    os_version: str = ""
    os_features: list[str] | None = None
    variant: str = ""


_PLATFORM = StructLayout(
    "v1.Platform",
    [
        Field("architecture", "architecture", decode_str),
        Field("os", "os", decode_str),
        Field("os.version", "os_version", decode_str),
        Field("os.features", "os_features", decode_str_list),
        Field("variant", "variant", decode_str),
    ],
)


def _platform_ptr(cur: Platform | None, value: Any, where: str) -> Platform | None:
    if value is None:
        return None
    result: Platform = _decode(_PLATFORM, cur or Platform(), value, where)
    return result


@dataclass(slots=True)
class Descriptor:
    """A content descriptor (``v1.Descriptor``, Docker's ``distribution.Descriptor``).

    ``digest`` is any string, as in Go: it is validated where it is used.
    """

    media_type: str = ""
    digest: str = ""
    size: int = 0
    urls: list[str] | None = None
    annotations: dict[str, str] | None = None
    platform: Platform | None = None
    artifact_type: str = ""


def _descriptor_fields(oci: bool) -> list[Field]:
    fields = [
        Field("mediaType", "media_type", decode_str),
        Field("size", "size", decode_int),
        Field("digest", "digest", decode_str),
        Field("urls", "urls", decode_str_list),
        Field("annotations", "annotations", decode_str_map),
        Field("platform", "platform", _platform_ptr),
    ]
    if oci:
        fields.append(Field("artifactType", "artifact_type", decode_str))
    return fields


_DESCRIPTOR = StructLayout("v1.Descriptor", _descriptor_fields(True))
_DISTRIBUTION_DESCRIPTOR = StructLayout("distribution.Descriptor", _descriptor_fields(False))


def _descriptor(cur: Descriptor | None, value: Any, where: str) -> Descriptor:
    result: Descriptor = _decode(_DESCRIPTOR, cur or Descriptor(), value, where)
    return result


def _descriptors(cur: list[Descriptor] | None, value: Any, where: str) -> list[Descriptor] | None:
    return decode_list(cur, value, where, "[]v1.Descriptor", _descriptor)


def _layer_source(cur: Descriptor | None, value: Any, where: str) -> Descriptor:
    result: Descriptor = _decode(_DISTRIBUTION_DESCRIPTOR, cur or Descriptor(), value, where)
    return result


def _layer_sources(
    cur: dict[str, Descriptor] | None, value: Any, where: str
) -> dict[str, Descriptor] | None:
    go_type = "map[layer.DiffID]distribution.Descriptor"
    return decode_map(cur, value, where, go_type, _layer_source)


# --- manifest.json ----------------------------------------------------------------------


@dataclass(slots=True)
class ManifestItem:
    """One image of ``manifest.json`` (moby's ``tarexport.manifestItem``)."""

    config: str = ""
    repo_tags: list[str] | None = None
    layers: list[str] | None = None
    parent: str = ""
    layer_sources: dict[str, Descriptor] | None = None


def _image_id(cur: str, value: Any, where: str) -> str:
    if value is None:
        return cur
    if not isinstance(value, str):
        raise type_error(value, "image.ID", where)
    return value


_MANIFEST_ITEM = StructLayout(
    "tarexport.manifestItem",
    [
        Field("Config", "config", decode_str),
        Field("RepoTags", "repo_tags", decode_str_list),
        Field("Layers", "layers", decode_str_list),
        Field("Parent", "parent", _image_id),
        Field("LayerSources", "layer_sources", _layer_sources),
    ],
)


def _manifest_item(cur: ManifestItem | None, value: Any, where: str) -> ManifestItem:
    result: ManifestItem = _decode(_MANIFEST_ITEM, cur or ManifestItem(), value, where)
    return result


def decode_manifest(raw: bytes) -> list[ManifestItem] | None:
    """Decode ``manifest.json`` as Docker does (the first JSON value; trailing data ignored).

    Returns:
        The items, or None for a JSON ``null``.

    Raises:
        InvalidArchive: not JSON, or a value of the wrong type (Go's message).
    """
    try:
        tree = _first(raw)
        return decode_list(None, tree, "", "[]tarexport.manifestItem", _manifest_item)
    except JSONError as exc:
        raise InvalidArchive(str(exc)) from exc


def _first(raw: bytes) -> Any:
    """The first JSON value of ``raw`` as a parse tree (``json.Decoder.Decode``)."""
    return parse_first(raw)[0]


# --- OCI image layouts ------------------------------------------------------------------


@dataclass(slots=True)
class OCIDocument:
    """An OCI index (``v1.Index``) or image manifest (``v1.Manifest``): what both hold.

    ``has_manifests`` tells whether a ``manifests`` key was present at all (how an index
    without a media type is told from a manifest).
    """

    schema_version: int = 0
    media_type: str = ""
    manifests: list[Descriptor] | None = None
    config: Descriptor = field(default_factory=Descriptor)
    layers: list[Descriptor] | None = None
    annotations: dict[str, str] | None = None
    has_manifests: bool = False


def _schema_version(cur: int, value: Any, where: str) -> int:
    return decode_int(cur, value, where, "int")


def _oci_fields(index: bool) -> list[Field]:
    fields = [
        Field("schemaVersion", "schema_version", _schema_version),
        Field("mediaType", "media_type", decode_str),
    ]
    if index:
        fields.append(Field("manifests", "manifests", _descriptors))
    else:
        fields += [
            Field("config", "config", _descriptor),
            Field("layers", "layers", _descriptors),
        ]
    fields.append(Field("annotations", "annotations", decode_str_map))
    return fields


_INDEX = StructLayout("v1.Index", _oci_fields(True))
_MANIFEST = StructLayout("v1.Manifest", _oci_fields(False))
_MANIFESTS_KEY = FieldMatcher(["manifests"])


def decode_oci(raw: bytes, where: str, *, index: bool | None) -> OCIDocument:
    """Decode an OCI index or image manifest (strictly: one JSON value, nothing after it).

    Args:
        raw: the document.
        where: what it is, for error messages (``index.json``, a blob path).
        index: True for an index, False for a manifest, None to decide by the presence
            of a ``manifests`` key.

    Raises:
        InvalidArchive: not JSON, not an object, or a value of the wrong type.
    """
    try:
        tree = parse(raw)
        if not isinstance(tree, JSONObject):
            kind = "index" if index else "manifest"
            raise InvalidArchive(f"{where}: not a JSON object (an OCI image {kind})")
        present = any(_MANIFESTS_KEY.match(key) is not None for key, _ in tree)
        result = OCIDocument(has_manifests=present)
        layout = _INDEX if (present if index is None else index) else _MANIFEST
        layout.decode_into(result, tree, "")
    except JSONError as exc:
        raise InvalidArchive(f"{where}: {exc}") from exc
    return result


# --- legacy archives --------------------------------------------------------------------


@dataclass(slots=True)
class LegacyImage:
    """What Docker's legacy loader reads from ``<v1 id>/json`` (an anonymous Go struct)."""

    os: str = ""
    parent: str = ""


_LEGACY_IMAGE = StructLayout(
    "struct { OS string; Parent string }",
    [Field("OS", "os", decode_str), Field("Parent", "parent", decode_str)],
    name="",
)


def decode_legacy_image(raw: bytes) -> LegacyImage:
    """Decode the ``OS`` and ``Parent`` of a v1 image JSON (``json.Unmarshal``).

    Raises:
        InvalidArchive: not JSON, or a value of the wrong type (Go's message).
    """
    try:
        result: LegacyImage = _decode(_LEGACY_IMAGE, LegacyImage(), parse(raw), "")
    except JSONError as exc:
        raise InvalidArchive(str(exc)) from exc
    return result


def _tags(cur: dict[str, str] | None, value: Any, where: str) -> dict[str, str] | None:
    return decode_str_map(cur, value, where)


def decode_repositories(raw: bytes) -> dict[str, dict[str, str]]:
    """Decode a ``repositories`` file as Docker does (the first JSON value).

    Returns:
        Repository name to tag to v1 ID (empty for a JSON ``null``).

    Raises:
        InvalidArchive: not JSON, or a value of the wrong type (Go's message).
    """
    try:
        tree = _first(raw)
        repositories = decode_map(None, tree, "", "map[string]map[string]string", _tags)
    except JSONError as exc:
        raise InvalidArchive(str(exc)) from exc
    return {name: tags for name, tags in (repositories or {}).items() if tags is not None}
