"""Running :mod:`tests.unit.store.worker` in separate processes."""

from __future__ import annotations

import contextlib
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]
TIMEOUT = 60


def start(*args: str | Path) -> subprocess.Popen[str]:
    """Start a worker with pipes for stdin and stdout."""
    return subprocess.Popen(
        [sys.executable, "-m", "tests.unit.store.worker", *map(str, args)],
        cwd=REPO,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )


def run(*args: str | Path) -> int:
    """Run a worker to its end; return its exit status."""
    process = start(*args)
    process.communicate(timeout=TIMEOUT)
    return process.returncode


@contextlib.contextmanager
def holding(*args: str | Path) -> Iterator[str]:
    """Run a worker until the block ends; yield the first line it printed."""
    process = start(*args)
    try:
        assert process.stdout is not None
        line = process.stdout.readline().strip()
        assert line, "the worker failed before it was ready"
        yield line
    finally:
        if process.poll() is None:
            process.communicate("go\n", timeout=TIMEOUT)
        else:
            process.communicate(timeout=TIMEOUT)
