"""Long operations that answer with dockerd's JSON message stream (pull, push).

A worker thread runs the operation and writes messages into a :class:`MessageStream`;
the loop sends them as they come. As dockerd does (``output.Flushed()``), an error raised
before the first message is an ordinary HTTP answer with its status, and an error after
it is the stream's last message (``errorDetail``) in a 200.

Transfers in progress (``Downloading``, ``Pushing``) are throttled as dockerd's progress
reader throttles them: the first report of a layer, then every 512 KiB and 100 ms, and
the last one; each carries the ``progress`` bar text dockerd adds.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import AsyncIterator, Callable
from typing import TYPE_CHECKING, Any

from dockyard.server.bridge import BodyWriter
from dockyard.server.errors import message_of
from dockyard.server.http import Request, Response, StreamResponse
from dockyard.server.wire import dumps, error_message, progress_bar

if TYPE_CHECKING:
    from dockyard.progress import Message, Progress
    from dockyard.server.events import Event

__all__ = ["MessageStream", "encode", "run_streamed"]

_PROGRESS_BYTES = 512 * 1024
_PROGRESS_SECONDS = 0.1


def encode(message: Message) -> bytes:
    """One message as dockerd streams it: Go's escaping, ``progress`` bar, CR LF."""
    data = message.to_json()
    if message.current is not None:
        bar = progress_bar(message.current, message.total)
        if bar:
            ordered: dict[str, Any] = {}
            for key, value in data.items():
                if key == "id":
                    ordered["progress"] = bar
                ordered[key] = value
            ordered.setdefault("progress", bar)
            data = ordered
    return dumps(data, escape_html=True, newline="\r\n")


class MessageStream:
    """Messages of one operation, from its worker threads to the response."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.out = BodyWriter(loop, limit=1 << 20)
        self._lock = threading.Lock()
        self._last: dict[tuple[str, str], tuple[int, float]] = {}

    @property
    def started(self) -> bool:
        """True once a message was written (errors then go into the stream)."""
        return self.out.written > 0

    def message(self, message: Message) -> None:
        """Send a message; transfers in progress are throttled."""
        if message.current is not None and not self._due(
            message.status, message.id, message.current, message.total
        ):
            return  # fmt: skip
        self.out.write(encode(message))

    def progress(self, event: Progress) -> None:
        """Byte progress of a transfer (``Pushing``) as a progress message."""
        from dockyard.progress import Message

        if event.done and event.total is None:
            return
        self.message(Message(event.action, event.item, event.current, event.total))

    def error(self, exc: BaseException) -> None:
        """The error as the stream's last message."""
        self.out.write(error_message(message_of(exc)))

    def _due(self, status: str, ident: str, current: int, total: int | None) -> bool:
        now = time.monotonic()
        key = (status, ident)
        with self._lock:
            last = self._last.get(key)
            final = total is not None and current >= total
            if (
                last is not None
                and not final
                and (current - last[0] < _PROGRESS_BYTES or now - last[1] < _PROGRESS_SECONDS)
            ):
                return False
            self._last[key] = (current, now)
            return True


async def _nothing() -> AsyncIterator[bytes]:
    return
    yield b""  # pragma: no cover - makes this an async generator


async def run_streamed(
    request: Request, work: Callable[[MessageStream], list[Event]]
) -> Response | StreamResponse:
    """Run ``work`` on the long-operations pool and answer with its message stream.

    ``work`` returns the events to publish once it succeeded. An exception it raises
    before writing anything is raised here (the application answers it with its status);
    later, it ends the stream as an ``errorDetail`` message.
    """
    loop = asyncio.get_running_loop()
    stream = MessageStream(loop)
    early: list[BaseException] = []

    def run() -> list[Event]:
        try:
            return work(stream)
        except Exception as exc:
            if stream.started:
                stream.error(exc)
            else:
                early.append(exc)
            return []
        finally:
            stream.out.finish()

    future = loop.run_in_executor(request.state.long, run)

    def publish(done: asyncio.Future[list[Event]]) -> None:
        if not done.cancelled() and done.exception() is None and done.result():
            request.state.publish(done.result())

    future.add_done_callback(publish)
    if not await stream.out.first():
        await future
        if early:
            raise early[0]
        return StreamResponse(_nothing())
    return StreamResponse(stream.out.chunks(), on_disconnect=stream.out.abort)
