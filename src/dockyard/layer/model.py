"""Layer value types, the layer handle and the layer format error."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
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
    """A handle to a layer of a store (what ``layer_store.get`` and ``register`` return).

    Every handle is distinct; a store keeps the layer while a handle to it is held.
    """

    __slots__ = ("cache_id", "chain_id", "depth", "diff_id", "diff_size", "parent",
                 "payload_path", "released", "size")  # fmt: skip

    def __init__(
        self,
        chain_id: ChainID,
        diff_id: DiffID,
        parent: ChainID | None,
        *,
        size: int,
        diff_size: int,
        cache_id: str,
        depth: int,
        payload_path: Path,
    ) -> None:
        self.chain_id = chain_id
        self.diff_id = diff_id
        self.parent = parent
        self.size = size
        self.diff_size = diff_size
        self.cache_id = cache_id
        self.depth = depth
        self.payload_path = payload_path
        self.released = False

    def payload_size(self) -> int:
        """Byte length of the stored tar stream.

        Raises:
            LayerNotFound: the payload file is gone.
        """
        try:
            return os.stat(self.payload_path).st_size
        except FileNotFoundError:
            raise LayerNotFound(self.chain_id) from None

    def metadata(self) -> LayerMetadata:
        """The layer's metadata (chain ID, DiffID, sizes)."""
        return LayerMetadata(self.chain_id, self.diff_id, self.size, self.diff_size)

    def open(self) -> BinaryIO:
        """Open the layer's tar stream, verified against the DiffID at EOF.

        Raises:
            LayerNotFound: the payload is gone.
            LayerVerificationError: at EOF, when the stored bytes were modified.
        """
        return open_payload(self.payload_path, self.diff_id, self.chain_id)

    def __repr__(self) -> str:
        return f"Layer({str(self.chain_id)!r})"
