"""dockyard: a daemon-less, Docker-compatible image store.

``dockyard.open(root)`` opens (or creates) a store directory and returns a
:class:`~dockyard.client.Client` wired to its image, layer and reference stores.
Every error raised is a :class:`~dockyard.errors.DockyardError`.
"""

from __future__ import annotations

from dockyard._version import __version__
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
