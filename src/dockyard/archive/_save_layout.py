"""What a save writes, before anything is written: entries, per-image inputs, mtime rules.

Each format builds a list of :class:`Entry` objects from the resolved images; a sink then
writes them in moby's walk order. Keeping the plan separate from the writing means every
format shares one writer, one verification path and one progress report.

Timestamps (spec §7.2, §7.4) follow Docker, except where Docker uses the wall clock:

* an entry that belongs to an image gets that image's ``created`` time, whole seconds,
  clamped to the Unix epoch when absent or earlier (Docker's ``Chtimes`` rule);
* files describing the whole archive (``manifest.json``, ``repositories``, ``index.json``,
  ``oci-layout``, manifest blobs) get the epoch;
* Docker 20.10 leaves a layer directory whose ``layer.tar`` is a symlink at the wall-clock
  time of the save; dockyard gives it the image's ``created`` time like every other layer
  directory;
* Docker 25+ leaves ``blobs/sha256/`` at the wall-clock time (it resets it to the epoch,
  then writes a manifest blob into it); dockyard keeps the epoch.

So the same store and arguments always give the same bytes.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from dockyard.digest import ChainID, DiffID, ImageID, chain_ids
from dockyard.gojson import Compat, Struct, encode

if TYPE_CHECKING:
    from pathlib import Path

    from dockyard.archive.names import SaveItem
    from dockyard.gojson import GoTime
    from dockyard.image import Image

__all__ = [
    "EPOCH",
    "Entry",
    "EntryKind",
    "ImageInput",
    "Layout",
    "created_mtime",
    "manifest_json",
    "repositories_json",
    "validated_parents",
]

EPOCH = 0


class EntryKind(enum.Enum):
    """What an entry's content is."""

    DIR = "dir"
    BYTES = "bytes"
    LAYER = "layer"
    FILE = "file"
    SYMLINK = "symlink"


@dataclass(frozen=True, slots=True)
class Entry:
    """One archive member (or one file of a layout directory).

    Attributes:
        name: relative path, ``/``-separated, without a trailing slash.
        kind: what the content is.
        mtime: modification time, whole seconds since the epoch.
        data: the content of a ``BYTES`` entry.
        target: the link text of a ``SYMLINK`` entry.
        chain_id: the stored layer of a ``LAYER`` entry (its tar stream is the content).
        diff_id: the DiffID the ``LAYER`` content must hash to (also names its progress).
        size: the content length of a ``LAYER`` or ``FILE`` entry.
        path: the prepared file of a ``FILE`` entry (e.g. a compressed layer).
    """

    name: str
    kind: EntryKind
    mtime: int
    data: bytes = b""
    target: str = ""
    chain_id: ChainID | None = None
    diff_id: DiffID | None = None
    size: int = 0
    path: Path | None = None


@dataclass(frozen=True, slots=True)
class ImageInput:
    """A resolved image with what the layouts need to know about it.

    Attributes:
        item: the image ID and its tags.
        image: the parsed config (raw bytes available).
        parent: the parent recorded in the store, if any.
        layer_sizes: stored tar length of each layer, base first.
    """

    item: SaveItem
    image: Image
    parent: ImageID | None
    layer_sizes: tuple[int, ...]

    @property
    def diff_ids(self) -> list[DiffID]:
        """The image's DiffIDs, base first."""
        return list(self.image.rootfs.diff_ids) if self.image.rootfs is not None else []

    @property
    def chain_ids(self) -> list[ChainID]:
        """The chain ID of every layer, base first."""
        return chain_ids(self.diff_ids)

    @property
    def mtime(self) -> int:
        """The image's ``created`` time as an entry mtime (see module docstring)."""
        return created_mtime(self.image.created)


@dataclass(slots=True)
class Layout:
    """Entries by name, added once each: the first writer of a name wins (as in Docker)."""

    entries: dict[str, Entry] = field(default_factory=dict)

    def add(self, entry: Entry) -> None:
        """Add ``entry`` unless an entry of that name exists already."""
        self.entries.setdefault(entry.name, entry)

    def put(self, entry: Entry) -> None:
        """Add or replace ``entry``."""
        self.entries[entry.name] = entry

    def dir(self, name: str, mtime: int) -> None:
        """Add a directory entry."""
        self.add(Entry(name, EntryKind.DIR, mtime))

    def bytes(self, name: str, data: bytes, mtime: int) -> None:
        """Add a file entry with in-memory content."""
        self.add(Entry(name, EntryKind.BYTES, mtime, data=data))


def created_mtime(created: GoTime | None) -> int:
    """Whole seconds of ``created``; the epoch when absent or before 1970."""
    if created is None or created.unix < 0:
        return EPOCH
    return created.unix


def validated_parents(images: list[ImageInput]) -> dict[ImageID, ImageID]:
    """Parent links worth writing: only to another image of the same archive (§7.9)."""
    saved = {i.item.image_id for i in images}
    return {
        i.item.image_id: i.parent
        for i in images
        if i.parent is not None and i.parent != i.item.image_id and i.parent in saved
    }


def manifest_json(items: list[Struct]) -> bytes:
    """``manifest.json``: the items as a JSON array plus a newline (a Go encoder)."""
    return encode(items, Compat.V28) + b"\n"


def manifest_item(
    config: str,
    repo_tags: list[str],
    layers: list[str],
    parent: ImageID | None,
    layer_sources: dict[str, Struct] | None = None,
) -> Struct:
    """One ``manifest.json`` item (spec §6.1; ``RepoTags`` is ``null`` when untagged)."""
    return (
        Struct()
        .add("Config", config)
        .add("RepoTags", repo_tags or None)
        .add("Layers", layers)
        .add("Parent", str(parent) if parent else "", omitempty=True)
        .add("LayerSources", layer_sources or {}, omitempty=True)
    )


def repositories_json(repos: dict[str, dict[str, str]]) -> bytes:
    """The legacy ``repositories`` file: sorted keys, one trailing newline."""
    return encode(repos, Compat.V28) + b"\n"
