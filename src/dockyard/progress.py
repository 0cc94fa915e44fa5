"""Progress reports of long operations (load, save, import, export, pull, push).

The library never draws anything: it calls a :data:`ProgressCallback` with
:class:`Progress` events and the caller (the CLI, a notebook, a CI log) renders them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

__all__ = ["Message", "MessageCallback", "Progress", "ProgressCallback", "emit"]


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


@dataclass(frozen=True, slots=True)
class Message:
    """One status line of a pull or a push, as Docker's daemon streams them (JSONMessage).

    Attributes:
        status: the text (``Pulling fs layer``, ``Pushed``, ``Digest: sha256:…``).
        id: the layer or tag it is about ("" for a line of its own).
        current: bytes done, for a transfer in progress (None otherwise).
        total: bytes in all, when known.
        update: a step of one layer (``Waiting``, ``Pushed``, ``Pull complete``…), which
            Docker streams with a ``progressDetail``; False for a message of its own
            (``Pulling from …``, ``Digest: …``).
        aux: machine-readable data instead of a line (a push's ``{"Tag", "Digest",
            "Size"}``); such a message prints nothing.
    """

    status: str
    id: str = ""
    current: int | None = None
    total: int | None = None
    update: bool = False
    aux: Mapping[str, object] | None = None

    @property
    def line(self) -> str:
        """The line Docker's CLI prints for it when stdout is not a terminal."""
        return f"{self.id}: {self.status}" if self.id else self.status

    def to_json(self) -> dict[str, object]:
        """The Engine API's JSON message, keys in dockerd's order.

        ``{"status": …, "progressDetail": {…}, "id": …}``: ``progressDetail`` on layer
        steps and transfers (``current``/``total`` on transfers), ``id`` when there is one.
        """
        if self.aux is not None:
            return {"progressDetail": {}, "aux": dict(self.aux)}
        out: dict[str, object] = {"status": self.status}
        if self.update or self.current is not None:
            detail: dict[str, object] = {}
            if self.current is not None:
                detail["current"] = self.current
                if self.total is not None:
                    detail["total"] = self.total
            out["progressDetail"] = detail
        if self.id:
            out["id"] = self.id
        return out


MessageCallback = Callable[[Message], None]
