"""Progress reports of long operations (load, save, import, export), for bars and logs.

The library never draws anything: it calls a :data:`ProgressCallback` with
:class:`Progress` events and the caller (the CLI, a notebook, a CI log) renders them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["Progress", "ProgressCallback", "emit"]


@dataclass(frozen=True, slots=True)
class Progress:
    """One progress report.

    Attributes:
        action: what is being done, in Docker's words (``Loading layer``, ``Saving layer``,
            ``Importing``, ``Exporting``).
        item: which item: the first 12 hex characters of a layer's DiffID, or a name.
        current: bytes of this item done so far.
        total: bytes of this item in all, None when unknown (a pipe).
        overall_current: bytes of the whole operation done so far.
        overall_total: bytes of the whole operation, None when unknown.
        done: True on the last report of this item.
    """

    action: str
    item: str
    current: int
    total: int | None
    overall_current: int = 0
    overall_total: int | None = None
    done: bool = False


ProgressCallback = Callable[[Progress], None]


def emit(callback: ProgressCallback | None, event: Progress) -> None:
    """Call ``callback`` with ``event`` when a callback was given."""
    if callback is not None:
        callback(event)
