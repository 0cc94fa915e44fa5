"""How a :class:`~dockyard.client.Client` reaches registries: settings, logins, clients.

The library reads no environment variables. By default credentials come from Docker's
``config.json`` in ``~/.docker`` of the user running the program (and the credential
helpers it names); :meth:`RegistryAccess.login` keeps checked credentials in memory for
the client's later pulls and pushes, as docker-py's ``client.login`` does. Pass
:class:`RegistrySettings` to :func:`dockyard.open` to choose another configuration
directory, registries reached over plain HTTP, Docker's ``certs.d`` directory, proxies
or the retry policy.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from dockyard.registry import Credentials, CredentialStore, RegistryClient, RetryPolicy
    from dockyard.registry.proxy import ProxyConfig

__all__ = ["RegistryAccess", "RegistrySettings"]

_SYSTEM_CERTS = Path("/etc/docker/certs.d")


@dataclass(frozen=True)
class RegistrySettings:
    """Where credentials are and how registries are reached.

    Attributes:
        config_dir: Docker's configuration directory (``config.json`` and the credential
            helpers it names); None for ``~/.docker``.
        insecure: registries (``host[:port]``) allowed over plain HTTP; loopback always is.
        certs_dir: Docker's ``certs.d`` directory (CA and client certificates per
            ``host[:port]``); None for ``/etc/docker/certs.d`` when it exists.
        proxy: proxies (:meth:`ProxyConfig.from_env` builds one from an environment).
        retry: attempts and backoff on network errors, 429 and 5xx.
    """

    config_dir: Path | None = None
    insecure: Sequence[str] = ()
    certs_dir: Path | None = None
    proxy: ProxyConfig | None = field(default=None, repr=False)
    retry: RetryPolicy | None = None


class _Layered:
    """Credentials from a login of this client first, then from Docker's configuration."""

    def __init__(self, *stores: CredentialStore) -> None:
        self.stores = stores

    def get(self, registry: str) -> Credentials | None:
        for store in self.stores:
            found = store.get(registry)
            if found is not None and not found.is_empty():
                return found
        return None


class RegistryAccess:
    """A client's way to registries: its settings and the logins it made."""

    def __init__(self, settings: RegistrySettings | None = None) -> None:
        from dockyard.registry import DockerConfig, docker_config_dir

        self.settings = settings or RegistrySettings()
        config_dir = self.settings.config_dir or docker_config_dir({})
        self.config = DockerConfig(config_dir)
        self._logins: dict[str, Credentials] = {}

    @property
    def certs_dir(self) -> Path | None:
        """The ``certs.d`` directory in use."""
        if self.settings.certs_dir is not None:
            return self.settings.certs_dir
        return _SYSTEM_CERTS if _SYSTEM_CERTS.is_dir() else None

    def credentials(self, extra: Mapping[str, Credentials] | None = None) -> CredentialStore:
        """Where a registry client finds credentials: ``extra``, logins, configuration."""
        from dockyard.registry import StaticCredentials

        stores: list[CredentialStore] = []
        if extra:
            stores.append(StaticCredentials(extra))
        stores += [StaticCredentials(self._logins), self.config]
        return _Layered(*stores)

    def client(self, extra: Mapping[str, Credentials] | None = None) -> RegistryClient:
        """A registry client with these settings (close it after use)."""
        from dockyard.registry import RegistryClient

        return RegistryClient(credentials=self.credentials(extra),
                              insecure=tuple(self.settings.insecure), certs_dir=self.certs_dir,
                              proxy=self.settings.proxy, retry=self.settings.retry)  # fmt: skip

    def auth_fields(self, domain: str, extra: Mapping[str, Credentials] | None = None
                    ) -> dict[str, str] | None:  # fmt: skip
        """The credentials used for ``domain`` as the fields Docker hashes (push metadata)."""
        from dockyard.registry import credential_key

        found = self.credentials(extra).get(credential_key(domain))
        if found is None:
            return None
        return {"username": found.username, "password": found.password,
                "identitytoken": found.identity_token,
                "registrytoken": found.registry_token}  # fmt: skip

    def login(
        self,
        username: str,
        password: str | None = None,
        registry: str | None = None,
        *,
        reauth: bool = False,
        dockercfg_path: str | Path | None = None,
    ) -> dict[str, Any]:
        """Check credentials with the registry and remember them (in memory).

        As docker-py's ``client.login``: when the configuration already holds credentials
        of this user for the registry and ``reauth`` is false, they are returned without
        asking the registry. Nothing is written to ``config.json`` (the command line's
        ``dockyard login`` does that).

        Returns:
            ``{"IdentityToken": "", "Status": "Login Succeeded"}``, or the stored
            credentials (``username``, ``password``, ``serveraddress``).

        Raises:
            InvalidArgumentError: an empty user name or password.
            Unauthorized: the registry refused them.
            RegistryConnectionError: the registry cannot be reached.
        """
        from dockyard.registry import Credentials, DockerConfig
        from dockyard.service.login import check_login, server_key

        if dockercfg_path is not None and Path(dockercfg_path).is_file():
            path = Path(dockercfg_path)
            self.config = DockerConfig(path.parent, file_name=path.name)
        key = server_key(registry)
        known = self.credentials().get(key)
        if known is not None and known.username == username and not reauth:
            return {"username": known.username, "password": known.password,
                    "serveraddress": key}  # fmt: skip
        check_login(registry, username, password or "", insecure=tuple(self.settings.insecure),
                    certs_dir=self.certs_dir, proxy=self.settings.proxy)  # fmt: skip
        self._logins[key] = Credentials(username=username, password=password or "")
        return {"IdentityToken": "", "Status": "Login Succeeded"}


def auth_config_credentials(
    auth_config: Mapping[str, Any] | None, domain: str
) -> dict[str, Credentials] | None:
    """docker-py's ``auth_config`` dict as credentials for ``domain``.

    Its ``username``, ``password``, ``identitytoken`` and ``registrytoken`` are used.
    """
    if not auth_config:
        return None
    from dockyard.registry import Credentials

    def text(key: str) -> str:
        value = auth_config.get(key)
        return value if isinstance(value, str) else ""

    found = Credentials(username=text("username"), password=text("password"),
                        identity_token=text("identitytoken"),
                        registry_token=text("registrytoken"))  # fmt: skip
    return {domain: found}
