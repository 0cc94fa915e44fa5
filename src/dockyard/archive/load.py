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

from dockyard.archive.contents import ArchiveContents, MemberData, is_seekable, scan_archive
from dockyard.archive.legacy import plan_legacy
from dockyard.archive.plan import PlannedImage, plan_manifest, plan_oci, validate_parents
from dockyard.archive.tarpath import resolve_in_archive
from dockyard.compression import Compression, detect, open_decompressed
from dockyard.errors import (
    ConflictError,
    DockyardError,
    InvalidArchive,
    InvalidArgumentError,
    InvalidReference,
    NotFoundError,
    StorageError,
)
from dockyard.layer import child_chain_id
from dockyard.platforms import host_platform, parse_platform
from dockyard.progress import Progress, ProgressCallback, emit

if TYPE_CHECKING:
    from dockyard.client import Client
    from dockyard.digest import ChainID, DiffID, ImageID
    from dockyard.layer import Layer, StagedLayer

__all__ = ["LoadResult", "LoadedImage", "load"]


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
) -> LoadResult:
    """Load every image of a ``docker save`` archive or an OCI layout archive.

    Args:
        client: the store to load into.
        source: a path, or any binary stream (stdin included); gzip, bzip2, xz and zstd
            compressed input is recognised by its first bytes.
        platform: ``os/arch[/variant]`` to choose in OCI indexes and to filter images by;
            default: this machine's platform for indexes, no filter otherwise.
        progress: called with per-layer progress.

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
        with client.lock.exclusive():
            loader = _Loader(client, progress)
            try:
                result = loader.run(stream, wanted)
            finally:
                loader.discard_staged()
            result.compression = kind
            return result
    raise AssertionError("unreachable")  # pragma: no cover


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


class _Loader:
    """The state of one load: staged layers, references taken, images created."""

    def __init__(self, client: Client, progress: ProgressCallback | None) -> None:
        self.client = client
        self.layers = client.layer_store
        self.progress = progress
        self.contents = ArchiveContents()
        self.loaded = 0
        self.done_bytes = 0
        self.total_bytes: int | None = None

    def run(self, stream: Any, wanted: Any) -> LoadResult:
        scan_archive(stream, self.contents, stage=self._stage_stream, progress=self.progress)
        result = LoadResult()
        links: list[tuple[ImageID, ImageID]] = []
        if self.contents.has("manifest.json"):
            planned = plan_manifest(self.contents, wanted)
            links = validate_parents(planned)
        elif self.contents.has("index.json"):
            planned = plan_oci(self.contents, wanted or host_platform())
            result.layout = "oci"
        else:
            planned, links = plan_legacy(self.contents, self._diff_id_of)
            result.layout = "legacy"
        self._check_members(planned)
        self._create(planned)
        self._tag(planned, result)
        for child, parent in links:
            self.client.image_store.set_parent(child, parent)
        result.layers_loaded = self.loaded
        return result

    # -- layers ----------------------------------------------------------------------

    def _stage_stream(self, stream: IO[bytes], report: Any) -> StagedLayer:
        return self.layers.stage(stream, progress=report)

    def _member(self, path: str) -> MemberData:
        member = self.contents.resolve(path)
        if member is None:
            resolved = resolve_in_archive(path, self.contents.links)
            shown = path if resolved == path.lstrip("/") else f"/{resolved}"
            raise InvalidArchive(f"open {shown}: no such file or directory")
        return member

    def _staged(self, path: str, diff_hint: DiffID | None = None) -> StagedLayer:
        member = self._member(path)
        if member.staged is not None:
            return member.staged
        if member.error is not None:
            raise member.error
        item = (diff_hint.hex if diff_hint else path.split("/")[0])[:12]

        base = self.done_bytes

        def report(done: int) -> None:
            self._report(item, done, member.size, base + done)

        with self.contents.open(member) as stream:
            staged = self.layers.stage(stream, progress=report)
        self.done_bytes = base + member.size
        self._report(item, member.size, member.size, self.done_bytes, done=True)
        member.staged = staged
        self.contents.staged.append(staged)
        return staged

    def _report(
        self, item: str, current: int, total: int, overall: int, done: bool = False
    ) -> None:
        event = Progress("Loading layer", item, current, total, overall, self.total_bytes, done)
        emit(self.progress, event)

    def _diff_id_of(self, path: str) -> DiffID:
        return self._staged(path).diff_id

    def _check_members(self, planned: list[PlannedImage]) -> None:
        """Every layer the store lacks must be in the archive (before anything is written).

        Also totals the bytes still to be read, for the overall progress.
        """
        pending: dict[int, int] = {}
        for entry in planned:
            parent: ChainID | None = None
            for index, diff in enumerate(entry.diff_ids):
                parent = child_chain_id(parent, diff)
                if parent not in self.layers:
                    member = self._member(entry.layers[index])
                    if member.staged is None:
                        pending[id(member)] = member.size
        self.total_bytes = sum(pending.values()) or None

    def discard_staged(self) -> None:
        for staged in self.contents.staged:
            with contextlib.suppress(DockyardError, OSError):
                self.layers.discard(staged)

    # -- images ----------------------------------------------------------------------

    def _create(self, planned: list[PlannedImage]) -> None:
        handles: list[Layer] = []
        created: list[ImageID] = []
        try:
            for entry in planned:
                handles.extend(self._layers_of(entry))
                existed = entry.id in self.client.image_store
                image_id = self.client.image_store.create(entry.config)
                if not existed:
                    created.append(image_id)
        except BaseException:
            for image_id in reversed(created):
                with contextlib.suppress(DockyardError):
                    self.client.image_store.delete(image_id)
            raise
        finally:
            for handle in reversed(handles):
                with contextlib.suppress(DockyardError):
                    self.layers.release(handle)

    def _layers_of(self, entry: PlannedImage) -> list[Layer]:
        handles: list[Layer] = []
        parent: ChainID | None = None
        try:
            for index, diff in enumerate(entry.diff_ids):
                chain = child_chain_id(parent, diff)
                if chain in self.layers:
                    handles.append(self.layers.get(chain))
                else:
                    staged = self._staged(entry.layers[index], diff)
                    if staged.diff_id != diff:
                        raise InvalidArchive(
                            f'invalid diffID for layer {index}: expected "{diff}", '
                            f'got "{staged.diff_id}"'
                        )
                    handles.append(self.layers.commit(staged, parent))
                    self.loaded += 1
                parent = chain
        except BaseException:
            for handle in reversed(handles):
                with contextlib.suppress(DockyardError):
                    self.layers.release(handle)
            raise
        return handles

    def _tag(self, planned: list[PlannedImage], result: LoadResult) -> None:
        refs = self.client.reference_store
        printed = 0
        for entry in planned:
            printed = 0
            names: list[str] = []
            for ref in entry.tags:
                familiar = ref.familiar_string()
                with contextlib.suppress(DockyardError):
                    old = refs.get(ref)
                    if old != entry.id:
                        result.lines.append(
                            f"The image {familiar} already exists, renaming the old one with "
                            f"ID {old} to empty string"
                        )
                # Docker ignores tagging errors here and still reports the tag.
                with contextlib.suppress(InvalidReference, ConflictError, StorageError):
                    refs.add_tag(ref, entry.id, force=True)
                if result.layout != "legacy":
                    result.lines.append(f"Loaded image: {familiar}")
                names.append(familiar)
                printed += 1
            result.images.append(_loaded(entry, names))
        if printed == 0 and result.layout != "legacy":
            result.lines.extend(f"Loaded image ID: {e.id}" for e in planned)


def _loaded(entry: PlannedImage, names: list[str]) -> LoadedImage:
    return LoadedImage(entry.id, tuple(names))


def load_bytes(client: Client, data: bytes, **options: Any) -> LoadResult:
    """Load an archive held in memory (small archives, tests)."""
    return load(client, io.BytesIO(data), **options)
