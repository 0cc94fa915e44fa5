"""``dockyard copy SRC DST``: an image from any medium to any other, skopeo's way of naming.

Transports: ``docker://NAME`` (a registry), ``docker-archive:PATH[:NAME]`` (a ``docker
save`` archive), ``oci:PATH[:TAG]`` (an OCI layout directory), ``oci-archive:PATH[:TAG]``
(an OCI layout archive) and ``dockyard:NAME`` (this store). A registry-to-registry copy
keeps every byte and digest (see :mod:`dockyard.transfer.mirror`); every other copy goes
through a store — this one when it is a side of the copy, else a temporary one — so that
each medium is read and written by the one code path that loads, saves, pulls and pushes.
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

if TYPE_CHECKING:
    from collections.abc import Iterator

    from dockyard.client import Client
    from dockyard.progress import MessageCallback, ProgressCallback
    from dockyard.registry import RegistryClient

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
        A one-line summary (the digest written, or the name now holding the image).

    Raises:
        InvalidArgumentError: a malformed endpoint, or a combination that cannot work.
        DockyardError: what the load, pull, save or push underneath raised.
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
        return f"{dest}: digest: {result.digest}"
    if all_platforms:
        raise InvalidArgumentError("--all copies whole indexes between registries only")
    if "dockyard" in (source.transport, target.transport):
        return _via(client, source, target, registry, platform, messages, progress)
    import dockyard

    scratch = client.scratch()
    with scratch:
        hub = dockyard.open(scratch.path / "store")
        return _via(hub, source, target, registry, platform, messages, progress)


def _via(
    hub: Client,
    source: Endpoint,
    target: Endpoint,
    registry: RegistryClient,
    platform: str | None,
    messages: MessageCallback | None,
    progress: ProgressCallback | None,
) -> str:
    """Bring the image into ``hub``, name it as the target wants, send it on."""
    from dockyard.service.tags import tag_image

    image, name = _bring_in(hub, source, registry, platform, messages, progress)
    if target.transport == "dockyard":
        if target.name:
            tag_image(hub, image, target.name)
            return target.name
        return name or image
    out_name = _target_name(target, name)
    if out_name:
        tag_image(hub, image, out_name)
    if target.transport == "docker":
        from dockyard.service.push import push

        (result,) = push(hub, out_name or name, registry=registry, messages=messages,
                         progress=progress)  # fmt: skip
        return f"{result.reference}: digest: {result.digest}"
    from dockyard.archive.save import SaveFormat, save

    formats = {"docker-archive": SaveFormat.DOCKER, "oci-archive": SaveFormat.OCI,
               "oci": SaveFormat.OCI_DIR}  # fmt: skip
    save(hub, [out_name or name or image], target.path, format=formats[target.transport],
         progress=progress)  # fmt: skip
    return f"{target.transport}:{target.path}"


def _target_name(target: Endpoint, name: str) -> str:
    """The reference the target gets: as given, or (OCI layouts) the source's with a tag."""
    if not target.name:
        return name
    if target.transport in ("oci", "oci-archive") and not any(c in target.name for c in "/:@"):
        repository = parse_normalized_named(name).familiar_name() if name else "image"
        return f"{repository}:{target.name}"
    return target.name


def _bring_in(
    hub: Client,
    source: Endpoint,
    registry: RegistryClient,
    platform: str | None,
    messages: MessageCallback | None,
    progress: ProgressCallback | None,
) -> tuple[str, str]:
    """Put the source image into ``hub``; return its ID and the name it came with."""
    if source.transport == "dockyard":
        from dockyard.service.lookup import resolve_image

        return str(resolve_image(hub, source.name)), source.name
    if source.transport == "docker":
        from dockyard.service.pull import pull

        (pulled,) = pull(hub, source.name, registry=registry, platform=platform,
                         messages=messages, progress=progress)  # fmt: skip
        return str(pulled.image_id), pulled.reference
    from dockyard.archive.load import load

    with _archive_stream(source) as stream:
        loaded = load(hub, stream, platform=platform, progress=progress, apply_tags=False)
    for image in loaded.images:
        for tag in image.tags:
            if not source.name or source.name in (tag, tag.rpartition(":")[2]):
                return str(image.id), tag
    if source.name or not loaded.images:
        raise InvalidArgumentError(
            f"{source.path}: no image named {source.name!r} in the archive"
            if source.name else f"{source.path}: no image in the archive"
        )  # fmt: skip
    return str(loaded.images[0].id), ""


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
