"""``docker login`` and ``docker logout``: credentials checked, then kept as Docker keeps them.

They go to Docker's ``config.json`` (or its credential helper): the same file the Docker
CLI reads, so a login with either serves both.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from dockyard.errors import InvalidArgumentError
from dockyard.registry import (
    INDEX_SERVER,
    Credentials,
    RegistryClient,
    StaticCredentials,
    credential_key,
)
from dockyard.registry.transport import registry_host

if TYPE_CHECKING:
    from collections.abc import Sequence
    from pathlib import Path

    from dockyard.registry import DockerConfig
    from dockyard.registry.proxy import ProxyConfig

__all__ = ["login", "logout", "server_key"]


def server_key(server: str | None) -> str:
    """What ``docker login [SERVER]`` files credentials under (Docker Hub by default)."""
    return INDEX_SERVER if not server else credential_key(server)


def _domain(key: str) -> str:
    return "docker.io" if key == INDEX_SERVER else key


def login(
    config: DockerConfig,
    server: str | None,
    username: str,
    password: str,
    *,
    insecure: Sequence[str] = (),
    certs_dir: Path | None = None,
    proxy: ProxyConfig | None = None,
) -> str:
    """Check the credentials with the registry, then store them; return Docker's status.

    Args:
        config: Docker's configuration (``config.json`` and its credential helpers).
        server: the registry (``localhost:5000``, ``https://index.docker.io/v1/``); None
            for Docker Hub.
        username: the user name.
        password: the password (or a token the registry takes as one).
        insecure: registries allowed over plain HTTP.
        certs_dir: Docker's ``certs.d`` directory.
        proxy: proxies.

    Returns:
        ``Login Succeeded``.

    Raises:
        InvalidArgumentError: an empty user name or password.
        Unauthorized: the registry refused them (``unauthorized: …``).
        RegistryConnectionError: the registry cannot be reached.
    """
    if not username or not password:
        raise InvalidArgumentError("Username and password are required")
    key = server_key(server)
    credentials = Credentials(username=username, password=password)
    host = registry_host(_domain(key))
    with RegistryClient(credentials=StaticCredentials({key: credentials}), insecure=insecure,
                        certs_dir=certs_dir, proxy=proxy) as client:  # fmt: skip
        transport = client.transport
        response = transport.request("GET", f"{transport.base_url(host)}/v2/", host=host)
        try:
            transport.check(response)
        finally:
            response.close()
    config.store(key, credentials)
    return "Login Succeeded"


def logout(config: DockerConfig, server: str | None) -> str:
    """Forget the credentials of a registry; return Docker's message.

    Returns:
        ``Removing login credentials for <server>``, or ``Not logged in to <server>``
        when there were none (not an error, as in Docker).
    """
    key = server_key(server)
    if config.get(key) is None:
        return f"Not logged in to {key}"
    config.erase(key)
    return f"Removing login credentials for {key}"
