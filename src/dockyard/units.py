"""Human-readable sizes, durations and times, exactly as the Docker CLI prints them.

The size and duration helpers follow the behaviour of Docker's ``go-units`` package
(``HumanSizeWithPrecision``, ``HumanSize``, ``BytesSize``, ``HumanDuration``,
``FromHumanSize``, ``RAMInBytes``); the time helpers follow Go's ``time`` package
(``time.ParseDuration``, ``Time.String``, ``time.RFC3339``) and the timestamp rules
that Docker's ``since``/``until`` filters accept.

What the Docker CLI shows where:

* ``docker images``: ``Size`` is :func:`human_size` with precision 3 (``4.98MB``),
  ``VirtualSize`` is :func:`human_size` with the default precision 4 (``4.982MB``),
  ``CreatedAt`` is :func:`format_created_at` and ``CreatedSince`` is :func:`time_ago`.
* ``docker history``: ``Size`` is :func:`human_size` with precision 3, ``CreatedAt`` is
  :func:`format_rfc3339` and ``CreatedSince`` is :func:`time_ago`.
"""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime, timedelta, timezone, tzinfo

from dockyard.errors import InvalidArgumentError

__all__ = [
    "bytes_size",
    "format_created_at",
    "format_rfc3339",
    "human_duration",
    "human_size",
    "parse_duration",
    "parse_human_size",
    "parse_ram_size",
    "parse_timestamp",
    "time_ago",
]

_DECIMAL_UNITS = ("B", "kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB")
_BINARY_UNITS = ("B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB", "ZiB", "YiB")
_DECIMAL_MULT = {"k": 1000, "m": 1000**2, "g": 1000**3, "t": 1000**4, "p": 1000**5}
_BINARY_MULT = {"k": 1024, "m": 1024**2, "g": 1024**3, "t": 1024**4, "p": 1024**5}
_SIZE_RE = re.compile(r"^(\d+(\.\d+)*) ?([kmgtp])?i?b?$", re.IGNORECASE | re.ASCII)


def _reduce(size: float, base: float, count: int) -> tuple[float, int]:
    i = 0
    while size >= base and i < count - 1:
        size /= base
        i += 1
    return size, i


def human_size(size: float, precision: int = 4) -> str:
    """Format a byte count with decimal units, like go-units ``HumanSizeWithPrecision``.

    Go's ``%.*g`` is reproduced by Python's ``%g``, including the exponent when rounding
    reaches the next power of ten (``999.5kB`` at precision 3 prints ``1e+03kB``).

    Args:
        size: The size in bytes.
        precision: Significant digits; Docker's ``HumanSize`` uses 4, the ``Size``
            columns of ``docker images`` and ``docker history`` use 3.

    Returns:
        The size, e.g. ``4.982MB``, ``2.01kB`` or ``0B``.
    """
    value, index = _reduce(float(size), 1000.0, len(_DECIMAL_UNITS))
    return "%.*g%s" % (precision, value, _DECIMAL_UNITS[index])  # noqa: UP031


def bytes_size(size: float) -> str:
    """Format a byte count with binary units, like go-units ``BytesSize``.

    Args:
        size: The size in bytes.

    Returns:
        The size with 4 significant digits, e.g. ``1.5KiB`` or ``44MiB``.
    """
    value, index = _reduce(float(size), 1024.0, len(_BINARY_UNITS))
    return "%.4g%s" % (value, _BINARY_UNITS[index])  # noqa: UP031


def _parse_size(text: str, multipliers: dict[str, int]) -> int:
    match = _SIZE_RE.match(text)
    if match is None:
        raise InvalidArgumentError(f"invalid size: '{text}'")
    number = match.group(1)
    if number.count(".") > 1:
        raise InvalidArgumentError(f'strconv.ParseFloat: parsing "{number}": invalid syntax')
    value = float(number) * multipliers.get((match.group(3) or "").lower(), 1)
    return int(value)


def parse_human_size(text: str) -> int:
    """Parse a size with decimal units, like go-units ``FromHumanSize``.

    Args:
        text: A size such as ``44kB``, ``17MB``, ``1.5 g`` or ``300``; case-insensitive,
            the ``b`` suffix is optional.

    Returns:
        The number of bytes (fractions truncated).

    Raises:
        InvalidArgumentError: The text is not a size.
    """
    return _parse_size(text, _DECIMAL_MULT)


def parse_ram_size(text: str) -> int:
    """Parse a size with binary units, like go-units ``RAMInBytes``.

    Args:
        text: A size such as ``64m``, ``1GiB`` or ``512k``.

    Returns:
        The number of bytes (fractions truncated).

    Raises:
        InvalidArgumentError: The text is not a size.
    """
    return _parse_size(text, _BINARY_MULT)


def human_duration(seconds: float | timedelta) -> str:
    """Describe a duration like go-units ``HumanDuration``.

    Seconds and minutes are truncated, hours are rounded to the nearest hour; days,
    weeks, months (30 days) and years (365 days) derive from the rounded hours.

    Args:
        seconds: The duration, in seconds or as a :class:`~datetime.timedelta`.

    Returns:
        E.g. ``Less than a second``, ``1 second``, ``About a minute``, ``3 hours``.
    """
    if isinstance(seconds, timedelta):
        seconds = seconds.total_seconds()
    secs = int(seconds)
    if secs < 1:
        return "Less than a second"
    if secs == 1:
        return "1 second"
    if secs < 60:
        return f"{secs} seconds"
    minutes = int(seconds / 60)
    if minutes == 1:
        return "About a minute"
    if minutes < 60:
        return f"{minutes} minutes"
    hours = int(seconds / 3600 + 0.5)
    if hours == 1:
        return "About an hour"
    if hours < 48:
        return f"{hours} hours"
    if hours < 24 * 7 * 2:
        return f"{hours // 24} days"
    if hours < 24 * 30 * 2:
        return f"{hours // 24 // 7} weeks"
    if hours < 24 * 365 * 2:
        return f"{hours // 24 // 30} months"
    return f"{int(seconds / 3600) // 24 // 365} years"


def _to_epoch(value: datetime | float | int) -> float:
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.timestamp()
    return float(value)


def time_ago(then: datetime | float | int, now: datetime | float | int | None = None) -> str:
    """Describe how long ago ``then`` was, as the ``CreatedSince`` columns do.

    Args:
        then: The past time, as an aware (or UTC naive) datetime or Unix seconds.
            Docker passes whole seconds for images and history entries.
        now: The present; the current time when omitted.

    Returns:
        ``"<human_duration> ago"``, e.g. ``5 minutes ago``.
    """
    present = time.time() if now is None else _to_epoch(now)
    return human_duration(present - _to_epoch(then)) + " ago"


def _zone_label(moment: datetime) -> tuple[str, str]:
    """Go's numeric offset (``-0700``) and zone abbreviation (``MST``) of ``moment``."""
    offset = moment.utcoffset() or timedelta(0)
    total = int(offset.total_seconds())
    sign = "-" if total < 0 else "+"
    hh, rest = divmod(abs(total), 3600)
    numeric = f"{sign}{hh:02d}{rest // 60:02d}"
    name = moment.tzname() or ""
    if moment.tzinfo is UTC or (total == 0 and name in ("UTC", "UTC+00:00")):
        name = "UTC"
    elif not name.isalpha():
        name = numeric
    return numeric, name


def _parse_rfc3339(text: str) -> datetime:
    match = re.fullmatch(
        r"(\d{4})-(\d\d)-(\d\d)[Tt](\d\d):(\d\d):(\d\d)(\.\d+)?([Zz]|[+-]\d\d:\d\d)", text
    )
    if match is None:
        raise InvalidArgumentError(f"invalid RFC 3339 time: {text!r}")
    year, month, day, hour, minute, sec = (int(g) for g in match.groups()[:6])
    zone = match.group(8)
    tz: tzinfo = UTC
    if zone not in ("Z", "z"):
        sign = -1 if zone[0] == "-" else 1
        tz = timezone(sign * timedelta(hours=int(zone[1:3]), minutes=int(zone[4:6])))
    try:
        return datetime(year, month, day, hour, minute, sec, tzinfo=tz)
    except ValueError as exc:
        raise InvalidArgumentError(f"invalid RFC 3339 time: {text!r}") from exc


def format_created_at(created: str | datetime | float | int, tz: tzinfo | None = UTC) -> str:
    """Format a creation time as ``docker images`` prints ``CreatedAt``.

    Docker prints ``time.Unix(created, 0).String()``: Go's ``Time.String`` of the
    whole second, in the client's local zone (UTC on the hosts the oracle comes from).

    Args:
        created: An RFC 3339 timestamp (fractions are dropped), a datetime or Unix seconds.
        tz: The zone to show; ``None`` means the local zone of this machine.

    Returns:
        E.g. ``2026-11-23 04:51:08 +0000 UTC``.

    Raises:
        InvalidArgumentError: ``created`` is text that is not RFC 3339.
    """
    if isinstance(created, str):
        created = _parse_rfc3339(created)
    epoch = int(_to_epoch(created) // 1)
    moment = datetime.fromtimestamp(epoch, tz) if tz else datetime.fromtimestamp(epoch).astimezone()
    numeric, name = _zone_label(moment)
    return f"{moment:%Y-%m-%d %H:%M:%S} {numeric} {name}"


def format_rfc3339(created: str | datetime | float | int, tz: tzinfo | None = UTC) -> str:
    """Format a time as Go's ``time.RFC3339`` of the whole second (history ``CreatedAt``).

    Args:
        created: An RFC 3339 timestamp, a datetime or Unix seconds.
        tz: The zone to show; ``None`` means the local zone of this machine.

    Returns:
        E.g. ``2026-11-23T04:51:09Z`` in UTC, ``2026-11-23T05:51:09+01:00`` elsewhere.

    Raises:
        InvalidArgumentError: ``created`` is text that is not RFC 3339.
    """
    if isinstance(created, str):
        created = _parse_rfc3339(created)
    epoch = int(_to_epoch(created) // 1)
    moment = datetime.fromtimestamp(epoch, tz) if tz else datetime.fromtimestamp(epoch).astimezone()
    offset = int((moment.utcoffset() or timedelta(0)).total_seconds())
    if offset == 0:
        return f"{moment:%Y-%m-%dT%H:%M:%S}Z"
    sign = "-" if offset < 0 else "+"
    hh, rest = divmod(abs(offset), 3600)
    return f"{moment:%Y-%m-%dT%H:%M:%S}{sign}{hh:02d}:{rest // 60:02d}"


_DURATION_UNITS = {
    "ns": 1,
    "us": 1_000,
    "\u00b5s": 1_000,
    "\u03bcs": 1_000,
    "ms": 1_000_000,
    "s": 1_000_000_000,
    "m": 60_000_000_000,
    "h": 3_600_000_000_000,
}
_DURATION_PART = re.compile(r"(\d*)(?:\.(\d*))?([^\d.]+)", re.ASCII)


def parse_duration(text: str) -> int:
    """Parse a Go duration (``time.ParseDuration``), e.g. ``24h``, ``10m``, ``1h30m``.

    Args:
        text: A sequence of decimal numbers with units ``ns``, ``us``/``µs``, ``ms``,
            ``s``, ``m`` or ``h``, optionally signed; ``0`` alone is allowed.

    Returns:
        The duration in nanoseconds.

    Raises:
        InvalidArgumentError: The text is not a Go duration.
    """
    error = InvalidArgumentError(f'time: invalid duration "{text}"')
    rest = text
    sign = 1
    if rest[:1] in ("-", "+"):
        sign = -1 if rest[0] == "-" else 1
        rest = rest[1:]
    if rest == "0":
        return 0
    if not rest:
        raise error
    total = 0
    while rest:
        match = _DURATION_PART.match(rest)
        if match is None or not (match.group(1) or match.group(2)):
            raise error
        whole, frac, unit = match.groups()
        if unit not in _DURATION_UNITS:
            raise InvalidArgumentError(f'time: unknown unit "{unit}" in duration "{text}"')
        scale = _DURATION_UNITS[unit]
        total += int(whole or "0") * scale
        if frac:
            total += int(frac) * scale // 10 ** len(frac)
        rest = rest[match.end() :]
    if total > 2**63 - 1:
        raise error
    return sign * total


def _zone_of(now: datetime) -> tzinfo:
    return now.tzinfo if now.tzinfo is not None else datetime.now().astimezone().tzinfo or UTC


def parse_timestamp(value: str, now: datetime | None = None) -> tuple[int, int]:
    """Interpret a ``since``/``until`` filter value as Docker's ``GetTimestamp`` does.

    Accepted forms: a Go duration before ``now`` (``10m``, ``24h``; whole seconds),
    RFC 3339 with or without fraction and zone (``2026-11-23T04:51:08Z``,
    ``2026-11-23T04:51:08.5``), ``YYYY-MM-DDTHH``, ``YYYY-MM-DDTHH:MM``, a date
    (``2026-11-23``), any of these with a zone (``Z``/``+hh:mm``), or Unix seconds
    with an optional fraction (``1700000000.5``). Values without a zone are read
    in the zone of ``now``.

    Args:
        value: The filter value.
        now: The reference time; the current local time when omitted.

    Returns:
        ``(seconds, nanoseconds)`` since the Unix epoch.

    Raises:
        InvalidArgumentError: The value is neither a time nor a duration.
    """
    ref = now if now is not None else datetime.now().astimezone()
    if value != "0":
        try:
            nanos = parse_duration(value)
        except InvalidArgumentError:
            pass
        else:
            then = ref.timestamp() - nanos / 1e9
            return int(then // 1), 0
    has_zone = any(c in value for c in "zZ+") or value.count("-") == 3
    date = r"(\d{4})-(\d\d)-(\d\d)"
    zone = r"([Zz]|[+-]\d\d:\d\d)" if has_zone else r"()"
    patterns = [
        rf"{date}[Tt](\d\d):(\d\d):(\d\d)(?:\.(\d+))?{zone}",
        rf"{date}[Tt](\d\d)(?::(\d\d))?()(){zone}",
        rf"{date}()()()(){zone}",
    ]
    for pattern in patterns:
        match = re.fullmatch(pattern, value, re.ASCII)
        if match is None:
            continue
        groups = match.groups()
        y, mo, d = (int(g) for g in groups[:3])
        h, mi, s = (int(g) if g else 0 for g in groups[3:6])
        frac, tzs = groups[6] or "", groups[7]
        tz: tzinfo
        if not has_zone:
            tz = _zone_of(ref)
        elif tzs in ("Z", "z"):
            tz = UTC
        else:
            sign = -1 if tzs[0] == "-" else 1
            tz = timezone(sign * timedelta(hours=int(tzs[1:3]), minutes=int(tzs[4:6])))
        try:
            moment = datetime(y, mo, d, h, mi, s, tzinfo=tz)
        except ValueError as exc:
            raise InvalidArgumentError(f"parsing time {value!r}: {exc}") from exc
        nanos = int((frac + "000000000")[:9])
        return int(moment.timestamp()), nanos
    if "-" in value:
        raise InvalidArgumentError(f'parsing time "{value}": cannot parse as a timestamp')
    match = re.fullmatch(r"([+-]?\d+)(?:\.([+-]?\d+))?", value, re.ASCII)
    if match is None:
        raise InvalidArgumentError(f'failed to parse value as time or duration: "{value}"')
    secs, frac = match.group(1), match.group(2)
    if frac is None:
        return int(secs), 0
    return int(secs), int(int(frac) * 10.0 ** (9 - len(frac)))
