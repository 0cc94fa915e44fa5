"""Images in motion: what a source offers (images, layers) to a sink.

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

if TYPE_CHECKING:

    from dockyard.image import Image
    from dockyard.layer import StagedLayer
    from dockyard.reference import Reference
    from dockyard.store.staging import Stager

__all__ = ["ImageSource", "SourceImage", "SourceLayer"]


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


