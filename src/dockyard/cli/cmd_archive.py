"""``load`` and ``save``: archives in and out of the store."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from dockyard.cli.progress import progress_for
from dockyard.errors import InvalidArgumentError

if TYPE_CHECKING:
    from dockyard.cli.context import Context

__all__ = ["add_load", "add_save"]


def add_load(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``load``."""
    p = sub.add_parser("load", help="Load an image from a tar archive or STDIN")
    p.add_argument("-i", "--input", metavar="FILE",
                   help="Read from tar archive file, instead of STDIN (any compression)")
    p.add_argument("-q", "--quiet", action="store_true", help="Suppress the load output")
    p.add_argument("--platform", help="Load only the given platform (os[/arch[/variant]])")
    p.set_defaults(handler=cmd_load)


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


def add_save(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``save``."""
    p = sub.add_parser("save", help="Save one or more images to a tar archive (streamed to "
                       "STDOUT by default)")
    p.add_argument("-o", "--output", metavar="FILE",
                   help="Write to a file (or, for --format oci-dir, a directory), instead of "
                   "STDOUT")
    p.add_argument("--format", default="docker",
                   choices=["docker", "docker-legacy", "oci", "oci-dir"],
                   help="Archive layout: docker (Docker >= 25, default), docker-legacy "
                   "(Docker <= 24), oci (OCI image layout archive), oci-dir (OCI layout "
                   "directory)")
    p.add_argument("--compress", default="none", choices=["none", "gzip", "zstd"],
                   help="Compress the whole archive")
    p.add_argument("--compress-level", type=int, default=None, metavar="N",
                   help="Compression level")
    p.add_argument("--layer-compression", default="none", choices=["none", "gzip", "zstd"],
                   help="Compress each layer (OCI formats), recording compressed digests")
    p.add_argument("--platform", help="Save only the given platform")
    p.add_argument("-q", "--quiet", action="store_true", help="Suppress progress output")
    p.add_argument("names", nargs="+", metavar="IMAGE")
    p.set_defaults(handler=cmd_save)


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
