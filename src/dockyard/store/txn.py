"""Writing a store: one transaction per command, committed all at once or not at all.

A :class:`Transaction` records every change of one command — layers, images, parent
links, metadata, tags — in the index (inside one sqlite transaction, so the command reads
its own changes) and in a :class:`~dockyard.store.changes.ChangeSet` of files. Nothing of
the store's truth changes before :meth:`Transaction.commit`, which writes the new files
aside, makes them durable with one barrier, writes the journal (the commit point),
applies it and commits the index. ``repositories.json`` is written once per transaction.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from dockyard.digest import ChainID, Digest, ImageID, sha256_bytes
from dockyard.errors import (
    ImageNotFound,
    InvalidImageConfig,
    LayerNotFound,
    MaxDepthExceeded,
    StorageError,
)
from dockyard.gojson import GoTime
from dockyard.image import Image, check_os
from dockyard.layer.filestore import new_cache_id
from dockyard.reference import _repofile
from dockyard.reference.rules import add_reference, delete_reference, entry_key
from dockyard.store.changes import ChangeSet
from dockyard.store.records import IMAGE_COLUMNS, LAYER_COLUMNS, REF_COLUMNS, LayerRow, image_values
from dockyard.store.view import View

if TYPE_CHECKING:
    import sqlite3
    from collections.abc import Callable
    from pathlib import Path

    from dockyard.layer.model import StagedLayer
    from dockyard.reference import Reference
    from dockyard.reference.parse import Compat
    from dockyard.store.layout import Layout
    from dockyard.store.view import Stats

__all__ = ["MAX_LAYER_DEPTH", "Transaction", "child_chain_id", "format_local_time"]

#: A parent of this depth cannot get a child (moby ``maxLayerDepth``).
MAX_LAYER_DEPTH = 125

_CONFIG_MODE = 0o600
_METADATA_MODES = (0o700, 0o600)
_LAYER_DIR_MODE = 0o700
_LAYER_FILE_MODE = 0o644


def child_chain_id(parent: ChainID | None, diff_id: Digest) -> ChainID:
    """The chain ID of a layer with DiffID ``diff_id`` on top of ``parent``."""
    if parent is None:
        return ChainID(Digest(diff_id))
    return ChainID(sha256_bytes(f"{parent} {diff_id}".encode("ascii")))


def format_local_time(ns: int) -> str:
    """Format a Unix time in nanoseconds as Go's RFC 3339 (nano) text in the local zone."""
    offset = time.localtime(ns // 1_000_000_000).tm_gmtoff
    return GoTime.from_unix_nanos(ns, offset=offset).format()


class Transaction:
    """The changes of one command. Obtain one from ``client.transaction()``.

    Attributes:
        view: reads the store including this transaction's own changes.
        changes: the file changes so far.
    """

    def __init__(
        self,
        conn: sqlite3.Connection,
        layout: Layout,
        stats: Stats,
        *,
        compat: Compat = "v28",
        held: Callable[[str], bool] | None = None,
    ) -> None:
        self.conn = conn
        self.layout = layout
        self.stats = stats
        self.compat: Compat = compat
        self.view = View(conn, layout, stats)
        self.changes = ChangeSet(layout)
        self.view.pending = self.changes.files
        self._held = held
        self._repos: _repofile.Repositories | None = None
        self._repos_changed = False
        self._consumed: list[tuple[StagedLayer, Path]] = []
        self.finally_callbacks: list[Callable[[], None]] = []

    # --- layers -------------------------------------------------------------------------

    def add_layer(self, staged: StagedLayer, parent: ChainID | None = None) -> LayerRow:
        """Make a staged layer the layer ``parent`` + its DiffID (or reuse that layer).

        One staged layer can become layers on several parents: the first takes its
        payload, the others get a hard link (or a copy).

        Raises:
            LayerNotFound: the parent does not exist.
            MaxDepthExceeded: the parent already has the maximum depth (125).
        """
        chain = child_chain_id(parent, staged.diff_id)
        existing = self.view.layer(chain)
        if existing is not None:
            return existing
        depth, total = 1, staged.size
        if parent is not None:
            above = self.view.layer(parent)
            if above is None:
                raise LayerNotFound(str(parent))
            if above.depth >= MAX_LAYER_DEPTH:
                raise MaxDepthExceeded
            depth, total = above.depth + 1, above.size + staged.size
        cache_id = new_cache_id()
        while self.layout.payload(cache_id).parent.exists():
            cache_id = new_cache_id()
        target = self.layout.payload(cache_id).parent
        if staged.consumed:
            source = staged.payload_dir / "layer.tar"
            self.changes.link_into(target, "layer.tar", source, _LAYER_DIR_MODE)
        else:
            staged.consumed = True
            self._consumed.append((staged, target))
            self.changes.move_in(staged.payload_dir, target)
        layer = LayerRow(chain, staged.diff_id, parent, staged.size, cache_id, depth, total)
        layer_dir = self.layout.layer_dir(chain.hex)
        self.changes.put_dir(layer_dir, _LAYER_DIR_MODE)
        files = {"cache-id": cache_id, "diff": str(layer.diff_id), "size": str(layer.diff_size)}
        if parent is not None:
            files["parent"] = str(parent)
        for name, text in files.items():
            self.changes.put_file(layer_dir / name, text.encode("ascii"), _LAYER_FILE_MODE)
        self.conn.execute(
            f"INSERT INTO layers ({LAYER_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)", layer.sql()
        )
        return layer

    def _release(self, chain: ChainID | None) -> list[LayerRow]:
        """Delete the layer ``chain`` and its parents while nothing else uses them."""
        released: list[LayerRow] = []
        while chain is not None and not self.view.layer_in_use(chain):
            if self._held is not None and self._held(chain):
                break
            layer = self.view.layer(chain)
            if layer is None:
                break
            self.changes.remove(self.layout.layer_dir(chain.hex))
            self.changes.remove(self.layout.payload(layer.cache_id).parent)
            self.conn.execute("DELETE FROM layers WHERE chain = ?", (str(chain),))
            released.append(layer)
            chain = layer.parent
        return released

    def release_layer(self, chain: ChainID) -> list[LayerRow]:
        """Delete a layer (and its unused parents) if no image and no child layer uses it.

        Returns:
            The deleted layers, top first.
        """
        return self._release(chain)

    # --- images -------------------------------------------------------------------------

    def add_image(self, config: bytes, img: Image | None = None) -> ImageID:
        """Store an image config (its exact bytes); its top layer must exist.

        Idempotent: the same bytes again give the same ID and change nothing.

        Raises:
            InvalidImageConfig: the config is invalid, its history names more non-empty
                layers than it has, or its layer does not exist.
            UnsupportedOS: the image is for another operating system.
        """
        if img is None:
            img = Image.from_json(config)
        diff_ids = img.rootfs.diff_ids if img.rootfs is not None else []
        if sum(1 for h in img.history or [] if not h.empty_layer) > len(diff_ids):
            raise InvalidImageConfig("too many non-empty layers in History section")
        image_id = ImageID(sha256_bytes(config))
        existing = self.view.image_any(image_id)
        if existing is not None and not existing.problem:
            return image_id
        chain = img.rootfs.chain_id() if img.rootfs is not None else None
        if chain:
            check_os(img.operating_system())
            if self.view.layer(chain) is None:
                raise InvalidImageConfig(f"failed to get layer {chain}: layer does not exist")
        self.changes.put_file(self.layout.config_path(image_id.hex), bytes(config), _CONFIG_MODE)
        parent = last = ""
        if existing is not None:
            parent, last = existing.parent, existing.last_updated
            self.conn.execute("DELETE FROM images WHERE id = ?", (str(image_id),))
        values = image_values(image_id, img, parent=parent, last_updated=last)
        self.conn.execute(
            f"INSERT INTO images ({IMAGE_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            values,
        )
        return image_id

    def delete_image(self, image_id: str) -> list[LayerRow]:
        """Delete an image; its children lose their parent link; unused layers go too.

        References to the image are not touched (callers untag first, as Docker does).

        Returns:
            The layers deleted, top first.

        Raises:
            ImageNotFound: no such image.
        """
        row = self.view.image_any(image_id)
        if row is None:
            raise ImageNotFound(str(image_id), f"unrecognized image ID {image_id}")
        for (child,) in self.conn.execute(
            "SELECT id FROM images WHERE parent = ?", (str(row.id),)
        ).fetchall():
            self.changes.remove(self.layout.metadata_dir(Digest(child).hex) / "parent")
        self.conn.execute("UPDATE images SET parent = NULL WHERE parent = ?", (str(row.id),))
        self.changes.remove(self.layout.config_path(row.id.hex))
        self.changes.remove(self.layout.metadata_dir(row.id.hex))
        self.conn.execute("DELETE FROM images WHERE id = ?", (str(row.id),))
        return self._release(row.chain)

    def set_parent(self, image_id: str, parent: str) -> None:
        """Record ``parent`` as the parent of ``image_id``.

        Raises:
            ImageNotFound: either image is not in the store.
        """
        if self.view.image_any(parent) is None:
            raise ImageNotFound(str(parent), f"unknown parent image ID {parent}")
        self._metadata(image_id, "parent", str(Digest(parent)).encode())
        self.conn.execute("UPDATE images SET parent = ? WHERE id = ?", (str(parent), image_id))

    def set_last_updated(self, image_id: str, when: GoTime | None = None) -> None:
        """Record when the image was last tagged (default now, in the local time zone).

        Raises:
            ImageNotFound: no such image.
        """
        text = format_local_time(time.time_ns()) if when is None else when.format()
        self._metadata(image_id, "lastUpdated", text.encode())
        self.conn.execute("UPDATE images SET last_updated = ? WHERE id = ?", (text, image_id))

    def set_built_locally(self, image_id: str) -> None:
        """Mark the image as built on this machine (a single ``0x01`` byte).

        Raises:
            ImageNotFound: no such image.
        """
        self._metadata(image_id, "builtLocally", b"\x01")

    def _metadata(self, image_id: str, key: str, data: bytes) -> None:
        if self.view.image_any(image_id) is None:
            raise ImageNotFound(str(image_id))
        directory = self.layout.metadata_dir(Digest(image_id).hex)
        self.changes.put_in_dir(directory, key, data, _METADATA_MODES)

    # --- references ---------------------------------------------------------------------

    def add_tag(self, ref: Reference, image_id: ImageID, *, force: bool = False) -> None:
        """Point a tag at ``image_id`` (``:latest`` when ``ref`` has no tag).

        Raises:
            InvalidReference: ``ref`` has a digest or is named ``sha256``.
            TagConflict: the tag points to another image and ``force`` is off.
        """
        self._add_reference(ref, image_id, force=force, digest=False)

    def add_digest(self, ref: Reference, image_id: ImageID, *, force: bool = False) -> None:
        """Record that a digest reference resolves to ``image_id`` (never moved).

        Raises:
            InvalidReference: ``ref`` has no digest or is named ``sha256``.
            DigestConflict: the digest reference points to another image.
        """
        self._add_reference(ref, image_id, force=force, digest=True)

    def _add_reference(
        self, ref: Reference, image_id: ImageID, *, force: bool, digest: bool
    ) -> None:
        repos = self._repositories()
        if not add_reference(
            repos, ref, image_id, force=force, digest=digest, compat=self.compat
        ):
            return
        self._repos_changed = True
        named = ref.favor_digest().tag_name_only()
        repo, key = entry_key(named)
        row = (key, repo, str(named), str(image_id), int(named.digest is not None))
        insert = f"INSERT OR REPLACE INTO refs ({REF_COLUMNS}) VALUES (?, ?, ?, ?, ?)"
        self.conn.execute(insert, row)

    def delete_reference(self, ref: Reference) -> None:
        """Remove a tag or digest reference (name only means ``:latest``).

        Raises:
            ReferenceNotFound: nothing is stored under it.
        """
        delete_reference(self._repositories(), ref)
        self._repos_changed = True
        repo, key = entry_key(ref)
        self.conn.execute("DELETE FROM refs WHERE name = ? AND repo = ?", (key, repo))

    def _repositories(self) -> _repofile.Repositories:
        if self._repos is None:
            path = self.layout.repositories
            try:
                source = path.read_bytes()
            except FileNotFoundError:
                self._repos = {}
            except OSError as exc:
                raise StorageError(f"failed to read {path}: {exc.strerror}") from exc
            else:
                self._repos = _repofile.decode(source, path)
        return self._repos

    # --- other files --------------------------------------------------------------------

    def put_file(self, path: Path, data: bytes, mode: int = 0o600) -> None:
        """Create or replace a file of the store (a path under the store root)."""
        self.layout.resolve(self.layout.relative(path))
        self.changes.put_file(path, data, mode)

    def remove_path(self, path: Path) -> None:
        """Remove a file or directory of the store (a path under the store root)."""
        self.layout.resolve(self.layout.relative(path))
        self.changes.remove(path)

    # --- finishing ----------------------------------------------------------------------

    def finish_files(self) -> None:
        """Add ``repositories.json`` to the changes when tags changed (or it is missing)."""
        if self._repos_changed or (
            not self.changes.empty and not self.layout.repositories.exists()
        ):
            data = _repofile.encode(self._repositories())
            self.changes.put_file(self.layout.repositories, data, 0o600)
            self.stats.repositories_writes += 1

    def reindex(self) -> None:
        """Rebuild this transaction's index from the files (for ``check --repair``)."""
        from dockyard.store.lock import read_token
        from dockyard.store.rebuild import fill

        fill(self.conn, self.layout, read_token(self.layout))

    def after(self, callback: Callable[[], None]) -> None:
        """Run ``callback`` once the transaction is over (committed or not)."""
        self.finally_callbacks.append(callback)

    def undo_consumption(self) -> None:
        """After an abort, the staged layers this transaction took are free again."""
        for staged, _target in self._consumed:
            staged.consumed = False
        self._consumed.clear()

    def committed(self) -> None:
        """After the commit, staged layers it took point at their payload in the store.

        So that a later transaction can commit the same staged layer on another parent
        (it then links the committed payload).
        """
        for staged, target in self._consumed:
            staged.payload_dir = target
        self._consumed.clear()
