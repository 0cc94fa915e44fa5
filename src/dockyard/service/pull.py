"""``docker pull``: an image from a registry into the store, with Docker's output.

The manifest (or the platform's entry of an index) and the config are read first; the
layers the store lacks are downloaded in parallel (three at a time, as Docker does),
verified, resumable, and decompressed into a staging area outside the writer lock; then
one transaction adds layers, image, tag and digest reference, and records where every
layer came from (Docker's distribution metadata) so that a later push to that registry
sends no layer it already has. A pull that fails leaves the store as it was.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from dockyard.digest import Digest, ImageID, sha256_bytes
from dockyard.errors import InvalidArgumentError
from dockyard.platforms import host_platform, parse_platform
from dockyard.progress import Message
from dockyard.reference import Reference, parse_normalized_named
from dockyard.registry.errors import NoBasicAuthCredentials
from dockyard.store.distribution import V2Metadata, add_metadata
from dockyard.store.downloads import Downloads
from dockyard.transfer.remote import fetch_image
from dockyard.transfer.sink import StoreSink

if TYPE_CHECKING:
    from dockyard.client import Client
    from dockyard.platforms import PlatformSpec
    from dockyard.progress import MessageCallback, ProgressCallback
    from dockyard.registry import RegistryClient, Repository
    from dockyard.store.txn import Transaction
    from dockyard.store.view import View
    from dockyard.transfer.model import SourceLayer
    from dockyard.transfer.remote import RemoteImage, RemoteLayer

__all__ = ["CONCURRENT_DOWNLOADS", "PullResult", "pull"]

#: Layers downloaded at once (dockerd's ``max-concurrent-downloads`` default).
CONCURRENT_DOWNLOADS = 3


@dataclass
class PullResult:
    """What one pull did.

    Attributes:
        reference: the full reference pulled (``docker.io/library/busybox:latest``).
        image_id: the image's ID.
        digest: the manifest's digest.
        downloaded: False when the reference already pointed to this image.
        layers_downloaded: how many layers were fetched.
        lines: Docker's output lines (the same text the messages carried).
    """

    reference: str
    image_id: ImageID
    digest: Digest
    downloaded: bool
    layers_downloaded: int = 0
    lines: list[str] = field(default_factory=list)


def pull(
    client: Client,
    name: str,
    *,
    registry: RegistryClient,
    platform: str | None = None,
    all_tags: bool = False,
    messages: MessageCallback | None = None,
    progress: ProgressCallback | None = None,
) -> list[PullResult]:
    """Pull ``name`` (``NAME[:TAG|@DIGEST]``) as ``docker pull`` does.

    Args:
        client: the store.
        name: the image; ``:latest`` when it has neither tag nor digest.
        registry: the registry client (credentials, TLS, retries).
        platform: ``os/arch[/variant]`` to choose from an index (default: this machine).
        all_tags: every tag of the repository (``-a``; ``name`` must have no tag).
        messages: receives Docker's status lines as they happen.
        progress: receives byte progress of the downloads.

    Returns:
        One result per tag pulled.

    Raises:
        InvalidReference: ``name`` is not a valid reference.
        ManifestUnknown: ``manifest for <ref> not found: manifest unknown: …``.
        PlatformNotFound: an index has no entry for the platform.
        RegistryError: anything else the registry said.
        StorageError: the store cannot be written.
    """
    ref = parse_normalized_named(name)
    wanted = parse_platform(platform) if platform else host_platform()
    if all_tags:
        if not ref.is_name_only():
            raise InvalidArgumentError("tag can't be used with --all-tags/-a")
        repository = registry.repository(ref)
        refs = [ref.with_tag(tag) for tag in repository.list_tags()]  # the registry's order
    else:
        refs = [ref.tag_name_only()]
    say = _Say(messages)
    results = [_pull_one(client, registry, r, wanted, say, progress, every=all_tags) for r in refs]
    if all_tags and results:
        # Docker's last lines name the repository, not a tag.
        status = "Downloaded newer image" if any(r.downloaded for r in results) else (
            "Image is up to date")  # fmt: skip
        say(Message(f"Status: {status} for {ref.familiar_name()}"))
    return results


class _Say:
    """Sends messages to the caller and keeps the lines of the current pull."""

    def __init__(self, callback: MessageCallback | None) -> None:
        self.callback = callback
        self.lines: list[str] = []

    def __call__(self, message: Message) -> None:
        if message.current is None:
            self.lines.append(message.line)
        if self.callback is not None:
            self.callback(message)


def _pull_one(
    client: Client,
    registry: RegistryClient,
    ref: Reference,
    platform: PlatformSpec,
    say: _Say,
    progress: ProgressCallback | None,
    *,
    every: bool = False,
) -> PullResult:
    say.lines = []
    repository = registry.repository(ref)
    tag_or_digest = str(ref.digest) if ref.digest is not None else ref.tag or "latest"
    try:
        manifest = repository.get_image_manifest(tag_or_digest, platform)
    except NoBasicAuthCredentials as exc:  # Docker asks with HEAD first, and says so
        raise exc.with_message(f'Head "{exc.url}": {exc}') from None
    say(Message(f"Pulling from {ref.path}", tag_or_digest))  # once the manifest is known
    downloads = Downloads(client.layout)
    remote = fetch_image(repository, manifest, downloads, messages=say, progress=progress)
    image_id = ImageID(sha256_bytes(remote.config))
    source = remote.source_image()
    with client.view() as view:
        present = view.image(image_id) is not None
    with client.staging() as staging:
        sink = StoreSink(client, staging)
        missing = sink.missing([source])
        if not present:  # Docker says nothing about the layers of an image it has
            _announce(remote.layers, missing, say)
        sink.stage(missing, workers=CONCURRENT_DOWNLOADS)
        with client.transaction() as tx:
            before = _current(tx.view, ref, manifest.digest)
            sink.put(tx, [source])
            _record_origin(tx, remote, repository)
            if ref.digest is None:
                tx.add_tag(ref, image_id, force=True)
            tx.add_digest(ref.trim().with_digest(manifest.digest), image_id, force=True)
    for remote_layer in remote.layers:
        if remote_layer in missing:
            say(Message("Pull complete", remote_layer.label, update=True))
            downloads.remove(remote_layer.descriptor.digest)
    downloaded = before != image_id
    say(Message(f"Digest: {manifest.digest}"))
    if not every:  # with -a, one status line for the whole repository ends the pull
        status = "Downloaded newer image" if downloaded else "Image is up to date"
        say(Message(f"Status: {status} for {ref.familiar_string()}"))
    return PullResult(str(ref), image_id, manifest.digest, downloaded, len(missing), say.lines)


def _announce(layers: list[RemoteLayer], missing: list[SourceLayer], say: _Say) -> None:
    """Docker's first line per layer, then ``Waiting`` past the downloads running at once."""
    for layer in layers:
        status = "Pulling fs layer" if layer in missing else "Already exists"
        say(Message(status, layer.label, update=True))
    for waiting in missing[CONCURRENT_DOWNLOADS:]:
        say(Message("Waiting", waiting.label, update=True))


def _current(view: View, ref: Reference, digest: Digest) -> str:
    """The image the pulled reference pointed to before (to tell "up to date")."""
    target = ref if ref.digest is None else ref.trim().with_digest(digest)
    found = view.lookup(target)
    return str(found) if found is not None else ""


def _record_origin(tx: Transaction, remote: RemoteImage, repository: Repository) -> None:
    """Docker's distribution metadata: each layer's blob and the repository it came from."""
    source = str(repository.reference.trim())
    for layer in remote.layers:
        add_metadata(tx, layer.diff_id, V2Metadata(layer.descriptor.digest, source))
