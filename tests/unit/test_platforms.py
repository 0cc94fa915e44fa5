"""Platform strings: parsing, containerd's normalisation, matching."""

from __future__ import annotations

import pytest

from dockyard.errors import InvalidArgumentError
from dockyard.image.config import host_arch
from dockyard.platforms import PlatformSpec, host_platform, parse_platform


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("linux/amd64", PlatformSpec("linux", "amd64")),
        ("linux/x86_64", PlatformSpec("linux", "amd64")),
        ("LINUX/AMD64", PlatformSpec("linux", "amd64")),
        ("linux/aarch64", PlatformSpec("linux", "arm64")),
        ("linux/arm64/v8", PlatformSpec("linux", "arm64")),
        ("linux/arm64/8", PlatformSpec("linux", "arm64")),
        ("linux/armhf", PlatformSpec("linux", "arm", "v7")),
        ("linux/armel", PlatformSpec("linux", "arm", "v6")),
        ("linux/arm/v5", PlatformSpec("linux", "arm", "v5")),
        ("windows/amd64", PlatformSpec("windows", "amd64")),
        ("arm64", PlatformSpec("linux", "arm64")),
        ("linux", PlatformSpec("linux", host_arch())),
    ],
)
def test_parse_platform(text: str, expected: PlatformSpec) -> None:
    assert parse_platform(text) == expected


@pytest.mark.parametrize("text", ["", " ", "linux/", "/amd64", "linux/amd64/v8/x", "a//b"])
def test_parse_platform_refuses(text: str) -> None:
    with pytest.raises(InvalidArgumentError, match="unknown operating system or architecture"):
        parse_platform(text)


def test_matching() -> None:
    arm = parse_platform("linux/arm/v7")
    assert arm.matches("linux", "arm", "v7")
    assert arm.matches("linux", "arm", "")
    assert not arm.matches("linux", "arm", "v6")
    assert not arm.matches("linux", "arm64")
    assert parse_platform("linux/arm64").matches("linux", "aarch64", "v8")
    assert parse_platform("linux/amd64").matches("", "x86_64")
    assert not parse_platform("linux/amd64").matches("windows", "amd64")
    assert str(arm) == "linux/arm/v7"
    assert host_platform().os == "linux"
