"""Read-only image layers: their value types, ingestion and on-disk metadata format.

Invariants (as in moby's ``layer`` package): a layer's DiffID is the sha256 of the
exact uncompressed tar stream it was registered from, and reading it back yields those
same bytes, verified against the DiffID; a layer's chain ID is its DiffID for a base
layer and ``sha256("<parent chain> <diff id>")`` otherwise; a layer is kept while an
image or a child layer uses it. The store that keeps layers is :mod:`dockyard.store`.
"""

from __future__ import annotations

from dockyard.digest import EMPTY_TAR_DIFF_ID, ChainID, DiffID
from dockyard.layer.model import (
    InvalidLayer,
    Layer,
    LayerInfo,
    LayerMetadata,
    LayerProblem,
    StagedLayer,
)

__all__ = [
    "EMPTY_TAR_DIFF_ID",
    "ChainID",
    "DiffID",
    "InvalidLayer",
    "Layer",
    "LayerInfo",
    "LayerMetadata",
    "LayerProblem",
    "StagedLayer",
]
