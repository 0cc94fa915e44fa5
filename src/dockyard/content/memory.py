"""An in-memory content backend with the same contract as :class:`FSBackend`."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from dockyard.content._keys import check_key
from dockyard.digest import Digest, sha256_bytes
from dockyard.errors import BlobNotFound, DigestMismatch, InvalidArgumentError

if TYPE_CHECKING:
    from collections.abc import Iterator

__all__ = ["MemoryBackend"]


class MemoryBackend:
    """Keeps blobs and metadata in dictionaries; verifies on every read all the same."""

    def __init__(self) -> None:
        self._content: dict[Digest, bytes] = {}
        self._metadata: dict[Digest, dict[str, bytes]] = {}
        self._lock = threading.RLock()

    def walk(self) -> Iterator[Digest]:
        """Yield stored digests in sorted order."""
        with self._lock:
            digests = sorted(self._content)
        yield from digests

    def get(self, dgst: Digest) -> bytes:
        """Return the verified blob stored under ``dgst``.

        Raises:
            BlobNotFound: nothing is stored under ``dgst``.
            DigestMismatch: the stored bytes do not hash to ``dgst``.
        """
        dgst = Digest(dgst)
        with self._lock:
            try:
                data = self._content[dgst]
            except KeyError:
                raise BlobNotFound(
                    dgst, f"failed to get digest {dgst}: no such blob in memory"
                ) from None
        actual = sha256_bytes(data)
        if actual != dgst:
            raise DigestMismatch(dgst, actual)
        return data

    def set(self, data: bytes) -> Digest:
        """Store ``data``; return its digest.

        Raises:
            InvalidArgumentError: ``data`` is empty.
        """
        if not data:
            raise InvalidArgumentError("invalid empty data")
        dgst = sha256_bytes(data)
        with self._lock:
            self._content[dgst] = bytes(data)
        return dgst

    def delete(self, dgst: Digest) -> None:
        """Remove a blob and its metadata.

        Raises:
            BlobNotFound: nothing is stored under ``dgst``.
        """
        dgst = Digest(dgst)
        with self._lock:
            self._metadata.pop(dgst, None)
            if self._content.pop(dgst, None) is None:
                raise BlobNotFound(dgst, f"failed to delete {dgst}: no such blob")

    def get_metadata(self, dgst: Digest, key: str) -> bytes:
        """Return a metadata value; the blob must exist and verify.

        Raises:
            BlobNotFound: the blob or the key is missing.
            DigestMismatch: the blob does not verify.
        """
        check_key(key)
        self.get(dgst)
        with self._lock:
            try:
                return self._metadata[Digest(dgst)][key]
            except KeyError:
                raise BlobNotFound(
                    dgst, f"failed to read metadata: {key} of {dgst}: no such key"
                ) from None

    def set_metadata(self, dgst: Digest, key: str, data: bytes) -> None:
        """Set a metadata value; the blob must exist and verify."""
        check_key(key)
        self.get(dgst)
        with self._lock:
            self._metadata.setdefault(Digest(dgst), {})[key] = bytes(data)

    def delete_metadata(self, dgst: Digest, key: str) -> None:
        """Remove a metadata value; no error when it is absent."""
        check_key(key)
        with self._lock:
            self._metadata.get(Digest(dgst), {}).pop(key, None)
