"""``docker load``: read an image archive in one pass and add its images to a store.

Better than Docker: nothing is extracted to a temporary directory, memory stays bounded,
layers already in the store are not read at all when the input is a seekable file, and a
load that fails leaves the store exactly as it was.
"""

from __future__ import annotations

import contextlib
import io
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from dockyard.archive.contents import ArchiveContents, is_seekable, scan_archive
from dockyard.archive.legacy import plan_legacy
from dockyard.archive.plan import plan_manifest, plan_oci, validate_parents
from dockyard.archive.source import LayerFactory
from dockyard.compression import Compression, detect, open_decompressed
from dockyard.errors import (
    ConflictError,
    InvalidArgumentError,
    InvalidReference,
    NotFoundError,
    StorageError,
)
from dockyard.platforms import host_platform, parse_platform
from dockyard.transfer import SourceImage, StoreSink

if TYPE_CHECKING:
    from collections.abc import Iterator

    from dockyard.client import Client
    from dockyard.digest import DiffID, ImageID
    from dockyard.layer import StagedLayer
    from dockyard.progress import ProgressCallback
    from dockyard.store.staging import Stager, StagingArea
    from dockyard.store.txn import Transaction
    from dockyard.transfer import SourceLayer

__all__ = ["LoadResult", "LoadedImage", "archive_images", "load"]


@dataclass(frozen=True, slots=True)
class LoadedImage:
    """One image a load added (or found already present)."""

    id: ImageID
    tags: tuple[str, ...]


@dataclass(slots=True)
class LoadResult:
    """What a load did, and what Docker would have printed about it.

    Attributes:
        images: the images of the archive, in archive order.
        lines: Docker's output lines (``Loaded image: …``, ``Loaded image ID: …`` and
            the rename notices), without newlines.
        layout: ``docker`` (manifest.json), ``oci`` (OCI layout) or ``legacy``.
        compression: the compression of the outer archive.
        layers_loaded: how many layers were read and stored (0 on a warm load).
    """

    images: list[LoadedImage] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)
    layout: str = "docker"
    compression: Compression = Compression.NONE
    layers_loaded: int = 0

    @property
    def output(self) -> str:
        """The lines as Docker prints them."""
        return "".join(f"{line}\n" for line in self.lines)


def load(
    client: Client,
    source: IO[bytes] | str | os.PathLike[str] | Any,
    *,
    platform: str | None = None,
    progress: ProgressCallback | None = None,
    apply_tags: bool = True,
) -> LoadResult:
    """Load every image of a ``docker save`` archive or an OCI layout archive.

    Args:
        client: the store to load into.
        source: a path, or any binary stream (stdin included); gzip, bzip2, xz and zstd
            compressed input is recognised by its first bytes.
        platform: ``os/arch[/variant]`` to choose in OCI indexes and to filter images by;
            default: this machine's platform for indexes, no filter otherwise.
        progress: called with per-layer progress.
        apply_tags: tag the images as the archive says (False: add them untagged; the
            result still lists the archive's tags, e.g. for ``copy`` to rename them).

    Returns:
        The loaded images and Docker's output lines.

    Raises:
        InvalidArchive: the archive is malformed, truncated or unsafe.
        InvalidImageConfig: an image config is invalid.
        UnsupportedOS: an image is for another operating system.
        InvalidReference: a tag in the archive is not a valid reference.
    """
    wanted = parse_platform(platform) if platform else None
    with contextlib.ExitStack() as stack:
        if isinstance(source, (str, os.PathLike)):
            stream: Any = stack.enter_context(_open_path(Path(source)))
        else:
            stream = source
        stream, kind = _uncompressed(stream, stack)
        staging = stack.enter_context(client.staging())
        result = _Loader(client, staging, progress, apply_tags).run(stream, wanted)
        result.compression = kind
        return result
    raise AssertionError("unreachable")  # pragma: no cover


@contextlib.contextmanager
def archive_images(
    source: IO[bytes] | str | os.PathLike[str] | Any,
    staging: Stager,
    *,
    platform: str | None = None,
    progress: ProgressCallback | None = None,
) -> Iterator[list[SourceImage]]:
    """An archive as an image source: its images, readable while the block runs.

    The archive is scanned once (layers read from a pipe are staged on the way; those of
    a file are read when a sink asks for them), exactly as :func:`load` reads it.

    Raises:
        InvalidArchive: the archive is malformed, truncated or unsafe.
    """
    wanted = parse_platform(platform) if platform else None
    with contextlib.ExitStack() as stack:
        if isinstance(source, (str, os.PathLike)):
            stream: Any = stack.enter_context(_open_path(Path(source)))
        else:
            stream = source
        stream, _kind = _uncompressed(stream, stack)
        images, _links, _layout = _Scanner(staging, progress).plan(stream, wanted)
        yield images


def _open_path(path: Path) -> IO[bytes]:
    """Open an archive file, with Docker's wording when that fails."""
    try:
        return path.open("rb")
    except FileNotFoundError:
        raise NotFoundError(f"open {path}: no such file or directory") from None
    except IsADirectoryError:
        raise InvalidArgumentError(f"read {path}: is a directory") from None
    except OSError as exc:
        raise StorageError(f"open {path}: {exc.strerror or exc}") from exc


def _uncompressed(stream: Any, stack: contextlib.ExitStack) -> tuple[Any, Compression]:
    """The archive as an uncompressed stream; seekable input stays seekable if uncompressed."""
    if is_seekable(stream):
        start = stream.tell()
        head = stream.read(10)
        stream.seek(start)
        if detect(head) is Compression.NONE:
            return stream, Compression.NONE
    reader, kind = open_decompressed(stream)
    stack.callback(reader.close)
    return reader, kind


class _Scanner:
    """The archive as an image source: scanned once, layers staged or read on demand."""

    def __init__(self, staging: Stager, progress: ProgressCallback | None) -> None:
        self.staging = staging
        self.progress = progress
        self.contents = ArchiveContents()
        self.layer_for = LayerFactory(self.contents, progress)

    def plan(
        self, stream: Any, wanted: Any
    ) -> tuple[list[SourceImage], list[tuple[ImageID, ImageID]], str]:
        """Scan the archive: its images (as a source offers them), parent links, layout."""
        scan_archive(stream, self.contents, stage=self._stage_stream, progress=self.progress)
        if self.contents.has("manifest.json"):
            images = plan_manifest(self.contents, wanted, self.layer_for)
            return images, validate_parents(images), "docker"
        if self.contents.has("index.json"):
            images = plan_oci(self.contents, wanted or host_platform(), self.layer_for)
            return images, [], "oci"
        images, links = plan_legacy(self.contents, self.layer_for, self._diff_id_of)
        return images, links, "legacy"

    def _stage_stream(self, stream: IO[bytes], report: Any) -> StagedLayer:
        return self.staging.stage(stream, progress=report)

    def _diff_id_of(self, layer: SourceLayer) -> DiffID:
        return layer.stage(self.staging).diff_id


class _Loader(_Scanner):
    """One load: the scanned archive as an image source, the store as the sink."""

    def __init__(
        self,
        client: Client,
        staging: StagingArea,
        progress: ProgressCallback | None,
        apply_tags: bool = True,
    ) -> None:
        super().__init__(staging, progress)
        self.apply_tags = apply_tags
        self.client = client
        self.sink = StoreSink(client, staging)

    def run(self, stream: Any, wanted: Any) -> LoadResult:
        result = LoadResult()
        images, links, result.layout = self.plan(stream, wanted)
        missing = self.sink.missing(images)
        self.layer_for.total = sum(layer.size or 0 for layer in missing) or None
        self.sink.stage(missing)
        with self.client.transaction() as tx:
            self.sink.put(tx, images)
            self._tag(tx, images, result)
            self.sink.link(tx, links)
        result.layers_loaded = self.sink.layers_added
        return result

    def _tag(self, tx: Transaction, images: list[SourceImage], result: LoadResult) -> None:
        """Tag as Docker's load does, collecting its output lines (§7.7 of the spec)."""
        printed = 0
        for entry in images:
            printed = 0
            names: list[str] = []
            for ref in entry.tags:
                familiar = ref.familiar_string()
                try:
                    old = self.sink.tag(tx, ref, entry.id) if self.apply_tags else None
                except (InvalidReference, ConflictError):
                    old = None  # Docker ignores tagging errors here and still reports the tag
                if old is not None:
                    result.lines.append(
                        f"The image {familiar} already exists, renaming the old one with "
                        f"ID {old} to empty string"
                    )
                if result.layout != "legacy":
                    result.lines.append(f"Loaded image: {familiar}")
                names.append(familiar)
                printed += 1
            result.images.append(_loaded(entry, names))
        if printed == 0 and result.layout != "legacy":
            result.lines.extend(f"Loaded image ID: {e.id}" for e in images)


def _loaded(entry: SourceImage, names: list[str]) -> LoadedImage:
    return LoadedImage(entry.id, tuple(names))


def load_bytes(client: Client, data: bytes, **options: Any) -> LoadResult:
    """Load an archive held in memory (small archives, tests)."""
    return load(client, io.BytesIO(data), **options)
