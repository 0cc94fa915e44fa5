"""A registry as a source: an image's manifest, config and layer blobs, downloaded resumably.

Layer blobs are downloaded into the store's download area
(:class:`~dockyard.store.downloads.Downloads`), verified on every byte, and decompressed
into a staging area while they arrive (:mod:`dockyard.transfer.unpack`); a download that
fails stays there for the next pull to resume.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from dockyard.digest import DiffID
from dockyard.errors import InvalidImageConfig
from dockyard.image import Image
from dockyard.progress import Message, Progress
from dockyard.transfer.model import SourceImage
from dockyard.transfer.unpack import download_and_stage

if TYPE_CHECKING:
    from collections.abc import Callable

    from dockyard.layer import StagedLayer
    from dockyard.oci import Descriptor
    from dockyard.progress import MessageCallback
    from dockyard.registry import BlobSink, ImageManifest, Repository
    from dockyard.store.downloads import Downloads
    from dockyard.store.staging import Stager

__all__ = ["RemoteImage", "RemoteLayer", "fetch_image"]


@dataclass(eq=False)
class RemoteLayer:
    """A layer blob of a repository: downloaded, verified and decompressed when staged."""

    repository: Repository
    descriptor: Descriptor
    diff_id: DiffID
    downloads: Downloads
    messages: MessageCallback | None = None
    progress: Callable[[Progress], None] | None = None

    @property
    def label(self) -> str:
        """The short blob digest Docker shows for pulled layers."""
        return self.descriptor.digest.hex[:12]

    @property
    def size(self) -> int | None:
        """The compressed size the manifest gives."""
        return self.descriptor.size

    def check(self) -> None:
        """Nothing to check before the download (the registry answers then)."""

    def stage(self, staging: Stager) -> StagedLayer:
        """Download (resuming a partial file), verify, then decompress into ``staging``.

        Raises:
            RegistryError: the registry refused or failed (``blob unknown``, …).
            ContentDigestMismatch: the bytes do not match the digest (the partial file
                is dropped, so the next pull starts over).
            InvalidLayer: the blob is not a (compressed) tar.
        """
        digest = self.descriptor.digest

        def download(sink: BlobSink) -> None:
            self.repository.get_blob(digest, sink, size=self.descriptor.size,
                                     progress=self._bytes)  # fmt: skip
            self._say("Verifying Checksum")
            self._say("Download complete")

        with self.downloads.blob(digest) as path:
            self._say("Downloading", 0)
            return download_and_stage(path, self.descriptor.size, download, staging)

    def _bytes(self, event: Progress) -> None:
        if self.progress is not None:
            self.progress(Progress("Downloading", self.label, event.current, event.total,
                                   event.overall_current, event.overall_total, event.done))
        if self.messages is not None and not event.done:
            self.messages(Message("Downloading", self.label, event.current, event.total))

    def _say(self, status: str, current: int | None = None) -> None:
        if self.messages is not None:
            total = self.descriptor.size if current is not None else None
            self.messages(Message(status, self.label, current, total, update=True))


@dataclass
class RemoteImage:
    """One single-platform image of a repository, manifest and config fetched.

    Attributes:
        manifest: the image manifest (its raw bytes and digest).
        config: the exact config bytes (verified against the manifest).
        image: the parsed config.
        layers: one :class:`RemoteLayer` per layer, base first.
    """

    manifest: ImageManifest
    config: bytes
    image: Image
    layers: list[RemoteLayer]

    def source_image(self) -> SourceImage:
        """The image as the store sink takes it."""
        return SourceImage(self.config, self.image, list(self.layers))


def fetch_image(
    repository: Repository,
    manifest: ImageManifest,
    downloads: Downloads,
    *,
    messages: MessageCallback | None = None,
    progress: Callable[[Progress], None] | None = None,
) -> RemoteImage:
    """Read an image's config from its repository and describe its layers.

    Raises:
        RegistryError: the config blob cannot be had.
        InvalidImageConfig: the config is invalid or names another number of layers
            than the manifest has.
    """
    config = repository.read_blob(manifest.config.digest)
    image = Image.from_json(config)
    diff_ids = list(image.rootfs.diff_ids) if image.rootfs is not None else []
    if len(diff_ids) != len(manifest.layers):
        raise InvalidImageConfig(
            f"the config of {manifest.digest} has {len(diff_ids)} layers, "
            f"its manifest {len(manifest.layers)}"
        )
    layers = [
        RemoteLayer(repository, desc, diff, downloads, messages, progress)
        for desc, diff in zip(manifest.layers, diff_ids, strict=True)
    ]
    return RemoteImage(manifest, config, image, layers)

