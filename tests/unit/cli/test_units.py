from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from dockyard.errors import InvalidArgumentError
from dockyard.units import (
    bytes_size,
    format_created_at,
    format_rfc3339,
    human_duration,
    human_size,
    parse_duration,
    parse_human_size,
    parse_ram_size,
    parse_timestamp,
    time_ago,
)

from .oracle_data import VERSIONS, load, load_files

SECOND, MINUTE, HOUR = 1, 60, 3600
DAY, WEEK, MONTH, YEAR = 24 * HOUR, 7 * 24 * HOUR, 30 * 24 * HOUR, 365 * 24 * HOUR


@pytest.mark.parametrize(
    ("size", "precision", "text"),
    [
        (0, 4, "0B"),
        (200, 3, "200B"),
        (999, 4, "999B"),
        (1000, 4, "1kB"),
        (2010, 4, "2.01kB"),
        (1024, 4, "1.024kB"),
        (1982286, 4, "1.982MB"),
        (1982286, 3, "1.98MB"),
        (4982317, 4, "4.982MB"),
        (4982317, 3, "4.98MB"),
        (3000000, 3, "3MB"),
        (999_500, 3, "1e+03kB"),
        (999_949, 4, "999.9kB"),
        (10**9, 4, "1GB"),
        (1.5 * 10**12, 4, "1.5TB"),
        (10**27, 4, "1000YB"),
        (10**30, 4, "1e+06YB"),
    ],
)
def test_human_size(size: float, precision: int, text: str) -> None:
    assert human_size(size, precision) == text


@pytest.mark.parametrize(
    ("size", "text"),
    [(0, "0B"), (1023, "1023B"), (1024, "1KiB"), (1536, "1.5KiB"), (44 * 1024**2, "44MiB"),
     (1024**3 * 3.25, "3.25GiB")],
)
def test_bytes_size(size: float, text: str) -> None:
    assert bytes_size(size) == text


@pytest.mark.parametrize(
    ("text", "decimal", "binary"),
    [("44kB", 44_000, 44 * 1024), ("17MB", 17_000_000, 17 * 1024**2), ("1.5 g", 1_500_000_000,
     int(1.5 * 1024**3)), ("300", 300, 300), ("32kib", 32_000, 32 * 1024), ("1T", 10**12, 1024**4)],
)
def test_parse_sizes(text: str, decimal: int, binary: int) -> None:
    assert parse_human_size(text) == decimal
    assert parse_ram_size(text) == binary


@pytest.mark.parametrize("text", ["", "-1", "1.2.3kB", "12 kbx", "k", "1e3"])
def test_parse_size_rejects(text: str) -> None:
    with pytest.raises(InvalidArgumentError):
        parse_human_size(text)


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0.45, "Less than a second"), (-5, "Less than a second"), (1, "1 second"),
        (45, "45 seconds"), (59, "59 seconds"), (60, "About a minute"), (119, "About a minute"),
        (3 * MINUTE, "3 minutes"), (35 * MINUTE + 40, "35 minutes"), (59 * MINUTE, "59 minutes"),
        (HOUR, "About an hour"), (HOUR + 29 * MINUTE, "About an hour"),
        (HOUR + 31 * MINUTE, "2 hours"), (3 * HOUR + 29 * MINUTE, "3 hours"),
        (3 * HOUR + 31 * MINUTE, "4 hours"), (DAY, "24 hours"), (DAY + 12 * HOUR, "36 hours"),
        (2 * DAY, "2 days"), (13 * DAY + 5 * HOUR, "13 days"), (2 * WEEK, "2 weeks"),
        (3 * WEEK, "3 weeks"), (MONTH, "4 weeks"), (MONTH + 2 * WEEK, "6 weeks"),
        (2 * MONTH, "2 months"), (5 * MONTH + 2 * WEEK, "5 months"), (24 * MONTH, "24 months"),
        (24 * MONTH + 2 * WEEK, "2 years"), (3 * YEAR + 2 * MONTH, "3 years"),
    ],
)
def test_human_duration(seconds: float, text: str) -> None:
    assert human_duration(seconds) == text
    assert human_duration(timedelta(seconds=seconds)) == text


def test_time_ago() -> None:
    now = datetime(2026, 11, 23, 4, 57, 0, tzinfo=UTC)
    assert time_ago(datetime(2026, 11, 23, 4, 51, 8, tzinfo=UTC), now) == "5 minutes ago"
    assert time_ago(now.timestamp() - 80, now) == "About a minute ago"
    assert time_ago(now.timestamp() + 30, now.timestamp()) == "Less than a second ago"
    assert time_ago(0).endswith(" years ago")


def test_created_at_formats() -> None:
    created = "2026-11-23T04:51:08.100248095Z"
    assert format_created_at(created) == "2026-11-23 04:51:08 +0000 UTC"
    assert format_rfc3339(created) == "2026-11-23T04:51:08Z"
    cet = timezone(timedelta(hours=1))
    assert format_created_at("2026-11-23T04:51:08+01:00") == "2026-11-23 03:51:08 +0000 UTC"
    assert format_rfc3339(1795409468, cet) == "2026-11-23T05:51:08+01:00"
    assert format_created_at(1795409468, cet) == "2026-11-23 05:51:08 +0100 +0100"
    with pytest.raises(InvalidArgumentError):
        format_created_at("yesterday")


@pytest.mark.parametrize(
    ("text", "nanos"),
    [("0", 0), ("10m", 600 * 10**9), ("24h", 86400 * 10**9), ("1h30m", 5400 * 10**9),
     ("1.5s", 1_500_000_000), ("-2m", -120 * 10**9), ("300ms", 300_000_000), ("2us", 2000),
     ("2\u00b5s", 2000), (".5h", 1800 * 10**9), ("1h0.5m", 3630 * 10**9)],
)
def test_parse_duration(text: str, nanos: int) -> None:
    assert parse_duration(text) == nanos


@pytest.mark.parametrize("text", ["", "10", "1d", "h", "-", "1.h.", "5 m"])
def test_parse_duration_rejects(text: str) -> None:
    with pytest.raises(InvalidArgumentError):
        parse_duration(text)


NOW = datetime(2026, 11, 23, 5, 0, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("10m", (int(NOW.timestamp()) - 600, 0)),
        ("2026-11-23T04:51:08Z", (1795409468, 0)),
        ("2026-11-23T04:51:08.25Z", (1795409468, 250_000_000)),
        ("2026-11-23T05:51:08+01:00", (1795409468, 0)),
        ("2026-11-23T04:51:08", (1795409468, 0)),
        ("2026-11-23T04:51", (1795409460, 0)),
        ("2026-11-23T04", (1795406400, 0)),
        ("2026-11-23", (1795392000, 0)),
        ("1795409468", (1795409468, 0)),
        ("1795409468.5", (1795409468, 500_000_000)),
    ],
)
def test_parse_timestamp(value: str, expected: tuple[int, int]) -> None:
    assert parse_timestamp(value, NOW) == expected


@pytest.mark.parametrize("value", ["2026-13-01", "yesterday", "12:30", "2026-11-23T25:00:00Z"])
def test_parse_timestamp_rejects(value: str) -> None:
    with pytest.raises(InvalidArgumentError):
        parse_timestamp(value, NOW)


@pytest.mark.parametrize("version", VERSIONS)
def test_oracle_images_sizes_and_created(version: str) -> None:
    for name in load_files(version):
        data = load(version, name)
        by_id = {image["Id"]: image for image in data["inspect"]}
        for row in data["images"]:
            image = by_id[row["ID"]]
            assert row["Size"] == human_size(image["Size"], 3)
            assert row["VirtualSize"] == human_size(image.get("VirtualSize", image["Size"]))
            assert row["CreatedAt"] == format_created_at(image["Created"])


@pytest.mark.parametrize("version", VERSIONS)
def test_oracle_history_layer_sizes(version: str) -> None:
    data = load(version, "expected.json")
    by_id = {image["Id"]: image for image in data["inspect"]}
    checked = 0
    for entries in data["history"].values():
        for entry in entries:
            image = by_id.get(entry["ID"])
            if image is None:
                continue
            parent = by_id.get(image.get("Parent") or "")
            layer = image["Size"] - (parent["Size"] if parent else 0)
            assert entry["Size"] == human_size(layer, 3), entry
            assert entry["CreatedAt"] == format_rfc3339(image["Created"])
            checked += 1
    assert checked > 10
