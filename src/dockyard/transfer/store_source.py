"""The store as a source: its images, each layer the tar file the store keeps.

Save and push read the store through this source, as any other sink would: a layer is
offered as the stored file itself (:meth:`StoredLayer.local`, nothing copied), or
streamed into another store's staging area (:meth:`StoredLayer.stage`). The files are
taken from one snapshot; reading one to its end verifies it against its DiffID.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from dockyard.digest import ChainID, DiffID, Digest, ImageID, chain_ids
from dockyard.errors import LayerNotFound
from dockyard.layer.model import open_payload
from dockyard.transfer.model import LocalLayer, SourceImage, SourceLayer

if TYPE_CHECKING:
    from pathlib import Path

    from dockyard.layer import StagedLayer
    from dockyard.reference import Reference
    from dockyard.store.staging import Stager
    from dockyard.store.view import View

__all__ = ["StoredLayer", "local_layers", "store_images"]


class StoredLayer:
    """A layer the store holds (a :class:`~dockyard.transfer.model.SourceLayer`)."""

    def __init__(self, chain_id: ChainID, diff_id: DiffID, payload: Path, size: int) -> None:
        self.chain_id = chain_id
        self.diff_id = diff_id
        self.payload = payload
        self._size = size

    @property
    def label(self) -> str:
        """The short DiffID (Docker's name for a layer it saves or pushes)."""
        return self.diff_id.hex[:12]

    @property
    def size(self) -> int:
        """The tar stream's length."""
        return self._size

    def check(self) -> None:
        """Raise :class:`LayerNotFound` when the file is gone (removed meanwhile)."""
        if not self.payload.is_file():
            raise LayerNotFound(str(self.chain_id))

    def local(self) -> LocalLayer:
        """The stored file itself."""
        return LocalLayer(self.diff_id, self.payload, self._size)

    def stage(self, staging: Stager) -> StagedLayer:
        """Copy the tar into another store's staging area (verified on the way)."""
        with open_payload(self.payload, self.diff_id, self.chain_id) as stream:
            return staging.stage(stream)


def store_images(
    view: View,
    image_ids: Sequence[ImageID],
    tags: Mapping[ImageID, Sequence[Reference]] | None = None,
) -> list[SourceImage]:
    """The images as a source offers them, from one snapshot of the store.

    Args:
        view: the snapshot.
        image_ids: the images, in the order to offer them.
        tags: the names each image is offered with (default: none).

    Raises:
        ImageNotFound: an image is not in the store.
        LayerNotFound: one of its layers is missing.
        DigestMismatch: its config file was modified.
    """
    from dockyard.image import Image

    out = []
    for image_id in image_ids:
        config = view.config(image_id)
        image = Image.from_json(config)
        row = view.image_any(image_id)
        parent = ImageID(Digest(row.parent)) if row is not None and row.parent else None
        image.parent = parent
        diff_ids = list(image.rootfs.diff_ids) if image.rootfs is not None else []
        layers: list[SourceLayer] = []
        for diff_id, chain in zip(diff_ids, chain_ids(diff_ids), strict=True):
            layer = view.layer(chain)
            if layer is None:
                raise LayerNotFound(str(chain))
            payload = view.payload(layer)
            try:
                size = payload.stat().st_size
            except FileNotFoundError:
                raise LayerNotFound(str(chain)) from None
            layers.append(StoredLayer(chain, diff_id, payload, size))
        names = list(tags.get(image_id, ())) if tags else []
        out.append(SourceImage(config, image, layers, names, parent))
    return out


def local_layers(image: SourceImage) -> list[LocalLayer]:
    """The stored files of an image :func:`store_images` gave (nothing is copied)."""
    out = []
    for layer in image.layers:
        if not isinstance(layer, StoredLayer):
            raise TypeError(f"not a stored layer: {layer!r}")
        out.append(layer.local())
    return out
