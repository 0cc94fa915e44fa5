"""The one table from error categories to exit codes, used by every command.

Docker's CLI exits 1 for every error the daemon reports and 125 for a bad flag, and that
is what scripts written for Docker test. dockyard keeps those codes for everything Docker
reports (an image that does not exist, an invalid reference or filter, a conflict, an
unreadable input, a wrong number of arguments) and gives its own codes only to failures
Docker has no word for:

====  ==========================================================================
code  meaning
====  ==========================================================================
0     success
1     error, as Docker: not found, invalid argument or input (a bad reference or
      filter, a missing or unreadable input file, an archive that cannot be
      loaded), conflict, template error, wrong number of arguments, and every
      failure a registry reports (pull, push, login, copy)
4     corrupt store: a stored config or layer does not match its digest
6     the store cannot be written or read (read-only, disk full, I/O error)
7     an output cannot be written (``-o`` file or directory: disk full, I/O error)
64    an ``inspect -f`` template that does not parse (as Docker)
70    a bug in dockyard
125   bad flag: unknown, missing its value, or with a bad value (as Docker)
130   interrupted (Ctrl-C)
141   stdout was closed early (broken pipe); Docker dies of SIGPIPE, the shell sees 141
====  ==========================================================================
"""

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

__all__ = [
    "EXIT_CODES",
    "EXIT_CORRUPT",
    "EXIT_ERROR",
    "EXIT_INTERRUPTED",
    "EXIT_OUTPUT",
    "EXIT_PIPE",
    "EXIT_STORE",
    "EXIT_TEMPLATE",
    "EXIT_UNEXPECTED",
    "EXIT_USAGE",
    "CommandError",
    "OutputError",
    "exit_code",
]

#: Any error Docker reports too (Docker's code for every daemon error).
EXIT_ERROR = 1
#: Data that does not match its digest.
EXIT_CORRUPT = 4
#: A registry refused or failed a request.
#: The store cannot be written (or read): read-only, full, I/O error.
EXIT_STORE = 6
#: An output (``-o``) cannot be written.
EXIT_OUTPUT = 7
#: An ``inspect -f`` template that does not parse (docker/cli's status for it).
EXIT_TEMPLATE = 64
#: A bug: an exception that is not a DockyardError.
EXIT_UNEXPECTED = 70
#: A bad flag (Docker's ``cli.StatusError`` code for flag errors).
EXIT_USAGE = 125
#: Interrupted by SIGINT (128 + 2).
EXIT_INTERRUPTED = 130
#: Stdout closed by its reader (128 + SIGPIPE).
EXIT_PIPE = 141


class CommandError(DockyardError):
    """An error the Docker CLI reports itself: printed as it is, without ``Error:``.

    Args:
        message: the whole line, e.g. ``open nosuch.tar: no such file or directory``.
        code: the exit code.
    """

    bare_message = True

    def __init__(self, message: str, code: int = EXIT_ERROR) -> None:
        super().__init__(message)
        self.code = code


class OutputError(DockyardError):
    """A command's output (``-o`` file or directory) could not be written."""


#: Category → exit code, first match wins.
EXIT_CODES: tuple[tuple[type[DockyardError], int], ...] = (
    (OutputError, EXIT_OUTPUT),
    (RegistryError, EXIT_ERROR),  # as Docker; a blob with a wrong digest is not the store's
    (IntegrityError, EXIT_CORRUPT),
    (StorageError, EXIT_STORE),
    (NotFoundError, EXIT_ERROR),
    (InvalidArgumentError, EXIT_ERROR),
    (ConflictError, EXIT_ERROR),
    (FormatError, EXIT_ERROR),
    (DockyardError, EXIT_ERROR),
)


def exit_code(error: BaseException) -> int:
    """The exit code for an error raised by a command."""
    code = getattr(error, "code", None)
    if isinstance(error, CommandError) and isinstance(code, int):
        return code
    if isinstance(error, KeyboardInterrupt):
        return EXIT_INTERRUPTED
    if isinstance(error, BrokenPipeError):
        return EXIT_PIPE
    for category, value in EXIT_CODES:
        if isinstance(error, category):
            return value
    return EXIT_UNEXPECTED
