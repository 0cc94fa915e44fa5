"""HTTP proxies chosen per URL, with Go's ``NO_PROXY`` rules; the caller reads the env."""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass

import httpx

__all__ = ["ProxyConfig", "is_loopback", "split_host_port"]


def split_host_port(host: str) -> tuple[str, int | None]:
    """``host:5000`` → (``host``, 5000); ``[::1]:5000`` → (``::1``, 5000)."""
    if host.startswith("["):
        end = host.find("]")
        name, rest = host[1:end], host[end + 1 :]
        port = rest[1:] if rest.startswith(":") else ""
    else:
        name, sep, port = host.rpartition(":")
        if not sep or not port.isdigit() or ":" in name:
            return host, None
    return name, int(port) if port.isdigit() else None


def is_loopback(host: str) -> bool:
    """True for ``localhost`` and loopback addresses (127.0.0.0/8, ::1), any port."""
    name, _port = split_host_port(host)
    if name.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True)
class ProxyConfig:
    """Proxy URLs by scheme and the hosts that bypass them.

    Attributes:
        http: the proxy for ``http://`` URLs, or None.
        https: the proxy for ``https://`` URLs, or None.
        no_proxy: comma-separated hosts, domains (``.example.com`` or ``example.com``
            match subdomains too), IPs, CIDRs and ``*``; loopback is never proxied.
    """

    http: str | None = None
    https: str | None = None
    no_proxy: str = ""

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> ProxyConfig:
        """Read ``HTTP_PROXY``/``HTTPS_PROXY``/``NO_PROXY`` (or lower case) from ``env``."""

        def pick(name: str) -> str:
            return env.get(name) or env.get(name.lower()) or ""

        return cls(pick("HTTP_PROXY") or None, pick("HTTPS_PROXY") or None, pick("NO_PROXY"))

    def for_url(self, url: httpx.URL) -> str | None:
        """The proxy to use for ``url``, or None to connect directly."""
        proxy = self.https if url.scheme == "https" else self.http
        if not proxy or self._bypass(url.host, url.port):
            return None
        return proxy

    def _bypass(self, host: str, port: int | None) -> bool:
        if is_loopback(host):
            return True
        host = host.lower().strip("[]")
        try:
            address = ipaddress.ip_address(host)
        except ValueError:
            address = None
        for raw in self.no_proxy.split(","):
            entry = raw.strip().lower()
            if not entry:
                continue
            if entry == "*":
                return True
            if "/" in entry and address is not None:
                try:
                    if address in ipaddress.ip_network(entry, strict=False):
                        return True
                except ValueError:
                    pass
                continue
            name, entry_port = split_host_port(entry)
            if entry_port is not None and port is not None and entry_port != port:
                continue
            name = name.strip("[]")
            if host == name.lstrip(".") or host.endswith("." + name.lstrip(".")):
                return True
        return False
