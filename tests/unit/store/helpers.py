"""Builders and inspectors shared by the store tests."""

from __future__ import annotations

import io
import json
import os
import stat
from pathlib import Path
from typing import Any

import dockyard
from dockyard.digest import ChainID, DiffID, ImageID, sha256_bytes
from tests.unit.layer.tarutil import make_tar

BASE = make_tar([("a", b"hello\n"), ("b", b"world!")])
MIDDLE = make_tar([("c", b"x" * 700)])
TOP = make_tar([("d", b"")], dirs=["etc"])

#: A file's mode and bytes (None for a directory), by path relative to the store root.
Snapshot = dict[str, tuple[int, bytes | None]]


def mode(path: Path) -> int:
    """The permission bits of ``path`` (not following a symlink)."""
    return stat.S_IMODE(path.lstat().st_mode)


def snapshot(root: Path, *, skip: tuple[str, ...] = ("tmp",)) -> Snapshot:
    """Every file and directory under ``root`` with its mode and content."""
    out: Snapshot = {}
    for current, dirs, files in os.walk(root):
        rel_dir = Path(current).relative_to(root)
        if rel_dir.parts and rel_dir.parts[0] in skip:
            dirs[:] = []
            continue
        for name in dirs:
            path = Path(current) / name
            out[(rel_dir / name).as_posix()] = (mode(path), None)
        for name in files:
            path = Path(current) / name
            out[(rel_dir / name).as_posix()] = (mode(path), path.read_bytes())
    return out


def config(
    *diff_ids: str,
    extra: str = "",
    history: list[dict[str, object]] | None = None,
    os_name: str = "linux",
) -> bytes:
    """An image config on ``diff_ids`` (JSON bytes)."""
    doc: dict[str, Any] = {
        "architecture": "amd64",
        "os": os_name,
        "rootfs": {"type": "layers", "diff_ids": [str(d) for d in diff_ids]},
    }
    if extra:
        doc["comment"] = extra
    if history is not None:
        doc["history"] = history
    return json.dumps(doc).encode()


def diff_of(tar: bytes) -> DiffID:
    """The DiffID of an uncompressed layer tar."""
    return DiffID(sha256_bytes(tar))


def add_image(
    client: dockyard.Client, *tars: bytes, extra: str = ""
) -> tuple[ImageID, bytes, list[ChainID]]:
    """Register ``tars`` as a chain and create an image on it (handles released)."""
    handles = []
    parent: ChainID | None = None
    for tar in tars:
        layer = client.layer_store.register(io.BytesIO(tar), parent)
        handles.append(layer)
        parent = layer.chain_id
    raw = config(*(h.diff_id for h in handles), extra=extra)
    image_id = client.image_store.create(raw)
    for layer in handles:
        client.layer_store.release(layer)
    return image_id, raw, [h.chain_id for h in handles]


def replace_file(path: Path, data: bytes) -> None:
    """Replace a file as editors and Docker do: a new file renamed over the old one."""
    temp = path.with_name(f".{path.name}.edit")
    temp.write_bytes(data)
    os.chmod(temp, mode(path) if path.exists() else 0o600)
    os.replace(temp, path)


def repositories(client: dockyard.Client) -> bytes:
    """The bytes of the store's ``repositories.json``."""
    return client.layout.repositories.read_bytes()
