"""``GET /events``: image events (load, tag, untag, delete, import, save, pull, push).

Each event is moby's ``events.Message`` for an image: ``status`` and ``id`` (the
deprecated fields dockerd still fills for images), ``Type: "image"``, the ``Action``,
the ``Actor`` (the image ID and its attributes: the image's labels plus ``name``),
``scope: "local"``, ``time`` and ``timeNano``. As in dockerd, ``name`` is the familiar
tag for ``tag`` and the image ID for every other action, and the last 256 events are
kept so that ``since`` can replay them.

Only the operations this server performs are reported: a dockyard command run directly
on the same store is not a daemon request (see ``docs/engine-api.md``).
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from dockyard.reference import parse_normalized_named
from dockyard.service.filters import FilterArgs

__all__ = ["ACTIONS", "Event", "EventBus", "matches"]

#: The image actions this server logs.
ACTIONS = ("load", "tag", "untag", "delete", "import", "save", "pull", "push")
_BUFFER = 256
_QUEUE = 4096


@dataclass(frozen=True)
class Event:
    """One image event.

    Attributes:
        action: one of :data:`ACTIONS`.
        image_id: the image's ID.
        attributes: labels and ``name`` (sorted on output, as Go sorts map keys).
        time_ns: when it happened, in Unix nanoseconds.
    """

    action: str
    image_id: str
    attributes: Mapping[str, str] = field(default_factory=dict)
    time_ns: int = field(default_factory=time.time_ns)

    def to_api(self) -> dict[str, Any]:
        """The ``events.Message`` object."""
        attrs = {k: self.attributes[k] for k in sorted(self.attributes, key=str.encode)}
        return {
            "status": self.action,
            "id": self.image_id,
            "Type": "image",
            "Action": self.action,
            "Actor": {"ID": self.image_id, "Attributes": attrs},
            "scope": "local",
            "time": self.time_ns // 1_000_000_000,
            "timeNano": self.time_ns,
        }


def image_event(action: str, image_id: str, name: str, labels: Mapping[str, str] | None) -> Event:
    """An event with dockerd's attributes: the image's labels, then ``name``."""
    attributes = dict(labels or {})
    if name:
        attributes["name"] = name
    return Event(action, image_id, attributes)


def _strip_tag(name: str) -> str:
    try:
        return parse_normalized_named(name).familiar_name()
    except Exception:  # not a reference (an image ID): compared as it is
        return name


def _fuzzy(args: FilterArgs, key: str, *sources: str) -> bool:
    if not args.contains(key):
        return True
    values = args.get(key)
    return any(s == v or s.startswith(v) for s in sources for v in values)


def _exact(args: FilterArgs, key: str, *sources: str) -> bool:
    if not args.contains(key):
        return True
    values = set(args.get(key))
    return any(s in values for s in sources)


def matches(args: FilterArgs, event: Event) -> bool:
    """Dockerd's ``events.Filter.Include`` for an image event."""
    name = event.attributes.get("name", "")
    if not _exact(args, "event", event.action) or not _exact(args, "type", "image"):
        return False
    if not _exact(args, "scope", "local"):
        return False
    for other in ("daemon", "container", "plugin", "volume", "network", "node", "service",
                  "secret", "config"):  # fmt: skip
        if not _fuzzy(args, other, event.image_id, name):
            return False
    image_keys = (event.image_id, name, _strip_tag(event.image_id), _strip_tag(name))
    if not _exact(args, "image", *image_keys):
        return False
    return not args.contains("label") or args.match_kv_list("label", event.attributes)


class EventBus:
    """The events of this server: a replay buffer and the live subscribers (loop only)."""

    def __init__(self) -> None:
        self._recent: deque[Event] = deque(maxlen=_BUFFER)
        self._subscribers: set[asyncio.Queue[Event | None]] = set()

    @property
    def listeners(self) -> int:
        """How many clients are following the events (``NEventsListener``)."""
        return len(self._subscribers)

    def publish(self, events: list[Event]) -> None:
        """Record and deliver events (on the event loop)."""
        for event in events:
            self._recent.append(event)
            for queue in self._subscribers:
                if queue.full():
                    queue.get_nowait()  # a stalled client loses its oldest event
                queue.put_nowait(event)

    def subscribe(self, since_ns: int | None, until_ns: int | None
                  ) -> tuple[list[Event], asyncio.Queue[Event | None]]:  # fmt: skip
        """The buffered events in ``[since, until]`` and a queue of the events to come."""
        replay: list[Event] = []
        if since_ns is not None or until_ns is not None:
            for event in self._recent:
                if since_ns is not None and event.time_ns < since_ns:
                    continue
                if until_ns is not None and event.time_ns > until_ns:
                    continue
                replay.append(event)
        queue: asyncio.Queue[Event | None] = asyncio.Queue(_QUEUE)
        self._subscribers.add(queue)
        return replay, queue

    def unsubscribe(self, queue: asyncio.Queue[Event | None]) -> None:
        """Stop delivering to ``queue``."""
        self._subscribers.discard(queue)

    def close(self) -> None:
        """End every live stream (the server is stopping)."""
        for queue in self._subscribers:
            if queue.full():
                queue.get_nowait()
            queue.put_nowait(None)
