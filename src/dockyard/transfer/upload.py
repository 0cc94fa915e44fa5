"""A registry as a sink: an image's layers pushed, sending none the registry already has.

For each layer the store's distribution metadata (:mod:`dockyard.store.distribution`)
names the blobs it is known as and where: a blob known in the target repository is
checked with a ``HEAD`` (``Layer already exists``); one known in another repository of the
same registry is mounted from there (``Mounted from …``); otherwise the layer is
compressed once — deterministically, with the step save uses — and uploaded (``Pushed``).
The manifest is Docker's schema 2, laid out as Docker writes it.
"""

from __future__ import annotations

import io
import json
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import IO, TYPE_CHECKING

from dockyard.compression import Compression
from dockyard.digest import sha256_bytes
from dockyard.layer.model import open_payload
from dockyard.oci import Descriptor
from dockyard.progress import Message, Progress
from dockyard.registry import MEDIA_TYPE_DOCKER_MANIFEST
from dockyard.transfer.compress import compress_to_file
from dockyard.transfer.model import LocalLayer

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from dockyard.digest import DiffID, Digest
    from dockyard.progress import MessageCallback
    from dockyard.registry import Repository
    from dockyard.store.distribution import V2Metadata

__all__ = [
    "CONCURRENT_UPLOADS",
    "MEDIA_TYPE_DOCKER_CONFIG",
    "MEDIA_TYPE_DOCKER_LAYER",
    "LocalLayer",
    "PushedImage",
    "PushedLayer",
    "docker_manifest",
    "push_image",
    "push_layers",
]

#: Layers uploaded at once (dockerd's ``max-concurrent-uploads`` default).
CONCURRENT_UPLOADS = 5
MEDIA_TYPE_DOCKER_CONFIG = "application/vnd.docker.container.image.v1+json"
MEDIA_TYPE_DOCKER_LAYER = "application/vnd.docker.image.rootfs.diff.tar.gzip"


@dataclass
class PushedLayer:
    """How a layer ended up in the repository.

    Attributes:
        layer: the layer.
        descriptor: its blob there (compressed digest and size).
        how: ``Pushed``, ``Layer already exists`` or ``Mounted from <repository>``.
        sent: bytes uploaded (0 when it existed or was mounted).
    """

    layer: LocalLayer
    descriptor: Descriptor
    how: str
    sent: int = 0
    metadata: list[V2Metadata] = field(default_factory=list)


def push_layers(
    repository: Repository,
    layers: list[LocalLayer],
    known: Callable[[DiffID], list[V2Metadata]],
    scratch: Path,
    *,
    messages: MessageCallback | None = None,
    progress: Callable[[Progress], None] | None = None,
) -> list[PushedLayer]:
    """Make every layer a blob of ``repository`` (see the module docstring).

    Args:
        repository: where to push.
        layers: the layers, base first.
        known: where each layer is known to be, by DiffID (the store's distribution
            metadata; nothing for a source without history).
        scratch: where compressed layers wait for their upload.
        messages: Docker's status lines.
        progress: byte progress of the uploads.

    Returns:
        One :class:`PushedLayer` per layer, in the given order.

    Raises:
        RegistryError: the registry refused an upload or a mount.
        LayerVerificationError: a stored layer does not match its DiffID.
    """
    say = _Locked(messages)
    for layer in reversed(layers):
        say(Message("Preparing", layer.label, update=True))
    for layer in list(reversed(layers))[CONCURRENT_UPLOADS:]:
        say(Message("Waiting", layer.label, update=True))
    unique = {layer.diff_id: layer for layer in layers}
    with ThreadPoolExecutor(min(CONCURRENT_UPLOADS, max(1, len(unique)))) as pool:
        futures = {
            diff: pool.submit(_push_one, repository, layer, known, scratch, say, progress)
            for diff, layer in unique.items()
        }
        done = {diff: future.result() for diff, future in futures.items()}
    return [done[layer.diff_id] for layer in layers]


class _Locked:
    """Messages from several upload threads, one at a time."""

    def __init__(self, callback: MessageCallback | None) -> None:
        self._callback = callback
        self._lock = threading.Lock()

    def __call__(self, message: Message) -> None:
        if self._callback is not None:
            with self._lock:
                self._callback(message)


def _push_one(
    repository: Repository,
    layer: LocalLayer,
    known_at: Callable[[DiffID], list[V2Metadata]],
    scratch: Path,
    say: _Locked,
    progress: Callable[[Progress], None] | None,
) -> PushedLayer:
    target = str(repository.reference.trim())
    host = repository.reference.domain
    known = [m for m in reversed(known_at(layer.diff_id))
             if m.source_repository.split("/", 1)[0] == host]  # fmt: skip
    for entry in known:
        if entry.source_repository == target:
            info = repository.stat_blob(entry.digest)
            if info is not None and info.size is not None:
                return _done(say, layer, entry.digest, info.size, "Layer already exists")
    for entry in known:
        if entry.source_repository == target:
            continue
        source = entry.source_repository.split("/", 1)[1]
        pushed = repository.upload_blob(_empty(), digest=entry.digest, size=None,
                                        mount_from=[source])  # fmt: skip
        if pushed.mounted_from:
            info = repository.stat_blob(entry.digest)
            if info is not None and info.size is not None:
                return _done(say, layer, entry.digest, info.size, f"Mounted from {source}")
    with open_payload(layer.payload, layer.diff_id) as stream:
        blob = compress_to_file(stream, scratch, Compression.GZIP)
    try:
        info = repository.stat_blob(blob.digest)
        if info is not None:
            return _done(say, layer, blob.digest, blob.size, "Layer already exists")
        with open(blob.path, "rb") as data:
            pushed = repository.upload_blob(
                data, digest=blob.digest, size=blob.size, progress=_relabel(progress, layer)
            )
    finally:
        blob.path.unlink(missing_ok=True)
    result = _done(say, layer, pushed.digest, blob.size, "Pushed")
    result.sent = blob.size
    return result


def _done(say: _Locked, layer: LocalLayer, digest: Digest, size: int, how: str) -> PushedLayer:
    say(Message(how, layer.label, update=True))
    return PushedLayer(layer, Descriptor(MEDIA_TYPE_DOCKER_LAYER, digest, size), how)


def _empty() -> IO[bytes]:
    return io.BytesIO(b"")


def _relabel(
    progress: Callable[[Progress], None] | None, layer: LocalLayer
) -> Callable[[Progress], None] | None:
    if progress is None:
        return None

    def report(event: Progress) -> None:
        progress(Progress("Pushing", layer.label, event.current, event.total, done=event.done))

    return report


def docker_manifest(config: Descriptor, layers: list[Descriptor]) -> bytes:
    """A Docker schema 2 manifest, laid out as Docker writes it (3-space indent)."""
    doc = {
        "schemaVersion": 2,
        "mediaType": MEDIA_TYPE_DOCKER_MANIFEST,
        "config": {
            "mediaType": config.media_type,
            "size": config.size,
            "digest": str(config.digest),
        },
        "layers": [
            {"mediaType": d.media_type, "size": d.size, "digest": str(d.digest)} for d in layers
        ],
    }
    return json.dumps(doc, indent=3).encode()


@dataclass
class PushedImage:
    """An image now in a repository.

    Attributes:
        digest: its manifest's digest.
        size: the manifest's length.
        layers: how each layer got there, base first.
    """

    digest: Digest
    size: int
    layers: list[PushedLayer]

    @property
    def sent(self) -> int:
        """Layer bytes uploaded."""
        return sum(p.sent for p in self.layers)


def push_image(
    repository: Repository,
    tag: str,
    config: bytes,
    layers: list[LocalLayer],
    scratch: Path,
    *,
    known: Callable[[DiffID], list[V2Metadata]] = lambda _diff: [],
    messages: MessageCallback | None = None,
    progress: Callable[[Progress], None] | None = None,
) -> PushedImage:
    """The registry as a sink: the layers, the config, then the manifest under ``tag``.

    Layers go as :func:`push_layers` sends them; Docker's ``TAG: digest: … size: N``
    line and the ``aux`` message follow the manifest.

    Raises:
        RegistryError: the registry refused something.
        LayerVerificationError: a layer file does not match its DiffID.
    """
    pushed = push_layers(repository, layers, known, scratch, messages=messages,
                         progress=progress)  # fmt: skip
    config_digest = sha256_bytes(config)
    if repository.stat_blob(config_digest) is None:
        repository.upload_blob(io.BytesIO(config), digest=config_digest, size=len(config))
    config_desc = Descriptor(MEDIA_TYPE_DOCKER_CONFIG, config_digest, len(config))
    manifest = docker_manifest(config_desc, [p.descriptor for p in pushed])
    digest = repository.put_manifest(tag, manifest, MEDIA_TYPE_DOCKER_MANIFEST)
    if messages is not None:
        messages(Message(f"{tag}: digest: {digest} size: {len(manifest)}"))
        messages(Message("", aux={"Tag": tag, "Digest": str(digest), "Size": len(manifest)}))
    return PushedImage(digest, len(manifest), pushed)
