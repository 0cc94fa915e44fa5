"""``docker image prune`` and the image part of ``docker system df``.

Pruning follows moby ``daemon/images/image_prune.go``: candidates are the images
without children (all images with ``all``), minus untagged intermediates, minus what
``until``/``label``/``label!`` exclude; a candidate with references is removed
reference by reference (only when it has no tag, unless ``all``), one without by ID,
each with parent pruning; conflicts are skipped silently. The space reclaimed is the
sum of the own sizes of the layers that were deleted.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from dockyard.errors import DockyardError, InvalidArgumentError
from dockyard.service.filters import FilterArgs
from dockyard.service.images import ImageSummary, list_in
from dockyard.service.tags import RemoveEvent, remove_in
from dockyard.store.downloads import Downloads

if TYPE_CHECKING:
    from datetime import datetime

    from dockyard.client import Client
    from dockyard.store.records import ImageRow
    from dockyard.store.txn import Transaction

__all__ = ["PRUNE_FILTERS", "DiskUsage", "PruneReport", "disk_usage", "prune_images"]

#: The filters ``docker image prune`` accepts (moby ``imagesAcceptedFilters``).
PRUNE_FILTERS = frozenset({"dangling", "label", "label!", "until"})


@dataclass(frozen=True, slots=True)
class PruneReport:
    """What a prune removed.

    Attributes:
        deleted: the ``Untagged``/``Deleted`` events, in order.
        space_reclaimed: bytes freed (own sizes of the deleted layers).
    """

    deleted: tuple[RemoveEvent, ...]
    space_reclaimed: int

    def to_api(self) -> dict[str, Any]:
        """docker-py's / the Engine API's ``{"ImagesDeleted": […], "SpaceReclaimed": n}``.

        ``ImagesDeleted`` is ``null`` when nothing was removed, as Docker sends it.
        """
        deleted = [event.to_api() for event in self.deleted] or None
        return {"ImagesDeleted": deleted, "SpaceReclaimed": self.space_reclaimed}


@dataclass(frozen=True, slots=True)
class DiskUsage:
    """The ``Images`` line of ``docker system df``.

    Attributes:
        images: the listed images (intermediates hidden), with ``shared_size`` set.
        layers_size: own sizes of every layer used by a listed image or a tagged one.
        active: images used by containers (always 0: dockyard has no containers).
    """

    images: tuple[ImageSummary, ...]
    layers_size: int
    active: int = 0

    @property
    def total_count(self) -> int:
        """Number of images (``TOTAL``)."""
        return len(self.images)

    @property
    def size(self) -> int:
        """``SIZE``: the layers' total size."""
        return self.layers_size

    @property
    def reclaimable(self) -> int:
        """``RECLAIMABLE``: everything, as no container uses any image."""
        return self.layers_size


def prune_images(
    client: Client,
    *,
    all: bool = False,
    filters: Mapping[str, Any] | None = None,
    now: datetime | None = None,
) -> PruneReport:
    """Remove unused images as ``docker image prune [-a]`` does.

    Args:
        client: the store.
        all: remove every unused image, not just dangling ones (adds ``dangling=false``
            to the filters, as the Docker CLI does).
        filters: ``dangling``, ``until=<timestamp|duration>``, ``label=…``,
            ``label!=…``.
        now: the reference time for ``until`` durations (default: now).

    Returns:
        The events and the space reclaimed.

    Raises:
        InvalidFilter: an unknown filter or a bad ``dangling`` value.
        InvalidArgumentError: ``more than one until filter specified``, or an ``until``
            value that is neither a time nor a duration.
    """
    args = FilterArgs(filters)
    if all:
        args.fields.setdefault("dangling", set()).add("false")
    args.validate(PRUNE_FILTERS)
    dangling_only = args.get_bool("dangling", True)
    until = _until(args, now)
    with client.transaction() as tx:
        view = tx.view
        with_children = view.with_children()
        sizes = {str(chain): layer.diff_size for chain, layer in view.layers().items()}
        top: list[ImageRow] = []
        for row in view.images():
            if dangling_only and row.id in with_children:
                continue
            tagged = bool(view.ref_rows(row.id))
            if not tagged and row.id in with_children:
                continue
            if until is not None and (row.created_ns is None or row.created_ns > until):
                continue
            if not _match_labels(args, row.labels):
                continue
            top.append(row)
        top.sort(key=lambda row: (-(row.created_ns or 0), row.id))
        events: list[RemoveEvent] = []
        for row in top:
            events.extend(_prune_one(tx, row, dangling_only))
    reclaimed = sum(sizes.get(event.deleted, 0) for event in events if event.deleted)
    reclaimed += Downloads(client.layout).clear()  # what interrupted pulls left
    return PruneReport(tuple(events), reclaimed)


def _prune_one(tx: Transaction, row: ImageRow, dangling_only: bool) -> list[RemoveEvent]:
    if tx.view.image(row.id) is None:
        return []  # removed with a child pruned before it
    refs = tx.view.references(row.id)
    targets: list[str]
    if refs:
        if dangling_only and any(r.tag is not None for r in refs):
            return []
        targets = [str(r) for r in refs]
    else:
        targets = [row.id.hex]
    events: list[RemoveEvent] = []
    for target in targets:
        try:
            events.extend(remove_in(tx, target, prune=True))
        except DockyardError:
            continue  # conflicts are expected; Docker only logs anything else
    return events


def _until(args: FilterArgs, now: datetime | None) -> int | None:
    values = args.get("until")
    if not values:
        return None
    if len(values) > 1:
        raise InvalidArgumentError("more than one until filter specified")
    return args.timestamp(values[0], now)


def _match_labels(args: FilterArgs, labels: Mapping[str, str] | None) -> bool:
    if not args.match_kv_list("label", labels):
        return False
    return not (args.contains("label!") and args.match_kv_list("label!", labels))


def disk_usage(client: Client) -> DiskUsage:
    """The image usage ``docker system df`` reports.

    Returns:
        The images (as ``docker images`` lists them) with their shared sizes, and the
        total size of the layers in use.
    """
    with client.view() as view:
        summaries = list_in(view, FilterArgs(None))
        layers = {str(chain): layer for chain, layer in view.layers().items()}
        with_children = view.with_children()
        tagged = {str(image_id) for image_id in view.refs_by_image()}
        chains_of: dict[str, list[str]] = {}
        counts: dict[str, int] = {}
        counted: set[str] = set()
        for row in view.images():
            chains = _chain(layers, row.chain)
            chains_of[row.id] = chains
            for chain in chains:
                counts[chain] = counts.get(chain, 0) + 1
            if row.id in tagged or row.id not in with_children:
                counted.update(chains)
    out = []
    for summary in summaries:
        chains = chains_of.get(summary.id, [])
        shared = sum(layers[c].diff_size for c in chains if counts.get(c, 0) > 1)
        out.append(replace(summary, shared_size=shared))
    total = sum(layer.diff_size for chain, layer in layers.items() if chain in counted)
    return DiskUsage(tuple(out), total)


def _chain(layers: Mapping[Any, Any], top: str | None) -> list[str]:
    """The chain IDs of a layer stack, top first (the layers present)."""
    out: list[str] = []
    current = top
    while current and current in layers:
        out.append(current)
        current = layers[current].parent
    return out
