"""Go ``time.Time`` values: nanosecond instants with a fixed offset, RFC 3339 text."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from functools import total_ordering

from dockyard.errors import InvalidArgumentError

__all__ = ["GoTime", "InvalidTime"]

_NS = 1_000_000_000
_DAY = 86_400
#: Go's RFC 3339 layout, quoted in parse errors the way Go quotes it.
RFC3339_LAYOUT = "2006-01-02T15:04:05Z07:00"

_RFC3339 = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})"
    r"(?:\.(\d+))?"
    r"(?:(Z)|([+-])(\d{2}):(\d{2}))",
    re.ASCII,  # Go's digits are 0-9 only
)


class InvalidTime(InvalidArgumentError):
    """A text is not a time Go's ``time.Time.UnmarshalJSON`` would accept."""


def _days_from_civil(year: int, month: int, day: int) -> int:
    """Days since 1970-01-01 of a proleptic Gregorian date (any year, incl. 0)."""
    year -= month <= 2
    era = year // 400
    yoe = year - era * 400
    doy = (153 * (month + (-3 if month > 2 else 9)) + 2) // 5 + day - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146097 + doe - 719468


def _civil_from_days(days: int) -> tuple[int, int, int]:
    """Inverse of :func:`_days_from_civil`."""
    days += 719468
    era = days // 146097
    doe = days - era * 146097
    yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    day = doy - (153 * mp + 2) // 5 + 1
    month = mp + (3 if mp < 10 else -9)
    return yoe + era * 400 + (month <= 2), month, day


def _days_in_month(year: int, month: int) -> int:
    if month == 2:
        leap = year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
        return 29 if leap else 28
    return 30 if month in (4, 6, 9, 11) else 31


@total_ordering
@dataclass(frozen=True, slots=True, eq=False)
class GoTime:
    """An instant with nanosecond precision and the UTC offset it is shown in.

    Equality, ordering and hashing compare instants only (like Go's ``Time.Equal``);
    the offset only changes how :meth:`format` renders the value.

    Attributes:
        unix: whole seconds since 1970-01-01T00:00:00Z (may be negative).
        nanos: nanoseconds within the second, ``0 <= nanos < 1e9``.
        offset: seconds east of UTC used for display (0 renders as ``Z``).
    """

    unix: int
    nanos: int = 0
    offset: int = 0

    def __post_init__(self) -> None:
        if not 0 <= self.nanos < _NS:
            raise InvalidTime(f"nanoseconds out of range: {self.nanos}")

    # --- constructors -----------------------------------------------------------------

    @classmethod
    def zero(cls) -> GoTime:
        """Go's zero time, ``0001-01-01T00:00:00Z``."""
        return cls(_days_from_civil(1, 1, 1) * _DAY)

    @classmethod
    def unix_epoch(cls, offset: int = 0) -> GoTime:
        """The Unix epoch, shown at ``offset`` seconds east of UTC (Go ``time.Unix(0, 0)``)."""
        return cls(0, 0, offset)

    @classmethod
    def now_utc(cls) -> GoTime:
        """The current time in UTC (Go ``time.Now().UTC()``)."""
        ns = time.time_ns()
        return cls(ns // _NS, ns % _NS)

    @classmethod
    def from_unix_nanos(cls, ns: int, offset: int = 0) -> GoTime:
        """Build from nanoseconds since the Unix epoch."""
        return cls(ns // _NS, ns % _NS, offset)

    @classmethod
    def from_datetime(cls, value: datetime) -> GoTime:
        """Build from an aware ``datetime`` (naive values are taken as UTC)."""
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        off = value.utcoffset() or timedelta(0)
        delta = value.replace(tzinfo=None) - datetime(1970, 1, 1)
        secs = delta.days * _DAY + delta.seconds - int(off.total_seconds())
        return cls(secs, delta.microseconds * 1000, int(off.total_seconds()))

    @classmethod
    def parse(cls, text: str) -> GoTime:
        """Parse RFC 3339 text as Go's ``time.Time.UnmarshalJSON`` does (strict form).

        A fraction of any length is accepted and truncated to nanoseconds; the offset is
        kept for display.

        Raises:
            InvalidTime: the text is not a valid RFC 3339 time.
        """
        match = _RFC3339.fullmatch(text)
        if match is None:
            raise InvalidTime(f'parsing time "{text}" as "{RFC3339_LAYOUT}": cannot parse')
        year, month, day, hour, minute, sec = (int(g) for g in match.groups()[:6])
        frac, zulu, sign, oh, om = match.groups()[6:]
        if not 1 <= month <= 12:
            raise InvalidTime(f'parsing time "{text}": month out of range')
        if not 1 <= day <= _days_in_month(year, month):
            raise InvalidTime(f'parsing time "{text}": day out of range')
        if hour > 23:
            raise InvalidTime(f'parsing time "{text}": hour out of range')
        if minute > 59:
            raise InvalidTime(f'parsing time "{text}": minute out of range')
        if sec > 59:
            raise InvalidTime(f'parsing time "{text}": second out of range')
        offset = 0
        if zulu is None:
            if int(oh) > 23 or int(om) > 59:
                raise InvalidTime(f'parsing time "{text}": timezone hour outside of range')
            offset = (int(oh) * 3600 + int(om) * 60) * (-1 if sign == "-" else 1)
        nanos = int((frac or "")[:9].ljust(9, "0"))
        local = _days_from_civil(year, month, day) * _DAY + hour * 3600 + minute * 60 + sec
        return cls(local - offset, nanos, offset)

    # --- accessors --------------------------------------------------------------------

    def unix_nanos(self) -> int:
        """Nanoseconds since the Unix epoch."""
        return self.unix * _NS + self.nanos

    def is_zero(self) -> bool:
        """True for Go's zero time (``0001-01-01T00:00:00Z`` as an instant)."""
        return self == GoTime.zero()

    def before_unix_epoch(self) -> bool:
        """True when the instant is before 1970-01-01T00:00:00Z."""
        return self.unix < 0

    def in_offset(self, offset: int) -> GoTime:
        """The same instant, shown at another offset."""
        return GoTime(self.unix, self.nanos, offset)

    def to_datetime(self) -> datetime:
        """An aware ``datetime`` (microsecond precision; years 1..9999 only)."""
        tz = timezone(timedelta(seconds=self.offset))
        base = datetime(1970, 1, 1, tzinfo=UTC)
        value = base + timedelta(seconds=self.unix, microseconds=self.nanos // 1000)
        return value.astimezone(tz)

    def format(self) -> str:
        """RFC 3339 with nanoseconds, trailing fractional zeros trimmed (Go ``RFC3339Nano``).

        Raises:
            InvalidTime: the local year is outside ``[0, 9999]`` (Go refuses it in JSON).
        """
        local = self.unix + self.offset
        days, rem = divmod(local, _DAY)
        year, month, day = _civil_from_days(days)
        if not 0 <= year <= 9999:
            raise InvalidTime("Time.MarshalJSON: year outside of range [0,9999]")
        hour, rem = divmod(rem, 3600)
        minute, sec = divmod(rem, 60)
        text = f"{year:04d}-{month:02d}-{day:02d}T{hour:02d}:{minute:02d}:{sec:02d}"
        if self.nanos:
            text += "." + f"{self.nanos:09d}".rstrip("0")
        if self.offset == 0:
            return text + "Z"
        sign = "-" if self.offset < 0 else "+"
        oh, om = divmod(abs(self.offset) // 60, 60)
        return f"{text}{sign}{oh:02d}:{om:02d}"

    def __str__(self) -> str:
        return self.format()

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, GoTime):
            return NotImplemented
        return (self.unix, self.nanos) == (other.unix, other.nanos)

    def __lt__(self, other: GoTime) -> bool:
        return (self.unix, self.nanos) < (other.unix, other.nanos)

    def __hash__(self) -> int:
        return hash((self.unix, self.nanos))
