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
    Unauthorized,
    credential_key,
)
from dockyard.registry.errors import error_from_response
from dockyard.registry.transport import registry_host

if TYPE_CHECKING:
    from collections.abc import Sequence
    from pathlib import Path

    from dockyard.registry import DockerConfig
    from dockyard.registry.proxy import ProxyConfig

__all__ = ["check_login", "login", "logout", "server_key"]


def server_key(server: str | None) -> str:
    """What ``docker login [SERVER]`` files credentials under (Docker Hub by default)."""
    return INDEX_SERVER if not server else credential_key(server)


def _domain(key: str) -> str:
    return "docker.io" if key == INDEX_SERVER else key


def check_login(
    server: str | None,
    username: str,
    password: str,
    *,
    insecure: Sequence[str] = (),
    certs_dir: Path | None = None,
    proxy: ProxyConfig | None = None,
) -> str:
    """Check credentials with the registry (``GET /v2/``) without keeping them.

    Args:
        server: the registry (``localhost:5000``, ``https://index.docker.io/v1/``); None
            for Docker Hub.
        username: the user name.
        password: the password (or a token the registry takes as one).
        insecure: registries allowed over plain HTTP.
        certs_dir: Docker's ``certs.d`` directory.
        proxy: proxies.

    Returns:
        The key the credentials are filed under (``localhost:5000``, or Docker Hub's
        ``https://index.docker.io/v1/``).

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
        url = f"{transport.base_url(host)}/v2/"
        try:
            response = transport.request("GET", url, host=host)
        except Unauthorized as exc:  # the token server refused them: Docker's words
            raise exc.with_message(f'Get "{url}": unauthorized') from None
        try:
            if not 200 <= response.status_code < 300:
                status = f"{response.status_code} {response.reason_phrase}".strip()
                message = f"login attempt to {url} failed with status: {status}"
                error = error_from_response(response.status_code, response.read(),
                                            method="GET", url=url)  # fmt: skip
                raise error.with_message(message)
        finally:
            response.close()
    return key


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
    """Check the credentials (see :func:`check_login`), then store them in ``config``.

    Returns:
        ``Login Succeeded``.

    Raises:
        InvalidArgumentError, Unauthorized, RegistryConnectionError: as
        :func:`check_login`.
        StorageError: ``config.json`` cannot be written.
    """
    key = check_login(server, username, password, insecure=insecure, certs_dir=certs_dir,
                      proxy=proxy)  # fmt: skip
    config.store(key, Credentials(username=username, password=password))
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
