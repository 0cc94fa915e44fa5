"""Validation shared by the content backends."""

from __future__ import annotations

import re

from dockyard.errors import InvalidArgumentError

_KEY = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")


def check_key(key: str) -> str:
    """Return ``key`` if it is a safe metadata key name.

    Raises:
        InvalidArgumentError: the key could reach outside its directory or is empty.
    """
    if not isinstance(key, str) or _KEY.fullmatch(key) is None or key.startswith(".tmp-"):
        raise InvalidArgumentError(f"invalid metadata key: {key!r}")
    return key
