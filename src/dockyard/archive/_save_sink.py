"""Writing a save plan: into a tar stream or into a directory, verifying every layer.

Every layer is checked against its DiffID while it is written (as Docker does with its
tar-split reassembly): a stored layer that was modified raises
:class:`~dockyard.errors.LayerVerificationError` before the archive is finished, so an
archive is never completed with bad layer data. When the sink is a plain uncompressed
file, the payload is copied by the kernel and hashed in a second thread at the same time;
otherwise it is streamed through a verifying reader.
"""

from __future__ import annotations

import functools
import hashlib
import os
import shutil
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO, Protocol

from dockyard.archive._save_layout import Entry, EntryKind
from dockyard.archive.tarwriter import DockerTarWriter, TarStyle, walk_order
from dockyard.digest import ChainID, DiffID, Digest
from dockyard.errors import LayerVerificationError, StorageError
from dockyard.progress import Progress, ProgressCallback, emit

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

    from dockyard.archive._save_layout import Layout
    from dockyard.archive.tarwriter import WritableStream

__all__ = ["DirSink", "LayerCopier", "LayerPayloads", "TarSink", "ordered"]


class LayerPayloads(Protocol):
    """Where a save finds the stored tar stream of each layer."""

    def payload_path(self, chain: ChainID) -> Path:
        """The payload file of a layer."""
        ...

    def tar_stream(self, chain: ChainID) -> BinaryIO:
        """The layer's tar stream, verified against its DiffID at EOF."""
        ...

_CHUNK = 1 << 20
_SAVING = "Saving layer"


def ordered(layout: Layout) -> list[Entry]:
    """The entries in moby's archive order (depth-first, byte-lexical)."""
    by_key = {e.name + ("/" if e.kind is EntryKind.DIR else ""): e for e in layout.entries.values()}
    return [by_key[name] for name in walk_order(by_key)]


def _layer_of(entry: Entry) -> tuple[ChainID, DiffID]:
    if entry.chain_id is None or entry.diff_id is None:
        raise AssertionError(f"save entry {entry.name} is not a stored layer")
    return entry.chain_id, entry.diff_id


def _path_of(entry: Entry) -> Path:
    if entry.path is None:
        raise AssertionError(f"save entry {entry.name} has no prepared file")
    return Path(entry.path)


def _hash_file(path: Path) -> Digest:
    with open(path, "rb") as fileobj:
        return Digest.from_hex(hashlib.file_digest(fileobj, "sha256").hexdigest())


class _ProgressReader:
    """Reports ``Saving layer`` progress while a layer stream is read."""

    def __init__(self, raw: BinaryIO, copier: LayerCopier, item: str, total: int) -> None:
        self._raw = raw
        self._copier = copier
        self._item = item
        self._total = total
        self._done = 0

    def read(self, size: int = -1) -> bytes:
        data = self._raw.read(size)
        if data:
            self._done += len(data)
            self._copier.report(self._item, self._done, self._total, len(data))
        return data

    def close(self) -> None:
        self._raw.close()

    def __enter__(self) -> _ProgressReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class LayerCopier:
    """Copies stored layers out of the store, verified, with progress reports.

    Args:
        layer_store: where the layers are (``payload_path`` and ``tar_stream`` by chain).
        progress: the caller's progress callback, if any.
        overall_total: bytes of all layers of the save, for the overall progress.
    """

    def __init__(
        self, layer_store: LayerPayloads, progress: ProgressCallback | None, overall_total: int
    ) -> None:
        self.layer_store = layer_store
        self._progress = progress
        self._overall_total = overall_total
        self._overall = 0
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="dockyard-save-hash")

    def close(self) -> None:
        """Stop the hashing thread."""
        self._pool.shutdown(wait=True)

    def report(self, item: str, current: int, total: int, delta: int, done: bool = False) -> None:
        """Emit one progress event (``delta`` new bytes of the whole save)."""
        self._overall += delta
        event = Progress(_SAVING, item, current, total, self._overall, self._overall_total, done)
        emit(self._progress, event)

    def open(self, entry: Entry) -> _ProgressReader:
        """A verifying, progress-reporting stream of a ``LAYER`` entry's content.

        Raises:
            LayerNotFound: the layer is gone.
        """
        chain_id, diff_id = _layer_of(entry)
        stream = self.layer_store.tar_stream(chain_id)
        self.report(diff_id.hex[:12], 0, entry.size, 0)
        return _ProgressReader(stream, self, diff_id.hex[:12], entry.size)

    def copy_verified(self, entry: Entry, copy: Callable[[Path], None]) -> None:
        """Run ``copy(payload_path)`` while another thread hashes the same file.

        Raises:
            LayerVerificationError: the payload does not hash to the entry's DiffID.
        """
        chain_id, diff_id = _layer_of(entry)
        path = self.layer_store.payload_path(chain_id)
        item = diff_id.hex[:12]
        self.report(item, 0, entry.size, 0)
        future = self._pool.submit(_hash_file, path)
        try:
            copy(path)
        finally:
            actual = future.result()
        if actual != diff_id:
            raise LayerVerificationError(diff_id, actual)
        self.report(item, entry.size, entry.size, entry.size, done=True)


class TarSink:
    """Writes entries as one Docker-style tar stream.

    Args:
        fileobj: the destination.
        style: the Docker version's header conventions.
        copier: how layers are read.
        direct: True when ``fileobj`` is a plain file the kernel can copy into.
    """

    def __init__(
        self, fileobj: WritableStream, style: TarStyle, copier: LayerCopier, direct: bool
    ) -> None:
        self.writer = DockerTarWriter(fileobj, style)
        self._copier = copier
        self._direct = direct

    def write(self, entries: Iterable[Entry]) -> None:
        """Write every entry, then the end-of-archive marker."""
        w = self.writer
        for e in entries:
            if e.kind is EntryKind.DIR:
                w.add_dir(e.name, e.mtime)
            elif e.kind is EntryKind.BYTES:
                w.add_bytes(e.name, e.data, e.mtime)
            elif e.kind is EntryKind.SYMLINK:
                w.add_symlink(e.name, e.target, e.mtime)
            elif e.kind is EntryKind.FILE:
                w.add_file(e.name, _path_of(e), e.mtime)
            elif self._direct:
                self._copier.copy_verified(e, functools.partial(self._add_file, e))
            else:
                self._stream_layer(e)
        w.close()

    def _add_file(self, e: Entry, path: Path) -> None:
        self.writer.add_file(e.name, path, e.mtime)

    def _stream_layer(self, e: Entry) -> None:
        with self._copier.open(e) as reader:
            self.writer.add_stream(e.name, reader, e.size, e.mtime)
        self._copier.report(_layer_of(e)[1].hex[:12], e.size, e.size, 0, done=True)


class DirSink:
    """Writes entries as files under a directory (an OCI layout directory).

    Args:
        root: the directory to fill (it exists).
        copier: how layers are read.
    """

    def __init__(self, root: Path, copier: LayerCopier) -> None:
        self.root = root
        self._copier = copier
        self.bytes_written = 0

    def write(self, entries: Iterable[Entry]) -> None:
        """Write every entry; directory times are set last, deepest first."""
        dirs: list[Entry] = []
        for e in entries:
            dest = self.root / e.name
            try:
                self._write_one(e, dest)
            except OSError as exc:
                raise StorageError(f"cannot write {dest}: {exc}") from exc
            if e.kind is EntryKind.DIR:
                dirs.append(e)
            elif e.kind is not EntryKind.SYMLINK:
                os.utime(dest, (e.mtime, e.mtime))
        for e in reversed(dirs):
            os.utime(self.root / e.name, (e.mtime, e.mtime))

    def _write_one(self, e: Entry, dest: Path) -> None:
        if e.kind is EntryKind.DIR:
            dest.mkdir(mode=0o755, exist_ok=True)
        elif e.kind is EntryKind.BYTES:
            fd = os.open(dest, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
            with open(fd, "wb") as fileobj:
                fileobj.write(e.data)
            self.bytes_written += len(e.data)
        elif e.kind is EntryKind.SYMLINK:
            os.symlink(e.target, dest)
        elif e.kind is EntryKind.FILE:
            if _path_of(e) != dest:
                shutil.copyfile(_path_of(e), dest)
            self.bytes_written += e.size
        else:
            self._copier.copy_verified(e, lambda src: _copy_file(src, dest))
            self.bytes_written += e.size


def _copy_file(src: Path, dest: Path) -> None:
    shutil.copyfile(src, dest)
    os.chmod(dest, 0o644)
