"""``docker save``: write images of a store as a Docker archive or an OCI image layout.

Four formats (:class:`SaveFormat`):

* ``docker``: the Docker 25+ archive (OCI layout plus ``manifest.json`` with
  ``LayerSources`` and ``repositories``), byte for byte what Docker 28 writes;
* ``docker-legacy``: the Docker 20.10 archive (``<v1id>/layer.tar`` directories),
  byte for byte what Docker 20.10 writes, readable by every Docker version;
* ``oci``: a pure OCI image layout archive (no ``manifest.json``/``repositories``),
  optionally with gzip or zstd compressed layers;
* ``oci-dir``: the same layout written into a directory.

Where Docker is not deterministic, dockyard is (see
:mod:`dockyard.archive._save_layout`): images are written in the order they were first
named, and wall-clock timestamps are replaced by the image's ``created`` time or the
epoch. The v1 layer JSON of lower layers uses the epoch in UTC (Docker uses the host's
time zone). ``index.json`` lists every image, also untagged ones after tagged ones
(Docker 25+ drops those). Saving by ID writes the image untagged, as Docker does.

Outputs to a path are atomic: the archive is written to a temporary file in the same
directory and renamed into place only when complete; it is removed on any failure.
"""

from __future__ import annotations

import contextlib
import enum
import os
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from dockyard._atomic import remove_tree
from dockyard.archive._save_docker import PreparedBlob, docker_layout, oci_layout
from dockyard.archive._save_layout import Entry, EntryKind, ImageInput, Layout
from dockyard.archive._save_legacy import legacy_layout
from dockyard.archive._save_output import CountingWriter, open_output, umask
from dockyard.archive._save_sink import DirSink, LayerCopier, TarSink, ordered
from dockyard.archive.names import SaveItem, resolve_names
from dockyard.archive.tarwriter import TarStyle
from dockyard.compression import Compression, compress_writer
from dockyard.digest import ChainID, DiffID
from dockyard.errors import InvalidArgumentError, StorageError
from dockyard.layer.model import open_payload
from dockyard.oci import MEDIA_TYPE_LAYER_GZIP, MEDIA_TYPE_LAYER_ZSTD, Descriptor
from dockyard.transfer.compress import compress_to_file
from dockyard.transfer.model import LocalLayer, SourceImage
from dockyard.transfer.store_source import local_layers, store_images

if TYPE_CHECKING:
    from dockyard.client import Client
    from dockyard.progress import ProgressCallback

__all__ = [
    "EmptyExport",
    "SaveFormat",
    "SaveItem",
    "SaveResult",
    "resolve_names",
    "save",
    "write_archive",
]

_LAYER_MEDIA_TYPES = {
    Compression.GZIP: MEDIA_TYPE_LAYER_GZIP,
    Compression.ZSTD: MEDIA_TYPE_LAYER_ZSTD,
}
_CHUNK = 1 << 20


class SaveFormat(enum.StrEnum):
    """The layout of a saved archive."""

    DOCKER = "docker"
    DOCKER_LEGACY = "docker-legacy"
    OCI = "oci"
    OCI_DIR = "oci-dir"


class EmptyExport(InvalidArgumentError):
    """An image without layers cannot be saved (Docker's wording)."""

    def __init__(self, image_id: str) -> None:
        self.image_id = image_id
        super().__init__("empty export - not implemented")


@dataclass(frozen=True, slots=True)
class SaveResult:
    """What a save wrote.

    Attributes:
        format: the layout written.
        images: the saved images with their tags, in archive order.
        bytes_written: bytes written to the output (compressed size when compressed;
            for ``oci-dir``, the total size of the files).
    """

    format: SaveFormat
    images: list[SaveItem]
    bytes_written: int


def save(
    client: Client,
    names: Sequence[str],
    output: BinaryIO | str | os.PathLike[str],
    *,
    format: SaveFormat | str = SaveFormat.DOCKER,
    compress: Compression = Compression.NONE,
    level: int | None = None,
    layer_compression: Compression = Compression.NONE,
    platform: str | None = None,
    progress: ProgressCallback | None = None,
) -> SaveResult:
    """Save images (named as for ``docker save``) into an archive or an OCI directory.

    Args:
        client: the store to read.
        names: image names, tags, digests, IDs or ID prefixes (see
            :func:`~dockyard.archive.names.resolve_names`).
        output: a path (written atomically) or a writable binary stream (left open).
            For ``oci-dir``, a directory path that does not exist or is empty.
        format: the layout to write.
        compress: compression of the whole archive (not for ``oci-dir``).
        level: compression level (of the archive and of the layers); None for the
            codec's default.
        layer_compression: ``gzip`` or ``zstd`` to compress each layer blob (``oci``
            and ``oci-dir`` only).
        platform: ``os[/arch[/variant]]`` every image must match.
        progress: called with ``Saving layer`` events (item = 12 hex of the DiffID).

    Returns:
        The saved images and the byte count.

    Raises:
        InvalidArgumentError: an invalid option combination, or no names.
        EmptyExport: an image has no layers (``empty export - not implemented``).
        InvalidReference, ImageNotFound, AmbiguousID, ReferenceNotFound, UnsupportedOS:
            a name cannot be resolved (Docker's messages).
        LayerVerificationError: a stored layer was modified; nothing is left at a path
            output, a stream output is left without its end-of-archive marker.
        StorageError: the output cannot be written.
    """
    fmt = SaveFormat(format)
    _check_options(fmt, output, compress, layer_compression, names)
    with client.view() as view:
        items = resolve_names(view, names, platform=platform)
        images = store_images(view, [item.image_id for item in items])
    locals_ = [local_layers(image) for image in images]
    return write_archive(list(zip(items, images, locals_, strict=True)), output, format=fmt,
                         compress=compress, level=level, layer_compression=layer_compression,
                         progress=progress)  # fmt: skip


def write_archive(
    entries: Sequence[tuple[SaveItem, SourceImage, Sequence[LocalLayer]]],
    output: BinaryIO | str | os.PathLike[str],
    *,
    format: SaveFormat | str = SaveFormat.DOCKER,
    compress: Compression = Compression.NONE,
    level: int | None = None,
    layer_compression: Compression = Compression.NONE,
    progress: ProgressCallback | None = None,
) -> SaveResult:
    """Write images of any source as an archive or an OCI directory (the archive sink).

    Args:
        entries: per image, its name in the archive (ID and tags), the image as a source
            offers it, and its layers as local files (see
            :func:`~dockyard.transfer.model.localize`).
        output: as :func:`save`.
        format: as :func:`save`.
        compress: as :func:`save`.
        level: as :func:`save`.
        layer_compression: as :func:`save`.
        progress: as :func:`save`.

    Raises:
        EmptyExport: an image has no layers.
        LayerVerificationError: a layer file does not match its DiffID.
        StorageError: the output cannot be written.
    """
    fmt = SaveFormat(format)
    ids = [item.image_id for item, *_ in entries]
    _check_options(fmt, output, compress, layer_compression, ids)
    inputs = [_image_input(item, image, layers) for item, image, layers in entries]
    payloads = _Payloads({chain: (local.payload, local.diff_id)
                          for (_item, _image, layers), img in zip(entries, inputs, strict=True)
                          for chain, local in zip(img.chain_ids, layers, strict=True)})  # fmt: skip
    items = [item for item, *_ in entries]
    total = _layer_bytes(inputs)
    copier = LayerCopier(payloads, progress, total)
    try:
        if fmt is SaveFormat.OCI_DIR:
            target = Path(os.fspath(output))  # type: ignore[arg-type]
            written = _save_dir(inputs, target, copier, layer_compression, level)
        else:
            written = _save_archive(
                fmt, inputs, output, copier, compress, layer_compression, level
            )
    finally:
        copier.close()
    return SaveResult(fmt, items, written)


# --- preparation ------------------------------------------------------------------------


def _check_options(
    fmt: SaveFormat,
    output: object,
    compress: Compression,
    layer_compression: Compression,
    names: Sequence[str],
) -> None:
    if isinstance(names, str) or not names:
        raise InvalidArgumentError("docker save requires at least one image name")
    if fmt is SaveFormat.OCI_DIR:
        if compress is not Compression.NONE:
            raise InvalidArgumentError("the oci-dir format cannot be compressed")
        if not isinstance(output, str | os.PathLike):
            raise InvalidArgumentError("the oci-dir format needs a directory path as output")
    if layer_compression is not Compression.NONE:
        if fmt not in (SaveFormat.OCI, SaveFormat.OCI_DIR):
            raise InvalidArgumentError(
                f"layer compression is only supported by the oci formats, not {fmt.value}"
            )
        if layer_compression not in _LAYER_MEDIA_TYPES:
            raise InvalidArgumentError(
                f"layer compression {layer_compression.value} has no OCI media type; "
                "use gzip or zstd"
            )


def _image_input(item: SaveItem, image: SourceImage, layers: Sequence[LocalLayer]) -> ImageInput:
    if not layers:
        raise EmptyExport(item.image_id)
    sizes = tuple(layer.size for layer in layers)
    return ImageInput(item, image.image, image.parent, sizes)


class _Payloads:
    """Where each saved layer's tar stream is, fixed when the save starts."""

    def __init__(self, paths: dict[str, tuple[Path, DiffID]]) -> None:
        self._paths = paths

    def payload_path(self, chain: ChainID) -> Path:
        return self._paths[chain][0]

    def tar_stream(self, chain: ChainID) -> BinaryIO:
        path, diff_id = self._paths[chain]
        return open_payload(path, diff_id, chain)


def _layer_bytes(inputs: list[ImageInput]) -> int:
    sizes: dict[DiffID, int] = {}
    for img in inputs:
        sizes.update(zip(img.diff_ids, img.layer_sizes, strict=True))
    return sum(sizes.values())


def _plan(
    fmt: SaveFormat, inputs: list[ImageInput], prepared: dict[DiffID, PreparedBlob]
) -> Layout:
    if fmt is SaveFormat.DOCKER_LEGACY:
        return legacy_layout(inputs)
    if fmt is SaveFormat.DOCKER:
        return docker_layout(inputs)
    return oci_layout(inputs, prepared)


def _prepare_layers(
    inputs: list[ImageInput],
    copier: LayerCopier,
    kind: Compression,
    level: int | None,
    scratch: Path,
) -> dict[DiffID, PreparedBlob]:
    """Compress every distinct layer into ``scratch/<digest hex>`` (digest known after)."""
    prepared: dict[DiffID, PreparedBlob] = {}
    for img in inputs:
        for index, diff_id in enumerate(img.diff_ids):
            if diff_id in prepared:
                continue
            entry = Entry(
                "",
                EntryKind.LAYER,
                0,
                chain_id=img.chain_ids[index],
                diff_id=diff_id,
                size=img.layer_sizes[index],
            )
            with copier.open(entry) as reader:
                blob = compress_to_file(reader, scratch, kind, level)
            desc = Descriptor(_LAYER_MEDIA_TYPES[kind], blob.digest, blob.size)
            prepared[diff_id] = PreparedBlob(desc, blob.path)
            copier.report(diff_id.hex[:12], entry.size, entry.size, 0, done=True)
    return prepared


# --- archive output ---------------------------------------------------------------------


def _save_archive(
    fmt: SaveFormat,
    inputs: list[ImageInput],
    output: BinaryIO | str | os.PathLike[str],
    copier: LayerCopier,
    compress: Compression,
    layer_compression: Compression,
    level: int | None,
) -> int:
    style = TarStyle.V20_10 if fmt is SaveFormat.DOCKER_LEGACY else TarStyle.V28
    with contextlib.ExitStack() as stack:
        prepared: dict[DiffID, PreparedBlob] = {}
        if layer_compression is not Compression.NONE:
            temp = tempfile.TemporaryDirectory(prefix="dockyard-save-")
            scratch = Path(stack.enter_context(temp))
            prepared = _prepare_layers(inputs, copier, layer_compression, level, scratch)
        entries = ordered(_plan(fmt, inputs, prepared))
        fileobj, is_file = stack.enter_context(open_output(output))
        if compress is Compression.NONE:
            sink = TarSink(fileobj, style, copier, direct=is_file)
            sink.write(entries)
            fileobj.flush()
            return sink.writer.bytes_written
        counter = CountingWriter(fileobj)
        with compress_writer(counter, compress, level) as compressed:
            TarSink(compressed, style, copier, direct=False).write(entries)
        fileobj.flush()
        return counter.count
    raise AssertionError("unreachable")  # pragma: no cover


# --- directory output -------------------------------------------------------------------


def _save_dir(
    inputs: list[ImageInput],
    target: Path,
    copier: LayerCopier,
    layer_compression: Compression,
    level: int | None,
) -> int:
    if target.is_symlink() or (target.exists() and not target.is_dir()):
        raise InvalidArgumentError(f"{target}: exists and is not a directory")
    if target.is_dir() and any(target.iterdir()):
        raise InvalidArgumentError(f"{target}: directory is not empty")
    try:
        build = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent))
    except OSError as exc:
        raise StorageError(f"cannot create {target}: {exc.strerror}") from exc
    try:
        blobs = build / "blobs" / "sha256"
        blobs.mkdir(parents=True, mode=0o755)
        prepared: dict[DiffID, PreparedBlob] = {}
        if layer_compression is not Compression.NONE:
            prepared = _prepare_layers(inputs, copier, layer_compression, level, blobs)
        sink = DirSink(build, copier)
        sink.write(ordered(oci_layout(inputs, prepared)))
        os.chmod(build, 0o777 & ~umask())
        try:
            os.rename(build, target)
        except OSError as exc:
            raise StorageError(f"cannot create {target}: {exc.strerror}") from exc
    except BaseException:
        remove_tree(build)
        raise
    return sink.bytes_written
