"""``docker history``: an image's build steps, newest first (moby ``ImageHistory``).

Docker's rules, reproduced here:

* one row per entry of the config's ``history``, newest first;
* a non-empty entry's size is the *own* (diff) size of the layer it added, found by
  walking the DiffIDs in order; an empty entry's size is 0;
* the top row carries the image's ID and tags; then each following row, one per row,
  carries the ID and tags of the next recorded parent image, as long as that parent
  is in the store; every other row shows ``<missing>`` (and no tags). The parent chain
  is followed row by row regardless of which rows are empty layers.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from dockyard.digest import chain_ids
from dockyard.errors import InvalidImageConfig, LayerNotFound
from dockyard.service.lookup import get_image

if TYPE_CHECKING:
    from dockyard.client import Client
    from dockyard.image import Image
    from dockyard.store.view import View

__all__ = ["MISSING", "HistoryRow", "history", "history_in"]

#: The ID Docker shows for steps it has no image for.
MISSING = "<missing>"


@dataclass(frozen=True, slots=True)
class HistoryRow:
    """One row of ``docker history`` (the Engine API's ``HistoryResponseItem``).

    Attributes:
        id: an image ID, or ``<missing>``.
        created: the step's creation time in Unix seconds (0 when unknown).
        created_by: the command of the step.
        comment: the step's comment.
        size: bytes added by the step (its layer's diff size; 0 for empty layers).
        tags: familiar tags of the image ``id`` names (None when it has none or is
            ``<missing>``, as Docker's ``null``).
    """

    id: str
    created: int
    created_by: str
    comment: str
    size: int
    tags: tuple[str, ...] | None = None

    def to_api(self) -> dict[str, Any]:
        """The Engine API JSON object."""
        return {
            "Comment": self.comment,
            "Created": self.created,
            "CreatedBy": self.created_by,
            "Id": self.id,
            "Size": self.size,
            "Tags": list(self.tags) if self.tags is not None else None,
        }


def history(client: Client, ref: str) -> list[HistoryRow]:
    """The history of an image, as ``docker history`` shows it.

    Args:
        client: the store.
        ref: a name, tag, digest reference, ID or ID prefix.

    Returns:
        The rows, newest first.

    Raises:
        ImageNotFound: no image matches ``ref``.
        InvalidReference: ``ref`` is not a valid reference.
        InvalidImageConfig: ``too many non-empty layers in History section``.
        LayerNotFound: a layer of the image is missing from the layer store.
    """
    with client.view() as view:
        return history_in(view, get_image(view, ref))


def history_in(view: View, img: Image) -> list[HistoryRow]:
    """The history of an image already read from a snapshot (see :func:`history`).

    Raises:
        InvalidImageConfig: ``too many non-empty layers in History section``.
        LayerNotFound: a layer of the image is missing from the layer store.
    """
    diff_ids = img.rootfs.diff_ids if img.rootfs is not None else []
    chains = chain_ids(diff_ids)
    steps: list[tuple[int, str, str, int]] = []
    used = 0
    for entry in img.history or []:
        size = 0
        if not entry.empty_layer:
            if used >= len(diff_ids):
                raise InvalidImageConfig("too many non-empty layers in History section")
            layer = view.layer(chains[used])
            if layer is None:
                raise LayerNotFound(chains[used])
            size = layer.diff_size
            used += 1
        created = entry.created.unix if entry.created is not None else 0
        steps.append((created, entry.created_by, entry.comment, size))
    steps.reverse()
    ids = _ancestry(view, img, len(steps))
    rows = []
    for index, (created, created_by, comment, size) in enumerate(steps):
        if index < len(ids):
            image_id = ids[index]
            tags = _tags(view, image_id)
        else:
            image_id, tags = MISSING, None
        rows.append(HistoryRow(image_id, created, created_by, comment, size, tags))
    return rows


def _ancestry(view: View, img: Image, limit: int) -> list[str]:
    """The image's ID then its recorded parents' IDs, while they are in the store."""
    ids = [str(img.id)]
    parent = str(img.parent) if img.parent else ""
    while parent and len(ids) < limit:
        row = view.image(parent)
        if row is None:
            break
        ids.append(str(row.id))
        parent = row.parent
    return ids[:limit]


def _tags(view: View, image_id: str) -> tuple[str, ...] | None:
    tags = tuple(r.name for r in view.ref_rows(image_id) if not r.is_digest)
    return tags or None
