"""Layer value types, the layer handle and the layer format error."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, BinaryIO, cast

from dockyard.digest import ChainID, DiffID, Digest, HashingReader
from dockyard.errors import FormatError, LayerNotFound, LayerVerificationError

if TYPE_CHECKING:
    from pathlib import Path

    from dockyard.compression import Compression

__all__ = [
    "InvalidLayer",
    "Layer",
    "LayerInfo",
    "LayerMetadata",
    "LayerProblem",
    "StagedLayer",
    "open_payload",
    "verify_payload",
]

_HASH_CHUNK = 1 << 20


class InvalidLayer(FormatError):
    """A layer tar stream cannot be registered (not a tar, truncated, repeated path).

    The message is Docker's wording, e.g. ``duplicates of file paths not supported``.
    """


@dataclass(frozen=True, slots=True)
class LayerMetadata:
    """What :meth:`LayerStore.release` reports for every layer it deleted.

    Attributes:
        chain_id: the deleted layer's chain ID.
        diff_id: its DiffID.
        size: its size plus the sizes of all its parents.
        diff_size: its own size.
    """

    chain_id: ChainID
    diff_id: DiffID
    size: int
    diff_size: int


@dataclass(frozen=True, slots=True)
class LayerInfo:
    """A snapshot of one layer in the store, with its reference count.

    Attributes:
        chain_id: the layer's chain ID.
        diff_id: its DiffID.
        parent: the parent's chain ID, None for a base layer.
        size: cumulative size (this layer plus all parents).
        diff_size: own size.
        cache_id: name of the payload directory.
        depth: number of layers in the chain (1 for a base layer).
        ref_count: handles handed out plus child layers.
    """

    chain_id: ChainID
    diff_id: DiffID
    parent: ChainID | None
    size: int
    diff_size: int
    cache_id: str
    depth: int
    ref_count: int


@dataclass(frozen=True, slots=True)
class LayerProblem:
    """A layer directory that could not be loaded, or a layer that failed a check.

    Attributes:
        name: the directory name (normally a chain ID's hex) or chain ID.
        path: the directory or file concerned.
        reason: what is wrong.
    """

    name: str
    path: Path
    reason: str


@dataclass(eq=False, slots=True)
class StagedLayer:
    """Layer data already in the store's data directory, not yet a layer (see ``stage``).

    Attributes:
        cache_id: the data directory it was written to.
        payload_dir: that directory.
        diff_id: sha256 of the uncompressed stream.
        size: the layer size as Docker's vfs driver counts it.
        length: byte length of the uncompressed stream.
        compression: the compression detected on the input.
        consumed: True once a commit turned the directory into a layer's (or it was
            discarded); later commits of the same data hard-link it instead.
    """

    cache_id: str
    payload_dir: Path
    diff_id: DiffID
    size: int
    length: int
    compression: Compression
    consumed: bool = False


@dataclass(eq=False, slots=True)
class LayerRecord:
    """The store's in-memory state of one layer (moby's ``roLayer``); internal."""

    chain_id: ChainID
    diff_id: DiffID
    parent: LayerRecord | None
    diff_size: int
    cache_id: str
    payload: Path
    ref_count: int = 0
    handles: set[Layer] = field(default_factory=set)

    @property
    def depth(self) -> int:
        """Number of layers in the chain ending here."""
        depth, node = 1, self.parent
        while node is not None:
            depth, node = depth + 1, node.parent
        return depth

    @property
    def size(self) -> int:
        """Own size plus the sizes of all parents."""
        total, node = self.diff_size, self.parent
        while node is not None:
            total, node = total + node.diff_size, node.parent
        return total

    def metadata(self) -> LayerMetadata:
        """This layer's metadata."""
        return LayerMetadata(self.chain_id, self.diff_id, self.size, self.diff_size)

    def info(self) -> LayerInfo:
        """A snapshot of this layer."""
        return LayerInfo(
            chain_id=self.chain_id,
            diff_id=self.diff_id,
            parent=None if self.parent is None else self.parent.chain_id,
            size=self.size,
            diff_size=self.diff_size,
            cache_id=self.cache_id,
            depth=self.depth,
            ref_count=self.ref_count,
        )


def open_payload(payload: Path, diff_id: DiffID, chain_id: ChainID | None = None) -> BinaryIO:
    """Open a stored layer tar; reading it to the end verifies it against ``diff_id``.

    Raises:
        LayerNotFound: the payload file is gone.
        LayerVerificationError: at EOF, when the bytes do not hash to ``diff_id``.
    """
    try:
        fileobj = open(payload, "rb")  # noqa: SIM115 - the reader owns and closes it
    except FileNotFoundError:
        raise LayerNotFound(str(chain_id or diff_id)) from None
    reader = _VerifyingReader(
        fileobj,
        Digest(diff_id),
        verify_at_eof=True,
        on_mismatch=lambda actual: LayerVerificationError(diff_id, actual),
    )
    return cast("BinaryIO", reader)


def verify_payload(payload: Path, diff_id: DiffID) -> str | None:
    """Re-hash a stored layer tar; return what is wrong with it, or None when intact."""
    hasher = hashlib.sha256()
    try:
        with open(payload, "rb") as fileobj:
            while chunk := fileobj.read(_HASH_CHUNK):
                hasher.update(chunk)
    except OSError as exc:
        return f"cannot read layer data: {exc}"
    actual = Digest.from_hex(hasher.hexdigest())
    if actual != diff_id:
        return f"could not verify layer data for: {diff_id} (got {actual})"
    return None


class _VerifyingReader(HashingReader):
    """A HashingReader whose ``read()`` to the end also runs the EOF verification."""

    def read(self, size: int | None = -1) -> bytes:
        if size is not None and size >= 0:
            return super().read(size)
        parts = []
        while chunk := super().read(_HASH_CHUNK):
            parts.append(chunk)
        return b"".join(parts)


class Layer:
    """A reference-counted handle to a layer in a :class:`LayerStore`.

    Every :meth:`LayerStore.get` or :meth:`LayerStore.register` returns a new,
    distinct handle; each must be given back once with :meth:`LayerStore.release`.
    """

    __slots__ = ("_record",)

    def __init__(self, record: LayerRecord) -> None:
        self._record = record

    @property
    def chain_id(self) -> ChainID:
        """The layer's chain ID."""
        return self._record.chain_id

    @property
    def diff_id(self) -> DiffID:
        """The digest of the layer's uncompressed tar stream."""
        return self._record.diff_id

    @property
    def parent(self) -> ChainID | None:
        """The parent's chain ID, None for a base layer."""
        parent = self._record.parent
        return None if parent is None else parent.chain_id

    @property
    def size(self) -> int:
        """Cumulative size: this layer plus all its parents."""
        return self._record.size

    @property
    def diff_size(self) -> int:
        """This layer's own size."""
        return self._record.diff_size

    @property
    def cache_id(self) -> str:
        """Name of the directory holding the layer's payload."""
        return self._record.cache_id

    @property
    def depth(self) -> int:
        """Number of layers in the chain (1 for a base layer)."""
        return self._record.depth

    @property
    def payload_path(self) -> Path:
        """The stored uncompressed tar stream."""
        return self._record.payload

    def payload_size(self) -> int:
        """Byte length of the stored tar stream.

        Raises:
            LayerNotFound: the payload file is gone.
        """
        try:
            return os.stat(self._record.payload).st_size
        except FileNotFoundError:
            raise LayerNotFound(self.chain_id) from None

    def metadata(self) -> LayerMetadata:
        """The layer's metadata (chain ID, DiffID, sizes)."""
        return self._record.metadata()

    def open(self) -> BinaryIO:
        """Open the layer's tar stream, verified against the DiffID at EOF.

        Raises:
            LayerNotFound: the payload is gone.
            LayerVerificationError: at EOF, when the stored bytes were modified.
        """
        return open_payload(self._record.payload, self.diff_id, self.chain_id)

    def __repr__(self) -> str:
        return f"Layer({str(self.chain_id)!r})"
