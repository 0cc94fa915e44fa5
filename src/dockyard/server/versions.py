"""Engine API versions: the range served and dockerd's comparison rules.

dockyard serves API 1.24 up to 1.50, the newest version the Docker CLI 28.2 speaks. A path
``/v1.41/images/json`` asks for 1.41; an unversioned path gets the maximum, as dockerd
does. Versions compare as dotted numbers (``1.9`` < ``1.10``), like moby's
``versions.compare``.
"""

from __future__ import annotations

__all__ = ["MAX_API", "MIN_API", "VersionError", "at_least", "check", "compare", "less_than"]

#: The oldest API version served (dockerd's minimum).
MIN_API = "1.24"
#: The newest API version served (what the Docker CLI 28.2 negotiates).
MAX_API = "1.50"


class VersionError(Exception):
    """A request for an API version outside ``MIN_API``..``MAX_API``.

    Attributes:
        too_old: True when below the minimum (dockerd answers those in plain text).
    """

    def __init__(self, message: str, *, too_old: bool) -> None:
        super().__init__(message)
        self.too_old = too_old


def _parts(version: str) -> list[int]:
    out = []
    for piece in version.split("."):
        try:
            out.append(int(piece))
        except ValueError:
            out.append(0)
    return out


def compare(a: str, b: str) -> int:
    """-1, 0 or 1 as ``a`` is older than, equal to or newer than ``b``."""
    left, right = _parts(a), _parts(b)
    for i in range(max(len(left), len(right))):
        x = left[i] if i < len(left) else 0
        y = right[i] if i < len(right) else 0
        if x != y:
            return -1 if x < y else 1
    return 0


def less_than(version: str, other: str) -> bool:
    """True when ``version`` is older than ``other``."""
    return compare(version, other) < 0


def at_least(version: str, other: str) -> bool:
    """True when ``version`` is ``other`` or newer."""
    return compare(version, other) >= 0


def check(version: str) -> None:
    """Refuse a version outside the served range, with dockerd's words.

    Raises:
        VersionError: the version is too old or too new.
    """
    if less_than(version, MIN_API):
        raise VersionError(
            f"client version {version} is too old. Minimum supported API version is "
            f"{MIN_API}, please upgrade your client to a newer version",
            too_old=True,
        )
    if compare(version, MAX_API) > 0:
        raise VersionError(
            f"client version {version} is too new. Maximum supported API version is {MAX_API}",
            too_old=False,
        )
