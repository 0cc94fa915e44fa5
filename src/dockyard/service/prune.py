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

from dockyard.digest import chain_ids
from dockyard.errors import DockyardError, InvalidArgumentError
from dockyard.service.filters import FilterArgs
from dockyard.service.images import ImageSummary, list_images
from dockyard.service.tags import RemoveEvent, remove_image

if TYPE_CHECKING:
    from datetime import datetime

    from dockyard.client import Client
    from dockyard.digest import ImageID
    from dockyard.image import Image

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
    with client.lock.exclusive():
        client.refresh()
        images = client.image_store
        candidates = images.heads() if dangling_only else images.map()
        layers = client.layer_store.map()
        refs = client.reference_store
        top: list[tuple[ImageID, Image]] = []
        for image_id, img in candidates.items():
            if not refs.references(image_id) and images.children(image_id):
                continue
            if until is not None and (img.created is None or img.created.unix_nanos() > until):
                continue
            if img.config is not None and not _match_labels(args, img.config.labels):
                continue
            top.append((image_id, img))
        top.sort(key=lambda item: (-_created(item[1]), item[0]))
        events: list[RemoveEvent] = []
        for image_id, _img in top:
            events.extend(_prune_one(client, image_id, dangling_only))
    sizes = {str(chain): info.diff_size for chain, info in layers.items()}
    reclaimed = sum(sizes.get(event.deleted, 0) for event in events if event.deleted)
    return PruneReport(tuple(events), reclaimed)


def _prune_one(client: Client, image_id: ImageID, dangling_only: bool) -> list[RemoveEvent]:
    refs = client.reference_store.references(image_id)
    targets: list[str]
    if refs:
        if dangling_only and any(r.tag is not None for r in refs):
            return []
        targets = [str(r) for r in refs]
    else:
        targets = [image_id.hex]
    events: list[RemoveEvent] = []
    for target in targets:
        try:
            events.extend(remove_image(client, target, prune=True))
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


def _created(img: Image) -> int:
    return img.created.unix_nanos() if img.created is not None else 0


def disk_usage(client: Client) -> DiskUsage:
    """The image usage ``docker system df`` reports.

    Returns:
        The images (as ``docker images`` lists them) with their shared sizes, and the
        total size of the layers in use.
    """
    client.refresh()
    summaries = list_images(client)
    every = client.image_store.map()
    layers = client.layer_store.map()
    refs = client.reference_store
    counts: dict[str, int] = {}
    counted: dict[str, int] = {}
    for image_id, img in every.items():
        chains = chain_ids(img.rootfs.diff_ids) if img.rootfs is not None else []
        for chain in chains:
            counts[chain] = counts.get(chain, 0) + 1
        if refs.references(image_id) or not client.image_store.children(image_id):
            for chain in chains:
                counted[chain] = 1
    out = []
    for summary in summaries:
        found = every.get(summary.id)
        chains = chain_ids(found.rootfs.diff_ids) if found is not None and found.rootfs else []
        shared = sum(layers[c].diff_size for c in chains if counts.get(c, 0) > 1 and c in layers)
        out.append(replace(summary, shared_size=shared))
    total = sum(info.diff_size for chain, info in layers.items() if chain in counted)
    return DiskUsage(tuple(out), total)
