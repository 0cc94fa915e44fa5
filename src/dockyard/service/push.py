"""``docker push``: an image of the store into a registry, with Docker's output.

Layers the registry already has (known from a pull or an earlier push) are checked or
mounted, not uploaded (see :mod:`dockyard.transfer.upload`); the others are compressed
once, deterministically, and uploaded in parallel. Afterwards the store records where each
layer now is and the pushed manifest's digest (``RepoDigests``), so that the next push of
the same image sends no layer and yields the same manifest digest.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from dockyard.digest import Digest, ImageID
from dockyard.errors import InvalidArgumentError, NotFoundError, StoreReadOnly
from dockyard.progress import Message
from dockyard.reference import Reference, parse_normalized_named
from dockyard.service._workspace import scratch_dir
from dockyard.store.distribution import (
    V2Metadata,
    add_metadata,
    hmac_key,
    read_metadata,
    tagged,
)
from dockyard.transfer.store_source import local_layers, store_images
from dockyard.transfer.upload import PushedLayer, push_image

if TYPE_CHECKING:
    from collections.abc import Mapping

    from dockyard.client import Client
    from dockyard.progress import MessageCallback, ProgressCallback
    from dockyard.registry import RegistryClient

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
        (source,) = store_images(view, [image_id])
    layers = local_layers(source)
    repository = registry.repository(ref)
    layout = client.layout
    with scratch_dir(client) as scratch:
        pushed = push_image(repository, ref.tag or "latest", source.config, layers, scratch,
                            known=lambda diff: read_metadata(layout, diff), messages=say,
                            progress=progress)  # fmt: skip
    _record(client, ref, image_id, pushed.digest, pushed.layers, key)
    return PushResult(str(ref), image_id, pushed.digest, pushed.size, pushed.sent,
                      say.lines[first:])  # fmt: skip


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
