"""Images in motion: what a source offers (images, layers) to a sink.

A *source* offers :class:`SourceImage` s: the exact config bytes (the image ID is their
sha256), the tags, an optional parent, and one :class:`SourceLayer` per DiffID. A layer
is taken by :meth:`SourceLayer.stage`, which streams it (compressed or not) into a
staging area; an archive read from a pipe has staged its layers already, a registry
streams a blob, the store hands over the file it keeps. A *sink* asks only for the layers
it lacks: the store (:class:`~dockyard.transfer.sink.StoreSink`) adds a batch of images
atomically in one transaction; an archive writer and a registry take each layer as a
:class:`LocalLayer` — an uncompressed tar in a local file — from :func:`localize`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from dockyard.digest import DiffID, ImageID, sha256_bytes
from dockyard.errors import InvalidArchive

if TYPE_CHECKING:
    from dockyard.image import Image
    from dockyard.layer import StagedLayer
    from dockyard.reference import Reference
    from dockyard.store.staging import Stager

__all__ = ["ImageSource", "LocalLayer", "SourceImage", "SourceLayer", "localize"]


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




@dataclass(frozen=True, slots=True)
class LocalLayer:
    """A layer as an uncompressed tar in a local file (stored or staged).

    Attributes:
        diff_id: its DiffID (reading ``payload`` to the end verifies it).
        payload: the file.
        size: the file's length.
    """

    diff_id: DiffID
    payload: Path
    size: int

    @property
    def label(self) -> str:
        """The short DiffID Docker shows for a layer it pushes or saves."""
        return self.diff_id.hex[:12]


def localize(layer: SourceLayer, diff_id: DiffID, staging: Stager) -> LocalLayer:
    """The layer as a local file: the file a store keeps, else staged into ``staging``.

    Raises:
        InvalidArchive: the staged data does not hash to ``diff_id``.
        DockyardError: what staging from the source raised.
    """
    local = getattr(layer, "local", None)
    if callable(local):
        found = local()
        if isinstance(found, LocalLayer):
            return found
    staged = layer.stage(staging)
    if staged.diff_id != diff_id:
        raise InvalidArchive(f'invalid diffID for layer: expected "{diff_id}", '
                             f'got "{staged.diff_id}"')  # fmt: skip
    from dockyard.store.staging import PAYLOAD_NAME

    return LocalLayer(diff_id, staged.payload_dir / PAYLOAD_NAME, staged.length)
