"""The composition root: one store directory wired into its backend and stores.

``dockyard.open(root)`` is the only place that knows the on-disk layout::

    <root>/
      .lock  .generation                   writer lock and change token
      image/dockyard/imagedb/              image configs and metadata (Docker's layout)
      image/dockyard/layerdb/              layer metadata (Docker's layout)
      image/dockyard/repositories.json     tags and digests (Docker's format)
      dockyard/<cache-id>/layer.tar        the exact tar stream of every layer
      tmp/                                 scratch space of running operations
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from dockyard._atomic import clean_temp_files, make_dirs, remove_tree
from dockyard._lock import StoreLock
from dockyard.content import FSBackend
from dockyard.errors import StorageError
from dockyard.image.store import ImageStore
from dockyard.layer import LayerStore
from dockyard.reference import ReferenceStore

if TYPE_CHECKING:
    from dockyard.api import ImageCollection
    from dockyard.image.store import RestoreProblem

__all__ = ["DRIVER", "Client", "StoreProblems", "default_root", "open"]

#: The name under ``image/`` and of the layer data directory (Docker's graph-driver slot).
DRIVER = "dockyard"


@dataclass(frozen=True, slots=True)
class StoreProblems:
    """What opening (or refreshing) a store found wrong and skipped."""

    images: tuple[RestoreProblem, ...]
    layers: tuple[str, ...]

    def __bool__(self) -> bool:
        return bool(self.images or self.layers)


class Client:
    """One image store directory: backend, layer store, image store and reference store."""

    def __init__(self, root: Path | str) -> None:
        """Open (creating when missing) the store at ``root``.

        Raises:
            StorageError: the directory cannot be created or read.
        """
        self.root = Path(root).absolute()
        base = self.root / "image" / DRIVER
        try:
            make_dirs(base, 0o700)
            make_dirs(self.root / "tmp", 0o700)
        except OSError as exc:
            raise StorageError(f"failed to create store at {self.root}: {exc}") from exc
        self.lock = StoreLock(self.root)
        self._mutex = threading.RLock()
        self.backend = FSBackend(base / "imagedb")
        self.layer_store = LayerStore(base / "layerdb", self.root / DRIVER, self.lock)
        self.image_store = ImageStore(self.backend, self.layer_store, self.lock)
        self.reference_store = ReferenceStore(base / "repositories.json", self.lock)
        self.lock.set_refresh(self._reload)
        self.cleaned = self._cleanup()
        self.problems = self._problems()

    @property
    def images(self) -> ImageCollection:
        """The docker-py-shaped image API: ``client.images.load/get/list/remove/prune``."""
        from dockyard.api import ImageCollection

        return ImageCollection(self)

    @property
    def tmp_dir(self) -> Path:
        """Scratch directory inside the store (same filesystem, so renames are atomic)."""
        return self.root / "tmp"

    def refresh(self) -> None:
        """Re-read the store if another process changed it since this one last looked."""
        self.lock.refresh_if_stale()

    def _reload(self) -> None:
        with self._mutex:
            self.image_store.restore(reload_layers=self.layer_store.reload)
            self.reference_store.reload()
            self.problems = self._problems()

    def _problems(self) -> StoreProblems:
        return StoreProblems(
            images=tuple(self.image_store.problems),
            layers=tuple(str(p) for p in self.layer_store.problems),
        )

    def _cleanup(self) -> list[Path]:
        """Remove what interrupted writers left behind, if no writer is active now."""
        removed: list[Path] = []
        with self.lock.exclusive(blocking=False) as got:
            if not got:
                return removed
            removed.extend(self.layer_store.cleanup())
            removed.extend(self.backend.clean())
            removed.extend(clean_temp_files(self.root / "image" / DRIVER))
            removed.extend(clean_temp_files(self.root))
            for entry in sorted(self.tmp_dir.iterdir()):
                remove_tree(entry)
                removed.append(entry)
        return removed

    def close(self) -> None:
        """Release the resources of this client (nothing is held between calls)."""
        self.lock.set_refresh(None)

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<dockyard.Client root={str(self.root)!r} images={len(self.image_store)}>"


def default_root() -> Path:
    """The default store: ``~/.local/share/dockyard`` (the XDG data directory's default).

    The library reads no environment variables; the command line also honours
    ``$DOCKYARD_ROOT`` and ``$XDG_DATA_HOME`` and passes the result in.
    """
    return Path.home() / ".local" / "share" / "dockyard"


def open(root: Path | str | None = None) -> Client:
    """Open the image store at ``root`` (created when missing) and return its client.

    Args:
        root: the store directory; default :func:`default_root`.

    Raises:
        StorageError: the directory cannot be created or read.
    """
    return Client(default_root() if root is None else root)
