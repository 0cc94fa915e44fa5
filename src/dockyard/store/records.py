"""The rows of the index, and how an image config becomes one."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from dockyard.digest import ChainID, DiffID, Digest, ImageID
from dockyard.image.config import HOST_OS

if TYPE_CHECKING:
    from dockyard.image import Image

__all__ = ["ImageRow", "LayerRow", "RefRow", "image_values"]

IMAGE_COLUMNS = (
    "id, parent, chain, created_ns, os, arch, variant, supported, labels, last_updated, problem"
)
LAYER_COLUMNS = "chain, diff, parent, size, cache_id, depth, total"
REF_COLUMNS = "name, repo, full, image, is_digest"


@dataclass(frozen=True, slots=True)
class ImageRow:
    """What the index knows of an image without reading its config.

    Attributes:
        id: the image ID.
        parent: the recorded parent image ID ("" when none).
        chain: the chain ID of the top layer (None for an image without layers).
        created_ns: the ``created`` time in Unix nanoseconds (None when absent).
        os: the config's OS; arch and variant likewise.
        supported: the OS is this host's (moby ``CheckOS``).
        labels: the config's labels (None when none).
        last_updated: the raw ``lastUpdated`` metadata text ("" when never set).
        problem: why the image cannot be used ("" when it can).
    """

    id: ImageID
    parent: str
    chain: ChainID | None
    created_ns: int | None
    os: str
    arch: str
    variant: str
    supported: bool
    labels: dict[str, str] | None
    last_updated: str
    problem: str

    @classmethod
    def from_sql(cls, row: tuple[Any, ...]) -> ImageRow:
        """Build from a ``SELECT IMAGE_COLUMNS`` row."""
        labels = json.loads(row[8]) if row[8] else None
        return cls(
            ImageID(Digest(row[0])),
            row[1] or "",
            ChainID(Digest(row[2])) if row[2] else None,
            _int_from_sql(row[3]),
            row[4],
            row[5],
            row[6],
            bool(row[7]),
            labels,
            row[9] or "",
            row[10] or "",
        )

    @property
    def created(self) -> int:
        """``created`` in Unix seconds (0 when absent), as the Engine API reports it."""
        return 0 if self.created_ns is None else self.created_ns // 1_000_000_000


@dataclass(frozen=True, slots=True)
class LayerRow:
    """A layer: its identity, sizes and payload.

    Attributes:
        chain_id: the chain ID.
        diff_id: the DiffID.
        parent: the parent chain ID (None for a base layer).
        diff_size: the layer's own size (the ``size`` file).
        cache_id: the payload directory name.
        depth: number of layers in the chain (1 for a base layer).
        size: this layer's size plus all of its parents'.
    """

    chain_id: ChainID
    diff_id: DiffID
    parent: ChainID | None
    diff_size: int
    cache_id: str
    depth: int
    size: int

    @classmethod
    def from_sql(cls, row: tuple[Any, ...]) -> LayerRow:
        """Build from a ``SELECT LAYER_COLUMNS`` row."""
        parent = ChainID(Digest(row[2])) if row[2] else None
        chain, diff = ChainID(Digest(row[0])), DiffID(Digest(row[1]))
        return cls(chain, diff, parent, row[3], row[4], row[5], row[6])

    def sql(self) -> tuple[Any, ...]:
        """The values for an ``INSERT`` in ``LAYER_COLUMNS`` order."""
        parent = str(self.parent) if self.parent else None
        row = (self.chain_id, self.diff_id, parent, self.diff_size, self.cache_id)
        return (*(str(v) if isinstance(v, str) else v for v in row), self.depth, self.size)


@dataclass(frozen=True, slots=True)
class RefRow:
    """One entry of ``repositories.json`` that parses.

    Attributes:
        name: its familiar string (``app:1``, ``app@sha256:…``): the key in the file.
        repo: its familiar repository name (``app``).
        full: its full normalised string (``docker.io/library/app:1``).
        image_id: the image it points to.
        is_digest: a digest reference rather than a tag.
    """

    name: str
    repo: str
    full: str
    image_id: ImageID
    is_digest: bool

    @classmethod
    def from_sql(cls, row: tuple[Any, ...]) -> RefRow:
        """Build from a ``SELECT REF_COLUMNS`` row."""
        return cls(row[0], row[1], row[2], ImageID(Digest(row[3])), bool(row[4]))

    def sql(self) -> tuple[Any, ...]:
        """The values for an ``INSERT`` in ``REF_COLUMNS`` order."""
        return (self.name, self.repo, self.full, str(self.image_id), int(self.is_digest))


def image_values(
    image_id: ImageID,
    img: Image | None,
    *,
    parent: str = "",
    last_updated: str = "",
    problem: str = "",
) -> tuple[Any, ...]:
    """The ``INSERT`` values (``IMAGE_COLUMNS`` order) of an image and its metadata.

    ``img`` is None for a config that cannot be parsed (then ``problem`` says why).
    """
    if img is None:
        return (image_id, parent or None, None, None, "", "", "", 0, None, None, problem)
    chain = img.rootfs.chain_id() if img.rootfs is not None else None
    created = img.created.unix_nanos() if img.created is not None else None
    os_name = img.operating_system()
    labels = img.config.labels if img.config is not None else None
    return (
        str(image_id),
        parent or None,
        str(chain) if chain else None,
        _int_to_sql(created),
        os_name,
        img.architecture,
        img.variant,
        int(os_name.casefold() == HOST_OS),
        json.dumps(labels, ensure_ascii=False) if labels else None,
        last_updated or None,
        problem or None,
    )


_INT64 = range(-(2**63), 2**63)


def _int_to_sql(value: int | None) -> int | str | None:
    """An integer as sqlite keeps it: as text beyond 64 bits.

    ``created`` in nanoseconds leaves 64 bits before 1678 and after 2262 (Go's zero time
    ``0001-01-01`` included).
    """
    if value is None or value in _INT64:
        return value
    return f"int:{value}"


def _int_from_sql(value: Any) -> int | None:
    if isinstance(value, str) and value.startswith("int:"):
        return int(value[4:])
    return value if value is None else int(value)
