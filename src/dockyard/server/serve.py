"""Running the server: uvicorn on the listeners, signals, a graceful stop.

uvicorn (with httptools and uvloop when installed) parses HTTP/1.1 with keep-alive and
chunked bodies in both directions, and applies the socket's flow control to streamed
bodies; the application (:mod:`dockyard.server.app`) is plain ASGI. Plain listeners (unix
sockets, loopback TCP) and TLS listeners run as two uvicorn servers in one event loop,
sharing one application and one store.

``SIGTERM`` or ``SIGINT`` stops accepting connections, ends the event streams, lets every
running request finish (a load commits or leaves nothing, as always), then exits 0. A
second signal stops at once; the store stays consistent since every write is a
transaction.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib.util
import logging
import signal
import socket
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from dockyard.server.listen import (
    Listener,
    TLSOptions,
    check_exposure,
    open_listener,
    parse_host,
    remove_socket,
    socket_identity,
    tls_context,
)

if TYPE_CHECKING:
    from dockyard.server.app import EngineApp

__all__ = ["SOCKET_NAME", "ServeOptions", "serve"]

#: The default socket's file name, inside the store directory.
SOCKET_NAME = "dockyard.sock"
_log = logging.getLogger("dockyard.server")


@dataclass
class ServeOptions:
    """What ``dockyard serve`` was asked to do.

    Attributes:
        root: the store directory.
        hosts: ``--host`` values; default ``unix://<root>/dockyard.sock``.
        tls: TLS settings for the TCP listeners.
        group: the group of the unix sockets (mode 0660).
        log_level: ``debug``, ``info``, ``warning`` or ``error``.
        access_log: log every request.
        shutdown_timeout: seconds to wait for running requests after a stop signal
            (None: as long as they take).
        ready: called with the listeners once they accept connections (tests).
        insecure_registries: registries reached over plain HTTP (``--insecure-registry``).
        registry_certs: Docker's ``certs.d`` directory (``--registry-certs``).
    """

    root: Path
    hosts: list[str] = field(default_factory=list)
    tls: TLSOptions = field(default_factory=TLSOptions)
    group: str | None = None
    log_level: str = "warning"
    access_log: bool = False
    shutdown_timeout: float | None = None
    ready: Callable[[list[Listener]], None] | None = None
    insecure_registries: list[str] = field(default_factory=list)
    registry_certs: Path | None = None


def _setup_logging(level: str, stream: TextIO) -> None:
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    for name in ("dockyard.server", "uvicorn", "uvicorn.error", "uvicorn.access"):
        logger = logging.getLogger(name)
        logger.handlers[:] = [handler]
        logger.setLevel(level.upper())
        logger.propagate = False


class _Server:
    """uvicorn's server without its own signal handling (the group handles signals)."""

    def __new__(cls, config: Any) -> Any:
        import uvicorn

        class Server(uvicorn.Server):
            @contextlib.contextmanager
            def capture_signals(self) -> Iterator[None]:
                yield

            def install_signal_handlers(self) -> None:
                return

        return Server(config)


def _config(app: EngineApp, options: ServeOptions, ssl_context: Any) -> Any:
    import uvicorn

    extra: dict[str, Any] = {}
    if ssl_context is not None:
        # uvicorn builds its own context from the files; the files were checked above
        extra = {"ssl_certfile": options.tls.cert, "ssl_keyfile": options.tls.key}
        if options.tls.verify:
            import ssl

            extra.update(ssl_ca_certs=options.tls.cacert, ssl_cert_reqs=ssl.CERT_REQUIRED)
    return uvicorn.Config(
        app,
        lifespan="off",
        http="httptools" if importlib.util.find_spec("httptools") else "h11",
        loop="none",
        log_config=None,
        access_log=options.access_log,
        server_header=False,
        proxy_headers=False,
        timeout_keep_alive=300,
        timeout_graceful_shutdown=options.shutdown_timeout,  # type: ignore[arg-type]
        **extra,
    )


async def _run(app: EngineApp, options: ServeOptions, groups: list[tuple[Any, list[socket.socket]]],
               listeners: list[Listener]) -> None:  # fmt: skip
    loop = asyncio.get_running_loop()
    servers = [_Server(config) for config, _ in groups]
    signals = {"count": 0}

    def stop() -> None:
        signals["count"] += 1
        app.state.begin_shutdown()
        for server in servers:
            server.should_exit = True
            if signals["count"] > 1:
                server.force_exit = True

    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop)
    try:
        tasks = [asyncio.create_task(server.serve(sockets=socks))
                 for server, (_, socks) in zip(servers, groups, strict=True)]  # fmt: skip
        while not all(server.started for server in servers):
            if any(task.done() for task in tasks):
                break
            await asyncio.sleep(0.01)
        else:
            for listener in listeners:
                _log.warning("API listen on %s", listener)
            if options.ready is not None:
                options.ready(listeners)
        await asyncio.gather(*tasks)
    finally:
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(sig)
        app.state.begin_shutdown()


def serve(options: ServeOptions, *, stderr: TextIO | Any = None) -> int:
    """Serve the Engine API until a stop signal; return the exit code.

    Raises:
        InvalidArgumentError: a bad address or TLS setting (nothing was started).
        StorageError: an address cannot be bound.
    """
    import dockyard
    from dockyard.server.app import create_app
    from dockyard.server.state import Settings

    _setup_logging(options.log_level, stderr or sys.stderr)
    default_socket = options.root / SOCKET_NAME
    listeners = [parse_host(h, default_socket) for h in options.hosts or ["unix://"]]
    check_exposure(listeners, options.tls)
    ssl_context = tls_context(options.tls) if options.tls.enabled else None
    settings = Settings(insecure_registries=tuple(options.insecure_registries),
                        certs_dir=options.registry_certs)  # fmt: skip
    app = create_app(dockyard.open(options.root), settings)
    opened: list[tuple[Listener, socket.socket, tuple[int, int] | None]] = []
    try:
        for listener in listeners:
            if listener.scheme == "unix":
                Path(listener.address).parent.mkdir(parents=True, exist_ok=True)
            sock = open_listener(listener, group=options.group)
            opened.append((listener, sock, socket_identity(listener)))
        plain = [s for listener, s, _ in opened if listener.scheme == "unix" or ssl_context is None]
        secure = [s for listener, s, _ in opened
                  if listener.scheme == "tcp" and ssl_context is not None]  # fmt: skip
        groups = [(_config(app, options, None), plain)] if plain else []
        if secure:
            groups.append((_config(app, options, ssl_context), secure))
        loop_factory = _loop_factory()
        with asyncio.Runner(loop_factory=loop_factory) as runner:
            runner.run(_run(app, options, groups, listeners))
    finally:
        for listener, sock, identity in opened:
            remove_socket(listener, identity)
            sock.close()
        app.state.close()
    return 0


def _loop_factory() -> Callable[[], asyncio.AbstractEventLoop] | None:
    if importlib.util.find_spec("uvloop") is None:
        return None
    import uvloop

    return uvloop.new_event_loop
