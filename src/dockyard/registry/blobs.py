"""Blob downloads: streamed into a caller-owned sink, verified, resumed with ``Range``.

Bytes go from the socket to the sink in small pieces; a blob is never held in memory.
Every byte is hashed on the way; the download fails with
:class:`~dockyard.registry.errors.ContentDigestMismatch` unless the whole blob hashes to
its digest. After a dropped connection the download goes on from the bytes the sink
already holds (``Range: bytes=<held>-``); a server that ignores ``Range`` (200) has the
held prefix skipped instead of written twice.

The caller decides where partial data lives. A plain :class:`BlobSink` (anything with
``write``) is resumed within one call. A :class:`ResumableSink` (such as
:class:`FileSink`) also carries partial data from an earlier call or process: its held
bytes are re-hashed first and the download resumes after them.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, runtime_checkable

import httpx

from dockyard.digest import Digest
from dockyard.errors import IntegrityError, RegistryError
from dockyard.progress import Progress, ProgressCallback, emit
from dockyard.registry.errors import (
    ContentDigestMismatch,
    ManifestTooLarge,
    RegistryConnectionError,
)
from dockyard.registry.transport import Transport

__all__ = [
    "BlobInfo",
    "BlobSink",
    "FileSink",
    "MemorySink",
    "ResumableSink",
    "download_blob",
]

PIECE = 64 * 1024
_CONTENT_RANGE = re.compile(r"bytes\s+(\d+)-(\d+)/(\d+|\*)")


class BlobSink(Protocol):
    """Where downloaded bytes go: anything with a ``write`` method."""

    def write(self, data: bytes, /) -> object:
        """Append ``data``."""
        ...


@runtime_checkable
class ResumableSink(Protocol):
    """A sink that may already hold the first bytes of the blob, from an earlier try."""

    def write(self, data: bytes, /) -> object:
        """Append ``data``."""
        ...

    def held(self) -> int:
        """How many bytes the sink holds now."""
        ...

    def replay(self) -> Iterator[bytes]:
        """The held bytes from the start (to hash them before resuming)."""
        ...

    def discard(self) -> None:
        """Drop every held byte (the download starts again from 0)."""
        ...


@dataclass(frozen=True, slots=True)
class BlobInfo:
    """What a blob ``HEAD`` tells.

    Attributes:
        digest: the blob's digest.
        size: its length (``Content-Length``), None when the registry did not say.
        media_type: the ``Content-Type`` answered (usually ``application/octet-stream``).
    """

    digest: Digest
    size: int | None
    media_type: str = ""


class FileSink:
    """A file the caller owns, opened for appending; bytes already in it are resumed.

    Use as a context manager, or call :meth:`close`. On a digest mismatch the file
    keeps the bad bytes: the caller removes it or calls :meth:`discard`.

    Args:
        path: the file (created with mode 0600 when missing).
    """

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        self._file = os.fdopen(fd, "r+b")
        self._file.seek(0, os.SEEK_END)

    def write(self, data: bytes, /) -> int:
        """Append ``data``."""
        return self._file.write(data)

    def held(self) -> int:
        """Bytes in the file."""
        self._file.flush()
        return os.fstat(self._file.fileno()).st_size

    def replay(self) -> Iterator[bytes]:
        """The bytes of the file from the start."""
        self._file.flush()
        end = self._file.seek(0, os.SEEK_END)
        self._file.seek(0)
        remaining = end
        while remaining > 0:
            piece = self._file.read(min(PIECE * 16, remaining))
            if not piece:
                break
            remaining -= len(piece)
            yield piece
        self._file.seek(0, os.SEEK_END)

    def discard(self) -> None:
        """Empty the file."""
        self._file.seek(0)
        self._file.truncate()

    def close(self) -> None:
        """Flush and close the file."""
        self._file.close()

    def __enter__(self) -> FileSink:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class MemorySink:
    """An in-memory sink for small blobs (image configs) that refuses more than ``limit``.

    Attributes:
        data: the bytes received so far.
    """

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.data = bytearray()

    def write(self, data: bytes, /) -> int:
        """Append ``data``.

        Raises:
            ManifestTooLarge: the blob is larger than the limit.
        """
        if len(self.data) + len(data) > self.limit:
            raise ManifestTooLarge(self.limit)
        self.data += data
        return len(data)


def _skip_for(response: httpx.Response, offset: int) -> int:
    """How many leading body bytes to drop: the server may ignore or round ``Range``."""
    if response.status_code != 206:
        return offset
    match = _CONTENT_RANGE.match(response.headers.get("content-range", ""))
    if match is None:
        raise RegistryError(f"invalid Content-Range in a 206 answer for offset {offset}")
    start = int(match.group(1))
    if start > offset:
        raise RegistryError(f"registry resumed at byte {start}, after the wanted {offset}")
    return offset - start


class _Download:
    """The state of one blob download across its tries."""

    def __init__(
        self,
        digest: Digest,
        sink: BlobSink,
        size: int | None,
        progress: ProgressCallback | None,
    ) -> None:
        self.digest = digest
        self.sink = sink
        self.size = size
        self.progress = progress
        self.hasher = hashlib.sha256()
        self.done = 0
        if isinstance(sink, ResumableSink) and sink.held() > 0:
            if size is not None and sink.held() > size:
                sink.discard()
            else:
                for piece in sink.replay():
                    self.hasher.update(piece)
                    self.done += len(piece)

    def report(self, finished: bool = False) -> None:
        emit(
            self.progress,
            Progress(
                "Download complete" if finished else "Downloading",
                self.digest.short(),
                self.done,
                self.size,
                done=finished,
            ),
        )

    def consume(self, response: httpx.Response) -> None:
        skip = _skip_for(response, self.done)
        # no chunk size: httpx would hold back a partial chunk and lose it on a drop
        for piece in response.iter_raw():
            data = piece
            if skip:
                cut = min(skip, len(data))
                skip -= cut
                data = data[cut:]
                if not data:
                    continue
            if self.size is not None and self.done + len(data) > self.size:
                raise IntegrityError(
                    f"blob {self.digest} is larger than its descriptor's {self.size} bytes"
                )
            self.sink.write(data)
            self.hasher.update(data)
            self.done += len(data)
            self.report()

    def verify(self) -> None:
        actual = Digest.from_hex(self.hasher.hexdigest())
        if self.size is not None and self.done != self.size:
            raise IntegrityError(f"blob {self.digest}: got {self.done} bytes, expected {self.size}")
        if actual != self.digest:
            raise ContentDigestMismatch(self.digest, actual)
        self.report(finished=True)


def download_blob(
    transport: Transport,
    host: str,
    name: str,
    digest: Digest,
    sink: BlobSink,
    *,
    size: int | None = None,
    progress: ProgressCallback | None = None,
) -> int:
    """Download blob ``digest`` of repository ``name`` on ``host`` into ``sink``.

    A connection dropped while the body is read is resumed from the bytes written so
    far. Tries that make no progress count against the retry policy; a try that made
    progress resets the count (each try then brings the end closer).

    Returns:
        The blob's size in bytes.

    Raises:
        BlobUnknown: the repository has no such blob.
        ContentDigestMismatch: the bytes do not hash to ``digest`` (the sink holds them).
        IntegrityError: more or fewer bytes than ``size``.
        RegistryConnectionError: the connection kept failing.
    """
    state = _Download(digest, sink, size, progress)
    policy = transport.options.retry
    url = f"{transport.base_url(host)}/v2/{name}/blobs/{digest}"
    scopes = frozenset({f"repository:{name}:pull"})
    failures = 0
    while size is None or state.done < size:
        start = state.done
        headers = {"Range": f"bytes={start}-"} if start else {}
        response = transport.request(
            "GET", url, host=host, scopes=scopes, headers=headers, follow_redirects=True
        )
        try:
            if response.status_code == 416 and start:
                break  # nothing left after the held bytes; verify says if they are right
            transport.check(response, not_found_code="BLOB_UNKNOWN")
            state.consume(response)
        except httpx.TransportError as exc:
            failures = 0 if state.done > start else failures + 1
            delay = policy.delay_for(max(failures, 1), None)
            if delay is None:
                raise RegistryConnectionError("GET", url, str(exc)) from exc
            policy.sleep(delay)
            continue
        finally:
            response.close()
        break
    state.verify()
    return state.done
