"""The ASGI application: versions, routing, dockerd's headers and error bodies.

For each request: the ``/vX.Y`` prefix is split off (none means the newest version
served); a path no route knows answers 404 ``page not found`` with nothing but a JSON
body, as dockerd's router does; then dockerd's version middleware runs (``Server``,
``Api-Version``, ``Ostype`` headers; a version out of range is refused, in plain text
when too old) and the handler answers. Every error becomes ``{"message": …}`` with
dockerd's status (:mod:`dockyard.server.errors`).
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import logging
import pkgutil
import re
from collections.abc import Iterable, Mapping
from typing import Any

from dockyard.server import versions
from dockyard.server.errors import message_of, status_of
from dockyard.server.http import (
    JSON_TYPE,
    ApiError,
    Receive,
    Request,
    Response,
    Send,
    StreamResponse,
)
from dockyard.server.router import Router
from dockyard.server.state import ServerState
from dockyard.server.wire import dumps

__all__ = ["EngineApp", "build_router", "create_app"]

_VERSIONED = re.compile(r"/v([0-9.]+)(/.*)", re.DOTALL)
_log = logging.getLogger("dockyard.server")


def build_router(modules: Iterable[str] | None = None) -> Router:
    """A router with every route module of :mod:`dockyard.server.routes` registered.

    Args:
        modules: module names to load instead of discovering them (tests).
    """
    router = Router()
    if modules is None:
        import dockyard.server.routes as package

        modules = [
            f"{package.__name__}.{info.name}"
            for info in sorted(pkgutil.iter_modules(package.__path__), key=lambda i: i.name)
            if not info.name.startswith("_")
        ]
    for name in modules:
        module = importlib.import_module(name)
        register = getattr(module, "register", None)
        if register is not None:
            register(router)
    return router


def _headers(pairs: Iterable[tuple[str, str]]) -> list[tuple[bytes, bytes]]:
    return [(k.encode("latin-1"), v.encode("latin-1")) for k, v in pairs]


class EngineApp:
    """The Engine API as an ASGI application over one store."""

    def __init__(self, state: ServerState, router: Router | None = None) -> None:
        self.state = state
        self.router = router or build_router()
        self.server_header = f"dockyard/{state.settings.server_version} (linux)"

    async def __call__(self, scope: Mapping[str, Any], receive: Receive, send: Send) -> None:
        """Answer one ASGI connection scope (``lifespan`` or ``http``)."""
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
        elif scope["type"] == "http":
            await self._http(scope, receive, send)

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                self.state.begin_shutdown()
                await asyncio.get_running_loop().run_in_executor(None, self.state.close)
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def _http(self, scope: Mapping[str, Any], receive: Receive, send: Send) -> None:
        path: str = scope["path"]
        asked: str | None = None
        found = _VERSIONED.fullmatch(path)
        if found is not None:
            asked, path = found.group(1), found.group(2)
        request = Request(scope, receive, self.state, path=path,
                          version=asked or versions.MAX_API, params={})  # fmt: skip
        match = self.router.match(
            request.method, path, lambda route: route.when is not None and route.when(request)
        )
        if match is None:
            body = dumps({"message": "page not found"})
            await self._send(send, Response(404, body, JSON_TYPE), [])
            return
        route, request.params = match
        common = [("Api-Version", versions.MAX_API), ("Ostype", "linux"),
                  ("Server", self.server_header)]  # fmt: skip
        try:
            versions.check(request.version)
        except versions.VersionError as exc:
            if exc.too_old:
                text = Response(400, f"{exc}\n".encode(), "text/plain; charset=utf-8",
                                [("X-Content-Type-Options", "nosniff")])  # fmt: skip
                await self._send(send, text, common)
            else:
                await self._send(send, Response(400, dumps({"message": str(exc)}), JSON_TYPE),
                                 common)  # fmt: skip
            return
        common.append(("Docker-Experimental", "false"))
        try:
            response = await route.handler(request)
        except Exception as exc:
            response = self.error_response(exc, request)
        if isinstance(response, StreamResponse):
            await self._stream(send, receive, response, common, request)
        else:
            await self._send(send, response, common)

    def error_response(self, exc: BaseException, request: Request) -> Response:
        """Dockerd's JSON error answer for ``exc``."""
        status = status_of(exc)
        if status >= 500 and not isinstance(exc, ApiError):
            _log.warning("%s %s failed: %s", request.method, request.path, message_of(exc),
                         exc_info=not _is_expected(exc))  # fmt: skip
        return Response(status, dumps({"message": message_of(exc)}), JSON_TYPE)

    async def _send(self, send: Send, response: Response, common: list[tuple[str, str]]) -> None:
        headers = list(common) + list(response.headers)
        if response.content_type is not None:
            headers.append(("Content-Type", response.content_type))
        headers.append(("Content-Length", str(len(response.body))))
        await send({"type": "http.response.start", "status": response.status,
                    "headers": _headers(headers)})  # fmt: skip
        await send({"type": "http.response.body", "body": response.body})

    async def _stream(self, send: Send, receive: Receive, response: StreamResponse,
                      common: list[tuple[str, str]], request: Request) -> None:  # fmt: skip
        headers = list(common) + list(response.headers)
        if response.content_type is not None:
            headers.append(("Content-Type", response.content_type))
        watcher: asyncio.Task[None] | None = None
        if not request.receive_taken and (request.body_consumed or request.method == "GET"):
            watcher = asyncio.create_task(_watch_disconnect(receive, response))
        try:
            await send({"type": "http.response.start", "status": response.status,
                        "headers": _headers(headers)})  # fmt: skip
            async for chunk in response.chunks:
                if chunk:
                    await send({"type": "http.response.body", "body": chunk, "more_body": True})
            await send({"type": "http.response.body", "body": b""})
        finally:
            if watcher is not None:
                watcher.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await watcher


async def _watch_disconnect(receive: Receive, response: StreamResponse) -> None:
    """Call ``response.on_disconnect`` when the client goes away mid-stream."""
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            if response.on_disconnect is not None:
                response.on_disconnect()
            return


def _is_expected(exc: BaseException) -> bool:
    from dockyard.errors import DockyardError

    return isinstance(exc, DockyardError)


def create_app(client: Any, settings: Any = None, *, modules: Iterable[str] | None = None
               ) -> EngineApp:  # fmt: skip
    """The Engine API application over the store ``client`` (``dockyard.open(root)``).

    Args:
        client: the store.
        settings: a :class:`~dockyard.server.state.Settings` (defaults otherwise).
        modules: route modules to load instead of all of :mod:`dockyard.server.routes`.
    """
    return EngineApp(ServerState(client, settings), build_router(modules))
