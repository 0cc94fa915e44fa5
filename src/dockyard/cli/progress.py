"""Progress on stderr: rich bars on a terminal, plain periodic lines in logs, nothing with -q."""

from __future__ import annotations

import contextlib
import time
from typing import TYPE_CHECKING, Any

from dockyard.units import human_size

if TYPE_CHECKING:
    from collections.abc import Iterator

    from dockyard.cli.context import Context
    from dockyard.progress import Progress, ProgressCallback

__all__ = ["LinePrinter", "progress_for"]

#: Minimum seconds between two plain lines about the same item.
LINE_INTERVAL = 2.0


class LinePrinter:
    """Plain progress lines for CI logs: at most one per item every few seconds."""

    def __init__(self, stream: Any, interval: float = LINE_INTERVAL) -> None:
        self._stream = stream
        self._interval = interval
        self._last: dict[tuple[str, str], float] = {}

    def __call__(self, event: Progress) -> None:
        """Print a line about ``event`` if it is due."""
        key = (event.action, event.item)
        now = time.monotonic()
        last = self._last.get(key)
        if not event.done and (last is None or now - last < self._interval):
            if last is None:
                self._last[key] = now
            return
        self._last[key] = now
        total = f"/{human_size(event.total)}" if event.total else ""
        pct = ""
        if event.total:
            pct = f" ({100 if event.done else 100 * event.current // event.total}%)"
        state = " done" if event.done else ""
        self._stream.write(
            f"{event.action} {event.item}: {human_size(event.current)}{total}{pct}{state}\n"
        )
        self._stream.flush()


class RichBars:
    """One rich bar per item (bytes, speed, ETA) and an overall bar, on stderr."""

    def __init__(self, stream: Any) -> None:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            DownloadColumn,
            Progress,
            TextColumn,
            TimeRemainingColumn,
            TransferSpeedColumn,
        )

        self._progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            DownloadColumn(binary_units=False),
            TransferSpeedColumn(),
            TimeRemainingColumn(),
            console=Console(file=stream, force_terminal=True),
            transient=False,
        )
        self._tasks: dict[tuple[str, str], Any] = {}
        self._overall: Any = None

    def __enter__(self) -> RichBars:
        self._progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._progress.stop()

    def __call__(self, event: Progress) -> None:
        """Move the bar of ``event``'s item (and the overall bar)."""
        key = (event.action, event.item)
        task = self._tasks.get(key)
        if task is None:
            task = self._progress.add_task(f"{event.action} {event.item}", total=event.total)
            self._tasks[key] = task
        self._progress.update(task, completed=event.current, total=event.total)
        if event.overall_total:
            if self._overall is None:
                self._overall = self._progress.add_task("Total", total=event.overall_total)
            self._progress.update(self._overall, completed=event.overall_current)


@contextlib.contextmanager
def progress_for(ctx: Context, *, quiet: bool) -> Iterator[ProgressCallback | None]:
    """The progress callback a command should pass to the library (None when quiet)."""
    if quiet:
        yield None
        return
    if ctx.is_terminal(ctx.stderr):
        try:
            bars = RichBars(ctx.stderr)
        except ImportError:
            pass
        else:
            with bars:
                yield bars
            return
    yield LinePrinter(ctx.stderr)
