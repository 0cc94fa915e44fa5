"""What every request shares: the store, the thread pools, the events and the settings."""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import threading
import uuid
from collections.abc import Callable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from dockyard._version import __version__
from dockyard.server.events import Event, EventBus
from dockyard.server.readcache import ReadCache

if TYPE_CHECKING:
    from dockyard.client import Client
    from dockyard.registry import Credentials, RegistryClient

__all__ = ["ServerState", "Settings"]

_SYSTEM_CERTS = Path("/etc/docker/certs.d")
_T = TypeVar("_T")


@dataclass(frozen=True)
class Settings:
    """How the server behaves.

    Attributes:
        json_limit: the largest JSON request body accepted, in bytes.
        read_workers: threads for quick store work (reads, tag, rmi, prune); few, since
            more threads only contend for the interpreter lock on a small machine.
        long_workers: threads for long operations (load, save, import): a long load
            never takes a thread a read needs.
        name: the host name reported by ``/info``.
        server_version: the version reported by ``/version`` and ``Server``.
        insecure_registries: registries (``host[:port]``) reached over plain HTTP or
            unverified TLS (dockerd's ``--insecure-registry``); loopback always is.
        certs_dir: Docker's ``certs.d`` directory (CA and client certificates per
            registry); None for ``/etc/docker/certs.d`` when it exists.
    """

    json_limit: int = 1 << 20
    read_workers: int = 4
    long_workers: int = 8
    name: str = field(default_factory=socket.gethostname)
    server_version: str = __version__
    insecure_registries: tuple[str, ...] = ()
    certs_dir: Path | None = None


class _CountingPool(ThreadPoolExecutor):
    """A thread pool that knows how many of its tasks are queued or running."""

    def __init__(self, workers: int, prefix: str) -> None:
        super().__init__(workers, prefix)
        self.active = 0
        self._count_lock = threading.Lock()

    def submit(self, fn: Callable[..., _T], /, *args: Any, **kwargs: Any) -> Future[_T]:
        """Submit ``fn``, counted until it ends."""
        with self._count_lock:
            self.active += 1

        def counted() -> _T:
            try:
                return fn(*args, **kwargs)
            finally:
                with self._count_lock:
                    self.active -= 1

        try:
            return super().submit(counted)
        except BaseException:
            with self._count_lock:
                self.active -= 1
            raise


class ServerState:
    """The shared state of one running server."""

    def __init__(self, client: Client, settings: Settings | None = None) -> None:
        self.client = client
        self.settings = settings or Settings()
        self.events = EventBus()
        #: Rendered read answers, valid while the store's change key holds.
        self.read_cache = ReadCache()
        self.quick = ThreadPoolExecutor(self.settings.read_workers, "dockyard-read")
        self.long = _CountingPool(self.settings.long_workers, "dockyard-long")
        self.stopping = asyncio.Event()
        self.started_ns = 0
        self.pid = os.getpid()
        #: A stable identifier of the store (``/info``'s ``ID``).
        self.server_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"dockyard:{client.root}"))

    def registry_client(self, credentials: Mapping[str, Credentials] | None) -> RegistryClient:
        """A registry client with only the request's credentials (close it after use).

        As dockerd, the server never reads its own user's ``config.json``: what a client
        sends in ``X-Registry-Auth`` is all it uses. Proxies come from the server's
        environment (``HTTPS_PROXY``, ``NO_PROXY``…), as dockerd's do.
        """
        from dockyard.registry import RegistryClient, StaticCredentials
        from dockyard.registry.proxy import ProxyConfig

        certs = self.settings.certs_dir
        if certs is None and _SYSTEM_CERTS.is_dir():
            certs = _SYSTEM_CERTS
        return RegistryClient(credentials=StaticCredentials(credentials or {}),
                              insecure=self.settings.insecure_registries, certs_dir=certs,
                              proxy=ProxyConfig.from_env(os.environ))  # fmt: skip

    def publish(self, events: list[Event]) -> None:
        """Log events (on the event loop)."""
        self.events.publish(events)

    def begin_shutdown(self) -> None:
        """Stop the streams that never end by themselves (events); on the loop."""
        self.stopping.set()
        self.events.close()

    def close(self) -> None:
        """Wait for the worker threads (running operations finish) and release the store."""
        self.long.shutdown(wait=True)
        self.quick.shutdown(wait=True)
        with contextlib.suppress(Exception):
            self.client.close()
