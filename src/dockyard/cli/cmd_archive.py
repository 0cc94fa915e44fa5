"""``load`` and ``save``: archives in and out of the store."""

from __future__ import annotations

import argparse
import contextlib
from pathlib import Path
from typing import TYPE_CHECKING

from dockyard.cli.exitcodes import CommandError, OutputError
from dockyard.cli.progress import progress_for
from dockyard.errors import (
    ConflictError,
    FormatError,
    ImageNotFound,
    InvalidArgumentError,
    NotFoundError,
    StorageError,
)

if TYPE_CHECKING:
    from collections.abc import Iterator

    from dockyard.cli.context import Context

__all__ = ["check_input", "cmd_load", "cmd_save", "output_errors"]

#: How the library words a failure to write a command's output (``-o`` or stdout).
_OUTPUT_FAILURES = ("cannot create ", "cannot write", "cannot copy into archive")


def check_input(path: str) -> Path:
    """An input file the Docker CLI would open: ``open x: no such file or directory``.

    Raises:
        CommandError: the file cannot be opened (exit 1, as Docker).
    """
    from dockyard.cli.context import go_os_error

    try:
        with open(path, "rb"):
            pass
    except IsADirectoryError as exc:  # Go opens a directory, then fails to read it
        raise CommandError(go_os_error("read", path, exc)) from exc
    except OSError as exc:
        raise CommandError(go_os_error("open", path, exc)) from exc
    return Path(path)


@contextlib.contextmanager
def output_errors(target: object = None) -> Iterator[None]:
    """Report a failure to write the output as such (exit 7), not as a store failure.

    Args:
        target: the output (a path or stdout), named in the message of a bare ``OSError``.
    """
    try:
        yield
    except StorageError as exc:
        if str(exc).startswith(_OUTPUT_FAILURES):
            raise OutputError(str(exc)) from exc
        raise
    except BrokenPipeError:
        raise
    except OSError as exc:  # the library's store reads raise StorageError: this is the output
        from dockyard.cli.context import go_os_error

        name = str(target) if isinstance(target, (str, Path)) else "output"
        raise OutputError(go_os_error("write", name, exc)) from exc


def cmd_load(ctx: Context, args: argparse.Namespace) -> int:
    """Load an archive and print Docker's ``Loaded image`` lines.

    Docker reports a load's failures in the load's message stream, which its CLI prints
    without ``Error:``; dockyard does the same (store failures keep their own code).
    """
    from dockyard.archive.load import load

    if args.input is None and ctx.is_terminal(ctx.stdin):
        raise CommandError("requested load from stdin, but stdin is empty")
    source = check_input(args.input) if args.input is not None else ctx.stdin
    try:
        with progress_for(ctx, quiet=args.quiet) as progress:
            result = load(ctx.client, source, platform=args.platform, progress=progress)
    except (FormatError, InvalidArgumentError, NotFoundError, ConflictError) as exc:
        raise CommandError(str(exc)) from exc
    for line in result.lines:
        ctx.out(line)
    return 0


def cmd_save(ctx: Context, args: argparse.Namespace) -> int:
    """Save images to a file, a directory or stdout."""
    from dockyard.archive.save import SaveFormat, save
    from dockyard.compression import Compression

    kinds = {"none": Compression.NONE, "gzip": Compression.GZIP, "zstd": Compression.ZSTD}
    output = ctx.output_target(args.output, directory=args.format == "oci-dir")
    try:
        with output_errors(output), progress_for(ctx, quiet=args.quiet) as progress:
            save(
                ctx.client,
                args.names,
                output,
                format=SaveFormat(args.format),
                compress=kinds[args.compress],
                level=args.compress_level,
                layer_compression=kinds[args.layer_compression],
                platform=args.platform,
                progress=progress,
            )
    except ImageNotFound as exc:  # Docker 28's daemon does not name the image
        raise NotFoundError("reference does not exist") from exc
    return 0
