"""A ``dockyard serve`` process for tests, and small HTTP helpers over its unix socket."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import TracebackType
from typing import Any

import httpx

from tests.oracle.util import find_oracle

REPO = Path(__file__).resolve().parents[2]
SHARED = REPO.parent / "shared"
ORACLE_28 = find_oracle() / "docker-28.3"  # $DOCKYARD_ORACLE, else ../shared/oracle
ORACLE_20 = find_oracle() / "docker-20.10"
SPEC_LOGS = SHARED / "spec" / "engine-api" / "logs"


def short_tempdir(prefix: str) -> Path:
    """A directory under /tmp whose paths stay short enough for unix sockets."""
    return Path(tempfile.mkdtemp(prefix=prefix, dir="/tmp"))


class ServerProcess:
    """``python -m dockyard.server`` on a private store and socket, stopped on exit.

    Attributes:
        root: the store directory.
        socket: the unix socket path.
        host: the ``DOCKER_HOST`` value.
    """

    def __init__(self, root: Path | None = None, *, extra: list[str] | None = None,
                 hosts: list[str] | None = None, start_timeout: float = 20.0) -> None:  # fmt: skip
        self._dir = short_tempdir("dys-")
        self.root = root if root is not None else self._dir / "store"
        self.socket = self._dir / "d.sock"
        self.host = f"unix://{self.socket}"
        self.log = self._dir / "server.log"
        self._hosts = hosts if hosts is not None else [self.host]
        self._extra = extra or []
        self._timeout = start_timeout
        self.proc: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> ServerProcess:
        self.start()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:  # fmt: skip
        self.stop()
        shutil.rmtree(self._dir, ignore_errors=True)

    def start(self) -> None:
        """Start the server and wait until it answers ``/_ping``."""
        cmd = [sys.executable, "-m", "dockyard.server", "--root", str(self.root)]
        for host in self._hosts:
            cmd += ["--host", host]
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        with self.log.open("wb") as log:
            self.proc = subprocess.Popen(cmd + self._extra, stdout=log, stderr=subprocess.STDOUT,
                                         stdin=subprocess.DEVNULL, env=env)  # fmt: skip
        deadline = time.monotonic() + self._timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited {self.proc.returncode}: {self.log_text()}")
            if "API listen on" in self.log_text():
                return
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"server did not start: {self.log_text()}")

    def log_text(self) -> str:
        """What the server printed."""
        try:
            return self.log.read_text(errors="replace")
        except OSError:
            return ""

    def stop(self, timeout: float = 30.0) -> int | None:
        """SIGTERM, a bounded wait, then SIGKILL; returns the exit code."""
        proc, self.proc = self.proc, None
        if proc is None:
            return None
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)
        return proc.returncode

    def client(self, **options: Any) -> httpx.Client:
        """An HTTP client over the unix socket (``http://docker/…`` URLs)."""
        transport = httpx.HTTPTransport(uds=str(self.socket))
        return httpx.Client(transport=transport, base_url="http://docker",
                            timeout=options.pop("timeout", 60.0), **options)  # fmt: skip

    @property
    def env(self) -> dict[str, str]:
        """An environment for the docker CLI pointing at this server."""
        home = self._dir / "home"
        home.mkdir(exist_ok=True)
        (home / ".docker").mkdir(exist_ok=True)
        return {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(home),
                "DOCKER_HOST": self.host, "DOCKER_CONFIG": str(home / ".docker"),
                "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8", "TZ": "UTC"}  # fmt: skip


def free_port() -> int:
    """A TCP port on 127.0.0.1 nobody listens on right now."""
    with contextlib.closing(socket.socket()) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
