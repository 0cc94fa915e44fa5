"""Rendered read responses, kept while the store does not change.

``docker images`` and ``docker image inspect`` ask the same questions again and again;
their answers depend on nothing but the committed state of the store (and the request:
path, API version, query). The store's change key (its change token and the stamps of
its files, :meth:`~dockyard.store.store.Store.change_key`) costs a file read and a few
``stat`` calls, so a repeated read is answered on the event loop, without a thread hop,
a view or any encoding. The key is taken before the answer is rendered and checked
again after: an answer rendered while a commit landed is not kept. Any commit, by this
server or by a ``dockyard`` command on the same store, changes the key. While a long
operation runs, reads are rendered on the read pool as without the cache (see
:func:`cached`): answered from memory, readers that never pause would starve it.
"""

from __future__ import annotations

import functools
import threading
from collections import OrderedDict
from typing import TYPE_CHECKING, Any

from dockyard.server.http import Response

if TYPE_CHECKING:
    from dockyard.server.http import Request
    from dockyard.server.router import Handler

__all__ = ["ReadCache", "cached"]

_ENTRIES = 512
_MAX_BODY = 4 << 20


class ReadCache:
    """A bounded map of request → (change key, response), least recently used first out."""

    def __init__(self, entries: int = _ENTRIES) -> None:
        self._entries = entries
        self._items: OrderedDict[tuple[Any, ...], tuple[str, Response]] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get(self, ident: tuple[Any, ...], key: str) -> Response | None:
        """The response kept for ``ident`` under ``key``, or None."""
        with self._lock:
            found = self._items.get(ident)
            if found is None or found[0] != key:
                self.misses += 1
                return None
            self._items.move_to_end(ident)
            self.hits += 1
            return found[1]

    def put(self, ident: tuple[Any, ...], key: str, response: Response) -> None:
        """Keep ``response`` for ``ident`` under ``key``."""
        with self._lock:
            self._items[ident] = (key, response)
            self._items.move_to_end(ident)
            while len(self._items) > self._entries:
                self._items.popitem(last=False)


def _change_key(request: Request) -> str | None:
    store = getattr(request.state.client, "store", None)
    change_key = getattr(store, "change_key", None)
    if change_key is None:
        return None
    try:
        key = change_key()
    except Exception:  # an unreadable token: answer without the cache
        return None
    return key if isinstance(key, str) else None


def cached(handler: Handler) -> Handler:
    """Answer ``handler``'s successful, whole responses from the cache while they hold."""

    @functools.wraps(handler)
    async def wrapper(request: Request) -> Any:
        if getattr(request.state.long, "active", 0):
            # A load, save, import, pull or push is running: its body pump and its threads
            # share this loop and the interpreter. Answered from memory, 50 readers that
            # never pause took the whole loop (a 600 MiB load: 14 s -> 189 s); rendered on
            # the read pool, as without the cache, they leave the load its share.
            return await handler(request)  # and no file is read on the loop meanwhile
        key = _change_key(request)
        if key is None:
            return await handler(request)
        cache: ReadCache = request.state.read_cache
        ident = (request.method, request.path, request.version,
                 request.scope.get("query_string", b""))  # fmt: skip
        hit = cache.get(ident, key)
        if hit is not None:
            return hit
        response = await handler(request)
        if (
            isinstance(response, Response)
            and response.status == 200
            and len(response.body) <= _MAX_BODY
            and _change_key(request) == key
        ):
            cache.put(ident, key, response)
        return response

    return wrapper
