"""Platforms (``os/arch[/variant]``): parsing, normalisation and matching, as containerd does."""

from __future__ import annotations

from dataclasses import dataclass

from dockyard.errors import InvalidArgumentError
from dockyard.image.config import host_arch

__all__ = ["PlatformSpec", "host_platform", "parse_platform"]

#: Architecture aliases → (GOARCH, default variant), as containerd's ``Normalize``.
_ARCH_ALIASES = {
    "x86_64": ("amd64", ""),
    "x86-64": ("amd64", ""),
    "aarch64": ("arm64", ""),
    "armhf": ("arm", "v7"),
    "armel": ("arm", "v6"),
    "i386": ("386", ""),
    "i686": ("386", ""),
}


@dataclass(frozen=True, slots=True)
class PlatformSpec:
    """A normalised platform; an empty variant matches the architecture's default."""

    os: str
    architecture: str
    variant: str = ""

    def __str__(self) -> str:
        text = f"{self.os}/{self.architecture}"
        return f"{text}/{self.variant}" if self.variant else text

    def matches(self, os_name: str, architecture: str, variant: str = "") -> bool:
        """True when an image of that os/architecture/variant runs on this platform."""
        other = normalize(os_name or "linux", architecture, variant)
        if other.os != self.os or other.architecture != self.architecture:
            return False
        return not self.variant or not other.variant or other.variant == self.variant


def normalize(os_name: str, architecture: str, variant: str = "") -> PlatformSpec:
    """Lower-case and de-alias the parts as containerd does.

    ``x86_64`` → ``amd64``, ``aarch64`` → ``arm64`` (its default variant ``v8`` is
    dropped), ``armhf`` → ``arm``/``v7``, ``armel`` → ``arm``/``v6``.
    """
    arch, default_variant = _ARCH_ALIASES.get(architecture.lower(), (architecture.lower(), ""))
    var = variant.lower() or default_variant
    if arch == "arm64" and var in ("8", "v8"):
        var = ""
    return PlatformSpec(os_name.lower(), arch, var)


def parse_platform(text: str) -> PlatformSpec:
    """Parse ``os[/arch[/variant]]`` or ``arch`` alone.

    Raises:
        InvalidArgumentError: the text is empty or has more than three parts.
    """
    parts = text.strip().split("/")
    if not text.strip() or any(not p for p in parts) or len(parts) > 3:
        raise InvalidArgumentError(
            f'"{text}": unknown operating system or architecture: invalid argument'
        )
    if len(parts) == 1:
        known_os = parts[0].lower() in {"linux", "windows", "darwin", "freebsd"}
        if known_os:
            return normalize(parts[0], host_arch())
        return normalize("linux", parts[0])
    return normalize(parts[0], parts[1], parts[2] if len(parts) == 3 else "")


def host_platform() -> PlatformSpec:
    """This machine's platform (``linux/<arch>``)."""
    return normalize("linux", host_arch())
