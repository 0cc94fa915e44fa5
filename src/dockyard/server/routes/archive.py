"""``POST /images/load``, ``GET /images/get`` and ``/images/{name}/get`` (save), import.

The archive is never held in memory: a load reads the request body as it arrives (a
worker thread runs the ordinary :func:`~dockyard.archive.load.load` on it), a save writes
into the response as it is produced, and an import stages the body's layer while it
arrives. Each runs on the long-operations pool, so reads are never queued behind it.
"""

from __future__ import annotations

import asyncio
import io
import time
from collections.abc import AsyncIterator, Callable
from typing import TYPE_CHECKING, Any, BinaryIO, cast

from dockyard.errors import InvalidReference
from dockyard.server.bridge import BodyReader, BodyWriter
from dockyard.server.errors import message_of
from dockyard.server.events import Event, image_event
from dockyard.server.http import ApiError, Request, Response, StreamResponse
from dockyard.server.routes.images import decode_platform
from dockyard.server.wire import error_message, progress_message, stream_message

if TYPE_CHECKING:
    from dockyard.client import Client
    from dockyard.progress import Progress
    from dockyard.server.router import Router

__all__ = ["register"]

_TAR = "application/x-tar"
_PROGRESS_BYTES = 512 * 1024
_PROGRESS_SECONDS = 0.1


def register(router: Router) -> None:
    """Add the archive routes."""
    router.add("POST", "/images/load", load)
    router.add("GET", "/images/get", save)
    router.add("GET", "/images/{name:.*}/get", save)
    router.add("POST", "/images/create", create)


def _platform(request: Request, since: str) -> str | None:
    if not request.since(since):
        return None
    values = request.query_all("platform")
    if len(values) > 1:
        raise ApiError(400, "multiple platform parameters not supported")
    return decode_platform(values[0]) if values and values[0] else None


def _labels_of(client: Client, ids: list[str]) -> dict[str, dict[str, str] | None]:
    with client.view() as view:
        out: dict[str, dict[str, str] | None] = {}
        for image_id in ids:
            row = view.image(image_id)
            out[image_id] = dict(row.labels) if row is not None and row.labels else None
        return out


class _Throttle:
    """dockerd's progress rate: the first report, then every 512 KiB and 100 ms, the last."""

    def __init__(self, write: Callable[[bytes], Any]) -> None:
        self._write = write
        self._last: dict[str, tuple[int, float]] = {}

    def __call__(self, event: Progress) -> None:
        if event.action != "Loading layer":
            return
        now = time.monotonic()
        last = self._last.get(event.item)
        if (
            not event.done
            and last is not None
            and (event.current - last[0] < _PROGRESS_BYTES or now - last[1] < _PROGRESS_SECONDS)
        ):
            return
        self._last[event.item] = (event.current, now)
        self._write(progress_message("Loading layer", event.item, event.current, event.total))


# --- load ----------------------------------------------------------------------------------


async def load(request: Request) -> StreamResponse:
    """``docker load``: the JSON message stream; errors inside it, as dockerd sends them."""
    from dockyard.archive.load import load as load_archive

    platform = _platform(request, "1.48")
    quiet = request.flag("quiet", default=True)
    client = request.state.client
    loop = asyncio.get_running_loop()
    body = BodyReader(loop)
    out = BodyWriter(loop, limit=1 << 20)
    request.receive_taken = True  # the pump owns ``receive`` from now on
    pump = asyncio.create_task(body.pump(request.receive))

    def work() -> list[Event]:
        try:
            progress = None if quiet else _Throttle(out.write)
            stream = io.BufferedReader(body, 1 << 20)
            result = load_archive(client, stream, platform=platform, progress=progress)
            for line in result.lines:
                out.write(stream_message(line + "\n"))
            ids = [str(image.id) for image in result.images]
            labels = _labels_of(client, ids)
            return [image_event("load", i, i, labels.get(i)) for i in ids]
        except Exception as exc:
            out.write(error_message(message_of(exc)))
            return []
        finally:
            body.abort()
            out.finish()

    future = loop.run_in_executor(request.state.long, work)
    future.add_done_callback(lambda f: _publish(request, f))

    async def stream() -> AsyncIterator[bytes]:
        try:
            async for chunk in out.chunks():
                yield chunk
        finally:
            pump.cancel()

    return StreamResponse(stream(), on_disconnect=out.abort)


def _publish(request: Request, future: asyncio.Future[list[Event]]) -> None:
    if not future.cancelled() and future.exception() is None:
        request.state.publish(future.result())


# --- save ----------------------------------------------------------------------------------


async def save(request: Request) -> Response | StreamResponse:
    """``docker save``: the archive, streamed; errors before the first byte are answers."""
    from dockyard.archive.save import save as save_archive

    name = request.params.get("name")
    names = [name] if name is not None else request.query_all("names")
    platform = _platform(request, "1.48")
    client = request.state.client
    loop = asyncio.get_running_loop()
    out = BodyWriter(loop)

    def work() -> list[Event]:
        try:
            result = save_archive(client, names, cast("BinaryIO", out), platform=platform)
        finally:
            out.finish()
        ids = list(dict.fromkeys(str(item.image_id) for item in result.images))
        labels = _labels_of(client, ids)
        return [image_event("save", i, i, labels.get(i)) for i in ids]

    future = loop.run_in_executor(request.state.long, work)
    future.add_done_callback(lambda f: _publish(request, f))
    if not await out.first():
        try:
            await future
        except InvalidReference as exc:
            raise ApiError(500, str(exc)) from None  # dockerd's save: an unclassified error
        return Response(200, b"", _TAR)

    async def stream() -> AsyncIterator[bytes]:
        async for chunk in out.chunks():
            yield chunk
        await future  # an error past the first byte cuts the connection

    return StreamResponse(stream(), content_type=_TAR, on_disconnect=out.abort)


# --- import --------------------------------------------------------------------------------


async def create(request: Request) -> Response | StreamResponse:
    """``docker import`` (``fromSrc``); ``fromImage`` (pull) is :mod:`.registry`'s route."""
    from dockyard.server.routes._imports import import_from

    return await import_from(request)
