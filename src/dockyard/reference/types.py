"""Reference value objects: named, tagged and digested image references."""

from __future__ import annotations

from dataclasses import dataclass

from dockyard.digest import Digest
from dockyard.errors import InvalidDigest, InvalidReference
from dockyard.reference.grammar import (
    ANCHORED_DOMAIN,
    ANCHORED_REMOTE_NAME,
    ANCHORED_TAG,
    DEFAULT_DOMAIN,
    DEFAULT_TAG,
    OFFICIAL_REPO_PREFIX,
    REPOSITORY_NAME_MAX_LENGTH,
)

__all__ = ["DigestReference", "Reference"]

_NAME_TOO_LONG = f"repository name must not be more than {REPOSITORY_NAME_MAX_LENGTH} characters"


@dataclass(frozen=True, slots=True)
class Reference:
    """A repository name with an optional tag and an optional digest.

    Build references with :func:`~dockyard.reference.parse_normalized_named` rather
    than directly: only the parser applies Docker's normalisation (``docker.io``,
    ``library/``). The constructor validates each part against the grammar.

    Attributes:
        domain: registry host and optional port (``docker.io``, ``localhost:5000``);
            empty only for names whose first component is not a valid domain.
        path: repository path (``library/busybox``, ``team/app``).
        tag: the tag, or None.
        digest: the content digest, or None.

    Raises:
        InvalidReference: a part does not match the reference grammar.
    """

    domain: str
    path: str
    tag: str | None = None
    digest: Digest | None = None

    def __post_init__(self) -> None:
        if self.domain and ANCHORED_DOMAIN.fullmatch(self.domain) is None:
            raise InvalidReference(self.domain)
        if ANCHORED_REMOTE_NAME.fullmatch(self.path) is None:
            raise InvalidReference(self.path)
        if len(self.path) > REPOSITORY_NAME_MAX_LENGTH:
            raise InvalidReference(self.path, _NAME_TOO_LONG)
        if self.tag is not None and ANCHORED_TAG.fullmatch(self.tag) is None:
            raise InvalidReference(self.tag, "invalid tag format")
        if self.digest is not None and not isinstance(self.digest, Digest):
            object.__setattr__(self, "digest", _as_digest(self.digest))

    def name(self) -> str:
        """The full repository name, e.g. ``docker.io/library/busybox``."""
        return f"{self.domain}/{self.path}" if self.domain else self.path

    def familiar_name(self) -> str:
        """The repository name as Docker shows it: ``busybox``, ``u/x``, ``host:5000/x``."""
        if self.domain != DEFAULT_DOMAIN:
            return self.name()
        if self.path.startswith(OFFICIAL_REPO_PREFIX):
            rest = self.path[len(OFFICIAL_REPO_PREFIX) :]
            if "/" not in rest:
                return rest
        return self.path

    def familiar_string(self) -> str:
        """The reference as Docker shows it: ``busybox:latest``, ``u/x@sha256:…``."""
        return self._with_suffix(self.familiar_name())

    def is_name_only(self) -> bool:
        """True when the reference has neither a tag nor a digest."""
        return self.tag is None and self.digest is None

    def trim(self) -> Reference:
        """The same repository without tag and digest (distribution ``TrimNamed``)."""
        return Reference(self.domain, self.path)

    def with_tag(self, tag: str) -> Reference:
        """A copy with ``tag`` set (the digest, if any, is kept).

        Raises:
            InvalidReference: ``tag`` is not a valid tag (``invalid tag format``).
        """
        return Reference(self.domain, self.path, tag, self.digest)

    def with_digest(self, digest: Digest | str) -> Reference:
        """A copy with ``digest`` set (the tag, if any, is kept).

        Raises:
            InvalidReference: ``digest`` is not a valid sha256 digest.
        """
        return Reference(self.domain, self.path, self.tag, _as_digest(digest))

    def tag_name_only(self) -> Reference:
        """This reference, with ``:latest`` added when it has no tag and no digest."""
        return self.with_tag(DEFAULT_TAG) if self.is_name_only() else self

    def favor_digest(self) -> Reference:
        """This reference without its tag when it has both a tag and a digest."""
        if self.tag is not None and self.digest is not None:
            return Reference(self.domain, self.path, None, self.digest)
        return self

    def _with_suffix(self, name: str) -> str:
        text = name
        if self.tag is not None:
            text += ":" + self.tag
        if self.digest is not None:
            text += "@" + str(self.digest)
        return text

    def __str__(self) -> str:
        return self._with_suffix(self.name())

    def __repr__(self) -> str:
        return f"Reference({str(self)!r})"


@dataclass(frozen=True, slots=True)
class DigestReference:
    """A reference that is only a digest (an image ID given as ``sha256:…`` or hex)."""

    digest: Digest

    def __post_init__(self) -> None:
        if not isinstance(self.digest, Digest):
            object.__setattr__(self, "digest", _as_digest(self.digest))

    def familiar_string(self) -> str:
        """The digest itself (a digest has no familiar form)."""
        return str(self.digest)

    def __str__(self) -> str:
        return str(self.digest)

    def __repr__(self) -> str:
        return f"DigestReference({str(self)!r})"


def _as_digest(value: Digest | str) -> Digest:
    """Validate ``value`` as a digest, with go-digest's message on failure."""
    try:
        return Digest(value)
    except InvalidDigest as exc:
        raise InvalidReference(str(value), exc.reason) from exc
