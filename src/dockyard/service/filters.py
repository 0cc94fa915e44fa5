"""Docker's list/prune filters (``filters.Args``) and Go's ``path.Match`` glob.

Filters are given as a mapping from a filter name to its values, the way docker-py
passes them: ``{"dangling": True, "label": ["a=b", "c"], "reference": "app*"}``. A value
may be a string, a bool (``"true"``/``"false"``), an iterable of strings or a Docker-API
style ``{"value": True}`` mapping; repeated values collapse, as in Docker.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from dockyard.errors import InvalidArgumentError
from dockyard.units import parse_timestamp

if TYPE_CHECKING:
    from datetime import datetime

__all__ = ["FilterArgs", "InvalidFilter", "PatternError", "go_path_match"]

#: What the daemon answers for a malformed glob (Go ``path.ErrBadPattern``).
BAD_PATTERN = "syntax error in pattern"


class InvalidFilter(InvalidArgumentError):
    """A filter name or value the operation does not accept (``invalid filter '…'``)."""

    def __init__(self, name: str, values: list[str] | None = None) -> None:
        self.name = name
        self.values = values
        text = "invalid filter"
        if name:
            text += f" '{name}"
            if values is not None:  # Go's %s of a []string: [a b]
                text += "=[" + " ".join(values) + "]"
            text += "'"
        super().__init__(text)


class PatternError(InvalidArgumentError):
    """A ``reference`` filter pattern is not a valid glob (``syntax error in pattern``)."""

    def __init__(self, pattern: str) -> None:
        self.pattern = pattern
        super().__init__(BAD_PATTERN)


class FilterArgs:
    """A normalised set of filters: name → set of values (Docker ``filters.Args``)."""

    def __init__(self, filters: Mapping[str, Any] | None = None) -> None:
        """Normalise ``filters``.

        Raises:
            InvalidFilter: a value is of a type that cannot be a filter value.
        """
        self.fields: dict[str, set[str]] = {}
        for name, value in (filters or {}).items():
            self.fields[str(name)] = _values(str(name), value)

    def contains(self, name: str) -> bool:
        """True when the filter ``name`` was given."""
        return name in self.fields

    def get(self, name: str) -> list[str]:
        """The values of ``name``, sorted (Docker's order is random)."""
        return sorted(self.fields.get(name, ()))

    def validate(self, accepted: Iterable[str]) -> None:
        """Refuse names outside ``accepted``.

        Raises:
            InvalidFilter: ``invalid filter '<name>'``.
        """
        allowed = set(accepted)
        for name in sorted(self.fields):
            if name not in allowed:
                raise InvalidFilter(name)

    def get_bool(self, name: str, default: bool) -> bool:
        """Docker's ``GetBoolOrDefault``: ``true``/``1`` or ``false``/``0``, else ``default``.

        Raises:
            InvalidFilter: no value, values that are not booleans, or both true and false
                (``invalid filter 'dangling=[maybe]'``).
        """
        values = self.fields.get(name)
        if values is None:
            return default
        if not values:
            raise InvalidFilter(name)
        is_true = bool(values & {"1", "true"})
        is_false = bool(values & {"0", "false"})
        if is_true == is_false:
            raise InvalidFilter(name, self.get(name))
        return is_true

    def get_exact_bool(self, name: str, default: bool) -> bool:
        """The image list's test of a boolean filter (Docker's ``ExactMatch``).

        True if any value is exactly ``true``, else false if any is exactly ``false``;
        ``default`` when the filter is absent.

        Raises:
            InvalidFilter: neither ``true`` nor ``false`` among the values.
        """
        values = self.fields.get(name)
        if values is None:
            return default
        if "true" in values:
            return True
        if "false" in values:
            return False
        raise InvalidFilter(name, self.get(name))

    def match_kv_list(self, name: str, labels: Mapping[str, str] | None) -> bool:
        """Docker's ``MatchKVList``: every ``key`` / ``key=value`` value must match a label.

        True when the filter is absent; False when it is given and there are no labels.
        """
        values = self.fields.get(name)
        if not values:
            return True
        if not labels:
            return False
        for value in values:
            key, sep, wanted = value.partition("=")
            if key not in labels:
                return False
            if sep and labels[key] != wanted:
                return False
        return True

    def timestamp(self, value: str, now: datetime | None = None) -> int:
        """A ``since``/``until`` value as nanoseconds since the epoch (Docker ``GetTimestamp``).

        Raises:
            InvalidArgumentError: the value is neither a time nor a duration.
        """
        seconds, nanos = parse_timestamp(value, now)
        return seconds * 1_000_000_000 + nanos


def _values(name: str, value: Any) -> set[str]:
    if isinstance(value, bool):
        return {"true" if value else "false"}
    if isinstance(value, (str, int)):
        return {str(value)}
    if isinstance(value, Mapping):
        return {str(k) for k, v in value.items() if v}
    if isinstance(value, Iterable):
        out: set[str] = set()
        for item in value:
            if isinstance(item, bool):
                out.add("true" if item else "false")
            elif isinstance(item, (str, int)):
                out.add(str(item))
            else:
                raise InvalidFilter(name, [repr(item)])
        return out
    raise InvalidFilter(name, [repr(value)])


# --- Go path.Match ------------------------------------------------------------------------


def go_path_match(pattern: str, name: str) -> bool:
    r"""Go's ``path.Match``: ``*`` and ``?`` never match ``/``; ``[^…]`` negates; ``\\`` escapes.

    Raises:
        PatternError: the pattern is malformed (checked even when the match fails early).
    """
    rest = pattern
    while rest:
        star, chunk, rest = _scan_chunk(rest)
        if star and not chunk:
            return "/" not in name
        tail, ok = _match_chunk(pattern, chunk, name)
        if ok and (not tail or rest):
            name = tail
            continue
        if star:
            matched = False
            i = 0
            while i < len(name) and name[i] != "/":
                tail, ok = _match_chunk(pattern, chunk, name[i + 1 :])
                if ok and not (not rest and tail):
                    name = tail
                    matched = True
                    break
                i += 1
            if matched:
                continue
        while rest:
            _, chunk, rest = _scan_chunk(rest)
            _match_chunk(pattern, chunk, "")
        return False
    return not name


def _scan_chunk(pattern: str) -> tuple[bool, str, str]:
    star = False
    while pattern.startswith("*"):
        pattern = pattern[1:]
        star = True
    in_range = False
    i = 0
    while i < len(pattern):
        c = pattern[i]
        if c == "\\":
            if i + 1 < len(pattern):
                i += 1
        elif c == "[":
            in_range = True
        elif c == "]":
            in_range = False
        elif c == "*" and not in_range:
            break
        i += 1
    return star, pattern[:i], pattern[i:]


def _match_chunk(pattern: str, chunk: str, s: str) -> tuple[str, bool]:
    failed = False
    while chunk:
        if not failed and not s:
            failed = True
        c = chunk[0]
        if c == "[":
            r = ""
            if not failed:
                r, s = s[0], s[1:]
            chunk = chunk[1:]
            negated = chunk.startswith("^")
            if negated:
                chunk = chunk[1:]
            match = False
            count = 0
            while True:
                if chunk.startswith("]") and count > 0:
                    chunk = chunk[1:]
                    break
                lo, chunk = _get_esc(pattern, chunk)
                hi = lo
                if chunk[0] == "-":
                    hi, chunk = _get_esc(pattern, chunk[1:])
                if r and lo <= r <= hi:
                    match = True
                count += 1
            if match == negated:
                failed = True
        elif c == "?":
            if not failed:
                if s[0] == "/":
                    failed = True
                s = s[1:]
            chunk = chunk[1:]
        else:
            if c == "\\":
                chunk = chunk[1:]
                if not chunk:
                    raise PatternError(pattern)
            if not failed:
                if chunk[0] != s[0]:
                    failed = True
                s = s[1:]
            chunk = chunk[1:]
    if failed:
        return "", False
    return s, True


def _get_esc(pattern: str, chunk: str) -> tuple[str, str]:
    if not chunk or chunk[0] in "-]":
        raise PatternError(pattern)
    if chunk[0] == "\\":
        chunk = chunk[1:]
        if not chunk:
            raise PatternError(pattern)
    r, rest = chunk[0], chunk[1:]
    if not rest:
        raise PatternError(pattern)
    return r, rest
