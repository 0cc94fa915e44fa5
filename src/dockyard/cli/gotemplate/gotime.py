"""Go's ``time.Time``, ``time.Duration`` and ``time.Month`` as template values.

A ``time.Time`` is represented by its JSON form, an RFC 3339 string (what the daemon
sends); it prints like Go's ``Time.String`` (``2024-05-01 10:00:00.5 +0000 UTC``),
marshals to RFC 3339 with nanoseconds, and offers the common methods (``Year``,
``Unix``, ``Format "2006-01-02"``, …). A ``time.Duration`` is an int of nanoseconds.
"""

from __future__ import annotations

import re
from typing import Any

from dockyard.cli.gotemplate.types import BOOL, FLOAT64, INT, INT64, STRING, GoType, Method, V

__all__ = ["DURATION", "MONTH", "TIME", "WEEKDAY", "duration_string", "format_time"]

_RFC3339 = (r"(-?\d{4,})-(\d\d)-(\d\d)[Tt ](\d\d):(\d\d):(\d\d)(?:[.,](\d+))?"
            r"\s*(Z|z|UTC|[+-]\d\d:?\d\d)?")
_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December")
_DAYS = ("Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday")
ZERO_TIME = "0001-01-01T00:00:00Z"


class _T:
    """A broken-down time: fields, nanoseconds, zone offset (seconds) and zone name."""

    __slots__ = ("day", "hour", "minute", "month", "nsec", "offset", "second", "year", "zone")

    def __init__(self, text: Any) -> None:
        m = _pattern(_RFC3339).match(str(text or ZERO_TIME)) or _pattern(_RFC3339).match(
            ZERO_TIME)
        assert m is not None
        y, mo, d, h, mi, s, frac, zone = m.groups()
        self.year, self.month, self.day = int(y), int(mo), int(d)
        self.hour, self.minute, self.second = int(h), int(mi), int(s)
        self.nsec = int((frac or "0")[:9].ljust(9, "0"))
        self.offset, self.zone = 0, "UTC"
        if zone and zone not in ("Z", "z", "UTC"):
            sign = -1 if zone[0] == "-" else 1
            digits = zone[1:].replace(":", "")
            self.offset = sign * (int(digits[:2]) * 3600 + int(digits[2:]) * 60)
            if self.offset:
                self.zone = ""

    def days(self) -> int:
        """Days since 1970-01-01 (proleptic Gregorian)."""
        y, m = self.year - (self.month <= 2), self.month
        era = y // 400
        yoe = y - era * 400
        doy = (153 * (m + (-3 if m > 2 else 9)) + 2) // 5 + self.day - 1
        doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
        return era * 146097 + doe - 719468

    def unix(self) -> int:
        return (self.days() * 86400 + self.hour * 3600 + self.minute * 60 + self.second
                - self.offset)

    def weekday(self) -> int:
        return (self.days() + 4) % 7

    def yearday(self) -> int:
        first = _T(f"{self.year:04d}-01-01T00:00:00Z")
        return self.days() - first.days() + 1

    def zone_text(self, colon: bool = False, z: bool = False, short: bool = False) -> str:
        if z and self.offset == 0:
            return "Z"
        sign = "-" if self.offset < 0 else "+"
        h, m = divmod(abs(self.offset) // 60, 60)
        if short:
            return f"{sign}{h:02d}"
        return f"{sign}{h:02d}{':' if colon else ''}{m:02d}"


def _frac(nsec: int, digits: int, trim: bool, sep: str = ".") -> str:
    text = f"{nsec:09d}"[:digits]
    if trim:
        text = text.rstrip("0")
        return sep + text if text else ""
    return sep + text


_LAYOUT = (
    r"January|Jan|Monday|Mon|MST|2006|002|__2|_2(?!006)|01|02|03|04|05|06|15|1|2|3|4|5|PM|pm|"
    r"Z07:00:00|Z070000|Z07:00|Z0700|Z07|-07:00:00|-070000|-07:00|-0700|-07|"
    r"[.,](?:0+|9+)(?!\d)")
_COMPILED: dict[str, re.Pattern[str]] = {}


def _pattern(source: str) -> re.Pattern[str]:
    """Compile on first use (keeps the module cheap to import)."""
    if source not in _COMPILED:
        _COMPILED[source] = re.compile(source)
    return _COMPILED[source]


def format_time(text: Any, layout: str) -> str:
    """Go's ``Time.Format(layout)`` for a time given as RFC 3339 text."""
    t = _T(text)
    hour12 = t.hour % 12 or 12

    def token(m: re.Match[str]) -> str:
        tok = m.group(0)
        simple = {
            "January": _MONTHS[t.month - 1], "Jan": _MONTHS[t.month - 1][:3],
            "Monday": _DAYS[t.weekday()], "Mon": _DAYS[t.weekday()][:3],
            "2006": f"{t.year:04d}", "06": f"{t.year % 100:02d}", "01": f"{t.month:02d}",
            "1": str(t.month), "02": f"{t.day:02d}", "2": str(t.day), "_2": f"{t.day:2d}",
            "002": f"{t.yearday():03d}", "__2": f"{t.yearday():3d}", "15": f"{t.hour:02d}",
            "03": f"{hour12:02d}", "3": str(hour12), "04": f"{t.minute:02d}",
            "4": str(t.minute), "05": f"{t.second:02d}", "5": str(t.second),
            "PM": "PM" if t.hour >= 12 else "AM", "pm": "pm" if t.hour >= 12 else "am",
            "MST": t.zone or t.zone_text(),
        }
        if tok in simple:
            return simple[tok]
        if tok[0] in ".,":
            return _frac(t.nsec, len(tok) - 1, tok[1] == "9", tok[0])
        z = tok[0] == "Z"
        return t.zone_text(colon=":" in tok, z=z, short=tok[1:] == "07")

    return _pattern(_LAYOUT).sub(token, layout)


def time_string(text: Any) -> str:
    """Go's ``Time.String``."""
    t = _T(text)
    return (f"{t.year:04d}-{t.month:02d}-{t.day:02d} {t.hour:02d}:{t.minute:02d}:"
            f"{t.second:02d}{_frac(t.nsec, 9, True)} {t.zone_text()} {t.zone or t.zone_text()}")


def _go_string(text: Any) -> str:
    t = _T(text)
    zone = "time.UTC" if t.zone == "UTC" else 'time.Location("")'
    return (f"time.Date({t.year}, time.{_MONTHS[t.month - 1]}, {t.day}, {t.hour}, {t.minute}, "
            f"{t.second}, {t.nsec}, {zone})")


def _marshal_time(text: Any, _html: bool) -> str:
    t = _T(text)
    return (f'"{t.year:04d}-{t.month:02d}-{t.day:02d}T{t.hour:02d}:{t.minute:02d}:'
            f'{t.second:02d}{_frac(t.nsec, 9, True)}{t.zone_text(colon=True, z=True)}"')


def duration_string(ns: Any) -> str:
    """Go's ``Duration.String``: ``1h2m3.5s``, ``1.5ms``, ``0s``."""
    d = int(ns or 0)
    if d == 0:
        return "0s"
    sign = "-" if d < 0 else ""
    u = abs(d)
    if u < 1_000_000_000:
        for unit, size in (("ns", 1), ("µs", 1_000), ("ms", 1_000_000)):
            if u < size * 1000:
                whole, frac = divmod(u, size)
                digits = f"{frac:0{len(str(size)) - 1}d}".rstrip("0") if size > 1 else ""
                return f"{sign}{whole}{'.' + digits if digits else ''}{unit}"
    secs, frac = divmod(u, 1_000_000_000)
    fdigits = f"{frac:09d}".rstrip("0")
    h, rest = divmod(secs, 3600)
    m, s = divmod(rest, 60)
    text = f"{s}{'.' + fdigits if fdigits else ''}s"
    if h or m:
        text = f"{m}m{text}"
    if h:
        text = f"{h}h{text}"
    return sign + text


def _int_type(name: str, names: tuple[str, ...], base: int) -> GoType:
    return GoType("int", name, named=True, under="int",
                  stringer=lambda x: names[int(x) - base] if 0 <= int(x) - base < len(names)
                  else f"%!{name.split('.')[1]}({int(x)})")


MONTH = _int_type("time.Month", _MONTHS, 1)
WEEKDAY = _int_type("time.Weekday", _DAYS, 0)
def _trunc_div(a: int, b: int) -> int:
    q = abs(a) // b
    return -q if a < 0 else q


DURATION = GoType("int64", "time.Duration", named=True, under="int64", stringer=duration_string,
                  methods={
                      "Hours": Method((), FLOAT64, lambda d: int(d) / 3.6e12),
                      "Minutes": Method((), FLOAT64, lambda d: int(d) / 6e10),
                      "Seconds": Method((), FLOAT64, lambda d: int(d) / 1e9),
                      "Milliseconds": Method((), INT64, lambda d: _trunc_div(int(d), 10**6)),
                      "Microseconds": Method((), INT64, lambda d: _trunc_div(int(d), 1000)),
                      "Nanoseconds": Method((), INT64, int),
                      "String": Method((), STRING, duration_string),
                  })


def _wrap(n: int) -> int:
    """Go's int64 overflow (two's complement wrap-around)."""
    return (n + 2**63) % 2**64 - 2**63


def _methods() -> dict[str, Method]:
    m: dict[str, Method] = {}
    simple: dict[str, tuple[GoType, Any]] = {
        "Year": (INT, lambda t: t.year), "Month": (MONTH, lambda t: t.month),
        "Day": (INT, lambda t: t.day), "Hour": (INT, lambda t: t.hour),
        "Minute": (INT, lambda t: t.minute), "Second": (INT, lambda t: t.second),
        "Nanosecond": (INT, lambda t: t.nsec), "YearDay": (INT, lambda t: t.yearday()),
        "Weekday": (WEEKDAY, lambda t: t.weekday()), "Unix": (INT64, lambda t: t.unix()),
        "UnixMilli": (INT64, lambda t: _wrap(t.unix() * 1000 + t.nsec // 1_000_000)),
        "UnixNano": (INT64, lambda t: _wrap(t.unix() * 1_000_000_000 + t.nsec)),
        "IsZero": (BOOL, lambda t: t.unix() == -62135596800 and t.nsec == 0),
    }
    for name, (result, fn) in simple.items():
        m[name] = Method((), result, lambda x, fn=fn: fn(_T(x)))
    m["String"] = Method((), STRING, time_string)
    m["Format"] = Method((STRING,), STRING, format_time)
    return m


TIME = GoType("struct", "time.Time", named=True, stringer=time_string, gostring=_go_string,
              marshal=_marshal_time, zero=ZERO_TIME)
TIME.methods = {**_methods(), "UTC": Method((), TIME, lambda x: x)}


def time_value(text: str) -> V:
    """A ``time.Time`` value from RFC 3339 text."""
    return V(text, TIME)
