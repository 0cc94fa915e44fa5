"""OCI descriptors, image manifests and indexes, encoded byte for byte as Docker does."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from dockyard.digest import Digest
from dockyard.gojson import Compat, Struct, encode

__all__ = [
    "ANNOTATION_IMAGE_NAME",
    "ANNOTATION_REF_NAME",
    "MEDIA_TYPE_CONFIG",
    "MEDIA_TYPE_INDEX",
    "MEDIA_TYPE_LAYER",
    "MEDIA_TYPE_LAYER_GZIP",
    "MEDIA_TYPE_LAYER_ZSTD",
    "MEDIA_TYPE_MANIFEST",
    "OCI_LAYOUT",
    "Descriptor",
    "blob_path",
    "index_bytes",
    "manifest_bytes",
]

MEDIA_TYPE_INDEX = "application/vnd.oci.image.index.v1+json"
MEDIA_TYPE_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
MEDIA_TYPE_CONFIG = "application/vnd.oci.image.config.v1+json"
MEDIA_TYPE_LAYER = "application/vnd.oci.image.layer.v1.tar"
MEDIA_TYPE_LAYER_GZIP = "application/vnd.oci.image.layer.v1.tar+gzip"
MEDIA_TYPE_LAYER_ZSTD = "application/vnd.oci.image.layer.v1.tar+zstd"

#: containerd's annotation with the full image name (``docker.io/library/busybox:latest``).
ANNOTATION_IMAGE_NAME = "io.containerd.image.name"
#: The OCI annotation naming a manifest of an index (Docker writes the tag).
ANNOTATION_REF_NAME = "org.opencontainers.image.ref.name"

#: The ``oci-layout`` file exactly as Docker writes it: 31 bytes, a space, no newline.
OCI_LAYOUT = b'{"imageLayoutVersion": "1.0.0"}'


@dataclass(frozen=True, slots=True)
class Descriptor:
    """A content descriptor: what a blob is, its digest and its size.

    Attributes:
        media_type: the blob's media type.
        digest: ``sha256:<hex>`` of the blob's bytes.
        size: the blob's length in bytes.
        annotations: optional annotations (only index entries carry them here).
    """

    media_type: str
    digest: Digest
    size: int
    annotations: Mapping[str, str] = field(default_factory=dict)

    def __gojson__(self, compat: Compat) -> Struct:
        """OCI order (image-spec ``Descriptor``): mediaType, digest, size, annotations."""
        return (
            Struct()
            .add("mediaType", self.media_type, omitempty=True)
            .add("digest", str(self.digest))
            .add("size", self.size)
            .add("annotations", dict(self.annotations), omitempty=True)
        )

    def distribution_struct(self) -> Struct:
        """docker/distribution order (``LayerSources`` values): mediaType, size, digest."""
        return (
            Struct()
            .add("mediaType", self.media_type, omitempty=True)
            .add("size", self.size, omitempty=True)
            .add("digest", str(self.digest), omitempty=True)
            .add("annotations", dict(self.annotations), omitempty=True)
        )


def blob_path(digest: Digest) -> str:
    """The path of a blob inside an image layout: ``blobs/sha256/<hex>``."""
    return f"blobs/{digest.algorithm}/{digest.hex}"


def manifest_bytes(config: Descriptor, layers: Sequence[Descriptor]) -> bytes:
    """An OCI image manifest, compact, as Docker's ``save`` marshals it (no newline)."""
    return encode(
        Struct()
        .add("schemaVersion", 2)
        .add("mediaType", MEDIA_TYPE_MANIFEST)
        .add("config", config)
        .add("layers", list(layers)),
        Compat.V28,
    )


def index_bytes(manifests: Sequence[Descriptor]) -> bytes:
    """An OCI image index, compact, as Docker's ``save`` marshals it (no newline)."""
    return encode(
        Struct()
        .add("schemaVersion", 2)
        .add("mediaType", MEDIA_TYPE_INDEX)
        .add("manifests", list(manifests)),
        Compat.V28,
    )
