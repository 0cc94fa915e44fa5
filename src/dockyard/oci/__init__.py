"""OCI image layout pieces: descriptors, manifests, the index and the ``oci-layout`` file.

Invariant: every JSON document is encoded exactly as Docker's Go code encodes it (field
order of the Go structs, compact, HTML-escaped), so that digests of manifests dockyard
writes equal the ones Docker writes for the same image.
"""

from __future__ import annotations

from dockyard.oci.descriptor import (
    ANNOTATION_IMAGE_NAME,
    ANNOTATION_REF_NAME,
    MEDIA_TYPE_CONFIG,
    MEDIA_TYPE_INDEX,
    MEDIA_TYPE_LAYER,
    MEDIA_TYPE_LAYER_GZIP,
    MEDIA_TYPE_LAYER_ZSTD,
    MEDIA_TYPE_MANIFEST,
    OCI_LAYOUT,
    Descriptor,
    blob_path,
    index_bytes,
    manifest_bytes,
)

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
