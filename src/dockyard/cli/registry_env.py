"""The registry client a command uses, set up from the environment as Docker's CLI is.

Credentials come from Docker's ``config.json`` (``$DOCKER_CONFIG``, else ``~/.docker``)
and its credential helpers; proxies from ``HTTP(S)_PROXY``/``NO_PROXY``; TLS certificates
from Docker's ``certs.d`` layout (``--certs-dir``, else ``/etc/docker/certs.d``);
registries allowed over plain HTTP from ``--insecure-registry`` and
``$DOCKYARD_INSECURE_REGISTRIES`` (loopback always is).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import argparse

    from dockyard.cli.context import Context
    from dockyard.registry import DockerConfig, RegistryClient
    from dockyard.registry.proxy import ProxyConfig

__all__ = ["RegistrySetup"]

_SYSTEM_CERTS = Path("/etc/docker/certs.d")


class RegistrySetup:
    """Everything a registry command needs from the environment and its flags."""

    def __init__(self, ctx: Context, args: argparse.Namespace) -> None:
        from dockyard.registry import DockerConfig, docker_config_dir
        from dockyard.registry.proxy import ProxyConfig

        env = ctx.env
        self.config: DockerConfig = DockerConfig(docker_config_dir(env), helper_env=dict(env))
        self.proxy: ProxyConfig = ProxyConfig.from_env(env)
        insecure = list(getattr(args, "insecure_registry", None) or [])
        insecure += [h.strip() for h in env.get("DOCKYARD_INSECURE_REGISTRIES", "").split(",")]
        self.insecure = tuple(h for h in insecure if h)
        certs = getattr(args, "certs_dir", None)
        self.certs_dir: Path | None = Path(certs) if certs else (
            _SYSTEM_CERTS if _SYSTEM_CERTS.is_dir() else None)  # fmt: skip

    def client(self) -> RegistryClient:
        """A registry client with these settings (close it after use)."""
        from dockyard.registry import RegistryClient

        return RegistryClient(credentials=self.config, insecure=self.insecure,
                              certs_dir=self.certs_dir, proxy=self.proxy)  # fmt: skip

    def auth_for(self, domain: str) -> dict[str, str] | None:
        """The stored credentials for a registry, as the fields Docker hashes."""
        from dockyard.registry import credential_key

        found = self.config.get(credential_key(domain))
        if found is None or found.is_empty():
            return None
        return {"username": found.username, "password": found.password,
                "identitytoken": found.identity_token,
                "registrytoken": found.registry_token}  # fmt: skip
