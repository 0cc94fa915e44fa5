"""Blob uploads: cross-repository mount, monolithic and chunked uploads, with restarts.

Data is streamed from the caller's source in small pieces and hashed on the way. A
session's ``Location`` is taken from every answer (it may be relative, and distribution
changes its ``_state`` after each PATCH). When a try fails with a network error, 429 or
5xx, and the source is seekable, the upload starts again from a new session (a broken
distribution session cannot be resumed), within the retry policy's bounds.
"""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import IO

import httpx

from dockyard.digest import Digest
from dockyard.errors import IntegrityError
from dockyard.progress import Progress, ProgressCallback, emit
from dockyard.registry.errors import (
    ContentDigestMismatch,
    RegistryConnectionError,
    RegistryHTTPError,
    ServerError,
    TooManyRequests,
)
from dockyard.registry.transport import Transport

__all__ = ["PushedBlob", "upload_blob"]

PIECE = 64 * 1024
_OCTET = "application/octet-stream"


@dataclass(frozen=True, slots=True)
class PushedBlob:
    """The outcome of an upload.

    Attributes:
        digest: the blob's digest (computed when the caller did not know it).
        size: bytes sent (for a mount: as the caller said, or -1 when unknown).
        mounted_from: the repository it was mounted from, or None when uploaded.
    """

    digest: Digest
    size: int
    mounted_from: str | None = None


class _Source:
    """Reads the caller's stream in pieces, hashing and counting, reporting progress."""

    def __init__(
        self, stream: IO[bytes], size: int | None, label: str, progress: ProgressCallback | None
    ) -> None:
        self.stream = stream
        self.size = size
        self.label = label
        self.progress = progress
        self.hasher = hashlib.sha256()
        self.sent = 0
        self.start: int | None = None
        seekable = getattr(stream, "seekable", None)
        if callable(seekable) and seekable():
            self.start = stream.tell()

    def rewind(self) -> bool:
        """Go back to where the upload started; False when the stream cannot seek."""
        if self.start is None:
            return False
        self.stream.seek(self.start)
        self.hasher = hashlib.sha256()
        self.sent = 0
        return True

    def pieces(self, limit: int | None) -> Iterator[bytes]:
        """Up to ``limit`` bytes (None: to the end), in pieces."""
        left = limit
        while left is None or left > 0:
            want = PIECE if left is None else min(PIECE, left)
            data = self.stream.read(want)
            if not data:
                break
            self.hasher.update(data)
            self.sent += len(data)
            if left is not None:
                left -= len(data)
            emit(self.progress, Progress("Pushing", self.label, self.sent, self.size))
            yield data
        if left:
            raise IntegrityError(f"blob source ended {left} bytes before its declared size")

    @property
    def digest(self) -> Digest:
        return Digest.from_hex(self.hasher.hexdigest())


def _location(response: httpx.Response) -> str:
    location = response.headers.get("location")
    if not location:
        raise RegistryHTTPError(
            response.status_code, (), message="registry answered without an upload Location"
        )
    return str(response.request.url.join(location))


def _with_digest(location: str, digest: Digest) -> str:
    return str(httpx.URL(location).copy_merge_params({"digest": str(digest)}))


class _Upload:
    """One upload of one blob to one repository."""

    def __init__(self, transport: Transport, host: str, name: str, mount_from: Sequence[str]):
        self.transport = transport
        self.host = host
        self.name = name
        self.base = f"{transport.base_url(host)}/v2/{name}/blobs/uploads/"
        scopes = {f"repository:{name}:pull,push"}
        scopes.update(f"repository:{src}:pull" for src in mount_from if src != name)
        self.scopes = frozenset(scopes)

    def send(
        self,
        method: str,
        url: str,
        headers: dict[str, str] | None = None,
        content: bytes | Iterator[bytes] | None = None,
        replayable: bool = True,
    ) -> httpx.Response:
        return self.transport.request(
            method,
            url,
            host=self.host,
            scopes=self.scopes,
            headers=headers,
            content=content,
            replayable=replayable,
        )

    def start(self, digest: Digest | None, mount_from: Sequence[str]) -> tuple[str | None, str]:
        """Open a session, mounting first when possible: (mounted from, location)."""
        for index, source in enumerate(mount_from if digest is not None else ()):
            url = str(httpx.URL(self.base, params={"mount": str(digest), "from": source}))
            response = self.send("POST", url, headers={"Content-Length": "0"})
            self.transport.check(response)
            response.read()
            if response.status_code == 201:
                return source, ""
            location = _location(response)
            if index + 1 == len(mount_from):
                return None, location
            self.cancel(location)
        response = self.send("POST", self.base, headers={"Content-Length": "0"})
        self.transport.check(response)
        response.read()
        return None, _location(response)

    def cancel(self, location: str) -> None:
        """Drop a session (best effort)."""
        with contextlib.suppress(RegistryConnectionError, RegistryHTTPError):
            self.send("DELETE", location).close()

    def finish(
        self, location: str, digest: Digest, body: Iterator[bytes] | None, length: int
    ) -> None:
        headers = {"Content-Type": _OCTET, "Content-Length": str(length)}
        response = self.send(
            "PUT",
            _with_digest(location, digest),
            headers=headers,
            content=body if body is not None else b"",
            replayable=body is None,
        )
        self.transport.check(response)
        response.read()

    def patch(self, location: str, source: _Source, length: int | None) -> str:
        headers = {"Content-Type": _OCTET}
        if length is not None:
            headers["Content-Length"] = str(length)
            if length:
                headers["Content-Range"] = f"{source.sent}-{source.sent + length - 1}"
        response = self.send(
            "PATCH", location, headers=headers, content=source.pieces(length), replayable=False
        )
        self.transport.check(response)
        response.read()
        return _location(response)


def _try_once(
    upload: _Upload,
    source: _Source,
    digest: Digest | None,
    mount_from: Sequence[str],
    chunk_size: int | None,
) -> PushedBlob:
    mounted, location = upload.start(digest, mount_from)
    if mounted is not None:
        assert digest is not None
        return PushedBlob(digest, source.size if source.size is not None else -1, mounted)
    size = source.size
    if digest is not None and size is not None and chunk_size is None:
        upload.finish(location, digest, source.pieces(size), size)
    else:
        if size is not None and chunk_size:
            while source.sent < size:
                location = upload.patch(location, source, min(chunk_size, size - source.sent))
        else:
            location = upload.patch(location, source, size)
        if digest is not None and source.digest != digest:
            upload.cancel(location)
            raise ContentDigestMismatch(digest, source.digest, "upload")
        upload.finish(location, digest or source.digest, None, 0)
    if digest is not None and source.digest != digest:
        raise ContentDigestMismatch(digest, source.digest, "upload")
    return PushedBlob(source.digest, source.sent)


def upload_blob(
    transport: Transport,
    host: str,
    name: str,
    stream: IO[bytes],
    *,
    digest: Digest | None = None,
    size: int | None = None,
    chunk_size: int | None = None,
    mount_from: Sequence[str] = (),
    progress: ProgressCallback | None = None,
) -> PushedBlob:
    """Upload (or mount) one blob into repository ``name`` on ``host``.

    With ``digest`` and ``size`` known and no ``chunk_size``: POST, then one PUT
    carrying the body. Otherwise PATCH the data (in ``chunk_size`` pieces with
    ``Content-Range`` when the size is known, else one streamed PATCH), then PUT
    ``?digest=`` (the digest computed on the way when not given). With ``mount_from``
    (same-registry repositories that hold the blob) a mount is tried first; a 202
    answer is an ordinary session and the upload goes on into it.

    Args:
        transport: the transport.
        host: the registry host.
        name: the repository path.
        stream: the blob's bytes from the current position (seekable: retries possible).
        digest: the blob's digest, if known (needed to mount).
        size: its length, if known.
        chunk_size: PATCH in pieces of this many bytes (needs ``size``).
        mount_from: repositories to mount from, tried in order.
        progress: called with ``Pushing`` events while bytes are sent.

    Returns:
        The digest and size pushed, and where it was mounted from, if it was.

    Raises:
        ContentDigestMismatch: the stream does not hash to ``digest``.
        RegistryHTTPError: the registry refused the upload.
        RegistryConnectionError: the network kept failing.
    """
    label = digest.short() if digest is not None else "blob"
    source = _Source(stream, size, label, progress)
    upload = _Upload(transport, host, name, mount_from)
    policy = transport.options.retry
    failures = 0
    while True:
        try:
            pushed = _try_once(upload, source, digest, mount_from, chunk_size)
        except (RegistryConnectionError, ServerError, TooManyRequests):
            failures += 1
            delay = policy.delay_for(failures, None)
            if delay is None or not source.rewind():
                raise
            policy.sleep(delay)
            continue
        emit(
            progress,
            Progress(
                f"Mounted from {pushed.mounted_from}" if pushed.mounted_from else "Pushed",
                label,
                pushed.size,
                size,
                done=True,
            ),
        )
        return pushed
