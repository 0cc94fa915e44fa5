"""moby-shaped views of a store: ``image_store``, ``layer_store`` and ``reference_store``.

They offer the operations of moby's ``image.Store``, ``layer.Store`` and reference store
one at a time: every write is a transaction of its own (or joins the caller's), every read
a snapshot. Commands that do several things use ``client.transaction()`` and
``client.view()`` directly, so that they commit once.
"""

from __future__ import annotations

from typing import IO, TYPE_CHECKING, Any, BinaryIO, NamedTuple

from dockyard.digest import ChainID, Digest, ImageID
from dockyard.errors import ImageNotFound, LayerNotFound, LayerNotRetained, ReferenceNotFound
from dockyard.gojson import GoTime
from dockyard.layer.model import Layer, LayerInfo, LayerMetadata, LayerProblem, open_payload
from dockyard.layer.model import verify_payload as _verify_payload
from dockyard.reference.parse import parse_normalized_named
from dockyard.reference.types import Reference

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from pathlib import Path

    from dockyard.image import Image
    from dockyard.store.records import LayerRow
    from dockyard.store.store import Store
    from dockyard.store.view import View

__all__ = ["Association", "ImageStore", "LayerStore", "ReferenceStore"]


class Association(NamedTuple):
    """A reference and the image ID it points to."""

    ref: Reference
    image_id: ImageID


def _metadata(rows: list[LayerRow]) -> list[LayerMetadata]:
    return [LayerMetadata(r.chain_id, r.diff_id, r.size, r.diff_size) for r in rows]


class LayerStore:
    """Layers by chain ID (moby ``layer.Store``)."""

    def __init__(self, store: Store) -> None:
        self._store = store

    def _handle(self, view: View, chain: ChainID) -> Layer:
        row = view.layer(chain)
        if row is None:
            raise LayerNotFound(str(chain))
        self._store.held[str(chain)] += 1
        return Layer(
            row.chain_id, row.diff_id, row.parent, size=row.size, diff_size=row.diff_size,
            cache_id=row.cache_id, depth=row.depth, payload_path=view.payload(row),
        )  # fmt: skip

    def register(
        self,
        stream: IO[bytes] | Any,
        parent: ChainID | None = None,
        *,
        progress: Callable[[int], None] | None = None,
    ) -> Layer:
        """Store a layer tar stream (any compression) on ``parent``; return a handle.

        Raises:
            LayerNotFound: the parent does not exist.
            MaxDepthExceeded: the parent already has the maximum depth (125).
            InvalidLayer: the stream is not a valid tar or repeats a path.
            CompressionError: the compressed data is corrupt or truncated.
            StorageError: the store cannot be written.
        """
        staging = self._store.staging()
        try:
            staged = staging.stage(stream, progress=progress)
            with self._store.transaction() as tx:
                tx.after(staging.close)
                chain = tx.add_layer(staged, parent).chain_id
        except BaseException:
            staging.close()
            raise
        with self._store.view() as view:
            return self._handle(view, chain)

    def get(self, chain: ChainID | str) -> Layer:
        """A new handle to a layer.

        Raises:
            LayerNotFound: ``layer does not exist``.
        """
        with self._store.view() as view:
            return self._handle(view, ChainID(Digest(chain)))

    def release(self, layer: Layer) -> list[LayerMetadata]:
        """Give back a handle; delete the layer (and unused parents) if nothing uses it.

        Returns:
            The layers deleted, top first ([] when the layer was already gone).

        Raises:
            LayerNotRetained: the handle was already released (or never handed out).
        """
        with self._store.transaction() as tx:
            if tx.view.layer(layer.chain_id) is None:
                self.forget(layer)
                return []  # as moby: a layer no longer in the store releases nothing
            self.forget(layer, strict=True)
            return _metadata(tx.release_layer(layer.chain_id))

    def forget(self, layer: Layer, *, strict: bool = False) -> None:
        """Give back a handle without deleting anything.

        Raises:
            LayerNotRetained: with ``strict``, when the handle was already given back.
        """
        if layer.released:
            if strict:
                raise LayerNotRetained(str(layer.chain_id))
            return
        layer.released = True
        key = str(layer.chain_id)
        if self._store.held[key] > 0:
            self._store.held[key] -= 1
            if self._store.held[key] == 0:
                del self._store.held[key]

    def map(self) -> dict[ChainID, LayerInfo]:
        """Every layer with its reference count (images, child layers, handles)."""
        with self._store.view() as view:
            rows = view.layers()
            counts: dict[str, int] = {}
            for image in view.images():
                if image.chain:
                    counts[image.chain] = counts.get(image.chain, 0) + 1
        for row in rows.values():
            if row.parent:
                counts[row.parent] = counts.get(row.parent, 0) + 1
        held = self._store.held
        out: dict[ChainID, LayerInfo] = {}
        for chain, row in rows.items():
            count = counts.get(chain, 0) + held.get(str(chain), 0)
            out[chain] = LayerInfo(
                row.chain_id, row.diff_id, row.parent, row.size, row.diff_size, row.cache_id,
                row.depth, count,
            )  # fmt: skip
        return out

    def payload_path(self, chain: ChainID | str) -> Path:
        """Path of a layer's stored tar stream.

        Raises:
            LayerNotFound: no such layer.
        """
        with self._store.view() as view:
            row = view.layer(chain)
            if row is None:
                raise LayerNotFound(str(chain))
            return view.payload(row)

    def payload_size(self, chain: ChainID | str) -> int:
        """Byte length of a layer's stored tar stream.

        Raises:
            LayerNotFound: no such layer, or its payload is gone.
        """
        try:
            return self.payload_path(chain).stat().st_size
        except FileNotFoundError:
            raise LayerNotFound(str(chain)) from None

    def tar_stream(self, chain: ChainID | str) -> BinaryIO:
        """A layer's tar stream, verified against its DiffID at EOF.

        Raises:
            LayerNotFound: no such layer.
        """
        with self._store.view() as view:
            row = view.layer(chain)
            if row is None:
                raise LayerNotFound(str(chain))
            return open_payload(view.payload(row), row.diff_id, row.chain_id)

    def check(self) -> list[LayerProblem]:
        """Re-hash every layer's payload; one problem per layer that does not match."""
        with self._store.view() as view:
            rows = [(row, view.payload(row)) for row in view.layers().values()]
        problems = []
        for row, path in rows:
            reason = _verify_payload(path, row.diff_id)
            if reason is not None:
                problems.append(LayerProblem(row.chain_id.hex, path, reason))
        return problems

    def __contains__(self, chain: object) -> bool:
        if not isinstance(chain, str):
            return False
        with self._store.view() as view:
            return view.layer(chain) is not None

    def __len__(self) -> int:
        with self._store.view() as view:
            return len(view.layers())

    def __iter__(self) -> Iterator[ChainID]:
        return iter(self.map())


class ImageStore:
    """Images by ID (moby ``image.Store``)."""

    def __init__(self, store: Store) -> None:
        self._store = store

    def create(self, config: bytes) -> ImageID:
        """Store an image config (its exact bytes); its top layer must exist.

        Raises:
            InvalidImageConfig: the config is invalid or its layer does not exist.
            UnsupportedOS: the image is for another operating system.
        """
        with self._store.transaction() as tx:
            return tx.add_image(config)

    def get(self, image_id: str) -> Image:
        """The image (config verified), with ``parent`` filled in.

        Raises:
            ImageNotFound: no such image.
            DigestMismatch: its config was modified.
        """
        with self._store.view() as view:
            return view.get_image(str(Digest(image_id)))

    def delete(self, image_id: str) -> list[LayerMetadata]:
        """Delete an image; return the layers deleted with it (top first).

        Raises:
            ImageNotFound: no such image.
        """
        with self._store.transaction() as tx:
            return _metadata(tx.delete_image(str(Digest(image_id))))

    def search(self, term: str) -> ImageID:
        """The image whose ID starts with ``term`` (Docker's short-ID rules).

        Raises:
            ImageNotFound: nothing matches.
            AmbiguousID: several images match.
        """
        with self._store.view() as view:
            return view.search(term)

    def set_parent(self, image_id: str, parent: str) -> None:
        """Record ``parent`` as the parent of ``image_id``.

        Raises:
            ImageNotFound: either image is missing.
        """
        with self._store.transaction() as tx:
            tx.set_parent(str(Digest(image_id)), str(Digest(parent)))

    def get_parent(self, image_id: str) -> ImageID:
        """The recorded parent.

        Raises:
            ImageNotFound: no parent is recorded (or no such image).
        """
        with self._store.view() as view:
            row = view.image_any(str(Digest(image_id)))
        if row is None or not row.parent:
            raise ImageNotFound(str(image_id), f"no parent recorded for {image_id}")
        return ImageID(Digest(row.parent))

    def children(self, image_id: str) -> list[ImageID]:
        """The images whose parent is ``image_id``, sorted."""
        with self._store.view() as view:
            return view.children(str(image_id))

    def set_last_updated(self, image_id: str, when: GoTime | None = None) -> None:
        """Record when the image was last tagged (default: now).

        Raises:
            ImageNotFound: no such image.
        """
        with self._store.transaction() as tx:
            tx.set_last_updated(str(Digest(image_id)), when)

    def get_last_updated(self, image_id: str) -> GoTime | None:
        """The last-updated time, or None when never set (or unreadable)."""
        with self._store.view() as view:
            row = view.image_any(str(Digest(image_id)))
        if row is None or not row.last_updated:
            return None
        try:
            return GoTime.parse(row.last_updated)
        except Exception:
            return None

    def layer(self, image_id: str) -> Layer | None:
        """A handle to the image's top layer (None for an image without layers).

        Raises:
            ImageNotFound: no such image.
        """
        with self._store.view() as view:
            row = view.image(str(Digest(image_id)))
            if row is None:
                raise ImageNotFound(str(image_id))
            if row.chain is None:
                return None
            layer = LayerStore(self._store)._handle(view, row.chain)
        LayerStore(self._store).forget(layer)
        return layer

    def ids(self) -> list[ImageID]:
        """Every image ID, sorted."""
        with self._store.view() as view:
            return [row.id for row in view.images()]

    def map(self) -> dict[ImageID, Image]:
        """Every image, read and verified; unreadable ones are left out."""
        out: dict[ImageID, Image] = {}
        with self._store.view() as view:
            for row in view.images():
                try:
                    out[row.id] = view.get_image(row.id)
                except Exception:
                    continue
        return out

    def __contains__(self, image_id: object) -> bool:
        if not isinstance(image_id, str):
            return False
        with self._store.view() as view:
            return view.image(image_id) is not None

    def __len__(self) -> int:
        with self._store.view() as view:
            return view.count()

    def __iter__(self) -> Iterator[ImageID]:
        return iter(self.ids())


class ReferenceStore:
    """Tags and digest references (moby's reference store over ``repositories.json``)."""

    def __init__(self, store: Store) -> None:
        self._store = store

    @property
    def path(self) -> Path:
        """The ``repositories.json`` file."""
        return self._store.layout.repositories

    def get(self, ref: Reference | str) -> ImageID:
        """The image a tag or digest reference points to.

        Raises:
            ReferenceNotFound: nothing is stored under it.
            InvalidReference: ``ref`` does not parse.
        """
        named = _named(ref)
        with self._store.view() as view:
            found = view.lookup(named)
        if found is None:
            raise ReferenceNotFound(str(named.favor_digest().tag_name_only()))
        return found

    def add_tag(self, ref: Reference | str, image_id: ImageID, force: bool = False) -> None:
        """Point a tag at ``image_id``.

        Raises:
            InvalidReference: ``ref`` has a digest or is named ``sha256``.
            TagConflict: the tag points elsewhere and ``force`` is off.
        """
        with self._store.transaction() as tx:
            tx.add_tag(_named(ref), image_id, force=force)

    def add_digest(self, ref: Reference | str, image_id: ImageID, force: bool = False) -> None:
        """Record a digest reference.

        Raises:
            InvalidReference: ``ref`` has no digest or is named ``sha256``.
            DigestConflict: it points to another image.
        """
        with self._store.transaction() as tx:
            tx.add_digest(_named(ref), image_id, force=force)

    def delete(self, ref: Reference | str) -> bool:
        """Remove a tag or digest reference.

        Raises:
            ReferenceNotFound: nothing is stored under it.
        """
        with self._store.transaction() as tx:
            tx.delete_reference(_named(ref))
        return True

    def references(self, image_id: str) -> list[Reference]:
        """Every reference to ``image_id``, sorted by full name."""
        with self._store.view() as view:
            return view.references(image_id)

    def references_by_name(self, name: Reference | str) -> list[Association]:
        """Every tag and digest of the repository of ``name``, sorted by full name."""
        with self._store.view() as view:
            rows = view.repository(_named(name).familiar_name())
        return [Association(parse_normalized_named(r.full), r.image_id) for r in rows]

    def __iter__(self) -> Iterator[Association]:
        with self._store.view() as view:
            rows = view.all_refs()
        return iter([Association(parse_normalized_named(r.full), r.image_id) for r in rows])

    def __len__(self) -> int:
        with self._store.view() as view:
            return len(view.all_refs())


def _named(ref: Reference | str) -> Reference:
    if isinstance(ref, Reference):
        return ref
    return parse_normalized_named(ref)
