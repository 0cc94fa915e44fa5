"""Manifest and index models as registries serve them, and platform selection.

A parsed manifest keeps the exact bytes it was read from (:attr:`ImageManifest.raw`)
and their digest: the digest is always ``sha256(raw)``, never a re-serialisation.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from dockyard.digest import Digest, sha256_bytes
from dockyard.errors import InvalidDigest
from dockyard.oci.descriptor import MEDIA_TYPE_INDEX, MEDIA_TYPE_MANIFEST, Descriptor
from dockyard.platforms import PlatformSpec, normalize
from dockyard.registry.errors import InvalidManifest, PlatformNotFound

__all__ = [
    "INDEX_MEDIA_TYPES",
    "MANIFEST_ACCEPT",
    "MANIFEST_MEDIA_TYPES",
    "MEDIA_TYPE_DOCKER_LIST",
    "MEDIA_TYPE_DOCKER_MANIFEST",
    "ImageIndex",
    "ImageManifest",
    "IndexEntry",
    "Manifest",
    "Platform",
    "parse_manifest",
    "select_platform",
]

MEDIA_TYPE_DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
MEDIA_TYPE_DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
MEDIA_TYPE_DOCKER_SCHEMA1 = "application/vnd.docker.distribution.manifest.v1+json"
MEDIA_TYPE_DOCKER_SCHEMA1_SIGNED = "application/vnd.docker.distribution.manifest.v1+prettyjws"

#: Image manifests (one platform): Docker schema 2 and OCI.
MANIFEST_MEDIA_TYPES = frozenset({MEDIA_TYPE_DOCKER_MANIFEST, MEDIA_TYPE_MANIFEST})
#: Indexes (several platforms): Docker manifest list and OCI index.
INDEX_MEDIA_TYPES = frozenset({MEDIA_TYPE_DOCKER_LIST, MEDIA_TYPE_INDEX})
#: The ``Accept`` header of manifest requests: all four types, so that distribution
#: neither converts to schema 1, nor hides OCI content, nor picks a list child itself.
MANIFEST_ACCEPT = ", ".join(
    [MEDIA_TYPE_INDEX, MEDIA_TYPE_MANIFEST, MEDIA_TYPE_DOCKER_LIST, MEDIA_TYPE_DOCKER_MANIFEST]
)
_GENERIC = frozenset({"", "application/json", "text/plain", "application/octet-stream"})


@dataclass(frozen=True, slots=True)
class Platform:
    """The ``platform`` of an index entry.

    Attributes:
        os: operating system (``linux``).
        architecture: CPU architecture (``amd64``, ``arm64``).
        variant: CPU variant (``v7``), or empty.
        os_version: ``os.version`` (Windows), or empty.
        os_features: ``os.features``.
    """

    os: str
    architecture: str
    variant: str = ""
    os_version: str = ""
    os_features: tuple[str, ...] = ()

    def __str__(self) -> str:
        text = f"{self.os}/{self.architecture}"
        return f"{text}/{self.variant}" if self.variant else text


@dataclass(frozen=True, slots=True)
class IndexEntry:
    """One entry of an index: a child manifest and the platform it is for.

    Attributes:
        descriptor: media type, digest, size and annotations of the child.
        platform: its platform, or None (attestations, artifacts).
    """

    descriptor: Descriptor
    platform: Platform | None = None

    @property
    def digest(self) -> Digest:
        """The child's digest."""
        return self.descriptor.digest

    @property
    def media_type(self) -> str:
        """The child's media type."""
        return self.descriptor.media_type


@dataclass(frozen=True, slots=True)
class ImageManifest:
    """A single-platform image manifest (Docker schema 2 or OCI).

    Attributes:
        media_type: the manifest's media type.
        digest: ``sha256`` of :attr:`raw`.
        raw: the exact bytes received (push these to keep the digest).
        config: the image configuration blob.
        layers: the layer blobs, base first.
        annotations: the manifest's annotations.
        subject: the ``subject`` descriptor (OCI referrers), if any.
    """

    media_type: str
    digest: Digest
    raw: bytes = field(repr=False)
    config: Descriptor
    layers: tuple[Descriptor, ...]
    annotations: Mapping[str, str] = field(default_factory=dict)
    subject: Descriptor | None = None


@dataclass(frozen=True, slots=True)
class ImageIndex:
    """A multi-platform index (Docker manifest list or OCI index).

    Attributes:
        media_type: the index's media type.
        digest: ``sha256`` of :attr:`raw`.
        raw: the exact bytes received.
        manifests: the entries, in the index's order.
        annotations: the index's annotations.
    """

    media_type: str
    digest: Digest
    raw: bytes = field(repr=False)
    manifests: tuple[IndexEntry, ...]
    annotations: Mapping[str, str] = field(default_factory=dict)

    def select(self, platform: PlatformSpec) -> IndexEntry:
        """The entry for ``platform`` (see :func:`select_platform`).

        Raises:
            PlatformNotFound: no entry matches.
        """
        return select_platform(self.manifests, platform)


Manifest = ImageManifest | ImageIndex


def select_platform(entries: Sequence[IndexEntry], platform: PlatformSpec) -> IndexEntry:
    """Pick the entry that runs on ``platform``, with containerd's matching rules.

    Architecture aliases are normalised (``x86_64`` is ``amd64``, ``aarch64`` is
    ``arm64``). An entry whose variant equals the wanted one beats an entry without a
    variant; otherwise the index's order decides.

    Raises:
        PlatformNotFound: no entry matches (Docker's ``no matching manifest for …``).
    """
    best: tuple[int, int, IndexEntry] | None = None
    for position, entry in enumerate(entries):
        plat = entry.platform
        if plat is None or not platform.matches(plat.os, plat.architecture, plat.variant):
            continue
        variant = normalize(plat.os or "linux", plat.architecture, plat.variant).variant
        rank = 0 if variant == platform.variant else 1
        if best is None or (rank, position) < best[:2]:
            best = (rank, position, entry)
    if best is None:
        raise PlatformNotFound(str(platform))
    return best[2]


def _str_map(value: Any, what: str) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    ):
        raise InvalidManifest(f"invalid manifest: {what} must be an object of strings")
    return dict(value)


def _descriptor(value: Any, what: str) -> Descriptor:
    if not isinstance(value, dict):
        raise InvalidManifest(f"invalid manifest: {what} is not an object")
    media_type = value.get("mediaType", "")
    size = value.get("size")
    if not isinstance(media_type, str):
        raise InvalidManifest(f"invalid manifest: {what}: mediaType must be a string")
    if not isinstance(size, int) or isinstance(size, bool) or size < 0:
        raise InvalidManifest(f"invalid manifest: {what}: invalid size")
    try:
        digest = Digest(value.get("digest"))  # type: ignore[arg-type]
    except InvalidDigest as exc:
        raise InvalidManifest(f"invalid manifest: {what}: {exc}") from exc
    return Descriptor(media_type, digest, size, _str_map(value.get("annotations"), what))


def _platform(value: Any) -> Platform | None:
    if not isinstance(value, dict):
        return None
    features = value.get("os.features") or ()
    return Platform(
        os=str(value.get("os") or ""),
        architecture=str(value.get("architecture") or ""),
        variant=str(value.get("variant") or ""),
        os_version=str(value.get("os.version") or ""),
        os_features=tuple(str(f) for f in features) if isinstance(features, list) else (),
    )


def _media_type(doc: dict[str, Any], header: str | None) -> str:
    declared = header.split(";", 1)[0].strip().lower() if header else ""
    body = doc.get("mediaType")
    if declared in _GENERIC:
        if isinstance(body, str) and body:
            declared = body
        elif doc.get("schemaVersion") == 1:
            declared = MEDIA_TYPE_DOCKER_SCHEMA1
        else:
            declared = MEDIA_TYPE_INDEX if "manifests" in doc else MEDIA_TYPE_MANIFEST
    if declared in (MEDIA_TYPE_DOCKER_SCHEMA1, MEDIA_TYPE_DOCKER_SCHEMA1_SIGNED):
        raise InvalidManifest(
            "unsupported manifest format: Docker image manifest schema 1 is not supported"
        )
    if isinstance(body, str) and body and body != declared:
        raise InvalidManifest(
            f"invalid manifest: mediaType {body!r} does not match content type {declared!r}"
        )
    return declared


def parse_manifest(raw: bytes, media_type: str | None = None) -> Manifest:
    """Parse manifest bytes into an :class:`ImageManifest` or :class:`ImageIndex`.

    Args:
        raw: the exact bytes.
        media_type: the ``Content-Type`` they came with (None: taken from the body).

    Raises:
        InvalidManifest: not JSON, not a supported type (schema 1, artifacts of unknown
            types), or fields of the wrong type.
    """
    try:
        doc = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidManifest(f"invalid manifest: {exc}") from exc
    if not isinstance(doc, dict):
        raise InvalidManifest("invalid manifest: not a JSON object")
    kind = _media_type(doc, media_type)
    digest = sha256_bytes(raw)
    annotations = _str_map(doc.get("annotations"), "annotations")
    if kind in INDEX_MEDIA_TYPES:
        entries = doc.get("manifests")
        if not isinstance(entries, list):
            raise InvalidManifest("invalid manifest: manifests must be a list")
        children = tuple(
            IndexEntry(_descriptor(e, f"manifests[{i}]"), _platform(e.get("platform")))
            for i, e in enumerate(entries)
        )
        return ImageIndex(kind, digest, raw, children, annotations)
    if kind in MANIFEST_MEDIA_TYPES:
        layers = doc.get("layers")
        if not isinstance(layers, list):
            raise InvalidManifest("invalid manifest: layers must be a list")
        subject = doc.get("subject")
        return ImageManifest(
            kind,
            digest,
            raw,
            _descriptor(doc.get("config"), "config"),
            tuple(_descriptor(d, f"layers[{i}]") for i, d in enumerate(layers)),
            annotations,
            _descriptor(subject, "subject") if subject is not None else None,
        )
    raise InvalidManifest(f"unsupported manifest media type: {kind}")
