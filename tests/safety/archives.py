"""Small, deterministic image archives and root filesystem tarballs for the safety tests.

Archives use the ``manifest.json`` layout (``docker save`` <= 24 style names) with the
layers first and ``manifest.json`` last, so that a loader reading a pipe has to stage
every layer before it knows which images the archive holds.
"""

from __future__ import annotations

import hashlib
import io
import json
import random
import tarfile
from collections.abc import Sequence
from dataclasses import dataclass, field

#: Every config and history entry is dated here, so that "CREATED" columns are stable.
CREATED = "2024-01-02T03:04:05Z"


def digest(data: bytes) -> str:
    """``sha256:<hex>`` of ``data``."""
    return "sha256:" + hashlib.sha256(data).hexdigest()


def _info(name: str, size: int, *, kind: bytes = tarfile.REGTYPE) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type = kind
    info.size = size if kind == tarfile.REGTYPE else 0
    info.mode = 0o755 if kind == tarfile.DIRTYPE else 0o644
    info.mtime = 1_700_000_000
    info.uname = info.gname = "root"
    return info


def tar_of(files: dict[str, bytes]) -> bytes:
    """An uncompressed tar holding ``files`` (in sorted order, fixed metadata)."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for name in sorted(files):
            data = files[name]
            tar.addfile(_info(name, len(data)), io.BytesIO(data))
    return buf.getvalue()


def random_layer(seed: int, size: int, name: str = "payload.bin") -> bytes:
    """A layer with one file of ``size`` pseudo-random (incompressible) bytes."""
    rng = random.Random(seed)
    return tar_of({name: rng.randbytes(size), f"seed-{seed}.txt": f"{seed}\n".encode()})


@dataclass
class Image:
    """One image of an archive: its layers (tar bytes, base first) and tags."""

    layers: Sequence[bytes]
    tags: Sequence[str] = ()
    label: str = "safety"
    config: bytes = field(init=False, default=b"")

    def __post_init__(self) -> None:
        doc = {
            "architecture": "amd64",
            "config": {"Cmd": ["/bin/sh"], "Env": None, "Labels": {"safety": self.label}},
            "created": CREATED,
            "history": [
                {"created": CREATED, "created_by": f"/bin/sh -c #(nop) step {i} {self.label}"}
                for i in range(len(self.layers))
            ],
            "os": "linux",
            "rootfs": {"type": "layers", "diff_ids": [digest(layer) for layer in self.layers]},
        }
        self.config = json.dumps(doc, sort_keys=True, separators=(",", ":")).encode()

    @property
    def id(self) -> str:
        """The image ID the store gives it (``sha256:`` of the config bytes)."""
        return digest(self.config)


def archive(images: Sequence[Image]) -> bytes:
    """A ``docker save``-style archive of ``images``: layers, then configs, then the manifest."""
    buf = io.BytesIO()
    manifest = []
    written: set[str] = set()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for image in images:
            paths = []
            for layer in image.layers:
                hexid = hashlib.sha256(layer).hexdigest()
                path = f"{hexid}/layer.tar"
                if path not in written:
                    written.add(path)
                    tar.addfile(_info(f"{hexid}/", 0, kind=tarfile.DIRTYPE))
                    tar.addfile(_info(path, len(layer)), io.BytesIO(layer))
                paths.append(path)
            config_name = image.id.removeprefix("sha256:") + ".json"
            if config_name not in written:
                written.add(config_name)
                tar.addfile(_info(config_name, len(image.config)), io.BytesIO(image.config))
            manifest.append(
                {"Config": config_name, "RepoTags": list(image.tags) or None, "Layers": paths}
            )
        data = json.dumps(manifest).encode() + b"\n"
        tar.addfile(_info("manifest.json", len(data)), io.BytesIO(data))
    return buf.getvalue()


def rootfs(seed: int, size: int = 4096) -> bytes:
    """A root filesystem tarball for ``import`` (a few files, one of ``size`` random bytes)."""
    rng = random.Random(seed)
    return tar_of(
        {
            "etc/hostname": f"safety-{seed}\n".encode(),
            "bin/tool": rng.randbytes(size),
            "README": b"imported by the safety tests\n",
        }
    )


@dataclass
class Populated:
    """The standard populated store's images: two tagged ones and an untagged one."""

    base: bytes = field(default_factory=lambda: random_layer(1, 8192))
    a: Image = field(init=False)
    b: Image = field(init=False)
    loose: Image = field(init=False)

    def __post_init__(self) -> None:
        self.a = Image([self.base], ["safety/a:1"], label="a")
        self.b = Image([self.base, random_layer(2, 8192)], ["safety/b:1"], label="b")
        self.loose = Image([random_layer(3, 8192)], [], label="loose")

    @property
    def images(self) -> list[Image]:
        return [self.a, self.b, self.loose]

    def archive(self) -> bytes:
        return archive(self.images)


def small_archive(seed: int = 10, tag: str = "safety/small:1") -> tuple[bytes, Image]:
    """A one-image archive of a few kilobytes, unrelated to the populated store."""
    image = Image([random_layer(seed, 2048)], [tag], label=f"small-{seed}")
    return archive([image]), image
