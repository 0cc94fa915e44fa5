"""Parsing and normalising image references the way Docker does (distribution/reference)."""

from __future__ import annotations

from typing import Literal

from dockyard.digest import Digest
from dockyard.errors import InvalidDigest, InvalidReference
from dockyard.reference.grammar import (
    ANCHORED_IDENTIFIER,
    ANCHORED_NAME,
    ANCHORED_REFERENCE,
    DEFAULT_DOMAIN,
    LEGACY_DEFAULT_DOMAIN,
    LOCALHOST,
    OFFICIAL_REPO_PREFIX,
    REPOSITORY_NAME_MAX_LENGTH,
)
from dockyard.reference.types import DigestReference, Reference

__all__ = [
    "Compat",
    "parse_any_reference",
    "parse_docker_ref",
    "parse_normalized_named",
    "parse_reference",
    "split_docker_domain",
    "tag_name_only",
]

#: Which Docker release's wording (and, where they differ, rules) to follow.
Compat = Literal["v28", "v20.10"]

_INVALID_FORMAT = "invalid reference format"
_NAME_EMPTY = "repository name must have at least one component"
_NAME_UPPERCASE = "repository name must be lowercase"
_NAME_TOO_LONG = f"repository name must not be more than {REPOSITORY_NAME_MAX_LENGTH} characters"


def split_docker_domain(name: str) -> tuple[str, str]:
    """Split a familiar name into a domain and the rest, applying Docker's defaults.

    The first path component is a domain when it is ``localhost``, contains a ``.``
    or a ``:``, or contains an uppercase letter (namespaces are lowercase, so it can
    only be a host). Otherwise the domain is ``docker.io``. ``index.docker.io``
    becomes ``docker.io``, and single-component names on ``docker.io`` get the
    ``library/`` prefix. The input is not validated.

    Args:
        name: a familiar name, possibly followed by ``:tag`` and/or ``@digest``.

    Returns:
        ``(domain, remainder)``; the remainder keeps any tag or digest suffix.
    """
    first, slash, rest = name.partition("/")
    if not slash:
        return DEFAULT_DOMAIN, OFFICIAL_REPO_PREFIX + name
    if first == LEGACY_DEFAULT_DOMAIN:
        domain, remainder = DEFAULT_DOMAIN, rest
    elif first == LOCALHOST or "." in first or ":" in first or first.lower() != first:
        domain, remainder = first, rest
    else:
        domain, remainder = DEFAULT_DOMAIN, name
    if domain == DEFAULT_DOMAIN and "/" not in remainder:
        remainder = OFFICIAL_REPO_PREFIX + remainder
    return domain, remainder


def parse_reference(s: str, *, compat: Compat = "v28") -> Reference:
    """Parse ``s`` as written, without normalisation (distribution ``Parse``).

    ``busybox`` stays ``busybox`` (empty domain). The grammar always requires a
    name; use :func:`parse_any_reference` for bare digests and image IDs.

    Args:
        s: the reference text.
        compat: ``"v20.10"`` applies the 255-character limit to the whole name
            (domain included) as Docker 20.10 did; v28 limits the path only.

    Returns:
        The parsed reference.

    Raises:
        InvalidReference: ``s`` does not follow the grammar, with distribution's
            message (``invalid reference format``, ``repository name must be
            lowercase``, ``repository name must not be more than 255 characters``, or
            go-digest's ``invalid checksum digest format``/``length``,
            ``unsupported digest algorithm``).
    """
    if not isinstance(s, str):
        raise InvalidReference(repr(s))
    match = ANCHORED_REFERENCE.fullmatch(s)
    if match is None:
        if not s:
            raise InvalidReference(s, _NAME_EMPTY)
        if ANCHORED_REFERENCE.fullmatch(s.lower()) is not None:
            raise InvalidReference(s, _NAME_UPPERCASE)
        raise InvalidReference(s, _INVALID_FORMAT)
    name, tag, digest_text = match.groups()
    name_match = ANCHORED_NAME.fullmatch(name)
    if name_match is None:  # pragma: no cover - the reference pattern embeds the name
        raise InvalidReference(s, _INVALID_FORMAT)
    domain, path = name_match.group(1) or "", name_match.group(2)
    if len(name if compat == "v20.10" else path) > REPOSITORY_NAME_MAX_LENGTH:
        raise InvalidReference(s, _NAME_TOO_LONG)
    digest: Digest | None = None
    if digest_text is not None:
        try:
            digest = Digest(digest_text)
        except InvalidDigest as exc:
            raise InvalidReference(s, exc.reason) from exc
    return Reference(domain, path, tag, digest)


def parse_normalized_named(s: str, *, compat: Compat = "v28") -> Reference:
    """Parse a name as typed by a Docker user into a fully qualified reference.

    ``busybox`` → ``docker.io/library/busybox``; ``u/x:1`` → ``docker.io/u/x:1``;
    ``localhost:5000/x`` keeps its domain (distribution ``ParseNormalizedNamed``).

    Args:
        s: the reference text; may carry a tag, a digest, or both.
        compat: ``"v28"`` (default) or ``"v20.10"``: that release's wording of the
            lowercase error and its name-length rule (see :func:`parse_reference`).

    Returns:
        The normalised reference.

    Raises:
        InvalidReference: with Docker's message, among others
            ``invalid repository name (<s>), cannot specify 64-byte hexadecimal
            strings``, ``invalid reference format: repository name (<path>) must be
            lowercase`` (v20.10: without ``(<path>)``) and ``invalid reference
            format``.
    """
    if not isinstance(s, str):
        raise InvalidReference(repr(s))
    if ANCHORED_IDENTIFIER.fullmatch(s) is not None:
        raise InvalidReference(
            s, f"invalid repository name ({s}), cannot specify 64-byte hexadecimal strings"
        )
    domain, remainder = split_docker_domain(s)
    remote = remainder.partition(":")[0]
    if remote.lower() != remote:
        if compat == "v20.10":
            raise InvalidReference(s, f"{_INVALID_FORMAT}: {_NAME_UPPERCASE}")
        raise InvalidReference(
            s, f"{_INVALID_FORMAT}: repository name ({remote}) must be lowercase"
        )
    try:
        return parse_reference(f"{domain}/{remainder}", compat=compat)
    except InvalidReference as exc:
        raise InvalidReference(s, str(exc)) from None


def parse_any_reference(s: str, *, compat: Compat = "v28") -> Reference | DigestReference:
    """Parse an image ID, a digest or a familiar name (distribution ``ParseAnyReference``).

    64 lowercase hex characters and ``sha256:<64 hex>`` give a
    :class:`DigestReference`; anything else is parsed by
    :func:`parse_normalized_named` (so ``sha256:abc`` is the tag ``abc`` of the
    repository ``sha256``).

    Raises:
        InvalidReference: as :func:`parse_normalized_named`.
    """
    if not isinstance(s, str):
        raise InvalidReference(repr(s))
    if ANCHORED_IDENTIFIER.fullmatch(s) is not None:
        return DigestReference(Digest.from_hex(s))
    try:
        return DigestReference(Digest(s))
    except InvalidDigest:
        pass
    return parse_normalized_named(s, compat=compat)


def parse_docker_ref(s: str, *, compat: Compat = "v28") -> Reference:
    """Parse a name and reduce it to what Docker stores (distribution ``ParseDockerRef``).

    A reference with both a tag and a digest keeps only the digest; a name-only
    reference gets ``:latest``.

    Raises:
        InvalidReference: as :func:`parse_normalized_named`.
    """
    return parse_normalized_named(s, compat=compat).favor_digest().tag_name_only()


def tag_name_only(ref: Reference) -> Reference:
    """Return ``ref`` with ``:latest`` added when it has neither tag nor digest."""
    return ref.tag_name_only()
