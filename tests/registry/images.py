"""Tiny images for registry tests: random layers, a config, a Docker v2 manifest."""

from __future__ import annotations

import gzip
import io
import json
import os
import tarfile
from dataclasses import dataclass

from dockyard.digest import Digest, sha256_bytes
from dockyard.registry import MEDIA_TYPE_DOCKER_MANIFEST, Repository

LAYER_TYPE = "application/vnd.docker.image.rootfs.diff.tar.gzip"
CONFIG_TYPE = "application/vnd.docker.container.image.v1+json"


@dataclass
class TestImage:
    config: bytes
    layers: list[bytes]
    manifest: bytes

    @property
    def digest(self) -> Digest:
        return sha256_bytes(self.manifest)

    def blobs(self) -> list[bytes]:
        return [*self.layers, self.config]


def tar_gz_layer(size: int) -> tuple[bytes, bytes]:
    """A gzipped tar holding one file of ``size`` random bytes: (compressed, tar)."""
    tar_buffer = io.BytesIO()
    with tarfile.open(fileobj=tar_buffer, mode="w", format=tarfile.GNU_FORMAT) as tar:
        info = tarfile.TarInfo("data.bin")
        info.size = size
        tar.addfile(info, io.BytesIO(os.urandom(size)))
    raw = tar_buffer.getvalue()
    return gzip.compress(raw, mtime=0), raw


def make_image(layer_sizes: tuple[int, ...] = (3000, 70_000), arch: str = "amd64") -> TestImage:
    pairs = [tar_gz_layer(n) for n in layer_sizes]
    layers = [compressed for compressed, _tar in pairs]
    config = json.dumps(
        {
            "architecture": arch,
            "os": "linux",
            "rootfs": {"type": "layers", "diff_ids": [str(sha256_bytes(t)) for _c, t in pairs]},
            "config": {},
        },
        separators=(",", ":"),
    ).encode()

    def desc(media_type: str, data: bytes) -> dict[str, object]:
        return {"mediaType": media_type, "size": len(data), "digest": str(sha256_bytes(data))}

    manifest = json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": MEDIA_TYPE_DOCKER_MANIFEST,
            "config": desc(CONFIG_TYPE, config),
            "layers": [desc(LAYER_TYPE, b) for b in layers],
        },
        separators=(",", ":"),
    ).encode()
    return TestImage(config, layers, manifest)


def push_image(repo: Repository, image: TestImage, tag: str) -> Digest:
    for blob in image.blobs():
        repo.upload_blob(io.BytesIO(blob), digest=sha256_bytes(blob), size=len(blob))
    return repo.put_manifest(tag, image.manifest, MEDIA_TYPE_DOCKER_MANIFEST)


def docker_archive(path: os.PathLike[str] | str, tag: str, sizes: tuple[int, ...]) -> str:
    """Write a ``docker save`` archive of one image with a random layer per size; its ID.

    Both ``docker load`` and dockyard read it, so a test can put the very same image in
    a real daemon and in a store.
    """
    tars = []
    for size in sizes:
        _compressed, raw = tar_gz_layer(size)
        tars.append(raw)
    diff_ids = [str(sha256_bytes(raw)) for raw in tars]
    config = json.dumps(
        {
            "architecture": "amd64",
            "os": "linux",
            "created": "2026-01-02T03:04:05Z",
            "config": {"Env": ["PATH=/usr/bin:/bin"], "Cmd": ["/bin/sh"]},
            "history": [
                {"created": "2026-01-02T03:04:05Z", "created_by": f"layer {i}"}
                for i in range(len(tars))
            ],
            "rootfs": {"type": "layers", "diff_ids": diff_ids},
        },
        separators=(",", ":"),
    ).encode()
    config_name = f"{sha256_bytes(config).hex}.json"
    names = [f"{sha256_bytes(raw).hex}/layer.tar" for raw in tars]
    manifest = json.dumps([{"Config": config_name, "RepoTags": [tag], "Layers": names}]).encode()
    with tarfile.open(path, mode="w", format=tarfile.GNU_FORMAT) as tar:
        for name, data in [(config_name, config), *zip(names, tars, strict=True),
                           ("manifest.json", manifest)]:  # fmt: skip
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return str(sha256_bytes(config))
