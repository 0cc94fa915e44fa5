"""The filesystem content backend, laid out exactly as Docker's ``imagedb``.

::

    <root>/content/sha256/<hex>               raw bytes, mode 0600
    <root>/metadata/sha256/<hex>/<key>        mode 0600 files in a 0700 directory

Writes are atomic (temp file, fsync, rename); every read re-hashes the content.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import TYPE_CHECKING

from dockyard._atomic import atomic_write, clean_temp_files, make_dirs, remove_tree
from dockyard.content._keys import check_key
from dockyard.digest import Digest, is_valid_hex, sha256_bytes
from dockyard.errors import (
    BlobNotFound,
    DigestMismatch,
    InvalidArgumentError,
    StorageError,
)

if TYPE_CHECKING:
    from collections.abc import Iterator

__all__ = ["FSBackend"]

_DIR_MODE = 0o700
_FILE_MODE = 0o600


class FSBackend:
    """Content-addressed blobs and per-blob metadata in a directory tree."""

    def __init__(self, root: Path | str, *, create: bool = True) -> None:
        """Open the backend at ``root``, creating its directories when missing.

        Args:
            root: the ``imagedb`` directory.
            create: create the directories now (False: only read, never create).

        Raises:
            StorageError: the directories cannot be created.
        """
        self.root = Path(root)
        self._content = self.root / "content" / "sha256"
        self._metadata = self.root / "metadata" / "sha256"
        self._lock = threading.RLock()
        if not create:
            return
        try:
            make_dirs(self._content, _DIR_MODE)
            make_dirs(self._metadata, _DIR_MODE)
        except OSError as exc:
            raise StorageError(f"failed to create storage backend: {exc}") from exc

    def content_path(self, dgst: Digest) -> Path:
        """Path of the content file of ``dgst`` (validated, so never outside the root)."""
        return self._content / Digest(dgst).hex

    def metadata_dir(self, dgst: Digest) -> Path:
        """Path of the metadata directory of ``dgst``."""
        return self._metadata / Digest(dgst).hex

    def walk(self) -> Iterator[Digest]:
        """Yield every stored digest in sorted order; names that are not digests are skipped."""
        try:
            names = sorted(os.listdir(self._content))
        except FileNotFoundError:
            return
        except OSError as exc:
            raise StorageError(f"failed to list {self._content}: {exc}") from exc
        for name in names:
            if is_valid_hex(name):
                yield Digest.from_hex(name)

    def get(self, dgst: Digest) -> bytes:
        """Read and verify the blob stored under ``dgst``.

        Raises:
            BlobNotFound: no such content file.
            DigestMismatch: the content does not hash to ``dgst`` (``failed to verify``).
            StorageError: the file cannot be read.
        """
        path = self.content_path(dgst)
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            raise BlobNotFound(
                dgst, f"failed to get digest {dgst}: open {path}: no such file or directory"
            ) from None
        except IsADirectoryError:
            raise BlobNotFound(
                dgst, f"failed to get digest {dgst}: {path} is a directory"
            ) from None
        except OSError as exc:
            raise StorageError(f"failed to get digest {dgst}: {exc}") from exc
        actual = sha256_bytes(data)
        if actual != dgst:
            raise DigestMismatch(Digest(dgst), actual)
        return data

    def set(self, data: bytes) -> Digest:
        """Store ``data`` atomically under its sha256 digest and return the digest.

        Raises:
            InvalidArgumentError: ``data`` is empty (``invalid empty data``).
            StorageError: the write failed (``failed to write digest data: …``).
        """
        if not data:
            raise InvalidArgumentError("invalid empty data")
        dgst = sha256_bytes(data)
        with self._lock:
            try:
                atomic_write(self.content_path(dgst), bytes(data), _FILE_MODE)
            except StorageError as exc:
                raise StorageError(f"failed to write digest data: {exc}") from exc
        return dgst

    def delete(self, dgst: Digest) -> None:
        """Remove the metadata directory, then the content file.

        Raises:
            BlobNotFound: the content file does not exist.
        """
        with self._lock:
            remove_tree(self.metadata_dir(dgst))
            path = self.content_path(dgst)
            try:
                path.unlink()
            except FileNotFoundError:
                raise BlobNotFound(
                    dgst, f"failed to delete {dgst}: remove {path}: no such file or directory"
                ) from None
            except OSError as exc:
                raise StorageError(f"failed to delete {dgst}: {exc}") from exc

    def get_metadata(self, dgst: Digest, key: str) -> bytes:
        """Read a metadata value; the content must exist and verify first.

        Raises:
            BlobNotFound: the content or the key file is missing.
            DigestMismatch: the content does not verify.
        """
        check_key(key)
        self.get(dgst)
        path = self.metadata_dir(dgst) / key
        try:
            return path.read_bytes()
        except FileNotFoundError:
            raise BlobNotFound(
                dgst, f"failed to read metadata: open {path}: no such file or directory"
            ) from None
        except OSError as exc:
            raise StorageError(f"failed to read metadata: {exc}") from exc

    def set_metadata(self, dgst: Digest, key: str, data: bytes) -> None:
        """Atomically write a metadata value; the content must exist and verify first.

        Raises:
            BlobNotFound: the content is missing.
            DigestMismatch: the content does not verify.
            StorageError: the write failed.
        """
        check_key(key)
        with self._lock:
            self.get(dgst)
            directory = self.metadata_dir(dgst)
            try:
                make_dirs(directory, _DIR_MODE)
            except OSError as exc:
                raise StorageError(f"failed to write metadata: {exc}") from exc
            atomic_write(directory / key, bytes(data), _FILE_MODE)

    def delete_metadata(self, dgst: Digest, key: str) -> None:
        """Remove a metadata value; no error when it is absent."""
        check_key(key)
        with self._lock:
            try:
                (self.metadata_dir(dgst) / key).unlink()
            except FileNotFoundError:
                pass
            except OSError as exc:
                raise StorageError(f"failed to delete metadata: {exc}") from exc

    def clean(self) -> list[Path]:
        """Remove leftover temp files from interrupted writes; return what was removed."""
        removed = clean_temp_files(self._content)
        try:
            subdirs = list(self._metadata.iterdir())
        except FileNotFoundError:
            subdirs = []
        for sub in subdirs:
            removed.extend(clean_temp_files(sub))
        return removed
