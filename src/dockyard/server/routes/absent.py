"""The object kinds a store of images does not have: containers, networks, volumes, plugins.

The generic ``docker inspect NAME`` looks a name up as a container first, then as an
image, then (when still unknown) as a network, a volume and a plugin. Each of those must
answer 404 with dockerd's wording for an unknown object, so that the CLI goes on to the
next kind and finally prints ``Error: No such object: NAME``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from dockyard.server.http import ApiError, Request, Response

if TYPE_CHECKING:
    from dockyard.server.router import Router

__all__ = ["register"]


def register(router: Router) -> None:
    """Add the 404 answers of the object kinds dockyard does not have."""
    router.add("GET", "/containers/{name:.*}/json", container)
    router.add("GET", "/networks/{name:.*}", network)
    router.add("GET", "/volumes/{name:.*}", volume)
    router.add("GET", "/plugins/{name:.*}/json", plugin)


async def container(request: Request) -> Response:
    """No container exists."""
    raise ApiError(404, f"No such container: {request.params['name']}")


async def network(request: Request) -> Response:
    """No network exists."""
    raise ApiError(404, f"network {request.params['name']} not found")


async def volume(request: Request) -> Response:
    """No volume exists."""
    raise ApiError(404, f"get {request.params['name']}: no such volume")


async def plugin(request: Request) -> Response:
    """No plugin exists."""
    raise ApiError(404, f'plugin "{request.params["name"]}" not found')
