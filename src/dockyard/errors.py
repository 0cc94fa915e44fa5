"""The one exception tree of dockyard.

Every error dockyard raises derives from :class:`DockyardError`. Under it sit
behaviour categories (the equivalent of moby's ``errdefs``) that the CLI maps to
exit codes in one place, and concrete errors that carry the data they are about.
Messages follow Docker's wording wherever Docker has one, so that users who search
for an error text find the Docker discussion of it.

::

    DockyardError(Exception)
    ├── NotFoundError(LookupError)
    │     ImageNotFound · LayerNotFound · ReferenceNotFound · BlobNotFound
    ├── InvalidArgumentError(ValueError)
    │     InvalidDigest · InvalidReference · InvalidImageConfig · AmbiguousID
    │     UnsupportedOS
    ├── ConflictError
    │     TagConflict · ImageInUse · LayerNotRetained · MaxDepthExceeded
    ├── IntegrityError
    │     DigestMismatch · LayerVerificationError
    ├── FormatError
    │     InvalidArchive · UnsafeArchivePath · InvalidOCILayout · CompressionError
    ├── StorageError(OSError-like failures of the store itself)
│     StoreReadOnly
    └── RegistryError
"""

from __future__ import annotations

__all__ = [
    "AmbiguousID",
    "BlobNotFound",
    "CompressionError",
    "ConflictError",
    "DigestMismatch",
    "DockyardError",
    "FormatError",
    "ImageInUse",
    "ImageNotFound",
    "IntegrityError",
    "InvalidArchive",
    "InvalidArgumentError",
    "InvalidDigest",
    "InvalidImageConfig",
    "InvalidOCILayout",
    "InvalidReference",
    "LayerNotFound",
    "LayerNotRetained",
    "LayerVerificationError",
    "MaxDepthExceeded",
    "NotFoundError",
    "ReferenceNotFound",
    "RegistryError",
    "StorageError",
    "StoreReadOnly",
    "TagConflict",
    "UnsafeArchivePath",
    "UnsupportedOS",
]


class DockyardError(Exception):
    """Root of every error raised by dockyard."""


# --- categories -------------------------------------------------------------------------


class NotFoundError(DockyardError, LookupError):
    """Something that was asked for does not exist."""


class InvalidArgumentError(DockyardError, ValueError):
    """The caller passed a value that cannot be used."""


class ConflictError(DockyardError):
    """The operation conflicts with the current state of the store."""


class IntegrityError(DockyardError):
    """Stored or received data does not match its digest."""


class FormatError(DockyardError):
    """Input is not in a format dockyard can read."""


class StorageError(DockyardError):
    """The store itself could not be read or written (permissions, disk full, ...)."""


class RegistryError(DockyardError):
    """A registry answered with an error."""


class StoreReadOnly(StorageError):
    """A command that writes was run on a store this process cannot write."""

    def __init__(self, root: str, detail: str = "") -> None:
        self.root = root
        self.detail = detail
        super().__init__(f"store {root} is read-only" + (f" ({detail})" if detail else ""))


# --- not found --------------------------------------------------------------------------


class ImageNotFound(NotFoundError):
    """No image matches a name, ID or ID prefix."""

    def __init__(self, term: str, message: str | None = None) -> None:
        self.term = term
        super().__init__(message if message is not None else f"No such image: {term}")


class LayerNotFound(NotFoundError):
    """A layer with the given chain ID is not in the layer store."""

    def __init__(self, chain_id: str = "", message: str = "layer does not exist") -> None:
        self.chain_id = chain_id
        super().__init__(message)


class ReferenceNotFound(NotFoundError):
    """A tag or digest reference is not in the reference store."""

    def __init__(self, reference: str = "") -> None:
        self.reference = reference
        super().__init__("reference does not exist")


class BlobNotFound(NotFoundError):
    """A content-addressed blob or metadata key is missing."""

    def __init__(self, digest: str, message: str) -> None:
        self.digest = digest
        super().__init__(message)


# --- invalid argument -------------------------------------------------------------------


class InvalidDigest(InvalidArgumentError):
    """A string is not a valid ``sha256:<64 lowercase hex>`` digest."""

    def __init__(self, value: str, reason: str = "invalid checksum digest format") -> None:
        self.value = value
        self.reason = reason
        super().__init__(f"{reason}: {value!r}")


class InvalidReference(InvalidArgumentError):
    """A string is not a valid image reference (Docker's wording in the message)."""

    def __init__(self, value: str, message: str = "invalid reference format") -> None:
        self.value = value
        super().__init__(message)


class InvalidImageConfig(InvalidArgumentError):
    """An image configuration cannot be parsed or used."""


class AmbiguousID(InvalidArgumentError):
    """An ID prefix matches more than one image."""

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix
        super().__init__("ambiguous digest string")


class UnsupportedOS(InvalidArgumentError):
    """An image's operating system cannot be handled on this host."""

    def __init__(self, os_name: str, message: str = "operating system is not supported") -> None:
        self.os = os_name
        super().__init__(message)


# --- conflict ---------------------------------------------------------------------------


class TagConflict(ConflictError):
    """A tag already points to another image and ``force`` was not given."""

    def __init__(self, reference: str, existing_id: str, message: str | None = None) -> None:
        self.reference = reference
        self.existing_id = existing_id
        super().__init__(
            message
            if message is not None
            else f"tag {reference} is already set to image {existing_id}, "
            "use the force option to replace it"
        )


class ImageInUse(ConflictError):
    """An image cannot be removed because other images or tags depend on it."""


class LayerNotRetained(ConflictError):
    """A layer handle was released twice or never handed out."""

    def __init__(self, chain_id: str = "") -> None:
        self.chain_id = chain_id
        super().__init__("layer not retained")


class MaxDepthExceeded(ConflictError):
    """A layer chain would exceed Docker's maximum depth of 125."""

    def __init__(self) -> None:
        super().__init__("max depth exceeded")


# --- integrity --------------------------------------------------------------------------


class DigestMismatch(IntegrityError):
    """Content read back does not hash to the digest it is stored under."""

    def __init__(self, expected: str, actual: str, message: str | None = None) -> None:
        self.expected = expected
        self.actual = actual
        super().__init__(message if message is not None else f"failed to verify: {expected}")


class LayerVerificationError(IntegrityError):
    """A stored layer's tar stream does not hash to its DiffID."""

    def __init__(self, diff_id: str, actual: str = "") -> None:
        self.diff_id = diff_id
        self.actual = actual
        super().__init__(
            f"could not verify layer data for: {diff_id}. This may be because internal "
            "files in the layer store were modified. Re-pulling or rebuilding this image "
            "may resolve the issue"
        )


# --- format -----------------------------------------------------------------------------


class InvalidArchive(FormatError):
    """An image archive is malformed."""


class UnsafeArchivePath(InvalidArchive):
    """An archive member or path would reach outside the archive or the store."""

    def __init__(self, path: str, message: str | None = None) -> None:
        self.path = path
        super().__init__(message if message is not None else f"unsafe path in archive: {path!r}")


class InvalidOCILayout(FormatError):
    """An OCI image layout is malformed."""


class CompressionError(FormatError):
    """A compressed stream is corrupt or uses an unavailable codec."""
