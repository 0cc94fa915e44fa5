"""The store as a sink: images added all or nothing, staged layers first (outside the lock)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from dockyard.errors import InvalidArchive
from dockyard.store.txn import child_chain_id

if TYPE_CHECKING:
    from collections.abc import Sequence

    from dockyard.client import Client
    from dockyard.digest import ChainID, ImageID
    from dockyard.layer import StagedLayer
    from dockyard.reference import Reference
    from dockyard.store.staging import Stager
    from dockyard.store.txn import Transaction
    from dockyard.transfer.model import SourceImage, SourceLayer

__all__ = ["StoreSink"]


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
            staged = layer.stage(self.staging)
            found = self._staged.setdefault(id(layer), (layer, staged))
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

    def stage(self, layers: Sequence[SourceLayer], *, workers: int = 1) -> None:
        """Stage ``layers`` (typically :meth:`missing`) before the transaction starts.

        Args:
            layers: the layers to stage.
            workers: how many layers to fetch at once (a registry's blobs download in
                parallel; an archive is read in order).

        Raises:
            DockyardError: the first layer that failed (the others are abandoned).
        """
        if workers <= 1 or len(layers) <= 1:
            for layer in layers:
                self._stage(layer)
            return
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(min(workers, len(layers))) as pool:
            for future in [pool.submit(self._stage, layer) for layer in layers]:
                future.result()

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
