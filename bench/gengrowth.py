"""Deterministic `docker save` archives of many tiny images that share one layer.

An archive for N images holds, in the Docker 20.10 legacy layout (``docker load`` of 20.10
reads it):

* one layer directory ``<v1 id>/`` with ``VERSION``, ``json`` and a small ``layer.tar``
  (a few directories and files), shared by every image;
* N image configs ``<image id>.json``; image ``i`` differs from the others only by the label
  ``"n": "<i>"``, so every config, and therefore every image ID, is distinct;
* ``manifest.json``: one entry per image, tagged ``growth/img:<i>``, every entry pointing at
  the same ``<v1 id>/layer.tar``.

No ``repositories`` file is written: Docker reads it only for archives without
``manifest.json``, and it cannot describe N images whose top layer is the same v1 directory.
Entries are written in the sorted order ``docker save`` uses, with fixed mtimes and owners,
so the bytes depend only on N and the generator version. Everything is built with the
standard library, in memory for the small parts, in well under a second per 10,000 images.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

from bench.tarstream import HashingWriter, TarStream

GROWTH_VERSION = 1
REPO = "growth/img"
CREATED = "2024-01-01T00:00:00Z"
CREATED_EPOCH = 1704067200
_LAYER_CMD = "/bin/sh -c #(nop) ADD file:growth-files.tar in / "


@dataclass(frozen=True)
class GrowthInfo:
    """A generated many-image archive (also stored as JSON next to it to validate the cache)."""

    path: str
    images: int
    generator_version: int
    bytes: int
    diff_id: str
    layer_bytes: int
    first_image_id: str

    def tag(self, i: int) -> str:
        """The reference of image ``i``."""
        return f"{REPO}:{i}"


def _layer() -> bytes:
    """The shared layer: a handful of small files, identical in every archive."""
    buf = io.BytesIO()
    tar = TarStream(buf, CREATED_EPOCH)
    for d in ("etc", "usr", "usr/share", "usr/share/growth"):
        tar.add_dir(d)
    tar.add_bytes("etc/growth.conf", b"# one layer shared by every image\n")
    for i in range(4):
        data = hashlib.shake_128(f"growth/{i}".encode()).digest(256 * (i + 1))
        tar.add_bytes(f"usr/share/growth/data-{i}.bin", data)
    tar.add_symlink("usr/share/growth/current", "data-0.bin")
    tar.close()
    return buf.getvalue()


def image_config(i: int, diff_id: str) -> bytes:
    """The raw config of image ``i`` (the label ``n`` makes it unique)."""
    config = {
        "architecture": "amd64",
        "config": {
            "Env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],
            "Cmd": ["/bin/sh"],
            "Labels": {"n": str(i)},
            "WorkingDir": "/",
        },
        "created": CREATED,
        "history": [
            {"created": CREATED, "created_by": _LAYER_CMD},
            {
                "created": CREATED,
                "created_by": f'/bin/sh -c #(nop)  LABEL n="{i}"',
                "empty_layer": True,
            },
        ],
        "os": "linux",
        "rootfs": {"type": "layers", "diff_ids": [diff_id]},
    }
    return json.dumps(config, separators=(",", ":")).encode()


def _v1_json(v1id: str) -> bytes:
    doc = {
        "id": v1id,
        "created": CREATED,
        "container_config": {"Cmd": None},
        "os": "linux",
    }
    return json.dumps(doc, separators=(",", ":")).encode()


def _write(path: Path, images: int) -> GrowthInfo:
    layer = _layer()
    diff_id = "sha256:" + hashlib.sha256(layer).hexdigest()
    v1id = hashlib.sha256(f"growth-v1/{diff_id}".encode()).hexdigest()
    configs: list[tuple[str, bytes]] = []
    manifest: list[dict[str, object]] = []
    for i in range(images):
        config = image_config(i, diff_id)
        name = hashlib.sha256(config).hexdigest() + ".json"
        configs.append((name, config))
        entry: dict[str, object] = {
            "Config": name,
            "RepoTags": [f"{REPO}:{i}"],
            "Layers": [f"{v1id}/layer.tar"],
        }
        manifest.append(entry)
    top: list[tuple[str, bytes | None]] = [*configs, (v1id, None)]
    top.sort(key=lambda item: item[0])
    with path.open("wb") as raw:
        out = HashingWriter(raw)
        tar = TarStream(out, CREATED_EPOCH)
        for name, data in top:
            if data is None:  # the layer directory
                tar.add_dir(name)
                tar.add_bytes(f"{name}/VERSION", b"1.0")
                tar.add_bytes(f"{name}/json", _v1_json(name))
                tar.add_bytes(f"{name}/layer.tar", layer)
            else:
                tar.add_bytes(name, data)
        tar.mtime = 0
        doc = json.dumps(manifest, separators=(",", ":")) + "\n"
        tar.add_bytes("manifest.json", doc.encode())
        tar.close()
        raw.flush()
        os.fsync(raw.fileno())
    first = "sha256:" + configs[0][0].removesuffix(".json") if configs else ""
    return GrowthInfo(
        path=str(path),
        images=images,
        generator_version=GROWTH_VERSION,
        bytes=out.count,
        diff_id=diff_id,
        layer_bytes=len(layer),
        first_image_id=first,
    )


def generate_growth(out_dir: Path, images: int) -> GrowthInfo:
    """Generate (or reuse from the cache) the archive of ``images`` tiny images in ``out_dir``.

    Args:
        out_dir: Directory for the archive and its description; created if needed.
        images: How many images (N >= 1); image ``i`` is tagged ``growth/img:<i>``.

    Returns:
        A description of the archive.

    Raises:
        ValueError: ``images`` is smaller than 1.
    """
    if images < 1:
        raise ValueError("a growth archive needs at least one image")
    out_dir.mkdir(parents=True, exist_ok=True)
    archive = out_dir / f"growth-{images}.tar"
    meta = out_dir / f"growth-{images}.json"
    if archive.is_file() and meta.is_file():
        try:
            cached = GrowthInfo(**json.loads(meta.read_text()))
        except (ValueError, TypeError):
            cached = None
        if (
            cached is not None
            and cached.generator_version == GROWTH_VERSION
            and cached.images == images
            and cached.bytes == archive.stat().st_size
        ):
            return cached
    partial = out_dir / f".growth-{images}.tar.partial"
    try:
        info = _write(partial, images)
        os.replace(partial, archive)
    finally:
        partial.unlink(missing_ok=True)
    info = GrowthInfo(**{**asdict(info), "path": str(archive)})
    meta.write_text(json.dumps(asdict(info), indent=2) + "\n")
    return info
