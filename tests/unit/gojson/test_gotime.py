from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from dockyard.gojson import GoTime, InvalidTime


@pytest.mark.parametrize(
    ("text", "formatted"),
    [
        ("2024-01-02T03:04:05Z", "2024-01-02T03:04:05Z"),
        ("2024-01-02T03:04:05.120000000Z", "2024-01-02T03:04:05.12Z"),
        ("2024-01-02T03:04:05.123456789+05:30", "2024-01-02T03:04:05.123456789+05:30"),
        ("2024-01-02T03:04:05.1234567891234Z", "2024-01-02T03:04:05.123456789Z"),
        ("2024-01-02T03:04:05-00:00", "2024-01-02T03:04:05Z"),
        ("0000-01-01T00:00:00Z", "0000-01-01T00:00:00Z"),
        ("2024-02-29T23:59:59.5-08:00", "2024-02-29T23:59:59.5-08:00"),
    ],
)
def test_parse_format(text, formatted):
    assert GoTime.parse(text).format() == formatted


@pytest.mark.parametrize(
    "text",
    [
        "2024-01-02 03:04:05Z",
        "2024-01-02T03:04:05",
        "2024-01-02T03:04:05.Z",
        "2024-01-02T03:04:05,1Z",
        "2024-13-02T03:04:05Z",
        "2023-02-29T03:04:05Z",
        "2024-01-02T24:04:05Z",
        "2024-01-02T03:04:60Z",
        "2024-01-02T03:04:05+24:00",
        "2024-01-02t03:04:05z",
        "24-01-02T03:04:05Z",
    ],
)
def test_parse_rejects(text):
    with pytest.raises(InvalidTime):
        GoTime.parse(text)


def test_zero_and_epoch():
    assert GoTime.zero().format() == "0001-01-01T00:00:00Z"
    assert GoTime.zero().is_zero()
    assert GoTime.unix_epoch().format() == "1970-01-01T00:00:00Z"
    assert GoTime.unix_epoch(3600).format() == "1970-01-01T01:00:00+01:00"
    assert GoTime.unix_epoch(3600) == GoTime.unix_epoch()


def test_equality_is_by_instant_offset_is_kept():
    a = GoTime.parse("2024-01-02T03:04:05+01:00")
    b = GoTime.parse("2024-01-02T02:04:05Z")
    assert a == b
    assert hash(a) == hash(b)
    assert a.format() != b.format()
    assert b < GoTime.parse("2024-01-02T02:04:05.000000001Z")


def test_now_utc_is_utc_and_current():
    now = GoTime.now_utc()
    assert now.offset == 0
    assert now.format().endswith("Z")
    assert abs(now.to_datetime() - datetime.now(UTC)) < timedelta(seconds=5)


def test_datetime_conversion():
    dt = datetime(2024, 1, 2, 3, 4, 5, 123456, tzinfo=timezone(timedelta(hours=-3)))
    t = GoTime.from_datetime(dt)
    assert t.format() == "2024-01-02T03:04:05.123456-03:00"
    assert t.to_datetime() == dt


def test_out_of_range_year_refused():
    with pytest.raises(InvalidTime, match="year outside of range"):
        GoTime(300_000_000_000).format()
    with pytest.raises(InvalidTime):
        GoTime(0, 1_000_000_000)
