"""Routing by method and path, as dockerd's router matches them.

Templates use ``{name}`` for one path segment and ``{name:.+}`` for a greedy name that may
contain slashes (image names go into paths verbatim: ``/images/oracle/app:1/json``).
Fixed routes win over templated ones (``/images/json`` is never an image called
``json``), and a route may add a ``when`` predicate on the request (e.g. the presence of
a query parameter); routes with a predicate are tried before those without.

Every module of :mod:`dockyard.server.routes` that defines ``register(router)`` is
loaded by the application: adding endpoints is adding one module there.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from dockyard.server.http import Request, Response, StreamResponse

__all__ = ["Handler", "Route", "Router"]

Handler = Callable[["Request"], Awaitable["Response | StreamResponse"]]
Predicate = Callable[["Request"], bool]
_PARAM = re.compile(r"\{(\w+)(?::([^}]+))?\}")


@dataclass(frozen=True)
class Route:
    """One route.

    Attributes:
        method: the HTTP method (``GET`` routes also answer ``HEAD`` only when declared).
        template: the path template, without the version prefix.
        handler: the coroutine that answers.
        when: an extra condition on the request, or None.
    """

    method: str
    template: str
    handler: Handler
    when: Predicate | None = None

    @property
    def pattern(self) -> re.Pattern[str]:
        """The compiled regular expression of the template."""
        return _compile(self.template)

    @property
    def fixed(self) -> bool:
        """True when the template has no parameter."""
        return "{" not in self.template


def _compile(template: str) -> re.Pattern[str]:
    out = []
    pos = 0
    for match in _PARAM.finditer(template):
        out.append(re.escape(template[pos : match.start()]))
        out.append(f"(?P<{match.group(1)}>{match.group(2) or '[^/]+'})")
        pos = match.end()
    out.append(re.escape(template[pos:]))
    return re.compile("".join(out), re.DOTALL)


class Router:
    """The routes of the server, in matching order."""

    def __init__(self) -> None:
        self._routes: list[tuple[Route, re.Pattern[str]]] = []

    def add(self, method: str, template: str, handler: Handler, *,
            when: Predicate | None = None) -> None:  # fmt: skip
        """Register ``handler`` for ``method`` and ``template``."""
        route = Route(method.upper(), template, handler, when)
        self._routes.append((route, route.pattern))
        # predicates first, then fixed templates, then templated ones (stable otherwise)
        self._routes.sort(key=lambda item: (item[0].when is None, not item[0].fixed))

    @property
    def routes(self) -> list[Route]:
        """The routes, in matching order."""
        return [route for route, _ in self._routes]

    def match(
        self, method: str, path: str, request_check: Callable[[Route], bool] | None = None
    ) -> tuple[Route, dict[str, str]] | None:
        """The first route for ``method`` and ``path`` and its parameters, or None.

        Args:
            method: the request's method.
            path: the path without the version prefix.
            request_check: evaluates a route's ``when`` predicate for the request.
        """
        for route, pattern in self._routes:
            if route.method != method:
                continue
            found = pattern.fullmatch(path)
            if found is None:
                continue
            if route.when is not None and (request_check is None or not request_check(route)):
                continue
            return route, found.groupdict()
        return None
