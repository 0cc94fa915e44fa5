"""Small builders for crafted archives (valid ones to start from, then broken on purpose)."""

from __future__ import annotations

import hashlib
import io
import json
import tarfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

KINDS = ("memory", "pipe", "disk")


def layer_tar(files: dict[str, bytes], *, duplicate: str | None = None) -> bytes:
    """An uncompressed layer tar holding ``files`` (one of them twice when asked)."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.USTAR_FORMAT) as tar:
        names = [*files, *([duplicate] if duplicate else [])]
        for name in names:
            data = files[name]
            info = tarfile.TarInfo(name)
            info.size, info.mode, info.mtime = len(data), 0o644, 0
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def sha(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def config_for(layers: Sequence[bytes], **extra: Any) -> bytes:
    doc: dict[str, Any] = {
        "architecture": "amd64",
        "os": "linux",
        "created": "2024-01-02T03:04:05Z",
        "rootfs": {"type": "layers", "diff_ids": [sha(layer) for layer in layers]},
        "history": [
            {"created": "2024-01-02T03:04:05Z", "created_by": f"step {i}"}
            for i in range(len(layers))
        ],
    }
    doc.update(extra)
    return json.dumps(doc, separators=(",", ":")).encode()


@dataclass
class Entry:
    """One member of a crafted archive."""

    name: str
    data: bytes = b""
    kind: bytes = tarfile.REGTYPE
    link: str = ""


@dataclass
class Crafted:
    """A crafted archive: members in order, written with ``tarfile`` (any name allowed)."""

    entries: list[Entry] = field(default_factory=list)

    def add(
        self, name: str, data: bytes = b"", kind: bytes = tarfile.REGTYPE, link: str = ""
    ) -> Crafted:
        self.entries.append(Entry(name, data, kind, link))
        return self

    def replace(self, name: str, data: bytes) -> Crafted:
        for entry in self.entries:
            if entry.name == name:
                entry.data = data
        return self

    def drop(self, name: str) -> Crafted:
        self.entries = [e for e in self.entries if e.name != name]
        return self

    def build(self, fmt: int = tarfile.GNU_FORMAT) -> bytes:
        buf = io.BytesIO()
        with tarfile.open(fileobj=buf, mode="w", format=fmt) as tar:
            for entry in self.entries:
                info = tarfile.TarInfo(entry.name)
                info.type = entry.kind
                info.mode = 0o755 if entry.kind == tarfile.DIRTYPE else 0o644
                info.linkname = entry.link
                if entry.kind == tarfile.REGTYPE:
                    info.size = len(entry.data)
                    tar.addfile(info, io.BytesIO(entry.data))
                else:
                    tar.addfile(info)
        return buf.getvalue()


def docker_archive(
    layers: Sequence[bytes] = (),
    *,
    repo_tags: Any = ("crafted/img:1",),
    config: bytes | None = None,
    manifest: Any = None,
    mutate: Callable[[dict[str, Any]], None] | None = None,
) -> Crafted:
    """A valid legacy-layout archive of one image, as ``docker save`` 20.10 would write it."""
    layers = list(layers) or [layer_tar({"hello.txt": b"hello\n"})]
    cfg = config if config is not None else config_for(layers)
    crafted = Crafted()
    paths = []
    for i, layer in enumerate(layers):
        v1 = f"{i:064x}"
        crafted.add(f"{v1}/", kind=tarfile.DIRTYPE)
        crafted.add(f"{v1}/layer.tar", layer)
        paths.append(f"{v1}/layer.tar")
    config_name = hashlib.sha256(cfg).hexdigest() + ".json"
    crafted.add(config_name, cfg)
    item: dict[str, Any] = {
        "Config": config_name,
        "RepoTags": list(repo_tags) if repo_tags is not None else None,
        "Layers": paths,
    }
    if mutate is not None:
        mutate(item)
    doc = manifest if manifest is not None else [item]
    crafted.add(
        "manifest.json", doc if isinstance(doc, bytes) else json.dumps(doc).encode() + b"\n"
    )
    return crafted


# --- running a case ----------------------------------------------------------------------


def snapshot(root: Path) -> dict[str, tuple[int, bytes]]:
    """Every file of a store (mode and bytes), but its lock file and change token."""
    out = {}
    for path in sorted(root.rglob("*")):
        rel = str(path.relative_to(root))
        if rel in (".generation", ".lock"):
            continue  # a lock file and a change token, not store content
        st = path.lstat()
        out[rel] = (st.st_mode, path.read_bytes() if path.is_file() else b"")
    return out


def pipe(data: bytes) -> io.BufferedReader:
    """``data`` as a stream that cannot seek (as stdin from a pipe)."""
    raw = io.BytesIO(data)
    raw.seekable = lambda: False  # type: ignore[method-assign]
    return io.BufferedReader(raw)


def source(data: bytes, kind: str, where: Path) -> Any:
    """``data`` from memory, a pipe, or a file on disk (written to ``where``)."""
    if kind == "memory":
        return io.BytesIO(data)
    if kind == "pipe":
        return pipe(data)
    where.write_bytes(data)
    return where
