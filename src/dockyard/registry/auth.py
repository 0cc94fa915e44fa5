"""Registry authentication: ``WWW-Authenticate`` challenges, Basic, and cached Bearer tokens.

One :class:`Authorizer` holds the state of one registry host: the challenge it last
answered with, the credentials, and the Bearer tokens fetched so far, cached per set of
scopes until they expire. It is thread-safe; concurrent requests that need the same
token wait for one fetch instead of each fetching it.
"""

from __future__ import annotations

import base64
import json
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime

import httpx

from dockyard.registry.credentials import Credentials
from dockyard.registry.errors import AuthenticationError, Unauthorized, error_from_response

__all__ = [
    "Authorizer",
    "Challenge",
    "Token",
    "parse_challenges",
    "repository_scope",
]

#: Docker's minimum token lifetime: shorter ``expires_in`` values are raised to it.
MIN_TOKEN_LIFETIME = 60
#: Tokens are refreshed this many seconds before they expire.
EXPIRY_MARGIN = 5.0
CLIENT_ID = "dockyard"

Sender = Callable[[httpx.Request], httpx.Response]


@dataclass(frozen=True)
class Challenge:
    """One challenge of a ``WWW-Authenticate`` header.

    Attributes:
        scheme: the scheme, lower-cased (``basic``, ``bearer``).
        params: the parameters, names lower-cased (``realm``, ``service``, ``scope``).
    """

    scheme: str
    params: dict[str, str] = field(default_factory=dict)

    @property
    def scopes(self) -> frozenset[str]:
        """The space-separated ``scope`` parameter as a set."""
        return frozenset(s for s in self.params.get("scope", "").split(" ") if s)


def repository_scope(name: str, actions: Iterable[str]) -> str:
    """``repository:<name>:<actions>`` with actions in Docker's order (pull before push)."""
    order = {"pull": 0, "push": 1, "delete": 2}
    acts = sorted(set(actions), key=lambda a: (order.get(a, 9), a))
    return f"repository:{name}:{','.join(acts)}"


def _merge_scopes(scopes: Iterable[str]) -> frozenset[str]:
    """Merge scopes of the same resource: ``repo:a:pull`` + ``repo:a:push`` → ``pull,push``."""
    by_resource: dict[str, set[str]] = {}
    for scope in scopes:
        resource, sep, listed = scope.rpartition(":")
        if not sep:
            by_resource.setdefault(scope, set())
            continue
        by_resource.setdefault(resource, set()).update(a for a in listed.split(",") if a)
    out: set[str] = set()
    for resource, actions in by_resource.items():
        if resource.startswith("repository:"):
            out.add(repository_scope(resource[len("repository:") :], actions))
        else:
            out.add(f"{resource}:{','.join(sorted(actions))}" if actions else resource)
    return frozenset(out)


def _tokenize(text: str) -> list[tuple[str, str | None]]:
    """Split a header into (token, value) items: ``a="b", c`` → [(a, b), (c, None)]."""
    items: list[tuple[str, str | None]] = []
    i, n = 0, len(text)
    while i < n:
        while i < n and text[i] in " \t,":
            i += 1
        start = i
        while i < n and text[i] not in " \t,=":
            i += 1
        name = text[start:i]
        j = i
        while j < n and text[j] in " \t":
            j += 1
        if j < n and text[j] == "=" and name:
            j += 1
            while j < n and text[j] in " \t":
                j += 1
            if j < n and text[j] == '"':
                j += 1
                chars: list[str] = []
                while j < n and text[j] != '"':
                    if text[j] == "\\" and j + 1 < n:
                        j += 1
                    chars.append(text[j])
                    j += 1
                value = "".join(chars)
                j += 1
            else:
                vstart = j
                while j < n and text[j] not in " \t,":
                    j += 1
                value = text[vstart:j]
            items.append((name, value))
            i = j
        elif name:
            items.append((name, None))
    return items


def parse_challenges(values: Iterable[str]) -> list[Challenge]:
    """Parse ``WWW-Authenticate`` header values into challenges (several per value allowed)."""
    out: list[Challenge] = []
    for value in values:
        current: Challenge | None = None
        for name, val in _tokenize(value):
            if val is None:
                current = Challenge(name.lower())
                out.append(current)
            elif current is not None:
                current.params[name.lower()] = val
    return out


@dataclass(frozen=True)
class Token:
    """A Bearer token and when it stops being usable (seconds since the epoch)."""

    value: str = field(repr=False)
    expires_at: float


def _parse_issued_at(text: object) -> float | None:
    if not isinstance(text, str) or not text:
        return None
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


class Authorizer:
    """Authorization state of one registry host.

    Args:
        credentials: what to log in with; None or empty for anonymous access.
        send: sends a request without any further authentication (the token request).
        clock: the current time in seconds since the epoch (tests pass a fake).
    """

    def __init__(
        self,
        credentials: Credentials | None,
        send: Sender,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.credentials = credentials if credentials and not credentials.is_empty() else None
        self._send = send
        self._clock = clock
        self._lock = threading.Lock()
        self._challenge: Challenge | None = None
        self._known = False
        self._tokens: dict[tuple[str, str, frozenset[str]], Token] = {}
        self._fetch_locks: dict[tuple[str, str, frozenset[str]], threading.Lock] = {}
        #: number of token requests sent (observability for tests and logs).
        self.token_requests = 0

    @property
    def challenge_known(self) -> bool:
        """True once a ping or a 401 told how this host authenticates."""
        return self._known

    def set_challenges(self, challenges: list[Challenge]) -> None:
        """Record how the host authenticates (an empty list: no authentication)."""
        chosen = next((c for c in challenges if c.scheme == "bearer"), None)
        if chosen is None:
            chosen = next((c for c in challenges if c.scheme == "basic"), None)
        with self._lock:
            self._challenge = chosen
            self._known = True

    def lacks_basic_credentials(self) -> bool:
        """True when the host asks for Basic authentication and there is nothing to send."""
        challenge, creds = self._challenge, self.credentials
        return (challenge is not None and challenge.scheme == "basic"
                and (creds is None or not (creds.username or creds.password)))  # fmt: skip

    def header(self, scopes: frozenset[str]) -> str | None:
        """The ``Authorization`` value for a request needing ``scopes``, or None.

        Raises:
            AuthenticationError: a token could not be obtained.
            Unauthorized: the token server refused the credentials.
        """
        challenge = self._challenge
        creds = self.credentials
        if challenge is None:
            return None
        if challenge.scheme == "basic":
            if creds is None or not (creds.username or creds.password):
                return None
            pair = f"{creds.username}:{creds.password}".encode()
            return "Basic " + base64.b64encode(pair).decode()
        if challenge.scheme != "bearer":
            return None
        if creds is not None and creds.registry_token:
            return "Bearer " + creds.registry_token
        return "Bearer " + self._token(challenge, _merge_scopes(scopes)).value

    def on_unauthorized(
        self, response: httpx.Response, scopes: frozenset[str]
    ) -> frozenset[str] | None:
        """Learn from a 401 answer; return the scopes to try once more with, or None.

        A Bearer ``insufficient_scope`` error widens the scopes with the challenge's;
        any other 401 on Bearer drops the cached token so that a fresh one is fetched.
        """
        challenges = parse_challenges(response.headers.get_list("www-authenticate"))
        before = self._challenge
        if challenges:
            self.set_challenges(challenges)
        now = self._challenge
        if now is None:
            return None
        if before is None or before.scheme != now.scheme:
            return scopes
        if now.scheme != "bearer":
            return None
        wanted = _merge_scopes(scopes | now.scopes)
        if now.params.get("error") == "insufficient_scope" and wanted != _merge_scopes(scopes):
            return wanted
        self._forget(now, _merge_scopes(scopes))
        return wanted

    def _forget(self, challenge: Challenge, scopes: frozenset[str]) -> None:
        key = (challenge.params.get("realm", ""), challenge.params.get("service", ""), scopes)
        with self._lock:
            self._tokens.pop(key, None)

    def _token(self, challenge: Challenge, scopes: frozenset[str]) -> Token:
        realm = challenge.params.get("realm", "")
        service = challenge.params.get("service", "")
        if not realm:
            raise AuthenticationError("bearer challenge without a realm")
        key = (realm, service, scopes)
        with self._lock:
            fetch_lock = self._fetch_locks.setdefault(key, threading.Lock())
        with fetch_lock:
            with self._lock:
                cached = self._tokens.get(key)
            if cached is not None and cached.expires_at - EXPIRY_MARGIN > self._clock():
                return cached
            token = self._fetch(realm, service, scopes)
            with self._lock:
                self._tokens[key] = token
            return token

    def _fetch(self, realm: str, service: str, scopes: frozenset[str]) -> Token:
        creds = self.credentials
        if creds is not None and creds.identity_token:
            form = {
                "grant_type": "refresh_token",
                "refresh_token": creds.identity_token,
                "service": service,
                "client_id": CLIENT_ID,
                "scope": " ".join(sorted(scopes)),
            }
            request = httpx.Request("POST", realm, data=form)
        else:
            params: list[tuple[str, str | int | float | bool | None]] = []
            if creds is not None and creds.username:
                params.append(("account", creds.username))
            if service:
                params.append(("service", service))
            params.extend(("scope", s) for s in sorted(scopes))
            headers = {}
            if creds is not None and (creds.username or creds.password):
                pair = f"{creds.username}:{creds.password}".encode()
                headers["Authorization"] = "Basic " + base64.b64encode(pair).decode()
            request = httpx.Request("GET", realm, params=params, headers=headers)
        with self._lock:
            self.token_requests += 1
        response = self._send(request)
        return self._parse_token(request, response)

    def _parse_token(self, request: httpx.Request, response: httpx.Response) -> Token:
        body = response.read()
        if response.status_code in (401, 403):
            inner = error_from_response(response.status_code, body, method=request.method)
            raise Unauthorized(
                response.status_code,
                inner.errors,
                method=request.method,
                url=str(request.url),
                message=f"unable to retrieve auth token: invalid username/password: {inner}",
            )
        if response.status_code != 200:
            raise AuthenticationError(
                f"unable to retrieve auth token: {request.method} {request.url}: "
                f"status {response.status_code}"
            )
        try:
            doc = json.loads(body)
        except ValueError as exc:
            raise AuthenticationError("unable to decode token response") from exc
        value = doc.get("token") or doc.get("access_token") if isinstance(doc, dict) else None
        if not isinstance(value, str) or not value:
            raise AuthenticationError(
                "authorization server did not include a token in the response"
            )
        lifetime = doc.get("expires_in")
        seconds = float(MIN_TOKEN_LIFETIME)
        if isinstance(lifetime, int | float) and not isinstance(lifetime, bool):
            seconds = max(float(lifetime), seconds)
        now = self._clock()
        issued = _parse_issued_at(doc.get("issued_at"))
        expires = (issued if issued is not None else now) + seconds
        if expires <= now + EXPIRY_MARGIN:
            expires = now + seconds  # the server's clock is behind ours: trust ours
        return Token(value, expires)
