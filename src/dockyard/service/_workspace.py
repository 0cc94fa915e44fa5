"""Room to work in for commands that also run on a read-only store (push, copy).

Layers are staged, and compressed blobs wait, on the store's own filesystem (its
``tmp/``); when the store cannot be written, in the system's temporary directory.
"""

from __future__ import annotations

import contextlib
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from dockyard.errors import StoreReadOnly
from dockyard.store.layout import Layout
from dockyard.store.staging import StagingArea

if TYPE_CHECKING:
    from collections.abc import Iterator

    from dockyard.client import Client

__all__ = ["scratch_dir", "staging_area"]


@contextlib.contextmanager
def scratch_dir(client: Client) -> Iterator[Path]:
    """A scratch directory, removed afterwards."""
    try:
        area = client.scratch()
    except StoreReadOnly:
        with tempfile.TemporaryDirectory(prefix="dockyard-") as temp:
            yield Path(temp)
        return
    with area:
        yield area.path


@contextlib.contextmanager
def staging_area(client: Client) -> Iterator[tuple[StagingArea, Layout]]:
    """A staging area and the layout whose ``tmp/downloads`` keeps partial downloads."""
    try:
        staging = client.staging()
    except StoreReadOnly:
        with tempfile.TemporaryDirectory(prefix="dockyard-") as temp:
            layout = Layout.at(Path(temp) / "store")
            with StagingArea(layout) as area:
                yield area, layout
        return
    with staging:
        yield staging, client.layout
