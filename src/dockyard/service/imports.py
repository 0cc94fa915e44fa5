"""``docker import``: a root filesystem tarball becomes a one-layer image.

The config is the one Docker writes (moby ``ImageService.ImportImage``): ``new_child_image``
of an empty image with a zero ``container_config``, ``config`` built from the ``--change``
instructions, the message as top-level ``comment`` and as the history comment, and the
platform's ``os``/``architecture``/``variant``; marshalled with sorted top-level keys.

``docker_version`` is where Docker writes its daemon version; dockyard writes its own
version string (:data:`DOCKER_VERSION`, e.g. ``0.1.0``) so that an image says which tool
created it. Pass ``docker_version=`` to write something else.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import IO, Any, BinaryIO

from dockyard import platforms
from dockyard._version import __version__
from dockyard.client import Client
from dockyard.digest import DiffID, Digest, ImageID
from dockyard.errors import InvalidReference, StorageError
from dockyard.gojson import Compat, GoTime
from dockyard.image import (
    ChildConfig,
    ContainerConfig,
    Image,
    RootFS,
    check_os,
    host_arch,
    new_child_image,
)
from dockyard.image.config import HOST_OS
from dockyard.progress import Progress, ProgressCallback, emit
from dockyard.reference import Reference, parse_normalized_named
from dockyard.service._changes import InvalidChange, apply_changes

__all__ = ["DOCKER_VERSION", "InvalidChange", "build_import_config", "import_image"]

#: What dockyard writes as ``docker_version`` in configs it creates.
DOCKER_VERSION = __version__

def parse_platform(platform: str | None) -> tuple[str, str, str]:
    """``os[/arch[/variant]]`` normalised as containerd does; defaults to this host.

    Raises:
        InvalidArgumentError: the platform is malformed.
        UnsupportedOS: the OS is not ``linux`` (``operating system is not supported``).
    """
    if platform is None or not platform.strip():
        return HOST_OS, host_arch(), ""
    spec = platforms.parse_platform(platform)
    check_os(spec.os)
    return spec.os, spec.architecture, spec.variant


def build_import_config(
    diff_id: str,
    *,
    changes: Sequence[str] = (),
    message: str = "",
    platform: str | None = None,
    docker_version: str = DOCKER_VERSION,
    now: Callable[[], GoTime] = GoTime.now_utc,
    compat: Compat = Compat.V28,
) -> bytes:
    """The exact config bytes ``docker import`` writes for a layer with ``diff_id``.

    Raises:
        InvalidChange: a change instruction is not allowed or malformed.
        InvalidArgumentError: the platform is malformed.
        UnsupportedOS: the platform's OS is not supported.
    """
    os_name, arch, variant = parse_platform(platform)
    config = apply_changes(ContainerConfig(), changes)
    child = ChildConfig(comment=message, diff_id=DiffID(Digest(diff_id)), config=config)
    img = new_child_image(Image(architecture=arch, variant=variant), child, os_name,
                          docker_version=docker_version, now=now)  # fmt: skip
    # Docker always records the layer (even an empty tar) and keeps the top-level comment.
    img.rootfs = RootFS(diff_ids=[child.diff_id])
    if img.history:
        img.history[-1].empty_layer = False
    img.comment = message
    return img.marshal(compat)


def _parse_reference(reference: str | None) -> Reference | None:
    if reference is None or reference == "":
        return None
    named = parse_normalized_named(reference)
    if named.digest is not None:
        raise InvalidReference(reference, "cannot import digest reference")
    return named


def import_image(
    client: Client,
    source: BinaryIO | IO[bytes] | str | os.PathLike[str],
    reference: str | None = None,
    *,
    changes: Sequence[str] = (),
    message: str = "",
    platform: str | None = None,
    progress: ProgressCallback | None = None,
    now: Callable[[], GoTime] | None = None,
    docker_version: str = DOCKER_VERSION,
) -> ImageID:
    """Import a root filesystem tarball as a new one-layer image (``docker import``).

    The tarball may be uncompressed or gzip/bzip2/xz/zstd compressed. Everything given
    is validated before the store is touched; on any failure nothing is left behind.
    A given reference is tagged (replacing an existing tag, as Docker does) and the
    image's ``lastUpdated`` metadata is set.

    Args:
        client: the store.
        source: a path or a readable binary stream of the tarball.
        reference: ``name[:tag]`` to tag the image with (``:latest`` when no tag).
        changes: Dockerfile instructions for the config (``--change``): CMD,
            ENTRYPOINT, ENV, EXPOSE, HEALTHCHECK, LABEL, ONBUILD, USER, VOLUME, WORKDIR.
        message: the commit message (``--message``): top-level and history comment.
        platform: ``os[/arch[/variant]]``; default this host (``linux/<GOARCH>``).
        progress: receives ``Importing`` reports with the bytes read so far.
        now: the clock for ``created`` (default: now, in UTC).
        docker_version: what to write as ``docker_version``.

    Returns:
        The new image's ID.

    Raises:
        InvalidChange: a change is not allowed (``<instr> is not a valid change
            command``) or malformed.
        InvalidReference: the reference is invalid or has a digest (``cannot import
            digest reference``).
        UnsupportedOS: the platform's OS is not supported.
        InvalidLayer: the input is not a tar archive.
        CompressionError: the compressed input is corrupt.
        StorageError: the source or the store cannot be read or written.
    """
    named = _parse_reference(reference)
    clock = now if now is not None else GoTime.now_utc
    # Validate changes and platform before anything is written.
    build_import_config("sha256:" + "0" * 64, changes=changes, message=message, platform=platform)
    with _open_source(source) as (stream, total), client.staging() as staging:
        seen: list[int] = []
        counter = _progress_counter(progress, total, seen)
        staged = staging.stage(stream, progress=counter)
        raw = build_import_config(
            staged.diff_id, changes=changes, message=message, platform=platform,
            docker_version=docker_version, now=clock,
        )  # fmt: skip
        with client.transaction() as tx:
            tx.add_layer(staged)
            image_id = tx.add_image(raw)
            if named is not None:
                tx.add_tag(named, image_id, force=True)
                tx.set_last_updated(image_id)
    done = seen[-1] if seen else total or 0
    emit(progress, Progress("Importing", "rootfs", done, total or done, done=True))
    return image_id


def _progress_counter(
    progress: ProgressCallback | None, total: int | None, seen: list[int]
) -> Callable[[int], None] | None:
    if progress is None:
        return None

    def report(done: int) -> None:
        seen[:] = [done]
        emit(progress, Progress("Importing", "rootfs", done, total, done, total))

    return report


class _open_source:
    """Open a path (and close it) or pass a stream through; also give its size if known."""

    def __init__(self, source: Any) -> None:
        self._source = source
        self._owned: IO[bytes] | None = None

    def __enter__(self) -> tuple[IO[bytes], int | None]:
        if isinstance(self._source, str | os.PathLike):
            path = Path(self._source)
            try:
                self._owned = open(path, "rb")
                size: int | None = os.fstat(self._owned.fileno()).st_size
            except OSError as exc:
                raise StorageError(f"failed to open {path}: {exc.strerror}") from exc
            return self._owned, size
        return self._source, None

    def __exit__(self, *exc: object) -> None:
        if self._owned is not None:
            self._owned.close()
