"""``dockyard copy SRC DST``: an image from any medium to any other, skopeo's way of naming.

Transports: ``docker://NAME`` (a registry), ``docker-archive:PATH[:NAME]`` (a ``docker
save`` archive), ``oci:PATH[:TAG]`` (an OCI layout directory), ``oci-archive:PATH[:TAG]``
(an OCI layout archive) and ``dockyard:NAME`` (this store).

Every medium is a source and a sink of one vocabulary (:mod:`dockyard.transfer`): the
source offers the image (config and layers), the sink takes the layers it lacks — the
store in one transaction, an archive writer and a registry as local files
(:func:`~dockyard.transfer.model.localize`: the store's own file, else the layer staged
in the store's scratch space). So ``load``, ``save``, ``pull`` and ``push`` are the copies
archive→store, store→archive, registry→store and store→registry, and a copy between two
other media never touches the store's images. A registry-to-registry copy keeps every
byte and digest (see :mod:`dockyard.transfer.mirror`).
"""

from __future__ import annotations

import contextlib
import os
import tarfile
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING

from dockyard.errors import InvalidArgumentError
from dockyard.platforms import host_platform, parse_platform
from dockyard.reference import parse_normalized_named
from dockyard.service._workspace import staging_area

if TYPE_CHECKING:
    from collections.abc import Iterator

    from dockyard.client import Client
    from dockyard.digest import DiffID, Digest
    from dockyard.progress import MessageCallback, ProgressCallback
    from dockyard.registry import RegistryClient
    from dockyard.store.layout import Layout
    from dockyard.store.staging import StagingArea
    from dockyard.transfer.model import LocalLayer, SourceImage, SourceLayer

__all__ = ["Endpoint", "copy_image", "parse_endpoint"]

TRANSPORTS = ("docker", "docker-archive", "oci", "oci-archive", "dockyard")


@dataclass(frozen=True)
class Endpoint:
    """One side of a copy.

    Attributes:
        transport: one of :data:`TRANSPORTS`.
        path: the archive or layout path ("" for ``docker`` and ``dockyard``).
        name: the image name (a reference), or "" when the transport allows none.
    """

    transport: str
    path: str = ""
    name: str = ""


def parse_endpoint(text: str) -> Endpoint:
    """Parse ``transport:details`` as skopeo does.

    Raises:
        InvalidArgumentError: an unknown transport or a missing part.
    """
    transport, sep, rest = text.partition(":")
    if not sep or transport not in TRANSPORTS:
        raise InvalidArgumentError(
            f"invalid image name {text!r}: expected TRANSPORT:DETAILS with TRANSPORT one of "
            + ", ".join(TRANSPORTS)
        )
    if transport == "docker":
        if not rest.startswith("//") or not rest[2:]:
            raise InvalidArgumentError(f"invalid image name {text!r}: use docker://NAME")
        return Endpoint("docker", name=rest[2:])
    if transport == "dockyard":
        if not rest:
            raise InvalidArgumentError(f"invalid image name {text!r}: use dockyard:NAME")
        return Endpoint("dockyard", name=rest)
    path, _, name = rest.partition(":")
    if not path:
        raise InvalidArgumentError(f"invalid image name {text!r}: the path is missing")
    return Endpoint(transport, path=path, name=name)


def copy_image(
    client: Client,
    src: str,
    dst: str,
    *,
    registry: RegistryClient,
    all_platforms: bool = False,
    platform: str | None = None,
    messages: MessageCallback | None = None,
    progress: ProgressCallback | None = None,
) -> str:
    """Copy one image from ``src`` to ``dst`` (see the module docstring).

    Returns:
        A one-line summary: what was copied where (with the manifest digest for a
        registry).

    Raises:
        InvalidArgumentError: a malformed endpoint, or a combination that cannot work.
        DockyardError: what reading the source or writing the target raised; nothing
            is left half-written (archives are written atomically, the store commits
            all or nothing, a registry gets the manifest last).
    """
    source, target = parse_endpoint(src), parse_endpoint(dst)
    wanted = parse_platform(platform) if platform else host_platform()
    if source.transport == "docker" and target.transport == "docker":
        from dockyard.transfer.mirror import mirror

        ref = parse_normalized_named(source.name).tag_name_only()
        dest = parse_normalized_named(target.name).tag_name_only()
        result = mirror(
            registry.repository(ref), registry.repository(dest),
            str(ref.digest) if ref.digest else ref.tag or "latest", dest.tag or "latest",
            platform=wanted, all_platforms=all_platforms, messages=messages,
        )  # fmt: skip
        return f"Copied {src} to {dst}: {result.digest}"
    if all_platforms:
        raise InvalidArgumentError("--all copies whole indexes between registries only")
    ctx = _Copy(client, registry, platform, messages, progress)
    with staging_area(client) as (staging, layout), contextlib.ExitStack() as stack:
        ctx.staging, ctx.layout = staging, layout
        image, name = ctx.open_source(source, stack)
        done = ctx.write(target, image, name)
        ctx.cleanup()
    return f"Copied {src} to {dst}: {done}"


class _Copy:
    """One copy: the source opened, the target written, on one staging area."""

    def __init__(
        self,
        client: Client,
        registry: RegistryClient,
        platform: str | None,
        messages: MessageCallback | None,
        progress: ProgressCallback | None,
    ) -> None:
        self.client = client
        self.registry = registry
        self.platform = platform
        self.messages = messages
        self.progress = progress
        self.staging: StagingArea
        self.layout: Layout
        self.downloaded: list[Digest] = []

    # --- sources --------------------------------------------------------------------

    def open_source(
        self, source: Endpoint, stack: contextlib.ExitStack
    ) -> tuple[SourceImage, str]:
        """The source's image and the name it comes with ("" when none)."""
        if source.transport == "dockyard":
            from dockyard.service.lookup import lookup
            from dockyard.transfer.store_source import store_images

            with self.client.view() as view:
                image_id = lookup(view, source.name)
                (image,) = store_images(view, [image_id])
            return image, source.name if _is_reference(source.name) else ""
        if source.transport == "docker":
            return self._remote(source.name)
        from dockyard.archive.load import archive_images

        stream = stack.enter_context(_archive_stream(source))
        images = stack.enter_context(archive_images(stream, self.staging,
                                                    platform=self.platform,
                                                    progress=self.progress))  # fmt: skip
        return _choose(source, images)

    def _remote(self, name: str) -> tuple[SourceImage, str]:
        from dockyard.platforms import host_platform, parse_platform
        from dockyard.store.downloads import Downloads
        from dockyard.transfer.remote import fetch_image

        ref = parse_normalized_named(name).tag_name_only()
        repository = self.registry.repository(ref)
        wanted = parse_platform(self.platform) if self.platform else host_platform()
        ref_text = str(ref.digest) if ref.digest is not None else ref.tag or "latest"
        manifest = repository.get_image_manifest(ref_text, wanted)
        remote = fetch_image(repository, manifest, Downloads(self.layout),
                             messages=self.messages, progress=self.progress)  # fmt: skip
        self.downloaded = [layer.descriptor.digest for layer in remote.layers]
        return remote.source_image(), ref.familiar_string() if ref.digest is None else ""

    def cleanup(self) -> None:
        """Forget the downloads the copy used (a failed copy keeps them to resume)."""
        from dockyard.store.downloads import Downloads

        downloads = Downloads(self.layout)
        for digest in self.downloaded:
            downloads.remove(digest)

    # --- sinks ----------------------------------------------------------------------

    def write(self, target: Endpoint, image: SourceImage, name: str) -> str:
        """Write ``image`` to the target; return what the summary says about it."""
        if target.transport == "dockyard":
            return self._to_store(target, image, name)
        layers = _localize_all(image, self.staging)
        if target.transport == "docker":
            return self._to_registry(target, image, layers)
        from dockyard.archive.names import SaveItem
        from dockyard.archive.save import SaveFormat, write_archive

        out_name = _target_name(target, name)
        tags = [parse_normalized_named(out_name).tag_name_only()] if out_name else []
        formats = {"docker-archive": SaveFormat.DOCKER, "oci-archive": SaveFormat.OCI,
                   "oci": SaveFormat.OCI_DIR}  # fmt: skip
        write_archive([(SaveItem(image.id, tags), image, layers)], target.path,
                      format=formats[target.transport], progress=self.progress)  # fmt: skip
        return str(image.id)

    def _to_store(self, target: Endpoint, image: SourceImage, name: str) -> str:
        from dockyard.transfer.sink import StoreSink

        out_name = target.name or name
        ref = parse_normalized_named(out_name).tag_name_only() if out_name else None
        sink = StoreSink(self.client, self.staging)
        sink.stage(sink.missing([image]), workers=_WORKERS)
        with self.client.transaction() as tx:
            sink.put(tx, [image])
            if ref is not None:
                sink.tag(tx, ref, image.id)
        return str(image.id)

    def _to_registry(
        self, target: Endpoint, image: SourceImage, layers: list[LocalLayer]
    ) -> str:
        from dockyard.service._workspace import scratch_dir
        from dockyard.transfer.upload import push_image

        ref = parse_normalized_named(target.name).tag_name_only()
        if ref.digest is not None:
            raise InvalidArgumentError("cannot copy to a digest reference: name a tag")
        repository = self.registry.repository(ref)
        with scratch_dir(self.client) as scratch:
            pushed = push_image(repository, ref.tag or "latest", image.config, layers,
                                scratch, messages=self.messages,
                                progress=self.progress)  # fmt: skip
        return str(pushed.digest)


#: Layers fetched at once (a registry's blobs download in parallel).
_WORKERS = 3


def _localize_all(image: SourceImage, staging: StagingArea) -> list[LocalLayer]:
    """Every layer as a local file, fetched in parallel, each distinct layer once."""
    from concurrent.futures import ThreadPoolExecutor

    from dockyard.transfer.model import localize

    first: dict[DiffID, SourceLayer] = {}
    for layer, diff in zip(image.layers, image.diff_ids, strict=True):
        first.setdefault(diff, layer)
    with ThreadPoolExecutor(max(1, min(_WORKERS, len(first)))) as pool:
        futures = {d: pool.submit(localize, layer, d, staging) for d, layer in first.items()}
        done = {d: future.result() for d, future in futures.items()}
    return [done[diff] for diff in image.diff_ids]


def _is_reference(name: str) -> bool:
    try:
        parse_normalized_named(name)
    except InvalidArgumentError:
        return False
    return True


def _choose(source: Endpoint, images: list[SourceImage]) -> tuple[SourceImage, str]:
    """The image of an archive the endpoint names (its only one when it names none)."""
    for image in images:
        for tag in image.tags:
            text = tag.familiar_string()
            if not source.name or source.name in (text, text.rpartition(":")[2]):
                return image, text
    if source.name or not images:
        raise InvalidArgumentError(
            f"{source.path}: no image named {source.name!r} in the archive"
            if source.name else f"{source.path}: no image in the archive"
        )  # fmt: skip
    return images[0], ""


def _target_name(target: Endpoint, name: str) -> str:
    """The reference the target gets: as given, or (OCI layouts) the source's with a tag."""
    if not target.name:
        return name
    if target.transport in ("oci", "oci-archive") and not any(c in target.name for c in "/:@"):
        repository = parse_normalized_named(name).familiar_name() if name else "image"
        return f"{repository}:{target.name}"
    return target.name


@contextlib.contextmanager
def _archive_stream(source: Endpoint) -> Iterator[IO[bytes] | Path]:
    """The archive to load: the file itself, or an OCI layout directory as a tar stream."""
    path = Path(source.path)
    if source.transport != "oci":
        yield path
        return
    if not path.is_dir():
        raise InvalidArgumentError(f"{path}: not an OCI layout directory")
    read_fd, write_fd = os.pipe()
    reader = os.fdopen(read_fd, "rb")
    failed: list[BaseException] = []

    def produce() -> None:
        with os.fdopen(write_fd, "wb") as out:
            try:
                with tarfile.open(fileobj=out, mode="w|", format=tarfile.PAX_FORMAT) as tar:
                    for entry in sorted(path.rglob("*")):
                        if entry.is_symlink() or not (entry.is_file() or entry.is_dir()):
                            continue
                        tar.add(entry, arcname=entry.relative_to(path).as_posix(),
                                recursive=False)  # fmt: skip
            except (OSError, tarfile.TarError) as exc:
                failed.append(exc)

    thread = threading.Thread(target=produce, daemon=True)
    thread.start()
    try:
        yield reader
    finally:
        reader.close()
        thread.join()
    if failed:
        raise InvalidArgumentError(f"{path}: cannot be read: {failed[0]}")
