"""``docker push``: an image of the store into a registry, with Docker's output.

Layers the registry already has (known from a pull or an earlier push) are checked or
mounted, not uploaded (see :mod:`dockyard.transfer.upload`); the others are compressed
once, deterministically, and uploaded in parallel. Afterwards the store records where each
layer now is and the pushed manifest's digest (``RepoDigests``), so that the next push of
the same image sends no layer and yields the same manifest digest.
"""

from __future__ import annotations

import contextlib
import io
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from dockyard.digest import Digest, ImageID, chain_ids, sha256_bytes
from dockyard.errors import InvalidArgumentError, LayerNotFound, NotFoundError, StoreReadOnly
from dockyard.image import Image
from dockyard.oci import Descriptor
from dockyard.progress import Message
from dockyard.reference import Reference, parse_normalized_named
from dockyard.registry import MEDIA_TYPE_DOCKER_MANIFEST
from dockyard.store.distribution import V2Metadata, add_metadata, hmac_key, tagged
from dockyard.transfer.upload import (
    MEDIA_TYPE_DOCKER_CONFIG,
    LocalLayer,
    PushedLayer,
    docker_manifest,
    push_layers,
)

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping

    from dockyard.client import Client
    from dockyard.progress import MessageCallback, ProgressCallback
    from dockyard.registry import RegistryClient
    from dockyard.store.view import View

__all__ = ["ImageNotLocal", "PushResult", "push"]


class ImageNotLocal(NotFoundError):
    """The tag to push is not in the store (Docker's wording)."""

    def __init__(self, name: str) -> None:
        super().__init__(f"An image does not exist locally with the tag: {name}")


@dataclass
class PushResult:
    """What one push did.

    Attributes:
        reference: the full reference pushed.
        image_id: the image pushed.
        digest: the manifest's digest.
        size: the manifest's size.
        bytes_sent: layer bytes uploaded (0 when the registry had every layer).
        lines: Docker's output lines.
    """

    reference: str
    image_id: ImageID
    digest: Digest
    size: int
    bytes_sent: int = 0
    lines: list[str] = field(default_factory=list)


def push(
    client: Client,
    name: str,
    *,
    registry: RegistryClient,
    all_tags: bool = False,
    auth: Mapping[str, str] | None = None,
    messages: MessageCallback | None = None,
    progress: ProgressCallback | None = None,
) -> list[PushResult]:
    """Push ``name`` (``NAME[:TAG]``; ``:latest`` when no tag) as ``docker push`` does.

    Args:
        client: the store.
        name: the image to push.
        registry: the registry client (credentials, TLS, retries).
        all_tags: every tag of the repository in the store (``-a``).
        auth: the credentials used, for the HMAC Docker puts on distribution metadata.
        messages: receives Docker's status lines as they happen.
        progress: receives byte progress of the uploads.

    Returns:
        One result per tag pushed.

    Raises:
        ImageNotLocal: the tag is not in the store.
        InvalidReference: ``name`` is not valid.
        RegistryError: the registry refused (``denied: requested access …``).
    """
    ref = parse_normalized_named(name)
    if ref.digest is not None:
        raise InvalidArgumentError("cannot push a digest reference")
    if all_tags and ref.tag is not None:
        raise InvalidArgumentError("tag can't be used with --all-tags/-a")
    say = _Say(messages)
    say(Message(f"The push refers to repository [{ref.name()}]"))
    if all_tags:
        with client.view() as view:
            rows = [r for r in view.repository(ref.familiar_name()) if not r.is_digest]
        refs = [parse_normalized_named(r.full) for r in rows]
        if not refs:
            raise ImageNotLocal(ref.familiar_name())
    else:
        refs = [ref.tag_name_only()]
    key = hmac_key(dict(auth) if auth else None)
    return [_push_one(client, registry, r, say, progress, key) for r in refs]


class _Say:
    def __init__(self, callback: MessageCallback | None) -> None:
        self.callback = callback
        self.lines: list[str] = []

    def __call__(self, message: Message) -> None:
        if message.current is None and message.aux is None:
            self.lines.append(message.line)
        if self.callback is not None:
            self.callback(message)


def _push_one(
    client: Client,
    registry: RegistryClient,
    ref: Reference,
    say: _Say,
    progress: ProgressCallback | None,
    key: bytes,
) -> PushResult:
    first = len(say.lines)
    with client.view() as view:
        image_id = view.lookup(ref)
        if image_id is None or view.image(image_id) is None:
            raise ImageNotLocal(ref.familiar_name())  # Docker names the repository only
        config = view.config(image_id)
        image = Image.from_json(config)
        layers = _local_layers(view, image)
    repository = registry.repository(ref)
    with _scratch(client) as scratch:
        pushed = push_layers(repository, layers, client.layout, scratch,
                             messages=say, progress=progress)  # fmt: skip
    config_digest = sha256_bytes(config)
    if repository.stat_blob(config_digest) is None:
        repository.upload_blob(io.BytesIO(config), digest=config_digest, size=len(config))
    config_desc = Descriptor(MEDIA_TYPE_DOCKER_CONFIG, config_digest, len(config))
    manifest = docker_manifest(config_desc, [p.descriptor for p in pushed])
    digest = repository.put_manifest(ref.tag or "latest", manifest, MEDIA_TYPE_DOCKER_MANIFEST)
    say(Message(f"{ref.tag}: digest: {digest} size: {len(manifest)}"))
    say(Message("", aux={"Tag": ref.tag, "Digest": str(digest), "Size": len(manifest)}))
    _record(client, ref, image_id, digest, pushed, key)
    sent = sum(p.sent for p in pushed)
    return PushResult(str(ref), image_id, digest, len(manifest), sent, say.lines[first:])


def _local_layers(view: View, image: Image) -> list[LocalLayer]:
    out = []
    diff_ids = list(image.rootfs.diff_ids) if image.rootfs is not None else []
    for diff, chain in zip(diff_ids, chain_ids(diff_ids), strict=True):
        row = view.layer(chain)
        if row is None:
            raise LayerNotFound(str(chain))
        payload = view.payload(row)
        out.append(LocalLayer(diff, payload, payload.stat().st_size))
    return out


@contextlib.contextmanager
def _scratch(client: Client) -> Iterator[Path]:
    """Where compressed layers wait for their upload.

    The store's scratch space, or the system's temporary directory when the store cannot
    be written.
    """
    try:
        area = client.scratch()
    except StoreReadOnly:
        with tempfile.TemporaryDirectory(prefix="dockyard-push-") as temp:
            yield Path(temp)
        return
    with area:
        yield area.path


def _record(
    client: Client,
    ref: Reference,
    image_id: ImageID,
    digest: Digest,
    pushed: list[PushedLayer],
    key: bytes,
) -> None:
    """Where the layers now are, and the pushed digest (skipped on a read-only store)."""
    target = str(ref.trim())
    with contextlib.suppress(StoreReadOnly), client.transaction() as tx:
        for item in pushed:
            entry = tagged(V2Metadata(item.descriptor.digest, target), key)
            add_metadata(tx, item.layer.diff_id, entry)
        tx.add_digest(ref.trim().with_digest(digest), image_id, force=True)
