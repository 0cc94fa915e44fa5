"""Staging layers outside the writer lock.

A load or an import streams each layer it needs into its own staging area (a scratch
directory under ``<root>/tmp``) before it takes the writer lock; the commit then only
renames the staged payload into place. So a long load never holds up other writers, and
a load that fails or dies leaves nothing in the store (the area is removed, by its owner
or by the next writer).
"""

from __future__ import annotations

import os
import threading
from typing import IO, TYPE_CHECKING, Any, Protocol

from dockyard._atomic import remove_tree
from dockyard.errors import StorageError
from dockyard.layer.ingest import ingest
from dockyard.layer.model import StagedLayer
from dockyard.store.scratch import ScratchDir

if TYPE_CHECKING:
    from collections.abc import Callable

    from dockyard.store.layout import Layout

__all__ = ["Stager", "StagingArea"]

PAYLOAD_NAME = "layer.tar"


class Stager(Protocol):
    """What a layer source needs to stage a layer."""

    def stage(
        self, stream: IO[bytes] | Any, *, progress: Callable[[int], None] | None = None
    ) -> StagedLayer:
        """Stream a layer tar (compressed or not) into staging; return what was staged."""
        ...


class StagingArea:
    """A scratch directory holding the layers one command staged.

    Raises:
        StoreReadOnly: the store cannot be written.
    """

    def __init__(self, layout: Layout) -> None:
        self._scratch = ScratchDir(layout, "stage-")
        self._count = 0
        self._lock = threading.Lock()
        self.staged: list[StagedLayer] = []

    def stage(
        self, stream: IO[bytes] | Any, *, progress: Callable[[int], None] | None = None
    ) -> StagedLayer:
        """Stream a layer tar into the area (one pass, bounded memory).

        Raises:
            InvalidLayer: the stream is not a valid tar or repeats a path.
            CompressionError: the compressed data is corrupt or truncated.
            StorageError: the data cannot be written.
        """
        with self._lock:  # several threads may stage at once (parallel downloads)
            self._count += 1
            name = f"{self._count:06d}"
        directory = self._scratch.path / name
        try:
            directory.mkdir(mode=0o700)
            os.chmod(directory, 0o700)
        except OSError as exc:
            raise StorageError(f"failed to stage layer: {exc.strerror}") from exc
        try:
            result = ingest(stream, directory / PAYLOAD_NAME, progress, sync=False)
        except BaseException:
            remove_tree(directory)
            raise
        r = result
        staged = StagedLayer(name, directory, r.diff_id, r.size, r.length, r.compression)
        with self._lock:
            self.staged.append(staged)
        return staged

    def discard(self, staged: StagedLayer) -> None:
        """Remove a staged layer that no commit used."""
        if not staged.consumed:
            staged.consumed = True
            remove_tree(staged.payload_dir)

    def close(self) -> None:
        """Remove the area and whatever no commit took from it."""
        self._scratch.close()

    def __enter__(self) -> StagingArea:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
