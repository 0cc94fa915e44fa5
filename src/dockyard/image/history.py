"""Image history entries, in the Docker 28 (OCI) and Docker 20.10 JSON layouts."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from dockyard.gojson import Compat, GoTime, Struct
from dockyard.gojson.fields import Field, StructLayout, decode_bool, decode_str, decode_time

__all__ = ["History", "new_history"]


@dataclass(slots=True)
class History:
    """One step of an image's build history.

    Attributes:
        created: when the step ran (None when absent or ``null``).
        created_by: the command that produced it.
        author: who made it.
        comment: free text.
        empty_layer: True when the step did not add a layer.
    """

    created: GoTime | None = None
    created_by: str = ""
    author: str = ""
    comment: str = ""
    empty_layer: bool = False

    @classmethod
    def from_json_value(cls, value: Any, where: str = "") -> History:
        """Decode a parsed JSON object (Go rules).

        Raises:
            JSONError: a value has the wrong type or a time is invalid.
        """
        result = cls()
        _LAYOUT_V28.decode_into(result, value, where)
        return result

    def __gojson__(self, compat: Compat) -> Struct:
        """The Go struct form, whose layout depends on ``compat``.

        v28: ``created`` omitted when None, then created_by, author, comment,
        empty_layer; v20.10: ``created`` always (zero time when None), then author,
        created_by, comment, empty_layer; all but 20.10's ``created`` are omitempty.
        """
        if compat is Compat.V20_10:
            created = self.created if self.created is not None else GoTime.zero()
            return (
                Struct([("created", created)])
                .add("author", self.author, omitempty=True)
                .add("created_by", self.created_by, omitempty=True)
                .add("comment", self.comment, omitempty=True)
                .add("empty_layer", self.empty_layer, omitempty=True)
            )
        return _LAYOUT_V28.encode(self)


_LAYOUT_V28 = StructLayout(
    "image.History",
    [
        Field("created", "created", decode_time, omitempty=True, pointer=True),
        Field("created_by", "created_by", decode_str, omitempty=True),
        Field("author", "author", decode_str, omitempty=True),
        Field("comment", "comment", decode_str, omitempty=True),
        Field("empty_layer", "empty_layer", decode_bool, omitempty=True),
    ],
)


def decode_history_elem(cur: History | None, value: Any, where: str) -> History:
    """Decode one element of a ``[]History`` slice, reusing an existing element as Go does."""
    result = (
        History(cur.created, cur.created_by, cur.author, cur.comment, cur.empty_layer)
        if (cur is not None)
        else History()
    )
    if value is not None:
        _LAYOUT_V28.decode_into(result, value, where)
    return result


def new_history(
    author: str,
    comment: str,
    created_by: str,
    is_empty_layer: bool,
    *,
    now: Callable[[], GoTime] = GoTime.now_utc,
) -> History:
    """A history entry created now, in UTC (moby ``NewHistory``).

    Args:
        author: who made the step.
        comment: free text.
        created_by: the command of the step.
        is_empty_layer: whether the step added no layer.
        now: the clock (injectable for tests).
    """
    return History(
        created=now(),
        created_by=created_by,
        author=author,
        comment=comment,
        empty_layer=is_empty_layer,
    )
