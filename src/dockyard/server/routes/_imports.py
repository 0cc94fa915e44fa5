"""``POST /images/create?fromSrc=…``: ``docker import`` of a root filesystem tarball.

``fromSrc=-`` reads the request body; any other value is fetched as a URL (``http://`` is
assumed without a scheme), as dockerd does; nothing is ever read from the server's own
files. ``repo`` may carry the tag (the Docker CLI sends ``repo=name:tag``) or ``tag`` may
give it (docker-py); ``message`` defaults to ``Imported from <src>``.
"""

from __future__ import annotations

import asyncio
import io
from collections.abc import AsyncIterator, Callable
from typing import TYPE_CHECKING, Any

from dockyard.errors import DockyardError, InvalidArgumentError
from dockyard.server.bridge import BodyReader, BodyWriter
from dockyard.server.errors import message_of
from dockyard.server.events import Event, image_event
from dockyard.server.http import ApiError, Request, Response, StreamResponse
from dockyard.server.routes.images import repo_tag
from dockyard.server.wire import error_message, progress_message, status_message
from dockyard.service.imports import InvalidChange

if TYPE_CHECKING:
    from dockyard.progress import Progress

__all__ = ["import_from"]


class FetchError(DockyardError):
    """A ``fromSrc`` URL could not be fetched (answered 500, as dockerd does)."""


async def import_from(request: Request) -> Response | StreamResponse:
    """Import the body (or the ``fromSrc`` URL) as a new image."""
    from dockyard.service.imports import import_image

    src = request.query("fromSrc")
    try:
        target = repo_tag(request.query("repo"), request.query("tag"))
    except DockyardError as exc:
        raise ApiError(400, str(exc)) from None
    message = request.query("message") or f"Imported from {src}"
    changes = request.query_all("changes")
    platform = request.query("platform") if request.since("1.32") else ""
    client = request.state.client
    loop = asyncio.get_running_loop()

    def run(source: Any, progress: Callable[[Progress], None] | None) -> Event:
        image_id = str(import_image(client, source, target, changes=changes, message=message,
                                    platform=platform or None, progress=progress))  # fmt: skip
        with client.view() as view:
            row = view.image(image_id)
            labels = dict(row.labels) if row is not None and row.labels else None
        return image_event("import", image_id, image_id, labels)

    if src != "-":
        return await _from_url(request, src, run)
    body = BodyReader(loop)
    request.receive_taken = True
    pump = asyncio.create_task(body.pump(request.receive))

    def work() -> Event:
        try:
            return run(io.BufferedReader(body, 1 << 20), None)
        finally:
            body.abort()

    try:
        event = await loop.run_in_executor(request.state.long, work)
    except InvalidChange as exc:
        raise ApiError(400, _as_typed(str(exc), changes)) from None
    finally:
        pump.cancel()
    request.state.publish([event])
    return StreamResponse(_one(status_message(event.image_id)))


def _as_typed(message: str, changes: list[str]) -> str:
    """Docker 28's wording: the instruction as the client typed it (``RUN is not …``)."""
    word, sep, rest = message.partition(" is not a valid change command")
    if not sep:
        return message
    for change in changes:
        typed = change.strip().split(maxsplit=1)[0] if change.strip() else ""
        if typed.lower() == word:
            return f"{typed}{sep}{rest}"
    return message


async def _one(data: bytes) -> AsyncIterator[bytes]:
    yield data


def _open_url(src: str) -> tuple[Any, Any, str, int | None]:
    """GET ``src``: the client, the streamed response, the URL and its length.

    Raises:
        FetchError: the request failed or answered an error status (dockerd's words).
    """
    import httpx

    url = src if "://" in src else f"http://{src}"
    client = httpx.Client(follow_redirects=True, timeout=httpx.Timeout(30.0, read=300.0))
    try:
        response = client.send(client.build_request("GET", url), stream=True)
    except (httpx.HTTPError, ValueError) as exc:
        client.close()
        raise FetchError(f'Get "{url}": {_go_wording(url, exc)}') from None
    if response.status_code >= 400:
        text = response.read()[:512].decode("utf-8", "replace")
        response.close()
        client.close()
        raise FetchError(f"failed to GET {url} with status {response.status_code} "
                         f"{response.reason_phrase}: {text}")  # fmt: skip
    length = response.headers.get("content-length")
    return client, response, url, int(length) if length and length.isdigit() else None


def _go_wording(url: str, exc: Exception) -> str:
    """A connection error in the words of Go's ``net`` package (as dockerd reports it)."""
    import errno
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    address = f"{parts.hostname}:{port}"
    cause: BaseException | None = exc
    while cause is not None:
        if isinstance(cause, ConnectionRefusedError) or (
            isinstance(cause, OSError) and cause.errno == errno.ECONNREFUSED
        ):
            return f"dial tcp {address}: connect: connection refused"
        if isinstance(cause, TimeoutError):
            return f"dial tcp {address}: i/o timeout"
        cause = cause.__cause__ or cause.__context__
    text = str(exc)
    if "Name or service not known" in text or "nodename nor servname" in text:
        return f"dial tcp: lookup {parts.hostname}: no such host"
    return text


class _ResponseStream(io.RawIOBase):
    """A fetched body as a readable stream that reports ``Importing`` progress."""

    def __init__(self, response: Any, report: Callable[[int], None]) -> None:
        super().__init__()
        self._chunks = response.iter_raw(1 << 20)
        self._pending = b""
        self._report = report
        self.done = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        if not self._pending:
            self._pending = next(self._chunks, b"")
        take = min(len(view), len(self._pending))
        view[:take] = self._pending[:take]
        self._pending = self._pending[take:]
        self.done += take
        if take:
            self._report(self.done)
        return take


async def _from_url(request: Request, src: str, run: Callable[..., Event]) -> StreamResponse:
    """Import from a URL: errors before the download are answers, later ones are messages."""
    loop = asyncio.get_running_loop()
    try:
        opened = await loop.run_in_executor(request.state.long, _open_url, src)
    except InvalidArgumentError as exc:
        raise ApiError(400, str(exc)) from None
    http, response, url, length = opened
    out = BodyWriter(loop, limit=1 << 20)
    out.write(status_message(f"Downloading from {url}"))

    def work() -> list[Event]:
        last = [0]

        def report(done: int) -> None:
            if done - last[0] >= 512 * 1024 or (length is not None and done >= length):
                last[0] = done
                out.write(progress_message("Importing", "", done, length))

        try:
            event = run(io.BufferedReader(_ResponseStream(response, report), 1 << 20), None)
            out.write(status_message(event.image_id))
            return [event]
        except Exception as exc:
            out.write(error_message(message_of(exc)))
            return []
        finally:
            response.close()
            http.close()
            out.finish()

    future = loop.run_in_executor(request.state.long, work)
    future.add_done_callback(
        lambda f: (
            request.state.publish(f.result()) if not f.cancelled() and not f.exception() else None
        )
    )
    return StreamResponse(out.chunks(), on_disconnect=out.abort)
