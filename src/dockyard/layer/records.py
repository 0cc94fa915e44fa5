"""Building the in-memory layer graph from what is on disk, keeping live handles."""

from __future__ import annotations

from typing import TYPE_CHECKING

from dockyard.layer.model import LayerProblem, LayerRecord

if TYPE_CHECKING:
    from collections.abc import Mapping

    from dockyard.digest import ChainID
    from dockyard.layer.filestore import FSLayerDB, RawLayer

__all__ = ["link_records"]


def link_records(
    raws: list[RawLayer],
    old: Mapping[ChainID, LayerRecord],
    db: FSLayerDB,
    problems: list[LayerProblem],
) -> dict[ChainID, LayerRecord]:
    """Link the layers read from disk to their parents; return them by chain ID.

    A layer whose record already exists (same DiffID, cache ID and size) keeps that
    record and its outstanding handles. Layers whose parent is missing, or whose parent
    chain loops, are left out and reported in ``problems``. Reference counts are
    recomputed: one per outstanding handle plus one per child layer.
    """
    by_chain = {raw.chain_id: raw for raw in raws}
    new: dict[ChainID, LayerRecord] = {}
    visiting: set[ChainID] = set()
    failed: set[ChainID] = set()

    def problem(raw: RawLayer, reason: str) -> None:
        problems.append(LayerProblem(raw.chain_id.hex, db.layer_dir(raw.chain_id), reason))

    def build(raw: RawLayer) -> LayerRecord | None:
        if raw.chain_id in new:
            return new[raw.chain_id]
        if raw.chain_id in failed:
            return None
        if raw.chain_id in visiting:
            failed.add(raw.chain_id)
            problem(raw, "parent chain is a cycle")
            return None
        parent: LayerRecord | None = None
        if raw.parent is not None:
            parent_raw = by_chain.get(raw.parent)
            visiting.add(raw.chain_id)
            parent = None if parent_raw is None else build(parent_raw)
            visiting.discard(raw.chain_id)
            if parent is None:
                failed.add(raw.chain_id)
                problem(raw, f"parent {raw.parent} not loaded")
                return None
        record = old.get(raw.chain_id)
        if record is None or not _same(record, raw):
            payload = db.payload_path(raw.cache_id)
            record = LayerRecord(
                raw.chain_id, raw.diff_id, parent, raw.diff_size, raw.cache_id, payload
            )
        record.parent = parent
        new[raw.chain_id] = record
        return record

    for raw in raws:
        build(raw)
    for record in new.values():
        record.ref_count = len(record.handles)
    for record in new.values():
        if record.parent is not None:
            record.parent.ref_count += 1
    return new


def _same(record: LayerRecord, raw: RawLayer) -> bool:
    return (
        record.diff_id == raw.diff_id
        and record.cache_id == raw.cache_id
        and record.diff_size == raw.diff_size
    )
