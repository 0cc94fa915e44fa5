"""Registry to registry, byte for byte: manifests, indexes and blobs keep their digests.

Nothing is decompressed or rewritten. A blob the destination has is skipped; one in
another repository of the same registry is mounted; any other is streamed through a
temporary file (so a dropped connection resumes and an upload can be retried). Blobs are
copied four at a time; the manifest is written once they are all there. An index
is copied whole with ``all_platforms`` (children first, by digest), else only the
manifest of the platform asked for is copied, under the tag.
"""

from __future__ import annotations

import io
import tempfile
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from dockyard.progress import Message
from dockyard.registry import FileSink, ImageIndex, ImageManifest, InvalidManifest

if TYPE_CHECKING:
    from dockyard.oci import Descriptor
    from dockyard.platforms import PlatformSpec
    from dockyard.progress import MessageCallback
    from dockyard.registry import Manifest, Repository

__all__ = ["MirrorResult", "mirror"]

#: Blobs copied at once.
_WORKERS = 4


@dataclass
class MirrorResult:
    """What a registry-to-registry copy did.

    Attributes:
        digest: the digest of the manifest (or index) written under the tag.
        blobs_sent: blobs uploaded.
        blobs_mounted: blobs mounted from another repository of the same registry.
        blobs_present: blobs the destination already had.
        bytes_sent: bytes uploaded.
        manifests: manifests written (children of an index included).
    """

    digest: str = ""
    blobs_sent: int = 0
    blobs_mounted: int = 0
    blobs_present: int = 0
    bytes_sent: int = 0
    manifests: list[str] = field(default_factory=list)


def mirror(
    source: Repository,
    target: Repository,
    ref: str,
    tag: str,
    *,
    platform: PlatformSpec,
    all_platforms: bool = False,
    messages: MessageCallback | None = None,
) -> MirrorResult:
    """Copy the manifest ``ref`` of ``source`` to ``target`` under ``tag``.

    Raises:
        ManifestUnknown: the source has no such manifest.
        PlatformNotFound: an index has no entry for ``platform`` (without
            ``all_platforms``).
        RegistryError: either registry refused.
    """
    result = MirrorResult()
    manifest = source.get_manifest(ref)
    if isinstance(manifest, ImageIndex):
        if all_platforms:
            for entry in manifest.manifests:
                child = source.get_manifest(str(entry.digest))
                _copy_manifest(source, target, child, str(child.digest), result, messages)
            result.digest = str(target.put_manifest(tag, manifest.raw, manifest.media_type))
            result.manifests.append(result.digest)
            return result
        entry = manifest.select(platform)
        manifest = source.get_manifest(str(entry.digest))
    _copy_manifest(source, target, manifest, tag, result, messages)
    result.digest = str(manifest.digest)
    return result


def _copy_manifest(
    source: Repository,
    target: Repository,
    manifest: Manifest,
    ref: str,
    result: MirrorResult,
    messages: MessageCallback | None,
) -> None:
    if not isinstance(manifest, ImageManifest):
        raise InvalidManifest("invalid manifest: an index entry points to another index")
    blobs = list({d.digest: d for d in (manifest.config, *manifest.layers)}.values())
    lock = threading.Lock()
    say = None
    if messages is not None:
        callback = messages

        def say(message: Message) -> None:
            with lock:
                callback(message)

    with ThreadPoolExecutor(max(1, min(_WORKERS, len(blobs)))) as pool:
        counts = [pool.submit(_copy_blob, source, target, d, say) for d in blobs]
        for future in counts:
            how, sent = future.result()
            result.blobs_sent += how == "Pushed"
            result.blobs_mounted += how.startswith("Mounted")
            result.blobs_present += how == "Layer already exists"
            result.bytes_sent += sent
    target.put_manifest(ref, manifest.raw, manifest.media_type)
    result.manifests.append(str(manifest.digest))


def _copy_blob(
    source: Repository,
    target: Repository,
    desc: Descriptor,
    messages: MessageCallback | None,
) -> tuple[str, int]:
    """One blob into the target: ``(what happened, bytes uploaded)``."""
    label = desc.digest.hex[:12]
    if target.stat_blob(desc.digest) is not None:
        return _said(messages, "Layer already exists", label), 0
    if source.host == target.host:
        pushed = target.upload_blob(io.BytesIO(b""), digest=desc.digest,
                                    mount_from=[source.name])  # fmt: skip
        if pushed.mounted_from:
            return _said(messages, f"Mounted from {source.name}", label), 0
    with tempfile.TemporaryDirectory(prefix="dockyard-copy-") as temp:
        path = Path(temp) / desc.digest.hex
        with FileSink(path) as sink:
            source.get_blob(desc.digest, sink, size=desc.size)
        with open(path, "rb") as data:
            target.upload_blob(data, digest=desc.digest, size=desc.size)
    return _said(messages, "Pushed", label), desc.size


def _said(messages: MessageCallback | None, status: str, label: str) -> str:
    if messages is not None:
        messages(Message(status, label, update=True))
    return status
