"""A docker-py-shaped Python API over a dockyard store: ``client.images`` and ``Image``.

Code written against docker-py's ``client.images`` / ``Image`` models works against a
store directory instead of a daemon::

    import dockyard
    from dockyard.api import images_of

    images = images_of(dockyard.open("/var/lib/dockyard"))
    img = images.get("busybox")
    img.tag("mirror/busybox", "1")
    for chunk in img.save(named=True): ...
    images.remove("mirror/busybox:1")

Errors are dockyard's typed errors rather than docker-py's; they map one to one:

=====================================================  ==================================
dockyard                                               docker-py
=====================================================  ==================================
:class:`~dockyard.errors.ImageNotFound`                ``docker.errors.ImageNotFound``
other :class:`~dockyard.errors.NotFoundError`          ``docker.errors.NotFound`` (404)
:class:`~dockyard.errors.ConflictError` (e.g. the      ``docker.errors.APIError`` with
rmi conflicts, :class:`~dockyard.service.tags.         status 409
ImageConflict`)
:class:`~dockyard.errors.InvalidArgumentError`         ``docker.errors.APIError`` with
(bad reference, bad filter, …)                         status 400 (``InvalidArgument``
                                                       for ``Image.save(named=…)``)
any other :class:`~dockyard.errors.DockyardError`      ``docker.errors.APIError`` (500)
=====================================================  ==================================

Messages are Docker's, so ``str(error)`` equals docker-py's ``explanation``.
"""

from __future__ import annotations

import builtins
import importlib
import io
import os
import tempfile
from collections.abc import Iterator, Mapping
from typing import IO, TYPE_CHECKING, Any

from dockyard._api_registry import split_repository_tag
from dockyard.errors import InvalidArgumentError
from dockyard.reference import parse_normalized_named
from dockyard.service.history import history
from dockyard.service.images import list_images
from dockyard.service.inspect import inspect_image
from dockyard.service.prune import prune_images
from dockyard.service.tags import remove_image, tag_image

if TYPE_CHECKING:
    from dockyard.client import Client
    from dockyard.progress import MessageCallback, ProgressCallback

__all__ = ["DEFAULT_CHUNK_SIZE", "Image", "ImageCollection", "images_of"]

#: docker-py's ``DEFAULT_DATA_CHUNK_SIZE`` (2 MiB).
DEFAULT_CHUNK_SIZE = 2 * 1024 * 1024


def images_of(client: Client, *, api_version: str = "v1.50") -> ImageCollection:
    """The ``client.images`` collection of a store.

    Args:
        client: an open store (``dockyard.open(root)``).
        api_version: the shape of :attr:`Image.attrs`: ``"v1.50"`` (Docker 28.x) or
            ``"v1.41"`` (Docker 20.10).
    """
    return ImageCollection(client, api_version=api_version)


class Image:
    """An image of the store, as docker-py's ``Image`` model.

    Attributes:
        attrs: the ``docker image inspect`` object (see
            :func:`~dockyard.service.inspect.inspect_image`).
        collection: the collection the image came from.
    """

    def __init__(self, attrs: dict[str, Any], collection: ImageCollection) -> None:
        self.attrs = attrs
        self.collection = collection

    @property
    def client(self) -> Client:
        """The store the image lives in."""
        return self.collection.client

    @property
    def id(self) -> str:
        """The image ID, ``sha256:<64 hex>``."""
        return str(self.attrs["Id"])

    @property
    def short_id(self) -> str:
        """``sha256:`` plus the first 12 hex digits (current docker-py)."""
        return self.id[:19] if self.id.startswith("sha256:") else self.id[:12]

    @property
    def tags(self) -> builtins.list[str]:
        """The image's tags (``RepoTags``)."""
        return [t for t in self.attrs.get("RepoTags") or [] if t != "<none>:<none>"]

    @property
    def labels(self) -> dict[str, str]:
        """The labels of the image's config (empty when none)."""
        config = self.attrs.get("Config") or {}
        return dict(config.get("Labels") or {})

    def history(self) -> builtins.list[dict[str, Any]]:
        """``docker history`` as the Engine API returns it (newest first).

        Raises:
            ImageNotFound: the image was removed meanwhile.
        """
        return [row.to_api() for row in history(self.client, self.id)]

    def reload(self) -> None:
        """Re-read :attr:`attrs` from the store.

        Raises:
            ImageNotFound: the image was removed meanwhile.
        """
        self.attrs = inspect_image(self.client, self.id, compat=self.collection.api_version)

    def tag(self, repository: str, tag: str | None = None, force: bool = False) -> bool:
        """Tag the image as ``repository:tag`` (``:latest`` when neither has a tag).

        An existing tag is moved, as Docker does; ``force`` is accepted for
        compatibility and has no effect.

        Returns:
            True.

        Raises:
            InvalidReference: the repository or tag is invalid.
        """
        del force
        target = repository
        if tag:
            named = parse_normalized_named(repository)
            target = named.trim().with_tag(tag).familiar_string()
        tag_image(self.client, self.id, target)
        return True

    def save(
        self, chunk_size: int | None = DEFAULT_CHUNK_SIZE, named: bool | str = False
    ) -> Iterator[bytes]:
        """Stream the image as a ``docker save`` archive.

        The archive is written to an anonymous temporary file (never held
        in memory) when the first chunk is asked for, then read back in chunks.

        Args:
            chunk_size: bytes per chunk (None: the whole archive as one chunk).
            named: False saves by ID (the archive has no tags); True saves by the first
                tag; a string saves by that tag, which must be one of :attr:`tags`.

        Returns:
            An iterator of byte chunks.

        Raises:
            InvalidArgumentError: ``named`` is a string that is not a tag of the image.
        """
        name = self.id
        if named:
            name = self.tags[0] if self.tags else name
            if isinstance(named, str):
                if named not in self.tags:
                    raise InvalidArgumentError(f"{named} is not a valid tag for this image")
                name = named
        return _stream_save(self.client, name, chunk_size)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Image) and other.id == self.id

    def __hash__(self) -> int:
        return hash(("Image", self.id))

    def __repr__(self) -> str:
        return "<Image: '{}'>".format("', '".join(self.tags))


class ImageCollection:
    """The images of a store, as docker-py's ``client.images``."""

    def __init__(self, client: Client, *, api_version: str = "v1.50") -> None:
        """Wrap ``client``; ``api_version`` chooses the shape of ``Image.attrs``."""
        self.client = client
        self.api_version = api_version

    def get(self, name: str) -> Image:
        """The image a name, tag, digest reference, ID or ID prefix designates.

        Raises:
            ImageNotFound: nothing matches (``No such image: <name>:latest``).
            InvalidReference: ``name`` is not a valid reference.
        """
        return Image(inspect_image(self.client, name, compat=self.api_version), self)

    def list(
        self,
        name: str | None = None,
        all: bool = False,
        filters: Mapping[str, Any] | None = None,
    ) -> builtins.list[Image]:
        """The images ``docker images`` lists, newest first.

        Args:
            name: only images whose reference matches this glob (the ``reference``
                filter, as docker-py passes it).
            all: also intermediate images.
            filters: ``dangling``, ``label``, ``before``, ``since``, ``reference``,
                ``until`` (see :func:`~dockyard.service.images.list_images`).

        Raises:
            InvalidFilter: an unknown filter or a bad value.
        """
        merged: dict[str, Any] = dict(filters or {})
        if name:
            merged["reference"] = name
        summaries = list_images(self.client, all=all, filters=merged)
        return [self.get(str(s.id)) for s in summaries]

    def load(
        self,
        data: bytes | IO[bytes] | str | os.PathLike[str],
        *,
        platform: str | None = None,
        progress: ProgressCallback | None = None,
    ) -> builtins.list[Image]:
        """Load a ``docker save`` archive (or an OCI layout archive).

        Args:
            data: the archive's bytes, a readable binary stream, or a path to it
                (compressed input is recognised).
            platform: ``os/arch[/variant]`` to select from multi-platform archives.
            progress: a per-layer progress callback.

        Returns:
            The images of the archive.

        Raises:
            InvalidArchive: the archive is malformed.
        """
        from dockyard.archive.load import load

        source: Any = io.BytesIO(data) if isinstance(data, (bytes, bytearray)) else data
        result = load(self.client, source, platform=platform, progress=progress)
        return [self.get(str(image.id)) for image in result.images]

    def remove(
        self, image: str, force: bool = False, noprune: bool = False
    ) -> builtins.list[dict[str, str]]:
        """Remove an image or reference (``docker rmi``).

        Returns:
            docker-py's list of ``{"Untagged": …}`` / ``{"Deleted": …}`` objects.

        Raises:
            ImageNotFound: ``image`` names no image.
            ImageConflict: Docker's ``conflict: unable to delete …`` refusals.
        """
        events = remove_image(self.client, image, force=force, prune=not noprune)
        return [event.to_api() for event in events]

    def prune(self, filters: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """Remove unused images (dangling ones unless ``filters={"dangling": False}``).

        Returns:
            ``{"ImagesDeleted": [...] or None, "SpaceReclaimed": n}``.

        Raises:
            InvalidFilter: an unknown filter or a bad value.
        """
        return prune_images(self.client, filters=filters).to_api()

    def pull(
        self,
        repository: str,
        tag: str | None = None,
        all_tags: bool = False,
        *,
        platform: str | None = None,
        auth_config: Mapping[str, Any] | None = None,
        messages: MessageCallback | None = None,
        progress: ProgressCallback | None = None,
    ) -> Image | builtins.list[Image]:
        """Pull an image from a registry (``docker pull``), as docker-py's.

        Args:
            repository: the repository, possibly with ``:tag`` or ``@digest``.
            tag: the tag or digest (default: the one in ``repository``, else ``latest``).
            all_tags: pull every tag of the repository; returns a list.
            platform: ``os/arch[/variant]`` to pick from a multi-platform image.
            auth_config: ``{"username": …, "password": …}`` for this pull only.
            messages: receives Docker's messages (:meth:`Message.to_json` gives the
                Engine API's JSON).
            progress: receives byte progress of each layer.

        Raises:
            ManifestUnknown: ``manifest for <ref> not found: manifest unknown: …``.
            Unauthorized, RegistryError: what the registry said.
        """
        from dockyard._api_registry import pull_images

        results = pull_images(self.client, repository, tag, all_tags=all_tags,
                              platform=platform, auth_config=auth_config, messages=messages,
                              progress=progress)  # fmt: skip
        if not all_tags:
            return self.get(str(results[0].image_id))
        return self.list(split_repository_tag(repository)[0])

    def push(
        self,
        repository: str,
        tag: str | None = None,
        *,
        stream: bool = False,
        decode: bool = False,
        auth_config: Mapping[str, Any] | None = None,
        progress: ProgressCallback | None = None,
    ) -> str | Iterator[bytes] | Iterator[dict[str, Any]]:
        """Push an image to a registry (``docker push``), as docker-py's.

        Args:
            repository: the repository, possibly with ``:tag``.
            tag: the tag; with neither, every tag of the repository is pushed.
            stream: return an iterator of the Engine API's JSON messages as they happen.
            decode: with ``stream``, yield dicts instead of JSON lines.
            auth_config: ``{"username": …, "password": …}`` for this push only.
            progress: receives byte progress of each layer.

        Returns:
            The whole JSON message stream as a string (Docker's CRLF-separated
            messages, ending with the ``aux`` message of each tag: ``Tag``, ``Digest``,
            ``Size``), or the iterator when ``stream``.

        Raises:
            ImageNotLocal: the tag is not in the store. Unlike docker-py, whose push
            reports a failure only inside the stream, a failed push raises its typed
            error (after the messages before it, when streaming).
        """
        from dockyard._api_registry import encode_message, push_messages

        messages = push_messages(self.client, repository, tag, auth_config=auth_config,
                                 progress=progress)  # fmt: skip
        if stream and decode:
            return (m.to_json() for m in messages)
        if stream:
            return (encode_message(m) for m in messages)
        return b"".join(encode_message(m) for m in messages).decode("utf-8", "replace")

    def import_(
        self,
        source: IO[bytes] | str | os.PathLike[str],
        repository: str | None = None,
        tag: str | None = None,
        *,
        changes: builtins.list[str] | tuple[str, ...] = (),
        message: str = "",
        platform: str | None = None,
    ) -> Image:
        """Import a root filesystem tarball as a new image (``docker import``).

        Args:
            source: a path or a readable binary stream of the tarball.
            repository: the repository (or ``repo:tag``) to tag the image with.
            tag: the tag, when not part of ``repository``.
            changes: Dockerfile instructions applied to the config (``--change``).
            message: the commit message.
            platform: ``os[/arch[/variant]]`` of the image.

        Returns:
            The new image.
        """
        from dockyard.service.imports import import_image

        reference = repository
        if repository and tag:
            reference = parse_normalized_named(repository).trim().with_tag(tag).familiar_string()
        image_id = import_image(
            self.client,
            source,
            reference,
            changes=tuple(changes),
            message=message,
            platform=platform,
        )
        return self.get(str(image_id))


def _stream_save(client: Client, name: str, chunk_size: int | None) -> Iterator[bytes]:
    """Save ``name`` into an anonymous temporary file, then yield it."""
    # Imported by name: the saver is optional at import time of this module.
    save: Any = importlib.import_module("dockyard.archive.save").save
    with tempfile.TemporaryFile(prefix="dockyard-save-") as spool:
        save(client, [name], spool)
        spool.seek(0)
        size = chunk_size if chunk_size and chunk_size > 0 else -1
        while chunk := spool.read(size):
            yield chunk
