"""Where the server listens: ``unix://PATH`` and ``tcp://HOST:PORT`` addresses, and TLS.

dockerd's rules hold: a unix socket is created with mode 0660 (a stale socket file left
by a dead server is replaced, a live one is refused); a TCP address on anything but the
loopback interface is refused unless TLS with client certificates is on (``--tlsverify``
with ``--tlscacert``, ``--tlscert`` and ``--tlskey``), since whoever reaches the API
controls the store.
"""

from __future__ import annotations

import contextlib
import grp
import ipaddress
import os
import socket
import ssl
import stat
from dataclasses import dataclass
from pathlib import Path

from dockyard.errors import InvalidArgumentError, StorageError

__all__ = [
    "Listener",
    "TLSOptions",
    "check_exposure",
    "open_listener",
    "parse_host",
    "remove_socket",
    "socket_identity",
    "tls_context",
]

_UNIX_PATH_MAX = 107


@dataclass(frozen=True)
class TLSOptions:
    """TLS settings (``--tls``, ``--tlsverify`` and the three files)."""

    tls: bool = False
    verify: bool = False
    cacert: str | None = None
    cert: str | None = None
    key: str | None = None

    @property
    def enabled(self) -> bool:
        """True when TCP listeners speak TLS."""
        return self.tls or self.verify


@dataclass(frozen=True)
class Listener:
    """One listening address.

    Attributes:
        scheme: ``unix`` or ``tcp``.
        address: the socket path, or ``host:port``.
        host: the TCP host ("" for unix).
        port: the TCP port (0 for unix).
    """

    scheme: str
    address: str
    host: str = ""
    port: int = 0

    def __str__(self) -> str:
        return f"{self.scheme}://{self.address}"

    @property
    def loopback(self) -> bool:
        """True for a unix socket or a TCP address on the loopback interface."""
        if self.scheme == "unix":
            return True
        if self.host == "localhost":
            return True
        try:
            return ipaddress.ip_address(self.host).is_loopback
        except ValueError:
            return False


def parse_host(text: str, default_socket: Path) -> Listener:
    """Parse a ``--host`` value (``unix://PATH``, ``unix://``, ``tcp://HOST:PORT``).

    Raises:
        InvalidArgumentError: the address is malformed or of another kind.
    """
    if text.startswith(("unix://", "/")):
        path = text.removeprefix("unix://") or str(default_socket)
        if len(os.fsencode(path)) > _UNIX_PATH_MAX:
            raise InvalidArgumentError(f"unix socket path is too long: {path}")
        return Listener("unix", str(Path(path).absolute()))
    if text.startswith("tcp://"):
        rest = text.removeprefix("tcp://").rstrip("/")
        host, sep, port = rest.rpartition(":")
        if not sep or not port.isdigit() or int(port) > 65535:
            raise InvalidArgumentError(f"invalid TCP address {text!r}: use tcp://HOST:PORT")
        host = host.strip("[]") or "0.0.0.0"
        return Listener("tcp", f"{host}:{port}", host, int(port))
    raise InvalidArgumentError(f"invalid host {text!r}: use unix://PATH or tcp://HOST:PORT")


def check_exposure(listeners: list[Listener], tls: TLSOptions) -> None:
    """Refuse a non-loopback TCP address without TLS client verification.

    Raises:
        InvalidArgumentError: dockerd's refusal, with the flags that are missing.
    """
    for listener in listeners:
        if listener.loopback:
            continue
        if not (tls.verify and tls.cacert and tls.cert and tls.key):
            raise InvalidArgumentError(
                f"refusing to listen on {listener}: a non-loopback address needs TLS with "
                "client certificates (--tlsverify --tlscacert CA --tlscert CERT --tlskey KEY)"
            )
    if tls.enabled and not (tls.cert and tls.key):
        raise InvalidArgumentError("--tls and --tlsverify need --tlscert and --tlskey")
    if tls.verify and not tls.cacert:
        raise InvalidArgumentError("--tlsverify needs --tlscacert")


def tls_context(tls: TLSOptions) -> ssl.SSLContext:
    """The server's TLS context (TLS 1.2 or newer; client certificates with verify).

    Raises:
        InvalidArgumentError: a certificate or key cannot be loaded.
    """
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    try:
        context.load_cert_chain(str(tls.cert), str(tls.key))
        if tls.verify:
            context.load_verify_locations(cafile=str(tls.cacert))
            context.verify_mode = ssl.CERT_REQUIRED
    except (OSError, ssl.SSLError) as exc:
        raise InvalidArgumentError(f"cannot load the TLS files: {exc}") from None
    return context


def open_listener(listener: Listener, *, mode: int = 0o660, group: str | None = None
                  ) -> socket.socket:  # fmt: skip
    """Create, bind and listen on ``listener``'s socket.

    Raises:
        StorageError: the address is in use or cannot be bound.
        InvalidArgumentError: the group does not exist.
    """
    if listener.scheme == "tcp":
        try:
            return socket.create_server((listener.host, listener.port), backlog=1024,
                                        reuse_port=False)  # fmt: skip
        except OSError as exc:
            raise StorageError(f"cannot listen on {listener}: {exc.strerror or exc}") from exc
    path = Path(listener.address)
    _remove_stale(path)
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        old = os.umask(0o777 & ~mode)
        try:
            sock.bind(str(path))
        finally:
            os.umask(old)
        os.chmod(path, mode)
        if group is not None:
            try:
                gid = grp.getgrnam(group).gr_gid
            except KeyError:
                raise InvalidArgumentError(f"group {group!r} does not exist") from None
            os.chown(path, -1, gid)
        sock.listen(1024)
    except OSError as exc:
        sock.close()
        raise StorageError(f"cannot listen on {listener}: {exc.strerror or exc}") from exc
    except BaseException:
        sock.close()
        raise
    return sock


def _remove_stale(path: Path) -> None:
    """Remove a socket file nobody listens on; refuse a live one or any other file."""
    try:
        info = path.lstat()
    except FileNotFoundError:
        return
    if not stat.S_ISSOCK(info.st_mode):
        raise StorageError(f"cannot listen on unix://{path}: a file that is not a socket is there")
    probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        probe.settimeout(1.0)
        probe.connect(str(path))
    except OSError:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
        return
    finally:
        probe.close()
    raise StorageError(f"cannot listen on unix://{path}: another server is listening there")


def socket_identity(listener: Listener) -> tuple[int, int] | None:
    """The device and inode of a unix socket file just created (None for TCP)."""
    if listener.scheme != "unix":
        return None
    info = Path(listener.address).lstat()
    return info.st_dev, info.st_ino


def remove_socket(listener: Listener, identity: tuple[int, int] | None) -> None:
    """Remove a unix socket file when it is still the one this server created."""
    if listener.scheme != "unix" or identity is None:
        return
    with contextlib.suppress(OSError):
        path = Path(listener.address)
        info = path.lstat()
        if (info.st_dev, info.st_ino) == identity:
            path.unlink()
