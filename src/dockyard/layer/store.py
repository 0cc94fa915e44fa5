"""The layer store: register, reference-count and delete read-only layers (moby ``layer``)."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, BinaryIO

from dockyard._atomic import remove_tree
from dockyard._lock import StoreLock
from dockyard.digest import ChainID, DiffID, Digest, sha256_bytes
from dockyard.errors import LayerNotFound, LayerNotRetained, MaxDepthExceeded, StorageError
from dockyard.layer.filestore import FSLayerDB, RawLayer
from dockyard.layer.ingest import ingest
from dockyard.layer.model import (
    Layer,
    LayerInfo,
    LayerMetadata,
    LayerProblem,
    LayerRecord,
    StagedLayer,
    open_payload,
    verify_payload,
)
from dockyard.layer.records import link_records

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

__all__ = ["MAX_LAYER_DEPTH", "LayerStore", "child_chain_id"]

#: A parent of this depth cannot get a child (moby ``maxLayerDepth``).
MAX_LAYER_DEPTH = 125


class LayerStore:
    """Read-only layers keyed by chain ID, stored in Docker's ``layerdb`` layout.

    Opening the store loads every layer on disk. Layers that cannot be loaded are
    skipped and listed in :attr:`problems`. Every layer holds one reference on its
    parent; every handle returned by :meth:`get` or :meth:`register` holds one on its
    layer; a layer whose count drops to zero through :meth:`release` is deleted.

    Args:
        layerdb: the layer database directory (e.g. ``<root>/image/dockyard/layerdb``).
        data: the directory holding each layer's ``<cache-id>/layer.tar``.
        lock: the store-wide writer lock; by default one on ``layerdb``'s parent, whose
            staleness callback reloads this store. A caller that passes its own lock
            is responsible for calling :meth:`reload` when the lock reports changes.

    Raises:
        StorageError: the directories cannot be created or read.
    """

    def __init__(self, layerdb: Path, data: Path, lock: StoreLock | None = None) -> None:
        self._db = FSLayerDB(Path(layerdb), Path(data))
        self._own_lock = lock is None
        self._lock = lock if lock is not None else StoreLock(Path(layerdb).parent)
        self._mutex = threading.RLock()
        self._layers: dict[ChainID, LayerRecord] = {}
        self.problems: list[LayerProblem] = []
        with self._lock.exclusive():
            self._db.ensure_layout()
        self.reload()
        if self._own_lock:
            self._lock.set_refresh(self.reload)

    @property
    def lock(self) -> StoreLock:
        """The writer lock this store uses."""
        return self._lock

    # --- loading ------------------------------------------------------------------------

    def reload(self) -> None:
        """Re-read the layers on disk after another process changed them.

        Layers that still exist keep their objects and outstanding handles; vanished
        layers are dropped (their handles release to nothing); new layers appear.
        Child references are recomputed. :attr:`problems` is replaced.
        """
        raws, problems = self._db.scan()
        with self._mutex:
            self._layers = link_records(raws, self._layers, self._db, problems)
            self.problems = problems

    def _refresh(self) -> None:
        if self._own_lock:
            self._lock.refresh_if_stale()

    # --- queries ------------------------------------------------------------------------

    def __contains__(self, chain: object) -> bool:
        self._refresh()
        with self._mutex:
            return chain in self._layers

    def __len__(self) -> int:
        self._refresh()
        with self._mutex:
            return len(self._layers)

    def map(self) -> dict[ChainID, LayerInfo]:
        """All layers with their reference counts."""
        self._refresh()
        with self._mutex:
            return {chain: record.info() for chain, record in self._layers.items()}

    def _record(self, chain: ChainID) -> LayerRecord:
        with self._mutex:
            record = self._layers.get(chain)
        if record is None:
            raise LayerNotFound(str(chain))
        return record

    def payload_path(self, chain: ChainID) -> Path:
        """Path of a layer's stored tar stream.

        Raises:
            LayerNotFound: no such layer.
        """
        self._refresh()
        return self._record(chain).payload

    def payload_size(self, chain: ChainID) -> int:
        """Byte length of a layer's stored tar stream.

        Raises:
            LayerNotFound: no such layer, or its payload is gone.
        """
        self._refresh()
        return Layer(self._record(chain)).payload_size()

    def tar_stream(self, chain: ChainID) -> BinaryIO:
        """Open a layer's tar stream, verified against its DiffID at EOF.

        Raises:
            LayerNotFound: no such layer.
            LayerVerificationError: at EOF, when the stored bytes were modified.
        """
        self._refresh()
        record = self._record(chain)
        return open_payload(record.payload, record.diff_id, record.chain_id)

    # --- references ---------------------------------------------------------------------

    def get(self, chain: ChainID) -> Layer:
        """Return a new handle to a layer (one more reference).

        Raises:
            LayerNotFound: ``layer does not exist``.
        """
        self._refresh()
        with self._mutex:
            return self._new_handle(self._record(chain))

    def _new_handle(self, record: LayerRecord) -> Layer:
        handle = Layer(record)
        record.handles.add(handle)
        record.ref_count += 1
        return handle

    def _take_handle(self, handle: Layer) -> LayerRecord | None:
        """Unregister a handle; None when its chain is no longer in the store."""
        record = handle._record
        current = self._layers.get(record.chain_id)
        if current is None:
            return None
        if current is not record or handle not in record.handles:
            raise LayerNotRetained(str(record.chain_id))
        record.handles.discard(handle)
        return record

    def release(self, layer: Layer) -> list[LayerMetadata]:
        """Give back a handle; delete every layer whose count drops to zero.

        Returns:
            Metadata of the deleted layers, top layer first ([] when the handle's
            layer is no longer in the store).

        Raises:
            LayerNotRetained: the handle was already released or never handed out.
            StorageError: a layer directory cannot be removed.
        """
        with self._lock.exclusive(), self._mutex:
            record = self._take_handle(layer)
            if record is None:
                return []
            deleted = self._release_record(record)
            if deleted:
                self._lock.mark_changed()
            return deleted

    def _release_record(self, record: LayerRecord | None) -> list[LayerMetadata]:
        deleted: list[LayerMetadata] = []
        while record is not None:
            record.ref_count -= 1
            if record.ref_count < 0:
                raise AssertionError(f"layer {record.chain_id} reference count below zero")
            if record.ref_count > 0:
                break
            metadata = record.metadata()
            del self._layers[record.chain_id]
            self._db.delete_layer(record.chain_id, record.cache_id)
            deleted.append(metadata)
            record = record.parent
        return deleted

    def forget(self, layer: Layer) -> None:
        """Drop a handle without deleting anything, even when the count reaches zero.

        Unknown or already released handles are ignored.
        """
        with self._mutex:
            record = layer._record
            if self._layers.get(record.chain_id) is record and layer in record.handles:
                record.handles.discard(layer)
                record.ref_count -= 1

    # --- registration -------------------------------------------------------------------

    def register(
        self,
        stream: IO[bytes] | Any,
        parent: ChainID | None = None,
        *,
        progress: Callable[[int], None] | None = None,
    ) -> Layer:
        """Store a layer tar stream on top of ``parent`` and return a handle to it.

        The stream may be gzip, bzip2, xz or zstd compressed (sniffed). It is read
        once, in bounded memory. Registering a chain that already exists returns a
        new reference to the existing layer. This is :meth:`stage` plus :meth:`commit`.

        Args:
            stream: the layer tar.
            parent: chain ID of the parent layer, None for a base layer.
            progress: called with the number of input bytes consumed so far.

        Raises:
            LayerNotFound: the parent does not exist.
            MaxDepthExceeded: the parent already has the maximum depth (125).
            InvalidLayer: the stream is not a valid tar or repeats a path.
            CompressionError: the compressed data is corrupt or truncated.
            StorageError: the store cannot be written.
        """
        with self._lock.exclusive():
            if parent is not None:
                self._record(parent)
            staged = self.stage(stream, progress=progress)
            try:
                return self.commit(staged, parent)
            finally:
                self.discard(staged)

    def stage(
        self, stream: IO[bytes] | Any, *, progress: Callable[[int], None] | None = None
    ) -> StagedLayer:
        """Stream a layer into the store's data directory without making it a layer yet.

        The DiffID is known afterwards, so a caller that learns the parent chain later
        (a streaming archive load) can :meth:`commit` it then. Hold ``lock.exclusive()``
        from staging to commit or :meth:`discard`: another process that opens the store
        in between may otherwise collect the staged data as a leftover.

        Raises:
            InvalidLayer: the stream is not a valid tar or repeats a path.
            CompressionError: the compressed data is corrupt or truncated.
            StorageError: the data cannot be written.
        """
        with self._lock.exclusive():
            cache_id, payload_dir = self._db.new_payload_dir()
            try:
                result = ingest(stream, self._db.payload_path(cache_id), progress)
            except BaseException:
                remove_tree(payload_dir)
                raise
            r = result
            return StagedLayer(cache_id, payload_dir, r.diff_id, r.size, r.length, r.compression)

    def commit(self, staged: StagedLayer, parent: ChainID | None = None) -> Layer:
        """Make a staged layer the layer ``parent`` + its DiffID; return a handle to it.

        A chain that already exists gets a new reference instead. One staged layer can
        be committed on several parents (its data is hard-linked, not copied).

        Raises:
            LayerNotFound: the parent does not exist.
            MaxDepthExceeded: the parent already has the maximum depth (125).
            StorageError: the store cannot be written.
        """
        with self._lock.exclusive():
            parent_record = self._retain_parent(parent)
            try:
                return self._commit(staged, parent_record)
            except BaseException:
                if parent_record is not None:
                    # Give back the temporary reference without deleting anything: the
                    # store is left exactly as it was before the call.
                    with self._mutex:
                        parent_record.ref_count -= 1
                raise

    def discard(self, staged: StagedLayer) -> None:
        """Remove a staged layer's data unless a commit made it a layer's."""
        if not staged.consumed:
            staged.consumed = True
            remove_tree(staged.payload_dir)

    def _retain_parent(self, parent: ChainID | None) -> LayerRecord | None:
        if parent is None:
            return None
        with self._mutex:
            record = self._record(parent)
            if record.depth >= MAX_LAYER_DEPTH:
                raise MaxDepthExceeded
            record.ref_count += 1
            return record

    def _commit(self, staged: StagedLayer, parent: LayerRecord | None) -> Layer:
        parent_chain = None if parent is None else parent.chain_id
        chain = child_chain_id(parent_chain, staged.diff_id)
        with self._mutex:
            existing = chain in self._layers
        if existing:
            return self._existing(chain, parent)
        cache_id = self._db.adopt_payload(staged)
        raw = RawLayer(chain, staged.diff_id, staged.size, cache_id, parent_chain)
        try:
            committed = self._db.commit_layer(raw)
        except BaseException:
            self._db.drop_adopted(staged, cache_id)
            raise
        if not committed:
            self._db.drop_adopted(staged, cache_id)
            return self._existing(chain, parent)
        with self._mutex:
            payload = self._db.payload_path(cache_id)
            record = LayerRecord(chain, raw.diff_id, parent, raw.diff_size, cache_id, payload)
            self._layers[chain] = record
            handle = self._new_handle(record)
        self._lock.mark_changed()
        return handle

    def _existing(self, chain: ChainID, parent: LayerRecord | None) -> Layer:
        """A new handle to an already stored chain; the parent's extra ref is dropped."""
        with self._mutex:
            if chain not in self._layers:
                # Written by another process we had not seen yet.
                self.reload()
            record = self._layers.get(chain)
            if record is None:
                raise StorageError(f"layer {chain} exists on disk but cannot be loaded")
            handle = self._new_handle(record)
            if parent is not None:
                self._release_record(parent)
            return handle

    # --- maintenance --------------------------------------------------------------------

    def cleanup(self) -> list[Path]:
        """Remove what crashes and interrupted deletes left behind.

        Removes ``tmp/write-set-*`` transactions, ``*-removing`` directories, payload
        directories no layer references and ``.tmp-*`` files. Runs only when the
        writer lock is free right now; otherwise nothing is done.

        Returns:
            The removed paths (empty when the store was busy).
        """
        with self._lock.exclusive(blocking=False) as got:
            if not got:
                return []
            self.reload()
            referenced = self._db.referenced_cache_ids()
            removed = self._db.leftovers(referenced)
            for path in removed:
                remove_tree(path)
            if removed:
                self._lock.mark_changed()
            return removed

    def check(self) -> list[LayerProblem]:
        """Re-hash every layer's payload against its DiffID.

        Returns:
            One problem per layer whose payload is missing or does not match.
        """
        with self._mutex:
            records = list(self._layers.values())
        problems: list[LayerProblem] = []
        for record in records:
            reason = verify_payload(record.payload, record.diff_id)
            if reason is not None:
                problems.append(LayerProblem(record.chain_id.hex, record.payload, reason))
        return problems

    def __iter__(self) -> Iterator[ChainID]:
        return iter(self.map())


def child_chain_id(parent: ChainID | None, diff_id: DiffID) -> ChainID:
    """The chain ID of a layer with DiffID ``diff_id`` on top of ``parent``."""
    if parent is None:
        return ChainID(Digest(diff_id))
    return ChainID(sha256_bytes(f"{parent} {diff_id}".encode("ascii")))
