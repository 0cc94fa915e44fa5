"""Credentials sent by clients (``X-Registry-Auth``, ``/auth`` bodies) and registry errors.

``X-Registry-Auth`` is base64url-encoded JSON of Docker's ``AuthConfig`` (``username``,
``password``, ``auth``, ``serveraddress``, ``identitytoken``, ``registrytoken``), as the
Docker CLI and docker-py send it; ``e30=`` (``{}``) means anonymous. As dockerd, an
undecodable header is ignored (anonymous), and the server never falls back on its own
user's ``config.json``.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import TYPE_CHECKING, Any

from dockyard.server.http import ApiError

if TYPE_CHECKING:
    from dockyard.registry import Credentials

__all__ = ["AUTH_FIELDS", "credentials_for", "decode_auth_header", "hmac_fields"]

#: The fields of an auth config dockyard uses.
AUTH_FIELDS = ("username", "password", "identitytoken", "registrytoken")


def decode_auth_header(value: str) -> dict[str, Any]:
    """The auth config of an ``X-Registry-Auth`` header; ``{}`` when it cannot be read."""
    text = value.strip()
    if not text:
        return {}
    padded = text + "=" * (-len(text) % 4)
    for decode in (base64.urlsafe_b64decode, base64.standard_b64decode):
        try:
            data = json.loads(decode(padded.encode("ascii")))
        except (ValueError, binascii.Error, UnicodeError):
            continue
        return _normalised(data) if isinstance(data, dict) else {}
    return {}


def decode_auth_body(body: bytes) -> dict[str, Any]:
    """The auth config of a request body (the old push form, and ``POST /auth``).

    Raises:
        ApiError: 400 when the body is not a JSON object (Go's ``EOF`` when empty).
    """
    if not body.strip():
        raise ApiError(400, "bad parameters and missing X-Registry-Auth: "
                       "invalid X-Registry-Auth header: EOF")  # fmt: skip
    try:
        data = json.loads(body)
    except ValueError as exc:
        raise ApiError(400, f"bad parameters and missing X-Registry-Auth: "
                       f"invalid X-Registry-Auth header: {exc}") from None  # fmt: skip
    return _normalised(data) if isinstance(data, dict) else {}


def _normalised(data: dict[str, Any]) -> dict[str, Any]:
    """Keys lower-cased (Go's JSON decoding ignores case); ``auth`` split into user:pass."""
    out = {str(k).lower(): v for k, v in data.items()}
    encoded = out.get("auth")
    if isinstance(encoded, str) and encoded and not out.get("username"):
        try:
            user, sep, password = base64.b64decode(encoded).decode("utf-8").partition(":")
        except (ValueError, binascii.Error, UnicodeError):
            return out
        if sep:
            out.setdefault("username", user)
            out["password"] = out.get("password") or password
    return out


def credentials_for(config: dict[str, Any], domain: str) -> dict[str, Credentials] | None:
    """The auth config as the credentials of ``domain`` (None when it holds none)."""
    from dockyard.registries import auth_config_credentials

    if not any(isinstance(config.get(k), str) and config.get(k) for k in AUTH_FIELDS):
        return None
    return auth_config_credentials(config, domain)


def hmac_fields(config: dict[str, Any]) -> dict[str, str] | None:
    """The fields Docker hashes into a push's distribution metadata, or None."""
    fields = {k: config[k] for k in AUTH_FIELDS if isinstance(config.get(k), str)}
    return fields if any(fields.values()) else None
