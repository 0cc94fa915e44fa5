"""The one table from error categories to exit codes, and Docker-style error lines."""

from __future__ import annotations

from dockyard.errors import (
    ConflictError,
    DockyardError,
    FormatError,
    IntegrityError,
    InvalidArgumentError,
    NotFoundError,
    RegistryError,
    StorageError,
)

__all__ = ["EXIT_CODES", "EXIT_UNEXPECTED", "EXIT_USAGE", "exit_code"]

#: Exit code of a usage error (bad flags), as argparse and Docker's CLI use.
EXIT_USAGE = 125
#: Exit code of a bug: an exception that is not a DockyardError.
EXIT_UNEXPECTED = 70

#: Category → exit code. Docker's CLI exits 1 for every daemon error; dockyard keeps 1 for
#: the common case (not found) and tells the other categories apart.
EXIT_CODES: tuple[tuple[type[DockyardError], int], ...] = (
    (NotFoundError, 1),
    (InvalidArgumentError, 2),
    (ConflictError, 3),
    (IntegrityError, 4),
    (FormatError, 4),
    (RegistryError, 5),
    (StorageError, 6),
    (DockyardError, 1),
)


def exit_code(error: BaseException) -> int:
    """The exit code for an error raised by a command."""
    for category, code in EXIT_CODES:
        if isinstance(error, category):
            return code
    return EXIT_UNEXPECTED
