"""Registry credentials: Docker's ``config.json`` and ``docker-credential-*`` helpers.

The library never reads the environment: the caller passes the configuration
directory (see :func:`docker_config_dir` to compute Docker's default from an env
mapping) and, optionally, the environment the helper programs run with.

Lookup follows the docker CLI: ``credHelpers[<server>]``, else ``credsStore``, else the
``auths`` entry of the server (exact key first, then any key whose host part matches, so
``https://host:5000/v2/`` matches ``host:5000``). Docker Hub is always looked up as
``https://index.docker.io/v1/``, whichever alias names it.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import pwd
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from dockyard._atomic import atomic_write
from dockyard.registry.errors import AuthenticationError

__all__ = [
    "INDEX_SERVER",
    "CredentialHelperError",
    "CredentialStore",
    "Credentials",
    "DockerConfig",
    "StaticCredentials",
    "credential_key",
    "docker_config_dir",
]

#: The key Docker files Docker Hub credentials under.
INDEX_SERVER = "https://index.docker.io/v1/"
_HUB_HOSTS = frozenset({"docker.io", "index.docker.io", "registry-1.docker.io"})
#: What a helper prints when it has nothing for a server (docker-credential-helpers).
_NOT_FOUND = "credentials not found in native keychain"
#: The user name helpers return for an identity token.
_TOKEN_USER = "<token>"
CONFIG_FILE = "config.json"


@dataclass(frozen=True)
class Credentials:
    """What to authenticate with; empty strings mean "not set".

    Attributes:
        username: the user name (Basic auth and the token request).
        password: the password.
        identity_token: an OAuth2 refresh token (``identitytoken``); used instead of
            the password to get Bearer tokens.
        registry_token: a ready Bearer token (``registrytoken``) sent as it is.
    """

    username: str = ""
    password: str = field(default="", repr=False)
    identity_token: str = field(default="", repr=False)
    registry_token: str = field(default="", repr=False)

    def is_empty(self) -> bool:
        """True when nothing at all is set (anonymous)."""
        return not (self.username or self.password or self.identity_token or self.registry_token)


class CredentialStore(Protocol):
    """Where the client asks for the credentials of a registry."""

    def get(self, registry: str) -> Credentials | None:
        """The credentials for ``registry`` (a host[:port] or alias), None if unknown."""
        ...


class CredentialHelperError(AuthenticationError):
    """A ``docker-credential-<name>`` program failed."""


def credential_key(registry: str) -> str:
    """The key credentials of ``registry`` are filed under (Docker Hub → its v1 URL)."""
    host = _hostname(registry)
    if host in _HUB_HOSTS or registry == INDEX_SERVER:
        return INDEX_SERVER
    return host


def _hostname(server: str) -> str:
    """Docker's ``ConvertToHostname``: drop the scheme and everything after the host."""
    text = server
    for prefix in ("http://", "https://"):
        if text.startswith(prefix):
            text = text[len(prefix) :]
            break
    return text.split("/", 1)[0]


def docker_config_dir(env: Mapping[str, str]) -> Path:
    """Docker's configuration directory: ``$DOCKER_CONFIG``, else ``<home>/.docker``.

    Args:
        env: the environment to read (the caller's, e.g. ``os.environ``).
    """
    configured = env.get("DOCKER_CONFIG")
    if configured:
        return Path(configured)
    home = env.get("HOME") or pwd.getpwuid(os.getuid()).pw_dir
    return Path(home) / ".docker"


class StaticCredentials:
    """A fixed mapping of registry → credentials (for tests and explicit logins)."""

    def __init__(self, entries: Mapping[str, Credentials]) -> None:
        self._entries = {credential_key(k): v for k, v in entries.items()}

    def get(self, registry: str) -> Credentials | None:
        """The credentials filed for ``registry``, if any."""
        return self._entries.get(credential_key(registry))


class DockerConfig:
    """Credentials from a Docker configuration directory (``config.json`` + helpers).

    Args:
        config_dir: the directory holding ``config.json`` (it may not exist).
        helper_env: the environment of ``docker-credential-*`` programs (its ``PATH`` is
            used to find them); None inherits the process environment.
        helper_timeout: seconds a helper may run.
        file_name: the file's name in ``config_dir`` (docker-py's ``dockercfg_path``
            may name another than ``config.json``).
    """

    def __init__(
        self,
        config_dir: Path,
        *,
        helper_env: Mapping[str, str] | None = None,
        helper_timeout: float = 30.0,
        file_name: str = CONFIG_FILE,
    ) -> None:
        self.config_dir = Path(config_dir)
        self.file_name = file_name
        self.helper_env = dict(helper_env) if helper_env is not None else None
        self.helper_timeout = helper_timeout

    @property
    def path(self) -> Path:
        """The ``config.json`` path."""
        return self.config_dir / self.file_name

    def load(self) -> dict[str, Any]:
        """The parsed ``config.json`` ({} when it does not exist).

        Raises:
            AuthenticationError: the file exists but is not a JSON object.
        """
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            return {}
        except OSError as exc:
            raise AuthenticationError(f"cannot read {self.path.name}: {exc}") from exc
        try:
            doc = json.loads(raw) if raw.strip() else {}
        except ValueError as exc:
            raise AuthenticationError(f"{self.path.name}: invalid JSON: {exc}") from exc
        if not isinstance(doc, dict):
            raise AuthenticationError(f"{self.path.name}: not a JSON object")
        return doc

    def helper_for(self, registry: str, doc: Mapping[str, Any] | None = None) -> str | None:
        """The name of the helper that holds ``registry``'s credentials, if any."""
        config = self.load() if doc is None else doc
        key = credential_key(registry)
        helpers = config.get("credHelpers")
        if isinstance(helpers, dict):
            name = helpers.get(key) or helpers.get(_hostname(registry))
            if isinstance(name, str) and name:
                return name
        store = config.get("credsStore")
        return store if isinstance(store, str) and store else None

    def get(self, registry: str) -> Credentials | None:
        """The credentials for ``registry``, or None (anonymous).

        Raises:
            AuthenticationError: the configuration is unreadable.
            CredentialHelperError: a helper failed for another reason than "not found".
        """
        doc = self.load()
        key = credential_key(registry)
        helper = self.helper_for(registry, doc)
        if helper is not None:
            return self._helper_get(helper, key)
        entry = _find_auth(doc.get("auths"), key)
        return None if entry is None else _decode_entry(entry)

    def store(self, registry: str, credentials: Credentials) -> None:
        """Save credentials as ``docker login`` does (helper, else ``auths`` in the file).

        Raises:
            CredentialHelperError: the helper refused them.
            dockyard.errors.StorageError: ``config.json`` could not be written.
        """
        doc = self.load()
        key = credential_key(registry)
        auths = doc.setdefault("auths", {})
        helper = self.helper_for(registry, doc)
        if helper is not None:
            secret = credentials.identity_token or credentials.password
            user = _TOKEN_USER if credentials.identity_token else credentials.username
            payload = {"ServerURL": key, "Username": user, "Secret": secret}
            _run_helper(helper, "store", json.dumps(payload).encode(), self)
            auths[key] = {}
        else:
            entry: dict[str, str] = {}
            if credentials.username or credentials.password:
                pair = f"{credentials.username}:{credentials.password}".encode()
                entry["auth"] = base64.b64encode(pair).decode()
            if credentials.identity_token:
                entry["identitytoken"] = credentials.identity_token
            auths[key] = entry
        self._save(doc)

    def erase(self, registry: str) -> None:
        """Forget credentials as ``docker logout`` does.

        Raises:
            CredentialHelperError: the helper failed (a missing entry is not a failure).
            dockyard.errors.StorageError: ``config.json`` could not be written.
        """
        doc = self.load()
        key = credential_key(registry)
        helper = self.helper_for(registry, doc)
        if helper is not None:
            try:
                _run_helper(helper, "erase", key.encode(), self)
            except CredentialHelperError as exc:
                if _NOT_FOUND not in str(exc):
                    raise
        auths = doc.get("auths")
        if isinstance(auths, dict):
            for name in [k for k in auths if k == key or _hostname(k) == key]:
                del auths[name]
        self._save(doc)

    def _helper_get(self, helper: str, key: str) -> Credentials | None:
        try:
            out = _run_helper(helper, "get", key.encode(), self)
        except CredentialHelperError as exc:
            if _NOT_FOUND in str(exc):
                return None
            raise
        try:
            doc = json.loads(out)
        except ValueError as exc:
            raise CredentialHelperError(
                f"error getting credentials - docker-credential-{helper}: invalid output"
            ) from exc
        user = str(doc.get("Username") or "")
        secret = str(doc.get("Secret") or "")
        if user == _TOKEN_USER:
            return Credentials(identity_token=secret)
        if not user and not secret:
            return None
        return Credentials(username=user, password=secret)

    def _save(self, doc: Mapping[str, Any]) -> None:
        self.config_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        data = json.dumps(doc, indent="\t").encode()
        atomic_write(self.path, data, mode=0o600)


def _find_auth(auths: Any, key: str) -> Mapping[str, Any] | None:
    if not isinstance(auths, dict):
        return None
    entry = auths.get(key)
    if entry is None:
        for name, value in auths.items():
            if isinstance(name, str) and credential_key(name) == key:
                entry = value
                break
    return entry if isinstance(entry, dict) else None


def _decode_entry(entry: Mapping[str, Any]) -> Credentials | None:
    username = str(entry.get("username") or "")
    password = str(entry.get("password") or "")
    encoded = entry.get("auth")
    if isinstance(encoded, str) and encoded:
        try:
            pair = base64.b64decode(encoded, validate=False).decode()
        except (binascii.Error, UnicodeDecodeError) as exc:
            raise AuthenticationError("invalid auth configuration file") from exc
        username, sep, password = pair.partition(":")
        if not sep:
            raise AuthenticationError("invalid auth configuration file")
    creds = Credentials(
        username=username,
        password=password,
        identity_token=str(entry.get("identitytoken") or ""),
        registry_token=str(entry.get("registrytoken") or ""),
    )
    return None if creds.is_empty() else creds


def _run_helper(helper: str, action: str, payload: bytes, config: DockerConfig) -> bytes:
    program = f"docker-credential-{helper}"
    try:
        proc = subprocess.run(
            [program, action],
            input=payload,
            capture_output=True,
            env=config.helper_env,
            timeout=config.helper_timeout,
            check=False,
        )
    except FileNotFoundError as exc:
        raise CredentialHelperError(
            f'error getting credentials - err: exec: "{program}": executable file not '
            "found in $PATH"
        ) from exc
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise CredentialHelperError(f"error running {program} {action}: {exc}") from exc
    if proc.returncode != 0:
        text = (proc.stdout or proc.stderr).decode("utf-8", "replace").strip()
        raise CredentialHelperError(text or f"{program} {action} exited {proc.returncode}")
    return bytes(proc.stdout)
