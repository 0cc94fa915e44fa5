"""dockyard: a daemon-less, Docker-compatible image store.

``dockyard.open(root)`` opens a store directory and returns a
:class:`~dockyard.client.Client` for its images, layers and tags. Every error raised is
a :class:`~dockyard.errors.DockyardError`.

The names below are imported on first use, so that ``import dockyard`` (and a command
line that only prints its version) stays fast.
"""

from __future__ import annotations

from dockyard._version import __version__

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from dockyard.client import Client, open
    from dockyard.digest import ChainID, DiffID, Digest, ImageID
    from dockyard.errors import DockyardError

__all__ = [
    "ChainID",
    "Client",
    "DiffID",
    "Digest",
    "DockyardError",
    "ImageID",
    "__version__",
    "open",
]

_LAZY = {
    "ChainID": "dockyard.digest",
    "Client": "dockyard.client",
    "DiffID": "dockyard.digest",
    "Digest": "dockyard.digest",
    "DockyardError": "dockyard.errors",
    "ImageID": "dockyard.digest",
    "open": "dockyard.client",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'dockyard' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
