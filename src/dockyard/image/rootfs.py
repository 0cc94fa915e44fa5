"""The image root filesystem description: the ordered DiffIDs of its layers."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from dockyard.digest import ChainID, DiffID, Digest, chain_id
from dockyard.errors import InvalidDigest
from dockyard.gojson import Compat, JSONError, Struct
from dockyard.gojson.fields import Field, StructLayout, decode_list, decode_str, type_error

__all__ = ["LAYERS_TYPE", "TYPE_LAYERS_WITH_BASE", "RootFS"]

#: The only root filesystem type dockyard supports.
LAYERS_TYPE = "layers"
#: An old Windows-only type; on Linux its ChainID is computed like any other.
TYPE_LAYERS_WITH_BASE = "layers+base"


def _diff_id(cur: DiffID | None, value: Any, where: str) -> DiffID:
    if not isinstance(value, str):
        raise type_error(value, "digest.Digest", where)
    try:
        return DiffID(Digest(value))
    except InvalidDigest as exc:
        raise JSONError(f"invalid diff ID {value!r} in {where}: {exc.reason}") from None


def _diff_ids(cur: list[DiffID], value: Any, where: str) -> list[DiffID]:
    return decode_list(cur, value, where, "[]layer.DiffID", _diff_id) or []


@dataclass(slots=True)
class RootFS:
    """``{"type": "layers", "diff_ids": [...]}``; ``diff_ids`` are base first.

    Attributes:
        type: the root filesystem type (``layers``).
        diff_ids: the DiffID of every layer, base first (Go's nil and empty slices are
            the same in JSON, so this is always a list).
    """

    type: str = LAYERS_TYPE
    diff_ids: list[DiffID] = field(default_factory=list)

    @classmethod
    def from_json_value(cls, value: Any, where: str = "") -> RootFS:
        """Decode a parsed JSON object.

        Unlike Go, which keeps any string, a DiffID that is not a valid digest is refused
        here, since it could never name a layer.

        Raises:
            JSONError: a value has the wrong type or a DiffID is not a digest.
        """
        result = cls(type="")
        _ROOTFS_LAYOUT.decode_into(result, value, where)
        return result

    def append(self, diff_id: DiffID) -> None:
        """Add a layer on top."""
        self.diff_ids.append(diff_id)

    def clone(self) -> RootFS:
        """A copy with its own (always non-None) DiffID list."""
        return RootFS(self.type, list(self.diff_ids))

    def chain_id(self) -> ChainID | None:
        """The ChainID of all layers, or None when there are none."""
        return chain_id(self.diff_ids)

    def __gojson__(self, compat: Compat) -> Struct:
        """The Go struct form: ``type`` always, ``diff_ids`` only when non-empty."""
        return _ROOTFS_LAYOUT.encode(self)


_ROOTFS_LAYOUT = StructLayout(
    "image.RootFS",
    [
        Field("type", "type", decode_str),
        Field("diff_ids", "diff_ids", _diff_ids, omitempty=True),
    ],
)


def decode_rootfs_ptr(cur: RootFS | None, value: Any, where: str) -> RootFS | None:
    """Decode a Go ``*RootFS`` field: ``null`` gives None, objects merge into it."""
    if value is None:
        return None
    result = RootFS(cur.type, list(cur.diff_ids)) if cur is not None else RootFS(type="")
    _ROOTFS_LAYOUT.decode_into(result, value, where)
    return result
