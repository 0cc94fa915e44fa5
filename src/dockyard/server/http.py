"""Requests and responses of the Engine API server, on top of raw ASGI.

A handler receives a :class:`Request` and returns a :class:`Response` (a whole body) or a
:class:`StreamResponse` (an async iterator of body chunks, sent chunked). Errors are
raised as :class:`ApiError` or as dockyard's own errors; the application turns both into
dockerd's ``{"message": …}`` answers (see :mod:`dockyard.server.errors`).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import parse_qs

from dockyard.server import versions

if TYPE_CHECKING:
    from dockyard.server.state import ServerState

__all__ = [
    "JSON_TYPE",
    "ApiError",
    "Request",
    "Response",
    "StreamResponse",
    "bool_value",
    "json_response",
]

JSON_TYPE = "application/json"
_T = TypeVar("_T")
_FALSE = frozenset({"", "0", "no", "false", "none"})

#: ASGI callables.
Receive = Callable[[], Any]
Send = Callable[[dict[str, Any]], Any]


class ApiError(Exception):
    """An error answered with ``status`` and dockerd's ``{"message": …}`` body."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def bool_value(text: str | None) -> bool:
    """Dockerd's ``httputils.BoolValue``: ``""``, ``0``, ``no``, ``false``, ``none`` are false."""
    return text is not None and text.strip().lower() not in _FALSE


@dataclass
class Response:
    """A complete response."""

    status: int = 200
    body: bytes = b""
    content_type: str | None = None
    headers: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class StreamResponse:
    """A response whose body is produced while it is sent (``Transfer-Encoding: chunked``).

    Attributes:
        chunks: the body, chunk by chunk.
        on_disconnect: called (on the event loop) when the client goes away mid-stream.
    """

    chunks: AsyncIterator[bytes]
    status: int = 200
    content_type: str | None = JSON_TYPE
    headers: list[tuple[str, str]] = field(default_factory=list)
    on_disconnect: Callable[[], None] | None = None


def json_response(value: Any, status: int = 200) -> Response:
    """``value`` as dockerd's ``WriteJSON`` writes it."""
    from dockyard.server.wire import dumps

    return Response(status, dumps(value), JSON_TYPE)


class Request:
    """One API request: method, route parameters, query, headers and the body channel.

    Attributes:
        method: the HTTP method.
        path: the decoded path without the ``/vX.Y`` prefix.
        version: the API version of the request (the path's, else the maximum).
        params: the route's parameters (``name``).
        state: the server's shared state (store, events, executors).
    """

    def __init__(
        self,
        scope: Mapping[str, Any],
        receive: Receive,
        state: ServerState,
        *,
        path: str,
        version: str,
        params: dict[str, str],
    ) -> None:
        self.scope = scope
        self.receive = receive
        self.state = state
        self.method: str = scope["method"]
        self.path = path
        self.version = version
        self.params = params
        raw = scope.get("query_string", b"").decode("latin-1")
        self._query = parse_qs(raw, keep_blank_values=True)
        self.headers = {
            k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", ())
        }
        self.body_consumed = False
        #: True when a body pump owns ``receive`` (nobody else may call it).
        self.receive_taken = False

    # --- query ------------------------------------------------------------------------

    def query(self, name: str, default: str = "") -> str:
        """The first value of a query parameter (``r.Form.Get``)."""
        values = self._query.get(name)
        return values[0] if values else default

    def query_all(self, name: str) -> list[str]:
        """Every value of a query parameter, in order."""
        return list(self._query.get(name, ()))

    def has(self, name: str) -> bool:
        """True when the parameter was given (even empty)."""
        return name in self._query

    def flag(self, name: str, default: bool = False) -> bool:
        """A boolean parameter (``BoolValueOrDefault``: absent means ``default``)."""
        if name not in self._query:
            return default
        return bool_value(self.query(name))

    def since(self, version: str) -> bool:
        """True when the request's API version is ``version`` or newer."""
        return versions.at_least(self.version, version)

    def filters(self) -> dict[str, list[str]]:
        """The ``filters`` parameter, in either of the forms dockerd accepts.

        ``{"k": {"v": true}}`` (the CLI's map of sets) and ``{"k": ["v"]}`` (docker-py).

        Raises:
            ApiError: 400 ``invalid filter`` when it is not such JSON.
        """
        text = self.query("filters")
        if not text:
            return {}
        try:
            data = json.loads(text)
        except ValueError:
            raise ApiError(400, "invalid filter") from None
        if not isinstance(data, dict):
            raise ApiError(400, "invalid filter")
        out: dict[str, list[str]] = {}
        for key, value in data.items():
            if isinstance(value, dict):
                out[str(key)] = [str(v) for v in value]
            elif isinstance(value, list) and all(isinstance(v, str) for v in value):
                out[str(key)] = list(value)
            else:
                raise ApiError(400, "invalid filter")
        return out

    # --- body -------------------------------------------------------------------------

    async def body(self, limit: int) -> bytes:
        """The whole request body, refused past ``limit`` bytes (for JSON bodies).

        Raises:
            ApiError: 413 when the body is larger than ``limit``.
        """
        declared = self.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            raise ApiError(413, f"request body is larger than {limit} bytes")
        parts: list[bytes] = []
        size = 0
        while not self.body_consumed:
            message = await self.receive()
            if message["type"] == "http.disconnect":
                raise ApiError(400, "client disconnected")
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                raise ApiError(413, f"request body is larger than {limit} bytes")
            parts.append(chunk)
            self.body_consumed = not message.get("more_body", False)
        return b"".join(parts)

    async def json(self, limit: int | None = None) -> Any:
        """The body as JSON (``None`` when empty), size-checked.

        Raises:
            ApiError: 413 past the limit, 400 when it is not JSON.
        """
        data = await self.body(limit if limit is not None else self.state.settings.json_limit)
        if not data.strip():
            return None
        try:
            return json.loads(data)
        except ValueError as exc:
            raise ApiError(400, f"invalid JSON body: {exc}") from None

    # --- threads ----------------------------------------------------------------------

    async def run(self, func: Callable[..., _T], *args: Any) -> _T:
        """Run store work on the reads pool, off the event loop."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self.state.quick, lambda: func(*args))

    async def run_long(self, func: Callable[..., _T], *args: Any) -> _T:
        """Run a long operation (load, save, import) on its own pool."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self.state.long, lambda: func(*args))
