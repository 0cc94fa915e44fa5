"""A sorted set of image IDs with Docker's prefix lookup (go-digest's ``digestset``)."""

from __future__ import annotations

import bisect
from typing import TYPE_CHECKING

from dockyard.digest import Digest, ImageID, is_valid_hex
from dockyard.errors import AmbiguousID, ImageNotFound

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator

__all__ = ["DigestSet", "search_prefix"]


def search_prefix(term: str) -> str | None:
    """The hex prefix ``term`` stands for, or None when it can never match.

    A term without ``:`` is a bare hex prefix; ``sha256:<prefix>`` is a prefix of that
    algorithm; any other algorithm, an empty side of the ``:``, or a full-length encoded
    part that is not lowercase hex never matches (go-digest's parsing rules).
    """
    idx = term.find(":")
    if idx < 0:
        return term
    if idx == 0 or idx + 1 == len(term):
        return None
    algorithm, encoded = term[:idx], term[idx + 1 :]
    if algorithm != "sha256":
        return None
    if len(encoded) == 64 and not is_valid_hex(encoded):
        return None
    return encoded


class DigestSet:
    """Image IDs kept sorted by hex, for Docker's short-ID lookup."""

    def __init__(self, ids: Iterable[str] = ()) -> None:
        self._hexes = sorted(Digest(i).hex for i in ids)

    def add(self, image_id: str) -> None:
        """Add an ID (no effect when present)."""
        hex_ = Digest(image_id).hex
        idx = bisect.bisect_left(self._hexes, hex_)
        if idx == len(self._hexes) or self._hexes[idx] != hex_:
            self._hexes.insert(idx, hex_)

    def remove(self, image_id: str) -> None:
        """Remove an ID (no effect when absent)."""
        hex_ = Digest(image_id).hex
        idx = bisect.bisect_left(self._hexes, hex_)
        if idx < len(self._hexes) and self._hexes[idx] == hex_:
            del self._hexes[idx]

    def lookup(self, term: str) -> ImageID:
        """The one ID ``term`` is a prefix of.

        There is no minimum length, uppercase never matches, and an empty term matches
        when the set holds exactly one ID.

        Raises:
            ImageNotFound: nothing matches (``No such image: <term>``).
            AmbiguousID: more than one ID matches (``ambiguous digest string``).
        """
        hexes = self._hexes
        prefix = search_prefix(term)
        if not hexes or prefix is None:
            raise ImageNotFound(term)
        idx = bisect.bisect_left(hexes, prefix)
        if idx == len(hexes) or not hexes[idx].startswith(prefix):
            raise ImageNotFound(term)
        exact = hexes[idx] == prefix
        if not exact and idx + 1 < len(hexes) and hexes[idx + 1].startswith(prefix):
            raise AmbiguousID(term)
        return ImageID(Digest.from_hex(hexes[idx]))

    def __iter__(self) -> Iterator[ImageID]:
        return (ImageID(Digest.from_hex(h)) for h in list(self._hexes))

    def __len__(self) -> int:
        return len(self._hexes)
