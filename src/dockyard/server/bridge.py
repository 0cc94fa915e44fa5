"""Byte channels between the event loop and the worker threads that do the store's work.

:class:`BodyReader` is the request body as a blocking, readable file object for a worker
thread (a load or an import reads it as it would read stdin), fed by :meth:`pump`
on the loop from ASGI ``receive``. :class:`BodyWriter` is a blocking, writable file object
for a worker thread (a save writes its archive into it) drained by the loop, which sends
the chunks. Both hold at most a few MiB: a fast side waits for the slow one (the socket's
own flow control does the rest), and either side can :meth:`abort` the other (client gone,
server stopping), which raises :class:`ChannelClosed` in the worker thread.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import threading
from collections import deque
from collections.abc import AsyncIterator, Callable
from typing import Any

from dockyard.errors import StorageError

__all__ = ["BodyReader", "BodyWriter", "ChannelClosed"]

_LIMIT = 16 << 20
#: Bytes coalesced into one response chunk: fewer sends, fewer waits for the socket.
_CHUNK = 4 << 20


class ChannelClosed(StorageError):
    """The other end of the channel went away (the client disconnected, or shutdown)."""


class _Channel:
    """A bounded queue of byte chunks with one blocking thread side and one async side."""

    def __init__(self, loop: asyncio.AbstractEventLoop, limit: int) -> None:
        self._loop = loop
        self._limit = limit
        self._cond = threading.Condition()
        self._chunks: deque[bytes | memoryview] = deque()
        self._size = 0
        self._eof = False
        self._error: BaseException | None = None
        self._loop_waiting = False
        self._wake = asyncio.Event()

    def abort(self, error: BaseException | None = None) -> None:
        """Fail both sides (idempotent; callable from any thread)."""
        with self._cond:
            if self._error is None:
                self._error = error or ChannelClosed("the connection was closed")
            self._cond.notify_all()
            self._notify_loop()

    def _notify_loop(self) -> None:
        """Wake the loop side if it waits (called with the lock held)."""
        if self._loop_waiting:
            self._loop_waiting = False
            with contextlib.suppress(RuntimeError):  # a closed loop: nobody waits any more
                self._loop.call_soon_threadsafe(self._wake.set)

    async def _wait_loop(self, ready: Callable[[], bool]) -> None:
        """Wait on the loop until ``ready()`` (evaluated under the lock) holds."""
        while True:
            with self._cond:
                if ready() or self._error is not None:
                    return
                self._wake.clear()
                self._loop_waiting = True
            await self._wake.wait()


class BodyReader(_Channel, io.RawIOBase):
    """The request body as a readable stream for a worker thread."""

    def __init__(self, loop: asyncio.AbstractEventLoop, limit: int = _LIMIT) -> None:
        _Channel.__init__(self, loop, limit)
        io.RawIOBase.__init__(self)
        self.received = 0

    def readable(self) -> bool:
        """Always true."""
        return True

    async def pump(self, receive: Callable[[], Any]) -> None:
        """Move the body from ASGI ``receive`` into the channel (on the loop).

        Ends at the body's end, on a disconnect (which aborts the reader) or when the
        channel is aborted.
        """
        try:
            while self._error is None:
                message = await receive()
                if message["type"] == "http.disconnect":
                    self.abort(ChannelClosed("the client closed the connection"))
                    return
                data = message.get("body", b"")
                more = bool(message.get("more_body", False))
                with self._cond:
                    if data:
                        self._chunks.append(data)
                        self._size += len(data)
                        self.received += len(data)
                    self._eof = not more
                    self._cond.notify_all()
                if not more:
                    return
                await self._wait_loop(lambda: self._size < self._limit)
        except asyncio.CancelledError:
            self.abort()
            raise

    def readinto(self, buffer: Any) -> int:
        """Block until some bytes arrive; 0 at the end of the body.

        Raises:
            ChannelClosed: the client went away or the server is stopping.
        """
        view = memoryview(buffer).cast("B")
        with self._cond:
            while not self._chunks and not self._eof and self._error is None:
                self._cond.wait()
            if self._error is not None:
                raise self._error
            filled = 0
            while self._chunks and filled < len(view):
                head = self._chunks[0]
                take = min(len(head), len(view) - filled)
                view[filled : filled + take] = head[:take]
                filled += take
                if take == len(head):
                    self._chunks.popleft()
                else:
                    self._chunks[0] = memoryview(head)[take:]
            self._size -= filled
            if self._size < self._limit:
                self._notify_loop()
            return filled

    def drain(self) -> None:
        """Discard whatever the worker did not read (the body must still be consumed)."""
        with self._cond:
            self._chunks.clear()
            self._size = 0
            self._notify_loop()


class BodyWriter(_Channel, io.RawIOBase):
    """The response body as a writable stream for a worker thread."""

    def __init__(self, loop: asyncio.AbstractEventLoop, limit: int = _LIMIT) -> None:
        _Channel.__init__(self, loop, limit)
        io.RawIOBase.__init__(self)
        self.written = 0
        self.started = asyncio.Event()

    def writable(self) -> bool:
        """Always true."""
        return True

    def write(self, data: Any) -> int:
        """Queue ``data`` for sending; blocks while too much is queued.

        Raises:
            ChannelClosed: the client went away or the server is stopping.
        """
        chunk = data if type(data) is bytes else bytes(data)  # no copy of what is bytes
        if not chunk:
            return 0
        with self._cond:
            while self._size >= self._limit and self._error is None:
                self._cond.wait()
            if self._error is not None:
                raise self._error
            self._chunks.append(chunk)
            self._size += len(chunk)
            self.written += len(chunk)
            self._notify_loop()
        return len(chunk)

    def finish(self) -> None:
        """Mark the end of the body (the worker is done writing)."""
        with self._cond:
            self._eof = True
            self._notify_loop()

    async def first(self) -> bool:
        """Wait until the first bytes are queued or the writer finished; True if bytes."""
        await self._wait_loop(lambda: bool(self._chunks) or self._eof)
        with self._cond:
            return bool(self._chunks)

    async def chunks(self) -> AsyncIterator[bytes]:
        """The queued bytes, coalesced into chunks of up to 4 MiB, until the end.

        Raises:
            ChannelClosed: the channel was aborted.
        """
        while True:
            await self._wait_loop(lambda: bool(self._chunks) or self._eof)
            with self._cond:
                if self._error is not None:
                    raise self._error
                if not self._chunks and self._eof:
                    return
                parts: list[bytes | memoryview] = []
                size = 0
                while self._chunks and size < _CHUNK:
                    part = self._chunks.popleft()
                    parts.append(part)
                    size += len(part)
                self._size -= size
                self._cond.notify_all()
            yield bytes(parts[0]) if len(parts) == 1 else b"".join(parts)
