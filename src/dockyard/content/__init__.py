"""Content-addressable backends for image configurations.

A backend stores byte blobs under the sha256 digest it computes itself, plus small
metadata values keyed by (digest, key).  Every read re-hashes the content and raises
:class:`~dockyard.errors.DigestMismatch` when it does not match its name.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from dockyard.content.fs import FSBackend
from dockyard.content.memory import MemoryBackend

if TYPE_CHECKING:
    from collections.abc import Iterator

    from dockyard.digest import Digest

__all__ = ["FSBackend", "MemoryBackend", "StoreBackend"]


class StoreBackend(Protocol):
    """What the image store needs from a content backend (moby ``image.StoreBackend``)."""

    def walk(self) -> Iterator[Digest]:
        """Yield the digest of every stored blob, sorted, skipping invalid names."""
        ...

    def get(self, dgst: Digest) -> bytes:
        """Return the blob, verified against its digest."""
        ...

    def set(self, data: bytes) -> Digest:
        """Store ``data`` and return its digest."""
        ...

    def delete(self, dgst: Digest) -> None:
        """Remove the blob and all of its metadata."""
        ...

    def get_metadata(self, dgst: Digest, key: str) -> bytes:
        """Return a metadata value of a stored blob."""
        ...

    def set_metadata(self, dgst: Digest, key: str, data: bytes) -> None:
        """Set a metadata value of a stored blob."""
        ...

    def delete_metadata(self, dgst: Digest, key: str) -> None:
        """Remove a metadata value (no error when absent)."""
        ...
