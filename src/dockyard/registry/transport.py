"""HTTP transport to registries: TLS, plain HTTP for insecure hosts, auth, retries, redirects.

One :class:`Transport` serves every registry a client talks to. It keeps one
``httpx.Client`` (a connection pool) per origin, with that host's TLS settings and
proxy, pings each registry once to learn its scheme and how it authenticates, adds
``Authorization`` only for the registry's own origin (never on a redirect to another
scheme, host or port), and retries network errors, 429 and 5xx with backoff. It never
reads the environment and is safe to share between threads.
"""

from __future__ import annotations

import ipaddress
import ssl
import threading
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from dockyard import __version__
from dockyard.registry.auth import Authorizer, parse_challenges
from dockyard.registry.credentials import CredentialStore
from dockyard.registry.errors import (
    NoBasicAuthCredentials,
    RegistryConnectionError,
    error_from_response,
)
from dockyard.registry.proxy import ProxyConfig, is_loopback, split_host_port
from dockyard.registry.retry import (
    RETRYABLE_STATUS,
    RetryPolicy,
    is_retryable_error,
    parse_retry_after,
)
from dockyard.registry.tls import client_ssl_context

__all__ = ["DEFAULT_USER_AGENT", "Transport", "TransportOptions", "registry_host"]

DEFAULT_USER_AGENT = f"dockyard/{__version__}"
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
#: Docker Hub's registry API host, for references whose domain is ``docker.io``.
HUB_REGISTRY = "registry-1.docker.io"

Content = bytes | Iterable[bytes] | None


def registry_host(domain: str) -> str:
    """The host to send API requests to for a reference domain (``docker.io`` → Hub's)."""
    return HUB_REGISTRY if domain in ("docker.io", "index.docker.io") else domain


@dataclass(frozen=True)
class TransportOptions:
    """How to reach registries.

    Attributes:
        credentials: where to find credentials per registry (None: anonymous).
        insecure: registries (``host[:port]`` or CIDRs) reachable over plain HTTP or
            with unverified TLS, like Docker's ``insecure-registries``. Loopback hosts
            are always insecure, as in Docker.
        certs_dir: Docker's ``certs.d`` directory (CAs and client certificates per host).
        proxy: proxies to use (None: connect directly).
        timeout: connect/read/write timeouts in seconds (an ``httpx.Timeout`` or a float).
        retry: the retry policy.
        user_agent: the ``User-Agent`` header.
        max_redirects: redirects followed on blob requests.
        max_connections: pool size per origin.
    """

    credentials: CredentialStore | None = None
    insecure: Collection[str] = ()
    certs_dir: Path | None = None
    proxy: ProxyConfig | None = None
    timeout: httpx.Timeout | float = field(
        default_factory=lambda: httpx.Timeout(30.0, connect=15.0)
    )
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    user_agent: str = DEFAULT_USER_AGENT
    max_redirects: int = 10
    max_connections: int = 16


def _origin(url: httpx.URL) -> tuple[str, str, int | None]:
    return (url.scheme, url.host, url.port)


class Transport:
    """Sends registry requests; see the module docstring for what it takes care of.

    Args:
        options: how to reach registries.
    """

    def __init__(self, options: TransportOptions | None = None) -> None:
        self.options = options or TransportOptions()
        self._lock = threading.Lock()
        self._clients: dict[tuple[str, str], httpx.Client] = {}
        self._schemes: dict[str, str] = {}
        self._authorizers: dict[str, Authorizer] = {}
        self._ping_locks: dict[str, threading.Lock] = {}

    # --- connection pools -----------------------------------------------------------

    def is_insecure(self, host: str) -> bool:
        """True for loopback hosts and the hosts (or CIDRs) given as insecure."""
        if is_loopback(host) or host in self.options.insecure:
            return True
        name, _port = split_host_port(host)
        try:
            address = ipaddress.ip_address(name)
        except ValueError:
            return name in self.options.insecure
        for entry in self.options.insecure:
            if "/" in entry:
                try:
                    if address in ipaddress.ip_network(entry, strict=False):
                        return True
                except ValueError:
                    continue
        return False

    def _client(self, url: httpx.URL) -> httpx.Client:
        netloc = url.netloc.decode("ascii")
        key = (url.scheme, netloc)
        with self._lock:
            client = self._clients.get(key)
            if client is None:
                verify: ssl.SSLContext | bool = False  # plain HTTP: no TLS at all
                if url.scheme == "https":
                    verify = client_ssl_context(
                        netloc, self.options.certs_dir, verify=not self.is_insecure(netloc)
                    )
                proxy = self.options.proxy.for_url(url) if self.options.proxy else None
                client = httpx.Client(
                    verify=verify,
                    proxy=proxy,
                    trust_env=False,
                    timeout=self.options.timeout,
                    follow_redirects=False,
                    limits=httpx.Limits(max_connections=self.options.max_connections),
                    headers={"User-Agent": self.options.user_agent, "Accept-Encoding": "identity"},
                )
                self._clients[key] = client
            return client

    def close(self) -> None:
        """Close every connection pool."""
        with self._lock:
            clients = list(self._clients.values())
            self._clients.clear()
        for client in clients:
            client.close()

    # --- endpoints and auth ---------------------------------------------------------

    def authorizer(self, host: str) -> Authorizer:
        """The authorization state of ``host`` (created on first use)."""
        with self._lock:
            auth = self._authorizers.get(host)
        if auth is not None:
            return auth
        store = self.options.credentials
        creds = store.get(host) if store is not None else None  # a helper may run: unlocked
        with self._lock:
            return self._authorizers.setdefault(
                host, Authorizer(creds, lambda r: self.send(r, retry=True))
            )

    def base_url(self, host: str) -> str:
        """``<scheme>://<host>`` of a registry, pinging it first if not done yet.

        Raises:
            RegistryConnectionError: the registry cannot be reached.
        """
        with self._lock:
            scheme = self._schemes.get(host)
            ping_lock = self._ping_locks.setdefault(host, threading.Lock())
        if scheme is None:
            with ping_lock:
                scheme = self._schemes.get(host) or self._ping(host)
        return f"{scheme}://{host}"

    def _ping(self, host: str) -> str:
        schemes = ["https", "http"] if self.is_insecure(host) else ["https"]
        last: RegistryConnectionError | None = None
        for i, scheme in enumerate(schemes):
            request = httpx.Request("GET", f"{scheme}://{host}/v2/")
            fallback = i + 1 < len(schemes)
            try:
                response = self.send(request, retry=not fallback)
            except RegistryConnectionError as exc:
                last = exc
                continue
            response.read()
            response.close()
            challenges = []
            if response.status_code == 401:
                challenges = parse_challenges(response.headers.get_list("www-authenticate"))
            self.authorizer(host).set_challenges(challenges)
            with self._lock:
                self._schemes[host] = scheme
            return scheme
        if last is None:
            raise AssertionError("no scheme was tried")
        raise last

    # --- sending --------------------------------------------------------------------

    def send(self, request: httpx.Request, *, retry: bool = True) -> httpx.Response:
        """Send one request (streamed response), retrying as the policy allows.

        The caller closes the response. A 429/5xx answer is returned as it is once the
        retries are used up.

        Raises:
            RegistryConnectionError: the network failed on every try.
        """
        policy = self.options.retry
        failures = 0
        while True:
            client = self._client(request.url)
            try:
                response = client.send(request, stream=True)
            except httpx.TransportError as exc:
                failures += 1
                delay = policy.delay_for(failures, None) if retry else None
                if delay is None or not is_retryable_error(exc):
                    raise RegistryConnectionError(
                        request.method, str(request.url), str(exc) or type(exc).__name__
                    ) from exc
                policy.sleep(delay)
                continue
            if not retry or response.status_code not in RETRYABLE_STATUS:
                return response
            failures += 1
            retry_after = parse_retry_after(response.headers.get("retry-after"))
            delay = policy.delay_for(failures, retry_after)
            if delay is None:
                return response
            response.close()
            policy.sleep(delay)

    def request(
        self,
        method: str,
        url: str,
        *,
        host: str,
        scopes: frozenset[str] = frozenset(),
        headers: Mapping[str, str] | None = None,
        content: Content = None,
        follow_redirects: bool = False,
        replayable: bool = True,
    ) -> httpx.Response:
        """Send an authorized request to registry ``host`` and return the streamed answer.

        Args:
            method: the HTTP method.
            url: an absolute URL (usually built from :meth:`base_url`).
            host: the registry the request is for (its auth applies to its own origin).
            scopes: the token scopes the request needs.
            headers: extra headers.
            content: the body; an iterator body is sent once (no retry, no 401 replay).
            follow_redirects: follow 3xx answers (blob GET/HEAD), dropping
                ``Authorization`` when the origin changes.
            replayable: False when ``content`` cannot be sent twice.

        Raises:
            RegistryConnectionError: the network failed on every try.
            AuthenticationError: a token could not be obtained.
            NoBasicAuthCredentials: the host wants Basic credentials and has none.
        """
        replayable = replayable and (content is None or isinstance(content, bytes))
        auth = self.authorizer(host)
        home = _origin(httpx.URL(self.base_url(host)))
        for attempt in (0, 1):
            if auth.lacks_basic_credentials():
                raise NoBasicAuthCredentials(method, url)  # Docker sends nothing either
            value = auth.header(scopes)
            response = self._follow(
                method, url, headers, content, value, home, follow_redirects, replayable
            )
            if (
                response.status_code == 401
                and attempt == 0
                and replayable
                and _origin(response.request.url) == home
            ):
                wider = auth.on_unauthorized(response, scopes)
                if wider is not None:
                    response.read()
                    response.close()
                    scopes = wider
                    continue
            return response
        raise AssertionError("unreachable")

    def _follow(
        self,
        method: str,
        url: str,
        headers: Mapping[str, str] | None,
        content: Content,
        authorization: str | None,
        home: tuple[str, str, int | None],
        follow: bool,
        replayable: bool,
    ) -> httpx.Response:
        target = httpx.URL(url)
        for _hop in range(self.options.max_redirects + 1):
            hdrs = dict(headers or {})
            if authorization is not None and _origin(target) == home:
                hdrs["Authorization"] = authorization
            request = httpx.Request(method, target, headers=hdrs, content=content)
            response = self.send(request, retry=replayable)
            location = response.headers.get("location")
            if not follow or response.status_code not in _REDIRECTS or not location:
                return response
            response.read()
            response.close()
            target = target.join(location)
        raise RegistryConnectionError(method, url, "stopped after too many redirects")

    def check(
        self,
        response: httpx.Response,
        *,
        not_found_code: str | None = None,
    ) -> None:
        """Raise the typed registry error when ``response`` is not a 2xx answer.

        Raises:
            RegistryHTTPError: (a subclass chosen by the error code or status).
        """
        if 200 <= response.status_code < 300:
            return
        try:
            body = response.read()
        except httpx.StreamClosed:  # closed unread by the caller (a HEAD has no body)
            body = b""
        response.close()
        bearer = next((c for c in parse_challenges(response.headers.get_list("www-authenticate"))
                       if c.scheme == "bearer"), None)  # fmt: skip
        raise error_from_response(
            response.status_code,
            body,
            method=response.request.method,
            url=str(response.request.url),
            not_found_code=not_found_code,
            bearer_error=bearer.params.get("error", "") if bearer else "",
            bearer_description=bearer.params.get("error_description", "") if bearer else "",
        )

    def __enter__(self) -> Transport:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
