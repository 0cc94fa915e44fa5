"""Paginated listings: ``tags/list`` and ``_catalog``, following ``Link: <…>; rel="next"``."""

from __future__ import annotations

import re
from collections.abc import Iterator

import httpx

from dockyard.errors import RegistryError
from dockyard.registry.transport import Transport

__all__ = ["next_link", "paginate"]

_LINK_NEXT = re.compile(r'<([^>]*)>\s*;\s*rel="?next"?')
#: A bound on pages, against a registry whose links go round in circles.
MAX_PAGES = 10_000


def next_link(response: httpx.Response) -> str | None:
    """The absolute URL of the next page, from the ``Link`` header (relative or absolute)."""
    for value in response.headers.get_list("link"):
        match = _LINK_NEXT.search(value)
        if match is not None:
            return str(response.request.url.join(match.group(1)))
    return None


def paginate(
    transport: Transport, host: str, url: str, scopes: frozenset[str], key: str
) -> Iterator[str]:
    """The strings of list ``key`` in every page, starting at ``url``.

    Raises:
        NameUnknown: the repository does not exist (tags).
        RegistryHTTPError: any other error answer.
        RegistryError: a page is not the expected JSON.
    """
    page: str | None = url
    pages = 0
    while page is not None and pages < MAX_PAGES:
        pages += 1
        response = transport.request("GET", page, host=host, scopes=scopes)
        transport.check(response, not_found_code="NAME_UNKNOWN")
        try:
            body = response.read()
            doc = response.json() if body else {}
        except ValueError as exc:
            raise RegistryError(f"invalid {key} listing from {page}") from exc
        items = doc.get(key) if isinstance(doc, dict) else None
        for item in items or ():
            if isinstance(item, str):
                yield item
        page = next_link(response)
