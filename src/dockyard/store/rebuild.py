"""Rebuilding the index from Docker's files (the truth), e.g. after a crash or an upgrade.

Images whose config does not verify or parse, or whose layer is missing, and layer
directories that cannot be read are kept out of normal use and recorded as problems, so
that ``check`` can name them and ``client.problems`` can report them.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from dockyard.digest import ChainID, Digest, ImageID, chain_ids, is_valid_hex, sha256_bytes
from dockyard.errors import DockyardError, InvalidDigest, InvalidReference, StorageError
from dockyard.image import Image
from dockyard.layer.filestore import FSLayerDB
from dockyard.reference import _repofile
from dockyard.reference.parse import parse_normalized_named
from dockyard.store import index
from dockyard.store.records import IMAGE_COLUMNS, LAYER_COLUMNS, REF_COLUMNS, image_values

if TYPE_CHECKING:
    import sqlite3
    from pathlib import Path

    from dockyard.layer.filestore import RawLayer
    from dockyard.store.layout import Layout

__all__ = ["fill", "rebuild", "ref_rows"]


def rebuild(conn: sqlite3.Connection, layout: Layout, generation: str) -> None:
    """Replace the index's content with what the files say (one transaction).

    Raises:
        InvalidReferenceStore: ``repositories.json`` cannot be decoded.
        StorageError: a directory cannot be read.
    """
    conn.execute("BEGIN IMMEDIATE")
    try:
        fill(conn, layout, generation)
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise


def fill(conn: sqlite3.Connection, layout: Layout, generation: str) -> None:
    """Replace the index's content with what the files say, in the caller's transaction.

    Raises:
        InvalidReferenceStore: ``repositories.json`` cannot be decoded.
        StorageError: a directory cannot be read.
    """
    index.reset_schema(conn)
    chains = _layers(conn, layout)
    _images(conn, layout, chains)
    _refs(conn, layout)
    index.write_meta(conn, {"generation": generation, "stamps": index.stamps(layout)})


def _problem(conn: sqlite3.Connection, kind: str, subject: str, path: str, detail: str) -> None:
    conn.execute("INSERT INTO problems VALUES (?, ?, ?, ?)", (kind, subject, path, detail))


def _layers(conn: sqlite3.Connection, layout: Layout) -> set[str]:
    raws, problems = FSLayerDB(layout.layerdb, layout.data).scan()
    for problem in problems:
        _problem(conn, "invalid-layer", problem.name, str(problem.path), problem.reason)
    by_chain = {raw.chain_id: raw for raw in raws}
    placed: dict[ChainID, tuple[int, int]] = {}
    failed: set[ChainID] = set()
    insert = f"INSERT INTO layers ({LAYER_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)"
    for raw in raws:
        stack: list[RawLayer] = []
        current: ChainID | None = raw.chain_id
        base: tuple[int, int] | None = (0, 0)
        reason = ""
        while current is not None and current not in placed:
            entry = by_chain.get(current)
            if current in failed or entry is None or entry in stack:
                base, reason = None, f"parent {current} not loaded"
                if entry is not None and entry in stack:
                    reason = "parent chain is a cycle"
                break
            stack.append(entry)
            current = entry.parent
        if base is not None and current is not None:
            base = placed[current]
        if base is None:
            for bad in stack:
                failed.add(bad.chain_id)
                path = str(layout.layer_dir(bad.chain_id.hex))
                _problem(conn, "invalid-layer", bad.chain_id.hex, path, reason)
            continue
        depth, total = base
        for item in reversed(stack):
            depth, total = depth + 1, total + item.diff_size
            placed[item.chain_id] = (depth, total)
            parent = str(item.parent) if item.parent else None
            conn.execute(
                insert,
                (str(item.chain_id), str(item.diff_id), parent, item.diff_size, item.cache_id,
                 depth, total),
            )  # fmt: skip
    return {str(chain) for chain in placed}


def _images(conn: sqlite3.Connection, layout: Layout, chains: set[str]) -> None:
    try:
        names = sorted(os.listdir(layout.content))
    except (FileNotFoundError, NotADirectoryError):
        return
    try:
        with_metadata = set(os.listdir(layout.metadata))
    except OSError:
        with_metadata = set()
    insert = f"INSERT INTO images ({IMAGE_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
    for name in names:
        if not is_valid_hex(name):
            continue
        image_id = ImageID(Digest.from_hex(name))
        parent = last = ""
        if name in with_metadata:
            parent = _parent(layout.metadata_dir(name) / "parent")
            last = _text(layout.metadata_dir(name) / "lastUpdated")
        img, problem = _config(layout, image_id)
        kind, where = "invalid-image", layout.config_path(name)
        if problem.startswith("failed to verify"):
            kind = "tampered-image"
        if img is not None and problem == "":
            chain = img.rootfs.chain_id() if img.rootfs is not None else None
            if chain and str(chain) not in chains:
                problem = f"layer {chain} does not exist (needed by image {image_id})"
                kind, where = "missing-layer", _missing_layer_dir(layout, img, chains)
        values = image_values(image_id, img, parent=parent, last_updated=last, problem=problem)
        conn.execute(insert, values)
        if problem:
            _problem(conn, kind, str(image_id), str(where), problem)


def _missing_layer_dir(layout: Layout, img: Image, chains: set[str]) -> Path:
    """The directory of the lowest layer of an image's chain that is missing."""
    diff_ids = img.rootfs.diff_ids if img.rootfs is not None else []
    for chain in chain_ids(diff_ids):
        if str(chain) not in chains:
            return layout.layer_dir(chain.hex)
    return layout.content


def _config(layout: Layout, image_id: ImageID) -> tuple[Image | None, str]:
    path = layout.config_path(image_id.hex)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        return None, f"failed to read config: {exc.strerror}"
    if sha256_bytes(raw) != image_id:
        return None, f"failed to verify: {image_id}"
    try:
        return Image.from_json(raw), ""
    except DockyardError as exc:
        return None, str(exc)


def _text(path: os.PathLike[str]) -> str:
    try:
        with open(path, "rb") as f:
            return f.read(4096).decode("ascii", "replace").strip()
    except OSError:
        return ""


def _parent(path: os.PathLike[str]) -> str:
    text = _text(path)
    try:
        return str(Digest(text)) if text else ""
    except InvalidDigest:
        return ""


def _refs(conn: sqlite3.Connection, layout: Layout) -> None:
    try:
        source = layout.repositories.read_bytes()
    except (FileNotFoundError, NotADirectoryError):
        return
    except OSError as exc:
        raise StorageError(f"failed to read {layout.repositories}: {exc.strerror}") from exc
    repos = _repofile.decode(source, layout.repositories)
    conn.executemany(
        f"INSERT OR IGNORE INTO refs ({REF_COLUMNS}) VALUES (?, ?, ?, ?, ?)", ref_rows(repos)
    )


def ref_rows(repos: _repofile.Repositories) -> list[tuple[str, str, str, str, int]]:
    """The index rows of every entry of a decoded ``repositories.json`` that parses."""
    rows = []
    for inner in repos.values():
        for key, value in (inner or {}).items():
            try:
                ref = parse_normalized_named(key)
                image_id = Digest(value)
            except (InvalidReference, InvalidDigest):
                continue
            rows.append(
                (key, ref.familiar_name(), str(ref), str(image_id), int(ref.digest is not None))
            )
    return rows
