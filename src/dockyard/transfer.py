"""Images in motion: the source and sink vocabulary shared by archives, layouts and the store.

A *source* offers :class:`SourceImage` s: the exact config bytes (the image ID is their
sha256), the tags, an optional parent, and one :class:`SourceLayer` per DiffID. A layer is
taken into a layer store by :meth:`SourceLayer.stage`, which streams it (compressed or not)
into the store's staging area; an archive read from a pipe has staged its layers already,
a registry would stream a blob. The store is the sink: :class:`StoreSink` adds a batch of
images **atomically** (all of them or none), reusing layers the store already has without
asking the source for them.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from dockyard.digest import DiffID, ImageID, sha256_bytes
from dockyard.errors import DockyardError, InvalidArchive
from dockyard.layer import child_chain_id

if TYPE_CHECKING:
    from collections.abc import Sequence

    from dockyard.client import Client
    from dockyard.digest import ChainID
    from dockyard.image import Image
    from dockyard.layer import Layer, LayerStore, StagedLayer
    from dockyard.reference import Reference

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

    def stage(self, layers: LayerStore) -> StagedLayer:
        """Stream the layer into ``layers``' staging area (see ``LayerStore.stage``)."""
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

    Hold ``client.lock.exclusive()`` around :meth:`missing`, :meth:`put` and the staging
    the sources do, so that no other process collects staged data in between.
    """

    def __init__(self, client: Client) -> None:
        self.client = client
        self.layers_added = 0

    def missing(self, images: Sequence[SourceImage]) -> list[SourceLayer]:
        """The layers the store lacks (each checked to be available), in order.

        Raises:
            DockyardError: a missing layer cannot be had from its source.
        """
        needed: list[SourceLayer] = []
        seen: set[int] = set()
        for entry in images:
            parent: ChainID | None = None
            for layer, diff in zip(entry.layers, entry.diff_ids, strict=True):
                parent = child_chain_id(parent, diff)
                if parent not in self.client.layer_store and id(layer) not in seen:
                    layer.check()
                    seen.add(id(layer))
                    needed.append(layer)
        return needed

    def put(self, images: Sequence[SourceImage]) -> list[ImageID]:
        """Create every image (and the layers the store lacks); undo everything on failure.

        Raises:
            InvalidArchive: a layer's data does not hash to the DiffID the config names
                (``invalid diffID for layer <i>: expected "…", got "…"``).
            DockyardError: any error of the layer or image store; nothing is left behind.
        """
        handles: list[Layer] = []
        created: list[ImageID] = []
        staged: list[StagedLayer] = []
        store = self.client.image_store
        try:
            for entry in images:
                handles.extend(self._layers_of(entry, staged))
                existed = entry.id in store
                image_id = store.create(entry.config)
                if not existed:
                    created.append(image_id)
        except BaseException:
            for image_id in reversed(created):
                with contextlib.suppress(DockyardError):
                    store.delete(image_id)
            raise
        finally:
            for handle in reversed(handles):
                with contextlib.suppress(DockyardError):
                    self.client.layer_store.release(handle)
            for data in staged:  # what no commit used (a layer that did not match)
                with contextlib.suppress(DockyardError, OSError):
                    self.client.layer_store.discard(data)
        return [entry.id for entry in images]

    def _layers_of(self, entry: SourceImage, staged_out: list[StagedLayer]) -> list[Layer]:
        store = self.client.layer_store
        handles: list[Layer] = []
        parent: ChainID | None = None
        try:
            for index, (layer, diff) in enumerate(zip(entry.layers, entry.diff_ids, strict=True)):
                chain = child_chain_id(parent, diff)
                if chain in store:
                    handles.append(store.get(chain))
                else:
                    staged = layer.stage(store)
                    staged_out.append(staged)
                    if staged.diff_id != diff:
                        raise InvalidArchive(
                            f'invalid diffID for layer {index}: expected "{diff}", '
                            f'got "{staged.diff_id}"'
                        )
                    handles.append(store.commit(staged, parent))
                    self.layers_added += 1
                parent = chain
        except BaseException:
            for handle in reversed(handles):
                with contextlib.suppress(DockyardError):
                    store.release(handle)
            raise
        return handles

    def tag(self, ref: Reference, image_id: ImageID) -> ImageID | None:
        """Point ``ref`` at ``image_id`` (moving it); return the image it pointed to before.

        Raises:
            DockyardError: the reference store refused the tag.
        """
        refs = self.client.reference_store
        try:
            old: ImageID | None = refs.get(ref)
        except DockyardError:
            old = None
        refs.add_tag(ref, image_id, force=True)
        return old if old != image_id else None

    def link(self, links: Sequence[tuple[ImageID, ImageID]]) -> None:
        """Record (child, parent) links."""
        for child, parent in links:
            self.client.image_store.set_parent(child, parent)
