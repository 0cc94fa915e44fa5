"""The image store: configs by ID, layer references, parents and children (moby ``image.Store``).

It depends only on a :class:`~dockyard.content.StoreBackend` for bytes and a
:class:`LayerGetReleaser` for layer references, both declared here by their consumer.
"""

from __future__ import annotations

import contextlib
import threading
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from dockyard.digest import ChainID, Digest, ImageID
from dockyard.errors import (
    DockyardError,
    ImageNotFound,
    IntegrityError,
    InvalidImageConfig,
    LayerNotFound,
    NotFoundError,
)
from dockyard.gojson import GoTime
from dockyard.image import Image, check_os
from dockyard.image.digestset import DigestSet

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from dockyard._lock import StoreLock
    from dockyard.content import StoreBackend
    from dockyard.layer import Layer, LayerMetadata

__all__ = ["ImageStore", "LayerGetReleaser", "RestoreProblem"]

KEY_PARENT = "parent"
KEY_LAST_UPDATED = "lastUpdated"
KEY_BUILT_LOCALLY = "builtLocally"


class LayerGetReleaser(Protocol):
    """The part of the layer store the image store needs."""

    def get(self, chain_id: ChainID) -> Layer:
        """Take a reference on a layer."""
        ...

    def release(self, layer: Layer) -> list[LayerMetadata]:
        """Drop a reference; return the layers that were deleted."""
        ...

    def forget(self, layer: Layer) -> None:
        """Drop a reference without deleting anything."""
        ...


@dataclass(frozen=True, slots=True)
class RestoreProblem:
    """An image that could not be restored when the store was opened."""

    image_id: ImageID
    reason: str


@dataclass(slots=True)
class _Entry:
    layer: Layer | None
    children: set[ImageID] = field(default_factory=set)


class ImageStore:
    """Images by ID with their layer references, parent links and prefix search."""

    def __init__(
        self,
        backend: StoreBackend,
        layers: LayerGetReleaser | None,
        lock: StoreLock | None = None,
    ) -> None:
        """Wire the store and restore its state from ``backend``.

        Problems found while restoring are in :attr:`problems`.
        """
        self._backend = backend
        self._layers = layers
        self._lock = lock
        self._mutex = threading.RLock()
        self._images: dict[ImageID, _Entry] = {}
        self._ids = DigestSet()
        self.problems: list[RestoreProblem] = []
        self.restore()

    # -- restore ---------------------------------------------------------------------

    def restore(self, reload_layers: Callable[[], object] | None = None) -> list[RestoreProblem]:
        """(Re)build the in-memory view from the backend; report images that were skipped.

        Images whose config cannot be read or verified, whose OS is not supported or whose
        layer is missing are skipped (their files stay) and reported.

        Args:
            reload_layers: called after this store dropped its layer references and before
                it takes them again, so that the layer store can re-read its state.
        """
        with self._mutex:
            if self._layers is not None:
                for entry in self._images.values():
                    if entry.layer is not None:
                        self._layers.forget(entry.layer)
            self._images = {}
            if reload_layers is not None:
                reload_layers()
            problems: list[RestoreProblem] = []
            for dgst in self._backend.walk():
                image_id = ImageID(dgst)
                try:
                    img = Image.from_json(self._backend.get(dgst))
                    layer = self._take_layer(img)
                except DockyardError as exc:
                    problems.append(RestoreProblem(image_id, str(exc)))
                    continue
                self._images[image_id] = _Entry(layer)
            for image_id in self._images:
                parent = self._read_parent(image_id)
                if parent is not None and parent in self._images:
                    self._images[parent].children.add(image_id)
            self._ids = DigestSet(self._images)
            self.problems = problems
            return problems

    def _take_layer(self, img: Image) -> Layer | None:
        chain = img.rootfs.chain_id() if img.rootfs is not None else None
        if not chain:
            return None
        check_os(img.operating_system())
        if self._layers is None:
            raise LayerNotFound(chain)
        return self._layers.get(ChainID(chain))

    # -- create / get / delete -------------------------------------------------------

    def create(self, config: bytes) -> ImageID:
        """Store an image config (the exact bytes) and take a reference on its top layer.

        Idempotent: creating the same bytes again returns the same ID. Unlike Docker, a
        config whose layer is missing leaves nothing behind.

        Raises:
            InvalidImageConfig: the config is not valid, its history lists more non-empty
                layers than it has, or its layer is not in the layer store.
            UnsupportedOS: the image is for another operating system.
        """
        img = Image.from_json(config)
        diff_ids = img.rootfs.diff_ids if img.rootfs is not None else []
        non_empty = sum(1 for h in img.history or [] if not h.empty_layer)
        if non_empty > len(diff_ids):
            raise InvalidImageConfig("too many non-empty layers in History section")
        with self._write():
            known = ImageID(Digest(img.id))
            if known in self._images:
                self._backend.set(config)
                return known
            try:
                layer = self._take_layer(img)
            except LayerNotFound:
                chain = img.rootfs.chain_id() if img.rootfs is not None else ""
                raise InvalidImageConfig(
                    f"failed to get layer {chain}: layer does not exist"
                ) from None
            try:
                image_id = ImageID(self._backend.set(config))
            except BaseException:
                if layer is not None and self._layers is not None:
                    self._layers.forget(layer)
                raise
            self._images[image_id] = _Entry(layer)
            self._ids.add(image_id)
            return image_id

    def get(self, image_id: str) -> Image:
        """Read an image (verified) with its ``parent`` filled in from metadata.

        Raises:
            ImageNotFound: no config is stored under ``image_id``.
            IntegrityError: the stored config does not match its ID.
            InvalidImageConfig: the stored config cannot be parsed.
        """
        image_id = ImageID(Digest(image_id))
        try:
            raw = self._backend.get(image_id)
        except NotFoundError as exc:
            raise ImageNotFound(image_id, str(exc)) from None
        img = Image.from_json(raw)
        img.parent = self._read_parent(image_id)
        return img

    def delete(self, image_id: str) -> list[LayerMetadata]:
        """Delete an image; children lose their parent link; return the released layers.

        Raises:
            ImageNotFound: the image is not in the store or cannot be read.
        """
        with self._write():
            image_id = ImageID(Digest(image_id))
            entry = self._images.get(image_id)
            if entry is None:
                raise ImageNotFound(image_id, f"unrecognized image ID {image_id}")
            try:
                self.get(image_id)
            except DockyardError as exc:
                raise ImageNotFound(image_id, f"unrecognized image {image_id}, {exc}") from None
            for child in entry.children:
                self._backend.delete_metadata(child, KEY_PARENT)
            parent = self._read_parent(image_id)
            if parent is not None and parent in self._images:
                self._images[parent].children.discard(image_id)
            del self._images[image_id]
            self._ids.remove(image_id)
            with contextlib.suppress(DockyardError):
                self._backend.delete(image_id)
            if entry.layer is not None and self._layers is not None:
                return self._layers.release(entry.layer)
            return []

    # -- search ----------------------------------------------------------------------

    def search(self, term: str) -> ImageID:
        """Find the image whose ID starts with ``term`` (bare hex or ``sha256:`` prefix).

        Docker's rules: no minimum length, uppercase never matches, an empty term matches
        when the store holds exactly one image.

        Raises:
            ImageNotFound: nothing matches (``No such image: <term>``).
            AmbiguousID: more than one image matches (``ambiguous digest string``).
        """
        with self._mutex:
            return self._ids.lookup(term)

    # -- parents and children --------------------------------------------------------

    def set_parent(self, image_id: str, parent: str) -> None:
        """Record ``parent`` as the parent of ``image_id``.

        Raises:
            ImageNotFound: ``parent`` is not in the store, or ``image_id`` has no config.
        """
        with self._write():
            image_id = ImageID(Digest(image_id))
            parent = ImageID(Digest(parent))
            parent_entry = self._images.get(parent)
            if parent_entry is None:
                raise ImageNotFound(parent, f"unknown parent image ID {parent}")
            previous = self._read_parent(image_id)
            if previous is not None and previous in self._images:
                self._images[previous].children.discard(image_id)
            try:
                self._backend.set_metadata(image_id, KEY_PARENT, parent.encode())
            except NotFoundError as exc:
                raise ImageNotFound(image_id, str(exc)) from None
            parent_entry.children.add(image_id)

    def get_parent(self, image_id: str) -> ImageID:
        """Return the recorded parent of ``image_id``.

        Raises:
            ImageNotFound: no parent is recorded (or the image is missing).
        """
        try:
            raw = self._backend.get_metadata(ImageID(Digest(image_id)), KEY_PARENT)
            return ImageID(Digest(raw.decode("ascii").strip()))
        except (NotFoundError, IntegrityError, UnicodeDecodeError) as exc:
            raise ImageNotFound(image_id, f"no parent recorded for {image_id}: {exc}") from None
        except DockyardError as exc:
            message = f"invalid parent recorded for {image_id}: {exc}"
            raise ImageNotFound(image_id, message) from None

    def _read_parent(self, image_id: str) -> ImageID | None:
        try:
            return self.get_parent(image_id)
        except ImageNotFound:
            return None

    def children(self, image_id: str) -> list[ImageID]:
        """IDs of the images whose parent is ``image_id`` (sorted; empty when unknown)."""
        with self._mutex:
            entry = self._images.get(ImageID(Digest(image_id)))
            return sorted(entry.children) if entry is not None else []

    # -- metadata --------------------------------------------------------------------

    def set_last_updated(self, image_id: str, when: GoTime | None = None) -> None:
        """Record the time the image was last tagged (default now, in the local time zone)."""
        text = format_local_time(time.time_ns()) if when is None else when.format()
        with self._write():
            self._set_metadata(image_id, KEY_LAST_UPDATED, text.encode())

    def get_last_updated(self, image_id: str) -> GoTime | None:
        """The last-updated time, or None when it was never set (or is unreadable)."""
        try:
            raw = self._backend.get_metadata(ImageID(Digest(image_id)), KEY_LAST_UPDATED)
        except NotFoundError:
            return None
        text = raw.decode("ascii", "replace").strip()
        if not text:
            return None
        try:
            return GoTime.parse(text)
        except DockyardError:
            return None

    def set_built_locally(self, image_id: str) -> None:
        """Mark the image as built on this machine (a single ``0x01`` byte)."""
        with self._write():
            self._set_metadata(image_id, KEY_BUILT_LOCALLY, b"\x01")

    def is_built_locally(self, image_id: str) -> bool:
        """True when the image was marked as built locally."""
        try:
            raw = self._backend.get_metadata(ImageID(Digest(image_id)), KEY_BUILT_LOCALLY)
        except NotFoundError:
            return False
        return bool(raw) and raw[0] == 1

    def _set_metadata(self, image_id: str, key: str, data: bytes) -> None:
        try:
            self._backend.set_metadata(ImageID(Digest(image_id)), key, data)
        except NotFoundError as exc:
            raise ImageNotFound(image_id, str(exc)) from None

    # -- listing ---------------------------------------------------------------------

    def map(self) -> dict[ImageID, Image]:
        """Every image, re-read and verified; unreadable ones are left out."""
        return self._read_all(self.ids())

    def heads(self) -> dict[ImageID, Image]:
        """Images that have no children."""
        with self._mutex:
            ids = [i for i, e in self._images.items() if not e.children]
        return self._read_all(sorted(ids))

    def ids(self) -> list[ImageID]:
        """All image IDs, sorted."""
        with self._mutex:
            return list(self._ids)

    def layer(self, image_id: str) -> Layer | None:
        """The layer handle the store holds for an image (None for layerless images)."""
        with self._mutex:
            entry = self._images.get(ImageID(Digest(image_id)))
            if entry is None:
                raise ImageNotFound(image_id)
            return entry.layer

    def _read_all(self, ids: list[ImageID]) -> dict[ImageID, Image]:
        out: dict[ImageID, Image] = {}
        for image_id in ids:
            with contextlib.suppress(DockyardError):
                out[image_id] = self.get(image_id)
        return out

    def __len__(self) -> int:
        return len(self._images)

    def __contains__(self, image_id: object) -> bool:
        return isinstance(image_id, str) and image_id in self._images

    def __iter__(self) -> Iterator[ImageID]:
        return iter(self.ids())

    @contextlib.contextmanager
    def _write(self) -> Iterator[None]:
        with self._mutex:
            if self._lock is None:
                yield
                return
            with self._lock.exclusive():
                yield
                self._lock.mark_changed()


def format_local_time(ns: int) -> str:
    """Format a Unix time in nanoseconds as Go's RFC 3339 (nano) text in the local zone."""
    offset = time.localtime(ns // 1_000_000_000).tm_gmtoff
    return GoTime.from_unix_nanos(ns, offset=offset).format()
