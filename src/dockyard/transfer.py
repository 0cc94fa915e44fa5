"""Images in motion: the source and sink vocabulary shared by archives, layouts and the store.

A *source* offers :class:`SourceImage` s: the exact config bytes (the image ID is their
sha256), the tags, an optional parent, and one :class:`SourceLayer` per DiffID. A layer is
taken into a store by :meth:`SourceLayer.stage`, which streams it (compressed or not)
into a staging area; an archive read from a pipe has staged its layers already, a
registry would stream a blob. The store is the sink: :class:`StoreSink` stages what the
store lacks without holding the writer lock, then adds a batch of images **atomically**
(all of them or none) in one transaction, reusing layers the store already has without
asking the source for them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from dockyard.digest import DiffID, ImageID, sha256_bytes
from dockyard.errors import InvalidArchive
from dockyard.store.txn import child_chain_id

if TYPE_CHECKING:
    from collections.abc import Sequence

    from dockyard.client import Client
    from dockyard.digest import ChainID
    from dockyard.image import Image
    from dockyard.layer import StagedLayer
    from dockyard.reference import Reference
    from dockyard.store.staging import Stager
    from dockyard.store.txn import Transaction

__all__ = ["ImageSource", "SourceImage", "SourceLayer", "StoreSink"]


class SourceLayer(Protocol):
    """One layer a source can provide."""

    @property
    def label(self) -> str:
        """A short name for progress reports."""
        ...

    @property
    def size(self) -> int | None:
        """Bytes :meth:`stage` will read, when known (for overall progress)."""
        ...

    def check(self) -> None:
        """Raise the error :meth:`stage` would raise if the layer cannot be had."""
        ...

    def stage(self, staging: Stager) -> StagedLayer:
        """Stream the layer into ``staging``."""
        ...


@dataclass
class SourceImage:
    """One image a source offers."""

    config: bytes
    image: Image
    layers: list[SourceLayer]
    tags: list[Reference] = field(default_factory=list)
    parent: ImageID | None = None

    @property
    def id(self) -> ImageID:
        """The image ID: sha256 of the config bytes."""
        return ImageID(sha256_bytes(self.config))

    @property
    def diff_ids(self) -> list[DiffID]:
        """The config's DiffIDs, base first."""
        return list(self.image.rootfs.diff_ids) if self.image.rootfs is not None else []


class ImageSource(Protocol):
    """Anything images can be read from."""

    def images(self) -> list[SourceImage]:
        """The images offered, in order (parents before children when both are offered)."""
        ...


class StoreSink:
    """Adds images to a store, all or nothing.

    The layers the store lacks are staged first (:meth:`stage_missing`, outside the
    writer lock), then :meth:`put` commits layers and images in the caller's transaction.
    """

    def __init__(self, client: Client, staging: Stager) -> None:
        self.client = client
        self.staging = staging
        self.layers_added = 0
        self._staged: dict[int, tuple[SourceLayer, StagedLayer]] = {}

    def _stage(self, layer: SourceLayer) -> StagedLayer:
        """Stage a layer once, however often it is asked for."""
        found = self._staged.get(id(layer))
        if found is None:
            found = self._staged[id(layer)] = (layer, layer.stage(self.staging))
        return found[1]

    def missing(self, images: Sequence[SourceImage]) -> list[SourceLayer]:
        """The layers the store lacks right now (each checked to be available), in order.

        Raises:
            DockyardError: a missing layer cannot be had from its source.
        """
        needed: list[SourceLayer] = []
        seen: set[int] = set()
        with self.client.view() as view:
            for entry in images:
                parent: ChainID | None = None
                for layer, diff in zip(entry.layers, entry.diff_ids, strict=True):
                    parent = child_chain_id(parent, diff)
                    if view.layer(parent) is None and id(layer) not in seen:
                        layer.check()
                        seen.add(id(layer))
                        needed.append(layer)
        return needed

    def stage(self, layers: Sequence[SourceLayer]) -> None:
        """Stage ``layers`` (typically :meth:`missing`) before the transaction starts."""
        for layer in layers:
            self._stage(layer)

    def put(self, tx: Transaction, images: Sequence[SourceImage]) -> list[ImageID]:
        """Add every image (and the layers the store lacks) to the transaction.

        A layer another command removed since :meth:`missing` looked is staged now.

        Raises:
            InvalidArchive: a layer's data does not hash to the DiffID the config names
                (``invalid diffID for layer <i>: expected "…", got "…"``).
            DockyardError: any error of the store; the transaction is then abandoned.
        """
        for entry in images:
            parent: ChainID | None = None
            for index, (layer, diff) in enumerate(zip(entry.layers, entry.diff_ids, strict=True)):
                chain = child_chain_id(parent, diff)
                if tx.view.layer(chain) is None:
                    staged = self._stage(layer)
                    if staged.diff_id != diff:
                        raise InvalidArchive(
                            f'invalid diffID for layer {index}: expected "{diff}", '
                            f'got "{staged.diff_id}"'
                        )
                    tx.add_layer(staged, parent)
                    self.layers_added += 1
                parent = chain
            tx.add_image(entry.config, entry.image)
        return [entry.id for entry in images]

    def tag(self, tx: Transaction, ref: Reference, image_id: ImageID) -> ImageID | None:
        """Point ``ref`` at ``image_id`` (moving it); return the image it pointed to before.

        Raises:
            DockyardError: the tag was refused.
        """
        old = tx.view.lookup(ref)
        tx.add_tag(ref, image_id, force=True)
        return old if old is not None and old != image_id else None

    def link(self, tx: Transaction, links: Sequence[tuple[ImageID, ImageID]]) -> None:
        """Record (child, parent) links."""
        for child, parent in links:
            tx.set_parent(child, parent)
