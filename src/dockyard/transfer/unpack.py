"""Download a layer blob and unpack it at the same time.

The blob is appended to its resumable download file while another thread reads that
file behind it and stages the decompressed tar. The reader never gets ahead of the
bytes written, and it sees the end of the file only once the whole blob was verified
against its digest; a failed or wrong download makes it fail, so nothing unverified is
staged. The download file stays for the next pull to resume when the download fails.
"""

from __future__ import annotations

import io
import threading
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

from dockyard._growing import Growing, WriterFailed
from dockyard.errors import IntegrityError
from dockyard.registry import BlobSink, FileSink

if TYPE_CHECKING:
    from pathlib import Path

    from dockyard.layer import StagedLayer
    from dockyard.store.staging import Stager

__all__ = ["download_and_stage"]

_READ = 1 << 20
_TELL = 1 << 20


class _ReaderGone(Exception):
    """The unpacking side stopped: the download need not go on."""


class _TrackedSink:
    """A :class:`FileSink` that tells the reader how far the file is written."""

    def __init__(self, sink: FileSink, growing: Growing) -> None:
        self.sink = sink
        self.growing = growing
        self.written = sink.held()
        self.told = self.written

    def write(self, data: bytes, /) -> int:
        if self.growing.abandoned:
            raise _ReaderGone
        n = self.sink.write(data)
        self.written += len(data)
        if self.written - self.told >= _TELL:  # wake the reader per MiB, not per piece
            self.tell()
        return n

    def tell(self) -> None:
        """Make what is written readable (flushed) and wake the reader."""
        self.sink._file.flush()
        self.told = self.written
        self.growing.grew(self.written)

    def held(self) -> int:
        return self.sink.held()

    def replay(self) -> Iterator[bytes]:
        return self.sink.replay()

    def discard(self) -> None:
        self.sink.discard()
        self.written = self.told = 0


def download_and_stage(
    path: Path,
    size: int | None,
    download: Callable[[BlobSink], object],
    staging: Stager,
) -> StagedLayer:
    """Run ``download(sink)`` into ``path`` while staging the file as it grows.

    Args:
        path: the download file (may hold the first bytes from an earlier try).
        size: the blob's size, when known.
        download: downloads the blob into the sink it is given, verifying it.
        staging: where the decompressed layer goes.

    Raises:
        DockyardError: what the download raised (it wins), else what staging raised.
    """
    with FileSink(path) as sink:
        if size is not None and sink.held() > size:
            sink.discard()  # more than the blob: start over before anyone reads it
        growing = Growing(path)
        tracked = _TrackedSink(sink, growing)
        growing.grew(tracked.written)
        outcome: dict[str, object] = {}

        def unpack() -> None:
            try:
                with io.BufferedReader(growing.reader(), _READ) as reader:
                    outcome["staged"] = staging.stage(reader)
            except BaseException as exc:  # handed over to the downloading thread
                outcome["error"] = exc

        thread = threading.Thread(target=unpack, name="dockyard-unpack", daemon=True)
        thread.start()
        try:
            download(tracked)
        except _ReaderGone:
            growing.finish(IntegrityError("the layer could not be unpacked"))
            thread.join()
        except BaseException as exc:
            growing.finish(exc)
            thread.join()
            if isinstance(exc, IntegrityError):
                sink.discard()  # wrong bytes cannot be resumed: start over next time
            raise
        else:
            tracked.tell()
            growing.finish()
            thread.join()
    error = outcome.get("error")
    if isinstance(error, BaseException):
        if isinstance(error, WriterFailed) and error.__cause__ is not None:
            raise error.__cause__
        raise error
    staged: StagedLayer = outcome["staged"]  # type: ignore[assignment]
    return staged
