"""Where everything of one store lives on disk; the only module that knows the paths.

::

    <root>/
      .lock                              the writers' lock (flock)
      .generation                        change token, replaced by every commit
      journal                            the commit record of a commit being applied
      index/images.db                    derived index (sqlite, WAL), rebuilt when stale
      image/dockyard/imagedb/            Docker's image configs and their metadata
      image/dockyard/layerdb/sha256/     Docker's layer metadata, one directory per chain
      image/dockyard/repositories.json   Docker's tags and digests
      dockyard/<cache-id>/layer.tar      each layer's exact uncompressed tar stream
      tmp/                               scratch space: staging areas and transactions

``image/dockyard`` is laid out exactly as Docker's ``image/<driver>`` directory; everything
else is dockyard's own.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

__all__ = ["DRIVER", "Layout"]

#: The name under ``image/`` and of the layer data directory (Docker's graph-driver slot).
DRIVER = "dockyard"


@dataclass(frozen=True)
class Layout:
    """The paths of one store root."""

    root: Path

    @classmethod
    def at(cls, root: Path | str) -> Layout:
        """The layout of ``root`` (made absolute)."""
        return cls(Path(root).absolute())

    @property
    def lock(self) -> Path:
        """The writers' lock file."""
        return self.root / ".lock"

    @property
    def generation(self) -> Path:
        """The change token."""
        return self.root / ".generation"

    @property
    def journal(self) -> Path:
        """The commit record of a commit that is being applied."""
        return self.root / "journal"

    @property
    def index_dir(self) -> Path:
        """The directory of the derived index."""
        return self.root / "index"

    @property
    def index(self) -> Path:
        """The derived index database."""
        return self.index_dir / "images.db"

    @property
    def image_dir(self) -> Path:
        """Docker's ``image/<driver>`` directory."""
        return self.root / "image" / DRIVER

    @property
    def imagedb(self) -> Path:
        """Image configs and their metadata."""
        return self.image_dir / "imagedb"

    @property
    def content(self) -> Path:
        """``imagedb/content/sha256``: one file per image config."""
        return self.imagedb / "content" / "sha256"

    @property
    def metadata(self) -> Path:
        """``imagedb/metadata/sha256``: one directory of metadata files per image."""
        return self.imagedb / "metadata" / "sha256"

    @property
    def layerdb(self) -> Path:
        """Layer metadata."""
        return self.image_dir / "layerdb"

    @property
    def layers(self) -> Path:
        """``layerdb/sha256``: one directory per chain ID."""
        return self.layerdb / "sha256"

    @property
    def repositories(self) -> Path:
        """Tags and digests."""
        return self.image_dir / "repositories.json"

    @property
    def data(self) -> Path:
        """Layer payload directories."""
        return self.root / DRIVER

    @property
    def tmp(self) -> Path:
        """Scratch space of running commands (same filesystem, so renames are atomic)."""
        return self.root / "tmp"

    def config_path(self, hex_: str) -> Path:
        """The config file of an image."""
        return self.content / hex_

    def metadata_dir(self, hex_: str) -> Path:
        """The metadata directory of an image."""
        return self.metadata / hex_

    def layer_dir(self, hex_: str) -> Path:
        """The metadata directory of a layer."""
        return self.layers / hex_

    def payload(self, cache_id: str) -> Path:
        """The tar stream of a layer."""
        return self.data / cache_id / "layer.tar"

    def stamped(self) -> tuple[Path, ...]:
        """The paths whose change means that someone else changed the store's truth."""
        return (self.content, self.metadata, self.layers, self.repositories, self.data)

    def relative(self, path: Path) -> str:
        """``path`` relative to the root, as journals record it."""
        return path.relative_to(self.root).as_posix()

    def resolve(self, relative: str) -> Path:
        """A journal's relative path as a path inside the root.

        Raises:
            ValueError: the path is absolute or climbs out of the root.
        """
        parts = relative.split("/")
        if not relative or relative.startswith("/") or any(p in ("", ".", "..") for p in parts):
            raise ValueError(f"not a path inside the store: {relative!r}")
        return self.root.joinpath(*parts)
