"""The private Docker daemon the benchmark compares with (Debian's 20.10, vfs storage driver).

It is the compatibility tests' `PrivateDockerd` (private data root, exec root and unix socket,
no network), with its data root, the image store, placed under the benchmark's scratch
directory.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from bench.peers import Unavailable

if TYPE_CHECKING:
    from tests.compat.dockerd import PrivateDockerd

REPO_ROOT = Path(__file__).resolve().parents[1]


@contextlib.contextmanager
def private_dockerd(data_root: Path) -> Iterator[PrivateDockerd]:
    """A fresh private dockerd (vfs) whose data root is ``data_root``; removed afterwards.

    Raises:
        Unavailable: not root, dockerd or the docker client missing, or start-up failed.
    """
    if os.geteuid() != 0:
        raise Unavailable("not root")
    data_root = data_root.resolve()
    if str(REPO_ROOT) not in sys.path:
        sys.path.insert(0, str(REPO_ROOT))
    try:
        from tests.compat.dockerd import (
            PrivateDockerd,
            docker_cli_for,
            find_tool,
            remove_tree,
        )
    except ImportError as exc:
        raise Unavailable(f"cannot import the private dockerd helper: {exc}") from exc

    class BenchDockerd(PrivateDockerd):
        """The private daemon, with its data root (the image store) under the bench dir."""

        @property
        def data_root(self) -> Path:
            return data_root

    dockerd = find_tool("dockerd")
    if dockerd is None:
        raise Unavailable("dockerd not installed")
    docker = docker_cli_for(dockerd)  # the client installed with the daemon, else PATH's
    if docker is None:
        raise Unavailable("docker client not installed")
    daemon = BenchDockerd(dockerd=dockerd, docker=docker, command_timeout=3600)
    try:
        daemon.start()
    except Exception as exc:
        remove_tree(data_root)
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise Unavailable(f"dockerd did not start: {first[:120]}") from exc
    try:
        yield daemon
    finally:
        # Ctrl-C must not cut the clean-up short (stop() has its own time bounds)
        previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
        try:
            daemon.stop()
            remove_tree(data_root)
        finally:
            signal.signal(signal.SIGINT, previous)


def daemon_pid(daemon: PrivateDockerd) -> int | None:
    """The pid of a running private dockerd."""
    try:
        return int((daemon.workdir / "d.pid").read_text().strip())
    except (OSError, ValueError):
        return None
