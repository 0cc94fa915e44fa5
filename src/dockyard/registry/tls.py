"""TLS settings of a registry from Docker's ``certs.d/<host[:port]>/`` layout.

In the directory of a host, ``*.crt`` files are extra CA certificates (added to the
system roots), and each ``<name>.cert`` with its ``<name>.key`` is a client certificate.
A ``.cert`` without its ``.key`` (or the reverse) is an error, as in Docker.
"""

from __future__ import annotations

import ssl
from pathlib import Path

from dockyard.errors import RegistryError

__all__ = ["TLSConfigError", "client_ssl_context", "host_certs_dir"]


class TLSConfigError(RegistryError):
    """A ``certs.d`` directory holds an unusable certificate or key."""


def host_certs_dir(certs_dir: Path | None, host: str) -> Path | None:
    """The ``certs.d`` subdirectory of ``host`` (``host[:port]``), if it exists."""
    if certs_dir is None:
        return None
    path = Path(certs_dir) / host
    return path if path.is_dir() else None


def client_ssl_context(host: str, certs_dir: Path | None, *, verify: bool = True) -> ssl.SSLContext:
    """An SSL context for ``host``: system roots plus ``certs.d`` CAs and client pairs.

    Args:
        host: ``host`` or ``host:port`` as written in image references.
        certs_dir: Docker's ``certs.d`` directory (e.g. ``/etc/docker/certs.d``), or None.
        verify: False skips certificate verification (an insecure registry).

    Raises:
        TLSConfigError: a certificate or key cannot be loaded, or a pair is incomplete.
    """
    if verify:
        ctx = ssl.create_default_context(ssl.Purpose.SERVER_AUTH)
    else:  # nothing is verified: the system's CA store need not be loaded (tens of ms)
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    directory = host_certs_dir(certs_dir, host)
    if directory is None:
        return ctx
    names = sorted(p.name for p in directory.iterdir() if p.is_file())
    for name in names:
        path = directory / name
        try:
            if name.endswith(".crt"):
                ctx.load_verify_locations(cafile=str(path))
            elif name.endswith(".cert"):
                key = name[: -len(".cert")] + ".key"
                if key not in names:
                    raise TLSConfigError(
                        f"missing key {key} for client certificate {name}. "
                        "CA certificates must use the extension .crt"
                    )
                ctx.load_cert_chain(certfile=str(path), keyfile=str(directory / key))
            elif name.endswith(".key"):
                cert = name[: -len(".key")] + ".cert"
                if cert not in names:
                    raise TLSConfigError(f"missing client certificate {cert} for key {name}")
        except (ssl.SSLError, OSError) as exc:
            raise TLSConfigError(f"cannot load {host}/{name}: {exc}") from exc
    return ctx
