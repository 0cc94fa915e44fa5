"""Typed registry errors, built from distribution's ``{"errors": [...]}`` bodies.

Every class here derives from :class:`dockyard.errors.RegistryError`. Errors that mean
"it does not exist" also derive from :class:`dockyard.errors.NotFoundError`, and a blob
or manifest whose bytes do not hash to their digest also derives from
:class:`dockyard.errors.DigestMismatch`, so callers can catch by behaviour::

    RegistryError
    ├── RegistryHTTPError(status, errors)        one class per registry error code
    │     ManifestUnknown · BlobUnknown · NameUnknown (also NotFoundError)
    │     Unauthorized (also AuthenticationError) · Denied · TooManyRequests
    │     BlobUploadInvalid · BlobUploadUnknown · DigestInvalid · ManifestInvalid
    │     ManifestBlobUnknown · NameInvalid · TagInvalid · SizeInvalid · Unsupported
    │     ServerError (5xx)
    ├── AuthenticationError            a token could not be had, a bad challenge
    ├── RegistryConnectionError        the network failed (after the retries)
    ├── ContentDigestMismatch          received bytes do not match (also DigestMismatch)
    ├── InvalidManifest                unreadable or unsupported manifest (also FormatError)
    ├── ManifestTooLarge               over the size limit
    └── PlatformNotFound               no index entry for the platform (also NotFoundError)

Messages use Docker's wording: ``manifest unknown: manifest unknown``,
``unauthorized: authentication required``, ``denied: requested access to the resource is
denied``, ``name unknown: repository name not known to registry``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from dockyard.errors import DigestMismatch, FormatError, NotFoundError, RegistryError

__all__ = [
    "AuthenticationError",
    "BlobUnknown",
    "BlobUploadInvalid",
    "BlobUploadUnknown",
    "ContentDigestMismatch",
    "Denied",
    "RegistryConnectionError",
    "DigestInvalid",
    "ErrorEntry",
    "InvalidManifest",
    "ManifestBlobUnknown",
    "ManifestInvalid",
    "ManifestTooLarge",
    "ManifestUnknown",
    "NoBasicAuthCredentials",
    "NameInvalid",
    "NameUnknown",
    "PlatformNotFound",
    "RegistryHTTPError",
    "ServerError",
    "SizeInvalid",
    "TagInvalid",
    "TooManyRequests",
    "Unauthorized",
    "Unsupported",
    "error_from_response",
]

#: distribution's default message of each error code (registry/api/v2/errors.go).
DEFAULT_MESSAGES = {
    "BLOB_UNKNOWN": "blob unknown to registry",
    "BLOB_UPLOAD_INVALID": "blob upload invalid",
    "BLOB_UPLOAD_UNKNOWN": "blob upload unknown to registry",
    "DIGEST_INVALID": "provided digest did not match uploaded content",
    "MANIFEST_BLOB_UNKNOWN": "blob unknown to registry",
    "MANIFEST_INVALID": "manifest invalid",
    "MANIFEST_UNKNOWN": "manifest unknown",
    "NAME_INVALID": "invalid repository name",
    "NAME_UNKNOWN": "repository name not known to registry",
    "SIZE_INVALID": "provided length did not match content length",
    "TAG_INVALID": "manifest tag did not match URI",
    "UNAUTHORIZED": "authentication required",
    "DENIED": "requested access to the resource is denied",
    "UNSUPPORTED": "The operation is unsupported.",
    "TOOMANYREQUESTS": "too many requests",
    "UNKNOWN": "unknown error",
}


@dataclass(frozen=True, slots=True)
class ErrorEntry:
    """One entry of a registry error body.

    Attributes:
        code: the upper-case error code (``MANIFEST_UNKNOWN``); ``UNKNOWN`` when absent.
        message: the registry's message (the code's default message when absent).
        detail: whatever the registry put in ``detail`` (a string, object, list or None).
    """

    code: str
    message: str
    detail: Any = None

    def __str__(self) -> str:
        # errcode.Error.Error(): "<code lower-cased, underscores as spaces>: <message>"
        return f"{self.code.lower().replace('_', ' ')}: {self.message}"


class AuthenticationError(RegistryError):
    """Credentials were refused or a token could not be obtained."""


class RegistryConnectionError(RegistryError):
    """The registry could not be reached or the connection broke (after all retries)."""

    def __init__(self, method: str, url: str, reason: str) -> None:
        self.method = method
        self.url = url
        self.reason = reason
        super().__init__(f'{method.capitalize()} "{url}": {reason}')


class RegistryHTTPError(RegistryError):
    """A registry answered with an HTTP error status.

    Attributes:
        status: the HTTP status code.
        errors: the parsed error entries (synthesised from the status for bodiless answers).
        method: the request method.
        url: the request URL.
    """

    #: the error code this class stands for (None: any).
    code: str | None = None

    def __init__(
        self,
        status: int,
        errors: tuple[ErrorEntry, ...],
        *,
        method: str = "",
        url: str = "",
        message: str | None = None,
    ) -> None:
        self.status = status
        self.errors = errors
        self.method = method
        self.url = url
        super().__init__(message if message is not None else _join(errors))

    def with_message(self, message: str) -> RegistryHTTPError:
        """A copy of this error (same class and data) with another message."""
        return type(self)(
            self.status, self.errors, method=self.method, url=self.url, message=message
        )


class ManifestUnknown(RegistryHTTPError, NotFoundError):
    """``MANIFEST_UNKNOWN``: no manifest under that tag or digest."""

    code = "MANIFEST_UNKNOWN"


class BlobUnknown(RegistryHTTPError, NotFoundError):
    """``BLOB_UNKNOWN``: no blob with that digest in the repository."""

    code = "BLOB_UNKNOWN"


class NameUnknown(RegistryHTTPError, NotFoundError):
    """``NAME_UNKNOWN``: the repository does not exist."""

    code = "NAME_UNKNOWN"


class Unauthorized(RegistryHTTPError, AuthenticationError):
    """``UNAUTHORIZED`` (HTTP 401): authentication required or refused."""

    code = "UNAUTHORIZED"


class NoBasicAuthCredentials(Unauthorized):
    """The registry asks for Basic authentication and there are no credentials for it.

    Raised before sending anything more, with Docker's words: ``no basic auth
    credentials``.
    """

    def __init__(self, method: str = "", url: str = "") -> None:
        entry = ErrorEntry("UNAUTHORIZED", "no basic auth credentials")
        super().__init__(401, (entry,), method=method, url=url,
                         message="no basic auth credentials")  # fmt: skip

    def with_message(self, message: str) -> RegistryHTTPError:
        """An :class:`Unauthorized` with another message (the pull's ``Head "…": …``)."""
        return Unauthorized(self.status, self.errors, method=self.method, url=self.url,
                            message=message)  # fmt: skip


class Denied(RegistryHTTPError, AuthenticationError):
    """``DENIED`` (HTTP 403): the credentials do not grant the access."""

    code = "DENIED"


class TooManyRequests(RegistryHTTPError):
    """``TOOMANYREQUESTS`` (HTTP 429): rate limited."""

    code = "TOOMANYREQUESTS"


class BlobUploadInvalid(RegistryHTTPError):
    """``BLOB_UPLOAD_INVALID``: the upload session is unusable (stale or failed)."""

    code = "BLOB_UPLOAD_INVALID"


class BlobUploadUnknown(RegistryHTTPError):
    """``BLOB_UPLOAD_UNKNOWN``: the upload session does not exist."""

    code = "BLOB_UPLOAD_UNKNOWN"


class DigestInvalid(RegistryHTTPError):
    """``DIGEST_INVALID``: the uploaded content does not match the given digest."""

    code = "DIGEST_INVALID"


class ManifestInvalid(RegistryHTTPError):
    """``MANIFEST_INVALID``: the registry refused a manifest (bad JSON, content type)."""

    code = "MANIFEST_INVALID"


class ManifestBlobUnknown(RegistryHTTPError):
    """``MANIFEST_BLOB_UNKNOWN``: a manifest references blobs the repository lacks."""

    code = "MANIFEST_BLOB_UNKNOWN"


class NameInvalid(RegistryHTTPError):
    """``NAME_INVALID``: the repository name is not valid."""

    code = "NAME_INVALID"


class TagInvalid(RegistryHTTPError):
    """``TAG_INVALID``: the manifest's tag does not match the URL."""

    code = "TAG_INVALID"


class SizeInvalid(RegistryHTTPError):
    """``SIZE_INVALID``: the content length does not match."""

    code = "SIZE_INVALID"


class Unsupported(RegistryHTTPError):
    """``UNSUPPORTED``: the registry does not support the operation."""

    code = "UNSUPPORTED"


class ServerError(RegistryHTTPError):
    """A 5xx answer without a more specific error code."""


class ContentDigestMismatch(DigestMismatch, RegistryError):
    """Bytes received from a registry do not hash to the digest they were asked by."""

    def __init__(self, expected: str, actual: str, what: str = "blob") -> None:
        self.what = what
        super().__init__(
            expected, actual, f"{what} digest mismatch: expected {expected}, got {actual}"
        )


class InvalidManifest(RegistryError, FormatError):
    """A manifest cannot be parsed, or its media type is not supported."""


class ManifestTooLarge(RegistryError):
    """A manifest is larger than the configured limit."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        super().__init__(f"manifest too large: larger than {limit} bytes")


class PlatformNotFound(RegistryError, NotFoundError):
    """No entry of an index or manifest list matches the wanted platform."""

    def __init__(self, platform: str) -> None:
        self.platform = platform
        super().__init__(f"no matching manifest for {platform} in the manifest list entries")


_BY_CODE: dict[str, type[RegistryHTTPError]] = {
    cls.code: cls
    for cls in (
        ManifestUnknown,
        BlobUnknown,
        NameUnknown,
        Unauthorized,
        Denied,
        TooManyRequests,
        BlobUploadInvalid,
        BlobUploadUnknown,
        DigestInvalid,
        ManifestInvalid,
        ManifestBlobUnknown,
        NameInvalid,
        TagInvalid,
        SizeInvalid,
        Unsupported,
    )
    if cls.code is not None
}

_BY_STATUS = {401: "UNAUTHORIZED", 403: "DENIED", 429: "TOOMANYREQUESTS"}


def _join(errors: tuple[ErrorEntry, ...]) -> str:
    if len(errors) == 1:
        return str(errors[0])
    if not errors:
        return "<nil>"
    return "errors:\n" + "".join(f"{e}\n" for e in errors)


def parse_error_body(body: bytes) -> tuple[ErrorEntry, ...]:
    """Parse a ``{"errors": [...]}`` body; anything else gives an empty tuple."""
    try:
        doc = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return ()
    raw = doc.get("errors") if isinstance(doc, dict) else None
    if not isinstance(raw, list):
        return ()
    out: list[ErrorEntry] = []
    for item in raw:
        if not isinstance(item, dict):
            continue
        code = str(item.get("code") or "UNKNOWN").upper()
        message = item.get("message")
        if not isinstance(message, str) or not message:
            message = DEFAULT_MESSAGES.get(code, DEFAULT_MESSAGES["UNKNOWN"])
        out.append(ErrorEntry(code, message, item.get("detail")))
    return tuple(out)


def error_from_response(
    status: int,
    body: bytes,
    *,
    method: str = "",
    url: str = "",
    not_found_code: str | None = None,
    bearer_error: str = "",
    bearer_description: str = "",
) -> RegistryHTTPError:
    """Turn an error answer into the matching typed error.

    Args:
        status: the HTTP status.
        body: the response body (empty for HEAD).
        method: the request method, kept on the error.
        url: the request URL, kept on the error.
        not_found_code: the code to assume for a bodiless 404 (``BLOB_UNKNOWN`` for a
            blob HEAD, ``MANIFEST_UNKNOWN`` for a manifest HEAD).
        bearer_error: the ``error`` of a 401's Bearer challenge (RFC 6750): as Docker,
            ``insufficient_scope`` makes it ``denied: requested access to the resource
            is denied`` and ``invalid_token`` ``unauthorized: …``, the body's entries
            following (the message is the first entry's).
        bearer_description: the challenge's ``error_description``, if any.

    Returns:
        An instance of the class of the first error code (or of the status), carrying
        every entry.
    """
    errors = parse_error_body(body)
    if not errors:
        code = _BY_STATUS.get(status) or (not_found_code if status == 404 else None)
        if code is not None:
            errors = (ErrorEntry(code, DEFAULT_MESSAGES[code]),)
        else:
            text = body.decode("utf-8", "replace").strip()[:200]
            message = text or f"unexpected status code {status}"
            errors = (ErrorEntry("UNKNOWN", message),)
    challenge_code = {"insufficient_scope": "DENIED", "invalid_token": "UNAUTHORIZED"}.get(
        bearer_error if status == 401 else ""
    )
    if challenge_code is not None:
        first = ErrorEntry(challenge_code, bearer_description or DEFAULT_MESSAGES[challenge_code])
        challenged = _BY_CODE[challenge_code]
        return challenged(status, (first, *errors), method=method, url=url, message=str(first))
    cls = _BY_CODE.get(errors[0].code)
    if cls is None:
        fallback = ServerError if status >= 500 else RegistryHTTPError
        cls = _BY_CODE.get(_BY_STATUS.get(status, ""), fallback)
    return cls(status, errors, method=method, url=url)
