"""Reading a store: the index for what commands list, the files for what they print.

A :class:`View` is one consistent snapshot of the index. It answers lookups (tags, IDs,
ID prefixes), lists images, layers and references, and reads image configs from their
files — verified against their digest every time — for the commands that output them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from dockyard.digest import ChainID, Digest, ImageID, sha256_bytes
from dockyard.errors import AmbiguousID, DigestMismatch, ImageNotFound, StorageError
from dockyard.image.digestset import search_prefix
from dockyard.reference.parse import parse_normalized_named
from dockyard.store.records import (
    IMAGE_COLUMNS,
    LAYER_COLUMNS,
    REF_COLUMNS,
    ImageRow,
    LayerRow,
    RefRow,
)

if TYPE_CHECKING:
    import sqlite3
    from collections.abc import Mapping
    from pathlib import Path

    from dockyard.image import Image
    from dockyard.reference import Reference
    from dockyard.store.layout import Layout

__all__ = ["Stats", "View"]

_USABLE = "problem IS NULL"


class Stats:
    """Counters of the expensive things a client did (for tests and diagnostics).

    Attributes:
        configs_read: image config files read and verified.
        repositories_writes: ``repositories.json`` rewrites committed.
        commits: transactions committed.
        rebuilds: index rebuilds from the files.
    """

    def __init__(self) -> None:
        self.configs_read = 0
        self.repositories_writes = 0
        self.commits = 0
        self.rebuilds = 0


class View:
    """A read-only snapshot of a store.

    Args:
        conn: an index connection (inside a read transaction, or the writer's).
        layout: the store's paths.
        stats: counters to update.
    """

    def __init__(self, conn: sqlite3.Connection, layout: Layout, stats: Stats) -> None:
        self.conn = conn
        self.layout = layout
        self.stats = stats
        #: Files a transaction will write (its view reads its own new configs from here).
        self.pending: Mapping[Path, tuple[bytes, int]] = {}

    # --- images -------------------------------------------------------------------------

    def image(self, image_id: str) -> ImageRow | None:
        """The usable image with this ID, or None."""
        row = self.conn.execute(
            f"SELECT {IMAGE_COLUMNS} FROM images WHERE id = ? AND {_USABLE}", (str(image_id),)
        ).fetchone()
        return ImageRow.from_sql(row) if row else None

    def image_any(self, image_id: str) -> ImageRow | None:
        """The image with this ID even when it cannot be used (see ``problem``), or None."""
        row = self.conn.execute(
            f"SELECT {IMAGE_COLUMNS} FROM images WHERE id = ?", (str(image_id),)
        ).fetchone()
        return ImageRow.from_sql(row) if row else None

    def images(self) -> list[ImageRow]:
        """Every usable image, by ID."""
        rows = self.conn.execute(
            f"SELECT {IMAGE_COLUMNS} FROM images WHERE {_USABLE} ORDER BY id"
        ).fetchall()
        return [ImageRow.from_sql(row) for row in rows]

    def images_with_size(self) -> list[tuple[ImageRow, int | None]]:
        """Every usable image with its size, by ID.

        The size is its layers' total: None when its top layer is missing, 0 for an image
        without layers.
        """
        columns = ", ".join(f"i.{c.strip()}" for c in IMAGE_COLUMNS.split(","))
        rows = self.conn.execute(
            f"SELECT {columns}, l.total FROM images i LEFT JOIN layers l ON l.chain = i.chain "
            f"WHERE i.{_USABLE} ORDER BY i.id"
        ).fetchall()
        return [(ImageRow.from_sql(r), r[-1] if r[2] else 0) for r in rows]

    def broken_images(self) -> list[ImageRow]:
        """Images whose config is present but that cannot be used, by ID."""
        rows = self.conn.execute(
            f"SELECT {IMAGE_COLUMNS} FROM images WHERE NOT {_USABLE} ORDER BY id"
        ).fetchall()
        return [ImageRow.from_sql(row) for row in rows]

    def count(self) -> int:
        """Number of usable images."""
        return int(self.conn.execute(f"SELECT count(*) FROM images WHERE {_USABLE}").fetchone()[0])

    def __contains__(self, image_id: object) -> bool:
        return isinstance(image_id, str) and self.image(image_id) is not None

    def search(self, term: str) -> ImageID:
        """The one usable image whose ID starts with ``term`` (Docker's short-ID rules).

        There is no minimum length, uppercase never matches, and an empty term matches
        when the store holds exactly one image.

        Raises:
            ImageNotFound: nothing matches (``No such image: <term>``).
            AmbiguousID: more than one image matches (``ambiguous digest string``).
        """
        prefix = search_prefix(term)
        if prefix is None:
            raise ImageNotFound(term)
        low = f"sha256:{prefix}"
        rows = self.conn.execute(
            f"SELECT id FROM images WHERE id >= ? AND id < ? AND {_USABLE} ORDER BY id LIMIT 2",
            (low, low + "\uffff"),
        ).fetchall()
        if not rows:
            raise ImageNotFound(term)
        if len(rows) > 1 and rows[0][0] != low:
            raise AmbiguousID(term)
        return ImageID(Digest(rows[0][0]))

    def children(self, image_id: str) -> list[ImageID]:
        """The usable images whose recorded parent is ``image_id``, sorted."""
        rows = self.conn.execute(
            f"SELECT id FROM images WHERE parent = ? AND {_USABLE} ORDER BY id", (str(image_id),)
        ).fetchall()
        return [ImageID(Digest(r[0])) for r in rows]

    def has_children(self, image_id: str) -> bool:
        """True when a usable image records ``image_id`` as its parent."""
        row = self.conn.execute(
            f"SELECT 1 FROM images WHERE parent = ? AND {_USABLE} LIMIT 1", (str(image_id),)
        ).fetchone()
        return row is not None

    def with_children(self) -> set[str]:
        """IDs of every image some usable image records as its parent."""
        rows = self.conn.execute(
            f"SELECT DISTINCT parent FROM images WHERE parent IS NOT NULL AND {_USABLE}"
        ).fetchall()
        return {r[0] for r in rows}

    def config(self, image_id: str) -> bytes:
        """The image's config bytes, read from its file and verified.

        Raises:
            ImageNotFound: the file is gone (the image was removed meanwhile).
            DigestMismatch: the file was modified (``failed to verify: sha256:…``).
            StorageError: the file cannot be read.
        """
        dgst = Digest(image_id)
        path = self.layout.config_path(dgst.hex)
        self.stats.configs_read += 1
        try:
            data = self.pending[path][0] if path in self.pending else path.read_bytes()
        except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
            raise ImageNotFound(str(dgst), f"No such image: {dgst}") from None
        except OSError as exc:
            raise StorageError(f"failed to get digest {dgst}: {exc.strerror}") from exc
        if sha256_bytes(data) != dgst:
            raise DigestMismatch(dgst, sha256_bytes(data))
        return data

    def get_image(self, image_id: str) -> Image:
        """The image's parsed config with ``parent`` filled in from its metadata.

        Raises:
            ImageNotFound: no such usable image.
            DigestMismatch: its config file was modified.
            InvalidImageConfig: its config cannot be parsed.
        """
        from dockyard.image import Image  # only commands that print a config need it

        row = self.image_any(image_id)
        if row is None:
            raise ImageNotFound(str(image_id))
        img = Image.from_json(self.config(row.id))
        img.parent = ImageID(Digest(row.parent)) if row.parent else None
        return img

    # --- layers -------------------------------------------------------------------------

    def layer(self, chain: str) -> LayerRow | None:
        """The layer with this chain ID, or None."""
        row = self.conn.execute(
            f"SELECT {LAYER_COLUMNS} FROM layers WHERE chain = ?", (str(chain),)
        ).fetchone()
        return LayerRow.from_sql(row) if row else None

    def layers(self) -> dict[ChainID, LayerRow]:
        """Every layer by chain ID."""
        rows = self.conn.execute(f"SELECT {LAYER_COLUMNS} FROM layers").fetchall()
        out = {}
        for row in rows:
            layer = LayerRow.from_sql(row)
            out[layer.chain_id] = layer
        return out

    def chain(self, top: str) -> list[LayerRow]:
        """The layers of a chain, base first.

        Raises:
            StorageError: a layer of the chain is missing from the index.
        """
        out: list[LayerRow] = []
        current: str | None = top
        while current:
            layer = self.layer(current)
            if layer is None:
                raise StorageError(f"layer {current} does not exist")
            out.append(layer)
            current = layer.parent
        out.reverse()
        return out

    def payload(self, layer: LayerRow) -> Path:
        """The path of a layer's tar stream."""
        return self.layout.payload(layer.cache_id)

    def layer_in_use(self, chain: str) -> bool:
        """True when an image has this layer on top or a layer has it as parent."""
        found = self.conn.execute(
            "SELECT 1 FROM images WHERE chain = ? UNION ALL "
            "SELECT 1 FROM layers WHERE parent = ? LIMIT 1",
            (str(chain), str(chain)),
        ).fetchone()
        return found is not None

    # --- references ---------------------------------------------------------------------

    def lookup(self, ref: Reference) -> ImageID | None:
        """The image a tag or digest reference points to (name only means ``:latest``)."""
        named = ref.favor_digest().tag_name_only()
        row = self.conn.execute(
            "SELECT image FROM refs WHERE name = ? AND repo = ?",
            (named.familiar_string(), named.familiar_name()),
        ).fetchone()
        return ImageID(Digest(row[0])) if row else None

    def ref_rows(self, image_id: str) -> list[RefRow]:
        """The references to an image, sorted by their full name."""
        rows = self.conn.execute(
            f"SELECT {REF_COLUMNS} FROM refs WHERE image = ? ORDER BY full", (str(image_id),)
        ).fetchall()
        return [RefRow.from_sql(r) for r in rows]

    def references(self, image_id: str) -> list[Reference]:
        """The references to an image as parsed references, sorted by full name."""
        return [parse_normalized_named(r.full) for r in self.ref_rows(image_id)]

    def repository(self, name: str) -> list[RefRow]:
        """Every tag and digest of one repository (its familiar name), sorted."""
        rows = self.conn.execute(
            f"SELECT {REF_COLUMNS} FROM refs WHERE repo = ? ORDER BY full", (name,)
        ).fetchall()
        return [RefRow.from_sql(r) for r in rows]

    def all_refs(self) -> list[RefRow]:
        """Every reference, sorted by full name."""
        rows = self.conn.execute(f"SELECT {REF_COLUMNS} FROM refs ORDER BY full").fetchall()
        return [RefRow.from_sql(r) for r in rows]

    def refs_by_image(self) -> dict[str, list[RefRow]]:
        """Every reference grouped by image ID (each group sorted by full name)."""
        out: dict[str, list[RefRow]] = {}
        for row in self.all_refs():
            out.setdefault(str(row.image_id), []).append(row)
        return out

    # --- problems -----------------------------------------------------------------------

    def problems(self) -> list[tuple[str, str, str, str]]:
        """What the last rebuild found wrong: ``(kind, subject, path, detail)`` rows."""
        return list(self.conn.execute("SELECT kind, subject, path, detail FROM problems"))
