"""Read-only image layers, content-addressed by chain ID and reference counted.

Invariants (as in moby's ``layer`` package): a layer's DiffID is the sha256 of the
exact uncompressed tar stream it was registered from, and reading it back yields those
same bytes, verified against the DiffID; a layer's chain ID is its DiffID for a base
layer and ``sha256("<parent chain> <diff id>")`` otherwise; every layer keeps its
parent alive; a layer is deleted only when its last reference is released.
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
from dockyard.layer.store import MAX_LAYER_DEPTH, LayerStore, child_chain_id

__all__ = [
    "EMPTY_TAR_DIFF_ID",
    "MAX_LAYER_DEPTH",
    "ChainID",
    "DiffID",
    "InvalidLayer",
    "Layer",
    "LayerInfo",
    "LayerMetadata",
    "LayerProblem",
    "LayerStore",
    "StagedLayer",
    "child_chain_id",
]
