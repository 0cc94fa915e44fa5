"""dockyard: a daemon-less, Docker-compatible image store."""

from __future__ import annotations

from dockyard._version import __version__

__all__ = ["__version__"]
