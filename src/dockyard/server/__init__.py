"""The Docker Engine API over a dockyard store (``dockyard serve``).

``docker`` (any CLI from 20.10 to 28.x), docker-py and anything built on them talk to a
store through this server as they would to dockerd, for the image commands: ``load``,
``save``, ``images``, ``inspect``, ``history``, ``tag``, ``rmi``, ``image prune``,
``import``, ``system df``, ``events``, ``version``, ``info``. It needs the ``server``
extra (``pip install 'dockyard[server]'``: uvicorn); the library does not.

Modules: :mod:`~dockyard.server.app` (the ASGI application), :mod:`~dockyard.server.routes`
(one module per group of endpoints), :mod:`~dockyard.server.serve` (listeners, signals),
:mod:`~dockyard.server.shapes` (per-version response shapes), :mod:`~dockyard.server.wire`
(Go's JSON), :mod:`~dockyard.server.bridge` (bodies streamed to and from worker threads),
:mod:`~dockyard.server.events` (``/events``).
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from dockyard.server.app import EngineApp, create_app
    from dockyard.server.serve import ServeOptions, serve

__all__ = ["EngineApp", "ServeOptions", "create_app", "serve"]

_LAZY = {
    "EngineApp": "dockyard.server.app",
    "create_app": "dockyard.server.app",
    "ServeOptions": "dockyard.server.serve",
    "serve": "dockyard.server.serve",
}


def __getattr__(name: str) -> object:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'dockyard.server' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(module), name)
