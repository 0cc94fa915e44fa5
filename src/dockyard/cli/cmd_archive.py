"""``load`` and ``save``: archives in and out of the store."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from dockyard.cli.progress import progress_for
from dockyard.errors import InvalidArgumentError

if TYPE_CHECKING:
    from dockyard.cli.context import Context

__all__ = ["cmd_load", "cmd_save"]


def cmd_load(ctx: Context, args: argparse.Namespace) -> int:
    """Load an archive and print Docker's ``Loaded image`` lines."""
    from dockyard.archive.load import load

    if args.input is None and ctx.is_terminal(ctx.stdin):
        raise InvalidArgumentError("requested load from stdin, but stdin is empty")
    source = Path(args.input) if args.input is not None else ctx.stdin
    with progress_for(ctx, quiet=args.quiet) as progress:
        result = load(ctx.client, source, platform=args.platform, progress=progress)
    for line in result.lines:
        ctx.out(line)
    return 0


def cmd_save(ctx: Context, args: argparse.Namespace) -> int:
    """Save images to a file, a directory or stdout."""
    from dockyard.archive.save import SaveFormat, save
    from dockyard.compression import Compression

    kinds = {"none": Compression.NONE, "gzip": Compression.GZIP, "zstd": Compression.ZSTD}
    output = ctx.output_target(args.output, directory=args.format == "oci-dir")
    with progress_for(ctx, quiet=args.quiet) as progress:
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
    return 0
