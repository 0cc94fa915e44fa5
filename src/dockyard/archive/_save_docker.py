"""The Docker 25+ ``docker save`` layout (spec §7.4) and the pure OCI image layout.

Both are OCI image layouts with the same config, layer and manifest blobs. The Docker
form adds the legacy v1 JSON blobs (unreferenced, as Docker writes them),
``manifest.json`` with ``LayerSources`` and ``repositories``.

``index.json`` lists one entry per tag plus one plain entry for every untagged image.
Docker 25+ only lists an untagged image when it is processed before every tagged one
(spec §7.4, a bug); dockyard lists every image, so that OCI tools see all of them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from dockyard.archive._save_layout import (
    EPOCH,
    Entry,
    EntryKind,
    Layout,
    manifest_item,
    manifest_json,
    repositories_json,
    validated_parents,
)
from dockyard.digest import Digest, sha256_bytes
from dockyard.gojson import Compat
from dockyard.image import v1_layers
from dockyard.oci import (
    ANNOTATION_IMAGE_NAME,
    ANNOTATION_REF_NAME,
    MEDIA_TYPE_CONFIG,
    MEDIA_TYPE_LAYER,
    MEDIA_TYPE_MANIFEST,
    OCI_LAYOUT,
    Descriptor,
    blob_path,
    index_bytes,
    manifest_bytes,
)

if TYPE_CHECKING:
    from pathlib import Path

    from dockyard.archive._save_layout import ImageInput
    from dockyard.digest import DiffID
    from dockyard.gojson import Struct

__all__ = ["PreparedBlob", "docker_layout", "oci_layout"]


@dataclass(frozen=True, slots=True)
class PreparedBlob:
    """A layer already turned into a blob file (compressed) before the save writes it.

    Attributes:
        descriptor: media type, digest and size of the file.
        path: where the file is.
    """

    descriptor: Descriptor
    path: Path


class _Builder:
    """Shared blob bookkeeping of the Docker and OCI layouts."""

    def __init__(self, prepared: dict[DiffID, PreparedBlob] | None = None) -> None:
        self.layout = Layout()
        self.layout.dir("blobs", EPOCH)
        self.layout.dir("blobs/sha256", EPOCH)
        self.prepared = prepared or {}
        self.layers: dict[DiffID, Descriptor] = {}
        self.index: list[Descriptor] = []

    def blob(self, data: bytes, mtime: int) -> Digest:
        digest = sha256_bytes(data)
        self.layout.bytes(blob_path(digest), data, mtime)
        return digest

    def layer(self, img: ImageInput, index: int) -> Descriptor:
        diff_id = img.diff_ids[index]
        known = self.layers.get(diff_id)
        if known is not None:
            return known
        prepared = self.prepared.get(diff_id)
        if prepared is not None:
            desc = prepared.descriptor
            entry = Entry(
                blob_path(desc.digest),
                EntryKind.FILE,
                img.mtime,
                size=desc.size,
                path=prepared.path,
            )
        else:
            size = img.layer_sizes[index]
            desc = Descriptor(MEDIA_TYPE_LAYER, Digest(diff_id), size)
            entry = Entry(
                blob_path(desc.digest),
                EntryKind.LAYER,
                img.mtime,
                chain_id=img.chain_ids[index],
                diff_id=diff_id,
                size=size,
            )
        self.layout.add(entry)
        self.layers[diff_id] = desc
        return desc

    def image(self, img: ImageInput, layers: list[Descriptor]) -> None:
        """Config and manifest blobs, ``blobs/`` mtime, index entries of one image."""
        raw = img.image.raw_json()
        config = Descriptor(MEDIA_TYPE_CONFIG, self.blob(raw, img.mtime), len(raw))
        # Docker re-times ``blobs/`` for every image: the last image's time stays.
        self.layout.put(Entry("blobs", EntryKind.DIR, img.mtime))
        manifest = manifest_bytes(config, layers)
        untagged = Descriptor(MEDIA_TYPE_MANIFEST, self.blob(manifest, EPOCH), len(manifest))
        for ref in img.item.tags:
            annotations = {ANNOTATION_IMAGE_NAME: str(ref), ANNOTATION_REF_NAME: ref.tag or ""}
            self.index.append(
                Descriptor(untagged.media_type, untagged.digest, untagged.size, annotations)
            )
        if not img.item.tags:
            self.index.append(untagged)

    def finish(self) -> Layout:
        self.layout.bytes("oci-layout", OCI_LAYOUT, EPOCH)
        self.layout.bytes("index.json", index_bytes(self.index), EPOCH)
        return self.layout


def docker_layout(images: list[ImageInput]) -> Layout:
    """Plan the Docker 25+ archive of ``images`` (in the given order)."""
    builder = _Builder()
    parents = validated_parents(images)
    repos: dict[str, dict[str, str]] = {}
    items: list[Struct] = []
    saved_v1: set[str] = set()
    for img in images:
        layers: list[Descriptor] = []
        for index, v1 in enumerate(v1_layers(img.image, Compat.V28)):
            if v1.id not in saved_v1:
                builder.blob(v1.json, img.mtime)
                saved_v1.add(v1.id)
            layers.append(builder.layer(img, index))
        builder.image(img, layers)
        top = img.diff_ids[-1].hex
        for ref in img.item.tags:
            repos.setdefault(ref.familiar_name(), {})[ref.tag or ""] = top
        sources = {str(d): builder.layers[d].distribution_struct() for d in img.diff_ids}
        items.append(
            manifest_item(
                blob_path(img.item.image_id),
                img.item.repo_tags,
                [blob_path(desc.digest) for desc in layers],
                parents.get(img.item.image_id),
                sources,
            )
        )
    layout = builder.finish()
    layout.bytes("manifest.json", manifest_json(items), EPOCH)
    if repos:
        layout.bytes("repositories", repositories_json(repos), EPOCH)
    return layout


def oci_layout(
    images: list[ImageInput], prepared: dict[DiffID, PreparedBlob] | None = None
) -> Layout:
    """Plan a pure OCI image layout of ``images``: blobs, ``index.json``, ``oci-layout``.

    Args:
        images: the images, in order.
        prepared: compressed layer blobs by DiffID; layers not in it are stored as the
            uncompressed tar (``application/vnd.oci.image.layer.v1.tar``).
    """
    builder = _Builder(prepared)
    for img in images:
        layers = [builder.layer(img, index) for index in range(len(img.diff_ids))]
        builder.image(img, layers)
    return builder.finish()
