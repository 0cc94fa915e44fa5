"""Images in motion between the store, archives, OCI layouts and registries.

A *source* offers :class:`SourceImage` s: the exact config bytes (the image ID is their
sha256), the tags, an optional parent, and one :class:`SourceLayer` per DiffID, which a
*sink* asks for only when it lacks it. Every medium speaks this vocabulary: the store
(:class:`StoreSink`; and as a source for save and push), docker and OCI archives (the
loader's planner), and registries (:mod:`dockyard.transfer.registry`).
"""

from __future__ import annotations

from dockyard.transfer.model import ImageSource, SourceImage, SourceLayer
from dockyard.transfer.sink import StoreSink

__all__ = ["ImageSource", "SourceImage", "SourceLayer", "StoreSink"]
