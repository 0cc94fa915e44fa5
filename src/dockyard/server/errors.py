"""dockyard's error categories as dockerd's HTTP statuses (moby ``errdefs`` → status).

======================================  =====  ===========================================
category                                status  dockerd's counterpart
======================================  =====  ===========================================
NotFoundError                            404    ``errdefs.NotFound``
InvalidArgumentError                     400    ``errdefs.InvalidParameter``
ConflictError                            409    ``errdefs.Conflict``
StoreReadOnly                            500    an unclassified system error
FormatError, IntegrityError, Storage…    500    unclassified errors (``unexpected EOF``)
RegistryError                            500    (refined by the registry routes)
======================================  =====  ===========================================
"""

from __future__ import annotations

from dockyard.errors import (
    ConflictError,
    DockyardError,
    InvalidArgumentError,
    NotFoundError,
)
from dockyard.server.http import ApiError

__all__ = ["STATUS_TEXT", "message_of", "status_of"]

#: Reason phrases of the statuses the server sends.
STATUS_TEXT = {
    200: "OK",
    201: "Created",
    204: "No Content",
    400: "Bad Request",
    404: "Not Found",
    409: "Conflict",
    413: "Request Entity Too Large",
    500: "Internal Server Error",
    501: "Not Implemented",
}


def status_of(exc: BaseException) -> int:
    """The HTTP status dockerd answers for an error of this kind."""
    if isinstance(exc, ApiError):
        return exc.status
    if isinstance(exc, NotFoundError):
        return 404
    if isinstance(exc, InvalidArgumentError):
        return 400
    if isinstance(exc, ConflictError):
        return 409
    return 500


def message_of(exc: BaseException) -> str:
    """The ``message`` of the error body."""
    if isinstance(exc, ApiError):
        return exc.message
    if isinstance(exc, DockyardError):
        return str(exc)
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
